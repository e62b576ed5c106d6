package scan

import (
	"strings"
	"unicode/utf8"
)

const gs = '\x1d' // ASCII group separator, how scanners transmit FNC1

// normalize trims spaces, tabs, CR and LF at both ends, maps full-width ASCII
// (U+FF01..U+FF5E, U+3000) to ASCII and replaces the literal text "<GS>" by
// the GS byte. Invalid UTF-8 bytes are kept as they are.
func normalize(raw string) string {
	var b strings.Builder
	b.Grow(len(raw))
	for i := 0; i < len(raw); {
		r, size := utf8.DecodeRuneInString(raw[i:])
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			b.WriteByte(byte(r - 0xFEE0))
		case r == 0x3000:
			b.WriteByte(' ')
		default:
			b.WriteString(raw[i : i+size])
		}
		i += size
	}
	s := strings.ReplaceAll(b.String(), "<GS>", string(rune(gs)))
	return trimSpace(s)
}

// Normalize is what a person or a scanner typed, as the parser reads it:
// full-width ASCII from a Chinese input method (１２５０) mapped to ASCII and
// spaces trimmed. For typed figures (a weight, a quantity) beside codes.
func Normalize(raw string) string { return normalize(raw) }

// trimSpace removes spaces, tabs, CR and LF at both ends.
func trimSpace(s string) string {
	return strings.Trim(s, " \t\r\n")
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// atoi converts a short string of ASCII digits (checked by the caller).
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// set82 holds the GS1 AI encodable character set 82 (GS1 General
// Specifications §7.11): ! " % & ' ( ) * + , - . / 0-9 : ; < = > ? A-Z _ a-z.
var set82 = func() (t [128]bool) {
	for _, c := range "!\"%&'()*+,-./:;<=>?_" {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
		t[c+'a'-'A'] = true
	}
	return t
}()

// InSet82 tells whether every character of s is in GS1's character set 82,
// the one lots and serials are written in.
func InSet82(s string) bool { return firstNot82(s) < 0 }

// firstNot82 returns the index of the first byte of s outside set 82, or -1.
func firstNot82(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] >= 128 || !set82[s[i]] {
			return i
		}
	}
	return -1
}

// firstNonDigit returns the index of the first non-digit byte of s, or -1.
func firstNonDigit(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return i
		}
	}
	return -1
}
