package server

import (
	"tally/views"
	"tally/wms"
)

// The API's shapes for lots: status changes, recalls and traces.

// lotStatusIn is the body of POST /api/v1/lots/status: quarantine, hold or
// release a lot.
type lotStatusIn struct {
	Owner  string `json:"owner,omitempty"` // whose lot; empty: the default owner
	SKU    string `json:"sku"`
	Lot    string `json:"lot"`
	Status string `json:"status"` // available, quarantine or hold
	Reason string `json:"reason"`
}

func (in lotStatusIn) change() wms.LotStatusChange {
	return wms.LotStatusChange{Owner: in.Owner, SKU: in.SKU, Lot: in.Lot, Status: wms.LotStatus(in.Status), Reason: in.Reason}
}

// recallIn is the body of POST /api/v1/recall: a whole lot, or only the
// units with the serials listed, held everywhere.
type recallIn struct {
	Owner   string   `json:"owner,omitempty"` // whose lot; empty: the default owner
	SKU     string   `json:"sku"`
	Lot     string   `json:"lot"`
	Reason  string   `json:"reason"`
	Serials []string `json:"serials,omitempty"`
}

func (in recallIn) change() wms.LotStatusChange {
	return wms.LotStatusChange{Owner: in.Owner, SKU: in.SKU, Lot: in.Lot, Status: wms.LotHold, Reason: in.Reason, Serials: in.Serials}
}

type lotOut struct {
	Owner  string `json:"owner"`
	SKU    string `json:"sku"`
	Lot    string `json:"lot"`
	Expiry string `json:"expiry,omitempty"`
	Status string `json:"status"`
}

func newLotOut(l wms.Lot) lotOut {
	return lotOut{Owner: l.Owner, SKU: l.SKU, Lot: l.Code, Expiry: l.Expiry, Status: string(l.Status)}
}

// recallOut answers GET and POST /api/v1/recall: the lot, where its units
// are and the orders that took some.
type recallOut struct {
	Lot       lotOut           `json:"lot"`
	Locations []stockLineOut   `json:"locations"`
	Orders    []recallOrderOut `json:"orders"`
}

type recallOrderOut struct {
	Order   string `json:"order"`
	Channel string `json:"channel"`
	State   string `json:"state"`
	Waybill string `json:"waybill,omitempty"`
	Qty     int64  `json:"qty"`
	// Archived: the order was read from the archive; Unread: why an
	// archived order could not be read here (in the reader's language)
	Archived bool   `json:"archived,omitempty"`
	Unread   string `json:"unread,omitempty"`
}

// recallUnread adds to a recall's answer which orders were read from the
// archive and why one could not be read.
func recallUnread(out recallOut, orders []views.RecallOrder, lng string) recallOut {
	for i, o := range orders {
		out.Orders[i].Archived = o.Archived
		if o.Unread != nil {
			out.Orders[i].Unread = views.Translate(lng, o.Unread.Key, o.Unread.Args)
		}
	}
	return out
}

func newRecallOut(lot wms.Lot, where []wms.StockLine, orders []views.RecallOrder) recallOut {
	out := recallOut{Lot: newLotOut(lot), Locations: stockLinesOut(where), Orders: make([]recallOrderOut, 0, len(orders))}
	for _, o := range orders {
		out.Orders = append(out.Orders, recallOrderOut{Order: o.Order, Channel: o.Channel, State: o.State, Waybill: o.Waybill, Qty: o.Qty})
	}
	return out
}

// traceEventOut is one event that touched a lot or a unit, summarised in the
// reader's language.
type traceEventOut struct {
	Seq     uint64 `json:"seq"`
	Type    string `json:"type"`
	At      string `json:"at"`
	Actor   string `json:"actor,omitempty"`
	Device  string `json:"device,omitempty"`
	Summary string `json:"summary"`
}

// lotTraceOut answers GET /api/v1/trace?sku=…&lot=….
type lotTraceOut struct {
	Lot    lotOut          `json:"lot"`
	Events []traceEventOut `json:"events"`
}

// serialTraceOut answers GET /api/v1/trace?serial=….
type serialTraceOut struct {
	Serial serialOut       `json:"serial"`
	Order  orderOut        `json:"order"`
	Events []traceEventOut `json:"events"`
}

type serialOut struct {
	Serial   string `json:"serial"`
	Owner    string `json:"owner,omitempty"`
	SKU      string `json:"sku"`
	Lot      string `json:"lot,omitempty"`
	Order    string `json:"order"`
	Returned string `json:"returned,omitempty"` // the return parcel that brought the unit back
	Seq      uint64 `json:"seq"`
}
