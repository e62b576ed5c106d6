package wms

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The event log in two places. Events older than the events' retention
// leave bbolt for segment files in DATA/archive (eventarchive.go):
//
//	2026-11.events.gz  a series of gzip members, each a run of consecutive
//	                   events of the month (the warehouse's zone) as
//	                   segment records (below)
//
// event_segments (a log bucket, never rebuilt) indexes the members by their
// first sequence number; every event up to the last member's Last is in a
// member, every later one in bucketEvents. Everything that reads events by
// sequence reads them through rawEvent (one event) or logCursor (a run of
// them), which look in the right place: reading seq N of the archive is one
// index lookup and one member read (the last member read is cached).
//
// A member's records, uncompressed, one after another:
//
//	uvarint seq, uvarint count of keys, count × (uvarint length, key ID),
//	uvarint length, the event as bucketEvents stored it (its JSON, byte for byte)
//
// The keys are the event's key_seqs entries (the keys other than its own ID
// its write recorded), which leave the store with the event. The SHA-256 of
// the uncompressed records is in the index and in the log.archived event
// that moved them: a member that does not match is refused, never replayed.

var bucketEventSegments = []byte("event_segments") // first seq -> LogArchived JSON: where a run of archived events is (eventlog.go)

// Limits on what a segment member may hold: a damaged file or a bad
// replicated event is refused with a message, never read without bounds.
const (
	segmentMaxCompressed = 64 << 20  // bytes of one gzip member
	segmentMaxRaw        = 256 << 20 // bytes of its records
	segmentMaxKeys       = 1 << 16   // keys of one event
)

