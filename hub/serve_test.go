package hub

import (
	"context"
	"encoding/xml"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tally/syncer/qimen"
	"tally/wms"
)

const erpSecret = "erp-secret-1"

var erpUpstreams = []wms.Upstream{{Name: "erp", Dialect: wms.DialectQimen, URL: "http://erp.example/qimen",
	Secret: erpSecret, AppKey: "erp-app", CustomerID: "cust-1"}}

// signed is an ERP's request: the URL's query and the body, signed.
func signed(method, body, secret string) (map[string][]string, []byte) {
	p := map[string][]string{
		"method": {qimen.FullMethod(method)}, "app_key": {"erp-app"}, "customerId": {"cust-1"}, "format": {"xml"},
		"v": {"2.0"}, "sign_method": {"md5"}, "timestamp": {qimen.Timestamp(time.Now())},
	}
	p["sign"] = []string{qimen.Sign(p, []byte(body), secret)}
	return p, []byte(body)
}

func readAnswer(t *testing.T, b []byte) qimen.Response {
	t.Helper()
	var r qimen.Response
	if err := xml.Unmarshal(b, &r); err != nil {
		t.Fatalf("answer %q: %v", b, err)
	}
	return r
}

func TestServeQimen(t *testing.T) {
	c := startCluster(t, 1, newRecorder(), BridgeOptions{AskTimeout: 2 * time.Second})
	b := c.bridges[0]
	wh := newRecorder()
	link := newLinkProxy(t, c.leafURLs())
	snapAt := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	l, err := StartLeaf(LeafConfig{Name: "leaf-A", Warehouse: "WHA", Hub: []string{link.Addr()}, User: testUser, Password: testPassword,
		StoreDir: filepath.Join(t.TempDir(), "a"), Apply: func(ctx context.Context, c qimen.Call) []byte {
			if c.Method == qimen.InventoryQuery {
				return []byte(`<?xml version="1.0" encoding="UTF-8"?><response><flag>success</flag><code></code><message></message><items><item><itemCode>LIVE</itemCode></item></items></response>`)
			}
			return wh.Apply(ctx, c)
		},
		Snapshot: func(context.Context) []qimen.Call {
			return []qimen.Call{{Upstream: "erp", Method: qimen.InventoryQuery, At: snapAt,
				Body: []byte(`<?xml version="1.0" encoding="UTF-8"?><response><flag>success</flag><code></code><message></message><items><item><itemCode>SNAP</itemCode><quantity>7</quantity></item></items></response>`)}}
		},
		HelloEvery: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	ctx := context.Background()
	waitFor(t, 20*time.Second, "the snapshot", func() bool { _, _, ok := b.Snapshot(ctx, "WHA", "erp"); return ok })

	order := `<request><deliveryOrder><deliveryOrderCode>D1</deliveryOrderCode><warehouseCode>WHA</warehouseCode></deliveryOrder></request>`
	for _, tc := range []struct {
		name, method, body, secret, code string
	}{
		{"wrong secret", qimen.DeliveryCreate, order, "nope", CodeBadSign},
		{"malformed", qimen.DeliveryCreate, `<request><warehouseCode>WHA</request>`, erpSecret, CodeBadXML},
		{"not a request", qimen.DeliveryCreate, `<order/>`, erpSecret, CodeBadXML},
		{"unknown method", "stock.teleport", order, erpSecret, CodeBadMethod},
		{"WMS→ERP method", qimen.DeliveryConfirm, order, erpSecret, CodeBadMethod},
		{"no warehouse", qimen.DeliveryCreate, `<request><deliveryOrder/></request>`, erpSecret, CodeNoWarehouse},
		{"two warehouses", qimen.DeliveryBatch, `<request><orders><order><warehouseCode>WHA</warehouseCode></order><order><warehouseCode>WHB</warehouseCode></order></orders></request>`, erpSecret, CodeManyWarehouses},
		{"unknown warehouse", qimen.DeliveryCreate, strings.ReplaceAll(order, "WHA", "WHZ"), erpSecret, CodeUnknownWarehouse},
	} {
		p, body := signed(tc.method, tc.body, tc.secret)
		r := readAnswer(t, b.ServeQimen(ctx, p, body, erpUpstreams))
		if r.Flag != qimen.FlagFailure || r.Code != tc.code {
			t.Errorf("%s: %+v, want failure %s", tc.name, r, tc.code)
		}
	}
	time.Sleep(300 * time.Millisecond)
	if wh.count() != 0 {
		t.Fatalf("a refused call reached the warehouse: %v", wh.got)
	}

	// A create is answered at once and applied once, however often sent.
	for range 3 {
		p, body := signed(qimen.DeliveryCreate, order, erpSecret)
		if r := readAnswer(t, b.ServeQimen(ctx, p, body, erpUpstreams)); r.Flag != qimen.FlagSuccess {
			t.Fatalf("create: %+v", r)
		}
	}
	waitFor(t, 10*time.Second, "the order at the warehouse", func() bool { return wh.count() == 1 })
	time.Sleep(500 * time.Millisecond)
	if d := wh.doubles(); len(d) != 0 || wh.count() != 1 {
		t.Fatalf("the order was applied %v times", wh.got)
	}

	cancel := `<request><warehouseCode>WHA</warehouseCode><orderCode>D1</orderCode><orderType>JYCK</orderType></request>`
	p, body := signed(qimen.OrderCancel, cancel, erpSecret)
	if r := readAnswer(t, b.ServeQimen(ctx, p, body, erpUpstreams)); r.Flag != qimen.FlagSuccess {
		t.Fatalf("cancel while online: %+v", r)
	}
	inv := `<request><criteriaList><criteria><warehouseCode>WHA</warehouseCode><itemCode>X</itemCode></criteria></criteriaList></request>`
	p, body = signed(qimen.InventoryQuery, inv, erpSecret)
	if out := b.ServeQimen(ctx, p, body, erpUpstreams); !strings.Contains(string(out), "LIVE") {
		t.Fatalf("inventory while online: %s", out)
	}

	// Offline: a cancel is refused honestly, an inventory query gets the
	// snapshot with its time, a create is still taken.
	link.Cut()
	waitFor(t, 10*time.Second, "the link down", func() bool { return l.srv.NumLeafNodes() == 0 })
	p, body = signed(qimen.OrderCancel, cancel, erpSecret)
	if r := readAnswer(t, b.ServeQimen(ctx, p, body, erpUpstreams)); r.Flag != qimen.FlagFailure || r.Code != CodeOffline ||
		r.Message != "warehouse offline, retry" {
		t.Fatalf("cancel while offline: %+v", r)
	}
	// the snapshot's lines for the item asked (SNAP); none for another
	p, body = signed(qimen.InventoryQuery, inv, erpSecret)
	if out := b.ServeQimen(ctx, p, body, erpUpstreams); strings.Contains(string(out), "<itemCode>") || !strings.Contains(string(out), "<flag>success</flag>") {
		t.Fatalf("inventory of another item while offline: %s", out)
	}
	p, body = signed(qimen.InventoryQuery, strings.Replace(inv, "<itemCode>X</itemCode>", "<itemCode>SNAP</itemCode>", 1), erpSecret)
	out := b.ServeQimen(ctx, p, body, erpUpstreams)
	r := readAnswer(t, out)
	if r.Flag != qimen.FlagSuccess || !strings.Contains(string(out), "<itemCode>SNAP</itemCode>") ||
		!strings.Contains(r.Message, "2026-03-01 16:00:00") || !strings.Contains(r.Message, "offline") {
		t.Fatalf("inventory while offline: %s", out)
	}
	p, body = signed(qimen.DeliveryQuery, `<request><warehouseCode>WHA</warehouseCode><orderCode>D1</orderCode></request>`, erpSecret)
	if r := readAnswer(t, b.ServeQimen(ctx, p, body, erpUpstreams)); r.Flag != qimen.FlagFailure || r.Code != CodeOffline {
		t.Fatalf("query while offline: %+v", r)
	}
	order2 := strings.ReplaceAll(order, "D1", "D2")
	p, body = signed(qimen.DeliveryCreate, order2, erpSecret)
	if r := readAnswer(t, b.ServeQimen(ctx, p, body, erpUpstreams)); r.Flag != qimen.FlagSuccess {
		t.Fatalf("create while offline: %+v", r)
	}
	link.Restore()
	waitFor(t, 20*time.Second, "the second order after the link is back", func() bool { return wh.count() == 2 })
}
