package server

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"tally/scan"
	"tally/views"
	"tally/wms"
)

// lookup is the answer to "what is here?" (a location) or "where is it?" (an item).
type lookup struct {
	Location *wms.Location
	SKU      *wms.SKU
	Lines    []wms.StockLine
	Total    int64
}

// lookupCode resolves a scanned or typed code: a location, a GTIN or GS1 code
// of an item, or a SKU code typed by hand.
func (s *Server) lookupCode(code string) (lookup, error) {
	r, err := s.scanner.Parse(code)
	if err != nil {
		return lookup{}, scanError(err)
	}
	switch r.Kind {
	case scan.KindLocation:
		return s.lookupLocation(r.Code)
	case scan.KindGTIN, scan.KindGS1:
		if r.GTIN == "" {
			return lookup{}, wms.Errf(wms.CodeInvalid, "stock.code_unknown", "code", code)
		}
		sku, err := s.ledger.SKUByGTIN(r.GTIN)
		if err != nil {
			return lookup{}, err
		}
		return s.lookupSKU(sku.Code)
	case scan.KindUnknown:
		// typed by hand: a SKU code, or a location whose code the patterns miss
		if _, err := s.ledger.SKU(r.Code); err == nil {
			return s.lookupSKU(r.Code)
		}
		if _, err := s.ledger.Location(r.Code); err == nil {
			return s.lookupLocation(r.Code)
		}
		return lookup{}, wms.Errf(wms.CodeNotFound, "stock.code_unknown", "code", r.Code)
	}
	return lookup{}, wms.Errf(wms.CodeInvalid, "stock.code_kind", "code", r.Code, "kind", "scankind."+string(r.Kind))
}

func (s *Server) lookupLocation(code string) (lookup, error) {
	loc, err := s.ledger.Location(code)
	if err != nil {
		return lookup{}, err
	}
	lines, err := s.ledger.StockAt(code)
	return lookup{Location: &loc, Lines: lines, Total: total(lines)}, err
}

func (s *Server) lookupSKU(code string) (lookup, error) {
	sku, err := s.ledger.SKU(code)
	if err != nil {
		return lookup{}, err
	}
	lines, err := s.ledger.StockOf(code)
	return lookup{SKU: &sku, Lines: lines, Total: total(lines)}, err
}

func total(lines []wms.StockLine) int64 {
	var n int64
	for _, l := range lines {
		n += l.Qty
	}
	return n
}

// scanError turns a scan error into a domain error with the scan's message key.
func scanError(err error) error {
	if se, ok := err.(*scan.Error); ok {
		return wms.Errf(wms.CodeInvalid, se.Key)
	}
	return err
}

// expiryNote warns about lots that are expired or expire within 30 days.
func expiryNote(expiry, today string) *views.Message {
	days, ok := wms.DaysLeft(today, expiry)
	if !ok || days > 30 {
		return nil
	}
	m := views.LotAge(days)
	return &m
}

// stockLookup is the stock page's lookup: like lookupCode, but with owners.
// With an owner chosen (the page's filter) an item is that owner's and a
// location shows only its stock; with none, an item code or barcode two
// owners share is refused naming both, asking for the owner — never taken
// as the default owner's.
func (s *Server) stockLookup(c *fiber.Ctx, code, owner string) (lookup, error) {
	r, err := s.scanner.Parse(code)
	if err != nil {
		return lookup{}, scanError(err)
	}
	var res lookup
	switch {
	case r.Kind == scan.KindGTIN || r.Kind == scan.KindGS1:
		if r.GTIN == "" {
			return lookup{}, wms.Errf(wms.CodeInvalid, "stock.code_unknown", "code", code)
		}
		var sku wms.SKU
		if owner != "" {
			sku, err = s.ledger.Books(owner).SKUByGTIN(r.GTIN)
		} else {
			sku, err = s.ledger.SKUByGTIN(r.GTIN)
		}
		if e, ok := wms.AsError(err); ok && e.Key == "sku.gtin_ambiguous" {
			owners := strings.Split(e.Args["owners"], ", ")
			return lookup{}, wms.Errf(wms.CodeConflict, "stock.ambiguous", "code", r.GTIN, "owners", s.ownerList(c, owners))
		}
		if err != nil {
			return lookup{}, err
		}
		res, err = s.ownedSKU(sku.Owner, sku.Code)
	case r.Kind == scan.KindUnknown:
		// typed by hand: an item code (of the chosen owner, or of the only
		// owner that has it), else a location whose code the patterns miss
		owners := []string{owner}
		if owner == "" {
			if owners, err = s.ledger.SKUOwners(r.Code); err != nil {
				return lookup{}, err
			}
		}
		switch {
		case len(owners) > 1:
			return lookup{}, wms.Errf(wms.CodeConflict, "stock.ambiguous", "code", r.Code, "owners", s.ownerList(c, owners))
		case len(owners) == 1:
			if _, e := s.ledger.Books(owners[0]).SKU(r.Code); e == nil {
				res, err = s.ownedSKU(owners[0], r.Code)
				break
			}
			fallthrough
		default:
			if _, e := s.ledger.Location(r.Code); e != nil {
				return lookup{}, wms.Errf(wms.CodeNotFound, "stock.code_unknown", "code", r.Code)
			}
			res, err = s.lookupLocation(r.Code)
		}
	case r.Kind == scan.KindLocation:
		res, err = s.lookupLocation(r.Code)
	default:
		return lookup{}, wms.Errf(wms.CodeInvalid, "stock.code_kind", "code", r.Code, "kind", "scankind."+string(r.Kind))
	}
	if err != nil || owner == "" || res.Location == nil {
		return res, err
	}
	// a location: only the chosen owner's stock there
	res.Lines = ownerLines(res.Lines, owner)
	res.Total = total(res.Lines)
	return res, nil
}

