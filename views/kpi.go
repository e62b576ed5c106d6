package views

import (
	"context"
	"math"
	"net/url"
	"strconv"

	"tally/wms"
)

// KPIPage is the supervisors' staff figures dashboard.
type KPIPage struct {
	Page
	Filter  KPIFilter
	Owners  OwnerFilter
	Shifts  []string
	Staff   []KPIOption // the person filter's choices
	Figures wms.Figures
	Targets wms.Targets // those in force (peak mode's during a peak)
	// Rows are permanent staff, best performance first; TempRows temporary
	// staff, shown apart.
	Rows, TempRows []KPIPersonRow
	Ranking        ChartSeries
	Bands          Bands
	Hourly         []ChartSeries // lines picked by hour
	HourlyPerf     []ChartSeries // performance by hour
	Direct         ChartSeries   // hours per person
	Indirect, Gap  ChartSeries
}

// KPIFilter is the dashboard's query as the form shows it.
type KPIFilter struct {
	From, To                   string // days, YYYY-MM-DD ("" for today so far)
	Person, Role, Owner, Shift string
}

// Query is the filter as a URL query ("from=…&to=…"), for the CSV, PDF and
// API links and the drill-down.
func (f KPIFilter) Query() string {
	v := url.Values{}
	for _, kv := range [][2]string{{"from", f.From}, {"to", f.To}, {"person", f.Person}, {"role", f.Role}, {"owner", f.Owner}, {"shift", f.Shift}} {
		if kv[1] != "" {
			v.Set(kv[0], kv[1])
		}
	}
	return v.Encode()
}

// with is a link of the page's base path and the filter's query.
func (f KPIFilter) with(base string) string {
	if q := f.Query(); q != "" {
		return base + "?" + q
	}
	return base
}

// rangeQuery is the filter's range alone (the drill-down keeps it).
func (f KPIFilter) rangeQuery() string {
	return KPIFilter{From: f.From, To: f.To}.with("")
}

// KPIOption is a person the filter can choose.
type KPIOption struct{ Badge, Name string }

// KPIPersonRow is one person in the ranking table.
type KPIPersonRow struct {
	wms.PersonFigures
	Rates []KPIRate
}

// KPIRate is a person's rate in one kind of work against its target
// (Target 0: the kind has none).
type KPIRate struct {
	Kind    wms.WorkKind
	PerHour float64
	Target  float64
}

// Met says whether the rate reaches its target.
func (r KPIRate) Met() bool { return r.Target > 0 && r.PerHour >= r.Target }

// KPIPersonPage is the drill-down from a person to their work.
type KPIPersonPage struct {
	Page
	Filter    KPIFilter
	Person    wms.PersonFigures
	Found     bool // the person has figures in the range
	Units     []wms.WorkUnit
	MoreUnits int // units past the ones listed
	Standards wms.Standards
	Reasons   []string
	Key       string // the gap forms' event key prefix
}

// KPICalibrationPage fits a kind's standard and edits every standard.
type KPICalibrationPage struct {
	Page
	Kind, From, To string
	Kinds          []wms.WorkKind
	Calibration    *wms.Calibration // nil until asked (or refused)
	Standards      wms.Standards    // in force
	Key            string
}

// CoefRow is one coefficient of a kind: its form field, its message key,
// the current and (when calibrating) the proposed value.
type CoefRow struct {
	Field, Label      string
	Current, Proposed float64
}

// KindCoefs are the coefficients of a kind of work in s, in the order the
// calibration fits them.
func KindCoefs(s wms.Standards, kind wms.WorkKind) []CoefRow {
	if kind == wms.WorkPick {
		p := s.Pick
		return []CoefRow{{"pick.task_s", "kpi.coef.task", p.Task, 0}, {"pick.line_waist_s", "kpi.coef.line_waist", p.LineWaist, 0},
			{"pick.line_high_low_s", "kpi.coef.line_high_low", p.LineHighLo, 0}, {"pick.line_floor_s", "kpi.coef.line_floor", p.LineFloor, 0},
			{"pick.unit_s", "kpi.coef.unit", p.Unit, 0}, {"pick.step_s", "kpi.coef.step", p.Step, 0}, {"pick.zone_change_s", "kpi.coef.zone_change", p.ZoneChange, 0},
			{"pick.metre_s", "kpi.coef.metre", p.Metre, 0}}
	}
	var u wms.UnitStandard
	switch kind {
	case wms.WorkPack:
		u = s.Pack
	case wms.WorkReceive:
		u = s.Receive
	case wms.WorkReturns:
		u = s.Returns
	case wms.WorkCount:
		u = s.Count
	default:
		u = s.Move
	}
	k := string(kind)
	return []CoefRow{{k + ".task_s", "kpi.coef.task", u.Task, 0}, {k + ".line_s", "kpi.coef.line", u.Line, 0}, {k + ".unit_s", "kpi.coef.unit", u.Unit, 0}}
}

// CompareCoefs pairs the current coefficients of a kind with the proposed.
func CompareCoefs(c wms.Calibration) []CoefRow {
	rows := KindCoefs(c.Current, c.Kind)
	for i, p := range KindCoefs(c.Proposed, c.Kind) {
		rows[i].Proposed = p.Current
	}
	return rows
}

// TargetRow is one target of the standards form.
type TargetRow struct {
	Field, Label string
	Value        float64
}

// TargetRows are a set of targets as form fields under prefix.
func TargetRows(prefix string, t wms.Targets) []TargetRow {
	return []TargetRow{{prefix + ".picker_lines_h", "kpi.target.picker_lines_h", t.PickerLinesPerHour},
		{prefix + ".packer_multi_orders_h", "kpi.target.packer_multi_orders_h", t.PackerMultiOrdersPerHour},
		{prefix + ".packer_single_orders_h", "kpi.target.packer_single_orders_h", t.PackerSingleOrdersPerHr},
		{prefix + ".receiver_units_h", "kpi.target.receiver_units_h", t.ReceiverUnitsPerHour},
		{prefix + ".returns_units_h", "kpi.target.returns_units_h", t.ReturnsUnitsPerHour},
		{prefix + ".accuracy_pct", "kpi.target.accuracy_pct", t.AccuracyPct}}
}

// num shows a number with at most decimals places, in the screen's language.
func num(ctx context.Context, v float64, decimals int) string {
	if !finite(v) {
		return "–"
	}
	return number(v, decimals)
}

// pctText shows a percentage ("–" for none).
func pctText(ctx context.Context, v *float64) string {
	if v == nil {
		return "–"
	}
	return percent(Lang(ctx), *v, 1)
}

// hoursText shows seconds as hours.
func hoursText(ctx context.Context, s float64) string { return hours(Lang(ctx), s/3600) }

// minutes shows seconds as whole minutes.
func minutes(s float64) string { return strconv.Itoa(int(math.Round(s / 60))) }

// accuracyOK says whether an accuracy meets the target (no lines: yes).
func accuracyOK(v *float64, target float64) bool { return v == nil || *v >= target }

// coefText shows a coefficient to two places, trimmed.
func coefText(v float64) string { return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64) }

// personLink is the drill-down of a person with the page's range.
func personLink(f KPIFilter, actor string) string {
	return "/kpi/person/" + url.PathEscape(actor) + f.rangeQuery()
}

// displayName is a person's name, or their actor when nobody is on file.
func displayName(p wms.PersonFigures) string {
	if p.Name != "" {
		return p.Name
	}
	return p.Actor
}
