package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"tally/wms"
)

// BenchmarkRestore measures tally restore of a backup of a large store
// (TALLY_RESTORE_MB, default 64: the demo warehouse plus stock changes
// appended in batches until the file is that big) into a fresh directory,
// next to the ceiling of the same run: a plain copy of the same file, synced.
// The restore is that copy plus reading every page and a Check (a rebuild of
// every projection from the log, compared with the stored ones).
//
//	TALLY_RESTORE_MB=1024 go test . -run XXX -bench Restore -benchtime 1x -timeout 60m
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
		work := b.TempDir()
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
		backup := filepath.Join(work, "backup.db")
		size, seq, err := l.BackupToFile(backup)
		l.Close()
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("store of %d events (%d appended) built in %v; backup %d bytes (%.2f GiB)", seq, n, time.Since(built).Round(time.Second), size, float64(size)/(1<<30))

		began := time.Now()
		if err := copySynced(backup, filepath.Join(work, "copy.db")); err != nil {
			b.Fatal(err)
		}
		copied := time.Since(began)

		b.StartTimer()
		began = time.Now()
		var out bytesCounter
		if err := run(ctx, []string{"restore", "--data", filepath.Join(work, "restored"), backup}, &out, &out); err != nil {
			b.Fatal(err, string(out.b))
		}
		restored := time.Since(began)
		b.StopTimer()
		b.Logf("%s", out.b)
		b.ReportMetric(float64(size)/(1<<20), "MB")
		b.ReportMetric(restored.Seconds(), "restore-s")
		b.ReportMetric(copied.Seconds(), "copy-s")
		b.ReportMetric(copied.Seconds()/restored.Seconds(), "copy/restore")
	}
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
