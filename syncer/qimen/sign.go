// This file signs and verifies Qimen calls.
//
// A call carries its system parameters in the URL query (method, timestamp, format, app_key,
// v, sign_method, customerId, sign) and its business content as the body. The signature is
// the upper-case hex MD5 of
//
//	secret + name1 + value1 + name2 + value2 + … + body + secret
//
// where the names are every query parameter except sign, sorted by byte order, each with its
// decoded value, and body is the exact bytes sent or received. The timestamp is wall-clock
// time in China ("2006-01-02 15:04:05", UTC+08:00, no zone in the text).
//
// MD5 is what the standard mandates; it is not our choice of hash.

package qimen

import (
	"crypto/md5"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"
)

// System parameter names used by the signature.
const (
	ParamSign       = "sign"
	ParamSignMethod = "sign_method"
	ParamTimestamp  = "timestamp"
)

const (
	// TimestampLayout is the layout of the timestamp parameter, read in China time.
	TimestampLayout = "2006-01-02 15:04:05"
	// MaxSkew is how far a call's timestamp may be from the receiver's clock, either way;
	// exactly MaxSkew still passes.
	MaxSkew = 10 * time.Minute
	// SignMethodMD5 is the only sign_method accepted.
	SignMethodMD5 = "md5"

	maxParamValue = 256 // longer timestamp or sign_method values are not echoed in errors
)

// China is the zone Qimen timestamps are written in: UTC+08:00 all year, no daylight saving.
var China = time.FixedZone("CST", 8*60*60)

// Refusals a receiver can tell apart; Verify wraps them with details, test with errors.Is.
var (
	ErrNoSecret              = errors.New("qimen: no signing secret configured")
	ErrBodyTooLarge          = errors.New("qimen: body larger than 1 MiB")
	ErrDuplicateParam        = errors.New("qimen: a query parameter is given more than once")
	ErrMissingSign           = errors.New("qimen: sign parameter missing")
	ErrMalformedSign         = errors.New("qimen: sign is not 32 hex digits")
	ErrUnsupportedSignMethod = errors.New("qimen: sign_method not supported (only md5)")
	ErrMissingTimestamp      = errors.New("qimen: timestamp parameter missing")
	ErrMalformedTimestamp    = errors.New("qimen: timestamp is not \"yyyy-MM-dd HH:mm:ss\"")
	ErrTimestampOutOfRange   = errors.New("qimen: timestamp more than 10 minutes from the receiver's clock")
	ErrBadSign               = errors.New("qimen: sign does not match")
)

// Sign returns the signature of a call with query parameters params (decoded values; any sign
// among them is left out) and body, the exact bytes sent. A parameter given several times
// contributes each value in order, though Verify refuses such a call.
func Sign(params url.Values, body []byte, secret string) string {
	sum := digest(params, body, secret)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// Timestamp formats now as the timestamp parameter, in China time.
func Timestamp(now time.Time) string {
	return now.In(China).Format(TimestampLayout)
}

// Verify checks a received call: params are its decoded query parameters, body the exact
// bytes received, secrets the upstream's secrets (the old and the new while one is rotated;
// empty ones are skipped), now the receiver's clock. It refuses, each with its own error: no
// usable secret; a body over MaxBody; a parameter given twice; a sign_method other than md5
// (a missing one too); a missing or malformed timestamp, or one more than MaxSkew from now;
// a missing or malformed sign, or one that matches no secret. Signs are compared in constant
// time, in either letter case.
func Verify(params url.Values, body []byte, secrets []string, now time.Time) error {
	usable := 0
	for _, s := range secrets {
		if s != "" {
			usable++
		}
	}
	if usable == 0 {
		return ErrNoSecret
	}
	if len(body) > MaxBody {
		return fmt.Errorf("%w: %d bytes", ErrBodyTooLarge, len(body))
	}
	for name, vals := range params {
		if len(vals) > 1 {
			return fmt.Errorf("%w: %q %d times", ErrDuplicateParam, clip(name), len(vals))
		}
	}
	if m := params.Get(ParamSignMethod); m != SignMethodMD5 {
		if _, ok := params[ParamSignMethod]; !ok {
			return fmt.Errorf("%w: sign_method missing", ErrUnsupportedSignMethod)
		}
		return fmt.Errorf("%w: %q", ErrUnsupportedSignMethod, clip(m))
	}
	if err := checkTimestamp(params, now); err != nil {
		return err
	}
	got, err := signParam(params)
	if err != nil {
		return err
	}
	for _, s := range secrets {
		if s == "" {
			continue
		}
		want := digest(params, body, s)
		if subtle.ConstantTimeCompare(got, want[:]) == 1 {
			return nil
		}
	}
	return ErrBadSign
}

func checkTimestamp(params url.Values, now time.Time) error {
	vals, ok := params[ParamTimestamp]
	if !ok || len(vals) == 0 {
		return ErrMissingTimestamp
	}
	v := vals[0]
	if len(v) != len(TimestampLayout) {
		return fmt.Errorf("%w: %q", ErrMalformedTimestamp, clip(v))
	}
	ts, err := time.ParseInLocation(TimestampLayout, v, China)
	if err != nil {
		return fmt.Errorf("%w: %q", ErrMalformedTimestamp, v)
	}
	// whole seconds on both sides: the sender's timestamp is its clock rounded down
	off := now.Unix() - ts.Unix()
	limit := int64(MaxSkew / time.Second)
	if off > limit || -off > limit {
		dir := "behind"
		if off < 0 {
			dir, off = "ahead of", -off
		}
		return fmt.Errorf("%w: %q is %s %s the receiver's clock", ErrTimestampOutOfRange, v,
			time.Duration(off)*time.Second, dir)
	}
	return nil
}

func signParam(params url.Values) ([]byte, error) {
	vals, ok := params[ParamSign]
	if !ok || len(vals) == 0 || vals[0] == "" {
		return nil, ErrMissingSign
	}
	v := vals[0]
	if len(v) != 2*md5.Size {
		return nil, ErrMalformedSign
	}
	sum, err := hex.DecodeString(v)
	if err != nil {
		return nil, ErrMalformedSign
	}
	return sum, nil
}

func digest(params url.Values, body []byte, secret string) [md5.Size]byte {
	names := make([]string, 0, len(params))
	for name := range params {
		if name != ParamSign {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	h := md5.New()
	h.Write([]byte(secret))
	for _, name := range names {
		for _, v := range params[name] {
			h.Write([]byte(name))
			h.Write([]byte(v))
		}
	}
	h.Write(body)
	h.Write([]byte(secret))
	var sum [md5.Size]byte
	h.Sum(sum[:0])
	return sum
}

// clip keeps a caller's value short enough to quote in an error.
func clip(s string) string {
	if len(s) > maxParamValue {
		return s[:maxParamValue] + "…"
	}
	return s
}
