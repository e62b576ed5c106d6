package syncer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// One request to an upstream: signed as it leaves (every attempt afresh,
// with the clock corrected by what the upstream's Date headers said), its
// answer read up to a limit. What a person reads of a failure names the
// request by its method and endpoint, never by its URL or headers.

// answer is an upstream's reply.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// failure is a request that did not succeed, as the status shows it.
type failure struct {
	msg string
	// online is whether the upstream answered in a way that says it is up:
	// not a network failure, a 5xx, 408 or 429.
	online  bool
	retryAt time.Time // from a Retry-After, when there was one
	status  int
	code    string // the answer's error code, if it gave one
	detail  string // the answer's error text, if it gave one
}

func (f *failure) Error() string { return f.msg }

// errorBody is an upstream's error answer.
type errorBody struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

// maxErrorText bounds what of an upstream's own words is kept in an error.
const maxErrorText = 200

// clip makes outside text one short, valid line.
func clip(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
	if utf8.RuneCountInString(s) > n {
		r := []rune(s)
		s = string(r[:n-1]) + "…"
	}
	return s
}

// exchange sends one request: method to the upstream's URL plus endpoint
// (e.g. "/events") and rawQuery, with body (nil for none), and reads an
// answer of at most limit bytes. A 401 refusing the timestamp is tried again
// at once with the offset its Date taught, once. Any answer is returned,
// whatever its status; a request that got none is a *failure.
func (k *link) exchange(ctx context.Context, method, endpoint, rawQuery string, body []byte, limit int64) (*answer, error) {
	up := k.config()
	what := method + " " + endpoint
	target := strings.TrimSuffix(up.URL, "/") + endpoint
	if rawQuery != "" {
		target += "?" + rawQuery
	}
	for attempt := 0; ; attempt++ {
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, target, rd)
		if err != nil {
			return nil, &failure{msg: what + ": the upstream's URL cannot be used", online: false}
		}
		req.Header.Set("Authorization", "Bearer "+up.Token)
		req.Header.Set("Accept", "application/json")
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		offset := k.clockOffset()
		if err := Sign(req, body, up.SigningKey(), k.s.now().Add(offset)); err != nil {
			return nil, &failure{msg: what + ": " + err.Error()}
		}
		resp, err := k.s.client.Do(req)
		if err != nil {
			return nil, &failure{msg: what + ": " + transportCause(err)}
		}
		k.learnClock(resp.Header)
		raw, err := readLimited(resp.Body, limit)
		resp.Body.Close()
		if err != nil {
			return nil, &failure{msg: what + ": reading the answer: " + transportCause(err)}
		}
		a := &answer{status: resp.StatusCode, header: resp.Header, body: raw}
		if a.status == http.StatusUnauthorized && attempt == 0 && k.clockOffset() != offset {
			var e errorBody
			if json.Unmarshal(raw, &e) == nil && e.Code == "signature.timestamp" {
				continue // signed again with the corrected clock
			}
		}
		return a, nil
	}
}

// errTooLarge is an answer over its limit.
var errTooLarge = errors.New("the answer is larger than allowed")

func readLimited(r io.Reader, limit int64) ([]byte, error) {
	raw, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(raw)) > limit {
		return nil, fmt.Errorf("%w (%d bytes)", errTooLarge, limit)
	}
	return raw, nil
}

// transportCause words a failed request without its URL (which a
// url.Error repeats).
func transportCause(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "no answer in time"
	case errors.Is(err, errTooLarge):
		return err.Error()
	}
	return clip(err.Error(), maxErrorText)
}

// fail makes a failure of an answer that is not a success.
func (k *link) fail(what string, a *answer) *failure {
	f := &failure{status: a.status, online: true}
	var e errorBody
	if json.Unmarshal(a.body, &e) == nil {
		f.code, f.detail = clip(e.Code, 64), clip(e.Error, maxErrorText)
	}
	switch {
	case a.status == http.StatusTooManyRequests, a.status == http.StatusRequestTimeout, a.status >= 500:
		f.online = false
	}
	if a.status == http.StatusTooManyRequests || a.status == http.StatusServiceUnavailable {
		if at, ok := retryAfter(a.header, k.s.now(), k.clockOffset()); ok {
			f.retryAt = at
		}
	}
	var b strings.Builder
	b.WriteString(what + ": " + strconv.Itoa(a.status) + " " + http.StatusText(a.status))
	if f.code != "" {
		b.WriteString(" (" + f.code + ")")
	}
	if f.detail != "" {
		b.WriteString(": " + f.detail)
	}
	switch a.status {
	case http.StatusUnauthorized, http.StatusForbidden:
		b.WriteString(" — check the upstream's token, secret and the warehouse's clock")
	}
	f.msg = b.String()
	return f
}

// learnClock takes the upstream's clock from a Date header: later requests
// are signed with the warehouse's clock corrected by the difference. Date
// has whole seconds, so differences under two seconds are noise.
func (k *link) learnClock(h http.Header) {
	d := h.Get("Date")
	if d == "" {
		return
	}
	at, err := http.ParseTime(d)
	if err != nil {
		return
	}
	off := at.Sub(k.s.now())
	if off < 2*time.Second && off > -2*time.Second {
		off = 0
	}
	k.mu.Lock()
	k.offset = off
	k.mu.Unlock()
}

func (k *link) clockOffset() time.Duration {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.offset
}
