package market

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"tally/syncer/fakemarket"
)

// TestJDSignVector is JD's published example (open.jd.com dev guide,
// listId=2643): jingdong.pop.order.search with secret yourappSecret.
func TestJDSignVector(t *testing.T) {
	p := url.Values{
		"360buy_param_json": {`{"end_date":null,"optional_fields":null,"order_state":"WAIT_SELLER_STOCK_OUT","page":"1","page_size":"200","start_date":null}`},
		"access_token":      {"yourtoken"},
		"app_key":           {"yourappkey"},
		"method":            {"jingdong.pop.order.search"},
		"timestamp":         {"2021-05-07 09:20:39.683+0800"},
		"v":                 {"2.0"},
		"sign":              {"not part of it"},
	}
	if got := JDSign(p, "yourappSecret"); got != "D70825340F4084360B9362B60DFD7930" {
		t.Fatalf("got %s", got)
	}
}

func newJDFixture(t *testing.T) *topFixture {
	t.Helper()
	m := fakemarket.New(fakemarket.Options{})
	srv := httptest.NewServer(m.Handler())
	t.Cleanup(srv.Close)
	k := m.Keys("jd")
	f := &topFixture{m: m, srv: srv,
		shop: Shop{Name: "jd", Platform: "jd", URL: srv.URL + fakemarket.Path("jd"), AppKey: k.AppKey, Secret: k.Secret, Session: k.Session},
		conn: Conn{HTTP: &http.Client{Timeout: 400 * time.Millisecond}, Now: time.Now}}
	if err := m.AddOrder(fakemarket.Order{Platform: "jd", ID: "280001", Lines: []fakemarket.SubOrder{
		{ID: "1", SKU: "A-1", SkuID: "100001", Qty: 1}, {ID: "2", SKU: "B-2", SkuID: "100002", Qty: 1},
	}}); err != nil {
		t.Fatal(err)
	}
	return f
}

func jdSplit() Shipment {
	return Shipment{Key: "ev1:280001", Order: "SO-9", PlatformOrderID: "280001", SubOrders: []string{"1", "2"},
		Parcels: []Parcel{
			{Waybill: "SF1", Carrier: "467", Items: []Item{{SubOrderID: "1", SKU: "A-1", Qty: 1}}},
			{Waybill: "YT2", Carrier: "463", Items: []Item{{SubOrderID: "2", SKU: "B-2", Qty: 1}}},
			{Waybill: "SF3", Carrier: "467", Items: []Item{{SubOrderID: "2", SKU: "B-2", Qty: 0}}},
		}}
}

func TestJDShipWholeOnceDespiteFaults(t *testing.T) {
	f := newJDFixture(t)
	f.fault(t, "jd", fakemarket.FaultLost, 0)
	f.fault(t, "jd", fakemarket.FaultDrop, 0)
	f.fault(t, "jd", fakemarket.FaultSlow, 900)
	tries, err := shipLikeTheLink(t, jd{}, f.conn, f.shop, jdSplit())
	if err != nil || tries != 4 {
		t.Fatalf("after %d tries (want 4: lost, dropped, timed out, done): %v", tries, err)
	}
	got := f.m.Shipments()
	if len(got) != 1 {
		t.Fatalf("shipments %+v, want one (JD ships an order once)", got)
	}
	if s := got[0]; s.Carrier != "467|463" || s.Waybill != "SF1,SF3|YT2" || s.Order != "280001" || s.Method != "jingdong.pop.order.shipment" {
		t.Errorf("shipment %+v", s)
	}
	// a partial shipment is refused with its reason, nothing sent
	if err := f.m.AddOrder(fakemarket.Order{Platform: "jd", ID: "280002", Lines: []fakemarket.SubOrder{{ID: "1", SKU: "A-1", Qty: 1}, {ID: "2", SKU: "B-2", Qty: 1}}}); err != nil {
		t.Fatal(err)
	}
	part := jdSplit()
	part.PlatformOrderID = "280002"
	part.Parcels = part.Parcels[:1]
	var me *Error
	if err := (jd{}).Ship(context.Background(), f.conn, f.shop, part); !errors.As(err, &me) || me.Kind != Refused || me.Code != "jd.partial" {
		t.Fatalf("partial: %v", err)
	}
	// another waybill for the shipped order: refused, not a repeat
	other := jdSplit()
	other.Parcels = []Parcel{{Waybill: "SF9", Carrier: "467", Items: []Item{{SubOrderID: "1"}, {SubOrderID: "2"}}}}
	if err := (jd{}).Ship(context.Background(), f.conn, f.shop, other); !errors.As(err, &me) || me.Kind != Refused {
		t.Fatalf("another waybill: %v", err)
	}
	if n := len(f.m.Shipments()); n != 1 {
		t.Fatalf("%d shipments", n)
	}
}

