package fakeerp

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"time"

	"tally/syncer/qimen"
)

// Limits of what the fake ERP keeps in memory.
const (
	// MaxConfirms is the most confirmations (by method and outBizCode) kept; beyond it
	// calls are answered failure "erp-full".
	MaxConfirms = 1_000_000
	// MaxOrders is the most orders (and entry and return orders) the ERP makes.
	MaxOrders = 100_000
	// maxCallLog and maxRequestLog bound the logs of calls sent and received.
	maxCallLog    = 10_000
	maxRequestLog = 10_000
	// minSecret is the shortest secret taken (the warehouse's upstream needs 16 bytes too).
	minSecret = 16
	maxSecret = 1024
	maxToken  = 512
)

// code is an app_key, customerId, ownerCode or warehouseCode: what ERPs issue.
var code = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,64}$`)

// Options configure a fake ERP.
type Options struct {
	// WMS is the URL the ERP calls (a warehouse's POST /qimen, or the hub's); empty: the ERP
	// only receives. It must not hold a query: the system parameters go there.
	WMS string
	// AppKey, CustomerID and Secret are the ERP's credentials: every call it sends names
	// them and is signed with Secret; every call it receives must be signed with Secret and
	// name the same customerId (and app_key, when given).
	AppKey, CustomerID, Secret string
	// OwnerCode is the ownerCode in every body it sends ("DEFAULT" when empty); a
	// confirmation naming another owner is refused.
	OwnerCode string
	// Warehouses are the warehouseCodes its orders are spread over (round robin); at least one.
	Warehouses []string
	// Token, when set, is the bearer token the admin API wants.
	Token string
	// Attempts is how many times a call that got no answer is sent (0: until it gets one
	// or the ERP stops); RetryWait is the first wait between attempts (default 1 s),
	// doubling up to 30 s.
	Attempts  int
	RetryWait time.Duration
	Client    *http.Client     // nil: one with a 30 s timeout
	Now       func() time.Time // its clock; nil for time.Now
}

// ERP is a fake ERP. Its methods are safe for concurrent use.
type ERP struct {
	o      Options
	wms    *url.URL
	client *http.Client
	faults *faultBook
	wake   chan struct{}
	stamp  string // the start of this run, in order codes: a restart never reuses one

	mu        sync.Mutex
	confirms  map[string]*confirmRecord // method NUL outBizCode → record
	confOrder []string                  // keys in arrival order
	recvStats map[string]*RecvStats     // method → counts
	requests  []Request
	orders    map[string]*Order
	ordOrder  []string
	nextDoc   int
	calls     []*Call // sent or to send, the last maxCallLog
	pending   []*Call
	nextCall  int
}

type confirmRecord struct {
	c    Confirmation
	hash [sha256.Size]byte
}

// RecvStats counts the calls of one method the ERP received.
type RecvStats struct {
	Accepted int `json:"accepted"` // new confirmations recorded
	Repeated int `json:"repeated"` // the same outBizCode and content again: success, counted once
	Conflict int `json:"conflict"` // the same outBizCode with other content: failure
	Refused  int `json:"refused"`  // any other failure (signature, XML, content, faults)
}

// Request is one call the ERP received, as it answered it.
type Request struct {
	At     time.Time `json:"at"` // by the ERP's own clock (no skew)
	Method string    `json:"method"`
	Flag   string    `json:"flag,omitempty"` // empty: no answer was sent (a fault)
	Code   string    `json:"code,omitempty"`
	Fault  string    `json:"fault,omitempty"`
}

// New checks the options and makes a fake ERP; it sends nothing until Run.
func New(o Options) (*ERP, error) {
	if !code.MatchString(o.AppKey) || !code.MatchString(o.CustomerID) {
		return nil, errors.New("fakeerp: app_key and customerId are 1 to 64 letters, digits or _.:-")
	}
	if len(o.Secret) < minSecret || len(o.Secret) > maxSecret {
		return nil, fmt.Errorf("fakeerp: the secret must be %d to %d bytes", minSecret, maxSecret)
	}
	if o.OwnerCode == "" {
		o.OwnerCode = "DEFAULT"
	}
	if !code.MatchString(o.OwnerCode) {
		return nil, errors.New("fakeerp: ownerCode is 1 to 64 letters, digits or _.:-")
	}
	if len(o.Warehouses) == 0 {
		return nil, errors.New("fakeerp: name at least one warehouseCode")
	}
	for _, w := range o.Warehouses {
		if !code.MatchString(w) {
			return nil, fmt.Errorf("fakeerp: warehouseCode %q is not 1 to 64 letters, digits or _.:-", clip(w))
		}
	}
	if len(o.Token) > maxToken {
		return nil, fmt.Errorf("fakeerp: the token is at most %d bytes", maxToken)
	}
	e := &ERP{o: o, faults: &faultBook{}, wake: make(chan struct{}, 1), confirms: map[string]*confirmRecord{},
		recvStats: map[string]*RecvStats{}, orders: map[string]*Order{}, client: o.Client}
	if o.WMS != "" {
		u, err := url.Parse(o.WMS)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("fakeerp: the WMS URL %q must be http(s)://host/path without a query", clip(o.WMS))
		}
		e.wms = u
	}
	if e.o.Now == nil {
		e.o.Now = time.Now
	}
	if e.o.RetryWait <= 0 {
		e.o.RetryWait = time.Second
	}
	if e.client == nil {
		e.client = &http.Client{Timeout: 30 * time.Second}
	}
	e.stamp = e.o.Now().In(qimen.China).Format("060102150405")
	return e, nil
}

// clock is the ERP's time for one call: its clock, moved by a skew fault.
func (e *ERP) clock() time.Time { return e.o.Now().Add(e.faults.skew()) }

// Handler serves POST /qimen (the WMS's calls), the admin API under /admin/ and the page at
// /; every other path is 404.
func (e *ERP) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /qimen", e.receive)
	e.adminRoutes(mux)
	mux.HandleFunc("GET /{$}", e.page)
	return mux
}

// answerXML writes a Qimen answer: always HTTP 200, the outcome in <flag>.
func answerXML(w http.ResponseWriter, resp qimen.Response) {
	b, err := qimen.Marshal(resp)
	if err != nil {
		http.Error(w, "encoding the answer", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	_, _ = w.Write(b)
}

// receive serves one WMS→ERP call, faults first.
func (e *ERP) receive(w http.ResponseWriter, r *http.Request) {
	method, _ := qimen.ShortMethod(r.URL.Query().Get("method"))
	rec := Request{At: e.o.Now().UTC(), Method: clip(method)}
	defer func() { e.logRequest(rec) }()
	f, hit := e.faults.take(method)
	if hit {
		rec.Fault = f.Kind
		switch f.Kind {
		case FaultDrop:
			e.refused(method)
			hangUp(w)
			return
		case FaultError:
			e.refused(method)
			http.Error(w, fmt.Sprintf("fakeerp: injected %d", f.Status), f.Status)
			return
		case FaultRateLimit:
			e.refused(method)
			w.Header().Set("Retry-After", strconv.Itoa(f.RetryAfterS))
			http.Error(w, "fakeerp: rate limited (fault injected)", http.StatusTooManyRequests)
			return
		case FaultSlow:
			t := time.NewTimer(time.Duration(f.DelayMS) * time.Millisecond)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				e.refused(method)
				return
			}
		case FaultLost:
			resp := e.serve(r)
			rec.Code = resp.Code
			answerXML(&heldWriter{header: http.Header{}}, resp)
			hangUp(w)
			return
		}
	}
	resp := e.serve(r)
	rec.Flag, rec.Code = string(resp.Flag), resp.Code
	answerXML(w, resp)
}

// serve checks and records one call; its answer says what happened.
func (e *ERP) serve(r *http.Request) qimen.Response {
	now := e.clock()
	params := r.URL.Query()
	method, _ := qimen.ShortMethod(params.Get("method"))
	fail := func(code, msg string) qimen.Response {
		e.refused(method)
		return qimen.Failure(code, msg)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, qimen.MaxBody+1))
	if err != nil {
		return fail("invalid-body", "reading the body: "+clip(err.Error()))
	}
	if len(body) > qimen.MaxBody {
		return fail("body-too-large", fmt.Sprintf("the body is over %d bytes", qimen.MaxBody))
	}
	cust, key := params.Get("customerId"), params.Get("app_key")
	if cust == "" && key == "" {
		return fail("unknown-customer", "the call names neither customerId nor app_key")
	}
	if cust != "" && subtle.ConstantTimeCompare([]byte(cust), []byte(e.o.CustomerID)) != 1 ||
		key != "" && subtle.ConstantTimeCompare([]byte(key), []byte(e.o.AppKey)) != 1 {
		return fail("unknown-customer", "customerId or app_key is not this ERP's")
	}
	if err := qimen.Verify(params, body, []string{e.o.Secret}, now); err != nil {
		if errors.Is(err, qimen.ErrMissingTimestamp) || errors.Is(err, qimen.ErrMalformedTimestamp) || errors.Is(err, qimen.ErrTimestampOutOfRange) {
			return fail("invalid-timestamp", err.Error())
		}
		return fail("sign-check-failure", err.Error())
	}
	if !slices.Contains(qimen.Outbound, method) {
		return fail("invalid-method", fmt.Sprintf("method %q is not one a WMS calls on an ERP", clip(params.Get("method"))))
	}
	if e.faults.poisoned(method, body) {
		return fail("poison", "the call matches an injected poison fault")
	}
	c, err := Parse(method, body)
	switch {
	case errors.Is(err, errContent):
		return fail("invalid-content", err.Error())
	case err != nil:
		return fail("invalid-xml", err.Error())
	}
	if c.OutBizCode == "" {
		return fail("invalid-content", "outBizCode is missing: every confirmation needs the key that makes a repeat harmless")
	}
	if c.OwnerCode != "" && c.OwnerCode != e.o.OwnerCode {
		return fail("invalid-owner", fmt.Sprintf("ownerCode %q is not this ERP's (%s)", clip(c.OwnerCode), e.o.OwnerCode))
	}
	if c.Warehouse == "" {
		return fail("invalid-content", "warehouseCode is missing")
	}
	if !slices.Contains(e.o.Warehouses, c.Warehouse) {
		return fail("invalid-warehouse", fmt.Sprintf("warehouseCode %q is not one of this ERP's warehouses", clip(c.Warehouse)))
	}
	return e.record(c, body, now)
}

func (e *ERP) refused(method string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.statsOf(method).Refused++
}

// statsOf is the counts of a method; a method the ERP does not know is counted as "other",
// so a caller cannot grow the map. The caller holds e.mu.
func (e *ERP) statsOf(method string) *RecvStats {
	if !slices.Contains(qimen.Outbound, method) {
		method = "other"
	}
	s := e.recvStats[method]
	if s == nil {
		s = &RecvStats{}
		e.recvStats[method] = s
	}
	return s
}

func (e *ERP) logRequest(r Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.requests) >= maxRequestLog {
		e.requests = slices.Delete(e.requests, 0, len(e.requests)-maxRequestLog+1)
	}
	e.requests = append(e.requests, r)
}

// record keeps a checked confirmation under its method and outBizCode — each item's for
// stockchange.report — and applies it to the ERP's orders. A key seen before with the same
// content is a repeat: success, counted once. One seen with other content is refused and
// nothing of the call is kept.
func (e *ERP) record(c Confirmation, body []byte, now time.Time) qimen.Response {
	type part struct {
		key  string
		c    Confirmation
		hash [sha256.Size]byte
	}
	var parts []part
	if c.Method == qimen.StockChangeReport {
		for _, l := range c.Lines {
			one := c
			one.OutBizCode, one.Lines = l.OutBizCode, []Line{l}
			j, err := json.Marshal(l)
			if err != nil {
				return qimen.Failure("internal", err.Error())
			}
			parts = append(parts, part{c.Method + "\x00" + l.OutBizCode, one, sha256.Sum256(append([]byte(c.Warehouse+"\x00"+c.OwnerCode+"\x00"), j...))})
		}
	} else {
		parts = append(parts, part{c.Method + "\x00" + c.OutBizCode, c, sha256.Sum256(body)})
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	st := e.statsOf(c.Method)
	fresh := 0
	for _, p := range parts {
		old, ok := e.confirms[p.key]
		if !ok {
			fresh++
			continue
		}
		if old.hash != p.hash {
			st.Conflict++
			return qimen.Failure("outbizcode-conflict", fmt.Sprintf("outBizCode %q of %s was confirmed before with other content", clip(p.c.OutBizCode), c.Method))
		}
	}
	if len(e.confirms)+fresh > MaxConfirms {
		st.Refused++
		return qimen.Failure("erp-full", fmt.Sprintf("the fake ERP keeps at most %d confirmations", MaxConfirms))
	}
	at := now.UTC()
	for _, p := range parts {
		if old, ok := e.confirms[p.key]; ok {
			old.c.Received++
			old.c.LastAt = at
			continue
		}
		p.c.Received, p.c.FirstAt, p.c.LastAt = 1, at, at
		e.confirms[p.key] = &confirmRecord{c: p.c, hash: p.hash}
		e.confOrder = append(e.confOrder, p.key)
		e.applyConfirm(p.c)
	}
	if fresh == 0 {
		st.Repeated++
	} else {
		st.Accepted++
	}
	return qimen.Success()
}

// Confirms lists the confirmations kept, in arrival order; method, when not empty, keeps
// one method's.
func (e *ERP) Confirms(method string) []Confirmation {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []Confirmation
	for _, k := range e.confOrder {
		c := e.confirms[k].c
		if method == "" || c.Method == method {
			c.Packages, c.Lines = slices.Clone(c.Packages), slices.Clone(c.Lines)
			out = append(out, c)
		}
	}
	return out
}

// Received is the counts of the calls received, per method.
func (e *ERP) Received() map[string]RecvStats {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := map[string]RecvStats{}
	for m, s := range e.recvStats {
		out[m] = *s
	}
	return out
}

// Requests lists the calls received, oldest first (the last 10,000).
func (e *ERP) Requests() []Request {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.requests)
}

// Run sends the queued calls, one at a time in order, until ctx is done.
func (e *ERP) Run(ctx context.Context) {
	for {
		c := e.nextPending()
		if c == nil {
			select {
			case <-ctx.Done():
				return
			case <-e.wake:
				continue
			}
		}
		e.deliver(ctx, c)
		if ctx.Err() != nil {
			return
		}
	}
}

func (e *ERP) nextPending() *Call {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.pending) == 0 {
		return nil
	}
	c := e.pending[0]
	e.pending = slices.Delete(e.pending, 0, 1)
	return c
}
