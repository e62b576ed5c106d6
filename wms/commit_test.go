package wms

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
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
	// a committed on its own, then c: one commit each side of the failure
	if n := l.stats.Commits.Load() - commits; n != 2 || l.stats.Regroups.Load() != 1 {
		t.Errorf("%d commits, %d regroups; want 2, 1", n, l.stats.Regroups.Load())
	}
}

// However many writes of a group fail, each other write runs at most twice
// (before the split, rerunning the rest after every failure ran 1,000
// writes with every tenth refused 46,450 times), and every good write is
// stored, in as many commits as failures and one.
func TestGroupCommitManyFailuresRunEachWriteTwiceAtMost(t *testing.T) {
	l := openBare(t, Options{})
	refused := errors.New("refused")
	group := make([]*commitReq, maxGroup)
	runs := make([]atomic.Int32, maxGroup)
	for i := range group {
		var fail error
		if i%10 == 9 {
			fail = refused
		}
		group[i] = &commitReq{fn: putFn(strconv.Itoa(i), &runs[i], fail), done: make(chan error, 1)}
	}
	commits := l.stats.Commits.Load()
	l.commitGroup(group)
	for i, r := range group {
		err := <-r.done
		if want := error(nil); i%10 == 9 {
			want = errRunAlone
			if err != want {
				t.Errorf("write %d: %v, want to run alone", i, err)
			}
		} else if err != nil {
			t.Errorf("write %d: %v", i, err)
		}
		if n := runs[i].Load(); n < 1 || n > 2 {
			t.Errorf("write %d ran %d times", i, n)
		}
	}
	if got := l.testKeys(t); len(got) != 900 || got["9"] || got["999"] || !got["0"] || !got["998"] {
		t.Errorf("stored %d writes", len(got))
	}
	if n := l.stats.Commits.Load() - commits; n != 100 || l.stats.Regroups.Load() != 100 {
		t.Errorf("%d commits, %d regroups; want 100 (the last write was refused), 100", n, l.stats.Regroups.Load())
	}
}

// A panic in the commit itself (bbolt's own, or here the tests' fault
// hook) is every writer's error of that group, and the committer goes on:
// before, the queue stayed held and every later write waited for ever.
func TestGroupCommitPanicInCommit(t *testing.T) {
	var armed atomic.Bool
	l := openBare(t, Options{FailWrites: func() error {
		if armed.CompareAndSwap(true, false) {
			panic("commit blew up")
		}
		return nil
	}})
	var runs [3]atomic.Int32
	armed.Store(true)
	group := []*commitReq{
		{fn: putFn("x", &runs[0], nil), done: make(chan error, 1)},
		{fn: putFn("y", &runs[1], nil), done: make(chan error, 1)},
	}
	l.commitGroup(group)
	for i, r := range group {
		if err := <-r.done; err == nil || !strings.Contains(err.Error(), "commit blew up") {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	if got := l.testKeys(t); len(got) != 0 {
		t.Errorf("stored %v after a commit that panicked", got)
	}
	armed.Store(true)
	if err := l.write(putFn("a", &runs[2], nil)); err == nil || !strings.Contains(err.Error(), "commit blew up") {
		t.Errorf("a write whose commit panicked: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- l.write(putFn("b", &runs[2], nil)) }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("the next write: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("the next write still waits after 10 s: the queue is held")
	}
	if got := l.testKeys(t); !got["b"] || got["a"] {
		t.Errorf("stored %v, want b alone", got)
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
