package wms

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Reconciliation compares an upstream's view of one owner's stock with the
// ledger. The upstream's snapshot says what it has applied through
// (applied_through, a seq of this warehouse); the decider adds the effect of
// every event the upstream gets after that seq (StockEffect), so an event
// in flight is not a difference. The warehouse owns on-hand stock: its
// figure stands, and the differences go upstream as one stock.reconciled
// event (its outward shape carries each line's delta), which is also the
// report. Orders open on one side only are listed. An open dead letter
// counts as on its way (a supervisor may still retry it): reconciling does
// not adjust for it, so a retry that delivers it later counts it once.

// Snapshot limits.
const (
	MaxSnapshotLines  = 1_000_000
	MaxReportOrders   = 10_000
	ReconcileRequest  = "request"
	ReconcileSchedule = "schedule"
	ReconcileConnect  = "reconnect"
)

// StockSnapshot is an upstream's answer to GET {url}/stock.
type StockSnapshot struct {
	Owner          string       `json:"owner"`
	At             time.Time    `json:"at"`
	AppliedThrough uint64       `json:"applied_through"`
	Lines          []OnHandLine `json:"lines"`
	OpenOrders     []string     `json:"open_orders"`
}

// Reconciliation is one comparison and its report.
type Reconciliation struct {
	ID             string      `json:"id"` // "R" and the event's seq
	Upstream       string      `json:"upstream"`
	Owner          string      `json:"owner,omitempty"` // the command moves it to the envelope
	Trigger        string      `json:"trigger"`
	SnapshotAt     time.Time   `json:"snapshot_at"`
	AppliedThrough uint64      `json:"applied_through"`
	Pending        int         `json:"pending"`  // events after applied_through counted in
	Compared       int         `json:"compared"` // SKU-lot lines compared
	Lines          []ReconLine `json:"lines"`
	OnlyHere       []string    `json:"only_here,omitempty"`  // open here, not open upstream
	OnlyThere      []string    `json:"only_there,omitempty"` // open upstream, unknown or closed here
	Truncated      bool        `json:"truncated,omitempty"`  // an order list was cut at MaxReportOrders
	At             time.Time   `json:"at"`
	// Snapshot is the command's input, replaced by the decider's findings.
	Snapshot *StockSnapshot `json:"snapshot,omitempty"`
}

// ReconLine is one SKU-lot whose figures differ.
type ReconLine struct {
	SKU       string `json:"sku"`
	Lot       string `json:"lot,omitempty"`
	Warehouse int64  `json:"warehouse"`
	OMS       int64  `json:"oms"`
	Delta     int64  `json:"delta"` // warehouse − oms: what the upstream must add
}

// OutReconciled goes to the upstream that was compared: the warehouse's
// figure for each SKU-lot that differed, and what to add to its own.
type OutReconciled struct {
	Reconciliation string         `json:"reconciliation"`
	Lines          []OutReconLine `json:"lines"`
	upstream       string
}

// OutReconLine is one difference, as the upstream applies it.
type OutReconLine struct {
	SKU       string `json:"sku"`
	Lot       string `json:"lot,omitempty"`
	Warehouse int64  `json:"warehouse"`
	OMS       int64  `json:"oms"`
	Delta     int64  `json:"delta"`
	Reason    string `json:"reason"`
}

func (o OutReconciled) targetUpstream() string { return o.upstream }

func outReconciled(_ *txn, _ Event, r Reconciliation) (OutReconciled, bool, error) {
	out := OutReconciled{Reconciliation: r.ID, Lines: []OutReconLine{}, upstream: r.Upstream}
	for _, l := range r.Lines {
		out.Lines = append(out.Lines, OutReconLine{SKU: l.SKU, Lot: l.Lot, Warehouse: l.Warehouse, OMS: l.OMS, Delta: l.Delta, Reason: "reconciliation"})
	}
	return out, len(out.Lines) > 0, nil
}

// openStates are the states of an order that is neither shipped nor cancelled.
var openStates = []OrderState{OrderNew, OrderAllocated, OrderPicking, OrderPicked, OrderPacked}

