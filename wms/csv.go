package wms

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// ImportKind names a kind of CSV file.
type ImportKind string

const (
	ImportSKUs      ImportKind = "skus"
	ImportLocations ImportKind = "locations"
	ImportStaff     ImportKind = "staff"
	ImportStock     ImportKind = "stock"
	ImportOrders    ImportKind = "orders"
	ImportReceipts  ImportKind = "receipts"
	ImportBoxes     ImportKind = "boxes"
	ImportWaybills  ImportKind = "waybills"
)

// ImportKinds lists the CSV kinds in the order they must be loaded on a new
// warehouse (stock refers to SKUs and locations).
var ImportKinds = []ImportKind{ImportSKUs, ImportLocations, ImportStaff, ImportStock, ImportBoxes, ImportWaybills, ImportOrders, ImportReceipts}

// ExportKinds are the kinds Export writes (orders leave through the API).
var ExportKinds = []ImportKind{ImportSKUs, ImportLocations, ImportStaff, ImportStock}

// Columns are each kind's CSV header, in export order. Imports accept any order.
var Columns = map[ImportKind][]string{
	ImportSKUs: {"code", "name", "gtins", "unit_weight_g", "length_mm", "width_mm", "height_mm",
		"shelf_life_days", "lot_tracked", "serial_tracked", "min_outbound_life_pct", "zone", "receive_min_life_pct",
		"short_life_action", "near_expiry_days"},
	ImportLocations: {"code", "zone", "pick_seq", "kind"},
	ImportStaff:     {"badge", "name", "role", "language", "pin", "disabled"},
	ImportStock:     {"sku", "lot", "expiry", "location", "qty"},
	ImportOrders: {"no", "channel", "shop", "name", "phone", "address", "sku", "qty", "priority", "carrier",
		"ship_by", "notes"},
	ImportReceipts: {"receipt", "supplier", "sku", "qty"},
	ImportBoxes:    {"code", "name", "length_mm", "width_mm", "height_mm", "tare_g"},
	ImportWaybills: {"account", "waybill"},
}

// required columns; the rest default to empty or zero.
var requiredColumns = map[ImportKind][]string{
	ImportSKUs:      {"code", "name"},
	ImportLocations: {"code", "kind"},
	ImportStaff:     {"badge", "name", "role"},
	ImportStock:     {"sku", "location", "qty"},
	ImportOrders:    {"no", "channel", "name", "phone", "address", "sku", "qty"},
	ImportReceipts:  {"receipt", "supplier", "sku", "qty"},
	ImportBoxes:     {"code", "length_mm", "width_mm", "height_mm"},
	ImportWaybills:  {"account", "waybill"},
}

// RowError is one bad row of a CSV file: its line number and why.
type RowError struct {
	Line int               `json:"line"`
	Key  string            `json:"key"`
	Args map[string]string `json:"args,omitempty"`
}

// ImportResult tells what an import did or why it did nothing.
type ImportResult struct {
	Kind      ImportKind `json:"kind"`
	Rows      int        `json:"rows"`
	Errors    []RowError `json:"errors,omitempty"`
	Duplicate bool       `json:"duplicate,omitempty"`
	Seq       uint64     `json:"seq,omitempty"`
}

// MaxImportBytes bounds one CSV file.
const MaxImportBytes = 64 << 20

// DecodeText turns a file saved by Excel or any editor into UTF-8: UTF-8 with
// or without a byte-order mark, or GBK/GB18030 as saved on Chinese Windows.
func DecodeText(raw []byte) (string, error) {
	switch {
	case bytes.HasPrefix(raw, []byte{0xEF, 0xBB, 0xBF}):
		raw = raw[3:]
		if !utf8.Valid(raw) {
			return "", errf(CodeInvalid, "csv.encoding")
		}
		return string(raw), nil
	case bytes.HasPrefix(raw, []byte{0xFF, 0xFE}), bytes.HasPrefix(raw, []byte{0xFE, 0xFF}):
		return "", errf(CodeInvalid, "csv.utf16")
	case utf8.Valid(raw):
		return string(raw), nil
	}
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(raw)
	if err != nil || bytes.ContainsRune(out, utf8.RuneError) || bytes.IndexByte(out, 0) >= 0 {
		return "", errf(CodeInvalid, "csv.encoding")
	}
	return string(out), nil
}

