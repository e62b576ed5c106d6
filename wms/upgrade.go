package wms

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// An upgrade that changes projections without stopping the floor for long
// (README, Upgrading): the new version runs as a standby of the old on the
// same box, building its own projections from the old one's log while the
// old one serves; then the old one stops, CatchUpFrom takes the events the
// standby had not read yet straight from the old store's file, and the
// standby is promoted. The floor stops for that last step only.

// catchUpPage is how many events CatchUpFrom applies in one transaction.
const catchUpPage = 5_000

// CaughtUp is what CatchUpFrom did.
type CaughtUp struct {
	Taken    int          // events taken from the old store
	LastSeq  uint64       // the log's newest event now, the old store's too
	Promoted NodePromoted // the promotion that ended the standby
}

// CatchUpFrom makes this store, a standby of the Tally whose data
// directory is dir (or an empty store), hold every event of dir's log and
// promotes it. dir's file is opened read-only and left as it was (the way
// back is to start the old version on it again); its server must be
// stopped first. Each event is applied as a standby applies the primary's
// (Replicate: same sequence numbers, IDs and first answers, this version's
// appliers), so nothing is decided again and a log that differs from the
// old one (not its standby) is refused before anything changes.
func (l *Ledger) CatchUpFrom(ctx context.Context, dir string) (CaughtUp, error) {
	var r CaughtUp
	path := filepath.Join(dir, dbFile)
	if filepath.Clean(path) == filepath.Clean(l.path) {
		return r, errors.New("the old store and this one are the same file")
	}
	if _, err := os.Stat(path); err != nil {
		return r, fmt.Errorf("the old store: %w", err)
	}
	src, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if errors.Is(err, berrors.ErrTimeout) {
		return r, fmt.Errorf("%s: %w: stop the old server first (the standby has read what it could while it ran)", dir, ErrLocked)
	}
	if err != nil {
		return r, fmt.Errorf("open the old store %s: %w", path, err)
	}
	defer src.Close()

	var secret []byte
	var oldLast uint64
	mine := l.LastSeq()
	err = src.View(func(b *bolt.Tx) error {
		tx := &txn{Tx: b}
		for _, name := range logBuckets {
			if tx.Bucket(name) == nil {
				return fmt.Errorf("%s is not a Tally store (no %s bucket)", path, name)
			}
		}
		secret = bytes.Clone(tx.Bucket(bucketMeta).Get([]byte("secret")))
		oldLast = tx.Bucket(bucketEvents).Sequence()
		if mine > oldLast {
			return fmt.Errorf("this store has %d events, the old one %d: it is not the old store's standby", mine, oldLast)
		}
		if mine > 0 { // the two logs must agree up to here
			var a, b Event
			ours, theirs := []byte(nil), tx.Bucket(bucketEvents).Get(seqKey(mine))
			_ = l.view(func(t *txn) error { ours = bytes.Clone(t.Bucket(bucketEvents).Get(seqKey(mine))); return nil })
			if theirs == nil { // moved to the old store's archive (eventlog.go)
				theirs, _ = rawEvent(tx, mine)
			}
			if ours == nil {
				_ = l.view(func(t *txn) error { v, err := rawEvent(t, mine); ours = bytes.Clone(v); return err })
			}
			if theirs == nil || ours == nil || json.Unmarshal(theirs, &a) != nil || json.Unmarshal(ours, &b) != nil || a.ID != b.ID {
				return Errf(CodeConflict, "standby.diverged", "seq", strconv.FormatUint(mine, 10), "id", b.ID)
			}
		}
		return nil
	})
	if err != nil {
		return r, err
	}
	if _, ok := l.Following(); !ok {
		if mine > 0 {
			return r, Errf(CodeConflict, "standby.not_empty", "events", strconv.FormatUint(mine, 10))
		}
		if err := l.Follow("file:" + filepath.Clean(dir)); err != nil {
			return r, err
		}
	}
	if len(secret) == 32 {
		if _, err := l.AdoptSecret(secret); err != nil {
			return r, err
		}
	}
	for after := mine; after < oldLast; {
		var page []ReplicaEvent
		if err := src.View(func(b *bolt.Tx) error {
			var err error
			page, err = replicaEventsTx(&txn{Tx: b}, after, catchUpPage)
			return err
		}); err != nil {
			return r, err
		}
		if len(page) == 0 {
			break
		}
		n, err := l.Replicate(ctx, page)
		if err != nil {
			return r, fmt.Errorf("take events after %d from the old store: %w", after, err)
		}
		r.Taken += n
		after = page[len(page)-1].Event.Seq
	}
	r.LastSeq = l.LastSeq()
	if r.LastSeq != oldLast {
		return r, fmt.Errorf("after catching up this store has %d events, the old one %d", r.LastSeq, oldLast)
	}
	p, err := l.Promote(ctx, "cli", "upgrade")
	if err != nil {
		return r, err
	}
	r.Promoted = p
	return r, nil
}
