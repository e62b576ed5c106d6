package wms

import (
	"fmt"
	"reflect"
	"testing"
	"time"
)

// Tests of the review of "idle lots leave the live store" (lotleave.go).

// A resellable return of a lot that left (held for a recall, then idle)
// is judged by the lot as it was: held units go to quarantine, not back
// towards a shelf. decideReturnReceived reads bucketLots only, so an
// archived lot reads as Lot{} (status "", no expiry) and passes Shippable.
func TestLotLeaveReturnOfArchivedHeldLot(t *testing.T) {
	l := shippedFixture(t)
	clock := &testClock{t: l.Now()}
	l.now = clock.Now
	mustAppend(t, l, "qa", EvLocationUpserted, Location{Code: "QA-09", Zone: "QA", PickSeq: 990, Kind: KindQuarantine})
	o, _ := l.Order("SO1")
	lot := o.Lines[0].Allocs[0].Lot
	rows, _ := l.StockRows(DefaultOwner)
	for i, r := range rows {
		if r.SKU == "MILK" && r.Lot == lot {
			mustAppend(t, l, fmt.Sprintf("zero%d", i), EvStockAdjusted, StockAdjustment{SKU: "MILK", Lot: lot, Location: r.Location, Delta: -r.Qty, Reason: "damaged"})
		}
	}
	if _, err := l.SetLotStatus(ctx, "recall", LotStatusChange{SKU: "MILK", Lot: lot, Status: LotHold, Reason: "recall"}, "B9001", "web"); err != nil {
		t.Fatal(err)
	}
	clock.Add(25 * 24 * time.Hour)
	if _, err := l.AnnounceReturn(ctx, "", RMA{RMA: "RMA-1", Order: "SO1", ReturnWaybill: "SF7000000000001", Reason: "x"}, "oms", "api"); err != nil {
		t.Fatal(err)
	}
	clock.Add(6 * 24 * time.Hour)
	r := DefaultRetention()
	r.Events = 0
	run, err := l.Archive(ctx, r, "system", "test")
	if err != nil || run.IdleLots == 0 || run.Orders != 0 {
		t.Fatalf("run %+v %v", run, err)
	}
	if lotLive(t, l, lot) {
		t.Fatal("lot still live")
	}
	if got, _, _ := l.Books(DefaultOwner).Lot("MILK", lot); got.Status != LotHold {
		t.Fatalf("archived lot %+v", got)
	}
	p, err := l.ReceiveReturn(ctx, ReturnParcel{ID: "r1", Order: "SO1", RMA: "RMA-1", ReturnWaybill: "SF7000000000001",
		Lines: []ReturnLine{{SKU: "MILK", Lot: lot, Serial: "C1", Qty: 1, Condition: CondResellable}}}, "B3001", "pda-1")
	if err != nil {
		t.Fatal(err)
	}
	loc, _ := l.Location(p.Lines[0].Location)
	if loc.Kind != KindQuarantine {
		t.Fatalf("a resellable unit of a held (archived) lot went to %s (%s), why %q; want quarantine", p.Lines[0].Location, loc.Kind, p.Lines[0].Why)
	}
	mustCheckClean(t, l)
}

