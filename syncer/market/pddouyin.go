package market

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// What the Pinduoduo and Douyin adapters share: sending one request and
// reading its answer (at most pdAnswerLimit bytes), and turning what went
// wrong on the way into a market.Error. Nothing here ever puts a request's
// parameters in an error: they carry the access token and the signature.

// pdAnswerLimit bounds a platform's answer.
const pdAnswerLimit = 1 << 20

// pdSend sends req and reads its answer. A transport failure, an
// unreadable or oversized answer, a 5xx or a 429 is an *Error; any other
// status is returned with its body for the platform's own decoding.
func pdSend(ctx context.Context, c Conn, platform string, req *http.Request) (status int, body []byte, err error) {
	client := c.HTTP
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req.WithContext(ctx))
	if err != nil {
		if ctx.Err() != nil {
			return 0, nil, ctx.Err()
		}
		return 0, nil, &Error{Kind: Down, Message: platform + " did not answer: " + pdTransportReason(err)}
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(io.LimitReader(resp.Body, pdAnswerLimit+1))
	if err != nil {
		return resp.StatusCode, nil, &Error{Kind: Down, Status: resp.StatusCode, Message: platform + "'s answer was cut off: " + pdTransportReason(err)}
	}
	if len(body) > pdAnswerLimit {
		return resp.StatusCode, nil, &Error{Kind: Retry, Status: resp.StatusCode, Message: fmt.Sprintf("%s answered more than %d bytes; the answer was not read", platform, pdAnswerLimit)}
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		after := pdRetryAfter(resp.Header.Get("Retry-After"), pdNow(c))
		c.Limit.Hold(after)
		return resp.StatusCode, nil, &Error{Kind: Throttled, Code: "429", Status: resp.StatusCode, RetryAfter: after, Message: platform + " said too many requests (HTTP 429)"}
	case resp.StatusCode >= 500:
		return resp.StatusCode, nil, &Error{Kind: Down, Code: strconv.Itoa(resp.StatusCode), Status: resp.StatusCode, Message: fmt.Sprintf("%s answered HTTP %d", platform, resp.StatusCode)}
	}
	return resp.StatusCode, body, nil
}

// pdTransportReason is what a transport error says, without the
// request's URL (a *url.Error repeats it, query string and all).
func pdTransportReason(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "no answer before the timeout"
	}
	return pdClip(err.Error(), 200)
}

// pdRetryAfter reads a Retry-After header (seconds or an HTTP date); zero
// when there is none or it makes no sense.
func pdRetryAfter(h string, now time.Time) time.Duration {
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

func pdNow(c Conn) time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}

// pdClip keeps a platform's message readable in a status line.
func pdClip(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}

// pdStableID is an idempotency key as a platform takes it: the key itself
// when it is short plain ASCII, else a digest of it (the same key always
// gives the same ID).
func pdStableID(key string, max int) string {
	plain := key != "" && len(key) <= max
	for i := 0; plain && i < len(key); i++ {
		b := key[i]
		plain = b == '-' || b == '_' || b == ':' || b == '.' || (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z')
	}
	if plain {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	return "t" + hex.EncodeToString(sum[:])[:min(32, max-1)]
}

// pdDigits says whether s is a non-empty decimal ID.
func pdDigits(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
