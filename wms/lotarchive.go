package wms

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Archiving lot stories (lot_events, trace.go): the index entries of
// events old enough to leave the live log (Retention.Events, the same
// cut-off as eventarchive.go) leave lot_events for the lot index of the
// month the run's cut-off falls in, DATA/archive/YYYY-MM.<digest>.lots,
// and every reader of a lot's story (LotTrace, recalls, the exceptions'
// "since") reads that index first and the live entries after it. Without
// this lot_events grows by an entry for every event that touches a lot,
// month after month (420 MB for a 10,000,000-event month).
//
// A lot index is an ID table (idtable.go: the same file, header, 4 KiB
// blocks with CRCs, sparse index, filter, digest names) whose records are
// (the lot's key hashed, the event's sequence number, lotFlag): the
// records of one lot are next to one another, oldest first, so a lot's
// archived story is one block read per index that holds it. The indexes
// are kept as the ID tables are, by the same manager (runtables.go): one
// immutable index a run, of only the entries it moves, named by its
// SHA-256 (YYYY-MM.<16 hex>.lots), never merged nor deleted; the run
// appends lots.archived events, each removing one range of lot_events
// keys (lotsBatch entries) and naming the run's index, which the event's
// apply records (meta lots_table:NAME), so a rebuild and a standby reach
// the same meta and the same lot_events, and Open opens every index the
// store names. A run moves at most lotsRunMax entries (the first in key
// order; the next run takes the rest). A crash between the file and its
// events leaves the entries live: the next run writes them again.
//
// lot_events is a projection, so lots.archived's apply does the removing:
// a rebuild replays the entries and removes those of the event's range
// (what is there: a rebuild under later definitions may index otherwise);
// the writer alone requires the event's count (lotsHeld).

// EvLotsArchived moves one range of lot_events entries to a lot index.
const EvLotsArchived = "lots.archived"

// LotsArchived is the payload of lots.archived.
type LotsArchived struct {
	File    string `json:"file"`            // the month of the run's cut-off, "2026-11.lots"
	Table   string `json:"table,omitempty"` // the run's own index, "2026-11.<16 hex>.lots" ("" an event of a run before one index a run: its digest named the month's merged version)
	Through uint64 `json:"through"`         // entries of events up to this sequence number move
	From    []byte `json:"from"`            // lot_events keys from (inclusive; empty: the first)
	To      []byte `json:"to,omitempty"`    // to (exclusive; empty: the last)
	End     []byte `json:"end,omitempty"`   // the run's end: its entries are the keys before it (empty: all)
	Count   int    `json:"count"`           // entries the range moves
	Digest  string `json:"digest"`          // SHA-256 of the run's index
	Records uint64 `json:"records"`         // records in the run's index
}

// lotsBatch is how many lot_events entries one lots.archived event moves:
// a delete each, some tens of milliseconds of the writer.
var lotsBatch = 20000

const lotFlag byte = 4

// lotsRunMax is how many lot_events entries one run moves at most (what
// it holds in memory: 40 bytes a record); the next run takes the rest.
var lotsRunMax = 4_000_000

// lotTableFile is the file of a run's lot index: "2026-11.lots" and its
// SHA-256 → "2026-11.<first 16 hex>.lots" (tableName).
func lotTableFile(file, digest string) string { return tableName(file, digest) }

// lotHash is a lot's key hashed as the index keeps it (96 bits: with a
// million lots a false match is about 1e-17).
func lotHash(key []byte) idHash { return hashID("lot\x00" + string(key)) }

// newLotRecord is the record of one lot_events entry.
func newLotRecord(key []byte, seq uint64) idRecord {
	var r idRecord
	h := lotHash(key)
	copy(r[:idHashSize], h[:])
	var s [8]byte
	binary.BigEndian.PutUint64(s[:], seq)
	copy(r[12:18], s[2:])
	r[18] = lotFlag
	return r
}

