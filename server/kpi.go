package server

import (
	"bytes"
	"cmp"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"tally/printing"
	"tally/views"
	"tally/wms"
)

// The supervisors' staff figures pages: the dashboard GET /kpi, the
// drill-down GET and POST /kpi/person/:actor, the daily report GET
// /kpi/report.pdf, and the calibration and standards GET and POST
// /kpi/calibration, POST /kpi/standards. They read the figures GET
// /api/v1/kpi reads, with the same query.

// maxChartHours is the longest range the hourly charts draw by hour; longer
// ones draw by day.
const maxChartHours = 72

// maxUnitsListed is the most units of work a drill-down lists.
const maxUnitsListed = 300

// kpiFilter is the page's query as its form shows it.
func kpiFilter(c *fiber.Ctx) views.KPIFilter {
	q := func(k string) string { return truncate(strings.TrimSpace(c.Query(k)), 64) }
	return views.KPIFilter{From: q("from"), To: q("to"), Person: q("person"), Role: q("role"), Owner: q("owner"), Shift: q("shift")}
}

// kpiPage is GET /kpi: a refused query shows its reason over today's figures.
func (s *Server) kpiPage(c *fiber.Ctx) error {
	var fb *views.Feedback
	code := fiber.StatusOK
	filter := kpiFilter(c)
	q, err := s.kpiQuery(c)
	if err != nil {
		e := s.asDomain(c, err)
		fb, code = errorFeedback(e), status(e.Code)
		filter = views.KPIFilter{}
		q = s.todayQuery()
	}
	f, err := s.ledger.Figures(q)
	if err != nil {
		e := s.asDomain(c, err)
		if e.Code != wms.CodeInvalid {
			return err
		}
		fb, code, filter = errorFeedback(e), status(e.Code), views.KPIFilter{}
		if f, err = s.ledger.Figures(s.todayQuery()); err != nil {
			return err
		}
	}
	vm, err := s.kpiModel(c, f, filter)
	if err != nil {
		return err
	}
	vm.Feedback = fb
	return s.render(c, code, views.KPI(vm))
}

// todayQuery is today so far, everyone.
func (s *Server) todayQuery() wms.FiguresQuery {
	now := s.ledger.Now()
	local := now.In(s.ledger.Zone())
	return wms.FiguresQuery{From: time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, s.ledger.Zone()), To: now}
}

// kpiModel is the dashboard's view of a set of figures.
func (s *Server) kpiModel(c *fiber.Ctx, f wms.Figures, filter views.KPIFilter) (views.KPIPage, error) {
	zone := s.ledger.Zone()
	f.From, f.To = f.From.In(zone), f.To.In(zone)
	std := f.Standards
	vm := views.KPIPage{Page: s.page(c, "kpi.title"), Filter: filter, Figures: f, Targets: std.ActiveTargets(),
		Bands: views.Bands{Green: std.GreenPct, Amber: std.AmberPct}}
	owners, err := s.ownerFilter(c)
	if err != nil {
		owners.Chosen = ""
	}
	vm.Owners = owners
	for _, sh := range std.Shifts {
		vm.Shifts = append(vm.Shifts, sh.Name)
	}
	staff, err := s.ledger.StaffList()
	if err != nil {
		return vm, err
	}
	for _, m := range staff {
		if !m.Disabled {
			vm.Staff = append(vm.Staff, views.KPIOption{Badge: m.Badge, Name: m.Name})
		}
	}
	rows := make([]views.KPIPersonRow, 0, len(f.People))
	for _, p := range f.People {
		rows = append(rows, views.KPIPersonRow{PersonFigures: p, Rates: kpiRates(p, vm.Targets)})
	}
	// best first; too little data after everyone with a figure
	slices.SortStableFunc(rows, func(a, b views.KPIPersonRow) int {
		if a.TooLittleData != b.TooLittleData {
			if a.TooLittleData {
				return 1
			}
			return -1
		}
		return cmp.Or(cmp.Compare(b.PerformancePct, a.PerformancePct), cmp.Compare(a.Actor, b.Actor))
	})
	for _, r := range rows {
		name := kpiName(r.PersonFigures)
		perf := r.PerformancePct
		if r.TooLittleData {
			perf = math.NaN()
		}
		vm.Ranking.Points = append(vm.Ranking.Points, views.ChartPoint{X: name, Y: perf})
		vm.Direct.Points = append(vm.Direct.Points, views.ChartPoint{X: name, Y: r.DirectS / 3600})
		vm.Indirect.Points = append(vm.Indirect.Points, views.ChartPoint{X: name, Y: r.IndirectS / 3600})
		vm.Gap.Points = append(vm.Gap.Points, views.ChartPoint{X: name, Y: r.GapS / 3600})
		if r.Temporary {
			vm.TempRows = append(vm.TempRows, r)
		} else {
			vm.Rows = append(vm.Rows, r)
		}
	}
	lines, perf := s.hourlySeries(f)
	vm.Hourly = []views.ChartSeries{{Name: views.Translate(lang(c), "daily.lines", nil), Points: lines}}
	vm.HourlyPerf = []views.ChartSeries{{Name: views.Translate(lang(c), "daily.performance", nil), Points: perf}}
	return vm, nil
}

