package server

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"tally/wms"
)

// keyedCall is one answer to a keyed request.
type keyedCall struct {
	status   int
	body     string
	replayed bool
}

// keyedPost sends a JSON body with an Idempotency-Key as the client's bearer.
func keyedPost(c *client, method, path, key, contentType, body string) keyedCall {
	c.t.Helper()
	h := map[string]string{"Content-Type": contentType, "Idempotency-Key": key, "X-Tally-Device": "pda-1"}
	resp, text := c.do(method, path, strings.NewReader(body), h)
	return keyedCall{resp.StatusCode, text, resp.Header.Get("Idempotency-Replayed") == "true"}
}

// keyedFixture is a warehouse with new orders, a released wave and a picker
// holding a task, and clients for two people of each role that writes.
type keyedFixture struct {
	l               *wms.Ledger
	admin, admin2   *client
	picker, picker2 *client
	task            wms.Task
	line            wms.TaskLine
	ean             string
	lotSKU, lotCode string
	deadSeq         uint64    // a dead letter of the upstream "keys"
	gapFrom         [2]string // two gaps of B2001 (staff figures), RFC 3339
	_               int
}

func newKeyedFixture(t *testing.T) keyedFixture {
	t.Helper()
	s, l := testServer(t)
	ctx := context.Background()
	f := keyedFixture{l: l}
	token := func(name string, role wms.Role) *client {
		tok, err := l.CreateToken(ctx, name, role, "test")
		if err != nil {
			t.Fatal(err)
		}
		c := newClient(t, s)
		c.bearer = tok
		return c
	}
	f.admin, f.admin2 = token("oms", wms.RoleAdmin), token("erp", wms.RoleAdmin)
	f.picker, f.picker2 = token("pda", wms.RolePicker), token("pdb", wms.RolePicker)
	for i := range 4 {
		if _, _, err := l.ReceiveOrder(ctx, "", intake(fmt.Sprintf("SO70000%d", i), wms.LineIn{SKU: "SKU03000", Qty: 3}), "oms", "test"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.ReleaseWave(ctx, wms.WaveFilter{Mode: wms.WaveSingle, MaxOrders: 1}, "setup-wave", "B4001", "test"); err != nil {
		t.Fatal(err)
	}
	resp, text := f.picker.do("POST", "/api/v1/tasks/next", nil, map[string]string{"X-Tally-Device": "pda-1"})
	if err := json.Unmarshal([]byte(text), &f.task); err != nil || resp.StatusCode != 200 {
		t.Fatalf("next task: %d %s", resp.StatusCode, text)
	}
	f.line = f.task.Lines[0]
	f.ean = f.line.GTINs[0][1:]
	lots, err := l.Lots()
	if err != nil {
		t.Fatalf("lots: %v", err)
	}
	for _, lot := range lots {
		if lot.Owner == wms.DefaultOwner {
			f.lotSKU, f.lotCode = lot.SKU, lot.Code
			break
		}
	}
	if f.lotCode == "" {
		t.Fatal("the default owner has no lot")
	}
	// an upstream with a dead letter and two stock instructions
	if _, err := l.SaveUpstream(ctx, "", wms.Upstream{Name: "keyshop", Dialect: wms.DialectTaobao, URL: "https://eco.taobao.com/router/rest", AppKey: "12345678",
		Secret: "keys-shop-secret-0001", Session: "keys-session", Owner: wms.DefaultOwner, Channel: "tmall"}, "B9001", "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.SaveUpstream(ctx, "", wms.Upstream{Name: "keys", Dialect: wms.DialectTally, URL: "https://oms.example.com/v1", Token: "tok-keys-0123456789abcdef"}, "B9001", "test"); err != nil {
		t.Fatal(err)
	}
	page, err := l.Outbox(0, 1)
	if err != nil || len(page.Events) == 0 {
		t.Fatalf("outbox: %v", err)
	}
	ev := page.Events[0]
	if err := l.RecordAck(ctx, wms.SyncAck{Upstream: "keys", Through: ev.Seq, Acked: 1,
		Dead: []wms.DeadLetter{{Seq: ev.Seq, ID: ev.ID, Type: ev.Type, Code: "sku.unknown", Reason: "not in the OMS"}}}); err != nil {
		t.Fatal(err)
	}
	f.deadSeq = ev.Seq
	// three wrong scans of B2001 ten minutes apart: two gaps to explain
	for i := range 3 {
		at := time.Date(2026, 11, 11, 0, 10*i, 0, 0, time.UTC)
		ev, err := wms.NewEvent(fmt.Sprint("keys-gap-", i), wms.EvScanRejected, "B2001", "pda-9", wms.ScanRejected{Step: "item", Code: "X", Reason: "pick.wrong_item", Today: "2026-11-11"})
		if err != nil {
			t.Fatal(err)
		}
		ev.At = at
		if _, _, err := l.Append(ctx, ev); err != nil {
			t.Fatal(err)
		}
		if i < 2 {
			f.gapFrom[i] = at.Format(time.RFC3339)
		}
	}
	for _, id := range []string{"ADJ-K1", "ADJ-K6"} {
		if _, err := l.ReceiveInstruction(ctx, "sync:keys:stock.instruction:"+id, wms.Instruction{Upstream: "keys", ID: id, SKU: "SKU03000", Delta: 1, Reason: "found"}); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func (f keyedFixture) pickBody(qty int) string {
	return fmt.Sprintf(`{"type":"pick","line":%d,"location":%q,"codes":[%q],"qty":%d}`, f.line.N, f.line.Location, f.ean, qty)
}

// keyedWrite is one API write that takes an Idempotency-Key, as the table
// of TestKeyedWritesAnswerRepeatsAsTheFirst sends it.
type keyedWrite struct {
	name, route, method, path, ctype string
	body, changed, body6             string // body6: the request the six concurrent calls send
	path6                            string // where they send it, when not to path
	as, other                        func(keyedFixture) *client
	status, otherStatus              int
	// moveOn, when set, changes what the request acted on between the
	// first call and its repeat, which must still get the first answer
	moveOn func(t *testing.T, f keyedFixture)
}

// keyedWrites lists every API write that takes a key, by its route.
func keyedWrites(f keyedFixture) []keyedWrite {
	const js, csv = "application/json", "text/csv"
	admin := func(f keyedFixture) *client { return f.admin }
	admin2 := func(f keyedFixture) *client { return f.admin2 }
	ctx := context.Background()
	order := func(no string, qty int) string {
		return fmt.Sprintf(`{"no":%q,"channel":"tmall","recipient":{"name":"王芳","phone":"13800138000","address":"浙江省杭州市西湖区文三路 100 号"},"lines":[{"sku":"SKU03000","qty":%d}]}`, no, qty)
	}
	receipt := func(id string, qty int) string {
		return fmt.Sprintf(`{"id":%q,"supplier":"飞鹤","lines":[{"sku":"SKU03000","qty":%d}]}`, id, qty)
	}
	station := func(name string) string {
		return fmt.Sprintf(`{"name":%q,"printer":"browser","format":"pdf","label":"100x150"}`, name)
	}
	upstream := func(url string) string {
		return fmt.Sprintf(`{"dialect":"tally","url":%q,"token":"tok-keys-0123456789abcdef"}`, url)
	}
	recall := func(reason string) string {
		return fmt.Sprintf(`{"sku":%q,"lot":%q,"reason":%q}`, f.lotSKU, f.lotCode, reason)
	}
	must := func(t *testing.T, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	return []keyedWrite{
		{name: "wave", route: "POST /api/v1/waves", path: "/api/v1/waves", ctype: js,
			body: `{"mode":"single","max_orders":1}`, changed: `{"mode":"cluster","max_orders":1}`, body6: `{"mode":"single","max_orders":1}`,
			as: admin, other: admin2, status: 201, otherStatus: 409},
		{name: "import locations", route: "POST /api/v1/import/:kind", path: "/api/v1/import/locations", ctype: csv,
			body: "code,zone,pick_seq,kind\nX01-01-01,X,5,pick\n", changed: "code,zone,pick_seq,kind\nX01-01-02,X,5,pick\n", body6: "code,zone,pick_seq,kind\nX01-01-03,X,5,pick\n",
			as: admin, other: admin2, status: 200, otherStatus: 409},
		{name: "import waybills", route: "POST /api/v1/import/:kind", path: "/api/v1/import/waybills", ctype: csv,
			body: "account,waybill\nSF,SF7000000000001\n", changed: "account,waybill\nSF,SF7000000000002\n", body6: "account,waybill\nSF,SF7000000000003\n",
			as: admin, other: admin2, status: 200, otherStatus: 409},
		{name: "import receipts", route: "POST /api/v1/import/:kind", path: "/api/v1/import/receipts", ctype: csv,
			body: "receipt,supplier,sku,qty\nASN-K1,飞鹤,SKU03000,10\n", changed: "receipt,supplier,sku,qty\nASN-K1,飞鹤,SKU03000,11\n", body6: "receipt,supplier,sku,qty\nASN-K6,飞鹤,SKU03000,10\n",
			as: admin, other: admin2, status: 200, otherStatus: 409},
		{name: "waybills", route: "POST /api/v1/waybills", path: "/api/v1/waybills", ctype: js,
			body: `{"account":"ZTO","numbers":["ZT100000001"]}`, changed: `{"account":"ZTO","numbers":["ZT100000002"]}`, body6: `{"account":"ZTO","numbers":["ZT100000003"]}`,
			as: admin, other: admin2, status: 201, otherStatus: 409},
		{name: "lot status", route: "POST /api/v1/lots/status", path: "/api/v1/lots/status", ctype: js,
			body: fmt.Sprintf(`{"sku":%q,"lot":%q,"status":"quarantine","reason":"damp"}`, f.lotSKU, f.lotCode), changed: fmt.Sprintf(`{"sku":%q,"lot":%q,"status":"hold","reason":"damp"}`, f.lotSKU, f.lotCode),
			body6: fmt.Sprintf(`{"sku":%q,"lot":%q,"status":"available","reason":"dry"}`, f.lotSKU, f.lotCode),
			as:    admin, other: admin2, status: 200, otherStatus: 409},
		{name: "cancel", route: "POST /api/v1/orders/:no/cancel", path: "/api/v1/orders/SO700003/cancel", ctype: js,
			body: `{"reason":"buyer"}`, changed: `{"reason":"seller"}`, body6: `{"reason":"buyer"}`,
			as: admin, other: admin2, status: 200, otherStatus: 409},
		{name: "pick scan", route: "POST /api/v1/tasks/:id/scans", path: "/api/v1/tasks/" + f.task.ID + "/scans", ctype: js,
			body: f.pickBody(1), changed: f.pickBody(2), body6: f.pickBody(1),
			as: func(f keyedFixture) *client { return f.picker }, other: func(f keyedFixture) *client { return f.picker2 }, status: 200, otherStatus: 403},
		// the order is cancelled before the repeat, which still answers it new
		{name: "order", route: "POST /api/v1/orders", path: "/api/v1/orders", ctype: js,
			body: order("SO7100001", 1), changed: order("SO7100001", 2), body6: order("SO7100006", 1),
			as: admin, other: admin2, status: 201, otherStatus: 409,
			moveOn: func(t *testing.T, f keyedFixture) {
				_, err := f.l.CancelOrder(ctx, "SO7100001", "buyer", "", "B4001", "test")
				must(t, err)
			}},
		// a batch: one order created, one refused; the order is cancelled
		// before the repeat, which still answers it created
		{name: "order batch", route: "POST /api/v1/orders\\:batch", path: "/api/v1/orders:batch", ctype: js,
			body: `{"orders":[` + order("SO7200001", 1) + `,` + order("SO7200002", 0) + `]}`, changed: `{"orders":[` + order("SO7200001", 2) + `]}`,
			body6: `{"orders":[` + order("SO7200006", 1) + `]}`,
			as:    admin, other: admin2, status: 200, otherStatus: 409,
			moveOn: func(t *testing.T, f keyedFixture) {
				_, err := f.l.CancelOrder(ctx, "SO7200001", "buyer", "", "B4001", "test")
				must(t, err)
			}},
		// the ASN is closed before the repeat, which still answers it open
		{name: "receipt", route: "POST /api/v1/receipts", path: "/api/v1/receipts", ctype: js,
			body: receipt("ASN-K2", 5), changed: receipt("ASN-K2", 6), body6: receipt("ASN-K7", 5),
			as: admin, other: admin2, status: 201, otherStatus: 409,
			moveOn: func(t *testing.T, f keyedFixture) {
				_, err := f.l.CloseReceipt(ctx, "ASN-K2", "B3001", "test")
				must(t, err)
			}},
		// the RMA's parcel arrives before the repeat
		{name: "rma", route: "POST /api/v1/returns", path: "/api/v1/returns", ctype: js,
			body: `{"rma":"RMA-K1","order":"SO700001","reason":"七天无理由"}`, changed: `{"rma":"RMA-K1","order":"SO700001","reason":"破损"}`,
			body6: `{"rma":"RMA-K6","order":"SO700001"}`, as: admin, other: admin2, status: 201, otherStatus: 409,
			moveOn: func(t *testing.T, f keyedFixture) {
				_, err := f.l.AnnounceReturn(ctx, "", wms.RMA{RMA: "RMA-K1", Order: "SO700002", Reason: "其他"}, "oms", "test")
				must(t, err)
			}},
		// the station is renamed before the repeat
		{name: "station", route: "PUT /api/v1/stations/:id", method: "PUT", path: "/api/v1/stations/PACK-K1", ctype: js,
			body: station("打包台 K"), changed: station("打包台 L"), body6: station("打包台 M"),
			as: admin, other: admin2, status: 200, otherStatus: 409,
			moveOn: func(t *testing.T, f keyedFixture) {
				_, err := f.l.SaveStation(ctx, "", wms.Station{ID: "PACK-K1", Name: "改名", Printer: "browser", Format: "pdf", Label: "100x150"}, "B9001", "test")
				must(t, err)
			}},
		// the owner is renamed before the repeat
		{name: "owner", route: "POST /api/v1/owners", path: "/api/v1/owners", ctype: js,
			body: `{"code":"KEYS1","name":"甲"}`, changed: `{"code":"KEYS1","name":"乙"}`, body6: `{"code":"KEYS6","name":"丙"}`,
			as: admin, other: admin2, status: 201, otherStatus: 409,
			moveOn: func(t *testing.T, f keyedFixture) {
				_, err := f.l.SaveOwner(ctx, "", wms.Owner{Code: "KEYS1", Name: "丁"}, "B9001", "test")
				must(t, err)
			}},
		// the upstream is changed before the repeat
		{name: "upstream", route: "PUT /api/v1/sync/upstreams/:name", method: "PUT", path: "/api/v1/sync/upstreams/keys1", ctype: js,
			body: upstream("https://oms.example.com/k1"), changed: upstream("https://oms.example.com/k2"), body6: upstream("https://oms.example.com/k6"),
			as: admin, other: admin2, status: 200, otherStatus: 409,
			moveOn: func(t *testing.T, f keyedFixture) {
				_, err := f.l.SaveUpstream(ctx, "", wms.Upstream{Name: "keys1", Dialect: wms.DialectTally, URL: "https://oms.example.com/moved"}, "B9001", "test")
				must(t, err)
			}},
		// the shop's rules are changed before the repeat
		{name: "stock rules", route: "PUT /api/v1/sync/upstreams/:name/stock", method: "PUT", path: "/api/v1/sync/upstreams/keyshop/stock", ctype: js,
			body: `{"listings":[{"sku":"SKU03000","item_id":"1001","buffer":1}]}`, changed: `{"listings":[{"sku":"SKU03000","item_id":"1001","buffer":2}]}`,
			body6: `{"listings":[{"sku":"SKU03001","item_id":"1002"}],"buffer":3}`,
			as:    admin, other: admin2, status: 200, otherStatus: 409,
			moveOn: func(t *testing.T, f keyedFixture) {
				_, err := f.l.SaveStockRules(ctx, "", wms.StockRules{Upstream: "keyshop", Buffer: 9}, "B9001", "test")
				must(t, err)
			}},
		{name: "dead letter", route: "POST /api/v1/sync/dead-letters/:upstream/:seq", path: fmt.Sprintf("/api/v1/sync/dead-letters/keys/%d", f.deadSeq), ctype: js,
			body: `{"action":"retry"}`, changed: `{"action":"discard"}`, body6: `{"action":"retry"}`,
			as: admin, other: admin2, status: 200, otherStatus: 409},
		// the instruction is carried out; six at once carry out the other one
		{name: "instruction", route: "POST /api/v1/sync/instructions/:upstream/:id", path: "/api/v1/sync/instructions/keys/ADJ-K1", path6: "/api/v1/sync/instructions/keys/ADJ-K6", ctype: js,
			body: `{"action":"carry_out","location":"C01-01-01"}`, changed: `{"action":"carry_out","location":"C01-01-02"}`, body6: `{"action":"carry_out","location":"C01-01-03"}`,
			as: admin, other: admin2, status: 200, otherStatus: 409},
		// the worker explains the gap otherwise before the repeat
		{name: "gap reason", route: "POST /api/v1/kpi/gaps", path: "/api/v1/kpi/gaps", ctype: js,
			body: fmt.Sprintf(`{"actor":"B2001","from":%q,"reason":"waiting"}`, f.gapFrom[0]), changed: fmt.Sprintf(`{"actor":"B2001","from":%q,"reason":"break"}`, f.gapFrom[0]),
			body6: fmt.Sprintf(`{"actor":"B2001","from":%q,"reason":"equipment"}`, f.gapFrom[1]), as: admin, other: admin2, status: 200, otherStatus: 409,
			moveOn: func(t *testing.T, f keyedFixture) {
				_, err := f.l.ExplainGap(ctx, "", "B2001", mustTime(t, f.gapFrom[0]), "meeting", "B2001", "test")
				must(t, err)
			}},
		// the lot is released before the repeat, whose report still says held
		{name: "recall", route: "POST /api/v1/recall", path: "/api/v1/recall", ctype: js,
			body: recall("供应商召回"), changed: recall("另一个原因"), body6: recall("再次召回"),
			as: admin, other: admin2, status: 200, otherStatus: 409,
			moveOn: func(t *testing.T, f keyedFixture) {
				_, err := f.l.SetLotStatus(ctx, "release-"+f.lotCode, wms.LotStatusChange{SKU: f.lotSKU, Lot: f.lotCode, Status: wms.LotAvailable, Reason: "误报"}, "B4001", "test")
				must(t, err)
			}},
	}
}

// Every write that takes a key: the first call, the same again after what it
// acted on moved on (the same status and bytes, said to be a replay), the key
// with another body or from another person (refused), and six at once with a
// fresh key (one answer).
func TestKeyedWritesAnswerRepeatsAsTheFirst(t *testing.T) {
	f := newKeyedFixture(t)
	for _, tc := range keyedWrites(f) {
		t.Run(tc.name, func(t *testing.T) {
			method := cmp.Or(tc.method, "POST")
			as, other := tc.as(f), tc.other(f)
			key := "k-" + strings.ReplaceAll(tc.name, " ", "-")
			first := keyedPost(as, method, tc.path, key, tc.ctype, tc.body)
			if first.status != tc.status || first.replayed {
				t.Fatalf("first: %d %s (replayed %v)", first.status, first.body, first.replayed)
			}
			if tc.moveOn != nil {
				tc.moveOn(t, f)
			}
			again := keyedPost(as, method, tc.path, key, tc.ctype, tc.body)
			if again.status != first.status || again.body != first.body || !again.replayed {
				t.Errorf("repeat: %d %s (replayed %v), first %d %s", again.status, again.body, again.replayed, first.status, first.body)
			}
			if r := keyedPost(as, method, tc.path, key, tc.ctype, tc.changed); r.status != 409 || !strings.Contains(r.body, `"key":"key.changed"`) {
				t.Errorf("changed request: %d %s", r.status, r.body)
			}
			if r := keyedPost(other, method, tc.path, key, tc.ctype, tc.body); r.status != tc.otherStatus || r.replayed {
				t.Errorf("another person: %d %s", r.status, r.body)
			}
			six := make([]keyedCall, 6)
			var wg sync.WaitGroup
			for i := range six {
				wg.Add(1)
				go func() {
					defer wg.Done()
					six[i] = keyedPost(as, method, cmp.Or(tc.path6, tc.path), key+"-six", tc.ctype, tc.body6)
				}()
			}
			wg.Wait()
			replays := 0
			for i, r := range six {
				if r.status != six[0].status || r.body != six[0].body || r.status >= 300 {
					t.Errorf("concurrent %d: %d %s, first %d %s", i, r.status, r.body, six[0].status, six[0].body)
				}
				if r.replayed {
					replays++
				}
			}
			if replays != 5 {
				t.Errorf("%d of six concurrent calls were replays, want 5", replays)
			}
		})
	}
}

// naturallyIdempotent are the API writes that take no key, and why a retry
// is safe without one.
var naturallyIdempotent = map[string]string{
	"POST /api/v1/tasks/next":           "a picker holding a task is handed that task again; the choice is made in the commit that starts it",
	"POST /api/v1/standby/promote":      "a repeat finds the store a primary already and is refused (409), changing nothing",
	"POST /api/v1/sync/reconciliations": "a repeat compares again and finds nothing new: the first one's adjustment is on its way upstream, counted as not yet applied, so it records a report without differences and moves no stock",
}

// Every POST, PUT and DELETE under /api/v1 in routes.go either takes a key
// (it is in keyedWrites, which proves it) or is listed as naturally
// idempotent, with the reason.
func TestEveryAPIWriteTakesAKey(t *testing.T) {
	s, _ := testServer(t)
	keyed := map[string]bool{}
	for _, w := range keyedWrites(keyedFixture{task: wms.Task{ID: "T"}, line: wms.TaskLine{GTINs: []string{"0"}}}) {
		keyed[w.route] = true
	}
	writes := 0
	for _, r := range s.app.GetRoutes(true) {
		if !strings.HasPrefix(r.Path, "/api/v1/") || (r.Method != "POST" && r.Method != "PUT" && r.Method != "DELETE" && r.Method != "PATCH") {
			continue
		}
		writes++
		route := r.Method + " " + r.Path
		switch reason, natural := naturallyIdempotent[route]; {
		case keyed[route] && natural:
			t.Errorf("%s takes a key and is listed as naturally idempotent (%s)", route, reason)
		case !keyed[route] && !natural:
			t.Errorf("%s takes no key (add it to keyedWrites) and is not listed as naturally idempotent", route)
		case natural && reason == "":
			t.Errorf("%s is listed as naturally idempotent without a reason", route)
		}
	}
	for route := range keyed {
		if !routeExists(s, route) {
			t.Errorf("keyedWrites names %s, which routes.go does not have", route)
		}
	}
	if writes < 10 {
		t.Fatalf("only %d API writes found", writes)
	}
}

func routeExists(s *Server, route string) bool {
	for _, r := range s.app.GetRoutes(true) {
		if r.Method+" "+r.Path == route {
			return true
		}
	}
	return false
}

// Found: POST /api/v1/waves {"mode":"single","carrier":"ZTO"} with a key
// answered 201 W36, then 404 "No new orders match." on the retry.
func TestWaveRetryAnswersTheWaveNotNoOrders(t *testing.T) {
	f := newKeyedFixture(t)
	for _, lang := range langs {
		f.admin.lang = lang
		key := "w1-" + lang
		first := keyedPost(f.admin, "POST", "/api/v1/waves", key, "application/json", `{"mode":"single","max_orders":1}`)
		var w wms.Wave
		if err := json.Unmarshal([]byte(first.body), &w); err != nil || first.status != http.StatusCreated || w.ID == "" {
			t.Fatalf("%s: first: %d %s", lang, first.status, first.body)
		}
		again := keyedPost(f.admin, "POST", "/api/v1/waves", key, "application/json", `{"mode":"single","max_orders":1}`)
		if again.status != http.StatusCreated || again.body != first.body {
			t.Errorf("%s: retry: %d %s, first %s", lang, again.status, again.body, first.body)
		}
	}
	// once every order is released a fresh key says so; the old ones still answer their waves
	if r := keyedPost(f.admin, "POST", "/api/v1/waves", "w-rest", "application/json", `{"mode":"single"}`); r.status != 201 {
		t.Fatalf("the rest: %d %s", r.status, r.body)
	}
	if r := keyedPost(f.admin, "POST", "/api/v1/waves", "w-fresh", "application/json", `{"mode":"single"}`); r.status != 404 {
		t.Errorf("fresh key with nothing to release: %d %s", r.status, r.body)
	}
	if r := keyedPost(f.admin, "POST", "/api/v1/waves", "w1-en", "application/json", `{"mode":"single","max_orders":1}`); r.status != 201 {
		t.Errorf("retry after the orders ran out: %d %s", r.status, r.body)
	}
}

// Found: an import of waybills or receipts retried with its key answered 400
// "already loaded".
func TestImportRetryIsNotAlreadyLoaded(t *testing.T) {
	f := newKeyedFixture(t)
	for _, tc := range []struct{ kind, csv string }{
		{"waybills", "account,waybill\nSF,SF7100000000001\nSF,SF7100000000002\n"},
		{"receipts", "receipt,supplier,sku,qty\nASN-R1,飞鹤,SKU03000,10\n"},
	} {
		first := keyedPost(f.admin, "POST", "/api/v1/import/"+tc.kind, "imp-"+tc.kind, "text/csv", tc.csv)
		again := keyedPost(f.admin, "POST", "/api/v1/import/"+tc.kind, "imp-"+tc.kind, "text/csv", tc.csv)
		if first.status != 200 || again.status != 200 || again.body != first.body || !again.replayed {
			t.Errorf("%s: first %d %s, retry %d %s", tc.kind, first.status, first.body, again.status, again.body)
		}
		// the same file with a new key is a new upload, and is refused as loaded
		if r := keyedPost(f.admin, "POST", "/api/v1/import/"+tc.kind, "imp-"+tc.kind+"-2", "text/csv", tc.csv); r.status != 400 {
			t.Errorf("%s with a new key: %d %s", tc.kind, r.status, r.body)
		}
	}
}

// Found: the same key with qty 5 instead of 1 answered duplicate:true.
func TestScanKeyWithAnotherQtyIsRefused(t *testing.T) {
	f := newKeyedFixture(t)
	path := "/api/v1/tasks/" + f.task.ID + "/scans"
	for i, lang := range langs {
		f.picker.lang = lang
		key := fmt.Sprintf("scan-%d", i)
		if r := keyedPost(f.picker, "POST", path, key, "application/json", f.pickBody(1)); r.status != 200 {
			t.Fatalf("%s: pick: %d %s", lang, r.status, r.body)
		}
		r := keyedPost(f.picker, "POST", path, key, "application/json", f.pickBody(5))
		var e struct{ Error, Key string }
		_ = json.Unmarshal([]byte(r.body), &e)
		if r.status != 409 || e.Key != "key.changed" || !strings.Contains(e.Error, key) {
			t.Errorf("%s: qty 5 on the key of qty 1: %d %s", lang, r.status, r.body)
		}
	}
	if tk, _ := f.l.Task(f.task.ID); tk.Lines[0].Done != 2 {
		t.Errorf("picked %d, want 2", tk.Lines[0].Done)
	}
}

// Found: another device's key on one's own task answered duplicate:true.
func TestScanKeyOfAnotherPickerIsRefused(t *testing.T) {
	f := newKeyedFixture(t)
	// picker 2 takes the next task and scans with key "theirs"
	if _, err := f.l.ReleaseWave(context.Background(), wms.WaveFilter{Mode: wms.WaveSingle, MaxOrders: 1}, "wave-2", "B4001", "test"); err != nil {
		t.Fatal(err)
	}
	var other wms.Task
	resp, text := f.picker2.do("POST", "/api/v1/tasks/next", nil, map[string]string{"X-Tally-Device": "pda-1"})
	if err := json.Unmarshal([]byte(text), &other); err != nil || resp.StatusCode != 200 {
		t.Fatalf("next: %d %s", resp.StatusCode, text)
	}
	ol := other.Lines[0]
	body := fmt.Sprintf(`{"type":"pick","line":%d,"location":%q,"codes":[%q]}`, ol.N, ol.Location, ol.GTINs[0][1:])
	if r := keyedPost(f.picker2, "POST", "/api/v1/tasks/"+other.ID+"/scans", "theirs", "application/json", body); r.status != 200 {
		t.Fatalf("their scan: %d %s", r.status, r.body)
	}
	for _, lang := range langs {
		f.picker.lang = lang
		r := keyedPost(f.picker, "POST", "/api/v1/tasks/"+f.task.ID+"/scans", "theirs", "application/json", f.pickBody(1))
		if r.status != 409 || !strings.Contains(r.body, `"key":"key.other_actor"`) || r.replayed {
			t.Errorf("%s: another picker's key on my task: %d %s (replayed %v)", lang, r.status, r.body, r.replayed)
		}
	}
	if tk, _ := f.l.Task(f.task.ID); tk.Lines[0].Done != 0 {
		t.Errorf("my task picked %d", tk.Lines[0].Done)
	}
}

// Found: a picker replaying a key on a task they do not hold got that task's
// data; a fresh key gets 403, and so does the replay.
func TestScanReplayOnATaskNotHeldIsForbidden(t *testing.T) {
	f := newKeyedFixture(t)
	path := "/api/v1/tasks/" + f.task.ID + "/scans"
	if r := keyedPost(f.picker, "POST", path, "mine", "application/json", f.pickBody(1)); r.status != 200 {
		t.Fatalf("pick: %d %s", r.status, r.body)
	}
	fresh := keyedPost(f.picker2, "POST", path, "fresh", "application/json", f.pickBody(1))
	replay := keyedPost(f.picker2, "POST", path, "mine", "application/json", f.pickBody(1))
	if fresh.status != 403 || replay.status != 403 || replay.body != fresh.body || strings.Contains(replay.body, `"lines"`) {
		t.Errorf("fresh key %d %s; replayed key %d %s", fresh.status, fresh.body, replay.status, replay.body)
	}
}

// Found: a cancel's key reused on another order cancelled that order too
// (the key was made per order, so it was never found again).
func TestCancelKeyOnAnotherOrderIsRefused(t *testing.T) {
	f := newKeyedFixture(t)
	if r := keyedPost(f.admin, "POST", "/api/v1/orders/SO700002/cancel", "cx", "application/json", `{"reason":"客户取消"}`); r.status != 200 {
		t.Fatalf("cancel: %d %s", r.status, r.body)
	}
	for _, lang := range langs {
		f.admin.lang = lang
		r := keyedPost(f.admin, "POST", "/api/v1/orders/SO700003/cancel", "cx", "application/json", `{"reason":"客户取消"}`)
		var e struct{ Error, Key string }
		_ = json.Unmarshal([]byte(r.body), &e)
		if r.status != 409 || e.Key != "key.other_request" || !strings.Contains(e.Error, "SO700002") || r.replayed {
			t.Errorf("%s: the key on another order: %d %s", lang, r.status, r.body)
		}
	}
	if o, err := f.l.Order("SO700003"); err != nil || o.State == wms.OrderCancelled {
		t.Errorf("the other order: %v %s", err, o.State)
	}
}

// Found: a lot status key reused on another lot named the first lot with NUL
// bytes between its owner, SKU and lot.
func TestKeyOnAnotherLotNamesItReadably(t *testing.T) {
	f := newKeyedFixture(t)
	lots, err := f.l.Lots()
	if err != nil {
		t.Fatal(err)
	}
	var other wms.Lot
	for _, lot := range lots {
		if lot.Owner == wms.DefaultOwner && (lot.SKU != f.lotSKU || lot.Code != f.lotCode) {
			other = lot
			break
		}
	}
	body := func(sku, lot string) string {
		return fmt.Sprintf(`{"sku":%q,"lot":%q,"status":"hold","reason":"待查"}`, sku, lot)
	}
	if r := keyedPost(f.admin, "POST", "/api/v1/lots/status", "ls", "application/json", body(f.lotSKU, f.lotCode)); r.status != 200 {
		t.Fatalf("hold: %d %s", r.status, r.body)
	}
	r := keyedPost(f.admin, "POST", "/api/v1/lots/status", "ls", "application/json", body(other.SKU, other.Code))
	var e struct {
		Error, Key string
		Args       map[string]string
	}
	_ = json.Unmarshal([]byte(r.body), &e)
	want := wms.DefaultOwner + " " + f.lotSKU + " " + f.lotCode
	if r.status != 409 || e.Key != "key.other_request" || e.Args["target"] != want || !strings.Contains(e.Error, want) {
		t.Errorf("the key on another lot: %d %s, want the target %q", r.status, r.body, want)
	}
}

func mustTime(t *testing.T, v string) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339, v)
	if err != nil {
		t.Fatal(err)
	}
	return at
}
