package syncer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"tally/wms"
)

// The tests run the engine against a small OMS in the test that speaks the
// protocol (docs/sync.md) and verifies every signature with Verify; each
// test shapes its answers with hooks.

const (
	testToken  = "tok-warehouse-0123456789"
	testSecret = "whsec-engine-test-0123456789abcdef"
	testBase   = "/tally/v1"
)

var bg = context.Background()

// request is one request the test OMS saw.
type request struct {
	at     time.Time
	method string
	path   string
	query  string
	ids    []string // a push's event IDs
}

// testOMS keeps pushed events by ID, serves pages of changes and stock.
type testOMS struct {
	t   testing.TB
	srv *httptest.Server

	mu   sync.Mutex
	skew time.Duration // its clock minus the real one
	reqs []request
	got  map[string]json.RawMessage // accepted events by ID
	seen []string                   // every accepted ID in order
	// push, when set, answers a push instead of the default (accept new
	// IDs, duplicate seen ones); handled says it did.
	push func(w http.ResponseWriter, ids []string, events []json.RawMessage) (handled bool)
	// reject: IDs answered rejected by the default push
	reject map[string]bool
	// pages by the after parameter; stock by owner
	pages map[string]string
	stock map[string]string
}

func newOMS(t testing.TB) *testOMS {
	o := &testOMS{t: t, got: map[string]json.RawMessage{}, reject: map[string]bool{}, pages: map[string]string{}, stock: map[string]string{}}
	o.srv = httptest.NewServer(o)
	t.Cleanup(o.srv.Close)
	return o
}

func (o *testOMS) url() string { return o.srv.URL + testBase }

func (o *testOMS) now() time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	return time.Now().Add(o.skew)
}

func reply(w http.ResponseWriter, status int, v any) {
	raw, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(raw)
}

func (o *testOMS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := ReadBody(r.Body)
	if err != nil {
		reply(w, 413, errorBody{Error: err.Error(), Code: "body.too_large"})
		return
	}
	now := o.now()
	w.Header().Set("Date", now.UTC().Format(http.TimeFormat))
	rq := request{at: time.Now(), method: r.Method, path: r.URL.Path, query: r.URL.RawQuery}
	var events []json.RawMessage
	if r.Method == http.MethodPost {
		var b struct {
			Events []json.RawMessage `json:"events"`
		}
		if err := json.Unmarshal(body, &b); err != nil {
			o.t.Errorf("a push that is not a batch: %v", err)
		}
		events = b.Events
		for _, e := range events {
			var head struct{ ID string }
			_ = json.Unmarshal(e, &head)
			rq.ids = append(rq.ids, head.ID)
		}
	}
	o.mu.Lock()
	o.reqs = append(o.reqs, rq)
	o.mu.Unlock()
	if tok, err := Token(r); err != nil || tok != testToken {
		reply(w, 401, errorBody{Error: "unknown token", Code: "auth.token"})
		return
	}
	if err := Verify(r, body, []byte(testSecret), now, DefaultSkew); err != nil {
		code := "signature.mismatch"
		if errors.Is(err, ErrTimestampOutOfRange) {
			code = "signature.timestamp"
		}
		reply(w, 401, errorBody{Error: err.Error(), Code: code})
		return
	}
	switch r.URL.Path {
	case testBase + "/events":
		o.mu.Lock()
		hook := o.push
		o.mu.Unlock()
		if hook != nil && hook(w, rq.ids, events) {
			return
		}
		reply(w, 200, map[string]any{"results": o.accept(rq.ids, events)})
	case testBase + "/changes":
		o.mu.Lock()
		page, ok := o.pages[r.URL.Query().Get("after")]
		o.mu.Unlock()
		if !ok {
			page = fmt.Sprintf(`{"changes":[],"next":%q,"more":false}`, r.URL.Query().Get("after"))
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(page))
	case testBase + "/stock":
		o.mu.Lock()
		s, ok := o.stock[r.URL.Query().Get("owner")]
		o.mu.Unlock()
		if !ok {
			reply(w, 404, errorBody{Error: "no stock for this owner", Code: "owner.unknown"})
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(s))
	default:
		reply(w, 404, errorBody{Error: "no such endpoint", Code: "not_found"})
	}
}

// accept is the default push answer: accepted once, duplicate after.
func (o *testOMS) accept(ids []string, events []json.RawMessage) []pushResult {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []pushResult
	for i, id := range ids {
		switch {
		case o.reject[id]:
			out = append(out, pushResult{ID: id, Status: "rejected", Code: "sku.unknown", Reason: "not in the OMS catalogue"})
		case o.got[id] != nil:
			out = append(out, pushResult{ID: id, Status: "duplicate"})
		default:
			o.got[id] = events[i]
			o.seen = append(o.seen, id)
			out = append(out, pushResult{ID: id, Status: "accepted"})
		}
	}
	return out
}

