package wms

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// Work: the projections staff figures are read from (a person's last
// activity and hours, kept in scan_kpi beside the day figures:
// figurekeys.go; work_gaps, work_units). Every activity event of a person closes the
// interval since their previous one; the interval is direct work when it
// continues the same unit of work (or the event is a whole unit by itself:
// a return parcel, a count, a move), indirect work when it switches units,
// and a gap candidate when it is longer than MinGap. Appliers here read only
// the event and the state (never the standards, which are applied when
// figures are read), so a rebuild gives the same bytes.

// WorkKind is a kind of floor work.
type WorkKind string

const (
	WorkPick    WorkKind = "pick"
	WorkPack    WorkKind = "pack"
	WorkReceive WorkKind = "receive"
	WorkReturns WorkKind = "returns"
	WorkCount   WorkKind = "count"
	WorkMove    WorkKind = "move"
)

// WorkKinds are every kind, in the order figures list them.
var WorkKinds = []WorkKind{WorkPick, WorkPack, WorkReceive, WorkReturns, WorkCount, WorkMove}

// Valid says whether k is a known kind.
func (k WorkKind) Valid() bool {
	for _, w := range WorkKinds {
		if w == k {
			return true
		}
	}
	return false
}

// MinGap is the shortest pause that may be a gap: the gap threshold is
// never below it, whatever the standards say.
const MinGap = 5 * time.Minute

// WorkCounts are what a person did, counted from events.
type WorkCounts struct {
	Tasks          int64 `json:"tasks,omitempty"`
	Lines          int64 `json:"lines,omitempty"` // pick lines completed (net of undos)
	Units          int64 `json:"units,omitempty"` // units picked or put back (net of undos)
	WrongScans     int64 `json:"wrong_scans,omitempty"`
	Shorts         int64 `json:"shorts,omitempty"`
	Undos          int64 `json:"undos,omitempty"`
	MisPicks       int64 `json:"mis_picks,omitempty"` // lines with an undo
	ErrorFreeLines int64 `json:"error_free_lines,omitempty"`
	OrdersPacked   int64 `json:"orders_packed,omitempty"`
	SingleOrders   int64 `json:"single_orders,omitempty"` // orders packed of one unit
	PackUnits      int64 `json:"pack_units,omitempty"`
	Parcels        int64 `json:"parcels,omitempty"`
	WeightRejects  int64 `json:"weight_rejects,omitempty"`
	Overrides      int64 `json:"overrides,omitempty"`
	TypedWeights   int64 `json:"typed_weights,omitempty"`
	UnitsReceived  int64 `json:"units_received,omitempty"`
	UnitsPutAway   int64 `json:"units_put_away,omitempty"`
	ReturnParcels  int64 `json:"return_parcels,omitempty"`
	ReturnUnits    int64 `json:"return_units,omitempty"`
	CountLines     int64 `json:"count_lines,omitempty"`
	Moves          int64 `json:"moves,omitempty"`
}

func (c WorkCounts) plus(o WorkCounts) WorkCounts {
	return WorkCounts{c.Tasks + o.Tasks, c.Lines + o.Lines, c.Units + o.Units, c.WrongScans + o.WrongScans, c.Shorts + o.Shorts,
		c.Undos + o.Undos, c.MisPicks + o.MisPicks, c.ErrorFreeLines + o.ErrorFreeLines, c.OrdersPacked + o.OrdersPacked,
		c.SingleOrders + o.SingleOrders, c.PackUnits + o.PackUnits, c.Parcels + o.Parcels, c.WeightRejects + o.WeightRejects,
		c.Overrides + o.Overrides, c.TypedWeights + o.TypedWeights, c.UnitsReceived + o.UnitsReceived, c.UnitsPutAway + o.UnitsPutAway,
		c.ReturnParcels + o.ReturnParcels, c.ReturnUnits + o.ReturnUnits, c.CountLines + o.CountLines, c.Moves + o.Moves}
}

// HourWork is one person's work of one kind for one owner in one hour.
type HourWork struct {
	Counts   WorkCounts    `json:"counts"`
	Features Features      `json:"features"`
	Direct   time.Duration `json:"direct"`
	Indirect time.Duration `json:"indirect"`
	First    time.Time     `json:"first"` // the hour's first and last activity
	Last     time.Time     `json:"last"`
}

