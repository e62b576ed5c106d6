// Package scale reads weights from the bench scales at the packing stations.
//
// A scale sits on a serial port, either directly (USB-serial on the server)
// or behind a serial-to-Ethernet converter reached over TCP. Two wire
// protocols are understood:
//
//   - "continuous": the scale pushes a line several times a second, e.g.
//     "ST,GS,+001.250kg" (ST stable, US unstable, OL overload; GS gross,
//     NT net). The A&D two-field form "ST,+001.250 kg" is accepted too.
//   - "mtsics": Mettler Toledo MT-SICS; the Scale polls with "SI\r\n" and the
//     scale answers "S S      1.250 kg" (stable) or "S D      1.248 kg"
//     (dynamic, i.e. unstable).
//
// ParseLine turns one line into a Reading; Open runs a connection that
// reconnects on its own and keeps the latest reading for the kiosk (Latest)
// and for the packing flow (Stable).
package scale

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Unit is a weighing unit as sent by a scale.
type Unit string

// Units a scale may send. Anything else is rejected with ErrUnit.
const (
	Kilogram Unit = "kg"
	Gram     Unit = "g"
	Pound    Unit = "lb"
)

// gramsPerPound is the international avoirdupois pound.
const gramsPerPound = 453.59237

// Reading is one weight as reported by a scale.
type Reading struct {
	Grams  float64   // always converted to grams (rounded to 0.001 g)
	Stable bool      // the scale flagged the weight as stable
	Raw    string    // the line as received (trimmed)
	At     time.Time // when the line arrived; ParseLine leaves it zero
}

// MaxLineLen is the longest line accepted. On the wire, a line that grows
// past it without a CR or LF is dropped whole; ParseLine rejects it as
// garbled.
const MaxLineLen = 256

// TareNoiseGrams is how far below zero a weight may read and still count as
// "nothing on the plate". After a tare, or with an empty plate, scales often
// show -0.001 kg or -1 g; ParseLine reports such a weight as 0 g. A weight
// further below zero means the tare no longer matches (a tared box was
// lifted off, the plate was knocked): ParseLine then returns ErrNegative
// together with the Reading, whose Grams holds the negative weight.
const TareNoiseGrams = 5.0

// Translation keys carried by *Error.
const (
	KeyGarbled   = "scale.garbled"   // not a line we understand (noise, partial line, unknown format)
	KeyOverload  = "scale.overload"  // above the scale's capacity
	KeyUnderload = "scale.underload" // below the scale's range (plate lifted, …)
	KeyBusy      = "scale.busy"      // MT-SICS "S I": the scale cannot answer now (taring, zeroing, …)
	KeyUnit      = "scale.unit"      // unit other than kg, g or lb (or counting mode)
	KeyNegative  = "scale.negative"  // weight below -TareNoiseGrams
	KeyCommand   = "scale.command"   // MT-SICS ES/ET/EL (and "S L"): the scale rejected our command
)

// Error is what ParseLine (and Scale.LastError) return for a line that is not
// a usable weight. Key is meant for translation; Msg is English detail for
// logs. errors.Is matches two *Error values with the same Key, so
// errors.Is(err, scale.ErrBusy) works.
type Error struct {
	Key  string // one of the Key… constants
	Msg  string // English detail
	Line string // the offending line (trimmed), may be empty
}

func (e *Error) Error() string {
	if e.Line == "" {
		return "scale: " + e.Msg
	}
	return fmt.Sprintf("scale: %s: %q", e.Msg, e.Line)
}

// Is reports whether target is an *Error with the same Key.
func (e *Error) Is(target error) bool {
	var t *Error
	if !errors.As(target, &t) || t == nil {
		return false
	}
	return t.Key == e.Key
}

