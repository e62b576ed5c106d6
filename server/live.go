package server

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"tally/views"
	"tally/wms"
)

// The live floor: GET /floor/live is the page (a plain reload shows the
// floor as it stands), GET /floor/live/events the stream that keeps it
// current. The stream wakes on the ledger's commit bell, renders the page's
// fragments again at most once per gap, and sends those whose HTML changed
// as server-sent events named by the fragment's element ID; a heartbeat
// event goes out every heartbeat, and the fragments are rendered again then
// too (the pick rate and the ages of last scans move with the clock).

const (
	liveMaxStreams = 50
	liveHeartbeat  = 15 * time.Second
	liveGap        = time.Second
	// liveWriteWait is how long one write to a live stream may take; past
	// it the viewer is gone. It replaces the server's WriteTimeout, which
	// would otherwise end every stream after two minutes.
	liveWriteWait = 30 * time.Second
	// liveIdleAfter marks a person holding a task who has not scanned for
	// this long.
	liveIdleAfter = 5 * time.Minute
	// liveCutoffsMax is the most text the cut-off form takes.
	liveCutoffsMax = 2000
)

// liveStreams counts the open streams against a limit, and keeps the last
// reading of the floor in each language, so that every screen woken by one
// commit shares one read of the ledger.
type liveStreams struct {
	max       int64
	heartbeat time.Duration
	gap       time.Duration
	open      atomic.Int64

	mu    sync.Mutex
	cache map[string]liveReading // by language
}

// liveReading is the floor as read after the ledger's event seq, in the
// clock's second sec.
type liveReading struct {
	seq   uint64
	sec   int64
	floor views.LiveFloor
}

func newLiveStreams() *liveStreams {
	return &liveStreams{max: liveMaxStreams, heartbeat: liveHeartbeat, gap: liveGap, cache: map[string]liveReading{}}
}

// sharedFloor is liveFloor read at most once per language, ledger event and
// second of the clock, however many streams ask. The sequence number is
// taken before the read: a reading may hold a later commit than its label
// says, never an older one.
func (s *Server) sharedFloor(lang string) (views.LiveFloor, error) {
	seq, sec := s.ledger.LastSeq(), s.ledger.Now().Unix()
	ls := s.live
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if r, ok := ls.cache[lang]; ok && r.seq == seq && r.sec == sec {
		return r.floor, nil
	}
	f, err := s.liveFloor(lang)
	if err != nil {
		return f, err
	}
	ls.cache[lang] = liveReading{seq: seq, sec: sec, floor: f}
	return f, nil
}

func (ls *liveStreams) acquire() bool {
	if ls.open.Add(1) > ls.max {
		ls.open.Add(-1)
		return false
	}
	return true
}

func (ls *liveStreams) release() { ls.open.Add(-1) }

// livePage is the wall screen.
func (s *Server) livePage(c *fiber.Ctx) error {
	vm, err := s.liveModel(c)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, views.LiveFloorScreen(vm))
}

func (s *Server) liveModel(c *fiber.Ctx) (views.LiveFloorPage, error) {
	vm := views.LiveFloorPage{Page: s.page(c, "live.title")}
	var err error
	if vm.Floor, err = s.liveFloor(lang(c)); err != nil {
		return vm, err
	}
	settings, err := s.ledger.Settings()
	if err != nil {
		return vm, err
	}
	vm.Cutoffs = cutoffText(settings.Cutoffs)
	return vm, nil
}

