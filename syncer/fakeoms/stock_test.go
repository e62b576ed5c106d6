package fakeoms

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

func (r *rig) snapshot(owner string) Snapshot {
	r.t.Helper()
	status, b, _ := r.get(testBase + "/stock?owner=" + owner)
	if status != http.StatusOK {
		r.t.Fatalf("stock %s: %d %s", owner, status, b)
	}
	var s Snapshot
	if err := json.Unmarshal(b, &s); err != nil {
		r.t.Fatalf("snapshot %s: %v", b, err)
	}
	return s
}

func env(id string, seq int, typ, owner, data string) string {
	o := ""
	if owner != "" {
		o = fmt.Sprintf(`"owner":%q,`, owner)
	}
	return fmt.Sprintf(`{"id":%q,"seq":%d,"type":%q,"at":"2026-01-01T00:00:00Z",%s"data":%s}`, id, seq, typ, o, data)
}

// checkFold compares the projection with a fresh fold of every kept event.
func (r *rig) checkFold() {
	r.t.Helper()
	want, err := fold(r.received())
	if err != nil {
		r.t.Fatal(err)
	}
	got, err := r.oms.allStock()
	if err != nil {
		r.t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		r.t.Errorf("projection %+v, a fresh fold %+v", got, want)
	}
}

func TestStockSnapshot(t *testing.T) {
	r := newRig(t)
	for _, body := range []string{
		`{"no":"OMS1","platform":"TM","recipient":{"name":"张三","phone":"138","address":"杭州"},"lines":[{"sku":"SKU00001","qty":3}]}`,
		`{"no":"OMS2","platform":"JD","recipient":{"name":"李四","phone":"139","address":"上海"},"lines":[{"sku":"SKU00001","qty":1}]}`,
		`{"no":"OMS3","platform":"DY","recipient":{"name":"王五","phone":"137","address":"北京"},"lines":[{"sku":"SKU00003","qty":1}]}`,
		`{"owner":"BEIBEI","no":"OMS1","platform":"TM","recipient":{"name":"林","phone":"1","address":"厦门"},"lines":[{"sku":"BB-RICE","qty":1}]}`,
		`{"no":"OMS4","platform":"TB","recipient":{"name":"赵六","phone":"136","address":"成都"},"lines":[{"sku":"SKU00003","qty":1}]}`,
	} {
		if status, b := r.admin("POST", "/admin/orders", body); status != http.StatusCreated {
			t.Fatalf("order: %d %s", status, b)
		}
	}
	// OMS4 is never pulled: only served orders are open
	p := r.pull("?limit=4")
	if len(p.Changes) != 4 {
		t.Fatalf("pulled %s", ids(p))
	}
	opening := env("e1", 10, "master.imported", "", `{"file":"o.csv","lines":[{"owner":"DEFAULT","sku":"SKU00001","lot":"L1","qty":100},{"owner":"DEFAULT","sku":"SKU00003","qty":7},{"owner":"BEIBEI","sku":"SKU00002","lot":"B1","qty":60}]}`)
	adjust := env("e2", 11, "stock.adjusted", "DEFAULT", `{"sku":"SKU00001","lot":"L1","delta":-2,"reason":"damaged"}`)
	received := env("e3", 12, "order.received", "DEFAULT", `{"order":"OMS1","channel":"tmall","lines":[{"sku":"SKU00001","qty":3}]}`)
	shipped := env("e4", 13, "order.shipped", "DEFAULT", `{"order":"OMS1","carrier":"SF","parcels":[{"n":1,"waybill":"SF1000000700001","box":"S1","weight_g":900,"items":[{"sku":"SKU00001","lot":"L1","qty":3}]}]}`)
	cancelled := env("e5", 14, "order.cancelled", "DEFAULT", `{"order":"OMS2","reason":"customer"}`)
	res := r.push(batch(opening, adjust, received))
	if got := statuses(res); got != "e1=accepted e2=accepted e3=accepted" {
		t.Fatalf("first batch %s", got)
	}
	// the adjustment again (a re-send) is not counted twice
	res = r.push(batch(adjust, shipped, cancelled))
	if got := statuses(res); got != "e2=duplicate e4=accepted e5=accepted" {
		t.Fatalf("second batch %s", got)
	}
	r.push(batch(env("bad", 15, "stock.adjusted", "DEFAULT", `{"sku":"SKU00003","delta":"x"}`)))

	s := r.snapshot("DEFAULT")
	want := []StockLine{{SKU: "SKU00001", Lot: "L1", Qty: 95}, {SKU: "SKU00003", Qty: 7}}
	if !reflect.DeepEqual(s.Lines, want) || s.Owner != "DEFAULT" || s.AppliedThrough != 14 || !s.At.Equal(testNow) {
		t.Errorf("DEFAULT snapshot %+v, want lines %+v through 14", s, want)
	}
	// OMS1 shipped, OMS2 cancelled, OMS4 not pulled: OMS3 is open
	if got := strings.Join(s.OpenOrders, ","); got != "OMS3" {
		t.Errorf("open orders %s, want OMS3", got)
	}
	b := r.snapshot("BEIBEI")
	if !reflect.DeepEqual(b.Lines, []StockLine{{SKU: "SKU00002", Lot: "B1", Qty: 60}}) || strings.Join(b.OpenOrders, ",") != "OMS1" {
		t.Errorf("BEIBEI snapshot %+v", b)
	}
	r.checkFold()

	orders, err := r.oms.Orders()
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range orders {
		if o.Owner == "DEFAULT" && o.No == "OMS1" && (o.State != OrderShipped || o.Carrier != "SF" || strings.Join(o.Waybills, ",") != "SF1000000700001") {
			t.Errorf("OMS1 %+v", o)
		}
	}
	stats, err := r.oms.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if a := stats.Types["stock.adjusted"]; a.Accepted != 1 || a.Duplicate != 1 || a.Rejected != 1 || stats.Accepted != 5 {
		t.Errorf("stats %+v", stats)
	}

	// the projection survives a restart and keeps folding
	r.close()
	r.open()
	r.push(batch(env("e6", 16, "stock.received", "DEFAULT", `{"receipt":"ASN-1","sku":"SKU00001","lot":"L1","qty":5}`)))
	r.push(batch(env("e7", 17, "stock.reconciled", "DEFAULT", `{"reconciliation":"R1","lines":[{"sku":"SKU00003","warehouse":8,"oms":7,"delta":1}]}`)))
	if s := r.snapshot("DEFAULT"); s.Lines[0].Qty != 100 || s.Lines[1].Qty != 8 || s.AppliedThrough != 17 {
		t.Errorf("after reopening: %+v", s)
	}
	r.checkFold()

	for _, q := range []string{"", "?owner=", "?owner=A%20B", "?owner=A&owner=B"} {
		if status, body, _ := r.get(testBase + "/stock" + q); status != http.StatusBadRequest || !strings.Contains(string(body), "owner.invalid") {
			t.Errorf("stock%s: %d %s", q, status, body)
		}
	}
}

