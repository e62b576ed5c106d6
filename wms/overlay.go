package wms

import (
	"bytes"
	"slices"
	"strings"
	"unsafe"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// A replay applies thousands of events in one transaction, and nearly every
// record an event writes it has read first: in bbolt each is found by a Get
// and found again by its Put, and the Puts land in random order in the
// middle of pages that then split and are rewritten. While a replay applies
// a chunk (replay.go), the projections' buckets are therefore served by a
// write-back overlay under the bucket API the appliers use (txn.Bucket):
//
//   - a Get is answered from the overlay when it holds the key, else from
//     bbolt (and the answer is kept);
//   - a Put or Delete only changes the overlay;
//   - at the chunk's end (before its commit) every bucket's changes are
//     written to bbolt in key order (replayState.flush), so bbolt sees
//     sorted inserts, and a record written by many events of a chunk is
//     written once;
//   - it is emptied at each commit, so it holds one chunk's records at
//     most (keeping them across chunks, as a cache of hot records, measured
//     slower: the collector scanned the big maps again and again);
//   - and it holds overlayMaxEntries records at most: a chunk that reads or
//     writes more (an archiving run's events remove hundreds of thousands
//     of records each) writes its changes to bbolt, in key order, and goes
//     on with an empty overlay in the same transaction (spill), so a
//     replay's memory stays bounded whatever one event touches.
//
// A cursor or ForEach on an overlaid bucket first writes that bucket's
// changes to bbolt and turns the overlay off for that bucket until the
// chunk's end, so an iteration sees every record as written, and whatever
// it changes through the cursor goes straight to bbolt. The appliers'
// code is the same as live (one event a transaction, no overlay), so a
// rebuild writes the same bytes (Check proves it; TestReplayOverlaySame
// compares a rebuild with and without it).
//
// Only the projections are overlaid (derivedBuckets), and not the two
// index buckets a replay already writes in key order (replayState.index).

// replayOverlay turns the overlay on for replays (a variable so that tests
// and the benchmark can compare with it off; TALLY_REPLAY_OVERLAY=0).
var replayOverlay = true

type overlay struct {
	buckets map[string]*overlayBucket
	// handles: the buckets txn.Bucket gave out in transaction tx
	tx      *bolt.Tx
	handles map[string]*bucket
	// counts for the benchmark's log: entries written at flushes, Gets
	// answered from the overlay and from bbolt, and buckets turned off by
	// an iteration
	flushed, hits, misses, offs, spills int
	offBy                               map[string]int
	err                                 error // a write an iteration or a spill made failed
	n                                   int   // records held, every bucket
	// typed: the size of the records held decoded (their estimates, every
	// bucket: overlay_typed.go); and the counts of reads answered and
	// writes kept decoded
	typed, typedHits, typedPuts int
	typedPeak, typedFull        int // the most held; records not held for the bound
}

// overlayMaxEntries bounds the records an overlay holds (about 100 bytes
// each with the map's own: some 25 MB); a variable so that tests can make it
// small.
var overlayMaxEntries = 250_000

type overlayBucket struct {
	o       *overlay
	name    string
	entries map[string]overlayEntry
	dirty   int
	typed   int  // the size of the records held decoded (estimates)
	off     bool // an iteration turned the overlay off until the chunk's end
	// cur is a cursor of bucket curOf kept for the Gets from bbolt (each
	// new cursor allocated itself and its stack again)
	cur   *bolt.Cursor
	curOf *bolt.Bucket
}

// overlayEntry is a record as the chunk has it. Its bytes are valid for the
// chunk's transaction, as bbolt's are: a value read is bbolt's own (the
// file's pages do not move before the commit), a value put is the caller's,
// which bbolt too keeps until the commit.
//
// rec is the record decoded, for the kinds held so (overlay_typed.go); when
// stale, v is not made yet (nil) and the value is rec's encoding.
type overlayEntry struct {
	v     []byte // nil: no such key (deleted, or absent in bbolt)
	dirty bool   // changed in this chunk, not yet in bbolt
	rec   typedRec
	stale bool
}

var overlaid = func() map[string]bool {
	m := map[string]bool{}
	for _, b := range derivedBuckets {
		m[string(b)] = true
	}
	delete(m, string(bucketByType))
	delete(m, string(bucketLotEvents))
	return m
}()

func newOverlay() *overlay {
	return &overlay{buckets: map[string]*overlayBucket{}, handles: map[string]*bucket{}, offBy: map[string]int{}}
}

// handle is txn.Bucket during a replay: one handle a bucket a transaction.
func (o *overlay) handle(tx *bolt.Tx, name []byte) *bucket {
	if tx != o.tx {
		o.tx = tx
		clear(o.handles)
	} else if h, ok := o.handles[string(name)]; ok {
		return h
	}
	b := fillBucket(tx, name)
	if b == nil {
		return nil
	}
	h := &bucket{Bucket: b, ov: o.bucket(name)}
	o.handles[string(name)] = h
	return h
}

// bucket is the overlay of the bucket name, or nil when that bucket is not
// overlaid (one turned off by an iteration is still given: see on).
func (o *overlay) bucket(name []byte) *overlayBucket {
	if ob, ok := o.buckets[string(name)]; ok {
		return ob
	}
	if !overlaid[string(name)] {
		return nil
	}
	ob := &overlayBucket{o: o, name: string(name), entries: map[string]overlayEntry{}}
	o.buckets[ob.name] = ob
	return ob
}

// bucket is a bbolt bucket as the ledger's code uses it (txn.Bucket): bbolt's
// own, through the replay's overlay while a replay applies a chunk.
type bucket struct {
	*bolt.Bucket
	ov *overlayBucket // nil: straight to bbolt
}

func (b *bucket) on() bool { return b.ov != nil && !b.ov.off }

// Get is bbolt's Get (the value is valid while the transaction is, and must
// not be changed).
func (b *bucket) Get(key []byte) []byte {
	if !b.on() {
		return b.Bucket.Get(key)
	}
	v, _ := b.ov.get(b.Bucket, key)
	return v
}

// lookup is Get that tells an empty value from a missing key.
func (b *bucket) lookup(key []byte) (v []byte, found bool) {
	if !b.on() {
		k, v := b.Bucket.Cursor().Seek(key)
		return v, k != nil && bytes.Equal(k, key)
	}
	return b.ov.get(b.Bucket, key)
}

func (ob *overlayBucket) get(bb *bolt.Bucket, key []byte) ([]byte, bool) {
	o := ob.o
	if e, ok := ob.entries[string(key)]; ok {
		o.hits++
		if e.stale {
			v := e.bytes()
			ob.entries[string(key)] = e
			return v, true
		}
		return e.v, e.v != nil
	}
	o.misses++
	// a cursor, not Get: bbolt's Get answers nil for a nested bucket too
	// (projections have none; a value is never nil once found). A Seek
	// searches from the bucket's root whatever the cursor did before.
	if ob.curOf != bb {
		ob.cur, ob.curOf = bb.Cursor(), bb
	}
	k, v := ob.cur.Seek(key)
	if k == nil || !bytes.Equal(k, key) {
		v = nil
	} else if v == nil {
		v = []byte{}
	}
	ob.entries[string(key)] = overlayEntry{v: v}
	o.n++
	o.spillIfFull()
	return v, v != nil
}

// Put is bbolt's Put, with its checks.
func (b *bucket) Put(key, value []byte) error {
	if !b.on() {
		return b.Bucket.Put(key, value)
	}
	switch {
	case !b.Writable():
		return berrors.ErrTxNotWritable
	case len(key) == 0:
		return berrors.ErrKeyRequired
	case len(key) > bolt.MaxKeySize:
		return berrors.ErrKeyTooLarge
	case int64(len(value)) > bolt.MaxValueSize:
		return berrors.ErrValueTooLarge
	}
	if value == nil {
		value = []byte{} // a value, not a deleted key
	}
	b.ov.set(key, value)
	return nil
}

// Delete is bbolt's Delete.
func (b *bucket) Delete(key []byte) error {
	if !b.on() {
		return b.Bucket.Delete(key)
	}
	if !b.Writable() {
		return berrors.ErrTxNotWritable
	}
	b.ov.set(key, nil)
	return nil
}

func (ob *overlayBucket) set(key, v []byte) {
	e, held := ob.entries[string(key)]
	if !e.dirty {
		ob.dirty++
	}
	if e.rec != nil {
		ob.typed -= e.rec.size()
		ob.o.typed -= e.rec.size()
	}
	ob.entries[string(key)] = overlayEntry{v: v, dirty: true}
	if !held {
		ob.o.n++
		ob.o.spillIfFull()
	}
}

// spillIfFull writes every bucket's changes to bbolt and empties the
// overlay when it holds more than overlayMaxEntries records. The values
// handed out stay valid: they are bbolt's or the callers' bytes, valid for
// the transaction, as at the chunk's end.
func (o *overlay) spillIfFull() {
	if o.n <= overlayMaxEntries || o.tx == nil {
		return
	}
	o.spills++
	for name, ob := range o.buckets {
		if ob.off || len(ob.entries) == 0 {
			continue
		}
		var bb *bolt.Bucket
		if h, ok := o.handles[name]; ok {
			bb = h.Bucket
		} else {
			bb = fillBucket(o.tx, []byte(name))
		}
		if bb == nil {
			if o.err == nil {
				o.err = berrors.ErrBucketNotFound
			}
			continue
		}
		if err := ob.write(bb); err != nil && o.err == nil {
			o.err = err // the flush reports it, failing the chunk
		}
	}
}

// Cursor is bbolt's Cursor over every record as written: the bucket's
// changes go to bbolt first, and the overlay stays off for this bucket until
// the chunk's end.
func (b *bucket) Cursor() *bolt.Cursor {
	b.iterate()
	return b.Bucket.Cursor()
}

// ForEach is bbolt's ForEach, as Cursor.
func (b *bucket) ForEach(fn func(k, v []byte) error) error {
	b.iterate()
	return b.Bucket.ForEach(fn)
}

func (b *bucket) iterate() {
	if !b.on() {
		return
	}
	ob := b.ov
	o := ob.o
	o.offs++
	o.offBy[ob.name]++
	ob.off = true
	if err := ob.write(b.Bucket); err != nil && o.err == nil {
		o.err = err // the flush reports it, failing the chunk
	}
}

// write puts the bucket's changes into bbolt, in key order, and empties
// the bucket's overlay.
func (ob *overlayBucket) write(bb *bolt.Bucket) error {
	defer func() {
		ob.o.n -= len(ob.entries)
		ob.o.typed -= ob.typed
		clear(ob.entries) // keeps the map's room for the next chunk
		ob.dirty, ob.typed = 0, 0
	}()
	if ob.dirty == 0 {
		return nil
	}
	type kv struct {
		k string
		v []byte
	}
	recs := make([]kv, 0, ob.dirty)
	for k, e := range ob.entries {
		if e.dirty {
			recs = append(recs, kv{k, e.bytes()})
		}
	}
	slices.SortFunc(recs, func(a, b kv) int { return strings.Compare(a.k, b.k) })
	for _, r := range recs {
		var err error
		// the key's own bytes, not a copy: the map's key string is never
		// changed, and bbolt only reads a key it is given
		k := unsafe.Slice(unsafe.StringData(r.k), len(r.k))
		if r.v == nil {
			err = bb.Delete(k)
		} else {
			err = bb.Put(k, r.v)
		}
		if err != nil {
			return err
		}
	}
	ob.o.flushed += len(recs)
	return nil
}

// flush writes every bucket's changes to tx's buckets, before the chunk's
// commit, and turns every bucket's overlay on again for the next chunk.
func (o *overlay) flush(tx *bolt.Tx) error {
	if o.err != nil {
		return o.err
	}
	for name, ob := range o.buckets {
		ob.off = false
		ob.cur, ob.curOf = nil, nil // the transaction's: it ends
		if ob.dirty == 0 {
			o.n -= len(ob.entries)
			o.typed -= ob.typed
			clear(ob.entries)
			ob.typed = 0
			continue
		}
		bb := fillBucket(tx, []byte(name))
		if bb == nil {
			return berrors.ErrBucketNotFound
		}
		if err := ob.write(bb); err != nil {
			return err
		}
	}
	o.tx = nil
	clear(o.handles)
	return nil
}

// reset forgets everything (after a chunk that failed: its transaction is
// rolled back).
func (o *overlay) reset() {
	clear(o.buckets)
	o.n, o.typed = 0, 0
	o.tx = nil
	clear(o.handles)
	o.err = nil
}
