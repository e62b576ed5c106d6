package wms

import (
	"sort"
	"time"
)

// RecallReport is what a supervisor needs when a lot is recalled: where it
// still is, which orders took it (and in which parcels it left), and who
// recalled it.
type RecallReport struct {
	Lot       Lot
	Locations []StockLine
	Orders    []RecallOrder
	Recalled  *Recalled // nil when nobody has recalled the lot
}

// RecallOrder is an order that took units of the lot.
type RecallOrder struct {
	Order    string
	Channel  string
	State    OrderState
	Qty      int64    // units of the lot picked for it (undos included)
	Waybills []string // the parcels that carried the lot
}

// Recalled is the latest recall of a lot.
type Recalled struct {
	Actor  string
	At     time.Time
	Reason string
}

// RecallReport gathers the report of one lot from the lot's events and the
// orders they name. An order that took the lot and no longer holds any of it
// is left out unless it was cancelled (its units went back).
func (l *Ledger) RecallReport(sku, lot string) (RecallReport, error) {
	var rep RecallReport
	found, events, err := l.LotTrace(sku, lot)
	if err != nil {
		return rep, err
	}
	rep.Lot = found
	all, err := l.StockOf(sku)
	if err != nil {
		return rep, err
	}
	for _, x := range all {
		if x.Lot == lot {
			rep.Locations = append(rep.Locations, x)
		}
	}
	seen := map[string]bool{}
	var nos []string
	for _, ev := range events {
		switch ev.Type {
		case EvLotRecalled:
			var p LotStatusChange
			if err := decode(&ev, &p); err != nil {
				return rep, err
			}
			rep.Recalled = &Recalled{Actor: ev.Actor, At: ev.At, Reason: p.Reason}
		case EvPicked:
			var p PickScan
			if err := decode(&ev, &p); err != nil {
				return rep, err
			}
			if p.PickedLot == lot && !seen[p.Order] {
				seen[p.Order] = true
				nos = append(nos, p.Order)
			}
		}
	}
	for _, no := range nos {
		o, err := l.Order(no)
		if err != nil {
			return rep, err
		}
		var picked int64
		for _, line := range o.Lines {
			if line.SKU != sku {
				continue
			}
			for _, a := range line.Allocs {
				if a.Lot == lot {
					picked += a.Picked
				}
			}
		}
		if picked == 0 && o.State != OrderCancelled {
			continue
		}
		ps, err := l.Pack(o.No)
		if err != nil {
			return rep, err
		}
		ro := RecallOrder{Order: o.No, Channel: o.Channel, State: o.State, Qty: picked}
		for _, p := range ps.Parcels {
			for _, it := range p.Items {
				if it.SKU == sku && it.Lot == lot {
					ro.Waybills = append(ro.Waybills, p.Waybill)
					break
				}
			}
		}
		rep.Orders = append(rep.Orders, ro)
	}
	sort.Slice(rep.Orders, func(i, j int) bool { return rep.Orders[i].Order < rep.Orders[j].Order })
	return rep, nil
}
