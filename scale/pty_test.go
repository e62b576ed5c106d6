package scale

import (
	"bytes"
	"context"
	"math"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// socatLog collects socat's stderr and reports the two pty paths once socat
// has printed both and entered its transfer loop.
type socatLog struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	ready chan [2]string
	sent  bool
}

var ptyRe = regexp.MustCompile(`PTY is (/dev/\S+)`)

func (l *socatLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	if !l.sent && strings.Contains(l.buf.String(), "starting data transfer loop") {
		if m := ptyRe.FindAllStringSubmatch(l.buf.String(), -1); len(m) == 2 {
			l.ready <- [2]string{m[0][1], m[1][1]}
			l.sent = true
		}
	}
	return len(p), nil
}

func (l *socatLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// ptyPair starts `socat -d -d pty,raw,echo=0 pty,raw,echo=0` and returns the
// two linked pseudo-terminals: bytes written to one come out of the other.
// It skips the test when socat is missing, unless CI=true.
func ptyPair(t *testing.T) (string, string) {
	t.Helper()
	bin, err := exec.LookPath("socat")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("socat is required in CI: %v", err)
		}
		t.Skip("socat not installed (apt-get install socat); skipping pty test")
	}
	log := &socatLog{ready: make(chan [2]string, 1)}
	cmd := exec.Command(bin, "-d", "-d", "pty,raw,echo=0", "pty,raw,echo=0")
	cmd.Stderr = log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start socat: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	select {
	case p := <-log.ready:
		return p[0], p[1]
	case <-time.After(10 * time.Second):
		t.Fatalf("socat did not report two ptys; its log:\n%s", log)
	}
	panic("unreachable")
}

