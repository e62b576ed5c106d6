// Package fakemarket is five marketplaces in one process — Taobao/Tmall
// (TOP), JD (JOS), Pinduoduo, Douyin and Shopify — for the tests and the
// README's demo (`tally fake-market --addr ADDR`). Each platform's file
// serves its gateway as the platform documents it: it verifies the
// signature, keeps what it receives (shipments, stock) and answers in the
// platform's own terms, including its errors. One Market holds all of it,
// with the orders the platforms sold (seeded, or sold while the warehouse
// was away), the faults a test injects, the requests per minute, and a page.
package fakemarket

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Keys are a platform's credentials the fake accepts.
type Keys struct {
	AppKey  string `json:"app_key"`
	Secret  string `json:"secret"`
	Session string `json:"session"`
}

// DefaultKeys are the demo's: what the README's shops are configured with.
func DefaultKeys() map[string]Keys {
	return map[string]Keys{
		"taobao":  {AppKey: "12345678", Secret: "fake-taobao-secret-0001", Session: "fake-taobao-session"},
		"jd":      {AppKey: "FAKEJDAPPKEY0001", Secret: "fake-jd-secret-000001", Session: "fake-jd-access-token"},
		"pdd":     {AppKey: "fakepddclientid0001", Secret: "fake-pdd-secret-00001", Session: "fake-pdd-access-token"},
		"douyin":  {AppKey: "7000000000000000001", Secret: "fake-douyin-secret-001", Session: "fake-douyin-access-token"},
		"shopify": {Session: "shpat_fake_shopify_token_0001"},
	}
}

// Order is one order a platform sold: its ID and its sub-orders.
type Order struct {
	Platform string     `json:"platform"`
	ID       string     `json:"id"`
	Lines    []SubOrder `json:"lines"`
	At       time.Time  `json:"at"`
}

// SubOrder is one sub-order (line) of a platform order.
type SubOrder struct {
	ID      string `json:"id"`
	SKU     string `json:"sku"` // the merchant's code
	ItemID  string `json:"item_id,omitempty"`
	SkuID   string `json:"sku_id,omitempty"`
	Qty     int64  `json:"qty"`
	Shipped bool   `json:"shipped"`
}

// Shipment is one shipment a platform took: which sub-orders left with
// which waybill, through which method.
type Shipment struct {
	Platform  string    `json:"platform"`
	Order     string    `json:"order"`
	SubOrders []string  `json:"sub_orders"` // empty: the whole order
	Carrier   string    `json:"carrier"`    // the platform's code
	Waybill   string    `json:"waybill"`
	Method    string    `json:"method"`
	At        time.Time `json:"at"`
}

// ListingKey names a listing's stock on a platform.
type ListingKey struct {
	Platform string `json:"platform"`
	ItemID   string `json:"item_id"`
	SkuID    string `json:"sku_id"`
}

// StockWrite is one stock change the warehouse made.
type StockWrite struct {
	Platform string    `json:"platform"`
	ItemID   string    `json:"item_id"`
	SkuID    string    `json:"sku_id"`
	Qty      int64     `json:"qty"` // after the write
	Method   string    `json:"method"`
	At       time.Time `json:"at"`
}

// Market is the five platforms' state.
type Market struct {
	mu        sync.Mutex
	keys      map[string]Keys
	now       func() time.Time
	orders    map[string]*Order // platform + "/" + id
	shipments []Shipment
	stock     map[ListingKey]int64
	writes    []StockWrite
	effects   map[string]string // idempotency key → the answer it got
	requests  map[string][]time.Time
	limits    map[string]int // requests a minute a platform allows (0: no limit)
	faults    []*Fault
	nextFault int
	sold      map[ListingKey]int64 // units sold through Sell
	limited   map[string]int       // requests refused for being over a platform's limit
	ahead     atomic.Int64         // how far the platforms' clock is ahead of the machine's (Advance)
	seq       int
	shopify   shopifyStore // shopify.go: fulfillment orders, fulfillments, the cost bucket
}

// Options configure a Market.
type Options struct {
	Keys   map[string]Keys // nil: DefaultKeys
	Limits map[string]int  // requests a minute per platform (0 or missing: none)
	Now    func() time.Time
}

