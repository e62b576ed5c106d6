package server

import (
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"tally/scan"
	"tally/views"
	"tally/wms"
)

// Moves by scanning: the location to move from, then the item (each scan of
// it one more unit, or a case's quantity typed) or the whole location, then
// the location to move to, which makes the move. Each step's page carries
// the steps before it.

// movePage takes the first scans: the location to move from (GET /move?code=),
// then the item (GET /move?from=…&code=), refused unless the location holds it.
func (s *Server) movePage(c *fiber.Ctx) error {
	vm := views.MovePage{Page: s.page(c, "move.title"), From: c.Query("from"), Whole: c.Query("whole") == "1", Key: uuid.NewString()}
	if vm.From == "" {
		if err := s.moveTasks(&vm); err != nil {
			return err
		}
	}
	code := strings.TrimSpace(c.Query("code"))
	if code == "" {
		return s.render(c, fiber.StatusOK, views.MoveScreen(vm))
	}
	r, err := s.scanner.Parse(code)
	switch {
	case err != nil:
		err = scanError(err)
	case vm.From == "" && r.GTIN != "":
		err = wms.Errf(wms.CodeInvalid, "move.from_first", "code", code)
	case vm.From == "":
		if _, err = s.shelfScan("move", "", code, ""); err == nil {
			if _, err = s.ledger.Location(r.Code); err == nil {
				vm.From, vm.Tasks = r.Code, nil
			}
		}
	case r.GTIN == "":
		err = wms.Errf(wms.CodeInvalid, "move.scan_item", "code", code)
	default:
		var item views.MovePage
		if item, _, err = s.moveItem(c, vm.From, r); err == nil {
			vm.Owner, vm.SKU, vm.Lot, vm.Qty = item.Owner, item.SKU, item.Lot, 1
			vm.Feedback = okFeedback("move.counted", map[string]string{"qty": "1", "sku": vm.SKU, "location": vm.From})
		}
	}
	if err != nil {
		e := s.asDomain(c, err)
		vm.Feedback = errorFeedback(e)
		return s.render(c, status(e.Code), views.MoveScreen(vm))
	}
	return s.render(c, fiber.StatusOK, views.MoveScreen(vm))
}

// moveTasks lists the open move tasks' lines on the first screen.
func (s *Server) moveTasks(vm *views.MovePage) error {
	tasks, err := s.ledger.TasksIn(wms.TaskOpen, 500)
	if err != nil {
		return err
	}
	for _, t := range tasks {
		if t.Kind != wms.TaskMove {
			continue
		}
		for _, l := range t.Lines {
			if l.Open() > 0 {
				vm.Tasks = append(vm.Tasks, views.MoveTaskRow{SKU: l.SKU, Lot: l.Lot, From: l.Location, To: t.Location, Qty: l.Open()})
			}
		}
	}
	return nil
}

// moveItem is the SKU and lot of a scanned item as the location to move from
// holds it: an item the location does not hold is refused with what it
// holds, and a lot-tracked item without its lot is taken in the one lot the
// location holds, else refused. have is how many of the SKU the location
// holds, by lot. The item is the one owner's that carries the GTIN (each
// unit keeps its owner); a GTIN two owners share cannot say whose and is
// refused, naming both.
func (s *Server) moveItem(c *fiber.Ctx, from string, r scan.Result) (item views.MovePage, have map[string]int64, err error) {
	sku, err := s.floorSKU(c, "move.gtin_ambiguous", r.GTIN)
	if err != nil {
		return views.MovePage{}, nil, err
	}
	held, err := s.ledger.StockAt(from)
	if err != nil {
		return views.MovePage{}, nil, err
	}
	var skus, lots []string
	have = map[string]int64{}
	for _, l := range held {
		if l.Qty <= 0 {
			continue
		}
		if !slices.Contains(skus, l.SKU) {
			skus = append(skus, l.SKU)
		}
		if l.Owner == sku.Owner && l.SKU == sku.Code {
			lots = append(lots, l.Lot)
			have[l.Lot] += l.Qty
		}
	}
	item = views.MovePage{Owner: sku.Owner, SKU: sku.Code}
	switch {
	case len(skus) == 0:
		return item, have, wms.Errf(wms.CodeConflict, "move.empty", "location", from)
	case len(lots) == 0:
		return item, have, wms.Errf(wms.CodeConflict, "move.not_here", "sku", sku.Code, "location", from, "held", heldList(skus))
	case !sku.LotTracked:
		return item, have, nil
	case r.Batch != "" && !slices.Contains(lots, r.Batch):
		return item, have, wms.Errf(wms.CodeConflict, "move.lot_not_here", "sku", sku.Code, "lot", r.Batch, "location", from, "held", heldList(lots))
	case r.Batch != "":
		item.Lot = r.Batch
	case len(lots) == 1:
		item.Lot = lots[0]
	default:
		return item, have, wms.Errf(wms.CodeInvalid, "move.lot_needed", "sku", sku.Code, "location", from)
	}
	return item, have, nil
}

// floorSKU is the item a GTIN scanned with nothing in hand names (a move, a
// count): the one owner's that carries it. A GTIN two owners share cannot
// say whose the unit is: refused with the screen's message (ambiguous),
// naming the owners — never taken as one of them.
func (s *Server) floorSKU(c *fiber.Ctx, ambiguous, gtin string) (wms.SKU, error) {
	sku, err := s.ledger.SKUByGTIN(gtin)
	if e, ok := wms.AsError(err); ok && e.Key == "sku.gtin_ambiguous" {
		return sku, wms.Errf(wms.CodeConflict, ambiguous, "gtin", gtin, "owners", s.ownerList(c, sharedBy(e)))
	}
	return sku, err
}

