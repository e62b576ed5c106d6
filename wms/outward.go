package wms

import (
	"time"
)

// What leaves the warehouse. An upstream (the OMS, an ERP, a marketplace)
// gets the facts of what happened on the floor — shipments with their
// parcels, waybills, lots and serials; stock changes with their reasons;
// receipts; returns with their conditions; count adjustments; lot holds and
// recalls; cancellations — never the warehouse's own decisions (allocations,
// reallocations, moves of reservations), version flags, PIN or session
// hashes. Each event type that goes upstream has an outward shape of its own,
// separate from its stored payload, made from the stored event (and, where
// the event does not say it, from the record it closed). The catalogue names
// the shape and the function; a type without one never goes upstream.

// Outward is what an event of a type that goes upstream says to an upstream:
// the envelope every shape shares and the shape itself.
type Outward struct {
	ID  string `json:"id"` // the event's ID, so the far side can drop repeats
	Seq uint64 `json:"seq"`
	// Epoch is the warehouse's epoch (standby.go): absent while it is 1, 2
	// after a standby was promoted, and so on; an upstream refuses an epoch
	// lower than the highest it has seen (the old primary's late events).
	Epoch uint64    `json:"epoch,omitempty"`
	Type  string    `json:"type"`
	At    time.Time `json:"at"`
	Owner string    `json:"owner,omitempty"` // the owner of an owner's event (OwnerOf)
	Data  any       `json:"data"`
	// Upstream, when set, is the only upstream the event is for (a refused
	// change, a reconciliation): see For.
	Upstream string `json:"-"`
}

// Outward returns what an event says upstream: ok is false for a type that
// never goes upstream, or an event of such a type that has nothing for one
// (an import of master data rather than stock, a count still waiting for
// approval).
func (l *Ledger) Outward(ev Event) (out Outward, ok bool, err error) {
	spec, known := specs[ev.Type]
	if !known {
		return Outward{}, false, Errf(CodeInvalid, "event.type_unknown", "type", ev.Type)
	}
	if spec.outward == nil {
		return Outward{}, false, nil
	}
	err = l.view(func(tx *txn) error {
		out, ok, err = outwardTx(tx, ev)
		return err
	})
	return out, ok, err
}

// outwardFn makes the outward shape of one event; it reads the ledger only
// for what the event does not say.
type outwardFn func(tx *txn, ev Event) (shape any, ok bool, err error)

// outward adapts a function of a stored payload to an outwardFn.
func outward[P, O any](f func(tx *txn, ev Event, p P) (O, bool, error)) outwardFn {
	return func(tx *txn, ev Event) (any, bool, error) {
		var p P
		if err := decode(&ev, &p); err != nil {
			return nil, false, err
		}
		o, ok, err := f(tx, ev, p)
		return o, ok, err
	}
}

// OutStockChange is stock that appeared or went away at the warehouse, with why.
type OutStockChange struct {
	SKU    string `json:"sku"`
	Lot    string `json:"lot,omitempty"`
	Expiry string `json:"expiry,omitempty"`
	Delta  int64  `json:"delta"`
	Reason string `json:"reason"`
}

func outStockAdjusted(_ *txn, _ Event, p StockAdjustment) (OutStockChange, bool, error) {
	return OutStockChange{SKU: p.SKU, Lot: p.Lot, Expiry: p.Expiry, Delta: p.Delta, Reason: p.Reason}, true, nil
}

// OutOpeningStock is a file of opening stock: what the warehouse holds when it starts.
type OutOpeningStock struct {
	File  string          `json:"file,omitempty"`
	Lines []OutStockCount `json:"lines"`
}

// OutStockCount is a quantity of one SKU's lot.
type OutStockCount struct {
	Owner  string `json:"owner"` // whose stock: a file may hold several owners'
	SKU    string `json:"sku"`
	Lot    string `json:"lot,omitempty"`
	Expiry string `json:"expiry,omitempty"`
	Qty    int64  `json:"qty"`
}

// outImported: only opening stock goes upstream; master data, orders,
// receipts and waybill numbers came from upstream or are the warehouse's own.
func outImported(_ *txn, _ Event, p Import) (OutOpeningStock, bool, error) {
	if p.Kind != ImportStock {
		return OutOpeningStock{}, false, nil
	}
	out := OutOpeningStock{File: p.File, Lines: []OutStockCount{}}
	for _, r := range p.Stock {
		out.Lines = append(out.Lines, OutStockCount{Owner: OwnerOr(r.Owner), SKU: r.SKU, Lot: r.Lot, Expiry: r.Expiry, Qty: r.Qty})
	}
	return out, true, nil
}

