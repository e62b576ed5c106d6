package syncer

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"

	"tally/syncer/market"
	"tally/wms"
)

// Shipments to a marketplace: a shop writes back its own orders (its
// owner's, on its channel), one market.Shipment per platform order the
// Tally order stands for, each parcel naming the sub-orders whose units it
// carries. The mapping is pure: the same event gives the same shipments
// and keys every time, so a retry is a repeat the adapter recognises.

// shopOrders reads the order a shipment is of.
type shopOrders interface {
	order(owner, no string) (o wms.Order, ok bool, err error)
}

// errNoCarrier is a shipment whose carrier the platform does not know.
type errNoCarrier struct{ platform, carrier string }

func (e errNoCarrier) Error() string {
	if e.carrier == "" {
		return "the order has no carrier: " + e.platform + " must be told which carrier took it"
	}
	return e.platform + " does not know the carrier " + e.carrier + " (Tally's carriers: " + strings.Join(market.Carriers, ", ") + ")"
}

// writesBack says whether a shop writes back an order: its owner's, on its
// channel.
func writesBack(up wms.Upstream, o wms.Order) bool {
	return wms.OwnerOr(o.Owner) == wms.OwnerOr(up.Owner) && strings.EqualFold(o.Channel, up.Channel)
}

// shipmentsOf maps a shipping event to the shipments a shop writes back:
// none for another shop's order.
func shipmentsOf(d wms.OutShipment, eventID string, up wms.Upstream, p market.Platform, books shopOrders) ([]market.Shipment, error) {
	o, ok, err := books.order(wms.OwnerOr(up.Owner), d.Order)
	if err != nil || !ok || !writesBack(up, o) {
		return nil, err
	}
	carrier := d.Carrier
	if carrier == "" {
		carrier = o.Carrier
	}
	canon, known := market.Canonical(carrier)
	code, ok := "", false
	if known {
		code, ok = p.Carrier(canon)
	}
	if carrier == "" || !ok {
		return nil, errNoCarrier{platform: p.Name(), carrier: carrier}
	}
	// each line's sources: the sub-orders whose units it carries
	type source struct {
		order, sub string
		left       int64
	}
	single := ""
	if len(o.PlatformOrderIDs) == 1 {
		single = o.PlatformOrderIDs[0]
	} else if len(o.PlatformOrderIDs) == 0 {
		single = o.No // an order without platform IDs is known on the platform by its number
	}
	sources := map[string][]*source{}
	var orders []string
	subs := map[string][]string{}
	add := func(sku, order, sub string, qty int64) {
		if order == "" {
			order = single
		}
		if order == "" {
			return
		}
		if !slices.Contains(orders, order) {
			orders = append(orders, order)
		}
		if sub != "" && !slices.Contains(subs[order], sub) {
			subs[order] = append(subs[order], sub)
		}
		sources[sku] = append(sources[sku], &source{order: order, sub: sub, left: qty})
	}
	for _, l := range o.Lines {
		if len(l.Parts) == 0 {
			add(l.SKU, l.PlatformOrderID, l.PlatformSubOrderID, l.Qty)
			continue
		}
		for _, pt := range l.Parts {
			add(l.SKU, pt.PlatformOrderID, pt.PlatformSubOrderID, pt.Qty)
		}
	}
	out := make([]market.Shipment, 0, len(orders))
	idx := map[string]int{}
	for _, po := range orders {
		s := subs[po]
		sort.Strings(s)
		idx[po] = len(out)
		out = append(out, market.Shipment{Key: eventID + ":" + po, Order: o.No, PlatformOrderID: po, SubOrders: s})
	}
	for _, pc := range d.Parcels {
		parcel := map[string]*market.Parcel{}
		var order []string
		for _, it := range pc.Items {
			qty := it.Qty
			for _, src := range sources[it.SKU] {
				if qty == 0 {
					break
				}
				take := min(qty, src.left)
				if take <= 0 {
					continue
				}
				src.left -= take
				qty -= take
				mp := parcel[src.order]
				if mp == nil {
					mp = &market.Parcel{Waybill: pc.Waybill, Carrier: code}
					parcel[src.order] = mp
					order = append(order, src.order)
				}
				if i := slices.IndexFunc(mp.Items, func(x market.Item) bool { return x.SubOrderID == src.sub && x.SKU == it.SKU }); i >= 0 {
					mp.Items[i].Qty += take
				} else {
					mp.Items = append(mp.Items, market.Item{SubOrderID: src.sub, SKU: it.SKU, Qty: take})
				}
			}
		}
		for _, po := range order {
			s := &out[idx[po]]
			s.Parcels = append(s.Parcels, *parcel[po])
		}
	}
	kept := out[:0]
	for _, s := range out {
		if len(s.Parcels) > 0 {
			kept = append(kept, s)
		}
	}
	return kept, nil
}

