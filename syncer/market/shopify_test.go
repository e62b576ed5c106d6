package market

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"tally/syncer/fakemarket"
)

// shopifyRig is the adapter against the fake store, with a hook that sees
// each GraphQL request before the fake does (to inject a fault into one
// operation, or to let a buyer buy just before it).
type shopifyRig struct {
	m    *fakemarket.Market
	shop Shop
	conn Conn
	mu   sync.Mutex
	hook func(query string)
}

func newShopifyRig(t *testing.T, now ...func() time.Time) *shopifyRig {
	t.Helper()
	o := fakemarket.Options{}
	if len(now) > 0 {
		o.Now = now[0]
	}
	r := &shopifyRig{m: fakemarket.New(o)}
	inner := r.m.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(req.Body, 2<<20))
		req.Body = io.NopCloser(bytes.NewReader(body))
		var q struct {
			Query string `json:"query"`
		}
		_ = json.Unmarshal(body, &q)
		r.mu.Lock()
		hook := r.hook
		r.mu.Unlock()
		if hook != nil {
			hook(q.Query)
		}
		inner.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	per, burst := shopify{}.RateLimit()
	r.shop = Shop{Name: "store", Platform: "shopify", URL: srv.URL + fakemarket.Path("shopify"), Session: fakemarket.DefaultKeys()["shopify"].Session, Location: "gid://shopify/Location/7"}
	r.conn = Conn{HTTP: &http.Client{Timeout: 300 * time.Millisecond}, Now: time.Now, Limit: NewLimiter(per, burst)}
	return r
}

func (r *shopifyRig) setHook(h func(query string)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hook = h
}

// faultOn injects one fault into the next request whose query holds op.
func (r *shopifyRig) faultOn(t *testing.T, op string, f fakemarket.Fault) {
	var once sync.Once
	r.setHook(func(q string) {
		if strings.Contains(q, op) {
			once.Do(func() {
				f.Platform, f.Count = "shopify", 1
				if _, err := r.m.AddFault(f); err != nil {
					t.Errorf("fault: %v", err)
				}
			})
		}
	})
}

func kindOf(err error) Kind {
	var me *Error
	if errors.As(err, &me) {
		return me.Kind
	}
	return 0
}

func shopifySplitOrder(t *testing.T, m *fakemarket.Market) Shipment {
	t.Helper()
	if err := m.AddOrder(fakemarket.Order{Platform: "shopify", ID: "1001", Lines: []fakemarket.SubOrder{{ID: "11", SKU: "A", Qty: 2}, {ID: "12", SKU: "B", Qty: 1}}}); err != nil {
		t.Fatal(err)
	}
	return Shipment{Key: "ev1/1001", Order: "SO-1", PlatformOrderID: "gid://shopify/Order/1001", SubOrders: []string{"gid://shopify/LineItem/11", "gid://shopify/LineItem/12"},
		Parcels: []Parcel{
			{Waybill: "SF100", Carrier: "SF Express", Items: []Item{{SubOrderID: "gid://shopify/LineItem/11", SKU: "A", Qty: 2}}},
			{Waybill: "SF200", Carrier: "SF Express", Items: []Item{{SubOrderID: "12", SKU: "B", Qty: 1}}},
		}}
}

