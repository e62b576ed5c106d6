package wms

import (
	"iter"
	"strconv"
	"strings"
)

// prepareStaff leaves the plain PIN in PINHash; PrepareImport hashes it once all rows are good.
func prepareStaff(tx *txn, rows iter.Seq[csvRow], bad *rowErrors) []StaffChange {
	var out []StaffChange
	badgeLine := map[string]int{}
	for r := range rows {
		var rowBad []RowError
		c := StaffChange{Badge: r.get("badge"), Name: r.get("name"), Role: Role(strings.ToLower(r.get("role"))),
			Language: r.get("language"), PINHash: r.get("pin"),
			Disabled:  parseBool(r.line, "disabled", r.get("disabled"), &rowBad),
			Temporary: parseBool(r.line, "temporary", r.get("temporary"), &rowBad)}
		if err := c.Validate(); err != nil {
			rowBad = append(rowBad, rowErr(r.line, err))
		}
		if c.PINHash != "" {
			if err := ValidatePIN(c.PINHash); err != nil {
				rowBad = append(rowBad, rowErrf(r.line, "pin.format"))
			}
		} else if tx.Bucket(bucketStaff).Get([]byte(c.Badge)) == nil {
			rowBad = append(rowBad, rowErrf(r.line, "staff.pin_required", "badge", c.Badge))
		}
		if first, dup := badgeLine[c.Badge]; dup && c.Badge != "" {
			rowBad = append(rowBad, rowErrf(r.line, "csv.duplicate", "value", c.Badge, "first", strconv.Itoa(first)))
		}
		if !bad.any() {
			badgeLine[c.Badge] = r.line
		}
		bad.add(rowBad...)
		if bad.any() {
			out = nil // the file will be refused: keep nothing of it
			continue
		}
		out = append(out, c)
	}
	return out
}
