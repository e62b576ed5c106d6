package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"tally/printing"
	"tally/views"
	"tally/wms"
)

// The returns screen: find the order (or book an unknown parcel), scan each
// item and tap its condition, book the parcel, then put resellable units
// back by scanning the shelf. The parcel's lines travel in the page until
// it is booked.

func parseReturnLines(raw string) []wms.ReturnLine {
	var lines []wms.ReturnLine
	if raw != "" {
		_ = json.Unmarshal([]byte(raw), &lines)
	}
	return lines
}

func (s *Server) returnsModel(c *fiber.Ctx) (views.ReturnsPage, error) {
	vm := views.ReturnsPage{Page: s.page(c, "returns.title"), Key: uuid.NewString(), Conditions: wms.Conditions}
	// the lists and today's figures: every owner's, or one owner's (the
	// lists keep every parcel; the page shows the chosen owner's)
	var err error
	if vm.Filter, err = s.ownerFilter(c); err != nil {
		return vm, err
	}
	un, err := s.ledger.UnmatchedReturns()
	if err != nil {
		return vm, err
	}
	for _, p := range un {
		vm.Unmatched = append(vm.Unmatched, views.UnmatchedReturn{ID: p.ID, Owner: wms.OwnerOr(p.Owner), Lines: len(p.Lines)})
	}
	waiting, err := s.ledger.ReturnsAwaitingPutBack("")
	if err != nil {
		return vm, err
	}
	staging := s.ledger.ReturnsStaging()
	for _, p := range waiting {
		w := views.WaitingReturn{ID: p.ID, Ref: views.ParcelRef(p.ID, p.ReturnWaybill), Order: wms.OrderRef(p.Owner, p.Order),
			Owner: wms.OwnerOr(p.Owner)}
		for i, l := range p.Lines {
			if p.AwaitsPutBack(i, staging) {
				w.Qty += l.Qty
			}
		}
		vm.Waiting = append(vm.Waiting, w)
	}
	stats, err := s.ledger.ReturnStatsOf(s.ledger.Today())
	if vm.Filter.Chosen != "" {
		stats, err = s.ledger.OwnerReturnStats(s.ledger.Today(), vm.Filter.Chosen)
	}
	if err != nil {
		return vm, err
	}
	for k, v := range stats.ByCondition {
		vm.Stats = append(vm.Stats, views.Count{Name: "cond." + k, N: int(v)})
	}
	sortCounts(vm.Stats)
	return vm, nil
}

