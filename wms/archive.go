package wms

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Archiving moves the history of finished work out of the live store into
// compressed files, a month a file, in DATA/archive:
//
//	2026-11.orders.jsonl.gz  orders finished (shipped or cancelled) in the
//	                         month, one ArchivedOrder a line
//	2026-11.kpi.jsonl.gz     staff figures removed by the runs of the month
//	                         (past their retention), one FigureRecord a line
//
// Each file is a series of gzip members, one per history.archived event;
// the event names its member's offset, and archived_orders keeps it per
// order, so looking an archived order up reads one member (250
// orders), never the month. A member is written and synced before its event
// is appended; the store records the member (meta archive_member:FILE 0
// offset: its length) and the file's committed length (meta
// archive_end:FILE) in the event's transaction. Files are only ever
// appended to, as the event segments are (eventarchive.go): a member a
// crash left, or one a newer state of the store names (after `tally
// restore` of an older backup), stays where it is, unread by this store,
// and the next member goes after it; a month is read member by member as
// the store lists them (ArchivedOrders). A run that fails halfway is
// simply run again.

// Retention is how long finished work stays in the live store.
type Retention struct {
	// Orders: a shipped or cancelled order leaves this long after its last
	// change, once every upstream has acknowledged its events.
	Orders time.Duration
	// Figures: staff figures (per day, per hour, pauses and units of work)
	// of days this long ago leave.
	Figures time.Duration
	// Keys: the stored first answer of a keyed command this old is dropped
	// (its record stays, so the key is still bound to its request).
	Keys time.Duration
	// IDs: event IDs and keys of events this old leave event_ids and
	// event_keys for the month's ID table (idarchive.go); 0 keeps them
	// live. Never shorter than Keys (a shorter one is taken as Keys): an
	// answer leaves first.
	IDs time.Duration
	// Events: events this old that every upstream has acknowledged leave
	// the live log for segment files (eventarchive.go). 0 keeps them.
	Events time.Duration
	// Units: units of work that ended before the day this long ago leave
	// work_units for the month's units file (unitarchive.go), read there
	// by the reports; 0 keeps them live (until Figures).
	Units time.Duration
}

// DefaultRetention: orders 30 days (returns and complaints come within
// a fortnight), figures 400 days (a year's comparison), answers 7 days
// (no client retries a week-old request).
func DefaultRetention() Retention {
	r := Retention{Orders: 30 * 24 * time.Hour, Figures: 400 * 24 * time.Hour, Keys: 7 * 24 * time.Hour}
	r.IDs = 10 * 24 * time.Hour   // IDs and keys 10 days: three days after their answers
	r.Events = 3 * 24 * time.Hour // events 3 days (a day's feed and replication lag, and more)
	r.Units = 14 * 24 * time.Hour // units of work 14 days: no unit is worked on again weeks later (unitarchive.go)
	return r
}

// Validate refuses retentions too short to be meant.
func (r Retention) Validate() error {
	if r.Orders < 24*time.Hour || r.Figures < 24*time.Hour || r.Keys < time.Hour {
		return Errf(CodeInvalid, "archive.retention_short")
	}
	if r.IDs != 0 && r.IDs < 24*time.Hour {
		return Errf(CodeInvalid, "archive.ids_retention_short")
	}
	if r.Events != 0 && r.Events < 24*time.Hour {
		return Errf(CodeInvalid, "archive.events_short")
	}
	if r.Units != 0 && r.Units < 24*time.Hour {
		return Errf(CodeInvalid, "archive.units_short")
	}
	return nil
}

