package wms

import (
	"time"

	bolt "go.etcd.io/bbolt"
)

// Hot records kept decoded across a chunk. Within a chunk of a replay the
// same orders and tasks are read and written again and again (every pick
// reads and writes its task and its order; a pack scan, a parcel and a
// shipment read the order again). Through the overlay alone each read
// decoded the stored bytes and each write encoded them anew. The overlay
// therefore also holds, beside an order's or a task's entry, its decoded
// form (typedRec):
//
//   - a write (putOrder, putTask) keeps a copy of the record as decoding its
//     bytes would give it (normOrder, normTask: the same strings, every
//     slice and pointer its own, empty lists nil, instants in UTC without a
//     monotonic reading), not its bytes: the entry is stale;
//   - a read of a record the chunk has decoded or written is answered with
//     a copy of that form (getOrder, lookupTask), not by decoding;
//   - a read of a record held only as bytes decodes them, and from the
//     second read in a chunk on keeps the decoded form too;
//   - the bytes are made (encodeOrder, encodeTask) once, when the entry is
//     written to bbolt (the chunk's flush, a spill, an iteration) or read
//     as bytes (Get) — so a record written by many events of a chunk is
//     encoded once.
//
// The appliers' code is unchanged: they get and put records as live. The
// bytes are the same (TestReplayTypedSame rebuilds with and without, and
// TestNormMatchesCodec checks that a kept copy equals its bytes decoded).
// The decoded records an overlay holds are bounded by an estimate of their
// size (overlayTypedMax); past it records are encoded when written and
// decoded when read, as before.

// replayTyped turns the decoded records on (a variable so that tests and
// the benchmark can compare with it off; TALLY_REPLAY_TYPED=0).
var replayTyped = true

// overlayTypedMax bounds the size of the decoded records an overlay holds,
// in bytes as typedRec.size estimates them (an order or a task decoded is a
// few hundred bytes to a few kilobytes); a variable so that tests can make
// it small.
var overlayTypedMax = 64 << 20

// typedRec is a record held decoded; encode gives its stored bytes, size
// an estimate of the memory it holds (its strings are shared with the
// events and the records they came from, and counted there).
type typedRec interface {
	encode() []byte
	size() int
}

type orderRec struct{ o Order }

func (r *orderRec) encode() []byte { return encodeOrder(&r.o) }

func (r *orderRec) size() int {
	n := 320 + 48*len(r.o.PlatformOrderIDs) + 48*len(r.o.Steps)
	for _, l := range r.o.Lines {
		n += 160 + 56*len(l.Parts) + 88*len(l.Allocs)
	}
	return n
}

type taskRec struct{ t Task }

func (r *taskRec) encode() []byte { return encodeTask(&r.t) }

func (r *taskRec) size() int {
	n := 320 + 48*len(r.t.Orders)
	for _, l := range r.t.Lines {
		n += 200 + 16*len(l.GTINs)
	}
	for _, p := range r.t.Picks {
		n += 104 + 16*len(p.Serials)
	}
	return n
}

// typed says whether the bucket's records may be held decoded now.
func (b *bucket) typed() bool { return replayTyped && b.on() }

// cached is the decoded form the overlay holds for key (rec nil when none);
// held says the overlay holds the key's bytes already (a second read).
func (b *bucket) cached(key []byte) (rec typedRec, held bool) {
	if !b.typed() {
		return nil, false
	}
	e, held := b.ov.entries[string(key)]
	if held && e.rec != nil {
		b.ov.o.hits++
		b.ov.o.typedHits++
		return e.rec, true
	}
	return nil, held && e.v != nil
}

// keep holds rec, the decoded form of the bytes the overlay holds for key.
func (b *bucket) keep(key []byte, rec typedRec) {
	if !b.typed() {
		return
	}
	ob := b.ov
	e, held := ob.entries[string(key)]
	if !held || e.rec != nil || e.v == nil {
		return
	}
	if ob.o.typed >= overlayTypedMax {
		ob.o.typedFull++
		return
	}
	e.rec = rec
	ob.entries[string(key)] = e
	ob.typed += rec.size()
	ob.o.typed += rec.size()
	ob.o.typedPeak = max(ob.o.typedPeak, ob.o.typed)
}

