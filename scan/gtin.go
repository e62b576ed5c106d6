package scan

import (
	"fmt"
	"strings"
)

// CheckDigit returns the GS1 mod-10 check digit for digits (the number
// without its check digit): weights 3,1,3,1,... from the right.
// The error is an *Error with key scan.bad_value when digits is empty or
// contains a non-digit.
func CheckDigit(digits string) (int, error) {
	if digits == "" || !allDigits(digits) {
		return 0, newError(ErrKeyBadValue, fmt.Sprintf("%q: check digit needs a non-empty string of digits", digits))
	}
	return checkDigit(digits), nil
}

// checkDigit assumes digits is non-empty and all ASCII digits.
func checkDigit(digits string) int {
	sum, w := 0, 3
	for i := len(digits) - 1; i >= 0; i-- {
		sum += int(digits[i]-'0') * w
		w = 4 - w
	}
	return (10 - sum%10) % 10
}

// validMod10 reports whether s is all digits (at least 2) and its last digit
// is the GS1 check digit of the others.
func validMod10(s string) bool {
	return len(s) >= 2 && allDigits(s) && checkDigit(s[:len(s)-1]) == int(s[len(s)-1]-'0')
}

// ValidGTIN reports whether s is 8, 12, 13 or 14 ASCII digits with a correct
// check digit.
func ValidGTIN(s string) bool {
	switch len(s) {
	case 8, 12, 13, 14:
		return validMod10(s)
	}
	return false
}

// ValidSSCC reports whether s is 18 ASCII digits with a correct check digit.
func ValidSSCC(s string) bool {
	return len(s) == 18 && validMod10(s)
}

// NormalizeGTIN validates a GTIN-8/12/13/14 and returns it left-padded with
// zeros to 14 digits. Surrounding whitespace and full-width digits are
// accepted. Errors are *Error with key scan.empty, scan.bad_value or
// scan.check_digit.
func NormalizeGTIN(s string) (string, error) {
	s = normalize(s)
	if s == "" {
		return "", newError(ErrKeyEmpty, "empty GTIN")
	}
	if !allDigits(s) || !(len(s) == 8 || len(s) == 12 || len(s) == 13 || len(s) == 14) {
		return "", newError(ErrKeyBadValue, fmt.Sprintf("GTIN %q: must be 8, 12, 13 or 14 digits", s))
	}
	if want := checkDigit(s[:len(s)-1]); want != int(s[len(s)-1]-'0') {
		return "", newError(ErrKeyCheckDigit, fmt.Sprintf("GTIN %s: check digit should be %d", s, want))
	}
	return padGTIN(s), nil
}

func padGTIN(s string) string {
	if len(s) >= 14 {
		return s
	}
	return strings.Repeat("0", 14-len(s)) + s
}
