//go:build unix

package wms

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// lockStore takes the lock bbolt takes on the store file (flock, exclusive),
// waiting up to timeout (a second when 0): held by a server or any other
// command, the store is ErrLocked. The lock is taken on the file itself so
// that a damaged store, which bbolt would not open, can still be replaced.
func lockStore(path string, timeout time.Duration) (unlock func(), err error) {
	if timeout == 0 {
		timeout = time.Second
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(timeout)
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) || time.Now().After(deadline) {
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, fmt.Errorf("%s: %w", path, ErrLocked)
			}
			return nil, err
		}
		time.Sleep(50 * time.Millisecond)
	}
}
