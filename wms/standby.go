package wms

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/google/uuid"
)

// A standby is a second Tally that holds a copy of the primary's log, event
// for event: the same IDs, sequence numbers and payloads (secrets included,
// so whoever could log in on the primary can log in on it), each applied with
// the same appliers, so its projections are the primary's. It reads them from
// the primary's replication read (ReplicationPage) and appends them with
// Replicate; while it follows, every other write is refused with
// CodeStandby. Promote makes it a primary: the store's epoch (1 until a
// promotion) goes up by one, is recorded as a node.promoted event, and every
// event appended after carries it, so an upstream that has seen the new
// epoch can refuse what the old primary still sends.
//
// The store remembers that it is a standby (meta "standby": the primary's
// address), so a standby restarted without --follow refuses to start as a
// primary by mistake: only Promote ends following.

// CodeStandby refuses a write on a standby: the floor must use the primary.
const CodeStandby Code = "standby"

// RoleReplica is for API tokens only: a standby reading the primary's log
// through the replication read, secrets included; nothing else.
const RoleReplica Role = "replica"

// EvNodePromoted records a promotion: the store became the primary at Epoch.
const EvNodePromoted = "node.promoted"

// NodePromoted is the payload of node.promoted.
type NodePromoted struct {
	Epoch uint64 `json:"epoch"`
	// Primary is the address the store followed until the promotion.
	Primary string `json:"primary,omitempty"`
	// LastSeq is the last event it had from that primary.
	LastSeq uint64 `json:"last_seq"`
}

var (
	metaEpoch   = []byte("epoch")   // decimal; absent means 1
	metaStandby = []byte("standby") // the primary's address while the store follows one
)

// ReplicaEvent is one event as the replication read gives it: the event
// as stored, and its keyed command's first answer (idempotency.go) when the
// command recorded one under the event's own ID, so a handheld retrying
// after a failover gets its first answer from the new primary too. Both are
// secret-bearing: never log them.
type ReplicaEvent struct {
	Event Event           `json:"event"`
	Key   json.RawMessage `json:"key,omitempty"`
	// Keys are the first answers stored with the event under other keys
	// (a client's Idempotency-Key for a wave, an order, a shipment, ...).
	Keys []ReplicaKey `json:"keys,omitempty"`
}

// ReplicaKey is one key's stored first answer, as the primary keeps it.
type ReplicaKey struct {
	ID     string          `json:"id"`
	Record json.RawMessage `json:"record"`
}

// ReplicaPage is one page of the replication read.
type ReplicaPage struct {
	Events  []ReplicaEvent `json:"events"`
	LastSeq uint64         `json:"last_seq"` // the primary's newest event when the page was read
	Epoch   uint64         `json:"epoch"`    // the primary's epoch
	// Secret is the primary's store secret (the key of its pages' CSRF
	// tokens): a standby adopts it, so a page a handheld loaded from the
	// primary still posts to the standby once it is promoted.
	Secret []byte `json:"secret"`
}

// ReplicaMaxLimit is the most events one replication page holds.
const ReplicaMaxLimit = 1000

// Epoch is the store's epoch: 1 until a promotion, one more at each.
func (l *Ledger) Epoch() uint64 {
	var e uint64
	_ = l.view(func(tx *txn) error {
		e = epochTx(tx)
		return nil
	})
	return e
}

func epochTx(tx *txn) uint64 {
	if v := tx.Bucket(bucketMeta).Get(metaEpoch); v != nil {
		if n, err := strconv.ParseUint(string(v), 10, 64); err == nil && n > 0 {
			return n
		}
	}
	return 1
}

func putEpoch(tx *txn, e uint64) error {
	return tx.Bucket(bucketMeta).Put(metaEpoch, []byte(strconv.FormatUint(e, 10)))
}

// stampEpoch puts the store's epoch on an event being appended; epoch 1 is
// left out, so events appended before epochs existed and after are alike.
func stampEpoch(tx *txn, ev *Event) {
	if e := epochTx(tx); e > 1 {
		ev.Epoch = e
	} else {
		ev.Epoch = 0
	}
}

// Following reports whether the store is a standby, and of which primary.
func (l *Ledger) Following() (primary string, ok bool) {
	if p := l.following.Load(); p != nil {
		return *p, true
	}
	return "", false
}

// loadStandby reads the store's standby mark when it is opened.
func (l *Ledger) loadStandby(tx *txn) {
	if v := tx.Bucket(bucketMeta).Get(metaStandby); v != nil {
		p := string(v)
		l.following.Store(&p)
	}
}

