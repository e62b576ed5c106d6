package wms

import (
	"fmt"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// BenchmarkWaveRelease is the ledger's side of releasing one wave of 50
// orders from a backlog of waiting ones (a Double-11 evening): choosing them,
// allocating them and making their pick tasks, made durable. Before each
// release the backlog is topped up again (outside the timer), so every
// release chooses from the same number of orders. Backlogs of 1,000 and
// 20,000; "queue" is ReleaseWave as it runs (the wave queue, wavequeue.go),
// "old" chose the way it did before the queue (every new order's brief
// matched and sorted: oldWaveChoice) and releases the same way without the
// request's idempotency record, so the ratio between them understates the
// queue's gain a little:
//
//	go test ./wms -run XXX -bench WaveRelease -benchtime 20x
func BenchmarkWaveRelease(b *testing.B) {
	for _, waiting := range []int{1000, 20000} {
		for _, choice := range []string{"old", "queue"} {
			b.Run(fmt.Sprintf("backlog=%d/choice=%s", waiting, choice), func(b *testing.B) { benchWaveRelease(b, waiting, choice == "old") })
		}
	}
}

func benchWaveRelease(b *testing.B, waiting int, old bool) {
	const wave, skus = 50, pickSKUs
	l, _ := openTest(b)
	pickShelves(b, l)
	n := 0
	add := func(k int) {
		for k > 0 {
			batch := make([]OrderIntake, 0, min(k, MaxBatchOrders))
			for range cap(batch) {
				batch = append(batch, order(fmt.Sprintf("SO%07d", n), LineIn{fmt.Sprintf("B%03d", n%skus), 1},
					LineIn{fmt.Sprintf("B%03d", (n+7)%skus), 2}, LineIn{fmt.Sprintf("B%03d", (n+19)%skus), 1}))
				n++
			}
			if _, err := l.ReceiveOrders(ctx, "", batch, "oms", "api"); err != nil {
				b.Fatal(err)
			}
			k -= len(batch)
		}
	}
	add(waiting)
	f := WaveFilter{Mode: WaveCluster, ClusterSize: 12, MaxOrders: wave}
	var cpu int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		add(wave)
		cpu0 := cpuTime()
		b.StartTimer()
		var w Wave
		var err error
		if old {
			w, err = l.releaseOrders(ctx, oldWaveChoice(b, l, f), f.Mode, f.ClusterSize, fmt.Sprintf("w%d", i), "B4001", "web")
		} else {
			w, err = l.ReleaseWave(ctx, f, fmt.Sprintf("w%d", i), "B4001", "web")
		}
		if err != nil || len(w.Orders) != wave {
			b.Fatalf("wave %d: %d orders, %v", i, len(w.Orders), err)
		}
		cpu += int64(cpuTime() - cpu0)
	}
	b.StopTimer()
	b.ReportMetric(float64(cpu)/1e3/float64(b.N), "cpu-µs/op")
	b.ReportMetric(float64(waiting+wave), "orders-waiting")
}

// BenchmarkScanCeiling is what the disk allows one writer: a raw bbolt
// Update of one event's bytes, made durable, per op. Run it with the scan
// benchmarks to state them as a ratio to it in the same run:
//
//	go test ./wms -run XXX -bench 'PickScan|ScanCeiling' -benchtime 2000x
func BenchmarkScanCeiling(b *testing.B) {
	db, err := bolt.Open(filepath.Join(b.TempDir(), "raw.db"), 0o600, &bolt.Options{InitialMmapSize: 256 << 20})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("events")); return err }); err != nil {
		b.Fatal(err)
	}
	payload := make([]byte, eventSize(b))
	cpu0 := cpuTime()
	b.ResetTimer()
	for range b.N {
		if err := db.Update(func(tx *bolt.Tx) error {
			bk := tx.Bucket([]byte("events"))
			seq, _ := bk.NextSequence()
			return bk.Put(seqKey(seq), payload)
		}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}
