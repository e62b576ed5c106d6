package wms

import (
	"cmp"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The live floor: what a supervisor's wall screen shows, read in one read
// transaction from the projections and the tail of the log. Nothing here is
// stored: it is a reading of the ledger at a moment (the pick rate and the
// people's last scans slide with the clock), so a rebuild has nothing of it
// to reproduce.

const (
	// LiveRateWindow is how far back the pick rate looks.
	LiveRateWindow = 30 * time.Minute
	// MaxCutoffs is how many carriers may have a pick-up cut-off.
	MaxCutoffs = 50
	// liveWaves is how many of the newest waves the live floor shows.
	liveWaves = 12
	// liveTailMax bounds the walk back through the log for people's last
	// scans and the pick rate, so one reading never walks a busy day whole.
	liveTailMax = 50_000
)

// LiveFloor is the floor at a moment.
type LiveFloor struct {
	At time.Time
	// Waves are the newest waves, newest first.
	Waves []WaveProgress
	// Orders counts the orders not yet shipped by state and owner, in the
	// order of OpenOrderStates, then by owner.
	Orders []OrderCount
	// Backlog is each carrier's orders still to pick, by cut-off (earliest
	// first; carriers without one last).
	Backlog []CarrierBacklog
	// RateLines is how many task lines were picked in the last
	// LiveRateWindow (a line counts once however many scans it took).
	RateLines int
	// People are who holds a task or scanned in the last LiveRateWindow, by
	// name of badge.
	People []ActivePerson
	// Partial is set when the walk back through the log stopped at
	// liveTailMax events before the window's start.
	Partial bool
}

// WaveProgress is how far a wave has got, in task lines.
type WaveProgress struct {
	ID        string
	Created   time.Time
	Orders    int
	Tasks     int
	LinesDone int
	Lines     int
}

// OrderCount is how many orders of an owner are in a state.
type OrderCount struct {
	State OrderState
	Owner string
	N     int
}

// OpenOrderStates are the states the live floor counts orders in.
var OpenOrderStates = []OrderState{OrderNew, OrderAllocated, OrderPicking, OrderPicked, OrderPacked}

// CarrierBacklog is what is left to pick for one carrier against its cut-off.
type CarrierBacklog struct {
	Carrier string
	Orders  int
	Lines   int // order lines with units still to pick
	Cutoff  string
	// CutoffAt is today's cut-off (nil: the carrier has none).
	CutoffAt *time.Time
	// Finish is when the backlog up to and including this carrier's would be
	// picked at the current rate, carriers taken in cut-off order (nil: no
	// lines were picked in the window, so there is no rate to project from).
	Finish *time.Time
	// Late is set while lines remain when the projected finish is after the
	// cut-off, or, without a rate to project from, once the cut-off has passed.
	Late bool
}

// ActivePerson is someone on the floor now.
type ActivePerson struct {
	Actor     string
	Task      string // the task in their hands ("" for none)
	Kind      TaskKind
	LinesDone int
	Lines     int
	// LastScan is their newest event in the window (zero: none in it).
	LastScan time.Time
}

// validCutoffs checks a carrier -> "HH:MM" map.
func validCutoffs(m map[string]string) error {
	if len(m) > MaxCutoffs {
		return Errf(CodeInvalid, "cutoff.too_many", "max", strconv.Itoa(MaxCutoffs))
	}
	for carrier, at := range m {
		if !validCode(carrier) || strings.ContainsAny(carrier, " \t") {
			return Errf(CodeInvalid, "cutoff.carrier_invalid", "carrier", carrier)
		}
		if _, err := ParseCutoff(at); err != nil {
			return err
		}
	}
	return nil
}

// ParseCutoff reads a daily time "HH:MM" (24-hour, two digits each) and
// returns minutes after midnight.
func ParseCutoff(v string) (int, error) {
	bad := Errf(CodeInvalid, "cutoff.time_invalid", "value", v)
	if len(v) != 5 || v[2] != ':' {
		return 0, bad
	}
	h, err1 := strconv.Atoi(v[:2])
	m, err2 := strconv.Atoi(v[3:])
	if err1 != nil || err2 != nil || h < 0 || h > 23 || m < 0 || m > 59 || v[0] == '+' || v[3] == '+' || v[0] == '-' || v[3] == '-' {
		return 0, bad
	}
	return h*60 + m, nil
}

// LiveFloor reads the floor as it stands now.
func (l *Ledger) LiveFloor() (LiveFloor, error) {
	now := l.Now()
	f := LiveFloor{At: now}
	err := l.view(func(tx *txn) error {
		settings, err := getSettings(tx)
		if err != nil {
			return err
		}
		if f.Waves, err = liveWaveProgress(tx); err != nil {
			return err
		}
		tasks, err := liveTasks(tx)
		if err != nil {
			return err
		}
		if err := liveOrders(tx, &f); err != nil {
			return err
		}
		if err := liveTail(tx, &f, now); err != nil {
			return err
		}
		livePeople(tx, &f, tasks)
		liveProject(&f, settings.Cutoffs, now, l.zone)
		return nil
	})
	return f, err
}

// liveTasks are the open and active tasks, by ID.
func liveTasks(tx *txn) (map[string]*Task, error) {
	var ids []string
	c := tx.Bucket(bucketTaskQueue).Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		parts := splitKey(k)
		ids = append(ids, parts[len(parts)-1])
	}
	out := make(map[string]*Task, len(ids))
	for _, id := range ids {
		t, err := getTask(tx, id)
		if err != nil {
			return nil, err
		}
		out[id] = t
	}
	return out, nil
}