// refuseOnStandby is the write guard: nothing but Replicate writes to a standby.
func (l *Ledger) refuseOnStandby() error {
	if p, ok := l.Following(); ok {
		return Errf(CodeStandby, "standby.refused", "primary", p)
	}
	return nil
}

// Follow makes the store a standby of primary. A store that has events of
// its own cannot become one (its sequence numbers are not the primary's):
// a standby starts from an empty data directory, or is a standby already.
func (l *Ledger) Follow(primary string) error {
	if primary == "" || len(primary) > 512 || !validText(primary) {
		return Errf(CodeInvalid, "standby.primary_invalid")
	}
	err := l.update(func(tx *txn) error {
		meta := tx.Bucket(bucketMeta)
		if meta.Get(metaStandby) == nil {
			if last := tx.Bucket(bucketEvents).Sequence(); last > 0 {
				return Errf(CodeConflict, "standby.not_empty", "events", strconv.FormatUint(last, 10))
			}
		}
		return meta.Put(metaStandby, []byte(primary))
	})
	if err != nil {
		return err
	}
	l.following.Store(&primary)
	return nil
}

// Promote makes a standby the primary: the epoch goes up by one and a
// node.promoted event, the first of the new epoch, says so. From its commit
// on, the store takes writes and Replicate refuses. Stop following first:
// a page being applied when Promote commits is refused, never half applied.
func (l *Ledger) Promote(ctx context.Context, actor, device string) (NodePromoted, error) {
	if err := ctx.Err(); err != nil {
		return NodePromoted{}, err
	}
	var p NodePromoted
	err := l.update(func(tx *txn) error {
		meta := tx.Bucket(bucketMeta)
		primary := meta.Get(metaStandby)
		if primary == nil {
			return Errf(CodeConflict, "standby.not_standby")
		}
		p = NodePromoted{Epoch: epochTx(tx) + 1, Primary: string(primary), LastSeq: tx.Bucket(bucketEvents).Sequence()}
		if err := putEpoch(tx, p.Epoch); err != nil {
			return err
		}
		if err := meta.Delete(metaStandby); err != nil {
			return err
		}
		ev, err := NewEvent(uuid.NewString(), EvNodePromoted, actor, device, p)
		if err != nil {
			return err
		}
		ev.At = l.Now()
		_, _, err = appendTx(tx, ev)
		return err
	})
	if err != nil {
		return NodePromoted{}, err
	}
	l.following.Store(nil)
	l.bell.ring()
	return p, nil
}

// ReplicationPage reads up to limit events after the cursor as stored,
// secrets included, each with the first answers its write stored: under
// its own ID (a handheld's scan) and under other keys (key_seqs). It is for a standby (RoleReplica or admin) only.
func (l *Ledger) ReplicationPage(after uint64, limit int) (ReplicaPage, error) {
	if limit == 0 {
		limit = FeedDefaultLimit
	}
	if limit < 1 || limit > ReplicaMaxLimit {
		return ReplicaPage{}, Errf(CodeInvalid, "feed.limit_invalid", "limit", strconv.Itoa(limit), "max", strconv.Itoa(ReplicaMaxLimit))
	}
	page := ReplicaPage{Events: []ReplicaEvent{}}
	err := l.view(func(tx *txn) error {
		events := tx.Bucket(bucketEvents)
		page.LastSeq, page.Epoch = events.Sequence(), epochTx(tx)
		page.Secret = append([]byte{}, tx.Bucket(bucketMeta).Get([]byte("secret"))...)
		if after > page.LastSeq {
			return Errf(CodeInvalid, "feed.after_beyond", "after", strconv.FormatUint(after, 10), "last", strconv.FormatUint(page.LastSeq, 10))
		}
		var err error
		page.Events, err = replicaEventsTx(tx, after, limit)
		return err
	})
	return page, err
}

