package wms

import (
	"context"
	"slices"
	"strings"

	"github.com/google/uuid"
)

// LotStatusChange sets a lot's status: a supervisor quarantines or releases
// it, a recall holds it, the daily sweep expires it. Allocations of a lot
// that may no longer ship are moved to other stock; what moved is decided
// when appended (decideLotStatus) and applied as recorded.
type LotStatusChange struct {
	// Owner is whose lot (the command moves it to the envelope; a serial
	// hold keeps it in its record).
	Owner  string    `json:"owner,omitempty"`
	SKU    string    `json:"sku"`
	Lot    string    `json:"lot"`
	Status LotStatus `json:"status"`
	Reason string    `json:"reason"`
	Today  string    `json:"today"`
	// Serials, for a recall of single units rather than a whole lot.
	Serials []string `json:"serials,omitempty"`
	// decided
	Decided bool      `json:"decided,omitempty"`
	Moves   []Realloc `json:"moves,omitempty"`
}

// Realloc records one allocation moved off stock that may no longer ship.
type Realloc struct {
	Owner string  `json:"owner,omitempty"` // the order's owner; empty: the default owner
	Order string  `json:"order"`
	Line  int     `json:"line"` // index in the order's lines
	From  Alloc   `json:"from"` // the open part that was released
	To    []Alloc `json:"to,omitempty"`
}

// LotsSwept is the daily expiry sweep: lots past their expiry date become expired.
type LotsSwept struct {
	Today   string    `json:"today"`
	Decided bool      `json:"decided,omitempty"`
	Expired []LotRef  `json:"expired,omitempty"`
	Moves   []Realloc `json:"moves,omitempty"`
}

// LotRef names a lot.
type LotRef struct {
	Owner string `json:"owner,omitempty"` // empty: the default owner
	SKU   string `json:"sku"`
	Lot   string `json:"lot"`
}

func validStatus(s LotStatus) bool {
	return s == LotAvailable || s == LotQuarantine || s == LotHold || s == LotExpired
}

// SetLotStatus changes a lot's status (quarantine, hold, release).
// It answers with the lot as the change left it.
func (l *Ledger) SetLotStatus(ctx context.Context, id string, p LotStatusChange, actor, device string) (Lot, error) {
	if err := checkFree(FieldReason, p.Reason, false); err != nil {
		return Lot{}, err
	}
	p.Today, p.Decided, p.Moves = "", false, nil
	owner := OwnerOr(p.Owner)
	p.Owner = ""
	k := keyed{id: id, typ: EvLotStatus, target: string(lotKey(owner, p.SKU, p.Lot)), actor: actor, request: p}
	return runKeyed(ctx, l, k, func() (Event, error) {
		p.Today = l.Today()
		return newOwnedEvent(id, EvLotStatus, actor, device, owner, p)
	}, func(tx *txn, ev *Event) (Lot, error) {
		return mustGetLot(tx, owner, p.SKU, p.Lot) // live or archived (lotleave.go)
	})
}

// Recall puts a lot (or a list of its serials) on hold everywhere and
// answers with the lot's recall report as it stood right after (computed in
// the event's transaction): a repeat of id gets that report, not today's.
func (l *Ledger) Recall(ctx context.Context, id string, p LotStatusChange, actor, device string) (RecallReport, error) {
	if err := checkFree(FieldReason, p.Reason, false); err != nil {
		return RecallReport{}, err
	}
	p.Today, p.Decided, p.Moves, p.Status = "", false, nil, LotHold
	owner := OwnerOr(p.Owner)
	p.Owner = ""
	k := keyed{id: id, typ: EvLotRecalled, target: string(lotKey(owner, p.SKU, p.Lot)), actor: actor, request: p}
	return runKeyed(ctx, l, k, func() (Event, error) {
		p.Today = l.Today()
		return newOwnedEvent(id, EvLotRecalled, actor, device, owner, p)
	}, func(tx *txn, ev *Event) (RecallReport, error) {
		return recallReport(tx, l.ArchiveDir(), owner, p.SKU, p.Lot) // may read archive files: the answer, not the apply
	})
}

