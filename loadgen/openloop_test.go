package loadgen

import (
	"context"
	"io"
	"math"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestRateArithmetic(t *testing.T) {
	// 2,000 scans a second over 2,000 handhelds: one each a second
	if got := interval(2000, 2000); got != time.Second {
		t.Errorf("interval(2000, 2000) = %v", got)
	}
	if got := interval(500, 200); got != 400*time.Millisecond {
		t.Errorf("interval(500, 200) = %v", got)
	}
	start := time.Date(2026, 11, 11, 9, 0, 0, 0, time.UTC)
	end := start.Add(10 * time.Second)
	for _, c := range []struct {
		first time.Duration
		iv    time.Duration
		want  int64
	}{
		{0, time.Second, 10},                      // 0s … 9s
		{999 * time.Millisecond, time.Second, 10}, // 0.999s … 9.999s
		{time.Second, time.Second, 9},             // 10s is not before the end
		{0, 3 * time.Second, 4},                   // 0, 3, 6, 9
		{11 * time.Second, time.Second, 0},
	} {
		if got := slotsBefore(start.Add(c.first), end, c.iv); got != c.want {
			t.Errorf("slotsBefore(+%v, every %v) = %d, want %d", c.first, c.iv, got, c.want)
		}
	}
	// over many handhelds the random phases offer the rate asked for
	const pdas, rate = 400, 800.0
	var offered int64
	for range pdas {
		s := newSchedule(start, interval(rate, pdas))
		if s.next.Before(start) || !s.next.Before(start.Add(s.interval)) {
			t.Fatalf("phase %v outside the first interval", s.next.Sub(start))
		}
		offered += slotsBefore(s.next, end, s.interval)
	}
	if got := float64(offered) / 10; got < rate*0.99 || got > rate*1.01 {
		t.Errorf("offered %.1f scans a second, want %.0f", got, rate)
	}

	s := &schedule{interval: 100 * time.Millisecond, next: start}
	if due := s.take(); !due.Equal(start) || !s.next.Equal(start.Add(100*time.Millisecond)) {
		t.Errorf("take: due %v, next %v", due, s.next)
	}
	s.letGo(start.Add(50 * time.Millisecond)) // the next slot is not due yet
	if s.idle != 0 {
		t.Errorf("let go %d slots not yet due", s.idle)
	}
	s.letGo(start.Add(350 * time.Millisecond)) // 100, 200, 300 ms passed idle
	if s.idle != 3 || !s.next.Equal(start.Add(400*time.Millisecond)) {
		t.Errorf("idle %d, next %v; want 3, +400ms", s.idle, s.next.Sub(start))
	}
}

func TestRateChecks(t *testing.T) {
	for _, c := range []struct {
		rate float64
		pdas int
		want string
	}{
		{-1, 10, "negative"},
		{60, 10, "at most 5"},
		{0.0001, 10, "more than an hour"},
	} {
		_, err := newRunner(Config{Addr: "http://127.0.0.1:1", Token: "x", PDAs: c.pdas, Duration: time.Second, Rate: c.rate})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("rate %g over %d: %v, want %q", c.rate, c.pdas, err, c.want)
		}
	}
	for _, rate := range []float64{0, 50, 2000} {
		if err := checkRate(rate, 2000); err != nil {
			t.Errorf("rate %g over 2,000: %v", rate, err)
		}
	}
}

