package wms

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"
)

// decodeStored decodes an event as the log stores it (json.Marshal of an
// Event: its fields in order, "data" last) without encoding/json's
// reflection over the envelope, a fifth of a replay's time (its payload is
// still checked as json.Unmarshal checks it). Anything it does not expect — an escape in a string, a field it does
// not know, another order, a value of another kind — is left to
// json.Unmarshal, which decodes every event; so it only ever answers what
// json.Unmarshal would (TestDecodeStoredAgrees).
func decodeStored(raw []byte, ev *Event) error {
	if fastDecodeEvent(raw, ev) {
		return nil
	}
	*ev = Event{}
	return json.Unmarshal(raw, ev)
}

func fastDecodeEvent(raw []byte, ev *Event) bool {
	p := eventParser{b: raw}
	if !p.byte('{') {
		return false
	}
	for first := true; ; first = false {
		if !first && !p.byte(',') {
			return false
		}
		key, ok := p.str()
		if !ok || !p.byte(':') {
			return false
		}
		switch key {
		case "id":
			ev.ID, ok = p.str()
		case "seq":
			ev.Seq, ok = p.uint()
		case "epoch":
			ev.Epoch, ok = p.uint()
		case "type":
			ev.Type, ok = p.str()
		case "actor":
			ev.Actor, ok = p.str()
		case "device":
			ev.Device, ok = p.str()
		case "owner":
			ev.Owner, ok = p.str()
		case "at":
			var s string
			if s, ok = p.str(); ok {
				var err error
				ev.At, err = time.Parse(time.RFC3339Nano, s)
				ok = err == nil
			}
		case "data":
			// the last field: the rest but the closing brace, if that is
			// one JSON object or array (checked as json.Unmarshal checks it)
			rest := raw[p.i:]
			if len(rest) < 3 || rest[len(rest)-1] != '}' {
				return false
			}
			data := rest[:len(rest)-1]
			if last := data[len(data)-1]; (data[0] != '{' || last != '}') && (data[0] != '[' || last != ']') || !json.Valid(data) {
				return false
			}
			ev.Data = bytes.Clone(data)
			return true
		default:
			return false
		}
		if !ok {
			return false
		}
	}
}

type eventParser struct {
	b []byte
	i int
}

func (p *eventParser) byte(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// str reads a string without escapes (one with any is not for the fast path).
func (p *eventParser) str() (string, bool) {
	if !p.byte('"') {
		return "", false
	}
	end := bytes.IndexByte(p.b[p.i:], '"')
	if end < 0 {
		return "", false
	}
	s := p.b[p.i : p.i+end]
	for _, c := range s {
		if c == '\\' || c < 0x20 {
			return "", false
		}
	}
	p.i += end + 1
	return string(s), true
}

func (p *eventParser) uint() (uint64, bool) {
	start := p.i
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
	}
	if p.i == start || p.i-start > 1 && p.b[start] == '0' {
		return 0, false
	}
	n, err := strconv.ParseUint(string(p.b[start:p.i]), 10, 64)
	return n, err == nil
}
