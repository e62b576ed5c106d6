package wms

import (
	"iter"
	"strconv"
)

func prepareStock(tx *txn, rows iter.Seq[csvRow], bad *rowErrors) []StockRow {
	var out []StockRow
	placeLine := map[string]int{}
	lotExpiry := map[string]string{} // expiry given for a new lot earlier in this file
	for r := range rows {
		var rowBad []RowError
		owner, ownerBad := rowOwner(tx, r)
		if ownerBad != nil {
			rowBad = append(rowBad, *ownerBad)
		}
		s := StockRow{Owner: envelopeOwner(owner), SKU: r.get("sku"), Lot: r.get("lot"), Location: r.get("location")}
		qty := r.get("qty")
		n, err := strconv.ParseInt(qty, 10, 64)
		switch {
		case err != nil:
			rowBad = append(rowBad, rowErrf(r.line, "csv.not_integer", "column", "qty", "value", qty))
		case n < 0:
			rowBad = append(rowBad, rowErrf(r.line, "csv.negative", "column", "qty", "value", qty))
		}
		s.Qty = n
		dateBad := false
		if e := r.get("expiry"); e != "" {
			if s.Expiry, err = NormalizeDay(e); err != nil {
				rowBad, dateBad = append(rowBad, rowErr(r.line, err)), true
			}
		}
		sku, found, err := lookup[SKU](tx, bucketSKUs, skuKey(owner, s.SKU))
		switch {
		case err != nil:
			rowBad = append(rowBad, rowErr(r.line, err))
		case !found:
			rowBad = append(rowBad, rowErrf(r.line, "sku.not_found", "sku", s.SKU))
		case sku.LotTracked && s.Lot == "":
			rowBad = append(rowBad, rowErrf(r.line, "stock.lot_required", "sku", s.SKU))
		case !sku.LotTracked && s.Lot != "":
			rowBad = append(rowBad, rowErrf(r.line, "stock.lot_not_tracked", "sku", s.SKU))
		case s.Lot != "" && !validCode(s.Lot):
			rowBad = append(rowBad, rowErrf(r.line, "stock.lot_invalid", "sku", s.SKU, "lot", s.Lot))
		case found:
			lk := string(lotKey(owner, s.SKU, s.Lot))
			lot, lotFound, err := getLot(tx, owner, s.SKU, s.Lot) // live or archived (lotleave.go)
			if err != nil {
				rowBad = append(rowBad, rowErr(r.line, err))
				break
			}
			if !lotFound {
				if prev, seen := lotExpiry[lk]; seen {
					lot, lotFound = Lot{Expiry: prev}, true
				}
			}
			switch {
			case lotFound && s.Expiry != "" && lot.Expiry != s.Expiry:
				rowBad = append(rowBad, rowErrf(r.line, "stock.expiry_mismatch", "sku", s.SKU, "lot", s.Lot, "expiry", lot.Expiry))
			case !lotFound && sku.LotTracked && sku.ShelfLifeDays > 0 && s.Expiry == "" && !dateBad:
				rowBad = append(rowBad, rowErrf(r.line, "stock.expiry_required", "sku", s.SKU, "lot", s.Lot))
			case !lotFound:
				lotExpiry[lk] = s.Expiry
			}
		}
		if tx.Bucket(bucketLocations).Get([]byte(s.Location)) == nil {
			rowBad = append(rowBad, rowErrf(r.line, "location.not_found", "location", s.Location))
		}
		place := string(stockKey(owner, s.SKU, s.Lot, s.Location))
		if first, dup := placeLine[place]; dup {
			rowBad = append(rowBad, rowErrf(r.line, "csv.duplicate", "value", s.SKU+" "+s.Lot+" "+s.Location, "first", strconv.Itoa(first)))
		}
		if !bad.any() {
			placeLine[place] = r.line
		}
		bad.add(rowBad...)
		if bad.any() {
			out = nil // the file will be refused: keep nothing of it
			continue
		}
		out = append(out, s)
	}
	return out
}
