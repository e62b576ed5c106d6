package wms

import (
	"sort"
	"time"
)

// RecallReport is what a supervisor needs when a lot is recalled: where it
// still is, which orders took it (and in which parcels it left), and who
// recalled it.
type RecallReport struct {
	Lot       Lot           `json:"lot"`
	Locations []StockLine   `json:"locations"`
	Orders    []RecallOrder `json:"orders"`
	Recalled  *Recalled     `json:"recalled,omitempty"` // nil when nobody has recalled the lot
}

// RecallOrder is an order that took units of the lot.
type RecallOrder struct {
	Order    string     `json:"order"`
	Channel  string     `json:"channel"`
	State    OrderState `json:"state"`
	Qty      int64      `json:"qty"`                // units of the lot picked for it (undos included)
	Waybills []string   `json:"waybills,omitempty"` // the parcels that carried the lot
}

// Recalled is the latest recall of a lot.
type Recalled struct {
	Actor  string    `json:"actor"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason"`
}

// RecallReport gathers the report of one of the default owner's lots.
func (l *Ledger) RecallReport(sku, lot string) (RecallReport, error) {
	return l.Books(DefaultOwner).RecallReport(sku, lot)
}

// RecallReport gathers the report of one of the owner's lots from the lot's
// events and the orders they name. An order that took the lot and no longer
// holds any of it is left out unless it was cancelled (its units went back).
func (b Books) RecallReport(sku, lot string) (rep RecallReport, err error) {
	err = b.l.view(func(tx *txn) error {
		rep, err = recallReport(tx, b.owner, sku, lot)
		return err
	})
	return rep, err
}

func recallReport(tx *txn, owner, sku, lot string) (RecallReport, error) {
	var rep RecallReport
	found, events, err := lotTrace(tx, owner, sku, lot)
	if err != nil {
		return rep, err
	}
	rep.Lot = found
	all, err := stockOf(tx, owner, sku)
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
		o, err := orderTx(tx, owner, no)
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
		ps, err := getPack(tx, owner, o.No)
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
