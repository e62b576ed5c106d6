package wms

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// A command that takes an ID (a client's Idempotency-Key, a page form's key,
// a handheld's scan UUID) answers every repeat of that ID with its first
// answer, whatever has changed since: a retry after a timeout must learn
// what its first try did, not what the same request would do now.
//
//   - The ID is looked up before the command decides anything (runKeyed), under
//     a lock on the ID held until the event is written: retries sent at the same
//     moment wait for the first and then read its answer, never decide again.
//   - The first answer is stored beside its event, in the same write transaction
//     (bucketKeys: ID -> keyRecord): the command's answer as the state stood
//     right after its event applied. A repeat decodes that record and never
//     reads today's state. We store the answer rather than rebuild it from the
//     event because most answers are state that later events change (the task
//     after a scan, the wave as released), and the event alone cannot say
//     what it looked like then. The first call returns the same decoded
//     record, so a first answer and its repeats are the same value.
//   - The record binds the ID to its request: who sent it (actor), what it was
//     for (the event type and the target: a task, an order, a receipt, ...) and
//     a digest of what was asked (the request as sent, before any decision).
//     A repeat that differs in any of these is refused as a conflict, never
//     answered as a duplicate of something else. A repeat by someone who may
//     not act on the target at all gets the refusal a fresh ID would get.
//   - A command that fails writes nothing: its ID stays unused, and a retry
//     decides afresh.
//
// bucketKeys is on the log's side: a record is written once with its event and
// never rebuilt (its request digest is not in the event, and the answer is the
// state of that moment). Events appended before keys were recorded have no
// record; a repeat of one is answered from the state (as before) after its
// type and actor are compared.

// keyRecord is what bucketKeys holds for one ID.
type keyRecord struct {
	Actor  string `json:"actor"`
	Type   string `json:"type"`
	Target string `json:"target,omitempty"`
	Digest string `json:"digest"`
	Seq    uint64 `json:"seq"`
	// Task is the answer as the task's stored bytes when the answer is a
	// task (keycodec.go): a binary record read back has it instead of
	// Answer; the JSON a standby reads has both (replicaKeyJSON).
	Task   []byte          `json:"task,omitempty"`
	Answer json.RawMessage `json:"answer"`
}

// keyed describes one call of a command that takes an ID.
type keyed struct {
	id      string // the key; the event ID unless the command names its event otherwise
	typ     string // the event type the key is for
	target  string // what the request acts on: a task, an order, a receipt, ...
	actor   string
	request any // what was asked, before any decision; its digest binds the key
	// natural is set when the ID names the thing rather than one request
	// ("close:" and the receipt): anyone asking for it again gets its answer.
	natural bool
	// owns, when set, refuses a repeat by someone who may not act on the
	// target at all, with the refusal a fresh ID would get.
	owns func(tx *txn) error
	// fresh, when set, is told before answer runs whether the event was
	// appended by this call (false: an event of that ID was in the log
	// already). Commands whose event is named by what it is (an order and
	// its content, a receipt, an RMA) and not by the key answer "the same
	// again" with it.
	fresh *bool
	// answerTask, when set, names the task whose JSON (taskJSON) is the
	// answer: the record keeps the task's stored bytes instead of the JSON
	// (keycodec.go).
	answerTask string
}

