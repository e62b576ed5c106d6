package wms

import (
	"reflect"
	"testing"
	"time"
)

// TestCountTasksLeave: a finished count task leaves past --keep-orders
// for the month's count file, read there (ArchivedCountTasks) as it was;
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
	if run, err := l.Archive(ctx, DefaultRetention(), "system", "test"); err != nil || run.CountTasks != 0 {
		t.Fatalf("within the retention: moved %d, %v", run.CountTasks, err)
	}
	clock.Add(2 * 24 * time.Hour)
	run, err := l.Archive(ctx, DefaultRetention(), "system", "test")
	if err != nil || run.CountTasks != 1 {
		t.Fatalf("past the retention: moved %d, %v", run.CountTasks, err)
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
	if err := l.ArchivedCountTasks(finished.Finished.In(l.zone).Format("2006-01"), func(t Task) error {
		archived = append(archived, t)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(archived) != 1 || !reflect.DeepEqual(archived[0], finished) {
		t.Fatalf("the month's count history: %+v, want %+v", archived, finished)
	}
	if err := l.ArchivedCountTasks("2026-13", func(Task) error { return nil }); ErrorCode(err) != CodeInvalid {
		t.Fatalf("month 13: %v", err)
	}
	if run, err := l.Archive(ctx, DefaultRetention(), "system", "test"); err != nil || run.CountTasks != 0 {
		t.Fatalf("a second run moved %d, %v", run.CountTasks, err)
	}
	before := projections(t, l)
	if err := l.Rebuild(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(projections(t, l), before) {
		t.Fatal("a rebuild gives other projections")
	}
}
