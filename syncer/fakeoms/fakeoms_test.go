package fakeoms

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tally/syncer"
)

const (
	testToken = "tok-warehouse-1-abcdef"
	testBase  = "/tally/v1"
)

var (
	testSecret = []byte("fake-oms-test-secret-0123456789abcdef")
	testNow    = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
)

// rig is a fake OMS behind a real HTTP server, with its clock fixed at testNow.
type rig struct {
	t    *testing.T
	path string
	oms  *OMS
	srv  *httptest.Server
}

func newRig(t *testing.T) *rig {
	t.Helper()
	r := &rig{t: t, path: filepath.Join(t.TempDir(), "oms.db")}
	r.open()
	t.Cleanup(r.close)
	return r
}

func (r *rig) open() {
	r.t.Helper()
	oms, err := New(Options{Path: r.path, Base: testBase, Token: testToken, Secret: testSecret,
		Now: func() time.Time { return testNow }})
	if err != nil {
		r.t.Fatal(err)
	}
	r.oms, r.srv = oms, httptest.NewServer(oms.Handler())
}

func (r *rig) close() {
	if r.srv != nil {
		r.srv.Close()
		r.srv = nil
	}
	if r.oms != nil {
		if err := r.oms.Close(); err != nil {
			r.t.Error(err)
		}
		r.oms = nil
	}
}

// request is a push signed with syncer.Sign; edit changes it after signing.
func (r *rig) request(body []byte, at time.Time, edit func(*http.Request)) *http.Request {
	r.t.Helper()
	req, err := http.NewRequest(http.MethodPost, r.srv.URL+testBase+"/events", bytes.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+testToken)
	if err := syncer.Sign(req, body, testSecret, at); err != nil {
		r.t.Fatal(err)
	}
	if edit != nil {
		edit(req)
	}
	return req
}

// send sends req and returns its status, its body and its Date header.
func (r *rig) send(req *http.Request) (int, []byte, string) {
	r.t.Helper()
	resp, err := r.srv.Client().Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		r.t.Fatal(err)
	}
	return resp.StatusCode, b, resp.Header.Get("Date")
}

// push sends a signed batch that must be answered 200 and returns its results.
func (r *rig) push(body []byte) []Result {
	r.t.Helper()
	status, b, _ := r.send(r.request(body, testNow, nil))
	if status != http.StatusOK {
		r.t.Fatalf("push: %d %s", status, b)
	}
	var ans struct {
		Results []Result `json:"results"`
	}
	if err := json.Unmarshal(b, &ans); err != nil {
		r.t.Fatalf("answer %s: %v", b, err)
	}
	return ans.Results
}

// refused sends req, which must be refused with status and code, nothing stored.
func (r *rig) refused(req *http.Request, status int, code string) apiError {
	r.t.Helper()
	before := r.received()
	got, b, date := r.send(req)
	var e apiError
	if err := json.Unmarshal(b, &e); err != nil {
		r.t.Fatalf("answer %s: %v", b, err)
	}
	if got != status || e.Code != code || e.Error == "" {
		r.t.Errorf("got %d %s, want %d with code %s and an error", got, b, status, code)
	}
	if want := testNow.Format(http.TimeFormat); date != want {
		r.t.Errorf("Date header %q, want %q", date, want)
	}
	if after := r.received(); len(after) != len(before) {
		r.t.Errorf("a refused request stored events: %d before, %d after", len(before), len(after))
	}
	return e
}

func (r *rig) received() []Received {
	r.t.Helper()
	got, err := r.oms.Received()
	if err != nil {
		r.t.Fatal(err)
	}
	return got
}

func (r *rig) receivedIDs() []string {
	var ids []string
	for _, e := range r.received() {
		ids = append(ids, e.ID)
	}
	return ids
}

// event is a stock.adjusted envelope, as a warehouse sends one.
func event(id string, seq int) string {
	return fmt.Sprintf(`{"id":%q,"seq":%d,"type":"stock.adjusted","at":"2026-01-01T00:00:00Z","owner":"DEFAULT","data":{"sku":"SKU00001","lot":"L2401","expiry":"2027-06-30","delta":-2,"reason":"damaged"}}`, id, seq)
}

