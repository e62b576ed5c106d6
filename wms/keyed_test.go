package wms

import (
	"encoding/json"
	"testing"
)

// Tests of the commands that took a key last: each answers a repeat of its
// key with the first answer after what it acted on moved on, and refuses the
// key for another request or from another person.

// wantRefused fails unless err is the conflict named key.
func wantRefused(t *testing.T, what string, err error, key string) {
	t.Helper()
	if e, ok := AsError(err); !ok || e.Code != CodeConflict || e.Key != key {
		t.Errorf("%s: %v, want %s", what, err, key)
	}
}

func sameJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	a, _ := json.Marshal(got)
	b, _ := json.Marshal(want)
	if string(a) != string(b) {
		t.Errorf("%s:\n%s\nwant the first answer\n%s", what, a, b)
	}
}

func TestKeyedOrderIntake(t *testing.T) {
	l := stockFixture(t)
	in := order("SO1", LineIn{"BOOK", 1})
	first, dup, err := l.ReceiveOrder(ctx, "orders:k1", in, "oms", "api")
	if err != nil || dup || first.State != OrderNew {
		t.Fatalf("first: %s %v %v", first.State, dup, err)
	}
	if _, err := l.CancelOrder(ctx, "SO1", "buyer", "", "B4001", "web"); err != nil {
		t.Fatal(err)
	}
	again, dup, err := l.ReceiveOrder(ctx, "orders:k1", in, "oms", "api")
	if err != nil || dup {
		t.Fatalf("repeat: %v %v", dup, err)
	}
	sameJSON(t, "repeat after the order was cancelled", again, first)
	_, _, err = l.ReceiveOrder(ctx, "orders:k1", order("SO1", LineIn{"BOOK", 2}), "oms", "api")
	wantRefused(t, "the key with another quantity", err, "key.changed")
	_, _, err = l.ReceiveOrder(ctx, "orders:k1", order("SO2", LineIn{"BOOK", 1}), "oms", "api")
	wantRefused(t, "the key with another order", err, "key.other_request")
	_, _, err = l.ReceiveOrder(ctx, "orders:k1", in, "erp", "api")
	wantRefused(t, "the key from another sender", err, "key.other_actor")
	// a fresh key with the same order is the same order again, and its repeat says so too
	for range 2 {
		if o, dup, err := l.ReceiveOrder(ctx, "orders:k2", in, "oms", "api"); err != nil || !dup || o.State != OrderCancelled {
			t.Errorf("a fresh key, the same order: %s %v %v", o.State, dup, err)
		}
	}
	// without a key it is as it always was
	if o, dup, err := l.ReceiveOrder(ctx, "", in, "oms", "api"); err != nil || !dup || o.State != OrderCancelled {
		t.Errorf("no key, the same order: %s %v %v", o.State, dup, err)
	}
}

func TestKeyedReceiptAnnouncement(t *testing.T) {
	l := stockFixture(t)
	in := ReceiptIn{ID: "ASN-1", Supplier: "飞鹤", Lines: []LineIn{{SKU: "MILK", Qty: 24}}}
	first, dup, err := l.ExpectReceipt(ctx, "receipts:k1", in, "oms", "api")
	if err != nil || dup || first.State != "open" {
		t.Fatalf("first: %+v %v %v", first, dup, err)
	}
	if _, err := l.CloseReceipt(ctx, "ASN-1", "B3001", "pda"); err != nil {
		t.Fatal(err)
	}
	again, dup, err := l.ExpectReceipt(ctx, "receipts:k1", in, "oms", "api")
	if err != nil || dup {
		t.Fatalf("repeat: %v %v", dup, err)
	}
	sameJSON(t, "repeat after the receipt was closed", again, first)
	changed := in
	changed.Lines = []LineIn{{SKU: "MILK", Qty: 25}}
	_, _, err = l.ExpectReceipt(ctx, "receipts:k1", changed, "oms", "api")
	wantRefused(t, "the key with other lines", err, "key.changed")
	_, _, err = l.ExpectReceipt(ctx, "receipts:k1", in, "erp", "api")
	wantRefused(t, "the key from another sender", err, "key.other_actor")
	if r, dup, err := l.ExpectReceipt(ctx, "receipts:k2", in, "oms", "api"); err != nil || !dup || r.State != "closed" {
		t.Errorf("a fresh key, the same receipt: %s %v %v", r.State, dup, err)
	}
}