// Sentinels for errors.Is.
var (
	ErrGarbled   = &Error{Key: KeyGarbled, Msg: "garbled line"}
	ErrOverload  = &Error{Key: KeyOverload, Msg: "overload"}
	ErrUnderload = &Error{Key: KeyUnderload, Msg: "underload"}
	ErrBusy      = &Error{Key: KeyBusy, Msg: "scale busy"}
	ErrUnit      = &Error{Key: KeyUnit, Msg: "unsupported unit"}
	ErrNegative  = &Error{Key: KeyNegative, Msg: "negative weight"}
	ErrCommand   = &Error{Key: KeyCommand, Msg: "command rejected by scale"}
)

func newErr(key, line, format string, args ...any) *Error {
	return &Error{Key: key, Msg: fmt.Sprintf(format, args...), Line: line}
}

// ParseLine understands one line from a scale (without CR/LF; surrounding
// spaces and control bytes such as STX/ETX/NUL are trimmed).
//
// Continuous format: "ST,GS,+001.250kg", "US,GS,+001.248kg" (unstable),
// "ST,NT,+0001.25kg", "ST,GS,+  1.250 kg", "ST,GS,+0001250g",
// "ST,GS,+002.756lb", A&D "ST,+001.250 kg"; "OL,…" is ErrOverload (ErrUnderload
// when the value is negative), "QT,…" (counting mode) is ErrUnit.
//
// MT-SICS: "S S      1.250 kg" (stable), "S D      1.248 kg" (dynamic =
// unstable), the same with the command echo of other weight commands
// ("SI S …", "SIU D …", "SU S …", …), "S I" (ErrBusy), "S +" (ErrOverload),
// "S -" (ErrUnderload), "ES", "ET", "EL", "S L" (ErrCommand).
//
// Negative weights: see TareNoiseGrams. All errors are *Error; the returned
// Reading always carries Raw, and for ErrNegative also Grams and Stable.
func ParseLine(line string) (Reading, error) {
	raw := strings.TrimFunc(line, isBlank)
	r := Reading{Raw: raw}
	if raw == "" {
		return r, newErr(KeyGarbled, "", "empty line")
	}
	if len(line) > MaxLineLen {
		return r, newErr(KeyGarbled, raw[:min(len(raw), 40)], "line longer than %d bytes", MaxLineLen)
	}
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; (c < 0x20 && c != '\t') || c >= 0x7f {
			return r, newErr(KeyGarbled, raw, "unexpected byte 0x%02x", c)
		}
	}
	if strings.IndexByte(raw, ',') >= 0 {
		return parseContinuous(r)
	}
	return parseMTSICS(r)
}

// isBlank is true for whitespace and ASCII control bytes (STX, ETX, NUL, …).
func isBlank(c rune) bool { return c <= 0x20 || c == 0x7f }

func parseContinuous(r Reading) (Reading, error) {
	raw := r.Raw
	f := strings.Split(raw, ",")
	var status, data string
	switch len(f) {
	case 3: // "ST,GS,+001.250kg"
		status, data = f[0], f[2]
		switch strings.ToUpper(strings.TrimSpace(f[1])) {
		case "GS", "NT":
		default:
			return r, newErr(KeyGarbled, raw, "unknown weight type %q", strings.TrimSpace(f[1]))
		}
	case 2: // A&D "ST,+001.250 kg"
		status, data = f[0], f[1]
	default:
		return r, newErr(KeyGarbled, raw, "expected 2 or 3 comma-separated fields")
	}
	switch strings.ToUpper(strings.TrimSpace(status)) {
	case "ST":
		r.Stable = true
	case "US":
	case "OL":
		if strings.HasPrefix(strings.TrimSpace(data), "-") {
			return r, newErr(KeyUnderload, raw, "underload")
		}
		return r, newErr(KeyOverload, raw, "overload")
	case "QT":
		return r, newErr(KeyUnit, raw, "scale is in counting mode")
	default:
		return r, newErr(KeyGarbled, raw, "unknown status %q", strings.TrimSpace(status))
	}
	return finish(r, data)
}

// weightCommands are the MT-SICS commands whose answer is "<cmd> <S|D> value unit".
var weightCommands = map[string]bool{
	"S": true, "SI": true, "SIR": true, "SU": true, "SIU": true, "SIRU": true, "SR": true, "SNR": true,
}