func batch(events ...string) []byte {
	return []byte(`{"events":[` + strings.Join(events, ",") + `]}`)
}

func statuses(res []Result) string {
	var s []string
	for _, r := range res {
		s = append(s, r.ID+"="+r.Status)
	}
	return strings.Join(s, " ")
}

func TestBatchAccepted(t *testing.T) {
	r := newRig(t)
	order := `{"id":"e2","seq":11,"type":"order.received","at":"2026-01-01T00:01:10.5Z","owner":"DEFAULT","data":{"order":"SO1","channel":"tmall","lines":[{"sku":"SKU00001","qty":2}]},"extra":"ignored"}`
	res := r.push(batch(event("e1", 10), order))
	if got, want := statuses(res), "e1=accepted e2=accepted"; got != want {
		t.Fatalf("results %s, want %s", got, want)
	}
	got := r.received()
	if len(got) != 2 {
		t.Fatalf("received %d events, want 2", len(got))
	}
	e := got[1]
	if e.N != 2 || e.ID != "e2" || e.Seq != 11 || e.Type != "order.received" || e.Owner != "DEFAULT" ||
		!e.At.Equal(time.Date(2026, 1, 1, 0, 1, 10, 5e8, time.UTC)) || !e.ReceivedAt.Equal(testNow) {
		t.Errorf("kept %+v", e)
	}
	if want := `{"order":"SO1","channel":"tmall","lines":[{"sku":"SKU00001","qty":2}]}`; string(e.Data) != want {
		t.Errorf("data %s, want %s", e.Data, want)
	}
}

func TestSameBatchAgainAllDuplicates(t *testing.T) {
	r := newRig(t)
	body := batch(event("a", 1), event("b", 2), event("c", 3))
	r.push(body)
	res := r.push(body)
	if got, want := statuses(res), "a=duplicate b=duplicate c=duplicate"; got != want {
		t.Fatalf("second push: %s, want %s", got, want)
	}
	if got := strings.Join(r.receivedIDs(), ","); got != "a,b,c" {
		t.Errorf("received %s, want a,b,c once each", got)
	}
}

func TestBatchMixingNewAndRepeated(t *testing.T) {
	r := newRig(t)
	r.push(batch(event("a", 1), event("b", 2)))
	// a repeat inside the same batch is a duplicate too
	res := r.push(batch(event("b", 2), event("c", 3), event("a", 1), event("d", 4), event("c", 3)))
	if got, want := statuses(res), "b=duplicate c=accepted a=duplicate d=accepted c=duplicate"; got != want {
		t.Fatalf("results %s, want %s", got, want)
	}
	if got := strings.Join(r.receivedIDs(), ","); got != "a,b,c,d" {
		t.Errorf("received %s, want a,b,c,d", got)
	}
}

func TestRefusedRequests(t *testing.T) {
	body := batch(event("a", 1))
	for _, tc := range []struct {
		name   string
		at     time.Time
		edit   func(*http.Request)
		status int
		code   string
	}{
		{"tampered body", testNow, func(q *http.Request) {
			b := bytes.Replace(body, []byte(`-2`), []byte(`-9`), 1)
			q.Body, q.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
		}, 401, "signature.mismatch"},
		{"wrong token", testNow, func(q *http.Request) { q.Header.Set("Authorization", "Bearer someone-else") }, 401, "auth.token"},
		{"no token", testNow, func(q *http.Request) { q.Header.Del("Authorization") }, 401, "auth.token"},
		{"no signature", testNow, func(q *http.Request) { q.Header.Del(syncer.HeaderSignature) }, 401, "signature.missing"},
		{"malformed signature", testNow, func(q *http.Request) { q.Header.Set(syncer.HeaderSignature, "v1=zz") }, 401, "signature.malformed"},
		{"other version", testNow, func(q *http.Request) { q.Header.Set(syncer.HeaderSignature, "v2="+strings.Repeat("0", 64)) }, 401, "signature.version"},
		{"other path", testNow, func(q *http.Request) { q.URL.RawQuery = "x=1" }, 401, "signature.mismatch"},
		{"stale timestamp", testNow.Add(-301 * time.Second), nil, 401, "signature.timestamp"},
		{"future timestamp", testNow.Add(301 * time.Second), nil, 401, "signature.timestamp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			e := r.refused(r.request(body, tc.at, tc.edit), tc.status, tc.code)
			if tc.code == "signature.timestamp" && !strings.Contains(e.Error, "5m0s allowed") {
				t.Errorf("error %q does not say how far off is allowed", e.Error)
			}
		})
	}
}