func TestShopifyShipSplitOnceDespiteLostDroppedSlow(t *testing.T) {
	r := newShopifyRig(t)
	s := shopifySplitOrder(t, r.m)
	p, _ := Lookup("shopify")
	ctx := context.Background()

	// 1: parcel SF100's fulfillment is made, its answer lost
	r.faultOn(t, "fulfillmentCreate(", fakemarket.Fault{Kind: fakemarket.FaultLost})
	if err := p.Ship(ctx, r.conn, r.shop, s); kindOf(err) != Down {
		t.Fatalf("lost answer: %v, want a Down error", err)
	}
	if n := len(r.m.ShopifyFulfillments("1001")); n != 1 {
		t.Fatalf("after the lost answer the store holds %d fulfillments, want 1", n)
	}
	// 2: the connection drops on the next create (SF200: SF100 is seen done)
	r.faultOn(t, "fulfillmentCreate(", fakemarket.Fault{Kind: fakemarket.FaultDrop})
	if err := p.Ship(ctx, r.conn, r.shop, s); kindOf(err) != Down {
		t.Fatalf("dropped connection: %v, want a Down error", err)
	}
	// 3: the answer comes after the client's timeout
	r.faultOn(t, "fulfillmentCreate(", fakemarket.Fault{Kind: fakemarket.FaultSlow, DelayMS: 1500})
	if err := p.Ship(ctx, r.conn, r.shop, s); kindOf(err) != Down {
		t.Fatalf("slow answer: %v, want a Down error", err)
	}
	// 4 and 5: through, then again (a repeat changes nothing)
	r.setHook(nil)
	for i := range 2 {
		if err := p.Ship(ctx, r.conn, r.shop, s); err != nil {
			t.Fatalf("try %d: %v", i+4, err)
		}
	}
	fs := r.m.ShopifyFulfillments("1001")
	if len(fs) != 2 {
		t.Fatalf("fulfillments %+v, want exactly one per parcel", fs)
	}
	if fs[0].Number != "SF100" || fs[0].Lines["11"] != 2 || len(fs[0].Lines) != 1 || fs[0].Company != "SF Express" {
		t.Errorf("first fulfillment %+v, want SF100 with line 11 ×2", fs[0])
	}
	if fs[1].Number != "SF200" || fs[1].Lines["12"] != 1 || len(fs[1].Lines) != 1 {
		t.Errorf("second fulfillment %+v, want SF200 with line 12 ×1", fs[1])
	}
	if n := r.m.ShopifyAccepts("1001"); n != 1 {
		t.Errorf("the fulfillment request was accepted %d times, want once", n)
	}
	sh := r.m.Shipments()
	if len(sh) != 2 || sh[0].Waybill != "SF100" || strings.Join(sh[0].SubOrders, ",") != "11" || sh[1].Waybill != "SF200" || strings.Join(sh[1].SubOrders, ",") != "12" {
		t.Errorf("shipments recorded %+v", sh)
	}
}

func TestShopifyShipLineAcrossParcels(t *testing.T) {
	r := newShopifyRig(t)
	if err := r.m.AddOrder(fakemarket.Order{Platform: "shopify", ID: "2002", Lines: []fakemarket.SubOrder{{ID: "21", SKU: "A", Qty: 3}}}); err != nil {
		t.Fatal(err)
	}
	s := Shipment{Key: "ev2", Order: "SO-2", PlatformOrderID: "2002", SubOrders: []string{"21"}, Parcels: []Parcel{
		{Waybill: "YT1", Carrier: "YTO Express", Items: []Item{{SubOrderID: "21", SKU: "A", Qty: 2}}},
		{Waybill: "YT2", Carrier: "YTO Express", Items: []Item{{SubOrderID: "21", SKU: "A", Qty: 1}}},
	}}
	p, _ := Lookup("shopify")
	if err := p.Ship(context.Background(), r.conn, r.shop, s); err != nil {
		t.Fatal(err)
	}
	fs := r.m.ShopifyFulfillments("2002")
	if len(fs) != 2 || fs[0].Lines["21"] != 2 || fs[1].Lines["21"] != 1 {
		t.Fatalf("fulfillments %+v, want 2 then 1 unit of line 21", fs)
	}
	// a third parcel of the same line: nothing left, a clear refusal
	s.Parcels = append(s.Parcels, Parcel{Waybill: "YT3", Carrier: "YTO Express", Items: []Item{{SubOrderID: "21", SKU: "A", Qty: 1}}})
	err := p.Ship(context.Background(), r.conn, r.shop, s)
	if kindOf(err) != Refused || !strings.Contains(err.Error(), "not open to fulfil") {
		t.Fatalf("over-shipping: %v, want a refusal", err)
	}
}

func TestShopifyShipRefusals(t *testing.T) {
	r := newShopifyRig(t)
	p, _ := Lookup("shopify")
	ctx := context.Background()
	s := Shipment{Order: "SO-9", PlatformOrderID: "9999", Parcels: []Parcel{{Waybill: "W", Carrier: "SF Express", Items: []Item{{SubOrderID: "1", SKU: "A", Qty: 1}}}}}
	if err := p.Ship(ctx, r.conn, r.shop, s); kindOf(err) != Refused || !strings.Contains(err.Error(), "no order") {
		t.Errorf("unknown order: %v", err)
	}
	s.PlatformOrderID = "gid://shopify/Product/1"
	if err := p.Ship(ctx, r.conn, r.shop, s); kindOf(err) != Refused {
		t.Errorf("a product's GID as the order: %v", err)
	}
	s.PlatformOrderID = "1"
	s.Parcels[0].Items[0].SubOrderID = ""
	if err := p.Ship(ctx, r.conn, r.shop, s); kindOf(err) != Refused || !strings.Contains(err.Error(), "line item") {
		t.Errorf("an item without a line item: %v", err)
	}
}

