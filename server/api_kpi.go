package server

import (
	"encoding/csv"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"tally/wms"
)

// Staff figures: GET /api/v1/kpi, GET /kpi.csv, GET /api/v1/kpi/calibration
// and POST /api/v1/kpi/gaps. Supervisors see everyone; a worker sees only
// their own figures and explains only their own gaps.

// kpiReaders may ask for figures (their own, unless they supervise).
var kpiReaders = []wms.Role{wms.RolePicker, wms.RolePacker, wms.RoleReceiver, wms.RoleSupervisor, wms.RoleAdmin}

// maxKPIRange is the longest range one request may read.
const maxKPIRange = 366 * 24 * time.Hour

// supervises: a supervisor or an admin (by session or token) sees and
// explains everyone's figures.
func supervises(p *wms.Principal) bool {
	return p.Role == wms.RoleSupervisor || p.Role == wms.RoleAdmin
}

// kpiTime reads a from or to: RFC 3339, or a day (YYYY-MM-DD) in the
// warehouse's zone, which means its start (from) or its end (to).
func (s *Server) kpiTime(c *fiber.Ctx, name string, end bool) (time.Time, bool, error) {
	v := strings.TrimSpace(c.Query(name))
	if v == "" {
		return time.Time{}, false, nil
	}
	if len(v) > 40 {
		return time.Time{}, false, wms.Errf(wms.CodeInvalid, "kpi.time_invalid", "name", name, "value", v[:40])
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, true, nil
	}
	d, err := time.ParseInLocation("2006-01-02", v, s.ledger.Zone())
	if err != nil {
		return time.Time{}, false, wms.Errf(wms.CodeInvalid, "kpi.time_invalid", "name", name, "value", v)
	}
	if end {
		d = d.AddDate(0, 0, 1)
	}
	return d, true, nil
}

// kpiRange is a request's from and to: today so far when neither is given.
func (s *Server) kpiRange(c *fiber.Ctx) (from, to time.Time, err error) {
	from, hasFrom, err := s.kpiTime(c, "from", false)
	if err != nil {
		return from, to, err
	}
	to, hasTo, err := s.kpiTime(c, "to", true)
	if err != nil {
		return from, to, err
	}
	now := s.ledger.Now()
	if !hasTo {
		to = now
	}
	if !hasFrom {
		local := to.Add(-time.Nanosecond).In(s.ledger.Zone())
		from = time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, s.ledger.Zone())
	}
	if !to.After(from) {
		return from, to, wms.Errf(wms.CodeInvalid, "kpi.range_invalid")
	}
	if to.Sub(from) > maxKPIRange {
		return from, to, wms.Errf(wms.CodeInvalid, "kpi.range_too_long", "days", strconv.Itoa(int(maxKPIRange/(24*time.Hour))))
	}
	return from, to, nil
}

// kpiQuery reads the figures a request asks for; a worker's is narrowed to
// their own person.
// queryFigures reads the figures a request's query asks for: the one
// path of the API, the CSV and the PDF.
func (s *Server) queryFigures(c *fiber.Ctx) (wms.Figures, error) {
	q, err := s.kpiQuery(c)
	if err != nil {
		return wms.Figures{}, err
	}
	return s.ledger.Figures(q)
}

