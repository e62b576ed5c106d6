package scan

import (
	"fmt"
	"strings"
)

// aiKind says how the value of an AI is validated and interpreted beyond its
// length and character set.
type aiKind uint8

const (
	aiPlain   aiKind = iota
	aiGTIN           // N14 with check digit
	aiSSCC           // N18 with check digit
	aiGLN            // N13 with check digit
	aiDate           // N6 YYMMDD, DD = 00 allowed
	aiMeasure        // N6, implied decimals = last digit of the AI
)

// aiSpec describes the value of one Application Identifier.
type aiSpec struct {
	fixed   int  // exact length of a predefined-length value; 0 for variable length
	max     int  // maximum length of a variable-length value
	numeric bool // digits only (otherwise set 82)
	kind    aiKind
}

// aiTable holds every supported AI. GS1 AIs are prefix-free, so the first
// 2-, 3- or 4-character prefix of the input found here is the AI.
// Every fixed-length AI below is in GS1's predefined-length table
// (00-04, 11-20, 31-36, 41), so none needs a separator after its value.
var aiTable = func() map[string]aiSpec {
	t := map[string]aiSpec{
		"00":  {fixed: 18, numeric: true, kind: aiSSCC}, // SSCC
		"01":  {fixed: 14, numeric: true, kind: aiGTIN}, // GTIN
		"02":  {fixed: 14, numeric: true, kind: aiGTIN}, // GTIN of contained trade items
		"10":  {max: 20},                                // batch or lot
		"11":  {fixed: 6, numeric: true, kind: aiDate},  // production date
		"12":  {fixed: 6, numeric: true, kind: aiDate},  // due date
		"13":  {fixed: 6, numeric: true, kind: aiDate},  // packaging date
		"15":  {fixed: 6, numeric: true, kind: aiDate},  // best before
		"16":  {fixed: 6, numeric: true, kind: aiDate},  // sell by
		"17":  {fixed: 6, numeric: true, kind: aiDate},  // expiry
		"20":  {fixed: 2, numeric: true},                // internal product variant
		"21":  {max: 20},                                // serial number
		"22":  {max: 20},                                // consumer product variant
		"30":  {max: 8, numeric: true},                  // variable count of items
		"37":  {max: 8, numeric: true},                  // count of trade items
		"240": {max: 30},                                // additional product identification
		"241": {max: 30},                                // customer part number
		"250": {max: 30},                                // secondary serial number
		"251": {max: 30},                                // reference to source entity
		"400": {max: 30},                                // customer purchase order number
	}
	// 310n-316n (metric measures) and 320n (net weight, pounds), n = 0..5.
	for _, base := range []string{"310", "311", "312", "313", "314", "315", "316", "320"} {
		for n := '0'; n <= '5'; n++ {
			t[base+string(n)] = aiSpec{fixed: 6, numeric: true, kind: aiMeasure}
		}
	}
	// 410-417: GLNs (ship to, bill to, purchased from, ship for, physical
	// location, invoicing party, production/service location, party).
	for n := '0'; n <= '7'; n++ {
		t["41"+string(n)] = aiSpec{fixed: 13, numeric: true, kind: aiGLN}
	}
	return t
}()

var pow10 = [...]float64{1, 10, 100, 1000, 10000, 100000}

// element is one AI and its raw value.
type element struct{ ai, value string }

// gs1AIM are the AIM symbology identifiers whose data is a GS1 element string.
var gs1AIM = map[string]bool{
	"]C1": true, // GS1-128
	"]d2": true, // GS1 DataMatrix
	"]Q3": true, // GS1 QR Code
	"]e0": true, // GS1 DataBar
}

// splitAIM splits a leading AIM symbology identifier (']', a letter, a letter
// or digit) from s.
func splitAIM(s string) (id, rest string, ok bool) {
	if len(s) >= 3 && s[0] == ']' && isLetter(s[1]) && (isLetter(s[2]) || (s[2] >= '0' && s[2] <= '9')) {
		return s[:3], s[3:], true
	}
	return "", s, false
}

