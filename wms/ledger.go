package wms

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// ErrLocked means another process has the data directory open.
var ErrLocked = errors.New("the data directory is in use by another Tally process")

// Options configure a Ledger.
type Options struct {
	// Now is the clock; nil means time.Now. Tests inject their own.
	Now func() time.Time
	// Zone is the warehouse's time zone for dates shown and typed (expiry days); nil means UTC.
	Zone *time.Location
	// OpenTimeout is how long Open waits for another process to let go of the file.
	OpenTimeout time.Duration
	// BatchDelay, when positive, is how long a group of writers (more
	// than one) waits for more company before it commits (commit.go); 0,
	// the default, waits for nobody: the next group is whoever queued
	// during the previous commit's fsync.
	BatchDelay time.Duration
	// KeepProjections leaves projections written by another version as they
	// are instead of rebuilding them (for `tally check`, which must see the
	// file as it is); StaleProjections then says so.
	KeepProjections bool
	// FailWrites, when set, is asked before every write transaction
	// commits; an error it returns fails the write as a failed commit
	// would (rolled back). For tests where a full disk cannot be made
	// for real (diskfull_test.go); nil in production.
	FailWrites func() error
	// NoSync commits without fsync (bbolt's NoSync); Generate sets it and
	// syncs once before it closes the file. Never for a store that serves:
	// a crash would lose acknowledged work.
	NoSync bool
}

// Ledger is the warehouse's state: the event log and its projections in one
// bbolt file. It is the only type that opens bbolt transactions.
type Ledger struct {
	db   *bolt.DB
	path string
	now  func() time.Time
	zone *time.Location

	stats Stats
	keys  keyLocks // one caller at a time per ID (idempotency.go)

	commits    commitQueue   // writers waiting to share a commit (commit.go)
	batchDelay time.Duration // Options.BatchDelay

	rebuiltFrom string // projections version Open rebuilt from, if it did

	bell commitBell // wakes feed readers after each commit that appends events

	following  atomic.Pointer[string] // the primary's address while the store is a standby (standby.go)
	disk       diskState              // a full disk, as the last write found it (diskfull.go)
	failWrites func() error           // Options.FailWrites
	archiving  sync.Mutex             // one archiving run at a time (archive.go)
	bulk       *bulkTx                // Generate's shared write transaction, while it runs (generate_bulk.go)

	returnsRead atomic.Uint64 // the last event returnsOfOrders saw (returnarchive.go)
}

// Stats are counters for /metrics. They describe this process, not the warehouse;
// warehouse figures always come from events.
type Stats struct {
	Appends    atomic.Uint64
	Duplicates atomic.Uint64
	Rejects    atomic.Uint64
	// AppendMicros is the total time callers waited in Append, for an average.
	AppendMicros atomic.Uint64
	// Commits counts write transactions of Ledger.write committed, and
	// Grouped the writes they carried (Grouped/Commits is the mean group).
	Commits atomic.Uint64
	Grouped atomic.Uint64
	// Regroups counts groups rolled back because one write failed beside
	// others (that write then ran alone; the writes before it committed
	// together, those after it formed the next group).
	Regroups atomic.Uint64
	// WriteTx counts every write transaction the ledger committed: group
	// commits, writes alone, and its own (start-up, a standby's, archiving).
	WriteTx atomic.Uint64
}

const dbFile = "tally.db"

