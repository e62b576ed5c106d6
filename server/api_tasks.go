package server

import (
	"encoding/json"
	"time"

	"tally/wms"
)

// The API's shapes for tasks. The pick screen's script reads the same shape
// from POST /api/v1/tasks/{id}/scans.

type taskOut struct {
	ID       string          `json:"id"`
	Wave     string          `json:"wave,omitempty"`
	Kind     string          `json:"kind"`
	Mode     string          `json:"mode,omitempty"`
	State    string          `json:"state"`
	Priority int             `json:"priority"`
	Actor    string          `json:"actor,omitempty"`
	Device   string          `json:"device,omitempty"`
	Orders   []taskOrderOut  `json:"orders"`
	Lines    []taskLineOut   `json:"lines"`
	Location string          `json:"location,omitempty"` // count tasks
	Reason   string          `json:"reason,omitempty"`   // count tasks
	Created  time.Time       `json:"created"`
	Started  *time.Time      `json:"started,omitempty"`
	Finished *time.Time      `json:"finished,omitempty"`
	Picks    []pickRecordOut `json:"picks"`
}

type taskOrderOut struct {
	Owner string `json:"owner,omitempty"`
	Order string `json:"order"`
	Tote  string `json:"tote,omitempty"`
}

type taskLineOut struct {
	N          int      `json:"n"`
	Owner      string   `json:"owner,omitempty"`
	Order      string   `json:"order"`
	SKU        string   `json:"sku"`
	Name       string   `json:"name"`
	GTINs      []string `json:"gtins,omitempty"`
	LotTracked bool     `json:"lot_tracked,omitempty"`
	Lot        string   `json:"lot,omitempty"`
	Expiry     string   `json:"expiry,omitempty"`
	Location   string   `json:"location"`
	PickSeq    int      `json:"pick_seq"`
	Qty        int64    `json:"qty"`
	Done       int64    `json:"done"`
	Short      int64    `json:"short"`
	Cancelled  bool     `json:"cancelled,omitempty"`
}

// pickRecordOut is one pick of the task, so the screen can offer Undo.
type pickRecordOut struct {
	Event    string   `json:"event"`
	Line     int      `json:"line"`
	Lot      string   `json:"lot,omitempty"`
	Location string   `json:"location"`
	Qty      int64    `json:"qty"`
	Serials  []string `json:"serials,omitempty"`
	Undone   bool     `json:"undone,omitempty"`
}

func newTaskOut(t wms.Task) taskOut {
	out := taskOut{ID: t.ID, Wave: t.Wave, Kind: string(t.Kind), Mode: string(t.Mode), State: string(t.State), Priority: t.Priority,
		Actor: t.Actor, Device: t.Device, Orders: make([]taskOrderOut, 0, len(t.Orders)), Lines: make([]taskLineOut, 0, len(t.Lines)),
		Location: t.Location, Reason: t.Reason, Created: t.Created, Started: t.Started, Finished: t.Finished,
		Picks: make([]pickRecordOut, 0, len(t.Picks))}
	for _, o := range t.Orders {
		out.Orders = append(out.Orders, taskOrderOut(o))
	}
	for _, l := range t.Lines {
		out.Lines = append(out.Lines, taskLineOut(l))
	}
	for _, p := range t.Picks {
		out.Picks = append(out.Picks, pickRecordOut{Event: p.Event, Line: p.Line, Lot: p.Lot, Location: p.Location, Qty: p.Qty, Serials: p.Serials, Undone: p.Undone})
	}
	return out
}

// scanOutcome answers POST /api/v1/tasks/{id}/scans: the task after the scan,
// and whether the scan's key had been applied before.
type scanOutcome struct {
	Task taskOut `json:"task"`
}

// newScanOutcome reads the task as the ledger answered it.
func newScanOutcome(raw json.RawMessage) (scanOutcome, error) {
	var t wms.Task
	if err := json.Unmarshal(raw, &t); err != nil {
		return scanOutcome{}, err
	}
	return scanOutcome{Task: newTaskOut(t)}, nil
}