// openFakeScale opens the scale's end of the pty pair.
func openFakeScale(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// waitLinked waits until s has opened its line at least n times.
func waitLinked(t *testing.T, s *Scale, n int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.links.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("scale did not connect (LastError: %v)", s.LastError())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestPTYContinuous(t *testing.T) {
	ours, theirs := ptyPair(t)
	fake := openFakeScale(t, theirs)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := Open(ctx, Config{Address: "serial://" + ours + "?baud=9600", Protocol: Continuous})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	waitLinked(t, s, 1)

	var settleStart atomic.Int64 // unix nanos when the first settled line was written
	writerDone := make(chan struct{})
	defer func() { cancel(); <-writerDone }()
	go func() {
		defer close(writerDone)
		write := func(chunks ...string) bool {
			for _, c := range chunks {
				if _, err := fake.WriteString(c); err != nil {
					t.Errorf("fake scale write: %v", err)
					return false
				}
				select {
				case <-ctx.Done():
					return false
				case <-time.After(3 * time.Millisecond):
				}
			}
			return true
		}
		pause := func(d time.Duration) bool {
			select {
			case <-ctx.Done():
				return false
			case <-time.After(d):
				return true
			}
		}
		// Noise: connected mid-line, garbage bytes, an over-long line whose tail looks valid.
		if !write("GS,+001.0", "00kg\r\n", "\x00\xff\xfe\x13garbage\r\n", strings.Repeat("#", 300)+"ST,GS,+009.999kg\r\n") {
			return
		}
		// A box is put on: unstable readings, mixed line ends, lines split
		// across writes, and one premature "stable" flag at the wrong weight.
		unsettled := []string{
			"US,GS,+000.300kg\r\n", "US,GS,+000.610kg\n", "US,GS,+0", "00.880kg\r",
			"ST,GS,+000.900kg\r\n", "US,GS,+001.100kg\n\r", "OL,GS,+9999.99kg\r\n", "US,GS,+001.230kg\r\n",
			"US,GS,+001.249kg\r\n", "\r\n", "US,GS,+001.250kg\r\n",
		}
		for _, c := range unsettled {
			if !write(c) || !pause(40*time.Millisecond) {
				return
			}
		}
		// Settled: 1250 g with ±1 g jitter, until the test ends.
		settleStart.Store(time.Now().UnixNano())
		for i := 0; ; i++ {
			line := "ST,GS,+001.250kg\r\n"
			if i%3 == 1 {
				line = "ST,GS,+  1.251 kg\r\n"
			}
			if i%4 == 2 {
				if !write(line[:7], line[7:]) {
					return
				}
			} else if !write(line) {
				return
			}
			if i%5 == 3 && !write("\x00\xff\r\n") {
				return
			}
			if !pause(50 * time.Millisecond) {
				return
			}
		}
	}()

	r, err := s.Stable(ctx)
	if err != nil {
		t.Fatalf("Stable: %v (LastError %v)", err, s.LastError())
	}
	if r.Grams < 1250 || r.Grams > 1251 || !r.Stable {
		t.Fatalf("Stable = %+v; want the settled 1250–1251 g, stable", r)
	}
	start := time.Unix(0, settleStart.Load())
	if settleStart.Load() == 0 || r.At.Sub(start) < DefaultStableFor {
		t.Fatalf("Stable returned a reading at %v after settling began; want ≥ %v", r.At.Sub(start), DefaultStableFor)
	}
	if !strings.HasPrefix(r.Raw, "ST,GS,+") {
		t.Fatalf("Raw = %q", r.Raw)
	}
	if l, fresh := s.Latest(); !fresh || math.Abs(l.Grams-1250) > 1 {
		t.Fatalf("Latest = %+v, %v", l, fresh)
	}
	if n := s.links.Load(); n != 1 {
		t.Errorf("line opened %d times; want 1 (noise must not drop the line)", n)
	}
}

func TestPTYMTSICS(t *testing.T) {
	ours, theirs := ptyPair(t)
	fake := openFakeScale(t, theirs)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	// The fake scale answers every "SI" request.
	var (
		mu       sync.Mutex
		requests []string
	)
	answers := []string{
		"S D      0.400 kg", "S D      1.100 kg", "S D      1.300 kg", "S I",
		"S D      1.248 kg", "S S      1.250 kg",
	}
	fakeDone := make(chan struct{})
	defer func() {
		fake.Close() // unblocks the fake scale's Read
		<-fakeDone
	}()
	go func() {
		defer close(fakeDone)
		split := newLineSplitter(MaxLineLen)
		buf := make([]byte, 256)
		n := 0
		for {
			k, err := fake.Read(buf)
			split.feed(buf[:k], func(line string) {
				mu.Lock()
				requests = append(requests, line)
				mu.Unlock()
				if line != "SI" {
					fake.WriteString("ES\r\n")
					return
				}
				a := answers[min(n, len(answers)-1)]
				n++
				fake.WriteString(a + "\r\n")
			})
			if err != nil {
				return // the pty goes away when socat is killed
			}
		}
	}()

	s, err := Open(ctx, Config{Address: "serial://" + ours + "?baud=9600&parity=N&bits=8&stop=1", Protocol: MTSICS})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	start := time.Now()
	r, err := s.Stable(ctx)
	if err != nil {
		t.Fatalf("Stable: %v (LastError %v)", err, s.LastError())
	}
	if r.Grams != 1250 || !r.Stable || r.Raw != "S S      1.250 kg" {
		t.Fatalf("Stable = %+v; want 1250 g from %q", r, "S S      1.250 kg")
	}
	elapsed := time.Since(start)

	mu.Lock()
	got := append([]string(nil), requests...)
	mu.Unlock()
	// 5 answers before "S S", then StableFor of "S S" answers at PollEvery.
	if len(got) < 8 {
		t.Fatalf("fake scale saw %d requests (%q); want ≥ 8", len(got), got)
	}
	for _, q := range got {
		if q != "SI" {
			t.Fatalf("fake scale got request %q; want only SI", q)
		}
	}
	if elapsed < DefaultStableFor+5*DefaultPollEvery/2 {
		t.Fatalf("Stable returned after %v; too early for the poll schedule", elapsed)
	}
	t.Logf("Stable after %v and %d SI requests", elapsed, len(got))
	if l, fresh := s.Latest(); !fresh || l.Grams != 1250 {
		t.Fatalf("Latest = %+v, %v", l, fresh)
	}
	if err := s.LastError(); err != nil {
		t.Fatalf("LastError = %v after good readings", err)
	}
}
