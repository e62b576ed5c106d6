package hub

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"tally/syncer/qimen"
)

func TestOneNodeTwoLeaves(t *testing.T) {
	erp := newRecorder()
	c := startCluster(t, 1, erp, BridgeOptions{})
	whs := newRecorder()
	var leaves []*Leaf
	for i := range 2 {
		l, err := StartLeaf(LeafConfig{Name: fmt.Sprintf("leaf-%d", i), Warehouse: fmt.Sprintf("WH%d", i),
			Hub: c.leafURLs(), User: testUser, Password: testPassword, StoreDir: filepath.Join(t.TempDir(), "l"),
			Apply: whs.Apply, HelloEvery: 200 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(l.Close)
		leaves = append(leaves, l)
	}
	ctx := context.Background()
	b := c.bridges[0]
	waitFor(t, 20*time.Second, "hellos", func() bool { return b.Known(ctx, "WH0") && b.Known(ctx, "WH1") })
	for i := range 10 {
		wh := fmt.Sprintf("WH%d", i%2)
		if err := b.Deliver(ctx, qimen.Call{ID: fmt.Sprint("erp-", i), Upstream: "erp", Warehouse: wh, Method: qimen.DeliveryCreate, Body: []byte("<request/>")}); err != nil {
			t.Fatal(err)
		}
		if err := leaves[i%2].Publish(ctx, qimen.Call{ID: fmt.Sprint("ev-", i), Upstream: "erp", Method: qimen.DeliveryConfirm, Body: []byte("<request/>")}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 20*time.Second, "calls", func() bool { return whs.count() == 10 && erp.count() == 10 })
	if !whs.has("WH1", "erp-3") || !erp.has("WH0", "ev-2") {
		t.Fatal("misrouted")
	}
	ans, err := b.Ask(ctx, qimen.Call{ID: "q", Upstream: "erp", Warehouse: "WH1", Method: qimen.DeliveryQuery, Body: []byte("<request/>")})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("ask: %s", ans)
	st, err := b.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("status: %+v leaf: %+v", st, leaves[0].Status())
}