// kpiName is a person as the charts name them: temporary staff marked "*".
func kpiName(p wms.PersonFigures) string {
	name := cmp.Or(p.Name, p.Actor)
	if p.Temporary {
		name += " *"
	}
	return name
}

// kpiRates are a person's rates per kind of work against the targets: pick
// lines, orders packed (the target blends single- and multi-item orders by
// the time each should take), units received, return units; counts and
// moves have no target.
func kpiRates(p wms.PersonFigures, t wms.Targets) []views.KPIRate {
	var out []views.KPIRate
	for _, k := range p.Kinds {
		r := views.KPIRate{Kind: k.Kind, PerHour: k.PerHour}
		switch k.Kind {
		case wms.WorkPick:
			r.Target = t.PickerLinesPerHour
		case wms.WorkPack:
			single, multi := float64(p.Counts.SingleOrders), float64(p.Counts.OrdersPacked-p.Counts.SingleOrders)
			if t.PackerSingleOrdersPerHr > 0 && t.PackerMultiOrdersPerHour > 0 && single+multi > 0 {
				r.Target = (single + multi) / (single/t.PackerSingleOrdersPerHr + multi/t.PackerMultiOrdersPerHour)
			}
		case wms.WorkReceive:
			r.Target = t.ReceiverUnitsPerHour
		case wms.WorkReturns:
			r.Target = t.ReturnsUnitsPerHour
		}
		out = append(out, r)
	}
	return out
}

// hourlySeries are the lines picked and the performance by hour over the
// figures' range (by day past maxChartHours), every hour shown, empty ones
// as none.
func (s *Server) hourlySeries(f wms.Figures) (lines, perf []views.ChartPoint) {
	zone := s.ledger.Zone()
	byDay := f.To.Sub(f.From) > maxChartHours*time.Hour
	label := func(t time.Time) string {
		t = t.In(zone)
		switch {
		case byDay:
			return t.Format("01-02")
		case t.Format("2006-01-02") != f.From.In(zone).Format("2006-01-02"):
			return t.Format("01-02 15:00")
		}
		return t.Format("15:00")
	}
	type sum struct {
		lines          int64
		direct, earned float64
	}
	sums := map[string]*sum{}
	for _, h := range f.Series {
		at, err := time.ParseInLocation("2006-01-02T15", h.Hour, zone)
		if err != nil {
			continue
		}
		k := label(at)
		if sums[k] == nil {
			sums[k] = &sum{}
		}
		sums[k].lines += h.Lines
		sums[k].direct += h.DirectS
		sums[k].earned += h.EarnedS
	}
	step := time.Hour
	start := f.From
	if byDay {
		step = 24 * time.Hour
		l := f.From.In(zone)
		start = time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, zone)
	}
	for t := start; t.Before(f.To); t = t.Add(step) {
		k := label(t)
		v := sums[k]
		if v == nil {
			v = &sum{}
		}
		lines = append(lines, views.ChartPoint{X: k, Y: float64(v.lines)})
		p := math.NaN()
		if v.direct > 0 {
			p = 100 * v.earned / v.direct
		}
		perf = append(perf, views.ChartPoint{X: k, Y: p})
	}
	return lines, perf
}

