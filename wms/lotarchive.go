package wms

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
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
// blocks with CRCs, sparse index, digest names and versions) whose records
// are (the lot's key hashed, the event's sequence number, lotFlag): the
// records of one lot are next to one another, oldest first, so a lot's
// archived story is one block read per month file (more for a lot with
// more than 100 archived events in a month). The versions are kept as the
// ID tables' are (idarchive.go): a run merges the month's committed
// version with what it moves into a new file named by its SHA-256, opens
// it, and then appends lots.archived events, each removing one range of
// lot_events keys (lotsBatch entries) and naming the new version's digest,
// which the event's apply records (meta lots_file:NAME), so a rebuild and
// a standby reach the same meta and the same lot_events. A version is
// never rewritten nor cut; a run that committed its first event deletes
// the month's versions but the one before it (idsKeepVersions), so a
// restored backup opens its own version, whole. A crash between the file
// and its events leaves the entries live: the next run merges them again
// (records are sets) into the same file.
//
// lot_events is a projection, so lots.archived's apply does the removing:
// a rebuild replays the entries and removes the same ones when it reaches
// the event; the count in the event must be what it finds, or the replay
// stops (a log that does not agree with itself is never rebuilt quietly).

// EvLotsArchived moves one range of lot_events entries to a lot index.
const EvLotsArchived = "lots.archived"

// LotsArchived is the payload of lots.archived.
type LotsArchived struct {
	File    string `json:"file"`         // the month's index, "2026-11.lots"
	Through uint64 `json:"through"`      // entries of events up to this sequence number move
	From    []byte `json:"from"`         // lot_events keys from (inclusive; empty: the first)
	To      []byte `json:"to,omitempty"` // to (exclusive; empty: the last)
	Count   int    `json:"count"`        // entries the range moves
	Digest  string `json:"digest"`       // SHA-256 of the index after the run
	Records uint64 `json:"records"`      // records in the index after the run
}

// lotsBatch is how many lot_events entries one lots.archived event moves:
// a delete each, some tens of milliseconds of the writer.
var lotsBatch = 20000

const lotFlag byte = 4

func lotsMetaKey(file string) []byte { return []byte("lots_file:" + file) }

// lotTableFile is the file of a month's lot index with a digest:
// "2026-11.lots" → "2026-11.<first 16 hex>.lots".
func lotTableFile(file, digest string) string {
	return strings.TrimSuffix(file, ".lots") + "." + digest[:min(16, len(digest))] + ".lots"
}

// validLotsFile accepts "YYYY-MM.lots".
func validLotsFile(f string) bool {
	m, ok := strings.CutSuffix(f, ".lots")
	return ok && validMonth(m)
}

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
// order: the records of a hash are together, from the first block whose
// range can hold h.
func (t *idTable) seqsOf(h idHash, fn func(seq uint64)) error {
	nb := len(t.index)
	// the first block whose first hash is at least h; h's records may
	// begin in the block before it
	i := firstTrue(nb, 0, func(m int) bool { return bytes.Compare(t.index[m][:], h[:]) >= 0 }) - 1
	i = max(i, 0)
	bp := idBlockPool.Get().(*[]byte)
	defer idBlockPool.Put(bp)
	for ; i < nb; i++ {
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
				fn(r.seq())
			}
		}
	}
	return nil
}

var openLotTables sync.Map // *bolt.DB -> *idTables

