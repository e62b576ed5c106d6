package fakeoms

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"tally/syncer"
	"tally/wms"
)

// get sends a signed GET of target (path and query under the server) and returns its status,
// body and headers.
func (r *rig) get(target string) (int, []byte, http.Header) {
	r.t.Helper()
	req, err := http.NewRequest(http.MethodGet, r.srv.URL+target, nil)
	if err != nil {
		r.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	if err := syncer.Sign(req, nil, testSecret, testNow); err != nil {
		r.t.Fatal(err)
	}
	resp, err := r.srv.Client().Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		r.t.Fatal(err)
	}
	return resp.StatusCode, b, resp.Header
}

// pull reads one page that must be answered 200.
func (r *rig) pull(query string) Page {
	r.t.Helper()
	status, b, _ := r.get(testBase + "/changes" + query)
	if status != http.StatusOK {
		r.t.Fatalf("pull %s: %d %s", query, status, b)
	}
	var p Page
	if err := json.Unmarshal(b, &p); err != nil {
		r.t.Fatalf("page %s: %v", b, err)
	}
	return p
}

// admin sends an unauthenticated admin request and returns its status and body.
func (r *rig) admin(method, path, body string) (int, []byte) {
	r.t.Helper()
	req, err := http.NewRequest(method, r.srv.URL+path, strings.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	resp, err := r.srv.Client().Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		r.t.Fatal(err)
	}
	return resp.StatusCode, b
}

func ids(p Page) string {
	var s []string
	for _, c := range p.Changes {
		s = append(s, c.ID)
	}
	return strings.Join(s, ",")
}

// appendChanges adds changes c1..cn, the owner of each from owners in turn.
func (r *rig) appendChanges(n int, owners ...string) {
	r.t.Helper()
	for i := 1; i <= n; i++ {
		body := fmt.Sprintf(`{"type":"sku","owner":%q,"id":"c%d","data":{"code":"SKU%05d","name":"n"}}`, owners[(i-1)%len(owners)], i, i)
		if status, b := r.admin("POST", "/admin/changes", body); status != http.StatusCreated {
			r.t.Fatalf("append %d: %d %s", i, status, b)
		}
	}
}

func TestChangesPaging(t *testing.T) {
	r := newRig(t)
	if p := r.pull(""); len(p.Changes) != 0 || p.Next != "c-000000000000" || p.More {
		t.Fatalf("empty log: %+v", p)
	}
	r.appendChanges(7, "DEFAULT")
	p := r.pull("?limit=3")
	if ids(p) != "c1,c2,c3" || p.Next != "c-000000000003" || !p.More {
		t.Fatalf("first page %s next %s more %v", ids(p), p.Next, p.More)
	}
	if c := p.Changes[0]; c.Type != "sku" || c.Owner != "DEFAULT" || !c.At.Equal(testNow) || string(c.Data) != `{"code":"SKU00001","name":"n"}` {
		t.Errorf("change %+v", c)
	}
	p = r.pull("?after=" + p.Next + "&limit=3")
	if ids(p) != "c4,c5,c6" || p.Next != "c-000000000006" || !p.More {
		t.Fatalf("second page %s next %s more %v", ids(p), p.Next, p.More)
	}
	p = r.pull("?after=" + p.Next + "&limit=3")
	if ids(p) != "c7" || p.Next != "c-000000000007" || p.More {
		t.Fatalf("last page %s next %s more %v", ids(p), p.Next, p.More)
	}
	// caught up: the same cursor again, nothing more
	p = r.pull("?after=" + p.Next)
	if len(p.Changes) != 0 || p.Next != "c-000000000007" || p.More {
		t.Fatalf("caught up: %+v", p)
	}
	// the default limit is 100, the most 500
	r.appendChanges(0, "DEFAULT")
	for i := 8; i <= 120; i++ {
		if _, err := r.oms.Append(Change{Type: ChangeSKU, Data: json.RawMessage(`{"code":"X"}`)}); err != nil {
			t.Fatal(err)
		}
	}
	if p := r.pull(""); len(p.Changes) != 100 || !p.More || p.Next != "c-000000000100" {
		t.Errorf("default limit: %d changes, more %v, next %s", len(p.Changes), p.More, p.Next)
	}
	if p := r.pull("?limit=500"); len(p.Changes) != 120 || p.More || p.Next != "c-000000000120" {
		t.Errorf("limit 500: %d changes, more %v, next %s", len(p.Changes), p.More, p.Next)
	}
}

