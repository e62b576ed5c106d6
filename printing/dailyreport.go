package printing

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jung-kurt/gofpdf"
)

// DailyReportData is what the printed daily staff report shows: the figures of a period
// (usually one day) per person and in total, the targets and colour bands they are judged
// by, hourly series and the unexplained gaps with their reasons. Names, roles and measures
// come in the reader's words already; the report's own words come in Labels.
type DailyReportData struct {
	Warehouse string
	// From and To bound the period (To exclusive). Both at midnight in Zone: whole days.
	From, To time.Time
	Zone     *time.Location // nil: UTC
	// Generated is when the report was made, printed in its header.
	Generated time.Time
	Peak      bool // peak mode (Double 11): the targets are the peak ones

	// Labels holds the report's words in its language under DailyReportLabelKeys
	// (views.ReportLabels(lang, "daily.", DailyReportLabelKeys())). A missing key prints as
	// itself, so a missing translation shows.
	Labels map[string]string

	Totals ReportFigures
	People []ReportPerson

	// Hourly are series over the hours of the period (a person's or a kind of work's lines
	// per hour, say), drawn as lines; HourlyMeasure names their unit in the reader's words,
	// HourlyTarget draws a dashed line when above zero.
	Hourly        []ReportSeries
	HourlyMeasure string
	HourlyTarget  float64

	// PerformanceTarget draws a dashed line on the ranking when above zero (usually 100).
	PerformanceTarget float64
	Bands             ReportBands
	Targets           []ReportTarget
	Gaps              []ReportGap

	FontPath string    // "" → FindFont("")
	Created  time.Time // PDF metadata; zero gives a fixed date, so the same data gives the same bytes
}

// ReportFigures are one person's figures, or the totals.
type ReportFigures struct {
	Lines, Units, Orders, Received, PutAway, Returns, Counts int64
	WrongScans, ShortPicks, WeightRejects, Overrides, Undos  int64
	SecondsPerOrder                                          float64 // at the pack station; NaN: none
	PickAccuracy, PackAccuracy                               float64 // percent; NaN: none
	Direct, Indirect, Gap                                    time.Duration
}

// Errors is the number of wrong scans, short picks, weight rejects, overrides and undos.
func (f ReportFigures) Errors() int64 {
	return f.WrongScans + f.ShortPicks + f.WeightRejects + f.Overrides + f.Undos
}

// ReportPerson is one row of the ranking.
type ReportPerson struct {
	Name, Badge, Role string // Role in the reader's words
	Temporary         bool   // temporary staff: marked, their ramp-up read apart
	// Performance (earned ÷ direct) and Utilisation (direct ÷ paid − breaks) in percent; NaN
	// when there is too little data.
	Performance, Utilisation float64
	ReportFigures
}

// ReportSeries is one line of the hourly chart.
type ReportSeries struct {
	Name   string
	Points []ReportPoint
}

// ReportPoint is one value of a series: X the hour as shown ("08:00"), Y the value; NaN
// breaks the line.
type ReportPoint struct {
	X string
	Y float64
}

// ReportBands are the performance colour bands in percent: at least Green is green, at
// least Amber amber, below red. Zero values take the defaults, 95 and 80.
type ReportBands struct{ Green, Amber float64 }

// ReportTarget is one per-role target, e.g. picker · lines per hour · 80.
type ReportTarget struct {
	Role, Measure string // in the reader's words
	Value         float64
}

// ReportGap is one unexplained gap between scans, with the reason chosen for it ("" when
// nobody has chosen one yet).
type ReportGap struct {
	Person     string
	Start, End time.Time
	Reason     string // in the reader's words
}

// DailyReportLabelKeys are the keys of DailyReportData.Labels, in a fixed order.
func DailyReportLabelKeys() []string {
	return slices.Clone(dailyLabelKeys)
}

var dailyLabelKeys = []string{
	"title", "peak", "period", "generated", "totals",
	"lines", "units", "orders", "sec_per_order", "received", "put_away", "returns", "counts",
	"wrong_scans", "short_picks", "weight_rejects", "overrides", "undos", "errors",
	"pick_accuracy", "pack_accuracy", "direct", "indirect", "gap", "direct_hours", "gap_hours",
	"ranking", "rank", "person", "role", "performance", "utilisation",
	"targets", "measure", "target",
	"gaps", "start", "end", "duration", "reason", "reason_none", "no_gaps",
	"no_data", "too_little_data", "hourly", "time_split", "temporary", "page", "hour", "hours_unit",
	"band_green", "band_amber", "band_red", "performance_axis", "more",
}

