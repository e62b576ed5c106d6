package wms

import "testing"

// The demo's orders can all be waved and allocated in full on the day the
// demo is seeded, and taking them in twice makes no new ones.
func TestDemoOrdersAllocate(t *testing.T) {
	l, _ := openTest(t)
	if _, err := l.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := l.SweepExpired(ctx); err != nil {
		t.Fatal(err)
	}
	n, err := l.SeedDemoOrders(ctx)
	if err != nil || n != 24 {
		t.Fatalf("demo orders: %d, %v", n, err)
	}
	if again, err := l.SeedDemoOrders(ctx); err != nil || again != 0 {
		t.Errorf("second intake made %d (%v)", again, err)
	}
	channels := map[string]bool{}
	for _, o := range DemoOrders(l.Now().In(l.Zone())) {
		channels[o.Channel] = true
	}
	if len(channels) != len(Channels) {
		t.Errorf("demo orders from %d channels, want %d", len(channels), len(Channels))
	}
	w, err := l.ReleaseWave(ctx, WaveFilter{Mode: WaveCluster, ClusterSize: 4, MaxOrders: 50}, "demo-wave", "B4001", "web")
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Orders) != 24 || len(w.Waiting) != 0 || len(w.Tasks) == 0 {
		t.Errorf("wave: %d orders allocated, %d waiting, %d tasks", len(w.Orders), len(w.Waiting), len(w.Tasks))
	}
}
