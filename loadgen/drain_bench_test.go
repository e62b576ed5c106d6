package loadgen

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"tally/scan"
	"tally/server"
	"tally/syncer"
	"tally/syncer/fakeoms"
	"tally/wms"
)

// BenchmarkScansWhileDraining runs the load generator against a server
// twice: once with its upstream turned off, once while the syncer drains a
// backlog of stock changes (built before, TALLY_DRAIN_EVENTS, default
// 300,000) to the fake OMS over loopback. It reports both runs' scans/s and
// p99, and how much of the backlog drained during the second.
//
//	go test ./loadgen -run XXX -bench ScansWhileDraining -benchtime 1x -timeout 30m
func BenchmarkScansWhileDraining(b *testing.B) {
	n, pdas, d := 300_000, 50, 10*time.Second
	if v := os.Getenv("TALLY_DRAIN_EVENTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			b.Fatalf("TALLY_DRAIN_EVENTS=%q", v)
		}
	}
	ctx := context.Background()
	for range b.N {
		dir := b.TempDir()
		l, err := wms.Open(filepath.Join(dir, "wh"), wms.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := l.SeedDemo(ctx); err != nil {
			b.Fatal(err)
		}
		for start := 0; start < n; start += 20_000 {
			var evs []wms.Event
			for i := start; i < min(start+20_000, n); i++ {
				ev, err := wms.NewEvent(fmt.Sprintf("drain-%d", i), wms.EvStockAdjusted, "B0001", "bench",
					wms.StockAdjustment{SKU: "SKU03000", Location: "C01-01-01", Delta: int64(1 - 2*(i%2)), Reason: "bench"})
				if err != nil {
					b.Fatal(err)
				}
				evs = append(evs, ev)
			}
			if err := l.AppendAll(ctx, evs); err != nil {
				b.Fatal(err)
			}
		}
		token, err := l.CreateToken(ctx, "loadgen", wms.RoleAdmin, "bench")
		if err != nil {
			b.Fatal(err)
		}
		oms, err := fakeoms.New(fakeoms.Options{Path: filepath.Join(dir, "oms.db"), Base: "/tally/v1", Token: "tok-bench-0123456789abcdef"})
		if err != nil {
			b.Fatal(err)
		}
		omsSrv := httptest.NewServer(oms.Handler())
		up := wms.Upstream{Name: "oms", Dialect: wms.DialectTally, URL: omsSrv.URL + "/tally/v1", Token: "tok-bench-0123456789abcdef", Disabled: true}
		if _, err := l.SaveUpstream(ctx, "", up, "A0001", "bench"); err != nil {
			b.Fatal(err)
		}
		quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
		sy := syncer.New(l, syncer.Options{Log: quiet})
		srv := server.New(server.Config{Syncer: sy}, l, scan.NewParser(scan.DefaultPatterns()), quiet)
		if err := srv.Jobs().Add(server.Job{Name: "sync", Run: sy.Run}); err != nil {
			b.Fatal(err)
		}
		if err := srv.StartWorkers(); err != nil {
			b.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		go func() { _ = srv.Serve(ln) }()
		addr := "http://" + ln.Addr().String()

		idle, err := Run(ctx, Config{Addr: addr, Token: token, PDAs: pdas, Duration: d, Log: io.Discard})
		if err != nil {
			b.Fatal(err)
		}
		up.Disabled = false
		if _, err := l.SaveUpstream(ctx, "", up, "A0001", "bench"); err != nil {
			b.Fatal(err)
		}
		sy.Wake()
		before, _ := l.SyncStateOf("oms")
		busy, err := Run(ctx, Config{Addr: addr, Token: token, PDAs: pdas, Duration: d, Log: io.Discard})
		if err != nil {
			b.Fatal(err)
		}
		after, _ := l.SyncStateOf("oms")
		st := sy.Status()

		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_ = srv.Shutdown(sctx)
		cancel()
		_ = srv.Jobs().Stop(ctx)
		omsSrv.Close()
		oms.Close()
		l.Close()

		b.ReportMetric(idle.EventsPerSec, "scans/s-idle")
		b.ReportMetric(idle.P99ms, "p99-ms-idle")
		b.ReportMetric(busy.EventsPerSec, "scans/s-draining")
		b.ReportMetric(busy.P99ms, "p99-ms-draining")
		b.ReportMetric(float64(after.Acked-before.Acked)/d.Seconds(), "drained-events/s")
		if len(st) == 1 {
			b.ReportMetric(float64(st[0].Backlog), "backlog-left")
		}
	}
}
