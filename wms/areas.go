package wms

// Areas: which location does what. Screens ask the ledger rather than
// knowing codes (a warehouse names its dock as it likes).

// AreaOf is the location where units of an area's kind go (the dock, the
// quarantine, the returns area, ...): the first of that kind along the walk,
// or "" when the warehouse has none.
func (l *Ledger) AreaOf(kind LocationKind) (string, error) {
	var out string
	err := l.view(func(tx *txn) error {
		out = firstLocation(tx, kind, "")
		return nil
	})
	return out, err
}

// NearExpiryToQuarantine is what moving near-expiry stock to quarantine
// takes: the quarantine area and every near-expiry line not already in
// quarantine; a conflict when the warehouse has no quarantine area.
func (l *Ledger) NearExpiryToQuarantine() (to string, lines []StockRow, err error) {
	rows, err := l.NearExpiry()
	if err != nil {
		return "", nil, err
	}
	if to, err = l.AreaOf(KindQuarantine); err != nil {
		return "", nil, err
	}
	if to == "" {
		return "", nil, Errf(CodeConflict, "expiry.no_quarantine")
	}
	for _, r := range rows {
		if r.Kind != KindQuarantine {
			lines = append(lines, StockRow{SKU: r.SKU, Lot: r.Lot, Expiry: r.Expiry, Location: r.Location, Qty: r.Qty})
		}
	}
	return to, lines, nil
}
