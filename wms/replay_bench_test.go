package wms

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkRebuildCheck measures Rebuild and Check of a store of N events
// (TALLY_REBUILD_EVENTS, default 100,000: the demo warehouse, then orders
// received and cancelled, stock adjusted and moved, appended with
// AppendAll), next to two ceilings of the same run: a raw bbolt read of
// every event, and that read plus a bare json.Unmarshal of each into an
// Event (the least a replay does). Each is reported in events a second, the
// replays also as a ratio to the unmarshal ceiling, with the peak Go heap
// (sampled) and the peak RSS (VmHWM, reset before each) during each. The
// machine is shared, so the same is reported per CPU second of this
// process (user and system) too.
// TALLY_REBUILD_DATA=DIR uses the store in DIR (tally.db: made by `tally
// generate`, or by an earlier run, which this one then reuses) instead.
// TALLY_REPLAY_OVERLAY=0 replays without the write-back overlay
// (overlay.go), for a before/after in one sitting; with it, the log says
// how many records it wrote and how many Gets it answered.
// TALLY_REPLAY_TYPED=0 replays without the overlay's decoded orders and
// tasks (overlay_typed.go), likewise.
//
//	go test ./wms -run XXX -bench RebuildCheck -benchtime 1x -timeout 60m
//	TALLY_REBUILD_DATA=/tmp/gen10m go test ./wms -run XXX -bench RebuildCheck -benchtime 1x -timeout 600m
func BenchmarkRebuildCheck(b *testing.B) {
	n := 100_000
	if v := os.Getenv("TALLY_REBUILD_EVENTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			b.Fatalf("TALLY_REBUILD_EVENTS=%q", v)
		}
	}
	if v := os.Getenv("TALLY_REBUILD_CHUNK"); v != "" { // events a replay commits at a time
		c, err := strconv.Atoi(v)
		if err != nil || c <= 0 {
			b.Fatalf("TALLY_REBUILD_CHUNK=%q", v)
		}
		was := replayChunkEvents
		replayChunkEvents = c
		defer func() { replayChunkEvents = was }()
	}
	if os.Getenv("TALLY_REPLAY_OVERLAY") == "0" { // the replays without their overlay (overlay.go)
		was := replayOverlay
		replayOverlay = false
		defer func() { replayOverlay = was }()
	}
	if os.Getenv("TALLY_REPLAY_TYPED") == "0" { // the replays without decoded orders and tasks (overlay_typed.go)
		was := replayTyped
		replayTyped = false
		defer func() { replayTyped = was }()
	}
	replayDoneHook = func(st *replayState) {
		if o := st.overlay; o != nil {
			b.Logf("overlay: %d records written at flushes, Gets %d from it and %d from bbolt, %d chunk-buckets iterated %v, %d spills (over %d records); %d chunks ended early (over %d pages held)", o.flushed, o.hits, o.misses, o.offs, o.offBy, o.spills, overlayMaxEntries, st.nodeCuts, replayChunkNodes)
			b.Logf("decoded records (replayTyped %v): %d reads answered, %d writes kept, at most %.1f MiB held (bound %d MiB, reached %d times)", replayTyped, o.typedHits, o.typedPuts, float64(o.typedPeak)/(1<<20), overlayTypedMax>>20, o.typedFull)
		}
	}
	defer func() { replayDoneHook = nil }()
	dir := os.Getenv("TALLY_REBUILD_DATA")
	if dir == "" {
		dir = b.TempDir()
	}
	if _, err := os.Stat(filepath.Join(dir, dbFile)); err != nil {
		start := time.Now()
		buildReplayStore(b, dir, n)
		b.Logf("store of %d events built in %v", n, time.Since(start).Round(time.Second))
	}
	l, err := Open(dir, Options{KeepProjections: true})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	events := float64(l.LastSeq())
	size, _ := l.DBStats()
	b.Logf("store: %d events, %.1f MiB", int64(events), float64(size)/(1<<20))
	b.ResetTimer()
	for range b.N {
		var read, unmarshal, unmarshalCPU, rebuildCPU, checkCPU time.Duration
		_, _, _ = measured(func() error {
			start := time.Now()
			err := l.view(func(tx *txn) error {
				c := tx.Bucket(bucketEvents).Cursor()
				var sum int
				for k, v := c.First(); k != nil; k, v = c.Next() {
					sum += len(v)
				}
				if sum == 0 {
					return fmt.Errorf("no events")
				}
				return nil
			})
			read = time.Since(start)
			return err
		})
		_, _, _ = measured(func() error {
			start, cpu := time.Now(), cpuTime()
			defer func() { unmarshalCPU = cpuTime() - cpu }()
			err := l.view(func(tx *txn) error {
				c := tx.Bucket(bucketEvents).Cursor()
				for k, v := c.First(); k != nil; k, v = c.Next() {
					var ev Event
					if err := json.Unmarshal(v, &ev); err != nil {
						return err
					}
				}
				return nil
			})
			unmarshal = time.Since(start)
			return err
		})
		var rebuild time.Duration
		before := l.db.Stats().TxStats
		rHeap, rRSS, rAnon := measured(func() error {
			start, cpu := time.Now(), cpuTime()
			defer func() { rebuildCPU = cpuTime() - cpu }()
			err := l.Rebuild()
			rebuild = time.Since(start)
			return err
		})
		after := l.db.Stats().TxStats
		tx := after.Sub(&before)
		b.Logf("rebuild: %v wall, %v CPU; its commits: %d writes %v (fsync included), spill %v, rebalance %v",
			rebuild.Round(time.Millisecond), rebuildCPU.Round(time.Millisecond), tx.GetWrite(), tx.GetWriteTime().Round(time.Millisecond),
			tx.GetSpillTime().Round(time.Millisecond), tx.GetRebalanceTime().Round(time.Millisecond))
		var check time.Duration
		cHeap, cRSS, cAnon := measured(func() error {
			start, cpu := time.Now(), cpuTime()
			defer func() { checkCPU = cpuTime() - cpu }()
			mm, err := l.Check(dir)
			check = time.Since(start)
			if err == nil && len(mm) > 0 {
				err = fmt.Errorf("check: %d mismatches, first %s", len(mm), mm[0])
			}
			return err
		})
		if benchErr != nil {
			b.Fatal(benchErr)
		}
		rate := func(d time.Duration) float64 { return events / d.Seconds() }
		b.ReportMetric(rate(read), "read_ev/s")
		b.ReportMetric(rate(unmarshal), "unmarshal_ev/s")
		b.ReportMetric(rate(rebuild), "rebuild_ev/s")
		b.ReportMetric(rate(check), "check_ev/s")
		b.ReportMetric(unmarshal.Seconds()/rebuild.Seconds(), "rebuild/unmarshal")
		b.ReportMetric(unmarshal.Seconds()/check.Seconds(), "check/unmarshal")
		b.ReportMetric(rate(rebuildCPU), "rebuild_ev/cpu_s")
		b.ReportMetric(rate(checkCPU), "check_ev/cpu_s")
		b.ReportMetric(unmarshalCPU.Seconds()/rebuildCPU.Seconds(), "rebuild/unmarshal_cpu")
		b.ReportMetric(float64(rHeap)/(1<<20), "rebuild_heap_MiB")
		b.ReportMetric(float64(cHeap)/(1<<20), "check_heap_MiB")
		b.Logf("peak RSS: rebuild %.0f MiB (anonymous %.0f), check %.0f MiB (anonymous %.0f), of a %.0f MiB store", float64(rRSS)/(1<<20), float64(rAnon)/(1<<20),
			float64(cRSS)/(1<<20), float64(cAnon)/(1<<20), float64(size)/(1<<20))
		b.ReportMetric(float64(max(rAnon, cAnon))/(1<<20), "anon_rss_MiB")
	}
}