// csvRow is one data row: its line number and its fields by column name.
type csvRow struct {
	line   int
	fields map[string]string
}

func (r csvRow) get(col string) string { return strings.TrimSpace(r.fields[col]) }

// readCSV decodes and splits a file, checking the header against the kind.
func readCSV(kind ImportKind, raw []byte) ([]csvRow, []RowError, error) {
	cols, ok := Columns[kind]
	if !ok {
		return nil, nil, errf(CodeInvalid, "import.kind_unknown", "kind", string(kind))
	}
	if len(raw) > MaxImportBytes {
		return nil, nil, errf(CodeInvalid, "csv.too_large")
	}
	text, err := DecodeText(raw)
	if err != nil {
		return nil, nil, err
	}
	r := csv.NewReader(strings.NewReader(text))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil, errf(CodeInvalid, "csv.empty")
	}
	if err != nil {
		return nil, nil, errf(CodeInvalid, "csv.syntax", "line", "1", "detail", err.Error())
	}
	index := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if !slices.Contains(cols, h) {
			return nil, nil, errf(CodeInvalid, "csv.column_unknown", "column", h, "columns", strings.Join(cols, ","))
		}
		if _, dup := index[h]; dup {
			return nil, nil, errf(CodeInvalid, "csv.column_twice", "column", h)
		}
		index[h] = i
	}
	for _, c := range requiredColumns[kind] {
		if _, ok := index[c]; !ok {
			return nil, nil, errf(CodeInvalid, "csv.column_missing", "column", c)
		}
	}
	var rows []csvRow
	var bad []RowError
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			bad = append(bad, RowError{Line: line, Key: "csv.syntax", Args: map[string]string{"detail": err.Error()}})
			if pe == nil || errors.Is(pe.Err, csv.ErrQuote) || errors.Is(pe.Err, csv.ErrBareQuote) {
				break // the reader cannot find the next row after a broken quote
			}
			continue
		}
		if blank(rec) {
			continue
		}
		line, _ := r.FieldPos(0)
		if len(rec) != len(header) {
			bad = append(bad, RowError{Line: line, Key: "csv.field_count", Args: map[string]string{
				"want": strconv.Itoa(len(header)), "got": strconv.Itoa(len(rec))}})
			continue
		}
		f := make(map[string]string, len(header))
		for name, i := range index {
			f[name] = fromSpreadsheet(rec[i])
		}
		rows = append(rows, csvRow{line: line, fields: f})
	}
	if len(rows) == 0 && len(bad) == 0 {
		return nil, nil, errf(CodeInvalid, "csv.no_rows")
	}
	return rows, bad, nil
}

// formulaStart holds the characters that make a spreadsheet treat a cell as
// a formula (a tab or carriage return before one hides it from the eye).
const formulaStart = "=+-@\t\r"

// SpreadsheetSafe is how an exported cell is written: one that Excel or WPS
// would run as a formula (a SKU name like =HYPERLINK(...) typed into an
// upstream system) gets a leading apostrophe, which shows the text as it is.
// Import takes the apostrophe off again, so an export imports unchanged.
func SpreadsheetSafe(cell string) string {
	if needsGuard(cell) {
		return "'" + cell
	}
	return cell
}

// needsGuard: the cell starts with a formula character, or with apostrophes
// before one (so that a name that really starts with '= survives the trip).
func needsGuard(cell string) bool {
	rest := strings.TrimLeft(cell, "'")
	return rest != "" && strings.IndexByte(formulaStart, rest[0]) >= 0
}

// fromSpreadsheet undoes SpreadsheetSafe.
func fromSpreadsheet(cell string) string {
	if strings.HasPrefix(cell, "'") && needsGuard(cell[1:]) {
		return cell[1:]
	}
	return cell
}

func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

func rowErr(line int, e error) RowError {
	if de, ok := AsError(e); ok {
		return RowError{Line: line, Key: de.Key, Args: de.Args}
	}
	return RowError{Line: line, Key: "csv.row_invalid", Args: map[string]string{"detail": e.Error()}}
}

func rowErrf(line int, key string, args ...string) RowError {
	return rowErr(line, errf(CodeInvalid, key, args...))
}