// Layout of the daily report (A4 landscape), in millimetres and points.
const (
	dailyMargin     = 12.0
	dailyFooterRoom = 7.0
	dailyRowH       = 5.2
	dailySectionH   = 8.0
	dailyChartRows  = 30    // people drawn in a chart; the ranking table lists everyone
	dailyChartMaxH  = 148.0 // the most a chart takes: what is left of a page under the header and a section title
)

// Colours as RGB.
var (
	dailyGreen    = [3]int{27, 127, 59}
	dailyAmber    = [3]int{194, 124, 0}
	dailyRed      = [3]int{198, 40, 40}
	dailyDirect   = [3]int{11, 98, 164}
	dailyIndirect = [3]int{138, 144, 153}
	dailyGapC     = [3]int{224, 123, 0}
	dailySeries   = [][3]int{{11, 98, 164}, {213, 94, 0}, {0, 158, 115}, {142, 68, 173}, {184, 134, 11}, {204, 61, 143}, {44, 62, 80}, {86, 160, 211}}
)

// DailyReport writes the daily staff report as an A4 landscape PDF to w, in lang (LangZH
// "zh-CN" or "en": dates are written the language's way; the words come from r.Labels).
// Everything is drawn as vector text, lines and bars. The output depends only on r, lang and
// the font. Nothing is written to w when rendering fails.
func DailyReport(w io.Writer, r DailyReportData, lang string) (err error) {
	defer func() {
		if p := recover(); p != nil { // gofpdf panics on some malformed input
			err = fmt.Errorf("printing: render daily report: %v", p)
		}
	}()
	if lang != "zh-CN" && lang != "en" {
		return fmt.Errorf("printing: daily report: unknown language %q (zh-CN or en)", lang)
	}
	if r.Zone == nil {
		r.Zone = time.UTC
	}
	if r.Bands.Green == 0 && r.Bands.Amber == 0 {
		r.Bands = ReportBands{Green: 95, Amber: 80}
	}
	pdf, err := newDocument(docOptions{
		orientation: "L",
		size:        "A4",
		margin:      dailyMargin,
		fontPath:    r.FontPath,
		created:     r.Created,
		title:       r.label("title"),
	})
	if err != nil {
		return err
	}
	d := newDailyRenderer(pdf, r, lang)
	d.render()
	return output(pdf, w)
}

func (r DailyReportData) label(key string) string {
	if s, ok := r.Labels[key]; ok && s != "" {
		return cleanLine(s)
	}
	return key
}

type dailyRenderer struct {
	pdf    *gofpdf.Fpdf
	r      DailyReportData
	lang   string
	left   float64
	width  float64
	bottom float64
	pageH  float64
	people []ReportPerson // ranked
}

func newDailyRenderer(pdf *gofpdf.Fpdf, r DailyReportData, lang string) *dailyRenderer {
	pw, ph := pdf.GetPageSize()
	d := &dailyRenderer{
		pdf: pdf, r: r, lang: lang,
		left:   dailyMargin,
		width:  pw - 2*dailyMargin,
		bottom: ph - dailyMargin - dailyFooterRoom,
		pageH:  ph,
		people: rankPeople(r.People),
	}
	pdf.SetAutoPageBreak(true, dailyMargin+dailyFooterRoom)
	pdf.SetHeaderFunc(d.header)
	pdf.SetFooterFunc(d.footer)
	return d
}

// rankPeople orders people best first, those without a figure last, ties by name and badge.
func rankPeople(in []ReportPerson) []ReportPerson {
	out := slices.Clone(in)
	slices.SortStableFunc(out, func(a, b ReportPerson) int {
		fa, fb := finiteF(a.Performance), finiteF(b.Performance)
		switch {
		case fa && !fb:
			return -1
		case !fa && fb:
			return 1
		case fa && fb && a.Performance != b.Performance:
			if a.Performance > b.Performance {
				return -1
			}
			return 1
		}
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.Badge, b.Badge)
	})
	return out
}

func (d *dailyRenderer) l(key string) string { return d.r.label(key) }

func (d *dailyRenderer) font(pt float64, gray int) {
	d.pdf.SetFont(fontFamily, "", pt)
	d.pdf.SetTextColor(gray, gray, gray)
}

func (d *dailyRenderer) cell(w, h float64, txt, border, align string, fill bool) {
	d.pdf.CellFormat(w, h, fitText(d.pdf, txt, w), border, 0, align, fill, 0, "")
}

func (d *dailyRenderer) fits(h float64) bool { return d.pdf.GetY()+h <= d.bottom+1e-9 }

