package wms

import (
	"encoding/binary"
	"slices"
	"time"
)

// The work projections are read by the thousand for every figures request
// (work_hours, work_gaps, work_units), so their values are a compact binary
// form rather than JSON: decoding JSON was most of a month's read time over
// a million events. The form is deterministic, so a rebuild still gives the
// same bytes. Each value starts with its version byte.

// 2: features carry metres (mm) and zone pairs; work_last a position.
const workCodecV1 = 2

type workEnc struct{ b []byte }

func (e *workEnc) int(v int64) { e.b = binary.AppendVarint(e.b, v) }
func (e *workEnc) str(s string) {
	e.b = binary.AppendUvarint(e.b, uint64(len(s)))
	e.b = append(e.b, s...)
}

// at writes an instant as Unix nanoseconds, the zero time as 0.
func (e *workEnc) at(t time.Time) {
	if t.IsZero() {
		e.int(0)
		return
	}
	e.int(t.UnixNano())
}

func (e *workEnc) bool(v bool) {
	if v {
		e.int(1)
	} else {
		e.int(0)
	}
}

type workDec struct {
	b   []byte
	bad bool
}

func (d *workDec) int() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.bad, d.b = true, nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *workDec) str() string {
	n, k := binary.Uvarint(d.b)
	if k <= 0 || uint64(len(d.b)-k) < n {
		d.bad, d.b = true, nil
		return ""
	}
	s := string(d.b[k : k+int(n)])
	d.b = d.b[k+int(n):]
	return s
}

