package wms

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// idsFixture makes, on day 0, an event with a client's ID, a keyed wave,
// an order sent with an Idempotency-Key and a batch with a key; it returns
// what a repeat should find.
type idsFixture struct {
	ev    Event
	wave  Wave
	order Order
}

func makeIDsFixture(t *testing.T, l *Ledger) idsFixture {
	t.Helper()
	var f idsFixture
	monthSetup(t, l, 0)
	f.ev = mustAppend(t, l, "scan-old-1", EvLoginFailed, LoginFailed{Badge: "B7777", Reason: "login.unknown_badge"})
	mustOrder(t, l, order("K1", LineIn{"M001", 1}))
	w, err := l.ReleaseWave(ctx, WaveFilter{Mode: WaveSingle}, "wave-key", "B4001", "web")
	if err != nil {
		t.Fatal(err)
	}
	f.wave = w
	o, _, err := l.ReceiveOrder(ctx, "order-key", order("K2", LineIn{"M001", 2}), "oms", "api")
	if err != nil {
		t.Fatal(err)
	}
	f.order = o
	if _, err := l.ReceiveOrders(ctx, "batch-key", []OrderIntake{order("K3", LineIn{"M001", 1}), order("K4", LineIn{"M001", 1})}, "oms", "api"); err != nil {
		t.Fatal(err)
	}
	return f
}

// checkIDsRepeat: every repeat of the fixture's IDs is a duplicate, and
// every key reused for something else is refused.
func checkIDsRepeat(t *testing.T, l *Ledger, f idsFixture) {
	t.Helper()
	ev, _ := NewEvent("scan-old-1", EvLoginFailed, "B1001", "test", LoginFailed{Badge: "B7777", Reason: "login.unknown_badge"})
	got, dup, err := l.Append(ctx, ev)
	if err != nil || !dup || got.Seq != f.ev.Seq {
		t.Fatalf("repeated event ID: seq %d dup %v err %v, want a duplicate of %d", got.Seq, dup, err, f.ev.Seq)
	}
	other, _ := NewEvent("scan-old-1", EvSKUUpserted, "B1001", "test", SKU{Code: "X1", Name: "x"})
	if _, _, err := l.Append(ctx, other); ErrorCode(err) != CodeConflict {
		t.Fatalf("event ID reused for another type: %v", err)
	}
	if e, err := l.EventByID("scan-old-1"); err != nil || e.Seq != f.ev.Seq {
		t.Fatalf("EventByID: %+v %v", e, err)
	}
	w, err := l.ReleaseWave(ctx, WaveFilter{Mode: WaveSingle}, "wave-key", "B4001", "web")
	if err != nil || w.ID != f.wave.ID {
		t.Fatalf("repeated wave key: %s %v, want %s", w.ID, err, f.wave.ID)
	}
	if _, err := l.ReleaseWave(ctx, WaveFilter{Mode: WaveCluster, ClusterSize: 2}, "wave-key", "B4001", "web"); ErrorCode(err) != CodeConflict {
		t.Fatalf("wave key with another request: %v", err)
	}
	if _, err := l.ReleaseWave(ctx, WaveFilter{Mode: WaveSingle}, "wave-key", "B4002", "web"); ErrorCode(err) != CodeConflict {
		t.Fatalf("wave key by someone else: %v", err)
	}
	o, same, err := l.ReceiveOrder(ctx, "order-key", order("K2", LineIn{"M001", 2}), "oms", "api")
	if err != nil || o.No != "K2" || !same {
		t.Fatalf("repeated order key: %s same %v %v", o.No, same, err)
	}
	if _, _, err := l.ReceiveOrder(ctx, "order-key", order("K2", LineIn{"M001", 3}), "oms", "api"); ErrorCode(err) != CodeConflict {
		t.Fatalf("order key with other content: %v", err)
	}
	b, err := l.ReceiveOrders(ctx, "batch-key", []OrderIntake{order("K3", LineIn{"M001", 1}), order("K4", LineIn{"M001", 1})}, "oms", "api")
	if err != nil || b.Duplicates != 2 || b.Created != 0 {
		t.Fatalf("repeated batch key: %+v %v", b, err)
	}
	if _, err := l.ReceiveOrders(ctx, "batch-key", []OrderIntake{order("K5", LineIn{"M001", 1})}, "oms", "api"); ErrorCode(err) != CodeConflict {
		t.Fatalf("batch key with another batch: %v", err)
	}
}

