package wms

import (
	"fmt"
	"path/filepath"
	"testing"
)

// BenchmarkIDTableRuns: what one table a run costs a lookup as the tables
// add up (a daily run: 30 in a month, 365 in a year), for a new event's ID
// (a miss in every table: a filter probe each) and a repeat of the oldest
// run's ID (a hit in the last table asked, after a probe of every other),
// beside the ceilings measured in the same run: a miss in bbolt's
// event_ids (the live lookup every event makes already) and one raw bbolt
// Update (the commit a single writer's event waits for). The tables are
// small (TALLY_IDS_PER_RUN IDs each) and warm.
//
//	go test ./wms -run XXX -bench IDTableRuns -benchtime 20000x
func BenchmarkIDTableRuns(b *testing.B) {
	perRun := envInt("TALLY_IDS_PER_RUN", 2_000)
	dir := b.TempDir()
	const most = 365
	name := func(r int) string { return fmt.Sprintf("run-%03d.ids", r) }
	for r := range most {
		writeTestIDTable(b, filepath.Join(dir, name(r)), perRun, fmt.Sprintf("r%d-%%d", r), idVersion)
	}
	ts := &idTables{}
	defer ts.closeAll()
	load := func(n int) {
		ts.closeAll()
		for r := range n {
			t, err := openIDTable(filepath.Join(dir, name(r)))
			if err != nil {
				b.Fatal(err)
			}
			t.name = name(r)
			for _, h := range t.index {
				if _, ok, err := t.lookup(h); !ok || err != nil {
					b.Fatal(ok, err)
				}
			}
			ts.install(t)
		}
	}
	for _, n := range []int{1, 30, 365} {
		b.Run(fmt.Sprintf("tables=%d/miss", n), func(b *testing.B) {
			load(n)
			hs := hashes(b.N, "new-%d", 1<<62)
			b.ResetTimer()
			for i := range b.N {
				if _, ok, err := ts.lookup(hs[i]); ok || err != nil {
					b.Fatal(ok, err)
				}
			}
		})
		b.Run(fmt.Sprintf("tables=%d/hit-oldest", n), func(b *testing.B) {
			load(n)
			// the table asked last (newest name first)
			hs := hashes(b.N, "r0-%d", perRun)
			b.ResetTimer()
			for i := range b.N {
				if _, ok, err := ts.lookup(hs[i]); !ok || err != nil {
					b.Fatal(ok, err)
				}
			}
		})
	}
	// the ceilings, in the same run
	benchBboltCeilings(b, dir, perRun*30)
}
