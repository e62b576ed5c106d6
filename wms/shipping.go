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

// shippableOrder loads a packed order that may leave.
func shippableOrder(tx *txn, ev *Event, p ShipConfirm) (owner string, o Order, err error) {
	if owner, err = ownerFor(ev, p.Owner); err != nil {
		return "", o, err
	}
	if o, err = orderTx(tx, owner, p.Order); err != nil {
		return "", o, err
	}
	if o.State != OrderPacked {
		return "", o, Errf(CodeConflict, "pack.not_packed", "order", p.Order, "state", string(o.State))
	}
	return owner, o, nil
}

// decideShipped records the waybills of the parcels that leave.
func decideShipped(tx *txn, ev *Event) error {
	var p ShipConfirm
	if err := decode(ev, &p); err != nil {
		return err
	}
	owner, _, err := shippableOrder(tx, ev, p)
	if err != nil {
		return err
	}
	ps, err := getPack(tx, owner, p.Order)
	if err != nil {
		return err
	}
	p.Waybills = nil
	for _, parcel := range ps.Parcels {
		p.Waybills = append(p.Waybills, parcel.Waybill)
	}
	return setPayload(ev, p)
}

// applyShipped hands the order's parcels to the carrier.
func applyShipped(tx *txn, ev *Event) error {
	var p ShipConfirm
	if err := decode(ev, &p); err != nil {
		return err
	}
	owner, o, err := shippableOrder(tx, ev, p)
	if err != nil {
		return err
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
	// Legacy: order.shipped events logged before the waybills were recorded
	// (before projections version 4) name none; every later one names the
	// parcels' waybills, and they must be the parcels the order has.
	if len(p.Waybills) > 0 && len(p.Waybills) != len(ps.Parcels) {
		return Errf(CodeInvalid, "event.payload_invalid", "type", ev.Type, "detail", "waybills")
	}
	for i, parcel := range ps.Parcels {
		if len(p.Waybills) > 0 && p.Waybills[i] != parcel.Waybill {
			return Errf(CodeInvalid, "event.payload_invalid", "type", ev.Type, "detail", "waybills")
		}
		touchParcelLots(tx, owner, parcel)
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