// New makes an empty Market.
func New(o Options) *Market {
	if o.Keys == nil {
		o.Keys = DefaultKeys()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	base := o.Now
	m := &Market{keys: o.Keys, orders: map[string]*Order{}, stock: map[ListingKey]int64{},
		effects: map[string]string{}, requests: map[string][]time.Time{}, limits: o.Limits, sold: map[ListingKey]int64{}, limited: map[string]int{}}
	m.now = func() time.Time { return base().Add(time.Duration(m.ahead.Load())) }
	return m
}

// platform is one platform's gateway: its name, the path it is served at
// (the shop's URL is the fake's address plus this path) and its handler.
type platform struct {
	name    string
	path    string // a ServeMux pattern prefix, e.g. "/taobao/router/rest"
	handler func(m *Market) http.Handler
}

var platforms []platform

// register adds a platform's gateway: each platform's file does, in init.
func register(p platform) { platforms = append(platforms, p) }

// Platforms are the names of the platforms served, sorted.
func Platforms() []string {
	var out []string
	for _, p := range platforms {
		out = append(out, p.name)
	}
	sort.Strings(out)
	return out
}

// Path is where a platform's gateway is served ("" for one not served).
func Path(name string) string {
	for _, p := range platforms {
		if p.name == name {
			return p.path
		}
	}
	return ""
}

// Advance moves the platforms' clock forward by d: a test (or a demo)
// that lets days pass for the warehouse lets them pass here too, so
// timestamps still match.
func (m *Market) Advance(d time.Duration) { m.ahead.Add(int64(d)) }

// Keys are the credentials the platform accepts.
func (m *Market) Keys(platform string) Keys {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.keys[platform]
}

// Handler serves every platform's gateway, the control API and the page.
func (m *Market) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, p := range platforms {
		h := m.gateway(p.name, p.handler(m))
		mux.Handle(p.path, h)
		mux.Handle(p.path+"/", h)
	}
	m.controlRoutes(mux)
	mux.HandleFunc("GET /{$}", m.page)
	return mux
}

// gateway counts a platform's requests, enforces its limit and applies the
// faults every platform shares (drop, slow, lost, HTTP errors); the
// platform's own (a bad signature, an expired session, its rate-limit
// code) are its handler's to answer, with FaultOf.
func (m *Market) gateway(name string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		over := m.count(name)
		f := m.takeFault(name)
		if over && f == nil {
			f = &Fault{Kind: FaultRateLimit, Platform: name}
			m.mu.Lock()
			m.limited[name]++
			m.mu.Unlock()
		}
		if f != nil {
			switch f.Kind {
			case FaultDrop:
				panic(http.ErrAbortHandler)
			case FaultError:
				http.Error(w, "fake "+name+": injected server error", cmpStatus(f.Status))
				return
			case FaultSlow:
				// the body read first: only then does the server notice a
				// client that gave up (and the wait ends with it)
				body, err := io.ReadAll(io.LimitReader(r.Body, maxGatewayBody+1))
				if err != nil {
					return
				}
				r.Body = io.NopCloser(bytes.NewReader(body))
				select {
				case <-time.After(time.Duration(f.DelayMS) * time.Millisecond):
				case <-r.Context().Done():
					return
				}
			case FaultLost:
				rec := &discard{header: http.Header{}}
				h.ServeHTTP(rec, r)
				panic(http.ErrAbortHandler)
			}
		}
		h.ServeHTTP(w, withFault(r, f))
	})
}

// maxGatewayBody is the most a platform's gateway reads of a request.
const maxGatewayBody = 1 << 20

func cmpStatus(s int) int {
	if s == 0 {
		return http.StatusBadGateway
	}
	return s
}

// discard is an answer no one reads (a lost answer).
type discard struct{ header http.Header }

func (d *discard) Header() http.Header         { return d.header }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

// count records a request and says whether it is over the platform's limit
// for the last minute.
func (m *Market) count(name string) (over bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	ts := m.requests[name]
	cut := sort.Search(len(ts), func(i int) bool { return ts[i].After(now.Add(-time.Hour)) })
	ts = append(ts[cut:], now)
	m.requests[name] = ts
	if lim := m.limits[name]; lim > 0 {
		minute := sort.Search(len(ts), func(i int) bool { return ts[i].After(now.Add(-time.Minute)) })
		return len(ts)-minute > lim
	}
	return false
}

// PerMinute is the most requests a platform had in any minute (sliding,
// over the last hour).
func (m *Market) PerMinute(name string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	ts := m.requests[name]
	most, j := 0, 0
	for i := range ts {
		for ts[i].Sub(ts[j]) >= time.Minute {
			j++
		}
		most = max(most, i-j+1)
	}
	return most
}

// Requests is how many requests a platform had in the last hour.
func (m *Market) Requests(name string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.requests[name])
}

