package wms

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Archiving event IDs and keys (Retention.IDs, `--keep-ids`): every ID in
// event_ids and every keyed command's record in event_keys whose event is
// older than the retention leaves the live store for the ID table of the
// month the run's cut-off falls in, DATA/archive/YYYY-MM.ids (idtable.go),
// and is found there by every lookup that misses the live buckets
// (archivedID). Past the retention a repeat is still a duplicate of its
// first event, answered from the state (the stored answer left already,
// past --keep-answers), and a reused key with another request is still
// refused.
//
// One file a month, rewritten by each run: the run merges the month's
// committed file with what it moves into YYYY-MM.ids.new, syncs it, opens
// it in place of the old one (both hold what is still live too: lookups
// read the live buckets first), and then appends ids.archived events, each
// removing the entries of one range of IDs (idsBatch entries) and naming
// the new file's SHA-256; the first one's transaction records it (meta
// ids_file:NAME), and the file is then renamed to YYYY-MM.ids. One file a
// month rather than one a run keeps a new ID's miss to one read per month
// (a month of daily runs would be thirty), at the price of rewriting the
// month's file once a day (a peak month's 4 GB at its end: seconds of
// sequential writing, while the floor works). A crash before the first
// event leaves the old file committed (Open deletes the .new one); after
// it, Open finishes the rename. A run that stops between events is run
// again: what is left is still live, and merging it again gives the same
// file (records are sets).
//
// A standby builds its own file the same way when it replicates the first
// event of a run (from its own live entries, which are the primary's) and
// refuses to go on if its digest is not the event's. The entries moved
// are exactly those a standby has: an ID of an event, and a key whose
// record was replicated with its event (its own ID, or key_seqs).

// EvIDsArchived moves one range of event IDs and keys to an ID table.
const EvIDsArchived = "ids.archived"

// IDsArchived is the payload of ids.archived.
type IDsArchived struct {
	File    string `json:"file"`         // the month's table, "2026-11.ids"
	Through uint64 `json:"through"`      // the IDs of events up to this sequence number move
	From    string `json:"from"`         // the range of IDs: from (inclusive)
	To      string `json:"to,omitempty"` // to (exclusive; "" the last)
	Count   int    `json:"count"`        // entries (IDs) the range moves
	Digest  string `json:"digest"`       // SHA-256 of the table after the run
	Records uint64 `json:"records"`      // records in the table after the run
	// Keys are the range's keys (other than their event's ID) whose
	// key_seqs entry left the live store with their event (eventlog.go):
	// the event's segment record names them, so they were replicated.
	Keys []string `json:"keys,omitempty"`
}

// applyIDsArchived projects nothing: event_ids and event_keys are the
// log's (the move is done by the write that appends the event, and by a
// standby's Replicate).
func applyIDsArchived(_ *txn, ev *Event) error {
	var p IDsArchived
	return decode(ev, &p)
}

// idsBatch is how many IDs one ids.archived event moves: its write walks
// the range's live IDs too (about the days of --keep-ids for each day
// moved), so a slice holds the writer some tens of milliseconds.
var idsBatch = 5000

func idsMetaKey(file string) []byte { return []byte("ids_file:" + file) }

// movable is the rule both sides use: the record of an ID that leaves the
// live store by a run through seq `through`, or false. Every live part of
// the ID must be old enough (its event's ID, its key record); a key record
// must be one a standby has (its event's own ID, or in key_seqs).
func movable(tx *txn, id []byte, through uint64, viaSegment map[string]bool) (idRecord, bool, error) {
	var evSeq uint64
	if v := tx.Bucket(bucketEventIDs).Get(id); v != nil {
		if evSeq = seqFromKey(v); evSeq > through {
			return idRecord{}, false, nil
		}
	}
	rec, found, err := getKeyRecord(tx, string(id))
	if err != nil {
		return idRecord{}, false, err
	}
	if found {
		if rec.Seq > through || evSeq != 0 && evSeq != rec.Seq {
			return idRecord{}, false, nil
		}
		if evSeq == 0 && tx.Bucket(bucketKeySeqs).Get(keySeqKey(rec.Seq, string(id))) == nil && !viaSegment[string(id)] {
			return idRecord{}, false, nil // not replicated with its event (or not known to be yet: collectMovable)
		}
	}
	if evSeq == 0 && !found {
		return idRecord{}, false, nil
	}
	seq := rec.Seq
	if evSeq != 0 {
		seq = evSeq
	}
	var rp *keyRecord
	if found {
		rp = &rec
	}
	return newIDRecord(string(id), seq, evSeq != 0, rp), true, nil
}