func TestKeyedReturnAnnouncement(t *testing.T) {
	l := shippedFixture(t)
	rma := RMA{RMA: "RMA-1", Order: "SO1", Reason: "七天无理由"}
	first, err := l.AnnounceReturn(ctx, "rmas:k1", rma, "oms", "api")
	if err != nil || first.RMA != "RMA-1" || first.Owner != DefaultOwner {
		t.Fatalf("first: %+v %v", first, err)
	}
	again, err := l.AnnounceReturn(ctx, "rmas:k1", rma, "oms", "api")
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "repeat", again, first)
	other := rma
	other.Reason = "破损"
	_, err = l.AnnounceReturn(ctx, "rmas:k1", other, "oms", "api")
	wantRefused(t, "the key with another reason", err, "key.changed")
	_, err = l.AnnounceReturn(ctx, "rmas:k1", rma, "erp", "api")
	wantRefused(t, "the key from another sender", err, "key.other_actor")
	// the RMA's number names it: a fresh key with other words gets the RMA as recorded
	if got, err := l.AnnounceReturn(ctx, "rmas:k2", other, "oms", "api"); err != nil || got.Reason != rma.Reason {
		t.Errorf("a fresh key, the same RMA: %+v %v", got, err)
	}
}

func TestReturnParcelKeyBindsItsBooking(t *testing.T) {
	l := shippedFixture(t)
	parcel := ReturnParcel{ID: "p1", Order: "SO1", Lines: []ReturnLine{{SKU: "BOOK", Qty: 1, Condition: CondResellable}}}
	first, err := l.ReceiveReturn(ctx, parcel, "B3001", "pda-1")
	if err != nil {
		t.Fatal(err)
	}
	again, err := l.ReceiveReturn(ctx, parcel, "B3001", "pda-1")
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "repeat", again, first)
	changed := parcel
	changed.Lines = []ReturnLine{{SKU: "BOOK", Qty: 1, Condition: CondDamaged}}
	_, err = l.ReceiveReturn(ctx, changed, "B3001", "pda-1")
	wantRefused(t, "the parcel's key with another condition", err, "key.changed")
	_, err = l.ReceiveReturn(ctx, parcel, "B3002", "pda-2")
	wantRefused(t, "the parcel's key from another clerk", err, "key.other_actor")
	if got := qtyAt(t, l, "BOOK", "", "RET-01"); got != 1 {
		t.Errorf("RET-01 holds %d books", got)
	}
}

func TestKeyedReturnMatch(t *testing.T) {
	l := shippedFixture(t)
	if _, err := l.ReceiveReturn(ctx, ReturnParcel{ID: "u1", Lines: []ReturnLine{{SKU: "BOOK", Qty: 1, Condition: CondResellable}}}, "B3001", "pda"); err != nil {
		t.Fatal(err)
	}
	first, err := l.MatchReturn(ctx, "matches:k1", "u1", "SO1", "B3001", "pda")
	if err != nil || first.Order != "SO1" || first.Matched == nil {
		t.Fatalf("first: %+v %v", first, err)
	}
	if _, err := l.PutBackReturn(ctx, "u1", 0, "A01-01-01", "B3001", "pda"); err != nil {
		t.Fatal(err)
	}
	again, err := l.MatchReturn(ctx, "matches:k1", "u1", "SO1", "B3001", "pda")
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "repeat after the parcel was put back", again, first)
	if now, _ := l.ReturnParcelByID("u1"); now.Lines[0].PutBack == "" {
		t.Error("the parcel did not move on, so the test proves nothing")
	}
	_, err = l.MatchReturn(ctx, "matches:k1", "u1", "SO2", "B3001", "pda")
	wantRefused(t, "the key with another order", err, "key.changed")
	_, err = l.MatchReturn(ctx, "matches:k1", "u1", "SO1", "B3002", "pda")
	wantRefused(t, "the key from another clerk", err, "key.other_actor")
}

func TestKeyedHandover(t *testing.T) {
	l, _ := packFixture(t)
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
	first, err := l.Ship(ctx, "handover:k1", "SO1", "PACK-01", "B2001", "kiosk")
	if err != nil || first.State != OrderShipped {
		t.Fatalf("first: %s %v", first.State, err)
	}
	again, err := l.Ship(ctx, "handover:k1", "SO1", "PACK-01", "B2001", "kiosk")
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "repeat", again, first)
	_, err = l.Ship(ctx, "handover:k1", "SO1", "PACK-02", "B2001", "kiosk")
	wantRefused(t, "the key from another station", err, "key.changed")
	_, err = l.Ship(ctx, "handover:k1", "SO1", "PACK-01", "B2002", "kiosk")
	wantRefused(t, "the key from another packer", err, "key.other_actor")
	// a fresh key (another tap) finds the order shipped: one shipment
	if o, err := l.Ship(ctx, "handover:k2", "SO1", "PACK-01", "B2002", "kiosk"); err != nil || o.State != OrderShipped {
		t.Errorf("a fresh key: %s %v", o.State, err)
	}
	if evs, _ := l.EventsOfType(10, EvShipped); len(evs) != 1 {
		t.Errorf("%d shipments", len(evs))
	}
}

