package wms

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sync"
)

// A replay decodes the events of a chunk in a second goroutine, ahead of
// the goroutine that applies them (the machine has two cores; decoding is
// a quarter of a replay's time): the event as the log stores it
// (decodeStored) and its payload as the catalogue's type, twice — the value
// and a deep copy — since an event's payload is decoded by its applier and
// again by its work and figures (work.go, figures.go), and an applier may
// change the value it got. decode hands each prepared value out once
// (takeAhead); a third decode, or one into another type, decodes the JSON
// as before, so the results are the same bytes (Check proves it).
//
// The decoder reads only the raw events it is given (their bytes stay valid
// for the transaction: nothing is committed while it runs) and writes only
// the events it makes; replayChunk waits for it before it returns.

// aheadBatch is how many events the decoder hands over at a time, and
// aheadQueue how many batches it may be ahead: memory for at most
// (aheadQueue+2)·aheadBatch decoded events.
const (
	aheadBatch = 64
	aheadQueue = 4
)

// storedEvent is one event of the log as stored.
type storedEvent struct {
	seq uint64
	raw []byte
}

// decodedEvent is a storedEvent decoded, or the error decoding it gave.
type decodedEvent struct {
	seq uint64
	ev  Event
	err error
}

// decodeAhead decodes raws in a goroutine, in order, in batches sent on the
// returned channel (closed after the last). Closing stop makes it end early;
// wait returns when it has ended.
func decodeAhead(raws []storedEvent, stop <-chan struct{}) (out <-chan []decodedEvent, wait func()) {
	ch := make(chan []decodedEvent, aheadQueue)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(ch)
		for len(raws) > 0 {
			n := min(aheadBatch, len(raws))
			batch := make([]decodedEvent, n)
			for i := range batch {
				d := &batch[i]
				d.seq = raws[i].seq
				if err := decodeStored(raws[i].raw, &d.ev); err != nil {
					d.err = fmt.Errorf("event %d: %w", raws[i].seq, err)
					continue
				}
				prepareAhead(&d.ev)
			}
			raws = raws[n:]
			select {
			case ch <- batch:
			case <-stop:
				return
			}
		}
	}()
	return ch, wg.Wait
}

// prepareAhead decodes ev's payload as its catalogue type, leaving it for
// decode in ev.ahead (nothing when it does not decode: the applier's own
// decode then reports the error as it always has).
func prepareAhead(ev *Event) {
	spec, ok := specs[ev.Type]
	if !ok || spec.Payload == nil {
		return
	}
	t := reflect.TypeOf(spec.Payload)
	p := reflect.New(t)
	if json.Unmarshal(ev.Data, p.Interface()) != nil {
		return
	}
	ev.ahead = []any{p.Elem().Interface()}
	if aheadCopyable(t) {
		c := reflect.New(t).Elem()
		copyValue(c, p.Elem())
		ev.ahead = append(ev.ahead, c.Interface())
	}
}

// takeAhead sets *dst to a payload value prepared ahead of the same type,
// handing each out once.
func takeAhead(ev *Event, dst any) bool {
	for i, v := range ev.ahead {
		if v != nil && decodedInto(v, dst) {
			ev.ahead[i] = nil
			return true
		}
	}
	return false
}

var copyableTypes sync.Map // reflect.Type → bool

// aheadCopyable says whether deepCopy can copy values of t: it copies
// exported fields only (and time.Time whole).
func aheadCopyable(t reflect.Type) bool {
	if v, ok := copyableTypes.Load(t); ok {
		return v.(bool)
	}
	ok := copyableType(t, map[reflect.Type]bool{})
	copyableTypes.Store(t, ok)
	return ok
}

func copyableType(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return true
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice:
		return copyableType(t.Elem(), seen)
	case reflect.Array: // copyValue copies an array as a value
		return plain(t.Elem())
	case reflect.Map:
		return copyableType(t.Key(), seen) && copyableType(t.Elem(), seen)
	case reflect.Struct:
		if t == timeType {
			return true
		}
		for i := range t.NumField() {
			if f := t.Field(i); !f.IsExported() || !copyableType(f.Type, seen) {
				return false
			}
		}
		return true
	case reflect.Interface, reflect.Chan, reflect.Func, reflect.UnsafePointer:
		return false
	}
	return true
}
