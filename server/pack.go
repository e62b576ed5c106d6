package server

import (
	"bytes"
	"cmp"
	"context"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"tally/printing"
	"tally/scan"
	"tally/views"
	"tally/wms"
)

const cookieStation = "tally_station"

// station is the kiosk's packing station: ?station=… once, then remembered.
func (s *Server) station(c *fiber.Ctx) (wms.Station, error) {
	id := c.Query("station")
	if id == "" {
		id = c.FormValue("station")
	}
	if id == "" {
		id = c.Cookies(cookieStation)
	}
	if id == "" {
		stations, err := s.ledger.Stations()
		if err != nil || len(stations) == 0 {
			return wms.Station{}, wms.Errf(wms.CodeNotFound, "station.not_found", "station", "-")
		}
		id = stations[0].ID
	}
	st, err := s.ledger.Station(id)
	if err == nil && c.Cookies(cookieStation) != id {
		s.setCookie(c, cookieStation, id, 365*24*time.Hour)
	}
	return st, err
}

// packModel is the kiosk screen for an order (or the scan prompt without one).
// The kiosk names its order by wms.OrderRef: the number, with the owner in
// front for an owner other than the default one.
func (s *Server) packModel(c *fiber.Ctx, st wms.Station, orderNo string) (views.PackPage, error) {
	vm := views.PackPage{Page: s.page(c, "pack.title"), Station: st.ID, StationName: st.Name, Printer: st.Printer, Key: uuid.NewString(), HasScale: st.Scale != ""}
	owner, no := wms.ParseOrderRef(orderNo)
	books := s.ledger.Books(owner)
	left, err := books.WaybillsLeft()
	if err != nil {
		return vm, err
	}
	// the station's parcels packed and not handed over: none is forgotten on the bench
	waiting, err := s.ledger.AwaitingCarrier(st.ID, 50)
	if err != nil {
		return vm, err
	}
	for _, o := range waiting {
		if ref := wms.OrderRef(o.Owner, o.No); ref != orderNo {
			vm.Awaiting = append(vm.Awaiting, views.AwaitingRow{Order: ref, Carrier: o.Carrier})
		}
	}
	if orderNo == "" {
		return vm, nil
	}
	o, err := books.Order(no)
	if err != nil {
		return vm, err
	}
	ps, err := books.Pack(no)
	if err != nil {
		return vm, err
	}
	vm.Order, vm.State, vm.Carrier = orderNo, string(o.State), o.Carrier
	vm.Recipient = o.Recipient.Name + " " + o.Recipient.Address
	if n, ok := left[o.Carrier]; ok && n < wms.LowWaybillPool {
		vm.LowPool = &views.Message{Key: "pack.pool_low", Args: map[string]string{"account": o.Carrier, "n": strconv.Itoa(n)}}
	}
	inParcels := func(sku, lot string) int64 {
		var n int64
		for _, p := range ps.Parcels {
			for _, it := range p.Items {
				if it.SKU == sku && it.Lot == lot {
					n += it.Qty
				}
			}
		}
		return n
	}
	for _, line := range o.Lines {
		sku, _ := books.SKU(line.SKU)
		for _, a := range line.Allocs {
			if a.Picked == 0 {
				continue
			}
			row := views.PackRow{SKU: line.SKU, Name: sku.Name, Lot: a.Lot, Picked: a.Picked, Serial: sku.SerialTracked}
			for _, it := range ps.Verified {
				if it.SKU == line.SKU && it.Lot == a.Lot {
					row.Verified += it.Qty
				}
			}
			row.Packed = inParcels(line.SKU, a.Lot)
			vm.Rows = append(vm.Rows, row)
		}
	}
	vm.AllChecked = len(vm.Rows) > 0
	for _, r := range vm.Rows {
		vm.AllChecked = vm.AllChecked && r.Verified+r.Packed >= r.Picked
	}
	// each parcel's newest label job at this station: the packer sees whether it printed
	jobs, err := s.ledger.PrintJobs(wms.PrintFilter{Owner: owner, Order: no, Station: st.ID, Limit: 1000})
	if err != nil {
		return vm, err
	}
	for _, p := range ps.Parcels {
		row := views.ParcelRow{N: p.N, Box: p.Box, WeightG: p.WeightG, ExpectedG: p.ExpectedG, Waybill: p.Waybill, Parent: p.Parent, Typed: p.Typed}
		for _, j := range jobs {
			if j.Parcel == p.N {
				jr := jobRow(j, p.Waybill)
				row.Job = &jr
				break
			}
		}
		vm.Parcels = append(vm.Parcels, row)
	}
	if len(ps.Verified) > 0 {
		vm.CanClose = true
		box, err := books.SuggestBox(ps.Verified)
		if err == nil || wms.ErrorCode(err) == wms.CodeConflict {
			vm.SuggestBox = box.Code
		}
	}
	boxes, err := s.ledger.Boxes()
	if err != nil {
		return vm, err
	}
	for _, b := range boxes {
		vm.Boxes = append(vm.Boxes, views.BoxOption{Code: b.Code, Name: b.Name, LengthMM: b.LengthMM, WidthMM: b.WidthMM, HeightMM: b.HeightMM})
	}
	vm.CanShip = o.State == wms.OrderPacked
	return vm, nil
}

