package wms

import (
	"encoding/json"
	"reflect"
	"slices"
	"sync"
)

// Decoded master records, memoized by their stored bytes. A scan reads the
// same few SKUs, locations and lots, and every request its session or
// token and the person's staff record, as JSON: decoding them was about a
// twentieth of the server's CPU under load (README, "where a scan's time
// goes"). The memo is keyed by the record's bytes, not by its key, so it
// can never answer for a record that has changed since (a changed record
// is other bytes, decoded afresh), and it is right across transactions,
// ledgers and a rebuild alike. It hands out copies: a caller that changes
// what it got never changes what the memo holds.
//
// A target that is not the zero value is decoded by json.Unmarshal as
// before (Unmarshal merges into what is there; the memo would not).

// recMemoMax is the most records one type's memo holds; a full memo is
// emptied and fills again (a warehouse's hot SKUs and shelves come back
// at once).
const recMemoMax = 8192

type recMemo[T any] struct {
	mu    sync.RWMutex
	m     map[string]*T
	clone func(T) T // a copy that shares no slice or pointer with its source
}

var (
	memoSKUs      = &recMemo[SKU]{clone: func(s SKU) SKU { s.GTINs = slices.Clone(s.GTINs); return s }}
	memoLocations = &recMemo[Location]{clone: func(l Location) Location {
		l.XM, l.YM = clonePtr(l.XM), clonePtr(l.YM)
		return l
	}}
	memoLots     = &recMemo[Lot]{clone: func(l Lot) Lot { return l }}
	memoStaff    = &recMemo[Staff]{clone: func(s Staff) Staff { s.LockedUntil = clonePtr(s.LockedUntil); return s }}
	memoSessions = &recMemo[Session]{clone: func(s Session) Session { return s }}
	memoTokens   = &recMemo[Token]{clone: func(t Token) Token { return t }}
)

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	c := *p
	return &c
}

// memoDecode decodes raw into v through its type's memo; handled is false
// for a type without one, or a target that is not empty.
func memoDecode(raw []byte, v any) (handled bool, err error) {
	switch p := v.(type) {
	case *SKU:
		return memoInto(memoSKUs, raw, p)
	case *Location:
		return memoInto(memoLocations, raw, p)
	case *Lot:
		return memoInto(memoLots, raw, p)
	case *Staff:
		return memoInto(memoStaff, raw, p)
	case *Session:
		return memoInto(memoSessions, raw, p)
	case *Token:
		return memoInto(memoTokens, raw, p)
	}
	return false, nil
}

func memoInto[T any](m *recMemo[T], raw []byte, v *T) (bool, error) {
	if !reflect.ValueOf(v).Elem().IsZero() {
		return false, nil
	}
	m.mu.RLock()
	c, ok := m.m[string(raw)]
	m.mu.RUnlock()
	if ok {
		*v = m.clone(*c)
		return true, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return true, err // not kept: a damaged record is decoded (and refused) every time
	}
	kept := m.clone(*v)
	m.mu.Lock()
	if m.m == nil || len(m.m) >= recMemoMax {
		m.m = make(map[string]*T)
	}
	m.m[string(raw)] = &kept // string(raw) copies: raw is the file's memory, valid only in its transaction
	m.mu.Unlock()
	return true, nil
}
