package wms

import (
	"encoding/json"
	"time"
)

// Orders with returns leave the live store too (issue 16): before, an
// order with a return stayed for ever, and with it its pick tasks and
// wave. An order with returns leaves once every return of it is done — no
// RMA announced for it still waits for its parcel — and the retention
// (--keep-orders) has passed since the last of its returned parcels was
// received (or matched to it). Its order_returns entry (what came back)
// leaves with it, in its archive record (ArchivedOrder.Returned); the
// return parcels, RMAs and figures stay where they are. A later return of
// an archived order is refused with return.order_archived (book it as an
// unknown parcel).

// orderReturns is what a run knows of an order's returns.
type orderReturns struct {
	open bool      // an RMA waits for its parcel
	last time.Time // the last parcel received or matched
}

// returnsOfOrders reads, once a run, every order's returns: the return
// parcels (their order, when, their RMA and return waybill) and the RMAs
// (an RMA none of whose parcels came is open). Keyed by orderKey.
func (l *Ledger) returnsOfOrders() (map[string]*orderReturns, error) {
	out := map[string]*orderReturns{}
	of := func(owner, no string) *orderReturns {
		k := string(orderKey(OwnerOr(owner), no))
		r := out[k]
		if r == nil {
			r = &orderReturns{}
			out[k] = r
		}
		return r
	}
	received := map[string]bool{} // owner 0 RMA, and "waybill:" return waybills, that came
	err := l.scanChunks(bucketReturns, nil, func(_ *txn, k, v []byte) error {
		var p ReturnParcel
		if err := json.Unmarshal(v, &p); err != nil {
			return &DamagedRecordError{Bucket: string(bucketReturns), Key: string(k), Err: err}
		}
		if p.RMA != "" {
			received[string(rmaKey(OwnerOr(p.Owner), p.RMA))] = true
		}
		if p.ReturnWaybill != "" {
			received["waybill:"+p.ReturnWaybill] = true
		}
		if p.Order == "" {
			return nil
		}
		r := of(p.Owner, p.Order)
		at := p.At
		if p.Matched != nil && p.Matched.After(at) {
			at = *p.Matched
		}
		if at.After(r.last) {
			r.last = at
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = l.scanChunks(bucketRMAs, nil, func(_ *txn, k, v []byte) error {
		var m RMA
		if err := json.Unmarshal(v, &m); err != nil {
			return &DamagedRecordError{Bucket: string(bucketRMAs), Key: string(k), Err: err}
		}
		if !received[string(k)] && (m.ReturnWaybill == "" || !received["waybill:"+m.ReturnWaybill]) {
			of(m.Owner, m.Order).open = true
		}
		return nil
	})
	return out, err
}

// returnsDone says whether an order with returns (order_returns holds it,
// or an RMA names it) may leave: none open, the last before the cut-off.
// An order with returned units whose parcels are not known stays.
func returnsDone(r *orderReturns, hasReturned bool, before time.Time) bool {
	if r == nil {
		return !hasReturned
	}
	if r.open || hasReturned && r.last.IsZero() {
		return false
	}
	return r.last.Before(before)
}
