package wms

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var ctx = context.Background()

func asTask(t testing.TB, raw json.RawMessage) Task {
	t.Helper()
	var task Task
	if err := json.Unmarshal(raw, &task); err != nil {
		t.Fatal(err)
	}
	return task
}

func order(no string, lines ...LineIn) OrderIntake {
	return OrderIntake{No: no, Channel: "tmall", Recipient: Recipient{Name: "王芳", Phone: "13800138000", Address: "浙江省杭州市西湖区文三路 100 号"}, Lines: OrderLines(lines...)}
}

func mustOrder(t testing.TB, l *Ledger, in OrderIntake) Order {
	t.Helper()
	o, _, err := l.ReceiveOrder(ctx, "", in, "oms", "api")
	if err != nil {
		t.Fatalf("order %s: %v", in.No, err)
	}
	return o
}

func mustWave(t testing.TB, l *Ledger, id string, mode WaveMode) Wave {
	t.Helper()
	w, err := l.ReleaseWave(ctx, WaveFilter{Mode: mode, ClusterSize: 4}, id, "B4001", "web")
	if err != nil {
		t.Fatalf("wave: %v", err)
	}
	return w
}

func TestOrderIntake(t *testing.T) {
	l, _ := openTest(t)
	seedSmall(t, l)
	in := order("SO1001", LineIn{"BOOK", 2}, LineIn{"MILK", 1}, LineIn{"BOOK", 1})
	o := mustOrder(t, l, in)
	if len(o.Lines) != 2 || o.Lines[0].Qty != 3 || o.State != OrderNew {
		t.Fatalf("order %+v", o)
	}
	seq := l.LastSeq()
	if _, dup, err := l.ReceiveOrder(ctx, "", in, "oms", "api"); err != nil || !dup || l.LastSeq() != seq {
		t.Errorf("resend: dup=%v err=%v", dup, err)
	}
	in.Lines = OrderLines(LineIn{"BOOK", 5})
	if o = mustOrder(t, l, in); len(o.Lines) != 1 || o.Lines[0].Qty != 5 {
		t.Errorf("changed resend did not update: %+v", o.Lines)
	}
	mustWave(t, l, "w1", WaveSingle)
	in.Lines = OrderLines(LineIn{"BOOK", 6})
	if _, _, err := l.ReceiveOrder(ctx, "", in, "oms", "api"); ErrorCode(err) != CodeConflict {
		t.Errorf("change after allocation: %v", err)
	}
	for _, bad := range []OrderIntake{
		order("SO1", LineIn{"NOPE", 1}), order("SO2", LineIn{"BOOK", 0}), order("SO3"), order("", LineIn{"BOOK", 1}),
		{No: "SO4", Channel: "jd", Lines: OrderLines(LineIn{"BOOK", 1})},
	} {
		if _, _, err := l.ReceiveOrder(ctx, "", bad, "oms", "api"); err == nil {
			t.Errorf("bad order %+v accepted", bad)
		}
	}
}

// stockFixture: MILK lots with different expiries and states at pick and reserve places.
func stockFixture(t testing.TB) *Ledger {
	l, clock := openTest(t)
	_ = clock // today is 2026-11-11 in the warehouse
	seedSmall(t, l)
	mustAppend(t, l, "loc4", EvLocationUpserted, Location{Code: "A01-02-01", Zone: "A", PickSeq: 40, Kind: KindPick})
	mustAppend(t, l, "loc5", EvLocationUpserted, Location{Code: "QA-01", Zone: "QA", PickSeq: 900, Kind: KindQuarantine})
	// MILK: 720 days shelf life, 67 % needed => at least 483 days left (expiry after 2028-03-08)
	for i, s := range []StockAdjustment{
		{SKU: "MILK", Lot: "OLD", Expiry: "2026-11-10", Location: "A01-02-01", Delta: 5},   // expired yesterday
		{SKU: "MILK", Lot: "SHORT", Expiry: "2027-06-01", Location: "A01-02-01", Delta: 5}, // too little life left
		{SKU: "MILK", Lot: "GOOD1", Expiry: "2028-06-01", Location: "A01-02-01", Delta: 3},
		{SKU: "MILK", Lot: "GOOD2", Expiry: "2028-09-01", Location: "A01-02-01", Delta: 10},
		{SKU: "MILK", Lot: "GOOD1", Expiry: "2028-06-01", Location: "QA-01", Delta: 50}, // quarantine area
	} {
		s.Reason = "fixture"
		mustAppend(t, l, fmt.Sprintf("fx%d", i), EvStockAdjusted, s)
	}
	return l
}