func (d *dailyRenderer) header() {
	pdf := d.pdf
	pdf.SetXY(d.left, dailyMargin)
	d.font(15, 0)
	title := d.l("title")
	if d.r.Peak {
		title += " · " + d.l("peak")
	}
	d.cell(d.width*0.7, 8, title, "", "L", false)
	d.font(10, 60)
	pdf.SetXY(d.left+d.width*0.7, dailyMargin)
	d.cell(d.width*0.3, 8, cleanLine(d.r.Warehouse), "", "R", false)
	pdf.Ln(8)
	pdf.SetX(d.left)
	d.font(9, 60)
	line := d.l("period") + ": " + d.period()
	if !d.r.Generated.IsZero() {
		line += "    " + d.l("generated") + ": " + d.dateTime(d.r.Generated)
	}
	d.cell(d.width, 5, line, "", "L", false)
	pdf.Ln(5)
	y := pdf.GetY() + 1.5
	pdf.SetDrawColor(0, 0, 0)
	pdf.SetLineWidth(0.4)
	pdf.Line(d.left, y, d.left+d.width, y)
	pdf.SetLineWidth(0.2)
	pdf.SetXY(d.left, y+3)
	d.font(10, 0)
}

func (d *dailyRenderer) footer() {
	pdf := d.pdf
	y := d.pageH - dailyMargin - 5
	pdf.SetDrawColor(150, 150, 150)
	pdf.SetLineWidth(0.2)
	pdf.Line(d.left, y-1, d.left+d.width, y-1)
	d.font(8.5, 90)
	pdf.SetXY(d.left, y)
	pdf.CellFormat(d.width, 5, fmt.Sprintf("%s %d/%s", d.l("page"), pdf.PageNo(), pageCountAlias), "", 0, "C", false, 0, "")
}

func (d *dailyRenderer) render() {
	d.pdf.AddPage()
	d.totals()
	d.targets()
	d.charts()
	d.rankingTable()
	d.gaps()
}

// section starts a titled section, on a new page when the title and need more millimetres
// do not fit.
func (d *dailyRenderer) section(title string, need float64) {
	if !d.fits(dailySectionH + need) {
		d.pdf.AddPage()
	}
	d.pdf.SetX(d.left)
	d.font(12, 0)
	d.cell(d.width, dailySectionH, title, "", "L", false)
	d.pdf.Ln(dailySectionH)
}

func (d *dailyRenderer) totals() {
	t := d.r.Totals
	boxes := []struct{ key, value string }{
		{"lines", integer(t.Lines)}, {"units", integer(t.Units)}, {"orders", integer(t.Orders)},
		{"sec_per_order", decimal(t.SecondsPerOrder, 1)}, {"received", integer(t.Received)}, {"put_away", integer(t.PutAway)},
		{"returns", integer(t.Returns)}, {"counts", integer(t.Counts)}, {"wrong_scans", integer(t.WrongScans)},
		{"short_picks", integer(t.ShortPicks)}, {"weight_rejects", integer(t.WeightRejects)}, {"overrides", integer(t.Overrides)},
		{"undos", integer(t.Undos)}, {"pick_accuracy", pct(t.PickAccuracy, 1)}, {"pack_accuracy", pct(t.PackAccuracy, 1)},
		{"direct", d.hours(t.Direct)}, {"indirect", d.hours(t.Indirect)}, {"gap", d.hours(t.Gap)},
	}
	const perRow, boxH = 6, 12.0
	rows := (len(boxes) + perRow - 1) / perRow
	d.section(d.l("totals"), boxH*float64(rows))
	pdf := d.pdf
	bw := d.width / perRow
	y0 := pdf.GetY()
	pdf.SetDrawColor(190, 190, 190)
	for i, b := range boxes {
		x := d.left + bw*float64(i%perRow)
		y := y0 + boxH*float64(i/perRow)
		pdf.Rect(x, y, bw, boxH, "D")
		pdf.SetXY(x, y+0.5)
		d.font(7.5, 90)
		d.cell(bw, 4, d.l(b.key), "", "L", false)
		pdf.SetXY(x, y+4.8)
		d.font(12, 0)
		d.cell(bw, 6.5, b.value, "", "R", false)
	}
	pdf.SetXY(d.left, y0+boxH*float64(rows)+4)
}

func (d *dailyRenderer) targets() {
	if len(d.r.Targets) == 0 {
		return
	}
	d.section(d.l("targets"), dailyRowH*2)
	cols := []dailyCol{{d.l("role"), 50, "L"}, {d.l("measure"), 60, "L"}, {d.l("target"), 30, "R"}}
	rows := make([][]string, len(d.r.Targets))
	for i, t := range d.r.Targets {
		rows[i] = []string{cleanLine(t.Role), cleanLine(t.Measure), decimalTrim(t.Value)}
	}
	d.table(cols, rows, nil)
	d.pdf.Ln(4)
}