// liveFloor reads the floor and words it for lang.
func (s *Server) liveFloor(lang string) (views.LiveFloor, error) {
	f, err := s.ledger.LiveFloor()
	if err != nil {
		return views.LiveFloor{}, err
	}
	zone := s.ledger.Zone()
	clock := func(t time.Time) string { return t.In(zone).Format("15:04:05") }
	hm := func(t time.Time) string { return t.In(zone).Format("15:04") }
	out := views.LiveFloor{At: clock(f.At), RateLines: f.RateLines, Partial: f.Partial}
	for _, w := range f.Waves {
		out.Waves = append(out.Waves, views.LiveWave{ID: w.ID, Created: hm(w.Created), Orders: w.Orders, Done: w.LinesDone, Lines: w.Lines})
	}
	opts, err := s.ownerOptions(lang)
	if err != nil {
		return out, err
	}
	owners := views.OwnerFilter{Options: opts}
	row := map[string]int{}
	for _, st := range wms.OpenOrderStates {
		out.States = append(out.States, "orderstate."+string(st))
	}
	for _, oc := range f.Orders {
		i, ok := row[oc.Owner]
		if !ok {
			i = len(out.Orders)
			row[oc.Owner] = i
			out.Orders = append(out.Orders, views.LiveOwnerOrders{Owner: owners.Name(oc.Owner) + " " + oc.Owner, Counts: make([]int, len(out.States))})
		}
		out.Orders[i].Counts[slices.Index(wms.OpenOrderStates, oc.State)] = oc.N
	}
	slices.SortFunc(out.Orders, func(a, b views.LiveOwnerOrders) int { return strings.Compare(a.Owner, b.Owner) })
	for _, b := range f.Backlog {
		lc := views.LiveCarrier{Carrier: b.Carrier, Orders: b.Orders, Lines: b.Lines, Cutoff: b.Cutoff, Late: b.Late}
		if b.Finish != nil {
			lc.Finish = hm(*b.Finish)
			if b.Lines == 0 {
				lc.Finish = hm(f.At)
			}
		}
		out.Backlog = append(out.Backlog, lc)
	}
	name := s.people()
	for _, p := range f.People {
		lp := views.LivePerson{Name: name(p.Actor), Task: p.Task, Done: p.LinesDone, Lines: p.Lines}
		if p.Task != "" {
			lp.Kind = "taskkind." + string(p.Kind)
		}
		if !p.LastScan.IsZero() {
			lp.LastScan = clock(p.LastScan)
			lp.AgeMin = int(f.At.Sub(p.LastScan) / time.Minute)
		}
		lp.Idle = p.Task != "" && (p.LastScan.IsZero() || f.At.Sub(p.LastScan) >= liveIdleAfter)
		out.People = append(out.People, lp)
	}
	exc, err := s.ledger.Exceptions(wms.ExceptionFilter{})
	if err != nil {
		return out, err
	}
	for _, k := range wms.ExceptionKinds {
		out.Exceptions = append(out.Exceptions, views.LiveExceptionCount{Kind: k, N: exc.Counts[k]})
	}
	return out, nil
}

// liveEvents is the page's stream (text/event-stream).
func (s *Server) liveEvents(c *fiber.Ctx) error {
	if c.Method() != fiber.MethodGet {
		return c.SendStatus(fiber.StatusMethodNotAllowed)
	}
	if !s.live.acquire() {
		c.Set(fiber.HeaderRetryAfter, "60")
		c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
		return c.Status(fiber.StatusServiceUnavailable).SendString(
			views.Translate(lang(c), "live.too_many_streams", map[string]string{"max": strconv.FormatInt(s.live.max, 10)}))
	}
	c.Locals(localLongPoll, true)
	c.Set(fiber.HeaderContentType, "text/event-stream; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("X-Accel-Buffering", "no") // a proxy in front must not hold the events back
	l := lang(c)
	conn := c.Context().Conn()
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		defer s.live.release()
		s.streamLive(s.closing, &liveWriter{w: w, conn: conn}, l)
	})
	return nil
}

// liveWriter writes server-sent events, each flushed at once within
// liveWriteWait.
type liveWriter struct {
	w    *bufio.Writer
	conn net.Conn
}

// send writes one event; data may hold newlines (each line its own data: field).
func (lw *liveWriter) send(event, data string) error {
	if lw.conn != nil {
		_ = lw.conn.SetWriteDeadline(time.Now().Add(liveWriteWait))
	}
	var b bytes.Buffer
	b.WriteString("event: " + event + "\n")
	for _, line := range strings.Split(data, "\n") {
		b.WriteString("data: " + strings.TrimSuffix(line, "\r") + "\n")
	}
	b.WriteString("\n")
	if _, err := lw.w.Write(b.Bytes()); err != nil {
		return err
	}
	return lw.w.Flush()
}

