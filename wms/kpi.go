package wms

import (
	"bytes"
	"cmp"
	"slices"
	"strings"
	"time"
)

// FiguresQuery chooses the staff figures to read. From and To are rounded
// out to whole hours (the projection keeps hours); empty filters take all.
type FiguresQuery struct {
	From, To time.Time
	Person   string // a badge
	Owner    string // only work on this owner's goods
	Role     string // people of this role
	Shift    string // hours of this shift (Standards.Shifts)
}

// Figures are staff KPIs over a range, measured against the standards.
type Figures struct {
	From      time.Time       `json:"from"`
	To        time.Time       `json:"to"`
	Standards Standards       `json:"standards"`
	People    []PersonFigures `json:"people"`
	// Totals are everyone's but temporary staff's; TempTotals theirs
	// (temporary staff ramping up are shown apart).
	Totals     FigureTotals `json:"totals"`
	TempTotals FigureTotals `json:"temp_totals"`
	Series     []HourPoint  `json:"series"` // by local hour, person and kind
}

// PersonFigures are one person's figures.
type PersonFigures struct {
	Actor     string `json:"actor"`
	Name      string `json:"name"`
	Role      Role   `json:"role"`
	Temporary bool   `json:"temporary,omitempty"`
	FigureTotals
	Kinds []KindFigures `json:"kinds"`
	Gaps  []GapFigure   `json:"gaps"`
	// TooLittleData: under the standards' minimum of direct work, so no
	// band is given.
	TooLittleData bool   `json:"too_little_data"`
	Band          string `json:"band,omitempty"` // green, amber, red
}

// FigureTotals are the time figures of a person or a group.
type FigureTotals struct {
	Counts         WorkCounts `json:"counts"`
	DirectS        float64    `json:"direct_s"`
	IndirectS      float64    `json:"indirect_s"`
	GapS           float64    `json:"gap_s"`
	BreakS         float64    `json:"break_s"`
	PaidS          float64    `json:"paid_s"` // first to last activity, per day
	EarnedS        float64    `json:"earned_s"`
	PerformancePct float64    `json:"performance_pct"` // earned ÷ direct
	// PerformanceOf, in a group's totals, is how many people's figures its
	// performance is made of (those with enough direct work); 0: none given.
	PerformanceOf   int      `json:"performance_of,omitempty"`
	UtilisationPct  float64  `json:"utilisation_pct"`   // direct ÷ (paid − breaks)
	PickAccuracyPct *float64 `json:"pick_accuracy_pct"` // error-free lines ÷ lines; nil without lines
	PackAccuracyPct *float64 `json:"pack_accuracy_pct"` // parcels without a weight reject ÷ parcels
}

// KindFigures are a person's figures in one kind of work.
type KindFigures struct {
	Kind     WorkKind `json:"kind"`
	Features Features `json:"features"`
	DirectS  float64  `json:"direct_s"`
	EarnedS  float64  `json:"earned_s"`
	// PerHour is the kind's rate over its direct time: pick lines, orders
	// packed, units received and put away, return units, count lines, moves.
	PerHour float64 `json:"per_hour"`
}

// GapFigure is a gap in a person's work.
type GapFigure struct {
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Seconds  float64   `json:"seconds"`
	Kind     WorkKind  `json:"kind"`
	Unit     string    `json:"unit"` // the unit that came after it
	Reason   string    `json:"reason,omitempty"`
	ReasonBy string    `json:"reason_by,omitempty"`
}

// HourPoint is one person's work of one kind in one hour (warehouse time).
type HourPoint struct {
	Hour    string   `json:"hour"` // "2006-01-02T15", warehouse zone
	Actor   string   `json:"actor"`
	Kind    WorkKind `json:"kind"`
	DirectS float64  `json:"direct_s"`
	EarnedS float64  `json:"earned_s"`
	Lines   int64    `json:"lines"` // pick lines
	Units   int64    `json:"units"` // units of the kind's work
}

// person is a person's figures while they are summed.
type person struct {
	f        PersonFigures
	kinds    map[WorkKind]*KindFigures
	days     map[string][2]time.Time // local day -> first, last activity
	direct   time.Duration
	indirect time.Duration
	gap      time.Duration
	breaks   time.Duration
}