// workLast is a person's last activity.
type workLast struct {
	At   time.Time `json:"at"`
	Kind WorkKind  `json:"kind"`
	Unit string    `json:"unit"`
	// the last pick location in Unit, for travel
	Loc  string `json:"loc,omitempty"`
	Seq  int    `json:"seq,omitempty"`
	Zone string `json:"zone,omitempty"`
	// its position in millimetres (Pos false: none)
	Pos bool  `json:"pos,omitempty"`
	X   int64 `json:"x,omitempty"`
	Y   int64 `json:"y,omitempty"`
}

// WorkGap is a pause longer than MinGap before a unit of work. Whether it
// is a gap or still work is decided when figures are read (Standards.gapLimit).
type WorkGap struct {
	Actor string    `json:"actor"`
	From  time.Time `json:"from"`
	To    time.Time `json:"to"`
	Kind  WorkKind  `json:"kind"`
	Unit  string    `json:"unit"` // the next unit
	Owner string    `json:"owner,omitempty"`
	// Same: the pause continued the unit before it (direct when counted back)
	Same     bool   `json:"same,omitempty"`
	Reason   string `json:"reason,omitempty"`
	ReasonBy string `json:"reason_by,omitempty"`
}

// WorkUnit is one person's part of one unit of work (a pick task, an order
// packed, a receipt, a return parcel, a count, a move).
type WorkUnit struct {
	Actor     string        `json:"actor"`
	Kind      WorkKind      `json:"kind"`
	Unit      string        `json:"unit"`
	Owner     string        `json:"owner,omitempty"`
	Start     time.Time     `json:"start"`
	End       time.Time     `json:"end"` // the last activity
	Done      bool          `json:"done,omitempty"`
	Direct    time.Duration `json:"direct"`
	Features  Features      `json:"features"`
	MisPicked []int         `json:"mis_picked,omitempty"` // pick lines with an undo
}

// activity is what one event did as work.
type activity struct {
	kind   WorkKind
	unit   string
	owner  string
	counts WorkCounts
	feat   Features
	whole  bool // the event is a whole unit of work by itself
	done   bool // the unit is finished
	reopen bool // the unit is open again (an undo after the last line)
	loc    *Location
	// pick lines
	completed int // a line completed (its number), 0 for none
	undone    int // a line undone (its number)
	undoneWas bool
}

// workBefore is what an event's work needs from the state before it is
// applied: for an undo, the pick it takes back.
type workBefore struct {
	line     int
	qty      int64
	lineDone bool
	loc      string
}

// isStaffActor says whether an actor is a person whose work is counted: a
// staff badge, or a handheld that shares an API token and names itself
// ("token:NAME/DEVICE", as the load generator's do). A bare token, the
// system, the command line and the syncer are not people.
func isStaffActor(a string) bool {
	if name, ok := strings.CutPrefix(a, "token:"); ok {
		tok, dev, qualified := strings.Cut(name, "/")
		return qualified && tok != "" && dev != ""
	}
	return a != "" && a != "system" && a != "cli" && !strings.HasPrefix(a, "sync:")
}

// beforeWork reads what an event's work needs before it is applied.
func beforeWork(tx *txn, ev *Event) (workBefore, error) {
	if ev.Type != EvPickUndone || !isStaffActor(ev.Actor) {
		return workBefore{}, nil
	}
	var p PickUndo
	if err := decode(ev, &p); err != nil {
		return workBefore{}, err
	}
	t, err := getTask(tx, p.Task)
	if err != nil {
		return workBefore{}, nil // the applier refuses it
	}
	for i := len(t.Picks) - 1; i >= 0; i-- {
		if r := t.Picks[i]; !r.Undone {
			if _, ok := t.Line(r.Line); !ok {
				return workBefore{}, nil
			}
			// the line is taken back only if this pick completed it (a short may have closed it since)
			return workBefore{line: r.Line, qty: r.Qty, lineDone: r.Completed, loc: r.Location}, nil
		}
	}
	return workBefore{}, nil
}

// pickedTask is the task an applied pick left: the one applyPicked stored
// (the same record, not decoded from its bytes again), else read.
func pickedTask(tx *txn, ev *Event, id string) (*Task, error) {
	if ev.Type == EvPicked && tx.apply != nil && tx.apply.picked != nil && tx.apply.picked.ID == id {
		return tx.apply.picked, nil
	}
	return getTask(tx, id)
}

// pickedScan is the payload applyPicked decoded for this pick, if it did.
func pickedScan(tx *txn, ev *Event) *PickScan {
	if ev.Type == EvPicked && tx.apply != nil {
		return tx.apply.scan
	}
	return nil
}