// charts draws the ranking and the hourly trend side by side, then the time split.
func (d *dailyRenderer) charts() {
	pdf := d.pdf
	n := min(len(d.people), dailyChartRows)
	// A chart fits on one page under the header: with many people its rows get thinner.
	chartH := min(dailyChartMaxH, math.Max(70, 12+5.5*float64(n)+22))
	half := (d.width - 8) / 2
	d.section(d.l("ranking")+"  /  "+d.l("hourly"), chartH)
	y := pdf.GetY()
	d.rankingChart(d.left, y, half, chartH)
	d.hourlyChart(d.left+half+8, y, half, chartH)
	pdf.SetXY(d.left, y+chartH+4)

	splitH := min(dailyChartMaxH, math.Max(40, 8+5.5*float64(n)+20))
	d.section(d.l("time_split"), splitH)
	y = pdf.GetY()
	d.splitChart(d.left, y, d.width, splitH)
	pdf.SetXY(d.left, y+splitH+4)
}

// more notes under a chart how many people it left out (the ranking table lists them all).
func (d *dailyRenderer) more(x, y float64) {
	if n := len(d.people) - dailyChartRows; n > 0 {
		d.font(7, 90)
		d.text(x, y, strings.ReplaceAll(d.l("more"), "{n}", strconv.Itoa(n)), "L")
	}
}

func (d *dailyRenderer) noData(x, y, w, h float64) {
	d.pdf.SetDrawColor(200, 200, 200)
	d.pdf.Rect(x, y, w, h, "D")
	d.font(10, 90)
	d.pdf.SetXY(x, y+h/2-3)
	d.cell(w, 6, d.l("no_data"), "", "C", false)
}

func (d *dailyRenderer) rankingChart(x, y, w, h float64) {
	pdf := d.pdf
	people := d.people[:min(len(d.people), dailyChartRows)]
	if len(people) == 0 {
		d.noData(x, y, w, h)
		return
	}
	const nameW, valueW = 30.0, 16.0
	barL, barR := x+nameW+2, x+w-valueW
	top, plotB := y+6, y+h-22
	rowH := (plotB - top) / float64(len(people))
	hi := 100.0
	for _, p := range people {
		if finiteF(p.Performance) {
			hi = math.Max(hi, p.Performance)
		}
	}
	for _, v := range []float64{d.r.PerformanceTarget, d.r.Bands.Green} {
		if finiteF(v) {
			hi = math.Max(hi, v)
		}
	}
	ticks := ticksFor(0, hi, 5)
	axisMax := ticks[len(ticks)-1]
	px := func(v float64) float64 { return barL + (barR-barL)*(v/axisMax) }
	pdf.SetLineWidth(0.15)
	for _, t := range ticks {
		pdf.SetDrawColor(208, 212, 218)
		pdf.Line(px(t), top, px(t), plotB)
		d.font(7, 50)
		d.text(px(t), plotB+3.5, pct(t, 0), "C")
	}
	pdf.SetDrawColor(50, 50, 50)
	pdf.Line(barL, top, barL, plotB)
	d.font(8, 50)
	d.text((barL+barR)/2, plotB+8, d.l("performance_axis"), "C")
	barH := math.Min(4, rowH*0.7)
	for i, p := range people {
		mid := top + rowH*(float64(i)+0.5)
		d.font(math.Min(8, math.Max(5.5, rowH*2)), 0)
		d.textFit(x, mid, nameW, d.personName(p), "R")
		if !finiteF(p.Performance) {
			d.font(7, 90)
			d.textFit(barL+1, mid, barR-barL, d.l("too_little_data"), "L")
			continue
		}
		if p.Performance > 0 {
			c := d.bandColour(p.Performance)
			pdf.SetFillColor(c[0], c[1], c[2])
			pdf.Rect(barL, mid-barH/2, px(p.Performance)-barL, barH, "F")
		}
		d.font(math.Min(8, math.Max(5.5, rowH*2)), 0)
		d.textFit(barR, mid, valueW, pct(p.Performance, 0), "R")
	}
	if t := d.r.PerformanceTarget; finiteF(t) && t > 0 {
		d.dashed(px(t), top-2, px(t), plotB)
		d.font(7, 0)
		d.text(px(t), top-3, d.l("target")+" "+pct(t, 0), "C")
	}
	d.more(x, plotB+3.5)
	b := d.r.Bands
	d.legend(x, plotB+12, w, []dailyLegend{
		{dailyGreen, d.l("band_green") + " ≥ " + pct(b.Green, 0)},
		{dailyAmber, d.l("band_amber") + " " + pct(b.Amber, 0) + " - " + pct(b.Green, 0)},
		{dailyRed, d.l("band_red") + " < " + pct(b.Amber, 0)},
	})
}

