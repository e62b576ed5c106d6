package market

import (
	"context"
	"testing"
	"time"
)

// minuteClock is a limiter's clock that sleeping advances.
type minuteClock struct{ t time.Time }

func (c *minuteClock) now() time.Time { return c.t }
func (c *minuteClock) sleep(_ context.Context, d time.Duration) error {
	c.t = c.t.Add(d)
	return nil
}

// TestLimiterKeepsEveryMinuteUnderTheLimit: a backlog sent as fast as the
// limiter lets it never has more than perMinute requests in any minute,
// and keeps close to that rate; a hold stops everything until it ends.
func TestLimiterKeepsEveryMinuteUnderTheLimit(t *testing.T) {
	for _, tc := range []struct{ per, burst int }{{300, 10}, {60, 5}, {600, 50}, {1, 1}, {10, 100}} {
		c := &minuteClock{t: time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC)}
		l := NewLimiter(tc.per, tc.burst)
		l.now, l.sleep = c.now, c.sleep
		start := c.t
		var at []time.Time
		for c.t.Sub(start) < 5*time.Minute {
			if err := l.Wait(context.Background(), 1); err != nil {
				t.Fatal(err)
			}
			at = append(at, c.t)
		}
		most, j := 0, 0
		for i := range at {
			for at[i].Sub(at[j]) >= time.Minute {
				j++
			}
			most = max(most, i-j+1)
		}
		if most > tc.per {
			t.Errorf("%d/min burst %d: %d requests in one minute", tc.per, tc.burst, most)
		}
		if got := float64(len(at)) / 5; tc.per >= 60 && got < 0.8*float64(tc.per) {
			t.Errorf("%d/min burst %d: only %.0f a minute", tc.per, tc.burst, got)
		}
	}
	c := &minuteClock{t: time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC)}
	l := NewLimiter(6000, 100)
	l.now, l.sleep = c.now, c.sleep
	l.Hold(7 * time.Second)
	before := c.t
	if err := l.Wait(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	if waited := c.t.Sub(before); waited < 7*time.Second {
		t.Errorf("a 7 s hold let a request through after %v", waited)
	}
}