func (s *Server) renderPack(c *fiber.Ctx, st wms.Station, orderNo string, fb *views.Feedback, status int) error {
	vm, err := s.packModel(c, st, orderNo)
	if err != nil {
		return err
	}
	vm.Feedback = fb
	return s.render(c, status, views.Pack(vm))
}

// orderFromScan reads a tote (which knows its order's owner), a parcel's
// waybill, or an order number typed or scanned by hand (orderByHand: an
// owner-qualified ref, or a number only one owner has) into the kiosk's
// order ref.
func (s *Server) orderFromScan(c *fiber.Ctx, code string) (string, error) {
	if strings.Contains(code, " ") { // BEIBEI SO900001, typed
		owner, no, err := s.orderByHand(c, code, "pack.order_ambiguous")
		return wms.OrderRef(owner, no), err
	}
	r, err := s.scanner.Parse(code)
	if err != nil {
		return "", scanError(err)
	}
	switch r.Kind {
	case scan.KindTote:
		owner, no, err := s.ledger.OrderInTote(r.Code)
		return wms.OrderRef(owner, no), err
	case scan.KindWaybill:
		if owner, no, ok, err := s.ledger.OrderOfWaybill(r.Code); ok || err != nil {
			return wms.OrderRef(owner, no), err
		}
	case scan.KindOrder, scan.KindUnknown:
		owner, no, err := s.orderByHand(c, r.Code, "pack.order_ambiguous")
		return wms.OrderRef(owner, no), err
	}
	return "", wms.Errf(wms.CodeInvalid, "pack.scan_tote_invalid", "code", code)
}

func (s *Server) packPage(c *fiber.Ctx) error {
	st, err := s.station(c)
	if err != nil {
		return err
	}
	orderNo := c.Query("order")
	if code := strings.TrimSpace(c.Query("code")); code != "" {
		if orderNo, err = s.orderFromScan(c, code); err != nil {
			e := s.asDomain(c, err)
			return s.renderPack(c, st, "", errorFeedback(e), status(e.Code))
		}
		return openPack(c, st, orderNo, "")
	}
	vm, err := s.packModel(c, st, orderNo)
	if err != nil {
		return err
	}
	if no := c.Query("shipped"); no != "" {
		if o, err := s.order(no); err == nil && o.State == wms.OrderShipped {
			key := "pack.shipped"
			if orderNo != "" {
				key = "pack.shipped_other"
			}
			vm.Feedback = okFeedback(key, map[string]string{"order": no})
		}
	} else if orderNo != "" && len(vm.Awaiting) > 0 {
		// another order opens while one is packed and not handed over
		vm.Feedback = okFeedback("pack.awaiting", map[string]string{"n": strconv.Itoa(len(vm.Awaiting)), "order": vm.Awaiting[0].Order})
	}
	return s.render(c, fiber.StatusOK, views.Pack(vm))
}

// order reads an order by its ref (wms.OrderRef).
func (s *Server) order(ref string) (wms.Order, error) {
	owner, no := wms.ParseOrderRef(ref)
	return s.ledger.Books(owner).Order(no)
}

// openPack sends the kiosk to the page of an order (or of none), so that the
// address bar names what is on screen and a reload shows it again; shipped
// is an order just handed to the carrier, said on that page.
func openPack(c *fiber.Ctx, st wms.Station, orderNo, shipped string) error {
	q := url.Values{"station": {st.ID}}
	if orderNo != "" {
		q.Set("order", orderNo)
	}
	if shipped != "" {
		q.Set("shipped", shipped)
	}
	return c.Redirect("/pack?"+q.Encode(), fiber.StatusSeeOther)
}

// packScan answers a code scanned into the kiosk's scan box.
func (s *Server) packScan(c *fiber.Ctx) error {
	st, err := s.station(c)
	if err != nil {
		return err
	}
	return s.packCode(c, st, c.FormValue("order"), strings.TrimSpace(c.FormValue("code")))
}

