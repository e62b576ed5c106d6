package wms

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Archiving units of work (Retention.Units, `--keep-work-units`): a
// person's units of work (work_units, one record a task, order packed,
// receipt, count…) that ended before the retention's day leave the live
// store for the month's units file, DATA/archive/YYYY-MM.units.gz, and are
// read from there by every report that reads units: the gap limits of
// the figures (a pause is judged by the unit it led to), a person's units
// (the KPI person page) and the calibration. What a supervisor sees for a
// period is the same before and after the move, and after a rebuild.
// Without this, work_units grows by a record a unit for the 400 days
// staff figures are kept (246 MB for a 10,000,000-event month).
//
// Each units.archived event moves up to unitsBatch units of one person,
// oldest first, written first as one gzip member of JSON lines (the units
// as the live store had them) appended to the file and synced; the event
// names the units, the range of their ends and the SHA-256 of the
// member's JSON (not of its compressed bytes: a standby compresses its
// own). Its apply deletes the units and indexes the member under the
// person (unit_members, a projection: a rebuild gives the same index);
// where the member lies in the file (unit_segments: digest → offset and
// length) is the writer's, kept beside the log like event_segments, since
// a standby's file is its own. A crash between member and event leaves
// the member unreferenced and the units live: the next run writes them
// again after it (the file is only ever appended to).
//
// A unit continued after it left (no activity comes back to a unit weeks
// later on a floor: a task, an order packed, a receipt) starts a new
// record: the default retention, 14 days, is far beyond that.

// EvUnitsArchived moves one person's units of work to the units file.
const EvUnitsArchived = "units.archived"

// UnitsArchived is the payload of units.archived.
type UnitsArchived struct {
	File   string        `json:"file"`   // the month's units file, "2026-11.units.gz"
	Actor  string        `json:"actor"`  // whose units
	Units  []WorkUnitRef `json:"units"`  // the units (their actor is Actor's)
	From   time.Time     `json:"from"`   // the earliest end among them
	To     time.Time     `json:"to"`     // the latest end
	Digest string        `json:"digest"` // SHA-256 of the member's JSON lines
}

// unitsBatch is how many units one event moves.
var unitsBatch = 2000

// unitsFileSuffix names a month's units file: "2026-11.units.gz".
const unitsFileSuffix = ".units.gz"

var (
	bucketUnitMembers  = []byte("unit_members")  // actor 0 to (8 bytes, Unix ns) digest -> unitMember JSON: a person's archived units
	bucketUnitSegments = []byte("unit_segments") // digest -> file 0 offset (8) length (8): where this store wrote the member
)

// unitMember is unit_members' value.
type unitMember struct {
	File   string    `json:"file"`
	Digest string    `json:"digest"`
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	Count  int       `json:"count"`
}

func unitMemberKey(actor string, to time.Time, digest string) []byte {
	k := binary.BigEndian.AppendUint64(prefixKey(actor), uint64(to.UnixNano()))
	return append(k, digest...)
}

func validUnitsFile(f string) bool {
	m, ok := strings.CutSuffix(f, unitsFileSuffix)
	return ok && validMonth(m)
}

// encodeUnits is a member's JSON lines and their SHA-256.
func encodeUnits(units []WorkUnit) ([]byte, string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for _, u := range units {
		if err := enc.Encode(u); err != nil {
			return nil, "", err
		}
	}
	s := sha256.Sum256(buf.Bytes())
	return buf.Bytes(), hex.EncodeToString(s[:]), nil
}

// unitsToMove reads the event's units from the live store, in its order.
func unitsToMove(tx *txn, p *UnitsArchived) ([]WorkUnit, error) {
	out := make([]WorkUnit, 0, len(p.Units))
	for _, r := range p.Units {
		u, found, err := getWork(tx, bucketWorkUnits, workUnitKey(p.Actor, r.Kind, r.Unit), decodeWorkUnit)
		if err != nil {
			return nil, err
		}
		if !found {
			return nil, Errf(CodeConflict, "units.changed", "actor", p.Actor, "unit", r.Unit)
		}
		out = append(out, u)
	}
	return out, nil
}