// removeMoved removes, inside the event's transaction, every movable entry
// of its range; the count must be the event's.
func removeMoved(tx *txn, p IDsArchived) error {
	if len(p.Keys) > p.Count {
		return Errf(CodeInvalid, "ids.changed", "count", fmt.Sprint(len(p.Keys)), "want", fmt.Sprint(p.Count))
	}
	seg := make(map[string]bool, len(p.Keys))
	for _, k := range p.Keys {
		seg[k] = true
	}
	var ids [][]byte
	var recs []idRecord
	for _, b := range [][]byte{bucketEventIDs, bucketKeys} {
		c := tx.Bucket(b).Cursor()
		for k, _ := c.Seek([]byte(p.From)); k != nil && (p.To == "" || bytes.Compare(k, []byte(p.To)) < 0); k, _ = c.Next() {
			if bytes.Equal(b, bucketKeys) && tx.Bucket(bucketEventIDs).Get(k) != nil {
				continue // seen with event_ids
			}
			r, ok, err := movable(tx, k, p.Through, seg)
			if err != nil {
				return err
			}
			if ok {
				ids = append(ids, bytes.Clone(k))
				recs = append(recs, r)
			}
		}
	}
	if len(ids) != p.Count {
		return Errf(CodeConflict, "ids.changed", "count", fmt.Sprint(len(ids)), "want", fmt.Sprint(p.Count))
	}
	ts := tablesOf(tx.DB())
	for i, id := range ids {
		// nothing leaves that the table does not hold
		if ts == nil {
			return fmt.Errorf("ids.archived: no ID tables open")
		}
		t := ts.table(p.File)
		if t == nil {
			return fmt.Errorf("ids.archived: table %s is not open", p.File)
		}
		got, ok, err := t.lookup(recs[i].hash())
		if err != nil {
			return err
		}
		if !ok || got != recs[i] {
			return fmt.Errorf("ids.archived: table %s does not hold %q as the log has it", p.File, id)
		}
		rec, found, err := getKeyRecord(tx, string(id))
		if err != nil {
			return err
		}
		if found {
			if err := tx.Bucket(bucketKeySeqs).Delete(keySeqKey(rec.Seq, string(id))); err != nil {
				return err
			}
			if err := tx.Bucket(bucketKeys).Delete(id); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bucketEventIDs).Delete(id); err != nil {
			return err
		}
	}
	return tx.Bucket(bucketMeta).Put(idsMetaKey(p.File), []byte(p.Digest))
}

// idMove is what a run moves: the IDs in order, each with its record;
// seg are the keys known replicated from their event's segment record.
type idMove struct {
	ids  []string
	recs []idRecord
	seg  map[string]bool
}

