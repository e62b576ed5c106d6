// This file signs and verifies the requests of Tally's own sync protocol.
//
// # Request signing, version v1
//
// Every request either side sends carries three headers:
//
//	Authorization: Bearer <token>
//	X-Tally-Timestamp: <unix seconds, decimal, no sign, no leading zero>
//	X-Tally-Signature: v1=<lowercase hex HMAC-SHA256, 64 characters>
//
// The token names the caller; the receiver uses it to find the upstream and its shared secret.
// The token is not part of the signed string. The signature is made when the request is sent,
// never when a message is queued: a queue can wait for days, far longer than the skew allowed.
//
// The string signed is five lines joined by "\n" (no newline at the end):
//
//	v1
//	<METHOD>                       as sent, case kept: POST
//	<request target>               the path with its raw query exactly as on the request line,
//	                               no scheme or host: /tally/v1/push?owner=ACME
//	<timestamp>                    the X-Tally-Timestamp value: 1767225600
//	<lowercase hex SHA-256 of the exact body bytes>
//	                               an empty body hashes to e3b0c442…b855 (SHA-256 of nothing)
//
// The HMAC-SHA256 key is the upstream's shared secret, its bytes as given (no decoding). The
// receiver refuses, each with its own error: a body over MaxBody bytes; a missing or malformed
// timestamp or signature header (or the header given twice); a version other than v1; a
// timestamp more than the allowed skew (default five minutes, either way) from its own clock,
// where exactly the limit still passes; and a signature that does not match. Signatures are
// compared in constant time. During a secret's rotation the receiver tries each secret it holds
// (VerifyAny).
//
// # Test vector
//
//	secret     tally-example-secret
//	method     POST
//	target     /tally/v1/push?owner=ACME
//	timestamp  1767225600   (2026-01-01T00:00:00Z)
//	body       {"batch":[{"id":"0b7f2c1e-5d4a-4c3b-9e8f-1a2b3c4d5e6f"}]}   (no newline at the end)
//	body hash  df1ceed047d29362a032e0df844ae531aaf710e0afb43e6652815ec5c666495b
//	signed     "v1\nPOST\n/tally/v1/push?owner=ACME\n1767225600\ndf1ceed047d29362a032e0df844ae531aaf710e0afb43e6652815ec5c666495b"
//	header     X-Tally-Signature: v1=3605a0fcf436a14d0d424cbb3401f27ca74568084d29e4549aa5242ce0d5cdd0
//
// With an empty body, same secret and timestamp, GET /tally/v1/pull?cursor=42&limit=500:
//
//	body hash  e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
//	header     X-Tally-Signature: v1=6e770e496313088d5122eb6cb643085ec6e9982b3defe814d302bd315ba29448
//
// The paths above only illustrate the scheme; docs/sync.md names the protocol's endpoints.

package syncer

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names of the signing scheme.
const (
	HeaderTimestamp = "X-Tally-Timestamp"
	HeaderSignature = "X-Tally-Signature"
)

const (
	// MaxBody is the largest body either side signs or accepts. A sender keeps its batches
	// under it.
	MaxBody = 8 << 20
	// DefaultSkew is how far a timestamp may be from the receiver's clock, either way.
	DefaultSkew = 5 * time.Minute

	version = "v1"
	// maxHeader bounds a header value before it is parsed: the longest valid signature header
	// is 67 bytes and a token is at most maxToken.
	maxHeader = 1024
	maxToken  = 512
	// maxTimestampDigits keeps a parsed timestamp far from int64 overflow.
	maxTimestampDigits = 18
)

