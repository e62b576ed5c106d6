package wms

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// BenchmarkFigures reads staff figures from a ledger of 1,000,000 events
// (TALLY_KPI_BENCH_EVENTS to change): 50 people scanning over 30 days, 12
// hours a day, scans spread evenly with a pause over MinGap 2 % of the
// time, each a task of
// about 20 scans. It reports the read time (wall and CPU) of one day and
// of the 30 days.
//
//	go test ./wms -run XXX -bench Figures -benchtime 20x
func BenchmarkFigures(b *testing.B) {
	l, _, start := scanMonth(b, envInt("TALLY_KPI_BENCH_EVENTS", 1_000_000))
	defer l.Close()
	const people, days = scanPeople, scanDays
	last := start.Add(days * 24 * time.Hour)
	oneDay := FiguresQuery{From: last.Add(-24 * time.Hour), To: last}
	month := FiguresQuery{From: start, To: last}
	for _, c := range []struct {
		name string
		q    FiguresQuery
	}{{"day", oneDay}, {"30days", month}} {
		b.Run(c.name, func(b *testing.B) {
			cpu := cpuTime()
			for b.Loop() {
				f, err := l.Figures(c.q)
				if err != nil || len(f.People) != people {
					b.Fatalf("%d people: %v", len(f.People), err)
				}
			}
			// CPU time is steadier than wall time on a shared machine
			b.ReportMetric(float64((cpuTime()-cpu).Milliseconds())/float64(b.N), "cpu-ms/op")
		})
	}
}

// The people and days of scanMonth's store.
const scanPeople, scanDays = 50, 30

// scanMonth is a ledger of n rejected scans by scanPeople people over
// scanDays days from 2026-10-01 (CST): each person's day starts within
// ten minutes of 08:00 and spreads its scans over 12 hours, with a pause
// over MinGap 2 % of the time; a task is about 20 of a person's scans.
// BenchmarkFigures and BenchmarkFiguresArchivedUnits read it. The clock
// stands at start.
func scanMonth(b *testing.B, n int) (*Ledger, *testClock, time.Time) {
	clock := &testClock{t: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)}
	l, err := Open(b.TempDir(), Options{Now: clock.Now, Zone: time.FixedZone("CST", 8*3600)})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	start := clock.Now()
	at := make([]time.Time, scanPeople)
	scans := make([]int, scanPeople)
	perDay := max(n/scanPeople/scanDays, 1)
	batch := make([]Event, 0, 10000)
	flush := func() {
		if err := l.AppendAll(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
		batch = batch[:0]
	}
	for i := range n {
		p := i % scanPeople
		day := (i / scanPeople) / perDay
		if at[p].Before(start.Add(time.Duration(day) * 24 * time.Hour)) { // a new day: 08:00 CST = 00:00 UTC
			at[p] = start.Add(time.Duration(day)*24*time.Hour + time.Duration(rng.IntN(600))*time.Second)
		}
		step := time.Duration(rng.ExpFloat64() * float64(12*time.Hour) / float64(perDay))
		if rng.IntN(100) < 2 { // now and then a pause: a gap candidate
			step += MinGap + time.Duration(rng.IntN(35*60))*time.Second
		}
		at[p] = at[p].Add(min(step, 30*time.Minute))
		scans[p]++
		ev, err := NewEvent(fmt.Sprintf("k%d", i), EvScanRejected, fmt.Sprintf("B%04d", p), "pda",
			ScanRejected{Task: fmt.Sprintf("T%d-%d", p, scans[p]/20), Step: "item", Code: "X", Reason: "pick.wrong_item", Today: at[p].Format("2006-01-02")})
		if err != nil {
			b.Fatal(err)
		}
		ev.At = at[p]
		batch = append(batch, ev)
		if len(batch) == cap(batch) {
			flush()
		}
	}
	flush()
	return l, clock, start
}
