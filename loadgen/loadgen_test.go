package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"tally/scan"
	"tally/server"
	"tally/wms"
)

var resultRE = regexp.MustCompile(`^RESULT events=\d+ errors=\d+ events_per_s=\d+\.\d p50_ms=\d+\.\d p99_ms=\d+\.\d( max_ms=\d+\.\d)?( offered_per_s=\d+\.\d idle_slots=\d+)?( server_cpu_ms_per_scan=\d+\.\d{3})?( ceiling_per_s=\d+\.\d event_bytes=\d+ ratio=\d+\.\d{3})?( http_ceiling_per_s=\d+\.\d http_ratio=\d+\.\d{3})?( server_writes_per_scan=\d+\.\d{2})?( server_pages_per_write=\d+\.\d server_disk_write_share=\d+\.\d{2})?$`)

func TestPercentile(t *testing.T) {
	ds := func(ns ...int) []time.Duration {
		out := make([]time.Duration, len(ns))
		for i, n := range ns {
			out[i] = time.Duration(n) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	for _, c := range []struct {
		values []time.Duration
		p      float64
		want   time.Duration
	}{
		{nil, 50, 0},
		{ds(7), 50, 7 * time.Millisecond},
		{ds(7), 99, 7 * time.Millisecond},
		{ds(1, 2), 50, 1 * time.Millisecond},
		{ds(1, 2, 3), 50, 2 * time.Millisecond},
		{ds(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{ds(1, 2, 3, 4), 99, 4 * time.Millisecond},
		{ds(hundred...), 50, 50 * time.Millisecond},
		{ds(hundred...), 99, 99 * time.Millisecond},
		{ds(hundred...), 100, 100 * time.Millisecond},
		{ds(append(hundred, 101)...), 99, 100 * time.Millisecond},
	} {
		if got := percentile(c.values, c.p); got != c.want {
			t.Errorf("percentile(%d values, %v) = %v, want %v", len(c.values), c.p, got, c.want)
		}
	}
}

func TestLatenciesMergeSorted(t *testing.T) {
	got := latencies([][]time.Duration{{5, 1}, nil, {3, 2, 4}})
	want := []time.Duration{1, 2, 3, 4, 5}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}

func TestLine(t *testing.T) {
	r := Result{Events: 9361, Errors: 2, EventsPerSec: 3120.43, P50ms: 12.34, P99ms: 48.96, Elapsed: 3 * time.Second}
	want := "RESULT events=9361 errors=2 events_per_s=3120.4 p50_ms=12.3 p99_ms=49.0"
	if got := r.Line(); got != want {
		t.Errorf("Line() = %q, want %q", got, want)
	}
	if !resultRE.MatchString(want) {
		t.Errorf("the format check does not accept %q", want)
	}
	if got := (Result{}).Line(); got != "RESULT events=0 errors=0 events_per_s=0.0 p50_ms=0.0 p99_ms=0.0" {
		t.Errorf("zero Line() = %q", got)
	}
	r.MaxMs, r.OfferedPerSec, r.IdleSlots, r.CPUmsPerScan, r.CeilingPerSec, r.EventBytes = 120.04, 2000.02, 7, 0.4321, 7801.6, 344
	r.HTTPCeilingPerSec = 12480.8
	want = "RESULT events=9361 errors=2 events_per_s=3120.4 p50_ms=12.3 p99_ms=49.0 max_ms=120.0 offered_per_s=2000.0 idle_slots=7 server_cpu_ms_per_scan=0.432 ceiling_per_s=7801.6 event_bytes=344 ratio=0.400 http_ceiling_per_s=12480.8 http_ratio=0.250"
	if got := r.Line(); got != want || !resultRE.MatchString(got) {
		t.Errorf("open-loop Line() = %q, want %q", got, want)
	}
	r.WritesPerScan, r.PagesPerWrite, r.DiskWriteShare = 1.456, 15.55, 0.613
	want += " server_writes_per_scan=1.46 server_pages_per_write=15.6 server_disk_write_share=0.61"
	if got := r.Line(); got != want || !resultRE.MatchString(got) {
		t.Errorf("Line() with the committer's figures = %q, want %q", got, want)
	}
}

var httpCeilingLineRE = regexp.MustCompile(`ceiling: loopback HTTP, \d+ clients, (\d+)-byte requests, (\d+)-byte answers`)

func TestScanCode(t *testing.T) {
	for _, c := range []struct {
		line taskLine
		want string
	}{
		{taskLine{GTINs: []string{"09787500000006"}}, "9787500000006"},
		{taskLine{GTINs: []string{"16903400020009"}}, "16903400020009"},
		{taskLine{GTINs: []string{"06903400020002"}, LotTracked: true, Lot: "C250101"}, "]C1010690340002000210C250101"},
		{taskLine{GTINs: []string{"06903400020002"}, LotTracked: true}, "6903400020002"},
		{taskLine{}, ""},
	} {
		if got := scanCode(c.line); got != c.want {
			t.Errorf("scanCode(%+v) = %q, want %q", c.line, got, c.want)
		}
	}
	// what the handheld sends is what the server's parser reads as the line's item
	p := scan.NewParser(scan.DefaultPatterns())
	r, err := p.Parse("]C1010690340002000210C250101")
	if err != nil || r.GTIN != "06903400020002" || r.Batch != "C250101" {
		t.Errorf("GS1 code parses as %+v, %v", r, err)
	}
	r, err = p.Parse("9787500000006")
	if err != nil || r.GTIN != "09787500000006" {
		t.Errorf("EAN-13 parses as %+v, %v", r, err)
	}
}

func TestBacklogFor(t *testing.T) {
	for _, c := range []struct {
		pdas int
		d    time.Duration
		want int
	}{
		{200, 20 * time.Second, 30_000},
		{1, 500 * time.Millisecond, 750},
		{500, 0, 2000},
		{500, time.Hour, maxBacklog},
	} {
		if got := BacklogFor(c.pdas, c.d); got != c.want {
			t.Errorf("BacklogFor(%d, %v) = %d, want %d", c.pdas, c.d, got, c.want)
		}
	}
}

func TestConfigChecks(t *testing.T) {
	for _, cfg := range []Config{
		{Addr: "http://127.0.0.1:1", Token: "x", PDAs: 0, Duration: time.Second},
		{Addr: "http://127.0.0.1:1", Token: "x", PDAs: 1},
		{Addr: "", Token: "x", PDAs: 1, Duration: time.Second},
		{Addr: "http://127.0.0.1:1", PDAs: 1, Duration: time.Second},
		{Addr: "http://127.0.0.1:1", Token: "x", PDAs: 1, Duration: time.Second, Backlog: -1},
		{Addr: "http://127.0.0.1:1", Token: "x", PDAs: 1, Duration: time.Second, CeilingDir: "/nonexistent/dir"},
	} {
		if _, err := Run(context.Background(), cfg); err == nil {
			t.Errorf("Run(%+v) did not fail", cfg)
		}
	}
}

func TestUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = Run(context.Background(), Config{Addr: "http://" + addr, Token: "x", PDAs: 1, Duration: time.Second, Log: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "unreachable") {
		t.Errorf("Run against a closed port: %v", err)
	}
}

// syncBuffer collects log lines written from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRunAgainstServer drives a real server in this process, then checks the
// ledger replays to the same state.
func TestRunAgainstServer(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a server for seconds")
	}
	ctx := context.Background()
	dir := t.TempDir()
	l, err := wms.Open(dir, wms.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	if _, err := l.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	token, err := l.CreateToken(ctx, "loadgen", wms.RoleAdmin, "test")
	if err != nil {
		t.Fatal(err)
	}
	picker, err := l.CreateToken(ctx, "picker", wms.RolePicker, "test")
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(server.Config{}, l, scan.NewParser(scan.DefaultPatterns()), slog.New(slog.NewTextHandler(io.Discard, nil)))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		<-served
	}
	t.Cleanup(stop)
	addr := "http://" + ln.Addr().String()

	// setup failures are errors, not results
	if _, err := Run(ctx, Config{Addr: addr, Token: "tly_wrong", PDAs: 1, Duration: time.Second, Log: io.Discard}); err == nil ||
		!strings.Contains(err.Error(), "refused") {
		t.Errorf("a wrong token: %v", err)
	}
	if _, err := Run(ctx, Config{Addr: addr, Token: picker, PDAs: 1, Duration: time.Second, Log: io.Discard}); err == nil ||
		!strings.Contains(err.Error(), "admin") {
		t.Errorf("a picker's token: %v", err)
	}

	var log syncBuffer
	// A small backlog: the feeder has to bring orders in while the handhelds pick.
	res, err := Run(ctx, Config{Addr: addr, Token: token, PDAs: 8, Duration: 3 * time.Second, Backlog: 16, Log: &log})
	t.Logf("log:\n%s", log.String())
	if err != nil {
		t.Fatal(err)
	}
	line := res.Line()
	t.Log(line)
	if !resultRE.MatchString(line) {
		t.Errorf("RESULT line %q has the wrong format", line)
	}
	if res.Events <= 0 {
		t.Errorf("no events")
	}
	if res.Errors != 0 {
		t.Errorf("%d errors", res.Errors)
	}
	if res.Elapsed < 3*time.Second || res.Elapsed > 4*time.Second {
		t.Errorf("elapsed %v, want about 3s", res.Elapsed)
	}
	if res.P50ms <= 0 || res.P99ms < res.P50ms {
		t.Errorf("p50 %.1f ms, p99 %.1f ms", res.P50ms, res.P99ms)
	}
	// with stock topped up, the server should refuse no pick
	if m := regexp.MustCompile(`conflicts=(\d+)`).FindStringSubmatch(log.String()); m == nil {
		t.Errorf("no conflicts figure in the log")
	} else if n, _ := strconv.Atoi(m[1]); n > int(res.Events/100) {
		t.Errorf("%d of %d scans refused with 409", n, res.Events)
	}
	if !strings.Contains(log.String(), "setup took") || !strings.Contains(log.String(), "16 orders in") {
		t.Errorf("no setup line with the backlog of 16 in the log")
	}
	if m := regexp.MustCompile(`done after .* orders=(\d+)`).FindStringSubmatch(log.String()); m == nil {
		t.Errorf("no orders figure in the done line")
	} else if n, _ := strconv.Atoi(m[1]); n == 0 {
		t.Errorf("the feeder made no orders while the handhelds picked")
	}

	if res.CPUmsPerScan <= 0 {
		t.Errorf("no server CPU per scan (process_cpu_seconds_total on /metrics)")
	}
	// every scan is a write, and some hand out a task; every write writes pages
	if res.WritesPerScan < 1 || res.WritesPerScan > 3 || res.PagesPerWrite < 1 || res.DiskWriteShare <= 0 || res.DiskWriteShare > 1 {
		t.Errorf("where the committer's time went: writes a scan %.2f, pages a write %.1f, disk write share %.2f", res.WritesPerScan, res.PagesPerWrite, res.DiskWriteShare)
	}

	// open loop: 8 handhelds offering 32 scans a second in all
	log = syncBuffer{}
	open, err := Run(ctx, Config{Addr: addr, Token: token, PDAs: 8, Duration: 2 * time.Second, Backlog: 16, Rate: 32, Log: &log,
		CeilingDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(open.Line())
	if !resultRE.MatchString(open.Line()) || !strings.Contains(open.Line(), "offered_per_s=") {
		t.Errorf("open-loop RESULT line %q has the wrong format", open.Line())
	}
	if open.OfferedPerSec < 32*0.8 || open.OfferedPerSec > 32*1.2 {
		t.Errorf("offered %.1f scans a second, want about 32", open.OfferedPerSec)
	}
	if open.Events <= 0 || open.Errors != 0 || open.EventsPerSec > open.OfferedPerSec*1.1 {
		t.Errorf("open loop: %d scans (%.1f/s), %d errors", open.Events, open.EventsPerSec, open.Errors)
	}
	if open.CeilingPerSec <= 0 || open.EventBytes < 100 || !strings.Contains(open.Line(), " ratio=") {
		t.Errorf("ceiling %.1f/s for %d-byte events", open.CeilingPerSec, open.EventBytes)
	}
	// the HTTP ceiling's requests and answers are shaped like the run's
	// scans: a pick's body and a task's answer are each above 50 bytes
	if m := httpCeilingLineRE.FindStringSubmatch(log.String()); open.HTTPCeilingPerSec <= 0 || !strings.Contains(open.Line(), " http_ratio=") || m == nil {
		t.Errorf("HTTP ceiling %.1f/s, line %q, log:\n%s", open.HTTPCeilingPerSec, open.Line(), log.String())
	} else if req, _ := strconv.Atoi(m[1]); req < 50 {
		t.Errorf("HTTP ceiling's requests %s bytes", m[1])
	} else if ans, _ := strconv.Atoi(m[2]); ans < 50 {
		t.Errorf("HTTP ceiling's answers %s bytes", m[2])
	}
	if !strings.Contains(log.String(), "took their first task") {
		t.Errorf("no warm-up line in the log:\n%s", log.String())
	}

	stop()
	// every handheld worked as its own picker
	kpis, err := l.KPIs(l.Today())
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 8; i++ {
		actor := "token:loadgen/pda-" + strconv.Itoa(i)
		if kpis[actor].Picks == 0 {
			t.Errorf("%s picked nothing (KPIs %v)", actor, kpis)
		}
	}
	mismatches, err := l.Check(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mismatches {
		t.Errorf("ledger mismatch: %s", m)
	}
}

// fakeServer answers tasks/next with one task until it is done, and scans by answer.
type fakeServer struct {
	mu    sync.Mutex
	task  task
	keys  []string // Idempotency-Key of every scan received
	types []string
	// answer decides a scan's status (0 for 200 with the task).
	answer func(n int, body scanBody) int
}

func (f *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if r.Header.Get("Authorization") != "Bearer tok" || r.Header.Get("X-Tally-Device") != "pda-1" {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error":"who?","code":"unauthorized"}`)
		return
	}
	switch {
	case r.URL.Path == "/api/v1/tasks/next":
		if f.task.nextOpen(nil) == nil {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"error":"nothing","code":"not_found"}`)
			return
		}
		json.NewEncoder(w).Encode(f.task)
	case r.URL.Path == "/api/v1/tasks/"+f.task.ID+"/scans":
		var b scanBody
		json.NewDecoder(r.Body).Decode(&b)
		f.keys = append(f.keys, r.Header.Get("Idempotency-Key"))
		f.types = append(f.types, b.Type)
		switch st := f.answer(len(f.keys), b); st {
		case 0:
			l := f.task.line(b.Line)
			switch b.Type {
			case "pick":
				l.Done += b.Qty
			case "short":
				l.Short += l.open()
			}
			json.NewEncoder(w).Encode(map[string]any{"task": f.task, "duplicate": false})
		default:
			w.WriteHeader(st)
			io.WriteString(w, `{"error":"no","code":"conflict"}`)
		}
	default:
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"error":"no route","code":"not_found"}`)
	}
}

func runFake(t *testing.T, f *fakeServer) *runner {
	t.Helper()
	hs := httptest.NewServer(f)
	defer hs.Close()
	r, err := newRunner(Config{Addr: hs.URL, Token: "tok", PDAs: 1, Duration: time.Second, Log: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	p := &pda{r: r, device: "pda-1"}
	p.run(ctx)
	if int64(len(p.lat)) != r.cnt.events.Load() {
		t.Errorf("%d latencies for %d events", len(p.lat), r.cnt.events.Load())
	}
	return r
}

func TestRefusedPickIsReportedShort(t *testing.T) {
	f := &fakeServer{
		task: task{ID: "W1-1", Kind: "pick", Lines: []taskLine{
			{N: 1, GTINs: []string{"06903400020002"}, LotTracked: true, Lot: "C1", Location: "B01-01-01", Qty: 3},
			{N: 2, GTINs: []string{"09787500000006"}, Location: "C01-01-01", Qty: 2},
		}},
		answer: func(n int, b scanBody) int {
			if b.Type == "pick" && b.Line == 1 {
				return http.StatusConflict
			}
			return 0
		},
	}
	r := runFake(t, f)
	want := []string{"pick", "short", "pick", "pick"} // line 2: two units one by one
	got := slices.DeleteFunc(slices.Clone(f.types), func(s string) bool { return s == "reject" })
	if !slices.Equal(got, want) {
		t.Errorf("scans %v, want %v", got, want)
	}
	if e, c, errs := r.cnt.events.Load(), r.cnt.conflicts.Load(), r.cnt.errors.Load(); e != int64(len(f.types)) || c != 1 || errs != 0 {
		t.Errorf("events=%d conflicts=%d errors=%d, want %d, 1, 0", e, c, errs, len(f.types))
	}
}

func TestScanRetryKeepsItsKey(t *testing.T) {
	f := &fakeServer{
		task: task{ID: "W1-2", Kind: "pick", Lines: []taskLine{
			{N: 1, GTINs: []string{"09787500000006"}, Location: "C01-01-01", Qty: 5},
		}},
	}
	picks := 0
	f.answer = func(n int, b scanBody) int {
		if b.Type != "pick" {
			return 0
		}
		if picks++; picks <= 2 {
			return http.StatusInternalServerError
		}
		return 0
	}
	r := runFake(t, f)
	var keys []string
	for i, typ := range f.types {
		if typ == "pick" {
			keys = append(keys, f.keys[i])
		}
	}
	if len(keys) != 3 || keys[0] != keys[1] || keys[1] != keys[2] {
		t.Errorf("pick keys %v: want one scan sent three times with one key", keys)
	}
	if e, errs := r.cnt.events.Load(), r.cnt.errors.Load(); errs != 2 || e != int64(len(f.types)-2) {
		t.Errorf("events=%d errors=%d, want %d, 2", e, errs, len(f.types)-2)
	}
	if l := f.task.line(1); l.Done != 5 {
		t.Errorf("done %d, want 5 (one typed count)", l.Done)
	}
}
