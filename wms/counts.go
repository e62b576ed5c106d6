package wms

import (
	"context"
	"strconv"
	"strings"
)

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
	Owner   string `json:"owner,omitempty"` // whose goods; empty: the default owner
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
	if err := checkFree(FieldReason, p.Reason, false); err != nil {
		return err
	}
	_, err := keyedAppend(ctx, l, id, EvCountRequested, "", "", p, actor, device, nil)
	return err
}

func applyCountRequested(tx *txn, ev *Event) error {
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
		return Errf(CodeInvalid, "count.nothing")
	}
	for i, code := range locs {
		if tx.Bucket(bucketLocations).Get([]byte(code)) == nil {
			return Errf(CodeNotFound, "location.not_found", "location", code)
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
	p.Today, p.Decided, p.Result = "", false, nil
	today := l.Today()
	target := p.Task
	if target == "" {
		target = p.Location
	}
	done, err := keyedAppend(ctx, l, id, EvCounted, "", target, p, actor, device, func(p *CountSubmit) { p.Today = today })
	if err != nil {
		return CountResult{}, err
	}
	if done.Result == nil {
		return CountResult{}, Errf(CodeNotFound, "event.not_found", "id", id)
	}
	return *done.Result, nil
}

// decideCounted compares the count with the books and decides whether it
// adjusts stock at once or waits for a supervisor.
func decideCounted(tx *txn, ev *Event) error {
	var p CountSubmit
	if err := decode(ev, &p); err != nil {
		return err
	}
	if tx.Bucket(bucketLocations).Get([]byte(p.Location)) == nil {
		return Errf(CodeNotFound, "location.not_found", "location", p.Location)
	}
	res := &CountResult{ID: "K" + strconv.FormatUint(ev.Seq, 10), Location: p.Location, Actor: ev.Actor, Threshold: CountApprovalUnits}
	books := map[string]*CountVariance{}
	var keys []string
	c := tx.Bucket(bucketStockByLoc).Cursor()
	pk := prefixKey(p.Location)
	for k, _ := c.Seek(pk); k != nil && strings.HasPrefix(string(k), string(pk)); k, _ = c.Next() {
		parts := splitKey(k)
		key := string(joinKey(parts[1], parts[2], parts[3]))
		books[key] = &CountVariance{Owner: envelopeOwner(parts[1]), SKU: parts[2], Lot: parts[3], Books: byLocQty(tx, parts)}
		keys = append(keys, key)
	}
	for _, r := range p.Lines {
		if r.Qty < 0 {
			return Errf(CodeInvalid, "stock.qty_negative", "sku", r.SKU, "qty", strconv.FormatInt(r.Qty, 10))
		}
		key := string(joinKey(OwnerOr(r.Owner), r.SKU, r.Lot))
		v, ok := books[key]
		if !ok {
			v = &CountVariance{Owner: envelopeOwner(r.Owner), SKU: r.SKU, Lot: r.Lot}
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
	p.Decided, p.Result = true, res
	return setPayload(ev, p)
}

// applyCounted closes the count task and, for a count decided to apply at
// once, moves the books by its variances.
func applyCounted(tx *txn, ev *Event) error {
	var p CountSubmit
	if err := decode(ev, &p); err != nil {
		return err
	}
	if !p.Decided || p.Result == nil {
		return undecided(ev)
	}
	if tx.Bucket(bucketLocations).Get([]byte(p.Location)) == nil {
		return Errf(CodeNotFound, "location.not_found", "location", p.Location)
	}
	res := p.Result
	if p.Task != "" {
		t, err := getTask(tx, p.Task)
		if err != nil {
			return err
		}
		if t.Kind != TaskCount || t.Location != p.Location || (t.State != TaskOpen && t.State != TaskActive) {
			return Errf(CodeConflict, "count.not_this_task", "task", p.Task)
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
	return putJSON(tx.Bucket(bucketCounts), []byte(res.ID), res)
}

// applyCountAdjustment moves the books by each line's variance (not to the
// counted figure: picks may have happened since the count). Stock reserved
// for orders cannot be counted away: that needs the orders re-allocated first.
// A variance larger than what is left on the books is refused (count.stale).
func applyCountAdjustment(tx *txn, res *CountResult, strict bool) error {
	for _, v := range res.Lines {
		d := v.Diff()
		if d == 0 {
			continue
		}
		owner := OwnerOr(v.Owner)
		have, err := placeStock(tx, owner, v.SKU, v.Lot, v.Expiry, res.Location)
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
			return Errf(CodeConflict, "count.stale", "sku", v.SKU, "lot", v.Lot, "location", res.Location,
				"have", strconv.FormatInt(have, 10), "diff", strconv.FormatInt(d, 10))
		}
		if r := reservedAt(tx, owner, v.SKU, v.Lot, res.Location); next < r {
			return Errf(CodeConflict, "stock.below_reserved", "sku", v.SKU, "lot", v.Lot, "location", res.Location, "reserved", strconv.FormatInt(r, 10))
		}
		if err := writeQty(tx, owner, v.SKU, v.Lot, res.Location, next); err != nil {
			return err
		}
	}
	return nil
}

// DecideCount approves (applies) or rejects a pending count.
func (l *Ledger) DecideCount(ctx context.Context, id string, d CountDecision, actor, device string) (CountResult, error) {
	d.Strict = false
	k := keyed{id: id, typ: EvCountDecided, target: d.Count, actor: actor, request: d}
	return runKeyed(ctx, l, k, func() (Event, error) {
		d.Strict = true
		return NewEvent(id, EvCountDecided, actor, device, d)
	}, func(tx *txn, ev *Event) (CountResult, error) {
		var res CountResult
		found, err := getJSON(tx.Bucket(bucketCounts), []byte(d.Count), &res)
		if err == nil && !found {
			err = Errf(CodeNotFound, "count.not_found", "count", d.Count)
		}
		return res, err
	})
}

func applyCountDecided(tx *txn, ev *Event) error {
	var d CountDecision
	if err := decode(ev, &d); err != nil {
		return err
	}
	res, err := mustGet[CountResult](tx, bucketCounts, []byte(d.Count), "count.not_found", "count", d.Count)
	if err != nil {
		return err
	}
	if res.State != "pending" {
		return Errf(CodeConflict, "count.not_pending", "count", d.Count, "state", res.State)
	}
	if res.Actor == ev.Actor {
		return Errf(CodeForbidden, "count.own_count")
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
	err := l.view(func(tx *txn) (err error) {
		res, err = mustGet[CountResult](tx, bucketCounts, []byte(id), "count.not_found", "count", id)
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