func (d *dailyRenderer) hourlyChart(x, y, w, h float64) {
	pdf := d.pdf
	var xs []string
	at := map[string]int{}
	lo, hi := 0.0, 0.0
	for _, s := range d.r.Hourly {
		for _, p := range s.Points {
			if _, ok := at[p.X]; !ok {
				at[p.X] = len(xs)
				xs = append(xs, p.X)
			}
			if finiteF(p.Y) {
				lo, hi = math.Min(lo, p.Y), math.Max(hi, p.Y)
			}
		}
	}
	if len(xs) == 0 {
		d.noData(x, y, w, h)
		return
	}
	target := d.r.HourlyTarget
	hasTarget := finiteF(target) && target > 0
	if hasTarget {
		hi = math.Max(hi, target)
	}
	ticks := ticksFor(lo, hi, 6)
	yMin, yMax := ticks[0], ticks[len(ticks)-1]
	left, right, top, bottom := x+14, x+w-2, y+6, y+h-22
	slot := (right - left) / float64(len(xs))
	px := func(i int) float64 { return left + slot*(float64(i)+0.5) }
	py := func(v float64) float64 { return bottom - (bottom-top)*((plotClamp(v)-yMin)/(yMax-yMin)) }
	pdf.SetLineWidth(0.15)
	for _, t := range ticks {
		pdf.SetDrawColor(208, 212, 218)
		pdf.Line(left, py(t), right, py(t))
		d.font(7, 50)
		d.text(left-1, py(t), decimalTrim(t), "R")
	}
	pdf.SetDrawColor(50, 50, 50)
	pdf.Line(left, bottom, right, bottom)
	d.font(7, 50)
	widest := 0.0
	for _, s := range xs {
		widest = math.Max(widest, pdf.GetStringWidth(cleanLine(s)))
	}
	step := max(1, int(math.Ceil((widest+1.5)/slot)))
	for i, s := range xs {
		if i%step == 0 {
			d.text(px(i), bottom+3.5, cleanLine(s), "C")
		}
	}
	d.font(8, 50)
	d.text((left+right)/2, bottom+8, d.l("hour")+"  ("+cleanLine(d.r.HourlyMeasure)+")", "C")
	var items []dailyLegend
	for si, s := range d.r.Hourly {
		c := dailySeries[si%len(dailySeries)]
		pdf.SetDrawColor(c[0], c[1], c[2])
		pdf.SetFillColor(c[0], c[1], c[2])
		pdf.SetLineWidth(0.5)
		if si >= len(dailySeries) {
			pdf.SetDashPattern([]float64{1.5, 0.8}, 0)
		}
		var prev *[2]float64
		for _, p := range s.Points {
			if !finiteF(p.Y) {
				prev = nil
				continue
			}
			pt := [2]float64{px(at[p.X]), py(p.Y)}
			if prev != nil {
				pdf.Line(prev[0], prev[1], pt[0], pt[1])
			}
			pdf.Circle(pt[0], pt[1], 0.6, "F")
			prev = &pt
		}
		pdf.SetDashPattern(nil, 0)
		items = append(items, dailyLegend{c, cleanLine(s.Name)})
	}
	pdf.SetLineWidth(0.2)
	if hasTarget {
		d.dashed(left, py(target), right, py(target))
		d.font(7, 0)
		d.text(right, py(target)-2, d.l("target")+" "+decimalTrim(target), "R")
	}
	d.legend(x, bottom+12, w, items)
}

func (d *dailyRenderer) splitChart(x, y, w, h float64) {
	pdf := d.pdf
	people := d.people[:min(len(d.people), dailyChartRows)]
	if len(people) == 0 {
		d.noData(x, y, w, h)
		return
	}
	const nameW, valueW = 34.0, 20.0
	barL, barR := x+nameW+2, x+w-valueW
	top, plotB := y+2, y+h-18
	rowH := (plotB - top) / float64(len(people))
	hi := 1.0
	for _, p := range people {
		hi = math.Max(hi, (nonNeg(p.Direct) + nonNeg(p.Indirect) + nonNeg(p.Gap)).Hours())
	}
	ticks := ticksFor(0, hi, 8)
	axisMax := ticks[len(ticks)-1]
	px := func(v float64) float64 { return barL + (barR-barL)*(v/axisMax) }
	pdf.SetLineWidth(0.15)
	for _, t := range ticks {
		pdf.SetDrawColor(208, 212, 218)
		pdf.Line(px(t), top, px(t), plotB)
		d.font(7, 50)
		d.text(px(t), plotB+3.5, decimalTrim(t), "C")
	}
	pdf.SetDrawColor(50, 50, 50)
	pdf.Line(barL, top, barL, plotB)
	d.font(8, 50)
	d.text((barL+barR)/2, plotB+8, d.l("hours_unit"), "C")
	barH := math.Min(4, rowH*0.7)
	for i, p := range people {
		mid := top + rowH*(float64(i)+0.5)
		d.font(math.Min(8, math.Max(5.5, rowH*2)), 0)
		d.textFit(x, mid, nameW, d.personName(p), "R")
		at := 0.0
		for _, part := range []struct {
			v time.Duration
			c [3]int
		}{{p.Direct, dailyDirect}, {p.Indirect, dailyIndirect}, {p.Gap, dailyGapC}} {
			hrs := nonNeg(part.v).Hours()
			if hrs > 0 {
				pdf.SetFillColor(part.c[0], part.c[1], part.c[2])
				pdf.Rect(px(at), mid-barH/2, px(at+hrs)-px(at), barH, "F")
			}
			at += hrs
		}
		d.textFit(barR, mid, valueW, decimal(at, 1)+" "+d.l("hours_unit"), "R")
	}
	d.more(x, plotB+3.5)
	d.legend(x, plotB+12, w, []dailyLegend{{dailyDirect, d.l("direct")}, {dailyIndirect, d.l("indirect")}, {dailyGapC, d.l("gap")}})
}

