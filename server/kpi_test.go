package server

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"tally/wms"
)

// The dashboard is the supervisors': floor staff get 403 on it, on a
// drill-down (their own too), the report and the calibration; a supervisor
// sees everyone's rows in both languages, with the totals Figures gives.
func TestKPIDashboardRolesAndLanguages(t *testing.T) {
	s, l := testServer(t)
	kpiHistory(t, l)
	for _, who := range [][2]string{{"B1001", "1111"}, {"B2001", "2222"}, {"B3001", "3333"}} {
		c := newClient(t, s)
		c.login(who[0], who[1])
		for _, path := range []string{"/kpi", "/kpi/person/" + who[0], "/kpi/person/B1002", "/kpi/report.pdf", "/kpi/calibration"} {
			if r, _ := c.get(path); r.StatusCode != 403 {
				t.Errorf("%s opened %s: %d", who[0], path, r.StatusCode)
			}
		}
		if r, _ := c.post("/kpi/person/"+who[0], url.Values{"gap": {"2026-11-11T00:02:00Z"}, "reason": {"break"}}); r.StatusCode != 403 {
			t.Errorf("%s explained a gap on the supervisors' page: %d", who[0], r.StatusCode)
		}
		if _, home := c.get("/"); strings.Contains(home, `href="/kpi"`) {
			t.Errorf("%s's menu offers the dashboard", who[0])
		}
	}
	f, err := l.Figures(wms.FiguresQuery{From: time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC), To: l.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.People) != 2 || f.Totals.Counts.WrongScans != 10 {
		t.Fatalf("the history: %+v", f.Totals)
	}
	sup := newClient(t, s)
	sup.login("B4001", "4444")
	if _, home := sup.get("/"); !strings.Contains(home, `href="/kpi"`) {
		t.Error("the supervisors' menu has no dashboard")
	}
	for _, lang := range langs {
		sup.lang = lang
		r, page := sup.get("/kpi")
		if r.StatusCode != 200 {
			t.Fatalf("%s: %d\n%s", lang, r.StatusCode, page)
		}
		plain := unmarked(page)
		for _, want := range []string{say(lang, "kpi.title"), say(lang, "kpi.ranking"), say(lang, "chart.ranking_title"),
			say(lang, "chart.hourly_title"), say(lang, "chart.split_title"), say(lang, "daily.errors"),
			`data-actor="B1001"`, `data-actor="B1002"`, `href="/kpi.csv"`, `href="/kpi/report.pdf"`, `href="/api/v1/kpi"`,
			`href="/kpi/person/B1001"`, `data-testid="kpi-too-little"`} {
			if !strings.Contains(plain, want) && !strings.Contains(page, want) {
				t.Errorf("%s: the dashboard lacks %q", lang, want)
			}
		}
		// the totals are Figures' (ten wrong scans, no lines)
		if !strings.Contains(page, `data-testid="kpi-totals" data-lines="0"`) || !strings.Contains(page, "<dd>10</dd>") {
			t.Errorf("%s: the totals are not the figures'", lang)
		}
		if !strings.Contains(page, "<svg") || strings.Contains(page, "<script src=\"chart") {
			t.Errorf("%s: charts are not server-drawn SVG", lang)
		}
	}
}

