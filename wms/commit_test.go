package wms

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

var testBucket = []byte("commit-test")

// openBare is a ledger on a fresh file with a bucket of its own for these
// tests' raw writes (no Check at the end: the bucket is none of the ledger's).
func openBare(t *testing.T, opt Options) *Ledger {
	t.Helper()
	l, err := Open(t.TempDir(), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	if err := l.db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket(testBucket); return err }); err != nil {
		t.Fatal(err)
	}
	return l
}

func putFn(key string, runs *atomic.Int32, fail error) func(tx *txn) error {
	return func(tx *txn) error {
		runs.Add(1)
		if err := tx.Bucket(testBucket).Put([]byte(key), []byte("v")); err != nil {
			return err
		}
		return fail // written, then failed: the writes must go with the failure
	}
}

func (l *Ledger) testKeys(t *testing.T) map[string]bool {
	t.Helper()
	keys := map[string]bool{}
	if err := l.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(testBucket).ForEach(func(k, _ []byte) error { keys[string(k)] = true; return nil })
	}); err != nil {
		t.Fatal(err)
	}
	return keys
}

// One write of a group fails after writing: the group is rolled back, the
// others commit once without it, and it is told to run alone.
func TestGroupCommitOneFailureSparesTheOthers(t *testing.T) {
	l := openBare(t, Options{})
	var runs [3]atomic.Int32
	refused := errors.New("refused")
	group := []*commitReq{
		{fn: putFn("a", &runs[0], nil), done: make(chan error, 1)},
		{fn: putFn("b", &runs[1], refused), done: make(chan error, 1)},
		{fn: putFn("c", &runs[2], nil), done: make(chan error, 1)},
	}
	commits := l.stats.Commits.Load()
	l.commitGroup(group)
	if err := <-group[0].done; err != nil {
		t.Errorf("a: %v", err)
	}
	if err := <-group[1].done; err != errRunAlone {
		t.Errorf("b: %v, want to run alone", err)
	}
	if err := <-group[2].done; err != nil {
		t.Errorf("c: %v", err)
	}
	if got := l.testKeys(t); !got["a"] || got["b"] || !got["c"] {
		t.Errorf("stored %v, want a and c", got)
	}
	// a ran before b failed and again; c only after; b once in the group
	if a, b, c := runs[0].Load(), runs[1].Load(), runs[2].Load(); a != 2 || b != 1 || c != 1 {
		t.Errorf("runs a=%d b=%d c=%d, want 2, 1, 1", a, b, c)
	}
	if n := l.stats.Commits.Load() - commits; n != 1 || l.stats.Regroups.Load() != 1 {
		t.Errorf("%d commits, %d regroups; want 1, 1", n, l.stats.Regroups.Load())
	}
}

// Through write, the failing writer gets its own error (from its solo
// run), concurrent writers beside it succeed, and a writer alone is run
// once.
func TestGroupCommitWriters(t *testing.T) {
	l := openBare(t, Options{})
	var once atomic.Int32
	refused := errors.New("refused")
	if err := l.write(putFn("alone", &once, refused)); err != refused || once.Load() != 1 {
		t.Errorf("a failing writer alone: %v after %d runs, want refused after 1", err, once.Load())
	}
	const n = 64
	var wg sync.WaitGroup
	errs := make([]error, n)
	runs := make([]atomic.Int32, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var fail error
			if i%8 == 3 {
				fail = refused
			}
			errs[i] = l.write(putFn(fmt.Sprint(i), &runs[i], fail))
		}()
	}
	wg.Wait()
	got := l.testKeys(t)
	for i := range n {
		want := i%8 != 3
		if got[fmt.Sprint(i)] != want {
			t.Errorf("writer %d stored %v, want %v", i, got[fmt.Sprint(i)], want)
		}
		if (errs[i] == nil) != want || (!want && errs[i] != refused) {
			t.Errorf("writer %d: %v", i, errs[i])
		}
	}
	if got["alone"] {
		t.Errorf("the refused writer's write stayed")
	}
	if c, g := l.stats.Commits.Load(), l.stats.Grouped.Load(); g != n-n/8 || c > g {
		t.Errorf("%d commits carried %d writes, want %d writes", c, g, n-n/8)
	}
}

