package wms

import (
	"testing"
	"time"
)

func TestFigureKeyKinds(t *testing.T) {
	at := time.Date(2026, 11, 11, 2, 30, 0, 0, time.UTC)
	for _, c := range []struct {
		key  []byte
		want figureKind
	}{
		{kpiKey("2026-11-11", "B1001"), figureDay},
		{kpiKey("2026-11-11", "token:hh/pda-7"), figureDay},
		{ownerKPIKey("2026-11-11", "B1001", "BEIBEI"), figureOwner},
		{workHourKey(at, "B1001", WorkPick, "BEIBEI"), figureHour},
		{workHourKey(at, "B1001", WorkPick, ""), figureHour},
		{workLastKey("B1001"), figureLast},
		{workLastKey("2026-11-11"), figureLast}, // a badge that looks like a day
		{[]byte("2026-11-11"), figureOther},
		{joinKey("2026-11-11T02", "B1001"), figureDay}, // not an hour's shape: four parts
	} {
		if got := figureKindOf(c.key); got != c.want {
			t.Errorf("figureKindOf(%q) = %d, want %d", c.key, got, c.want)
		}
	}
	// a day's keys sort before the same date's hours, the last activities after every date
	if string(kpiKey("2026-11-11", "ZZZ")) >= string(workHourKey(at, "A", WorkPick, "")) {
		t.Error("a day's figures sort after its hours")
	}
	if string(workLastKey("0")) <= string(workHourKey(time.Date(9999, 12, 31, 23, 0, 0, 0, time.UTC), "Z", WorkMove, "Z")) {
		t.Error("a last activity sorts before an hour")
	}
}

// People's figures share scan_kpi with their owners' parts, hours and last
// activities, and each reader takes only its own: the day's figures, one
// owner's part, the hours' work. A store of the version before (its
// figures in owner_kpi, work_hours and work_last) is rebuilt into the one
// bucket, the retired buckets dropped, and the same figures read back.
func TestFiguresShareOneBucket(t *testing.T) {
	dir := t.TempDir()
	clock := &testClock{t: time.Date(2026, 11, 11, 2, 0, 0, 0, time.UTC)}
	l, err := Open(dir, Options{Now: clock.Now, Zone: time.FixedZone("CST", 8*3600)})
	if err != nil {
		t.Fatal(err)
	}
	seedSmall(t, l)
	mustOrder(t, l, order("SO1", LineIn{"BOOK", 2}))
	if _, err := l.ReleaseWave(ctx, WaveFilter{Mode: WaveSingle, ClusterSize: 1, MaxOrders: 10}, "w1", "B4001", "web"); err != nil {
		t.Fatal(err)
	}
	task, err := l.NextTask(ctx, "B2001", "pda")
	if err != nil {
		t.Fatal(err)
	}
	line, _ := task.NextLine()
	for i := range 2 {
		clock.Add(time.Minute)
		if _, _, err := l.Pick(ctx, "p"+string(rune('0'+i)), PickScan{Task: task.ID, Line: line.N, Location: line.Location,
			Items: []ScannedItem{{GTIN: line.GTINs[0]}}, Qty: 1}, "B2001", "pda"); err != nil {
			t.Fatal(err)
		}
	}
	read := func(l *Ledger) (ScanStats, ScanStats, int64) {
		t.Helper()
		day, err := l.KPIs(l.Today())
		if err != nil {
			t.Fatal(err)
		}
		own, err := l.OwnerKPIs(l.Today(), "")
		if err != nil {
			t.Fatal(err)
		}
		if len(day) != 1 || len(own) != 1 {
			t.Fatalf("day figures %v, owner's part %v: want one person each", day, own)
		}
		f, err := l.Figures(FiguresQuery{From: clock.Now().Add(-time.Hour), To: clock.Now().Add(time.Second)})
		if err != nil {
			t.Fatal(err)
		}
		if len(f.People) != 1 {
			t.Fatalf("figures of %d people, want 1", len(f.People))
		}
		return day["B2001"], own["B2001"], f.People[0].Counts.Units
	}
	d, o, units := read(l)
	if d.Units != 2 || d.Picks != 2 || o != d || units != 2 {
		t.Fatalf("day %+v, owner's part %+v, hours' units %d; want 2 units in each", d, o, units)
	}
	// an older version's store: its figures in the retired buckets
	if err := l.update(func(tx *txn) error {
		for _, b := range retiredBuckets {
			bk, err := tx.CreateBucketIfNotExists(b)
			if err != nil {
				return err
			}
			if err := bk.Put([]byte("k"), []byte("v")); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMeta).Put(metaProjections, []byte("12"))
	}); err != nil {
		t.Fatal(err)
	}
	l.Close()
	l, err = Open(dir, Options{Now: clock.Now, Zone: time.FixedZone("CST", 8*3600)})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if from, ok := l.RebuiltFrom(); !ok || from != "12" {
		t.Errorf("RebuiltFrom = %q, %v; want 12", from, ok)
	}
	_ = l.view(func(tx *txn) error {
		for _, b := range retiredBuckets {
			if tx.Bucket(b) != nil {
				t.Errorf("bucket %s kept after the rebuild", b)
			}
		}
		return nil
	})
	if d2, o2, u2 := read(l); d2 != d || o2 != o || u2 != units {
		t.Errorf("after the rebuild: day %+v, owner's part %+v, units %d; before %+v, %+v, %d", d2, o2, u2, d, o, units)
	}
	mm, err := l.Check(dir)
	if err != nil || len(mm) != 0 {
		t.Fatalf("check: %v %v", mm, err)
	}
}