func parseInt(line int, col, s string, bad *[]RowError) int64 {
	if s == "" {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		*bad = append(*bad, rowErrf(line, "csv.not_integer", "column", col, "value", s))
		return 0
	}
	if n < 0 {
		*bad = append(*bad, rowErrf(line, "csv.negative", "column", col, "value", s))
		return 0
	}
	return n
}

func parseBool(line int, col, s string, bad *[]RowError) bool {
	switch strings.ToLower(s) {
	case "", "0", "false", "no", "n", "否":
		return false
	case "1", "true", "yes", "y", "是":
		return true
	}
	*bad = append(*bad, rowErrf(line, "csv.not_bool", "column", col, "value", s))
	return false
}

// NormalizeDay accepts the date forms a spreadsheet writes (2027-03-31,
// 2027/3/31, 2027.3.31, 20270331) and returns "YYYY-MM-DD".
func NormalizeDay(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) == 8 && strings.Trim(s, "0123456789") == "" {
		s = s[:4] + "-" + s[4:6] + "-" + s[6:]
	}
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == '/' || r == '.' })
	if len(parts) == 3 && len(parts[0]) == 4 && len(parts[1]) <= 2 && len(parts[2]) <= 2 {
		if len(parts[1]) == 1 {
			parts[1] = "0" + parts[1]
		}
		if len(parts[2]) == 1 {
			parts[2] = "0" + parts[2]
		}
		s = parts[0] + "-" + parts[1] + "-" + parts[2]
	}
	if _, err := ParseDay(s); err != nil {
		return "", err
	}
	return s, nil
}

// PrepareImport reads a CSV file and checks every row against the file itself
// and the current state. It returns the import to append, or every bad row.
// Staff PINs are hashed here, outside any transaction.
func (l *Ledger) PrepareImport(kind ImportKind, file string, raw []byte) (Import, []RowError, error) {
	rows, bad, err := readCSV(kind, raw)
	if err != nil {
		return Import{}, nil, err
	}
	im := Import{Kind: kind, File: file}
	err = l.db.View(func(tx *bolt.Tx) error {
		switch kind {
		case ImportSKUs:
			im.SKUs, bad = prepareSKUs(tx, rows, bad)
		case ImportLocations:
			im.Locations, bad = prepareLocations(rows, bad)
		case ImportStaff:
			im.Staff, bad = prepareStaff(tx, rows, bad)
		case ImportStock:
			im.Stock, bad = prepareStock(tx, rows, bad)
		case ImportOrders:
			im.Orders, bad = prepareOrders(tx, rows, bad, l.zone)
		case ImportReceipts:
			im.Receipts, bad = prepareReceipts(tx, rows, bad)
		case ImportBoxes:
			im.Boxes, bad = prepareBoxes(rows, bad)
		case ImportWaybills:
			im.Waybills, bad = prepareWaybills(tx, rows, bad)
		}
		return nil
	})
	if err != nil {
		return Import{}, nil, err
	}
	slices.SortStableFunc(bad, func(a, b RowError) int { return a.Line - b.Line })
	if len(bad) > 0 {
		return Import{}, bad, nil
	}
	// PINs are hashed only once the whole file is known to be good.
	for i := range im.Staff {
		if pin := im.Staff[i].PINHash; pin != "" {
			if im.Staff[i].PINHash, err = HashPIN(pin); err != nil {
				return Import{}, nil, err
			}
		}
	}
	return im, nil, nil
}

// Import reads, checks and applies a CSV file as one event: all rows or none.
// eventID makes a retried upload apply once.
func (l *Ledger) Import(ctx context.Context, eventID string, kind ImportKind, file string, raw []byte, actor, device string) (ImportResult, error) {
	res := ImportResult{Kind: kind}
	im, bad, err := l.PrepareImport(kind, file, raw)
	if err != nil {
		return res, err
	}
	if len(bad) > 0 {
		res.Errors = bad
		return res, errf(CodeInvalid, "import.rows_invalid", "count", strconv.Itoa(len(bad)))
	}
	res.Rows = len(im.SKUs) + len(im.Locations) + len(im.Staff) + len(im.Stock) + len(im.Orders) + len(im.Receipts) + len(im.Boxes)
	for _, w := range im.Waybills {
		res.Rows += len(w.Numbers)
	}
	ev, err := NewEvent(eventID, EvImported, actor, device, im)
	if err != nil {
		return res, err
	}
	stored, dup, err := l.Append(ctx, ev)
	if err != nil {
		return res, err
	}
	res.Seq, res.Duplicate = stored.Seq, dup
	return res, nil
}

