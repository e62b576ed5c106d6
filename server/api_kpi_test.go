package server

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"tally/wms"
)

// kpiHistory gives two pickers of the demo a morning of scans (wrong scans:
// they need no stock), each with one pause of 20 minutes, at 08:00 CST.
func kpiHistory(t *testing.T, l *wms.Ledger) (gapFrom map[string]time.Time) {
	t.Helper()
	gapFrom = map[string]time.Time{}
	for _, badge := range []string{"B1001", "B1002"} {
		at := time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC)
		for i, step := range []time.Duration{0, time.Minute, time.Minute, 20 * time.Minute, time.Minute} {
			at = at.Add(step)
			if i == 3 {
				gapFrom[badge] = at.Add(-step)
			}
			ev, err := wms.NewEvent(fmt.Sprintf("kpi-%s-%d", badge, i), wms.EvScanRejected, badge, "pda", wms.ScanRejected{Task: "T-" + badge, Step: "item", Code: "X", Reason: "pick.wrong_item", Today: "2026-11-11"})
			if err != nil {
				t.Fatal(err)
			}
			ev.At = at
			if _, _, err := l.Append(context.Background(), ev); err != nil {
				t.Fatal(err)
			}
		}
	}
	return gapFrom
}

func kpiPeople(t *testing.T, text string) []string {
	t.Helper()
	var out kpiOut
	if err := json.Unmarshal([]byte(text), &out); err != nil {
		t.Fatalf("%v: %s", err, text)
	}
	var people []string
	for _, p := range out.People {
		people = append(people, p.Actor)
	}
	return people
}

// A picker sees only their own figures and explains only their own gaps;
// a supervisor sees and explains everyone's.
func TestKPIRoles(t *testing.T) {
	s, l := testServer(t)
	gaps := kpiHistory(t, l)
	picker := newClient(t, s)
	picker.login("B1001", "1111")
	if resp, text := picker.get("/api/v1/kpi?from=2026-11-11"); resp.StatusCode != 200 || strings.Join(kpiPeople(t, text), ",") != "B1001" {
		t.Fatalf("picker's own: %d %s", resp.StatusCode, text)
	}
	if resp, text := picker.get("/api/v1/kpi?from=2026-11-11&person=B1002"); resp.StatusCode != 403 || !strings.Contains(text, "only your own figures") {
		t.Fatalf("picker asking for another: %d %s", resp.StatusCode, text)
	}
	if resp, text := picker.get("/kpi.csv?from=2026-11-11"); resp.StatusCode != 200 || strings.Count(text, "\n") != 2 || !strings.Contains(text, "\nB1001,") {
		t.Fatalf("picker's csv: %d %s", resp.StatusCode, text)
	}
	if resp, _ := picker.get("/api/v1/kpi/calibration?from=2026-11-01&to=2026-11-11&kind=pick"); resp.StatusCode != 403 {
		t.Fatalf("picker calibrating: %d", resp.StatusCode)
	}
	picker.get("/pin") // a page, for the CSRF token
	gap := func(c *client, actor string, from time.Time, reason string) (int, string) {
		resp, text := c.do("POST", "/api/v1/kpi/gaps", strings.NewReader(fmt.Sprintf(`{"actor":%q,"from":%q,"reason":%q}`, actor, from.Format(time.RFC3339), reason)),
			map[string]string{"Content-Type": "application/json", "X-CSRF-Token": c.csrf, "Idempotency-Key": "gap-" + actor + reason})
		return resp.StatusCode, text
	}
	if st, text := gap(picker, "B1002", gaps["B1002"], "break"); st != 403 {
		t.Fatalf("picker explaining another's gap: %d %s", st, text)
	}
	if st, text := gap(picker, "B1001", gaps["B1001"], "break"); st != 200 || !strings.Contains(text, `"by":"B1001"`) {
		t.Fatalf("picker explaining their own gap: %d %s", st, text)
	}
	boss := newClient(t, s)
	boss.login("B4001", "4444")
	resp, text := boss.get("/api/v1/kpi?from=2026-11-11")
	if resp.StatusCode != 200 || strings.Join(kpiPeople(t, text), ",") != "B1001,B1002" {
		t.Fatalf("supervisor: %d %s", resp.StatusCode, text)
	}
	var out kpiOut
	_ = json.Unmarshal([]byte(text), &out)
	if p := out.People[0]; len(p.Gaps) != 1 || p.Gaps[0].Reason != "break" || p.BreakS != 1200 || p.Counts["wrong_scans"] != 5 {
		t.Fatalf("B1001: %+v", p)
	}
	if resp, text := boss.get("/api/v1/kpi?from=2026-11-11&person=B1002"); resp.StatusCode != 200 || strings.Join(kpiPeople(t, text), ",") != "B1002" {
		t.Fatalf("supervisor, one person: %d %s", resp.StatusCode, text)
	}
	if resp, text := boss.get("/api/v1/kpi?from=2026-11-11&role=packer"); resp.StatusCode != 200 || len(kpiPeople(t, text)) != 0 {
		t.Fatalf("supervisor, packers: %d %s", resp.StatusCode, text)
	}
	boss.get("/pin")
	if st, text := gap(boss, "B1002", gaps["B1002"], "meeting"); st != 200 || !strings.Contains(text, `"by":"B4001"`) {
		t.Fatalf("supervisor explaining a gap: %d %s", st, text)
	}
}

// Every outside input has a limit and a message in both languages.
func TestKPIQueryLimits(t *testing.T) {
	s, _ := testServer(t)
	boss := newClient(t, s)
	boss.login("B4001", "4444")
	for _, tc := range []struct{ query, en, zh string }{
		{"from=2026-13-01", "is not a time", "不是时间"},
		{"from=2026-11-11&to=2026-11-10", "ends before it starts", "结束早于开始"},
		{"from=2024-01-01&to=2026-11-11", "at most 366 days", "最多 366 天"},
		{"role=boss", "is not a role", "不是角色"},
		{"shift=lunch", "no shift called lunch", "没有名为 lunch 的班次"},
		{"person=" + strings.Repeat("B", 65), "give a staff badge", "请填写员工工牌号"},
		{"owner=NOPE", "", ""},
		{"from=" + strings.Repeat("9", 50), "is not a time", "不是时间"},
	} {
		for _, lang := range []string{"en", "zh-CN"} {
			boss.lang = lang
			resp, text := boss.get("/api/v1/kpi?" + tc.query)
			want := tc.en
			if lang == "zh-CN" {
				want = tc.zh
			}
			if resp.StatusCode < 400 || resp.StatusCode >= 500 || !strings.Contains(text, want) {
				t.Errorf("%s (%s): %d %s", tc.query, lang, resp.StatusCode, text)
			}
		}
	}
	boss.lang = "en"
	if resp, text := boss.get("/api/v1/kpi/calibration?from=2026-11-01&to=2026-11-11&kind=nap"); resp.StatusCode != 400 || !strings.Contains(text, "not a kind of work") {
		t.Errorf("calibration kind: %d %s", resp.StatusCode, text)
	}
	if resp, text := boss.get("/api/v1/kpi/calibration?from=2026-11-01&to=2026-11-11&kind=pick"); resp.StatusCode != 400 || !strings.Contains(text, "calibration needs at least 16") {
		t.Errorf("calibration without history: %d %s", resp.StatusCode, text)
	}
}
