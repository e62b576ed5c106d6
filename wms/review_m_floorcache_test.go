package wms

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestFloorCountsKeptByFile: the exceptions' reads of archived count
// tasks read a month's file once for every request while its parts stay
// the same, and keep only its count tasks' outcomes.
func TestFloorCountsKeptByFile(t *testing.T) {
	l := stockFixture(t)
	clock := &testClock{t: l.Now()}
	l.now = clock.Now
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
	since := l.Now()
	clock.Add(31 * 24 * time.Hour)
	r := DefaultRetention()
	r.Events = 0
	if _, err := l.Archive(ctx, r, "system", "test"); err != nil {
		t.Fatal(err)
	}
	find := func() (Task, bool, error) {
		var got Task
		var ok bool
		err := l.view(func(tx *txn) error {
			var err error
			var c floorTaskCache
			got, ok, err = c.find(tx, counts[0].ID, since)
			return err
		})
		return got, ok, err
	}
	got, ok, err := find()
	if err != nil || !ok || got.State != TaskDone || got.Actor != "B1003" || len(got.Lines) != 0 {
		t.Fatalf("the archived count task: %+v %v %v", got, ok, err)
	}
	files, _ := filepath.Glob(filepath.Join(l.ArchiveDir(), "*"+floorTasksSuffix))
	if len(files) == 0 {
		t.Fatal("no tasks file")
	}
	for _, f := range files {
		if err := os.Rename(f, f+".away"); err != nil {
			t.Fatal(err)
		}
	}
	// another request: the file is not read again
	if got, ok, err := find(); err != nil || !ok || got.State != TaskDone {
		t.Fatalf("the second request read the file again: %+v %v %v", got, ok, err)
	}
	floorCounts.Lock()
	for k, f := range floorCounts.files {
		for id, t2 := range f.tasks {
			if k.db == l.db && t2.Kind != TaskCount {
				t.Errorf("%s keeps task %s of kind %s", k.file, id, t2.Kind)
			}
		}
	}
	floorCounts.Unlock()
	for _, f := range files {
		_ = os.Rename(f+".away", f)
	}
}

// TestReturnsOfOrdersLiveOnly: a run's read of the returns keeps nothing
// of an order that left (its parcels and RMAs stay in the store for ever).
func TestReturnsOfOrdersLiveOnly(t *testing.T) {
	l := shippedFixture(t)
	clock := &testClock{t: l.Now()}
	l.now = clock.Now
	if _, err := l.AnnounceReturn(ctx, "", RMA{RMA: "RMA-1", Order: "SO1"}, "oms", "api"); err != nil {
		t.Fatal(err)
	}
	returns, err := l.returnsOfOrders()
	if err != nil || returns[string(orderKey(DefaultOwner, "SO1"))] == nil {
		t.Fatalf("the live order's returns: %v %v", returns, err)
	}
	clock.Add(31 * 24 * time.Hour)
	if run, err := l.Archive(ctx, DefaultRetention(), "system", "test"); err != nil || run.Orders != 1 {
		t.Fatalf("archived %d %v", run.Orders, err)
	}
	if returns, err = l.returnsOfOrders(); err != nil || len(returns) != 0 {
		t.Fatalf("a run keeps %d orders' returns after they left: %v", len(returns), err)
	}
}
