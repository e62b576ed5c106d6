package fakeoms

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Fault kinds.
const (
	FaultDrop      = "drop"      // the connection is closed before anything is read or stored
	FaultError     = "error"     // an error status (500, 502 or 503), nothing stored
	FaultSlow      = "slow"      // the answer waits DelayMS, then the request is served
	FaultLost      = "lost"      // the request is served (a batch stored), then the connection closed unanswered
	FaultRateLimit = "ratelimit" // 429 with Retry-After, nothing stored
	FaultSkew      = "skew"      // the OMS's clock moves by SkewS: its Date header and signature window
	FaultPoison    = "poison"    // pushed events whose raw JSON holds Match are refused
)

// FaultKinds lists every kind.
var FaultKinds = []string{FaultDrop, FaultError, FaultSlow, FaultLost, FaultRateLimit, FaultSkew, FaultPoison}

// Paths a fault may be limited to.
var faultPaths = []string{"", "events", "changes", "stock"}

// Limits of the fault API.
const (
	maxFaults     = 100
	maxFaultBody  = 64 << 10
	maxMatch      = 1024
	maxDelayMS    = 120_000
	maxRetryAfter = 3600
	maxSkewS      = 7 * 24 * 3600
	maxCount      = 1_000_000
	maxRequestLog = 10_000
)

// Fault is one injected fault. Count is how many protocol requests it hits (0: until cleared);
// Left is how many it has still to hit (0 with Count 0: no end).
type Fault struct {
	ID          int    `json:"id"`
	Kind        string `json:"kind"`
	Count       int    `json:"count"`
	Left        int    `json:"left"`
	Path        string `json:"path,omitempty"`
	Status      int    `json:"status,omitempty"`
	DelayMS     int    `json:"delay_ms,omitempty"`
	RetryAfterS int    `json:"retry_after_s,omitempty"`
	SkewS       int    `json:"skew_s,omitempty"`
	Match       string `json:"match,omitempty"`
	Mode        string `json:"mode,omitempty"`
}

// DecodeFaults decodes the body of POST /admin/faults: one fault object or a list of 1 to
// 100. Each must name a known kind and path and give exactly the fields its kind uses, within
// limits; fields it does not know are refused.
func DecodeFaults(body []byte) ([]Fault, error) {
	if len(body) > maxFaultBody {
		return nil, fmt.Errorf("the body is over %d bytes", maxFaultBody)
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, errors.New("the body is empty: send a fault object or a list of them")
	}
	var raws []json.RawMessage
	if body[0] == '[' {
		if err := json.Unmarshal(body, &raws); err != nil {
			return nil, fmt.Errorf("the body is not a list of faults: %s", clip(err.Error()))
		}
		if len(raws) == 0 || len(raws) > maxFaults {
			return nil, fmt.Errorf("a list holds 1 to %d faults, this one %d", maxFaults, len(raws))
		}
	} else {
		raws = []json.RawMessage{body}
	}
	out := make([]Fault, 0, len(raws))
	for i, raw := range raws {
		f, err := decodeFault(raw)
		if err != nil {
			return nil, fmt.Errorf("fault %d: %w", i, err)
		}
		out = append(out, f)
	}
	return out, nil
}

