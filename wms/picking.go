package wms

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// TaskStart hands an open task to a picker.
type TaskStart struct {
	// Task is the task started. A handheld asking for its next task leaves
	// it empty; the event's decider chooses the task when it is appended
	// and writes it here (decide.go).
	Task string `json:"task"`
}

// ScannedItem is what the server read off one scan of an item.
type ScannedItem struct {
	GTIN   string `json:"gtin"`
	Lot    string `json:"lot,omitempty"`
	Expiry string `json:"expiry,omitempty"`
	Serial string `json:"serial,omitempty"`
}

// PickScan takes Qty units of a task line into the order's tote. Items are
// the scans (one per unit, or one with a typed count).
type PickScan struct {
	Task     string        `json:"task"`
	Line     int           `json:"line"`
	Location string        `json:"location"`
	Items    []ScannedItem `json:"items"`
	Qty      int64         `json:"qty"`
	Tote     string        `json:"tote,omitempty"`
	Today    string        `json:"today"`
	// Strict is set on every pick made now: the allocated lot's status is
	// checked at the shelf too, and one scan may not carry a serial twice.
	// Picks logged before these checks (without it) replay as they were.
	Strict bool `json:"strict,omitempty"`
	// decided: the order and the lot the units left in and from, for the lot's story
	Order     string `json:"order,omitempty"`
	PickedLot string `json:"picked_lot,omitempty"`
}

// PickUndo takes back the picker's last pick in a task.
type PickUndo struct {
	Task string `json:"task"`
	// Pick names the pick to take back (its event ID: the handheld's key
	// for the scan). It must be the task's last pick not undone; a pick
	// never booked (refused) or not the last is refused, so an undo meant
	// for a refused scan never takes back another line's. Undos logged
	// before it existed (without it) take back the last pick.
	Pick string `json:"pick,omitempty"`
	// Today is the day whose figures the undo corrects; undos logged before
	// they counted (without it) change no figures when replayed.
	Today string `json:"today,omitempty"`
}

// ShortReport says the shelf does not hold what the line asks for. What was
// re-allocated and the count task made are decided when appended (decideShortReported).
type ShortReport struct {
	Task   string `json:"task"`
	Line   int    `json:"line"`
	Reason string `json:"reason"`
	Today  string `json:"today"`
	// decided
	Decided   bool    `json:"decided,omitempty"`
	Realloc   []Alloc `json:"realloc,omitempty"`
	CountTask string  `json:"count_task,omitempty"`
}

// ScanRejected records a wrong scan: it changes no stock but counts against
// the picker's accuracy.
type ScanRejected struct {
	Task   string `json:"task,omitempty"`
	Line   int    `json:"line,omitempty"`
	Step   string `json:"step"` // location, item, tote, qty
	Code   string `json:"code"`
	Reason string `json:"reason"` // message key
	Today  string `json:"today"`
}

// PutBackScan returns Qty units of a put-back line to its location.
type PutBackScan struct {
	Task     string `json:"task"`
	Line     int    `json:"line"`
	Location string `json:"location"`
	Qty      int64  `json:"qty"`
	Today    string `json:"today"`
}

// Short-pick reasons a picker chooses from.
var ShortReasons = []string{"empty", "damaged", "wrong_item", "cannot_reach"}

// --- commands ---

// NextTask returns the picker's active task, or starts the next open one.
// The choice is made by the event's decider, inside the commit, so
// pickers asking at the same moment each get a different task in queue order
// and nobody loses a race; the chosen task is written into the event, so a
// rebuild starts the same one.
func (l *Ledger) NextTask(ctx context.Context, actor, device string) (Task, error) {
	for range 2 {
		// One read: the task in hand, else whether there is one to hand out
		// (asking with nothing to hand out writes nothing).
		var held *Task
		var open bool
		err := l.view(func(tx *txn) error {
			if id := tx.Bucket(bucketActorTask).Get([]byte(actor)); id != nil {
				var err error
				held, err = getTask(tx, string(id))
				return err
			}
			open = firstPickable(tx) != ""
			return nil
		})
		switch {
		case err != nil:
			return Task{}, err
		case held != nil:
			return *held, nil
		case !open:
			return Task{}, Errf(CodeNotFound, "task.none")
		}
		ev, err := NewEvent(uuid.NewString(), EvTaskStarted, actor, device, TaskStart{})
		if err != nil {
			return Task{}, err
		}
		stored, _, err := l.Append(ctx, ev)
		switch {
		case ErrorCode(err) == CodeConflict:
			continue // a task reached this picker's hands meanwhile (a second tap): hand that one back
		case err != nil:
			return Task{}, err
		}
		var p TaskStart
		if err := stored.DecodeData(&p); err != nil {
			return Task{}, err
		}
		return l.Task(p.Task)
	}
	return Task{}, Errf(CodeConflict, "task.busy")
}

