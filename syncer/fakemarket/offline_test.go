package fakemarket_test

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"tally/syncer"
	"tally/syncer/fakemarket"
	"tally/wms"
)

// listing is a platform's listing of one of the warehouse's SKUs: the IDs
// the shop's rules name and the key the fake keeps its stock under.
type listing struct {
	platform, sku, item, skuID string
	key                        fakemarket.ListingKey
}

var listings = []listing{
	{"taobao", "SKU03000", "5001", "50011", fakemarket.ListingKey{Platform: "taobao", ItemID: "5001", SkuID: "50011"}},
	{"jd", "SKU03001", "", "60011", fakemarket.ListingKey{Platform: "jd", SkuID: "60011"}},
	{"pdd", "SKU03002", "7001", "70011", fakemarket.ListingKey{Platform: "pdd", ItemID: "7001", SkuID: "70011"}},
	{"douyin", "SKU03003", "8001", "80011", fakemarket.ListingKey{Platform: "douyin", ItemID: "8001", SkuID: "80011"}},
	{"shopify", "SKU03004", "gid://shopify/InventoryItem/9001", "", fakemarket.ListingKey{Platform: "shopify", ItemID: "gid://shopify/InventoryItem/9001", SkuID: "gid://shopify/Location/1"}},
}

// TestThreeDaysOfflineNoOversell: every platform lists one SKU with a
// buffer of 2 and 1 unit more for every hour the shop is unreachable.
// Online, a floor change reaches every platform within seconds (the lag
// is printed). Then the warehouse is cut off for three days while the
// platforms keep selling: four sell less than the buffer would cover
// (2 + 73), Taobao sells 100. Back online, the first push holds the
// offline buffer back (Pinduoduo's is a delta on what it still holds, so
// its buyers' units stay out anyway); the platforms sell out what they
// were given; the orders of all those sales reach the warehouse. Nothing is oversold
// where the buffer covered the sales, and where it did not the warehouse
// reports exactly the units it cannot ship.
func TestThreeDaysOfflineNoOversell(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the fake marketplaces")
	}
	base := startFakeMarket(t)
	var ahead atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }
	l, err := wms.Open(t.TempDir(), wms.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := l.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	found := func(sku string, n int64) {
		t.Helper()
		ev, err := wms.NewEvent(fmt.Sprintf("found-%s-%d", sku, time.Now().UnixNano()), wms.EvStockAdjusted, "B0001", "test",
			wms.StockAdjustment{SKU: sku, Location: "R01-01-01", Delta: n, Reason: "found"})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := l.Append(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	keys := fakemarket.DefaultKeys()
	for _, li := range listings {
		found(li.sku, 500)
		k := keys[li.platform]
		u := wms.Upstream{Name: "shop-" + li.platform, Dialect: li.platform, URL: base + fakemarket.Path(li.platform), AppKey: k.AppKey,
			Secret: k.Secret, Session: k.Session, Owner: wms.DefaultOwner, Channel: li.platform}
		if li.platform == "shopify" {
			u.Location = "gid://shopify/Location/1"
		}
		if _, err := l.SaveUpstream(ctx, "", u, "B9001", "test"); err != nil {
			t.Fatal(err)
		}
		if _, err := l.SaveStockRules(ctx, "", wms.StockRules{Upstream: u.Name, Buffer: 2, OfflineBufferPerHour: 1, SettleS: 3600,
			Listings: []wms.ListingRule{{SKU: li.sku, ItemID: li.item, SkuID: li.skuID}}}, "B9001", "test"); err != nil {
			t.Fatal(err)
		}
	}
	// what the warehouse can still sell: on hand (none of these SKUs has
	// lots or a quarantine) less what open orders ask for, read apart from
	// the publisher's own figures
	available := func(sku string) int64 {
		lines, err := l.OnHand(wms.DefaultOwner)
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		for _, x := range lines {
			if x.SKU == sku {
				n += x.Qty
			}
		}
		for _, st := range []wms.OrderState{wms.OrderNew, wms.OrderAllocated, wms.OrderPicking, wms.OrderPicked, wms.OrderPacked} {
			os, err := l.OrdersIn(st, wms.DefaultOwner, 100000)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range os {
				for _, line := range o.Lines {
					if line.SKU == sku {
						n -= line.Qty - line.Short
					}
				}
			}
		}
		return n
	}
	sy := syncer.New(l, syncer.Options{Now: now, Client: httpClient(), PollEvery: 100 * time.Millisecond,
		BackoffBase: 20 * time.Millisecond, BackoffMax: 300 * time.Millisecond})
	go func() { _ = sy.Run(ctx) }()
	platformHas := func(li listing) int64 {
		var st fakemarket.State
		control(t, base, "GET", "/control/state", nil, &st)
		for _, s := range st.Stock {
			if s.ListingKey == li.key {
				return s.Qty
			}
		}
		return -1
	}
	all := func(what string, want func(li listing) int64) {
		t.Helper()
		end := time.Now().Add(60 * time.Second)
		for {
			ok := true
			for _, li := range listings {
				if platformHas(li) != want(li) {
					ok = false
				}
			}
			if ok {
				return
			}
			if time.Now().After(end) {
				for _, li := range listings {
					v, _ := sy.ChannelStock("shop-" + li.platform)
					t.Logf("%s: platform has %d, want %d; the shop's view %+v", li.platform, platformHas(li), want(li), v)
				}
				for _, st := range sy.Status() {
					t.Logf("%s: online %v, last error %q", st.Name, st.Online, st.LastError)
				}
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	all("the first publication (on-hand − buffer)", func(li listing) int64 { return available(li.sku) - 2 })

	// online: a floor change reaches every platform; how long it takes
	changed := time.Now()
	for _, li := range listings {
		found(li.sku, 5)
	}
	lag := map[string]time.Duration{}
	waitFor(t, 30*time.Second, "a change published everywhere", func() bool {
		for _, li := range listings {
			if _, ok := lag[li.platform]; !ok && platformHas(li) == available(li.sku)-2 {
				lag[li.platform] = time.Since(changed)
			}
		}
		return len(lag) == len(listings)
	})
	for _, li := range listings {
		t.Logf("lag from a floor change to %s's stock: %.2f s", li.platform, lag[li.platform].Seconds())
		if lag[li.platform] > 10*time.Second {
			t.Errorf("%s heard of a change after %v: over 10 s", li.platform, lag[li.platform])
		}
	}

	// three days offline: every request dropped; the platforms' clock and
	// the warehouse's move on together
	for _, li := range listings {
		control(t, base, "POST", "/control/faults", fakemarket.Fault{Kind: fakemarket.FaultDrop, Platform: li.platform, Count: 1_000_000}, nil)
		found(li.sku, 1) // a change to push, so the link finds it cannot
	}
	waitFor(t, 30*time.Second, "every shop offline", func() bool {
		for _, st := range sy.Status() {
			if st.Online {
				return false
			}
		}
		return true
	})
	ahead.Add(int64(72 * time.Hour))
	control(t, base, "POST", "/control/clock", map[string]int64{"advance_s": 72 * 3600}, nil)
	sold := map[string]int64{}
	for _, li := range listings {
		want := int64(40) // covered by 2 + 73
		if li.platform == "taobao" {
			want = 100 // not covered
		}
		var got struct{ Sold int64 }
		control(t, base, "POST", "/control/sell", map[string]any{"platform": li.platform, "item_id": li.key.ItemID, "sku_id": li.key.SkuID,
			"sku": li.sku, "qty": want}, &got)
		if got.Sold != want {
			t.Fatalf("%s sold %d of %d", li.platform, got.Sold, want)
		}
		sold[li.platform] = want
	}

	// back: the first push holds the offline hours' buffer (73) back — a
	// full quantity everywhere but Pinduoduo, which takes the change as a
	// delta on what its buyers left (or in full, when the push is the
	// retry of one the outage cut off)
	held, last := map[string]int64{}, map[string]int64{}
	for _, li := range listings {
		held[li.platform] = platformHas(li)
		v, _ := sy.ChannelStock("shop-" + li.platform)
		last[li.platform] = v.Rows[0].Published
	}
	control(t, base, "DELETE", "/control/faults", nil, nil)
	all("the push after reconnecting (on-hand − buffer − 73)", func(li listing) int64 {
		want := available(li.sku) - 2 - 73
		if li.platform == "pdd" && platformHas(li) != want {
			return held[li.platform] + want - last[li.platform]
		}
		return want
	})
	// the platforms sell out what they were given, then every order arrives
	for _, li := range listings {
		var got struct{ Sold int64 }
		control(t, base, "POST", "/control/sell", map[string]any{"platform": li.platform, "item_id": li.key.ItemID, "sku_id": li.key.SkuID,
			"sku": li.sku, "qty": 100_000}, &got)
		sold[li.platform] += got.Sold
		in := wms.OrderIntake{No: "SOLD-" + li.platform, Channel: li.platform, Carrier: "SF", PlatformOrderIDs: []string{"S" + li.platform},
			Recipient: wms.Recipient{Name: "王芳", Phone: "13800138000", Address: "浙江省杭州市西湖区文三路 100 号"},
			Lines:     wms.OrderLines(wms.LineIn{SKU: li.sku, Qty: sold[li.platform]})}
		if _, _, err := l.ReceiveOrder(ctx, "", in, "sync:oms", "test"); err != nil {
			t.Fatal(err)
		}
	}
	for _, li := range listings {
		want := max(0, -available(li.sku))
		if li.platform == "taobao" && want != 100-2-73 {
			t.Fatalf("the test's own arithmetic: taobao would oversell %d", want)
		}
		if li.platform != "taobao" && want != 0 {
			t.Fatalf("the test's own arithmetic: %s would oversell %d", li.platform, want)
		}
		end := time.Now().Add(30 * time.Second)
		for {
			v, ok := sy.ChannelStock("shop-" + li.platform)
			if ok && v.Oversold == want && len(v.Rows) == 1 && v.Rows[0].Oversold == want && v.Rows[0].Published == 0 {
				break
			}
			if time.Now().After(end) {
				t.Fatalf("%s: want %d oversold and nothing published; the shop's view %+v", li.platform, want, v)
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Logf("%s: sold %d while and after offline: oversold %d", li.platform, sold[li.platform], want)
	}
}

// httpClient is the syncer's client in these tests: a client's timeout
// shorter than the slow faults.
func httpClient() *http.Client { return &http.Client{Timeout: 700 * time.Millisecond} }
