package server

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"tally/scan"
	"tally/views"
	"tally/wms"
)

// The receiving screen, one scan at a time: choose the receipt, scan an item
// (lot and expiry come from its GS1 code, or are typed as printed on the
// pack), confirm the quantity, then put it away by scanning the suggested
// location. Every step is a page; the pages carry what came before.

func (s *Server) receiveModel(c *fiber.Ctx, owner, receipt string) (views.ReceivePage, error) {
	vm := views.ReceivePage{Page: s.page(c, "receive.title"), Owner: s.ledger.Books(owner).Owner(), Receipt: receipt, Key: uuid.NewString()}
	var err error
	if vm.Owners, err = s.ownerFilter(c); err != nil {
		return vm, err
	}
	open, err := s.ledger.OpenReceipts()
	if err != nil {
		return vm, err
	}
	for _, r := range open {
		if owner := wms.OwnerOr(r.Owner); vm.Owners.Includes(owner) {
			vm.Open = append(vm.Open, views.OpenReceipt{ID: r.ID, Owner: owner, Lines: len(r.Lines)})
		}
	}
	if vm.Receipt != "" {
		// a receipt not known yet is a blind one: its first units make it
		vm.Blind = true
		if r, err := s.ledger.Books(vm.Owner).Receipt(vm.Receipt); err == nil {
			vm.Supplier, vm.Blind, vm.Closed = r.Supplier, r.Blind, r.State == "closed"
			for _, l := range r.Lines {
				vm.Lines = append(vm.Lines, views.ReceiptRow{SKU: l.SKU, Expected: l.Expected, Received: l.Received,
					Quarantined: l.Quarantined, Refused: l.Refused, Variance: l.Variance()})
			}
		}
	}
	return vm, nil
}

// receiveLink is the address of a receipt on the receive screen (with the
// scan of an item when code is given). It names the receipt's owner whenever
// the warehouse works for several: two owners may use one receipt number.
func (s *Server) receiveLink(owner, receipt, code string) (string, error) {
	q := url.Values{"receipt": {receipt}}
	owners, err := s.ledger.Owners()
	if err != nil {
		return "", err
	}
	if len(owners) > 1 || owner != wms.DefaultOwner {
		q.Set("owner", owner)
	}
	if code != "" {
		q.Set("code", code)
	}
	return "/receive?" + q.Encode(), nil
}

// receiptOwner is whose receipt a number on the receive screen is: the owner
// the address names, else the one owner that has a receipt so numbered (the
// default owner when none has: a blind receipt's first units make it). A
// number two owners share is no one's until the receiver chooses: shared
// lists them.
func (s *Server) receiptOwner(id, named string) (owner string, shared []string, err error) {
	if named != "" {
		owner, err = s.ledger.KnownOwner(named)
		return owner, nil, err
	}
	owners, err := s.ledger.ReceiptOwners(id)
	switch {
	case err != nil:
		return "", nil, err
	case len(owners) == 0:
		return wms.DefaultOwner, nil, nil
	case len(owners) == 1:
		return owners[0], nil, nil
	}
	return "", owners, nil
}

// chooseReceipt shows the deliveries with the receipt numbered id that
// several owners have, each a link naming its owner, and asks which it is.
func (s *Server) chooseReceipt(c *fiber.Ctx, vm views.ReceivePage, id string, owners []string) error {
	vm.Receipt, vm.Blind, vm.Closed, vm.Lines = "", false, false, nil
	vm.Choose = nil
	for _, o := range owners {
		r, err := s.ledger.Books(o).Receipt(id)
		if err != nil {
			return err
		}
		vm.Choose = append(vm.Choose, views.OpenReceipt{ID: id, Owner: o, Lines: len(r.Lines), Supplier: r.Supplier})
	}
	e := wms.Errf(wms.CodeConflict, "receive.receipt_ambiguous", "receipt", id, "owners", s.ownerList(c, owners))
	vm.Feedback = errorFeedback(e)
	return s.render(c, status(e.Code), views.Receive(vm))
}

