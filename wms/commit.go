package wms

import (
	"errors"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Group commit. Every write of the floor goes through Ledger.write, which
// queues its function; one committer at a time takes every function queued
// so far and runs them in one bbolt write transaction, so one fsync makes
// them all durable. A writer alone finds no commit under way and commits at
// once, in its own goroutine, with no timer; writers that arrive while a
// commit is fsyncing queue up and form the next group, which starts as soon
// as that fsync ends. The group's size follows the load: one at a time when
// the floor is quiet, hundreds under a peak.
//
// As with bbolt's Batch, a function of a group may fail (a refused scan, a
// stale line). Its writes cannot be taken out of the transaction alone, so
// the group is rolled back, the failing function is handed back to its
// caller to run alone in a transaction of its own (its answer is what it
// gets there), and the others run again, those before it and those after
// it as two groups (commitGroup): one bad write never fails, or doubles,
// the others. A function must therefore start over from its inputs each
// time it runs. A group of one is its own solo run: its failure is its
// answer.

// maxGroup is the most functions one transaction commits; the rest wait
// for the next (bbolt's MaxBatchSize is 1,000 as well).
const maxGroup = 1000

// errRunAlone tells a writer its function failed in a group and must run
// alone.
var errRunAlone = errors.New("wms: run this write alone")

// commitQueue is the writers waiting for a commit.
type commitQueue struct {
	mu      sync.Mutex
	queue   []*commitReq
	running bool // a committer holds the queue: a writer that arrives waits for it
}

// commitReq is one writer's function and where its answer goes.
type commitReq struct {
	fn   func(tx *txn) error
	done chan error // buffered: the committer never waits for a writer
}

// panicked carries a panic out of a writer's function run by another
// goroutine, so that the writer panics in its own when it runs alone.
type panicked struct{ v any }

func (p panicked) Error() string { return fmt.Sprint("wms: write panicked: ", p.v) }

// write runs fn in a write transaction, shared with the writers that
// queued beside it (group commit, above). fn may run more than once and
// must start over from its inputs each time.
//
// Every write that appended an event rings the feed's bell once committed
// (durable, and visible to every read from now on): Append and the keyed
// commands (runKeyed) alike.
func (l *Ledger) write(fn func(tx *txn) error) error {
	if l.bulk != nil {
		return l.bulk.write(fn) // Generate's shared transaction (generate_bulk.go)
	}
	if err := l.refuseOnStandby(); err != nil {
		return err
	}
	req := &commitReq{fn: fn, done: make(chan error, 1)}
	q := &l.commits
	q.mu.Lock()
	q.queue = append(q.queue, req)
	lead := !q.running
	q.running = true
	q.mu.Unlock()
	if lead {
		// No commit under way: this writer commits the queue (itself, and
		// whoever came in the meantime) at once, then leaves whatever
		// queued during its fsync to a committer of its own, so that it
		// answers its caller without waiting for others' commits.
		l.commitGroup(l.takeGroup())
		q.mu.Lock()
		if len(q.queue) == 0 {
			q.running = false
		} else {
			go l.commitLoop()
		}
		q.mu.Unlock()
	}
	err := <-req.done
	if err == errRunAlone {
		err = l.writeAlone(fn)
	}
	return err
}

// commitLoop commits groups until the queue is empty.
func (l *Ledger) commitLoop() {
	for {
		group := l.takeGroup()
		if len(group) == 0 {
			return // takeGroup gave up the queue
		}
		l.commitGroup(group)
	}
}

// takeGroup takes up to maxGroup writers off the queue; with the queue
// empty it clears running and returns none. With a batch delay set
// (Options.BatchDelay) a group of more than one waits that long for
// company before it runs.
func (l *Ledger) takeGroup() []*commitReq {
	q := &l.commits
	take := func() []*commitReq {
		n := min(len(q.queue), maxGroup)
		group := q.queue[:n:n]
		q.queue = append([]*commitReq(nil), q.queue[n:]...)
		return group
	}
	q.mu.Lock()
	if len(q.queue) == 0 {
		q.running = false
		q.mu.Unlock()
		return nil
	}
	group := take()
	q.mu.Unlock()
	if l.batchDelay > 0 && len(group) > 1 && len(group) < maxGroup {
		time.Sleep(l.batchDelay)
		q.mu.Lock()
		more := q.queue[:min(len(q.queue), maxGroup-len(group))]
		group = append(group, more...)
		q.queue = append([]*commitReq(nil), q.queue[len(more):]...)
		q.mu.Unlock()
	}
	return group
}

// commitGroup runs the group's functions in one transaction and answers
// every writer: nil once committed, the commit's error if it failed, or
// errRunAlone to a writer whose function failed beside others.
//
// When function i fails beside others the transaction is rolled back and
// the group splits there: the functions before it, which ran and
// succeeded, run again and commit as a group of their own; the failing one
// is handed back to run alone; the ones after it, which have not run yet,
// form the next group. So a function runs at most twice however many of
// its group fail, for a commit more a failure (rerunning the rest of the
// group after each failure cost group size × failures runs: 1,000 writes
// with every tenth refused ran 46,450 times).
func (l *Ledger) commitGroup(group []*commitReq) {
	pending := [][]*commitReq{group} // groups still to commit, in queue order
	for len(pending) > 0 {
		g := pending[0]
		pending = pending[1:]
		failed, ferr, appended, err := l.tryGroup(g)
		switch {
		case failed >= 0 && len(g) > 1:
			l.stats.Regroups.Add(1)
			g[failed].done <- errRunAlone
			var split [][]*commitReq
			if failed > 0 {
				split = append(split, g[:failed])
			}
			if failed+1 < len(g) {
				split = append(split, g[failed+1:])
			}
			pending = append(split, pending...)
		case failed >= 0: // the group was this writer alone: its failure is its answer
			if _, ok := ferr.(panicked); ok {
				g[0].done <- errRunAlone // to panic in its own goroutine
			} else {
				g[0].done <- l.committed(ferr)
			}
		case err == nil:
			l.committed(nil)
			l.stats.Commits.Add(1)
			l.stats.Grouped.Add(uint64(len(g)))
			if appended {
				l.bell.ring()
			}
			for _, r := range g {
				r.done <- nil
			}
		default: // the commit failed: every write of the group did (each one counted, a full disk's refusals too)
			for _, r := range g {
				r.done <- l.committed(err)
			}
		}
	}
}

// tryGroup runs g's functions in one write transaction and commits it.
// failed is the function that failed (-1: none), with its error ferr;
// err is the transaction's. A panic in the commit itself (bbolt's, or the
// tests' fault hook) is the error of every writer of the group, so that
// each is answered and the committer goes on: left to unwind, it would
// leave the queue held and every later writer waiting.
func (l *Ledger) tryGroup(g []*commitReq) (failed int, ferr error, appended bool, err error) {
	failed = -1
	defer func() {
		if v := recover(); v != nil {
			failed, appended, err = -1, false, panicked{v}
		}
	}()
	err = l.db.Update(func(b *bolt.Tx) error {
		failed, appended = -1, false
		for i, r := range g {
			t := &txn{Tx: b}
			if err := runFn(r.fn, t); err != nil {
				failed, ferr = i, err
				return err
			}
			appended = appended || t.appended
		}
		return l.beforeCommit()
	})
	return failed, ferr, appended, err
}

// runFn runs one writer's function, turning a panic into an error so that
// the others of its group are answered.
func runFn(fn func(tx *txn) error, t *txn) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = panicked{v}
		}
	}()
	return fn(t)
}

// writeAlone runs fn in a transaction of its own, in the caller's goroutine
// (bbolt lets one writer in at a time, so it takes its turn between groups).
func (l *Ledger) writeAlone(fn func(tx *txn) error) error {
	appended := false
	err := l.db.Update(func(b *bolt.Tx) error {
		t := &txn{Tx: b}
		if err := fn(t); err != nil {
			return err
		}
		appended = t.appended
		return l.beforeCommit()
	})
	if err == nil {
		l.stats.Commits.Add(1)
		l.stats.Grouped.Add(1)
	}
	err = l.committed(err)
	if err == nil && appended {
		l.bell.ring()
	}
	return err
}
