package syncer

import (
	"context"
	"errors"
	"sync"
	"time"

	"tally/wms"
)

// A link is one upstream's goroutine and what it knows: the configuration,
// the clock offset its answers taught, whether it is online, its backoff,
// and the backlog kept in memory (counted once from the push cursor, then
// as events commit and acknowledgements arrive).
type link struct {
	s         *Syncer
	name      string
	cancel    context.CancelFunc
	wake      chan struct{}
	reconcile chan reconcileRequest
	done      chan struct{}

	// guarded by mu: what status() reads, and what configure() hands over
	mu           sync.Mutex
	up           wms.Upstream
	reload       bool // the owner or a direction changed: count again
	offset       time.Duration
	online       bool
	offlineSince time.Time
	lastSuccess  time.Time
	lastError    string
	lastErrorAt  time.Time
	nextTry      time.Time // after a backoff
	notBefore    time.Time // after a Retry-After
	backlog      int       // events for the upstream after the cursor, counted so far
	retrying     int       // dead letters a supervisor asked to send again
	oldest       time.Time // At of the first unacknowledged event
	draining     bool
	drainDone    int

	// the goroutine's own
	bo            backoff
	loaded        bool
	queue         []queued // events for the upstream after the cursor, read ahead, in seq order
	scan          uint64   // the outbox considered through for the queue
	counted       uint64   // the outbox counted through for the backlog
	limit         int      // the batch size now (halved after a 400, 413 or 422)
	pullCursor    string
	pullNext      time.Time
	pullMore      bool
	lastReconcile time.Time
	reconnect     bool        // a reconciliation is due: the upstream came back
	part          partSent    // of the event at the head, for upstreams that take an event as several calls
	market        marketState // a marketplace shop's: its limiter, shipments part-sent (marketlink.go)
	stock         stockState  // a marketplace shop's stock publication (marketstock.go)
}

type reconcileRequest struct{ reply chan reconcileReply }

type reconcileReply struct {
	reports []wms.Reconciliation
	err     error
}

func newLink(s *Syncer, u wms.Upstream, cancel context.CancelFunc) *link {
	return &link{s: s, name: u.Name, up: u, cancel: cancel, wake: make(chan struct{}, 1),
		reconcile: make(chan reconcileRequest), done: make(chan struct{}),
		bo: backoff{base: s.o.BackoffBase, max: s.o.BackoffMax, rand: s.o.Rand}, limit: s.o.Batch}
}

func (k *link) poke() {
	select {
	case k.wake <- struct{}{}:
	default:
	}
}

func (k *link) config() wms.Upstream {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.up
}

// configure hands a saved configuration to the goroutine.
func (k *link) configure(u wms.Upstream) {
	k.mu.Lock()
	if u.Owner != k.up.Owner || u.NoPush != k.up.NoPush {
		k.reload = true
	}
	changed := u != k.up
	k.up = u
	k.mu.Unlock()
	if changed {
		k.poke()
	}
}

func (k *link) run(ctx context.Context) {
	defer close(k.done)
	for ctx.Err() == nil {
		up := k.config()
		if up.Disabled {
			k.idle(ctx)
			continue
		}
		if err := k.load(); err != nil {
			k.failed(err)
			k.wait(ctx, nil)
			continue
		}
		bell := k.s.l.Committed() // before counting: nothing committed after is missed
		if err := k.count(up); err != nil {
			k.failed(err)
			k.wait(ctx, nil)
			continue
		}
		dead, err := k.s.l.DeadLetters(k.name)
		if err != nil {
			k.failed(err)
			k.wait(ctx, nil)
			continue
		}
		var retry []wms.DeadLetter
		for _, d := range dead {
			if d.State == wms.DeadRetry {
				retry = append(retry, d)
			}
		}
		k.mu.Lock()
		k.retrying = len(retry)
		blocked := k.s.now().Before(later(k.nextTry, k.notBefore))
		k.mu.Unlock()
		if blocked {
			k.wait(ctx, nil)
			continue
		}
		began, before := time.Now(), k.s.l.Stats().Appends.Load()
		busy, err := k.step(ctx, up, retry)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			k.failed(err)
			continue
		}
		if !busy {
			k.wait(ctx, bell)
			continue
		}
		k.yieldToFloor(ctx, time.Since(began), k.s.l.Stats().Appends.Load()-before)
	}
}

// floorBusy is how many appends during one step say the floor is at work:
// the step's own are one acknowledgement (and a pulled page's changes,
// which make a pull yield too, harmlessly).
const floorBusy = 8

