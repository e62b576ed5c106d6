package views

// Charts drawn on the server as SVG: no chart library runs in the browser. Each chart is a
// function of its data and the language only, so the same figures give the same bytes (golden
// files under testdata/ hold them). The drawing is sized in a 360-unit-wide viewBox, so one
// user unit is a CSS pixel on a 360 px handheld and the chart grows with a wall screen's
// width; text is 12 units, never smaller than 11.
//
// Every label that comes from outside (names, hours) is cleaned and escaped; values that are
// not numbers (NaN, ±Inf) draw nothing and say so in words; negative values draw no bar.

import (
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/a-h/templ"
)

// ChartPoint is one value of a chart: X names its category (a person, an hour), Y its value.
type ChartPoint struct {
	X string
	Y float64
}

// ChartSeries is one named run of values: a person's or a kind of work's figures by hour, or
// one value per person.
type ChartSeries struct {
	Name   string
	Points []ChartPoint
}

// Bands are the colour bands of performance, in percent: at least Green is green, at least
// Amber (and under Green) is amber, under Amber is red.
type Bands struct {
	Green, Amber float64
}

// DefaultBands are the defaults: green ≥ 95 %, amber 80–95 %, red < 80 %.
var DefaultBands = Bands{Green: 95, Amber: 80}

// Band names the band of a performance v: "green", "amber", "red", or "" when v is not a
// number.
func (b Bands) Band(v float64) string {
	switch {
	case !finite(v):
		return ""
	case v >= b.Green:
		return "green"
	case v >= b.Amber:
		return "amber"
	default:
		return "red"
	}
}

// Colours: dark enough for white backgrounds and a projector, told apart by more than hue
// (the legend and the description say the band in words too).
var bandColour = map[string]string{"green": "#1b7f3b", "amber": "#c27c00", "red": "#c62828"}

// seriesColours are the lines of the hourly chart, in order (Okabe–Ito, darkened).
var seriesColours = []string{"#0b62a4", "#d55e00", "#009e73", "#8e44ad", "#b8860b", "#cc3d8f", "#2c3e50", "#56a0d3"}

// The time split's layers.
const (
	colourDirect   = "#0b62a4"
	colourIndirect = "#8a9099"
	colourGap      = "#e07b00"
)

// Layout in viewBox units.
const (
	chartW      = 360.0
	chartFont   = 12.0
	chartSmall  = 11.0
	nameRight   = 92.0  // names end here (text-anchor end)
	barLeft     = 98.0  // bars start here
	barRight    = 298.0 // and end here at the axis maximum
	valueRight  = 356.0 // values end here
	rowH        = 26.0
	barH        = 16.0
	maxNameEm   = 7.2 // names longer than this (in em) are clipped with "…"
	maxXLabelEm = 6.0
	legendRowH  = 18.0
	maxDescRows = 60 // rows of data spelled out in <desc>
)

// MaxChartRows is the most people a ranking or time split chart draws (the first ones); a
// row under them says how many more there are, whom the dashboard's table lists.
const MaxChartRows = 60

// RankingChart draws performance per person as horizontal bars, highest first, each coloured
// by its band, with a dashed line at target (none when target is not above zero). perf's
// points are people (X) and their performance in percent (Y); a Y that is not a number shows
// "too little data".
func RankingChart(perf ChartSeries, b Bands, target float64) templ.Component {
	return chartComponent(func(lang string) string { return RankingSVG(lang, perf, b, target) })
}

// HourlyChart draws one line per series over the hours (the points' X, in order of first
// appearance), a dashed line at target when it is above zero, and shades the area under the
// line when there is one series. yTitle is the catalogue key of the values' measure (for
// example "chart.lines_per_hour"). A point whose Y is not a number breaks its line.
func HourlyChart(series []ChartSeries, yTitle string, target float64) templ.Component {
	return chartComponent(func(lang string) string { return HourlySVG(lang, series, yTitle, target) })
}

// TimeSplitChart draws each person's direct, indirect and unexplained gap time as one
// stacked bar. The three series hold seconds per person (X); people come in order of first
// appearance. Negative or missing values count as nothing.
func TimeSplitChart(direct, indirect, gap ChartSeries) templ.Component {
	return chartComponent(func(lang string) string { return TimeSplitSVG(lang, direct, indirect, gap) })
}

func chartComponent(draw func(lang string) string) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		_, err := io.WriteString(w, draw(Lang(ctx)))
		return err
	})
}

