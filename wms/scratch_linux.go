package wms

import (
	"os"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"
)

// openScratch opens the empty bbolt file Check rebuilds the projections
// into. On Linux it lives in memory (memfd_create): a check must work on the
// disk it is checking when that disk is full, so it may not need free space
// there the size of the projections. It falls back to a file in dir where
// the kernel has no memfd.
func openScratch(dir string) (*bolt.DB, func(), error) {
	fd, err := unix.MemfdCreate("tally-check", unix.MFD_CLOEXEC)
	if err != nil {
		return openScratchFile(dir)
	}
	f := os.NewFile(uintptr(fd), "memfd:tally-check")
	db, err := bolt.Open(f.Name(), 0o600, &bolt.Options{
		NoSync:   true,
		OpenFile: func(string, int, os.FileMode) (*os.File, error) { return f, nil },
	})
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return db, func() { db.Close() }, nil // closing the memfd frees its memory
}
