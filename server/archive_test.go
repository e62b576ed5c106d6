package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"tally/scan"
	"tally/wms"
	"tally/wms/wmstest"
)

// An archived order is still found: GET /api/v1/orders/{no} and the order
// page answer from the archive, marked archived; an order neither live nor
// archived is still not found. The daily job runs in its hour, once a day.
func TestArchivedOrderIsFound(t *testing.T) {
	s, l, _, advance := clockedDemoServer(t)
	ctx := context.Background()
	shipOneOrder(t, l, "SO880001")

	if err := s.AddArchiving(ArchiveSchedule{Hour: 3, Retention: wms.DefaultRetention()}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddArchiving(ArchiveSchedule{Hour: 24, Retention: wms.DefaultRetention()}); err == nil {
		t.Fatal("hour 24 taken")
	}
	advance(31 * 24 * time.Hour) // 10:00 in the warehouse: not the hour
	a := &archiving{sched: ArchiveSchedule{Hour: 3, Retention: wms.DefaultRetention()}, ledger: l}
	if _, ran, err := a.runDue(ctx); ran || err != nil {
		t.Fatalf("ran outside its hour: %v", err)
	}
	advance(17 * time.Hour) // 03:00 the next day in the warehouse
	run, ran, err := a.runDue(ctx)
	if !ran || err != nil || run.Orders != 1 {
		t.Fatalf("in its hour: ran %v, %d orders, %v", ran, run.Orders, err)
	}
	if _, ran, _ := a.runDue(ctx); ran {
		t.Fatal("ran twice in a day")
	}

	c := newClient(t, s)
	c.login("B4001", "4444")
	resp, body := c.get("/api/v1/orders/SO880001")
	if resp.StatusCode != 200 {
		t.Fatalf("archived order: %d %s", resp.StatusCode, body)
	}
	var out struct {
		No       string `json:"no"`
		State    string `json:"state"`
		Archived bool   `json:"archived"`
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil || out.No != "SO880001" || out.State != "shipped" || !out.Archived {
		t.Fatalf("archived order: %+v %v", out, err)
	}
	if resp, _ := c.get("/api/v1/orders/SO880099"); resp.StatusCode != 404 {
		t.Fatalf("unknown order: %d", resp.StatusCode)
	}
	resp, body = c.get("/orders?no=SO880001")
	if resp.StatusCode != 200 || !strings.Contains(body, `data-testid="order-archived"`) || !strings.Contains(body, "SKU03000") {
		t.Fatalf("order page of an archived order: %d\n%s", resp.StatusCode, body)
	}
}

// clockedDemoServer is a demo store in dir on a clock that starts at
// 2026-11-11 02:00 UTC and moves only by advance, and its server; the
// test's cleanup proves the store equals a rebuild.
func clockedDemoServer(t *testing.T) (s *Server, l *wms.Ledger, dir string, advance func(time.Duration)) {
	t.Helper()
	var mu sync.Mutex
	now := time.Date(2026, 11, 11, 2, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	dir = t.TempDir()
	l, err := wms.Open(dir, wms.Options{Now: clock, Zone: time.FixedZone("CST", 8*3600)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if mm, err := l.Check(t.TempDir()); err != nil || len(mm) > 0 {
			t.Errorf("ledger check after test: %v %v", err, mm)
		}
		l.Close()
	})
	if _, err := l.SeedDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	s = New(Config{Version: "test"}, l, scan.NewParser(scan.DefaultPatterns()), slog.New(slog.NewTextHandler(io.Discard, nil)))
	return s, l, dir, func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }
}

// shipOneOrder takes in order no (one book, SF) and picks, packs and ships it.
func shipOneOrder(t *testing.T, l *wms.Ledger, no string) {
	t.Helper()
	ctx := context.Background()
	in := intake(no, wms.LineIn{SKU: "SKU03000", Qty: 1})
	in.Carrier = "SF"
	if _, _, err := l.ReceiveOrder(ctx, "", in, "oms", "t"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.ReleaseWave(ctx, wms.WaveFilter{Mode: wms.WaveSingle}, "w-"+no, "B4001", "t"); err != nil {
		t.Fatal(err)
	}
	wmstest.PickAll(t, l)
	wmstest.PackAndShip(t, l, no)
}
