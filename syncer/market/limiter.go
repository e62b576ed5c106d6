package market

import (
	"context"
	"sync"
	"time"
)

// Limiter keeps one shop's requests under its platform's limit: a token
// bucket of Burst requests refilled at PerMinute, which a platform's
// answer may also hold (a rate-limit answer: nothing before then) or
// re-fill (Shopify's throttle status says how much cost is available and
// how fast it comes back).
type Limiter struct {
	mu        sync.Mutex
	perSecond float64
	burst     float64
	tokens    float64
	last      time.Time
	hold      time.Time
	now       func() time.Time
	sleep     func(context.Context, time.Duration) error
}

// NewLimiter allows at most perMinute requests in any minute, up to burst
// of them at once: the bucket refills at (perMinute − burst) a minute, so a
// full burst plus a minute's refill is still perMinute.
func NewLimiter(perMinute, burst int) *Limiter {
	if perMinute <= 0 {
		perMinute = 60
	}
	burst = min(max(burst, 1), max(perMinute/2, 1))
	refill := float64(max(perMinute-burst, 1)) / 60
	return &Limiter{perSecond: refill, burst: float64(burst), tokens: float64(burst), now: time.Now, sleep: sleepCtx}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Wait blocks until cost may be spent (a request is cost 1; Shopify's
// GraphQL its query's cost), or the context ends.
func (l *Limiter) Wait(ctx context.Context, cost float64) error {
	if l == nil {
		return nil
	}
	for {
		l.mu.Lock()
		now := l.now()
		l.refill(now)
		var wait time.Duration
		switch {
		case now.Before(l.hold):
			wait = l.hold.Sub(now)
		case l.tokens >= cost || (l.tokens >= l.burst && cost > l.burst):
			l.tokens -= cost
			l.mu.Unlock()
			return nil
		default:
			wait = time.Duration((cost - l.tokens) / l.perSecond * float64(time.Second))
		}
		l.mu.Unlock()
		if err := l.sleep(ctx, max(wait, time.Millisecond)); err != nil {
			return err
		}
	}
}

func (l *Limiter) refill(now time.Time) {
	if !l.last.IsZero() && now.After(l.last) {
		l.tokens = min(l.burst, l.tokens+now.Sub(l.last).Seconds()*l.perSecond)
	}
	l.last = now
}

// Hold lets nothing through for d (a platform said "too many requests").
func (l *Limiter) Hold(d time.Duration) {
	if l == nil || d <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if until := l.now().Add(d); until.After(l.hold) {
		l.hold = until
	}
	l.tokens = 0
}

// Set takes what the platform says is available now and how fast it comes
// back per second (Shopify's throttleStatus): the platform's count, not
// ours, decides.
func (l *Limiter) Set(available, restorePerSecond, maximum float64) {
	if l == nil || restorePerSecond <= 0 || maximum <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.refill(l.now())
	l.tokens, l.perSecond, l.burst = min(available, maximum), restorePerSecond, maximum
}