func TestShopifyAuth(t *testing.T) {
	r := newShopifyRig(t)
	s := shopifySplitOrder(t, r.m)
	p, _ := Lookup("shopify")
	bad := r.shop
	bad.Session = "shpat_wrong"
	err := p.Ship(context.Background(), r.conn, bad, s)
	if kindOf(err) != Auth {
		t.Fatalf("bad token: %v, want Auth", err)
	}
	if strings.Contains(err.Error(), "shpat_") {
		t.Errorf("the error shows the token: %v", err)
	}
	r.faultOn(t, "order(", fakemarket.Fault{Kind: fakemarket.FaultSession})
	if err := p.Ship(context.Background(), r.conn, r.shop, s); kindOf(err) != Auth {
		t.Fatalf("expired session: %v, want Auth", err)
	}
	if n := len(r.m.ShopifyFulfillments("1001")); n != 0 {
		t.Errorf("a refused token made %d fulfillments", n)
	}
}

// fakeClock drives a Limiter without sleeping.
type fakeClock struct {
	mu    sync.Mutex
	t     time.Time
	slept time.Duration
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) sleep(_ context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	c.slept += d
	return nil
}

func TestShopifyThrottled(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	r := newShopifyRig(t, clk.now) // the store's bucket refills on the same clock
	s := shopifySplitOrder(t, r.m)
	r.conn.Limit.now, r.conn.Limit.sleep = clk.now, clk.sleep
	p, _ := Lookup("shopify")
	r.faultOn(t, "order(", fakemarket.Fault{Kind: fakemarket.FaultRateLimit})
	err := p.Ship(context.Background(), r.conn, r.shop, s)
	var me *Error
	if !errors.As(err, &me) || me.Kind != Throttled || me.Code != "THROTTLED" {
		t.Fatalf("throttled: %v, want Throttled THROTTLED", err)
	}
	// the fake emptied its bucket: 352 points asked at 100 a second back
	if me.RetryAfter != 3520*time.Millisecond {
		t.Errorf("RetryAfter %v, want 3.52s from the throttle status", me.RetryAfter)
	}
	// the limiter lets the same request through only after that
	if err := r.conn.Limit.Wait(context.Background(), shopifyReadOrderCost); err != nil {
		t.Fatal(err)
	}
	if clk.slept < me.RetryAfter-10*time.Millisecond || clk.slept > me.RetryAfter+time.Second {
		t.Errorf("the limiter waited %v, want about %v", clk.slept, me.RetryAfter)
	}
	r.setHook(nil)
	if err := p.Ship(context.Background(), r.conn, r.shop, s); err != nil {
		t.Fatalf("after the wait: %v", err)
	}
}

func TestShopifyHTTPAnswers(t *testing.T) {
	var status int
	var body string
	var header http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Shopify-Access-Token") != "shpat_test_9q" || r.URL.Path != "/admin/api/2026-10/graphql.json" {
			http.Error(w, "wrong request", http.StatusTeapot)
			return
		}
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	defer srv.Close()
	shop := Shop{URL: srv.URL + "/", Session: "shpat_test_9q", Location: "1"}
	c := Conn{HTTP: srv.Client(), Limit: NewLimiter(6000, 1000)}
	p := shopify{}
	big := `{"data":{"x":"` + strings.Repeat("a", shopifyMaxAnswer) + `"}}`
	for _, tc := range []struct {
		name   string
		status int
		header http.Header
		body   string
		kind   Kind
		retry  time.Duration
		text   string
	}{
		{"401", 401, nil, `{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}`, Auth, 0, "refused the access token"},
		{"403", 403, nil, `{"errors":"[API] This action requires merchant approval for write_inventory scope."}`, Auth, 0, "write_inventory"},
		{"access denied", 200, nil, `{"errors":[{"message":"Access denied for inventorySetQuantities field.","extensions":{"code":"ACCESS_DENIED"}}]}`, Auth, 0, "scope"},
		{"502", 502, nil, `bad gateway`, Down, 0, "failed"},
		{"not json", 200, nil, `<html>`, Down, 0, "not a GraphQL answer"},
		{"too large", 200, nil, big, Down, 0, "over 1048576 bytes"},
		{"user error", 200, nil, `{"data":{"inventorySetQuantities":{"userErrors":[{"code":"INVALID_INVENTORY_ITEM","field":["input"],"message":"The specified inventory item could not be found."}]}}}`, Refused, 0, "could not be found"},
		{"graphql error", 200, nil, `{"errors":[{"message":"Field 'x' doesn't exist on type 'Mutation'","extensions":{"code":"undefinedField"}}]}`, Refused, 0, "doesn't exist"},
		{"internal", 200, nil, `{"errors":[{"message":"Internal error. Looks like something went wrong on our end.","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}`, Retry, 0, "Internal error"},
		{"throttled", 200, nil, `{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED"}}],"extensions":{"cost":{"requestedQueryCost":10,"actualQueryCost":null,"throttleStatus":{"maximumAvailable":1000,"currentlyAvailable":4,"restoreRate":50}}}}`, Throttled, 120 * time.Millisecond, "bucket"},
		// last: it holds the limiter for 2 s
		{"429", 429, http.Header{"Retry-After": {"2.0"}}, `{"errors":"Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."}`, Throttled, 2 * time.Second, "too many requests"},
	} {
		status, body, header = tc.status, tc.body, tc.header
		_, err := p.SetStock(context.Background(), c, shop, StockSet{Key: "k", SKU: "A", Listing: Listing{ItemID: "5"}, Qty: 1, LastKnown: true})
		var me *Error
		if !errors.As(err, &me) || me.Kind != tc.kind || me.RetryAfter != tc.retry || !strings.Contains(me.Error(), tc.text) {
			t.Errorf("%s: %v (%+v), want %v retry %v with %q", tc.name, err, me, tc.kind, tc.retry, tc.text)
		}
		if err != nil && strings.Contains(err.Error(), "shpat_test_9q") {
			t.Errorf("%s: the token is in the error: %v", tc.name, err)
		}
	}
}

