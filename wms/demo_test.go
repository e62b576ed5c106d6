package wms

import (
	"os"
	"strings"
	"testing"
	"time"
)

// The demo's orders can all be waved and allocated in full on the day the
// demo is seeded, and taking them in twice makes no new ones.
func TestDemoOrdersAllocate(t *testing.T) {
	l, _ := openTest(t)
	if _, err := l.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := l.SweepExpired(ctx); err != nil {
		t.Fatal(err)
	}
	n, err := l.SeedDemoOrders(ctx)
	all := len(DemoOrders(l.Now().In(l.Zone())))
	if err != nil || n != all {
		t.Fatalf("demo orders: %d of %d, %v", n, all, err)
	}
	// two owners: the second uses one of the default owner's item codes and
	// order numbers, for other goods and another recipient
	if owners, _ := l.Owners(); len(owners) != 2 || owners[1] != DemoOwner {
		t.Errorf("demo owners = %+v", owners)
	}
	mine, err1 := l.SKU(DemoSharedSKU)
	theirs, err2 := l.Books(DemoOwner.Code).SKU(DemoSharedSKU)
	if err1 != nil || err2 != nil || mine.Name == theirs.Name {
		t.Errorf("the shared item code: %+v %v / %+v %v", mine, err1, theirs, err2)
	}
	shared := 0
	for _, o := range DemoOrders(l.Now().In(l.Zone())) {
		if o.Owner == DemoOwner.Code {
			if def, err := l.Order(o.No); err == nil && def.Recipient != o.Recipient {
				shared++
			}
		}
	}
	if shared == 0 {
		t.Error("no demo order number is used by both owners")
	}
	if again, err := l.SeedDemoOrders(ctx); err != nil || again != 0 {
		t.Errorf("second intake made %d (%v)", again, err)
	}
	channels := map[string]bool{}
	for _, o := range DemoOrders(l.Now().In(l.Zone())) {
		channels[o.Channel] = true
	}
	if len(channels) != len(Channels) {
		t.Errorf("demo orders from %d channels, want %d", len(channels), len(Channels))
	}
	w, err := l.ReleaseWave(ctx, WaveFilter{Mode: WaveCluster, ClusterSize: 4, MaxOrders: 50}, "demo-wave", "B4001", "web")
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Orders) != all || len(w.Waiting) != 0 || len(w.Tasks) == 0 {
		t.Errorf("wave: %d orders allocated, %d waiting, %d tasks", len(w.Orders), len(w.Waiting), len(w.Tasks))
	}
}

// The README promises the demo's lots: one formula lot already expired and
// one expiring within three weeks, the rest further off. It must hold
// whichever day the demo is seeded.
func TestDemoLotsAsTheREADMESays(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const claim = "one formula lot already expired, one expiring within three weeks"
	if !strings.Contains(strings.Join(strings.Fields(string(readme)), " "), claim) {
		t.Fatalf("the README no longer says %q: change this test with it", claim)
	}
	zone := time.FixedZone("CST", 8*3600)
	for day := time.Date(2026, 1, 1, 9, 0, 0, 0, zone); day.Year() < 2028; day = day.AddDate(0, 0, 5) {
		skus, _, stock := DemoData(day)
		formula := map[string]bool{}
		for _, s := range skus {
			formula[s.Code] = s.SerialTracked // the demo's formula cans carry serials; nothing else does
		}
		today := day.Format("2006-01-02")
		expired, soon := map[string]bool{}, map[string]bool{}
		for _, r := range stock {
			if r.Expiry == "" {
				continue
			}
			left, _ := DaysLeft(today, r.Expiry)
			switch {
			case left < 0:
				expired[r.SKU+" "+r.Lot] = formula[r.SKU]
			case left <= 21:
				soon[r.SKU+" "+r.Lot] = true
			}
		}
		if len(expired) != 1 || len(soon) != 1 {
			t.Errorf("%s: %d expired lots %v and %d expiring within three weeks %v, want one of each", today, len(expired), expired, len(soon), soon)
			continue
		}
		for lot, isFormula := range expired {
			if !isFormula {
				t.Errorf("%s: the expired lot %s is not formula", today, lot)
			}
		}
	}
}
