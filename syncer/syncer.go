package syncer

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"

	"tally/syncer/market"
	"tally/syncer/qimen"
	"tally/wms"
)

// The syncer is one goroutine per upstream, started and stopped as the
// configured upstreams change. Each alternates a push batch and, when due, a
// pull page, one request at a time; upstreams are independent, and none of
// it ever holds a floor request: the ledger is read in short read
// transactions and written one append at a time.

// Options configure a Syncer. Zero values take the defaults.
type Options struct {
	Log *slog.Logger
	// Client sends the requests (nil: one with a 30 s timeout).
	Client *http.Client
	Now    func() time.Time
	// Rand gives the backoff's jitter, in [0, 1) (nil: math/rand/v2).
	Rand func() float64
	// Batch and BatchBytes bound a push (500 events, 4 MiB; an event alone
	// over BatchBytes goes alone).
	Batch      int
	BatchBytes int
	// PullEvery is how often a caught-up upstream is asked for changes (10 s).
	PullEvery time.Duration
	// ReconcileEvery is how often stock is compared while online (15 min).
	ReconcileEvery time.Duration
	// PollEvery is how often the upstream list is read again and an idle
	// upstream looks for work nothing announced (2 s).
	PollEvery time.Duration
	// BackoffBase and BackoffMax shape the wait after failures: the n-th in
	// a row waits a random time up to min(BackoffMax, BackoffBase·2ⁿ)
	// (1 s, 5 min).
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// Gather is how long new events are gathered into a batch after the
	// first arrives while caught up (200 ms).
	Gather time.Duration
	// Hub carries the calls of upstreams configured "via":"hub" (nil: the
	// warehouse has no hub link, and such upstreams wait, saying so).
	Hub HubLink
	// Warehouse is the warehouse's code, the warehouseCode of the Qimen
	// calls it makes ("TALLY").
	Warehouse string
	// Platforms are marketplace adapters by dialect in place of the
	// registered ones (tests: a recording platform); nil: market.Lookup.
	Platforms map[string]market.Platform
	// StockDebounce is how long a marketplace shop's changed SKU stays
	// quiet before its stock is pushed (2 s; a burst is pushed at most 8 s
	// after its first change). StockFullEvery is how often a shop's whole
	// stock is pushed again (15 min).
	StockDebounce  time.Duration
	StockFullEvery time.Duration
}

// platform is the adapter a shop's dialect speaks.
func (s *Syncer) platform(dialect string) (market.Platform, bool) {
	if p, ok := s.o.Platforms[dialect]; ok {
		return p, true
	}
	return market.Lookup(dialect)
}

// HubLink is the warehouse's side of its link to the hub (package hub):
// a call handed to Publish is stored in the warehouse's outgoing stream
// before Publish returns nil, and from there reaches the hub whenever the
// link is up. Publish returns an error wrapping ErrHubFull when the
// stream's byte cap is reached: the syncer waits and tries again, and
// nothing is dropped.
type HubLink interface {
	Publish(ctx context.Context, c qimen.Call) error
}

// ErrHubFull is the warehouse's outgoing stream at its byte cap.
var ErrHubFull = errors.New("sync: the outgoing stream to the hub is full")

// Limits of what the syncer reads and sends.
const (
	DefaultBatch      = 500
	DefaultBatchBytes = 4 << 20
	PullLimit         = 100
	MaxPullChanges    = 500
	MaxStockBody      = 64 << 20
	requestTimeout    = 30 * time.Second
	// drainFrom is the backlog from which its draining is shown as progress.
	drainFrom = 1000
)

// Syncer keeps the warehouse's upstreams in step with its ledger.
type Syncer struct {
	l      *wms.Ledger
	o      Options
	log    *slog.Logger
	client *http.Client
	now    func() time.Time
	wake   chan struct{}

	mu    sync.Mutex
	links map[string]*link
}

