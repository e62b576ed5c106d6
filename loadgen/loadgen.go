// Package loadgen drives simulated handhelds ("PDAs") through real pick flows
// over HTTP against a running Tally server and measures the scans.
//
// Setup (not timed) checks the server and token, chooses SKUs with long-dated
// or undated stock, tops their stock up, and releases a backlog of orders in
// single-order waves, as a floor on a peak day starts with the night's orders
// already waved. Then every PDA loops: take the next task, walk its lines in
// order and scan them, while a feeder tops the backlog up whenever it runs
// low (with a small backlog, orders arrive while the floor picks). Only scan
// POSTs count as events and towards latency.
package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config says what to drive and for how long.
type Config struct {
	Addr     string        // base URL, e.g. http://127.0.0.1:8080
	Token    string        // bearer token with role admin (needed to create orders, stock and waves)
	PDAs     int           // simulated handhelds
	Duration time.Duration // measured interval
	// Backlog is how many orders are created and waved before measuring.
	// 0 means enough for the whole run (BacklogFor); a small number makes
	// orders arrive during the run.
	Backlog int
	Client  *http.Client // nil: a client with MaxIdleConnsPerHost >= PDAs and a 10 s timeout
	Log     io.Writer    // progress lines (may be io.Discard); RESULT is not written here
	// Rate, when positive, makes the run an open loop (openloop.go): Rate
	// scans a second offered in all, each handheld scanning on its own
	// schedule; 0 is the closed loop, each handheld scanning as soon as
	// the last answer came back.
	Rate float64
	// CeilingDir, when set, measures the disk's ceiling after the run
	// (ceiling.go): raw bbolt Batch in a file of its own in this
	// directory, as many writers as handhelds, for as long; then the
	// loopback HTTP ceiling (httpceiling.go).
	CeilingDir string
}

// Result is what a run measured.
type Result struct {
	Events, Errors int64
	EventsPerSec   float64
	P50ms, P99ms   float64
	MaxMs          float64
	Elapsed        time.Duration
	// Open loop only: the scans offered a second (slots due in the run),
	// and the slots let go because a handheld had nothing to do.
	OfferedPerSec float64
	IdleSlots     int64
	// CPUmsPerScan is the server's CPU time (process_cpu_seconds_total on
	// its /metrics, before and after) per acknowledged scan; 0 when the
	// server does not publish it. It covers everything the server did
	// meanwhile: tasks handed out, orders and waves made by the feeder.
	CPUmsPerScan float64
	// Where the server's one committer spent the run, from its /metrics too
	// (0 when it does not publish them): the ledger writes it committed per
	// acknowledged scan (everything it wrote meanwhile: the picks, tasks
	// handed out, and the feeder's orders and waves), the pages bbolt laid
	// out and wrote for each write, and the share of the time between the
	// two readings that commits spent writing pages and syncing them.
	// Commits run one at a time, so a share near 1 says the disk writes
	// alone keep the committer busy.
	WritesPerScan, PagesPerWrite, DiskWriteShare float64
	// With Config.CeilingDir: raw bbolt Batch's commits a second of values
	// the size of the run's pick events (EventBytes); EventsPerSec over it
	// is the run's ratio to what the disk allows.
	CeilingPerSec float64
	EventBytes    int
	// With Config.CeilingDir too: scan-shaped requests a second against a
	// do-nothing handler on loopback (httpceiling.go); EventsPerSec over it
	// is the run's share of what the HTTP path itself allows.
	HTTPCeilingPerSec float64
}

// Line is the RESULT line, without a newline.
func (r Result) Line() string {
	s := fmt.Sprintf("RESULT events=%d errors=%d events_per_s=%.1f p50_ms=%.1f p99_ms=%.1f",
		r.Events, r.Errors, r.EventsPerSec, r.P50ms, r.P99ms)
	if r.MaxMs > 0 {
		s += fmt.Sprintf(" max_ms=%.1f", r.MaxMs)
	}
	if r.OfferedPerSec > 0 {
		s += fmt.Sprintf(" offered_per_s=%.1f idle_slots=%d", r.OfferedPerSec, r.IdleSlots)
	}
	if r.CPUmsPerScan > 0 {
		s += fmt.Sprintf(" server_cpu_ms_per_scan=%.3f", r.CPUmsPerScan)
	}
	if r.CeilingPerSec > 0 {
		s += fmt.Sprintf(" ceiling_per_s=%.1f event_bytes=%d ratio=%.3f", r.CeilingPerSec, r.EventBytes, r.EventsPerSec/r.CeilingPerSec)
	}
	if r.HTTPCeilingPerSec > 0 {
		s += fmt.Sprintf(" http_ceiling_per_s=%.1f http_ratio=%.3f", r.HTTPCeilingPerSec, r.EventsPerSec/r.HTTPCeilingPerSec)
	}
	// added after the others (stop 27), so that scripts reading the line
	// in order read what they did
	if r.WritesPerScan > 0 {
		s += fmt.Sprintf(" server_writes_per_scan=%.2f", r.WritesPerScan)
	}
	if r.PagesPerWrite > 0 {
		s += fmt.Sprintf(" server_pages_per_write=%.1f server_disk_write_share=%.2f", r.PagesPerWrite, r.DiskWriteShare)
	}
	return s
}

