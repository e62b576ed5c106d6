//go:build unix

package wms

import (
	"os"
	"syscall"
)

// mapTable maps a table file read-only (nil when it cannot: the lookups
// then read blocks with pread).
func mapTable(f *os.File, size int64) []byte {
	if size <= 0 || int64(int(size)) != size {
		return nil
	}
	m, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil
	}
	return m
}

func unmapTable(m []byte) {
	if m != nil {
		_ = syscall.Munmap(m)
	}
}
