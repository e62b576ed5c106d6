package wms

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// seedWork adds a dock, two receipts of books and staff to seedSmall.
func seedWork(t *testing.T, l *Ledger) {
	t.Helper()
	seedSmall(t, l)
	ctx := context.Background()
	mustAppend(t, l, "ldock", EvLocationUpserted, Location{Code: "DOCK-01", Zone: "DOCK", PickSeq: 900, Kind: KindDock})
	for _, id := range []string{"ASN1", "ASN2"} {
		if _, _, err := l.ExpectReceipt(ctx, "", ReceiptIn{ID: id, Supplier: "三联", Lines: []LineIn{{"BOOK", 100000}}}, "B9", "pda"); err != nil {
			t.Fatal(err)
		}
	}
}

// want is a person's figures recomputed in the test from the event list.
type want struct {
	counts                   WorkCounts
	direct, indirect, gap    time.Duration
	earned                   float64
	gaps                     int
	days                     map[string][2]time.Time
	unitLines, unitUnits     map[string]int64 // receipt units: lines, units (for gap limits)
	lastAt                   time.Time
	lastUnit                 string
	had                      bool
	pending                  []pendingGap
	recvLines, recvUnits     int64
	moveLines, moveUnits     int64
	putawayLine, putawayUnit int64
}

type pendingGap struct {
	from, to time.Time
	unit     string
	same     bool
	whole    bool
	qty      int64
	kind     WorkKind
}

// TestFiguresEqualRecomputation drives random receiving, putaway and moves
// by three people through the commands, then recomputes every person's
// figures from the raw event list with the rules written out again here,
// and compares them with Figures.
func TestFiguresEqualRecomputation(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			l, clock := openTest(t)
			seedWork(t, l)
			ctx := context.Background()
			rng := rand.New(rand.NewPCG(seed, 12))
			actors := []string{"B2001", "B2002", "B2003"}
			dock, a1, a2 := int64(0), int64(7), int64(0)
			start := clock.Now()
			for i := range 300 {
				switch r := rng.IntN(100); {
				case r < 70:
					clock.Add(time.Duration(10+rng.IntN(230)) * time.Second)
				case r < 78:
					clock.Add(MinGap) // exactly the minimum gap: still work
				case r < 92:
					clock.Add(MinGap + time.Duration(1+rng.IntN(1800))*time.Second)
				default:
					clock.Add(time.Duration(1+rng.IntN(10)) * time.Hour)
				}
				actor := actors[rng.IntN(len(actors))]
				id := fmt.Sprintf("e%d", i)
				var err error
				switch r := rng.IntN(10); {
				case r < 4:
					q := int64(1 + rng.IntN(5))
					_, err = l.Receive(ctx, id, Receiving{Receipt: []string{"ASN1", "ASN2"}[rng.IntN(2)], SKU: "BOOK", Qty: q, Location: "DOCK-01"}, actor, "pda")
					dock += q
				case r < 6 && dock > 0:
					_, err = l.MoveStock(ctx, id, Move{SKU: "BOOK", From: "DOCK-01", To: "A01-01-02", Qty: 1}, actor, "pda")
					dock--
					a2++
				case r < 8 && a1 > 0:
					_, err = l.MoveStock(ctx, id, Move{SKU: "BOOK", From: "A01-01-01", To: "A01-01-02", Qty: 1}, actor, "pda")
					a1--
					a2++
				case a2 > 0:
					_, err = l.MoveStock(ctx, id, Move{SKU: "BOOK", From: "A01-01-02", To: "A01-01-01", Qty: 1}, actor, "pda")
					a2--
					a1++
				default:
					err = l.RefuseReceipt(ctx, id, ReceiveRefusal{Receipt: "ASN2", SKU: "BOOK", Qty: 1, Reason: "receive.damaged"}, actor, "pda")
				}
				if err != nil {
					t.Fatalf("event %d: %v", i, err)
				}
			}
			events, err := l.EventsOfType(100000, EvReceived, EvMoved, EvReceiveRefused)
			if err != nil {
				t.Fatal(err)
			}
			slices.Reverse(events)
			std := DefaultStandards()
			got, err := l.Figures(FiguresQuery{From: start, To: clock.Now().Add(time.Second)})
			if err != nil {
				t.Fatal(err)
			}
			// the same question, the same figures to the last digit (maps
			// are walked in a random order; sums must not depend on it)
			first, _ := json.Marshal(got)
			for range 30 {
				again, err := l.Figures(FiguresQuery{From: start, To: clock.Now().Add(time.Second)})
				if err != nil {
					t.Fatal(err)
				}
				if b, _ := json.Marshal(again); !bytes.Equal(b, first) {
					t.Fatalf("figures differ between two reads:\n%s\n%s", first, b)
				}
			}
			exp := recompute(events, std, l.Zone())
			if len(got.People) != len(exp) {
				t.Fatalf("people: got %d, want %d", len(got.People), len(exp))
			}
			for _, p := range got.People {
				w := exp[p.Actor]
				if w == nil {
					t.Fatalf("unexpected person %s", p.Actor)
				}
				if p.Counts != w.counts {
					t.Errorf("%s counts: got %+v, want %+v", p.Actor, p.Counts, w.counts)
				}
				near := func(name string, got, want float64) {
					if math.Abs(got-want) > 1e-6*math.Max(1, math.Abs(want)) {
						t.Errorf("%s %s: got %v, want %v", p.Actor, name, got, want)
					}
				}
				near("direct", p.DirectS, w.direct.Seconds())
				near("indirect", p.IndirectS, w.indirect.Seconds())
				near("gap", p.GapS, w.gap.Seconds())
				near("earned", p.EarnedS, w.earned)
				var paid float64
				for _, d := range w.days {
					paid += d[1].Sub(d[0]).Seconds()
				}
				near("paid", p.PaidS, paid)
				if len(p.Gaps) != w.gaps {
					t.Errorf("%s gaps: got %d, want %d", p.Actor, len(p.Gaps), w.gaps)
				}
				if w.direct > 0 {
					near("performance", p.PerformancePct, round2(100*w.earned/w.direct.Seconds()))
				}
				one, err := l.Figures(FiguresQuery{From: start, To: clock.Now().Add(time.Second), Person: p.Actor})
				if err != nil || len(one.People) != 1 || one.People[0].DirectS != p.DirectS {
					t.Errorf("%s alone: %v %+v", p.Actor, err, one.People)
				}
			}
		})
	}
}

