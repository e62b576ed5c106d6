package server

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tally/scan"
	"tally/wms"
	"tally/wms/wmstest"
)

// An archived order whose member the folder lacks (an older copy of the
// primary's file) names the file on the API and the page instead of
// saying the order is not known.
func TestArchivedOrderWithItsMemberMissingNamesTheFile(t *testing.T) {
	now := time.Date(2026, 11, 11, 2, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	dir := t.TempDir()
	l, err := wms.Open(dir, wms.Options{Now: clock, Zone: time.FixedZone("CST", 8*3600)})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	if _, err := l.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	s := New(Config{Version: "test"}, l, scan.NewParser(scan.DefaultPatterns()), slog.New(slog.NewTextHandler(io.Discard, nil)))
	in := intake("SO880001", wms.LineIn{SKU: "SKU03000", Qty: 1})
	in.Carrier = "SF"
	if _, _, err := l.ReceiveOrder(ctx, "", in, "oms", "t"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.ReleaseWave(ctx, wms.WaveFilter{Mode: wms.WaveSingle}, "w-arch", "B4001", "t"); err != nil {
		t.Fatal(err)
	}
	wmstest.PickAll(t, l)
	wmstest.PackAndShip(t, l, "SO880001")
	now = now.Add(48 * 24 * time.Hour)
	if _, err := l.Archive(ctx, wms.DefaultRetention(), "t", "t"); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "archive", "*.orders.jsonl.gz"))
	if len(files) == 0 {
		t.Fatal("no order archive")
	}
	for _, f := range files {
		os.WriteFile(f, nil, 0o640) // an older copy: ends before the member
	}
	_, err = l.Books(wms.DefaultOwner).ArchivedOrder("SO880001")
	t.Logf("ledger: %v", err)
	c := newClient(t, s)
	c.login("B4001", "4444")
	resp, body := c.get("/api/v1/orders/SO880001")
	t.Logf("API: %d %s", resp.StatusCode, body)
	if !strings.Contains(body, "member_missing") && !strings.Contains(body, "ends before") {
		t.Errorf("GET /api/v1/orders/SO880001 with its member missing: %d %s", resp.StatusCode, body)
	}
	resp, body = c.get("/orders?no=SO880001")
	if !strings.Contains(body, "ends before") {
		i := strings.Index(body, "SO880001")
		t.Errorf("order page: %d %s", resp.StatusCode, body[max(0, i-300):min(len(body), i+300)])
	}
}