func TestAllocationRules(t *testing.T) {
	l := stockFixture(t)
	mustOrder(t, l, order("SO1", LineIn{"MILK", 4}))
	w := mustWave(t, l, "w1", WaveSingle)
	o, _ := l.Order("SO1")
	got := fmt.Sprint(o.Lines[0].Allocs)
	want := "[{GOOD1 2028-06-01 A01-02-01 3 0} {GOOD2 2028-09-01 A01-02-01 1 0}]"
	if got != want || o.State != OrderAllocated || len(w.Tasks) != 1 {
		t.Fatalf("allocs %s, want %s (state %s)", got, want, o.State)
	}
	// reservations reduce what the next order can have: 9 of GOOD2 left
	mustOrder(t, l, order("SO2", LineIn{"MILK", 10}))
	if _, err := l.ReleaseWave(ctx, WaveFilter{Mode: WaveSingle}, "w2", "B4001", "web"); ErrorCode(err) != CodeConflict {
		t.Fatalf("wait policy allocated a short order: %v", err)
	}
	if o, _ := l.Order("SO2"); o.State != OrderNew || len(o.Lines[0].Allocs) != 0 {
		t.Fatalf("waiting order changed: %+v", o)
	}
	s, _ := l.Settings()
	s.Partial = PartialShip
	if _, err := l.ChangeSettings(ctx, "", s, "B4001", "web"); err != nil {
		t.Fatal(err)
	}
	mustWave(t, l, "w3", WaveSingle)
	o, _ = l.Order("SO2")
	if o.Lines[0].Allocated() != 9 || o.Lines[0].Backordered != 1 {
		t.Errorf("partial: allocated %d backordered %d", o.Lines[0].Allocated(), o.Lines[0].Backordered)
	}
	// a channel that demands less life makes the SHORT lot eligible
	s.ChannelMinLifePct = map[string]int{"own": 10}
	if _, err := l.ChangeSettings(ctx, "", s, "B4001", "web"); err != nil {
		t.Fatal(err)
	}
	in := order("SO3", LineIn{"MILK", 2})
	in.Channel = "own"
	mustOrder(t, l, in)
	mustWave(t, l, "w4", WaveSingle)
	if o, _ = l.Order("SO3"); o.Lines[0].Allocs[0].Lot != "SHORT" {
		t.Errorf("own-shop order got %+v", o.Lines[0].Allocs)
	}
}

func pickAll(t testing.TB, l *Ledger, actor string, task Task, totes map[string]string) Task {
	t.Helper()
	for {
		line, ok := task.NextLine()
		if !ok {
			return task
		}
		item := ScannedItem{GTIN: line.GTINs[0]}
		if line.LotTracked {
			item.Lot = line.Lot
		}
		var err error
		var raw json.RawMessage
		raw, _, err = l.Pick(ctx, fmt.Sprintf("%s-%d-%d", task.ID, line.N, line.Done), PickScan{Task: task.ID, Line: line.N, Location: line.Location,
			Items: []ScannedItem{item}, Qty: line.Open(), Tote: totes[line.Order]}, actor, "pda")
		if err != nil {
			t.Fatalf("pick line %d: %v", line.N, err)
		}
		task = asTask(t, raw)
	}
}

func TestClusterPickFlow(t *testing.T) {
	l := stockFixture(t)
	mustOrder(t, l, order("SO1", LineIn{"MILK", 2}, LineIn{"BOOK", 1}))
	mustOrder(t, l, order("SO2", LineIn{"BOOK", 2}))
	w := mustWave(t, l, "w1", WaveCluster)
	task, err := l.NextTask(ctx, "B1001", "pda-1")
	if err != nil || task.ID != w.Tasks[0] || task.State != TaskActive || len(task.Lines) != 3 {
		t.Fatalf("next task: %+v %v", task, err)
	}
	if again, _ := l.NextTask(ctx, "B1001", "pda-1"); again.ID != task.ID {
		t.Error("the picker's active task was not returned again")
	}
	if _, err := l.NextTask(ctx, "B1002", "pda-2"); ErrorCode(err) != CodeNotFound {
		t.Errorf("second picker: %v", err)
	}
	// lines come in walking order
	for i := 1; i < len(task.Lines); i++ {
		if task.Lines[i].PickSeq < task.Lines[i-1].PickSeq {
			t.Errorf("lines not in pick sequence: %+v", task.Lines)
		}
	}
	first, _ := task.NextLine()
	refusals := []struct {
		name string
		p    PickScan
		key  string
	}{
		{"wrong location", PickScan{Location: "R01-01-01", Items: []ScannedItem{{GTIN: first.GTINs[0]}}, Qty: 1, Tote: "T00001"}, "pick.wrong_location"},
		{"wrong item", PickScan{Location: first.Location, Items: []ScannedItem{{GTIN: "00000000000000"}}, Qty: 1, Tote: "T00001"}, "pick.wrong_item"},
		{"no tote", PickScan{Location: first.Location, Items: []ScannedItem{{GTIN: first.GTINs[0]}}, Qty: 1}, "pick.tote_needed"},
		{"too many", PickScan{Location: first.Location, Items: []ScannedItem{{GTIN: first.GTINs[0]}}, Qty: 99, Tote: "T00001"}, "pick.too_many"},
	}
	for _, r := range refusals {
		r.p.Task, r.p.Line = task.ID, first.N
		if _, _, err := l.Pick(ctx, "bad-"+r.name, r.p, "B1001", "pda-1"); err == nil || err.(*Error).Key != r.key {
			t.Errorf("%s: %v, want %s", r.name, err, r.key)
		}
	}
	if _, _, err := l.Pick(ctx, "other", PickScan{Task: task.ID, Line: first.N, Location: first.Location, Items: []ScannedItem{{GTIN: first.GTINs[0]}}, Qty: 1, Tote: "T1"}, "B1002", "pda-2"); ErrorCode(err) != CodeForbidden {
		t.Errorf("another picker's task: %v", err)
	}
	before := qtyAt(t, l, "BOOK", "", "A01-01-01")
	task = pickAll(t, l, "B1001", task, map[string]string{"SO1": "T00001", "SO2": "T00002"})
	if task.State != TaskDone {
		t.Errorf("task %s", task.State)
	}
	if got := qtyAt(t, l, "BOOK", "", "A01-01-01"); got != before-3 {
		t.Errorf("BOOK stock %d, want %d", got, before-3)
	}
	for _, no := range []string{"SO1", "SO2"} {
		if o, _ := l.Order(no); o.State != OrderPicked || o.Tote == "" {
			t.Errorf("%s: %s tote %q", no, o.State, o.Tote)
		}
	}
	// a tote of another order is refused
	mustOrder(t, l, order("SO3", LineIn{"BOOK", 1}))
	mustWave(t, l, "w2", WaveCluster)
	task, _ = l.NextTask(ctx, "B1001", "pda-1")
	line, _ := task.NextLine()
	if _, _, err := l.Pick(ctx, "t-in-use", PickScan{Task: task.ID, Line: line.N, Location: line.Location, Items: []ScannedItem{{GTIN: line.GTINs[0]}}, Qty: 1, Tote: "T00001"}, "B1001", "pda-1"); err == nil || err.(*Error).Key != "pick.tote_in_use" {
		t.Errorf("tote in use: %v", err)
	}
}

