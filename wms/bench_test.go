package wms

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"
)

// The ledger's appends against raw bbolt writes of the same size in the same
// run: the raw rate is the ceiling any ledger on this disk can reach.
//
//	go test ./wms -run XXX -bench Append -benchtime 4000x
//
// Each op is one event made durable (fsync'd) before the call returns. The
// ledger and its ceiling take turns (rounds of each, alternating) so that
// the machine's drift falls on both alike; ledger/s, raw/s and their ratio
// (ratio, aim >= 0.8) are reported. One writer is compared with raw bbolt
// Update (a lone writer commits at once), 64 with raw bbolt Batch at a 5 ms
// MaxBatchDelay (what the ledger itself used before group commit; measured
// as raw's best between 2 and 10 ms).

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

// rawBatchDelay is raw bbolt Batch's MaxBatchDelay in the ceiling.
const rawBatchDelay = 5 * time.Millisecond

// appendRounds is how many turns the ledger and raw bbolt each take.
const appendRounds = 4

func BenchmarkAppend(b *testing.B) {
	for _, writers := range []int{1, 64} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			l, _ := openTest(b)
			seedSmall(b, l)
			db, err := bolt.Open(filepath.Join(b.TempDir(), "raw.db"), 0o600, &bolt.Options{InitialMmapSize: 256 << 20})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			db.MaxBatchDelay = rawBatchDelay
			if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("events")); return err }); err != nil {
				b.Fatal(err)
			}
			events := make([]Event, b.N)
			for i := range events {
				events[i] = benchEvent(b, int64(i))
			}
			payload := make([]byte, eventSize(b))
			put := func(tx *bolt.Tx) error {
				bk := tx.Bucket([]byte("events"))
				seq, _ := bk.NextSequence()
				return bk.Put(seqKey(seq), payload)
			}
			raw := func(int) error { return db.Batch(put) }
			if writers == 1 {
				raw = func(int) error { return db.Update(put) }
			}
			// the least an idempotent log writes: the event, and its ID's
			// key (a random key, so its own leaf) to answer a retry
			ids, err := bolt.Open(filepath.Join(b.TempDir(), "ids.db"), 0o600, &bolt.Options{InitialMmapSize: 256 << 20})
			if err != nil {
				b.Fatal(err)
			}
			defer ids.Close()
			ids.MaxBatchDelay = rawBatchDelay
			if err := ids.Update(func(tx *bolt.Tx) error { return createBuckets(tx, "events", "event_ids") }); err != nil {
				b.Fatal(err)
			}
			putIDs := func(i int) func(tx *bolt.Tx) error {
				return func(tx *bolt.Tx) error {
					bk := tx.Bucket([]byte("events"))
					seq, _ := bk.NextSequence()
					if err := bk.Put(seqKey(seq), payload); err != nil {
						return err
					}
					return tx.Bucket([]byte("event_ids")).Put([]byte(events[i].ID), seqKey(seq))
				}
			}
			rawIDs := func(i int) error { return ids.Batch(putIDs(i)) }
			if writers == 1 {
				rawIDs = func(i int) error { return ids.Update(putIDs(i)) }
			}
			ledger := func(i int) error {
				_, _, err := l.Append(context.Background(), events[i])
				return err
			}
			var tLedger, tRaw, tIDs, cLedger, cRaw time.Duration
			var nLedger, nRaw int
			lw0, rw0, iw0 := pagesWritten(l.db), pagesWritten(db), pagesWritten(ids)
			b.ResetTimer()
			for r := range appendRounds {
				lo, hi := b.N*r/appendRounds, b.N*(r+1)/appendRounds
				c0 := cpuTime()
				tLedger += runWriters(b, writers, lo, hi, ledger)
				c1 := cpuTime()
				tRaw += runWriters(b, writers, lo, hi, raw)
				cLedger += c1 - c0
				cRaw += cpuTime() - c1
				tIDs += runWriters(b, writers, lo, hi, rawIDs)
				nLedger += hi - lo
				nRaw += hi - lo
			}
			b.StopTimer()
			ledgerRate := float64(nLedger) / tLedger.Seconds()
			rawRate := float64(nRaw) / tRaw.Seconds()
			idsRate := float64(nRaw) / tIDs.Seconds()
			b.ReportMetric(ledgerRate, "ledger/s")
			b.ReportMetric(rawRate, "raw/s")
			b.ReportMetric(ledgerRate/rawRate, "ratio")
			b.ReportMetric(idsRate, "raw-ids/s")
			b.ReportMetric(ledgerRate/idsRate, "ratio-ids")
			b.ReportMetric(float64(pagesWritten(ids)-iw0)/float64(nRaw), "raw-ids-writes/op")
			// CPU per event (this process, all threads) and pages written
			// to disk per event: what an fsync has to carry
			b.ReportMetric(float64(cLedger.Microseconds())/float64(nLedger), "ledger-cpu-µs/op")
			b.ReportMetric(float64(cRaw.Microseconds())/float64(nRaw), "raw-cpu-µs/op")
			b.ReportMetric(float64(pagesWritten(l.db)-lw0)/float64(nLedger), "ledger-writes/op")
			b.ReportMetric(float64(pagesWritten(db)-rw0)/float64(nRaw), "raw-writes/op")
			st := l.Stats()
			if c := st.Commits.Load(); c > 0 {
				b.ReportMetric(float64(st.Grouped.Load())/float64(c), "group")
			}
		})
	}
}

