package hub

import (
	"github.com/nats-io/nats.go/jetstream"

	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tally/syncer/qimen"
)

// BenchmarkDeliverFiftyWarehouses: ERP calls per second from Deliver on a
// 3-node hub until applied at 50 warehouses.
func BenchmarkDeliverFiftyWarehouses(b *testing.B) {
	const warehouses = 50
	at := newRecorder()
	c := startCluster(b, 3, newRecorder(), BridgeOptions{})
	for i := range warehouses {
		l, err := StartLeaf(LeafConfig{Name: fmt.Sprint("bl-", i), Warehouse: fmt.Sprintf("B%02d", i), Hub: c.leafURLs(),
			User: testUser, Password: testPassword, StoreDir: filepath.Join(b.TempDir(), "l"), Apply: at.Apply, HelloEvery: time.Second})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(l.Close)
	}
	ctx := context.Background()
	waitFor(b, 60*time.Second, "hellos", func() bool { st, err := c.bridges[0].Status(ctx); return err == nil && len(st) == warehouses })
	body := []byte("<request><deliveryOrder><deliveryOrderCode>X</deliveryOrderCode></deliveryOrder></request>")
	b.ResetTimer()
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			br := c.bridges[w%3]
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				call := qimen.Call{ID: "b:" + strconv.FormatInt(i, 10), Upstream: "erp", Warehouse: fmt.Sprintf("B%02d", i%warehouses),
					Method: qimen.DeliveryCreate, Body: body}
				if err := br.Deliver(ctx, call); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	stored := time.Since(start)
	waitFor(b, 10*time.Minute, "every call applied", func() bool { return at.count() == b.N })
	applied := time.Since(start)
	b.StopTimer()
	// the ceiling, in the same run: the same number of bare publishes, each
	// waiting for its acknowledgement, into a stream of 3 replicas on the
	// same cluster (no signature, no routing, no warehouse at the far end)
	js := c.nodes[0].js
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "CEILING", Subjects: []string{"ceiling.>"}, Replicas: c.nodes[0].replicas,
		Storage: jetstream.FileStorage}); err != nil {
		b.Fatal(err)
	}
	next.Store(0)
	ceilingStart := time.Now()
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				if _, err := js.Publish(ctx, fmt.Sprintf("ceiling.B%02d", i%warehouses), body); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	ceiling := float64(b.N) / time.Since(ceilingStart).Seconds()
	b.ReportMetric(float64(b.N)/stored.Seconds(), "stored-calls/s")
	b.ReportMetric(float64(b.N)/applied.Seconds(), "applied-calls/s")
	b.ReportMetric(ceiling, "ceiling-publishes/s")
	b.ReportMetric(float64(b.N)/applied.Seconds()/ceiling, "applied/ceiling")
}

// BenchmarkDrainQueued: 200,000 calls queued at a warehouse while its
// link was down (HUB_DRAIN_CALLS overrides the count): the time from the
// link restored to the first call at the ERP, and to the last.
func BenchmarkDrainQueued(b *testing.B) {
	n := 200_000
	if v, err := strconv.Atoi(os.Getenv("HUB_DRAIN_CALLS")); err == nil && v > 0 {
		n = v
	}
	for range b.N {
		erp := newRecorder()
		c := startCluster(b, 1, erp, BridgeOptions{})
		link := newLinkProxy(b, c.leafURLs())
		link.Cut()
		l, err := StartLeaf(LeafConfig{Name: "drain", Warehouse: "WHD", Hub: []string{link.Addr()}, User: testUser, Password: testPassword,
			StoreDir: filepath.Join(b.TempDir(), "d"), Apply: newRecorder().Apply, HelloEvery: time.Second, ReconnectEvery: 100 * time.Millisecond})
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		body := []byte("<request><deliveryOrderCode>D</deliveryOrderCode><packages><package><expressCode>SF1</expressCode></package></packages></request>")
		fill := time.Now()
		var next atomic.Int64
		var wg sync.WaitGroup
		for range 32 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := next.Add(1) - 1
					if i >= int64(n) {
						return
					}
					if err := l.Publish(ctx, qimen.Call{ID: "d:" + strconv.FormatInt(i, 10), Upstream: "erp", Method: qimen.DeliveryConfirm, Body: body}); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		b.Logf("queued %d calls in %s", n, time.Since(fill))
		b.ResetTimer()
		restored := time.Now()
		link.Restore()
		waitFor(b, 30*time.Minute, "the drain", func() bool { return erp.count() == n })
		drain := time.Since(restored)
		b.StopTimer()
		b.ReportMetric(erp.firstAt().Sub(restored).Seconds(), "s-to-first")
		b.ReportMetric(drain.Seconds(), "s-drain")
		b.ReportMetric(float64(n)/drain.Seconds(), "calls/s")
		l.Close()
	}
}

// BenchmarkLeafMemory: the heap a started leaf holds.
func BenchmarkLeafMemory(b *testing.B) {
	c := startCluster(b, 1, newRecorder(), BridgeOptions{})
	for i := range b.N {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		l, err := StartLeaf(LeafConfig{Name: fmt.Sprint("mem-", i), Warehouse: "WHM", Hub: c.leafURLs(), User: testUser, Password: testPassword,
			StoreDir: filepath.Join(b.TempDir(), "m"), Apply: newRecorder().Apply})
		if err != nil {
			b.Fatal(err)
		}
		time.Sleep(2 * time.Second)
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapInuse-before.HeapInuse)/(1<<20), "MiB-heap")
		b.ReportMetric(float64(after.Sys-before.Sys)/(1<<20), "MiB-sys")
		l.Close()
	}
}
