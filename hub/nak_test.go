package hub

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"tally/syncer/qimen"
)

func TestSendFailureRetried(t *testing.T) {
	for _, size := range []int{1, 3} {
		t.Run(fmt.Sprint(size), func(t *testing.T) { sendFailureRetried(t, size) })
	}
}

func sendFailureRetried(t *testing.T, size int) {
	erp := newRecorder()
	var mu sync.Mutex
	failed := map[string]bool{}
	erp.fail = func(c qimen.Call) bool {
		mu.Lock()
		defer mu.Unlock()
		if failed[c.ID] {
			return false
		}
		failed[c.ID] = true
		return true
	}
	log := slog.New(slog.DiscardHandler)
	c := startCluster(t, size, erp, BridgeOptions{Log: log})
	l, err := StartLeaf(LeafConfig{Name: "leaf", Warehouse: "WH", Hub: c.leafURLs(), User: testUser, Password: testPassword,
		StoreDir: filepath.Join(t.TempDir(), "l"), Apply: newRecorder().Apply, HelloEvery: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	ctx := context.Background()
	for i := range 5 {
		if err := l.Publish(ctx, qimen.Call{ID: fmt.Sprint("ev-", i), Upstream: "erp", Method: qimen.DeliveryConfirm, Body: []byte("<request/>")}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, time.Minute, "every confirmation sent after one failure each", func() bool { return erp.count() == 5 })
}

// TestRefusedForGoodIsNotResent: a call the ERP refuses for good is sent
// once, counted on the hub's status, and does not hold back the calls
// after it.
func TestRefusedForGoodIsNotResent(t *testing.T) {
	erp := newRecorder()
	erp.refuse = func(c qimen.Call) bool { return c.ID == "ev-bad" }
	c := startCluster(t, 1, erp, BridgeOptions{})
	l, err := StartLeaf(LeafConfig{Name: "leaf", Warehouse: "WH", Hub: c.leafURLs(), User: testUser, Password: testPassword,
		StoreDir: filepath.Join(t.TempDir(), "l"), Apply: newRecorder().Apply, HelloEvery: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	for _, id := range []string{"ev-bad", "ev-1", "ev-2"} {
		if err := l.Publish(context.Background(), qimen.Call{ID: id, Upstream: "erp", Warehouse: "WH", Method: qimen.DeliveryConfirm, Body: []byte("<request/>")}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 20*time.Second, "the calls after the refused one sent", func() bool { return erp.count() == 2 })
	waitFor(t, 10*time.Second, "the refusal on the hub's status", func() bool {
		st, err := c.bridges[0].Status(context.Background())
		return err == nil && len(st) == 1 && st[0].Refused == 1
	})
	time.Sleep(3 * time.Second) // a redelivery would come within a second or two
	erp.mu.Lock()
	defer erp.mu.Unlock()
	if erp.refused["ev-bad"] != 1 {
		t.Errorf("the refused call was sent %d times", erp.refused["ev-bad"])
	}
}
