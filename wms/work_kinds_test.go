package wms

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// kindsRecord is what the test's driver saw happen, from the commands'
// answers (never from the work projections): which line a pick or a
// put-back completed, and which pick an undo took back. Whether the undone
// line had been counted is the recomputation's own bookkeeping.
type kindsRecord struct {
	completed map[string]int // pick event -> line completed
	undone    map[string]int // undo event -> line undone
	undoLoc   map[string]string
	undoQty   map[string]int64
}

// TestFiguresEqualRecomputationAllKinds drives picking (several lines,
// lines over several scans, wrong scans, undos, short picks on the shelf
// holding INK's only stock), put-backs of orders a supervisor cancels
// mid-pick, packing (scans, weight rejects, supervisor overrides, parcels,
// ship), returns of several lines and counts by four people interleaved,
// for two owners, with pauses around the gap edges; then recomputes every
// figure from the raw events with the rules written out here and compares
// per person and kind, and the counts per owner. Each seed must have had
// shorts, put-backs, overrides and the second owner's work.
func TestFiguresEqualRecomputationAllKinds(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { kindsHistory(t, seed) })
	}
}

func kindsHistory(t *testing.T, seed uint64) {
	l, clock := openTest(t)
	seedSmall(t, l)
	mustAppend(t, l, "pen", EvSKUUpserted, SKU{Code: "PEN", Name: "钢笔", GTINs: []string{"6901234567809"}, UnitWeightG: 50})
	// INK's only stock is on the shelf pickers report short: its lines are
	// allocated there, and a short finds nothing to re-allocate.
	mustAppend(t, l, "ink", EvSKUUpserted, SKU{Code: "INK", Name: "墨水", GTINs: []string{gtinOf("690123456781")}, UnitWeightG: 80})
	// a second owner with SKUs, stock, waybills and orders of its own
	if _, err := l.SaveOwner(ctx, "", Owner{Code: "SHOP", Name: "文具小铺"}, "B9001", "web"); err != nil {
		t.Fatal(err)
	}
	for _, s := range []SKU{{Owner: "SHOP", Code: "MUG", Name: "马克杯", GTINs: []string{gtinOf("690123456782")}, UnitWeightG: 300},
		{Owner: "SHOP", Code: "BOOK", Name: "小铺笔记本", GTINs: []string{gtinOf("690123456783")}, UnitWeightG: 200}} {
		ev, err := newOwnedEvent("shop-"+s.Code, EvSKUUpserted, "B9001", "web", s.Owner, s)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := l.Append(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	pin, err := HashPIN("4321")
	if err != nil {
		t.Fatal(err)
	}
	mustAppend(t, l, "sup", EvStaffUpserted, StaffChange{Badge: "B4001", Name: "王主管", Role: RoleSupervisor, PINHash: pin})
	locs := []Location{
		{Code: "B01-01-01", Zone: "B", PickSeq: 120, Kind: KindPick, Height: HeightHighLow},
		{Code: "B01-02-01", Zone: "B", PickSeq: 170, Kind: KindPick},
		{Code: kindsShortLoc, Zone: "B", PickSeq: 200, Kind: KindPick, Height: HeightFloor},
		{Code: "C01-01-01", Zone: "C", PickSeq: 300, Kind: KindPick, Height: HeightFloor},
		{Code: "D01-01-01", Zone: "D", PickSeq: 400, Kind: KindPick, Height: HeightHighLow},
		{Code: "DMG-01", Zone: "DMG", PickSeq: 950, Kind: KindDamaged},
		{Code: "RET-01", Zone: "RET", PickSeq: 960, Kind: KindReturns},
	}
	for _, loc := range locs {
		mustAppend(t, l, "l"+loc.Code, EvLocationUpserted, loc)
	}
	for i, s := range []StockAdjustment{{SKU: "BOOK", Location: "B01-01-01", Delta: 40}, {SKU: "PEN", Location: "B01-02-01", Delta: 3},
		{SKU: "PEN", Location: "C01-01-01", Delta: 500}, {SKU: "BOOK", Location: "C01-01-01", Delta: 500}} {
		s.Reason = "fixture"
		mustAppend(t, l, fmt.Sprint("fx", i), EvStockAdjusted, s)
	}
	for i, s := range []StockAdjustment{{SKU: "MUG", Location: "D01-01-01", Delta: 500}, {SKU: "MUG", Location: "C01-01-01", Delta: 5},
		{SKU: "BOOK", Location: "D01-01-01", Delta: 500}} {
		s.Reason = "fixture"
		ev, err := newOwnedEvent(fmt.Sprint("fxs", i), EvStockAdjusted, "B9001", "web", "SHOP", s)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := l.Append(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	mustAppend(t, l, "fxink", EvStockAdjusted, StockAdjustment{SKU: "INK", Location: kindsShortLoc, Delta: 1000, Reason: "fixture"})
	mustAppend(t, l, "box1", EvBoxUpserted, Box{Code: "L3", LengthMM: 420, WidthMM: 320, HeightMM: 260, TareG: 320})
	mustAppend(t, l, "st", EvStationUpserted, Station{ID: "PACK-01", Printer: "browser"})
	var numbers []string
	for i := range 200 {
		numbers = append(numbers, fmt.Sprintf("SF1%012d", i))
	}
	mustAppend(t, l, "wb", EvWaybillsLoaded, WaybillLoad{Account: "SF", Numbers: numbers})
	numbers = numbers[:0]
	for i := range 200 {
		numbers = append(numbers, fmt.Sprintf("SF2%012d", i))
	}
	if _, err := l.LoadWaybills(ctx, "wb-shop", WaybillLoad{Owner: "SHOP", Account: "SF", Numbers: numbers}, "B9001", "web"); err != nil {
		t.Fatal(err)
	}
	gtin := map[[2]string]string{} // owner, SKU -> GTIN
	for _, owner := range []string{DefaultOwner, "SHOP"} {
		skus, err := l.Books(owner).SKUs()
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range skus {
			gtin[[2]string{owner, s.Code}] = s.GTINs[0]
		}
	}
	type ref struct{ owner, no string }
	var seen struct{ shorts, inkShorts, undoShorted, cancels, putBacks, overrides, shopPicks, shopShips int }

	rng := rand.New(rand.NewPCG(seed, 99))
	rec := kindsRecord{completed: map[string]int{}, undone: map[string]int{}, undoLoc: map[string]string{}, undoQty: map[string]int64{}}
	start := clock.Now()
	pickers := []string{"B1001", "B1002"}
	tasks := map[string]Task{} // picker -> task in hand
	var toPack []ref           // orders picked, waiting to be packed
	var toReturn []ref         // orders shipped
	packing := map[ref]int64{} // order -> units scanned
	n := 0
	newOrders := func() {
		for range 3 {
			n++
			no := fmt.Sprintf("SO%d", n)
			var in OrderIntake
			if rng.IntN(3) == 0 {
				lines := []LineIn{{"MUG", int64(1 + rng.IntN(2))}}
				if rng.IntN(2) == 0 {
					lines = append(lines, LineIn{"BOOK", int64(1 + rng.IntN(2))})
				}
				in = order(no, lines...)
				in.Owner = "SHOP"
			} else {
				lines := []LineIn{{"BOOK", int64(1 + rng.IntN(2))}}
				if rng.IntN(2) == 0 {
					lines = append(lines, LineIn{"PEN", int64(1 + rng.IntN(3))})
				}
				if rng.IntN(2) == 0 {
					lines = append(lines, LineIn{"INK", int64(1 + rng.IntN(3))})
				}
				in = order(no, lines...)
			}
			in.Carrier = "SF"
			mustOrder(t, l, in)
		}
		mustWave(t, l, fmt.Sprintf("w%d", n), WaveCluster)
	}
	// done hands the orders of a finished task to the packer.
	done := func(task Task) {
		for _, ln := range task.Lines {
			if r := (ref{OwnerOr(ln.Owner), ln.Order}); task.Kind == TaskPick && !slices.Contains(toPack, r) {
				toPack = append(toPack, r)
			}
		}
	}
	const steps = 260
	for i := range steps {
		late := i > steps/2 // what has not happened yet is forced from here on
		if (rng.IntN(20) == 0 || (late && seen.cancels == 0)) && cancelMidPick(t, l, tasks, fmt.Sprintf("cancel%d", i)) {
			seen.cancels++
		}
		switch r := rng.IntN(100); {
		case r < 70:
			clock.Add(time.Duration(5+rng.IntN(120)) * time.Second)
		case r < 76:
			clock.Add(MinGap)
		case r < 80:
			clock.Add(MinGap + time.Second)
		case r < 95:
			clock.Add(MinGap + time.Duration(1+rng.IntN(1500))*time.Second)
		default:
			clock.Add(time.Duration(1+rng.IntN(3)) * time.Hour)
		}
		id := fmt.Sprintf("k%d", i)
		switch who := rng.IntN(10); {
		case who < 5: // a picker
			actor := pickers[rng.IntN(2)]
			task, ok := tasks[actor]
			if ok { // a cancellation may have changed it meanwhile
				var err error
				if task, err = l.Task(task.ID); err != nil {
					t.Fatal(err)
				}
				if task.State == TaskDone {
					delete(tasks, actor)
					done(task)
					continue
				}
			}
			if !ok {
				next, err := l.NextTask(ctx, actor, "pda")
				if ErrorCode(err) == CodeNotFound {
					newOrders()
					next, err = l.NextTask(ctx, actor, "pda")
				}
				if err != nil {
					t.Fatalf("%s next task: %v", id, err)
				}
				tasks[actor] = next
				continue
			}
			line, open := task.NextLine()
			var raw []byte
			var err error
			switch a := rng.IntN(10); {
			case !open || task.State == TaskDone:
				delete(tasks, actor)
				continue
			case task.Kind == TaskPutBack: // the units of a cancelled order back to their shelves, one at a time
				raw, _, err = l.PutBack(ctx, id, PutBackScan{Task: task.ID, Line: line.N, Location: line.Location, Qty: 1}, actor, "pda")
				if err == nil {
					seen.putBacks++
					after := asTask(t, raw)
					if ln, _ := after.Line(line.N); ln.Open() == 0 {
						rec.completed[id] = line.N
					}
				}
			case a < 1:
				_, _, err = l.RejectScan(ctx, id, ScanRejected{Task: task.ID, Line: line.N, Step: "item", Code: "00000000000000", Reason: "pick.wrong_item"}, actor, "pda")
			case a < 2 && undoable(t, l, task):
				last := task.Picks[len(task.Picks)-1]
				ln, _ := task.Line(last.Line)
				rec.undone[id], rec.undoLoc[id], rec.undoQty[id] = last.Line, last.Location, last.Qty
				if ln.Short > 0 && ln.Open() == 0 {
					seen.undoShorted++ // a line closed by a short, not by a pick
				}
				raw, _, err = l.UndoPick(ctx, id, PickUndo{Task: task.ID}, actor, "pda")
			case (a < 3 && line.Location == "B01-02-01") || (a < 5 && line.Location == kindsShortLoc):
				raw, _, err = l.ReportShort(ctx, id, ShortReport{Task: task.ID, Line: line.N, Reason: "empty"}, actor, "pda")
				if err == nil {
					seen.shorts++
					if line.SKU == "INK" {
						seen.inkShorts++
					}
				}
			default:
				qty := line.Open()
				if qty > 1 && rng.IntN(3) == 0 {
					qty = 1 // a line over several scans
				}
				raw, _, err = l.Pick(ctx, id, PickScan{Task: task.ID, Line: line.N, Location: line.Location,
					Items: []ScannedItem{{GTIN: gtin[[2]string{OwnerOr(line.Owner), line.SKU}]}}, Qty: qty, Tote: "T" + strings.TrimPrefix(line.Order, "SO")}, actor, "pda")
				if err == nil {
					after := asTask(t, raw)
					if ln, _ := after.Line(line.N); ln.Open() == 0 {
						rec.completed[id] = line.N
					}
					if OwnerOr(line.Owner) == "SHOP" {
						seen.shopPicks++
					}
				}
			}
			if err != nil {
				t.Fatalf("%s %s: %v", id, actor, err)
			}
			if raw != nil {
				task = asTask(t, raw)
				tasks[actor] = task
				if task.State == TaskDone {
					delete(tasks, actor)
					done(task)
				}
			}
		case who < 7 && len(toPack) > 0: // the packer
			r := toPack[0]
			owner, no, books := r.owner, r.no, l.Books(r.owner)
			o, err := books.Order(no)
			if err != nil {
				t.Fatal(err)
			}
			if o.State != OrderPicked {
				toPack = toPack[1:]
				continue
			}
			var total int64
			for _, ln := range o.Lines {
				total += ln.Picked
			}
			if packing[r] < total {
				var sku string
				var scanned int64
				for _, ln := range o.Lines {
					if scanned += ln.Picked; packing[r] < scanned {
						sku = ln.SKU
						break
					}
				}
				if _, err := l.PackScan(ctx, id, PackScan{Owner: owner, Order: no, Station: "PACK-01", GTIN: gtin[[2]string{owner, sku}], Qty: 1}, "B2001", "kiosk"); err != nil {
					t.Fatalf("%s pack scan: %v", id, err)
				}
				packing[r]++
				continue
			}
			_, err = l.CloseParcel(ctx, id+"x", ParcelClose{Owner: owner, Order: no, Station: "PACK-01", Box: "L3", WeightG: 1}, "B2001", "kiosk")
			e, ok := AsError(err)
			if !ok || e.Key != "pack.weight_off" {
				t.Fatalf("%s a parcel of 1 g: %v", id, err)
			}
			var off int
			fmt.Sscan(e.Args["off"], &off)
			clock.Add(time.Duration(1+rng.IntN(30)) * time.Second)
			closing := ParcelClose{Owner: owner, Order: no, Station: "PACK-01", Box: "L3", WeightG: 1 - off}
			if rng.IntN(4) == 0 || (late && seen.overrides == 0) { // the supervisor lets the light parcel through
				closing.WeightG, closing.Override = 1, &Override{Badge: "B4001", Reason: "纸箱受潮，秤已校准"}
				seen.overrides++
			}
			if _, err := l.CloseParcel(ctx, id, closing, "B2001", "kiosk"); err != nil {
				t.Fatalf("%s close: %v", id, err)
			}
			clock.Add(time.Duration(1+rng.IntN(30)) * time.Second)
			if _, err := books.Ship(ctx, id+"s", no, "PACK-01", "B2001", "kiosk"); err != nil {
				t.Fatalf("%s ship: %v", id, err)
			}
			if owner == "SHOP" {
				seen.shopShips++
			}
			toPack = toPack[1:]
			toReturn = append(toReturn, r)
		case who < 8 && len(toReturn) > 0: // returns, every line of the order
			r := toReturn[0]
			toReturn = toReturn[1:]
			var lines []ReturnLine
			shipped, err := l.Books(r.owner).Shipped(r.no)
			if err != nil || len(shipped) == 0 {
				continue // shorted away entirely
			}
			for _, s := range shipped {
				lines = append(lines, ReturnLine{SKU: s.SKU, Qty: s.Shipped, Condition: []string{CondResellable, CondDamaged}[rng.IntN(2)]})
			}
			if _, err := l.ReceiveReturn(ctx, ReturnParcel{ID: "r" + id, Owner: envelopeOwner(r.owner), Order: r.no, Lines: lines}, "B3001", "pda"); err != nil {
				t.Fatalf("%s return: %v", id, err)
			}
		default: // a count
			loc := []string{"C01-01-01", "B01-01-01"}[rng.IntN(2)]
			rows, err := l.StockRows("")
			if err != nil {
				t.Fatal(err)
			}
			var lines []StockRow
			for _, r := range rows {
				if r.Location == loc {
					lines = append(lines, StockRow{Owner: r.Owner, SKU: r.SKU, Location: loc, Qty: r.Qty})
				}
			}
			if _, err := l.SubmitCount(ctx, id, CountSubmit{Location: loc, Lines: lines}, "B5001", "pda"); err != nil {
				t.Fatalf("%s count: %v", id, err)
			}
		}
	}
	// what the history must have held, every seed: none of it skipped silently
	t.Logf("seed %d: %+v", seed, seen)
	for name, n := range map[string]int{"short picks": seen.shorts, "shorts of INK (its only shelf)": seen.inkShorts,
		"cancellations mid-pick": seen.cancels, "put-back scans": seen.putBacks, "weight overrides": seen.overrides,
		"SHOP picks": seen.shopPicks, "SHOP orders shipped": seen.shopShips} {
		if n == 0 {
			t.Errorf("seed %d: no %s", seed, name)
		}
	}
	events, err := l.EventsOfType(100000, EvTaskStarted, EvPicked, EvPickUndone, EvShortReported, EvScanRejected, EvPutBack,
		EvPackScanned, EvParcelClosed, EvWeightRejected, EvShipped, EvReturnReceived, EvCounted)
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(events)
	got, err := l.Figures(FiguresQuery{From: start, To: clock.Now().Add(time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	exp, perOwner := recomputeKinds(t, l, events, rec, DefaultStandards())
	compareKinds(t, got, exp)
	// each owner's view holds the work on that owner's goods (a count is no owner's)
	for _, owner := range []string{DefaultOwner, "SHOP"} {
		f, err := l.Figures(FiguresQuery{From: start, To: clock.Now().Add(time.Second), Owner: owner})
		if err != nil {
			t.Fatal(err)
		}
		var sum WorkCounts
		for _, p := range f.People {
			sum = sum.plus(p.Counts)
		}
		if sum != perOwner[owner] {
			t.Errorf("owner %s counts:\n got %+v\nwant %+v", owner, sum, perOwner[owner])
		}
	}
}

// kindsShortLoc is the shelf pickers find empty: INK's only stock is there.
const kindsShortLoc = "B01-03-01"

// gtinOf completes 12 digits with the GTIN-13 check digit.
func gtinOf(digits string) string {
	sum := 0
	for i, c := range digits {
		d := int(c - '0')
		if i%2 == 1 {
			d *= 3
		}
		sum += d
	}
	return digits + fmt.Sprint((10-sum%10)%10)
}

// undoable says whether the last pick of a task can be taken back: there
// is one, and its order has not been cancelled since.
func undoable(t *testing.T, l *Ledger, task Task) bool {
	t.Helper()
	if len(task.Picks) == 0 || task.Picks[len(task.Picks)-1].Undone {
		return false
	}
	ln, _ := task.Line(task.Picks[len(task.Picks)-1].Line)
	o, err := l.Books(OwnerOr(ln.Owner)).Order(ln.Order)
	if err != nil {
		t.Fatal(err)
	}
	return o.State == OrderPicking || o.State == OrderPicked
}

// cancelMidPick has the supervisor cancel an order a picker is halfway
// through (some of it in the tote), so a put-back task is made.
func cancelMidPick(t *testing.T, l *Ledger, tasks map[string]Task, id string) bool {
	t.Helper()
	actors := slices.Sorted(maps.Keys(tasks))
	for _, actor := range actors {
		task, err := l.Task(tasks[actor].ID)
		if err != nil {
			t.Fatal(err)
		}
		if task.Kind != TaskPick || task.State != TaskActive {
			continue
		}
		for _, ln := range task.Lines {
			if ln.Done == 0 {
				continue
			}
			books := l.Books(OwnerOr(ln.Owner))
			o, err := books.Order(ln.Order)
			if err != nil {
				t.Fatal(err)
			}
			if o.State != OrderPicking {
				continue
			}
			if _, err := books.CancelOrder(ctx, o.No, "买家取消", id, "B4001", "web"); err != nil {
				t.Fatalf("%s: %v", id, err)
			}
			return true
		}
	}
	return false
}

type kindWant struct {
	feat           Features
	direct, earned float64
}

type kindsWant struct {
	want
	kinds    map[WorkKind]*kindWant
	lastKind WorkKind
	lastLoc  string
	mis      map[string][]int // unit -> lines with an undo
}

type kindsGap struct {
	from, to time.Time
	kind     WorkKind
	unit     string
	same     bool
}

// recomputeKinds applies the rules of staff figures to the raw events.
func recomputeKinds(t *testing.T, l *Ledger, events []Event, rec kindsRecord, std Standards) (map[string]*kindsWant, map[string]WorkCounts) {
	t.Helper()
	allow := 1 + std.AllowancePct/100
	earned := func(kind WorkKind, f Features) float64 {
		var s float64
		switch kind {
		case WorkPick:
			p := std.Pick
			s = p.Task*float64(f.Tasks) + p.LineWaist*float64(f.LinesWaist) + p.LineHighLo*float64(f.LinesHighLow) + p.LineFloor*float64(f.LinesFloor) +
				p.Unit*float64(f.Units) + p.Step*float64(f.TravelSeq)/10 + p.ZoneChange*float64(f.ZoneChanges)
		case WorkPack:
			s = std.Pack.Task*float64(f.Tasks) + std.Pack.Line*float64(f.Lines) + std.Pack.Unit*float64(f.Units)
		case WorkReturns:
			s = std.Returns.Task*float64(f.Tasks) + std.Returns.Line*float64(f.Lines) + std.Returns.Unit*float64(f.Units)
		case WorkCount:
			s = std.Count.Task*float64(f.Tasks) + std.Count.Line*float64(f.Lines) + std.Count.Unit*float64(f.Units)
		}
		return s * allow
	}
	height := func(code string, n int64) Features {
		loc, err := l.Location(code)
		if err != nil {
			t.Fatal(err)
		}
		switch loc.PickHeight() {
		case HeightHighLow:
			return Features{LinesHighLow: n}
		case HeightFloor:
			return Features{LinesFloor: n}
		}
		return Features{LinesWaist: n}
	}
	out := map[string]*kindsWant{}
	unitFeat := map[string]Features{} // actor/kind/unit -> the unit's features
	pending := map[string][]kindsGap{}
	complete := map[string]bool{} // task/line -> counted as completed by a pick
	perOwner := map[string]WorkCounts{}
	lineOwner := func(task string, n int) string { // whose goods a task line is
		tk, err := l.Task(task)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return OwnerOr(tk.Lines[0].Owner)
		}
		ln, ok := tk.Line(n)
		if !ok {
			t.Fatalf("task %s has no line %d", task, n)
		}
		return OwnerOr(ln.Owner)
	}
	for _, ev := range events {
		w := out[ev.Actor]
		if w == nil {
			w = &kindsWant{want: want{days: map[string][2]time.Time{}}, kinds: map[WorkKind]*kindWant{}, mis: map[string][]int{}}
			out[ev.Actor] = w
		}
		var kind WorkKind
		var unit string
		var whole bool
		var c WorkCounts
		var f Features
		var p struct {
			Task, Order, Parcel, Receipt, Location string
			Line                                   int
			Qty                                    int64
			ID                                     string
			Lines                                  []struct{ Qty int64 }
			Override                               *Override
			Typed                                  bool
		}
		_ = decode(&ev, &p)
		owned := OwnerOr(ev.Owner) + "/"
		switch ev.Type {
		case EvTaskStarted:
			kind, unit, c, f = WorkPick, p.Task, WorkCounts{Tasks: 1}, Features{Tasks: 1}
		case EvPicked, EvPutBack: // a put-back line is picking's work, back to the shelf
			kind, unit, c, f = WorkPick, p.Task, WorkCounts{Units: p.Qty}, Features{Units: p.Qty}
			if n := rec.completed[ev.ID]; n > 0 {
				complete[unit+"/"+fmt.Sprint(n)] = true
				c.Lines++
				if !slices.Contains(w.mis[unit], n) {
					c.ErrorFreeLines++
					f = f.plus(height(p.Location, 1))
				}
			}
		case EvPickUndone:
			kind, unit = WorkPick, p.Task
			n, q := rec.undone[ev.ID], rec.undoQty[ev.ID]
			c, f = WorkCounts{Undos: 1, Units: -q}, Features{Units: -q}
			mis := slices.Contains(w.mis[unit], n)
			// only a line a pick completed was counted: one a short closed was not
			if k := unit + "/" + fmt.Sprint(n); complete[k] {
				complete[k] = false
				c.Lines--
				if !mis {
					c.ErrorFreeLines--
					f = f.plus(height(rec.undoLoc[ev.ID], -1))
				}
			}
			if !mis {
				w.mis[unit] = append(w.mis[unit], n)
				c.MisPicks++
			}
		case EvShortReported:
			kind, unit, c = WorkPick, p.Task, WorkCounts{Shorts: 1}
		case EvScanRejected:
			kind, unit, c = WorkPick, p.Task, WorkCounts{WrongScans: 1}
		case EvPackScanned:
			kind, unit, c, f = WorkPack, owned+p.Order, WorkCounts{PackUnits: p.Qty}, Features{Units: p.Qty}
		case EvParcelClosed:
			kind, unit, c = WorkPack, owned+p.Order, WorkCounts{Parcels: 1}
			if p.Override != nil {
				c.Overrides = 1
			}
			if p.Typed {
				c.TypedWeights = 1
			}
		case EvWeightRejected:
			kind, unit, c = WorkPack, owned+p.Order, WorkCounts{WeightRejects: 1}
		case EvShipped:
			o, err := l.Books(OwnerOr(ev.Owner)).Order(p.Order)
			if err != nil {
				t.Fatal(err)
			}
			var units int64
			for _, ln := range o.Lines {
				units += ln.Qty
			}
			kind, unit, c, f = WorkPack, owned+p.Order, WorkCounts{OrdersPacked: 1}, Features{Tasks: 1, Lines: int64(len(o.Lines))}
			if units == 1 {
				c.SingleOrders = 1
			}
		case EvReturnReceived:
			var units int64
			for _, ln := range p.Lines {
				units += ln.Qty
			}
			kind, unit, whole, c, f = WorkReturns, p.ID, true, WorkCounts{ReturnParcels: 1, ReturnUnits: units}, Features{Tasks: 1, Units: units}
		case EvCounted:
			kind, unit, whole, c, f = WorkCount, "count:"+ev.ID, true, WorkCounts{CountLines: int64(len(p.Lines))}, Features{Lines: int64(len(p.Lines))}
		default:
			t.Fatalf("event %s", ev.Type)
		}
		// travel between a task's consecutive pick locations
		if unit != w.lastUnit {
			w.lastLoc = ""
		}
		if ev.Type == EvPicked || ev.Type == EvPutBack {
			if w.lastLoc != "" && w.lastLoc != p.Location {
				a, _ := l.Location(w.lastLoc)
				b, _ := l.Location(p.Location)
				f.TravelSeq += int64(abs(a.PickSeq - b.PickSeq))
				if a.Zone != b.Zone {
					f.ZoneChanges++
				}
			}
			w.lastLoc = p.Location
		}
		w.counts = w.counts.plus(c)
		switch ev.Type {
		case EvCounted:
		case EvTaskStarted: // the task's first line's owner
			perOwner[lineOwner(p.Task, 0)] = perOwner[lineOwner(p.Task, 0)].plus(c)
		case EvScanRejected: // the line scanned for
			perOwner[lineOwner(p.Task, p.Line)] = perOwner[lineOwner(p.Task, p.Line)].plus(c)
		default:
			perOwner[OwnerOr(ev.Owner)] = perOwner[OwnerOr(ev.Owner)].plus(c)
		}
		k := w.kinds[kind]
		if k == nil {
			k = &kindWant{}
			w.kinds[kind] = k
		}
		k.feat = k.feat.plus(f)
		uk := ev.Actor + "/" + string(kind) + "/" + unit
		unitFeat[uk] = unitFeat[uk].plus(f)
		day := ev.At.In(l.Zone()).Format("2006-01-02")
		d, ok := w.days[day]
		if !ok {
			d[0] = ev.At
		}
		d[1] = ev.At
		w.days[day] = d
		if w.had {
			iv := ev.At.Sub(w.lastAt)
			same := whole || (unit == w.lastUnit && kind == w.lastKind)
			switch {
			case iv > MinGap:
				pending[ev.Actor] = append(pending[ev.Actor], kindsGap{w.lastAt, ev.At, kind, unit, same})
			case same:
				w.direct += iv
				k.direct += iv.Seconds()
			default:
				w.indirect += iv
			}
		}
		w.had, w.lastAt, w.lastUnit, w.lastKind = true, ev.At, unit, kind
	}
	for actor, w := range out {
		for _, g := range pending[actor] {
			if !sameDay(g.from.In(l.Zone()), g.to.In(l.Zone())) {
				continue
			}
			uf := unitFeat[actor+"/"+string(g.kind)+"/"+g.unit]
			if uf.isZero() {
				uf.Tasks = 1
			}
			limit := max(time.Duration(std.GapFactor*earned(g.kind, uf)*float64(time.Second)), MinGap)
			d := g.to.Sub(g.from)
			switch {
			case d > limit:
				w.gap += d
				w.gaps++
			case g.same:
				w.direct += d
				w.kinds[g.kind].direct += d.Seconds()
			default:
				w.indirect += d
			}
		}
		for kind, k := range w.kinds {
			k.earned = earned(kind, k.feat)
			w.earned += k.earned
		}
	}
	return out, perOwner
}

func compareKinds(t *testing.T, got Figures, exp map[string]*kindsWant) {
	t.Helper()
	if len(got.People) != len(exp) {
		t.Fatalf("people: got %d, want %d", len(got.People), len(exp))
	}
	for _, p := range got.People {
		w := exp[p.Actor]
		if w == nil {
			t.Fatalf("unexpected person %s", p.Actor)
		}
		near := func(name string, got, want float64) {
			if math.Abs(got-want) > 1e-6*math.Max(1, math.Abs(want)) {
				t.Errorf("%s %s: got %v, want %v", p.Actor, name, got, want)
			}
		}
		if p.Counts != w.counts {
			t.Errorf("%s counts:\n got %+v\nwant %+v", p.Actor, p.Counts, w.counts)
		}
		near("direct", p.DirectS, w.direct.Seconds())
		near("indirect", p.IndirectS, w.indirect.Seconds())
		near("gap", p.GapS, w.gap.Seconds())
		near("earned", p.EarnedS, w.earned)
		if len(p.Gaps) != w.gaps {
			t.Errorf("%s gaps: got %d, want %d", p.Actor, len(p.Gaps), w.gaps)
		}
		var paid float64
		for _, d := range w.days {
			paid += d[1].Sub(d[0]).Seconds()
		}
		near("paid", p.PaidS, paid)
		if c := w.counts; c.Lines > 0 {
			near("pick accuracy", *p.PickAccuracyPct, round2(100*float64(c.ErrorFreeLines)/float64(c.Lines)))
		}
		if c := w.counts; c.Parcels > 0 {
			near("pack accuracy", *p.PackAccuracyPct, round2(100*float64(max(c.Parcels-c.WeightRejects, 0))/float64(c.Parcels)))
		}
		if len(p.Kinds) != len(w.kinds) {
			t.Errorf("%s kinds: got %d, want %d", p.Actor, len(p.Kinds), len(w.kinds))
		}
		for _, k := range p.Kinds {
			wk := w.kinds[k.Kind]
			if wk == nil {
				t.Errorf("%s: unexpected kind %s", p.Actor, k.Kind)
				continue
			}
			// the zone pairs (travel.go's share of the features) are checked
			// against the totals this recomputation makes itself
			got, want := k.Features, wk.feat
			pairs := got.ZonePairs
			got.ZonePairs, want.ZonePairs = nil, nil
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s %s features:\n got %+v\nwant %+v", p.Actor, k.Kind, got, want)
			}
			var seq, changes int64
			for key, zp := range pairs {
				seq += zp.Seq
				if from, to, _ := strings.Cut(key, ">"); from != to {
					changes += zp.N
				}
			}
			if seq != got.TravelSeq || changes != got.ZoneChanges {
				t.Errorf("%s %s: zone pairs %v add up to %d steps and %d zone changes, the features say %d and %d", p.Actor, k.Kind, pairs, seq, changes, got.TravelSeq, got.ZoneChanges)
			}
			near(string(k.Kind)+" direct", k.DirectS, wk.direct)
			near(string(k.Kind)+" earned", k.EarnedS, wk.earned)
		}
	}
}

// A line partly picked and then reported short was never counted as a line
// picked; undoing its pick must not take a line back (it once made the
// picker's lines, error-free lines and earned time go down by one).
func TestUndoOnShortedLineTakesNoLineBack(t *testing.T) {
	l, _ := openTest(t)
	seedSmall(t, l)
	mustOrder(t, l, order("SO1", LineIn{"BOOK", 2}))
	mustWave(t, l, "w1", WaveCluster)
	task, err := l.NextTask(ctx, "B1001", "pda")
	if err != nil {
		t.Fatal(err)
	}
	book, _ := l.SKU("BOOK")
	line := task.Lines[0]
	if _, _, err := l.Pick(ctx, "short-p1", PickScan{Task: task.ID, Line: line.N, Location: line.Location,
		Items: []ScannedItem{{GTIN: book.GTINs[0]}}, Qty: 1, Tote: "T1"}, "B1001", "pda"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.ReportShort(ctx, "short-s1", ShortReport{Task: task.ID, Line: line.N, Reason: "empty"}, "B1001", "pda"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.UndoPick(ctx, "short-u1", PickUndo{Task: task.ID}, "B1001", "pda"); err != nil {
		t.Fatal(err)
	}
	f, err := l.Figures(FiguresQuery{From: l.Now().Add(-time.Hour), To: l.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.People) != 1 {
		t.Fatalf("people: %+v", f.People)
	}
	p := f.People[0]
	if c := p.Counts; c.Lines != 0 || c.ErrorFreeLines != 0 || c.Units != 0 || c.Shorts != 1 || c.Undos != 1 || c.MisPicks != 1 {
		t.Errorf("counts: %+v", c)
	}
	if feat := p.Kinds[0].Features; feat.LinesWaist != 0 || feat.LinesHighLow != 0 || feat.LinesFloor != 0 {
		t.Errorf("features: %+v", feat)
	}
	day, err := l.KPIs(l.Today())
	if err != nil {
		t.Fatal(err)
	}
	if s := day["B1001"]; s.Lines != 0 || s.Units != 0 || s.Shorts != 1 {
		t.Errorf("the day's figures: %+v", s)
	}
}