// Tuning. Shelf life: SKUs with any stock expiring sooner than this are left
// out, so the server's shelf-life rules never refuse what the run orders.
const (
	minExpiry       = 2 * 365 * 24 * time.Hour
	wantSKUs        = 80
	topUpQty        = 1_000_000
	rejectShare     = 0.02 // share of scans preceded by a wrong location scan
	progressEvery   = 5 * time.Second
	maxWaveOrders   = 200
	maxBatch        = 2000 // orders per feeder batch
	orderWorkers    = 16
	scanAttempts    = 3 // a scan is sent at most this often (same Idempotency-Key)
	stockWorkers    = 8
	idleBackoffMin  = 20 * time.Millisecond
	busyBackoffMax  = 10 * time.Millisecond
	errorBackoff    = 100 * time.Millisecond
	feederTick      = 100 * time.Millisecond
	feederLookahead = 2 * time.Second // work released ahead, at the current pace

	// An order here has two lines and two units on average: about 2.7 scans.
	// 1,500 orders per second of the run is work for 4,000 scans a second,
	// more than one server on a mini-PC acknowledges, however many
	// handhelds (without think time) drive it.
	backlogPerSecond = 1500
	maxBacklog       = 200_000
)

// BacklogFor is the backlog Run creates when Config.Backlog is 0.
func BacklogFor(pdas int, d time.Duration) int {
	return min(max(int(d.Seconds()*backlogPerSecond), 4*pdas), maxBacklog)
}

// Run sets up the server, drives cfg.PDAs handhelds for cfg.Duration (or
// until ctx ends) and returns what was measured. Its error is for setup
// failures only (server unreachable, bad token, nothing to pick); failures
// while measuring are counted in Result.Errors.
func Run(ctx context.Context, cfg Config) (Result, error) {
	r, err := newRunner(cfg)
	if err != nil {
		return Result{}, err
	}
	if cfg.Client == nil {
		// Ours to tidy: connections dialled for requests abandoned at the end
		// would otherwise stay open, and hold up a server's graceful shutdown.
		defer r.c.hc.CloseIdleConnections()
	}
	if err := r.setup(ctx); err != nil {
		return Result{}, err
	}
	var before uint64
	if cfg.CeilingDir != "" {
		var err error
		if before, err = r.c.lastSeq(ctx); err != nil {
			return Result{}, err
		}
	}
	res := r.measure(ctx)
	if cfg.CeilingDir != "" {
		if err := r.ceiling(ctx, before, &res); err != nil {
			return res, err
		}
		if err := r.httpCeiling(ctx, &res); err != nil {
			return res, err
		}
	}
	return res, nil
}

// runner holds one run's state.
type runner struct {
	cfg   Config
	c     *client
	log   io.Writer
	logMu sync.Mutex
	run   string // tells this run's orders apart: LG-<run>-<n>

	orderSeq atomic.Int64

	skus      []skuStock
	locations []string // every location the chosen SKUs sit at, for wrong scans

	cnt    counters
	sizes  scanSizes // acknowledged scans' request and answer bytes
	feeder *feeder
}

// skuStock is a SKU the run orders, with where its stock is.
type skuStock struct {
	Code       string
	GTINs      []string
	LotTracked bool
	Lines      []stockLine
}

func newRunner(cfg Config) (*runner, error) {
	if cfg.PDAs < 1 {
		return nil, errors.New("loadgen: need at least one PDA")
	}
	if cfg.Duration <= 0 {
		return nil, errors.New("loadgen: duration must be positive")
	}
	if cfg.Backlog < 0 {
		return nil, errors.New("loadgen: the backlog cannot be negative")
	}
	if err := checkRate(cfg.Rate, cfg.PDAs); err != nil {
		return nil, err
	}
	if cfg.CeilingDir != "" {
		if fi, err := os.Stat(cfg.CeilingDir); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("loadgen: --ceiling %s: not a directory (give one on the server's disk)", cfg.CeilingDir)
		}
	}
	if cfg.Backlog == 0 {
		cfg.Backlog = BacklogFor(cfg.PDAs, cfg.Duration)
	}
	addr := strings.TrimRight(strings.TrimSpace(cfg.Addr), "/")
	if addr == "" {
		return nil, errors.New("loadgen: no server address")
	}
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	if strings.TrimSpace(cfg.Token) == "" {
		return nil, errors.New("loadgen: no token (create one with role admin: tally token create --name loadgen --role admin)")
	}
	hc := cfg.Client
	if hc == nil {
		hc = newHTTPClient(cfg.PDAs)
	}
	log := cfg.Log
	if log == nil {
		log = io.Discard
	}
	r := &runner{
		cfg: cfg,
		c:   &client{hc: hc, base: addr, token: strings.TrimSpace(cfg.Token)},
		log: log,
		run: strconv.FormatInt(time.Now().UnixMilli(), 36) + strconv.FormatInt(int64(rand.IntN(36*36)), 36),
	}
	r.feeder = newFeeder(r)
	return r, nil
}

