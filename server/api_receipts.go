package server

import (
	"time"

	"tally/wms"
)

// The API's shapes for receipts (ASNs) and returns announced by the OMS.

// receiptIn is the body of POST /api/v1/receipts: a delivery announced.
type receiptIn struct {
	Owner    string          `json:"owner,omitempty"` // the owner (货主); empty: the default owner
	ID       string          `json:"id"`
	Supplier string          `json:"supplier"`
	Lines    []receiptLineIn `json:"lines"`
}

type receiptLineIn struct {
	SKU string `json:"sku"`
	Qty int64  `json:"qty"`
}

func (in receiptIn) receipt() wms.ReceiptIn {
	out := wms.ReceiptIn{Owner: in.Owner, ID: in.ID, Supplier: in.Supplier}
	for _, l := range in.Lines {
		out.Lines = append(out.Lines, wms.LineIn(l))
	}
	return out
}

type receiptOut struct {
	Owner    string           `json:"owner"`
	ID       string           `json:"id"`
	Supplier string           `json:"supplier"`
	Blind    bool             `json:"blind"`
	Lines    []receiptLineOut `json:"lines"`
	State    string           `json:"state"` // open or closed
	Created  time.Time        `json:"created"`
	Closed   *time.Time       `json:"closed,omitempty"`
}

type receiptLineOut struct {
	SKU         string `json:"sku"`
	Expected    int64  `json:"expected"`
	Received    int64  `json:"received"`
	Quarantined int64  `json:"quarantined"`
	Refused     int64  `json:"refused"`
	Variance    int64  `json:"variance"` // received − expected
}

func newReceiptOut(r wms.Receipt) receiptOut {
	out := receiptOut{Owner: r.Owner, ID: r.ID, Supplier: r.Supplier, Blind: r.Blind, Lines: make([]receiptLineOut, 0, len(r.Lines)),
		State: r.State, Created: r.Created, Closed: r.Closed}
	for _, l := range r.Lines {
		out.Lines = append(out.Lines, receiptLineOut{SKU: l.SKU, Expected: l.Expected, Received: l.Received,
			Quarantined: l.Quarantined, Refused: l.Refused, Variance: l.Variance()})
	}
	return out
}

// returnIn is the body of POST /api/v1/returns: an RMA the OMS announces,
// and what the answer repeats.
type returnIn struct {
	Owner         string `json:"owner,omitempty"` // the owner (货主); empty: the default owner
	RMA           string `json:"rma"`
	Order         string `json:"order"`
	ReturnWaybill string `json:"return_waybill,omitempty"`
	Reason        string `json:"reason,omitempty"`
}