// Open opens (or creates) the ledger in dir.
func Open(dir string, opt Options) (*Ledger, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	if opt.OpenTimeout == 0 {
		opt.OpenTimeout = time.Second
	}
	path := filepath.Join(dir, dbFile)
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout: opt.OpenTimeout,
		// A long read transaction would stall the writer whenever the file has to
		// grow its mapping; map generously up front.
		InitialMmapSize: 256 << 20,
		NoSync:          opt.NoSync,
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("%s: %w", dir, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	l := &Ledger{db: db, path: path, now: opt.Now, zone: opt.Zone, failWrites: opt.FailWrites, batchDelay: max(opt.BatchDelay, 0)}
	if l.now == nil {
		l.now = time.Now
	}
	if l.zone == nil {
		l.zone = time.UTC
	}
	// A store that needs nothing is opened without a write, so that the
	// server, `tally check` and `tally backup` open it on a full disk.
	if ready, err := l.ready(opt.KeepProjections); err != nil || ready {
		if err == nil {
			err = l.view(func(tx *txn) error { l.loadStandby(tx); return nil })
		}
		if err == nil {
			err = l.openIDTables()
		}
		if err == nil {
			err = l.openLotIndexes() // lotarchive.go
		}
		if err == nil {
			err = l.openOrderTables() // ordertable.go
		}
		if err != nil {
			l.closeIDTables()
			l.closeLotIndexes()
			l.closeOrderTables()
			db.Close()
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		return l, nil
	}
	if err := l.update(func(tx *txn) error {
		for _, b := range append(append([][]byte{}, logBuckets...), derivedBuckets...) {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		if meta.Get([]byte("secret")) == nil {
			secret := make([]byte, 32)
			if _, err := rand.Read(secret); err != nil {
				return err
			}
			if err := meta.Put([]byte("secret"), secret); err != nil {
				return err
			}
		}
		l.loadStandby(tx)
		if opt.KeepProjections {
			return nil
		}
		var err error
		l.rebuiltFrom, err = upgradeProjections(tx)
		return err
	}); err != nil {
		db.Close()
		return nil, fmt.Errorf("initialise %s: %w", path, err)
	}
	// the tables open before an upgrade's rebuild: its applies of
	// ids.tabled, lots.archived and orders.tabled remove only what they hold
	if err := l.openIDTables(); err != nil {
		l.closeIDTables()
		db.Close()
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if err := l.openLotIndexes(); err != nil { // lotarchive.go
		l.closeIDTables()
		l.closeLotIndexes()
		db.Close()
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if err := l.openOrderTables(); err != nil { // ordertable.go
		l.closeIDTables()
		l.closeLotIndexes()
		l.closeOrderTables()
		db.Close()
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if !opt.KeepProjections {
		if err := l.finishUpgrade(); err != nil {
			l.closeIDTables()
			l.closeLotIndexes()
			l.closeOrderTables()
			db.Close()
			return nil, fmt.Errorf("initialise %s: %w", path, err)
		}
	}
	return l, nil
}

// RebuiltFrom reports whether Open found projections written by another
// version of Tally and rebuilt them from the log, and which version that was.
func (l *Ledger) RebuiltFrom() (version string, rebuilt bool) {
	return l.rebuiltFrom, l.rebuiltFrom != ""
}

// StaleProjections reports the projections version of a file opened with
// KeepProjections when it is not this Tally's (a file without events is
// never stale).
func (l *Ledger) StaleProjections() (have string, stale bool) {
	_ = l.view(func(tx *txn) error {
		have = string(tx.Bucket(bucketMeta).Get(metaProjections))
		if have == "" {
			have = "1"
		}
		k, _ := tx.Bucket(bucketEvents).Cursor().First()
		stale = have != projectionsVersion && k != nil
		return nil
	})
	return have, stale
}

// Close closes the file. Call it after every writer has stopped.
func (l *Ledger) Close() error {
	l.closeIDTables() // idarchive.go
	l.closeLotIndexes()
	l.closeOrderTables() // ordertable.go
	return l.db.Close()
}

// Path is the bbolt file's path.
func (l *Ledger) Path() string { return l.path }

// Now is the ledger's clock, in UTC.
func (l *Ledger) Now() time.Time { return l.now().UTC() }

// Zone is the warehouse's time zone.
func (l *Ledger) Zone() *time.Location { return l.zone }

// Today is the warehouse's current calendar day as "YYYY-MM-DD".
func (l *Ledger) Today() string { return l.now().In(l.zone).Format("2006-01-02") }

// Stats returns the process counters.
func (l *Ledger) Stats() *Stats { return &l.stats }

// Secret is the store's random secret, used to sign CSRF tokens.
func (l *Ledger) Secret() []byte {
	var out []byte
	_ = l.view(func(tx *txn) error {
		out = append(out, tx.Bucket(bucketMeta).Get([]byte("secret"))...)
		return nil
	})
	return out
}

// Append validates an event and applies it with its projections in one write
// transaction. Concurrent callers share transactions (group commit,
// commit.go), so one fsync commits many events. Appending is idempotent on the event ID: a second
// append of the same ID changes nothing and returns the first one's event with
// duplicate set.
func (l *Ledger) Append(ctx context.Context, ev Event) (stored Event, duplicate bool, err error) {
	start := time.Now()
	defer func() {
		l.stats.AppendMicros.Add(uint64(time.Since(start).Microseconds()))
		switch {
		case err != nil:
			l.stats.Rejects.Add(1)
		case duplicate:
			l.stats.Duplicates.Add(1)
		default:
			l.stats.Appends.Add(1)
		}
	}()
	if err := ev.validate(); err != nil {
		return Event{}, false, err
	}
	if err := ctx.Err(); err != nil {
		return Event{}, false, err
	}
	// Most retries are caught here without taking the writer.
	if prior, ok, err := l.eventByID(ev.ID); err != nil || ok {
		if err == nil && prior.Type != ev.Type {
			return Event{}, false, Errf(CodeConflict, "event.id_reused", "id", ev.ID, "type", prior.Type)
		}
		return prior, ok, err
	}
	l.stamp(&ev)
	err = l.write(func(tx *txn) error {
		var err error
		stored, duplicate, err = appendTx(tx, ev)
		return err
	})
	if err != nil {
		return Event{}, false, err
	}
	return stored, duplicate, nil
}

// AppendAll appends events in one write transaction, all or none (a
// repeat of an ID already in the log is left as it is). It is for bulk
// work that has no person waiting — building a large log for a benchmark,
// a migration — never the floor, whose writers share commits through write.
func (l *Ledger) AppendAll(ctx context.Context, events []Event) error {
	for i := range events {
		if err := events[i].validate(); err != nil {
			return err
		}
		l.stamp(&events[i])
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return l.write(func(tx *txn) error {
		for _, ev := range events {
			if _, _, err := appendTx(tx, ev); err != nil {
				return err
			}
		}
		return nil
	})
}

// stamp sets the time the ledger appends an event at.
func (l *Ledger) stamp(ev *Event) {
	if ev.At.IsZero() {
		ev.At = l.Now()
	}
	ev.At = ev.At.UTC()
}

// appendTx writes one event and its projections inside tx.
func appendTx(tx *txn, ev Event) (Event, bool, error) {
	ids := tx.Bucket(bucketEventIDs)
	if v := ids.Get([]byte(ev.ID)); v != nil {
		prior, err := eventAt(tx, seqFromKey(v))
		if err == nil && prior.Type != ev.Type {
			return Event{}, false, Errf(CodeConflict, "event.id_reused", "id", ev.ID, "type", prior.Type)
		}
		return prior, true, err
	}
	if r, ok, err := archivedID(tx, ev.ID); err != nil || ok && r.flags()&idFlagEvent != 0 {
		if err != nil {
			return Event{}, false, err
		}
		return archivedIDEvent(tx, ev, r) // idtable.go
	}
	events := tx.Bucket(bucketEvents)
	seq, err := events.NextSequence()
	if err != nil {
		return Event{}, false, err
	}
	ev.Seq = seq
	stampEpoch(tx, &ev)
	if err := decideEvent(tx, &ev); err != nil {
		return Event{}, false, err
	}
	if err := applyEvent(tx, &ev); err != nil {
		return Event{}, false, err
	}
	raw, err := marshalEvent(&ev) // json.Marshal(ev), byte for byte (order_intake_fast.go)
	if err != nil {
		return Event{}, false, err
	}
	if err := events.Put(seqKey(seq), raw); err != nil {
		return Event{}, false, err
	}
	if err := ids.Put([]byte(ev.ID), seqKey(seq)); err != nil {
		return Event{}, false, err
	}
	tx.appended = true
	return ev, false, nil
}

func eventAt(tx *txn, seq uint64) (Event, error) {
	var ev Event
	v := tx.Bucket(bucketEvents).Get(seqKey(seq))
	if v == nil { // moved out of the live log (eventlog.go)?
		var err error
		if v, _, err = archivedEvent(tx, seq); err != nil {
			return ev, err
		}
	}
	if v == nil {
		return ev, fmt.Errorf("event %d is missing from the log", seq)
	}
	err := json.Unmarshal(v, &ev)
	return ev, err
}

func (l *Ledger) eventByID(id string) (ev Event, ok bool, err error) {
	err = l.view(func(tx *txn) error {
		v := tx.Bucket(bucketEventIDs).Get([]byte(id))
		if v == nil {
			r, found, err := archivedID(tx, id)
			if err != nil || !found || r.flags()&idFlagEvent == 0 {
				return err
			}
			v = seqKey(r.seq())
		}
		ok = true
		ev, err = eventAt(tx, seqFromKey(v))
		return err
	})
	return ev, ok, err
}

// EventByID returns the event appended with this ID.
func (l *Ledger) EventByID(id string) (Event, error) {
	ev, ok, err := l.eventByID(id)
	if err == nil && !ok {
		err = Errf(CodeNotFound, "event.not_found", "id", id)
	}
	return ev, err
}

// LastSeq is the sequence number of the newest event.
func (l *Ledger) LastSeq() uint64 {
	var seq uint64
	_ = l.view(func(tx *txn) error {
		seq = tx.Bucket(bucketEvents).Sequence()
		return nil
	})
	return seq
}

// EventsOfType returns up to limit events of the given types, newest first.
func (l *Ledger) EventsOfType(limit int, types ...string) ([]Event, error) {
	var out []Event
	err := l.view(func(tx *txn) error {
		var seqs []uint64
		c := tx.Bucket(bucketByType).Cursor()
		for _, typ := range types {
			p := prefixKey(typ)
			end := append(append([]byte{}, p[:len(p)-1]...), sep+1)
			k, _ := c.Seek(end)
			if k == nil {
				k, _ = c.Last()
			} else {
				k, _ = c.Prev()
			}
			for n := 0; k != nil && n < limit && bytes.HasPrefix(k, p); n++ {
				seqs = append(seqs, seqFromKey(k[len(p):]))
				k, _ = c.Prev()
			}
		}
		slices.Sort(seqs)
		slices.Reverse(seqs)
		if len(seqs) > limit {
			seqs = seqs[:limit]
		}
		for _, s := range seqs {
			ev, err := eventAt(tx, s)
			if err != nil {
				return err
			}
			out = append(out, ev)
		}
		return nil
	})
	return out, err
}

// DBStats reports the file's size and bbolt's counters for /metrics.
func (l *Ledger) DBStats() (fileBytes int64, stats bolt.Stats) {
	if fi, err := os.Stat(l.path); err == nil {
		fileBytes = fi.Size()
	}
	return fileBytes, l.db.Stats()
}

func (l *Ledger) appendData(ctx context.Context, id, typ, actor, device string, data any) (Event, error) {
	ev, err := NewEvent(id, typ, actor, device, data)
	if err != nil {
		return Event{}, err
	}
	stored, _, err := l.Append(ctx, ev)
	return stored, err
}
