package scan

import (
	"errors"
	"testing"
)

// A six-digit date windowed by a current year near or out of 1–9999 can
// be a year no date has (found by FuzzParseTypedDate: "210100" in year -30
// gave -079-01-31, "000100" in year 38 gave 0000-01-31); it is refused as a
// bad date.
func TestParseTypedDateYearOutOfRange(t *testing.T) {
	for _, c := range []struct {
		s    string
		year int
	}{{"210100", -30}, {"990101", -1}, {"000100", 38}, {"000101", 10049}} {
		d, err := ParseTypedDate(c.s, c.year)
		var e *Error
		if !errors.As(err, &e) || e.Key != ErrKeyBadDate {
			t.Errorf("ParseTypedDate(%q, %d) = %v, %v; want a bad date", c.s, c.year, d, err)
		}
	}
	if d, err := ParseTypedDate("270331", 2026); err != nil || d.String() != "2027-03-31" {
		t.Errorf("ParseTypedDate(270331, 2026) = %v, %v", d, err)
	}
}