// firstPickable is the open task at the head of the queue, counts aside
// (they are not for pickers): put-backs first, then picks by priority.
func firstPickable(tx *txn) string {
	c := tx.Bucket(bucketTaskQueue).Cursor()
	p := prefixKey(string(TaskOpen))
	k, _ := c.Seek(p)
	if k == nil || !bytes.HasPrefix(k, p) {
		return ""
	}
	parts := splitKey(k)
	if strings.HasPrefix(parts[1], "2") {
		return ""
	}
	return parts[2]
}

// Pick appends a pick; the answer is the task as it is afterwards. A count
// (more units than scans) of an item scanned with its serial is refused:
// each such unit has a serial of its own, and counted units would leave the
// warehouse without theirs.
func (l *Ledger) Pick(ctx context.Context, id string, p PickScan, actor, device string) (json.RawMessage, bool, error) {
	asked := p
	raw, dup, err := l.taskCommand(ctx, id, EvPicked, p.Task, asked, actor, func() (Event, error) {
		if err := checkPickItems(p); err != nil {
			return Event{}, err
		}
		p.Today, p.Strict = l.Today(), true
		return NewEvent(id, EvPicked, actor, device, p)
	})
	if e, ok := AsError(err); ok && (e.Key == "pick.serial_twice" || e.Key == "pick.too_many") {
		// a can this task picked, read again (also once its line is full)
		for _, it := range p.Items {
			if again := l.pickedInTask(p.Task, it.Serial); again != nil {
				return nil, false, again
			}
		}
	}
	return raw, dup, err
}

// checkPickItems refuses what a pick can never be, before any state is read.
func checkPickItems(p PickScan) error {
	if p.Qty > int64(len(p.Items)) && slices.ContainsFunc(p.Items, func(it ScannedItem) bool { return it.Serial != "" }) {
		return Errf(CodeInvalid, "pick.count_serial")
	}
	for i, it := range p.Items { // the same can read twice into one put is one can
		if it.Serial != "" && slices.ContainsFunc(p.Items[:i], func(o ScannedItem) bool { return o.Serial == it.Serial }) {
			return Errf(CodeConflict, "pick.serial_double_read", "serial", it.Serial)
		}
	}
	return nil
}

// pickedInTask tells a double read from a copied code: a serial this task
// has already picked (and not undone) is the same can read twice, which
// changes nothing; a serial picked anywhere else stays the copy it looks like.
func (l *Ledger) pickedInTask(task, serial string) error {
	t, err := l.Task(task)
	if err != nil || serial == "" {
		return nil
	}
	for _, rec := range t.Picks {
		if !rec.Undone && slices.Contains(rec.Serials, serial) {
			sku := ""
			if line, ok := t.Line(rec.Line); ok {
				sku = line.SKU
			}
			return Errf(CodeConflict, "pick.serial_double_read", "serial", serial, "sku", sku)
		}
	}
	return nil
}

// cancelledLine is the refusal of a pick of line n when its order was
// cancelled while the scan was on its way (queued on a handheld offline),
// else otherwise.
func cancelledLine(t *Task, n int, otherwise error) error {
	if line, ok := t.Line(n); ok && line.Cancelled {
		return Errf(CodeConflict, "pick.order_cancelled", "order", line.Order)
	}
	return otherwise
}

// undoTarget checks that the undo may take back pick i, the task's last
// not undone (-1: none): when the undo names its pick, it must be that one.
func undoTarget(t *Task, i int, named string) error {
	if named != "" && (i < 0 || t.Picks[i].Event != named) {
		for _, rec := range t.Picks {
			if rec.Event == named && rec.Undone {
				return Errf(CodeConflict, "pick.undo_nothing")
			}
			if rec.Event == named {
				return Errf(CodeConflict, "pick.undo_not_last")
			}
		}
		return Errf(CodeConflict, "pick.undo_not_booked")
	}
	if i < 0 {
		return Errf(CodeConflict, "pick.undo_nothing")
	}
	return nil
}