func TestTimestampAtTheLimitPasses(t *testing.T) {
	r := newRig(t)
	for i, at := range []time.Time{testNow.Add(-300 * time.Second), testNow.Add(300 * time.Second)} {
		status, b, _ := r.send(r.request(batch(event(fmt.Sprint("edge", i), i+1)), at, nil))
		if status != http.StatusOK {
			t.Errorf("signed %s: %d %s", at, status, b)
		}
	}
}

func TestOversizeBodyRefused(t *testing.T) {
	r := newRig(t)
	big := append(batch(event("a", 1)), bytes.Repeat([]byte(" "), syncer.MaxBody)...)
	req, err := http.NewRequest(http.MethodPost, r.srv.URL+testBase+"/events", bytes.NewReader(big))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	r.refused(req, http.StatusRequestEntityTooLarge, "body.too_large")

	// without a Content-Length the limit holds while reading
	req, err = http.NewRequest(http.MethodPost, r.srv.URL+testBase+"/events", io.MultiReader(bytes.NewReader(big)))
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = -1
	req.Header.Set("Authorization", "Bearer "+testToken)
	r.refused(req, http.StatusRequestEntityTooLarge, "body.too_large")
}

func TestMalformedEventRejectedRestAccepted(t *testing.T) {
	r := newRig(t)
	res := r.push(batch(
		event("good1", 1),
		`{"id":"badtype","seq":2,"type":"login.succeeded","at":"2026-01-01T00:00:00Z","data":{}}`,
		`{"id":"unknown","seq":3,"type":"no.such.type","at":"2026-01-01T00:00:00Z","data":{}}`,
		`{"id":"baddata","seq":4,"type":"stock.adjusted","at":"2026-01-01T00:00:00Z","data":{"sku":"S","delta":"two"}}`,
		`{"id":"notobject","seq":5,"type":"stock.adjusted","at":"2026-01-01T00:00:00Z","data":[1]}`,
		`{"id":"nodata","seq":6,"type":"stock.adjusted","at":"2026-01-01T00:00:00Z"}`,
		`{"id":"badat","seq":7,"type":"stock.adjusted","at":"yesterday","data":{}}`,
		`{"id":"noseq","type":"stock.adjusted","at":"2026-01-01T00:00:00Z","data":{}}`,
		event("good2", 8),
	))
	want := map[string]string{"badtype": "event.type_unknown", "unknown": "event.type_unknown",
		"baddata": "event.malformed", "notobject": "event.malformed", "nodata": "event.malformed",
		"badat": "event.malformed", "noseq": "event.malformed"}
	if len(res) != 9 {
		t.Fatalf("%d results, want 9: %+v", len(res), res)
	}
	for _, x := range res {
		code, bad := want[x.ID]
		switch {
		case bad && (x.Status != StatusRejected || x.Code != code || x.Reason == ""):
			t.Errorf("%s: %+v, want rejected with %s and a reason", x.ID, x, code)
		case !bad && x.Status != StatusAccepted:
			t.Errorf("%s: %+v, want accepted", x.ID, x)
		}
	}
	if got := strings.Join(r.receivedIDs(), ","); got != "good1,good2" {
		t.Errorf("received %s, want good1,good2", got)
	}
	// a rejected event, fixed and sent again with its ID, is taken
	res = r.push(batch(event("baddata", 4)))
	if got := statuses(res); got != "baddata=accepted" {
		t.Errorf("fixed event: %s", got)
	}
}

func TestMalformedBatchRefused(t *testing.T) {
	r := newRig(t)
	many := make([]string, MaxEvents+1)
	for i := range many {
		many[i] = event(fmt.Sprint("m", i), i+1)
	}
	for name, body := range map[string][]byte{
		"not json":        []byte(`{"events":`),
		"no events":       []byte(`{"batch":[]}`),
		"empty":           batch(),
		"too many":        batch(many...),
		"event not obj":   batch(`42`),
		"no id":           batch(`{"seq":1}`),
		"numeric id":      batch(`{"id":7}`),
		"id too long":     batch(event(strings.Repeat("x", MaxID+1), 1)),
		"id with newline": batch(event("a\nb", 1)),
	} {
		t.Run(name, func(t *testing.T) {
			r.refused(r.request(body, testNow, nil), http.StatusBadRequest, "batch.malformed")
		})
	}
}