// An undo that names its pick takes back that pick only: an undo meant for
// a scan the server refused (never booked) takes back nothing, not the
// line picked before it; nor does one naming a pick a later one followed.
func TestUndoNamesItsPick(t *testing.T) {
	l := stockFixture(t)
	mustOrder(t, l, order("SO1", LineIn{"BOOK", 3}))
	mustWave(t, l, "w1", WaveSingle)
	task, _ := l.NextTask(ctx, "B1001", "pda-1")
	line := task.Lines[0]
	p := PickScan{Task: task.ID, Line: line.N, Location: line.Location, Items: []ScannedItem{{GTIN: line.GTINs[0]}}, Qty: 1}
	if _, _, err := l.Pick(ctx, "pick-a", p, "B1001", "pda-1"); err != nil {
		t.Fatal(err)
	}
	refused := p
	refused.Location = "Z99-99-99"
	if _, _, err := l.Pick(ctx, "pick-b", refused, "B1001", "pda-1"); err == nil {
		t.Fatal("a pick at a wrong location was booked")
	}
	done := func() int64 { tk, _ := l.Task(task.ID); return tk.Lines[0].Done }
	if _, _, err := l.UndoPick(ctx, "undo-b", PickUndo{Task: task.ID, Pick: "pick-b"}, "B1001", "pda-1"); err == nil || err.(*Error).Key != "pick.undo_not_booked" || done() != 1 {
		t.Fatalf("undo of the refused scan: %v, done %d", err, done())
	}
	if _, _, err := l.Pick(ctx, "pick-c", p, "B1001", "pda-1"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.UndoPick(ctx, "undo-a", PickUndo{Task: task.ID, Pick: "pick-a"}, "B1001", "pda-1"); err == nil || err.(*Error).Key != "pick.undo_not_last" || done() != 2 {
		t.Fatalf("undo of a pick a later one followed: %v, done %d", err, done())
	}
	if _, _, err := l.UndoPick(ctx, "undo-c", PickUndo{Task: task.ID, Pick: "pick-c"}, "B1001", "pda-1"); err != nil || done() != 1 {
		t.Fatalf("undo of the last pick: %v, done %d", err, done())
	}
	if _, _, err := l.UndoPick(ctx, "undo-c2", PickUndo{Task: task.ID, Pick: "pick-c"}, "B1001", "pda-1"); err == nil || err.(*Error).Key != "pick.undo_nothing" || done() != 1 {
		t.Fatalf("a second undo of the same pick: %v, done %d", err, done())
	}
	// the retry of an undo gets its first answer, refusals included
	if _, _, err := l.UndoPick(ctx, "undo-b", PickUndo{Task: task.ID, Pick: "pick-b"}, "B1001", "pda-1"); err == nil || err.(*Error).Key != "pick.undo_not_booked" {
		t.Fatalf("the retry of the refused undo: %v", err)
	}
	// an undo that names none takes back the last pick, as undos logged before did
	if _, _, err := l.UndoPick(ctx, "undo-last", PickUndo{Task: task.ID}, "B1001", "pda-1"); err != nil || done() != 0 {
		t.Fatalf("an undo naming no pick: %v, done %d", err, done())
	}
}

// A pick of an order cancelled while the scan was on its way (queued on a
// handheld offline) says the order was cancelled and the unit goes back,
// in single-order picking (whose task the cancellation ended) and in a
// cluster (whose other orders go on).
func TestPickOfACancelledOrderSaysSo(t *testing.T) {
	for _, mode := range []WaveMode{WaveSingle, WaveCluster} {
		t.Run(string(mode), func(t *testing.T) {
			l := stockFixture(t)
			mustOrder(t, l, order("SO1", LineIn{"BOOK", 1}))
			if mode == WaveCluster {
				mustOrder(t, l, order("SO2", LineIn{"BOOK", 1}))
			}
			mustWave(t, l, "w1", mode)
			task, _ := l.NextTask(ctx, "B1001", "pda-1")
			var line TaskLine
			for _, ln := range task.Lines {
				if ln.Order == "SO1" {
					line = ln
				}
			}
			if _, err := l.CancelOrder(ctx, "SO1", "buyer", "c1", "B4001", "web"); err != nil {
				t.Fatal(err)
			}
			p := PickScan{Task: task.ID, Line: line.N, Location: line.Location, Items: []ScannedItem{{GTIN: line.GTINs[0]}}, Qty: 1}
			if mode == WaveCluster {
				p.Tote = "T00001"
			}
			_, _, err := l.Pick(ctx, "late-1", p, "B1001", "pda-1")
			if e, ok := AsError(err); !ok || e.Key != "pick.order_cancelled" || e.Args["order"] != "SO1" {
				t.Errorf("a pick of the cancelled order: %v", err)
			}
		})
	}
}

func TestDuplicateScanHasOneEffect(t *testing.T) {
	l := stockFixture(t)
	mustOrder(t, l, order("SO1", LineIn{"BOOK", 3}))
	mustWave(t, l, "w1", WaveSingle)
	task, _ := l.NextTask(ctx, "B1001", "pda-1")
	line := task.Lines[0]
	p := PickScan{Task: task.ID, Line: line.N, Location: line.Location, Items: []ScannedItem{{GTIN: line.GTINs[0]}}, Qty: 1}
	for i := 0; i < 3; i++ {
		if _, _, err := l.Pick(ctx, "scan-1", p, "B1001", "pda-1"); err != nil {
			t.Fatal(err)
		}
	}
	task, _ = l.Task(task.ID)
	if task.Lines[0].Done != 1 || qtyAt(t, l, "BOOK", "", line.Location) != 6 {
		t.Errorf("done %d stock %d after the same scan three times", task.Lines[0].Done, qtyAt(t, l, "BOOK", "", line.Location))
	}
	// undo takes back the last pick
	if _, _, err := l.UndoPick(ctx, "undo-1", PickUndo{Task: task.ID}, "B1001", "pda-1"); err != nil {
		t.Fatal(err)
	}
	task, _ = l.Task(task.ID)
	if task.Lines[0].Done != 0 || qtyAt(t, l, "BOOK", "", line.Location) != 7 {
		t.Errorf("after undo: done %d stock %d", task.Lines[0].Done, qtyAt(t, l, "BOOK", "", line.Location))
	}
	if _, _, err := l.UndoPick(ctx, "undo-2", PickUndo{Task: task.ID}, "B1001", "pda-1"); ErrorCode(err) != CodeConflict {
		t.Errorf("undo with nothing to undo: %v", err)
	}
	// the picker's figures: one pick scanned, one undone, no unit left picked
	kpis, err := l.KPIs(l.Today())
	if k := kpis["B1001"]; err != nil || k.Picks != 1 || k.Undos != 1 || k.Units != 0 || k.Lines != 0 {
		t.Errorf("figures after a pick and its undo: %+v (%v)", k, err)
	}
}

func TestLotSwitchAtTheShelf(t *testing.T) {
	l := stockFixture(t)
	mustOrder(t, l, order("SO1", LineIn{"MILK", 1}))
	mustWave(t, l, "w1", WaveSingle)
	task, _ := l.NextTask(ctx, "B1001", "pda-1")
	line := task.Lines[0] // GOOD1 at A01-02-01
	try := func(id, lot string) error {
		_, _, err := l.Pick(ctx, id, PickScan{Task: task.ID, Line: line.N, Location: line.Location, Items: []ScannedItem{{GTIN: line.GTINs[0], Lot: lot}}, Qty: 1}, "B1001", "pda-1")
		return err
	}
	for lot, key := range map[string]string{"OLD": "pick.lot_expired", "SHORT": "pick.lot_short_life", "NOPE": "pick.lot_unknown", "GOOD2": "pick.fefo_skip"} {
		if err := try("x-"+lot, lot); err == nil || err.(*Error).Key != key {
			t.Errorf("lot %s: %v, want %s", lot, err, key)
		}
	}
	// a lot of the same expiry on the same shelf skips nothing: it is taken and the allocation follows it
	mustAppend(t, l, "twin", EvStockAdjusted, StockAdjustment{SKU: "MILK", Lot: "TWIN", Expiry: "2028-06-01", Location: "A01-02-01", Delta: 2, Reason: "x"})
	if err := try("ok", "TWIN"); err != nil {
		t.Fatal(err)
	}
	o, _ := l.Order("SO1")
	if o.State != OrderPicked || fmt.Sprint(o.Lines[0].Allocs) != "[{GOOD1 2028-06-01 A01-02-01 0 0} {TWIN 2028-06-01 A01-02-01 1 1}]" {
		t.Errorf("order after lot switch: %s %v", o.State, o.Lines[0].Allocs)
	}
}

func TestShortPickReallocates(t *testing.T) {
	l := stockFixture(t)
	mustAppend(t, l, "book-r", EvStockAdjusted, StockAdjustment{SKU: "BOOK", Location: "R01-01-01", Delta: 10, Reason: "x"})
	mustOrder(t, l, order("SO1", LineIn{"BOOK", 5}))
	mustWave(t, l, "w1", WaveSingle)
	task, _ := l.NextTask(ctx, "B1001", "pda-1")
	line := task.Lines[0]
	if line.Location != "A01-01-01" {
		t.Fatalf("allocated at %s", line.Location)
	}
	raw, _, err := l.ReportShort(ctx, "short-1", ShortReport{Task: task.ID, Line: line.N, Reason: "empty"}, "B1001", "pda-1")
	if err != nil {
		t.Fatal(err)
	}
	task = asTask(t, raw)
	if len(task.Lines) != 2 || task.Lines[1].Location != "R01-01-01" || task.Lines[1].Qty != 5 || task.Lines[0].Short != 5 {
		t.Fatalf("after short: %+v", task.Lines)
	}
	counts, _ := l.TasksIn(TaskOpen, 10)
	if len(counts) != 1 || counts[0].Kind != TaskCount || counts[0].Location != "A01-01-01" {
		t.Errorf("count task: %+v", counts)
	}
	task = pickAll(t, l, "B1001", task, nil)
	if o, _ := l.Order("SO1"); o.State != OrderPicked || o.Lines[0].Picked != 5 || o.Lines[0].Short != 0 {
		t.Errorf("order: %+v", o)
	}
	kpi, _ := l.KPIs("2026-11-11")
	if kpi["B1001"].Shorts != 1 || kpi["B1001"].Units != 5 {
		t.Errorf("kpi %+v", kpi)
	}
}

func TestCancelMidPickMakesPutBack(t *testing.T) {
	l := stockFixture(t)
	mustOrder(t, l, order("SO1", LineIn{"BOOK", 2}, LineIn{"MILK", 3}))
	mustWave(t, l, "w1", WaveSingle)
	task, _ := l.NextTask(ctx, "B1001", "pda-1")
	line := task.Lines[0] // BOOK at A01-01-01 comes first on the walk
	if _, _, err := l.Pick(ctx, "p1", PickScan{Task: task.ID, Line: line.N, Location: line.Location, Items: []ScannedItem{{GTIN: line.GTINs[0]}}, Qty: 2}, "B1001", "pda-1"); err != nil {
		t.Fatal(err)
	}
	o, err := l.CancelOrder(ctx, "SO1", "buyer cancelled", "", "oms", "api")
	if err != nil || o.State != OrderCancelled {
		t.Fatalf("cancel: %v %s", err, o.State)
	}
	task, _ = l.Task(task.ID)
	if task.State != TaskDone {
		t.Errorf("pick task %s after cancel", task.State)
	}
	next, err := l.NextTask(ctx, "B1001", "pda-1")
	if err != nil || next.Kind != TaskPutBack || next.Lines[0].Qty != 2 || next.Lines[0].Location != "A01-01-01" {
		t.Fatalf("put-back: %+v %v", next, err)
	}
	if _, _, err := l.PutBack(ctx, "pb1", PutBackScan{Task: next.ID, Line: 1, Location: "A01-01-01", Qty: 2}, "B1001", "pda-1"); err != nil {
		t.Fatal(err)
	}
	if got := qtyAt(t, l, "BOOK", "", "A01-01-01"); got != 7 {
		t.Errorf("BOOK back to %d, want 7", got)
	}
	assertReservationsMatch(t, l)
}

// Two waves released at once compete for the last units: exactly the stock there is gets allocated.
func TestRaceForLastUnitsInAllocation(t *testing.T) {
	l := stockFixture(t) // 13 shippable MILK at A01-02-01
	for i := 0; i < 8; i++ {
		mustOrder(t, l, order(fmt.Sprintf("SO%d", i), LineIn{"MILK", 2}))
	}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, _ = l.releaseOrders(ctx, []OrderBrief{{Owner: DefaultOwner, No: fmt.Sprintf("SO%d", i)}}, WaveSingle, 1, fmt.Sprintf("w%d", i), "B4001", "web")
		}(i)
	}
	wg.Wait()
	allocated := 0
	for i := 0; i < 8; i++ {
		if o, _ := l.Order(fmt.Sprintf("SO%d", i)); o.State == OrderAllocated {
			allocated++
		}
	}
	if allocated != 6 { // 13 units, 2 each, wait policy
		t.Errorf("%d orders allocated, want 6", allocated)
	}
	assertReservationsMatch(t, l)
}

