package qimen

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The standard's example, with a delivery-order confirmation as the body.
const (
	vectorSecret = "test"
	vectorBody   = "<request><orderCode>T1</orderCode></request>"
	vectorSign   = "7F73D067FA4B3E4AD649CF4857250459"
	vectorTime   = "2015-04-26 00:00:07"
)

func vectorParams() url.Values {
	return url.Values{
		"app_key":     {"testerp_appkey"},
		"customerId":  {"stub-cust-code"},
		"format":      {"xml"},
		"method":      {"taobao.qimen.deliveryorder.confirm"},
		"sign_method": {"md5"},
		"timestamp":   {vectorTime},
		"v":           {"2.0"},
	}
}

// vectorNow is the vector's timestamp as an instant: China time, 8 hours ahead of UTC.
var vectorNow = time.Date(2015, 4, 25, 16, 0, 7, 0, time.UTC)

func signedVector() url.Values {
	p := vectorParams()
	p.Set(ParamSign, vectorSign)
	return p
}

func TestSignVector(t *testing.T) {
	if got := Sign(vectorParams(), []byte(vectorBody), vectorSecret); got != vectorSign {
		t.Fatalf("Sign = %s, want %s", got, vectorSign)
	}
	// sign itself is never part of what is signed
	if got := Sign(signedVector(), []byte(vectorBody), vectorSecret); got != vectorSign {
		t.Fatalf("Sign with a sign parameter = %s, want %s", got, vectorSign)
	}
	// the query as an ERP puts it on the wire, in its own order and encoding
	q, err := url.ParseQuery("method=taobao.qimen.deliveryorder.confirm&timestamp=2015-04-26%2000:00:07" +
		"&format=xml&app_key=testerp_appkey&v=2.0&sign=" + vectorSign + "&sign_method=md5&customerId=stub-cust-code")
	if err != nil {
		t.Fatal(err)
	}
	if got := Sign(q, []byte(vectorBody), vectorSecret); got != vectorSign {
		t.Fatalf("Sign of the parsed query = %s, want %s", got, vectorSign)
	}
	if err := Verify(q, []byte(vectorBody), []string{vectorSecret}, vectorNow); err != nil {
		t.Fatalf("Verify of the vector: %v", err)
	}
}

func TestTimestamp(t *testing.T) {
	if got := Timestamp(vectorNow); got != vectorTime {
		t.Fatalf("Timestamp = %q, want %q", got, vectorTime)
	}
}

