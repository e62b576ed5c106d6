package wms

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestShelfLifeEdges(t *testing.T) {
	milk := SKU{Code: "M", ShelfLifeDays: 720, ReceiveMinLifePct: 75, ShortLifeAction: ShortLifeRefuse, MinOutboundLifePct: 67}
	cosmetic := SKU{Code: "C", ShelfLifeDays: 1095, ReceiveMinLifePct: 50, ShortLifeAction: ShortLifeQuarantine}
	leap := SKU{Code: "L", ShelfLifeDays: 4, ReceiveMinLifePct: 50, ShortLifeAction: ShortLifeRefuse}
	cases := []struct {
		name          string
		sku           SKU
		expiry, today string
		ok            bool
		action        string
	}{
		{"threshold exactly met: 540 of 720 days", milk, "2028-05-04", "2026-11-11", true, ""},
		{"one day short", milk, "2028-05-03", "2026-11-11", false, ShortLifeRefuse},
		{"expiry today", milk, "2026-11-11", "2026-11-11", false, ShortLifeRefuse},
		{"expired yesterday, even where short life is quarantined", cosmetic, "2026-11-10", "2026-11-11", false, ShortLifeRefuse},
		{"short-dated cosmetics go to quarantine", cosmetic, "2027-06-01", "2026-11-11", false, ShortLifeQuarantine},
		{"leap day counts: 2 of 4 days left", leap, "2028-03-01", "2028-02-28", true, ""},
		{"leap day counts: 1 of 4 days left", leap, "2028-02-29", "2028-02-28", false, ShortLifeRefuse},
		{"no expiry", milk, "", "2026-11-11", true, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ok, action := ShelfLifeAtReceipt(tc.sku, tc.expiry, tc.today)
			if ok != tc.ok || action != tc.action {
				t.Errorf("got %v %q, want %v %q", ok, action, tc.ok, tc.action)
			}
		})
	}
	// outbound: expiry today never ships; exactly 67 % ships
	for _, tc := range []struct {
		expiry string
		ok     bool
	}{{"2026-11-11", false}, {"2026-11-12", false}, {"2028-05-10", true}, {"2028-05-09", false}} {
		// 67 % of 720 = 482.4 days: 2028-05-09 is 545 days… compute: ship needs left*100 >= 67*720 = 48240 → left >= 483
		ok, _ := Shippable(milk, Lot{Expiry: tc.expiry, Status: LotAvailable}, 67, "2027-01-12")
		want := daysBetween("2027-01-12", tc.expiry)*100 >= 48240 && daysBetween("2027-01-12", tc.expiry) > 0
		if ok != want {
			t.Errorf("Shippable(%s) = %v, want %v", tc.expiry, ok, want)
		}
	}
	if ok, _ := Shippable(milk, Lot{Expiry: "2028-05-10", Status: LotAvailable}, 67, "2027-01-10"); !ok { // 486 days
		t.Error("486 days left should ship")
	}
	if ok, _ := Shippable(milk, Lot{Expiry: "2028-05-06", Status: LotAvailable}, 67, "2027-01-10"); ok { // 482 days
		t.Error("482 days left should not ship")
	}
}

func receiveFixture(t testing.TB) *Ledger {
	l := stockFixture(t)
	mustAppend(t, l, "dock", EvLocationUpserted, Location{Code: "DOCK-01", Zone: "DOCK", PickSeq: 1000, Kind: KindDock})
	mustAppend(t, l, "nuts", EvSKUUpserted, SKU{Code: "NUTS", Name: "每日坚果", GTINs: []string{"6901234567908"}, ShelfLifeDays: 270,
		LotTracked: true, ReceiveMinLifePct: 60, ShortLifeAction: ShortLifeQuarantine, Zone: "A"})
	s, _ := l.SKU("MILK")
	s.ReceiveMinLifePct, s.ShortLifeAction, s.Zone = 75, ShortLifeRefuse, "A"
	mustAppend(t, l, "milk2", EvSKUUpserted, s)
	return l
}

