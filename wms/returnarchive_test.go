package wms

import (
	"reflect"
	"testing"
	"time"
)

// TestOrderWithReturnsLeaves: an order with an RMA still waiting for its
// parcel stays for --keep-orders from its announcement (though the order
// is older); once the parcel came it stays until the
// retention has passed since it, then leaves with what came back (its
// archive record) and its tasks and wave; a later return or RMA of it is
// refused with return.order_archived; a rebuild gives the same
// projections (and openTest's cleanup checks).
func TestOrderWithReturnsLeaves(t *testing.T) {
	l := shippedFixture(t)
	clock := &testClock{t: l.Now()}
	l.now = clock.Now
	o, _ := l.Order("SO1")
	lot := o.Lines[0].Allocs[0].Lot
	if _, err := l.AnnounceReturn(ctx, "", RMA{RMA: "RMA-1", Order: "SO1", ReturnWaybill: "SF7000000000001", Reason: "七天无理由"}, "oms", "api"); err != nil {
		t.Fatal(err)
	}
	clock.Add(29 * 24 * time.Hour)
	run, err := l.Archive(ctx, DefaultRetention(), "system", "test")
	if err != nil || run.Orders != 0 {
		t.Fatalf("an order whose RMA waits: archived %d, %v", run.Orders, err)
	}
	if _, err := l.ReceiveReturn(ctx, ReturnParcel{ID: "r1", Order: "SO1", RMA: "RMA-1", ReturnWaybill: "SF7000000000001",
		Lines: []ReturnLine{{SKU: "MILK", Lot: lot, Serial: "C1", Qty: 1, Condition: CondResellable}}}, "B3001", "pda-1"); err != nil {
		t.Fatal(err)
	}
	clock.Add(29 * 24 * time.Hour)
	run, err = l.Archive(ctx, DefaultRetention(), "system", "test")
	if err != nil || run.Orders != 0 {
		t.Fatalf("an order whose last return is 29 days old: archived %d, %v", run.Orders, err)
	}
	if n := bucketLen(t, l, bucketTasks); n == 0 {
		t.Fatal("the order's tasks left before it")
	}
	clock.Add(2 * 24 * time.Hour)
	run, err = l.Archive(ctx, DefaultRetention(), "system", "test")
	if err != nil || run.Orders != 1 {
		t.Fatalf("an order whose returns are done: archived %d, %v", run.Orders, err)
	}
	a, err := l.Books(DefaultOwner).ArchivedOrder("SO1")
	if err != nil || !reflect.DeepEqual(a.Returned, map[string]int64{retKey("MILK", lot): 1}) || a.Order.State != OrderShipped {
		t.Fatalf("the archived record: %+v %v", a.Returned, err)
	}
	if n := bucketLen(t, l, bucketOrderReturns); n != 0 {
		t.Fatalf("%d order_returns entries left", n)
	}
	if n := bucketLen(t, l, bucketTasks) + bucketLen(t, l, bucketWaves); n != 0 {
		t.Fatalf("%d tasks and waves left", n)
	}
	_, err = l.ReceiveReturn(ctx, ReturnParcel{ID: "r2", Order: "SO1", Lines: []ReturnLine{{SKU: "BOOK", Qty: 1, Condition: CondResellable}}}, "B3001", "pda-1")
	if errKey(err) != "return.order_archived" {
		t.Fatalf("a return of the archived order: %v", err)
	}
	if _, err := l.AnnounceReturn(ctx, "", RMA{RMA: "RMA-2", Order: "SO1"}, "oms", "api"); errKey(err) != "return.order_archived" {
		t.Fatalf("an RMA of the archived order: %v", err)
	}
	// the parcel can still come in as an unknown one; matched to the
	// archived order it is refused the same way
	if _, err := l.ReceiveReturn(ctx, ReturnParcel{ID: "r3", Lines: []ReturnLine{{SKU: "BOOK", Qty: 1, Condition: CondResellable}}}, "B3001", "pda-1"); err != nil {
		t.Fatalf("an unknown parcel: %v", err)
	}
	if _, err := l.MatchReturn(ctx, "", "r3", "SO1", "B3001", "pda-1"); errKey(err) != "return.order_archived" {
		t.Fatalf("matching to the archived order: %v", err)
	}
	before := projections(t, l)
	if err := l.Rebuild(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(projections(t, l), before) {
		t.Fatal("a rebuild gives other projections")
	}
}

// A parcel matched to an order after an archiving run read the returns
// refuses that run's archiving of the order, as an RMA or a received
// parcel naming it does.
func TestMatchAfterReturnsReadRefusesArchiving(t *testing.T) {
	l := shippedFixture(t)
	if _, err := l.ReceiveReturn(ctx, ReturnParcel{ID: "r1", Lines: []ReturnLine{{SKU: "BOOK", Qty: 1, Condition: CondResellable}}}, "B3001", "pda-1"); err != nil {
		t.Fatal(err)
	}
	read := l.LastSeq() // what the run saw when it read the returns
	if _, err := l.MatchReturn(ctx, "", "r1", "SO1", "B3001", "pda-1"); err != nil {
		t.Fatal(err)
	}
	err := l.view(func(tx *txn) error {
		return decideReturnsSince(tx, HistoryArchived{Orders: []ArchivedRef{{No: "SO1"}}, ReturnsSeq: read})
	})
	if errKey(err) != "archive.changed" {
		t.Fatalf("archiving SO1 after a match the run did not see: %v", err)
	}
	if err := l.view(func(tx *txn) error {
		return decideReturnsSince(tx, HistoryArchived{Orders: []ArchivedRef{{No: "SO1"}}, ReturnsSeq: l.LastSeq()})
	}); err != nil {
		t.Fatalf("a run that saw the match: %v", err)
	}
}