// RankingSVG is RankingChart as a string, in lang.
func RankingSVG(lang string, perf ChartSeries, b Bands, target float64) string {
	title := Translate(lang, "chart.ranking_title", nil)
	rows := slices.Clone(perf.Points)
	if len(rows) == 0 {
		return emptyChart(lang, title)
	}
	// Highest first; people without a figure last; ties by name so the order is fixed.
	slices.SortStableFunc(rows, func(a, c ChartPoint) int {
		fa, fc := finite(a.Y), finite(c.Y)
		switch {
		case fa && !fc:
			return -1
		case !fa && fc:
			return 1
		case fa && fc && a.Y != c.Y:
			if a.Y > c.Y {
				return -1
			}
			return 1
		}
		return strings.Compare(a.X, c.X)
	})
	more := max(0, len(rows)-MaxChartRows)
	rows = rows[:len(rows)-more]
	hasTarget := finite(target) && target > 0
	top := 8.0
	if hasTarget {
		top = 22
	}
	hi := 100.0
	for _, p := range rows {
		if finite(p.Y) && p.Y > hi {
			hi = p.Y
		}
	}
	for _, v := range []float64{target, b.Green} {
		if finite(v) && v > hi {
			hi = v
		}
	}
	ticks := niceTicksN(0, hi, 5) // percent labels are wide: fewer of them
	axisMax := ticks[len(ticks)-1]
	x := func(v float64) float64 { return barLeft + (barRight-barLeft)*(v/axisMax) }
	plotBottom := top + rowH*float64(len(rows)+min(more, 1))

	var s svg
	// Grid and tick labels.
	for _, t := range ticks {
		s.line(x(t), top, x(t), plotBottom, "#d0d4da", 1, "")
		s.text(x(t), plotBottom+14, chartSmall, "middle", "#333", percent(lang, t, 0))
	}
	s.line(barLeft, top, barLeft, plotBottom, "#333", 1, "")
	s.text((barLeft+barRight)/2, plotBottom+31, chartFont, "middle", "#333", Translate(lang, "chart.performance", nil))
	var desc []string
	for i, p := range rows {
		y := top + rowH*float64(i)
		mid := y + rowH/2
		name := cleanLabel(p.X)
		s.text(nameRight, mid+4, chartFont, "end", "#111", clip(name, maxNameEm))
		if !finite(p.Y) {
			words := Translate(lang, "chart.too_little_data", nil)
			s.text(barLeft+4, mid+4, chartSmall, "start", "#555", words)
			desc = append(desc, name+": "+words)
			continue
		}
		band := b.Band(p.Y)
		if p.Y > 0 {
			s.rect(barLeft, mid-barH/2, x(p.Y)-barLeft, barH, bandColour[band])
		}
		value := percent(lang, p.Y, 0)
		s.text(valueRight, mid+4, chartFont, "end", "#111", value)
		desc = append(desc, name+": "+value+" ("+Translate(lang, "chart.band_"+band+"_word", nil)+")")
	}
	s.more(lang, more, plotBottom-rowH/2, &desc)
	if hasTarget {
		tx := x(target)
		s.line(tx, top-4, tx, plotBottom, "#111", 1.5, "5 3")
		s.text(tx, top-8, chartSmall, "middle", "#111", Translate(lang, "chart.target", map[string]string{"value": percent(lang, target, 0)}))
	}
	// Legend: the three bands.
	ly := plotBottom + 52
	items := []legendItem{
		{bandColour["green"], Translate(lang, "chart.band_green", map[string]string{"value": percent(lang, b.Green, 0)})},
		{bandColour["amber"], Translate(lang, "chart.band_amber", map[string]string{"low": percent(lang, b.Amber, 0), "high": percent(lang, b.Green, 0)})},
		{bandColour["red"], Translate(lang, "chart.band_red", map[string]string{"value": percent(lang, b.Amber, 0)})},
	}
	height := s.legend(items, ly, 2) + 6
	if hasTarget {
		desc = append([]string{Translate(lang, "chart.target", map[string]string{"value": percent(lang, target, 0)})}, desc...)
	}
	return s.wrap(lang, title, desc, height)
}

