package syncer

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"tally/wms"
)

// Pushing: the upstream's events after its cursor, in seq order, in batches
// of at most Batch events and BatchBytes (an event alone over it goes
// alone). Each answer acknowledges events by ID; the cursor moves to the
// last event of the acknowledged prefix of the batch, never past one
// without a result, and only once the answer was read (a crash before
// re-sends, answered duplicate).

// queued is an event for the upstream, in the JSON it is sent as.
type queued struct {
	seq  uint64
	id   string
	typ  string
	raw  []byte
	at   time.Time
	size int
	out  wms.Outward // the event as the upstream gets it (a Qimen upstream maps it to calls)
}

// pushResult is one event's result in a push answer.
type pushResult struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Code   string `json:"code"`
	Reason string `json:"reason"`
}

// outboxPage is how many outward events one read transaction considers.
const outboxPage = 1000

// count adds to the backlog what committed since it last counted.
func (k *link) count(up wms.Upstream) error {
	if up.NoPush {
		return nil
	}
	for {
		page, err := k.s.l.Outbox(k.counted, 5000)
		if err != nil {
			return err
		}
		n := 0
		var first time.Time
		for _, o := range page.Events {
			if _, ok := o.For(k.name, up.Owner); ok {
				if n == 0 {
					first = o.At
				}
				n++
			}
		}
		k.counted = page.Next
		if n > 0 {
			k.mu.Lock()
			if k.backlog == 0 {
				k.oldest = first
			}
			k.backlog += n
			if !k.draining && k.backlog >= drainFrom {
				k.draining, k.drainDone = true, 0
			}
			k.mu.Unlock()
		}
		if page.Next >= page.Last {
			return nil
		}
	}
}

// fill reads ahead into the queue, never past what was counted.
func (k *link) fill(up wms.Upstream) error {
	for len(k.queue) < k.s.o.Batch && k.scan < k.counted {
		page, err := k.s.l.Outbox(k.scan, outboxPage)
		if err != nil {
			return err
		}
		for _, o := range page.Events {
			if o.Seq > k.counted {
				break
			}
			o, ok := o.For(k.name, up.Owner)
			if !ok {
				continue
			}
			q, err := encode(o)
			if err != nil {
				return err
			}
			k.queue = append(k.queue, q)
		}
		k.scan = min(page.Next, k.counted)
	}
	k.mu.Lock()
	if len(k.queue) > 0 {
		k.oldest = k.queue[0].at
	}
	k.mu.Unlock()
	return nil
}

func encode(o wms.Outward) (queued, error) {
	raw, err := json.Marshal(o)
	if err != nil {
		return queued{}, err
	}
	return queued{seq: o.Seq, id: o.ID, typ: o.Type, raw: raw, at: o.At, size: len(raw), out: o}, nil
}

// cut is the next batch: a prefix of the queue.
func (k *link) cut() []queued {
	n, size := 0, len(`{"events":[]}`)
	for n < len(k.queue) && n < k.limit {
		size += k.queue[n].size + 1
		if n > 0 && size > k.s.o.BatchBytes {
			break
		}
		n++
	}
	return k.queue[:n]
}