// runKeyed runs a command that takes an ID: the first answer of an ID that
// was seen, or decide (today's rules, outside any transaction) and append
// its event, computing the answer in the same transaction with answer.
func runKeyed[T any](ctx context.Context, l *Ledger, k keyed, decide func() (Event, error), answer func(tx *txn, ev *Event) (T, error)) (out T, err error) {
	var zero T
	if !validKeyID(k.id) {
		return zero, Errf(CodeInvalid, "event.id_invalid")
	}
	digest, err := digestOf(k.request)
	if err != nil {
		return zero, err
	}
	defer l.keys.lock(k.id)()

	replayed := false
	err = l.view(func(tx *txn) error {
		rec, found, err := getKeyRecord(tx, k.id)
		if err != nil {
			return err
		}
		if !found {
			v := tx.Bucket(bucketEventIDs).Get([]byte(k.id))
			if v == nil {
				r, ok, err := archivedID(tx, k.id)
				if err != nil || !ok {
					return err
				}
				replayed = true
				out, err = archivedAnswer(tx, k, digest, r, answer)
				return err
			}
			// an event appended before keys were recorded
			prior, err := eventAt(tx, seqFromKey(v))
			if err != nil {
				return err
			}
			rec = keyRecord{Actor: prior.Actor, Type: prior.Type, Target: k.target, Digest: digest}
			if err := rec.binds(k, digest); err != nil {
				return err
			}
			if k.owns != nil {
				if err := k.owns(tx); err != nil {
					return err
				}
			}
			replayed = true
			out, err = answer(tx, &prior)
			return err
		}
		if k.owns != nil {
			if err := k.owns(tx); err != nil {
				return err
			}
		}
		if err := rec.binds(k, digest); err != nil {
			return err
		}
		replayed = true
		if !rec.answered() { // past the keys' retention (archive.go): answered from the state
			prior, err := eventAt(tx, rec.Seq)
			if err != nil {
				return err
			}
			out, err = answer(tx, &prior)
			return err
		}
		raw, err := rec.answerJSON()
		if err != nil {
			return &DamagedRecordError{Bucket: string(bucketKeys), Key: k.id, Err: err}
		}
		return answerFrom(raw, &out)
	})
	if err != nil {
		return zero, err
	}
	if replayed {
		l.stats.Duplicates.Add(1)
		noteReplay(ctx)
		return out, nil
	}
	if err := ctx.Err(); err != nil {
		return zero, err
	}

	start := time.Now()
	defer func() {
		l.stats.AppendMicros.Add(uint64(time.Since(start).Microseconds()))
		if err != nil {
			l.stats.Rejects.Add(1)
		} else {
			l.stats.Appends.Add(1)
		}
	}()
	ev, err := decide()
	if err != nil {
		return zero, err
	}
	if err := ev.validate(); err != nil {
		return zero, err
	}
	l.stamp(&ev)
	var raw []byte
	err = l.write(func(tx *txn) error {
		stored, dup, err := appendTx(tx, ev)
		if err != nil {
			return err
		}
		if k.fresh != nil {
			*k.fresh = !dup
		}
		a, err := answer(tx, &stored)
		if err != nil {
			return err
		}
		if raw, err = answerJSON(a); err != nil {
			return err
		}
		if dup && k.id == ev.ID {
			// appended meanwhile by a command that records no key: answered from the state
			return nil
		}
		rec := keyRecord{Actor: k.actor, Type: k.typ, Target: k.target, Digest: digest, Seq: stored.Seq, Answer: raw}
		if k.answerTask != "" {
			// the bytes raw was made from (taskJSON), in this transaction
			if v := tx.Bucket(bucketTasks).Get([]byte(k.answerTask)); v != nil {
				rec.Task, rec.Answer = append([]byte(nil), v...), nil
			}
		}
		return putKey(tx, k.id, stored, rec, !dup)
	})
	if err != nil {
		return zero, err
	}
	// The first caller gets the answer as a repeat will: decoded from the record.
	err = answerFrom(raw, &out)
	return out, err
}

// putKey stores a key's first answer. A key other than its event's own ID,
// for an event appended by this write, is indexed under the event's
// sequence number too, so the replication read carries it with its event
// and a standby promoted later answers its retries as the primary would.
// (A key first used for an event already in the log is not: a standby that
// has read past that event would never see it. After a failover a retry of
// such a key finds the event and is answered from the state, as the
// command answers "the same again".)
func putKey(tx *txn, id string, ev Event, rec keyRecord, appended bool) error {
	if err := tx.Bucket(bucketKeys).Put([]byte(id), encodeKeyRecord(rec)); err != nil {
		return err
	}
	if !appended || id == ev.ID {
		return nil
	}
	return tx.Bucket(bucketKeySeqs).Put(keySeqKey(ev.Seq, id), []byte{})
}

// validKeyID is the rule for an ID a command takes: 1 to MaxEventID bytes
// of UTF-8 (a client sends at most 128: server/idempotency.go).
func validKeyID(id string) bool {
	return id != "" && len(id) <= MaxEventID && utf8.ValidString(id)
}

// answerJSON is an answer's JSON. An answer already JSON (a task as the
// handheld gets it, made by json.Marshal) is taken as it is: compacting
// and checking a cluster task's kilobytes again was a tenth of a scan.
func answerJSON(a any) ([]byte, error) {
	if raw, ok := a.(json.RawMessage); ok && raw != nil {
		return raw, nil
	}
	return json.Marshal(a)
}

// keyRecordJSON is json.Marshal(r), the same bytes, without compacting its
// answer once more: the answer is JSON that json.Marshal made (answerJSON),
// compact already, and most of the record (a cluster task's kilobytes).
func keyRecordJSON(r keyRecord) ([]byte, error) {
	answer := r.Answer
	r.Answer = nil
	head, err := json.Marshal(r)
	if err != nil || answer == nil {
		return head, err
	}
	head, ok := bytes.CutSuffix(head, []byte(`null}`))
	if !ok {
		return nil, fmt.Errorf("key record %q: no answer at its end", head)
	}
	return append(append(head, answer...), '}'), nil
}

