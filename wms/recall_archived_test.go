package wms

import (
	"fmt"
	"testing"
	"time"
)

// recallLotLive says whether the default owner's lot is in the live lots.
func recallLotLive(t *testing.T, l *Ledger, sku, lot string) bool {
	t.Helper()
	var live bool
	_ = l.view(func(tx *txn) error {
		live = tx.Bucket(bucketLots).Get(lotKey(DefaultOwner, sku, lot)) != nil
		return nil
	})
	return live
}

func TestRecallAfterLotAndOrderLeft(t *testing.T) {
	l := shippedFixture(t)
	clock := &testClock{t: l.Now()}
	l.now = clock.Now
	o, _ := l.Order("SO1")
	lot := o.Lines[0].Allocs[0].Lot
	rows, _ := l.StockRows(DefaultOwner)
	for i, r := range rows {
		if r.SKU == "MILK" && r.Lot == lot {
			mustAppend(t, l, fmt.Sprintf("zero%d", i), EvStockAdjusted, StockAdjustment{SKU: "MILK", Lot: lot, Location: r.Location, Delta: -r.Qty, Reason: "damaged"})
		}
	}
	clock.Add(31 * 24 * time.Hour)
	run, err := l.Archive(ctx, DefaultRetention(), "system", "test")
	t.Logf("run: orders %d lots %d %v", run.Orders, run.IdleLots, err)
	if recallLotLive(t, l, "MILK", lot) {
		t.Fatal("lot still live")
	}
	before, err := l.RecallReport("MILK", lot)
	t.Logf("report before: %+v %v", before, err)
	rep, err := l.Recall(ctx, "rc1", LotStatusChange{SKU: "MILK", Lot: lot, Reason: "supplier recall"}, "B9001", "web")
	if err != nil {
		t.Fatalf("recall of the archived lot: %v", err)
	}
	t.Logf("report: %+v", rep)
	if len(rep.Orders) != 1 || rep.Orders[0].Order != "SO1" || len(rep.Orders[0].Waybills) != 1 {
		t.Errorf("recall report names %+v, want SO1 with its waybill", rep.Orders)
	}
	if got, _, _ := l.Books(DefaultOwner).Lot("MILK", lot); got.Status != LotHold {
		t.Errorf("lot after recall: %+v", got)
	}
}
func TestRecallOrderArchivedLotLive(t *testing.T) {
	l := shippedFixture(t)
	clock := &testClock{t: l.Now()}
	l.now = clock.Now
	o, _ := l.Order("SO1")
	lot := o.Lines[0].Allocs[0].Lot
	clock.Add(31 * 24 * time.Hour)
	run, err := l.Archive(ctx, DefaultRetention(), "system", "test")
	t.Logf("run: orders %d lots %d %v live=%v", run.Orders, run.IdleLots, err, recallLotLive(t, l, "MILK", lot))
	_, err = l.Recall(ctx, "rc1", LotStatusChange{SKU: "MILK", Lot: lot, Reason: "supplier recall"}, "B9001", "web")
	got, _, _ := l.Books(DefaultOwner).Lot("MILK", lot)
	t.Logf("recall: %v; lot now %s", err, got.Status)
	if err != nil {
		t.Fatal(err)
	}
}
