package syncer

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"tally/wms"
	"tally/wms/wmstest"
)

// The syncer's books find an order that left the live store for the
// archive: a dead letter retried after --keep-orders is sent as it was,
// not marked resolved with nothing sent. A month file that cannot be read
// is an error, never "not ours".
func TestLedgerBooksReadArchivedOrders(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 11, 11, 2, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	l, err := wms.Open(dir, wms.Options{Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	if _, err := l.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	in := wms.OrderIntake{No: "SO870001", Channel: "jd", Carrier: "SF", Recipient: wms.Recipient{Name: "李雷", Phone: "13912345678", Address: "北京市海淀区中关村大街 1 号"},
		Lines: wms.OrderLines(wms.LineIn{SKU: "SKU03000", Qty: 1})}
	if _, _, err := l.ReceiveOrder(ctx, "", in, "oms", "t"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.ReleaseWave(ctx, wms.WaveFilter{Mode: wms.WaveSingle}, "w-1", "B4001", "t"); err != nil {
		t.Fatal(err)
	}
	wmstest.PickAll(t, l)
	wmstest.PackAndShip(t, l, "SO870001")
	mu.Lock()
	now = now.Add(48 * 24 * time.Hour)
	mu.Unlock()
	if _, err := l.Archive(ctx, wms.DefaultRetention(), "t", "t"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Order("SO870001"); wms.ErrorCode(err) != wms.CodeNotFound {
		t.Fatalf("the order is still live: %v", err)
	}
	books := ledgerBooks{l}
	o, ok, err := books.order(wms.DefaultOwner, "SO870001")
	if err != nil || !ok || o.No != "SO870001" || o.State != wms.OrderShipped {
		t.Fatalf("the archived order: %v %v %+v", ok, err, o)
	}
	if _, ok, err := books.order(wms.DefaultOwner, "SO-NEVER"); ok || err != nil {
		t.Errorf("an order never taken: %v %v", ok, err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "archive", "*.orders.jsonl.gz"))
	for _, f := range files {
		if err := os.WriteFile(f, nil, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok, err := books.order(wms.DefaultOwner, "SO870001"); ok || err == nil {
		t.Errorf("the archived order with its file emptied: %v %v", ok, err)
	}
}