func liveIDs(t *testing.T, l *Ledger, ids ...string) (n int) {
	t.Helper()
	_ = l.view(func(tx *txn) error {
		for _, id := range ids {
			if tx.Bucket(bucketEventIDs).Get([]byte(id)) != nil || tx.Bucket(bucketKeys).Get([]byte(id)) != nil {
				n++
			}
		}
		return nil
	})
	return n
}

var fixtureIDs = []string{"scan-old-1", "wave-key", "order-key", "batch-key"}

// TestArchiveIDs: past --keep-ids the fixture's IDs leave event_ids and
// event_keys for the month's table, and every repeat is still a duplicate
// and every reuse still refused; after a reopen too (the tables load at
// Open); openTest's cleanup proves check passes.
func TestArchiveIDs(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 11, 2, 0, 0, 0, time.UTC)}
	dir := t.TempDir()
	opt := Options{Now: clock.Now, Zone: time.FixedZone("CST", 8*3600)}
	l, err := Open(dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	f := makeIDsFixture(t, l)
	defer func(n, b int) { scanChunk, idsBatch = n, b }(scanChunk, idsBatch)
	scanChunk, idsBatch = 7, 5 // reads resume, and a run takes several events

	clock.Add(8 * 24 * time.Hour) // past the answers' 7 days, not the IDs' 10
	run, err := l.Archive(ctx, DefaultRetention(), "system", "test")
	if err != nil || run.IDs != 0 {
		t.Fatalf("moved %d IDs before their retention: %v", run.IDs, err)
	}
	clock.Add(3 * 24 * time.Hour)
	fresh := mustAppend(t, l, "scan-new-1", EvLoginFailed, LoginFailed{Badge: "B7777", Reason: "login.unknown_badge"})
	run, err = l.Archive(ctx, DefaultRetention(), "system", "test")
	if err != nil {
		t.Fatal(err)
	}
	if run.IDs == 0 || run.Events < 2 {
		t.Fatalf("moved %d IDs in %d events", run.IDs, run.Events)
	}
	if n := liveIDs(t, l, fixtureIDs...); n != 0 {
		t.Fatalf("%d of the fixture's IDs still live", n)
	}
	if liveIDs(t, l, "scan-new-1") != 1 {
		t.Fatal("today's ID left the live store")
	}
	if p, _ := newTable(t, l, idsKind, nil); true {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("no table: %v", err)
		}
	}
	if got := idsIn(t, l.ArchiveDir(), ".ids"); len(got) != 1 {
		t.Fatalf("versions %v, want the one committed", got)
	}
	checkIDsRepeat(t, l, f)
	if ev, _ := NewEvent("scan-new-1", EvLoginFailed, "B1001", "test", LoginFailed{Badge: "B7777", Reason: "login.unknown_badge"}); true {
		if got, dup, err := l.Append(ctx, ev); err != nil || !dup || got.Seq != fresh.Seq {
			t.Fatalf("a live repeat: %v %v", dup, err)
		}
	}
	if n, recs, err := l.VerifyIDTables(); err != nil || n != 1 || recs == 0 {
		t.Fatalf("verify: %d tables %d records: %v", n, recs, err)
	}

	// a later run of the same month writes a table of its own (of what
	// it moves alone); the first one stays, whole
	clock.Add(11 * 24 * time.Hour)
	mustAppend(t, l, "scan-new-2", EvLoginFailed, LoginFailed{Badge: "B7777", Reason: "login.unknown_badge"})
	named := namedTables(t, l, idsKind)
	p1, _ := newTable(t, l, idsKind, nil)
	before, _ := os.ReadFile(p1)
	if run, err = l.Archive(ctx, DefaultRetention(), "system", "test"); err != nil {
		t.Fatal(err)
	}
	p2, _ := newTable(t, l, idsKind, named)
	after, _ := os.ReadFile(p2)
	still, _ := os.ReadFile(p1)
	if run.IDs == 0 || !bytes.Equal(before, still) || liveIDs(t, l, "scan-new-1") != 0 {
		t.Fatalf("second run moved %d IDs (%d bytes; the first table %d → %d bytes)", run.IDs, len(after), len(before), len(still))
	}
	if tb, err := openIDTable(p2); err != nil || tb.count != uint64(run.IDs) {
		t.Fatalf("the second run's table: %v (want the records it moved alone)", err)
	} else {
		tb.close()
	}
	checkIDsRepeat(t, l, f)

	// reopened: the tables load at Open
	l.Close()
	if l, err = Open(dir, opt); err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	checkIDsRepeat(t, l, f)
	if mm, err := l.Check(dir); err != nil || len(mm) != 0 {
		t.Fatalf("check: %v %v", mm, err)
	}
}

