package wms

import (
	"iter"
	"strconv"
	"strings"
)

func prepareLocations(rows iter.Seq[csvRow], bad *rowErrors) []Location {
	var out []Location
	codeLine := map[string]int{}
	for r := range rows {
		var rowBad []RowError
		l := Location{Code: r.get("code"), Zone: r.get("zone"), Kind: LocationKind(strings.ToLower(r.get("kind"))), Height: strings.ToLower(r.get("height")),
			PickSeq: int(parseInt(r.line, "pick_seq", r.get("pick_seq"), &rowBad)),
			XM:      parseMetres(r.line, "x_m", r.get("x_m"), &rowBad), YM: parseMetres(r.line, "y_m", r.get("y_m"), &rowBad)}
		if len(rowBad) == 0 {
			if err := l.Validate(); err != nil {
				rowBad = append(rowBad, rowErr(r.line, err))
			} else if first, dup := codeLine[l.Code]; dup {
				rowBad = append(rowBad, rowErrf(r.line, "csv.duplicate", "value", l.Code, "first", strconv.Itoa(first)))
			}
			if !bad.any() {
				codeLine[l.Code] = r.line
			}
		}
		bad.add(rowBad...)
		if bad.any() {
			out = nil // the file will be refused: keep nothing of it
			continue
		}
		out = append(out, l)
	}
	return out
}
