package server

import (
	"encoding/csv"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"tally/printing"
	"tally/views"
	"tally/wms"
)

// --- recall ---

// recallReport is the ledger's recall report (wms.RecallReport) in the
// words the screens, files and the API use.
func (s *Server) recallReport(sku, lot string) (wms.Lot, []wms.StockLine, []views.RecallOrder, *views.Message, error) {
	rep, err := s.ledger.RecallReport(sku, lot)
	if err != nil {
		return rep.Lot, nil, nil, nil, err
	}
	lotOf, where, orders, held := s.recallWords(rep)
	return lotOf, where, orders, held, nil
}

// recallWords puts a recall report in the words of the screens, files and the API.
func (s *Server) recallWords(rep wms.RecallReport) (wms.Lot, []wms.StockLine, []views.RecallOrder, *views.Message) {
	var orders []views.RecallOrder
	for _, o := range rep.Orders {
		orders = append(orders, views.RecallOrder{Order: o.Order, Channel: o.Channel, State: string(o.State), Qty: o.Qty, Waybill: strings.Join(o.Waybills, " ")})
		orders[len(orders)-1].Archived = o.Archived
		if o.Unread != nil {
			orders[len(orders)-1].Unread = &views.Message{Key: o.Unread.Key, Args: o.Unread.Args}
		}
	}
	var held *views.Message
	if r := rep.Recalled; r != nil {
		// a supervisor reading the report asks the person by name
		held = &views.Message{Key: "recall.held_by", Args: map[string]string{"name": s.people()(r.Actor),
			"at": r.At.In(s.ledger.Zone()).Format("2006-01-02 15:04"), "reason": r.Reason}}
	}
	return rep.Lot, rep.Locations, orders, held
}

func (s *Server) recallPage(c *fiber.Ctx) error {
	vm := views.RecallPage{Page: s.page(c, "recall.title"), SKU: c.Query("sku"), Lot: c.Query("lot"), Key: uuid.NewString()}
	if vm.SKU != "" && vm.Lot != "" {
		lot, where, orders, held, err := s.recallReport(vm.SKU, vm.Lot)
		if err != nil {
			e := s.asDomain(c, err)
			vm.Feedback = errorFeedback(e)
			return s.render(c, status(e.Code), views.Recall(vm))
		}
		sku, _ := s.ledger.SKU(vm.SKU)
		vm.Report = &views.RecallReport{Name: sku.Name, Expiry: lot.Expiry, Status: "status." + string(lot.Status), Orders: orders, Held: held}
		for _, w := range where {
			vm.Report.Locations = append(vm.Report.Locations, views.StockRow{Location: w.Location, Qty: w.Qty})
			vm.Report.Total += w.Qty
		}
	}
	if c.Query("done") != "" {
		vm.Feedback = okFeedback("recall.done", map[string]string{"sku": vm.SKU, "lot": vm.Lot})
	}
	return s.render(c, fiber.StatusOK, views.Recall(vm))
}

// recall puts a lot, or a list of its serials, on hold everywhere.
func (s *Server) recall(c *fiber.Ctx) error {
	p := wms.LotStatusChange{SKU: strings.TrimSpace(c.FormValue("sku")), Lot: strings.TrimSpace(c.FormValue("lot")), Reason: strings.TrimSpace(c.FormValue("reason"))}
	p.Serials = strings.Fields(c.FormValue("serials"))
	key := formKey(c)
	if _, err := s.ledger.Recall(c.UserContext(), "recall:"+key, p, principal(c).Actor(), device(c)); err != nil {
		e := s.asDomain(c, err)
		vm := views.RecallPage{Page: s.page(c, "recall.title"), SKU: p.SKU, Lot: p.Lot, Key: uuid.NewString()}
		vm.Feedback = errorFeedback(e)
		return s.render(c, status(e.Code), views.Recall(vm))
	}
	s.log.Warn("recall", "sku", p.SKU, "lot", p.Lot, "serials", len(p.Serials), "actor", principal(c).Actor())
	return c.Redirect("/recall?"+url.Values{"done": {"1"}, "sku": {p.SKU}, "lot": {p.Lot}}.Encode(), fiber.StatusSeeOther)
}

