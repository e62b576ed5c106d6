package wms

// An order's stored form (see projcodec.go). Lines is written as its length
// plus one, 0 for none at all, so an order reads back exactly as it was put.
const orderCodecV1 byte = 0xA1

func encodeOrder(o *Order) []byte {
	e := newProjEnc(orderCodecV1, 256+96*len(o.Lines))
	for _, s := range []string{o.Owner, o.No, o.Channel, o.Shop, o.Platform} {
		e.str(s)
	}
	e.strs(o.PlatformOrderIDs)
	e.str(o.Recipient.Name)
	e.str(o.Recipient.Phone)
	e.str(o.Recipient.Address)
	if o.Lines == nil {
		e.n(0)
	} else {
		e.n(len(o.Lines) + 1)
	}
	for i := range o.Lines {
		l := &o.Lines[i]
		e.str(l.SKU)
		e.int(l.Qty)
		e.str(l.PlatformOrderID)
		e.str(l.PlatformSubOrderID)
		e.n(len(l.Parts))
		for _, p := range l.Parts {
			e.str(p.PlatformOrderID)
			e.str(p.PlatformSubOrderID)
			e.int(p.Qty)
		}
		e.n(len(l.Allocs))
		for _, a := range l.Allocs {
			e.str(a.Lot)
			e.str(a.Expiry)
			e.str(a.Location)
			e.int(a.Qty)
			e.int(a.Picked)
		}
		e.int(l.Picked)
		e.int(l.Short)
		e.int(l.Backordered)
	}
	e.n(o.Priority)
	e.str(o.Carrier)
	e.whenPtr(o.ShipBy)
	e.str(o.Notes)
	e.str(string(o.State))
	e.str(o.Wave)
	e.str(o.Tote)
	e.when(o.Received)
	e.when(o.Updated)
	e.str(o.Source)
	e.str(o.Digest)
	e.str(o.CancelReason)
	e.bool(o.Held)
	e.str(o.HoldReason)
	e.n(o.Holds)
	e.n(len(o.Steps))
	for _, s := range o.Steps {
		e.str(s.Step)
		e.when(s.At)
	}
	return e.b
}

func decodeOrder(v []byte) (Order, error) {
	var o Order
	d, ok := newProjDec(orderCodecV1, v)
	if !ok {
		return o, Errf(CodeInternal, "event.payload_invalid", "type", "order")
	}
	o.Owner, o.No, o.Channel, o.Shop, o.Platform = d.str(), d.str(), d.str(), d.str(), d.str()
	o.PlatformOrderIDs = d.strs()
	o.Recipient = Recipient{Name: d.str(), Phone: d.str(), Address: d.str()}
	if n := d.count(); n > 0 {
		o.Lines = make([]OrderLine, n-1)
	}
	for i := range o.Lines {
		l := &o.Lines[i]
		l.SKU, l.Qty, l.PlatformOrderID, l.PlatformSubOrderID = d.str(), d.int(), d.str(), d.str()
		if n := d.count(); n > 0 {
			l.Parts = make([]LinePart, n)
			for j := range l.Parts {
				l.Parts[j] = LinePart{PlatformOrderID: d.str(), PlatformSubOrderID: d.str(), Qty: d.int()}
			}
		}
		if n := d.count(); n > 0 {
			l.Allocs = make([]Alloc, n)
			for j := range l.Allocs {
				l.Allocs[j] = Alloc{Lot: d.str(), Expiry: d.str(), Location: d.str(), Qty: d.int(), Picked: d.int()}
			}
		}
		l.Picked, l.Short, l.Backordered = d.int(), d.int(), d.int()
		if d.bad {
			break
		}
	}
	o.Priority = d.n()
	o.Carrier = d.str()
	o.ShipBy = d.whenPtr()
	o.Notes = d.str()
	o.State = OrderState(d.str())
	o.Wave, o.Tote = d.str(), d.str()
	o.Received, o.Updated = d.when(), d.when()
	o.Source, o.Digest, o.CancelReason = d.str(), d.str(), d.str()
	o.Held, o.HoldReason, o.Holds = d.bool(), d.str(), d.n()
	if n := d.count(); n > 0 {
		o.Steps = make([]OrderStep, n)
		for i := range o.Steps {
			o.Steps[i] = OrderStep{Step: d.str(), At: d.when()}
		}
	}
	return o, d.end("order")
}

func getOrder(tx *txn, owner, no string) (Order, bool, error) {
	k := orderKey(owner, no)
	b := tx.Bucket(bucketOrders)
	rec, again := b.cached(k) // a replay's decoded order (overlay_typed.go)
	if rec != nil {
		return normOrder(&rec.(*orderRec).o), true, nil
	}
	raw := b.Get(k)
	if raw == nil {
		return Order{}, false, nil
	}
	o, err := decodeOrder(raw)
	if err != nil {
		return o, true, &DamagedRecordError{Bucket: string(bucketOrders), Key: string(k), Err: err}
	}
	if again {
		b.keep(k, &orderRec{normOrder(&o)})
	}
	return o, true, nil
}

// orderTx is an order that must exist.
func orderTx(tx *txn, owner, no string) (Order, error) {
	o, found, err := getOrder(tx, owner, no)
	if err == nil && !found {
		err = Errf(CodeNotFound, "order.not_found", "order", no)
	}
	return o, err
}
