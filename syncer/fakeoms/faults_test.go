package fakeoms

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// fault posts faults, which must be taken.
func (r *rig) fault(body string) {
	r.t.Helper()
	if status, b := r.admin("POST", "/admin/faults", body); status != http.StatusCreated {
		r.t.Fatalf("fault %s: %d %s", body, status, b)
	}
}

// trySend sends req and returns the transport's error, or the status.
func (r *rig) trySend(req *http.Request) (int, error) {
	resp, err := r.srv.Client().Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return resp.StatusCode, nil
}

func (r *rig) lastRequest() Request {
	r.t.Helper()
	reqs := r.oms.Requests()
	if len(reqs) == 0 {
		r.t.Fatal("no request logged")
	}
	return reqs[len(reqs)-1]
}

func TestFaultDrop(t *testing.T) {
	r := newRig(t)
	r.fault(`{"kind":"drop","count":1,"path":"events"}`)
	if status, err := r.trySend(r.request(batch(event("a", 1)), testNow, nil)); err == nil {
		t.Fatalf("dropped push answered %d", status)
	}
	if got := r.received(); len(got) != 0 {
		t.Fatalf("a dropped push stored %d events", len(got))
	}
	if q := r.lastRequest(); q.Fault != FaultDrop || q.Status != 0 || q.Path != testBase+"/events" {
		t.Errorf("logged %+v", q)
	}
	// count 1: the next one goes through, and the fault is gone
	if got := statuses(r.push(batch(event("a", 1)))); got != "a=accepted" {
		t.Errorf("after the drop: %s", got)
	}
	if fs := r.oms.faults.list(); len(fs) != 0 {
		t.Errorf("faults left %+v", fs)
	}
}

func TestFaultError(t *testing.T) {
	r := newRig(t)
	r.fault(`{"kind":"error","status":503,"count":2}`)
	for i := range 2 {
		status, b, _ := r.send(r.request(batch(event("a", 1)), testNow, nil))
		if status != 503 || !strings.Contains(string(b), "fault.error") {
			t.Errorf("try %d: %d %s", i, status, b)
		}
	}
	if len(r.received()) != 0 {
		t.Error("an error answer stored the batch")
	}
	if got := statuses(r.push(batch(event("a", 1)))); got != "a=accepted" {
		t.Errorf("third try: %s", got)
	}
	reqs := r.oms.Requests()
	if len(reqs) != 3 || reqs[0].Status != 503 || reqs[0].Fault != FaultError || reqs[2].Fault != "" || reqs[2].Status != 200 {
		t.Errorf("requests %+v", reqs)
	}
}

func TestFaultSlow(t *testing.T) {
	r := newRig(t)
	r.fault(`{"kind":"slow","delay_ms":300,"path":"changes","count":1}`)
	start := time.Now()
	r.push(batch(event("a", 1))) // another path: not slowed
	if d := time.Since(start); d > 250*time.Millisecond {
		t.Errorf("a push took %s under a changes fault", d)
	}
	start = time.Now()
	if p := r.pull(""); len(p.Changes) != 0 {
		t.Errorf("page %+v", p)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("a slow pull took only %s", d)
	}
}

func TestFaultLost(t *testing.T) {
	r := newRig(t)
	r.fault(`{"kind":"lost","count":1}`)
	if status, err := r.trySend(r.request(batch(event("a", 1), event("b", 2)), testNow, nil)); err == nil {
		t.Fatalf("a lost answer arrived: %d", status)
	}
	// stored all the same: the re-send is answered duplicate
	if got := strings.Join(r.receivedIDs(), ","); got != "a,b" {
		t.Fatalf("received %s, want a,b", got)
	}
	if got := statuses(r.push(batch(event("a", 1), event("b", 2), event("c", 3)))); got != "a=duplicate b=duplicate c=accepted" {
		t.Errorf("re-send: %s", got)
	}
	if q := r.oms.Requests()[0]; q.Fault != FaultLost || q.Status != 200 {
		t.Errorf("logged %+v", q)
	}
}

