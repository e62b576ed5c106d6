package wms

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"
)

// The ledger's appends against raw bbolt writes of the same size in the same
// run: the raw rate is the ceiling any ledger on this disk can reach.
//
//	go test ./wms -run XXX -bench Append -benchtime 3s
//
// Each op is one event made durable (fsync'd) before the call returns. A lone
// writer in the ledger commits with Update (Batch would hold it for its
// MaxBatchDelay), so one writer is compared with both raw forms.

func benchEvent(b *testing.B, n int64) Event {
	ev, err := NewEvent(uuid.NewString(), EvStockAdjusted, "B1001", "pda-17",
		StockAdjustment{SKU: "BOOK", Location: "A01-01-01", Delta: 1, Reason: fmt.Sprintf("bench %d", n)})
	if err != nil {
		b.Fatal(err)
	}
	return ev
}

// eventSize is the stored size of a typical bench event, for the raw benchmark.
func eventSize(b *testing.B) int {
	ev := benchEvent(b, 1)
	ev.Seq = 123456
	raw, _ := json.Marshal(ev)
	return len(raw)
}

func BenchmarkAppend(b *testing.B) {
	for _, writers := range []int{1, 64} {
		b.Run(fmt.Sprintf("ledger/writers=%d", writers), func(b *testing.B) {
			l, _ := openTest(b)
			seedSmall(b, l)
			var n atomic.Int64
			b.SetParallelism(max(1, writers/procs()))
			b.ResetTimer()
			if writers == 1 {
				for i := 0; i < b.N; i++ {
					if _, _, err := l.Append(context.Background(), benchEvent(b, int64(i))); err != nil {
						b.Fatal(err)
					}
				}
			} else {
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, _, err := l.Append(context.Background(), benchEvent(b, n.Add(1))); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
		for _, update := range []bool{false, true} {
			if update && writers > 1 {
				continue
			}
			name := "raw-bbolt-batch"
			if update {
				name = "raw-bbolt-update"
			}
			b.Run(fmt.Sprintf("%s/writers=%d", name, writers), func(b *testing.B) {
				db, err := bolt.Open(filepath.Join(b.TempDir(), "raw.db"), 0o600, &bolt.Options{InitialMmapSize: 256 << 20})
				if err != nil {
					b.Fatal(err)
				}
				defer db.Close()
				db.MaxBatchDelay = defaultBatchDelay // the ledger's setting, for a fair comparison
				if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("events")); return err }); err != nil {
					b.Fatal(err)
				}
				payload := make([]byte, eventSize(b))
				put := func() error {
					return db.Batch(func(tx *bolt.Tx) error {
						bk := tx.Bucket([]byte("events"))
						seq, _ := bk.NextSequence()
						return bk.Put(seqKey(seq), payload)
					})
				}
				if writers == 1 && update {
					put = func() error {
						return db.Update(func(tx *bolt.Tx) error {
							bk := tx.Bucket([]byte("events"))
							seq, _ := bk.NextSequence()
							return bk.Put(seqKey(seq), payload)
						})
					}
				}
				b.SetParallelism(max(1, writers/procs()))
				b.ResetTimer()
				if writers == 1 {
					for i := 0; i < b.N; i++ {
						if err := put(); err != nil {
							b.Fatal(err)
						}
					}
				} else {
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							if err := put(); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
			})
		}
	}
}

func procs() int { return runtime.GOMAXPROCS(0) }
