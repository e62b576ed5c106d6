package loadgen

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"
	"time"

	"tally/scan"
	"tally/server"
	"tally/wms"
)

// BenchmarkEndToEnd sets a demo server's scans against what the disk allows,
// in one run (this machine's speed drifts by a third within an hour, so a
// figure means something only beside a ceiling measured with it):
//
//  1. 200 handhelds scan as fast as answers come back (closed loop);
//  2. raw bbolt Batch at 200 writers, each putting a value the mean size of
//     the pick events step 1 stored, in a file beside the server's, for as
//     long (Config.CeilingDir): the ceiling; e2e-ratio is step 1's scans/s
//     over it (aim >= 0.4, with p99 under 50 ms); then the loopback HTTP
//     ceiling (httpceiling.go): 200 clients sending scan-shaped requests
//     to a do-nothing handler; e2e-http-ratio is step 1 over it;
//  3. 2,000 handhelds offering 2,000 scans a second in all, open loop
//     (aim: p99 under 30 ms).
//
// The server runs in this process, with the handhelds: on a machine
// shared with other work the two get one process's share of the CPU, so
// `tally loadgen --ceiling DIR` against `tally serve` (two processes) is
// the fairer figure, and its server_cpu_ms_per_scan the server's alone.
//
//	go test ./loadgen -run XXX -bench EndToEnd -benchtime 1x -timeout 20m
//
// TALLY_E2E_DURATION sets each step's length (default 10s).
func BenchmarkEndToEnd(b *testing.B) {
	d := 10 * time.Second
	if v := os.Getenv("TALLY_E2E_DURATION"); v != "" {
		var err error
		if d, err = time.ParseDuration(v); err != nil || d <= 0 {
			b.Fatalf("TALLY_E2E_DURATION=%q", v)
		}
	}
	ctx := context.Background()
	if os.Getenv("GOGC") == "" {
		// the server's collector as `tally serve` sets it (gc.go, serverGCPercent)
		defer debug.SetGCPercent(debug.SetGCPercent(400))
	}
	for range b.N {
		dir := b.TempDir()
		l, err := wms.Open(filepath.Join(dir, "wh"), wms.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := l.SeedDemo(ctx); err != nil {
			b.Fatal(err)
		}
		token, err := l.CreateToken(ctx, "loadgen", wms.RoleAdmin, "bench")
		if err != nil {
			b.Fatal(err)
		}
		quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
		srv := server.New(server.Config{}, l, scan.NewParser(scan.DefaultPatterns()), quiet)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		go func() { _ = srv.Serve(ln) }()
		addr := "http://" + ln.Addr().String()

		closed, err := Run(ctx, Config{Addr: addr, Token: token, PDAs: 200, Duration: d, Log: io.Discard, CeilingDir: dir})
		if err != nil {
			b.Fatal(err)
		}
		open, err := Run(ctx, Config{Addr: addr, Token: token, PDAs: 2000, Duration: d, Rate: 2000,
			Backlog: int(2000 * d.Seconds() / 2), Log: io.Discard})
		if err != nil {
			b.Fatal(err)
		}

		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_ = srv.Shutdown(sctx)
		cancel()
		l.Close()

		b.ReportMetric(closed.EventsPerSec, "scans/s-200")
		b.ReportMetric(closed.P99ms, "p99-ms-200")
		b.ReportMetric(closed.CeilingPerSec, "raw-batch/s-200")
		b.ReportMetric(closed.EventsPerSec/closed.CeilingPerSec, "e2e-ratio")
		b.ReportMetric(closed.HTTPCeilingPerSec, "http-ceiling/s-200")
		b.ReportMetric(closed.EventsPerSec/closed.HTTPCeilingPerSec, "e2e-http-ratio")
		b.ReportMetric(float64(closed.EventBytes), "event-bytes")
		b.ReportMetric(open.OfferedPerSec, "offered/s-open")
		b.ReportMetric(open.EventsPerSec, "scans/s-open")
		b.ReportMetric(open.P99ms, "p99-ms-open")
		b.ReportMetric(open.MaxMs, "max-ms-open")
		b.ReportMetric(float64(closed.Errors+open.Errors), "errors")
		// where the one committer's time went (server/health.go's bbolt counters)
		b.ReportMetric(closed.PagesPerWrite, "pages/write-200")
		b.ReportMetric(closed.DiskWriteShare, "disk-write-share-200")
		b.ReportMetric(open.DiskWriteShare, "disk-write-share-open")
		st := l.Stats()
		b.Logf("commits=%d grouped=%d regroups=%d", st.Commits.Load(), st.Grouped.Load(), st.Regroups.Load())
		b.Logf("200 closed: %s", closed.Line())
		b.Logf("2000 open:  %s", open.Line())
	}
}
