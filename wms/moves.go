package wms

import (
	"context"
	"strconv"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// Move takes units of one lot from one location to another (putaway, a
// replenishment, a move to quarantine). Lines is for a whole location
// moved at once (decided when applied). Reserved units stay where the
// orders expect them.
type Move struct {
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
	ev, err := NewEvent(id, EvMoved, actor, device, m)
	if err != nil {
		return m, err
	}
	stored, _, err := l.Append(ctx, ev)
	if err != nil {
		return m, err
	}
	err = stored.DecodeData(&m)
	return m, err
}

func moveOne(tx *bolt.Tx, sku, lot, from, to string, qty int64) error {
	if qty <= 0 {
		return errf(CodeInvalid, "move.qty_invalid")
	}
	have := qtyFromValue(tx.Bucket(bucketStock).Get(stockKey(sku, lot, from)))
	free := have - reservedAt(tx, sku, lot, from)
	if qty > have {
		return errf(CodeConflict, "stock.insufficient", "sku", sku, "lot", lot, "location", from,
			"have", strconv.FormatInt(have, 10), "want", strconv.FormatInt(qty, 10))
	}
	if qty > free {
		return errf(CodeConflict, "move.reserved", "sku", sku, "lot", lot, "location", from, "free", strconv.FormatInt(free, 10))
	}
	there, err := placeStock(tx, sku, lot, "", to)
	if err != nil {
		return err
	}
	if err := writeQty(tx, sku, lot, from, have-qty); err != nil {
		return err
	}
	return writeQty(tx, sku, lot, to, there+qty)
}

func applyMoved(tx *bolt.Tx, ev *Event) error {
	var m Move
	if err := decode(ev, &m); err != nil {
		return err
	}
	if m.From == m.To {
		return errf(CodeInvalid, "move.same_place")
	}
	for _, code := range []string{m.From, m.To} {
		if tx.Bucket(bucketLocations).Get([]byte(code)) == nil {
			return errf(CodeNotFound, "location.not_found", "location", code)
		}
	}
	if m.Whole {
		if len(m.Lines) == 0 {
			c := tx.Bucket(bucketStockByLoc).Cursor()
			p := prefixKey(m.From)
			for k, v := c.Seek(p); k != nil && strings.HasPrefix(string(k), string(p)); k, v = c.Next() {
				parts := splitKey(k)
				m.Lines = append(m.Lines, StockRow{SKU: parts[1], Lot: parts[2], Location: m.From, Qty: qtyFromValue(v)})
			}
			if len(m.Lines) == 0 {
				return errf(CodeConflict, "move.empty", "location", m.From)
			}
		}
		for _, r := range m.Lines {
			if err := moveOne(tx, r.SKU, r.Lot, m.From, m.To, r.Qty); err != nil {
				return err
			}
			if err := completeMoveTasks(tx, ev, r.SKU, r.Lot, m.From, m.To, r.Qty); err != nil {
				return err
			}
		}
		return redecide(ev, m)
	}
	if err := moveOne(tx, m.SKU, m.Lot, m.From, m.To, m.Qty); err != nil {
		return err
	}
	return completeMoveTasks(tx, ev, m.SKU, m.Lot, m.From, m.To, m.Qty)
}

// completeMoveTasks ticks off move-task lines that a move carried out.
func completeMoveTasks(tx *bolt.Tx, ev *Event, sku, lot, from, to string, qty int64) error {
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
			if qty > 0 && l.SKU == sku && l.Lot == lot && l.Location == from && l.Open() > 0 {
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
	ev, err := NewEvent(id, EvMoveTasks, actor, device, p)
	if err != nil {
		return err
	}
	_, _, err = l.Append(ctx, ev)
	return err
}

func applyMoveTasks(tx *bolt.Tx, ev *Event) error {
	var p MoveTasks
	if err := decode(ev, &p); err != nil {
		return err
	}
	if tx.Bucket(bucketLocations).Get([]byte(p.To)) == nil {
		return errf(CodeNotFound, "location.not_found", "location", p.To)
	}
	byFrom := map[string][]TaskLine{}
	var order []string
	for _, r := range p.Lines {
		if _, seen := byFrom[r.Location]; !seen {
			order = append(order, r.Location)
		}
		byFrom[r.Location] = append(byFrom[r.Location], TaskLine{SKU: r.SKU, Lot: r.Lot, Expiry: r.Expiry, Location: r.Location, Qty: r.Qty})
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

// --- counts ---

// CountRequest asks for locations to be counted (a supervisor's choice, or a
// whole zone for a cycle count).
type CountRequest struct {
	Locations []string `json:"locations,omitempty"`
	Zone      string   `json:"zone,omitempty"`
	Reason    string   `json:"reason"`
}

// CountSubmit is a blind count of one location: what the counter found.
type CountSubmit struct {
	Task     string     `json:"task,omitempty"`
	Location string     `json:"location"`
	Lines    []StockRow `json:"lines"`
	Today    string     `json:"today"`
	// decided
	Decided bool         `json:"decided,omitempty"`
	Result  *CountResult `json:"result,omitempty"`
}

// CountResult is a count compared with the books.
type CountResult struct {
	ID        string          `json:"id"`
	Location  string          `json:"location"`
	Actor     string          `json:"actor"`
	Lines     []CountVariance `json:"lines"`
	State     string          `json:"state"` // applied, pending, rejected
	Threshold int64           `json:"threshold"`
}

// CountVariance is one SKU and lot at the counted location.
type CountVariance struct {
	SKU     string `json:"sku"`
	Lot     string `json:"lot,omitempty"`
	Expiry  string `json:"expiry,omitempty"`
	Books   int64  `json:"books"`
	Counted int64  `json:"counted"`
}

// Diff is counted minus books.
func (v CountVariance) Diff() int64 { return v.Counted - v.Books }

// CountDecision approves or rejects a pending count adjustment.
type CountDecision struct {
	Count   string `json:"count"`
	Approve bool   `json:"approve"`
	// Strict is set on every decision made now: a variance larger than the
	// books is refused. Decisions logged before the rule (without it) took
	// the books down to zero, and replay the same way.
	Strict bool `json:"strict,omitempty"`
}

// CountApprovalUnits: a count whose variance on any line is larger needs a supervisor.
const CountApprovalUnits = 2

// RequestCounts makes count tasks.
func (l *Ledger) RequestCounts(ctx context.Context, id string, p CountRequest, actor, device string) error {
	ev, err := NewEvent(id, EvCountRequested, actor, device, p)
	if err != nil {
		return err
	}
	_, _, err = l.Append(ctx, ev)
	return err
}

func applyCountRequested(tx *bolt.Tx, ev *Event) error {
	var p CountRequest
	if err := decode(ev, &p); err != nil {
		return err
	}
	locs := p.Locations
	if p.Zone != "" {
		err := tx.Bucket(bucketLocations).ForEach(func(k, v []byte) error {
			var loc Location
			if err := jsonUnmarshal(v, &loc); err != nil {
				return err
			}
			if loc.Zone == p.Zone {
				locs = append(locs, loc.Code)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	if len(locs) == 0 {
		return errf(CodeInvalid, "count.nothing")
	}
	for i, code := range locs {
		if tx.Bucket(bucketLocations).Get([]byte(code)) == nil {
			return errf(CodeNotFound, "location.not_found", "location", code)
		}
		t := &Task{ID: "C" + strconv.FormatUint(ev.Seq, 10) + "-" + strconv.Itoa(i+1), Kind: TaskCount, State: TaskOpen, Priority: 4,
			Location: code, Reason: p.Reason, Created: ev.At}
		if err := putTask(tx, t, ""); err != nil {
			return err
		}
	}
	return nil
}

// SubmitCount records a blind count; small variances adjust stock at once,
// larger ones wait for a supervisor.
func (l *Ledger) SubmitCount(ctx context.Context, id string, p CountSubmit, actor, device string) (CountResult, error) {
	p.Today, p.Decided, p.Result = l.Today(), false, nil
	ev, err := NewEvent(id, EvCounted, actor, device, p)
	if err != nil {
		return CountResult{}, err
	}
	stored, _, err := l.Append(ctx, ev)
	if err != nil {
		return CountResult{}, err
	}
	if err := stored.DecodeData(&p); err != nil {
		return CountResult{}, err
	}
	return *p.Result, nil
}

func applyCounted(tx *bolt.Tx, ev *Event) error {
	var p CountSubmit
	if err := decode(ev, &p); err != nil {
		return err
	}
	if tx.Bucket(bucketLocations).Get([]byte(p.Location)) == nil {
		return errf(CodeNotFound, "location.not_found", "location", p.Location)
	}
	res := p.Result
	if !p.Decided {
		res = &CountResult{ID: "K" + strconv.FormatUint(ev.Seq, 10), Location: p.Location, Actor: ev.Actor, Threshold: CountApprovalUnits}
		books := map[string]*CountVariance{}
		var keys []string
		c := tx.Bucket(bucketStockByLoc).Cursor()
		pk := prefixKey(p.Location)
		for k, v := c.Seek(pk); k != nil && strings.HasPrefix(string(k), string(pk)); k, v = c.Next() {
			parts := splitKey(k)
			key := parts[1] + "\x00" + parts[2]
			books[key] = &CountVariance{SKU: parts[1], Lot: parts[2], Books: qtyFromValue(v)}
			keys = append(keys, key)
		}
		for _, r := range p.Lines {
			if r.Qty < 0 {
				return errf(CodeInvalid, "stock.qty_negative", "sku", r.SKU, "qty", strconv.FormatInt(r.Qty, 10))
			}
			key := r.SKU + "\x00" + r.Lot
			v, ok := books[key]
			if !ok {
				v = &CountVariance{SKU: r.SKU, Lot: r.Lot}
				books[key] = v
				keys = append(keys, key)
			}
			v.Counted += r.Qty
			if r.Expiry != "" {
				v.Expiry = r.Expiry
			}
		}
		res.State = "applied"
		for _, k := range keys {
			v := books[k]
			res.Lines = append(res.Lines, *v)
			if d := v.Diff(); d > CountApprovalUnits || d < -CountApprovalUnits {
				res.State = "pending"
			}
		}
	}
	if p.Task != "" {
		t, err := getTask(tx, p.Task)
		if err != nil {
			return err
		}
		if t.Kind != TaskCount || t.Location != p.Location || (t.State != TaskOpen && t.State != TaskActive) {
			return errf(CodeConflict, "count.not_this_task", "task", p.Task)
		}
		old := t.State
		t.State, t.Actor = TaskDone, ev.Actor
		at := ev.At
		t.Finished = &at
		if err := putTask(tx, t, old); err != nil {
			return err
		}
	}
	if res.State == "applied" {
		if err := applyCountAdjustment(tx, res, true); err != nil {
			return err
		}
	}
	if err := putJSON(tx.Bucket(bucketCounts), []byte(res.ID), res); err != nil {
		return err
	}
	p.Decided, p.Result = true, res
	return redecide(ev, p)
}

// applyCountAdjustment moves the books by each line's variance (not to the
// counted figure: picks may have happened since the count). Stock reserved
// for orders cannot be counted away: that needs the orders re-allocated first.
// A variance larger than what is left on the books is refused (count.stale).
func applyCountAdjustment(tx *bolt.Tx, res *CountResult, strict bool) error {
	for _, v := range res.Lines {
		d := v.Diff()
		if d == 0 {
			continue
		}
		have, err := placeStock(tx, v.SKU, v.Lot, v.Expiry, res.Location)
		if err != nil {
			return err
		}
		next := have + d
		if next < 0 && !strict {
			next = 0 // logged before the rule: replayed as it was applied
		}
		if next < 0 {
			// Stock went down since the count, by more than the count left:
			// the count no longer describes the shelf. Stock is never
			// clamped; the supervisor rejects it and has the shelf counted again.
			return errf(CodeConflict, "count.stale", "sku", v.SKU, "lot", v.Lot, "location", res.Location,
				"have", strconv.FormatInt(have, 10), "diff", strconv.FormatInt(d, 10))
		}
		if r := reservedAt(tx, v.SKU, v.Lot, res.Location); next < r {
			return errf(CodeConflict, "stock.below_reserved", "sku", v.SKU, "lot", v.Lot, "location", res.Location, "reserved", strconv.FormatInt(r, 10))
		}
		if err := writeQty(tx, v.SKU, v.Lot, res.Location, next); err != nil {
			return err
		}
	}
	return nil
}

// DecideCount approves (applies) or rejects a pending count.
func (l *Ledger) DecideCount(ctx context.Context, id string, d CountDecision, actor, device string) (CountResult, error) {
	d.Strict = true
	ev, err := NewEvent(id, EvCountDecided, actor, device, d)
	if err != nil {
		return CountResult{}, err
	}
	if _, _, err := l.Append(ctx, ev); err != nil {
		return CountResult{}, err
	}
	return l.Count(d.Count)
}

func applyCountDecided(tx *bolt.Tx, ev *Event) error {
	var d CountDecision
	if err := decode(ev, &d); err != nil {
		return err
	}
	var res CountResult
	found, err := getJSON(tx.Bucket(bucketCounts), []byte(d.Count), &res)
	if err != nil {
		return err
	}
	if !found {
		return errf(CodeNotFound, "count.not_found", "count", d.Count)
	}
	if res.State != "pending" {
		return errf(CodeConflict, "count.not_pending", "count", d.Count, "state", res.State)
	}
	if res.Actor == ev.Actor {
		return errf(CodeForbidden, "count.own_count")
	}
	res.State = "rejected"
	if d.Approve {
		if err := applyCountAdjustment(tx, &res, d.Strict); err != nil {
			return err
		}
		res.State = "applied"
	}
	return putJSON(tx.Bucket(bucketCounts), []byte(res.ID), res)
}

// Count returns one count result.
func (l *Ledger) Count(id string) (CountResult, error) {
	var res CountResult
	err := l.db.View(func(tx *bolt.Tx) error {
		found, err := getJSON(tx.Bucket(bucketCounts), []byte(id), &res)
		if err == nil && !found {
			err = errf(CodeNotFound, "count.not_found", "count", id)
		}
		return err
	})
	return res, err
}

// PendingCounts lists counts waiting for a supervisor.
func (l *Ledger) PendingCounts() ([]CountResult, error) {
	all, err := listAll[CountResult](l, bucketCounts)
	out := all[:0]
	for _, c := range all {
		if c.State == "pending" {
			out = append(out, c)
		}
	}
	return out, err
}
