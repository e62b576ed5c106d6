package wms

import (
	"encoding/json"

	bolt "go.etcd.io/bbolt"
)

// applier validates one event against the current state and writes its
// projections. It must depend only on the event and the state in tx (never on
// the clock), so that a rebuild from the log gives the same bytes. A returned
// error rolls back the whole transaction.
type applier func(tx *txn, ev *Event) error

// txn is a bbolt transaction as the ledger's code uses it. While an event is
// applied it also carries that event's apply context; reads have none.
type txn struct {
	*bolt.Tx
	apply    *applyCtx
	appended bool // an event was appended: its commit wakes feed readers (Ledger.write)

	// replay is set while a replay applies the log (replay.go)
	replay *replayState
}

// applyCtx is what applying one event collects beside its projections: the
// lots, reservations and serials it touched, indexed once it is applied.
type applyCtx struct {
	touched *touched
	ev      *Event     // the event being applied
	kpi     []kpiDelta // what it added to people's figures (figures.go)
	picked  *Task      // the task a pick just stored, for its work figures (work.go) not to decode it again
	scan    *PickScan  // and the pick's payload, decoded
	// waveQueue holds the wave queue's writes until the event is applied
	// (wavequeue.go: nil deletes), to be made in key order
	waveQueue map[string][]byte
}

// view runs fn in a read transaction.
func (l *Ledger) view(fn func(tx *txn) error) error {
	if l.bulk != nil {
		return l.bulk.view(fn)
	}
	return l.db.View(func(b *bolt.Tx) error { return fn(&txn{Tx: b}) })
}

// update runs fn in a write transaction of its own (not batched).
func (l *Ledger) update(fn func(tx *txn) error) error {
	if l.bulk != nil { // the shared transaction is the only writer (a second would wait for it forever)
		return l.bulk.write(fn)
	}
	return l.committed(l.db.Update(func(b *bolt.Tx) error {
		if err := fn(&txn{Tx: b}); err != nil {
			return err
		}
		return l.beforeCommit()
	}))
}

func applyEvent(tx *txn, ev *Event) error {
	spec, ok := specs[ev.Type]
	if !ok {
		return Errf(CodeInvalid, "event.type_unknown", "type", ev.Type)
	}
	// The apply context lives as long as this one event's application and is
	// passed down with the transaction, never kept on the side.
	at := &txn{Tx: tx.Tx, apply: &applyCtx{touched: newTouched(), ev: ev}, replay: tx.replay}
	pre, err := beforeWork(tx, ev)
	if err != nil {
		return err
	}
	if err := spec.apply(at, ev); err != nil {
		return err
	}
	if err := flushWaveQueue(at); err != nil {
		return err
	}
	if err := applyWork(at, ev, pre); err != nil {
		return err
	}
	if err := splitFigures(at, ev, spec.Scope); err != nil {
		return err
	}
	if err := indexTouched(tx, ev, at.apply.touched); err != nil {
		return err
	}
	if tx.replay != nil {
		tx.replay.index(bucketByType, byTypeKey(ev.Type, ev.Seq))
		return nil
	}
	return tx.Bucket(bucketByType).Put(byTypeKey(ev.Type, ev.Seq), []byte{})
}

func decode(ev *Event, v any) error {
	if ev.ahead != nil && takeAhead(ev, v) {
		return nil
	}
	if ev.decoded != nil && decodedInto(ev.decoded, v) {
		return nil
	}
	if err := json.Unmarshal(ev.Data, v); err != nil {
		return Errf(CodeInvalid, "event.payload_invalid", "type", ev.Type, "detail", err.Error())
	}
	return nil
}

func putJSON(b *bucket, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, raw)
}
