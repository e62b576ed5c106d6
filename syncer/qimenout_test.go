package syncer

import (
	"bytes"
	"encoding/xml"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"tally/syncer/qimen"
	"tally/wms"
)

var updateQimen = flag.Bool("update-qimen", false, "rewrite syncer/testdata/qimen/*.xml from the mapping")

// fakeBooks answers the mapping's reads from maps.
type fakeBooks struct {
	orders map[string]wms.Order // by number
	lots   map[string]string    // expiry by sku/lot
	err    error
}

func (b fakeBooks) order(_, no string) (wms.Order, bool, error) {
	o, ok := b.orders[no]
	return o, ok, b.err
}

func (b fakeBooks) expiry(_, sku, lot string) (string, error) { return b.lots[sku+"/"+lot], b.err }

var qimenAt = time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC) // 16:00:00 in China

func testQimenUpstream() wms.Upstream {
	return wms.Upstream{Name: "erp", Dialect: wms.DialectQimen, URL: "http://erp.example/qimen", Secret: "erp-secret-0123456789",
		AppKey: "erp-appkey", CustomerID: "cust-1", Owner: "DEFAULT", OwnerCode: "OWNER-A"}
}

func outward(id, typ string, data any) wms.Outward {
	return wms.Outward{ID: id, Seq: 7, Type: typ, At: qimenAt, Owner: "DEFAULT", Data: data}
}

var outBizRe = regexp.MustCompile(`<outBizCode>([^<]*)</outBizCode>`)