// Filters narrow the rows; a bad filter is refused in words in both
// languages and the page still shows today's figures under the message.
func TestKPIDashboardFilters(t *testing.T) {
	s, l := testServer(t)
	kpiHistory(t, l)
	sup := newClient(t, s)
	sup.login("B4001", "4444")
	rows := func(path string) (int, []string) {
		t.Helper()
		r, page := sup.get(path)
		var actors []string
		for _, part := range strings.Split(page, `data-testid="kpi-row" data-actor="`)[1:] {
			actors = append(actors, part[:strings.Index(part, `"`)])
		}
		return r.StatusCode, actors
	}
	for path, want := range map[string]string{
		"/kpi":                               "B1001,B1002",
		"/kpi?from=2026-11-11&to=2026-11-11": "B1001,B1002",
		"/kpi?person=B1002":                  "B1002",
		"/kpi?role=picker":                   "B1001,B1002",
		"/kpi?role=packer":                   "",
		"/kpi?shift=day":                     "B1001,B1002", // 08:00–08:25 CST
		"/kpi?shift=night":                   "",
		"/kpi?owner=DEFAULT":                 "",
		"/kpi?from=2026-11-10&to=2026-11-10": "",
		"/kpi?from=2026-11-01&person=B1001":  "B1001",
	} {
		st, actors := rows(path)
		if st != 200 || strings.Join(actors, ",") != want {
			t.Errorf("%s: %d %v, want %q", path, st, actors, want)
		}
	}
	for _, lang := range langs {
		sup.lang = lang
		for path, msg := range map[string]string{
			"/kpi?from=yesterday":                    say(lang, "kpi.time_invalid", "name", "from", "value", "yesterday"),
			"/kpi?shift=lunch":                       say(lang, "kpi.shift_unknown", "shift", "lunch"),
			"/kpi?role=boss":                         say(lang, "kpi.role_invalid", "role", "boss"),
			"/kpi?from=2026-11-12&to=2026-11-10":     say(lang, "kpi.range_invalid"),
			"/kpi?from=2024-01-01&to=2026-11-11":     say(lang, "kpi.range_too_long", "days", "366"),
			"/kpi?person=" + strings.Repeat("x", 65): say(lang, "kpi.person_invalid"),
		} {
			r, page := sup.get(path)
			if r.StatusCode != 400 || !strings.Contains(unmarked(page), msg) || !strings.Contains(page, `data-actor="B1001"`) {
				t.Errorf("%s %s: %d, want 400 saying %q over today's rows", lang, path, r.StatusCode, msg)
			}
		}
	}
}

// The drill-down lists a person's units and gaps with the standards behind
// them; a supervisor sets a gap's reason, a form sent twice records one
// event, and a reason not on the list is refused.
func TestKPIDrillDownGapReason(t *testing.T) {
	s, l := testServer(t)
	gaps := kpiHistory(t, l)
	sup := newClient(t, s)
	sup.login("B4001", "4444")
	r, page := sup.get("/kpi/person/B1001")
	from := gaps["B1001"].UTC().Format(time.RFC3339Nano)
	if r.StatusCode != 200 || !strings.Contains(page, `data-testid="kpi-gap" data-from="`+from+`" data-reason=""`) ||
		!strings.Contains(page, `data-testid="kpi-unit" data-kind="pick" data-unit="T-B1001"`) || !strings.Contains(page, `data-testid="kpi-standard"`) ||
		!strings.Contains(unmarked(page), say("en", "kpi.coef.line_waist")) {
		t.Fatalf("drill-down: %d\n%s", r.StatusCode, page)
	}
	before := len(eventsOf(t, l, wms.EvGapExplained))
	key := "3f2b8c1e-7a4d-4e2b-9c1a-5d6e7f8a9b0c"
	for range 2 {
		r, page = sup.post("/kpi/person/B1001", url.Values{"gap": {from}, "reason": {"meeting"}, "key": {key}})
		if r.StatusCode != 200 || !strings.Contains(page, `data-from="`+from+`" data-reason="meeting"`) {
			t.Fatalf("reason: %d\n%s", r.StatusCode, page)
		}
	}
	if n := len(eventsOf(t, l, wms.EvGapExplained)) - before; n != 1 {
		t.Fatalf("a form sent twice recorded %d reasons", n)
	}
	for _, lang := range langs {
		sup.lang = lang
		r, page = sup.post("/kpi/person/B1001", url.Values{"gap": {from}, "reason": {"nap"}})
		if r.StatusCode != 400 || !strings.Contains(unmarked(page), say(lang, "gap.reason_invalid", "reason", "nap")) {
			t.Errorf("%s: reason nap: %d", lang, r.StatusCode)
		}
		r, page = sup.post("/kpi/person/B1001", url.Values{"gap": {"soon"}, "reason": {"break"}})
		if r.StatusCode != 400 || !strings.Contains(unmarked(page), say(lang, "kpi.time_invalid", "name", "gap", "value", "soon")) {
			t.Errorf("%s: gap soon: %d", lang, r.StatusCode)
		}
	}
	if r, _ := sup.get("/kpi/person/" + url.PathEscape("token:loadgen/pda-01")); r.StatusCode != 200 {
		t.Errorf("a handheld's drill-down: %d", r.StatusCode)
	}
}