// AddOrder adds (or replaces) an order a platform sold.
func (m *Market) AddOrder(o Order) error {
	if Path(o.Platform) == "" {
		return fmt.Errorf("fakemarket: no platform %q (%v)", o.Platform, Platforms())
	}
	if o.ID == "" || len(o.Lines) == 0 {
		return errors.New("fakemarket: an order needs an id and lines")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if o.At.IsZero() {
		o.At = m.now()
	}
	o.Lines = slices.Clone(o.Lines)
	m.orders[o.Platform+"/"+o.ID] = &o
	return nil
}

// Order is a platform's order, ok false for one it never sold.
func (m *Market) Order(platform, id string) (Order, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.orders[platform+"/"+id]
	if !ok {
		return Order{}, false
	}
	c := *o
	c.Lines = slices.Clone(o.Lines)
	return c, true
}

// Ship records a shipment of sub-orders (none: the whole order). A
// sub-order already shipped with the same waybill is a repeat (dup true,
// nothing changes); with another waybill it is refused.
func (m *Market) Ship(s Shipment) (dup bool, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.orders[s.Platform+"/"+s.Order]
	if !ok {
		return false, ErrNoOrder
	}
	subs := s.SubOrders
	if len(subs) == 0 {
		for _, l := range o.Lines {
			subs = append(subs, l.ID)
		}
	}
	var fresh []int
	for _, id := range subs {
		i := slices.IndexFunc(o.Lines, func(l SubOrder) bool { return l.ID == id })
		if i < 0 {
			return false, fmt.Errorf("%w: %s", ErrNoSubOrder, id)
		}
		if o.Lines[i].Shipped {
			if !m.shippedWith(s.Platform, s.Order, id, s.Waybill) {
				return false, fmt.Errorf("%w: %s", ErrShippedOther, id)
			}
			continue
		}
		fresh = append(fresh, i)
	}
	if len(fresh) == 0 {
		return true, nil
	}
	for _, i := range fresh {
		o.Lines[i].Shipped = true
	}
	if s.At.IsZero() {
		s.At = m.now()
	}
	s.SubOrders = slices.Clone(subs)
	m.shipments = append(m.shipments, s)
	return false, nil
}

// Errors of Ship.
var (
	ErrNoOrder      = errors.New("the platform has no such order")
	ErrNoSubOrder   = errors.New("the order has no such sub-order")
	ErrShippedOther = errors.New("the sub-order already shipped with another waybill")
)

func (m *Market) shippedWith(platform, order, sub, waybill string) bool {
	for _, s := range m.shipments {
		if s.Platform == platform && s.Order == order && s.Waybill == waybill && (len(s.SubOrders) == 0 || slices.Contains(s.SubOrders, sub)) {
			return true
		}
	}
	return false
}

// Shipments are every shipment taken, in order.
func (m *Market) Shipments() []Shipment {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.shipments)
}

// SetStock sets a listing's quantity (a full update).
func (m *Market) SetStock(k ListingKey, qty int64, method string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stock[k] = qty
	m.writes = append(m.writes, StockWrite{Platform: k.Platform, ItemID: k.ItemID, SkuID: k.SkuID, Qty: qty, Method: method, At: m.now()})
}

// AddStock changes a listing's quantity by delta (never below zero) and
// says what it holds after.
func (m *Market) AddStock(k ListingKey, delta int64, method string) int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	q := max(m.stock[k]+delta, 0)
	m.stock[k] = q
	m.writes = append(m.writes, StockWrite{Platform: k.Platform, ItemID: k.ItemID, SkuID: k.SkuID, Qty: q, Method: method, At: m.now()})
	return q
}

// Stock is what a listing may sell (ok false: never set).
func (m *Market) Stock(k ListingKey) (int64, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	q, ok := m.stock[k]
	return q, ok
}

// Writes are every stock write the warehouse made, in order.
func (m *Market) Writes() []StockWrite {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.writes)
}

// Once runs apply the first time key is seen and keeps its answer; a
// repeat gets the kept answer without applying (a platform's idempotency
// key). Keys are per platform.
func (m *Market) Once(platform, key string, apply func() string) (answer string, repeat bool) {
	m.mu.Lock()
	if a, ok := m.effects[platform+"\x00"+key]; ok {
		m.mu.Unlock()
		return a, true
	}
	m.mu.Unlock()
	a := apply()
	m.mu.Lock()
	defer m.mu.Unlock()
	if prev, ok := m.effects[platform+"\x00"+key]; ok {
		return prev, true
	}
	m.effects[platform+"\x00"+key] = a
	return a, false
}

// Sell is a buyer on the platform: up to n units of a listing leave its
// stock as a new order of one sub-order (sku is the merchant's code). It
// sells what the listing holds, no more, and says how many it sold and
// the order it made (nil when none).
func (m *Market) Sell(k ListingKey, sku string, n int64) (int64, *Order) {
	m.mu.Lock()
	defer m.mu.Unlock()
	have := m.stock[k]
	got := min(have, n)
	if got <= 0 {
		return 0, nil
	}
	m.stock[k] = have - got
	m.sold[k] += got
	m.seq++
	id := fmt.Sprintf("%s%d%06d", "9", m.now().Unix()%100000, m.seq)
	o := &Order{Platform: k.Platform, ID: id, At: m.now(), Lines: []SubOrder{{ID: id + "01", SKU: sku, ItemID: k.ItemID, SkuID: k.SkuID, Qty: got}}}
	m.orders[k.Platform+"/"+id] = o
	c := *o
	c.Lines = slices.Clone(o.Lines)
	return got, &c
}

// Sold is how many units of a listing Sell sold.
func (m *Market) Sold(k ListingKey) int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sold[k]
}