// plausibleWeight is what the weight field holds when a person typed a weight
// (grams, at most 100 kg; a decimal point is refused as a weight). Anything
// else came from the scanner: a GTIN is 8 to 14 digits, a tote or GS1 scan has
// letters or brackets.
var plausibleWeight = regexp.MustCompile(`^[0-9]{1,6}(?:[.,][0-9]{1,3})?$`)

// packCode answers a code scanned at the kiosk while an order is open, from the
// scan box or from the weight field (the scanner types wherever the focus is):
// an item of the order is checked; a tote or order number opens that order,
// unless this one has checked items waiting for their parcel.
func (s *Server) packCode(c *fiber.Ctx, st wms.Station, orderNo, code string) error {
	r, err := s.scanner.Parse(code)
	if err == nil && r.GTIN == "" {
		err = s.openOrderFromScan(c, st, orderNo, code, r.Kind)
		if err == nil {
			return nil
		}
	} else if err != nil {
		err = scanError(err)
	}
	owner, no := wms.ParseOrderRef(orderNo)
	if err == nil {
		_, err = s.ledger.PackScan(c.UserContext(), formKey(c), wms.PackScan{Owner: owner, Order: no, Station: st.ID, GTIN: r.GTIN, Lot: r.Batch, Serial: r.Serial, Qty: 1},
			principal(c).Actor(), device(c))
	}
	if err != nil {
		e := s.asDomain(c, err)
		return s.renderPack(c, st, orderNo, errorFeedback(e), status(e.Code))
	}
	// the packer checks against the SKU and its name, not the 14 digits the
	// scanner read: the order's owner's SKU
	sku, err := s.ledger.Books(owner).SKUByGTIN(r.GTIN)
	if err != nil {
		return err
	}
	return s.renderPack(c, st, orderNo, okFeedback("pack.verified", map[string]string{"sku": sku.Code, "name": sku.Name}), fiber.StatusOK)
}

// openOrderFromScan opens the order of a tote or order number scanned while
// orderNo is open, and renders it; the error says why it did not.
func (s *Server) openOrderFromScan(c *fiber.Ctx, st wms.Station, orderNo, code string, kind scan.Kind) error {
	next, err := s.orderFromScan(c, code)
	if err != nil {
		if kind == scan.KindTote || kind == scan.KindOrder {
			return err
		}
		return wms.Errf(wms.CodeInvalid, "pack.code_unknown", "code", code)
	}
	if next != orderNo && orderNo != "" {
		// checked items on the bench belong in this order's parcel before the next tote
		owner, no := wms.ParseOrderRef(orderNo)
		ps, err := s.ledger.Books(owner).Pack(no)
		if err != nil {
			return err
		}
		if len(ps.Verified) > 0 {
			return wms.Errf(wms.CodeConflict, "pack.finish_first", "order", orderNo, "code", code)
		}
	}
	return openPack(c, st, next, "")
}

// packParcel weighs (scale, or the typed weight), closes the parcel and prints its label.
func (s *Server) packParcel(c *fiber.Ctx) error {
	st, err := s.station(c)
	if err != nil {
		return err
	}
	orderNo := c.FormValue("order")
	typed := scan.Normalize(c.FormValue("weight_g"))
	if typed != "" && !plausibleWeight.MatchString(typed) {
		// the scanner typed a code into the weight field: it is a scan, never a
		// weight, and the scale's weight is not taken for it
		return s.packCode(c, st, orderNo, typed)
	}
	owner, no := wms.ParseOrderRef(orderNo)
	p := wms.ParcelClose{Owner: owner, Order: no, Station: st.ID, Box: c.FormValue("box")}
	if typed != "" {
		p.WeightG, err = strconv.Atoi(typed)
		p.Typed = true
		if err != nil || p.WeightG <= 0 {
			err = wms.Errf(wms.CodeInvalid, "pack.weight_invalid", "weight", typed)
		}
	} else {
		var grams float64
		grams, err = s.stableWeight(c.UserContext(), st)
		p.WeightG = int(grams + 0.5)
	}
	if err == nil && c.FormValue("override_badge") != "" {
		err = s.ledger.VerifySupervisor(c.UserContext(), c.FormValue("override_badge"), c.FormValue("override_pin"), device(c))
		p.Override = &wms.Override{Badge: strings.TrimSpace(c.FormValue("override_badge")), Reason: strings.TrimSpace(c.FormValue("override_reason"))}
	}
	var parcel wms.Parcel
	key := formKey(c)
	if err == nil {
		parcel, err = s.ledger.CloseParcel(c.UserContext(), key, p, principal(c).Actor(), device(c))
	}
	if err != nil {
		e := s.asDomain(c, err)
		vm, merr := s.packModel(c, st, orderNo)
		if merr != nil {
			return merr
		}
		// the refused weight is in the message; the field is empty for the next weighing
		vm.Feedback = errorFeedback(e)
		vm.NeedOverride = e.Key == "pack.weight_off" || e.Key == "pack.override_invalid"
		return s.render(c, status(e.Code), views.Pack(vm))
	}
	job, err := s.ledger.RequestPrint(c.UserContext(), key+":print", wms.PrintRequest{Station: st.ID, Kind: "waybill", Owner: owner, Order: no, Parcel: parcel.N},
		principal(c).Actor(), device(c))
	if err != nil {
		return err
	}
	args := map[string]string{"n": strconv.Itoa(parcel.N), "waybill": parcel.Waybill, "weight": strconv.Itoa(parcel.WeightG)}
	return s.renderPrinted(c, st, orderNo, job, args, "pack.parcel_done")
}