// Stations, owners and settings: records saved with a key answer the record
// as first saved, after it was saved again under another key.
func TestKeyedRecords(t *testing.T) {
	l := stockFixture(t)
	st := Station{ID: "PACK-09", Name: "九号台", Printer: "browser"}
	own := Owner{Code: "BEIBEI", Name: "贝贝乳业"}
	set, err := l.Settings()
	if err != nil {
		t.Fatal(err)
	}
	set.AutoWave.Enabled = true
	cases := []struct {
		name  string
		save  func(key, actor string, change bool) (any, error)
		other string // what the record's second save changes
	}{
		{"station", func(key, actor string, change bool) (any, error) {
			s := st
			if change {
				s.Name = "改名"
			}
			return l.SaveStation(ctx, key, s, actor, "web")
		}, "name"},
		{"owner", func(key, actor string, change bool) (any, error) {
			o := own
			if change {
				o.Name = "贝贝"
			}
			return l.SaveOwner(ctx, key, o, actor, "web")
		}, "name"},
		{"settings", func(key, actor string, change bool) (any, error) {
			s := set
			if change {
				s.Partial = PartialShip
			}
			return l.ChangeSettings(ctx, key, s, actor, "web")
		}, "partial"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			first, err := tc.save(tc.name+":k1", "B9001", false)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tc.save(tc.name+":k2", "B9001", true); err != nil {
				t.Fatal(err)
			}
			again, err := tc.save(tc.name+":k1", "B9001", false)
			if err != nil {
				t.Fatal(err)
			}
			sameJSON(t, "repeat after the record was saved again", again, first)
			_, err = tc.save(tc.name+":k1", "B9001", true)
			wantRefused(t, "the key with another "+tc.other, err, "key.changed")
			_, err = tc.save(tc.name+":k1", "B9002", false)
			wantRefused(t, "the key from another person", err, "key.other_actor")
		})
	}
	if s, _ := l.Station("PACK-09"); s.Name != "改名" {
		t.Errorf("the station is %q: a repeat saved it again", s.Name)
	}
	if s, _ := l.Settings(); s.Partial != PartialShip {
		t.Errorf("settings %s: a repeat saved them again", s.Partial)
	}
}

// A recall answers its report as it stood right after the recall; a repeat
// gets that report after the lot was released, not the report of now.
func TestRecallAnswersItsReportAsItWas(t *testing.T) {
	l := stockFixture(t)
	p := LotStatusChange{SKU: "MILK", Lot: "L1", Reason: "供应商召回"}
	first, err := l.Recall(ctx, "recall:k1", p, "B4001", "web")
	if err != nil {
		t.Fatal(err)
	}
	if first.Lot.Status != LotHold || first.Recalled == nil || first.Recalled.Reason != p.Reason || len(first.Locations) == 0 {
		t.Fatalf("first report: %+v", first)
	}
	want, err := l.RecallReport("MILK", "L1")
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "the recall's answer and the report read right after", first, want)
	if _, err := l.SetLotStatus(ctx, "release", LotStatusChange{SKU: "MILK", Lot: "L1", Status: LotAvailable, Reason: "误报"}, "B4001", "web"); err != nil {
		t.Fatal(err)
	}
	again, err := l.Recall(ctx, "recall:k1", p, "B4001", "web")
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "repeat after the lot was released", again, first)
	if now, _ := l.RecallReport("MILK", "L1"); now.Lot.Status != LotAvailable {
		t.Errorf("the lot is %s now, so the test proves nothing", now.Lot.Status)
	}
	other := p
	other.Reason = "另一个原因"
	_, err = l.Recall(ctx, "recall:k1", other, "B4001", "web")
	wantRefused(t, "the key with another reason", err, "key.changed")
	_, err = l.Recall(ctx, "recall:k1", p, "B4002", "web")
	wantRefused(t, "the key from another supervisor", err, "key.other_actor")
}