func prepareSKUs(tx *bolt.Tx, rows []csvRow, bad []RowError) ([]SKU, []RowError) {
	out := make([]SKU, 0, len(rows))
	codeLine := map[string]int{}
	gtinLine := map[string]int{}
	for _, r := range rows {
		var rowBad []RowError
		s := SKU{
			Code: r.get("code"), Name: r.get("name"),
			GTINs:              strings.FieldsFunc(r.get("gtins"), func(c rune) bool { return c == '|' || c == ';' || c == ' ' || c == '/' }),
			UnitWeightG:        int(parseInt(r.line, "unit_weight_g", r.get("unit_weight_g"), &rowBad)),
			LengthMM:           int(parseInt(r.line, "length_mm", r.get("length_mm"), &rowBad)),
			WidthMM:            int(parseInt(r.line, "width_mm", r.get("width_mm"), &rowBad)),
			HeightMM:           int(parseInt(r.line, "height_mm", r.get("height_mm"), &rowBad)),
			ShelfLifeDays:      int(parseInt(r.line, "shelf_life_days", r.get("shelf_life_days"), &rowBad)),
			LotTracked:         parseBool(r.line, "lot_tracked", r.get("lot_tracked"), &rowBad),
			SerialTracked:      parseBool(r.line, "serial_tracked", r.get("serial_tracked"), &rowBad),
			MinOutboundLifePct: int(parseInt(r.line, "min_outbound_life_pct", r.get("min_outbound_life_pct"), &rowBad)),
			Zone:               r.get("zone"),
			ReceiveMinLifePct:  int(parseInt(r.line, "receive_min_life_pct", r.get("receive_min_life_pct"), &rowBad)),
			ShortLifeAction:    r.get("short_life_action"),
			NearExpiryDays:     int(parseInt(r.line, "near_expiry_days", r.get("near_expiry_days"), &rowBad)),
		}
		if len(rowBad) == 0 {
			if err := s.Validate(); err != nil {
				rowBad = append(rowBad, rowErr(r.line, err))
			}
		}
		if len(rowBad) == 0 {
			if first, dup := codeLine[s.Code]; dup {
				rowBad = append(rowBad, rowErrf(r.line, "csv.duplicate", "value", s.Code, "first", strconv.Itoa(first)))
			}
			codeLine[s.Code] = r.line
			for _, g := range s.GTINs {
				if first, dup := gtinLine[g]; dup {
					rowBad = append(rowBad, rowErrf(r.line, "csv.duplicate", "value", g, "first", strconv.Itoa(first)))
				}
				gtinLine[g] = r.line
				if owner := tx.Bucket(bucketGTINs).Get([]byte(g)); owner != nil && string(owner) != s.Code {
					rowBad = append(rowBad, rowErrf(r.line, "sku.gtin_taken", "gtin", g, "sku", string(owner)))
				}
			}
			var old SKU
			if found, _ := getJSON(tx.Bucket(bucketSKUs), []byte(s.Code), &old); found && old.LotTracked != s.LotTracked && hasStock(tx, s.Code) {
				rowBad = append(rowBad, rowErrf(r.line, "sku.lot_tracking_with_stock", "sku", s.Code))
			}
		}
		bad = append(bad, rowBad...)
		out = append(out, s)
	}
	return out, bad
}

func prepareLocations(rows []csvRow, bad []RowError) ([]Location, []RowError) {
	out := make([]Location, 0, len(rows))
	codeLine := map[string]int{}
	for _, r := range rows {
		var rowBad []RowError
		l := Location{Code: r.get("code"), Zone: r.get("zone"), Kind: LocationKind(strings.ToLower(r.get("kind"))),
			PickSeq: int(parseInt(r.line, "pick_seq", r.get("pick_seq"), &rowBad))}
		if len(rowBad) == 0 {
			if err := l.Validate(); err != nil {
				rowBad = append(rowBad, rowErr(r.line, err))
			} else if first, dup := codeLine[l.Code]; dup {
				rowBad = append(rowBad, rowErrf(r.line, "csv.duplicate", "value", l.Code, "first", strconv.Itoa(first)))
			}
			codeLine[l.Code] = r.line
		}
		bad = append(bad, rowBad...)
		out = append(out, l)
	}
	return out, bad
}