// createBuckets creates the named buckets in tx.
func createBuckets(tx *bolt.Tx, names ...string) error {
	for _, n := range names {
		if _, err := tx.CreateBucket([]byte(n)); err != nil {
			return err
		}
	}
	return nil
}

// pagesWritten is how many page writes db's commits have made so far.
func pagesWritten(db *bolt.DB) int64 {
	st := db.Stats()
	return st.TxStats.GetWrite()
}

// runWriters calls op for every i in [lo, hi) from the given number of
// goroutines and returns the time they took.
func runWriters(b *testing.B, writers, lo, hi int, op func(i int) error) time.Duration {
	var next atomic.Int64
	next.Store(int64(lo))
	var wg sync.WaitGroup
	start := time.Now()
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= hi {
					return
				}
				if err := op(i); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return time.Since(start)
}

// BenchmarkPickScan is the ledger's side of one picked unit: the pick event
// with its projections (stock, reservation, order, task, the picker's
// figures) made durable, and the task as the handheld gets it back. A task
// carries its pick records, so a cluster task of 12 orders costs more per
// scan than a single order's.
//
//	go test ./wms -run XXX -bench PickScan -benchtime 2000x
func BenchmarkPickScan(b *testing.B) {
	for _, c := range []struct {
		name string
		mode WaveMode
		size int
	}{{"single", WaveSingle, 1}, {"cluster-12", WaveCluster, 12}} {
		b.Run(c.name, func(b *testing.B) {
			l, _ := pickStore(b, c.mode, c.size, b.N/3+c.size+1) // three units an order
			totes := map[string]string{}
			var task Task
			var bytesBack int
			cpu0 := cpuTime()
			_, st0 := l.DBStats()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				raw, _, err := l.Pick(ctx, fmt.Sprintf("p%d", i), nextPickScan(b, l, &task, totes, c.mode, i), "B1001", "pda")
				if err != nil {
					b.Fatalf("pick %d: %v", i, err)
				}
				bytesBack += len(raw)
				if err := json.Unmarshal(raw, &task); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
			b.ReportMetric(float64(bytesBack)/float64(b.N), "task-bytes/op")
			_, st1 := l.DBStats()
			d := st1.TxStats.Sub(&st0.TxStats)
			b.ReportMetric(float64(d.GetWrite())/float64(b.N), "page-writes/op")
			b.ReportMetric(float64(d.GetPageAlloc())/float64(l.db.Info().PageSize)/float64(b.N), "pages/op")
		})
	}
}

// cpuTime is the process's CPU time so far (all threads): steadier than wall
// time on a shared machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// pickSKUs is how many SKUs pickShelves stocks.
const pickSKUs = 40

// pickShelves stocks pickSKUs SKUs (B000, B001, …), each on a pick location
// of its own in zone A with a million units.
func pickShelves(b testing.TB, l *Ledger) {
	for i := range pickSKUs {
		code := fmt.Sprintf("B%03d", i)
		loc := fmt.Sprintf("A01-%02d-%02d", 1+i/3, 1+i%3)
		mustAppend(b, l, "sku"+code, EvSKUUpserted, SKU{Code: code, Name: "书 " + code, GTINs: []string{demoGTIN("690000", i)}, UnitWeightG: 300})
		mustAppend(b, l, "loc"+loc, EvLocationUpserted, Location{Code: loc, Zone: "A", PickSeq: 10 * (i + 1), Kind: KindPick})
		mustAppend(b, l, "st"+code, EvStockAdjusted, StockAdjustment{SKU: code, Location: loc, Delta: 1_000_000, Reason: "bench"})
	}
}

// pickStore is a new ledger with pickShelves and orders orders of three
// units each (SO0000000, …), released in waves of mode and size of up to
// 240 orders until no order is left to release: the picking benchmarks'
// floor.
func pickStore(b testing.TB, mode WaveMode, size, orders int) (*Ledger, *testClock) {
	l, clock := openTest(b)
	pickShelves(b, l)
	const skus = pickSKUs
	for i := range orders {
		mustOrder(b, l, order(fmt.Sprintf("SO%07d", i), LineIn{fmt.Sprintf("B%03d", i%skus), 1},
			LineIn{fmt.Sprintf("B%03d", (i+7)%skus), 1}, LineIn{fmt.Sprintf("B%03d", (i+19)%skus), 1}))
	}
	for w := 0; ; w++ {
		if _, err := l.ReleaseWave(ctx, WaveFilter{Mode: mode, ClusterSize: size, MaxOrders: 240}, fmt.Sprintf("w%d", w), "B4001", "web"); err != nil {
			break
		}
	}
	return l, clock
}

// nextPickScan is picker B1001's scan of the next unit on pickStore's floor:
// the next line of the task in hand (a new task once it is done, so task
// is updated), into a tote of each order's own in a cluster task; i is
// how many units were picked before.
func nextPickScan(b *testing.B, l *Ledger, task *Task, totes map[string]string, mode WaveMode, i int) PickScan {
	line, ok := task.NextLine()
	if !ok {
		var err error
		if *task, err = l.NextTask(ctx, "B1001", "pda"); err != nil {
			b.Fatalf("next task after %d picks: %v", i, err)
		}
		line, _ = task.NextLine()
	}
	if mode == WaveCluster && totes[line.Order] == "" {
		totes[line.Order] = fmt.Sprintf("T%05d", len(totes))
	}
	return PickScan{Task: task.ID, Line: line.N, Location: line.Location, Items: []ScannedItem{{GTIN: line.GTINs[0]}}, Qty: 1, Tote: totes[line.Order]}
}
