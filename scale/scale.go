package scale

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"go.bug.st/serial"
)

// Protocol is how the Scale talks to the scale.
type Protocol string

const (
	// Continuous: the scale sends lines by itself; the Scale only listens.
	Continuous Protocol = "continuous"
	// MTSICS: Mettler Toledo MT-SICS; the Scale polls with "SI\r\n".
	MTSICS Protocol = "mtsics"
)

// Config describes one scale. Zero values get the documented defaults.
type Config struct {
	Address   string        // "serial:///dev/ttyUSB0?baud=9600&parity=N&bits=8&stop=1" or "tcp://10.0.0.50:4001"
	Protocol  Protocol      // Continuous (also when empty) or MTSICS
	PollEvery time.Duration // MT-SICS: how often to send "SI\r\n" (immediate); default 200ms; continuous: not used
	// StableFor: a reading counts as stable when the scale says stable AND
	// the weight stayed within ToleranceGrams for StableFor (default 500ms;
	// a negative value means no extra wait beyond the scale's own flag).
	StableFor      time.Duration
	ToleranceGrams float64 // default 2 g
}

// Defaults for Config.
const (
	DefaultPollEvery      = 200 * time.Millisecond
	DefaultStableFor      = 500 * time.Millisecond
	DefaultToleranceGrams = 2.0
)

// FreshFor is how old the latest reading may be for Latest to call it recent,
// and for Stable to use it.
const FreshFor = 2 * time.Second

const (
	readSlice   = 50 * time.Millisecond // longest a read blocks, so polls go out on time and Close is prompt
	minBackoff  = 200 * time.Millisecond
	maxBackoff  = 5 * time.Second
	dialTimeout = 5 * time.Second
	pollRequest = "SI\r\n"
)

// ErrClosed is returned by Stable once the Scale is closed (or the context
// given to Open is done).
var ErrClosed = errors.New("scale: closed")

// Scale is a live connection to one scale. It reads in the background,
// reconnecting with backoff when the line drops; its methods never wait on
// the line, except Stable, which waits for a stable weight by design.
// A Scale is safe for concurrent use.
type Scale struct {
	cfg         Config
	network     string
	target      string
	mode        *serial.Mode
	idle        time.Duration // no bytes at all for this long: drop the line and reconnect
	respTimeout time.Duration // MT-SICS: no answer for this long: ask again

	ctx       context.Context
	cancel    context.CancelFunc
	done      chan struct{}
	closeOnce sync.Once
	links     atomic.Int64 // lines opened so far (for tests)

	mu      sync.Mutex
	latest  Reading
	have    bool
	lastErr error
	run     stableRun
	changed chan struct{} // closed and replaced whenever the state changes
}

// stableRun is the current stretch of consecutive stable-flagged readings
// whose weights all lie within the tolerance of each other.
type stableRun struct {
	n      int
	start  time.Time // At of the first reading in the run
	lo, hi float64
	last   Reading
}

// Open starts talking to the scale at cfg.Address and returns at once: it
// validates cfg but does not wait for the connection. The line is dialled
// (serial port or TCP) in the background and redialled with backoff
// (200 ms doubling to 5 s) whenever it fails, drops, or stays silent for 5 s
// (MT-SICS: 10 poll periods if longer); connection problems show in
// LastError. ctx bounds the Scale's life: when it is done the Scale stops as
// if closed. Call Close when finished.
func Open(ctx context.Context, cfg Config) (*Scale, error) {
	s, err := newScale(ctx, cfg)
	if err != nil {
		return nil, err
	}
	go s.loop()
	return s, nil
}