// SweepExpired marks lots past their expiry as expired; it is idempotent per day.
func (l *Ledger) SweepExpired(ctx context.Context) ([]LotRef, error) {
	today := l.Today()
	ev, err := NewEvent("sweep:"+today, EvLotsSwept, "system", "sweep", LotsSwept{Today: today})
	if err != nil {
		return nil, err
	}
	stored, _, err := l.Append(ctx, ev)
	if err != nil {
		return nil, err
	}
	var p LotsSwept
	err = stored.DecodeData(&p)
	return p.Expired, err
}

// checkLotStatus validates a status change and names whose lot it is.
func checkLotStatus(ev *Event, p LotStatusChange) (owner string, err error) {
	if strings.TrimSpace(p.Reason) == "" {
		return "", Errf(CodeInvalid, "lot.reason_needed")
	}
	if !validStatus(p.Status) {
		return "", Errf(CodeInvalid, "lot.status_invalid", "status", string(p.Status))
	}
	return ownerFor(ev, p.Owner)
}

// decideLotStatus decides where the allocations of a lot that may no longer
// ship go (lot.status, lot.recalled). Setting a lot available, or holding
// single serials, moves nothing.
func decideLotStatus(tx *txn, ev *Event) error {
	var p LotStatusChange
	if err := decode(ev, &p); err != nil {
		return err
	}
	owner, err := checkLotStatus(ev, p)
	if err != nil {
		return err
	}
	p.Decided, p.Moves = true, nil
	if len(p.Serials) == 0 {
		if _, err := mustGetLot(tx, owner, p.SKU, p.Lot); err != nil { // live or archived (lotleave.go)
			return err
		}
		if p.Status != LotAvailable {
			v := newAllocView(tx)
			v.setStatus(owner, p.SKU, p.Lot, p.Status)
			if p.Moves, err = decideMoves(v, []LotRef{{owner, p.SKU, p.Lot}}, p.Today); err != nil {
				return err
			}
		}
	}
	return setPayload(ev, p)
}

// applyLotStatus sets the lot's status and moves the allocations as decided.
func applyLotStatus(tx *txn, ev *Event) error {
	var p LotStatusChange
	if err := decode(ev, &p); err != nil {
		return err
	}
	if !p.Decided {
		return undecided(ev)
	}
	owner, err := checkLotStatus(ev, p)
	if err != nil {
		return err
	}
	if len(p.Serials) > 0 {
		return holdSerials(tx, owner, p)
	}
	lot, err := mustGetLot(tx, owner, p.SKU, p.Lot) // live or archived (lotleave.go)
	if err != nil {
		return err
	}
	lot.Status = p.Status
	if err := putLot(tx, owner, p.SKU, p.Lot, lot); err != nil { // back live when it was archived
		return err
	}
	touch(tx, owner, p.SKU, p.Lot)
	return applyMoves(tx, p.Moves)
}

// holdSerials records single units on hold: a pick of one is refused.
func holdSerials(tx *txn, owner string, p LotStatusChange) error {
	b := tx.Bucket(bucketSerialHolds)
	for _, s := range p.Serials {
		s = strings.TrimSpace(s)
		if !validCode(s) {
			return Errf(CodeInvalid, "serial.invalid", "serial", s)
		}
		if err := putJSON(b, []byte(s), LotStatusChange{Owner: owner, SKU: p.SKU, Lot: p.Lot, Status: p.Status, Reason: p.Reason}); err != nil {
			return err
		}
	}
	return nil
}

// decideLotsSwept decides which lots expired today and where their
// allocations go.
func decideLotsSwept(tx *txn, ev *Event) error {
	var p LotsSwept
	if err := decode(ev, &p); err != nil {
		return err
	}
	if _, err := ParseDay(p.Today); err != nil {
		return err
	}
	p.Expired = nil
	v := newAllocView(tx)
	err := tx.Bucket(bucketLots).ForEach(func(k, val []byte) error {
		var lot Lot
		if err := jsonUnmarshal(val, &lot); err != nil {
			return err
		}
		if lot.Expiry != "" && lot.Expiry < p.Today && lot.Status != LotExpired {
			p.Expired = append(p.Expired, LotRef{envelopeOwner(lot.Owner), lot.SKU, lot.Code})
			v.setStatus(OwnerOr(lot.Owner), lot.SKU, lot.Code, LotExpired)
		}
		return nil
	})
	if err == nil { // lots with nothing left expire in their archived entry (lotleave.go)
		err = sweepArchivedLots(tx, p.Today, func(r LotRef) { p.Expired = append(p.Expired, r) })
	}
	if err != nil {
		return err
	}
	if p.Moves, err = decideMoves(v, p.Expired, p.Today); err != nil {
		return err
	}
	p.Decided = true
	return setPayload(ev, p)
}