// UndoPick takes back the last pick (the one p names, when it names one).
func (l *Ledger) UndoPick(ctx context.Context, id string, p PickUndo, actor, device string) (json.RawMessage, bool, error) {
	if len(p.Pick) > MaxEventID { // longer than any event ID: no pick booked
		return nil, false, Errf(CodeConflict, "pick.undo_not_booked")
	}
	asked := p
	return l.taskCommand(ctx, id, EvPickUndone, p.Task, asked, actor, func() (Event, error) {
		p.Today = l.Today()
		return NewEvent(id, EvPickUndone, actor, device, p)
	})
}

// ReportShort reports a short pick.
func (l *Ledger) ReportShort(ctx context.Context, id string, p ShortReport, actor, device string) (json.RawMessage, bool, error) {
	if err := checkFree(FieldReason, p.Reason, false); err != nil {
		return nil, false, err
	}
	asked := p
	return l.taskCommand(ctx, id, EvShortReported, p.Task, asked, actor, func() (Event, error) {
		p.Today, p.Decided = l.Today(), false
		return NewEvent(id, EvShortReported, actor, device, p)
	})
}

// rejectSteps are the steps a wrong scan may be made at.
var rejectSteps = map[string]bool{"location": true, "item": true, "tote": true, "qty": true}

// maxRejectedCode is how much of a wrong scan's code is kept: a long QR
// read where a shelf was wanted is still a wrong scan to count, and its
// first 500 bytes say what it was (the applier refuses over 512).
const maxRejectedCode = 500

// RejectScan records a wrong scan.
func (l *Ledger) RejectScan(ctx context.Context, id string, p ScanRejected, actor, device string) (json.RawMessage, bool, error) {
	if !rejectSteps[p.Step] {
		return nil, false, Errf(CodeInvalid, "event.payload_invalid", "type", EvScanRejected)
	}
	if len(p.Code) > maxRejectedCode {
		p.Code = strings.ToValidUTF8(p.Code[:maxRejectedCode], "")
	}
	asked := p
	return l.taskCommand(ctx, id, EvScanRejected, p.Task, asked, actor, func() (Event, error) {
		p.Today = l.Today()
		return NewEvent(id, EvScanRejected, actor, device, p)
	})
}

// PutBack returns units of a cancelled order to the shelf.
func (l *Ledger) PutBack(ctx context.Context, id string, p PutBackScan, actor, device string) (json.RawMessage, bool, error) {
	asked := p
	return l.taskCommand(ctx, id, EvPutBack, p.Task, asked, actor, func() (Event, error) {
		p.Today = l.Today()
		return NewEvent(id, EvPutBack, actor, device, p)
	})
}

// taskCommand appends a scan and answers with the task as it was right
// after it, as JSON: the handheld takes it as its new view of the
// task. The scan's ID is bound to the picker, the task and the scan as sent;
// a repeat gets that first answer (dup is true) and a picker repeating an ID
// on a task someone else holds is refused as a fresh scan would be.
func (l *Ledger) taskCommand(ctx context.Context, id, typ, task string, asked any, actor string, decide func() (Event, error)) (json.RawMessage, bool, error) {
	k := keyed{id: id, typ: typ, target: task, actor: actor, request: asked, answerTask: task, owns: func(tx *txn) error {
		t, err := getTask(tx, task)
		if err != nil {
			return err
		}
		if t.Actor != "" && t.Actor != actor {
			return Errf(CodeForbidden, "task.not_yours", "task", task, "actor", t.Actor)
		}
		return nil
	}}
	ctx, replayed := withOwnNote(ctx)
	raw, err := runKeyed(ctx, l, k, decide, func(tx *txn, ev *Event) (json.RawMessage, error) {
		return taskAnswer(ctx, tx, task)
	})
	if err != nil {
		return nil, false, err
	}
	return raw, replayed(), nil
}

// --- appliers ---

func applyTaskStarted(tx *txn, ev *Event) error {
	var p TaskStart
	if err := decode(ev, &p); err != nil {
		return err
	}
	t, err := getTask(tx, p.Task)
	if err != nil {
		return err
	}
	if t.State != TaskOpen {
		return Errf(CodeConflict, "task.taken", "task", t.ID)
	}
	t.State, t.Actor, t.Device = TaskActive, ev.Actor, ev.Device
	at := ev.At
	t.Started = &at
	return putTask(tx, t, TaskOpen)
}

