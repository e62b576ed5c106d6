package wms

import (
	"testing"
)

// exceptionsOf reads the queue and finds one exception of a kind by ref.
func exceptionsOf(t *testing.T, l *Ledger, f ExceptionFilter) ExceptionList {
	t.Helper()
	list, err := l.Exceptions(f)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func findException(list []Exception, kind, ref string) (Exception, bool) {
	for _, e := range list {
		if e.Kind == kind && (ref == "" || e.Ref == ref) {
			return e, true
		}
	}
	return Exception{}, false
}

// wantOpen fails unless the queue has the exception open (and not resolved).
func wantOpen(t *testing.T, l *Ledger, kind, ref string) Exception {
	t.Helper()
	list := exceptionsOf(t, l, ExceptionFilter{})
	e, ok := findException(list.Open, kind, ref)
	if !ok {
		t.Fatalf("%s %s is not open: %+v", kind, ref, list.Open)
	}
	if _, also := findException(list.Resolved, kind, e.Ref); also {
		t.Errorf("%s %s is open and resolved", kind, ref)
	}
	if list.Counts[kind] < 1 {
		t.Errorf("badge of %s: %d", kind, list.Counts[kind])
	}
	return e
}

// wantResolved fails unless the exception left the open list and shows who
// resolved it, how and when.
func wantResolved(t *testing.T, l *Ledger, kind, ref, by, how string) Exception {
	t.Helper()
	list := exceptionsOf(t, l, ExceptionFilter{})
	if e, open := findException(list.Open, kind, ref); open {
		t.Fatalf("%s %s is still open: %+v", kind, ref, e)
	}
	e, ok := findException(list.Resolved, kind, ref)
	if !ok {
		t.Fatalf("%s %s is not among the resolved: %+v", kind, ref, list.Resolved)
	}
	if e.Resolved.By != by || e.Resolved.How != how || !e.Resolved.At.Equal(l.Now()) {
		t.Errorf("%s %s resolved %+v, want by %s, %s, at %v", kind, ref, e.Resolved, by, how, l.Now())
	}
	return e
}

func TestExceptionsShortPickThenCountVariance(t *testing.T) {
	l := stockFixture(t)
	mustAppend(t, l, "book-r", EvStockAdjusted, StockAdjustment{SKU: "BOOK", Location: "R01-01-01", Delta: 10, Reason: "x"})
	mustOrder(t, l, order("SO1", LineIn{"BOOK", 5}))
	mustWave(t, l, "w1", WaveSingle)
	task, _ := l.NextTask(ctx, "B1001", "pda-1")
	if list := exceptionsOf(t, l, ExceptionFilter{}); len(list.Open) != 0 {
		t.Fatalf("open before anything went wrong: %+v", list.Open)
	}
	raw, _, err := l.ReportShort(ctx, "short-1", ShortReport{Task: task.ID, Line: task.Lines[0].N, Reason: "empty"}, "B1001", "pda-1")
	if err != nil {
		t.Fatal(err)
	}
	task = asTask(t, raw)
	counts, _ := l.TasksIn(TaskOpen, 10)
	if len(counts) != 1 {
		t.Fatalf("count tasks %+v", counts)
	}
	e := wantOpen(t, l, ExShortPick, counts[0].ID)
	if e.What["location"] != "A01-01-01" || e.What["sku"] != "BOOK" || e.What["order"] != "SO1" || e.What["realloc"] != "5" ||
		e.By != "B1001" || !e.Since.Equal(l.Now()) || len(e.Owners) != 1 || e.Owners[0] != DefaultOwner {
		t.Errorf("short pick %+v", e)
	}
	// the count finds the shelf empty: the short pick is resolved by the
	// counter, and the variance waits for a supervisor
	res, err := l.SubmitCount(ctx, "count-1", CountSubmit{Task: counts[0].ID, Location: "A01-01-01"}, "B1003", "pda-3")
	if err != nil || res.State != "pending" {
		t.Fatalf("count %+v %v", res, err)
	}
	wantResolved(t, l, ExShortPick, counts[0].ID, "B1003", "counted")
	v := wantOpen(t, l, ExCountVariance, res.ID)
	if v.By != "B1003" || v.What["location"] != "A01-01-01" || v.Since.IsZero() {
		t.Errorf("variance %+v", v)
	}
	if _, err := l.DecideCount(ctx, "decide-1", CountDecision{Count: res.ID, Approve: false}, "B4001", "pc"); err != nil {
		t.Fatal(err)
	}
	wantResolved(t, l, ExCountVariance, res.ID, "B4001", "rejected")
	// a kind filter keeps every badge
	list := exceptionsOf(t, l, ExceptionFilter{Kind: ExDeadLetter})
	if len(list.Open) != 0 || len(list.Resolved) != 0 {
		t.Errorf("dead letters only: %+v", list)
	}
	if _, err := l.Exceptions(ExceptionFilter{Kind: "nonsense"}); ErrorCode(err) != CodeInvalid {
		t.Errorf("unknown kind: %v", err)
	}
	// resolved ones older than the days asked for are left out
	_ = pickAll(t, l, "B1001", task, nil)
}

func TestExceptionsWeightRejectOverrideAndPrint(t *testing.T) {
	l, _ := packFixture(t)
	milk, _ := l.SKU("MILK")
	book, _ := l.SKU("BOOK")
	o, _ := l.Order("SO1")
	lot := o.Lines[0].Allocs[0].Lot
	for i, p := range []PackScan{{GTIN: milk.GTINs[0], Lot: lot, Serial: "C1"}, {GTIN: milk.GTINs[0], Lot: lot, Serial: "C2"}, {GTIN: book.GTINs[0]}} {
		p.Order, p.Station, p.Qty = "SO1", "PACK-01", 1
		if _, err := l.PackScan(ctx, "pk"+string(rune('a'+i)), p, "B2001", "kiosk"); err != nil {
			t.Fatal(err)
		}
	}
	// the waybill pool holds 3 numbers: below the mark from the start
	pool := wantOpen(t, l, ExWaybillPoolLow, DefaultOwner+"/SF")
	if pool.What["left"] != "3" || pool.Since.IsZero() {
		t.Errorf("pool %+v", pool)
	}
	if _, err := l.CloseParcel(ctx, "p-bad", ParcelClose{Order: "SO1", Station: "PACK-01", Box: "L3", WeightG: 100}, "B2001", "kiosk"); ErrorCode(err) == "" {
		t.Fatal("a parcel of 100 g passed the gate")
	}
	rej := wantOpen(t, l, ExWeightReject, "p-bad:rejected")
	if rej.What["order"] != "SO1" || rej.What["weight"] != "100" || rej.By != "B2001" {
		t.Errorf("reject %+v", rej)
	}
	mustAppend(t, l, "sup", EvStaffUpserted, StaffChange{Badge: "B4001", Name: "赵敏", Role: RoleSupervisor, PINHash: "x"})
	if _, err := l.CloseParcel(ctx, "p1", ParcelClose{Order: "SO1", Station: "PACK-01", Box: "L3", WeightG: 4000, Typed: true, Override: &Override{Badge: "B4001", Reason: "赠品"}}, "B2001", "kiosk"); err != nil {
		t.Fatal(err)
	}
	over := wantOpen(t, l, ExWeightOverride, "p1")
	if over.What["supervisor"] != "B4001" || over.What["reason"] != "赠品" {
		t.Errorf("override %+v", over)
	}
	// reviews: the kind must fit the event, twice with one key is once, a
	// second review with another key is refused
	if _, err := l.AcknowledgeException(ctx, "ack-x", ExceptionAck{Kind: ExWeightOverride, Ref: "p-bad:rejected"}, "B4001", "pc"); ErrorCode(err) != CodeNotFound {
		t.Errorf("an override review of a reject: %v", err)
	}
	if _, err := l.AcknowledgeException(ctx, "ack-y", ExceptionAck{Kind: ExShortPick, Ref: "C1"}, "B4001", "pc"); ErrorCode(err) != CodeInvalid {
		t.Errorf("a short pick acknowledged: %v", err)
	}
	for range 2 {
		if _, err := l.AcknowledgeException(ctx, "ack-1", ExceptionAck{Kind: ExWeightReject, Ref: "p-bad:rejected", Note: "重称通过"}, "B4001", "pc"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.AcknowledgeException(ctx, "ack-2", ExceptionAck{Kind: ExWeightReject, Ref: "p-bad:rejected"}, "B4001", "pc"); ErrorCode(err) != CodeConflict {
		t.Errorf("a second review: %v", err)
	}
	if e := wantResolved(t, l, ExWeightReject, "p-bad:rejected", "B4001", "acknowledged"); e.Resolved.Note != "重称通过" {
		t.Errorf("note %q", e.Resolved.Note)
	}
	if _, err := l.AcknowledgeException(ctx, "ack-3", ExceptionAck{Kind: ExWeightOverride, Ref: "p1"}, "B4001", "pc"); err != nil {
		t.Fatal(err)
	}
	wantResolved(t, l, ExWeightOverride, "p1", "B4001", "acknowledged")

	// a label that gave up, then a retry
	job, err := l.RequestPrint(ctx, "pr1", PrintRequest{Station: "PACK-01", Kind: "waybill", Order: "SO1", Parcel: 1}, "B2001", "kiosk")
	if err != nil {
		t.Fatal(err)
	}
	for i := range MaxPrintTries {
		if _, ok := findException(exceptionsOf(t, l, ExceptionFilter{}).Open, ExPrintFailed, job.ID); ok {
			t.Fatalf("open after %d failures", i)
		}
		if err := l.RecordPrint(ctx, "res"+string(rune('a'+i)), PrintResult{Job: job.ID, Status: "failed", Error: "connection refused"}); err != nil {
			t.Fatal(err)
		}
	}
	if e := wantOpen(t, l, ExPrintFailed, job.ID); e.What["error"] != "connection refused" {
		t.Errorf("print %+v", e)
	}
	if _, err := l.RetryPrint(ctx, "rt1", job.ID, "B4001", "pc"); err != nil {
		t.Fatal(err)
	}
	wantResolved(t, l, ExPrintFailed, job.ID, "B4001", "retried")

	// the owner filter: everything here is the default owner's
	if list := exceptionsOf(t, l, ExceptionFilter{Owner: "OTHER"}); len(list.Open)+len(list.Resolved) != 0 || list.Counts[ExWaybillPoolLow] != 0 {
		t.Errorf("another owner's queue: %+v", list)
	}
}

func TestExceptionsLotBlocks(t *testing.T) {
	l := stockFixture(t)
	if _, err := l.SweepExpired(ctx); err != nil {
		t.Fatal(err)
	}
	e := wantOpen(t, l, ExExpiryBlock, DefaultOwner+"/MILK/OLD")
	if e.What["qty"] != "5" || e.What["locations"] != "A01-02-01" || e.Since.IsZero() {
		t.Errorf("expired %+v", e)
	}
	if _, err := l.SetLotStatus(ctx, "hold-1", LotStatusChange{SKU: "MILK", Lot: "GOOD1", Status: LotHold, Reason: "recall"}, "B4001", "pc"); err != nil {
		t.Fatal(err)
	}
	// 3 on a pick shelf count; the 50 already in quarantine do not
	if e := wantOpen(t, l, ExRecallBlock, DefaultOwner+"/MILK/GOOD1"); e.What["qty"] != "3" || e.By != "B4001" {
		t.Errorf("held %+v", e)
	}
	if _, err := l.SetLotStatus(ctx, "release-1", LotStatusChange{SKU: "MILK", Lot: "GOOD1", Status: LotAvailable, Reason: "cleared"}, "B4001", "pc"); err != nil {
		t.Fatal(err)
	}
	if _, open := findException(exceptionsOf(t, l, ExceptionFilter{}).Open, ExRecallBlock, ""); open {
		t.Error("a released lot is still blocked")
	}
}
