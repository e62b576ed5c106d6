package wms

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Which pages a commit writes, bucket by bucket. bbolt copies on write:
// every page a commit writes is a page reachable from the new root that was
// not reachable from the old one (plus the freelist and the meta page). The
// tracer reads the file before and after each op, walks both trees from
// their meta pages and names each new page by the bucket it belongs to
// ("(root)" for the top-level bucket's own pages, where small buckets live
// inline).
//
//	go test ./wms -run XXX -bench PageTrace -benchtime 300x -v
//
// It reads the whole file twice an op, so it is for tracing, not timing.

// pageOwners walks the file's tree from its newest valid meta page and
// returns, for every reachable page, the bucket it belongs to, and the
// freelist's pages.
func pageOwners(tb testing.TB, path string) (owners map[uint64]string, freelist []uint64) {
	raw, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	const hdr = 16
	psz := int(binary.LittleEndian.Uint32(raw[hdr+8:]))
	meta := func(id int) (root, free, txid uint64) {
		m := raw[id*psz+hdr:]
		return binary.LittleEndian.Uint64(m[16:]), binary.LittleEndian.Uint64(m[32:]), binary.LittleEndian.Uint64(m[48:])
	}
	r0, f0, t0 := meta(0)
	r1, f1, t1 := meta(1)
	root, free := r0, f0
	if t1 > t0 {
		root, free = r1, f1
	}
	owners = map[uint64]string{}
	page := func(id uint64) []byte { return raw[int(id)*psz:] }
	var walk func(id uint64, name string)
	walk = func(id uint64, name string) {
		p := page(id)
		flags := binary.LittleEndian.Uint16(p[8:])
		count := int(binary.LittleEndian.Uint16(p[10:]))
		overflow := binary.LittleEndian.Uint32(p[12:])
		for i := uint64(0); i <= uint64(overflow); i++ {
			owners[id+i] = name
		}
		walkPage(p, flags, count, name, walk)
	}
	walk(root, "(root)")
	if free != 0xffffffffffffffff {
		p := page(free)
		overflow := binary.LittleEndian.Uint32(p[12:])
		for i := uint64(0); i <= uint64(overflow); i++ {
			freelist = append(freelist, free+i)
		}
	}
	return owners, freelist
}

// walkPage visits a branch page's children and a leaf page's sub-buckets
// (an inline bucket's page is inside its parent's: walked for its own
// sub-buckets, owning no page).
func walkPage(p []byte, flags uint16, count int, name string, walk func(uint64, string)) {
	const hdr = 16
	switch {
	case flags&0x01 != 0: // branch
		for i := range count {
			e := p[hdr+i*16:]
			walk(binary.LittleEndian.Uint64(e[8:]), name)
		}
	case flags&0x02 != 0: // leaf
		for i := range count {
			e := p[hdr+i*16:]
			if binary.LittleEndian.Uint32(e)&0x01 == 0 {
				continue
			}
			pos := int(binary.LittleEndian.Uint32(e[4:]))
			ksz := int(binary.LittleEndian.Uint32(e[8:]))
			vsz := int(binary.LittleEndian.Uint32(e[12:]))
			key := string(e[pos : pos+ksz])
			val := e[pos+ksz : pos+ksz+vsz]
			sub := key
			if name != "(root)" {
				sub = name + "/" + key
			}
			if r := binary.LittleEndian.Uint64(val); r != 0 {
				walk(r, sub)
			} else if len(val) > 16 { // inline
				ip := val[16:]
				walkPage(ip, binary.LittleEndian.Uint16(ip[8:]), int(binary.LittleEndian.Uint16(ip[10:])), sub, func(uint64, string) {})
			}
		}
	}
}

// pageTrace counts, over ops, the pages each op's commit wrote by bucket.
type pageTrace struct {
	db     *bolt.DB
	writes int64 // bbolt's own count of page writes, to check the trace by
	w0     int64
	path   string
	ops    int
	pages  map[string]int
	before map[uint64]string
}

