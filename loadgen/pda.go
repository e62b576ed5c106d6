package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/url"
	"time"

	"github.com/google/uuid"
)

// task is a task as the server sends it.
type task struct {
	ID    string     `json:"id"`
	Kind  string     `json:"kind"` // pick, putback, count
	Mode  string     `json:"mode"`
	State string     `json:"state"`
	Lines []taskLine `json:"lines"`
}

// taskLine is one stop of a task.
type taskLine struct {
	N          int      `json:"n"`
	Order      string   `json:"order"`
	SKU        string   `json:"sku"`
	GTINs      []string `json:"gtins"`
	LotTracked bool     `json:"lot_tracked"`
	Lot        string   `json:"lot"`
	Location   string   `json:"location"`
	Qty        int64    `json:"qty"`
	Done       int64    `json:"done"`
	Short      int64    `json:"short"`
	Cancelled  bool     `json:"cancelled"`
}

// open is what is still to do on the line.
func (l taskLine) open() int64 {
	if l.Cancelled {
		return 0
	}
	return l.Qty - l.Done - l.Short
}

func (t *task) line(n int) *taskLine {
	for i := range t.Lines {
		if t.Lines[i].N == n {
			return &t.Lines[i]
		}
	}
	return nil
}

// nextOpen is the first line in walking order with work left that the
// handheld has not given up on.
func (t *task) nextOpen(skip map[int]bool) *taskLine {
	for i := range t.Lines {
		if t.Lines[i].open() > 0 && !skip[t.Lines[i].N] {
			return &t.Lines[i]
		}
	}
	return nil
}

// scanCode is what a scanner reads off the line's item: the EAN-13 of a plain
// item, or for a lot-tracked one a GS1 code with its GTIN and lot.
func scanCode(l taskLine) string {
	if len(l.GTINs) == 0 || len(l.GTINs[0]) != 14 {
		return ""
	}
	gtin := l.GTINs[0]
	if l.LotTracked && l.Lot != "" {
		return "]C101" + gtin + "10" + l.Lot
	}
	if gtin[0] == '0' {
		return gtin[1:]
	}
	return gtin
}

// scanBody is the body of POST /api/v1/tasks/{id}/scans.
type scanBody struct {
	Type     string   `json:"type"`
	Line     int      `json:"line,omitempty"`
	Location string   `json:"location,omitempty"`
	Codes    []string `json:"codes,omitempty"`
	Qty      int64    `json:"qty,omitempty"`
	Reason   string   `json:"reason,omitempty"`
	Step     string   `json:"step,omitempty"`
	Code     string   `json:"code,omitempty"`
}

// outcome is how the server answered a scan.
type outcome int

const (
	scanOK       outcome = iota // 2xx
	scanConflict                // 409: a legitimate refusal (stock short, line changed)
	scanRefused                 // another 4xx: a bug on one side or the other
	scanFailed                  // transport error or 5xx, after retries
	scanStopped                 // the run ended
)

// pda is one simulated handheld.
type pda struct {
	r      *runner
	device string
	lat    []time.Duration // latencies of acknowledged scans; read after the run

	current string       // the task in hand
	skip    map[int]bool // lines of the current task given up on

	sched     *schedule // an open-loop run's scan times; nil in a closed loop
	firstSlot time.Time // the schedule's first slot
	held      *task     // a task taken before the run (open loop's warm-up)
}

// run takes tasks and works them until ctx ends.
func (p *pda) run(ctx context.Context) {
	r := p.r
	for ctx.Err() == nil {
		var t task
		var err error
		if p.held != nil {
			t, p.held = *p.held, nil
		} else {
			err = r.c.postJSON(ctx, "/api/v1/tasks/next", p.device, "", nil, &t)
		}
		if ctx.Err() != nil {
			return
		}
		var ae *apiError
		switch {
		case err == nil:
		case errors.As(err, &ae) && ae.Status == http.StatusNotFound && ae.Code == "not_found":
			r.cnt.idle.Add(1)
			r.feeder.nudge()
			sleep(ctx, jitter(idleBackoffMin, 4*idleBackoffMin))
			if p.sched != nil {
				p.sched.letGo(time.Now()) // nothing to scan meanwhile
			}
			continue
		case errors.As(err, &ae) && ae.Status == http.StatusConflict:
			// every claimant raced for the same open task and lost: ask again
			r.cnt.busy.Add(1)
			sleep(ctx, jitter(time.Millisecond, busyBackoffMax))
			continue
		default:
			r.cnt.fail("POST /api/v1/tasks/next", err)
			sleep(ctx, errorBackoff)
			continue
		}
		if t.ID != p.current {
			p.current, p.skip = t.ID, map[int]bool{}
			r.cnt.tasks.Add(1)
		}
		if !p.work(ctx, &t) {
			// nothing done: a task of a kind handhelds do not work, or only
			// lines given up on; do not spin on it
			sleep(ctx, errorBackoff)
		}
	}
}

// work does the task's open lines in walking order. It reports whether any
// scan was acknowledged.
func (p *pda) work(ctx context.Context, t *task) (progress bool) {
	if t.Kind != "pick" && t.Kind != "putback" {
		return false
	}
	for ctx.Err() == nil {
		l := t.nextOpen(p.skip)
		if l == nil {
			return progress
		}
		var next *task
		var ok bool
		if t.Kind == "pick" {
			next, ok = p.pickLine(ctx, t, *l)
		} else {
			next, ok = p.putBackLine(ctx, t, *l)
		}
		if !ok {
			p.skip[l.N] = true
		}
		progress = progress || ok
		if next == nil {
			return progress // ask the server where the task stands
		}
		t = next
	}
	return progress
}

