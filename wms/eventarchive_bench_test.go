package wms

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// BenchmarkEventRead: reading one event by sequence number from the live
// log, from the archive in the member read last (cached), and from the
// archive at random (a member read and decompressed each time), in one run.
//
//	go test ./wms -run XXX -bench EventRead -benchtime 2000x
func BenchmarkEventRead(b *testing.B) {
	clock := &testClock{t: time.Date(2026, 11, 11, 2, 0, 0, 0, time.UTC)}
	l, err := Open(b.TempDir(), Options{Now: clock.Now, NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	monthSetup(b, l, 0)
	put := func(prefix string, n int) {
		for i := 0; i < n; i += 1000 {
			var evs []Event
			for j := i; j < min(n, i+1000); j++ {
				ev, err := NewEvent(fmt.Sprintf("%s%d", prefix, j), EvStockAdjusted, "B1001", "pda",
					StockAdjustment{SKU: fmt.Sprintf("M%03d", j%monthSKUs), Location: fmt.Sprintf("C01-%02d-%02d", 1+(j%monthSKUs)/3, 1+(j%monthSKUs)%3), Delta: 1, Reason: "bench"})
				if err != nil {
					b.Fatal(err)
				}
				evs = append(evs, ev)
			}
			if err := l.AppendAll(context.Background(), evs); err != nil {
				b.Fatal(err)
			}
		}
	}
	put("old", 60_000)
	clock.Add(5 * 24 * time.Hour)
	put("new", 20_000)
	run, err := l.Archive(context.Background(), eventsOnly(3*24*time.Hour), "system", "bench")
	if err != nil || run.Moved == 0 {
		b.Fatalf("moved %d: %v", run.Moved, err)
	}
	through := uint64(run.Moved)
	last := l.LastSeq()
	read := func(b *testing.B, seq func(i int) uint64) {
		clearMemberCache()
		b.ResetTimer()
		for i := range b.N {
			if err := l.view(func(tx *txn) error { _, err := eventAt(tx, seq(i)); return err }); err != nil {
				b.Fatal(err)
			}
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	b.Run("live", func(b *testing.B) { read(b, func(int) uint64 { return through + 1 + r.Uint64N(last-through) }) })
	b.Run("archived-cached", func(b *testing.B) {
		read(b, func(i int) uint64 { return 1 + uint64(i)%uint64(min(segmentEvents, int(through))) })
	})
	b.Run("archived-random", func(b *testing.B) { read(b, func(int) uint64 { return 1 + r.Uint64N(through) }) })
	b.ReportMetric(float64(through), "archived-events")
}