// prepareStaff leaves the plain PIN in PINHash; PrepareImport hashes it once all rows are good.
func prepareStaff(tx *bolt.Tx, rows []csvRow, bad []RowError) ([]StaffChange, []RowError) {
	out := make([]StaffChange, 0, len(rows))
	badgeLine := map[string]int{}
	for _, r := range rows {
		var rowBad []RowError
		c := StaffChange{Badge: r.get("badge"), Name: r.get("name"), Role: Role(strings.ToLower(r.get("role"))),
			Language: r.get("language"), PINHash: r.get("pin"),
			Disabled: parseBool(r.line, "disabled", r.get("disabled"), &rowBad)}
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
		badgeLine[c.Badge] = r.line
		bad = append(bad, rowBad...)
		out = append(out, c)
	}
	return out, bad
}

func prepareStock(tx *bolt.Tx, rows []csvRow, bad []RowError) ([]StockRow, []RowError) {
	out := make([]StockRow, 0, len(rows))
	placeLine := map[string]int{}
	lotExpiry := map[string]string{} // expiry given for a new lot earlier in this file
	for _, r := range rows {
		var rowBad []RowError
		s := StockRow{SKU: r.get("sku"), Lot: r.get("lot"), Location: r.get("location")}
		qty := r.get("qty")
		n, err := strconv.ParseInt(qty, 10, 64)
		switch {
		case err != nil:
			rowBad = append(rowBad, rowErrf(r.line, "csv.not_integer", "column", "qty", "value", qty))
		case n < 0:
			rowBad = append(rowBad, rowErrf(r.line, "csv.negative", "column", "qty", "value", qty))
		}
		s.Qty = n
		dateBad := false
		if e := r.get("expiry"); e != "" {
			if s.Expiry, err = NormalizeDay(e); err != nil {
				rowBad, dateBad = append(rowBad, rowErr(r.line, err)), true
			}
		}
		var sku SKU
		found, _ := getJSON(tx.Bucket(bucketSKUs), []byte(s.SKU), &sku)
		switch {
		case !found:
			rowBad = append(rowBad, rowErrf(r.line, "sku.not_found", "sku", s.SKU))
		case sku.LotTracked && s.Lot == "":
			rowBad = append(rowBad, rowErrf(r.line, "stock.lot_required", "sku", s.SKU))
		case !sku.LotTracked && s.Lot != "":
			rowBad = append(rowBad, rowErrf(r.line, "stock.lot_not_tracked", "sku", s.SKU))
		case s.Lot != "" && !validCode(s.Lot):
			rowBad = append(rowBad, rowErrf(r.line, "stock.lot_invalid", "sku", s.SKU, "lot", s.Lot))
		case found:
			var lot Lot
			lk := string(lotKey(s.SKU, s.Lot))
			lotFound, _ := getJSON(tx.Bucket(bucketLots), []byte(lk), &lot)
			if !lotFound {
				if prev, seen := lotExpiry[lk]; seen {
					lot, lotFound = Lot{Expiry: prev}, true
				}
			}
			switch {
			case lotFound && s.Expiry != "" && lot.Expiry != s.Expiry:
				rowBad = append(rowBad, rowErrf(r.line, "stock.expiry_mismatch", "sku", s.SKU, "lot", s.Lot, "expiry", lot.Expiry))
			case !lotFound && sku.LotTracked && sku.ShelfLifeDays > 0 && s.Expiry == "" && !dateBad:
				rowBad = append(rowBad, rowErrf(r.line, "stock.expiry_required", "sku", s.SKU, "lot", s.Lot))
			case !lotFound:
				lotExpiry[lk] = s.Expiry
			}
		}
		if tx.Bucket(bucketLocations).Get([]byte(s.Location)) == nil {
			rowBad = append(rowBad, rowErrf(r.line, "location.not_found", "location", s.Location))
		}
		place := string(stockKey(s.SKU, s.Lot, s.Location))
		if first, dup := placeLine[place]; dup {
			rowBad = append(rowBad, rowErrf(r.line, "csv.duplicate", "value", s.SKU+" "+s.Lot+" "+s.Location, "first", strconv.Itoa(first)))
		}
		placeLine[place] = r.line
		bad = append(bad, rowBad...)
		out = append(out, s)
	}
	return out, bad
}