// yieldToFloor rests between the batches of a backlog while the floor is
// at work, as long as the last step took (at most 100 ms): a drain then
// takes at most half of what the box can give, and a scan never queues
// behind a stream of batches. On a quiet floor the backlog goes at full
// speed.
func (k *link) yieldToFloor(ctx context.Context, took time.Duration, appends uint64) {
	if appends < floorBusy {
		return
	}
	t := time.NewTimer(min(took, 100*time.Millisecond))
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// load reads the cursors from the ledger: at the start, and again when the
// configuration changed what the upstream gets.
func (k *link) load() error {
	k.mu.Lock()
	reload := k.reload
	k.reload = false
	k.mu.Unlock()
	if k.loaded && !reload {
		return nil
	}
	st, err := k.s.l.SyncStateOf(k.name)
	if err != nil {
		return err
	}
	k.queue, k.scan, k.counted, k.pullCursor = nil, st.PushedThrough, st.PushedThrough, st.PullCursor
	k.mu.Lock()
	k.backlog, k.oldest, k.draining, k.drainDone = 0, time.Time{}, false, 0
	k.mu.Unlock()
	k.loaded = true
	return nil
}

// step is one turn: retried dead letters, a push batch, a pull page when
// one is due, a reconciliation when one is due. busy says there is more to
// do at once.
func (k *link) step(ctx context.Context, up wms.Upstream, retry []wms.DeadLetter) (busy bool, err error) {
	if up.Dialect == wms.DialectQimen {
		return k.stepQimen(ctx, up, retry)
	}
	if wms.IsMarket(up.Dialect) {
		return k.stepMarket(ctx, up, retry)
	}
	if !up.NoPush {
		if len(retry) > 0 {
			if err := k.pushRetries(ctx, up, retry); err != nil {
				return false, err
			}
		}
		more, err := k.pushBatch(ctx, up)
		if err != nil {
			return false, err
		}
		busy = more
	}
	now := k.s.now()
	if !up.NoPull && (k.pullMore || !now.Before(k.pullNext)) {
		more, err := k.pull(ctx, up)
		if err != nil {
			return false, err
		}
		k.pullMore = more
		if !more {
			k.pullNext = k.s.now().Add(k.s.o.PullEvery)
		}
		busy = busy || more
	}
	k.mu.Lock()
	online := k.online
	k.mu.Unlock()
	if online && (k.reconnect || !k.s.now().Before(k.lastReconcile.Add(k.s.o.ReconcileEvery))) {
		trigger := wms.ReconcileSchedule
		if k.reconnect {
			trigger = wms.ReconcileConnect
		}
		if _, err := k.reconcileAll(ctx, trigger); err != nil {
			var f *failure
			if !errors.As(err, &f) || !f.online {
				return busy, err
			}
			// answered but refused: shown, and pushes and pulls go on
			k.note(f)
		}
	}
	return busy, nil
}

// wait sleeps until there may be work: a commit (bell, nil while backing
// off), a poke, the next pull or reconciliation, the end of a backoff, or
// PollEvery. A reconciliation asked for meanwhile is done here.
func (k *link) wait(ctx context.Context, bell <-chan struct{}) {
	now := k.s.now()
	until := now.Add(k.s.o.PollEvery)
	k.mu.Lock()
	blocked := later(k.nextTry, k.notBefore)
	online := k.online
	k.mu.Unlock()
	if blocked.After(now) {
		until = blocked
	} else {
		up := k.config()
		// Qimen and the marketplaces: pushes only, nothing to pull or reconcile
		pushOnly := up.Dialect == wms.DialectQimen || wms.IsMarket(up.Dialect)
		if !up.NoPull && !pushOnly && k.pullNext.Before(until) {
			until = k.pullNext
		}
		if wms.IsMarket(up.Dialect) {
			if next := k.stockDue(up); !next.IsZero() && next.Before(until) {
				until = next
			}
		}
		if online && k.loaded && !pushOnly {
			if next := k.lastReconcile.Add(k.s.o.ReconcileEvery); next.Before(until) {
				until = next
			}
		}
	}
	t := time.NewTimer(max(until.Sub(now), time.Millisecond))
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-k.wake:
	case <-t.C:
	case req := <-k.reconcile:
		req.reply <- k.requested(ctx)
	case <-bell:
		// gather what else arrives into the same batch
		g := time.NewTimer(k.s.o.Gather)
		defer g.Stop()
		select {
		case <-ctx.Done():
		case <-g.C:
		}
	}
}

