package syncer

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"tally/wms"
)

// The cursor never passes an event without a result: answers that leave
// some out, and answers in another order than the batch.
func TestCursorNeverPassesAnUnacknowledgedEvent(t *testing.T) {
	r := newRig(t, Options{Batch: 10})
	o := newOMS(t)
	r.upstream("oms", o.url(), "")
	r.orders("", 1, 25)
	want := r.outbox("oms", "")
	if len(want) < 25 {
		t.Fatalf("outbox holds %d events", len(want))
	}
	// the first answer leaves out the batch's fourth event and lists the rest backwards
	first := true
	o.push = func(w http.ResponseWriter, ids []string, events []json.RawMessage) bool {
		if !first {
			return false
		}
		first = false
		res := o.accept(slices.Delete(slices.Clone(ids), 3, 4), slices.Delete(slices.Clone(events), 3, 4))
		slices.Reverse(res)
		reply(w, 200, map[string]any{"results": res})
		return true
	}
	k := r.link("oms")
	if _, err := k.pushBatch(bg, k.config()); err != nil {
		t.Fatal(err)
	}
	if st := r.state("oms"); st.PushedThrough != want[2].Seq || st.Acked != 3 {
		t.Fatalf("cursor %d after %d acks, want %d (the last before the unanswered event)", st.PushedThrough, st.Acked, want[2].Seq)
	}
	for {
		more, err := k.pushBatch(bg, k.config())
		if err != nil {
			t.Fatal(err)
		}
		if !more {
			break
		}
	}
	if st := r.state("oms"); st.PushedThrough != want[len(want)-1].Seq {
		t.Errorf("cursor %d, want %d", st.PushedThrough, want[len(want)-1].Seq)
	}
	exactlyOnce(t, o, want)
	// the unanswered event went again with the ones after it, which were duplicates
	reqs := o.requests()
	if len(reqs) < 2 || reqs[1].ids[0] != want[3].ID {
		t.Errorf("the second push starts with %v, want %s", reqs[1].ids[:1], want[3].ID)
	}
}

// A batch that fills up moves the cursor to its last event, not to the
// log's end: the events after it still wait.
func TestFullBatchDoesNotJumpTheCursor(t *testing.T) {
	r := newRig(t, Options{Batch: 5})
	o := newOMS(t)
	r.upstream("oms", o.url(), "")
	r.orders("", 1, 12)
	want := r.outbox("oms", "")
	k := r.link("oms")
	more, err := k.pushBatch(bg, k.config())
	if err != nil || !more {
		t.Fatalf("more %v, %v", more, err)
	}
	st := r.state("oms")
	if st.PushedThrough != want[4].Seq || st.PushedThrough >= r.l.LastSeq() {
		t.Fatalf("cursor %d, want the fifth event %d (log ends at %d)", st.PushedThrough, want[4].Seq, r.l.LastSeq())
	}
	var status UpstreamStatus
	k.status(&status)
	if status.Backlog != len(want)-5 {
		t.Errorf("backlog %d, want %d", status.Backlog, len(want)-5)
	}
	// restarted (a new link reads the cursor), it carries on from there
	k2 := r.link("oms")
	for {
		more, err := k2.pushBatch(bg, k2.config())
		if err != nil {
			t.Fatal(err)
		}
		if !more {
			break
		}
	}
	exactlyOnce(t, o, want)
	if reqs := o.requests(); len(reqs[0].ids) != 5 {
		t.Errorf("first batch %d events", len(reqs[0].ids))
	}
}