func (s *Server) returnsPage(c *fiber.Ctx) error {
	vm, err := s.returnsModel(c)
	if err != nil {
		return err
	}
	if id := c.Query("parcel"); id != "" { // a booked parcel, from the list of those waiting
		p, err := s.ledger.ReturnParcelByID(id)
		if err != nil {
			return err
		}
		return s.renderBooked(c, vm, p, nil, fiber.StatusOK)
	}
	vm.Order, vm.RMA, vm.ReturnWaybill = c.Query("order"), c.Query("rma"), c.Query("rwb")
	vm.Unknown = c.Query("unknown") == "1"
	if vm.Unknown { // whose the unknown parcel is: chosen, or its items' owner
		if vm.Owners, err = s.ownerFilter(c); err != nil {
			return err
		}
		vm.Owner = vm.Owners.Chosen
	}
	lines := parseReturnLines(c.Query("lines"))
	var ferr error
	if code := strings.TrimSpace(c.Query("code")); code != "" && vm.Order == "" && !vm.Unknown {
		var owner, no string
		if strings.Contains(code, " ") { // an owner-qualified order number, typed: BEIBEI SO900001
			owner, no, ferr = s.orderByHand(c, code, "returns.order_ambiguous")
		} else {
			r, perr := s.scanner.Parse(code)
			if perr == nil && r.Code != "" {
				code = r.Code
			}
			owner, no, vm.RMA, ferr = s.ledger.FindReturnOrder(code)
			var de *wms.Error
			if errors.As(ferr, &de) && de.Key == "return.code_ambiguous" {
				// an order number two owners share: named by name, with what to scan instead
				if owners, _ := s.ledger.OrderOwners(code); len(owners) > 1 {
					_, _, ferr = s.orderByHand(c, code, "returns.order_ambiguous")
				}
			}
		}
		// the page names the order by its ref (the owner in front for an
		// owner other than the default one)
		vm.Order = wms.OrderRef(owner, no)
		if ferr == nil && vm.RMA != "" && code != vm.RMA && code != no {
			vm.ReturnWaybill = code // the return parcel's own waybill, announced with the RMA
		}
		if ferr != nil {
			vm.ReturnWaybill = code // offered as an unknown parcel
		}
		if ferr == nil {
			// a parcel of this order booked before, its units still at the
			// returns location (the model lists them, oldest first): their
			// put-back comes first
			for _, w := range vm.Waiting {
				if w.Order != vm.Order {
					continue
				}
				p, err := s.ledger.ReturnParcelByID(w.ID)
				if err != nil {
					return err
				}
				return s.renderBooked(c, vm, p, okFeedback("returns.waiting", map[string]string{"order": p.Order,
					"parcel": views.ParcelRef(p.ID, p.ReturnWaybill), "location": s.ledger.ReturnsStaging()}), fiber.StatusOK)
			}
		}
	}
	if item := strings.TrimSpace(c.Query("item")); item != "" && ferr == nil {
		cond := c.Query("cond")
		r, perr := s.scanner.Parse(item)
		switch {
		case perr != nil:
			ferr = scanError(perr)
		case r.GTIN == "":
			ferr = wms.Errf(wms.CodeInvalid, "pick.not_an_item", "code", item)
		default:
			// the order in hand says whose item it is; an unknown parcel's
			// item must be one owner's alone
			sku, err := s.ledger.SKUByGTIN(r.GTIN)
			switch {
			case vm.Order != "":
				owner, _ := wms.ParseOrderRef(vm.Order)
				sku, err = s.ledger.Books(owner).SKUByGTIN(r.GTIN)
			case vm.Owner != "": // the owner the clerk chose for the unknown parcel
				sku, err = s.ledger.Books(vm.Owner).SKUByGTIN(r.GTIN)
			}
			if err == nil && vm.Unknown && vm.Owners.Show {
				vm.Owner = sku.Owner
			}
			if err != nil {
				ferr = err
				break
			}
			if cond == "" { // ask for the condition, naming the item rather than echoing the scan
				vm.PendingItem = item
				vm.Pending = &views.PendingItem{SKU: sku.Code, Name: sku.Name, Lot: r.Batch, Serial: r.Serial}
				break
			}
			lines = append(lines, wms.ReturnLine{SKU: sku.Code, Lot: r.Batch, Serial: r.Serial, Qty: 1, Condition: cond})
			vm.Feedback = okFeedback("returns.added", map[string]string{"qty": "1", "sku": sku.Code, "condition": views.Translate(lang(c), "cond."+cond, nil)})
		}
	}
	if vm.Order != "" {
		owner, no := wms.ParseOrderRef(vm.Order)
		shipped, err := s.ledger.Books(owner).Shipped(no)
		if err != nil && ferr == nil {
			ferr = err
		}
		for _, sl := range shipped {
			vm.Shipped = append(vm.Shipped, views.ShippedRow{SKU: sl.SKU, Name: s.skuName(sl.SKU), Lot: sl.Lot, Shipped: sl.Shipped, Returned: sl.Returned, Serials: strings.Join(sl.Serials, " ")})
		}
	}
	vm.Lines, vm.Names = lines, s.lineNames(lines)
	raw, _ := json.Marshal(lines)
	vm.LinesJSON = string(raw)
	if ferr != nil {
		e := s.asDomain(c, ferr)
		vm.Feedback = errorFeedback(e)
		return s.render(c, status(e.Code), views.Returns(vm))
	}
	return s.render(c, fiber.StatusOK, views.Returns(vm))
}

