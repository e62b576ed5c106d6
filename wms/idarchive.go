package wms

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
// One immutable table a run (runtables.go, the manager lot indexes
// share): the run writes a table of only the entries it moves, syncs it,
// renames it to YYYY-MM.<first 16 hex of its SHA-256>.ids (the month of
// its cut-off), opens it, and then appends ids.archived events, each
// removing the entries of one range of IDs (idsBatch entries) and naming
// the table (file, digest, table); the event's transaction records it
// (meta ids_table:NAME). Open opens every table the store names, and a
// lookup that misses the live buckets asks every one (a miss costs a
// filter probe a table: README). Nothing merges, rewrites or deletes a
// table file, named or not, so every backup restores with its own tables
// and a standby can always fetch a run's table from the primary. A run
// that stops before its first event leaves its entries live and its file
// unnamed: the next run writes them again (the same file when the same
// records: records are sets).
//
// A standby builds its own table the same way when it replicates the
// first event of a run (from its own live entries, which are the
// primary's) and, when its digest is not the event's (a standby that
// started empty, or was stopped longer than --keep-ids, lacks the moved
// entries), fetches exactly that file from the primary (idfetch.go). The
// entries moved are exactly those a standby has: an ID of an event, and a
// key whose record was replicated with its event (its own ID, or
// key_seqs).

// EvIDsArchived moves one range of event IDs and keys to an ID table.
const EvIDsArchived = "ids.archived"