// activityOf reads the work an applied event did (ok false: none).
func activityOf(tx *txn, ev *Event, pre workBefore) (a activity, ok bool, err error) {
	if !isStaffActor(ev.Actor) {
		return a, false, nil
	}
	owner := OwnerOr(ev.Owner)
	ownerUnit := func(id string) string { return owner + "/" + id }
	switch ev.Type {
	case EvTaskStarted:
		var p TaskStart
		if err := decode(ev, &p); err != nil {
			return a, false, err
		}
		t, err := getTask(tx, p.Task)
		if err != nil {
			return a, false, err
		}
		a = activity{kind: WorkPick, unit: t.ID, counts: WorkCounts{Tasks: 1}}
		switch t.Kind {
		case TaskCount:
			a.kind = WorkCount
		case TaskMove:
			a.kind = WorkMove
		default:
			a.feat.Tasks = 1
		}
		if len(t.Lines) > 0 {
			a.owner = OwnerOr(t.Lines[0].Owner)
		}
		return a, true, nil
	case EvPicked, EvPutBack:
		// decoded as the catalogue's types: the payload applyPicked decoded, or
		// the value a replay has ready (replay_ahead.go)
		var p PutBackScan // the fields a pick and a put-back share
		if sc := pickedScan(tx, ev); sc != nil {
			p = PutBackScan{Task: sc.Task, Line: sc.Line, Location: sc.Location, Qty: sc.Qty}
		} else if ev.Type == EvPicked {
			var s PickScan
			if err := decode(ev, &s); err != nil {
				return a, false, err
			}
			p = PutBackScan{Task: s.Task, Line: s.Line, Location: s.Location, Qty: s.Qty}
		} else if err := decode(ev, &p); err != nil {
			return a, false, err
		}
		t, err := pickedTask(tx, ev, p.Task)
		if err != nil {
			return a, false, err
		}
		a = activity{kind: WorkPick, unit: t.ID, owner: owner, done: t.State == TaskDone, counts: WorkCounts{Units: p.Qty}, feat: Features{Units: p.Qty}}
		if line, found := t.Line(p.Line); found && line.Open() == 0 {
			a.completed = p.Line
		}
		a.loc, err = locationOf(tx, p.Location)
		return a, true, err
	case EvPickUndone:
		var p PickUndo
		if err := decode(ev, &p); err != nil {
			return a, false, err
		}
		t, err := getTask(tx, p.Task)
		if err != nil {
			return a, false, err
		}
		a = activity{kind: WorkPick, unit: t.ID, owner: owner, reopen: t.State != TaskDone, counts: WorkCounts{Undos: 1, Units: -pre.qty},
			feat: Features{Units: -pre.qty}, undone: pre.line, undoneWas: pre.lineDone}
		a.loc, err = locationOf(tx, pre.loc)
		return a, true, err
	case EvShortReported, EvScanRejected:
		var p ShortReport // the fields a short and a wrong scan share
		if ev.Type == EvShortReported {
			if err := decode(ev, &p); err != nil {
				return a, false, err
			}
		} else {
			var r ScanRejected
			if err := decode(ev, &r); err != nil {
				return a, false, err
			}
			p.Task, p.Line = r.Task, r.Line
		}
		a = activity{kind: WorkPick, unit: p.Task, owner: owner}
		if ev.Type == EvShortReported {
			a.counts.Shorts = 1
			if t, err := getTask(tx, p.Task); err == nil {
				a.done = t.State == TaskDone
			}
		} else {
			a.counts.WrongScans = 1
			o, found, err := figuresOwner(tx, ev, ScopeWarehouse)
			if err != nil {
				return a, false, err
			}
			a.owner = ""
			if found {
				a.owner = o
			}
		}
		return a, true, nil
	case EvPackScanned:
		var p PackScan
		if err := decode(ev, &p); err != nil {
			return a, false, err
		}
		return activity{kind: WorkPack, unit: ownerUnit(p.Order), owner: owner, counts: WorkCounts{PackUnits: p.Qty}, feat: Features{Units: p.Qty}}, true, nil
	case EvParcelClosed:
		var p ParcelClose
		if err := decode(ev, &p); err != nil {
			return a, false, err
		}
		a = activity{kind: WorkPack, unit: ownerUnit(p.Order), owner: owner, counts: WorkCounts{Parcels: 1}}
		if p.Typed {
			a.counts.TypedWeights = 1
		}
		if p.Override != nil {
			a.counts.Overrides = 1
		}
		return a, true, nil
	case EvWeightRejected:
		var p WeightRejected
		if err := decode(ev, &p); err != nil {
			return a, false, err
		}
		return activity{kind: WorkPack, unit: ownerUnit(p.Order), owner: owner, counts: WorkCounts{WeightRejects: 1}}, true, nil
	case EvShipped:
		var p ShipConfirm
		if err := decode(ev, &p); err != nil {
			return a, false, err
		}
		o, err := orderTx(tx, owner, p.Order)
		if err != nil {
			return a, false, err
		}
		var units int64
		for _, l := range o.Lines {
			units += l.Qty
		}
		a = activity{kind: WorkPack, unit: ownerUnit(p.Order), owner: owner, done: true,
			counts: WorkCounts{OrdersPacked: 1}, feat: Features{Tasks: 1, Lines: int64(len(o.Lines))}}
		if units == 1 {
			a.counts.SingleOrders = 1
		}
		return a, true, nil
	case EvReceived:
		var p Receiving
		if err := decode(ev, &p); err != nil {
			return a, false, err
		}
		return activity{kind: WorkReceive, unit: ownerUnit(p.Receipt), owner: owner, counts: WorkCounts{UnitsReceived: p.Qty},
			feat: Features{Lines: 1, Units: p.Qty}}, true, nil
	case EvReceiveRefused:
		var p ReceiveRefusal
		if err := decode(ev, &p); err != nil {
			return a, false, err
		}
		return activity{kind: WorkReceive, unit: ownerUnit(p.Receipt), owner: owner, feat: Features{Lines: 1}}, true, nil
	case EvReceiptClosed:
		var p ReceiptClose
		if err := decode(ev, &p); err != nil {
			return a, false, err
		}
		return activity{kind: WorkReceive, unit: ownerUnit(p.Receipt), owner: owner, done: true, counts: WorkCounts{Tasks: 1}, feat: Features{Tasks: 1}}, true, nil
	case EvMoved:
		var m Move
		if err := decode(ev, &m); err != nil {
			return a, false, err
		}
		qty, mover := m.Qty, OwnerOr(m.Owner)
		if m.Whole {
			qty = 0
			for _, r := range m.Lines {
				qty += r.Qty
			}
			if len(m.Lines) > 0 {
				mover = OwnerOr(m.Lines[0].Owner)
			}
		}
		from, err := locationOf(tx, m.From)
		if err != nil {
			return a, false, err
		}
		a = activity{kind: WorkMove, unit: "move:" + ev.ID, owner: mover, whole: true, done: true,
			counts: WorkCounts{Moves: 1}, feat: Features{Tasks: 1, Lines: 1, Units: qty}}
		if from != nil && from.Kind == KindDock { // putaway: the end of receiving
			a.kind, a.counts = WorkReceive, WorkCounts{UnitsPutAway: qty}
			a.feat = Features{Lines: 1, Units: qty}
		}
		return a, true, nil
	case EvReturnReceived:
		var p ReturnParcel
		if err := decode(ev, &p); err != nil {
			return a, false, err
		}
		var units int64
		for _, l := range p.Lines {
			units += l.Qty
		}
		return activity{kind: WorkReturns, unit: p.ID, owner: owner, whole: true, done: true,
			counts: WorkCounts{ReturnParcels: 1, ReturnUnits: units}, feat: Features{Tasks: 1, Units: units}}, true, nil
	case EvReturnMatched:
		var p ReturnMatch
		if err := decode(ev, &p); err != nil {
			return a, false, err
		}
		return activity{kind: WorkReturns, unit: p.Parcel, owner: owner, whole: true, done: true}, true, nil
	case EvCounted:
		var p CountSubmit
		if err := decode(ev, &p); err != nil {
			return a, false, err
		}
		unit := p.Task
		if unit == "" {
			unit = "count:" + ev.ID
		}
		return activity{kind: WorkCount, unit: unit, whole: true, done: true,
			counts: WorkCounts{CountLines: int64(len(p.Lines))}, feat: Features{Lines: int64(len(p.Lines))}}, true, nil
	}
	return a, false, nil
}