// stableWeight asks the station's scale for a settled weight.
func (s *Server) stableWeight(ctx context.Context, st wms.Station) (float64, error) {
	sc, err := s.scaleOf(st)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, 4*time.Second)
	defer cancel()
	r, err := sc.Stable(ctx)
	if err != nil {
		return 0, wms.Errf(wms.CodeConflict, "scale.no_stable", "station", st.ID)
	}
	return r.Grams, nil
}

func (s *Server) packShip(c *fiber.Ctx) error {
	st, err := s.station(c)
	if err != nil {
		return err
	}
	// an order from the list of those awaiting the carrier ships while
	// another (open) stays on screen
	open := c.FormValue("open")
	if open == c.FormValue("order") {
		open = ""
	}
	owner, no := wms.ParseOrderRef(c.FormValue("order"))
	o, err := s.ledger.Books(owner).Ship(c.UserContext(), "handover:"+formKey(c), no, st.ID, principal(c).Actor(), device(c))
	if err != nil {
		e := s.asDomain(c, err)
		return s.renderPack(c, st, cmp.Or(open, c.FormValue("order")), errorFeedback(e), status(e.Code))
	}
	return openPack(c, st, open, wms.OrderRef(o.Owner, o.No))
}

// packReprint prints a parcel's label again, marked as a copy.
func (s *Server) packReprint(c *fiber.Ctx) error {
	st, err := s.station(c)
	if err != nil {
		return err
	}
	n, _ := strconv.Atoi(c.FormValue("parcel"))
	owner, no := wms.ParseOrderRef(c.FormValue("order"))
	job, err := s.ledger.RequestPrint(c.UserContext(), "reprint:"+formKey(c), wms.PrintRequest{Station: st.ID, Kind: "waybill", Owner: owner, Order: no, Parcel: n, Copy: true},
		principal(c).Actor(), device(c))
	if err != nil {
		return err
	}
	return s.renderPrinted(c, st, c.FormValue("order"), job, map[string]string{"n": strconv.Itoa(n)}, "pack.reprinted")
}

// renderPrinted shows the order once the printer has answered for its label
// job (or printWait passed), saying where the label went (printFeedback); a
// station that prints in the browser gets the label to open.
func (s *Server) renderPrinted(c *fiber.Ctx, st wms.Station, orderNo string, job wms.PrintJob, args map[string]string, done string) error {
	job = s.awaitPrint(c.UserContext(), job)
	vm, err := s.packModel(c, st, orderNo)
	if err != nil {
		return err
	}
	vm.Feedback = printFeedback(job, st, args, done)
	if st.Printer == "browser" {
		vm.PrintJob = job.ID
	}
	return s.render(c, fiber.StatusOK, views.Pack(vm))
}

// printWait is how long the kiosk waits for the printer's answer before it
// says the label is still waiting (a network printer answers in well under a second).
const printWait = 5 * time.Second

// awaitPrint wakes the print worker and waits until it has tried the job once
// (or printWait passed), so that the kiosk says what really happened.
func (s *Server) awaitPrint(ctx context.Context, job wms.PrintJob) wms.PrintJob {
	s.kickPrinter()
	ctx, cancel := context.WithTimeout(ctx, printWait)
	defer cancel()
	for job.Tries == 0 {
		// The printer's answer is an event: wait for the next commit, taking
		// the bell before reading so a commit between the two is not missed.
		bell := s.ledger.Committed()
		if j, err := s.ledger.PrintJob(job.ID); err == nil {
			job = j
		}
		if job.Tries > 0 {
			break
		}
		select {
		case <-ctx.Done():
			return job
		case <-bell:
		}
	}
	return job
}