// collectMovable reads every movable entry through `through`, in order of
// the IDs, in read transactions of scanChunk keys.
func (l *Ledger) collectMovable(through uint64) (idMove, error) {
	var a, b idMove
	err := l.scanChunks(bucketEventIDs, nil, func(tx *txn, k, v []byte) error {
		if seqFromKey(v) > through {
			return nil
		}
		r, ok, err := movable(tx, k, through, nil)
		if ok {
			a.ids, a.recs = append(a.ids, string(k)), append(a.recs, r)
		}
		return err
	})
	if err != nil {
		return a, err
	}
	// a key whose key_seqs entry left with its event: its segment
	// record says (read below, in order of the events)
	type pendingKey struct {
		seq uint64
		id  string
	}
	var pending []pendingKey
	err = l.scanChunks(bucketKeys, nil, func(tx *txn, k, v []byte) error {
		if tx.Bucket(bucketEventIDs).Get(k) != nil {
			return nil
		}
		r, ok, err := movable(tx, k, through, nil)
		if ok {
			b.ids, b.recs = append(b.ids, string(k)), append(b.recs, r)
		} else if err == nil {
			rec, rerr := readKeyRecord(v)
			if rerr == nil && rec.Seq <= through && tx.Bucket(bucketEvents).Get(seqKey(rec.Seq)) == nil {
				pending = append(pending, pendingKey{rec.Seq, string(k)})
			}
		}
		return err
	})
	if err != nil {
		return a, err
	}
	if len(pending) > 0 {
		slices.SortFunc(pending, func(x, y pendingKey) int { return cmp.Compare(x.seq, y.seq) })
		b.seg = map[string]bool{}
		err = l.view(func(tx *txn) error {
			c := logCursor(tx)
			k, _ := c.Seek(seqKey(pending[0].seq))
			for _, p := range pending {
				for k != nil && seqFromKey(k) < p.seq {
					k, _ = c.Next()
				}
				if k == nil || seqFromKey(k) != p.seq {
					continue
				}
				keys, _ := c.Keys()
				if slices.Contains(keys, p.id) {
					b.seg[p.id] = true
					r, ok, err := movable(tx, []byte(p.id), through, b.seg)
					if err != nil {
						return err
					}
					if ok {
						b.ids, b.recs = append(b.ids, p.id), append(b.recs, r)
					}
				}
			}
			return c.Err()
		})
		if err != nil {
			return a, err
		}
		// back in the order of the IDs
		idx := make([]int, len(b.ids))
		for i := range idx {
			idx[i] = i
		}
		slices.SortFunc(idx, func(x, y int) int { return strings.Compare(b.ids[x], b.ids[y]) })
		var s idMove
		for _, i := range idx {
			s.ids, s.recs = append(s.ids, b.ids[i]), append(s.recs, b.recs[i])
		}
		s.seg = b.seg
		b = s
	}
	// merge the two ordered lists
	m := idMove{seg: b.seg}
	i, j := 0, 0
	for i < len(a.ids) || j < len(b.ids) {
		if j == len(b.ids) || i < len(a.ids) && a.ids[i] < b.ids[j] {
			m.ids, m.recs = append(m.ids, a.ids[i]), append(m.recs, a.recs[i])
			i++
		} else {
			m.ids, m.recs = append(m.ids, b.ids[j]), append(m.recs, b.recs[j])
			j++
		}
	}
	return m, nil
}

// buildIDTable writes file.new: the committed file (meta) merged with
// recs, synced, and opens it; it does not install it.
func (l *Ledger) buildIDTable(file string, recs []idRecord) (*idTable, string, error) {
	dir := l.ArchiveDir()
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, "", fmt.Errorf("create the archive folder: %w", err)
	}
	var committed []byte
	if err := l.view(func(tx *txn) error {
		committed = bytes.Clone(tx.Bucket(bucketMeta).Get(idsMetaKey(file)))
		return nil
	}); err != nil {
		return nil, "", err
	}
	sorted := slices.Clone(recs)
	sortRecords(sorted)
	w, err := createIDTable(filepath.Join(dir, file+".new"))
	if err != nil {
		return nil, "", fmt.Errorf("ID table: %w", err)
	}
	defer w.abort()
	i := 0
	if committed != nil {
		old, err := openIDTable(filepath.Join(dir, file))
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
		return nil, "", fmt.Errorf("ID table: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return nil, "", err
	}
	t, err := openIDTable(filepath.Join(dir, file+".new"))
	if err != nil {
		return nil, "", err
	}
	t.name, t.digest, t.pending = file, digest, true
	return t, digest, nil
}

