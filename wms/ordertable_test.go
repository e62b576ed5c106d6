package wms

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// keysOnly keeps orders 30 days and IDs (with them archived orders' keys)
// as set; everything else as long as it can.
func keysOnly(ids time.Duration) Retention {
	r := DefaultRetention()
	r.Figures, r.Keys, r.Events, r.Units = 400*24*time.Hour, 24*time.Hour, 0, 0
	r.IDs = ids
	return r
}

// orderAnswers is every lookup of the archived orders' numbers and their
// waybills, as JSON: the archived record, its owners, the order a waybill
// was used for, its account, the return lookup of both, and a new load of
// the waybill.
func orderAnswers(t *testing.T, l *Ledger, nos, waybills []string) map[string]string {
	return orderAnswersOf(t, l, nos, waybills, true)
}

// orderAnswersOf is orderAnswers, with the reloads or without (a standby
// takes no load).
func orderAnswersOf(t *testing.T, l *Ledger, nos, waybills []string, loads bool) map[string]string {
	t.Helper()
	out := map[string]string{}
	put := func(k string, v any, err error) {
		raw, _ := json.Marshal(v)
		out[k] = string(raw) + " / " + fmt.Sprint(ErrorCode(err), errKey(err))
	}
	for _, no := range nos {
		a, err := l.Books(DefaultOwner).ArchivedOrder(no)
		put("archived "+no, a, err)
		owners, err := l.ArchivedOrderOwners(no)
		put("owners "+no, owners, err)
		o, n, r, err := l.FindReturnOrder(no)
		put("return "+no, []string{o, n, r}, err)
	}
	for i, w := range waybills {
		o, n, ok, err := l.OrderOfWaybill(w)
		put("waybill "+w, []any{o, n, ok}, err)
		acc, ok, err := l.WaybillAccount(w)
		put("account "+w, []any{acc, ok}, err)
		ro, rn, rr, err := l.FindReturnOrder(w)
		put("return "+w, []string{ro, rn, rr}, err)
		if loads && i < len(waybills)-1 { // the last is a number never loaded: a load would take it
			_, err = l.LoadWaybills(ctx, fmt.Sprintf("reload-%d-%d", len(out), i), WaybillLoad{Account: "SF", Numbers: []string{w}}, "B4001", "web")
			put("load "+w, nil, err)
		}
	}
	return out
}

func errKey(err error) string {
	var de *Error
	if errors.As(err, &de) {
		return de.Key
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

func bucketLen(t *testing.T, l *Ledger, b []byte) (n int) {
	t.Helper()
	_ = l.view(func(tx *txn) error { n = tx.Bucket(b).Stats().KeyN; return nil })
	return n
}

func ordFiles(t *testing.T, l *Ledger) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(l.ArchiveDir(), "*.ords"))
	for i := range m {
		m[i] = filepath.Base(m[i])
	}
	return m
}

// ordersArchivedMonth is three days of shipped orders archived (--keep-ids 0:
// their keys still live) and a fourth day's work live; it returns the
// archived orders' numbers and waybills.
func ordersArchivedMonth(t *testing.T, l *Ledger, clock *testClock) (nos, waybills []string) {
	t.Helper()
	monthSetup(t, l, 0)
	for d := range 3 {
		monthDay(t, l, clock, d, 6)
	}
	for _, o := range mustOrdersIn(t, l, OrderShipped) {
		nos = append(nos, o.No)
		p, err := l.Books(DefaultOwner).Pack(o.No)
		if err != nil {
			t.Fatal(err)
		}
		for _, pc := range p.Parcels {
			waybills = append(waybills, pc.Waybill)
		}
	}
	clock.Add(31 * 24 * time.Hour)
	monthDay(t, l, clock, 40, 4) // today's work stays
	run, err := l.Archive(ctx, keysOnly(0), "system", "test")
	if err != nil || run.Orders != len(nos) || run.OrderKeys != 0 {
		t.Fatalf("archived %d orders of %d, moved %d keys: %v", run.Orders, len(nos), run.OrderKeys, err)
	}
	if len(waybills) < len(nos) {
		t.Fatalf("%d waybills of %d orders", len(waybills), len(nos))
	}
	return nos, append(waybills, "SF9NEVERLOADED1")
}

