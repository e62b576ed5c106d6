package wms

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// TestArchiveOrders: finished orders past the retention leave the live store
// for the archive, by events a rebuild replays to the same state (openTest's
// cleanup runs Check), and are found there by owner and number.
func TestArchiveOrders(t *testing.T) {
	l, clock := openTest(t)
	monthSetup(t, l, 0)
	for d := range 3 {
		monthDay(t, l, clock, d, 6)
	}
	old := mustOrdersIn(t, l, OrderShipped)
	before, err := l.Order("D000O00000")
	if err != nil {
		t.Fatal(err)
	}

	// nothing is old enough yet
	run, err := l.Archive(ctx, DefaultRetention(), "system", "test")
	if err != nil {
		t.Fatal(err)
	}
	if run.Orders != 0 || run.Events != 0 {
		t.Fatalf("archived %d orders in %d events before their retention", run.Orders, run.Events)
	}

	clock.Add(31 * 24 * time.Hour)
	monthDay(t, l, clock, 40, 4) // today's work stays
	defer func(n int) { scanChunk = n }(scanChunk)
	scanChunk = 5 // the scans resume across read transactions
	run, err = l.Archive(ctx, DefaultRetention(), "system", "test")
	if err != nil {
		t.Fatal(err)
	}
	if run.Orders != len(old) || run.Skipped != 0 {
		t.Fatalf("archived %d orders (%d skipped), want %d", run.Orders, run.Skipped, len(old))
	}
	if left := mustOrdersIn(t, l, OrderShipped); len(left) != 4 {
		t.Fatalf("%d shipped orders left live, want today's 4", len(left))
	}
	if _, err := l.Order("D000O00000"); ErrorCode(err) != CodeNotFound {
		t.Fatalf("archived order still live: %v", err)
	}
	a, err := l.Books(DefaultOwner).ArchivedOrder("D000O00000")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a.Order, before) || a.Pack == nil || len(a.Pack.Parcels) != 1 || len(a.Tasks) == 0 || a.Archived == nil {
		t.Fatalf("archived record: %+v", a)
	}
	if _, err := l.Books(DefaultOwner).ArchivedOrder("NOPE"); ErrorCode(err) != CodeNotFound {
		t.Fatalf("unknown order: %v", err)
	}
	// the archived days' tasks and waves went with their orders; today's stay
	err = l.view(func(tx *txn) error {
		return tx.Bucket(bucketTasks).ForEach(func(k, v []byte) error {
			task, err := decodeTask(v)
			if err != nil {
				return err
			}
			for _, to := range task.Orders {
				if to.Order[:4] != "D040" {
					return fmt.Errorf("task %s of archived order %s is still live", k, to.Order)
				}
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}

	// the same order sent again is a duplicate, answered from the archive;
	// changed, it is refused: an archived order is never taken in again
	again := order("D000O00000", LineIn{"M000", 1}, LineIn{"M007", 2}, LineIn{"M019", 1})
	again.Carrier = "SF"
	if o, dup, err := l.ReceiveOrder(ctx, "", again, "oms", "api"); err != nil || !dup || o.State != OrderShipped {
		t.Fatalf("the archived order sent again: %+v dup %v, %v", o.State, dup, err)
	}
	again.Notes = "changed"
	if _, _, err := l.ReceiveOrder(ctx, "", again, "oms", "api"); ErrorCode(err) != CodeConflict {
		t.Fatalf("the archived order changed: %v", err)
	}

	// so in a batch: the same again a duplicate, changed refused, and
	// neither stops the batch's other orders
	fresh := order("NEW-AFTER-ARCHIVE", LineIn{"M000", 1})
	changed := again
	again.Notes = ""
	b, err := l.ReceiveOrders(ctx, "", []OrderIntake{again, changed, fresh}, "oms", "api")
	if err != nil {
		t.Fatalf("a batch with archived orders: %v", err)
	}
	if r := b.Orders; r[0].Result != BatchDuplicate || r[0].State != OrderShipped ||
		r[1].Result != BatchRefused || r[1].Error.Key != "order.in_archive" || r[2].Result != BatchCreated {
		t.Fatalf("a batch with archived orders: %+v", b)
	}

	// a month's report reads every archived order once
	var months []string
	for _, o := range old {
		m := o.Updated.In(l.zone).Format("2006-01")
		if len(months) == 0 || months[len(months)-1] != m {
			months = append(months, m)
		}
	}
	seen := map[string]bool{}
	for _, m := range months {
		if err := l.ArchivedOrders(m, func(a ArchivedOrder) error {
			if seen[a.Order.No] {
				return fmt.Errorf("%s twice", a.Order.No)
			}
			seen[a.Order.No] = true
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	if len(seen) != len(old) {
		t.Fatalf("the months' reports hold %d orders, want %d", len(seen), len(old))
	}
	if err := l.ArchivedOrders("2026-13", func(ArchivedOrder) error { return nil }); ErrorCode(err) != CodeInvalid {
		t.Fatalf("month 13: %v", err)
	}
	if err := l.ArchivedOrders("1999-01", func(ArchivedOrder) error { t.Fatal("an order in 1999"); return nil }); err != nil {
		t.Fatalf("a month without archive: %v", err)
	}

	// a second run finds nothing more
	run, err = l.Archive(ctx, DefaultRetention(), "system", "test")
	if err != nil || run.Orders != 0 {
		t.Fatalf("second run: %d orders, %v", run.Orders, err)
	}
	// the log replays to the same state
	if err := l.Rebuild(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Books(DefaultOwner).ArchivedOrder("D002O00005"); err != nil {
		t.Fatalf("after a rebuild: %v", err)
	}
}

// TestArchiveWaitsForUpstreams: an order leaves only once every upstream
// has acknowledged the events since it finished.
func TestArchiveWaitsForUpstreams(t *testing.T) {
	l, clock := openTest(t)
	monthSetup(t, l, 0)
	saveTestUpstream(t, l, "oms", "")
	monthDay(t, l, clock, 0, 3)
	clock.Add(31 * 24 * time.Hour)
	run, err := l.Archive(ctx, DefaultRetention(), "system", "test")
	if err != nil {
		t.Fatal(err)
	}
	if run.Orders != 0 {
		t.Fatalf("archived %d orders the upstream has not acknowledged", run.Orders)
	}
	if err := l.RecordAck(ctx, SyncAck{Upstream: "oms", Through: l.LastSeq(), Acked: 1}); err != nil {
		t.Fatal(err)
	}
	if run, err = l.Archive(ctx, DefaultRetention(), "system", "test"); err != nil || run.Orders != 3 {
		t.Fatalf("after the acknowledgement: %d orders archived, %v", run.Orders, err)
	}
}

// TestArchiveRefusesChangedOrders: the event is refused when what it
// removes is not what the archive holds (an order changed after the run
// read it), and a crash's leftovers in a file are passed over by the next
// run (which writes after them) and by the month's readers.
func TestArchiveRefusesChangedOrders(t *testing.T) {
	l, clock := openTest(t)
	monthSetup(t, l, 0)
	monthDay(t, l, clock, 0, 2)
	clock.Add(31 * 24 * time.Hour)
	p := HistoryArchived{Orders: []ArchivedRef{{No: "D000O00000"}}, File: "2026-11.orders.jsonl.gz", Digest: "0000"}
	if err := l.appendArchived(ctx, p, p.File, 0, 0, "system", "test", &ArchiveRun{}); ErrorCode(err) != CodeConflict {
		t.Fatalf("a wrong digest: %v", err)
	}
	p.Orders = []ArchivedRef{{No: "D040O00000"}}
	if err := l.appendArchived(ctx, p, p.File, 0, 0, "system", "test", &ArchiveRun{}); ErrorCode(err) != CodeConflict {
		t.Fatalf("an unknown order: %v", err)
	}
	// a crash left half a member beyond the committed end
	if err := os.MkdirAll(l.ArchiveDir(), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(l.ArchiveDir(), p.File), []byte("\x1f\x8bhalf"), 0o640); err != nil {
		t.Fatal(err)
	}
	run, err := l.Archive(ctx, DefaultRetention(), "system", "test")
	if err != nil || run.Orders != 2 {
		t.Fatalf("run after a crash: %d orders, %v", run.Orders, err)
	}
	for _, no := range []string{"D000O00000", "D000O00001"} {
		if _, err := l.Books(DefaultOwner).ArchivedOrder(no); err != nil {
			t.Fatalf("%s: %v", no, err)
		}
	}
	n := 0
	if err := l.ArchivedOrders("2026-11", func(ArchivedOrder) error { n++; return nil }); err != nil || n != 2 {
		t.Fatalf("the month after a crash's leftovers: %d orders, %v", n, err)
	}
	if err := (Retention{Orders: time.Hour}).Validate(); ErrorCode(err) != CodeInvalid {
		t.Fatalf("an hour's retention: %v", err)
	}
}

// TestArchiveFigures: staff figures of days past their retention leave; the
// figures of the days kept are unchanged.
func TestArchiveFigures(t *testing.T) {
	l, clock := openTest(t)
	monthSetup(t, l, 0)
	monthDay(t, l, clock, 0, 3)
	clock.Add(3 * 24 * time.Hour)
	keptFrom := clock.Now()
	monthDay(t, l, clock, 1, 3)
	q := FiguresQuery{From: keptFrom, To: clock.Now()}
	want, err := l.Figures(q)
	if err != nil {
		t.Fatal(err)
	}
	wantDay, err := l.KPIs(keptFrom.In(l.zone).Format("2006-01-02"))
	if err != nil {
		t.Fatal(err)
	}
	// the first day is past a retention of 2 days; the second is not
	r := DefaultRetention()
	r.Figures = 48 * time.Hour
	run, err := l.Archive(ctx, r, "system", "test")
	if err != nil {
		t.Fatal(err)
	}
	if run.Figures == 0 {
		t.Fatal("no figures archived")
	}
	got, err := l.Figures(q)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("figures of the kept days changed:\n got %+v\nwant %+v", got, want)
	}
	gotDay, _ := l.KPIs(keptFrom.In(l.zone).Format("2006-01-02"))
	if !reflect.DeepEqual(gotDay, wantDay) {
		t.Fatalf("a kept day's figures changed: %v, want %v", gotDay, wantDay)
	}
	first := time.Date(2026, 11, 11, 0, 0, 0, 0, l.zone).Format("2006-01-02")
	if day, _ := l.KPIs(first); len(day) != 0 {
		t.Fatalf("the archived day's figures are still live: %v", day)
	}
	units, err := l.PersonUnits("B1001", time.Time{}, keptFrom)
	if err != nil || len(units) != 0 {
		t.Fatalf("%d archived units of work still live (%v)", len(units), err)
	}
}

// TestArchiveDropsOldAnswers: after the keys' retention a key's stored
// answer is dropped; a repeat is still recognised (never applied twice,
// answered from the state) and a key reused for another request is still
// refused.
func TestArchiveDropsOldAnswers(t *testing.T) {
	l, clock := openTest(t)
	monthSetup(t, l, 0)
	mustOrder(t, l, order("K1", LineIn{"M001", 1}))
	f := WaveFilter{Mode: WaveSingle}
	w, err := l.ReleaseWave(ctx, f, "wave-key", "B4001", "web")
	if err != nil {
		t.Fatal(err)
	}
	clock.Add(8 * 24 * time.Hour)
	run, err := l.Archive(ctx, DefaultRetention(), "system", "test")
	if err != nil {
		t.Fatal(err)
	}
	if run.Answers == 0 {
		t.Fatal("no answers dropped")
	}
	again, err := l.ReleaseWave(ctx, f, "wave-key", "B4001", "web")
	if err != nil || again.ID != w.ID {
		t.Fatalf("repeat after the retention: %+v, %v", again, err)
	}
	if n := len(mustOrdersIn(t, l, OrderAllocated)); n != 1 {
		t.Fatalf("%d orders allocated", n)
	}
	if _, err := l.ReleaseWave(ctx, WaveFilter{Mode: WaveCluster, ClusterSize: 2}, "wave-key", "B4001", "web"); ErrorCode(err) != CodeConflict {
		t.Fatalf("key reused for another request: %v", err)
	}
	if run, err = l.Archive(ctx, DefaultRetention(), "system", "test"); err != nil || run.Answers != 0 {
		t.Fatalf("second run dropped %d answers: %v", run.Answers, err)
	}
}
