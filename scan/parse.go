package scan

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Kind says what a scanned string is.
type Kind string

// Kinds of scanned codes.
const (
	KindGS1      Kind = "gs1"
	KindGTIN     Kind = "gtin"
	KindLocation Kind = "location"
	KindTote     Kind = "tote"
	KindBadge    Kind = "badge"
	KindOrder    Kind = "order"
	KindWaybill  Kind = "waybill"
	KindUnknown  Kind = "unknown"
)

// Result is what a scanned string means.
type Result struct {
	Kind           Kind              `json:"kind"`
	Code           string            `json:"code,omitempty"`            // normalised text for own codes (location, tote, badge, order, waybill) and unknown
	GTIN           string            `json:"gtin,omitempty"`            // always 14 digits (AI 01, or a plain EAN-13/UPC-A/EAN-8/GTIN-14 padded with leading zeros)
	ContentGTIN    string            `json:"content_gtin,omitempty"`    // AI 02, 14 digits
	Batch          string            `json:"batch,omitempty"`           // AI 10
	Serial         string            `json:"serial,omitempty"`          // AI 21
	Expiry         *Date             `json:"expiry,omitempty"`          // AI 17
	BestBefore     *Date             `json:"best_before,omitempty"`     // AI 15
	ProductionDate *Date             `json:"production_date,omitempty"` // AI 11
	PackagingDate  *Date             `json:"packaging_date,omitempty"`  // AI 13
	SSCC           string            `json:"sscc,omitempty"`            // AI 00, 18 digits
	NetWeightKg    float64           `json:"net_weight_kg,omitempty"`   // AI 310n (n = decimal places)
	NetWeightLb    float64           `json:"net_weight_lb,omitempty"`   // AI 320n
	Count          int               `json:"count,omitempty"`           // AI 30 (variable count) or AI 37 (count of trade items); 37 wins if both
	OrderNumber    string            `json:"order_number,omitempty"`    // AI 400 customer purchase order
	AIs            map[string]string `json:"ais,omitempty"`             // every element string as AI -> raw value (gs1 only), e.g. "3103" -> "001250"
}

// Parser classifies scanned strings. It is safe for concurrent use as long as
// its fields are not modified. The zero value recognises no own codes
// and uses time.Now; a nil *Parser behaves like the package-level functions.
type Parser struct {
	Patterns Patterns
	// Now gives the current time for the GS1 century window of YYMMDD dates.
	// nil means time.Now.
	Now func() time.Time

	keepBadDates bool // set by ParseUndated only
}

// NewParser returns a Parser using the given patterns and time.Now.
func NewParser(p Patterns) *Parser {
	return &Parser{Patterns: p}
}

var defaultParser = NewParser(DefaultPatterns())

// Parse classifies raw with DefaultPatterns and time.Now.
func Parse(raw string) (Result, error) {
	return defaultParser.Parse(raw)
}

func (p *Parser) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// Parse normalises raw and classifies it; see the package documentation for
// the order of the rules. Every error is an *Error; a string that matches
// nothing is not an error but a Result of Kind unknown.
func (p *Parser) Parse(raw string) (Result, error) {
	if p == nil {
		p = defaultParser
	}
	s := normalize(raw)
	if s == "" {
		return Result{}, newError(ErrKeyEmpty, "nothing scanned")
	}
	if id, rest, ok := splitAIM(s); ok {
		rest = trimSpace(rest)
		if rest == "" {
			return Result{}, newError(ErrKeyEmpty, fmt.Sprintf("only the symbology identifier %s was scanned", id))
		}
		if gs1AIM[id] {
			return p.parseGS1(rest)
		}
		s = rest
	}
	if _, n := bracketAILoose(s); n > 0 || strings.IndexByte(s, gs) >= 0 {
		return p.parseGS1(s)
	}
	if kind, ok := p.Patterns.match(s); ok {
		return Result{Kind: kind, Code: s}, nil
	}
	if allDigits(s) {
		switch len(s) {
		case 8, 12, 13, 14:
			if want := checkDigit(s[:len(s)-1]); want != int(s[len(s)-1]-'0') {
				return Result{}, newError(ErrKeyCheckDigit, fmt.Sprintf("GTIN %s: check digit should be %d", s, want))
			}
			return Result{Kind: KindGTIN, GTIN: padGTIN(s)}, nil
		}
	}
	if len(s) >= 16 && (strings.HasPrefix(s, "00") || strings.HasPrefix(s, "01") || strings.HasPrefix(s, "02")) {
		if r, err := p.parseGS1(s); err == nil {
			return r, nil
		}
	}
	return Result{Kind: KindUnknown, Code: s}, nil
}

// ParseUndated is Parse for a pack whose printed date may be wrong: a GS1
// date that is no calendar date (20230230, month 13) does not refuse the
// scan. The result has every other element (the item, its lot) and no value
// for that date; undated lists the AIs of such dates, so the date can be
// typed from the pack. Any other fault is an error as with Parse.
func (p *Parser) ParseUndated(raw string) (r Result, undated []string, err error) {
	if p == nil {
		p = defaultParser
	}
	q := *p
	q.keepBadDates = true
	if r, err = q.Parse(raw); err != nil {
		return Result{}, nil, err
	}
	year := q.now().Year()
	for ai, v := range r.AIs {
		if aiTable[ai].kind == aiDate {
			if _, why := parseYYMMDD(v, year); why != "" {
				undated = append(undated, ai)
			}
		}
	}
	sort.Strings(undated)
	return r, undated, nil
}

// bracketAILoose recognises "(" + one or more digits + ")" at the start of s:
// such a scan is meant as a human-readable GS1 element string.
func bracketAILoose(s string) (string, int) {
	if len(s) < 3 || s[0] != '(' {
		return "", 0
	}
	j := 1
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j == 1 || j >= len(s) || s[j] != ')' {
		return "", 0
	}
	return s[1:j], j + 1
}

// ParseUndated is Parser.ParseUndated with DefaultPatterns and time.Now.
func ParseUndated(raw string) (Result, []string, error) {
	return defaultParser.ParseUndated(raw)
}
