package wms

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Restored says what Restore put in place.
type Restored struct {
	Seq       uint64    // the last event of the restored store
	Events    int       // events in its log
	LastEvent time.Time // when its last event happened (zero when it has none)
	// Kept is where the store it replaced now is ("" when the directory
	// had none): restore that file the same way to undo the restore.
	Kept string
	// RebuiltFrom is the projections version of a backup written by an
	// older Tally, whose projections were rebuilt from its log ("" if none).
	RebuiltFrom string
	Took        time.Duration
}

// Restore replaces the store in dir with the backup in file, after proving
// the backup sound: it must open as a Tally store and its projections must
// equal a rebuild of its log (Check), on a copy beside the store. Until the
// copy is proven nothing in dir changes. It refuses while another process
// holds the store (ErrLocked) and holds the store's lock itself until done,
// so a server cannot start on it halfway. The replaced store is kept as
// tally.db.before-restore-<UTC time> in dir; the copy then takes the store's
// name in one rename, so dir never lacks a store it had.
//
// It needs free space in dir for one copy of the backup (the old store is
// kept, not overwritten) and, for Check, room for a rebuild of the
// projections.
func Restore(dir, file string, opt Options) (Restored, error) {
	start := time.Now()
	var r Restored
	target := filepath.Join(dir, dbFile)
	_, statErr := os.Stat(target)
	had := statErr == nil
	if had {
		unlock, err := lockStore(target, opt.OpenTimeout)
		if err != nil {
			return r, err
		}
		defer unlock()
	} else if !errors.Is(statErr, os.ErrNotExist) {
		return r, statErr
	}
	if same, err := sameFile(file, target); err != nil {
		return r, fmt.Errorf("the backup: %w", err)
	} else if same {
		return r, fmt.Errorf("%s is the store itself, not a backup of it", file)
	}
	seq, err := VerifyBackup(file)
	if err != nil {
		return r, err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return r, fmt.Errorf("create data directory: %w", err)
	}

	stage, err := os.MkdirTemp(dir, ".tally-restore-*")
	if err != nil {
		return r, err
	}
	defer os.RemoveAll(stage)
	if err := linkArchive(stage, dir); err != nil { // the archived events the copy's check reads (eventarchive.go)
		return r, err
	}
	staged := filepath.Join(stage, dbFile)
	if err := copyFileSynced(file, staged); err != nil {
		return r, fmt.Errorf("copy the backup: %w", err)
	}
	if r, err = proveStore(stage, seq, opt); err != nil {
		return r, err
	}

	if had {
		r.Kept = target + ".before-restore-" + time.Now().UTC().Format(backupTimeLayout) + "Z"
		if err := os.Link(target, r.Kept); err != nil {
			return r, fmt.Errorf("keep the store being replaced: %w", err)
		}
		if err := os.Rename(staged, target); err != nil {
			_ = os.Remove(r.Kept) // target is still the old store
			return r, err
		}
	} else if err := os.Link(staged, target); err != nil { // never over a store that appeared meanwhile
		if errors.Is(err, os.ErrExist) {
			return r, fmt.Errorf("%s: a store appeared while restoring (did a server start?); nothing was replaced", dir)
		}
		return r, err
	}
	if err := syncDir(dir); err != nil {
		return r, err
	}
	r.Took = time.Since(start)
	return r, nil
}

// proveStore opens the copy in stage, rebuilds it if an older Tally wrote
// its projections, checks its projections against a rebuild and reads what
// the restore will say.
func proveStore(stage string, seq uint64, opt Options) (r Restored, err error) {
	defer func() { // bbolt asserts on pages it cannot read
		if p := recover(); p != nil {
			err = fmt.Errorf("the backup is damaged: %v", p)
		}
	}()
	opt.KeepProjections = true
	l, err := Open(stage, opt)
	if err != nil {
		return r, fmt.Errorf("the backup does not open as a store: %w", err)
	}
	defer l.Close()
	if have, stale := l.StaleProjections(); stale {
		if err := l.Rebuild(); err != nil {
			return r, fmt.Errorf("rebuild the projections of the backup (projections version %s): %w", have, err)
		}
		r.RebuiltFrom = have
	}
	mm, err := l.Check(stage)
	if err != nil {
		return r, fmt.Errorf("the backup fails its check: %w", err)
	}
	if len(mm) > 0 {
		return r, fmt.Errorf("the backup fails its check: %d projection entries differ from a rebuild of its log (first: %s)", len(mm), mm[0])
	}
	if _, _, err := l.VerifyIDTables(); err != nil { // idarchive.go: Open reads a table's header and index only
		return r, fmt.Errorf("the backup's archive folder: %w", err)
	}
	if _, _, err := l.VerifyLotIndexes(); err != nil { // lotarchive.go
		return r, fmt.Errorf("the backup's archive folder: %w", err)
	}
	if _, _, err := l.VerifyOrderTables(); err != nil { // ordertable.go
		return r, fmt.Errorf("the backup's archive folder: %w", err)
	}
	if _, _, err := l.VerifyUnitFiles(); err != nil { // unitarchive.go
		return r, fmt.Errorf("the backup's archive folder: %w", err)
	}
	if _, _, err := l.VerifyRecordFiles(); err != nil { // receiptarchive.go
		return r, fmt.Errorf("the backup's archive folder: %w", err)
	}
	if _, _, err := l.VerifyArchiveFiles(); err != nil { // archive.go: every month file holds what the store committed to it
		return r, fmt.Errorf("the backup's archive folder: %w", err)
	}
	err = l.view(func(tx *txn) error {
		events := tx.Bucket(bucketEvents)
		r.Seq = events.Sequence()
		r.Events = events.Stats().KeyN
		if r.Seq == 0 {
			return nil
		}
		ev, err := eventAt(tx, r.Seq)
		r.LastEvent = ev.At
		return err
	})
	if err != nil {
		return r, fmt.Errorf("the backup's log: %w", err)
	}
	if r.Seq != seq {
		return r, fmt.Errorf("the copy holds events up to %d, the backup up to %d", r.Seq, seq)
	}
	return r, nil
}

// copyFileSynced copies src to a new file dst and syncs it.
func copyFileSynced(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// sameFile reports whether a and b name one file (b may not exist).
func sameFile(a, b string) (bool, error) {
	fa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	fb, err := os.Stat(b)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return os.SameFile(fa, fb), nil
}
