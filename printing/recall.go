package printing

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/jung-kurt/gofpdf"
)

// RecallReport is what a lot-recall report shows. Every string is already translated and
// formatted by the caller; the renderer only lays it out.
type RecallReport struct {
	Title     string // e.g. "召回报告 / Recall report"
	Generated string // already formatted time, e.g. "2026-11-21 14:05 CST"

	SKU, SKUName, Lot, Expiry, Status, Reason string

	// Labels holds the translated column and section labels under RecallLabelKeys.
	// A missing key falls back to its English label.
	Labels map[string]string

	Locations []RecallLocation // where units of the lot still are
	Orders    []RecallOrder    // orders that took units of it

	// Created is the PDF's metadata creation date. Zero gives a fixed date (1970-01-01 UTC),
	// so that the same report always renders to the same bytes.
	Created time.Time
}

// RecallLocation is a location that still holds units of the recalled lot.
type RecallLocation struct {
	Location, Zone string
	Qty            int64
}

// RecallOrder is an order that took units of the recalled lot.
type RecallOrder struct {
	Order, Channel, State, Waybill string
	Qty                            int64
	// Unread, when set, is why the order could not be read here (its
	// archive file is not on this machine): its units are unknown, so the
	// row shows "?" and the reason is printed under the table.
	Unread string
}

