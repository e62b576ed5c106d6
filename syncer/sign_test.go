package syncer

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

var (
	vecSecret = []byte("tally-example-secret")
	vecBody   = []byte(`{"batch":[{"id":"0b7f2c1e-5d4a-4c3b-9e8f-1a2b3c4d5e6f"}]}`)
	vecTime   = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) // 1767225600
)

// signed builds a client request and signs it, failing the test on error.
func signed(t testing.TB, method, rawURL string, body, secret []byte, now time.Time) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if err := Sign(req, body, secret, now); err != nil {
		t.Fatal(err)
	}
	return req
}

// reference computes a signature header from the scheme as written in the package comment,
// independently of sign.go.
func reference(secret []byte, method, target, ts string, body []byte) string {
	bodySum := sha256.Sum256(body)
	msg := "v1" + "\n" + method + "\n" + target + "\n" + ts + "\n" + hex.EncodeToString(bodySum[:])
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(msg))
	return "v1=" + hex.EncodeToString(m.Sum(nil))
}

func TestSignVectors(t *testing.T) {
	cases := []struct {
		name, method, url, target string
		body                      []byte
		want                      string // pinned: a change to the scheme must fail here
	}{
		{"push", http.MethodPost, "https://oms.example/tally/v1/push?owner=ACME", "/tally/v1/push?owner=ACME", vecBody,
			"v1=3605a0fcf436a14d0d424cbb3401f27ca74568084d29e4549aa5242ce0d5cdd0"},
		{"pull, empty body", http.MethodGet, "https://oms.example/tally/v1/pull?cursor=42&limit=500", "/tally/v1/pull?cursor=42&limit=500", nil,
			"v1=6e770e496313088d5122eb6cb643085ec6e9982b3defe814d302bd315ba29448"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := signed(t, c.method, c.url, c.body, vecSecret, vecTime)
			if got := req.Header.Get(HeaderTimestamp); got != "1767225600" {
				t.Fatalf("timestamp %q, want 1767225600", got)
			}
			got := req.Header.Get(HeaderSignature)
			if ref := reference(vecSecret, c.method, c.target, "1767225600", c.body); got != ref {
				t.Fatalf("signature %s, the scheme computed step by step gives %s", got, ref)
			}
			if got != c.want {
				t.Fatalf("signature %s, pinned %s", got, c.want)
			}
			if err := Verify(req, c.body, vecSecret, vecTime, 0); err != nil {
				t.Fatalf("own signature refused: %v", err)
			}
		})
	}
	// the empty body's hash is SHA-256 of nothing, as the package comment says
	if s := sha256.Sum256(nil); hex.EncodeToString(s[:]) != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Fatal("SHA-256 of nothing changed")
	}
}

// TestSignOverTheWire sends signed requests to a real server: the target the client signs
// must be the one the server reads off the request line, escapes and odd queries included.
func TestSignOverTheWire(t *testing.T) {
	now := vecTime
	var got []error
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := ReadBody(r.Body)
		if err == nil {
			err = Verify(r, body, vecSecret, now, 0)
		}
		got = append(got, err)
	}))
	defer srv.Close()
	paths := []string{
		"/tally/v1/push",
		"/tally/v1/push?owner=ACME&owner=B%C3%BCro",
		"/tally/v1/a%41b/%2F?x=%20&y=+&z",
		"/tally/v1/pull?",
		"/tally/v1/%E4%B8%AD?q=%E4%B8%AD",
	}
	for _, p := range paths {
		req := signed(t, http.MethodPost, srv.URL+p, vecBody, vecSecret, now)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if len(got) != len(paths) {
		t.Fatalf("server saw %d requests, want %d", len(got), len(paths))
	}
	for i, err := range got {
		if err != nil {
			t.Errorf("%s: refused by the server: %v", paths[i], err)
		}
	}
}