func TestChangesOwnerFilter(t *testing.T) {
	r := newRig(t)
	// c1 D, c2 B, c3 D, c4 B, c5 D, c6 B, c7 D, c8 D
	r.appendChanges(6, "DEFAULT", "BEIBEI")
	r.appendChanges(0, "DEFAULT")
	for _, id := range []string{"c7", "c8"} {
		if _, err := r.oms.Append(Change{ID: id, Type: ChangeSKU, Data: json.RawMessage(`{"code":"X"}`)}); err != nil {
			t.Fatal(err)
		}
	}
	p := r.pull("?owner=BEIBEI&limit=2")
	if ids(p) != "c2,c4" || p.Next != "c-000000000004" || !p.More {
		t.Fatalf("BEIBEI page 1: %s next %s more %v", ids(p), p.Next, p.More)
	}
	p = r.pull("?owner=BEIBEI&limit=2&after=" + p.Next)
	// the page ends at c6, BEIBEI's last: next never passes it, though c7 and c8 were read
	if ids(p) != "c6" || p.Next != "c-000000000006" || p.More {
		t.Fatalf("BEIBEI page 2: %s next %s more %v", ids(p), p.Next, p.More)
	}
	p = r.pull("?owner=BEIBEI&after=" + p.Next)
	if len(p.Changes) != 0 || p.Next != "c-000000000006" || p.More {
		t.Fatalf("BEIBEI caught up: %+v", p)
	}
	p = r.pull("?owner=DEFAULT&after=c-000000000003")
	if ids(p) != "c5,c7,c8" || p.Next != "c-000000000008" {
		t.Fatalf("DEFAULT after c3: %s next %s", ids(p), p.Next)
	}
	for _, c := range p.Changes {
		if c.Owner != "DEFAULT" {
			t.Errorf("owner filter passed %+v", c)
		}
	}
}

func TestChangesRefusesBadQueries(t *testing.T) {
	r := newRig(t)
	for q, code := range map[string]string{
		"?limit=0":              "limit.invalid",
		"?limit=501":            "limit.invalid",
		"?limit=ten":            "limit.invalid",
		"?limit=-1":             "limit.invalid",
		"?limit=1&limit=2":      "query.invalid",
		"?after=123":            "cursor.invalid",
		"?after=c-12":           "cursor.invalid",
		"?after=c-00000000000x": "cursor.invalid",
		"?owner=":               "owner.invalid",
		"?owner=A%20B":          "owner.invalid",
	} {
		status, b, _ := r.get(testBase + "/changes" + q)
		var e apiError
		if err := json.Unmarshal(b, &e); err != nil || status != http.StatusBadRequest || e.Code != code || e.Error == "" {
			t.Errorf("%s: %d %s, want 400 %s", q, status, b, code)
		}
	}
	// unsigned: refused like a push
	resp, err := r.srv.Client().Get(r.srv.URL + testBase + "/changes")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unsigned pull: %d", resp.StatusCode)
	}
}