// Units of a cancelled order waiting on a put-back task are not "nothing
// left" (OnHand counts them), but lotIdle looks at stock and reserved
// only: the lot leaves while its units are in a tote, and the put-back
// (writeQty without placeStock) puts stock of a lot with no live record.
// Allocation then reads Lot{} (alloc.go getJSON of bucketLots) and ships
// a held lot.
func TestLotLeavePutBackOfArchivedLot(t *testing.T) {
	l := stockFixture(t)
	clock := &testClock{t: l.Now()}
	l.now = clock.Now
	mustAppend(t, l, "zq", EvStockAdjusted, StockAdjustment{SKU: "MILK", Lot: "GOOD1", Location: "QA-01", Delta: -50, Reason: "damaged"})
	mustOrder(t, l, order("SO1", LineIn{"MILK", 3}))
	mustWave(t, l, "w1", WaveSingle)
	task, _ := l.NextTask(ctx, "B1001", "pda-1")
	pickAll(t, l, "B1001", task, nil)
	if _, err := l.CancelOrder(ctx, "SO1", "buyer cancelled", "", "oms", "api"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.SetLotStatus(ctx, "recall", LotStatusChange{SKU: "MILK", Lot: "GOOD1", Status: LotHold, Reason: "recall"}, "B9001", "web"); err != nil {
		t.Fatal(err)
	}
	clock.Add(31 * 24 * time.Hour)
	r := DefaultRetention()
	r.Events = 0
	run, err := l.Archive(ctx, r, "system", "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("run: lots %d orders %d", run.IdleLots, run.Orders)
	onhand, _ := l.OnHand(DefaultOwner)
	t.Logf("on hand %+v", onhand)
	if !lotLiveSKU(t, l, "MILK", "GOOD1") {
		t.Errorf("GOOD1 left the live store while 3 units of it wait on a put-back task")
	}
	next, err := l.NextTask(ctx, "B1001", "pda-1")
	if err != nil || next.Kind != TaskPutBack {
		t.Fatalf("put-back: %+v %v", next, err)
	}
	if _, _, err := l.PutBack(ctx, "pb1", PutBackScan{Task: next.ID, Line: 1, Location: next.Lines[0].Location, Qty: 3}, "B1001", "pda-1"); err != nil {
		t.Fatal(err)
	}
	if !lotLiveSKU(t, l, "MILK", "GOOD1") {
		t.Errorf("stock of GOOD1 is back on a shelf but its lot record is not live")
	}
	rows, _ := l.StockRows(DefaultOwner)
	for i, r := range rows {
		if r.SKU == "MILK" && r.Lot != "GOOD1" {
			mustAppend(t, l, fmt.Sprintf("z%d", i), EvStockAdjusted, StockAdjustment{SKU: "MILK", Lot: r.Lot, Location: r.Location, Delta: -r.Qty, Reason: "damaged"})
		} else if r.SKU == "MILK" {
			t.Logf("row %+v", r)
		}
	}
	mustOrder(t, l, order("SO2", LineIn{"MILK", 3}))
	_, werr := l.ReleaseWave(ctx, WaveFilter{Mode: WaveSingle}, "w2", "B4001", "web")
	t.Logf("wave: %v", werr)
	o, _ := l.Order("SO2")
	for _, ln := range o.Lines {
		for _, a := range ln.Allocs {
			t.Logf("alloc %+v", a)
			if a.Lot == "GOOD1" || a.Lot == "" {
				t.Errorf("SO2 allocated the held lot GOOD1: %+v", a)
			}
		}
	}
	mustCheckClean(t, l)
}

// mustCheckClean is `tally check`: every projection equals a rebuild of
// the log.
func mustCheckClean(t *testing.T, l *Ledger) {
	t.Helper()
	if mm, err := l.Check(t.TempDir()); err != nil || len(mm) > 0 {
		t.Fatalf("check: %v %+v", err, mm)
	}
}

// The returns, put-back and sweep paths after lots left: a rebuild
// reaches the live projections.
func TestLotLeaveRebuildAfterLotPaths(t *testing.T) {
	l := stockFixture(t)
	clock := &testClock{t: l.Now()}
	l.now = clock.Now
	mustAppend(t, l, "zq", EvStockAdjusted, StockAdjustment{SKU: "MILK", Lot: "GOOD1", Location: "QA-01", Delta: -50, Reason: "damaged"})
	mustOrder(t, l, order("SO1", LineIn{"MILK", 3}))
	mustWave(t, l, "w1", WaveSingle)
	task, _ := l.NextTask(ctx, "B1001", "pda-1")
	pickAll(t, l, "B1001", task, nil)
	if _, err := l.CancelOrder(ctx, "SO1", "buyer cancelled", "", "oms", "api"); err != nil {
		t.Fatal(err)
	}
	clock.Add(31 * 24 * time.Hour)
	if _, err := l.Archive(ctx, DefaultRetention(), "system", "test"); err != nil {
		t.Fatal(err)
	}
	next, _ := l.NextTask(ctx, "B1001", "pda-1")
	if _, _, err := l.PutBack(ctx, "pb1", PutBackScan{Task: next.ID, Line: 1, Location: next.Lines[0].Location, Qty: 3}, "B1001", "pda-1"); err != nil {
		t.Fatal(err)
	}
	clock.Add(3 * 365 * 24 * time.Hour)
	if _, err := l.SweepExpired(ctx); err != nil {
		t.Fatal(err)
	}
	b := l.Books(DefaultOwner)
	lot, _, _ := b.Lot("MILK", "GOOD1")
	t.Logf("GOOD1 after the sweep: %+v live=%v", lot, lotLiveSKU(t, l, "MILK", "GOOD1"))
	rows, _ := l.StockRows(DefaultOwner)
	for _, r := range rows {
		if r.Lot == "GOOD1" {
			t.Logf("stock row %+v", r)
		}
	}
	before := projections(t, l)
	if err := l.Rebuild(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(projections(t, l), before) {
		t.Fatal("a rebuild gives other projections")
	}
	mustCheckClean(t, l)
}

// A lot that left while units of it were away (a move applied before
// units away counted: pruneLots applies what was decided) comes back live
// when the put-back writes its stock, so allocation, stock rows and the
// expiry list read the lot as it was, never an empty one.
func TestLotLeaveStockWriteBringsLotBack(t *testing.T) {
	l := stockFixture(t)
	mustAppend(t, l, "zq", EvStockAdjusted, StockAdjustment{SKU: "MILK", Lot: "GOOD1", Location: "QA-01", Delta: -50, Reason: "damaged"})
	mustOrder(t, l, order("SO1", LineIn{"MILK", 3}))
	mustWave(t, l, "w1", WaveSingle)
	task, _ := l.NextTask(ctx, "B1001", "pda-1")
	pickAll(t, l, "B1001", task, nil)
	if _, err := l.CancelOrder(ctx, "SO1", "buyer cancelled", "", "oms", "api"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.SetLotStatus(ctx, "recall", LotStatusChange{SKU: "MILK", Lot: "GOOD1", Status: LotHold, Reason: "recall"}, "B9001", "web"); err != nil {
		t.Fatal(err)
	}
	want, _, _ := l.Books(DefaultOwner).Lot("MILK", "GOOD1")
	var idle bool
	if err := l.update(func(tx *txn) error {
		away, err := lotsAway(tx)
		idle = lotIdle(tx, lotKey(DefaultOwner, "MILK", "GOOD1"), away)
		if err != nil {
			return err
		}
		return pruneLots(tx, HistoryArchived{Lots: []LotRef{{SKU: "MILK", Lot: "GOOD1"}}})
	}); err != nil {
		t.Fatal(err)
	}
	if idle {
		t.Fatal("a lot with 3 units on a put-back task reads as idle")
	}
	if lotLiveSKU(t, l, "MILK", "GOOD1") {
		t.Fatal("the lot did not leave")
	}
	next, err := l.NextTask(ctx, "B1001", "pda-1")
	if err != nil || next.Kind != TaskPutBack {
		t.Fatalf("put-back: %+v %v", next, err)
	}
	if _, _, err := l.PutBack(ctx, "pb1", PutBackScan{Task: next.ID, Line: 1, Location: next.Lines[0].Location, Qty: 3}, "B1001", "pda-1"); err != nil {
		t.Fatal(err)
	}
	if !lotLiveSKU(t, l, "MILK", "GOOD1") {
		t.Fatal("stock of GOOD1 is back on a shelf but its lot record is not live")
	}
	if got, _, _ := l.Books(DefaultOwner).Lot("MILK", "GOOD1"); got != want {
		t.Fatalf("lot back as %+v, want %+v", got, want)
	}
	rows, _ := l.StockRows(DefaultOwner)
	seen := false
	for i, r := range rows {
		if r.SKU == "MILK" && r.Lot == "GOOD1" {
			seen = true
			if r.Expiry != want.Expiry {
				t.Errorf("stock row %+v lost the lot's expiry %s", r, want.Expiry)
			}
		} else if r.SKU == "MILK" {
			mustAppend(t, l, fmt.Sprintf("z%d", i), EvStockAdjusted, StockAdjustment{SKU: "MILK", Lot: r.Lot, Location: r.Location, Delta: -r.Qty, Reason: "damaged"})
		}
	}
	if !seen {
		t.Fatal("no stock row of GOOD1 after the put-back")
	}
	mustOrder(t, l, order("SO2", LineIn{"MILK", 3}))
	_, _ = l.ReleaseWave(ctx, WaveFilter{Mode: WaveSingle}, "w2", "B4001", "web")
	o, _ := l.Order("SO2")
	for _, ln := range o.Lines {
		for _, a := range ln.Allocs {
			if a.Lot == "GOOD1" || a.Lot == "" {
				t.Errorf("SO2 allocated the held lot: %+v", a)
			}
		}
	}
}

// A lot emptied leaves --keep-orders after its last event, not once its
// story's entries have moved to a lot index (--keep-events, 3 days).
func TestIdleLotWaitsKeepOrdersAfterItsStoryMoved(t *testing.T) {
	l := receiveFixture(t)
	clock := &testClock{t: l.Now()}
	l.now = clock.Now
	mustAppend(t, l, "in-1", EvStockAdjusted, StockAdjustment{SKU: "MILK", Lot: "GONE1", Expiry: "2027-01-10", Location: "A01-01-01", Delta: 3, Reason: "found"})
	mustAppend(t, l, "out-1", EvStockAdjusted, StockAdjustment{SKU: "MILK", Lot: "GONE1", Location: "A01-01-01", Delta: -3, Reason: "damaged"})
	keep := DefaultRetention()
	left := 0
	for day := 1; day <= 32; day++ {
		clock.Add(24 * time.Hour)
		if _, err := l.Archive(ctx, keep, "system", "test"); err != nil {
			t.Fatal(err)
		}
		if !lotLive(t, l, "GONE1") {
			left = day
			break
		}
	}
	if want := int(keep.Orders/(24*time.Hour)) + 1; left != want {
		t.Fatalf("the lot left on day %d after its last event, want day %d (--keep-orders)", left, want)
	}
}