// receivePage shows the receipt and, with ?code=, what the scanned item is.
func (s *Server) receivePage(c *fiber.Ctx) error {
	if c.Query("blind") != "" {
		// a new delivery without notice: a receipt of its own, kept in the
		// address, of the owner the receiver chose (the default owner unless)
		owner, err := s.ledger.KnownOwner(c.Query("owner"))
		if err != nil {
			return err
		}
		id, err := s.ledger.Books(owner).NextBlindReceipt(s.ledger.Today(), principal(c).Actor())
		if err != nil {
			return err
		}
		to, err := s.receiveLink(owner, id, "")
		if err != nil {
			return err
		}
		return c.Redirect(to, fiber.StatusSeeOther)
	}
	receipt := c.Query("receipt")
	owner, shared, err := s.receiptOwner(receipt, c.Query("owner"))
	if receipt == "" {
		owner, shared, err = wms.DefaultOwner, nil, nil
	}
	if err != nil {
		return err
	}
	vm, err := s.receiveModel(c, owner, receipt)
	if err != nil {
		return err
	}
	if len(shared) > 1 {
		return s.chooseReceipt(c, vm, receipt, shared)
	}
	code := strings.TrimSpace(c.Query("code"))
	if code == "" {
		return s.render(c, fiber.StatusOK, views.Receive(vm))
	}
	if vm.Receipt == "" || vm.Closed {
		return s.nextDelivery(c, vm, code)
	}
	item, err := s.receiveItem(c, vm.Owner, code)
	if err != nil {
		e := s.asDomain(c, err)
		vm.Feedback = errorFeedback(e)
		return s.render(c, status(e.Code), views.Receive(vm))
	}
	vm.Item = &item
	vm.Feedback = itemFeedback(item)
	return s.render(c, fiber.StatusOK, views.Receive(vm))
}

// nextDelivery answers a scan where nothing is being received (the list of
// deliveries, a closed receipt's summary). A receipt's number (an ASN) opens
// that receipt (a number two owners share asks whose). An item starts the
// next delivery without notice with the item in hand, of the item's owner,
// unless a delivery that was announced and is still open expects it: that
// receipt is named, for the units to be counted against it.
func (s *Server) nextDelivery(c *fiber.Ctx, vm views.ReceivePage, code string) error {
	ids := []string{code}
	if r, err := s.scanner.Parse(code); err == nil && r.Code != "" {
		ids = append(ids, r.Code)
	}
	for _, id := range ids {
		owners, err := s.ledger.ReceiptOwners(id)
		if err != nil {
			return err
		}
		switch {
		case len(owners) == 1:
			to, err := s.receiveLink(owners[0], id, "")
			if err != nil {
				return err
			}
			return c.Redirect(to, fiber.StatusSeeOther)
		case len(owners) > 1:
			return s.chooseReceipt(c, vm, id, owners)
		}
	}
	item, err := s.receiveItem(c, "", code)
	if e, ok := wms.AsError(err); ok && e.Key == "pick.not_an_item" {
		err = wms.Errf(wms.CodeNotFound, "receive.not_item_or_receipt", "code", code)
	}
	if err == nil {
		err = s.announced(item.Owner, item.SKU)
	}
	if err != nil {
		e := s.asDomain(c, err)
		vm.Feedback = errorFeedback(e)
		return s.render(c, status(e.Code), views.Receive(vm))
	}
	id, err := s.ledger.Books(item.Owner).NextBlindReceipt(s.ledger.Today(), principal(c).Actor())
	if err != nil {
		return err
	}
	to, err := s.receiveLink(item.Owner, id, code)
	if err != nil {
		return err
	}
	return c.Redirect(to, fiber.StatusSeeOther)
}

// announced refuses to start a delivery without notice for an owner's item
// that an open announced receipt of that owner still waits for.
func (s *Server) announced(owner, sku string) error {
	open, err := s.ledger.OpenReceipts()
	if err != nil {
		return err
	}
	for _, r := range open {
		if wms.OwnerOr(r.Owner) != owner {
			continue
		}
		for _, l := range r.Lines {
			if !r.Blind && l.SKU == sku && l.Received < l.Expected {
				return wms.Errf(wms.CodeConflict, "receive.announced", "sku", sku, "receipt", r.ID)
			}
		}
	}
	return nil
}

// itemFeedback names a scanned item; a date on its barcode that is no date
// is said in red, for the receiver to type the one on the pack.
func itemFeedback(item views.ReceiveItem) *views.Feedback {
	if item.BadDate != "" {
		return &views.Feedback{Message: views.Message{Key: "receive.date_unreadable",
			Args: map[string]string{"sku": item.SKU, "name": item.Name, "value": item.BadDate}}}
	}
	return okFeedback("receive.scanned", map[string]string{"sku": item.SKU, "name": item.Name})
}

