package server

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"tally/scan"
	"tally/views"
	"tally/wms"
)

// scanRequest is one scan from a handheld: POST /api/v1/tasks/{id}/scans with
// an Idempotency-Key. A handheld that lost the network replays its queue with
// the same keys; the ledger applies each once.
type scanRequest struct {
	Type     string   `json:"type"` // pick, undo, short, reject, putback
	Line     int      `json:"line,omitempty"`
	Location string   `json:"location,omitempty"`
	Codes    []string `json:"codes,omitempty"`
	Qty      int64    `json:"qty,omitempty"`
	Tote     string   `json:"tote,omitempty"`
	Reason   string   `json:"reason,omitempty"`
	Step     string   `json:"step,omitempty"`
	Code     string   `json:"code,omitempty"`
	Pick     string   `json:"pick,omitempty"` // undo: the key of the pick to take back
}

// A handheld's scan: the request at most maxScanBytes (a cluster put of a
// few hundred serialised units fits), each code scanned at most
// maxCodeBytes (a GS1 DataMatrix holds 2,335 characters at most; the
// longest an item code here need be is well under that).
const (
	maxScanBytes = 256 << 10
	maxCodeBytes = 1024
)

// items reads what the scanner typed for the items of a pick.
func (s *Server) items(codes []string) ([]wms.ScannedItem, error) {
	out := make([]wms.ScannedItem, 0, len(codes))
	for _, raw := range codes {
		if len(raw) > maxCodeBytes {
			return nil, wms.Errf(wms.CodeInvalid, "pick.code_too_long", "max", strconv.Itoa(maxCodeBytes))
		}
		r, err := s.scanner.Parse(raw)
		if err != nil {
			return nil, scanError(err)
		}
		if r.GTIN == "" {
			return nil, wms.Errf(wms.CodeInvalid, "pick.not_an_item", "code", raw)
		}
		it := wms.ScannedItem{GTIN: r.GTIN, Lot: r.Batch, Serial: r.Serial}
		if r.Expiry != nil {
			it.Expiry = r.Expiry.String()
		}
		out = append(out, it)
	}
	return out, nil
}

// toteCode checks a scanned tote.
func (s *Server) toteCode(raw string) (string, error) {
	if raw == "" {
		return "", nil
	}
	r, err := s.scanner.Parse(raw)
	if err != nil {
		return "", scanError(err)
	}
	if r.Kind != scan.KindTote {
		return "", wms.Errf(wms.CodeInvalid, "pick.not_a_tote", "code", raw)
	}
	return r.Code, nil
}

// applyScan runs one handheld scan against the ledger. A pick the ledger
// refuses is also recorded as a wrong scan, for the picker's accuracy.
func (s *Server) applyScan(c *fiber.Ctx, taskID string, req scanRequest) (json.RawMessage, bool, error) {
	key, err := requiredKey(c)
	if err != nil {
		return nil, false, err
	}
	ctx, actor, dev := c.UserContext(), principal(c).Actor(), device(c)
	switch req.Type {
	case "pick":
		items, err := s.items(req.Codes)
		if err == nil && len(items) == 0 {
			err = wms.Errf(wms.CodeInvalid, "pick.qty_invalid")
		}
		var tote string
		if err == nil {
			tote, err = s.toteCode(req.Tote)
		}
		qty := req.Qty
		if qty == 0 {
			qty = int64(len(items))
		}
		if err == nil && len(items) > 1 && qty != int64(len(items)) {
			err = wms.Errf(wms.CodeInvalid, "pick.qty_invalid")
		}
		if err != nil {
			s.recordRefusal(c, key, taskID, req, err)
			return nil, false, err
		}
		t, dup, err := s.ledger.Pick(ctx, key, wms.PickScan{Task: taskID, Line: req.Line, Location: req.Location, Items: items, Qty: qty, Tote: tote}, actor, dev)
		if err != nil {
			s.recordRefusal(c, key, taskID, req, err)
		}
		return t, dup, err
	case "undo":
		return s.ledger.UndoPick(ctx, key, wms.PickUndo{Task: taskID, Pick: req.Pick}, actor, dev)
	case "short":
		return s.ledger.ReportShort(ctx, key, wms.ShortReport{Task: taskID, Line: req.Line, Reason: req.Reason}, actor, dev)
	case "reject":
		if !views.HasKey(req.Reason) {
			return nil, false, wms.Errf(wms.CodeInvalid, "http.bad_request")
		}
		return s.ledger.RejectScan(ctx, key, wms.ScanRejected{Task: taskID, Line: req.Line, Step: req.Step, Code: req.Code, Reason: req.Reason}, actor, dev)
	case "putback":
		return s.ledger.PutBack(ctx, key, wms.PutBackScan{Task: taskID, Line: req.Line, Location: req.Location, Qty: req.Qty}, actor, dev)
	}
	return nil, false, wms.Errf(wms.CodeInvalid, "http.bad_request")
}

