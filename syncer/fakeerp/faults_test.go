package fakeerp

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"tally/syncer/qimen"
)

func adminDo(t *testing.T, h http.Handler, method, path, body, token string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// post sends a signed confirmation to a live ERP at now.
func post(t *testing.T, base, method, body string, now time.Time) (*http.Response, error) {
	t.Helper()
	p := signedParams(method, []byte(body), testSecret, now)
	return http.Post(base+"/qimen?"+p.Encode(), "text/xml", strings.NewReader(body))
}

func TestFaultsApplied(t *testing.T) {
	e := newTestERP(t, func(o *Options) { o.Now = time.Now })
	srv := httptest.NewServer(e.Handler())
	defer srv.Close()
	addFault := func(f string) {
		t.Helper()
		if w := adminDo(t, e.Handler(), http.MethodPost, "/admin/faults", f, ""); w.Code != http.StatusCreated {
			t.Fatalf("adding %s: %d %s", f, w.Code, w.Body)
		}
	}
	body := func(key string) string { return strings.Replace(deliveryConfirmBody, "EV1-1", key, 1) }

	addFault(`{"kind":"drop","count":1}`)
	if _, err := post(t, srv.URL, qimen.DeliveryConfirm, body("F1"), time.Now()); err == nil {
		t.Fatal("drop: the call was answered")
	}
	addFault(`{"kind":"error","status":503,"count":1}`)
	if resp, err := post(t, srv.URL, qimen.DeliveryConfirm, body("F2"), time.Now()); err != nil || resp.StatusCode != 503 {
		t.Fatalf("error: %v %v", resp, err)
	}
	addFault(`{"kind":"ratelimit","retry_after_s":7,"count":1}`)
	if resp, err := post(t, srv.URL, qimen.DeliveryConfirm, body("F3"), time.Now()); err != nil || resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "7" {
		t.Fatalf("ratelimit: %v %v", resp, err)
	}
	if n := len(e.Confirms("")); n != 0 {
		t.Fatalf("faults before serving kept %d", n)
	}
	addFault(`{"kind":"lost","count":1,"method":"deliveryorder.confirm"}`)
	if _, err := post(t, srv.URL, qimen.DeliveryConfirm, body("F4"), time.Now()); err == nil {
		t.Fatal("lost: the call was answered")
	}
	if got := e.Confirms(""); len(got) != 1 || got[0].OutBizCode != "F4" {
		t.Fatalf("lost: kept %+v, want F4", got)
	}
	// its repeat is a repeat
	resp, err := post(t, srv.URL, qimen.DeliveryConfirm, body("F4"), time.Now())
	if err != nil || readAnswer(t, resp).Flag != qimen.FlagSuccess || e.Confirms("")[0].Received != 2 {
		t.Fatalf("repeat after lost: %v", err)
	}
	addFault(`{"kind":"slow","delay_ms":300,"count":1}`)
	start := time.Now()
	if resp, err := post(t, srv.URL, qimen.DeliveryConfirm, body("F5"), time.Now()); err != nil || readAnswer(t, resp).Flag != qimen.FlagSuccess {
		t.Fatalf("slow: %v", err)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Fatalf("slow answered in %v", d)
	}
	addFault(`{"kind":"poison","match":"SF1000002","count":1}`)
	if resp, err := post(t, srv.URL, qimen.DeliveryConfirm, body("F6"), time.Now()); err != nil || readAnswer(t, resp).Code != "poison" {
		t.Fatalf("poison: %v", err)
	}
	// a fault limited to another method leaves this one alone
	addFault(`{"kind":"drop","method":"stockout.confirm"}`)
	if resp, err := post(t, srv.URL, qimen.DeliveryConfirm, body("F7"), time.Now()); err != nil || readAnswer(t, resp).Flag != qimen.FlagSuccess {
		t.Fatalf("another method's fault: %v", err)
	}
	// skew: the ERP's clock is 15 minutes behind: a call at the true time is refused
	adminDo(t, e.Handler(), http.MethodDelete, "/admin/faults", "", "")
	addFault(`{"kind":"skew","skew_s":-900}`)
	if resp, err := post(t, srv.URL, qimen.DeliveryConfirm, body("F8"), time.Now()); err != nil || readAnswer(t, resp).Code != "invalid-timestamp" {
		t.Fatalf("skew: %v", err)
	}
	got := map[string]int{}
	for _, r := range e.Requests() {
		got[r.Fault]++
	}
	if got["drop"] != 1 || got["error"] != 1 || got["ratelimit"] != 1 || got["lost"] != 1 || got["slow"] != 1 {
		t.Fatalf("requests by fault %v", got)
	}
	if st := e.Received()[qimen.DeliveryConfirm]; st.Accepted != 3 || st.Repeated != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func readAnswer(t *testing.T, resp *http.Response) qimen.Response {
	t.Helper()
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var r qimen.Response
	if err := xml.Unmarshal(b, &r); err != nil {
		t.Fatalf("answer %q: %v", b, err)
	}
	return r
}

// TestSkewMovesSentTimestamps: with a skew fault the ERP signs with its wrong clock, which
// a WMS must refuse beyond 10 minutes.
func TestSkewMovesSentTimestamps(t *testing.T) {
	stub := &wmsStub{}
	srv := httptest.NewServer(stub)
	defer srv.Close()
	e := newTestERP(t, func(o *Options) { o.WMS = srv.URL; o.Now = time.Now; o.Attempts = 1 })
	if _, err := e.faults.add([]Fault{{Kind: FaultSkew, SkewS: 1200, Count: 1, Left: 1}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.SendOrders(2, ""); err != nil {
		t.Fatal(err)
	}
	runUntil(t, e)
	got := stub.calls()
	ts, err := time.ParseInLocation(qimen.TimestampLayout, got[0].params.Get("timestamp"), qimen.China)
	if err != nil || time.Until(ts) < 19*time.Minute {
		t.Fatalf("first timestamp %v (%v), want 20 minutes ahead", ts, err)
	}
	if got[0].err == nil || got[1].err != nil {
		t.Fatalf("the skewed call verified (%v) or the next did not (%v)", got[0].err, got[1].err)
	}
	if o := e.Orders(); o[0].State != StateRefused || o[1].State != StateAccepted {
		t.Fatalf("orders %+v", o)
	}
}

func TestDecodeFaultsRefuses(t *testing.T) {
	for _, body := range []string{``, `[]`, `{"kind":"boom"}`, `{"kind":"error"}`, `{"kind":"error","status":404}`,
		`{"kind":"drop","status":500}`, `{"kind":"slow","delay_ms":0}`, `{"kind":"skew","skew_s":0}`,
		`{"kind":"skew","skew_s":60,"method":"deliveryorder.confirm"}`, `{"kind":"drop","method":"deliveryorder.create"}`,
		`{"kind":"poison","match":""}`, `{"kind":"drop","count":-1}`, `{"kind":"drop","extra":1}`} {
		if _, err := DecodeFaults([]byte(body)); err == nil {
			t.Errorf("DecodeFaults(%s) accepted", body)
		}
	}
	fs, err := DecodeFaults([]byte(`[{"kind":"drop","count":2},{"kind":"slow","delay_ms":5}]`))
	if err != nil || len(fs) != 2 || fs[0].Left != 2 {
		t.Fatalf("%+v %v", fs, err)
	}
}

func TestAdminAPI(t *testing.T) {
	stub := &wmsStub{}
	srv := httptest.NewServer(stub)
	defer srv.Close()
	const token = "admin-token-0001"
	e := newTestERP(t, func(o *Options) { o.WMS = srv.URL; o.Now = time.Now; o.Token = token })
	h := e.Handler()
	if w := adminDo(t, h, http.MethodGet, "/admin/stats", "", ""); w.Code != http.StatusUnauthorized {
		t.Fatalf("no token: %d", w.Code)
	}
	if w := adminDo(t, h, http.MethodGet, "/admin/stats", "", "wrong"); w.Code != http.StatusUnauthorized {
		t.Fatalf("wrong token: %d", w.Code)
	}
	w := adminDo(t, h, http.MethodPost, "/admin/orders", `{"n":3}`, token)
	var made struct{ Orders []Order }
	if w.Code != http.StatusAccepted || json.Unmarshal(w.Body.Bytes(), &made) != nil || len(made.Orders) != 3 {
		t.Fatalf("POST /admin/orders: %d %s", w.Code, w.Body)
	}
	for _, bad := range []string{`{"n":0}`, `{"n":10001}`, `{"n":1,"warehouse":"X"}`, `{"n":"3"}`, `{"m":1}`, `[`} {
		if w := adminDo(t, h, http.MethodPost, "/admin/orders", bad, token); w.Code != http.StatusBadRequest {
			t.Fatalf("POST /admin/orders %s: %d", bad, w.Code)
		}
	}
	if w := adminDo(t, h, http.MethodPost, "/admin/orders", `{"n":1,"pad":"`+strings.Repeat("x", maxAdminBody)+`"}`, token); w.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("big body: %d", w.Code)
	}
	runUntil(t, e)
	if w := adminDo(t, h, http.MethodPost, "/admin/cancel", `{"order":"`+made.Orders[1].Code+`"}`, token); w.Code != http.StatusAccepted {
		t.Fatalf("cancel: %d %s", w.Code, w.Body)
	}
	if w := adminDo(t, h, http.MethodPost, "/admin/cancel", `{"order":"nope"}`, token); w.Code != http.StatusBadRequest {
		t.Fatalf("cancel of an unknown order: %d", w.Code)
	}
	runUntil(t, e)
	w = adminDo(t, h, http.MethodGet, "/admin/orders", "", token)
	var list struct{ Orders []Order }
	if json.Unmarshal(w.Body.Bytes(), &list) != nil || len(list.Orders) != 3 || list.Orders[1].State != StateCancelled || list.Orders[0].State != StateAccepted {
		t.Fatalf("GET /admin/orders: %s", w.Body)
	}
	body := strings.ReplaceAll(deliveryConfirmBody, ">D1<", ">"+made.Orders[0].Code+"<")
	call(t, h, signedParams(qimen.DeliveryConfirm, []byte(body), testSecret, time.Now()), []byte(body))
	call(t, h, signedParams(qimen.DeliveryConfirm, []byte(body), testSecret, time.Now()), []byte(body))
	w = adminDo(t, h, http.MethodGet, "/admin/confirms", "", token)
	var confirms struct {
		Total    int
		Confirms map[string][]Confirmation
	}
	if json.Unmarshal(w.Body.Bytes(), &confirms) != nil || confirms.Total != 1 || confirms.Confirms[qimen.DeliveryConfirm][0].Received != 2 {
		t.Fatalf("GET /admin/confirms: %s", w.Body)
	}
	w = adminDo(t, h, http.MethodGet, "/admin/stats", "", token)
	var st Stats
	if json.Unmarshal(w.Body.Bytes(), &st) != nil || st.Sent[qimen.DeliveryCreate].Success != 3 || st.Sent[qimen.OrderCancel].Success != 1 ||
		st.Received[qimen.DeliveryConfirm].Repeated != 1 || st.Orders[KindDelivery][StateDone] != 1 {
		t.Fatalf("GET /admin/stats: %s", w.Body)
	}
	// the page has no token and shows no secret
	w = adminDo(t, h, http.MethodGet, "/", "", "")
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), made.Orders[0].Code) || !strings.Contains(w.Body.String(), "SF1000001") {
		t.Fatalf("page: %d", w.Code)
	}
	for _, secret := range []string{testSecret, token} {
		for _, path := range []string{"/", "/admin/calls", "/admin/stats", "/admin/orders", "/admin/confirms", "/admin/requests"} {
			if w := adminDo(t, h, http.MethodGet, path, "", token); bytes.Contains(w.Body.Bytes(), []byte(secret)) {
				t.Fatalf("%s shows a secret", path)
			}
		}
	}
}
