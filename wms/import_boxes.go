package wms

import (
	"strconv"
)

func prepareBoxes(rows []csvRow, bad []RowError) ([]Box, []RowError) {
	var out []Box
	seen := map[string]int{}
	for _, r := range rows {
		var rowBad []RowError
		b := Box{Code: r.get("code"), Name: r.get("name"),
			LengthMM: int(parseInt(r.line, "length_mm", r.get("length_mm"), &rowBad)),
			WidthMM:  int(parseInt(r.line, "width_mm", r.get("width_mm"), &rowBad)),
			HeightMM: int(parseInt(r.line, "height_mm", r.get("height_mm"), &rowBad)),
			TareG:    int(parseInt(r.line, "tare_g", r.get("tare_g"), &rowBad))}
		if len(rowBad) == 0 {
			if err := b.Validate(); err != nil {
				rowBad = append(rowBad, rowErr(r.line, err))
			} else if first, dup := seen[b.Code]; dup {
				rowBad = append(rowBad, rowErrf(r.line, "csv.duplicate", "value", b.Code, "first", strconv.Itoa(first)))
			}
			seen[b.Code] = r.line
		}
		bad = append(bad, rowBad...)
		out = append(out, b)
	}
	return out, bad
}
