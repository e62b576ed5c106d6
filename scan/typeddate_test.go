package scan

import "testing"

func TestParseTypedDate(t *testing.T) {
	for _, c := range []struct {
		name, in string
		year     int
		want     string // "" = refused
	}{
		{"iso", "2027-03-31", 2026, "2027-03-31"},
		{"slashes", "2027/3/31", 2026, "2027-03-31"},
		{"dots", "2027.3.1", 2026, "2027-03-01"},
		{"eight digits", "20270331", 2026, "2027-03-31"},
		{"full width", "２０２７－０３－３１", 2026, "2027-03-31"},
		{"spaces", "  2027-03-31 ", 2026, "2027-03-31"},
		{"gs1", "270331", 2026, "2027-03-31"},
		{"gs1 day 00 is the month's last", "280200", 2026, "2028-02-29"},
		{"gs1 without a year", "270331", 0, ""},
		{"no such day", "2027-02-29", 2026, ""},
		{"no such month", "2027/13/1", 2026, ""},
		{"two separators in a row", "2027--3-31", 2026, ""},
		{"mixed extra separator", "2027-3-31.", 2026, ""},
		{"short year", "27-03-31", 2026, ""},
		{"empty", " ", 2026, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, err := ParseTypedDate(c.in, c.year)
			switch {
			case c.want == "" && err == nil:
				t.Errorf("%q accepted as %s", c.in, d)
			case c.want != "" && (err != nil || d.String() != c.want):
				t.Errorf("%q: %v (%v), want %s", c.in, d, err, c.want)
			}
		})
	}
}