func locationOf(tx *txn, code string) (*Location, error) {
	if code == "" {
		return nil, nil
	}
	loc, ok, err := lookup[Location](tx, bucketLocations, []byte(code))
	if err != nil || !ok {
		return nil, err
	}
	return &loc, nil
}

// heightFeature is one pick line at a location's height.
func heightFeature(loc *Location, n int64) Features {
	h := HeightWaist
	if loc != nil {
		h = loc.PickHeight()
	}
	switch h {
	case HeightHighLow:
		return Features{LinesHighLow: n}
	case HeightFloor:
		return Features{LinesFloor: n}
	}
	return Features{LinesWaist: n}
}

// applyWork records an applied event's work in the work projections.
func applyWork(tx *txn, ev *Event, pre workBefore) error {
	a, ok, err := activityOf(tx, ev, pre)
	if err != nil || !ok {
		return err
	}
	fb := tx.Bucket(bucketScanKPI) // the last activity and the hours live with the day figures (figurekeys.go)
	lk := workLastKey(ev.Actor)
	last, had, err := getWork(tx, bucketScanKPI, lk, decodeWorkLast)
	if err != nil {
		return err
	}
	if a.unit == "" { // a wrong scan outside a task: the unit in hand
		a.unit = last.Unit
	}
	ub := tx.Bucket(bucketWorkUnits)
	uk := workUnitKey(ev.Actor, a.kind, a.unit)
	u, found, err := getWork(tx, bucketWorkUnits, uk, decodeWorkUnit)
	if err != nil {
		return err
	}
	if !found {
		u = WorkUnit{Actor: ev.Actor, Kind: a.kind, Unit: a.unit, Owner: a.owner, Start: ev.At}
	}

	// pick lines: height, mis-picks, travel
	if a.completed > 0 {
		if slicesContains(u.MisPicked, a.completed) {
			a.counts.Lines++ // counted, but it earns nothing and is not error-free
		} else {
			a.counts.Lines++
			a.counts.ErrorFreeLines++
			a.feat = a.feat.plus(heightFeature(a.loc, 1))
		}
	}
	if a.undone > 0 {
		mis := slicesContains(u.MisPicked, a.undone)
		if a.undoneWas {
			a.counts.Lines--
			if !mis {
				a.counts.ErrorFreeLines--
				a.feat = a.feat.plus(heightFeature(a.loc, -1))
			}
		}
		if !mis {
			u.MisPicked = append(u.MisPicked, a.undone)
			a.counts.MisPicks++
		}
	}
	next := workLast{At: ev.At, Kind: a.kind, Unit: a.unit}
	if (ev.Type == EvPicked || ev.Type == EvPutBack) && a.loc != nil {
		next.Loc, next.Seq, next.Zone = a.loc.Code, a.loc.PickSeq, a.loc.Zone
		next.X, next.Y, next.Pos = a.loc.positionMM()
		if had && last.Unit == a.unit && last.Loc != "" && last.Loc != a.loc.Code {
			a.feat = a.feat.plus(travelFeature(last, next))
		}
	} else if had && last.Unit == a.unit {
		next.Loc, next.Seq, next.Zone, next.Pos, next.X, next.Y = last.Loc, last.Seq, last.Zone, last.Pos, last.X, last.Y
	}

	// the interval since the person's last activity
	hk := workHourKey(ev.At, ev.Actor, a.kind, a.owner)
	h, _, err := getWork(tx, bucketScanKPI, hk, decodeHourWork)
	if err != nil {
		return err
	}
	same := a.whole || (had && last.Unit == a.unit && last.Kind == a.kind)
	if had && !ev.At.Before(last.At) {
		iv := ev.At.Sub(last.At)
		switch {
		case iv > MinGap:
			g := WorkGap{Actor: ev.Actor, From: last.At, To: ev.At, Kind: a.kind, Unit: a.unit, Owner: a.owner, Same: same}
			if err := tx.Bucket(bucketWorkGaps).Put(workGapKey(ev.Actor, last.At), g.encode()); err != nil {
				return err
			}
		case same:
			h.Direct += iv
			u.Direct += iv
		default:
			h.Indirect += iv
		}
	}
	h.Counts = h.Counts.plus(a.counts)
	h.Features = h.Features.plus(a.feat)
	if h.First.IsZero() || ev.At.Before(h.First) {
		h.First = ev.At
	}
	if ev.At.After(h.Last) {
		h.Last = ev.At
	}
	if err := putWork(fb, hk, h); err != nil { // putWork: overlay_work.go
		return err
	}

	u.Features = u.Features.plus(a.feat)
	if ev.At.After(u.End) {
		u.End = ev.At
	}
	if a.whole && had && !ev.At.Before(last.At) && ev.At.Sub(last.At) <= MinGap && !found {
		u.Start = last.At // a whole unit began when the one before it ended
	}
	switch {
	case a.done:
		u.Done = true
	case a.reopen:
		u.Done = false
	}
	if err := putWork(ub, uk, u); err != nil {
		return err
	}
	return putWork(fb, lk, next)
}

