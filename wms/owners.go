package wms

import (
	"cmp"
	"context"
	"slices"
	"strings"
)

// Owner (货主) is a merchant whose goods the warehouse keeps: a 3PL or 云仓
// works for several. Every SKU, order, receipt, return and waybill pool
// belongs to one. DefaultOwner always exists without a record (its name is
// the message catalogue's), so a warehouse with one merchant never names one.
type Owner struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// OwnerOr is an owner code as keys and records hold it: empty means the
// default owner. It is the one home of that rule, for wms and server alike.
func OwnerOr(owner string) string {
	if owner = strings.TrimSpace(owner); owner == "" {
		return DefaultOwner
	}
	return owner
}

// envelopeOwner is the owner as an event's envelope carries it: the default
// owner is left out, as every event written before owners existed left it out.
func envelopeOwner(owner string) string {
	if o := OwnerOr(owner); o != DefaultOwner {
		return o
	}
	return ""
}

// Validate checks an owner record.
func (o *Owner) Validate() error {
	o.Code, o.Name = strings.TrimSpace(o.Code), strings.TrimSpace(o.Name)
	if !validCode(o.Code) {
		return Errf(CodeInvalid, "owner.code_invalid", "owner", o.Code)
	}
	if o.Code == DefaultOwner {
		return Errf(CodeInvalid, "owner.default_reserved", "owner", o.Code)
	}
	if !validText(o.Name) {
		return Errf(CodeInvalid, "owner.name_invalid", "owner", o.Code)
	}
	return nil
}

func applyOwner(tx *txn, ev *Event) error {
	var o Owner
	if err := decode(ev, &o); err != nil {
		return err
	}
	if err := o.Validate(); err != nil {
		return err
	}
	return putJSON(tx.Bucket(bucketOwners), []byte(o.Code), o)
}

// knownOwner refuses an owner the warehouse does not work for.
func knownOwner(tx *txn, owner string) error {
	if owner == DefaultOwner || tx.Bucket(bucketOwners).Get([]byte(owner)) != nil {
		return nil
	}
	return Errf(CodeNotFound, "owner.unknown", "owner", owner)
}

// SaveOwner creates an owner or renames one, and answers with it as saved.
// id is the event's ID, the request's key ("" for a new one): a repeat gets
// the first answer; the key for another owner or name is refused.
func (l *Ledger) SaveOwner(ctx context.Context, id string, o Owner, actor, device string) (Owner, error) {
	if err := o.Validate(); err != nil {
		return Owner{}, err
	}
	return keyedAppend(ctx, l, cmp.Or(id, newID()), EvOwnerUpserted, "", o.Code, o, actor, device, nil)
}

// Owners lists the owners: the default owner first (its Name empty: the
// views name it), then the others by code.
func (l *Ledger) Owners() ([]Owner, error) {
	rest, err := listAll[Owner](l, bucketOwners)
	return append([]Owner{{Code: DefaultOwner}}, rest...), err
}

// KnownOwner checks that the warehouse works for an owner ("" is the default owner).
func (l *Ledger) KnownOwner(owner string) (string, error) {
	owner = OwnerOr(owner)
	err := l.view(func(tx *txn) error { return knownOwner(tx, owner) })
	return owner, err
}

// resolveGTIN is the one place a scanned GTIN becomes a SKU. With an owner
// in hand (the order, task line, receipt or return being worked) it is that
// owner's SKU; with none (a move, a count, a stock lookup) it is the only
// SKU carrying the GTIN, and a GTIN two owners share is refused with both
// named: the warehouse never picks one silently.
func resolveGTIN(tx *txn, gtin, owner string) (SKU, error) {
	var s SKU
	gtins := tx.Bucket(bucketGTINs)
	if owner != "" {
		code := gtins.Get(gtinKey(gtin, owner))
		if code == nil {
			return s, Errf(CodeNotFound, "sku.gtin_unknown", "gtin", gtin)
		}
		return skuTx(tx, owner, string(code))
	}
	var owners, codes []string
	c := gtins.Cursor()
	p := prefixKey(gtin)
	for k, v := c.Seek(p); k != nil && strings.HasPrefix(string(k), string(p)); k, v = c.Next() {
		owners = append(owners, string(k[len(p):]))
		codes = append(codes, string(v))
	}
	switch len(owners) {
	case 0:
		return s, Errf(CodeNotFound, "sku.gtin_unknown", "gtin", gtin)
	case 1:
		return skuTx(tx, owners[0], codes[0])
	}
	slices.Sort(owners)
	return s, Errf(CodeConflict, "sku.gtin_ambiguous", "gtin", gtin, "owners", strings.Join(owners, ", "))
}

