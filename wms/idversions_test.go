package wms

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// namedTables are the tables of a kind the store names (name → digest).
func namedTables(t *testing.T, l *Ledger, k *tableKind) map[string]string {
	t.Helper()
	m := map[string]string{}
	if err := l.view(func(tx *txn) error {
		c := tx.Bucket(bucketMeta).Cursor()
		p := []byte(k.meta)
		for key, v := c.Seek(p); key != nil && bytes.HasPrefix(key, p); key, v = c.Next() {
			m[string(key[len(p):])] = string(v)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return m
}

// newTable is the one table a kind's store names that was not in before.
func newTable(t *testing.T, l *Ledger, k *tableKind, before map[string]string) (string, string) {
	t.Helper()
	var name, digest string
	for n, d := range namedTables(t, l, k) {
		if _, ok := before[n]; !ok {
			if name != "" {
				t.Fatalf("two new tables: %s, %s", name, n)
			}
			name, digest = n, d
		}
	}
	if name == "" {
		t.Fatal("no new table named")
	}
	return filepath.Join(l.ArchiveDir(), name), digest
}

// folderState is the archive folder's names with their sizes and times.
func folderState(t *testing.T, dir string) map[string]string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, e := range es {
		fi, err := os.Lstat(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name()] = fi.ModTime().String() + " " + fi.Mode().String() + " " + fmt.Sprint(fi.Size())
	}
	return m
}

func idsIn(t *testing.T, dir, suffix string) []string {
	t.Helper()
	var out []string
	for n := range folderState(t, dir) {
		if filepath.Ext(n) == suffix || suffix == "" {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

func repeatIs(t *testing.T, l *Ledger, id string, dupOf uint64) {
	t.Helper()
	ev, _ := NewEvent(id, EvLoginFailed, "B1001", "test", LoginFailed{Badge: "B7777", Reason: "login.unknown_badge"})
	got, dup, err := l.Append(ctx, ev)
	if err != nil || dup != (dupOf != 0) || dup && got.Seq != dupOf {
		t.Fatalf("%s again: seq %d dup %v err %v, want a duplicate of %d (0: new)", id, got.Seq, dup, err, dupOf)
	}
}

// TestIDTablesOneARun: every run writes one table of only what it moves,
// under a name carrying its digest, and the store names every run's table;
// a run whose first event fails leaves its file unnamed (not opened) and
// its retry writes the same file; nothing deletes a table; a backup taken
// before three more runs restores (its named tables are all there), opens
// its own tables alone (not a newer run's, whose IDs would answer its lost
// events' retries as duplicates) and answers as it did; the restore's
// staged Open changes nothing in the folder.
func TestIDTablesOneARun(t *testing.T) {
	clock, dir, opt, fail := failingStore(t, 1)
	l, err := Open(dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { l.Close() }()
	a := mustAppend(t, l, "id-a", EvLoginFailed, LoginFailed{Badge: "B7777", Reason: "login.unknown_badge"})
	clock.Add(11 * 24 * time.Hour)
	if run, err := l.Archive(ctx, DefaultRetention(), "system", "test"); err != nil || run.IDs == 0 {
		t.Fatalf("run 1: %+v %v", run, err)
	}
	v1, _ := newTable(t, l, idsKind, nil)
	b1 := filepath.Join(t.TempDir(), "b1.db")
	if _, _, err := l.BackupToFile(b1); err != nil {
		t.Fatal(err)
	}
	named := namedTables(t, l, idsKind)

	// run 2 fails at its first event (the disk full), then is retried
	b := mustAppend(t, l, "id-b", EvLoginFailed, LoginFailed{Badge: "B7777", Reason: "login.unknown_badge"})
	clock.Add(11 * 24 * time.Hour)
	noIDs := DefaultRetention()
	noIDs.IDs = 0
	if _, err := l.Archive(ctx, noIDs, "system", "test"); err != nil { // the answers and events first
		t.Fatal(err)
	}
	*fail = true
	if _, err := l.Archive(ctx, DefaultRetention(), "system", "test"); err == nil {
		t.Fatal("the run did not fail")
	}
	*fail = false
	if got := len(l.tables().list); got != 1 {
		t.Fatalf("after the failed run %d tables are open, want run 1's alone", got)
	}
	repeatIs(t, l, "id-a", a.Seq)
	repeatIs(t, l, "id-b", b.Seq)
	unnamed := idsIn(t, l.ArchiveDir(), ".ids")
	if run, err := l.Archive(ctx, DefaultRetention(), "system", "test"); err != nil || run.IDs == 0 {
		t.Fatalf("run 2 again: %+v %v", run, err)
	}
	v2, _ := newTable(t, l, idsKind, named)
	if !slices.Contains(unnamed, filepath.Base(v2)) {
		t.Fatalf("the retry wrote %s, not the failed run's file (%v)", v2, unnamed)
	}
	named = namedTables(t, l, idsKind)
	repeatIs(t, l, "id-a", a.Seq)
	repeatIs(t, l, "id-b", b.Seq)

	// runs 3 and 4: one table each, every table stays
	c := mustAppend(t, l, "id-c", EvLoginFailed, LoginFailed{Badge: "B7777", Reason: "login.unknown_badge"})
	clock.Add(11 * 24 * time.Hour)
	if run, err := l.Archive(ctx, DefaultRetention(), "system", "test"); err != nil || run.IDs == 0 {
		t.Fatalf("run 3: %+v %v", run, err)
	}
	v3, _ := newTable(t, l, idsKind, named)
	named = namedTables(t, l, idsKind)
	d := mustAppend(t, l, "id-d", EvLoginFailed, LoginFailed{Badge: "B7777", Reason: "login.unknown_badge"})
	clock.Add(11 * 24 * time.Hour)
	if run, err := l.Archive(ctx, DefaultRetention(), "system", "test"); err != nil || run.IDs == 0 {
		t.Fatalf("run 4: %+v %v", run, err)
	}
	v4, _ := newTable(t, l, idsKind, named)
	want := sorted([]string{filepath.Base(v1), filepath.Base(v2), filepath.Base(v3), filepath.Base(v4)})
	if got := idsIn(t, l.ArchiveDir(), ".ids"); !slices.Equal(got, want) {
		t.Fatalf("tables %v, want %v", got, want)
	}
	if got := len(namedTables(t, l, idsKind)); got != 4 || len(l.tables().list) != 4 {
		t.Fatalf("%d tables named, %d open, want 4", got, len(l.tables().list))
	}
	for _, x := range []struct {
		id  string
		seq uint64
	}{{"id-a", a.Seq}, {"id-b", b.Seq}, {"id-c", c.Seq}, {"id-d", d.Seq}} {
		repeatIs(t, l, x.id, x.seq)
	}
	if mm, err := l.Check(dir); err != nil || len(mm) != 0 {
		t.Fatalf("check: %v %v", mm, err)
	}
	l.Close()

	// the backup before runs 2, 3 and 4 opens run 1's table alone: id-b,
	// id-c and id-d, which that store never saw, are new there
	before := folderState(t, filepath.Join(dir, "archive"))
	if _, err := Restore(dir, b1, opt); err != nil {
		t.Fatal(err)
	}
	if after := folderState(t, filepath.Join(dir, "archive")); !maps.Equal(before, after) {
		t.Fatalf("the restore changed the archive folder:\n%v\n%v", before, after)
	}
	if l, err = Open(dir, opt); err != nil {
		t.Fatal(err)
	}
	if got := l.tables().list; len(got) != 1 || got[0].name != filepath.Base(v1) {
		t.Fatalf("the restored store opened %d tables, want %s alone", len(got), filepath.Base(v1))
	}
	repeatIs(t, l, "id-a", a.Seq)
	repeatIs(t, l, "id-b", 0)
	repeatIs(t, l, "id-c", 0)
	if mm, err := l.Check(dir); err != nil || len(mm) != 0 {
		t.Fatalf("check: %v %v", mm, err)
	}
}

func sorted(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }

// TestIDTableStandbyFromCopy: a standby that lacks entries the primary
// moved (one started empty or stopped longer than --keep-ids; here a key
// record taken out of its store) builds a table that is not the event's: it
// stops with ids.digest_differs naming the primary's file (the remedy).
// With a damaged copy of that file it still stops; with the file copied
// into its archive folder it goes on, uses the primary's table, and after
// its promotion every repeat is still a duplicate.
func TestIDTableStandbyFromCopy(t *testing.T) {
	primary, clock := openTest(t)
	standby := openStandby(t)
	f := makeIDsFixture(t, primary)
	replicateAll(t, primary, standby, 50)
	if err := standby.update(func(tx *txn) error {
		rec, found, err := getKeyRecord(tx, "order-key")
		if err != nil || !found {
			return fmt.Errorf("no record of order-key: %v", err)
		}
		if err := tx.Bucket(bucketKeySeqs).Delete(keySeqKey(rec.Seq, "order-key")); err != nil {
			return err
		}
		return tx.Bucket(bucketKeys).Delete([]byte("order-key"))
	}); err != nil {
		t.Fatal(err)
	}
	keepEvents := DefaultRetention()
	keepEvents.Events = 0
	clock.Add(11 * 24 * time.Hour)
	if run, err := primary.Archive(ctx, keepEvents, "system", "test"); err != nil || run.IDs == 0 {
		t.Fatalf("%+v %v", run, err)
	}
	src, _ := newTable(t, primary, idsKind, nil)

	err := replicateOnce(primary, standby, 50)
	var first, again *IDTableNeeded
	errors.As(err, &first)
	e, ok := AsError(err)
	if !ok || e.Key != "ids.digest_differs" || e.Args["name"] != filepath.Base(src) {
		t.Fatalf("a standby lacking an entry: %v, want ids.digest_differs naming %s", err, filepath.Base(src))
	}
	if got := idsIn(t, standby.ArchiveDir(), ""); len(got) != 0 {
		t.Fatalf("the refused build left %v", got)
	}
	raw, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	copied := filepath.Join(standby.ArchiveDir(), filepath.Base(src))
	if err := os.WriteFile(copied, flip(raw, idBlockSize+3), 0o640); err != nil {
		t.Fatal(err)
	}
	err = replicateOnce(primary, standby, 50)
	if e, ok := AsError(err); !ok || e.Key != "ids.digest_differs" {
		t.Fatalf("a damaged copy: %v", e)
	}
	// the retry did not build the table again: it is the need remembered
	if !errors.As(err, &again) || again != first {
		t.Fatalf("a retry built the table again: %v", err)
	}
	if err := os.WriteFile(copied, raw, 0o640); err != nil {
		t.Fatal(err)
	}
	replicateAll(t, primary, standby, 50)
	if _, ok := neededTables.Load(neededKey{standby.db, first.Name, first.Digest}); ok {
		t.Fatal("the need is still remembered once the file is in place")
	}
	sameState(t, primary, standby)
	if got := namedTables(t, standby, idsKind); len(got) != 1 || got[filepath.Base(src)] == "" {
		t.Fatalf("the standby named %v, want %s", got, filepath.Base(src))
	}
	if _, err := standby.Promote(ctx, "B9001", "cli"); err != nil {
		t.Fatal(err)
	}
	checkIDsRepeat(t, standby, f)
}

// failingStore is a store's folder and options on a clock at 02:00 UTC
// of a November day whose writes fail while *fail is set.
func failingStore(t *testing.T, day int) (*testClock, string, Options, *bool) {
	clock := &testClock{t: time.Date(2026, 11, day, 2, 0, 0, 0, time.UTC)}
	fail := new(bool)
	opt := Options{Now: clock.Now, Zone: time.FixedZone("CST", 8*3600), FailWrites: func() error {
		if *fail {
			return errors.New("disk full")
		}
		return nil
	}}
	return clock, t.TempDir(), opt, fail
}

// TestIDTablesOfAnOlderStore: a store whose meta names a month's merged
// version (ids_file:YYYY-MM.ids, before one table a run) opens it as one
// more table, answers from it, and its next run adds a table of its own.
func TestIDTablesOfAnOlderStore(t *testing.T) {
	clock, dir, opt, _ := failingStore(t, 1)
	l, err := Open(dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { l.Close() }()
	a := mustAppend(t, l, "id-a", EvLoginFailed, LoginFailed{Badge: "B7777", Reason: "login.unknown_badge"})
	clock.Add(11 * 24 * time.Hour)
	if run, err := l.Archive(ctx, DefaultRetention(), "system", "test"); err != nil || run.IDs == 0 {
		t.Fatalf("run 1: %+v %v", run, err)
	}
	v1, d1 := newTable(t, l, idsKind, nil)
	// as the version before wrote it: the month's name, its digest
	if err := l.update(func(tx *txn) error {
		m := tx.Bucket(bucketMeta)
		if err := m.Delete([]byte(idsKind.meta + filepath.Base(v1))); err != nil {
			return err
		}
		return m.Put([]byte("ids_file:2026-11.ids"), []byte(d1))
	}); err != nil {
		t.Fatal(err)
	}
	l.Close()
	if l, err = Open(dir, opt); err != nil {
		t.Fatal(err)
	}
	if got := l.tables().list; len(got) != 1 || got[0].name != filepath.Base(v1) {
		t.Fatalf("the older store opened %d tables, want %s", len(got), filepath.Base(v1))
	}
	repeatIs(t, l, "id-a", a.Seq)
	b := mustAppend(t, l, "id-b", EvLoginFailed, LoginFailed{Badge: "B7777", Reason: "login.unknown_badge"})
	clock.Add(11 * 24 * time.Hour)
	if run, err := l.Archive(ctx, DefaultRetention(), "system", "test"); err != nil || run.IDs == 0 {
		t.Fatalf("run 2: %+v %v", run, err)
	}
	if got := len(l.tables().list); got != 2 {
		t.Fatalf("%d tables open after the older store's next run, want 2", got)
	}
	repeatIs(t, l, "id-a", a.Seq)
	repeatIs(t, l, "id-b", b.Seq)
	if n, _, err := l.VerifyIDTables(); err != nil || n != 2 {
		t.Fatalf("verify: %d %v", n, err)
	}
}

// TestStandbyOfLegacyIDRuns: ids.archived events of a run before one
// table a run (no table; the digest of the month's merged version) still
// replicate: the standby builds the merged version as that run did (the
// version its store names with its own entries), names it as that run
// did, and answers every archived repeat once promoted.
func TestStandbyOfLegacyIDRuns(t *testing.T) {
	primary, clock := openTest(t)
	standby := openStandby(t)
	f := makeIDsFixture(t, primary)
	replicateAll(t, primary, standby, 50)
	r := DefaultRetention()
	r.Events = 0
	legacy := func(digest string) {
		t.Helper()
		page, err := primary.ReplicationPage(standby.LastSeq(), ReplicaMaxLimit)
		if err != nil {
			t.Fatal(err)
		}
		for i, re := range page.Events {
			if re.Event.Type == EvIDsArchived {
				var p IDsArchived
				_ = json.Unmarshal(re.Event.Data, &p)
				p.Table, p.Digest = "", digest
				page.Events[i].Event.Data, _ = json.Marshal(p)
			}
		}
		if _, err := standby.Replicate(ctx, page.Events); err != nil {
			t.Fatalf("a legacy run's events: %v", err)
		}
	}
	clock.Add(11 * 24 * time.Hour)
	if run, err := primary.Archive(ctx, r, "system", "test"); err != nil || run.IDs == 0 {
		t.Fatalf("run 1: %+v %v", run, err)
	}
	v1, d1 := newTable(t, primary, idsKind, nil)
	legacy(d1) // the first version of a month is the run's records alone
	file := filepath.Base(v1)[:7] + ".ids"
	mustAppend(t, primary, "legacy-b", EvLoginFailed, LoginFailed{Badge: "B7777", Reason: "login.unknown_badge"})
	clock.Add(11 * 24 * time.Hour)
	named := namedTables(t, primary, idsKind)
	if run, err := primary.Archive(ctx, r, "system", "test"); err != nil || run.IDs == 0 {
		t.Fatalf("run 2: %+v %v", run, err)
	}
	v2, _ := newTable(t, primary, idsKind, named)
	// the merged version the run before one table a run wrote
	var recs []idRecord
	for _, p := range []string{v1, v2} {
		tb, err := openIDTable(p)
		if err != nil {
			t.Fatal(err)
		}
		_ = tb.each(func(r *idRecord) error { recs = append(recs, *r); return nil })
		tb.close()
	}
	merged, dm, err := primary.buildTable(idsKind, file, recs, "", idVersion)
	if err != nil {
		t.Fatal(err)
	}
	merged.close()
	legacy(dm)
	var got string
	_ = standby.view(func(tx *txn) error {
		got = string(tx.Bucket(bucketMeta).Get([]byte("ids_file:" + file)))
		return nil
	})
	if got != dm {
		t.Fatalf("the standby names %q for %s, want the merged version %s", got, file, dm)
	}
	if _, err := standby.Promote(ctx, "B9001", "cli"); err != nil {
		t.Fatal(err)
	}
	checkIDsRepeat(t, standby, f)
	repeatIs(t, standby, "legacy-b", archivedSeq(t, standby, "legacy-b"))
}

// archivedSeq is the sequence number of the event of an archived ID.
func archivedSeq(t *testing.T, l *Ledger, id string) uint64 {
	t.Helper()
	var seq uint64
	if err := l.view(func(tx *txn) error {
		r, ok, err := archivedID(tx, id)
		if err != nil || !ok {
			return fmt.Errorf("%s not archived: %v", id, err)
		}
		seq = r.seq()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return seq
}
