package wms

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// The log as a feed: events in sequence order after a cursor, a page at a
// time, each page read with a cursor in one read transaction of its own (the
// log is never loaded whole). A reader with nothing new waits for the next
// commit that appends events; nothing polls.

// FeedQuery asks for the events after a cursor.
type FeedQuery struct {
	// After is the cursor: events with a higher sequence number are returned.
	// 0 reads from the start of the log.
	After uint64
	// Limit is the most events one page holds: 0 means FeedDefaultLimit; at
	// most FeedMaxLimit.
	Limit int
	// Types keeps only these event types (none: every type).
	Types []string
	// Owner keeps only the events OwnerOf says are this owner's. Warehouse
	// and mixed events (staff, logins, locations, waves, whole files, counts
	// ...) have no owner and are never returned under an owner filter; an
	// owner's event written before owners existed is DefaultOwner's.
	Owner string
}

// FeedPage is one page of the feed.
type FeedPage struct {
	Events []Event
	// Next is the cursor to pass as After next time. It is the sequence
	// number of the last event the page considered: the last one returned,
	// or, when filters skipped events, the last one skipped (so the next read
	// does not walk them again). It never passes an event not yet considered.
	Next uint64
	// LastSeq is the log's newest sequence number when the page was read.
	LastSeq uint64
}

const (
	FeedDefaultLimit = 100
	FeedMaxLimit     = 1000
	// feedScanMax is how many events an owner filter may look at and skip in
	// one page; past it the page returns short (Next says how far it got),
	// so one request never walks the whole log.
	feedScanMax = 10_000
)

// feedSecrets are the payload fields the feed leaves out, per event type:
// PIN hashes, session hashes and token hashes never leave the ledger. The
// events themselves stay in the feed (who logged in, whose PIN changed, which
// token was made), so a reader's count of the log is whole.
var feedSecrets = map[string][]string{
	EvStaffUpserted:  {"pin_hash"},
	EvImported:       {"pin_hash"}, // a staff file's rows
	EvLoginSucceeded: {"session_hash"},
	EvLoggedOut:      {"session_hash"},
	EvPINChanged:     {"pin_hash"},
	EvTokenCreated:   {"hash"},
	EvUpstreamSaved:  {"token", "secret", "clear_secret", "session"},
}

// check validates the query and fills in the default limit.
func (q *FeedQuery) check() error {
	switch {
	case q.Limit == 0:
		q.Limit = FeedDefaultLimit
	case q.Limit < 1 || q.Limit > FeedMaxLimit:
		return Errf(CodeInvalid, "feed.limit_invalid", "limit", strconv.Itoa(q.Limit), "max", strconv.Itoa(FeedMaxLimit))
	}
	seen := map[string]bool{}
	types := q.Types[:0:0]
	for _, t := range q.Types {
		if _, ok := specs[t]; !ok {
			return Errf(CodeInvalid, "feed.type_unknown", "type", t)
		}
		if !seen[t] {
			seen[t] = true
			types = append(types, t)
		}
	}
	q.Types = types
	if len(q.Owner) > 64 || (q.Owner != "" && !validText(q.Owner)) {
		return Errf(CodeInvalid, "feed.owner_invalid", "owner", q.Owner)
	}
	return nil
}

// Feed reads one page of events after q.After, oldest first.
func (l *Ledger) Feed(q FeedQuery) (FeedPage, error) {
	if err := q.check(); err != nil {
		return FeedPage{}, err
	}
	var page FeedPage
	err := l.view(func(tx *txn) error {
		var err error
		page, err = feedPage(tx, q)
		return err
	})
	return page, err
}

// WaitFeed is Feed that, when the page would be empty, waits for the next
// commit that appends events and reads again, until ctx is done. It then
// returns the empty page (its Next may have moved past events the filters
// skipped meanwhile) and no error.
func (l *Ledger) WaitFeed(ctx context.Context, q FeedQuery) (FeedPage, error) {
	if err := q.check(); err != nil {
		return FeedPage{}, err
	}
	for {
		// Take the bell before reading: a commit between the read and the
		// wait rings this bell, so it is never missed.
		bell := l.Committed()
		page, err := l.Feed(q)
		if err != nil || len(page.Events) > 0 {
			return page, err
		}
		q.After = page.Next
		if page.Next < page.LastSeq {
			if ctx.Err() != nil { // (many short pages over the archive: the wait bounds them)
				return page, nil
			}
			continue // a filter stopped short of the end: read on without waiting
		}
		select {
		case <-bell:
		case <-ctx.Done():
			return page, nil
		}
	}
}