// recompute applies the rules of staff figures to an event list on its own.
func recompute(events []Event, std Standards, zone *time.Location) map[string]*want {
	out := map[string]*want{}
	allow := 1 + std.AllowancePct/100
	for _, ev := range events {
		w := out[ev.Actor]
		if w == nil {
			w = &want{days: map[string][2]time.Time{}, unitLines: map[string]int64{}, unitUnits: map[string]int64{}}
			out[ev.Actor] = w
		}
		var unit string
		var whole bool
		var qty int64
		kind := WorkReceive
		switch ev.Type {
		case EvReceived:
			var p Receiving
			_ = decode(&ev, &p)
			unit, qty = p.Receipt, p.Qty
			w.counts.UnitsReceived += qty
			w.unitLines[unit]++
			w.unitUnits[unit] += qty
			w.recvLines++
			w.recvUnits += qty
		case EvReceiveRefused:
			var p ReceiveRefusal
			_ = decode(&ev, &p)
			unit = p.Receipt
			w.unitLines[unit]++
			w.recvLines++
		case EvMoved:
			var m Move
			_ = decode(&ev, &m)
			unit, whole, qty = ev.ID, true, m.Qty
			if m.From == "DOCK-01" {
				w.counts.UnitsPutAway += qty
				w.putawayLine++
				w.putawayUnit += qty
			} else {
				kind = WorkMove
				w.counts.Moves++
				w.moveLines++
				w.moveUnits += qty
			}
		}
		day := ev.At.In(zone).Format("2006-01-02")
		d, ok := w.days[day]
		if !ok {
			d[0] = ev.At
		}
		d[1] = ev.At
		w.days[day] = d
		if w.had {
			iv := ev.At.Sub(w.lastAt)
			same := whole || unit == w.lastUnit
			switch {
			case iv > MinGap:
				w.pending = append(w.pending, pendingGap{from: w.lastAt, to: ev.At, unit: unit, same: same, whole: whole, qty: qty, kind: kind})
			case same:
				w.direct += iv
			default:
				w.indirect += iv
			}
		}
		w.had, w.lastAt, w.lastUnit = true, ev.At, unit
	}
	for _, w := range out {
		for _, g := range w.pending {
			if g.from.In(zone).YearDay() != g.to.In(zone).YearDay() {
				continue
			}
			var standard float64
			switch {
			case g.kind == WorkMove:
				standard = std.Move.Line + std.Move.Unit*float64(g.qty)
			case g.whole: // putaway
				standard = std.Receive.Line + std.Receive.Unit*float64(g.qty)
			default:
				standard = std.Receive.Line*float64(w.unitLines[g.unit]) + std.Receive.Unit*float64(w.unitUnits[g.unit])
			}
			limit := max(time.Duration(std.GapFactor*standard*allow*float64(time.Second)), MinGap)
			d := g.to.Sub(g.from)
			switch {
			case d > limit:
				w.gap += d
				w.gaps++
			case g.same:
				w.direct += d
			default:
				w.indirect += d
			}
		}
		w.earned = allow * (std.Receive.Line*float64(w.recvLines+w.putawayLine) + std.Receive.Unit*float64(w.recvUnits+w.putawayUnit) +
			std.Move.Line*float64(w.moveLines) + std.Move.Unit*float64(w.moveUnits))
	}
	return out
}

