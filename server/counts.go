package server

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"tally/scan"
	"tally/views"
	"tally/wms"
)

// --- blind counts ---

// countLines travel in the page while the counter scans (a blind count
// shows what was scanned, never what the books say).
func countLines(raw string) []wms.StockRow {
	var lines []wms.StockRow
	if raw != "" {
		_ = json.Unmarshal([]byte(raw), &lines)
	}
	return lines
}

func (s *Server) countModel(c *fiber.Ctx) (views.CountPage, error) {
	vm := views.CountPage{Page: s.page(c, "count.title"), Key: uuid.NewString(), Supervisor: slices.Contains(supervisors, principal(c).Role)}
	open, err := s.ledger.TasksIn(wms.TaskOpen, 500)
	if err != nil {
		return vm, err
	}
	for _, t := range open {
		if t.Kind == wms.TaskCount {
			vm.Tasks = append(vm.Tasks, views.TaskRow{ID: t.ID, Location: t.Location, Kind: t.Reason})
		}
	}
	if vm.Supervisor {
		name := s.people()
		pending, err := s.ledger.PendingCounts()
		if err != nil {
			return vm, err
		}
		for _, p := range pending {
			row := views.PendingCount{ID: p.ID, Location: p.Location, Actor: name(p.Actor)}
			for _, l := range p.Lines {
				if l.Diff() != 0 {
					row.Lines = append(row.Lines, views.CountLine{SKU: l.SKU, Lot: l.Lot, Books: l.Books, Counted: l.Counted})
				}
			}
			vm.Pending = append(vm.Pending, row)
		}
	}
	return vm, nil
}

// countPage lists count tasks, or runs one: ?task=…&location=… and, per
// scan, &code=… with the lines so far.
func (s *Server) countPage(c *fiber.Ctx) error {
	vm, err := s.countModel(c)
	if err != nil {
		return err
	}
	vm.Task, vm.Location = c.Query("task"), c.Query("location")
	lines := countLines(c.Query("lines"))
	code := strings.TrimSpace(c.Query("code"))
	if code != "" {
		r, perr := s.scanner.Parse(code)
		switch {
		case perr != nil:
			err = scanError(perr)
		case vm.Location == "" && r.Kind == scan.KindLocation:
			vm.Location = r.Code
		case vm.Location == "":
			err = wms.Errf(wms.CodeInvalid, "count.scan_location")
		case r.GTIN != "":
			var sku wms.SKU
			// the one owner's item that carries the GTIN: each line keeps its owner
			sku, err = s.floorSKU(c, "count.gtin_ambiguous", r.GTIN)
			if err == nil {
				owner := payloadOwner(sku.Owner)
				lot := r.Batch
				if !sku.LotTracked {
					lot = ""
				}
				n := int64(1)
				if q, qerr := strconv.ParseInt(c.Query("qty"), 10, 64); qerr == nil && q > 0 {
					n = q
				}
				exp := ""
				if r.Expiry != nil {
					exp = r.Expiry.String()
				}
				if sku.LotTracked && lot == "" {
					err = wms.Errf(wms.CodeInvalid, "count.lot_needed", "sku", sku.Code)
					break
				}
				found := false
				for i := range lines {
					if lines[i].Owner == owner && lines[i].SKU == sku.Code && lines[i].Lot == lot {
						lines[i].Qty += n
						found = true
					}
				}
				if !found {
					lines = append(lines, wms.StockRow{Owner: owner, SKU: sku.Code, Lot: lot, Expiry: exp, Location: vm.Location, Qty: n})
				}
				vm.Feedback = okFeedback("count.added", map[string]string{"sku": sku.Code, "n": strconv.FormatInt(n, 10)})
			}
		default:
			err = wms.Errf(wms.CodeInvalid, "pick.not_an_item", "code", code)
		}
	}
	vm.Lines = lines
	raw, _ := json.Marshal(lines)
	vm.LinesJSON = string(raw)
	if err != nil {
		e := s.asDomain(c, err)
		vm.Feedback = errorFeedback(e)
		return s.render(c, status(e.Code), views.CountScreen(vm))
	}
	return s.render(c, fiber.StatusOK, views.CountScreen(vm))
}

// submitCount books a finished count (or sends it for approval). A refused
// count stays on the screen, to be corrected and sent again.
func (s *Server) submitCount(c *fiber.Ctx) error {
	p := wms.CountSubmit{Task: c.FormValue("task"), Location: c.FormValue("location"), Lines: countLines(c.FormValue("lines"))}
	res, err := s.ledger.SubmitCount(c.UserContext(), formKey(c), p, principal(c).Actor(), device(c))
	return s.countAnswer(c, err, okFeedback("count."+res.State, map[string]string{"location": res.Location}), func(vm *views.CountPage) {
		vm.Task, vm.Location, vm.Lines = p.Task, p.Location, p.Lines
		raw, _ := json.Marshal(p.Lines)
		vm.LinesJSON = string(raw)
	})
}

func (s *Server) decideCount(c *fiber.Ctx) error {
	d := wms.CountDecision{Count: c.FormValue("count"), Approve: c.FormValue("approve") == "1"}
	res, err := s.ledger.DecideCount(c.UserContext(), "decide:"+d.Count, d, principal(c).Actor(), device(c))
	return s.countAnswer(c, err, okFeedback("count."+res.State, map[string]string{"location": res.Location}), nil)
}

func (s *Server) requestCounts(c *fiber.Ctx) error {
	p := wms.CountRequest{Zone: strings.TrimSpace(c.FormValue("zone")), Locations: strings.Fields(c.FormValue("locations")), Reason: "supervisor"}
	if p.Zone != "" {
		p.Reason = "cycle"
	}
	err := s.ledger.RequestCounts(c.UserContext(), "counts:"+formKey(c), p, principal(c).Actor(), device(c))
	return s.countAnswer(c, err, okFeedback("count.requested", nil), nil)
}

// countAnswer shows the count screen after an action; keep puts back what a
// refused action must not lose.
func (s *Server) countAnswer(c *fiber.Ctx, err error, ok *views.Feedback, keep func(*views.CountPage)) error {
	vm, merr := s.countModel(c)
	if merr != nil {
		return merr
	}
	var code int
	vm.Feedback, code = s.outcome(c, err, ok)
	if err != nil && keep != nil {
		keep(&vm)
	}
	return s.render(c, code, views.CountScreen(vm))
}

// apiLotStatus is POST /api/v1/lots/status: quarantine, hold or release a lot.
func (s *Server) apiLotStatus(c *fiber.Ctx) error {
	var in lotStatusIn
	if err := bodyJSON(c, &in); err != nil {
		return err
	}
	key, err := idempotencyKey(c)
	if err != nil {
		return err
	}
	p := in.change()
	lot, err := s.ledger.SetLotStatus(c.UserContext(), "lotstatus:"+key, p, principal(c).Actor(), device(c))
	if err != nil {
		return err
	}
	return c.JSON(newLotOut(lot))
}