func (l *Ledger) lotTables() *idTables {
	v, _ := openLotTables.LoadOrStore(l.db, &idTables{})
	return v.(*idTables)
}

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
			var te *IDTableError
			if errors.As(err, &te) { // named by its file, not its month
				return nil, &IDTableError{Path: lotTableFile(t.name, t.digest), Why: te.Why}
			}
			return nil, err
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
// Through from lot_events, and records the index's digest.
func applyLotsArchived(tx *txn, ev *Event) error {
	var p LotsArchived
	if err := decode(ev, &p); err != nil {
		return err
	}
	if !validLotsFile(p.File) || p.Count < 0 || len(p.Digest) != 64 {
		return Errf(CodeInvalid, "lots.file_invalid", "file", clipText(p.File))
	}
	in := func(k []byte) bool {
		if len(p.From) > 0 && bytes.Compare(k, p.From) < 0 || len(p.To) > 0 && bytes.Compare(k, p.To) >= 0 {
			return false
		}
		_, s, ok := lotEntry(k)
		return ok && s <= p.Through
	}
	n := 0
	if tx.replay != nil { // entries of this chunk not yet written (replay.go)
		keys := tx.replay.keys[1]
		kept := keys[:0]
		for _, k := range keys {
			if in(k) {
				n++
				continue
			}
			kept = append(kept, k)
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
	for _, k := range gone {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	if n += len(gone); n != p.Count {
		return Errf(CodeConflict, "lots.changed", "count", fmt.Sprint(n), "want", fmt.Sprint(p.Count))
	}
	meta := tx.Bucket(bucketMeta)
	if meta == nil { // a check's scratch file holds the projections alone
		return nil
	}
	return meta.Put(lotsMetaKey(p.File), []byte(p.Digest))
}

// lotMove is what a run moves: the records, and where each event's range
// of keys begins.
type lotMove struct {
	recs   []idRecord
	starts [][]byte
	counts []int
}

// collectLots reads every lot_events entry of an event through `through`,
// in read transactions of scanChunk keys.
func (l *Ledger) collectLots(through uint64) (lotMove, error) {
	var m lotMove
	err := l.scanChunks(bucketLotEvents, nil, func(_ *txn, k, _ []byte) error {
		lot, s, ok := lotEntry(k)
		if !ok || s > through {
			return nil
		}
		if len(m.counts) == 0 || m.counts[len(m.counts)-1] == lotsBatch {
			m.starts, m.counts = append(m.starts, bytes.Clone(k)), append(m.counts, 0)
		}
		m.counts[len(m.counts)-1]++
		m.recs = append(m.recs, newLotRecord(lot, s))
		return nil
	})
	return m, err
}

// buildLotTable writes a new version of the month's lot index: the
// committed version merged with recs, under a new temporary name, synced,
// renamed to its digest's name when the digest is want ("" any), opened.
func (l *Ledger) buildLotTable(file string, recs []idRecord, want string) (*idTable, string, error) {
	dir := l.ArchiveDir()
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, "", fmt.Errorf("create the archive folder: %w", err)
	}
	var committed string
	if err := l.view(func(tx *txn) error {
		committed = string(tx.Bucket(bucketMeta).Get(lotsMetaKey(file)))
		return nil
	}); err != nil {
		return nil, "", err
	}
	sorted := slices.Clone(recs)
	sortRecords(sorted)
	tmp, err := os.CreateTemp(dir, file+".tmp-*")
	if err != nil {
		return nil, "", fmt.Errorf("lot index: %w", err)
	}
	tmpPath := tmp.Name()
	tmp.Close()
	w, err := createIDTableAt(tmpPath)
	if err != nil {
		os.Remove(tmpPath)
		return nil, "", fmt.Errorf("lot index: %w", err)
	}
	placed := false
	defer func() {
		w.abort()
		if !placed {
			os.Remove(tmpPath)
		}
	}()
	i := 0
	if committed != "" {
		old, err := openLotTable(dir, file, committed)
		if err != nil {
			return nil, "", err
		}
		err = old.each(func(r *idRecord) error {
			for ; i < len(sorted) && bytes.Compare(sorted[i][:], r[:]) < 0; i++ {
				if err := w.add(sorted[i]); err != nil {
					return err
				}
			}
			return w.add(*r)
		})
		old.close()
		if err != nil {
			return nil, "", err
		}
	}
	for ; i < len(sorted); i++ {
		if err := w.add(sorted[i]); err != nil {
			return nil, "", err
		}
	}
	digest, err := w.finish()
	if err != nil {
		return nil, "", fmt.Errorf("lot index: %w", err)
	}
	if want != "" && digest != want {
		return nil, digest, nil
	}
	path := filepath.Join(dir, lotTableFile(file, digest))
	if err := os.Rename(tmpPath, path); err != nil {
		return nil, "", fmt.Errorf("lot index: %w", err)
	}
	placed = true
	if err := syncDir(dir); err != nil {
		return nil, "", err
	}
	t, err := openIDTable(path)
	if err != nil {
		return nil, "", err
	}
	t.name, t.digest, t.pending, t.prev = file, digest, true, committed
	return t, digest, nil
}

// openLotTable opens the version of a month's index a digest names; a
// missing one is an error naming it.
func openLotTable(dir, file, digest string) (*idTable, error) {
	name := lotTableFile(file, digest)
	t, err := openIDTable(filepath.Join(dir, name))
	if os.IsNotExist(err) {
		return nil, Errf(CodeNotFound, "lots.table_missing", "file", name)
	}
	if err != nil {
		return nil, err
	}
	t.name, t.digest = file, digest
	return t, nil
}

// putBackLotTable installs the month's committed version again after a run
// whose first event failed.
func (l *Ledger) putBackLotTable(file string) error {
	var committed string
	if err := l.view(func(tx *txn) error {
		committed = string(tx.Bucket(bucketMeta).Get(lotsMetaKey(file)))
		return nil
	}); err != nil {
		return err
	}
	ts := l.lotTables()
	if t := ts.table(file); t != nil && t.digest == committed {
		t.pending = false
		return nil
	}
	if committed == "" {
		ts.remove(file)
		return nil
	}
	t, err := openLotTable(l.ArchiveDir(), file, committed)
	if err != nil {
		ts.remove(file) // the live store still holds every entry
		return err
	}
	ts.install(t)
	return nil
}

// archiveLots is Archive's step for lot stories: the entries of events
// before `before` move to the month's lot index.
func (l *Ledger) archiveLots(ctx context.Context, before time.Time, actor, device string, run *ArchiveRun) (err error) {
	through, err := l.lastSeqBefore(before)
	if err != nil || through == 0 {
		return err
	}
	m, err := l.collectLots(through)
	if err != nil || len(m.recs) == 0 {
		return err
	}
	file := before.In(l.zone).Format("2006-01") + ".lots"
	t, digest, err := l.buildLotTable(file, m.recs, "")
	if err != nil {
		return err
	}
	written := slices.Clone(m.recs) // what the file was built from, synced and named by its digest
	sortRecords(written)
	l.lotTables().install(t)
	committed := false
	defer func() {
		if !committed {
			err = errors.Join(err, l.putBackLotTable(file))
		}
	}()
	for i := range m.starts {
		if err := ctx.Err(); err != nil {
			return err
		}
		p := LotsArchived{File: file, Through: through, From: m.starts[i], Count: m.counts[i], Digest: digest, Records: t.count}
		if i == 0 {
			p.From = nil
		}
		if i+1 < len(m.starts) {
			p.To = m.starts[i+1]
		}
		err := l.appendRunEvent(ctx, EvLotsArchived, p, actor, device, run, func(tx *txn) error {
			return lotsHeld(tx, written, p)
		}, nil)
		if err != nil {
			return err
		}
		committed = true
		if err := l.settleLotTables(); err != nil {
			return err
		}
		run.Lots += m.counts[i]
		run.Events++
	}
	run.noteFile(lotTableFile(file, digest))
	return nil
}

// lotsHeld makes sure, before an event removes them, that the index
// holds every entry of its range (written: the records the index was
// built from, sorted): nothing leaves that the file does not hold. A
// search of the records, not of the file: a lot without lots (a SKU's
// every event under one key) has a record an event, and the file's
// records of one lot are walked, not searched.
func lotsHeld(tx *txn, written []idRecord, p LotsArchived) error {
	c := tx.Bucket(bucketLotEvents).Cursor()
	k, _ := c.First()
	if len(p.From) > 0 {
		k, _ = c.Seek(p.From)
	}
	for ; k != nil && (len(p.To) == 0 || bytes.Compare(k, p.To) < 0); k, _ = c.Next() {
		lot, s, ok := lotEntry(k)
		if !ok || s > p.Through {
			continue
		}
		r := newLotRecord(lot, s)
		if _, found := slices.BinarySearchFunc(written, r, func(a, b idRecord) int { return bytes.Compare(a[:], b[:]) }); !found {
			return fmt.Errorf("lots.archived: the index %s does not hold entry %q", p.File, k)
		}
	}
	return nil
}

// settleLotTables, for every installed index whose digest the store has
// committed since it was built, deletes the month's other versions but the
// one committed before it, and what failed runs left.
func (l *Ledger) settleLotTables() error {
	ts := l.lotTables()
	ts.mu.Lock()
	defer ts.mu.Unlock()
	dir := l.ArchiveDir()
	for _, t := range ts.files {
		if !t.pending {
			continue
		}
		var committed string
		if err := l.view(func(tx *txn) error {
			committed = string(tx.Bucket(bucketMeta).Get(lotsMetaKey(t.name)))
			return nil
		}); err != nil {
			return err
		}
		if committed != t.digest {
			continue
		}
		keep := map[string]bool{lotTableFile(t.name, t.digest): true}
		if t.prev != "" {
			keep[lotTableFile(t.name, t.prev)] = true
		}
		month := strings.TrimSuffix(t.name, ".lots")
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, e := range entries {
			n := e.Name()
			if !strings.HasPrefix(n, month+".") || keep[n] || !(strings.HasSuffix(n, ".lots") || strings.HasPrefix(n, t.name+".tmp-")) || n == t.name {
				continue
			}
			if err := os.Remove(filepath.Join(dir, n)); err != nil && !os.IsNotExist(err) {
				return fmt.Errorf("lot index: %w", err)
			}
		}
		if err := syncDir(dir); err != nil {
			return err
		}
		t.pending = false
	}
	return nil
}

// openLotIndexes, at Open, opens exactly the version of every month's lot
// index the store names; one missing or damaged is an error naming it (a
// recall must never take a lost file for a short story). It changes
// nothing in the archive folder.
func (l *Ledger) openLotIndexes() error {
	files := map[string]string{}
	if err := l.view(func(tx *txn) error {
		c := tx.Bucket(bucketMeta).Cursor()
		p := []byte("lots_file:")
		for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
			files[string(k[len(p):])] = string(v)
		}
		return nil
	}); err != nil {
		return err
	}
	ts := l.lotTables()
	for name, digest := range files {
		t, err := openLotTable(l.ArchiveDir(), name, digest)
		if err != nil {
			return err
		}
		ts.install(t)
	}
	return nil
}

func (l *Ledger) closeLotIndexes() {
	if v, ok := openLotTables.LoadAndDelete(l.db); ok {
		v.(*idTables).closeAll()
	}
}

// prepareLotTables is a standby's part of a run: before the page whose
// first event is a lots.archived event applies, it builds the index from
// its own live entries as the primary did (they are the primary's: the
// same projection), unless it has it already, and refuses one whose
// digest differs.
func (l *Ledger) prepareLotTables(events []ReplicaEvent) error {
	if len(events) == 0 || events[0].Event.Type != EvLotsArchived {
		return nil
	}
	var p LotsArchived
	if err := json.Unmarshal(events[0].Event.Data, &p); err != nil {
		return err
	}
	if !validLotsFile(p.File) {
		return Errf(CodeInvalid, "lots.file_invalid", "file", clipText(p.File))
	}
	if t := l.lotTables().table(p.File); t != nil && t.digest == p.Digest {
		return nil
	}
	m, err := l.collectLots(p.Through)
	if err != nil {
		return err
	}
	t, _, err := l.buildLotTable(p.File, m.recs, p.Digest)
	if err != nil {
		return err
	}
	if t == nil {
		return Errf(CodeConflict, "lots.digest_differs", "file", p.File, "seq", fmt.Sprint(events[0].Event.Seq))
	}
	l.lotTables().install(t)
	return nil
}

// lotsSplit is where a page of replicated events is cut so that a
// lots.archived event comes first in its part (prepareLotTables).
func lotsSplit(events []ReplicaEvent) int {
	for i := 1; i < len(events); i++ {
		if events[i].Event.Type == EvLotsArchived {
			return i
		}
	}
	return 0
}

// VerifyLotIndexes reads every lot index whole against the digest the
// store committed for it (`tally check`).
func (l *Ledger) VerifyLotIndexes() (files int, records uint64, err error) {
	ts := l.lotTables()
	ts.mu.RLock()
	list := slices.Clone(ts.list)
	ts.mu.RUnlock()
	for _, t := range list {
		s := sha256.New()
		if _, err := io.Copy(s, io.NewSectionReader(t.ra, 0, t.size)); err != nil {
			return files, records, err
		}
		if hex.EncodeToString(s.Sum(nil)) != t.digest {
			return files, records, &IDTableError{Path: lotTableFile(t.name, t.digest), Why: "its SHA-256 is not the one the store committed"}
		}
		if err := t.each(func(*idRecord) error { records++; return nil }); err != nil {
			return files, records, err
		}
		files++
	}
	return files, records, nil
}
