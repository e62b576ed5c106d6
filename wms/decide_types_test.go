package wms

import (
	"fmt"
	"testing"
	"time"
)

// lotStatusOf reads a lot's status from the projections.
func lotStatusOf(t testing.TB, l *Ledger, sku, lot string) LotStatus {
	t.Helper()
	var got Lot
	if err := l.view(func(tx *txn) error {
		_, err := getJSON(tx.Bucket(bucketLots), lotKey(DefaultOwner, sku, lot), &got)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return got.Status
}

func reservedOf(t testing.TB, l *Ledger, sku, lot, loc string) int64 {
	t.Helper()
	var n int64
	_ = l.view(func(tx *txn) error { n = reservedAt(tx, DefaultOwner, sku, lot, loc); return nil })
	return n
}

// A wave allocates its orders one after another against the same stock: each
// sees what the orders before it reserved within the decision (nothing is
// written until the event is applied), so none is double-booked and the one
// left without stock waits.
func TestWaveDecisionSeesItsOwnReservations(t *testing.T) {
	l := stockFixture(t) // shippable MILK: GOOD1 3, GOOD2 10, both at A01-02-01
	mustOrder(t, l, order("SO1", LineIn{"MILK", 4}))
	mustOrder(t, l, order("SO2", LineIn{"MILK", 9}))
	mustOrder(t, l, order("SO3", LineIn{"MILK", 1}))
	w := mustWave(t, l, "w1", WaveCluster)
	want := map[string]string{
		"SO1": "[{GOOD1 2028-06-01 A01-02-01 3 0} {GOOD2 2028-09-01 A01-02-01 1 0}]",
		"SO2": "[{GOOD2 2028-09-01 A01-02-01 9 0}]",
	}
	for no, allocs := range want {
		o, err := l.Order(no)
		if err != nil || fmt.Sprint(o.Lines[0].Allocs) != allocs || o.State != OrderAllocated {
			t.Errorf("%s allocated %v (%s, %v), want %s", no, o.Lines[0].Allocs, o.State, err, allocs)
		}
	}
	if o, _ := l.Order("SO3"); o.State != OrderNew || len(w.Waiting) != 1 || w.Waiting[0] != "SO3" {
		t.Errorf("SO3 is %s, wave waiting %v: want it waiting", o.State, w.Waiting)
	}
	if got := reservedOf(t, l, "MILK", "GOOD2", "A01-02-01"); got != 10 {
		t.Errorf("GOOD2 reserved %d, want 10", got)
	}
	evs, _ := l.EventsOfType(1, EvWaveReleased)
	var p WaveRelease
	if err := evs[0].DecodeData(&p); err != nil || !p.Decided || len(p.Allocs) != 2 || p.Wave != w.ID {
		t.Errorf("the stored release records %+v (%v)", p, err)
	}
}

// Events whose decisions were recorded under other rules (an older version,
// other settings, another day) are applied exactly as recorded: the
// projections say what the events say, not what today's rules would decide,
// and Check (at cleanup) proves a rebuild gives the same.
func TestRecordedDecisionsApplyAsRecorded(t *testing.T) {
	t.Run("wave.released", func(t *testing.T) {
		l := stockFixture(t)
		mustOrder(t, l, order("SO1", LineIn{"MILK", 2}))
		// FEFO would take GOOD1; the release recorded GOOD2
		appendRecorded(t, l, "w-old", EvWaveReleased, "", WaveRelease{Orders: []string{"SO1"}, Mode: WaveSingle, ClusterSize: 1, Today: "2026-11-11",
			Decided: true, Wave: "Wx", Allocs: map[string][][]Alloc{"SO1": {{{Lot: "GOOD2", Expiry: "2028-09-01", Location: "A01-02-01", Qty: 2}}}}})
		o, _ := l.Order("SO1")
		if got := fmt.Sprint(o.Lines[0].Allocs); got != "[{GOOD2 2028-09-01 A01-02-01 2 0}]" || o.State != OrderAllocated {
			t.Errorf("allocated %s (%s)", got, o.State)
		}
		if r1, r2 := reservedOf(t, l, "MILK", "GOOD1", "A01-02-01"), reservedOf(t, l, "MILK", "GOOD2", "A01-02-01"); r1 != 0 || r2 != 2 {
			t.Errorf("reserved GOOD1 %d GOOD2 %d, want 0 and 2", r1, r2)
		}
	})
	t.Run("lots.swept", func(t *testing.T) {
		l := stockFixture(t)
		// GOOD2 has not expired; the sweep recorded it expired (and OLD, which has, not)
		appendRecorded(t, l, "sweep-old", EvLotsSwept, "", LotsSwept{Today: "2026-11-11", Decided: true, Expired: []LotRef{{SKU: "MILK", Lot: "GOOD2"}}})
		if s := lotStatusOf(t, l, "MILK", "GOOD2"); s != LotExpired {
			t.Errorf("GOOD2 is %q, want expired as recorded", s)
		}
		if s := lotStatusOf(t, l, "MILK", "OLD"); s == LotExpired {
			t.Errorf("OLD expired though the sweep did not say so")
		}
	})
	t.Run("lot.status", func(t *testing.T) {
		l := stockFixture(t)
		mustOrder(t, l, order("SO1", LineIn{"MILK", 2}))
		mustWave(t, l, "w1", WaveSingle) // GOOD1 2
		// quarantined with its allocation moved to GOOD2 at QA... as recorded: to GOOD2
		appendRecorded(t, l, "qa-old", EvLotStatus, "", LotStatusChange{SKU: "MILK", Lot: "GOOD1", Status: LotQuarantine, Reason: "x", Today: "2026-11-11", Decided: true,
			Moves: []Realloc{{Order: "SO1", Line: 0, From: Alloc{Lot: "GOOD1", Expiry: "2028-06-01", Location: "A01-02-01", Qty: 2}}}})
		o, _ := l.Order("SO1")
		if o.Lines[0].Allocated() != 0 || o.Lines[0].Backordered != 2 {
			t.Errorf("recorded move to nothing: allocs %v backordered %d, want back-ordered 2", o.Lines[0].Allocs, o.Lines[0].Backordered)
		}
	})
	t.Run("pick.short", func(t *testing.T) {
		l := stockFixture(t)
		mustOrder(t, l, order("SO1", LineIn{"MILK", 2}))
		mustWave(t, l, "w1", WaveSingle)
		task, err := l.NextTask(ctx, "B1001", "pda-1")
		if err != nil {
			t.Fatal(err)
		}
		// today's rule would re-allocate GOOD2; the report recorded nothing found
		ev, err := NewEvent("short-old", EvShortReported, "B1001", "pda-1", ShortReport{Task: task.ID, Line: 1, Reason: ShortReasons[0], Today: "2026-11-11", Decided: true})
		if err != nil {
			t.Fatal(err)
		}
		var count string
		appendAs(t, l, ev, func(seq uint64) any {
			count = fmt.Sprintf("C%d", seq)
			return ShortReport{Task: task.ID, Line: 1, Reason: ShortReasons[0], Today: "2026-11-11", Decided: true, CountTask: count}
		})
		o, _ := l.Order("SO1")
		if o.Lines[0].Short != 2 || len(o.Lines[0].Allocs) != 1 {
			t.Errorf("short %d allocs %v, want 2 short and no re-allocation", o.Lines[0].Short, o.Lines[0].Allocs)
		}
		if _, err := l.Task(count); err != nil {
			t.Errorf("count task %s: %v", count, err)
		}
	})
	t.Run("count.submitted", func(t *testing.T) {
		l := stockFixture(t)
		// a variance of one is applied at once today; the count recorded it pending
		appendAs(t, l, Event{ID: "count-old", Type: EvCounted, Actor: "B1001"}, func(seq uint64) any {
			return CountSubmit{Location: "A01-01-01", Lines: []StockRow{{SKU: "BOOK", Qty: 6}}, Today: "2026-11-11", Decided: true,
				Result: &CountResult{ID: fmt.Sprintf("K%d", seq), Location: "A01-01-01", Actor: "B1001", State: "pending", Threshold: 2,
					Lines: []CountVariance{{SKU: "BOOK", Books: 7, Counted: 6}}}}
		})
		if got := qtyAt(t, l, "BOOK", "", "A01-01-01"); got != 7 {
			t.Errorf("BOOK %d after a count recorded pending, want 7", got)
		}
		if pending, _ := l.PendingCounts(); len(pending) != 1 {
			t.Errorf("pending counts %v", pending)
		}
	})
	t.Run("stock.moved", func(t *testing.T) {
		l := stockFixture(t)
		// a whole-location move that recorded only BOOK moves only BOOK
		appendRecorded(t, l, "move-old", EvMoved, "", Move{From: "A01-01-01", To: "A01-01-02", Whole: true,
			Lines: []StockRow{{SKU: "BOOK", Location: "A01-01-01", Qty: 7}}})
		if a, b := qtyAt(t, l, "BOOK", "", "A01-01-02"), qtyAt(t, l, "MILK", "L2", "A01-01-01"); a != 7 || b != 10 {
			t.Errorf("BOOK moved %d, MILK L2 left %d: want 7 and 10", a, b)
		}
	})
	t.Run("stock.received", func(t *testing.T) {
		l := stockFixture(t)
		s, _ := l.SKU("MILK")
		s.ReceiveMinLifePct, s.ShortLifeAction = 80, ShortLifeQuarantine
		mustAppend(t, l, "milk-rule", EvSKUUpserted, s)
		// today's rule quarantines a lot with 231 days left; the receiving recorded it fit
		appendRecorded(t, l, "recv-old", EvReceived, "", Receiving{SKU: "MILK", Lot: "NEW", Expiry: "2027-06-30", Qty: 5, Location: "A01-01-02", Today: "2026-11-11"})
		if got, st := qtyAt(t, l, "MILK", "NEW", "A01-01-02"), lotStatusOf(t, l, "MILK", "NEW"); got != 5 || st == LotQuarantine {
			t.Errorf("received %d, lot %q: want 5 available as recorded", got, st)
		}
		// and one recorded quarantined stays so, though the rule changed since
		appendRecorded(t, l, "recv-qa", EvReceived, "", Receiving{SKU: "MILK", Lot: "QA2", Expiry: "2028-10-01", Qty: 2, Location: "QA-01", Today: "2026-11-11", Quarantined: true})
		if st := lotStatusOf(t, l, "MILK", "QA2"); st != LotQuarantine {
			t.Errorf("lot QA2 is %q, want quarantine as recorded", st)
		}
	})
}

// appendAs appends an event whose recorded decisions name its own sequence
// number (a count task, a count result): payload makes them from it.
func appendAs(t testing.TB, l *Ledger, ev Event, payload func(seq uint64) any) {
	t.Helper()
	seq := l.LastSeq() + 1
	appendRecorded(t, l, ev.ID, ev.Type, ev.Owner, payload(seq))
}

// An applier handed an event of this version without the decisions its
// decider records refuses it instead of deciding in its place.
func TestAppliersRefuseUndecidedEvents(t *testing.T) {
	l := stockFixture(t)
	mustOrder(t, l, order("SO1", LineIn{"MILK", 2}))
	cases := []struct {
		typ     string
		payload any
	}{
		{EvWaveReleased, WaveRelease{Orders: []string{"SO1"}, Mode: WaveSingle, ClusterSize: 1, Today: "2026-11-11"}},
		{EvShortReported, ShortReport{Task: "W1-1", Line: 1, Reason: ShortReasons[0], Today: "2026-11-11"}},
		{EvLotStatus, LotStatusChange{SKU: "MILK", Lot: "GOOD1", Status: LotQuarantine, Reason: "x", Today: "2026-11-11"}},
		{EvLotRecalled, LotStatusChange{SKU: "MILK", Lot: "GOOD1", Status: LotHold, Reason: "x", Today: "2026-11-11"}},
		{EvLotsSwept, LotsSwept{Today: "2026-11-11"}},
		{EvCounted, CountSubmit{Location: "A01-01-01", Lines: []StockRow{{SKU: "BOOK", Qty: 6}}, Today: "2026-11-11"}},
		{EvMoved, Move{From: "A01-01-01", To: "A01-01-02", Whole: true}},
		{EvPackScanned, PackScan{Order: "SO1", Station: "S1", GTIN: "9787536692930", Qty: 1, Today: "2026-11-11"}},
		{EvParcelClosed, ParcelClose{Order: "SO1", Station: "S1", Box: "B1", WeightG: 700, Today: "2026-11-11"}},
		{EvReturnReceived, ReturnParcel{ID: "R1", Lines: []ReturnLine{{SKU: "BOOK", Qty: 1, Condition: CondDamaged}}, Today: "2026-11-11"}},
	}
	for _, c := range cases {
		ev, err := NewEvent("undecided-"+c.typ, c.typ, "B1001", "test", c.payload)
		if err != nil {
			t.Fatal(err)
		}
		err = l.update(func(tx *txn) error {
			ev.Seq, ev.At = 1<<40, time.Now()
			if err := applyEvent(tx, &ev); err != nil {
				return err
			}
			return errRollback
		})
		if e, ok := AsError(err); !ok || e.Args["detail"] != "undecided" {
			t.Errorf("%s without its decision: %v, want refused as undecided", c.typ, err)
		}
	}
}

// Packing, shipping and returns decided under other rules apply as recorded.
func TestRecordedPackingDecisionsApplyAsRecorded(t *testing.T) {
	l, _ := packFixture(t)
	milk, _ := l.SKU("MILK")
	o, _ := l.Order("SO1")
	lot := o.Lines[0].Allocs[0].Lot
	for i, p := range []PackScan{{GTIN: milk.GTINs[0], Lot: lot, Serial: "C1"}, {GTIN: milk.GTINs[0], Lot: lot, Serial: "C2"}} {
		p.Order, p.Station, p.Qty = "SO1", "PACK-01", 1
		if _, err := l.PackScan(ctx, fmt.Sprint("ps", i), p, "B2001", "kiosk"); err != nil {
			t.Fatal(err)
		}
	}
	// pack.scanned: the scan recorded BOOK (whatever its GTIN resolves to today)
	appendRecorded(t, l, "ps-old", EvPackScanned, "", PackScan{Order: "SO1", Station: "PACK-01", GTIN: "recorded-elsewhere", Qty: 1, Today: "2026-11-11", SKU: "BOOK"})
	ps, _ := l.Pack("SO1")
	if len(ps.Verified) != 2 || ps.Verified[1].SKU != "BOOK" {
		t.Fatalf("verified %+v, want the recorded BOOK", ps.Verified)
	}
	// parcel.closed: 5 kg is far outside today's gate (2880 g expected); the
	// parcel recorded passed, with its own expected weight and waybill
	parcel := &Parcel{N: 1, Box: "L3", Items: ps.Verified, WeightG: 5000, ExpectedG: 4990, Waybill: "SF1000000000001"}
	appendRecorded(t, l, "pc-old", EvParcelClosed, "", ParcelClose{Order: "SO1", Station: "PACK-01", Box: "L3", WeightG: 5000, Today: "2026-11-11", Parcel: parcel})
	ps, _ = l.Pack("SO1")
	if o, _ := l.Order("SO1"); len(ps.Parcels) != 1 || ps.Parcels[0].ExpectedG != 4990 || ps.Parcels[0].Waybill != "SF1000000000001" || o.State != OrderPacked {
		t.Fatalf("parcels %+v (order %s), want the recorded one, packed", ps.Parcels, o.State)
	}
	// order.shipped: waybills that are not the order's parcels are refused
	err := l.update(func(tx *txn) error {
		ev, _ := NewEvent("ship-bad", EvShipped, "B2001", "kiosk", ShipConfirm{Order: "SO1", Station: "PACK-01", Waybills: []string{"SF1000000000009"}})
		ev.Seq, ev.At = 1<<40, time.Now()
		if err := applyEvent(tx, &ev); err != nil {
			return err
		}
		return errRollback
	})
	if ErrorCode(err) != CodeInvalid {
		t.Errorf("a shipment naming another waybill: %v, want refused", err)
	}
	if _, err := l.Ship(ctx, "", "SO1", "PACK-01", "B2001", "kiosk"); err != nil {
		t.Fatal(err)
	}
	evs, _ := l.EventsOfType(1, EvShipped)
	var sc ShipConfirm
	if err := evs[0].DecodeData(&sc); err != nil || len(sc.Waybills) != 1 || sc.Waybills[0] != "SF1000000000001" {
		t.Errorf("the shipment records waybills %v (%v)", sc.Waybills, err)
	}
	// return.received: a resellable can goes where the parcel recorded (the
	// damaged area), not to the returns area today's rule picks
	mustAppend(t, l, "dmg", EvLocationUpserted, Location{Code: "DMG-01", Zone: "DMG", PickSeq: 950, Kind: KindDamaged})
	mustAppend(t, l, "ret", EvLocationUpserted, Location{Code: "RET-01", Zone: "RET", PickSeq: 960, Kind: KindReturns})
	appendRecorded(t, l, "r-old", EvReturnReceived, "", ReturnParcel{ID: "r1", Order: "SO1", Today: "2026-11-11", Actor: "B3001", At: time.Date(2026, 11, 11, 3, 0, 0, 0, time.UTC),
		Lines: []ReturnLine{{SKU: "MILK", Lot: lot, Serial: "C1", Qty: 1, Condition: CondResellable, Location: "DMG-01"}}})
	if got, ret := qtyAt(t, l, "MILK", lot, "DMG-01"), qtyAt(t, l, "MILK", lot, "RET-01"); got != 1 || ret != 0 {
		t.Errorf("returned can at DMG-01 %d, RET-01 %d: want it where recorded", got, ret)
	}
}
