package wms

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"slices"
	"strconv"
	"strings"

	"tally/scan"
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
	ImportLocations: {"code", "zone", "pick_seq", "kind", "height", "x_m", "y_m"},
	ImportStaff:     {"badge", "name", "role", "language", "pin", "disabled", "temporary"},
	ImportStock:     {"owner", "sku", "lot", "expiry", "location", "qty"},
	ImportOrders: {"owner", "no", "channel", "platform", "shop", "platform_order_id", "platform_sub_order_id",
		"name", "phone", "address", "sku", "qty", "priority", "carrier", "ship_by", "notes"},
	ImportReceipts: {"owner", "receipt", "supplier", "sku", "qty"},
	ImportBoxes:    {"code", "name", "length_mm", "width_mm", "height_mm", "tare_g"},
	ImportWaybills: {"owner", "account", "waybill"},
}

// The owner column is optional wherever it is a column: empty (or absent)
// means the default owner. rowOwner reads it and refuses an owner the
// warehouse does not work for, so a file with one is refused whole.
func rowOwner(tx *txn, r csvRow) (string, *RowError) {
	owner := OwnerOr(r.get("owner"))
	if err := knownOwner(tx, owner); err != nil {
		e := rowErr(r.line, err)
		return owner, &e
	}
	return owner, nil
}

// MaxReportedRows is how many bad rows an import names; the rest are counted.
const MaxReportedRows = 100

// rowErrors gathers the bad rows of one file as it is read, in line order:
// the first MaxReportedRows errors and a count of every bad row. A file of a
// million bad rows costs a short report, not a million messages.
type rowErrors struct {
	first    []RowError
	rows     int // bad rows (lines), however many errors each has
	unlisted int // errors past the first MaxReportedRows
	last     int // line of the last error, to count each row once
}

func (b *rowErrors) add(es ...RowError) {
	for _, e := range es {
		if b.rows == 0 || e.Line != b.last {
			b.rows++
			b.last = e.Line
		}
		if len(b.first) < MaxReportedRows {
			b.first = append(b.first, e)
		} else {
			b.unlisted++
		}
	}
}

// RowReport is what the bad rows of a refused file come to.
type RowReport struct {
	Errors   []RowError // the first MaxReportedRows errors, in line order
	BadRows  int        // every bad row
	Unlisted int        // errors not in Errors
}

func (b *rowErrors) report() RowReport {
	slices.SortStableFunc(b.first, func(x, y RowError) int { return x.Line - y.Line })
	return RowReport{Errors: b.first, BadRows: b.rows, Unlisted: b.unlisted}
}

// any tells whether the file will be refused: from then on the checks keep
// reading for errors but stop keeping what they would have loaded, and
// stop remembering keys to find repeats (a row is still compared with the
// keys of the rows before the first bad one). So a refused file costs memory
// for its good beginning only; the count of bad rows leaves out a row whose
// only fault is to repeat another row after the first bad one.
func (b *rowErrors) any() bool { return b.rows > 0 }

