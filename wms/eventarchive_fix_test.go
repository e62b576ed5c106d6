package wms

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestTypedFeedOverArchiveIsBounded: a typed feed (and the outbox) from
// an old cursor passes over at most archiveScanMax archived events of
// other types in one page, and its Next resumes where it stopped, so a
// rare type after a large archive is still found by the following pages.
func TestTypedFeedOverArchiveIsBounded(t *testing.T) {
	l, clock := openTest(t)
	smallSegments(t, 40)
	defer func(n int) { archiveScanMax = n }(archiveScanMax)
	archiveScanMax = 25
	smallWork(t, l, 90)
	rare := mustAppend(t, l, "rare-loc", EvLocationUpserted, Location{Code: "Z98-01-01", Zone: "Z", PickSeq: 2, Kind: KindPick})
	clock.Add(5 * 24 * time.Hour)
	mustAppend(t, l, "later", EvLocationUpserted, Location{Code: "Z99-01-01", Zone: "Z", PickSeq: 1, Kind: KindPick})
	typedBefore := feedAll(t, l, 0, EvLocationUpserted)
	outBefore, err := l.Outbox(0, 100_000)
	if err != nil {
		t.Fatal(err)
	}
	run, err := l.Archive(ctx, eventsOnly(3*24*time.Hour), "system", "test")
	if err != nil || uint64(run.Moved) < rare.Seq {
		t.Fatalf("moved %d events (the rare one is %d): %v", run.Moved, rare.Seq, err)
	}

	var got []Event
	after, short := uint64(0), 0
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("the typed feed does not advance")
		}
		page, err := l.Feed(FeedQuery{After: after, Limit: 100, Types: []string{EvLocationUpserted}})
		if err != nil {
			t.Fatal(err)
		}
		if page.Next <= after && page.Next < page.LastSeq {
			t.Fatalf("page after %d: Next %d does not advance", after, page.Next)
		}
		if passed := page.Next - after - uint64(len(page.Events)); page.Next <= uint64(run.Moved) && passed > uint64(archiveScanMax) {
			t.Fatalf("page after %d passed over %d archived events (bound %d)", after, passed, archiveScanMax)
		}
		if page.Next < page.LastSeq && len(page.Events) < 100 {
			short++
		}
		got = append(got, page.Events...)
		if page.Next >= page.LastSeq {
			break
		}
		after = page.Next
	}
	if short == 0 {
		t.Fatal("no page stopped short over the archive")
	}
	found := false
	for _, ev := range got {
		found = found || ev.ID == rare.ID
	}
	if !found || len(got) != len(typedBefore) {
		t.Fatalf("typed feed over the archive: %d events (rare one found: %v), want %d", len(got), found, len(typedBefore))
	}

	// the outbox (inward events passed over) walks the same way to the same events
	var outs []Outward
	after = 0
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("the outbox does not advance")
		}
		page, err := l.Outbox(after, 500)
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, page.Events...)
		if page.Next >= page.Last {
			break
		}
		if page.Next <= after {
			t.Fatalf("outbox after %d: Next %d does not advance", after, page.Next)
		}
		after = page.Next
	}
	if !reflect.DeepEqual(outs, outBefore.Events) {
		t.Fatalf("outbox over the archive: %d events, want %d", len(outs), len(outBefore.Events))
	}
}

