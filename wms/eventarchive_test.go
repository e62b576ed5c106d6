package wms

import (
	"bytes"
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

// eventsOnly is a retention that moves events out and nothing else.
func eventsOnly(keep time.Duration) Retention {
	r := DefaultRetention()
	r.Orders, r.Figures, r.Keys = 365*24*time.Hour, 400*24*time.Hour, 365*24*time.Hour
	r.Events = keep
	return r
}

// feedAll reads the whole feed from after, a page at a time.
func feedAll(t *testing.T, l *Ledger, after uint64, types ...string) []json.RawMessage {
	t.Helper()
	var out []json.RawMessage
	for {
		page, err := l.Feed(FeedQuery{After: after, Limit: 97, Types: types})
		if err != nil {
			t.Fatalf("feed after %d: %v", after, err)
		}
		for _, ev := range page.Events {
			raw, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, raw)
		}
		if page.Next == after || page.Next >= page.LastSeq && len(page.Events) == 0 {
			return out
		}
		after = page.Next
	}
}

// projections is every derived bucket's content.
func projections(t *testing.T, l *Ledger) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	err := l.view(func(tx *txn) error {
		for _, name := range derivedBuckets {
			m := map[string]string{}
			if err := tx.Bucket(name).ForEach(func(k, v []byte) error { m[string(k)] = string(v); return nil }); err != nil {
				return err
			}
			out[string(name)] = m
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func liveEvents(t *testing.T, l *Ledger) (n int, first uint64) {
	t.Helper()
	_ = l.view(func(tx *txn) error {
		n = tx.Bucket(bucketEvents).Stats().KeyN
		if k, _ := tx.Bucket(bucketEvents).Cursor().First(); k != nil {
			first = seqFromKey(k)
		}
		return nil
	})
	return n, first
}

// smallWork is seedSmall and n orders: a log cheap to write.
func smallWork(t *testing.T, l *Ledger, n int) {
	t.Helper()
	seedSmall(t, l)
	for i := range n {
		mustOrder(t, l, order(fmt.Sprintf("SW%05d", i), LineIn{"BOOK", 1}))
	}
}

func smallSegments(t *testing.T, n int) {
	t.Helper()
	old := segmentEvents
	segmentEvents = n
	t.Cleanup(func() { segmentEvents = old })
}

// TestArchiveEventsMoveOut: events past their retention leave the live log
// for segments; the feed from an old cursor, a retry of an archived event,
// a rebuild and the check (openTest's cleanup) read them there and give
// what they gave before.
func TestArchiveEventsMoveOut(t *testing.T) {
	l, clock := openTest(t)
	smallSegments(t, 40)
	defer func(n int) { replayChunkEvents = n }(replayChunkEvents)
	replayChunkEvents = 57 // chunks that end inside members and across log.archived events
	monthSetup(t, l, 0)
	for d := range 3 {
		monthDay(t, l, clock, d, 5)
		clock.Add(24 * time.Hour)
	}
	clock.Add(4 * 24 * time.Hour)
	keep := l.LastSeq()
	monthDay(t, l, clock, 10, 3) // today's work stays
	feedBefore := feedAll(t, l, 0)
	typedBefore := feedAll(t, l, 0, EvPicked, EvOrderReceived)
	outBefore, err := l.Outbox(0, 100_000)
	if err != nil || len(outBefore.Events) == 0 {
		t.Fatalf("outbox: %d events, %v", len(outBefore.Events), err)
	}
	first, err := l.EventByID("skuM000")
	if err != nil {
		t.Fatal(err)
	}

	run, err := l.Archive(ctx, eventsOnly(3*24*time.Hour), "system", "test")
	if err != nil {
		t.Fatal(err)
	}
	if run.Moved == 0 || uint64(run.Moved) > keep || run.Orders != 0 {
		t.Fatalf("moved %d events (of %d old ones), %d orders", run.Moved, keep, run.Orders)
	}
	n, firstLive := liveEvents(t, l)
	if firstLive != uint64(run.Moved)+1 {
		t.Fatalf("the live log starts at %d after moving %d events", firstLive, run.Moved)
	}
	if through, members := l.ArchivedEvents(); through != uint64(run.Moved) || members < run.Moved/40 {
		t.Fatalf("ArchivedEvents: %d in %d members, moved %d", through, members, run.Moved)
	}
	if uint64(n) != l.LastSeq()-uint64(run.Moved) {
		t.Fatalf("%d live events, want %d", n, l.LastSeq()-uint64(run.Moved))
	}
	if fi, err := os.Stat(filepath.Join(l.ArchiveDir(), "2026-11.events.gz")); err != nil || fi.Size() == 0 {
		t.Fatalf("segment file: %v", err)
	}
	// the type index keeps live events only
	_ = l.view(func(tx *txn) error {
		return tx.Bucket(bucketByType).ForEach(func(k, _ []byte) error {
			if s := seqFromKey(k[len(k)-8:]); s <= uint64(run.Moved) {
				t.Errorf("by_type still names archived event %d", s)
			}
			return nil
		})
	})

	// the feed from the start returns the archived events as they were
	if got := feedAll(t, l, 0); len(got) != len(feedBefore)+run.Events || !reflect.DeepEqual(got[:len(feedBefore)], feedBefore) {
		t.Fatalf("feed after archiving: %d events, want the %d before and %d log.archived", len(got), len(feedBefore), run.Events)
	}
	if got := feedAll(t, l, 0, EvPicked, EvOrderReceived); !reflect.DeepEqual(got, typedBefore) {
		t.Fatalf("typed feed after archiving: %d events, want %d", len(got), len(typedBefore))
	}
	if out, err := l.Outbox(0, 100_000); err != nil || !reflect.DeepEqual(out.Events, outBefore.Events) {
		t.Fatalf("outbox from 0 after archiving: %d events, want %d (%v)", len(out.Events), len(outBefore.Events), err)
	}
	if got := feedAll(t, l, 5, EvOrderReceived); len(got) == 0 {
		t.Fatal("typed feed from an archived cursor is empty")
	}
	// a retry of an archived event is answered from the archive
	retry, err := NewEvent("skuM000", EvSKUUpserted, "B1001", "test", SKU{Code: "M000"})
	if err != nil {
		t.Fatal(err)
	}
	again, dup, err := l.Append(ctx, retry)
	if err != nil || !dup || !reflect.DeepEqual(again, first) {
		t.Fatalf("retry of an archived event: dup %v %v\n%+v\n%+v", dup, err, again, first)
	}

	// a rebuild replays the segments, then the live log, to the same state
	before := projections(t, l)
	if err := l.Rebuild(); err != nil {
		t.Fatal(err)
	}
	if after := projections(t, l); !reflect.DeepEqual(after, before) {
		t.Fatal("a rebuild after moving events out gives other projections")
	}
	// a second run with nothing old enough moves nothing
	if run, err := l.Archive(ctx, eventsOnly(3*24*time.Hour), "system", "test"); err != nil || run.Moved != 0 {
		t.Fatalf("second run moved %d: %v", run.Moved, err)
	}
	// a week on, the rest (log.archived events included) go too
	clock.Add(7 * 24 * time.Hour)
	mustAppend(t, l, "later", EvLocationUpserted, Location{Code: "Z99-01-01", Zone: "Z", PickSeq: 1, Kind: KindPick})
	run2, err := l.Archive(ctx, eventsOnly(3*24*time.Hour), "system", "test")
	if err != nil || run2.Moved == 0 {
		t.Fatalf("third run moved %d: %v", run2.Moved, err)
	}
	if got := feedAll(t, l, 0); !reflect.DeepEqual(got[:len(feedBefore)], feedBefore) {
		t.Fatal("feed after a second move-out differs")
	}
}

// TestArchiveEventsWaitsForUpstreams: an event leaves only once every
// upstream has acknowledged it.
func TestArchiveEventsWaitsForUpstreams(t *testing.T) {
	l, clock := openTest(t)
	saveTestUpstream(t, l, "oms", "")
	smallWork(t, l, 40)
	clock.Add(5 * 24 * time.Hour)
	acked := l.LastSeq() / 2
	if err := l.RecordAck(ctx, SyncAck{Upstream: "oms", Through: acked, Acked: 1}); err != nil {
		t.Fatal(err)
	}
	run, err := l.Archive(ctx, eventsOnly(3*24*time.Hour), "system", "test")
	if err != nil {
		t.Fatal(err)
	}
	if uint64(run.Moved) != acked {
		t.Fatalf("moved %d events, the upstream acknowledged %d", run.Moved, acked)
	}
}

// TestRecallFindsArchivedOrders: a lot's story and its recall report read
// the events that carried it from the archive.
func TestRecallFindsArchivedOrders(t *testing.T) {
	l, clock := openTest(t)
	seedSmall(t, l)
	mustAppend(t, l, "rc-loc-1", EvLocationUpserted, Location{Code: "A01-02-01", Zone: "A", PickSeq: 40, Kind: KindPick})
	mustAppend(t, l, "rc-stock-1", EvStockAdjusted, StockAdjustment{SKU: "MILK", Lot: "GOOD1", Expiry: "2028-06-01", Location: "A01-02-01", Delta: 30, Reason: "x"})
	mustOrder(t, l, order("SO1", LineIn{"MILK", 3}))
	mustWave(t, l, "w1", WaveSingle)
	task, err := l.NextTask(ctx, "B1001", "pda-1")
	if err != nil {
		t.Fatal(err)
	}
	line := task.Lines[0]
	if _, _, err := l.Pick(ctx, "p1", PickScan{Task: task.ID, Line: line.N, Location: line.Location, Items: []ScannedItem{{GTIN: line.GTINs[0], Lot: "GOOD1"}}, Qty: 3}, "B1001", "pda-1"); err != nil {
		t.Fatal(err)
	}
	_, story, err := l.LotTrace("MILK", "GOOD1")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := l.RecallReport("MILK", "GOOD1")
	if err != nil || len(rep.Orders) != 1 {
		t.Fatalf("report before: %+v %v", rep.Orders, err)
	}
	moveOut(t, l, clock, "later", 5)
	if n, _ := liveEvents(t, l); n != 3 { // "later", the log.archived and the lots.archived event
		t.Fatalf("%d live events", n)
	}
	_, story2, err := l.LotTrace("MILK", "GOOD1")
	if err != nil || !reflect.DeepEqual(story2, story) {
		t.Fatalf("lot story from the archive: %v\n%+v\n%+v", err, story2, story)
	}
	rep2, err := l.RecallReport("MILK", "GOOD1")
	if err != nil || !reflect.DeepEqual(rep2, rep) {
		t.Fatalf("recall report from the archive: %v\n%+v\n%+v", err, rep2, rep)
	}
}

// TestArchiveEventsCrashBeforeTheEvent: a member written whose event never
// committed is left unreferenced; the next run writes it again after it.
func TestArchiveEventsCrashBeforeTheEvent(t *testing.T) {
	l, clock := openTest(t)
	smallSegments(t, 30)
	smallWork(t, l, 70)
	clock.Add(5 * 24 * time.Hour)
	mustAppend(t, l, "later", EvLocationUpserted, Location{Code: "Z99-01-01", Zone: "Z", PickSeq: 1, Kind: KindPick})
	// the first member written, then the process dies before its event
	var recs []segRecord
	var file string
	if err := l.view(func(tx *txn) (err error) {
		recs, file, err = l.collectSegment(tx, 1, 1000)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	comp, err := gzipMember(encodeSegment(recs))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := writeArchiveBytes(l.ArchiveDir(), file, 0, append(comp, "torn"...)); err != nil {
		t.Fatal(err)
	}
	if through, _ := l.ArchivedEvents(); through != 0 {
		t.Fatalf("a member without its event counts %d events", through)
	}
	feedBefore := feedAll(t, l, 0)
	run, err := l.Archive(ctx, eventsOnly(3*24*time.Hour), "system", "test")
	if err != nil || run.Moved == 0 {
		t.Fatalf("the run after the crash moved %d: %v", run.Moved, err)
	}
	var end int64
	_ = l.view(func(tx *txn) error { end = archiveEnd(tx, file); return nil })
	if fi, err := os.Stat(filepath.Join(l.ArchiveDir(), file)); err != nil || fi.Size() != end {
		t.Fatalf("segment file is %d bytes, the store committed %d (%v)", fi.Size(), end, err)
	}
	// the torn bytes stay, unreferenced: the member was written after them
	if p, ok, err := segmentAtView(l, 1); err != nil || !ok || p.Offset != int64(len(comp))+4 {
		t.Fatalf("the redone member is at byte %d, want %d after the torn bytes (%v %v)", p.Offset, len(comp)+4, ok, err)
	}
	if got := feedAll(t, l, 0); !reflect.DeepEqual(got[:len(feedBefore)], feedBefore) {
		t.Fatal("feed after the redone run differs")
	}
}

// TestArchivedSegmentDamaged: a member that does not match its SHA-256 (or
// is missing) is an error naming it, never a silent short replay.
func TestArchivedSegmentDamaged(t *testing.T) {
	dir := t.TempDir()
	l, clock := openTestIn(t, dir)
	smallWork(t, l, 20)
	moveOut(t, l, clock, "later", 5)
	path := filepath.Join(l.ArchiveDir(), "2026-11.events.gz")
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// a record changed and the member recompressed: gzip's own check passes
	raw := encodeSegment([]segRecord{{seq: 1, raw: []byte(`{"changed":true}`)}})
	bad, _ := gzipMember(raw)
	for name, content := range map[string][]byte{
		"bit flipped": func() []byte { b := bytes.Clone(good); b[len(b)/2] ^= 0x40; return b }(),
		"recompressed": func() []byte {
			return append(bad, make([]byte, max(0, len(good)-len(bad)))...)
		}(),
		"cut short": good[:len(good)/2],
	} {
		if err := os.WriteFile(path, content, 0o640); err != nil {
			t.Fatal(err)
		}
		clearMemberCache()
		var se *SegmentError
		if err := l.Rebuild(); !errors.As(err, &se) || se.File != "2026-11.events.gz" {
			t.Errorf("%s: rebuild: %v", name, err)
		}
		if _, err := l.Check(dir); !errors.As(err, &se) {
			t.Errorf("%s: check: %v", name, err)
		}
		if _, err := l.EventByID("s1"); !errors.As(err, &se) {
			t.Errorf("%s: event by ID: %v", name, err)
		}
		if _, err := l.Feed(FeedQuery{After: 0}); !errors.As(err, &se) {
			t.Errorf("%s: feed: %v", name, err)
		}
		if _, err := l.ReplicationPage(0, 10); !errors.As(err, &se) {
			t.Errorf("%s: replication read: %v", name, err)
		}
	}
	if err := os.WriteFile(path, good, 0o640); err != nil {
		t.Fatal(err)
	}
	clearMemberCache()
	if err := l.Rebuild(); err != nil {
		t.Fatalf("the good file back: %v", err)
	}
}

func clearMemberCache() {
	memberCache.Lock()
	memberCache.entries, memberCache.bytes = nil, 0
	memberCache.Unlock()
}

// openTestIn is openTest in a directory the test names.
func openTestIn(t *testing.T, dir string) (*Ledger, *testClock) {
	t.Helper()
	clock := &testClock{t: time.Date(2026, 11, 11, 2, 0, 0, 0, time.UTC)}
	l, err := Open(dir, Options{Now: clock.Now, Zone: time.FixedZone("CST", 8*3600)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l, clock
}

// TestStandbyFollowsAMoveOut: a standby writes its own segments from its
// own copy of the events; one far behind reads archived events through
// the primary's replication read; after a promotion it has the history.
func TestStandbyFollowsAMoveOut(t *testing.T) {
	primary, clock := openTest(t)
	smallSegments(t, 25)
	near := openStandby(t)
	smallWork(t, primary, 60)
	if _, _, err := primary.ReceiveOrder(ctx, "oms-key-1", order("SO1", LineIn{"BOOK", 1}), "oms", "api"); err != nil {
		t.Fatal(err)
	}
	replicateAll(t, primary, near, 50) // near is up to date before the move-out
	feedBefore := feedAll(t, primary, 0)
	run := moveOut(t, primary, clock, "later", 5)
	replicateAll(t, primary, near, 50)
	farFromPrimary := openStandby(t)
	replicateAll(t, primary, farFromPrimary, 33)
	for name, s := range map[string]*Ledger{"near": near, "far": farFromPrimary} {
		sameState(t, primary, s)
		if through, _ := s.ArchivedEvents(); through != uint64(run.Moved) {
			t.Fatalf("%s standby archived %d events, the primary %d", name, through, run.Moved)
		}
		if _, err := s.Promote(ctx, "B9001", "cli"); err != nil {
			t.Fatal(err)
		}
		if got := feedAll(t, s, 0); !reflect.DeepEqual(got[:len(feedBefore)], feedBefore) {
			t.Fatalf("%s: the promoted standby's feed differs from the primary's", name)
		}
		// a retry of the old primary's key is the first answer, from the archive
		if _, dup, err := s.ReceiveOrder(ctx, "oms-key-1", order("SO1", LineIn{"BOOK", 1}), "oms", "api"); err != nil || dup {
			t.Fatalf("%s: key retry: dup %v %v", name, dup, err)
		}
		before := projections(t, s)
		if err := s.Rebuild(); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(projections(t, s), before) {
			t.Fatalf("%s: rebuild of the promoted standby differs", name)
		}
	}
	// a log.archived whose events are not what the standby holds is refused
	bad := openStandby(t)
	page, err := primary.ReplicationPage(0, ReplicaMaxLimit)
	if err != nil {
		t.Fatal(err)
	}
	for i, re := range page.Events {
		if re.Event.Type != EvLogArchived {
			continue
		}
		var p LogArchived
		_ = json.Unmarshal(re.Event.Data, &p)
		p.SHA256 = fmt.Sprintf("%064d", 0)
		page.Events[i].Event.Data, _ = json.Marshal(p)
		break
	}
	if _, err := bad.Replicate(ctx, page.Events); ErrorCode(err) != CodeConflict {
		t.Fatalf("a log.archived with another digest: %v", err)
	}
	if bad.LastSeq() != 0 {
		t.Fatal("a refused page changed the standby")
	}
}

// FuzzSegmentMember: whatever bytes a member holds, reading it gives an
// error or records that encode back to the same bytes; never a panic.
func FuzzSegmentMember(f *testing.F) {
	f.Add(encodeSegment([]segRecord{{seq: 1, raw: []byte(`{"id":"a"}`)}, {seq: 2, keys: []string{"k1"}, raw: []byte(`{}`)}}))
	f.Add([]byte{0x01, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, raw []byte) {
		recs, err := decodeSegment(raw)
		if err == nil && !bytes.Equal(encodeSegment(recs), raw) {
			t.Fatalf("decoded %d records that encode to other bytes", len(recs))
		}
		comp, err := gzipMember(raw)
		if err != nil {
			t.Fatal(err)
		}
		s := LogArchived{File: "2026-11.events.gz", Length: int64(len(comp)), First: 1, Last: 1, Events: 1, SHA256: segmentDigest(raw)}
		_, _ = decodeMember(comp, s)
		_, _ = decodeMember(raw, s)
	})
}

// TestRestoreWithArchivedEvents: a backup of a store whose old events are
// in segments restores over the store (its archive folder beside it) and
// passes its check; restored where the archive folder is missing, it is
// refused with the file it lacks named.
func TestRestoreWithArchivedEvents(t *testing.T) {
	dir := t.TempDir()
	src, clock := openTestIn(t, dir)
	smallWork(t, src, 20)
	moveOut(t, src, clock, "later", 5)
	backup := filepath.Join(t.TempDir(), "b.db")
	if _, _, err := src.BackupToFile(backup); err != nil {
		t.Fatal(err)
	}
	before := dumpState(t, src)
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	// refused, naming a file the store names: the month's lot index is
	// opened first (lotarchive.go), then the segments
	var se *SegmentError
	var we *Error
	if _, err := Restore(filepath.Join(t.TempDir(), "elsewhere"), backup, Options{}); !(errors.As(err, &se) && se.File == "2026-11.events.gz") &&
		!(errors.As(err, &we) && we.Key == "lots.table_missing" && strings.HasPrefix(we.Args["file"], "2026-11.")) {
		t.Fatalf("restored without its archive folder: %v", err)
	}
	r, err := Restore(dir, backup, Options{})
	if err != nil {
		t.Fatal(err)
	}
	restored, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	if got := dumpState(t, restored); got != before {
		t.Errorf("the restored store differs from the source at event %d", r.Seq)
	}
	if mm, err := restored.Check(dir); err != nil || len(mm) > 0 {
		t.Fatalf("check of the restored store: %v %v", mm, err)
	}
}

// TestUpgradeCarriesArchivedEvents: `tally upgrade` reads the old store's
// archived events through the replication read, and the new store writes
// its own segments as a standby does.
func TestUpgradeCarriesArchivedEvents(t *testing.T) {
	oldDir := t.TempDir()
	old, clock := openTestIn(t, oldDir)
	smallSegments(t, 20)
	smallWork(t, old, 50)
	run := moveOut(t, old, clock, "later", 5)
	want := feedAll(t, old, 0)
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	l, _ := openTest(t)
	if _, err := l.CatchUpFrom(ctx, oldDir); err != nil {
		t.Fatal(err)
	}
	if through, _ := l.ArchivedEvents(); through != uint64(run.Moved) {
		t.Fatalf("the new store archived %d events, the old one %d", through, run.Moved)
	}
	if got := feedAll(t, l, 0); len(got) <= len(want) || !reflect.DeepEqual(got[:len(want)], want) {
		t.Fatal("the new store's log differs from the old one's")
	}
}

// moveOut moves a store's old events out to segments as a test needs
// them: days on, one event (id later) so the log does not end with the
// old ones, then a run that keeps 3 days of events and must move some.
func moveOut(t *testing.T, l *Ledger, clock *testClock, later string, days int) ArchiveRun {
	t.Helper()
	clock.Add(time.Duration(days) * 24 * time.Hour)
	mustAppend(t, l, later, EvLocationUpserted, Location{Code: "Z99-01-01", Zone: "Z", PickSeq: 1, Kind: KindPick})
	run, err := l.Archive(ctx, eventsOnly(3*24*time.Hour), "system", "test")
	if err != nil || run.Moved == 0 {
		t.Fatalf("moved %d: %v", run.Moved, err)
	}
	return run
}

// openStandby opens an empty store that follows a primary (fed by
// replicateAll and replicateOnce).
func openStandby(t *testing.T) *Ledger {
	t.Helper()
	l, _ := openTest(t)
	if err := l.Follow("http://primary:8080"); err != nil {
		t.Fatal(err)
	}
	return l
}

// backupTo backs l up to a file name in a folder of its own.
func backupTo(t *testing.T, l *Ledger, name string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), name)
	if _, _, err := l.BackupToFile(file); err != nil {
		t.Fatal(err)
	}
	return file
}