// Errors a receiver can tell apart to answer clearly. Verify and VerifyAny wrap them with
// details; test with errors.Is.
var (
	ErrBodyTooLarge        = errors.New("sync: body larger than 8 MiB")
	ErrNoSecret            = errors.New("sync: no signing secret configured")
	ErrMissingToken        = errors.New("sync: Authorization header missing")
	ErrMalformedToken      = errors.New("sync: Authorization header is not \"Bearer <token>\"")
	ErrMissingTimestamp    = errors.New("sync: X-Tally-Timestamp header missing")
	ErrMalformedTimestamp  = errors.New("sync: X-Tally-Timestamp header is not unix seconds")
	ErrMissingSignature    = errors.New("sync: X-Tally-Signature header missing")
	ErrMalformedSignature  = errors.New("sync: X-Tally-Signature header is not \"v1=<64 lowercase hex digits>\"")
	ErrUnsupportedVersion  = errors.New("sync: signature version not supported (only v1)")
	ErrTimestampOutOfRange = errors.New("sync: X-Tally-Timestamp too far from the receiver's clock")
	ErrMalformedRequest    = errors.New("sync: method or request target cannot be signed")
	ErrBadSignature        = errors.New("sync: signature does not match")
)

// Sign sets the timestamp and signature headers of req for body, the exact bytes that will be
// sent, at now. Call it just before sending, on every attempt; the caller sets the
// Authorization header and req's body.
func Sign(req *http.Request, body []byte, secret []byte, now time.Time) error {
	if len(secret) == 0 {
		return ErrNoSecret
	}
	if len(body) > MaxBody {
		return fmt.Errorf("%w: %d bytes", ErrBodyTooLarge, len(body))
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	msg, err := signedString(req, ts, body)
	if err != nil {
		return err
	}
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, version+"="+hex.EncodeToString(mac(secret, msg)))
	return nil
}

// Verify checks the signature headers of req against body (the bytes received) and secret at
// now. A skew of zero or less means DefaultSkew.
func Verify(req *http.Request, body []byte, secret []byte, now time.Time, skew time.Duration) error {
	return VerifyAny(req, body, [][]byte{secret}, now, skew)
}

// VerifyAny is Verify with several secrets, any of which may have signed the request: the old
// and the new secret while one is being rotated. Empty secrets are skipped; with none left the
// answer is ErrNoSecret.
func VerifyAny(req *http.Request, body []byte, secrets [][]byte, now time.Time, skew time.Duration) error {
	if len(body) > MaxBody {
		return fmt.Errorf("%w: %d bytes", ErrBodyTooLarge, len(body))
	}
	usable := 0
	for _, s := range secrets {
		if len(s) > 0 {
			usable++
		}
	}
	if usable == 0 {
		return ErrNoSecret
	}
	ts, unix, err := timestampHeader(req.Header)
	if err != nil {
		return err
	}
	got, err := signatureHeader(req.Header)
	if err != nil {
		return err
	}
	if skew <= 0 {
		skew = DefaultSkew
	}
	// whole seconds on both sides: the sender's timestamp is its clock rounded down
	if off := now.Unix() - unix; off > int64(skew/time.Second) || -off > int64(skew/time.Second) {
		dir := "behind"
		if off < 0 {
			dir, off = "ahead of", -off
		}
		return fmt.Errorf("%w: %s %s the receiver's clock, more than %s allowed",
			ErrTimestampOutOfRange, time.Duration(off)*time.Second, dir, skew)
	}
	msg, err := signedString(req, ts, body)
	if err != nil {
		return err
	}
	for _, s := range secrets {
		if len(s) > 0 && hmac.Equal(got, mac(s, msg)) {
			return nil
		}
	}
	return ErrBadSignature
}

// Token returns the bearer token of req, which names the calling upstream.
func Token(req *http.Request) (string, error) {
	vals := req.Header.Values("Authorization")
	if len(vals) == 0 {
		return "", ErrMissingToken
	}
	if len(vals) > 1 || len(vals[0]) > maxToken+len("Bearer ") {
		return "", ErrMalformedToken
	}
	scheme, tok, ok := strings.Cut(vals[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return "", ErrMalformedToken
	}
	for i := 0; i < len(tok); i++ {
		if tok[i] <= ' ' || tok[i] > '~' {
			return "", ErrMalformedToken
		}
	}
	return tok, nil
}

// ReadBody reads a request body of at most MaxBody bytes; a longer one is ErrBodyTooLarge.
func ReadBody(r io.Reader) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r, MaxBody+1))
	if err != nil {
		return nil, fmt.Errorf("sync: reading the body: %w", err)
	}
	if len(body) > MaxBody {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrBodyTooLarge, MaxBody)
	}
	return body, nil
}

