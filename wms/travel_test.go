package wms

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"
)

// travelFixture: four SKUs at four pick locations, two with positions on
// the floor plan (zone A) and two without (zones B and C), and one order
// that picks from all four in pick_seq order.
func travelFixture(t *testing.T) (*Ledger, Task) {
	t.Helper()
	l, _ := openTest(t)
	pos := func(v float64) *float64 { return &v }
	locs := []Location{
		{Code: "A01-01-01", Zone: "A", PickSeq: 10, Kind: KindPick, XM: pos(0), YM: pos(1.2)},
		{Code: "A02-03-01", Zone: "A", PickSeq: 50, Kind: KindPick, XM: pos(3), YM: pos(3.6)},
		{Code: "B01-01-01", Zone: "B", PickSeq: 200, Kind: KindPick},
		{Code: "C01-05-01", Zone: "C", PickSeq: 260, Kind: KindPick},
	}
	skus := []SKU{{Code: "BOOK", Name: "三体", GTINs: []string{"9787536692930"}, UnitWeightG: 600},
		{Code: "BIB", Name: "奶瓶", GTINs: []string{"6901234567809"}, UnitWeightG: 100},
		{Code: "NUTS", Name: "每日坚果", GTINs: []string{"6901234567908"}, UnitWeightG: 300},
		{Code: "PEN", Name: "笔", GTINs: []string{"6901234567915"}, UnitWeightG: 20}}
	var lines []LineIn
	for i, loc := range locs {
		mustAppend(t, l, "s"+skus[i].Code, EvSKUUpserted, skus[i])
		mustAppend(t, l, "l"+loc.Code, EvLocationUpserted, loc)
		mustAppend(t, l, "st"+skus[i].Code, EvStockAdjusted, StockAdjustment{SKU: skus[i].Code, Location: loc.Code, Delta: 10, Reason: "test"})
		lines = append(lines, LineIn{skus[i].Code, int64(i + 1)})
	}
	mustOrder(t, l, order("SO1", lines...))
	mustWave(t, l, "w1", WaveSingle)
	task, err := l.NextTask(ctx, "B1001", "pda-1")
	if err != nil || len(task.Lines) != 4 {
		t.Fatalf("task %+v: %v", task, err)
	}
	for i, line := range task.Lines {
		if line.Location != locs[i].Code {
			t.Fatalf("line %d at %s, want %s", i, line.Location, locs[i].Code)
		}
	}
	task = pickAll(t, l, "B1001", task, nil)
	if task.State != TaskDone {
		t.Fatalf("task %s", task.State)
	}
	return l, task
}

// TestTravelByPositionsAndZones: between the two positioned locations the
// picker walks |Δx|+|Δy| = 3 + 2.4 m; from there on (a location without a
// position) travel is a move between zones with its |Δ pick_seq|. The
// standards price the metres; a zone matrix entry replaces the steps and
// the zone change of its pair only; a pair it does not name falls back to
// the pick_seq rule; a rebuild gives the same projections.
func TestTravelByPositionsAndZones(t *testing.T) {
	l, task := travelFixture(t)
	units, err := l.PersonUnits("B1001", task.Created, l.Now().Add(time.Second))
	if err != nil || len(units) != 1 {
		t.Fatalf("units %+v %v", units, err)
	}
	f := units[0].Features
	want := Features{Tasks: 1, LinesWaist: 4, Units: 10, TravelMM: 5400, TravelSeq: 150 + 60, ZoneChanges: 2,
		ZonePairs: map[string]ZonePair{"A>B": {N: 1, Seq: 150}, "B>C": {N: 1, Seq: 60}}}
	if !reflect.DeepEqual(f, want) {
		t.Fatalf("features\n got %+v\nwant %+v", f, want)
	}
	if f.Metres() != 5.4 {
		t.Fatalf("metres %v", f.Metres())
	}

	earned := func() float64 {
		t.Helper()
		fig, err := l.Figures(FiguresQuery{From: task.Created, To: l.Now().Add(time.Second), Person: "B1001"})
		if err != nil || len(fig.People) != 1 {
			t.Fatalf("%+v %v", fig, err)
		}
		return fig.People[0].EarnedS
	}
	near := func(name string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-9 {
			t.Errorf("%s: earned %v, want %v", name, got, want)
		}
	}
	std := DefaultStandards()
	p := std.Pick
	base := p.Task + 4*p.LineWaist + 10*p.Unit + 5.4*p.Metre
	// no matrix: both moves without positions by steps and zone changes
	near("defaults", earned(), (base+21*p.Step+2*p.ZoneChange)*1.12)

	setStd := func(s Standards) error {
		set, _ := l.Settings()
		set.Standards = &s
		_, err := l.ChangeSettings(context.Background(), "", set, "B9", "pda")
		return err
	}
	// a matrix naming only the other direction: the fallback still applies
	std.ZoneTravelS = map[string]float64{"B>A": 45, "C>B": 10}
	if err := setStd(std); err != nil {
		t.Fatal(err)
	}
	near("fallback", earned(), (base+21*p.Step+2*p.ZoneChange)*1.12)
	// the matrix prices A>B: its 15 steps and zone change give way to 45 s
	std.ZoneTravelS["A>B"] = 45
	std.Pick.Metre = 1.5
	if err := setStd(std); err != nil {
		t.Fatal(err)
	}
	base += 5.4 * (1.5 - p.Metre)
	near("matrix", earned(), (base+45+6*p.Step+p.ZoneChange)*1.12)
	near("Earned", std.Earned(WorkPick, f), (base+45+6*p.Step+p.ZoneChange)*1.12)

	for _, bad := range []map[string]float64{{"A-B": 1}, {"A>": 1}, {"A>B": -1}, {"A>B": 3601}, {"A>B": math.NaN()}} {
		s := std
		s.ZoneTravelS = bad
		if err := setStd(s); ErrorCode(err) != CodeInvalid {
			t.Errorf("matrix %v: %v", bad, err)
		}
	}
	big := map[string]float64{}
	for i := range maxZonePairs + 1 {
		big[fmt.Sprintf("Z%d>A", i)] = 1
	}
	s := std
	s.ZoneTravelS = big
	if err := setStd(s); ErrorCode(err) != CodeInvalid {
		t.Errorf("a matrix of %d pairs: %v", len(big), err)
	}

	if mm, err := l.Check(t.TempDir()); err != nil || len(mm) > 0 {
		t.Fatalf("rebuild differs: %v %+v", err, mm)
	}
}

// TestFeaturesPlusPairs: adding features adds zone pairs key by key and
// shares no map with either side.
func TestFeaturesPlusPairs(t *testing.T) {
	a := Features{TravelMM: 1, ZonePairs: map[string]ZonePair{"A>B": {1, 10}}}
	b := Features{TravelMM: 2, ZonePairs: map[string]ZonePair{"A>B": {2, 5}, "B>B": {1, 3}}}
	got := a.plus(b)
	want := Features{TravelMM: 3, ZonePairs: map[string]ZonePair{"A>B": {3, 15}, "B>B": {1, 3}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%+v", got)
	}
	got.ZonePairs["A>B"] = ZonePair{}
	if a.ZonePairs["A>B"] != (ZonePair{1, 10}) {
		t.Fatal("plus shared its map")
	}
	if (Features{}).plus(Features{}).ZonePairs != nil || !(Features{}).isZero() || a.isZero() {
		t.Fatal("zero features")
	}
}
