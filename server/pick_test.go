package server

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"tally/wms"
)

func intake(no string, lines ...wms.LineIn) wms.OrderIntake {
	return wms.OrderIntake{No: no, Channel: "jd", Carrier: "SF", Recipient: wms.Recipient{Name: "李雷", Phone: "13912345678", Address: "北京市海淀区中关村大街 1 号"}, Lines: wms.OrderLines(lines...)}
}

func TestOrderAndPickAPI(t *testing.T) {
	s, l := testServer(t)
	admin, _ := l.CreateToken(context.Background(), "oms", wms.RoleAdmin, "test")
	picker, _ := l.CreateToken(context.Background(), "scanners", wms.RolePicker, "test")
	c := newClient(t, s)
	c.bearer = admin
	post := func(path string, body any, key string) (int, map[string]any) {
		raw, _ := json.Marshal(body)
		h := map[string]string{"Content-Type": "application/json"}
		if key != "" {
			h["Idempotency-Key"] = key
		}
		resp, text := c.do("POST", path, strings.NewReader(string(raw)), h)
		var out map[string]any
		_ = json.Unmarshal([]byte(text), &out)
		return resp.StatusCode, out
	}
	order := intake("SO900001", wms.LineIn{SKU: "SKU03000", Qty: 2})
	if st, body := post("/api/v1/orders", order, ""); st != 201 || body["state"] != "new" {
		t.Fatalf("new order: %d %v", st, body)
	}
	if st, _ := post("/api/v1/orders", order, ""); st != 200 {
		t.Errorf("same order again: %d", st)
	}
	if st, body := post("/api/v1/orders", map[string]any{"no": "SO9", "colour": "red"}, ""); st != 400 || body["code"] != "invalid" {
		t.Errorf("unknown field: %d %v", st, body)
	}
	if st, body := post("/api/v1/orders", intake("SO900002", wms.LineIn{SKU: "NOPE", Qty: 1}), ""); st != 404 {
		t.Errorf("unknown sku: %d %v", st, body)
	}
	c.bearer = picker
	if st, _ := post("/api/v1/orders", order, ""); st != 403 {
		t.Errorf("picker made an order: %d", st)
	}
	c.bearer = admin
	if st, body := post("/api/v1/waves", map[string]any{"mode": "single"}, "w-1"); st != 201 || len(body["tasks"].([]any)) != 1 {
		t.Fatalf("wave: %d %v", st, body)
	}
	if st, _ := post("/api/v1/waves", map[string]any{"mode": "single"}, "w-2"); st != 404 {
		t.Errorf("empty wave: %d", st)
	}
	// a picker's handheld: next task, then scans
	c.bearer = picker
	hdr := map[string]string{"X-Tally-Device": "pda-7"}
	resp, text := c.do("POST", "/api/v1/tasks/next", nil, hdr)
	var task wms.Task
	if err := json.Unmarshal([]byte(text), &task); err != nil || resp.StatusCode != 200 || task.Actor != "token:scanners/pda-7" {
		t.Fatalf("next: %d %s", resp.StatusCode, text)
	}
	line := task.Lines[0]
	scan := func(key string, body map[string]any) (int, string) {
		raw, _ := json.Marshal(body)
		h := map[string]string{"Content-Type": "application/json", "X-Tally-Device": "pda-7"}
		if key != "" {
			h["Idempotency-Key"] = key
		}
		r, text := c.do("POST", "/api/v1/tasks/"+task.ID+"/scans", strings.NewReader(string(raw)), h)
		return r.StatusCode, text
	}
	ean := line.GTINs[0][1:]
	cases := []struct {
		name, key string
		body      map[string]any
		status    int
		says      string
	}{
		{"no key", "", map[string]any{"type": "pick", "line": line.N, "location": line.Location, "codes": []string{ean}}, 400, "Idempotency-Key"},
		{"wrong location", "k1", map[string]any{"type": "pick", "line": line.N, "location": "A04-10-03", "codes": []string{ean}}, 409, "Wrong location"},
		{"not an item", "k2", map[string]any{"type": "pick", "line": line.N, "location": line.Location, "codes": []string{"T00001"}}, 400, "not an item"},
		{"bad check digit", "k3", map[string]any{"type": "pick", "line": line.N, "location": line.Location, "codes": []string{ean[:12] + "0"}}, 400, "check digit"},
		{"bad type", "k4", map[string]any{"type": "teleport"}, 400, ""},
		{"pick one", "k5", map[string]any{"type": "pick", "line": line.N, "location": line.Location, "codes": []string{ean}}, 200, `"done":1`},
		{"same scan again", "k5", map[string]any{"type": "pick", "line": line.N, "location": line.Location, "codes": []string{ean}}, 200, `"done":1`},
		{"too many", "k6", map[string]any{"type": "pick", "line": line.N, "location": line.Location, "codes": []string{ean}, "qty": 5}, 409, "Only 1 left"},
		{"wrong scan record", "k7", map[string]any{"type": "reject", "line": line.N, "step": "location", "code": "B01-01-01", "reason": "pick.wrong_location"}, 200, ""},
		{"last one", "k8", map[string]any{"type": "pick", "line": line.N, "location": line.Location, "codes": []string{ean}}, 200, `"state":"done"`},
	}
	for _, tc := range cases {
		st, text := scan(tc.key, tc.body)
		if st != tc.status || !strings.Contains(text, tc.says) {
			t.Errorf("%s: %d %s", tc.name, st, text)
		}
	}
	if o, _ := l.Order("SO900001"); o.State != wms.OrderPicked || o.Lines[0].Picked != 2 {
		t.Errorf("order after picks: %s %d", o.State, o.Lines[0].Picked)
	}
	kpi, _ := l.KPIs(l.Today())
	k := kpi["token:scanners/pda-7"]
	// refused: wrong location (409) and not-an-item and check digit (400) and too many (409), plus one reported by the handheld
	if k.Units != 2 || k.Errors != 5 {
		t.Errorf("kpis %+v", k)
	}
	// cancel after picking: a put-back task appears
	c.bearer = admin
	if st, body := post("/api/v1/orders/SO900001/cancel", map[string]any{"reason": "buyer"}, ""); st != 200 || body["state"] != "cancelled" {
		t.Fatalf("cancel: %d %v", st, body)
	}
	c.bearer = picker
	_, text = c.do("POST", "/api/v1/tasks/next", nil, hdr)
	if !strings.Contains(text, `"kind":"putback"`) {
		t.Errorf("put-back task not handed out: %s", text)
	}
}