// printFeedback says where the label went: printed on the station's printer,
// opened in this browser, failed with the printer's words, or still waiting.
// done is the message key for a label the printer took; its _browser,
// and the failed and waiting forms, follow from it.
func printFeedback(job wms.PrintJob, st wms.Station, args map[string]string, done string) *views.Feedback {
	args["printer"] = st.Printer
	failed, waiting := "pack.parcel_print_failed", "pack.parcel_print_waiting"
	if job.Copy {
		failed, waiting = "pack.reprint_failed", "pack.reprint_waiting"
	}
	switch {
	case st.Printer == "browser" || job.Status == "browser":
		return okFeedback(done+"_browser", args)
	case job.Status == "sent":
		return okFeedback(done, args)
	case job.Status == "failed":
		args["error"], args["tries"], args["max"] = job.Error, strconv.Itoa(job.Tries), strconv.Itoa(wms.MaxPrintTries*(job.Retries+1))
		return &views.Feedback{Message: views.Message{Key: failed, Args: args}}
	}
	return &views.Feedback{Message: views.Message{Key: waiting, Args: args}}
}

// labelPage is the label on a page of its own that prints itself as it
// loads: the kiosk opens it in a window for a station whose printer is the browser.
func (s *Server) labelPage(c *fiber.Ctx) error {
	job, err := s.ledger.PrintJob(c.Params("job"))
	if err != nil {
		return err
	}
	label, err := s.waybillLabel(job)
	if err != nil {
		return err
	}
	var svg bytes.Buffer
	if err := printing.LabelSVG(&svg, label); err != nil {
		return err
	}
	w, h := label.LabelSize()
	return s.render(c, fiber.StatusOK, views.LabelPrint(views.LabelPrintPage{Job: job.ID, Waybill: label.Waybill, SVG: svg.String(), WidthMM: int(w), HeightMM: int(h)}))
}

// labelPDF serves a job's label as PDF, for the kiosk browser's print dialog.
func (s *Server) labelPDF(c *fiber.Ctx) error {
	job, err := s.ledger.PrintJob(strings.TrimSuffix(c.Params("job"), ".pdf"))
	if err != nil {
		return err
	}
	data, err := s.renderLabel(job, "pdf")
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/pdf")
	return c.Send(data)
}

// apiWeight is GET /api/v1/stations/{id}/weight: the live weight for the kiosk.
func (s *Server) apiWeight(c *fiber.Ctx) error {
	st, err := s.ledger.Station(c.Params("id"))
	if err != nil {
		return err
	}
	sc, err := s.scaleOf(st)
	if err != nil {
		return err
	}
	r, fresh := sc.Latest()
	if !fresh {
		return wms.Errf(wms.CodeConflict, "scale.silent", "station", st.ID)
	}
	return c.JSON(weightOut{Grams: r.Grams, Stable: r.Stable, At: r.At})
}

// apiStation is PUT /api/v1/stations/{id}: a station's scale and printer.
func (s *Server) apiStation(c *fiber.Ctx) error {
	var in stationIn
	if err := bodyJSON(c, &in); err != nil {
		return err
	}
	key, err := idempotencyKey(c)
	if err != nil {
		return err
	}
	saved, err := s.ledger.SaveStation(c.UserContext(), "station:"+key, in.station(c.Params("id")), principal(c).Actor(), device(c))
	if err != nil {
		return err
	}
	s.forgetScale(saved.ID)
	return c.JSON(newStationOut(saved))
}

// apiLoadWaybills is POST /api/v1/waybills {"account":"SF","numbers":[…]}: numbers for a carrier account's pool.
func (s *Server) apiLoadWaybills(c *fiber.Ctx) error {
	var in waybillsIn
	if err := bodyJSON(c, &in); err != nil {
		return err
	}
	p := wms.WaybillLoad{Owner: in.Owner, Account: in.Account, Numbers: in.Numbers}
	key, err := idempotencyKey(c)
	if err != nil {
		return err
	}
	left, err := s.ledger.LoadWaybills(c.UserContext(), "waybills:"+key, p, principal(c).Actor(), device(c))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(waybillsOut{Owner: s.ledger.Books(p.Owner).Owner(), Account: p.Account, Left: left})
}