func TestStoreSurvivesReopen(t *testing.T) {
	r := newRig(t)
	r.push(batch(event("a", 1), event("b", 2)))
	r.close()
	r.open()
	res := r.push(batch(event("b", 2), event("c", 3)))
	if got, want := statuses(res), "b=duplicate c=accepted"; got != want {
		t.Fatalf("after reopening: %s, want %s", got, want)
	}
	got := r.received()
	if len(got) != 3 || got[0].ID != "a" || got[1].ID != "b" || got[2].ID != "c" || got[2].N != 3 {
		t.Errorf("received %+v, want a, b, c numbered 1 to 3", got)
	}
}

func TestOtherPathsNotServed(t *testing.T) {
	r := newRig(t)
	for p, want := range map[string]int{
		"/events":                  http.StatusNotFound,
		testBase + "/events/x":     http.StatusNotFound,
		"/tally/v2/changes":        http.StatusNotFound,
		testBase + "/changes":      http.StatusMethodNotAllowed, // a pull is a GET
		testBase + "/stock":        http.StatusMethodNotAllowed,
		"/admin/nothing":           http.StatusNotFound,
		"/admin/changes/elsewhere": http.StatusNotFound,
	} {
		resp, err := r.srv.Client().Post(r.srv.URL+p, "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("POST %s: %d, want %d", p, resp.StatusCode, want)
		}
	}
}

func TestNewRefusesBadOptions(t *testing.T) {
	dir := t.TempDir()
	for name, o := range map[string]Options{
		"no path":      {Token: testToken, Secret: testSecret},
		"no token":     {Path: filepath.Join(dir, "a.db"), Secret: testSecret},
		"short secret": {Path: filepath.Join(dir, "b.db"), Token: testToken, Secret: []byte("short")},
		"short token":  {Path: filepath.Join(dir, "e.db"), Token: "tok-15-chars-xx"}, // the token signs: 16 bytes at least
		"spaced token": {Path: filepath.Join(dir, "f.db"), Token: "tok with spaces 0123456789"},
		"many orders":  {Path: filepath.Join(dir, "g.db"), Token: testToken, Orders: MaxGenerated + 1},
		"bad base":     {Path: filepath.Join(dir, "c.db"), Token: testToken, Secret: testSecret, Base: "tally/"},
	} {
		if oms, err := New(o); err == nil {
			oms.Close()
			t.Errorf("%s: New took %+v", name, o)
		}
	}
}

// FuzzDecodeBatch: any body either is refused whole or gives one event per entry, each with
// an ID within limits, and every event it passes as takeable has object data.
func FuzzDecodeBatch(f *testing.F) {
	f.Add(batch(event("a", 1)))
	f.Add(batch(`{"id":"x","seq":1,"type":"order.shipped","at":"2026-01-01T00:00:00Z","data":{"order":"S","parcels":[{"n":1,"items":[{"sku":"A","qty":1}]}]}}`))
	f.Add([]byte(`{"events":[{"id":"x","data":null}]}`))
	f.Add([]byte(`{"events":null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		events, err := DecodeBatch(body)
		if err != nil {
			if events != nil {
				t.Fatal("events returned with an error")
			}
			return
		}
		if len(events) == 0 || len(events) > MaxEvents {
			t.Fatalf("%d events passed", len(events))
		}
		for _, e := range events {
			if e.ID == "" || len(e.ID) > MaxID || !printable(e.ID) {
				t.Fatalf("ID %q passed", e.ID)
			}
			if e.Code == "" && (len(e.Data) == 0 || e.Data[0] != '{' || !json.Valid(e.Data) || e.Seq == 0) {
				t.Fatalf("takeable event %+v", e)
			}
			if e.Code != "" && e.Reason == "" {
				t.Fatalf("rejected without a reason: %+v", e)
			}
		}
	})
}