// recallFile is the recall report as CSV or PDF.
func (s *Server) recallFile(c *fiber.Ctx) error {
	sku, lotCode, format := c.Query("sku"), c.Query("lot"), c.Params("format")
	lot, where, orders, held, err := s.recallReport(sku, lotCode)
	if err != nil {
		return err
	}
	tr := func(k string) string { return views.Translate(lang(c), k, nil) }
	name := "recall-" + sku + "-" + lotCode
	switch format {
	case "csv":
		c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`.csv"`)
		w := c.Response().BodyWriter()
		_, _ = w.Write([]byte{0xEF, 0xBB, 0xBF})
		cw := csv.NewWriter(w)
		row := func(cells ...string) {
			for i := range cells {
				cells[i] = wms.SpreadsheetSafe(cells[i])
			}
			_ = cw.Write(cells)
		}
		row("kind", "sku", "lot", "location_or_order", "state", "qty", "waybill", "note")
		for _, x := range where {
			row("location", sku, lotCode, x.Location, string(x.Kind), strconv.FormatInt(x.Qty, 10))
		}
		for _, o := range orders {
			if o.Unread != nil { // an archived order this copy cannot read: named, with the reason
				row("order", sku, lotCode, o.Order, o.State, "", o.Waybill, views.Translate(lang(c), o.Unread.Key, o.Unread.Args))
				continue
			}
			row("order", sku, lotCode, o.Order, o.State, strconv.FormatInt(o.Qty, 10), o.Waybill)
		}
		cw.Flush()
		return cw.Error()
	case "pdf":
		font, err := printing.FindFont(s.cfg.FontPath)
		if err != nil {
			return wms.Errf(wms.CodeConflict, "print.no_font", "detail", err.Error())
		}
		skuRec, _ := s.ledger.SKU(sku)
		rep := printing.RecallReport{Title: tr("recall.report_title"), Generated: s.ledger.Now().In(s.ledger.Zone()).Format("2006-01-02 15:04 MST"),
			SKU: sku, SKUName: skuRec.Name, Lot: lotCode, Expiry: lot.Expiry, Status: tr("status." + string(lot.Status)), Labels: map[string]string{}}
		for _, k := range printing.RecallLabelKeys() {
			rep.Labels[k] = tr("recall.label." + k)
		}
		if held != nil {
			rep.Reason = views.Translate(lang(c), held.Key, held.Args)
		}
		for _, x := range where {
			rep.Locations = append(rep.Locations, printing.RecallLocation{Location: x.Location, Zone: x.Zone, Qty: x.Qty})
		}
		for _, o := range orders {
			if o.Unread != nil { // an archived order this copy cannot read
				rep.Orders = append(rep.Orders, printing.RecallOrder{Order: o.Order, Waybill: o.Waybill,
					Unread: tr("recall.unread") + ": " + views.Translate(lang(c), o.Unread.Key, o.Unread.Args)})
				continue
			}
			rep.Orders = append(rep.Orders, printing.RecallOrder{Order: o.Order, Channel: o.Channel, State: tr("orderstate." + o.State), Waybill: o.Waybill, Qty: o.Qty})
		}
		c.Set(fiber.HeaderContentType, "application/pdf")
		c.Set(fiber.HeaderContentDisposition, `inline; filename="`+name+`.pdf"`)
		return printing.WriteRecallPDF(c.Response().BodyWriter(), rep, font)
	}
	return wms.Errf(wms.CodeNotFound, "http.not_found")
}

// apiRecallReport is GET /api/v1/recall?sku=…&lot=….
func (s *Server) apiRecallReport(c *fiber.Ctx) error {
	return s.recallJSON(c, c.Query("sku"), c.Query("lot"))
}

