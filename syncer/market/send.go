package market

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// How every adapter but Shopify's sends a request and reads its answer:
// at most maxAnswer bytes, and what went wrong on the way as an *Error.
// Nothing here puts a request's parameters in an error: they carry the
// access token and the signature.

// maxAnswer is the most of a platform's answer an adapter reads: a longer
// one is not an answer it can use.
const maxAnswer = 1 << 20

// defaultClient is used when a Conn has no client (tests, tools).
var defaultClient = &http.Client{Timeout: 30 * time.Second}

// send sends req and reads its answer. A transport failure, an
// unreadable or oversized answer, a 5xx or a 429 is an *Error; any other
// status is returned with its body for the platform's own decoding.
func send(ctx context.Context, c Conn, platform string, req *http.Request) (status int, body []byte, err error) {
	client := c.HTTP
	if client == nil {
		client = defaultClient
	}
	resp, err := client.Do(req.WithContext(ctx))
	if err != nil {
		if ctx.Err() != nil {
			return 0, nil, ctx.Err()
		}
		return 0, nil, &Error{Kind: Down, Message: platform + " did not answer: " + transportReason(err)}
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return resp.StatusCode, nil, &Error{Kind: Down, Status: resp.StatusCode, Message: platform + "'s answer was cut off: " + transportReason(err)}
	}
	if len(body) > maxAnswer {
		return resp.StatusCode, nil, &Error{Kind: Retry, Status: resp.StatusCode, Message: fmt.Sprintf("%s answered more than %d bytes; the answer was not read", platform, maxAnswer)}
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		after := retryAfterHeader(resp.Header.Get("Retry-After"), connNow(c))
		c.Limit.Hold(after)
		return resp.StatusCode, nil, &Error{Kind: Throttled, Code: "429", Status: resp.StatusCode, RetryAfter: after, Message: platform + " said too many requests (HTTP 429)"}
	case resp.StatusCode >= 500:
		return resp.StatusCode, nil, &Error{Kind: Down, Code: strconv.Itoa(resp.StatusCode), Status: resp.StatusCode, Message: fmt.Sprintf("%s answered HTTP %d", platform, resp.StatusCode)}
	}
	return resp.StatusCode, body, nil
}

// transportReason is what a transport error says, without the
// request's URL (a *url.Error repeats it, query string and all).
func transportReason(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "no answer before the timeout"
	}
	return clipText(err.Error(), 200)
}

// retryAfterHeader reads a Retry-After header (seconds or an HTTP date); zero
// when there is none or it makes no sense.
func retryAfterHeader(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if s, err := strconv.Atoi(h); err == nil {
		if s < 0 || s > 3600 {
			return 0
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) && t.Sub(now) <= time.Hour {
		return t.Sub(now)
	}
	return 0
}

func connNow(c Conn) time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}
