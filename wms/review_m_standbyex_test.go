package wms

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// TestRVStandbyExceptionsAfterCountTaskLeft: on a standby (and so after a
// failover) a short pick whose count task left is shown unresolved: the
// standby has no meta archive_member:* (written by the primary's
// appendArchived callback, not by the event's apply), so
// floorTaskCache.find lists no tasks file even when the file is copied.
func TestRVStandbyExceptionsAfterCountTaskLeft(t *testing.T) {
	l := stockFixture(t)
	clock := &testClock{t: l.Now()}
	l.now = clock.Now
	sb, _ := openTest(t)
	sb.now = clock.Now
	if err := sb.Follow("http://primary:8080"); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, l, "book-r", EvStockAdjusted, StockAdjustment{SKU: "BOOK", Location: "R01-01-01", Delta: 10, Reason: "x"})
	mustOrder(t, l, order("SO1", LineIn{"BOOK", 5}))
	mustWave(t, l, "w1", WaveSingle)
	task, _ := l.NextTask(ctx, "B1001", "pda-1")
	if _, _, err := l.ReportShort(ctx, "short-1", ShortReport{Task: task.ID, Line: task.Lines[0].N, Reason: "empty"}, "B1001", "pda-1"); err != nil {
		t.Fatal(err)
	}
	counts, _ := l.TasksIn(TaskOpen, 10)
	if _, err := l.SubmitCount(ctx, "count-1", CountSubmit{Task: counts[0].ID, Location: "A01-01-01", Lines: []StockRow{{SKU: "BOOK", Qty: 7}}}, "B1003", "pda-3"); err != nil {
		t.Fatal(err)
	}
	replicateAll(t, l, sb, 50)
	clock.Add(31 * 24 * time.Hour)
	r := DefaultRetention()
	r.Events = 0
	if _, err := l.Archive(ctx, r, "system", "test"); err != nil {
		t.Fatal(err)
	}
	replicateAll(t, l, sb, 50)
	// the README's remedy: copy the primary's archive files to the standby
	files, _ := filepath.Glob(filepath.Join(l.ArchiveDir(), "*.jsonl.gz"))
	os.MkdirAll(sb.ArchiveDir(), 0o750)
	for _, f := range files {
		raw, _ := os.ReadFile(f)
		os.WriteFile(filepath.Join(sb.ArchiveDir(), filepath.Base(f)), raw, 0o640)
	}
	filter := ExceptionFilter{Kind: ExShortPick, Days: 60}
	p, s := exceptionsOf(t, l, filter), exceptionsOf(t, sb, filter)
	if !reflect.DeepEqual(p, s) {
		t.Errorf("the standby's exceptions differ from the primary's:\nprimary %+v\nstandby %+v", p, s)
	}
}