func TestFaultRateLimit(t *testing.T) {
	r := newRig(t)
	r.fault(`[{"kind":"ratelimit","retry_after_s":30,"count":1,"path":"stock"}]`)
	status, b, h := r.get(testBase + "/stock?owner=DEFAULT")
	if status != http.StatusTooManyRequests || h.Get("Retry-After") != "30" || !strings.Contains(string(b), "rate.limited") || h.Get("Date") == "" {
		t.Errorf("rate limited: %d %s %v", status, b, h)
	}
	if status, b, _ := r.get(testBase + "/stock?owner=DEFAULT"); status != http.StatusOK {
		t.Errorf("after: %d %s", status, b)
	}
	if q := r.oms.Requests(); len(q) != 2 || q[0].Status != 429 || q[0].Fault != FaultRateLimit || !q[0].At.Equal(testNow) {
		t.Errorf("requests %+v", q)
	}
}

func TestFaultSkew(t *testing.T) {
	r := newRig(t)
	r.fault(`{"kind":"skew","skew_s":900}`) // the OMS runs 15 minutes ahead until cleared
	status, b, date := r.send(r.request(batch(event("a", 1)), testNow, nil))
	if status != http.StatusUnauthorized || !strings.Contains(string(b), "signature.timestamp") || date != testNow.Add(900*time.Second).Format(http.TimeFormat) {
		t.Errorf("unskewed warehouse: %d %s Date %s", status, b, date)
	}
	// a warehouse that corrects its clock by the Date header gets through
	status, b, date = r.send(r.request(batch(event("a", 1)), testNow.Add(900*time.Second), nil))
	if status != http.StatusOK || date != testNow.Add(900*time.Second).Format(http.TimeFormat) {
		t.Errorf("corrected: %d %s Date %s", status, b, date)
	}
	if status, b := r.admin("DELETE", "/admin/faults", ""); status != http.StatusOK || string(b) != `{"faults":[]}` {
		t.Errorf("clearing: %d %s", status, b)
	}
	if got := statuses(r.push(batch(event("b", 2)))); got != "b=accepted" {
		t.Errorf("after clearing: %s", got)
	}
}

func TestFaultPoison(t *testing.T) {
	r := newRig(t)
	r.fault(`{"kind":"poison","match":"\"id\":\"bad\"","mode":"reject","count":1}`)
	res := r.push(batch(event("a", 1), event("bad", 2), event("c", 3)))
	if got := statuses(res); got != "a=accepted bad=rejected c=accepted" || res[1].Code != "poison" || res[1].Reason == "" {
		t.Fatalf("poison reject: %+v", res)
	}
	// matched once: gone
	if got := statuses(r.push(batch(event("bad", 2)))); got != "bad=accepted" {
		t.Errorf("after: %s", got)
	}

	r.fault(`{"kind":"poison","match":"SKU00001","mode":"batch"}`)
	status, b, _ := r.send(r.request(batch(event("d", 4)), testNow, nil))
	if status != http.StatusUnprocessableEntity || !strings.Contains(string(b), `"batch.poison"`) {
		t.Errorf("poison batch: %d %s", status, b)
	}
	if got := strings.Join(r.receivedIDs(), ","); got != "a,c,bad" {
		t.Errorf("received %s", got)
	}
	// a batch without the match passes; the fault stays (count 0)
	other := `{"id":"e","seq":5,"type":"stock.adjusted","at":"2026-01-01T00:00:00Z","owner":"DEFAULT","data":{"sku":"SKU00009","delta":1,"reason":"found"}}`
	if got := statuses(r.push(batch(other))); got != "e=accepted" {
		t.Errorf("other batch: %s", got)
	}
	if fs := r.oms.faults.list(); len(fs) != 1 || fs[0].Kind != FaultPoison {
		t.Errorf("faults %+v", fs)
	}
}