// applyLotsSwept expires the lots the sweep decided and moves their
// allocations as recorded.
func applyLotsSwept(tx *txn, ev *Event) error {
	var p LotsSwept
	if err := decode(ev, &p); err != nil {
		return err
	}
	if !p.Decided {
		return undecided(ev)
	}
	if _, err := ParseDay(p.Today); err != nil {
		return err
	}
	for _, r := range p.Expired {
		owner := OwnerOr(r.Owner)
		if tx.Bucket(bucketLots).Get(lotKey(owner, r.SKU, r.Lot)) == nil {
			gone, err := expireArchivedLot(tx, owner, r.SKU, r.Lot) // lotleave.go
			if err != nil {
				return err
			}
			if gone {
				touch(tx, owner, r.SKU, r.Lot)
				continue
			}
		}
		var lot Lot
		if err := readLotInto(tx, &lot, owner, r.SKU, r.Lot); err != nil {
			return err
		}
		lot.Status = LotExpired
		if err := putLot(tx, owner, r.SKU, r.Lot, lot); err != nil {
			return err
		}
		touch(tx, owner, r.SKU, r.Lot)
	}
	return applyMoves(tx, p.Moves)
}

// applyMoves applies recorded moves of allocations, in order.
func applyMoves(tx *txn, moves []Realloc) error {
	for _, m := range moves {
		if err := applyRealloc(tx, m); err != nil {
			return err
		}
	}
	return nil
}

// decideMoves decides where every open allocation of the given lots goes:
// the same quantity from other stock by the usual rules (the view already
// sees the lots as no longer shippable, so the search cannot find them
// again). What cannot be found is back-ordered when applied.
func decideMoves(v *allocView, lots []LotRef, today string) ([]Realloc, error) {
	if len(lots) == 0 {
		return nil, nil
	}
	tx := v.tx
	settings, err := getSettings(tx)
	if err != nil {
		return nil, err
	}
	var moves []Realloc
	lots = slices.Clone(lots)
	for i := range lots {
		lots[i].Owner = OwnerOr(lots[i].Owner)
	}
	for _, st := range []OrderState{OrderAllocated, OrderPicking} {
		var refs [][]string
		c := tx.Bucket(bucketOrderState).Cursor()
		p := prefixKey(string(st))
		for k, _ := c.Seek(p); k != nil && strings.HasPrefix(string(k), string(p)); k, _ = c.Next() {
			refs = append(refs, splitKey(k[len(p):]))
		}
		for _, ref := range refs {
			o, err := orderTx(tx, ref[0], ref[1])
			if err != nil {
				return nil, err
			}
			for i, line := range o.Lines {
				for _, a := range line.Allocs {
					if a.Qty-a.Picked <= 0 || !slices.Contains(lots, LotRef{o.Owner, line.SKU, a.Lot}) {
						continue
					}
					m := Realloc{Owner: envelopeOwner(o.Owner), Order: o.No, Line: i, From: Alloc{Lot: a.Lot, Expiry: a.Expiry, Location: a.Location, Qty: a.Qty - a.Picked}}
					var sku SKU
					if _, err := getJSON(tx.Bucket(bucketSKUs), skuKey(o.Owner, line.SKU), &sku); err != nil {
						return nil, err
					}
					to, err := takeStock(v, sku, m.From.Qty, minLifePct(sku, o.Channel, settings), today, "")
					if err != nil {
						return nil, err
					}
					v.reserve(o.Owner, line.SKU, m.From.Lot, m.From.Location, -m.From.Qty)
					m.To = to
					moves = append(moves, m)
				}
			}
		}
	}
	return moves, nil
}