// applyUnitsArchived deletes the event's units and indexes its member.
// It deletes those present and asks nothing of the rest: the writer
// checked, before the event was appended, that every unit was live and as
// the member has it (archiveUnitBatch's check), and a later projections
// version that derives units of work otherwise (another unit, none) must
// still replay the log that today's wrote.
func applyUnitsArchived(tx *txn, ev *Event) error {
	var p UnitsArchived
	if err := decode(ev, &p); err != nil {
		return err
	}
	if !validUnitsFile(p.File) || p.Actor == "" || len(p.Units) == 0 || len(p.Digest) != 64 || p.To.Before(p.From) {
		return Errf(CodeInvalid, "units.event_invalid", "file", clipText(p.File))
	}
	b := tx.Bucket(bucketWorkUnits)
	for _, r := range p.Units {
		if err := b.Delete(workUnitKey(p.Actor, r.Kind, r.Unit)); err != nil {
			return err
		}
	}
	m := unitMember{File: p.File, Digest: p.Digest, From: p.From.UTC(), To: p.To.UTC(), Count: len(p.Units)}
	return putJSON(tx.Bucket(bucketUnitMembers), unitMemberKey(p.Actor, p.To, p.Digest), m)
}

// unitSegment is where this store wrote a member.
func unitSegmentValue(file string, offset, length int64) []byte {
	v := append([]byte(file), sep)
	v = binary.BigEndian.AppendUint64(v, uint64(offset))
	return binary.BigEndian.AppendUint64(v, uint64(length))
}

// unitRef is a unit to move: its key and end.
type unitRef struct {
	ref WorkUnitRef
	end time.Time
}

// archiveUnits is Archive's step for units of work: those that ended
// before the day `before` falls in move to the month's units file.
func (l *Ledger) archiveUnits(ctx context.Context, before time.Time, actor, device string, run *ArchiveRun) error {
	local := before.In(l.zone)
	dayStart := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, l.zone).UTC()
	file := local.Format("2006-01") + unitsFileSuffix
	byActor := map[string][]unitRef{}
	err := l.scanChunks(bucketWorkUnits, nil, func(_ *txn, k, v []byte) error {
		u, err := decodeWorkUnit(v)
		if err != nil {
			return &DamagedRecordError{Bucket: string(bucketWorkUnits), Key: string(k), Err: err}
		}
		if u.End.Before(dayStart) && !bytes.Equal(k, workUnitKey(u.Actor, u.Kind, u.Unit)) {
			return &DamagedRecordError{Bucket: string(bucketWorkUnits), Key: string(k), Err: fmt.Errorf("its unit is %s/%s/%s", u.Actor, u.Kind, u.Unit)}
		}
		if u.End.Before(dayStart) {
			byActor[u.Actor] = append(byActor[u.Actor], unitRef{WorkUnitRef{Kind: u.Kind, Unit: u.Unit}, u.End})
		}
		return nil
	})
	if err != nil {
		return err
	}
	actors := make([]string, 0, len(byActor))
	for a := range byActor {
		actors = append(actors, a)
	}
	sort.Strings(actors)
	for _, a := range actors {
		refs := byActor[a]
		slices.SortStableFunc(refs, func(x, y unitRef) int { return x.end.Compare(y.end) })
		for i := 0; i < len(refs); i += unitsBatch {
			if err := ctx.Err(); err != nil {
				return err
			}
			p := UnitsArchived{File: file, Actor: a}
			for _, r := range refs[i:min(i+unitsBatch, len(refs))] {
				p.Units = append(p.Units, r.ref)
			}
			if err := l.archiveUnitBatch(ctx, p, actor, device, run); err != nil {
				return err
			}
		}
	}
	return nil
}