func newScale(ctx context.Context, cfg Config) (*Scale, error) {
	network, target, opts, err := ParseAddress(cfg.Address)
	if err != nil {
		return nil, err
	}
	switch cfg.Protocol {
	case "":
		cfg.Protocol = Continuous
	case Continuous, MTSICS:
	default:
		return nil, fmt.Errorf("scale: unknown protocol %q (want %q or %q)", cfg.Protocol, Continuous, MTSICS)
	}
	switch {
	case cfg.PollEvery == 0:
		cfg.PollEvery = DefaultPollEvery
	case cfg.PollEvery < 0:
		return nil, fmt.Errorf("scale: negative PollEvery %v", cfg.PollEvery)
	}
	switch {
	case cfg.StableFor == 0:
		cfg.StableFor = DefaultStableFor
	case cfg.StableFor < 0:
		cfg.StableFor = 0
	}
	switch {
	case cfg.ToleranceGrams == 0:
		cfg.ToleranceGrams = DefaultToleranceGrams
	case cfg.ToleranceGrams < 0 || math.IsNaN(cfg.ToleranceGrams):
		return nil, fmt.Errorf("scale: invalid ToleranceGrams %v", cfg.ToleranceGrams)
	}
	s := &Scale{
		cfg:         cfg,
		network:     network,
		target:      target,
		idle:        5 * time.Second,
		respTimeout: max(time.Second, 5*cfg.PollEvery),
		done:        make(chan struct{}),
		changed:     make(chan struct{}),
	}
	if cfg.Protocol == MTSICS {
		s.idle = max(s.idle, 10*cfg.PollEvery)
	}
	if network == "serial" {
		if s.mode, err = serialMode(opts); err != nil {
			return nil, err
		}
	}
	s.ctx, s.cancel = context.WithCancel(ctx)
	return s, nil
}

// Latest returns the last good reading and whether it is recent (less than
// FreshFor old). Before the first good reading it returns (Reading{}, false).
// Lines that are not a usable weight (overload, negative, garbled, …) do not
// replace it; see LastError.
func (s *Scale) Latest() (Reading, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.have {
		return Reading{}, false
	}
	return s.latest, time.Since(s.latest.At) < FreshFor
}

// LastError returns the most recent problem if it came after the last good
// reading: a connection error, or the *Error for a line the scale sent that
// was not a usable weight (errors.Is(err, ErrOverload), …). It is nil while
// good readings arrive. Use it to tell the operator why Latest is stale.
func (s *Scale) LastError() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastErr
}

// Stable waits until the scale has flagged the weight as stable for at least
// StableFor with all those readings within ToleranceGrams of each other, and
// returns the latest of them (it may be 0 g: an empty plate is stable too).
// If that already holds when called, it returns at once. It returns ctx's
// error when ctx is done first, and ErrClosed once the Scale is closed.
func (s *Scale) Stable(ctx context.Context) (Reading, error) {
	for {
		if s.ctx.Err() != nil {
			return Reading{}, ErrClosed
		}
		s.mu.Lock()
		r, ok := s.settledLocked(time.Now())
		ch := s.changed
		s.mu.Unlock()
		if ok {
			return r, nil
		}
		// Only a new reading can settle the weight: wait for news.
		select {
		case <-ch:
		case <-ctx.Done():
			return Reading{}, ctx.Err()
		case <-s.ctx.Done():
			return Reading{}, ErrClosed
		}
	}
}

func (s *Scale) settledLocked(now time.Time) (Reading, bool) {
	run := s.run
	if run.n == 0 || now.Sub(run.last.At) >= FreshFor {
		return Reading{}, false
	}
	if run.last.At.Sub(run.start) < s.cfg.StableFor {
		return Reading{}, false
	}
	return run.last, true
}

// Close stops the Scale and waits for its connection to be closed. It is
// safe to call more than once.
func (s *Scale) Close() error {
	s.closeOnce.Do(s.cancel)
	<-s.done
	return nil
}

// notifyLocked wakes everyone waiting in Stable.
func (s *Scale) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// observe records one line as received at time at.
func (s *Scale) observe(line string, at time.Time) (good bool) {
	r, err := ParseLine(line)
	r.At = at
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.lastErr = err
		// Noise is skipped; anything the scale really said (overload, busy,
		// negative, …) means the weight on the plate is not settled.
		if !errors.Is(err, ErrGarbled) {
			s.run = stableRun{}
			s.notifyLocked()
		}
		return false
	}
	s.latest, s.have, s.lastErr = r, true, nil
	switch {
	case !r.Stable:
		s.run = stableRun{}
	case s.run.n > 0 && max(s.run.hi, r.Grams)-min(s.run.lo, r.Grams) <= s.cfg.ToleranceGrams:
		s.run.n++
		s.run.lo = min(s.run.lo, r.Grams)
		s.run.hi = max(s.run.hi, r.Grams)
		s.run.last = r
	default:
		s.run = stableRun{n: 1, start: r.At, lo: r.Grams, hi: r.Grams, last: r}
	}
	s.notifyLocked()
	return true
}