func TestParseFigures(t *testing.T) {
	body := "# HELP process_cpu_seconds_total x\n# TYPE process_cpu_seconds_total counter\ntally_x 3\nprocess_cpu_seconds_total 12.5\n" +
		"tally_ledger_grouped_writes_total 300\ntally_db_pages_written_total 4500\ntally_db_write_seconds_total 6\ntally_db_pages_written_total 1\n"
	f := parseFigures([]byte(body))
	if f.cpu != 12.5 || f.writes != 300 || f.pages != 4500 || f.writeSec != 6 || len(f.have) != 4 {
		t.Errorf("got %+v", f)
	}
	if f := parseFigures([]byte("tally_x 3\nprocess_cpu_seconds_total x\n")); len(f.have) != 0 {
		t.Errorf("found a figure in a body without one: %+v", f)
	}
	// a run of 100 scans in 10 s: 150 writes, 2,250 pages, 5 s of writing
	before := parseFigures([]byte(body))
	after := parseFigures([]byte("process_cpu_seconds_total 12.55\ntally_ledger_grouped_writes_total 450\ntally_db_pages_written_total 6750\ntally_db_write_seconds_total 11\n"))
	before.at = time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC)
	after.at = before.at.Add(10 * time.Second)
	res := Result{Events: 100, Elapsed: 9 * time.Second}
	res.spent(before, after)
	if math.Abs(res.CPUmsPerScan-0.5) > 1e-9 || res.WritesPerScan != 1.5 || res.PagesPerWrite != 15 || res.DiskWriteShare != 0.5 {
		t.Errorf("spent: %+v", res)
	}
	if line := res.Line(); line != "RESULT events=100 errors=0 events_per_s=0.0 p50_ms=0.0 p99_ms=0.0 server_cpu_ms_per_scan=0.500 server_writes_per_scan=1.50 server_pages_per_write=15.0 server_disk_write_share=0.50" {
		t.Errorf("RESULT line: %s", line)
	}
	// a server without the counters: none made up
	res = Result{Events: 100, Elapsed: 10 * time.Second}
	res.spent(parseFigures(nil), after)
	if res.CPUmsPerScan != 0 || res.WritesPerScan != 0 || res.PagesPerWrite != 0 || res.DiskWriteShare != 0 {
		t.Errorf("figures from one reading: %+v", res)
	}
}

// A server slower than the schedule: in an open loop the handheld keeps to
// its schedule, each late scan's latency counts from when it was due, and
// the lateness piles up in the figures instead of lowering the offer.
func TestOpenLoopCountsLatenessFromTheSchedule(t *testing.T) {
	const slow = 60 * time.Millisecond
	f := &fakeServer{
		task:   task{ID: "W1-3", Kind: "pick"},
		answer: func(int, scanBody) int { time.Sleep(slow); return 0 },
	}
	for n := 1; n <= 40; n++ { // two units a line, scanned one by one
		f.task.Lines = append(f.task.Lines, taskLine{N: n, GTINs: []string{"09787500000006"}, Location: "C01-01-01", Qty: 2})
	}
	hs := httptest.NewServer(f)
	defer hs.Close()
	// 50 scans a second from one handheld: one every 20 ms, three times
	// faster than the server answers
	if _, err := newRunner(Config{Addr: hs.URL, Token: "tok", PDAs: 1, Duration: time.Second, Rate: 50, Log: io.Discard}); err == nil {
		t.Fatal("one handheld at 50 scans a second was accepted")
	}
	r, err := newRunner(Config{Addr: hs.URL, Token: "tok", PDAs: 1, Duration: time.Second, Rate: 5, Log: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	p := &pda{r: r, device: "pda-1", sched: &schedule{interval: 20 * time.Millisecond, next: start}}
	ctx, cancel := context.WithTimeout(context.Background(), 600*time.Millisecond)
	defer cancel()
	p.run(ctx)
	n := len(p.lat)
	if n < 5 {
		t.Fatalf("%d scans acknowledged", n)
	}
	// the k-th scan was due at k×20 ms and answered no sooner than
	// (k+1)×60 ms: its latency grows by about 40 ms a scan
	last := p.lat[n-1]
	if want := time.Duration(n)*slow - time.Duration(n-1)*20*time.Millisecond; last < want-10*time.Millisecond {
		t.Errorf("last of %d scans took %v, want at least about %v (from when it was due)", n, last, want)
	}
	for i, d := range p.lat {
		if d < slow {
			t.Errorf("scan %d: %v, less than the server's %v", i, d, slow)
		}
	}
}
