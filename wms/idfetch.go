package wms

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// A standby that cannot build the primary's ID table itself (it lacks IDs
// the primary moved: it started empty after ids.archived, or was stopped
// longer than --keep-ids) gets the primary's file: prepareIDTables refuses
// the page with an *IDTableNeeded (ids.digest_differs), the follower reads
// the file from the primary's replication route (GET
// /api/v1/replication/id-tables/NAME, same tokens as the replication read:
// OpenIDTableFile) and hands it to AdoptIDTable, which keeps it only when
// its SHA-256 is the one the event names; the page is then applied again
// and prepareIDTables uses the file.

// MaxIDTableBytes bounds a table served to or fetched by a standby: a peak
// month of 100 million IDs is about 4.2 GB; four times that is refused as
// no table of this store.
const MaxIDTableBytes = 16 << 30

// IDTableNeeded is ids.digest_differs with what a follower needs to fetch
// the primary's table: its file name and its SHA-256.
type IDTableNeeded struct {
	Name   string // "2026-11.<first 16 hex of digest>.ids"
	Digest string // the full SHA-256, in hex, as the ids.archived event names it
	Err    error  // the domain error (ids.digest_differs)
}

func (e *IDTableNeeded) Error() string { return e.Err.Error() }
func (e *IDTableNeeded) Unwrap() error { return e.Err }

// validIDTableName accepts a table's file name: "YYYY-MM.<16 hex>.ids"
// (an ID table) or "YYYY-MM.<16 hex>.lots" (a lot index, the same file).
func validIDTableName(name string) bool {
	rest, ok := strings.CutSuffix(name, ".ids")
	if !ok {
		rest, ok = strings.CutSuffix(name, ".lots")
	}
	if !ok {
		rest, ok = strings.CutSuffix(name, ".ords") // an order table (ordertable.go)
	}
	if !ok || len(rest) != 7+1+16 || rest[7] != '.' || !validMonth(rest[:7]) {
		return false
	}
	for _, c := range rest[8:] {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// OpenIDTableFile opens a table file of this store's archive folder for a
// standby to read (the replication route). The name must be a table
// version's name; the file is one the store wrote (never rewritten once
// named: idarchive.go).
func (l *Ledger) OpenIDTableFile(name string) (*os.File, int64, error) {
	k := kindOfName(name)
	if !validIDTableName(name) {
		return nil, 0, Errf(CodeInvalid, k.pick("ids.name_invalid", "lots.name_invalid"), "name", clipText(name))
	}
	f, err := os.Open(filepath.Join(l.ArchiveDir(), name))
	if os.IsNotExist(err) {
		return nil, 0, Errf(CodeNotFound, k.missing, "file", name)
	}
	if err != nil {
		return nil, 0, err
	}
	fi, err := f.Stat()
	if err == nil && (!fi.Mode().IsRegular() || fi.Size() > MaxIDTableBytes) {
		err = Errf(CodeInvalid, k.pick("ids.table_too_large", "lots.table_too_large"), "file", name, "max", fmt.Sprint(MaxIDTableBytes>>30))
	}
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, fi.Size(), nil
}

// TableKindOf is what a table file's name says it is: "ID table" or "lot
// index" (a follower's log and errors).
func TableKindOf(name string) string { return kindOfName(name).what }

// fetchMu holds one download at a time in a process (a follower's).
var fetchMu sync.Mutex

// RemoveUnfinishedTables removes what a standby killed mid-way left in
// its archive folder: a download's NAME.fetch-* and a table it was
// building itself (prepareTable: YYYY-MM.ids.tmp-*, .lots.tmp-*). The
// follower calls it when it starts, before it applies a page: on a
// standby nothing else writes a table, so every such file is stale.
func (l *Ledger) RemoveUnfinishedTables() error {
	fetchMu.Lock()
	defer fetchMu.Unlock()
	return l.removeStale(true)
}

// AdoptIDTable writes a primary's table, read from r (size bytes, -1 when
// not known), into this standby's archive folder as name, once its SHA-256
// is digest and it opens as a table: written under a temporary name,
// synced, checked, then renamed. Anything wrong leaves nothing behind.
func (l *Ledger) AdoptIDTable(name, digest string, r io.Reader, size int64) error {
	if _, ok := l.Following(); !ok {
		return Errf(CodeConflict, "standby.not_standby")
	}
	k := kindOfName(name)
	if !validIDTableName(name) || len(digest) != 64 || tableName(name[:7]+k.ext, digest) != name {
		return Errf(CodeInvalid, k.pick("ids.name_invalid", "lots.name_invalid"), "name", clipText(name))
	}
	tooLarge := Errf(CodeInvalid, k.pick("ids.table_too_large", "lots.table_too_large"), "file", name, "max", fmt.Sprint(MaxIDTableBytes>>30))
	differs := func(n int64) error {
		return Errf(CodeConflict, k.pick("ids.fetched_differs", "lots.fetched_differs"), "file", name, "bytes", fmt.Sprint(n))
	}
	if size > MaxIDTableBytes {
		return tooLarge
	}
	dir := l.ArchiveDir()
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("create the archive folder: %w", err)
	}
	// what a download cut off (a standby killed mid-way) left: one
	// fetch at a time (the follower's), so every NAME.fetch-* is stale
	fetchMu.Lock()
	defer fetchMu.Unlock()
	if err := l.removeStale(false); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, name+".fetch-*")
	if err != nil {
		return fmt.Errorf("%s: %w", k.what, err)
	}
	placed := false
	defer func() {
		if !placed {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	s := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, s), io.LimitReader(r, MaxIDTableBytes+1))
	if err != nil {
		return fmt.Errorf("%s %s: %w", k.what, name, err)
	}
	if n > MaxIDTableBytes {
		return tooLarge
	}
	if got := hex.EncodeToString(s.Sum(nil)); (size >= 0 && n != size) || got != digest {
		return differs(n)
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	t, err := openIDTable(tmp.Name())
	if err != nil {
		var bad *IDTableError
		if errors.As(err, &bad) {
			return differs(n)
		}
		return err
	}
	t.close()
	if err := os.Rename(tmp.Name(), filepath.Join(dir, name)); err != nil {
		return fmt.Errorf("%s: %w", k.what, err)
	}
	placed = true
	return syncDir(dir)
}