// Figures reads staff figures from the work projections: hour buckets in
// the range, then the gap candidates that ended in it, each either counted
// back as work (no longer than the standards' gap limit for the unit after
// it) or listed as a gap. A pause across the warehouse's midnight is a new
// day's start, neither work nor gap.
func (l *Ledger) Figures(q FiguresQuery) (Figures, error) {
	if q.To.IsZero() {
		q.To = l.Now()
	}
	from := q.From.UTC().Truncate(time.Hour)
	to := q.To.UTC().Truncate(time.Hour)
	if to.Before(q.To.UTC()) {
		to = to.Add(time.Hour)
	}
	if !to.After(from) {
		return Figures{}, Errf(CodeInvalid, "kpi.range_invalid")
	}
	settings, err := l.Settings()
	if err != nil {
		return Figures{}, err
	}
	std := settings.KPIStandards()
	var shift *Shift
	if q.Shift != "" {
		sh, ok := std.Shift(q.Shift)
		if !ok {
			return Figures{}, Errf(CodeInvalid, "kpi.shift_unknown", "shift", q.Shift)
		}
		shift = &sh
	}
	owner := ""
	if q.Owner != "" {
		owner = OwnerOr(q.Owner)
	}
	out := Figures{From: from, To: to, Standards: std}
	people := map[string]*person{}
	series := map[[3]string]*HourPoint{}
	staff := map[string]Staff{}
	localHours := map[int64]string{} // UTC hour -> its local name, made once
	point := func(at time.Time, actor string, kind WorkKind) *HourPoint {
		u := at.Unix() / 3600
		hour, ok := localHours[u]
		if !ok {
			hour = at.In(l.zone).Format(hourLayout)
			localHours[u] = hour
		}
		k := [3]string{hour, actor, string(kind)}
		p := series[k]
		if p == nil {
			p = &HourPoint{Hour: hour, Actor: actor, Kind: kind}
			series[k] = p
		}
		return p
	}
	inShift := func(at time.Time) bool { return shift == nil || shift.Has(at.In(l.zone).Hour()) }
	err = l.view(func(tx *txn) error {
		if err := tx.Bucket(bucketStaff).ForEach(func(k, v []byte) error {
			var s Staff
			if err := jsonUnmarshal(v, &s); err != nil {
				return err
			}
			staff[s.Badge] = s
			return nil
		}); err != nil {
			return err
		}
		wanted := func(actor string) bool {
			if q.Person != "" && actor != q.Person {
				return false
			}
			return q.Role == "" || string(staff[actor].Role) == q.Role
		}
		get := func(actor string) *person {
			p := people[actor]
			if p == nil {
				st := staff[actor]
				if st.Name == "" {
					st.Name = deviceName(actor)
				}
				p = &person{f: PersonFigures{Actor: actor, Name: st.Name, Role: st.Role, Temporary: st.Temporary},
					kinds: map[WorkKind]*KindFigures{}, days: map[string][2]time.Time{}}
				people[actor] = p
			}
			return p
		}
		kindOf := func(p *person, kind WorkKind) *KindFigures {
			kf := p.kinds[kind]
			if kf == nil {
				kf = &KindFigures{Kind: kind}
				p.kinds[kind] = kf
			}
			return kf
		}
		end := []byte(to.Format(hourLayout))
		hours := map[string]time.Time{}
		c := tx.Bucket(bucketScanKPI).Cursor() // the hours among the day figures (figurekeys.go)
		for k, v := c.Seek([]byte(from.Format(hourLayout))); k != nil && bytes.Compare(k[:min(len(k), len(end))], end) < 0; k, v = c.Next() {
			if figureKindOf(k) != figureHour {
				continue
			}
			parts := splitKey(k)
			if len(parts) != 4 {
				continue
			}
			actor, kind, own := parts[1], WorkKind(parts[2]), parts[3]
			if !wanted(actor) || (owner != "" && own != owner) {
				continue
			}
			at, ok := hours[parts[0]]
			if !ok {
				t, err := time.Parse(hourLayout, parts[0])
				if err != nil {
					continue
				}
				at, hours[parts[0]] = t, t
			}
			if !inShift(at) {
				continue
			}
			h, err := decodeHourWork(v)
			if err != nil {
				return err
			}
			p := get(actor)
			p.f.Counts = p.f.Counts.plus(h.Counts)
			p.direct += h.Direct
			p.indirect += h.Indirect
			kf := kindOf(p, kind)
			kf.Features = kf.Features.plus(h.Features)
			kf.DirectS += h.Direct.Seconds()
			earned := std.Earned(kind, h.Features)
			kf.EarnedS += earned
			if !h.First.IsZero() {
				day := h.First.In(l.zone).Format("2006-01-02")
				d, seen := p.days[day]
				if !seen || h.First.Before(d[0]) {
					d[0] = h.First
				}
				if h.Last.After(d[1]) {
					d[1] = h.Last
				}
				p.days[day] = d
			}
			pt := point(at, actor, kind)
			pt.DirectS += h.Direct.Seconds()
			pt.EarnedS += earned
			pt.Lines += h.Counts.Lines
			pt.Units += workUnits(kind, h.Counts)
		}
		// gap candidates that ended in the range
		gb := tx.Bucket(bucketWorkGaps)
		actors := make([]string, 0, len(people))
		for a := range people {
			actors = append(actors, a)
		}
		slices.Sort(actors)
		limits := map[string]time.Duration{}
		var units *unitReader // archived units, read when a pause's unit left (unitarchive.go)
		for _, actor := range actors {
			p := people[actor]
			gc := gb.Cursor()
			prefix := prefixKey(actor)
			stop := workGapKey(actor, to)
			for k, v := gc.Seek(workGapKey(actor, from.Add(-24*time.Hour))); k != nil && bytes.HasPrefix(k, prefix) && bytes.Compare(k, stop) < 0; k, v = gc.Next() {
				g, err := decodeWorkGap(v)
				if err != nil {
					return err
				}
				if g.To.Before(from) || !g.To.Before(to) || (owner != "" && g.Owner != owner) || !inShift(g.To) {
					continue
				}
				if !sameDay(g.From.In(l.zone), g.To.In(l.zone)) {
					continue // the day's first activity starts the clock
				}
				uk := string(workUnitKey(actor, g.Kind, g.Unit))
				limit, known := limits[uk]
				if !known { // a unit's pauses share its limit: read it once
					u, found, err := getWork(tx, bucketWorkUnits, []byte(uk), decodeWorkUnit)
					if err != nil {
						return err
					}
					if !found { // moved to the units file (unitarchive.go)
						if units == nil {
							units = newUnitReader(tx)
						}
						if u, _, err = units.unit(actor, g.Kind, g.Unit, g.To); err != nil {
							return err
						}
					}
					limit = std.gapLimit(g.Kind, u.Features)
					limits[uk] = limit
				}
				d := g.To.Sub(g.From)
				if d <= limit { // still work
					if g.Same {
						p.direct += d
						kindOf(p, g.Kind).DirectS += d.Seconds()
						point(g.To, actor, g.Kind).DirectS += d.Seconds()
					} else {
						p.indirect += d
					}
					continue
				}
				p.gap += d
				if g.Reason == "break" {
					p.breaks += d
				}
				p.f.Gaps = append(p.f.Gaps, GapFigure{From: g.From, To: g.To, Seconds: d.Seconds(), Kind: g.Kind, Unit: g.Unit, Reason: g.Reason, ReasonBy: g.ReasonBy})
			}
		}
		return nil
	})
	if err != nil {
		return Figures{}, err
	}
	minDirect := time.Duration(std.MinDirectMin) * time.Minute
	var perm, temp []*PersonFigures
	for _, p := range people {
		f := &p.f
		f.DirectS, f.IndirectS, f.GapS, f.BreakS = p.direct.Seconds(), p.indirect.Seconds(), p.gap.Seconds(), p.breaks.Seconds()
		var paid time.Duration // summed whole, so the map's order cannot change the last digit
		for _, d := range p.days {
			paid += d[1].Sub(d[0])
		}
		f.PaidS = paid.Seconds()
		for _, kind := range WorkKinds {
			if kf := p.kinds[kind]; kf != nil {
				f.EarnedS += kf.EarnedS
				if kf.DirectS > 0 {
					kf.PerHour = float64(kindRateCount(kind, f.Counts)) / (kf.DirectS / 3600)
				}
				f.Kinds = append(f.Kinds, *kf)
			}
		}
		f.FigureTotals.finish()
		f.TooLittleData = p.direct < minDirect
		if !f.TooLittleData {
			f.Band = std.Band(f.PerformancePct)
		}
		if f.Gaps == nil {
			f.Gaps = []GapFigure{}
		}
		if f.Temporary {
			temp = append(temp, f)
		} else {
			perm = append(perm, f)
		}
		out.People = append(out.People, *f)
	}
	slices.SortFunc(out.People, func(a, b PersonFigures) int { return cmp.Compare(a.Actor, b.Actor) })
	byActor := func(a, b *PersonFigures) int { return cmp.Compare(a.Actor, b.Actor) }
	slices.SortFunc(perm, byActor) // floating sums in one order: the same figures every time
	slices.SortFunc(temp, byActor)
	out.Totals, out.TempTotals = sumTotals(perm), sumTotals(temp)
	for _, p := range series {
		out.Series = append(out.Series, *p)
	}
	slices.SortFunc(out.Series, func(a, b HourPoint) int {
		return cmp.Or(cmp.Compare(a.Hour, b.Hour), cmp.Compare(a.Actor, b.Actor), cmp.Compare(a.Kind, b.Kind))
	})
	if out.People == nil {
		out.People = []PersonFigures{}
	}
	if out.Series == nil {
		out.Series = []HourPoint{}
	}
	return out, nil
}