// HourlySVG is HourlyChart as a string, in lang.
func HourlySVG(lang string, series []ChartSeries, yTitle string, target float64) string {
	title := Translate(lang, "chart.hourly_title", nil)
	var xs []string
	seen := map[string]int{}
	lo, hi := 0.0, 0.0
	for _, se := range series {
		for _, p := range se.Points {
			if _, ok := seen[p.X]; !ok {
				seen[p.X] = len(xs)
				xs = append(xs, p.X)
			}
			if finite(p.Y) {
				lo, hi = math.Min(lo, p.Y), math.Max(hi, p.Y)
			}
		}
	}
	if len(xs) == 0 {
		return emptyChart(lang, title)
	}
	hasTarget := finite(target) && target > 0
	if hasTarget {
		hi = math.Max(hi, target)
	}
	ticks := niceTicks(lo, hi)
	yMin, yMax := ticks[0], ticks[len(ticks)-1]
	const left, right, top, bottom = 46.0, 350.0, 16.0, 168.0
	slot := (right - left) / float64(len(xs))
	px := func(i int) float64 { return left + slot*(float64(i)+0.5) }
	py := func(v float64) float64 { return bottom - (bottom-top)*((plotClamp(v)-yMin)/(yMax-yMin)) }

	var s svg
	for _, t := range ticks {
		s.line(left, py(t), right, py(t), "#d0d4da", 1, "")
		s.text(left-4, py(t)+4, chartSmall, "end", "#333", number(t, decimalsFor(ticks)))
	}
	s.line(left, bottom, right, bottom, "#333", 1, "")
	// Hour labels: as many as fit without touching.
	widest := 0.0
	for _, x := range xs {
		widest = math.Max(widest, textEm(clip(cleanLabel(x), maxXLabelEm)))
	}
	step := max(1, int(math.Ceil((widest*chartSmall+4)/slot)))
	for i, x := range xs {
		if i%step == 0 {
			s.text(px(i), bottom+14, chartSmall, "middle", "#333", clip(cleanLabel(x), maxXLabelEm))
		}
	}
	s.text((left+right)/2, bottom+31, chartFont, "middle", "#333", Translate(lang, "chart.hour", nil))
	s.textRotated(12, (top+bottom)/2, chartFont, Translate(lang, yTitle, nil))

	var items []legendItem
	var desc []string
	if hasTarget {
		desc = append(desc, Translate(lang, "chart.target", map[string]string{"value": figure(target)}))
	}
	for si, se := range series {
		colour := seriesColours[si%len(seriesColours)]
		dash := ""
		if si >= len(seriesColours) {
			dash = "6 3"
		}
		var path, area strings.Builder
		var parts []string
		open := false
		firstX, lastX := 0.0, 0.0
		flushArea := func() {
			if open && len(series) == 1 {
				fmt.Fprintf(&area, "L%s %sL%s %sZ", f1(lastX), f1(py(math.Max(yMin, 0))), f1(firstX), f1(py(math.Max(yMin, 0))))
			}
		}
		for _, p := range se.Points {
			i := seen[p.X]
			if !finite(p.Y) {
				flushArea()
				open = false
				parts = append(parts, cleanLabel(p.X)+" —")
				continue
			}
			cx, cy := px(i), py(p.Y)
			if open {
				fmt.Fprintf(&path, "L%s %s", f1(cx), f1(cy))
				if len(series) == 1 {
					fmt.Fprintf(&area, "L%s %s", f1(cx), f1(cy))
				}
			} else {
				fmt.Fprintf(&path, "M%s %s", f1(cx), f1(cy))
				if len(series) == 1 {
					fmt.Fprintf(&area, "M%s %sL%s %s", f1(cx), f1(py(math.Max(yMin, 0))), f1(cx), f1(cy))
				}
				firstX = cx
				open = true
			}
			lastX = cx
			parts = append(parts, cleanLabel(p.X)+" "+figure(p.Y))
		}
		flushArea()
		if area.Len() > 0 {
			fmt.Fprintf(&s.b, `<path d="%s" fill="%s" fill-opacity="0.15" stroke="none"/>`, area.String(), colour)
		}
		if path.Len() > 0 {
			fmt.Fprintf(&s.b, `<path d="%s" fill="none" stroke="%s" stroke-width="2" stroke-linejoin="round"`, path.String(), colour)
			if dash != "" {
				fmt.Fprintf(&s.b, ` stroke-dasharray="%s"`, dash)
			}
			s.b.WriteString("/>")
		}
		for _, p := range se.Points {
			if finite(p.Y) {
				fmt.Fprintf(&s.b, `<circle cx="%s" cy="%s" r="2.5" fill="%s"/>`, f1(px(seen[p.X])), f1(py(p.Y)), colour)
			}
		}
		name := cleanLabel(se.Name)
		items = append(items, legendItem{colour, name})
		if len(parts) > 24 {
			parts = parts[:24]
		}
		desc = append(desc, name+": "+strings.Join(parts, ", "))
	}
	if hasTarget {
		ty := py(target)
		s.line(left, ty, right, ty, "#111", 1.5, "5 3")
		s.text(right, ty-4, chartSmall, "end", "#111", Translate(lang, "chart.target", map[string]string{"value": figure(target)}))
	}
	height := s.legend(items, bottom+52, 3) + 6
	return s.wrap(lang, title, desc, height)
}