// eventsOf lists the ledger's events of a type.
func eventsOf(t *testing.T, l *wms.Ledger, typ string) []wms.Event {
	t.Helper()
	evs, err := l.EventsOfType(1<<30, typ)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// The report opens as a PDF whose text carries the totals, in both
// languages.
func TestKPIReportPDF(t *testing.T) {
	s, l := testServer(t)
	kpiHistory(t, l)
	sup := newClient(t, s)
	sup.login("B4001", "4444")
	for _, lang := range langs {
		sup.lang = lang
		r, body := sup.get("/kpi/report.pdf?from=2026-11-11&to=2026-11-11")
		if r.StatusCode != 200 || r.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(body, "%PDF") {
			t.Fatalf("%s: %d %s", lang, r.StatusCode, r.Header.Get("Content-Type"))
		}
		text, ok := pdfText(t, []byte(body))
		if !ok {
			t.Skip("no pdftotext")
		}
		flat := strings.Join(strings.Fields(text), " ")
		for _, want := range []string{say(lang, "daily.title"), say(lang, "daily.wrong_scans"), "张伟", "李娜"} {
			if !strings.Contains(flat, want) {
				t.Errorf("%s: the report lacks %q:\n%s", lang, want, text)
			}
		}
		// totals: ten wrong scans and no lines, each under its label
		for label, want := range map[string]string{say(lang, "daily.wrong_scans"): "10", say(lang, "daily.lines"): "0"} {
			if got := pdfCell(text, label); got != want {
				t.Errorf("%s: the totals' %s read %q, want %s:\n%s", lang, label, got, want, text)
			}
		}
	}
	if r, _ := sup.get("/kpi/report.pdf?from=nope"); r.StatusCode != 400 {
		t.Errorf("a bad range: %d", r.StatusCode)
	}
}

// pdfCell is the value printed under a label in the report's totals grid:
// the cell of the next line with text at the label's place in its row.
func pdfCell(text, label string) string {
	cells := regexpMust(`\S+(?: \S+)*`)
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		row := cells.FindAllString(line, -1)
		for col, c := range row {
			if c != label {
				continue
			}
			for _, next := range lines[i+1:] {
				if vals := cells.FindAllString(next, -1); len(vals) > 0 {
					if len(vals) == len(row) {
						return vals[col]
					}
					return ""
				}
			}
		}
	}
	return ""
}

// calibrationHistory gives B1003 forty moves of one to three units back and
// forth, each taking 20 s plus 10 s a unit, on 10 November.
func calibrationHistory(t *testing.T, l *wms.Ledger) {
	t.Helper()
	_, locs, stock := wms.DemoData(time.Now())
	var row wms.StockRow
	for _, r := range stock {
		if r.Qty >= 3 && r.Lot == "" {
			row = r
			break
		}
	}
	other := ""
	for _, loc := range locs {
		if loc.Code != row.Location && loc.Kind == wms.KindPick {
			other = loc.Code
			break
		}
	}
	if row.SKU == "" || other == "" {
		t.Fatal("no demo stock to move")
	}
	at := time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC)
	from, to := row.Location, other
	for i := range 40 {
		qty := int64(1 + i%3)
		at = at.Add(time.Duration(20+10*qty) * time.Second)
		ev, err := wms.NewEvent(fmt.Sprintf("cal-%d", i), wms.EvMoved, "B1003", "pda", wms.Move{Owner: row.Owner, SKU: row.SKU, From: from, To: to, Qty: 1})
		if err != nil {
			t.Fatal(err)
		}
		ev.At = at
		if _, _, err := l.Append(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
		from, to = to, from
	}
}

