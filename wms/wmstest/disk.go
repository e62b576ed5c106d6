package wmstest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"

	"tally/wms"
)

// Disk is a small file system for a store, which a test fills and frees.
// Where the test may mount (root, as CI runs), it is a real tmpfs of the
// size asked and Fill writes a ballast file until the kernel says ENOSPC;
// elsewhere it is a directory and the ledger's fault hook
// (wms.Options.FailWrites) fails every commit with ENOSPC while it is
// "full". Real says which; the test logs it.
type Disk struct {
	Dir  string
	Real bool

	full    atomic.Bool // the hook's disk
	ballast string
}

// SmallDisk makes a Disk of size bytes.
func SmallDisk(t testing.TB, size int) *Disk {
	t.Helper()
	d := HookDisk(t)
	err := syscall.Mount("tmpfs", d.Dir, "tmpfs", 0, fmt.Sprintf("size=%d,mode=0700", size))
	if err != nil {
		t.Logf("full disk: fault hook in the ledger's commit (mounting a tmpfs failed: %v)", err)
		return d
	}
	d.Real = true
	t.Logf("full disk: a real %d-byte tmpfs at %s", size, d.Dir)
	t.Cleanup(func() {
		if err := syscall.Unmount(d.Dir, 0); err != nil {
			t.Errorf("unmount %s: %v", d.Dir, err)
		}
	})
	return d
}

// HookDisk is a Disk that only the ledger's fault hook fills, so that the
// hook's path is tested where a tmpfs can be mounted too.
func HookDisk(t testing.TB) *Disk {
	d := &Disk{Dir: t.TempDir()}
	d.ballast = filepath.Join(d.Dir, "ballast")
	return d
}

// Options adds the fault hook to o when the disk is not a real one.
func (d *Disk) Options(o wms.Options) wms.Options {
	if !d.Real {
		o.FailWrites = func() error {
			if d.full.Load() {
				return &os.PathError{Op: "write", Path: filepath.Join(d.Dir, "tally.db"), Err: syscall.ENOSPC}
			}
			return nil
		}
	}
	return o
}

// Fill takes every free byte of the disk.
func (d *Disk) Fill(t testing.TB) {
	t.Helper()
	if !d.Real {
		d.full.Store(true)
		return
	}
	f, err := os.OpenFile(d.ballast, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for len(chunk) > 0 {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("fill: %v", err)
			}
			chunk = chunk[:len(chunk)/2] // the last few pages, smaller
		}
	}
}

// Free gives the disk its space back.
func (d *Disk) Free(t testing.TB) {
	t.Helper()
	if !d.Real {
		d.full.Store(false)
		return
	}
	if err := os.Remove(d.ballast); err != nil {
		t.Fatal(err)
	}
}