// archiveIDs is Archive's step for event IDs and keys: those of events
// before `before` move to the month's ID table.
func (l *Ledger) archiveIDs(ctx context.Context, before time.Time, actor, device string, run *ArchiveRun) error {
	through, err := l.lastSeqBefore(before)
	if err != nil || through == 0 {
		return err
	}
	m, err := l.collectMovable(through)
	if err != nil || len(m.ids) == 0 {
		return err
	}
	file := before.In(l.zone).Format("2006-01") + ".ids"
	t, digest, err := l.buildIDTable(file, m.recs)
	if err != nil {
		return err
	}
	l.tables().install(t)
	for i := 0; i < len(m.ids); i += idsBatch {
		if err := ctx.Err(); err != nil {
			return err
		}
		j := min(i+idsBatch, len(m.ids))
		p := IDsArchived{File: file, Through: through, From: m.ids[i], Count: j - i, Digest: digest, Records: t.count}
		for _, id := range m.ids[i:j] {
			if m.seg[id] {
				p.Keys = append(p.Keys, id)
			}
		}
		if i == 0 {
			p.From = ""
		}
		if j < len(m.ids) {
			p.To = m.ids[j]
		}
		ev, err := NewEvent(newID(), EvIDsArchived, actor, device, p)
		if err != nil {
			return err
		}
		l.stamp(&ev)
		start := time.Now()
		err = l.write(func(tx *txn) error {
			if _, _, err := appendTx(tx, ev); err != nil {
				return err
			}
			return removeMoved(tx, p)
		})
		run.LongestWrite = max(run.LongestWrite, time.Since(start))
		if err != nil {
			return err
		}
		if err := l.settleIDTables(); err != nil {
			return err
		}
		run.IDs += j - i
		run.Events++
	}
	run.noteFile(file)
	return nil
}

// lastSeqBefore is the sequence number of the last event stamped before t.
func (l *Ledger) lastSeqBefore(t time.Time) (uint64, error) {
	var through uint64
	err := l.view(func(tx *txn) error {
		events := tx.Bucket(bucketEvents)
		lo, hi := uint64(1), events.Sequence()+1
		for lo < hi {
			mid := lo + (hi-lo)/2
			v := events.Get(seqKey(mid))
			if v == nil { // archived (eventlog.go)
				var err error
				if v, err = rawEvent(tx, mid); err != nil {
					return err
				}
			}
			var ev struct {
				At time.Time `json:"at"`
			}
			if v != nil {
				if err := json.Unmarshal(v, &ev); err != nil {
					return err
				}
			}
			if v != nil && ev.At.Before(t) {
				lo = mid + 1
			} else {
				hi = mid
			}
		}
		through = lo - 1
		return nil
	})
	return through, err
}

func (l *Ledger) tables() *idTables {
	v, _ := openTables.LoadOrStore(l.db, &idTables{})
	return v.(*idTables)
}

// settleIDTables renames every installed table whose file is still
// .new once the store has committed its digest.
func (l *Ledger) settleIDTables() error {
	ts := l.tables()
	ts.mu.Lock()
	defer ts.mu.Unlock()
	for _, t := range ts.files {
		if !t.pending {
			continue
		}
		var committed string
		if err := l.view(func(tx *txn) error {
			committed = string(tx.Bucket(bucketMeta).Get(idsMetaKey(t.name)))
			return nil
		}); err != nil {
			return err
		}
		if committed != t.digest {
			continue
		}
		path := filepath.Join(l.ArchiveDir(), t.name)
		if err := os.Rename(path+".new", path); err != nil {
			return fmt.Errorf("ID table: %w", err)
		}
		if err := syncDir(l.ArchiveDir()); err != nil {
			return err
		}
		t.pending = false
	}
	return nil
}

// openIDTables, at Open, finishes what a crashed run left (a .new file
// whose digest the store committed is renamed; one it did not is
// removed) and opens every table the store names. A table missing or
// damaged is an error: a lookup must never take a lost table for "not a
// duplicate".
func (l *Ledger) openIDTables() error {
	var files map[string]string
	if err := l.view(func(tx *txn) error {
		c := tx.Bucket(bucketMeta).Cursor()
		p := []byte("ids_file:")
		for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
			if files == nil {
				files = map[string]string{}
			}
			files[string(k[len(p):])] = string(v)
		}
		return nil
	}); err != nil {
		return err
	}
	ts := l.tables()
	dir := l.ArchiveDir()
	for name, digest := range files {
		path := filepath.Join(dir, name)
		if _, err := os.Stat(path + ".new"); err == nil {
			d, err := fileDigest(path + ".new")
			if err != nil {
				return err
			}
			if d == digest {
				if err := os.Rename(path+".new", path); err != nil {
					return err
				}
			} else if err := os.Remove(path + ".new"); err != nil {
				return err
			}
		}
		t, err := openIDTable(path)
		if os.IsNotExist(err) {
			return Errf(CodeNotFound, "ids.table_missing", "file", name)
		}
		if err != nil {
			return err
		}
		t.name, t.digest = name, digest
		ts.install(t)
	}
	return nil
}

