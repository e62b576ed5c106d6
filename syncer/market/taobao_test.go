package market

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"tally/syncer/fakemarket"
)

// TestTopSignVectors: TOP's documented md5 example, and hmac /
// hmac-sha256 checked against `openssl dgst -md5|-sha256 -hmac test` of
// the same sorted text.
func TestTopSignVectors(t *testing.T) {
	base := func(format, method string) url.Values {
		return url.Values{"app_key": {"test"}, "fields": {"nick"}, "format": {format}, "method": {"taobao.user.seller.get"},
			"session": {"test"}, "sign_method": {method}, "timestamp": {"2013-05-06 13:52:03"}, "v": {"2.0"}}
	}
	cases := []struct {
		params url.Values
		method string
		want   string
	}{
		{base("xml", "md5"), "md5", "72CB4D809B375A54502C09360D879C64"},
		// printf '%s' 'app_keytestfieldsnickformatjsonmethodtaobao.user.seller.getsessiontestsign_methodhmactimestamp2013-05-06 13:52:03v2.0' | openssl dgst -md5 -hmac test
		{base("json", "hmac"), "hmac", "F2966E2686B71E75F0B950ED48C63CDA"},
		// the same with sign_methodhmac-sha256, openssl dgst -sha256 -hmac test
		{base("json", "hmac-sha256"), "hmac-sha256", "D3E6DE9DBB5BEE35DF590A3ADBAB5935691FBD2C004F872A7D688485C339D75C"},
	}
	for _, c := range cases {
		c.params.Set("sign", "ignored")
		got, err := TopSign(c.params, "test", c.method)
		if err != nil || got != c.want {
			t.Errorf("%s: got %s, %v; want %s", c.method, got, err, c.want)
		}
	}
	if _, err := TopSign(base("json", "sha1"), "test", "sha1"); err == nil {
		t.Error("an unknown sign method signed")
	}
}

// topFixture is a fake TOP with one split-able order and a shop of it.
type topFixture struct {
	m    *fakemarket.Market
	srv  *httptest.Server
	shop Shop
	conn Conn
}

