package wms

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// An order of MaxOrderLines lines is checked in linear time and one more
// is refused (order.too_many_lines), whether the lines are SKUs or the
// sub-orders of one SKU; a CSV file of one order in MaxOrderLines rows
// imports in seconds, and its next row is refused on its own.
func TestOrderLinesBounded(t *testing.T) {
	in := order("SO-BIG")
	for i := range MaxOrderLines {
		in.Lines = append(in.Lines, OrderLineIn{LineIn: LineIn{SKU: fmt.Sprintf("SKU%07d", i), Qty: 1}})
	}
	start := time.Now()
	if err := in.Validate(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("%d lines checked in %v", MaxOrderLines, d)
	}
	in.Lines = append(in.Lines, OrderLineIn{LineIn: LineIn{SKU: "ONE-MORE", Qty: 1}})
	if err := in.checkSize(); errKey(err) != "order.too_many_lines" {
		t.Fatalf("%d lines: %v", len(in.Lines), err)
	}

	l, _ := openTest(t)
	seedSmall(t, l)
	rows := func(n int) []byte {
		var b strings.Builder
		b.WriteString("no,channel,name,phone,address,sku,qty,platform_sub_order_id\n")
		for i := range n {
			fmt.Fprintf(&b, "SO-ROWS%d,tmall,王芳,13800138000,杭州,BOOK,1,S%07d\n", n, i)
		}
		return []byte(b.String())
	}
	start = time.Now()
	res, err := l.Import(ctx, "imp-max", ImportOrders, "f.csv", rows(MaxOrderLines), "admin", "web")
	if err != nil || res.Rows != 1 || res.BadRows != 0 {
		t.Fatalf("%d rows: %+v %v", MaxOrderLines, res, err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("one order of %d rows imported in %v", MaxOrderLines, d)
	}
	o, err := l.Order(fmt.Sprintf("SO-ROWS%d", MaxOrderLines))
	if err != nil || len(o.Lines) != 1 || o.Lines[0].Qty != MaxOrderLines {
		t.Fatalf("the order: %+v %v", o.Lines, err)
	}
	_, err = l.Import(ctx, "imp-over", ImportOrders, "f.csv", rows(MaxOrderLines+1), "admin", "web")
	if !strings.Contains(errString(err), "order.too_many_lines") && errKey(err) != "import.rows_invalid" {
		t.Fatalf("%d rows: %v", MaxOrderLines+1, err)
	}
	if _, err := l.Order(fmt.Sprintf("SO-ROWS%d", MaxOrderLines+1)); ErrorCode(err) != CodeNotFound {
		t.Fatalf("a refused file stored its order: %v", err)
	}
	// rows of one SKU and no sub-order count each too, as the API's lines do
	var same strings.Builder
	same.WriteString("no,channel,name,phone,address,sku,qty\n")
	for range MaxOrderLines + 1 {
		same.WriteString("SO-SAME,tmall,王芳,13800138000,杭州,BOOK,1\n")
	}
	if _, err := l.Import(ctx, "imp-same", ImportOrders, "f.csv", []byte(same.String()), "admin", "web"); err == nil {
		t.Fatal("an order of 1,001 rows of one SKU was taken")
	}
	// rows past the limit are refused as they come, not checked again and again
	start = time.Now()
	if _, err := l.Import(ctx, "imp-many", ImportOrders, "f.csv", rows(40*MaxOrderLines), "admin", "web"); err == nil {
		t.Fatal("an order of 40,000 rows was taken")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("an order of 40,000 rows refused in %v", d)
	}
}

// The limit is intake's: an order taken before it (a stored event of more
// lines) still applies, rebuilds and checks.
func TestOrderOfManyLinesStoredBeforeTheLimitReplays(t *testing.T) {
	l, _ := openTest(t)
	seedSmall(t, l)
	in := order("SO-OLD-BIG")
	for i := range MaxOrderLines + 500 {
		in.Lines = append(in.Lines, OrderLineIn{LineIn: LineIn{SKU: "BOOK", Qty: 1}, PlatformSubOrderID: fmt.Sprintf("S%05d", i)})
	}
	mustAppend(t, l, "order:SO-OLD-BIG:old", EvOrderReceived, in)
	if err := l.Rebuild(); err != nil {
		t.Fatal(err)
	}
	if mm, err := l.Check(""); err != nil || len(mm) > 0 {
		t.Fatalf("check: %v %v", mm, err)
	}
	o, err := l.Order("SO-OLD-BIG")
	if err != nil || len(o.Lines) != 1 || o.Lines[0].Qty != MaxOrderLines+500 {
		t.Fatalf("%+v %v", o.Lines, err)
	}
}

// An order whose owner code and number are long (each within its limit)
// is taken, alone and in a batch: its event ID is within MaxEventID.
func TestLongOwnerAndNumberTaken(t *testing.T) {
	l, _ := openTest(t)
	seedSmall(t, l)
	owner := strings.Repeat("O", 64)
	if _, err := l.SaveOwner(ctx, "own1", Owner{Code: owner, Name: "Long owner"}, "admin", "web"); err != nil {
		t.Fatal(err)
	}
	ev, err := NewEvent("s-owned", EvSKUUpserted, "B1001", "test", SKU{Owner: owner, Code: "BOOK", Name: "三体", UnitWeightG: 600})
	if err != nil {
		t.Fatal(err)
	}
	ev.Owner = owner
	if _, _, err := l.Append(ctx, ev); err != nil {
		t.Fatal(err)
	}
	in := order(strings.Repeat("N", 64), LineIn{"BOOK", 1})
	in.Owner = owner
	if _, _, err := l.ReceiveOrder(ctx, strings.Repeat("k", 128), in, "oms", "api"); err != nil {
		t.Fatalf("alone: %v", err)
	}
	in.No = strings.Repeat("M", 64)
	res, err := l.ReceiveOrders(ctx, "orders:"+strings.Repeat("b", 128), []OrderIntake{in}, "oms", "api")
	if err != nil || res.Orders[0].Result != BatchCreated {
		t.Fatalf("in a batch: %+v %v", res, err)
	}
}

// An order taken before the limit, sent again (with its key, or the same
// content without one, alone or in a batch), is answered as before, not
// refused; a new order as big is refused.
func TestOrderTakenBeforeTheLimitAnsweredAgain(t *testing.T) {
	l, _ := openTest(t)
	seedSmall(t, l)
	big := func(no string) OrderIntake {
		in := order(no)
		for i := range MaxOrderLines + 500 {
			in.Lines = append(in.Lines, OrderLineIn{LineIn: LineIn{SKU: "BOOK", Qty: 1}, PlatformSubOrderID: fmt.Sprintf("S%05d", i)})
		}
		return in
	}
	// stored as ReceiveOrder stored it before the limit: its ID is the
	// order's number and content digest
	stored := big("SO-OLD-BIG")
	if err := stored.Validate(); err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(stored)
	if err != nil {
		t.Fatal(err)
	}
	ev := mustAppend(t, l, "order:SO-OLD-BIG:"+payloadDigest(payload), EvOrderReceived, stored)
	o, err := l.Order("SO-OLD-BIG")
	if err != nil {
		t.Fatal(err)
	}
	d, _ := digestOf(func() OrderIntake { in := big("SO-OLD-BIG"); _ = in.Validate(); return in }())
	ans, _ := json.Marshal(orderReceived{Order: o})
	if err := l.write(func(tx *txn) error {
		return putKey(tx, "oms-key-1", ev, keyRecord{Actor: "oms", Type: EvOrderReceived, Target: OrderRef(DefaultOwner, "SO-OLD-BIG"), Digest: d, Seq: ev.Seq, Answer: ans}, false)
	}); err != nil {
		t.Fatal(err)
	}
	seq := l.LastSeq()
	if _, _, err := l.ReceiveOrder(ctx, "oms-key-1", big("SO-OLD-BIG"), "oms", "api"); err != nil {
		t.Errorf("a retry with its key: %v", err)
	}
	if _, dup, err := l.ReceiveOrder(ctx, "", big("SO-OLD-BIG"), "oms", "api"); err != nil || !dup {
		t.Errorf("the same order again without a key: dup %v %v", dup, err)
	}
	if _, dup, err := l.ReceiveOrder(ctx, "new-key", big("SO-OLD-BIG"), "oms", "api"); err != nil || !dup {
		t.Errorf("the same order again with a new key: dup %v %v", dup, err)
	}
	res, err := l.ReceiveOrders(ctx, "", []OrderIntake{big("SO-OLD-BIG"), big("SO-NEW-BIG")}, "oms", "api")
	if err != nil || res.Orders[0].Result != BatchDuplicate || res.Orders[1].Result != BatchRefused || res.Orders[1].Error.Key != "order.too_many_lines" {
		t.Fatalf("in a batch: %+v %v", res.Orders, err)
	}
	if _, _, err := l.ReceiveOrder(ctx, "", big("SO-NEW-BIG"), "oms", "api"); errKey(err) != "order.too_many_lines" {
		t.Fatalf("a new order as big: %v", err)
	}
	if l.LastSeq() != seq {
		t.Fatalf("%d events appended", l.LastSeq()-seq)
	}
}

// An orders CSV with one order past the limit says so once, with the
// order's full count, and still lists another order's fault.
func TestOrdersCSVOverTheLimitSaysItOnce(t *testing.T) {
	l, _ := openTest(t)
	seedSmall(t, l)
	var b strings.Builder
	b.WriteString("no,channel,name,phone,address,sku,qty,platform_sub_order_id\n")
	for i := range 5000 {
		fmt.Fprintf(&b, "SO-BIG,tmall,王芳,13800138000,杭州,BOOK,1,S%07d\n", i)
	}
	b.WriteString("SO-OTHER,tmall,王芳,13800138000,杭州,NO-SUCH-SKU,1,\n")
	res, err := l.Import(ctx, "imp-x", ImportOrders, "f.csv", []byte(b.String()), "admin", "web")
	if err == nil {
		t.Fatal("taken")
	}
	var keys []string
	for _, e := range res.Errors {
		keys = append(keys, e.Key)
		if e.Key == "order.too_many_lines" && e.Args["lines"] != "5000" {
			t.Errorf("the count: %v", e.Args)
		}
	}
	if strings.Join(keys, " ") != "order.too_many_lines sku.not_found" || res.BadRows != 2 {
		t.Fatalf("errors %v, %d bad rows", keys, res.BadRows)
	}
}