// receiveItem reads a scanned item for receiving. A date printed on the pack
// that is no calendar date does not hide the item: its expiry is left to be
// typed from the pack.
//
// With an owner (the receipt's) the GTIN is that owner's item, even where
// another owner's item carries it too; a GTIN the owner has no item for is
// refused naming the owner when another owner has one. With none (a scan
// that starts a delivery) it is the one owner's item that carries it, and
// a GTIN two owners share is refused: the receipt or the owner must say.
func (s *Server) receiveItem(c *fiber.Ctx, owner, code string) (views.ReceiveItem, error) {
	r, undated, err := s.scanner.ParseUndated(code)
	if err != nil {
		return views.ReceiveItem{}, scanError(err)
	}
	if r.GTIN == "" {
		return views.ReceiveItem{}, wms.Errf(wms.CodeInvalid, "pick.not_an_item", "code", code)
	}
	var sku wms.SKU
	if owner == "" {
		sku, err = s.ledger.SKUByGTIN(r.GTIN)
		if e, ok := wms.AsError(err); ok && e.Key == "sku.gtin_ambiguous" {
			err = wms.Errf(wms.CodeConflict, "receive.gtin_ambiguous", "gtin", r.GTIN, "owners", s.ownerList(c, sharedBy(e)))
		}
	} else {
		sku, err = s.ledger.Books(owner).SKUByGTIN(r.GTIN)
		if e, ok := wms.AsError(err); ok && e.Key == "sku.gtin_unknown" {
			if _, oerr := s.ledger.SKUByGTIN(r.GTIN); oerr == nil || keyOf(oerr) == "sku.gtin_ambiguous" {
				err = wms.Errf(wms.CodeNotFound, "receive.not_owners_item", "gtin", r.GTIN, "owner", s.ownerList(c, []string{owner}))
			}
		}
	}
	if err != nil {
		return views.ReceiveItem{}, err
	}
	dock, err := s.ledger.AreaOf(wms.KindDock)
	if err != nil {
		return views.ReceiveItem{}, err
	}
	item := views.ReceiveItem{Owner: sku.Owner, SKU: sku.Code, Name: sku.Name, LotTracked: sku.LotTracked, Lot: r.Batch, Qty: 1, Location: dock}
	if r.Count > 0 {
		item.Qty = int64(r.Count)
	}
	switch {
	case r.Expiry != nil:
		item.Expiry = r.Expiry.String()
	case r.BestBefore != nil:
		item.Expiry = r.BestBefore.String()
	}
	for _, ai := range undated {
		if sku.LotTracked && item.Expiry == "" && (ai == "17" || ai == "15") {
			item.BadDate, item.Focus = r.AIs[ai], "expiry"
		}
	}
	if sku.LotTracked && item.Expiry != "" {
		if ok, action := wms.ShelfLifeAtReceipt(sku, item.Expiry, s.ledger.Today()); !ok {
			item.Warning = "receive.warn_" + action
			if action == wms.ShortLifeQuarantine {
				if item.Location, err = s.ledger.AreaOf(wms.KindQuarantine); err != nil {
					return views.ReceiveItem{}, err
				}
			}
		}
	}
	return item, nil
}

// keyOf is a domain error's message key ("" for any other error).
func keyOf(err error) string {
	if e, ok := wms.AsError(err); ok {
		return e.Key
	}
	return ""
}

// sameItem says whether a scan is another unit of the item in hand: the same
// SKU and, where the scan carries them, the same lot and expiry (a scan of the
// same GTIN with another lot is another line of the receipt).
func sameItem(inHand, scanned views.ReceiveItem) bool {
	if scanned.SKU != inHand.SKU {
		return false
	}
	if !inHand.LotTracked {
		return true
	}
	return (scanned.Lot == "" || scanned.Lot == inHand.Lot) && (scanned.Expiry == "" || scanned.Expiry == inHand.Expiry)
}