// workUnits are the units a kind of work handled, from its counts.
func workUnits(kind WorkKind, c WorkCounts) int64 {
	switch kind {
	case WorkPick:
		return c.Units
	case WorkPack:
		return c.PackUnits
	case WorkReceive:
		return c.UnitsReceived + c.UnitsPutAway
	case WorkReturns:
		return c.ReturnUnits
	case WorkCount:
		return c.CountLines
	}
	return c.Moves
}

// kindRateCount is what a kind's hourly rate counts.
func kindRateCount(kind WorkKind, c WorkCounts) int64 {
	switch kind {
	case WorkPick:
		return c.Lines
	case WorkPack:
		return c.OrdersPacked
	}
	return workUnits(kind, c)
}

// finish computes the ratios from the sums.
func (t *FigureTotals) finish() {
	t.PerformancePct, t.UtilisationPct = 0, 0
	if t.DirectS > 0 {
		t.PerformancePct = round2(100 * t.EarnedS / t.DirectS)
	}
	if avail := t.PaidS - t.BreakS; avail > 0 {
		t.UtilisationPct = round2(100 * t.DirectS / avail)
	}
	t.PickAccuracyPct, t.PackAccuracyPct = nil, nil
	if c := t.Counts; c.Lines > 0 {
		v := round2(100 * float64(max(c.ErrorFreeLines, 0)) / float64(c.Lines))
		t.PickAccuracyPct = &v
	}
	if c := t.Counts; c.Parcels > 0 {
		v := round2(100 * float64(max(c.Parcels-c.WeightRejects, 0)) / float64(c.Parcels))
		t.PackAccuracyPct = &v
	}
}