// recordRefusal counts a pick the server refused as a wrong scan. Its event ID
// is derived from the scan's, so a replayed scan is counted once.
func (s *Server) recordRefusal(c *fiber.Ctx, key, taskID string, req scanRequest, err error) {
	e, ok := wms.AsError(err)
	if !ok || (e.Code != wms.CodeConflict && e.Code != wms.CodeInvalid) || e.Key == "pick.serial_double_read" || e.Key == "pick.order_cancelled" || strings.HasPrefix(e.Key, "key.") {
		return // a can read twice is no wrong scan, nor a key sent for another request, nor a pick of an order cancelled meanwhile
	}
	step, code := "item", strings.Join(req.Codes, " ")
	if req.Tote != "" && strings.Contains(e.Key, "tote") {
		step, code = "tote", req.Tote
	}
	if _, _, rerr := s.ledger.RejectScan(c.UserContext(), key+":refused", wms.ScanRejected{Task: taskID, Line: req.Line, Step: step, Code: code, Reason: e.Key},
		principal(c).Actor(), device(c)); rerr != nil {
		s.log.Warn("record refused scan", "err", rerr)
	}
}

func (s *Server) apiScanTask(c *fiber.Ctx) error {
	if len(c.Body()) > maxScanBytes {
		return wms.Errf(wms.CodeInvalid, "pick.scan_too_large", "max", strconv.Itoa(maxScanBytes>>10))
	}
	var req scanRequest
	if err := bodyJSON(c, &req); err != nil {
		return err
	}
	ctx, note := wms.WithTaskNote(c.UserContext())
	c.SetUserContext(ctx)
	t, _, err := s.applyScan(c, c.Params("id"), req)
	if err != nil {
		return err
	}
	// The task as the ledger stored it right after the scan; a repeated key
	// gets these same bytes back from the ledger (Idempotency-Replayed says
	// it is one), so the answer made from them is the first one. A first
	// call's answer is made from the task the ledger made those bytes from
	// (not decoded from them again).
	if task, ok := note.Task(); ok {
		return c.JSON(scanOutcome{Task: newTaskOut(task)})
	}
	out, err := newScanOutcome(t)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (s *Server) apiNextTask(c *fiber.Ctx) error {
	t, err := s.ledger.NextTask(c.UserContext(), principal(c).Actor(), device(c))
	if err != nil {
		return err
	}
	return c.JSON(newTaskOut(t))
}

func (s *Server) apiTask(c *fiber.Ctx) error {
	t, err := s.ledger.Task(c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(newTaskOut(t))
}

// pickPage shows the task in hand; the page's script does the scanning,
// checks what it can without the network and queues scans through outages.
func (s *Server) pickPage(c *fiber.Ctx) error {
	t, err := s.ledger.ActiveTaskOf(principal(c).Actor())
	if err != nil {
		return err
	}
	vm := views.PickPage{Page: s.page(c, "pick.title"), ShortReasons: wms.ShortReasons}
	if t != nil {
		raw, err := json.Marshal(t)
		if err != nil {
			return err
		}
		vm.TaskID, vm.TaskJSON, vm.Kind = t.ID, string(raw), string(t.Kind)
		vm.Patterns = s.scanPatterns()
	}
	if c.Query("none") != "" {
		vm.Feedback = okFeedback("task.none", nil)
	}
	return s.render(c, fiber.StatusOK, views.Pick(vm))
}

// scanPatterns gives the pick script the patterns of locations and totes, so
// it can say what a scan was without asking. Go and JavaScript read these
// simple expressions alike; the script ignores one it cannot compile.
func (s *Server) scanPatterns() string {
	src := func(re *regexp.Regexp) string {
		if re == nil {
			return ""
		}
		return re.String()
	}
	raw, _ := json.Marshal(map[string]string{"location": src(s.scanner.Patterns.Location), "tote": src(s.scanner.Patterns.Tote)})
	return string(raw)
}

func (s *Server) pickNext(c *fiber.Ctx) error {
	if _, err := s.ledger.NextTask(c.UserContext(), principal(c).Actor(), device(c)); err != nil {
		if wms.ErrorCode(err) == wms.CodeNotFound {
			return c.Redirect("/pick?none=1", fiber.StatusSeeOther)
		}
		return err
	}
	return c.Redirect("/pick", fiber.StatusSeeOther)
}
