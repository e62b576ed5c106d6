package wms

// stock_by_loc indexes stock by location: its key (location 0 owner 0 sku
// 0 lot) says a place holds something, and the quantity is read from
// stock, its one home (projections version 13). Before, the index carried
// the quantity too, so every pick wrote a leaf of it and the branch pages
// above; now only stock that appears at or leaves a place writes it.

// byLocQty is the quantity at a stock_by_loc key split into its parts
// (location, owner, sku, lot).
func byLocQty(tx *txn, parts []string) int64 {
	if len(parts) != 4 {
		return 0
	}
	return qtyFromValue(tx.Bucket(bucketStock).Get(stockKey(parts[1], parts[2], parts[3], parts[0])))
}
