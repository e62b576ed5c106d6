package wms

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"
)

func fullTask() Task {
	at := time.Date(2026, 11, 11, 1, 2, 3, 4, time.UTC)
	end := at.Add(time.Hour)
	return Task{ID: "W7-1", Wave: "W7", Kind: TaskPick, Mode: WaveCluster, State: TaskActive, Priority: 2, Actor: "B1001", Device: "pda",
		Orders: []TaskOrder{{Owner: "ACME", Order: "SO1", Tote: "T00001"}, {Order: "SO2"}},
		Lines: []TaskLine{{N: 1, Owner: "ACME", Order: "SO1", SKU: "MILK", Name: "飞鹤", GTINs: []string{"06901234567892", "6901234567892"}, LotTracked: true,
			Lot: "L1", Expiry: "2027-01-01", Location: "A01-01-01", PickSeq: 10, Qty: 2, Done: 1, Short: 1, Cancelled: true},
			{N: 2, Order: "SO2", SKU: "BOOK", Location: "A01-01-02", Qty: 1}},
		Location: "A01-01-03", Reason: "short:empty",
		Created: at, Started: &at, Finished: &end,
		Picks: []PickRecord{{Event: "e1", Line: 1, Lot: "L1", Location: "A01-01-01", Qty: 1, Serials: []string{"C1", "C2"}, Undone: true, Completed: true},
			{Event: "e2", Line: 2, Location: "A01-01-02", Qty: 1}}}
}

func fullOrder() Order {
	at := time.Date(2026, 11, 11, 0, 0, 1, 999_999_999, time.UTC)
	far := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC) // "no deadline", past Unix nanoseconds
	return Order{Owner: "ACME", No: "SO1", Channel: "tmall", Shop: "旗舰店", Platform: "TB", PlatformOrderIDs: []string{"P1", "P2"},
		Recipient: Recipient{Name: "张三", Phone: "13800000000", Address: "上海市"},
		Lines: []OrderLine{{SKU: "MILK", Qty: 3, PlatformOrderID: "P1", PlatformSubOrderID: "S1",
			Parts:  []LinePart{{PlatformOrderID: "P1", PlatformSubOrderID: "S1", Qty: 1}, {PlatformOrderID: "P2", Qty: 2}},
			Allocs: []Alloc{{Lot: "L1", Expiry: "2027-01-01", Location: "A01-01-01", Qty: 2, Picked: 1}, {Location: "A01-01-02", Qty: 1}},
			Picked: 1, Short: 1, Backordered: 1}, {SKU: "BOOK", Qty: 1}},
		Priority: 9, Carrier: "SF", ShipBy: &far, Notes: "易碎", State: OrderPicking, Wave: "W7", Tote: "T00001",
		Received: at, Updated: at.Add(time.Minute), Source: "erp", Digest: "abc123", CancelReason: "客户取消",
		Held: true, HoldReason: "地址有误", Holds: 2, Steps: []OrderStep{{Step: "new", At: at}, {Step: StepHeld, At: at.Add(time.Second)}}}
}

// Every field is set in the full records: a field added to Order or Task
// later must be added there (and to the codec), or this fails and says so.
func TestFullRecordsSetEveryField(t *testing.T) {
	for _, v := range []reflect.Value{reflect.ValueOf(fullTask()), reflect.ValueOf(fullOrder()),
		reflect.ValueOf(fullTask().Lines[0]), reflect.ValueOf(fullTask().Picks[0]), reflect.ValueOf(fullTask().Orders[0]),
		reflect.ValueOf(fullOrder().Lines[0]), reflect.ValueOf(fullOrder().Lines[0].Allocs[0]), reflect.ValueOf(fullOrder().Lines[0].Parts[0])} {
		for i := range v.NumField() {
			if v.Field(i).IsZero() {
				t.Errorf("the full %s leaves %s unset", v.Type().Name(), v.Type().Field(i).Name)
			}
		}
	}
}

// A record reads back as it was put, its JSON (the API's answers) is the
// same, and the bytes are the same every time.
func TestProjectionCodecsRoundTrip(t *testing.T) {
	empty := Order{Lines: []OrderLine{}}
	for _, o := range []Order{fullOrder(), {}, empty} {
		raw := encodeOrder(&o)
		got, err := decodeOrder(raw)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, o) {
			t.Errorf("order reads back changed:\n%+v\n%+v", o, got)
		}
		j1, _ := json.Marshal(o)
		j2, _ := json.Marshal(got)
		if !bytes.Equal(j1, j2) {
			t.Errorf("order JSON changed:\n%s\n%s", j1, j2)
		}
		if again := encodeOrder(&got); !bytes.Equal(again, raw) {
			t.Errorf("order encodes differently the second time")
		}
	}
	for _, task := range []Task{fullTask(), {}} {
		raw := encodeTask(&task)
		got, err := decodeTask(raw)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, task) {
			t.Errorf("task reads back changed:\n%+v\n%+v", task, got)
		}
		j1, _ := json.Marshal(task)
		j2, _ := json.Marshal(got)
		if !bytes.Equal(j1, j2) {
			t.Errorf("task JSON changed:\n%s\n%s", j1, j2)
		}
		if again := encodeTask(&got); !bytes.Equal(again, raw) {
			t.Errorf("task encodes differently the second time")
		}
	}
}

