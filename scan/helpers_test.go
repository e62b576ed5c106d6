package scan

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// parserAt returns a parser with the default patterns whose clock is fixed in
// the middle of the given year.
func parserAt(year int) *Parser {
	p := NewParser(DefaultPatterns())
	p.Now = func() time.Time { return time.Date(year, time.June, 15, 12, 0, 0, 0, time.UTC) }
	return p
}

func date(y int, m time.Month, d int) *Date { return &Date{Year: y, Month: m, Day: d} }

// fullWidth converts printable ASCII to the full-width forms a Chinese IME
// produces (space becomes U+3000).
func fullWidth(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == ' ':
			b.WriteRune(0x3000)
		case r >= 0x21 && r <= 0x7E:
			b.WriteRune(r + 0xFEE0)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// errKey returns the Key of err, failing the test when err is not an *Error
// or its key is not listed in ErrorKeys.
func errKey(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *scan.Error", err, err)
	}
	found := false
	for _, k := range ErrorKeys {
		found = found || k == e.Key
	}
	if !found {
		t.Fatalf("error key %q is not in ErrorKeys", e.Key)
	}
	if e.Detail == "" {
		t.Errorf("error %q has no Detail", e.Key)
	}
	return e.Key
}
