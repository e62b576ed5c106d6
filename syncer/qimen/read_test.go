package qimen

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestDecodeReadRequests(t *testing.T) {
	p, err := DecodeOrderPending([]byte(`<?xml version="1.0" encoding="UTF-8"?><request><actionType> PENDING </actionType>` +
		`<warehouseCode>WH1</warehouseCode><ownerCode>OW</ownerCode><orderCode>SO1</orderCode><reason>地址待确认</reason></request>`))
	if err != nil || p.ActionType != ActionPending || p.OrderCode != "SO1" || p.Reason != "地址待确认" || p.OwnerCode != "OW" {
		t.Fatalf("%+v %v", p, err)
	}
	q, err := DecodeInventoryQuery([]byte(`<request><criteriaList><criteria><itemCode>MILK</itemCode><inventoryType>zp</inventoryType></criteria>` +
		`<criteria><itemCode>BOOK</itemCode><batchCode>L1</batchCode></criteria></criteriaList></request>`))
	if err != nil || len(q.Criteria) != 2 || q.Criteria[0].InventoryType != "ZP" || q.Criteria[1].BatchCode != "L1" {
		t.Fatalf("%+v %v", q, err)
	}
	if q, err := DecodeInventoryQuery([]byte(`<request/>`)); err != nil || len(q.Criteria) != 0 {
		t.Fatalf("no criteria: %+v %v", q, err)
	}
	d, err := DecodeDeliveryQuery([]byte(`<request><orderCode>SO1</orderCode></request>`))
	if err != nil || d.OrderCode != "SO1" {
		t.Fatalf("%+v %v", d, err)
	}
	if _, err := DecodeProcessQuery([]byte(`<request><orderCode>SO1</orderCode></request>`)); err != nil {
		t.Fatal(err)
	}
}

func TestDecodeReadRefusals(t *testing.T) {
	long := strings.Repeat("x", 65)
	for _, c := range []struct {
		name string
		fn   func([]byte) error
		body string
		want error
	}{
		{"pending no action", pending, `<request><orderCode>SO1</orderCode></request>`, ErrBadField},
		{"pending bad action", pending, `<request><actionType>freeze</actionType><orderCode>SO1</orderCode></request>`, ErrBadField},
		{"pending no order", pending, `<request><actionType>restore</actionType></request>`, ErrBadField},
		{"pending long code", pending, `<request><actionType>restore</actionType><orderCode>` + long + `</orderCode></request>`, ErrBadField},
		{"pending long reason", pending, `<request><actionType>pending</actionType><orderCode>SO1</orderCode><reason>` + strings.Repeat("因", 201) + `</reason></request>`, ErrBadField},
		{"pending control", pending, `<request><actionType>pending</actionType><orderCode>SO&#x9;1</orderCode></request>`, ErrBadField},
		{"not xml", pending, `<request><orderCode>SO1</request>`, ErrMalformedXML},
		{"wrong root", delivery, `<response><orderCode>SO1</orderCode></response>`, ErrNotRequest},
		{"empty", process, ``, ErrEmptyBody},
		{"delivery no order", delivery, `<request><ownerCode>O</ownerCode></request>`, ErrBadField},
		{"process no order", process, `<request/>`, ErrBadField},
		{"too many criteria", inventory, `<request><criteriaList>` + strings.Repeat(`<criteria/>`, 101) + `</criteriaList></request>`, ErrBadField},
		{"negative page", inventory, `<request><page>-1</page></request>`, ErrBadField},
		{"page not a number", inventory, `<request><page>x</page></request>`, ErrMalformedXML},
	} {
		if err := c.fn([]byte(c.body)); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

func pending(b []byte) error   { _, err := DecodeOrderPending(b); return err }
func inventory(b []byte) error { _, err := DecodeInventoryQuery(b); return err }
func delivery(b []byte) error  { _, err := DecodeDeliveryQuery(b); return err }
func process(b []byte) error   { _, err := DecodeProcessQuery(b); return err }

func TestReadAnswersEncode(t *testing.T) {
	out, err := Marshal(InventoryQueryAnswer{Response: Success(), Items: []InventoryQueryItem{{WarehouseCode: "WH1", ItemCode: "MILK", InventoryType: InventorySellable, Quantity: 5, LockQuantity: 2, BatchCode: "L1"}}})
	if err != nil {
		t.Fatal(err)
	}
	want := `<response><flag>success</flag><code></code><message></message><items><item><warehouseCode>WH1</warehouseCode><itemCode>MILK</itemCode>` +
		`<inventoryType>ZP</inventoryType><quantity>5</quantity><lockQuantity>2</lockQuantity><batchCode>L1</batchCode></item></items></response>`
	if !bytes.HasSuffix(out, []byte(want)) {
		t.Fatalf("got %s", out)
	}
	out, _ = Marshal(ProcessQueryAnswer{Response: Success(), OrderProcess: &ProcessQueryOrder{OrderCode: "SO1", WarehouseCode: "WH1",
		Processes: []ProcessQueryStep{{ProcessStatus: "ACCEPT", OperateTime: "2026-11-11 08:00:00"}}}})
	if !bytes.Contains(out, []byte(`<orderProcess><orderCode>SO1</orderCode><warehouseCode>WH1</warehouseCode><processes><process><processStatus>ACCEPT</processStatus>`)) {
		t.Fatalf("got %s", out)
	}
}

// Whatever the body, decoding answers a value or an error, never a panic,
// and a decoded request's fields are within their limits.
func FuzzDecodeReadRequests(f *testing.F) {
	for _, s := range []string{`<request><actionType>pending</actionType><orderCode>SO1</orderCode></request>`,
		`<request><criteriaList><criteria><itemCode>A</itemCode></criteria></criteriaList><page>2</page></request>`,
		`<request><orderCode>SO1</orderCode><ownerCode>O</ownerCode></request>`, `<request/>`, `<x/>`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if p, err := DecodeOrderPending(body); err == nil {
			if p.OrderCode == "" || len([]rune(p.OrderCode)) > maxReadCode || (p.ActionType != ActionPending && p.ActionType != ActionRestore) {
				t.Fatalf("accepted %+v", p)
			}
		}
		if q, err := DecodeInventoryQuery(body); err == nil {
			if len(q.Criteria) > maxReadCriteria || q.Page < 0 || q.PageSize < 0 {
				t.Fatalf("accepted %+v", q)
			}
		}
		if d, err := DecodeDeliveryQuery(body); err == nil && d.OrderCode == "" {
			t.Fatalf("accepted %+v", d)
		}
		if p, err := DecodeProcessQuery(body); err == nil && p.OrderCode == "" {
			t.Fatalf("accepted %+v", p)
		}
	})
}