// kpiActor is the person a drill-down's path names.
func kpiActor(c *fiber.Ctx) (string, error) {
	actor, err := url.PathUnescape(c.Params("actor"))
	if err != nil || actor == "" || len(actor) > 64 || strings.ContainsRune(actor, 0) {
		return "", wms.Errf(wms.CodeInvalid, "kpi.person_invalid")
	}
	return actor, nil
}

// kpiPersonPage is GET /kpi/person/:actor?from=…&to=…: their figures,
// units of work, gaps (with a form for each reason) and the standards.
func (s *Server) kpiPersonPage(c *fiber.Ctx) error {
	return s.renderKPIPerson(c, nil, fiber.StatusOK)
}

func (s *Server) renderKPIPerson(c *fiber.Ctx, fb *views.Feedback, code int) error {
	actor, err := kpiActor(c)
	if err != nil {
		return err
	}
	from, to, err := s.kpiRange(c)
	if err != nil {
		return err
	}
	f, err := s.ledger.Figures(wms.FiguresQuery{From: from, To: to, Person: actor})
	if err != nil {
		return err
	}
	filter := kpiFilter(c)
	vm := views.KPIPersonPage{Page: s.page(c, "kpi.person_title"), Filter: views.KPIFilter{From: filter.From, To: filter.To},
		Person: wms.PersonFigures{Actor: actor}, Standards: f.Standards, Reasons: wms.GapReasons, Key: uuid.NewString()}
	vm.Feedback = fb
	zone := s.ledger.Zone()
	if len(f.People) == 1 {
		vm.Found = true
		vm.Person = f.People[0]
		for i := range vm.Person.Gaps {
			vm.Person.Gaps[i].From = vm.Person.Gaps[i].From.In(zone)
		}
	}
	units, err := s.ledger.PersonUnits(actor, f.From, f.To)
	if err != nil {
		return err
	}
	if len(units) > maxUnitsListed {
		vm.MoreUnits = len(units) - maxUnitsListed
		units = units[:maxUnitsListed]
	}
	for i := range units {
		units[i].Start, units[i].End = units[i].Start.In(zone), units[i].End.In(zone)
	}
	vm.Units = units
	return s.render(c, code, views.KPIPerson(vm))
}

// kpiGapReason is POST /kpi/person/:actor: a supervisor gives a gap its
// reason; the page's key makes a form sent twice one event.
func (s *Server) kpiGapReason(c *fiber.Ctx) error {
	actor, err := kpiActor(c)
	if err != nil {
		return err
	}
	raw := strings.TrimSpace(c.FormValue("gap"))
	from, perr := time.Parse(time.RFC3339Nano, raw)
	reason := strings.TrimSpace(c.FormValue("reason"))
	switch {
	case perr != nil:
		err = wms.Errf(wms.CodeInvalid, "kpi.time_invalid", "name", "gap", "value", truncate(raw, 40))
	case reason == "":
		err = wms.Errf(wms.CodeInvalid, "kpi.reason_missing")
	case len(reason) > 32:
		err = wms.Errf(wms.CodeInvalid, "gap.reason_invalid", "reason", truncate(reason, 32))
	default:
		_, err = s.ledger.ExplainGap(c.UserContext(), "gap:"+formKey(c), actor, from, reason, principal(c).Actor(), device(c))
	}
	fb, code := s.outcome(c, err, okFeedback("kpi.gap_saved", nil))
	return s.renderKPIPerson(c, fb, code)
}

// kpiReport is GET /kpi/report.pdf?…: the daily report of the dashboard's
// figures, in the reader's language.
func (s *Server) kpiReport(c *fiber.Ctx) error {
	f, err := s.queryFigures(c)
	if err != nil {
		return err
	}
	ln := lang(c)
	r := s.dailyReportData(f, ln)
	var buf bytes.Buffer
	if err := printing.DailyReport(&buf, r, ln); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/pdf")
	c.Set(fiber.HeaderContentDisposition, `inline; filename="kpi-`+f.From.In(s.ledger.Zone()).Format("20060102")+`.pdf"`)
	return c.Send(buf.Bytes())
}

