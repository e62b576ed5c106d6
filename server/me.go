package server

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"tally/views"
	"tally/wms"
)

// My figures: GET /me shows a worker their own figures on the handheld
// (today so far and the last 7 days) with the standards behind them, and
// POST /me/gaps lets them give a reason for one of their own unexplained
// gaps. Whose figures is never read from the request: it is the logged-in
// person, whatever the query or the form says.

// meDays is how many days, today included, the longer period covers.
const meDays = 7

// meMaxGaps is the most unexplained gaps the page lists (newest first).
const meMaxGaps = 20

// myFigures is GET /me.
func (s *Server) myFigures(c *fiber.Ctx) error {
	return s.renderMe(c, nil, fiber.StatusOK)
}

func (s *Server) renderMe(c *fiber.Ctx, fb *views.Feedback, code int) error {
	p := principal(c)
	if p.Badge == "" {
		return wms.Errf(wms.CodeForbidden, "kpi.not_yours")
	}
	now := s.ledger.Now()
	zone := s.ledger.Zone()
	local := now.In(zone)
	midnight := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, zone)
	weekFrom := midnight.AddDate(0, 0, -(meDays - 1))
	to := now.Add(time.Second) // the hour in progress counts: Figures rounds it out
	today, err := s.ledger.Figures(wms.FiguresQuery{From: midnight, To: to, Person: p.Badge})
	if err != nil {
		return err
	}
	week, err := s.ledger.Figures(wms.FiguresQuery{From: weekFrom, To: to, Person: p.Badge})
	if err != nil {
		return err
	}
	std := today.Standards
	vm := views.MyFiguresPage{Page: s.page(c, "me.title"), GapReasons: wms.GapReasons,
		GreenPct: std.GreenPct, AmberPct: std.AmberPct, AllowancePct: std.AllowancePct,
		GapFactor: std.GapFactor, MinGapMin: int(wms.MinGap / time.Minute), MinDirectMin: std.MinDirectMin}
	vm.Feedback = fb
	vm.Today = s.myPeriod(today, p.Badge, midnight, now, false)
	vm.Week = s.myPeriod(week, p.Badge, weekFrom, now, true)
	vm.Hourly = myHourly(today, p.Badge)
	vm.Days = myDays(week, p.Badge, weekFrom, meDays, std)
	vm.Standards = myStandards(std, p.Role, week, p.Badge)
	name := s.people()
	for _, pf := range week.People {
		if pf.Actor != p.Badge {
			continue // Figures was asked for one person; this is a second lock
		}
		gaps := slices.Clone(pf.Gaps)
		slices.SortFunc(gaps, func(a, b wms.GapFigure) int { return b.From.Compare(a.From) })
		for _, g := range gaps {
			mg := views.MyGap{From: s.meClock(g.From, midnight), To: s.meClock(g.To, midnight), Minutes: int(math.Round(g.Seconds / 60)),
				Kind: "me.kind." + string(g.Kind), At: g.From.UTC().Format(time.RFC3339Nano), Reason: g.Reason}
			if g.Reason == "" {
				if len(vm.Gaps) >= meMaxGaps {
					vm.MoreGaps++
					continue
				}
				mg.Key = uuid.NewString()
				vm.Gaps = append(vm.Gaps, mg)
				continue
			}
			if g.ReasonBy != p.Badge {
				mg.By = name(g.ReasonBy)
			}
			vm.Explained = append(vm.Explained, mg)
		}
	}
	return s.render(c, code, views.MyFigures(vm))
}

// meClock shows a time as HH:MM today, or MM-DD HH:MM on an earlier day.
func (s *Server) meClock(t, midnight time.Time) string {
	lt := t.In(s.ledger.Zone())
	if !lt.Before(midnight) {
		return lt.Format("15:04")
	}
	return lt.Format("01-02 15:04")
}