// TimeSplitSVG is TimeSplitChart as a string, in lang.
func TimeSplitSVG(lang string, direct, indirect, gap ChartSeries) string {
	title := Translate(lang, "chart.split_title", nil)
	layers := []struct {
		key, colour string
		s           ChartSeries
	}{{"chart.direct", colourDirect, direct}, {"chart.indirect", colourIndirect, indirect}, {"chart.gap", colourGap, gap}}
	var people []string
	value := map[string]*[3]float64{}
	for li, l := range layers {
		for _, p := range l.s.Points {
			v, ok := value[p.X]
			if !ok {
				v = new([3]float64)
				value[p.X] = v
				people = append(people, p.X)
			}
			if finite(p.Y) && p.Y > 0 {
				v[li] += p.Y / 3600
			}
		}
	}
	if len(people) == 0 {
		return emptyChart(lang, title)
	}
	more := max(0, len(people)-MaxChartRows)
	people = people[:len(people)-more]
	hi := 1.0
	for _, person := range people {
		v := value[person]
		hi = math.Max(hi, v[0]+v[1]+v[2])
	}
	ticks := niceTicks(0, hi)
	axisMax := ticks[len(ticks)-1]
	x := func(h float64) float64 { return barLeft + (barRight-barLeft)*(h/axisMax) }
	const top = 8.0
	plotBottom := top + rowH*float64(len(people)+min(more, 1))
	var s svg
	for _, t := range ticks {
		s.line(x(t), top, x(t), plotBottom, "#d0d4da", 1, "")
		s.text(x(t), plotBottom+14, chartSmall, "middle", "#333", number(t, decimalsFor(ticks)))
	}
	s.line(barLeft, top, barLeft, plotBottom, "#333", 1, "")
	s.text((barLeft+barRight)/2, plotBottom+31, chartFont, "middle", "#333", Translate(lang, "chart.hours_axis", nil))
	var desc []string
	for i, person := range people {
		v := value[person]
		mid := top + rowH*float64(i) + rowH/2
		name := cleanLabel(person)
		s.text(nameRight, mid+4, chartFont, "end", "#111", clip(name, maxNameEm))
		at := 0.0
		var parts []string
		for li, l := range layers {
			if v[li] > 0 {
				s.rect(x(at), mid-barH/2, x(at+v[li])-x(at), barH, l.colour)
			}
			at += v[li]
			parts = append(parts, Translate(lang, l.key, nil)+" "+hours(lang, v[li]))
		}
		s.text(valueRight, mid+4, chartFont, "end", "#111", hours(lang, at))
		desc = append(desc, name+": "+strings.Join(parts, ", "))
	}
	s.more(lang, more, plotBottom-rowH/2, &desc)
	items := make([]legendItem, len(layers))
	for i, l := range layers {
		items[i] = legendItem{l.colour, Translate(lang, l.key, nil)}
	}
	height := s.legend(items, plotBottom+52, 3) + 6
	return s.wrap(lang, title, desc, height)
}

// more says, in the row centred on mid, how many people were left out of the chart.
func (s *svg) more(lang string, n int, mid float64, desc *[]string) {
	if n == 0 {
		return
	}
	words := Translate(lang, "chart.more", map[string]string{"n": strconv.Itoa(n)})
	s.text(nameRight, mid+4, chartSmall, "end", "#555", words)
	*desc = append(*desc, words)
}

// emptyChart is a chart's frame saying there is nothing to draw.
func emptyChart(lang, title string) string {
	var s svg
	words := Translate(lang, "chart.no_data", nil)
	s.b.WriteString(`<rect x="0.5" y="0.5" width="359" height="59" fill="none" stroke="#d0d4da"/>`)
	s.text(chartW/2, 34, chartFont, "middle", "#555", words)
	return s.wrap(lang, title, []string{words}, 60)
}