func (l *Ledger) archiveUnitBatch(ctx context.Context, p UnitsArchived, actor, device string, run *ArchiveRun) error {
	var units []WorkUnit
	var end int64
	if err := l.view(func(tx *txn) (err error) {
		end = archiveEnd(tx, p.File)
		units, err = unitsToMove(tx, &p)
		return err
	}); err != nil {
		if ErrorCode(err) == CodeConflict { // changed since the scan: the next run
			return nil
		}
		return err
	}
	raw, digest, err := encodeUnits(units)
	if err != nil {
		return err
	}
	p.Digest = digest
	p.From, p.To = units[0].End.UTC(), units[0].End.UTC()
	for _, u := range units {
		p.From, p.To = minTime(p.From, u.End.UTC()), maxTime(p.To, u.End.UTC())
	}
	comp, err := gzipLevel(raw, gzip.BestCompression)
	if err != nil {
		return err
	}
	offset, err := writeArchiveBytes(l.ArchiveDir(), p.File, end, comp)
	if err != nil {
		return err
	}
	err = l.appendRunEvent(ctx, EvUnitsArchived, p, actor, device, run, func(tx *txn) error {
		now, err := unitsToMove(tx, &p)
		if err != nil {
			return err
		}
		if _, d, err := encodeUnits(now); err != nil || d != digest {
			return cmpErr(err, Errf(CodeConflict, "units.changed", "actor", p.Actor, "unit", p.Units[0].Unit))
		}
		return nil
	}, func(tx *txn) error {
		return putUnitSegment(tx, p.File, digest, offset, int64(len(comp)))
	})
	if ErrorCode(err) == CodeConflict { // a unit changed meanwhile: the next run takes it
		return nil
	}
	if err != nil {
		return err
	}
	run.Units += len(p.Units)
	run.Events++
	run.noteFile(p.File)
	return nil
}