func TestShopifyStockStaleAndIdempotent(t *testing.T) {
	r := newShopifyRig(t)
	p, _ := Lookup("shopify")
	ctx := context.Background()
	k := fakemarket.ListingKey{Platform: "shopify", ItemID: "gid://shopify/InventoryItem/501", SkuID: "gid://shopify/Location/7"}

	// nothing known: read (0), then set
	res, err := p.SetStock(ctx, r.conn, r.shop, StockSet{Key: "pub-1", SKU: "A", Listing: Listing{ItemID: "501"}, Qty: 10})
	if err != nil || res.Retried || res.Qty != 10 {
		t.Fatalf("first set: %+v %v", res, err)
	}
	if q, _ := r.m.Stock(k); q != 10 {
		t.Fatalf("the store holds %d, want 10", q)
	}
	// buyers bought 3 while we were away: the compare is stale, re-read, set
	if n, _ := r.m.Sell(k, "A", 3); n != 3 {
		t.Fatalf("sold %d", n)
	}
	pub2 := StockSet{Key: "pub-2", SKU: "A", Listing: Listing{ItemID: "gid://shopify/InventoryItem/501"}, Qty: 12, Last: 10, LastKnown: true}
	res, err = p.SetStock(ctx, r.conn, r.shop, pub2)
	if err != nil || !res.Retried {
		t.Fatalf("stale set: %+v %v, want retried", res, err)
	}
	if q, _ := r.m.Stock(k); q != 12 {
		t.Fatalf("the store holds %d, want 12", q)
	}
	writes := len(r.m.Writes())
	// the same publication again: the @idempotent key, one effect
	if _, err := p.SetStock(ctx, r.conn, r.shop, pub2); err != nil {
		t.Fatal(err)
	}
	if n := len(r.m.Writes()); n != writes {
		t.Errorf("a repeat wrote again: %d writes, want %d", n, writes)
	}
	// a lost answer, then the link's retry: one write
	r.faultOn(t, "inventorySetQuantities(", fakemarket.Fault{Kind: fakemarket.FaultLost})
	pub3 := StockSet{Key: "pub-3", SKU: "A", Listing: Listing{ItemID: "501"}, Qty: 20, Last: 12, LastKnown: true}
	if _, err := p.SetStock(ctx, r.conn, r.shop, pub3); kindOf(err) != Down {
		t.Fatalf("lost answer: %v", err)
	}
	r.setHook(nil)
	if _, err := p.SetStock(ctx, r.conn, r.shop, pub3); err != nil {
		t.Fatal(err)
	}
	if n := len(r.m.Writes()); n != writes+1 {
		t.Errorf("%d writes after a lost answer and a retry, want %d", n, writes+1)
	}
	if q, _ := r.m.Stock(k); q != 20 {
		t.Errorf("the store holds %d, want 20", q)
	}
	// a buyer before every set: it never settles, and says so
	r.setHook(func(q string) {
		if strings.Contains(q, "inventorySetQuantities(") {
			r.m.Sell(k, "A", 1)
		}
	})
	_, err = p.SetStock(ctx, r.conn, r.shop, StockSet{Key: "pub-4", SKU: "A", Listing: Listing{ItemID: "501"}, Qty: 30, Last: 20, LastKnown: true})
	if kindOf(err) != Retry || !strings.Contains(err.Error(), "CHANGE_FROM_QUANTITY_STALE") {
		t.Errorf("never settling: %v, want a Retry", err)
	}
}

