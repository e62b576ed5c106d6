package wms

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// lotStories is every lot's story (LotTrace) as JSON, by the lot's key.
func lotStories(t *testing.T, l *Ledger) map[string]string {
	t.Helper()
	var keys [][]string
	_ = l.view(func(tx *txn) error {
		return tx.Bucket(bucketLots).ForEach(func(k, _ []byte) error {
			keys = append(keys, splitKey(k))
			return nil
		})
	})
	out := map[string]string{}
	for _, k := range keys {
		_, story, err := l.Books(k[0]).LotTrace(k[1], k[2])
		if err != nil {
			t.Fatalf("trace of %v: %v", k, err)
		}
		raw, _ := json.Marshal(story)
		out[strings.Join(k, "/")] = string(raw)
	}
	return out
}

func lotEntries(t *testing.T, l *Ledger) (n int, oldest uint64) {
	t.Helper()
	_ = l.view(func(tx *txn) error {
		return tx.Bucket(bucketLotEvents).ForEach(func(k, _ []byte) error {
			_, s, _ := lotEntry(k)
			if n == 0 || s < oldest {
				oldest = s
			}
			n++
			return nil
		})
	})
	return n, oldest
}

func lotFiles(t *testing.T, l *Ledger) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(l.ArchiveDir(), "*.lots"))
	for i := range m {
		m[i] = filepath.Base(m[i])
	}
	return m
}

// lotMonths is a store with lots touched over several days, a lot put on
// hold among them (an exception whose "since" is read from the lot's story).
func lotMonths(t *testing.T, l *Ledger, clock *testClock) {
	t.Helper()
	monthSetup(t, l, 0)
	mustAppend(t, l, "lot-sku", EvSKUUpserted, SKU{Code: "LOTM", Name: "奶粉 LOTM", GTINs: []string{demoGTIN("699000", 1)}, UnitWeightG: 900, ShelfLifeDays: 720, LotTracked: true})
	mustAppend(t, l, "lot-loc", EvLocationUpserted, Location{Code: "C09-01-01", Zone: "C", PickSeq: 900, Kind: KindPick})
	for d := range 3 {
		monthDay(t, l, clock, d, 4)
		for i, lot := range []string{"LA", "LB", "LC"} {
			mustAppend(t, l, fmt.Sprintf("lot-%d-%d", d, i), EvStockAdjusted, StockAdjustment{SKU: "LOTM", Lot: lot, Expiry: "2028-01-31", Location: "C09-01-01", Delta: int64(3 + i), Reason: "count"})
		}
		clock.Add(24 * time.Hour)
	}
	if _, err := l.SetLotStatus(ctx, "hold-1", LotStatusChange{SKU: "LOTM", Lot: "LA", Status: LotHold, Reason: "supplier recall"}, "B1001", "test"); err != nil {
		t.Fatal(err)
	}
}