// replicaEventsTx reads up to limit events after the cursor as a standby
// gets them, each with the first answers its write stored: under its own
// ID (a handheld's scan) and under other keys (key_seqs). The replication
// read and `tally upgrade` both read the log through it.
func replicaEventsTx(tx *txn, after uint64, limit int) ([]ReplicaEvent, error) {
	out := []ReplicaEvent{}
	keys := tx.Bucket(bucketKeys)
	c := logCursor(tx) // archived events too, for a standby far behind (eventlog.go)
	for k, v := c.Seek(seqKey(after + 1)); k != nil && len(out) < limit; k, v = c.Next() {
		var re ReplicaEvent
		if err := json.Unmarshal(v, &re.Event); err != nil {
			return nil, fmt.Errorf("event %d: %w", seqFromKey(k), err)
		}
		if raw := keys.Get([]byte(re.Event.ID)); raw != nil {
			if j, rec, err := replicaKeyJSON(raw); err == nil && rec.Seq == re.Event.Seq {
				re.Key = j
			}
		}
		re.Keys = otherKeys(tx, re.Event.Seq)
		if ids, archived := c.Keys(); archived {
			re.Keys = archivedKeys(tx, ids)
		}
		out = append(out, re)
	}
	if err := c.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// otherKeys reads the keys other than its own ID that an event's write
// recorded (key_seqs), each with its stored record.
func otherKeys(tx *txn, seq uint64) []ReplicaKey {
	var out []ReplicaKey
	prefix := seqKey(seq)
	keys := tx.Bucket(bucketKeys)
	c := tx.Bucket(bucketKeySeqs).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		id := string(k[len(prefix):])
		if raw := keys.Get([]byte(id)); raw != nil {
			if j, _, err := replicaKeyJSON(raw); err == nil {
				out = append(out, ReplicaKey{ID: id, Record: j})
			}
		}
	}
	return out
}

// WaitReplication is ReplicationPage that, with nothing after the cursor,
// waits for the next commit that appends events, until ctx is done (then
// it returns the empty page).
func (l *Ledger) WaitReplication(ctx context.Context, after uint64, limit int) (ReplicaPage, error) {
	for {
		bell := l.Committed()
		page, err := l.ReplicationPage(after, limit)
		if err != nil || len(page.Events) > 0 {
			return page, err
		}
		select {
		case <-bell:
		case <-ctx.Done():
			return page, nil
		}
	}
}

