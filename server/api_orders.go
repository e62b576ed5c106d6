package server

import (
	"time"

	"tally/wms"
)

// The API's own shapes for orders and waves. They are converted to and from
// wms types here, so the stored payloads and projections can change without
// changing what integrations send and read (testdata/api pins these).

// orderIn is the body of POST /api/v1/orders.
type orderIn struct {
	Owner string `json:"owner,omitempty"` // the owner (货主); empty: the default owner
	No    string `json:"no"`
	// Channel is the older, lower-case name of where the order came from
	// (tmall, jd, ...); Platform the platform code (TB, TM, JD, PDD, DY,
	// SHOPIFY, OWN, ...). One of them is needed.
	Channel          string        `json:"channel,omitempty"`
	Platform         string        `json:"platform,omitempty"`
	Shop             string        `json:"shop,omitempty"`
	PlatformOrderIDs []string      `json:"platform_order_ids,omitempty"`
	Recipient        recipientJSON `json:"recipient"`
	Lines            []orderLineIn `json:"lines"`
	Priority         int           `json:"priority,omitempty"`
	Carrier          string        `json:"carrier,omitempty"`
	ShipBy           *time.Time    `json:"ship_by,omitempty"`
	Notes            string        `json:"notes,omitempty"`
}

type recipientJSON struct {
	Name    string `json:"name"`
	Phone   string `json:"phone"`
	Address string `json:"address"`
}

// orderLineIn is one line: a SKU, how many, and the platform order and
// sub-order it stands for.
type orderLineIn struct {
	SKU                string `json:"sku"`
	Qty                int64  `json:"qty"`
	PlatformOrderID    string `json:"platform_order_id,omitempty"`
	PlatformSubOrderID string `json:"platform_sub_order_id,omitempty"`
}

func (in orderIn) intake() wms.OrderIntake {
	out := wms.OrderIntake{Owner: in.Owner, No: in.No, Channel: in.Channel, Platform: in.Platform, Shop: in.Shop,
		PlatformOrderIDs: in.PlatformOrderIDs, Recipient: wms.Recipient(in.Recipient),
		Priority: in.Priority, Carrier: in.Carrier, ShipBy: in.ShipBy, Notes: in.Notes}
	for _, l := range in.Lines {
		out.Lines = append(out.Lines, wms.OrderLineIn{LineIn: wms.LineIn{SKU: l.SKU, Qty: l.Qty},
			PlatformOrderID: l.PlatformOrderID, PlatformSubOrderID: l.PlatformSubOrderID})
	}
	return out
}

// ordersOut answers GET /api/v1/orders.
type ordersOut struct {
	Orders []orderOut `json:"orders"`
}

// orderOut is an order as the API shows it.
type orderOut struct {
	Owner   string `json:"owner"`
	No      string `json:"no"`
	Channel string `json:"channel"`
	// Platform is the platform the order named, or for an order taken in
	// before platforms were named, the one its channel implies.
	Platform         string         `json:"platform,omitempty"`
	Shop             string         `json:"shop,omitempty"`
	PlatformOrderIDs []string       `json:"platform_order_ids,omitempty"`
	Recipient        recipientJSON  `json:"recipient"`
	Lines            []orderLineOut `json:"lines"`
	Priority         int            `json:"priority"`
	Carrier          string         `json:"carrier,omitempty"`
	ShipBy           *time.Time     `json:"ship_by,omitempty"`
	Notes            string         `json:"notes,omitempty"`
	State            string         `json:"state"`
	Wave             string         `json:"wave,omitempty"`
	Tote             string         `json:"tote,omitempty"`
	Received         time.Time      `json:"received"`
	Updated          time.Time      `json:"updated"`
	CancelReason     string         `json:"cancel_reason,omitempty"`
	// Held: the upstream put the order on hold; no wave takes it until restored.
	Held       bool   `json:"held,omitempty"`
	HoldReason string `json:"hold_reason,omitempty"`
	// Archived: the order is no longer in the live store; this is the
	// archive's record of it (archive.go).
	Archived bool `json:"archived,omitempty"`
}