// A write that panics panics in its own writer's goroutine, and its group
// is answered.
func TestGroupCommitPanic(t *testing.T) {
	l := openBare(t, Options{})
	var runs atomic.Int32
	req := &commitReq{fn: func(*txn) error { panic("boom") }, done: make(chan error, 1)}
	ok := &commitReq{fn: putFn("ok", &runs, nil), done: make(chan error, 1)}
	l.commitGroup([]*commitReq{ok, req})
	if err := <-ok.done; err != nil {
		t.Errorf("the other writer: %v", err)
	}
	if err := <-req.done; err != errRunAlone {
		t.Errorf("the panicking writer: %v", err)
	}
	defer func() {
		if v := recover(); v != "boom" {
			t.Errorf("recovered %v, want boom", v)
		}
		if !l.testKeys(t)["ok"] {
			t.Errorf("the other write is missing")
		}
		// the committer is free again
		if err := l.write(putFn("after", &runs, nil)); err != nil {
			t.Errorf("a write after the panic: %v", err)
		}
	}()
	_ = l.write(func(*txn) error { panic("boom") })
	t.Errorf("write did not panic")
}

// A commit that fails (the disk, here the tests' hook) fails every write of
// its group and changes nothing.
func TestGroupCommitFailedCommit(t *testing.T) {
	var failing atomic.Bool
	full := errors.New("no space left on device")
	l := openBare(t, Options{FailWrites: func() error {
		if failing.Load() {
			return full
		}
		return nil
	}})
	failing.Store(true)
	var runs [2]atomic.Int32
	group := []*commitReq{
		{fn: putFn("x", &runs[0], nil), done: make(chan error, 1)},
		{fn: putFn("y", &runs[1], nil), done: make(chan error, 1)},
	}
	l.commitGroup(group)
	for i, r := range group {
		if err := <-r.done; err == nil {
			t.Errorf("writer %d succeeded on a failed commit", i)
		}
	}
	if got := l.testKeys(t); len(got) != 0 {
		t.Errorf("stored %v after a failed commit", got)
	}
}

// With a batch delay, a group of more than one waits for company.
func TestGroupCommitBatchDelay(t *testing.T) {
	l := openBare(t, Options{BatchDelay: 200 * time.Millisecond})
	q := &l.commits
	q.running = true
	for range 2 {
		q.queue = append(q.queue, &commitReq{})
	}
	go func() {
		time.Sleep(20 * time.Millisecond)
		q.mu.Lock()
		q.queue = append(q.queue, &commitReq{}, &commitReq{})
		q.mu.Unlock()
	}()
	if g := l.takeGroup(); len(g) != 4 {
		t.Errorf("a group of %d, want 4", len(g))
	}
	// alone, nobody waits
	l2 := openBare(t, Options{BatchDelay: time.Hour})
	var runs atomic.Int32
	done := make(chan error, 1)
	go func() { done <- l2.write(putFn("k", &runs, nil)) }()
	select {
	case err := <-done:
		if err != nil {
			t.Error(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a writer alone waited for the batch delay")
	}
}

// Appends from many handhelds at once, some refused by the ledger's rules:
// the refused leave no trace, the rest are each in the log once, and the
// projections equal a rebuild (openTest checks at the end).
func TestGroupCommitAppends(t *testing.T) {
	l, _ := openTest(t)
	seedSmall(t, l) // BOOK: 7 at A01-01-01
	const n = 48
	var wg sync.WaitGroup
	var ok, refused atomic.Int64
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			delta := int64(1)
			if i%6 == 0 {
				delta = -1000 // more than there is: refused
			}
			ev, err := NewEvent(fmt.Sprintf("gc-%d", i), EvStockAdjusted, "B1001", "pda",
				StockAdjustment{SKU: "BOOK", Location: "A01-01-01", Delta: delta, Reason: "test"})
			if err != nil {
				t.Error(err)
				return
			}
			if _, _, err := l.Append(context.Background(), ev); err != nil {
				if delta > 0 {
					t.Errorf("append %d: %v", i, err)
				}
				refused.Add(1)
				return
			}
			ok.Add(1)
		}()
	}
	wg.Wait()
	if refused.Load() != n/6 || ok.Load() != n-n/6 {
		t.Errorf("%d appended, %d refused", ok.Load(), refused.Load())
	}
	lines, err := l.StockAt("A01-01-01")
	if err != nil {
		t.Fatal(err)
	}
	var book int64
	for _, s := range lines {
		if s.SKU == "BOOK" {
			book += s.Qty
		}
	}
	if want := int64(7 + n - n/6); book != want {
		t.Errorf("BOOK at A01-01-01: %d, want %d", book, want)
	}
	for i := range n {
		_, err := l.EventByID(fmt.Sprintf("gc-%d", i))
		if (err == nil) != (i%6 != 0) {
			t.Errorf("event gc-%d: %v", i, err)
		}
	}
}
