package syncer

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"tally/syncer/market"
	"tally/wms"
	"tally/wms/wmstest"
)

// The stock publisher is driven step by step on a clock the test moves,
// against a Platform that records every push (the adapters are tested
// against the fake marketplaces in their own package).

type stockClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stockClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *stockClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// recPlatform records the stock pushes; refuse and down shape its answers.
type recPlatform struct {
	mu     sync.Mutex
	sets   []market.StockSet
	refuse map[string]bool // by SKU
	down   bool
}

func (p *recPlatform) Name() string                    { return wms.DialectTaobao }
func (p *recPlatform) Carrier(c string) (string, bool) { return c, true }
func (p *recPlatform) RateLimit() (int, int)           { return 60000, 1000 }
func (p *recPlatform) Ship(context.Context, market.Conn, market.Shop, market.Shipment) error {
	return nil
}

func (p *recPlatform) SetStock(_ context.Context, _ market.Conn, shop market.Shop, s market.StockSet) (market.StockResult, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if shop.Secret == "" || shop.Session == "" {
		return market.StockResult{}, market.Errorf(market.Auth, "27", "no session")
	}
	if p.down {
		return market.StockResult{}, market.Errorf(market.Down, "", "connection refused")
	}
	if p.refuse[s.SKU] {
		return market.StockResult{}, market.Errorf(market.Refused, "isv.item-not-exist", "the listing %s does not exist", s.Listing.ItemID)
	}
	p.sets = append(p.sets, s)
	return market.StockResult{Qty: s.Qty}, nil
}

// pushes is what was pushed since from, and the new length.
func (p *recPlatform) pushes(from int) ([]market.StockSet, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]market.StockSet(nil), p.sets[from:]...), len(p.sets)
}

// latest is the last quantity pushed per SKU.
func (p *recPlatform) latest() map[string]int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := map[string]int64{}
	for _, s := range p.sets {
		m[s.SKU] = s.Qty
	}
	return m
}

type stockRig struct {
	*rig
	clock *stockClock
	p     *recPlatform
	k     *link
	skus  []string // plain SKUs of the default owner with stock: no lots, no serials
	locs  map[string]string
}

func newStockRig(t *testing.T, shop string, rules wms.StockRules) *stockRig {
	t.Helper()
	c := &stockClock{t: time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC)}
	r := newRig(t, Options{Now: c.Now})
	sr := &stockRig{rig: r, clock: c, p: &recPlatform{refuse: map[string]bool{}}, locs: map[string]string{}}
	// the demo's waiting orders are not this test's
	waiting, err := r.l.OrdersIn(wms.OrderNew, "", 10000)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range waiting {
		if _, err := r.l.Books(o.Owner).CancelOrder(bg, o.No, "not in this test", "", "S0001", "test"); err != nil {
			t.Fatal(err)
		}
	}
	skus, err := r.l.Books("").SKUs()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range skus {
		if s.LotTracked || s.SerialTracked || len(sr.skus) == 5 {
			continue
		}
		lines, err := r.l.StockOf(s.Code)
		if err != nil || len(lines) == 0 {
			continue
		}
		sr.skus, sr.locs[s.Code] = append(sr.skus, s.Code), lines[0].Location
	}
	if len(sr.skus) < 3 {
		t.Fatalf("the demo has too few plain SKUs: %v", sr.skus)
	}
	sr.shop(shop)
	if rules.Upstream == "" {
		rules.Upstream = shop
		for _, s := range sr.skus {
			rules.Listings = append(rules.Listings, wms.ListingRule{SKU: s, ItemID: "66" + s[3:], SkuID: "77" + s[3:]})
		}
	}
	sr.rules(rules)
	sr.k = r.link(shop)
	return sr
}

func (r *stockRig) shop(name string) {
	r.t.Helper()
	if _, err := r.l.SaveUpstream(bg, "", wms.Upstream{Name: name, Dialect: wms.DialectTaobao, URL: "http://127.0.0.1:9/router/rest",
		AppKey: "12345678", Secret: "0123456789abcdef0123", Session: "sess-" + name, Owner: wms.DefaultOwner, Channel: "tmall"}, "B9001", "test"); err != nil {
		r.t.Fatal(err)
	}
}

func (r *stockRig) rules(rules wms.StockRules) {
	r.t.Helper()
	if _, err := r.l.SaveStockRules(bg, "", rules, "B9001", "test"); err != nil {
		r.t.Fatal(err)
	}
}

