package syncer

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"tally/syncer/qimen"
	"tally/wms"
)

// qreadRig is the demo warehouse and a syncer, called as the dispatcher
// calls a method.
type qreadRig struct {
	t  *testing.T
	l  *wms.Ledger
	s  *Syncer
	up wms.Upstream
}

func newQreadRig(t *testing.T) *qreadRig {
	l, err := wms.Open(filepath.Join(t.TempDir(), "wh"), wms.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	if _, err := l.SeedDemo(bg); err != nil {
		t.Fatal(err)
	}
	up := wms.Upstream{Name: "erp", Dialect: wms.DialectQimen, OwnerCode: "ERP-OWNER"}
	return &qreadRig{t: t, l: l, s: New(l, Options{}), up: up}
}

func (r *qreadRig) call(method, body string) (any, error) {
	r.t.Helper()
	h, ok := qimenMethods[method]
	if !ok {
		r.t.Fatalf("%s is not registered", method)
	}
	return h(context.Background(), r.s, r.up, qimen.Call{ID: "c", Upstream: "erp", Warehouse: "WH1", Method: method, Body: []byte(body), At: time.Now()})
}

// order takes in an order of one unit of SKU03000 for a demo carrier.
func (r *qreadRig) order(no string) {
	r.t.Helper()
	in := wms.DemoOrders(time.Now())[0]
	in.No, in.Lines = no, wms.OrderLines(wms.LineIn{SKU: "SKU03000", Qty: 1})
	if _, _, err := r.l.ReceiveOrder(bg, "", in, "oms", "test"); err != nil {
		r.t.Fatal(err)
	}
}

func (r *qreadRig) wave(key string) wms.Wave {
	r.t.Helper()
	w, err := r.l.ReleaseWave(bg, wms.WaveFilter{Mode: wms.WaveSingle}, key, "B4001", "test")
	if err != nil {
		r.t.Fatalf("wave %s: %v", key, err)
	}
	return w
}

// pickAndShip picks every open task into totes, then packs and ships no.
func (r *qreadRig) pickAndShip(no string) {
	r.t.Helper()
	for i := 0; ; i++ {
		task, err := r.l.NextTask(bg, "B1001", "pda")
		if wms.ErrorCode(err) == wms.CodeNotFound {
			break
		}
		if err != nil {
			r.t.Fatal(err)
		}
		for _, line := range task.Lines {
			if _, _, err := r.l.Pick(bg, fmt.Sprintf("pk-%s-%d", task.ID, line.N), wms.PickScan{Task: task.ID, Line: line.N, Location: line.Location,
				Items: []wms.ScannedItem{{GTIN: line.GTINs[0]}}, Qty: line.Qty, Tote: fmt.Sprintf("T%05d", 900+i)}, "B1001", "pda"); err != nil {
				r.t.Fatalf("pick: %v", err)
			}
		}
	}
	sku, _ := r.l.SKU("SKU03000")
	if _, err := r.l.PackScan(bg, "ps-"+no, wms.PackScan{Order: no, Station: "PACK-01", GTIN: sku.GTINs[0], Qty: 1}, "B2001", "kiosk"); err != nil {
		r.t.Fatal(err)
	}
	settings, _ := r.l.Settings()
	weight := 80 + settings.WeightGate.AllowanceG + sku.UnitWeightG
	if _, err := r.l.CloseParcel(bg, "pc-"+no, wms.ParcelClose{Order: no, Station: "PACK-01", Box: "S1", WeightG: weight}, "B2001", "kiosk"); err != nil {
		r.t.Fatal(err)
	}
	if _, err := r.l.Ship(bg, "", no, "PACK-01", "B2001", "kiosk"); err != nil {
		r.t.Fatal(err)
	}
}

func encoded(t *testing.T, v any) string {
	t.Helper()
	out, err := qimen.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// order.pending holds an order (a wave skips it), a repeat changes nothing,
// restore releases it; deliveryorder.query and orderprocess.query follow it
// to the carrier.
func TestQimenPendingAndQueries(t *testing.T) {
	r := newQreadRig(t)
	r.order("SO-Q1")
	r.order("SO-Q2")
	hold := `<request><actionType>pending</actionType><warehouseCode>WH1</warehouseCode><ownerCode>ERP-OWNER</ownerCode><orderCode>SO-Q1</orderCode><reason>客户要求暂缓</reason></request>`
	for i := 0; i < 2; i++ {
		seq := r.l.LastSeq()
		a, err := r.call(qimen.OrderPending, hold)
		if err != nil || a.(qimen.Response).Flag != qimen.FlagSuccess {
			t.Fatalf("hold #%d: %v %v", i, a, err)
		}
		if i == 1 && r.l.LastSeq() != seq {
			t.Fatal("a repeated hold appended an event")
		}
	}
	if w := r.wave("w1"); !slices.Equal(w.Orders, []string{"SO-Q2"}) {
		t.Fatalf("wave took %v", w.Orders)
	}
	a, _ := r.call(qimen.DeliveryQuery, `<request><orderCode>SO-Q1</orderCode></request>`)
	if s := encoded(t, a); !strings.Contains(s, "<status>ACCEPT</status>") || !strings.Contains(s, "<remark>held: 客户要求暂缓</remark>") {
		t.Fatalf("held order: %s", s)
	}
	if _, err := r.call(qimen.OrderPending, `<request><actionType>restore</actionType><orderCode>SO-Q1</orderCode></request>`); err != nil {
		t.Fatal(err)
	}
	if w := r.wave("w2"); !slices.Equal(w.Orders, []string{"SO-Q1"}) {
		t.Fatalf("wave after restore took %v", w.Orders)
	}
	// SO-Q2 is in a wave: holding it is refused, nothing changes
	seq := r.l.LastSeq()
	_, err := r.call(qimen.OrderPending, `<request><actionType>pending</actionType><orderCode>SO-Q2</orderCode></request>`)
	if wms.ErrorCode(err) != wms.CodeConflict || r.l.LastSeq() != seq {
		t.Fatalf("holding a released order: %v", err)
	}

	r.pickAndShip("SO-Q1")
	o, _ := r.l.Order("SO-Q1")
	pack, _ := r.l.Pack("SO-Q1")
	waybill := pack.Parcels[0].Waybill
	a, err = r.call(qimen.DeliveryQuery, `<request><ownerCode>ERP-OWNER</ownerCode><orderCode>SO-Q1</orderCode></request>`)
	if err != nil {
		t.Fatal(err)
	}
	d := a.(qimen.DeliveryQueryAnswer)
	if d.DeliveryOrder.Status != "DELIVERED" || len(d.Packages) != 1 || d.Packages[0].ExpressCode != waybill ||
		d.Packages[0].LogisticsCode != o.Carrier || d.Packages[0].Items[0] != (qimen.DeliveryQueryItem{ItemCode: "SKU03000", Quantity: 1}) ||
		d.TotalLines != 1 || d.OrderLines[0].ActualQty != 1 || d.OrderLines[0].PlanQty != 1 || d.DeliveryOrder.ExpressCode != waybill {
		t.Fatalf("shipped order: %s", encoded(t, d))
	}

	a, err = r.call(qimen.OrderProcessQuery, `<request><orderCode>SO-Q1</orderCode></request>`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range a.(qimen.ProcessQueryAnswer).OrderProcess.Processes {
		got = append(got, p.ProcessStatus)
	}
	if want := []string{"ACCEPT", "HELD", "RESTORED", "PICK", "PACKAGE", "DELIVERED"}; !slices.Equal(got, want) {
		t.Fatalf("processes %v, want %v: %s", got, want, encoded(t, a))
	}
	if _, err := r.call(qimen.DeliveryQuery, `<request><orderCode>SO-NOPE</orderCode></request>`); wms.ErrorCode(err) != wms.CodeNotFound {
		t.Fatalf("unknown order: %v", err)
	}
}

// inventory.query answers the owner's stock: without criteria every item,
// with criteria the items asked for, reservations as lockQuantity.
func TestQimenInventoryQuery(t *testing.T) {
	r := newQreadRig(t)
	lines, err := r.l.Books(wms.DefaultOwner).Inventory()
	if err != nil || len(lines) == 0 {
		t.Fatalf("%v %v", lines, err)
	}
	a, err := r.call(qimen.InventoryQuery, `<request/>`)
	if err != nil {
		t.Fatal(err)
	}
	all := a.(qimen.InventoryQueryAnswer)
	var sum, want int64
	for _, it := range all.Items {
		sum += it.Quantity
	}
	onHand, _ := r.l.OnHand(wms.DefaultOwner)
	for _, x := range onHand {
		want += x.Qty
	}
	if len(all.Items) != len(lines) || sum != want || all.Message != "" {
		t.Fatalf("every item: %d items, %d units (want %d, %d): %q", len(all.Items), sum, len(lines), want, all.Message)
	}

	r.order("SO-Q1")
	r.wave("w1")
	a, err = r.call(qimen.InventoryQuery, `<request><criteriaList><criteria><warehouseCode>WH9</warehouseCode><itemCode>SKU03000</itemCode><inventoryType>ZP</inventoryType></criteria></criteriaList></request>`)
	if err != nil {
		t.Fatal(err)
	}
	var units, locked int64
	for _, it := range a.(qimen.InventoryQueryAnswer).Items {
		if it.ItemCode != "SKU03000" || it.InventoryType != "ZP" || it.WarehouseCode != "WH9" {
			t.Fatalf("item %+v", it)
		}
		units, locked = units+it.Quantity, locked+it.LockQuantity
	}
	var wantUnits int64
	for _, x := range onHand {
		if x.SKU == "SKU03000" {
			wantUnits += x.Qty
		}
	}
	if units != wantUnits || locked != 1 {
		t.Fatalf("SKU03000: %d units, %d locked; want %d, 1", units, locked, wantUnits)
	}

	a, _ = r.call(qimen.InventoryQuery, `<request><pageSize>2</pageSize><page>2</page></request>`)
	if p := a.(qimen.InventoryQueryAnswer); len(p.Items) != 2 || p.Items[0] != all.Items[2] || !strings.Contains(p.Message, "items 3-4 of") {
		t.Fatalf("page 2: %+v", p)
	}
}

// Malformed bodies and another owner's ownerCode are refused, and change nothing.
func TestQimenReadRefusals(t *testing.T) {
	r := newQreadRig(t)
	r.order("SO-Q1")
	seq := r.l.LastSeq()
	for _, c := range []struct{ method, body string }{
		{qimen.OrderPending, `<request><actionType>pending</actionType><orderCode>SO-Q1</orderCode>`},
		{qimen.OrderPending, `<request><actionType>freeze</actionType><orderCode>SO-Q1</orderCode></request>`},
		{qimen.OrderPending, `<request><actionType>pending</actionType><ownerCode>OTHER</ownerCode><orderCode>SO-Q1</orderCode></request>`},
		{qimen.OrderPending, `<request><actionType>pending</actionType><orderCode>SO-Q1</orderCode><reason>` + strings.Repeat("x", 201) + `</reason></request>`},
		{qimen.InventoryQuery, `<request><criteriaList><criteria><ownerCode>OTHER</ownerCode></criteria></criteriaList></request>`},
		{qimen.InventoryQuery, `<response/>`},
		{qimen.DeliveryQuery, `<request></request>`},
		{qimen.OrderProcessQuery, `<request><orderCode>SO-Q1</orderCode><ownerCode>OTHER</ownerCode></request>`},
		{qimen.OrderProcessQuery, "\xff"},
		{qimen.InventoryQuery, `<request><page>9223372036854775807</page></request>`}, // page × size overflowed: a panic
		{qimen.InventoryQuery, `<request><page>1000001</page><pageSize>100</pageSize></request>`},
	} {
		a, err := r.call(c.method, c.body)
		if err == nil {
			t.Errorf("%s %s: answered %v", c.method, c.body, a)
		}
		var we *wms.Error
		if strings.Contains(c.body, "OTHER") && (!errors.As(err, &we) || we.Key != "qimen.owner_unknown") {
			t.Errorf("%s: %v, want qimen.owner_unknown", c.method, err)
		}
	}
	if r.l.LastSeq() != seq {
		t.Fatal("a refused call appended events")
	}
	if o, _ := r.l.Order("SO-Q1"); o.Held {
		t.Fatal("a refused hold held the order")
	}
	// the last page allowed, far past the items: an empty page
	a, err := r.call(qimen.InventoryQuery, `<request><page>1000000</page><pageSize>100</pageSize></request>`)
	if ans, ok := a.(qimen.InventoryQueryAnswer); err != nil || !ok || len(ans.Items) != 0 {
		t.Errorf("a page past the items: %v %v", a, err)
	}
}
