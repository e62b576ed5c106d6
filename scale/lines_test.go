package scale

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLineSplitter(t *testing.T) {
	long := strings.Repeat("x", MaxLineLen+10)
	cases := []struct {
		name   string
		chunks []string
		want   []string
	}{
		{"CRLF", []string{"a\r\nb\r\n"}, []string{"a", "b"}},
		{"LF", []string{"a\nb\n"}, []string{"a", "b"}},
		{"CR", []string{"a\rb\r"}, []string{"a", "b"}},
		{"LFCR and blank lines", []string{"a\n\rb\r\n\r\n\nc\n"}, []string{"a", "b", "c"}},
		{"split across reads", []string{"ST,GS,+0", "01.2", "50kg\r", "\nUS"}, []string{"ST,GS,+001.250kg"}},
		{"byte by byte", strings.Split("ab\r\ncd\n", ""), []string{"ab", "cd"}},
		{"no end yet", []string{"abc"}, nil},
		{"too long is dropped whole", []string{long + "ST,GS,+009.999kg\r\nok\n"}, []string{"ok"}},
		{"too long across reads", []string{long[:100], long[100:], "tail\n", "ok\n"}, []string{"ok"}},
		{"exactly max", []string{strings.Repeat("y", MaxLineLen) + "\n"}, []string{strings.Repeat("y", MaxLineLen)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ls := newLineSplitter(MaxLineLen)
			var got []string
			for _, c := range tc.chunks {
				ls.feed([]byte(c), func(l string) { got = append(got, l) })
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("lines = %q; want %q", got, tc.want)
			}
		})
	}
}

// testScale is a Scale without a connection, fed through observe.
func testScale(t *testing.T, cfg Config) *Scale {
	t.Helper()
	if cfg.Address == "" {
		cfg.Address = "tcp://127.0.0.1:1"
	}
	s, err := newScale(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.cancel)
	return s
}

func settled(s *Scale) (Reading, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.settledLocked(time.Now())
}

func TestStabilityRule(t *testing.T) {
	s := testScale(t, Config{StableFor: 500 * time.Millisecond, ToleranceGrams: 2})
	t0 := time.Now().Add(-1500 * time.Millisecond)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

	s.observe("US,GS,+001.100kg", at(0))
	s.observe("ST,GS,+001.100kg", at(100)) // the scale says stable, but only briefly
	s.observe("US,GS,+001.240kg", at(200))
	if _, ok := settled(s); ok {
		t.Fatal("settled on an unstable reading")
	}
	s.observe("ST,GS,+001.250kg", at(300))
	s.observe("ST,GS,+001.251kg", at(500))
	s.observe("ST,GS,+001.249kg", at(700))
	if _, ok := settled(s); ok {
		t.Fatal("settled after 400ms < StableFor")
	}
	s.observe("garbage \xff", at(750)) // noise does not break the run
	s.observe("ST,GS,+001.250kg", at(800))
	r, ok := settled(s)
	if !ok || r.Grams != 1250 || !r.Stable || !r.At.Equal(at(800)) {
		t.Fatalf("settled = %+v, %v; want 1250 g at 800ms", r, ok)
	}

	// A jump beyond the tolerance starts a new run, even if flagged stable.
	s.observe("ST,GS,+001.260kg", at(900))
	if _, ok := settled(s); ok {
		t.Fatal("still settled after a 10 g jump")
	}
	// A slow drift is caught too: the run spans lo..hi, not neighbour to neighbour.
	s.observe("ST,GS,+001.261kg", at(1000))
	s.observe("ST,GS,+001.262kg", at(1100))
	s.observe("ST,GS,+001.263kg", at(1200)) // 3 g from the run's start
	s.observe("ST,GS,+001.264kg", at(1450))
	if _, ok := settled(s); ok {
		t.Fatal("settled on a drifting weight")
	}
	// Overload (anything but noise) breaks the run.
	s.observe("ST,GS,+001.264kg", at(1460))
	s.observe("OL,GS,+9999.99kg", at(1470))
	if err := s.LastError(); !errors.Is(err, ErrOverload) {
		t.Fatalf("LastError = %v; want overload", err)
	}
	if got, fresh := s.Latest(); got.Grams != 1264 || !fresh {
		t.Fatalf("Latest = %+v, %v; want the last good reading, fresh", got, fresh)
	}
	s.observe("ST,GS,+001.264kg", at(1480))
	if s.LastError() != nil {
		t.Fatalf("LastError = %v after a good reading", s.LastError())
	}
	if _, ok := settled(s); ok {
		t.Fatal("settled right after an overload")
	}
}

func TestStableWaitsAndHonoursContext(t *testing.T) {
	s := testScale(t, Config{StableFor: 100 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := s.Stable(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Stable on a silent scale = %v; want deadline exceeded", err)
	}

	done := make(chan Reading, 1)
	go func() {
		r, err := s.Stable(context.Background())
		if err != nil {
			t.Error(err)
		}
		done <- r
	}()
	start := time.Now()
	for i := 0; i < 20; i++ {
		line := "ST,GS,+000.500kg"
		if i < 5 {
			line = "US,GS,+000.480kg"
		}
		s.observe(line, start.Add(time.Duration(i)*30*time.Millisecond))
	}
	select {
	case r := <-done:
		if r.Grams != 500 || !r.Stable {
			t.Fatalf("Stable = %+v; want 500 g", r)
		}
		if d := r.At.Sub(start); d < 250*time.Millisecond {
			t.Fatalf("Stable returned the reading at +%v; want ≥ 250ms (5 unstable + 100ms)", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Stable did not return")
	}

	// Stale readings do not count.
	old := time.Now().Add(-FreshFor - time.Second)
	s2 := testScale(t, Config{StableFor: 100 * time.Millisecond})
	s2.observe("ST,GS,+000.500kg", old)
	s2.observe("ST,GS,+000.500kg", old.Add(200*time.Millisecond))
	if _, ok := settled(s2); ok {
		t.Fatal("settled on stale readings")
	}
	if _, fresh := s2.Latest(); fresh {
		t.Fatal("Latest reports a stale reading as fresh")
	}
}

func TestOpenWithoutDevice(t *testing.T) {
	s, err := Open(context.Background(), Config{Address: "serial:///dev/does-not-exist-scale?baud=9600"})
	if err != nil {
		t.Fatalf("Open must not fail for a missing device (it may be plugged in later): %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for s.LastError() == nil && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := s.LastError(); err == nil || !strings.Contains(err.Error(), "does-not-exist-scale") {
		t.Fatalf("LastError = %v; want the open error", err)
	}
	if _, fresh := s.Latest(); fresh {
		t.Fatal("Latest fresh without a device")
	}
	start := time.Now()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Close took %v", d)
	}
	if _, err := s.Stable(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Stable after Close = %v; want ErrClosed", err)
	}
	s.Close() // twice is fine
}