var benchErr error

// measured runs fn and returns the peak Go heap (live objects, sampled every
// 10 ms), the peak resident set (VmHWM, reset before: it counts the pages of
// the store's file mapped and read, which the kernel takes back at will) and
// the peak of its anonymous part (RssAnon, sampled every 100 ms: memory the
// process holds; 0 where Linux's /proc is not there). An error of fn is kept
// in benchErr.
func measured(fn func() error) (peakHeap, peakRSS, peakAnonRSS uint64) {
	runtime.GC()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) // resets VmHWM
	var peak, peakAnon atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for i := 0; ; i++ {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			if i%10 == 0 {
				if v := procStatus("RssAnon:"); v > peakAnon.Load() {
					peakAnon.Store(v)
				}
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	if err := fn(); err != nil && benchErr == nil {
		benchErr = err
	}
	close(stop)
	wg.Wait()
	return peak.Load(), vmHWM(), peakAnon.Load()
}

func vmHWM() uint64 { return procStatus("VmHWM:") }

// procStatus reads one kB figure of /proc/self/status, in bytes.
func procStatus(field string) uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), field); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// buildReplayStore seeds the demo warehouse in dir and appends events until
// the log has about n: a tenth orders received (one to three lines of the
// demo's stocked items) and each cancelled again, the rest stock adjusted
// in and out and moved to reserve and back, by a dozen people.
func buildReplayStore(b *testing.B, dir string, n int) {
	ctx := context.Background()
	l, err := Open(dir, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	if _, err := l.SeedDemo(ctx); err != nil {
		b.Fatal(err)
	}
	type place struct{ sku, loc string }
	var places []place
	if err := l.view(func(tx *txn) error {
		return tx.Bucket(bucketStock).ForEach(func(k, v []byte) error {
			p := splitKey(k)
			if len(p) == 4 && p[0] == DefaultOwner && p[2] == "" && p[3][0] != 'R' && qtyFromValue(v) > 3 {
				places = append(places, place{p[1], p[3]})
			}
			return nil
		})
	}); err != nil {
		b.Fatal(err)
	}
	if len(places) == 0 {
		b.Fatal("the demo has no stock without lots")
	}
	mk := func(id, typ, actor string, data any) Event {
		ev, err := NewEvent(id, typ, actor, "pda-"+actor[len(actor)-2:], data)
		if err != nil {
			b.Fatal(err)
		}
		return ev
	}
	i := int(l.LastSeq())
	for i < n {
		batch := make([]Event, 0, 20_000)
		for len(batch) < cap(batch)-4 && i < n {
			p := places[i%len(places)]
			actor := fmt.Sprintf("B10%02d", 1+i%12)
			switch i % 10 {
			case 0:
				no := fmt.Sprintf("SO-R%08d", i)
				lines := []LineIn{{SKU: p.sku, Qty: 1}}
				for j := 1; j <= i%3; j++ {
					lines = append(lines, LineIn{SKU: places[(i+j*7)%len(places)].sku, Qty: 1})
				}
				batch = append(batch,
					mk("rb-o-"+no, EvOrderReceived, "token:oms", OrderIntake{No: no, Channel: "tmall",
						Recipient: Recipient{Name: "张三", Phone: "13800000000", Address: "上海市浦东新区世纪大道100号"}, Lines: OrderLines(lines...)}),
					mk("rb-c-"+no, EvOrderCancelled, "token:oms", OrderCancel{No: no, Reason: "customer"}))
				i += 2
			case 1, 2, 3, 4:
				batch = append(batch,
					mk(fmt.Sprintf("rb-a-%d", i), EvStockAdjusted, actor, StockAdjustment{SKU: p.sku, Location: p.loc, Delta: 1, Reason: "count"}),
					mk(fmt.Sprintf("rb-b-%d", i), EvStockAdjusted, actor, StockAdjustment{SKU: p.sku, Location: p.loc, Delta: -1, Reason: "count"}))
				i += 2
			default:
				to := fmt.Sprintf("R%02d-%02d-%02d", 1+i%2, 1+i/2%10, 1+i/20%4)
				batch = append(batch,
					mk(fmt.Sprintf("rb-m-%d", i), EvMoved, actor, Move{SKU: p.sku, From: p.loc, To: to, Qty: 1}),
					mk(fmt.Sprintf("rb-n-%d", i), EvMoved, actor, Move{SKU: p.sku, From: to, To: p.loc, Qty: 1}))
				i += 2
			}
		}
		if err := l.AppendAll(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUpgradeCatchUp measures the first step of an upgrade beside the
// old version (README, Upgrading) without HTTP: CatchUpFrom of the whole
// log of the benchmark store (as BenchmarkRebuildCheck makes or finds it:
// TALLY_REBUILD_EVENTS, TALLY_REBUILD_DATA) into an empty store beside it —
// what a standby does with the pages it reads, so a ceiling for following
// the old version — next to a bare json.Unmarshal of every event in the
// same run, in events a second and per CPU second.
//
//	go test ./wms -run XXX -bench UpgradeCatchUp -benchtime 1x -timeout 60m
func BenchmarkUpgradeCatchUp(b *testing.B) {
	n := 100_000
	if v := os.Getenv("TALLY_REBUILD_EVENTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			b.Fatalf("TALLY_REBUILD_EVENTS=%q", v)
		}
	}
	dir := os.Getenv("TALLY_REBUILD_DATA")
	if dir == "" {
		dir = b.TempDir()
	}
	if _, err := os.Stat(filepath.Join(dir, dbFile)); err != nil {
		buildReplayStore(b, dir, n)
	}
	for range b.N {
		var unmarshal, unmarshalCPU time.Duration
		var events float64
		src, err := Open(dir, Options{KeepProjections: true})
		if err != nil {
			b.Fatal(err)
		}
		start, cpu := time.Now(), cpuTime()
		err = src.view(func(tx *txn) error {
			c := tx.Bucket(bucketEvents).Cursor()
			for k, v := c.First(); k != nil; k, v = c.Next() {
				var ev Event
				if err := json.Unmarshal(v, &ev); err != nil {
					return err
				}
				events++
			}
			return nil
		})
		unmarshal, unmarshalCPU = time.Since(start), cpuTime()-cpu
		src.Close()
		if err != nil {
			b.Fatal(err)
		}
		to, err := os.MkdirTemp(filepath.Dir(filepath.Clean(dir)), "tally-upgrade-bench-")
		if err != nil {
			b.Fatal(err)
		}
		l, err := Open(to, Options{})
		if err != nil {
			b.Fatal(err)
		}
		var r CaughtUp
		var took, tookCPU time.Duration
		heap, _, anon := measured(func() error {
			start, cpu := time.Now(), cpuTime()
			var err error
			r, err = l.CatchUpFrom(context.Background(), dir)
			took, tookCPU = time.Since(start), cpuTime()-cpu
			return err
		})
		l.Close()
		os.RemoveAll(to)
		if benchErr != nil {
			b.Fatal(benchErr)
		}
		if r.Taken != int(events) {
			b.Fatalf("took %d of %d events", r.Taken, int(events))
		}
		b.ReportMetric(events/took.Seconds(), "catchup_ev/s")
		b.ReportMetric(events/tookCPU.Seconds(), "catchup_ev/cpu_s")
		b.ReportMetric(events/unmarshal.Seconds(), "unmarshal_ev/s")
		b.ReportMetric(unmarshal.Seconds()/took.Seconds(), "catchup/unmarshal")
		b.ReportMetric(unmarshalCPU.Seconds()/tookCPU.Seconds(), "catchup/unmarshal_cpu")
		b.ReportMetric(float64(heap)/(1<<20), "heap_MiB")
		b.ReportMetric(float64(anon)/(1<<20), "anon_rss_MiB")
	}
}
