package wms

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
)

// WaveMode says how a wave's orders are grouped into pick tasks.
type WaveMode string

const (
	WaveSingle  WaveMode = "single"  // one task per order
	WaveCluster WaveMode = "cluster" // several orders per task, one tote each
)

type TaskKind string

const (
	TaskPick    TaskKind = "pick"
	TaskPutBack TaskKind = "putback" // units of a cancelled order go back to their shelves
	TaskCount   TaskKind = "count"   // count a location (after a short pick)
	TaskMove    TaskKind = "move"    // move stock (e.g. near-expiry lots to quarantine)
)

type TaskState string

const (
	TaskOpen      TaskState = "open"
	TaskActive    TaskState = "active"
	TaskDone      TaskState = "done"
	TaskCancelled TaskState = "cancelled"
)

// TaskOrder is one order of a task and the tote it goes into.
type TaskOrder struct {
	Owner string `json:"owner,omitempty"`
	Order string `json:"order"`
	Tote  string `json:"tote,omitempty"`
}

// TaskLine is one stop of a task: take Qty of a SKU's lot at a location.
type TaskLine struct {
	N          int      `json:"n"`
	Owner      string   `json:"owner,omitempty"` // whose SKU and order (a wave may mix owners)
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

// Open is what is still to do on the line.
func (l TaskLine) Open() int64 {
	if l.Cancelled {
		return 0
	}
	return l.Qty - l.Done - l.Short
}

// PickRecord is one applied pick, kept so the last one can be undone.
type PickRecord struct {
	Event    string   `json:"event"`
	Line     int      `json:"line"`
	Lot      string   `json:"lot,omitempty"`
	Location string   `json:"location"`
	Qty      int64    `json:"qty"`
	Serials  []string `json:"serials,omitempty"`
	Undone   bool     `json:"undone,omitempty"`
	// Completed: this pick left its line with nothing open, so it counted
	// as a line picked. A line a short report closed afterwards was never
	// counted, and undoing its last pick takes no line back.
	Completed bool `json:"completed,omitempty"`
}

// Task is work for one person with one handheld.
type Task struct {
	ID       string       `json:"id"`
	Wave     string       `json:"wave,omitempty"`
	Kind     TaskKind     `json:"kind"`
	Mode     WaveMode     `json:"mode,omitempty"`
	State    TaskState    `json:"state"`
	Priority int          `json:"priority"`
	Actor    string       `json:"actor,omitempty"`
	Device   string       `json:"device,omitempty"`
	Orders   []TaskOrder  `json:"orders,omitempty"`
	Lines    []TaskLine   `json:"lines,omitempty"`
	Location string       `json:"location,omitempty"` // count tasks
	Reason   string       `json:"reason,omitempty"`   // count tasks
	Created  time.Time    `json:"created"`
	Started  *time.Time   `json:"started,omitempty"`
	Finished *time.Time   `json:"finished,omitempty"`
	Picks    []PickRecord `json:"picks,omitempty"`
}

// Line returns the task line numbered n.
func (t *Task) Line(n int) (*TaskLine, bool) {
	for i := range t.Lines {
		if t.Lines[i].N == n {
			return &t.Lines[i], true
		}
	}
	return nil, false
}

// NextLine is the first line with work left, in walking order.
func (t *Task) NextLine() (*TaskLine, bool) {
	for i := range t.Lines {
		if t.Lines[i].Open() > 0 {
			return &t.Lines[i], true
		}
	}
	return nil, false
}

// ToteOf is the tote bound to an owner's order in this task ("" when none yet).
func (t *Task) ToteOf(owner, order string) string {
	for _, o := range t.Orders {
		if o.Order == order && OwnerOr(o.Owner) == OwnerOr(owner) {
			return o.Tote
		}
	}
	return ""
}

// Wave is a set of orders released to the floor together.
type Wave struct {
	ID      string    `json:"id"`
	Mode    WaveMode  `json:"mode"`
	Created time.Time `json:"created"`
	Actor   string    `json:"actor"`
	Orders  []string  `json:"orders"`            // order refs: the number, "OWNER NUMBER" for an owner other than the default
	Waiting []string  `json:"waiting,omitempty"` // order refs
	Tasks   []string  `json:"tasks"`
}

// WaveRelease allocates orders and makes their pick tasks. The allocations
// are decided when the event is appended (decideWaveReleased).
type WaveRelease struct {
	Orders []string `json:"orders"`
	// Owners names each order's owner, by position (empty, or shorter than
	// Orders, means the default owner).
	Owners      []string `json:"owners,omitempty"`
	Mode        WaveMode `json:"mode"`
	ClusterSize int      `json:"cluster_size"`
	Today       string   `json:"today"`
	// decided
	Decided bool                 `json:"decided,omitempty"`
	Wave    string               `json:"wave,omitempty"`
	Allocs  map[string][][]Alloc `json:"allocs,omitempty"`  // order ref (see orderRef) -> line -> allocations
	Waiting []string             `json:"waiting,omitempty"` // order refs
}

// ownerAt is the owner of the i-th order.
func (p WaveRelease) ownerAt(i int) string {
	if i < len(p.Owners) {
		return OwnerOr(p.Owners[i])
	}
	return DefaultOwner
}

// OrderRef names an order in a mixed event's payload: the number alone for
// the default owner (as before owners existed), "OWNER NUMBER" for another
// (codes hold no spaces, so the two never mix up).
func OrderRef(owner, no string) string {
	if owner = OwnerOr(owner); owner != DefaultOwner {
		return owner + " " + no
	}
	return no
}

// ParseOrderRef splits an order ref into its owner and number.
func ParseOrderRef(ref string) (owner, no string) {
	if o, n, ok := strings.Cut(ref, " "); ok {
		return o, n
	}
	return DefaultOwner, ref
}

// WaveFilter picks the new orders for a wave.
type WaveFilter struct {
	Owner       string     `json:"owner,omitempty"` // one owner's orders only; empty: every owner's
	Carrier     string     `json:"carrier,omitempty"`
	DueBy       *time.Time `json:"due_by,omitempty"` // orders to ship by this time (and orders without a ship-by time)
	MinPriority int        `json:"min_priority,omitempty"`
	// Lines: "single" for one-line orders, "multi" for the rest, "" for both.
	Lines       string   `json:"lines,omitempty"`
	MaxOrders   int      `json:"max_orders,omitempty"`
	Mode        WaveMode `json:"mode"`
	ClusterSize int      `json:"cluster_size,omitempty"`
}

func (f WaveFilter) matches(o OrderBrief) bool {
	switch {
	case o.Held:
		return false
	case f.Owner != "" && o.Owner != f.Owner:
		return false
	case f.Carrier != "" && o.Carrier != f.Carrier:
		return false
	case f.DueBy != nil && o.ShipBy != nil && o.ShipBy.After(*f.DueBy):
		return false
	case o.Priority < f.MinPriority:
		return false
	case f.Lines == "single" && o.Lines != 1:
		return false
	case f.Lines == "multi" && o.Lines == 1:
		return false
	}
	return true
}

// ReleaseWave chooses new orders by the filter (most urgent first) and
// releases them as one wave. It returns the wave (which says which orders
// are waiting for stock).
func (l *Ledger) ReleaseWave(ctx context.Context, f WaveFilter, eventID, actor, device string) (Wave, error) {
	k := keyed{id: eventID, typ: EvWaveReleased, actor: actor, request: f}
	return runKeyed(ctx, l, k, func() (Event, error) { return l.chooseWave(f, eventID, actor, device) }, waveAnswer)
}

// chooseWave decides which new orders a wave filter releases.
func (l *Ledger) chooseWave(f WaveFilter, eventID, actor, device string) (Event, error) {
	if f.Mode == "" {
		f.Mode = WaveCluster
	}
	if f.Mode != WaveSingle && f.Mode != WaveCluster {
		return Event{}, Errf(CodeInvalid, "wave.mode_invalid")
	}
	if f.ClusterSize <= 0 {
		f.ClusterSize = 4
	}
	if f.ClusterSize > 12 {
		return Event{}, Errf(CodeInvalid, "wave.cluster_invalid")
	}
	if f.MaxOrders <= 0 {
		f.MaxOrders = 50
	}
	if f.Owner != "" {
		if _, err := l.KnownOwner(f.Owner); err != nil {
			return Event{}, err
		}
	}
	var chosen []OrderBrief
	if err := l.view(func(tx *txn) (err error) {
		chosen, err = waveChoiceTx(tx, f)
		return err
	}); err != nil {
		return Event{}, err
	}
	if len(chosen) == 0 {
		return Event{}, Errf(CodeNotFound, "wave.no_orders")
	}
	return NewEvent(eventID, EvWaveReleased, actor, device, l.waveRelease(chosen, f.Mode, f.ClusterSize))
}

// urgency orders: higher priority, then earlier ship-by, then older.
func urgency(a, b OrderBrief) int {
	if a.Priority != b.Priority {
		return b.Priority - a.Priority
	}
	switch {
	case a.ShipBy != nil && b.ShipBy == nil:
		return -1
	case a.ShipBy == nil && b.ShipBy != nil:
		return 1
	case a.ShipBy != nil && !a.ShipBy.Equal(*b.ShipBy):
		return a.ShipBy.Compare(*b.ShipBy)
	}
	if c := a.Received.Compare(b.Received); c != 0 {
		return c
	}
	if c := strings.Compare(a.No, b.No); c != 0 {
		return c
	}
	return strings.Compare(a.Owner, b.Owner)
}

// waveRelease is the release of the chosen orders, each named with its owner.
func (l *Ledger) waveRelease(chosen []OrderBrief, mode WaveMode, cluster int) WaveRelease {
	rel := WaveRelease{Mode: mode, ClusterSize: cluster, Today: l.Today()}
	mixed := false
	for _, o := range chosen {
		rel.Orders = append(rel.Orders, o.No)
		rel.Owners = append(rel.Owners, envelopeOwner(o.Owner))
		mixed = mixed || o.Owner != DefaultOwner
	}
	if !mixed {
		rel.Owners = nil // the default owner's alone: as before owners existed
	}
	return rel
}

// releaseOrders releases the chosen orders as one wave, without a filter.
func (l *Ledger) releaseOrders(ctx context.Context, chosen []OrderBrief, mode WaveMode, cluster int, eventID, actor, device string) (Wave, error) {
	ev, err := NewEvent(eventID, EvWaveReleased, actor, device, l.waveRelease(chosen, mode, cluster))
	if err != nil {
		return Wave{}, err
	}
	stored, _, err := l.Append(ctx, ev)
	if err != nil {
		return Wave{}, err
	}
	var p WaveRelease
	if err := decode(&stored, &p); err != nil {
		return Wave{}, err
	}
	return l.Wave(p.Wave)
}

// waveAnswer is the wave a release made, as it stood when released.
// The wave is named by its event's sequence number (applyWaveReleased), so
// the payload with its allocations need not be decoded again to find it.
func waveAnswer(tx *txn, ev *Event) (Wave, error) {
	id := "W" + strconv.FormatUint(ev.Seq, 10)
	var w Wave
	found, err := getJSON(tx.Bucket(bucketWaves), []byte(id), &w)
	if err == nil && !found {
		err = Errf(CodeNotFound, "wave.not_found", "wave", id)
	}
	return w, err
}

// Wave returns one wave.
func (l *Ledger) Wave(id string) (Wave, error) {
	var w Wave
	err := l.view(func(tx *txn) (err error) {
		w, err = mustGet[Wave](tx, bucketWaves, []byte(id), "wave.not_found", "wave", id)
		return err
	})
	return w, err
}

// decideWaveReleased allocates the wave's orders one after another by the
// rules of the day (allocateOrder), each seeing what the orders before it
// reserved, and records the allocations and the orders left waiting.
func decideWaveReleased(tx *txn, ev *Event) error {
	var p WaveRelease
	if err := decode(ev, &p); err != nil {
		return err
	}
	if p.Mode != WaveSingle && p.Mode != WaveCluster {
		return Errf(CodeInvalid, "wave.mode_invalid")
	}
	settings, err := getSettings(tx)
	if err != nil {
		return err
	}
	p.Wave, p.Allocs, p.Waiting = "W"+strconv.FormatUint(ev.Seq, 10), map[string][][]Alloc{}, nil
	v := newAllocView(tx)
	for n, no := range p.Orders {
		owner := p.ownerAt(n)
		ref := OrderRef(owner, no)
		o, err := orderTx(tx, owner, no)
		if err != nil {
			return err
		}
		if o.State != OrderNew {
			p.Waiting = append(p.Waiting, ref)
			continue
		}
		if o.Held {
			continue // held since it was chosen: not this wave's
		}
		lines, ok, err := allocateOrder(v, o, settings, p.Today)
		if err != nil {
			return err
		}
		if !ok {
			p.Waiting = append(p.Waiting, ref)
			continue
		}
		p.Allocs[ref] = lines
	}
	if len(p.Allocs) == 0 {
		return Errf(CodeConflict, "wave.nothing_allocated", "count", strconv.Itoa(len(p.Waiting)))
	}
	p.Decided = true
	return setPayload(ev, p)
}

// applyWaveReleased reserves the allocations the release recorded and makes
// the pick tasks.
func applyWaveReleased(tx *txn, ev *Event) error {
	var p WaveRelease
	if err := decode(ev, &p); err != nil {
		return err
	}
	if !p.Decided {
		return undecided(ev)
	}
	if p.Mode != WaveSingle && p.Mode != WaveCluster {
		return Errf(CodeInvalid, "wave.mode_invalid")
	}
	wave := Wave{ID: "W" + strconv.FormatUint(ev.Seq, 10), Mode: p.Mode, Created: ev.At, Actor: ev.Actor}
	var released []Order
	for n, no := range p.Orders {
		owner := p.ownerAt(n)
		ref := OrderRef(owner, no)
		o, err := orderTx(tx, owner, no)
		if err != nil {
			return err
		}
		if o.State != OrderNew {
			continue
		}
		allocs, ok := p.Allocs[ref]
		if !ok {
			continue // it waited for stock
		}
		if len(allocs) != len(o.Lines) {
			return Errf(CodeInvalid, "event.payload_invalid", "type", ev.Type, "detail", "allocations for "+ref)
		}
		for i := range o.Lines {
			o.Lines[i].Allocs = allocs[i]
			for _, a := range allocs[i] {
				if err := addReserved(tx, owner, o.Lines[i].SKU, a.Lot, a.Location, a.Qty); err != nil {
					return err
				}
			}
			o.Lines[i].Backordered = o.Lines[i].Qty - o.Lines[i].Allocated()
		}
		o.State, o.Wave, o.Updated = OrderAllocated, wave.ID, ev.At
		if err := putOrder(tx, &o, OrderNew); err != nil {
			return err
		}
		released = append(released, o)
	}
	if len(released) == 0 {
		return Errf(CodeConflict, "wave.nothing_allocated", "count", strconv.Itoa(len(p.Waiting)))
	}
	size := 1
	if p.Mode == WaveCluster {
		size = max(1, p.ClusterSize)
	}
	for start, n := 0, 1; start < len(released); start, n = start+size, n+1 {
		group := released[start:min(start+size, len(released))]
		t := &Task{ID: wave.ID + "-" + strconv.Itoa(n), Wave: wave.ID, Kind: TaskPick, Mode: p.Mode, State: TaskOpen, Created: ev.At}
		for _, o := range group {
			t.Priority = max(t.Priority, o.Priority)
			t.Orders = append(t.Orders, TaskOrder{Owner: o.Owner, Order: o.No})
			for _, line := range o.Lines {
				for _, a := range line.Allocs {
					t.Lines = append(t.Lines, TaskLine{Owner: o.Owner, Order: o.No, SKU: line.SKU, Lot: a.Lot, Expiry: a.Expiry, Location: a.Location, Qty: a.Qty})
				}
			}
		}
		if err := fillTaskLines(tx, t); err != nil {
			return err
		}
		if err := putTask(tx, t, ""); err != nil {
			return err
		}
		wave.Tasks = append(wave.Tasks, t.ID)
	}
	for _, o := range released {
		wave.Orders = append(wave.Orders, OrderRef(o.Owner, o.No))
	}
	wave.Waiting = p.Waiting
	return putJSON(tx.Bucket(bucketWaves), []byte(wave.ID), wave)
}

// fillTaskLines adds what the handheld shows and checks (name, GTINs, walk
// order) and numbers the lines along the walk.
func fillTaskLines(tx *txn, t *Task) error {
	// a wave's lines share SKUs and shelves: each is read once
	skus := map[[2]string]*SKU{}
	seqs := map[string]int{}
	for i := range t.Lines {
		l := &t.Lines[i]
		l.Owner = OwnerOr(l.Owner)
		sku := skus[[2]string{l.Owner, l.SKU}]
		if sku == nil {
			// lookup: through a replay's memo of SKUs and shelves (replay.go)
			v, _, err := lookup[SKU](tx, bucketSKUs, skuKey(l.Owner, l.SKU))
			if err != nil {
				return err
			}
			sku = &v
			skus[[2]string{l.Owner, l.SKU}] = sku
		}
		seq, ok := seqs[l.Location]
		if !ok {
			loc, _, err := lookup[Location](tx, bucketLocations, []byte(l.Location))
			if err != nil {
				return err
			}
			seq, seqs[l.Location] = loc.PickSeq, loc.PickSeq
		}
		l.Name, l.GTINs, l.LotTracked, l.PickSeq = sku.Name, slices.Clone(sku.GTINs), sku.LotTracked, seq
	}
	slices.SortStableFunc(t.Lines, func(a, b TaskLine) int {
		if a.PickSeq != b.PickSeq {
			return a.PickSeq - b.PickSeq
		}
		if c := strings.Compare(a.Location, b.Location); c != 0 {
			return c
		}
		if c := strings.Compare(a.Owner, b.Owner); c != 0 {
			return c
		}
		if c := strings.Compare(a.SKU, b.SKU); c != 0 {
			return c
		}
		return strings.Compare(a.Order, b.Order)
	})
	for i := range t.Lines {
		t.Lines[i].N = i + 1
	}
	return nil
}

// putTask stores a task and keeps the queue of open tasks.
func putTask(tx *txn, t *Task, old TaskState) error {
	q := tx.Bucket(bucketTaskQueue)
	queued := t.State == TaskOpen || t.State == TaskActive
	if old != "" && (old != t.State || !queued) {
		if err := q.Delete(taskQueueKey(old, t)); err != nil {
			return err
		}
	}
	if queued {
		// a scan leaves an active task active: its entry is not written again
		if err := putChanged(q, taskQueueKey(t.State, t), []byte{}); err != nil {
			return err
		}
	}
	// who holds which task, for handing it back without reading them all
	if t.Actor != "" && t.Kind != TaskCount {
		hands := tx.Bucket(bucketActorTask)
		switch {
		case t.State == TaskActive:
			if err := putChanged(hands, []byte(t.Actor), []byte(t.ID)); err != nil {
				return err
			}
		case string(hands.Get([]byte(t.Actor))) == t.ID:
			if err := hands.Delete([]byte(t.Actor)); err != nil {
				return err
			}
		}
	}
	b := tx.Bucket(bucketTasks)
	if b.typed() && b.putRec([]byte(t.ID), &taskRec{normTask(t)}) { // a replay's (overlay_typed.go)
		return nil
	}
	return b.Put([]byte(t.ID), encodeTask(t))
}

// Task returns one task.
func (l *Ledger) Task(id string) (Task, error) {
	var t *Task
	err := l.view(func(tx *txn) error {
		var err error
		t, err = getTask(tx, id)
		return err
	})
	if err != nil {
		return Task{}, err
	}
	return *t, nil
}

// TaskJSON returns a task as JSON, for answers that only pass it on.
func (l *Ledger) TaskJSON(id string) (json.RawMessage, error) {
	var out json.RawMessage
	err := l.view(func(tx *txn) (err error) {
		out, err = taskJSON(tx, id)
		return err
	})
	return out, err
}

// ActiveTaskOf returns the task in a person's hands, if any.
func (l *Ledger) ActiveTaskOf(actor string) (*Task, error) {
	var t *Task
	err := l.view(func(tx *txn) error {
		id := tx.Bucket(bucketActorTask).Get([]byte(actor))
		if id == nil {
			return nil
		}
		var err error
		t, err = getTask(tx, string(id))
		return err
	})
	return t, err
}

// TasksIn lists tasks in a state in queue order.
func (l *Ledger) TasksIn(state TaskState, limit int) ([]Task, error) {
	var out []Task
	err := l.view(func(tx *txn) error {
		c := tx.Bucket(bucketTaskQueue).Cursor()
		p := prefixKey(string(state))
		for k, _ := c.Seek(p); k != nil && strings.HasPrefix(string(k), string(p)) && len(out) < limit; k, _ = c.Next() {
			parts := splitKey(k)
			t, err := getTask(tx, parts[len(parts)-1])
			if err != nil {
				return err
			}
			out = append(out, *t)
		}
		return nil
	})
	return out, err
}

// livePickTasks loads every open or active pick task (IDs collected before
// any is written, so callers may change them as they go).
func livePickTasks(tx *txn) ([]*Task, error) {
	var ids []string
	c := tx.Bucket(bucketTaskQueue).Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		parts := splitKey(k)
		ids = append(ids, parts[len(parts)-1])
	}
	var out []*Task
	for _, id := range ids {
		t, err := getTask(tx, id)
		if err != nil {
			return nil, err
		}
		if t.Kind == TaskPick {
			out = append(out, t)
		}
	}
	return out, nil
}

// cancelOrderTaskLines drops an order's open lines from its tasks; a task
// with nothing left is done.
// closeEmptied ends a task whose lines were all taken away: one nobody had
// started is cancelled (never handed out empty), one in hand is done.
func closeEmptied(t *Task) {
	if _, open := t.NextLine(); open {
		return
	}
	switch t.State {
	case TaskOpen:
		t.State = TaskCancelled
	case TaskActive:
		t.State = TaskDone
	}
}

func cancelOrderTaskLines(tx *txn, owner, order string) error {
	tasks, err := livePickTasks(tx)
	if err != nil {
		return err
	}
	for _, t := range tasks {
		changed := false
		for i := range t.Lines {
			if t.Lines[i].Order == order && t.Lines[i].Owner == owner && t.Lines[i].Open() > 0 {
				t.Lines[i].Cancelled, changed = true, true
			}
		}
		if !changed {
			continue
		}
		old := t.State
		closeEmptied(t)
		if err := putTask(tx, t, old); err != nil {
			return err
		}
	}
	return nil
}
