package fakeoms

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"tally/wms"
)

var (
	keyAppliedThrough = []byte("applied_through")
	keyOrderCount     = []byte("orders")
)

// unknownType counts events whose type is not in the catalogue.
const unknownType = "(unknown)"

// Order states the fake OMS shows, from its log and the events it received.
const (
	OrderWaiting   = "waiting"   // in the change log, not yet pulled
	OrderServed    = "served"    // pulled by the warehouse, no event about it yet
	OrderAccepted  = "accepted"  // order.received
	OrderShipped   = "shipped"   // order.shipped
	OrderCancelled = "cancelled" // order.cancelled
	OrderRefused   = "refused"   // change.refused of its order change
)

// OrderView is what the fake OMS knows of one order: served by it, or only named in
// events the warehouse pushed (Served false: the warehouse's own orders).
type OrderView struct {
	Owner    string    `json:"owner"`
	No       string    `json:"no"`
	ChangeID string    `json:"change_id,omitempty"` // its order change, when the OMS served it
	Served   bool      `json:"served"`              // the warehouse pulled it
	State    string    `json:"state"`
	Carrier  string    `json:"carrier,omitempty"`
	Waybills []string  `json:"waybills,omitempty"`
	Code     string    `json:"code,omitempty"`   // why it was refused, or a refused cancellation
	Reason   string    `json:"reason,omitempty"` // the cancellation's or refusal's reason
	Updated  time.Time `json:"updated"`
}

// open says whether the order still counts as open for reconciliation.
func (v OrderView) open() bool {
	return v.Served && v.State != OrderShipped && v.State != OrderCancelled
}

// StockLine is one line of a stock snapshot.
type StockLine struct {
	SKU string `json:"sku"`
	Lot string `json:"lot,omitempty"`
	Qty int64  `json:"qty"`
}

// Snapshot is the answer of GET {Base}/stock, docs/sync.md's reconciliation view.
type Snapshot struct {
	Owner          string      `json:"owner"`
	At             time.Time   `json:"at"`
	AppliedThrough uint64      `json:"applied_through"`
	Lines          []StockLine `json:"lines"`
	OpenOrders     []string    `json:"open_orders"`
}

func stockKey(owner, sku, lot string) []byte {
	return []byte(wms.OwnerOr(owner) + "\x00" + sku + "\x00" + lot)
}

func orderKey(owner, no string) []byte { return []byte(wms.OwnerOr(owner) + "\x00" + no) }

// applyStock adds one event's effect to the projection.
func applyStock(tx *bolt.Tx, effect []wms.OnHandLine) error {
	b := tx.Bucket(bucketStock)
	for _, l := range effect {
		k := stockKey(l.Owner, l.SKU, l.Lot)
		var qty int64
		if v := b.Get(k); len(v) == 8 {
			qty = int64(binary.BigEndian.Uint64(v))
		}
		qty += l.Qty
		if qty == 0 {
			if err := b.Delete(k); err != nil {
				return err
			}
			continue
		}
		var v [8]byte
		binary.BigEndian.PutUint64(v[:], uint64(qty))
		if err := b.Put(k, v[:]); err != nil {
			return err
		}
	}
	return nil
}

func raiseAppliedThrough(tx *bolt.Tx, seq uint64) error {
	b := tx.Bucket(bucketMeta)
	if v := b.Get(keyAppliedThrough); len(v) == 8 && binary.BigEndian.Uint64(v) >= seq {
		return nil
	}
	return b.Put(keyAppliedThrough, seqKey(seq))
}

func getOrderView(tx *bolt.Tx, owner, no string) (OrderView, bool, error) {
	raw := tx.Bucket(bucketOrders).Get(orderKey(owner, no))
	if raw == nil {
		return OrderView{Owner: wms.OwnerOr(owner), No: no}, false, nil
	}
	var v OrderView
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, false, fmt.Errorf("fakeoms: stored order %s %s: %w", owner, no, err)
	}
	return v, true, nil
}

func putOrderView(tx *bolt.Tx, v OrderView) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketOrders).Put(orderKey(v.Owner, v.No), raw)
}

