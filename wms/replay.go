package wms

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// A replay (Rebuild, Open's upgrade, Check) applies the log in chunks, each
// chunk one committed transaction, so that the dirty pages of one chunk are
// all a replay holds in memory whatever the log's length. A chunk ends after
// replayChunkEvents events or replayChunkBytes bytes of events, whichever
// comes first. 5,000 measured best on the benchmark's store (less CPU a
// event than 20,000 or 50,000, whose pages grow big between commits, and
// under half their heap; BenchmarkRebuildCheck with TALLY_REBUILD_CHUNK).
// (Variables so that tests can make small chunks.)
//
// A chunk also ends early, after the event that takes its transaction past
// replayChunkNodes of bbolt's in-memory pages (nodes: every page the
// transaction has changed is held as one until the commit). An archiving
// run's events come together at the end of the log and each removes
// thousands of records, so 5,000 of them in one transaction held a
// gigabyte of nodes (the 10,000,000-event store's rebuild peaked at 1.6
// GB of heap there); an ordinary chunk changes a few thousand pages.
var (
	replayChunkEvents = 5_000
	replayChunkBytes  = 32 << 20
	replayChunkNodes  = int64(40_000)
)

// metaRebuilding marks projections being rebuilt: while it is in meta the
// projections are half built and the projections version is absent, so no
// Open serves them and `tally check` refuses to judge them. It holds a
// rebuildMark, whose Reached moves forward with every committed chunk: the
// next Open resumes the rebuild from there (the chunk that was cut off was
// rolled back with its own progress mark).
var metaRebuilding = []byte("rebuilding")

type rebuildMark struct {
	Version string `json:"version"`        // the projections version being built
	From    string `json:"from,omitempty"` // the version the store had before ("" when it was this one: `tally rebuild`)
	Reached uint64 `json:"reached"`        // every event up to this seq is applied
}

func readRebuildMark(tx *txn) (rebuildMark, bool) {
	var m rebuildMark
	raw := tx.Bucket(bucketMeta).Get(metaRebuilding)
	if raw == nil || json.Unmarshal(raw, &m) != nil {
		return m, false
	}
	return m, true
}

// replayChunk applies the events after seq `after` from src's log to dst's
// projections, stopping at the end of a chunk. It returns the last seq
// applied (after when none) and whether the log's end was reached.
func replayChunk(src, dst *txn, after uint64, st *replayState) (last uint64, done bool, err error) {
	dst.replay = st
	defer func() {
		dst.replay = nil
		if err == nil {
			err = st.flush(dst)
		}
		if err != nil && st.overlay != nil {
			st.overlay.reset() // the chunk is rolled back
		}
		st.keys = [2][][]byte{}
	}()
	raws, done, err := chunkEvents(src, after)
	if err != nil {
		return after, false, err
	}
	stop := make(chan struct{})
	batches, wait := decodeAhead(raws, stop)
	defer func() { close(stop); wait() }()
	last = after
	for batch := range batches {
		for i := range batch {
			d := &batch[i]
			if d.err != nil {
				return last, false, d.err
			}
			ev := &d.ev
			if err := applyEvent(dst, ev); err != nil {
				return last, false, fmt.Errorf("event %d (%s %s): %w", ev.Seq, ev.Type, ev.ID, err)
			}
			last = d.seq
			if ts := dst.Tx.Stats(); ts.GetNodeCount() >= replayChunkNodes {
				st.nodeCuts++
				return last, false, nil // the rest of the chunk: the next one
			}
		}
	}
	return last, done, nil
}

// chunkEvents reads the events of the chunk after seq `after` from src's
// log — the archived members, then the live log (eventlog.go) — as stored
// (the bytes valid while src is), and says whether the log's end was reached.
func chunkEvents(src *txn, after uint64) (raws []storedEvent, done bool, err error) {
	c := logCursor(src)
	size := 0
	for k, v := c.Seek(seqKey(after + 1)); k != nil; k, v = c.Next() {
		if len(raws) >= replayChunkEvents || size >= replayChunkBytes {
			return raws, false, nil
		}
		raws = append(raws, storedEvent{seq: seqFromKey(k), raw: v})
		size += len(v)
	}
	if err := c.Err(); err != nil {
		return nil, false, err
	}
	return raws, true, nil
}

// rebuildChunked rebuilds every projection from the log in chunks of
// committed transactions. With resume, a rebuild to this version that an
// earlier process left unfinished carries on from where it got to;
// otherwise (and when the mark is another version's) it starts over. from
// is the projections version the store had (kept in the mark, so that a
// resumed upgrade still says what it upgraded from). It returns that
// version as the mark recorded it.
func (l *Ledger) rebuildChunked(from string, resume bool) (string, error) {
	var mark rebuildMark
	err := l.update(func(tx *txn) error {
		if m, ok := readRebuildMark(tx); ok && resume && m.Version == projectionsVersion {
			mark = m
			return nil
		}
		if m, ok := readRebuildMark(tx); ok && m.From != "" {
			from = m.From // an unfinished upgrade: the store's projections were that version's
		}
		mark = rebuildMark{Version: projectionsVersion, From: from}
		if err := resetDerived(tx); err != nil {
			return err
		}
		meta := tx.Bucket(bucketMeta)
		if err := meta.Delete(metaProjections); err != nil {
			return err
		}
		return putJSON(meta, metaRebuilding, mark)
	})
	if err != nil {
		return "", err
	}
	st := newReplayState()
	defer replayGC()() // replay_gc.go
	for done := false; !done; {
		next := mark
		err := l.update(func(tx *txn) error {
			last, end, err := replayChunk(tx, tx, mark.Reached, st)
			if err != nil {
				return err
			}
			meta := tx.Bucket(bucketMeta)
			next.Reached, done = last, end
			if end {
				if err := meta.Delete(metaRebuilding); err != nil {
					return err
				}
				return meta.Put(metaProjections, []byte(projectionsVersion))
			}
			return putJSON(meta, metaRebuilding, next)
		})
		if err != nil {
			return mark.From, fmt.Errorf("rebuild stopped after event %d (the next start carries on from there): %w", mark.Reached, err)
		}
		mark = next // this chunk committed
	}
	replayDone(st)
	return mark.From, nil
}

