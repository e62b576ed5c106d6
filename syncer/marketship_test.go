package syncer

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"tally/syncer/market"
	"tally/wms"
	"tally/wms/wmstest"
)

// recordingPlatform is a marketplace in a test: it keeps every shipment
// it takes once per (platform order, waybill) and fails as told.
type recordingPlatform struct {
	name     string
	carriers map[string]string
	mu       sync.Mutex
	taken    []market.Shipment
	calls    int
	failNext []error // errors for the next calls, in order
	stock    []market.StockSet
}

func (p *recordingPlatform) Name() string { return p.name }
func (p *recordingPlatform) Carrier(c string) (string, bool) {
	code, ok := p.carriers[c]
	return code, ok
}
func (p *recordingPlatform) RateLimit() (int, int) { return 6000, 10 }
func (p *recordingPlatform) Ship(_ context.Context, _ market.Conn, _ market.Shop, s market.Shipment) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	if len(p.failNext) > 0 {
		err := p.failNext[0]
		p.failNext = p.failNext[1:]
		if err != nil {
			return err
		}
	}
	if !slices.ContainsFunc(p.taken, func(t market.Shipment) bool { return t.Key == s.Key }) {
		p.taken = append(p.taken, s)
	}
	return nil
}
func (p *recordingPlatform) SetStock(_ context.Context, _ market.Conn, _ market.Shop, s market.StockSet) (market.StockResult, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stock = append(p.stock, s)
	return market.StockResult{Qty: s.Qty}, nil
}

func (p *recordingPlatform) shipments() []market.Shipment {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.taken)
}

type booksOf map[string]wms.Order

func (b booksOf) order(_, no string) (wms.Order, bool, error) {
	o, ok := b[no]
	return o, ok, nil
}