// lineCounts is a task's lines: done (nothing left open) and all (not cancelled).
func lineCounts(t *Task) (done, all int) {
	for _, ln := range t.Lines {
		if ln.Cancelled {
			continue
		}
		all++
		if ln.Open() == 0 {
			done++
		}
	}
	return done, all
}

// liveWaveProgress reads the newest waves through the by-type index of
// their release events (a wave's ID is "W" and its event's sequence).
func liveWaveProgress(tx *txn) ([]WaveProgress, error) {
	var out []WaveProgress
	p := prefixKey(EvWaveReleased)
	c := tx.Bucket(bucketByType).Cursor()
	k, _ := c.Seek(byTypeKey(EvWaveReleased, ^uint64(0)))
	if k == nil {
		k, _ = c.Last()
	}
	for ; k != nil && len(out) < liveWaves; k, _ = c.Prev() {
		if !strings.HasPrefix(string(k), string(p)) {
			if string(k) > string(p) {
				continue // past the last wave event: keys of a later type
			}
			break
		}
		id := "W" + strconv.FormatUint(seqFromKey(k[len(p):]), 10)
		w, ok, err := lookup[Wave](tx, bucketWaves, []byte(id))
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		wp := WaveProgress{ID: w.ID, Created: w.Created, Orders: len(w.Orders), Tasks: len(w.Tasks)}
		for _, tid := range w.Tasks {
			t, err := getTask(tx, tid)
			if err != nil {
				return nil, err
			}
			done, all := lineCounts(t)
			wp.LinesDone += done
			wp.Lines += all
		}
		out = append(out, wp)
	}
	return out, nil
}

// liveOrders counts the open orders by state and owner, and each carrier's
// orders and lines still to pick (new, allocated or picking).
func liveOrders(tx *txn, f *LiveFloor) error {
	backlog := map[string]*CarrierBacklog{}
	for _, st := range OpenOrderStates {
		briefs, err := orderBriefsTx(tx, st)
		if err != nil {
			return err
		}
		byOwner := map[string]int{}
		for _, b := range briefs {
			byOwner[b.Owner]++
			if st == OrderPicked || st == OrderPacked {
				continue
			}
			cb := backlog[b.Carrier]
			if cb == nil {
				cb = &CarrierBacklog{Carrier: b.Carrier}
				backlog[b.Carrier] = cb
			}
			cb.Orders++
			if st == OrderNew {
				cb.Lines += b.Lines
				continue
			}
			o, ok, err := getOrder(tx, b.Owner, b.No)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			for _, ln := range o.Lines {
				if ln.Qty-ln.Picked-ln.Short-ln.Backordered > 0 {
					cb.Lines++
				}
			}
		}
		owners := make([]string, 0, len(byOwner))
		for o := range byOwner {
			owners = append(owners, o)
		}
		slices.Sort(owners)
		for _, o := range owners {
			f.Orders = append(f.Orders, OrderCount{State: st, Owner: o, N: byOwner[o]})
		}
	}
	for _, cb := range backlog {
		f.Backlog = append(f.Backlog, *cb)
	}
	return nil
}

