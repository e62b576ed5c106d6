package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"tally/wms"
)

// TestCompactCommand: `tally compact` shrinks a store whose pages were
// freed, proves the copy and swaps it in; `tally check` passes on it; it
// refuses while another process has the store, changing nothing.
func TestCompactCommand(t *testing.T) {
	dir := t.TempDir()
	l, err := wms.Open(dir, wms.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.SeedDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := l.SeedDemoOrders(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := l.Rebuild(); err != nil { // frees a copy of every projection's pages
		t.Fatal(err)
	}
	var out bytes.Buffer
	// held by another process (here: this one's open ledger)
	err = run(context.Background(), []string{"compact", "--data", dir}, &out, &out)
	if !errors.Is(err, wms.ErrLocked) {
		t.Fatalf("compact of a store in use: %v", err)
	}
	seq := l.LastSeq()
	l.Close()
	before, _ := os.Stat(filepath.Join(dir, "tally.db"))

	out.Reset()
	if err := run(context.Background(), []string{"compact", "--data", dir, "--keep-old"}, &out, &out); err != nil {
		t.Fatalf("compact: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "compacted") || !strings.Contains(out.String(), "kept as") {
		t.Fatalf("output: %s", out.String())
	}
	after, _ := os.Stat(filepath.Join(dir, "tally.db"))
	if after.Size() >= before.Size() {
		t.Fatalf("file %d bytes after compacting, %d before", after.Size(), before.Size())
	}
	kept, _ := filepath.Glob(filepath.Join(dir, "tally.db.before-compact-*"))
	if len(kept) != 1 {
		t.Fatalf("kept files: %v", kept)
	}
	out.Reset()
	if err := run(context.Background(), []string{"check", "--data", dir}, &out, &out); err != nil || !strings.Contains(out.String(), "ledger ok") {
		t.Fatalf("check after compacting: %v\n%s", err, out.String())
	}
	l, err = wms.Open(dir, wms.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l.LastSeq() != seq {
		t.Fatalf("last event %d after compacting, %d before", l.LastSeq(), seq)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".tally-compact-*")); len(left) != 0 {
		t.Fatalf("staging left behind: %v", left)
	}
}

// TestArchiveCommand: `tally archive` runs an archiving with the retention
// flags, and refuses a retention that cannot be meant.
func TestArchiveCommand(t *testing.T) {
	dir := t.TempDir()
	l, err := wms.Open(dir, wms.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.SeedDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	l.Close()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"archive", "--data", dir, "--keep-orders", "45d", "--keep-answers", "36h"}, &out, &out); err != nil {
		t.Fatalf("archive: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "archived 0 orders finished before "+time.Now().UTC().Add(-45*24*time.Hour).Format("2006-01-02")) {
		t.Fatalf("output: %s", out.String())
	}
	if fi, err := os.Stat(filepath.Join(dir, "archive")); err != nil || !fi.IsDir() {
		t.Fatalf("archive folder: %v", err)
	}
	out.Reset()
	if err := run(context.Background(), []string{"archive", "--data", dir, "--report", "2026-11"}, &out, &out); err != nil || !strings.HasPrefix(out.String(), "owner,order,state") {
		t.Fatalf("an empty month's report: %v\n%s", err, out.String())
	}
	for _, bad := range [][]string{{"--report", "2026-1"}, {"--keep-orders", "1h"}, {"--keep-figures", "x"}, {"--keep-orders", "-3d"}} {
		if err := run(context.Background(), append([]string{"archive", "--data", dir}, bad...), &out, &out); err == nil {
			t.Fatalf("archive %v: no error", bad)
		}
	}
}

// TestArchiveCommandMovesEvents: `tally archive --keep-events` moves old
// events to segment files, says how many, and `tally check` passes after.
func TestArchiveCommandMovesEvents(t *testing.T) {
	dir := t.TempDir()
	past := time.Now().Add(-5 * 24 * time.Hour)
	l, err := wms.Open(dir, wms.Options{Now: func() time.Time { return past }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.SeedDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	seq := l.LastSeq()
	l.Close()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"archive", "--data", dir, "--keep-events", "2h"}, &out, &out); err == nil {
		t.Fatal("a 2-hour event retention: no error")
	}
	out.Reset()
	if err := run(context.Background(), []string{"archive", "--data", dir, "--keep-events", "3d"}, &out, &out); err != nil {
		t.Fatalf("archive: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "moved "+strconv.FormatUint(seq, 10)+" events out of the live log") {
		t.Fatalf("output: %s", out.String())
	}
	if segs, _ := filepath.Glob(filepath.Join(dir, "archive", "*.events.gz")); len(segs) != 1 {
		t.Fatalf("segment files: %v", segs)
	}
	out.Reset()
	if err := run(context.Background(), []string{"check", "--data", dir}, &out, &out); err != nil || !strings.Contains(out.String(), "ledger ok") {
		t.Fatalf("check after moving events out: %v\n%s", err, out.String())
	}
}

// TestArchiveReportReadsTheMonthWhole: `tally archive --report` of a month
// whose last member is damaged writes no row (not the members before it,
// which would pass for the whole month) and names the file; with the file
// whole it writes every archived order once.
func TestArchiveReportReadsTheMonthWhole(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	// four days in the middle of last month, whatever today is, archived
	// by two runs: up to the 12th, then the rest
	now := time.Now().UTC()
	day1 := time.Date(now.Year(), now.Month()-1, 10, 0, 0, 0, 0, time.UTC)
	month := day1.Format("2006-01")
	keep := func(upTo time.Time) string { return strconv.Itoa(int(now.Sub(upTo).Hours()/24)) + "d" }
	var out bytes.Buffer
	if err := run(context.Background(), []string{"generate", "--data", dir, "--events", "3000", "--days", "4", "--start", day1.Format("2006-01-02"), "--tz", "UTC", "--ceiling=false"}, &out, &out); err != nil {
		t.Fatalf("generate: %v\n%s", err, out.String())
	}
	for _, keep := range []string{keep(day1.AddDate(0, 0, 2)), keep(day1.AddDate(0, 0, 5))} { // two runs: two members
		out.Reset()
		if err := run(context.Background(), []string{"archive", "--data", dir, "--keep-orders", keep}, &out, &out); err != nil {
			t.Fatalf("archive --keep-orders %s: %v\n%s", keep, err, out.String())
		}
	}
	path := filepath.Join(dir, "archive", month+".orders.jsonl.gz")
	whole, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(context.Background(), []string{"archive", "--data", dir, "--report", month}, &out, &out); err != nil {
		t.Fatalf("report: %v\n%s", err, out.String())
	}
	rows := strings.Count(out.String(), "\n") - 1
	l, err := wms.Open(dir, wms.Options{})
	if err != nil {
		t.Fatal(err)
	}
	first := 0
	_ = l.ArchivedOrders(month, func(wms.ArchivedOrder) error { first++; return nil })
	l.Close()
	if rows < 2 || rows != first {
		t.Fatalf("report of the whole month: %d rows, %d archived orders", rows, first)
	}
	// the second run's member: cut its last bytes
	if members := strings.Count(string(whole), "\x1f\x8b\x08"); members < 2 {
		t.Fatalf("the month has %d gzip members, want one a run", members)
	}
	if err := os.WriteFile(path, whole[:len(whole)-8], 0o640); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	err = run(context.Background(), []string{"archive", "--data", dir, "--report", month}, &out, &out)
	if err == nil || !strings.Contains(err.Error(), month+".orders.jsonl.gz") || strings.Contains(out.String(), "owner,order") {
		t.Fatalf("report of a damaged month: %v\n%s", err, out.String())
	}
}