// A value cut short, with bytes left over, of the other kind or in JSON
// (the form before) is refused, never read as something else.
func TestProjectionCodecsRefuseDamage(t *testing.T) {
	o, task := fullOrder(), fullTask()
	ro, rt := encodeOrder(&o), encodeTask(&task)
	jo, _ := json.Marshal(o)
	for name, v := range map[string][]byte{"empty": nil, "short": ro[:len(ro)-1], "long": append(bytes.Clone(ro), 0), "task": rt, "json": jo} {
		if _, err := decodeOrder(v); err == nil {
			t.Errorf("order %s read", name)
		}
	}
	jt, _ := json.Marshal(task)
	for name, v := range map[string][]byte{"empty": nil, "short": rt[:len(rt)-1], "long": append(bytes.Clone(rt), 0), "order": ro, "json": jt} {
		if _, err := decodeTask(v); err == nil {
			t.Errorf("task %s read", name)
		}
	}
	// a list longer than the bytes left allocates nothing
	if _, err := decodeTask([]byte{taskCodecV1, 0, 0, 0, 0, 0, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff, 0x0f}); err == nil {
		t.Error("a task with a huge list read")
	}
}

func FuzzOrderCodec(f *testing.F) {
	o := fullOrder()
	f.Add(encodeOrder(&o))
	f.Add(encodeOrder(&Order{}))
	f.Add([]byte{orderCodecV1})
	f.Fuzz(func(t *testing.T, raw []byte) {
		o, err := decodeOrder(raw)
		if err != nil {
			return
		}
		enc := encodeOrder(&o)
		again, err := decodeOrder(enc)
		if err != nil || !reflect.DeepEqual(again, o) {
			t.Fatalf("an order read does not read back: %v\n%+v\n%+v", err, o, again)
		}
		if !bytes.Equal(encodeOrder(&again), enc) {
			t.Fatal("an order encodes two ways")
		}
	})
}

func FuzzTaskCodec(f *testing.F) {
	task := fullTask()
	f.Add(encodeTask(&task))
	f.Add(encodeTask(&Task{}))
	f.Add([]byte{taskCodecV1})
	f.Fuzz(func(t *testing.T, raw []byte) {
		task, err := decodeTask(raw)
		if err != nil {
			return
		}
		enc := encodeTask(&task)
		again, err := decodeTask(enc)
		if err != nil || !reflect.DeepEqual(again, task) {
			t.Fatalf("a task read does not read back: %v\n%+v\n%+v", err, task, again)
		}
		if !bytes.Equal(encodeTask(&again), enc) {
			t.Fatal("a task encodes two ways")
		}
	})
}

// clusterTask is a cluster task of 12 orders of three lines, every line picked.
func clusterTask() Task {
	t := fullTask()
	t.Orders, t.Lines, t.Picks = nil, nil, nil
	for o := range 12 {
		no := fmt.Sprintf("SO%07d", o)
		t.Orders = append(t.Orders, TaskOrder{Order: no, Tote: fmt.Sprintf("T%05d", o)})
		for k := range 3 {
			n := len(t.Lines) + 1
			t.Lines = append(t.Lines, TaskLine{N: n, Owner: DefaultOwner, Order: no, SKU: fmt.Sprintf("B%03d", n), Name: "书 " + no,
				GTINs: []string{demoGTIN("690000", n)}, Location: fmt.Sprintf("A01-%02d-%02d", 1+n/3, 1+k), PickSeq: 10 * n, Qty: 1, Done: 1})
			t.Picks = append(t.Picks, PickRecord{Event: fmt.Sprintf("p%d", n), Line: n, Location: t.Lines[n-1].Location, Qty: 1, Completed: true})
		}
	}
	return t
}

// The cost of reading and writing back a cluster task and a three-line
// order, as a scan does, in the stored form and in JSON (the form before):
//
//	go test ./wms -run XXX -bench ProjectionCodecs
func BenchmarkProjectionCodecs(b *testing.B) {
	task, o := clusterTask(), fullOrder()
	o.Lines = append(o.Lines, o.Lines[0])
	rawT, rawO := encodeTask(&task), encodeOrder(&o)
	jsonT, _ := json.Marshal(task)
	jsonO, _ := json.Marshal(o)
	b.Run("task-36-lines/binary", func(b *testing.B) {
		for range b.N {
			t, err := decodeTask(rawT)
			if err != nil {
				b.Fatal(err)
			}
			_ = encodeTask(&t)
		}
		b.ReportMetric(float64(len(rawT)), "bytes")
	})
	b.Run("task-36-lines/json", func(b *testing.B) {
		for range b.N {
			var t Task
			if err := json.Unmarshal(jsonT, &t); err != nil {
				b.Fatal(err)
			}
			_, _ = json.Marshal(&t)
		}
		b.ReportMetric(float64(len(jsonT)), "bytes")
	})
	b.Run("order-3-lines/binary", func(b *testing.B) {
		for range b.N {
			v, err := decodeOrder(rawO)
			if err != nil {
				b.Fatal(err)
			}
			_ = encodeOrder(&v)
		}
		b.ReportMetric(float64(len(rawO)), "bytes")
	})
	b.Run("order-3-lines/json", func(b *testing.B) {
		for range b.N {
			var v Order
			if err := json.Unmarshal(jsonO, &v); err != nil {
				b.Fatal(err)
			}
			_, _ = json.Marshal(&v)
		}
		b.ReportMetric(float64(len(jsonO)), "bytes")
	})
}

// A key record is written as json.Marshal writes it, answer and all.
func TestKeyRecordJSON(t *testing.T) {
	task := clusterTask()
	task.Lines[0].Name = `<书> & "引号"` // escaped by json.Marshal, and left so
	answer, err := json.Marshal(task)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []json.RawMessage{answer, json.RawMessage(`{"id":"W1"}`), json.RawMessage(`null`), nil} {
		r := keyRecord{Actor: "B1001", Type: EvPicked, Target: "W1-1", Digest: "d", Seq: 7, Answer: a}
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := keyRecordJSON(r)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("key record:\n%s\nwant\n%s (%v)", got, want, err)
		}
	}
}
