package syncer_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tally/syncer"
	"tally/syncer/fakeoms"
	"tally/wms"
)

// floorLoad runs writers that each append a floor event (a wrong scan, a
// real write with its commit) one after another until stop, and returns
// every append's latency.
func floorLoad(l *wms.Ledger, writers int, stop <-chan struct{}) []time.Duration {
	var mu sync.Mutex
	var all []time.Duration
	var wg sync.WaitGroup
	var n atomic.Int64
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for {
				select {
				case <-stop:
					mu.Lock()
					all = append(all, mine...)
					mu.Unlock()
					return
				default:
				}
				i := n.Add(1)
				ev, _ := wms.NewEvent(fmt.Sprintf("floor-%d-%d", w, i), wms.EvScanRejected, fmt.Sprintf("B1%03d", w), "pda",
					wms.ScanRejected{Step: "item", Code: "6900000000000", Reason: "pick.wrong_item", Today: "2026-11-30"})
				t0 := time.Now()
				if _, _, err := l.Append(context.Background(), ev); err != nil {
					panic(err)
				}
				mine = append(mine, time.Since(t0))
			}
		}()
	}
	wg.Wait()
	return all
}

func p99(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[len(d)*99/100]
}

// drainRig is a ledger with a backlog of n stock changes and a fake OMS
// the syncer will drain it to.
func drainRig(tb testing.TB, n int) (*wms.Ledger, *syncer.Syncer, *fakeoms.OMS) {
	tb.Helper()
	ctx := context.Background()
	dir := tb.TempDir()
	l, err := wms.Open(filepath.Join(dir, "wh"), wms.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { l.Close() })
	if _, err := l.SeedDemo(ctx); err != nil {
		tb.Fatal(err)
	}
	for start := 0; start < n; start += 20_000 {
		var evs []wms.Event
		for i := start; i < min(start+20_000, n); i++ {
			delta := int64(1 - 2*(i%2))
			ev, err := wms.NewEvent(fmt.Sprintf("drain-%d", i), wms.EvStockAdjusted, "B0001", "bench",
				wms.StockAdjustment{SKU: "SKU03000", Location: "C01-01-01", Delta: delta, Reason: "bench"})
			if err != nil {
				tb.Fatal(err)
			}
			evs = append(evs, ev)
		}
		if err := l.AppendAll(ctx, evs); err != nil {
			tb.Fatal(err)
		}
	}
	oms, err := fakeoms.New(fakeoms.Options{Path: filepath.Join(dir, "oms.db"), Base: "/tally/v1", Token: rigToken})
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(oms.Handler())
	tb.Cleanup(func() { srv.Close(); oms.Close() })
	if _, err := l.SaveUpstream(ctx, "", wms.Upstream{Name: "oms", Dialect: wms.DialectTally, URL: srv.URL + "/tally/v1", Token: rigToken}, "A0001", "bench"); err != nil {
		tb.Fatal(err)
	}
	return l, syncer.New(l, syncer.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}), oms
}

// floorWhileDraining measures the floor's append latency for a while
// without the syncer, then while it drains the backlog.
func floorWhileDraining(tb testing.TB, n, writers int) (idle, draining []time.Duration, drained time.Duration) {
	l, sy, _ := drainRig(tb, n)
	stop := make(chan struct{})
	go func() { time.Sleep(3 * time.Second); close(stop) }()
	idle = floorLoad(l, writers, stop)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	began := time.Now()
	go func() { done <- sy.Run(ctx) }()
	stop = make(chan struct{})
	got := make(chan []time.Duration, 1)
	go func() { got <- floorLoad(l, writers, stop) }()
	for {
		if s, _ := l.SyncStateOf("oms"); s.Acked >= uint64(n) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	drained = time.Since(began)
	close(stop)
	draining = <-got
	cancel()
	<-done
	return idle, draining, drained
}

// The floor never waits for the syncer: while a backlog drains, floor
// writes keep committing between the drain's batches instead of queueing
// until it ends. Proved by the log's order, not by a clock: most gaps
// between two of the drain's acknowledgements hold floor events. (How long
// they took is the benchmark's figure.)
func TestFloorWhileDraining(t *testing.T) {
	l, sy, _ := drainRig(t, 20_000)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	stop := make(chan struct{})
	got := make(chan []time.Duration, 1)
	go func() { got <- floorLoad(l, 8, stop) }()
	go func() { done <- sy.Run(ctx) }()
	for {
		if s, _ := l.SyncStateOf("oms"); s.Acked >= 20_000 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(stop)
	lat := <-got
	cancel()
	<-done
	t.Logf("floor p99 %v over %d writes while 20,000 events drained", p99(lat), len(lat))

	var seqs []uint64 // acks as 0, floor events as 1, in log order
	var kinds []bool
	page := wms.FeedPage{}
	var err error
	for {
		page, err = l.Feed(wms.FeedQuery{After: page.Next, Limit: 1000, Types: []string{wms.EvSyncAcked, wms.EvScanRejected}})
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range page.Events {
			seqs = append(seqs, ev.Seq)
			kinds = append(kinds, ev.Type == wms.EvScanRejected)
		}
		if page.Next >= page.LastSeq {
			break
		}
	}
	gaps, withFloor, inGap := 0, 0, false
	seenAck := false
	for _, floor := range kinds {
		switch {
		case !floor && seenAck:
			gaps++
			if inGap {
				withFloor++
			}
			inGap = false
		case !floor:
			seenAck = true
		case floor && seenAck:
			inGap = true
		}
	}
	t.Logf("%d gaps between acknowledgements, %d with floor events (%d events in all)", gaps, withFloor, len(seqs))
	if gaps < 10 {
		t.Fatalf("only %d acknowledgements: the drain did not run in batches", gaps+1)
	}
	if withFloor*4 < gaps {
		t.Errorf("floor events came between only %d of %d acknowledgements: the floor queued behind the drain", withFloor, gaps)
	}
}

// BenchmarkFloorWhileDraining reports the floor's p99 append latency with
// 16 writers, idle and while a backlog drains to the fake OMS.
//
//	go test ./syncer -run XXX -bench FloorWhileDraining -benchtime 1x
func BenchmarkFloorWhileDraining(b *testing.B) {
	for range b.N {
		idle, draining, drained := floorWhileDraining(b, 100_000, 16)
		b.ReportMetric(float64(p99(idle).Microseconds())/1000, "idle-p99-ms")
		b.ReportMetric(float64(p99(draining).Microseconds())/1000, "draining-p99-ms")
		b.ReportMetric(drained.Seconds(), "drain-s")
		b.ReportMetric(float64(len(draining))/drained.Seconds(), "floor-writes/s-draining")
		b.ReportMetric(float64(len(idle))/3, "floor-writes/s-idle")
	}
}
