package server

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"tally/wms"
)

func intake(no string, lines ...wms.LineIn) wms.OrderIntake {
	return wms.OrderIntake{No: no, Channel: "jd", Carrier: "SF", Recipient: wms.Recipient{Name: "李雷", Phone: "13912345678", Address: "北京市海淀区中关村大街 1 号"}, Lines: lines}
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
		{"same scan again", "k5", map[string]any{"type": "pick", "line": line.N, "location": line.Location, "codes": []string{ean}}, 200, `"duplicate":true`},
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
		if _, _, err := l.ReceiveOrder(context.Background(), in, "oms", "test"); err != nil {
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
	if n, err := l.SeedDemoOrders(context.Background()); err != nil || n != 24 {
		t.Fatalf("demo orders: %d %v", n, err)
	}
	base := serve(t, s)

	sup := browser(t)
	run := runner(t, sup)
	loginAs(t, sup, base, "B4001", "4444", "menu-floor")
	run(chromedp.Evaluate(`document.querySelector('[data-testid=menu-floor]').click()`, nil))
	waitText(t, sup, `main h2`, "24 new orders")
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
