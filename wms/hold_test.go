package wms

import (
	"slices"
	"testing"
)

func stepsOf(o Order) []string {
	var out []string
	for _, s := range o.Steps {
		out = append(out, s.Step)
	}
	return out
}

// A held order is skipped by waves until it is restored; holding it again
// or restoring it twice changes nothing; a released order cannot be held.
// The rebuild at the test's end (openTest) checks the projections.
func TestHoldSkipsWavesUntilRestored(t *testing.T) {
	l := stockFixture(t)
	books := l.Books(DefaultOwner)
	mustOrder(t, l, order("SO1", LineIn{"BOOK", 1}))
	mustOrder(t, l, order("SO2", LineIn{"BOOK", 1}))

	o, err := books.HoldOrder(ctx, "SO1", true, "地址待确认", "", "erp", "qimen")
	if err != nil || !o.Held || o.HoldReason != "地址待确认" || o.Holds != 1 {
		t.Fatalf("hold: %+v %v", o, err)
	}
	seq := l.LastSeq()
	again, err := books.HoldOrder(ctx, "SO1", true, "another reason", "", "erp", "qimen")
	if err != nil || !again.Held || again.HoldReason != "地址待确认" || l.LastSeq() != seq {
		t.Fatalf("hold again: %+v %v, seq %d → %d", again, err, seq, l.LastSeq())
	}
	if briefs, _ := l.OrderBriefs(OrderNew); len(briefs) != 2 || !briefs[0].Held || briefs[1].Held {
		t.Fatalf("briefs: %+v", briefs)
	}

	w := mustWave(t, l, "w1", WaveSingle)
	if !slices.Equal(w.Orders, []string{"SO2"}) {
		t.Fatalf("wave took %v, want SO2 only", w.Orders)
	}
	if _, err := l.ReleaseWave(ctx, WaveFilter{Mode: WaveSingle}, "w2", "B4001", "web"); ErrorCode(err) != CodeNotFound {
		t.Fatalf("a wave of nothing but a held order: %v", err)
	}
	if _, err := books.HoldOrder(ctx, "SO2", true, "", "", "erp", "qimen"); ErrorCode(err) != CodeConflict {
		t.Fatalf("holding an order in a wave: %v", err)
	}

	o, err = books.HoldOrder(ctx, "SO1", false, "", "", "erp", "qimen")
	if err != nil || o.Held || o.HoldReason != "" {
		t.Fatalf("restore: %+v %v", o, err)
	}
	seq = l.LastSeq()
	if o, err = books.HoldOrder(ctx, "SO1", false, "", "", "erp", "qimen"); err != nil || o.Held || l.LastSeq() != seq {
		t.Fatalf("restore again: %+v %v", o, err)
	}
	w = mustWave(t, l, "w3", WaveSingle)
	if !slices.Equal(w.Orders, []string{"SO1"}) {
		t.Fatalf("wave after restore took %v", w.Orders)
	}
	o, _ = l.Order("SO1")
	if got, want := stepsOf(o), []string{"new", StepHeld, StepRestored, "allocated"}; !slices.Equal(got, want) {
		t.Errorf("steps %v, want %v", got, want)
	}
	if _, err := books.HoldOrder(ctx, "SO1", true, "", "", "erp", "qimen"); ErrorCode(err) != CodeConflict {
		t.Fatalf("holding an allocated order: %v", err)
	}
	if _, err := books.HoldOrder(ctx, "NOPE", true, "", "", "erp", "qimen"); ErrorCode(err) != CodeNotFound {
		t.Fatalf("holding an unknown order: %v", err)
	}
	if _, err := books.HoldOrder(ctx, "SO1", true, "bad\x01reason", "", "erp", "qimen"); ErrorCode(err) != CodeInvalid {
		t.Fatalf("a reason with a control character: %v", err)
	}
	assertReservationsMatch(t, l)
}

