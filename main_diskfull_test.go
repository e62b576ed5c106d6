package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tally/wms"
	"tally/wms/wmstest"
)

// TestCheckAndBackupOnAFullDisk: `tally check` and `tally backup` work on a
// store whose disk is full. They open the store without writing (the file
// is byte for byte the same afterwards), check rebuilds in memory, and the
// backup goes to another disk; a backup aimed at the full disk says so.
// Where no tmpfs can be mounted the disk is not really full, and the test
// proves only that neither command writes in the data directory.
func TestCheckAndBackupOnAFullDisk(t *testing.T) {
	disk := wmstest.SmallDisk(t, 16<<20)
	l, err := wms.Open(disk.Dir, wms.Options{Zone: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.SeedDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	disk.Fill(t)
	store := filepath.Join(disk.Dir, "tally.db")
	sum := func() [32]byte {
		raw, err := os.ReadFile(store)
		if err != nil {
			t.Fatal(err)
		}
		return sha256.Sum256(raw)
	}
	names := func() string {
		ents, err := os.ReadDir(disk.Dir)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range ents {
			out = append(out, e.Name())
		}
		return strings.Join(out, " ")
	}
	before, listed := sum(), names()

	var out bytes.Buffer
	if err := run(context.Background(), []string{"check", "--data", disk.Dir}, &out, &out); err != nil || !strings.HasPrefix(out.String(), "ledger ok") {
		t.Fatalf("check on a full disk: %v %s", err, out.String())
	}
	copyDir := t.TempDir() // another file system
	out.Reset()
	if err := run(context.Background(), []string{"backup", "--data", disk.Dir, "--out", filepath.Join(copyDir, "tally.db")}, &out, &out); err != nil {
		t.Fatalf("backup to another disk: %v %s", err, out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"check", "--data", copyDir}, &out, &out); err != nil || !strings.HasPrefix(out.String(), "ledger ok") {
		t.Fatalf("check of the backup: %v %s", err, out.String())
	}
	if disk.Real {
		err := run(context.Background(), []string{"backup", "--data", disk.Dir, "--out", filepath.Join(disk.Dir, "copy.db")}, &out, &out)
		if err == nil || !strings.Contains(err.Error(), "is full; write the backup to another disk") {
			t.Fatalf("a backup onto the full disk: %v", err)
		}
	}
	if sum() != before || names() != listed {
		t.Fatalf("check and backup changed the data directory: %q, now %q", listed, names())
	}
}