// travelFeature is the travel from one pick location to the next: the
// rectilinear distance when both have positions, otherwise a move between
// their zones (priced by the zone matrix, or by pick_seq steps and a zone
// change when the matrix does not name the pair; Standards.vector).
func travelFeature(from, to workLast) Features {
	if from.Pos && to.Pos {
		return Features{TravelMM: absInt64(to.X-from.X) + absInt64(to.Y-from.Y)}
	}
	seq := int64(abs(to.Seq - from.Seq))
	f := Features{TravelSeq: seq, ZonePairs: map[string]ZonePair{zonePairKey(from.Zone, to.Zone): {N: 1, Seq: seq}}}
	if from.Zone != to.Zone {
		f.ZoneChanges = 1
	}
	return f
}

func absInt64(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

func slicesContains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// hourOf is the UTC hour an instant falls in, as the hours' keys have it.
func hourOf(t time.Time) string { return t.UTC().Format(hourLayout) }

const hourLayout = "2006-01-02T15"

// gapTime is an instant as a key part that sorts in time order.
func gapTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

// GapReasons are the reasons a gap may be given.
var GapReasons = []string{"replenishment", "waiting", "equipment", "meeting", "break"}

// GapReason explains a gap: the worker (their own) or a supervisor says why.
type GapReason struct {
	Actor  string    `json:"actor"`
	From   time.Time `json:"from"`
	Reason string    `json:"reason"`
	By     string    `json:"by"`
}

func validGapReason(r string) bool {
	for _, g := range GapReasons {
		if g == r {
			return true
		}
	}
	return false
}

func applyGapExplained(tx *txn, ev *Event) error {
	var p GapReason
	if err := decode(ev, &p); err != nil {
		return err
	}
	if !validGapReason(p.Reason) {
		return Errf(CodeInvalid, "gap.reason_invalid", "reason", p.Reason)
	}
	b := tx.Bucket(bucketWorkGaps)
	k := workGapKey(p.Actor, p.From)
	g, found, err := getWork(tx, bucketWorkGaps, k, decodeWorkGap)
	if err != nil {
		return err
	}
	if !found {
		return Errf(CodeNotFound, "gap.not_found", "actor", p.Actor, "from", p.From.UTC().Format(time.RFC3339))
	}
	g.Reason, g.ReasonBy = p.Reason, p.By
	return b.Put(k, g.encode())
}

// ExplainGap records why a person's gap happened. by is who says so: the
// person themselves or a supervisor (or admin); key makes a retry safe.
func (l *Ledger) ExplainGap(ctx context.Context, key, actor string, from time.Time, reason, by, device string) (GapReason, error) {
	if !validGapReason(reason) {
		return GapReason{}, Errf(CodeInvalid, "gap.reason_invalid", "reason", reason)
	}
	if by != actor {
		if role, err := l.actorRole(by); err != nil || (role != RoleSupervisor && role != RoleAdmin) {
			return GapReason{}, Errf(CodeForbidden, "gap.not_yours")
		}
	}
	p := GapReason{Actor: actor, From: from.UTC(), Reason: reason, By: by}
	if key == "" {
		key = newID()
	}
	return keyedAppend(ctx, l, key, EvGapExplained, "", actor+"@"+strconv.FormatInt(from.UnixNano(), 10), p, by, device, nil)
}

// actorRole is the role of whoever an event's actor names: a staff badge,
// or an API token ("token:NAME" or "token:NAME/DEVICE").
func (l *Ledger) actorRole(actor string) (Role, error) {
	var role Role
	err := l.view(func(tx *txn) error {
		if name, ok := strings.CutPrefix(actor, "token:"); ok {
			name, _, _ = strings.Cut(name, "/")
			return tx.Bucket(bucketTokens).ForEach(func(k, v []byte) error {
				var t Token
				if err := jsonUnmarshal(v, &t); err != nil {
					return err
				}
				if t.Name == name {
					role = t.Role
				}
				return nil
			})
		}
		st, err := mustGet[Staff](tx, bucketStaff, []byte(actor), "staff.not_found", "badge", actor)
		role = st.Role
		return err
	})
	return role, err
}
