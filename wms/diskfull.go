package wms

import (
	"errors"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// A full disk. bbolt writes a transaction's pages and then its meta page;
// when the disk has no room for a page the commit fails, bbolt rolls the
// transaction back and the file stays as the last commit left it, so the
// store is sound and every read still works. The ledger turns that failure
// into one domain error (CodeUnavailable, "disk.full"), remembers since when
// writes fail, and forgets it at the first write that commits again: nothing
// has to be reset when space is freed. Every write still tries (a refused
// scan costs a failed commit, not a restart), so the floor resumes by itself.

// keyDiskFull is the message key of a write refused for a full disk.
const keyDiskFull = "disk.full"

// diskState is what the ledger knows of its disk, from the writes it tried.
type diskState struct {
	fullSince atomic.Int64  // unix nanoseconds of the first refused write since the last commit; 0 while writes commit
	refused   atomic.Uint64 // writes refused for a full disk, ever
	mu        sync.Mutex
	cause     string // the last refusal's error, as bbolt gave it
}

// DiskState is the ledger's disk as its writes found it.
type DiskState struct {
	Full    bool
	Since   time.Time // the first write refused since writes last committed (when Full)
	Refused uint64    // writes refused for a full disk since the process started
	Cause   string    // the last refusal's error as the file system gave it
}

// DiskFull reports whether the last write failed for want of disk space.
func (l *Ledger) DiskFull() DiskState {
	st := DiskState{Refused: l.disk.refused.Load()}
	if ns := l.disk.fullSince.Load(); ns != 0 {
		st.Full, st.Since = true, time.Unix(0, ns).UTC()
	}
	l.disk.mu.Lock()
	st.Cause = l.disk.cause
	l.disk.mu.Unlock()
	return st
}

// DiskFree is the space left for the store on its file system, in bytes
// (what an unprivileged process may still write).
func (l *Ledger) DiskFree() (uint64, error) {
	var fs unix.Statfs_t
	if err := unix.Statfs(l.path, &fs); err != nil {
		return 0, err
	}
	return fs.Bavail * uint64(fs.Bsize), nil
}

// IsDiskFull reports whether err is a write that failed for want of space.
// bbolt wraps a failed page write with %w but formats a failed grow or
// mmap with %s, so the errno is looked for in the text as well.
func IsDiskFull(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return true
	}
	s := err.Error()
	return strings.Contains(s, syscall.ENOSPC.Error()) || strings.Contains(s, syscall.EDQUOT.Error())
}

// beforeCommit is the last step of every write transaction before bbolt
// commits it: the tests' fault hook (Options.FailWrites).
func (l *Ledger) beforeCommit() error {
	if l.failWrites == nil {
		return nil
	}
	return l.failWrites()
}

// committed classifies the outcome of a write transaction: a full disk
// becomes the domain error the floor is shown, and a commit that went
// through ends a full disk.
func (l *Ledger) committed(err error) error {
	if err == nil {
		l.stats.WriteTx.Add(1)
		l.disk.fullSince.Store(0)
		return nil
	}
	if _, ok := AsError(err); ok || !IsDiskFull(err) {
		return err
	}
	l.disk.fullSince.CompareAndSwap(0, l.Now().UnixNano())
	l.disk.refused.Add(1)
	l.disk.mu.Lock()
	l.disk.cause = err.Error()
	l.disk.mu.Unlock()
	return Errf(CodeUnavailable, keyDiskFull)
}

// ready reports whether the store has every bucket, its secret and (unless
// keep) projections of this version: then Open need not write.
func (l *Ledger) ready(keep bool) (bool, error) {
	ok := true
	err := l.view(func(tx *txn) error {
		for _, b := range append(append([][]byte{}, logBuckets...), derivedBuckets...) {
			if tx.Bucket(b) == nil {
				ok = false
				return nil
			}
		}
		meta := tx.Bucket(bucketMeta)
		ok = meta.Get([]byte("secret")) != nil && (keep || string(meta.Get(metaProjections)) == projectionsVersion)
		return nil
	})
	return ok, err
}

// BackupStream is Backup as a reader, for a disk too full to hold a copy
// beside the store: the copy is read from one read transaction, held
// until the reader is read to the end or closed (close it). A long read
// transaction keeps the pages later writes free from being reused, so this
// is for when the disk is full, never the usual way.
func (l *Ledger) BackupStream() (r io.ReadCloser, size int64, lastSeq uint64, err error) {
	tx, err := l.db.Begin(false)
	if err != nil {
		return nil, 0, 0, err
	}
	lastSeq = tx.Bucket(bucketEvents).Sequence()
	size = tx.Size()
	pr, pw := io.Pipe()
	go func() {
		_, err := tx.WriteTo(pw)
		_ = tx.Rollback()
		pw.CloseWithError(err) // nil: the reader sees io.EOF
	}()
	return pr, size, lastSeq, nil
}
