package wms

import (
	"context"
)

// ShipConfirm hands the order's parcels to the carrier.
type ShipConfirm struct {
	Owner   string `json:"owner,omitempty"`
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
	owner, err := ownerFor(ev, p.Owner)
	if err != nil {
		return err
	}
	o, err := orderTx(tx, owner, p.Order)
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
	ps, err := getPack(tx, owner, p.Order)
	if err != nil {
		return err
	}
	p.Waybills = nil
	for _, parcel := range ps.Parcels {
		touchParcelLots(tx, owner, parcel)
		p.Waybills = append(p.Waybills, parcel.Waybill)
	}
	if err := redecide(ev, p); err != nil {
		return err
	}
	return putOrder(tx, &o, OrderPacked)
}

// Ship confirms the parcels of one of the default owner's orders left with the carrier.
func (l *Ledger) Ship(ctx context.Context, key, order, station, actor, device string) (Order, error) {
	return l.Books(DefaultOwner).Ship(ctx, key, order, station, actor, device)
}

// Ship confirms the parcels of one of the owner's orders left with the
// carrier. The event is named by the order (it ships once). It answers with
// the order as shipped; key is the form's or client's key ("" for none): a
// repeat gets that first answer whatever happened since (a return, say), and
// the key for another order, from another packer, is refused.
func (b Books) Ship(ctx context.Context, key, order, station, actor, device string) (Order, error) {
	id := "ship:" + order
	if b.owner != DefaultOwner {
		id = "ship:" + b.owner + ":" + order
	}
	if key == "" {
		key = newID()
	}
	p := ShipConfirm{Order: order, Station: station}
	k := keyed{id: key, typ: EvShipped, target: OrderRef(b.owner, order), actor: actor, request: p}
	return runKeyed(ctx, b.l, k, func() (Event, error) {
		return newOwnedEvent(id, EvShipped, actor, device, b.owner, p)
	}, func(tx *txn, ev *Event) (Order, error) {
		return orderTx(tx, b.owner, order)
	})
}
