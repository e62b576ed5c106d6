package wms

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"iter"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// MaxImportBytes bounds one CSV file.
const MaxImportBytes = 64 << 20

// DecodeText turns a file saved by Excel or any editor into UTF-8: UTF-8 with
// or without a byte-order mark, or GBK/GB18030 as saved on Chinese Windows.
func DecodeText(raw []byte) (string, error) {
	switch {
	case bytes.HasPrefix(raw, []byte{0xEF, 0xBB, 0xBF}):
		raw = raw[3:]
		if !utf8.Valid(raw) {
			return "", Errf(CodeInvalid, "csv.encoding")
		}
		return string(raw), nil
	case bytes.HasPrefix(raw, []byte{0xFF, 0xFE}), bytes.HasPrefix(raw, []byte{0xFE, 0xFF}):
		return "", Errf(CodeInvalid, "csv.utf16")
	case utf8.Valid(raw):
		return string(raw), nil
	}
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(raw)
	if err != nil || bytes.ContainsRune(out, utf8.RuneError) || bytes.IndexByte(out, 0) >= 0 {
		return "", Errf(CodeInvalid, "csv.encoding")
	}
	return string(out), nil
}

// csvRow is one data row: its line number and its fields, found by column
// name through the file's header. A row lives only while it is read: the
// checks keep the values they need, never the row.
type csvRow struct {
	line  int
	rec   []string
	index map[string]int
}

func (r csvRow) get(col string) string {
	i, ok := r.index[col]
	if !ok {
		return ""
	}
	return strings.TrimSpace(fromSpreadsheet(r.rec[i]))
}

// csvFile is a CSV file whose header is known to fit its kind; its rows are
// read once, one at a time, by rows.
type csvFile struct {
	r      *csv.Reader
	header int
	index  map[string]int
	read   int // rows handed out, blank ones left aside
}

// readCSV decodes a file and checks its header against the kind.
func readCSV(kind ImportKind, raw []byte) (*csvFile, error) {
	cols, ok := Columns[kind]
	if !ok {
		return nil, Errf(CodeInvalid, "import.kind_unknown", "kind", string(kind))
	}
	if len(raw) > MaxImportBytes {
		return nil, Errf(CodeInvalid, "csv.too_large")
	}
	var src io.Reader
	if body := bytes.TrimPrefix(raw, []byte{0xEF, 0xBB, 0xBF}); utf8.Valid(body) && !bytes.HasPrefix(raw, []byte{0xFF, 0xFE}) && !bytes.HasPrefix(raw, []byte{0xFE, 0xFF}) {
		src = bytes.NewReader(body) // UTF-8 is read where it lies: a 64 MB file is not copied
	} else {
		text, err := DecodeText(raw)
		if err != nil {
			return nil, err
		}
		src = strings.NewReader(text)
	}
	r := csv.NewReader(src)
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	r.ReuseRecord = true
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, Errf(CodeInvalid, "csv.empty")
	}
	if err != nil {
		return nil, Errf(CodeInvalid, "csv.syntax", "line", "1", "detail", err.Error())
	}
	index := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if !slices.Contains(cols, h) {
			return nil, Errf(CodeInvalid, "csv.column_unknown", "column", h, "columns", strings.Join(cols, ","))
		}
		if _, dup := index[h]; dup {
			return nil, Errf(CodeInvalid, "csv.column_twice", "column", h)
		}
		index[h] = i
	}
	for _, c := range requiredColumns[kind] {
		if _, ok := index[c]; !ok {
			return nil, Errf(CodeInvalid, "csv.column_missing", "column", c)
		}
	}
	return &csvFile{r: r, header: len(header), index: index}, nil
}

// rows hands out the file's data rows in order; a row the reader cannot
// split goes to bad instead, in its place, so bad stays in line order.
func (f *csvFile) rows(bad *rowErrors) iter.Seq[csvRow] {
	return func(yield func(csvRow) bool) {
		for {
			rec, err := f.r.Read()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				line := 0
				var pe *csv.ParseError
				if errors.As(err, &pe) {
					line = pe.StartLine
				}
				bad.add(RowError{Line: line, Key: "csv.syntax", Args: map[string]string{"detail": err.Error()}})
				if pe == nil || errors.Is(pe.Err, csv.ErrQuote) || errors.Is(pe.Err, csv.ErrBareQuote) {
					return // the reader cannot find the next row after a broken quote
				}
				continue
			}
			if blank(rec) {
				continue
			}
			line, _ := f.r.FieldPos(0)
			if len(rec) != f.header {
				bad.add(RowError{Line: line, Key: "csv.field_count", Args: map[string]string{
					"want": strconv.Itoa(f.header), "got": strconv.Itoa(len(rec))}})
				continue
			}
			f.read++
			if !yield(csvRow{line: line, rec: rec, index: f.index}) {
				return
			}
		}
	}
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
