package wms

import (
	"context"
	"strconv"
	"time"
)

// What the syncer has done with each upstream, in the ledger: the push
// cursor (every event for the upstream up to it was acknowledged), the pull
// cursor (the upstream's opaque position), and the dead letters (events the
// upstream refused for good). Each answer that moves a cursor is one event
// (sync.acked, sync.pulled), so a standby that follows the log carries on
// where the primary stopped and a restart re-sends only what was never
// acknowledged. These events never go upstream themselves.

// SyncState is one upstream's cursors and totals.
type SyncState struct {
	Upstream string `json:"upstream"`
	// PushedThrough is the push cursor: the highest seq such that every
	// event for the upstream up to it was acknowledged (accepted, duplicate
	// or dead-lettered).
	PushedThrough uint64    `json:"pushed_through"`
	Acked         uint64    `json:"acked"` // events acknowledged in all
	LastAck       time.Time `json:"last_ack,omitzero"`
	// PullCursor is the upstream's cursor after the last page entered.
	PullCursor string    `json:"pull_cursor,omitempty"`
	Pulled     uint64    `json:"pulled"` // changes taken in all
	LastPull   time.Time `json:"last_pull,omitzero"`
	Dead       int       `json:"dead"` // open dead letters
}

// Dead-letter states.
const (
	DeadOpen  = "open"  // waiting for a supervisor
	DeadRetry = "retry" // a supervisor asked for it to be sent again
)

// DeadLetter is an event an upstream refused for good.
type DeadLetter struct {
	Upstream string    `json:"upstream"`
	Seq      uint64    `json:"seq"`
	ID       string    `json:"id"`
	Type     string    `json:"type"`
	Code     string    `json:"code"`
	Reason   string    `json:"reason"`
	State    string    `json:"state"`
	Attempts int       `json:"attempts"`
	At       time.Time `json:"at"` // when it was last refused
}

// SyncAck records one answer to a push: the new cursor, what was
// dead-lettered, and which retried dead letters the upstream now took.
type SyncAck struct {
	Upstream string       `json:"upstream"`
	Through  uint64       `json:"through"`
	Acked    int          `json:"acked"`
	Dead     []DeadLetter `json:"dead,omitempty"`
	Resolved []uint64     `json:"resolved,omitempty"`
}

// SyncPull records one page of changes that entered the ledger.
type SyncPull struct {
	Upstream string `json:"upstream"`
	Cursor   string `json:"cursor"`
	Changes  int    `json:"changes"`
}

// DeadLetterDecision is a supervisor's retry or discard of a dead letter.
type DeadLetterDecision struct {
	Upstream string `json:"upstream"`
	Seq      uint64 `json:"seq"`
	Action   string `json:"action"` // retry or discard
}

// MaxPullCursor bounds an upstream's pull cursor.
const MaxPullCursor = 256

func syncStateTx(tx *txn, name string) (SyncState, error) {
	st, _, err := lookup[SyncState](tx, bucketSyncState, []byte(name))
	st.Upstream = name
	return st, err
}

func knownUpstream(tx *txn, name string) error {
	if tx.Bucket(bucketUpstreams).Get([]byte(name)) == nil {
		return Errf(CodeNotFound, "upstream.not_found", "name", clipText(name))
	}
	return nil
}

func applySyncAcked(tx *txn, ev *Event) error {
	var a SyncAck
	if err := decode(ev, &a); err != nil {
		return err
	}
	if err := knownUpstream(tx, a.Upstream); err != nil {
		return err
	}
	st, err := syncStateTx(tx, a.Upstream)
	if err != nil {
		return err
	}
	st.PushedThrough = max(st.PushedThrough, a.Through)
	st.Acked += uint64(max(a.Acked, 0))
	st.LastAck = ev.At
	dead := tx.Bucket(bucketDeadLetters)
	for _, d := range a.Dead {
		k := deadKey(a.Upstream, d.Seq)
		old, found, err := lookup[DeadLetter](tx, bucketDeadLetters, k)
		if err != nil {
			return err
		}
		d.Upstream, d.State, d.At, d.Attempts = a.Upstream, DeadOpen, ev.At, old.Attempts+1
		if !found {
			st.Dead++
		}
		if err := putJSON(dead, k, d); err != nil {
			return err
		}
	}
	for _, seq := range a.Resolved {
		k := deadKey(a.Upstream, seq)
		if dead.Get(k) == nil {
			continue
		}
		if err := dead.Delete(k); err != nil {
			return err
		}
		st.Dead--
	}
	return putJSON(tx.Bucket(bucketSyncState), []byte(a.Upstream), st)
}