// RecallLabelKeys are the keys of RecallReport.Labels, in a fixed order.
func RecallLabelKeys() []string {
	keys := make([]string, 0, len(recallDefaultLabels))
	for k := range recallDefaultLabels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// recallDefaultLabels are used for the keys a report's Labels lacks.
var recallDefaultLabels = map[string]string{
	"locations":   "Locations",
	"orders":      "Orders",
	"location":    "Location",
	"zone":        "Zone",
	"qty":         "Qty",
	"order":       "Order",
	"channel":     "Channel",
	"state":       "State",
	"picked":      "Picked",
	"waybill":     "Waybill",
	"none":        "None",
	"total":       "Total",
	"sku":         "SKU",
	"lot":         "Lot",
	"expiry":      "Expiry",
	"status":      "Status",
	"reason":      "Reason",
	"generated":   "Generated",
	"page":        "Page",
	"unread":      "Not read",
	"unread_note": "Not read here, and not in the total:",
}

// Layout of the recall report, in millimetres and points.
const (
	recallMargin     = 15.0 // all four sides
	recallFooterRoom = 7.0  // kept free above the bottom margin for the page footer
	recallRowH       = 6.0  // table row
	recallLineH      = 5.5  // line in the SKU/lot block
	recallTitleH     = 8.0  // section title
	recallLabelW     = 35.0 // label column of the SKU/lot block
	recallBodyPt     = 10.0
	recallTablePt    = 9.0
	recallSmallPt    = 8.5
	recallTitlePt    = 15.0
	recallSectionPt  = 11.5
)

// WriteRecallPDF renders the report as an A4 portrait PDF into w using the TrueType font at
// fontPath (a plain .ttf with Chinese glyphs; "" means FindFont("")). The output depends only
// on r and the font: the same report renders to the same bytes. Nothing is written to w when
// rendering fails.
func WriteRecallPDF(w io.Writer, r RecallReport, fontPath string) (err error) {
	defer func() {
		// gofpdf panics on some malformed input; report it instead of crashing the server.
		if p := recover(); p != nil {
			err = fmt.Errorf("printing: render recall report: %v", p)
		}
	}()
	pdf, err := newDocument(docOptions{
		orientation: "P",
		size:        "A4",
		margin:      recallMargin,
		fontPath:    fontPath,
		created:     r.Created,
		title:       r.Title,
	})
	if err != nil {
		return err
	}
	rr := newRecallRenderer(pdf, r)
	rr.render()
	return output(pdf, w)
}

type recallRenderer struct {
	pdf    *gofpdf.Fpdf
	r      RecallReport
	left   float64 // left margin
	width  float64 // content width
	bottom float64 // y below which content must not go (footer room excluded)
	pageH  float64
}

func newRecallRenderer(pdf *gofpdf.Fpdf, r RecallReport) *recallRenderer {
	pw, ph := pdf.GetPageSize()
	rr := &recallRenderer{
		pdf:    pdf,
		r:      r,
		left:   recallMargin,
		width:  pw - 2*recallMargin,
		bottom: ph - recallMargin - recallFooterRoom,
		pageH:  ph,
	}
	pdf.SetAutoPageBreak(true, recallMargin+recallFooterRoom)
	pdf.SetHeaderFunc(rr.header)
	pdf.SetFooterFunc(rr.footer)
	return rr
}

// label returns the translated label for key, cleaned for the PDF.
func (rr *recallRenderer) label(key string) string {
	if s, ok := rr.r.Labels[key]; ok && s != "" {
		return cleanLine(s)
	}
	return recallDefaultLabels[key]
}

func (rr *recallRenderer) font(pt float64, gray int) {
	rr.pdf.SetFont(fontFamily, "", pt)
	rr.pdf.SetTextColor(gray, gray, gray)
}

// cell draws one single-line cell, shortening txt to fit.
func (rr *recallRenderer) cell(w, h float64, txt, border, align string, fill bool) {
	rr.pdf.CellFormat(w, h, fitText(rr.pdf, txt, w), border, 0, align, fill, 0, "")
}

// header runs at the top of every page: title, generated time, rule.
func (rr *recallRenderer) header() {
	pdf := rr.pdf
	pdf.SetXY(rr.left, recallMargin)
	rr.font(recallTitlePt, 0)
	rr.cell(rr.width, 8, cleanLine(rr.r.Title), "", "L", false)
	pdf.Ln(8)
	rr.font(recallSmallPt, 90)
	rr.cell(rr.width, 5, rr.label("generated")+": "+cleanLine(rr.r.Generated), "", "L", false)
	pdf.Ln(5)
	y := pdf.GetY() + 1.5
	pdf.SetDrawColor(0, 0, 0)
	pdf.SetLineWidth(0.4)
	pdf.Line(rr.left, y, rr.left+rr.width, y)
	pdf.SetLineWidth(0.2)
	pdf.SetXY(rr.left, y+4)
	rr.font(recallBodyPt, 0)
}

// footer runs at the bottom of every page: rule, SKU and lot on the left, "page N/M" centred.
func (rr *recallRenderer) footer() {
	pdf := rr.pdf
	y := rr.pageH - recallMargin - 5
	pdf.SetDrawColor(150, 150, 150)
	pdf.SetLineWidth(0.2)
	pdf.Line(rr.left, y-1, rr.left+rr.width, y-1)
	rr.font(recallSmallPt, 90)
	pdf.SetXY(rr.left, y)
	rr.cell(rr.width/3, 5, cleanLine(rr.r.SKU)+"  "+cleanLine(rr.r.Lot), "", "L", false)
	pdf.SetXY(rr.left, y)
	page := fmt.Sprintf("%s %d/%s", rr.label("page"), pdf.PageNo(), pageCountAlias)
	pdf.CellFormat(rr.width, 5, page, "", 0, "C", false, 0, "")
}

// fits tells whether h more millimetres fit on the current page.
func (rr *recallRenderer) fits(h float64) bool {
	return rr.pdf.GetY()+h <= rr.bottom+1e-9
}

func (rr *recallRenderer) render() {
	rr.pdf.AddPage()
	rr.details()
	rr.pdf.Ln(6)

	var locTotal int64
	locRows := make([][]string, 0, len(rr.r.Locations))
	for _, l := range rr.r.Locations {
		locTotal += l.Qty
		locRows = append(locRows, []string{cleanLine(l.Location), cleanLine(l.Zone), strconv.FormatInt(l.Qty, 10)})
	}
	rr.table("locations", []column{
		{"location", 75, "L"},
		{"zone", 65, "L"},
		{"qty", rr.width - 140, "R"},
	}, locRows, []string{rr.label("total"), "", strconv.FormatInt(locTotal, 10)})
	rr.pdf.Ln(6)

	var ordTotal int64
	var unread []string
	ordRows := make([][]string, 0, len(rr.r.Orders))
	for _, o := range rr.r.Orders {
		if o.Unread != "" { // its units are unknown here: "?" and the reason under the table
			ordRows = append(ordRows, []string{cleanLine(o.Order), cleanLine(o.Channel), rr.label("unread"), cleanLine(o.Waybill), "?"})
			unread = append(unread, cleanLine(o.Order)+": "+cleanText(o.Unread))
			continue
		}
		ordTotal += o.Qty
		ordRows = append(ordRows, []string{cleanLine(o.Order), cleanLine(o.Channel), cleanLine(o.State),
			cleanLine(o.Waybill), strconv.FormatInt(o.Qty, 10)})
	}
	rr.table("orders", []column{
		{"order", 44, "L"},
		{"channel", 34, "L"},
		{"state", 30, "L"},
		{"waybill", 44, "L"},
		{"picked", rr.width - 152, "R"},
	}, ordRows, []string{rr.label("total"), "", "", "", strconv.FormatInt(ordTotal, 10)})
	if len(unread) > 0 {
		rr.notes(append([]string{rr.label("unread_note")}, unread...))
	}
}

// notes writes paragraphs under a table, each wrapped to the page's width.
func (rr *recallRenderer) notes(paras []string) {
	pdf := rr.pdf
	pdf.Ln(2)
	rr.font(recallTablePt, 0)
	for _, para := range paras {
		for _, line := range wrapText(pdf, para, rr.width) {
			if !rr.fits(recallLineH) {
				pdf.AddPage()
			}
			pdf.SetX(rr.left)
			rr.cell(rr.width, recallLineH, line, "", "L", false)
			pdf.Ln(recallLineH)
		}
	}
}

// details draws the SKU/lot block: one bordered row per field, values wrapped over as many
// lines as they need, breaking to a new page between lines if it must.
func (rr *recallRenderer) details() {
	pdf := rr.pdf
	sku := cleanLine(rr.r.SKU)
	if name := cleanLine(rr.r.SKUName); name != "" {
		if sku != "" {
			sku += "  "
		}
		sku += name
	}
	fields := []struct{ key, value string }{
		{"sku", sku},
		{"lot", cleanLine(rr.r.Lot)},
		{"expiry", cleanLine(rr.r.Expiry)},
		{"status", cleanLine(rr.r.Status)},
		{"reason", cleanText(rr.r.Reason)},
	}
	valueW := rr.width - recallLabelW
	pdf.SetDrawColor(160, 160, 160)
	pdf.SetFillColor(240, 240, 240)
	for _, f := range fields {
		value := f.value
		if value == "" {
			value = "-"
		}
		rr.font(recallBodyPt, 0)
		lines := wrapText(pdf, value, valueW)
		firstOnPage := true
		for i, line := range lines {
			if !rr.fits(recallLineH) {
				pdf.AddPage()
				firstOnPage = true
			}
			last := i == len(lines)-1 || !rr.fits(2*recallLineH)
			border := "LR"
			if firstOnPage {
				border += "T"
			}
			if last {
				border += "B"
			}
			lbl := ""
			if i == 0 {
				lbl = rr.label(f.key)
			}
			pdf.SetX(rr.left)
			rr.font(recallTablePt, 60)
			rr.cell(recallLabelW, recallLineH, lbl, border, "L", true)
			rr.font(recallBodyPt, 0)
			rr.cell(valueW, recallLineH, line, border, "L", false)
			pdf.Ln(recallLineH)
			firstOnPage = false
		}
	}
}

type column struct {
	key   string // label key of the header
	w     float64
	align string
}

// table draws a titled table whose header row repeats on every page it runs onto, with a
// "none" row when rows is empty and a total row at the end.
func (rr *recallRenderer) table(titleKey string, cols []column, rows [][]string, total []string) {
	pdf := rr.pdf
	title := fmt.Sprintf("%s (%d)", rr.label(titleKey), len(rows))
	// Keep the title, the header row and the first row together.
	if !rr.fits(recallTitleH + 2*recallRowH) {
		pdf.AddPage()
	}
	top := func() {
		pdf.SetX(rr.left)
		rr.font(recallSectionPt, 0)
		rr.cell(rr.width, recallTitleH, title, "", "L", false)
		pdf.Ln(recallTitleH)
		pdf.SetDrawColor(160, 160, 160)
		pdf.SetFillColor(225, 225, 225)
		rr.font(recallTablePt, 0)
		pdf.SetX(rr.left)
		for _, c := range cols {
			rr.cell(c.w, recallRowH, rr.label(c.key), "1", c.align, true)
		}
		pdf.Ln(recallRowH)
	}
	newPageIfFull := func() {
		if !rr.fits(recallRowH) {
			pdf.AddPage()
			top()
		}
	}
	top()
	if len(rows) == 0 {
		rr.font(recallTablePt, 110)
		pdf.SetX(rr.left)
		rr.cell(rr.width, recallRowH, rr.label("none"), "1", "C", false)
		pdf.Ln(recallRowH)
		return
	}
	for i, row := range rows {
		newPageIfFull()
		rr.font(recallTablePt, 0)
		pdf.SetFillColor(247, 247, 247)
		pdf.SetX(rr.left)
		for j, c := range cols {
			rr.cell(c.w, recallRowH, row[j], "1", c.align, i%2 == 1)
		}
		pdf.Ln(recallRowH)
	}
	newPageIfFull()
	rr.font(recallTablePt, 0)
	pdf.SetFillColor(232, 232, 232)
	pdf.SetX(rr.left)
	for j, c := range cols {
		rr.cell(c.w, recallRowH, total[j], "1", c.align, true)
	}
	pdf.Ln(recallRowH)
}