// RebuildUnfinished reports a rebuild that stopped before the end of the
// log (a process killed or a write that failed midway): its projections are
// half built, and the next Open without KeepProjections carries on with it.
func (l *Ledger) RebuildUnfinished() (reached uint64, unfinished bool) {
	_ = l.view(func(tx *txn) error {
		var m rebuildMark
		m, unfinished = readRebuildMark(tx)
		reached = m.Reached
		return nil
	})
	return reached, unfinished
}

// replayInto rebuilds the projections of the log in src into the empty
// store scratch, in chunks of committed scratch transactions (Check).
func replayInto(src *txn, scratch *bolt.DB) error {
	if err := scratch.Update(func(b *bolt.Tx) error { return resetDerived(&txn{Tx: b}) }); err != nil {
		return err
	}
	var after uint64
	st := newReplayState()
	st.src = src.DB()
	defer replayGC()() // replay_gc.go
	for done := false; !done; {
		if err := scratch.Update(func(b *bolt.Tx) error {
			var err error
			after, done, err = replayChunk(src, &txn{Tx: b}, after, st)
			return err
		}); err != nil {
			return err
		}
	}
	replayDone(st)
	return nil
}

// replayDone, when set (the benchmark), is told of each replay that ended.
var replayDoneHook func(*replayState)

func replayDone(st *replayState) {
	if replayDoneHook != nil {
		replayDoneHook(st)
	}
}

// replayState is what a replay keeps beside the transaction, to spare work
// live apply does per event: the results are the same bytes (Check proves
// it), only fewer decodes and cheaper writes.
//
//   - memo: the last decoded form of the SKUs, locations and lots read (a
//     hit needs the stored bytes to equal the remembered ones, so it only
//     ever answers what decoding them gives, and hands out deep copies);
//   - keys: the chunk's by_type and lot_events index keys (empty values,
//     read by no applier), written in key order at the chunk's end rather
//     than one by one in the middle of growing pages.
type replayState struct {
	memo map[string]memoRecord
	keys [2][][]byte // by_type, lot_events
	// stats: people's figures as last written (replay_stats.go)
	stats map[string]statsMemo
	// overlay: the projections' records read and written (overlay.go)
	overlay *overlay
	// src is the store a check replays (replayInto): its lot indexes are
	// the ones a lots.archived event names (applyLotsArchived)
	src *bolt.DB
	// ordSince: in a check's scratch store (no meta), the first event that
	// named each order table (ordSince)
	ordSince map[string]uint64
	// nodeCuts counts chunks ended early by replayChunkNodes
	nodeCuts int
}

type memoRecord struct {
	raw []byte
	v   any
}

// replayMemoMax bounds the memo (it starts afresh when full).
const replayMemoMax = 100_000

func newReplayState() *replayState {
	st := &replayState{memo: make(map[string]memoRecord)}
	if replayOverlay {
		st.overlay = newOverlay()
	}
	return st
}

func (r *replayState) index(bucket, key []byte) {
	i := 0
	if bytes.Equal(bucket, bucketLotEvents) {
		i = 1
	}
	r.keys[i] = append(r.keys[i], key)
}

// flush writes the chunk's changes held in the overlay and its index keys,
// each bucket's in key order.
func (r *replayState) flush(tx *txn) error {
	if r.overlay != nil {
		if err := r.overlay.flush(tx.Tx); err != nil {
			return err
		}
	}
	for i, name := range [][]byte{bucketByType, bucketLotEvents} {
		keys := r.keys[i]
		slices.SortFunc(keys, bytes.Compare)
		b := tx.Bucket(name)
		for _, k := range keys {
			if err := b.Put(k, []byte{}); err != nil {
				return err
			}
		}
	}
	return nil
}

func memoBucket(bucket []byte) bool {
	return bytes.Equal(bucket, bucketSKUs) || bytes.Equal(bucket, bucketLocations) || bytes.Equal(bucket, bucketLots)
}

// replayLookup is lookup during a replay, through the memo.
func replayLookup[T any](tx *txn, bucket, key []byte) (T, bool, error) {
	var v T
	raw := tx.Bucket(bucket).Get(key)
	if raw == nil {
		return v, false, nil
	}
	m := tx.replay.memo
	mk := string(bucket) + "\x00" + string(key)
	if e, ok := m[mk]; ok && bytes.Equal(e.raw, raw) {
		if c, ok := e.v.(T); ok {
			return memoCopy(c), true, nil
		}
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, true, &DamagedRecordError{Bucket: string(bucket), Key: string(key), Err: err}
	}
	if len(m) >= replayMemoMax {
		clear(m)
	}
	m[mk] = memoRecord{raw: bytes.Clone(raw), v: memoCopy(v)}
	return v, true, nil
}