// TestShipmentsOfSplitAndMergedOrders: one Tally order that merged two
// platform orders, one SKU from two sub-orders (parts), shipped in two
// parcels, is one shipment per platform order, each parcel naming the
// sub-orders whose units it carries.
func TestShipmentsOfSplitAndMergedOrders(t *testing.T) {
	p := &recordingPlatform{name: "taobao", carriers: map[string]string{"SF": "SF", "YTO": "YTO"}}
	up := wms.Upstream{Name: "tmall-1", Dialect: "taobao", Owner: wms.DefaultOwner, Channel: "tmall"}
	o := wms.Order{Owner: wms.DefaultOwner, No: "SO1", Channel: "tmall", Carrier: "yt", PlatformOrderIDs: []string{"T1", "T2"},
		Lines: []wms.OrderLine{
			{SKU: "A", Qty: 3, Parts: []wms.LinePart{{PlatformOrderID: "T1", PlatformSubOrderID: "T1-1", Qty: 1}, {PlatformOrderID: "T2", PlatformSubOrderID: "T2-1", Qty: 2}}},
			{SKU: "B", Qty: 1, PlatformOrderID: "T1", PlatformSubOrderID: "T1-2"},
		}}
	d := wms.OutShipment{Order: "SO1", Parcels: []wms.OutParcel{
		{N: 1, Waybill: "W1", Items: []wms.OutShipItem{{SKU: "A", Lot: "L1", Qty: 2}}},
		{N: 2, Waybill: "W2", Items: []wms.OutShipItem{{SKU: "A", Lot: "L2", Qty: 1}, {SKU: "B", Qty: 1}}},
	}}
	got, err := shipmentsOf(d, "EV1", up, p, booksOf{"SO1": o})
	if err != nil {
		t.Fatal(err)
	}
	want := []market.Shipment{
		{Key: "EV1:T1", Order: "SO1", PlatformOrderID: "T1", SubOrders: []string{"T1-1", "T1-2"}, Parcels: []market.Parcel{
			{Waybill: "W1", Carrier: "YTO", Items: []market.Item{{SubOrderID: "T1-1", SKU: "A", Qty: 1}}},
			{Waybill: "W2", Carrier: "YTO", Items: []market.Item{{SubOrderID: "T1-2", SKU: "B", Qty: 1}}},
		}},
		{Key: "EV1:T2", Order: "SO1", PlatformOrderID: "T2", SubOrders: []string{"T2-1"}, Parcels: []market.Parcel{
			{Waybill: "W1", Carrier: "YTO", Items: []market.Item{{SubOrderID: "T2-1", SKU: "A", Qty: 1}}},
			{Waybill: "W2", Carrier: "YTO", Items: []market.Item{{SubOrderID: "T2-1", SKU: "A", Qty: 1}}},
		}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("shipments:\n got %+v\nwant %+v", got, want)
	}
	if !got[0].Split() || !got[1].Split() {
		t.Fatal("two parcels are a split shipment")
	}

	// another owner's or another channel's order: nothing
	for _, other := range []wms.Order{{Owner: "BRAND", No: "SO1", Channel: "tmall"}, {Owner: wms.DefaultOwner, No: "SO1", Channel: "jd"}} {
		if got, err := shipmentsOf(d, "EV1", up, p, booksOf{"SO1": other}); err != nil || len(got) != 0 {
			t.Fatalf("%s/%s: %v %v", other.Owner, other.Channel, got, err)
		}
	}
	// a carrier the platform does not know, or none: said, not skipped
	for _, c := range []string{"ZZ", "STO", ""} {
		o.Carrier = c
		_, err := shipmentsOf(d, "EV1", up, p, booksOf{"SO1": o})
		var nc errNoCarrier
		if !errorsAs(err, &nc) {
			t.Fatalf("carrier %q: %v", c, err)
		}
	}
	// an order without platform IDs is known by its number; one parcel of everything is not split
	o = wms.Order{Owner: wms.DefaultOwner, No: "SO2", Channel: "TMALL", Carrier: "SF", Lines: []wms.OrderLine{{SKU: "A", Qty: 1}}}
	d = wms.OutShipment{Order: "SO2", Parcels: []wms.OutParcel{{N: 1, Waybill: "W9", Items: []wms.OutShipItem{{SKU: "A", Qty: 1}}}}}
	got, err = shipmentsOf(d, "EV2", up, p, booksOf{"SO2": o})
	if err != nil || len(got) != 1 || got[0].PlatformOrderID != "SO2" || got[0].Split() || got[0].Parcels[0].Carrier != "SF" {
		t.Fatalf("%+v %v", got, err)
	}
}

func errorsAs(err error, target *errNoCarrier) bool {
	e, ok := err.(errNoCarrier)
	if ok {
		*target = e
	}
	return ok
}

// shopUpstream saves a shop for the default owner's tmall orders.
func (r *rig) shopUpstream(name, dialect, url string) {
	r.t.Helper()
	if _, err := r.l.SaveUpstream(bg, "", wms.Upstream{Name: name, Dialect: dialect, URL: url, AppKey: "12345678",
		Secret: "a-shop-secret-0001", Session: "a-session", Owner: wms.DefaultOwner, Channel: "tmall", NoStock: true}, "B9001", "test"); err != nil {
		r.t.Fatal(err)
	}
}

// TestShopWritesBackItsOrdersOnce: a shop gets each of its orders'
// shipments once, in its platform's carrier code, despite a platform that
// is down, throttles and refuses; another channel's order is not sent; a
// carrier the platform does not know is a dead letter with a clear reason.
func TestShopWritesBackItsOrdersOnce(t *testing.T) {
	p := &recordingPlatform{name: wms.DialectTaobao, carriers: map[string]string{"SF": "SF", "YTO": "YTO"}}
	r := newRig(t, Options{Platforms: map[string]market.Platform{wms.DialectTaobao: p}})
	r.shopUpstream("tmall-1", wms.DialectTaobao, "http://127.0.0.1:1/taobao/router/rest")
	in := func(no, channel, carrier string, lines ...wms.OrderLineIn) {
		t.Helper()
		o := wms.OrderIntake{No: no, Channel: channel, Carrier: carrier, PlatformOrderIDs: []string{"P" + no},
			Recipient: wms.Recipient{Name: "王芳", Phone: "13800138000", Address: "浙江省杭州市西湖区文三路 100 号"}, Lines: lines}
		if _, _, err := r.l.ReceiveOrder(bg, "", o, "sync:oms", "test"); err != nil {
			t.Fatal(err)
		}
	}
	line := func(sku string, qty int64, sub string) wms.OrderLineIn {
		return wms.OrderLineIn{LineIn: wms.LineIn{SKU: sku, Qty: qty}, PlatformSubOrderID: sub}
	}
	in("M1", "tmall", "SF", line("SKU03010", 1, "S11"), line("SKU03011", 1, "S12"))
	in("M2", "jd", "SF", line("SKU03010", 1, "S21"))
	in("M3", "tmall", "JD", line("SKU03010", 1, "S31"))
	if _, err := r.l.ReleaseWave(bg, wms.WaveFilter{Mode: wms.WaveSingle, MaxOrders: 500}, "wave-m", "B4001", "test"); err != nil {
		t.Fatal(err)
	}
	wmstest.PickAll(t, r.l)
	wmstest.PackSplitAndShip(t, r.l, "M1", []int{0}, []int{1})
	wmstest.PackAndShip(t, r.l, "M2")
	wmstest.PackAndShip(t, r.l, "M3")

	k := r.link("tmall-1")
	p.failNext = []error{
		&market.Error{Kind: market.Down, Message: "connection reset"},
		&market.Error{Kind: market.Throttled, Code: "7", Message: "App Call Limited"},
	}
	for i := 0; i < 3; i++ {
		if _, err := k.step(bg, k.config(), nil); err == nil {
			break
		}
	}
	if err := drain(t, k); err != nil {
		t.Fatal(err)
	}
	if p.calls != 3 {
		t.Fatalf("%d calls: want 2 failures and 1 taken", p.calls)
	}
	got := p.shipments()
	if len(got) != 1 || got[0].PlatformOrderID != "PM1" || len(got[0].Parcels) != 2 || !got[0].Split() ||
		!reflect.DeepEqual(got[0].SubOrders, []string{"S11", "S12"}) || got[0].Parcels[0].Carrier != "SF" {
		t.Fatalf("shipments: %+v", got)
	}
	dead, err := r.l.DeadLetters("tmall-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 1 || dead[0].Code != "carrier.unknown" || !strings.Contains(dead[0].Reason, "does not know the carrier JD") {
		t.Fatalf("dead letters: %+v", dead)
	}
	if st := r.state("tmall-1"); st.PushedThrough == 0 {
		t.Fatalf("the cursor did not move: %+v", st)
	}

	// the platform learns JD's code; a supervisor retries the dead letter:
	// it goes, and is resolved
	p.mu.Lock()
	p.carriers["JD"] = "JD"
	p.mu.Unlock()
	if _, err := r.l.DecideDeadLetter(bg, "retry-m3", wms.DeadLetterDecision{Upstream: "tmall-1", Seq: dead[0].Seq, Action: "retry"}, "B4001", "test"); err != nil {
		t.Fatal(err)
	}
	dead, _ = r.l.DeadLetters("tmall-1")
	if err := k.marketRetries(bg, k.config(), p, dead); err != nil {
		t.Fatal(err)
	}
	if dead, _ = r.l.DeadLetters("tmall-1"); len(dead) != 0 {
		t.Fatalf("still dead: %+v", dead)
	}
	if got := p.shipments(); len(got) != 2 || got[1].PlatformOrderID != "PM3" || got[1].Parcels[0].Carrier != "JD" {
		t.Fatalf("after the retry: %+v", got)
	}
}