// pickLine picks the line's open quantity: unit by unit when it is one or
// two, else one scan with a typed count. Now and then a wrong location is
// scanned first. A refused pick is reported short. It returns the task as the
// server last answered (nil when unknown) and whether the line was done.
func (p *pda) pickLine(ctx context.Context, t *task, l taskLine) (*task, bool) {
	code := scanCode(l)
	if code == "" { // nothing a scanner could read: the shelf has no such item
		return p.short(ctx, t.ID, l.N)
	}
	if rand.Float64() < rejectShare {
		p.r.cnt.rejects.Add(1)
		if _, out := p.scan(ctx, t.ID, scanBody{Type: "reject", Line: l.N, Step: "location",
			Code: p.wrongLocation(l.Location), Reason: "pick.wrong_location"}); out == scanStopped {
			return nil, false
		}
	}
	unit := l.open() <= 2
	cur := t
	for range l.open() + 1 {
		line := cur.line(l.N)
		if line == nil || line.open() <= 0 {
			return cur, true
		}
		qty := line.open()
		if unit {
			qty = 1
		}
		next, out := p.scan(ctx, cur.ID, scanBody{Type: "pick", Line: l.N, Location: line.Location, Codes: []string{code}, Qty: qty})
		switch out {
		case scanOK:
			if next == nil {
				return nil, true
			}
			cur = next
		case scanConflict:
			return p.short(ctx, cur.ID, l.N)
		default:
			return nil, false
		}
	}
	return cur, false
}

// short reports the line short: the shelf did not give what it should.
func (p *pda) short(ctx context.Context, id string, n int) (*task, bool) {
	p.r.cnt.shorts.Add(1)
	next, out := p.scan(ctx, id, scanBody{Type: "short", Line: n, Reason: "empty"})
	return next, out == scanOK
}

// putBackLine puts the line's units back on their shelf, unit by unit when
// one or two, else with a typed count.
func (p *pda) putBackLine(ctx context.Context, t *task, l taskLine) (*task, bool) {
	unit := l.open() <= 2
	cur := t
	for range l.open() + 1 {
		line := cur.line(l.N)
		if line == nil || line.open() <= 0 {
			return cur, true
		}
		qty := line.open()
		if unit {
			qty = 1
		}
		next, out := p.scan(ctx, cur.ID, scanBody{Type: "putback", Line: l.N, Location: line.Location, Qty: qty})
		if out != scanOK || next == nil {
			return next, out == scanOK
		}
		cur = next
	}
	return cur, false
}

// wrongLocation is a shelf next to the right one, as a picker in a hurry scans.
func (p *pda) wrongLocation(right string) string {
	locs := p.r.locations
	for range 4 {
		if len(locs) == 0 {
			break
		}
		if l := locs[rand.IntN(len(locs))]; l != right {
			return l
		}
	}
	if right == "A01-01-01" {
		return "A01-01-02"
	}
	return "A01-01-01"
}

// scan sends one scan, retrying with the same Idempotency-Key after a
// transport error or a 5xx, and counts it. It returns the task the server
// answered with (nil when the answer had none).
func (p *pda) scan(ctx context.Context, id string, body scanBody) (*task, outcome) {
	raw, err := json.Marshal(body)
	if err != nil {
		panic(err) // plain struct
	}
	req := request{method: http.MethodPost, path: "/api/v1/tasks/" + url.PathEscape(id) + "/scans", device: p.device,
		idemKey: uuid.NewString(), contentType: "application/json", body: raw, auth: true}
	what := "POST /api/v1/tasks/{id}/scans " + body.Type
	var due time.Time // open loop: when the scan was due, the start of its latency
	if p.sched != nil {
		due = p.sched.take()
		if !sleep(ctx, time.Until(due)) {
			return nil, scanStopped
		}
	}
	// a scan's latency runs from its first attempt (closed loop) or its due
	// time (open loop) to its answer: retries and their waits are in it
	start := time.Now()
	if !due.IsZero() {
		start = due
	}
	for attempt := 1; ; attempt++ {
		answer, err := p.r.c.do(ctx, req)
		took := time.Since(start)
		if ctx.Err() != nil {
			return nil, scanStopped // abandoned at the end of the run: not measured
		}
		status := statusOf(err)
		switch {
		case err == nil:
			p.acknowledged(took)
			p.r.sizes.add(len(raw), len(answer))
			var ans struct {
				Task *task `json:"task"`
			}
			if err := json.Unmarshal(answer, &ans); err != nil || ans.Task == nil || ans.Task.ID == "" {
				p.r.cnt.fail(what+" answer", errors.New("answer without a task: "+string(answer[:min(len(answer), 120)])))
				return nil, scanOK
			}
			return ans.Task, scanOK
		case status == http.StatusConflict:
			p.acknowledged(took)
			p.r.cnt.conflicts.Add(1)
			return nil, scanConflict
		case status >= 400 && status < 500:
			p.r.cnt.fail(what, err)
			return nil, scanRefused
		}
		p.r.cnt.fail(what, err)
		if attempt >= scanAttempts || !sleep(ctx, time.Duration(attempt)*50*time.Millisecond) {
			if ctx.Err() != nil {
				return nil, scanStopped
			}
			return nil, scanFailed
		}
	}
}

// acknowledged counts a scan the server answered as a handheld expects.
func (p *pda) acknowledged(took time.Duration) {
	p.r.cnt.events.Add(1)
	p.lat = append(p.lat, took)
}