// TestQimenMappings: each outward event becomes the calls the standard has
// for it, byte for byte as in testdata/qimen (go test -run TestQimenMappings
// -update-qimen rewrites them; read the diff). Every body is a request the
// receiving side accepts, its outBizCodes are the event's, and the same
// event maps to the same bytes again.
func TestQimenMappings(t *testing.T) {
	books := fakeBooks{
		orders: map[string]wms.Order{
			"SO1": {No: "SO1", Source: "erp", Channel: "tmall", Carrier: "SF", Lines: []wms.OrderLine{{SKU: "SKU00001", Qty: 3}, {SKU: "SKU00003", Qty: 1}}},
			"SO2": {No: "SO2", Source: "erp", Channel: QimenStockOutChannel, Carrier: "YTO"},
			"SO3": {No: "SO3", Source: "erp", Channel: "tmall", Lines: []wms.OrderLine{{SKU: "SKU00001", Qty: 5}}},
		},
		lots: map[string]string{"SKU00001/L2401": "2027-06-30"},
	}
	shipment := wms.OutShipment{Order: "SO1", Carrier: "SF", Parcels: []wms.OutParcel{
		{N: 1, Waybill: "SF1400000001", Box: "B3", WeightG: 1250, Items: []wms.OutShipItem{{SKU: "SKU00001", Lot: "L2401", Qty: 2}}},
		{N: 2, Waybill: "SF1400000002", Parent: "SF1400000001", Box: "B1", WeightG: 310, Items: []wms.OutShipItem{
			{SKU: "SKU00001", Lot: "L2401", Qty: 1}, {SKU: "SKU00003", Qty: 1, Serials: []string{"SN000201"}}}},
	}}
	for _, c := range []struct {
		name    string
		o       wms.Outward
		methods []string
	}{
		{"delivery-confirm", outward("ev-ship", wms.EvShipped, shipment), []string{qimen.DeliveryConfirm}},
		{"stockout-confirm", outward("ev-stockout", wms.EvShipped, wms.OutShipment{Order: "SO2", Parcels: []wms.OutParcel{
			{N: 1, Waybill: "YT001", WeightG: 20000, Items: []wms.OutShipItem{{SKU: "SKU00005", Qty: 40}}}}}), []string{qimen.StockOutConfirm}},
		{"order-accepted", outward("ev-accept", wms.EvOrderReceived, wms.OutOrderAccepted{Order: "SO3", Channel: "tmall"}), []string{qimen.OrderProcessReport}},
		{"stockout-accepted", outward("ev-accept-so", wms.EvOrderReceived, wms.OutOrderAccepted{Order: "SO2", Channel: QimenStockOutChannel}), []string{qimen.OrderProcessReport}},
		{"order-cancelled", outward("ev-cancel", wms.EvOrderCancelled, wms.OutOrderCancelled{Order: "SO3", Reason: "customer cancelled"}), []string{qimen.OrderProcessReport}},
		{"entry-confirm", outward("ev-close", wms.EvReceiptClosed, wms.OutReceiptClosed{Receipt: "ASN-7", Lines: []wms.OutReceiptVariance{
			{SKU: "SKU00001", Expected: 48, Received: 48}, {SKU: "SKU00003", Expected: 24, Received: 20, Quarantined: 2},
			{SKU: "SKU00004", Expected: 6, Received: 6, Quarantined: 6}, {SKU: "SKU00005", Expected: 10}}}), []string{qimen.EntryOrderConfirm}},
		{"return-confirm", outward("ev-return", wms.EvReturnReceived, wms.OutReturn{Parcel: "R-1", Order: "SO1", RMA: "RMA-88", ReturnWaybill: "SF1400009999",
			Lines: []wms.OutReturnLine{{SKU: "SKU00001", Lot: "L2401", Qty: 1, Condition: wms.CondResellable},
				{SKU: "SKU00003", Serial: "SN000201", Qty: 1, Condition: wms.CondDamaged}, {SKU: "SKU00009", Qty: 1, Condition: wms.CondMissing}}}),
			[]string{qimen.ReturnOrderConfirm}},
		{"return-matched-confirm", outward("ev-match", wms.EvReturnMatched, wms.OutReturn{Parcel: "R-2", Order: "SO3",
			Lines: []wms.OutReturnLine{{SKU: "SKU00001", Qty: 2, Condition: wms.CondOpened}}}), []string{qimen.ReturnOrderConfirm}},
		{"stock-change", outward("ev-adjust", wms.EvStockAdjusted, wms.OutStockChange{SKU: "SKU00001", Lot: "L2401", Expiry: "2027-06-30", Delta: -2, Reason: "damaged"}),
			[]string{qimen.StockChangeReport}},
		{"inventory-report", outward("ev-count", wms.EvCountDecided, wms.OutCountAdjusted{Count: "C1105", Lines: []wms.OutCountChange{
			{Owner: "DEFAULT", SKU: "SKU00001", Lot: "L2401", Expiry: "2027-06-30", Books: 24, Counted: 23, Delta: -1},
			{Owner: "DEFAULT", SKU: "SKU00003", Books: 5, Counted: 7, Delta: 2}}}), []string{qimen.InventoryReport}},
		{"item-lack", outward("ev-short", wms.EvShortReported, wms.OutShortPick{Order: "SO1", SKU: "SKU00001", Lot: "L2401", Qty: 3, Reallocated: 1}),
			[]string{qimen.ItemLackReport}},
	} {
		t.Run(c.name, func(t *testing.T) {
			calls, err := qimenCalls(c.o, testQimenUpstream(), "WH-HZ1", books)
			if err != nil {
				t.Fatal(err)
			}
			if len(calls) != len(c.methods) {
				t.Fatalf("%d calls, want %d", len(calls), len(c.methods))
			}
			var all bytes.Buffer
			for i, call := range calls {
				if call.Method != c.methods[i] || call.Upstream != "erp" || call.Warehouse != "WH-HZ1" || !call.At.Equal(qimenAt) {
					t.Errorf("call %d: %s for %s at %s from %s", i, call.Method, call.Upstream, call.At, call.Warehouse)
				}
				biz := qimen.OutBizCode(c.o.ID, i+1, len(calls))
				if call.ID != "erp:"+biz {
					t.Errorf("call %d: ID %q, want erp:%s", i, call.ID, biz)
				}
				for _, m := range outBizRe.FindAllSubmatch(call.Body, -1) {
					if string(m[1]) != biz {
						t.Errorf("call %d: outBizCode %s, want %s", i, m[1], biz)
					}
				}
				if !bytes.Contains(call.Body, []byte("<outBizCode>"+biz+"</outBizCode>")) {
					t.Errorf("call %d has no outBizCode %s", i, biz)
				}
				if err := qimen.CheckRequest(call.Body); err != nil {
					t.Errorf("call %d: %v", i, err)
				}
				all.Write(call.Body)
				all.WriteString("\n")
			}
			golden(t, c.name, indentXML(t, all.Bytes()))
			again, err := qimenCalls(c.o, testQimenUpstream(), "WH-HZ1", books)
			if err != nil || fmt.Sprint(again) != fmt.Sprint(calls) {
				t.Errorf("the same event mapped again differs: %v", err)
			}
		})
	}
}

// TestQimenNoCalls: events Qimen has no method for, and events the mapping
// says nothing of, make no call: the cursor passes them.
func TestQimenNoCalls(t *testing.T) {
	books := fakeBooks{orders: map[string]wms.Order{"SO1": {No: "SO1"}}}
	for _, o := range []wms.Outward{
		outward("a", wms.EvLotsSwept, wms.OutLotsExpired{Day: "2026-01-01", Lots: []wms.OutLotRef{{Owner: "DEFAULT", SKU: "S", Lot: "L"}}}),
		outward("b", wms.EvReceived, wms.OutReceived{Receipt: "ASN-1", SKU: "S", Qty: 1}),
		outward("c", wms.EvReceiveRefused, wms.OutReceiptRefused{Receipt: "ASN-1", SKU: "S", Qty: 1, Reason: "x"}),
		outward("d", wms.EvStockReconciled, wms.OutReconciled{Reconciliation: "R1"}),
		outward("e", wms.EvShortReported, wms.OutShortPick{Order: "SO1", SKU: "S", Qty: 2, Reallocated: 2}),
		outward("f", wms.EvReturnReceived, wms.OutReturn{Parcel: "R-9", Lines: []wms.OutReturnLine{{SKU: "S", Qty: 1, Condition: wms.CondResellable}}}),
		outward("g", wms.EvReturnMatched, wms.OutReturn{Parcel: "R-8", Order: "SO1", RMA: "RMA-1", Lines: []wms.OutReturnLine{{SKU: "S", Qty: 1, Condition: wms.CondResellable}}}),
		outward("h", wms.EvCountDecided, wms.OutCountAdjusted{Count: "C1", Lines: []wms.OutCountChange{}}),
	} {
		calls, err := qimenCalls(o, testQimenUpstream(), "", books)
		if err != nil || len(calls) != 0 {
			t.Errorf("%s: %d calls, %v; want none", o.Type, len(calls), err)
		}
	}
}

