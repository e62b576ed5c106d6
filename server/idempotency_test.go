package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

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
	return f
}

func (f keyedFixture) pickBody(qty int) string {
	return fmt.Sprintf(`{"type":"pick","line":%d,"location":%q,"codes":[%q],"qty":%d}`, f.line.N, f.line.Location, f.ean, qty)
}

// Every write that takes a key: the first call, the same again (the same
// status and bytes, said to be a replay), the key with another body or from
// another person (refused), and six at once with a fresh key (one answer).
func TestKeyedWritesAnswerRepeatsAsTheFirst(t *testing.T) {
	f := newKeyedFixture(t)
	const js, csv = "application/json", "text/csv"
	cases := []struct {
		name, method, path, ctype string
		body, changed, body6      string // body6: the request the six concurrent calls send
		as, other                 func(keyedFixture) *client
		status, otherStatus       int
	}{
		{name: "wave", method: "POST", path: "/api/v1/waves", ctype: js,
			body: `{"mode":"single","max_orders":1}`, changed: `{"mode":"cluster","max_orders":1}`, body6: `{"mode":"single","max_orders":1}`,
			as: func(f keyedFixture) *client { return f.admin }, other: func(f keyedFixture) *client { return f.admin2 }, status: 201, otherStatus: 409},
		{name: "import locations", method: "POST", path: "/api/v1/import/locations", ctype: csv,
			body: "code,zone,pick_seq,kind\nX01-01-01,X,5,pick\n", changed: "code,zone,pick_seq,kind\nX01-01-02,X,5,pick\n", body6: "code,zone,pick_seq,kind\nX01-01-03,X,5,pick\n",
			as: func(f keyedFixture) *client { return f.admin }, other: func(f keyedFixture) *client { return f.admin2 }, status: 200, otherStatus: 409},
		{name: "import waybills", method: "POST", path: "/api/v1/import/waybills", ctype: csv,
			body: "account,waybill\nSF,SF7000000000001\n", changed: "account,waybill\nSF,SF7000000000002\n", body6: "account,waybill\nSF,SF7000000000003\n",
			as: func(f keyedFixture) *client { return f.admin }, other: func(f keyedFixture) *client { return f.admin2 }, status: 200, otherStatus: 409},
		{name: "import receipts", method: "POST", path: "/api/v1/import/receipts", ctype: csv,
			body: "receipt,supplier,sku,qty\nASN-K1,飞鹤,SKU03000,10\n", changed: "receipt,supplier,sku,qty\nASN-K1,飞鹤,SKU03000,11\n", body6: "receipt,supplier,sku,qty\nASN-K6,飞鹤,SKU03000,10\n",
			as: func(f keyedFixture) *client { return f.admin }, other: func(f keyedFixture) *client { return f.admin2 }, status: 200, otherStatus: 409},
		{name: "waybills", method: "POST", path: "/api/v1/waybills", ctype: js,
			body: `{"account":"ZTO","numbers":["ZT100000001"]}`, changed: `{"account":"ZTO","numbers":["ZT100000002"]}`, body6: `{"account":"ZTO","numbers":["ZT100000003"]}`,
			as: func(f keyedFixture) *client { return f.admin }, other: func(f keyedFixture) *client { return f.admin2 }, status: 201, otherStatus: 409},
		{name: "lot status", method: "POST", path: "/api/v1/lots/status", ctype: js,
			body: fmt.Sprintf(`{"sku":%q,"lot":%q,"status":"quarantine","reason":"damp"}`, f.lotSKU, f.lotCode), changed: fmt.Sprintf(`{"sku":%q,"lot":%q,"status":"hold","reason":"damp"}`, f.lotSKU, f.lotCode),
			body6: fmt.Sprintf(`{"sku":%q,"lot":%q,"status":"available","reason":"dry"}`, f.lotSKU, f.lotCode),
			as:    func(f keyedFixture) *client { return f.admin }, other: func(f keyedFixture) *client { return f.admin2 }, status: 200, otherStatus: 409},
		{name: "cancel", method: "POST", path: "/api/v1/orders/SO700003/cancel", ctype: js,
			body: `{"reason":"buyer"}`, changed: `{"reason":"seller"}`, body6: `{"reason":"buyer"}`,
			as: func(f keyedFixture) *client { return f.admin }, other: func(f keyedFixture) *client { return f.admin2 }, status: 200, otherStatus: 409},
		{name: "pick scan", method: "POST", path: "/api/v1/tasks/" + f.task.ID + "/scans", ctype: js,
			body: f.pickBody(1), changed: f.pickBody(2), body6: f.pickBody(1),
			as: func(f keyedFixture) *client { return f.picker }, other: func(f keyedFixture) *client { return f.picker2 }, status: 200, otherStatus: 403},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			as, other := tc.as(f), tc.other(f)
			key := "k-" + strings.ReplaceAll(tc.name, " ", "-")
			first := keyedPost(as, tc.method, tc.path, key, tc.ctype, tc.body)
			if first.status != tc.status || first.replayed {
				t.Fatalf("first: %d %s (replayed %v)", first.status, first.body, first.replayed)
			}
			again := keyedPost(as, tc.method, tc.path, key, tc.ctype, tc.body)
			if again.status != first.status || again.body != first.body || !again.replayed {
				t.Errorf("repeat: %d %s (replayed %v), first %d %s", again.status, again.body, again.replayed, first.status, first.body)
			}
			if r := keyedPost(as, tc.method, tc.path, key, tc.ctype, tc.changed); r.status != 409 || !strings.Contains(r.body, `"key":"key.changed"`) {
				t.Errorf("changed request: %d %s", r.status, r.body)
			}
			if r := keyedPost(other, tc.method, tc.path, key, tc.ctype, tc.body); r.status != tc.otherStatus || r.replayed {
				t.Errorf("another person: %d %s", r.status, r.body)
			}
			six := make([]keyedCall, 6)
			var wg sync.WaitGroup
			for i := range six {
				wg.Add(1)
				go func() {
					defer wg.Done()
					six[i] = keyedPost(as, tc.method, tc.path, key+"-six", tc.ctype, tc.body6)
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
