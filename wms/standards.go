package wms

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Standards are the engineered standards staff figures are measured
// against: seconds a kind of work earns per task, line, unit and step, the
// allowance, the colour bands and the targets. They live in Settings and are
// read only when figures are read (never when events are applied), so a
// calibration changes every figure at once and a rebuild gives the same
// projections.
type Standards struct {
	Pick    PickStandard `json:"pick"`
	Pack    UnitStandard `json:"pack"`    // per order, line, unit
	Receive UnitStandard `json:"receive"` // per line, unit (putaway moves are receive lines)
	Returns UnitStandard `json:"returns"` // per parcel, unit
	Count   UnitStandard `json:"count"`   // per line
	Move    UnitStandard `json:"move"`    // per move (a line), unit
	// AllowancePct is the personal and fatigue allowance added to every
	// standard (12 means earned = standard × 1.12).
	AllowancePct float64 `json:"allowance_pct"`
	GreenPct     float64 `json:"green_pct"` // performance at or above: green
	AmberPct     float64 `json:"amber_pct"` // at or above: amber; below: red
	// GapFactor: a pause between scans longer than MinGap still counts as
	// work when it is no longer than GapFactor × the next unit's standard.
	GapFactor float64 `json:"gap_factor"`
	// MinDirectMin: under this many minutes of direct work a person's
	// performance shows "too little data".
	MinDirectMin int     `json:"min_direct_min"`
	Targets      Targets `json:"targets"`
	PeakTargets  Targets `json:"peak_targets"`
	Peak         bool    `json:"peak,omitempty"` // peak mode (Double 11): PeakTargets apply
	Shifts       []Shift `json:"shifts"`
	// ZoneTravelS is the seconds of travel from one zone to another
	// between consecutive pick locations without positions, keyed
	// "FROM>TO" ("A>A" within a zone). A pair it does not name earns by
	// pick_seq steps and zone changes (PickStandard.Step, ZoneChange).
	ZoneTravelS map[string]float64 `json:"zone_travel_s,omitempty"`
}

// maxZonePairs bounds the zone matrix.
const maxZonePairs = 400

// PickStandard is a pick task's standard: base per task, per line by the
// location's height, per unit, per metre walked between positioned
// locations, and between locations without positions (unless the zone
// matrix names the pair) per travel step (|Δ pick_seq| / 10) and per zone
// change.
type PickStandard struct {
	Task       float64 `json:"task_s"`
	LineWaist  float64 `json:"line_waist_s"`
	LineHighLo float64 `json:"line_high_low_s"`
	LineFloor  float64 `json:"line_floor_s"`
	Unit       float64 `json:"unit_s"`
	Step       float64 `json:"step_s"`
	ZoneChange float64 `json:"zone_change_s"`
	Metre      float64 `json:"metre_s"`
}

// UnitStandard is the standard of packing, receiving, returns, counts and
// moves: seconds per unit of work (order, parcel), per line and per unit.
type UnitStandard struct {
	Task float64 `json:"task_s"`
	Line float64 `json:"line_s"`
	Unit float64 `json:"unit_s"`
}

// Targets are per-role rates a supervisor compares people with.
type Targets struct {
	PickerLinesPerHour       float64 `json:"picker_lines_h"`
	PackerMultiOrdersPerHour float64 `json:"packer_multi_orders_h"`
	PackerSingleOrdersPerHr  float64 `json:"packer_single_orders_h"`
	ReceiverUnitsPerHour     float64 `json:"receiver_units_h"`
	ReturnsUnitsPerHour      float64 `json:"returns_units_h"`
	AccuracyPct              float64 `json:"accuracy_pct"`
}

// Shift is a named part of the day in the warehouse's zone, Start to End in
// whole hours (End ≤ Start wraps past midnight).
type Shift struct {
	Name  string `json:"name"`
	Start int    `json:"start"`
	End   int    `json:"end"`
}

// Has says whether a local hour of the day (0–23) falls in the shift.
func (s Shift) Has(hour int) bool {
	if s.Start < s.End {
		return hour >= s.Start && hour < s.End
	}
	return hour >= s.Start || hour < s.End
}