// receive records the units (or their refusal) and asks for the putaway. With
// a scan (code) it counts: another unit of the item in hand adds to its
// quantity and books nothing; another item books the one in hand, which is
// put away first, and waits as the next item.
func (s *Server) receive(c *fiber.Ctx) error {
	owner, err := s.ledger.KnownOwner(c.FormValue("owner"))
	if err != nil {
		return err
	}
	vm, err := s.receiveModel(c, owner, c.FormValue("receipt"))
	if err != nil {
		return err
	}
	// what the receiver typed stays on the form when the server refuses it
	item := views.ReceiveItem{Owner: owner, SKU: c.FormValue("sku"), Lot: strings.TrimSpace(c.FormValue("lot")), Location: strings.TrimSpace(c.FormValue("location")),
		Expiry: strings.TrimSpace(c.FormValue("expiry")), QtyTyped: strings.TrimSpace(c.FormValue("qty"))}
	sku, err := s.ledger.Books(owner).SKU(item.SKU)
	var qty int64
	if err == nil {
		item.Name, item.LotTracked = sku.Name, sku.LotTracked
		qty, err = strconv.ParseInt(item.QtyTyped, 10, 64)
		if err != nil || qty <= 0 {
			err = wms.Errf(wms.CodeInvalid, "receive.qty_invalid", "qty", item.QtyTyped)
		}
	}
	item.Qty = qty
	if err == nil && item.Expiry != "" {
		var day string
		if day, err = s.typedDay(item.Expiry); err == nil {
			item.Expiry = day
		}
	}
	if err == nil {
		if r, perr := s.scanner.Parse(item.Location); perr == nil && r.Kind == scan.KindLocation {
			item.Location = r.Code
		}
	}
	var next *views.ReceiveItem
	if code := strings.TrimSpace(c.FormValue("code")); err == nil && code != "" {
		scanned, serr := s.receiveItem(c, owner, code)
		switch {
		case serr != nil:
			err = serr // the item in hand stays as it was
		case sameItem(item, scanned):
			item.Qty += scanned.Qty
			item.QtyTyped = ""
			vm.Item = &item
			vm.Feedback = okFeedback("receive.counted", map[string]string{"sku": item.SKU, "qty": strconv.FormatInt(item.Qty, 10)})
			return s.render(c, fiber.StatusOK, views.Receive(vm))
		default:
			scanned.Code = code
			next = &scanned
		}
	}
	if err == nil {
		var res wms.Receiving
		res, err = s.ledger.Receive(c.UserContext(), formKey(c), wms.Receiving{Owner: owner, Receipt: vm.Receipt, SKU: item.SKU, Lot: item.Lot,
			Expiry: item.Expiry, Qty: qty, Location: item.Location}, principal(c).Actor(), device(c))
		if err == nil {
			vm2, merr := s.receiveModel(c, owner, vm.Receipt)
			if merr != nil {
				return merr
			}
			if res.Quarantined {
				vm2.Feedback = okFeedback("receive.quarantined", map[string]string{"qty": strconv.FormatInt(qty, 10), "sku": item.SKU, "location": item.Location})
				vm2.Item = next
				return s.render(c, fiber.StatusOK, views.Receive(vm2))
			}
			where, perr := s.ledger.Books(owner).SuggestPutaway(item.SKU, item.Lot)
			if perr != nil {
				where = ""
			}
			vm2.Putaway = &views.Putaway{SKU: item.SKU, Name: item.Name, Lot: item.Lot, Qty: qty, From: item.Location, Suggest: where, Next: next}
			done := "receive.done"
			if item.Lot == "" {
				done = "receive.done_no_lot"
			}
			vm2.Feedback = okFeedback(done, map[string]string{"qty": strconv.FormatInt(qty, 10), "sku": item.SKU, "lot": item.Lot})
			return s.render(c, fiber.StatusOK, views.Receive(vm2))
		}
		if e, ok := wms.AsError(err); ok && e.Key == "receive.short_life" {
			// the ledger recorded the refusal on the receipt: show it
			if vm, err = s.receiveModel(c, owner, vm.Receipt); err != nil {
				return err
			}
			err = e
		}
	}
	e := s.asDomain(c, err)
	vm.Feedback = errorFeedback(e)
	if e.Key != "receive.short_life" {
		item.Focus = refusedField[e.Key]
		vm.Item = &item
	} else {
		vm.Item = next // the refused units go back on the truck; the next item is in hand
	}
	return s.render(c, status(e.Code), views.Receive(vm))
}

// refusedField is the form field a refusal is about, which takes the focus
// with its value selected; other refusals (a scan's) leave it on the scan box.
var refusedField = map[string]string{
	"receive.qty_invalid":      "qty",
	"date.invalid":             "expiry",
	"stock.expiry_required":    "expiry",
	"location.not_found":       "location",
	"receive.needs_quarantine": "location",
}

// typedDay accepts a date typed as printed on a pack: 2027-03-31, 2027/3/31,
// 2027.3.31, 20270331 or the GS1 form 270331.
func (s *Server) typedDay(v string) (string, error) {
	return wms.TypedDay(v, s.ledger.Now().In(s.ledger.Zone()).Year())
}

