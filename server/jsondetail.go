package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"
)

// jsonDetail is the decoder's complaint about raw, the body decoded into v,
// naming the field where the decoder did not. A time that does not parse
// fails inside time.Time, whose error names the value at most, so an
// integrator could not tell ship_by from another field: the field is
// named when exactly one of v's time fields holds what failed (a value,
// or something other than a string), else the value alone.
func jsonDetail(err error, raw []byte, v any) string {
	var pe *time.ParseError
	parse := errors.As(err, &pe)
	notString := !parse && strings.HasPrefix(err.Error(), "Time.UnmarshalJSON:")
	if !parse && !notString {
		return err.Error()
	}
	var what string
	switch {
	case notString:
		what = `is not a time: write it as a string in RFC 3339, like "2026-11-11T18:00:00+08:00"`
	case pe.Message != "": // the right form, a day or hour out of range
		what = fmt.Sprintf("%q is not a valid time%s", pe.Value, pe.Message)
	default:
		what = fmt.Sprintf("%q is not a time: write it as RFC 3339, like 2026-11-11T18:00:00+08:00", pe.Value)
	}
	var fields map[string]json.RawMessage
	_ = json.Unmarshal(raw, &fields) // none to name the field from when it does not read
	var named []string
	for _, name := range timeFields(reflect.TypeOf(v)) {
		val := bytes.TrimSpace(fields[name])
		if len(val) == 0 || string(val) == "null" {
			continue
		}
		isString := val[0] == '"'
		if (notString && !isString) || (parse && isString && string(val[1:len(val)-1]) == pe.Value) {
			named = append(named, name)
		}
	}
	if len(named) == 1 {
		return "field " + named[0] + ": " + what
	}
	return what
}

// timeFields are the JSON names of t's time fields (time.Time or a pointer
// to one), t being a struct or a pointer to one; embedded structs' too.
func timeFields(t reflect.Type) []string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	timeType := reflect.TypeFor[time.Time]()
	var out []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch {
		case ft == timeType:
			if name == "" {
				name = f.Name
			}
			out = append(out, name)
		case f.Anonymous && name == "":
			out = append(out, timeFields(f.Type)...)
		}
	}
	return out
}
