package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// apiError is a non-2xx answer from the server.
type apiError struct {
	Method, Path string
	Status       int
	Code         string // invalid, unauthorized, forbidden, not_found, conflict, internal
	Message      string
	Rows         json.RawMessage // bad CSV rows of an import
}

func (e *apiError) Error() string {
	s := fmt.Sprintf("%s %s: %d %s: %s", e.Method, e.Path, e.Status, e.Code, e.Message)
	if len(e.Rows) > 0 && string(e.Rows) != "null" {
		s += " rows=" + string(e.Rows)
	}
	return s
}

// statusOf is the HTTP status of an API error, 0 for anything else.
func statusOf(err error) int {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.Status
	}
	return 0
}

// client speaks Tally's JSON API with one bearer token.
type client struct {
	hc    *http.Client
	base  string
	token string
}

// request is one API call.
type request struct {
	method, path string
	device       string // X-Tally-Device, empty for none
	idemKey      string // Idempotency-Key, empty for none
	contentType  string
	body         []byte
	auth         bool
}

// do sends a request and returns the body of a 2xx answer. A non-2xx
// answer is an *apiError; anything else is a transport error.
func (c *client) do(ctx context.Context, r request) ([]byte, error) {
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, c.base+r.path, body)
	if err != nil {
		return nil, err
	}
	if r.auth {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	req.Header.Set("Accept", "application/json")
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	if r.device != "" {
		req.Header.Set("X-Tally-Device", r.device)
	}
	if r.idemKey != "" {
		req.Header.Set("Idempotency-Key", r.idemKey)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return raw, nil
	}
	ae := &apiError{Method: r.method, Path: r.path, Status: resp.StatusCode}
	var e struct {
		Error string          `json:"error"`
		Code  string          `json:"code"`
		Rows  json.RawMessage `json:"rows"`
	}
	if json.Unmarshal(raw, &e) == nil && (e.Error != "" || e.Code != "") {
		ae.Code, ae.Message, ae.Rows = e.Code, e.Error, e.Rows
	} else {
		ae.Message = strings.TrimSpace(string(raw[:min(len(raw), 200)]))
	}
	return nil, ae
}

// getJSON is an authenticated GET decoded into out.
func (c *client) getJSON(ctx context.Context, path, device string, out any) error {
	raw, err := c.do(ctx, request{method: http.MethodGet, path: path, device: device, auth: true})
	if err != nil {
		return err
	}
	return decodeJSON(raw, out, path)
}

// postJSON is an authenticated POST of in (nil for no body) decoded into out (nil to ignore).
func (c *client) postJSON(ctx context.Context, path, device, idemKey string, in, out any) error {
	r := request{method: http.MethodPost, path: path, device: device, idemKey: idemKey, auth: true}
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		r.body, r.contentType = b, "application/json"
	}
	raw, err := c.do(ctx, r)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	return decodeJSON(raw, out, path)
}

func decodeJSON(raw []byte, out any, path string) error {
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s: decode answer: %w", path, err)
	}
	return nil
}

// newHTTPClient pools enough connections for every handheld to keep its own.
func newHTTPClient(pdas int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 2*pdas + 32
	tr.MaxIdleConnsPerHost = pdas + 16
	tr.IdleConnTimeout = 90 * time.Second
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}