func (s *Server) recallJSON(c *fiber.Ctx, sku, lotCode string) error {
	lot, where, orders, _, err := s.recallReport(sku, lotCode)
	if err != nil {
		return err
	}
	return c.JSON(recallUnread(newRecallOut(lot, where, orders), orders, lang(c)))
}

// apiRecall is POST /api/v1/recall: the recall, answered with its report as
// it stood when the recall was written (a retry gets that report again).
func (s *Server) apiRecall(c *fiber.Ctx) error {
	var in recallIn
	if err := bodyJSON(c, &in); err != nil {
		return err
	}
	p := in.change()
	key, err := idempotencyKey(c)
	if err != nil {
		return err
	}
	rep, err := s.ledger.Recall(c.UserContext(), "recall:"+key, p, principal(c).Actor(), device(c))
	if err != nil {
		return err
	}
	lot, where, orders, _ := s.recallWords(rep)
	return c.JSON(recallUnread(newRecallOut(lot, where, orders), orders, lang(c)))
}

// --- trace ---

// summarize says in one line what an event did to a lot: a message whose
// codes the trace screen marks, and plain words in the API.
func summarize(ev wms.Event, lot string) views.Message {
	var m map[string]any
	_ = ev.DecodeData(&m)
	args := map[string]string{}
	for _, k := range []string{"qty", "location", "from", "to", "order", "status", "reason", "receipt", "delta", "task"} {
		if v, ok := m[k]; ok {
			args[k] = fmtAny(v)
		}
	}
	if no, ok := m["no"].(string); ok && args["order"] == "" {
		args["order"] = no
	}
	switch ev.Type {
	case wms.EvParcelClosed:
		var p wms.ParcelClose
		if ev.DecodeData(&p) == nil && p.Parcel != nil {
			args["waybill"] = p.Parcel.Waybill
		}
	case wms.EvShipped:
		var p wms.ShipConfirm
		_ = ev.DecodeData(&p)
		args["waybill"] = strings.Join(p.Waybills, ", ")
	}
	if ev.Type == wms.EvWaveReleased {
		var p wms.WaveRelease
		_ = ev.DecodeData(&p)
		var nos []string
		for no, lines := range p.Allocs {
			for _, l := range lines {
				for _, a := range l {
					if a.Lot == lot {
						nos = append(nos, no)
					}
				}
			}
		}
		sort.Strings(nos)
		args["order"] = strings.Join(nos, ", ")
	}
	return views.Message{Key: "trace." + ev.Type, Args: args}
}

func fmtAny(v any) string {
	switch x := v.(type) {
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case string:
		return x
	}
	return ""
}

// eventTime is when an event happened, in the warehouse's zone.
func (s *Server) eventTime(ev wms.Event) string {
	return ev.At.In(s.ledger.Zone()).Format("2006-01-02 15:04:05")
}

func (s *Server) traceEvents(c *fiber.Ctx, events []wms.Event, lot string) []traceEventOut {
	out := make([]traceEventOut, 0, len(events))
	for _, ev := range events {
		m := summarize(ev, lot)
		out = append(out, traceEventOut{Seq: ev.Seq, Type: ev.Type, At: s.eventTime(ev),
			Actor: ev.Actor, Device: ev.Device, Summary: views.Translate(lang(c), m.Key, m.Args)})
	}
	return out
}

// apiTrace is GET /api/v1/trace?sku=…&lot=… or ?serial=….
func (s *Server) apiTrace(c *fiber.Ctx) error {
	if serial := c.Query("serial"); serial != "" {
		st, ev, err := s.ledger.SerialTrace(serial)
		if err != nil {
			return err
		}
		o, err := s.ledger.Order(st.Order)
		if err != nil {
			return err
		}
		return c.JSON(serialTraceOut{Serial: serialOut(st), Order: newOrderOut(o), Events: s.traceEvents(c, []wms.Event{ev}, st.Lot)})
	}
	sku, lotCode := c.Query("sku"), c.Query("lot")
	if sku == "" || lotCode == "" {
		return wms.Errf(wms.CodeInvalid, "trace.query_needed")
	}
	lot, events, err := s.ledger.LotTrace(sku, lotCode)
	if err != nil {
		return err
	}
	return c.JSON(lotTraceOut{Lot: newLotOut(lot), Events: s.traceEvents(c, events, lotCode)})
}