// applyOrderEvent moves the state of the order an accepted event is about. A state the
// order has left (shipped, cancelled) is never taken back by an event that comes later.
func applyOrderEvent(tx *bolt.Tx, ev Event, now time.Time) error {
	switch ev.Type {
	case wms.EvOrderReceived, wms.EvShipped, wms.EvOrderCancelled:
	case evChangeRefused:
		return applyRefusal(tx, ev, now)
	default:
		return nil
	}
	var d struct {
		Order   string          `json:"order"`
		Carrier string          `json:"carrier"`
		Reason  string          `json:"reason"`
		Parcels []wms.OutParcel `json:"parcels"`
	}
	if err := json.Unmarshal(ev.Data, &d); err != nil || d.Order == "" {
		return nil // the shape was checked; an order event without an order changes no order
	}
	v, _, err := getOrderView(tx, ev.Owner, d.Order)
	if err != nil {
		return err
	}
	final := v.State == OrderShipped || v.State == OrderCancelled
	switch ev.Type {
	case wms.EvOrderReceived:
		if final {
			return nil
		}
		v.State = OrderAccepted
	case wms.EvShipped:
		v.State, v.Carrier, v.Waybills = OrderShipped, d.Carrier, nil
		for _, p := range d.Parcels {
			v.Waybills = append(v.Waybills, p.Waybill)
		}
	case wms.EvOrderCancelled:
		if v.State == OrderShipped {
			return nil
		}
		v.State, v.Reason = OrderCancelled, d.Reason
	}
	v.Updated = now
	return putOrderView(tx, v)
}

// evChangeRefused is the warehouse's report of a pulled change it could not apply.
const evChangeRefused = "change.refused"

// applyRefusal marks the order whose change the warehouse refused. A refused cancellation
// (order.already_shipped) leaves the order as it is and notes the code.
func applyRefusal(tx *bolt.Tx, ev Event, now time.Time) error {
	var d struct {
		UpstreamID string `json:"upstream_id"`
		ChangeType string `json:"change_type"`
		Code       string `json:"code"`
		Reason     string `json:"reason"`
	}
	if err := json.Unmarshal(ev.Data, &d); err != nil {
		return nil
	}
	ch, ok, err := changeByID(tx, d.UpstreamID)
	if err != nil || !ok || (ch.Type != ChangeOrder && ch.Type != ChangeCancel) {
		return err
	}
	var no struct {
		No string `json:"no"`
	}
	if json.Unmarshal(ch.Data, &no) != nil || no.No == "" {
		return nil
	}
	v, _, err := getOrderView(tx, ch.Owner, no.No)
	if err != nil {
		return err
	}
	v.Code, v.Reason, v.Updated = clip(d.Code), clip(d.Reason), now
	if ch.Type == ChangeOrder && v.State != OrderShipped && v.State != OrderCancelled && v.State != OrderAccepted {
		v.State = OrderRefused
	}
	return putOrderView(tx, v)
}

// typeStats counts the answers given to one event type.
type typeStats struct {
	Accepted  uint64 `json:"accepted"`
	Duplicate uint64 `json:"duplicate"`
	Rejected  uint64 `json:"rejected"`
}

func (s *typeStats) add(status string) {
	switch status {
	case StatusAccepted:
		s.Accepted++
	case StatusDuplicate:
		s.Duplicate++
	case StatusRejected:
		s.Rejected++
	}
}

func addStats(tx *bolt.Tx, counts map[string]*typeStats) error {
	b := tx.Bucket(bucketStats)
	for typ, c := range counts {
		var s typeStats
		if raw := b.Get([]byte(typ)); raw != nil {
			if err := json.Unmarshal(raw, &s); err != nil {
				return fmt.Errorf("fakeoms: stats of %s: %w", typ, err)
			}
		}
		s.Accepted += c.Accepted
		s.Duplicate += c.Duplicate
		s.Rejected += c.Rejected
		raw, err := json.Marshal(s)
		if err != nil {
			return err
		}
		if err := b.Put([]byte(typ), raw); err != nil {
			return err
		}
	}
	return nil
}

// Stats are the answers counted per event type, and their totals.
type Stats struct {
	Types     map[string]typeStats `json:"types"`
	Accepted  uint64               `json:"accepted"`
	Duplicate uint64               `json:"duplicate"`
	Rejected  uint64               `json:"rejected"`
}

// Stats counts the answers given to pushed events, per type.
func (o *OMS) Stats() (Stats, error) {
	out := Stats{Types: map[string]typeStats{}}
	err := o.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketStats).ForEach(func(k, raw []byte) error {
			var s typeStats
			if err := json.Unmarshal(raw, &s); err != nil {
				return err
			}
			out.Types[string(k)] = s
			out.Accepted += s.Accepted
			out.Duplicate += s.Duplicate
			out.Rejected += s.Rejected
			return nil
		})
	})
	return out, err
}

