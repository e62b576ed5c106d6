package fakemarket_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"tally/syncer"
	"tally/syncer/fakemarket"
	"tally/wms"
	"tally/wms/wmstest"
)

// envInt is a measurement's size from the environment, or def.
func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		t.Fatalf("%s=%q: want a whole number", name, v)
	}
	return n
}

// loopbackCeiling is how many sequential HTTP POST round trips a second
// this machine makes to a loopback server that answers at once: the most
// any write-back over HTTP could do, measured in the same run.
func loopbackCeiling(t *testing.T) float64 {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	defer srv.Close()
	n, start := 0, time.Now()
	for time.Since(start) < time.Second {
		resp, err := http.Post(srv.URL, "application/x-www-form-urlencoded", strings.NewReader("a=1"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		n++
	}
	return float64(n) / time.Since(start).Seconds()
}

// TestDoubleElevenBacklog: a backlog of shipped orders on every platform
// (TALLY_MARKET_BACKLOG per platform, 30 by default) is written back with
// each shop at its app's quota (TALLY_MARKET_LIMIT requests a minute, 120
// by default; 0: no limit anywhere, to measure speed) while the fake
// platforms enforce that limit: no request is ever over it, and every
// shipment arrives once. With -v it prints the figures the README keeps.
//
//	TALLY_MARKET_LIMIT=0 TALLY_MARKET_BACKLOG=300 go test ./syncer/fakemarket -run TestDoubleElevenBacklog -v
//	TALLY_MARKET_LIMIT=300 TALLY_MARKET_BACKLOG=600 go test ./syncer/fakemarket -run TestDoubleElevenBacklog -v -timeout 30m
func TestDoubleElevenBacklog(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the fake marketplaces")
	}
	limit, n := envInt(t, "TALLY_MARKET_LIMIT", 120), envInt(t, "TALLY_MARKET_BACKLOG", 30)
	var flags []string
	if limit > 0 {
		flags = []string{"--limits", fmt.Sprintf("taobao=%d,jd=%d,pdd=%d,douyin=%d", limit, limit, limit, limit)}
	}
	base := startFakeMarket(t, flags...)
	l, err := wms.Open(t.TempDir(), wms.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := l.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	keys := fakemarket.DefaultKeys()
	rate := limit
	if limit == 0 {
		rate = wms.MaxRatePerMinute
	}
	for _, s := range shops {
		k := keys[s.platform]
		u := wms.Upstream{Name: "shop-" + s.platform, Dialect: s.platform, URL: base + fakemarket.Path(s.platform), AppKey: k.AppKey,
			Secret: k.Secret, Session: k.Session, Owner: wms.DefaultOwner, Channel: s.platform, NoStock: true, RatePerMinute: rate}
		if s.platform == "shopify" {
			u.RatePerMinute = 0 // Shopify's limit is its cost bucket, learnt from its answers
		}
		if _, err := l.SaveUpstream(ctx, "", u, "B9001", "test"); err != nil {
			t.Fatal(err)
		}
	}
	// the backlog: n orders per platform, shipped while the shops were not
	// yet running, each of one unit of a book or a garment (no lots, no
	// serials) the demo has in stock
	onHand, err := l.OnHand(wms.DefaultOwner)
	if err != nil {
		t.Fatal(err)
	}
	var units []string
	for _, line := range onHand {
		if strings.HasPrefix(line.SKU, "SKU03") || strings.HasPrefix(line.SKU, "SKU04") {
			for range line.Qty {
				units = append(units, line.SKU)
			}
		}
	}
	if len(units) < n*len(shops) {
		t.Fatalf("the demo holds %d units of books and clothes, fewer than %d orders", len(units), n*len(shops))
	}
	next := 0
	for _, s := range shops {
		for i := range n {
			id := fmt.Sprintf("%s%04d", s.order, i)
			sku := units[next*len(units)/(n*len(shops))] // spread over every SKU
			next++
			control(t, base, "POST", "/control/orders", fakemarket.Order{Platform: s.platform, ID: id,
				Lines: []fakemarket.SubOrder{{ID: id + "1", SKU: sku, Qty: 1}}}, nil)
			in := wms.OrderIntake{No: "BK-" + id, Channel: s.platform, Carrier: "SF", PlatformOrderIDs: []string{id},
				Recipient: wms.Recipient{Name: "王芳", Phone: "13800138000", Address: "浙江省杭州市西湖区文三路 100 号"},
				Lines:     []wms.OrderLineIn{{LineIn: wms.LineIn{SKU: sku, Qty: 1}, PlatformSubOrderID: id + "1"}}}
			if _, _, err := l.ReceiveOrder(ctx, "", in, "sync:oms", "test"); err != nil {
				t.Fatal(err)
			}
		}
	}
	wave, err := l.ReleaseWave(ctx, wms.WaveFilter{Mode: wms.WaveSingle, MaxOrders: 100000}, "wave-bk", "B4001", "test")
	if err != nil {
		t.Fatal(err)
	}
	if len(wave.Orders) < n*len(shops) {
		t.Fatalf("the wave took %d of %d orders: not enough stock in the demo for this backlog", len(wave.Orders), n*len(shops))
	}
	wmstest.PickAll(t, l)
	for _, s := range shops {
		for i := range n {
			wmstest.PackAndShip(t, l, fmt.Sprintf("BK-%s%04d", s.order, i))
		}
	}
	ceiling := loopbackCeiling(t)

	sy := syncer.New(l, syncer.Options{PollEvery: 100 * time.Millisecond, BackoffBase: 50 * time.Millisecond, BackoffMax: 2 * time.Second})
	start := time.Now()
	go func() { _ = sy.Run(ctx) }()
	done := map[string]time.Duration{}
	var st fakemarket.State
	deadline := time.Now().Add(time.Duration(n*5/max(limit, 1)+2) * time.Minute)
	for !func() bool {
		control(t, base, "GET", "/control/state", nil, &st)
		left := map[string]int{}
		for _, o := range st.Orders {
			if !o.Lines[0].Shipped {
				left[o.Platform]++
			}
		}
		for _, s := range shops {
			if _, ok := done[s.platform]; !ok && left[s.platform] == 0 {
				done[s.platform] = time.Since(start)
			}
		}
		return len(done) == len(shops)
	}() {
		if time.Now().After(deadline) {
			t.Fatalf("the backlog is not written back: %+v", st.Requests)
		}
		time.Sleep(10 * time.Millisecond)
	}
	total := time.Since(start)
	time.Sleep(500 * time.Millisecond)
	control(t, base, "GET", "/control/state", nil, &st)
	for _, s := range shops {
		shipped := 0
		for _, x := range st.Shipments {
			if x.Platform == s.platform {
				shipped++
			}
		}
		r := st.Requests[s.platform]
		if shipped != n {
			t.Errorf("%s: %d shipments for %d orders", s.platform, shipped, n)
		}
		if r.OverLimit != 0 {
			t.Errorf("%s: %d requests over the platform's limit", s.platform, r.OverLimit)
		}
		if limit > 0 && s.platform != "shopify" && r.MaxPerMinute > limit {
			t.Errorf("%s: %d requests in one minute, over %d", s.platform, r.MaxPerMinute, limit)
		}
		per := float64(n) / done[s.platform].Seconds()
		t.Logf("%-8s %4d shipments in %6.1f s: %7.1f shipments/s (%.3f× the loopback ceiling); requests %d, most in a minute %d (limit %d), over the limit %d",
			s.platform, n, done[s.platform].Seconds(), per, per/ceiling, r.LastHour, r.MaxPerMinute, r.Limit, r.OverLimit)
	}
	all := float64(n*len(shops)) / total.Seconds()
	t.Logf("all      %4d shipments in %6.1f s: %7.1f shipments/s (%.3f× the loopback ceiling of %.0f round trips/s)", n*len(shops), total.Seconds(), all, all/ceiling, ceiling)
}