// Replicate appends the primary's events to a standby, in one write
// transaction, each at its own sequence number with the same appliers as a
// rebuild (the primary's decisions are in the event; nothing is decided
// again). An event already here with the same ID at the same place is a
// resend and is skipped; one that would leave a gap, or whose ID or epoch
// disagrees with the log, refuses the whole page. It returns how many events
// it appended.
func (l *Ledger) Replicate(ctx context.Context, events []ReplicaEvent) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if _, ok := l.Following(); !ok {
		return 0, Errf(CodeConflict, "standby.not_standby")
	}
	// an ids.archived event comes first in its part of the page, its ID
	// table built before it applies (idarchive.go)
	if i := idsSplit(events); i > 0 {
		n, err := l.Replicate(ctx, events[:i])
		if err != nil {
			return n, err
		}
		m, err := l.Replicate(ctx, events[i:])
		return n + m, err
	}
	if i := lotsSplit(events); i > 0 { // a lots.archived event first in its part too (lotarchive.go)
		n, err := l.Replicate(ctx, events[:i])
		if err != nil {
			return n, err
		}
		m, err := l.Replicate(ctx, events[i:])
		return n + m, err
	}
	if i := ordsSplit(events); i > 0 { // an orders.tabled event first in its part too (ordertable.go)
		n, err := l.Replicate(ctx, events[:i])
		if err != nil {
			return n, err
		}
		m, err := l.Replicate(ctx, events[i:])
		return n + m, err
	}
	if err := l.prepareOrderTables(events); err != nil {
		return 0, err
	}
	if err := l.prepareIDTables(events); err != nil {
		return 0, err
	}
	if err := l.prepareLotTables(events); err != nil {
		return 0, err
	}
	n := 0
	err := l.update(func(tx *txn) error {
		n = 0
		if tx.Bucket(bucketMeta).Get(metaStandby) == nil {
			return Errf(CodeConflict, "standby.not_standby") // promoted meanwhile
		}
		for _, re := range events {
			ok, err := replicateTx(tx, re)
			if err != nil {
				return err
			}
			if ok {
				n++
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if n > 0 {
		l.stats.Appends.Add(uint64(n))
		l.bell.ring()
	}
	return n, nil
}

func replicateTx(tx *txn, re ReplicaEvent) (bool, error) {
	ev := re.Event
	if err := ev.validate(); err != nil {
		return false, err
	}
	seqText := strconv.FormatUint(ev.Seq, 10)
	ids, events := tx.Bucket(bucketEventIDs), tx.Bucket(bucketEvents)
	v := ids.Get([]byte(ev.ID))
	if v == nil {
		if r, ok, err := archivedID(tx, ev.ID); err != nil {
			return false, err
		} else if ok && r.flags()&idFlagEvent != 0 {
			v = seqKey(r.seq())
		}
	}
	if v != nil {
		if seqFromKey(v) != ev.Seq {
			return false, Errf(CodeConflict, "standby.diverged", "seq", seqText, "id", ev.ID)
		}
		return false, nil // a resend
	}
	last := events.Sequence()
	if ev.Seq != last+1 {
		return false, Errf(CodeConflict, "standby.gap", "seq", seqText, "last", strconv.FormatUint(last, 10))
	}
	epoch := max(ev.Epoch, 1)
	have := epochTx(tx)
	if epoch < have {
		return false, Errf(CodeConflict, "standby.stale_epoch", "seq", seqText, "epoch", strconv.FormatUint(epoch, 10), "have", strconv.FormatUint(have, 10))
	}
	if epoch > have {
		if err := putEpoch(tx, epoch); err != nil {
			return false, err
		}
	}
	if err := events.SetSequence(ev.Seq); err != nil {
		return false, err
	}
	ev.At = ev.At.UTC()
	if ev.Type == EvLogArchived { // its own member first, from its own copy of the events (eventarchive.go)
		if err := standbyArchive(tx, &ev); err != nil {
			return false, err
		}
	}
	if ev.Type == EvUnitsArchived { // its own member, from its own units (unitarchive.go)
		if err := standbyUnits(tx, &ev); err != nil {
			return false, err
		}
	}
	if err := applyEvent(tx, &ev); err != nil {
		return false, fmt.Errorf("event %d (%s %s): %w", ev.Seq, ev.Type, ev.ID, err)
	}
	raw, err := json.Marshal(ev)
	if err != nil {
		return false, err
	}
	if err := events.Put(seqKey(ev.Seq), raw); err != nil {
		return false, err
	}
	if err := ids.Put([]byte(ev.ID), seqKey(ev.Seq)); err != nil {
		return false, err
	}
	if ev.Type == EvIDsArchived {
		if err := replicateIDsArchived(tx, &ev); err != nil {
			return false, err
		}
	}
	if len(re.Key) > 0 {
		stored, rec, err := standbyRecord(re.Key)
		if err != nil || rec.Seq != ev.Seq {
			return false, Errf(CodeInvalid, "standby.key_invalid", "seq", seqText)
		}
		if err := tx.Bucket(bucketKeys).Put([]byte(ev.ID), stored); err != nil {
			return false, err
		}
	}
	for _, k := range re.Keys {
		if recordless(k) { // an archived event's key whose record the primary has moved on: the ID alone, for its member
			if !validKeyID(k.ID) || k.ID == ev.ID {
				return false, Errf(CodeInvalid, "standby.key_invalid", "seq", seqText)
			}
			if err := tx.Bucket(bucketKeySeqs).Put(keySeqKey(ev.Seq, k.ID), []byte{}); err != nil {
				return false, err
			}
			continue
		}
		stored, rec, err := standbyRecord(k.Record)
		if !validKeyID(k.ID) || k.ID == ev.ID || err != nil || rec.Seq != ev.Seq {
			return false, Errf(CodeInvalid, "standby.key_invalid", "seq", seqText)
		}
		if err := tx.Bucket(bucketKeys).Put([]byte(k.ID), stored); err != nil {
			return false, err
		}
		if err := tx.Bucket(bucketKeySeqs).Put(keySeqKey(ev.Seq, k.ID), []byte{}); err != nil {
			return false, err
		}
	}
	tx.appended = true
	return true, nil
}

// AdoptSecret makes the primary's store secret this standby's (see
// ReplicaPage.Secret); it reports whether it changed anything.
func (l *Ledger) AdoptSecret(secret []byte) (changed bool, err error) {
	if len(secret) != 32 {
		return false, Errf(CodeInvalid, "standby.secret_invalid")
	}
	err = l.update(func(tx *txn) error {
		meta := tx.Bucket(bucketMeta)
		if meta.Get(metaStandby) == nil {
			return Errf(CodeConflict, "standby.not_standby")
		}
		if bytes.Equal(meta.Get([]byte("secret")), secret) {
			return nil
		}
		changed = true
		return meta.Put([]byte("secret"), bytes.Clone(secret))
	})
	return changed, err
}

// applyNodePromoted has nothing to project: the epoch is the store's own
// (meta), set by Promote and by Replicate, never rebuilt.
func applyNodePromoted(_ *txn, ev *Event) error {
	var p NodePromoted
	if err := decode(ev, &p); err != nil {
		return err
	}
	if p.Epoch < 2 {
		return Errf(CodeInvalid, "standby.promoted_invalid")
	}
	return nil
}
