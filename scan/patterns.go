package scan

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Patterns recognise the warehouse's own codes. A nil pattern never matches.
// Patterns are matched against the whole normalised scan with MatchString,
// so they should be anchored (^...$).
type Patterns struct {
	Location, Tote, Badge, Order, Waybill *regexp.Regexp
}

// patternKeys are the CompilePatterns keys, in matching order.
var patternKeys = []string{"location", "tote", "badge", "order", "waybill"}

var defaultPatternExprs = map[string]string{
	// A01-02-03 (aisle letter, two-digit aisle-bay-level) or special areas.
	"location": `^([A-Z]\d{2}-\d{2}-\d{2}|(DOCK|QA|RET|DMG|RTS)-\d{2})$`,
	"tote":     `^T\d{5}$`,
	"badge":    `^B\d{4,6}$`,
	"order":    `^SO\d{6,20}$`,
	// SF Express, JD Logistics, YTO, J&T, UPU S10 (EE123456789CN).
	"waybill": `^(SF\d{12,13}|JD[0-9A-Z]{11,16}|YT\d{13}|JT\d{13}|[A-Z]{2}\d{9}[A-Z]{2})$`,
}

// DefaultPatterns returns freshly compiled default patterns.
func DefaultPatterns() Patterns {
	var p Patterns
	for _, k := range patternKeys {
		*p.field(k) = regexp.MustCompile(defaultPatternExprs[k])
	}
	return p
}

// CompilePatterns returns DefaultPatterns with the non-empty expressions of
// over compiled in their place. Keys are "location", "tote", "badge", "order"
// and "waybill"; an unknown key or an invalid expression is an error.
func CompilePatterns(over map[string]string) (Patterns, error) {
	p := DefaultPatterns()
	keys := make([]string, 0, len(over))
	for k := range over {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		f := p.field(k)
		if f == nil {
			return Patterns{}, fmt.Errorf("scan: unknown pattern key %q (want one of %s)", k, strings.Join(patternKeys, ", "))
		}
		expr := over[k]
		if strings.TrimSpace(expr) == "" {
			continue
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			return Patterns{}, fmt.Errorf("scan: pattern %q: %w", k, err)
		}
		*f = re
	}
	return p, nil
}

func (p *Patterns) field(key string) **regexp.Regexp {
	switch key {
	case "location":
		return &p.Location
	case "tote":
		return &p.Tote
	case "badge":
		return &p.Badge
	case "order":
		return &p.Order
	case "waybill":
		return &p.Waybill
	}
	return nil
}

// match returns the kind of the first pattern (location, tote, badge, order,
// waybill) that matches s.
func (p *Patterns) match(s string) (Kind, bool) {
	for _, c := range [...]struct {
		kind Kind
		re   *regexp.Regexp
	}{
		{KindLocation, p.Location},
		{KindTote, p.Tote},
		{KindBadge, p.Badge},
		{KindOrder, p.Order},
		{KindWaybill, p.Waybill},
	} {
		if c.re != nil && c.re.MatchString(s) {
			return c.kind, true
		}
	}
	return "", false
}