// dropped records that the line went down (or could not be opened).
func (s *Scale) dropped(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx.Err() == nil && err != nil {
		s.lastErr = err
	}
	s.run = stableRun{}
	s.notifyLocked()
}

// loop dials, reads until the line drops, and dials again, until closed.
func (s *Scale) loop() {
	defer close(s.done)
	backoff := minBackoff
	for s.ctx.Err() == nil {
		l, err := s.dial()
		if err == nil {
			s.links.Add(1)
			var good bool
			good, err = s.session(l)
			l.Close()
			if good {
				backoff = minBackoff
			}
		}
		s.dropped(err)
		// Sleep backoff ±20 % before the next attempt.
		d := backoff - backoff/5 + rand.N(backoff*2/5+1)
		t := time.NewTimer(d)
		select {
		case <-s.ctx.Done():
			t.Stop()
		case <-t.C:
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// link is an open line to the scale. Read returns (0, nil) when nothing
// arrived within readSlice.
type link io.ReadWriteCloser

func (s *Scale) dial() (link, error) {
	switch s.network {
	case "serial":
		p, err := serial.Open(s.target, s.mode)
		if err != nil {
			return nil, fmt.Errorf("scale: open %s: %w", s.target, err)
		}
		if err := p.SetReadTimeout(readSlice); err != nil {
			p.Close()
			return nil, fmt.Errorf("scale: %s: set read timeout: %w", s.target, err)
		}
		return p, nil
	case "tcp":
		d := net.Dialer{Timeout: dialTimeout, KeepAlive: 15 * time.Second}
		c, err := d.DialContext(s.ctx, "tcp", s.target)
		if err != nil {
			return nil, fmt.Errorf("scale: dial %s: %w", s.target, err)
		}
		return tcpLink{c}, nil
	}
	return nil, fmt.Errorf("scale: unknown network %q", s.network)
}

type tcpLink struct{ net.Conn }

func (c tcpLink) Read(p []byte) (int, error) {
	if err := c.SetReadDeadline(time.Now().Add(readSlice)); err != nil {
		return 0, err
	}
	n, err := c.Conn.Read(p)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		err = nil
	}
	return n, err
}

func (c tcpLink) Write(p []byte) (int, error) {
	if err := c.SetWriteDeadline(time.Now().Add(2 * time.Second)); err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
}

var errIdle = errors.New("scale: no data from the scale; reconnecting")

// session reads lines from l until it fails, goes idle, or the Scale is
// closed. good reports whether at least one usable weight arrived.
func (s *Scale) session(l link) (good bool, err error) {
	split := newLineSplitter(MaxLineLen)
	buf := make([]byte, 512)
	poll := s.cfg.Protocol == MTSICS
	lastData := time.Now()
	var lastAsk time.Time
	waiting := false // MT-SICS: a request is out and unanswered
	for {
		if s.ctx.Err() != nil {
			return good, nil
		}
		if poll {
			now := time.Now()
			if (!waiting && now.Sub(lastAsk) >= s.cfg.PollEvery) || (waiting && now.Sub(lastAsk) >= s.respTimeout) {
				if _, err := l.Write([]byte(pollRequest)); err != nil {
					return good, fmt.Errorf("scale: write %s: %w", s.target, err)
				}
				lastAsk, waiting = now, true
			}
		}
		n, err := l.Read(buf)
		if n > 0 {
			now := time.Now()
			lastData = now
			split.feed(buf[:n], func(line string) {
				if s.observe(line, now) {
					good = true
				}
				waiting = false
			})
		}
		if err != nil {
			if s.ctx.Err() != nil {
				return good, nil
			}
			return good, fmt.Errorf("scale: read %s: %w", s.target, err)
		}
		if time.Since(lastData) > s.idle {
			return good, errIdle
		}
	}
}