func isLetter(c byte) bool { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') }

// ParseGS1 parses a GS1 element string with DefaultPatterns' parser (dates
// relative to time.Now). See Parser.ParseGS1.
func ParseGS1(s string) (Result, error) {
	return defaultParser.ParseGS1(s)
}

// ParseGS1 parses a GS1 element string in any form scanners deliver:
// human-readable "(01)...(17)...", raw with GS (0x1D or the text "<GS>")
// after variable-length fields, with or without a leading GS, optionally
// preceded by a GS1 AIM symbology identifier (]C1, ]d2, ]Q3, ]e0).
// The input is normalised like Parse does. The result has Kind gs1.
func (p *Parser) ParseGS1(s string) (Result, error) {
	if p == nil {
		p = defaultParser
	}
	s = normalize(s)
	if s == "" {
		return Result{}, newError(ErrKeyEmpty, "nothing scanned")
	}
	if id, rest, ok := splitAIM(s); ok && gs1AIM[id] {
		s = trimSpace(rest)
	}
	return p.parseGS1(s)
}

// parseGS1 parses a normalised element string without symbology identifier.
func (p *Parser) parseGS1(s string) (Result, error) {
	body := strings.TrimLeft(s, string(rune(gs)))
	if body == "" {
		return Result{}, newError(ErrKeyEmpty, "no GS1 element string")
	}
	var (
		els []element
		err error
	)
	if body[0] == '(' {
		els, err = parseBracketed(body)
	} else {
		els, err = parseRaw(body)
	}
	if err != nil {
		return Result{}, err
	}
	return p.buildResult(els)
}

// matchAI returns the supported AI at the start of s.
func matchAI(s string) (string, aiSpec, bool) {
	for n := 2; n <= 4 && n <= len(s); n++ {
		if spec, ok := aiTable[s[:n]]; ok {
			return s[:n], spec, true
		}
	}
	return "", aiSpec{}, false
}

// isAIPrefix reports whether s is a proper prefix of a supported AI.
func isAIPrefix(s string) bool {
	for ai := range aiTable {
		if len(s) < len(ai) && strings.HasPrefix(ai, s) {
			return true
		}
	}
	return false
}

func snippet(s string) string {
	if len(s) > 12 {
		return s[:12] + "..."
	}
	return s
}

// parseRaw splits an unbracketed element string (FNC1 transmitted as GS).
func parseRaw(s string) ([]element, error) {
	var els []element
	i := 0
	for {
		for i < len(s) && s[i] == gs {
			i++
		}
		if i == len(s) {
			return els, nil
		}
		ai, spec, ok := matchAI(s[i:])
		if !ok {
			rest := s[i:]
			if allDigits(rest) && isAIPrefix(rest) {
				return nil, newError(ErrKeyTruncated, fmt.Sprintf("input ends inside an AI: %q", rest))
			}
			return nil, newError(ErrKeyUnknownAI, fmt.Sprintf("no supported AI at %q (position %d)", snippet(rest), i))
		}
		start := i + len(ai)
		var v string
		if spec.fixed > 0 {
			end := start + spec.fixed
			if j := strings.IndexByte(s[start:min(end, len(s))], gs); j >= 0 {
				return nil, newError(ErrKeyBadValue, fmt.Sprintf("AI %s: value must be %d characters, got %d before GS", ai, spec.fixed, j))
			}
			if end > len(s) {
				return nil, newError(ErrKeyTruncated, fmt.Sprintf("AI %s: input ends after %d of %d characters", ai, len(s)-start, spec.fixed))
			}
			v, i = s[start:end], end
		} else {
			end := len(s)
			if j := strings.IndexByte(s[start:], gs); j >= 0 {
				end = start + j
			}
			v, i = s[start:end], end
			if v == "" {
				if end == len(s) {
					return nil, newError(ErrKeyTruncated, fmt.Sprintf("AI %s: input ends before its value", ai))
				}
				return nil, newError(ErrKeyBadValue, fmt.Sprintf("AI %s: empty value", ai))
			}
			if len(v) > spec.max {
				return nil, newError(ErrKeyTooLong, fmt.Sprintf("AI %s: value has %d characters, at most %d allowed (missing GS separator?)", ai, len(v), spec.max))
			}
		}
		if err := checkChars(ai, spec, v); err != nil {
			return nil, err
		}
		els = append(els, element{ai, v})
	}
}

// bracketAI recognises "(" + 2 to 4 digits + ")" at s[i:] and returns the
// digits and the length of the whole marker (0 when there is none).
func bracketAI(s string, i int) (string, int) {
	if i >= len(s) || s[i] != '(' {
		return "", 0
	}
	j := i + 1
	for j < len(s) && j-i-1 < 5 && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if n := j - i - 1; n < 2 || n > 4 || j >= len(s) || s[j] != ')' {
		return "", 0
	}
	return s[i+1 : j], j + 1 - i
}

// parseBracketed splits a human-readable element string "(01)...(10)...".
// A value runs to the next "(NN)" marker; spaces and GS around it are ignored.
func parseBracketed(s string) ([]element, error) {
	var els []element
	i := 0
	for i < len(s) {
		ai, n := bracketAI(s, i)
		if n == 0 {
			return nil, newError(ErrKeyUnknownAI, fmt.Sprintf("expected an AI in parentheses at %q", snippet(s[i:])))
		}
		spec, ok := aiTable[ai]
		if !ok {
			return nil, newError(ErrKeyUnknownAI, fmt.Sprintf("AI (%s) is not supported", ai))
		}
		start := i + n
		end := start
		for end < len(s) {
			if _, m := bracketAI(s, end); m > 0 {
				break
			}
			end++
		}
		v := strings.Trim(s[start:end], " \t\x1d")
		i = end
		switch {
		case v == "" && end == len(s):
			return nil, newError(ErrKeyTruncated, fmt.Sprintf("AI %s: input ends before its value", ai))
		case v == "":
			return nil, newError(ErrKeyBadValue, fmt.Sprintf("AI %s: empty value", ai))
		case spec.fixed > 0 && len(v) != spec.fixed:
			return nil, newError(ErrKeyBadValue, fmt.Sprintf("AI %s: value %q must be %d characters, got %d", ai, v, spec.fixed, len(v)))
		case spec.fixed == 0 && len(v) > spec.max:
			return nil, newError(ErrKeyTooLong, fmt.Sprintf("AI %s: value has %d characters, at most %d allowed", ai, len(v), spec.max))
		}
		if err := checkChars(ai, spec, v); err != nil {
			return nil, err
		}
		els = append(els, element{ai, v})
	}
	return els, nil
}

// checkChars checks v against the character set of its AI.
func checkChars(ai string, spec aiSpec, v string) error {
	if spec.numeric {
		if j := firstNonDigit(v); j >= 0 {
			return newError(ErrKeyBadValue, fmt.Sprintf("AI %s: value %q must be digits only (%q at position %d)", ai, v, v[j:j+1], j))
		}
		return nil
	}
	if j := firstNot82(v); j >= 0 {
		return newError(ErrKeyBadValue, fmt.Sprintf("AI %s: character %q at position %d is not allowed in %q", ai, v[j:j+1], j, v))
	}
	return nil
}

// checkNames names the identifier kinds in check digit messages.
var checkNames = map[aiKind]string{aiGTIN: "GTIN", aiSSCC: "SSCC", aiGLN: "GLN"}

// buildResult validates the elements (check digits, dates, duplicates) and
// fills a Result.
func (p *Parser) buildResult(els []element) (Result, error) {
	year := p.now().Year()
	r := Result{Kind: KindGS1, AIs: make(map[string]string, len(els))}
	var kgAI, lbAI string
	count30, count37 := -1, -1
	for _, e := range els {
		ai, v := e.ai, e.value
		if old, dup := r.AIs[ai]; dup {
			if old != v {
				return Result{}, newError(ErrKeyDuplicateAI, fmt.Sprintf("AI %s appears twice with different values %q and %q", ai, old, v))
			}
			continue
		}
		spec := aiTable[ai]
		switch spec.kind {
		case aiGTIN, aiSSCC, aiGLN:
			if want := checkDigit(v[:len(v)-1]); want != int(v[len(v)-1]-'0') {
				return Result{}, newError(ErrKeyCheckDigit, fmt.Sprintf("AI %s: %s %s: check digit should be %d", ai, checkNames[spec.kind], v, want))
			}
		case aiDate:
			d, why := parseYYMMDD(v, year)
			if why != "" && p.keepBadDates {
				r.AIs[ai] = v // kept as scanned, with no date: ParseUndated names it
				continue
			}
			if why != "" {
				return Result{}, newError(ErrKeyBadDate, fmt.Sprintf("AI %s: %s: %s", ai, v, why))
			}
			switch ai {
			case "11":
				r.ProductionDate = &d
			case "13":
				r.PackagingDate = &d
			case "15":
				r.BestBefore = &d
			case "17":
				r.Expiry = &d
			}
		case aiMeasure:
			val := float64(atoi(v)) / pow10[ai[3]-'0']
			switch ai[:3] {
			case "310":
				if kgAI != "" && r.NetWeightKg != val {
					return Result{}, newError(ErrKeyDuplicateAI, fmt.Sprintf("net weight (kg) given twice with different values: AI %s %s and AI %s %s", kgAI, r.AIs[kgAI], ai, v))
				}
				r.NetWeightKg, kgAI = val, ai
			case "320":
				if lbAI != "" && r.NetWeightLb != val {
					return Result{}, newError(ErrKeyDuplicateAI, fmt.Sprintf("net weight (lb) given twice with different values: AI %s %s and AI %s %s", lbAI, r.AIs[lbAI], ai, v))
				}
				r.NetWeightLb, lbAI = val, ai
			}
		}
		switch ai {
		case "00":
			r.SSCC = v
		case "01":
			r.GTIN = v
		case "02":
			r.ContentGTIN = v
		case "10":
			r.Batch = v
		case "21":
			r.Serial = v
		case "30":
			count30 = atoi(v)
		case "37":
			count37 = atoi(v)
		case "400":
			r.OrderNumber = v
		}
		r.AIs[ai] = v
	}
	switch {
	case count37 >= 0:
		r.Count = count37
	case count30 >= 0:
		r.Count = count30
	}
	return r, nil
}