// myPeriod words one period's figures of one person.
func (s *Server) myPeriod(f wms.Figures, badge string, from, to time.Time, days bool) views.MyPeriod {
	zone := s.ledger.Zone()
	out := views.MyPeriod{From: from.In(zone).Format("01-02"), To: to.In(zone).Format("01-02"), Days: days}
	targets := f.Standards.ActiveTargets()
	out.AccuracyTarget = targets.AccuracyPct
	for _, pf := range f.People {
		if pf.Actor != badge {
			continue
		}
		out.Worked = true
		out.TooLittleData, out.Band, out.PerformancePct = pf.TooLittleData, pf.Band, pf.PerformancePct
		out.DirectMin = int(pf.DirectS / 60)
		out.DirectS, out.IndirectS, out.GapS = pf.DirectS, pf.IndirectS, pf.GapS
		out.PickAccuracy, out.PackAccuracy = pf.PickAccuracyPct, pf.PackAccuracyPct
		out.Lines, out.Units, out.Orders = pf.Counts.Lines, pf.Counts.Units, pf.Counts.OrdersPacked
		for _, k := range pf.Kinds {
			r := views.MyRate{Kind: "me.kind." + string(k.Kind), Unit: "me.per_hour." + string(k.Kind), PerHour: k.PerHour}
			r.Target = kindTarget(k.Kind, targets, pf.Counts)
			out.Rates = append(out.Rates, r)
		}
	}
	return out
}

// kindTarget is the target rate of a kind of work, 0 for none. A packer's
// target is blended from the single- and multi-item targets by the mix of
// orders they packed: the hours those orders take at target speed.
func kindTarget(kind wms.WorkKind, t wms.Targets, c wms.WorkCounts) float64 {
	switch kind {
	case wms.WorkPick:
		return t.PickerLinesPerHour
	case wms.WorkPack:
		single, multi := float64(c.SingleOrders), float64(c.OrdersPacked-c.SingleOrders)
		if c.OrdersPacked <= 0 || t.PackerSingleOrdersPerHr <= 0 || t.PackerMultiOrdersPerHour <= 0 {
			return t.PackerMultiOrdersPerHour
		}
		return (single + multi) / (single/t.PackerSingleOrdersPerHr + multi/t.PackerMultiOrdersPerHour)
	case wms.WorkReceive:
		return t.ReceiverUnitsPerHour
	case wms.WorkReturns:
		return t.ReturnsUnitsPerHour
	}
	return 0
}

// myHourly is today's performance by hour (earned ÷ direct), one point an
// hour from the first worked hour to the last.
func myHourly(f wms.Figures, badge string) []views.ChartSeries {
	type sums struct{ direct, earned float64 }
	var hours []string
	by := map[string]*sums{}
	for _, h := range f.Series {
		if h.Actor != badge {
			continue
		}
		sm := by[h.Hour]
		if sm == nil {
			sm = &sums{}
			by[h.Hour] = sm
			hours = append(hours, h.Hour)
		}
		sm.direct += h.DirectS
		sm.earned += h.EarnedS
	}
	if len(hours) == 0 {
		return nil
	}
	slices.Sort(hours)
	first, err1 := time.Parse("2006-01-02T15", hours[0])
	last, err2 := time.Parse("2006-01-02T15", hours[len(hours)-1])
	if err1 != nil || err2 != nil {
		return nil
	}
	se := views.ChartSeries{Name: "me.chart_series"}
	for h := first; !h.After(last); h = h.Add(time.Hour) {
		y := math.NaN()
		if sm := by[h.Format("2006-01-02T15")]; sm != nil && sm.direct > 0 {
			y = math.Round(1000*sm.earned/sm.direct) / 10
		}
		se.Points = append(se.Points, views.ChartPoint{X: h.Format("15:00"), Y: y})
	}
	return []views.ChartSeries{se}
}

// myDays is each day's performance over the week, from the hourly series.
func myDays(f wms.Figures, badge string, from time.Time, n int, std wms.Standards) []views.MyDay {
	direct, earned := map[string]float64{}, map[string]float64{}
	for _, h := range f.Series {
		if h.Actor == badge && len(h.Hour) >= 10 {
			direct[h.Hour[:10]] += h.DirectS
			earned[h.Hour[:10]] += h.EarnedS
		}
	}
	out := make([]views.MyDay, 0, n)
	for i := range n {
		day := from.AddDate(0, 0, i).Format("2006-01-02")
		d := views.MyDay{Day: day[5:], DirectMin: int(direct[day] / 60)}
		if direct[day] > 0 {
			d.PerformancePct = math.Round(1000*earned[day]/direct[day]) / 10
			if d.DirectMin >= std.MinDirectMin {
				d.Band = std.Band(d.PerformancePct)
			}
		}
		out = append(out, d)
	}
	return out
}