func cmpErr(err, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// standbyUnits is replicateTx's part for a units.archived event, before it
// applies: the standby writes the member from its own units (the
// primary's, the same projection), refuses one whose JSON is not the
// event's, and records where it wrote it.
func standbyUnits(tx *txn, ev *Event) error {
	dir := archiveDirOf(tx)
	var p UnitsArchived
	if err := decode(ev, &p); err != nil {
		return err
	}
	if !validUnitsFile(p.File) || p.Actor == "" {
		return Errf(CodeInvalid, "units.event_invalid", "file", clipText(p.File))
	}
	if b := tx.Bucket(bucketUnitSegments); b != nil && b.Get([]byte(p.Digest)) != nil {
		return nil
	}
	units, err := unitsToMove(tx, &p)
	if err != nil {
		return err
	}
	raw, digest, err := encodeUnits(units)
	if err != nil {
		return err
	}
	if digest != p.Digest {
		return Errf(CodeConflict, "units.digest_differs", "file", p.File, "seq", strconv.FormatUint(ev.Seq, 10))
	}
	comp, err := gzipLevel(raw, gzip.BestCompression)
	if err != nil {
		return err
	}
	offset, err := writeArchiveBytes(dir, p.File, archiveEnd(tx, p.File), comp)
	if err != nil {
		return err
	}
	return putUnitSegment(tx, p.File, digest, offset, int64(len(comp)))
}

// putUnitSegment records where this store wrote a member, and the file's
// new committed length.
func putUnitSegment(tx *txn, file, digest string, offset, length int64) error {
	b, err := tx.CreateBucketIfNotExists(bucketUnitSegments)
	if err != nil {
		return err
	}
	if err := b.Put([]byte(digest), unitSegmentValue(file, offset, length)); err != nil {
		return err
	}
	return tx.Bucket(bucketMeta).Put(archiveEndKey(file), binary.BigEndian.AppendUint64(nil, uint64(offset+length)))
}

// UnitsFileError is a units member that cannot be read as the store
// committed it.
type UnitsFileError struct {
	File string
	Why  string
}

func (e *UnitsFileError) Error() string {
	return fmt.Sprintf("units file %s is damaged (%s): restore the archive folder from the backup", e.File, e.Why)
}

// unitReader reads archived units for one request. It keeps the members
// it read last (least recently used out first) up to unitCacheMembers
// members and unitCacheBytes bytes of their JSON, so that a request that
// reads the units of everyone for a month (the figures page: a pause's
// unit, kpi.go) holds a few members, not the month: a member read again
// after it left is read again from the file, with the same answer.
type unitReader struct {
	tx    *txn
	dir   string
	cache []keptMember // most recently used last
	bytes int          // the JSON bytes of the members in cache
}

type keptMember struct {
	digest string
	units  []WorkUnit
	bytes  int
}

// The cache's bounds (variables so that tests can make them small). A
// member is up to unitsBatch units, some 0.5 MB of JSON.
var (
	unitCacheMembers = 16
	unitCacheBytes   = 16 << 20
)

func newUnitReader(tx *txn) *unitReader {
	return &unitReader{tx: tx, dir: archiveDirOf(tx)}
}

// cached is a member read before and still kept, now the most recent.
func (r *unitReader) cached(digest string) ([]WorkUnit, bool) {
	for i, c := range r.cache {
		if c.digest == digest {
			copy(r.cache[i:], r.cache[i+1:])
			r.cache[len(r.cache)-1] = c
			return c.units, true
		}
	}
	return nil, false
}

// keep adds a member read, dropping the least recently used while the
// cache is beyond a bound; a member larger than the bytes bound alone is
// not kept.
func (r *unitReader) keep(digest string, units []WorkUnit, size int) {
	if size > unitCacheBytes || unitCacheMembers <= 0 {
		return
	}
	for len(r.cache) > 0 && (len(r.cache)+1 > unitCacheMembers || r.bytes+size > unitCacheBytes) {
		r.bytes -= r.cache[0].bytes
		r.cache[0] = keptMember{}
		r.cache = r.cache[1:]
	}
	r.cache = append(r.cache, keptMember{digest: digest, units: units, bytes: size})
	r.bytes += size
}

// member reads one member, checked against its digest.
func (r *unitReader) member(m unitMember) ([]WorkUnit, error) {
	if u, ok := r.cached(m.Digest); ok {
		return u, nil
	}
	var v []byte
	if b := r.tx.Bucket(bucketUnitSegments); b != nil {
		v = b.Get([]byte(m.Digest))
	}
	i := len(v) - 17
	if i < 0 || v[i] != sep || string(v[:i]) != m.File {
		return nil, &UnitsFileError{File: m.File, Why: "the store does not say where member " + m.Digest[:min(16, len(m.Digest))] + " is"}
	}
	offset, length := int64(binary.BigEndian.Uint64(v[i+1:])), int64(binary.BigEndian.Uint64(v[i+9:]))
	f, err := os.Open(filepath.Join(r.dir, m.File))
	if err != nil {
		return nil, &UnitsFileError{File: m.File, Why: err.Error()}
	}
	defer f.Close()
	zr, err := gzip.NewReader(bufio.NewReader(io.NewSectionReader(f, offset, length)))
	if err != nil {
		return nil, &UnitsFileError{File: m.File, Why: fmt.Sprintf("member at byte %d: %v", offset, err)}
	}
	raw, err := io.ReadAll(io.LimitReader(zr, 1<<30))
	if err != nil {
		return nil, &UnitsFileError{File: m.File, Why: fmt.Sprintf("member at byte %d: %v", offset, err)}
	}
	if s := sha256.Sum256(raw); hex.EncodeToString(s[:]) != m.Digest {
		return nil, &UnitsFileError{File: m.File, Why: fmt.Sprintf("member at byte %d does not match its SHA-256", offset)}
	}
	var out []WorkUnit
	dec := json.NewDecoder(bytes.NewReader(raw))
	for dec.More() {
		var u WorkUnit
		if err := dec.Decode(&u); err != nil {
			return nil, &UnitsFileError{File: m.File, Why: err.Error()}
		}
		out = append(out, u)
	}
	if len(out) != m.Count {
		return nil, &UnitsFileError{File: m.File, Why: fmt.Sprintf("member at byte %d holds %d units, %d expected", offset, len(out), m.Count)}
	}
	r.keep(m.Digest, out, len(raw))
	return out, nil
}

// each calls fn with every archived unit of the actor ("" every actor's)
// that ended in [from, to).
func (r *unitReader) each(actor string, from, to time.Time, fn func(WorkUnit)) error {
	var p []byte
	if actor != "" {
		p = prefixKey(actor)
	}
	c := r.tx.Bucket(bucketUnitMembers).Cursor()
	k, v := c.First()
	if p != nil {
		k, v = c.Seek(p)
	}
	for ; k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
		var m unitMember
		if err := json.Unmarshal(v, &m); err != nil {
			return &DamagedRecordError{Bucket: string(bucketUnitMembers), Key: string(k), Err: err}
		}
		if m.To.Before(from) || !m.From.Before(to) {
			continue
		}
		units, err := r.member(m)
		if err != nil {
			return err
		}
		for _, u := range units {
			if !u.End.Before(from) && u.End.Before(to) {
				fn(u)
			}
		}
	}
	return nil
}

