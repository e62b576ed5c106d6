package wms

import (
	"iter"
	"strconv"
)

// prepareWaybills groups numbers by carrier account, in file order.
func prepareWaybills(tx *txn, rows iter.Seq[csvRow], bad *rowErrors) []WaybillLoad {
	var out []WaybillLoad
	index := map[string]int{}
	seen := map[string]int{}
	for r := range rows {
		owner, ownerBad := rowOwner(tx, r)
		if ownerBad != nil {
			bad.add(*ownerBad)
			continue
		}
		acc, n := r.get("account"), r.get("waybill")
		switch {
		case !validCode(acc):
			bad.add(rowErrf(r.line, "waybill.load_invalid"))
			continue
		case !ValidWaybill(n):
			bad.add(rowErrf(r.line, "waybill.number_format", "waybill", clip(n)))
			continue
		case tx.Bucket(bucketWaybillIndex).Get([]byte(n)) != nil:
			bad.add(rowErrf(r.line, "waybill.duplicate", "waybill", n))
			continue
		}
		// used by an archived order (ordertable.go); a table that cannot be
		// read is the load's error, when it applies (loadWaybills)
		if known, err := waybillKnown(tx, n); err == nil && known {
			bad.add(rowErrf(r.line, "waybill.duplicate", "waybill", n))
			continue
		}
		if first, dup := seen[n]; dup {
			bad.add(rowErrf(r.line, "csv.duplicate", "value", n, "first", strconv.Itoa(first)))
			continue
		}
		if !bad.any() {
			seen[n] = r.line
		}
		i, ok := index[OrderRef(owner, acc)]
		if !ok {
			i = len(out)
			index[OrderRef(owner, acc)] = i
			out = append(out, WaybillLoad{Owner: envelopeOwner(owner), Account: acc})
		}
		out[i].Numbers = append(out[i].Numbers, n)
	}
	return out
}
