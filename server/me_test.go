package server

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"tally/views"
	"tally/wms"
)

// meHistory gives the two demo pickers a morning of scans at 08:00 CST with
// one pause of 20 minutes each, at different times: B1001's starts at 00:02
// UTC, B1002's at 00:32 UTC. It returns where each pause starts.
func meHistory(t testing.TB, l *wms.Ledger) map[string]time.Time {
	t.Helper()
	gapFrom := map[string]time.Time{}
	for n, badge := range []string{"B1001", "B1002"} {
		at := time.Date(2026, 11, 11, 0, 30*n, 0, 0, time.UTC)
		for i, step := range []time.Duration{0, time.Minute, time.Minute, 20 * time.Minute, time.Minute} {
			at = at.Add(step)
			if i == 3 {
				gapFrom[badge] = at.Add(-step)
			}
			ev, err := wms.NewEvent(fmt.Sprintf("me-%s-%d", badge, i), wms.EvScanRejected, badge, "pda",
				wms.ScanRejected{Task: "T-" + badge, Step: "item", Code: "X", Reason: "pick.wrong_item", Today: "2026-11-11"})
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

func rfcNano(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// gapsOf reads a person's gaps of the test day.
func gapsOf(t testing.TB, l *wms.Ledger, badge string) []wms.GapFigure {
	t.Helper()
	f, err := l.Figures(wms.FiguresQuery{From: time.Date(2026, 11, 10, 16, 0, 0, 0, time.UTC), Person: badge})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.People) != 1 {
		t.Fatalf("%s: %d people", badge, len(f.People))
	}
	return f.People[0].Gaps
}

// A picker's /me shows their own figures and gaps, never another's: no
// query parameter changes whose; a supervisor's /me is their own (none).
func TestMyFiguresAreOwn(t *testing.T) {
	s, l := testServer(t)
	gaps := meHistory(t, l)
	for _, lang := range langs {
		t.Run(lang, func(t *testing.T) {
			picker := newClient(t, s)
			picker.lang = lang
			picker.login("B1001", "1111")
			_, home := picker.get("/")
			if !strings.Contains(home, `href="/me"`) || !strings.Contains(home, views.Translate(lang, "menu.me", nil)) {
				t.Fatalf("no link to My figures on the picker's home")
			}
			for _, path := range []string{"/me", "/me?person=B1002", "/me?actor=B1002&badge=B1002", "/me?from=2026-11-01&person=B1002"} {
				resp, page := picker.get(path)
				if resp.StatusCode != 200 {
					t.Fatalf("%s: %d %s", path, resp.StatusCode, page)
				}
				mine, theirs := `data-from="`+rfcNano(gaps["B1001"])+`"`, `data-from="`+rfcNano(gaps["B1002"])+`"`
				if !strings.Contains(page, mine) || strings.Contains(page, theirs) {
					t.Fatalf("%s: own gap shown %v, another's shown %v", path, strings.Contains(page, mine), strings.Contains(page, theirs))
				}
				if strings.Contains(page, "李娜") {
					t.Fatalf("%s names another picker", path)
				}
				// 3 minutes of direct work: too little data, in words, no band
				too := views.Translate(lang, "me.too_little", map[string]string{"n": "3", "min": "30"})
				if !strings.Contains(htmlUnescape(page), too) || strings.Contains(page, `data-band="green"`) {
					t.Fatalf("%s: no %q", path, too)
				}
				for _, want := range []string{views.Translate(lang, "me.std.pick_waist", map[string]string{"s": "8"}),
					views.Translate(lang, "me.std_allowance", map[string]string{"pct": "12"}),
					views.Translate(lang, "me.reason.replenishment", nil), `data-testid="me-reason-break"`, "<svg"} {
					if !strings.Contains(htmlUnescape(page), want) {
						t.Fatalf("%s: no %q", path, want)
					}
				}
			}
			boss := supervisor(t, s, lang)
			if resp, page := boss.get("/me?person=B1001"); resp.StatusCode != 200 || strings.Contains(page, "data-from=") ||
				!strings.Contains(page, views.Translate(lang, "me.nothing", nil)) {
				t.Fatalf("supervisor's own figures: %d", resp.StatusCode)
			}
		})
	}
}

// A worker gives a reason for their own gap with a big button; the same form
// sent again acts once; a form naming another's gap or a reason that is not
// one is refused in words, in both languages.
func TestMyGapReason(t *testing.T) {
	s, l := testServer(t)
	gaps := meHistory(t, l)
	picker := newClient(t, s)
	picker.login("B1001", "1111")
	_, page := picker.get("/me")
	key := regexpMust(`name="key" value="([0-9a-f-]{36})"`).FindStringSubmatch(page)
	if key == nil {
		t.Fatal("no form key on the page")
	}
	form := func(from time.Time, reason, key string) url.Values {
		return url.Values{"from": {rfcNano(from)}, "reason": {reason}, "key": {key}}
	}
	for i := range 2 {
		resp, page := picker.post("/me/gaps", form(gaps["B1001"], "replenishment", key[1]))
		if resp.StatusCode != 200 || !strings.Contains(page, views.Translate("en", "me.gap_explained", map[string]string{"reason": "me.reason.replenishment"})) {
			t.Fatalf("send %d: %d %s", i+1, resp.StatusCode, page)
		}
		if strings.Contains(page, `data-testid="me-gap"`) || !strings.Contains(page, `data-testid="me-explained"`) {
			t.Fatalf("send %d: the gap is still listed as unexplained", i+1)
		}
	}
	evs, err := l.EventsOfType(100, wms.EvGapExplained)
	if err != nil || len(evs) != 1 || evs[0].Actor != "B1001" {
		t.Fatalf("the form sent twice made %d events (%v)", len(evs), err)
	}
	if g := gapsOf(t, l, "B1001"); len(g) != 1 || g[0].Reason != "replenishment" || g[0].ReasonBy != "B1001" {
		t.Fatalf("B1001's gap: %+v", g)
	}
	cases := []struct {
		name   string
		form   url.Values
		status int
		key    string
		args   map[string]string
	}{
		{"another's gap", form(gaps["B1002"], "break", ""), 404, "gap.not_found", map[string]string{"actor": "B1001", "from": gaps["B1002"].Format(time.RFC3339)}},
		{"not a reason", form(gaps["B1001"], "smoking", ""), 400, "gap.reason_invalid", map[string]string{"reason": "smoking"}},
		{"a long reason", form(gaps["B1001"], strings.Repeat("x", 100), ""), 400, "gap.reason_invalid", map[string]string{"reason": strings.Repeat("x", 32)}},
		{"not a time", url.Values{"from": {"yesterday"}, "reason": {"break"}}, 400, "me.gap_invalid", nil},
		{"a long time", url.Values{"from": {strings.Repeat("9", 41)}, "reason": {"break"}}, 400, "me.gap_invalid", nil},
	}
	for _, lang := range langs {
		picker.lang = lang
		for _, tc := range cases {
			resp, page := picker.post("/me/gaps", tc.form)
			if want := views.Translate(lang, tc.key, tc.args); resp.StatusCode != tc.status || !strings.Contains(unmarked(page), want) {
				t.Errorf("%s, %s: %d, want %d and %q", lang, tc.name, resp.StatusCode, tc.status, want)
			}
		}
	}
	if g := gapsOf(t, l, "B1002"); len(g) != 1 || g[0].Reason != "" {
		t.Fatalf("B1002's gap changed: %+v", g)
	}
	// every dynamic key the page may show is worded
	for _, r := range wms.GapReasons {
		if !views.HasKey("me.reason." + r) {
			t.Errorf("no words for reason %s", r)
		}
	}
	for _, k := range wms.WorkKinds {
		for _, p := range []string{"me.kind.", "me.per_hour."} {
			if !views.HasKey(p + string(k)) {
				t.Errorf("no words for %s%s", p, k)
			}
		}
		if k != wms.WorkPick {
			for _, c := range []string{"_task", "_line", "_unit"} {
				if !views.HasKey("me.std." + string(k) + c) {
					t.Errorf("no words for me.std.%s%s", k, c)
				}
			}
		}
	}
}

// The live floor's exceptions fragment counts a weight reject as it lands,
// on the stream, and links to the queue.
func TestLiveExceptionsFragment(t *testing.T) {
	s, l := testServer(t)
	ctx := context.Background()
	fileStation(t, l, "PACK-G")
	no := "SO420002"
	_, lot := pickedOrder(t, l, no, "T42002")
	base := serve(t, s)
	boss := supervisor(t, s, "en")
	_, page := boss.get("/floor/live")
	if !strings.Contains(page, `id="live-exceptions"`) || strings.Contains(page, `data-testid="live-exc-weight_reject"`) {
		t.Fatal("the live floor has no exceptions fragment, or counts a weight reject before any")
	}
	_, ch := stream(t, base, boss)
	first := next(t, ch, 5*time.Second, "live-exceptions")
	if strings.Contains(first.data, "live-exc-weight_reject") {
		t.Fatalf("a weight reject before any: %s", first.data)
	}
	book, _ := l.SKU("SKU03000")
	milk, _ := l.SKU("SKU00002")
	for i, p := range []wms.PackScan{{GTIN: book.GTINs[0]}, {GTIN: book.GTINs[0]}, {GTIN: milk.GTINs[0], Lot: lot, Serial: "S-" + no}} {
		p.Order, p.Station, p.Qty = no, "PACK-G", 1
		if _, err := l.PackScan(ctx, fmt.Sprintf("%s-ps%d", no, i), p, "B2001", "kiosk"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.CloseParcel(ctx, "light2", wms.ParcelClose{Order: no, Station: "PACK-G", Box: "M2", WeightG: 10, Typed: true}, "B2001", "kiosk"); wms.ErrorCode(err) == "" {
		t.Fatal("a 10 g parcel passed the gate")
	}
	ev := next(t, ch, 5*time.Second, "live-exceptions")
	if !strings.Contains(ev.data, `data-testid="live-exc-weight_reject" data-n="1"`) || !strings.Contains(ev.data, `href="/exceptions?kind=weight_reject"`) ||
		!strings.Contains(ev.data, views.Translate("en", "exc.kind.weight_reject", nil)) {
		t.Fatalf("after a weight reject: %s", ev.data)
	}
}

// In a real browser at 360×640: a picker who picked opens My figures from
// the home screen, sees their figures fit the screen, and taps a reason for
// a gap with a thumb-sized button.
func TestBrowserMyFigures(t *testing.T) {
	ctx := browser(t)
	s, l := testServer(t)
	gaps := meHistory(t, l)
	task := activeTask(t, l, "SO930001")
	pickLine(t, l, task, "me-pick-1", "")
	base := serve(t, s)
	run := runner(t, ctx)
	loginAs(t, ctx, base, "B1001", "1111", "menu-me")
	run(chromedp.Click(`[data-testid=menu-me]`, chromedp.ByQuery))
	waitJS(t, ctx, `!!document.querySelector('[data-testid=me-today]')`)
	noWiderThan(t, ctx, 360)
	waitText(t, ctx, `[data-testid=me-today] [data-testid=me-counts]`, say("en", "me.counts", "lines", "1", "units", "1", "orders", "0"))
	sel := fmt.Sprintf(`form[data-from=%q] [data-testid=me-reason-waiting]`, rfcNano(gaps["B1001"]))
	var h float64
	run(chromedp.Evaluate(fmt.Sprintf(`document.querySelector(%q).getBoundingClientRect().height`, sel), &h))
	if h < 48 {
		t.Fatalf("the reason button is %.0f px high", h)
	}
	shot(t, ctx, "me-360x640")
	run(chromedp.Click(sel, chromedp.ByQuery))
	waitText(t, ctx, `[data-testid=me-explained]`, say("en", "me.reason.waiting"))
	waitText(t, ctx, `#main`, say("en", "me.gap_explained", "reason", "me.reason.waiting"))
	if g := gapsOf(t, l, "B1001"); len(g) == 0 || g[0].Reason != "waiting" || g[0].ReasonBy != "B1001" {
		t.Fatalf("after the tap: %+v", g)
	}
}
