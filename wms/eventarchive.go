package wms

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// Moving old events out of the live store (the segments' form and reader:
// eventlog.go). An archiving run (Ledger.Archive) takes the events older
// than Retention.Events that every upstream has acknowledged, oldest first,
// a member at a time: the member is written to DATA/archive/YYYY-MM.events.gz
// and synced, then one write transaction appends a log.archived event
// naming it, indexes it (event_segments), records the file's committed
// length (meta archive_end:FILE) and deletes its events from the live log
// (events, key_seqs). The event's apply removes the events' entries from
// the type index (by_type) — the only projection keyed by the log's
// sequence alone — so a rebuild, which replays the archived members and
// then the live log, gives the same projections. A run cut off after a
// member was written and before its event leaves bytes past the committed
// length: the next run writes the member again after them (they stay,
// unreferenced: the file is only appended to, see writeArchiveBytes).
//
// lot_events keeps the archived events' entries (a recall must find every
// order a lot went to, months back); trace reads those events through the
// segment reader. event_ids and event_keys stay: a retry of an archived
// event is still answered, from the archive.

// EvLogArchived: a run of events moved from the live log to an archived member.
const EvLogArchived = "log.archived"

// LogArchived is one member of archived events (and, as JSON, the value of
// an event_segments entry: there Offset and Length are this store's own).
type LogArchived struct {
	// File is the segment file in DATA/archive: YYYY-MM.events.gz, the
	// month (warehouse's zone) of the events.
	File string `json:"file"`
	// Offset and Length locate the gzip member in the file of the store
	// that wrote it (a standby writes its own and indexes where).
	Offset int64 `json:"offset"`
	Length int64 `json:"length"`
	// First and Last are the sequence numbers of its first and last event,
	// Events how many it holds.
	First  uint64 `json:"first"`
	Last   uint64 `json:"last"`
	Events int    `json:"events"`
	// SHA256 is the hex SHA-256 of the member's records uncompressed.
	SHA256 string `json:"sha256"`
}

// How big a member grows: 5,000 events or 8 MiB of their JSON (a random
// read of an archived event decompresses one member: a few milliseconds;
// 20,000 made files 0.2 % smaller and such reads four times slower).
var (
	segmentEvents = 5_000
	segmentBytes  = 8 << 20
)

// eventsBatchMax is the most members one run writes before it returns: a
// month of peak is some 5,000 members, a run per night takes a day's worth.
const eventsBatchMax = 100_000

func applyLogArchived(tx *txn, ev *Event) error {
	var p LogArchived
	if err := decode(ev, &p); err != nil {
		return err
	}
	if !p.valid() || p.Last >= ev.Seq {
		return Errf(CodeInvalid, "event.payload_invalid", "type", ev.Type, "detail", "segment")
	}
	if tx.replay != nil {
		// a replay holds the chunk's index keys back (replay.go): write
		// them now, so that the archived ones among them are deleted below
		if err := tx.replay.flush(tx); err != nil {
			return err
		}
		tx.replay.keys = [2][][]byte{}
	}
	return dropByType(tx, p.First, p.Last)
}

