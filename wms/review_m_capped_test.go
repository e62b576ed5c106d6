package wms

import (
	"testing"
	"time"
)

// TestRVCappedRunStrandsWaybills: when a run is capped (ordsRunMax) and the
// waybills' key order differs from the orders' key order (any real floor:
// orders are packed in any order, several carriers, several owners), a
// waybill_used entry past the waybills' cap whose order's archived_orders
// entry was moved in the same run is never movable again
// (movableWaybill needs the live archived_orders entry): it stays live for
// ever.
func TestRVCappedRunStrandsWaybills(t *testing.T) {
	l, clock := openTest(t)
	defer func(n, b int) { ordsRunMax, ordsBatch = n, b }(ordsRunMax, ordsBatch)
	ordsRunMax, ordsBatch = 5, 2
	monthSetup(t, l, 0)
	// day 5's orders are packed first (lower waybill numbers), day 1's
	// after (higher numbers); in archived_orders D001* sort before D005*
	monthDay(t, l, clock, 5, 6)
	monthDay(t, l, clock, 1, 6)
	clock.Add(31 * 24 * time.Hour)
	monthDay(t, l, clock, 40, 4) // today's work stays
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
	if n := bucketLen(t, l, bucketArchivedOrders); n != 0 {
		t.Errorf("archived_orders keeps %d", n)
	}
	if n := bucketLen(t, l, bucketWaybillUsed); n != 4 {
		t.Errorf("waybill_used keeps %d entries, want today's 4: the rest of archived orders' waybills never leave", n)
	}
	// a check's replay and a rebuild move the same waybills
	if mm, err := l.Check(t.TempDir()); err != nil || len(mm) > 0 {
		t.Fatalf("check: %v %v", mm, err)
	}
	if err := l.Rebuild(); err != nil {
		t.Fatal(err)
	}
	if n := bucketLen(t, l, bucketWaybillUsed); n != 4 {
		t.Errorf("after a rebuild waybill_used keeps %d entries, want 4", n)
	}
}