// The calibration view shows the fit against the current standard; applying
// it records a settings change with the proposed coefficients, and the same
// form sent again changes nothing more. The standards form saves every
// field and refuses bad ones in words.
func TestKPICalibrationAndStandards(t *testing.T) {
	s, l := testServer(t)
	calibrationHistory(t, l)
	sup := newClient(t, s)
	sup.login("B4001", "4444")
	q := "kind=move&from=2026-11-10&to=2026-11-10"
	r, page := sup.get("/kpi/calibration?" + q)
	if r.StatusCode != 200 || !strings.Contains(page, `data-testid="cal-fit"`) || !strings.Contains(page, `data-testid="cal-apply"`) {
		t.Fatalf("calibration: %d\n%s", r.StatusCode, unmarked(page))
	}
	cal, err := l.Calibrate(time.Date(2026, 11, 9, 16, 0, 0, 0, time.UTC), time.Date(2026, 11, 10, 16, 0, 0, 0, time.UTC), wms.WorkMove)
	if err != nil {
		t.Fatal(err)
	}
	if cal.Proposed.Move == cal.Current.Move {
		t.Fatal("the fit proposes the standard in force: the test shows nothing")
	}
	before := len(eventsOf(t, l, wms.EvSettingsChanged))
	key := "7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
	for range 2 {
		r, page = sup.post("/kpi/calibration", url.Values{"kind": {"move"}, "from": {"2026-11-10"}, "to": {"2026-11-10"}, "key": {key}})
		if r.StatusCode != 200 || !strings.Contains(unmarked(page), say("en", "kpi.calibration_applied")) {
			t.Fatalf("apply: %d\n%s", r.StatusCode, unmarked(page))
		}
	}
	if n := len(eventsOf(t, l, wms.EvSettingsChanged)) - before; n != 1 {
		t.Fatalf("applying twice recorded %d settings changes", n)
	}
	settings, _ := l.Settings()
	if got := settings.KPIStandards().Move; got != cal.Proposed.Move {
		t.Fatalf("in force %+v, proposed %+v", got, cal.Proposed.Move)
	}

	form := url.Values{"key": {"1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"}, "pick.task_s": {"25"}, "allowance_pct": {"15"}, "peak": {"on"},
		"peak_targets.picker_lines_h": {"110"}, "min_direct_min": {"20"}, "shift_name_0": {"early"}, "shift_start_0": {"6"}, "shift_end_0": {"14"}}
	if r, page = sup.post("/kpi/standards", form); r.StatusCode != 200 || !strings.Contains(unmarked(page), say("en", "kpi.standards_saved")) {
		t.Fatalf("standards: %d\n%s", r.StatusCode, unmarked(page))
	}
	settings, _ = l.Settings()
	std := settings.KPIStandards()
	if std.Pick.Task != 25 || std.AllowancePct != 15 || !std.Peak || std.PeakTargets.PickerLinesPerHour != 110 || std.MinDirectMin != 20 ||
		len(std.Shifts) != 1 || std.Shifts[0] != (wms.Shift{Name: "early", Start: 6, End: 14}) {
		t.Fatalf("saved %+v", std)
	}
	if _, dash := sup.get("/kpi"); !strings.Contains(dash, `data-testid="kpi-peak"`) {
		t.Error("the dashboard shows no peak mode")
	}
	for _, lang := range langs {
		sup.lang = lang
		for _, bad := range []struct {
			field, value, msg string
		}{
			{"pick.unit_s", "fast", say(lang, "kpi.form_number", "field", "pick.unit_s", "value", "fast")},
			{"pick.unit_s", "4000", say(lang, "standards.coefficient_invalid", "name", "pick.unit_s", "value", "4000")},
			{"amber_pct", "99", say(lang, "standards.bands_invalid")},
			{"gap_factor", "0.5", say(lang, "standards.gap_factor_invalid", "value", "0.5")},
			{"shift_start_0", "25", say(lang, "standards.shift_invalid", "name", "early")},
		} {
			f := url.Values{"shift_name_0": {"early"}, "shift_start_0": {"6"}, "shift_end_0": {"14"}}
			f.Set(bad.field, bad.value)
			r, page := sup.post("/kpi/standards", f)
			if r.StatusCode != 400 || !strings.Contains(unmarked(page), bad.msg) {
				t.Errorf("%s %s=%s: %d, want %q", lang, bad.field, bad.value, r.StatusCode, bad.msg)
			}
		}
		r, page := sup.get("/kpi/calibration?kind=nap")
		if r.StatusCode != 400 || !strings.Contains(unmarked(page), say(lang, "kpi.kind_invalid", "kind", "nap")) {
			t.Errorf("%s: kind nap: %d", lang, r.StatusCode)
		}
	}
}
