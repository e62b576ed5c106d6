package wms

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// A simulated month: the floor's work day after day on a ledger with an
// injected clock, for the bytes-per-event figures and the archiving tests.

const monthSKUs = 40

// monthSetup gives the ledger the demo's boxes, station and waybills, and
// monthSKUs items with plenty of stock. waybills is how many numbers each
// carrier account gets beyond the demo's.
func monthSetup(t testing.TB, l *Ledger, waybills int) {
	t.Helper()
	if _, err := l.SeedDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	for i := range monthSKUs {
		code := fmt.Sprintf("M%03d", i)
		loc := fmt.Sprintf("C01-%02d-%02d", 1+i/3, 1+i%3)
		mustAppend(t, l, "sku"+code, EvSKUUpserted, SKU{Code: code, Name: "书 " + code, GTINs: []string{demoGTIN("691000", i)}, UnitWeightG: 300})
		mustAppend(t, l, "loc"+loc, EvLocationUpserted, Location{Code: loc, Zone: "C", PickSeq: 10 * (i + 1), Kind: KindPick})
		mustAppend(t, l, "st"+code, EvStockAdjusted, StockAdjustment{SKU: code, Location: loc, Delta: 10_000_000, Reason: "month"})
	}
	if waybills > 0 {
		var loads []WaybillLoad
		for _, acc := range []struct{ name, prefix string }{{"SF", "SF2"}, {"JD", "JDVB"}, {"YT", "YT5"}} {
			w := WaybillLoad{Account: acc.name}
			for i := range waybills {
				w.Numbers = append(w.Numbers, fmt.Sprintf("%s%012d", acc.prefix, i))
			}
			loads = append(loads, w)
		}
		mustAppend(t, l, "month:waybills", EvImported, Import{Kind: ImportWaybills, File: "month", Waybills: loads})
	}
}

// monthDay is one day of work: perDay orders of three lines come in in the
// morning, are waved in clusters of four, picked, packed and shipped
// through the day; a picker and a packer log in. The clock ends the day at
// the next morning.
func monthDay(t testing.TB, l *Ledger, clock *testClock, day, perDay int) {
	t.Helper()
	c := context.Background()
	start := clock.Now()
	var nos []string
	for i := range perDay {
		no := fmt.Sprintf("D%03dO%05d", day, i)
		nos = append(nos, no)
		in := order(no, LineIn{fmt.Sprintf("M%03d", i%monthSKUs), 1}, LineIn{fmt.Sprintf("M%03d", (i+7)%monthSKUs), 2},
			LineIn{fmt.Sprintf("M%03d", (i+19)%monthSKUs), 1})
		in.Carrier = "SF"
		mustOrder(t, l, in)
	}
	clock.Add(time.Hour)
	for w := 0; ; w++ {
		if _, err := l.ReleaseWave(c, WaveFilter{Mode: WaveCluster, ClusterSize: 4, MaxOrders: 200}, fmt.Sprintf("d%dw%d", day, w), "B4001", "web"); err != nil {
			break
		}
	}
	totes := map[string]string{}
	for {
		task, err := l.NextTask(c, "B1001", "pda")
		if ErrorCode(err) == CodeNotFound {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range task.Lines {
			if totes[line.Order] == "" {
				totes[line.Order] = fmt.Sprintf("T%03d%05d", day%1000, len(totes))
			}
			clock.Add(20 * time.Second)
			if _, _, err := l.Pick(c, fmt.Sprintf("pk-%d-%s-%d", day, task.ID, line.N), PickScan{Task: task.ID, Line: line.N,
				Location: line.Location, Items: []ScannedItem{{GTIN: line.GTINs[0]}}, Qty: line.Qty, Tote: totes[line.Order]}, "B1001", "pda"); err != nil {
				t.Fatalf("pick: %v", err)
			}
		}
	}
	for _, no := range nos {
		o, err := l.Order(no)
		if err != nil {
			t.Fatal(err)
		}
		var items []PackedItem
		weight := 0
		for i, line := range o.Lines {
			sku, err := l.SKU(line.SKU)
			if err != nil {
				t.Fatal(err)
			}
			clock.Add(5 * time.Second)
			if _, err := l.PackScan(c, fmt.Sprintf("ps-%s-%d", no, i), PackScan{Order: no, Station: "PACK-01", GTIN: sku.GTINs[0], Qty: line.Qty}, "B2001", "kiosk"); err != nil {
				t.Fatalf("pack %s: %v", no, err)
			}
			items = append(items, PackedItem{SKU: line.SKU, Qty: line.Qty})
			weight += sku.UnitWeightG * int(line.Qty)
		}
		box, err := l.SuggestBox(items)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.CloseParcel(c, "pc-"+no, ParcelClose{Order: no, Station: "PACK-01", Box: box.Code, WeightG: weight + box.TareG}, "B2001", "kiosk"); err != nil {
			t.Fatalf("close %s: %v", no, err)
		}
		if _, err := l.Ship(c, "", no, "PACK-01", "B2001", "kiosk"); err != nil {
			t.Fatalf("ship %s: %v", no, err)
		}
	}
	clock.Add(start.Add(24 * time.Hour).Sub(clock.Now()))
}

// TestMonthSmoke runs a few days of the simulated month and checks the
// store (openTest's cleanup runs Check).
func TestMonthSmoke(t *testing.T) {
	l, clock := openTest(t)
	monthSetup(t, l, 0)
	for d := range 2 {
		monthDay(t, l, clock, d, 8)
	}
	shipped := mustOrdersIn(t, l, OrderShipped)
	if len(shipped) != 16 {
		t.Fatalf("%d orders shipped, want 16", len(shipped))
	}
	s, err := l.Size()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d events, live %.0f B/event, file %.0f B/event", s.Events, s.LivePerEvent(), s.FilePerEvent())
}