// ArchiveRun says what one run did.
type ArchiveRun struct {
	Orders  int // orders archived and pruned
	Skipped int // orders that changed while archived: left for the next run
	Figures int // figure records archived and pruned (units of work among them)
	Answers int // stored answers dropped
	IDs     int // event IDs and keys moved to ID tables (idarchive.go)
	Events  int // history.archived, log.archived and ids.archived events appended
	Moved   int // events moved out of the live log to segments
	Lots    int // lot_events entries moved to lot indexes (lotarchive.go)
	Units   int // units of work moved to units files (unitarchive.go)
	// OrderKeys: archived orders' archived_orders, waybill_used and
	// waybill_index entries moved to order tables (ordertable.go)
	OrderKeys int
	// FloorTasks: finished tasks of no wave (counts, put-backs, moves)
	// moved to tasks files (taskarchive.go)
	FloorTasks int
	// Receipts: closed receipts moved to receipts files (receiptarchive.go)
	Receipts int
	// Parcels: done return parcels moved to returns files (parcelarchive.go)
	Parcels int
	// IdleLots: lots with nothing left moved to archived_lots (lotleave.go)
	IdleLots int
	// OrdersBefore is the cut-off the run used: the retention, or earlier
	// when an upstream has not yet acknowledged the events since.
	OrdersBefore time.Time
	Files        []string
	Took         time.Duration
	// LongestWrite is the longest write transaction of the run: the most
	// a scan waited for it.
	LongestWrite time.Duration
}

const (
	archiveDirName   = "archive"
	archiveBatch     = 250  // orders a history.archived event (a gzip member): about 100 ms of writing
	archiveUnitBatch = 5000 // units of work an event
	// syncMargin: events are stamped when appended, a few milliseconds
	// apart from their order in the log; an hour covers any such skew.
	syncMargin = time.Hour
	keysBatch  = 500 // answers dropped a transaction
)

// ArchiveDir is where the archive files are.
func (l *Ledger) ArchiveDir() string { return filepath.Join(filepath.Dir(l.path), archiveDirName) }

// Archive runs one archiving: finished orders and staff figures past their
// retention go to the archive files and leave the projections by
// history.archived events; stored answers past theirs are dropped. Only one
// run at a time; each slice commits on its own, so the floor waits for one
// slice at most.
func (l *Ledger) Archive(ctx context.Context, r Retention, actor, device string) (ArchiveRun, error) {
	start := time.Now()
	var run ArchiveRun
	if err := r.Validate(); err != nil {
		return run, err
	}
	l.archiving.Lock()
	defer l.archiving.Unlock()
	if err := os.MkdirAll(l.ArchiveDir(), 0o750); err != nil {
		return run, fmt.Errorf("create the archive folder: %w", err)
	}
	now := l.Now()
	before, err := l.ordersCutoff(now.Add(-r.Orders))
	if err != nil {
		return run, err
	}
	run.OrdersBefore = before
	if err := l.archiveOrders(ctx, before, actor, device, &run); err != nil {
		return run, err
	}
	if err := l.archiveFloorTasks(ctx, before, actor, device, &run); err != nil { // taskarchive.go
		return run, err
	}
	if err := l.archiveReceipts(ctx, before, actor, device, &run); err != nil { // receiptarchive.go
		return run, err
	}
	if err := l.archiveParcels(ctx, before, actor, device, &run); err != nil { // parcelarchive.go
		return run, err
	}
	if err := l.archiveIdleLots(ctx, before, actor, device, &run); err != nil { // lotleave.go
		return run, err
	}
	if err := l.archiveFigures(ctx, now.Add(-r.Figures), actor, device, &run); err != nil {
		return run, err
	}
	n, err := l.dropAnswers(ctx, now.Add(-r.Keys), &run)
	run.Answers = n
	if err == nil && r.IDs != 0 {
		err = l.archiveIDs(ctx, now.Add(-max(r.IDs, r.Keys)), actor, device, &run)
	}
	if err == nil && r.IDs != 0 { // archived orders' keys leave with the IDs (ordertable.go)
		err = l.archiveOrderKeys(ctx, now, actor, device, &run)
	}
	if err == nil && r.Events > 0 {
		err = l.archiveEvents(ctx, now.Add(-r.Events), actor, device, &run)
	}
	if err == nil && r.Events > 0 { // lot stories of the same events (lotarchive.go)
		err = l.archiveLots(ctx, now.Add(-r.Events), actor, device, &run)
	}
	if err == nil && r.Units > 0 && r.Units < r.Figures { // units of work (unitarchive.go)
		err = l.archiveUnits(ctx, now.Add(-r.Units), actor, device, &run)
	}
	run.Took = time.Since(start)
	return run, err
}