// activeTaskOf loads a task the event's actor is working on.
func activeTaskOf(tx *txn, ev *Event, id string, kind TaskKind) (*Task, error) {
	t, err := getTask(tx, id)
	if err != nil {
		return nil, err
	}
	if t.Kind != kind {
		return nil, Errf(CodeInvalid, "task.wrong_kind", "task", id)
	}
	if t.State != TaskActive {
		return nil, Errf(CodeConflict, "task.not_active", "task", id, "state", string(t.State))
	}
	if t.Actor != ev.Actor {
		return nil, Errf(CodeForbidden, "task.not_yours", "task", id, "actor", t.Actor)
	}
	return t, nil
}

// lineOwner records in an event's envelope the owner of the task line it is
// about (a wave may mix owners, so the command cannot know it before the task
// is read inside the commit); an event that names another owner is refused.
func lineOwner(ev *Event, line *TaskLine) (string, error) {
	owner := OwnerOr(line.Owner)
	if ev.Owner != "" && ev.Owner != owner {
		return "", Errf(CodeInvalid, "event.owner_mismatch", "owner", ev.Owner, "envelope", owner)
	}
	ev.Owner = envelopeOwner(owner)
	return owner, nil
}

// orderAlloc finds the allocation of an order line at a place.
func orderAlloc(o *Order, sku, lot, loc string) (*OrderLine, *Alloc) {
	for i := range o.Lines {
		if o.Lines[i].SKU != sku {
			continue
		}
		for j := range o.Lines[i].Allocs {
			a := &o.Lines[i].Allocs[j]
			if a.Lot == lot && a.Location == loc {
				return &o.Lines[i], a
			}
		}
		return &o.Lines[i], nil
	}
	return nil, nil
}

// settleOrder moves an order between allocated, picking and picked by its lines.
func settleOrder(o *Order) {
	if o.State != OrderAllocated && o.State != OrderPicking && o.State != OrderPicked {
		return
	}
	any, all := false, true
	for _, l := range o.Lines {
		any = any || l.Picked > 0
		all = all && l.Picked+l.Short+l.Backordered >= l.Qty
	}
	switch {
	case all:
		o.State = OrderPicked
	case any:
		o.State = OrderPicking
	default:
		o.State = OrderAllocated
	}
}

// settleTask finishes a task whose lines are all done (or reopens it after an undo).
func settleTask(t *Task, at *Event) {
	if _, open := t.NextLine(); open {
		t.State, t.Finished = TaskActive, nil
		return
	}
	t.State = TaskDone
	when := at.At
	t.Finished = &when
}