// prepareOrders groups rows by order number (one row per order line); the
// order's own fields come from its first row.
func prepareOrders(tx *bolt.Tx, rows []csvRow, bad []RowError, zone *time.Location) ([]OrderIntake, []RowError) {
	var out []OrderIntake
	index := map[string]int{}
	for _, r := range rows {
		no := r.get("no")
		qty, err := strconv.ParseInt(r.get("qty"), 10, 64)
		if err != nil {
			bad = append(bad, rowErrf(r.line, "csv.not_integer", "column", "qty", "value", r.get("qty")))
			continue
		}
		sku := r.get("sku")
		if tx.Bucket(bucketSKUs).Get([]byte(sku)) == nil {
			bad = append(bad, rowErrf(r.line, "sku.not_found", "sku", sku))
			continue
		}
		if i, ok := index[no]; ok {
			out[i].Lines = append(out[i].Lines, LineIn{SKU: sku, Qty: qty})
			if err := out[i].Validate(); err != nil {
				bad = append(bad, rowErr(r.line, err))
			}
			continue
		}
		in := OrderIntake{No: no, Channel: r.get("channel"), Shop: r.get("shop"), Carrier: r.get("carrier"), Notes: r.get("notes"),
			Recipient: Recipient{Name: r.get("name"), Phone: r.get("phone"), Address: r.get("address")},
			Lines:     []LineIn{{SKU: sku, Qty: qty}}}
		if p := r.get("priority"); p != "" {
			n, err := strconv.Atoi(p)
			if err != nil {
				bad = append(bad, rowErrf(r.line, "csv.not_integer", "column", "priority", "value", p))
				continue
			}
			in.Priority = n
		}
		if sb := r.get("ship_by"); sb != "" {
			t, err := time.Parse(time.RFC3339, sb)
			if err != nil {
				if t, err = time.ParseInLocation("2006-01-02 15:04", sb, zone); err != nil { // the warehouse's clock
					bad = append(bad, rowErrf(r.line, "csv.not_time", "column", "ship_by", "value", sb))
					continue
				}
			}
			in.ShipBy = &t
		}
		if err := in.Validate(); err != nil {
			bad = append(bad, rowErr(r.line, err))
			continue
		}
		var existing Order
		if found, _ := getJSON(tx.Bucket(bucketOrders), []byte(in.No), &existing); found && existing.State != OrderNew {
			bad = append(bad, rowErrf(r.line, "order.locked", "order", in.No, "state", string(existing.State)))
			continue
		}
		index[no] = len(out)
		out = append(out, in)
	}
	return out, bad
}

// prepareReceipts groups ASN rows by receipt.
func prepareReceipts(tx *bolt.Tx, rows []csvRow, bad []RowError) ([]ReceiptIn, []RowError) {
	var out []ReceiptIn
	index := map[string]int{}
	for _, r := range rows {
		id, sku := r.get("receipt"), r.get("sku")
		qty, err := strconv.ParseInt(r.get("qty"), 10, 64)
		switch {
		case err != nil:
			bad = append(bad, rowErrf(r.line, "csv.not_integer", "column", "qty", "value", r.get("qty")))
			continue
		case qty <= 0:
			bad = append(bad, rowErrf(r.line, "csv.negative", "column", "qty", "value", r.get("qty")))
			continue
		case !validCode(id):
			bad = append(bad, rowErrf(r.line, "receipt.id_invalid", "receipt", id))
			continue
		case tx.Bucket(bucketSKUs).Get([]byte(sku)) == nil:
			bad = append(bad, rowErrf(r.line, "sku.not_found", "sku", sku))
			continue
		case tx.Bucket(bucketReceipts).Get([]byte(id)) != nil:
			bad = append(bad, rowErrf(r.line, "receipt.exists", "receipt", id))
			continue
		}
		i, ok := index[id]
		if !ok {
			if !validText(r.get("supplier")) {
				bad = append(bad, rowErrf(r.line, "receipt.supplier_invalid", "receipt", id))
				continue
			}
			i = len(out)
			index[id] = i
			out = append(out, ReceiptIn{ID: id, Supplier: r.get("supplier")})
		}
		out[i].Lines = append(out[i].Lines, LineIn{SKU: sku, Qty: qty})
	}
	return out, bad
}

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