// A picker does a three-line cluster pick with nothing but wedge scans; the
// network drops in the middle, the scans queue on the handheld and are
// replayed when it returns; stock and orders end exactly right.
func TestBrowserClusterPickThroughOutage(t *testing.T) {
	ctx := browser(t)
	s, l := testServer(t)
	for _, in := range []wms.OrderIntake{
		intake("SO100001", wms.LineIn{SKU: "SKU03000", Qty: 2}, wms.LineIn{SKU: "SKU00001", Qty: 1}),
		intake("SO100002", wms.LineIn{SKU: "SKU04000", Qty: 1}),
	} {
		if _, _, err := l.ReceiveOrder(context.Background(), "", in, "oms", "test"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.ReleaseWave(context.Background(), wms.WaveFilter{Mode: wms.WaveCluster, ClusterSize: 4}, "w", "B4001", "test"); err != nil {
		t.Fatal(err)
	}
	base := serve(t, s)
	run := runner(t, ctx)
	loginAs(t, ctx, base, "B1001", "1111", "menu-pick")
	run(chromedp.Evaluate(`document.querySelector('[data-testid=menu-pick]').click()`, nil))
	waitText(t, ctx, `[data-testid=next-task]`, "Next task")
	run(chromedp.Evaluate(`document.querySelector('[data-testid=next-task]').click()`, nil))
	waitJS(t, ctx, `!!document.getElementById('pick') && document.documentElement.dataset.ready === '1'`)
	task, err := l.NextTask(context.Background(), "B1001", "x") // the same task, seen from the ledger
	if err != nil || len(task.Lines) != 3 {
		t.Fatalf("task %+v %v", task, err)
	}
	totes := map[string]string{"SO100001": "T10001", "SO100002": "T10002"}
	qtyAt := func(tl wms.TaskLine) int64 {
		lines, _ := l.StockAt(tl.Location)
		for _, x := range lines {
			if x.SKU == tl.SKU && x.Lot == tl.Lot {
				return x.Qty
			}
		}
		return 0
	}
	before := map[int]int64{}
	for _, tl := range task.Lines {
		before[tl.N] = qtyAt(tl)
	}
	code := func(l wms.TaskLine) string {
		if l.LotTracked {
			return "]C101" + l.GTINs[0] + "10" + l.Lot
		}
		return l.GTINs[0][1:]
	}
	pickLine := func(l wms.TaskLine) {
		t.Helper()
		waitFocus(t, ctx, "scan")
		waitJS(t, ctx, fmt.Sprintf(`document.getElementById('pick').dataset.line === '%d' && document.getElementById('pick').dataset.step === 'location'`, l.N))
		run(wedge("A99-99-99")) // the wrong shelf first: refused on the handheld, recorded
		waitText(t, ctx, `[data-testid=pick-msg]`, "Wrong location")
		run(wedge(l.Location))
		waitJS(t, ctx, `document.getElementById('pick').dataset.step === 'item'`)
		for i := int64(0); i < l.Qty; i++ {
			run(wedge(code(l)))
		}
		waitJS(t, ctx, `document.getElementById('pick').dataset.step === 'tote'`)
		run(wedge(totes[l.Order]))
	}
	waitFocus(t, ctx, "scan")
	shot(t, ctx, "pick-start.png")
	pickLine(task.Lines[0])
	waitJS(t, ctx, `document.getElementById('pick').dataset.queue === '0'`)

	// the Wi-Fi drops
	run(network.EmulateNetworkConditions(true, 0, -1, -1))
	pickLine(task.Lines[1])
	pickLine(task.Lines[2])
	waitJS(t, ctx, `document.getElementById('queue').hidden === false && document.getElementById('queue').textContent.indexOf('scans waiting') >= 0`)
	waitText(t, ctx, `[data-testid=pick-step]`, "still to send")
	waitJS(t, ctx, `document.querySelector('[data-testid=next-task]').offsetParent === null`) // no next task until the scans are sent
	shot(t, ctx, "pick-offline.png")
	mid, _ := l.Task(task.ID)
	if mid.Lines[1].Done != 0 || mid.Lines[2].Done != 0 {
		t.Fatalf("scans reached the server while it was unreachable: %+v", mid.Lines)
	}

	// the Wi-Fi returns: the queue replays in order, each scan once
	run(network.EmulateNetworkConditions(false, 0, -1, -1))
	waitJS(t, ctx, `document.getElementById('pick').dataset.queue === '0'`)
	waitText(t, ctx, `[data-testid=pick-done]`, "Task complete")
	waitJS(t, ctx, `document.querySelector('[data-testid=next-task]').offsetParent !== null && document.querySelector('[data-testid=btn-undo]').offsetParent === null`)
	done, _ := l.Task(task.ID)
	if done.State != wms.TaskDone {
		t.Errorf("task %s", done.State)
	}
	for _, no := range []string{"SO100001", "SO100002"} {
		o, _ := l.Order(no)
		if o.State != wms.OrderPicked || o.Tote != totes[no] {
			t.Errorf("%s: %s in tote %q", no, o.State, o.Tote)
		}
	}
	for _, tl := range task.Lines {
		if got := qtyAt(tl); got != before[tl.N]-tl.Qty {
			t.Errorf("%s %s at %s: %d, want %d", tl.SKU, tl.Lot, tl.Location, got, before[tl.N]-tl.Qty)
		}
	}
	kpi, _ := l.KPIs(l.Today())
	if k := kpi["B1001"]; k.Lines != 3 || k.Units != 4 || k.Errors != 3 {
		t.Errorf("kpis %+v, want 3 lines, 4 units, 3 wrong scans", k)
	}
}

// The path a newcomer takes after `go run . --demo`, in real browsers: the
// supervisor sees the demo's orders on the floor page and releases a wave
// with the form's defaults; a picker on a handheld then gets a task of them.
func TestBrowserDemoWaveReachesPicker(t *testing.T) {
	s, l := testServer(t)
	if _, err := l.SweepExpired(context.Background()); err != nil {
		t.Fatal(err)
	}
	all := len(wms.DemoOrders(l.Now().In(l.Zone()))) // both demo owners'
	if n, err := l.SeedDemoOrders(context.Background()); err != nil || n != all {
		t.Fatalf("demo orders: %d %v", n, err)
	}
	base := serve(t, s)

	sup := browser(t)
	run := runner(t, sup)
	loginAs(t, sup, base, "B4001", "4444", "menu-floor")
	run(chromedp.Evaluate(`document.querySelector('[data-testid=menu-floor]').click()`, nil))
	waitText(t, sup, `main h2`, strconv.Itoa(all)+" new orders")
	run(chromedp.Evaluate(`document.querySelector('[data-testid=release-wave]').click()`, nil))
	waitJS(t, sup, `document.querySelectorAll('[data-testid=task-table] tbody tr').length > 0`)
	shot(t, sup, "demo-floor.png")
	if news, err := l.OrderBriefs(wms.OrderNew); err != nil || len(news) != 0 {
		t.Errorf("%d demo orders still new after the wave (%v)", len(news), err)
	}

	pda := browser(t)
	run = runner(t, pda)
	loginAs(t, pda, base, "B1001", "1111", "menu-pick")
	run(chromedp.Evaluate(`document.querySelector('[data-testid=menu-pick]').click()`, nil))
	waitText(t, pda, `[data-testid=next-task]`, "Next task")
	run(chromedp.Evaluate(`document.querySelector('[data-testid=next-task]').click()`, nil))
	waitJS(t, pda, `!!document.getElementById('pick') && document.documentElement.dataset.ready === '1'`)
	task, err := l.ActiveTaskOf("B1001")
	if err != nil || task == nil || task.Kind != wms.TaskPick || len(task.Lines) == 0 || !strings.HasPrefix(task.Lines[0].Order, "SO9000") {
		t.Fatalf("the picker's task: %+v %v", task, err)
	}
	waitText(t, pda, `[data-testid=pick-loc]`, task.Lines[0].Location)
	shot(t, pda, "demo-pick.png")
}

// pickScreen releases one wave of the orders and opens the pick screen of
// picker B1001 at 360×640 in lang, with the wave's first task in hand.
func pickScreen(t *testing.T, lang string, mode wms.WaveMode, orders ...wms.OrderIntake) (context.Context, *wms.Ledger, wms.Task) {
	t.Helper()
	s, l := testServer(t)
	bg := context.Background()
	for _, in := range orders {
		if _, _, err := l.ReceiveOrder(bg, "", in, "oms", "test"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.ReleaseWave(bg, wms.WaveFilter{Mode: mode, ClusterSize: 4}, "w-"+orders[0].No, "B4001", "test"); err != nil {
		t.Fatal(err)
	}
	base := serve(t, s)
	ctx := browserIn(t, lang, 360, 640)
	openPickTask(t, ctx, base)
	task, err := l.ActiveTaskOf("B1001")
	if err != nil || task == nil {
		t.Fatalf("no task in hand: %v", err)
	}
	return ctx, l, *task
}

// openPickTask logs B1001 in and takes the next task.
func openPickTask(t *testing.T, ctx context.Context, base string) {
	t.Helper()
	run := runner(t, ctx)
	loginAs(t, ctx, base, "B1001", "1111", "menu-pick")
	run(chromedp.Navigate(base + "/pick"))
	waitJS(t, ctx, `document.documentElement.dataset.ready === '1' && !!document.querySelector('[data-testid=next-task]')`)
	run(chromedp.Evaluate(`document.querySelector('[data-testid=next-task]').click()`, nil))
	waitJS(t, ctx, `!!document.getElementById('pick') && document.documentElement.dataset.ready === '1'`)
	waitFocus(t, ctx, "scan")
}

// itemCode is what the scanner reads from a unit of the line's item.
func itemCode(l wms.TaskLine) string {
	if l.LotTracked {
		return "]C101" + l.GTINs[0] + "10" + l.Lot
	}
	return l.GTINs[0][1:]
}

// pickAttr waits until the pick screen is at a line and step.
func atStep(t *testing.T, ctx context.Context, line int, step string) {
	t.Helper()
	waitJS(t, ctx, fmt.Sprintf(`document.getElementById('pick').dataset.line === '%d' && document.getElementById('pick').dataset.step === '%s'`, line, step))
}

// feedbackIs waits for the pick screen's answer to say want, of kind ok, error or note.
func feedbackIs(t *testing.T, ctx context.Context, kind, want string) {
	t.Helper()
	waitJS(t, ctx, fmt.Sprintf(`(function(){ var m = document.querySelector('[data-testid=pick-msg]'); return !m.hidden && m.dataset.feedback === %q && m.textContent === %q })()`, kind, want))
}

func lineOf(t *testing.T, task wms.Task, sku string) wms.TaskLine {
	t.Helper()
	for _, l := range task.Lines {
		if l.SKU == sku {
			return l
		}
	}
	t.Fatalf("task %s has no line of %s", task.ID, sku)
	return wms.TaskLine{}
}

// Issue 9, point 2: in cluster picking, an item read twice where the tote is
// expected is another unit while the line needs more, and otherwise a
// reminder to scan the tote; neither loses a unit or counts as a wrong scan.
// A wrong code at the tote step, or a tote the server refuses, keeps the
// units in hand too.
func TestBrowserPickDoubleReadAtTote(t *testing.T) {
	for _, lang := range langs {
		t.Run(lang, func(t *testing.T) {
			s, l := testServer(t)
			bg := context.Background()
			// another picker's order already fills tote T29999
			if _, _, err := l.ReceiveOrder(bg, "", intake("SO200009", wms.LineIn{SKU: "SKU03005", Qty: 1}), "oms", "test"); err != nil {
				t.Fatal(err)
			}
			if _, err := l.ReleaseWave(bg, wms.WaveFilter{Mode: wms.WaveSingle}, "w-other", "B4001", "test"); err != nil {
				t.Fatal(err)
			}
			other, err := l.NextTask(bg, "B1002", "pda-2")
			if err != nil {
				t.Fatal(err)
			}
			ol := other.Lines[0]
			if _, _, err := l.Pick(bg, "other-1", wms.PickScan{Task: other.ID, Line: ol.N, Location: ol.Location, Items: []wms.ScannedItem{{GTIN: ol.GTINs[0]}}, Qty: 1, Tote: "T29999"}, "B1002", "pda-2"); err != nil {
				t.Fatal(err)
			}
			for _, in := range []wms.OrderIntake{intake("SO200001", wms.LineIn{SKU: "SKU03000", Qty: 1}), intake("SO200002", wms.LineIn{SKU: "SKU03001", Qty: 3})} {
				if _, _, err := l.ReceiveOrder(bg, "", in, "oms", "test"); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := l.ReleaseWave(bg, wms.WaveFilter{Mode: wms.WaveCluster, ClusterSize: 4}, "w-2", "B4001", "test"); err != nil {
				t.Fatal(err)
			}
			ctx := browserIn(t, lang, 360, 640)
			openPickTask(t, ctx, serve(t, s))
			task, _ := l.ActiveTaskOf("B1001")
			run := runner(t, ctx)
			one, three := lineOf(t, *task, "SKU03000"), lineOf(t, *task, "SKU03001")
			qty := func(done, of string) string { return say(lang, "pick.qty_line", "done", done, "qty", of) }

			atStep(t, ctx, one.N, "location")
			run(wedge(one.Location))
			atStep(t, ctx, one.N, "item")
			run(wedge(itemCode(one)), wedge(itemCode(one))) // the scanner reads the item twice
			feedbackIs(t, ctx, "note", say(lang, "pick.tote_now", "n", "1", "order", "SO200001"))
			atStep(t, ctx, one.N, "tote")
			waitText(t, ctx, `[data-testid=pick-qty]`, qty("1", "1"))
			run(wedge(one.Location)) // not a tote: refused, the unit stays in hand
			feedbackIs(t, ctx, "error", say(lang, "pick.location_not_tote", "location", one.Location, "order", "SO200001"))
			atStep(t, ctx, one.N, "tote")
			waitText(t, ctx, `[data-testid=pick-qty]`, qty("1", "1"))
			run(wedge("T20001"))

			// a case of three: one scanned, one counted, one more scanned at the tote step
			atStep(t, ctx, three.N, "location")
			run(wedge(three.Location))
			atStep(t, ctx, three.N, "item")
			run(wedge(itemCode(three)))
			run(chromedp.Evaluate(`document.querySelector('[data-testid=btn-count]').click()`, nil))
			waitFocus(t, ctx, "count-n")
			run(chromedp.KeyEvent("1\r"))
			atStep(t, ctx, three.N, "tote")
			waitText(t, ctx, `[data-testid=pick-qty]`, qty("2", "3"))
			run(wedge(itemCode(three)))
			waitText(t, ctx, `[data-testid=pick-qty]`, qty("3", "3"))
			run(wedge(itemCode(three)))
			feedbackIs(t, ctx, "note", say(lang, "pick.tote_now", "n", "3", "order", "SO200002"))
			// a tote that holds another task's order: the server refuses, the units stay
			run(wedge("T29999"))
			feedbackIs(t, ctx, "error", say(lang, "pick.tote_in_use", "tote", "T29999"))
			atStep(t, ctx, three.N, "tote")
			waitText(t, ctx, `[data-testid=pick-qty]`, qty("3", "3"))
			run(wedge("T20002"))
			waitJS(t, ctx, `document.getElementById('pick').dataset.queue === '0' && !document.querySelector('[data-testid=pick-done]').hidden`)
			noWiderThan(t, ctx, 360)

			for no, tote := range map[string]string{"SO200001": "T20001", "SO200002": "T20002"} {
				if o, _ := l.Order(no); o.State != wms.OrderPicked || o.Tote != tote {
					t.Errorf("%s: %s in tote %q", no, o.State, o.Tote)
				}
			}
			kpi, _ := l.KPIs(l.Today())
			if k := kpi["B1001"]; k.Units != 4 || k.Errors != 2 {
				t.Errorf("kpis %+v, want 4 units and 2 wrong scans (the shelf label and the full tote at the tote step)", k)
			}
		})
	}
}

// Cluster picking at a shelf that holds fewer than the line asks: the units
// scanned go into the tote when it is scanned (before, the tote was refused
// until the line was full, and Short threw the units in hand away and
// reported the whole line short), and Short then reports the rest. Short
// with units in hand asks for the tote first.
func TestBrowserClusterShortShelfKeepsUnitsInHand(t *testing.T) {
	for _, lang := range langs {
		t.Run(lang, func(t *testing.T) {
			ctx, l, task := pickScreen(t, lang, wms.WaveCluster, intake("SO210001", wms.LineIn{SKU: "SKU03000", Qty: 1}), intake("SO210002", wms.LineIn{SKU: "SKU03001", Qty: 3}))
			run := runner(t, ctx)
			one, three := lineOf(t, task, "SKU03000"), lineOf(t, task, "SKU03001")
			qty := func(done, of string) string { return say(lang, "pick.qty_line", "done", done, "qty", of) }

			atStep(t, ctx, one.N, "location")
			run(wedge(one.Location))
			atStep(t, ctx, one.N, "item")
			run(wedge(itemCode(one)))
			atStep(t, ctx, one.N, "tote")
			run(wedge("T21001"))

			atStep(t, ctx, three.N, "location")
			run(wedge(three.Location))
			atStep(t, ctx, three.N, "item")
			run(wedge(itemCode(three)), wedge(itemCode(three))) // two of the three on the shelf
			waitText(t, ctx, `[data-testid=pick-qty]`, qty("2", "3"))
			run(chromedp.Evaluate(`document.querySelector('[data-testid=btn-short]').click()`, nil),
				chromedp.Evaluate(`document.querySelector('[data-testid=short-empty]').click()`, nil))
			feedbackIs(t, ctx, "error", say(lang, "pick.tote_before_short", "n", "2", "qty", "2", "order", "SO210002"))
			waitText(t, ctx, `[data-testid=pick-qty]`, qty("2", "3"))
			// the picker opened Count and then scanned the tote: the scan is a
			// scan (before, the scanner typed it into the count box)
			run(chromedp.Evaluate(`document.querySelector('[data-testid=btn-count]').click()`, nil))
			waitFocus(t, ctx, "count-n")
			run(wedge("T21002")) // the tote at the item step: the two go in
			waitJS(t, ctx, `document.getElementById('pick').dataset.queue === '0'`)
			atStep(t, ctx, three.N, "item")
			waitJS(t, ctx, `document.getElementById('pick-count').hidden`)
			run(chromedp.Evaluate(`document.querySelector('[data-testid=btn-short]').click()`, nil),
				chromedp.Evaluate(`document.querySelector('[data-testid=short-empty]').click()`, nil))
			waitJS(t, ctx, `document.getElementById('pick').dataset.queue === '0' && !document.querySelector('[data-testid=pick-done]').hidden`)

			got, err := l.Task(task.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, ln := range got.Lines {
				if ln.N == three.N && (ln.Done != 2 || ln.Short != 1) {
					t.Errorf("the short line: %d picked, %d short; want 2 and 1", ln.Done, ln.Short)
				}
			}
			if o, _ := l.Order("SO210002"); o.Tote != "T21002" {
				t.Errorf("SO210002 in tote %q", o.Tote)
			}
			kpi, _ := l.KPIs(l.Today())
			if k := kpi["B1001"]; k.Units != 3 {
				t.Errorf("kpis %+v, want the 3 units picked", k)
			}
		})
	}
}

// Issue 9, point 7: a scan of the wrong kind says what it was and what comes
// next, in pick and in put-back tasks.
func TestBrowserPickSaysWhatWasScanned(t *testing.T) {
	for _, lang := range langs {
		t.Run(lang, func(t *testing.T) {
			ctx, l, task := pickScreen(t, lang, wms.WaveSingle, intake("SO300001", wms.LineIn{SKU: "SKU03000", Qty: 1}))
			run := runner(t, ctx)
			ln := task.Lines[0]
			name := ln.SKU + " " + ln.Name
			atStep(t, ctx, ln.N, "location")
			for _, tc := range []struct{ code, key string }{
				{itemCode(ln), "pick.item_not_location"},
				{"]C101" + ln.GTINs[0], "pick.item_not_location"},
				{"T12345", "pick.tote_not_location"},
				{"C04-01-03", "pick.wrong_location"},
				{"HELLO", "pick.not_location"},
			} {
				run(wedge(tc.code))
				feedbackIs(t, ctx, "error", say(lang, tc.key, "location", tc.code, "tote", tc.code, "code", tc.code, "want", ln.Location))
				atStep(t, ctx, ln.N, "location")
			}
			run(wedge("]C0" + ln.Location)) // with the symbology identifier a scanner may send first
			atStep(t, ctx, ln.N, "item")
			run(wedge(ln.Location)) // the shelf label again
			feedbackIs(t, ctx, "note", say(lang, "pick.location_again", "name", name))
			for _, tc := range []struct{ code, key string }{
				{"T12345", "pick.tote_not_item"},
				{"C04-01-03", "pick.location_not_item"},
				{"6901234567892", "pick.wrong_item"},
				{"HELLO", "pick.not_item"},
			} {
				run(wedge(tc.code))
				feedbackIs(t, ctx, "error", say(lang, tc.key, "location", tc.code, "tote", tc.code, "code", tc.code, "name", name, "want", ln.Location))
				atStep(t, ctx, ln.N, "item")
			}
			run(wedge(itemCode(ln)))
			waitJS(t, ctx, `document.getElementById('pick').dataset.queue === '0' && !document.querySelector('[data-testid=pick-done]').hidden`)

			// the order is cancelled: the unit goes back to its shelf
			if _, err := l.CancelOrder(context.Background(), "SO300001", "buyer", "c-1", "B4001", "test"); err != nil {
				t.Fatal(err)
			}
			waitFocus(t, ctx, "next-task")
			run(chromedp.KeyEvent("\r"))
			waitJS(t, ctx, `!!document.getElementById('pick') && document.documentElement.dataset.ready === '1' && document.getElementById('pick').dataset.step === 'location'`)
			back, _ := l.ActiveTaskOf("B1001")
			if back == nil || back.Kind != wms.TaskPutBack {
				t.Fatalf("task in hand %+v, want the put-back", back)
			}
			pl := back.Lines[0]
			run(wedge(itemCode(pl)))
			feedbackIs(t, ctx, "error", say(lang, "pick.item_not_location", "want", pl.Location))
			run(wedge(pl.Location))
			atStep(t, ctx, pl.N, "item")
			run(wedge(pl.Location))
			feedbackIs(t, ctx, "note", say(lang, "pick.location_again", "name", pl.SKU+" "+pl.Name))
			run(wedge(itemCode(pl)))
			waitText(t, ctx, `[data-testid=pick-where]`, say(lang, "pick.done_putback"))
			kpi, _ := l.KPIs(l.Today())
			if k := kpi["B1001"]; k.Errors != 10 {
				t.Errorf("kpis %+v, want the 10 wrong scans (a shelf label read twice is none)", k)
			}
		})
	}
}

// Issue 9, points 9 and 10: after a pick the answer names what was picked
// (never a bare "1 / 1" above the next line's "0 / 2"), and a line without a
// lot shows its order without a stray separator.
func TestBrowserPickFeedbackAndMeta(t *testing.T) {
	for _, lang := range langs {
		t.Run(lang, func(t *testing.T) {
			ctx, _, task := pickScreen(t, lang, wms.WaveSingle, intake("SO400001", wms.LineIn{SKU: "SKU03000", Qty: 1}, wms.LineIn{SKU: "SKU04000", Qty: 2}))
			run := runner(t, ctx)
			first, second := task.Lines[0], task.Lines[1]
			atStep(t, ctx, first.N, "location")
			meta := evalString(t, ctx, `document.getElementById('pick-meta').textContent`)
			if want := say(lang, "pick.order_tote", "order", "SO400001", "tote", "—"); meta != want {
				t.Errorf("line without a lot: meta %q, want %q", meta, want)
			}
			run(wedge(first.Location), wedge(itemCode(first)))
			atStep(t, ctx, second.N, "location")
			feedbackIs(t, ctx, "ok", say(lang, "pick.picked", "qty", "1", "sku", first.SKU))
			waitText(t, ctx, `[data-testid=pick-qty]`, say(lang, "pick.qty_line", "done", "0", "qty", "2"))
			// the next shelf's scan clears the last answer
			run(wedge(second.Location))
			atStep(t, ctx, second.N, "item")
			waitJS(t, ctx, `document.querySelector('[data-testid=pick-msg]').hidden`)
			noWiderThan(t, ctx, 360)
		})
	}
}

// Issue 9, points 13 and 17: the offline banner counts in the user's words
// ("1 scan waiting") and covers nothing on a 360×640 screen, wherever it is
// scrolled.
func TestBrowserPickOfflineBanner(t *testing.T) {
	for _, lang := range langs {
		t.Run(lang, func(t *testing.T) {
			// a lot-tracked line: its lot, expiry and order fill the card
			ctx, _, task := pickScreen(t, lang, wms.WaveSingle, intake("SO500001", wms.LineIn{SKU: "SKU00001", Qty: 1}, wms.LineIn{SKU: "SKU03000", Qty: 1}))
			run := runner(t, ctx)
			first := lineOf(t, task, "SKU00001")
			atStep(t, ctx, first.N, "location")
			run(network.EmulateNetworkConditions(true, 0, -1, -1))
			run(wedge("HELLO")) // refused on the handheld; its record waits for the network
			waitJS(t, ctx, `document.querySelector('[data-testid=pick-msg]').dataset.feedback === 'error'`)
			waitJS(t, ctx, `!document.getElementById('queue').hidden`)
			waitText(t, ctx, `#queue`, say(lang, "app.offline", "n", "1"))
			covered := `(function(){
				var b = document.getElementById('queue').getBoundingClientRect(), out = [];
				if (b.top < 0 || b.bottom > window.innerHeight) out.push('banner outside the screen');
				document.querySelectorAll('#main *').forEach(function (e) {
					if (e.id === 'queue' || e.contains(document.getElementById('queue')) || !e.offsetParent) return;
					var r = e.getBoundingClientRect();
					if (r.width && r.height && r.left < b.right && r.right > b.left && r.top < b.bottom && r.bottom > b.top) out.push(e.id || e.tagName);
				});
				return out.join(' ');
			})()`
			for _, y := range []string{"0", "document.documentElement.scrollHeight"} {
				run(chromedp.Evaluate(`window.scrollTo(0, `+y+`)`, nil))
				if got := evalString(t, ctx, covered); got != "" {
					t.Errorf("scrolled to %s, the offline banner covers %s; %s", y, got, dump(ctx))
				}
			}
			noWiderThan(t, ctx, 360)
			run(network.EmulateNetworkConditions(false, 0, -1, -1))
			waitJS(t, ctx, `document.getElementById('pick').dataset.queue === '0' && document.getElementById('queue').hidden`)
		})
	}
}

// Issue 9, point 19: the finished task says where the totes go, and the next
// task is one Enter away (nothing is left to scan).
func TestBrowserPickDoneSaysWhereToGo(t *testing.T) {
	for _, lang := range langs {
		t.Run(lang, func(t *testing.T) {
			ctx, _, task := pickScreen(t, lang, wms.WaveCluster, intake("SO600001", wms.LineIn{SKU: "SKU03000", Qty: 1}), intake("SO600002", wms.LineIn{SKU: "SKU04000", Qty: 1}))
			run := runner(t, ctx)
			// the first line's order goes into the higher tote: the list is sorted all the same
			totes := map[string]string{task.Lines[0].Order: "T60002", task.Lines[1].Order: "T60001"}
			for _, ln := range task.Lines {
				atStep(t, ctx, ln.N, "location")
				run(wedge(ln.Location), wedge(itemCode(ln)))
				atStep(t, ctx, ln.N, "tote")
				run(wedge(totes[ln.Order]))
			}
			sep := say(lang, "pick.list_sep")
			list := "T60001" + sep + "T60002"
			waitText(t, ctx, `[data-testid=pick-where]`, say(lang, "pick.done_totes", "n", "2", "list", list))
			waitFocus(t, ctx, "next-task")
			waitJS(t, ctx, `document.querySelector('[data-testid=scan]').offsetParent === null`)
			noWiderThan(t, ctx, 360)
			run(chromedp.KeyEvent("\r")) // the scanner's Enter
			waitText(t, ctx, `[data-testid=feedback]`, say(lang, "task.none"))
		})
	}
}

// loseAnswers drops the answers to the scans the handheld sends, after the
// server has taken them (the Wi-Fi fails on the way back), until the returned
// func is called: the handheld must send each again with the same key, and
// the ledger apply it once.
func loseAnswers(t *testing.T, ctx context.Context) (stop func()) {
	t.Helper()
	var losing atomic.Bool
	losing.Store(true)
	chromedp.ListenTarget(ctx, func(ev any) {
		e, ok := ev.(*fetch.EventRequestPaused)
		if !ok {
			return
		}
		go func() {
			ex := cdp.WithExecutor(ctx, chromedp.FromContext(ctx).Target)
			if losing.Load() {
				_ = fetch.FailRequest(e.RequestID, network.ErrorReasonConnectionReset).Do(ex)
				return
			}
			_ = fetch.ContinueRequest(e.RequestID).Do(ex)
		}()
	})
	runner(t, ctx)(fetch.Enable().WithPatterns([]*fetch.RequestPattern{{URLPattern: "*/scans", RequestStage: fetch.RequestStageResponse}}))
	return func() { losing.Store(false) }
}

// countCase taps Count and types n, as a picker does with a case in hand.
func countCase(t *testing.T, ctx context.Context, n string) {
	t.Helper()
	runner(t, ctx)(chromedp.Evaluate(`document.querySelector('[data-testid=btn-count]').click()`, nil))
	waitFocus(t, ctx, "count-n")
	runner(t, ctx)(chromedp.KeyEvent(n + "\r"))
}

// Issue 9 (round two): "scan the item (each unit, or one unit and Count for a
// case)" holds in single-order and cluster picking alike. A unit is scanned,
// the rest of the case counted; Undo takes back the count and keeps the
// scanned unit; a scan whose answer is lost is sent again and booked once.
// The order and the shelf end with exactly the units picked.
func TestBrowserPickCountsACase(t *testing.T) {
	for _, lang := range langs {
		for i, mode := range []wms.WaveMode{wms.WaveSingle, wms.WaveCluster} {
			t.Run(lang+"/"+string(mode), func(t *testing.T) {
				no := fmt.Sprintf("SO7%d0001", i)
				ctx, l, task := pickScreen(t, lang, mode, intake(no, wms.LineIn{SKU: "SKU01000", Qty: 5}))
				run := runner(t, ctx)
				ln := task.Lines[0]
				if len(task.Lines) != 1 || ln.Qty != 5 || !ln.LotTracked {
					t.Fatalf("task lines %+v, want one lot-tracked line of 5", task.Lines)
				}
				onShelf := func() int64 {
					lines, _ := l.StockAt(ln.Location)
					for _, x := range lines {
						if x.SKU == ln.SKU && x.Lot == ln.Lot {
							return x.Qty
						}
					}
					return 0
				}
				before := onShelf()
				picked := func() int64 {
					o, _ := l.Order(no)
					return o.Lines[0].Picked
				}
				sent := `document.getElementById('pick').dataset.queue === '0'`
				qty := func(done string) string { return say(lang, "pick.qty_line", "done", done, "qty", "5") }

				atStep(t, ctx, ln.N, "location")
				run(wedge(ln.Location))
				atStep(t, ctx, ln.N, "item")
				run(wedge(itemCode(ln)))
				waitText(t, ctx, `[data-testid=pick-qty]`, qty("1"))
				if mode == wms.WaveSingle {
					waitJS(t, ctx, sent)
					if got := picked(); got != 1 {
						t.Fatalf("one unit scanned: %d picked", got)
					}
					stop := loseAnswers(t, ctx)
					countCase(t, ctx, "2")
					feedbackIs(t, ctx, "ok", say(lang, "pick.picked", "qty", "2", "sku", ln.SKU))
					waitText(t, ctx, `[data-testid=pick-qty]`, qty("3"))
					// the server took the count; its answer is lost and the count still queued
					for deadline := time.Now().Add(5 * time.Second); picked() != 3 && time.Now().Before(deadline); {
						time.Sleep(50 * time.Millisecond)
					}
					if got := picked(); got != 3 {
						t.Fatalf("one scanned and two counted: %d picked, want 3", got)
					}
					waitJS(t, ctx, `document.getElementById('pick').dataset.queue === '1'`)
					run(chromedp.Evaluate(`document.querySelector('[data-testid=btn-undo]').click()`, nil))
					feedbackIs(t, ctx, "ok", say(lang, "pick.undone"))
					waitText(t, ctx, `[data-testid=pick-qty]`, qty("1"))
					stop()
					waitJS(t, ctx, sent)
					if got := picked(); got != 1 {
						t.Fatalf("the count sent again and undone: %d picked, want the scanned 1", got)
					}
					atStep(t, ctx, ln.N, "item")
					countCase(t, ctx, "4")
				} else {
					countCase(t, ctx, "4")
					atStep(t, ctx, ln.N, "tote")
					waitText(t, ctx, `[data-testid=pick-qty]`, qty("5"))
					run(chromedp.Evaluate(`document.querySelector('[data-testid=btn-undo]').click()`, nil))
					feedbackIs(t, ctx, "ok", say(lang, "pick.undone"))
					atStep(t, ctx, ln.N, "item")
					waitText(t, ctx, `[data-testid=pick-qty]`, qty("1"))
					countCase(t, ctx, "4")
					atStep(t, ctx, ln.N, "tote")
					if got := picked(); got != 0 {
						t.Fatalf("units in hand, not yet in a tote: %d picked", got)
					}
					stop := loseAnswers(t, ctx)
					run(wedge("T70001"))
					for deadline := time.Now().Add(5 * time.Second); picked() != 5 && time.Now().Before(deadline); {
						time.Sleep(50 * time.Millisecond)
					}
					time.Sleep(2 * time.Second) // the handheld sends it again at least once
					stop()
				}
				waitJS(t, ctx, sent+` && !document.querySelector('[data-testid=pick-done]').hidden`)
				noWiderThan(t, ctx, 360)
				o, _ := l.Order(no)
				if o.Lines[0].Picked != 5 || o.State != wms.OrderPicked {
					t.Errorf("order %s: %s with %d picked, want picked with 5", no, o.State, o.Lines[0].Picked)
				}
				if got := onShelf(); got != before-5 {
					t.Errorf("%s lot %s at %s: %d on the shelf, want %d", ln.SKU, ln.Lot, ln.Location, got, before-5)
				}
				kpi, _ := l.KPIs(l.Today())
				if k := kpi["B1001"]; k.Units != 5 || k.Errors != 0 {
					t.Errorf("kpis %+v, want 5 units and no wrong scans", k)
				}
			})
		}
	}
}

// pickCodesWhole checks the codes in the element matching sel: each of want is
// shown as an element of class code, no code element spans two lines, and
// nothing else in it is markup (what was scanned stays text). It returns
// what is wrong, or "".
func pickCodesWhole(t *testing.T, ctx context.Context, sel string, want ...string) string {
	t.Helper()
	raw, _ := json.Marshal(want)
	return evalString(t, ctx, fmt.Sprintf(`(function(sel, want){
		var root = document.querySelector(sel), out = [];
		var codes = Array.from(root.querySelectorAll('.code'));
		want.forEach(function(c){ if (!codes.some(function(e){ return e.textContent === c })) out.push(c + ' is not a code'); });
		codes.forEach(function(e){
			var r = document.createRange();
			r.selectNodeContents(e);
			var tops = new Set(Array.from(r.getClientRects()).filter(function(x){ return x.width > 0 }).map(function(x){ return Math.round(x.top) }));
			if (tops.size > 1) out.push(e.textContent + ' spans two lines');
		});
		root.querySelectorAll('*').forEach(function(e){ if (!e.matches('span.code') && !root.matches('#pick-line')) out.push('markup <' + e.tagName + '>'); });
		return out.join(' | ');
	})(%q, %s)`, sel, raw))
}

// Issue 9, point 16 (round two): on the pick screen at 360×640 the codes in
// the card (location, SKU, lot, expiry, order, tote) and in the script's
// messages (answers, the step prompt, the server's refusals, the done
// screen) are shown whole, each as a code; a scanned code is shown as text,
// never as markup.
func TestBrowserPickCodesWhole(t *testing.T) {
	for _, lang := range langs {
		t.Run(lang, func(t *testing.T) {
			ctx, _, task := pickScreen(t, lang, wms.WaveCluster, intake("SO800001", wms.LineIn{SKU: "SKU01000", Qty: 1}), intake("SO800002", wms.LineIn{SKU: "SKU03000", Qty: 1}))
			run := runner(t, ctx)
			lot, book := lineOf(t, task, "SKU01000"), lineOf(t, task, "SKU03000")
			if lot.N > book.N || lot.Expiry == "" {
				t.Fatalf("lines %+v, want the lot-tracked line first", task.Lines)
			}
			totes := map[string]string{"SO800001": "T80001", "SO800002": "T80002"}
			check := func(when, sel string, want ...string) {
				t.Helper()
				if bad := pickCodesWhole(t, ctx, sel, want...); bad != "" {
					t.Errorf("%s, %s: %s; %s", when, sel, bad, dump(ctx))
				}
			}
			atStep(t, ctx, lot.N, "location")
			check("the card", "#pick-line", lot.Location, lot.SKU, lot.Lot, lot.Expiry, lot.Order)
			run(wedge("C04-01-03"))
			feedbackIs(t, ctx, "error", say(lang, "pick.wrong_location", "location", "C04-01-03", "want", lot.Location))
			check("a wrong location", "#pick-msg", "C04-01-03", lot.Location)
			run(wedge("<i>1</i>"))
			feedbackIs(t, ctx, "error", say(lang, "pick.not_location", "code", "<i>1</i>", "want", lot.Location))
			check("a scan that looks like markup", "#pick-msg", "<i>1</i>", lot.Location)
			long := "PALLET00001111222233334444555566667777" // too long to be shown whole at 360 px
			run(wedge(long))
			feedbackIs(t, ctx, "error", say(lang, "pick.not_location", "code", long, "want", lot.Location))
			check("a scan too long to be one code", "#pick-msg", lot.Location)
			noWiderThan(t, ctx, 360)
			run(wedge(lot.Location))
			atStep(t, ctx, lot.N, "item")
			run(wedge(book.Location))
			feedbackIs(t, ctx, "error", say(lang, "pick.location_not_item", "location", book.Location, "name", lot.SKU+" "+lot.Name, "want", lot.Location))
			check("a location at the item step", "#pick-msg", book.Location, lot.SKU, lot.Location)
			// another lot of the item: the server refuses it, naming the lot
			run(wedge("]C101" + lot.GTINs[0] + "10ZZ-404-9"))
			atStep(t, ctx, lot.N, "tote")
			check("the tote step", "#pick-step", lot.Order)
			run(wedge(totes[lot.Order]))
			feedbackIs(t, ctx, "error", say(lang, "pick.lot_unknown", "lot", "ZZ-404-9", "sku", lot.SKU))
			check("the server's refusal", "#pick-msg", "ZZ-404-9", lot.SKU)
			shot(t, ctx, "pick-codes-"+lang+".png")
			// still at that shelf: only the item is asked for again
			atStep(t, ctx, lot.N, "item")
			run(wedge(itemCode(lot)))
			atStep(t, ctx, lot.N, "tote")
			run(wedge(totes[lot.Order]))
			atStep(t, ctx, book.N, "location")
			feedbackIs(t, ctx, "ok", say(lang, "pick.picked_tote", "qty", "1", "sku", lot.SKU, "tote", totes[lot.Order]))
			check("a pick into a tote", "#pick-msg", lot.SKU, totes[lot.Order])
			check("a card without a lot", "#pick-line", book.Location, book.SKU, book.Order)
			run(wedge(book.Location), wedge(itemCode(book)))
			atStep(t, ctx, book.N, "tote")
			run(wedge(totes[book.Order]))
			waitJS(t, ctx, `document.getElementById('pick').dataset.queue === '0' && !document.querySelector('[data-testid=pick-done]').hidden`)
			check("the done screen", "#pick-where", "T80001", "T80002")
			noWiderThan(t, ctx, 360)
		})
	}
}

// Issue 9 (review two), point 1: in single-order picking each scan is sent at
// once; the same serialised can read twice is answered as a double read
// (its own message, nothing booked, no wrong scan counted), while a serial
// another picker's task picked stays a copied code.
func TestPickSerialReadTwiceAPI(t *testing.T) {
	s, l := testServer(t)
	bg := context.Background()
	for _, in := range []wms.OrderIntake{intake("SO910001", wms.LineIn{SKU: "SKU00061", Qty: 2}), intake("SO910002", wms.LineIn{SKU: "SKU00061", Qty: 1})} {
		if _, _, err := l.ReceiveOrder(bg, "", in, "oms", "test"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.ReleaseWave(bg, wms.WaveFilter{Mode: wms.WaveSingle}, "w-serial", "B4001", "test"); err != nil {
		t.Fatal(err)
	}
	picker, _ := l.CreateToken(bg, "scanners", wms.RolePicker, "test")
	c := newClient(t, s)
	c.bearer = picker
	hdr := map[string]string{"X-Tally-Device": "pda-7", "Accept-Language": "en"}
	_, text := c.do("POST", "/api/v1/tasks/next", nil, hdr)
	var task wms.Task
	if err := json.Unmarshal([]byte(text), &task); err != nil || len(task.Lines) != 1 {
		t.Fatalf("next: %s", text)
	}
	line := task.Lines[0]
	if line.Qty != 2 {
		t.Fatalf("task %+v, want the line of two cans first", task.Lines)
	}
	other, err := l.NextTask(bg, "B1002", "pda-2")
	if err != nil {
		t.Fatal(err)
	}
	can := func(serial string) string { return "(01)" + line.GTINs[0] + "(10)" + line.Lot + "(21)" + serial }
	scan := func(id, key string, codes ...string) (int, map[string]any) {
		raw, _ := json.Marshal(map[string]any{"type": "pick", "line": line.N, "location": line.Location, "codes": codes})
		h := map[string]string{"Content-Type": "application/json", "X-Tally-Device": "pda-7", "Accept-Language": "en", "Idempotency-Key": key}
		r, text := c.do("POST", "/api/v1/tasks/"+id+"/scans", strings.NewReader(string(raw)), h)
		var out map[string]any
		_ = json.Unmarshal([]byte(text), &out)
		return r.StatusCode, out
	}
	if st, body := scan(task.ID, "s1", can("SN91A")); st != 200 {
		t.Fatalf("first can: %d %v", st, body)
	}
	st, body := scan(task.ID, "s2", can("SN91A"))
	if want := say("en", "pick.serial_double_read", "serial", "SN91A"); st != 409 || body["key"] != "pick.serial_double_read" || body["error"] != want {
		t.Errorf("the same can read twice: %d %v, want 409 %q", st, body, want)
	}
	if tk, _ := l.Task(task.ID); tk.Lines[0].Done != 1 {
		t.Errorf("after a double read: %d done, want 1", tk.Lines[0].Done)
	}
	if st, body := scan(task.ID, "s3", can("SN91B")); st != 200 {
		t.Errorf("the second can: %d %v", st, body)
	}
	if k := func() wms.ScanStats { kpi, _ := l.KPIs(l.Today()); return kpi["token:scanners/pda-7"] }(); k.Errors != 0 || k.Units != 2 {
		t.Errorf("kpis %+v, want 2 units and no wrong scan", k)
	}
	// the other picker scans a can this task picked: a copy, for a supervisor
	ol := other.Lines[0]
	_, _, err = l.Pick(bg, "o1", wms.PickScan{Task: other.ID, Line: ol.N, Location: ol.Location, Items: []wms.ScannedItem{{GTIN: ol.GTINs[0], Lot: ol.Lot, Serial: "SN91A"}}, Qty: 1}, "B1002", "pda-2")
	if e, ok := wms.AsError(err); !ok || e.Key != "pick.serial_twice" {
		t.Errorf("SN91A, picked by another task: %v, want pick.serial_twice", err)
	}
}

// Issue 9 (review two), point 1: a serialised can read twice is one can, in
// cluster picking (units in hand) and in single-order picking (each scan sent
// at once): the handheld says it was scanned already and counts it once; the
// next can is counted and the line is picked with both serials.
func TestBrowserPickSerialReadTwice(t *testing.T) {
	for _, lang := range langs {
		for i, mode := range []wms.WaveMode{wms.WaveCluster, wms.WaveSingle} {
			t.Run(lang+"/"+string(mode), func(t *testing.T) {
				no := fmt.Sprintf("SO92%d001", i)
				ctx, l, task := pickScreen(t, lang, mode, intake(no, wms.LineIn{SKU: "SKU00061", Qty: 2}))
				run := runner(t, ctx)
				ln := task.Lines[0]
				can := func(serial string) string {
					return "(01)" + ln.GTINs[0] + "(10)" + ln.Lot + "(21)" + serial
				}
				qty := func(done string) string { return say(lang, "pick.qty_line", "done", done, "qty", "2") }
				sent := `document.getElementById('pick').dataset.queue === '0'`
				atStep(t, ctx, ln.N, "location")
				run(wedge(ln.Location))
				atStep(t, ctx, ln.N, "item")
				run(wedge(can("SN92A")))
				waitText(t, ctx, `[data-testid=pick-qty]`, qty("1"))
				if mode == wms.WaveSingle {
					waitJS(t, ctx, sent)
				}
				run(wedge(can("SN92A"))) // the scanner reads the same can again
				feedbackIs(t, ctx, "note", say(lang, "pick.serial_double_read", "serial", "SN92A"))
				atStep(t, ctx, ln.N, "item")
				waitText(t, ctx, `[data-testid=pick-qty]`, qty("1"))
				run(wedge(can("SN92B")))
				if mode == wms.WaveCluster {
					waitText(t, ctx, `[data-testid=pick-qty]`, qty("2"))
					atStep(t, ctx, ln.N, "tote")
					run(wedge("T92001"))
				}
				waitJS(t, ctx, sent+` && !document.querySelector('[data-testid=pick-done]').hidden`)
				noWiderThan(t, ctx, 360)
				o, _ := l.Order(no)
				if o.State != wms.OrderPicked || o.Lines[0].Picked != 2 {
					t.Errorf("order %s: %s with %d picked, want picked with 2", no, o.State, o.Lines[0].Picked)
				}
				tk, _ := l.Task(task.ID)
				var serials []string
				for _, p := range tk.Picks {
					serials = append(serials, p.Serials...)
				}
				if strings.Join(serials, " ") != "SN92A SN92B" {
					t.Errorf("picked serials %v, want SN92A and SN92B", serials)
				}
				kpi, _ := l.KPIs(l.Today())
				if k := kpi["B1001"]; k.Units != 2 || k.Errors != 0 {
					t.Errorf("kpis %+v, want 2 units and no wrong scan", k)
				}
			})
		}
	}
}

// Issue 9 (review two), point 3: a count larger than what is left says how
// many are left (a form for one); the wrong count stays selected so the
// digits typed next replace it, and a valid count clears the message.
func TestBrowserPickCountRefusal(t *testing.T) {
	for _, lang := range langs {
		for i, mode := range []wms.WaveMode{wms.WaveSingle, wms.WaveCluster} {
			t.Run(lang+"/"+string(mode), func(t *testing.T) {
				no := fmt.Sprintf("SO93%d001", i)
				ctx, l, task := pickScreen(t, lang, mode, intake(no, wms.LineIn{SKU: "SKU03000", Qty: 3}))
				run := runner(t, ctx)
				ln := task.Lines[0]
				atStep(t, ctx, ln.N, "location")
				run(wedge(ln.Location))
				atStep(t, ctx, ln.N, "item")
				run(wedge(itemCode(ln)))
				left := "2"
				if mode == wms.WaveSingle {
					// one more sent at once: one left to count
					waitJS(t, ctx, `document.getElementById('pick').dataset.queue === '0'`)
					run(wedge(itemCode(ln)))
					waitText(t, ctx, `[data-testid=pick-qty]`, say(lang, "pick.qty_line", "done", "2", "qty", "3"))
					waitJS(t, ctx, `document.getElementById('pick').dataset.queue === '0'`)
					left = "1"
				}
				countCase(t, ctx, "5")
				feedbackIs(t, ctx, "error", say(lang, "pick.count_invalid", "n", left))
				waitFocus(t, ctx, "count-n")
				noWiderThan(t, ctx, 360)
				run(chromedp.KeyEvent(left + "\r")) // replaces the 5
				if mode == wms.WaveSingle {
					feedbackIs(t, ctx, "ok", say(lang, "pick.picked", "qty", "1", "sku", ln.SKU))
				} else {
					atStep(t, ctx, ln.N, "tote")
					waitJS(t, ctx, `document.querySelector('[data-testid=pick-msg]').hidden`)
					waitText(t, ctx, `[data-testid=pick-qty]`, say(lang, "pick.qty_line", "done", "3", "qty", "3"))
					run(wedge("T93001"))
				}
				waitJS(t, ctx, `document.getElementById('pick').dataset.queue === '0' && !document.querySelector('[data-testid=pick-done]').hidden`)
				if o, _ := l.Order(no); o.Lines[0].Picked != 3 {
					t.Errorf("order %s: %d picked, want 3", no, o.Lines[0].Picked)
				}
			})
		}
	}
}

// A cluster holding two owners' orders with one number (SO200001 is the
// default owner's and the brand's): each goes to its own tote on the
// handheld, in both languages. Before, the pick screen matched a task's
// orders by number alone: the brand's line asked for the default owner's
// tote and refused a fresh one as the wrong tote.
func TestBrowserPickTwoOwnersOneOrderNumber(t *testing.T) {
	brand := wms.DemoOwner.Code
	for _, lang := range langs {
		t.Run(lang, func(t *testing.T) {
			theirs := intake("SO200001", wms.LineIn{SKU: "BB-RICE", Qty: 1})
			theirs.Owner = brand
			ctx, l, task := pickScreen(t, lang, wms.WaveCluster, intake("SO200001", wms.LineIn{SKU: "SKU03000", Qty: 1}), theirs)
			if len(task.Orders) != 2 {
				t.Fatalf("the cluster holds %+v; the test needs both owners' SO200001", task.Orders)
			}
			run := runner(t, ctx)
			totes := map[string]string{wms.DefaultOwner: "T20001", brand: "T20002"}
			for _, line := range task.Lines {
				atStep(t, ctx, line.N, "location")
				waitText(t, ctx, `#pick`, say(lang, "pick.order_tote", "order", "SO200001", "tote", "—"))
				run(wedge(line.Location))
				atStep(t, ctx, line.N, "item")
				run(wedge(itemCode(line)))
				atStep(t, ctx, line.N, "tote")
				run(wedge(totes[line.Owner]))
			}
			waitJS(t, ctx, `document.getElementById('pick').dataset.queue === '0' && !document.querySelector('[data-testid=pick-done]').hidden`)
			waitText(t, ctx, `[data-testid=pick-done]`, "T20001")
			waitText(t, ctx, `[data-testid=pick-done]`, "T20002")
			for owner, tote := range totes {
				if o, err := l.Books(owner).Order("SO200001"); err != nil || o.State != wms.OrderPicked || o.Tote != tote {
					t.Errorf("%s's SO200001: %s in tote %q (%v), want picked in %s", owner, o.State, o.Tote, err, tote)
				}
			}
			if kpi, _ := l.KPIs(l.Today()); kpi["B1001"].Errors != 0 {
				t.Errorf("%d wrong scans counted against the picker", kpi["B1001"].Errors)
			}
			noWiderThan(t, ctx, 360)
		})
	}
}

// A handheld's scan has its limits: a request over 256 KB is refused whole,
// a wrong scan at a step that is none is refused, a wrong scan's long code
// is kept clipped (still counted), and an item code over 1,024 bytes is
// refused in a short answer (not echoed back).
func TestScanInputLimits(t *testing.T) {
	s, l := testServer(t)
	admin, _ := l.CreateToken(context.Background(), "oms", wms.RoleAdmin, "test")
	picker, _ := l.CreateToken(context.Background(), "scanners", wms.RolePicker, "test")
	c := newClient(t, s)
	c.bearer = admin
	c.lang = "en"
	if _, _, err := l.ReceiveOrder(context.Background(), "", intake("SO910001", wms.LineIn{SKU: "SKU03000", Qty: 1}), "oms", "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.ReleaseWave(context.Background(), wms.WaveFilter{Mode: wms.WaveSingle}, "w-lim", "B4001", "test"); err != nil {
		t.Fatal(err)
	}
	c.bearer = picker
	resp, text := c.do("POST", "/api/v1/tasks/next", nil, map[string]string{"X-Tally-Device": "pda-7"})
	var task wms.Task
	if err := json.Unmarshal([]byte(text), &task); err != nil || resp.StatusCode != 200 {
		t.Fatalf("next: %d %s", resp.StatusCode, text)
	}
	scan := func(key string, body map[string]any) (int, string) {
		raw, _ := json.Marshal(body)
		resp, text := c.do("POST", "/api/v1/tasks/"+task.ID+"/scans", strings.NewReader(string(raw)), map[string]string{"Content-Type": "application/json", "Idempotency-Key": key, "X-Tally-Device": "pda-7"})
		return resp.StatusCode, text
	}
	seq := l.LastSeq()
	if st, text := scan("lim-1", map[string]any{"type": "reject", "line": 1, "step": strings.Repeat("x", 300<<10), "code": "X", "reason": "pick.wrong_item"}); st != 400 || !strings.Contains(text, "pick.scan_too_large") {
		t.Errorf("a 300 KB scan: %d %.200s", st, text)
	}
	if st, text := scan("lim-2", map[string]any{"type": "reject", "line": 1, "step": "shelf-ish", "code": "X", "reason": "pick.wrong_item"}); st != 400 || !strings.Contains(text, "event.payload_invalid") {
		t.Errorf("a wrong scan at no step: %d %.200s", st, text)
	}
	if l.LastSeq() != seq {
		t.Fatalf("%d events for refused scans", l.LastSeq()-seq)
	}
	long := strings.Repeat("Q", 2000)
	if st, text := scan("lim-3", map[string]any{"type": "reject", "line": 1, "step": "location", "code": long, "reason": "pick.not_location"}); st != 200 {
		t.Errorf("a wrong scan of a long QR: %d %.200s", st, text)
	}
	if k, _ := l.KPIs(l.Today()); k[task.Actor].Errors != 1 {
		t.Errorf("the long wrong scan was not counted: %+v", k[task.Actor])
	}
	st, text := scan("lim-4", map[string]any{"type": "pick", "line": 1, "location": task.Lines[0].Location, "codes": []string{strings.Repeat("9", 5000)}, "qty": 1})
	if st != 400 || !strings.Contains(text, "pick.code_too_long") || len(text) > 2000 {
		t.Errorf("a 5,000-byte item code: %d, %d bytes: %.200s", st, len(text), text)
	}
}

// A page whose form token went stale (the picker logged in again in another
// tab) keeps its scan queued, reloads for a fresh token and sends it: before,
// the scan was dropped with an error.
func TestBrowserPickStaleTokenKeepsTheScan(t *testing.T) {
	ctx, l, task := pickScreen(t, "en", wms.WaveSingle, intake("SO920001", wms.LineIn{SKU: "SKU03000", Qty: 1}))
	run := runner(t, ctx)
	ln := task.Lines[0]
	atStep(t, ctx, ln.N, "location")
	run(chromedp.Evaluate(`document.querySelector('meta[name=csrf-token]').content = 'stale'`, nil))
	run(wedge(ln.Location))
	atStep(t, ctx, ln.N, "item")
	run(wedge(itemCode(ln)))
	waitBooked(t, l, task.ID, 1, "the scan was not booked after the page's token went stale: %+v %v")
	if k, _ := l.KPIs(l.Today()); k["B1001"].Units != 1 {
		t.Errorf("figures %+v, want the one unit", k["B1001"])
	}
}

// Two Undos while the last pick waits for the network take back that pick
// and the one booked before it (each undo names its own pick): before the
// second named the same pick, was refused, and the first stayed picked.
func TestBrowserPickTwoUndosOffline(t *testing.T) {
	ctx, l, task := pickScreen(t, "en", wms.WaveSingle, intake("SO930001", wms.LineIn{SKU: "SKU03000", Qty: 3}))
	run := runner(t, ctx)
	ln := task.Lines[0]
	atStep(t, ctx, ln.N, "location")
	run(wedge(ln.Location))
	atStep(t, ctx, ln.N, "item")
	run(wedge(itemCode(ln))) // booked online
	waitJS(t, ctx, `document.getElementById('pick').dataset.queue === '0'`)
	run(network.EmulateNetworkConditions(true, 0, -1, -1))
	run(wedge(itemCode(ln))) // sent, no answer
	waitJS(t, ctx, `!document.getElementById('queue').hidden`)
	for range 2 {
		run(chromedp.Evaluate(`document.querySelector('[data-testid=btn-undo]').click()`, nil))
	}
	waitText(t, ctx, `[data-testid=pick-qty]`, say("en", "pick.qty_line", "done", "0", "qty", "3"))
	run(network.EmulateNetworkConditions(false, 0, -1, -1))
	waitJS(t, ctx, `document.getElementById('pick').dataset.queue === '0'`)
	got, err := l.Task(task.ID)
	if err != nil || got.Lines[0].Done != 0 {
		t.Fatalf("two picks, two undos: %+v %v, want none picked", got.Lines, err)
	}
}

// A stale form token with units in hand (cluster): nothing more is sent and
// the screen says so once, the units stay in hand, and once they are in the
// tote the page renews itself and sends all that waited.
func TestBrowserClusterStaleTokenWithUnitsInHand(t *testing.T) {
	ctx, l, task := pickScreen(t, "en", wms.WaveCluster, intake("SO940001", wms.LineIn{SKU: "SKU03001", Qty: 2}))
	run := runner(t, ctx)
	ln := task.Lines[0]
	qty := func(done string) string { return say("en", "pick.qty_line", "done", done, "qty", "2") }
	atStep(t, ctx, ln.N, "location")
	run(wedge(ln.Location))
	atStep(t, ctx, ln.N, "item")
	run(wedge(itemCode(ln)))
	waitText(t, ctx, `[data-testid=pick-qty]`, qty("1"))
	run(chromedp.Evaluate(`document.querySelector('meta[name=csrf-token]').content = 'stale'`, nil))
	run(wedge("HELLO")) // a wrong scan: queued, refused for the token
	feedbackIs(t, ctx, "error", say("en", "pick.token_stale_units"))
	time.Sleep(4 * time.Second) // the queue's retry comes and goes: nothing is lost, nothing said again
	waitText(t, ctx, `[data-testid=pick-qty]`, qty("1"))
	run(wedge(itemCode(ln)))
	atStep(t, ctx, ln.N, "tote")
	run(wedge("T24001"))
	waitBooked(t, l, task.ID, 2, "the units put in the tote were not booked: %+v %v")
	if k, _ := l.KPIs(l.Today()); k["B1001"].Units != 2 || k["B1001"].Errors != 1 {
		t.Errorf("figures %+v, want 2 units and the 1 wrong scan", k["B1001"])
	}
}

// waitBooked waits until the task's first line has want units picked on
// the server, failing with what after 20 s.
func waitBooked(t *testing.T, l *wms.Ledger, task string, want int64, what string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got, err := l.Task(task)
		if err == nil && got.Lines[0].Done == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf(what, got.Lines, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
