package wms

import (
	"context"
	"strconv"
	"strings"
)

// Move takes units of one lot from one location to another (putaway, a
// replenishment, a move to quarantine). Lines is for a whole location
// moved at once (decided when appended). Reserved units stay where the
// orders expect them.
type Move struct {
	// Owner is whose goods a one-SKU move moves (empty: the default
	// owner); a whole location's lines each name theirs.
	Owner string `json:"owner,omitempty"`
	SKU   string `json:"sku,omitempty"`
	Lot   string `json:"lot,omitempty"`
	From  string `json:"from"`
	To    string `json:"to"`
	Qty   int64  `json:"qty,omitempty"`
	Whole bool   `json:"whole,omitempty"`
	// decided for a whole-location move
	Lines []StockRow `json:"lines,omitempty"`
}

// MoveStock moves stock.
func (l *Ledger) MoveStock(ctx context.Context, id string, m Move, actor, device string) (Move, error) {
	m.Lines = nil
	done, err := keyedAppend(ctx, l, id, EvMoved, "", m.From, m, actor, device, nil)
	if err != nil {
		return m, err
	}
	return done, nil
}

func moveOne(tx *txn, owner, sku, lot, from, to string, qty int64) error {
	if qty <= 0 {
		return Errf(CodeInvalid, "move.qty_invalid")
	}
	have := qtyFromValue(tx.Bucket(bucketStock).Get(stockKey(owner, sku, lot, from)))
	free := have - reservedAt(tx, owner, sku, lot, from)
	if qty > have {
		return Errf(CodeConflict, "stock.insufficient", "sku", sku, "lot", lot, "location", from,
			"have", strconv.FormatInt(have, 10), "want", strconv.FormatInt(qty, 10))
	}
	if qty > free {
		return Errf(CodeConflict, "move.reserved", "sku", sku, "lot", lot, "location", from, "free", strconv.FormatInt(free, 10))
	}
	there, err := placeStock(tx, owner, sku, lot, "", to)
	if err != nil {
		return err
	}
	if err := writeQty(tx, owner, sku, lot, from, have-qty); err != nil {
		return err
	}
	return writeQty(tx, owner, sku, lot, to, there+qty)
}

// checkMove validates a move's places.
func checkMove(tx *txn, m Move) error {
	if m.From == m.To {
		return Errf(CodeInvalid, "move.same_place")
	}
	for _, code := range []string{m.From, m.To} {
		if tx.Bucket(bucketLocations).Get([]byte(code)) == nil {
			return Errf(CodeNotFound, "location.not_found", "location", code)
		}
	}
	return nil
}

// decideMoved lists, for a whole location moved at once, the lines it holds.
func decideMoved(tx *txn, ev *Event) error {
	var m Move
	if err := decode(ev, &m); err != nil {
		return err
	}
	if !m.Whole {
		return nil
	}
	if err := checkMove(tx, m); err != nil {
		return err
	}
	m.Lines = nil
	c := tx.Bucket(bucketStockByLoc).Cursor()
	p := prefixKey(m.From)
	for k, _ := c.Seek(p); k != nil && strings.HasPrefix(string(k), string(p)); k, _ = c.Next() {
		parts := splitKey(k)
		m.Lines = append(m.Lines, StockRow{Owner: envelopeOwner(parts[1]), SKU: parts[2], Lot: parts[3], Location: m.From, Qty: byLocQty(tx, parts)})
	}
	if len(m.Lines) == 0 {
		return Errf(CodeConflict, "move.empty", "location", m.From)
	}
	return setPayload(ev, m)
}

// applyMoved moves one lot, or the lines a whole-location move recorded.
func applyMoved(tx *txn, ev *Event) error {
	var m Move
	if err := decode(ev, &m); err != nil {
		return err
	}
	if m.Whole && len(m.Lines) == 0 {
		return undecided(ev)
	}
	if err := checkMove(tx, m); err != nil {
		return err
	}
	if m.Whole {
		for _, r := range m.Lines {
			if err := moveOne(tx, OwnerOr(r.Owner), r.SKU, r.Lot, m.From, m.To, r.Qty); err != nil {
				return err
			}
			if err := completeMoveTasks(tx, ev, OwnerOr(r.Owner), r.SKU, r.Lot, m.From, m.To, r.Qty); err != nil {
				return err
			}
		}
		return nil
	}
	owner := OwnerOr(m.Owner)
	if err := moveOne(tx, owner, m.SKU, m.Lot, m.From, m.To, m.Qty); err != nil {
		return err
	}
	return completeMoveTasks(tx, ev, owner, m.SKU, m.Lot, m.From, m.To, m.Qty)
}

// completeMoveTasks ticks off move-task lines that a move carried out.
func completeMoveTasks(tx *txn, ev *Event, owner, sku, lot, from, to string, qty int64) error {
	var ids []string
	c := tx.Bucket(bucketTaskQueue).Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		parts := splitKey(k)
		if strings.HasPrefix(parts[1], "3") {
			ids = append(ids, parts[2])
		}
	}
	for _, id := range ids {
		t, err := getTask(tx, id)
		if err != nil {
			return err
		}
		if t.Location != to {
			continue
		}
		changed := false
		for i := range t.Lines {
			l := &t.Lines[i]
			if qty > 0 && l.Owner == owner && l.SKU == sku && l.Lot == lot && l.Location == from && l.Open() > 0 {
				n := min(qty, l.Open())
				l.Done, qty, changed = l.Done+n, qty-n, true
			}
		}
		if !changed {
			continue
		}
		old := t.State
		if _, open := t.NextLine(); !open {
			t.State = TaskDone
			at := ev.At
			t.Finished = &at
		}
		if err := putTask(tx, t, old); err != nil {
			return err
		}
	}
	return nil
}

// MoveTasks asks for stock to be moved, e.g. every near-expiry lot to quarantine.
type MoveTasks struct {
	To    string     `json:"to"`
	Lines []StockRow `json:"lines"`
	Why   string     `json:"why"`
}

// CreateMoveTasks makes one move task per source location.
func (l *Ledger) CreateMoveTasks(ctx context.Context, id string, p MoveTasks, actor, device string) error {
	if err := checkFree(FieldReason, p.Why, false); err != nil {
		return err
	}
	_, err := keyedAppend(ctx, l, id, EvMoveTasks, "", "", p, actor, device, nil)
	return err
}

func applyMoveTasks(tx *txn, ev *Event) error {
	var p MoveTasks
	if err := decode(ev, &p); err != nil {
		return err
	}
	if tx.Bucket(bucketLocations).Get([]byte(p.To)) == nil {
		return Errf(CodeNotFound, "location.not_found", "location", p.To)
	}
	byFrom := map[string][]TaskLine{}
	var order []string
	for _, r := range p.Lines {
		if _, seen := byFrom[r.Location]; !seen {
			order = append(order, r.Location)
		}
		byFrom[r.Location] = append(byFrom[r.Location], TaskLine{Owner: r.Owner, SKU: r.SKU, Lot: r.Lot, Expiry: r.Expiry, Location: r.Location, Qty: r.Qty})
	}
	for i, from := range order {
		t := &Task{ID: "M" + strconv.FormatUint(ev.Seq, 10) + "-" + strconv.Itoa(i+1), Kind: TaskMove, State: TaskOpen, Priority: 3,
			Location: p.To, Reason: p.Why, Created: ev.At, Lines: byFrom[from]}
		if err := fillTaskLines(tx, t); err != nil {
			return err
		}
		if err := putTask(tx, t, ""); err != nil {
			return err
		}
	}
	return nil
}