func applyPicked(tx *txn, ev *Event) error {
	var p PickScan
	if err := decode(ev, &p); err != nil {
		return err
	}
	t, err := activeTaskOf(tx, ev, p.Task, TaskPick)
	if err != nil {
		if ended, gerr := getTask(tx, p.Task); gerr == nil {
			err = cancelledLine(ended, p.Line, err) // a cancellation ended the task (single order)
		}
		return err
	}
	line, ok := t.Line(p.Line)
	if !ok {
		return Errf(CodeNotFound, "task.line_not_found", "task", t.ID, "line", strconv.Itoa(p.Line))
	}
	if err := cancelledLine(t, p.Line, nil); err != nil { // a cluster whose other orders go on
		return err
	}
	owner, err := lineOwner(ev, line)
	if err != nil {
		return err
	}
	if p.Qty <= 0 || len(p.Items) == 0 {
		return Errf(CodeInvalid, "pick.qty_invalid")
	}
	if p.Qty > line.Open() {
		return Errf(CodeConflict, "pick.too_many", "qty", strconv.FormatInt(p.Qty, 10), "open", strconv.FormatInt(line.Open(), 10))
	}
	if p.Location != line.Location {
		return Errf(CodeConflict, "pick.wrong_location", "location", p.Location, "want", line.Location)
	}
	lot := line.Lot
	for i, it := range p.Items {
		if it.Serial == "" {
			continue
		}
		if p.Strict && slices.ContainsFunc(p.Items[:i], func(o ScannedItem) bool { return o.Serial == it.Serial }) {
			return Errf(CodeConflict, "pick.serial_twice", "serial", it.Serial)
		}
		if tx.Bucket(bucketSerialHolds).Get([]byte(it.Serial)) != nil {
			return Errf(CodeConflict, "pick.serial_held", "serial", it.Serial)
		}
		var out SerialTrace
		if found, err := getJSON(tx.Bucket(bucketSerials), []byte(it.Serial), &out); err != nil {
			return err
		} else if found && out.Returned == "" { // picked and not come back
			return Errf(CodeConflict, "pick.serial_twice", "serial", it.Serial)
		}
	}
	for i, it := range p.Items {
		if !slices.Contains(line.GTINs, it.GTIN) {
			return Errf(CodeConflict, "pick.wrong_item", "gtin", it.GTIN, "sku", line.SKU, "name", line.Name)
		}
		if line.LotTracked && it.Lot != "" {
			if i == 0 {
				lot = it.Lot
			} else if it.Lot != lot {
				return Errf(CodeConflict, "pick.mixed_lots")
			}
		}
	}
	// Totes: a cluster task binds each order's tote at its first put.
	tote := t.ToteOf(owner, line.Order)
	if t.Mode == WaveCluster || p.Tote != "" {
		switch {
		case p.Tote == "":
			return Errf(CodeInvalid, "pick.tote_needed", "order", line.Order)
		case tote != "" && p.Tote != tote:
			return Errf(CodeConflict, "pick.wrong_tote", "tote", p.Tote, "want", tote)
		case tote == "":
			if other := tx.Bucket(bucketTotes).Get([]byte(p.Tote)); other != nil {
				return Errf(CodeConflict, "pick.tote_in_use", "tote", p.Tote)
			}
			for i := range t.Orders {
				if t.Orders[i].Order == line.Order && OwnerOr(t.Orders[i].Owner) == owner {
					t.Orders[i].Tote = p.Tote
				}
			}
			if err := putJSON(tx.Bucket(bucketTotes), []byte(p.Tote), TaskOrder{Owner: owner, Order: line.Order}); err != nil {
				return err
			}
			tote = p.Tote
		}
	}
	o, err := orderTx(tx, owner, line.Order)
	if err != nil {
		return err
	}
	oldState := o.State
	if tote != "" {
		o.Tote = tote
	}
	if lot != line.Lot {
		if err := switchLot(tx, &o, line, lot, p.Qty, p.Today); err != nil {
			return err
		}
	} else if p.Strict && lot != "" {
		// the allocated lot may have been held or quarantined since (a
		// short-dated delivery of the same lot, say): it does not leave
		var st Lot
		if err := readLotInto(tx, &st, owner, line.SKU, lot); err != nil {
			return err
		}
		if st.Status != "" && st.Status != LotAvailable {
			return Errf(CodeConflict, LotRefusal(st.Status), "lot", lot, "expiry", st.Expiry)
		}
	}
	ol, alloc := orderAlloc(&o, line.SKU, lot, line.Location)
	if alloc == nil || alloc.Qty-alloc.Picked < p.Qty {
		return Errf(CodeConflict, "pick.too_many", "qty", strconv.FormatInt(p.Qty, 10), "open", "0")
	}
	have := qtyFromValue(tx.Bucket(bucketStock).Get(stockKey(owner, line.SKU, lot, line.Location)))
	if have < p.Qty {
		return Errf(CodeConflict, "stock.insufficient", "sku", line.SKU, "lot", lot, "location", line.Location,
			"have", strconv.FormatInt(have, 10), "want", strconv.FormatInt(p.Qty, 10))
	}
	if err := writeQty(tx, owner, line.SKU, lot, line.Location, have-p.Qty); err != nil {
		return err
	}
	if err := addReserved(tx, owner, line.SKU, lot, line.Location, -p.Qty); err != nil {
		return err
	}
	alloc.Picked += p.Qty
	ol.Picked += p.Qty
	line.Done += p.Qty
	rec := PickRecord{Event: ev.ID, Line: line.N, Lot: lot, Location: line.Location, Qty: p.Qty, Completed: line.Open() == 0}
	for _, it := range p.Items {
		if it.Serial != "" {
			touchSerial(tx, it.Serial, SerialTrace{Serial: it.Serial, Owner: owner, SKU: line.SKU, Lot: lot, Order: line.Order})
			rec.Serials = append(rec.Serials, it.Serial)
		}
	}
	t.Picks = append(t.Picks, rec)
	p.Order, p.PickedLot = line.Order, lot
	if err := redecide(ev, p); err != nil {
		return err
	}
	lineDone := rec.Completed
	settleTask(t, ev)
	settleOrder(&o)
	o.Updated = ev.At
	if err := putOrder(tx, &o, oldState); err != nil {
		return err
	}
	if err := putTask(tx, t, TaskActive); err != nil {
		return err
	}
	if tx.apply != nil {
		tx.apply.picked, tx.apply.scan = t, &p
	}
	return bumpKPI(tx, p.Today, ev.Actor, func(s *ScanStats) {
		s.Picks++
		s.Units += p.Qty
		if lineDone {
			s.Lines++
		}
	})
}