// TestLotStoriesAfterArchiving: the lot_events entries of events past
// --keep-events leave the live store for the month's lot index; every
// lot's story, the recall report and the exceptions are what they were;
// a rebuild (and the check, openTest's cleanup) gives the same
// projections; a reopened store reads its committed index; a second
// month's run writes a second file and a second run of the month a new
// version, the one before kept.
func TestLotStoriesAfterArchiving(t *testing.T) {
	l, clock := openTestIn(t, t.TempDir())
	defer func(n int) { lotsBatch = n }(lotsBatch)
	lotsBatch = 7 // several events a run
	defer func(n int) { replayChunkEvents = n }(replayChunkEvents)
	replayChunkEvents = 29 // chunks that end between a lot entry and its lots.archived
	lotMonths(t, l, clock)
	clock.Add(4 * 24 * time.Hour)
	monthDay(t, l, clock, 9, 2) // today's work stays
	storiesBefore := lotStories(t, l)
	exBefore, err := l.Exceptions(ExceptionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	entriesBefore, _ := lotEntries(t, l)
	through, err := l.lastSeqBefore(l.Now().Add(-3 * 24 * time.Hour))
	if err != nil {
		t.Fatal(err)
	}

	run, err := l.Archive(ctx, eventsOnly(3*24*time.Hour), "system", "test")
	if err != nil {
		t.Fatal(err)
	}
	n, oldest := lotEntries(t, l)
	if run.Lots == 0 || n+run.Lots != entriesBefore || oldest <= through {
		t.Fatalf("moved %d lot entries of %d, %d left, the oldest of event %d (through %d)", run.Lots, entriesBefore, n, oldest, through)
	}
	if files := lotFiles(t, l); len(files) != 1 || !strings.HasPrefix(files[0], "2026-11.") {
		t.Fatalf("lot index files: %v", files)
	}
	if got := lotStories(t, l); !reflect.DeepEqual(got, storiesBefore) {
		t.Fatal("lot stories differ after archiving")
	}
	if ex, err := l.Exceptions(ExceptionFilter{}); err != nil || !reflect.DeepEqual(ex, exBefore) {
		t.Fatalf("exceptions differ after archiving: %v", err)
	}
	before := projections(t, l)
	if err := l.Rebuild(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(projections(t, l), before) {
		t.Fatal("a rebuild after moving lot entries out gives other projections")
	}
	if mm, err := l.Check(t.TempDir()); err != nil || len(mm) > 0 {
		t.Fatalf("check after archiving: %v %v", mm, err)
	}

	// reopened: the committed index is opened and read
	path := l.Path()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l2, err := Open(filepath.Dir(path), Options{Now: clock.Now, Zone: time.FixedZone("CST", 8*3600)})
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	if got := lotStories(t, l2); !reflect.DeepEqual(got, storiesBefore) {
		t.Fatal("lot stories differ after reopening")
	}
	if files, recs, err := l2.VerifyLotIndexes(); err != nil || files != 1 || recs != uint64(run.Lots) {
		t.Fatalf("verify: %d files, %d records (moved %d): %v", files, recs, run.Lots, err)
	}

	// more work, another run in the month: an index of its own, the first kept
	monthDay(t, l2, clock, 10, 2)
	clock.Add(5 * 24 * time.Hour)
	monthDay(t, l2, clock, 15, 2)
	storiesBefore = lotStories(t, l2)
	run2, err := l2.Archive(ctx, eventsOnly(3*24*time.Hour), "system", "test")
	if err != nil || run2.Lots == 0 {
		t.Fatalf("second run moved %d lot entries: %v", run2.Lots, err)
	}
	if files := lotFiles(t, l2); len(files) != 2 {
		t.Fatalf("after a second run of the month: %v (want an index a run)", files)
	}
	// next month: a file of its own
	clock.Add(25 * 24 * time.Hour)
	monthDay(t, l2, clock, 40, 2)
	clock.Add(4 * 24 * time.Hour)
	mustAppend(t, l2, "later", EvLocationUpserted, Location{Code: "Z99-01-01", Zone: "Z", PickSeq: 1, Kind: KindPick})
	after := lotStories(t, l2)
	run3, err := l2.Archive(ctx, eventsOnly(3*24*time.Hour), "system", "test")
	if err != nil || run3.Lots == 0 {
		t.Fatalf("next month's run moved %d lot entries: %v", run3.Lots, err)
	}
	var dec int
	for _, f := range lotFiles(t, l2) {
		if strings.HasPrefix(f, "2026-12.") {
			dec++
		}
	}
	if dec != 1 {
		t.Fatalf("December's lot index: %v", lotFiles(t, l2))
	}
	if got := lotStories(t, l2); !reflect.DeepEqual(got, after) {
		t.Fatal("lot stories differ after the next month's run")
	}
	for k, v := range storiesBefore {
		if !strings.HasPrefix(after[k], strings.TrimSuffix(v, "]")) {
			t.Fatalf("the story of %s lost events", k)
		}
	}
	if mm, err := l2.Check(t.TempDir()); err != nil || len(mm) > 0 {
		t.Fatalf("check after three runs: %v %v", mm, err)
	}
}

// TestLotArchiveCrashBeforeTheEvent: an index written whose event never
// committed (the process died between) is not the store's: a reopened
// store reads the live entries, and the next run writes the same file
// again and commits it.
func TestLotArchiveCrashBeforeTheEvent(t *testing.T) {
	l, clock := openTestIn(t, t.TempDir())
	lotMonths(t, l, clock)
	clock.Add(5 * 24 * time.Hour)
	mustAppend(t, l, "later", EvLocationUpserted, Location{Code: "Z99-01-01", Zone: "Z", PickSeq: 1, Kind: KindPick})
	stories := lotStories(t, l)
	through, err := l.lastSeqBefore(l.Now().Add(-3 * 24 * time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	m, err := l.collectLots(through, nil, 0)
	if err != nil || len(m.recs) == 0 {
		t.Fatalf("%d entries: %v", len(m.recs), err)
	}
	tb, digest, err := l.buildTable(lotsKind, "2026-11.lots", m.recs, "", idVersion)
	if err != nil {
		t.Fatal(err)
	}
	tb.close() // the process dies here
	path := l.Path()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l, err = Open(filepath.Dir(path), Options{Now: clock.Now, Zone: time.FixedZone("CST", 8*3600)})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if n := len(l.lotTables().list); n != 0 {
		t.Fatalf("%d lot indexes open without an event naming them", n)
	}
	if got := lotStories(t, l); !reflect.DeepEqual(got, stories) {
		t.Fatal("lot stories differ after the crash")
	}
	run, err := l.Archive(ctx, eventsOnly(3*24*time.Hour), "system", "test")
	if err != nil || run.Lots != len(m.recs) {
		t.Fatalf("the run after the crash moved %d of %d: %v", run.Lots, len(m.recs), err)
	}
	if files := lotFiles(t, l); len(files) != 1 || files[0] != lotTableFile("2026-11.lots", digest) {
		t.Fatalf("files after the redone run: %v, want the crashed run's %s", files, lotTableFile("2026-11.lots", digest))
	}
	if got := lotStories(t, l); !reflect.DeepEqual(got, stories) {
		t.Fatal("lot stories differ after the redone run")
	}
	if mm, err := l.Check(t.TempDir()); err != nil || len(mm) > 0 {
		t.Fatalf("check: %v %v", mm, err)
	}
}

// TestLotIndexDamaged: a damaged lot index is an error naming it, never a
// short story; one missing or cut short is refused at Open by its name.
func TestLotIndexDamaged(t *testing.T) {
	dir := t.TempDir()
	l, clock := openTestIn(t, dir)
	lotMonths(t, l, clock)
	clock.Add(5 * 24 * time.Hour)
	mustAppend(t, l, "later", EvLocationUpserted, Location{Code: "Z99-01-01", Zone: "Z", PickSeq: 1, Kind: KindPick})
	if run, err := l.Archive(ctx, eventsOnly(3*24*time.Hour), "system", "test"); err != nil || run.Lots == 0 {
		t.Fatalf("moved %d: %v", run.Lots, err)
	}
	files := lotFiles(t, l)
	if len(files) != 1 {
		t.Fatalf("lot files: %v", files)
	}
	name := files[0]
	file := filepath.Join(l.ArchiveDir(), name)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	whole, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	reopen := func() (*Ledger, error) {
		return Open(dir, Options{Now: clock.Now, Zone: time.FixedZone("CST", 8*3600)})
	}
	// a byte of the first block flipped: the trace of a lot whose records
	// are there fails, naming the file
	bad := append([]byte(nil), whole...)
	for i := range binary.BigEndian.Uint64(whole[24:32]) { // the header's count of blocks
		bad[idBlockSize*(1+i)+3] ^= 0xff // every block's first record
	}
	if err := os.WriteFile(file, bad, 0o640); err != nil {
		t.Fatal(err)
	}
	l, err = reopen()
	if err != nil {
		t.Fatal(err)
	}
	var te *IDTableError
	if _, _, err := l.LotTrace("LOTM", "LA"); !errors.As(err, &te) || te.Path != name {
		t.Fatalf("trace over a damaged index: %v (want an error naming %s)", err, name)
	}
	if _, _, err := l.LotTrace("LOTM", "LA"); !strings.HasPrefix(err.Error(), "lot index "+name) {
		t.Fatalf("a damaged lot index's error: %q, want it called a lot index", err)
	} else if e, ok := AsError(err); !ok || e.Key != "lots.table_damaged" || e.Args["file"] != name {
		t.Fatalf("a damaged lot index's domain error: %+v", e)
	}
	if _, _, err := l.VerifyLotIndexes(); err == nil || !strings.Contains(err.Error(), name) {
		t.Fatalf("verify of a damaged index: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	// cut short: refused at Open
	if err := os.WriteFile(file, whole[:len(whole)-5], 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := reopen(); err == nil || !strings.Contains(err.Error(), name) {
		t.Fatalf("open with a cut index: %v", err)
	}
	// missing: refused at Open, by name
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	var we *Error
	if _, err := reopen(); !errors.As(err, &we) || we.Key != "lots.table_missing" || we.Args["file"] != name {
		t.Fatalf("open without its index: %v", err)
	}
	// put back whole, it opens and reads again
	if err := os.WriteFile(file, whole, 0o640); err != nil {
		t.Fatal(err)
	}
	l, err = reopen()
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, story, err := l.LotTrace("LOTM", "LA"); err != nil || len(story) == 0 {
		t.Fatalf("trace with the index put back: %d events, %v", len(story), err)
	}
}

// TestStandbyFollowsALotMove: a standby builds the same lot index from its
// own entries and reaches the same state; one whose entries differ from
// the primary's is refused, changing nothing.
func TestStandbyFollowsALotMove(t *testing.T) {
	primary, clock := openTest(t)
	defer func(n int) { lotsBatch = n }(lotsBatch)
	lotsBatch = 11
	near, _ := openTest(t)
	if err := near.Follow("http://primary:8080"); err != nil {
		t.Fatal(err)
	}
	lotMonths(t, primary, clock)
	replicateAll(t, primary, near, 50)
	clock.Add(5 * 24 * time.Hour)
	mustAppend(t, primary, "later", EvLocationUpserted, Location{Code: "Z99-01-01", Zone: "Z", PickSeq: 1, Kind: KindPick})
	run, err := primary.Archive(ctx, eventsOnly(3*24*time.Hour), "system", "test")
	if err != nil || run.Lots == 0 {
		t.Fatalf("moved %d: %v", run.Lots, err)
	}
	replicateAll(t, primary, near, 37)
	sameState(t, primary, near)
	if a, b := lotFiles(t, primary), lotFiles(t, near); !reflect.DeepEqual(a, b) {
		t.Fatalf("lot indexes: primary %v, standby %v", a, b)
	}
	if got, want := lotStories(t, near), lotStories(t, primary); !reflect.DeepEqual(got, want) {
		t.Fatal("the standby's lot stories differ")
	}
	// a lots.archived naming another digest is refused
	bad, _ := openTest(t)
	if err := bad.Follow("http://primary:8080"); err != nil {
		t.Fatal(err)
	}
	page, err := primary.ReplicationPage(0, ReplicaMaxLimit)
	if err != nil {
		t.Fatal(err)
	}
	var at int
	for i, re := range page.Events {
		if re.Event.Type == EvLotsArchived {
			var p LotsArchived
			_ = json.Unmarshal(re.Event.Data, &p)
			p.Digest = strings.Repeat("0", 64)
			p.Table = lotTableFile(p.File, p.Digest)
			page.Events[i].Event.Data, _ = json.Marshal(p)
			at = i
			break
		}
	}
	if at == 0 {
		t.Fatal("no lots.archived event replicated")
	}
	if _, err := bad.Replicate(ctx, page.Events[:at]); err != nil {
		t.Fatal(err)
	}
	last := bad.LastSeq()
	if _, err := bad.Replicate(ctx, page.Events[at:]); ErrorCode(err) != CodeConflict {
		t.Fatalf("a lots.archived with another digest: %v", err)
	}
	if bad.LastSeq() != last {
		t.Fatal("a refused page changed the standby")
	}
}

// TestLotIndexesRunsAndRestore: a run moves at most lotsRunMax entries
// (the next run takes the rest), into an index of its own; four runs in
// the month leave four indexes, every story whole, a rebuild equal; a
// backup taken before three more runs restores (every index it names is
// still there), opens its own index alone and tells every story as it
// did; the newer indexes stay in the folder.
func TestLotIndexesRunsAndRestore(t *testing.T) {
	dir := t.TempDir()
	l, clock := openTestIn(t, dir)
	opt := Options{Now: clock.Now, Zone: time.FixedZone("CST", 8*3600)}
	defer func(n, b int) { lotsRunMax, lotsBatch = n, b }(lotsRunMax, lotsBatch)
	lotsRunMax, lotsBatch = 9, 4
	lotMonths(t, l, clock)
	clock.Add(4 * 24 * time.Hour)
	mustAppend(t, l, "later", EvLocationUpserted, Location{Code: "Z99-01-01", Zone: "Z", PickSeq: 1, Kind: KindPick})
	stories := lotStories(t, l)
	entries, _ := lotEntries(t, l)
	run, err := l.Archive(ctx, eventsOnly(3*24*time.Hour), "system", "test")
	if err != nil || run.Lots != lotsRunMax {
		t.Fatalf("run 1 moved %d lot entries (cap %d): %v", run.Lots, lotsRunMax, err)
	}
	if n, _ := lotEntries(t, l); n != entries-lotsRunMax {
		t.Fatalf("%d entries left of %d", n, entries)
	}
	if got := lotStories(t, l); !reflect.DeepEqual(got, stories) {
		t.Fatal("lot stories differ after a capped run")
	}
	backup := filepath.Join(t.TempDir(), "b1.db")
	if _, _, err := l.BackupToFile(backup); err != nil {
		t.Fatal(err)
	}
	for i := 2; i <= 4; i++ {
		run, err := l.Archive(ctx, eventsOnly(3*24*time.Hour), "system", "test")
		if err != nil || run.Lots == 0 || run.Lots > lotsRunMax {
			t.Fatalf("run %d moved %d lot entries: %v", i, run.Lots, err)
		}
	}
	files := lotFiles(t, l)
	if len(files) != 4 || len(namedTables(t, l, lotsKind)) != 4 || len(l.lotTables().list) != 4 {
		t.Fatalf("after four runs: files %v, %d named", files, len(namedTables(t, l, lotsKind)))
	}
	if got := lotStories(t, l); !reflect.DeepEqual(got, stories) {
		t.Fatal("lot stories differ after four runs")
	}
	before := projections(t, l)
	if err := l.Rebuild(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(projections(t, l), before) {
		t.Fatal("a rebuild after four runs gives other projections")
	}
	if mm, err := l.Check(t.TempDir()); err != nil || len(mm) > 0 {
		t.Fatalf("check after four runs: %v %v", mm, err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Restore(dir, backup, opt); err != nil {
		t.Fatalf("restore of a backup taken before three more runs: %v", err)
	}
	l, err = Open(dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if got := l.lotTables().list; len(got) != 1 {
		t.Fatalf("the restored store opened %d lot indexes, want its own alone", len(got))
	}
	if got := lotStories(t, l); !reflect.DeepEqual(got, stories) {
		t.Fatal("the restored store's lot stories differ")
	}
	if got := lotFiles(t, l); !reflect.DeepEqual(got, files) {
		t.Fatalf("the restore changed the indexes: %v, was %v", got, files)
	}
	if mm, err := l.Check(t.TempDir()); err != nil || len(mm) > 0 {
		t.Fatalf("check of the restored store: %v %v", mm, err)
	}
}

// TestLotsArchivedReplayWithoutCount: a replay of lots.archived removes
// the range's entries there are, whatever its count (a rebuild under later
// definitions may index otherwise); the writer's check (lotsHeld) alone
// requires the count.
func TestLotsArchivedReplayWithoutCount(t *testing.T) {
	l, clock := openTestIn(t, t.TempDir())
	lotMonths(t, l, clock)
	n, _ := lotEntries(t, l)
	through := l.LastSeq()
	digest := strings.Repeat("ab", 32)
	p := LotsArchived{File: "2026-11.lots", Table: lotTableFile("2026-11.lots", digest), Through: through, Count: n + 5, Digest: digest}
	ev, err := NewEvent("replay-lots", EvLotsArchived, "system", "test", p)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.update(func(tx *txn) error {
		if err := lotsHeld(tx, nil, LotsArchived{Through: 0, Count: 0}); err != nil {
			return fmt.Errorf("no entry of event 0: %w", err)
		}
		if err := lotsHeld(tx, nil, LotsArchived{Through: through, Count: n}); err == nil {
			return errors.New("the writer's check passed entries the index does not hold")
		}
		return applyLotsArchived(tx, &ev)
	}); err != nil {
		t.Fatal(err)
	}
	if left, _ := lotEntries(t, l); left != 0 {
		t.Fatalf("%d entries left of %d", left, n)
	}
	if got := namedTables(t, l, lotsKind); got[p.Table] != digest {
		t.Fatalf("the replay named %v", got)
	}
	_ = l.update(func(tx *txn) error { return tx.Bucket(bucketMeta).Delete([]byte(lotsKind.meta + p.Table)) }) // no such file: the cleanup's check opens none
}

// TestLotsArchivedKeepsWhatIndexLacks: a replay of lots.archived whose
// index is open removes only the entries the index holds; one it lacks (a
// standby's lot_events that differ, a rebuild indexing more) stays live
// and the lot's trace still shows it.
func TestLotsArchivedKeepsWhatIndexLacks(t *testing.T) {
	l, clock := openTestIn(t, t.TempDir())
	lotMonths(t, l, clock)
	stories := lotStories(t, l)
	through := l.LastSeq()
	var recs []idRecord
	var lacked []byte
	_ = l.view(func(tx *txn) error {
		return tx.Bucket(bucketLotEvents).ForEach(func(k, _ []byte) error {
			lot, s, ok := lotEntry(k)
			if !ok {
				return nil
			}
			if lacked == nil {
				lacked = bytes.Clone(k) // the index lacks the first entry
				return nil
			}
			recs = append(recs, newLotRecord(lot, s))
			return nil
		})
	})
	if lacked == nil || len(recs) == 0 {
		t.Fatal("no lot entries")
	}
	n := len(recs)
	tb, digest, err := l.buildTable(lotsKind, "2026-11.lots", recs, "", idVersion)
	if err != nil {
		t.Fatal(err)
	}
	l.lotTables().install(tb)
	// seqsOf and seqsFrom give a lot's sequence numbers as the records the
	// table was built from say, in order: the reference is a walk of those
	// records, not the table
	bySum := map[idHash][]uint64{}
	for _, r := range recs {
		bySum[r.hash()] = append(bySum[r.hash()], r.seq())
	}
	for _, r := range recs {
		all := slices.Sorted(slices.Values(bySum[r.hash()]))
		var got []uint64
		if err := tb.seqsOf(r.hash(), func(s uint64) { got = append(got, s) }); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, all) {
			t.Fatalf("seqsOf: %v, want %v", got, all)
		}
		for _, from := range []uint64{0, r.seq(), r.seq() + 1} {
			var got, want []uint64
			for _, s := range all {
				if s >= from {
					want = append(want, s)
				}
			}
			if err := tb.seqsFrom(r.hash(), from, func(s uint64) bool { got = append(got, s); return true }); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("seqsFrom %d: %v, want %v", from, got, want)
			}
		}
	}
	defer func(w int) { lotsWindow = w }(lotsWindow)
	lotsWindow = 2 // a lot's entries read in windows
	p := LotsArchived{File: "2026-11.lots", Table: tb.name, Through: through, Count: n, Digest: digest, Records: tb.count}
	ev, err := NewEvent("replay-lots-lacks", EvLotsArchived, "system", "test", p)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.update(func(tx *txn) error { return applyLotsArchived(tx, &ev) }); err != nil {
		t.Fatal(err)
	}
	if left, _ := lotEntries(t, l); left != 1 {
		t.Fatalf("%d entries left live, want the one the index lacks", left)
	}
	_ = l.view(func(tx *txn) error {
		if tx.Bucket(bucketLotEvents).Get(lacked) == nil {
			t.Fatalf("the entry the index lacks (%q) left lot_events", lacked)
		}
		return nil
	})
	if got := lotStories(t, l); !reflect.DeepEqual(got, stories) {
		t.Fatalf("a trace lost an entry:\n got %v\nwant %v", got, stories)
	}
}
