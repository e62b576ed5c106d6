package wms

import (
	"iter"
	"strconv"
)

func prepareBoxes(rows iter.Seq[csvRow], bad *rowErrors) []Box {
	var out []Box
	seen := map[string]int{}
	for r := range rows {
		var rowBad []RowError
		b := Box{Code: r.get("code"), Name: r.get("name"),
			LengthMM: int(parseInt(r.line, "length_mm", r.get("length_mm"), &rowBad)),
			WidthMM:  int(parseInt(r.line, "width_mm", r.get("width_mm"), &rowBad)),
			HeightMM: int(parseInt(r.line, "height_mm", r.get("height_mm"), &rowBad)),
			TareG:    int(parseInt(r.line, "tare_g", r.get("tare_g"), &rowBad))}
		if err := checkName(FieldName, b.Name, false); err != nil {
			rowBad = append(rowBad, rowErr(r.line, err))
		}
		if len(rowBad) == 0 {
			if err := b.Validate(); err != nil {
				rowBad = append(rowBad, rowErr(r.line, err))
			} else if first, dup := seen[b.Code]; dup {
				rowBad = append(rowBad, rowErrf(r.line, "csv.duplicate", "value", b.Code, "first", strconv.Itoa(first)))
			}
			if !bad.any() {
				seen[b.Code] = r.line
			}
		}
		bad.add(rowBad...)
		if bad.any() {
			out = nil // the file will be refused: keep nothing of it
			continue
		}
		out = append(out, b)
	}
	return out
}