// decideReconciled reads the catalogue (the outward shapes), which would
// name it: its entry gets it here, which breaks the initialization cycle.
func init() { specs[EvStockReconciled].decide = decideReconciled }

func decideReconciled(tx *txn, ev *Event) error {
	var r Reconciliation
	if err := decode(ev, &r); err != nil {
		return err
	}
	s := r.Snapshot
	if s == nil {
		return undecided(ev)
	}
	owner := OwnerOr(ev.Owner)
	up, err := mustGet[Upstream](tx, bucketUpstreams, []byte(r.Upstream), "upstream.not_found", "name", r.Upstream)
	if err != nil {
		return err
	}
	if last := tx.Bucket(bucketEvents).Sequence(); s.AppliedThrough > last {
		// events this warehouse never wrote: another warehouse's numbers, or
		// a store restored from a backup older than what was sent
		return Errf(CodeConflict, "sync.applied_beyond", "applied", strconv.FormatUint(s.AppliedThrough, 10), "last", strconv.FormatUint(last, 10))
	}
	here, err := onHandTx(tx, owner)
	if err != nil {
		return err
	}
	there := map[StockKey]int64{}
	for _, l := range s.Lines {
		there[StockKey{owner, l.SKU, l.Lot}] += l.Qty
	}
	// count an event on its way to the upstream into its figures: ok is
	// false for one the upstream never gets
	onItsWay := func(ev Event) (Outward, bool, error) {
		o, ok, err := outwardTx(tx, ev)
		if err != nil || !ok {
			return o, false, err
		}
		if o, ok = o.For(up.Name, up.Owner); !ok {
			return o, false, nil
		}
		r.Pending++
		for _, l := range outwardEffect(o) {
			if l.Owner == owner {
				there[StockKey{owner, l.SKU, l.Lot}] += l.Qty
			}
		}
		return o, true, nil
	}
	// what the upstream gets after what it has applied
	closed := map[string]bool{}
	next := seqSource(tx, FeedQuery{After: s.AppliedThrough, Types: outwardTypes})
	for {
		_, raw, ok := next()
		if !ok {
			break
		}
		var pe Event
		if err := json.Unmarshal(raw, &pe); err != nil {
			return err
		}
		o, ok, err := onItsWay(pe)
		if err != nil {
			return err
		}
		if ok && o.Owner == owner {
			switch d := o.Data.(type) {
			case OutShipment:
				closed[d.Order] = true
			case OutOrderCancelled:
				closed[d.Order] = true
			}
		}
	}
	// dead letters the upstream has not applied, still open, are on their
	// way too: a retry may yet deliver them (a discarded one is gone, and
	// the next reconciliation finds its difference)
	dc := tx.Bucket(bucketDeadLetters).Cursor()
	dp := prefixKey(up.Name)
	for k, _ := dc.Seek(dp); k != nil && hasPrefix(k, dp); k, _ = dc.Next() {
		seq := seqFromKey(k[len(dp):])
		if seq > s.AppliedThrough {
			break // counted with the events after applied_through
		}
		de, err := eventAt(tx, seq)
		if err != nil {
			return err
		}
		if _, _, err := onItsWay(de); err != nil {
			return err
		}
	}
	keys := map[StockKey]bool{}
	for k := range here {
		keys[k] = true
	}
	for k := range there {
		keys[k] = true
	}
	r.Compared = len(keys)
	r.Lines = []ReconLine{}
	for k := range keys {
		if h, t := here[k], there[k]; h != t {
			r.Lines = append(r.Lines, ReconLine{SKU: k.SKU, Lot: k.Lot, Warehouse: h, OMS: t, Delta: h - t})
		}
	}
	slices.SortFunc(r.Lines, func(a, b ReconLine) int {
		if c := strings.Compare(a.SKU, b.SKU); c != 0 {
			return c
		}
		return strings.Compare(a.Lot, b.Lot)
	})
	// orders open on one side only
	openHere := map[string]bool{}
	for _, st := range openStates {
		c := tx.Bucket(bucketOrderState).Cursor()
		p := prefixKey(string(st), owner)
		for k, _ := c.Seek(p); k != nil && hasPrefix(k, p); k, _ = c.Next() {
			openHere[string(k[len(p):])] = true
		}
	}
	openThere := map[string]bool{}
	for _, no := range s.OpenOrders {
		openThere[no] = true
		if !openHere[no] && !closed[no] {
			r.OnlyThere = append(r.OnlyThere, no)
		}
	}
	for no := range openHere {
		if !openThere[no] {
			r.OnlyHere = append(r.OnlyHere, no)
		}
	}
	slices.Sort(r.OnlyHere)
	slices.Sort(r.OnlyThere)
	if len(r.OnlyHere) > MaxReportOrders {
		r.OnlyHere, r.Truncated = r.OnlyHere[:MaxReportOrders], true
	}
	if len(r.OnlyThere) > MaxReportOrders {
		r.OnlyThere, r.Truncated = r.OnlyThere[:MaxReportOrders], true
	}
	r.ID = "R" + strconv.FormatUint(ev.Seq, 10)
	r.SnapshotAt, r.AppliedThrough, r.At, r.Snapshot = s.At, s.AppliedThrough, ev.At, nil
	return setPayload(ev, r)
}