// dailyReportData maps figures to the printed report.
func (s *Server) dailyReportData(f wms.Figures, ln string) printing.DailyReportData {
	zone := s.ledger.Zone()
	std := f.Standards
	say := func(key string) string { return views.Translate(ln, key, nil) }
	r := printing.DailyReportData{Warehouse: "Tally", From: f.From, To: f.To, Zone: zone, Generated: s.ledger.Now(), Peak: std.Peak,
		Labels: views.ReportLabels(ln, "daily.", printing.DailyReportLabelKeys()), Totals: reportFigures(f.Totals, 0),
		HourlyMeasure: say("chart.lines_per_hour"), PerformanceTarget: 100,
		Bands: printing.ReportBands{Green: std.GreenPct, Amber: std.AmberPct}}
	var packS float64
	t := std.ActiveTargets()
	for _, tr := range []struct {
		role, measure string
		v             float64
	}{{"picker", "kpi.target.picker_lines_h", t.PickerLinesPerHour}, {"packer", "kpi.target.packer_multi_orders_h", t.PackerMultiOrdersPerHour},
		{"packer", "kpi.target.packer_single_orders_h", t.PackerSingleOrdersPerHr}, {"receiver", "kpi.target.receiver_units_h", t.ReceiverUnitsPerHour},
		{"receiver", "kpi.target.returns_units_h", t.ReturnsUnitsPerHour}, {"picker", "kpi.target.accuracy_pct", t.AccuracyPct}} {
		r.Targets = append(r.Targets, printing.ReportTarget{Role: say("role." + tr.role), Measure: say(tr.measure), Value: tr.v})
	}
	for _, p := range f.People {
		rp := printing.ReportPerson{Name: cmp.Or(p.Name, p.Actor), Badge: p.Actor, Temporary: p.Temporary,
			Performance: p.PerformancePct, Utilisation: p.UtilisationPct, ReportFigures: reportFigures(p.FigureTotals, packDirectS(p))}
		if p.Role != "" {
			rp.Role = say("role." + string(p.Role))
		}
		if p.TooLittleData {
			rp.Performance, rp.Utilisation = math.NaN(), math.NaN()
		}
		r.People = append(r.People, rp)
		if !p.Temporary {
			packS += packDirectS(p)
		}
		for _, g := range p.Gaps {
			reason := ""
			if g.Reason != "" {
				reason = say("gap.reason." + g.Reason)
			}
			r.Gaps = append(r.Gaps, printing.ReportGap{Person: rp.Name, Start: g.From, End: g.To, Reason: reason})
		}
	}
	r.Totals = reportFigures(f.Totals, packS)
	lines, _ := s.hourlySeries(f)
	pts := make([]printing.ReportPoint, 0, len(lines))
	for _, p := range lines {
		pts = append(pts, printing.ReportPoint{X: p.X, Y: p.Y})
	}
	r.Hourly = []printing.ReportSeries{{Name: say("daily.lines"), Points: pts}}
	return r
}

// packDirectS is a person's direct time packing.
func packDirectS(p wms.PersonFigures) float64 {
	for _, k := range p.Kinds {
		if k.Kind == wms.WorkPack {
			return k.DirectS
		}
	}
	return 0
}

// reportFigures are figures as the report prints them; packS is the direct
// time at the pack station, for the seconds per order.
func reportFigures(t wms.FigureTotals, packS float64) printing.ReportFigures {
	c := t.Counts
	secs := math.NaN()
	if c.OrdersPacked > 0 {
		secs = packS / float64(c.OrdersPacked)
	}
	acc := func(v *float64) float64 {
		if v == nil {
			return math.NaN()
		}
		return *v
	}
	return printing.ReportFigures{Lines: c.Lines, Units: c.Units, Orders: c.OrdersPacked, Received: c.UnitsReceived, PutAway: c.UnitsPutAway,
		Returns: c.ReturnUnits, Counts: c.CountLines, WrongScans: c.WrongScans, ShortPicks: c.Shorts, WeightRejects: c.WeightRejects,
		Overrides: c.Overrides, Undos: c.Undos, SecondsPerOrder: secs, PickAccuracy: acc(t.PickAccuracyPct), PackAccuracy: acc(t.PackAccuracyPct),
		Direct: time.Duration(t.DirectS * float64(time.Second)), Indirect: time.Duration(t.IndirectS * float64(time.Second)),
		Gap: time.Duration(t.GapS * float64(time.Second))}
}

