package wms

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// withOverlay sets whether replays use the overlay, for one test.
func withOverlay(t *testing.T, on bool) {
	t.Helper()
	was := replayOverlay
	replayOverlay = on
	t.Cleanup(func() { replayOverlay = was })
}

// bucketRows is every derived bucket's records, as stored.
func bucketRows(t *testing.T, l *Ledger) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, name := range derivedBuckets {
		rows, err := l.dumpBucket(name)
		if err != nil {
			t.Fatal(err)
		}
		out[string(name)] = fmt.Sprintf("%d %x", len(rows), rows)
	}
	return out
}

// sameRows reports every bucket whose records differ.
func sameRows(t *testing.T, what string, want, got map[string]string) {
	t.Helper()
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s: bucket %s differs", what, name)
		}
	}
}

// A rebuild through the overlay writes, in every projection, the same
// bytes as the appliers writing straight to bbolt, and as the live path
// wrote them (one event a transaction) — on the demo's store and on a
// generated one, in chunks small enough that records cross chunks.
func TestReplayOverlaySame(t *testing.T) {
	smallChunks(t, 97)
	demo, _ := openTest(t)
	if _, err := demo.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.SeedDemoOrders(ctx); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "gen")
	events := 3_000
	if generateUnderRace {
		events = 1_200
	}
	generated(t, dir, events, 2, 11)
	gen, err := Open(dir, Options{KeepProjections: true})
	if err != nil {
		t.Fatal(err)
	}
	defer gen.Close()

	for _, c := range []struct {
		name string
		l    *Ledger
	}{{"demo", demo}, {"generated", gen}} {
		live := bucketRows(t, c.l)
		withOverlay(t, false)
		if err := c.l.Rebuild(); err != nil {
			t.Fatal(err)
		}
		plain := bucketRows(t, c.l)
		sameRows(t, c.name+", rebuilt without the overlay against live", live, plain)

		withOverlay(t, true)
		var used *overlay
		replayDoneHook = func(st *replayState) { used = st.overlay }
		t.Cleanup(func() { replayDoneHook = nil })
		if err := c.l.Rebuild(); err != nil {
			t.Fatal(err)
		}
		if used == nil || used.flushed == 0 || used.hits == 0 {
			t.Fatalf("%s: the rebuild did not go through the overlay: %+v", c.name, used)
		}
		sameRows(t, c.name+", rebuilt with the overlay against without", plain, bucketRows(t, c.l))

		// a small bound: chunks spill their changes to bbolt as they go
		// (an archiving event touches more records than the bound), with
		// the same result
		was := overlayMaxEntries
		overlayMaxEntries = 40
		err := c.l.Rebuild()
		overlayMaxEntries = was
		if err != nil {
			t.Fatal(err)
		}
		if used == nil || used.spills == 0 {
			t.Fatalf("%s: no chunk spilled with a bound of 40 records: %+v", c.name, used)
		}
		sameRows(t, c.name+", rebuilt with spills against without the overlay", plain, bucketRows(t, c.l))

		// chunks that end early when their transaction holds many of
		// bbolt's pages (replayChunkNodes; with the overlay, pages are
		// changed by its spills and by the log's own buckets): the same
		// result
		var cuts int
		replayDoneHook = func(st *replayState) { cuts += st.nodeCuts }
		wasNodes := replayChunkNodes
		replayChunkNodes, overlayMaxEntries = 8, 40
		err = c.l.Rebuild()
		replayChunkNodes, overlayMaxEntries = wasNodes, was
		if err != nil {
			t.Fatal(err)
		}
		if cuts == 0 {
			t.Fatalf("%s: no chunk ended early at 8 pages", c.name)
		}
		sameRows(t, c.name+", rebuilt in chunks cut by pages against without the overlay", plain, bucketRows(t, c.l))
		replayDoneHook = func(st *replayState) { used = st.overlay }
		mm, err := c.l.Check(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range mm {
			t.Errorf("%s: check through the overlay: %s", c.name, m)
		}
	}
}

