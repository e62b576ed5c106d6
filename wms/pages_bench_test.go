package wms

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// Pages a commit writes, and which buckets it dirties. Every bucket a
// write touches costs at least its leaf and the branch pages above it (a
// copy on write of the whole path), so the buckets one event touches are
// what one writer's commit carries to disk.
//
//	go test ./wms -run XXX -bench PagesPerCommit -benchtime 500x -v
//
// For each kind of write (the stock adjustment BenchmarkAppend appends, a
// pick scan of a single order's task and of a 12-order cluster's) it
// reports page-writes/op (bbolt's TxStats), buckets/op (top-level buckets
// whose root moved) and logs how often each bucket was dirtied with its
// depth.

// bucketRoots is every top-level bucket's root page (0 for an inline one)
// and depth.
func bucketRoots(tb testing.TB, l *Ledger) map[string][2]int {
	out := map[string][2]int{}
	err := l.db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			out[string(name)] = [2]int{int(b.Root()), b.Stats().Depth}
			return nil
		})
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// pageCounter counts, over ops, which buckets each op dirtied.
type pageCounter struct {
	l       *Ledger
	ops     int
	touched map[string]int
	depth   map[string]int
	writes  int64
	before  map[string][2]int
	w0      int64
	withRts bool
}

func (c *pageCounter) start(tb testing.TB) {
	if c.withRts {
		c.before = bucketRoots(tb, c.l)
	}
	c.w0 = pagesWritten(c.l.db)
}

func (c *pageCounter) stop(tb testing.TB) {
	c.writes += pagesWritten(c.l.db) - c.w0
	c.ops++
	if !c.withRts {
		return
	}
	after := bucketRoots(tb, c.l)
	for name, r := range after {
		if c.before[name][0] != r[0] || r[0] == 0 && c.before[name] != r {
			c.touched[name]++
			c.depth[name] = r[1]
		}
	}
}

func (c *pageCounter) report(b *testing.B) {
	b.ReportMetric(float64(c.writes)/float64(c.ops), "page-writes/op")
	var n int
	var names []string
	for name, k := range c.touched {
		n += k
		names = append(names, name)
	}
	b.ReportMetric(float64(n)/float64(c.ops), "buckets/op")
	sort.Slice(names, func(i, j int) bool { return c.touched[names[i]] > c.touched[names[j]] })
	var sb strings.Builder
	for _, name := range names {
		fmt.Fprintf(&sb, " %s=%.2f(d%d)", name, float64(c.touched[name])/float64(c.ops), c.depth[name])
	}
	b.Logf("buckets dirtied per op:%s", sb.String())
}

func BenchmarkPagesPerCommit(b *testing.B) {
	b.Run("append", func(b *testing.B) {
		l := appendStore(b)
		c := &pageCounter{l: l, touched: map[string]int{}, depth: map[string]int{}, withRts: true}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			ev := benchEvent(b, int64(i))
			c.start(b)
			if _, _, err := l.Append(context.Background(), ev); err != nil {
				b.Fatal(err)
			}
			c.stop(b)
		}
		c.report(b)
	})
	for _, cs := range []struct {
		name string
		mode WaveMode
		size int
	}{{"pick-single", WaveSingle, 1}, {"pick-cluster-12", WaveCluster, 12}} {
		b.Run(cs.name, func(b *testing.B) {
			l, _ := pickStore(b, cs.mode, cs.size, b.N/3+cs.size+1)
			c := &pageCounter{l: l, touched: map[string]int{}, depth: map[string]int{}, withRts: true}
			totes := map[string]string{}
			var task Task
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				scan := nextPickScan(b, l, &task, totes, cs.mode, i)
				c.start(b)
				raw, _, err := l.Pick(ctx, fmt.Sprintf("p%d", i), scan, "B1001", "pda")
				if err != nil {
					b.Fatalf("pick %d: %v", i, err)
				}
				c.stop(b)
				if err := json.Unmarshal(raw, &task); err != nil {
					b.Fatal(err)
				}
			}
			c.report(b)
		})
	}
}

// appendStore is a new ledger with seedSmall and 2000 events appended, a
// history first so that the log's trees have depth: the page benchmarks'
// store for an appended event.
func appendStore(b *testing.B) *Ledger {
	l, _ := openTest(b)
	seedSmall(b, l)
	for i := range 2000 {
		if _, _, err := l.Append(context.Background(), benchEvent(b, int64(-i-1))); err != nil {
			b.Fatal(err)
		}
	}
	return l
}