func TestVerifyRefusesTampering(t *testing.T) {
	const u = "https://oms.example/tally/v1/push?owner=ACME&limit=5"
	cases := []struct {
		name   string
		tamper func(r *http.Request, body []byte) []byte
	}{
		{"method", func(r *http.Request, b []byte) []byte { r.Method = http.MethodPut; return b }},
		{"method case", func(r *http.Request, b []byte) []byte { r.Method = "post"; return b }},
		{"path", func(r *http.Request, b []byte) []byte { r.URL.Path = "/tally/v1/pull"; return b }},
		{"query value", func(r *http.Request, b []byte) []byte { r.URL.RawQuery = "owner=ACMF&limit=5"; return b }},
		{"query order", func(r *http.Request, b []byte) []byte { r.URL.RawQuery = "limit=5&owner=ACME"; return b }},
		{"query dropped", func(r *http.Request, b []byte) []byte { r.URL.RawQuery = ""; return b }},
		{"body byte", func(r *http.Request, b []byte) []byte {
			c := bytes.Clone(b)
			c[10] ^= 1
			return c
		}},
		{"body appended", func(r *http.Request, b []byte) []byte { return append(bytes.Clone(b), ' ') }},
		{"body emptied", func(r *http.Request, b []byte) []byte { return nil }},
		{"timestamp", func(r *http.Request, b []byte) []byte {
			r.Header.Set(HeaderTimestamp, "1767225601")
			return b
		}},
		{"signature", func(r *http.Request, b []byte) []byte {
			s := []byte(r.Header.Get(HeaderSignature))
			if s[len(s)-1] == '0' {
				s[len(s)-1] = '1'
			} else {
				s[len(s)-1] = '0'
			}
			r.Header.Set(HeaderSignature, string(s))
			return b
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := signed(t, http.MethodPost, u, vecBody, vecSecret, vecTime)
			if err := Verify(req, vecBody, vecSecret, vecTime, 0); err != nil {
				t.Fatalf("untampered request refused: %v", err)
			}
			body := c.tamper(req, vecBody)
			if err := Verify(req, body, vecSecret, vecTime, 0); !errors.Is(err, ErrBadSignature) {
				t.Fatalf("tampered request: got %v, want ErrBadSignature", err)
			}
		})
	}
	t.Run("secret", func(t *testing.T) {
		req := signed(t, http.MethodPost, u, vecBody, vecSecret, vecTime)
		if err := Verify(req, vecBody, []byte("tally-example-secreT"), vecTime, 0); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("other secret: got %v, want ErrBadSignature", err)
		}
	})
}

func TestVerifySkewEdges(t *testing.T) {
	req := signed(t, http.MethodPost, "https://oms.example/tally/v1/push", vecBody, vecSecret, vecTime)
	cases := []struct {
		name string
		now  time.Time
		skew time.Duration
		ok   bool
	}{
		{"same second", vecTime, 0, true},
		{"same second, late in it", vecTime.Add(999 * time.Millisecond), 0, true},
		{"receiver exactly 5m later", vecTime.Add(5 * time.Minute), 0, true},
		{"receiver 5m later, late in the second", vecTime.Add(5*time.Minute + 999*time.Millisecond), 0, true},
		{"receiver 5m1s later", vecTime.Add(5*time.Minute + time.Second), 0, false},
		{"receiver exactly 5m earlier", vecTime.Add(-5 * time.Minute), 0, true},
		{"receiver 5m1s earlier", vecTime.Add(-5*time.Minute - time.Second), 0, false},
		{"negative skew means default", vecTime.Add(5 * time.Minute), -time.Second, true},
		{"15m skew allowed, exactly 15m", vecTime.Add(15 * time.Minute), 15 * time.Minute, true},
		{"15m skew allowed, 15m1s", vecTime.Add(-15*time.Minute - time.Second), 15 * time.Minute, false},
		{"30s skew, 31s", vecTime.Add(31 * time.Second), 30 * time.Second, false},
		{"three days later (a queued message signed when queued)", vecTime.Add(72 * time.Hour), 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Verify(req, vecBody, vecSecret, c.now, c.skew)
			if c.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !c.ok && !errors.Is(err, ErrTimestampOutOfRange) {
				t.Fatalf("got %v, want ErrTimestampOutOfRange", err)
			}
		})
	}
	err := Verify(req, vecBody, vecSecret, vecTime.Add(-15*time.Minute), 0)
	if err == nil || !strings.Contains(err.Error(), "15m0s ahead of") {
		t.Fatalf("the error should say how far and which way: %v", err)
	}
}

func TestVerifyAnyRotation(t *testing.T) {
	oldS, newS := []byte("old-secret"), []byte("new-secret")
	u := "https://oms.example/tally/v1/push"
	byOld := signed(t, http.MethodPost, u, vecBody, oldS, vecTime)
	byNew := signed(t, http.MethodPost, u, vecBody, newS, vecTime)
	for name, req := range map[string]*http.Request{"old": byOld, "new": byNew} {
		if err := VerifyAny(req, vecBody, [][]byte{newS, oldS}, vecTime, 0); err != nil {
			t.Errorf("signed by the %s secret, both held: %v", name, err)
		}
		if err := VerifyAny(req, vecBody, [][]byte{nil, oldS, newS}, vecTime, 0); err != nil {
			t.Errorf("signed by the %s secret, an empty one skipped: %v", name, err)
		}
	}
	if err := VerifyAny(byOld, vecBody, [][]byte{newS}, vecTime, 0); !errors.Is(err, ErrBadSignature) {
		t.Errorf("old secret retired: got %v, want ErrBadSignature", err)
	}
	if err := VerifyAny(byOld, vecBody, nil, vecTime, 0); !errors.Is(err, ErrNoSecret) {
		t.Errorf("no secrets: got %v, want ErrNoSecret", err)
	}
	if err := VerifyAny(byOld, vecBody, [][]byte{nil, {}}, vecTime, 0); !errors.Is(err, ErrNoSecret) {
		t.Errorf("only empty secrets: got %v, want ErrNoSecret", err)
	}
}