// segmentFileRE is the name of an event segment file.
var segmentFileRE = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}\.events\.gz$`)

// segRecord is one archived event.
type segRecord struct {
	seq  uint64
	keys []string
	raw  []byte
}

// encodeSegment writes records in the segment form.
func encodeSegment(recs []segRecord) []byte {
	var out []byte
	for _, r := range recs {
		out = binary.AppendUvarint(out, r.seq)
		out = binary.AppendUvarint(out, uint64(len(r.keys)))
		for _, k := range r.keys {
			out = binary.AppendUvarint(out, uint64(len(k)))
			out = append(out, k...)
		}
		out = binary.AppendUvarint(out, uint64(len(r.raw)))
		out = append(out, r.raw...)
	}
	return out
}

var errSegmentForm = errors.New("not in the segment form")

// decodeSegment reads records; every record must be whole and the sequence
// numbers must rise.
func decodeSegment(data []byte) ([]segRecord, error) {
	var out []segRecord
	uv := func() (uint64, error) {
		v, n := binary.Uvarint(data)
		if n <= 0 || (n > 1 && data[n-1] == 0) { // a number in more bytes than it needs is not the form
			return 0, errSegmentForm
		}
		data = data[n:]
		return v, nil
	}
	bytesOf := func() ([]byte, error) {
		n, err := uv()
		if err != nil || n > uint64(len(data)) {
			return nil, errSegmentForm
		}
		b := data[:n:n]
		data = data[n:]
		return b, nil
	}
	for len(data) > 0 {
		var r segRecord
		var err error
		if r.seq, err = uv(); err != nil {
			return nil, err
		}
		if len(out) > 0 && r.seq <= out[len(out)-1].seq {
			return nil, fmt.Errorf("%w: event %d after %d", errSegmentForm, r.seq, out[len(out)-1].seq)
		}
		nk, err := uv()
		if err != nil || nk > segmentMaxKeys || nk > uint64(len(data)) {
			return nil, errSegmentForm
		}
		for range nk {
			k, err := bytesOf()
			if err != nil {
				return nil, err
			}
			r.keys = append(r.keys, string(k))
		}
		if r.raw, err = bytesOf(); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func segmentDigest(raw []byte) string {
	h := sha256.Sum256(raw)
	return hex.EncodeToString(h[:])
}

// gzipMember compresses one member of the log's archive.
func gzipMember(raw []byte) ([]byte, error) {
	return gzipLevel(raw, gzip.DefaultCompression)
}

// gzipLevel compresses raw as one gzip member at the level (the archive
// files' members: the log's, the units').
func gzipLevel(raw []byte, level int) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, level)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(raw); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// validSegment checks an index entry (or a log.archived event's payload)
// before it is used: a name in DATA/archive, bounds that make sense.
func (s LogArchived) valid() bool {
	return segmentFileRE.MatchString(s.File) && s.Offset >= 0 && s.Length > 0 && s.Length <= segmentMaxCompressed &&
		s.First > 0 && s.Last >= s.First && s.Events > 0 && uint64(s.Events) <= s.Last-s.First+1 && len(s.SHA256) == 64
}

// SegmentError is an archived member that cannot be read as the store
// says it was written: missing, cut short, or not matching its SHA-256.
type SegmentError struct {
	File        string
	Offset      int64
	First, Last uint64
	Err         error
}

func (e *SegmentError) Error() string {
	return fmt.Sprintf("archived events %d–%d (%s at byte %d): %v; restore DATA/%s/%s from the backup taken with the store",
		e.First, e.Last, e.File, e.Offset, e.Err, archiveDirName, e.File)
}

func (e *SegmentError) Unwrap() error { return e.Err }

// readMember reads and checks one member of dir's segment file.
func readMember(dir string, s LogArchived) ([]segRecord, error) {
	fail := func(err error) ([]segRecord, error) {
		return nil, &SegmentError{File: s.File, Offset: s.Offset, First: s.First, Last: s.Last, Err: err}
	}
	if !s.valid() {
		return fail(errors.New("the index entry is not valid"))
	}
	f, err := os.Open(filepath.Join(dir, s.File))
	if err != nil {
		return fail(err)
	}
	defer f.Close()
	comp := make([]byte, s.Length)
	if _, err := f.ReadAt(comp, s.Offset); err != nil {
		return fail(fmt.Errorf("cut short: %w", err))
	}
	return decodeMember(comp, s)
}

// decodeMember decompresses, checks and decodes one member.
func decodeMember(comp []byte, s LogArchived) ([]segRecord, error) {
	fail := func(err error) ([]segRecord, error) {
		return nil, &SegmentError{File: s.File, Offset: s.Offset, First: s.First, Last: s.Last, Err: err}
	}
	zr, err := gzip.NewReader(bytes.NewReader(comp))
	if err != nil {
		return fail(fmt.Errorf("not gzip: %w", err))
	}
	zr.Multistream(false)
	raw, err := io.ReadAll(io.LimitReader(zr, segmentMaxRaw+1))
	if err != nil {
		return fail(fmt.Errorf("damaged: %w", err))
	}
	if len(raw) > segmentMaxRaw {
		return fail(errors.New("over the size a member may have"))
	}
	if segmentDigest(raw) != s.SHA256 {
		return fail(errors.New("damaged: its SHA-256 is not the one the store recorded"))
	}
	recs, err := decodeSegment(raw)
	if err != nil {
		return fail(err)
	}
	if len(recs) != s.Events || recs[0].seq != s.First || recs[len(recs)-1].seq != s.Last {
		return fail(errors.New("it does not hold the events the store recorded"))
	}
	return recs, nil
}

// memberCache keeps the members read last (up to memberCacheMembers of
// them and memberCacheBytes of their records, the most recent at the end),
// for readers that read one archived event after another of the same run
// (trace, the feed, eventAt) and for retries of archived events: a
// handheld flushing an old queue touches a few members in turn, and each
// read inside the write transaction would otherwise decompress one again.
var memberCache struct {
	sync.Mutex
	entries []memberEntry
	bytes   int
}

type memberEntry struct {
	key  string
	recs []segRecord
	size int
}

const (
	memberCacheMembers = 4
	memberCacheBytes   = 48 << 20
)

// recordsSize is what a member's records hold in memory, roughly.
func recordsSize(recs []segRecord) int {
	n := 0
	for _, r := range recs {
		n += len(r.raw) + 48
		for _, k := range r.keys {
			n += len(k) + 16
		}
	}
	return n
}

// cachedMember is readMember through memberCache. The records are shared:
// never change them.
func cachedMember(dir string, s LogArchived) ([]segRecord, error) {
	key := dir + "\x00" + s.File + "\x00" + strconv.FormatInt(s.Offset, 10) + "\x00" + s.SHA256
	memberCache.Lock()
	for i, e := range memberCache.entries {
		if e.key == key {
			if i != len(memberCache.entries)-1 { // the most recent goes last
				memberCache.entries = append(append(memberCache.entries[:i:i], memberCache.entries[i+1:]...), e)
			}
			memberCache.Unlock()
			return e.recs, nil
		}
	}
	memberCache.Unlock()
	recs, err := readMember(dir, s)
	if err != nil {
		return nil, err
	}
	e := memberEntry{key: key, recs: recs, size: recordsSize(recs)}
	memberCache.Lock()
	defer memberCache.Unlock()
	for _, have := range memberCache.entries {
		if have.key == key { // another reader put it meanwhile
			return have.recs, nil
		}
	}
	if e.size > memberCacheBytes {
		return recs, nil
	}
	memberCache.entries = append(memberCache.entries, e)
	memberCache.bytes += e.size
	for len(memberCache.entries) > memberCacheMembers || memberCache.bytes > memberCacheBytes {
		memberCache.bytes -= memberCache.entries[0].size
		memberCache.entries = slices.Delete(memberCache.entries, 0, 1)
	}
	return recs, nil
}

// archiveDirOf is the archive folder beside the store tx reads.
func archiveDirOf(tx *txn) string {
	return filepath.Join(filepath.Dir(tx.DB().Path()), archiveDirName)
}

func decodeSegmentEntry(k, v []byte) (LogArchived, error) {
	var s LogArchived
	if err := json.Unmarshal(v, &s); err != nil || len(k) != 8 || seqFromKey(k) != s.First || !s.valid() {
		return s, &DamagedRecordError{Bucket: string(bucketEventSegments), Key: fmt.Sprint(k), Err: errors.New("bad segment entry")}
	}
	return s, nil
}

// archivedThrough is the last sequence number in a segment (0: none).
func archivedThrough(tx *txn) (uint64, error) {
	b := tx.Bucket(bucketEventSegments)
	if b == nil {
		return 0, nil
	}
	k, v := b.Cursor().Last()
	if k == nil {
		return 0, nil
	}
	s, err := decodeSegmentEntry(k, v)
	return s.Last, err
}

// segmentAt finds the segment holding seq, or failing that the first one
// after it.
func segmentAt(tx *txn, seq uint64) (LogArchived, bool, error) {
	b := tx.Bucket(bucketEventSegments)
	if b == nil {
		return LogArchived{}, false, nil
	}
	c := b.Cursor()
	k, v := c.Seek(seqKey(seq))
	if k == nil || seqFromKey(k) > seq {
		var pk, pv []byte
		if k == nil {
			pk, pv = c.Last()
		} else {
			pk, pv = c.Prev()
		}
		if pk != nil {
			if s, err := decodeSegmentEntry(pk, pv); err != nil || s.Last >= seq {
				return s, err == nil, err
			}
		}
		if k == nil {
			return LogArchived{}, false, nil
		}
	}
	s, err := decodeSegmentEntry(k, v)
	return s, err == nil, err
}

// archivedEvent reads event seq from the archive: nil when no segment
// holds it.
func archivedEvent(tx *txn, seq uint64) ([]byte, []string, error) {
	s, ok, err := segmentAt(tx, seq)
	if err != nil || !ok || seq < s.First || seq > s.Last {
		return nil, nil, err
	}
	recs, err := cachedMember(archiveDirOf(tx), s)
	if err != nil {
		return nil, nil, err
	}
	i := sort.Search(len(recs), func(i int) bool { return recs[i].seq >= seq })
	if i == len(recs) || recs[i].seq != seq {
		return nil, nil, nil
	}
	return recs[i].raw, recs[i].keys, nil
}

// rawEvent is event seq as stored, from the live log or the archive (nil:
// no such event).
func rawEvent(tx *txn, seq uint64) ([]byte, error) {
	if v := tx.Bucket(bucketEvents).Get(seqKey(seq)); v != nil {
		return v, nil
	}
	v, _, err := archivedEvent(tx, seq)
	return v, err
}

// eventCursor walks the log by sequence number as one: the archived
// members, then bucketEvents. It has the shape of a bbolt cursor (keys are
// seqKey, values the stored event), so replay, the feed and the
// replication read take events from it unchanged; a member that cannot be
// read ends the walk, and Err says why (check it after the loop).
type eventCursor struct {
	tx    *txn
	live  *bolt.Cursor
	seg   LogArchived
	recs  []segRecord // the current member, while in the archive
	i     int
	inArc bool
	err   error
}

// logCursor is a cursor over every event, archived or live.
func logCursor(tx *txn) *eventCursor {
	return &eventCursor{tx: tx, live: tx.Bucket(bucketEvents).Cursor()}
}

// Err is why the walk ended early (nil: it did not).
func (c *eventCursor) Err() error { return c.err }

// Keys are the key IDs the current event's write recorded beside its own
// ID: from its member when archived; nil when live (read key_seqs then).
func (c *eventCursor) Keys() (keys []string, archived bool) {
	if c.inArc {
		return c.recs[c.i].keys, true
	}
	return nil, false
}

func (c *eventCursor) Seek(k []byte) ([]byte, []byte) {
	seq := seqFromKey(k)
	s, ok, err := segmentAt(c.tx, seq)
	if err != nil {
		return c.fail(err)
	}
	if !ok {
		c.inArc = false
		return c.live.Seek(k)
	}
	if err := c.load(s); err != nil {
		return c.fail(err)
	}
	c.i = sort.Search(len(c.recs), func(i int) bool { return c.recs[i].seq >= seq })
	if c.i == len(c.recs) {
		return c.nextSegment()
	}
	return c.current()
}

func (c *eventCursor) Next() ([]byte, []byte) {
	if c.err != nil {
		return nil, nil
	}
	if !c.inArc {
		return c.live.Next()
	}
	c.i++
	if c.i < len(c.recs) {
		return c.current()
	}
	return c.nextSegment()
}

func (c *eventCursor) load(s LogArchived) error {
	recs, err := cachedMember(archiveDirOf(c.tx), s)
	if err != nil {
		return err
	}
	c.seg, c.recs, c.inArc = s, recs, true
	return nil
}

func (c *eventCursor) current() ([]byte, []byte) {
	r := c.recs[c.i]
	return seqKey(r.seq), r.raw
}

// nextSegment moves to the member after the current one, or to the live
// log after the last.
func (c *eventCursor) nextSegment() ([]byte, []byte) {
	after := c.seg.Last
	s, ok, err := segmentAt(c.tx, after+1)
	if err != nil {
		return c.fail(err)
	}
	if !ok || s.First <= after {
		c.inArc = false
		return c.live.Seek(seqKey(after + 1))
	}
	if err := c.load(s); err != nil {
		return c.fail(err)
	}
	c.i = 0
	return c.current()
}

func (c *eventCursor) fail(err error) ([]byte, []byte) {
	c.err, c.inArc = err, false
	return nil, nil
}

// lastSeqBefore is the sequence number of the last event stamped before t.
func (l *Ledger) lastSeqBefore(t time.Time) (uint64, error) {
	var through uint64
	err := l.view(func(tx *txn) error {
		events := tx.Bucket(bucketEvents)
		lo, hi := uint64(1), events.Sequence()+1
		for lo < hi {
			mid := lo + (hi-lo)/2
			v := events.Get(seqKey(mid))
			if v == nil { // archived (eventlog.go)
				var err error
				if v, err = rawEvent(tx, mid); err != nil {
					return err
				}
			}
			var ev struct {
				At time.Time `json:"at"`
			}
			if v != nil {
				if err := json.Unmarshal(v, &ev); err != nil {
					return err
				}
			}
			if v != nil && ev.At.Before(t) {
				lo = mid + 1
			} else {
				hi = mid
			}
		}
		through = lo - 1
		return nil
	})
	return through, err
}

// appendRunEvent appends one event of an archive run (history.archived,
// log.archived, ids.archived, lots.archived, units.archived) and, in the
// same transaction, the run's own checks before it (first: what the
// event's apply will remove is still what the run wrote) and work after it
// (then); either may be nil. The run's longest write counts the
// transaction.
func (l *Ledger) appendRunEvent(ctx context.Context, typ string, payload any, actor, device string, run *ArchiveRun, first, then func(tx *txn) error) error {
	ev, err := NewEvent(newID(), typ, actor, device, payload)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	l.stamp(&ev)
	start := time.Now()
	defer func() { run.LongestWrite = max(run.LongestWrite, time.Since(start)) }()
	return l.write(func(tx *txn) error {
		if first != nil {
			if err := first(tx); err != nil {
				return err
			}
		}
		if _, _, err := appendTx(tx, ev); err != nil {
			return err
		}
		if then == nil {
			return nil
		}
		return then(tx)
	})
}
