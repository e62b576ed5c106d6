package wms

import "testing"

// The dock, the quarantine and the returns area are whichever locations of
// that kind come first along the walk; a warehouse without one has none.
func TestAreaOf(t *testing.T) {
	l, _ := openTest(t)
	seedSmall(t, l)
	if _, _, err := l.NearExpiryToQuarantine(); ErrorCode(err) != CodeConflict {
		t.Errorf("near-expiry moves without a quarantine area: %v", err)
	}
	for _, loc := range []Location{
		{Code: "IN-2", Zone: "D", PickSeq: 20, Kind: KindDock},
		{Code: "IN-1", Zone: "D", PickSeq: 30, Kind: KindDock},
		{Code: "HOLD-9", Zone: "Q", PickSeq: 5, Kind: KindQuarantine},
	} {
		mustAppend(t, l, "area-"+loc.Code, EvLocationUpserted, loc)
	}
	for kind, want := range map[LocationKind]string{KindDock: "IN-2", KindQuarantine: "HOLD-9", KindReturns: ""} {
		if got, err := l.AreaOf(kind); err != nil || got != want {
			t.Errorf("area of kind %s: %q (%v), want %q", kind, got, err, want)
		}
	}
	// two units of a lot expiring in nine days: one on a shelf, one already in quarantine
	mustAppend(t, l, "soon-1", EvStockAdjusted, StockAdjustment{SKU: "MILK", Lot: "SOON", Expiry: "2026-11-20", Location: "A01-01-02", Delta: 1, Reason: "test"})
	mustAppend(t, l, "soon-2", EvStockAdjusted, StockAdjustment{SKU: "MILK", Lot: "SOON", Expiry: "2026-11-20", Location: "HOLD-9", Delta: 1, Reason: "test"})
	to, lines, err := l.NearExpiryToQuarantine()
	if err != nil || to != "HOLD-9" {
		t.Fatalf("near-expiry moves to %q: %v", to, err)
	}
	rows, err := l.NearExpiry()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || len(lines) != 1 || lines[0].Lot != "SOON" || lines[0].Location != "A01-01-02" || lines[0].Qty != 1 {
		t.Errorf("near-expiry %+v: moves %+v, want the shelf's unit only", rows, lines)
	}
}