// assertReservationsMatch: reserved stock equals the unpicked allocations of
// live orders, and never exceeds what is on hand.
func assertReservationsMatch(t testing.TB, l *Ledger) {
	t.Helper()
	want := map[string]int64{}
	for _, st := range []OrderState{OrderAllocated, OrderPicking, OrderPicked} {
		orders, _ := l.OrdersIn(st, "", 1<<20)
		for _, o := range orders {
			for _, line := range o.Lines {
				for _, a := range line.Allocs {
					if n := a.Qty - a.Picked; n > 0 {
						want[string(stockKey(o.Owner, line.SKU, a.Lot, a.Location))] += n
					}
				}
			}
		}
	}
	got := map[string]int64{}
	rows, _ := l.dumpBucket(bucketReserved)
	for _, r := range rows {
		got[string(r[0])] = qtyFromValue(r[1])
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("reserved %v, allocations %v", got, want)
	}
	stock, _ := l.dumpBucket(bucketStock)
	onHand := map[string]int64{}
	for _, r := range stock {
		onHand[string(r[0])] = qtyFromValue(r[1])
	}
	for k, n := range got {
		if n > onHand[k] {
			t.Errorf("%q: reserved %d > on hand %d", k, n, onHand[k])
		}
	}
}

// Random stock and orders: allocation never takes expired, held or short-life
// stock, takes the first-expiring lots first, and never over-reserves.
func TestAllocationProperties(t *testing.T) {
	for seed := uint64(1); seed <= 12; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			l := stockFixture(t)
			rng := rand.New(rand.NewPCG(seed, 7))
			locs := []string{"A01-01-01", "A01-01-02", "A01-02-01", "R01-01-01"}
			for i := 0; i < 25; i++ {
				exp := fmt.Sprintf("20%02d-%02d-15", 26+rng.IntN(4), 1+rng.IntN(12))
				lot := fmt.Sprintf("P%d", i)
				mustAppend(t, l, fmt.Sprintf("r%d", i), EvStockAdjusted, StockAdjustment{SKU: "MILK", Lot: lot, Expiry: exp, Location: locs[rng.IntN(len(locs))], Delta: int64(1 + rng.IntN(6)), Reason: "x"})
			}
			s := DefaultSettings()
			if rng.IntN(2) == 0 {
				s.Partial = PartialShip
			}
			if _, err := l.ChangeSettings(ctx, "", s, "B4001", "web"); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 15; i++ {
				mustOrder(t, l, order(fmt.Sprintf("SO%d", i), LineIn{"MILK", int64(1 + rng.IntN(8))}))
				if rng.IntN(3) == 0 {
					_, _ = l.ReleaseWave(ctx, WaveFilter{Mode: WaveSingle}, fmt.Sprintf("w%d", i), "B4001", "web")
				}
			}
			_, _ = l.ReleaseWave(ctx, WaveFilter{Mode: WaveCluster, MaxOrders: 100}, "final", "B4001", "web")
			assertReservationsMatch(t, l)
			sku, _ := l.SKU("MILK")
			lots, _ := l.Lots()
			lotOf := map[string]Lot{}
			for _, x := range lots {
				lotOf[x.Code] = x
			}
			orders, _ := l.OrdersIn(OrderAllocated, "", 100)
			for _, o := range orders {
				for _, a := range o.Lines[0].Allocs {
					if ok, why := Shippable(sku, lotOf[a.Lot], sku.MinOutboundLifePct, "2026-11-11"); !ok {
						t.Errorf("%s got lot %s: %s", o.No, a.Lot, why)
					}
				}
				for i := 1; i < len(o.Lines[0].Allocs); i++ {
					if o.Lines[0].Allocs[i].Expiry < o.Lines[0].Allocs[i-1].Expiry {
						t.Errorf("%s: allocations not FEFO: %v", o.No, o.Lines[0].Allocs)
					}
				}
			}
		})
	}
}

