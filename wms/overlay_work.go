package wms

import (
	"maps"
	"time"
)

// People's work records (work.go) held decoded across a chunk, as orders
// and tasks are (overlay_typed.go): every event of a person reads and
// writes their last activity, their hour's figures and their unit of work,
// so within a chunk the same few records were decoded and encoded at
// every event. getWork answers from the decoded form the overlay holds,
// putWork keeps a copy as decoding its bytes would give it (normWork), and
// the bytes are made once when the overlay writes them to bbolt.

// workRec is a work record held decoded.
type workRec[T any] struct {
	v   T
	enc func(T) []byte
}

func (r *workRec[T]) encode() []byte { return r.enc(r.v) }

// size: the largest is an hour's figures, some 400 bytes, and a map of
// pairs of zones; a few of those a person
func (r *workRec[T]) size() int { return 512 }

// workCodec is the norm and the encoder of the work records held decoded
// (ok false for the others).
func workCodec[T any]() (norm func(T) T, enc func(T) []byte, ok bool) {
	var z T
	switch any(z).(type) {
	case HourWork:
		return any(normHourWork).(func(T) T), any(HourWork.encode).(func(T) []byte), true
	case WorkUnit:
		return any(normWorkUnit).(func(T) T), any(WorkUnit.encode).(func(T) []byte), true
	case workLast:
		return any(normWorkLast).(func(T) T), any(workLast.encode).(func(T) []byte), true
	}
	return nil, nil, false
}

// putWork puts v's bytes at key, held decoded during a replay.
func putWork[T interface{ encode() []byte }](b *bucket, key []byte, v T) error {
	if norm, enc, ok := workCodec[T](); ok && b.typed() && b.putRec(key, &workRec[T]{v: norm(v), enc: enc}) {
		return nil
	}
	return b.Put(key, v.encode())
}

// normWorkTime is t as the work codec reads it back (workDec.at).
func normWorkTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	n := t.UnixNano()
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// normFeatures is f as the work codec reads it back: its own map, nil when
// empty.
func normFeatures(f Features) Features {
	if len(f.ZonePairs) == 0 {
		f.ZonePairs = nil
	} else {
		f.ZonePairs = maps.Clone(f.ZonePairs)
	}
	return f
}

func normHourWork(h HourWork) HourWork {
	h.Features = normFeatures(h.Features)
	h.First, h.Last = normWorkTime(h.First), normWorkTime(h.Last)
	return h
}

func normWorkUnit(u WorkUnit) WorkUnit {
	u.Start, u.End = normWorkTime(u.Start), normWorkTime(u.End)
	u.Features = normFeatures(u.Features)
	if len(u.MisPicked) == 0 {
		u.MisPicked = nil
	} else {
		u.MisPicked = append([]int(nil), u.MisPicked...)
	}
	return u
}

func normWorkLast(w workLast) workLast {
	w.At = normWorkTime(w.At)
	return w
}
