package wms

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// BucketSize is one bucket's share of the file.
type BucketSize struct {
	Name string
	Keys int
	// Live is the bytes its keys and values and their page headers use;
	// Pages the bytes of the pages it holds (Live over Pages is how full
	// its pages are).
	Live, Pages int64
}

// StoreSize is what the file holds: its bytes on disk, the events in its
// log and every bucket's live bytes and pages.
type StoreSize struct {
	FileBytes int64
	Events    int
	Live      int64 // every bucket's live bytes
	Pages     int64 // every bucket's pages
	FreePages int64 // bytes of pages the file holds free for reuse
	Buckets   []BucketSize
}

// LivePerEvent and FilePerEvent are the figures the README reports.
func (s StoreSize) LivePerEvent() float64 { return perEvent(s.Live, s.Events) }

// FilePerEvent is the file's bytes over its events.
func (s StoreSize) FilePerEvent() float64 { return perEvent(s.FileBytes, s.Events) }

func perEvent(n int64, events int) float64 {
	if events == 0 {
		return 0
	}
	return float64(n) / float64(events)
}

// Size measures the store (a read transaction that walks every bucket's
// pages: seconds for a large store).
func (l *Ledger) Size() (StoreSize, error) {
	var s StoreSize
	err := l.view(func(tx *txn) error {
		var err error
		s, err = sizeOf(tx.Tx)
		return err
	})
	if fi, err2 := os.Stat(l.path); err2 == nil {
		s.FileBytes = fi.Size()
	}
	return s, err
}

func sizeOf(tx *bolt.Tx) (StoreSize, error) {
	var s StoreSize
	err := tx.ForEach(func(name []byte, b *bolt.Bucket) error {
		st := b.Stats()
		bs := BucketSize{Name: string(name), Keys: st.KeyN,
			Live:  int64(st.BranchInuse + st.LeafInuse + st.InlineBucketInuse),
			Pages: int64(st.BranchAlloc + st.LeafAlloc)}
		if bs.Pages == 0 { // an inline bucket lives in its parent's page
			bs.Pages = bs.Live
		}
		if bytes.Equal(name, bucketEvents) {
			s.Events = int(b.Sequence()) // every event of the log, those moved to segments too (eventlog.go)
		}
		s.Live += bs.Live
		s.Pages += bs.Pages
		s.Buckets = append(s.Buckets, bs)
		return nil
	})
	sort.Slice(s.Buckets, func(i, j int) bool { return s.Buckets[i].Pages > s.Buckets[j].Pages })
	s.FreePages = int64(tx.DB().Stats().FreePageN+tx.DB().Stats().PendingPageN) * int64(tx.DB().Info().PageSize)
	return s, err
}

// Compacted says what Compact did.
type Compacted struct {
	Before, After StoreSize
	Events        int
	// Kept is where the store it replaced now is ("" unless asked to keep it).
	Kept string
	Took time.Duration
}

// compactTxBytes bounds one transaction of the copy, so memory stays bounded
// however large the store.
const compactTxBytes = 64 << 20

