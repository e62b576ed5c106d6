package wms

import (
	"iter"
	"strconv"
)

// prepareReceipts groups ASN rows by receipt.
func prepareReceipts(tx *txn, rows iter.Seq[csvRow], bad *rowErrors) []ReceiptIn {
	var out []ReceiptIn
	index := map[string]int{}
	for r := range rows {
		owner, ownerBad := rowOwner(tx, r)
		if ownerBad != nil {
			bad.add(*ownerBad)
			continue
		}
		id, sku := r.get("receipt"), r.get("sku")
		qty, err := strconv.ParseInt(r.get("qty"), 10, 64)
		switch {
		case err != nil:
			bad.add(rowErrf(r.line, "csv.not_integer", "column", "qty", "value", r.get("qty")))
			continue
		case qty <= 0:
			bad.add(rowErrf(r.line, "csv.negative", "column", "qty", "value", r.get("qty")))
			continue
		case !validCode(id):
			bad.add(rowErrf(r.line, "receipt.id_invalid", "receipt", id))
			continue
		case tx.Bucket(bucketSKUs).Get(skuKey(owner, sku)) == nil:
			bad.add(rowErrf(r.line, "sku.not_found", "sku", sku, "owner", owner))
			continue
		case tx.Bucket(bucketReceipts).Get(receiptKey(owner, id)) != nil || receiptArchived(tx, owner, id):
			bad.add(rowErrf(r.line, "receipt.exists", "receipt", id))
			continue
		}
		i, ok := index[OrderRef(owner, id)]
		if !ok {
			if !validText(r.get("supplier")) {
				bad.add(rowErrf(r.line, "receipt.supplier_invalid", "receipt", id))
				continue
			}
			i = len(out)
			index[OrderRef(owner, id)] = i
			out = append(out, ReceiptIn{Owner: envelopeOwner(owner), ID: id, Supplier: r.get("supplier")})
		}
		out[i].Lines = append(out[i].Lines, LineIn{SKU: sku, Qty: qty})
	}
	return out
}