// streamLive sends the fragments that changed until ctx ends (the server
// shuts down) or a write fails (the viewer left).
func (s *Server) streamLive(ctx context.Context, lw *liveWriter, lang string) {
	// tell the browser to come back soon when the stream ends (a restart)
	if _, err := lw.w.WriteString("retry: 2000\n\n"); err != nil {
		return
	}
	sent := map[string]string{}
	beat := time.NewTicker(s.live.heartbeat)
	defer beat.Stop()
	var last time.Time
	for {
		// take the bell before reading, so a commit during the render rings it
		bell := s.ledger.Committed()
		if err := s.sendChanged(lw, lang, sent); err != nil {
			return
		}
		last = time.Now()
		select {
		case <-ctx.Done():
			return
		case <-beat.C:
			if err := lw.send("heartbeat", time.Now().UTC().Format(time.RFC3339)); err != nil {
				return
			}
		case <-bell:
			// coalesce: commits within a gap of the last update share the next one
			if wait := s.live.gap - time.Since(last); wait > 0 {
				t := time.NewTimer(wait)
				select {
				case <-ctx.Done():
					t.Stop()
					return
				case <-t.C:
				}
			}
		}
	}
}

// sendChanged renders every fragment and sends those unlike what was sent.
func (s *Server) sendChanged(lw *liveWriter, lang string, sent map[string]string) error {
	f, err := s.sharedFloor(lang)
	if err != nil {
		s.log.Error("live floor", "err", err)
		return nil // the stream stays; the next commit or heartbeat tries again
	}
	ctx := views.WithLang(context.Background(), lang)
	for _, id := range views.LiveFragments {
		var b strings.Builder
		if err := views.LiveFragment(id, f).Render(ctx, &b); err != nil {
			return err
		}
		if sent[id] == b.String() {
			continue
		}
		if err := lw.send(id, b.String()); err != nil {
			return err
		}
		sent[id] = b.String()
	}
	return nil
}

// saveCutoffs sets the carriers' pick-up cut-offs from the page's form: one
// "CARRIER HH:MM" a line; an empty form clears them.
func (s *Server) saveCutoffs(c *fiber.Ctx) error {
	cutoffs, err := parseCutoffs(c.FormValue("cutoffs"))
	var settings wms.Settings
	if err == nil {
		settings, err = s.ledger.Settings()
	}
	if err == nil {
		settings.Cutoffs = cutoffs
		_, err = s.ledger.ChangeSettings(c.UserContext(), "cutoffs:"+formKey(c), settings, principal(c).Actor(), device(c))
	}
	vm, merr := s.liveModel(c)
	if merr != nil {
		return merr
	}
	if err != nil {
		e := s.asDomain(c, err)
		vm.Feedback = errorFeedback(e)
		vm.Cutoffs = c.FormValue("cutoffs")
		return s.render(c, status(e.Code), views.LiveFloorScreen(vm))
	}
	vm.Feedback = okFeedback("live.cutoffs_saved", nil)
	return s.render(c, fiber.StatusOK, views.LiveFloorScreen(vm))
}

// parseCutoffs reads the cut-off form: lines of "CARRIER HH:MM" (blank
// lines skipped; a full-width colon or space is taken as its ASCII twin).
func parseCutoffs(text string) (map[string]string, error) {
	if len(text) > liveCutoffsMax || !utf8.ValidString(text) {
		return nil, wms.Errf(wms.CodeInvalid, "cutoff.too_long", "max", strconv.Itoa(liveCutoffsMax))
	}
	out := map[string]string{}
	text = strings.NewReplacer("：", ":", "\u3000", " ").Replace(text)
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			return nil, wms.Errf(wms.CodeInvalid, "cutoff.line_invalid", "line", strconv.Itoa(i+1), "text", line)
		}
		carrier := f[0]
		if _, dup := out[carrier]; dup {
			return nil, wms.Errf(wms.CodeInvalid, "cutoff.twice", "carrier", carrier)
		}
		if len(out) >= wms.MaxCutoffs {
			return nil, wms.Errf(wms.CodeInvalid, "cutoff.too_many", "max", strconv.Itoa(wms.MaxCutoffs))
		}
		out[carrier] = f[1]
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// cutoffText is the form's text for the saved cut-offs, by time then carrier.
func cutoffText(m map[string]string) string {
	carriers := make([]string, 0, len(m))
	for c := range m {
		carriers = append(carriers, c)
	}
	slices.SortFunc(carriers, func(a, b string) int {
		if m[a] != m[b] {
			return strings.Compare(m[a], m[b])
		}
		return strings.Compare(a, b)
	})
	var b strings.Builder
	for _, c := range carriers {
		fmt.Fprintf(&b, "%s %s\n", c, m[c])
	}
	return b.String()
}
