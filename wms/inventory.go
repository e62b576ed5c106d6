package wms

import (
	"cmp"
	"slices"
)

// InventoryLine is an owner's on-hand quantity of one SKU and lot, split
// into what may be sold and what may not: units of a lot that is not
// available (quarantined, held, expired) and units on a quarantine or
// damaged location are not sellable. Reserved is the part of the sellable
// units allocated to orders and not yet picked.
type InventoryLine struct {
	SKU      string `json:"sku"`
	Lot      string `json:"lot,omitempty"`
	Expiry   string `json:"expiry,omitempty"`
	Sellable bool   `json:"sellable"`
	Qty      int64  `json:"qty"`
	Reserved int64  `json:"reserved"`
}

// Inventory is the owner's on-hand stock (OnHand's figures) per SKU, lot
// and sellable or not, sorted by SKU, lot and sellable first; lines of
// zero are left out.
func (b Books) Inventory() (out []InventoryLine, err error) {
	err = b.l.view(func(tx *txn) error {
		out, err = inventoryTx(tx, b.owner)
		return err
	})
	return out, err
}

// inventoryTx is Inventory's figures in the caller's transaction.
func inventoryTx(tx *txn, owner string) (out []InventoryLine, err error) {
	err = func() error {
		onHand, err := onHandTx(tx, owner)
		if err != nil {
			return err
		}
		unsellable := map[StockKey]int64{} // on a quarantine or damaged location
		kinds := map[string]LocationKind{}
		c := tx.Bucket(bucketStock).Cursor()
		p := prefixKey(owner)
		for k, v := c.Seek(p); k != nil && hasPrefix(k, p); k, v = c.Next() {
			parts := splitKey(k)
			loc := parts[3]
			kind, seen := kinds[loc]
			if !seen {
				var l Location
				if _, err := getJSON(tx.Bucket(bucketLocations), []byte(loc), &l); err != nil {
					return err
				}
				kind, kinds[loc] = l.Kind, l.Kind
			}
			if kind == KindQuarantine || kind == KindDamaged {
				unsellable[StockKey{parts[0], parts[1], parts[2]}] += qtyFromValue(v)
			}
		}
		reserved := map[StockKey]int64{}
		c = tx.Bucket(bucketReserved).Cursor()
		for k, v := c.Seek(p); k != nil && hasPrefix(k, p); k, v = c.Next() {
			parts := splitKey(k)
			reserved[StockKey{parts[0], parts[1], parts[2]}] += qtyFromValue(v)
		}
		for key, qty := range onHand {
			if qty == 0 {
				continue
			}
			var lot Lot
			if key.Lot != "" {
				if err := readLotInto(tx, &lot, key.Owner, key.SKU, key.Lot); err != nil {
					return err
				}
			}
			line := InventoryLine{SKU: key.SKU, Lot: key.Lot, Expiry: lot.Expiry}
			bad := unsellable[key]
			if lot.Status != "" && lot.Status != LotAvailable {
				bad = qty
			}
			if good := qty - bad; good != 0 {
				l := line
				l.Sellable, l.Qty, l.Reserved = true, good, reserved[key]
				out = append(out, l)
			}
			if bad != 0 {
				l := line
				l.Qty = bad
				out = append(out, l)
			}
		}
		return nil
	}()
	slices.SortFunc(out, func(a, b InventoryLine) int {
		if c := cmp.Or(cmp.Compare(a.SKU, b.SKU), cmp.Compare(a.Lot, b.Lot)); c != 0 {
			return c
		}
		switch {
		case a.Sellable == b.Sellable:
			return 0
		case a.Sellable:
			return -1
		}
		return 1
	})
	return out, err
}
