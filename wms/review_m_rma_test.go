package wms

import (
	"testing"
	"time"
)

// TestRVRMAArrivingDuringARunIsArchived: a run reads the RMAs once
// (returnsOfOrders) before it decides which orders leave; an RMA the OMS
// announces after that read and before the order's history.archived
// commits does not stop the order leaving: decideHistoryArchived's digest
// covers the order, pack, tasks, prints and order_returns, not the RMAs.
// The RMA stays open and its parcel can no longer be booked against the
// order (return.order_archived).
func TestRVRMAArrivingDuringARunIsArchived(t *testing.T) {
	l := shippedFixture(t)
	clock := &testClock{t: l.Now()}
	l.now = clock.Now
	o, _ := l.Order("SO1")
	lot := o.Lines[0].Allocs[0].Lot
	clock.Add(31 * 24 * time.Hour)
	// the run has read the returns (none) and chose SO1 ...
	returns, err := l.returnsOfOrders()
	if err != nil || !returnsDone(returns[string(orderKey(DefaultOwner, "SO1"))], false, l.Now()) {
		t.Fatalf("SO1 a candidate: %v", err)
	}
	// ... the OMS announces a return meanwhile (accepted: the order is live) ...
	if _, err := l.AnnounceReturn(ctx, "", RMA{RMA: "RMA-9", Order: "SO1", ReturnWaybill: "SF7000000000009"}, "oms", "api"); err != nil {
		t.Fatal(err)
	}
	// ... and the run goes on with its batch (archiveOrders' next step)
	var run ArchiveRun
	if err := l.archiveOrderBatch(ctx, o.Updated.In(l.zone).Format("2006-01")+".orders.jsonl.gz", []ArchivedRef{{Owner: DefaultOwner, No: "SO1"}}, "system", "test", &run); err != nil {
		t.Fatal(err)
	}
	if run.Orders == 1 {
		t.Errorf("SO1 was archived although RMA-9 (accepted before the history.archived event) waits for its parcel")
	}
	_, err = l.ReceiveReturn(ctx, ReturnParcel{ID: "r9", Order: "SO1", RMA: "RMA-9", ReturnWaybill: "SF7000000000009",
		Lines: []ReturnLine{{SKU: "MILK", Lot: lot, Serial: "C1", Qty: 1, Condition: CondResellable}}}, "B3001", "pda-1")
	if err != nil {
		t.Errorf("the announced return's parcel is refused: %v", err)
	}
}