// svg collects a chart's drawing.
type svg struct{ b strings.Builder }

func (s *svg) line(x1, y1, x2, y2 float64, colour string, width float64, dash string) {
	fmt.Fprintf(&s.b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="%s"`, f1(x1), f1(y1), f1(x2), f1(y2), colour, f1(width))
	if dash != "" {
		fmt.Fprintf(&s.b, ` stroke-dasharray="%s"`, dash)
	}
	s.b.WriteString("/>")
}

func (s *svg) rect(x, y, w, h float64, colour string) {
	fmt.Fprintf(&s.b, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s"/>`, f1(x), f1(y), f1(math.Max(w, 0)), f1(h), colour)
}

// text draws t (already cleaned, not escaped) at x, y.
func (s *svg) text(x, y, size float64, anchor, colour, t string) {
	fmt.Fprintf(&s.b, `<text x="%s" y="%s" font-size="%s" text-anchor="%s" fill="%s">%s</text>`, f1(x), f1(y), f1(size), anchor, colour, esc(t))
}

// textRotated draws a vertical axis title centred on x, y, reading upwards.
func (s *svg) textRotated(x, y, size float64, t string) {
	fmt.Fprintf(&s.b, `<text x="%s" y="%s" font-size="%s" text-anchor="middle" fill="#333" transform="rotate(-90 %s %s)">%s</text>`,
		f1(x), f1(y), f1(size), f1(x), f1(y), esc(clip(cleanLabel(t), 14)))
}

type legendItem struct{ colour, text string }

// legend lays items out from y in rows of perRow and returns the y below it.
func (s *svg) legend(items []legendItem, y float64, perRow int) float64 {
	w := (chartW - 8) / float64(perRow)
	for i, it := range items {
		col, row := i%perRow, i/perRow
		lx, ly := 4+w*float64(col), y+legendRowH*float64(row)
		s.rect(lx, ly-9, 10, 10, it.colour)
		s.text(lx+14, ly, chartSmall, "start", "#111", clip(it.text, (w-18)/chartSmall))
	}
	rows := (len(items) + perRow - 1) / perRow
	return y + legendRowH*float64(max(rows, 1)-1) + 6
}

// wrap puts the drawing into an accessible svg element: role img, a title and a description
// that spells out the data for screen readers. The ids come from the content, so two charts
// on one page have different ids and the same chart always has the same.
func (s *svg) wrap(lang, title string, desc []string, height float64) string {
	if len(desc) > maxDescRows {
		desc = append(desc[:maxDescRows:maxDescRows], "…")
	}
	body := s.b.String()
	descText := strings.Join(desc, "; ")
	h := fnv.New32a()
	io.WriteString(h, lang+"\x00"+title+"\x00"+descText+"\x00"+body)
	id := fmt.Sprintf("chart-%08x", h.Sum32())
	var b strings.Builder
	b.Grow(len(body) + len(descText) + 512)
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 %s %s" width="100%%" preserveAspectRatio="xMidYMin meet" role="img" aria-labelledby="%s-t %s-d" lang="%s" font-family="system-ui, sans-serif">`,
		f1(chartW), f1(height), id, id, esc(lang))
	fmt.Fprintf(&b, `<title id="%s-t">%s</title><desc id="%s-d">%s</desc>`, id, esc(title), id, esc(descText))
	b.WriteString(body)
	b.WriteString("</svg>")
	return b.String()
}

// niceTicks returns 2 to 7 evenly spaced round values from at most lo to at least hi (lo ≤ 0 ≤
// hi is assumed by callers: bars and lines start at zero).
func niceTicks(lo, hi float64) []float64 { return niceTicksN(lo, hi, 6) }

// niceTicksN is niceTicks with at most n intervals (n ≥ 3).
func niceTicksN(lo, hi float64, n float64) []float64 {
	if !finite(lo) || lo > 0 {
		lo = 0
	}
	if !finite(hi) || hi <= lo {
		hi = lo + 1
	}
	lo, hi = plotClamp(lo), plotClamp(hi) // so that hi - lo stays a number
	span := hi - lo
	// step = tenths × 10^(exp-1), tenths one of 10, 20, 25, 50, 100: ticks are computed as
	// whole multiples divided by a power of ten, so 0.6 comes out as 0.6.
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
	if ticks[len(ticks)-1] <= ticks[0] || !finite(ticks[len(ticks)-1]) { // hi beyond what floats step through
		return []float64{0, math.Max(hi, 1)}
	}
	return ticks
}