func (d *dailyRenderer) rankingTable() {
	cols := []dailyCol{
		{d.l("rank"), 8, "R"}, {d.l("person"), 30, "L"}, {d.l("role"), 16, "L"},
		{d.l("performance"), 17, "R"}, {d.l("utilisation"), 16, "R"},
		{d.l("lines"), 14, "R"}, {d.l("units"), 14, "R"}, {d.l("orders"), 14, "R"}, {d.l("sec_per_order"), 15, "R"},
		{d.l("received"), 15, "R"}, {d.l("put_away"), 15, "R"}, {d.l("returns"), 14, "R"}, {d.l("counts"), 13, "R"},
		{d.l("errors"), 13, "R"}, {d.l("pick_accuracy"), 16, "R"}, {d.l("pack_accuracy"), 16, "R"},
		{d.l("direct_hours"), 14, "R"}, {d.l("gap_hours"), 13, "R"},
	}
	d.section(d.l("ranking"), 12+dailyRowH)
	rows := make([][]string, len(d.people))
	fills := make([]*[3]int, len(d.people))
	temporary, tooLittle := false, false
	for i, p := range d.people {
		perf, util := pct(p.Performance, 0), pct(p.Utilisation, 0) // "—" when there is no figure
		if finiteF(p.Performance) {
			c := tint(d.bandColour(p.Performance))
			fills[i] = &c
		}
		tooLittle = tooLittle || !finiteF(p.Performance) || !finiteF(p.Utilisation)
		temporary = temporary || p.Temporary
		rows[i] = []string{
			strconv.Itoa(i + 1), d.personName(p), cleanLine(p.Role), perf, util,
			integer(p.Lines), integer(p.Units), integer(p.Orders), decimal(p.SecondsPerOrder, 0),
			integer(p.Received), integer(p.PutAway), integer(p.Returns), integer(p.Counts),
			integer(p.Errors()), pct(p.PickAccuracy, 1), pct(p.PackAccuracy, 1),
			decimal(nonNeg(p.Direct).Hours(), 1), decimal(nonNeg(p.Gap).Hours(), 1),
		}
	}
	d.table(cols, rows, func(row, col int) *[3]int {
		if col == 3 {
			return fills[row]
		}
		return nil
	})
	var notes []string
	if tooLittle {
		notes = append(notes, "— "+d.l("too_little_data"))
	}
	if temporary {
		notes = append(notes, d.l("temporary"))
	}
	if len(notes) > 0 {
		d.font(8, 60)
		d.pdf.SetX(d.left)
		d.cell(d.width, 5, strings.Join(notes, "    "), "", "L", false)
		d.pdf.Ln(5)
	}
	d.pdf.Ln(4)
}

func (d *dailyRenderer) gaps() {
	gaps := slices.Clone(d.r.Gaps)
	slices.SortStableFunc(gaps, func(a, b ReportGap) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return strings.Compare(a.Person, b.Person)
	})
	d.section(fmt.Sprintf("%s (%d)", d.l("gaps"), len(gaps)), dailyRowH*2)
	if len(gaps) == 0 {
		d.font(9, 90)
		d.pdf.SetX(d.left)
		d.cell(d.width, dailyRowH, d.l("no_gaps"), "", "L", false)
		d.pdf.Ln(dailyRowH)
		return
	}
	cols := []dailyCol{{d.l("person"), 50, "L"}, {d.l("start"), 34, "L"}, {d.l("end"), 34, "L"}, {d.l("duration"), 22, "R"}, {d.l("reason"), d.width - 140, "L"}}
	rows := make([][]string, len(gaps))
	for i, g := range gaps {
		reason := cleanLine(g.Reason)
		if reason == "" {
			reason = d.l("reason_none")
		}
		rows[i] = []string{cleanLine(g.Person), d.clock(g.Start), d.clock(g.End), decimal(g.End.Sub(g.Start).Minutes(), 0), reason}
	}
	d.table(cols, rows, nil)
}

