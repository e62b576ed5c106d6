package wms

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// One immutable table a run: the table manager that ID tables
// (idarchive.go) and lot indexes (lotarchive.go) share.
//
// An archiving run writes ONE table of only the records it moves, named by
// its SHA-256 (DATA/archive/YYYY-MM.<first 16 hex>.ids or .lots, the month
// of the run's cut-off), syncs it, opens it, and then appends its events,
// each naming the table (the payload's file, digest and table). The store
// names every table its events named (meta ids_table:NAME / lots_table:NAME
// → the full SHA-256); Open opens every named table, and lookups and lot
// stories read them all (newest name first). A table is never merged,
// rewritten nor deleted, named or not: a backup restored later names its
// own tables, which are all still there, and a standby that lacks the
// entries a run moved fetches exactly that run's file from the primary,
// which always has it. A run cut off after writing its file leaves its
// entries live: the next run writes them again (the same name when the
// same records; a file no event names is never opened). A store written
// before one table a run names a month's merged version (meta
// ids_file:YYYY-MM.ids / lots_file:YYYY-MM.lots → digest): it is opened as
// one more table.
//
// Cost: a lookup that misses the live buckets asks every table; a
// version-2 table answers a miss from its filter (idfilter.go) without a
// block read, so a miss costs a filter probe per table (README, "ID
// tables over years": the figure with 30 and 365 tables).

// tableKind is what differs between ID tables and lot indexes.
type tableKind struct {
	ext     string    // ".ids", ".lots"
	meta    string    // meta prefix of a run's table: "ids_table:" NAME → digest
	legacy  string    // meta prefix of a month's merged version (before one table a run)
	missing string    // the error key of a named table not in the folder
	damaged string    // the error key of a table that does not read as one
	what    string    // "ID table", "lot index" (errors read by an operator)
	open    *sync.Map // *bolt.DB → *idTables
}

var (
	idsKind  = &tableKind{ext: ".ids", meta: "ids_table:", legacy: "ids_file:", missing: "ids.table_missing", damaged: "ids.table_damaged", what: "ID table", open: &openTables}
	lotsKind = &tableKind{ext: ".lots", meta: "lots_table:", legacy: "lots_file:", missing: "lots.table_missing", damaged: "lots.table_damaged", what: "lot index", open: &openLotTables}
)

// kindOfName is the kind of a table file's name ("….ids", "….lots").
func kindOfName(name string) *tableKind {
	if strings.HasSuffix(name, lotsKind.ext) {
		return lotsKind
	}
	if strings.HasSuffix(name, ordsKind.ext) { // ordertable.go
		return ordsKind
	}
	return idsKind
}

// tableName is a table's file: "2026-11.ids" (or "2026-11.lots") and its
// SHA-256 → "2026-11.<first 16 hex>.ids".
func tableName(file, digest string) string {
	ext := filepath.Ext(file)
	return strings.TrimSuffix(file, ext) + "." + digest[:min(16, len(digest))] + ext
}

// validMonthFile accepts "YYYY-MM" and the kind's extension.
func (k *tableKind) validMonthFile(f string) bool {
	m, ok := strings.CutSuffix(f, k.ext)
	return ok && validMonth(m)
}

// runTable checks an event's table against its file and digest: the
// run's table is tableName(file, digest); an event of a run before one
// table a run names none. A file or digest that is not one is the kind's
// file_invalid; a table of another name, its table_name_differs.
func (k *tableKind) runTable(file, digest, table string) (string, error) {
	if !k.validMonthFile(file) || len(digest) != 64 {
		return "", Errf(CodeInvalid, k.pick("ids.file_invalid", "lots.file_invalid"), "file", clipText(file))
	}
	name := tableName(file, digest)
	if table != "" && table != name {
		return "", Errf(CodeInvalid, k.pick("ids.table_name_differs", "lots.table_name_differs"), "table", clipText(table), "file", file, "name", name)
	}
	return name, nil
}

// pick is the ID table's word or the lot index's (an error key).
func (k *tableKind) pick(ids, lots string) string {
	if k == lotsKind {
		return lots
	}
	if k == ordsKind { // ordertable.go: "ids.X" → "ords.X"
		return "ords." + strings.TrimPrefix(ids, "ids.")
	}
	return ids
}

// metaKey is where the store names a table its event named: a run's own
// table by its name, a merged version (an event without table) by its
// month, as it was written.
func (k *tableKind) metaKey(file, digest, table string) []byte {
	if table == "" {
		return []byte(k.legacy + file)
	}
	return []byte(k.meta + tableName(file, digest))
}

func (l *Ledger) tablesOfKind(k *tableKind) *idTables {
	v, _ := k.open.LoadOrStore(l.db, &idTables{})
	return v.(*idTables)
}

