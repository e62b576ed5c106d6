package wms

import (
	"encoding/json"
)

// Every event that changes a lot's stock, reservations or status, or packs or
// ships units of it, is indexed under the lot, so its whole story (received,
// moved, allocated, picked into an order, packed, shipped with its waybills,
// returned, counted, recalled) is one prefix scan. The lots an event touched
// are collected while it is applied: the helpers that write stock,
// reservations and lots call touch, and so does packing.

// touched is what one event touched, collected while it is applied (see applyCtx).
type touched struct {
	lots     map[string]bool  // lotKey: stock or status written
	reserved map[string]int64 // lotKey: net change of reservations
	serials  []serialRecord
}

func newTouched() *touched {
	return &touched{lots: map[string]bool{}, reserved: map[string]int64{}}
}

type serialRecord struct {
	serial string
	rec    SerialTrace
}

func touch(tx *txn, owner, sku, lot string) {
	if tx.apply != nil {
		tx.apply.touched.lots[string(lotKey(owner, sku, lot))] = true
	}
}

// touchReserved counts only the net change: an allocation tried and given
// back within one event (an order that waits for stock) leaves no trace, as
// it leaves none when the event is replayed with its decisions.
func touchReserved(tx *txn, owner, sku, lot string, delta int64) {
	if tx.apply != nil {
		tx.apply.touched.reserved[string(lotKey(owner, sku, lot))] += delta
	}
}

func touchSerial(tx *txn, serial string, rec SerialTrace) {
	if tx.apply != nil {
		t := tx.apply.touched
		t.serials = append(t.serials, serialRecord{serial, rec})
	}
}

// indexTouched writes the lot and serial indexes for the event just applied.
func indexTouched(tx *txn, ev *Event, t *touched) error {
	b := tx.Bucket(bucketLotEvents)
	for k, d := range t.reserved {
		if d != 0 {
			t.lots[k] = true
		}
	}
	for k := range t.lots {
		if tx.replay != nil {
			tx.replay.index(bucketLotEvents, append(append([]byte(k), sep), seqKey(ev.Seq)...))
			continue
		}
		if err := b.Put(append(append([]byte(k), sep), seqKey(ev.Seq)...), []byte{}); err != nil {
			return err
		}
	}
	for _, s := range t.serials {
		s.rec.Seq = ev.Seq
		if err := putJSON(tx.Bucket(bucketSerials), []byte(s.serial), s.rec); err != nil {
			return err
		}
	}
	return nil
}

// SerialTrace is where one unit with a serial (the code on each can of
// formula) went: the pick that took it and the order it left in.
type SerialTrace struct {
	Serial string `json:"serial"`
	Owner  string `json:"owner,omitempty"`
	SKU    string `json:"sku"`
	Lot    string `json:"lot,omitempty"`
	Order  string `json:"order"`
	// Returned is the return parcel that brought the unit back, if one did:
	// the unit is in the building again and may be picked for another order.
	Returned string `json:"returned,omitempty"`
	Seq      uint64 `json:"seq"`
}

// LotTrace returns every event that touched a default owner's lot, oldest first.
func (l *Ledger) LotTrace(sku, lot string) (Lot, []Event, error) {
	return l.Books(DefaultOwner).LotTrace(sku, lot)
}

// LotTrace returns every event that touched one of the owner's lots, oldest first.
func (b Books) LotTrace(sku, lot string) (found Lot, out []Event, err error) {
	err = b.l.view(func(tx *txn) error {
		found, out, err = lotTrace(tx, b.owner, sku, lot)
		return err
	})
	return found, out, err
}

func lotTrace(tx *txn, owner, sku, lot string) (Lot, []Event, error) {
	found, err := mustGetLot(tx, owner, sku, lot) // live or archived (lotleave.go)
	if err != nil {
		return found, nil, err
	}
	var out []Event
	seqs, err := lotSeqs(tx, owner, sku, lot) // archived, then live (lotarchive.go)
	if err != nil {
		return found, nil, err
	}
	for _, s := range seqs {
		ev, err := eventAt(tx, s)
		if err != nil {
			return found, nil, err
		}
		out = append(out, ev)
	}
	return found, out, nil
}

// SerialTrace returns where a serial went.
func (l *Ledger) SerialTrace(serial string) (SerialTrace, Event, error) {
	var st SerialTrace
	var ev Event
	err := l.view(func(tx *txn) error {
		var err error
		st, err = mustGet[SerialTrace](tx, bucketSerials, []byte(serial), "serial.not_found", "serial", serial)
		if err != nil {
			return err
		}
		ev, err = eventAt(tx, st.Seq)
		return err
	})
	return st, ev, err
}

// DecodeData decodes an event's payload.
func (ev Event) DecodeData(v any) error { return json.Unmarshal(ev.Data, v) }