// Compact rewrites the store in dir into a new file with its pages full,
// proves the copy (bbolt's page check, and every bucket compared key by key
// and byte by byte with the store's) and swaps it in with one rename. bbolt
// reuses free pages but never gives them back to the disk, so this is how
// the file shrinks after archiving. It is a short stop: it refuses while a
// server or another command has the store (ErrLocked), and holds the store
// itself until the copy has taken its place. It needs free space in dir
// for the copy. keep leaves the replaced file beside the store as
// tally.db.before-compact-<UTC time>.
func Compact(dir string, keep bool, timeout time.Duration) (Compacted, error) {
	start := time.Now()
	var c Compacted
	if timeout == 0 {
		timeout = time.Second
	}
	target := filepath.Join(dir, dbFile)
	if _, err := os.Stat(target); err != nil {
		return c, fmt.Errorf("no store to compact: %w", err)
	}
	src, err := bolt.Open(target, 0o600, &bolt.Options{Timeout: timeout})
	if errors.Is(err, berrors.ErrTimeout) {
		return c, fmt.Errorf("%s: %w", dir, ErrLocked)
	}
	if err != nil {
		return c, fmt.Errorf("open %s: %w", target, err)
	}
	defer src.Close()
	if err := src.View(func(tx *bolt.Tx) error {
		var err error
		c.Before, err = sizeOf(tx)
		return err
	}); err != nil {
		return c, err
	}
	if fi, err := os.Stat(target); err == nil {
		c.Before.FileBytes = fi.Size()
	}

	stage, err := os.MkdirTemp(dir, ".tally-compact-*")
	if err != nil {
		return c, err
	}
	defer os.RemoveAll(stage)
	staged := filepath.Join(stage, dbFile)
	dst, err := bolt.Open(staged, 0o600, &bolt.Options{NoSync: true})
	if err != nil {
		return c, err
	}
	if err := bolt.Compact(dst, src, compactTxBytes); err != nil {
		dst.Close()
		return c, fmt.Errorf("copy the store: %w", err)
	}
	if dst, err = trimmed(dst, staged); err != nil {
		return c, err
	}
	if err := proveCopy(src, dst); err != nil {
		dst.Close()
		return c, fmt.Errorf("the compacted copy is not the store (nothing was replaced): %w", err)
	}
	if err := dst.View(func(tx *bolt.Tx) error {
		var err error
		c.After, err = sizeOf(tx)
		return err
	}); err != nil {
		dst.Close()
		return c, err
	}
	if err := dst.Close(); err != nil {
		return c, err
	}
	if fi, err := os.Stat(staged); err == nil {
		c.After.FileBytes = fi.Size()
	}
	c.Events = c.After.Events
	if keep {
		c.Kept = target + ".before-compact-" + time.Now().UTC().Format(backupTimeLayout) + "Z"
		if err := os.Link(target, c.Kept); err != nil {
			return c, fmt.Errorf("keep the store being replaced: %w", err)
		}
	}
	if err := os.Rename(staged, target); err != nil {
		if c.Kept != "" {
			_ = os.Remove(c.Kept)
		}
		return c, err
	}
	if err := syncDir(dir); err != nil {
		return c, err
	}
	c.Took = time.Since(start)
	return c, nil
}

// proveCopy runs bbolt's page check on the copy and compares every bucket
// of the two files, key by key and byte by byte, with their sequences.
func proveCopy(src, dst *bolt.DB) error {
	return src.View(func(a *bolt.Tx) error {
		return dst.View(func(b *bolt.Tx) error {
			for err := range b.Check() {
				return fmt.Errorf("bbolt consistency: %w", err)
			}
			var names [][]byte
			if err := a.ForEach(func(name []byte, _ *bolt.Bucket) error {
				names = append(names, append([]byte(nil), name...))
				return nil
			}); err != nil {
				return err
			}
			n := 0
			if err := b.ForEach(func([]byte, *bolt.Bucket) error { n++; return nil }); err != nil {
				return err
			}
			if n != len(names) {
				return fmt.Errorf("%d buckets in the copy, %d in the store", n, len(names))
			}
			for _, name := range names {
				if err := sameBucket(string(name), a.Bucket(name), b.Bucket(name)); err != nil {
					return err
				}
			}
			return nil
		})
	})
}

func sameBucket(name string, a, b *bolt.Bucket) error {
	if b == nil {
		return fmt.Errorf("bucket %s is missing", name)
	}
	if a.Sequence() != b.Sequence() {
		return fmt.Errorf("bucket %s: sequence %d, the store's %d", name, b.Sequence(), a.Sequence())
	}
	ca, cb := a.Cursor(), b.Cursor()
	ka, va := ca.First()
	kb, vb := cb.First()
	for ka != nil || kb != nil {
		if !bytes.Equal(ka, kb) || !bytes.Equal(va, vb) {
			return fmt.Errorf("bucket %s differs at key %q", name, ka)
		}
		if va == nil { // a nested bucket (none in a Tally store, but copied all the same)
			if err := sameBucket(name+"/"+string(ka), a.Bucket(ka), b.Bucket(kb)); err != nil {
				return err
			}
		}
		ka, va = ca.Next()
		kb, vb = cb.Next()
	}
	return nil
}

// trimmed closes the copy, cuts the file back to the pages it uses (bbolt
// grows a file in steps of 16 MB, ahead of need), syncs it and opens it
// again.
func trimmed(db *bolt.DB, path string) (*bolt.DB, error) {
	var size int64
	if err := db.View(func(tx *bolt.Tx) error { size = tx.Size(); return nil }); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.Close(); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	if fi, err := f.Stat(); err == nil && fi.Size() > size {
		err = f.Truncate(size)
		if err != nil {
			f.Close()
			return nil, err
		}
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	return bolt.Open(path, 0o600, &bolt.Options{})
}
