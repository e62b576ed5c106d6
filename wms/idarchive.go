package wms

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
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
// One table a month, a new version of it each run: the run merges the
// month's committed version with what it moves into a file of a new name,
// syncs it, renames it to YYYY-MM.<first 16 hex of its SHA-256>.ids
// (idTableFile), opens it in place of the old one (both hold what is
// still live too: lookups read the live buckets first), and then appends
// ids.archived events, each removing the entries of one range of IDs
// (idsBatch entries) and naming the new version's SHA-256; the first
// one's transaction records it (meta ids_file:NAME). Open opens exactly
// the version meta names, and changes nothing in the folder. A version is
// never rewritten (it may be mapped): a crash or a failed event before the
// first event leaves the old version committed (the run puts it back in
// place); the run that commits a version deletes the month's others but
// the one before it (idsKeepVersions), so the last backup before a run
// restores with its own version. One table a month rather than one a run
// keeps a new ID's miss to one read per month (a month of daily runs
// would be thirty), at the price of rewriting the month's table once a
// day (a peak month's 4 GB at its end: seconds of sequential writing,
// while the floor works). A run that stops between events is run again:
// what is left is still live, and merging it again gives the same file
// (records are sets).
//
// A standby builds its own file the same way when it replicates the first
// event of a run (from its own live entries, which are the primary's) and
// refuses to go on if its digest is not the event's, naming the remedy
// (a standby that started empty, or was stopped longer than --keep-ids,
// lacks the moved entries: seed it from a backup of the primary and a
// copy of the primary's archive folder; a version found there under the
// event's name and digest is used as it is). The entries moved
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
// of its range; the count must be the event's. A standby (fewer) may have
// fewer: one that lacks entries the primary moved (it started empty, or
// was stopped longer than --keep-ids) runs on the primary's table copied
// into its archive folder, checked against the event's digest
// (prepareIDTables), which holds them; every entry it does remove must be
// in the table as its log has it, and more than the primary moved is
// still refused.
func removeMoved(tx *txn, p IDsArchived, fewer bool) error {
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
	if len(ids) != p.Count && !(fewer && len(ids) < p.Count) {
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

// idTableFile is the file of a month's table with a digest:
// "2026-11.ids" and its SHA-256 name "2026-11.<first 16 hex>.ids". The
// name carries the content, so a run never rewrites a file that may be
// mapped, and Open opens exactly the version the store committed (a
// restored backup its own, not a newer run's).
func idTableFile(file, digest string) string {
	return strings.TrimSuffix(file, ".ids") + "." + digest[:min(16, len(digest))] + ".ids"
}

// idsKeepVersions is how many versions of a month's table a run keeps:
// the one it commits and the one that was committed before it, so a
// backup taken before the run (the last daily one) restores with its own
// table. Older versions, and what failed runs left, are deleted by the
// run once its first event committed. Two rather than more: a peak
// month's table is 4 GB at its end, and each version kept is its size
// again on disk.
const idsKeepVersions = 2

// buildIDTable writes a new version of the month's table (the committed
// version, meta, merged with recs) under a temporary name of its own,
// syncs it and, when its digest is want ("" any), renames it to its name
// (idTableFile) and opens it; it does not install it. No file that may be
// mapped is ever truncated or written: the temporary name is new, and a
// rename over a version of the same digest leaves the mapped inode whole.
func (l *Ledger) buildIDTable(file string, recs []idRecord, want string) (*idTable, string, error) {
	t, digest, err := l.buildIDTableAs(file, recs, want, idTableVersion)
	if err == nil && t == nil && want != "" && idTableVersion != idVersion1 {
		// a primary that writes tables without a filter (the version
		// before it): the same records in its form
		var d1 string
		if t, d1, err = l.buildIDTableAs(file, recs, want, idVersion1); err == nil && t != nil {
			digest = d1
		}
	}
	return t, digest, err
}

// idTableVersion is the version a run writes (a test writes version 1 to
// play a primary from before the filter).
var idTableVersion uint32 = idVersion

func (l *Ledger) buildIDTableAs(file string, recs []idRecord, want string, version uint32) (*idTable, string, error) {
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
	tmp, err := os.CreateTemp(dir, file+".tmp-*")
	if err != nil {
		return nil, "", fmt.Errorf("ID table: %w", err)
	}
	tmpPath := tmp.Name()
	tmp.Close()
	w, err := createIDTableAt(tmpPath)
	if err != nil {
		os.Remove(tmpPath)
		return nil, "", fmt.Errorf("ID table: %w", err)
	}
	w.version = version
	placed := false
	defer func() {
		w.abort()
		if !placed {
			os.Remove(tmpPath)
		}
	}()
	i := 0
	if committed != nil {
		old, err := openIDTable(filepath.Join(dir, idTableFile(file, string(committed))))
		if os.IsNotExist(err) {
			return nil, "", Errf(CodeNotFound, "ids.table_missing", "file", idTableFile(file, string(committed)))
		}
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
	if want != "" && digest != want {
		return nil, digest, nil
	}
	path := filepath.Join(dir, idTableFile(file, digest))
	if err := os.Rename(tmpPath, path); err != nil {
		return nil, "", fmt.Errorf("ID table: %w", err)
	}
	placed = true
	if err := syncDir(dir); err != nil {
		return nil, "", err
	}
	t, err := openIDTable(path)
	if err != nil {
		return nil, "", err
	}
	t.name, t.digest, t.pending, t.prev = file, digest, true, string(committed)
	return t, digest, nil
}

// putBackIDTable installs the month's committed version again after a run
// whose first event failed (none committed: no table of that month).
func (l *Ledger) putBackIDTable(file string) error {
	var committed string
	if err := l.view(func(tx *txn) error {
		committed = string(tx.Bucket(bucketMeta).Get(idsMetaKey(file)))
		return nil
	}); err != nil {
		return err
	}
	ts := l.tables()
	if t := ts.table(file); t != nil && t.digest == committed {
		t.pending = false
		return nil
	}
	if committed == "" {
		ts.remove(file)
		return nil
	}
	t, err := openIDTable(filepath.Join(l.ArchiveDir(), idTableFile(file, committed)))
	if err != nil {
		ts.remove(file) // lookups read the live store, which still holds all
		return err
	}
	t.name, t.digest = file, committed
	ts.install(t)
	return nil
}

// archiveIDs is Archive's step for event IDs and keys: those of events
// before `before` move to the month's ID table.
func (l *Ledger) archiveIDs(ctx context.Context, before time.Time, actor, device string, run *ArchiveRun) (err error) {
	through, err := l.lastSeqBefore(before)
	if err != nil || through == 0 {
		return err
	}
	m, err := l.collectMovable(through)
	if err != nil || len(m.ids) == 0 {
		return err
	}
	file := before.In(l.zone).Format("2006-01") + ".ids"
	t, digest, err := l.buildIDTable(file, m.recs, "")
	if err != nil {
		return err
	}
	l.tables().install(t)
	committed := false
	defer func() {
		if !committed { // an error before the first event committed
			// the committed version back in place: the new one is not
			// the store's (a retry builds its own)
			err = errors.Join(err, l.putBackIDTable(file))
		}
	}()
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
		if err := l.appendRunEvent(ctx, EvIDsArchived, p, actor, device, run, nil, func(tx *txn) error {
			return removeMoved(tx, p, false)
		}); err != nil {
			return err
		}
		committed = true
		if err := l.settleIDTables(); err != nil {
			return err
		}
		run.IDs += j - i
		run.Events++
	}
	run.noteFile(idTableFile(file, digest))
	return nil
}

func (l *Ledger) tables() *idTables {
	v, _ := openTables.LoadOrStore(l.db, &idTables{})
	return v.(*idTables)
}

// settleIDTables, for every installed table whose digest the store has
// committed since it was built, deletes the month's other versions but
// the one committed before it (idsKeepVersions), and what failed runs
// left (temporary files, versions never committed).
func (l *Ledger) settleIDTables() error {
	ts := l.tables()
	ts.mu.Lock()
	defer ts.mu.Unlock()
	dir := l.ArchiveDir()
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
		keep := map[string]bool{idTableFile(t.name, t.digest): true}
		if t.prev != "" {
			keep[idTableFile(t.name, t.prev)] = true
		}
		month := strings.TrimSuffix(t.name, ".ids")
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, e := range entries {
			n := e.Name()
			if !strings.HasPrefix(n, month+".") || keep[n] || !(strings.HasSuffix(n, ".ids") || strings.HasPrefix(n, t.name+".tmp-")) || n == t.name {
				continue
			}
			if err := os.Remove(filepath.Join(dir, n)); err != nil && !os.IsNotExist(err) {
				return fmt.Errorf("ID table: %w", err)
			}
		}
		if err := syncDir(dir); err != nil {
			return err
		}
		t.pending = false
	}
	return nil
}

// openIDTables, at Open, opens exactly the version of every table the
// store names (idTableFile of its committed digest). It changes nothing
// in the archive folder (a restore's staged Open reads the live one). A
// table missing or damaged is an error: a lookup must never take a lost
// table for "not a duplicate".
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
		t, err := openIDTable(filepath.Join(dir, idTableFile(name, digest)))
		if os.IsNotExist(err) {
			return Errf(CodeNotFound, "ids.table_missing", "file", idTableFile(name, digest))
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
	var prev string
	if err := l.view(func(tx *txn) error {
		prev = string(tx.Bucket(bucketMeta).Get(idsMetaKey(p.File)))
		return nil
	}); err != nil {
		return err
	}
	// the primary's file copied into the archive folder (the remedy
	// ids.digest_differs names): used when it is whole
	path := filepath.Join(l.ArchiveDir(), idTableFile(p.File, p.Digest))
	if d, err := fileDigest(path); err == nil && d == p.Digest {
		t, err := openIDTable(path)
		if err != nil {
			return err
		}
		t.name, t.digest, t.pending, t.prev = p.File, p.Digest, true, prev
		l.tables().install(t)
		return nil
	}
	m, err := l.collectMovable(p.Through)
	if err != nil {
		return err
	}
	t, _, err := l.buildIDTable(p.File, m.recs, p.Digest)
	if err != nil {
		return err
	}
	if t == nil {
		return &IDTableNeeded{Name: idTableFile(p.File, p.Digest), Digest: p.Digest,
			Err: Errf(CodeConflict, "ids.digest_differs", "file", p.File, "seq", fmt.Sprint(events[0].Event.Seq), "name", idTableFile(p.File, p.Digest))}
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
	return removeMoved(tx, p, true)
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