// prepareWaybills groups numbers by carrier account, in file order.
func prepareWaybills(tx *bolt.Tx, rows []csvRow, bad []RowError) ([]WaybillLoad, []RowError) {
	var out []WaybillLoad
	index := map[string]int{}
	seen := map[string]int{}
	for _, r := range rows {
		acc, n := r.get("account"), r.get("waybill")
		switch {
		case !validCode(acc):
			bad = append(bad, rowErrf(r.line, "waybill.load_invalid"))
			continue
		case !validCode(n):
			bad = append(bad, rowErrf(r.line, "waybill.number_invalid", "waybill", n))
			continue
		case tx.Bucket(bucketWaybillIndex).Get([]byte(n)) != nil:
			bad = append(bad, rowErrf(r.line, "waybill.duplicate", "waybill", n))
			continue
		}
		if first, dup := seen[n]; dup {
			bad = append(bad, rowErrf(r.line, "csv.duplicate", "value", n, "first", strconv.Itoa(first)))
			continue
		}
		seen[n] = r.line
		i, ok := index[acc]
		if !ok {
			i = len(out)
			index[acc] = i
			out = append(out, WaybillLoad{Account: acc})
		}
		out[i].Numbers = append(out[i].Numbers, n)
	}
	return out, bad
}

// Export writes one kind of data as CSV: UTF-8 with a byte-order mark, so that
// Excel on Chinese Windows opens it as UTF-8. Staff PINs are never exported.
func (l *Ledger) Export(kind ImportKind, w io.Writer) error {
	cols, ok := Columns[kind]
	if !ok {
		return errf(CodeInvalid, "import.kind_unknown", "kind", string(kind))
	}
	var records [][]string
	itoa := strconv.Itoa
	switch kind {
	case ImportSKUs:
		skus, err := l.SKUs()
		if err != nil {
			return err
		}
		for _, s := range skus {
			records = append(records, []string{s.Code, s.Name, strings.Join(s.GTINs, "|"), itoa(s.UnitWeightG),
				itoa(s.LengthMM), itoa(s.WidthMM), itoa(s.HeightMM), itoa(s.ShelfLifeDays),
				strconv.FormatBool(s.LotTracked), strconv.FormatBool(s.SerialTracked), itoa(s.MinOutboundLifePct),
				s.Zone, itoa(s.ReceiveMinLifePct), s.ShortLifeAction, itoa(s.NearExpiryDays)})
		}
	case ImportLocations:
		locs, err := l.Locations()
		if err != nil {
			return err
		}
		for _, x := range locs {
			records = append(records, []string{x.Code, x.Zone, itoa(x.PickSeq), string(x.Kind)})
		}
	case ImportStaff:
		staff, err := l.StaffList()
		if err != nil {
			return err
		}
		for _, s := range staff {
			records = append(records, []string{s.Badge, s.Name, string(s.Role), s.Language, "", strconv.FormatBool(s.Disabled)})
		}
	case ImportOrders, ImportReceipts, ImportBoxes, ImportWaybills:
		return errf(CodeInvalid, "import.kind_unknown", "kind", string(kind))
	case ImportStock:
		rows, err := l.StockRows()
		if err != nil {
			return err
		}
		for _, r := range rows {
			records = append(records, []string{r.SKU, r.Lot, r.Expiry, r.Location, strconv.FormatInt(r.Qty, 10)})
		}
	}
	if _, err := w.Write([]byte{0xEF, 0xBB, 0xBF}); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(cols); err != nil {
		return err
	}
	for _, rec := range records {
		for i := range rec {
			rec[i] = SpreadsheetSafe(rec[i])
		}
	}
	if err := cw.WriteAll(records); err != nil {
		return err
	}
	return cw.Error()
}
