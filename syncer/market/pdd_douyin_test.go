package market

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"tally/syncer/fakemarket"
)

// The Pinduoduo and Douyin adapters against the fake platforms.

func pdFake(t *testing.T) (*fakemarket.Market, string) {
	t.Helper()
	m := fakemarket.New(fakemarket.Options{})
	srv := httptest.NewServer(m.Handler())
	t.Cleanup(srv.Close)
	return m, srv.URL
}

func pdShop(platform, base string) Shop {
	k := fakemarket.DefaultKeys()[platform]
	return Shop{Name: platform + "-shop", Platform: platform, URL: base + fakemarket.Path(platform), AppKey: k.AppKey, Secret: k.Secret, Session: k.Session}
}

func pdConn() Conn {
	return Conn{HTTP: &http.Client{Timeout: 400 * time.Millisecond}, Now: time.Now, Limit: NewLimiter(60_000, 100)}
}

func pdAdapter(t *testing.T, name string) Platform {
	t.Helper()
	p, ok := Lookup(name)
	if !ok {
		t.Fatalf("%s is not registered", name)
	}
	return p
}

func pdFault(t *testing.T, m *fakemarket.Market, f fakemarket.Fault) {
	t.Helper()
	if f.Count == 0 {
		f.Count = 1
	}
	if _, err := m.AddFault(f); err != nil {
		t.Fatal(err)
	}
}

func TestPDDSignDocumentedExample(t *testing.T) {
	// Pinduoduo's documentation: the pdd.order.number.list.get example
	// signed with client_secret testSecret.
	params := map[string]string{
		"access_token": "asd78172s8ds9a921j9qqwda12312w1w21211",
		"client_id":    "1",
		"data_type":    "XML",
		"order_status": "1",
		"page":         "1",
		"page_size":    "10",
		"timestamp":    "1480411125",
		"type":         "pdd.order.number.list.get",
	}
	if got := PDDSign("testSecret", params); got != "E4DE3ED21002510DED352819E7AE6775" {
		t.Fatalf("sign = %s, want E4DE3ED21002510DED352819E7AE6775", got)
	}
	params["sign"] = "ignored"
	if got := PDDSign("testSecret", params); got != "E4DE3ED21002510DED352819E7AE6775" {
		t.Fatalf("sign takes part in its own signature: %s", got)
	}
}

func TestDouyinSignVector(t *testing.T) {
	// computed independently:
	//   printf '%s' "douyinSecret01app_key7000000000000000001methodorder.logisticsAddparam_json{...}timestamp2026-11-30 16:52:15v2douyinSecret01" \
	//     | openssl dgst -sha256 -hmac douyinSecret01
	const want = "6faf7f119ca913605e51ca0fc758f7b8f72411bf19dba8190bc989d8d454e57c"
	pj, err := NormalizeParamJSON([]byte(`{"weight": 1.50, "order_id": "4836521", "logistics_code": "SF1234567890", "company_code": "shunfeng"}`))
	if err != nil {
		t.Fatal(err)
	}
	if string(pj) != `{"company_code":"shunfeng","logistics_code":"SF1234567890","order_id":"4836521","weight":1.5}` {
		t.Fatalf("param_json = %s", pj)
	}
	ts := DouyinTimestamp(time.Date(2026, 11, 30, 8, 52, 15, 0, time.UTC))
	if ts != "2026-11-30 16:52:15" {
		t.Fatalf("timestamp = %q, want China time", ts)
	}
	if got := DouyinSign("douyinSecret01", "7000000000000000001", "order.logisticsAdd", string(pj), ts, "2"); got != want {
		t.Fatalf("sign = %s, want %s", got, want)
	}
}

