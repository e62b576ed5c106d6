package wms

import (
	"strconv"
	"time"
)

// prepareOrders groups rows by order number (one row per order line); the
// order's own fields come from its first row.
func prepareOrders(tx *txn, rows []csvRow, bad []RowError, zone *time.Location) ([]OrderIntake, []RowError) {
	var out []OrderIntake
	index := map[string]int{}
	for _, r := range rows {
		owner, ok := rowOwner(tx, r, &bad)
		if !ok {
			continue
		}
		no := r.get("no")
		ref := OrderRef(owner, no)
		qty, err := strconv.ParseInt(r.get("qty"), 10, 64)
		if err != nil {
			bad = append(bad, rowErrf(r.line, "csv.not_integer", "column", "qty", "value", r.get("qty")))
			continue
		}
		sku := r.get("sku")
		if tx.Bucket(bucketSKUs).Get(skuKey(owner, sku)) == nil {
			bad = append(bad, rowErrf(r.line, "sku.not_found", "sku", sku, "owner", owner))
			continue
		}
		if i, ok := index[ref]; ok {
			out[i].Lines = append(out[i].Lines, LineIn{SKU: sku, Qty: qty})
			if err := out[i].Validate(); err != nil {
				bad = append(bad, rowErr(r.line, err))
			}
			continue
		}
		in := OrderIntake{Owner: envelopeOwner(owner), No: no, Channel: r.get("channel"), Shop: r.get("shop"), Carrier: r.get("carrier"), Notes: r.get("notes"),
			Recipient: Recipient{Name: r.get("name"), Phone: r.get("phone"), Address: r.get("address")},
			Lines:     []LineIn{{SKU: sku, Qty: qty}}}
		if p := r.get("priority"); p != "" {
			n, err := strconv.Atoi(p)
			if err != nil {
				bad = append(bad, rowErrf(r.line, "csv.not_integer", "column", "priority", "value", p))
				continue
			}
			in.Priority = n
		}
		if sb := r.get("ship_by"); sb != "" {
			t, err := time.Parse(time.RFC3339, sb)
			if err != nil {
				if t, err = time.ParseInLocation("2006-01-02 15:04", sb, zone); err != nil { // the warehouse's clock
					bad = append(bad, rowErrf(r.line, "csv.not_time", "column", "ship_by", "value", sb))
					continue
				}
			}
			in.ShipBy = &t
		}
		if err := in.Validate(); err != nil {
			bad = append(bad, rowErr(r.line, err))
			continue
		}
		var existing Order
		if found, _ := getJSON(tx.Bucket(bucketOrders), orderKey(owner, in.No), &existing); found && existing.State != OrderNew {
			bad = append(bad, rowErrf(r.line, "order.locked", "order", in.No, "state", string(existing.State)))
			continue
		}
		index[ref] = len(out)
		out = append(out, in)
	}
	return out, bad
}
