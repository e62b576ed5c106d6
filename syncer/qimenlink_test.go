package syncer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"tally/syncer/qimen"
	"tally/wms"
)

const (
	erpSecret   = "erp-secret-0123456789abcdef"
	erpAppKey   = "erp-appkey"
	erpCustomer = "cust-1"
)

// erpCall is one call the test ERP received.
type erpCall struct {
	method string
	outBiz string
	body   string
}

// testERP verifies every call's signature with qimen.Verify and answers
// success unless answer says otherwise.
type testERP struct {
	t   *testing.T
	srv *httptest.Server

	mu     sync.Mutex
	calls  []erpCall
	answer func(c erpCall, n int) (status int, body string) // n: calls so far, this one included
}

func newERP(t *testing.T) *testERP {
	e := &testERP{t: t}
	e.srv = httptest.NewServer(e)
	t.Cleanup(e.srv.Close)
	return e
}

func (e *testERP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := qimen.ReadRequest(r.Body)
	if err != nil {
		e.t.Errorf("a call whose body is not a request: %v", err)
		return
	}
	q := r.URL.Query()
	if err := qimen.Verify(q, body, []string{erpSecret}, time.Now()); err != nil {
		e.t.Errorf("signature: %v", err)
	}
	if q.Get("app_key") != erpAppKey || q.Get("customerId") != erpCustomer || q.Get("format") != "xml" || q.Get("v") != "2.0" {
		e.t.Errorf("system parameters %v", q)
	}
	method, _ := qimen.ShortMethod(q.Get("method"))
	m := outBizRe.FindSubmatch(body)
	c := erpCall{method: method, body: string(body)}
	if m != nil {
		c.outBiz = string(m[1])
	}
	e.mu.Lock()
	e.calls = append(e.calls, c)
	n := len(e.calls)
	answer := e.answer
	e.mu.Unlock()
	status, out := 200, `<?xml version="1.0" encoding="utf-8"?><response><flag>success</flag><code>0</code><message></message></response>`
	if answer != nil {
		status, out = answer(c, n)
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(out))
}

func (e *testERP) got() []erpCall {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]erpCall(nil), e.calls...)
}

func (r *rig) qimenUpstream(name, url, via string) {
	r.t.Helper()
	u := wms.Upstream{Name: name, Dialect: wms.DialectQimen, URL: url, Secret: erpSecret, AppKey: erpAppKey, CustomerID: erpCustomer, Via: via}
	if via == wms.ViaHub {
		u.URL, u.Secret = "", ""
	}
	if _, err := r.l.SaveUpstream(bg, "", u, "B9001", "test"); err != nil {
		r.t.Fatal(err)
	}
}

// orderEvents are the upstream's order.received events (the demo's
// opening stock before them makes no Qimen call).
func orderEvents(r *rig) []wms.Outward {
	var out []wms.Outward
	for _, o := range r.outbox("erp", "") {
		if o.Type == wms.EvOrderReceived {
			out = append(out, o)
		}
	}
	return out
}

// drain steps a link until it has nothing more or fails.
func drain(t *testing.T, k *link) error {
	t.Helper()
	for i := 0; i < 1000; i++ {
		more, err := k.step(bg, k.config(), nil)
		if err != nil || !more {
			return err
		}
	}
	t.Fatal("no end")
	return nil
}