func sumTotals(people []*PersonFigures) FigureTotals {
	var t FigureTotals
	for _, p := range people {
		t.Counts = t.Counts.plus(p.Counts)
		t.DirectS += p.DirectS
		t.IndirectS += p.IndirectS
		t.GapS += p.GapS
		t.BreakS += p.BreakS
		t.PaidS += p.PaidS
		t.EarnedS += p.EarnedS
	}
	t.finish()
	// A group's performance is that of the people whose own figure stands:
	// someone with too little direct work (a few fast scans, a handheld
	// tried out) would otherwise make it absurd.
	var earned, direct float64
	for _, p := range people {
		if !p.TooLittleData {
			earned, direct = earned+p.EarnedS, direct+p.DirectS
			t.PerformanceOf++
		}
	}
	t.PerformancePct = 0
	if direct > 0 {
		t.PerformancePct = round2(100 * earned / direct)
	}
	return t
}

func round2(v float64) float64 {
	if v < 0 {
		return -round2(-v)
	}
	return float64(int64(v*100+0.5)) / 100
}

// PersonUnits are a person's units of work that ended in a range, newest
// first: the drill-down from a person to their tasks.
func (l *Ledger) PersonUnits(actor string, from, to time.Time) ([]WorkUnit, error) {
	var out []WorkUnit
	err := l.view(func(tx *txn) error {
		c := tx.Bucket(bucketWorkUnits).Cursor()
		p := prefixKey(actor)
		for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
			u, err := decodeWorkUnit(v)
			if err != nil {
				return err
			}
			if !u.End.Before(from) && u.End.Before(to) {
				out = append(out, u)
			}
		}
		// and those moved to the units file, in the live bucket's order (unitarchive.go)
		n := len(out)
		if err := newUnitReader(tx).each(actor, from, to, func(u WorkUnit) { out = append(out, u) }); err != nil || len(out) == n {
			return err
		}
		byUnitKey(out)
		return nil
	})
	slices.SortFunc(out, func(a, b WorkUnit) int { return b.End.Compare(a.End) })
	return out, err
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

// deviceName names a handheld that acts as its own person through a shared
// token ("token:NAME/DEVICE"): by its device, then the token ("pda-3 · loadgen").
func deviceName(actor string) string {
	rest, ok := strings.CutPrefix(actor, "token:")
	if !ok {
		return ""
	}
	token, device, ok := strings.Cut(rest, "/")
	if !ok {
		return ""
	}
	return device + " · " + token
}
