package wms

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// followLate replicates the primary's whole log to a standby as the
// follower does (standby/follow.go): a page refused with an
// *IDTableNeeded has the named file fetched from the primary (the route's
// OpenIDTableFile) and adopted, then the page is applied again. It
// returns the files it fetched.
func followLate(t *testing.T, primary, standby *Ledger, limit int) (fetched []string) {
	t.Helper()
	for range 64 {
		err := replicateOnce(primary, standby, limit)
		if err == nil {
			return fetched
		}
		var need *IDTableNeeded
		if !errors.As(err, &need) {
			t.Fatalf("after fetching %v: %v", fetched, err)
		}
		f, size, err := primary.OpenIDTableFile(need.Name)
		if err != nil {
			t.Fatal(err)
		}
		err = standby.AdoptIDTable(need.Name, need.Digest, f, size)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		fetched = append(fetched, need.Name)
	}
	t.Fatalf("the standby never caught up (fetched %v)", fetched)
	return fetched
}

// tableFiles is every open run table of a store, by kind.
func tableFiles(t *testing.T, l *Ledger) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, k := range []*tableKind{idsKind, lotsKind, ordsKind} {
		for _, tb := range l.tablesOfKind(k).list {
			out[k.what] = append(out[k.what], filepath.Base(tb.name))
		}
	}
	return out
}

// lateStandby starts a standby empty now, has it catch up with the
// primary and checks it ends with the primary's log, projections and
// tables, passes the check, and answers (answers, when not nil) as the
// primary does.
func lateStandby(t *testing.T, primary *Ledger, limit int, answers func(l *Ledger) map[string]string) (fetched []string) {
	t.Helper()
	standby := openStandby(t)
	fetched = followLate(t, primary, standby, limit)
	sameState(t, primary, standby)
	if a, b := tableFiles(t, primary), tableFiles(t, standby); !reflect.DeepEqual(a, b) {
		t.Fatalf("tables: primary %v, standby %v", a, b)
	}
	for _, verify := range []func(*Ledger) (int, uint64, error){(*Ledger).VerifyIDTables, (*Ledger).VerifyLotIndexes, (*Ledger).VerifyOrderTables} {
		if _, _, err := verify(standby); err != nil {
			t.Fatal(err)
		}
	}
	if mm, err := standby.Check(t.TempDir()); err != nil || len(mm) > 0 {
		t.Fatalf("check of the late standby: %v %v", mm, err)
	}
	if answers != nil {
		// a standby has no order archive files of its own (README: copy
		// those)
		if err := os.MkdirAll(standby.ArchiveDir(), 0o750); err != nil {
			t.Fatal(err)
		}
		files, _ := filepath.Glob(filepath.Join(primary.ArchiveDir(), "*.orders.jsonl.gz"))
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(standby.ArchiveDir(), filepath.Base(f)), raw, 0o640); err != nil {
				t.Fatal(err)
			}
		}
		if a, b := answers(primary), answers(standby); !reflect.DeepEqual(a, b) {
			for k, v := range a {
				if b[k] != v {
					t.Errorf("%s: %.200s, primary %.200s", k, b[k], v)
				}
			}
			t.Fatal("the late standby answers otherwise")
		}
	}
	return fetched
}

// TestLateStandbyAfterKeysOnlyRun: a standby started empty after a
// keys-only run (ids.archived and orders.tabled), and after a second,
// catches up with the primary: the primary's ID table holds IDs whose
// key record the replication read no longer sends (it left the
// primary's live keys with the run), and the standby takes the table's
// record of such an ID as its own (keyNotReplicated).
func TestLateStandbyAfterKeysOnlyRun(t *testing.T) {
	primary, clock := openTestIn(t, t.TempDir())
	nos, waybills := ordersArchivedMonth(t, primary, clock)
	answers := func(l *Ledger) map[string]string { return orderAnswersOf(t, l, nos, waybills, false) }
	if got := lateStandby(t, primary, 50, answers); len(got) != 0 {
		t.Fatalf("fetched %v before any table", got)
	}
	run, err := primary.Archive(ctx, keysOnly(10*24*time.Hour), "system", "test")
	if err != nil || run.OrderKeys == 0 || run.IDs == 0 {
		t.Fatalf("moved %d order keys, %d IDs: %v", run.OrderKeys, run.IDs, err)
	}
	if got := lateStandby(t, primary, 50, answers); len(got) == 0 {
		t.Fatal("an empty standby built the primary's ID table from entries it lacks")
	}
	clock.Add(20 * 24 * time.Hour)
	monthDay(t, primary, clock, 60, 4)
	run, err = primary.Archive(ctx, keysOnly(10*24*time.Hour), "system", "test")
	if err != nil || run.IDs == 0 {
		t.Fatalf("the second run moved %d IDs: %v", run.IDs, err)
	}
	if n := tableFiles(t, primary); len(n["ID table"]) != 2 || len(n["order table"]) == 0 {
		t.Fatalf("after two runs: %v", n)
	}
	lateStandby(t, primary, 37, answers)
}

// TestLateStandbyAfterLotRuns: a standby started empty after one and two
// runs that moved lot entries to lot indexes, and after a run that moved
// IDs too, catches up with the primary and tells the lots' stories as it
// does.
func TestLateStandbyAfterLotRuns(t *testing.T) {
	primary, clock := openTest(t)
	defer func(n, b int) { lotsRunMax, lotsBatch = n, b }(lotsRunMax, lotsBatch)
	lotsRunMax, lotsBatch = 9, 4
	lotMonths(t, primary, clock)
	clock.Add(4 * 24 * time.Hour)
	mustAppend(t, primary, "later", EvLocationUpserted, Location{Code: "Z99-01-01", Zone: "Z", PickSeq: 1, Kind: KindPick})
	stories := func(l *Ledger) map[string]string { return lotStories(t, l) }
	for i := 1; i <= 2; i++ {
		run, err := primary.Archive(ctx, eventsOnly(3*24*time.Hour), "system", "test")
		if err != nil || run.Lots == 0 {
			t.Fatalf("run %d moved %d lot entries: %v", i, run.Lots, err)
		}
		lateStandby(t, primary, 50, stories)
	}
	r := eventsOnly(3 * 24 * time.Hour)
	r.Keys, r.IDs = 24*time.Hour, 2*24*time.Hour
	run, err := primary.Archive(ctx, r, "system", "test")
	if err != nil || run.IDs == 0 {
		t.Fatalf("the run moved %d IDs: %v", run.IDs, err)
	}
	if n := tableFiles(t, primary); len(n["lot index"]) < 2 || len(n["ID table"]) == 0 {
		t.Fatalf("after three runs: %v", n)
	}
	lateStandby(t, primary, 23, stories)
}