func (t *pageTrace) start(tb testing.TB) {
	t.before, _ = pageOwners(tb, t.path)
	t.w0 = pagesWritten(t.db)
}

func (t *pageTrace) stop(tb testing.TB) {
	t.writes += pagesWritten(t.db) - t.w0
	after, free := pageOwners(tb, t.path)
	for id, name := range after {
		if _, ok := t.before[id]; !ok {
			t.pages[name]++
		}
	}
	t.pages["(freelist)"] += len(free)
	t.pages["(meta)"]++
	t.ops++
}

func (t *pageTrace) report(b *testing.B) {
	var names []string
	var total int
	for n, k := range t.pages {
		names = append(names, n)
		total += k
	}
	sort.Slice(names, func(i, j int) bool {
		if t.pages[names[i]] != t.pages[names[j]] {
			return t.pages[names[i]] > t.pages[names[j]]
		}
		return names[i] < names[j]
	})
	var sb strings.Builder
	for _, n := range names {
		fmt.Fprintf(&sb, " %s=%.2f", n, float64(t.pages[n])/float64(t.ops))
	}
	b.ReportMetric(float64(total)/float64(t.ops), "pages/op")
	b.ReportMetric(float64(t.writes)/float64(t.ops), "bbolt-writes/op") // the same when every page is counted once
	b.Logf("pages written per op by bucket:%s", sb.String())
}

// BenchmarkPageTrace traces an appended event and a pick scan (of single
// orders' tasks) with many pickers, so that the staff figures' buckets have
// the depth they have on a floor.
func BenchmarkPageTrace(b *testing.B) {
	b.Run("append", func(b *testing.B) {
		l := appendStore(b)
		t := &pageTrace{db: l.db, path: l.Path(), pages: map[string]int{}}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			ev := benchEvent(b, int64(i))
			t.start(b)
			if _, _, err := l.Append(context.Background(), ev); err != nil {
				b.Fatal(err)
			}
			t.stop(b)
		}
		t.report(b)
		b.Logf("root pages:%s", rootPages(b, l.Path()))
	})
	b.Run("pick", func(b *testing.B) {
		f := newPickFloor(b, 60, b.N)
		t := &pageTrace{db: f.l.db, path: f.l.Path(), pages: map[string]int{}}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			who := i % len(f.tasks)
			f.ready(who)
			t.start(b)
			f.pick(who, fmt.Sprintf("t%d", i))
			t.stop(b)
			f.clock.Add(time.Second)
		}
		t.report(b)
		b.Logf("root:%s", rootReport(b, f.l))
		b.Logf("root pages:%s", rootPages(b, f.l.Path()))
	})
	// every picker scans at once, as on a busy floor: the picks share
	// commits (group commit), and what one commit writes is shared by its
	// group
	b.Run("pick-grouped", func(b *testing.B) {
		const pickers = 60
		f := newPickFloor(b, pickers, b.N)
		st := f.l.Stats()
		var commits, pages, picks int64
		b.ResetTimer()
		for picks < int64(b.N) {
			for who := range pickers {
				f.ready(who)
			}
			c0, w0 := st.Commits.Load(), pagesWritten(f.l.db)
			var wg sync.WaitGroup
			for who := range pickers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					f.pick(who, fmt.Sprintf("g%d-%d", picks, who))
				}()
			}
			wg.Wait()
			commits += int64(st.Commits.Load() - c0) // the picks' commits alone, not the next tasks'
			pages += pagesWritten(f.l.db) - w0
			picks += pickers
			f.clock.Add(time.Second)
		}
		b.StopTimer()
		b.ReportMetric(float64(pages)/float64(picks), "page-writes/pick")
		b.ReportMetric(float64(picks)/float64(commits), "picks/commit")
	})
}

// pickFloor is a store with stock on 40 shelves, orders of three lines
// released in single-order waves, and pickers each with a task in hand.
type pickFloor struct {
	b      *testing.B
	l      *Ledger
	clock  *testClock
	badges []string
	tasks  []Task
}