func TestReceiving(t *testing.T) {
	l := receiveFixture(t)
	if _, _, err := l.ExpectReceipt(ctx, "", ReceiptIn{ID: "ASN1", Supplier: "飞鹤乳业", Lines: []LineIn{{"MILK", 10}, {"NUTS", 5}}}, "B3001", "pda"); err != nil {
		t.Fatal(err)
	}
	stockOnly := func() string {
		var out string
		for _, b := range [][]byte{bucketStock, bucketStockByLoc, bucketLots, bucketReserved} {
			rows, _ := l.dumpBucket(b)
			out += fmt.Sprintf("%s %x\n", b, rows)
		}
		return out
	}
	before := stockOnly()
	_, err := l.Receive(ctx, "r-short", Receiving{Receipt: "ASN1", SKU: "MILK", Lot: "OLDISH", Expiry: "2027-12-01", Qty: 6, Location: "DOCK-01"}, "B3001", "pda")
	if e, ok := AsError(err); !ok || e.Key != "receive.short_life" {
		t.Fatalf("short-dated formula: %v", err)
	}
	if stockOnly() != before {
		t.Error("a refused delivery changed stock")
	}
	if rc, _ := l.Receipt("ASN1"); rc.Lines[0].Refused != 6 || rc.Lines[0].Received != 0 {
		t.Errorf("the refusal is not on the receipt: %+v", rc.Lines[0])
	}
	r, err := l.Receive(ctx, "r1", Receiving{Receipt: "ASN1", SKU: "MILK", Lot: "FRESH", Expiry: "2028-10-01", Qty: 12, Location: "DOCK-01"}, "B3001", "pda")
	if err != nil || r.Quarantined {
		t.Fatalf("fresh formula: %v %+v", err, r)
	}
	if _, err := l.Receive(ctx, "r2", Receiving{Receipt: "ASN1", SKU: "NUTS", Lot: "N1", Expiry: "2027-02-01", Qty: 3, Location: "DOCK-01"}, "B3001", "pda"); ErrorCode(err) != CodeConflict {
		t.Errorf("short-dated nuts at the dock: %v", err)
	}
	r, err = l.Receive(ctx, "r3", Receiving{Receipt: "ASN1", SKU: "NUTS", Lot: "N1", Expiry: "2027-02-01", Qty: 3, Location: "QA-01"}, "B3001", "pda")
	if err != nil || !r.Quarantined {
		t.Fatalf("short-dated nuts to quarantine: %v %+v", err, r)
	}
	lots, _ := l.Lots()
	for _, x := range lots {
		if x.SKU == "NUTS" && x.Status != LotQuarantine {
			t.Errorf("nuts lot %s", x.Status)
		}
	}
	rc, _ := l.Receipt("ASN1")
	if rc.Lines[0].Variance() != 2 || rc.Lines[1].Variance() != -2 || rc.Lines[1].Quarantined != 3 {
		t.Errorf("receipt variances %+v", rc.Lines)
	}
	where, err := l.SuggestPutaway("MILK", "FRESH")
	if err != nil || !strings.HasPrefix(where, "A") {
		t.Fatalf("putaway %q %v", where, err)
	}
	if _, err := l.MoveStock(ctx, "put1", Move{SKU: "MILK", Lot: "FRESH", From: "DOCK-01", To: where, Qty: 12}, "B3001", "pda"); err != nil {
		t.Fatal(err)
	}
	if again, _ := l.SuggestPutaway("MILK", "FRESH"); again != where {
		t.Errorf("same SKU and lot should go to %s, got %s", where, again)
	}
	if _, err := l.CloseReceipt(ctx, "ASN1", "B3001", "pda"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Receive(ctx, "r4", Receiving{Receipt: "ASN1", SKU: "MILK", Lot: "FRESH", Expiry: "2028-10-01", Qty: 1, Location: "DOCK-01"}, "B3001", "pda"); ErrorCode(err) != CodeConflict {
		t.Errorf("receiving on a closed receipt: %v", err)
	}
	_, events, err := l.LotTrace("MILK", "FRESH")
	if err != nil || len(events) != 2 || events[0].Type != EvReceived || events[1].Type != EvMoved {
		t.Errorf("trace of FRESH: %v %v", events, err)
	}
}

// Every delivery without notice has its own receipt: once one is closed the
// receiver's next blind delivery that day gets the next number, and a closed
// receipt takes nothing more (not even a refusal).
func TestBlindReceiptPerDelivery(t *testing.T) {
	l := receiveFixture(t)
	day := l.Today()
	first, err := l.NextBlindReceipt(day, "B3001")
	want := "BLIND-" + strings.ReplaceAll(day, "-", "") + "-B3001-1"
	if err != nil || first != want {
		t.Fatalf("first blind receipt %q %v, want %q", first, err, want)
	}
	if again, _ := l.NextBlindReceipt(day, "B3001"); again != first {
		t.Errorf("an unused blind receipt should be handed out again: %q", again)
	}
	// an old store's receipt of the day, without a number, stays as it is
	old := strings.TrimSuffix(want, "-1")
	if _, err := l.Receive(ctx, "old", Receiving{Receipt: old, SKU: "MILK", Lot: "OLD1", Expiry: "2028-10-01", Qty: 2, Location: "DOCK-01"}, "B3001", "pda"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Receive(ctx, "b1", Receiving{Receipt: first, SKU: "MILK", Lot: "B1", Expiry: "2028-10-01", Qty: 4, Location: "DOCK-01"}, "B3001", "pda"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.CloseReceipt(ctx, first, "B3001", "pda"); err != nil {
		t.Fatal(err)
	}
	second, _ := l.NextBlindReceipt(day, "B3001")
	if second != strings.TrimSuffix(want, "1")+"2" {
		t.Errorf("after closing %s the next delivery got %q", first, second)
	}
	if other, _ := l.NextBlindReceipt(day, "B3002"); !strings.HasSuffix(other, "-B3002-1") {
		t.Errorf("another receiver's first blind receipt: %q", other)
	}
	if r, err := l.Receive(ctx, "b2", Receiving{Receipt: second, SKU: "MILK", Lot: "B2", Expiry: "2028-10-01", Qty: 3, Location: "DOCK-01"}, "B3001", "pda"); err != nil || r.Receipt != second {
		t.Fatalf("second blind delivery: %v", err)
	}
	if rc, _ := l.Receipt(old); rc.State != "open" || !rc.Blind || rc.Lines[0].Received != 2 {
		t.Errorf("old blind receipt %+v", rc)
	}
	// a short-dated lot on the closed receipt: refused as closed, nothing recorded
	before := l.LastSeq()
	_, err = l.Receive(ctx, "late", Receiving{Receipt: first, SKU: "MILK", Lot: "LATE", Expiry: "2027-12-01", Qty: 6, Location: "DOCK-01"}, "B3001", "pda")
	if e, ok := AsError(err); !ok || e.Key != "receipt.closed" {
		t.Errorf("short-dated lot on a closed receipt: %v", err)
	}
	if l.LastSeq() != before {
		t.Errorf("a closed receipt recorded %d events", l.LastSeq()-before)
	}
	if rc, _ := l.Receipt(first); rc.Lines[0].Refused != 0 || rc.Lines[0].Received != 4 {
		t.Errorf("closed receipt changed: %+v", rc.Lines)
	}
}

func TestRecallDuringPick(t *testing.T) {
	l := stockFixture(t)
	// another shippable lot elsewhere, for the re-allocation
	mustAppend(t, l, "other", EvStockAdjusted, StockAdjustment{SKU: "MILK", Lot: "GOOD3", Expiry: "2028-12-01", Location: "R01-01-01", Delta: 10, Reason: "x"})
	mustOrder(t, l, order("SO1", LineIn{"MILK", 3}))
	mustWave(t, l, "w1", WaveSingle)
	task, _ := l.NextTask(ctx, "B1001", "pda-1")
	line := task.Lines[0] // 3 of GOOD1 at A01-02-01
	if line.Lot != "GOOD1" {
		t.Fatalf("allocated %s", line.Lot)
	}
	if _, _, err := l.Pick(ctx, "p1", PickScan{Task: task.ID, Line: line.N, Location: line.Location, Items: []ScannedItem{{GTIN: line.GTINs[0], Lot: "GOOD1"}}, Qty: 1}, "B1001", "pda-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Recall(ctx, "recall-1", LotStatusChange{SKU: "MILK", Lot: "GOOD1", Reason: "supplier recall 2026-17"}, "B4001", "web"); err != nil {
		t.Fatal(err)
	}
	o, _ := l.Order("SO1")
	if got := fmt.Sprint(o.Lines[0].Allocs); got != "[{GOOD1 2028-06-01 A01-02-01 1 1} {GOOD2 2028-09-01 A01-02-01 2 0}]" {
		t.Errorf("allocations after recall: %s", got)
	}
	task, _ = l.Task(task.ID)
	if !task.Lines[0].Cancelled || len(task.Lines) != 2 || task.Lines[1].Lot != "GOOD2" || task.Lines[1].Qty != 2 {
		t.Fatalf("task after recall: %+v", task.Lines)
	}
	// the picker at the shelf scans the recalled lot again: stopped
	_, _, err := l.Pick(ctx, "p2", PickScan{Task: task.ID, Line: 2, Location: "A01-02-01", Items: []ScannedItem{{GTIN: line.GTINs[0], Lot: "GOOD1"}}, Qty: 1}, "B1001", "pda-1")
	if e, ok := AsError(err); !ok || e.Key != "pick.lot_hold" {
		t.Fatalf("recalled lot picked: %v", err)
	}
	if _, _, err := l.Pick(ctx, "p3", PickScan{Task: task.ID, Line: 2, Location: "A01-02-01", Items: []ScannedItem{{GTIN: line.GTINs[0], Lot: "GOOD2"}}, Qty: 2}, "B1001", "pda-1"); err != nil {
		t.Fatal(err)
	}
	assertReservationsMatch(t, l)
	// the lot's story and where it still is
	_, events, _ := l.LotTrace("MILK", "GOOD1")
	var types []string
	for _, e := range events {
		types = append(types, e.Type)
	}
	if got := strings.Join(types, " "); got != "stock.adjusted stock.adjusted wave.released pick.scanned lot.recalled" {
		t.Errorf("trace: %s", got)
	}
	if lines, _ := l.StockOf("MILK"); !containsLot(lines, "GOOD1", "QA-01") {
		t.Errorf("the report would miss GOOD1 in quarantine: %+v", lines)
	}
	// the recall report: where the lot still is, the order that took one, who recalled it
	rep, err := l.RecallReport("MILK", "GOOD1")
	if err != nil {
		t.Fatal(err)
	}
	if !containsLot(rep.Locations, "GOOD1", "QA-01") || rep.Lot.Status != LotHold {
		t.Errorf("report locations %+v, lot %+v", rep.Locations, rep.Lot)
	}
	for _, x := range rep.Locations {
		if x.Lot != "GOOD1" {
			t.Errorf("report lists another lot: %+v", x)
		}
	}
	if len(rep.Orders) != 1 || rep.Orders[0].Order != "SO1" || rep.Orders[0].Qty != 1 || rep.Orders[0].State != OrderPicked || rep.Orders[0].Channel == "" {
		t.Errorf("report orders %+v", rep.Orders)
	}
	if r := rep.Recalled; r == nil || r.Actor != "B4001" || r.Reason != "supplier recall 2026-17" {
		t.Errorf("recalled by %+v", r)
	}
	if _, err := l.RecallReport("MILK", "NOSUCH"); ErrorCode(err) != CodeNotFound {
		t.Errorf("report of an unknown lot: %v", err)
	}
}

func containsLot(lines []StockLine, lot, loc string) bool {
	for _, x := range lines {
		if x.Lot == lot && x.Location == loc {
			return true
		}
	}
	return false
}

func TestSerialRecallAndTrace(t *testing.T) {
	l := stockFixture(t)
	mustOrder(t, l, order("SO1", LineIn{"MILK", 2}))
	mustWave(t, l, "w1", WaveSingle)
	task, _ := l.NextTask(ctx, "B1001", "pda-1")
	line := task.Lines[0]
	item := func(serial string) []ScannedItem {
		return []ScannedItem{{GTIN: line.GTINs[0], Lot: line.Lot, Serial: serial}}
	}
	if _, err := l.Recall(ctx, "rs", LotStatusChange{SKU: "MILK", Lot: line.Lot, Serials: []string{"CAN-666"}, Reason: "tampered"}, "B4001", "web"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.Pick(ctx, "p0", PickScan{Task: task.ID, Line: line.N, Location: line.Location, Items: item("CAN-666"), Qty: 1}, "B1001", "pda-1"); err == nil || err.(*Error).Key != "pick.serial_held" {
		t.Errorf("held serial: %v", err)
	}
	if _, _, err := l.Pick(ctx, "p1", PickScan{Task: task.ID, Line: line.N, Location: line.Location, Items: item("CAN-001"), Qty: 1}, "B1001", "pda-1"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.Pick(ctx, "p2", PickScan{Task: task.ID, Line: line.N, Location: line.Location, Items: item("CAN-001"), Qty: 1}, "B1001", "pda-1"); err == nil || err.(*Error).Key != "pick.serial_double_read" {
		t.Errorf("same serial twice in one task (a double read): %v", err)
	}
	st, ev, err := l.SerialTrace("CAN-001")
	if err != nil || st.Order != "SO1" || ev.Type != EvPicked {
		t.Errorf("serial trace %+v %v", st, err)
	}
	// undo puts the can back: the serial may be picked again
	if _, _, err := l.UndoPick(ctx, "u1", PickUndo{Task: task.ID}, "B1001", "pda-1"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.SerialTrace("CAN-001"); ErrorCode(err) != CodeNotFound {
		t.Errorf("serial after undo: %v", err)
	}
}

func TestSweepMarksExpiredAndMovesAllocations(t *testing.T) {
	l, clock := openTest(t)
	seedSmall(t, l)
	mustAppend(t, l, "b", EvSKUUpserted, SKU{Code: "JAM", Name: "果酱", ShelfLifeDays: 100, LotTracked: true})
	mustAppend(t, l, "j1", EvStockAdjusted, StockAdjustment{SKU: "JAM", Lot: "J1", Expiry: "2026-11-20", Location: "A01-01-01", Delta: 5, Reason: "x"})
	mustAppend(t, l, "j2", EvStockAdjusted, StockAdjustment{SKU: "JAM", Lot: "J2", Expiry: "2027-01-20", Location: "A01-01-02", Delta: 5, Reason: "x"})
	mustOrder(t, l, order("SO1", LineIn{"JAM", 2}))
	mustWave(t, l, "w1", WaveSingle)
	if o, _ := l.Order("SO1"); o.Lines[0].Allocs[0].Lot != "J1" {
		t.Fatalf("allocated %+v", o.Lines[0].Allocs)
	}
	near, _ := l.NearExpiry()
	if len(near) != 1 || near[0].Lot != "J1" || near[0].DaysLeft != 9 {
		t.Errorf("near expiry: %+v", near)
	}
	clock.Add(10 * 24 * 3600e9)
	expired, err := l.SweepExpired(ctx)
	if err != nil || len(expired) != 1 || expired[0].Lot != "J1" {
		t.Fatalf("sweep: %v %v", expired, err)
	}
	if again, _ := l.SweepExpired(ctx); len(again) != 1 {
		t.Errorf("second sweep the same day answered %v", again)
	}
	o, _ := l.Order("SO1")
	if got := fmt.Sprint(o.Lines[0].Allocs); got != "[{J1 2026-11-20 A01-01-01 0 0} {J2 2027-01-20 A01-01-02 2 0}]" {
		t.Errorf("allocations after sweep: %s", got)
	}
	assertReservationsMatch(t, l)
	if err := l.CreateMoveTasks(ctx, "mt", MoveTasks{To: "R01-01-01", Why: "expired", Lines: []StockRow{{SKU: "JAM", Lot: "J1", Location: "A01-01-01", Qty: 5}}}, "B4001", "web"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.MoveStock(ctx, "mv", Move{From: "A01-01-01", To: "R01-01-01", SKU: "JAM", Lot: "J1", Qty: 5}, "B1001", "pda"); err != nil {
		t.Fatal(err)
	}
	all, _ := l.TasksIn(TaskOpen, 10)
	for _, task := range all {
		if task.Kind == TaskMove {
			t.Errorf("move task still open after the move: %+v", task)
		}
	}
}

func TestMoves(t *testing.T) {
	l := stockFixture(t)
	mustOrder(t, l, order("SO1", LineIn{"BOOK", 5}))
	mustWave(t, l, "w1", WaveSingle) // 5 of the 7 BOOK at A01-01-01 reserved
	if _, err := l.MoveStock(ctx, "m1", Move{SKU: "BOOK", From: "A01-01-01", To: "R01-01-01", Qty: 3}, "B1001", "pda"); err == nil || err.(*Error).Key != "move.reserved" {
		t.Errorf("moving reserved units: %v", err)
	}
	if _, err := l.MoveStock(ctx, "m2", Move{SKU: "BOOK", From: "A01-01-01", To: "R01-01-01", Qty: 2}, "B1001", "pda"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.MoveStock(ctx, "m3", Move{From: "A01-01-01", To: "R01-01-01", Whole: true}, "B1001", "pda"); err == nil || err.(*Error).Key != "move.reserved" {
		t.Fatalf("whole move of a shelf with reserved units: %v", err)
	}
	if _, err := l.MoveStock(ctx, "m4", Move{From: "A01-01-02", To: "R01-01-01", Whole: true}, "B1001", "pda"); err != nil {
		t.Fatal(err)
	}
	if lines, _ := l.StockAt("A01-01-02"); len(lines) != 0 {
		t.Errorf("location not emptied: %+v", lines)
	}
	if _, err := l.MoveStock(ctx, "m5", Move{From: "A01-01-02", To: "R01-01-01", Whole: true}, "B1001", "pda"); ErrorCode(err) != CodeConflict {
		t.Errorf("moving an empty location: %v", err)
	}
}

func TestCountVariance(t *testing.T) {
	l := stockFixture(t) // BOOK: 7 at A01-01-01
	if err := l.RequestCounts(ctx, "cr", CountRequest{Locations: []string{"A01-01-01"}, Reason: "cycle"}, "B4001", "web"); err != nil {
		t.Fatal(err)
	}
	counts, _ := l.TasksIn(TaskOpen, 10)
	if len(counts) != 1 || counts[0].Kind != TaskCount {
		t.Fatalf("count tasks %+v", counts)
	}
	// a small variance (one short) is booked at once
	res, err := l.SubmitCount(ctx, "c1", CountSubmit{Task: counts[0].ID, Location: "A01-01-01", Lines: []StockRow{{SKU: "BOOK", Qty: 6}, {SKU: "MILK", Lot: "L2", Qty: 10}}}, "B1001", "pda")
	if err != nil || res.State != "applied" {
		t.Fatalf("small variance: %+v %v", res, err)
	}
	if qtyAt(t, l, "BOOK", "", "A01-01-01") != 6 {
		t.Error("not booked")
	}
	// a large one waits for a supervisor other than the counter
	res, err = l.SubmitCount(ctx, "c2", CountSubmit{Location: "A01-01-01", Lines: []StockRow{{SKU: "BOOK", Qty: 1}, {SKU: "MILK", Lot: "L2", Qty: 10}}}, "B4001", "pda")
	if err != nil || res.State != "pending" {
		t.Fatalf("large variance: %+v %v", res, err)
	}
	if qtyAt(t, l, "BOOK", "", "A01-01-01") != 6 {
		t.Error("a pending count changed stock")
	}
	if _, err := l.DecideCount(ctx, "d0", CountDecision{Count: res.ID, Approve: true}, "B4001", "web"); ErrorCode(err) != CodeForbidden {
		t.Errorf("approving one's own count: %v", err)
	}
	// a pick happens before approval: the variance, not the count, is booked
	mustAppend(t, l, "sold", EvStockAdjusted, StockAdjustment{SKU: "BOOK", Location: "A01-01-01", Delta: -1, Reason: "x"})
	if res, err = l.DecideCount(ctx, "d1", CountDecision{Count: res.ID, Approve: true}, "B9001", "web"); err != nil || res.State != "applied" {
		t.Fatalf("approve: %+v %v", res, err)
	}
	if got := qtyAt(t, l, "BOOK", "", "A01-01-01"); got != 0 {
		t.Errorf("after approval %d, want 0 (5 - 5)", got)
	}
	res, _ = l.SubmitCount(ctx, "c3", CountSubmit{Location: "A01-01-02", Lines: []StockRow{{SKU: "MILK", Lot: "L1", Qty: 40}}}, "B1001", "pda")
	if res, err = l.DecideCount(ctx, "d2", CountDecision{Count: res.ID}, "B4001", "web"); err != nil || res.State != "rejected" {
		t.Fatalf("reject: %+v %v", res, err)
	}
	if qtyAt(t, l, "MILK", "L1", "A01-01-02") != 4 {
		t.Error("a rejected count changed stock")
	}
}

// A count whose variance is larger than what picks since have left on the
// books is refused, not clamped: stock stays, the count stays pending, and
// the supervisor can reject it.
func TestStaleCountRefused(t *testing.T) {
	l := stockFixture(t) // BOOK: 7 at A01-01-01
	res, err := l.SubmitCount(ctx, "c1", CountSubmit{Location: "A01-01-01", Lines: []StockRow{{SKU: "BOOK", Qty: 1}, {SKU: "MILK", Lot: "L2", Qty: 10}}}, "B1001", "pda")
	if err != nil || res.State != "pending" {
		t.Fatalf("count: %+v %v", res, err)
	}
	mustAppend(t, l, "sold", EvStockAdjusted, StockAdjustment{SKU: "BOOK", Location: "A01-01-01", Delta: -2, Reason: "x"})
	_, err = l.DecideCount(ctx, "d1", CountDecision{Count: res.ID, Approve: true}, "B4001", "web")
	if e, ok := AsError(err); !ok || e.Code != CodeConflict || e.Key != "count.stale" || e.Args["have"] != "5" || e.Args["diff"] != "-6" {
		t.Fatalf("approving a stale count: %v", err)
	}
	if got := qtyAt(t, l, "BOOK", "", "A01-01-01"); got != 5 {
		t.Errorf("stock %d after a refused approval, want 5", got)
	}
	if res, err = l.DecideCount(ctx, "d2", CountDecision{Count: res.ID}, "B4001", "web"); err != nil || res.State != "rejected" {
		t.Fatalf("reject: %+v %v", res, err)
	}
}

// A decision logged before the strict rule (no "strict" in its payload) still
// applies and replays as it did: the books go down to zero.
func TestLegacyCountDecisionReplays(t *testing.T) {
	l := stockFixture(t) // BOOK: 7 at A01-01-01
	res, err := l.SubmitCount(ctx, "c1", CountSubmit{Location: "A01-01-01", Lines: []StockRow{{SKU: "BOOK", Qty: 1}, {SKU: "MILK", Lot: "L2", Qty: 10}}}, "B1001", "pda")
	if err != nil || res.State != "pending" {
		t.Fatalf("count: %+v %v", res, err)
	}
	mustAppend(t, l, "sold", EvStockAdjusted, StockAdjustment{SKU: "BOOK", Location: "A01-01-01", Delta: -2, Reason: "x"})
	ev, err := NewEvent("old-decision", EvCountDecided, "B4001", "web", CountDecision{Count: res.ID, Approve: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.Append(ctx, ev); err != nil {
		t.Fatalf("legacy decision: %v", err)
	}
	if got := qtyAt(t, l, "BOOK", "", "A01-01-01"); got != 0 {
		t.Errorf("legacy decision left %d, want 0", got)
	}
	// the cleanup's Check replays it from the log
}

// A recall that leaves an unstarted task with no line to pick cancels it: no
// picker is handed an empty task.
func TestRecallEmptiesUnstartedTask(t *testing.T) {
	l := stockFixture(t)
	mustOrder(t, l, order("SO1", LineIn{"MILK", 3}))
	w := mustWave(t, l, "w1", WaveSingle)
	if len(w.Tasks) != 1 {
		t.Fatalf("wave tasks %v", w.Tasks)
	}
	for _, lot := range []string{"GOOD2", "GOOD1"} { // nothing shippable left for SO1
		if _, err := l.Recall(ctx, "recall-"+lot, LotStatusChange{SKU: "MILK", Lot: lot, Reason: "supplier recall"}, "B4001", "web"); err != nil {
			t.Fatal(err)
		}
	}
	task, err := l.Task(w.Tasks[0])
	if err != nil || task.State != TaskCancelled {
		t.Errorf("emptied task is %s (%v), want cancelled", task.State, err)
	}
	if got, err := l.NextTask(ctx, "B1001", "pda-1"); ErrorCode(err) != CodeNotFound {
		t.Errorf("a picker was handed %+v (%v)", got, err)
	}
}

// Setting a lot available (releasing a hold, or by mistake when it already
// is) leaves its allocations and task lines where they are.
func TestAvailableStatusKeepsAllocations(t *testing.T) {
	l := stockFixture(t)
	mustOrder(t, l, order("SO1", LineIn{"MILK", 3}))
	w := mustWave(t, l, "w1", WaveSingle)
	before, _ := l.Task(w.Tasks[0])
	if _, err := l.SetLotStatus(ctx, "release-1", LotStatusChange{SKU: "MILK", Lot: before.Lines[0].Lot, Status: LotAvailable, Reason: "checked"}, "B4001", "web"); err != nil {
		t.Fatal(err)
	}
	after, _ := l.Task(w.Tasks[0])
	if len(after.Lines) != 1 || after.Lines[0].Cancelled || after.Lines[0].Lot != before.Lines[0].Lot {
		t.Errorf("task lines changed: %+v", after.Lines)
	}
	o, _ := l.Order("SO1")
	if len(o.Lines[0].Allocs) != 1 || o.Lines[0].Allocs[0].Qty != 3 {
		t.Errorf("allocations changed: %+v", o.Lines[0].Allocs)
	}
}

// A cycle count of a zone makes one count task for each of its locations
// holding stock.
func TestCountsForAZone(t *testing.T) {
	l := stockFixture(t)
	if err := l.RequestCounts(ctx, "cz", CountRequest{Zone: "A", Reason: "cycle"}, "B4001", "web"); err != nil {
		t.Fatal(err)
	}
	tasks, _ := l.TasksIn(TaskOpen, 100)
	var got []string
	for _, t := range tasks {
		if t.Kind == TaskCount {
			got = append(got, t.Location)
		}
	}
	slices.Sort(got)
	if want := []string{"A01-01-01", "A01-01-02", "A01-02-01"}; !slices.Equal(got, want) {
		t.Errorf("zone A count tasks at %v, want %v", got, want)
	}
}
