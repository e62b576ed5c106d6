package wms

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

// replay applies every event of the log in src to the (empty) projections in dst.
func replay(src, dst *txn) error {
	return src.Bucket(bucketEvents).ForEach(func(k, v []byte) error {
		var ev Event
		if err := json.Unmarshal(v, &ev); err != nil {
			return fmt.Errorf("event %d: %w", seqFromKey(k), err)
		}
		if err := applyEvent(dst, &ev); err != nil {
			return fmt.Errorf("event %d (%s %s): %w", ev.Seq, ev.Type, ev.ID, err)
		}
		return nil
	})
}

func resetDerived(tx *txn) error {
	for _, b := range derivedBuckets {
		if tx.Bucket(b) != nil {
			if err := tx.DeleteBucket(b); err != nil {
				return err
			}
		}
		if _, err := tx.CreateBucket(b); err != nil {
			return err
		}
	}
	return nil
}

// projectionsVersion names the shape of the projections. Change it whenever
// an applier writes a projection differently; Open then rebuilds the
// projections of an older file from its log (the log itself never changes
// shape), so an upgrade never leaves projections that Check would flag.
//
//	1  the first layout
//	2  the order state index carries an OrderBrief per order
//	3  order briefs keep times as seconds and nanoseconds (any year)
//	4  lots' stories include packing and shipping; serial traces keep the
//	   order through a return; a task a recall empties before anyone
//	   started it is cancelled
//	5  an order's print jobs are indexed (order_prints)
//	6  owners (货主): every key of SKUs, GTINs, lots, stock, reservations,
//	   orders, receipts, RMAs, packs, waybill pools and lot stories leads
//	   with the owner; records name their owner (events without one are
//	   the default owner's)
//	7  figures and return stats per owner (owner_kpi, owner_return_stats)
//	8  staff work (work_last, work_hours, work_gaps, work_units)
//	9  a task's pick records say whether the pick completed its line, so
//	   undoing a pick on a line a short closed takes back no line picked;
//	   travel from locations' positions (metres) and per pair of zones;
//	   the work values' codec 2
//	10 orders keep their steps, holds (order.held) and the upstream they
//	   came from (source)
//	11 orders and tasks in a compact binary form (ordercodec.go,
//	   taskcodec.go) instead of JSON
const projectionsVersion = "11"

var metaProjections = []byte("projections")

// upgradeProjections rebuilds the projections when the file's version is not
// this one. A file without events just takes this version. It returns the
// version it rebuilt from ("" when nothing was done).
func upgradeProjections(tx *txn) (string, error) {
	meta := tx.Bucket(bucketMeta)
	have := string(meta.Get(metaProjections))
	if have == projectionsVersion {
		return "", nil
	}
	var from string
	if k, _ := tx.Bucket(bucketEvents).Cursor().First(); k != nil {
		from = have
		if from == "" {
			from = "1"
		}
		if err := resetDerived(tx); err != nil {
			return "", err
		}
		if err := replay(tx, tx); err != nil {
			return "", fmt.Errorf("rebuild projections from version %s: %w", from, err)
		}
	}
	return from, meta.Put(metaProjections, []byte(projectionsVersion))
}

// Rebuild recomputes every projection from the event log, in one transaction.
func (l *Ledger) Rebuild() error {
	return l.update(func(tx *txn) error {
		if err := resetDerived(tx); err != nil {
			return err
		}
		if err := replay(tx, tx); err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(metaProjections, []byte(projectionsVersion))
	})
}

// Mismatch is one difference between the stored projections and a rebuild.
type Mismatch struct {
	Bucket string
	Key    string
	Stored string // empty when missing
	Built  string // empty when missing
}

func (m Mismatch) String() string {
	return fmt.Sprintf("%s[%q]: stored %q, rebuilt %q", m.Bucket, m.Key, m.Stored, m.Built)
}

// Check replays the log into a scratch store and compares every projection
// with the stored one, byte for byte. It returns the differences (none when
// the ledger is sound); the stored state is not changed. The scratch store
// is kept in memory where the system allows (openScratch), else in a file in
// scratchDir.
func (l *Ledger) Check(scratchDir string) ([]Mismatch, error) {
	scratch, done, err := openScratch(scratchDir)
	if err != nil {
		return nil, err
	}
	defer done()

	var out []Mismatch
	err = l.view(func(src *txn) error {
		var pageErr error
		for err := range src.Check() { // bbolt's own page-level check; read it to the end
			if pageErr == nil {
				pageErr = fmt.Errorf("bbolt consistency: %w", err)
			}
		}
		if pageErr != nil {
			return pageErr
		}
		return scratch.Update(func(b *bolt.Tx) error {
			dst := &txn{Tx: b}
			if err := resetDerived(dst); err != nil {
				return err
			}
			if err := replay(src, dst); err != nil {
				return err
			}
			for _, name := range derivedBuckets {
				out = append(out, diffBuckets(string(name), src.Bucket(name), dst.Bucket(name))...)
			}
			return nil
		})
	})
	return out, err
}

// openScratchFile opens an empty bbolt file in dir, removed when done.
func openScratchFile(dir string) (*bolt.DB, func(), error) {
	f, err := os.CreateTemp(dir, "tally-check-*.db")
	if err != nil {
		return nil, nil, err
	}
	path := f.Name()
	f.Close()
	db, err := bolt.Open(filepath.Clean(path), 0o600, &bolt.Options{NoSync: true})
	if err != nil {
		os.Remove(path)
		return nil, nil, err
	}
	return db, func() { db.Close(); os.Remove(path) }, nil
}

func diffBuckets(name string, stored, built *bolt.Bucket) []Mismatch {
	var out []Mismatch
	a, b := stored.Cursor(), built.Cursor()
	ka, va := a.First()
	kb, vb := b.First()
	for ka != nil || kb != nil {
		switch c := compareKeys(ka, kb); {
		case c == 0:
			if !bytes.Equal(va, vb) {
				out = append(out, Mismatch{name, string(ka), string(va), string(vb)})
			}
			ka, va = a.Next()
			kb, vb = b.Next()
		case c < 0:
			out = append(out, Mismatch{Bucket: name, Key: string(ka), Stored: string(va)})
			ka, va = a.Next()
		default:
			out = append(out, Mismatch{Bucket: name, Key: string(kb), Built: string(vb)})
			kb, vb = b.Next()
		}
	}
	return out
}

// compareKeys orders keys with nil (exhausted) last.
func compareKeys(a, b []byte) int {
	switch {
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	return bytes.Compare(a, b)
}
