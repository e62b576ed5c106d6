package server

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"tally/views"
	"tally/wms"
)

// sseEvent is one server-sent event as a browser sees it.
type sseEvent struct{ name, data string }

// stream opens the live floor's stream as the logged-in client c on a real
// port and reads its events into a channel (closed when the stream ends).
func stream(t testing.TB, base string, c *client) (*http.Response, <-chan sseEvent) {
	t.Helper()
	req, err := http.NewRequest("GET", base+"/floor/live/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept-Language", c.lang)
	for k, v := range c.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	ch := make(chan sseEvent, 1000)
	if resp.StatusCode != http.StatusOK {
		close(ch)
		return resp, ch
	}
	go func() {
		defer close(ch)
		r := bufio.NewReader(resp.Body)
		var ev sseEvent
		var data []string
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimRight(line, "\r\n")
			switch {
			case line == "":
				if ev.name != "" {
					ev.data = strings.Join(data, "\n")
					ch <- ev
				}
				ev, data = sseEvent{}, nil
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				data = append(data, strings.TrimPrefix(line, "data: "))
			}
		}
	}()
	return resp, ch
}

// next waits for the next event named one of names, skipping others.
func next(t testing.TB, ch <-chan sseEvent, within time.Duration, names ...string) sseEvent {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatalf("the stream ended waiting for %v", names)
			}
			for _, n := range names {
				if ev.name == n {
					return ev
				}
			}
		case <-deadline:
			t.Fatalf("no %v within %v", names, within)
		}
	}
}

// drain reads what the stream has sent until it is quiet for quiet.
func drain(ch <-chan sseEvent, quiet time.Duration) []sseEvent {
	var out []sseEvent
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				return out
			}
			out = append(out, ev)
		case <-time.After(quiet):
			return out
		}
	}
}

func supervisor(t testing.TB, s *Server, lang string) *client {
	t.Helper()
	c := newClient(t, s)
	c.lang = lang
	if resp := c.login("B4001", "4444"); resp.StatusCode >= 400 {
		t.Fatalf("supervisor login: %d", resp.StatusCode)
	}
	return c
}

