package wms

import (
	"reflect"
	"testing"
	"time"
)

// TestDoneParcelsLeave: a return parcel stays while its order is live and
// while a line waits at the returns location to be put back; once put back
// and its order archived it leaves for the month's returns file, and is
// still read by ReturnParcelByID (with its put-back shelf) and a repeat of
// its put-back; a later scan of its return waybill is refused as archived;
// an unknown parcel stays; a rebuild gives the same projections (and
// openTest's cleanup checks).
func TestDoneParcelsLeave(t *testing.T) {
	l := shippedFixture(t)
	clock := &testClock{t: l.Now()}
	l.now = clock.Now
	near, _ := openTest(t) // a standby, following from the start
	if err := near.Follow("http://primary:8080"); err != nil {
		t.Fatal(err)
	}
	archive := func() (ArchiveRun, error) {
		replicateAll(t, l, near, 50)
		return l.Archive(ctx, DefaultRetention(), "system", "test")
	}
	o, _ := l.Order("SO1")
	lot, shelf := o.Lines[0].Allocs[0].Lot, o.Lines[0].Allocs[0].Location
	if _, err := l.ReceiveReturn(ctx, ReturnParcel{ID: "r1", Order: "SO1", ReturnWaybill: "SF7000000000001",
		Lines: []ReturnLine{{SKU: "MILK", Lot: lot, Serial: "C1", Qty: 1, Condition: CondResellable}, {SKU: "MILK", Lot: lot, Serial: "C2", Qty: 1, Condition: CondDamaged}}}, "B3001", "pda-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.ReceiveReturn(ctx, ReturnParcel{ID: "r-unknown", ReturnWaybill: "SF7000000000009",
		Lines: []ReturnLine{{SKU: "BOOK", Qty: 1, Condition: CondResellable}}}, "B3001", "pda-1"); err != nil {
		t.Fatal(err)
	}
	clock.Add(31 * 24 * time.Hour)
	run, err := archive()
	if err != nil || run.Orders != 1 || run.Parcels != 0 {
		t.Fatalf("a parcel waiting to be put back: orders %d parcels %d, %v", run.Orders, run.Parcels, err)
	}
	if _, err := l.ReturnParcelByID("r1"); err != nil {
		t.Fatal(err)
	}
	put, err := l.PutBackReturn(ctx, "r1", 0, shelf, "B3001", "pda-1")
	if err != nil {
		t.Fatal(err)
	}
	clock.Add(24 * time.Hour)
	if run, err := archive(); err != nil || run.Parcels != 1 {
		t.Fatalf("the parcel put back, its order archived: moved %d, %v", run.Parcels, err)
	}
	if got := liveKeys(t, l, bucketReturns); !reflect.DeepEqual(got, []string{"r-unknown"}) {
		t.Fatalf("live parcels %q: want the unknown one alone", got)
	}
	p, err := l.ReturnParcelByID("r1")
	if err != nil || p.Order != "SO1" || len(p.Lines) != 2 || p.Lines[0].PutBack != shelf {
		t.Fatalf("the archived parcel: %+v %v", p, err)
	}
	if again, err := l.PutBackReturn(ctx, "r1", 0, shelf, "B3001", "pda-1"); err != nil || again != put {
		t.Fatalf("the put-back again: %+v %v, want %+v", again, err, put)
	}
	_, err = l.ReceiveReturn(ctx, ReturnParcel{ID: "r9", ReturnWaybill: "SF7000000000001",
		Lines: []ReturnLine{{SKU: "BOOK", Qty: 1, Condition: CondResellable}}}, "B3001", "pda-1")
	if errKey(err) != "return.parcel_archived" {
		t.Fatalf("its return waybill scanned again: %v", err)
	}
	_, err = l.ReceiveReturn(ctx, ReturnParcel{ID: "r1", Lines: []ReturnLine{{SKU: "BOOK", Qty: 1, Condition: CondResellable}}}, "B3001", "pda-1")
	if ErrorCode(err) != CodeConflict {
		t.Fatalf("its parcel ID booked again with other lines: %v", err)
	}
	if _, err := l.ReturnParcelByID("r404"); ErrorCode(err) != CodeNotFound {
		t.Fatalf("an unknown parcel ID: %v", err)
	}
	if run, err := archive(); err != nil || run.Parcels != 0 {
		t.Fatalf("a second run moved %d, %v", run.Parcels, err)
	}
	if members, n, err := l.VerifyRecordFiles(); err != nil || members != 1 || n != 1 {
		t.Fatalf("verify: %d members %d records %v", members, n, err)
	}
	replicateAll(t, l, near, 50) // a standby reaches the same state
	sameState(t, l, near)
	before := projections(t, l)
	if err := l.Rebuild(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(projections(t, l), before) {
		t.Fatal("a rebuild gives other projections")
	}
}