func applyReconciled(tx *txn, ev *Event) error {
	var r Reconciliation
	if err := decode(ev, &r); err != nil {
		return err
	}
	if r.Snapshot != nil || r.ID == "" {
		return undecided(ev)
	}
	r.Owner = OwnerOr(ev.Owner)
	return putJSON(tx.Bucket(bucketReconciliations), seqKey(ev.Seq), r)
}

// Reconcile compares an upstream's snapshot of one owner's stock with the
// ledger and records the report (and the adjustment that goes upstream).
func (l *Ledger) Reconcile(ctx context.Context, upstream, trigger string, s StockSnapshot) (Reconciliation, error) {
	if len(s.Lines) > MaxSnapshotLines {
		return Reconciliation{}, Errf(CodeInvalid, "sync.snapshot_too_large", "max", strconv.Itoa(MaxSnapshotLines))
	}
	owner, err := l.KnownOwner(s.Owner)
	if err != nil {
		return Reconciliation{}, err
	}
	for _, ln := range s.Lines {
		if !validCode(ln.SKU) || (ln.Lot != "" && !validCode(ln.Lot)) {
			return Reconciliation{}, Errf(CodeInvalid, "sync.snapshot_line_invalid", "sku", clipText(ln.SKU))
		}
	}
	s.Owner = owner
	r := Reconciliation{Upstream: upstream, Trigger: trigger, Snapshot: &s}
	ev, err := newOwnedEvent(newID(), EvStockReconciled, syncActor(upstream), "syncer", owner, r)
	if err != nil {
		return Reconciliation{}, err
	}
	stored, _, err := l.Append(ctx, ev)
	if err != nil {
		return Reconciliation{}, err
	}
	var out Reconciliation
	err = decode(&stored, &out)
	out.Owner = owner
	return out, err
}

// Reconciliations lists the latest reports, newest first (upstream "" is
// every upstream's), at most limit.
func (l *Ledger) Reconciliations(upstream string, limit int) ([]Reconciliation, error) {
	var out []Reconciliation
	err := l.view(func(tx *txn) error {
		c := tx.Bucket(bucketReconciliations).Cursor()
		for k, v := c.Last(); k != nil && len(out) < limit; k, v = c.Prev() {
			var r Reconciliation
			if err := jsonUnmarshal(v, &r); err != nil {
				return err
			}
			if upstream == "" || r.Upstream == upstream {
				out = append(out, r)
			}
		}
		return nil
	})
	return out, err
}

// ReconciliationByID is one report, by its ID ("R" and a seq).
func (l *Ledger) ReconciliationByID(id string) (r Reconciliation, err error) {
	seq, perr := strconv.ParseUint(strings.TrimPrefix(id, "R"), 10, 64)
	if perr != nil || !strings.HasPrefix(id, "R") {
		return r, Errf(CodeNotFound, "sync.reconciliation_not_found", "id", clipText(id))
	}
	err = l.view(func(tx *txn) error {
		r, err = mustGet[Reconciliation](tx, bucketReconciliations, seqKey(seq), "sync.reconciliation_not_found", "id", id)
		return err
	})
	return r, err
}
