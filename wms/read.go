package wms

import (
	"encoding/json"
	"slices"
	"strings"
)

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// SKU returns one SKU by code.
func (l *Ledger) SKU(code string) (SKU, error) {
	var s SKU
	err := l.view(func(tx *txn) (err error) {
		s, err = mustGet[SKU](tx, bucketSKUs, []byte(code), "sku.not_found", "sku", code)
		return err
	})
	return s, err
}

// SKUByGTIN returns the SKU that carries a 14-digit GTIN.
func (l *Ledger) SKUByGTIN(gtin string) (SKU, error) {
	var s SKU
	err := l.view(func(tx *txn) error {
		code := tx.Bucket(bucketGTINs).Get([]byte(gtin))
		if code == nil {
			return Errf(CodeNotFound, "sku.gtin_unknown", "gtin", gtin)
		}
		var err error
		s, err = mustGet[SKU](tx, bucketSKUs, code, "sku.not_found", "sku", string(code))
		return err
	})
	return s, err
}

// SKUs returns every SKU ordered by code.
func (l *Ledger) SKUs() ([]SKU, error) { return listAll[SKU](l, bucketSKUs) }

// Locations returns every location ordered by code.
func (l *Ledger) Locations() ([]Location, error) { return listAll[Location](l, bucketLocations) }

// Lots returns every lot ordered by SKU and lot code.
func (l *Ledger) Lots() ([]Lot, error) { return listAll[Lot](l, bucketLots) }

func listAll[T any](l *Ledger, bucket []byte) ([]T, error) {
	var out []T
	err := l.view(func(tx *txn) error {
		return tx.Bucket(bucket).ForEach(func(_, v []byte) error {
			var x T
			if err := json.Unmarshal(v, &x); err != nil {
				return err
			}
			out = append(out, x)
			return nil
		})
	})
	return out, err
}

// Location returns one location by code.
func (l *Ledger) Location(code string) (Location, error) {
	var loc Location
	err := l.view(func(tx *txn) (err error) {
		loc, err = mustGet[Location](tx, bucketLocations, []byte(code), "location.not_found", "location", code)
		return err
	})
	return loc, err
}

// StockLine is a quantity of one lot of one SKU at one location, with what a
// screen needs to show it.
type StockLine struct {
	SKU      string       `json:"sku"`
	Name     string       `json:"name"`
	Lot      string       `json:"lot,omitempty"`
	Expiry   string       `json:"expiry,omitempty"`
	Status   LotStatus    `json:"status"`
	Location string       `json:"location"`
	Zone     string       `json:"zone"`
	Kind     LocationKind `json:"kind"`
	PickSeq  int          `json:"pick_seq"`
	Qty      int64        `json:"qty"`
}

// StockAt lists what a location holds, ordered by SKU then FEFO.
func (l *Ledger) StockAt(loc string) ([]StockLine, error) {
	var out []StockLine
	err := l.view(func(tx *txn) error {
		location, err := mustGet[Location](tx, bucketLocations, []byte(loc), "location.not_found", "location", loc)
		if err != nil {
			return err
		}
		c := tx.Bucket(bucketStockByLoc).Cursor()
		p := prefixKey(loc)
		for k, v := c.Seek(p); k != nil && strings.HasPrefix(string(k), string(p)); k, v = c.Next() {
			parts := splitKey(k)
			line, err := stockLine(tx, parts[1], parts[2], location, qtyFromValue(v))
			if err != nil {
				return err
			}
			out = append(out, line)
		}
		return nil
	})
	slices.SortStableFunc(out, func(a, b StockLine) int {
		if c := strings.Compare(a.SKU, b.SKU); c != 0 {
			return c
		}
		return compareFEFO(a, b)
	})
	return out, err
}

// StockOf lists where a SKU is, in FEFO order: earliest expiry first, lots
// without expiry last, then by the location's pick sequence.
func (l *Ledger) StockOf(sku string) ([]StockLine, error) {
	var out []StockLine
	err := l.view(func(tx *txn) error {
		if tx.Bucket(bucketSKUs).Get([]byte(sku)) == nil {
			return Errf(CodeNotFound, "sku.not_found", "sku", sku)
		}
		c := tx.Bucket(bucketStock).Cursor()
		p := prefixKey(sku)
		for k, v := c.Seek(p); k != nil && strings.HasPrefix(string(k), string(p)); k, v = c.Next() {
			parts := splitKey(k)
			location, err := mustGet[Location](tx, bucketLocations, []byte(parts[2]), "location.not_found", "location", parts[2])
			if err != nil {
				return err
			}
			line, err := stockLine(tx, sku, parts[1], location, qtyFromValue(v))
			if err != nil {
				return err
			}
			out = append(out, line)
		}
		return nil
	})
	slices.SortStableFunc(out, compareFEFO)
	return out, err
}

func compareFEFO(a, b StockLine) int {
	switch {
	case a.Expiry != b.Expiry && a.Expiry == "":
		return 1
	case a.Expiry != b.Expiry && b.Expiry == "":
		return -1
	}
	if c := strings.Compare(a.Expiry, b.Expiry); c != 0 {
		return c
	}
	if a.PickSeq != b.PickSeq {
		return a.PickSeq - b.PickSeq
	}
	if c := strings.Compare(a.Location, b.Location); c != 0 {
		return c
	}
	return strings.Compare(a.Lot, b.Lot)
}

func stockLine(tx *txn, skuCode, lotCode string, loc Location, qty int64) (StockLine, error) {
	sku, err := mustGet[SKU](tx, bucketSKUs, []byte(skuCode), "sku.not_found", "sku", skuCode)
	if err != nil {
		return StockLine{}, err
	}
	var lot Lot
	if _, err := getJSON(tx.Bucket(bucketLots), lotKey(skuCode, lotCode), &lot); err != nil {
		return StockLine{}, err
	}
	return StockLine{
		SKU: skuCode, Name: sku.Name, Lot: lotCode, Expiry: lot.Expiry, Status: lot.Status,
		Location: loc.Code, Zone: loc.Zone, Kind: loc.Kind, PickSeq: loc.PickSeq, Qty: qty,
	}, nil
}

// StockRows returns all stock as rows, ordered by SKU, lot and location (for export).
func (l *Ledger) StockRows() ([]StockRow, error) {
	var out []StockRow
	err := l.view(func(tx *txn) error {
		lots := tx.Bucket(bucketLots)
		return tx.Bucket(bucketStock).ForEach(func(k, v []byte) error {
			parts := splitKey(k)
			var lot Lot
			if _, err := getJSON(lots, lotKey(parts[0], parts[1]), &lot); err != nil {
				return err
			}
			out = append(out, StockRow{SKU: parts[0], Lot: parts[1], Expiry: lot.Expiry, Location: parts[2], Qty: qtyFromValue(v)})
			return nil
		})
	})
	return out, err
}
