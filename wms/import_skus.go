package wms

import (
	"iter"
	"strconv"
	"strings"
)

func prepareSKUs(tx *txn, rows iter.Seq[csvRow], bad *rowErrors) []SKU {
	var out []SKU
	codeLine := map[string]int{}
	gtinLine := map[string]int{}
	for r := range rows {
		var rowBad []RowError
		s := SKU{
			Code: r.get("code"), Name: r.get("name"),
			GTINs:              strings.FieldsFunc(r.get("gtins"), func(c rune) bool { return c == '|' || c == ';' || c == ' ' || c == '/' }),
			UnitWeightG:        int(parseInt(r.line, "unit_weight_g", r.get("unit_weight_g"), &rowBad)),
			LengthMM:           int(parseInt(r.line, "length_mm", r.get("length_mm"), &rowBad)),
			WidthMM:            int(parseInt(r.line, "width_mm", r.get("width_mm"), &rowBad)),
			HeightMM:           int(parseInt(r.line, "height_mm", r.get("height_mm"), &rowBad)),
			ShelfLifeDays:      int(parseInt(r.line, "shelf_life_days", r.get("shelf_life_days"), &rowBad)),
			LotTracked:         parseBool(r.line, "lot_tracked", r.get("lot_tracked"), &rowBad),
			SerialTracked:      parseBool(r.line, "serial_tracked", r.get("serial_tracked"), &rowBad),
			MinOutboundLifePct: int(parseInt(r.line, "min_outbound_life_pct", r.get("min_outbound_life_pct"), &rowBad)),
			Zone:               r.get("zone"),
			ReceiveMinLifePct:  int(parseInt(r.line, "receive_min_life_pct", r.get("receive_min_life_pct"), &rowBad)),
			ShortLifeAction:    r.get("short_life_action"),
			NearExpiryDays:     int(parseInt(r.line, "near_expiry_days", r.get("near_expiry_days"), &rowBad)),
		}
		owner, ownerBad := rowOwner(tx, r)
		ok := ownerBad == nil
		if !ok {
			rowBad = append(rowBad, *ownerBad)
		}
		s.Owner = envelopeOwner(owner)
		if len(rowBad) == 0 {
			if err := s.Validate(); err != nil {
				rowBad = append(rowBad, rowErr(r.line, err))
			}
		}
		if len(rowBad) == 0 && ok {
			// a code and a GTIN are unique within an owner
			if first, dup := codeLine[owner+" "+s.Code]; dup {
				rowBad = append(rowBad, rowErrf(r.line, "csv.duplicate", "value", s.Code, "first", strconv.Itoa(first)))
			}
			if !bad.any() {
				codeLine[owner+" "+s.Code] = r.line
			}
			for _, g := range s.GTINs {
				if first, dup := gtinLine[owner+" "+g]; dup {
					rowBad = append(rowBad, rowErrf(r.line, "csv.duplicate", "value", g, "first", strconv.Itoa(first)))
				}
				if !bad.any() {
					gtinLine[owner+" "+g] = r.line
				}
				if other := tx.Bucket(bucketGTINs).Get(gtinKey(g, owner)); other != nil && string(other) != s.Code {
					rowBad = append(rowBad, rowErrf(r.line, "sku.gtin_taken", "gtin", g, "sku", string(other)))
				}
			}
			old, found, err := lookup[SKU](tx, bucketSKUs, skuKey(owner, s.Code))
			if err != nil {
				rowBad = append(rowBad, rowErr(r.line, err))
			}
			if found && err == nil && old.LotTracked != s.LotTracked && hasStock(tx, owner, s.Code) {
				rowBad = append(rowBad, rowErrf(r.line, "sku.lot_tracking_with_stock", "sku", s.Code))
			}
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