func (o *testOMS) requests() []request {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]request(nil), o.reqs...)
}

func (o *testOMS) accepted() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.seen...)
}

// rig is a demo warehouse, its upstreams and a syncer.
type rig struct {
	t *testing.T
	l *wms.Ledger
	s *Syncer
}

func newRig(t *testing.T, o Options) *rig {
	t.Helper()
	l, err := wms.Open(t.TempDir(), wms.Options{Zone: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	if _, err := l.SeedDemo(bg); err != nil {
		t.Fatal(err)
	}
	if o.PollEvery == 0 {
		o.PollEvery = 50 * time.Millisecond
	}
	if o.BackoffBase == 0 {
		o.BackoffBase = 10 * time.Millisecond
	}
	if o.BackoffMax == 0 {
		o.BackoffMax = 200 * time.Millisecond
	}
	if o.Gather == 0 {
		o.Gather = 10 * time.Millisecond
	}
	if o.ReconcileEvery == 0 {
		o.ReconcileEvery = time.Hour
	}
	return &rig{t: t, l: l, s: New(l, o)}
}

func (r *rig) upstream(name, url, owner string) wms.Upstream {
	r.t.Helper()
	u, err := r.l.SaveUpstream(bg, "", wms.Upstream{Name: name, Dialect: wms.DialectTally, URL: url, Token: testToken,
		Secret: testSecret, Owner: owner}, "B9001", "test")
	if err != nil {
		r.t.Fatal(err)
	}
	return u
}

// link is an upstream's link driven by the test, step by step.
func (r *rig) link(name string) *link {
	r.t.Helper()
	u, err := r.l.UpstreamNamed(name)
	if err != nil {
		r.t.Fatal(err)
	}
	k := newLink(r.s, u, func() {})
	if err := k.load(); err != nil {
		r.t.Fatal(err)
	}
	if err := k.count(u); err != nil {
		r.t.Fatal(err)
	}
	return k
}

// run runs the syncer until the test ends.
func (r *rig) run() {
	ctx, cancel := context.WithCancel(bg)
	done := make(chan error, 1)
	go func() { done <- r.s.Run(ctx) }()
	r.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			r.t.Errorf("Run: %v", err)
		}
	})
}

// orders takes in n orders of an owner ("" the default), each an outward event.
func (r *rig) orders(owner string, from, n int) {
	r.t.Helper()
	r.ordersFrom("test", owner, from, n)
}

// ordersFrom takes them in as actor says: "qimen:erp" is orders the ERP
// named erp sent.
func (r *rig) ordersFrom(actor, owner string, from, n int) {
	r.t.Helper()
	sku := "SKU00001"
	if owner != "" {
		sku = wms.DemoSharedSKU
	}
	for i := from; i < from+n; i++ {
		in := wms.OrderIntake{Owner: owner, No: fmt.Sprintf("SO%s%05d", owner, i), Channel: "tmall",
			Recipient: wms.Recipient{Name: "王芳", Phone: "13800138000", Address: "浙江省杭州市西湖区文三路 100 号"},
			Lines:     wms.OrderLines(wms.LineIn{SKU: sku, Qty: 1})}
		if _, _, err := r.l.ReceiveOrder(bg, "", in, actor, "test"); err != nil {
			r.t.Fatal(err)
		}
	}
}

// outbox lists the events an upstream gets, in seq order.
func (r *rig) outbox(name, owner string) []wms.Outward {
	r.t.Helper()
	var out []wms.Outward
	var after uint64
	for {
		p, err := r.l.Outbox(after, 1000)
		if err != nil {
			r.t.Fatal(err)
		}
		for _, o := range p.Events {
			if o, ok := o.For(name, owner); ok {
				out = append(out, o)
			}
		}
		if p.Next >= p.Last {
			return out
		}
		after = p.Next
	}
}

func (r *rig) state(name string) wms.SyncState {
	r.t.Helper()
	st, err := r.l.SyncStateOf(name)
	if err != nil {
		r.t.Fatal(err)
	}
	return st
}

// eventually waits up to 10 s for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// exactlyOnce checks the OMS accepted each of the events once, and nothing else.
func exactlyOnce(t *testing.T, o *testOMS, want []wms.Outward) {
	t.Helper()
	got := o.accepted()
	count := map[string]int{}
	for _, id := range got {
		count[id]++
	}
	for _, e := range want {
		if count[e.ID] != 1 {
			t.Errorf("event %d (%s) accepted %d times", e.Seq, e.ID, count[e.ID])
		}
		delete(count, e.ID)
	}
	for id := range count {
		t.Errorf("accepted %s, which is not this upstream's", id)
	}
}
