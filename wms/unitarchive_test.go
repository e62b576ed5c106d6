package wms

import (
	"compress/gzip"
	"context"
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

// unitsOnly is a retention that moves units of work and nothing else.
func unitsOnly(keep time.Duration) Retention {
	r := DefaultRetention()
	r.Orders, r.Figures, r.Keys = 365*24*time.Hour, 400*24*time.Hour, 365*24*time.Hour
	r.IDs, r.Events, r.Units = 0, 0, keep
	return r
}

// supervisorView is everything a supervisor can read that units of work
// feed, for one period: the figures of everyone and of each person (pauses
// judged by their units' limits), each person's units, and the
// calibration of each kind.
func supervisorView(t *testing.T, l *Ledger, from, to time.Time) string {
	t.Helper()
	out := map[string]any{}
	f, err := l.Figures(FiguresQuery{From: from, To: to})
	if err != nil {
		t.Fatal(err)
	}
	out["figures"] = f
	for _, p := range f.People {
		pf, err := l.Figures(FiguresQuery{From: from, To: to, Person: p.Actor})
		if err != nil {
			t.Fatal(err)
		}
		units, err := l.PersonUnits(p.Actor, from, to)
		if err != nil {
			t.Fatal(err)
		}
		out["person:"+p.Actor] = pf
		out["units:"+p.Actor] = units
	}
	for _, k := range WorkKinds {
		c, err := l.Calibrate(from, to, k)
		if err != nil {
			out["calibration:"+string(k)] = err.Error()
			continue
		}
		out["calibration:"+string(k)] = c
	}
	raw, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// workDays is monthSetup and days days of monthDay's work, perDay orders
// a day, each day followed by a pauseDay when pauses is set.
func workDays(t *testing.T, l *Ledger, clock *testClock, days, perDay int, pauses bool) {
	t.Helper()
	monthSetup(t, l, 0)
	for d := range days {
		monthDay(t, l, clock, d, perDay)
		if pauses {
			pauseDay(t, l, clock, 100+d)
		}
	}
}

// pauseDay is orders picked with pauses of many lengths between the lines
// of a task: some of them work or a gap by the task's own standard (its
// features), not by one task's base alone.
func pauseDay(t *testing.T, l *Ledger, clock *testClock, day int) {
	t.Helper()
	for i := range 3 {
		mustOrder(t, l, order(fmt.Sprintf("P%03dO%d", day, i), LineIn{fmt.Sprintf("M%03d", i), 1}, LineIn{fmt.Sprintf("M%03d", i+5), 2},
			LineIn{fmt.Sprintf("M%03d", i+11), 1}, LineIn{fmt.Sprintf("M%03d", i+17), 3}))
	}
	if _, err := l.ReleaseWave(ctx, WaveFilter{Mode: WaveSingle, MaxOrders: 10}, fmt.Sprintf("pw%d", day), "B4001", "web"); err != nil {
		t.Fatal(err)
	}
	// MinGap is 5 minutes; a task of these lines has a limit above it
	pauses := []time.Duration{30 * time.Second, 5*time.Minute + 20*time.Second, 40 * time.Second, 7 * time.Minute}
	n := 0
	for {
		task, err := l.NextTask(ctx, "B1001", "pda")
		if ErrorCode(err) == CodeNotFound {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range task.Lines {
			clock.Add(pauses[n%len(pauses)])
			n++
			if _, _, err := l.Pick(ctx, fmt.Sprintf("pp-%d-%s-%d", day, task.ID, line.N), PickScan{Task: task.ID, Line: line.N,
				Location: line.Location, Items: []ScannedItem{{GTIN: line.GTINs[0]}}, Qty: line.Qty, Tote: "PT" + task.ID}, "B1001", "pda"); err != nil {
				t.Fatalf("pick: %v", err)
			}
		}
	}
}

func workUnitCount(t *testing.T, l *Ledger) int {
	t.Helper()
	n := 0
	_ = l.view(func(tx *txn) error { n = tx.Bucket(bucketWorkUnits).Stats().KeyN; return nil })
	return n
}

// TestUnitsArchiveKeepsFigures: units of work past --keep-work-units leave
// work_units for the month's units file; what a supervisor sees for the
// old days, for the whole range and for today (figures, a person's units,
// calibrations) is the same before the move, after it and after a
// rebuild, and the check still proves the projections; a standby writes
// its own file and shows the same.
func TestUnitsArchiveKeepsFigures(t *testing.T) {
	l, clock := openTestIn(t, t.TempDir())
	defer func(n int) { unitsBatch = n }(unitsBatch)
	unitsBatch = 3 // several members a person
	standby, _ := openTestIn(t, t.TempDir())
	if err := standby.Follow("http://primary:8080"); err != nil {
		t.Fatal(err)
	}
	start := clock.Now()
	workDays(t, l, clock, 4, 4, true)
	clock.Add(3 * 24 * time.Hour)
	monthDay(t, l, clock, 7, 3) // today's work stays
	old := start.Add(48 * time.Hour)
	periods := [][2]time.Time{{start, old}, {start, clock.Now().Add(time.Hour)}, {old, clock.Now().Add(time.Hour)}}
	var before []string
	for _, p := range periods {
		before = append(before, supervisorView(t, l, p[0], p[1]))
	}
	liveBefore := workUnitCount(t, l)

	run, err := l.Archive(ctx, unitsOnly(2*24*time.Hour), "system", "test")
	if err != nil {
		t.Fatal(err)
	}
	if run.Units == 0 || workUnitCount(t, l) != liveBefore-run.Units {
		t.Fatalf("moved %d units of %d; %d live after", run.Units, liveBefore, workUnitCount(t, l))
	}
	if fi, err := os.Stat(filepath.Join(l.ArchiveDir(), "2026-11.units.gz")); err != nil || fi.Size() == 0 {
		t.Fatalf("units file: %v", err)
	}
	for i, p := range periods {
		if got := supervisorView(t, l, p[0], p[1]); got != before[i] {
			t.Fatalf("period %d: what a supervisor sees changed after archiving\nbefore %s\nafter  %s", i, before[i], got)
		}
	}
	projBefore := projections(t, l)
	if err := l.Rebuild(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(projections(t, l), projBefore) {
		t.Fatal("a rebuild after moving units gives other projections")
	}
	for i, p := range periods {
		if got := supervisorView(t, l, p[0], p[1]); got != before[i] {
			t.Fatalf("period %d: what a supervisor sees changed after a rebuild", i)
		}
	}
	if mm, err := l.Check(t.TempDir()); err != nil || len(mm) > 0 {
		t.Fatalf("check: %v %v", mm, err)
	}
	// a second run moves nothing more
	if run2, err := l.Archive(ctx, unitsOnly(2*24*time.Hour), "system", "test"); err != nil || run2.Units != 0 {
		t.Fatalf("second run moved %d: %v", run2.Units, err)
	}

	replicateAll(t, l, standby, 41)
	sameState(t, l, standby)
	for i, p := range periods {
		if got := supervisorView(t, standby, p[0], p[1]); got != before[i] {
			t.Fatalf("period %d: the standby shows other figures", i)
		}
	}
}

// TestUnitsArchiveCrashAndDamage: a member written whose event never
// committed stays unreferenced and the next run writes after it; a member
// that does not match its SHA-256 is an error naming the file.
func TestUnitsArchiveCrashAndDamage(t *testing.T) {
	l, clock := openTestIn(t, t.TempDir())
	start := clock.Now()
	workDays(t, l, clock, 3, 3, false)
	clock.Add(3 * 24 * time.Hour)
	to := clock.Now()
	before := supervisorView(t, l, start, to)
	// the process died after writing a member, before its event
	torn, err := gzipLevel([]byte(`{"actor":"x"}`+"\n"), gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := writeArchiveBytes(l.ArchiveDir(), "2026-11.units.gz", 0, torn); err != nil {
		t.Fatal(err)
	}
	run, err := l.Archive(ctx, unitsOnly(2*24*time.Hour), "system", "test")
	if err != nil || run.Units == 0 {
		t.Fatalf("the run after the crash moved %d: %v", run.Units, err)
	}
	if got := supervisorView(t, l, start, to); got != before {
		t.Fatal("figures differ after the redone run")
	}
	path := filepath.Join(l.ArchiveDir(), "2026-11.units.gz")
	whole, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(whole[:len(torn)], torn) {
		t.Fatal("the torn member was overwritten: the file is only appended to")
	}
	bad := append([]byte(nil), whole...)
	for i := len(torn) + 20; i < len(bad); i += 97 {
		bad[i] ^= 0x55
	}
	if err := os.WriteFile(path, bad, 0o640); err != nil {
		t.Fatal(err)
	}
	f, err := l.Figures(FiguresQuery{From: start, To: to})
	if err != nil {
		t.Fatal(err)
	}
	var ue *UnitsFileError
	for _, p := range f.People {
		if _, err := l.PersonUnits(p.Actor, start, to); !errors.As(err, &ue) || ue.File != "2026-11.units.gz" {
			t.Fatalf("units of %s from a damaged file: %v", p.Actor, err)
		}
	}
	if _, err := l.Calibrate(start, to, WorkPick); !errors.As(err, &ue) {
		t.Fatalf("calibration from a damaged file: %v", err)
	}
	if _, _, err := l.VerifyUnitFiles(); !errors.As(err, &ue) || ue.File != "2026-11.units.gz" {
		t.Fatalf("verify of a damaged units file: %v", err)
	}
}

// archivedBackup is lotMonths' store five days on (with one event of that
// day), archived by r and backed up: the store's folder (closed), the
// backup and what the archive run moved.
func archivedBackup(t *testing.T, r Retention) (dir, backup string, run ArchiveRun) {
	t.Helper()
	dir = t.TempDir()
	src, clock := openTestIn(t, dir)
	lotMonths(t, src, clock)
	clock.Add(5 * 24 * time.Hour)
	mustAppend(t, src, "later", EvLocationUpserted, Location{Code: "Z99-01-01", Zone: "Z", PickSeq: 1, Kind: KindPick})
	run, err := src.Archive(ctx, r, "system", "test")
	if err != nil {
		t.Fatal(err)
	}
	backup = filepath.Join(t.TempDir(), "b.db")
	if _, _, err := src.BackupToFile(backup); err != nil {
		t.Fatal(err)
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, backup, run
}

// TestRestoreChecksLotAndUnitFiles: a restore proves the lot indexes and
// units files the backup names are in the archive folder, whole, and
// refuses it naming the file otherwise.
func TestRestoreChecksLotAndUnitFiles(t *testing.T) {
	r := eventsOnly(3 * 24 * time.Hour)
	r.Units = 2 * 24 * time.Hour
	dir, backup, run := archivedBackup(t, r)
	if run.Units == 0 || run.Lots == 0 {
		t.Fatalf("moved %d units, %d lot entries", run.Units, run.Lots)
	}
	if _, err := Restore(dir, backup, Options{}); err != nil {
		t.Fatal(err)
	}
	units := filepath.Join(dir, archiveDirName, "2026-11.units.gz")
	whole, err := os.ReadFile(units)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(units, whole[:len(whole)/2], 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := Restore(dir, backup, Options{}); err == nil || !strings.Contains(err.Error(), "2026-11.units.gz") {
		t.Fatalf("restore with a cut units file: %v", err)
	}
}

// TestRestoreChecksIDTables: a restore reads every ID table the backup
// names whole, so a damaged block is refused then, not at the first
// retry that reaches it.
func TestRestoreChecksIDTables(t *testing.T) {
	r := eventsOnly(3 * 24 * time.Hour)
	r.Keys, r.IDs = 24*time.Hour, 2*24*time.Hour
	dir, backup, run := archivedBackup(t, r)
	if run.IDs == 0 {
		t.Fatal("moved no IDs")
	}
	tables, _ := filepath.Glob(filepath.Join(dir, archiveDirName, "*.ids"))
	if len(tables) == 0 {
		t.Fatal("no ID table written")
	}
	whole, err := os.ReadFile(tables[0])
	if err != nil {
		t.Fatal(err)
	}
	bad := append([]byte(nil), whole...)
	bad[idBlockSize+3] ^= 0xff // the first block's first record
	if err := os.WriteFile(tables[0], bad, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := Restore(dir, backup, Options{}); err == nil || !strings.Contains(err.Error(), filepath.Base(tables[0])) {
		t.Fatalf("restore with a damaged ID table: %v", err)
	}
	if err := os.WriteFile(tables[0], whole, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := Restore(dir, backup, Options{}); err != nil {
		t.Fatalf("restore with the table whole: %v", err)
	}
}

// TestUpgradeCarriesLotAndUnitFiles: `tally upgrade` (a new store
// following the old one's log) builds its own lot index and units file
// and shows the same lot stories and figures.
func TestUpgradeCarriesLotAndUnitFiles(t *testing.T) {
	oldDir := t.TempDir()
	old, clock := openTestIn(t, oldDir)
	start := clock.Now()
	lotMonths(t, old, clock)
	pauseDay(t, old, clock, 200)
	clock.Add(5 * 24 * time.Hour)
	mustAppend(t, old, "later", EvLocationUpserted, Location{Code: "Z99-01-01", Zone: "Z", PickSeq: 1, Kind: KindPick})
	r := eventsOnly(3 * 24 * time.Hour)
	r.Units = 2 * 24 * time.Hour
	if run, err := old.Archive(ctx, r, "system", "test"); err != nil || run.Units == 0 || run.Lots == 0 {
		t.Fatalf("moved %d units, %d lot entries: %v", run.Units, run.Lots, err)
	}
	stories, view := lotStories(t, old), supervisorView(t, old, start, clock.Now())
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	l, _ := openTestIn(t, t.TempDir())
	if _, err := l.CatchUpFrom(ctx, oldDir); err != nil {
		t.Fatal(err)
	}
	if got := lotStories(t, l); !reflect.DeepEqual(got, stories) {
		t.Fatal("the new store's lot stories differ")
	}
	if got := supervisorView(t, l, start, clock.Now()); got != view {
		t.Fatal("the new store's figures differ")
	}
	if len(lotFiles(t, l)) != 1 {
		t.Fatalf("the new store's lot indexes: %v", lotFiles(t, l))
	}
}

// TestUnitsRebuildWithUnitAbsent: a rebuild whose projections derive no
// record for a unit a units.archived event names (a later projections
// version that makes units of work otherwise) completes, and reaches the
// writer's state: the event deletes what is there and asks nothing of the
// rest (the writer alone checked the units it moved).
func TestUnitsRebuildWithUnitAbsent(t *testing.T) {
	l, clock := openTestIn(t, t.TempDir())
	defer func(n int) { unitsBatch = n }(unitsBatch)
	unitsBatch = 3
	start := clock.Now()
	workDays(t, l, clock, 3, 3, true)
	clock.Add(3 * 24 * time.Hour)
	to := clock.Now()
	if run, err := l.Archive(ctx, unitsOnly(2*24*time.Hour), "system", "test"); err != nil || run.Units == 0 {
		t.Fatalf("archive moved %d: %v", run.Units, err)
	}
	writer := projections(t, l)
	view := supervisorView(t, l, start, to)

	spec := specs[EvUnitsArchived]
	defer func(apply applier) { spec.apply = apply }(spec.apply)
	orig := spec.apply
	absent := 0
	spec.apply = func(tx *txn, ev *Event) error {
		var p UnitsArchived
		if err := decode(ev, &p); err != nil {
			return err
		}
		b := tx.Bucket(bucketWorkUnits)
		for i, r := range p.Units {
			if k := workUnitKey(p.Actor, r.Kind, r.Unit); i%2 == 0 && b.Get(k) != nil {
				if err := b.Delete(k); err != nil { // this version derived no such unit
					return err
				}
				absent++
			}
		}
		return orig(tx, ev)
	}
	if err := l.Rebuild(); err != nil {
		t.Fatalf("a rebuild with units absent: %v", err)
	}
	if absent == 0 {
		t.Fatal("the rebuild had every unit: the test proves nothing")
	}
	if !reflect.DeepEqual(projections(t, l), writer) {
		t.Fatal("a rebuild with units absent gives other projections than the writer's")
	}
	if got := supervisorView(t, l, start, to); got != view {
		t.Fatal("a rebuild with units absent shows other figures")
	}
	if mm, err := l.Check(t.TempDir()); err != nil || len(mm) > 0 {
		t.Fatalf("check: %v %v", mm, err)
	}
}

// TestUnitReaderCacheBounded: a request that reads many members (every
// person's units, the figures of a month) keeps at most unitCacheMembers
// members and unitCacheBytes bytes of them, and what it answers is what
// the live store answered before the move.
func TestUnitReaderCacheBounded(t *testing.T) {
	l, clock := openTestIn(t, t.TempDir())
	defer func(n, m, b int) { unitsBatch, unitCacheMembers, unitCacheBytes = n, m, b }(unitsBatch, unitCacheMembers, unitCacheBytes)
	unitsBatch = 2 // many small members
	start := clock.Now()
	workDays(t, l, clock, 3, 3, true)
	clock.Add(3 * 24 * time.Hour)
	to := clock.Now()
	before := supervisorView(t, l, start, to)
	if run, err := l.Archive(ctx, unitsOnly(2*24*time.Hour), "system", "test"); err != nil || run.Units == 0 {
		t.Fatalf("archive moved %d: %v", run.Units, err)
	}
	// each member's JSON bytes
	var sizes []int
	if err := l.view(func(tx *txn) error {
		return tx.Bucket(bucketUnitMembers).ForEach(func(_, v []byte) error {
			var m unitMember
			if err := json.Unmarshal(v, &m); err != nil {
				return err
			}
			r := newUnitReader(tx)
			if _, err := r.member(m); err != nil {
				return err
			}
			sizes = append(sizes, r.bytes)
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	if len(sizes) < 8 {
		t.Fatalf("%d members: too few to fill the cache", len(sizes))
	}
	largest, total := 0, 0
	for _, s := range sizes {
		largest, total = max(largest, s), total+s
	}
	for _, c := range []struct{ members, bytes int }{{3, 1 << 30}, {1 << 10, 2*largest + 1}} {
		unitCacheMembers, unitCacheBytes = c.members, c.bytes
		if c.bytes >= total && c.members >= len(sizes) {
			t.Fatalf("bounds %+v hold every member (%d, %d bytes)", c, len(sizes), total)
		}
		read := 0
		if err := l.view(func(tx *txn) error {
			r := newUnitReader(tx)
			for pass := range 2 { // the second pass reads members that left the cache
				err := tx.Bucket(bucketUnitMembers).ForEach(func(_, v []byte) error {
					var m unitMember
					if err := json.Unmarshal(v, &m); err != nil {
						return err
					}
					units, err := r.member(m)
					if err != nil {
						return err
					}
					if len(units) != m.Count {
						return fmt.Errorf("pass %d: member %s gave %d units of %d", pass, m.Digest[:8], len(units), m.Count)
					}
					read++
					sum := 0
					for _, k := range r.cache {
						sum += k.bytes
					}
					if len(r.cache) > unitCacheMembers || r.bytes > unitCacheBytes || sum != r.bytes {
						return fmt.Errorf("cache holds %d members, %d bytes (counted %d): bounds %d, %d", len(r.cache), r.bytes, sum, unitCacheMembers, unitCacheBytes)
					}
					return nil
				})
				if err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if read != 2*len(sizes) {
			t.Fatalf("read %d members of %d", read, 2*len(sizes))
		}
		if got := supervisorView(t, l, start, to); got != before {
			t.Fatalf("bounds %+v: what a supervisor sees changed\nbefore %s\nafter  %s", c, before, got)
		}
	}
}

// BenchmarkFiguresArchivedUnits reads a month's figures of 50 people whose
// units of work all left for the units file (scanMonth's store of
// TALLY_UNITS_BENCH_EVENTS events, 200,000 by default: each pause judged
// by its archived unit), with the
// reader's cache at its bounds and unbounded (what it was), in one run:
// compare their cpu-ms/op, and kept-MB (the JSON the cache held at most)
// against archived-MB (every member's).
//
//	go test ./wms -run XXX -bench FiguresArchivedUnits -benchtime 5x
func BenchmarkFiguresArchivedUnits(b *testing.B) {
	l, clock, start := scanMonth(b, envInt("TALLY_UNITS_BENCH_EVENTS", 200_000))
	defer l.Close()
	last := start.Add(scanDays * 24 * time.Hour)
	clock.t = last.Add(48 * time.Hour)
	if run, err := l.Archive(context.Background(), unitsOnly(24*time.Hour), "system", "bench"); err != nil || run.Units == 0 {
		b.Fatalf("archive moved %d: %v", run.Units, err)
	}
	archived := 0
	_ = l.view(func(tx *txn) error {
		return tx.Bucket(bucketUnitMembers).ForEach(func(_, v []byte) error {
			var m unitMember
			if err := json.Unmarshal(v, &m); err != nil {
				return err
			}
			r := newUnitReader(tx)
			_, err := r.member(m)
			archived += r.bytes
			return err
		})
	})
	month := FiguresQuery{From: start, To: last}
	figures := func() string {
		f, err := l.Figures(month)
		if err != nil {
			b.Fatal(err)
		}
		// what a pause's unit decides: which pauses are gaps, and the work
		// (to the millisecond: sums over maps differ in the last digit)
		type person struct {
			Gaps           []GapFigure
			DirectMS, GapS int64
		}
		var ps []person
		for _, p := range f.People {
			ps = append(ps, person{p.Gaps, int64(p.DirectS*1000 + 0.5), int64(p.GapS*1000 + 0.5)})
		}
		raw, err := json.Marshal(ps)
		if err != nil {
			b.Fatal(err)
		}
		return string(raw)
	}
	want := figures()
	if !strings.Contains(want, `"kind":"pick"`) {
		b.Fatal("no pause judged by an archived unit: the benchmark reads no member")
	}
	defer func(m, by int) { unitCacheMembers, unitCacheBytes = m, by }(unitCacheMembers, unitCacheBytes)
	for _, c := range []struct {
		name      string
		members   int
		bytes     int
		unbounded bool
	}{{"bounded", unitCacheMembers, unitCacheBytes, false}, {"unbounded", 1 << 30, 1 << 50, true}} {
		b.Run(c.name, func(b *testing.B) {
			unitCacheMembers, unitCacheBytes = c.members, c.bytes
			cpu := cpuTime()
			for b.Loop() {
				if got := figures(); got != want {
					i := 0
					for i < len(got) && i < len(want) && got[i] == want[i] {
						i++
					}
					b.Fatalf("other figures at %d:\n%s\n%s", i, want[max(0, i-300):min(len(want), i+200)], got[max(0, i-300):min(len(got), i+200)])
				}
			}
			b.ReportMetric(float64((cpuTime()-cpu).Milliseconds())/float64(b.N), "cpu-ms/op")
			kept := 0 // the most the cache held while one reader read every member
			_ = l.view(func(tx *txn) error {
				r := newUnitReader(tx)
				return r.each("", start, last, func(WorkUnit) { kept = max(kept, r.bytes) })
			})
			b.ReportMetric(float64(kept)/1e6, "kept-MB")
			b.ReportMetric(float64(archived)/1e6, "archived-MB")
		})
	}
}
