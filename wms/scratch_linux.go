package wms

import (
	"os"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"
)

// scratchMemMax is the largest store whose check rebuilds in memory: above
// it the scratch is a file in dir, so that checking a big store does not
// need memory the size of its projections — unless dir lacks the room.
var scratchMemMax int64 = 256 << 20

// openScratch opens the empty bbolt file Check rebuilds the projections
// into. On Linux it lives in memory (memfd_create) when the store is small
// or the disk has no room for it: a check must work on the disk it is
// checking when that disk is full. A store over scratchMemMax whose disk has
// room for another of its size is rebuilt into a file in dir, so that memory stays
// bounded whatever the store's size. It falls back to a file in dir where
// the kernel has no memfd.
func openScratch(dir string, storeBytes int64) (*bolt.DB, func(), error) {
	// the scratch holds projections only, under the store's size: with room
	// for the whole store the disk keeps room for the floor's writes too
	if storeBytes > scratchMemMax && freeBytes(dir) > storeBytes {
		return openScratchFile(dir)
	}
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

// freeBytes is the room left for this user in dir's file system (0 when
// it cannot be read).
func freeBytes(dir string) int64 {
	var st unix.Statfs_t
	if unix.Statfs(dir, &st) != nil {
		return 0
	}
	return int64(st.Bavail) * int64(st.Bsize)
}
