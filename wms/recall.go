package wms

import (
	"errors"
	"os"
	"path/filepath"
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
	Returned int64      `json:"returned,omitempty"` // units of the lot that came back of it
	// Archived says the order was read from the archive (it left the live
	// store after --keep-orders).
	Archived bool `json:"archived,omitempty"`
	// Unread says why an order that took the lot could not be read (an
	// archive file this copy of the store lacks): the order is still named,
	// its quantity and waybills are unknown here.
	Unread *Error `json:"unread,omitempty"`
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
		rep, err = recallReport(tx, b.l.ArchiveDir(), b.owner, sku, lot)
		return err
	})
	return rep, err
}

func recallReport(tx *txn, archiveDir, owner, sku, lot string) (RecallReport, error) {
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
	// orders that left the live store are read from the archive, each
	// gzip member once however many of the lot's orders it holds
	archived := map[ArchivedAt][]string{}
	for _, no := range nos {
		o, live, err := getOrder(tx, owner, no)
		if err != nil {
			return rep, err
		}
		if !live {
			at, ok, err := archivedOrderAt(tx, owner, no) // live table or an order table (ordertable.go)
			if err != nil {
				return rep, err
			}
			if !ok {
				rep.Orders = append(rep.Orders, RecallOrder{Order: no, Unread: Errf(CodeNotFound, "order.not_found", "order", no)})
				continue
			}
			archived[at] = append(archived[at], no)
			continue
		}
		ps, err := getPack(tx, owner, o.No)
		if err != nil {
			return rep, err
		}
		returned := map[string]int64{}
		if _, err := getJSON(tx.Bucket(bucketOrderReturns), orderKey(owner, o.No), &returned); err != nil {
			return rep, err
		}
		if ro, ok := recallOrderOf(o, &ps, returned, sku, lot); ok {
			rep.Orders = append(rep.Orders, ro)
		}
	}
	ats := make([]ArchivedAt, 0, len(archived))
	for at := range archived {
		ats = append(ats, at)
	}
	sort.Slice(ats, func(i, j int) bool {
		return ats[i].File < ats[j].File || ats[i].File == ats[j].File && ats[i].Offset < ats[j].Offset
	})
	for _, at := range ats {
		want := map[string]bool{}
		for _, no := range archived[at] {
			want[no] = true
		}
		var read []RecallOrder // given out only once the member read whole (its checksum is at its end)
		err := readMemberAt(filepath.Join(archiveDir, at.File), at.Offset, func(a ArchivedOrder) error {
			if OwnerOr(a.Order.Owner) != owner || !want[a.Order.No] {
				return nil
			}
			delete(want, a.Order.No)
			if ro, ok := recallOrderOf(a.Order, a.Pack, a.Returned, sku, lot); ok {
				ro.Archived = true
				read = append(read, ro)
			}
			return nil
		})
		if err != nil { // every order of a member that does not read whole is named unread
			for _, no := range archived[at] {
				want[no] = true
			}
		} else {
			rep.Orders = append(rep.Orders, read...)
		}
		for _, no := range archived[at] {
			if !want[no] {
				continue
			}
			// the report names the order and says why it is not read here
			// instead of failing: a recall's hold never waits on the archive
			ro := RecallOrder{Order: no, Archived: true, Unread: Errf(CodeNotFound, "order.not_found", "order", no)}
			if err != nil {
				if errors.Is(err, os.ErrNotExist) {
					ro.Unread = Errf(CodeNotFound, "archive.file_missing", "order", no, "file", at.File)
				} else {
					ro.Unread = Errf(CodeInternal, "recall.archive_unreadable", "order", no, "file", at.File, "error", err.Error())
				}
			}
			rep.Orders = append(rep.Orders, ro)
		}
	}
	sort.Slice(rep.Orders, func(i, j int) bool { return rep.Orders[i].Order < rep.Orders[j].Order })
	return rep, nil
}

// recallOrderOf is the report's line for an order (live or archived): what
// it picked of the lot, the parcels that carried it and what came back. An
// order that holds none of the lot is left out unless it was cancelled.
func recallOrderOf(o Order, ps *PackState, returned map[string]int64, sku, lot string) (RecallOrder, bool) {
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
		return RecallOrder{}, false
	}
	ro := RecallOrder{Order: o.No, Channel: o.Channel, State: o.State, Qty: picked, Returned: returned[retKey(sku, lot)]}
	if ps != nil {
		for _, p := range ps.Parcels {
			for _, it := range p.Items {
				if it.SKU == sku && it.Lot == lot {
					ro.Waybills = append(ro.Waybills, p.Waybill)
					break
				}
			}
		}
	}
	return ro, true
}