// A batch with a poison event is answered 422 whole: halved down to the
// event, which is dead-lettered with the answer's code, and the rest flows.
// Retried by a supervisor once the OMS takes it, it is resolved.
func TestPoisonIsDeadLetteredAndTheRestFlows(t *testing.T) {
	r := newRig(t, Options{Batch: 16})
	o := newOMS(t)
	r.upstream("oms", o.url(), "")
	r.orders("", 1, 30)
	want := r.outbox("oms", "")
	poison := want[11]
	poisoned := true
	o.push = func(w http.ResponseWriter, ids []string, events []json.RawMessage) bool {
		if poisoned && slices.Contains(ids, poison.ID) {
			reply(w, 422, errorBody{Error: "order SO00012 names a SKU the OMS does not know", Code: "sku.unknown"})
			return true
		}
		return false
	}
	k := r.link("oms")
	for i := 0; ; i++ {
		more, err := k.pushBatch(bg, k.config())
		if err != nil {
			t.Fatal(err)
		}
		if !more {
			break
		}
		if i > 100 {
			t.Fatal("no end")
		}
	}
	dead, err := r.l.DeadLetters("oms")
	if err != nil || len(dead) != 1 {
		t.Fatalf("dead letters %+v %v", dead, err)
	}
	if d := dead[0]; d.Seq != poison.Seq || d.ID != poison.ID || d.Code != "sku.unknown" || d.Reason == "" {
		t.Errorf("dead letter %+v", d)
	}
	if st := r.state("oms"); st.PushedThrough != want[len(want)-1].Seq || st.Dead != 1 {
		t.Errorf("state %+v", st)
	}
	rest := slices.DeleteFunc(slices.Clone(want), func(o wms.Outward) bool { return o.ID == poison.ID })
	exactlyOnce(t, o, rest)
	// batches were halved: 16, 8, 4, 2, 1 around the poison
	sizes := map[int]bool{}
	for _, rq := range o.requests() {
		sizes[len(rq.ids)] = true
	}
	for _, n := range []int{16, 8, 4, 2, 1} {
		if !sizes[n] {
			t.Errorf("no batch of %d (sizes %v)", n, sizes)
		}
	}

	// a supervisor retries it while the OMS still refuses it: one more attempt
	o.mu.Lock()
	o.reject[poison.ID] = true
	o.mu.Unlock()
	poisoned = false
	if _, err := r.l.DecideDeadLetter(bg, "retry-1", wms.DeadLetterDecision{Upstream: "oms", Seq: poison.Seq, Action: "retry"}, "B4001", "test"); err != nil {
		t.Fatal(err)
	}
	dl, _ := r.l.DeadLetters("oms")
	if err := k.pushRetries(bg, k.config(), dl); err != nil {
		t.Fatal(err)
	}
	if dl, _ = r.l.DeadLetters("oms"); len(dl) != 1 || dl[0].State != wms.DeadOpen || dl[0].Attempts != 2 {
		t.Fatalf("refused again: %+v", dl)
	}
	// then the OMS learns the SKU and the retry resolves it
	o.mu.Lock()
	delete(o.reject, poison.ID)
	o.mu.Unlock()
	if _, err := r.l.DecideDeadLetter(bg, "retry-2", wms.DeadLetterDecision{Upstream: "oms", Seq: poison.Seq, Action: "retry"}, "B4001", "test"); err != nil {
		t.Fatal(err)
	}
	dl, _ = r.l.DeadLetters("oms")
	if err := k.pushRetries(bg, k.config(), dl); err != nil {
		t.Fatal(err)
	}
	if dl, _ = r.l.DeadLetters("oms"); len(dl) != 0 {
		t.Errorf("still dead: %+v", dl)
	}
	if st := r.state("oms"); st.Dead != 0 {
		t.Errorf("dead count %d", st.Dead)
	}
	exactlyOnce(t, o, want)
}

// A rejected result dead-letters the event and acknowledges it for the cursor.
func TestRejectedResultIsDeadLettered(t *testing.T) {
	r := newRig(t, Options{})
	o := newOMS(t)
	r.upstream("oms", o.url(), "")
	r.orders("", 1, 5)
	want := r.outbox("oms", "")
	o.reject[want[2].ID] = true
	k := r.link("oms")
	if _, err := k.pushBatch(bg, k.config()); err != nil {
		t.Fatal(err)
	}
	dl, _ := r.l.DeadLetters("oms")
	if len(dl) != 1 || dl[0].ID != want[2].ID || dl[0].Code != "sku.unknown" {
		t.Errorf("dead letters %+v", dl)
	}
	if st := r.state("oms"); st.PushedThrough != want[len(want)-1].Seq {
		t.Errorf("cursor %d", st.PushedThrough)
	}
}

// 429 with Retry-After: no request to the upstream before it; then the
// backlog drains.
func TestRetryAfterIsHonoured(t *testing.T) {
	r := newRig(t, Options{})
	o := newOMS(t)
	r.upstream("oms", o.url(), "")
	r.orders("", 1, 3)
	want := r.outbox("oms", "")
	var limited time.Time // written under o.mu: the hook runs holding nothing, so take it
	o.push = func(w http.ResponseWriter, ids []string, events []json.RawMessage) bool {
		o.mu.Lock()
		defer o.mu.Unlock()
		if limited.IsZero() {
			limited = time.Now()
			w.Header().Set("Retry-After", "2")
			reply(w, 429, errorBody{Error: "slow down", Code: "rate.limited"})
			return true
		}
		return false
	}
	r.run()
	eventually(t, "the backlog drains", func() bool { return len(o.accepted()) == len(want) })
	o.mu.Lock()
	at := limited
	o.mu.Unlock()
	for _, rq := range o.requests() {
		if rq.at.After(at) && rq.at.Before(at.Add(2*time.Second-50*time.Millisecond)) {
			t.Errorf("%s %s at +%s, before Retry-After", rq.method, rq.path, rq.at.Sub(at))
		}
	}
	exactlyOnce(t, o, want)
}