// New makes a syncer for a ledger.
func New(l *wms.Ledger, o Options) *Syncer {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: requestTimeout}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	if o.Batch <= 0 || o.Batch > DefaultBatch {
		o.Batch = DefaultBatch
	}
	if o.BatchBytes <= 0 || o.BatchBytes > DefaultBatchBytes {
		o.BatchBytes = DefaultBatchBytes
	}
	if o.PullEvery <= 0 {
		o.PullEvery = 10 * time.Second
	}
	if o.ReconcileEvery <= 0 {
		o.ReconcileEvery = 15 * time.Minute
	}
	if o.PollEvery <= 0 {
		o.PollEvery = 2 * time.Second
	}
	if o.BackoffBase <= 0 {
		o.BackoffBase = time.Second
	}
	if o.BackoffMax <= 0 {
		o.BackoffMax = 5 * time.Minute
	}
	if o.Gather <= 0 {
		o.Gather = 200 * time.Millisecond
	}
	if o.Warehouse == "" {
		o.Warehouse = DefaultWarehouse
	}
	if o.StockDebounce <= 0 {
		o.StockDebounce = 2 * time.Second
	}
	if o.StockFullEvery <= 0 {
		o.StockFullEvery = 15 * time.Minute
	}
	return &Syncer{l: l, o: o, log: o.Log, client: o.Client, now: o.Now, wake: make(chan struct{}, 1), links: map[string]*link{}}
}

// Run is the runner's loop: it keeps one goroutine per configured upstream
// until ctx ends, then stops them all and returns.
func (s *Syncer) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer func() {
		s.mu.Lock()
		for _, k := range s.links {
			k.cancel()
		}
		s.mu.Unlock()
		wg.Wait()
	}()
	tick := time.NewTicker(s.o.PollEvery)
	defer tick.Stop()
	for {
		if err := s.refresh(ctx, &wg); err != nil && ctx.Err() == nil {
			s.log.Error("sync: reading the upstreams", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.wake:
		case <-tick.C:
		}
	}
}

// Wake makes every upstream look again now: its configuration was saved, a
// dead letter retried, a reconciliation asked for.
func (s *Syncer) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range s.links {
		k.poke()
	}
}

// refresh starts a goroutine for each new upstream, hands changed
// configurations to running ones and stops those no longer configured.
func (s *Syncer) refresh(ctx context.Context, wg *sync.WaitGroup) error {
	ups, err := s.l.Upstreams()
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[string]bool{}
	for _, u := range ups {
		seen[u.Name] = true
		if k, ok := s.links[u.Name]; ok {
			k.configure(u)
			continue
		}
		kctx, cancel := context.WithCancel(ctx)
		k := newLink(s, u, cancel)
		s.links[u.Name] = k
		wg.Add(1)
		go func() {
			defer wg.Done()
			k.run(kctx)
		}()
	}
	for name, k := range s.links {
		if !seen[name] {
			k.cancel()
			delete(s.links, name)
		}
	}
	return nil
}

func (s *Syncer) link(name string) *link {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.links[name]
}

// Status is every configured upstream's status, by name.
func (s *Syncer) Status() []UpstreamStatus {
	ups, err := s.l.Upstreams()
	if err != nil {
		s.log.Error("sync: reading the upstreams", "err", err)
		return []UpstreamStatus{}
	}
	out := make([]UpstreamStatus, 0, len(ups))
	for _, u := range ups {
		st := UpstreamStatus{Name: u.Name, Dialect: u.Dialect, Owner: u.Owner, URL: u.URL, Disabled: u.Disabled}
		if k := s.link(u.Name); k != nil {
			k.status(&st)
		}
		if ss, err := s.l.SyncStateOf(u.Name); err == nil {
			st.PushedThrough, st.PullCursor, st.DeadLetters = ss.PushedThrough, ss.PullCursor, ss.Dead
		}
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b UpstreamStatus) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	return out
}

// ErrNotRunning is a reconciliation asked of an upstream that is not
// running: unknown, disabled, or the syncer not started.
var ErrNotRunning = errors.New("sync: the upstream is not running")

// Reconcile compares the upstream's stock with the ledger now, for each
// owner it covers, and answers the reports. It goes through the upstream's
// own goroutine (one request at a time), waiting for its turn.
func (s *Syncer) Reconcile(ctx context.Context, upstream string) ([]wms.Reconciliation, error) {
	k := s.link(upstream)
	if k == nil || k.config().Disabled {
		return nil, ErrNotRunning
	}
	req := reconcileRequest{reply: make(chan reconcileReply, 1)}
	select {
	case k.reconcile <- req:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-k.done:
		return nil, ErrNotRunning
	}
	select {
	case r := <-req.reply:
		return r.reports, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-k.done:
		return nil, ErrNotRunning
	}
}
