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

// maxAnswer is the most of a platform's answer an adapter reads: a longer
// one is not an answer it can use.
const maxAnswer = 1 << 20

// defaultClient is used when a Conn has no client (tests, tools).
var defaultClient = &http.Client{Timeout: 30 * time.Second}

// postForm sends a signed form (the gateways of TOP and JOS take their
// system and business parameters as one urlencoded body) after the shop's
// limiter lets it through, and reads at most maxAnswer of the answer. No
// usable answer is Down; an HTTP 429 is Throttled (with Retry-After).
// The form is never part of an error: it carries the session and the sign.
func postForm(ctx context.Context, c Conn, platform, endpoint string, form url.Values) ([]byte, error) {
	if err := c.Limit.Wait(ctx, 1); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, &Error{Kind: Refused, Code: platform + ".url", Message: "the shop's gateway URL is not usable: " + endpoint}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=utf-8")
	req.Header.Set("Accept", "application/json")
	client := c.HTTP
	if client == nil {
		client = defaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &Error{Kind: Down, Message: platform + " did not answer: " + netReason(err)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &Error{Kind: Down, Status: resp.StatusCode, Message: platform + "'s answer was cut off: " + netReason(err)}
	}
	if len(body) > maxAnswer {
		return nil, &Error{Kind: Down, Status: resp.StatusCode, Message: fmt.Sprintf("%s's answer is over %d bytes: not read", platform, maxAnswer)}
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		wait := retryAfter(resp.Header.Get("Retry-After"))
		c.Limit.Hold(wait)
		return nil, &Error{Kind: Throttled, Code: "http.429", Status: resp.StatusCode, RetryAfter: wait, Message: platform + " answered 429 Too Many Requests"}
	case resp.StatusCode >= 500:
		return nil, &Error{Kind: Down, Status: resp.StatusCode, Message: fmt.Sprintf("%s answered HTTP %d", platform, resp.StatusCode)}
	case resp.StatusCode != http.StatusOK:
		return nil, &Error{Kind: Retry, Status: resp.StatusCode, Message: fmt.Sprintf("%s answered HTTP %d", platform, resp.StatusCode)}
	}
	return body, nil
}

// netReason is a transport error without the request (its URL is the
// shop's gateway, never a secret, but the reason is what a person needs).
func netReason(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out"
	}
	return clipText(err.Error(), 200)
}

// retryAfter reads a Retry-After header in seconds (0 when absent or not
// seconds).
func retryAfter(h string) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(h))
	if err != nil || n <= 0 {
		return 0
	}
	return time.Duration(min(n, 3600)) * time.Second
}

// clipText keeps a platform's text short in an error.
func clipText(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
