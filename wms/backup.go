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
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tally-backup-*")
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
		err = fmt.Errorf("%w: the disk holding %s is full; write the backup to another disk (a USB stick, a network share)", err, filepath.Dir(path))
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
	return size, lastSeq, os.Rename(tmp.Name(), path)
}

// VerifyBackup opens a backup read-only, checks that it is a Tally store and
// returns the last event it holds.
func VerifyBackup(path string) (uint64, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return 0, fmt.Errorf("the backup does not open: %w", err)
	}
	defer db.Close()
	var seq uint64
	err = db.View(func(tx *bolt.Tx) error {
		events := tx.Bucket(bucketEvents)
		if events == nil || tx.Bucket(bucketMeta) == nil {
			return errors.New("the backup is not a Tally store")
		}
		seq = events.Sequence()
		return nil
	})
	return seq, err
}
