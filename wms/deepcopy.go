package wms

import (
	"reflect"
	"sync"
	"time"
)

// deepCopy is for memos of decoded records (the replay's, replay.go): a
// memo hands out copies, so a caller that changes what it got never
// changes what the memo holds.

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
		if plain(src.Type().Elem()) || flat(src.Type().Elem()) {
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
		if src.Type() == timeType || flat(src.Type()) {
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

var flatTypes sync.Map // reflect.Type → bool

// flat says whether a struct's value is copied whole by assignment: its
// fields, every one exported, are plain, instants or flat structs (a
// struct with an unexported field is not, so deepCopy still refuses it).
func flat(t reflect.Type) bool {
	if t.Kind() != reflect.Struct {
		return false
	}
	if v, ok := flatTypes.Load(t); ok {
		return v.(bool)
	}
	ok := true
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() || !(plain(f.Type) || f.Type == timeType || flat(f.Type)) {
			ok = false
			break
		}
	}
	flatTypes.Store(t, ok)
	return ok
}