func applySyncPulled(tx *txn, ev *Event) error {
	var p SyncPull
	if err := decode(ev, &p); err != nil {
		return err
	}
	if err := knownUpstream(tx, p.Upstream); err != nil {
		return err
	}
	if len(p.Cursor) > MaxPullCursor || !printableASCII(p.Cursor) && p.Cursor != "" {
		return Errf(CodeInvalid, "sync.cursor_invalid", "upstream", p.Upstream)
	}
	st, err := syncStateTx(tx, p.Upstream)
	if err != nil {
		return err
	}
	st.PullCursor, st.LastPull = p.Cursor, ev.At
	st.Pulled += uint64(max(p.Changes, 0))
	return putJSON(tx.Bucket(bucketSyncState), []byte(p.Upstream), st)
}

func applyDeadLetterDecided(tx *txn, ev *Event) error {
	var d DeadLetterDecision
	if err := decode(ev, &d); err != nil {
		return err
	}
	k := deadKey(d.Upstream, d.Seq)
	dl, err := mustGet[DeadLetter](tx, bucketDeadLetters, k, "sync.dead_letter_not_found", "upstream", d.Upstream, "seq", strconv.FormatUint(d.Seq, 10))
	if err != nil {
		return err
	}
	dead := tx.Bucket(bucketDeadLetters)
	switch d.Action {
	case "retry":
		dl.State = DeadRetry
		return putJSON(dead, k, dl)
	case "discard":
		st, err := syncStateTx(tx, d.Upstream)
		if err != nil {
			return err
		}
		st.Dead--
		if err := dead.Delete(k); err != nil {
			return err
		}
		return putJSON(tx.Bucket(bucketSyncState), []byte(d.Upstream), st)
	}
	return Errf(CodeInvalid, "sync.dead_letter_action", "action", clipText(d.Action))
}

// syncActor is who the syncer's events are by.
func syncActor(upstream string) string { return "sync:" + upstream }

// RecordAck writes one push answer. It is not keyed: each answer is news.
func (l *Ledger) RecordAck(ctx context.Context, a SyncAck) error {
	if a.Through == 0 && len(a.Dead) == 0 && len(a.Resolved) == 0 {
		return nil
	}
	_, err := l.appendData(ctx, newID(), EvSyncAcked, syncActor(a.Upstream), "syncer", a)
	return err
}

// RecordPull writes the pull cursor after a page's changes entered.
func (l *Ledger) RecordPull(ctx context.Context, p SyncPull) error {
	_, err := l.appendData(ctx, newID(), EvSyncPulled, syncActor(p.Upstream), "syncer", p)
	return err
}

// DecideDeadLetter retries or discards a dead letter; id is the request's key.
func (l *Ledger) DecideDeadLetter(ctx context.Context, id string, d DeadLetterDecision, actor, device string) (DeadLetterDecision, error) {
	if d.Action != "retry" && d.Action != "discard" {
		return d, Errf(CodeInvalid, "sync.dead_letter_action", "action", clipText(d.Action))
	}
	if id == "" {
		id = newID()
	}
	return keyedAppend(ctx, l, id, EvDeadLetterDecided, "", "dead:"+d.Upstream+":"+strconv.FormatUint(d.Seq, 10), d, actor, device, nil)
}

// SyncStateOf is one upstream's cursors and totals (zero for one never synced).
func (l *Ledger) SyncStateOf(name string) (st SyncState, err error) {
	err = l.view(func(tx *txn) error {
		st, err = syncStateTx(tx, name)
		return err
	})
	return st, err
}

// DeadLetters lists an upstream's dead letters by seq ("" lists every upstream's).
func (l *Ledger) DeadLetters(upstream string) ([]DeadLetter, error) {
	var out []DeadLetter
	err := l.view(func(tx *txn) error {
		c := tx.Bucket(bucketDeadLetters).Cursor()
		var p []byte
		if upstream != "" {
			p = prefixKey(upstream)
		}
		for k, v := c.Seek(p); k != nil && hasPrefix(k, p); k, v = c.Next() {
			var d DeadLetter
			if err := jsonUnmarshal(v, &d); err != nil {
				return err
			}
			out = append(out, d)
		}
		return nil
	})
	return out, err
}

// EventAt returns the event with a seq.
func (l *Ledger) EventAt(seq uint64) (ev Event, err error) {
	err = l.view(func(tx *txn) error {
		ev, err = eventAt(tx, seq)
		return err
	})
	return ev, err
}

func deadKey(upstream string, seq uint64) []byte {
	return append(prefixKey(upstream), seqKey(seq)...)
}

func hasPrefix(k, p []byte) bool { return len(k) >= len(p) && string(k[:len(p)]) == string(p) }