// OutOrderAccepted says the warehouse has taken an order in.
type OutOrderAccepted struct {
	Order   string      `json:"order"`
	Channel string      `json:"channel"`
	Shop    string      `json:"shop,omitempty"`
	Lines   []OutLineIn `json:"lines"`
}

// OutLineIn is a quantity of one SKU.
type OutLineIn struct {
	SKU string `json:"sku"`
	Qty int64  `json:"qty"`
}

func outOrderReceived(_ *txn, _ Event, p OrderIntake) (OutOrderAccepted, bool, error) {
	out := OutOrderAccepted{Order: p.No, Channel: p.Channel, Shop: p.Shop, Lines: []OutLineIn{}}
	for _, l := range p.Lines {
		out.Lines = append(out.Lines, OutLineIn{SKU: l.SKU, Qty: l.Qty})
	}
	return out, true, nil
}

// OutOrderCancelled is an order the warehouse will not ship.
type OutOrderCancelled struct {
	Order  string `json:"order"`
	Reason string `json:"reason"`
}

func outOrderCancelled(_ *txn, _ Event, p OrderCancel) (OutOrderCancelled, bool, error) {
	return OutOrderCancelled{Order: p.No, Reason: p.Reason}, true, nil
}

// OutLotStatus is a lot (or some of its serials) held, released or recalled.
type OutLotStatus struct {
	SKU     string    `json:"sku"`
	Lot     string    `json:"lot"`
	Status  LotStatus `json:"status"`
	Reason  string    `json:"reason"`
	Serials []string  `json:"serials,omitempty"`
}

func outLotStatus(_ *txn, _ Event, p LotStatusChange) (OutLotStatus, bool, error) {
	return OutLotStatus{SKU: p.SKU, Lot: p.Lot, Status: p.Status, Reason: p.Reason, Serials: p.Serials}, true, nil
}

// OutLotsExpired are the lots that passed their expiry date on a day.
type OutLotsExpired struct {
	Day  string      `json:"day"`
	Lots []OutLotRef `json:"lots"`
}

// OutLotRef names one lot of one SKU.
type OutLotRef struct {
	Owner string `json:"owner"` // whose lot: one sweep covers every owner
	SKU   string `json:"sku"`
	Lot   string `json:"lot"`
}

// outLotsSwept: a sweep that found nothing says nothing.
func outLotsSwept(_ *txn, _ Event, p LotsSwept) (OutLotsExpired, bool, error) {
	if len(p.Expired) == 0 {
		return OutLotsExpired{}, false, nil
	}
	out := OutLotsExpired{Day: p.Today}
	for _, r := range p.Expired {
		out.Lots = append(out.Lots, OutLotRef{Owner: OwnerOr(r.Owner), SKU: r.SKU, Lot: r.Lot})
	}
	return out, true, nil
}

// OutReceived is goods taken in against a receipt (ASN); quarantined goods
// are in the warehouse but not to be sold.
type OutReceived struct {
	Receipt     string `json:"receipt"`
	SKU         string `json:"sku"`
	Lot         string `json:"lot,omitempty"`
	Expiry      string `json:"expiry,omitempty"`
	Qty         int64  `json:"qty"`
	Quarantined bool   `json:"quarantined,omitempty"`
}

func outReceived(_ *txn, _ Event, p Receiving) (OutReceived, bool, error) {
	return OutReceived{Receipt: p.Receipt, SKU: p.SKU, Lot: p.Lot, Expiry: p.Expiry, Qty: p.Qty, Quarantined: p.Quarantined}, true, nil
}

// OutReceiptClosed is a receipt finished: what was expected and what came.
type OutReceiptClosed struct {
	Receipt string               `json:"receipt"`
	Lines   []OutReceiptVariance `json:"lines"`
}

// OutReceiptVariance is what was expected and what came of one SKU.
type OutReceiptVariance struct {
	SKU         string `json:"sku"`
	Expected    int64  `json:"expected"`
	Received    int64  `json:"received"`
	Quarantined int64  `json:"quarantined"`
}