// An unconfigured (empty) secret must never accept a request signed with an empty key.
func TestEmptySecretRefused(t *testing.T) {
	req, _ := http.NewRequest(http.MethodPost, "https://oms.example/tally/v1/push", nil)
	if err := Sign(req, vecBody, nil, vecTime); !errors.Is(err, ErrNoSecret) {
		t.Fatalf("Sign with no secret: got %v", err)
	}
	req.Header.Set(HeaderTimestamp, "1767225600")
	req.Header.Set(HeaderSignature, reference(nil, http.MethodPost, "/tally/v1/push", "1767225600", vecBody))
	if err := Verify(req, vecBody, nil, vecTime, 0); !errors.Is(err, ErrNoSecret) {
		t.Fatalf("Verify with an empty secret: got %v, want ErrNoSecret", err)
	}
	// nor when an empty entry sits among real ones during a rotation
	if err := VerifyAny(req, vecBody, [][]byte{nil, vecSecret}, vecTime, 0); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("VerifyAny with an empty and a real secret: got %v, want ErrBadSignature", err)
	}
}

func TestVerifyHeaderErrors(t *testing.T) {
	good := signed(t, http.MethodPost, "https://oms.example/tally/v1/push", vecBody, vecSecret, vecTime)
	goodSig := good.Header.Get(HeaderSignature)
	hexPart := strings.TrimPrefix(goodSig, "v1=")
	cases := []struct {
		name    string
		ts, sig []string // nil: header absent
		want    error
	}{
		{"no timestamp", nil, []string{goodSig}, ErrMissingTimestamp},
		{"empty timestamp", []string{""}, []string{goodSig}, ErrMalformedTimestamp},
		{"timestamp twice", []string{"1767225600", "1767225600"}, []string{goodSig}, ErrMalformedTimestamp},
		{"timestamp with plus", []string{"+1767225600"}, []string{goodSig}, ErrMalformedTimestamp},
		{"negative timestamp", []string{"-1767225600"}, []string{goodSig}, ErrMalformedTimestamp},
		{"leading zero", []string{"01767225600"}, []string{goodSig}, ErrMalformedTimestamp},
		{"zero", []string{"0"}, []string{goodSig}, ErrMalformedTimestamp},
		{"fraction", []string{"1767225600.5"}, []string{goodSig}, ErrMalformedTimestamp},
		{"milliseconds are out of range", []string{"1767225600000"}, []string{goodSig}, ErrTimestampOutOfRange},
		{"space", []string{" 1767225600"}, []string{goodSig}, ErrMalformedTimestamp},
		{"date text", []string{"Thu, 01 Jan 2026 00:00:00 GMT"}, []string{goodSig}, ErrMalformedTimestamp},
		{"19 digits", []string{"1000000000000000000"}, []string{goodSig}, ErrMalformedTimestamp},
		{"no signature", []string{"1767225600"}, nil, ErrMissingSignature},
		{"signature twice", []string{"1767225600"}, []string{goodSig, goodSig}, ErrMalformedSignature},
		{"bare hex", []string{"1767225600"}, []string{hexPart}, ErrMalformedSignature},
		{"v1 alone", []string{"1767225600"}, []string{"v1"}, ErrMalformedSignature},
		{"v1 empty", []string{"1767225600"}, []string{"v1="}, ErrMalformedSignature},
		{"no version", []string{"1767225600"}, []string{"=" + hexPart}, ErrMalformedSignature},
		{"upper-case hex", []string{"1767225600"}, []string{"v1=" + strings.ToUpper(hexPart)}, ErrMalformedSignature},
		{"short hex", []string{"1767225600"}, []string{"v1=" + hexPart[1:]}, ErrMalformedSignature},
		{"long hex", []string{"1767225600"}, []string{goodSig + "0"}, ErrMalformedSignature},
		{"two versions listed", []string{"1767225600"}, []string{goodSig + ",v0=" + hexPart}, ErrMalformedSignature},
		{"base64", []string{"1767225600"}, []string{"v1=NgWg/PQ2oU0NQky7NAHyfKdWgIRNKeVJqiUkLODVzdA="}, ErrMalformedSignature},
		{"v2", []string{"1767225600"}, []string{"v2=" + hexPart}, ErrUnsupportedVersion},
		{"V1", []string{"1767225600"}, []string{"V1=" + hexPart}, ErrUnsupportedVersion},
		{"huge header", []string{"1767225600"}, []string{"v1=" + strings.Repeat("a", 5000)}, ErrMalformedSignature},
	}
	seen := map[error]bool{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := good.Clone(good.Context())
			req.Header.Del(HeaderTimestamp)
			req.Header.Del(HeaderSignature)
			for _, v := range c.ts {
				req.Header.Add(HeaderTimestamp, v)
			}
			for _, v := range c.sig {
				req.Header.Add(HeaderSignature, v)
			}
			err := Verify(req, vecBody, vecSecret, vecTime, 0)
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			seen[c.want] = true
		})
	}
	// each refusal has its own error, so the server can answer clearly
	all := []error{ErrBodyTooLarge, ErrNoSecret, ErrMissingToken, ErrMalformedToken, ErrMissingTimestamp,
		ErrMalformedTimestamp, ErrMissingSignature, ErrMalformedSignature, ErrUnsupportedVersion,
		ErrTimestampOutOfRange, ErrMalformedRequest, ErrBadSignature}
	for i, a := range all {
		for _, b := range all[i+1:] {
			if errors.Is(a, b) || a.Error() == b.Error() {
				t.Errorf("%v and %v cannot be told apart", a, b)
			}
		}
	}
}