func TestRefusedChangesMarkOrders(t *testing.T) {
	r := newRig(t)
	r.admin("POST", "/admin/orders", `{"id":"ORD-A","no":"A1","platform":"TM","recipient":{"name":"n","phone":"1","address":"a"},"lines":[{"sku":"NOPE","qty":1}]}`)
	r.admin("POST", "/admin/orders", `{"id":"ORD-B","no":"B1","platform":"TM","recipient":{"name":"n","phone":"1","address":"a"},"lines":[{"sku":"SKU00001","qty":1}]}`)
	r.admin("POST", "/admin/cancel", `{"id":"CXL-B","no":"B1","reason":"late"}`)
	r.pull("")
	res := r.push(batch(
		env("r1", 1, "change.refused", "DEFAULT", `{"upstream_id":"ORD-A","change_type":"order","code":"sku.not_found","reason":"NOPE"}`),
		env("r2", 2, "order.shipped", "DEFAULT", `{"order":"B1","carrier":"SF","parcels":[{"n":1,"waybill":"W1","box":"S1","weight_g":1,"items":[{"sku":"SKU00001","qty":1}]}]}`),
		env("r3", 3, "change.refused", "DEFAULT", `{"upstream_id":"CXL-B","change_type":"order.cancel","code":"order.already_shipped","reason":"shipped"}`),
	))
	if got := statuses(res); got != "r1=accepted r2=accepted r3=accepted" {
		t.Fatalf("results %s", got)
	}
	orders, err := r.oms.Orders()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]OrderView{}
	for _, o := range orders {
		got[o.No] = o
	}
	if a := got["A1"]; a.State != OrderRefused || a.Code != "sku.not_found" {
		t.Errorf("A1 %+v", a)
	}
	if b := got["B1"]; b.State != OrderShipped || b.Code != "order.already_shipped" {
		t.Errorf("B1 %+v: a refused cancellation leaves it shipped", b)
	}
	if s := r.snapshot("DEFAULT"); strings.Join(s.OpenOrders, ",") != "A1" {
		t.Errorf("open %v", s.OpenOrders)
	}
}

func TestPage(t *testing.T) {
	r := newRig(t)
	r.admin("POST", "/admin/orders", `{"no":"OMS1","platform":"TM","recipient":{"name":"n","phone":"1","address":"a"},"lines":[{"sku":"SKU00001","qty":1}]}`)
	r.fault(`{"kind":"slow","delay_ms":5,"path":"stock"}`)
	r.push(batch(event("a", 1)))
	for lang, want := range map[string]string{"?lang=en": "Fake OMS", "": "模拟 OMS"} {
		status, b := r.admin("GET", "/"+lang, "")
		page := string(b)
		if status != 200 || !strings.Contains(page, want) || !strings.Contains(page, "OMS1") || !strings.Contains(page, "stock.adjusted") ||
			!strings.Contains(page, "SKU00001") || !strings.Contains(page, "slow") || !strings.Contains(page, `content="5"`) {
			t.Errorf("page %q: %d %.400s", lang, status, page)
		}
	}
	req, _ := http.NewRequest("GET", r.srv.URL+"/", nil)
	req.Header.Set("Accept-Language", "en-US,en;q=0.9")
	resp, err := r.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(body), "Fake OMS") {
		t.Errorf("Accept-Language en: %s %.200s", resp.Header.Get("Content-Type"), body)
	}
	// every string is in both languages
	for k := range pageText["zh-CN"] {
		if pageText["en"][k] == "" {
			t.Errorf("%s has no English", k)
		}
	}
	for k := range pageText["en"] {
		if pageText["zh-CN"][k] == "" {
			t.Errorf("%s has no Chinese", k)
		}
	}
}