// buildTable writes a run's table of recs (sorted in place: the caller's
// slice is not cloned) under a temporary name of its own, syncs it and,
// when its digest is want ("" any), renames it to its name and opens it;
// it does not install it. A file of that name already there (a run cut
// off after writing it) has the same bytes: the rename leaves a mapped
// inode whole.
func (l *Ledger) buildTable(k *tableKind, file string, recs []idRecord, want string, version uint32) (*idTable, string, error) {
	dir := l.ArchiveDir()
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, "", fmt.Errorf("create the archive folder: %w", err)
	}
	sortRecords(recs)
	tmp, err := os.CreateTemp(dir, file+".tmp-*")
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", k.what, err)
	}
	tmpPath := tmp.Name()
	tmp.Close()
	w, err := createIDTableAt(tmpPath)
	if err != nil {
		os.Remove(tmpPath)
		return nil, "", fmt.Errorf("%s: %w", k.what, err)
	}
	w.version = version
	placed := false
	defer func() {
		w.abort()
		if !placed {
			os.Remove(tmpPath)
		}
	}()
	for i, r := range recs {
		if i > 0 && r == recs[i-1] {
			continue // records are a set
		}
		if err := w.add(r); err != nil {
			return nil, "", err
		}
	}
	digest, err := w.finish()
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", k.what, err)
	}
	if want != "" && digest != want {
		return nil, digest, nil
	}
	name := tableName(file, digest)
	path := filepath.Join(dir, name)
	if err := os.Rename(tmpPath, path); err != nil {
		return nil, "", fmt.Errorf("%s: %w", k.what, err)
	}
	placed = true
	if err := syncDir(dir); err != nil {
		return nil, "", err
	}
	t, err := openIDTable(path)
	if err != nil {
		return nil, "", err
	}
	t.name, t.digest = name, digest
	return t, digest, nil
}

// openNamed opens a table the store names; a missing one is the kind's
// error naming it.
func (l *Ledger) openNamed(k *tableKind, name, digest string) (*idTable, error) {
	t, err := openIDTable(filepath.Join(l.ArchiveDir(), name))
	if os.IsNotExist(err) {
		return nil, Errf(CodeNotFound, k.missing, "file", name)
	}
	if err != nil {
		return nil, k.asKind(err)
	}
	t.name, t.digest = name, digest
	return t, nil
}

// asKind gives a table error the kind of its table.
func (k *tableKind) asKind(err error) error {
	if te, ok := err.(*IDTableError); ok && te.Kind == "" {
		return &IDTableError{Path: te.Path, Why: te.Why, Kind: k.what}
	}
	return err
}

// openTablesOfKind, at Open, opens every table the store names (a run's
// own, and a month's merged version of a store written before one table a
// run). It changes nothing in the archive folder (a restore's staged Open
// reads the live one). A named table missing or damaged is an error: a
// lookup must never take a lost table for "not a duplicate", nor a recall
// for a short story.
func (l *Ledger) openTablesOfKind(k *tableKind) error {
	type named struct{ name, digest string }
	var files []named
	if err := l.view(func(tx *txn) error {
		c := tx.Bucket(bucketMeta).Cursor()
		for _, pre := range []string{k.meta, k.legacy} {
			p := []byte(pre)
			for key, v := c.Seek(p); key != nil && bytes.HasPrefix(key, p); key, v = c.Next() {
				name := string(key[len(p):])
				if pre == k.legacy {
					name = tableName(name, string(v))
				}
				files = append(files, named{name, string(v)})
			}
		}
		return nil
	}); err != nil {
		return err
	}
	ts := l.tablesOfKind(k)
	for _, f := range files {
		t, err := l.openNamed(k, f.name, f.digest)
		if err != nil {
			return err
		}
		ts.install(t)
	}
	return nil
}

func (l *Ledger) closeTablesOfKind(k *tableKind) {
	if v, ok := k.open.LoadAndDelete(l.db); ok {
		v.(*idTables).closeAll()
	}
	neededTables.Range(func(key, _ any) bool {
		if key.(neededKey).db == l.db {
			neededTables.Delete(key)
		}
		return true
	})
}

