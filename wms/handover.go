package wms

// AwaitingCarrier lists the orders packed at a station and not yet handed to
// the carrier, oldest number first, up to limit: the kiosk shows them so that
// none is left on the bench when the next tote comes. Each kiosk screen asks,
// so the orders come as the state index's briefs, never decoded.
func (l *Ledger) AwaitingCarrier(station string, limit int) ([]OrderBrief, error) {
	var out []OrderBrief
	err := l.view(func(tx *txn) error {
		packed, err := orderBriefsTx(tx, OrderPacked)
		if err != nil {
			return err
		}
		for _, b := range packed {
			if len(out) >= limit {
				break
			}
			ps, err := getPack(tx, b.Owner, b.No)
			if err != nil {
				return err
			}
			if ps.Station == station {
				out = append(out, b)
			}
		}
		return nil
	})
	return out, err
}
