package wms

import (
	"encoding/json"
	"slices"
	"strings"
)

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// SKU returns one of the default owner's SKUs by code.
func (l *Ledger) SKU(code string) (SKU, error) { return l.Books(DefaultOwner).SKU(code) }

// SKU returns one of the owner's SKUs by code.
func (b Books) SKU(code string) (SKU, error) {
	var s SKU
	err := b.l.view(func(tx *txn) (err error) {
		s, err = skuTx(tx, b.owner, code)
		return err
	})
	return s, err
}

// SKUByGTIN returns the SKU that carries a 14-digit GTIN when nothing is in
// hand to say whose (a move, a count, a stock lookup): a GTIN that two owners
// share is refused (sku.gtin_ambiguous, naming both). The SKU names its owner.
func (l *Ledger) SKUByGTIN(gtin string) (SKU, error) {
	var s SKU
	err := l.view(func(tx *txn) error {
		var err error
		s, err = resolveGTIN(tx, gtin, "")
		return err
	})
	return s, err
}

// SKUByGTIN returns the owner's SKU that carries a GTIN: the owner of the
// order, task line, receipt or return in hand.
func (b Books) SKUByGTIN(gtin string) (SKU, error) {
	var s SKU
	err := b.l.view(func(tx *txn) error {
		var err error
		s, err = resolveGTIN(tx, gtin, b.owner)
		return err
	})
	return s, err
}

// SKUs returns every SKU ordered by owner and code.
func (l *Ledger) SKUs() ([]SKU, error) { return listAll[SKU](l, bucketSKUs) }

// SKUs returns the owner's SKUs ordered by code.
func (b Books) SKUs() ([]SKU, error) { return listOwned[SKU](b, bucketSKUs) }

// Locations returns every location ordered by code.
func (l *Ledger) Locations() ([]Location, error) { return listAll[Location](l, bucketLocations) }

// Lots returns every lot ordered by owner, SKU and lot code.
func (l *Ledger) Lots() ([]Lot, error) { return listAll[Lot](l, bucketLots) }

// listOwned lists the records of a bucket keyed by owner first, for one owner.
func listOwned[T any](b Books, bucket []byte) ([]T, error) {
	var out []T
	err := b.l.view(func(tx *txn) error {
		c := tx.Bucket(bucket).Cursor()
		p := prefixKey(b.owner)
		for k, v := c.Seek(p); k != nil && strings.HasPrefix(string(k), string(p)); k, v = c.Next() {
			var x T
			if err := json.Unmarshal(v, &x); err != nil {
				return err
			}
			out = append(out, x)
		}
		return nil
	})
	return out, err
}

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
	Owner    string       `json:"owner"`
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
		for k, _ := c.Seek(p); k != nil && strings.HasPrefix(string(k), string(p)); k, _ = c.Next() {
			parts := splitKey(k)
			line, err := stockLine(tx, parts[1], parts[2], parts[3], location, byLocQty(tx, parts))
			if err != nil {
				return err
			}
			out = append(out, line)
		}
		return nil
	})
	slices.SortStableFunc(out, func(a, b StockLine) int {
		if c := strings.Compare(a.Owner, b.Owner); c != 0 {
			return c
		}
		if c := strings.Compare(a.SKU, b.SKU); c != 0 {
			return c
		}
		return compareFEFO(a, b)
	})
	return out, err
}

// StockOf lists where one of the default owner's SKUs is, in FEFO order.
func (l *Ledger) StockOf(sku string) ([]StockLine, error) { return l.Books(DefaultOwner).StockOf(sku) }

// StockOf lists where one of the owner's SKUs is, in FEFO order: earliest
// expiry first, lots without expiry last, then by the location's pick sequence.
func (b Books) StockOf(sku string) (out []StockLine, err error) {
	err = b.l.view(func(tx *txn) error {
		out, err = stockOf(tx, b.owner, sku)
		return err
	})
	return out, err
}

func stockOf(tx *txn, owner, sku string) ([]StockLine, error) {
	if tx.Bucket(bucketSKUs).Get(skuKey(owner, sku)) == nil {
		return nil, Errf(CodeNotFound, "sku.not_found", "sku", sku, "owner", owner)
	}
	var out []StockLine
	c := tx.Bucket(bucketStock).Cursor()
	p := prefixKey(owner, sku)
	for k, v := c.Seek(p); k != nil && strings.HasPrefix(string(k), string(p)); k, v = c.Next() {
		parts := splitKey(k)
		location, err := mustGet[Location](tx, bucketLocations, []byte(parts[3]), "location.not_found", "location", parts[3])
		if err != nil {
			return nil, err
		}
		line, err := stockLine(tx, owner, sku, parts[2], location, qtyFromValue(v))
		if err != nil {
			return nil, err
		}
		out = append(out, line)
	}
	slices.SortStableFunc(out, compareFEFO)
	return out, nil
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

func stockLine(tx *txn, owner, skuCode, lotCode string, loc Location, qty int64) (StockLine, error) {
	sku, err := mustGet[SKU](tx, bucketSKUs, skuKey(owner, skuCode), "sku.not_found", "sku", skuCode, "owner", owner)
	if err != nil {
		return StockLine{}, err
	}
	var lot Lot
	if err := readLotInto(tx, &lot, owner, skuCode, lotCode); err != nil {
		return StockLine{}, err
	}
	return StockLine{
		Owner: owner, SKU: skuCode, Name: sku.Name, Lot: lotCode, Expiry: lot.Expiry, Status: lot.Status,
		Location: loc.Code, Zone: loc.Zone, Kind: loc.Kind, PickSeq: loc.PickSeq, Qty: qty,
	}, nil
}

// StockRows returns stock as rows, ordered by owner, SKU, lot and location
// (for export and the stock list); owner "" is every owner's. A row's Owner
// is empty for the default owner, as a file's rows are.
func (l *Ledger) StockRows(owner string) ([]StockRow, error) {
	var out []StockRow
	err := l.view(func(tx *txn) error {
		c := tx.Bucket(bucketStock).Cursor()
		var p []byte
		if owner != "" {
			p = prefixKey(owner)
		}
		k, v := c.First()
		if p != nil {
			k, v = c.Seek(p)
		}
		for ; k != nil && strings.HasPrefix(string(k), string(p)); k, v = c.Next() {
			parts := splitKey(k)
			var lot Lot
			if err := readLotInto(tx, &lot, parts[0], parts[1], parts[2]); err != nil {
				return err
			}
			out = append(out, StockRow{Owner: envelopeOwner(parts[0]), SKU: parts[1], Lot: parts[2], Expiry: lot.Expiry, Location: parts[3], Qty: qtyFromValue(v)})
		}
		return nil
	})
	return out, err
}

// Lot returns one of the owner's lots of a SKU; ok is false for a lot the
// books do not know.
func (b Books) Lot(sku, code string) (lot Lot, ok bool, err error) {
	err = b.l.view(func(tx *txn) error {
		lot, ok, err = getLot(tx, b.owner, sku, code) // live or archived (lotleave.go)
		return err
	})
	return lot, ok, err
}