// dropByType deletes the type index's entries of the events first..last.
func dropByType(tx *txn, first, last uint64) error {
	b := tx.Bucket(bucketByType)
	c := b.Cursor()
	var dels [][]byte
	for k, _ := c.First(); k != nil; {
		i := bytes.IndexByte(k, sep)
		if i < 0 {
			return &DamagedRecordError{Bucket: string(bucketByType), Key: string(k), Err: fmt.Errorf("no type")}
		}
		p := bytes.Clone(k[:i+1])
		for k2, _ := c.Seek(append(bytes.Clone(p), seqKey(first)...)); k2 != nil && bytes.HasPrefix(k2, p) && len(k2) == len(p)+8 && seqFromKey(k2[len(p):]) <= last; k2, _ = c.Next() {
			dels = append(dels, bytes.Clone(k2))
		}
		k, _ = c.Seek(append(bytes.Clone(p[:i]), sep+1))
	}
	for _, k := range dels {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// eventsCutoff is the last event a run may move out: older than keep,
// and acknowledged by every upstream.
func (l *Ledger) eventsCutoff(tx *txn, before time.Time) (uint64, error) {
	from, err := archivedThrough(tx)
	if err != nil {
		return 0, err
	}
	events := tx.Bucket(bucketEvents)
	lo, hi := from+1, events.Sequence()+1 // the first event at or after before is in [lo, hi]
	for lo < hi {
		mid := lo + (hi-lo)/2
		var ev struct {
			At time.Time `json:"at"`
		}
		v := events.Get(seqKey(mid))
		if v != nil {
			if err := json.Unmarshal(v, &ev); err != nil {
				return 0, err
			}
		}
		if v != nil && ev.At.Before(before) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	limit := lo - 1
	err = tx.Bucket(bucketUpstreams).ForEach(func(k, _ []byte) error {
		st, err := syncStateTx(tx, string(k))
		if err != nil {
			return err
		}
		limit = min(limit, st.PushedThrough)
		return nil
	})
	return limit, err
}

// archiveEvents moves the events older than before out of the live log.
func (l *Ledger) archiveEvents(ctx context.Context, before time.Time, actor, device string, run *ArchiveRun) error {
	for range eventsBatchMax {
		if err := ctx.Err(); err != nil {
			return err
		}
		var recs []segRecord
		var file string
		var end int64
		err := l.view(func(tx *txn) error {
			limit, err := l.eventsCutoff(tx, before)
			if err != nil {
				return err
			}
			from, err := archivedThrough(tx)
			if err != nil {
				return err
			}
			recs, file, err = l.collectSegment(tx, from+1, limit)
			if file != "" {
				end = archiveEnd(tx, file)
			}
			return err
		})
		if err != nil || len(recs) == 0 {
			return err
		}
		raw := encodeSegment(recs)
		comp, err := gzipMember(raw)
		if err != nil {
			return err
		}
		p := LogArchived{File: file, Length: int64(len(comp)), First: recs[0].seq, Last: recs[len(recs)-1].seq,
			Events: len(recs), SHA256: segmentDigest(raw)}
		if p.Offset, err = writeArchiveBytes(l.ArchiveDir(), file, end, comp); err != nil {
			return err
		}
		if err := l.appendLogArchived(ctx, p, actor, device, run); err != nil {
			return err
		}
		run.Moved += len(recs)
		run.Events++
		run.noteFile(file)
	}
	return nil
}

// collectSegment reads the live events from..limit that make the next
// member: up to segmentEvents of them or segmentBytes, all of one month.
func (l *Ledger) collectSegment(tx *txn, from, limit uint64) ([]segRecord, string, error) {
	var recs []segRecord
	var month string
	size := 0
	c := tx.Bucket(bucketEvents).Cursor()
	ks := tx.Bucket(bucketKeySeqs).Cursor()
	kk, _ := ks.Seek(seqKey(from))
	for k, v := c.Seek(seqKey(from)); k != nil && seqFromKey(k) <= limit; k, v = c.Next() {
		if len(recs) >= segmentEvents || size >= segmentBytes {
			break
		}
		var ev struct {
			At time.Time `json:"at"`
		}
		if err := json.Unmarshal(v, &ev); err != nil {
			return nil, "", fmt.Errorf("event %d: %w", seqFromKey(k), err)
		}
		m := ev.At.In(l.zone).Format("2006-01")
		if month == "" {
			month = m
		} else if m != month {
			break
		}
		r := segRecord{seq: seqFromKey(k), raw: bytes.Clone(v)}
		for ; kk != nil && seqFromKey(kk[:8]) <= r.seq; kk, _ = ks.Next() {
			if seqFromKey(kk[:8]) == r.seq {
				r.keys = append(r.keys, string(kk[8:]))
			}
		}
		recs = append(recs, r)
		size += len(v)
	}
	if len(recs) == 0 {
		return nil, "", nil
	}
	return recs, month + ".events.gz", nil
}

// writeArchiveBytes appends data at the end of dir/file and syncs. It
// returns where data starts (the log.archived event records it). The file
// is never cut: bytes past the store's committed length end are a run that
// failed after writing (they stay, unreferenced) or members a newer state
// of the store names (after `tally restore` of an older backup): those a
// newer backup's index points at must still be there.
func writeArchiveBytes(dir, file string, end int64, data []byte) (int64, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return 0, fmt.Errorf("create the archive folder: %w", err)
	}
	path := filepath.Join(dir, file)
	if _, err := os.Stat(path); end > 0 && os.IsNotExist(err) { // not even an empty file is left for it
		return 0, Errf(CodeNotFound, "archive.committed_file_missing", "file", file)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return 0, fmt.Errorf("archive file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if fi.Size() < end {
		return 0, archiveShort(file, fi.Size(), end) // cut or replaced, or a standby's copy older than the primary's (archive.go)
	}
	at := fi.Size()
	if _, err := f.WriteAt(data, at); err != nil {
		return 0, fmt.Errorf("write archive file: %w", err)
	}
	if err := f.Sync(); err != nil {
		return 0, fmt.Errorf("write archive file: %w", err)
	}
	if at == 0 {
		if err := syncDir(dir); err != nil {
			return 0, err
		}
	}
	return at, nil
}

// appendLogArchived appends the log.archived event of a member written and
// synced, and in the same transaction indexes it and deletes its events
// from the live log.
func (l *Ledger) appendLogArchived(ctx context.Context, p LogArchived, actor, device string, run *ArchiveRun) error {
	return l.appendRunEvent(ctx, EvLogArchived, p, actor, device, run, nil, func(tx *txn) error {
		if through, err := archivedThrough(tx); err != nil || through != p.First-1 {
			if err == nil {
				err = fmt.Errorf("the archived events end at %d, not %d: another run moved them", through, p.First-1)
			}
			return err
		}
		return indexSegment(tx, p)
	})
}

// indexSegment records a member written (the store's own offset and
// length in p) and deletes its events from the live log.
func indexSegment(tx *txn, p LogArchived) error {
	segs, err := tx.CreateBucketIfNotExists(bucketEventSegments)
	if err != nil {
		return err
	}
	nEvents, nMembers, ok := storedSegmentCounts(tx)
	if !ok { // a store from before the counts were kept: count once
		nEvents, nMembers = scanSegmentCounts(tx)
	}
	if err := putJSON(&bucket{Bucket: segs}, seqKey(p.First), p); err != nil {
		return err
	}
	if err := putSegmentCounts(tx, nEvents+uint64(p.Events), nMembers+1); err != nil {
		return err
	}
	if err := tx.Bucket(bucketMeta).Put(archiveEndKey(p.File), binary.BigEndian.AppendUint64(nil, uint64(p.Offset+p.Length))); err != nil {
		return err
	}
	var dels [][]byte
	c := tx.Bucket(bucketEvents).Cursor()
	for k, _ := c.Seek(seqKey(p.First)); k != nil && seqFromKey(k) <= p.Last; k, _ = c.Next() {
		dels = append(dels, bytes.Clone(k))
	}
	if len(dels) != p.Events {
		return fmt.Errorf("the live log holds %d of the %d events %d–%d being archived", len(dels), p.Events, p.First, p.Last)
	}
	events := tx.Bucket(bucketEvents)
	for _, k := range dels {
		if err := events.Delete(k); err != nil {
			return err
		}
	}
	dels = dels[:0]
	ks := tx.Bucket(bucketKeySeqs)
	kc := ks.Cursor()
	for k, _ := kc.Seek(seqKey(p.First)); len(k) >= 8 && seqFromKey(k[:8]) <= p.Last; k, _ = kc.Next() {
		dels = append(dels, bytes.Clone(k))
	}
	for _, k := range dels {
		if err := ks.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// standbyArchive is what a standby does with a log.archived event before
// applying it: it writes the member from its own copy of the events (the
// same records, checked against the event's SHA-256) to its own archive
// folder, indexes it and deletes the events from its live log, so a
// promoted standby has the whole history.
func standbyArchive(tx *txn, ev *Event) error {
	var p LogArchived
	if err := decode(ev, &p); err != nil {
		return err
	}
	seqText := strconv.FormatUint(ev.Seq, 10)
	if !p.valid() || p.Last >= ev.Seq {
		return Errf(CodeInvalid, "standby.segment_invalid", "seq", seqText)
	}
	if through, err := archivedThrough(tx); err != nil || through != p.First-1 {
		if err != nil {
			return err
		}
		return Errf(CodeConflict, "standby.segment_mismatch", "seq", seqText)
	}
	var recs []segRecord
	c := tx.Bucket(bucketEvents).Cursor()
	ks := tx.Bucket(bucketKeySeqs).Cursor()
	kk, _ := ks.Seek(seqKey(p.First))
	for k, v := c.Seek(seqKey(p.First)); k != nil && seqFromKey(k) <= p.Last; k, v = c.Next() {
		r := segRecord{seq: seqFromKey(k), raw: bytes.Clone(v)}
		for ; kk != nil && seqFromKey(kk[:8]) <= r.seq; kk, _ = ks.Next() {
			if seqFromKey(kk[:8]) == r.seq {
				r.keys = append(r.keys, string(kk[8:]))
			}
		}
		recs = append(recs, r)
	}
	raw := encodeSegment(recs)
	if len(recs) != p.Events || segmentDigest(raw) != p.SHA256 {
		return Errf(CodeConflict, "standby.segment_mismatch", "seq", seqText)
	}
	comp, err := gzipMember(raw)
	if err != nil {
		return err
	}
	own := p
	own.Length = int64(len(comp))
	if own.Offset, err = writeArchiveBytes(archiveDirOf(tx), p.File, archiveEnd(tx, p.File), comp); err != nil {
		return err
	}
	return indexSegment(tx, own)
}

// ArchivedEvents says how much of the log is in segments: events and
// members (for /metrics). indexSegment keeps the counts in meta, so a
// scrape reads one key; a store from before that counts its index.
func (l *Ledger) ArchivedEvents() (events uint64, members int) {
	_ = l.view(func(tx *txn) error {
		ev, m, ok := storedSegmentCounts(tx)
		if !ok {
			ev, m = scanSegmentCounts(tx)
		}
		events, members = ev, int(m)
		return nil
	})
	return events, members
}

// metaSegmentCounts is the meta key of the archived events' and members'
// counts (two big-endian uint64s).
var metaSegmentCounts = []byte("event_segments_count")

func storedSegmentCounts(tx *txn) (events, members uint64, ok bool) {
	v := tx.Bucket(bucketMeta).Get(metaSegmentCounts)
	if len(v) != 16 {
		return 0, 0, false
	}
	return binary.BigEndian.Uint64(v), binary.BigEndian.Uint64(v[8:]), true
}

func putSegmentCounts(tx *txn, events, members uint64) error {
	v := binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, events), members)
	return tx.Bucket(bucketMeta).Put(metaSegmentCounts, v)
}

// scanSegmentCounts counts the index's entries and their events.
func scanSegmentCounts(tx *txn) (events, members uint64) {
	b := tx.Bucket(bucketEventSegments)
	if b == nil {
		return 0, 0
	}
	_ = b.ForEach(func(k, v []byte) error {
		members++
		if s, err := decodeSegmentEntry(k, v); err == nil {
			events += uint64(s.Events)
		}
		return nil
	})
	return events, members
}

// linkArchive lets a store being proven in stage (Restore) read the
// archive folder of dir, where its archived events are: the segment files
// are only ever appended to, so a backup's members are still where its
// index says.
func linkArchive(stage, dir string) error {
	arc, err := filepath.Abs(filepath.Join(dir, archiveDirName))
	if err != nil {
		return err
	}
	if _, err := os.Stat(arc); err != nil {
		return nil // none: a backup with archived events fails its check, naming the file it misses
	}
	return os.Symlink(arc, filepath.Join(stage, archiveDirName))
}
