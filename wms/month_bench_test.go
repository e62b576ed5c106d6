package wms

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// BenchmarkMonthStore measures the bytes an event costs in a simulated
// month (monthDay: orders in, waved, picked, packed, shipped, each day),
// with bbolt's default fill and with the dense fill of append-ordered
// buckets (fill.go); then, on the dense store, after archiving (orders and
// answers older than a week) and after `tally compact`, whose time is
// reported beside a plain copy of the same file (copy+fsync) in the same
// run. TALLY_MONTH_DAYS and TALLY_MONTH_ORDERS set the size (30 × 100).
//
//	go test ./wms -run XXX -bench MonthStore -benchtime 1x
func BenchmarkMonthStore(b *testing.B) {
	days, perDay := envInt("TALLY_MONTH_DAYS", 30), envInt("TALLY_MONTH_ORDERS", 100)
	for _, dense := range []bool{false, true} {
		name := "fill=default"
		if dense {
			name = "fill=dense"
		}
		b.Run(name, func(b *testing.B) {
			if !dense {
				saved := denseFill
				denseFill = nil
				defer func() { denseFill = saved }()
			}
			for range b.N {
				monthStore(b, days, perDay, dense)
			}
		})
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func monthStore(b *testing.B, days, perDay int, more bool) {
	clock := &testClock{t: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	dir := b.TempDir()
	l, err := Open(dir, Options{Now: clock.Now, Zone: time.FixedZone("CST", 8*3600)})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	monthSetup(b, l, days*perDay+100)
	for d := range days {
		monthDay(b, l, clock, d, perDay)
	}
	report := func(stage string) StoreSize {
		s, err := l.Size()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(s.LivePerEvent(), stage+"-live-B/event")
		b.ReportMetric(s.FilePerEvent(), stage+"-file-B/event")
		b.Logf("%s: %d events, file %d B, live %d B; %.0f live B/event, %.0f file B/event", stage, s.Events, s.FileBytes, s.Live, s.LivePerEvent(), s.FilePerEvent())
		for _, bk := range s.Buckets[:min(8, len(s.Buckets))] {
			b.Logf("  %-16s %8d keys %10d live B %10d page B (%.0f%% full)", bk.Name, bk.Keys, bk.Live, bk.Pages, 100*float64(bk.Live)/float64(max(bk.Pages, 1)))
		}
		return s
	}
	s := report("month")
	b.ReportMetric(float64(s.Events), "events")
	if !more {
		return
	}
	r := DefaultRetention()
	r.Orders = 7 * 24 * time.Hour
	run, err := l.Archive(ctx, r, "system", "bench")
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("archived %d orders in %d events, dropped %d answers (%s; the longest write %s)", run.Orders, run.Events, run.Answers, run.Took, run.LongestWrite)
	b.ReportMetric(float64(run.LongestWrite.Microseconds())/1000, "archive-longest-write-ms")
	report("archived")
	if err := l.Close(); err != nil {
		b.Fatal(err)
	}
	copyTook := copyFile(b, filepath.Join(dir, dbFile), filepath.Join(b.TempDir(), "copy.db"))
	c, err := Compact(dir, false, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("compact: %d MB -> %d MB in %s; a plain copy of the file %s", c.Before.FileBytes>>20, c.After.FileBytes>>20, c.Took, copyTook)
	b.ReportMetric(c.After.FilePerEvent(), "compacted-file-B/event")
	b.ReportMetric(c.Took.Seconds()/copyTook.Seconds(), "compact/copy")
	b.ReportMetric(float64(c.Before.FileBytes)/(1<<20)/c.Took.Seconds(), "compact-MB/s")
	if l, err = Open(dir, Options{Now: clock.Now}); err != nil {
		b.Fatal(err)
	}
	fmt.Fprint(io.Discard, l.LastSeq())
}

// copyFile copies and syncs a file: the ceiling compaction is compared with.
func copyFile(b *testing.B, from, to string) time.Duration {
	start := time.Now()
	in, err := os.Open(from)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		b.Fatal(err)
	}
	if err := out.Sync(); err != nil {
		b.Fatal(err)
	}
	out.Close()
	return time.Since(start)
}