// ordersCutoff is the retention's cut-off, or the time of the first event
// some upstream has not acknowledged (less syncMargin) when that is earlier:
// an order leaves only when every upstream has everything it did.
func (l *Ledger) ordersCutoff(retention time.Time) (time.Time, error) {
	cut := retention
	err := l.view(func(tx *txn) error {
		last := tx.Bucket(bucketEvents).Sequence()
		return tx.Bucket(bucketUpstreams).ForEach(func(k, _ []byte) error {
			st, err := syncStateTx(tx, string(k))
			if err != nil {
				return err
			}
			if st.PushedThrough >= last {
				return nil
			}
			ev, err := eventAt(tx, st.PushedThrough+1)
			if err != nil {
				return err
			}
			if t := ev.At.Add(-syncMargin); t.Before(cut) {
				cut = t
			}
			return nil
		})
	})
	return cut, err
}

type archiveCandidate struct {
	ref   ArchivedRef
	month string
}

func (l *Ledger) archiveOrders(ctx context.Context, before time.Time, actor, device string, run *ArchiveRun) error {
	var cands []archiveCandidate
	returns, err := l.returnsOfOrders() // returnarchive.go
	if err != nil {
		return err
	}
	for _, state := range []OrderState{OrderShipped, OrderCancelled} {
		p := prefixKey(string(state))
		err := l.scanChunks(bucketOrderState, p, func(tx *txn, k, _ []byte) error {
			parts := splitKey(k[len(p):])
			if len(parts) != 2 {
				return fmt.Errorf("order state index: key %q has no owner", k)
			}
			owner, no := parts[0], parts[1]
			o, found, err := getOrder(tx, owner, no)
			if err != nil {
				return err
			}
			// an order with returns stays until they are done and the
			// retention has passed since the last (returnarchive.go)
			if !found || !o.Updated.Before(before) {
				return nil
			}
			if !returnsDone(returns[string(orderKey(owner, no))], tx.Bucket(bucketOrderReturns).Get(orderKey(owner, no)) != nil, before) {
				return nil
			}
			cands = append(cands, archiveCandidate{ArchivedRef{Owner: owner, No: no}, o.Updated.In(l.zone).Format("2006-01")})
			return nil
		})
		if err != nil {
			return err
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].month < cands[j].month })
	for i := 0; i < len(cands); {
		j := i
		for j < len(cands) && j-i < archiveBatch && cands[j].month == cands[i].month {
			j++
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		refs := make([]ArchivedRef, 0, j-i)
		for _, c := range cands[i:j] {
			refs = append(refs, c.ref)
		}
		if err := l.archiveOrderBatch(ctx, cands[i].month+".orders.jsonl.gz", refs, actor, device, run); err != nil {
			return err
		}
		i = j
	}
	return nil
}

func (l *Ledger) archiveOrderBatch(ctx context.Context, file string, refs []ArchivedRef, actor, device string, run *ArchiveRun) error {
	var recs []ArchivedOrder
	var end int64
	err := l.view(func(tx *txn) error {
		end = archiveEnd(tx, file)
		cache := waveTasks{}
		for _, r := range refs {
			a, found, err := collectOrder(tx, r.Owner, r.No, cache)
			if err != nil {
				return err
			}
			if !found {
				return Errf(CodeConflict, "archive.changed", "order", r.No)
			}
			recs = append(recs, a)
		}
		return nil
	})
	if ErrorCode(err) == CodeConflict {
		run.Skipped += len(refs)
		return nil
	}
	if err != nil {
		return err
	}
	digest, err := archiveDigest(recs)
	if err != nil {
		return err
	}
	lines := make([]any, len(recs))
	for i := range recs {
		lines[i] = recs[i]
	}
	offset, newEnd, err := l.writeMember(file, end, lines)
	if err != nil {
		return err
	}

	for i := range refs {
		if refs[i].Owner == DefaultOwner {
			refs[i].Owner = ""
		}
	}
	p := HistoryArchived{Orders: refs, File: file, Offset: offset, Digest: digest, ReturnsSeq: l.returnsRead.Load()}
	err = l.appendArchived(ctx, p, file, offset, newEnd, actor, device, run)
	if ErrorCode(err) == CodeConflict { // an order changed since it was read: the next run takes it
		run.Skipped += len(refs)
		return nil
	}
	if err != nil {
		return err
	}
	run.Orders += len(refs)
	run.Events++
	run.noteFile(file)
	return nil
}

