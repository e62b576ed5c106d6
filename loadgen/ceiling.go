package loadgen

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The ceiling (Config.CeilingDir): what the disk allows, measured in the
// same run as the scans, since a figure on a shared machine means something
// only beside one. After the scans, the load generator reads the pick
// events the run appended (GET /api/v1/events) for their mean size, then
// commits values of that size through raw bbolt Batch from as many writers
// as there were handhelds, for as long as the run, in a file of its own in
// the directory given (put it on the server's disk). The ratio is scans/s
// over that.

// rawBatchDelay is the raw ceiling's MaxBatchDelay: what the ledger used
// before group commit, and the ceiling in wms's Append benchmark.
const rawBatchDelay = 5 * time.Millisecond

// pickEvent is the event type a pick scan appends.
const pickEvent = "pick.scanned"

// lastSeq is the server's newest event's sequence number.
func (c *client) lastSeq(ctx context.Context) (uint64, error) {
	var page struct {
		LastSeq uint64 `json:"last_seq"`
	}
	err := c.getJSON(ctx, "/api/v1/events?limit=1&types="+pickEvent+"&after=0", "", &page)
	return page.LastSeq, err
}

// meanPickSize is the mean size, as JSON, of up to 1,000 pick events
// appended after seq.
func (c *client) meanPickSize(ctx context.Context, after uint64) (int, error) {
	var page struct {
		Events []json.RawMessage `json:"events"`
	}
	if err := c.getJSON(ctx, "/api/v1/events?limit=1000&types="+pickEvent+"&after="+strconv.FormatUint(after, 10), "", &page); err != nil {
		return 0, err
	}
	if len(page.Events) == 0 {
		return 0, errors.New("loadgen: no pick events to size the ceiling's values by")
	}
	total := 0
	for _, ev := range page.Events {
		total += len(ev)
	}
	return total / len(page.Events), nil
}

// rawBatchRate is how many values of size bytes a second writers commit
// through raw bbolt Batch in a fresh file in dir, for d.
func rawBatchRate(ctx context.Context, dir string, writers, size int, d time.Duration) (float64, error) {
	tmp, err := os.MkdirTemp(dir, "loadgen-ceiling-")
	if err != nil {
		return 0, fmt.Errorf("loadgen: ceiling: %w", err)
	}
	defer os.RemoveAll(tmp)
	db, err := bolt.Open(filepath.Join(tmp, "raw.db"), 0o600, &bolt.Options{InitialMmapSize: 256 << 20})
	if err != nil {
		return 0, fmt.Errorf("loadgen: ceiling: %w", err)
	}
	defer db.Close()
	db.MaxBatchDelay = rawBatchDelay
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("events")); return err }); err != nil {
		return 0, fmt.Errorf("loadgen: ceiling: %w", err)
	}
	payload := make([]byte, size)
	var n atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Pointer[error]
	start := time.Now()
	stop := start.Add(d)
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && time.Now().Before(stop) && failed.Load() == nil {
				err := db.Batch(func(tx *bolt.Tx) error {
					bk := tx.Bucket([]byte("events"))
					seq, _ := bk.NextSequence()
					return bk.Put(binary.BigEndian.AppendUint64(nil, seq), payload)
				})
				if err != nil {
					failed.Store(&err)
					return
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	if p := failed.Load(); p != nil {
		return 0, fmt.Errorf("loadgen: ceiling: %w", *p)
	}
	return float64(n.Load()) / time.Since(start).Seconds(), nil
}

// ceiling measures the raw ceiling after a run and sets it on res.
func (r *runner) ceiling(ctx context.Context, before uint64, res *Result) error {
	size, err := r.c.meanPickSize(ctx, before)
	if err != nil {
		return err
	}
	r.logf("ceiling: raw bbolt Batch, %d writers, %d-byte values, for %s in %s", r.cfg.PDAs, size, r.cfg.Duration, r.cfg.CeilingDir)
	rate, err := rawBatchRate(ctx, r.cfg.CeilingDir, r.cfg.PDAs, size, r.cfg.Duration)
	if err != nil {
		return err
	}
	res.EventBytes, res.CeilingPerSec = size, rate
	return nil
}
