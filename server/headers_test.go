package server

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"tally/wms"
)

var nonceInCSP = regexp.MustCompile(`style-src 'self' 'nonce-([A-Za-z0-9_-]{22})'`)

// cspNonceOf is the style nonce a Content-Security-Policy allows.
func cspNonceOf(csp string) string {
	if m := nonceInCSP.FindStringSubmatch(csp); m != nil {
		return m[1]
	}
	return ""
}

// wantSecurityHeaders checks the four headers every answer carries.
func wantSecurityHeaders(t *testing.T, what string, h http.Header) {
	t.Helper()
	csp := h.Get(headerCSP)
	for _, d := range []string{"default-src 'self'", "script-src 'self';", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"} {
		if !strings.Contains(csp, d) {
			t.Errorf("%s: Content-Security-Policy %q lacks %q", what, csp, d)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("%s: Content-Security-Policy %q allows inline code", what, csp)
	}
	for name, want := range map[string]string{headerFrameOptions: "DENY", headerContentOptions: "nosniff", headerReferrerPolicy: "same-origin"} {
		if got := h.Get(name); got != want {
			t.Errorf("%s: %s = %q, want %q", what, name, got, want)
		}
	}
}

// Pages, static files, JSON, health, redirects and errors all carry the
// security headers; each page gets a nonce of its own.
func TestSecurityHeadersOnEveryAnswer(t *testing.T) {
	s, l := testServer(t)
	token, err := l.CreateToken(context.Background(), "ops", wms.RoleAdmin, "t")
	if err != nil {
		t.Fatal(err)
	}
	anon := newClient(t, s)
	api := newClient(t, s)
	api.bearer = token
	picker := newClient(t, s)
	if picker.login("B1001", "1111").StatusCode != 303 {
		t.Fatal("login")
	}
	nonces := map[string]bool{}
	for _, tc := range []struct {
		name   string
		c      *client
		path   string
		status int
	}{
		{"login page", anon, "/login", 200},
		{"redirect to login", anon, "/stock", 303},
		{"static script", anon, "/static/tally.js", 200},
		{"static style", anon, "/static/tally.css", 200},
		{"health", anon, "/healthz", 200},
		{"api without login", anon, "/api/v1/stock?sku=SKU00002", 401},
		{"api", api, "/api/v1/skus", 200},
		{"api unknown route", api, "/api/v1/nothing-here", 404},
		{"home page", picker, "/", 200},
		{"stock page", picker, "/stock", 200},
		{"forbidden page", picker, "/admin/import", 403},
		{"unknown page", picker, "/no-such-page", 404},
	} {
		resp, _ := tc.c.get(tc.path)
		if resp.StatusCode != tc.status {
			t.Errorf("%s: %d, want %d", tc.name, resp.StatusCode, tc.status)
		}
		wantSecurityHeaders(t, tc.name, resp.Header)
		n := cspNonceOf(resp.Header.Get(headerCSP))
		if n == "" || nonces[n] {
			t.Errorf("%s: nonce %q missing or used before", tc.name, n)
		}
		nonces[n] = true
	}
}

// rawHTTP sends bytes to a live server and reads one answer.
func rawHTTP(t *testing.T, base, head string, body io.Reader) (*http.Response, string) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	go func() {
		if _, err := io.WriteString(conn, head); err != nil {
			return
		}
		if body != nil {
			_, _ = io.Copy(conn, body) // fails once the server has answered and closed
		}
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp, string(raw)
}

// chunks is a chunked body of n MB that never says how long it is.
func chunks(n int) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		chunk := strings.Repeat("a", 1<<20)
		for i := 0; i < n; i++ {
			if _, err := fmt.Fprintf(pw, "%x\r\n%s\r\n", len(chunk), chunk); err != nil {
				return
			}
		}
		_, _ = io.WriteString(pw, "0\r\n\r\n")
		_ = pw.Close()
	}()
	return pr
}

// Errors under /api/ are JSON with the code and key every API error has,
// Fiber's own refusals included: an address too long to read (431), a
// long id that is read and not found (404), a body over the limit (413),
// sent with its length or chunked; and they carry the security headers.
// Where Fiber gave up before it read the headers, the message is in the
// default language (Chinese): its Accept-Language was never read.
func TestAPIErrorsAreAlwaysJSON(t *testing.T) {
	s, l := testServer(t)
	token, err := l.CreateToken(context.Background(), "ops", wms.RoleAdmin, "t")
	if err != nil {
		t.Fatal(err)
	}
	base := serve(t, s)
	auth := "Authorization: Bearer " + token + "\r\nAccept-Language: en\r\n"
	for _, tc := range []struct {
		name, head string
		body       io.Reader
		status     int
		code, key  string
		says       string
	}{
		{"a 100,000-character id", "GET /api/v1/orders/" + strings.Repeat("x", 100_000) + " HTTP/1.1\r\nHost: t\r\n" + auth + "\r\n", nil,
			431, "invalid", "http.too_long", "请求地址或请求头过长。"},
		{"a 2,000-character id", "GET /api/v1/orders/" + strings.Repeat("x", 2_000) + " HTTP/1.1\r\nHost: t\r\n" + auth + "\r\n", nil,
			404, "not_found", "", ""},
		{"a 100 MB chunked body", "POST /api/v1/orders HTTP/1.1\r\nHost: t\r\n" + auth + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n", chunks(100),
			413, "invalid", "http.too_large", "文件过大。"},
		{"a 100 MB body with its length", "POST /api/v1/orders HTTP/1.1\r\nHost: t\r\n" + auth + "Content-Type: application/json\r\nContent-Length: 104857600\r\n\r\n", nil,
			413, "invalid", "http.too_large", "The file is too large."},
		{"an unknown route", "GET /api/v1/" + strings.Repeat("y", 1_000) + " HTTP/1.1\r\nHost: t\r\n" + auth + "\r\n", nil,
			404, "not_found", "http.not_found", "There is no such page."},
		{"a malformed request", "GET /api/v1/skus HTTP/1.1\r\nHost: t\r\nContent-Length: -5\r\n\r\n", nil,
			400, "invalid", "http.bad_request", "请求无效。"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := rawHTTP(t, base, tc.head, tc.body)
			if resp.StatusCode != tc.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
				t.Fatalf("%d %s, want %d JSON:\n%.300s", resp.StatusCode, resp.Header.Get("Content-Type"), tc.status, body)
			}
			var e apiError
			if err := json.Unmarshal([]byte(body), &e); err != nil || e.Code != tc.code || e.Error == "" || e.Key == "" {
				t.Fatalf("not an API error (%v): %s", err, body)
			}
			if tc.key != "" && (e.Key != tc.key || e.Error != tc.says) {
				t.Errorf("%s %q, want %s %q", e.Key, e.Error, tc.key, tc.says)
			}
			wantSecurityHeaders(t, tc.name, resp.Header)
		})
	}
	// the server still answers after all that
	resp, _ := rawHTTP(t, base, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n", nil)
	if resp.StatusCode != 200 {
		t.Errorf("healthz after: %d", resp.StatusCode)
	}
}