func (run *ArchiveRun) noteFile(file string) {
	for _, f := range run.Files {
		if f == file {
			return
		}
	}
	run.Files = append(run.Files, file)
}

// FigureRecord is one staff-figure record as the archive keeps it: the
// bucket it was in, its key (parts joined by 0x00) and its value as stored
// (JSON, or the work codec's bytes: workcodec.go). From projections
// version 13 owners' parts and hours are in scan_kpi, told apart by their
// keys' shape (figurekeys.go); older members name owner_kpi and work_hours.
type FigureRecord struct {
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
	Value  []byte `json:"value"`
}

func (l *Ledger) archiveFigures(ctx context.Context, before time.Time, actor, device string, run *ArchiveRun) error {
	local := before.In(l.zone)
	dayStart := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, l.zone).UTC()
	day := local.Format("2006-01-02")
	file := local.Format("2006-01") + ".kpi.jsonl.gz"
	var units []WorkUnitRef
	err := l.scanChunks(bucketWorkUnits, nil, func(_ *txn, k, v []byte) error {
		u, err := decodeWorkUnit(v)
		if err != nil {
			return &DamagedRecordError{Bucket: string(bucketWorkUnits), Key: string(k), Err: err}
		}
		if u.End.Before(dayStart) {
			units = append(units, WorkUnitRef{Actor: u.Actor, Kind: u.Kind, Unit: u.Unit})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for first := true; first || len(units) > 0; first = false {
		n := min(len(units), archiveUnitBatch)
		p := HistoryArchived{KPIDay: day, KPIBefore: dayStart, WorkUnits: units[:n], KPIFile: file}
		units = units[n:]
		if err := ctx.Err(); err != nil {
			return err
		}
		var lines []any
		var end int64
		if err := l.view(func(tx *txn) error {
			end = archiveEnd(tx, file)
			return figureRecords(tx, p, func(b, k, v []byte) error {
				lines = append(lines, FigureRecord{Bucket: string(b), Key: string(k), Value: append([]byte(nil), v...)})
				return nil
			})
		}); err != nil {
			return err
		}
		if len(lines) == 0 {
			continue
		}
		offset, newEnd, err := l.writeMember(file, end, lines)
		if err != nil {
			return err
		}
		if err := l.appendArchived(ctx, p, file, offset, newEnd, actor, device, run); err != nil {
			return err
		}
		run.Figures += len(lines)
		run.Events++
		run.noteFile(file)
	}
	return nil
}

// archiveEndKey is the meta key of a file's committed length.
func archiveEndKey(file string) []byte { return []byte("archive_end:" + file) }

// archiveEnd is how far a file's committed bytes reach: the store's own
// archive_end, or the end of the furthest member its events named,
// whichever is further. A standby (and so a promoted one, or a store after
// `tally upgrade`) has only the members: the primary's archive_end is
// written beside its event, not by it. So a run there never writes over
// the primary's members; a file shorter than that is refused until the
// primary's is copied in (writeArchiveBytes).
func archiveEnd(tx *txn, file string) int64 {
	meta := tx.Bucket(bucketMeta)
	var end int64
	if v := meta.Get(archiveEndKey(file)); len(v) == 8 {
		end = int64(binary.BigEndian.Uint64(v))
	}
	prefix := []byte("archive_member:" + file + "\x00")
	c := meta.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if len(k) == len(prefix)+8 && len(v) == 8 {
			end = max(end, int64(binary.BigEndian.Uint64(k[len(prefix):])+binary.BigEndian.Uint64(v)))
		}
	}
	return end
}

// archiveFiles is every archive file the store committed bytes of, with
// how far they reach (archiveEnd) and how many members it names.
func archiveFiles(tx *txn) (ends map[string]int64, members int) {
	ends = map[string]int64{}
	c := tx.Bucket(bucketMeta).Cursor()
	for _, prefix := range []string{"archive_end:", "archive_member:"} {
		for k, _ := c.Seek([]byte(prefix)); k != nil && bytes.HasPrefix(k, []byte(prefix)); k, _ = c.Next() {
			file := string(k[len(prefix):])
			if prefix == "archive_member:" {
				i := strings.IndexByte(file, 0)
				if i < 0 {
					continue
				}
				file = file[:i]
				members++
			}
			if _, ok := ends[file]; !ok {
				ends[file] = archiveEnd(tx, file)
			}
		}
	}
	return ends, members
}

// VerifyArchiveFiles checks that every archive file the store committed
// bytes of is in the archive folder and holds them all: a restore's proof
// (and `tally check`'s) for the month files of orders, floor tasks,
// receipts, returns, figures and events, which lookups read only when asked.
func (l *Ledger) VerifyArchiveFiles() (files, members int, err error) {
	var ends map[string]int64
	if err := l.view(func(tx *txn) error { ends, members = archiveFiles(tx); return nil }); err != nil {
		return 0, 0, err
	}
	names := slices.Sorted(maps.Keys(ends))
	for _, file := range names {
		fi, err := os.Stat(filepath.Join(l.ArchiveDir(), file))
		if os.IsNotExist(err) {
			return files, members, Errf(CodeNotFound, "archive.committed_file_missing", "file", file)
		}
		if err != nil {
			return files, members, err
		}
		if fi.Size() < ends[file] {
			return files, members, archiveShort(file, fi.Size(), ends[file])
		}
		files++
	}
	return files, members, nil
}

// archiveShort is the refusal of an archive file that holds fewer bytes
// than the store committed to it.
func archiveShort(file string, size, end int64) error {
	return Errf(CodeConflict, "archive.file_short", "file", file, "size", strconv.FormatInt(size, 10), "end", strconv.FormatInt(end, 10))
}

// archiveMemberKey is the meta key of a member the store committed:
// its file and offset (its value: its length).
func archiveMemberKey(file string, offset int64) []byte {
	return binary.BigEndian.AppendUint64([]byte("archive_member:"+file+"\x00"), uint64(offset))
}

// archiveMembers are the parts of a file the store committed, in order:
// [offset, offset+length) each, each one gzip member or more. A store
// from before members were listed committed [0, archive_end).
func archiveMembers(tx *txn, file string) [][2]int64 {
	var out [][2]int64
	prefix := []byte("archive_member:" + file + "\x00")
	c := tx.Bucket(bucketMeta).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if len(k) == len(prefix)+8 && len(v) == 8 {
			out = append(out, [2]int64{int64(binary.BigEndian.Uint64(k[len(prefix):])), int64(binary.BigEndian.Uint64(v))})
		}
	}
	if out == nil {
		if end := archiveEnd(tx, file); end > 0 {
			out = [][2]int64{{0, end}}
		}
	}
	return out
}

