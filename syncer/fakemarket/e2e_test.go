package fakemarket_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"tally/internal/proctest"
	"tally/syncer"
	"tally/syncer/fakemarket"
	"tally/wms"
	"tally/wms/wmstest"
)

// shop is one platform's shop in the end-to-end tests: its upstream and
// the platform order its Tally order stands for.
type shop struct {
	platform string
	order    string   // the platform's order ID
	subs     []string // its sub-orders, one per line
}

var shops = []shop{
	{"taobao", "7001", []string{"70011", "70012"}},
	{"jd", "7002", []string{"70021", "70022"}},
	{"pdd", "7003", []string{"70031", "70032"}},
	{"douyin", "7004", []string{"70041", "70042"}},
	{"shopify", "7005", []string{"70051", "70052"}},
}

// control calls the fake's control API.
func control(t *testing.T, base, method, path string, body any, out any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, base+path, r)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

// startFakeMarket runs `tally fake-market` (with any more flags) until the
// test ends and says where it serves.
func startFakeMarket(t *testing.T, flags ...string) string {
	t.Helper()
	addr := proctest.FreePorts(t, 1)[0]
	proctest.Start(t, nil, "fake marketplaces serving", proctest.Build(t), append([]string{"fake-market", "--addr", addr}, flags...)...)
	return "http://" + addr
}

// warehouse is a demo ledger and its syncer, with one shop per platform
// at the fake marketplaces (a separate process).
type warehouse struct {
	l    *wms.Ledger
	sy   *syncer.Syncer
	base string
}