// skuTx is a SKU that must exist.
func skuTx(tx *txn, owner, code string) (SKU, error) {
	return mustGet[SKU](tx, bucketSKUs, skuKey(owner, code), "sku.not_found", "sku", code, "owner", owner)
}

// Books are one owner's records in the warehouse: its SKUs, stock, orders,
// receipts and returns. The Ledger's own reads of these are the default
// owner's books.
type Books struct {
	l     *Ledger
	owner string
}

// Books returns an owner's books ("" is the default owner).
func (l *Ledger) Books(owner string) Books { return Books{l: l, owner: OwnerOr(owner)} }

// Owner is the books' owner code.
func (b Books) Owner() string { return b.owner }

// ownersHolding lists the owners that have a record under key(owner) in a
// bucket keyed by owner first: the default owner first, then by code.
func ownersHolding(tx *txn, bucket []byte, key func(owner string) []byte) ([]string, error) {
	var out []string
	if tx.Bucket(bucket).Get(key(DefaultOwner)) != nil {
		out = append(out, DefaultOwner)
	}
	err := tx.Bucket(bucketOwners).ForEach(func(k, _ []byte) error {
		if tx.Bucket(bucket).Get(key(string(k))) != nil {
			out = append(out, string(k))
		}
		return nil
	})
	return out, err
}

// OrderOwners lists the owners that have an order numbered no (an order
// number typed or scanned by hand may be two owners'): none, one, or several.
func (l *Ledger) OrderOwners(no string) ([]string, error) {
	var out []string
	err := l.view(func(tx *txn) (err error) {
		out, err = ownersHolding(tx, bucketOrders, func(o string) []byte { return orderKey(o, no) })
		return err
	})
	return out, err
}

// ReceiptOwners lists the owners that have a receipt (ASN) numbered id: a
// number scanned on the receive screen may be two owners'.
func (l *Ledger) ReceiptOwners(id string) ([]string, error) {
	var out []string
	err := l.view(func(tx *txn) (err error) {
		out, err = ownersHolding(tx, bucketReceipts, func(o string) []byte { return receiptKey(o, id) })
		if err == nil { // and those whose receipt of that number was archived (receiptarchive.go)
			var gone []string
			gone, err = ownersHolding(tx, bucketArchivedReceipts, func(o string) []byte { return receiptKey(o, id) })
			for _, o := range gone {
				if !slices.Contains(out, o) {
					out = append(out, o)
				}
			}
		}
		return err
	})
	return out, err
}

// SKUOwners lists the owners that have a SKU with this item code.
func (l *Ledger) SKUOwners(code string) ([]string, error) {
	var out []string
	err := l.view(func(tx *txn) (err error) {
		out, err = ownersHolding(tx, bucketSKUs, func(o string) []byte { return skuKey(o, code) })
		return err
	})
	return out, err
}

// OrderOfWaybill is the order a parcel's waybill was used for (ok false
// when no parcel took it): a waybill is unique whichever owner it is.
func (l *Ledger) OrderOfWaybill(waybill string) (owner, no string, ok bool, err error) {
	err = l.view(func(tx *txn) (err error) {
		owner, no, ok, err = waybillOrderTx(tx, waybill) // live, or an order table (ordertable.go)
		return err
	})
	return owner, no, ok, err
}