func TestAdminChanges(t *testing.T) {
	r := newRig(t)
	for name, body := range map[string]string{
		"unknown type":   `{"type":"price","data":{}}`,
		"no type":        `{"data":{}}`,
		"data not obj":   `{"type":"sku","data":[1]}`,
		"no data":        `{"type":"sku"}`,
		"bad owner":      `{"type":"sku","owner":"A B","data":{}}`,
		"long id":        `{"type":"sku","id":"` + strings.Repeat("x", 65) + `","data":{}}`,
		"unknown field":  `{"type":"sku","data":{},"dat":1}`,
		"two values":     `{"type":"sku","data":{}} {}`,
		"data too large": `{"type":"sku","data":{"x":"` + strings.Repeat("a", MaxChangeData) + `"}}`,
	} {
		status, b := r.admin("POST", "/admin/changes", body)
		if status != http.StatusBadRequest || !bytes.Contains(b, []byte(`"change.invalid"`)) {
			t.Errorf("%s: %d %.200s", name, status, b)
		}
	}
	status, b := r.admin("POST", "/admin/changes", `{"type":"asn","owner":"BEIBEI","data":{"id":"ASN-1","supplier":"s","lines":[{"sku":"BB-RICE","qty":6}]}}`)
	var c Change
	if err := json.Unmarshal(b, &c); err != nil || status != http.StatusCreated || c.ID != "OMS-000001" || c.Owner != "BEIBEI" {
		t.Fatalf("asn: %d %s", status, b)
	}
	if status, b := r.admin("POST", "/admin/changes", `{"type":"sku","id":"OMS-000001","data":{}}`); status != http.StatusConflict || !bytes.Contains(b, []byte("change.id_taken")) {
		t.Errorf("taken ID: %d %s", status, b)
	}
	order := `{"owner":"BEIBEI","id":"ORD-9","no":"OMS9","platform":"TM","recipient":{"name":"林晓","phone":"137","address":"厦门"},"lines":[{"sku":"BB-RICE","qty":1}]}`
	if status, b := r.admin("POST", "/admin/orders", order); status != http.StatusCreated {
		t.Fatalf("order: %d %s", status, b)
	}
	if status, b := r.admin("POST", "/admin/orders", `{"no":"X","lines":[]}`); status != http.StatusBadRequest || !bytes.Contains(b, []byte("order.invalid")) {
		t.Errorf("bad order: %d %s", status, b)
	}
	if status, b := r.admin("POST", "/admin/cancel", `{"owner":"BEIBEI","no":"OMS9","reason":"客户取消"}`); status != http.StatusCreated {
		t.Fatalf("cancel: %d %s", status, b)
	}
	if status, b := r.admin("POST", "/admin/cancel", `{"no":"OMS9"}`); status != http.StatusBadRequest {
		t.Errorf("cancel without reason: %d %s", status, b)
	}
	p := r.pull("")
	// the refused change used no number: ORD-9 is the second, the cancel the third
	if ids(p) != "OMS-000001,ORD-9,OMS-000003" {
		t.Fatalf("log %s", ids(p))
	}
	var o map[string]any
	if err := json.Unmarshal(p.Changes[1].Data, &o); err != nil || o["owner"] != nil || o["id"] != nil || o["no"] != "OMS9" || p.Changes[1].Owner != "BEIBEI" {
		t.Errorf("order change %+v: the owner and id go in the envelope", p.Changes[1])
	}
	if got := string(p.Changes[2].Data); got != `{"no":"OMS9","reason":"客户取消"}` || p.Changes[2].Type != ChangeCancel {
		t.Errorf("cancel change %s %s", p.Changes[2].Type, got)
	}
	// the pull served the order: it is open for BEIBEI
	s := r.snapshot("BEIBEI")
	if strings.Join(s.OpenOrders, ",") != "OMS9" {
		t.Errorf("open orders %v", s.OpenOrders)
	}
}

