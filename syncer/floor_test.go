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

// The floor never waits for the syncer: while a backlog drains, every
// floor write still commits in its turn. The bound is loose on purpose
// (a second, where a commit takes milliseconds): it only catches a design
// that makes the floor queue behind the drain; the figures are the
// benchmark's.
func TestFloorWhileDraining(t *testing.T) {
	idle, draining, drained := floorWhileDraining(t, 20_000, 8)
	t.Logf("drained 20,000 events in %v; floor p99 %v idle, %v while draining (%d and %d writes)", drained, p99(idle), p99(draining), len(idle), len(draining))
	if len(draining) == 0 {
		t.Fatal("no floor write committed while the backlog drained")
	}
	if worst := slices.Max(draining); worst > time.Second {
		t.Errorf("a floor write waited %v while the backlog drained", worst)
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