// myStandards are the standards of the kinds of work the person did this
// week, or their role's when they did none yet.
func myStandards(std wms.Standards, role wms.Role, week wms.Figures, badge string) []views.MyStandard {
	var kinds []wms.WorkKind
	for _, pf := range week.People {
		if pf.Actor == badge {
			for _, k := range pf.Kinds {
				kinds = append(kinds, k.Kind)
			}
		}
	}
	if len(kinds) == 0 {
		switch role {
		case wms.RolePicker:
			kinds = []wms.WorkKind{wms.WorkPick}
		case wms.RolePacker:
			kinds = []wms.WorkKind{wms.WorkPack}
		case wms.RoleReceiver:
			kinds = []wms.WorkKind{wms.WorkReceive, wms.WorkReturns}
		}
	}
	out := make([]views.MyStandard, 0, len(kinds))
	for _, k := range kinds {
		ms := views.MyStandard{Kind: "me.kind." + string(k)}
		add := func(key string, v float64) {
			if v > 0 {
				ms.Coefs = append(ms.Coefs, views.MyCoef{Key: key, Seconds: strconv.FormatFloat(v, 'f', -1, 64)})
			}
		}
		if k == wms.WorkPick {
			p := std.Pick
			add("me.std.pick_task", p.Task)
			add("me.std.pick_waist", p.LineWaist)
			add("me.std.pick_high_low", p.LineHighLo)
			add("me.std.pick_floor", p.LineFloor)
			add("me.std.pick_unit", p.Unit)
			add("me.std.pick_step", p.Step)
			add("me.std.pick_zone", p.ZoneChange)
			add("me.std.pick_metre", p.Metre)
		} else {
			u := unitStandard(std, k)
			add("me.std."+string(k)+"_task", u.Task)
			add("me.std."+string(k)+"_line", u.Line)
			add("me.std."+string(k)+"_unit", u.Unit)
		}
		out = append(out, ms)
	}
	return out
}

// unitStandard is the standard of a kind of work other than picking.
func unitStandard(std wms.Standards, k wms.WorkKind) wms.UnitStandard {
	switch k {
	case wms.WorkPack:
		return std.Pack
	case wms.WorkReceive:
		return std.Receive
	case wms.WorkReturns:
		return std.Returns
	case wms.WorkCount:
		return std.Count
	}
	return std.Move
}

// explainMyGap is POST /me/gaps: the logged-in person gives a reason for
// one of their own gaps, named by its start (as the page lists it). The
// form's key makes a form sent twice act once.
func (s *Server) explainMyGap(c *fiber.Ctx) error {
	p := principal(c)
	if p.Badge == "" {
		return wms.Errf(wms.CodeForbidden, "kpi.not_yours")
	}
	at := strings.TrimSpace(c.FormValue("from"))
	reason := strings.TrimSpace(c.FormValue("reason"))
	var err error
	from, perr := time.Parse(time.RFC3339Nano, at)
	switch {
	case len(at) > 40 || perr != nil:
		err = wms.Errf(wms.CodeInvalid, "me.gap_invalid")
	case len(reason) > 32 || !slices.Contains(wms.GapReasons, reason):
		err = wms.Errf(wms.CodeInvalid, "gap.reason_invalid", "reason", truncate(reason, 32))
	default:
		_, err = s.ledger.ExplainGap(c.UserContext(), "me-gap:"+formKey(c), p.Badge, from, reason, p.Actor(), device(c))
	}
	fb, code := s.outcome(c, err, okFeedback("me.gap_explained", map[string]string{"reason": "me.reason." + reason}))
	return s.renderMe(c, fb, code)
}