func TestGeneratedOrdersTakenByARealLedger(t *testing.T) {
	now := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)
	const n = 300
	changes, err := GenerateDemo(n, now)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := GenerateDemo(n, now)
	a, _ := json.Marshal(changes)
	b, _ := json.Marshal(again)
	if !bytes.Equal(a, b) {
		t.Error("the same n and day gave other orders")
	}
	zone, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	l, err := wms.Open(t.TempDir(), wms.Options{Now: func() time.Time { return now }, Zone: zone})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	if _, err := l.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := l.SeedDemoOrders(ctx); err != nil {
		t.Fatal(err)
	}
	orders, brand, waybills := 0, 0, map[string]int{}
	need := map[string]int{}
	for _, c := range changes {
		switch c.Type {
		case ChangeWaybills:
			if orders > 0 {
				t.Fatalf("waybills %s after an order", c.ID)
			}
			var w wms.WaybillLoad
			if err := json.Unmarshal(c.Data, &w); err != nil {
				t.Fatal(err)
			}
			w.Owner = c.Owner
			if _, err := l.LoadWaybills(ctx, c.ID, w, "oms", "test"); err != nil {
				t.Fatalf("waybills %s: %v", c.ID, err)
			}
			waybills[c.Owner+" "+w.Account] += len(w.Numbers)
		case ChangeOrder:
			orders++
			var o wms.OrderIntake
			if err := json.Unmarshal(c.Data, &o); err != nil {
				t.Fatal(err)
			}
			if want := fmt.Sprintf("OMS%07d", orders); o.No != want {
				t.Errorf("order number %s, want %s", o.No, want)
			}
			if len(o.Lines) < 1 || len(o.Lines) > 3 || len(o.PlatformOrderIDs) == 0 || o.Lines[0].PlatformSubOrderID == "" {
				t.Errorf("order %+v", o)
			}
			o.Owner = c.Owner
			if c.Owner == wms.DemoOwner.Code {
				brand++
			}
			need[c.Owner+" "+o.Carrier]++
			got, dup, err := l.ReceiveOrder(ctx, "", o, "oms", "test")
			if err != nil || dup || got.State != wms.OrderNew {
				t.Fatalf("order %s (%s): %v dup %v", o.No, c.Owner, err, dup)
			}
		default:
			t.Fatalf("change type %s", c.Type)
		}
	}
	if orders != n || brand < n/10 || brand > n/3 {
		t.Errorf("%d orders, %d the brand's", orders, brand)
	}
	for acc, k := range need {
		if waybills[acc] < 2*k {
			t.Errorf("%s: %d waybill numbers for %d orders", acc, waybills[acc], k)
		}
	}
	// the stock fills them all: a wave of everything waits for nothing
	wave, err := l.ReleaseWave(ctx, wms.WaveFilter{Mode: wms.WaveSingle, MaxOrders: 1000}, "wave-all", "test", "test")
	if err != nil {
		t.Fatal(err)
	}
	if len(wave.Orders) < n {
		t.Errorf("the wave took %d orders, want all %d and the demo's", len(wave.Orders), n)
	}
	if len(wave.Waiting) != 0 {
		t.Errorf("%d orders wait for stock: %v", len(wave.Waiting), wave.Waiting[:min(5, len(wave.Waiting))])
	}
}

func TestGeneratedOnceAtFirstStart(t *testing.T) {
	r := &rig{t: t, path: t.TempDir() + "/oms.db"}
	open := func() {
		oms, err := New(Options{Path: r.path, Base: testBase, Token: testToken, Secret: testSecret, Orders: 20,
			Now: func() time.Time { return testNow }})
		if err != nil {
			t.Fatal(err)
		}
		r.oms = oms
	}
	open()
	p, err := r.oms.Changes("", MaxLimit, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Changes) != 24 || p.Changes[0].Type != ChangeWaybills || p.Changes[4].ID != "OMS-ORD-OMS0000001" {
		t.Fatalf("log: %s", ids(p))
	}
	r.oms.Close()
	open()
	defer r.oms.Close()
	if p2, _ := r.oms.Changes("", MaxLimit, ""); len(p2.Changes) != 24 {
		t.Errorf("reopening generated again: %d changes", len(p2.Changes))
	}
}
