package wms

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

func resetDerived(tx *txn) error {
	if err := dropRetired(tx); err != nil { // figurekeys.go
		return err
	}
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
//	12 the wave queue (wave_queue, wavequeue.go): new orders not held, in
//	   the order a wave takes them
//	13 people's figures in one bucket: owners' parts, hours and last
//	   activities in scan_kpi beside the day figures (figurekeys.go);
//	   owner_kpi, work_hours and work_last retired; stock_by_loc the key
//	   alone (the quantity is stock's: stockbyloc.go)
//	14 a wave leaves the live store with the orders it released: the
//	   orders that waited for stock no longer keep it (prune.go)
//	15 an RMA keeps when it was announced (rmas: storedRMA,
//	   returnarchive.go)
//	16 a new place of stock of a lot that left (a put-back, an undo of a
//	   pick) brings the lot back live (lotleave.go reviveLot)
const projectionsVersion = "16"

var metaProjections = []byte("projections")

// upgradeProjections, inside Open's first transaction, gives a file
// without events this version. A file with events whose projections are
// another version's (or half built) is rebuilt after that transaction, in
// chunks (finishUpgrade). It returns "" (the version rebuilt from is
// finishUpgrade's to say).
func upgradeProjections(tx *txn) (string, error) {
	meta := tx.Bucket(bucketMeta)
	if string(meta.Get(metaProjections)) == projectionsVersion && meta.Get(metaRebuilding) == nil {
		return "", nil
	}
	if k, _ := tx.Bucket(bucketEvents).Cursor().First(); k != nil {
		return "", nil
	}
	if err := meta.Delete(metaRebuilding); err != nil {
		return "", err
	}
	return "", meta.Put(metaProjections, []byte(projectionsVersion))
}

// finishUpgrade rebuilds, in chunks, the projections of a file with events
// that another version wrote, or carries on with a rebuild an earlier
// process left unfinished. It sets what RebuiltFrom reports.
func (l *Ledger) finishUpgrade() error {
	var have string
	var mark rebuildMark
	var marked, events bool
	_ = l.view(func(tx *txn) error {
		have = string(tx.Bucket(bucketMeta).Get(metaProjections))
		mark, marked = readRebuildMark(tx)
		k, _ := tx.Bucket(bucketEvents).Cursor().First()
		events = k != nil
		return nil
	})
	if !events || (!marked && have == projectionsVersion) {
		return nil
	}
	from := have
	if from == "" {
		from = "1"
	}
	if marked {
		from = mark.From
	}
	from, err := l.rebuildChunked(from, true)
	if from == "" {
		from = projectionsVersion // a `tally rebuild` that was cut off, finished now
	}
	l.rebuiltFrom = from
	if err != nil {
		return fmt.Errorf("rebuild projections from version %s: %w", from, err)
	}
	return nil
}

// Rebuild recomputes every projection from the event log, from the start,
// in chunks of committed transactions (replay.go): until it ends, the file
// is marked as being rebuilt and no Open serves it.
func (l *Ledger) Rebuild() error {
	var from string
	_ = l.view(func(tx *txn) error {
		if m, ok := readRebuildMark(tx); ok { // one cut off: the store had m.From before it
			from = m.From
			return nil
		}
		if have := string(tx.Bucket(bucketMeta).Get(metaProjections)); have != projectionsVersion {
			from = have
			if from == "" {
				from = "1"
			}
		}
		return nil
	})
	_, err := l.rebuildChunked(from, false)
	return err
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
// is kept in memory for a small store where the system allows
// (openScratch), else in a file in scratchDir; it is built in chunks of
// committed transactions (replayInto) and compared bucket by bucket with
// cursors (diffBuckets), so memory stays bounded whatever the log's size;
// it returns the first MaxMismatches differences at most.
func (l *Ledger) Check(scratchDir string) ([]Mismatch, error) {
	size, _ := l.DBStats()
	scratch, done, err := openScratch(scratchDir, size)
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
		if err := replayInto(src, scratch); err != nil {
			return err
		}
		return scratch.View(func(b *bolt.Tx) error {
			for _, name := range derivedBuckets {
				if len(out) >= MaxMismatches {
					break
				}
				out = append(out, diffBucketsUpTo(string(name), src.Tx.Bucket(name), b.Bucket(name), MaxMismatches-len(out))...)
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
	return diffBucketsUpTo(name, stored, built, -1)
}

// MaxMismatches is the most differences Check returns: a store whose
// projections all differ would otherwise need memory the size of both.
const MaxMismatches = 10_000

// diffBucketsUpTo is diffBuckets that stops after limit differences (none
// when limit < 0).
func diffBucketsUpTo(name string, stored, built *bolt.Bucket, limit int) []Mismatch {
	var out []Mismatch
	a, b := stored.Cursor(), built.Cursor()
	ka, va := a.First()
	kb, vb := b.First()
	for (ka != nil || kb != nil) && (limit < 0 || len(out) < limit) {
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