// TestOrderKeysLeave: a run with --keep-ids moves archived orders' keys
// (archived_orders, their waybills' waybill_used and waybill_index
// entries) into the run's order table; an unused number in a pool and
// the live orders' keys stay; every lookup answers as before (the order
// by number, its owners, a waybill's order and account, the return
// lookup, a reload of a used waybill refused, an intake of the same
// order a duplicate and of a changed one refused); a rebuild and the
// check give the same projections; a reopened store opens the table.
func TestOrderKeysLeave(t *testing.T) {
	dir := t.TempDir()
	l, clock := openTestIn(t, dir)
	defer func(n int) { ordsBatch = n }(ordsBatch)
	ordsBatch = 7 // several events a bucket
	nos, waybills := ordersArchivedMonth(t, l, clock)
	before := orderAnswers(t, l, nos, waybills)
	used, index, archived := bucketLen(t, l, bucketWaybillUsed), bucketLen(t, l, bucketWaybillIndex), bucketLen(t, l, bucketArchivedOrders)
	pool := bucketLen(t, l, bucketWaybillPool)

	run, err := l.Archive(ctx, keysOnly(10*24*time.Hour), "system", "test")
	if err != nil {
		t.Fatal(err)
	}
	moved := len(nos) + 2*(len(waybills)-1)
	if run.OrderKeys != len(nos)+len(waybills)-1 || bucketLen(t, l, bucketArchivedOrders) != archived-len(nos) ||
		bucketLen(t, l, bucketWaybillUsed) != used-(len(waybills)-1) || bucketLen(t, l, bucketWaybillIndex) != index-(len(waybills)-1) {
		t.Fatalf("moved %d keys (want %d entries): archived_orders %d→%d, waybill_used %d→%d, waybill_index %d→%d", run.OrderKeys, moved,
			archived, bucketLen(t, l, bucketArchivedOrders), used, bucketLen(t, l, bucketWaybillUsed), index, bucketLen(t, l, bucketWaybillIndex))
	}
	if bucketLen(t, l, bucketWaybillPool) != pool || bucketLen(t, l, bucketWaybillUsed) != 4 {
		t.Fatalf("the pool (%d, was %d) and today's used numbers (%d) stay", bucketLen(t, l, bucketWaybillPool), pool, bucketLen(t, l, bucketWaybillUsed))
	}
	if files := ordFiles(t, l); len(files) != 1 || len(namedTables(t, l, ordsKind)) != 1 {
		t.Fatalf("order tables: %v", files)
	}
	after := orderAnswers(t, l, nos, waybills)
	if !reflect.DeepEqual(after, before) {
		for k, v := range before {
			if after[k] != v {
				t.Errorf("%s: %.200s, was %.200s", k, after[k], v)
			}
		}
		t.FailNow()
	}
	if !strings.Contains(before["load "+waybills[0]], "waybill.duplicate") || !strings.Contains(before["archived "+nos[0]], nos[0]) {
		t.Fatalf("the answers are not the ones looked for: %q %q", before["load "+waybills[0]], before["archived "+nos[0]])
	}
	// the same order again a duplicate, changed refused, in a batch too
	again := order(nos[0], LineIn{"M000", 1}, LineIn{"M007", 2}, LineIn{"M019", 1})
	again.Carrier = "SF"
	if o, dup, err := l.ReceiveOrder(ctx, "", again, "oms", "api"); err != nil || !dup || o.State != OrderShipped {
		t.Fatalf("the archived order sent again: %+v dup %v, %v", o.State, dup, err)
	}
	again.Notes = "changed"
	if _, _, err := l.ReceiveOrder(ctx, "", again, "oms", "api"); errKey(err) != "order.in_archive" {
		t.Fatalf("the archived order changed: %v", err)
	}
	b, err := l.ReceiveOrders(ctx, "", []OrderIntake{again}, "oms", "api")
	if err != nil || b.Orders[0].Result != BatchRefused || b.Orders[0].Error.Key != "order.in_archive" {
		t.Fatalf("a batch with the changed archived order: %+v %v", b, err)
	}
	// a number never used still loads
	if _, err := l.LoadWaybills(ctx, "fresh", WaybillLoad{Account: "SF", Numbers: []string{"SF9FRESH000001"}}, "B4001", "web"); err != nil {
		t.Fatalf("a fresh number: %v", err)
	}
	// a second run finds nothing more
	if run, err := l.Archive(ctx, keysOnly(10*24*time.Hour), "system", "test"); err != nil || run.OrderKeys != 0 {
		t.Fatalf("a second run moved %d: %v", run.OrderKeys, err)
	}
	proj := projections(t, l)
	if err := l.Rebuild(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(projections(t, l), proj) {
		t.Fatal("a rebuild gives other projections")
	}
	if mm, err := l.Check(t.TempDir()); err != nil || len(mm) > 0 {
		t.Fatalf("check: %v %v", mm, err)
	}
	if files, recs, err := l.VerifyOrderTables(); err != nil || files != 1 || recs != uint64(len(nos)+len(waybills)-1) {
		t.Fatalf("verify: %d files, %d records: %v", files, recs, err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l, err = Open(dir, Options{Now: clock.Now, Zone: time.FixedZone("CST", 8*3600)})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if got := orderAnswers(t, l, nos, waybills); !reflect.DeepEqual(got, before) {
		t.Fatal("the reopened store answers otherwise")
	}
}

// TestOrderTableStandbyAndRestore: a standby builds the same table and
// state; one whose entries differ is refused the page with the table's
// name, adopts the primary's file (the route's OpenIDTableFile) and goes
// on; a backup taken before the run restores with its keys live, one
// taken after reads the named table; both answer as before.
func TestOrderTableStandbyAndRestore(t *testing.T) {
	dir := t.TempDir()
	primary, clock := openTestIn(t, dir)
	opt := Options{Now: clock.Now, Zone: time.FixedZone("CST", 8*3600)}
	defer func(n int) { ordsBatch = n }(ordsBatch)
	ordsBatch = 5
	near, _ := openTest(t)
	if err := near.Follow("http://primary:8080"); err != nil {
		t.Fatal(err)
	}
	far, _ := openTest(t)
	if err := far.Follow("http://primary:8080"); err != nil {
		t.Fatal(err)
	}
	nos, waybills := ordersArchivedMonth(t, primary, clock)
	answers := orderAnswers(t, primary, nos, waybills)
	lookups := orderAnswersOf(t, primary, nos, waybills, false)
	replicateAll(t, primary, near, 50)
	replicateAll(t, primary, far, 50)
	backup1 := filepath.Join(t.TempDir(), "b1.db")
	if _, _, err := primary.BackupToFile(backup1); err != nil {
		t.Fatal(err)
	}
	run, err := primary.Archive(ctx, keysOnly(10*24*time.Hour), "system", "test")
	if err != nil || run.OrderKeys == 0 {
		t.Fatalf("moved %d: %v", run.OrderKeys, err)
	}
	replicateAll(t, primary, near, 37)
	sameState(t, primary, near)
	if a, b := ordFiles(t, primary), ordFiles(t, near); !reflect.DeepEqual(a, b) || len(a) != 1 {
		t.Fatalf("order tables: primary %v, standby %v", a, b)
	}
	// a standby has no order archive files of its own (README: copy
	// those): the order of a moved waybill is read from its member
	files, _ := filepath.Glob(filepath.Join(primary.ArchiveDir(), "*.orders.jsonl.gz"))
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(near.ArchiveDir(), filepath.Base(f)), raw, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	if got := orderAnswersOf(t, near, nos, waybills, false); !reflect.DeepEqual(got, lookups) {
		for k, v := range lookups {
			if got[k] != v {
				t.Errorf("%s: %.200s, was %.200s", k, got[k], v)
			}
		}
		t.Fatal("the standby answers otherwise")
	}

	// far lost a waybill_index entry: its table differs, the page is
	// refused naming the primary's file, which it adopts
	if err := far.update(func(tx *txn) error {
		return tx.Bucket(bucketWaybillIndex).Delete([]byte(waybills[0]))
	}); err != nil {
		t.Fatal(err)
	}
	err = replicateOnce(primary, far, 50)
	var need *IDTableNeeded
	if !errors.As(err, &need) || !strings.HasSuffix(need.Name, ".ords") || errKey(err) != "ords.digest_differs" {
		t.Fatalf("a standby whose entries differ: %v", err)
	}
	if TableKindOf(need.Name) != "order table" {
		t.Fatalf("kind of %s: %s", need.Name, TableKindOf(need.Name))
	}
	f, size, err := primary.OpenIDTableFile(need.Name)
	if err != nil {
		t.Fatal(err)
	}
	err = far.AdoptIDTable(need.Name, need.Digest, f, size)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	replicateAll(t, primary, far, 50)
	if got := ordFiles(t, far); !reflect.DeepEqual(got, ordFiles(t, primary)) {
		t.Fatalf("far's tables: %v", got)
	}
	// the entry the test removed by hand is the one that stays live on
	// far (the primary's table holds it with its account); a rebuild of
	// far's log, on the adopted table, gives the primary's state
	if err := far.Rebuild(); err != nil {
		t.Fatal(err)
	}
	sameState(t, primary, far)
	if _, _, err := primary.OpenIDTableFile("2026-11.0123456789abcdef.ords/x"); ErrorCode(err) != CodeInvalid {
		t.Fatalf("a bad name: %v", err)
	}

	backup2 := filepath.Join(t.TempDir(), "b2.db")
	if _, _, err := primary.BackupToFile(backup2); err != nil {
		t.Fatal(err)
	}
	if err := primary.Close(); err != nil {
		t.Fatal(err)
	}
	for i, b := range []string{backup1, backup2} {
		if i > 0 {
			time.Sleep(1100 * time.Millisecond) // the replaced store is kept under the second's name
		}
		if _, err := Restore(dir, b, opt); err != nil {
			t.Fatalf("restore %d: %v", i+1, err)
		}
		l, err := Open(dir, opt)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(l.tablesOfKind(ordsKind).list); n != i {
			t.Fatalf("backup %d opened %d order tables", i+1, n)
		}
		if got := orderAnswers(t, l, nos, waybills); !reflect.DeepEqual(got, answers) {
			t.Fatalf("the store restored from backup %d answers otherwise", i+1)
		}
		if mm, err := l.Check(t.TempDir()); err != nil || len(mm) > 0 {
			t.Fatalf("check of backup %d: %v %v", i+1, mm, err)
		}
		l.Close()
	}
	// a damaged table is refused at Open, never read as "not archived"
	files = ordFiles(t, far)
	path := filepath.Join(dir, archiveDirName, files[0])
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, raw[:len(raw)-1], 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, opt); err == nil || !strings.Contains(err.Error(), "order table") {
		t.Fatalf("a damaged order table: %v", err)
	}
}

// TestOrderTableRunsCapped: a run moves at most ordsRunMax entries of
// each bucket (the first in key order); the next run takes the rest into
// a table of its own; every answer is the same after each run, and a
// rebuild after them gives the same projections.
func TestOrderTableRunsCapped(t *testing.T) {
	l, clock := openTest(t)
	defer func(n, b int) { ordsRunMax, ordsBatch = n, b }(ordsRunMax, ordsBatch)
	ordsRunMax, ordsBatch = 5, 2
	nos, waybills := ordersArchivedMonth(t, l, clock)
	before := orderAnswersOf(t, l, nos, waybills, false)
	runs, moved := 0, 0
	for {
		run, err := l.Archive(ctx, keysOnly(10*24*time.Hour), "system", "test")
		if err != nil {
			t.Fatal(err)
		}
		if run.OrderKeys == 0 {
			break
		}
		if run.OrderKeys > 2*ordsRunMax {
			t.Fatalf("run %d moved %d entries (cap %d a bucket)", runs+1, run.OrderKeys, ordsRunMax)
		}
		runs++
		moved += run.OrderKeys
		if got := orderAnswersOf(t, l, nos, waybills, false); !reflect.DeepEqual(got, before) {
			t.Fatalf("after run %d the answers differ", runs)
		}
	}
	if want := len(nos) + len(waybills) - 1; moved != want || runs < 2 || len(ordFiles(t, l)) != runs {
		t.Fatalf("%d runs moved %d entries into %d tables, want %d", runs, moved, len(ordFiles(t, l)), want)
	}
	proj := projections(t, l)
	if err := l.Rebuild(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(projections(t, l), proj) {
		t.Fatal("a rebuild after capped runs gives other projections")
	}
}