func TestShopifyStockRefusals(t *testing.T) {
	r := newShopifyRig(t)
	p, _ := Lookup("shopify")
	noLoc := r.shop
	noLoc.Location = ""
	_, err := p.SetStock(context.Background(), r.conn, noLoc, StockSet{Key: "k", SKU: "A", Listing: Listing{ItemID: "1"}, Qty: 1})
	if kindOf(err) != Refused || !strings.Contains(err.Error(), "no location") {
		t.Errorf("no location: %v", err)
	}
	_, err = p.SetStock(context.Background(), r.conn, r.shop, StockSet{Key: "k", SKU: "A", Listing: Listing{SkuID: "x"}, Qty: 1})
	if kindOf(err) != Refused || !strings.Contains(err.Error(), "inventory item") {
		t.Errorf("no inventory item: %v", err)
	}
}

func TestShopifyCarriersAndIDs(t *testing.T) {
	p := shopify{}
	for canon, want := range map[string]string{"SF": "SF Express", "EMS": "China EMS (ePacket)", "JT": "J&T Express", "POSTB": "China Post", "JD": "JD Logistics"} {
		if got, ok := p.Carrier(canon); !ok || got != want {
			t.Errorf("Carrier(%s) = %q %v, want %q", canon, got, ok, want)
		}
	}
	if _, ok := p.Carrier("DBL"); ok {
		t.Error("DBL is not on Shopify's list: a dead letter, not a guess")
	}
	for in, want := range map[string]string{"12": "gid://shopify/Order/12", "gid://shopify/Order/12": "gid://shopify/Order/12", " 7 ": "gid://shopify/Order/7", "gid://shopify/LineItem/1": "", "x1": "", "": ""} {
		got, ok := shopifyGID("Order", in)
		if got != want || ok != (want != "") {
			t.Errorf("shopifyGID(Order, %q) = %q %v, want %q", in, got, ok, want)
		}
	}
}

func FuzzShopifyAnswer(f *testing.F) {
	f.Add(200, []byte(`{"data":{"order":null},"extensions":{"cost":{"requestedQueryCost":352,"actualQueryCost":3,"throttleStatus":{"maximumAvailable":2000,"currentlyAvailable":1648,"restoreRate":100}}}}`))
	f.Add(200, []byte(`{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED"}}],"extensions":{"cost":{"requestedQueryCost":1e308,"throttleStatus":{"maximumAvailable":-1,"currentlyAvailable":-5,"restoreRate":1e-300}}}}`))
	f.Add(401, []byte(`{"errors":"[API] Invalid API key"}`))
	f.Add(429, []byte(``))
	f.Add(200, []byte(`{"errors":null,"data":null}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		c := Conn{Limit: NewLimiter(60, 10)}
		var out json.RawMessage
		err := shopifyOutcome(c, Shop{Session: "secret-token"}, "op", status, "1", body, &out)
		if err != nil {
			var me *Error
			if !errors.As(err, &me) || me.Kind < Refused || me.Kind > Auth {
				t.Fatalf("not a market error: %v", err)
			}
			if me.RetryAfter < 0 || me.RetryAfter > time.Hour {
				t.Fatalf("RetryAfter %v", me.RetryAfter)
			}
			if strings.Contains(err.Error(), "secret-token") {
				t.Fatal("the token leaked into an error")
			}
		}
	})
}

func FuzzShopifyOrder(f *testing.F) {
	f.Add([]byte(`{"order":{"id":"gid://shopify/Order/1","fulfillmentOrders":{"nodes":[{"id":"gid://shopify/FulfillmentOrder/1","status":"OPEN","requestStatus":"SUBMITTED","lineItems":{"nodes":[{"id":"gid://shopify/FulfillmentOrderLineItem/1","remainingQuantity":2,"totalQuantity":2,"lineItem":{"id":"gid://shopify/LineItem/1"}}],"pageInfo":{"hasNextPage":false}}}],"pageInfo":{"hasNextPage":false}},"fulfillments":[{"id":"gid://shopify/Fulfillment/1","status":"SUCCESS","trackingInfo":[{"company":"SF Express","number":"SF1"}]}]}}`))
	f.Add([]byte(`{"order":null}`))
	f.Add([]byte(`{"order":{"fulfillmentOrders":{"pageInfo":{"hasNextPage":true}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		o, err := decodeShopifyOrder(data)
		if err != nil && o != nil {
			t.Fatal("an order and an error")
		}
		_, _, _ = decodeShopifyLevel(data)
	})
}