func startWarehouse(t *testing.T, stock bool, o syncer.Options) *warehouse {
	t.Helper()
	base := startFakeMarket(t)
	l, err := wms.Open(t.TempDir(), wms.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	if _, err := l.SeedDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	keys := fakemarket.DefaultKeys()
	for _, s := range shops {
		k := keys[s.platform]
		u := wms.Upstream{Name: "shop-" + s.platform, Dialect: s.platform, URL: base + fakemarket.Path(s.platform), AppKey: k.AppKey,
			Secret: k.Secret, Session: k.Session, Owner: wms.DefaultOwner, Channel: s.platform, NoStock: !stock}
		if s.platform == "shopify" {
			u.Location = "gid://shopify/Location/1"
		}
		if _, err := l.SaveUpstream(context.Background(), "", u, "B9001", "test"); err != nil {
			t.Fatalf("%s: %v", s.platform, err)
		}
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 700 * time.Millisecond}
	}
	if o.PollEvery == 0 {
		o.PollEvery = 100 * time.Millisecond
	}
	if o.BackoffBase == 0 {
		o.BackoffBase, o.BackoffMax = 20*time.Millisecond, 300*time.Millisecond
	}
	return &warehouse{l: l, sy: syncer.New(l, o), base: base}
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	end := time.Now().Add(d)
	for !ok() {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestSplitShipmentToEveryPlatformOnce: one order per platform, sold
// there with two sub-orders, is picked, packed in two parcels and
// shipped; each platform hears of it in its own terms, with the right
// sub-orders and waybills, exactly once — though every platform first
// loses an answer after doing the work, drops a connection, answers too
// slowly, refuses the signature and the session, and says "too many
// requests".
func TestSplitShipmentToEveryPlatformOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the fake marketplaces")
	}
	w := startWarehouse(t, false, syncer.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, s := range shops {
		control(t, w.base, "POST", "/control/orders", fakemarket.Order{Platform: s.platform, ID: s.order, Lines: []fakemarket.SubOrder{
			{ID: s.subs[0], SKU: "SKU03010", Qty: 1}, {ID: s.subs[1], SKU: "SKU03011", Qty: 2}}}, nil)
		in := wms.OrderIntake{No: "MK-" + s.platform, Channel: s.platform, Carrier: "SF", PlatformOrderIDs: []string{s.order},
			Recipient: wms.Recipient{Name: "王芳", Phone: "13800138000", Address: "浙江省杭州市西湖区文三路 100 号"},
			Lines: []wms.OrderLineIn{{LineIn: wms.LineIn{SKU: "SKU03010", Qty: 1}, PlatformSubOrderID: s.subs[0]},
				{LineIn: wms.LineIn{SKU: "SKU03011", Qty: 2}, PlatformSubOrderID: s.subs[1]}}}
		if _, _, err := w.l.ReceiveOrder(ctx, "", in, "sync:oms", "test"); err != nil {
			t.Fatal(err)
		}
		for _, kind := range []string{fakemarket.FaultLost, fakemarket.FaultDrop, fakemarket.FaultSlow, fakemarket.FaultSignature,
			fakemarket.FaultSession, fakemarket.FaultRateLimit} {
			f := fakemarket.Fault{Kind: kind, Platform: s.platform, Count: 1}
			if kind == fakemarket.FaultSlow {
				f.DelayMS = 1500
			}
			control(t, w.base, "POST", "/control/faults", f, nil)
		}
	}
	if _, err := w.l.ReleaseWave(ctx, wms.WaveFilter{Mode: wms.WaveSingle, MaxOrders: 500}, "wave-mk", "B4001", "test"); err != nil {
		t.Fatal(err)
	}
	wmstest.PickAll(t, w.l)
	waybills := map[string][]string{}
	for _, s := range shops {
		wmstest.PackSplitAndShip(t, w.l, "MK-"+s.platform, []int{0}, []int{1})
		p, err := w.l.Books(wms.DefaultOwner).Pack("MK-" + s.platform)
		if err != nil {
			t.Fatal(err)
		}
		for _, pc := range p.Parcels {
			waybills[s.platform] = append(waybills[s.platform], pc.Waybill)
		}
	}
	go func() { _ = w.sy.Run(ctx) }()

	var st fakemarket.State
	shipped := func() bool {
		control(t, w.base, "GET", "/control/state", nil, &st)
		for _, o := range st.Orders {
			for _, l := range o.Lines {
				if !l.Shipped {
					return false
				}
			}
		}
		return len(st.Faults) == 0
	}
	waitFor(t, 90*time.Second, "every platform's order shipped and every fault met", shipped)
	// a shipment whose answer was lost is acknowledged by a later try that
	// reads the order back; under load that try may itself be throttled
	// and wait its turn, so the backlog empties some time after the work
	settled := func() bool {
		for _, u := range w.sy.Status() {
			if !u.Online || u.Backlog != 0 {
				return false
			}
		}
		return true
	}
	waitFor(t, 90*time.Second, "every shop's backlog acknowledged", settled)
	time.Sleep(time.Second) // a late duplicate would show now
	control(t, w.base, "GET", "/control/state", nil, &st)
	for _, s := range shops {
		subs, bills := map[string]int{}, map[string]int{}
		for _, x := range st.Shipments {
			if x.Platform != s.platform {
				continue
			}
			if x.Order != s.order {
				t.Errorf("%s: a shipment of order %s", s.platform, x.Order)
			}
			for _, sub := range x.SubOrders {
				subs[sub]++
			}
			for _, b := range strings.FieldsFunc(x.Waybill, func(r rune) bool { return r == ',' || r == '|' }) {
				bills[b]++
			}
		}
		for _, sub := range s.subs {
			if subs[sub] != 1 {
				t.Errorf("%s: sub-order %s written back %d times (%v)", s.platform, sub, subs[sub], st.Shipments)
			}
		}
		for _, b := range waybills[s.platform] {
			if bills[b] != 1 {
				t.Errorf("%s: waybill %s written back %d times (%+v)", s.platform, b, bills[b], st.Shipments)
			}
		}
		if len(bills) != len(waybills[s.platform]) {
			t.Errorf("%s: waybills %v, want %v", s.platform, bills, waybills[s.platform])
		}
		dead, err := w.l.DeadLetters("shop-" + s.platform)
		if err != nil || len(dead) != 0 {
			t.Errorf("%s: dead letters %+v %v", s.platform, dead, err)
		}
	}
	for _, u := range w.sy.Status() {
		if !u.Online || u.Backlog != 0 {
			t.Errorf("%s: online %v, backlog %d, last error %q", u.Name, u.Online, u.Backlog, u.LastError)
		}
	}
	if t.Failed() {
		t.Logf("shipments: %+v", st.Shipments)
	}
}
