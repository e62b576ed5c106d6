package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"tally/wms"
)

// BenchmarkRestore measures tally restore of a backup of a large store
// (TALLY_RESTORE_MB, default 64: the demo warehouse plus stock changes
// appended in batches until the file is that big) into a fresh directory,
// next to the ceiling of the same run: a plain copy of the same file, synced.
// The restore is that copy plus reading every page and a Check (a rebuild of
// every projection from the log, compared with the stored ones). Both are
// reported in wall seconds and in this process's CPU seconds (the machine
// is shared). TALLY_RESTORE_DIR keeps the store and its backup there for
// the next run, which then only restores.
//
//	TALLY_RESTORE_MB=1024 TALLY_RESTORE_DIR=/tmp/restore-1g go test . -run XXX -bench Restore -benchtime 1x -timeout 60m
func BenchmarkRestore(b *testing.B) {
	mb := 64
	if v := os.Getenv("TALLY_RESTORE_MB"); v != "" {
		var err error
		if mb, err = strconv.Atoi(v); err != nil || mb <= 0 {
			b.Fatalf("TALLY_RESTORE_MB=%q", v)
		}
	}
	ctx := context.Background()
	for range b.N {
		b.StopTimer()
		work := os.Getenv("TALLY_RESTORE_DIR")
		if work == "" {
			work = b.TempDir()
		}
		backup := filepath.Join(work, "backup.db")
		// (a backup is a little smaller than the store it copies)
		if fi, err := os.Stat(backup); err == nil && fi.Size() >= int64(mb)<<20*9/10 {
			restoreOnce(b, work, backup, fi.Size())
			continue
		}
		src := filepath.Join(work, "src")
		l, err := wms.Open(src, wms.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := l.SeedDemo(ctx); err != nil {
			b.Fatal(err)
		}
		built, n := time.Now(), 0
		for size, _ := l.DBStats(); size < int64(mb)<<20; size, _ = l.DBStats() {
			evs := make([]wms.Event, 0, 20_000)
			for range 20_000 {
				delta := int64(1)
				if n%2 == 1 {
					delta = -1
				}
				ev, err := wms.NewEvent(fmt.Sprintf("restore-bench-%d", n), wms.EvStockAdjusted, "B0001", "bench",
					wms.StockAdjustment{SKU: "SKU03000", Location: "C01-01-01", Delta: delta, Reason: "bench"})
				if err != nil {
					b.Fatal(err)
				}
				evs = append(evs, ev)
				n++
			}
			if err := l.AppendAll(ctx, evs); err != nil {
				b.Fatal(err)
			}
		}
		size, seq, err := l.BackupToFile(backup)
		l.Close()
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("store of %d events (%d appended) built in %v; backup %d bytes (%.2f GiB)", seq, n, time.Since(built).Round(time.Second), size, float64(size)/(1<<30))
		if err := os.RemoveAll(src); err != nil { // only the backup is needed from here
			b.Fatal(err)
		}
		restoreOnce(b, work, backup, size)
	}
}

// restoreOnce copies the backup (the ceiling), then restores it into a
// fresh directory, and reports both.
func restoreOnce(b *testing.B, work, backup string, size int64) {
	copyTo, restoreTo := filepath.Join(work, "copy.db"), filepath.Join(work, "restored")
	for _, p := range []string{copyTo, restoreTo} {
		if err := os.RemoveAll(p); err != nil {
			b.Fatal(err)
		}
	}
	began, cpu := time.Now(), cpuTime()
	if err := copySynced(backup, copyTo); err != nil {
		b.Fatal(err)
	}
	copied, copiedCPU := time.Since(began), cpuTime()-cpu
	if err := os.Remove(copyTo); err != nil {
		b.Fatal(err)
	}

	b.StartTimer()
	began, cpu = time.Now(), cpuTime()
	var out bytesCounter
	if err := run(context.Background(), []string{"restore", "--data", restoreTo, backup}, &out, &out); err != nil {
		b.Fatal(err, string(out.b))
	}
	restored, restoredCPU := time.Since(began), cpuTime()-cpu
	b.StopTimer()
	b.Logf("%s", out.b)
	b.ReportMetric(float64(size)/(1<<20), "MB")
	b.ReportMetric(restored.Seconds(), "restore-s")
	b.ReportMetric(restoredCPU.Seconds(), "restore-cpu-s")
	b.ReportMetric(copied.Seconds(), "copy-s")
	b.ReportMetric(copiedCPU.Seconds(), "copy-cpu-s")
	b.ReportMetric(copied.Seconds()/restored.Seconds(), "copy/restore")
	if err := os.RemoveAll(restoreTo); err != nil {
		b.Fatal(err)
	}
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type bytesCounter struct{ b []byte }

func (w *bytesCounter) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }

// copySynced is the ceiling: the file copied and synced, nothing more.
func copySynced(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