// idle waits while the upstream is disabled.
func (k *link) idle(ctx context.Context) {
	t := time.NewTimer(k.s.o.PollEvery)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-k.wake:
	case <-t.C:
	case req := <-k.reconcile:
		req.reply <- reconcileReply{err: ErrNotRunning}
	}
}

// errRetryAfter refuses a reconciliation asked for before a Retry-After.
var errRetryAfter = errors.New("sync: the upstream asked for no request before")

// requested runs a reconciliation a person asked for; only a Retry-After
// holds it back (a person asking is a reason to try before a backoff ends).
func (k *link) requested(ctx context.Context) reconcileReply {
	k.mu.Lock()
	nb := k.notBefore
	k.mu.Unlock()
	if k.config().Disabled {
		return reconcileReply{err: ErrNotRunning}
	}
	if k.config().Dialect == wms.DialectQimen {
		return reconcileReply{err: errQimenNoReconcile}
	}
	if wms.IsMarket(k.config().Dialect) {
		return reconcileReply{err: errMarketNoReconcile}
	}
	if k.s.now().Before(nb) {
		return reconcileReply{err: errors.New(errRetryAfter.Error() + " " + nb.UTC().Format(time.RFC3339))}
	}
	reports, err := k.reconcileAll(ctx, wms.ReconcileRequest)
	if err != nil {
		k.failed(err)
	}
	return reconcileReply{reports: reports, err: err}
}

// succeeded records an answered request that did what it asked.
func (k *link) succeeded() {
	now := k.s.now()
	k.bo.reset()
	k.mu.Lock()
	k.lastSuccess, k.nextTry, k.notBefore = now, time.Time{}, time.Time{}
	k.mu.Unlock()
	k.setOnline(true)
}

// setOnline records whether the upstream answers, logging each change.
func (k *link) setOnline(on bool) {
	now := k.s.now()
	k.mu.Lock()
	was, known := k.online, !k.offlineSince.IsZero() || k.online
	since := k.offlineSince
	k.online = on
	if !on && (was || !known) {
		k.offlineSince = now
	}
	if on {
		k.offlineSince = time.Time{}
	}
	k.mu.Unlock()
	switch {
	case on && !was:
		k.reconnect = true
		k.stock.reconnected(since, now) // the offline span: the stock's extra buffer (marketstock.go)
		k.s.log.Info("sync: upstream online", "upstream", k.name)
	case !on && (was || !known):
		k.s.log.Warn("sync: upstream offline", "upstream", k.name)
	}
}

// note records an error that holds nothing back.
func (k *link) note(f *failure) {
	k.mu.Lock()
	k.lastError, k.lastErrorAt = f.msg, k.s.now()
	k.mu.Unlock()
	k.s.log.Warn("sync: reconciliation refused", "upstream", k.name, "err", f.msg)
}

// failed records a failure and when the next request may go.
func (k *link) failed(err error) {
	now := k.s.now()
	var f *failure
	if !errors.As(err, &f) {
		// the ledger, not the upstream: say so and try again later
		f = &failure{msg: "sync: the warehouse's ledger: " + clip(err.Error(), maxErrorText), online: k.isOnline()}
		k.s.log.Error("sync: ledger", "upstream", k.name, "err", err)
	}
	wait := k.bo.next()
	k.mu.Lock()
	k.lastError, k.lastErrorAt = f.msg, now
	k.nextTry = now.Add(wait)
	if !f.retryAt.IsZero() {
		// the upstream said when: exactly then, not a backoff's guess
		k.notBefore, k.nextTry = f.retryAt, time.Time{}
	}
	k.mu.Unlock()
	k.setOnline(f.online)
}

func (k *link) isOnline() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.online
}

// status fills in what the link knows.
func (k *link) status(st *UpstreamStatus) {
	now := k.s.now()
	k.mu.Lock()
	defer k.mu.Unlock()
	st.Online = k.online
	st.Backlog = k.backlog + k.retrying
	if k.backlog > 0 && !k.oldest.IsZero() {
		st.OldestAgeS = max(now.Sub(k.oldest).Seconds(), 0)
	}
	st.LastSuccess = timePtr(k.lastSuccess)
	st.LastError = k.lastError
	st.LastErrorAt = timePtr(k.lastErrorAt)
	if !k.online {
		st.OfflineSince = timePtr(k.offlineSince)
	}
	if next := later(k.nextTry, k.notBefore); next.After(now) {
		st.NextTry = timePtr(next)
	}
	if k.draining {
		st.DrainDone, st.DrainTotal = k.drainDone, k.drainDone+k.backlog
	}
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