// outReceiptClosed reads the receipt it closed: a closed receipt changes no more.
func outReceiptClosed(tx *txn, ev Event, p ReceiptClose) (OutReceiptClosed, bool, error) {
	r, err := mustGetReceipt(tx, OwnerOr(ev.Owner), p.Receipt) // live or archived (receiptarchive.go)
	if err != nil {
		return OutReceiptClosed{}, false, err
	}
	out := OutReceiptClosed{Receipt: r.ID, Lines: []OutReceiptVariance{}}
	for _, l := range r.Lines {
		out.Lines = append(out.Lines, OutReceiptVariance{SKU: l.SKU, Expected: l.Expected, Received: l.Received, Quarantined: l.Quarantined})
	}
	return out, true, nil
}

// OutReceiptRefused is goods of a delivery the warehouse would not take.
type OutReceiptRefused struct {
	Receipt string `json:"receipt"`
	SKU     string `json:"sku"`
	Lot     string `json:"lot,omitempty"`
	Expiry  string `json:"expiry,omitempty"`
	Qty     int64  `json:"qty"`
	Reason  string `json:"reason"`
}

func outReceiveRefused(_ *txn, _ Event, p ReceiveRefusal) (OutReceiptRefused, bool, error) {
	return OutReceiptRefused{Receipt: p.Receipt, SKU: p.SKU, Lot: p.Lot, Expiry: p.Expiry, Qty: p.Qty, Reason: p.Reason}, true, nil
}

// OutCountAdjusted is what a count found that the books did not say.
type OutCountAdjusted struct {
	Count string           `json:"count"`
	Lines []OutCountChange `json:"lines"`
}

// OutCountChange is one SKU's lot whose count differed from the books.
type OutCountChange struct {
	Owner   string `json:"owner"` // whose stock: a shelf may hold several owners'
	SKU     string `json:"sku"`
	Lot     string `json:"lot,omitempty"`
	Expiry  string `json:"expiry,omitempty"`
	Books   int64  `json:"books"`
	Counted int64  `json:"counted"`
	Delta   int64  `json:"delta"`
}

func countAdjusted(res CountResult) (OutCountAdjusted, bool) {
	out := OutCountAdjusted{Count: res.ID, Lines: []OutCountChange{}}
	for _, v := range res.Lines {
		if v.Counted != v.Books {
			out.Lines = append(out.Lines, OutCountChange{Owner: OwnerOr(v.Owner), SKU: v.SKU, Lot: v.Lot, Expiry: v.Expiry, Books: v.Books, Counted: v.Counted, Delta: v.Counted - v.Books})
		}
	}
	return out, len(out.Lines) > 0
}

// outCounted: a count applied at once (within the variance threshold)
// adjusts stock; one waiting for approval says nothing yet.
func outCounted(_ *txn, _ Event, p CountSubmit) (OutCountAdjusted, bool, error) {
	if p.Result == nil || p.Result.State != "applied" {
		return OutCountAdjusted{}, false, nil
	}
	out, ok := countAdjusted(*p.Result)
	return out, ok, nil
}

// outCountDecided reads the count it decided: an approved count adjusts
// stock, a rejected one changes nothing.
func outCountDecided(tx *txn, _ Event, p CountDecision) (OutCountAdjusted, bool, error) {
	if !p.Approve {
		return OutCountAdjusted{}, false, nil
	}
	res, err := mustGet[CountResult](tx, bucketCounts, []byte(p.Count), "count.not_found", "count", p.Count)
	if err != nil {
		return OutCountAdjusted{}, false, err
	}
	out, ok := countAdjusted(res)
	return out, ok, nil
}

// OutShipment is an order handed to the carrier: its parcels with their
// waybills and what each holds, lots and serials included.
type OutShipment struct {
	Order   string      `json:"order"`
	Carrier string      `json:"carrier,omitempty"`
	Parcels []OutParcel `json:"parcels"`
}

// OutParcel is one parcel of a shipment.
type OutParcel struct {
	N       int           `json:"n"`
	Waybill string        `json:"waybill"`
	Parent  string        `json:"parent,omitempty"` // the first parcel's waybill, for child parcels
	Box     string        `json:"box"`
	WeightG int           `json:"weight_g"`
	Items   []OutShipItem `json:"items"`
}

