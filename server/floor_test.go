package server

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"tally/wms"
)

func TestFloorPageReleasesWaves(t *testing.T) {
	s, l := testServer(t)
	for _, in := range []wms.OrderIntake{intake("SO200001", wms.LineIn{SKU: "SKU03000", Qty: 1}), intake("SO200002", wms.LineIn{SKU: "SKU03001", Qty: 1}, wms.LineIn{SKU: "SKU03002", Qty: 1})} {
		if _, _, err := l.ReceiveOrder(context.Background(), "", in, "oms", "test"); err != nil {
			t.Fatal(err)
		}
	}
	picker := newClient(t, s)
	picker.login("B1001", "1111")
	if r, _ := picker.get("/floor"); r.StatusCode != 403 {
		t.Errorf("picker on the floor page: %d", r.StatusCode)
	}
	c := newClient(t, s)
	c.login("B4001", "4444")
	_, page := c.get("/floor")
	if !strings.Contains(page, "2 new orders") {
		t.Fatalf("floor page:\n%s", page)
	}
	resp, page := c.post("/floor/waves", url.Values{"mode": {"cluster"}, "cluster_size": {"x"}})
	if resp.StatusCode != 400 || !strings.Contains(page, "whole number") {
		t.Errorf("bad cluster size: %d", resp.StatusCode)
	}
	resp, page = c.post("/floor/waves", url.Values{"mode": {"single"}, "lines": {"single"}, "key": {"3f1c1a52-5f0e-4a43-9d0c-1f7f3c7b0a11"}})
	if resp.StatusCode != 200 || !strings.Contains(page, "Orders: 1 · tasks: 1") {
		t.Fatalf("release: %d\n%s", resp.StatusCode, page)
	}
	// the same form sent twice (a double tap) releases once
	c.post("/floor/waves", url.Values{"mode": {"single"}, "lines": {"single"}, "key": {"3f1c1a52-5f0e-4a43-9d0c-1f7f3c7b0a11"}})
	if o, _ := l.Order("SO200002"); o.State != wms.OrderNew {
		t.Errorf("double submit released the multi-line order too: %s", o.State)
	}
	if !regexp.MustCompile(`action="/floor/autowave"[^>]*>\s*<input type="hidden" name="_csrf"[^>]*>\s*<input type="hidden" name="key" value="[0-9a-f-]{36}"`).MatchString(page) {
		t.Error("the auto-wave form has no key")
	}
	autowave := url.Values{"auto_wave": {"on"}, "key": {"9a1c1a52-5f0e-4a43-9d0c-1f7f3c7b0a11"}}
	if r, _ := c.post("/floor/autowave", autowave); r.StatusCode != 303 {
		t.Errorf("auto-wave toggle: %d", r.StatusCode)
	}
	if st, _ := l.Settings(); !st.AutoWave.Enabled {
		t.Error("auto-wave not on")
	}
	// turned off from another screen; the first form sent again changes nothing
	st, _ := l.Settings()
	st.AutoWave.Enabled = false
	if _, err := l.ChangeSettings(context.Background(), "", st, "B4001", "other"); err != nil {
		t.Fatal(err)
	}
	if r, _ := c.post("/floor/autowave", autowave); r.StatusCode != 303 {
		t.Errorf("auto-wave form again: %d", r.StatusCode)
	}
	if st, _ := l.Settings(); st.AutoWave.Enabled {
		t.Error("the form sent again turned auto-wave on a second time")
	}
	autowave.Set("auto_wave", "")
	if r, page := c.post("/floor/autowave", autowave); r.StatusCode != 409 || !strings.Contains(page, say("en", "form.already_sent")) {
		t.Errorf("the form's key with the box unticked: %d\n%s", r.StatusCode, page)
	}
	// the picker's screen has the task
	_, page = picker.get("/pick")
	if !strings.Contains(page, `data-testid="next-task"`) {
		t.Fatalf("pick page without a task:\n%s", page)
	}
	if r, _ := picker.post("/pick/next", url.Values{}); r.StatusCode != 303 || r.Header.Get("Location") != "/pick" {
		t.Errorf("next task: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	_, page = picker.get("/pick")
	if !strings.Contains(page, `data-task-id="W`) || !strings.Contains(page, "pick.js") {
		t.Errorf("pick page has no task")
	}
}

// The floor page names carriers and people as the floor knows them: 圆通速递
// or YTO Express rather than the account code YT, 张伟 rather than B1001.
func TestFloorPageSaysNames(t *testing.T) {
	s, l := testServer(t)
	ctx := context.Background()
	if _, err := l.SeedDemoOrders(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := l.ReleaseWave(ctx, wms.WaveFilter{Mode: wms.WaveSingle, MaxOrders: 2}, "wave-names", "B4001", "web"); err != nil {
		t.Fatal(err)
	}
	task, err := l.NextTask(ctx, "B1001", "pda-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.RejectScan(ctx, "rej-names", wms.ScanRejected{Task: task.ID, Line: 1, Step: "location", Code: "A09-09-09", Reason: "pick.wrong_location"}, "B1001", "pda-1"); err != nil {
		t.Fatal(err)
	}
	who := regexpMust(`data-testid="(?:task|kpi)-who">([^<]*)<`)
	carrier := regexpMust(`data-testid="carrier">([^:<]*):`)
	for _, lang := range langs {
		c := newClient(t, s)
		c.lang = lang
		c.login("B4001", "4444")
		_, page := c.get("/floor")
		named := 0
		for _, m := range who.FindAllStringSubmatch(page, -1) {
			switch m[1] {
			case "": // an open task nobody holds
			case "张伟":
				named++
			default:
				t.Errorf("%s: the floor page names the picker %q, want 张伟", lang, m[1])
			}
		}
		if named != 2 {
			t.Errorf("%s: 张伟 named %d times, want on his task and his figures:\n%s", lang, named, page)
		}
		carriers := carrier.FindAllStringSubmatch(page, -1)
		if len(carriers) != 3 {
			t.Fatalf("%s: carriers %v", lang, carriers)
		}
		for _, m := range carriers {
			if m[1] != say(lang, "carrier.SF") && m[1] != say(lang, "carrier.JD") && m[1] != say(lang, "carrier.YT") {
				t.Errorf("%s: carrier shown as %q", lang, m[1])
			}
		}
	}
}

// At the supervisor's desk (1280×800) in both languages: the floor page
// filtered to one owner says how many of that owner's orders wait, and its
// "Release wave" releases exactly those, never the other owners' orders
// (before, the form dropped the filter and released every owner's); the
// page stays on that owner afterwards.
func TestBrowserFloorReleasesTheChosenOwnersWave(t *testing.T) {
	brand := wms.DemoOwner.Code
	for _, lang := range langs {
		t.Run(lang, func(t *testing.T) {
			ctx := browserIn(t, lang, 1280, 800)
			s, l := twoOwnerServer(t)
			base := serve(t, s)
			run := runner(t, ctx)
			newOf := func() map[string]int {
				news, err := l.OrderBriefs(wms.OrderNew)
				if err != nil {
					t.Fatal(err)
				}
				n := map[string]int{}
				for _, o := range news {
					n[o.Owner]++
				}
				return n
			}
			before := newOf()
			if before[brand] == 0 || before[wms.DefaultOwner] == 0 {
				t.Fatalf("new orders by owner %v: the test needs both owners' orders", before)
			}
			loginAs(t, ctx, base, "B4001", "4444", "menu-floor")
			run(chromedp.Navigate(base + "/floor"))
			waitJS(t, ctx, `document.documentElement.dataset.ready === '1'`)
			run(chromedp.SetValue(`[data-testid=owner-filter] select`, brand, chromedp.ByQuery),
				chromedp.Submit(`[data-testid=owner-filter] select`, chromedp.ByQuery))
			waitText(t, ctx, `main h2`, say(lang, "floor.new_orders", "n", itoa(before[brand])))
			run(chromedp.Evaluate(`document.querySelector('[data-testid=release-wave]').click()`, nil))
			waitJS(t, ctx, `!!document.querySelector('[data-feedback=ok]')`)
			after := newOf()
			if after[brand] != 0 || after[wms.DefaultOwner] != before[wms.DefaultOwner] {
				t.Errorf("the wave released for %s left new orders %v (before %v): another owner's were taken", brand, after, before)
			}
			if got := evalString(t, ctx, `document.querySelector('[data-testid=owner-filter] select').value`); got != brand {
				t.Errorf("after the wave the floor shows owner %q, want %s", got, brand)
			}
			owners := evalString(t, ctx, `Array.from(document.querySelectorAll('[data-testid=task-owners]')).map(e => e.innerText).join('|')`)
			if !strings.Contains(owners, brand) || strings.Contains(owners, wms.DefaultOwner) {
				t.Errorf("the tasks on the %s floor are about %q", brand, owners)
			}
			noWiderThan(t, ctx, 1280)
			shot(t, ctx, "floor-owner-wave-"+lang+".png")
		})
	}
}