func (s *Server) kpiQuery(c *fiber.Ctx) (wms.FiguresQuery, error) {
	from, to, err := s.kpiRange(c)
	if err != nil {
		return wms.FiguresQuery{}, err
	}
	q := wms.FiguresQuery{From: from, To: to, Person: strings.TrimSpace(c.Query("person")),
		Role: strings.TrimSpace(c.Query("role")), Shift: strings.TrimSpace(c.Query("shift"))}
	if len(q.Person) > 64 || strings.ContainsRune(q.Person, 0) {
		return q, wms.Errf(wms.CodeInvalid, "kpi.person_invalid")
	}
	if q.Role != "" && !wms.Role(q.Role).Valid() {
		return q, wms.Errf(wms.CodeInvalid, "kpi.role_invalid", "role", truncate(q.Role, 32))
	}
	if len(q.Shift) > 32 {
		return q, wms.Errf(wms.CodeInvalid, "kpi.shift_unknown", "shift", truncate(q.Shift, 32))
	}
	if q.Owner, err = s.ownerQuery(c); err != nil {
		return q, err
	}
	p := principal(c)
	if !supervises(p) {
		if p.Badge == "" || (q.Person != "" && q.Person != p.Badge) {
			return q, wms.Errf(wms.CodeForbidden, "kpi.not_yours")
		}
		q.Person = p.Badge
	}
	return q, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// kpiOut answers GET /api/v1/kpi.
type kpiOut struct {
	From       string         `json:"from"`
	To         string         `json:"to"`
	Standards  standardsOut   `json:"standards"`
	People     []kpiPersonOut `json:"people"`
	Totals     kpiTotalsOut   `json:"totals"`
	TempTotals kpiTotalsOut   `json:"temp_totals"`
	Series     []kpiHourOut   `json:"series"`
}

// standardsOut are the standards behind the figures (a worker may see them).
type standardsOut struct {
	Pick         map[string]float64            `json:"pick"`
	Kinds        map[string]map[string]float64 `json:"kinds"` // pack, receive, returns, count, move
	AllowancePct float64                       `json:"allowance_pct"`
	GreenPct     float64                       `json:"green_pct"`
	AmberPct     float64                       `json:"amber_pct"`
	GapFactor    float64                       `json:"gap_factor"`
	MinGapS      float64                       `json:"min_gap_s"`
	MinDirectMin int                           `json:"min_direct_min"`
	Peak         bool                          `json:"peak"`
	Targets      map[string]float64            `json:"targets"` // those in force
}

type kpiTotalsOut struct {
	Counts          map[string]int64 `json:"counts"`
	DirectS         float64          `json:"direct_s"`
	IndirectS       float64          `json:"indirect_s"`
	GapS            float64          `json:"gap_s"`
	BreakS          float64          `json:"break_s"`
	PaidS           float64          `json:"paid_s"`
	EarnedS         float64          `json:"earned_s"`
	PerformancePct  float64          `json:"performance_pct"`
	UtilisationPct  float64          `json:"utilisation_pct"`
	PickAccuracyPct *float64         `json:"pick_accuracy_pct"`
	PackAccuracyPct *float64         `json:"pack_accuracy_pct"`
	// PerformanceOf, in a group's totals only: how many people's figures
	// its performance is made of (those with enough direct work; 0: no
	// performance is given, whatever performance_pct says).
	PerformanceOf *int `json:"performance_of,omitempty"`
}

type kpiPersonOut struct {
	Actor     string `json:"actor"`
	Name      string `json:"name"`
	Role      string `json:"role"`
	Temporary bool   `json:"temporary"`
	kpiTotalsOut
	Kinds         []kpiKindOut `json:"kinds"`
	Gaps          []kpiGapOut  `json:"gaps"`
	TooLittleData bool         `json:"too_little_data"`
	Band          string       `json:"band,omitempty"`
}

type kpiKindOut struct {
	Kind    string  `json:"kind"`
	DirectS float64 `json:"direct_s"`
	EarnedS float64 `json:"earned_s"`
	PerHour float64 `json:"per_hour"`
}

type kpiGapOut struct {
	From     string  `json:"from"`
	To       string  `json:"to"`
	Seconds  float64 `json:"seconds"`
	Kind     string  `json:"kind"`
	Unit     string  `json:"unit"`
	Reason   string  `json:"reason,omitempty"`
	ReasonBy string  `json:"reason_by,omitempty"`
}

type kpiHourOut struct {
	Hour    string  `json:"hour"`
	Actor   string  `json:"actor"`
	Kind    string  `json:"kind"`
	DirectS float64 `json:"direct_s"`
	EarnedS float64 `json:"earned_s"`
	Lines   int64   `json:"lines"`
	Units   int64   `json:"units"`
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func r2(v float64) float64 {
	if v < 0 {
		return -r2(-v)
	}
	return float64(int64(v*100+0.5)) / 100
}

func newStandardsOut(s wms.Standards) standardsOut {
	unit := func(u wms.UnitStandard) map[string]float64 {
		return map[string]float64{"task_s": u.Task, "line_s": u.Line, "unit_s": u.Unit}
	}
	p, t := s.Pick, s.ActiveTargets()
	return standardsOut{
		Pick: map[string]float64{"task_s": p.Task, "line_waist_s": p.LineWaist, "line_high_low_s": p.LineHighLo, "line_floor_s": p.LineFloor,
			"unit_s": p.Unit, "step_s": p.Step, "zone_change_s": p.ZoneChange,
			"metre_s": p.Metre},
		Kinds: map[string]map[string]float64{"pack": unit(s.Pack), "receive": unit(s.Receive), "returns": unit(s.Returns),
			"count": unit(s.Count), "move": unit(s.Move)},
		AllowancePct: s.AllowancePct, GreenPct: s.GreenPct, AmberPct: s.AmberPct, GapFactor: s.GapFactor,
		MinGapS: wms.MinGap.Seconds(), MinDirectMin: s.MinDirectMin, Peak: s.Peak,
		Targets: map[string]float64{"picker_lines_h": t.PickerLinesPerHour, "packer_multi_orders_h": t.PackerMultiOrdersPerHour,
			"packer_single_orders_h": t.PackerSingleOrdersPerHr, "receiver_units_h": t.ReceiverUnitsPerHour,
			"returns_units_h": t.ReturnsUnitsPerHour, "accuracy_pct": t.AccuracyPct},
	}
}

// countsOut names every count, zero or not, so a client sees them all.
func countsOut(c wms.WorkCounts) map[string]int64 {
	return map[string]int64{"tasks": c.Tasks, "lines": c.Lines, "units": c.Units, "wrong_scans": c.WrongScans, "shorts": c.Shorts,
		"undos": c.Undos, "mis_picks": c.MisPicks, "error_free_lines": c.ErrorFreeLines, "orders_packed": c.OrdersPacked,
		"single_orders": c.SingleOrders, "pack_units": c.PackUnits, "parcels": c.Parcels, "weight_rejects": c.WeightRejects,
		"overrides": c.Overrides, "typed_weights": c.TypedWeights, "units_received": c.UnitsReceived, "units_put_away": c.UnitsPutAway,
		"return_parcels": c.ReturnParcels, "return_units": c.ReturnUnits, "count_lines": c.CountLines, "moves": c.Moves}
}

func newTotalsOut(t wms.FigureTotals) kpiTotalsOut {
	return kpiTotalsOut{Counts: countsOut(t.Counts), DirectS: r2(t.DirectS), IndirectS: r2(t.IndirectS), GapS: r2(t.GapS), BreakS: r2(t.BreakS),
		PaidS: r2(t.PaidS), EarnedS: r2(t.EarnedS), PerformancePct: t.PerformancePct, UtilisationPct: t.UtilisationPct,
		PickAccuracyPct: t.PickAccuracyPct, PackAccuracyPct: t.PackAccuracyPct}
}

// newGroupTotalsOut is a group's totals, saying how many people its
// performance is made of.
func newGroupTotalsOut(t wms.FigureTotals) kpiTotalsOut {
	out := newTotalsOut(t)
	n := t.PerformanceOf
	out.PerformanceOf = &n
	return out
}

func newKPIOut(f wms.Figures) kpiOut {
	out := kpiOut{From: rfc3339(f.From), To: rfc3339(f.To), Standards: newStandardsOut(f.Standards),
		People: make([]kpiPersonOut, 0, len(f.People)), Totals: newGroupTotalsOut(f.Totals), TempTotals: newGroupTotalsOut(f.TempTotals),
		Series: make([]kpiHourOut, 0, len(f.Series))}
	for _, p := range f.People {
		po := kpiPersonOut{Actor: p.Actor, Name: p.Name, Role: string(p.Role), Temporary: p.Temporary, kpiTotalsOut: newTotalsOut(p.FigureTotals),
			Kinds: make([]kpiKindOut, 0, len(p.Kinds)), Gaps: make([]kpiGapOut, 0, len(p.Gaps)), TooLittleData: p.TooLittleData, Band: p.Band}
		for _, k := range p.Kinds {
			po.Kinds = append(po.Kinds, kpiKindOut{Kind: string(k.Kind), DirectS: r2(k.DirectS), EarnedS: r2(k.EarnedS), PerHour: r2(k.PerHour)})
		}
		for _, g := range p.Gaps {
			po.Gaps = append(po.Gaps, kpiGapOut{From: rfc3339(g.From), To: rfc3339(g.To), Seconds: r2(g.Seconds), Kind: string(g.Kind), Unit: g.Unit,
				Reason: g.Reason, ReasonBy: g.ReasonBy})
		}
		out.People = append(out.People, po)
	}
	for _, h := range f.Series {
		out.Series = append(out.Series, kpiHourOut{Hour: h.Hour, Actor: h.Actor, Kind: string(h.Kind), DirectS: r2(h.DirectS), EarnedS: r2(h.EarnedS),
			Lines: h.Lines, Units: h.Units})
	}
	return out
}

// apiKPI is GET /api/v1/kpi?from=…&to=…&person=…&owner=…&role=…&shift=….
func (s *Server) apiKPI(c *fiber.Ctx) error {
	f, err := s.queryFigures(c)
	if err != nil {
		return err
	}
	return c.JSON(newKPIOut(f))
}

// kpiCSVHeader are the columns of GET /kpi.csv, one row per person.
var kpiCSVHeader = []string{"actor", "name", "role", "temporary", "direct_s", "indirect_s", "gap_s", "break_s", "paid_s", "earned_s",
	"performance_pct", "utilisation_pct", "pick_accuracy_pct", "pack_accuracy_pct", "too_little_data", "band",
	"tasks", "lines", "units", "wrong_scans", "shorts", "undos", "mis_picks", "error_free_lines", "orders_packed", "single_orders",
	"pack_units", "parcels", "weight_rejects", "overrides", "typed_weights", "units_received", "units_put_away", "return_parcels",
	"return_units", "count_lines", "moves", "gaps"}

// kpiCSV is GET /kpi.csv?…: the figures of GET /api/v1/kpi, a row a person.
func (s *Server) kpiCSV(c *fiber.Ctx) error {
	f, err := s.queryFigures(c)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="kpi-`+f.From.In(s.ledger.Zone()).Format("20060102")+`.csv"`)
	w := csv.NewWriter(c.Response().BodyWriter())
	if err := w.Write(kpiCSVHeader); err != nil {
		return err
	}
	num := func(v float64) string { return strconv.FormatFloat(r2(v), 'f', -1, 64) }
	opt := func(v *float64) string {
		if v == nil {
			return ""
		}
		return num(*v)
	}
	for _, p := range f.People {
		counts := countsOut(p.Counts)
		row := []string{csvSafe(p.Actor), csvSafe(p.Name), string(p.Role), strconv.FormatBool(p.Temporary), num(p.DirectS), num(p.IndirectS),
			num(p.GapS), num(p.BreakS), num(p.PaidS), num(p.EarnedS), num(p.PerformancePct), num(p.UtilisationPct),
			opt(p.PickAccuracyPct), opt(p.PackAccuracyPct), strconv.FormatBool(p.TooLittleData), p.Band}
		for _, col := range kpiCSVHeader[16 : len(kpiCSVHeader)-1] {
			row = append(row, strconv.FormatInt(counts[col], 10))
		}
		row = append(row, strconv.Itoa(len(p.Gaps)))
		if err := w.Write(row); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}

// csvSafe keeps a spreadsheet from reading a name as a formula.
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// calibrationOut answers GET /api/v1/kpi/calibration.
type calibrationOut struct {
	Kind     string       `json:"kind"`
	From     string       `json:"from"`
	To       string       `json:"to"`
	N        int          `json:"n"`
	R2       float64      `json:"r2"`
	People   int          `json:"people"`
	Scale    float64      `json:"scale"`
	Current  standardsOut `json:"current"`
	Proposed standardsOut `json:"proposed"`
}

// apiCalibration is GET /api/v1/kpi/calibration?from=…&to=…&kind=…:
// a kind's standard fitted to the range's history (nothing is changed).
func (s *Server) apiCalibration(c *fiber.Ctx) error {
	from, to, err := s.kpiRange(c)
	if err != nil {
		return err
	}
	kind := wms.WorkKind(strings.TrimSpace(c.Query("kind")))
	if !kind.Valid() {
		return wms.Errf(wms.CodeInvalid, "kpi.kind_invalid", "kind", truncate(string(kind), 32))
	}
	cal, err := s.ledger.Calibrate(from, to, kind)
	if err != nil {
		return err
	}
	return c.JSON(calibrationOut{Kind: string(cal.Kind), From: rfc3339(cal.From), To: rfc3339(cal.To), N: cal.N, R2: cal.R2,
		People: cal.People, Scale: cal.Scale, Current: newStandardsOut(cal.Current), Proposed: newStandardsOut(cal.Proposed)})
}

// gapReasonIn is the body of POST /api/v1/kpi/gaps.
type gapReasonIn struct {
	Actor  string `json:"actor"`
	From   string `json:"from"` // RFC 3339, as GET /api/v1/kpi lists the gap
	Reason string `json:"reason"`
}

// gapReasonOut answers it.
type gapReasonOut struct {
	Actor  string `json:"actor"`
	From   string `json:"from"`
	Reason string `json:"reason"`
	By     string `json:"by"`
}

// apiGapReason is POST /api/v1/kpi/gaps: a worker explains their own gap,
// a supervisor anyone's.
func (s *Server) apiGapReason(c *fiber.Ctx) error {
	var in gapReasonIn
	if err := bodyJSON(c, &in); err != nil {
		return err
	}
	in.Actor = strings.TrimSpace(in.Actor)
	if in.Actor == "" || len(in.Actor) > 64 {
		return wms.Errf(wms.CodeInvalid, "kpi.person_invalid")
	}
	from, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(in.From))
	if err != nil {
		return wms.Errf(wms.CodeInvalid, "kpi.time_invalid", "name", "from", "value", truncate(in.From, 40))
	}
	p := principal(c)
	if !supervises(p) && (p.Badge == "" || p.Badge != in.Actor) {
		return wms.Errf(wms.CodeForbidden, "gap.not_yours")
	}
	key, err := idempotencyKey(c)
	if err != nil {
		return err
	}
	g, err := s.ledger.ExplainGap(c.UserContext(), "gap:"+key, in.Actor, from, in.Reason, p.Actor(), device(c))
	if err != nil {
		return err
	}
	return c.JSON(gapReasonOut{Actor: g.Actor, From: g.From.UTC().Format(time.RFC3339Nano), Reason: g.Reason, By: g.By})
}
