package wms

import "testing"

func TestSaveCatalogueSKUKeepsTheWarehouseRules(t *testing.T) {
	l, _ := openTest(t)
	seedSmall(t, l)
	// the warehouse's own rules for MILK
	mustAppend(t, l, "milk-rules", EvSKUUpserted, SKU{Code: "MILK", Name: "飞鹤星飞帆 3段 800g", GTINs: []string{"6901234567892"},
		UnitWeightG: 980, ShelfLifeDays: 720, LotTracked: true, SerialTracked: true, MinOutboundLifePct: 67,
		Zone: "A", ReceiveMinLifePct: 70, ShortLifeAction: ShortLifeQuarantine, NearExpiryDays: 45})
	in := SKU{Code: "MILK", Name: "飞鹤星飞帆 3段 800g 新包装", GTINs: []string{"6901234567892"}, UnitWeightG: 1000,
		ShelfLifeDays: 540, LotTracked: true, SerialTracked: true, MinOutboundLifePct: 60,
		Zone: "Z", ReceiveMinLifePct: 1, ShortLifeAction: ShortLifeRefuse, NearExpiryDays: 1} // an upstream's guesses: ignored
	saved, err := l.SaveCatalogueSKU(ctx, "sync:oms:sku:SKU-1", "", in, "sync:oms", "syncer")
	if err != nil {
		t.Fatal(err)
	}
	got, err := l.SKU("MILK")
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != in.Name || got.UnitWeightG != 1000 || got.ShelfLifeDays != 540 || got.MinOutboundLifePct != 60 {
		t.Errorf("catalogue part not saved: %+v", got)
	}
	if got.Zone != "A" || got.ReceiveMinLifePct != 70 || got.ShortLifeAction != ShortLifeQuarantine || got.NearExpiryDays != 45 {
		t.Errorf("the warehouse's rules were overwritten: %+v", got)
	}
	if saved.Zone != "A" || saved.Owner != DefaultOwner {
		t.Errorf("answer %+v", saved)
	}
	last := l.LastSeq()
	if _, err := l.SaveCatalogueSKU(ctx, "sync:oms:sku:SKU-1", "", in, "sync:oms", "syncer"); err != nil {
		t.Fatalf("a repeat: %v", err)
	}
	if l.LastSeq() != last {
		t.Error("a repeat appended an event")
	}
	changed := in
	changed.UnitWeightG = 1200
	_, err = l.SaveCatalogueSKU(ctx, "sync:oms:sku:SKU-1", "", changed, "sync:oms", "syncer")
	if e, ok := AsError(err); !ok || e.Key != "key.changed" {
		t.Errorf("the key with other content: %v", err)
	}
	// a new SKU starts with the warehouse's defaults
	if _, err := l.SaveCatalogueSKU(ctx, "sync:oms:sku:SKU-2", "", SKU{Code: "TEA", Name: "龙井", Zone: "Z"}, "sync:oms", "syncer"); err != nil {
		t.Fatal(err)
	}
	if tea, err := l.SKU("TEA"); err != nil || tea.Zone != "" {
		t.Errorf("new SKU %+v %v", tea, err)
	}
	if _, err := l.SaveCatalogueSKU(ctx, "sync:oms:sku:SKU-3", "NOBODY", SKU{Code: "TEA", Name: "龙井"}, "sync:oms", "syncer"); err == nil {
		t.Error("a SKU for an unknown owner was saved")
	}
	if _, err := l.SaveCatalogueSKU(ctx, "sync:oms:sku:SKU-4", "", SKU{Code: "", Name: "龙井"}, "sync:oms", "syncer"); err == nil {
		t.Error("a SKU without a code was saved")
	}
}