// prepareTable is a standby's part of a run, before the page whose first
// event is the run's event applies: the run's table, when it is not open
// already, is the file of that name in the archive folder when it is whole
// (fetched, or copied), or the one the standby builds from its own live
// entries (collect) as the primary did; when that one's digest differs
// (the standby lacks entries the primary moved) the page is refused with
// an *IDTableNeeded, and the follower fetches exactly that file.
//
// An event of a run before one table a run (legacy) named the month's
// merged version: the standby builds it as that run did, the month's
// version its store names merged with its own entries.
func (l *Ledger) prepareTable(k *tableKind, file, digest string, legacy bool, seq uint64, collect func() ([]idRecord, error), versions ...uint32) error {
	name := tableName(file, digest)
	ts := l.tablesOfKind(k)
	if t := ts.table(name); t != nil && t.digest == digest {
		return nil
	}
	path := filepath.Join(l.ArchiveDir(), name)
	memo := neededKey{l.db, name, digest}
	if d, err := fileDigest(path); err == nil && d == digest {
		t, err := l.openNamed(k, name, digest)
		if err != nil {
			return err
		}
		ts.install(t)
		neededTables.Delete(memo)
		return nil
	}
	if need, ok := neededTables.Load(memo); ok {
		// built before and found to differ: the standby's entries are
		// what they were (the page was refused), so the follower goes
		// straight to fetching the primary's file again
		return need.(*IDTableNeeded)
	}
	recs, err := collect()
	if err != nil {
		return err
	}
	if legacy {
		if recs, err = l.withLegacyVersion(k, file, recs); err != nil {
			return err
		}
	}
	for _, v := range versions {
		t, _, err := l.buildTable(k, file, recs, digest, v)
		if err != nil {
			return err
		}
		if t != nil {
			ts.install(t)
			return nil
		}
	}
	e := Errf(CodeConflict, k.pick("ids.digest_differs", "lots.digest_differs"), "file", file, "seq", fmt.Sprint(seq), "name", name)
	need := &IDTableNeeded{Name: name, Digest: digest, Err: e}
	neededTables.Store(memo, need)
	return need
}

// neededTables remembers the tables a standby built and found to differ
// from the primary's (prepareTable): a retry after a failed fetch does
// not build the table again. An entry goes when the file is in place, or
// the store closes.
var neededTables sync.Map // neededKey → *IDTableNeeded

type neededKey struct {
	db           *bolt.DB
	name, digest string
}

// withLegacyVersion adds to recs the records of the month's merged
// version the store names (none: recs as they are).
func (l *Ledger) withLegacyVersion(k *tableKind, file string, recs []idRecord) ([]idRecord, error) {
	var prior string
	if err := l.view(func(tx *txn) error {
		prior = string(tx.Bucket(bucketMeta).Get([]byte(k.legacy + file)))
		return nil
	}); err != nil || prior == "" {
		return recs, err
	}
	t, err := l.openNamed(k, tableName(file, prior), prior)
	if err != nil {
		return nil, err
	}
	defer t.close()
	err = t.each(func(r *idRecord) error { recs = append(recs, *r); return nil })
	return recs, k.asKind(err)
}

// removeStale removes what a process killed mid-way left in the archive
// folder: a download's NAME.fetch-* (idfetch.go) and, with tmp, a build's
// YYYY-MM.ids.tmp-* / .lots.tmp-*. Never a table file (named or not: a
// newer backup may name it).
func (l *Ledger) removeStale(tmp bool) error {
	dir := l.ArchiveDir()
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		n := e.Name()
		stale := strings.Contains(n, ".ids.fetch-") || strings.Contains(n, ".lots.fetch-")
		stale = stale || strings.Contains(n, ".ords.fetch-") // ordertable.go
		if tmp {
			stale = stale || strings.Contains(n, ".ids.tmp-") || strings.Contains(n, ".lots.tmp-")
			stale = stale || strings.Contains(n, ".ords.tmp-")
		}
		if stale && e.Type().IsRegular() {
			if err := os.Remove(filepath.Join(dir, n)); err != nil && !os.IsNotExist(err) {
				return err
			}
		}
	}
	return nil
}

// runSplit is where a page of replicated events is cut so that an event
// of type typ comes first in its part (prepareTable).
func runSplit(events []ReplicaEvent, typ string) int {
	for i := 1; i < len(events); i++ {
		if events[i].Event.Type == typ {
			return i
		}
	}
	return 0
}

// verifyTables reads every open table of a kind whole against the digest
// the store committed for it (`tally check`).
func (l *Ledger) verifyTables(k *tableKind) (tables int, records uint64, err error) {
	ts := l.tablesOfKind(k)
	// the tables are read under the read lock: no install closes one
	// meanwhile (an install waits for the check)
	ts.mu.RLock()
	defer ts.mu.RUnlock()
	for _, t := range ts.list {
		s := sha256.New()
		if _, err := io.Copy(s, io.NewSectionReader(t.ra, 0, t.size)); err != nil {
			return tables, records, err
		}
		if hex.EncodeToString(s.Sum(nil)) != t.digest {
			return tables, records, &IDTableError{Path: t.name, Why: "its SHA-256 is not the one the store committed", Kind: k.what}
		}
		if err := t.each(func(*idRecord) error { records++; return nil }); err != nil {
			return tables, records, k.asKind(err)
		}
		tables++
	}
	return tables, records, nil
}