// lotEntry splits a lot_events key: the lot's key and the sequence number.
func lotEntry(k []byte) ([]byte, uint64, bool) {
	if len(k) < 9 || k[len(k)-9] != sep {
		return nil, 0, false
	}
	return k[:len(k)-9], seqFromKey(k[len(k)-8:]), true
}

// seqsOf calls fn with the sequence number of every record of hash h, in
// order: seqsFrom from the first.
func (t *idTable) seqsOf(h idHash, fn func(seq uint64)) error {
	return t.seqsFrom(h, 0, func(s uint64) bool { fn(s); return true })
}

// seqsFrom calls fn with the sequence number of every record of hash h
// from the first at least `from`, in order, while fn returns true. The
// records of a hash are together, from the first block whose range can
// hold h; from a later `from`, the first block it reads is found by a
// binary search of the blocks' first records, among those that can hold h.
func (t *idTable) seqsFrom(h idHash, from uint64, fn func(seq uint64) bool) error {
	if ok, err := t.mayHold(h); err != nil || !ok {
		return err
	}
	var want idRecord
	copy(want[:idHashSize], h[:])
	var sb [8]byte
	binary.BigEndian.PutUint64(sb[:], min(from, 1<<48-1))
	copy(want[12:18], sb[2:])
	nb := len(t.index)
	lo := max(firstTrue(nb, 0, func(m int) bool { return bytes.Compare(t.index[m][:], h[:]) >= 0 })-1, 0)
	hi := firstTrue(nb, lo, func(m int) bool { return bytes.Compare(t.index[m][:], h[:]) > 0 })
	bp := idBlockPool.Get().(*[]byte)
	defer idBlockPool.Put(bp)
	// the last block in [lo, hi) whose first record is at most want (from
	// the first record of h: lo, with no block read to find it)
	var ferr error
	i := lo
	if from > 0 {
		i = firstTrue(hi, lo+1, func(m int) bool {
			recs, err := t.block(m, *bp, false)
			if err != nil || len(recs) < idRecSize {
				ferr = errors.Join(ferr, err)
				return true
			}
			return bytes.Compare(recs[:18], want[:18]) > 0
		}) - 1
	}
	if ferr != nil {
		return ferr
	}
	for i = max(i, lo); i < nb; i++ {
		if bytes.Compare(t.index[i][:], h[:]) > 0 {
			return nil
		}
		recs, err := t.block(i, *bp, false)
		if err != nil {
			return err
		}
		for j := 0; j < len(recs); j += idRecSize {
			switch c := bytes.Compare(recs[j:j+idHashSize], h[:]); {
			case c > 0:
				return nil
			case c == 0 && recs[j+18] == lotFlag:
				var r idRecord
				copy(r[:], recs[j:j+idRecSize])
				if s := r.seq(); s >= from && !fn(s) {
					return nil
				}
			}
		}
	}
	return nil
}

// lotsWindow is how many of a lot's sequence numbers a replay's check
// reads at a time (applyLotsArchived).
var lotsWindow = 4096

var openLotTables sync.Map // *bolt.DB -> *idTables

func (l *Ledger) lotTables() *idTables { return l.tablesOfKind(lotsKind) }