type dailyCol struct {
	title string
	w     float64
	align string
}

// table draws a table whose header (wrapped over two lines when it must) repeats on
// every page; fill may give a cell's background.
func (d *dailyRenderer) table(cols []dailyCol, rows [][]string, fill func(row, col int) *[3]int) {
	pdf := d.pdf
	const headPt, bodyPt = 7.0, 8.0
	headH := 4.0
	d.font(headPt, 0)
	for _, c := range cols {
		if n := len(wrapText(pdf, c.title, c.w)); n > 1 {
			headH = 7
		}
	}
	head := func() {
		pdf.SetDrawColor(170, 170, 170)
		pdf.SetFillColor(228, 228, 228)
		d.font(headPt, 0)
		x, y := d.left, pdf.GetY()
		for _, c := range cols {
			pdf.Rect(x, y, c.w, headH, "FD")
			lines := wrapText(pdf, c.title, c.w)
			if len(lines) > 2 {
				lines = lines[:2]
			}
			ly := y + (headH-3.2*float64(len(lines)))/2
			for _, ln := range lines {
				pdf.SetXY(x, ly)
				d.cell(c.w, 3.2, ln, "", c.align, false)
				ly += 3.2
			}
			x += c.w
		}
		pdf.SetXY(d.left, y+headH)
	}
	if !d.fits(headH + dailyRowH) {
		pdf.AddPage()
	}
	head()
	for ri, row := range rows {
		if !d.fits(dailyRowH) {
			pdf.AddPage()
			head()
		}
		pdf.SetX(d.left)
		d.font(bodyPt, 0)
		for ci, c := range cols {
			filled := false
			if fill != nil {
				if f := fill(ri, ci); f != nil {
					pdf.SetFillColor(f[0], f[1], f[2])
					filled = true
				}
			}
			v := ""
			if ci < len(row) {
				v = row[ci]
			}
			d.cell(c.w, dailyRowH, v, "1", c.align, filled)
		}
		pdf.Ln(dailyRowH)
	}
}

type dailyLegend struct {
	c    [3]int
	text string
}

func (d *dailyRenderer) legend(x, y, w float64, items []dailyLegend) {
	if len(items) == 0 {
		return
	}
	per := min(len(items), 3)
	iw := w / float64(per)
	rows := (len(items) + per - 1) / per
	lh := math.Min(4.5, 10/float64(rows))
	for i, it := range items {
		lx, ly := x+iw*float64(i%per), y+lh*float64(i/per)
		if ly > y+10 {
			break // more series than room: the table holds every figure
		}
		d.pdf.SetFillColor(it.c[0], it.c[1], it.c[2])
		d.pdf.Rect(lx, ly-1.4, 2.8, 2.8, "F")
		d.font(7, 0)
		d.textFit(lx+4, ly, iw-5, it.text, "L")
	}
}

// text writes s with its vertical centre at y, anchored at x by align (L, C, R).
func (d *dailyRenderer) text(x, y float64, s, align string) {
	w := d.pdf.GetStringWidth(s)
	switch align {
	case "C":
		x -= w / 2
	case "R":
		x -= w
	}
	_, size := d.pdf.GetFontSize()
	d.pdf.Text(x, y+size*0.35, s)
}

// textFit writes s shortened to fit w millimetres: anchored at x on the left (L) or at x+w
// on the right when align is R and x is the left edge, or ending at x when x is a right edge.
func (d *dailyRenderer) textFit(x, y, w float64, s, align string) {
	s = fitWidth(s, w, "..", d.pdf.GetStringWidth)
	if align == "R" {
		d.text(x+w, y, s, "R")
		return
	}
	d.text(x, y, s, "L")
}

func (d *dailyRenderer) dashed(x1, y1, x2, y2 float64) {
	d.pdf.SetDrawColor(20, 20, 20)
	d.pdf.SetLineWidth(0.35)
	d.pdf.SetDashPattern([]float64{1.5, 1}, 0)
	d.pdf.Line(x1, y1, x2, y2)
	d.pdf.SetDashPattern(nil, 0)
	d.pdf.SetLineWidth(0.2)
}

func (d *dailyRenderer) bandColour(v float64) [3]int {
	switch {
	case v >= d.r.Bands.Green:
		return dailyGreen
	case v >= d.r.Bands.Amber:
		return dailyAmber
	default:
		return dailyRed
	}
}