func batchBody(batch []queued) []byte {
	var b bytes.Buffer
	b.WriteString(`{"events":[`)
	for i, q := range batch {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(q.raw)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// pushBatch sends one batch and records what its answer acknowledged.
// more says there is more to send at once.
func (k *link) pushBatch(ctx context.Context, up wms.Upstream) (more bool, err error) {
	if err := k.fill(up); err != nil {
		return false, err
	}
	if len(k.queue) == 0 {
		return false, nil
	}
	batch := k.cut()
	body := batchBody(batch)
	if len(body) > MaxBody { // one event that no request can carry
		return true, k.deadLetter(ctx, batch[0], "body.too_large", "the event is larger than a request may be ("+strconv.Itoa(MaxBody)+" bytes)")
	}
	a, err := k.exchange(ctx, http.MethodPost, "/events", "", body, MaxBody)
	if err != nil {
		return false, err
	}
	switch a.status {
	case http.StatusOK:
	case http.StatusBadRequest, http.StatusUnprocessableEntity, http.StatusRequestEntityTooLarge:
		f := k.fail("POST /events", a)
		k.setOnline(true)
		if len(batch) > 1 {
			k.limit = max(len(batch)/2, 1)
			return true, nil
		}
		code := cmp.Or(f.code, "http."+strconv.Itoa(a.status))
		return true, k.deadLetter(ctx, batch[0], code, cmp.Or(f.detail, http.StatusText(a.status)))
	default:
		return false, k.fail("POST /events", a)
	}
	results, err := decodeResults(a.body)
	if err != nil {
		return false, &failure{msg: "POST /events: " + err.Error(), online: true}
	}
	n, dead := 0, []wms.DeadLetter(nil)
prefix:
	for _, q := range batch {
		r, ok := results[q.id]
		if !ok {
			break
		}
		switch r.Status {
		case "accepted", "duplicate":
		case "rejected":
			dead = append(dead, wms.DeadLetter{Seq: q.seq, ID: q.id, Type: q.typ,
				Code: cmp.Or(clip(r.Code, 64), "rejected"), Reason: clip(r.Reason, maxErrorText)})
		default:
			break prefix // not a result this side knows: not acknowledged
		}
		n++
	}
	if n == 0 {
		return false, &failure{msg: "POST /events: the answer did not acknowledge the batch's first event (" + batch[0].id + ")", online: true}
	}
	if err := k.acked(ctx, batch[:n], dead); err != nil {
		return false, err
	}
	k.succeeded()
	k.limit = min(k.limit*2, k.s.o.Batch)
	return len(k.queue) > 0 || k.scan < k.counted, nil
}

// decodeResults reads a push answer's results by event ID.
func decodeResults(body []byte) (map[string]pushResult, error) {
	var ans struct {
		Results *[]pushResult `json:"results"`
	}
	if err := json.Unmarshal(body, &ans); err != nil || ans.Results == nil {
		return nil, errNotResults
	}
	out := make(map[string]pushResult, len(*ans.Results))
	for _, r := range *ans.Results {
		out[r.ID] = r
	}
	return out, nil
}

var errNotResults = errorString(`the answer is not {"results": [...]}`)

type errorString string

func (e errorString) Error() string { return string(e) }

// acked records an acknowledged prefix of the queue.
func (k *link) acked(ctx context.Context, prefix []queued, dead []wms.DeadLetter) error {
	through := prefix[len(prefix)-1].seq
	if err := k.s.l.RecordAck(ctx, wms.SyncAck{Upstream: k.name, Through: through, Acked: len(prefix), Dead: dead}); err != nil {
		return err
	}
	k.queue = k.queue[len(prefix):]
	for _, d := range dead {
		k.s.log.Warn("sync: dead letter", "upstream", k.name, "seq", d.Seq, "type", d.Type, "code", d.Code)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.backlog = max(k.backlog-len(prefix), 0)
	if k.draining {
		k.drainDone += len(prefix)
	}
	switch {
	case len(k.queue) > 0:
		k.oldest = k.queue[0].at
	case k.backlog == 0:
		k.oldest, k.draining, k.drainDone = time.Time{}, false, 0
	}
	return nil
}

// deadLetter records one event the upstream will never take as it stands.
func (k *link) deadLetter(ctx context.Context, q queued, code, reason string) error {
	k.limit = k.s.o.Batch
	return k.acked(ctx, []queued{q}, []wms.DeadLetter{{Seq: q.seq, ID: q.id, Type: q.typ, Code: code, Reason: reason}})
}

// outwardAt is the event at seq and what up gets of it (ok false: nothing,
// now: another owner's, or no longer outward).
func (k *link) outwardAt(seq uint64, up wms.Upstream) (wms.Event, wms.Outward, bool, error) {
	ev, err := k.s.l.EventAt(seq)
	if err != nil {
		return ev, wms.Outward{}, false, err
	}
	o, ok, err := k.s.l.Outward(ev)
	if err != nil || !ok {
		return ev, o, false, err
	}
	o, ok = o.For(k.name, up.Owner)
	return ev, o, ok, nil
}

// pushRetries sends the dead letters a supervisor asked to retry, each
// alone, before the stream: taken now, it is resolved; refused again, it
// stays a dead letter with one more attempt.
func (k *link) pushRetries(ctx context.Context, up wms.Upstream, retry []wms.DeadLetter) error {
	for _, d := range retry {
		_, o, ok, err := k.outwardAt(d.Seq, up)
		if err != nil {
			return err
		}
		if !ok { // it no longer goes to this upstream
			if err := k.s.l.RecordAck(ctx, wms.SyncAck{Upstream: k.name, Resolved: []uint64{d.Seq}}); err != nil {
				return err
			}
			continue
		}
		q, err := encode(o)
		if err != nil {
			return err
		}
		a, err := k.exchange(ctx, http.MethodPost, "/events", "", batchBody([]queued{q}), MaxBody)
		if err != nil {
			return err
		}
		ack := wms.SyncAck{Upstream: k.name}
		again := func(code, reason string) {
			ack.Dead = []wms.DeadLetter{{Seq: d.Seq, ID: d.ID, Type: d.Type, Code: code, Reason: reason}}
		}
		switch a.status {
		case http.StatusOK:
			results, err := decodeResults(a.body)
			if err != nil {
				return &failure{msg: "POST /events: " + err.Error(), online: true}
			}
			r, found := results[q.id]
			switch {
			case found && (r.Status == "accepted" || r.Status == "duplicate"):
				ack.Resolved = []uint64{d.Seq}
			case found && r.Status == "rejected":
				again(cmp.Or(clip(r.Code, 64), "rejected"), clip(r.Reason, maxErrorText))
			default:
				return &failure{msg: "POST /events: the answer did not acknowledge the retried event (" + q.id + ")", online: true}
			}
		case http.StatusBadRequest, http.StatusUnprocessableEntity, http.StatusRequestEntityTooLarge:
			f := k.fail("POST /events", a)
			again(cmp.Or(f.code, "http."+strconv.Itoa(a.status)), cmp.Or(f.detail, http.StatusText(a.status)))
		default:
			return k.fail("POST /events", a)
		}
		if err := k.s.l.RecordAck(ctx, ack); err != nil {
			return err
		}
		if len(ack.Dead) > 0 {
			k.s.log.Warn("sync: dead letter refused again", "upstream", k.name, "seq", d.Seq, "code", ack.Dead[0].Code)
		}
		k.succeeded()
	}
	return nil
}
