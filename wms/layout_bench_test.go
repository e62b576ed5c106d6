package wms

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"
)

// BenchmarkLogLayout asks raw bbolt what the log's layout costs a lone
// writer's commit (fsync'd), in a file already holding TALLY_LAYOUT_EVENTS
// events (default 200,000) beside 60 other buckets, as a store has:
//
//   - one: the event alone in one bucket (raw, the ceiling);
//   - ids: the event and its ID's key (the least an idempotent log writes);
//   - four: the event, its ID, its type's and its lot's index keys in four
//     buckets (what the ledger writes for a stock event);
//   - prefixed: the same four keys in one bucket, told apart by a prefix;
//   - deferred: the event alone, and every 64th commit the index keys of
//     the 64 events before it (what a log whose indexes trail it, rebuilt
//     from the log's tail after a crash, would write).
//
// Each reports pages written and commits a second, and its ratio to one in
// the same run. It is why the log's buckets stay apart: every key lands on a
// leaf of its own either way (the ID is random; the indexes end at their
// type's and lot's runs), so one bucket saves only its root's pages.
//
//	go test ./wms -run XXX -bench LogLayout -benchtime 400x
func BenchmarkLogLayout(b *testing.B) {
	prefill := 200_000
	if v := os.Getenv("TALLY_LAYOUT_EVENTS"); v != "" {
		var err error
		if prefill, err = strconv.Atoi(v); err != nil || prefill < 0 {
			b.Fatalf("TALLY_LAYOUT_EVENTS=%q", v)
		}
	}
	var oneRate float64
	for _, layout := range []string{"one", "ids", "four", "prefixed", "deferred"} {
		b.Run(layout, func(b *testing.B) {
			db, err := bolt.Open(filepath.Join(b.TempDir(), "layout.db"), 0o600, &bolt.Options{InitialMmapSize: 256 << 20})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			if err := db.Update(func(tx *bolt.Tx) error {
				for i := range 60 {
					if _, err := tx.CreateBucket(fmt.Appendf(nil, "projection%02d", i)); err != nil {
						return err
					}
				}
				return createBuckets(tx, "events", "event_ids", "by_type", "lot_events", "log")
			}); err != nil {
				b.Fatal(err)
			}
			payload := make([]byte, eventSize(b))
			var n uint64
			type kv struct {
				bucket string
				k, v   []byte
			}
			var pending []kv
			put := func(tx *bolt.Tx) error {
				n++
				id := []byte(uuid.NewString())
				typ := append(fmt.Appendf(nil, "type%d\x00", n%20), seqKey(n)...)
				lot := append(fmt.Appendf(nil, "owner\x00sku%d\x00lot\x00", n%500), seqKey(n)...)
				keys := []kv{{"events", seqKey(n), payload}, {"event_ids", id, seqKey(n)}, {"by_type", typ, nil}, {"lot_events", lot, nil}}
				switch layout {
				case "one":
					keys = keys[:1]
				case "deferred":
					pending = append(pending, keys[1:]...)
					keys = keys[:1]
					if n%64 == 0 {
						keys, pending = append(keys, pending...), pending[:0]
					}
				case "ids":
					keys = keys[:2]
				case "prefixed":
					for i := range keys {
						keys[i].k = append([]byte{byte('a' + i)}, keys[i].k...)
						keys[i].bucket = "log"
					}
				}
				for _, k := range keys {
					if err := tx.Bucket([]byte(k.bucket)).Put(k.k, k.v); err != nil {
						return err
					}
				}
				return nil
			}
			for done := 0; done < prefill; {
				if err := db.Update(func(tx *bolt.Tx) error {
					for ; done < prefill; done++ {
						if err := put(tx); err != nil {
							return err
						}
						if done%10_000 == 9_999 {
							done++
							return nil
						}
					}
					return nil
				}); err != nil {
					b.Fatal(err)
				}
			}
			w0 := pagesWritten(db)
			b.ResetTimer()
			start := time.Now()
			for range b.N {
				if err := db.Update(put); err != nil {
					b.Fatal(err)
				}
			}
			rate := float64(b.N) / time.Since(start).Seconds()
			b.StopTimer()
			if layout == "one" {
				oneRate = rate
			}
			b.ReportMetric(float64(pagesWritten(db)-w0)/float64(b.N), "pages/op")
			b.ReportMetric(rate, "commits/s")
			if oneRate > 0 {
				b.ReportMetric(rate/oneRate, "ratio-to-one")
			}
		})
	}
}