// switchLot lets a picker take another lot than the one allocated when the
// rules allow it, and moves the allocation with it.
func switchLot(tx *txn, o *Order, line *TaskLine, lot string, qty int64, today string) error {
	owner := o.Owner
	var sku SKU
	if _, err := getJSON(tx.Bucket(bucketSKUs), skuKey(owner, line.SKU), &sku); err != nil {
		return err
	}
	l, found, err := getLot(tx, owner, line.SKU, lot) // live or archived (lotleave.go)
	if err != nil {
		return err
	}
	if !found {
		return Errf(CodeConflict, "pick.lot_unknown", "lot", lot, "sku", line.SKU)
	}
	settings, err := getSettings(tx)
	if err != nil {
		return err
	}
	if ok, reason := Shippable(sku, l, minLifePct(sku, o.Channel, settings), today); !ok {
		return Errf(CodeConflict, reason, "lot", lot, "expiry", l.Expiry)
	}
	have := qtyFromValue(tx.Bucket(bucketStock).Get(stockKey(owner, line.SKU, lot, line.Location)))
	if have-reservedAt(tx, owner, line.SKU, lot, line.Location) < qty {
		return Errf(CodeConflict, "pick.lot_not_here", "lot", lot, "location", line.Location)
	}
	// No lot expiring earlier may be left behind on this shelf.
	c := tx.Bucket(bucketStockByLoc).Cursor()
	prefix := prefixKey(line.Location, owner, line.SKU)
	for k, _ := c.Seek(prefix); k != nil && len(k) > len(prefix) && string(k[:len(prefix)]) == string(prefix); k, _ = c.Next() {
		other := string(k[len(prefix):])
		if other == lot || qtyFromValue(tx.Bucket(bucketStock).Get(stockKey(owner, line.SKU, other, line.Location))) == 0 {
			continue
		}
		var ol Lot
		if err := readLotInto(tx, &ol, owner, line.SKU, other); err != nil {
			return err
		}
		if ok, _ := Shippable(sku, ol, minLifePct(sku, o.Channel, settings), today); ok && ol.Expiry != "" && ol.Expiry < l.Expiry {
			return Errf(CodeConflict, "pick.fefo_skip", "lot", lot, "earlier", other, "expiry", ol.Expiry)
		}
	}
	ol, from := orderAlloc(o, line.SKU, line.Lot, line.Location)
	if from == nil || from.Qty-from.Picked < qty {
		return Errf(CodeConflict, "pick.too_many", "qty", strconv.FormatInt(qty, 10), "open", "0")
	}
	from.Qty -= qty
	if err := addReserved(tx, owner, line.SKU, line.Lot, line.Location, -qty); err != nil {
		return err
	}
	if err := addReserved(tx, owner, line.SKU, lot, line.Location, qty); err != nil {
		return err
	}
	if _, to := orderAlloc(o, line.SKU, lot, line.Location); to != nil {
		to.Qty += qty
	} else {
		ol.Allocs = append(ol.Allocs, Alloc{Lot: lot, Expiry: l.Expiry, Location: line.Location, Qty: qty})
	}
	return nil
}