// answerFrom decodes an answer's JSON into out; JSON wanted as JSON is
// copied (answerJSON made it a moment before: it is valid and compact).
func answerFrom(raw []byte, out any) error {
	if rm, ok := out.(*json.RawMessage); ok {
		*rm = append(json.RawMessage(nil), raw...)
		return nil
	}
	return json.Unmarshal(raw, out)
}

// binds refuses a repeat that is not the request its key was first used for.
func (r keyRecord) binds(k keyed, digest string) error {
	switch {
	case k.natural && r.Type == k.typ && r.Target == k.target:
		return nil
	case r.Actor != k.actor:
		return Errf(CodeConflict, "key.other_actor", "key", k.id)
	case r.Type != k.typ || r.Target != k.target:
		// a target made of several parts (a lot's owner, SKU and lot) is
		// named with spaces, as a person reads it
		return Errf(CodeConflict, "key.other_request", "key", k.id, "type", r.Type, "target", strings.ReplaceAll(r.Target, "\x00", " "))
	case r.Digest != digest:
		return Errf(CodeConflict, "key.changed", "key", k.id)
	}
	return nil
}

// digestOf is the canonical digest of a request: SHA-256 of its JSON (Go's
// encoding writes struct fields in their declared order and map keys sorted).
func digestOf(request any) (string, error) {
	raw, err := json.Marshal(request)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:16]), nil
}

// keyLocks serialises the calls of one ID within this process (the only
// process that has the file open).
type keyLocks struct {
	mu sync.Mutex
	m  map[string]*keyLock
}

type keyLock struct {
	sync.Mutex
	users int
}

// lock takes the ID's lock and returns its release.
func (ks *keyLocks) lock(id string) func() {
	ks.mu.Lock()
	if ks.m == nil {
		ks.m = map[string]*keyLock{}
	}
	kl := ks.m[id]
	if kl == nil {
		kl = &keyLock{}
		ks.m[id] = kl
	}
	kl.users++
	ks.mu.Unlock()
	kl.Lock()
	return func() {
		kl.Unlock()
		ks.mu.Lock()
		if kl.users--; kl.users == 0 {
			delete(ks.m, id)
		}
		ks.mu.Unlock()
	}
}

// replayNote records, for one request's context, that a command answered
// with an earlier call's answer.
type replayNote struct {
	hit    atomic.Bool
	parent *replayNote // the request's note, told too
}

type replayNoteKey struct{}

// WithReplayNote returns a context in which Replayed can tell whether a
// command taking an ID answered from an earlier call of that ID.
func WithReplayNote(ctx context.Context) context.Context {
	return context.WithValue(ctx, replayNoteKey{}, &replayNote{})
}

// Replayed reports whether a command run with ctx (made by WithReplayNote)
// answered with the first answer of an ID seen before.
func Replayed(ctx context.Context) bool {
	n, ok := ctx.Value(replayNoteKey{}).(*replayNote)
	return ok && n.hit.Load()
}

func noteReplay(ctx context.Context) {
	n, _ := ctx.Value(replayNoteKey{}).(*replayNote)
	for ; n != nil; n = n.parent {
		n.hit.Store(true)
	}
}

// withOwnNote gives a context whose note is one command's own, for commands
// that say themselves whether they answered from an earlier call; the
// request's note (if any) learns of it too.
func withOwnNote(ctx context.Context) (context.Context, func() bool) {
	parent, _ := ctx.Value(replayNoteKey{}).(*replayNote)
	n := &replayNote{parent: parent}
	return context.WithValue(ctx, replayNoteKey{}, n), n.hit.Load
}

// keyedAppend runs a command whose request is its payload and whose answer
// is its event's payload as applied (with what was decided): decide sets the
// decisions on p before it is appended.
//
// owner is the owner whose event it is (ScopeOwner types; "" otherwise).
func keyedAppend[P any](ctx context.Context, l *Ledger, id, typ, owner, target string, p P, actor, device string, decide func(p *P)) (P, error) {
	k := keyed{id: id, typ: typ, target: target, actor: actor, request: p}
	return runKeyed(ctx, l, k, func() (Event, error) {
		if decide != nil {
			decide(&p)
		}
		return newOwnedEvent(id, typ, actor, device, owner, p)
	}, func(tx *txn, ev *Event) (P, error) {
		var out P
		err := decode(ev, &out)
		return out, err
	})
}
