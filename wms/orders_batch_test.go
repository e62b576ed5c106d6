package wms

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// A batch answers each order on its own, in the order sent; refused orders
// write nothing and leave the others as they are.
func TestReceiveOrdersAnswersEachOrder(t *testing.T) {
	l, _ := openTest(t)
	seedSmall(t, l)
	sent := mustOrder(t, l, order("SO-B0", LineIn{"BOOK", 1})) // sent alone before
	long := order("SO-B5", LineIn{"BOOK", 1})
	long.Notes = strings.Repeat("备", 501)
	noRecipient := order("SO-B3", LineIn{"BOOK", 1})
	noRecipient.Recipient.Phone = ""
	batch := []OrderIntake{
		order("SO-B1", LineIn{"BOOK", 1}, LineIn{"MILK", 2}),
		order("SO-B1", LineIn{"BOOK", 1}, LineIn{"MILK", 2}), // the same again in the batch
		order("SO-B0", LineIn{"BOOK", 1}),                    // the same as sent alone
		noRecipient,
		order("SO-B4", LineIn{"NOPE", 1}),
		long,
		order("SO-B6", LineIn{"BOOK", 0}),
		order("SO-B7", LineIn{"MILK", 3}),
	}
	before := l.LastSeq()
	res, err := l.ReceiveOrders(ctx, "", batch, "oms", "api")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ no, result, key string }{
		{"SO-B1", BatchCreated, ""}, {"SO-B1", BatchDuplicate, ""}, {"SO-B0", BatchDuplicate, ""},
		{"SO-B3", BatchRefused, "order.recipient_invalid"}, {"SO-B4", BatchRefused, "sku.not_found"},
		{"SO-B5", BatchRefused, "order.too_long"}, {"SO-B6", BatchRefused, "order.qty_invalid"}, {"SO-B7", BatchCreated, ""},
	}
	if len(res.Orders) != len(want) {
		t.Fatalf("%d answers for %d orders: %+v", len(res.Orders), len(want), res)
	}
	for i, w := range want {
		got := res.Orders[i]
		key := ""
		if got.Error != nil {
			key = got.Error.Key
		}
		if got.No != w.no || got.Result != w.result || key != w.key || got.Owner != DefaultOwner {
			t.Errorf("order %d: %+v %+v, want %+v", i, got, got.Error, w)
		}
	}
	if res.Created != 2 || res.Duplicates != 2 || res.Refused != 4 {
		t.Errorf("counts %d %d %d", res.Created, res.Duplicates, res.Refused)
	}
	if l.LastSeq() != before+2 || res.LastSeq != before+2 {
		t.Errorf("appended %d events (last %d), want the 2 created", l.LastSeq()-before, res.LastSeq)
	}
	for _, no := range []string{"SO-B3", "SO-B4", "SO-B5", "SO-B6"} {
		if _, err := l.Order(no); ErrorCode(err) != CodeNotFound {
			t.Errorf("refused %s was stored: %v", no, err)
		}
	}
	if o, err := l.Order("SO-B1"); err != nil || len(o.Lines) != 2 || o.State != OrderNew {
		t.Errorf("SO-B1: %+v %v", o, err)
	}
	if o, _ := l.Order("SO-B0"); o.Digest != sent.Digest || !o.Received.Equal(sent.Received) {
		t.Errorf("SO-B0 changed: %+v", o)
	}
	// sent alone afterwards, a batch's order is the same order
	if _, dup, err := l.ReceiveOrder(ctx, "", order("SO-B7", LineIn{"MILK", 3}), "oms", "api"); err != nil || !dup {
		t.Errorf("SO-B7 alone: dup %v %v", dup, err)
	}
	// an order the warehouse has started on is refused, not changed
	w, err := l.ReleaseWave(ctx, WaveFilter{Mode: WaveSingle}, "w-b", "B4001", "web")
	if err != nil || len(w.Orders) == 0 {
		t.Fatalf("wave %+v: %v", w, err)
	}
	res, err = l.ReceiveOrders(ctx, "", []OrderIntake{order(w.Orders[0], LineIn{"BOOK", 5}), order("SO-B8", LineIn{"BOOK", 1})}, "oms", "api")
	if err != nil || res.Orders[0].Result != BatchRefused || res.Orders[0].Error.Key != "order.locked" || res.Orders[1].Result != BatchCreated {
		t.Errorf("locked order in a batch: %+v %v", res, err)
	}
}