// TestQimenPushSignedInOrder: a Qimen upstream gets each event's calls in
// seq order, signed, with the event's ID as outBizCode, and its cursor ends
// at the last event; nothing is pulled or reconciled.
func TestQimenPushSignedInOrder(t *testing.T) {
	r := newRig(t, Options{Batch: 4, Warehouse: "WH-HZ1"})
	erp := newERP(t)
	r.qimenUpstream("erp", erp.srv.URL+"/qimen", "")
	r.ordersFrom("qimen:erp", "", 1, 6)
	want := r.outbox("erp", "")
	k := r.link("erp")
	if err := drain(t, k); err != nil {
		t.Fatal(err)
	}
	got := erp.got()
	var ids []string
	for _, o := range want {
		calls, err := qimenCalls(o, k.config(), "WH-HZ1", ledgerBooks{r.l})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range calls {
			ids = append(ids, strings.TrimPrefix(c.ID, "erp:"))
		}
	}
	if len(ids) == 0 || len(got) != len(ids) {
		t.Fatalf("%d calls, want %d", len(got), len(ids))
	}
	for i, c := range got {
		if c.outBiz != ids[i] {
			t.Errorf("call %d: outBizCode %s, want %s", i, c.outBiz, ids[i])
		}
		if c.method == qimen.OrderProcessReport && !strings.Contains(c.body, "<warehouseCode>WH-HZ1</warehouseCode>") {
			t.Errorf("call %d: %s", i, c.body)
		}
	}
	if st := r.state("erp"); st.PushedThrough != want[len(want)-1].Seq {
		t.Errorf("cursor %d, want %d", st.PushedThrough, want[len(want)-1].Seq)
	}
	if _, err := k.step(bg, k.config(), nil); err != nil || len(erp.got()) != len(got) {
		t.Errorf("a step with nothing new sent %d calls (%v)", len(erp.got())-len(got), err)
	}
	if rep := k.requested(bg); !errors.Is(rep.err, errQimenNoReconcile) {
		t.Errorf("reconciliation of a Qimen upstream: %v", rep.err)
	}
}

// TestQimen503BacksOffAndTheRetryIsIdentical: an ERP down (503) holds the
// cursor; the next try sends the very same call, outBizCode and body.
func TestQimen503BacksOffAndTheRetryIsIdentical(t *testing.T) {
	r := newRig(t, Options{Warehouse: "WH-HZ1"})
	erp := newERP(t)
	r.qimenUpstream("erp", erp.srv.URL+"/qimen", "")
	r.ordersFrom("qimen:erp", "", 1, 3)
	want := orderEvents(r)
	erp.answer = func(c erpCall, n int) (int, string) {
		if n == 2 {
			return 503, "busy"
		}
		return 200, `<response><flag>success</flag><code/><message/></response>`
	}
	k := r.link("erp")
	_, err := k.step(bg, k.config(), nil)
	var f *failure
	if !errors.As(err, &f) || f.online {
		t.Fatalf("a 503: %v", err)
	}
	k.failed(err)
	if st := r.state("erp"); st.PushedThrough != want[0].Seq {
		t.Fatalf("cursor %d after the first event taken and the second refused, want %d", st.PushedThrough, want[0].Seq)
	}
	if k.isOnline() || k.config().Name != "erp" {
		t.Error("a 503 left the upstream online")
	}
	if err := drain(t, k); err != nil {
		t.Fatal(err)
	}
	got := erp.got()
	if len(got) != 4 || got[1].outBiz != got[2].outBiz || got[1].body != got[2].body || got[1].outBiz != want[1].ID {
		t.Fatalf("calls %+v", got)
	}
	if st := r.state("erp"); st.PushedThrough != want[len(want)-1].Seq || st.Dead != 0 {
		t.Errorf("state %+v", st)
	}
}

// TestQimenFailureIsDeadLetter: a failure the ERP will give again is a dead
// letter with its code and message, and the rest flows; a signature
// failure is not (the warehouse backs off, nothing is lost); a retried dead
// letter is sent whole and resolved.
func TestQimenFailureIsDeadLetter(t *testing.T) {
	r := newRig(t, Options{})
	erp := newERP(t)
	r.qimenUpstream("erp", erp.srv.URL+"/qimen", "")
	r.ordersFrom("qimen:erp", "", 1, 3)
	want := orderEvents(r)
	poison := want[1].ID
	refuse := true
	erp.answer = func(c erpCall, n int) (int, string) {
		if c.outBiz == poison && refuse {
			return 200, `<response><flag>failure</flag><code>ORDER_NOT_EXIST</code><message>单据不存在 SO00002</message></response>`
		}
		if n == 1 {
			return 200, `<response><flag>failure</flag><code>sign-check-failure</code><message>Illegal request</message></response>`
		}
		return 200, `<response><flag>success</flag></response>`
	}
	k := r.link("erp")
	if _, err := k.step(bg, k.config(), nil); err == nil || !strings.Contains(err.Error(), "sign-check-failure") {
		t.Fatalf("a signature failure: %v", err)
	}
	if dead, _ := r.l.DeadLetters("erp"); len(dead) != 0 {
		t.Fatalf("a signature failure dead-lettered: %+v", dead)
	}
	if err := drain(t, k); err != nil {
		t.Fatal(err)
	}
	dead, err := r.l.DeadLetters("erp")
	if err != nil || len(dead) != 1 {
		t.Fatalf("dead letters %+v %v", dead, err)
	}
	if d := dead[0]; d.ID != poison || d.Code != "ORDER_NOT_EXIST" || d.Reason != "单据不存在 SO00002" {
		t.Errorf("dead letter %+v", d)
	}
	if st := r.state("erp"); st.PushedThrough != want[len(want)-1].Seq {
		t.Errorf("cursor %d, want %d", st.PushedThrough, want[len(want)-1].Seq)
	}
	refuse = false
	n := len(erp.got())
	if err := k.qimenRetries(bg, k.config(), dead); err != nil {
		t.Fatal(err)
	}
	got := erp.got()
	if len(got) != n+1 || got[n].outBiz != poison {
		t.Fatalf("retry sent %+v", got[n:])
	}
	if st := r.state("erp"); st.Dead != 0 {
		t.Errorf("the retried dead letter is still open: %+v", st)
	}
}