// A held order is left out by the auto-wave rule, however urgent.
func TestAutoWaveSkipsHeld(t *testing.T) {
	l := stockFixture(t)
	mustOrder(t, l, order("SO1", LineIn{"BOOK", 1}))
	s := DefaultSettings()
	s.AutoWave.Enabled, s.AutoWave.Mode, s.AutoWave.MinOrders = true, WaveSingle, 1
	if _, err := l.ChangeSettings(ctx, "", s, "B4001", "web"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Books(DefaultOwner).HoldOrder(ctx, "SO1", true, "", "k-hold", "erp", "qimen"); err != nil {
		t.Fatal(err)
	}
	if waves, err := l.RunAutoWave(ctx); err != nil || len(waves) != 0 {
		t.Fatalf("auto-wave took a held order: %+v %v", waves, err)
	}
	if _, err := l.Books(DefaultOwner).HoldOrder(ctx, "SO1", false, "", "k-restore", "erp", "qimen"); err != nil {
		t.Fatal(err)
	}
	if waves, err := l.RunAutoWave(ctx); err != nil || len(waves) != 1 {
		t.Fatalf("auto-wave after restore: %+v %v", waves, err)
	}
}

// Old briefs (written before holds) decode as not held; the flags round-trip.
func TestBriefHeldFlag(t *testing.T) {
	b := OrderBrief{Owner: "O", No: "SO1", Carrier: "SF", Held: true}
	got, ok := decodeBrief("O", "SO1", b.encode())
	if !ok || !got.Held || got.ShipBy != nil || got.Carrier != "SF" {
		t.Fatalf("%+v %v", got, ok)
	}
	b.Held = false
	if got, _ := decodeBrief("O", "SO1", b.encode()); got.Held {
		t.Fatal("not held decoded as held")
	}
}

// Inventory splits on-hand stock into sellable and not, and counts reservations.
func TestInventorySplitsSellable(t *testing.T) {
	l := stockFixture(t)
	mustOrder(t, l, order("SO1", LineIn{"BOOK", 2}))
	mustWave(t, l, "w1", WaveSingle)
	inv, err := l.Books(DefaultOwner).Inventory()
	if err != nil {
		t.Fatal(err)
	}
	find := func(sku, lot string, sellable bool) InventoryLine {
		for _, x := range inv {
			if x.SKU == sku && x.Lot == lot && x.Sellable == sellable {
				return x
			}
		}
		return InventoryLine{}
	}
	if g := find("MILK", "GOOD1", true); g.Qty != 3 || g.Expiry != "2028-06-01" {
		t.Errorf("GOOD1 sellable %+v", g)
	}
	if g := find("MILK", "GOOD1", false); g.Qty != 50 {
		t.Errorf("GOOD1 in quarantine %+v", g)
	}
	onHand, _ := l.OnHand(DefaultOwner)
	var total, sum, reserved int64
	for _, x := range onHand {
		total += x.Qty
	}
	for _, x := range inv {
		sum += x.Qty
		reserved += x.Reserved
	}
	if sum != total || reserved != 2 {
		t.Errorf("inventory sums to %d (on hand %d), reserved %d: %+v", sum, total, reserved, inv)
	}
}

// TestCancelledOrderIsNotHeld: cancelling a held order ends its hold.
func TestCancelledOrderIsNotHeld(t *testing.T) {
	l := stockFixture(t)
	books := l.Books(DefaultOwner)
	mustOrder(t, l, order("SO1", LineIn{"BOOK", 1}))
	if _, err := books.HoldOrder(ctx, "SO1", true, "地址待确认", "", "erp", "qimen"); err != nil {
		t.Fatal(err)
	}
	o, err := books.CancelOrder(ctx, "SO1", "buyer cancelled", "", "erp", "qimen")
	if err != nil || o.State != OrderCancelled || o.Held || o.HoldReason != "" {
		t.Fatalf("cancelled: %+v %v", o, err)
	}
	if briefs, _ := l.OrderBriefs(OrderCancelled); len(briefs) != 1 || briefs[0].Held {
		t.Fatalf("briefs: %+v", briefs)
	}
}