// Stock is the snapshot of one owner's stock as the OMS sees it at now.
func (o *OMS) Stock(owner string, now time.Time) (Snapshot, error) {
	owner = wms.OwnerOr(owner)
	s := Snapshot{Owner: owner, At: now.UTC(), Lines: []StockLine{}, OpenOrders: []string{}}
	err := o.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketMeta).Get(keyAppliedThrough); len(v) == 8 {
			s.AppliedThrough = binary.BigEndian.Uint64(v)
		}
		prefix := []byte(owner + "\x00")
		c := tx.Bucket(bucketStock).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			parts := strings.SplitN(string(k[len(prefix):]), "\x00", 2)
			if len(parts) != 2 || len(v) != 8 {
				return fmt.Errorf("fakeoms: stock key %q", k)
			}
			s.Lines = append(s.Lines, StockLine{SKU: parts[0], Lot: parts[1], Qty: int64(binary.BigEndian.Uint64(v))})
		}
		c = tx.Bucket(bucketOrders).Cursor()
		for k, raw := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, raw = c.Next() {
			var v OrderView
			if err := json.Unmarshal(raw, &v); err != nil {
				return fmt.Errorf("fakeoms: stored order %q: %w", k, err)
			}
			if v.open() {
				s.OpenOrders = append(s.OpenOrders, v.No)
			}
		}
		return nil
	})
	return s, err
}

// Orders lists every order the OMS knows, by owner and number.
func (o *OMS) Orders() ([]OrderView, error) {
	var out []OrderView
	err := o.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketOrders).ForEach(func(k, raw []byte) error {
			var v OrderView
			if err := json.Unmarshal(raw, &v); err != nil {
				return fmt.Errorf("fakeoms: stored order %q: %w", k, err)
			}
			out = append(out, v)
			return nil
		})
	})
	return out, err
}

// allStock lists the projection of every owner, for the page and tests.
func (o *OMS) allStock() (map[string][]StockLine, error) {
	out := map[string][]StockLine{}
	err := o.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketStock).ForEach(func(k, v []byte) error {
			parts := strings.SplitN(string(k), "\x00", 3)
			if len(parts) != 3 || len(v) != 8 {
				return fmt.Errorf("fakeoms: stock key %q", k)
			}
			out[parts[0]] = append(out[parts[0]], StockLine{SKU: parts[1], Lot: parts[2], Qty: int64(binary.BigEndian.Uint64(v))})
			return nil
		})
	})
	return out, err
}

func (o *OMS) stock(w http.ResponseWriter, r *http.Request) {
	if _, ok := o.authorize(w, r); !ok {
		return
	}
	q := r.URL.Query()
	owner := q.Get("owner")
	if len(q["owner"]) != 1 || !validOwner(owner) {
		answer(w, http.StatusBadRequest, apiError{Error: "owner= is required once: an owner code, 1 to 64 printable characters without spaces", Code: "owner.invalid"})
		return
	}
	s, err := o.Stock(owner, o.clock(r))
	if err != nil {
		answer(w, http.StatusInternalServerError, apiError{Error: err.Error(), Code: "store.failed"})
		return
	}
	answer(w, http.StatusOK, s)
}

// fold recomputes every owner's stock from the kept events in seq order, the way the
// projection is kept a batch at a time: tests compare the two.
func fold(events []Received) (map[string][]StockLine, error) {
	slices.SortStableFunc(events, func(a, b Received) int {
		switch {
		case a.Seq < b.Seq:
			return -1
		case a.Seq > b.Seq:
			return 1
		}
		return 0
	})
	sum := map[[3]string]int64{}
	for _, e := range events {
		lines, err := wms.StockEffect(e.Type, e.Owner, e.Data)
		if err != nil {
			return nil, fmt.Errorf("event %s: %w", e.ID, err)
		}
		for _, l := range lines {
			sum[[3]string{wms.OwnerOr(l.Owner), l.SKU, l.Lot}] += l.Qty
		}
	}
	out := map[string][]StockLine{}
	keys := make([][3]string, 0, len(sum))
	for k, q := range sum {
		if q != 0 {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b [3]string) int {
		return strings.Compare(a[0]+"\x00"+a[1]+"\x00"+a[2], b[0]+"\x00"+b[1]+"\x00"+b[2])
	})
	for _, k := range keys {
		out[k[0]] = append(out[k[0]], StockLine{SKU: k[1], Lot: k[2], Qty: sum[k]})
	}
	return out, nil
}