// unit finds an archived unit of work of a person; at is a pause's end,
// when the unit it led to was worked: the person's members from the first
// that ends at or after it are read first, then the earlier ones.
func (r *unitReader) unit(actor string, kind WorkKind, unit string, at time.Time) (WorkUnit, bool, error) {
	p := prefixKey(actor)
	mark := binary.BigEndian.AppendUint64(bytes.Clone(p), uint64(at.UnixNano()))
	c := r.tx.Bucket(bucketUnitMembers).Cursor()
	look := func(k, v []byte) (WorkUnit, bool, error) {
		var m unitMember
		if err := json.Unmarshal(v, &m); err != nil {
			return WorkUnit{}, false, &DamagedRecordError{Bucket: string(bucketUnitMembers), Key: string(k), Err: err}
		}
		units, err := r.member(m)
		if err != nil {
			return WorkUnit{}, false, err
		}
		for _, u := range units {
			if u.Kind == kind && u.Unit == unit {
				return u, true, nil
			}
		}
		return WorkUnit{}, false, nil
	}
	for k, v := c.Seek(mark); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
		if u, ok, err := look(k, v); ok || err != nil {
			return u, ok, err
		}
	}
	for k, v := c.Seek(p); k != nil && bytes.Compare(k, mark) < 0; k, v = c.Next() {
		if u, ok, err := look(k, v); ok || err != nil {
			return u, ok, err
		}
	}
	return WorkUnit{}, false, nil
}

// byUnitKey puts units in work_units' order (what a read of the live
// bucket alone gives), stably.
func byUnitKey(units []WorkUnit) {
	slices.SortStableFunc(units, func(a, b WorkUnit) int {
		return bytes.Compare(workUnitKey(a.Actor, a.Kind, a.Unit), workUnitKey(b.Actor, b.Kind, b.Unit))
	})
}

// VerifyUnitFiles reads every archived member of units of work the store
// names, each against its SHA-256 (`tally check`, a restore's proof): a
// units file missing or damaged is an error naming it.
func (l *Ledger) VerifyUnitFiles() (members, units int, err error) {
	err = l.view(func(tx *txn) error {
		r := newUnitReader(tx)
		return tx.Bucket(bucketUnitMembers).ForEach(func(k, v []byte) error {
			var m unitMember
			if err := json.Unmarshal(v, &m); err != nil {
				return &DamagedRecordError{Bucket: string(bucketUnitMembers), Key: string(k), Err: err}
			}
			us, err := r.member(m)
			if err != nil {
				return err
			}
			r.cache, r.bytes = nil, 0 // each member is read once
			members++
			units += len(us)
			return nil
		})
	})
	return members, units, err
}
