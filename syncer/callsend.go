package syncer

import (
	"context"

	"tally/wms"
)

// Upstreams that take an event as several calls, one at a time (a Qimen
// ERP, a marketplace shop), share how a run of events is sent: each
// event's calls in order, the cursor moved past an event once all its
// calls were taken (or it became a dead letter), and an event cut off
// half-way resumed at the call it stopped at.

// partSent is how many calls of the event at the head of the queue the
// upstream has already taken, so a retry after a failure sends only the
// rest (a repeat would be harmless, just slower).
type partSent struct {
	id   string
	done int
}

// callsOutcome is what sending one event's calls came to.
type callsOutcome struct {
	done     int             // calls the upstream holds, of this event's
	dead     *wms.DeadLetter // the event is a dead letter
	answered bool            // the dead letter was the upstream's answer (it is up)
}

// sendCalls sends the events of up to Batch queued events through each,
// which sends one event's calls from the one numbered from, and records
// what was taken, even when a later event failed. more says there is more
// to send at once.
func (k *link) sendCalls(ctx context.Context, up wms.Upstream, each func(q queued, from int) (callsOutcome, error)) (more bool, err error) {
	if err := k.fill(up); err != nil {
		return false, err
	}
	if len(k.queue) == 0 {
		return false, nil
	}
	n, sent := 0, false
	var dead []wms.DeadLetter
	var failed error
	for n < len(k.queue) && n < k.s.o.Batch {
		q := k.queue[n]
		from := 0
		if k.part.id == q.id {
			from = k.part.done
		}
		out, err := each(q, from)
		if out.done > from {
			sent = true
		}
		if err != nil {
			k.part = partSent{id: q.id, done: out.done}
			failed = err
			break
		}
		k.part = partSent{}
		if out.dead != nil {
			dead = append(dead, *out.dead)
			sent = sent || out.answered
		}
		n++
	}
	if n > 0 {
		if err := k.acked(ctx, k.queue[:n], dead); err != nil {
			return false, err
		}
	}
	if failed != nil {
		return false, failed
	}
	if sent {
		k.succeeded()
	}
	return len(k.queue) > 0 || k.scan < k.counted, nil
}

// retryCalls sends again, each alone and whole, the dead letters a
// supervisor asked to retry, through each (the event and what the
// upstream gets of it, ok false for nothing): all taken, it is resolved;
// refused again, it stays a dead letter with one more attempt.
func (k *link) retryCalls(ctx context.Context, up wms.Upstream, retry []wms.DeadLetter,
	each func(ev wms.Event, o wms.Outward, ok bool) (dead *wms.DeadLetter, err error)) error {
	for _, d := range retry {
		ev, o, ok, err := k.outwardAt(d.Seq, up)
		if err != nil {
			return err
		}
		again, err := each(ev, o, ok)
		if err != nil {
			return err
		}
		ack := wms.SyncAck{Upstream: k.name}
		if again != nil {
			again.Seq, again.ID, again.Type = d.Seq, d.ID, d.Type
			ack.Dead = []wms.DeadLetter{*again}
		} else {
			ack.Resolved = []uint64{d.Seq}
		}
		if err := k.s.l.RecordAck(ctx, ack); err != nil {
			return err
		}
		if again != nil {
			k.s.log.Warn("sync: dead letter refused again", "upstream", k.name, "seq", d.Seq, "code", again.Code)
		}
		k.succeeded()
	}
	return nil
}