func (r *runner) logf(format string, args ...any) {
	r.logMu.Lock()
	defer r.logMu.Unlock()
	fmt.Fprintf(r.log, "loadgen: "+format+"\n", args...)
}

// measure drives the handhelds for the configured time.
func (r *runner) measure(parent context.Context) Result {
	pdas := make([]*pda, r.cfg.PDAs)
	for i := range pdas {
		pdas[i] = &pda{r: r, device: "pda-" + strconv.Itoa(i+1)}
	}
	if r.cfg.Rate > 0 {
		r.warmUp(parent, pdas)
	}
	before := r.c.serverFigures(parent)
	start := time.Now()
	end := start.Add(r.cfg.Duration)
	ctx, cancel := context.WithDeadline(parent, end)
	defer cancel()

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		r.feeder.run(ctx)
	}()
	for i := range pdas {
		if r.cfg.Rate > 0 {
			pdas[i].sched = newSchedule(start, interval(r.cfg.Rate, r.cfg.PDAs))
			pdas[i].firstSlot = pdas[i].sched.next
		}
		wg.Add(1)
		go func(p *pda) {
			defer wg.Done()
			p.run(ctx)
		}(pdas[i])
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.progress(ctx, start)
	}()

	<-ctx.Done()
	elapsed := time.Since(start)
	wg.Wait()
	<-done

	parts := make([][]time.Duration, len(pdas))
	for i, p := range pdas {
		parts[i] = p.lat
	}
	lat := latencies(parts)
	res := Result{
		Events:  r.cnt.events.Load(),
		Errors:  r.cnt.errors.Load(),
		P50ms:   ms(percentile(lat, 50)),
		P99ms:   ms(percentile(lat, 99)),
		Elapsed: elapsed,
	}
	if len(lat) > 0 {
		res.MaxMs = ms(lat[len(lat)-1])
	}
	var offered int64
	for _, p := range pdas {
		if p.sched != nil {
			offered += slotsBefore(p.firstSlot, end, p.sched.interval)
			res.IdleSlots += p.sched.idle
		}
	}
	if s := elapsed.Seconds(); s > 0 {
		res.EventsPerSec = float64(res.Events) / s
		res.OfferedPerSec = float64(offered) / s
	}
	res.spent(before, r.c.serverFigures(parent))
	r.logf("done after %s: events=%d (conflicts=%d shorts=%d wrong-scans=%d) errors=%d tasks=%d orders=%d waves=%d next-busy=%d next-none=%d",
		elapsed.Round(time.Millisecond), res.Events, r.cnt.conflicts.Load(), r.cnt.shorts.Load(), r.cnt.rejects.Load(),
		res.Errors, r.cnt.tasks.Load(), r.cnt.orders.Load(), r.cnt.waves.Load(), r.cnt.busy.Load(), r.cnt.idle.Load())
	for _, s := range r.cnt.errorSummary() {
		r.logf("error %s", s)
	}
	return res
}

// progress logs the figures every few seconds until ctx ends.
func (r *runner) progress(ctx context.Context, start time.Time) {
	t := time.NewTicker(progressEvery)
	defer t.Stop()
	last, lastAt := int64(0), start
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			ev := r.cnt.events.Load()
			total := now.Sub(start).Seconds()
			recent := now.Sub(lastAt).Seconds()
			r.logf("%4.0fs events=%d errors=%d rate=%.1f/s (last %.0fs: %.1f/s) tasks=%d orders=%d",
				total, ev, r.cnt.errors.Load(), float64(ev)/total, recent, float64(ev-last)/recent,
				r.cnt.tasks.Load(), r.cnt.orders.Load())
			last, lastAt = ev, now
		}
	}
}

// sleep waits d or until ctx ends; it reports whether ctx is still alive.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// jitter is a random duration in [lo, hi).
func jitter(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + rand.N(hi-lo)
}