func (s *Server) tracePage(c *fiber.Ctx) error {
	vm := views.TracePage{Page: s.page(c, "trace.title"), SKU: c.Query("sku"), Lot: c.Query("lot"), Serial: c.Query("serial")}
	var events []wms.Event
	var err error
	lot := vm.Lot
	switch {
	case vm.Serial != "":
		var st wms.SerialTrace
		var ev wms.Event
		st, ev, err = s.ledger.SerialTrace(vm.Serial)
		if err == nil {
			events, lot = []wms.Event{ev}, st.Lot
			vm.Heading = &views.Message{Key: "trace.serial_in", Args: map[string]string{"serial": st.Serial, "order": st.Order, "sku": st.SKU, "lot": st.Lot}}
		}
	case vm.SKU != "" && vm.Lot != "":
		var l wms.Lot
		l, events, err = s.ledger.LotTrace(vm.SKU, vm.Lot)
		if err == nil {
			vm.Heading = &views.Message{Key: "trace.lot", Args: map[string]string{"sku": l.SKU, "lot": l.Code, "expiry": l.Expiry}}
		}
	}
	if err != nil {
		e := s.asDomain(c, err)
		vm.Feedback = errorFeedback(e)
		return s.render(c, status(e.Code), views.Trace(vm))
	}
	name := s.people()
	for _, ev := range events {
		vm.Rows = append(vm.Rows, views.TraceRow{At: s.eventTime(ev), Actor: name(ev.Actor), Summary: summarize(ev, lot), Type: ev.Type})
	}
	return s.render(c, fiber.StatusOK, views.Trace(vm))
}

// --- expiry ---

func (s *Server) expiryPage(c *fiber.Ctx) error {
	rows, err := s.ledger.NearExpiry()
	if err != nil {
		return err
	}
	vm := views.ExpiryPage{Page: s.page(c, "expiry.title"), Key: uuid.NewString()}
	for _, r := range rows {
		vm.Rows = append(vm.Rows, views.ExpiryRow{SKU: r.SKU, Name: r.Name, Lot: r.Lot, Expiry: r.Expiry, Location: r.Location,
			Qty: r.Qty, DaysLeft: r.DaysLeft, Status: "status." + string(r.Status), InQuarantine: r.Kind == wms.KindQuarantine})
	}
	switch c.Query("done") {
	case "sweep":
		vm.Feedback = okFeedback("expiry.swept", map[string]string{"n": c.Query("n")})
	case "tasks":
		vm.Feedback = okFeedback("expiry.tasks_made", nil)
	}
	return s.render(c, fiber.StatusOK, views.Expiry(vm))
}

// expiryQuarantine makes move-to-quarantine tasks for every listed lot not already there.
func (s *Server) expiryQuarantine(c *fiber.Ctx) error {
	qa, lines, err := s.ledger.NearExpiryToQuarantine()
	if err != nil {
		return err
	}
	if len(lines) == 0 {
		return c.Redirect("/expiry", fiber.StatusSeeOther)
	}
	key := formKey(c)
	if err := s.ledger.CreateMoveTasks(c.UserContext(), "qa:"+key, wms.MoveTasks{To: qa, Lines: lines, Why: "expiry"}, principal(c).Actor(), device(c)); err != nil {
		return err
	}
	return c.Redirect("/expiry?done=tasks", fiber.StatusSeeOther)
}

func (s *Server) expirySweep(c *fiber.Ctx) error {
	expired, err := s.ledger.SweepExpired(c.UserContext())
	if err != nil {
		return err
	}
	return c.Redirect("/expiry?done=sweep&n="+strconv.Itoa(len(expired)), fiber.StatusSeeOther)
}
