package wms

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// BenchmarkIDTableLookup: what a new event's ID costs past the live
// buckets (a miss in every month's table: the extra cost of every new
// event once tables exist) and what a repeat costs (a hit), with 1, 12
// and 24 month files, for tables with a filter (idfilter.go, v2) and
// without (v1, the tables before it: a block read a table), beside the
// ceilings measured in the same run: a miss in bbolt's event_ids (the live
// lookup every event makes already) and one raw bbolt Update (the commit
// a single writer's event waits for). The tables are warm (every block
// and filter page read once, as on a server that has run a while); a cold
// block costs a page fault (a disk read when not cached). The miss's
// "blocks/op" is the block reads a miss made (the filter's false
// positives).
//
//	go test ./wms -run XXX -bench IDTableLookup -benchtime 20000x
func BenchmarkIDTableLookup(b *testing.B) {
	perFile := envInt("TALLY_IDS_PER_FILE", 250_000) // 10 MB a file; the cost is one block read whatever the size
	dir := b.TempDir()
	ts := &idTables{}
	const months = 24
	name := func(v uint32, m int) string { return fmt.Sprintf("v%d-%d-%02d.ids", v, 2025+m/12, m%12+1) }
	for _, v := range []uint32{idVersion1, idVersion} {
		for m := range months {
			writeTestIDTable(b, filepath.Join(dir, name(v, m)), perFile, fmt.Sprintf("m%d-%%d", m), v)
		}
	}
	// load opens n tables and, for a server that has run a while, reads
	// every block and filter page once (each CRC checked, its pages cached)
	load := func(v uint32, n int) {
		ts.closeAll()
		for m := range n {
			t, err := openIDTable(filepath.Join(dir, name(v, m)))
			if err != nil {
				b.Fatal(err)
			}
			for _, h := range t.index {
				if _, ok, err := t.lookup(h); !ok || err != nil {
					b.Fatal(ok, err)
				}
			}
			ts.install(t)
		}
	}
	defer ts.closeAll()
	for _, files := range []int{1, 12, 24} {
		for _, v := range []uint32{idVersion1, idVersion} {
			b.Run(fmt.Sprintf("files=%d/v%d/miss", files, v), func(b *testing.B) {
				load(v, files)
				hs := hashes(b.N, "new-%d", 1<<62)
				b.ResetTimer()
				for i := range b.N {
					if _, ok, err := ts.lookup(hs[i]); ok || err != nil {
						b.Fatal(ok, err)
					}
				}
				b.StopTimer()
				reads := 0
				for i := range b.N {
					for _, t := range ts.list {
						if ok, _ := t.mayHold(hs[i]); ok {
							reads++
						}
					}
				}
				b.ReportMetric(float64(reads)/float64(b.N), "blocks/op")
			})
			b.Run(fmt.Sprintf("files=%d/v%d/hit-oldest", files, v), func(b *testing.B) {
				load(v, files)
				hs := hashes(b.N, "m0-%d", perFile)
				b.ResetTimer()
				for i := range b.N {
					if _, ok, err := ts.lookup(hs[i]); !ok || err != nil {
						b.Fatal(ok, err)
					}
				}
			})
		}
	}
	b.Run("hash", func(b *testing.B) {
		id := "3f2a9c1e-8d4b-4c7a-9e2f-1b5d6a7c8e9f"
		for range b.N {
			_ = hashID(id)
		}
	})
	// the ceilings, in the same run
	benchBboltCeilings(b, dir, perFile)
}