// The overlay answers as bbolt would: Gets see the chunk's own writes,
// nothing reaches bbolt before the flush, a cursor sees every record as
// written (and its deletes are seen), empty values are not missing keys,
// bbolt's refusals are kept, and after the commit bbolt answers again.
func TestOverlayBucket(t *testing.T) {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "o.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	name := bucketStock
	if !overlaid[string(name)] {
		t.Fatal("stock is not overlaid")
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket(name)
		if err != nil {
			return err
		}
		for k, v := range map[string]string{"a": "1", "b": "", "c": "3", "f": "6"} {
			if err := b.Put([]byte(k), []byte(v)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	st := &replayState{overlay: newOverlay()}
	keys := func(c *bolt.Cursor) string {
		var s []string
		for k, v := c.First(); k != nil; k, v = c.Next() {
			s = append(s, string(k)+"="+string(v))
		}
		return strings.Join(s, " ")
	}
	err = db.Update(func(btx *bolt.Tx) error {
		tx := &txn{Tx: btx, replay: st}
		b := tx.Bucket(name)
		if b.ov == nil {
			t.Fatal("no overlay under the bucket")
		}
		if v := b.Get([]byte("b")); v == nil || len(v) != 0 {
			t.Errorf("empty value read as %v", v)
		}
		if v := b.Get([]byte("x")); v != nil {
			t.Errorf("missing key read as %q", v)
		}
		if _, found := b.lookup([]byte("b")); !found {
			t.Error("lookup misses an empty value")
		}
		if err := b.Put([]byte("d"), []byte("4")); err != nil {
			t.Fatal(err)
		}
		if err := b.Delete([]byte("a")); err != nil {
			t.Fatal(err)
		}
		if err := b.Put([]byte("c"), []byte("33")); err != nil {
			t.Fatal(err)
		}
		if err := b.Put(nil, []byte("v")); !errors.Is(err, berrors.ErrKeyRequired) {
			t.Errorf("empty key: %v", err)
		}
		if err := b.Put(bytes.Repeat([]byte("k"), bolt.MaxKeySize+1), nil); !errors.Is(err, berrors.ErrKeyTooLarge) {
			t.Errorf("long key: %v", err)
		}
		if string(b.Get([]byte("d"))) != "4" || b.Get([]byte("a")) != nil || string(tx.Bucket(name).Get([]byte("c"))) != "33" {
			t.Error("the overlay does not answer its own writes")
		}
		if got := keys(btx.Bucket(name).Cursor()); got != "a=1 b= c=3 f=6" {
			t.Errorf("bbolt before the flush: %s", got)
		}
		// an iteration sees the merged records, and turns the overlay off
		if got := keys(b.Cursor()); got != "b= c=33 d=4 f=6" {
			t.Errorf("cursor through the overlay: %s", got)
		}
		c := tx.Bucket(name).Cursor()
		if k, _ := c.Seek([]byte("f")); string(k) != "f" {
			t.Fatalf("seek f: %q", k)
		}
		if err := c.Delete(); err != nil {
			t.Fatal(err)
		}
		if v := b.Get([]byte("f")); v != nil {
			t.Errorf("a key the cursor deleted reads %q", v)
		}
		if err := b.Put([]byte("e"), []byte("5")); err != nil {
			t.Fatal(err)
		}
		if got := keys(b.Cursor()); got != "b= c=33 d=4 e=5" {
			t.Errorf("after the cursor's delete and a put: %s", got)
		}
		// another overlaid bucket is still buffered
		other := tx.Bucket(bucketTasks)
		if other == nil {
			if _, err := btx.CreateBucket(bucketTasks); err != nil {
				return err
			}
			other = tx.Bucket(bucketTasks)
		}
		if err := other.Put([]byte("t2"), []byte("x")); err != nil {
			t.Fatal(err)
		}
		if err := other.Put([]byte("t1"), []byte("y")); err != nil {
			t.Fatal(err)
		}
		if v := btx.Bucket(bucketTasks).Get([]byte("t1")); v != nil {
			t.Error("a put reached bbolt before the flush")
		}
		return st.flush(tx)
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(btx *bolt.Tx) error {
		if got := keys(btx.Bucket(bucketTasks).Cursor()); got != "t1=y t2=x" {
			t.Errorf("tasks after the flush: %s", got)
		}
		tx := &txn{Tx: btx, replay: st}
		misses := st.overlay.misses // emptied at the commit: bbolt answers
		if v := tx.Bucket(bucketTasks).Get([]byte("t2")); string(v) != "x" || st.overlay.misses != misses+1 {
			t.Errorf("after the commit: %q, misses %d → %d", v, misses, st.overlay.misses)
		}
		if !tx.Bucket(name).on() {
			t.Error("the overlay stayed off after the chunk")
		}
		return st.flush(tx)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.View(func(btx *bolt.Tx) error {
		if got := keys(btx.Bucket(name).Cursor()); got != "b= c=33 d=4 e=5" {
			t.Errorf("stock after both chunks: %s", got)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// Check still finds a difference planted in any projection: a record
// changed, one missing, one too many — in every derived bucket at once.
func TestCheckFindsPlantedInEveryBucket(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gen")
	events := 2_000
	if generateUnderRace {
		events = 1_000
	}
	generated(t, dir, events, 1, 5)
	l, err := Open(dir, Options{KeepProjections: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	planted := map[string]plantedDiff{}
	err = l.db.Update(func(tx *bolt.Tx) error {
		for _, name := range derivedBuckets {
			b := tx.Bucket(name)
			var p plantedDiff
			c := b.Cursor()
			if k, v := c.First(); k != nil {
				p.changed = string(k)
				if err := b.Put(bytes.Clone(k), append(bytes.Clone(v), 'x')); err != nil {
					return err
				}
				if k, _ := c.Last(); k != nil && string(k) != p.changed {
					p.missing = string(k)
					if err := b.Delete(bytes.Clone(k)); err != nil {
						return err
					}
				}
			}
			p.extra = "\xffplanted"
			if err := b.Put([]byte(p.extra), []byte("1")); err != nil {
				return err
			}
			planted[string(name)] = p
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	mm, err := l.Check(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]map[string]bool{}
	for _, m := range mm {
		if found[m.Bucket] == nil {
			found[m.Bucket] = map[string]bool{}
		}
		found[m.Bucket][m.Key] = true
	}
	for name, p := range planted {
		for _, k := range []string{p.changed, p.missing, p.extra} {
			if k != "" && !found[name][k] {
				t.Errorf("check misses the difference planted in %s at %q", name, k)
			}
		}
	}
	if len(mm) != len(planted)+countNonEmpty(planted) {
		t.Errorf("%d differences, planted %d", len(mm), len(planted)+countNonEmpty(planted))
	}
}

// plantedDiff is what TestCheckFindsPlantedInEveryBucket changed in a
// bucket: the keys of a record changed, one deleted and one added.
type plantedDiff struct{ changed, missing, extra string }

func countNonEmpty(planted map[string]plantedDiff) int {
	n := 0
	for _, p := range planted {
		if p.changed != "" {
			n++
		}
		if p.missing != "" {
			n++
		}
	}
	return n
}