func TestFaultsAPI(t *testing.T) {
	r := newRig(t)
	r.fault(`[{"kind":"error","status":500,"count":3,"path":"changes"},{"kind":"drop"}]`)
	status, b := r.admin("GET", "/admin/faults", "")
	var got faultList
	if err := json.Unmarshal(b, &got); err != nil || status != 200 || len(got.Faults) != 2 ||
		got.Faults[0].ID != 1 || got.Faults[0].Left != 3 || got.Faults[1].Kind != FaultDrop || got.Faults[1].Count != 0 {
		t.Fatalf("faults: %d %s", status, b)
	}
	for _, body := range []string{`{"kind":"error","status":404}`, `{"kind":"boom"}`, `{"kind":"slow"}`, `[]`, `{"kind":"drop","delay_ms":5}`} {
		if status, b := r.admin("POST", "/admin/faults", body); status != http.StatusBadRequest || !strings.Contains(string(b), "fault.invalid") {
			t.Errorf("%s: %d %s", body, status, b)
		}
	}
	// the first matching fault hits: changes get the error, the rest the drop
	if status, _, _ := r.get(testBase + "/changes"); status != 500 {
		t.Errorf("changes: %d", status)
	}
	status, b = r.admin("GET", "/admin/requests", "")
	var reqs struct{ Requests []Request }
	if err := json.Unmarshal(b, &reqs); err != nil || status != 200 || len(reqs.Requests) != 1 || reqs.Requests[0].Method != "GET" || reqs.Requests[0].Status != 500 {
		t.Errorf("requests: %d %s", status, b)
	}
}

func FuzzDecodeFaults(f *testing.F) {
	f.Add([]byte(`{"kind":"error","status":503,"count":2,"path":"events"}`))
	f.Add([]byte(`[{"kind":"poison","match":"x","mode":"batch"},{"kind":"skew","skew_s":-900}]`))
	f.Add([]byte(`{"kind":"slow","delay_ms":1}`))
	f.Add([]byte(`{"kind":"ratelimit","retry_after_s":1}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		fs, err := DecodeFaults(body)
		if err != nil {
			if fs != nil {
				t.Fatal("faults returned with an error")
			}
			return
		}
		if len(fs) == 0 || len(fs) > maxFaults {
			t.Fatalf("%d faults", len(fs))
		}
		for _, f := range fs {
			ok := true
			switch f.Kind {
			case FaultError:
				ok = f.Status == 500 || f.Status == 502 || f.Status == 503
			case FaultSlow:
				ok = f.DelayMS >= 1 && f.DelayMS <= maxDelayMS
			case FaultRateLimit:
				ok = f.RetryAfterS >= 1 && f.RetryAfterS <= maxRetryAfter
			case FaultSkew:
				ok = f.SkewS != 0 && f.SkewS <= maxSkewS && f.SkewS >= -maxSkewS
			case FaultPoison:
				ok = f.Match != "" && len(f.Match) <= maxMatch && (f.Mode == "reject" || f.Mode == "batch") && f.Path == "events"
			case FaultDrop, FaultLost:
			default:
				ok = false
			}
			if !ok || f.Count < 0 || f.Count > maxCount || f.Left != f.Count {
				t.Fatalf("passed %+v", f)
			}
		}
	})
}

func FuzzDecodeChange(f *testing.F) {
	f.Add([]byte(`{"type":"order","owner":"BEIBEI","id":"x","data":{"no":"A"}}`))
	f.Add([]byte(`{"type":"waybills","data":{"account":"SF","numbers":["SF1"]}}`))
	f.Add([]byte(`{"type":"sku","data":[]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := DecodeChange(body)
		if err != nil {
			return
		}
		if !validOwner(c.Owner) || len(c.ID) > MaxID || (c.ID != "" && !printable(c.ID)) {
			t.Fatalf("envelope %+v", c)
		}
		if len(c.Data) == 0 || c.Data[0] != '{' || !json.Valid(c.Data) || len(c.Data) > MaxChangeData {
			t.Fatalf("data %q", c.Data)
		}
		known := false
		for _, typ := range ChangeTypes {
			known = known || typ == c.Type
		}
		if !known {
			t.Fatalf("type %q", c.Type)
		}
	})
}
