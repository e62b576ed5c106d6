package hub

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"tally/syncer/qimen"
)

// twoBridges is a one-node hub with a second bridge on the node: two
// bridges pulling the warehouses' calls from the same durable consumer, as
// the bridges of a cluster's nodes do.
func twoBridges(t *testing.T, erp *recorder, o BridgeOptions) (*testCluster, *Bridge) {
	t.Helper()
	c := startCluster(t, 1, erp, o)
	o.Send = erp.Send
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := NewBridge(ctx, c.nodes[0], o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return c, b
}

func startTestLeaf(t *testing.T, c *testCluster) *Leaf {
	t.Helper()
	l, err := StartLeaf(LeafConfig{Name: "leaf", Warehouse: "WH", Hub: c.leafURLs(), User: testUser, Password: testPassword,
		StoreDir: filepath.Join(t.TempDir(), "l"), Apply: newRecorder().Apply, HelloEvery: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	return l
}

// TestSlowSendNotSentTwice: each call takes the ERP most of AckWait to
// answer, so a bridge working through its batch one call at a time holds
// the later calls past AckWait and JetStream hands them to the other
// bridge while the first is still sending or recording them. Each call
// must still reach the ERP once: the bridge that claimed a call's ID sends
// it, the other leaves it.
func TestSlowSendNotSentTwice(t *testing.T) {
	const calls = 6
	erp := newRecorder()
	ackWait := time.Second
	erp.slow = func(qimen.Call) time.Duration { return ackWait * 3 / 5 } // within Send's limit (4/5)
	c, _ := twoBridges(t, erp, BridgeOptions{AckWait: ackWait, Workers: 1})
	l := startTestLeaf(t, c)
	for i := range calls {
		if err := l.Publish(context.Background(), qimen.Call{ID: fmt.Sprint("ev-", i), Upstream: "erp", Warehouse: "WH",
			Method: qimen.DeliveryConfirm, Body: []byte("<request/>")}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 30*time.Second, "every call sent", func() bool { return erp.count() == calls })
	time.Sleep(3 * ackWait) // a redelivered call would be sent within this
	if d := erp.doubles(); len(d) > 0 {
		t.Errorf("%d calls reached the ERP twice, e.g. %s", len(d), d[0])
	}
}

// TestExpiredClaimSentAgain: a bridge that claimed a call and stopped
// before recording it sent holds it back until its claim expires
// (claimFor); then another bridge sends it, once. That is the documented
// case in which the ERP may get a call twice.
func TestExpiredClaimSentAgain(t *testing.T) {
	erp := newRecorder()
	ackWait := time.Second
	c, b2 := twoBridges(t, erp, BridgeOptions{AckWait: ackWait})
	call := qimen.Call{ID: "ev-claimed", Upstream: "erp", Warehouse: "WH", Method: qimen.DeliveryConfirm, Body: []byte("<request/>")}
	ctx := context.Background()
	// the dead bridge's claim, as claimSend writes it
	if _, err := c.bridges[0].seen.Create(ctx, digestKey(call.ID), []byte(claimPrefix+contentDigest(call)+" hub-9/dead")); err != nil {
		t.Fatal(err)
	}
	claimed := time.Now()
	l := startTestLeaf(t, c)
	if err := l.Publish(ctx, call); err != nil {
		t.Fatal(err)
	}
	if err := l.Publish(ctx, qimen.Call{ID: "ev-free", Upstream: "erp", Warehouse: "WH", Method: qimen.DeliveryConfirm, Body: []byte("<request/>")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the unclaimed call sent", func() bool { return erp.count() >= 1 })
	if erp.has("WH", call.ID) {
		t.Fatal("a call claimed by another bridge was sent before its claim expired")
	}
	waitFor(t, 30*time.Second, "the claimed call sent after its claim expired", func() bool { return erp.has("WH", call.ID) })
	if took, bound := time.Since(claimed), b2.claimFor(); took < bound {
		t.Errorf("sent %s after the claim, before its bound %s", took, bound)
	}
	time.Sleep(3 * ackWait)
	if d := erp.doubles(); len(d) > 0 {
		t.Errorf("sent twice after taking the claim over: %v", d)
	}
	e, err := c.bridges[0].seen.Get(ctx, digestKey(call.ID))
	if err != nil {
		t.Fatal(err)
	}
	if string(e.Value()) != contentDigest(call) {
		t.Errorf("the call is not recorded sent: HUB_SEEN has %q", e.Value())
	}
}

// TestSendCutOffSentAgain: the documented case in which the ERP gets a call
// twice — the ERP took it but answered after Send's limit, so the bridge
// cannot know and sends it again — is retried once and then recorded sent:
// the ERP has it twice, never three times.
func TestSendCutOffSentAgain(t *testing.T) {
	erp := newRecorder()
	ackWait := time.Second
	var mu sync.Mutex
	cut := false
	erp.late = func(qimen.Call) time.Duration {
		mu.Lock()
		defer mu.Unlock()
		if cut {
			return 0
		}
		cut = true
		return 2 * ackWait // beyond Send's limit (4/5 of AckWait)
	}
	c, _ := twoBridges(t, erp, BridgeOptions{AckWait: ackWait})
	l := startTestLeaf(t, c)
	call := qimen.Call{ID: "ev-late", Upstream: "erp", Warehouse: "WH", Method: qimen.DeliveryConfirm, Body: []byte("<request/>")}
	if err := l.Publish(context.Background(), call); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the call sent again after the cut-off", func() bool { return len(erp.doubles()) == 1 })
	time.Sleep(3 * ackWait)
	erp.mu.Lock()
	n := erp.got[call.ID]
	erp.mu.Unlock()
	if n != 2 {
		t.Fatalf("the ERP got the call %d times, want 2 (once cut off, once answered)", n)
	}
	e, err := c.bridges[0].seen.Get(context.Background(), digestKey(call.ID))
	if err != nil {
		t.Fatal(err)
	}
	if string(e.Value()) != contentDigest(call) {
		t.Errorf("the call is not recorded sent: HUB_SEEN has %q", e.Value())
	}
}
