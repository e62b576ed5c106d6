package wms

import (
	"strconv"
)

// placeStock checks a (sku, lot, expiry, location) reference and returns the
// current quantity there, creating the lot when it is new.
func placeStock(tx *txn, owner, skuCode, lotCode, expiry, loc string) (int64, error) {
	sku, err := mustGet[SKU](tx, bucketSKUs, skuKey(owner, skuCode), "sku.not_found", "sku", skuCode, "owner", owner)
	if err != nil {
		return 0, err
	}
	if tx.Bucket(bucketLocations).Get([]byte(loc)) == nil {
		return 0, Errf(CodeNotFound, "location.not_found", "location", loc)
	}
	if sku.LotTracked && lotCode == "" {
		return 0, Errf(CodeInvalid, "stock.lot_required", "sku", skuCode)
	}
	if !sku.LotTracked && lotCode != "" {
		return 0, Errf(CodeInvalid, "stock.lot_not_tracked", "sku", skuCode)
	}
	if lotCode != "" && !validCode(lotCode) {
		return 0, Errf(CodeInvalid, "stock.lot_invalid", "sku", skuCode, "lot", lotCode)
	}
	if expiry != "" {
		if _, err := ParseDay(expiry); err != nil {
			return 0, err
		}
	}
	lots := tx.Bucket(bucketLots)
	lot, found, err := lookup[Lot](tx, bucketLots, lotKey(owner, skuCode, lotCode))
	if err != nil {
		return 0, err
	}
	if !found { // a lot with nothing left comes back as it was (lotleave.go)
		if lot, found, err = getLot(tx, owner, skuCode, lotCode); err != nil {
			return 0, err
		}
		if found {
			if err := putLot(tx, owner, skuCode, lotCode, lot); err != nil {
				return 0, err
			}
		}
	}
	switch {
	case !found:
		if sku.LotTracked && sku.ShelfLifeDays > 0 && expiry == "" {
			return 0, Errf(CodeInvalid, "stock.expiry_required", "sku", skuCode, "lot", lotCode)
		}
		lot = Lot{Owner: owner, SKU: skuCode, Code: lotCode, Expiry: expiry, Status: LotAvailable}
		if err := putJSON(lots, lotKey(owner, skuCode, lotCode), lot); err != nil {
			return 0, err
		}
	case expiry != "" && lot.Expiry != expiry:
		return 0, Errf(CodeConflict, "stock.expiry_mismatch", "sku", skuCode, "lot", lotCode, "expiry", lot.Expiry)
	}
	return qtyFromValue(tx.Bucket(bucketStock).Get(stockKey(owner, skuCode, lotCode, loc))), nil
}

// writeQty stores the quantity at one place in stock and indexes the place
// by location (stock_by_loc: the key alone, stockbyloc.go); zero removes
// both. A quantity that changes but stays above zero leaves the index as
// it is, so a pick writes no page of it.
func writeQty(tx *txn, owner, sku, lot, loc string, qty int64) error {
	touch(tx, owner, sku, lot)
	if qty < 0 {
		return Errf(CodeConflict, "stock.negative", "sku", sku, "lot", lot, "location", loc)
	}
	st, byLoc := tx.Bucket(bucketStock), tx.Bucket(bucketStockByLoc)
	if qty == 0 {
		if err := st.Delete(stockKey(owner, sku, lot, loc)); err != nil {
			return err
		}
		return byLoc.Delete(stockByLocKey(loc, owner, sku, lot))
	}
	if err := st.Put(stockKey(owner, sku, lot, loc), qtyValue(qty)); err != nil {
		return err
	}
	if k := stockByLocKey(loc, owner, sku, lot); byLoc.Get(k) == nil {
		if lot != "" { // a new place of a lot that left brings it back live (lotleave.go)
			if err := reviveLot(tx, owner, sku, lot); err != nil {
				return err
			}
		}
		return byLoc.Put(k, []byte{})
	}
	return nil
}

func setStock(tx *txn, r StockRow) error {
	if r.Qty < 0 {
		return Errf(CodeInvalid, "stock.qty_negative", "sku", r.SKU, "qty", strconv.FormatInt(r.Qty, 10))
	}
	owner := OwnerOr(r.Owner)
	if _, err := placeStock(tx, owner, r.SKU, r.Lot, r.Expiry, r.Location); err != nil {
		return err
	}
	if res := reservedAt(tx, owner, r.SKU, r.Lot, r.Location); r.Qty < res {
		return Errf(CodeConflict, "stock.below_reserved", "sku", r.SKU, "lot", r.Lot, "location", r.Location, "reserved", strconv.FormatInt(res, 10))
	}
	return writeQty(tx, owner, r.SKU, r.Lot, r.Location, r.Qty)
}

func applyStockAdjusted(tx *txn, ev *Event) error {
	var a StockAdjustment
	if err := decode(ev, &a); err != nil {
		return err
	}
	if a.Delta == 0 {
		return Errf(CodeInvalid, "stock.delta_zero")
	}
	owner, err := ownerFor(ev, a.Owner)
	if err != nil {
		return err
	}
	have, err := placeStock(tx, owner, a.SKU, a.Lot, a.Expiry, a.Location)
	if err != nil {
		return err
	}
	if have+a.Delta < 0 {
		return Errf(CodeConflict, "stock.insufficient", "sku", a.SKU, "lot", a.Lot, "location", a.Location,
			"have", strconv.FormatInt(have, 10), "want", strconv.FormatInt(-a.Delta, 10))
	}
	if res := reservedAt(tx, owner, a.SKU, a.Lot, a.Location); a.Delta < 0 && have+a.Delta < res {
		return Errf(CodeConflict, "stock.below_reserved", "sku", a.SKU, "lot", a.Lot, "location", a.Location, "reserved", strconv.FormatInt(res, 10))
	}
	if a.Instruction != "" {
		if err := closeInstruction(tx, ev, owner, a.Instruction); err != nil {
			return err
		}
	}
	return writeQty(tx, owner, a.SKU, a.Lot, a.Location, have+a.Delta)
}
