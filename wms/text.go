package wms

import (
	"net/netip"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on what a person or an integration sends, in characters. Every text
// that enters the ledger from outside is checked against one of them on its
// way in (the commands), never in an applier: an event already in the log
// replays as it is, whatever today's limits.
const (
	// MaxName bounds a name: a station, a box, a supplier, a person.
	MaxName = 200
	// MaxText bounds free text: a reason, a note, a return address.
	MaxText = 1000
	// MaxAddress bounds a device address (a printer, a scale).
	MaxAddress = 255
)

// A field names what a text is, as the catalogue key of its words, so a
// refusal names it in the reader's language.
const (
	FieldName   = "field.name"
	FieldReason = "field.reason"
	FieldNote   = "field.note"
	FieldSender = "field.sender"
)

// TextFields lists the fields, for the catalogue's test.
var TextFields = []string{FieldName, FieldReason, FieldNote, FieldSender}

// checkName checks a one-line name: valid UTF-8, no control characters, at
// most MaxName characters, present when required.
func checkName(field, s string, required bool) error {
	return checkText(field, s, MaxName, required, false)
}

// checkFree checks free text: as a name, but up to MaxText characters and
// with line breaks and tabs allowed (a reason typed into a text area).
func checkFree(field, s string, required bool) error {
	return checkText(field, s, MaxText, required, true)
}

func checkText(field, s string, max int, required, lines bool) error {
	switch {
	case !utf8.ValidString(s):
		return Errf(CodeInvalid, "text.encoding", "field", field)
	case strings.TrimSpace(s) == "":
		if required {
			return Errf(CodeInvalid, "text.required", "field", field)
		}
		return nil
	}
	// counted without decoding the whole of a 10 MB text: max+1 runes is enough to refuse it
	n := 0
	for _, r := range s {
		if n++; n > max {
			return Errf(CodeInvalid, "text.too_long", "field", field, "max", strconv.Itoa(max))
		}
		if lines && (r == '\n' || r == '\r' || r == '\t') {
			continue
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return Errf(CodeInvalid, "text.control", "field", field)
		}
	}
	return nil
}

// ValidWaybill tells whether a string can be a carrier's waybill number: 8 to
// 40 ASCII letters, digits and inner hyphens, with at least one digit
// (SF1234567890123, YT0123456789012, 773012345678, JDVA00012345678,
// 1Z999AA10123456784, EA123456789CN). Anything else is a typo, a scan of the
// wrong code, or markup, and never a parcel a carrier will take.
func ValidWaybill(s string) bool {
	if len(s) < 8 || len(s) > 40 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	digit := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digit = true
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c == '-':
		default:
			return false
		}
	}
	return digit
}