// BenchmarkIDTableSize: bytes an ID takes in bbolt (event_ids and
// event_keys of a generated, compacted store) and in the ID table after
// they move, in the same run.
//
//	TALLY_IDS_EVENTS=300000 go test ./wms -run XXX -bench IDTableSize -benchtime 1x
func BenchmarkIDTableSize(b *testing.B) {
	events := envInt("TALLY_IDS_EVENTS", 300_000)
	for range b.N {
		dir := b.TempDir()
		zone := time.FixedZone("CST", 8*3600)
		if _, err := Generate(ctx, dir, GenerateOptions{Events: events, Days: 10, Seed: 1, Zone: zone}); err != nil {
			b.Fatal(err)
		}
		// the answers go first (as they do, --keep-answers ≤ --keep-ids):
		// what moves is the IDs and the keys' records without answers
		l, err := Open(dir, Options{Zone: zone})
		if err != nil {
			b.Fatal(err)
		}
		r := DefaultRetention()
		r.Keys, r.IDs = time.Hour, 0
		if _, err := l.Archive(ctx, r, "system", "bench"); err != nil {
			b.Fatal(err)
		}
		l.Close()
		if _, err := Compact(dir, false, 0); err != nil {
			b.Fatal(err)
		}
		if l, err = Open(dir, Options{Zone: zone}); err != nil {
			b.Fatal(err)
		}
		var entries int
		var inuse int
		_ = l.view(func(tx *txn) error {
			for _, name := range [][]byte{bucketEventIDs, bucketKeys, bucketKeySeqs} {
				s := tx.Bucket(name).Stats()
				inuse += s.BranchInuse + s.LeafInuse
				if string(name) == string(bucketEventIDs) {
					entries = s.KeyN
				}
			}
			return nil
		})
		before := fileSize(b, l.Path())
		r.IDs = 24 * time.Hour
		start := time.Now()
		run, err := l.Archive(ctx, r, "system", "bench")
		if err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		var tableBytes int64
		var records uint64
		for _, t := range l.tables().list {
			tableBytes += fileSize(b, filepath.Join(l.ArchiveDir(), t.name))
			records += t.count
		}
		l.Close()
		if _, err := Compact(dir, false, 0); err != nil {
			b.Fatal(err)
		}
		after := fileSize(b, filepath.Join(dir, dbFile))
		b.ReportMetric(float64(inuse)/float64(entries), "bbolt-B/ID")
		b.ReportMetric(float64(tableBytes)/float64(records), "table-B/ID")
		b.ReportMetric(float64(run.IDs), "IDs-moved")
		b.ReportMetric(float64(before-after)/float64(run.IDs), "store-B-freed/ID")
		b.ReportMetric(took.Seconds(), "archive-s")
		b.ReportMetric(float64(run.LongestWrite.Microseconds())/1000, "longest-write-ms")
	}
}

func fileSize(b *testing.B, path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return fi.Size()
}

func hashes(n int, format string, mod int) []idHash {
	hs := make([]idHash, n)
	for i := range hs {
		hs[i] = hashID(fmt.Sprintf(format, i%mod))
	}
	return hs
}

// BenchmarkIDTableWrite: what the filter adds to writing a table (v2: the
// blocks read back and the filter built and written) against writing it
// without (v1), in the same run.
//
//	go test ./wms -run XXX -bench IDTableWrite -benchtime 3x
func BenchmarkIDTableWrite(b *testing.B) {
	n := envInt("TALLY_IDS_PER_FILE", 250_000)
	recs := make([]idRecord, n)
	for i := range recs {
		recs[i] = newIDRecord(fmt.Sprint("w-", i), uint64(i+1), true, nil)
	}
	sortRecords(recs)
	dir := b.TempDir()
	for _, v := range []uint32{idVersion1, idVersion} {
		b.Run(fmt.Sprintf("v%d", v), func(b *testing.B) {
			for i := range b.N {
				path := filepath.Join(dir, fmt.Sprintf("v%d-%d.ids", v, i))
				w, err := createIDTable(path)
				if err != nil {
					b.Fatal(err)
				}
				w.version = v
				for _, r := range recs {
					if err := w.add(r); err != nil {
						b.Fatal(err)
					}
				}
				if _, err := w.finish(); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				fi, _ := os.Stat(path)
				b.ReportMetric(float64(fi.Size())/float64(n), "B/ID")
				os.Remove(path)
				b.StartTimer()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/ID")
		})
	}
}

// benchBboltCeilings runs the ceilings an ID lookup is measured against, in
// the same run: a raw bbolt bucket of ids IDs (in a file in dir), one
// read-only transaction's miss ("bbolt-get-miss") and one update
// transaction's put ("bbolt-update").
func benchBboltCeilings(b *testing.B, dir string, ids int) {
	db, err := bolt.Open(filepath.Join(dir, "raw.db"), 0o600, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error {
		bk, err := tx.CreateBucketIfNotExists([]byte("ids"))
		if err != nil {
			return err
		}
		for i := range ids {
			if err := bk.Put([]byte(fmt.Sprintf("id-%09d", i)), seqKey(uint64(i))); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	b.Run("bbolt-get-miss", func(b *testing.B) {
		for i := range b.N {
			_ = db.View(func(tx *bolt.Tx) error {
				if tx.Bucket([]byte("ids")).Get([]byte(fmt.Sprintf("new-%d", i))) != nil {
					b.Fatal("hit")
				}
				return nil
			})
		}
	})
	b.Run("bbolt-update", func(b *testing.B) {
		for i := range b.N {
			if err := db.Update(func(tx *bolt.Tx) error {
				return tx.Bucket([]byte("ids")).Put([]byte(fmt.Sprintf("new-%d", i)), seqKey(uint64(i)))
			}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