// TestArchiveIDsRebuild: a rebuild gives the same projections after IDs
// moved (ids.archived projects nothing), and check passes.
func TestArchiveIDsRebuild(t *testing.T) {
	l, clock := openTest(t)
	makeIDsFixture(t, l)
	clock.Add(11 * 24 * time.Hour)
	if run, err := l.Archive(ctx, DefaultRetention(), "system", "test"); err != nil || run.IDs == 0 {
		t.Fatalf("%+v %v", run, err)
	}
	if err := l.Rebuild(); err != nil {
		t.Fatal(err)
	}
	mm, err := l.Check(filepath.Dir(l.Path()))
	if err != nil || len(mm) != 0 {
		t.Fatalf("check after rebuild: %v %v", mm, err)
	}
}

// TestArchiveIDsCrash: a run whose first event fails after its table was
// written leaves the store as it was (the committed version, none here, is
// back in place); reopened, nothing of it is opened; run again, it moves
// everything.
func TestArchiveIDsCrash(t *testing.T) {
	clock, dir, opt, fail := failingStore(t, 11)
	l, err := Open(dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	f := makeIDsFixture(t, l)
	clock.Add(8 * 24 * time.Hour)
	if _, err := l.Archive(ctx, DefaultRetention(), "system", "test"); err != nil { // the answers go first
		t.Fatal(err)
	}
	clock.Add(3 * 24 * time.Hour)
	*fail = true
	if _, err := l.Archive(ctx, DefaultRetention(), "system", "test"); err == nil {
		t.Fatal("the run did not fail")
	}
	*fail = false
	got := idsIn(t, l.ArchiveDir(), ".ids")
	if len(got) != 1 {
		t.Fatalf("the run wrote no table before its event: %v", got)
	}
	if tab := l.tables().table(got[0]); tab != nil {
		t.Fatalf("a table no event committed stayed open: %+v", tab)
	}
	if liveIDs(t, l, fixtureIDs...) != len(fixtureIDs) {
		t.Fatal("IDs left without their event")
	}
	checkIDsRepeat(t, l, f) // live still
	l.Close()
	if l, err = Open(dir, opt); err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	checkIDsRepeat(t, l, f)
	if run, err := l.Archive(ctx, DefaultRetention(), "system", "test"); err != nil || run.IDs == 0 {
		t.Fatalf("run again: %+v %v", run, err)
	}
	checkIDsRepeat(t, l, f)
	if mm, err := l.Check(dir); err != nil || len(mm) != 0 {
		t.Fatalf("check: %v %v", mm, err)
	}
}

// TestIDTableDamaged: a table cut short, added to, missing or with a
// damaged block is an error (at Open, or at the lookup that reads the
// block), never "not a duplicate".
func TestIDTableDamaged(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 11, 2, 0, 0, 0, time.UTC)}
	dir := t.TempDir()
	opt := Options{Now: clock.Now, Zone: time.FixedZone("CST", 8*3600)}
	l, err := Open(dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	makeIDsFixture(t, l)
	clock.Add(11 * 24 * time.Hour)
	if run, err := l.Archive(ctx, DefaultRetention(), "system", "test"); err != nil || run.IDs == 0 {
		t.Fatalf("%+v %v", run, err)
	}
	file, _ := newTable(t, l, idsKind, nil)
	l.Close()
	good, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var idErr *IDTableError
	blocks := binary.BigEndian.Uint64(good[24:32])
	for name, bad := range map[string][]byte{
		"cut short":   good[:len(good)-1],
		"added to":    append(bytes.Clone(good), 0),
		"header":      flip(good, 20),
		"index":       flip(good, int(idBlockSize*(blocks+1)+2)),
		"filter size": fixCRCs(flip(good, 39)),
	} {
		if err := os.WriteFile(file, bad, 0o640); err != nil {
			t.Fatal(err)
		}
		if l, err := Open(dir, opt); err == nil || !errors.As(err, &idErr) {
			if err == nil {
				l.Close()
			}
			t.Fatalf("%s: Open gave %v", name, err)
		}
	}
	// a damaged block: Open reads header and index only; the lookup fails
	if err := os.WriteFile(file, flip(good, idBlockSize+5), 0o640); err != nil {
		t.Fatal(err)
	}
	l, err = Open(dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	ev, _ := NewEvent("scan-old-1", EvLoginFailed, "B1001", "test", LoginFailed{Badge: "B7777", Reason: "login.unknown_badge"})
	if _, _, err := l.Append(ctx, ev); !errors.As(err, &idErr) {
		t.Fatalf("lookup in a damaged block: %v", err)
	}
	if _, _, err := l.VerifyIDTables(); err == nil {
		t.Fatal("verify passed a damaged table")
	}
	l.Close()
	// a damaged filter page: a new ID's lookup reads it and fails, never
	// "not a duplicate"
	if err := os.WriteFile(file, flip(good, int(idFilterOffset(blocks))+5), 0o640); err != nil {
		t.Fatal(err)
	}
	if l, err = Open(dir, opt); err != nil {
		t.Fatal(err)
	}
	ev, _ = NewEvent("scan-new-1", EvLoginFailed, "B1001", "test", LoginFailed{Badge: "B7777", Reason: "login.unknown_badge"})
	if _, _, err := l.Append(ctx, ev); !errors.As(err, &idErr) {
		t.Fatalf("lookup in a damaged filter: %v", err)
	}
	l.Close()
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	if l, err := Open(dir, opt); ErrorCode(err) != CodeNotFound {
		if err == nil {
			l.Close()
		}
		t.Fatalf("missing table: %v", err)
	}
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x40
	return c
}

// TestArchiveIDsStandby: a standby replicating a run builds the same
// table (the digest in the event), and after its promotion every repeat is
// still a duplicate.
func TestArchiveIDsStandby(t *testing.T) {
	primary, clock := openTest(t)
	standby := openStandby(t)
	f := makeIDsFixture(t, primary)
	defer func(b int) { idsBatch = b }(idsBatch)
	idsBatch = 4
	replicateAll(t, primary, standby, 3)
	// the events leave the live log first (--keep-events), their key_seqs
	// with them: the keys are known replicated from the segments
	clock.Add(8 * 24 * time.Hour)
	if run, err := primary.Archive(ctx, DefaultRetention(), "system", "test"); err != nil || run.Moved == 0 {
		t.Fatalf("%+v %v", run, err)
	}
	replicateAll(t, primary, standby, 7)
	clock.Add(3 * 24 * time.Hour)
	run, err := primary.Archive(ctx, DefaultRetention(), "system", "test")
	if err != nil || run.IDs == 0 {
		t.Fatalf("%+v %v", run, err)
	}
	if n := liveIDs(t, primary, fixtureIDs...); n != 0 {
		t.Fatalf("%d of the fixture's IDs still live", n)
	}
	mustAppend(t, primary, "after-run", EvLoginFailed, LoginFailed{Badge: "B7777", Reason: "login.unknown_badge"})
	replicateAll(t, primary, standby, 50) // the run's events with others in one page
	sameState(t, primary, standby)
	pa, _ := newTable(t, primary, idsKind, nil)
	pb, _ := newTable(t, standby, idsKind, nil)
	a, _ := os.ReadFile(pa)
	b, err := os.ReadFile(pb)
	if err != nil || !bytes.Equal(a, b) {
		t.Fatalf("the standby's table differs (%d vs %d bytes): %v", len(a), len(b), err)
	}
	if _, err := standby.Promote(ctx, "B9001", "cli"); err != nil {
		t.Fatal(err)
	}
	checkIDsRepeat(t, standby, f)
}

// TestIDRecordWidth: the fields tell a duplicate from each refusal.
func TestIDRecordBinds(t *testing.T) {
	rec := keyRecord{Actor: "B1", Type: EvWaveReleased, Target: "w", Digest: "abc"}
	r := newIDRecord("k", 42, true, &rec)
	if r.seq() != 42 || r.hash() != hashID("k") || r.flags() != idFlagEvent|idFlagKey {
		t.Fatalf("record %x", r)
	}
	k := keyed{id: "k", typ: EvWaveReleased, target: "w", actor: "B1"}
	if err := r.binds(k, "abc"); err != nil {
		t.Fatal(err)
	}
	for want, kk := range map[string]keyed{
		"key.other_actor":            {id: "k", typ: EvWaveReleased, target: "w", actor: "B2"},
		"key.other_request_archived": {id: "k", typ: EvWaveReleased, target: "v", actor: "B1"},
	} {
		if e, ok := AsError(r.binds(kk, "abc")); !ok || e.Key != want {
			t.Fatalf("%s: %v", want, e)
		}
	}
	if e, ok := AsError(r.binds(k, "abd")); !ok || e.Key != "key.changed" {
		t.Fatalf("changed: %v", e)
	}
}

// FuzzIDTableRead: any bytes as a table either fail to open or answer
// every lookup with a record or an error, never a panic.
func FuzzIDTableRead(f *testing.F) {
	dir := f.TempDir()
	writeTestIDTable(f, filepath.Join(dir, "seed.ids"), 300, "id-%d", idVersion)
	seed, _ := os.ReadFile(filepath.Join(dir, "seed.ids"))
	f.Add(seed)
	f.Add(fixCRCs(flip(seed, 17)))
	f.Add(seed[:idBlockSize+100])
	f.Add([]byte("TALLYIDS"))
	f.Fuzz(func(t *testing.T, b []byte) {
		tab, err := readIDTable(bytes.NewReader(b), int64(len(b)), "x.ids")
		if err != nil {
			return
		}
		defer tab.close()
		for i := range 5 {
			_, _, _ = tab.lookup(hashID(fmt.Sprint("id-", i*61)))
		}
		_ = tab.each(func(*idRecord) error { return nil })
	})
}

// TestFirstTrue: the galloping search finds what a binary search finds,
// from any guess.
func TestFirstTrue(t *testing.T) {
	for n := range 40 {
		for cut := 0; cut <= n; cut++ {
			for guess := -2; guess <= n+1; guess++ {
				if got := firstTrue(n, guess, func(m int) bool { return m >= cut }); got != cut {
					t.Fatalf("n %d cut %d guess %d: %d", n, cut, guess, got)
				}
			}
		}
	}
}

// TestIDTableLookupAll: every record of a table of many blocks is found,
// and IDs not in it are not.
func TestIDTableLookupAll(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.ids")
	writeTestIDTable(t, path, 5000, "id-%d", idVersion)
	tab, err := openIDTable(path)
	if err != nil {
		t.Fatal(err)
	}
	defer tab.close()
	for i := range 5000 {
		r, ok, err := tab.lookup(hashID(fmt.Sprint("id-", i)))
		if err != nil || !ok || r.seq() != uint64(i+1) {
			t.Fatalf("id-%d: %v %v %d", i, ok, err, r.seq())
		}
		if _, ok, err := tab.lookup(hashID(fmt.Sprint("no-", i))); ok || err != nil {
			t.Fatalf("no-%d found: %v", i, err)
		}
	}
}

// TestIDTableMutations: tables with random bytes changed and their
// checksums made right (so the fields behind them are read) open with an
// error or answer lookups, quickly, never a panic.
func TestIDTableMutations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "seed.ids")
	writeTestIDTable(t, path, 300, "id-%d", idVersion)
	seed, _ := os.ReadFile(path)
	rng := rand.New(rand.NewPCG(1, 2))
	opened := 0
	for range 5000 {
		b := bytes.Clone(seed)
		for range 1 + rng.IntN(3) {
			if rng.IntN(2) == 0 {
				b[rng.IntN(48)] = byte(rng.IntN(256)) // the header
			} else {
				b[rng.IntN(len(b))] = byte(rng.IntN(256))
			}
		}
		if rng.IntN(4) == 0 {
			b = b[:rng.IntN(len(b))]
		}
		b = fixCRCs(b)
		tab, err := readIDTable(bytes.NewReader(b), int64(len(b)), "x.ids")
		if err != nil {
			continue
		}
		opened++
		for i := range 5 {
			_, _, _ = tab.lookup(hashID(fmt.Sprint("id-", i*61)))
		}
		_ = tab.each(func(*idRecord) error { return nil })
	}
	if opened == 0 {
		t.Fatal("no mutation opened: the lookups were never tried")
	}
}