// step is one turn of the publisher, failing the link as its loop would.
func (r *stockRig) step() error {
	r.t.Helper()
	k := r.k
	for range 100 {
		busy, err := k.stepStock(bg, k.config(), r.p)
		if err != nil {
			k.failed(err)
			return err
		}
		if !busy {
			return nil
		}
	}
	r.t.Fatal("no end")
	return nil
}

func (r *stockRig) mustStep() {
	r.t.Helper()
	if err := r.step(); err != nil {
		r.t.Fatal(err)
	}
}

// settle sees the changes (the commit bell's step), moves the clock past
// every burst and steps again.
func (r *stockRig) settle() {
	r.t.Helper()
	r.mustStep()
	r.clock.Add(9 * time.Second)
	r.mustStep()
}

func (r *stockRig) adjust(sku string, delta int64) {
	r.t.Helper()
	ev, err := wms.NewEvent(fmt.Sprintf("adj-%s-%d", sku, time.Now().UnixNano()), wms.EvStockAdjusted, "B0001", "test",
		wms.StockAdjustment{SKU: sku, Location: r.locs[sku], Delta: delta, Reason: "found"})
	if err != nil {
		r.t.Fatal(err)
	}
	if _, _, err := r.l.Append(bg, ev); err != nil {
		r.t.Fatal(err)
	}
}

func (r *stockRig) order(no, sku string, qty int64) {
	r.t.Helper()
	in := wms.OrderIntake{No: no, Channel: "tmall", Carrier: "SF", Recipient: wms.Recipient{Name: "王芳", Phone: "13800138000", Address: "浙江省杭州市西湖区文三路 100 号"},
		Lines: wms.OrderLines(wms.LineIn{SKU: sku, Qty: qty})}
	if _, _, err := r.l.ReceiveOrder(bg, "", in, "test", "test"); err != nil {
		r.t.Fatal(err)
	}
}

// expected is the formula per SKU from figures read here, not by the
// publisher: the sellable lines of the inventory and the open orders.
func (r *stockRig) expected(buffer func(sku string) int64, extra int64) map[string]int64 {
	r.t.Helper()
	inv, err := r.l.Books("").Inventory()
	if err != nil {
		r.t.Fatal(err)
	}
	avail := map[string]int64{}
	for _, ln := range inv {
		if ln.Sellable {
			avail[ln.SKU] += ln.Qty
		}
	}
	for _, st := range []wms.OrderState{wms.OrderNew, wms.OrderAllocated, wms.OrderPicking, wms.OrderPicked, wms.OrderPacked} {
		open, err := r.l.OrdersIn(st, wms.DefaultOwner, 100000)
		if err != nil {
			r.t.Fatal(err)
		}
		for _, o := range open {
			for _, ln := range o.Lines {
				avail[ln.SKU] -= ln.Qty - ln.Short
			}
		}
	}
	out := map[string]int64{}
	for _, s := range r.skus {
		out[s] = max(0, avail[s]-buffer(s)-extra)
	}
	return out
}

func (r *stockRig) row(sku string) StockRow {
	r.t.Helper()
	v, _ := r.k.stock.view(), true
	for _, row := range v.Rows {
		if row.SKU == sku {
			return row
		}
	}
	r.t.Fatalf("no row for %s", sku)
	return StockRow{}
}

func sameQty(t *testing.T, what string, got, want map[string]int64) {
	t.Helper()
	for sku, w := range want {
		if g, ok := got[sku]; !ok || g != w {
			t.Errorf("%s: %s published %d (pushed: %v), want %d", what, sku, g, ok, w)
		}
	}
}

