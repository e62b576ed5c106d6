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
// Every type that decides has a decider: task.started (the head of the
// queue), sessions.swept (how many), wave.released (the allocations, by
// allocateOrder against an in-memory overlay of the wave's own
// reservations), pick.short (the re-allocation, the count task), lot.status
// and lot.recalled (where the lot's allocations move), lots.swept (which
// lots expired, where their allocations move), count.submitted (the
// variances, applied at once or pending), stock.moved (a whole location's
// lines), stock.received (the shelf-life rule: quarantined or refused),
// pack.scanned (which SKU the GTIN is), parcel.closed (the weight gate and
// the waybill), order.shipped (the waybills that leave) and return.received
// (the lot, a swap, where each unit goes). Their appliers read no settings
// or rules and refuse an event that lacks its decisions (undecided).
// login.failed also has one, for the audit trail only: it writes the lockout
// a wrong PIN caused into the event (locked_until); its applier counts with
// the same rule (wrongPIN) and needs nothing from it.
//
// Legacy: every stored event of these types already carries its decisions
// (the appliers of earlier versions decided on first application and wrote
// the decision back into the event), so they replay as they are, with two
// exceptions kept as marked paths:
//   - order.shipped logged before projections version 4 names no waybills;
//     its applier then checks nothing against them (it needs none).
//   - stock.received writes "not quarantined" by leaving quarantined out,
//     as it always has, so an event without it is applied as not
//     quarantined (the stored form of that decision, not a new decision).
//
// And count.decided logged before the strict rule replays as it did
// (CountDecision.Strict).
//
// Left as they are: pick.scanned and order.cancelled still write back what
// applying found (the order and lot a pick left from; the put-back task's
// ID, "P"+seq): facts of the state in the transaction, not rules, applied
// identically on replay.

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