// sharedBy is the owners a sku.gtin_ambiguous refusal names, the default
// owner first as everywhere else.
func sharedBy(e *wms.Error) []string {
	owners := strings.Split(e.Args["owners"], ", ")
	if i := slices.Index(owners, wms.DefaultOwner); i > 0 {
		owners = append([]string{wms.DefaultOwner}, slices.Delete(owners, i, i+1)...)
	}
	return owners
}

// payloadOwner is an owner as a command's payload names it: the default
// owner left out, as before owners existed.
func payloadOwner(owner string) string {
	if owner == wms.DefaultOwner {
		return ""
	}
	return owner
}

// heldList names a few codes, joined so that none of them breaks.
func heldList(codes []string) string {
	if len(codes) > 4 {
		return strings.Join(codes[:4], ", ") + " …"
	}
	return strings.Join(codes, ", ")
}

// move takes the scans once the item (or the whole location) is in hand, in
// one form with the quantity: another unit of the same item counts one more;
// a location makes the move; Enter after a typed quantity keeps it and asks
// for the location.
func (s *Server) move(c *fiber.Ctx) error {
	vm := views.MovePage{Page: s.page(c, "move.title"), Key: c.FormValue("key"), From: c.FormValue("from"), Owner: c.FormValue("owner"), SKU: c.FormValue("sku"),
		Lot: c.FormValue("lot"), Whole: c.FormValue("whole") == "1", QtyTyped: strings.TrimSpace(c.FormValue("qty"))}
	if vm.Key == "" {
		vm.Key = uuid.NewString()
	}
	var err error
	if !vm.Whole {
		if vm.Qty, err = strconv.ParseInt(vm.QtyTyped, 10, 64); err != nil || vm.Qty <= 0 {
			vm.Focus = "qty"
			return s.moveRefused(c, vm, wms.Errf(wms.CodeInvalid, "move.qty_typed", "qty", vm.QtyTyped))
		}
		vm.QtyTyped = ""
	}
	code := strings.TrimSpace(c.FormValue("code"))
	if code == "" {
		vm.Feedback = okFeedback("move.now_to", map[string]string{"qty": strconv.FormatInt(vm.Qty, 10), "sku": vm.SKU})
		if vm.Whole {
			vm.Feedback = okFeedback("move.scan_to", nil)
		}
		return s.render(c, fiber.StatusOK, views.MoveScreen(vm))
	}
	r, err := s.scanner.Parse(code)
	if err != nil {
		return s.moveRefused(c, vm, scanError(err))
	}
	if r.GTIN != "" {
		return s.moveMore(c, vm, r)
	}
	to, err := s.shelfScan("move", "", code, "")
	if err != nil {
		return s.moveRefused(c, vm, err)
	}
	m := wms.Move{Owner: payloadOwner(vm.Owner), From: vm.From, To: to, SKU: vm.SKU, Lot: vm.Lot, Qty: vm.Qty, Whole: vm.Whole}
	if _, err = s.ledger.MoveStock(c.UserContext(), formKey(c), m, principal(c).Actor(), device(c)); err != nil {
		return s.moveRefused(c, vm, err)
	}
	done := views.MovePage{Page: vm.Page, Key: uuid.NewString()}
	if err := s.moveTasks(&done); err != nil {
		return err
	}
	done.Feedback = okFeedback("move.done_units", map[string]string{"qty": strconv.FormatInt(m.Qty, 10), "sku": m.SKU, "from": m.From, "to": m.To})
	if m.Whole {
		done.Feedback = okFeedback("move.done", map[string]string{"from": m.From, "to": m.To})
	}
	return s.render(c, fiber.StatusOK, views.MoveScreen(done))
}

// moveMore is an item scanned where the location to move to is expected:
// one more of the item in hand, while the location holds that many; anything
// else is refused and the item in hand stays as it was.
func (s *Server) moveMore(c *fiber.Ctx, vm views.MovePage, r scan.Result) error {
	if vm.Whole {
		return s.moveRefused(c, vm, wms.Errf(wms.CodeInvalid, "move.whole_to", "location", vm.From))
	}
	if r.Batch == "" {
		r.Batch = vm.Lot // a barcode without its lot: the unit in hand says which
	}
	item, held, err := s.moveItem(c, vm.From, r)
	if err == nil && (item.Owner != wms.OwnerOr(vm.Owner) || item.SKU != vm.SKU || (r.Batch != "" && item.Lot != vm.Lot)) {
		err = wms.Errf(wms.CodeInvalid, "move.other_item", "sku", item.SKU, "qty", strconv.FormatInt(vm.Qty, 10), "held", vm.SKU)
	}
	if err != nil {
		return s.moveRefused(c, vm, err)
	}
	have := held[vm.Lot]
	if vm.Qty+1 > have {
		return s.moveRefused(c, vm, wms.Errf(wms.CodeConflict, "move.no_more", "sku", vm.SKU, "location", vm.From, "have", strconv.FormatInt(have, 10)))
	}
	vm.Qty++
	vm.Feedback = okFeedback("move.counted", map[string]string{"qty": strconv.FormatInt(vm.Qty, 10), "sku": vm.SKU, "location": vm.From})
	return s.render(c, fiber.StatusOK, views.MoveScreen(vm))
}

// moveRefused shows the step again with the refusal; what is in hand stays.
func (s *Server) moveRefused(c *fiber.Ctx, vm views.MovePage, err error) error {
	e := s.asDomain(c, err)
	vm.Feedback = errorFeedback(e)
	return s.render(c, status(e.Code), views.MoveScreen(vm))
}