func (l *Ledger) closeIDTables() {
	if v, ok := openTables.LoadAndDelete(l.db); ok {
		v.(*idTables).closeAll()
	}
}

// prepareIDTables is a standby's part of a run: before the page whose
// first event is an ids.archived event is applied, it builds the table
// from its own live entries as the primary did, unless it has that table
// already, and refuses a table whose digest is not the event's.
func (l *Ledger) prepareIDTables(events []ReplicaEvent) error {
	if len(events) == 0 || events[0].Event.Type != EvIDsArchived {
		return nil
	}
	var p IDsArchived
	if err := json.Unmarshal(events[0].Event.Data, &p); err != nil {
		return err
	}
	if !validIDsFile(p.File) {
		return Errf(CodeInvalid, "ids.file_invalid", "file", clipText(p.File))
	}
	if t := l.tables().table(p.File); t != nil && t.digest == p.Digest {
		return nil
	}
	m, err := l.collectMovable(p.Through)
	if err != nil {
		return err
	}
	t, digest, err := l.buildIDTable(p.File, m.recs)
	if err != nil {
		return err
	}
	if digest != p.Digest {
		t.close()
		os.Remove(filepath.Join(l.ArchiveDir(), p.File+".new"))
		return Errf(CodeConflict, "ids.digest_differs", "file", p.File, "seq", fmt.Sprint(events[0].Event.Seq))
	}
	l.tables().install(t)
	return nil
}

// validIDsFile accepts "YYYY-MM.ids".
func validIDsFile(f string) bool {
	m, ok := strings.CutSuffix(f, ".ids")
	return ok && validMonth(m)
}

// idsSplit is where a page of replicated events is cut so that an
// ids.archived event comes first in its part (prepareIDTables).
func idsSplit(events []ReplicaEvent) int {
	for i := 1; i < len(events); i++ {
		if events[i].Event.Type == EvIDsArchived {
			return i
		}
	}
	return 0
}

// replicateIDsArchived is replicateTx's part for an ids.archived event.
func replicateIDsArchived(tx *txn, ev *Event) error {
	var p IDsArchived
	if err := decode(ev, &p); err != nil {
		return err
	}
	return removeMoved(tx, p)
}

// VerifyIDTables reads every ID table whole against the digest the store
// committed for it (`tally check`).
func (l *Ledger) VerifyIDTables() (tables int, records uint64, err error) {
	ts := l.tables()
	ts.mu.RLock()
	list := slices.Clone(ts.list)
	ts.mu.RUnlock()
	for _, t := range list {
		s := sha256.New()
		if _, err := io.Copy(s, io.NewSectionReader(t.ra, 0, t.size)); err != nil {
			return tables, records, err
		}
		d := hex.EncodeToString(s.Sum(nil))
		if d != t.digest {
			return tables, records, &IDTableError{Path: t.name, Why: "its SHA-256 is not the one the store committed"}
		}
		if err := t.each(func(*idRecord) error { records++; return nil }); err != nil {
			return tables, records, err
		}
		tables++
	}
	return tables, records, nil
}

// archivedAnswer is runKeyed's answer for a key an ID table holds: bound
// as a live record binds (by the record's hashes, or, for an ID with no
// record, by its event's actor and type), answered from the state.
func archivedAnswer[T any](tx *txn, k keyed, digest string, r idRecord, answer func(tx *txn, ev *Event) (T, error)) (T, error) {
	var out T
	prior, err := eventAt(tx, r.seq())
	if err != nil {
		return out, err
	}
	if r.flags()&idFlagKey != 0 {
		if k.owns != nil {
			if err := k.owns(tx); err != nil {
				return out, err
			}
		}
		if err := r.binds(k, digest); err != nil {
			return out, err
		}
		return answer(tx, &prior)
	}
	if err := (keyRecord{Actor: prior.Actor, Type: prior.Type, Target: k.target, Digest: digest}).binds(k, digest); err != nil {
		return out, err
	}
	if k.owns != nil {
		if err := k.owns(tx); err != nil {
			return out, err
		}
	}
	return answer(tx, &prior)
}

// sortRecords puts records in a table's order: by their bytes.
func sortRecords(recs []idRecord) {
	slices.SortFunc(recs, func(x, y idRecord) int { return bytes.Compare(x[:], y[:]) })
}