// IDsArchived is the payload of ids.archived.
type IDsArchived struct {
	File    string `json:"file"`            // the month of the run's cut-off, "2026-11.ids"
	Table   string `json:"table,omitempty"` // the run's own table, "2026-11.<16 hex>.ids" ("" an event of a run before one table a run, whose digest named the month's merged version)
	Through uint64 `json:"through"`         // the IDs of events up to this sequence number move
	From    string `json:"from"`            // the range of IDs: from (inclusive)
	To      string `json:"to,omitempty"`    // to (exclusive; "" the last)
	Count   int    `json:"count"`           // entries (IDs) the range moves
	Digest  string `json:"digest"`          // SHA-256 of the run's table
	Records uint64 `json:"records"`         // records in the run's table
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
// in the table as its log has it (an ID whose key record the standby
// never got, keyNotReplicated, with the table's record), and more than
// the primary moved is still refused.
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
	name, err := idsKind.runTable(p.File, p.Digest, p.Table)
	if err != nil {
		return err
	}
	ts := tablesOf(tx.DB())
	if ts != nil && len(ids) > 0 {
		// the table is used under the read lock: no install closes it
		// meanwhile
		ts.mu.RLock()
		defer ts.mu.RUnlock()
	}
	for i, id := range ids {
		// nothing leaves that the table does not hold
		if ts == nil {
			return fmt.Errorf("ids.archived: no ID tables open")
		}
		t := ts.files[name]
		if t == nil {
			return fmt.Errorf("ids.archived: table %s is not open", name)
		}
		got, ok, err := t.lookup(recs[i].hash())
		if err != nil {
			return err
		}
		if !ok || got != recs[i] && !(fewer && keyNotReplicated(got, recs[i])) {
			return fmt.Errorf("ids.archived: table %s does not hold %q as the log has it", name, id)
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
	return tx.Bucket(bucketMeta).Put(idsKind.metaKey(p.File, p.Digest, p.Table), []byte(p.Digest))
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

// idTableFile is the file of a run's table: "2026-11.ids" and its
// SHA-256 → "2026-11.<first 16 hex>.ids" (tableName).
func idTableFile(file, digest string) string { return tableName(file, digest) }

// idTableVersion is the version a run writes (a test writes version 1 to
// play a primary from before the filter).
var idTableVersion uint32 = idVersion

// archiveIDs is Archive's step for event IDs and keys: those of events
// before `before` move to the run's own ID table.
func (l *Ledger) archiveIDs(ctx context.Context, before time.Time, actor, device string, run *ArchiveRun) (err error) {
	through, err := l.lastSeqBefore(before)
	if err != nil || through == 0 {
		return err
	}
	m, err := l.collectMovable(through)
	if err != nil || len(m.ids) == 0 {
		return err
	}
	if err := l.removeStale(true); err != nil {
		return err
	}
	file := before.In(l.zone).Format("2006-01") + ".ids"
	// m.recs is sorted in place (not cloned): only m.ids is read below
	t, digest, err := l.buildTable(idsKind, file, m.recs, "", idTableVersion)
	if err != nil {
		return err
	}
	name := t.name
	l.tables().install(t)
	committed := false
	defer func() {
		if !committed { // an error before the first event committed: the file stays, unnamed
			err = errors.Join(err, l.dropUnnamed(idsKind, name))
		}
	}()
	for i := 0; i < len(m.ids); i += idsBatch {
		if err := ctx.Err(); err != nil {
			return err
		}
		j := min(i+idsBatch, len(m.ids))
		p := IDsArchived{File: file, Table: name, Through: through, From: m.ids[i], Count: j - i, Digest: digest, Records: t.count}
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
		run.IDs += j - i
		run.Events++
	}
	run.noteFile(name)
	return nil
}

// dropUnnamed takes a run's table out of the open ones when the store does
// not name it (its first event failed); its file stays.
func (l *Ledger) dropUnnamed(k *tableKind, name string) error {
	var named bool
	if err := l.view(func(tx *txn) error {
		named = tx.Bucket(bucketMeta).Get([]byte(k.meta+name)) != nil
		return nil
	}); err != nil {
		return err
	}
	if !named {
		l.tablesOfKind(k).remove(name)
	}
	return nil
}

// keyNotReplicated reports whether a standby's record of an ID (have)
// is the table's (got) without its key part: the ID's event with its own
// key record, replicated to a standby that started after a run moved
// the record to a table. The replication read sends an event's own
// record from the primary's live keys (replicaEventsTx), which no longer
// hold it, so the standby has the event's ID alone; the table, whose
// SHA-256 is the one the event names, holds the ID at the same event
// with the record. Anything else (another event, a record of its own
// that differs) is still refused.
func keyNotReplicated(got, have idRecord) bool {
	bare := newIDRecord("", have.seq(), true, nil) // an event's ID, no key record
	copy(bare[:idHashSize], got[:idHashSize])
	return have == bare && got.flags() == idFlagEvent|idFlagKey && got.seq() == have.seq()
}

func (l *Ledger) tables() *idTables { return l.tablesOfKind(idsKind) }

// openIDTables, at Open, opens every ID table the store names
// (openTablesOfKind).
func (l *Ledger) openIDTables() error { return l.openTablesOfKind(idsKind) }

func (l *Ledger) closeIDTables() { l.closeTablesOfKind(idsKind) }

// prepareIDTables is a standby's part of a run: before the page whose
// first event is an ids.archived event is applied, the run's table
// (prepareTable: its own, built as the primary did, or the primary's file).
func (l *Ledger) prepareIDTables(events []ReplicaEvent) error {
	if len(events) == 0 || events[0].Event.Type != EvIDsArchived {
		return nil
	}
	var p IDsArchived
	if err := json.Unmarshal(events[0].Event.Data, &p); err != nil {
		return err
	}
	if _, err := idsKind.runTable(p.File, p.Digest, p.Table); err != nil {
		return err
	}
	versions := []uint32{idTableVersion}
	if idTableVersion != idVersion1 {
		// a primary that writes tables without a filter (the version
		// before it): the same records in its form
		versions = append(versions, idVersion1)
	}
	return l.prepareTable(idsKind, p.File, p.Digest, p.Table == "", events[0].Event.Seq, func() ([]idRecord, error) {
		m, err := l.collectMovable(p.Through)
		return m.recs, err
	}, versions...)
}

// idsSplit is where a page of replicated events is cut so that an
// ids.archived event comes first in its part (prepareIDTables).
func idsSplit(events []ReplicaEvent) int { return runSplit(events, EvIDsArchived) }

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
	return l.verifyTables(idsKind)
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