// target is the request target as on the request line, without scheme and host. A server
// keeps the raw line in RequestURI; a client's request has none, and Go's client writes
// URL.RequestURI() on the wire (an absolute form through a proxy has the same path).
func target(req *http.Request) string {
	if strings.HasPrefix(req.RequestURI, "/") {
		return req.RequestURI
	}
	if req.URL == nil {
		return ""
	}
	return req.URL.RequestURI()
}

func signedString(req *http.Request, ts string, body []byte) ([]byte, error) {
	method, tgt := req.Method, target(req)
	if method == "" {
		method = http.MethodGet // what net/http sends for an empty Method
	}
	// no line of the signed string may hold a newline, or two requests could sign alike
	if strings.ContainsAny(method, "\r\n") || strings.ContainsAny(tgt, "\r\n") || tgt == "" {
		return nil, ErrMalformedRequest
	}
	sum := sha256.Sum256(body)
	var b strings.Builder
	b.Grow(len(version) + len(method) + len(tgt) + len(ts) + 2*len(sum) + 4)
	b.WriteString(version)
	b.WriteByte('\n')
	b.WriteString(method)
	b.WriteByte('\n')
	b.WriteString(tgt)
	b.WriteByte('\n')
	b.WriteString(ts)
	b.WriteByte('\n')
	b.WriteString(hex.EncodeToString(sum[:]))
	return []byte(b.String()), nil
}

func mac(secret, msg []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write(msg)
	return h.Sum(nil)
}

// timestampHeader returns the timestamp header as sent and its value. Only the canonical
// decimal form is accepted, so one instant has one signed string.
func timestampHeader(h http.Header) (string, int64, error) {
	vals := h.Values(HeaderTimestamp)
	if len(vals) == 0 {
		return "", 0, ErrMissingTimestamp
	}
	if len(vals) > 1 {
		return "", 0, fmt.Errorf("%w: given %d times", ErrMalformedTimestamp, len(vals))
	}
	ts := vals[0]
	if ts == "" || len(ts) > maxTimestampDigits || ts[0] == '0' {
		return "", 0, ErrMalformedTimestamp
	}
	for i := 0; i < len(ts); i++ {
		if ts[i] < '0' || ts[i] > '9' {
			return "", 0, ErrMalformedTimestamp
		}
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return "", 0, ErrMalformedTimestamp
	}
	return ts, unix, nil
}

// signatureHeader returns the MAC of a "v1=<hex>" signature header.
func signatureHeader(h http.Header) ([]byte, error) {
	vals := h.Values(HeaderSignature)
	if len(vals) == 0 {
		return nil, ErrMissingSignature
	}
	if len(vals) > 1 {
		return nil, fmt.Errorf("%w: given %d times", ErrMalformedSignature, len(vals))
	}
	v := vals[0]
	if len(v) > maxHeader {
		return nil, ErrMalformedSignature
	}
	ver, digits, ok := strings.Cut(v, "=")
	if !ok || ver == "" {
		return nil, ErrMalformedSignature
	}
	if ver != version {
		if len(ver) > 16 {
			ver = ver[:16] + "…"
		}
		return nil, fmt.Errorf("%w: %q", ErrUnsupportedVersion, ver)
	}
	if len(digits) != 2*sha256.Size {
		return nil, ErrMalformedSignature
	}
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return nil, ErrMalformedSignature
		}
	}
	sum, err := hex.DecodeString(digits)
	if err != nil {
		return nil, ErrMalformedSignature
	}
	return sum, nil
}