func newPickFloor(b *testing.B, pickers, picks int) *pickFloor {
	warm := 20 * pickers // picks before tracing, so the figures have history
	l, clock := pickStore(b, WaveSingle, 1, (picks+warm+pickers)/3+2*pickers+1)
	f := &pickFloor{b: b, l: l, clock: clock, badges: make([]string, pickers), tasks: make([]Task, pickers)}
	for i := range f.badges {
		f.badges[i] = fmt.Sprintf("P%04d", i)
	}
	for i := range warm {
		f.ready(i % pickers)
		f.pick(i%pickers, fmt.Sprintf("warm%d", i))
		clock.Add(time.Second)
	}
	return f
}

// ready gives picker who a task with a line to pick.
func (f *pickFloor) ready(who int) {
	if _, ok := f.tasks[who].NextLine(); !ok {
		var err error
		if f.tasks[who], err = f.l.NextTask(ctx, f.badges[who], "pda"); err != nil {
			f.b.Fatalf("next task for %s: %v", f.badges[who], err)
		}
	}
}

// pick scans picker who's next unit.
func (f *pickFloor) pick(who int, id string) {
	task := &f.tasks[who]
	line, _ := task.NextLine()
	raw, _, err := f.l.Pick(ctx, id, PickScan{Task: task.ID, Line: line.N, Location: line.Location,
		Items: []ScannedItem{{GTIN: line.GTINs[0]}}, Qty: 1}, f.badges[who], "pda")
	if err != nil {
		f.b.Errorf("pick %s: %v", id, err)
		return
	}
	if err := jsonUnmarshal(raw, task); err != nil {
		f.b.Error(err)
	}
}

// rootReport describes the top-level bucket's pages: how many, and the
// inline buckets' sizes inside them.
func rootReport(tb testing.TB, l *Ledger) string {
	var sb strings.Builder
	err := l.db.View(func(tx *bolt.Tx) error {
		inline, total := 0, 0
		_ = tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			st := b.Stats()
			if b.Root() == 0 {
				inline++
				total += st.InlineBucketInuse
				fmt.Fprintf(&sb, " %s:%d", name, st.InlineBucketInuse)
			}
			return nil
		})
		fmt.Fprintf(&sb, " | %d inline buckets, %d bytes", inline, total)
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return sb.String()
}

// rootPages lists the top-level bucket's pages: each one's kind, its
// element count and the bytes its elements take.
func rootPages(tb testing.TB, path string) string {
	raw, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	const hdr = 16
	psz := int(binary.LittleEndian.Uint32(raw[hdr+8:]))
	m0, m1 := raw[hdr:], raw[psz+hdr:]
	root := binary.LittleEndian.Uint64(m0[16:])
	if binary.LittleEndian.Uint64(m1[48:]) > binary.LittleEndian.Uint64(m0[48:]) {
		root = binary.LittleEndian.Uint64(m1[16:])
	}
	var sb strings.Builder
	var walk func(id uint64, depth int)
	walk = func(id uint64, depth int) {
		p := raw[int(id)*psz:]
		flags := binary.LittleEndian.Uint16(p[8:])
		count := int(binary.LittleEndian.Uint16(p[10:]))
		if flags&0x01 != 0 {
			fmt.Fprintf(&sb, " [d%d branch %d]", depth, count)
			for i := range count {
				walk(binary.LittleEndian.Uint64(p[hdr+i*16+8:]), depth+1)
			}
			return
		}
		used := hdr + count*16
		first := ""
		for i := range count {
			e := p[hdr+i*16:]
			pos := int(binary.LittleEndian.Uint32(e[4:]))
			ksz := int(binary.LittleEndian.Uint32(e[8:]))
			vsz := int(binary.LittleEndian.Uint32(e[12:]))
			used += ksz + vsz
			if i == 0 {
				first = string(e[pos : pos+ksz])
			}
		}
		fmt.Fprintf(&sb, " [d%d leaf %d keys from %q, %d bytes]", depth, count, first, used)
	}
	walk(root, 0)
	return sb.String()
}