// TestArchiveAfterRestoringAnOlderBackup: a run on a store restored from
// an older backup appends its members after the ones a newer backup
// names (the segment file is never cut), so the newer backup still
// restores and checks.
func TestArchiveAfterRestoringAnOlderBackup(t *testing.T) {
	dir := t.TempDir()
	clock := &testClock{t: time.Date(2026, 11, 2, 2, 0, 0, 0, time.UTC)}
	open := func() *Ledger {
		l, err := Open(dir, Options{Now: clock.Now, Zone: time.FixedZone("CST", 8*3600)})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	archive := func(l *Ledger, prefix string, n int) {
		t.Helper()
		for i := range n {
			mustOrder(t, l, order(fmt.Sprintf("%s%03d", prefix, i), LineIn{"BOOK", 1}))
		}
		clock.Add(5 * 24 * time.Hour)
		mustAppend(t, l, "later-"+prefix, EvLocationUpserted, Location{Code: "Z99-01-01", Zone: "Z", PickSeq: 1, Kind: KindPick})
		if run, err := l.Archive(ctx, eventsOnly(3*24*time.Hour), "system", "test"); err != nil || run.Moved == 0 {
			t.Fatalf("%s: moved %d: %v", prefix, run.Moved, err)
		}
	}
	smallSegments(t, 20)
	l := open()
	seedSmall(t, l)
	archive(l, "A", 15)
	older := backupTo(t, l, "older.db")
	archive(l, "B", 15)
	newer := backupTo(t, l, "newer.db")
	newerState := dumpState(t, l)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	// back to the older backup, and a run there writes members of its own
	if _, err := Restore(dir, older, Options{}); err != nil {
		t.Fatal(err)
	}
	clearMemberCache()
	l = open()
	archive(l, "C", 15)
	if mm, err := l.Check(dir); err != nil || len(mm) > 0 {
		t.Fatalf("check after archiving on the older backup: %v %v", mm, err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	// the newer backup still has every member its index names
	clearMemberCache()
	kept, _ := filepath.Glob(filepath.Join(dir, "tally.db.before-restore-*"))
	for _, f := range kept { // (the kept store's name has the second: two restores in one would meet)
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Restore(dir, newer, Options{}); err != nil {
		t.Fatalf("restoring the newer backup after a run on the older one: %v", err)
	}
	l = open()
	defer l.Close()
	if got := dumpState(t, l); got != newerState {
		t.Error("the newer backup restored differs from the store it was taken of")
	}
	if mm, err := l.Check(dir); err != nil || len(mm) > 0 {
		t.Fatalf("check of the newer backup restored: %v %v", mm, err)
	}
	if got := feedAll(t, l, 0); len(got) == 0 {
		t.Fatal("no feed from the newer backup")
	}
}

// segmentAtView is segmentAt in a read transaction.
func segmentAtView(l *Ledger, seq uint64) (s LogArchived, ok bool, err error) {
	err = l.view(func(tx *txn) error {
		s, ok, err = segmentAt(tx, seq)
		return err
	})
	return s, ok, err
}

// TestStandbyFarBehindAfterIDsArchived: a standby started empty after the
// primary moved events out (log.archived) and then their IDs and keys
// (ids.archived) gets every archived event's key IDs from the replication
// read, records or not, so it writes each member byte for byte (no
// standby.segment_mismatch); its archived counts are the primary's.
func TestStandbyFarBehindAfterIDsArchived(t *testing.T) {
	primary, clock := openTest(t)
	smallSegments(t, 25)
	smallWork(t, primary, 30)
	for i := range 5 {
		if _, _, err := primary.ReceiveOrder(ctx, fmt.Sprintf("oms-key-%d", i), order(fmt.Sprintf("SO%d", i), LineIn{"BOOK", 1}), "oms", "api"); err != nil {
			t.Fatal(err)
		}
	}
	moveOut(t, primary, clock, "later", 5)
	clock.Add(2 * 24 * time.Hour)
	mustAppend(t, primary, "later-2", EvLocationUpserted, Location{Code: "Z99-01-02", Zone: "Z", PickSeq: 2, Kind: KindPick})
	r := eventsOnly(3 * 24 * time.Hour)
	r.Keys, r.IDs = 24*time.Hour, 24*time.Hour
	if _, err := primary.Archive(ctx, r, "system", "test"); err != nil {
		t.Fatal(err)
	}
	// the keys' records of the archived events have left the live store
	gone := 0
	_ = primary.view(func(tx *txn) error {
		for i := range 5 {
			if tx.Bucket(bucketKeys).Get([]byte(fmt.Sprintf("oms-key-%d", i))) == nil {
				gone++
			}
		}
		return nil
	})
	if gone == 0 {
		t.Fatal("no key record left the live store: the test does not reach the case")
	}
	page, err := primary.ReplicationPage(0, ReplicaMaxLimit)
	if err != nil {
		t.Fatal(err)
	}
	sent := 0
	for _, re := range page.Events {
		for _, k := range re.Keys {
			if recordless(k) {
				sent++
			}
		}
	}
	if sent == 0 {
		t.Fatal("the replication read sent no key without its record")
	}

	far := openStandby(t)
	// The standby writes every member; the ID tables are engineer I2's part:
	// until a standby rebuilds them, it stops at the ids.archived event with
	// ids.digest_differs, after the log.archived before it replicated.
	idsAt := uint64(0)
	for _, re := range page.Events {
		if re.Event.Type == EvIDsArchived && idsAt == 0 {
			idsAt = re.Event.Seq
		}
	}
	err = replicateOnce(primary, far, 33)
	if err != nil && (idsAt == 0 || far.LastSeq() != idsAt-1 || ErrorCode(err) == CodeConflict && strings.Contains(err.Error(), "segment")) {
		t.Fatalf("standby stopped after event %d (ids.archived is %d): %v", far.LastSeq(), idsAt, err)
	}
	for name, l := range map[string]*Ledger{"primary": primary, "standby": far} {
		_ = l.view(func(tx *txn) error {
			ev, m, ok := storedSegmentCounts(tx)
			se, sm := scanSegmentCounts(tx)
			if !ok || ev != se || m != sm {
				t.Errorf("%s: stored counts %d/%d (%v), the index holds %d/%d", name, ev, m, ok, se, sm)
			}
			return nil
		})
	}
	if err != nil {
		t.Logf("the standby stops at ids.archived (I2's part): %v", err)
		// the primary's counts at the standby's point: every log.archived before it
		var pe, pm uint64
		for _, re := range page.Events {
			if re.Event.Type == EvLogArchived && re.Event.Seq < idsAt {
				var p LogArchived
				if err := json.Unmarshal(re.Event.Data, &p); err != nil {
					t.Fatal(err)
				}
				pe, pm = pe+uint64(p.Events), pm+1
			}
		}
		fe, fm := far.ArchivedEvents()
		if pm == 0 || fe != pe || uint64(fm) != pm {
			t.Fatalf("standby archived %d events in %d members before ids.archived, the primary %d in %d", fe, fm, pe, pm)
		}
		return
	}
	pe, pm := primary.ArchivedEvents()
	fe, fm := far.ArchivedEvents()
	if pe != fe || pm != fm || pe == 0 {
		t.Fatalf("standby archived %d events in %d members, the primary %d in %d", fe, fm, pe, pm)
	}
}

// TestMemberCacheHoldsSeveral: reading back and forth among a few members
// decompresses each once (a handheld's old queue retried in turn).
func TestMemberCacheHoldsSeveral(t *testing.T) {
	l, clock := openTest(t)
	smallSegments(t, 10)
	smallWork(t, l, 30)
	clock.Add(5 * 24 * time.Hour)
	mustAppend(t, l, "later", EvLocationUpserted, Location{Code: "Z99-01-01", Zone: "Z", PickSeq: 1, Kind: KindPick})
	run, err := l.Archive(ctx, eventsOnly(3*24*time.Hour), "system", "test")
	if err != nil || run.Events < memberCacheMembers {
		t.Fatalf("moved %d events in %d members: %v", run.Moved, run.Events, err)
	}
	clearMemberCache()
	seqs := []uint64{1, 11, 21, 31} // one event in each of four members
	read := func() error {
		return l.view(func(tx *txn) error {
			for _, s := range seqs {
				raw, err := rawEvent(tx, s)
				if err != nil {
					return err
				}
				if raw == nil {
					return fmt.Errorf("event %d not found", s)
				}
			}
			return nil
		})
	}
	if err := read(); err != nil {
		t.Fatal(err)
	}
	// with the segment file gone, they are still read: from the cache
	file := filepath.Join(l.ArchiveDir(), "2026-11.events.gz")
	if err := os.Rename(file, file+".away"); err != nil {
		t.Fatal(err)
	}
	err = read()
	if err2 := os.Rename(file+".away", file); err2 != nil {
		t.Fatal(err2)
	}
	if err != nil {
		t.Fatalf("four members read again: %v", err)
	}
	clearMemberCache()
}