func TestBodyLimit(t *testing.T) {
	big := bytes.Repeat([]byte("x"), MaxBody+1)
	req, _ := http.NewRequest(http.MethodPost, "https://oms.example/tally/v1/push", nil)
	if err := Sign(req, big, vecSecret, vecTime); !errors.Is(err, ErrBodyTooLarge) {
		t.Fatalf("Sign of %d bytes: got %v", len(big), err)
	}
	atLimit := big[:MaxBody]
	if err := Sign(req, atLimit, vecSecret, vecTime); err != nil {
		t.Fatalf("Sign of exactly MaxBody: %v", err)
	}
	if err := Verify(req, atLimit, vecSecret, vecTime, 0); err != nil {
		t.Fatalf("Verify of exactly MaxBody: %v", err)
	}
	if err := Verify(req, big, vecSecret, vecTime, 0); !errors.Is(err, ErrBodyTooLarge) {
		t.Fatalf("Verify of %d bytes: got %v", len(big), err)
	}

	b, err := ReadBody(bytes.NewReader(atLimit))
	if err != nil || len(b) != MaxBody {
		t.Fatalf("ReadBody of exactly MaxBody: %d bytes, %v", len(b), err)
	}
	if _, err := ReadBody(bytes.NewReader(big)); !errors.Is(err, ErrBodyTooLarge) {
		t.Fatalf("ReadBody of %d bytes: got %v", len(big), err)
	}
	// an endless body is cut off, not read to the end
	if _, err := ReadBody(endless{}); !errors.Is(err, ErrBodyTooLarge) {
		t.Fatalf("ReadBody of an endless body: got %v", err)
	}
	failing := io.MultiReader(strings.NewReader("abc"), errReader{})
	if _, err := ReadBody(failing); err == nil || errors.Is(err, ErrBodyTooLarge) {
		t.Fatalf("ReadBody of a failing reader: got %v", err)
	}
}

type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestUnsignableRequests(t *testing.T) {
	for _, method := range []string{"POST\n/x", "POST\r"} {
		req := &http.Request{Method: method, URL: &url.URL{Path: "/tally/v1/push"}, Header: http.Header{}}
		if err := Sign(req, nil, vecSecret, vecTime); !errors.Is(err, ErrMalformedRequest) {
			t.Errorf("method %q: got %v", method, err)
		}
	}
	// a server request whose raw target holds a newline (net/http never delivers one)
	req := &http.Request{Method: http.MethodPost, RequestURI: "/a\nb", URL: &url.URL{Path: "/a"}, Header: http.Header{}}
	req.Header.Set(HeaderTimestamp, "1767225600")
	req.Header.Set(HeaderSignature, reference(vecSecret, "POST", "/a\nb", "1767225600", nil))
	if err := Verify(req, nil, vecSecret, vecTime, 0); !errors.Is(err, ErrMalformedRequest) {
		t.Errorf("target with a newline: got %v", err)
	}
	if err := Sign(&http.Request{Method: "GET", Header: http.Header{}}, nil, vecSecret, vecTime); !errors.Is(err, ErrMalformedRequest) {
		t.Errorf("no URL: got %v", err)
	}
}

