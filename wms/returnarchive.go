package wms

import (
	"bytes"
	"encoding/json"
	"time"
)

// Orders with returns leave the live store too (issue 16): before, an
// order with a return stayed for ever, and with it its pick tasks and
// wave. An order with returns leaves once the retention (--keep-orders)
// has passed since the last thing that happened to its returns: the last
// RMA the OMS announced for it and the last parcel received for it (or
// matched to it). A parcel need not name its RMA (a clerk finds the order
// by its number or outbound waybill): an RMA answered by a parcel or not
// keeps its order for the retention from its announcement, no longer (a
// customer who sent nothing within it gave up). Its order_returns entry
// (what came back) leaves with it, in its archive record
// (ArchivedOrder.Returned); the return parcels, RMAs and figures stay
// where they are. A later return of an archived order is refused with
// return.order_archived.

// storedRMA is an RMA as the rmas bucket holds it: with when the OMS
// announced it (the event's time; zero in a store written before).
type storedRMA struct {
	RMA
	Announced time.Time `json:"announced,omitzero"`
}

// orderReturns is what a run knows of an order's returns.
type orderReturns struct {
	last time.Time // the last RMA announced, parcel received or matched
}

// returnsOfOrders reads, once a run, the returns of the orders still live:
// the return parcels (their order, when received or matched) and the RMAs
// (their order, when announced). Keyed by orderKey; an order no longer
// live takes no room. It notes the last event it saw (returnsReadSeq): an
// RMA announced after that for an order the run archives refuses the
// archiving (decideReturnsSince).
func (l *Ledger) returnsOfOrders() (map[string]*orderReturns, error) {
	l.returnsRead.Store(l.LastSeq())
	out := map[string]*orderReturns{}
	note := func(tx *txn, owner, no string, at time.Time) {
		key := orderKey(OwnerOr(owner), no)
		if tx.Bucket(bucketOrders).Get(key) == nil {
			return // archived (or never known): nothing to decide
		}
		r := out[string(key)]
		if r == nil {
			r = &orderReturns{}
			out[string(key)] = r
		}
		if at.After(r.last) {
			r.last = at
		}
	}
	err := l.scanChunks(bucketReturns, nil, func(tx *txn, k, v []byte) error {
		var p ReturnParcel
		if err := json.Unmarshal(v, &p); err != nil {
			return &DamagedRecordError{Bucket: string(bucketReturns), Key: string(k), Err: err}
		}
		if p.Order == "" {
			return nil
		}
		at := p.At
		if p.Matched != nil && p.Matched.After(at) {
			at = *p.Matched
		}
		note(tx, p.Owner, p.Order, at)
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = l.scanChunks(bucketRMAs, nil, func(tx *txn, k, v []byte) error {
		var m storedRMA
		if err := json.Unmarshal(v, &m); err != nil {
			return &DamagedRecordError{Bucket: string(bucketRMAs), Key: string(k), Err: err}
		}
		note(tx, m.Owner, m.Order, m.Announced)
		return nil
	})
	return out, err
}

// decideReturnsSince refuses an archiving (archive.changed) of an order
// that an RMA or a parcel named after the run read the returns (seq):
// its retention starts again.
func decideReturnsSince(tx *txn, p HistoryArchived) error {
	if p.ReturnsSeq == 0 {
		return nil
	}
	orders := make(map[string]bool, len(p.Orders))
	for _, r := range p.Orders {
		orders[string(orderKey(OwnerOr(r.Owner), r.No))] = true
	}
	c := tx.Bucket(bucketByType).Cursor()
	for _, typ := range []string{EvReturnAnnounced, EvReturnReceived, EvReturnMatched} {
		pre := prefixKey(typ)
		for k, _ := c.Seek(byTypeKey(typ, p.ReturnsSeq+1)); k != nil && bytes.HasPrefix(k, pre); k, _ = c.Next() {
			ev, err := eventAt(tx, seqFromKey(k[len(pre):]))
			if err != nil {
				return err
			}
			var named struct {
				Order string `json:"order"`
			}
			if err := decode(&ev, &named); err != nil {
				return err
			}
			if named.Order != "" && orders[string(orderKey(OwnerOr(ev.Owner), named.Order))] {
				return Errf(CodeConflict, "archive.changed", "order", named.Order)
			}
		}
	}
	return nil
}

// returnsDone says whether an order with returns (order_returns holds it,
// or an RMA names it) may leave: the last before the cut-off.
// An order with returned units whose parcels are not known stays.
func returnsDone(r *orderReturns, hasReturned bool, before time.Time) bool {
	if r == nil {
		return !hasReturned
	}
	if hasReturned && r.last.IsZero() {
		return false
	}
	return r.last.Before(before)
}