func applyPickUndone(tx *txn, ev *Event) error {
	var p PickUndo
	if err := decode(ev, &p); err != nil {
		return err
	}
	t, err := getTask(tx, p.Task)
	if err != nil {
		return err
	}
	if t.Actor != ev.Actor || (t.State != TaskActive && t.State != TaskDone) {
		return Errf(CodeConflict, "pick.undo_nothing")
	}
	i := len(t.Picks) - 1
	for i >= 0 && t.Picks[i].Undone {
		i--
	}
	if err := undoTarget(t, i, p.Pick); err != nil {
		return err
	}
	rec := &t.Picks[i]
	line, _ := t.Line(rec.Line)
	owner, err := lineOwner(ev, line)
	if err != nil {
		return err
	}
	o, err := orderTx(tx, owner, line.Order)
	if err != nil {
		return err
	}
	if o.State != OrderPicking && o.State != OrderPicked {
		return Errf(CodeConflict, "pick.undo_too_late", "order", o.No, "state", string(o.State))
	}
	oldOrder, oldTask := o.State, t.State
	ol, alloc := orderAlloc(&o, line.SKU, rec.Lot, rec.Location)
	if alloc == nil {
		return Errf(CodeInternal, "pick.undo_nothing")
	}
	have := qtyFromValue(tx.Bucket(bucketStock).Get(stockKey(owner, line.SKU, rec.Lot, rec.Location)))
	if err := writeQty(tx, owner, line.SKU, rec.Lot, rec.Location, have+rec.Qty); err != nil {
		return err
	}
	if err := addReserved(tx, owner, line.SKU, rec.Lot, rec.Location, rec.Qty); err != nil {
		return err
	}
	lineWasDone := rec.Completed // a line a short closed was never counted
	alloc.Picked -= rec.Qty
	ol.Picked -= rec.Qty
	line.Done -= rec.Qty
	rec.Undone = true
	for _, s := range rec.Serials { // the units are back on the shelf
		if err := tx.Bucket(bucketSerials).Delete([]byte(s)); err != nil {
			return err
		}
	}
	settleTask(t, ev)
	settleOrder(&o)
	o.Updated = ev.At
	if err := putOrder(tx, &o, oldOrder); err != nil {
		return err
	}
	if err := putTask(tx, t, oldTask); err != nil {
		return err
	}
	if p.Today == "" {
		return nil
	}
	// the picker's figures: the units are back on the shelf, the line open again
	return bumpKPI(tx, p.Today, ev.Actor, func(s *ScanStats) {
		s.Undos++
		s.Units -= rec.Qty
		if lineWasDone {
			s.Lines--
		}
	})
}

// shortLine finds the open task line a short report is about, its order and
// the allocation it took.
func shortLine(tx *txn, ev *Event, p ShortReport) (t *Task, line *TaskLine, owner string, o Order, err error) {
	if !slices.Contains(ShortReasons, p.Reason) {
		return nil, nil, "", o, Errf(CodeInvalid, "short.reason_invalid")
	}
	if t, err = activeTaskOf(tx, ev, p.Task, TaskPick); err != nil {
		return nil, nil, "", o, err
	}
	line, ok := t.Line(p.Line)
	if !ok || line.Open() == 0 {
		return nil, nil, "", o, Errf(CodeConflict, "short.nothing_open")
	}
	if owner, err = lineOwner(ev, line); err != nil {
		return nil, nil, "", o, err
	}
	o, err = orderTx(tx, owner, line.Order)
	return t, line, owner, o, err
}

// decideShortReported re-allocates what the shelf did not hold by the rules
// of the day (never from the suspect place) and names the count task.
func decideShortReported(tx *txn, ev *Event) error {
	var p ShortReport
	if err := decode(ev, &p); err != nil {
		return err
	}
	_, line, owner, o, err := shortLine(tx, ev, p)
	if err != nil {
		return err
	}
	missing := line.Open()
	if _, alloc := orderAlloc(&o, line.SKU, line.Lot, line.Location); alloc == nil {
		return Errf(CodeInternal, "short.nothing_open")
	}
	var sku SKU
	if _, err := getJSON(tx.Bucket(bucketSKUs), skuKey(owner, line.SKU), &sku); err != nil {
		return err
	}
	settings, err := getSettings(tx)
	if err != nil {
		return err
	}
	v := newAllocView(tx)
	v.reserve(owner, line.SKU, line.Lot, line.Location, -missing) // the shelf is suspect
	if p.Realloc, err = takeStock(v, sku, missing, minLifePct(sku, o.Channel, settings), p.Today, line.Location); err != nil {
		return err
	}
	p.Decided, p.CountTask = true, "C"+strconv.FormatUint(ev.Seq, 10)
	return setPayload(ev, p)
}

