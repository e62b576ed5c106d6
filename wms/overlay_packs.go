package wms

import (
	"encoding/json"
	"unicode/utf8"
)

// Packing states held decoded across a chunk, as orders and tasks are
// (overlay_typed.go): every pack scan, parcel and shipment of an order
// reads and writes its packing state, stored as JSON. getPack answers from
// the decoded form the overlay holds, putPack keeps a copy as decoding its
// JSON would give it (normPack), and the JSON is made once when the
// overlay writes it to bbolt. A state with a string that is not UTF-8
// (JSON would change it) is not held so: its JSON is put as before.

type packRec struct{ ps PackState }

func (r *packRec) size() int {
	n := 160
	for _, it := range r.ps.Verified {
		n += 72 + 16*len(it.Serials)
	}
	for _, p := range r.ps.Parcels {
		n += 160
		for _, it := range p.Items {
			n += 72 + 16*len(it.Serials)
		}
	}
	return n
}

func (r *packRec) encode() []byte {
	raw, err := json.Marshal(r.ps)
	if err != nil { // a PackState always encodes; putJSON would fail the event
		panic(err)
	}
	return raw
}

// putPack stores an order's packing state (putJSON), held decoded during a
// replay.
func putPack(tx *txn, key []byte, ps PackState) error {
	b := tx.Bucket(bucketPacks)
	if b.typed() {
		if n, ok := normPack(ps); ok && b.putRec(key, &packRec{n}) {
			return nil
		}
	}
	return putJSON(b, key, ps)
}

// normPack is a copy of ps as its JSON decodes (encoding/json: lists that
// are omitted when empty read back nil, a parcel's items, never omitted,
// keep whether they were nil), and false when a string is not UTF-8.
func normPack(ps PackState) (PackState, bool) {
	ok := utf8.ValidString(ps.Owner) && utf8.ValidString(ps.Order) && utf8.ValidString(ps.Station)
	ps.Verified = normItems(ps.Verified, true, &ok)
	if len(ps.Parcels) == 0 {
		ps.Parcels = nil
	} else {
		ps.Parcels = append([]Parcel(nil), ps.Parcels...)
		for i := range ps.Parcels {
			p := &ps.Parcels[i]
			ok = ok && utf8.ValidString(p.Box) && utf8.ValidString(p.Waybill) && utf8.ValidString(p.Parent)
			p.Items = normItems(p.Items, false, &ok)
			if p.Override != nil {
				o := *p.Override
				ok = ok && utf8.ValidString(o.Badge) && utf8.ValidString(o.Reason)
				p.Override = &o
			}
		}
	}
	return ps, ok
}

func normItems(items []PackedItem, omitEmpty bool, ok *bool) []PackedItem {
	if items == nil || (omitEmpty && len(items) == 0) {
		return nil
	}
	out := make([]PackedItem, len(items))
	for i, it := range items {
		*ok = *ok && utf8.ValidString(it.SKU) && utf8.ValidString(it.Lot)
		if len(it.Serials) == 0 {
			it.Serials = nil
		} else {
			it.Serials = append([]string(nil), it.Serials...)
			for _, s := range it.Serials {
				*ok = *ok && utf8.ValidString(s)
			}
		}
		out[i] = it
	}
	return out
}
