// Package wmstest does the floor's work on a ledger for tests in other
// packages: picking, packing and shipping the way the handhelds and the
// kiosk do, through the ledger's commands.
package wmstest

import (
	"context"
	"fmt"
	"testing"

	"tally/wms"
)

// PickAll picks every open task into totes, as picker B1001.
func PickAll(t testing.TB, l *wms.Ledger) {
	t.Helper()
	for i := 0; ; i++ {
		task, err := l.NextTask(context.Background(), "B1001", "pda")
		if wms.ErrorCode(err) == wms.CodeNotFound {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range task.Lines {
			if _, _, err := l.Pick(context.Background(), fmt.Sprintf("pk-%s-%d", task.ID, line.N), wms.PickScan{Task: task.ID, Line: line.N,
				Location: line.Location, Items: []wms.ScannedItem{{GTIN: line.GTINs[0]}}, Qty: line.Qty, Tote: fmt.Sprintf("T%05d", 900+i)}, "B1001", "pda"); err != nil {
				t.Fatalf("pick: %v", err)
			}
		}
	}
}

// PackAndShip packs every unit of a picked order of the default owner into
// the box the warehouse suggests, at its exact weight, at station PACK-01,
// and ships it.
func PackAndShip(t testing.TB, l *wms.Ledger, no string) {
	t.Helper()
	o, err := l.Books(wms.DefaultOwner).Order(no)
	if err != nil {
		t.Fatal(err)
	}
	all := make([]int, len(o.Lines))
	for i := range all {
		all[i] = i
	}
	PackSplitAndShip(t, l, no, all)
}

// PackSplitAndShip packs a picked order of the default owner in several
// parcels — each group of line indexes its own parcel, in the box the
// warehouse suggests, at the exact weight — and ships it.
func PackSplitAndShip(t testing.TB, l *wms.Ledger, no string, groups ...[]int) {
	t.Helper()
	ctx := context.Background()
	o, err := l.Books(wms.DefaultOwner).Order(no)
	if err != nil {
		t.Fatal(err)
	}
	for g, lines := range groups {
		var items []wms.PackedItem
		weight := 0
		for _, i := range lines {
			line := o.Lines[i]
			sku, err := l.SKU(line.SKU)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := l.PackScan(ctx, fmt.Sprintf("ps-%s-%d", no, i), wms.PackScan{Order: no, Station: "PACK-01", GTIN: sku.GTINs[0], Qty: line.Qty}, "B2001", "kiosk"); err != nil {
				t.Fatalf("pack %s: %v", no, err)
			}
			items = append(items, wms.PackedItem{SKU: line.SKU, Qty: line.Qty})
			weight += sku.UnitWeightG * int(line.Qty)
		}
		box, err := l.SuggestBox(items)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.CloseParcel(ctx, fmt.Sprintf("pc-%s-%d", no, g), wms.ParcelClose{Order: no, Station: "PACK-01", Box: box.Code, WeightG: weight + box.TareG}, "B2001", "kiosk"); err != nil {
			t.Fatalf("close %s: %v", no, err)
		}
	}
	if _, err := l.Ship(ctx, "", no, "PACK-01", "B2001", "kiosk"); err != nil {
		t.Fatalf("ship %s: %v", no, err)
	}
}