// applyShortReported releases the suspect shelf, reserves the recorded
// re-allocation and makes the recorded count task.
func applyShortReported(tx *txn, ev *Event) error {
	var p ShortReport
	if err := decode(ev, &p); err != nil {
		return err
	}
	if !p.Decided {
		return undecided(ev)
	}
	t, line, owner, o, err := shortLine(tx, ev, p)
	if err != nil {
		return err
	}
	oldState := o.State
	missing := line.Open()
	ol, alloc := orderAlloc(&o, line.SKU, line.Lot, line.Location)
	if alloc == nil {
		return Errf(CodeInternal, "short.nothing_open")
	}
	// The shelf is suspect: release what this line reserved there.
	alloc.Qty -= missing
	if err := addReserved(tx, owner, line.SKU, line.Lot, line.Location, -missing); err != nil {
		return err
	}
	line.Short += missing
	realloc := p.Realloc
	for _, a := range realloc {
		if err := addReserved(tx, owner, line.SKU, a.Lot, a.Location, a.Qty); err != nil {
			return err
		}
	}
	var got int64
	for _, a := range realloc {
		got += a.Qty
		ol.Allocs = append(ol.Allocs, a)
		t.Lines = append(t.Lines, TaskLine{Owner: owner, Order: o.No, SKU: line.SKU, Lot: a.Lot, Expiry: a.Expiry, Location: a.Location, Qty: a.Qty})
	}
	ol.Short += missing - got
	if len(realloc) > 0 {
		if err := refillNewLines(tx, t); err != nil {
			return err
		}
	}
	count := &Task{ID: "C" + strconv.FormatUint(ev.Seq, 10), Kind: TaskCount, State: TaskOpen, Priority: 5,
		Location: line.Location, Reason: "short:" + p.Reason, Created: ev.At}
	if p.CountTask != count.ID {
		return Errf(CodeInvalid, "event.payload_invalid", "type", ev.Type)
	}
	if err := putTask(tx, count, ""); err != nil {
		return err
	}
	settleTask(t, ev)
	settleOrder(&o)
	o.Updated = ev.At
	if err := putOrder(tx, &o, oldState); err != nil {
		return err
	}
	if err := putTask(tx, t, TaskActive); err != nil {
		return err
	}
	return bumpKPI(tx, p.Today, ev.Actor, func(s *ScanStats) { s.Shorts++ })
}

// refillNewLines fills and numbers lines added to a task after it was made,
// keeping the numbers the handheld already knows.
func refillNewLines(tx *txn, t *Task) error {
	next := 0
	var fresh []TaskLine
	kept := t.Lines[:0]
	for _, l := range t.Lines {
		if l.N == 0 {
			fresh = append(fresh, l)
			continue
		}
		next = max(next, l.N)
		kept = append(kept, l)
	}
	tmp := &Task{Lines: fresh}
	if err := fillTaskLines(tx, tmp); err != nil {
		return err
	}
	for i := range tmp.Lines {
		tmp.Lines[i].N = next + i + 1
	}
	t.Lines = append(kept, tmp.Lines...)
	return nil
}

func applyScanRejected(tx *txn, ev *Event) error {
	var p ScanRejected
	if err := decode(ev, &p); err != nil {
		return err
	}
	if p.Reason == "" || len(p.Code) > 512 {
		return Errf(CodeInvalid, "event.payload_invalid", "type", ev.Type)
	}
	return bumpKPI(tx, p.Today, ev.Actor, func(s *ScanStats) { s.Errors++ })
}

func applyPutBack(tx *txn, ev *Event) error {
	var p PutBackScan
	if err := decode(ev, &p); err != nil {
		return err
	}
	t, err := activeTaskOf(tx, ev, p.Task, TaskPutBack)
	if err != nil {
		return err
	}
	line, ok := t.Line(p.Line)
	if !ok {
		return Errf(CodeNotFound, "task.line_not_found", "task", t.ID, "line", strconv.Itoa(p.Line))
	}
	if p.Location != line.Location {
		return Errf(CodeConflict, "pick.wrong_location", "location", p.Location, "want", line.Location)
	}
	owner, err := lineOwner(ev, line)
	if err != nil {
		return err
	}
	if p.Qty <= 0 || p.Qty > line.Open() {
		return Errf(CodeConflict, "pick.too_many", "qty", strconv.FormatInt(p.Qty, 10), "open", strconv.FormatInt(line.Open(), 10))
	}
	have := qtyFromValue(tx.Bucket(bucketStock).Get(stockKey(owner, line.SKU, line.Lot, line.Location)))
	if err := writeQty(tx, owner, line.SKU, line.Lot, line.Location, have+p.Qty); err != nil {
		return err
	}
	line.Done += p.Qty
	settleTask(t, ev)
	if t.State == TaskDone {
		for _, o := range t.Orders {
			if o.Tote != "" {
				if err := tx.Bucket(bucketTotes).Delete([]byte(o.Tote)); err != nil {
					return err
				}
			}
		}
	}
	if err := putTask(tx, t, TaskActive); err != nil {
		return err
	}
	return bumpKPI(tx, p.Today, ev.Actor, func(s *ScanStats) { s.Units += p.Qty })
}