// Pickers asking for work at the same moment each get their own task.
func TestPickersRaceForTasks(t *testing.T) {
	l := stockFixture(t)
	for i := 0; i < 6; i++ {
		mustOrder(t, l, order(fmt.Sprintf("SO%d", i), LineIn{"BOOK", 1}))
	}
	mustWave(t, l, "w", WaveSingle)
	var wg sync.WaitGroup
	got := make([]string, 6)
	for i := range got {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			task, err := l.NextTask(ctx, fmt.Sprintf("P%d", i), "pda")
			if err != nil {
				t.Errorf("picker %d: %v", i, err)
				return
			}
			got[i] = task.ID
		}(i)
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, id := range got {
		if seen[id] {
			t.Errorf("task %s handed to two pickers: %v", id, got)
		}
		seen[id] = true
	}
}

func TestOrdersCSVAndAutoWave(t *testing.T) {
	l, clock := openTest(t)
	seedSmall(t, l)
	csv := "no,channel,name,phone,address,sku,qty,carrier,ship_by\n" +
		"SO1,tmall,王芳,13800000000,杭州市西湖区,BOOK,1,SF,2026-11-11T05:00:00Z\n" +
		"SO1,tmall,王芳,13800000000,杭州市西湖区,BOOK,1,SF,\n" +
		"SO2,jd,李雷,13900000000,北京市海淀区,BOOK,2,JD,\n" +
		"SO3,jd,李雷,13900000000,北京市海淀区,GHOST,2,JD,\n" +
		"SO4,jd,李雷,13900000000,北京市海淀区,BOOK,x,JD,\n"
	res, err := l.Import(ctx, "o1", ImportOrders, "orders.csv", []byte(csv), "B9001", "web")
	if err == nil || len(res.Errors) != 2 || res.Errors[0].Line != 5 || res.Errors[1].Line != 6 {
		t.Fatalf("bad orders file: %v %+v", err, res.Errors)
	}
	good := strings.Join(strings.Split(csv, "\n")[:4], "\n") + "\n"
	if _, err := l.Import(ctx, "o2", ImportOrders, "orders.csv", []byte(good), "B9001", "web"); err != nil {
		t.Fatal(err)
	}
	if o, err := l.Order("SO1"); err != nil || len(o.Lines) != 1 || o.Lines[0].Qty != 2 || o.Carrier != "SF" {
		t.Fatalf("SO1 %+v %v", o, err)
	}
	if waves, err := l.RunAutoWave(ctx); err != nil || len(waves) != 0 {
		t.Errorf("auto-wave while off: %v %v", waves, err)
	}
	s := DefaultSettings()
	s.AutoWave.Enabled, s.AutoWave.Mode = true, WaveSingle
	if _, err := l.ChangeSettings(ctx, "", s, "B4001", "web"); err != nil {
		t.Fatal(err)
	}
	clock.Add(0)
	waves, err := l.RunAutoWave(ctx)
	// SF has an order due within 4 hours; JD has one order, fewer than 8, none due
	if err != nil || len(waves) != 1 || waves[0].Orders[0] != "SO1" {
		t.Fatalf("auto-wave: %+v %v", waves, err)
	}
}

