package scan

import (
	"fmt"
	"strings"
)

// ParseTypedDate is the one parser of dates people type or write: on a
// handheld, in a form, in a spreadsheet. It accepts 2027-03-31, 2027/3/31,
// 2027.3.31 and 20270331 (full-width digits and surrounding spaces too) and,
// when currentYear is given (not 0), the GS1 form 270331 as printed on a pack
// (YYMMDD with the GS1 century window, DD 00 meaning the month's last day).
// Errors are *Error with key scan.empty or scan.bad_date.
func ParseTypedDate(s string, currentYear int) (Date, error) {
	s = strings.TrimSpace(normalize(s))
	if s == "" {
		return Date{}, newError(ErrKeyEmpty, "empty date")
	}
	if len(s) == 6 && allDigits(s) && currentYear != 0 {
		d, why := parseYYMMDD(s, currentYear)
		if why != "" {
			return Date{}, newError(ErrKeyBadDate, fmt.Sprintf("date %q: %s", s, why))
		}
		return d, nil
	}
	if len(s) == 8 && allDigits(s) {
		s = s[:4] + "-" + s[4:6] + "-" + s[6:]
	}
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == '/' || r == '.' })
	if len(parts) == 3 && len(parts[0]) == 4 && len(parts[1]) <= 2 && len(parts[2]) <= 2 &&
		strings.Count(s, "-")+strings.Count(s, "/")+strings.Count(s, ".") == 2 {
		for i := 1; i < 3; i++ {
			if len(parts[i]) == 1 {
				parts[i] = "0" + parts[i]
			}
		}
		s = parts[0] + "-" + parts[1] + "-" + parts[2]
	}
	return ParseDate(s)
}
