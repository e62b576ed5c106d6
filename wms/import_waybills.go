package wms

import (
	"strconv"
)

// prepareWaybills groups numbers by carrier account, in file order.
func prepareWaybills(tx *txn, rows []csvRow, bad []RowError) ([]WaybillLoad, []RowError) {
	var out []WaybillLoad
	index := map[string]int{}
	seen := map[string]int{}
	for _, r := range rows {
		owner, ok := rowOwner(tx, r, &bad)
		if !ok {
			continue
		}
		acc, n := r.get("account"), r.get("waybill")
		switch {
		case !validCode(acc):
			bad = append(bad, rowErrf(r.line, "waybill.load_invalid"))
			continue
		case !validCode(n):
			bad = append(bad, rowErrf(r.line, "waybill.number_invalid", "waybill", n))
			continue
		case tx.Bucket(bucketWaybillIndex).Get([]byte(n)) != nil:
			bad = append(bad, rowErrf(r.line, "waybill.duplicate", "waybill", n))
			continue
		}
		if first, dup := seen[n]; dup {
			bad = append(bad, rowErrf(r.line, "csv.duplicate", "value", n, "first", strconv.Itoa(first)))
			continue
		}
		seen[n] = r.line
		i, ok := index[OrderRef(owner, acc)]
		if !ok {
			i = len(out)
			index[OrderRef(owner, acc)] = i
			out = append(out, WaybillLoad{Owner: envelopeOwner(owner), Account: acc})
		}
		out[i].Numbers = append(out[i].Numbers, n)
	}
	return out, bad
}