// 5xx answers back off, longer each time, online false; a success resets.
func TestBackoffGrowsAndResets(t *testing.T) {
	b := backoff{base: time.Second, max: 5 * time.Minute, rand: func() float64 { return 0.999999 }}
	var last time.Duration
	for i := 1; i <= 12; i++ {
		d := b.next()
		if d < last || d > 5*time.Minute {
			t.Errorf("failure %d waits %s after %s", i, d, last)
		}
		last = d
	}
	if last < 4*time.Minute {
		t.Errorf("the twelfth failure waits %s, want near the 5 min cap", last)
	}
	b.reset()
	if d := b.next(); d > 2*time.Second {
		t.Errorf("after a reset the first wait is %s", d)
	}
	zero := backoff{base: time.Second, max: time.Minute, rand: func() float64 { return 0 }}
	if d := zero.next(); d != 0 {
		t.Errorf("full jitter starts at 0, got %s", d)
	}

	r := newRig(t, Options{Rand: func() float64 { return 0.999 }, BackoffBase: 20 * time.Millisecond, BackoffMax: time.Second})
	o := newOMS(t)
	r.upstream("oms", o.url(), "")
	r.orders("", 1, 2)
	failures := 0
	o.push = func(w http.ResponseWriter, ids []string, events []json.RawMessage) bool {
		if failures < 4 {
			failures++
			reply(w, 503, errorBody{Error: "down for maintenance", Code: "unavailable"})
			return true
		}
		return false
	}
	r.run()
	eventually(t, "the push gets through", func() bool { return len(o.accepted()) > 0 })
	var pushes []time.Time
	for _, rq := range o.requests() {
		if rq.method == http.MethodPost {
			pushes = append(pushes, rq.at)
		}
	}
	if len(pushes) != 5 {
		t.Fatalf("%d pushes, want 4 failures and a success", len(pushes))
	}
	for i := 1; i < len(pushes); i++ {
		min := time.Duration(float64(20*time.Millisecond<<i) * 0.9)
		if gap := pushes[i].Sub(pushes[i-1]); gap < min {
			t.Errorf("gap %d is %s, want at least %s", i, gap, min)
		}
	}
	k := r.s.link("oms")
	eventually(t, "online again", func() bool {
		var st UpstreamStatus
		k.status(&st)
		return st.Online && st.NextTry == nil && st.LastSuccess != nil
	})
	var st UpstreamStatus
	k.status(&st)
	if st.LastError == "" {
		t.Error("the last error is not shown after a recovery")
	}
}

// A warehouse clock 15 minutes off either way gets through: the first
// request's 401 carries the OMS's Date, and the request is signed again
// with the corrected clock at once.
func TestClockSkewIsCorrectedFromDate(t *testing.T) {
	for _, skew := range []time.Duration{15 * time.Minute, -15 * time.Minute} {
		t.Run(skew.String(), func(t *testing.T) {
			r := newRig(t, Options{})
			o := newOMS(t)
			o.skew = skew
			r.upstream("oms", o.url(), "")
			r.orders("", 1, 3)
			want := r.outbox("oms", "")
			k := r.link("oms")
			if _, err := k.pushBatch(bg, k.config()); err != nil {
				t.Fatal(err)
			}
			reqs := o.requests()
			if len(reqs) != 2 {
				t.Fatalf("%d requests, want the refused one and its retry", len(reqs))
			}
			exactlyOnce(t, o, want)
			if off := k.clockOffset(); off < skew-2*time.Second || off > skew+2*time.Second {
				t.Errorf("offset %s, want about %s", off, skew)
			}
		})
	}
}

// Two upstreams for different owners each get only their owner's events,
// each with its own cursor.
func TestTwoUpstreamsGetTheirOwnersEvents(t *testing.T) {
	r := newRig(t, Options{})
	mine, theirs := newOMS(t), newOMS(t)
	r.upstream("oms-default", mine.url(), wms.DefaultOwner)
	r.upstream("oms-beibei", theirs.url(), wms.DemoOwner.Code)
	r.orders("", 1, 4)
	r.orders(wms.DemoOwner.Code, 1, 3)
	wantMine, wantTheirs := r.outbox("oms-default", wms.DefaultOwner), r.outbox("oms-beibei", wms.DemoOwner.Code)
	r.run()
	eventually(t, "both drain", func() bool {
		return len(mine.accepted()) == len(wantMine) && len(theirs.accepted()) == len(wantTheirs)
	})
	exactlyOnce(t, mine, wantMine)
	exactlyOnce(t, theirs, wantTheirs)
	for _, id := range theirs.accepted() {
		var ev struct {
			Owner string          `json:"owner"`
			Data  json.RawMessage `json:"data"`
		}
		theirs.mu.Lock()
		_ = json.Unmarshal(theirs.got[id], &ev)
		theirs.mu.Unlock()
		if ev.Owner != "" && ev.Owner != wms.DemoOwner.Code {
			t.Errorf("BEIBEI's upstream got %s's event %s", ev.Owner, id)
		}
	}
	// new events are pushed while online, within seconds
	r.orders("", 100, 1)
	eventually(t, "a new order pushed", func() bool { return len(mine.accepted()) == len(wantMine)+1 })
	if got := len(theirs.accepted()); got != len(wantTheirs) {
		t.Errorf("BEIBEI's upstream got the default owner's order")
	}
	eventually(t, "cursors recorded", func() bool {
		return r.state("oms-default").PushedThrough > r.state("oms-beibei").PushedThrough
	})
}