// DefaultStandards are used until a supervisor changes them.
func DefaultStandards() Standards {
	return Standards{
		Pick:         PickStandard{Task: 30, LineWaist: 8, LineHighLo: 12, LineFloor: 15, Unit: 2, Step: 1.5, ZoneChange: 20, Metre: 0.8},
		Pack:         UnitStandard{Task: 20, Line: 4, Unit: 2},
		Receive:      UnitStandard{Line: 10, Unit: 1.5},
		Returns:      UnitStandard{Task: 15, Unit: 10},
		Count:        UnitStandard{Line: 20},
		Move:         UnitStandard{Line: 30, Unit: 1},
		AllowancePct: 12, GreenPct: 95, AmberPct: 80, GapFactor: 3, MinDirectMin: 30,
		Targets: Targets{PickerLinesPerHour: 80, PackerMultiOrdersPerHour: 30, PackerSingleOrdersPerHr: 50,
			ReceiverUnitsPerHour: 150, ReturnsUnitsPerHour: 45, AccuracyPct: 99.5},
		PeakTargets: Targets{PickerLinesPerHour: 100, PackerMultiOrdersPerHour: 36, PackerSingleOrdersPerHr: 60,
			ReceiverUnitsPerHour: 180, ReturnsUnitsPerHour: 50, AccuracyPct: 99.5},
		Shifts: []Shift{{Name: "day", Start: 8, End: 20}, {Name: "night", Start: 20, End: 8}},
	}
}

// ActiveTargets are the targets in force (peak mode's during a peak).
func (s Standards) ActiveTargets() Targets {
	if s.Peak {
		return s.PeakTargets
	}
	return s.Targets
}

// maxStandardS bounds every coefficient: no line takes an hour.
const maxStandardS = 3600

// Validate checks every number of the standards.
func (s *Standards) Validate() error {
	coef := func(name string, v float64) error {
		if math.IsNaN(v) || v < 0 || v > maxStandardS {
			return Errf(CodeInvalid, "standards.coefficient_invalid", "name", name, "value", strconv.FormatFloat(v, 'g', -1, 64))
		}
		return nil
	}
	p := s.Pick
	checks := []named{{"pick.task_s", p.Task}, {"pick.line_waist_s", p.LineWaist}, {"pick.line_high_low_s", p.LineHighLo}, {"pick.line_floor_s", p.LineFloor},
		{"pick.unit_s", p.Unit}, {"pick.step_s", p.Step}, {"pick.zone_change_s", p.ZoneChange}, {"pick.metre_s", p.Metre}}
	for _, k := range []WorkKind{WorkPack, WorkReceive, WorkReturns, WorkCount, WorkMove} {
		u := s.unit(k)
		checks = append(checks, named{string(k) + ".task_s", u.Task}, named{string(k) + ".line_s", u.Line}, named{string(k) + ".unit_s", u.Unit})
	}
	for _, c := range checks {
		if err := coef(c.name, c.v); err != nil {
			return err
		}
	}
	pct := func(name string, v, hi float64) error {
		if math.IsNaN(v) || v < 0 || v > hi {
			return Errf(CodeInvalid, "standards.percent_invalid", "name", name, "value", strconv.FormatFloat(v, 'g', -1, 64))
		}
		return nil
	}
	for _, c := range []struct {
		name  string
		v, hi float64
	}{{"allowance_pct", s.AllowancePct, 100}, {"green_pct", s.GreenPct, 1000}, {"amber_pct", s.AmberPct, 1000}} {
		if err := pct(c.name, c.v, c.hi); err != nil {
			return err
		}
	}
	if s.AmberPct > s.GreenPct {
		return Errf(CodeInvalid, "standards.bands_invalid")
	}
	if math.IsNaN(s.GapFactor) || s.GapFactor < 1 || s.GapFactor > 100 {
		return Errf(CodeInvalid, "standards.gap_factor_invalid", "value", strconv.FormatFloat(s.GapFactor, 'g', -1, 64))
	}
	if s.MinDirectMin < 0 || s.MinDirectMin > 24*60 {
		return Errf(CodeInvalid, "standards.min_direct_invalid", "value", strconv.Itoa(s.MinDirectMin))
	}
	for name, t := range map[string]Targets{"targets": s.Targets, "peak_targets": s.PeakTargets} {
		for _, v := range []float64{t.PickerLinesPerHour, t.PackerMultiOrdersPerHour, t.PackerSingleOrdersPerHr, t.ReceiverUnitsPerHour, t.ReturnsUnitsPerHour} {
			if math.IsNaN(v) || v < 0 || v > 100000 {
				return Errf(CodeInvalid, "standards.target_invalid", "name", name, "value", strconv.FormatFloat(v, 'g', -1, 64))
			}
		}
		if err := pct(name+".accuracy_pct", t.AccuracyPct, 100); err != nil {
			return err
		}
	}
	if len(s.ZoneTravelS) > maxZonePairs {
		return Errf(CodeInvalid, "standards.zone_travel_invalid", "pair", "", "value", strconv.Itoa(len(s.ZoneTravelS)))
	}
	for pair, v := range s.ZoneTravelS {
		from, to, ok := strings.Cut(pair, ">")
		if !ok || !validCode(from) || !validCode(to) || math.IsNaN(v) || v < 0 || v > maxStandardS {
			return Errf(CodeInvalid, "standards.zone_travel_invalid", "pair", pair, "value", strconv.FormatFloat(v, 'g', -1, 64))
		}
	}
	if len(s.Shifts) > 12 {
		return Errf(CodeInvalid, "standards.shift_invalid", "name", "")
	}
	seen := map[string]bool{}
	for _, sh := range s.Shifts {
		if !validCode(sh.Name) || seen[sh.Name] || sh.Start < 0 || sh.Start > 23 || sh.End < 0 || sh.End > 23 || sh.Start == sh.End {
			return Errf(CodeInvalid, "standards.shift_invalid", "name", sh.Name)
		}
		seen[sh.Name] = true
	}
	return nil
}