type orderLineOut struct {
	SKU                string        `json:"sku"`
	Qty                int64         `json:"qty"`
	PlatformOrderID    string        `json:"platform_order_id,omitempty"`
	PlatformSubOrderID string        `json:"platform_sub_order_id,omitempty"`
	Parts              []linePartOut `json:"parts,omitempty"`
	Allocated          int64         `json:"allocated"`
	Picked             int64         `json:"picked"`
	Short              int64         `json:"short"`
	Backordered        int64         `json:"backordered"`
	Allocs             []allocOut    `json:"allocs,omitempty"`
}

// linePartOut is one platform sub-order's share of a line that merged orders share.
type linePartOut struct {
	PlatformOrderID    string `json:"platform_order_id,omitempty"`
	PlatformSubOrderID string `json:"platform_sub_order_id,omitempty"`
	Qty                int64  `json:"qty"`
}

type allocOut struct {
	Lot      string `json:"lot,omitempty"`
	Expiry   string `json:"expiry,omitempty"`
	Location string `json:"location"`
	Qty      int64  `json:"qty"`
	Picked   int64  `json:"picked"`
}

func newOrderOut(o wms.Order) orderOut {
	out := orderOut{Owner: o.Owner, No: o.No, Channel: o.Channel, Platform: o.SourcePlatform(), Shop: o.Shop,
		PlatformOrderIDs: o.PlatformOrderIDs, Recipient: recipientJSON(o.Recipient), Lines: []orderLineOut{},
		Priority: o.Priority, Carrier: o.Carrier, ShipBy: o.ShipBy, Notes: o.Notes, State: string(o.State),
		Wave: o.Wave, Tote: o.Tote, Received: o.Received, Updated: o.Updated, CancelReason: o.CancelReason,
		Held: o.Held, HoldReason: o.HoldReason}
	for _, l := range o.Lines {
		line := orderLineOut{SKU: l.SKU, Qty: l.Qty, PlatformOrderID: l.PlatformOrderID, PlatformSubOrderID: l.PlatformSubOrderID,
			Allocated: l.Allocated(), Picked: l.Picked, Short: l.Short, Backordered: l.Backordered}
		for _, p := range l.Parts {
			line.Parts = append(line.Parts, linePartOut(p))
		}
		for _, a := range l.Allocs {
			line.Allocs = append(line.Allocs, allocOut(a))
		}
		out.Lines = append(out.Lines, line)
	}
	return out
}

// cancelIn is the body of POST /api/v1/orders/{no}/cancel (optional).
type cancelIn struct {
	Reason string `json:"reason"`
}

// waveIn is the body of POST /api/v1/waves: which new orders to release.
type waveIn struct {
	Owner       string     `json:"owner,omitempty"` // one owner's orders only; empty: every owner's
	Carrier     string     `json:"carrier,omitempty"`
	DueBy       *time.Time `json:"due_by,omitempty"`
	MinPriority int        `json:"min_priority,omitempty"`
	Lines       string     `json:"lines,omitempty"` // single, multi or empty for both
	MaxOrders   int        `json:"max_orders,omitempty"`
	Mode        string     `json:"mode"` // single or cluster
	ClusterSize int        `json:"cluster_size,omitempty"`
}

func (in waveIn) filter() wms.WaveFilter {
	return wms.WaveFilter{Owner: in.Owner, Carrier: in.Carrier, DueBy: in.DueBy, MinPriority: in.MinPriority, Lines: in.Lines,
		MaxOrders: in.MaxOrders, Mode: wms.WaveMode(in.Mode), ClusterSize: in.ClusterSize}
}

type waveOut struct {
	ID      string    `json:"id"`
	Mode    string    `json:"mode"`
	Created time.Time `json:"created"`
	Actor   string    `json:"actor"`
	Orders  []string  `json:"orders"`
	Waiting []string  `json:"waiting"`
	Tasks   []string  `json:"tasks"`
}

func newWaveOut(w wms.Wave) waveOut {
	return waveOut{ID: w.ID, Mode: string(w.Mode), Created: w.Created, Actor: w.Actor,
		Orders: nonNil(w.Orders), Waiting: nonNil(w.Waiting), Tasks: nonNil(w.Tasks)}
}

// nonNil makes a missing list an empty one, so a list in an answer is
// always a JSON array.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
