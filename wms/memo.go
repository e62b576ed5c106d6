package wms

import (
	"bytes"
	"encoding/json"
	"reflect"
	"sync"
	"time"
)

// taskMemo remembers how the tasks in pickers' hands decode. A scan reads its
// task, changes it and writes it back; the next scan reads exactly those
// bytes again, and decoding a cluster task's JSON was half the cost of a
// pick. A hit needs the stored bytes to equal the remembered ones, so the
// memo only ever answers what decoding those bytes gives; it hands out deep
// copies, because appliers change what they read. Projections stay in bbolt:
// this is a cache of a pure function, not state.
var taskMemo = newDecodeMemo[Task](2048)

type decodeMemo[T any] struct {
	mu    sync.Mutex
	max   int
	clock uint64
	m     map[string]*memoEntry[T]
}

type memoEntry[T any] struct {
	raw  []byte
	v    T
	used uint64
}

func newDecodeMemo[T any](max int) *decodeMemo[T] {
	return &decodeMemo[T]{max: max, m: make(map[string]*memoEntry[T], max)}
}

// decode is json.Unmarshal(raw) into a fresh T, from the memo when it can.
func (d *decodeMemo[T]) decode(key string, raw []byte) (T, error) {
	d.mu.Lock()
	if e, ok := d.m[key]; ok && bytes.Equal(e.raw, raw) {
		d.clock++
		e.used = d.clock
		v := deepCopy(e.v)
		d.mu.Unlock()
		return v, nil
	}
	d.mu.Unlock()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, err
	}
	d.remember(key, raw, v)
	return v, nil
}

// remember records that raw decodes to v (v is copied; raw too, as bbolt's
// bytes are only valid inside the transaction).
func (d *decodeMemo[T]) remember(key string, raw []byte, v T) {
	e := &memoEntry[T]{raw: bytes.Clone(raw), v: deepCopy(v)}
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.m) >= d.max {
		d.evict()
	}
	d.clock++
	e.used = d.clock
	d.m[key] = e
}

// evict drops the least recently used quarter.
func (d *decodeMemo[T]) evict() {
	cut := d.clock - uint64(d.max)*3/4
	if d.clock < uint64(d.max) {
		cut = 0
	}
	for k, e := range d.m {
		if e.used <= cut {
			delete(d.m, k)
		}
	}
	if len(d.m) >= d.max { // all recent: start afresh
		clear(d.m)
	}
}

var timeType = reflect.TypeFor[time.Time]()

// deepCopy copies v so that the copy shares no slice, map or pointer with it.
// It follows the type, so a field added to Task later is copied too.
func deepCopy[T any](v T) T {
	var out T
	copyValue(reflect.ValueOf(&out).Elem(), reflect.ValueOf(&v).Elem())
	return out
}

func copyValue(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.Pointer:
		if !src.IsNil() {
			n := reflect.New(src.Type().Elem())
			copyValue(n.Elem(), src.Elem())
			dst.Set(n)
		}
	case reflect.Slice:
		if src.IsNil() {
			return
		}
		n := reflect.MakeSlice(src.Type(), src.Len(), src.Len())
		if plain(src.Type().Elem()) {
			reflect.Copy(n, src)
		} else {
			for i := range src.Len() {
				copyValue(n.Index(i), src.Index(i))
			}
		}
		dst.Set(n)
	case reflect.Map:
		if src.IsNil() {
			return
		}
		n := reflect.MakeMapWithSize(src.Type(), src.Len())
		for it := src.MapRange(); it.Next(); {
			val := reflect.New(src.Type().Elem()).Elem()
			copyValue(val, it.Value())
			n.SetMapIndex(it.Key(), val)
		}
		dst.Set(n)
	case reflect.Interface:
		if !src.IsNil() {
			val := reflect.New(src.Elem().Type()).Elem()
			copyValue(val, src.Elem())
			dst.Set(val)
		}
	case reflect.Struct:
		if src.Type() == timeType {
			dst.Set(src)
			return
		}
		for i := range src.NumField() {
			if !src.Type().Field(i).IsExported() {
				panic("wms: deepCopy of " + src.Type().String() + " with an unexported field") // decoded records have none
			}
			copyValue(dst.Field(i), src.Field(i))
		}
	default:
		dst.Set(src)
	}
}

// plain types hold no references that a change could reach through (strings
// are immutable).
func plain(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return true
	}
	return false
}
