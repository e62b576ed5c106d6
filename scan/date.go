package scan

import (
	"encoding/json"
	"fmt"
	"time"
)

// Date is a calendar date without time zone; JSON "YYYY-MM-DD".
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// String formats the date as "YYYY-MM-DD".
func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// Time returns midnight at the start of the day in loc (UTC when loc is nil).
func (d Date) Time(loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// MarshalJSON encodes the date as a JSON string "YYYY-MM-DD".
func (d Date) MarshalJSON() ([]byte, error) {
	return []byte(`"` + d.String() + `"`), nil
}

// UnmarshalJSON decodes a JSON string "YYYY-MM-DD"; null leaves d unchanged.
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return newError(ErrKeyBadDate, fmt.Sprintf("date must be a JSON string, got %s", b))
	}
	v, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// ParseDate parses a hand-typed date "YYYY-MM-DD" (surrounding spaces and
// full-width digits are accepted). Errors are *Error with key scan.empty or
// scan.bad_date.
func ParseDate(s string) (Date, error) {
	s = normalize(s)
	if s == "" {
		return Date{}, newError(ErrKeyEmpty, "empty date")
	}
	bad := func(why string) (Date, error) {
		return Date{}, newError(ErrKeyBadDate, fmt.Sprintf("date %q: %s", s, why))
	}
	if len(s) != 10 || s[4] != '-' || s[7] != '-' ||
		!allDigits(s[0:4]) || !allDigits(s[5:7]) || !allDigits(s[8:10]) {
		return bad("expected YYYY-MM-DD")
	}
	y, m, d := atoi(s[0:4]), atoi(s[5:7]), atoi(s[8:10])
	if y < 1 {
		return bad("year must be 0001 or later")
	}
	if m < 1 || m > 12 {
		return bad(fmt.Sprintf("month %02d does not exist", m))
	}
	if last := daysIn(y, time.Month(m)); d < 1 || d > last {
		return bad(fmt.Sprintf("%s %d has %d days", time.Month(m), y, last))
	}
	return Date{Year: y, Month: time.Month(m), Day: d}, nil
}

// daysIn returns the number of days of month m in year y.
func daysIn(y int, m time.Month) int {
	switch m {
	case time.February:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// gs1Year expands a two-digit year with the sliding window of GS1 General
// Specifications §7.12, relative to the year of now.
func gs1Year(yy, currentYear int) int {
	cur2 := ((currentYear % 100) + 100) % 100
	century := currentYear - cur2
	switch diff := yy - cur2; {
	case diff >= 51:
		return century - 100 + yy
	case diff <= -50:
		return century + 100 + yy
	}
	return century + yy
}

// parseYYMMDD parses a GS1 date field. DD = 00 means the last day of the
// month. It returns a human-readable reason when the date is invalid.
func parseYYMMDD(v string, currentYear int) (Date, string) {
	if len(v) != 6 || !allDigits(v) {
		return Date{}, "expected 6 digits YYMMDD"
	}
	y := gs1Year(atoi(v[0:2]), currentYear)
	if y < 1 || y > 9999 { // a current year out of range windows YY out of any date
		return Date{}, fmt.Sprintf("year %d is out of range", y)
	}
	m, d := atoi(v[2:4]), atoi(v[4:6])
	if m < 1 || m > 12 {
		return Date{}, fmt.Sprintf("month %02d does not exist", m)
	}
	last := daysIn(y, time.Month(m))
	if d == 0 {
		d = last
	}
	if d > last {
		return Date{}, fmt.Sprintf("%s %d has %d days", time.Month(m), y, last)
	}
	return Date{Year: y, Month: time.Month(m), Day: d}, ""
}
