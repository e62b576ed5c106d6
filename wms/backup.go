package wms

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Backup writes a consistent copy of the whole store to w while the floor
// keeps working: it is one read transaction, so writes go on beside it. It
// returns the bytes written and the last event in the copy.
func (l *Ledger) Backup(w io.Writer) (size int64, lastSeq uint64, err error) {
	err = l.view(func(tx *txn) error {
		lastSeq = tx.Bucket(bucketEvents).Sequence()
		size, err = tx.WriteTo(w)
		return err
	})
	return size, lastSeq, err
}

// BackupToFile writes a backup next to path and renames it into place once
// it is synced, so a half-written file never carries the name. It then
// opens the copy to make sure it reads and holds the events it should.
func (l *Ledger) BackupToFile(path string) (size int64, lastSeq uint64, err error) {
	return l.backupToFile(filepath.Dir(path), func(uint64) string { return path })
}

// backupToFile writes a verified backup under a temporary name in dir and
// renames it to the name chosen for its last event, then syncs dir so the
// rename survives a power cut.
func (l *Ledger) backupToFile(dir string, name func(lastSeq uint64) string) (size int64, lastSeq uint64, err error) {
	tmp, err := os.CreateTemp(dir, backupTempPrefix+"*")
	if err != nil {
		return 0, 0, err
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing to remove
	size, lastSeq, err = l.Backup(tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if IsDiskFull(err) {
		err = fmt.Errorf("%w: the disk holding %s is full; write the backup to another disk (a USB stick, a network share)", err, dir)
	}
	if err != nil {
		return 0, 0, err
	}
	got, err := VerifyBackup(tmp.Name())
	if err != nil {
		return 0, 0, err
	}
	if got != lastSeq {
		return 0, 0, fmt.Errorf("backup holds events up to %d, want %d", got, lastSeq)
	}
	path := name(lastSeq)
	if err := os.Rename(tmp.Name(), path); err != nil {
		return 0, 0, err
	}
	return size, lastSeq, syncDir(filepath.Dir(path))
}

// backupTempPrefix names a backup still being written: never one that counts.
const backupTempPrefix = ".tally-backup-"

// syncDir makes the names in dir durable (a rename, a new file).
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// VerifyBackup opens a backup read-only, checks that it is a whole Tally
// store (not cut short; every page sound by bbolt's own check) and returns
// the last event it holds. A damaged file is an error, never a panic.
func VerifyBackup(path string) (uint64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, fmt.Errorf("the backup: %w", err)
	}
	if fi.Size() == 0 {
		return 0, errors.New("the backup is an empty file")
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return 0, fmt.Errorf("the backup does not open: %w", err)
	}
	defer db.Close()
	var seq uint64
	err = db.View(func(tx *bolt.Tx) (err error) {
		defer func() { // bbolt asserts on pages it cannot read
			if p := recover(); p != nil {
				err = fmt.Errorf("the backup is damaged: %v", p)
			}
		}()
		// first, before any page past the end is touched
		if fi.Size() < tx.Size() {
			return fmt.Errorf("the backup is cut short: %d bytes of %d", fi.Size(), tx.Size())
		}
		events := tx.Bucket(bucketEvents)
		if events == nil || tx.Bucket(bucketMeta) == nil {
			return errors.New("the backup is not a Tally store")
		}
		if err := readEveryPage(tx); err != nil {
			return fmt.Errorf("the backup is damaged: %w", err)
		}
		seq = events.Sequence()
		return nil
	})
	return seq, err
}

// readEveryPage reads every key and value of every bucket: each page is read and
// bbolt checks that it is the page it should be. (tx.Check does more but in
// a goroutine of its own, where a damaged page's panic cannot be caught.)
func readEveryPage(tx *bolt.Tx) error {
	var walk func(b *bolt.Bucket) error
	walk = func(b *bolt.Bucket) error {
		return b.ForEach(func(k, v []byte) error {
			if v == nil {
				if nested := b.Bucket(k); nested != nil {
					return walk(nested)
				}
			}
			return nil
		})
	}
	return tx.ForEach(func(_ []byte, b *bolt.Bucket) error { return walk(b) })
}