// marketBatch sends the shipments of up to Batch events.
func (k *link) marketBatch(ctx context.Context, up wms.Upstream, p market.Platform) (more bool, err error) {
	books := ledgerBooks{k.s.l}
	return k.sendCalls(ctx, up, func(q queued, from int) (callsOutcome, error) {
		d, ok := q.out.Data.(wms.OutShipment)
		if !ok {
			return callsOutcome{}, nil
		}
		ships, err := shipmentsOf(d, q.id, up, p, books)
		var nc errNoCarrier
		if errors.As(err, &nc) {
			return callsOutcome{dead: &wms.DeadLetter{Seq: q.seq, ID: q.id, Type: q.typ, Code: "carrier.unknown", Reason: clip(nc.Error(), maxErrorText)}}, nil
		}
		if err != nil {
			return callsOutcome{done: from}, err
		}
		done, ref, err := k.shipAll(ctx, up, p, ships, from)
		out := callsOutcome{done: done}
		if err == nil && ref != nil {
			out.dead, out.answered = &wms.DeadLetter{Seq: q.seq, ID: q.id, Type: q.typ, Code: ref.code, Reason: ref.reason}, true
		}
		return out, err
	})
}

// shipAll writes ships[from:] back in order; done is how many the
// platform holds. A refusal stops the rest (the event is a dead letter; a
// retry sends them all again, and the ones taken are repeats).
func (k *link) shipAll(ctx context.Context, up wms.Upstream, p market.Platform, ships []market.Shipment, from int) (done int, ref *erpRefusal, err error) {
	done = from
	for _, s := range ships[min(from, len(ships)):] {
		err := p.Ship(ctx, k.conn(up, p), shopOf(up), s)
		if err != nil {
			if ctx.Err() != nil {
				return done, nil, ctx.Err()
			}
			ref, f := k.marketFailure(up.Dialect+" shipment of order "+s.Order+" ("+s.PlatformOrderID+")", err)
			if f != nil {
				return done, nil, f
			}
			k.setOnline(true)
			return done, ref, nil
		}
		done++
	}
	return done, nil, nil
}

// marketRetries sends again the dead letters a supervisor asked to retry.
func (k *link) marketRetries(ctx context.Context, up wms.Upstream, p market.Platform, retry []wms.DeadLetter) error {
	books := ledgerBooks{k.s.l}
	return k.retryCalls(ctx, up, retry, func(ev wms.Event, o wms.Outward, ok bool) (*wms.DeadLetter, error) {
		var ships []market.Shipment
		var err error
		if sh, isShip := o.Data.(wms.OutShipment); ok && isShip {
			ships, err = shipmentsOf(sh, ev.ID, up, p, books)
		}
		var nc errNoCarrier
		switch {
		case errors.As(err, &nc):
			return &wms.DeadLetter{Code: "carrier.unknown", Reason: clip(nc.Error(), maxErrorText)}, nil
		case err != nil:
			return nil, err
		}
		_, ref, err := k.shipAll(ctx, up, p, ships, 0)
		if err != nil || ref == nil {
			return nil, err
		}
		return &wms.DeadLetter{Code: ref.code, Reason: ref.reason}, nil
	})
}
