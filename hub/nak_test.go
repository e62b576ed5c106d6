package hub

import (
	"context"
	"fmt"
	"log/slog"
	"os"
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
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
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
	waitFor(t, 20*time.Second, "every confirmation sent after one failure each", func() bool { return erp.count() == 5 })
}