// required columns; the rest default to empty or zero.
var requiredColumns = map[ImportKind][]string{
	ImportSKUs:      {"code", "name"},
	ImportLocations: {"code", "kind"},
	ImportStaff:     {"badge", "name", "role"},
	ImportStock:     {"sku", "location", "qty"},
	ImportOrders:    {"no", "name", "phone", "address", "sku", "qty"}, // and a channel or a platform
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
	Kind   ImportKind `json:"kind"`
	Rows   int        `json:"rows"`
	Errors []RowError `json:"errors,omitempty"` // the first MaxReportedRows
	// BadRows counts every bad row of a refused file, listed in Errors or
	// not; Unlisted counts the errors past those in Errors.
	BadRows   int    `json:"bad_rows,omitempty"`
	Unlisted  int    `json:"unlisted,omitempty"`
	Duplicate bool   `json:"duplicate,omitempty"`
	Seq       uint64 `json:"seq,omitempty"`
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

// parseMetres reads an optional number of metres (nil when empty).
func parseMetres(line int, col, s string, bad *[]RowError) *float64 {
	if s == "" {
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		*bad = append(*bad, rowErrf(line, "csv.not_number", "column", col, "value", s))
		return nil
	}
	return &v
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
// 2027/3/31, 2027.3.31, 20270331) and returns "YYYY-MM-DD". It is
// scan.ParseTypedDate, the one parser of typed dates, in the ledger's words.
func NormalizeDay(s string) (string, error) { return TypedDay(s, 0) }

// TypedDay parses a date a person typed (scan.ParseTypedDate; with a
// currentYear, the GS1 form 270331 printed on packs too) as "YYYY-MM-DD".
func TypedDay(s string, currentYear int) (string, error) {
	d, err := scan.ParseTypedDate(s, currentYear)
	if err != nil {
		return "", Errf(CodeInvalid, "date.invalid", "value", strings.TrimSpace(s))
	}
	return d.String(), nil
}

// PrepareImport reads a CSV file and checks every row against the file itself
// and the current state. It returns the import to append, or the file's bad
// rows: the first MaxReportedRows and how many there are in all. It reads the
// file one row at a time and keeps nothing of a file it will refuse beyond
// what finds duplicates, so memory follows the file's size, not its errors.
// Staff PINs are hashed here, outside any transaction.
func (l *Ledger) PrepareImport(kind ImportKind, file string, raw []byte) (Import, RowReport, error) {
	f, err := readCSV(kind, raw)
	if err != nil {
		return Import{}, RowReport{}, err
	}
	bad := &rowErrors{}
	rows := f.rows(bad)
	im := Import{Kind: kind, File: file}
	err = l.view(func(tx *txn) error {
		switch kind {
		case ImportSKUs:
			im.SKUs = prepareSKUs(tx, rows, bad)
		case ImportLocations:
			im.Locations = prepareLocations(rows, bad)
		case ImportStaff:
			im.Staff = prepareStaff(tx, rows, bad)
		case ImportStock:
			im.Stock = prepareStock(tx, rows, bad)
		case ImportOrders:
			im.Orders = prepareOrders(tx, rows, bad, l.zone)
		case ImportReceipts:
			im.Receipts = prepareReceipts(tx, rows, bad)
		case ImportBoxes:
			im.Boxes = prepareBoxes(rows, bad)
		case ImportWaybills:
			im.Waybills = prepareWaybills(tx, rows, bad)
		}
		return nil
	})
	if err != nil {
		return Import{}, RowReport{}, err
	}
	if bad.any() {
		return Import{}, bad.report(), nil
	}
	if f.read == 0 {
		return Import{}, RowReport{}, Errf(CodeInvalid, "csv.no_rows")
	}
	// PINs are hashed only once the whole file is known to be good.
	for i := range im.Staff {
		if pin := im.Staff[i].PINHash; pin != "" {
			if im.Staff[i].PINHash, err = HashPIN(pin); err != nil {
				return Import{}, RowReport{}, err
			}
		}
	}
	return im, RowReport{}, nil
}

// Import reads, checks and applies a CSV file as one event: all rows or none.
// eventID makes a retried upload apply once: a retry gets the first upload's
// answer (Duplicate set), even when the file could not be loaded again
// (waybill numbers or receipts already there); the same ID with another file
// or kind is refused. The file's name is not part of the request.
func (l *Ledger) Import(ctx context.Context, eventID string, kind ImportKind, file string, raw []byte, actor, device string) (ImportResult, error) {
	sum := sha256.Sum256(raw)
	k := keyed{id: eventID, typ: EvImported, target: string(kind), actor: actor, request: hex.EncodeToString(sum[:])}
	var bad RowReport
	ctx, replayed := withOwnNote(ctx)
	res, err := runKeyed(ctx, l, k, func() (Event, error) {
		im, report, err := l.PrepareImport(kind, file, raw)
		if err != nil {
			return Event{}, err
		}
		if bad = report; bad.BadRows > 0 {
			return Event{}, Errf(CodeInvalid, "import.rows_invalid", "count", strconv.Itoa(bad.BadRows))
		}
		ev, err := NewEvent(eventID, EvImported, actor, device, im)
		if kind == ImportOrders {
			ev.decoded = im // a file of 100,000 orders is applied as read, not decoded again (orders_batch.go)
			// validated by prepareOrders: hashed here, on every core (order_intake_fast.go)
			ev.digests = orderDigests(im.Orders)
		}
		return ev, err
	}, importAnswer)
	if err != nil {
		return ImportResult{Kind: kind, Errors: bad.Errors, BadRows: bad.BadRows, Unlisted: bad.Unlisted}, err
	}
	res.Duplicate = replayed()
	return res, nil
}

// importAnswer is what an applied import says: its kind, rows and sequence.
func importAnswer(tx *txn, ev *Event) (ImportResult, error) {
	var im Import
	if err := decode(ev, &im); err != nil {
		return ImportResult{}, err
	}
	res := ImportResult{Kind: im.Kind, Seq: ev.Seq}
	res.Rows = len(im.SKUs) + len(im.Locations) + len(im.Staff) + len(im.Stock) + len(im.Orders) + len(im.Receipts) + len(im.Boxes)
	for _, w := range im.Waybills {
		res.Rows += len(w.Numbers)
	}
	return res, nil
}
