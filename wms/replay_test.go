package wms

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// smallChunks makes replays commit every n events for one test.
func smallChunks(t *testing.T, n int) {
	t.Helper()
	was := replayChunkEvents
	replayChunkEvents = n
	t.Cleanup(func() { replayChunkEvents = was })
}

// A rebuild cut off midway (here: a write that fails after three chunks,
// as a full disk or a killed process leaves it) leaves a file marked as
// being rebuilt, never projections that look complete: check refuses to
// judge it, and the next Open carries on from the last committed chunk (not
// from the start) and ends with the projections a whole rebuild gives.
func TestRebuildInterruptedResumesOnOpen(t *testing.T) {
	smallChunks(t, 7)
	dir := t.TempDir()
	var fail atomic.Bool
	var writes atomic.Int64
	opt := Options{Zone: time.FixedZone("CST", 8*3600), FailWrites: func() error {
		if n := writes.Add(1); fail.Load() && n > 3 {
			return errors.New("disk gone")
		}
		return nil
	}}
	l, err := Open(dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	seedSmall(t, l)
	var evs []Event
	for i := range 80 {
		ev, err := NewEvent(fmt.Sprintf("adj-%d", i), EvStockAdjusted, "B1001", "test",
			StockAdjustment{SKU: "BOOK", Location: "A01-01-02", Delta: int64(1 + i%3), Reason: "test"})
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, ev)
	}
	if err := l.AppendAll(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	last := l.LastSeq()
	if last < 60 {
		t.Fatalf("only %d events: too few for chunks of 7", last)
	}
	want := snapshot(t, l)

	writes.Store(0)
	fail.Store(true)
	err = l.Rebuild()
	if err == nil {
		t.Fatal("the rebuild went through a failing write")
	}
	reached, unfinished := l.RebuildUnfinished()
	if !unfinished || reached == 0 || reached >= last {
		t.Fatalf("after a rebuild cut off: unfinished %v at %d of %d", unfinished, reached, last)
	}
	if reached != 14 { // the reset, then two chunks of 7 committed; the third failed
		t.Errorf("reached %d, want 14 (two whole chunks)", reached)
	}
	l.Close()
	fail.Store(false)

	// Opened as `tally check` opens it: stale, never taken for sound.
	k, err := Open(dir, Options{KeepProjections: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, stale := k.StaleProjections(); !stale {
		t.Error("half-built projections are not stale")
	}
	if r, ok := k.RebuildUnfinished(); !ok || r != reached {
		t.Errorf("RebuildUnfinished = %d, %v; want %d, true", r, ok, reached)
	}
	k.Close()

	writes.Store(0)
	l, err = Open(dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	// one write makes the buckets, one reads the mark, then a chunk per 7
	// events left (and one more when they divide evenly); starting over
	// would take two more chunks
	left := int64(last - reached)
	if max := 2 + left/7 + 1; writes.Load() > max {
		t.Errorf("the resumed rebuild made %d writes, want at most %d (it started over?)", writes.Load(), max)
	}
	if _, ok := l.RebuildUnfinished(); ok {
		t.Error("still marked as being rebuilt after Open finished it")
	}
	if _, stale := l.StaleProjections(); stale {
		t.Error("stale after Open finished the rebuild")
	}
	if got := snapshot(t, l); got != want {
		t.Error("the resumed rebuild gives other projections than the log's")
	}
	mm, err := l.Check(dir)
	if err != nil || len(mm) != 0 {
		t.Fatalf("check after the resumed rebuild: %v %v", mm, err)
	}
}

// An upgrade that is cut off says what it upgraded from when the next Open
// finishes it.
func TestUpgradeInterruptedKeepsItsFromVersion(t *testing.T) {
	smallChunks(t, 5)
	dir := t.TempDir()
	l, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	seedSmall(t, l)
	mustOrder(t, l, order("SO4001", LineIn{"BOOK", 2}))
	if err := l.update(func(tx *txn) error {
		return tx.Bucket(bucketMeta).Put(metaProjections, []byte("9"))
	}); err != nil {
		t.Fatal(err)
	}
	l.Close()

	var writes atomic.Int64
	_, err = Open(dir, Options{FailWrites: func() error {
		if writes.Add(1) > 2 {
			return errors.New("killed")
		}
		return nil
	}})
	if err == nil {
		t.Fatal("Open upgraded through a failing write")
	}
	l, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if from, ok := l.RebuiltFrom(); !ok || from != "9" {
		t.Errorf("RebuiltFrom = %q, %v; want 9", from, ok)
	}
	mm, err := l.Check(dir)
	if err != nil || len(mm) != 0 {
		t.Fatalf("check: %v %v", mm, err)
	}
}

// Check of a store over scratchMemMax rebuilds into a file beside it (in
// chunks), finds damage as the in-memory one does, and leaves no file.
func TestCheckOnDiskScratchInChunks(t *testing.T) {
	smallChunks(t, 3)
	was := scratchMemMax
	scratchMemMax = 0
	t.Cleanup(func() { scratchMemMax = was })

	l, _ := openTest(t)
	seedSmall(t, l)
	scratch := t.TempDir()
	mm, err := l.Check(scratch)
	if err != nil || len(mm) != 0 {
		t.Fatalf("check of a sound store: %v %v", mm, err)
	}
	if err := l.corruptForTest(bucketStock, stockKey(DefaultOwner, "BOOK", "", "A01-01-01"), qtyValue(99)); err != nil {
		t.Fatal(err)
	}
	mm, err = l.Check(scratch)
	if err != nil {
		t.Fatal(err)
	}
	if len(mm) != 1 || mm[0].Bucket != "stock" {
		t.Fatalf("mismatches = %v, want one in stock", mm)
	}
	left, _ := filepath.Glob(filepath.Join(scratch, "*"))
	if len(left) != 0 {
		t.Errorf("the check left %v behind", left)
	}
	if err := l.Rebuild(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(l.Path()); err != nil {
		t.Fatal(err)
	}
}

// A store whose projections differ everywhere is reported by its first
// MaxMismatches differences, not by a list as big as the store.
func TestCheckReturnsAtMostMaxMismatches(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	seedSmall(t, l)
	if err := l.update(func(tx *txn) error {
		for i := range MaxMismatches + 5 {
			if err := tx.Bucket(bucketGTINs).Put(fmt.Appendf(nil, "bogus-%06d", i), []byte("x")); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketStock).Put(stockKey(DefaultOwner, "BOOK", "", "A01-01-01"), qtyValue(99))
	}); err != nil {
		t.Fatal(err)
	}
	mm, err := l.Check(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(mm) != MaxMismatches {
		t.Fatalf("%d mismatches, want the first %d", len(mm), MaxMismatches)
	}
	if mm[0].Bucket != "gtins" || mm[0].Key != "bogus-000000" || mm[0].Built != "" {
		t.Errorf("first mismatch %v", mm[0])
	}
}
