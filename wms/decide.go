package wms

import (
	"encoding/json"
	"fmt"
)

// Deciding apart from applying. A command decides with today's rules and
// writes its decisions into the event; the applier only applies what the
// event says, so replaying the log never decides anything again. Where a
// decision needs the state at the moment of appending (which task is at the
// head of the queue), the type's decider makes it inside the write
// transaction, just before the event is applied and stored; replay and
// rebuild never run deciders.
//
// Older types still decide inside their appliers on first application and
// store the decision in the event (redecide): wave.released, pick.short,
// lot.status, lots.swept, count.submitted, stock.moved (a whole location),
// stock.received, pack.scanned, parcel.closed, order.shipped,
// return.received. Their stored decisions replay as they are.

// decider makes an event's decisions with the state in tx and writes them
// into its payload. It runs once per append (db.Batch may run the whole
// append again, from the caller's event), never on replay.
type decider func(tx *txn, ev *Event) error

func decideEvent(tx *txn, ev *Event) error {
	spec, ok := specs[ev.Type]
	if !ok || spec.decide == nil {
		return nil
	}
	return spec.decide(tx, ev)
}

// setPayload writes a decided payload into the event.
func setPayload(ev *Event, payload any) error {
	raw, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("encode %s: %w", ev.Type, err)
	}
	ev.Data = raw
	return nil
}

// decideTaskStart hands out the head of the queue to a handheld asking for
// its next task (an empty Task). A task named by the caller needs no
// decision; the applier checks it is still open.
func decideTaskStart(tx *txn, ev *Event) error {
	var p TaskStart
	if err := decode(ev, &p); err != nil {
		return err
	}
	if p.Task != "" {
		return nil
	}
	if held := tx.Bucket(bucketActorTask).Get([]byte(ev.Actor)); held != nil {
		return Errf(CodeConflict, "task.already_active", "task", string(held))
	}
	if p.Task = firstPickable(tx); p.Task == "" {
		return Errf(CodeNotFound, "task.none")
	}
	return setPayload(ev, p)
}

// decideSessionsSwept counts the sessions the sweep removes, for the log.
func decideSessionsSwept(tx *txn, ev *Event) error {
	var p SessionsSwept
	if err := decode(ev, &p); err != nil {
		return err
	}
	p.Removed = 0
	err := tx.Bucket(bucketSessions).ForEach(func(k, v []byte) error {
		var s Session
		if err := json.Unmarshal(v, &s); err != nil {
			return &DamagedRecordError{Bucket: string(bucketSessions), Key: fmt.Sprintf("%x", k), Err: err}
		}
		if !s.ExpiresAt.After(p.Before) {
			p.Removed++
		}
		return nil
	})
	if err != nil {
		return err
	}
	return setPayload(ev, p)
}

// undecided refuses an event that reaches its applier without the decisions
// its decider records: the applier never decides in its place.
func undecided(ev *Event) error {
	return Errf(CodeInvalid, "event.payload_invalid", "type", ev.Type, "detail", "undecided")
}