// archivedLotSeqs are the sequence numbers of a lot's archived entries,
// oldest first.
func archivedLotSeqs(tx *txn, key []byte) ([]uint64, error) {
	v, ok := openLotTables.Load(tx.DB())
	if !ok {
		return nil, nil
	}
	ts := v.(*idTables)
	ts.mu.RLock()
	defer ts.mu.RUnlock()
	if len(ts.list) == 0 {
		return nil, nil
	}
	h := lotHash(key)
	var out []uint64
	for _, t := range ts.list {
		if err := t.seqsOf(h, func(s uint64) { out = append(out, s) }); err != nil {
			return nil, lotsKind.asKind(err)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// lotSeqs are the sequence numbers of every event in a lot's story,
// archived and live, oldest first (an entry both archived and still live,
// in a run between its events, once).
func lotSeqs(tx *txn, owner, sku, lot string) ([]uint64, error) {
	out, err := archivedLotSeqs(tx, lotKey(owner, sku, lot))
	if err != nil {
		return nil, err
	}
	last := uint64(0)
	if len(out) > 0 {
		last = out[len(out)-1]
	}
	c := tx.Bucket(bucketLotEvents).Cursor()
	p := prefixKey(owner, sku, lot)
	for k, _ := c.Seek(p); k != nil && len(k) == len(p)+8 && bytes.HasPrefix(k, p); k, _ = c.Next() {
		s := seqFromKey(k[len(p):])
		if s <= last {
			if _, found := slices.BinarySearch(out, s); found {
				continue
			}
			out = append(out, s)
			slices.Sort(out)
			continue
		}
		out = append(out, s)
		last = s
	}
	return out, nil
}

// applyLotsArchived removes the range's entries of events through
// Through from lot_events (those there are: no count is required of a
// replay), and records the run's index. When the named index is open (the
// writer's run, a standby's, a rebuild, a check of a store that has it)
// only the entries it holds leave: one it lacks (a standby's lot_events
// that differ and fetched the primary's index; a rebuild under a later
// definition that indexes more events) stays live, and a trace reads it
// after the index's (lotSeqs). The writer's check (lotsHeld) alone
// requires every entry and the count.
func applyLotsArchived(tx *txn, ev *Event) error {
	var p LotsArchived
	if err := decode(ev, &p); err != nil {
		return err
	}
	name, err := lotsKind.runTable(p.File, p.Digest, p.Table)
	if err != nil {
		return err
	}
	if p.Count < 0 {
		return Errf(CodeInvalid, "lots.file_invalid", "file", clipText(p.File))
	}
	held, release := lotsHeldBy(tx, name)
	defer release()
	var heldErr error
	in := func(k []byte) bool {
		if len(p.From) > 0 && bytes.Compare(k, p.From) < 0 || len(p.To) > 0 && bytes.Compare(k, p.To) >= 0 {
			return false
		}
		lot, s, ok := lotEntry(k)
		if !ok || s > p.Through {
			return false
		}
		if held == nil {
			return true
		}
		h, err := held(lot, s)
		if err != nil && heldErr == nil {
			heldErr = err
		}
		return h
	}
	if tx.replay != nil { // entries of this chunk not yet written (replay.go)
		keys := tx.replay.keys[1]
		kept := keys[:0]
		for _, k := range keys {
			if !in(k) {
				kept = append(kept, k)
			}
		}
		tx.replay.keys[1] = kept
	}
	b := tx.Bucket(bucketLotEvents)
	var gone [][]byte
	c := b.Cursor()
	k, _ := c.First()
	if len(p.From) > 0 {
		k, _ = c.Seek(p.From)
	}
	for ; k != nil && (len(p.To) == 0 || bytes.Compare(k, p.To) < 0); k, _ = c.Next() {
		if in(k) {
			gone = append(gone, bytes.Clone(k))
		}
	}
	if heldErr != nil {
		return heldErr
	}
	for _, k := range gone {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	meta := tx.Bucket(bucketMeta)
	if meta == nil { // a check's scratch file holds the projections alone
		return nil
	}
	return meta.Put(lotsKind.metaKey(p.File, p.Digest, p.Table), []byte(p.Digest))
}

// lotsHeldBy is, when the lot index of that name is open for tx's store
// (or, in a check's scratch store, for the store it checks), whether the
// index holds a lot's entry of an event: the lot's sequence numbers read
// once a lot. nil: the index is not open. release ends the use (the
// tables' read lock, held so that no install closes the index meanwhile).
func lotsHeldBy(tx *txn, name string) (held func(lot []byte, seq uint64) (bool, error), release func()) {
	v, ok := openLotTables.Load(tx.DB())
	if !ok && tx.replay != nil && tx.replay.src != nil {
		v, ok = openLotTables.Load(tx.replay.src)
	}
	if !ok {
		return nil, func() {}
	}
	ts := v.(*idTables)
	ts.mu.RLock()
	t := ts.files[name]
	if t == nil {
		ts.mu.RUnlock()
		return nil, func() {}
	}
	// a window of the lot's sequence numbers from the first asked: the
	// entries an event asks about are a span of the lot's (in order, from
	// the cursor), so a lot of millions of entries is read a window at a
	// time, from where the event's span begins, not whole for each event
	var lastLot []byte
	var seqs []uint64
	full := false // the window holds the lot's last record
	held = func(lot []byte, seq uint64) (bool, error) {
		if lastLot == nil || !bytes.Equal(lot, lastLot) || len(seqs) == 0 || seq < seqs[0] || (!full && seq > seqs[len(seqs)-1]) {
			lastLot, seqs = bytes.Clone(lot), seqs[:0]
			err := t.seqsFrom(lotHash(lot), seq, func(s uint64) bool {
				seqs = append(seqs, s)
				return len(seqs) < lotsWindow
			})
			if err != nil {
				lastLot = nil
				return false, lotsKind.asKind(err)
			}
			full = len(seqs) < lotsWindow
			if len(seqs) == 0 {
				return false, nil
			}
		}
		_, found := slices.BinarySearch(seqs, seq)
		return found, nil
	}
	return held, ts.mu.RUnlock
}

// lotMove is what a run moves: the records, where each event's range of
// keys begins, and the run's end (the first key it leaves; nil: none).
type lotMove struct {
	recs   []idRecord
	starts [][]byte
	counts []int
	end    []byte
}

// errLotsFull stops collectLots's scan at its cap.
var errLotsFull = errors.New("lots: a run's entries")

// collectLots reads the lot_events entries of events through `through`,
// in read transactions of scanChunk keys: those before end (nil: all), at
// most max (0: no cap; m.end is then the first key left).
func (l *Ledger) collectLots(through uint64, end []byte, max int) (lotMove, error) {
	var m lotMove
	err := l.scanChunks(bucketLotEvents, nil, func(_ *txn, k, _ []byte) error {
		if len(end) > 0 && bytes.Compare(k, end) >= 0 {
			return errLotsFull
		}
		lot, s, ok := lotEntry(k)
		if !ok || s > through {
			return nil
		}
		if max > 0 && len(m.recs) >= max {
			m.end = bytes.Clone(k)
			return errLotsFull
		}
		if len(m.counts) == 0 || m.counts[len(m.counts)-1] == lotsBatch {
			m.starts, m.counts = append(m.starts, bytes.Clone(k)), append(m.counts, 0)
		}
		m.counts[len(m.counts)-1]++
		m.recs = append(m.recs, newLotRecord(lot, s))
		return nil
	})
	if errors.Is(err, errLotsFull) {
		err = nil
	}
	return m, err
}

// archiveLots is Archive's step for lot stories: the entries of events
// before `before` move to the run's own lot index.
func (l *Ledger) archiveLots(ctx context.Context, before time.Time, actor, device string, run *ArchiveRun) (err error) {
	through, err := l.lastSeqBefore(before)
	if err != nil || through == 0 {
		return err
	}
	m, err := l.collectLots(through, nil, lotsRunMax)
	if err != nil || len(m.recs) == 0 {
		return err
	}
	if err := l.removeStale(true); err != nil {
		return err
	}
	file := before.In(l.zone).Format("2006-01") + ".lots"
	// sorted in place: lotsHeld searches the records the file was built from
	t, digest, err := l.buildTable(lotsKind, file, m.recs, "", idVersion)
	if err != nil {
		return err
	}
	name := t.name
	l.lotTables().install(t)
	committed := false
	defer func() {
		if !committed {
			err = errors.Join(err, l.dropUnnamed(lotsKind, name))
		}
	}()
	for i := range m.starts {
		if err := ctx.Err(); err != nil {
			return err
		}
		p := LotsArchived{File: file, Table: name, Through: through, From: m.starts[i], End: m.end, Count: m.counts[i], Digest: digest, Records: t.count}
		if i == 0 {
			p.From = nil
		}
		if i+1 < len(m.starts) {
			p.To = m.starts[i+1]
		} else {
			p.To = m.end
		}
		err := l.appendRunEvent(ctx, EvLotsArchived, p, actor, device, run, func(tx *txn) error {
			return lotsHeld(tx, m.recs, p)
		}, nil)
		if err != nil {
			return err
		}
		committed = true
		run.Lots += m.counts[i]
		run.Events++
	}
	run.noteFile(name)
	return nil
}

// lotsHeld makes sure, before an event removes them, that the index
// holds every entry of its range (written: the records the index was
// built from, sorted) and that they are the event's count: nothing leaves
// that the file does not hold, and the writer's event says what it moves.
// A search of the records, not of the file: a lot without lots (a SKU's
// every event under one key) has a record an event, and the file's
// records of one lot are walked, not searched.
func lotsHeld(tx *txn, written []idRecord, p LotsArchived) error {
	c := tx.Bucket(bucketLotEvents).Cursor()
	k, _ := c.First()
	if len(p.From) > 0 {
		k, _ = c.Seek(p.From)
	}
	n := 0
	for ; k != nil && (len(p.To) == 0 || bytes.Compare(k, p.To) < 0); k, _ = c.Next() {
		lot, s, ok := lotEntry(k)
		if !ok || s > p.Through {
			continue
		}
		r := newLotRecord(lot, s)
		if _, found := slices.BinarySearchFunc(written, r, func(a, b idRecord) int { return bytes.Compare(a[:], b[:]) }); !found {
			return fmt.Errorf("lots.archived: the index %s does not hold entry %q", p.Table, k)
		}
		n++
	}
	if n != p.Count {
		return Errf(CodeConflict, "lots.changed", "count", fmt.Sprint(n), "want", fmt.Sprint(p.Count))
	}
	return nil
}

// openLotIndexes, at Open, opens every lot index the store names
// (openTablesOfKind).
func (l *Ledger) openLotIndexes() error { return l.openTablesOfKind(lotsKind) }

func (l *Ledger) closeLotIndexes() { l.closeTablesOfKind(lotsKind) }

// prepareLotTables is a standby's part of a run: before the page whose
// first event is a lots.archived event applies, the run's index
// (prepareTable: its own, built from its own live entries as the primary
// did, which are the primary's, or the primary's file).
func (l *Ledger) prepareLotTables(events []ReplicaEvent) error {
	if len(events) == 0 || events[0].Event.Type != EvLotsArchived {
		return nil
	}
	var p LotsArchived
	if err := json.Unmarshal(events[0].Event.Data, &p); err != nil {
		return err
	}
	if _, err := lotsKind.runTable(p.File, p.Digest, p.Table); err != nil {
		return err
	}
	return l.prepareTable(lotsKind, p.File, p.Digest, p.Table == "", events[0].Event.Seq, func() ([]idRecord, error) {
		m, err := l.collectLots(p.Through, p.End, 0)
		return m.recs, err
	}, idVersion)
}

// lotsSplit is where a page of replicated events is cut so that a
// lots.archived event comes first in its part (prepareLotTables).
func lotsSplit(events []ReplicaEvent) int { return runSplit(events, EvLotsArchived) }

// VerifyLotIndexes reads every lot index whole against the digest the
// store committed for it (`tally check`).
func (l *Ledger) VerifyLotIndexes() (files int, records uint64, err error) {
	return l.verifyTables(lotsKind)
}