func decodeFault(raw json.RawMessage) (Fault, error) {
	var in struct {
		Kind        string  `json:"kind"`
		Count       int     `json:"count"`
		Path        string  `json:"path"`
		Status      *int    `json:"status"`
		DelayMS     *int    `json:"delay_ms"`
		RetryAfterS *int    `json:"retry_after_s"`
		SkewS       *int    `json:"skew_s"`
		Match       *string `json:"match"`
		Mode        *string `json:"mode"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return Fault{}, fmt.Errorf("not a fault object: %s", clip(err.Error()))
	}
	if dec.More() {
		return Fault{}, errors.New("more than one JSON value")
	}
	if !slices.Contains(FaultKinds, in.Kind) {
		return Fault{}, fmt.Errorf("kind %q is not one of %v", clip(in.Kind), FaultKinds)
	}
	if in.Count < 0 || in.Count > maxCount {
		return Fault{}, fmt.Errorf("count is 0 (until cleared) to %d", maxCount)
	}
	if !slices.Contains(faultPaths, in.Path) {
		return Fault{}, fmt.Errorf("path %q is not events, changes, stock or empty (all)", clip(in.Path))
	}
	f := Fault{Kind: in.Kind, Count: in.Count, Left: in.Count, Path: in.Path}
	given := map[string]bool{"status": in.Status != nil, "delay_ms": in.DelayMS != nil, "retry_after_s": in.RetryAfterS != nil,
		"skew_s": in.SkewS != nil, "match": in.Match != nil, "mode": in.Mode != nil}
	uses := map[string][]string{FaultError: {"status"}, FaultSlow: {"delay_ms"}, FaultRateLimit: {"retry_after_s"},
		FaultSkew: {"skew_s"}, FaultPoison: {"match", "mode"}}[in.Kind]
	for field, ok := range given {
		if ok && !slices.Contains(uses, field) {
			return Fault{}, fmt.Errorf("a %s fault takes no %s", in.Kind, field)
		}
	}
	for _, field := range uses {
		if !given[field] {
			return Fault{}, fmt.Errorf("a %s fault needs %s", in.Kind, field)
		}
	}
	switch in.Kind {
	case FaultError:
		if s := *in.Status; s != 500 && s != 502 && s != 503 {
			return Fault{}, errors.New("status is 500, 502 or 503")
		}
		f.Status = *in.Status
	case FaultSlow:
		if *in.DelayMS < 1 || *in.DelayMS > maxDelayMS {
			return Fault{}, fmt.Errorf("delay_ms is 1 to %d", maxDelayMS)
		}
		f.DelayMS = *in.DelayMS
	case FaultRateLimit:
		if *in.RetryAfterS < 1 || *in.RetryAfterS > maxRetryAfter {
			return Fault{}, fmt.Errorf("retry_after_s is 1 to %d", maxRetryAfter)
		}
		f.RetryAfterS = *in.RetryAfterS
	case FaultSkew:
		if *in.SkewS == 0 || *in.SkewS > maxSkewS || *in.SkewS < -maxSkewS {
			return Fault{}, fmt.Errorf("skew_s is -%d to %d, not 0", maxSkewS, maxSkewS)
		}
		f.SkewS = *in.SkewS
	case FaultPoison:
		if in.Path != "" && in.Path != "events" {
			return Fault{}, errors.New("a poison fault is about pushed events: path is events or empty")
		}
		if *in.Match == "" || len(*in.Match) > maxMatch {
			return Fault{}, fmt.Errorf("match is 1 to %d bytes", maxMatch)
		}
		if *in.Mode != "reject" && *in.Mode != "batch" {
			return Fault{}, errors.New("mode is reject (the event is rejected) or batch (the whole batch is 422)")
		}
		f.Path, f.Match, f.Mode = "events", *in.Match, *in.Mode
	}
	return f, nil
}

// faultBook holds the active faults, in memory.
type faultBook struct {
	mu     sync.Mutex
	faults []Fault
	lastID int
}

func (b *faultBook) add(fs []Fault) ([]Fault, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.faults)+len(fs) > maxFaults {
		return nil, fmt.Errorf("at most %d faults at once; %d are active", maxFaults, len(b.faults))
	}
	for i := range fs {
		b.lastID++
		fs[i].ID = b.lastID
		b.faults = append(b.faults, fs[i])
	}
	return slices.Clone(b.faults), nil
}

func (b *faultBook) list() []Fault {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.faults)
}

func (b *faultBook) clear() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.faults = nil
}

// take returns the first active fault other than poison for a request to path, counting the
// hit.
func (b *faultBook) take(path string) (Fault, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, f := range b.faults {
		if f.Kind == FaultPoison || (f.Path != "" && f.Path != path) {
			continue
		}
		b.hit(i)
		return f, true
	}
	return Fault{}, false
}

// hit counts one hit of fault i and retires it when it has none left.
func (b *faultBook) hit(i int) {
	if b.faults[i].Count == 0 {
		return
	}
	b.faults[i].Left--
	if b.faults[i].Left <= 0 {
		b.faults = slices.Delete(b.faults, i, i+1)
	}
}

// poison marks the events a poison fault matches. A "batch" fault that matches says so (the
// caller answers 422); a "reject" fault rejects the matching events. A poison fault's count
// goes down only on a request it matched.
func (o *OMS) poison(events []Event, body []byte) (batch bool) {
	b := o.faults
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := 0; i < len(b.faults); i++ {
		f := b.faults[i]
		if f.Kind != FaultPoison || !bytes.Contains(body, []byte(f.Match)) {
			continue
		}
		matched := false
		for j := range events {
			if bytes.Contains(events[j].raw, []byte(f.Match)) {
				matched = true
				if f.Mode == "reject" {
					events[j].Code, events[j].Reason = "poison", "fakeoms: the event matches an injected poison fault"
				}
			}
		}
		if !matched {
			continue
		}
		before := len(b.faults)
		b.hit(i)
		if len(b.faults) < before {
			i--
		}
		if f.Mode == "batch" {
			return true
		}
	}
	return false
}

// Request is one protocol request as the OMS saw it.
type Request struct {
	At     time.Time `json:"at"` // when it arrived, by the OMS's own clock (no skew)
	Method string    `json:"method"`
	Path   string    `json:"path"` // the request target, query included
	Status int       `json:"status"`
	Fault  string    `json:"fault,omitempty"` // the kind of fault that hit it
}

// requestLog keeps the last maxRequestLog protocol requests.
type requestLog struct {
	mu   sync.Mutex
	reqs []Request
}

func (l *requestLog) add(r Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.reqs) >= maxRequestLog {
		l.reqs = slices.Delete(l.reqs, 0, len(l.reqs)-maxRequestLog+1)
	}
	l.reqs = append(l.reqs, r)
}

func (l *requestLog) list() []Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.reqs)
}

// Requests lists the protocol requests seen, oldest first (the last 10,000).
func (o *OMS) Requests() []Request { return o.log.list() }

type skewKey struct{}

// clock is the OMS's time for a request: its clock, shifted by a skew fault.
func (o *OMS) clock(r *http.Request) time.Time {
	now := o.now()
	if d, ok := r.Context().Value(skewKey{}).(time.Duration); ok {
		now = now.Add(d)
	}
	return now
}

// statusWriter remembers the status written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(s int) {
	if w.status == 0 {
		w.status = s
	}
	w.ResponseWriter.WriteHeader(s)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// heldWriter keeps an answer that will never be sent (a lost fault).
type heldWriter struct {
	header http.Header
	status int
}

func (w *heldWriter) Header() http.Header { return w.header }
func (w *heldWriter) WriteHeader(s int) {
	if w.status == 0 {
		w.status = s
	}
}
func (w *heldWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return len(b), nil
}

// protocol wraps a protocol endpoint: it applies the first fault that hits the request and
// records the request.
func (o *OMS) protocol(path string, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := Request{At: o.now().UTC(), Method: r.Method, Path: r.URL.RequestURI()}
		if len(rec.Path) > 512 {
			rec.Path = clip(rec.Path)
		}
		f, hit := o.faults.take(path)
		if hit {
			rec.Fault = f.Kind
		}
		logged := false
		defer func() {
			if !logged {
				o.log.add(rec)
			}
		}()
		// a connection closed without an answer is logged first: the caller
		// may look at the log the moment it sees the connection go
		hangUpLogged := func() {
			o.log.add(rec)
			logged = true
			hangUp(w)
		}
		switch {
		case !hit:
		case f.Kind == FaultDrop:
			hangUpLogged()
			return
		case f.Kind == FaultError:
			w.Header().Set("Date", o.clock(r).UTC().Format(http.TimeFormat))
			answer(w, f.Status, apiError{Error: fmt.Sprintf("fakeoms: injected %d", f.Status), Code: "fault.error"})
			rec.Status = f.Status
			return
		case f.Kind == FaultRateLimit:
			w.Header().Set("Date", o.clock(r).UTC().Format(http.TimeFormat))
			w.Header().Set("Retry-After", strconv.Itoa(f.RetryAfterS))
			answer(w, http.StatusTooManyRequests, apiError{Error: "fakeoms: rate limited (fault injected)", Code: "rate.limited"})
			rec.Status = http.StatusTooManyRequests
			return
		case f.Kind == FaultSlow:
			t := time.NewTimer(time.Duration(f.DelayMS) * time.Millisecond)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return // the caller gave up; nothing was read or stored
			}
		case f.Kind == FaultSkew:
			r = r.WithContext(context.WithValue(r.Context(), skewKey{}, time.Duration(f.SkewS)*time.Second))
		case f.Kind == FaultLost:
			held := &heldWriter{header: http.Header{}}
			h(held, r)
			rec.Status = held.status
			hangUpLogged()
			return
		}
		sw := &statusWriter{ResponseWriter: w}
		h(sw, r)
		rec.Status = sw.status
	})
}

// hangUp closes the request's connection without an answer.
func hangUp(w http.ResponseWriter) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// no connection to take over (HTTP/2): abort the answer, which resets the stream
		panic(http.ErrAbortHandler)
	}
	closeHijacked(conn, buf)
}

func closeHijacked(conn net.Conn, _ *bufio.ReadWriter) {
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // a reset, as when a link drops, rather than an orderly close
	}
	_ = conn.Close()
}