// Committed returns a channel that is closed when the next write transaction
// that appends events has committed (durable and visible to new reads).
func (l *Ledger) Committed() <-chan struct{} {
	l.bell.Lock()
	defer l.bell.Unlock()
	if l.bell.ch == nil {
		l.bell.ch = make(chan struct{})
	}
	return l.bell.ch
}

// commitBell wakes every reader waiting for new events: each commit closes
// the current channel and puts a new one in its place.
type commitBell struct {
	sync.Mutex
	ch chan struct{}
}

// ring is called after a commit that appended events.
func (b *commitBell) ring() {
	b.Lock()
	if b.ch != nil {
		close(b.ch)
		b.ch = nil
	}
	b.Unlock()
}

func feedPage(tx *txn, q FeedQuery) (FeedPage, error) {
	events := tx.Bucket(bucketEvents)
	last := events.Sequence()
	if q.After > last {
		// A cursor from another store (or from before a restore): saying so
		// beats waiting for events that will come with other numbers.
		return FeedPage{}, Errf(CodeInvalid, "feed.after_beyond", "after", strconv.FormatUint(q.After, 10), "last", strconv.FormatUint(last, 10))
	}
	page := FeedPage{Events: []Event{}, Next: q.After, LastSeq: last}
	skipped := 0
	next, archErr, archStopped := withArchived(tx, q, &skipped, seqSource) // archived events first (eventarchive_feed.go)
	for len(page.Events) < q.Limit {
		seq, raw, ok := next()
		if err := archErr(); err != nil {
			return page, err
		}
		if at, short := archStopped(); short {
			page.Next = at // the archived events of other types passed over reached feedScanMax
			break
		}
		if !ok {
			page.Next = last // every event up to the newest has been considered
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
		if q.Owner != "" && OwnerOf(ev) != q.Owner {
			if skipped++; skipped >= feedScanMax {
				break
			}
			continue
		}
		if err := redactSecrets(&ev); err != nil {
			return page, err
		}
		page.Events = append(page.Events, ev)
	}
	return page, nil
}

// seqSource yields the events after q.After in sequence order: every event
// from the log itself, or, for a list of types, a merge of the by-type index
// of each (so a rare type is found without reading the others).
func seqSource(tx *txn, q FeedQuery) func() (seq uint64, raw []byte, ok bool) {
	events := tx.Bucket(bucketEvents)
	if len(q.Types) == 0 {
		c := events.Cursor()
		k, v := c.Seek(seqKey(q.After + 1))
		return func() (uint64, []byte, bool) {
			if k == nil {
				return 0, nil, false
			}
			seq, raw := seqFromKey(k), v
			k, v = c.Next()
			return seq, raw, true
		}
	}
	type head struct {
		c      *bolt.Cursor
		prefix []byte
		seq    uint64
		ok     bool
	}
	heads := make([]*head, len(q.Types))
	advance := func(h *head, k []byte) {
		h.ok = k != nil && bytes.HasPrefix(k, h.prefix)
		if h.ok {
			h.seq = seqFromKey(k[len(h.prefix):])
		}
	}
	for i, typ := range q.Types {
		h := &head{c: tx.Bucket(bucketByType).Cursor(), prefix: prefixKey(typ)}
		k, _ := h.c.Seek(byTypeKey(typ, q.After+1))
		advance(h, k)
		heads[i] = h
	}
	return func() (uint64, []byte, bool) {
		var low *head
		for _, h := range heads {
			if h.ok && (low == nil || h.seq < low.seq) {
				low = h
			}
		}
		if low == nil {
			return 0, nil, false
		}
		seq := low.seq
		k, _ := low.c.Next()
		advance(low, k)
		return seq, events.Get(seqKey(seq)), true
	}
}

// redactSecrets takes the feedSecrets fields out of an event's payload,
// wherever they are nested.
func redactSecrets(ev *Event) error {
	keys := feedSecrets[ev.Type]
	if len(keys) == 0 {
		return nil
	}
	if !slices.ContainsFunc(keys, func(k string) bool { return bytes.Contains(ev.Data, []byte(`"`+k+`"`)) }) {
		return nil
	}
	d := json.NewDecoder(bytes.NewReader(ev.Data))
	d.UseNumber() // numbers pass through as written
	var v any
	if err := d.Decode(&v); err != nil {
		return err
	}
	var drop func(v any)
	drop = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for _, k := range keys {
				delete(x, k)
			}
			for _, y := range x {
				drop(y)
			}
		case []any:
			for _, y := range x {
				drop(y)
			}
		}
	}
	drop(v)
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	ev.Data = raw
	return nil
}