// A picker tapping "next" twice at once ends up with one task; asking with
// nothing open writes nothing; the task chosen is in the event, so a rebuild
// (checked when the test ends) starts the same one.
func TestNextTaskClaims(t *testing.T) {
	l := stockFixture(t)
	seq := l.LastSeq()
	if _, err := l.NextTask(ctx, "P1", "pda"); ErrorCode(err) != CodeNotFound || l.LastSeq() != seq {
		t.Fatalf("nothing open: %v, seq %d → %d", err, seq, l.LastSeq())
	}
	for i := 0; i < 4; i++ {
		mustOrder(t, l, order(fmt.Sprintf("SO%d", i), LineIn{"BOOK", 1}))
	}
	mustWave(t, l, "w", WaveSingle)
	var wg sync.WaitGroup
	got := make([]string, 2)
	for i := range got {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			task, err := l.NextTask(ctx, "P1", "pda")
			if err != nil {
				t.Errorf("tap %d: %v", i, err)
				return
			}
			got[i] = task.ID
		}(i)
	}
	wg.Wait()
	if got[0] != got[1] || got[0] == "" {
		t.Errorf("two taps gave %v, want one task twice", got)
	}
	evs, err := l.EventsOfType(10, EvTaskStarted)
	if err != nil || len(evs) != 1 {
		t.Fatalf("%d task.started events (%v), want 1", len(evs), err)
	}
	var p TaskStart
	if err := evs[0].DecodeData(&p); err != nil || p.Task != got[0] {
		t.Errorf("the event records task %q, handed out %q (%v)", p.Task, got[0], err)
	}
}

