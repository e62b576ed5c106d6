package wms

import (
	"reflect"
	"testing"
	"time"
)

// TestCountTasksLeave: a finished count task leaves past --keep-orders
// for the month's count file, read there (ArchivedFloorTasks) as it was;
// an open one stays; the count's result stays live; a rebuild gives the
// same projections (and openTest's cleanup checks).
func TestCountTasksLeave(t *testing.T) {
	l := stockFixture(t)
	clock := &testClock{t: l.Now()}
	l.now = clock.Now
	if err := l.RequestCounts(ctx, "cr", CountRequest{Locations: []string{"A01-01-01", "A01-01-02"}, Reason: "cycle"}, "B4001", "web"); err != nil {
		t.Fatal(err)
	}
	counts, _ := l.TasksIn(TaskOpen, 10)
	if len(counts) != 2 {
		t.Fatalf("count tasks %+v", counts)
	}
	done := counts[0]
	res, err := l.SubmitCount(ctx, "c1", CountSubmit{Task: done.ID, Location: done.Location, Lines: []StockRow{{SKU: "BOOK", Qty: 7}}}, "B1001", "pda")
	if err != nil {
		t.Fatal(err)
	}
	finished, err := l.Task(done.ID)
	if err != nil || finished.State != TaskDone {
		t.Fatalf("the counted task: %+v %v", finished, err)
	}
	clock.Add(29 * 24 * time.Hour)
	if run, err := l.Archive(ctx, DefaultRetention(), "system", "test"); err != nil || run.FloorTasks != 0 {
		t.Fatalf("within the retention: moved %d, %v", run.FloorTasks, err)
	}
	clock.Add(2 * 24 * time.Hour)
	run, err := l.Archive(ctx, DefaultRetention(), "system", "test")
	if err != nil || run.FloorTasks != 1 {
		t.Fatalf("past the retention: moved %d, %v", run.FloorTasks, err)
	}
	if _, err := l.Task(done.ID); ErrorCode(err) != CodeNotFound {
		t.Fatalf("the finished count task is still live: %v", err)
	}
	if _, err := l.Task(counts[1].ID); err != nil {
		t.Fatalf("the open count task left: %v", err)
	}
	if got, err := l.Count(res.ID); err != nil || got.ID != res.ID {
		t.Fatalf("the count's result: %+v %v", got, err)
	}
	var archived []Task
	if err := l.ArchivedFloorTasks(finished.Finished.In(l.zone).Format("2006-01"), func(t Task) error {
		archived = append(archived, t)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(archived) != 1 || !reflect.DeepEqual(archived[0], finished) {
		t.Fatalf("the month's count history: %+v, want %+v", archived, finished)
	}
	if err := l.ArchivedFloorTasks("2026-13", func(Task) error { return nil }); ErrorCode(err) != CodeInvalid {
		t.Fatalf("month 13: %v", err)
	}
	if run, err := l.Archive(ctx, DefaultRetention(), "system", "test"); err != nil || run.FloorTasks != 0 {
		t.Fatalf("a second run moved %d, %v", run.FloorTasks, err)
	}
	before := projections(t, l)
	if err := l.Rebuild(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(projections(t, l), before) {
		t.Fatal("a rebuild gives other projections")
	}
}

// TestShortPickAfterItsCountTaskLeft: a short pick's count task that left
// for the tasks file still resolves the short pick in the exceptions, as
// before the move (read from the file).
func TestShortPickAfterItsCountTaskLeft(t *testing.T) {
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
	if len(counts) != 1 || counts[0].Kind != TaskCount {
		t.Fatalf("count tasks %+v", counts)
	}
	if _, err := l.SubmitCount(ctx, "count-1", CountSubmit{Task: counts[0].ID, Location: "A01-01-01", Lines: []StockRow{{SKU: "BOOK", Qty: 7}}}, "B1003", "pda-3"); err != nil {
		t.Fatal(err)
	}
	clock.Add(31 * 24 * time.Hour)
	filter := ExceptionFilter{Kind: ExShortPick, Days: 60}
	before := exceptionsOf(t, l, filter)
	r := DefaultRetention()
	r.Events = 0 // the short report itself stays in the live log (the exceptions read it there)
	run, err := l.Archive(ctx, r, "system", "test")
	if err != nil || run.FloorTasks != 1 {
		t.Fatalf("moved %d floor tasks: %v", run.FloorTasks, err)
	}
	if _, err := l.Task(counts[0].ID); ErrorCode(err) != CodeNotFound {
		t.Fatalf("the count task is still live: %v", err)
	}
	after := exceptionsOf(t, l, filter)
	if !reflect.DeepEqual(after, before) || len(before.Resolved) != 1 || before.Resolved[0].Resolved.By != "B1003" {
		t.Fatalf("the short pick after its count task left: %+v, was %+v", after, before)
	}
}