// calibrationPage is GET /kpi/calibration?kind=…&from=…&to=…: with a kind,
// the fit against the current coefficients.
func (s *Server) calibrationPage(c *fiber.Ctx) error {
	return s.renderCalibration(c, nil, fiber.StatusOK, c.Query("kind") != "")
}

func (s *Server) renderCalibration(c *fiber.Ctx, fb *views.Feedback, code int, fit bool) error {
	settings, err := s.ledger.Settings()
	if err != nil {
		return err
	}
	val := func(k string) string {
		if v := c.Query(k); v != "" || c.Method() != fiber.MethodPost {
			return truncate(strings.TrimSpace(v), 32)
		}
		return truncate(strings.TrimSpace(c.FormValue(k)), 32)
	}
	vm := views.KPICalibrationPage{Page: s.page(c, "kpi.calibration_title"), Kind: cmp.Or(val("kind"), string(wms.WorkPick)),
		From: val("from"), To: val("to"), Kinds: wms.WorkKinds, Standards: settings.KPIStandards(), Key: uuid.NewString()}
	if vm.From == "" {
		vm.From = s.ledger.Now().In(s.ledger.Zone()).AddDate(0, 0, -28).Format("2006-01-02")
	}
	if vm.To == "" {
		vm.To = s.ledger.Now().In(s.ledger.Zone()).Format("2006-01-02")
	}
	vm.Feedback = fb
	if fit && fb == nil {
		cal, err := s.calibrate(vm.Kind, vm.From, vm.To)
		if err != nil {
			e := s.asDomain(c, err)
			vm.Feedback, code = errorFeedback(e), status(e.Code)
		} else {
			vm.Calibration = &cal
		}
	}
	return s.render(c, code, views.KPICalibration(vm))
}

// calibrate fits a kind over days from to to (both inclusive).
func (s *Server) calibrate(kind, fromDay, toDay string) (wms.Calibration, error) {
	k := wms.WorkKind(kind)
	if !k.Valid() {
		return wms.Calibration{}, wms.Errf(wms.CodeInvalid, "kpi.kind_invalid", "kind", kind)
	}
	zone := s.ledger.Zone()
	from, err := time.ParseInLocation("2006-01-02", fromDay, zone)
	if err != nil {
		return wms.Calibration{}, wms.Errf(wms.CodeInvalid, "kpi.time_invalid", "name", "from", "value", fromDay)
	}
	to, err := time.ParseInLocation("2006-01-02", toDay, zone)
	if err != nil {
		return wms.Calibration{}, wms.Errf(wms.CodeInvalid, "kpi.time_invalid", "name", "to", "value", toDay)
	}
	to = to.AddDate(0, 0, 1)
	if !to.After(from) {
		return wms.Calibration{}, wms.Errf(wms.CodeInvalid, "kpi.range_invalid")
	}
	if to.Sub(from) > maxKPIRange {
		return wms.Calibration{}, wms.Errf(wms.CodeInvalid, "kpi.range_too_long", "days", strconv.Itoa(int(maxKPIRange/(24*time.Hour))))
	}
	return s.ledger.Calibrate(from, to, k)
}

// applyCalibration is POST /kpi/calibration: the fit of the form's kind and
// range becomes the standard, through the settings command keyed by the
// page, so the form sent again changes nothing more.
func (s *Server) applyCalibration(c *fiber.Ctx) error {
	cal, err := s.calibrate(strings.TrimSpace(c.FormValue("kind")), strings.TrimSpace(c.FormValue("from")), strings.TrimSpace(c.FormValue("to")))
	if err == nil {
		err = s.changeStandards(c, "calibrate:"+formKey(c), cal.Proposed)
	}
	fb, code := s.outcome(c, err, okFeedback("kpi.calibration_applied", map[string]string{"kind": string(cal.Kind)}))
	return s.renderCalibration(c, fb, code, false)
}

// changeStandards records new standards in the settings.
func (s *Server) changeStandards(c *fiber.Ctx, key string, std wms.Standards) error {
	if err := std.Validate(); err != nil {
		return err
	}
	settings, err := s.ledger.Settings()
	if err != nil {
		return err
	}
	settings.Standards = &std
	_, err = s.ledger.ChangeSettings(c.UserContext(), key, settings, principal(c).Actor(), device(c))
	return err
}