type named struct {
	name string
	v    float64
}

// Shift returns the named shift.
func (s Standards) Shift(name string) (Shift, bool) {
	for _, sh := range s.Shifts {
		if sh.Name == name {
			return sh, true
		}
	}
	return Shift{}, false
}

// Features are what a piece of work consists of, counted from events: what
// the standards multiply. Tasks are a kind's units of work (pick tasks,
// orders packed, parcels returned); Lines are lines of kinds that do not
// split them by height.
type Features struct {
	Tasks        int64 `json:"tasks,omitempty"`
	Lines        int64 `json:"lines,omitempty"`
	LinesWaist   int64 `json:"lines_waist,omitempty"`
	LinesHighLow int64 `json:"lines_high_low,omitempty"`
	LinesFloor   int64 `json:"lines_floor,omitempty"`
	Units        int64 `json:"units,omitempty"`
	// Travel between consecutive pick locations of a task. Between two
	// positioned locations: TravelMM, the rectilinear distance in
	// millimetres. Otherwise: ZonePairs counts the move per ordered pair of
	// zones ("A>B") with its |Δ pick_seq|, and TravelSeq and ZoneChanges
	// are their totals (the |Δ pick_seq| of every such move; the moves
	// between different zones); a step is 10 of pick_seq.
	TravelSeq   int64               `json:"travel_seq,omitempty"`
	ZoneChanges int64               `json:"zone_changes,omitempty"`
	TravelMM    int64               `json:"travel_mm,omitempty"`
	ZonePairs   map[string]ZonePair `json:"zone_pairs,omitempty"`
}

// ZonePair is the travel between locations without positions from one zone
// to another: how many moves, and their |Δ pick_seq|.
type ZonePair struct {
	N   int64 `json:"n"`
	Seq int64 `json:"seq"`
}

// zonePairKey is the zone matrix's key of a move from one zone to another.
func zonePairKey(from, to string) string { return from + ">" + to }

func (f Features) plus(o Features) Features {
	out := Features{f.Tasks + o.Tasks, f.Lines + o.Lines, f.LinesWaist + o.LinesWaist, f.LinesHighLow + o.LinesHighLow,
		f.LinesFloor + o.LinesFloor, f.Units + o.Units, f.TravelSeq + o.TravelSeq, f.ZoneChanges + o.ZoneChanges, f.TravelMM + o.TravelMM, nil}
	if len(f.ZonePairs)+len(o.ZonePairs) > 0 {
		out.ZonePairs = make(map[string]ZonePair, len(f.ZonePairs)+len(o.ZonePairs))
		for _, m := range []map[string]ZonePair{f.ZonePairs, o.ZonePairs} {
			for k, p := range m {
				q := out.ZonePairs[k]
				out.ZonePairs[k] = ZonePair{q.N + p.N, q.Seq + p.Seq}
			}
		}
	}
	return out
}

