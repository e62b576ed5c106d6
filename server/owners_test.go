package server

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"tally/wms"
)

// The API takes an optional owner field in what it is sent and an ?owner=
// filter on what it lists; an owner the warehouse does not work for is
// refused with a message that says so.
func TestAPIOwnerFieldAndFilter(t *testing.T) {
	s, l := testServer(t) // the demo: the default owner and wms.DemoOwner
	token, _ := l.CreateToken(context.Background(), "oms", wms.RoleAdmin, "t")
	api := newClient(t, s)
	api.bearer = token
	brand := wms.DemoOwner.Code
	sent := 0
	send := func(method, path, body string) (int, map[string]any) {
		t.Helper()
		sent++
		resp, raw := api.do(method, path, strings.NewReader(body), map[string]string{"Content-Type": "application/json", "Idempotency-Key": "k-" + itoa(sent)})
		var out map[string]any
		if err := json.Unmarshal([]byte(raw), &out); err != nil {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, raw)
		}
		return resp.StatusCode, out
	}

	if st, out := send("GET", "/api/v1/owners", ""); st != 200 || !strings.Contains(jsonText(out), `"code":"DEFAULT","name":"Default owner"`) || !strings.Contains(jsonText(out), brand) {
		t.Fatalf("owners: %d %v", st, out)
	}

	// the same order number for two owners: two orders
	order := func(owner, name string, qty int) string {
		return `{"owner":"` + owner + `","no":"API-1","channel":"tmall","recipient":{"name":"` + name + `","phone":"13800138000","address":"杭州"},"lines":[{"sku":"` + wms.DemoSharedSKU + `","qty":` + itoa(qty) + `}]}`
	}
	if st, out := send("POST", "/api/v1/orders", order("", "王芳", 1)); st != 201 || out["owner"] != wms.DefaultOwner {
		t.Fatalf("default owner's order: %d %v", st, out)
	}
	if st, out := send("POST", "/api/v1/orders", order(brand, "林晓", 2)); st != 201 || out["owner"] != brand {
		t.Fatalf("brand's order: %d %v", st, out)
	}
	if _, out := send("GET", "/api/v1/orders/API-1", ""); out["owner"] != wms.DefaultOwner || !strings.Contains(jsonText(out), "王芳") {
		t.Errorf("without ?owner=: %v", out)
	}
	if _, out := send("GET", "/api/v1/orders/API-1?owner="+brand, ""); out["owner"] != brand || !strings.Contains(jsonText(out), "林晓") {
		t.Errorf("?owner=%s: %v", brand, out)
	}

	// listing: one owner's orders, or every owner's
	_, mine := send("GET", "/api/v1/orders?owner="+brand, "")
	_, all := send("GET", "/api/v1/orders", "")
	brandOrders, allOrders := mine["orders"].([]any), all["orders"].([]any)
	if len(brandOrders) == 0 || len(brandOrders) >= len(allOrders) {
		t.Errorf("%d of the brand's orders among %d", len(brandOrders), len(allOrders))
	}
	for _, o := range brandOrders {
		if o.(map[string]any)["owner"] != brand {
			t.Errorf("?owner=%s lists %v", brand, o)
		}
	}

	// stock of one owner's item code
	if _, out := send("GET", "/api/v1/stock?sku="+wms.DemoSharedSKU+"&owner="+brand, ""); !strings.Contains(jsonText(out), `"owner":"`+brand+`"`) || strings.Contains(jsonText(out), `"owner":"DEFAULT"`) {
		t.Errorf("the brand's stock: %v", out)
	}

	// receipts and waybill pools take the owner field too
	if st, out := send("POST", "/api/v1/receipts", `{"owner":"`+brand+`","id":"ASN-API","supplier":"工厂","lines":[{"sku":"BB-RICE","qty":5}]}`); st != 201 || out["owner"] != brand {
		t.Errorf("brand's receipt: %d %v", st, out)
	}
	if st, _ := send("GET", "/api/v1/receipts/ASN-API", ""); st != 404 {
		t.Errorf("the default owner has no receipt ASN-API: %d", st)
	}
	if st, out := send("POST", "/api/v1/waybills", `{"owner":"`+brand+`","account":"YT","numbers":["YT9000000000001"]}`); st != 201 || out["owner"] != brand || out["left"] != float64(1) {
		t.Errorf("brand's waybills: %d %v", st, out)
	}

	// an unknown owner is refused, in the body and in the query
	for _, tc := range []struct{ method, path, body string }{
		{"POST", "/api/v1/orders", order("NOBODY", "王芳", 1)},
		{"GET", "/api/v1/orders?owner=NOBODY", ""},
		{"GET", "/api/v1/orders/API-1?owner=NOBODY", ""},
	} {
		st, out := send(tc.method, tc.path, tc.body)
		if st != 404 || out["key"] != "owner.unknown" || !strings.Contains(jsonText(out), "NOBODY") {
			t.Errorf("%s %s: %d %v", tc.method, tc.path, st, out)
		}
	}
}

func jsonText(v any) string {
	raw, _ := json.Marshal(v)
	return string(raw)
}