// activeTask gives picker B1001 a task of one order of two units of a
// demo SKU, and returns it.
func activeTask(t testing.TB, l *wms.Ledger, no string) wms.Task {
	t.Helper()
	ctx := context.Background()
	if _, _, err := l.ReceiveOrder(ctx, "", intake(no, wms.LineIn{SKU: "SKU03000", Qty: 1}), "oms", "t"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.ReleaseWave(ctx, wms.WaveFilter{Mode: wms.WaveSingle}, "w-"+no, "B4001", "t"); err != nil {
		t.Fatal(err)
	}
	task, err := l.NextTask(ctx, "B1001", "pda")
	if err != nil {
		t.Fatal(err)
	}
	return task
}

// pickLine picks the task's next line whole, as the handheld does.
func pickLine(t testing.TB, l *wms.Ledger, task wms.Task, key, tote string) {
	t.Helper()
	line, ok := task.NextLine()
	if !ok {
		t.Fatal("no line left")
	}
	item := wms.ScannedItem{GTIN: line.GTINs[0]}
	if line.LotTracked {
		item.Lot = line.Lot
	}
	if _, _, err := l.Pick(context.Background(), key, wms.PickScan{Task: task.ID, Line: line.N, Location: line.Location,
		Items: []wms.ScannedItem{item}, Qty: line.Open(), Tote: tote}, "B1001", "pda"); err != nil {
		t.Fatal(err)
	}
}

func TestLivePage(t *testing.T) {
	s, l := testServer(t)
	task := activeTask(t, l, "SO900001")
	for _, lang := range langs {
		t.Run(lang, func(t *testing.T) {
			c := supervisor(t, s, lang)
			resp, body := c.get("/floor/live")
			if resp.StatusCode != 200 {
				t.Fatalf("status %d:\n%s", resp.StatusCode, body)
			}
			for _, id := range views.LiveFragments {
				if !strings.Contains(body, `id="`+id+`"`) {
					t.Errorf("no fragment %s", id)
				}
			}
			for _, want := range []string{say(lang, "live.backlog"), say(lang, "live.waves"), say(lang, "live.people"),
				say(lang, "live.orders_by_state"), say(lang, "live.lines_done", "done", "0", "n", "1"), task.ID, "/static/live.js"} {
				if !strings.Contains(htmlUnescape(unmarked(body)), want) {
					t.Errorf("page lacks %q", want)
				}
			}
			_, home := c.get("/")
			if !strings.Contains(home, `href="/floor/live"`) {
				t.Error("the supervisor's home has no link to the live floor")
			}
		})
	}
	picker := newClient(t, s)
	picker.login("B1001", "1111")
	if resp, _ := picker.get("/floor/live"); resp.StatusCode != 403 {
		t.Errorf("a picker gets the live floor: %d", resp.StatusCode)
	}
	if resp, _ := picker.get("/floor/live/events"); resp.StatusCode != 403 {
		t.Errorf("a picker gets the live stream: %d", resp.StatusCode)
	}
}

func TestLiveCutoffForm(t *testing.T) {
	s, l := testServer(t)
	long := strings.Repeat("SF 17:00\n", 300)
	cases := []struct {
		name, text string
		status     int
		key        string
		args       []string
		want       map[string]string
	}{
		{"saved", "SF 17:00\n\n jd　18：30 \n", 200, "live.cutoffs_saved", nil, map[string]string{"SF": "17:00", "jd": "18:30"}},
		{"bad time", "SF 17", 400, "cutoff.time_invalid", []string{"value", "17"}, nil},
		{"three words", "SF 17:00 today", 400, "cutoff.line_invalid", []string{"line", "1", "text", "SF 17:00 today"}, nil},
		{"twice", "SF 17:00\nSF 18:00", 400, "cutoff.twice", []string{"carrier", "SF"}, nil},
		{"too long", long, 400, "cutoff.too_long", []string{"max", "2000"}, nil},
		{"cleared", "", 200, "live.cutoffs_saved", nil, nil},
	}
	for _, lang := range langs {
		c := supervisor(t, s, lang)
		for _, tc := range cases {
			t.Run(lang+"/"+tc.name, func(t *testing.T) {
				c.get("/floor/live")
				resp, body := c.post("/floor/live/cutoffs", url.Values{"cutoffs": {tc.text}, "key": {fmt.Sprintf("%s-%s-%d", lang, tc.name, time.Now().UnixNano())}})
				if resp.StatusCode != tc.status || !strings.Contains(htmlUnescape(unmarked(body)), say(lang, tc.key, tc.args...)) {
					t.Fatalf("status %d, want %d and %q:\n%s", resp.StatusCode, tc.status, say(lang, tc.key, tc.args...), body)
				}
				if tc.status != 200 {
					return
				}
				settings, err := l.Settings()
				if err != nil {
					t.Fatal(err)
				}
				if fmt.Sprint(settings.Cutoffs) != fmt.Sprint(tc.want) {
					t.Errorf("cut-offs %v, want %v", settings.Cutoffs, tc.want)
				}
			})
		}
	}
}

// A scan that lands reaches an open stream as the fragments it changed.
func TestLiveStreamSendsAScan(t *testing.T) {
	s, l := testServer(t)
	task := activeTask(t, l, "SO900002")
	base := serve(t, s)
	_, ch := stream(t, base, supervisor(t, s, views.LangEN))
	first := drain(ch, 300*time.Millisecond)
	names := map[string]bool{}
	for _, ev := range first {
		names[ev.name] = true
	}
	for _, id := range views.LiveFragments {
		if !names[id] {
			t.Errorf("the stream did not start with fragment %s: %v", id, names)
		}
	}
	pickLine(t, l, task, "live-pick-1", "T90001")
	ev := next(t, ch, 5*time.Second, "live-waves")
	if !strings.Contains(ev.data, say(views.LangEN, "live.lines_done", "done", "1", "n", "1")) || !strings.HasPrefix(ev.data, `<section id="live-waves"`) {
		t.Errorf("waves after the pick: %s", ev.data)
	}
	// only what changed is sent: the clock's fragment (its rate) went out
	// with this update, and the test's clock stands still, so nothing sends
	// it again
	for _, ev := range drain(ch, 1500*time.Millisecond) {
		if ev.name == "live-clock" || ev.name == "live-waves" {
			t.Errorf("an unchanged fragment was sent again: %s", ev.data)
		}
	}
}

// Commits closer together than the gap share one update, and the last one
// is never lost.
func TestLiveStreamCoalesces(t *testing.T) {
	s, l := testServer(t)
	s.live.gap = 700 * time.Millisecond
	base := serve(t, s)
	_, ch := stream(t, base, supervisor(t, s, views.LangEN))
	drain(ch, 300*time.Millisecond)
	ctx := context.Background()
	start := time.Now()
	const orders = 10
	for i := range orders {
		if _, _, err := l.ReceiveOrder(ctx, "", intake(fmt.Sprintf("SO91%04d", i), wms.LineIn{SKU: "SKU03000", Qty: 1}), "oms", "t"); err != nil {
			t.Fatal(err)
		}
	}
	burst := time.Since(start)
	got := drain(ch, 2*s.live.gap)
	var updates []sseEvent
	for _, ev := range got {
		if ev.name == "live-orders" {
			updates = append(updates, ev)
		}
	}
	// one update for the first commit, then at most one per gap while the burst lasts
	most := 2 + int(burst/s.live.gap)
	if len(updates) == 0 || len(updates) > most || len(updates) >= orders {
		t.Fatalf("%d commits in %v gave %d updates of the orders, want 1 to %d", orders, burst, len(updates), most)
	}
	last := updates[len(updates)-1].data
	if !strings.Contains(last, ">"+fmt.Sprint(orders)+"<") {
		t.Errorf("the last update does not count all %d orders: %s", orders, last)
	}
}

func TestLiveStreamHeartbeat(t *testing.T) {
	s, _ := testServer(t)
	s.live.heartbeat = 150 * time.Millisecond
	base := serve(t, s)
	_, ch := stream(t, base, supervisor(t, s, views.LangEN))
	start := time.Now()
	next(t, ch, 2*time.Second, "heartbeat")
	next(t, ch, 2*time.Second, "heartbeat")
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("two heartbeats in %v", d)
	}
}