func TestJDAuthThrottleCarriers(t *testing.T) {
	f := newJDFixture(t)
	kind := func(err error) Kind {
		var me *Error
		if !errors.As(err, &me) {
			t.Fatalf("not a market error: %v", err)
		}
		if strings.Contains(me.Error(), f.shop.Secret) || strings.Contains(me.Error(), f.shop.Session) {
			t.Fatalf("a secret in an error: %v", me)
		}
		return me.Kind
	}
	f.fault(t, "jd", fakemarket.FaultSignature, 0)
	if k := kind(jd{}.Ship(context.Background(), f.conn, f.shop, jdSplit())); k != Auth {
		t.Errorf("signature: %v", k)
	}
	f.fault(t, "jd", fakemarket.FaultSession, 0)
	if k := kind(jd{}.Ship(context.Background(), f.conn, f.shop, jdSplit())); k != Auth {
		t.Errorf("session: %v", k)
	}
	f.fault(t, "jd", fakemarket.FaultRateLimit, 0)
	if k := kind(jd{}.Ship(context.Background(), f.conn, f.shop, jdSplit())); k != Throttled {
		t.Errorf("rate limit: %v", k)
	}
	bad := f.shop
	bad.Secret = "wrong"
	if k := kind(jd{}.Ship(context.Background(), f.conn, bad, jdSplit())); k != Auth {
		t.Errorf("wrong secret: %v", k)
	}
	bad = f.shop
	bad.Session = "expired"
	_, err := jd{}.SetStock(context.Background(), f.conn, bad, StockSet{SKU: "A-1", Listing: Listing{SkuID: "100001"}, Qty: 1})
	if k := kind(err); k != Auth {
		t.Errorf("expired token: %v", k)
	}
	if len(f.m.Shipments()) != 0 {
		t.Fatal("a refused request kept a shipment")
	}
	if _, ok := (jd{}).Carrier("SF"); !ok {
		t.Error("JD has no ID for SF")
	}
	if _, ok := (jd{}).Carrier("JT"); ok {
		t.Error("JD has an unconfirmed ID for JT")
	}
	if _, ok := Lookup("jd"); !ok {
		t.Error("jd is not registered")
	}
}

func TestJDStock(t *testing.T) {
	f := newJDFixture(t)
	ctx := context.Background()
	f.fault(t, "jd", fakemarket.FaultLost, 0)
	set := StockSet{Key: "p1", SKU: "A-1", Listing: Listing{SkuID: "100001"}, Qty: 17}
	if _, err := (jd{}).SetStock(ctx, f.conn, f.shop, set); err == nil {
		t.Fatal("a lost answer was success")
	}
	if res, err := (jd{}).SetStock(ctx, f.conn, f.shop, set); err != nil || res.Qty != 17 {
		t.Fatalf("%+v %v", res, err)
	}
	if q, ok := f.m.Stock(fakemarket.ListingKey{Platform: "jd", SkuID: "100001"}); !ok || q != 17 {
		t.Fatalf("JD holds %d (%v)", q, ok)
	}
	var me *Error
	if _, err := (jd{}).SetStock(ctx, f.conn, f.shop, StockSet{SKU: "A-1", Qty: 1}); !errors.As(err, &me) || me.Kind != Refused {
		t.Fatalf("no skuId: %v", err)
	}
}

func FuzzDecodeJD(f *testing.F) {
	f.Add([]byte(`{"jingdong_pop_order_shipment_responce":{"code":"0","sopjosshipment_result":{"success":true}}}`))
	f.Add([]byte(`{"jingdong_pop_order_shipment_responce":{"code":"0","sopjosshipment_result":{"success":"false","chineseErrCode":"x"}}}`))
	f.Add([]byte(`{"error_response":{"code":"19","zh_desc":"token已过期","en_desc":"Invalid access_token"}}`))
	f.Add([]byte(`{"jingdong_pop_order_get_responce":{"code":"0","orderDetailInfo":{"orderInfo":{"orderState":"FINISHED_L","waybill":"SF1|YT2"}}}}`))
	f.Add([]byte(`{"jingdong_stock_write_updateSkuStock_responce":{"code":0,"success":true}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, key := range []string{"jingdong_pop_order_shipment", "jingdong_pop_order_get", "jingdong_stock_write_updateSkuStock"} {
			raw, err := decodeJD(b, key)
			if err != nil {
				var me *Error
				if !errors.As(err, &me) || me.Kind == 0 {
					t.Fatalf("an error without a kind: %v", err)
				}
				continue
			}
			_, _, _ = decodeJDShipment(raw)
			_, _, _ = decodeJDOrder(raw)
			_ = decodeJDStock(raw)
		}
	})
}
