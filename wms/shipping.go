package wms

import (
	"context"
)

// ShipConfirm hands the order's parcels to the carrier.
type ShipConfirm struct {
	Order   string `json:"order"`
	Station string `json:"station"`
	// decided: the parcels' waybills, for the lot's story
	Waybills []string `json:"waybills,omitempty"`
}

func applyShipped(tx *txn, ev *Event) error {
	var p ShipConfirm
	if err := decode(ev, &p); err != nil {
		return err
	}
	o, err := orderTx(tx, p.Order)
	if err != nil {
		return err
	}
	if o.State != OrderPacked {
		return Errf(CodeConflict, "pack.not_packed", "order", p.Order, "state", string(o.State))
	}
	o.State, o.Updated = OrderShipped, ev.At
	if o.Tote != "" {
		if err := tx.Bucket(bucketTotes).Delete([]byte(o.Tote)); err != nil {
			return err
		}
	}
	ps, err := getPack(tx, p.Order)
	if err != nil {
		return err
	}
	p.Waybills = nil
	for _, parcel := range ps.Parcels {
		touchParcelLots(tx, parcel)
		p.Waybills = append(p.Waybills, parcel.Waybill)
	}
	if err := redecide(ev, p); err != nil {
		return err
	}
	return putOrder(tx, &o, OrderPacked)
}

// Ship confirms the parcels left with the carrier.
func (l *Ledger) Ship(ctx context.Context, order, station, actor, device string) (Order, error) {
	if _, err := l.appendData(ctx, "ship:"+order, EvShipped, actor, device, ShipConfirm{Order: order, Station: station}); err != nil {
		return Order{}, err
	}
	return l.Order(order)
}
