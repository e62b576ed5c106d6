package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Open loop (Config.Rate). A real floor offers scans at a rate: each
// picker scans at a person's pace whether or not the server kept up, and a
// slow answer makes the next scan late rather than the floor slower. So in
// an open-loop run every handheld has a schedule, one scan every
// PDAs/Rate seconds from a random phase (the handhelds spread evenly over
// the interval), and a scan is sent at its time or, when the answer before
// it came back late, at once. Its latency is measured from the time it was
// due, so a server that falls behind shows in p99 and max instead of
// lowering the offered rate (coordinated omission). A handheld with nothing
// to do (no task waiting) lets the slots it misses go (idle slots): a
// picker without work scans nothing.

// maxPerPDA is the most scans a second one handheld may be asked for: a
// person scanning unit after unit on one shelf manages about this many.
const maxPerPDA = 5.0

// schedule is one handheld's scan times.
type schedule struct {
	interval time.Duration
	next     time.Time // the next scan's due time
	idle     int64     // slots let go for want of work
}

// newSchedule starts a handheld's scans at start plus a random phase
// within one interval.
func newSchedule(start time.Time, interval time.Duration) *schedule {
	return &schedule{interval: interval, next: start.Add(rand.N(interval))}
}

// interval is the time between one handheld's scans for rate scans a
// second offered by pdas handhelds in all.
func interval(rate float64, pdas int) time.Duration {
	return time.Duration(float64(pdas) / rate * float64(time.Second))
}

// take returns the next scan's due time and moves on to the one after.
func (s *schedule) take() time.Time {
	due := s.next
	s.next = s.next.Add(s.interval)
	return due
}

// letGo drops the slots already due by now, counting them idle.
func (s *schedule) letGo(now time.Time) {
	if !s.next.Before(now) {
		return
	}
	n := int64(now.Sub(s.next)/s.interval) + 1
	s.idle += n
	s.next = s.next.Add(time.Duration(n) * s.interval)
}

// slotsBefore is how many of a schedule's slots fall in [first, end): the
// scans it offered over the run, whatever became of them.
func slotsBefore(first, end time.Time, interval time.Duration) int64 {
	if !first.Before(end) {
		return 0
	}
	return int64((end.Sub(first)-1)/interval) + 1
}

// checkRate refuses a rate no floor of pdas people could offer.
func checkRate(rate float64, pdas int) error {
	switch {
	case rate < 0 || rate != rate:
		return fmt.Errorf("loadgen: --rate %g: the rate cannot be negative", rate)
	case rate == 0:
		return nil
	case rate/float64(pdas) > maxPerPDA:
		return fmt.Errorf("loadgen: --rate %g over %d handhelds is %.1f scans a second each; a person scans at most %g (add handhelds with --pdas)",
			rate, pdas, rate/float64(pdas), maxPerPDA)
	case interval(rate, pdas) > time.Hour:
		return fmt.Errorf("loadgen: --rate %g over %d handhelds is one scan per handheld in more than an hour", rate, pdas)
	}
	return nil
}

// serverFigures are the server's counters on /metrics that a run reads
// before and after it measures.
type serverFigures struct {
	cpu      float64 // process_cpu_seconds_total
	writes   float64 // tally_ledger_grouped_writes_total: writes the group commits carried
	pages    float64 // tally_db_pages_written_total
	writeSec float64 // tally_db_write_seconds_total: commits writing pages and syncing
	have     map[string]bool
	at       time.Time // when the page was asked for
}

// figureNames are the counters serverFigures reads, and where each goes.
var figureNames = map[string]func(*serverFigures) *float64{
	"process_cpu_seconds_total":         func(f *serverFigures) *float64 { return &f.cpu },
	"tally_ledger_grouped_writes_total": func(f *serverFigures) *float64 { return &f.writes },
	"tally_db_pages_written_total":      func(f *serverFigures) *float64 { return &f.pages },
	"tally_db_write_seconds_total":      func(f *serverFigures) *float64 { return &f.writeSec },
}

// serverFigures reads the server's counters from /metrics; a counter the
// server does not publish (or the whole page, when it refuses the token)
// is left out of have.
func (c *client) serverFigures(ctx context.Context) serverFigures {
	at := time.Now()
	raw, err := c.do(ctx, request{method: http.MethodGet, path: "/metrics", auth: true})
	if err != nil {
		return serverFigures{have: map[string]bool{}, at: at}
	}
	f := parseFigures(raw)
	f.at = at
	return f
}

// parseFigures finds serverFigures' counters in a Prometheus text body.
func parseFigures(body []byte) serverFigures {
	f := serverFigures{have: map[string]bool{}}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		field, known := figureNames[name]
		if !ok || !known || f.have[name] {
			continue
		}
		if v, err := strconv.ParseFloat(strings.TrimSpace(value), 64); err == nil {
			*field(&f) = v
			f.have[name] = true
		}
	}
	return f
}

// spent fills in res what the server spent between before and after, for
// the figures both readings have.
func (res *Result) spent(before, after serverFigures) {
	both := func(name string) bool { return before.have[name] && after.have[name] }
	if res.Events <= 0 {
		return
	}
	scans := float64(res.Events)
	if both("process_cpu_seconds_total") {
		res.CPUmsPerScan = (after.cpu - before.cpu) * 1000 / scans
	}
	writes := after.writes - before.writes
	if both("tally_ledger_grouped_writes_total") {
		res.WritesPerScan = writes / scans
	}
	if both("tally_db_pages_written_total") && writes > 0 {
		res.PagesPerWrite = (after.pages - before.pages) / writes
	}
	// over the time between the two readings, which holds every commit
	// counted (those ending after the run's deadline too)
	if span := after.at.Sub(before.at).Seconds(); both("tally_db_write_seconds_total") && span > 0 {
		res.DiskWriteShare = (after.writeSec - before.writeSec) / span
	}
}

// warmUpWorkers is how many handhelds ask for their first task at once.
const warmUpWorkers = 32

// warmUp hands every handheld its first task before an open-loop run is
// measured, as a floor at work has every picker holding one: otherwise
// thousands of handhelds asking for work in the same second would measure
// a shift's start, not its pace. It is not timed; a handheld the server
// gives nothing asks again in the run.
func (r *runner) warmUp(ctx context.Context, pdas []*pda) {
	start := time.Now()
	work := make(chan *pda)
	var wg sync.WaitGroup
	var held atomic.Int64
	for range min(warmUpWorkers, len(pdas)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range work {
				var t task
				if err := r.c.postJSON(ctx, "/api/v1/tasks/next", p.device, "", nil, &t); err == nil && t.ID != "" {
					p.held = &t
					held.Add(1)
				}
			}
		}()
	}
	for _, p := range pdas {
		if ctx.Err() != nil {
			break
		}
		work <- p
	}
	close(work)
	wg.Wait()
	r.logf("open loop: %d of %d handhelds took their first task in %s (not timed); %.0f scans a second offered, one every %s from each",
		held.Load(), len(pdas), time.Since(start).Round(time.Millisecond), r.cfg.Rate, interval(r.cfg.Rate, len(pdas)).Round(time.Millisecond))
}