func TestNormalizeParamJSON(t *testing.T) {
	cases := map[string]string{
		`{"b":1.0,"a":{"z":[3,1,{"y":2.50,"x":"<&>"}],"c":null}}`:  `{"a":{"c":null,"z":[3,1,{"x":"<&>","y":2.5}]},"b":1}`,
		`{"n":1e3,"m":-0.0,"k":1.5E-2,"big":12345678901234567890}`: `{"big":12345678901234567890,"k":0.015,"m":0,"n":1000}`,
		` { "s" : "中文 \u00e9" , "t" : true , "f" : false } `:       `{"f":false,"s":"中文 é","t":true}`,
		`[{"b":1,"a":2},10.000]`:                                   `[{"a":2,"b":1},10]`,
	}
	for in, want := range cases {
		got, err := NormalizeParamJSON([]byte(in))
		if err != nil || string(got) != want {
			t.Errorf("NormalizeParamJSON(%s) = %s, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{``, `{`, `{"a":1} {"b":2}`, `{"a":1e999999}`, strings.Repeat("[", 100) + strings.Repeat("]", 100)} {
		if _, err := NormalizeParamJSON([]byte(bad)); err == nil {
			t.Errorf("NormalizeParamJSON(%.20q) took it", bad)
		}
	}
}

// splitOrder seeds a two-line order and is its shipment in two parcels.
func splitOrder(t *testing.T, m *fakemarket.Market, p Platform, id string) Shipment {
	t.Helper()
	if err := m.AddOrder(fakemarket.Order{Platform: p.Name(), ID: id, Lines: []fakemarket.SubOrder{
		{ID: id + "-1", SKU: "TEA-1", Qty: 2}, {ID: id + "-2", SKU: "CUP-9", Qty: 1},
	}}); err != nil {
		t.Fatal(err)
	}
	sf, _ := p.Carrier("SF")
	yto, _ := p.Carrier("YTO")
	return Shipment{Key: "ev-77:" + id, Order: "SO-77", PlatformOrderID: id, SubOrders: []string{id + "-1", id + "-2"}, Parcels: []Parcel{
		{Waybill: "SF100", Carrier: sf, Items: []Item{{SubOrderID: id + "-1", SKU: "TEA-1", Qty: 2}}},
		{Waybill: "YT200", Carrier: yto, Items: []Item{{SubOrderID: id + "-2", SKU: "CUP-9", Qty: 1}}},
	}}
}

// shipThrough calls Ship as the link does: again after every error that
// is not a refusal.
func shipThrough(t *testing.T, p Platform, shop Shop, s Shipment) (tries int) {
	t.Helper()
	for tries = 1; tries <= 12; tries++ {
		err := p.Ship(context.Background(), pdConn(), shop, s)
		if err == nil {
			return tries
		}
		if pdKind(err) == Refused {
			t.Fatalf("try %d refused: %v", tries, err)
		}
	}
	t.Fatal("not shipped after 12 tries")
	return 0
}

func injectShipFaults(t *testing.T, m *fakemarket.Market, platform string) {
	pdFault(t, m, fakemarket.Fault{Kind: fakemarket.FaultLost, Platform: platform})
	pdFault(t, m, fakemarket.Fault{Kind: fakemarket.FaultDrop, Platform: platform})
	pdFault(t, m, fakemarket.Fault{Kind: fakemarket.FaultSlow, Platform: platform, DelayMS: 1000})
	pdFault(t, m, fakemarket.Fault{Kind: fakemarket.FaultLost, Platform: platform})
}

func TestPDDSplitShipmentOneEffect(t *testing.T) {
	m, base := pdFake(t)
	p := pdAdapter(t, "pdd")
	s := splitOrder(t, m, p, "241130-001")
	injectShipFaults(t, m, "pdd")
	if tries := shipThrough(t, p, pdShop("pdd", base), s); tries < 4 {
		t.Fatalf("shipped in %d tries: the faults did not all hit", tries)
	}
	got := m.Shipments()
	if len(got) != 2 {
		t.Fatalf("shipments = %+v, want the order sent once and one extra waybill", got)
	}
	if got[0].Method != "pdd.logistics.online.send" || got[0].Waybill != "SF100" || got[0].Carrier != "44" ||
		!slices.Equal(got[0].SubOrders, []string{"241130-001-1", "241130-001-2"}) {
		t.Errorf("main shipment = %+v", got[0])
	}
	if got[1].Method != "pdd.order.upload.extra.logistics" || got[1].Waybill != "YT200" || got[1].Carrier != "85" {
		t.Errorf("extra waybill = %+v", got[1])
	}
	// once more, all taken: a repeat, nothing new
	if err := p.Ship(context.Background(), pdConn(), pdShop("pdd", base), s); err != nil {
		t.Fatalf("repeat: %v", err)
	}
	if n := len(m.Shipments()); n != 2 {
		t.Fatalf("a repeat added shipments: %d", n)
	}
}

func TestPDDShippedWithAnotherWaybillTakesOursAsExtra(t *testing.T) {
	m, base := pdFake(t)
	p := pdAdapter(t, "pdd")
	s := splitOrder(t, m, p, "241130-002")
	if _, err := m.Ship(fakemarket.Shipment{Platform: "pdd", Order: "241130-002", Carrier: "115", Waybill: "ZT9", Method: "pdd.logistics.online.send"}); err != nil {
		t.Fatal(err)
	}
	if err := p.Ship(context.Background(), pdConn(), pdShop("pdd", base), s); err != nil {
		t.Fatal(err)
	}
	var extra []string
	for _, x := range m.Shipments() {
		if x.Method == "pdd.order.upload.extra.logistics" {
			extra = append(extra, x.Waybill)
		}
	}
	if !slices.Equal(extra, []string{"SF100", "YT200"}) {
		t.Fatalf("extra waybills = %v", extra)
	}
}

func TestDouyinSplitShipmentOneEffect(t *testing.T) {
	m, base := pdFake(t)
	p := pdAdapter(t, "douyin")
	s := splitOrder(t, m, p, "6920001")
	injectShipFaults(t, m, "douyin")
	if tries := shipThrough(t, p, pdShop("douyin", base), s); tries < 4 {
		t.Fatalf("shipped in %d tries: the faults did not all hit", tries)
	}
	got := m.Shipments()
	if len(got) != 2 {
		t.Fatalf("shipments = %+v, want one per parcel", got)
	}
	for i, want := range []struct{ waybill, carrier, sub string }{{"SF100", "shunfeng", "6920001-1"}, {"YT200", "yuantong", "6920001-2"}} {
		g := got[i]
		if g.Method != "order.logisticsAddMultiPack" || g.Waybill != want.waybill || g.Carrier != want.carrier || !slices.Equal(g.SubOrders, []string{want.sub}) {
			t.Errorf("parcel %d = %+v, want %+v", i, g, want)
		}
	}
}

func TestDouyinSingleParcelRepeatIsSuccess(t *testing.T) {
	m, base := pdFake(t)
	p := pdAdapter(t, "douyin")
	s := splitOrder(t, m, p, "6920002")
	s.Parcels = []Parcel{{Waybill: "SF300", Carrier: "shunfeng", Items: []Item{{SubOrderID: "6920002-1", SKU: "TEA-1", Qty: 2}, {SubOrderID: "6920002-2", SKU: "CUP-9", Qty: 1}}}}
	pdFault(t, m, fakemarket.Fault{Kind: fakemarket.FaultLost, Platform: "douyin"})
	shipThrough(t, p, pdShop("douyin", base), s)
	got := m.Shipments()
	if len(got) != 1 || got[0].Method != "order.logisticsAdd" || got[0].Waybill != "SF300" {
		t.Fatalf("shipments = %+v", got)
	}
	// the same order with another waybill is refused, not taken
	s.Parcels[0].Waybill = "SF301"
	err := p.Ship(context.Background(), pdConn(), pdShop("douyin", base), s)
	if pdKind(err) != Refused {
		t.Fatalf("another waybill on a shipped order: %v, want refused", err)
	}
}

func TestPDDDouyinAuthAndThrottle(t *testing.T) {
	for _, name := range []string{"pdd", "douyin"} {
		t.Run(name, func(t *testing.T) {
			m, base := pdFake(t)
			p := pdAdapter(t, name)
			s := splitOrder(t, m, p, "7700"+name)
			shop := pdShop(name, base)
			for _, f := range []string{fakemarket.FaultSignature, fakemarket.FaultSession} {
				pdFault(t, m, fakemarket.Fault{Kind: f, Platform: name})
				err := p.Ship(context.Background(), pdConn(), shop, s)
				if pdKind(err) != Auth {
					t.Errorf("%s fault: %v, want auth", f, err)
				}
			}
			bad := shop
			bad.Secret = "not-the-secret"
			err := p.Ship(context.Background(), pdConn(), bad, s)
			if pdKind(err) != Auth {
				t.Errorf("a wrong secret: %v, want auth", err)
			}
			expired := shop
			expired.Session = "an-old-token"
			err = p.Ship(context.Background(), pdConn(), expired, s)
			if pdKind(err) != Auth {
				t.Errorf("a wrong access token: %v, want auth", err)
			}
			for _, secret := range []string{shop.Secret, shop.Session, bad.Secret, expired.Session} {
				if err != nil && strings.Contains(err.Error(), secret) {
					t.Errorf("the error shows a secret: %v", err)
				}
			}
			pdFault(t, m, fakemarket.Fault{Kind: fakemarket.FaultRateLimit, Platform: name})
			err = p.Ship(context.Background(), pdConn(), shop, s)
			var me *Error
			if !errors.As(err, &me) || me.Kind != Throttled || me.RetryAfter <= 0 {
				t.Errorf("rate limit: %v, want throttled with a RetryAfter", err)
			}
			if len(m.Shipments()) != 0 {
				t.Errorf("a refused call shipped: %+v", m.Shipments())
			}
		})
	}
}

func TestPDDDouyinCarriers(t *testing.T) {
	pdd, dy := pdAdapter(t, "pdd"), pdAdapter(t, "douyin")
	for _, c := range Carriers {
		if _, ok := dy.Carrier(c); !ok {
			t.Errorf("douyin has no code for %s", c)
		}
	}
	for _, c := range []string{"JT", "DBL", "HTKY", "UPS", ""} {
		if code, ok := pdd.Carrier(c); ok {
			t.Errorf("pdd knows %q as %s: its ID is unconfirmed or it is no carrier", c, code)
		}
	}
	if _, ok := dy.Carrier("UPS"); ok {
		t.Error("douyin knows UPS")
	}
	if code, ok := pdd.Carrier("SF"); !ok || code != "44" {
		t.Errorf("pdd SF = %s, %v", code, ok)
	}
}

func TestPDDStockFullAndDelta(t *testing.T) {
	m, base := pdFake(t)
	p := pdAdapter(t, "pdd")
	shop := pdShop("pdd", base)
	k := fakemarket.ListingKey{Platform: "pdd", ItemID: "500100", SkuID: "900200"}
	lst := Listing{ItemID: "500100", SkuID: "900200"}
	ctx := context.Background()
	if _, err := p.SetStock(ctx, pdConn(), shop, StockSet{Key: "st-1", SKU: "TEA-1", Listing: lst, Qty: 10}); err != nil {
		t.Fatal(err)
	}
	if q, _ := m.Stock(k); q != 10 {
		t.Fatalf("full: platform holds %d, want 10", q)
	}
	// buyers take 2 on the platform; Tally now publishes 7 (was 10): a
	// delta of -3 keeps their 2 out
	if n, _ := m.Sell(k, "TEA-1", 2); n != 2 {
		t.Fatal("the fake did not sell")
	}
	res, err := p.SetStock(ctx, pdConn(), shop, StockSet{Key: "st-2", SKU: "TEA-1", Listing: lst, Qty: 7, Last: 10, LastKnown: true})
	if err != nil {
		t.Fatal(err)
	}
	if q, _ := m.Stock(k); q != 5 || !strings.Contains(res.Note, "-3") {
		t.Fatalf("delta: platform holds %d (%q), want 5", q, res.Note)
	}
	// a delta whose answer is lost is retried full: never applied twice
	pdFault(t, m, fakemarket.Fault{Kind: fakemarket.FaultLost, Platform: "pdd"})
	set := StockSet{Key: "st-3", SKU: "TEA-1", Listing: lst, Qty: 4, Last: 7, LastKnown: true}
	if _, err := p.SetStock(ctx, pdConn(), shop, set); pdKind(err) != Down {
		t.Fatalf("lost answer: %v, want down", err)
	}
	if q, _ := m.Stock(k); q != 2 {
		t.Fatalf("the lost delta: platform holds %d, want 2", q)
	}
	if _, err := p.SetStock(ctx, pdConn(), shop, set); err != nil {
		t.Fatal(err)
	}
	if q, _ := m.Stock(k); q != 4 {
		t.Fatalf("retry: platform holds %d, want the full 4", q)
	}
	w := m.Writes()
	if last := w[len(w)-1]; !strings.HasSuffix(last.Method, "full") {
		t.Fatalf("the retry went as %q", last.Method)
	}
	// buyers take all 4 while Tally lowers 4 to 1: the delta of -3 would go
	// below zero; what may still be sold there is nothing
	if n, _ := m.Sell(k, "TEA-1", 4); n != 4 {
		t.Fatal("the fake did not sell")
	}
	res, err = p.SetStock(ctx, pdConn(), shop, StockSet{Key: "st-3b", SKU: "TEA-1", Listing: lst, Qty: 1, Last: 4, LastKnown: true})
	if err != nil || res.Qty != 0 {
		t.Fatalf("a delta below zero: %+v %v, want set to 0", res, err)
	}
	if q, _ := m.Stock(k); q != 0 {
		t.Fatalf("a delta below zero: platform holds %d, want 0", q)
	}
	// the merchant's code when there is no sku_id
	if _, err := p.SetStock(ctx, pdConn(), shop, StockSet{Key: "st-4", SKU: "CUP-9", Listing: Listing{ItemID: "500100"}, Qty: 3}); err != nil {
		t.Fatal(err)
	}
	if q, _ := m.Stock(fakemarket.ListingKey{Platform: "pdd", ItemID: "500100", SkuID: "CUP-9"}); q != 3 {
		t.Fatalf("outer_id: %d", q)
	}
	if _, err := p.SetStock(ctx, pdConn(), shop, StockSet{Key: "st-5", SKU: "CUP-9", Qty: 3}); pdKind(err) != Refused {
		t.Fatalf("no goods_id: %v, want refused", err)
	}
}

func TestDouyinStockIdempotent(t *testing.T) {
	m, base := pdFake(t)
	p := pdAdapter(t, "douyin")
	shop := pdShop("douyin", base)
	k := fakemarket.ListingKey{Platform: "douyin", ItemID: "3600000000000000001", SkuID: "1780000000000000002"}
	set := StockSet{Key: "pub:TEA-1:v7", SKU: "TEA-1", Listing: Listing{ItemID: k.ItemID, SkuID: k.SkuID}, Qty: 12}
	ctx := context.Background()
	pdFault(t, m, fakemarket.Fault{Kind: fakemarket.FaultLost, Platform: "douyin"})
	if _, err := p.SetStock(ctx, pdConn(), shop, set); pdKind(err) != Down {
		t.Fatalf("lost answer: %v, want down", err)
	}
	res, err := p.SetStock(ctx, pdConn(), shop, set)
	if err != nil || res.Qty != 12 || res.Note == "" {
		t.Fatalf("repeat: %+v, %v; want success noted as a repeat", res, err)
	}
	if q, _ := m.Stock(k); q != 12 {
		t.Fatalf("platform holds %d, want 12", q)
	}
	if n := len(m.Writes()); n != 1 {
		t.Fatalf("%d writes for one publication", n)
	}
	// a new publication is a new key
	set.Key, set.Qty = "pub:TEA-1:v8", 9
	if _, err := p.SetStock(ctx, pdConn(), shop, set); err != nil {
		t.Fatal(err)
	}
	if q, _ := m.Stock(k); q != 9 {
		t.Fatalf("platform holds %d, want 9", q)
	}
}

func TestPDDDouyinAnswerMapping(t *testing.T) {
	cases := []struct {
		body string
		kind Kind
	}{
		{`{"error_response":{"error_code":20004,"error_msg":"签名校验失败"}}`, Auth},
		{`{"error_response":{"error_code":10019,"error_msg":"access_token已过期"}}`, Auth},
		{`{"error_response":{"error_code":70031,"error_msg":"调用过于频繁"}}`, Throttled},
		{`{"error_response":{"error_code":"52101"}}`, Throttled},
		{`{"error_response":{"error_code":50001,"error_msg":"系统错误"}}`, Retry},
		{`{"error_response":{"error_code":10000,"error_msg":"参数错误","sub_msg":"订单不存在"}}`, Refused},
		{`<html>busy</html>`, Retry},
		{`{"nothing":1}`, Retry},
	}
	for _, c := range cases {
		_, err := ParsePDDAnswer([]byte(c.body))
		if err == nil || err.Kind != c.kind {
			t.Errorf("pdd %s: %v, want %s", c.body, err, c.kind)
		}
	}
	if raw, err := ParsePDDAnswer([]byte(`{"goods_quantity_update_response":{"is_success":true}}`)); err != nil || !strings.Contains(string(raw), "is_success") {
		t.Errorf("pdd success: %s, %v", raw, err)
	}
	dy := []struct {
		body string
		kind Kind
	}{
		{`{"code":40003,"msg":"非法的参数","sub_code":"isv.signature-invalid"}`, Auth},
		{`{"code":40003,"sub_code":"isv.access-token-expired"}`, Auth},
		{`{"code":30001,"sub_code":"dop.authorization-no-existed"}`, Auth},
		{`{"code":60000,"msg":"触发限流，请稍后重试"}`, Throttled},
		{`{"code":20000,"sub_code":"isp.service-error:10005"}`, Retry},
		{`{"code":50002,"sub_code":"isv.business-failed:8888","sub_msg":"系统繁忙，请稍后重试"}`, Retry},
		{`{"code":50002,"sub_code":"isv.business-failed:60033","sub_msg":"订单不存在"}`, Refused},
		{`{"code":40004,"sub_code":"isv.parameter-invalid:60017"}`, Refused},
		{`{"msg":"no code"}`, Retry},
	}
	for _, c := range dy {
		_, err := ParseDouyinAnswer([]byte(c.body))
		if err == nil || err.Kind != c.kind {
			t.Errorf("douyin %s: %v, want %s", c.body, err, c.kind)
		}
	}
	if data, err := ParseDouyinAnswer([]byte(`{"code":10000,"msg":"success","data":{"x":1}}`)); err != nil || string(data) != `{"x":1}` {
		t.Errorf("douyin success: %s, %v", data, err)
	}
}

func TestPDDDouyinOversizedAnswer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"x":"`))
		_, _ = w.Write([]byte(strings.Repeat("a", maxAnswer)))
		_, _ = w.Write([]byte(`"}`))
	}))
	defer srv.Close()
	for _, name := range []string{"pdd", "douyin"} {
		shop := Shop{URL: srv.URL, AppKey: "k", Secret: "s", Session: "t"}
		_, err := pdAdapter(t, name).SetStock(context.Background(), Conn{HTTP: srv.Client(), Now: time.Now}, shop,
			StockSet{Key: "k1", SKU: "A", Listing: Listing{ItemID: "1", SkuID: "2"}, Qty: 1})
		if pdKind(err) != Retry || !strings.Contains(err.Error(), "more than") {
			t.Errorf("%s: %v, want a clear refusal to read", name, err)
		}
	}
}

