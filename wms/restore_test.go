package wms

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// dumpState is every key and value of every bucket of the store, nested
// buckets included, as text: two stores with equal dumps hold the same state.
func dumpState(t *testing.T, l *Ledger) string {
	t.Helper()
	var b strings.Builder
	var walk func(prefix string, bk *bolt.Bucket) error
	walk = func(prefix string, bk *bolt.Bucket) error {
		return bk.ForEach(func(k, v []byte) error {
			if v == nil {
				return walk(prefix+string(k)+"/", bk.Bucket(k))
			}
			fmt.Fprintf(&b, "%s%q=%q\n", prefix, k, v)
			return nil
		})
	}
	if err := l.view(func(tx *txn) error {
		return tx.ForEach(func(name []byte, bk *bolt.Bucket) error {
			fmt.Fprintf(&b, "[%s seq %d]\n", name, bk.Sequence())
			return walk(string(name)+"/", bk)
		})
	}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// dirState is every name in dir with its size and a digest of its bytes.
func dirState(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %d %x\n", e.Name(), len(data), sha256.Sum256(data))
	}
	return b.String()
}

// A scheduled backup folder: each backup is a whole store named for its time
// and last event; the newest Keep stay; a temporary file a crash left is not
// a backup and goes once it is old; other files are left alone.
func TestBackupFolderKeepsNewest(t *testing.T) {
	l, clock := openTest(t)
	seedSmall(t, l)
	dir := filepath.Join(t.TempDir(), "backups")
	f := BackupFolder{Dir: dir, Keep: 3}
	if got, err := f.List(); err != nil || len(got) != 0 {
		t.Fatalf("a folder not yet made: %v %v", got, err)
	}
	var taken []BackupFile
	for i := range 5 {
		mustOrder(t, l, order(fmt.Sprintf("SO8%05d", i), LineIn{"BOOK", 1}))
		b, err := f.Take(l)
		if err != nil {
			t.Fatal(err)
		}
		if b.Seq != l.LastSeq() || !b.Taken.Equal(clock.Now().Truncate(time.Second)) || b.Size <= 0 {
			t.Errorf("backup %d: %+v (last seq %d)", i, b, l.LastSeq())
		}
		if seq, err := VerifyBackup(b.Path); err != nil || seq != b.Seq {
			t.Errorf("backup %d verifies as %d, %v", i, seq, err)
		}
		taken = append(taken, b)
		if i == 1 { // a crash mid-backup left these
			for name, age := range map[string]time.Duration{backupTempPrefix + "old": 2 * time.Hour, backupTempPrefix + "young": 0} {
				p := filepath.Join(dir, name)
				if err := os.WriteFile(p, []byte("half a store"), 0o600); err != nil {
					t.Fatal(err)
				}
				if err := os.Chtimes(p, time.Now().Add(-age), time.Now().Add(-age)); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("keep me"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		clock.Add(time.Hour)
	}
	got, err := f.List()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, taken[2:]) {
		t.Errorf("folder holds %+v, want the newest three %+v", got, taken[2:])
	}
	var names []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{backupTempPrefix + "young", "notes.txt",
		filepath.Base(taken[2].Path), filepath.Base(taken[3].Path), filepath.Base(taken[4].Path)}
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("folder: %v, want %v", names, want)
	}
	if !strings.HasPrefix(filepath.Base(taken[0].Path), "tally-20261111-020000Z-") {
		t.Errorf("name %s", taken[0].Path)
	}
	if _, err := (BackupFolder{Dir: dir}).Take(l); err == nil {
		t.Error("a folder keeping no backups took one")
	}
}

// A restore into a fresh directory gives the store as it was at the
// backup's last event, whatever was written after; one over an existing
// store keeps the replaced store, which restores back in turn.
func TestRestore(t *testing.T) {
	src, _ := openTest(t)
	seedSmall(t, src)
	for i := range 20 {
		mustOrder(t, src, order(fmt.Sprintf("SO7%05d", i), LineIn{"BOOK", 1}))
	}
	before := dumpState(t, src)
	b, err := BackupFolder{Dir: t.TempDir(), Keep: 2}.Take(src)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		mustOrder(t, src, order(fmt.Sprintf("SO6%05d", i), LineIn{"BOOK", 1}))
	}

	dir := filepath.Join(t.TempDir(), "fresh")
	r, err := Restore(dir, b.Path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Seq != b.Seq || r.Events != int(b.Seq) || r.Kept != "" || r.RebuiltFrom != "" || r.LastEvent.IsZero() {
		t.Errorf("restored %+v, backup %+v", r, b)
	}
	restored, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := dumpState(t, restored); got != before {
		t.Errorf("the restored store differs from the source at event %d", b.Seq)
	}
	if mm, err := restored.Check(dir); err != nil || len(mm) != 0 {
		t.Errorf("check of the restored store: %v %v", mm, err)
	}
	mustOrder(t, restored, order("SO500000", LineIn{"BOOK", 1})) // it works as a store
	afterWork := dumpState(t, restored)
	restored.Close()

	// again over the store now there: it is kept, and restoring it undoes the restore
	r2, err := Restore(dir, b.Path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r2.Kept == "" || !strings.HasPrefix(filepath.Base(r2.Kept), "tally.db.before-restore-") {
		t.Fatalf("kept %q", r2.Kept)
	}
	undoDir := filepath.Join(t.TempDir(), "undo")
	if _, err := Restore(undoDir, r2.Kept, Options{}); err != nil {
		t.Fatal(err)
	}
	undone, err := Open(undoDir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer undone.Close()
	if dumpState(t, undone) != afterWork {
		t.Error("the kept store is not the one replaced")
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".tally-*"))
	if len(leftovers) != 0 {
		t.Errorf("left in the data directory: %v", leftovers)
	}
}

// A file that is not a sound backup is refused before anything in the data
// directory changes; so is a restore while another process holds the store.
func TestRestoreRefuses(t *testing.T) {
	src, _ := openTest(t)
	seedSmall(t, src)
	for i := range 200 {
		mustOrder(t, src, order(fmt.Sprintf("SO7%05d", i), LineIn{"BOOK", 1}))
	}
	files := t.TempDir()
	good := filepath.Join(files, "good.db")
	if _, _, err := src.BackupToFile(good); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	// a projection that a rebuild does not give: bbolt is sound, the store is not
	badProjection := filepath.Join(files, "projection.db")
	if err := os.WriteFile(badProjection, data, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(badProjection, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(derivedBuckets[0]).Put([]byte("invented"), []byte("1"))
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	// scribbled pages in the middle: bbolt's own check finds them
	scribbled := bytes.Clone(data)
	for i := len(data) / 3; i < len(data)/3+3*4096; i++ {
		scribbled[i] = 0xA5
	}
	cases := map[string][]byte{
		"truncated": data[:len(data)/2],
		"scribbled": scribbled,
		"text":      []byte("这不是数据库"),
		"empty":     {},
	}
	paths := map[string]string{"projection": badProjection, "missing": filepath.Join(files, "none.db")}
	for name, content := range cases {
		p := filepath.Join(files, name+".db")
		if err := os.WriteFile(p, content, 0o600); err != nil {
			t.Fatal(err)
		}
		paths[name] = p
	}

	dir := t.TempDir()
	l, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustAppend(t, l, "x1", EvSKUUpserted, SKU{Code: "TEA", Name: "茶"})
	l.Close()
	was := dirState(t, dir)
	for name, p := range paths {
		if _, err := Restore(dir, p, Options{}); err == nil {
			t.Errorf("%s: restored", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
		if now := dirState(t, dir); now != was {
			t.Errorf("%s: the data directory changed:\n%s\nwas\n%s", name, now, was)
		}
	}

	// held by a server: refused, unchanged
	held, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	was = dirState(t, dir) // opening commits
	_, err = Restore(dir, good, Options{OpenTimeout: 100 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		t.Errorf("restore over a held store: %v", err)
	}
	held.Close()
	if now := dirState(t, dir); now != was {
		t.Errorf("held: the data directory changed")
	}
	// the store itself is not a backup of itself
	if _, err := Restore(dir, filepath.Join(dir, dbFile), Options{}); err == nil {
		t.Error("restored the store over itself")
	}
	if _, err := Restore(dir, good, Options{}); err != nil {
		t.Errorf("then the good one: %v", err)
	}
	// a fresh directory stays unmade when the file is refused
	fresh := filepath.Join(t.TempDir(), "fresh")
	if _, err := Restore(fresh, paths["truncated"], Options{}); err == nil {
		t.Error("restored a truncated file into a fresh directory")
	}
	if _, err := os.Stat(fresh); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused restore made %s: %v", fresh, err)
	}
}