// TestStockPushesEqualTheFormulaAfterARandomDay: a day of floor events —
// stock found and counted, orders, waves picked, parcels shipped, orders
// cancelled — and after it each SKU's last push is the formula of the
// figures at the end.
func TestStockPushesEqualTheFormulaAfterARandomDay(t *testing.T) {
	r := newStockRig(t, "tmall-1", wms.StockRules{})
	rules := wms.StockRules{Upstream: "tmall-1", Buffer: 2}
	for i, s := range r.skus {
		var b *int64
		if i%2 == 1 {
			n := int64(i)
			b = &n
		}
		rules.Listings = append(rules.Listings, wms.ListingRule{SKU: s, ItemID: "66" + s[3:], Buffer: b})
	}
	r.rules(rules)
	buffer := func(sku string) int64 {
		for i, s := range r.skus {
			if s == sku && i%2 == 1 {
				return int64(i)
			}
		}
		return 2
	}
	r.mustStep()
	sameQty(t, "at the start", r.p.latest(), r.expected(buffer, 0))

	rng := rand.New(rand.NewPCG(14, 11))
	n := 0
	var orders []string
	for hour := range 12 {
		for range 1 + rng.IntN(6) {
			sku := r.skus[rng.IntN(len(r.skus))]
			switch x := rng.IntN(10); {
			case x < 2: // a receipt put away
				r.adjust(sku, int64(1+rng.IntN(20)))
			case x < 3: // a count finds less
				lines, _ := r.l.StockOf(sku)
				if len(lines) > 0 && lines[0].Qty > 0 {
					r.adjust(sku, -int64(1+rng.IntN(int(min(lines[0].Qty, 5)))))
				}
			case x < 8:
				n++
				no := fmt.Sprintf("DAY%04d", n)
				r.order(no, sku, int64(1+rng.IntN(4)))
				orders = append(orders, no)
			default: // a cancellation
				if len(orders) > 0 {
					no := orders[rng.IntN(len(orders))]
					if o, err := r.l.Order(no); err == nil && o.State == wms.OrderNew {
						if _, err := r.l.CancelOrder(bg, no, "customer", "", "S0001", "test"); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
			r.clock.Add(time.Duration(rng.IntN(3000)) * time.Millisecond)
			r.mustStep()
		}
		if hour%3 == 2 {
			if _, err := r.l.ReleaseWave(bg, wms.WaveFilter{Mode: wms.WaveSingle, MaxOrders: 3}, fmt.Sprintf("wave-%d", hour), "B4001", "test"); err == nil {
				// one allocated order cancelled before it is picked
				if alloc, _ := r.l.OrdersIn(wms.OrderAllocated, wms.DefaultOwner, 100); len(alloc) > 1 {
					if _, err := r.l.CancelOrder(bg, alloc[0].No, "customer", "", "S0001", "test"); err != nil {
						t.Fatal(err)
					}
				}
				r.mustStep()
				wmstest.PickAll(t, r.l)
				r.mustStep()
				picked, _ := r.l.OrdersIn(wms.OrderPicked, wms.DefaultOwner, 100)
				for _, o := range picked {
					wmstest.PackAndShip(t, r.l, o.No)
				}
			}
		}
		r.clock.Add(time.Duration(rng.IntN(20)) * time.Minute)
		r.mustStep()
	}
	r.settle()
	sameQty(t, "after the day", r.p.latest(), r.expected(buffer, 0))
	for _, s := range r.skus {
		row := r.row(s)
		if row.Answer != AnswerOK || row.Published != row.Want || row.Oversold != max(0, -row.Available) {
			t.Errorf("row %+v", row)
		}
	}
}

// TestStockDebounce: a burst of changes to one SKU is one push, after the
// burst has been quiet for the debounce; a SKU changing without pause is
// pushed within 10 s of its first change.
func TestStockDebounce(t *testing.T) {
	r := newStockRig(t, "tmall-1", wms.StockRules{})
	r.mustStep()
	_, from := r.p.pushes(0)
	if from != len(r.skus) {
		t.Fatalf("the first step pushed %d, want every SKU (%d)", from, len(r.skus))
	}
	sku := r.skus[0]
	for i := range 5 {
		r.adjust(sku, 1)
		r.clock.Add(300 * time.Millisecond)
		r.mustStep()
		if got, _ := r.p.pushes(from); len(got) != 0 {
			t.Fatalf("change %d pushed at once: %+v", i, got)
		}
	}
	r.clock.Add(2 * time.Second)
	r.mustStep()
	got, from := r.p.pushes(from)
	want := r.expected(func(string) int64 { return 0 }, 0)[sku]
	if len(got) != 1 || got[0].SKU != sku || got[0].Qty != want {
		t.Fatalf("after the burst: %+v, want one push of %s = %d", got, sku, want)
	}
	// without a pause: a change every second
	began := r.clock.Now()
	for {
		r.adjust(sku, 1)
		r.clock.Add(time.Second)
		r.mustStep()
		if got, _ := r.p.pushes(from); len(got) > 0 {
			if d := r.clock.Now().Sub(began); d > 10*time.Second {
				t.Fatalf("pushed %s after the first change", d)
			}
			if len(got) != 1 {
				t.Fatalf("pushes %+v", got)
			}
			break
		}
		if r.clock.Now().Sub(began) > 10*time.Second {
			t.Fatal("nothing pushed within 10 s of a change")
		}
	}
	if due := r.k.stockDue(r.k.config()); due.IsZero() || due.After(r.clock.Now().Add(15*time.Minute)) {
		t.Errorf("stockDue %v", due)
	}
}

// TestStockFullPushOnReconnectAndEvery15Minutes: unchanged SKUs are pushed
// again when the shop answers after being unreachable, and every 15
// minutes; a push that failed is sent again with the same key.
func TestStockFullPushOnReconnectAndEvery15Minutes(t *testing.T) {
	r := newStockRig(t, "tmall-1", wms.StockRules{})
	r.mustStep()
	_, from := r.p.pushes(0)
	r.clock.Add(time.Minute)
	r.mustStep()
	if got, _ := r.p.pushes(from); len(got) != 0 {
		t.Fatalf("nothing changed, yet pushed %+v", got)
	}
	r.clock.Add(15 * time.Minute)
	r.mustStep()
	got, from := r.p.pushes(from)
	if len(got) != len(r.skus) {
		t.Fatalf("after 15 min: %d pushes, want %d", len(got), len(r.skus))
	}
	// the shop goes away while a SKU changes
	r.p.mu.Lock()
	r.p.down = true
	r.p.mu.Unlock()
	r.adjust(r.skus[1], 3)
	r.mustStep()
	r.clock.Add(9 * time.Second)
	if err := r.step(); err == nil {
		t.Fatal("the shop is down")
	}
	if r.k.isOnline() {
		t.Fatal("the link should be offline")
	}
	r.k.stock.mu.Lock()
	key := r.k.stock.pending[r.skus[1]].key
	r.k.stock.mu.Unlock()
	if row := r.row(r.skus[1]); row.Answer != AnswerFailed || row.Message == "" {
		t.Errorf("the failed row: %+v", row)
	}
	r.clock.Add(10 * time.Minute)
	r.p.mu.Lock()
	r.p.down = false
	r.p.mu.Unlock()
	r.mustStep()
	r.mustStep()
	got, _ = r.p.pushes(from)
	if len(got) != 1+len(r.skus) || got[0].SKU != r.skus[1] || got[0].Key != key {
		t.Fatalf("after reconnecting: %+v, want the failed push again (key %s), then every SKU", got, key)
	}
	seen := map[string]bool{}
	for _, s := range got[1:] {
		seen[s.SKU] = true
		if !s.LastKnown {
			t.Errorf("%s: the last quantity is known", s.SKU)
		}
	}
	if len(seen) != len(r.skus) {
		t.Errorf("the full push: %v", seen)
	}
}

// TestStockOfflineWindow: three days unreachable with
// offline_buffer_per_hour set: the first pushes after the shop answers
// again subtract the extra buffer, and once settled they do not.
func TestStockOfflineWindow(t *testing.T) {
	r := newStockRig(t, "tmall-1", wms.StockRules{})
	rules, _ := r.l.StockRulesOf("tmall-1")
	rules.OfflineBufferPerHour, rules.SettleS = 1, 1800
	r.rules(rules)
	zero := func(string) int64 { return 0 }
	r.mustStep()
	_, from := r.p.pushes(0)
	r.p.mu.Lock()
	r.p.down = true
	r.p.mu.Unlock()
	r.clock.Add(15*time.Minute + time.Second) // a full push fails: offline
	if err := r.step(); err == nil {
		t.Fatal("the shop is down")
	}
	for range 72 {
		r.clock.Add(time.Hour)
		_ = r.step()
	}
	r.adjust(r.skus[0], 200) // stock arrived meanwhile
	r.p.mu.Lock()
	r.p.down = false
	r.p.mu.Unlock()
	r.clock.Add(time.Minute)
	r.mustStep()
	r.mustStep()
	got, from := r.p.pushes(from)
	if len(got) < len(r.skus) {
		t.Fatalf("after reconnecting: %d pushes", len(got))
	}
	// 72 h and a minute: 73 hours begun
	want := r.expected(zero, 73)
	for _, s := range got {
		if s.Qty != want[s.SKU] {
			t.Errorf("%s pushed %d, want %d (the extra subtracted)", s.SKU, s.Qty, want[s.SKU])
		}
	}
	if row := r.row(r.skus[0]); row.Extra != 73 || row.Want != want[r.skus[0]] || row.Want == 0 {
		t.Errorf("row %+v", row)
	}
	if v := r.k.stock.view(); v.Extra != 73 || v.ExtraUntil == nil {
		t.Errorf("view: extra %d until %v", v.Extra, v.ExtraUntil)
	}
	r.clock.Add(31 * time.Minute)
	r.mustStep()
	r.settle()
	sameQty(t, "after settling", r.p.latest(), r.expected(zero, 0))
	if got, _ := r.p.pushes(from); len(got) == 0 {
		t.Error("nothing pushed when the extra ended")
	}
}

// TestStockRefusedShownOnTheRow: a listing the platform refuses is shown
// with the platform's code and message, and not pushed again until its
// quantity changes.
func TestStockRefusedShownOnTheRow(t *testing.T) {
	r := newStockRig(t, "tmall-1", wms.StockRules{})
	bad := r.skus[2]
	r.p.refuse[bad] = true
	r.mustStep()
	row := r.row(bad)
	if row.Answer != AnswerRefused || row.Code != "isv.item-not-exist" || row.Message == "" || row.PublishedAt != nil {
		t.Fatalf("refused row: %+v", row)
	}
	if !r.k.isOnline() {
		t.Error("a refusal is an answer: online")
	}
	_, from := r.p.pushes(0)
	r.p.mu.Lock()
	r.p.refuse[bad] = false
	r.p.mu.Unlock()
	r.clock.Add(time.Minute)
	r.mustStep()
	if got, _ := r.p.pushes(from); len(got) != 0 {
		t.Fatalf("a refused quantity was sent again: %+v", got)
	}
	r.adjust(bad, 1)
	r.settle()
	got, _ := r.p.pushes(from)
	if len(got) != 1 || got[0].SKU != bad {
		t.Fatalf("after the change: %+v", got)
	}
	if row := r.row(bad); row.Answer != AnswerOK || row.PlatformQty == nil || *row.PlatformQty != got[0].Qty {
		t.Errorf("row %+v", row)
	}
	if v := r.k.stock.view(); v.Pushes[AnswerRefused] != 1 || v.Pushes[AnswerOK] != int64(len(r.skus)) {
		t.Errorf("pushes %v", v.Pushes)
	}
}

// TestStockSplitBetweenShops: two shops of one owner split a SKU (one
// fixed, one a percentage, a third takes the rest): what they publish
// together is never more than what is available.
func TestStockSplitBetweenShops(t *testing.T) {
	r := newStockRig(t, "tmall-1", wms.StockRules{})
	sku := r.skus[0]
	ten := int64(10)
	r.shop("jd-1")
	r.shop("pdd-1")
	r.rules(wms.StockRules{Upstream: "tmall-1", Listings: []wms.ListingRule{{SKU: sku, Share: &wms.Share{Fixed: &ten}}}})
	r.rules(wms.StockRules{Upstream: "jd-1", Listings: []wms.ListingRule{{SKU: sku}}, Share: wms.Share{Percent: 40}})
	r.rules(wms.StockRules{Upstream: "pdd-1", Listings: []wms.ListingRule{{SKU: sku}}})
	r.adjust(sku, 50)
	avail := r.expected(func(string) int64 { return 0 }, 0)[sku]
	var total int64
	for _, shop := range []string{"tmall-1", "jd-1", "pdd-1"} {
		p := &recPlatform{refuse: map[string]bool{}}
		k := r.link(shop)
		if _, err := k.stepStock(bg, k.config(), p); err != nil {
			t.Fatal(err)
		}
		q := p.latest()[sku]
		total += q
		t.Logf("%s publishes %d of %d", shop, q, avail)
	}
	if total > avail || total < avail-1 {
		t.Errorf("the shops publish %d together, %d available", total, avail)
	}
}

// TestStockChangeGoesBeforeTheFullRound: a changed SKU is pushed before
// the SKUs of a full round (which may take minutes on a large catalogue).
func TestStockChangeGoesBeforeTheFullRound(t *testing.T) {
	r := newStockRig(t, "tmall-1", wms.StockRules{})
	r.mustStep()
	_, from := r.p.pushes(0)
	last := r.skus[len(r.skus)-1]
	r.adjust(last, 4)
	r.mustStep()
	r.clock.Add(15 * time.Minute)
	r.mustStep()
	got, _ := r.p.pushes(from)
	if len(got) != len(r.skus) || got[0].SKU != last {
		t.Fatalf("pushes %+v, want %s first, then the round", got, last)
	}
	if want := r.expected(func(string) int64 { return 0 }, 0)[last]; got[0].Qty != want {
		t.Errorf("%s pushed %d, want %d", last, got[0].Qty, want)
	}
}