// tint lightens a band colour for a table cell's background, so black text stays readable.
func tint(c [3]int) [3]int {
	return [3]int{255 - (255-c[0])/3, 255 - (255-c[1])/3, 255 - (255-c[2])/3}
}

func (d *dailyRenderer) personName(p ReportPerson) string {
	s := cleanLine(p.Name)
	if p.Badge != "" {
		s += " " + cleanLine(p.Badge)
	}
	if p.Temporary {
		s += " *"
	}
	return s
}

func (d *dailyRenderer) hours(v time.Duration) string {
	return decimal(nonNeg(v).Hours(), 1) + " " + d.l("hours_unit")
}

// period writes the report's period: whole days as dates, anything else with times.
func (d *dailyRenderer) period() string {
	from, to := d.r.From.In(d.r.Zone), d.r.To.In(d.r.Zone)
	midnight := func(t time.Time) bool {
		return t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0
	}
	if !from.IsZero() && to.After(from) && midnight(from) && midnight(to) {
		last := to.AddDate(0, 0, -1)
		if last.Format(time.DateOnly) == from.Format(time.DateOnly) {
			return d.date(from)
		}
		return d.date(from) + " - " + d.date(last)
	}
	return d.dateTime(from) + " - " + d.dateTime(to)
}

var zhWeekdays = [...]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}

func (d *dailyRenderer) date(t time.Time) string {
	t = t.In(d.r.Zone)
	if d.lang == "en" {
		return t.Format("Mon 2 Jan 2006")
	}
	return fmt.Sprintf("%d年%d月%d日 %s", t.Year(), int(t.Month()), t.Day(), zhWeekdays[t.Weekday()])
}

func (d *dailyRenderer) dateTime(t time.Time) string {
	return d.date(t) + " " + t.In(d.r.Zone).Format("15:04")
}

// clock writes a time within the report: the hour alone when it falls on the period's first
// day, with the date otherwise.
func (d *dailyRenderer) clock(t time.Time) string {
	t = t.In(d.r.Zone)
	if t.Format(time.DateOnly) == d.r.From.In(d.r.Zone).Format(time.DateOnly) {
		return t.Format("15:04")
	}
	return t.Format("01-02 15:04")
}

// ticksFor returns evenly spaced round values from at most lo to at least hi, at most n
// intervals (the same rule as the screen's charts).
func ticksFor(lo, hi float64, n float64) []float64 {
	if !finiteF(lo) || lo > 0 {
		lo = 0
	}
	if !finiteF(hi) || hi <= lo {
		hi = lo + 1
	}
	lo, hi = plotClamp(lo), plotClamp(hi) // so that hi - lo stays a number
	span := hi - lo
	exp := int(math.Floor(math.Log10(span / 5)))
	tenths := 100.0
	for _, m := range []float64{10, 20, 25, 50} {
		if span/(m*math.Pow(10, float64(exp-1))) <= n {
			tenths = m
			break
		}
	}
	tick := func(k float64) float64 {
		if exp-1 < 0 {
			return k * tenths / math.Pow(10, float64(1-exp))
		}
		return k * tenths * math.Pow(10, float64(exp-1))
	}
	first := math.Floor(lo / tick(1))
	var ticks []float64
	for i := 0.0; i < 12; i++ {
		t := tick(first + i)
		ticks = append(ticks, t)
		if t >= hi-tick(1)*1e-9 {
			break
		}
	}
	if ticks[len(ticks)-1] <= ticks[0] || !finiteF(ticks[len(ticks)-1]) {
		return []float64{0, math.Max(hi, 1)}
	}
	return ticks
}

// plotClamp keeps a value where differences of two values are still numbers.
func plotClamp(v float64) float64 { return max(-1e300, min(1e300, v)) }

func finiteF(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func nonNeg(v time.Duration) time.Duration { return max(v, 0) }

func integer(v int64) string { return grouped(strconv.FormatInt(v, 10)) }

// decimal writes v with decimals and thousands separators; "—" when v is not a number.
func decimal(v float64, decimals int) string {
	if !finiteF(v) {
		return "—"
	}
	if math.Abs(v) >= 1e15 {
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	if strings.Trim(s, "-0.") == "" {
		s = strings.TrimPrefix(s, "-")
	}
	return grouped(s)
}

// decimalTrim writes v without decimals when it is whole, with one otherwise.
func decimalTrim(v float64) string {
	if v == math.Trunc(v) {
		return decimal(v, 0)
	}
	return decimal(v, 1)
}

func pct(v float64, decimals int) string {
	if !finiteF(v) {
		return "—"
	}
	return decimal(v, decimals) + "%"
}

// grouped puts thousands separators into a formatted number.
func grouped(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	b.WriteString(sign)
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if hasFrac {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}
