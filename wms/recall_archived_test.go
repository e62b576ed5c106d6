package wms

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

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
	if lotLiveSKU(t, l, "MILK", lot) {
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
	t.Logf("run: orders %d lots %d %v live=%v", run.Orders, run.IdleLots, err, lotLiveSKU(t, l, "MILK", lot))
	rep, err := l.Recall(ctx, "rc1", LotStatusChange{SKU: "MILK", Lot: lot, Reason: "supplier recall"}, "B9001", "web")
	got, _, _ := l.Books(DefaultOwner).Lot("MILK", lot)
	t.Logf("recall: %v; lot now %s", err, got.Status)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != LotHold {
		t.Errorf("lot after recall: %+v", got)
	}
	if len(rep.Orders) != 1 || rep.Orders[0].Order != "SO1" || !rep.Orders[0].Archived || rep.Orders[0].Qty != o.Lines[0].Allocs[0].Picked || len(rep.Orders[0].Waybills) != 1 {
		t.Errorf("recall report names %+v, want archived SO1 with its waybill", rep.Orders)
	}
}

// Where this copy of the store lacks the archive file of an order that took
// the lot (a standby without the files), the recall still holds the lot and
// its report names the order with the reason; a retry answers that first
// report; with the file back the report reads the order again; and a
// rebuild of the log equals the live projections (the recall's apply reads
// no archive file).
func TestRecallArchiveFileMissing(t *testing.T) {
	l := shippedFixture(t)
	clock := &testClock{t: l.Now()}
	l.now = clock.Now
	o, _ := l.Order("SO1")
	lot := o.Lines[0].Allocs[0].Lot
	clock.Add(31 * 24 * time.Hour)
	if run, err := l.Archive(ctx, DefaultRetention(), "system", "test"); err != nil || run.Orders == 0 {
		t.Fatalf("archive: %+v %v", run, err)
	}
	files, _ := filepath.Glob(filepath.Join(l.ArchiveDir(), "*.orders.jsonl.gz"))
	if len(files) != 1 {
		t.Fatalf("order files %v", files)
	}
	aside := filepath.Join(t.TempDir(), "aside.gz")
	if err := os.Rename(files[0], aside); err != nil {
		t.Fatal(err)
	}
	req := LotStatusChange{SKU: "MILK", Lot: lot, Reason: "supplier recall"}
	rep, err := l.Recall(ctx, "rc1", req, "B9001", "web")
	if err != nil {
		t.Fatalf("recall without the archive file: %v", err)
	}
	if got, _, _ := l.Books(DefaultOwner).Lot("MILK", lot); got.Status != LotHold {
		t.Errorf("lot after recall: %+v", got)
	}
	if len(rep.Orders) != 1 || rep.Orders[0].Order != "SO1" || !rep.Orders[0].Archived || rep.Orders[0].Unread == nil ||
		rep.Orders[0].Unread.Key != "archive.file_missing" || rep.Orders[0].Unread.Args["file"] != filepath.Base(files[0]) {
		t.Fatalf("report without the file: %+v", rep.Orders)
	}
	again, err := l.Recall(ctx, "rc1", req, "B9001", "web")
	if err != nil || !reflect.DeepEqual(again.Orders, rep.Orders) {
		t.Errorf("retry answered %+v %v, want the first report's orders %+v", again.Orders, err, rep.Orders)
	}
	if err := os.Rename(aside, files[0]); err != nil {
		t.Fatal(err)
	}
	now, err := l.RecallReport("MILK", lot)
	if err != nil {
		t.Fatal(err)
	}
	if len(now.Orders) != 1 || now.Orders[0].Unread != nil || now.Orders[0].Qty != o.Lines[0].Allocs[0].Picked || len(now.Orders[0].Waybills) != 1 || now.Recalled == nil {
		t.Errorf("report with the file back: %+v %+v", now.Orders, now.Recalled)
	}
	if mm, err := l.Check(t.TempDir()); err != nil || len(mm) > 0 {
		t.Fatalf("check after the recall: %v %v", mm, err)
	}
}
