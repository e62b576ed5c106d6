package wms

import (
	"encoding/json"
	"fmt"
)

// The outbox is the event log read for what goes upstream: the types with an
// outward shape, in seq order, through the by-type index (so a day of scans
// between two shipments costs nothing to skip), each in its outward shape.
// Which of them one upstream gets is For's rule.

// OutboxPage is a page of the outbox.
type OutboxPage struct {
	Events []Outward
	// Next is the seq the page has considered through: the next page starts
	// after it. It is the log's last seq when the page reached the end.
	Next uint64
	Last uint64 // the log's last seq when the page was read
}

// outwardTypes are the types that go upstream, in catalogue order.
var outwardTypes = func() []string {
	var out []string
	for _, s := range catalogue {
		if s.outward != nil {
			out = append(out, s.Type)
		}
	}
	return out
}()

// OutwardTypes lists the event types that go upstream.
func OutwardTypes() []string { return append([]string(nil), outwardTypes...) }

// Outbox reads up to limit outward events after a seq, in one read
// transaction.
func (l *Ledger) Outbox(after uint64, limit int) (page OutboxPage, err error) {
	if limit <= 0 {
		limit = 500
	}
	err = l.view(func(tx *txn) error {
		page, err = outboxTx(tx, after, limit)
		return err
	})
	return page, err
}

func outboxTx(tx *txn, after uint64, limit int) (OutboxPage, error) {
	last := tx.Bucket(bucketEvents).Sequence()
	page := OutboxPage{Next: after, Last: last}
	if after >= last {
		page.Next = max(after, last)
		return page, nil
	}
	skipped := 0
	next, archErr, archStopped := withArchived(tx, FeedQuery{After: after, Types: outwardTypes}, &skipped, seqSource) // archived events first (eventarchive_feed.go)
	for len(page.Events) < limit {
		seq, raw, ok := next()
		if err := archErr(); err != nil {
			return page, err
		}
		if at, short := archStopped(); short {
			page.Next = at // a page of archived inward events passed over: resume after them
			break
		}
		if !ok {
			page.Next = last
			break
		}
		if raw == nil {
			return page, fmt.Errorf("event %d is missing from the log", seq)
		}
		var ev Event
		if err := json.Unmarshal(raw, &ev); err != nil {
			return page, err
		}
		page.Next = seq
		out, ok, err := outwardTx(tx, ev)
		if err != nil {
			return page, fmt.Errorf("event %d (%s): %w", seq, ev.Type, err)
		}
		if ok {
			page.Events = append(page.Events, out)
		}
	}
	return page, nil
}

// outwardTx is Ledger.Outward inside a transaction.
func outwardTx(tx *txn, ev Event) (Outward, bool, error) {
	spec, known := specs[ev.Type]
	if !known {
		return Outward{}, false, Errf(CodeInvalid, "event.type_unknown", "type", ev.Type)
	}
	if spec.outward == nil {
		return Outward{}, false, nil
	}
	shape, ok, err := spec.outward(tx, ev)
	if err != nil || !ok {
		return Outward{}, false, err
	}
	out := Outward{ID: ev.ID, Seq: ev.Seq, Epoch: ev.Epoch, Type: ev.Type, At: ev.At, Owner: OwnerOf(ev), Data: shape}
	if t, ok := shape.(interface{ targetUpstream() string }); ok {
		out.Upstream = t.targetUpstream()
	}
	return out, true, nil
}

// For is what an upstream configured for owner (empty: every owner) gets of
// an outward event: nothing of another owner's event or of an event meant
// for another upstream (a refused change, a reconciliation), and of a mixed
// event (a file, a sweep, a count) only that owner's lines — nothing when
// none are left.
func (o Outward) For(upstream, owner string) (Outward, bool) {
	if o.Upstream != "" && o.Upstream != upstream {
		return Outward{}, false
	}
	if owner == "" {
		return o, true
	}
	if o.Owner != "" {
		return o, o.Owner == owner
	}
	switch d := o.Data.(type) {
	case OutOpeningStock:
		d.Lines = ownLines(d.Lines, owner, func(l OutStockCount) string { return l.Owner })
		o.Data = d
		return o, len(d.Lines) > 0
	case OutLotsExpired:
		d.Lots = ownLines(d.Lots, owner, func(l OutLotRef) string { return l.Owner })
		o.Data = d
		return o, len(d.Lots) > 0
	case OutCountAdjusted:
		d.Lines = ownLines(d.Lines, owner, func(l OutCountChange) string { return l.Owner })
		o.Data = d
		return o, len(d.Lines) > 0
	}
	// a mixed shape this rule does not know would leak other owners' lines
	panic(fmt.Sprintf("wms: Outward.For does not know the mixed shape %T", o.Data))
}

func ownLines[T any](lines []T, owner string, of func(T) string) []T {
	out := make([]T, 0, len(lines))
	for _, l := range lines {
		if of(l) == owner {
			out = append(out, l)
		}
	}
	return out
}