// bookReturn books the inspected parcel.
func (s *Server) bookReturn(c *fiber.Ctx) error {
	owner, no := wms.ParseOrderRef(c.FormValue("order"))
	if no == "" && c.FormValue("owner") != "" { // an unknown parcel the clerk said whose it is
		owner = c.FormValue("owner")
	}
	p := wms.ReturnParcel{ID: formKey(c), Owner: owner, Order: no, RMA: c.FormValue("rma"), ReturnWaybill: c.FormValue("rwb"),
		Lines: parseReturnLines(c.FormValue("lines")), Notes: strings.TrimSpace(c.FormValue("notes"))}
	booked, err := s.ledger.ReceiveReturn(c.UserContext(), p, principal(c).Actor(), device(c))
	vm, merr := s.returnsModel(c)
	if merr != nil {
		return merr
	}
	if err != nil {
		e := s.asDomain(c, err)
		vm.Feedback = errorFeedback(e)
		vm.Order, vm.RMA, vm.ReturnWaybill, vm.Lines, vm.Names = p.Order, p.RMA, p.ReturnWaybill, p.Lines, s.lineNames(p.Lines)
		raw, _ := json.Marshal(p.Lines)
		vm.LinesJSON, vm.Unknown = string(raw), p.Order == ""
		return s.render(c, status(e.Code), views.Returns(vm))
	}
	return s.renderBooked(c, vm, booked, okFeedback("returns.booked", map[string]string{"n": strconv.Itoa(len(booked.Lines))}), fiber.StatusOK)
}

// renderBooked shows a booked parcel: where each line went, and a putaway
// scan for resellable units waiting at the returns staging location.
func (s *Server) renderBooked(c *fiber.Ctx, vm views.ReturnsPage, p wms.ReturnParcel, fb *views.Feedback, st int) error {
	vm.Feedback = fb
	vm.Booked = &views.BookedReturn{ID: p.ID, Order: p.Order}
	staging := s.ledger.ReturnsStaging()
	for i := range p.Lines {
		row := bookedLine(p, i, staging)
		row.Name = s.skuName(row.SKU)
		if row.Waiting {
			row.Suggest, _ = s.ledger.SuggestPutaway(row.SKU, row.Lot)
			row.From = staging
		}
		vm.Booked.Lines = append(vm.Booked.Lines, row)
	}
	return s.render(c, st, views.Returns(vm))
}

// skuName is an item's name for the returns screens ("" for a SKU unknown here).
func (s *Server) skuName(code string) string {
	sku, err := s.ledger.SKU(code)
	if err != nil {
		return ""
	}
	return sku.Name
}

// lineNames names the SKUs of a parcel's lines.
func (s *Server) lineNames(lines []wms.ReturnLine) map[string]string {
	names := map[string]string{}
	for _, l := range lines {
		if _, ok := names[l.SKU]; !ok {
			names[l.SKU] = s.skuName(l.SKU)
		}
	}
	return names
}

// bookedLine is line i of a booked parcel where it is now: put back on a
// shelf, waiting at the returns location for that, or where it was booked.
func bookedLine(p wms.ReturnParcel, i int, staging string) views.BookedLine {
	l := p.Lines[i]
	row := views.BookedLine{N: i, SKU: l.SKU, Lot: l.Lot, Serial: l.Serial, Qty: l.Qty, Condition: "cond." + l.Condition, Location: l.Location, Swap: l.Swap}
	if l.PutBack != "" {
		row.Location, row.PutBack = l.PutBack, true
	} else {
		row.Waiting = p.AwaitsPutBack(i, staging)
	}
	return row
}

// returnPutaway moves restocked units from staging to the scanned shelf.
func (s *Server) returnPutaway(c *fiber.Ctx) error {
	id := c.FormValue("parcel")
	n, _ := strconv.Atoi(c.FormValue("line"))
	p, err := s.ledger.ReturnParcelByID(id)
	if err != nil {
		return err
	}
	want := "" // the shelf the card asks for
	if n >= 0 && n < len(p.Lines) {
		want, _ = s.ledger.SuggestPutaway(p.Lines[n].SKU, p.Lines[n].Lot)
	}
	var l wms.ReturnLine
	to, err := s.shelfScan("returns", "", strings.TrimSpace(c.FormValue("to")), want)
	if err == nil {
		l, err = s.ledger.PutBackReturn(c.UserContext(), id, n, to, principal(c).Actor(), device(c))
	}
	vm, merr := s.returnsModel(c)
	if merr != nil {
		return merr
	}
	if err != nil {
		e := s.asDomain(c, err)
		return s.renderBooked(c, vm, p, errorFeedback(e), status(e.Code))
	}
	p.Lines[n].PutBack = l.PutBack // the card shows the line put back
	return s.renderBooked(c, vm, p, okFeedback("returns.put_done", map[string]string{"qty": strconv.FormatInt(l.Qty, 10), "sku": l.SKU, "location": l.PutBack}), fiber.StatusOK)
}

