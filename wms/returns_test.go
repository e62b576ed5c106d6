package wms

import (
	"slices"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// shippedFixture packs and ships packFixture's order SO1: 2 MILK (serials C1, C2) and 1 BOOK.
func shippedFixture(t testing.TB) *Ledger {
	l, _ := packFixture(t)
	mustAppend(t, l, "dmg", EvLocationUpserted, Location{Code: "DMG-01", Zone: "DMG", PickSeq: 950, Kind: KindDamaged})
	mustAppend(t, l, "ret", EvLocationUpserted, Location{Code: "RET-01", Zone: "RET", PickSeq: 960, Kind: KindReturns})
	milk, _ := l.SKU("MILK")
	book, _ := l.SKU("BOOK")
	o, _ := l.Order("SO1")
	lot := o.Lines[0].Allocs[0].Lot
	for i, p := range []PackScan{{GTIN: milk.GTINs[0], Lot: lot, Serial: "C1"}, {GTIN: milk.GTINs[0], Lot: lot, Serial: "C2"}, {GTIN: book.GTINs[0]}} {
		p.Order, p.Station, p.Qty = "SO1", "PACK-01", 1
		if _, err := l.PackScan(ctx, "ps"+string(rune('a'+i)), p, "B2001", "kiosk"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.CloseParcel(ctx, "pc", ParcelClose{Order: "SO1", Station: "PACK-01", Box: "L3", WeightG: 2880}, "B2001", "kiosk"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Ship(ctx, "", "SO1", "PACK-01", "B2001", "kiosk"); err != nil {
		t.Fatal(err)
	}
	return l
}

func TestPartialReturnsAcrossTwoParcels(t *testing.T) {
	l := shippedFixture(t)
	o, _ := l.Order("SO1")
	lot := o.Lines[0].Allocs[0].Lot
	if _, err := l.AnnounceReturn(ctx, "", RMA{RMA: "RMA-1", Order: "SO1", ReturnWaybill: "SF7000000000001", Reason: "七天无理由"}, "oms", "api"); err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{"RMA-1", "SF7000000000001", "SF1000000000001", "SO1"} {
		if _, order, _, err := l.FindReturnOrder(code); err != nil || order != "SO1" {
			t.Errorf("find %s: %q %v", code, order, err)
		}
	}
	p1, err := l.ReceiveReturn(ctx, ReturnParcel{ID: "r1", Order: "SO1", RMA: "RMA-1", ReturnWaybill: "SF7000000000001",
		Lines: []ReturnLine{{SKU: "MILK", Lot: lot, Serial: "C1", Qty: 1, Condition: CondResellable}}}, "B3001", "pda-1")
	if err != nil || p1.Lines[0].Location != "RET-01" || p1.Lines[0].Swap {
		t.Fatalf("parcel 1: %+v %v", p1, err)
	}
	p2, err := l.ReceiveReturn(ctx, ReturnParcel{ID: "r2", Order: "SO1",
		Lines: []ReturnLine{{SKU: "MILK", Lot: lot, Serial: "C2", Qty: 1, Condition: CondDamaged}, {SKU: "BOOK", Qty: 1, Condition: CondMissing}}}, "B3001", "pda-1")
	if err != nil || p2.Lines[0].Location != "DMG-01" || p2.Lines[1].Location != "" {
		t.Fatalf("parcel 2: %+v %v", p2, err)
	}
	// nothing more of MILK can come back
	_, err = l.ReceiveReturn(ctx, ReturnParcel{ID: "r3", Order: "SO1", Lines: []ReturnLine{{SKU: "MILK", Lot: lot, Serial: "C1", Qty: 1, Condition: CondResellable}}}, "B3001", "pda-1")
	if e, ok := AsError(err); !ok || e.Key != "return.too_many" {
		t.Errorf("a third can: %v", err)
	}
	shipped, _ := l.Shipped("SO1")
	for _, s := range shipped {
		if s.Returned != s.Shipped {
			t.Errorf("%s: returned %d of %d", s.SKU, s.Returned, s.Shipped)
		}
	}
	stats, _ := l.ReturnStatsOf("2026-11-11")
	if stats.Parcels != 2 || stats.ByClerk["B3001"] != 3 || stats.ByCondition[CondDamaged] != 1 || stats.BySKU["MILK"] != 2 {
		t.Errorf("stats %+v", stats)
	}
	if got := qtyAt(t, l, "MILK", lot, "RET-01"); got != 1 {
		t.Errorf("RET-01 holds %d cans", got)
	}
}

func TestSwappedSerialAndExpiredUnit(t *testing.T) {
	l := shippedFixture(t)
	o, _ := l.Order("SO1")
	lot := o.Lines[0].Allocs[0].Lot
	p, err := l.ReceiveReturn(ctx, ReturnParcel{ID: "r1", Order: "SO1",
		Lines: []ReturnLine{{SKU: "MILK", Lot: lot, Serial: "FAKE-99", Qty: 1, Condition: CondResellable}}}, "B3001", "pda")
	if err != nil || !p.Lines[0].Swap || p.Lines[0].Location != "QA-01" {
		t.Fatalf("swapped can: %+v %v", p, err)
	}
	stats, _ := l.ReturnStatsOf("2026-11-11")
	if stats.Swaps != 1 {
		t.Errorf("swaps %d", stats.Swaps)
	}
	p, err = l.ReceiveReturn(ctx, ReturnParcel{ID: "r2", Order: "SO1",
		Lines: []ReturnLine{{SKU: "MILK", Lot: lot, Serial: "C2", Qty: 1, Condition: CondExpired}}}, "B3001", "pda")
	if err != nil || p.Lines[0].Location != "QA-01" || p.Lines[0].Swap {
		t.Fatalf("expired can: %+v %v", p, err)
	}
	// an item this order never shipped is refused unless marked wrong item
	if _, err := l.ReceiveReturn(ctx, ReturnParcel{ID: "r3", Order: "SO1", Lines: []ReturnLine{{SKU: "NOPE", Qty: 1, Condition: CondResellable}}}, "B3001", "pda"); ErrorCode(err) != CodeNotFound {
		t.Errorf("unknown SKU: %v", err)
	}
	mustAppend(t, l, "jam", EvSKUUpserted, SKU{Code: "JAM", Name: "果酱"})
	if _, err := l.ReceiveReturn(ctx, ReturnParcel{ID: "r4", Order: "SO1", Lines: []ReturnLine{{SKU: "JAM", Qty: 1, Condition: CondResellable}}}, "B3001", "pda"); err == nil || err.(*Error).Key != "return.not_shipped_item" {
		t.Errorf("an item not shipped: %v", err)
	}
	if p, err := l.ReceiveReturn(ctx, ReturnParcel{ID: "r5", Order: "SO1", Lines: []ReturnLine{{SKU: "JAM", Qty: 1, Condition: CondWrongItem}}}, "B3001", "pda"); err != nil || p.Lines[0].Location != "RET-01" {
		t.Errorf("wrong item sent back: %+v %v", p, err)
	}
}

func TestUnknownParcelMatchedLater(t *testing.T) {
	l := shippedFixture(t)
	p, err := l.ReceiveReturn(ctx, ReturnParcel{ID: "u1", Notes: "no paperwork, 圆通 bag", Lines: []ReturnLine{{SKU: "BOOK", Qty: 1, Condition: CondResellable}}}, "B3001", "pda")
	if err != nil || p.Lines[0].Location != "RET-01" {
		t.Fatalf("unknown parcel: %+v %v", p, err)
	}
	if list, _ := l.UnmatchedReturns(); len(list) != 1 {
		t.Errorf("unmatched %d", len(list))
	}
	if _, err := l.MatchReturn(ctx, "", "u1", "SO1", "B3001", "pda"); err != nil {
		t.Fatal(err)
	}
	if list, _ := l.UnmatchedReturns(); len(list) != 0 {
		t.Errorf("still unmatched %d", len(list))
	}
	shipped, _ := l.Shipped("SO1")
	for _, s := range shipped {
		if s.SKU == "BOOK" && s.Returned != 1 {
			t.Errorf("book returned %d", s.Returned)
		}
	}
	if _, err := l.MatchReturn(ctx, "", "u1", "SO1", "B3001", "pda-2"); err != nil {
		t.Errorf("the same match again (same key) should be a no-op: %v", err)
	}
}

// Two clerks scan the same parcel on two handhelds: it is booked once.
func TestSameReturnFromTwoHandhelds(t *testing.T) {
	l := shippedFixture(t)
	parcel := func(id string) ReturnParcel {
		return ReturnParcel{ID: id, Order: "SO1", ReturnWaybill: "YT4000000000777", Lines: []ReturnLine{{SKU: "BOOK", Qty: 1, Condition: CondResellable}}}
	}
	if _, err := l.ReceiveReturn(ctx, parcel("pda1-parcel"), "B3001", "pda-1"); err != nil {
		t.Fatal(err)
	}
	_, err := l.ReceiveReturn(ctx, parcel("pda2-parcel"), "B3002", "pda-2")
	if e, ok := AsError(err); !ok || e.Key != "return.parcel_seen" {
		t.Fatalf("second handheld: %v", err)
	}
	// and a handheld retrying its own booking changes nothing
	if _, err := l.ReceiveReturn(ctx, parcel("pda1-parcel"), "B3001", "pda-1"); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if got := qtyAt(t, l, "BOOK", "", "RET-01"); got != 1 {
		t.Errorf("RET-01 holds %d books", got)
	}
}

// The lot's story names packing and shipping with the waybill; a can's serial
// trace keeps the order it left in after it comes back, and once back it may
// be picked and packed for another order (it is one can, in the building).
func TestLotStoryAndSerialThroughReturn(t *testing.T) {
	l := shippedFixture(t)
	o, _ := l.Order("SO1")
	lot := o.Lines[0].Allocs[0].Lot
	_, events, err := l.LotTrace("MILK", lot)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	var ship ShipConfirm
	for _, ev := range events {
		types = append(types, ev.Type)
		if ev.Type == EvShipped {
			_ = ev.DecodeData(&ship)
		}
	}
	for _, want := range []string{EvPicked, EvPackScanned, EvParcelClosed, EvShipped} {
		if !slices.Contains(types, want) {
			t.Errorf("lot story %v lacks %s", types, want)
		}
	}
	if len(ship.Waybills) != 1 || ship.Waybills[0] == "" {
		t.Errorf("shipped event carries waybills %v", ship.Waybills)
	}
	if _, err := l.ReceiveReturn(ctx, ReturnParcel{ID: "r1", Order: "SO1",
		Lines: []ReturnLine{{SKU: "MILK", Lot: lot, Serial: "C1", Qty: 1, Condition: CondResellable}}}, "B3001", "pda-1"); err != nil {
		t.Fatal(err)
	}
	st, _, err := l.SerialTrace("C1")
	if err != nil || st.Order != "SO1" || st.Returned != "r1" {
		t.Errorf("serial C1 after its return: %+v %v", st, err)
	}
	// C1 is free to go out again; C2 (still with the customer) is not
	err = l.db.View(func(tx *bolt.Tx) error {
		for serial, out := range map[string]bool{"C1": false, "C2": true} {
			var rec SerialTrace
			found, err := getJSON(&bucket{Bucket: tx.Bucket(bucketSerials)}, []byte(serial), &rec)
			if err != nil {
				return err
			}
			if got := found && rec.Returned == ""; got != out {
				t.Errorf("serial %s counted as out: %v, want %v", serial, got, out)
			}
			if got := tx.Bucket(bucketShipped).Get([]byte(serial)) != nil; got != out {
				t.Errorf("serial %s in shipped: %v, want %v", serial, got, out)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Where the warehouse has a return-to-supplier area, expired units go there;
// damaged ones still go to the damaged area.
func TestExpiredReturnGoesToSupplierArea(t *testing.T) {
	l := shippedFixture(t)
	mustAppend(t, l, "rts", EvLocationUpserted, Location{Code: "RTS-01", Zone: "RTS", PickSeq: 970, Kind: KindSupplier})
	o, _ := l.Order("SO1")
	lot := o.Lines[0].Allocs[0].Lot
	p, err := l.ReceiveReturn(ctx, ReturnParcel{ID: "r1", Order: "SO1", Lines: []ReturnLine{
		{SKU: "MILK", Lot: lot, Serial: "C1", Qty: 1, Condition: CondExpired},
		{SKU: "BOOK", Qty: 1, Condition: CondDamaged}}}, "B3001", "pda-1")
	if err != nil {
		t.Fatal(err)
	}
	if p.Lines[0].Location != "RTS-01" || p.Lines[1].Location != "DMG-01" {
		t.Errorf("expired to %s, damaged to %s; want RTS-01 and DMG-01", p.Lines[0].Location, p.Lines[1].Location)
	}
}

// A resellable line goes back on a shelf once; the parcel then says where it
// is. A damaged line never goes back from the returns screen.
func TestPutBackReturn(t *testing.T) {
	l := shippedFixture(t)
	o, _ := l.Order("SO1")
	lot := o.Lines[0].Allocs[0].Lot
	shelf := o.Lines[0].Allocs[0].Location
	p, err := l.ReceiveReturn(ctx, ReturnParcel{ID: "r1", Order: "SO1",
		Lines: []ReturnLine{{SKU: "MILK", Lot: lot, Serial: "C1", Qty: 1, Condition: CondResellable}, {SKU: "MILK", Lot: lot, Serial: "C2", Qty: 1, Condition: CondDamaged}}}, "B3001", "pda-1")
	if err != nil {
		t.Fatal(err)
	}
	before := qtyAt(t, l, "MILK", lot, shelf)
	got, err := l.PutBackReturn(ctx, p.ID, 0, shelf, "B3001", "pda-1")
	if err != nil || got.PutBack != shelf {
		t.Fatalf("put back: %+v %v", got, err)
	}
	if n := qtyAt(t, l, "MILK", lot, shelf); n != before+1 {
		t.Errorf("%s holds %d, want %d", shelf, n, before+1)
	}
	again, _ := l.ReturnParcelByID(p.ID)
	if again.Lines[0].PutBack != shelf || again.Lines[0].Location != "RET-01" || again.Lines[1].PutBack != "" {
		t.Errorf("parcel after put-back: %+v", again.Lines)
	}
	// the same put-back again (a double tap, a retry) gets the first answer
	if again, err := l.PutBackReturn(ctx, p.ID, 0, shelf, "B3001", "pda-1"); err != nil || again != got {
		t.Errorf("the same put-back again: %+v %v, want %+v", again, err, got)
	}
	for _, c := range []struct {
		name, clerk, shelf string
		line               int
		key                string
	}{
		{"twice by another clerk", "B3002", shelf, 0, "return.put_already"},
		{"twice to another shelf", "B3001", "A01-01-01", 0, "return.put_already"},
		{"damaged", "B3001", shelf, 1, "return.not_for_shelf"},
		{"no such line", "B3001", shelf, 2, "return.line_not_found"},
	} {
		_, err := l.PutBackReturn(ctx, p.ID, c.line, c.shelf, c.clerk, "pda-2")
		if e, ok := AsError(err); !ok || e.Key != c.key {
			t.Errorf("%s: %v, want %s", c.name, err, c.key)
		}
	}
	if n := qtyAt(t, l, "MILK", lot, shelf); n != before+1 {
		t.Errorf("refused put-backs moved stock: %s holds %d", shelf, n)
	}
}

// A parcel whose resellable units still wait at the returns location is
// found again by its order (and among all parcels) until they are put back;
// parcels with nothing to put back are not.
func TestReturnsAwaitingPutBack(t *testing.T) {
	l := shippedFixture(t)
	o, _ := l.Order("SO1")
	lot := o.Lines[0].Allocs[0].Lot
	shelf := o.Lines[0].Allocs[0].Location
	ids := func(ps []ReturnParcel, err error) []string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range ps {
			out = append(out, p.ID)
		}
		return out
	}
	if _, err := l.ReceiveReturn(ctx, ReturnParcel{ID: "r-damaged", Order: "SO1",
		Lines: []ReturnLine{{SKU: "MILK", Lot: lot, Serial: "C2", Qty: 1, Condition: CondDamaged}}}, "B3001", "pda-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.ReceiveReturn(ctx, ReturnParcel{ID: "r-unknown", ReturnWaybill: "YT1",
		Lines: []ReturnLine{{SKU: "BOOK", Qty: 1, Condition: CondResellable}}}, "B3001", "pda-1"); err != nil {
		t.Fatal(err)
	}
	if got := ids(l.ReturnsAwaitingPutBack("")); len(got) != 0 {
		t.Errorf("nothing waits to be put back, got %v", got)
	}
	p, err := l.ReceiveReturn(ctx, ReturnParcel{ID: "r-sell", Order: "SO1",
		Lines: []ReturnLine{{SKU: "MILK", Lot: lot, Serial: "C1", Qty: 1, Condition: CondResellable}}}, "B3001", "pda-1")
	if err != nil {
		t.Fatal(err)
	}
	for _, order := range []string{"SO1", ""} {
		if got := ids(l.ReturnsAwaitingPutBack(order)); !slices.Equal(got, []string{"r-sell"}) {
			t.Errorf("waiting of %q: %v, want r-sell", order, got)
		}
	}
	if got := ids(l.ReturnsAwaitingPutBack("SO2")); len(got) != 0 {
		t.Errorf("another order's: %v", got)
	}
	if !p.AwaitsPutBack(0, l.ReturnsStaging()) {
		t.Errorf("the booked line does not wait: %+v", p.Lines[0])
	}
	if _, err := l.PutBackReturn(ctx, p.ID, 0, shelf, "B3001", "pda-1"); err != nil {
		t.Fatal(err)
	}
	if got := ids(l.ReturnsAwaitingPutBack("")); len(got) != 0 {
		t.Errorf("after the put-back: %v", got)
	}
}
