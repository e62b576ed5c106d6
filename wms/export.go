package wms

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
)

// ExportKinds are the kinds Export writes (orders leave through the API).
var ExportKinds = []ImportKind{ImportSKUs, ImportLocations, ImportStaff, ImportStock}

// Export writes one kind of data as CSV: UTF-8 with a byte-order mark, so that
// Excel on Chinese Windows opens it as UTF-8. Staff PINs are never exported.
func (l *Ledger) Export(kind ImportKind, w io.Writer) error {
	cols, ok := Columns[kind]
	if !ok {
		return Errf(CodeInvalid, "import.kind_unknown", "kind", string(kind))
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
			records = append(records, []string{envelopeOwner(s.Owner), s.Code, s.Name, strings.Join(s.GTINs, "|"), itoa(s.UnitWeightG),
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
			records = append(records, []string{x.Code, x.Zone, itoa(x.PickSeq), string(x.Kind), x.Height, metres(x.XM), metres(x.YM)})
		}
	case ImportStaff:
		staff, err := l.StaffList()
		if err != nil {
			return err
		}
		for _, s := range staff {
			records = append(records, []string{s.Badge, s.Name, string(s.Role), s.Language, "", strconv.FormatBool(s.Disabled), strconv.FormatBool(s.Temporary)})
		}
	case ImportOrders, ImportReceipts, ImportBoxes, ImportWaybills:
		return Errf(CodeInvalid, "import.kind_unknown", "kind", string(kind))
	case ImportStock:
		rows, err := l.StockRows("")
		if err != nil {
			return err
		}
		for _, r := range rows {
			records = append(records, []string{r.Owner, r.SKU, r.Lot, r.Expiry, r.Location, strconv.FormatInt(r.Qty, 10)})
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

// metres writes an optional position as the import reads it ("" for none).
func metres(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}
