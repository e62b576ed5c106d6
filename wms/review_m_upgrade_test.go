package wms

import (
	"testing"
	"time"
)

// TestUpgradeRebuildSeesOrderTables: an upgrade's rebuild (Open after a
// projections version change) applies orders.tabled with the order tables
// open, so it moves what the runs moved — here the waybills a capped run
// left for a later one, which only the tables name — and check agrees.
func TestUpgradeRebuildSeesOrderTables(t *testing.T) {
	dir := t.TempDir()
	l, clock := openTestIn(t, dir)
	defer func(n, b int) { ordsRunMax, ordsBatch = n, b }(ordsRunMax, ordsBatch)
	ordsRunMax, ordsBatch = 5, 2
	monthSetup(t, l, 0)
	monthDay(t, l, clock, 5, 6)
	monthDay(t, l, clock, 1, 6)
	clock.Add(31 * 24 * time.Hour)
	monthDay(t, l, clock, 40, 4)
	if _, err := l.Archive(ctx, keysOnly(0), "system", "test"); err != nil {
		t.Fatal(err)
	}
	for runs := 0; runs < 20; runs++ {
		run, err := l.Archive(ctx, keysOnly(10*24*time.Hour), "system", "test")
		if err != nil {
			t.Fatal(err)
		}
		if run.OrderKeys == 0 {
			break
		}
	}
	want := bucketLen(t, l, bucketWaybillUsed)
	if err := l.write(func(tx *txn) error { return tx.Bucket(bucketMeta).Put(metaProjections, []byte("14")) }); err != nil {
		t.Fatal(err)
	}
	l.Close()
	l, err := Open(dir, Options{Now: clock.Now, Zone: time.FixedZone("CST", 8*3600)})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, ok := l.RebuiltFrom(); !ok {
		t.Fatal("no upgrade's rebuild")
	}
	if n := bucketLen(t, l, bucketWaybillUsed); n != want {
		t.Errorf("after the upgrade's rebuild waybill_used holds %d entries, %d before", n, want)
	}
	if mm, err := l.Check(t.TempDir()); err != nil || len(mm) > 0 {
		t.Fatalf("check: %v %v", mm, err)
	}
}
