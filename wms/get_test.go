package wms

import (
	"errors"
	"testing"
)

// A record that must exist and does not decode is a damaged store, an
// internal error: never "not found". Only an absent key is not_found.
func TestDamagedRecordIsNotNotFound(t *testing.T) {
	l, _ := openTest(t)
	if _, err := l.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := l.SweepExpired(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := l.SeedDemoOrders(ctx); err != nil {
		t.Fatal(err)
	}
	w, err := l.ReleaseWave(ctx, WaveFilter{Mode: WaveCluster, ClusterSize: 4, MaxOrders: 50}, "damage-wave", "B4001", "web")
	if err != nil || len(w.Tasks) == 0 || len(w.Orders) == 0 {
		t.Fatalf("wave: %+v, %v", w, err)
	}
	skus, err := l.Books(DefaultOwner).SKUs()
	if err != nil || len(skus) == 0 {
		t.Fatalf("skus: %d, %v", len(skus), err)
	}
	allocated, err := l.OrdersIn(OrderAllocated, DefaultOwner, 1)
	if err != nil || len(allocated) == 0 {
		t.Fatalf("allocated orders: %d, %v", len(allocated), err)
	}
	locs, err := l.Locations()
	if err != nil || len(locs) == 0 {
		t.Fatalf("locations: %d, %v", len(locs), err)
	}
	sku, loc, order, task := skus[0].Code, locs[0].Code, allocated[0].No, w.Tasks[0]
	skuK, orderK := string(skuKey(DefaultOwner, sku)), string(orderKey(DefaultOwner, order))
	if len(skus[0].GTINs) == 0 {
		t.Fatalf("SKU %s has no GTIN", sku)
	}
	gtin := skus[0].GTINs[0]
	cases := []struct {
		name   string
		bucket []byte
		key    string
		read   func() error
	}{
		{"sku", bucketSKUs, skuK, func() error { _, err := l.SKU(sku); return err }},
		{"sku by gtin", bucketSKUs, skuK, func() error { _, err := l.SKUByGTIN(gtin); return err }},
		{"stock of a sku", bucketSKUs, skuK, func() error { _, err := l.StockOf(sku); return err }},
		{"location", bucketLocations, loc, func() error { _, err := l.Location(loc); return err }},
		{"stock at a location", bucketLocations, loc, func() error { _, err := l.StockAt(loc); return err }},
		{"staff", bucketStaff, "B1001", func() error { _, err := l.StaffMember("B1001"); return err }},
		{"station", bucketStations, "PACK-01", func() error { _, err := l.Station("PACK-01"); return err }},
		{"order", bucketOrders, orderK, func() error { _, err := l.Order(order); return err }},
		{"wave", bucketWaves, w.ID, func() error { _, err := l.Wave(w.ID); return err }},
		{"task", bucketTasks, task, func() error { _, err := l.Task(task); return err }},
		{"sku in a command", bucketSKUs, skuK, func() error {
			_, err := l.Receive(ctx, "damage-receive", Receiving{SKU: sku, Lot: "DMG1", Expiry: "2030-01-01", Qty: 1, Location: loc}, "B3001", "test")
			return err
		}},
		{"location in a command", bucketLocations, loc, func() error {
			_, err := l.Receive(ctx, "damage-receive-loc", Receiving{SKU: sku, Lot: "DMG1", Expiry: "2030-01-01", Qty: 1, Location: loc}, "B3001", "test")
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var good []byte
			if err := l.update(func(tx *txn) error {
				good = append([]byte(nil), tx.Bucket(c.bucket).Get([]byte(c.key))...)
				return tx.Bucket(c.bucket).Put([]byte(c.key), []byte(`{"code": [damaged`))
			}); err != nil {
				t.Fatal(err)
			}
			if len(good) == 0 {
				t.Fatalf("%s %q is not in the store", c.bucket, c.key)
			}
			err := c.read()
			var damaged *DamagedRecordError
			if ErrorCode(err) != CodeInternal || !errors.As(err, &damaged) || damaged.Key != c.key {
				t.Errorf("a damaged %s read as %v (code %s), want an internal error naming %q", c.bucket, err, ErrorCode(err), c.key)
			}
			if err := l.update(func(tx *txn) error { return tx.Bucket(c.bucket).Delete([]byte(c.key)) }); err != nil {
				t.Fatal(err)
			}
			if err := c.read(); ErrorCode(err) != CodeNotFound {
				t.Errorf("an absent %s read as %v, want not_found", c.bucket, err)
			}
			if err := l.update(func(tx *txn) error { return tx.Bucket(c.bucket).Put([]byte(c.key), good) }); err != nil {
				t.Fatal(err)
			}
			if err := c.read(); err != nil && c.name != "sku in a command" && c.name != "location in a command" {
				t.Errorf("restored %s: %v", c.bucket, err)
			}
		})
	}
}
