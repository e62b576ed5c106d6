package fakeerp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"tally/syncer/qimen"
)

// Fault kinds: the fake OMS's, for Qimen.
const (
	FaultDrop      = "drop"      // the connection is closed before anything is read or recorded
	FaultError     = "error"     // an HTTP 500, 502 or 503, nothing recorded
	FaultSlow      = "slow"      // the answer waits DelayMS, then the call is served
	FaultLost      = "lost"      // the call is served (recorded), then the connection closed unanswered
	FaultRateLimit = "ratelimit" // HTTP 429 with Retry-After, nothing recorded
	FaultSkew      = "skew"      // the ERP's clock is off by SkewS: the timestamps it signs and its 10-minute window
	FaultPoison    = "poison"    // calls whose body holds Match are answered failure "poison", nothing recorded
)

// FaultKinds lists every kind.
var FaultKinds = []string{FaultDrop, FaultError, FaultSlow, FaultLost, FaultRateLimit, FaultSkew, FaultPoison}

// Limits of the fault API.
const (
	maxFaults     = 100
	maxFaultBody  = 64 << 10
	maxMatch      = 1024
	maxDelayMS    = 120_000
	maxRetryAfter = 3600
	maxSkewS      = 7 * 24 * 3600
	maxCount      = 1_000_000
)

// Fault is one injected fault. Method limits it to calls of one WMS→ERP method (short form;
// empty: every call). Count is how many calls it hits (0: until cleared); Left is how many
// it has still to hit. A skew fault's hits are the calls the ERP receives and sends while it
// is active.
type Fault struct {
	ID          int    `json:"id"`
	Kind        string `json:"kind"`
	Count       int    `json:"count"`
	Left        int    `json:"left"`
	Method      string `json:"method,omitempty"`
	Status      int    `json:"status,omitempty"`
	DelayMS     int    `json:"delay_ms,omitempty"`
	RetryAfterS int    `json:"retry_after_s,omitempty"`
	SkewS       int    `json:"skew_s,omitempty"`
	Match       string `json:"match,omitempty"`
}

// DecodeFaults decodes the body of POST /admin/faults: one fault object or a list of 1 to
// 100, each with exactly the fields its kind uses, within limits.
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
		Method      string  `json:"method"`
		Status      *int    `json:"status"`
		DelayMS     *int    `json:"delay_ms"`
		RetryAfterS *int    `json:"retry_after_s"`
		SkewS       *int    `json:"skew_s"`
		Match       *string `json:"match"`
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
	if in.Method != "" && !slices.Contains(qimen.Outbound, in.Method) {
		return Fault{}, fmt.Errorf("method %q is not a WMS→ERP method %v (or empty: all)", clip(in.Method), qimen.Outbound)
	}
	if in.Kind == FaultSkew && in.Method != "" {
		return Fault{}, errors.New("a skew fault moves the ERP's clock for every call: it takes no method")
	}
	f := Fault{Kind: in.Kind, Count: in.Count, Left: in.Count, Method: in.Method}
	given := map[string]bool{"status": in.Status != nil, "delay_ms": in.DelayMS != nil, "retry_after_s": in.RetryAfterS != nil,
		"skew_s": in.SkewS != nil, "match": in.Match != nil}
	uses := map[string][]string{FaultError: {"status"}, FaultSlow: {"delay_ms"}, FaultRateLimit: {"retry_after_s"},
		FaultSkew: {"skew_s"}, FaultPoison: {"match"}}[in.Kind]
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
		if *in.Match == "" || len(*in.Match) > maxMatch {
			return Fault{}, fmt.Errorf("match is 1 to %d bytes", maxMatch)
		}
		f.Match = *in.Match
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

// take returns the first active fault that hits a received call of method, counting the
// hit; skew and poison faults are not taken here.
func (b *faultBook) take(method string) (Fault, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, f := range b.faults {
		if f.Kind == FaultSkew || f.Kind == FaultPoison || (f.Method != "" && f.Method != method) {
			continue
		}
		b.hit(i)
		return f, true
	}
	return Fault{}, false
}

// poisoned says whether a poison fault matches a call's body, counting the hit.
func (b *faultBook) poisoned(method string, body []byte) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, f := range b.faults {
		if f.Kind == FaultPoison && (f.Method == "" || f.Method == method) && bytes.Contains(body, []byte(f.Match)) {
			b.hit(i)
			return true
		}
	}
	return false
}

// skew is the offset of the ERP's clock for one call: the first active skew fault's, whose
// hit it counts.
func (b *faultBook) skew() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, f := range b.faults {
		if f.Kind == FaultSkew {
			b.hit(i)
			return time.Duration(f.SkewS) * time.Second
		}
	}
	return 0
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

// heldWriter keeps an answer that will never be sent (a lost fault).
type heldWriter struct{ header http.Header }

func (w *heldWriter) Header() http.Header         { return w.header }
func (w *heldWriter) WriteHeader(int)             {}
func (w *heldWriter) Write(b []byte) (int, error) { return len(b), nil }

// hangUp closes the request's connection without an answer, as a reset.
func hangUp(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // no connection to take over (HTTP/2): reset the stream
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}
