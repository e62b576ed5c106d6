package wms

import (
	"cmp"
	"encoding/json"
	"slices"
)

// On-hand stock is what the warehouse holds for an owner, per SKU and lot,
// wherever it is: on shelves (held and quarantined lots included), picked
// into totes and parcels not yet shipped, and on its way back to a shelf
// after a cancellation. It is what an upstream's books should say, and it
// changes only by the events that go upstream: StockEffect says by how much,
// so an OMS that folds every pushed event by it holds the warehouse's
// figures (the protocol's "stock from events", docs/sync.md), and
// reconciliation compares exactly that.

// OnHandLine is a quantity of one owner's SKU and lot (Lot empty for a SKU
// without lots).
type OnHandLine struct {
	Owner string `json:"owner"`
	SKU   string `json:"sku"`
	Lot   string `json:"lot,omitempty"`
	Qty   int64  `json:"qty"`
}

// StockKey names one owner's SKU and lot.
type StockKey struct{ Owner, SKU, Lot string }

// OnHand is an owner's on-hand stock per SKU and lot ("" is every owner's),
// sorted by owner, SKU and lot; lines of zero are left out.
func (l *Ledger) OnHand(owner string) (out []OnHandLine, err error) {
	err = l.view(func(tx *txn) error {
		m, err := onHandTx(tx, owner)
		out = sortedLines(m)
		return err
	})
	return out, err
}

func onHandTx(tx *txn, owner string) (map[StockKey]int64, error) {
	m := map[StockKey]int64{}
	c := tx.Bucket(bucketStock).Cursor()
	var p []byte
	if owner != "" {
		p = prefixKey(owner)
	}
	for k, v := c.Seek(p); k != nil && hasPrefix(k, p); k, v = c.Next() {
		parts := splitKey(k)
		m[StockKey{parts[0], parts[1], parts[2]}] += qtyFromValue(v)
	}
	err := unitsAwayTx(tx, owner, func(k StockKey, q int64) { m[k] += q })
	return m, err
}

// unitsAwayTx calls fn for every unit on hand but off the shelves ("" is
// every owner's): picked into open orders' totes and parcels, and picked
// units of cancelled orders on open put-back tasks. It is the one home of
// what OnHand counts besides stock; a lot with units away has not "nothing
// left" (lotIdle).
func unitsAwayTx(tx *txn, owner string, fn func(StockKey, int64)) error {
	for _, st := range []OrderState{OrderNew, OrderAllocated, OrderPicking, OrderPicked, OrderPacked} {
		sc := tx.Bucket(bucketOrderState).Cursor()
		sp := prefixKey(string(st))
		if owner != "" {
			sp = prefixKey(string(st), owner)
		}
		for k, _ := sc.Seek(sp); k != nil && hasPrefix(k, sp); k, _ = sc.Next() {
			parts := splitKey(k)
			o, err := orderTx(tx, parts[1], parts[2])
			if err != nil {
				return err
			}
			for _, line := range o.Lines {
				for _, a := range line.Allocs {
					if a.Picked != 0 {
						fn(StockKey{o.Owner, line.SKU, a.Lot}, a.Picked)
					}
				}
			}
		}
	}
	return tx.Bucket(bucketTasks).ForEach(func(k, v []byte) error {
		t, err := decodeTask(v)
		if err != nil {
			return &DamagedRecordError{Bucket: string(bucketTasks), Key: string(k), Err: err}
		}
		if t.Kind != TaskPutBack || t.State == TaskDone || t.State == TaskCancelled {
			return nil
		}
		for _, line := range t.Lines {
			lo := OwnerOr(line.Owner)
			if open := line.Open(); open > 0 && (owner == "" || lo == owner) {
				fn(StockKey{lo, line.SKU, line.Lot}, open)
			}
		}
		return nil
	})
}

func sortedLines(m map[StockKey]int64) []OnHandLine {
	out := make([]OnHandLine, 0, len(m))
	for k, q := range m {
		if q != 0 {
			out = append(out, OnHandLine{Owner: k.Owner, SKU: k.SKU, Lot: k.Lot, Qty: q})
		}
	}
	slices.SortFunc(out, func(a, b OnHandLine) int {
		return cmp.Or(cmp.Compare(a.Owner, b.Owner), cmp.Compare(a.SKU, b.SKU), cmp.Compare(a.Lot, b.Lot))
	})
	return out
}