// The batch's key: a repeat answers as the first whatever changed since;
// the key with another batch, or for one order, is refused; a batch over
// the limit is refused whole and stores nothing.
func TestReceiveOrdersKey(t *testing.T) {
	l, _ := openTest(t)
	seedSmall(t, l)
	batch := []OrderIntake{order("SO-K1", LineIn{"BOOK", 1}), order("SO-K2", LineIn{"NOPE", 1})}
	first, err := l.ReceiveOrders(ctx, "orders:k1", batch, "oms", "api")
	if err != nil || first.Created != 1 || first.Refused != 1 {
		t.Fatalf("first: %+v %v", first, err)
	}
	if _, err := l.CancelOrder(ctx, "SO-K1", "buyer", "", "B4001", "test"); err != nil {
		t.Fatal(err)
	}
	seq := l.LastSeq()
	again, err := l.ReceiveOrders(ctx, "orders:k1", batch, "oms", "api")
	if err != nil || !reflect.DeepEqual(again, first) || l.LastSeq() != seq {
		t.Errorf("repeat: %+v %v, first %+v", again, err, first)
	}
	changed := []OrderIntake{order("SO-K1", LineIn{"BOOK", 2}), order("SO-K2", LineIn{"NOPE", 1})}
	if _, err := l.ReceiveOrders(ctx, "orders:k1", changed, "oms", "api"); !isKey(err, "key.changed") {
		t.Errorf("changed batch: %v", err)
	}
	if _, err := l.ReceiveOrders(ctx, "orders:k1", batch, "other", "api"); !isKey(err, "key.other_actor") {
		t.Errorf("another sender: %v", err)
	}
	if _, _, err := l.ReceiveOrder(ctx, "orders:k1", order("SO-K1", LineIn{"BOOK", 1}), "oms", "api"); !isKey(err, "key.other_request") {
		t.Errorf("the batch's key for one order: %v", err)
	}
	// a batch with nothing created keeps its first answer too
	none := []OrderIntake{order("SO-K3", LineIn{"LATER", 1})}
	if res, err := l.ReceiveOrders(ctx, "orders:k3", none, "oms", "api"); err != nil || res.Refused != 1 {
		t.Fatalf("refused batch: %+v %v", res, err)
	}
	mustAppend(t, l, "sku-later", EvSKUUpserted, SKU{Code: "LATER", Name: "后来的商品"})
	if res, err := l.ReceiveOrders(ctx, "orders:k3", none, "oms", "api"); err != nil || res.Refused != 1 || res.Created != 0 {
		t.Errorf("repeat of a refused batch: %+v %v", res, err)
	}

	seq = l.LastSeq()
	big := make([]OrderIntake, MaxBatchOrders+1)
	for i := range big {
		big[i] = order(fmt.Sprintf("SO-L%04d", i), LineIn{"BOOK", 1})
	}
	if _, err := l.ReceiveOrders(ctx, "orders:big", big, "oms", "api"); !isKey(err, "orders.batch_too_many") {
		t.Errorf("%d orders: %v", len(big), err)
	}
	if _, err := l.ReceiveOrders(ctx, "", nil, "oms", "api"); !isKey(err, "orders.batch_empty") {
		t.Errorf("no orders: %v", err)
	}
	if l.LastSeq() != seq {
		t.Errorf("a refused batch appended %d events", l.LastSeq()-seq)
	}
	if _, err := l.Order("SO-L0000"); ErrorCode(err) != CodeNotFound {
		t.Errorf("an order of a refused batch was stored: %v", err)
	}
	// the whole limit goes in one batch
	res, err := l.ReceiveOrders(ctx, "orders:full", big[:MaxBatchOrders], "oms", "api")
	if err != nil || res.Created != MaxBatchOrders {
		t.Errorf("%d orders: created %d, %v", MaxBatchOrders, res.Created, err)
	}
}

func isKey(err error, key string) bool {
	var e *Error
	return errors.As(err, &e) && e.Key == key
}

// Batches of orders for a SKU while pickers scan it and its stock is
// adjusted: each writer's events land whole, and the projections equal a
// rebuild of the log (openTest's check).
func TestReceiveOrdersRacesScans(t *testing.T) {
	l, _ := openTest(t)
	seedSmall(t, l)
	mustAppend(t, l, "st-big", EvStockAdjusted, StockAdjustment{SKU: "BOOK", Location: "A01-01-02", Delta: 100000, Reason: "test"})
	for i := range 40 {
		mustOrder(t, l, order(fmt.Sprintf("SO-P%03d", i), LineIn{"BOOK", 2}))
	}
	if _, err := l.ReleaseWave(ctx, WaveFilter{Mode: WaveSingle}, "w-race", "B4001", "web"); err != nil {
		t.Fatal(err)
	}
	const batches, size = 6, 150
	var wg sync.WaitGroup
	errs := make(chan error, batches+2)
	picks := 0
	wg.Add(1)
	go func() { // a picker working through the wave, one unit a scan
		defer wg.Done()
		for {
			task, err := l.NextTask(ctx, "B1001", "pda")
			if err != nil {
				return // no more tasks
			}
			for {
				line, ok := task.NextLine()
				if !ok {
					break
				}
				raw, _, err := l.Pick(ctx, fmt.Sprintf("pick-%d", picks), PickScan{Task: task.ID, Line: line.N, Location: line.Location,
					Items: []ScannedItem{{GTIN: line.GTINs[0]}}, Qty: 1}, "B1001", "pda")
				if err != nil {
					errs <- fmt.Errorf("pick %d: %w", picks, err)
					return
				}
				picks++
				task = asTask(t, raw)
			}
		}
	}()
	wg.Add(1)
	go func() { // stock counted and adjusted meanwhile
		defer wg.Done()
		for i := range 60 {
			ev, _ := NewEvent(fmt.Sprintf("adj-%d", i), EvStockAdjusted, "B3001", "pda", StockAdjustment{SKU: "BOOK", Location: "A01-01-01", Delta: 1, Reason: "found"})
			if _, _, err := l.Append(ctx, ev); err != nil {
				errs <- err
				return
			}
		}
	}()
	for b := range batches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := make([]OrderIntake, size)
			for i := range in {
				in[i] = order(fmt.Sprintf("SO-R%d-%03d", b, i), LineIn{"BOOK", 1})
			}
			res, err := l.ReceiveOrders(ctx, fmt.Sprintf("orders:race-%d", b), in, "oms", "api")
			if err == nil && res.Created != size {
				err = fmt.Errorf("batch %d created %d of %d", b, res.Created, size)
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if picks != 80 {
		t.Errorf("%d units picked, want 80", picks)
	}
	if n := len(mustOrdersInN(t, l, OrderNew, batches*size+10)); n != batches*size {
		t.Errorf("%d new orders, want %d", n, batches*size)
	}
}

func mustOrdersInN(t *testing.T, l *Ledger, s OrderState, limit int) []Order {
	t.Helper()
	out, err := l.OrdersIn(s, "", limit)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