// applyRealloc moves one recorded allocation: releases the old place,
// reserves the new ones, and fixes the order and its task.
func applyRealloc(tx *txn, m Realloc) error {
	o, err := orderTx(tx, OwnerOr(m.Owner), m.Order)
	if err != nil {
		return err
	}
	if m.Line < 0 || m.Line >= len(o.Lines) {
		return Errf(CodeInvalid, "event.payload_invalid", "type", "realloc")
	}
	line := &o.Lines[m.Line]
	_, from := orderAlloc(&o, line.SKU, m.From.Lot, m.From.Location)
	if from == nil || from.Qty-from.Picked < m.From.Qty {
		return Errf(CodeConflict, "pick.too_many", "qty", "0", "open", "0")
	}
	from.Qty -= m.From.Qty
	if err := addReserved(tx, o.Owner, line.SKU, m.From.Lot, m.From.Location, -m.From.Qty); err != nil {
		return err
	}
	var got int64
	for _, a := range m.To {
		if err := addReserved(tx, o.Owner, line.SKU, a.Lot, a.Location, a.Qty); err != nil {
			return err
		}
		line.Allocs = append(line.Allocs, a)
		got += a.Qty
	}
	line.Backordered += m.From.Qty - got
	old := o.State
	settleOrder(&o)
	if err := putOrder(tx, &o, old); err != nil {
		return err
	}
	return retask(tx, &o, line.SKU, m)
}

// retask cancels the task line of a moved allocation and adds lines for its new places.
func retask(tx *txn, o *Order, sku string, m Realloc) error {
	tasks, err := livePickTasks(tx)
	if err != nil {
		return err
	}
	for _, t := range tasks {
		changed := false
		for i := range t.Lines {
			l := &t.Lines[i]
			if l.Order == o.No && l.Owner == o.Owner && l.SKU == sku && l.Lot == m.From.Lot && l.Location == m.From.Location && l.Open() > 0 {
				l.Cancelled, changed = true, true
			}
		}
		if !changed {
			continue
		}
		for _, a := range m.To {
			t.Lines = append(t.Lines, TaskLine{Owner: o.Owner, Order: o.No, SKU: sku, Lot: a.Lot, Expiry: a.Expiry, Location: a.Location, Qty: a.Qty})
		}
		if err := refillNewLines(tx, t); err != nil {
			return err
		}
		old := t.State
		closeEmptied(t)
		return putTask(tx, t, old)
	}
	return nil
}

// ExpiryRow is stock of a lot that is expired or close to it.
type ExpiryRow struct {
	Owner, SKU, Name, Lot, Expiry, Location string
	Status                                  LotStatus
	DaysLeft                                int
	Qty                                     int64
	Kind                                    LocationKind
}

// NearExpiry lists stock of lots that have expired or expire within each
// SKU's near-expiry days (30 when not set), soonest first.
func (l *Ledger) NearExpiry() ([]ExpiryRow, error) {
	today := l.Today()
	var out []ExpiryRow
	err := l.view(func(tx *txn) error {
		skus := map[string]SKU{}
		return tx.Bucket(bucketStock).ForEach(func(k, v []byte) error {
			all := splitKey(k)
			owner, parts := all[0], all[1:]
			var lot Lot
			if err := readLotInto(tx, &lot, owner, parts[0], parts[1]); err != nil {
				return err
			}
			if lot.Expiry == "" {
				return nil
			}
			sku, ok := skus[owner+" "+parts[0]]
			if !ok {
				if _, err := getJSON(tx.Bucket(bucketSKUs), skuKey(owner, parts[0]), &sku); err != nil {
					return err
				}
				skus[owner+" "+parts[0]] = sku
			}
			window := sku.NearExpiryDays
			if window == 0 {
				window = 30
			}
			left := daysBetween(today, lot.Expiry)
			if left > window {
				return nil
			}
			var loc Location
			if _, err := getJSON(tx.Bucket(bucketLocations), []byte(parts[2]), &loc); err != nil {
				return err
			}
			out = append(out, ExpiryRow{Owner: owner, SKU: sku.Code, Name: sku.Name, Lot: lot.Code, Expiry: lot.Expiry, Location: loc.Code,
				Status: lot.Status, DaysLeft: left, Qty: qtyFromValue(v), Kind: loc.Kind})
			return nil
		})
	})
	slices.SortStableFunc(out, func(a, b ExpiryRow) int {
		if a.Expiry != b.Expiry {
			return strings.Compare(a.Expiry, b.Expiry)
		}
		return strings.Compare(a.Owner+" "+a.SKU+" "+a.Location, b.Owner+" "+b.SKU+" "+b.Location)
	})
	return out, err
}

// newID is a fresh event ID for commands that have no device-made one.
func newID() string { return uuid.NewString() }