func newTopFixture(t *testing.T, signMethod string) *topFixture {
	t.Helper()
	m := fakemarket.New(fakemarket.Options{})
	srv := httptest.NewServer(m.Handler())
	t.Cleanup(srv.Close)
	k := m.Keys("taobao")
	f := &topFixture{m: m, srv: srv,
		shop: Shop{Name: "tb", Platform: "taobao", URL: srv.URL + fakemarket.Path("taobao"), AppKey: k.AppKey, Secret: k.Secret, Session: k.Session, SignMethod: signMethod, Channel: "taobao"},
		conn: Conn{HTTP: &http.Client{Timeout: 400 * time.Millisecond}, Now: time.Now}}
	if err := m.AddOrder(fakemarket.Order{Platform: "taobao", ID: "3001", Lines: []fakemarket.SubOrder{
		{ID: "300101", SKU: "A-1", ItemID: "6001", SkuID: "7001", Qty: 1},
		{ID: "300102", SKU: "B-2", ItemID: "6001", SkuID: "7002", Qty: 2},
	}}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *topFixture) fault(t *testing.T, platform, kind string, delay int) {
	t.Helper()
	if _, err := f.m.AddFault(fakemarket.Fault{Kind: kind, Platform: platform, Count: 1, DelayMS: delay}); err != nil {
		t.Fatal(err)
	}
}

// shipLikeTheLink calls Ship again after every error that is not a
// refusal, as the link does, and answers the last error.
func shipLikeTheLink(t *testing.T, p Platform, c Conn, shop Shop, s Shipment) (tries int, err error) {
	t.Helper()
	for tries = 1; tries <= 10; tries++ {
		err = p.Ship(context.Background(), c, shop, s)
		var me *Error
		if err == nil || errors.As(err, &me) && me.Kind == Refused {
			return tries, err
		}
	}
	return tries, err
}

func splitShipment() Shipment {
	return Shipment{Key: "ev1:3001", Order: "SO-1", PlatformOrderID: "3001", SubOrders: []string{"300101", "300102"},
		Parcels: []Parcel{
			{Waybill: "SF100", Carrier: "SF", Items: []Item{{SubOrderID: "300101", SKU: "A-1", Qty: 1}}},
			{Waybill: "SF200", Carrier: "SF", Items: []Item{{SubOrderID: "300102", SKU: "B-2", Qty: 2}}},
		}}
}

func TestTaobaoShipSplitOnceDespiteFaults(t *testing.T) {
	for _, sm := range []string{"md5", "hmac", "hmac-sha256", ""} {
		t.Run("sign="+sm, func(t *testing.T) {
			f := newTopFixture(t, sm)
			f.fault(t, "taobao", fakemarket.FaultLost, 0) // parcel 1 taken, answer lost
			f.fault(t, "taobao", fakemarket.FaultDrop, 0) // the repeat dropped before it is read
			tries, err := shipLikeTheLink(t, taobao{}, f.conn, f.shop, splitShipment())
			if err != nil || tries != 3 {
				t.Fatalf("after %d tries (want 3: lost, dropped, done): %v", tries, err)
			}
			// parcel 2 answered slowly, beyond the client's timeout
			f.fault(t, "taobao", fakemarket.FaultSlow, 900)
			if tries, err := shipLikeTheLink(t, taobao{}, f.conn, f.shop, splitShipment()); err != nil || tries != 2 {
				t.Fatalf("after %d tries (want 2: timed out, done): %v", tries, err)
			}
			got := f.m.Shipments()
			if len(got) != 2 {
				t.Fatalf("shipments %+v, want 2 (one per parcel)", got)
			}
			want := map[string][]string{"SF100": {"300101"}, "SF200": {"300102"}}
			for _, s := range got {
				if !slices.Equal(s.SubOrders, want[s.Waybill]) || s.Carrier != "SF" || s.Method != "taobao.logistics.offline.send" {
					t.Errorf("shipment %+v, want sub-orders %v", s, want[s.Waybill])
				}
			}
		})
	}
}

func TestTaobaoShipMergedAndShared(t *testing.T) {
	f := newTopFixture(t, "md5")
	if err := f.m.AddOrder(fakemarket.Order{Platform: "taobao", ID: "3002", Lines: []fakemarket.SubOrder{{ID: "300201", SKU: "A-1", Qty: 1}}}); err != nil {
		t.Fatal(err)
	}
	// a Tally order merging two Taobao orders in one parcel: two shipments, each whole
	for _, s := range []Shipment{
		{Key: "ev2:3001", Order: "SO-2", PlatformOrderID: "3001", SubOrders: []string{"300101", "300102"}, Parcels: []Parcel{{Waybill: "YT9", Carrier: "YTO",
			Items: []Item{{SubOrderID: "300101", SKU: "A-1", Qty: 1}, {SubOrderID: "300102", SKU: "B-2", Qty: 2}}}}},
		{Key: "ev2:3002", Order: "SO-2", PlatformOrderID: "3002", SubOrders: []string{"300201"}, Parcels: []Parcel{{Waybill: "YT9", Carrier: "YTO",
			Items: []Item{{SubOrderID: "300201", SKU: "A-1", Qty: 1}}}}},
	} {
		f.fault(t, "taobao", fakemarket.FaultLost, 0)
		if _, err := shipLikeTheLink(t, taobao{}, f.conn, f.shop, s); err != nil {
			t.Fatal(err)
		}
	}
	got := f.m.Shipments()
	if len(got) != 2 || got[0].Order != "3001" || got[1].Order != "3002" || len(got[0].SubOrders) != 2 {
		t.Fatalf("shipments %+v", got)
	}
	// another waybill for a shipped order: refused, not taken as a repeat
	again := splitShipment()
	again.Parcels = again.Parcels[:1]
	again.Parcels[0].Waybill = "SF999"
	err := taobao{}.Ship(context.Background(), f.conn, f.shop, again)
	var me *Error
	if !errors.As(err, &me) || me.Kind != Refused || !strings.Contains(me.Code, "B04") {
		t.Fatalf("another waybill: %v, want refused B04", err)
	}
	// a split shipment without sub-order IDs is refused with its reason
	noOid := splitShipment()
	noOid.Parcels[1].Items[0].SubOrderID = ""
	if err := (taobao{}).Ship(context.Background(), f.conn, f.shop, noOid); !errors.As(err, &me) || me.Kind != Refused || me.Code != "top.no_oid" {
		t.Fatalf("no oid: %v", err)
	}
	// an order the platform never sold
	unknown := splitShipment()
	unknown.PlatformOrderID = "999"
	if err := (taobao{}).Ship(context.Background(), f.conn, f.shop, unknown); !errors.As(err, &me) || me.Kind != Refused || !strings.Contains(me.Code, "B01") {
		t.Fatalf("unknown order: %v", err)
	}
}

func TestTaobaoAuthAndThrottle(t *testing.T) {
	f := newTopFixture(t, "hmac-sha256")
	kind := func(err error) (Kind, time.Duration) {
		var me *Error
		if !errors.As(err, &me) {
			t.Fatalf("not a market error: %v", err)
		}
		if strings.Contains(me.Error(), f.shop.Secret) || strings.Contains(me.Error(), f.shop.Session) {
			t.Fatalf("a secret in an error: %v", me)
		}
		return me.Kind, me.RetryAfter
	}
	f.fault(t, "taobao", fakemarket.FaultSignature, 0)
	if k, _ := kind(taobao{}.Ship(context.Background(), f.conn, f.shop, splitShipment())); k != Auth {
		t.Errorf("signature fault: %v", k)
	}
	f.fault(t, "taobao", fakemarket.FaultSession, 0)
	if k, _ := kind(taobao{}.Ship(context.Background(), f.conn, f.shop, splitShipment())); k != Auth {
		t.Errorf("session fault: %v", k)
	}
	f.fault(t, "taobao", fakemarket.FaultRateLimit, 0)
	if k, wait := kind(taobao{}.Ship(context.Background(), f.conn, f.shop, splitShipment())); k != Throttled || wait != time.Second {
		t.Errorf("rate limit: %v %v, want throttled 1s", k, wait)
	}
	bad := f.shop
	bad.Secret = "not-the-secret"
	if k, _ := kind(taobao{}.Ship(context.Background(), f.conn, bad, splitShipment())); k != Auth {
		t.Errorf("wrong secret: %v", k)
	}
	bad = f.shop
	bad.Session = "expired"
	if k, _ := kind(taobao{}.Ship(context.Background(), f.conn, bad, splitShipment())); k != Auth {
		t.Errorf("wrong session: %v", k)
	}
	skewed := f.conn
	skewed.Now = func() time.Time { return time.Now().Add(-11 * time.Minute) }
	if k, _ := kind(taobao{}.Ship(context.Background(), skewed, f.shop, splitShipment())); k != Auth {
		t.Errorf("a clock 11 minutes off: %v", k)
	}
	if len(f.m.Shipments()) != 0 {
		t.Fatalf("a refused request kept something: %+v", f.m.Shipments())
	}
}

func TestTaobaoCarriers(t *testing.T) {
	for _, c := range Carriers {
		if code, ok := (taobao{}).Carrier(c); !ok || code == "" {
			t.Errorf("TOP has no code for %s", c)
		}
	}
	if _, ok := (taobao{}).Carrier("XYZ"); ok {
		t.Error("an unknown carrier has a TOP code")
	}
	if p, ok := Lookup("taobao"); !ok || p.Name() != "taobao" {
		t.Error("taobao is not registered")
	}
}

func TestTaobaoStock(t *testing.T) {
	f := newTopFixture(t, "md5")
	ctx := context.Background()
	// by item and SKU ID
	res, err := taobao{}.SetStock(ctx, f.conn, f.shop, StockSet{Key: "k1", SKU: "A-1", Listing: Listing{ItemID: "6001", SkuID: "7001"}, Qty: 12})
	if err != nil || res.Qty != 12 {
		t.Fatalf("by sku_id: %+v %v", res, err)
	}
	// by the merchant's code (the fake knows B-2 is SKU 7002 of item 6001)
	res, err = taobao{}.SetStock(ctx, f.conn, f.shop, StockSet{Key: "k2", SKU: "B-2", Listing: Listing{ItemID: "6001"}, Qty: 5})
	if err != nil || res.Qty != 5 {
		t.Fatalf("by outer_id: %+v %v", res, err)
	}
	for sku, want := range map[string]int64{"7001": 12, "7002": 5} {
		if q, ok := f.m.Stock(fakemarket.ListingKey{Platform: "taobao", ItemID: "6001", SkuID: sku}); !ok || q != want {
			t.Errorf("sku %s holds %d (%v), want %d", sku, q, ok, want)
		}
	}
	// a full quantity again after a lost answer: the same quantity
	f.fault(t, "taobao", fakemarket.FaultLost, 0)
	if _, err := (taobao{}).SetStock(ctx, f.conn, f.shop, StockSet{Key: "k3", SKU: "A-1", Listing: Listing{ItemID: "6001", SkuID: "7001"}, Qty: 9}); err == nil {
		t.Fatal("a lost answer was success")
	}
	if _, err := (taobao{}).SetStock(ctx, f.conn, f.shop, StockSet{Key: "k3", SKU: "A-1", Listing: Listing{ItemID: "6001", SkuID: "7001"}, Qty: 9}); err != nil {
		t.Fatal(err)
	}
	if q, _ := f.m.Stock(fakemarket.ListingKey{Platform: "taobao", ItemID: "6001", SkuID: "7001"}); q != 9 {
		t.Errorf("after the repeat: %d, want 9", q)
	}
	// no item ID: refused with its reason
	var me *Error
	if _, err := (taobao{}).SetStock(ctx, f.conn, f.shop, StockSet{Key: "k4", SKU: "C-3", Qty: 1}); !errors.As(err, &me) || me.Kind != Refused {
		t.Fatalf("no item: %v", err)
	}
	// an unknown merchant code: TOP's refusal
	if _, err := (taobao{}).SetStock(ctx, f.conn, f.shop, StockSet{Key: "k5", SKU: "NOPE", Listing: Listing{ItemID: "6001"}, Qty: 1}); !errors.As(err, &me) || me.Kind != Refused {
		t.Fatalf("unknown outer_id: %v", err)
	}
}

func TestTmallStockOnceByOuterBizKey(t *testing.T) {
	f := newTopFixture(t, "hmac")
	f.shop.Channel = "tmall"
	if !IsTmall(f.shop) {
		t.Fatal("a tmall channel is not a Tmall shop")
	}
	ctx := context.Background()
	set := StockSet{Key: "pub-42", SKU: "A-1", Listing: Listing{ItemID: "6001", SkuID: "7001"}, Qty: 30}
	f.fault(t, "taobao", fakemarket.FaultLost, 0)
	if _, err := (taobao{}).SetStock(ctx, f.conn, f.shop, set); err == nil {
		t.Fatal("a lost answer was success")
	}
	// the platform sold 4 since: a repeat of the same publication must not put them back
	k := fakemarket.ListingKey{Platform: "taobao", ItemID: "6001", SkuID: "7001"}
	if n, _ := f.m.Sell(k, "A-1", 4); n != 4 {
		t.Fatalf("sold %d", n)
	}
	if res, err := (taobao{}).SetStock(ctx, f.conn, f.shop, set); err != nil || res.Qty != 30 {
		t.Fatalf("repeat: %+v %v", res, err)
	}
	if q, _ := f.m.Stock(k); q != 26 {
		t.Errorf("after the repeat the listing holds %d, want 26 (one effect)", q)
	}
	writes := 0
	for _, w := range f.m.Writes() {
		if w.Method == "tmall.item.quantity.update" {
			writes++
		}
	}
	if writes != 1 {
		t.Errorf("%d Tmall writes, want 1", writes)
	}
	// by the merchant's code, a new publication
	if _, err := (taobao{}).SetStock(ctx, f.conn, f.shop, StockSet{Key: "pub-43", SKU: "B-2", Listing: Listing{ItemID: "6001"}, Qty: 7}); err != nil {
		t.Fatal(err)
	}
	if q, _ := f.m.Stock(fakemarket.ListingKey{Platform: "taobao", ItemID: "6001", SkuID: "7002"}); q != 7 {
		t.Errorf("by outer_id: %d", q)
	}
}

func TestTopFailureKinds(t *testing.T) {
	cases := []struct {
		e    topError
		kind Kind
		wait time.Duration
	}{
		{topError{Code: "7", Msg: "App Call Limited", SubCode: "accesscontrol.limited-by-app-access-count", SubMsg: "This ban will last for 31 more seconds"}, Throttled, 31 * time.Second},
		{topError{Code: "7", Msg: "App Call Limited"}, Throttled, 0},
		{topError{Code: "25", Msg: "Invalid signature"}, Auth, 0},
		{topError{Code: "26", Msg: "Missing session"}, Auth, 0},
		{topError{Code: "27", Msg: "Invalid session", SubCode: "session-expired"}, Auth, 0},
		{topError{Code: "29", Msg: "Invalid app Key"}, Auth, 0},
		{topError{Code: "15", Msg: "Remote service error", SubCode: "isv.logistics-offline-service-error:B01"}, Refused, 0},
		{topError{Code: "15", Msg: "Remote service error", SubCode: "isv.logistics-offline-service-error:B150"}, Retry, 0},
		{topError{Code: "15", Msg: "Remote service error", SubCode: "isp.top-remote-connection-timeout"}, Retry, 0},
		{topError{Code: "41", Msg: "Invalid Arguments"}, Refused, 0},
		{topError{Code: "1", Msg: "Unknown Error"}, Retry, 0},
	}
	for _, c := range cases {
		got := topFailure(c.e)
		if got.Kind != c.kind || got.RetryAfter != c.wait {
			t.Errorf("%+v: %v %v, want %v %v", c.e, got.Kind, got.RetryAfter, c.kind, c.wait)
		}
	}
}

func TestTopAnswerOverLimit(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"x":"` + strings.Repeat("a", maxAnswer) + `"}`))
	}))
	defer srv.Close()
	shop := Shop{URL: srv.URL, AppKey: "a", Secret: "s", Session: "t"}
	err := taobao{}.Ship(context.Background(), Conn{}, shop, splitShipment())
	var me *Error
	if !errors.As(err, &me) || me.Kind != Retry || !strings.Contains(me.Message, "more than") {
		t.Fatalf("an answer over 1 MiB: %v", err)
	}
}

func FuzzDecodeTop(f *testing.F) {
	f.Add([]byte(`{"logistics_offline_send_response":{"shipping":{"is_success":true}}}`))
	f.Add([]byte(`{"error_response":{"code":7,"msg":"App Call Limited","sub_code":"accesscontrol.limited-by-app-access-count","sub_msg":"This ban will last for 3 more seconds"}}`))
	f.Add([]byte(`{"error_response":{"code":"15","sub_code":"isv.logistics-offline-service-error:B04"}}`))
	f.Add([]byte(`{"logistics_orders_get_response":{"shippings":{"shipping":[{"out_sid":123,"tid":3001}]}}}`))
	f.Add([]byte(`{"item_quantity_update_response":{"item":{"num_iid":1,"num":3,"skus":{"sku":[{"sku_id":"2","quantity":3}]}}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, key := range []string{"logistics_offline_send_response", "logistics_orders_get_response", "item_quantity_update_response"} {
			raw, err := decodeTop(b, key)
			if err != nil {
				var me *Error
				if !errors.As(err, &me) || me.Kind == 0 {
					t.Fatalf("an error without a kind: %v", err)
				}
				continue
			}
			_, _ = decodeTopShippings(raw)
			_, _, _ = decodeTopItem(raw, "2", "A")
		}
	})
}

func TestHTTP429IsThrottled(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "5")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	lim := NewLimiter(60, 1)
	for _, p := range []Platform{taobao{}, jd{}} {
		shop := Shop{URL: srv.URL, AppKey: "a", Secret: "s", Session: "t"}
		_, err := p.SetStock(context.Background(), Conn{Limit: lim}, shop, StockSet{Key: "k", SKU: "A", Listing: Listing{ItemID: "1", SkuID: "2"}, Qty: 1})
		var me *Error
		if !errors.As(err, &me) || me.Kind != Throttled || me.RetryAfter != 5*time.Second || me.Status != http.StatusTooManyRequests {
			t.Fatalf("%s: %v", p.Name(), err)
		}
		lim = NewLimiter(60, 1) // the first one holds for 5 s now
	}
}
