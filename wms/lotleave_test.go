package wms

import (
	"reflect"
	"testing"
	"time"
)

// TestIdleLotsLeave: a lot with no stock, no reservation and no event
// within --keep-orders leaves lots for archived_lots; a lot with stock
// stays; the trace and Books.Lot still find it as it was; the sweep
// expires it in its entry past its expiry; stock of it placed again
// brings it back live as it was (its expiry still checked); a status
// change brings it back too; a standby and a rebuild reach the same
// projections (and openTest's cleanup checks).
func TestIdleLotsLeave(t *testing.T) {
	l := receiveFixture(t)
	clock := &testClock{t: l.Now()}
	l.now = clock.Now
	near, _ := openTest(t)
	if err := near.Follow("http://primary:8080"); err != nil {
		t.Fatal(err)
	}
	archive := func() (ArchiveRun, error) {
		replicateAll(t, l, near, 50)
		r := DefaultRetention()
		r.Events = 0 // the lots' stories stay in the live log (lot_events)
		return l.Archive(ctx, r, "system", "test")
	}
	mustAppend(t, l, "in-1", EvStockAdjusted, StockAdjustment{SKU: "MILK", Lot: "GONE1", Expiry: "2027-01-10", Location: "A01-01-01", Delta: 3, Reason: "found"})
	mustAppend(t, l, "out-1", EvStockAdjusted, StockAdjustment{SKU: "MILK", Lot: "GONE1", Location: "A01-01-01", Delta: -3, Reason: "damaged"})
	mustAppend(t, l, "in-2", EvStockAdjusted, StockAdjustment{SKU: "MILK", Lot: "GONE2", Expiry: "2029-01-10", Location: "A01-01-01", Delta: 2, Reason: "found"})
	mustAppend(t, l, "out-2", EvStockAdjusted, StockAdjustment{SKU: "MILK", Lot: "GONE2", Location: "A01-01-01", Delta: -2, Reason: "damaged"})
	books := l.Books(DefaultOwner)
	was1, _, _ := books.Lot("MILK", "GONE1")
	_, story, err := books.LotTrace("MILK", "GONE1")
	if err != nil || len(story) != 2 {
		t.Fatalf("the lot's story: %d events %v", len(story), err)
	}
	live := bucketLen(t, l, bucketLots)
	clock.Add(29 * 24 * time.Hour)
	if run, err := archive(); err != nil || run.IdleLots != 0 {
		t.Fatalf("within the retention: moved %d, %v", run.IdleLots, err)
	}
	clock.Add(2 * 24 * time.Hour)
	run, err := archive()
	if err != nil || run.IdleLots < 2 {
		t.Fatalf("past the retention: moved %d lots, %v", run.IdleLots, err)
	}
	if n := bucketLen(t, l, bucketLots); n != live-run.IdleLots || n == 0 {
		t.Fatalf("live lots %d, were %d, %d moved: the lots with stock stay", n, live, run.IdleLots)
	}
	if got, ok, err := books.Lot("MILK", "GONE1"); err != nil || !ok || !reflect.DeepEqual(got, was1) {
		t.Fatalf("the archived lot: %+v %v %v, want %+v", got, ok, err, was1)
	}
	if got, again, err := books.LotTrace("MILK", "GONE1"); err != nil || !reflect.DeepEqual(got, was1) || len(again) != 2 {
		t.Fatalf("the archived lot's trace: %+v %d events %v", got, len(again), err)
	}
	// the sweep expires the archived lot past its expiry (GONE1 expired on
	// 2027-01-10; the clock is at 2026-12-12)
	clock.Add(40 * 24 * time.Hour)
	if _, err := l.SweepExpired(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := books.Lot("MILK", "GONE1"); got.Status != LotExpired {
		t.Fatalf("the swept archived lot: %+v", got)
	}
	if got, _, _ := books.Lot("MILK", "GONE2"); got.Status != LotAvailable {
		t.Fatalf("the archived lot before its expiry: %+v", got)
	}
	// placed again: its expiry is checked, then it is live as it was
	ev, _ := NewEvent("in-3", EvStockAdjusted, "B1001", "test", StockAdjustment{SKU: "MILK", Lot: "GONE2", Expiry: "2030-01-01", Location: "A01-01-01", Delta: 1, Reason: "found"})
	if _, _, err := l.Append(ctx, ev); errKey(err) != "stock.expiry_mismatch" {
		t.Fatalf("the archived lot with another expiry: %v", err)
	}
	mustAppend(t, l, "in-4", EvStockAdjusted, StockAdjustment{SKU: "MILK", Lot: "GONE2", Expiry: "2029-01-10", Location: "A01-01-01", Delta: 1, Reason: "found"})
	if lotLive(t, l, "GONE2") != true {
		t.Fatal("GONE2 is not live again")
	}
	// a status change (a hold) brings it back live with its status
	if _, err := l.SetLotStatus(ctx, "hold-1", LotStatusChange{SKU: "MILK", Lot: "GONE1", Status: LotHold, Reason: "recall"}, "B9001", "web"); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := books.Lot("MILK", "GONE1"); got.Status != LotHold || !lotLive(t, l, "GONE1") {
		t.Fatalf("the held lot: %+v", got)
	}
	replicateAll(t, l, near, 50)
	sameState(t, l, near)
	before := projections(t, l)
	if err := l.Rebuild(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(projections(t, l), before) {
		t.Fatal("a rebuild gives other projections")
	}
}

// lotLive says whether the default owner's MILK lot is in the live lots.
func lotLive(t *testing.T, l *Ledger, lot string) bool {
	t.Helper()
	return lotLiveSKU(t, l, "MILK", lot)
}

// lotLiveSKU says whether the default owner's lot of sku is in the live lots.
func lotLiveSKU(t *testing.T, l *Ledger, sku, lot string) bool {
	t.Helper()
	var live bool
	if err := l.view(func(tx *txn) error {
		live = tx.Bucket(bucketLots).Get(lotKey(DefaultOwner, sku, lot)) != nil
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return live
}
