package wms

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// BenchmarkStoreMonths measures whether the live store stays flat month
// after month: the generator's warehouse (generate.go) works
// TALLY_MONTHS months (2) of TALLY_MONTH_DAYS days (30) with about
// TALLY_MONTH_EVENTS events (200,000) a month, and at the end of each
// month the store is archived as `tally archive --keep-orders 7d
// --keep-events 3d --keep-answers 1d` does (IDs 10 days, figures and units
// of work by their defaults). After
// each month it logs the live bytes (every bucket's, what `tally compact`
// leaves), per event of the log and per event of the month, the archive
// folder's bytes, and the largest buckets.
//
//	TALLY_MONTH_EVENTS=300000 go test ./wms -run XXX -bench StoreMonths -benchtime 1x -timeout 60m
func BenchmarkStoreMonths(b *testing.B) {
	perMonth, months, days := envInt("TALLY_MONTH_EVENTS", 200_000), envInt("TALLY_MONTHS", 2), envInt("TALLY_MONTH_DAYS", 30)
	for range b.N {
		storeMonths(b, perMonth, months, days)
	}
}

func storeMonths(b *testing.B, perMonth, months, days int) {
	dir := b.TempDir()
	zone := time.FixedZone("CST", 8*3600)
	start := time.Date(2026, 9, 1, 0, 0, 0, 0, zone)
	clock := &simClock{}
	clock.set(start.Add(7 * time.Hour))
	l, err := Open(dir, Options{Now: clock.now, Zone: zone, NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		if l.bulk != nil {
			_ = l.endBulk()
		}
		l.Close()
	}()
	g := &generator{l: l, ctx: context.Background(), clock: clock, rng: rand.New(rand.NewPCG(1, 0x7a11e)), boxes: map[string]Box{}}
	l.startBulk(GenerateCommitEvery)
	if err := g.seed(start); err != nil {
		b.Fatal("seed: ", err)
	}
	r := DefaultRetention()
	r.Orders, r.Events, r.Keys = 7*24*time.Hour, 3*24*time.Hour, 24*time.Hour
	base := l.LastSeq()
	perOrder := 10.0
	var prevLive int64
	for m := range months {
		g.target = base + uint64((m+1)*perMonth)
		monthStart, monthSeq := start.AddDate(0, 0, m*days), l.LastSeq()
		for d := range days {
			have := l.LastSeq()
			if g.orders > 0 {
				perOrder = float64(have-base) / float64(g.orders)
			}
			orders := max(1, int(float64(int64(g.target)-int64(have))/float64(days-d)/perOrder))
			g.step = max(time.Millisecond, time.Duration(float64(12*time.Hour)/(float64(orders)*perOrder)))
			if err := g.runDay(monthStart.AddDate(0, 0, d), orders); err != nil {
				b.Fatal(err)
			}
		}
		if err := l.endBulk(); err != nil {
			b.Fatal(err)
		}
		clock.atLeast(monthStart.AddDate(0, 0, days)) // the month's last night
		monthEvents := l.LastSeq() - monthSeq
		pre, err := l.Size()
		if err != nil {
			b.Fatal(err)
		}
		began := time.Now()
		run, err := l.Archive(context.Background(), r, "system", "bench")
		if err != nil {
			b.Fatal(err)
		}
		took := time.Since(began)
		s, err := l.Size()
		if err != nil {
			b.Fatal(err)
		}
		archive := dirBytes(b, l.ArchiveDir())
		logf("month %d: %d events (%d this month); archive run %s: %d orders, %d figures, %d units, %d IDs, %d events moved, %d lot entries",
			m+1, l.LastSeq(), monthEvents, took.Round(time.Millisecond), run.Orders, run.Figures, run.Units, run.IDs, run.Moved, run.Lots)
		logf("  live %d B (%+d B this month): %.1f B an event of the log, %.1f B an event of a month; archive folder %d B (%.1f B an event)",
			s.Live, s.Live-prevLive, s.LivePerEvent(), float64(s.Live)/float64(monthEvents), archive, float64(archive)/float64(l.LastSeq()))
		was := map[string]BucketSize{}
		for _, bk := range pre.Buckets {
			was[bk.Name] = bk
		}
		logf("  before the run: live %d B", pre.Live)
		for _, bk := range s.Buckets[:min(14, len(s.Buckets))] {
			logf("  %-20s %9d keys %11d live B (before the run %9d keys %11d B)", bk.Name, bk.Keys, bk.Live, was[bk.Name].Keys, was[bk.Name].Live)
		}
		logTaskKinds(l)                // what stays in tasks (taskarchive.go, returnarchive.go)
		for _, bk := range s.Buckets { // the buckets issue 16's last pieces moved (ordertable.go, returnarchive.go)
			switch bk.Name {
			case "archived_orders", "waybill_used", "waybill_index", "order_returns", "tasks", "waves", "orders",
				"receipts", "archived_receipts", "returns", "archived_returns", "return_seen", "rmas", "return_waybills", // receiptarchive.go, parcelarchive.go
				"lots", "archived_lots", "scan_kpi", "work_gaps", "return_stats", "owner_return_stats": // what still grows (staff figures: --keep-figures)
				logf("  watched %-16s %9d keys %11d live B (before the run %9d keys %11d B)", bk.Name, bk.Keys, bk.Live, was[bk.Name].Keys, was[bk.Name].Live)
			}
		}
		// the generator's own memory of shipped orders (for returns) forgets
		// those archived
		g.returnable = slices.DeleteFunc(g.returnable, func(no string) bool {
			_, err := l.Order(no)
			return err != nil
		})
		b.ReportMetric(float64(s.Live)/float64(monthEvents), fmt.Sprintf("m%d-live-B/month-event", m+1))
		prevLive = s.Live
		if m+1 < months {
			l.startBulk(GenerateCommitEvery)
		}
	}
}

// logf writes a line to standard error as it comes (a benchmark's log is
// cut after a few lines).
func logf(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }

func dirBytes(b *testing.B, dir string) int64 {
	var n int64
	entries, err := os.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range entries {
		if fi, err := os.Stat(filepath.Join(dir, e.Name())); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// logTaskKinds logs the live tasks by kind and state, and how many pick
// tasks still carry a live order.
func logTaskKinds(l *Ledger) {
	n := map[string]int{}
	_ = l.view(func(tx *txn) error {
		return tx.Bucket(bucketTasks).ForEach(func(_, v []byte) error {
			t, err := decodeTask(v)
			if err != nil {
				return err
			}
			live := false
			for _, to := range t.Orders {
				live = live || tx.Bucket(bucketOrders).Get(orderKey(OwnerOr(to.Owner), to.Order)) != nil
			}
			n[fmt.Sprintf("%s/%s/live-order=%v", t.Kind, t.State, live)]++
			return nil
		})
	})
	logf("  tasks by kind/state: %v", n)
}