// isZero says whether nothing is known of a piece of work.
func (f Features) isZero() bool {
	return len(f.ZonePairs) == 0 && f.Tasks == 0 && f.Lines == 0 && f.LinesWaist == 0 && f.LinesHighLow == 0 && f.LinesFloor == 0 &&
		f.Units == 0 && f.TravelSeq == 0 && f.ZoneChanges == 0 && f.TravelMM == 0
}

// Steps are the travel steps between a task's locations without positions.
func (f Features) Steps() float64 { return float64(f.TravelSeq) / 10 }

// Metres are the metres walked between a task's positioned locations.
func (f Features) Metres() float64 { return float64(f.TravelMM) / 1000 }

// vector is the features in the order of a kind's coefficients (coefs).
// The pick's steps and zone changes leave out the moves the zone matrix
// prices (matrixS).
func (s Standards) vector(kind WorkKind, f Features) []float64 {
	if kind == WorkPick {
		seq, changes := f.TravelSeq, f.ZoneChanges
		for k, p := range f.ZonePairs {
			if _, ok := s.ZoneTravelS[k]; ok {
				seq -= p.Seq
				if from, to, _ := strings.Cut(k, ">"); from != to {
					changes -= p.N
				}
			}
		}
		return []float64{float64(f.Tasks), float64(f.LinesWaist), float64(f.LinesHighLow), float64(f.LinesFloor), float64(f.Units),
			float64(seq) / 10, float64(changes), f.Metres()}
	}
	return []float64{float64(f.Tasks), float64(f.Lines), float64(f.Units)}
}

// matrixS is the standard seconds of the moves the zone matrix prices.
func (s Standards) matrixS(kind WorkKind, f Features) float64 {
	if kind != WorkPick || len(s.ZoneTravelS) == 0 {
		return 0
	}
	keys := make([]string, 0, len(f.ZonePairs))
	for k := range f.ZonePairs {
		keys = append(keys, k)
	}
	slices.Sort(keys) // the same sum, to the last bit, every time
	var sum float64
	for _, k := range keys {
		if v, ok := s.ZoneTravelS[k]; ok {
			sum += float64(f.ZonePairs[k].N) * v
		}
	}
	return sum
}

// coefs are a kind's coefficients in the order of Features.vector.
func (s Standards) coefs(kind WorkKind) []float64 {
	if kind == WorkPick {
		p := s.Pick
		return []float64{p.Task, p.LineWaist, p.LineHighLo, p.LineFloor, p.Unit, p.Step, p.ZoneChange, p.Metre}
	}
	u := s.unit(kind)
	return []float64{u.Task, u.Line, u.Unit}
}

func (s Standards) unit(kind WorkKind) UnitStandard {
	switch kind {
	case WorkPack:
		return s.Pack
	case WorkReceive:
		return s.Receive
	case WorkReturns:
		return s.Returns
	case WorkCount:
		return s.Count
	}
	return s.Move
}

// withCoefs returns the standards with a kind's coefficients replaced.
func (s Standards) withCoefs(kind WorkKind, c []float64) Standards {
	if kind == WorkPick {
		s.Pick = PickStandard{c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]}
		return s
	}
	u := UnitStandard{Task: c[0], Line: c[1], Unit: c[2]}
	switch kind {
	case WorkPack:
		s.Pack = u
	case WorkReceive:
		s.Receive = u
	case WorkReturns:
		s.Returns = u
	case WorkCount:
		s.Count = u
	default:
		s.Move = u
	}
	return s
}

// Earned is the standard seconds a piece of work earns, allowance included.
func (s Standards) Earned(kind WorkKind, f Features) float64 {
	sum := s.matrixS(kind, f)
	for i, x := range s.vector(kind, f) {
		sum += x * s.coefs(kind)[i]
	}
	return sum * (1 + s.AllowancePct/100)
}

// gapLimit is how long a pause before a unit may be and still count as
// work: GapFactor × the unit's standard, never below MinGap.
func (s Standards) gapLimit(kind WorkKind, f Features) time.Duration {
	if f.isZero() { // a unit nothing is known of yet: one task's base
		f.Tasks = 1
	}
	d := time.Duration(s.GapFactor * s.Earned(kind, f) * float64(time.Second))
	return max(d, MinGap)
}

// Band is a performance's colour.
func (s Standards) Band(pct float64) string {
	switch {
	case pct >= s.GreenPct:
		return "green"
	case pct >= s.AmberPct:
		return "amber"
	}
	return "red"
}