// shelfScan reads the scan where a shelf is expected, as units are put away
// (step "receive") or put back (step "returns"). A scan of anything else is
// refused with what it was and the shelf wanted (when there is one), and
// changes nothing; a code of no known kind goes on, for the ledger to say
// whether such a location exists.
//
// owner is whose item a scanned GTIN is read as (the receipt's on the
// receive screen; "" where nothing says whose).
func (s *Server) shelfScan(step, owner, code, want string) (string, error) {
	r, err := s.scanner.Parse(code)
	if err != nil {
		return "", scanError(err)
	}
	var key string
	args := []string{"want", want}
	switch {
	case r.Kind == scan.KindLocation || r.Kind == scan.KindUnknown:
		return r.Code, nil
	case r.GTIN != "":
		sku, err := s.ledger.SKUByGTIN(r.GTIN)
		if owner != "" {
			sku, err = s.ledger.Books(owner).SKUByGTIN(r.GTIN)
		}
		if err != nil {
			return "", err
		}
		key, args = step+".shelf_item", append(args, "sku", sku.Code, "name", sku.Name)
	case r.Code == "": // an SSCC or another GS1 code without a GTIN
		key, args = step+".shelf_code", append(args, "code", code, "kind", "scankind.gs1")
	default:
		key, args = step+".shelf_code", append(args, "code", r.Code, "kind", "scankind."+string(r.Kind))
	}
	if want == "" {
		key += "_any"
	}
	return "", wms.Errf(wms.CodeInvalid, key, args...)
}

// putaway moves received units from the dock to the scanned location.
func (s *Server) putaway(c *fiber.Ctx) error {
	owner, err := s.ledger.KnownOwner(c.FormValue("owner"))
	if err != nil {
		return err
	}
	qty, _ := strconv.ParseInt(c.FormValue("qty"), 10, 64)
	p := views.Putaway{SKU: c.FormValue("sku"), Lot: c.FormValue("lot"), Qty: qty, From: c.FormValue("from"), Suggest: c.FormValue("suggest")}
	if code := c.FormValue("next"); code != "" {
		if next, err := s.receiveItem(c, owner, code); err == nil {
			next.Code = code
			p.Next = &next
		}
	}
	to, err := s.shelfScan("receive", owner, strings.TrimSpace(c.FormValue("to")), p.Suggest)
	if err == nil {
		_, err = s.ledger.MoveStock(c.UserContext(), formKey(c), wms.Move{Owner: payloadOwner(owner), SKU: p.SKU, Lot: p.Lot, From: p.From, To: to, Qty: qty},
			principal(c).Actor(), device(c))
	}
	vm, merr := s.receiveModel(c, owner, c.FormValue("receipt"))
	if merr != nil {
		return merr
	}
	if err != nil {
		e := s.asDomain(c, err)
		vm.Feedback = errorFeedback(e)
		vm.Putaway = &p
		return s.render(c, status(e.Code), views.Receive(vm))
	}
	vm.Feedback = okFeedback("receive.put_away", map[string]string{"qty": strconv.FormatInt(qty, 10), "sku": p.SKU, "location": to})
	vm.Item = p.Next
	return s.render(c, fiber.StatusOK, views.Receive(vm))
}

// closeReceipt closes the receipt; its variances stay on it.
func (s *Server) closeReceipt(c *fiber.Ctx) error {
	owner, err := s.ledger.KnownOwner(c.FormValue("owner"))
	if err != nil {
		return err
	}
	r, err := s.ledger.Books(owner).CloseReceipt(c.UserContext(), c.FormValue("receipt"), principal(c).Actor(), device(c))
	if err != nil {
		return err
	}
	vm, err := s.receiveModel(c, owner, r.ID)
	if err != nil {
		return err
	}
	vm.Feedback = okFeedback("receive.closed", map[string]string{"receipt": r.ID})
	return s.render(c, fiber.StatusOK, views.Receive(vm))
}

// apiExpectReceipt is POST /api/v1/receipts: an ASN.
func (s *Server) apiExpectReceipt(c *fiber.Ctx) error {
	var in receiptIn
	if err := bodyJSON(c, &in); err != nil {
		return err
	}
	key, err := clientKey(c, "receipts:")
	if err != nil {
		return err
	}
	r, dup, err := s.ledger.ExpectReceipt(c.UserContext(), key, in.receipt(), principal(c).Actor(), device(c))
	if err != nil {
		return err
	}
	if dup {
		return c.JSON(newReceiptOut(r))
	}
	return c.Status(fiber.StatusCreated).JSON(newReceiptOut(r))
}

func (s *Server) apiReceipt(c *fiber.Ctx) error {
	books, err := s.books(c)
	if err != nil {
		return err
	}
	r, err := books.Receipt(c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(newReceiptOut(r))
}