// writeMember appends one gzip member of JSON lines to the file, after
// whatever it holds (writeArchiveBytes: never cut back), and syncs it. It
// returns where the member starts and where it ends.
func (l *Ledger) writeMember(file string, end int64, lines []any) (offset, newEnd int64, err error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return 0, 0, err
	}
	enc := json.NewEncoder(zw)
	enc.SetEscapeHTML(false)
	for _, line := range lines {
		if err := enc.Encode(line); err != nil {
			return 0, 0, err
		}
	}
	if err := zw.Close(); err != nil {
		return 0, 0, err
	}
	at, err := writeArchiveBytes(l.ArchiveDir(), file, end, buf.Bytes())
	if err != nil {
		return 0, 0, err
	}
	return at, at + int64(buf.Len()), nil
}

// appendArchived appends one history.archived event and, in its
// transaction, the member it names (offset to end) and the archive file's
// new committed length.
func (l *Ledger) appendArchived(ctx context.Context, p HistoryArchived, file string, offset, end int64, actor, device string, run *ArchiveRun) error {
	p.Length = end - offset
	return l.appendRunEvent(ctx, EvHistoryArchivedV2, p, actor, device, run, nil, func(tx *txn) error {
		meta := tx.Bucket(bucketMeta)
		if old := archiveMembers(tx, file); len(old) == 1 && old[0][0] == 0 && meta.Get(archiveMemberKey(file, 0)) == nil {
			// the file of a store from before members were listed: what
			// it committed, as one part
			if err := meta.Put(archiveMemberKey(file, 0), binary.BigEndian.AppendUint64(nil, uint64(old[0][1]))); err != nil {
				return err
			}
		}
		if err := meta.Put(archiveMemberKey(file, offset), binary.BigEndian.AppendUint64(nil, uint64(end-offset))); err != nil {
			return err
		}
		return meta.Put(archiveEndKey(file), binary.BigEndian.AppendUint64(nil, uint64(end)))
	})
}

