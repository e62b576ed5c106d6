package wms

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// marshalEvent writes what json.Marshal writes, for every event it is given:
// those it writes itself and those it hands on.
func TestMarshalEventSameAsJSON(t *testing.T) {
	payload, _ := json.Marshal(OrderIntake{No: "A<1>&", Channel: "tmall", Notes: "备注 \u2028 \"q\" \\ \n",
		Recipient: Recipient{Name: "张三", Phone: "138", Address: "杭州"}, Lines: []OrderLineIn{{LineIn: LineIn{SKU: "S1", Qty: 2}}}})
	at := time.Date(2026, 11, 11, 0, 0, 0, 123456789, time.FixedZone("CST", 8*3600))
	base := Event{ID: "order:A1:abc", Seq: 42, Type: EvOrderReceived, Actor: "token:oms", Device: "api", At: at, Data: payload, decoded: OrderIntake{}}
	cases := map[string]func(*Event){
		"plain":          func(*Event) {},
		"epoch":          func(e *Event) { e.Epoch = 3 },
		"owner":          func(e *Event) { e.Owner = "货主甲" },
		"no actor":       func(e *Event) { e.Actor, e.Device = "", "" },
		"utc":            func(e *Event) { e.At = at.UTC() },
		"zero time":      func(e *Event) { e.At = time.Time{} },
		"seq 0":          func(e *Event) { e.Seq = 0 },
		"html in id":     func(e *Event) { e.ID = "order:<b>&" },
		"quote in actor": func(e *Event) { e.Actor = `a"b\c` },
		"control":        func(e *Event) { e.Device = "a\tb\x01" },
		"bad utf8":       func(e *Event) { e.Owner = "a\xffb" },
		"line sep":       func(e *Event) { e.Owner = "a\u2028b\u2029" },
		"replacement":    func(e *Event) { e.Owner = "a\ufffdb" },
		"not decoded":    func(e *Event) { e.decoded, e.Data = nil, json.RawMessage(`{ "a" : 1 }`) },
		"nil data":       func(e *Event) { e.decoded, e.Data = nil, nil },
		"empty data":     func(e *Event) { e.Data = json.RawMessage{} },
		"far year":       func(e *Event) { e.At = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) },
	}
	for name, change := range cases {
		ev := base
		change(&ev)
		want, wantErr := json.Marshal(ev)
		got, gotErr := marshalEvent(&ev)
		if (wantErr != nil) != (gotErr != nil) {
			t.Errorf("%s: error %v, json.Marshal's %v", name, gotErr, wantErr)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
}

// A batch's order is named by the digest ReceiveOrder gives it, and its
// event carries its payload as NewEvent encodes it.
func TestBatchOrderDigestAsReceiveOrder(t *testing.T) {
	ship := time.Date(2026, 11, 12, 8, 0, 0, 0, time.FixedZone("", 8*3600))
	in := OrderIntake{Owner: "acme", No: " B-7 ", Platform: "tb", Recipient: Recipient{Name: " 李四 ", Phone: "139", Address: "上海"},
		Lines: []OrderLineIn{{LineIn: LineIn{SKU: "S1", Qty: 1}}, {LineIn: LineIn{SKU: "S1", Qty: 2}}}, ShipBy: &ship, Notes: "<gift> & card"}
	b := decideBatchOrder(in, "token:oms", "api")
	if b.err != nil {
		t.Fatal(b.err)
	}
	want := in
	if err := want.Validate(); err != nil {
		t.Fatal(err)
	}
	want.Owner = ""
	if b.digest != want.Digest() {
		t.Errorf("digest %s, ReceiveOrder's %s", b.digest, want.Digest())
	}
	ev, err := newOwnedEvent("order:acme:B-7:"+want.Digest(), EvOrderReceived, "token:oms", "api", "acme", want)
	if err != nil {
		t.Fatal(err)
	}
	if b.ev.ID != ev.ID || b.ev.Owner != ev.Owner || !bytes.Equal(b.ev.Data, ev.Data) {
		t.Errorf("event %s %q %s, want %s %q %s", b.ev.ID, b.ev.Owner, b.ev.Data, ev.ID, ev.Owner, ev.Data)
	}
	if d, ok := checkedDigest(&b.ev, 0, 1); !ok || d != b.digest {
		t.Errorf("checked digest %q %v", d, ok)
	}
	if _, ok := checkedDigest(&Event{}, 0, 1); ok {
		t.Error("an event read from the log has a checked digest")
	}
}

// A changed resend of an order not yet in work, in the same batch or a
// later one, changes it as ReceiveOrder would (the batch's reading of the
// order rides with the event to its applying; openTest's check replays the
// log without it).
func TestBatchChangedResend(t *testing.T) {
	l, _ := openTest(t)
	seedSmall(t, l)
	ctx := t.Context()
	res, err := l.ReceiveOrders(ctx, "", []OrderIntake{order("SO-R1", LineIn{"BOOK", 1}), order("SO-R1", LineIn{"BOOK", 2})}, "oms", "api")
	if err != nil || res.Created != 2 {
		t.Fatalf("%+v %v", res, err)
	}
	first, err := l.Order("SO-R1")
	if err != nil || first.Lines[0].Qty != 2 {
		t.Fatalf("after the batch: %+v %v", first, err)
	}
	res, err = l.ReceiveOrders(ctx, "", []OrderIntake{order("SO-R1", LineIn{"MILK", 3})}, "oms", "api")
	if err != nil || res.Created != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	o, err := l.Order("SO-R1")
	if err != nil || len(o.Lines) != 1 || o.Lines[0].SKU != "MILK" || !o.Received.Equal(first.Received) || o.State != OrderNew {
		t.Fatalf("after the resend: %+v %v", o, err)
	}
	want := order("SO-R1", LineIn{"MILK", 3})
	if err := want.Validate(); err != nil {
		t.Fatal(err)
	}
	if o.Digest != want.Digest() {
		t.Errorf("digest %s, want %s", o.Digest, want.Digest())
	}
}