func FuzzParsePDDAnswer(f *testing.F) {
	for _, s := range []string{
		`{"error_response":{"error_code":70031,"error_msg":"调用过于频繁","sub_code":"x"}}`,
		`{"logistics_online_send_response":{"is_success":true}}`,
		`{"order_info_get_response":{"order_info":{"order_sn":"1","order_status":2,"tracking_number":"SF1"}}}`,
		`[]`, `null`, `{"error_response":[]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		raw, err := ParsePDDAnswer(b)
		if err == nil {
			_, _ = ParsePDDOrderInfo(raw)
			return
		}
		if err.Kind < Refused || err.Kind > Auth || len(err.Message) > 1000 {
			t.Fatalf("bad error %#v", err)
		}
	})
}

func FuzzParseDouyinAnswer(f *testing.F) {
	for _, s := range []string{
		`{"code":10000,"msg":"success","data":{"shop_order_detail":{"logistics_info":[{"tracking_no":"SF1"}]}}}`,
		`{"code":40003,"sub_code":"isv.idempotent-id-existed"}`,
		`{"code":"60000"}`, `{"code":1.5}`, `7`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		data, err := ParseDouyinAnswer(b)
		if err == nil {
			_, _ = ParseDouyinOrderWaybills(data)
			return
		}
		if err.Kind < Refused || err.Kind > Auth || len(err.Message) > 1000 {
			t.Fatalf("bad error %#v", err)
		}
	})
}

func FuzzNormalizeParamJSON(f *testing.F) {
	for _, s := range []string{`{"b":1.0,"a":[2,{"d":1e2,"c":"<x>"}]}`, `{"n":-0.000}`, `[1,2.50]`, `"s"`, `{"a":12345678901234567890123}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := NormalizeParamJSON(b)
		if err != nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("normalised %q to invalid JSON %q", b, out)
		}
		again, err := NormalizeParamJSON(out)
		if err != nil || string(again) != string(out) {
			t.Fatalf("not a fixed point: %q → %q → %q (%v)", b, out, again, err)
		}
	})
}

func TestPDDDouyinRepeatCheckFailureIsRetried(t *testing.T) {
	for _, name := range []string{"pdd", "douyin"} {
		t.Run(name, func(t *testing.T) {
			m := fakemarket.New(fakemarket.Options{})
			h, n := m.Handler(), 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if n++; n == 2 { // the order check after the refusal
					w.WriteHeader(http.StatusTooManyRequests)
					return
				}
				h.ServeHTTP(w, r)
			}))
			defer srv.Close()
			p := pdAdapter(t, name)
			s := splitOrder(t, m, p, "8800"+name)
			if _, err := m.Ship(fakemarket.Shipment{Platform: name, Order: s.PlatformOrderID, Carrier: s.Parcels[0].Carrier, Waybill: "OTHER1", Method: "control"}); err != nil {
				t.Fatal(err)
			}
			err := p.Ship(context.Background(), pdConn(), pdShop(name, srv.URL), s)
			if pdKind(err) != Throttled {
				t.Fatalf("refused, then the check throttled: %v, want throttled (not a dead letter)", err)
			}
		})
	}
}