// dropAnswers drops the stored first answer of every keyed command whose
// event is older than before. The record stays without its answer, so a
// reused key is still refused; a repeat of such an old request is answered
// from the state as it is now, as for events written before answers were
// stored (idempotency.go), and is never applied twice.
func (l *Ledger) dropAnswers(ctx context.Context, before time.Time, run *ArchiveRun) (int, error) {
	through, err := l.lastSeqBefore(before) // the last event before the cut-off
	if err != nil || through == 0 {
		return 0, err
	}
	var ids [][]byte
	if err := l.scanChunks(bucketKeys, nil, func(_ *txn, k, v []byte) error {
		rec, err := readKeyRecord(v)
		if err != nil {
			return &DamagedRecordError{Bucket: string(bucketKeys), Key: string(k), Err: err}
		}
		if rec.answered() && rec.Seq <= through {
			ids = append(ids, append([]byte(nil), k...))
		}
		return nil
	}); err != nil {
		return 0, err
	}
	n := 0
	for len(ids) > 0 {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		batch := ids[:min(len(ids), keysBatch)]
		ids = ids[len(batch):]
		start := time.Now()
		if err := l.write(func(tx *txn) error {
			b := tx.Bucket(bucketKeys)
			for _, id := range batch {
				rec, found, err := getKeyRecord(tx, string(id))
				if err != nil || !found {
					return err
				}
				rec.Answer, rec.Task = nil, nil
				if err := b.Put(id, encodeKeyRecord(rec)); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return n, err
		}
		run.LongestWrite = max(run.LongestWrite, time.Since(start))
		n += len(batch)
	}
	return n, nil
}

// scanChunk is how many keys one read transaction of a scan walks: a long
// read would hold up the writer when the file must grow its mapping (a
// variable: tests walk in small chunks).
var scanChunk = 20000

// scanChunks calls fn with every key under prefix (every key: nil) of the
// bucket, in read transactions of scanChunk keys each, resuming after the
// last key read.
func (l *Ledger) scanChunks(bucket, prefix []byte, fn func(tx *txn, k, v []byte) error) error {
	from := prefix
	for {
		var next []byte
		err := l.view(func(tx *txn) error {
			c := tx.Bucket(bucket).Cursor()
			k, v := c.First()
			if from != nil {
				k, v = c.Seek(from)
			}
			for n := 0; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
				if n == scanChunk {
					next = append([]byte(nil), k...)
					return nil
				}
				if err := fn(tx, k, v); err != nil {
					return err
				}
				n++
			}
			return nil
		})
		if err != nil || next == nil {
			return err
		}
		from = next
	}
}

// answered says whether the record still holds its first answer
// (dropAnswers drops it after the keys' retention).
func (r keyRecord) answered() bool {
	return len(r.Task) > 0 || len(r.Answer) > 0 && string(r.Answer) != "null"
}

// ArchivedOrder finds one of the owner's orders in the archive.
func (b Books) ArchivedOrder(no string) (ArchivedOrder, error) {
	var at ArchivedAt
	var ok bool
	err := b.l.view(func(tx *txn) (err error) {
		at, ok, err = archivedOrderAt(tx, b.owner, no) // live, or an order table (ordertable.go)
		return err
	})
	if err != nil {
		return ArchivedOrder{}, err
	}
	if !ok {
		return ArchivedOrder{}, Errf(CodeNotFound, "order.not_found", "order", no)
	}
	a, err := readArchivedOrder(filepath.Join(b.l.ArchiveDir(), at.File), at.Offset, b.owner, no)
	if err != nil {
		return a, err
	}
	a.Archived = &at
	return a, nil
}

// readArchivedOrder reads the gzip member at offset and finds the order.
func readArchivedOrder(path string, offset int64, owner, no string) (ArchivedOrder, error) {
	a, found, err := findInMember(path, offset, func(rec ArchivedOrder) bool {
		return OwnerOr(rec.Order.Owner) == owner && rec.Order.No == no
	})
	switch {
	case os.IsNotExist(err):
		return a, Errf(CodeNotFound, "archive.file_missing", "order", no, "file", filepath.Base(path))
	case err == nil && !found:
		return a, Errf(CodeNotFound, "order.not_found", "order", no)
	}
	return a, err
}

// ArchivedOrderOwners lists the owners with an archived order numbered no.
func (l *Ledger) ArchivedOrderOwners(no string) ([]string, error) {
	var out []string
	err := l.view(func(tx *txn) (err error) {
		out, err = archivedOrderOwners(tx, no) // live, or an order table (ordertable.go)
		return err
	})
	return out, err
}

// validMonth accepts "YYYY-MM".
func validMonth(m string) bool {
	_, err := time.Parse("2006-01", m)
	return err == nil && len(m) == 7
}

// ArchivedOrders calls fn with every order the archive holds for month
// ("YYYY-MM", the month the orders finished in the warehouse's zone), in
// the order they were archived: what a month's report reads. Only the
// members the store has committed are read (not one a failed run left, nor
// one a newer state of the store wrote before a restore).
func (l *Ledger) ArchivedOrders(month string, fn func(ArchivedOrder) error) error {
	return readArchiveMonth(l, month, ".orders.jsonl.gz", fn)
}

// readArchiveMonth calls fn with every record of a month's archive file
// (month + suffix), member by member in the order they were committed.
func readArchiveMonth[T any](l *Ledger, month, suffix string, fn func(T) error) error {
	if !validMonth(month) {
		return Errf(CodeInvalid, "archive.month_invalid", "month", month)
	}
	file := month + suffix
	var parts [][2]int64
	if err := l.view(func(tx *txn) error { parts = archiveMembers(tx, file); return nil }); err != nil {
		return err
	}
	if len(parts) == 0 {
		return nil
	}
	f, err := os.Open(filepath.Join(l.ArchiveDir(), file))
	if err != nil {
		return Errf(CodeNotFound, "archive.month_missing", "month", month, "file", file)
	}
	defer f.Close()
	for _, part := range parts {
		if err := readJSONLines(f, file, part, fn); err != nil {
			return err
		}
	}
	return nil
}

// readJSONLines reads the records of one committed part of an archive
// file: one gzip member or more, a JSON record a line.
func readJSONLines[T any](f *os.File, file string, part [2]int64, fn func(T) error) error {
	return scanJSONLines(bufio.NewReader(io.NewSectionReader(f, part[0], part[1])), file, part[0], true, fn)
}