// OutShipItem is units of one SKU's lot in a parcel.
type OutShipItem struct {
	SKU     string   `json:"sku"`
	Lot     string   `json:"lot,omitempty"`
	Qty     int64    `json:"qty"`
	Serials []string `json:"serials,omitempty"`
}

// outShipped reads the order's parcels: a shipped order's parcels change no more.
func outShipped(tx *txn, ev Event, p ShipConfirm) (OutShipment, bool, error) {
	owner, err := ownerFor(&ev, p.Owner)
	if err != nil {
		return OutShipment{}, false, err
	}
	o, err := orderTx(tx, owner, p.Order)
	if err != nil {
		return OutShipment{}, false, err
	}
	ps, err := getPack(tx, owner, p.Order)
	if err != nil {
		return OutShipment{}, false, err
	}
	out := OutShipment{Order: p.Order, Carrier: o.Carrier, Parcels: []OutParcel{}}
	for _, pc := range ps.Parcels {
		op := OutParcel{N: pc.N, Waybill: pc.Waybill, Parent: pc.Parent, Box: pc.Box, WeightG: pc.WeightG, Items: []OutShipItem{}}
		for _, it := range pc.Items {
			//lint:ignore S1016 a shape is its own type: converting would tie it to the stored payload
			op.Items = append(op.Items, OutShipItem{SKU: it.SKU, Lot: it.Lot, Qty: it.Qty, Serials: it.Serials})
		}
		out.Parcels = append(out.Parcels, op)
	}
	return out, true, nil
}

// OutReturn is a returned parcel as booked: what came back and in what condition.
type OutReturn struct {
	Parcel        string          `json:"parcel"`
	Order         string          `json:"order,omitempty"` // empty until the parcel is matched to its order
	RMA           string          `json:"rma,omitempty"`
	ReturnWaybill string          `json:"return_waybill,omitempty"`
	Lines         []OutReturnLine `json:"lines"`
}

// OutReturnLine is units of one SKU that came back.
type OutReturnLine struct {
	SKU       string `json:"sku"`
	Lot       string `json:"lot,omitempty"`
	Serial    string `json:"serial,omitempty"`
	Qty       int64  `json:"qty"`
	Condition string `json:"condition"`
}

func outReturn(p ReturnParcel) OutReturn {
	out := OutReturn{Parcel: p.ID, Order: p.Order, RMA: p.RMA, ReturnWaybill: p.ReturnWaybill, Lines: []OutReturnLine{}}
	for _, l := range p.Lines {
		out.Lines = append(out.Lines, OutReturnLine{SKU: l.SKU, Lot: l.Lot, Serial: l.Serial, Qty: l.Qty, Condition: l.Condition})
	}
	return out
}

func outReturnReceived(_ *txn, _ Event, p ReturnParcel) (OutReturn, bool, error) {
	return outReturn(p), true, nil
}

// outReturnMatched reads the parcel it matched: the lines are the parcel's,
// the order the one the event names.
func outReturnMatched(tx *txn, _ Event, m ReturnMatch) (OutReturn, bool, error) {
	p, err := mustGetParcel(tx, m.Parcel) // live or archived (parcelarchive.go)
	if err != nil {
		return OutReturn{}, false, err
	}
	p.Order = m.Order
	return outReturn(p), true, nil
}

// OutShortPick is units a picker did not find on the shelf the books named
// for an order's line (the shelf is the warehouse's own business): how many were missing, and how many of them were
// reserved elsewhere for the order at once. It moves no stock (a count of
// the shelf settles what is really there).
type OutShortPick struct {
	Order       string `json:"order"`
	SKU         string `json:"sku"`
	Lot         string `json:"lot,omitempty"`
	Qty         int64  `json:"qty"`
	Reallocated int64  `json:"reallocated"`
}

// outShortReported reads the task line it shorted: a line once short has
// nothing open and changes no more.
func outShortReported(tx *txn, _ Event, p ShortReport) (OutShortPick, bool, error) {
	t, err := getTask(tx, p.Task)
	if err != nil {
		return OutShortPick{}, false, err
	}
	line, ok := t.Line(p.Line)
	if !ok {
		return OutShortPick{}, false, Errf(CodeInternal, "short.nothing_open")
	}
	var got int64
	for _, a := range p.Realloc {
		got += a.Qty
	}
	return OutShortPick{Order: line.Order, SKU: line.SKU, Lot: line.Lot, Qty: line.Short, Reallocated: got}, true, nil
}