// saveStandards is POST /kpi/standards: every coefficient, the allowance,
// bands, gap factor, minimum direct work, targets, peak mode and shifts.
func (s *Server) saveStandards(c *fiber.Ctx) error {
	std, err := s.standardsForm(c)
	if err == nil {
		err = s.changeStandards(c, "standards:"+formKey(c), std)
	}
	fb, code := s.outcome(c, err, okFeedback("kpi.standards_saved", nil))
	return s.renderCalibration(c, fb, code, false)
}

// standardsForm reads the standards form over the standards in force.
func (s *Server) standardsForm(c *fiber.Ctx) (wms.Standards, error) {
	settings, err := s.ledger.Settings()
	if err != nil {
		return wms.Standards{}, err
	}
	std := settings.KPIStandards()
	var ferr error
	number := func(field string, dst *float64) {
		v := strings.TrimSpace(c.FormValue(field))
		if ferr != nil || v == "" {
			return
		}
		n, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(n) || math.IsInf(n, 0) || len(v) > 20 {
			ferr = wms.Errf(wms.CodeInvalid, "kpi.form_number", "field", field, "value", truncate(v, 20))
			return
		}
		*dst = n
	}
	p := &std.Pick
	for field, dst := range map[string]*float64{"pick.task_s": &p.Task, "pick.line_waist_s": &p.LineWaist, "pick.line_high_low_s": &p.LineHighLo,
		"pick.line_floor_s": &p.LineFloor, "pick.unit_s": &p.Unit, "pick.step_s": &p.Step, "pick.zone_change_s": &p.ZoneChange,
		"pick.metre_s":  &p.Metre,
		"allowance_pct": &std.AllowancePct, "green_pct": &std.GreenPct, "amber_pct": &std.AmberPct, "gap_factor": &std.GapFactor} {
		number(field, dst)
	}
	for kind, u := range map[string]*wms.UnitStandard{"pack": &std.Pack, "receive": &std.Receive, "returns": &std.Returns, "count": &std.Count, "move": &std.Move} {
		number(kind+".task_s", &u.Task)
		number(kind+".line_s", &u.Line)
		number(kind+".unit_s", &u.Unit)
	}
	for prefix, t := range map[string]*wms.Targets{"targets": &std.Targets, "peak_targets": &std.PeakTargets} {
		number(prefix+".picker_lines_h", &t.PickerLinesPerHour)
		number(prefix+".packer_multi_orders_h", &t.PackerMultiOrdersPerHour)
		number(prefix+".packer_single_orders_h", &t.PackerSingleOrdersPerHr)
		number(prefix+".receiver_units_h", &t.ReceiverUnitsPerHour)
		number(prefix+".returns_units_h", &t.ReturnsUnitsPerHour)
		number(prefix+".accuracy_pct", &t.AccuracyPct)
	}
	if ferr != nil {
		return std, ferr
	}
	if v := strings.TrimSpace(c.FormValue("min_direct_min")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return std, wms.Errf(wms.CodeInvalid, "form.not_number", "field", "min_direct_min", "value", truncate(v, 20))
		}
		std.MinDirectMin = n
	}
	std.Peak = c.FormValue("peak") == "on"
	var shifts []wms.Shift
	for i := 0; i < 14; i++ {
		n := strconv.Itoa(i)
		name := strings.TrimSpace(c.FormValue("shift_name_" + n))
		if name == "" {
			continue
		}
		if i >= 12 {
			return std, wms.Errf(wms.CodeInvalid, "standards.shift_invalid", "name", truncate(name, 32))
		}
		sh := wms.Shift{Name: truncate(name, 33)}
		for _, part := range []struct {
			field string
			dst   *int
		}{{"shift_start_" + n, &sh.Start}, {"shift_end_" + n, &sh.End}} {
			v := strings.TrimSpace(c.FormValue(part.field))
			h, err := strconv.Atoi(v)
			if err != nil {
				return std, wms.Errf(wms.CodeInvalid, "standards.shift_invalid", "name", sh.Name)
			}
			*part.dst = h
		}
		shifts = append(shifts, sh)
	}
	std.Shifts = shifts
	return std, nil
}