func TestToken(t *testing.T) {
	cases := []struct {
		name   string
		values []string
		want   string
		err    error
	}{
		{"bearer", []string{"Bearer tk_123.abc-XYZ"}, "tk_123.abc-XYZ", nil},
		{"scheme in any case", []string{"bearer tk"}, "tk", nil},
		{"absent", nil, "", ErrMissingToken},
		{"empty", []string{""}, "", ErrMalformedToken},
		{"no token", []string{"Bearer "}, "", ErrMalformedToken},
		{"scheme only", []string{"Bearer"}, "", ErrMalformedToken},
		{"basic", []string{"Basic dXNlcjpwYXNz"}, "", ErrMalformedToken},
		{"two spaces", []string{"Bearer  tk"}, "", ErrMalformedToken},
		{"inner space", []string{"Bearer tk tk"}, "", ErrMalformedToken},
		{"control character", []string{"Bearer tk\x7f"}, "", ErrMalformedToken},
		{"non-ASCII", []string{"Bearer tök"}, "", ErrMalformedToken},
		{"twice", []string{"Bearer a", "Bearer b"}, "", ErrMalformedToken},
		{"too long", []string{"Bearer " + strings.Repeat("a", maxToken+1)}, "", ErrMalformedToken},
		{"longest", []string{"Bearer " + strings.Repeat("a", maxToken)}, strings.Repeat("a", maxToken), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := &http.Request{Header: http.Header{}}
			for _, v := range c.values {
				req.Header.Add("Authorization", v)
			}
			got, err := Token(req)
			if got != c.want || !errors.Is(err, c.err) || (c.err == nil && err != nil) {
				t.Fatalf("got %q, %v; want %q, %v", got, err, c.want, c.err)
			}
		})
	}
}

// FuzzVerifyHeaders gives Verify a request that was signed and then had its method, target,
// body and signature headers replaced by the fuzzer. Verify must not panic, and it may accept
// only the request exactly as signed: without the secret nothing else can carry a valid MAC.
func FuzzVerifyHeaders(f *testing.F) {
	const (
		method = http.MethodPost
		tgt    = "/tally/v1/push?owner=ACME"
	)
	orig := signed(f, method, "https://oms.example"+tgt, vecBody, vecSecret, vecTime)
	ts, sig := orig.Header.Get(HeaderTimestamp), orig.Header.Get(HeaderSignature)

	f.Add(method, tgt, vecBody, ts, sig)
	f.Add(method, tgt, vecBody, "1767225601", sig)
	f.Add(method, tgt, vecBody, "01767225600", sig)
	f.Add(method, tgt+"&x", vecBody, ts, sig)
	f.Add("GET", tgt, vecBody, ts, sig)
	f.Add(method, tgt, []byte{}, ts, sig)
	f.Add(method, tgt, vecBody, ts, strings.ToUpper(sig))
	f.Add(method, tgt, vecBody, ts, "v2="+sig[3:])
	f.Add(method, tgt, vecBody, ts, "v1="+sig[3:20])
	f.Add(method, "/tally/v1/push", vecBody, ts, sig+",v0=00")
	f.Add("POST\n/tally", "/v1/push?owner=ACME", vecBody, ts, sig)
	f.Add(method, tgt, vecBody, "", "")
	f.Add(method, tgt, vecBody, "99999999999999999999", "=")

	f.Fuzz(func(t *testing.T, m, target string, body []byte, tsHeader, sigHeader string) {
		// a server request's target is in origin form (an absolute form names the same path
		// and is not a tampering)
		if !strings.HasPrefix(target, "/") {
			target = "/" + target
		}
		req := &http.Request{Method: m, RequestURI: target, URL: &url.URL{}, Header: http.Header{}}
		if u, err := url.ParseRequestURI(target); err == nil {
			req.URL = u
		}
		req.Header.Set(HeaderTimestamp, tsHeader)
		req.Header.Set(HeaderSignature, sigHeader)
		err := Verify(req, body, vecSecret, vecTime, 0)
		if err != nil {
			return
		}
		if m != method || target != tgt || !bytes.Equal(body, vecBody) || tsHeader != ts || sigHeader != sig {
			t.Fatalf("accepted a tampered request: method %q target %q body %q timestamp %q signature %q",
				m, target, body, tsHeader, sigHeader)
		}
	})
}