// ownedSKU is one owner's item and where its stock is.
func (s *Server) ownedSKU(owner, code string) (lookup, error) {
	books := s.ledger.Books(owner)
	sku, err := books.SKU(code)
	if err != nil {
		return lookup{}, err
	}
	lines, err := books.StockOf(code)
	return lookup{SKU: &sku, Lines: lines, Total: total(lines)}, err
}

// ownerLines are the lines of one owner's stock.
func ownerLines(lines []wms.StockLine, owner string) []wms.StockLine {
	out := []wms.StockLine{}
	for _, l := range lines {
		if l.Owner == owner {
			out = append(out, l)
		}
	}
	return out
}

func (s *Server) stockPage(c *fiber.Ctx) error {
	code := c.Query("code")
	vm := views.StockPage{Page: s.page(c, "stock.title"), Code: code}
	var err error
	if vm.Owners, err = s.ownerFilter(c); err != nil {
		e := s.asDomain(c, err)
		vm.Feedback = errorFeedback(e)
		return s.render(c, status(e.Code), views.Stock(vm))
	}
	if code == "" {
		return s.render(c, fiber.StatusOK, views.Stock(vm))
	}
	res, err := s.stockLookup(c, code, vm.Owners.Chosen)
	if err != nil {
		e := s.asDomain(c, err)
		vm.Feedback = errorFeedback(e)
		return s.render(c, status(e.Code), views.Stock(vm))
	}
	kind := func(k wms.LocationKind) string { return views.Translate(lang(c), "kind."+string(k), nil) }
	if res.Location != nil {
		vm.Feedback = okFeedback("stock.at_location", map[string]string{
			"location": res.Location.Code, "zone": res.Location.Zone, "kind": kind(res.Location.Kind)})
		if len(res.Lines) == 0 {
			vm.Empty = &views.Message{Key: "stock.empty_loc", Args: map[string]string{"location": res.Location.Code}}
		}
	} else {
		vm.ByItem = true
		vm.Feedback = okFeedback("stock.of_sku", map[string]string{"sku": res.SKU.Code, "name": res.SKU.Name})
		if len(res.Lines) == 0 {
			vm.Empty = &views.Message{Key: "stock.none_of_sku", Args: map[string]string{"sku": res.SKU.Code}}
		}
	}
	today := s.ledger.Today()
	for _, l := range res.Lines {
		row := views.StockRow{Owner: wms.OwnerOr(l.Owner), SKU: l.SKU, Name: l.Name, Lot: l.Lot, Expiry: l.Expiry, Location: l.Location,
			Qty: l.Qty, ExpiryNote: expiryNote(l.Expiry, today)}
		if l.Status != wms.LotAvailable && l.Status != "" {
			row.Status = "status." + string(l.Status)
		}
		vm.Rows = append(vm.Rows, row)
	}
	vm.Total = res.Total
	return s.render(c, fiber.StatusOK, views.Stock(vm))
}

// apiStock answers GET /api/v1/stock?sku=… or ?location=…. The sku may be a
// SKU code or anything scanned off the item (GTIN, GS1 code).
func (s *Server) apiStock(c *fiber.Ctx) error {
	sku, loc := c.Query("sku"), c.Query("location")
	owner, err := s.ownerQuery(c)
	if err != nil {
		return err
	}
	var res lookup
	switch {
	case owner != "" && sku != "" && loc == "": // one owner's item code
		res, err = s.ownedSKU(owner, sku)
	case loc != "" && sku == "":
		res, err = s.lookupLocation(loc)
	case sku != "" && loc == "":
		if _, e := s.ledger.SKU(sku); e == nil {
			res, err = s.lookupSKU(sku)
		} else {
			res, err = s.lookupCode(sku)
			if err == nil && res.SKU == nil {
				err = wms.Errf(wms.CodeNotFound, "sku.not_found", "sku", sku)
			}
		}
	default:
		err = wms.Errf(wms.CodeInvalid, "stock.query_needed")
	}
	if err != nil {
		return err
	}
	if owner != "" { // one owner's lines, and their total
		res.Lines = ownerLines(res.Lines, owner)
		res.Total = total(res.Lines)
	}
	return c.JSON(newStockOut(res))
}

// apiScan says what a code means: GET /api/v1/scan?code=….
func (s *Server) apiScan(c *fiber.Ctx) error {
	r, err := s.scanner.Parse(c.Query("code"))
	if err != nil {
		return scanError(err)
	}
	return c.JSON(newScanOut(r))
}