// putRec is Put of rec's bytes, held decoded until they are needed. It
// returns false when the record is not held so (the caller then puts its
// bytes): no overlay, or overlayTypedMax records held.
func (b *bucket) putRec(key []byte, rec typedRec) bool {
	if !b.typed() || !b.Writable() || len(key) == 0 || len(key) > bolt.MaxKeySize {
		return false
	}
	ob := b.ov
	e, held := ob.entries[string(key)]
	if e.rec == nil && ob.o.typed >= overlayTypedMax {
		ob.o.typedFull++
		return false
	}
	if e.rec != nil {
		ob.typed -= e.rec.size()
		ob.o.typed -= e.rec.size()
	}
	ob.typed += rec.size()
	ob.o.typed += rec.size()
	ob.o.typedPeak = max(ob.o.typedPeak, ob.o.typed)
	if !e.dirty {
		ob.dirty++
	}
	ob.entries[string(key)] = overlayEntry{rec: rec, stale: true, dirty: true}
	ob.o.typedPuts++
	if !held {
		ob.o.n++
		ob.o.spillIfFull()
	}
	return true
}

// bytes is the entry's value, encoding a record held decoded.
func (e *overlayEntry) bytes() []byte {
	if e.stale {
		e.v, e.stale = e.rec.encode(), false
	}
	return e.v
}

// normTime is t as the projections' codec reads it back.
func normTime(t time.Time) time.Time {
	return time.Unix(t.Unix(), int64(t.Nanosecond())).UTC()
}

func normTimePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	n := normTime(*t)
	return &n
}

// normStrs is a list of strings as the codec reads it back (projDec.strs).
func normStrs(ss []string) []string {
	if len(ss) == 0 {
		return nil
	}
	return append([]string(nil), ss...)
}

// normOrder is a copy of o as decodeOrder(encodeOrder(o)) gives it.
func normOrder(o *Order) Order {
	c := *o
	c.PlatformOrderIDs = normStrs(o.PlatformOrderIDs)
	if o.Lines != nil {
		c.Lines = make([]OrderLine, len(o.Lines))
		for i := range o.Lines {
			l := o.Lines[i]
			if len(l.Parts) == 0 {
				l.Parts = nil
			} else {
				l.Parts = append([]LinePart(nil), l.Parts...)
			}
			if len(l.Allocs) == 0 {
				l.Allocs = nil
			} else {
				l.Allocs = append([]Alloc(nil), l.Allocs...)
			}
			c.Lines[i] = l
		}
	}
	c.ShipBy = normTimePtr(o.ShipBy)
	c.Received, c.Updated = normTime(o.Received), normTime(o.Updated)
	if len(o.Steps) == 0 {
		c.Steps = nil
	} else {
		c.Steps = make([]OrderStep, len(o.Steps))
		for i, s := range o.Steps {
			c.Steps[i] = OrderStep{Step: s.Step, At: normTime(s.At)}
		}
	}
	return c
}

// normTask is a copy of t as decodeTask(encodeTask(t)) gives it.
func normTask(t *Task) Task {
	c := *t
	if len(t.Orders) == 0 {
		c.Orders = nil
	} else {
		c.Orders = append([]TaskOrder(nil), t.Orders...)
	}
	if len(t.Lines) == 0 {
		c.Lines = nil
	} else {
		c.Lines = make([]TaskLine, len(t.Lines))
		for i := range t.Lines {
			l := t.Lines[i]
			l.GTINs = normStrs(l.GTINs)
			c.Lines[i] = l
		}
	}
	c.Created = normTime(t.Created)
	c.Started, c.Finished = normTimePtr(t.Started), normTimePtr(t.Finished)
	if len(t.Picks) == 0 {
		c.Picks = nil
	} else {
		c.Picks = make([]PickRecord, len(t.Picks))
		for i := range t.Picks {
			p := t.Picks[i]
			p.Serials = normStrs(p.Serials)
			c.Picks[i] = p
		}
	}
	return c
}