func (d *workDec) at() time.Time {
	n := d.int()
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func (d *workDec) bool() bool { return d.int() != 0 }

func newWorkDec(v []byte) (*workDec, error) {
	if len(v) == 0 || v[0] != workCodecV1 {
		return nil, Errf(CodeInternal, "event.payload_invalid", "type", "work")
	}
	return &workDec{b: v[1:]}, nil
}

func (d *workDec) done() error {
	if d.bad || len(d.b) != 0 {
		return Errf(CodeInternal, "event.payload_invalid", "type", "work")
	}
	return nil
}

// features writes the zone pairs last, sorted by key (the same bytes every
// time, whatever the map's order).
func (e *workEnc) features(f Features) {
	for _, v := range []int64{f.Tasks, f.Lines, f.LinesWaist, f.LinesHighLow, f.LinesFloor, f.Units, f.TravelSeq, f.ZoneChanges, f.TravelMM} {
		e.int(v)
	}
	keys := make([]string, 0, len(f.ZonePairs))
	for k := range f.ZonePairs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	e.int(int64(len(keys)))
	for _, k := range keys {
		e.str(k)
		e.int(f.ZonePairs[k].N)
		e.int(f.ZonePairs[k].Seq)
	}
}

func (d *workDec) features() Features {
	f := Features{Tasks: d.int(), Lines: d.int(), LinesWaist: d.int(), LinesHighLow: d.int(), LinesFloor: d.int(), Units: d.int(),
		TravelSeq: d.int(), ZoneChanges: d.int(), TravelMM: d.int()}
	n := d.int()
	if n < 0 || n > int64(len(d.b)) {
		d.bad, d.b = true, nil
		return f
	}
	if n > 0 {
		f.ZonePairs = make(map[string]ZonePair, n)
	}
	prev := ""
	for i := range n {
		k := d.str()
		if d.bad || (i > 0 && k <= prev) { // sorted and unique, as written
			d.bad, d.b = true, nil
			return f
		}
		prev = k
		f.ZonePairs[k] = ZonePair{N: d.int(), Seq: d.int()}
	}
	return f
}

func (c WorkCounts) values() []int64 {
	return []int64{c.Tasks, c.Lines, c.Units, c.WrongScans, c.Shorts, c.Undos, c.MisPicks, c.ErrorFreeLines, c.OrdersPacked,
		c.SingleOrders, c.PackUnits, c.Parcels, c.WeightRejects, c.Overrides, c.TypedWeights, c.UnitsReceived, c.UnitsPutAway,
		c.ReturnParcels, c.ReturnUnits, c.CountLines, c.Moves}
}

func (d *workDec) counts() WorkCounts {
	return WorkCounts{Tasks: d.int(), Lines: d.int(), Units: d.int(), WrongScans: d.int(), Shorts: d.int(), Undos: d.int(), MisPicks: d.int(),
		ErrorFreeLines: d.int(), OrdersPacked: d.int(), SingleOrders: d.int(), PackUnits: d.int(), Parcels: d.int(), WeightRejects: d.int(),
		Overrides: d.int(), TypedWeights: d.int(), UnitsReceived: d.int(), UnitsPutAway: d.int(), ReturnParcels: d.int(), ReturnUnits: d.int(),
		CountLines: d.int(), Moves: d.int()}
}

func (h HourWork) encode() []byte {
	e := &workEnc{b: []byte{workCodecV1}}
	for _, v := range h.Counts.values() {
		e.int(v)
	}
	e.features(h.Features)
	e.int(int64(h.Direct))
	e.int(int64(h.Indirect))
	e.at(h.First)
	e.at(h.Last)
	return e.b
}

func decodeHourWork(v []byte) (HourWork, error) {
	d, err := newWorkDec(v)
	if err != nil {
		return HourWork{}, err
	}
	h := HourWork{Counts: d.counts(), Features: d.features(), Direct: time.Duration(d.int()), Indirect: time.Duration(d.int()), First: d.at(), Last: d.at()}
	return h, d.done()
}

func (g WorkGap) encode() []byte {
	e := &workEnc{b: []byte{workCodecV1}}
	e.str(g.Actor)
	e.at(g.From)
	e.at(g.To)
	e.str(string(g.Kind))
	e.str(g.Unit)
	e.str(g.Owner)
	e.bool(g.Same)
	e.str(g.Reason)
	e.str(g.ReasonBy)
	return e.b
}

func decodeWorkGap(v []byte) (WorkGap, error) {
	d, err := newWorkDec(v)
	if err != nil {
		return WorkGap{}, err
	}
	g := WorkGap{Actor: d.str(), From: d.at(), To: d.at(), Kind: WorkKind(d.str()), Unit: d.str(), Owner: d.str(), Same: d.bool(), Reason: d.str(), ReasonBy: d.str()}
	return g, d.done()
}

func (u WorkUnit) encode() []byte {
	e := &workEnc{b: []byte{workCodecV1}}
	e.str(u.Actor)
	e.str(string(u.Kind))
	e.str(u.Unit)
	e.str(u.Owner)
	e.at(u.Start)
	e.at(u.End)
	e.bool(u.Done)
	e.int(int64(u.Direct))
	e.features(u.Features)
	e.int(int64(len(u.MisPicked)))
	for _, n := range u.MisPicked {
		e.int(int64(n))
	}
	return e.b
}

func decodeWorkUnit(v []byte) (WorkUnit, error) {
	d, err := newWorkDec(v)
	if err != nil {
		return WorkUnit{}, err
	}
	u := WorkUnit{Actor: d.str(), Kind: WorkKind(d.str()), Unit: d.str(), Owner: d.str(), Start: d.at(), End: d.at(), Done: d.bool(),
		Direct: time.Duration(d.int()), Features: d.features()}
	n := d.int()
	if n < 0 || n > int64(len(d.b)) {
		return u, Errf(CodeInternal, "event.payload_invalid", "type", "work")
	}
	for range n {
		u.MisPicked = append(u.MisPicked, int(d.int()))
	}
	return u, d.done()
}

func (w workLast) encode() []byte {
	e := &workEnc{b: []byte{workCodecV1}}
	e.at(w.At)
	e.str(string(w.Kind))
	e.str(w.Unit)
	e.str(w.Loc)
	e.int(int64(w.Seq))
	e.str(w.Zone)
	e.bool(w.Pos)
	e.int(w.X)
	e.int(w.Y)
	return e.b
}

func decodeWorkLast(v []byte) (workLast, error) {
	d, err := newWorkDec(v)
	if err != nil {
		return workLast{}, err
	}
	w := workLast{At: d.at(), Kind: WorkKind(d.str()), Unit: d.str(), Loc: d.str(), Seq: int(d.int()), Zone: d.str(), Pos: d.bool(), X: d.int(), Y: d.int()}
	return w, d.done()
}

// getWork reads one work value (ok false when absent).
func getWork[T any](tx *txn, bucket, key []byte, decode func([]byte) (T, error)) (T, bool, error) {
	b := tx.Bucket(bucket)
	rec, again := b.cached(key) // a replay's decoded record (overlay_work.go)
	norm, enc, typed := workCodec[T]()
	if r, ok := rec.(*workRec[T]); ok && typed {
		return norm(r.v), true, nil
	}
	v := b.Get(key)
	if v == nil {
		var zero T
		return zero, false, nil
	}
	out, err := decode(v)
	if err == nil && again && typed {
		b.keep(key, &workRec[T]{v: norm(out), enc: enc})
	}
	return out, err == nil, err
}