// TestQimenCountPages: a count larger than a page goes as pages, each its
// own call with its own outBizCode and the page numbers.
func TestQimenCountPages(t *testing.T) {
	var lines []wms.OutCountChange
	for i := range maxCountPage*2 + 3 {
		lines = append(lines, wms.OutCountChange{Owner: "DEFAULT", SKU: fmt.Sprintf("SKU%05d", i), Books: 1, Counted: 2, Delta: 1})
	}
	calls, err := qimenCalls(outward("ev-big", wms.EvCounted, wms.OutCountAdjusted{Count: "C9", Lines: lines}), testQimenUpstream(), "", fakeBooks{})
	if err != nil || len(calls) != 3 {
		t.Fatalf("%d calls, %v; want 3", len(calls), err)
	}
	total := 0
	for i, c := range calls {
		var r qimen.InventoryReportRequest
		if err := xml.Unmarshal(c.Body, &r); err != nil {
			t.Fatal(err)
		}
		if r.TotalPage != 3 || r.CurrentPage != i+1 || r.OutBizCode != fmt.Sprintf("ev-big-%d", i+1) || r.WarehouseCode != DefaultWarehouse {
			t.Errorf("page %d: %+v", i, r)
		}
		total += len(r.Items)
	}
	if total != len(lines) {
		t.Errorf("%d items in the pages, want %d", total, len(lines))
	}
}

// TestQimenOnlyItsOwnOrders: an ERP hears of the orders it sent, not of
// another upstream's, a file's or a person's.
func TestQimenOnlyItsOwnOrders(t *testing.T) {
	books := fakeBooks{orders: map[string]wms.Order{
		"MINE": {No: "MINE", Source: "erp", Channel: "tmall"}, "OMS": {No: "OMS", Source: "oms", Channel: "tmall"}, "CSV": {No: "CSV", Channel: "tmall"}}}
	for no, want := range map[string]int{"MINE": 1, "OMS": 0, "CSV": 0, "UNKNOWN": 0} {
		calls, err := qimenCalls(outward("ev-"+no, wms.EvOrderReceived, wms.OutOrderAccepted{Order: no, Channel: "tmall"}), testQimenUpstream(), "", books)
		if err != nil || len(calls) != want {
			t.Errorf("%s: %d calls (%v), want %d", no, len(calls), err, want)
		}
	}
}

// TestQimenMappingErrors: a read that fails is an error (the link retries),
// and a body over what a request may carry is errQimenTooLarge.
func TestQimenMappingErrors(t *testing.T) {
	ship := outward("x", wms.EvShipped, wms.OutShipment{Order: "SO1", Parcels: []wms.OutParcel{{N: 1, Waybill: "W", Items: []wms.OutShipItem{{SKU: "S", Qty: 1}}}}})
	if _, err := qimenCalls(ship, testQimenUpstream(), "", fakeBooks{err: os.ErrClosed}); err == nil {
		t.Error("a failed read mapped")
	}
	var items []wms.OutShipItem
	for i := range 40000 {
		items = append(items, wms.OutShipItem{SKU: fmt.Sprintf("SKU%06d", i), Qty: 1})
	}
	big := outward("y", wms.EvShipped, wms.OutShipment{Order: "SO1", Parcels: []wms.OutParcel{{N: 1, Waybill: "W", Items: items}}})
	if _, err := qimenCalls(big, testQimenUpstream(), "", fakeBooks{orders: map[string]wms.Order{"SO1": {No: "SO1", Source: "erp"}}}); err == nil || !strings.Contains(err.Error(), errQimenTooLarge.Error()) {
		t.Errorf("a body over 1 MiB: %v", err)
	}
}

func indentXML(t *testing.T, raw []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	d := xml.NewDecoder(bytes.NewReader(raw))
	e := xml.NewEncoder(&out)
	e.Indent("", "  ")
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		if _, ok := tok.(xml.ProcInst); ok {
			continue
		}
		if cd, ok := tok.(xml.CharData); ok && len(bytes.TrimSpace(cd)) == 0 {
			continue
		}
		if err := e.EncodeToken(tok); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	out.WriteString("\n")
	return out.Bytes()
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "qimen", name+".xml")
	if *updateQimen {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n%s\nwant\n%s", path, got, want)
	}
}
