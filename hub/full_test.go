package hub

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tally/syncer"
	"tally/syncer/qimen"
)

// At its byte cap the outgoing stream refuses with ErrHubFull and keeps
// everything it took; once the link is back it drains and takes more.
func TestPublishAtCapIsHubFull(t *testing.T) {
	erp := newRecorder()
	c := startCluster(t, 1, erp, BridgeOptions{})
	link := newLinkProxy(t, c.leafURLs())
	link.Cut()
	l, err := StartLeaf(LeafConfig{Name: "leaf-full", Warehouse: "WHF", Hub: []string{link.Addr()}, User: testUser, Password: testPassword,
		StoreDir: filepath.Join(t.TempDir(), "f"), MaxBytes: 64 << 10, Apply: newRecorder().Apply, HelloEvery: 200 * time.Millisecond,
		ReconnectEvery: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	ctx := context.Background()
	body := []byte("<request>" + strings.Repeat("x", 900) + "</request>")
	stored := 0
	for i := 0; ; i++ {
		err := l.Publish(ctx, qimen.Call{ID: fmt.Sprint("ev-", i), Upstream: "erp", Method: qimen.StockChangeReport, Body: body})
		if errors.Is(err, syncer.ErrHubFull) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if stored++; stored > 1000 {
			t.Fatal("a 64 KiB stream took more than 1000 calls of 1 KiB")
		}
	}
	if st := l.Status(); st.Outgoing != uint64(stored) || st.Connected {
		t.Fatalf("status at the cap: %+v, stored %d", st, stored)
	}
	// A repeat of a stored call is no error even at the cap.
	if err := l.Publish(ctx, qimen.Call{ID: "ev-0", Upstream: "erp", Method: qimen.StockChangeReport, Body: body}); err != nil &&
		!errors.Is(err, syncer.ErrHubFull) {
		t.Fatal(err)
	}
	link.Restore()
	waitFor(t, 2*time.Minute, "the stream to drain", func() bool { return erp.count() == stored && l.Status().Outgoing == 0 })
	for i := range stored {
		if !erp.has("WHF", fmt.Sprint("ev-", i)) {
			t.Fatalf("ev-%d lost", i)
		}
	}
	if err := l.Publish(ctx, qimen.Call{ID: "after", Upstream: "erp", Method: qimen.StockChangeReport, Body: body}); err != nil {
		t.Fatalf("after draining: %v", err)
	}
	waitFor(t, time.Minute, "the call after the drain", func() bool { return erp.count() == stored+1 })
	if d := erp.doubles(); len(d) > 0 {
		t.Fatalf("sent twice: %v", d)
	}
}
