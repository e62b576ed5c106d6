package wms

import (
	"encoding/binary"
	"time"
)

// The hot projections of the scan path (orders and tasks) are stored in a
// compact binary form rather than JSON: decoding and re-encoding an order's
// and a cluster task's JSON on every pick was most of a scan's CPU. Each
// value starts with its version byte; the fields follow in a fixed order, so
// the bytes are the same every time (a rebuild still gives the same bytes,
// and `tally check` compares them). Integers are varints, strings and lists
// are length-prefixed, an instant is Unix seconds and nanoseconds (years up
// to 9999, where Unix nanoseconds stop at 2262), always read back in UTC.
// The API's JSON answers are made from the decoded records, as before.

// projEnc writes a projection value.
type projEnc struct{ workEnc }

func newProjEnc(version byte, size int) *projEnc {
	e := &projEnc{}
	e.b = make([]byte, 1, size)
	e.b[0] = version
	return e
}

func (e *projEnc) n(v int) { e.int(int64(v)) }

func (e *projEnc) when(t time.Time) {
	e.int(t.Unix())
	e.int(int64(t.Nanosecond()))
}

// whenPtr writes an optional instant: a flag, then the instant.
func (e *projEnc) whenPtr(t *time.Time) {
	e.bool(t != nil)
	if t != nil {
		e.when(*t)
	}
}

func (e *projEnc) strs(ss []string) {
	e.n(len(ss))
	for _, s := range ss {
		e.str(s)
	}
}

// projDec reads a projection value; a value that does not read is marked bad
// and everything after reads as zero.
type projDec struct{ workDec }

func newProjDec(version byte, v []byte) (*projDec, bool) {
	if len(v) == 0 || v[0] != version {
		return nil, false
	}
	return &projDec{workDec{b: v[1:]}}, true
}

func (d *projDec) fail() { d.bad, d.b = true, nil }

func (d *projDec) n() int { return int(d.int()) }

// count reads a list's length: every element takes at least one byte, so a
// length beyond the bytes left is damage, not a reason to allocate.
func (d *projDec) count() int {
	v, k := binary.Varint(d.b)
	if k <= 0 || v < 0 || v > int64(len(d.b)-k) {
		d.fail()
		return 0
	}
	d.b = d.b[k:]
	return int(v)
}

func (d *projDec) when() time.Time {
	s, ns := d.int(), d.int()
	if ns < 0 || ns >= 1e9 {
		d.fail()
		return time.Time{}
	}
	return time.Unix(s, ns).UTC()
}

func (d *projDec) whenPtr() *time.Time {
	if !d.bool() {
		return nil
	}
	t := d.when()
	return &t
}

func (d *projDec) strs() []string {
	n := d.count()
	if n == 0 {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = d.str()
	}
	return out
}

// end reports a value that did not read, or read with bytes left over.
func (d *projDec) end(what string) error {
	if d.bad || len(d.b) != 0 {
		return Errf(CodeInternal, "event.payload_invalid", "type", what)
	}
	return nil
}
