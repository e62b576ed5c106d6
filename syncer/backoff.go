package syncer

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// backoff is the wait after consecutive failures: the n-th waits a random
// time in [0, min(max, base·2ⁿ)] (full jitter), so warehouses that lost the
// same OMS do not all come back in the same second. A success resets it.
type backoff struct {
	base, max time.Duration
	rand      func() float64
	failures  int
}

// next counts one more failure and says how long to wait.
func (b *backoff) next() time.Duration {
	b.failures++
	ceil := b.max
	if b.failures < 40 { // 2⁴⁰ s is far past any max
		if d := b.base << b.failures; d > 0 && d < ceil {
			ceil = d
		}
	}
	r := b.rand()
	if r < 0 || r >= 1 {
		r = 0
	}
	return time.Duration(r * float64(ceil))
}

func (b *backoff) reset() { b.failures = 0 }

// maxRetryAfter bounds a Retry-After: an OMS that asks for a week is taken
// at a day (the status shows the time).
const maxRetryAfter = 24 * time.Hour

// retryAfter reads a Retry-After header, seconds or an HTTP-date, as a time
// on the warehouse's clock (now, and offset: the upstream's clock minus
// ours, since an HTTP-date is on the upstream's clock). ok is false without
// a usable header.
func retryAfter(h http.Header, now time.Time, offset time.Duration) (time.Time, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" || len(v) > 64 {
		return time.Time{}, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return time.Time{}, false
		}
		d := maxRetryAfter
		if secs < int64(maxRetryAfter/time.Second) {
			d = time.Duration(secs) * time.Second
		}
		return now.Add(d), true
	}
	at, err := http.ParseTime(v)
	if err != nil {
		return time.Time{}, false
	}
	at = at.Add(-offset)
	if at.Before(now) {
		return now, true
	}
	if at.Sub(now) > maxRetryAfter {
		at = now.Add(maxRetryAfter)
	}
	return at, true
}