func TestVerifySkewEdges(t *testing.T) {
	body := []byte(vectorBody)
	for _, tc := range []struct {
		name string
		now  time.Time
		want error
	}{
		{"same second", vectorNow, nil},
		{"later in the same second", vectorNow.Add(999 * time.Millisecond), nil},
		{"exactly 10 min after", vectorNow.Add(10 * time.Minute), nil},
		{"exactly 10 min before", vectorNow.Add(-10 * time.Minute), nil},
		{"10 min 1 s after", vectorNow.Add(10*time.Minute + time.Second), ErrTimestampOutOfRange},
		{"10 min 1 s before", vectorNow.Add(-10*time.Minute - time.Second), ErrTimestampOutOfRange},
		{"a day after", vectorNow.Add(24 * time.Hour), ErrTimestampOutOfRange},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Verify(signedVector(), body, []string{vectorSecret}, tc.now)
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestVerifyChangedByteFails(t *testing.T) {
	body := []byte(vectorBody)
	for i := range body {
		changed := append([]byte(nil), body...)
		changed[i] ^= 0x01
		if err := Verify(signedVector(), changed, []string{vectorSecret}, vectorNow); !errors.Is(err, ErrBadSign) {
			t.Fatalf("body byte %d changed: Verify = %v, want ErrBadSign", i, err)
		}
	}
	for name := range vectorParams() {
		p := signedVector()
		p.Set(name, p.Get(name)+"x")
		if err := Verify(p, body, []string{vectorSecret}, vectorNow); err == nil {
			t.Fatalf("parameter %s changed: Verify passed", name)
		}
	}
	p := signedVector()
	p.Set("extra", "1")
	if err := Verify(p, body, []string{vectorSecret}, vectorNow); !errors.Is(err, ErrBadSign) {
		t.Fatalf("parameter added: Verify = %v, want ErrBadSign", err)
	}
	if err := Verify(signedVector(), body, []string{"tesT"}, vectorNow); !errors.Is(err, ErrBadSign) {
		t.Fatalf("other secret: Verify = %v, want ErrBadSign", err)
	}
}

func TestVerifyRefusals(t *testing.T) {
	body := []byte(vectorBody)
	with := func(f func(url.Values)) url.Values {
		p := signedVector()
		f(p)
		return p
	}
	for _, tc := range []struct {
		name    string
		params  url.Values
		body    []byte
		secrets []string
		want    error
	}{
		{"no secrets", signedVector(), body, nil, ErrNoSecret},
		{"only empty secrets", signedVector(), body, []string{""}, ErrNoSecret},
		{"body too large with a secret", signedVector(), make([]byte, MaxBody+1), []string{vectorSecret}, ErrBodyTooLarge},
		{"sign missing", with(func(p url.Values) { p.Del(ParamSign) }), body, nil, ErrMissingSign},
		{"sign empty", with(func(p url.Values) { p.Set(ParamSign, "") }), body, nil, ErrMissingSign},
		{"sign short", with(func(p url.Values) { p.Set(ParamSign, vectorSign[1:]) }), body, nil, ErrMalformedSign},
		{"sign not hex", with(func(p url.Values) { p.Set(ParamSign, "Z"+vectorSign[1:]) }), body, nil, ErrMalformedSign},
		{"sign given twice", with(func(p url.Values) { p.Add(ParamSign, vectorSign) }), body, nil, ErrDuplicateParam},
		{"method given twice", with(func(p url.Values) { p.Add("method", "x") }), body, nil, ErrDuplicateParam},
		{"sign_method missing", with(func(p url.Values) { p.Del(ParamSignMethod) }), body, nil, ErrUnsupportedSignMethod},
		{"sign_method hmac", with(func(p url.Values) { p.Set(ParamSignMethod, "hmac") }), body, nil, ErrUnsupportedSignMethod},
		{"sign_method MD5", with(func(p url.Values) { p.Set(ParamSignMethod, "MD5") }), body, nil, ErrUnsupportedSignMethod},
		{"timestamp missing", with(func(p url.Values) { p.Del(ParamTimestamp) }), body, nil, ErrMissingTimestamp},
		{"timestamp empty", with(func(p url.Values) { p.Set(ParamTimestamp, "") }), body, nil, ErrMalformedTimestamp},
		{"timestamp RFC 3339", with(func(p url.Values) { p.Set(ParamTimestamp, "2015-04-26T00:00:07") }), body, nil, ErrMalformedTimestamp},
		{"timestamp unix", with(func(p url.Values) { p.Set(ParamTimestamp, "1429977607") }), body, nil, ErrMalformedTimestamp},
		{"timestamp no such day", with(func(p url.Values) { p.Set(ParamTimestamp, "2015-02-30 00:00:07") }), body, nil, ErrMalformedTimestamp},
		{"timestamp one digit hour", with(func(p url.Values) { p.Set(ParamTimestamp, "2015-04-26 0:00:07") }), body, nil, ErrMalformedTimestamp},
		{"timestamp read as UTC is 8 h off", with(func(p url.Values) { p.Set(ParamTimestamp, "2015-04-25 16:00:07") }), body, nil, ErrTimestampOutOfRange},
	} {
		t.Run(tc.name, func(t *testing.T) {
			secrets := tc.secrets
			if secrets == nil && tc.want != ErrNoSecret {
				secrets = []string{vectorSecret}
			}
			err := Verify(tc.params, tc.body, secrets, vectorNow)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestVerifyLowerCaseSignAndRotation(t *testing.T) {
	p := signedVector()
	p.Set(ParamSign, strings.ToLower(vectorSign))
	if err := Verify(p, []byte(vectorBody), []string{vectorSecret}, vectorNow); err != nil {
		t.Fatalf("lower-case sign: %v", err)
	}
	if err := Verify(signedVector(), []byte(vectorBody), []string{"", "new-secret", vectorSecret}, vectorNow); err != nil {
		t.Fatalf("old secret during rotation: %v", err)
	}
}

func TestVerifyErrorsStayShort(t *testing.T) {
	p := signedVector()
	p.Set(ParamSignMethod, strings.Repeat("x", 10000))
	err := Verify(p, []byte(vectorBody), []string{vectorSecret}, vectorNow)
	if !errors.Is(err, ErrUnsupportedSignMethod) || len(err.Error()) > 400 {
		t.Fatalf("Verify = %.80v… (%d bytes)", err, len(err.Error()))
	}
}

// FuzzVerify: whatever a caller sends, Verify answers without panicking, and a call signed
// with Sign at its own timestamp always verifies.
func FuzzVerify(f *testing.F) {
	f.Add("deliveryorder.confirm", vectorTime, "md5", vectorSign, []byte(vectorBody), "test")
	f.Add("", "", "", "", []byte{}, "")
	f.Add("a\x00b", "2015-13-40 99:99:99", "MD5", "zz", []byte("<request/>"), "é")
	f.Fuzz(func(t *testing.T, method, ts, signMethod, sign string, body []byte, secret string) {
		p := url.Values{"method": {method}, ParamTimestamp: {ts}, ParamSignMethod: {signMethod}, ParamSign: {sign}}
		_ = Verify(p, body, []string{secret}, vectorNow)

		if secret == "" || len(body) > MaxBody {
			return
		}
		p.Set(ParamTimestamp, vectorTime)
		p.Set(ParamSignMethod, SignMethodMD5)
		p.Set(ParamSign, Sign(p, body, secret))
		if err := Verify(p, body, []string{secret}, vectorNow); err != nil {
			t.Fatalf("Verify of a signed call: %v", err)
		}
	})
}
