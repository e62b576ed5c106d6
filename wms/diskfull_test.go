package wms_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tally/wms"
	"tally/wms/wmstest"
)

// TestDiskFull fills the store's disk (a real tmpfs where the test may
// mount, else the ledger's fault hook) and proves what the floor and the
// supervisor rely on: a write is refused with disk.full and changes nothing,
// reads go on, the store opens, checks and backs up without free space, and
// the first write after space returns commits with nothing to reset.
func TestDiskFull(t *testing.T) {
	t.Run("tmpfs", func(t *testing.T) { testDiskFull(t, wmstest.SmallDisk(t, 8<<20)) })
	t.Run("hook", func(t *testing.T) { testDiskFull(t, wmstest.HookDisk(t)) })
}

func testDiskFull(t *testing.T, disk *wmstest.Disk) {
	opt := disk.Options(wms.Options{Zone: time.UTC})
	l, err := wms.Open(disk.Dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { l.Close() }()
	ctx := context.Background()
	add := func(id string, delta int64) error {
		ev, err := wms.NewEvent(id, wms.EvStockAdjusted, "B1001", "test",
			wms.StockAdjustment{SKU: "MILK", Lot: "L1", Expiry: "2028-01-31", Location: "A01-01-01", Delta: delta,
				Reason: strings.Repeat("a reason long enough to fill pages quickly ", 20)})
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = l.Append(ctx, ev)
		return err
	}
	for _, ev := range []struct {
		id, typ string
		data    any
	}{
		{"sku", wms.EvSKUUpserted, wms.SKU{Code: "MILK", Name: "飞鹤星飞帆 3段 800g", GTINs: []string{"6901234567892"}, ShelfLifeDays: 720, LotTracked: true}},
		{"loc", wms.EvLocationUpserted, wms.Location{Code: "A01-01-01", Zone: "A", PickSeq: 10, Kind: "pick"}},
	} {
		e, err := wms.NewEvent(ev.id, ev.typ, "B1001", "test", ev.data)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := l.Append(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := add("first", 5); err != nil {
		t.Fatal(err)
	}
	if l.DiskFull().Full {
		t.Fatal("disk full before it was filled")
	}

	disk.Fill(t)
	// bbolt reuses the pages it freed before it needs new ones: on a real
	// disk a few writes may still commit.
	var refused string
	committed := int64(5)
	for i := 0; i < 5000 && refused == ""; i++ {
		id := fmt.Sprintf("adj-%d", i)
		before := l.LastSeq()
		switch err := add(id, 1); {
		case err == nil:
			committed++
		case wms.ErrorCode(err) == wms.CodeUnavailable:
			if e, _ := wms.AsError(err); e.Key != "disk.full" {
				t.Fatalf("refusal key %q, want disk.full", e.Key)
			}
			if l.LastSeq() != before {
				t.Fatalf("a refused write moved the log from %d to %d", before, l.LastSeq())
			}
			refused = id
		default:
			t.Fatalf("append %s on a full disk: %v (want disk.full)", id, err)
		}
	}
	if refused == "" {
		t.Fatal("5000 appends on a full disk all committed")
	}
	t.Logf("refused after %d commits on the full disk", committed-5)
	st := l.DiskFull()
	if !st.Full || st.Refused == 0 || !strings.Contains(st.Cause, "no space left on device") {
		t.Fatalf("disk state %+v, want full with its cause", st)
	}
	// every further write is refused as well, and is not counted twice
	if err := add(refused, 1); wms.ErrorCode(err) != wms.CodeUnavailable {
		t.Fatalf("a retry on the full disk: %v", err)
	}
	if _, err := l.EventByID(refused); wms.ErrorCode(err) != wms.CodeNotFound {
		t.Fatalf("the refused event is in the log: %v", err)
	}
	onHand := func() int64 {
		t.Helper()
		lines, err := l.StockAt("A01-01-01")
		if err != nil {
			t.Fatalf("read on a full disk: %v", err)
		}
		var n int64
		for _, s := range lines {
			n += s.Qty
		}
		return n
	}
	if got := onHand(); got != committed {
		t.Fatalf("on hand %d on a full disk, want %d", got, committed)
	}

	// check and backup need no free space on the store's disk, and the
	// store opens again without writing
	if mm, err := l.Check(disk.Dir); err != nil || len(mm) > 0 {
		t.Fatalf("check on a full disk: %v %v", err, mm)
	}
	out := filepath.Join(t.TempDir(), "backup.db") // another file system
	if _, seq, err := l.BackupToFile(out); err != nil || seq != l.LastSeq() {
		t.Fatalf("backup on a full disk: seq %d, %v", seq, err)
	}
	if seq, err := wms.VerifyBackup(out); err != nil || seq != l.LastSeq() {
		t.Fatalf("the backup: seq %d, %v", seq, err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if l, err = wms.Open(disk.Dir, opt); err != nil {
		t.Fatalf("open on a full disk: %v", err)
	}
	if got := onHand(); got != committed {
		t.Fatalf("on hand %d after reopening, want %d", got, committed)
	}
	if err := add(refused, 1); wms.ErrorCode(err) != wms.CodeUnavailable || !l.DiskFull().Full {
		t.Fatalf("write after reopening the full disk: %v", err)
	}

	disk.Free(t)
	if err := add(refused, 1); err != nil {
		t.Fatalf("the retry once space is back: %v", err)
	}
	if l.DiskFull().Full {
		t.Fatal("still full after a write committed")
	}
	if got := onHand(); got != committed+1 {
		t.Fatalf("on hand %d after recovery, want %d", got, committed+1)
	}
	for i := range 50 {
		if err := add(fmt.Sprintf("after-%d", i), 1); err != nil {
			t.Fatalf("append after recovery: %v", err)
		}
	}
	// bbolt's own page check and a rebuild compare: the failed commits left nothing behind
	if mm, err := l.Check(disk.Dir); err != nil || len(mm) > 0 {
		t.Fatalf("check after recovery: %v %v", err, mm)
	}
}
