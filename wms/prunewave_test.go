package wms

import (
	"testing"
	"time"
)

// TestArchiveWaveWithWaitingOrder: a wave leaves the live store with the
// orders it released, though an order it could not allocate (it waited for
// stock) is still new and live; the waiting order stays, and a rebuild
// reaches the same state (openTest's cleanup runs Check).
func TestArchiveWaveWithWaitingOrder(t *testing.T) {
	l, clock := openTest(t)
	monthSetup(t, l, 0)
	mustAppend(t, l, "sku-short", EvSKUUpserted, SKU{Code: "SHORT", Name: "缺货", GTINs: []string{demoGTIN("692000", 1)}, UnitWeightG: 100})
	waiting := order("WAIT-1", LineIn{"SHORT", 1})
	waiting.Carrier = "SF"
	mustOrder(t, l, waiting)
	monthDay(t, l, clock, 0, 6)

	var wave string
	if err := l.view(func(tx *txn) error {
		return tx.Bucket(bucketWaves).ForEach(func(k, v []byte) error {
			w, _, err := lookup[Wave](tx, bucketWaves, k)
			if err != nil {
				return err
			}
			for _, ref := range w.Waiting {
				if ref == "WAIT-1" {
					wave = string(k)
				}
			}
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	if wave == "" {
		t.Fatal("no wave left WAIT-1 waiting: the test does not test what it says")
	}

	clock.Add(31 * 24 * time.Hour)
	run, err := l.Archive(ctx, DefaultRetention(), "system", "test")
	if err != nil {
		t.Fatal(err)
	}
	if run.Orders != 6 {
		t.Fatalf("archived %d orders, want the day's 6", run.Orders)
	}
	if o, err := l.Order("WAIT-1"); err != nil || o.State != OrderNew {
		t.Fatalf("the waiting order: %+v, %v", o.State, err)
	}
	count := func() (waves, tasks int) {
		if err := l.view(func(tx *txn) error {
			waves, tasks = tx.Bucket(bucketWaves).Stats().KeyN, tx.Bucket(bucketTasks).Stats().KeyN
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return
	}
	if w, n := count(); w != 0 || n != 0 {
		t.Fatalf("%d waves and %d tasks live after every order they released left (wave %s waited on WAIT-1)", w, n, wave)
	}
	// its tasks are still read with the orders they carried
	a, err := l.Books(DefaultOwner).ArchivedOrder("D000O00000")
	if err != nil || len(a.Tasks) == 0 {
		t.Fatalf("archived order's tasks: %d, %v", len(a.Tasks), err)
	}
	if err := l.Rebuild(); err != nil {
		t.Fatal(err)
	}
	if w, n := count(); w != 0 || n != 0 {
		t.Fatalf("after a rebuild: %d waves and %d tasks live", w, n)
	}
}