// An order as an upstream sends it (any JSON) is refused or comes out well
// formed: a number and channel, lines with one line per SKU and a sane
// quantity, and validating it again changes nothing.
func FuzzOrderIntake(f *testing.F) {
	f.Add([]byte(`{"no":"SO1001","channel":"Tmall","recipient":{"name":"王芳","phone":"138","address":"杭州"},"lines":[{"sku":"BOOK","qty":2},{"sku":"BOOK","qty":3}]}`))
	f.Add([]byte(`{"no":" SO1 ","channel":"jd","recipient":{"name":"a","phone":"b","address":"c"},"lines":[{"sku":"X","qty":100000},{"sku":"X","qty":1}],"priority":9}`))
	f.Add([]byte(`{"no":"","lines":[]}`))
	f.Add([]byte(`{"no":"SO2","platform":"tm","platform_order_ids":["41","42"],"recipient":{"name":"a","phone":"b","address":"c"},"lines":[{"sku":"X","qty":1,"platform_order_id":"41","platform_sub_order_id":"51"},{"sku":"X","qty":2,"platform_order_id":"42","platform_sub_order_id":"52"},{"sku":"Y","qty":1,"platform_order_id":"42"}]}`))
	f.Add([]byte(`{"no":"SO3","channel":"jd","recipient":{"name":"a","phone":"b","address":"c"},"lines":[{"sku":"X","qty":3,"parts":[{"platform_sub_order_id":"1","qty":1},{"platform_sub_order_id":"2","qty":2}]},{"sku":"X","qty":1,"platform_sub_order_id":"3"}]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var o OrderIntake
		if json.Unmarshal(raw, &o) != nil || o.Validate() != nil {
			return
		}
		if o.No == "" || o.Channel == "" || len(o.Lines) == 0 {
			t.Fatalf("accepted without number, channel or lines: %+v", o)
		}
		if (o.Platform != "" && !slices.Contains(Platforms, o.Platform)) || len(o.PlatformOrderIDs) > MaxPlatformOrders {
			t.Fatalf("accepted platform %q with %d platform orders", o.Platform, len(o.PlatformOrderIDs))
		}
		seen, subs := map[string]bool{}, map[string]bool{}
		for _, l := range o.Lines {
			if seen[l.SKU] || l.Qty <= 0 || l.Qty > 100000 {
				t.Fatalf("accepted line %+v in %+v", l, o.Lines)
			}
			seen[l.SKU] = true
			parts, sum := l.Parts, int64(0)
			if len(parts) == 0 { // no parts, or "parts": [], is the line itself
				parts = []LinePart{{l.PlatformOrderID, l.PlatformSubOrderID, l.Qty}}
			}
			for _, p := range parts {
				sum += p.Qty
				if p.PlatformOrderID != "" && !slices.Contains(o.PlatformOrderIDs, p.PlatformOrderID) ||
					p.PlatformSubOrderID != "" && (subs[p.PlatformSubOrderID] || len(p.PlatformSubOrderID) > 64) {
					t.Fatalf("accepted line source %+v of %+v", p, o)
				}
				subs[p.PlatformSubOrderID] = p.PlatformSubOrderID != ""
			}
			if sum != l.Qty {
				t.Fatalf("parts of %+v do not add up", l)
			}
		}
		d := o.Digest()
		if err := o.Validate(); err != nil || o.Digest() != d {
			t.Fatalf("validating twice: %v, digest %s → %s", err, d, o.Digest())
		}
	})
}

// At the shelf, the allocated lot itself is refused once it is no longer
// available (here quarantined without its allocations moved, as a short-dated
// delivery of the same lot does), and one scan may not carry a serial twice.
func TestPickRefusesUnavailableAllocatedLotAndRepeatedSerial(t *testing.T) {
	l := stockFixture(t)
	mustOrder(t, l, order("SO1", LineIn{"MILK", 2}))
	mustWave(t, l, "w1", WaveSingle)
	task, err := l.NextTask(ctx, "B1001", "pda-1")
	if err != nil {
		t.Fatal(err)
	}
	line := task.Lines[0]
	twice := []ScannedItem{{GTIN: line.GTINs[0], Lot: line.Lot, Serial: "CAN-1"}, {GTIN: line.GTINs[0], Lot: line.Lot, Serial: "CAN-1"}}
	if _, _, err := l.Pick(ctx, "p0", PickScan{Task: task.ID, Line: line.N, Location: line.Location, Items: twice, Qty: 2}, "B1001", "pda-1"); ErrorCode(err) != CodeConflict {
		t.Errorf("one scan with a serial twice: %v", err)
	} else if e, _ := AsError(err); e.Key != "pick.serial_double_read" {
		t.Errorf("one scan with a serial twice: %v, want a double read", err)
	}
	// a count of serialised cans would ship cans without their serials
	counted := []ScannedItem{{GTIN: line.GTINs[0], Lot: line.Lot, Serial: "CAN-1"}}
	if _, _, err := l.Pick(ctx, "p-count", PickScan{Task: task.ID, Line: line.N, Location: line.Location, Items: counted, Qty: 2}, "B1001", "pda-1"); ErrorCode(err) != CodeInvalid {
		t.Errorf("a count of a serialised item: %v", err)
	}
	if tk, _ := l.Task(task.ID); tk.Lines[0].Done != 0 {
		t.Errorf("refused picks booked %d", tk.Lines[0].Done)
	}
	appendRecorded(t, l, "qa", EvLotStatus, "", LotStatusChange{SKU: "MILK", Lot: line.Lot, Status: LotQuarantine, Reason: "short-dated delivery", Decided: true})
	_, _, err = l.Pick(ctx, "p1", PickScan{Task: task.ID, Line: line.N, Location: line.Location,
		Items: []ScannedItem{{GTIN: line.GTINs[0], Lot: line.Lot, Serial: "CAN-2"}}, Qty: 1}, "B1001", "pda-1")
	if e, ok := AsError(err); !ok || e.Key != "pick.lot_quarantine" {
		t.Errorf("pick of the quarantined allocated lot: %v", err)
	}
}

// A ship-by typed as "2026-11-11 18:00" in an orders file is the warehouse's
// 18:00 (the test ledger is in UTC+8), whatever the machine's own zone.
func TestOrdersCSVShipByInWarehouseZone(t *testing.T) {
	l, _ := openTest(t)
	seedSmall(t, l)
	csv := "no,channel,name,phone,address,sku,qty,ship_by\nSO7,tmall,王芳,13800000000,杭州市西湖区,BOOK,1,2026-11-11 18:00\n"
	if _, err := l.Import(ctx, "o1", ImportOrders, "orders.csv", []byte(csv), "B9001", "web"); err != nil {
		t.Fatal(err)
	}
	o, err := l.Order("SO7")
	if err != nil || o.ShipBy == nil || !o.ShipBy.Equal(time.Date(2026, 11, 11, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("ship-by %v (%v), want 2026-11-11 10:00 UTC", o.ShipBy, err)
	}
}

// A cancellation after the whole order is picked (it sits in a tote) makes a
// put-back task for every unit.
func TestCancelAfterPickedMakesPutBack(t *testing.T) {
	l := stockFixture(t)
	mustOrder(t, l, order("SO1", LineIn{"BOOK", 2}))
	mustWave(t, l, "w1", WaveSingle)
	task, _ := l.NextTask(ctx, "B1001", "pda-1")
	pickAll(t, l, "B1001", task, nil)
	if o, _ := l.Order("SO1"); o.State != OrderPicked {
		t.Fatalf("order %s before the cancel", o.State)
	}
	if _, err := l.CancelOrder(ctx, "SO1", "buyer cancelled", "", "oms", "api"); err != nil {
		t.Fatal(err)
	}
	next, err := l.NextTask(ctx, "B1001", "pda-1")
	if err != nil || next.Kind != TaskPutBack || len(next.Lines) != 1 || next.Lines[0].Qty != 2 {
		t.Fatalf("put-back after a picked order was cancelled: %+v %v", next, err)
	}
	assertReservationsMatch(t, l)
}

// The same can picked twice by one task is a double read: refused with its
// own answer and nothing changes; a serial another task picked is a copy.
func TestPickSerialReadTwice(t *testing.T) {
	l := stockFixture(t)
	mustOrder(t, l, order("SO1", LineIn{"MILK", 2}, LineIn{"BOOK", 1}))
	mustOrder(t, l, order("SO2", LineIn{"MILK", 1}))
	mustWave(t, l, "w1", WaveSingle)
	one, _ := l.NextTask(ctx, "B1001", "pda-1")
	two, _ := l.NextTask(ctx, "B1002", "pda-2")
	can := func(line TaskLine, serial string) []ScannedItem {
		return []ScannedItem{{GTIN: line.GTINs[0], Lot: line.Lot, Serial: serial}}
	}
	a, b := one.Lines[0], two.Lines[0]
	for _, x := range one.Lines {
		if x.SKU == "MILK" {
			a = x
		}
	}
	if _, _, err := l.Pick(ctx, "a1", PickScan{Task: one.ID, Line: a.N, Location: a.Location, Items: can(a, "CAN-1"), Qty: 1}, "B1001", "pda-1"); err != nil {
		t.Fatal(err)
	}
	// the same can again (a new scan, a new key): a double read
	_, _, err := l.Pick(ctx, "a2", PickScan{Task: one.ID, Line: a.N, Location: a.Location, Items: can(a, "CAN-1"), Qty: 1}, "B1001", "pda-1")
	if e, ok := AsError(err); !ok || e.Key != "pick.serial_double_read" || e.Args["serial"] != "CAN-1" || e.Code != CodeConflict {
		t.Errorf("the same can read twice: %v, want pick.serial_double_read", err)
	}
	// the first scan's answer lost and sent again with its key: its own answer
	if _, dup, err := l.Pick(ctx, "a1", PickScan{Task: one.ID, Line: a.N, Location: a.Location, Items: can(a, "CAN-1"), Qty: 1}, "B1001", "pda-1"); err != nil || !dup {
		t.Errorf("the first scan sent again: dup %v, %v", dup, err)
	}
	if tk, _ := l.Task(one.ID); tk.Picks[0].Qty != 1 || len(tk.Picks) != 1 {
		t.Errorf("after a double read: %d done, want 1", tk.Lines[0].Done)
	}
	// the line full, the first can read again: still a double read, not one too many
	if _, _, err := l.Pick(ctx, "a4", PickScan{Task: one.ID, Line: a.N, Location: a.Location, Items: can(a, "CAN-2"), Qty: 1}, "B1001", "pda-1"); err != nil {
		t.Fatal(err)
	}
	_, _, err = l.Pick(ctx, "a5", PickScan{Task: one.ID, Line: a.N, Location: a.Location, Items: can(a, "CAN-1"), Qty: 1}, "B1001", "pda-1")
	if e, ok := AsError(err); !ok || e.Key != "pick.serial_double_read" {
		t.Errorf("the first can read again, its line full: %v, want pick.serial_double_read", err)
	}
	// another picker's task scanning the same serial: a copy
	_, _, err = l.Pick(ctx, "b1", PickScan{Task: two.ID, Line: b.N, Location: b.Location, Items: can(b, "CAN-1"), Qty: 1}, "B1002", "pda-2")
	if e, ok := AsError(err); !ok || e.Key != "pick.serial_twice" {
		t.Errorf("a serial picked by another task: %v, want pick.serial_twice", err)
	}
	// undone, the can is back on the shelf and may be picked again
	if _, _, err := l.UndoPick(ctx, "u1", PickUndo{Task: one.ID}, "B1001", "pda-1"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.Pick(ctx, "a3", PickScan{Task: one.ID, Line: a.N, Location: a.Location, Items: can(a, "CAN-2"), Qty: 1}, "B1001", "pda-1"); err != nil {
		t.Errorf("the can picked again after its undo: %v", err)
	}
}