// ValidQueueName tells whether a string can be a CUPS queue name as Tally
// accepts one: 1 to 127 ASCII letters, digits, '_' and '-', not starting with
// '-' (CUPS allows more, but nothing a shell or lp could read as syntax).
func ValidQueueName(q string) bool {
	if q == "" || len(q) > 127 || q[0] == '-' {
		return false
	}
	for i := 0; i < len(q); i++ {
		c := q[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// CheckPrinter checks a station's printer address against the printers
// Tally has (printing.ParsePrinter): browser, cups:QUEUE, tcp://HOST[:PORT]
// or file:/DIR.
func CheckPrinter(station, addr string) error {
	bad := Errf(CodeInvalid, "station.printer_invalid", "station", station, "printer", clip(addr))
	if len(addr) > MaxAddress || addr != strings.TrimSpace(addr) {
		return bad
	}
	scheme, rest, _ := strings.Cut(addr, ":")
	switch strings.ToLower(scheme) {
	case "browser":
		if addr != scheme {
			return bad
		}
	case "cups":
		if !ValidQueueName(strings.TrimPrefix(rest, "//")) {
			return bad
		}
	case "tcp":
		if !validHostPort(rest, true) {
			return bad
		}
	case "file":
		if !strings.HasPrefix(rest, "/") || strings.HasPrefix(rest, "//") || strings.Contains(rest, "..") || !printable(rest) {
			return bad
		}
	default:
		return bad
	}
	return nil
}

// CheckScale checks a station's scale address (scale.ParseAddress):
// serial:///dev/NAME[?options] on the server, tcp://HOST:PORT on the network,
// or empty for weights typed by hand.
func CheckScale(station, addr string) error {
	bad := Errf(CodeInvalid, "station.scale_invalid", "station", station, "scale", clip(addr))
	if addr == "" {
		return nil
	}
	if len(addr) > MaxAddress {
		return bad
	}
	scheme, rest, _ := strings.Cut(addr, ":")
	switch strings.ToLower(scheme) {
	case "serial":
		dev, query, _ := strings.Cut(strings.TrimPrefix(rest, "//"), "?")
		// serial:///dev/ttyUSB0, serial://COM3 or serial:COM3, never a host and a path
		if dev == "" || dev == "/" || strings.Contains(dev, "..") || dev[0] != '/' && strings.Contains(dev, "/") {
			return bad
		}
		for i := 0; i < len(dev); i++ {
			c := dev[i]
			if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || strings.IndexByte("/_.-", c) >= 0) {
				return bad
			}
		}
		if !onlyOptions(query) {
			return bad
		}
	case "tcp":
		if !validHostPort(rest, false) {
			return bad
		}
	default:
		return bad
	}
	return nil
}

// onlyOptions: a serial port's options as scale.ParseAddress takes them,
// each at most once: baud (a rate), parity (N, E, O, M, S or their names),
// bits (5 to 8), stop (1, 1.5 or 2).
func onlyOptions(query string) bool {
	if query == "" {
		return true
	}
	seen := map[string]bool{}
	for _, kv := range strings.Split(query, "&") {
		k, v, ok := strings.Cut(kv, "=")
		k = strings.ToLower(k)
		if !ok || seen[k] {
			return false
		}
		seen[k] = true
		switch k {
		case "baud":
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 || n > 10_000_000 || strconv.Itoa(n) != v {
				return false
			}
		case "parity":
			switch strings.ToLower(v) {
			case "n", "none", "e", "even", "o", "odd", "m", "mark", "s", "space":
			default:
				return false
			}
		case "bits":
			if len(v) != 1 || v[0] < '5' || v[0] > '8' {
				return false
			}
		case "stop":
			if v != "1" && v != "1.5" && v != "2" {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// validHostPort reads "//HOST:PORT" (the port optional when portOptional):
// an IP address or a host name, and a port from 1 to 65535.
func validHostPort(rest string, portOptional bool) bool {
	hp, ok := strings.CutPrefix(rest, "//")
	if !ok {
		return false
	}
	hp = strings.TrimSuffix(hp, "/")
	host, port, hasPort := hp, "", false
	if i := strings.LastIndexByte(hp, ':'); i >= 0 && !strings.HasSuffix(hp, "]") {
		host, port, hasPort = hp[:i], hp[i+1:], true
	}
	if hasPort && port == "" || port == "" && !portOptional {
		return false
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != port {
			return false
		}
	}
	if h, ok := strings.CutPrefix(host, "["); ok {
		a, err := netip.ParseAddr(strings.TrimSuffix(h, "]"))
		return err == nil && a.Is6() && strings.HasSuffix(h, "]")
	}
	if strings.Contains(host, ":") {
		return false // an IPv6 address is written in brackets
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	if host == "" || len(host) > 253 {
		return false
	}
	for _, label := range strings.Split(host, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '-') {
				return false
			}
		}
	}
	return true
}

// printable: ASCII without spaces or control characters, nor the shell's
// own characters.
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(";|&`$<>\"'\\", c) >= 0 {
			return false
		}
	}
	return true
}