// TestGapEdges: a pause of exactly MinGap is work; one just over it is a
// candidate, counted back up to GapFactor × the next unit's standard and a
// gap beyond; a pause across the warehouse's midnight starts a new day.
func TestGapEdges(t *testing.T) {
	l, clock := openTest(t)
	seedWork(t, l)
	ctx := context.Background()
	recv := func(id, actor string) {
		t.Helper()
		if _, err := l.Receive(ctx, id, Receiving{Receipt: "ASN1", SKU: "BOOK", Qty: 1, Location: "DOCK-01"}, actor, "pda"); err != nil {
			t.Fatal(err)
		}
	}
	// one receipt line of one unit: standard (10 + 1.5) × 1.12 = 12.88 s, ×3 = 38.6 s < MinGap
	day := clock.Now()
	recv("a1", "B1")
	clock.Add(MinGap)
	recv("a2", "B1") // exactly MinGap: direct
	clock.Add(MinGap + time.Second)
	recv("a3", "B1") // just over: the receipt's standard is small, so a gap
	f, err := l.Figures(FiguresQuery{From: day, To: clock.Now().Add(time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	p := f.People[0]
	if p.DirectS != MinGap.Seconds() || p.GapS != (MinGap+time.Second).Seconds() || len(p.Gaps) != 1 {
		t.Fatalf("direct %v gap %v gaps %d", p.DirectS, p.GapS, len(p.Gaps))
	}
	// a larger unit's standard takes a longer pause as work: 3 lines of 1,
	// then 30 lines: (30 × 10 + 30 × 1.5) × 1.12 × 3 = 1159.2 s
	for i := range 30 {
		clock.Add(time.Second)
		recv(fmt.Sprintf("b%d", i), "B2")
	}
	clock.Add(19 * time.Minute) // 1140 s ≤ 1159.2 s (plus the earlier ones: the unit's standard grows)
	recv("b-last", "B2")
	f, _ = l.Figures(FiguresQuery{From: day, To: clock.Now().Add(time.Second), Person: "B2"})
	if p := f.People[0]; len(p.Gaps) != 0 || p.DirectS != 29+19*60 {
		t.Fatalf("a pause within 3 × standard is work: direct %v gaps %+v", p.DirectS, p.Gaps)
	}
	clock.Add(30 * time.Minute)
	recv("b-after", "B2")
	f, _ = l.Figures(FiguresQuery{From: day, To: clock.Now().Add(time.Second), Person: "B2"})
	if p := f.People[0]; len(p.Gaps) != 1 || p.Gaps[0].Seconds != 1800 {
		t.Fatalf("a pause beyond 3 × standard is a gap: %+v", p.Gaps)
	}
	// midnight (CST): 23:55 then 00:10 the next day is a new day, no gap
	local := clock.Now().In(l.Zone())
	clock.Add(time.Date(local.Year(), local.Month(), local.Day(), 23, 55, 0, 0, l.Zone()).Sub(local))
	recv("c1", "B3")
	clock.Add(15 * time.Minute)
	recv("c2", "B3")
	f, _ = l.Figures(FiguresQuery{From: day, To: clock.Now().Add(time.Second), Person: "B3"})
	if p := f.People[0]; len(p.Gaps) != 0 || p.DirectS != 0 || p.PaidS != 0 {
		t.Fatalf("across midnight: %+v", p)
	}
}

// TestAllowanceAndBands: earned time carries the allowance, and a changed
// standard changes figures already recorded.
func TestAllowanceAndBands(t *testing.T) {
	l, clock := openTest(t)
	seedWork(t, l)
	ctx := context.Background()
	from := clock.Now()
	for i := range 200 { // 200 lines of 2 units, one every 10 s: 33 min of direct work
		if _, err := l.Receive(ctx, fmt.Sprint("r", i), Receiving{Receipt: "ASN1", SKU: "BOOK", Qty: 2, Location: "DOCK-01"}, "B1", "pda"); err != nil {
			t.Fatal(err)
		}
		clock.Add(10 * time.Second)
	}
	q := FiguresQuery{From: from, To: clock.Now()}
	f, err := l.Figures(q)
	if err != nil {
		t.Fatal(err)
	}
	p := f.People[0]
	earned := 200 * (10 + 2*1.5) * 1.12
	if math.Abs(p.EarnedS-earned) > 1e-6 || p.DirectS != 199*10 {
		t.Fatalf("earned %v (want %v), direct %v", p.EarnedS, earned, p.DirectS)
	}
	if p.TooLittleData || p.Band != "green" { // 2912 / 1990 = 146 %
		t.Fatalf("band %q too little %v perf %v", p.Band, p.TooLittleData, p.PerformancePct)
	}
	s, _ := l.Settings()
	std := DefaultStandards()
	std.AllowancePct = 0
	std.Receive = UnitStandard{Line: 5, Unit: 1}
	s.Standards = &std
	if _, err := l.ChangeSettings(ctx, "", s, "B9", "pda"); err != nil {
		t.Fatal(err)
	}
	f, _ = l.Figures(q)
	if p := f.People[0]; p.EarnedS != 200*7 || p.Band != "red" { // 1400 / 1990 = 70 %
		t.Fatalf("after calibration: earned %v band %s", p.EarnedS, p.Band)
	}
	bad := std
	bad.GapFactor = 0.5
	s.Standards = &bad
	if _, err := l.ChangeSettings(ctx, "", s, "B9", "pda"); err == nil {
		t.Fatal("a gap factor below 1 was accepted")
	}
}

// TestExplainGap: the worker or a supervisor gives a gap its reason; a
// break is taken out of paid time for utilisation.
func TestExplainGap(t *testing.T) {
	l, clock := openTest(t)
	seedWork(t, l)
	ctx := context.Background()
	from := clock.Now()
	for i, d := range []time.Duration{0, time.Minute, 20 * time.Minute, time.Minute} {
		clock.Add(d)
		if _, err := l.Receive(ctx, fmt.Sprint("r", i), Receiving{Receipt: "ASN1", SKU: "BOOK", Qty: 1, Location: "DOCK-01"}, "B1", "pda"); err != nil {
			t.Fatal(err)
		}
	}
	f, _ := l.Figures(FiguresQuery{From: from, To: clock.Now().Add(time.Second)})
	g := f.People[0].Gaps[0]
	if _, err := l.ExplainGap(ctx, "k1", "B1", g.From, "nap", "B1", "pda"); err == nil {
		t.Fatal("an unknown reason was accepted")
	}
	if _, err := l.ExplainGap(ctx, "k2", "B1", g.From, "break", "B7", "pda"); err == nil {
		t.Fatal("someone else's gap was explained by a non-supervisor")
	}
	if _, err := l.ExplainGap(ctx, "k3", "B1", g.From.Add(time.Second), "break", "B1", "pda"); err == nil {
		t.Fatal("a gap that is not there was explained")
	}
	if _, err := l.ExplainGap(ctx, "k4", "B1", g.From, "break", "B1", "pda"); err != nil {
		t.Fatal(err)
	}
	f, _ = l.Figures(FiguresQuery{From: from, To: clock.Now().Add(time.Second)})
	p := f.People[0]
	if p.Gaps[0].Reason != "break" || p.BreakS != 1200 || p.PaidS != 22*60 {
		t.Fatalf("%+v", p)
	}
	if want := round2(100 * 120.0 / 120.0); p.UtilisationPct != want {
		t.Fatalf("utilisation %v, want %v", p.UtilisationPct, want)
	}
}

// TestMisPickLosesLineEarnedTime: a line picked, undone and picked again
// counts as a line, a mis-pick and not error-free, and earns nothing; the
// task's base, units and travel still earn.
func TestMisPickLosesLineEarnedTime(t *testing.T) {
	l := stockFixture(t)
	mustOrder(t, l, order("SO1", LineIn{"BOOK", 3}, LineIn{"MILK", 1}))
	mustWave(t, l, "w1", WaveSingle)
	task, err := l.NextTask(ctx, "B1001", "pda-1")
	if err != nil || len(task.Lines) != 2 {
		t.Fatalf("task %+v: %v", task, err)
	}
	from := task.Created
	first := task.Lines[0]
	item := ScannedItem{GTIN: first.GTINs[0], Lot: first.Lot}
	if !first.LotTracked {
		item.Lot = ""
	}
	if _, _, err := l.Pick(ctx, "p1", PickScan{Task: task.ID, Line: first.N, Location: first.Location, Items: []ScannedItem{item}, Qty: first.Qty}, "B1001", "pda-1"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.UndoPick(ctx, "u1", PickUndo{Task: task.ID}, "B1001", "pda-1"); err != nil {
		t.Fatal(err)
	}
	task, _ = l.Task(task.ID)
	task = pickAll(t, l, "B1001", task, nil)
	if task.State != TaskDone {
		t.Fatalf("task %s", task.State)
	}
	f, err := l.Figures(FiguresQuery{From: from, To: l.Now().Add(time.Second), Person: "B1001"})
	if err != nil || len(f.People) != 1 {
		t.Fatalf("%+v %v", f, err)
	}
	p := f.People[0]
	c := p.Counts
	if c.Tasks != 1 || c.Lines != 2 || c.MisPicks != 1 || c.ErrorFreeLines != 1 || c.Undos != 1 || c.Units != first.Qty+task.Lines[1].Qty {
		t.Fatalf("counts %+v", c)
	}
	if p.PickAccuracyPct == nil || *p.PickAccuracyPct != 50 {
		t.Fatalf("pick accuracy %v", p.PickAccuracyPct)
	}
	std := DefaultStandards()
	steps := float64(abs(task.Lines[1].PickSeq-first.PickSeq)) / 10
	want := (std.Pick.Task + std.Pick.LineWaist + std.Pick.Unit*float64(c.Units) + std.Pick.Step*steps) * 1.12
	if math.Abs(p.EarnedS-want) > 1e-9 {
		t.Fatalf("earned %v, want %v (the mis-picked line earns nothing)", p.EarnedS, want)
	}
	units, err := l.PersonUnits("B1001", from, l.Now().Add(time.Second))
	if err != nil || len(units) != 1 || !units[0].Done || !slices.Equal(units[0].MisPicked, []int{first.N}) {
		t.Fatalf("units %+v %v", units, err)
	}
}

// TestFiguresFilters: shift (warehouse hours), owner and role choose whose
// work is counted; an unknown shift is refused.
func TestFiguresFilters(t *testing.T) {
	l, clock := openTest(t) // 10:00 CST: the day shift
	seedWork(t, l)
	from := clock.Now()
	for i := range 3 {
		clock.Add(time.Minute)
		if _, err := l.Receive(ctx, fmt.Sprint("r", i), Receiving{Receipt: "ASN1", SKU: "BOOK", Qty: 1, Location: "DOCK-01"}, "B1", "pda"); err != nil {
			t.Fatal(err)
		}
	}
	q := FiguresQuery{From: from, To: clock.Now().Add(time.Second)}
	count := func(q FiguresQuery) int {
		t.Helper()
		f, err := l.Figures(q)
		if err != nil {
			t.Fatal(err)
		}
		return len(f.People)
	}
	for _, tc := range []struct {
		name string
		edit func(*FiguresQuery)
		want int
	}{
		{"all", func(*FiguresQuery) {}, 1},
		{"day shift", func(q *FiguresQuery) { q.Shift = "day" }, 1},
		{"night shift", func(q *FiguresQuery) { q.Shift = "night" }, 0},
		{"the owner", func(q *FiguresQuery) { q.Owner = DefaultOwner }, 1},
		{"another owner", func(q *FiguresQuery) { q.Owner = "BRAND" }, 0},
		{"the person", func(q *FiguresQuery) { q.Person = "B1" }, 1},
		{"someone else", func(q *FiguresQuery) { q.Person = "B2" }, 0},
		{"a role they do not have", func(q *FiguresQuery) { q.Role = "packer" }, 0},
	} {
		qq := q
		tc.edit(&qq)
		if got := count(qq); got != tc.want {
			t.Errorf("%s: %d people, want %d", tc.name, got, tc.want)
		}
	}
	if _, err := l.Figures(FiguresQuery{From: from, To: clock.Now(), Shift: "lunch"}); ErrorCode(err) != CodeInvalid {
		t.Errorf("unknown shift: %v", err)
	}
	if _, err := l.Figures(FiguresQuery{From: clock.Now(), To: from}); ErrorCode(err) != CodeInvalid {
		t.Errorf("backwards range: %v", err)
	}
}

// A group's performance is made of the people whose own figure stands: a
// second person with two quick receipts (too little data, and an absurd
// rate) changes the totals' counts but not their performance.
func TestTotalsPerformanceLeavesOutTooLittleData(t *testing.T) {
	l, clock := openTest(t)
	seedWork(t, l)
	ctx := context.Background()
	from := clock.Now()
	for i := range 200 {
		if _, err := l.Receive(ctx, fmt.Sprint("r", i), Receiving{Receipt: "ASN1", SKU: "BOOK", Qty: 2, Location: "DOCK-01"}, "B1", "pda"); err != nil {
			t.Fatal(err)
		}
		if i < 2 {
			if _, err := l.Receive(ctx, fmt.Sprint("q", i), Receiving{Receipt: "ASN1", SKU: "BOOK", Qty: 2, Location: "DOCK-01"}, "B3", "pda-2"); err != nil {
				t.Fatal(err)
			}
		}
		clock.Add(10 * time.Second)
	}
	f, err := l.Figures(FiguresQuery{From: from, To: clock.Now()})
	if err != nil || len(f.People) != 2 {
		t.Fatalf("figures: %+v %v", f.People, err)
	}
	var steady, brief PersonFigures
	for _, p := range f.People {
		if p.Actor == "B1" {
			steady = p
		} else {
			brief = p
		}
	}
	if steady.TooLittleData || !brief.TooLittleData {
		t.Fatalf("too little data: B1 %v, B3 %v", steady.TooLittleData, brief.TooLittleData)
	}
	if f.Totals.PerformanceOf != 1 || f.Totals.PerformancePct != steady.PerformancePct {
		t.Errorf("totals performance %v of %d people, want B1's %v", f.Totals.PerformancePct, f.Totals.PerformanceOf, steady.PerformancePct)
	}
	if f.Totals.Counts.UnitsReceived != steady.Counts.UnitsReceived+brief.Counts.UnitsReceived {
		t.Errorf("totals count %d units received", f.Totals.Counts.UnitsReceived)
	}
}