// fakeHub is a HubLink whose stream is full for the first full publishes.
type fakeHub struct {
	mu    sync.Mutex
	full  int
	calls []qimen.Call
}

func (h *fakeHub) Publish(_ context.Context, c qimen.Call) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.full > 0 {
		h.full--
		return fmt.Errorf("hub: publish: %w", ErrHubFull)
	}
	h.calls = append(h.calls, c)
	return nil
}

// TestQimenViaHub: an upstream via the hub hands its calls to the hub link
// (nothing over HTTP); a full stream pauses it with the cursor held, and
// then everything goes, once, in order. Without a hub link it waits and
// says why.
func TestQimenViaHub(t *testing.T) {
	hub := &fakeHub{full: 2}
	r := newRig(t, Options{Hub: hub, Warehouse: "WH-HZ1"})
	r.qimenUpstream("erp", "", wms.ViaHub)
	r.ordersFrom("qimen:erp", "", 1, 3)
	want := orderEvents(r)
	k := r.link("erp")
	for range 2 {
		_, err := k.step(bg, k.config(), nil)
		if err == nil || !strings.Contains(err.Error(), "full") {
			t.Fatalf("a full stream: %v", err)
		}
		if st := r.state("erp"); st.PushedThrough >= want[0].Seq {
			t.Fatalf("cursor moved to %d while the stream was full", st.PushedThrough)
		}
	}
	if err := drain(t, k); err != nil {
		t.Fatal(err)
	}
	if len(hub.calls) != len(want) {
		t.Fatalf("%d calls published, want %d", len(hub.calls), len(want))
	}
	for i, c := range hub.calls {
		if c.ID != "erp:"+want[i].ID || c.Upstream != "erp" || c.Warehouse != "WH-HZ1" || c.Method != qimen.OrderProcessReport {
			t.Errorf("call %d: %+v", i, c)
		}
	}
	if st := r.state("erp"); st.PushedThrough != want[len(want)-1].Seq {
		t.Errorf("cursor %d, want %d", st.PushedThrough, want[len(want)-1].Seq)
	}

	r2 := newRig(t, Options{})
	r2.qimenUpstream("erp", "", wms.ViaHub)
	r2.ordersFrom("qimen:erp", "", 1, 1)
	k2 := r2.link("erp")
	_, err := k2.step(bg, k2.config(), nil)
	if err == nil || !strings.Contains(err.Error(), "no hub link") {
		t.Fatalf("no hub link: %v", err)
	}
	k2.failed(err)
	var st UpstreamStatus
	k2.status(&st)
	if !strings.Contains(st.LastError, "no hub link") || strings.Contains(st.LastError, erpSecret) {
		t.Errorf("status %+v", st)
	}
}