func parseMTSICS(r Reading) (Reading, error) {
	raw := r.Raw
	f := strings.Fields(raw)
	if len(f) == 1 {
		switch f[0] {
		case "ES":
			return r, newErr(KeyCommand, raw, "scale did not understand the command (ES)")
		case "ET":
			return r, newErr(KeyCommand, raw, "scale received a garbled command (ET)")
		case "EL":
			return r, newErr(KeyCommand, raw, "scale cannot execute the command (EL)")
		}
		return r, newErr(KeyGarbled, raw, "unknown line")
	}
	if !weightCommands[f[0]] {
		return r, newErr(KeyGarbled, raw, "unknown line")
	}
	switch f[1] {
	case "S":
		r.Stable = true
	case "D":
	case "I":
		return r, newErr(KeyBusy, raw, "scale busy")
	case "+":
		return r, newErr(KeyOverload, raw, "overload")
	case "-":
		return r, newErr(KeyUnderload, raw, "underload")
	case "L":
		return r, newErr(KeyCommand, raw, "scale cannot execute the command (L)")
	default:
		return r, newErr(KeyGarbled, raw, "unknown status %q", f[1])
	}
	return finish(r, strings.Join(f[2:], " "))
}

// finish parses "value unit" into r.Grams and applies the negative-weight rule.
func finish(r Reading, data string) (Reading, error) {
	g, err := parseQuantity(data, r.Raw)
	if err != nil {
		return r, err
	}
	if g < 0 {
		if -g <= TareNoiseGrams {
			g = 0
		} else {
			r.Grams = g
			return r, newErr(KeyNegative, r.Raw, "negative weight %.3f g", g)
		}
	}
	if g == 0 {
		g = 0 // no -0
	}
	r.Grams = g
	return r, nil
}

// maxDigits bounds the significant digits of a weight: no scale sends more,
// and it keeps the arithmetic below exact and finite.
const maxDigits = 15

// parseQuantity parses "+  1.250 kg", "-0.002 kg", "+0001250g", "1.25kg" into
// grams. Only plain decimals are accepted: no exponents, NaN or Inf.
func parseQuantity(s, raw string) (float64, error) {
	s = strings.TrimSpace(s)
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = strings.TrimLeft(s[1:], " \t")
	}
	var (
		mant     int64
		sig      int // significant digits (leading zeros not counted)
		seen     bool
		dot      bool
		decimals int
		i        int
	)
scan:
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			seen = true
			if mant > 0 || c != '0' {
				sig++
			}
			if sig > maxDigits || (dot && decimals >= maxDigits) {
				return 0, newErr(KeyGarbled, raw, "too many digits")
			}
			mant = mant*10 + int64(c-'0')
			if dot {
				decimals++
			}
		case c == '.':
			if dot {
				return 0, newErr(KeyGarbled, raw, "two decimal points")
			}
			dot = true
		default:
			break scan
		}
	}
	if !seen {
		return 0, newErr(KeyGarbled, raw, "no number")
	}
	u := strings.TrimSpace(s[i:])
	if u == "" {
		return 0, newErr(KeyGarbled, raw, "no unit")
	}
	for j := 0; j < len(u); j++ {
		if c := u[j] | 0x20; c < 'a' || c > 'z' {
			return 0, newErr(KeyGarbled, raw, "unexpected text after number")
		}
	}
	var g float64
	switch Unit(strings.ToLower(u)) {
	case Kilogram:
		g = float64(mant) * 1000 / math.Pow10(decimals)
	case Gram:
		g = float64(mant) / math.Pow10(decimals)
	case Pound, "lbs":
		g = float64(mant) * gramsPerPound / math.Pow10(decimals)
	default:
		return 0, newErr(KeyUnit, raw, "unsupported unit %q (want kg, g or lb)", u)
	}
	g = math.Round(g*1000) / 1000
	if math.IsInf(g, 0) || math.IsNaN(g) {
		return 0, newErr(KeyGarbled, raw, "number out of range")
	}
	if neg {
		g = -g
	}
	return g, nil
}