func (s *Server) matchReturn(c *fiber.Ctx) error {
	owner, order, _, err := s.ledger.FindReturnOrder(strings.TrimSpace(c.FormValue("order")))
	if err == nil {
		_, err = s.ledger.Books(owner).MatchReturn(c.UserContext(), "matches:"+formKey(c), c.FormValue("parcel"), order, principal(c).Actor(), device(c))
	}
	vm, merr := s.returnsModel(c)
	if merr != nil {
		return merr
	}
	if err != nil {
		e := s.asDomain(c, err)
		vm.Feedback = errorFeedback(e)
		return s.render(c, status(e.Code), views.Returns(vm))
	}
	vm.Feedback = okFeedback("returns.matched", map[string]string{"order": order})
	return s.render(c, fiber.StatusOK, views.Returns(vm))
}

// returnReceipt is a printable receipt of a booked parcel (the browser prints it).
func (s *Server) returnReceipt(c *fiber.Ctx) error {
	p, err := s.ledger.ReturnParcelByID(c.Params("id"))
	if err != nil {
		return err
	}
	vm := views.ReturnReceipt{Page: s.page(c, "returns.receipt_title"), Parcel: views.ParcelRef(p.ID, p.ReturnWaybill), Order: p.Order, RMA: p.RMA,
		Waybill: p.ReturnWaybill, Clerk: s.people()(p.Actor), At: p.At.In(s.ledger.Zone()).Format("2006-01-02 15:04"), Notes: p.Notes}
	staging := s.ledger.ReturnsStaging()
	for i := range p.Lines {
		row := bookedLine(p, i, staging)
		row.Name = s.skuName(row.SKU)
		vm.Lines = append(vm.Lines, row)
	}
	return s.render(c, fiber.StatusOK, views.ReturnReceiptPage(vm))
}

// skuLabelPDF prints a SKU/lot label for a unit whose own code cannot be read.
func (s *Server) skuLabelPDF(c *fiber.Ctx) error {
	sku, err := s.ledger.SKU(c.Query("sku"))
	if err != nil {
		return err
	}
	label := printing.SKULabel{SKU: sku.Code, Name: sku.Name, Lot: c.Query("lot")}
	if len(sku.GTINs) > 0 {
		label.GTIN = sku.GTINs[0]
	}
	if lots, err := s.ledger.Lots(); err == nil {
		for _, l := range lots {
			if l.SKU == sku.Code && l.Code == label.Lot && l.Expiry != "" {
				label.Expiry, _ = time.Parse("2006-01-02", l.Expiry)
			}
		}
	}
	if label.Expiry.IsZero() && label.Lot != "" { // a lot with nothing left is not listed (wms/lotleave.go)
		if l, ok, err := s.ledger.Books(wms.DefaultOwner).Lot(sku.Code, label.Lot); err == nil && ok && l.Expiry != "" {
			label.Expiry, _ = time.Parse("2006-01-02", l.Expiry)
		}
	}
	var buf bytes.Buffer
	if err := printing.LabelPDF(&buf, []any{label}, s.cfg.FontPath); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/pdf")
	return c.Send(buf.Bytes())
}

// apiAnnounceReturn is POST /api/v1/returns: an RMA from the OMS.
func (s *Server) apiAnnounceReturn(c *fiber.Ctx) error {
	var in returnIn
	if err := bodyJSON(c, &in); err != nil {
		return err
	}
	key, err := clientKey(c, "rmas:")
	if err != nil {
		return err
	}
	r, err := s.ledger.AnnounceReturn(c.UserContext(), key, wms.RMA{Owner: in.Owner, RMA: in.RMA, Order: in.Order, ReturnWaybill: in.ReturnWaybill, Reason: in.Reason},
		principal(c).Actor(), device(c))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(returnIn{Owner: r.Owner, RMA: r.RMA, Order: r.Order, ReturnWaybill: r.ReturnWaybill, Reason: r.Reason})
}
