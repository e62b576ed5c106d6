package wms

import (
	"bytes"
	"slices"

	bolt "go.etcd.io/bbolt"
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
//     sorted inserts, and each page is rewritten once a chunk;
//   - what the overlay holds stays after the commit as a read cache of the
//     committed records (hot stock, tasks, orders), up to overlayMaxBytes.
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

// overlayMaxBytes bounds what the overlay keeps across chunks: after a
// chunk's flush, an overlay holding more is emptied (it fills again with
// what the next chunks read). Within a chunk it holds what the chunk wrote
// and read, bounded by the chunk's size.
const overlayMaxBytes = 96 << 20

// overlayEntryCost is what an entry costs beside its key and value bytes
// (map slot, string and slice headers), for the bound above.
const overlayEntryCost = 64

type overlay struct {
	buckets map[string]*overlayBucket
	bytes   int // approximate size of every bucket's entries
	// counts for the benchmark's log: entries written at flushes, Gets
	// answered from the overlay and from bbolt, and buckets turned off by
	// an iteration
	flushed, hits, misses, offs int
	offBy                       map[string]int
	err                         error // a write an iteration made failed
}

type overlayBucket struct {
	o       *overlay
	name    string
	entries map[string]overlayEntry
	dirty   int
	off     bool // an iteration turned the overlay off until the chunk's end
}

type overlayEntry struct {
	v     []byte // nil: no such key (deleted, or absent in bbolt)
	dirty bool   // changed in this chunk, not yet in bbolt
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
	return &overlay{buckets: map[string]*overlayBucket{}, offBy: map[string]int{}}
}

// bucket is the overlay of the bucket name, or nil when that bucket is not
// overlaid (or not for the rest of this chunk).
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
		return e.v, e.v != nil
	}
	o.misses++
	// a cursor, not Get: bbolt's Get answers nil for a nested bucket too
	// (projections have none; a value is never nil once found)
	k, v := bb.Cursor().Seek(key)
	if k == nil || !bytes.Equal(k, key) {
		v = nil
	} else {
		v = bytes.Clone(v)
		if v == nil {
			v = []byte{}
		}
	}
	ob.entries[string(key)] = overlayEntry{v: v}
	o.bytes += len(key) + len(v) + overlayEntryCost
	return v, v != nil
}

// Put is bbolt's Put, with its checks.
func (b *bucket) Put(key, value []byte) error {
	if !b.on() {
		return b.Bucket.Put(key, value)
	}
	switch {
	case !b.Writable():
		return bolt.ErrTxNotWritable
	case len(key) == 0:
		return bolt.ErrKeyRequired
	case len(key) > bolt.MaxKeySize:
		return bolt.ErrKeyTooLarge
	case int64(len(value)) > bolt.MaxValueSize:
		return bolt.ErrValueTooLarge
	}
	v := make([]byte, len(value))
	copy(v, value)
	b.ov.set(key, v)
	return nil
}

// Delete is bbolt's Delete.
func (b *bucket) Delete(key []byte) error {
	if !b.on() {
		return b.Bucket.Delete(key)
	}
	if !b.Writable() {
		return bolt.ErrTxNotWritable
	}
	b.ov.set(key, nil)
	return nil
}

func (ob *overlayBucket) set(key, v []byte) {
	e, ok := ob.entries[string(key)]
	if ok {
		ob.o.bytes -= len(e.v)
	} else {
		ob.o.bytes += len(key) + overlayEntryCost
	}
	if !e.dirty {
		ob.dirty++
	}
	ob.entries[string(key)] = overlayEntry{v: v, dirty: true}
	ob.o.bytes += len(v)
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
	for k, e := range ob.entries {
		o.bytes -= len(k) + len(e.v) + overlayEntryCost
	}
	clear(ob.entries)
}

// write puts the bucket's changes into bbolt, in key order, and marks them
// written.
func (ob *overlayBucket) write(bb *bolt.Bucket) error {
	if ob.dirty == 0 {
		return nil
	}
	keys := make([]string, 0, ob.dirty)
	for k, e := range ob.entries {
		if e.dirty {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		e := ob.entries[k]
		var err error
		if e.v == nil {
			err = bb.Delete([]byte(k))
		} else {
			err = bb.Put([]byte(k), e.v)
		}
		if err != nil {
			return err
		}
		e.dirty = false
		ob.entries[k] = e
	}
	ob.o.flushed += len(keys)
	ob.dirty = 0
	return nil
}

// flush writes every bucket's changes to tx's buckets, before the chunk's
// commit, and turns every bucket's overlay on again for the next chunk.
func (o *overlay) flush(tx *bolt.Tx) error {
	if o.err != nil {
		return o.err
	}
	names := make([]string, 0, len(o.buckets))
	for name := range o.buckets {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		ob := o.buckets[name]
		ob.off = false
		if ob.dirty == 0 {
			continue
		}
		bb := fillBucket(tx, []byte(name))
		if bb == nil {
			return bolt.ErrBucketNotFound
		}
		if err := ob.write(bb); err != nil {
			return err
		}
	}
	if o.bytes > overlayMaxBytes {
		o.reset()
	}
	return nil
}

// reset forgets everything (after a chunk that failed: its transaction is
// rolled back, and what the overlay holds may not be in bbolt).
func (o *overlay) reset() {
	clear(o.buckets)
	o.bytes = 0
	o.err = nil
}