// StockEffect is how one pushed event changes on-hand stock, as an upstream
// receives it: its type, its envelope's owner and its data (the outward
// shape as JSON). Types that change no stock give nothing.
func StockEffect(typ, owner string, data json.RawMessage) ([]OnHandLine, error) {
	spec, ok := specs[typ]
	if !ok || spec.Outward == nil {
		return nil, Errf(CodeInvalid, "event.type_unknown", "type", clipText(typ))
	}
	switch typ {
	case EvImported, EvStockAdjusted, EvReceived, EvCounted, EvCountDecided, EvShipped, EvReturnReceived, EvStockReconciled:
	default:
		return nil, nil
	}
	var shape any
	switch typ {
	case EvImported:
		shape = &OutOpeningStock{}
	case EvStockAdjusted:
		shape = &OutStockChange{}
	case EvReceived:
		shape = &OutReceived{}
	case EvCounted, EvCountDecided:
		shape = &OutCountAdjusted{}
	case EvShipped:
		shape = &OutShipment{}
	case EvReturnReceived:
		shape = &OutReturn{}
	case EvStockReconciled:
		shape = &OutReconciled{}
	}
	if err := json.Unmarshal(data, shape); err != nil {
		return nil, Errf(CodeInvalid, "event.payload_invalid", "type", typ, "detail", err.Error())
	}
	return stockEffectOf(OwnerOr(owner), shape), nil
}

// stockEffectOf is StockEffect of a decoded shape: the one home of which
// outward facts move on-hand stock.
//   - opening stock, receipts, stock changes, count variances and
//     reconciliations add what they say;
//   - a shipment takes away what its parcels hold;
//   - a return parcel adds every line that came back (all but "missing");
//     a parcel matched to its order later (return.matched) adds nothing:
//     its units were counted when it was booked;
//   - lot statuses, expiries, receipt closes and refusals, order
//     acceptances and cancellations, refused changes move nothing.
func stockEffectOf(owner string, shape any) []OnHandLine {
	var out []OnHandLine
	add := func(o, sku, lot string, q int64) {
		if q != 0 {
			out = append(out, OnHandLine{Owner: OwnerOr(o), SKU: sku, Lot: lot, Qty: q})
		}
	}
	switch d := shape.(type) {
	case *OutOpeningStock:
		for _, l := range d.Lines {
			add(l.Owner, l.SKU, l.Lot, l.Qty)
		}
	case *OutStockChange:
		add(owner, d.SKU, d.Lot, d.Delta)
	case *OutReceived:
		add(owner, d.SKU, d.Lot, d.Qty)
	case *OutCountAdjusted:
		for _, l := range d.Lines {
			add(l.Owner, l.SKU, l.Lot, l.Delta)
		}
	case *OutShipment:
		for _, p := range d.Parcels {
			for _, it := range p.Items {
				add(owner, it.SKU, it.Lot, -it.Qty)
			}
		}
	case *OutReturn:
		for _, l := range d.Lines {
			if l.Condition != CondMissing {
				add(owner, l.SKU, l.Lot, l.Qty)
			}
		}
	case *OutReconciled:
		for _, l := range d.Lines {
			add(owner, l.SKU, l.Lot, l.Delta)
		}
	}
	return out
}

// outwardEffect is StockEffect of an outward event as the ledger makes it.
func outwardEffect(o Outward) []OnHandLine {
	switch d := o.Data.(type) {
	case OutOpeningStock:
		return stockEffectOf(o.Owner, &d)
	case OutStockChange:
		return stockEffectOf(o.Owner, &d)
	case OutReceived:
		return stockEffectOf(o.Owner, &d)
	case OutCountAdjusted:
		if o.Type == EvCounted || o.Type == EvCountDecided {
			return stockEffectOf(o.Owner, &d)
		}
	case OutShipment:
		return stockEffectOf(o.Owner, &d)
	case OutReturn:
		if o.Type == EvReturnReceived {
			return stockEffectOf(o.Owner, &d)
		}
	case OutReconciled:
		return stockEffectOf(o.Owner, &d)
	}
	return nil
}
