package wms

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// committedTable is the file of the version of a month's table
// ("2026-11.ids") the store committed, and its digest.
func committedTable(t *testing.T, l *Ledger, file string) (string, string) {
	t.Helper()
	var d string
	if err := l.view(func(tx *txn) error {
		d = string(tx.Bucket(bucketMeta).Get(idsMetaKey(file)))
		return nil
	}); err != nil || d == "" {
		t.Fatalf("no committed table %s: %v", file, err)
	}
	return filepath.Join(l.ArchiveDir(), idTableFile(file, d)), d
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

// TestIDTableVersions: every run writes a new version of the month's table
// under a name carrying its digest, never over a file that may be mapped;
// a run whose first event fails puts the committed version back and its
// retry succeeds; a run keeps its version and the one before it; a restored
// backup opens its own version (not a newer run's, whose IDs would answer
// its lost events' retries as duplicates), and is refused naming a version
// that is gone; the restore's staged Open changes nothing in the folder.
func TestIDTableVersions(t *testing.T) {
	clock, dir, opt, fail := failingStore(t, 1)
	l, err := Open(dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { l.Close() }()
	const file = "2026-11.ids"
	a := mustAppend(t, l, "id-a", EvLoginFailed, LoginFailed{Badge: "B7777", Reason: "login.unknown_badge"})
	clock.Add(11 * 24 * time.Hour)
	if run, err := l.Archive(ctx, DefaultRetention(), "system", "test"); err != nil || run.IDs == 0 {
		t.Fatalf("run 1: %+v %v", run, err)
	}
	v1, d1 := committedTable(t, l, file)
	b1 := filepath.Join(t.TempDir(), "b1.db")
	if _, _, err := l.BackupToFile(b1); err != nil {
		t.Fatal(err)
	}

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
	if tab := l.tables().table(file); tab == nil || tab.digest != d1 || tab.pending {
		t.Fatalf("after the failed run the table installed is %+v, want the committed %s", tab, d1)
	}
	repeatIs(t, l, "id-a", a.Seq)
	repeatIs(t, l, "id-b", b.Seq)
	if run, err := l.Archive(ctx, DefaultRetention(), "system", "test"); err != nil || run.IDs == 0 {
		t.Fatalf("run 2 again: %+v %v", run, err)
	}
	v2, d2 := committedTable(t, l, file)
	if d2 == d1 {
		t.Fatal("run 2 committed no new version")
	}
	repeatIs(t, l, "id-a", a.Seq)
	repeatIs(t, l, "id-b", b.Seq)
	if got, want := idsIn(t, l.ArchiveDir(), ".ids"), []string{filepath.Base(v1), filepath.Base(v2)}; !slices.Equal(got, sorted(want)) {
		t.Fatalf("versions %v, want %v", got, want)
	}
	for n := range folderState(t, l.ArchiveDir()) {
		if filepath.Ext(n) != ".ids" && filepath.Ext(n) != ".gz" {
			t.Fatalf("a failed run's file stayed: %s", n)
		}
	}
	b2 := filepath.Join(t.TempDir(), "b2.db")
	if _, _, err := l.BackupToFile(b2); err != nil {
		t.Fatal(err)
	}

	// run 3: its version and run 2's stay, run 1's goes
	mustAppend(t, l, "id-c", EvLoginFailed, LoginFailed{Badge: "B7777", Reason: "login.unknown_badge"})
	clock.Add(11 * 24 * time.Hour)
	if run, err := l.Archive(ctx, DefaultRetention(), "system", "test"); err != nil || run.IDs == 0 {
		t.Fatalf("run 3: %+v %v", run, err)
	}
	v3, _ := committedTable(t, l, file)
	if got, want := idsIn(t, l.ArchiveDir(), ".ids"), []string{filepath.Base(v2), filepath.Base(v3)}; !slices.Equal(got, sorted(want)) || len(got) != idsKeepVersions {
		t.Fatalf("versions %v, want %v", got, want)
	}
	l.Close()

	// the backup before run 2 names run 1's version, gone: refused by name
	before := folderState(t, l.ArchiveDir())
	if _, err := Restore(dir, b1, opt); err == nil {
		t.Fatal("a backup whose table is gone was restored")
	} else if e, ok := AsError(err); !ok || e.Key != "ids.table_missing" || e.Args["file"] != filepath.Base(v1) {
		t.Fatalf("restore without its table: %v, want ids.table_missing naming %s", err, filepath.Base(v1))
	}
	// the backup before run 3 opens run 2's version: id-c, which that
	// store never saw, is new there (run 3's version holds it)
	if _, err := Restore(dir, b2, opt); err != nil {
		t.Fatal(err)
	}
	if after := folderState(t, l.ArchiveDir()); !maps.Equal(before, after) {
		t.Fatalf("the restores changed the archive folder:\n%v\n%v", before, after)
	}
	if l, err = Open(dir, opt); err != nil {
		t.Fatal(err)
	}
	if tab := l.tables().table(file); tab == nil || tab.digest != d2 {
		t.Fatalf("the restored store opened %+v, want %s", tab, d2)
	}
	repeatIs(t, l, "id-a", a.Seq)
	repeatIs(t, l, "id-b", b.Seq)
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
	name := clock.Now().Add(-10*24*time.Hour).In(primary.zone).Format("2006-01") + ".ids"
	src, _ := committedTable(t, primary, name)

	err := replicateOnce(primary, standby, 50)
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
	if e, ok := AsError(replicateOnce(primary, standby, 50)); !ok || e.Key != "ids.digest_differs" {
		t.Fatalf("a damaged copy: %v", e)
	}
	if err := os.WriteFile(copied, raw, 0o640); err != nil {
		t.Fatal(err)
	}
	replicateAll(t, primary, standby, 50)
	sameState(t, primary, standby)
	if got, _ := committedTable(t, standby, name); filepath.Base(got) != filepath.Base(src) {
		t.Fatalf("the standby committed %s, want %s", got, src)
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
