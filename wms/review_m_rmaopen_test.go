package wms

import (
	"testing"
	"time"
)

// TestRVRMAWithoutWaybillKeepsOrderForever: the OMS announces an RMA
// without the customer's return waybill (not known yet); the parcel comes
// and the clerk books it against the order (found by its outbound waybill
// or number: FindReturnOrder gives no RMA then). returnsOfOrders counts an
// RMA as received only by the parcel's RMA or return waybill, so the RMA
// stays "open" for ever and the order (with its tasks and wave) never
// leaves.
func TestRVRMAWithoutWaybillKeepsOrderForever(t *testing.T) {
	l := shippedFixture(t)
	clock := &testClock{t: l.Now()}
	l.now = clock.Now
	o, _ := l.Order("SO1")
	lot := o.Lines[0].Allocs[0].Lot
	if _, err := l.AnnounceReturn(ctx, "", RMA{RMA: "RMA-1", Order: "SO1", Reason: "七天无理由"}, "oms", "api"); err != nil {
		t.Fatal(err)
	}
	owner, no, rma, err := l.FindReturnOrder("SO1")
	t.Logf("return lookup of SO1: %q %q rma %q %v", owner, no, rma, err)
	if _, err := l.ReceiveReturn(ctx, ReturnParcel{ID: "r1", Order: no, RMA: rma,
		Lines: []ReturnLine{{SKU: "MILK", Lot: lot, Serial: "C1", Qty: 1, Condition: CondResellable}}}, "B3001", "pda-1"); err != nil {
		t.Fatal(err)
	}
	clock.Add(400 * 24 * time.Hour)
	run, err := l.Archive(ctx, DefaultRetention(), "system", "test")
	if err != nil {
		t.Fatal(err)
	}
	if run.Orders != 1 {
		t.Errorf("SO1, returned 400 days ago, never leaves: its RMA without a return waybill counts as waiting (archived %d)", run.Orders)
	}
}

// TestRMAAfterParcelKeepsOrder: an RMA the OMS announces after the parcel
// came keeps the order for --keep-orders from its announcement, no longer
// (no parcel names it: the one that came was booked before it).
func TestRMAAfterParcelKeepsOrder(t *testing.T) {
	l := shippedFixture(t)
	clock := &testClock{t: l.Now()}
	l.now = clock.Now
	o, _ := l.Order("SO1")
	lot := o.Lines[0].Allocs[0].Lot
	if _, err := l.ReceiveReturn(ctx, ReturnParcel{ID: "r1", Order: "SO1",
		Lines: []ReturnLine{{SKU: "MILK", Lot: lot, Serial: "C1", Qty: 1, Condition: CondResellable}}}, "B3001", "pda-1"); err != nil {
		t.Fatal(err)
	}
	clock.Add(20 * 24 * time.Hour)
	if _, err := l.AnnounceReturn(ctx, "", RMA{RMA: "RMA-1", Order: "SO1"}, "oms", "api"); err != nil {
		t.Fatal(err)
	}
	clock.Add(15 * 24 * time.Hour) // 35 days after the parcel, 15 after the RMA
	if run, err := l.Archive(ctx, DefaultRetention(), "system", "test"); err != nil || run.Orders != 0 {
		t.Fatalf("the RMA announced 15 days ago: archived %d, %v", run.Orders, err)
	}
	clock.Add(16 * 24 * time.Hour)
	if run, err := l.Archive(ctx, DefaultRetention(), "system", "test"); err != nil || run.Orders != 1 {
		t.Fatalf("the RMA announced 31 days ago, no parcel since: archived %d, %v", run.Orders, err)
	}
}