// fixCRCs sets the header's, every whole block's and the index's CRC as
// the header's counts place them.
func fixCRCs(b []byte) []byte {
	if len(b) < 44 {
		return b
	}
	v2 := binary.BigEndian.Uint32(b[8:12]) == idVersion
	if v2 {
		binary.BigEndian.PutUint32(b[40:], crc32.Checksum(b[:40], castagnoli))
	} else {
		binary.BigEndian.PutUint32(b[32:], crc32.Checksum(b[:32], castagnoli))
	}
	blocks := binary.BigEndian.Uint64(b[24:32])
	for i := uint64(0); i < blocks && int64(idBlockSize)*int64(i+2) <= int64(len(b)); i++ {
		blk := b[idBlockSize*(i+1) : idBlockSize*(i+2)]
		binary.BigEndian.PutUint32(blk[idBlockSize-4:], crc32.Checksum(blk[:idBlockSize-4], castagnoli))
	}
	if blocks < 1<<20 {
		if start := idBlockSize * (blocks + 1); start+blocks*idHashSize+4 <= uint64(len(b)) {
			n := start + blocks*idHashSize
			binary.BigEndian.PutUint32(b[n:], crc32.Checksum(b[start:n], castagnoli))
		}
		if off := uint64(idFilterOffset(blocks)); v2 && off <= uint64(len(b)) {
			for p := off; p+idBlockSize <= uint64(len(b)); p += idBlockSize {
				pg := b[p : p+idBlockSize]
				binary.BigEndian.PutUint32(pg[idBlockSize-4:], crc32.Checksum(pg[:idBlockSize-4], castagnoli))
			}
		}
	}
	return b
}