// liveTail walks the log back from its newest event to the start of the
// rate window: the task lines picked in it, and each person's newest event.
func liveTail(tx *txn, f *LiveFloor, now time.Time) error {
	from := now.Add(-LiveRateWindow)
	staff := tx.Bucket(bucketStaff)
	type line struct {
		task string
		n    int
	}
	picked := map[line]bool{}
	last := map[string]time.Time{}
	c := tx.Bucket(bucketEvents).Cursor()
	walked := 0
	for k, v := c.Last(); k != nil; k, v = c.Prev() {
		if walked++; walked > liveTailMax {
			f.Partial = true
			break
		}
		var ev struct {
			Type  string    `json:"type"`
			Actor string    `json:"actor"`
			At    time.Time `json:"at"`
			Data  struct {
				Task string `json:"task"`
				Line int    `json:"line"`
			} `json:"data"`
		}
		if err := json.Unmarshal(v, &ev); err != nil {
			return err
		}
		if ev.At.Before(from) {
			break
		}
		if ev.Actor != "" && staff.Get([]byte(ev.Actor)) != nil {
			if _, seen := last[ev.Actor]; !seen {
				last[ev.Actor] = ev.At
			}
		}
		if ev.Type == EvPicked && ev.Data.Task != "" {
			picked[line{ev.Data.Task, ev.Data.Line}] = true
		}
	}
	f.RateLines = len(picked)
	for actor, at := range last {
		f.People = append(f.People, ActivePerson{Actor: actor, LastScan: at})
	}
	return nil
}

// livePeople adds the task each person holds, and everyone holding one who
// has not scanned in the window.
func livePeople(tx *txn, f *LiveFloor, tasks map[string]*Task) {
	holding := map[string]*Task{}
	c := tx.Bucket(bucketActorTask).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if t, ok := tasks[string(v)]; ok && t.State == TaskActive {
			holding[string(k)] = t
		}
	}
	seen := map[string]bool{}
	for i := range f.People {
		seen[f.People[i].Actor] = true
	}
	for actor := range holding {
		if !seen[actor] {
			f.People = append(f.People, ActivePerson{Actor: actor})
		}
	}
	for i := range f.People {
		if t := holding[f.People[i].Actor]; t != nil {
			p := &f.People[i]
			p.Task, p.Kind = t.ID, t.Kind
			p.LinesDone, p.Lines = lineCounts(t)
		}
	}
	slices.SortFunc(f.People, func(a, b ActivePerson) int { return strings.Compare(a.Actor, b.Actor) })
}

// liveProject puts the backlog in cut-off order and projects when each
// carrier's part would be picked at the window's rate.
func liveProject(f *LiveFloor, cutoffs map[string]string, now time.Time, zone *time.Location) {
	local := now.In(zone)
	midnight := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, zone)
	for i := range f.Backlog {
		b := &f.Backlog[i]
		if v, ok := cutoffs[b.Carrier]; ok {
			if mins, err := ParseCutoff(v); err == nil {
				at := midnight.Add(time.Duration(mins) * time.Minute).UTC()
				b.Cutoff, b.CutoffAt = v, &at
			}
		}
	}
	slices.SortFunc(f.Backlog, func(a, b CarrierBacklog) int {
		switch {
		case a.CutoffAt != nil && b.CutoffAt != nil:
			return cmp.Or(a.CutoffAt.Compare(*b.CutoffAt), strings.Compare(a.Carrier, b.Carrier))
		case a.CutoffAt != nil:
			return -1
		case b.CutoffAt != nil:
			return 1
		}
		return strings.Compare(a.Carrier, b.Carrier)
	})
	ahead := 0
	for i := range f.Backlog {
		b := &f.Backlog[i]
		ahead += b.Lines
		if f.RateLines > 0 {
			// lines ÷ (lines per window) windows from now, to the second
			secs := int64(ahead) * int64(LiveRateWindow/time.Second) / int64(f.RateLines)
			fin := now.Add(time.Duration(secs) * time.Second)
			b.Finish = &fin
		}
		if b.CutoffAt != nil && b.Lines > 0 {
			end := now
			if b.Finish != nil {
				end = *b.Finish
			}
			b.Late = end.After(*b.CutoffAt)
		}
	}
}
