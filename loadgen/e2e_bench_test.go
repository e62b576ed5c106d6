package loadgen

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

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
//     the pick events step 1 stored, in a file beside the server's: the
//     ceiling; e2e-ratio is step 1's scans/s over it (aim >= 0.4, with
//     p99 under 50 ms);
//  3. 2,000 handhelds offering 2,000 scans a second in all, open loop
//     (aim: p99 under 30 ms).
//
// The server runs in this process, so the CPU is shared with the
// handhelds as it would be with a load generator on the same machine; for
// the server's CPU per scan run `tally loadgen` against `tally serve`.
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

		closed, err := Run(ctx, Config{Addr: addr, Token: token, PDAs: 200, Duration: d, Log: io.Discard})
		if err != nil {
			b.Fatal(err)
		}
		size := meanEventSize(b, l, wms.EvPicked)
		raw := rawBatchRate(b, filepath.Join(dir, "raw.db"), 200, size, d)
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
		b.ReportMetric(raw, "raw-batch/s-200")
		b.ReportMetric(closed.EventsPerSec/raw, "e2e-ratio")
		b.ReportMetric(float64(size), "event-bytes")
		b.ReportMetric(open.OfferedPerSec, "offered/s-open")
		b.ReportMetric(open.EventsPerSec, "scans/s-open")
		b.ReportMetric(open.P99ms, "p99-ms-open")
		b.ReportMetric(open.MaxMs, "max-ms-open")
		b.ReportMetric(float64(closed.Errors+open.Errors), "errors")
		st := l.Stats()
		b.Logf("commits=%d grouped=%d regroups=%d", st.Commits.Load(), st.Grouped.Load(), st.Regroups.Load())
		b.Logf("200 closed: %s", closed.Line())
		b.Logf("2000 open:  %s", open.Line())
	}
}

// meanEventSize is the mean stored size of the newest events of a type.
func meanEventSize(b *testing.B, l *wms.Ledger, typ string) int {
	evs, err := l.EventsOfType(2000, typ)
	if err != nil || len(evs) == 0 {
		b.Fatalf("no %s events to size: %v", typ, err)
	}
	total := 0
	for _, ev := range evs {
		raw, err := json.Marshal(ev)
		if err != nil {
			b.Fatal(err)
		}
		total += len(raw)
	}
	return total / len(evs)
}

// rawBatchRate is how many values of size bytes a second writers commit
// through raw bbolt Batch (5 ms MaxBatchDelay, as wms's ceiling) for d.
func rawBatchRate(b *testing.B, path string, writers, size int, d time.Duration) float64 {
	db, err := bolt.Open(path, 0o600, &bolt.Options{InitialMmapSize: 256 << 20})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.MaxBatchDelay = 5 * time.Millisecond
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("events")); return err }); err != nil {
		b.Fatal(err)
	}
	payload := make([]byte, size)
	var n atomic.Int64
	var wg sync.WaitGroup
	stop := time.Now().Add(d)
	start := time.Now()
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				err := db.Batch(func(tx *bolt.Tx) error {
					bk := tx.Bucket([]byte("events"))
					seq, _ := bk.NextSequence()
					return bk.Put(binary.BigEndian.AppendUint64(nil, seq), payload)
				})
				if err != nil {
					b.Error(err)
					return
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	return float64(n.Load()) / time.Since(start).Seconds()
}