// decimalsFor is how many decimals the tick labels need.
func decimalsFor(ticks []float64) int {
	if len(ticks) < 2 {
		return 0
	}
	step := ticks[1] - ticks[0]
	switch {
	case step >= 1:
		return 0
	case step >= 0.1:
		return 1
	default:
		return 2
	}
}

// plotClamp keeps a value where differences of two values are still numbers.
func plotClamp(v float64) float64 { return max(-1e300, min(1e300, v)) }

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// f1 writes a coordinate with one decimal, the precision the drawing needs.
func f1(v float64) string {
	if !finite(v) {
		return "0"
	}
	s := strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
	if s == "-0" {
		return "0"
	}
	return s
}

// number formats v with decimals and thousands separators (12,345.6): both languages group
// digits this way. Values too large for that are written in exponent form; a value that is
// not a number is "—".
func number(v float64, decimals int) string {
	if !finite(v) {
		return "—"
	}
	if math.Abs(v) >= 1e15 {
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	if neg && strings.Trim(whole+frac, "0") != "" {
		b.WriteByte('-')
	}
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}

// figure formats v with one decimal, or none when it is whole.
func figure(v float64) string {
	if v == math.Trunc(v) {
		return number(v, 0)
	}
	return number(v, 1)
}

// FormatNumber formats a figure for lang: grouped digits, the given decimals, "—" when it is
// not a number.
func FormatNumber(lang string, v float64, decimals int) string {
	return Translate(lang, "chart.number", map[string]string{"value": number(v, decimals)})
}

func percent(lang string, v float64, decimals int) string {
	return Translate(lang, "chart.percent", map[string]string{"value": number(v, decimals)})
}

func hours(lang string, h float64) string {
	return Translate(lang, "chart.hours", map[string]string{"value": number(h, 1)})
}

// cleanLabel makes outside text fit for one line of SVG: invalid UTF-8 becomes "?", control
// characters (which XML forbids) become spaces, runs of spaces shrink to one.
func cleanLabel(s string) string {
	var b strings.Builder
	space := false
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case r == utf8.RuneError && n <= 1:
			r = '?'
		case unicode.IsControl(r) || unicode.IsSpace(r) || r == 0xFFFE || r == 0xFFFF || (r >= 0xD800 && r <= 0xDFFF):
			r = ' '
		}
		if r == ' ' {
			if space || b.Len() == 0 {
				continue
			}
			space = true
		} else {
			space = false
		}
		b.WriteRune(r)
	}
	return strings.TrimRight(b.String(), " ")
}

// textEm estimates the width of s in em, generously so that a clipped label fits: Chinese and
// other wide characters take one, capitals and wide symbols eight tenths, narrow letters and
// punctuation a third, the rest six tenths.
func textEm(s string) float64 {
	w := 0.0
	for _, r := range s {
		w += runeEm(r)
	}
	return w
}

func runeEm(r rune) float64 {
	if unicode.Is(unicode.Han, r) || (r >= 0x3000 && r <= 0x30FF) || (r >= 0xFF00 && r <= 0xFFEF) || (r >= 0xAC00 && r <= 0xD7AF) {
		return 1
	}
	switch {
	case strings.ContainsRune("il.,:;'|!()[] ", r):
		return 0.34
	case r >= 'A' && r <= 'Z', strings.ContainsRune("mw<>&=+~%@#\"*_", r):
		return 0.8
	}
	return 0.6
}

// clip shortens s to at most em wide, ending it with "…" when it was cut.
func clip(s string, em float64) string {
	if textEm(s) <= em {
		return s
	}
	w := runeEm('…')
	for i, r := range s {
		w += runeEm(r)
		if w > em {
			return strings.TrimRight(s[:i], " ") + "…"
		}
	}
	return s
}

// esc escapes text for XML content and attribute values.
func esc(s string) string {
	return xmlEscaper.Replace(s)
}

var xmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;")

// ReportLabels returns the words of a printed report in lang: each key's catalogue entry under
// prefix (the daily report: ReportLabels(lang, "daily.", printing.DailyReportLabelKeys())).
func ReportLabels(lang, prefix string, keys []string) map[string]string {
	m := make(map[string]string, len(keys))
	for _, k := range keys {
		m[k] = Translate(lang, prefix+k, nil)
	}
	return m
}