func TestLiveStreamLimit(t *testing.T) {
	s, _ := testServer(t)
	s.live.max = 2
	// a viewer who leaves is noticed at the next write: a heartbeat at the latest
	s.live.heartbeat = 50 * time.Millisecond
	base := serve(t, s)
	c := supervisor(t, s, views.LangZH)
	resp1, ch1 := stream(t, base, c)
	_, ch2 := stream(t, base, c)
	next(t, ch1, 2*time.Second, "live-clock")
	next(t, ch2, 2*time.Second, "live-clock")
	resp3, _ := stream(t, base, c)
	if resp3.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("a third stream: %d", resp3.StatusCode)
	}
	body, _ := io.ReadAll(resp3.Body)
	if want := say(views.LangZH, "live.too_many_streams", "max", "2"); string(body) != want {
		t.Errorf("refusal says %q, want %q", body, want)
	}
	// a viewer who leaves frees a place
	resp1.Body.Close()
	deadline := time.Now().Add(20 * time.Second)
	for s.live.open.Load() > 1 {
		if time.Now().After(deadline) {
			t.Fatalf("%d streams still counted after one left", s.live.open.Load())
		}
		time.Sleep(20 * time.Millisecond)
	}
	resp4, ch4 := stream(t, base, c)
	if resp4.StatusCode != 200 {
		t.Fatalf("after one left: %d", resp4.StatusCode)
	}
	next(t, ch4, 2*time.Second, "live-clock")
}

// Shutdown ends every stream at once instead of waiting for the viewers.
func TestLiveStreamEndsOnShutdown(t *testing.T) {
	s, _ := testServer(t)
	base := serve(t, s)
	c := supervisor(t, s, views.LangEN)
	_, ch1 := stream(t, base, c)
	_, ch2 := stream(t, base, c)
	next(t, ch1, 2*time.Second, "live-clock")
	next(t, ch2, 2*time.Second, "live-clock")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("shutdown took %v with streams open", d)
	}
	deadline := time.After(3 * time.Second)
	for _, ch := range []<-chan sseEvent{ch1, ch2} {
		for open := true; open; {
			select {
			case _, open = <-ch:
			case <-deadline:
				t.Fatal("a stream is still open after shutdown")
			}
		}
	}
	if n := s.live.open.Load(); n != 0 {
		t.Errorf("%d streams counted after shutdown", n)
	}
}

// The wall screen in a real browser: the page changes by itself when a pick
// lands in the ledger, without a reload; and a tablet shows it in one column
// without scrolling sideways.
func TestBrowserLiveFloor(t *testing.T) {
	s, l := testServer(t)
	task := activeTask(t, l, "SO900003")
	base := serve(t, s)

	ctx := browserIn(t, views.LangZH, 1920, 1080)
	run := runner(t, ctx)
	loginAs(t, ctx, base, "B4001", "4444", "menu-live-floor")
	run(chromedp.Click(`[data-testid=menu-live-floor]`, chromedp.ByQuery))
	waitJS(t, ctx, `document.querySelector('[data-testid=live]') && document.querySelector('[data-testid=live]').dataset.stream === 'open'`)
	waitText(t, ctx, "#live-waves", say(views.LangZH, "live.lines_done", "done", "0", "n", "1"))
	// a mark on the page's window: a reload would lose it
	run(chromedp.Evaluate(`window.stillHere = true`, nil))
	pickLine(t, l, task, "browser-pick", "T90003")
	waitText(t, ctx, "#live-waves", say(views.LangZH, "live.lines_done", "done", "1", "n", "1"))
	waitText(t, ctx, "#live-people", "张伟")
	if evalString(t, ctx, `String(window.stillHere === true)`) != "true" {
		t.Error("the page reloaded instead of changing in place")
	}
	if evalString(t, ctx, `document.querySelector('[data-testid=live]').dataset.swaps || '0'`) == "0" {
		t.Error("no fragment was swapped")
	}
	// large type on the wall: the wave's progress is at least 24 px
	var px float64
	run(chromedp.Evaluate(`parseFloat(getComputedStyle(document.querySelector('[data-testid=wave-progress]')).fontSize)`, &px))
	if px < 24 {
		t.Errorf("wall screen type is %vpx", px)
	}
	noWiderThan(t, ctx, 1920)
	shot(t, ctx, "live-wall.png")

	tablet := browserIn(t, views.LangEN, 800, 1280)
	loginAs(t, tablet, base, "B4001", "4444", "menu-live-floor")
	runner(t, tablet)(chromedp.Navigate(base + "/floor/live"))
	waitText(t, tablet, "#live-backlog", say(views.LangEN, "live.backlog"))
	noWiderThan(t, tablet, 800)
	shot(t, tablet, "live-tablet.png")
}