// TestQimenRunDelivers: the syncer's own goroutine drives a Qimen upstream
// to the end of the log, and new events follow as they commit.
func TestQimenRunDelivers(t *testing.T) {
	r := newRig(t, Options{})
	erp := newERP(t)
	r.qimenUpstream("erp", erp.srv.URL+"/qimen", "")
	r.ordersFrom("qimen:erp", "", 1, 2)
	r.run()
	eventually(t, "two calls", func() bool { return len(erp.got()) == 2 })
	r.ordersFrom("qimen:erp", "", 3, 1)
	eventually(t, "the third", func() bool { return len(erp.got()) == 3 })
	want := orderEvents(r)
	eventually(t, "the cursor at the end", func() bool { return r.state("erp").PushedThrough == want[2].Seq })
	time.Sleep(200 * time.Millisecond)
	if got := erp.got(); len(got) != 3 || got[2].outBiz != want[2].ID {
		t.Errorf("calls %+v", got)
	}
	st := r.s.Status()
	if len(st) != 1 || !st[0].Online || st[0].Backlog != 0 || st[0].LastError != "" {
		t.Errorf("status %+v", st)
	}
}

// An ERP's failure code is read word by word: a refusal of content whose
// code happens to hold "sign", "system" or "limit" is a dead letter, not a
// failure tried again for ever in front of the rest of the queue; the
// credentials' codes are tried again with the hint to check them, the
// ERP's own trouble without it.
func TestQimenFailureCodesReadByWord(t *testing.T) {
	for _, c := range []struct {
		code            string
		transient, auth bool
	}{
		{"invalid-consignee", false, false},
		{"order-already-assigned", false, false},
		{"item-not-in-system", false, false},
		{"qty-over-limit", false, false},
		{"order-not-exist", false, false},
		{"", false, false},
		{"sign-check-failure", true, true},
		{"isv.invalid-signature", true, true},
		{"invalid-timestamp", true, true},
		{"isv.appkey-not-exists", true, true},
		{"invalid_app_key", true, true},
		{"customerId-not-exist", true, true},
		{"isp.top-remote-connection-timeout", true, false},
		{"system-error", true, false},
		{"SYSTEM_BUSY", true, false},
		{"accesscontrol.limited-by-app-access-count", true, false},
		{"service-unavailable", true, false},
		{"request-time-out", true, false},
		{"INTERNAL_SERVER_ERROR", true, false},
		{"rate-limit", true, false},
		{"RATE_LIMIT_EXCEEDED", true, false},
		{"isv.api-call-limit", true, false},
		{"flow-limit", true, false},
		{"SYSTEM_EXCEPTION", true, false},
		{"server-error", true, false},
		{"timed-out", true, false},
		{"request-too-frequent", true, false},
		{"limit-exceeded", false, false},
		{"qty-over-limit-exceeded", false, false},
		{"QUANTITY_LIMIT_EXCEEDED", false, false},
		{"ITEM_COUNT_LIMIT_EXCEEDED", false, false},
		{"credit-limit-exceeded", false, false},
		{"isv.sku-quantity-limit-exceeded", false, false},
		{"ORDER_EXCEPTION", false, false},
		{"ADDRESS_EXCEPTION", false, false},
		{"BIZ_EXCEPTION", false, false},
		{"order-status-exception", false, false},
		{"isv.order-exception", false, false},
		{"isv.item-internal-error", false, false},
		{"internal-code-duplicate", false, false},
		{"item-frequency-limit", true, false},
		{"SYSTEM_BUSY", true, false},
	} {
		if transient, auth := qimenTransient(c.code); transient != c.transient || auth != c.auth {
			t.Errorf("%q: transient %v auth %v, want %v %v", c.code, transient, auth, c.transient, c.auth)
		}
	}
	body := []byte(`<?xml version="1.0" encoding="UTF-8"?><response><flag>failure</flag><code>invalid-consignee</code><message>content refused</message></response>`)
	if ref, f := judgeQimen("deliveryorder.confirm", &answer{status: http.StatusOK, body: body}); ref == nil || f != nil {
		t.Errorf("a refusal of the consignee: refusal %v, failure %v", ref, f)
	}
	body = []byte(`<response><flag>failure</flag><code>system-busy</code><message>try later</message></response>`)
	if ref, f := judgeQimen("deliveryorder.confirm", &answer{status: http.StatusOK, body: body}); ref != nil || f == nil || strings.Contains(f.Error(), "secret") {
		t.Errorf("a busy ERP: refusal %v, failure %v", ref, f)
	}
}
