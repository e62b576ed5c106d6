package wms

import (
	"context"
	"slices"
	"strconv"
	"strings"
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

// Columns are each kind's CSV header, in export order. Imports accept any order.
var Columns = map[ImportKind][]string{
	ImportSKUs: {"owner", "code", "name", "gtins", "unit_weight_g", "length_mm", "width_mm", "height_mm",
		"shelf_life_days", "lot_tracked", "serial_tracked", "min_outbound_life_pct", "zone", "receive_min_life_pct",
		"short_life_action", "near_expiry_days"},
	ImportLocations: {"code", "zone", "pick_seq", "kind"},
	ImportStaff:     {"badge", "name", "role", "language", "pin", "disabled"},
	ImportStock:     {"owner", "sku", "lot", "expiry", "location", "qty"},
	ImportOrders: {"owner", "no", "channel", "shop", "name", "phone", "address", "sku", "qty", "priority", "carrier",
		"ship_by", "notes"},
	ImportReceipts: {"owner", "receipt", "supplier", "sku", "qty"},
	ImportBoxes:    {"code", "name", "length_mm", "width_mm", "height_mm", "tare_g"},
	ImportWaybills: {"owner", "account", "waybill"},
}

// The owner column is optional wherever it is a column: empty (or absent)
// means the default owner. rowOwner reads it and refuses an owner the
// warehouse does not work for, so a file with one is refused whole.
func rowOwner(tx *txn, r csvRow, bad *[]RowError) (string, bool) {
	owner := ownerOr(r.get("owner"))
	if err := knownOwner(tx, owner); err != nil {
		*bad = append(*bad, rowErr(r.line, err))
		return owner, false
	}
	return owner, true
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

func rowErr(line int, e error) RowError {
	if de, ok := AsError(e); ok {
		return RowError{Line: line, Key: de.Key, Args: de.Args}
	}
	return RowError{Line: line, Key: "csv.row_invalid", Args: map[string]string{"detail": e.Error()}}
}

func rowErrf(line int, key string, args ...string) RowError {
	return rowErr(line, Errf(CodeInvalid, key, args...))
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
	err = l.view(func(tx *txn) error {
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
		return res, Errf(CodeInvalid, "import.rows_invalid", "count", strconv.Itoa(len(bad)))
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
