package printing

import (
	"fmt"
	"math"
	"strings"
)

// A label is laid out once per back-end as a list of elements in millimetres from the top
// left corner of the label; the PDF and the ZPL renderers only draw the elements. Text is
// measured with the back-end's font metrics, so that it is wrapped and shortened for the font
// that really prints it.

// textEl is one line of text. y is the top of the line; size is the font size (em) in mm.
type textEl struct {
	x, y, w, size float64
	s             string
	align         byte // 'L', 'C' or 'R' within [x, x+w]
	white         bool // white on black (drawn over a filled rectEl)
}

// rectEl is a filled black rectangle: rules, frames, the background of inverse text.
type rectEl struct{ x, y, w, h float64 }

// code128El is a Code 128 symbol whose first bar starts at x; its quiet zones lie outside.
type code128El struct {
	x, y float64 // mm, multiples of dotMM
	dots int     // module width in printer dots
	h    float64 // bar height, mm
	code *code128Code
}

func (c code128El) module() float64 { return float64(c.dots) * dotMM }
func (c code128El) width() float64  { return float64(c.code.modules()) * c.module() }

// matrixEl is a QR code or Data Matrix whose top left module is at x, y.
type matrixEl struct {
	x, y float64
	dots int
	code *matrixCode
}

func (m matrixEl) module() float64 { return float64(m.dots) * dotMM }

func (m matrixEl) quiet() int {
	if m.code.kind == 'Q' {
		return qrQuiet
	}
	return dmQuiet
}

// metrics measures text in the font of a back-end.
type metrics interface {
	// width is the advance width in mm of s at font size size (mm).
	width(s string, size float64) float64
	// ascent is the distance from the top of a line to its baseline, as a fraction of size.
	ascent() float64
}

// zplMetrics approximates a CJK printer font such as SimSun: Chinese characters and other
// non-ASCII characters are one em wide, ASCII characters half an em.
type zplMetrics struct{}

func (zplMetrics) width(s string, size float64) float64 {
	w := 0.0
	for _, r := range s {
		if r < 0x80 {
			w += 0.5
		} else {
			w++
		}
	}
	return w * size
}

func (zplMetrics) ascent() float64 { return 0.86 }

// labelLayout collects the elements of one label.
type labelLayout struct {
	w, h  float64
	m     metrics
	rects []rectEl
	codes []code128El
	mats  []matrixEl
	texts []textEl
}

func newLayout(w, h float64, m metrics) *labelLayout {
	return &labelLayout{w: w, h: h, m: m}
}

// snap rounds v to the printer's dot grid.
func snap(v float64) float64 { return math.Round(v*dotsPerMM) / dotsPerMM }

// lineHeight is the distance between the tops of two lines of text at size.
func lineHeight(size float64) float64 { return size * 1.2 }

func (l *labelLayout) rect(x, y, w, h float64) {
	l.rects = append(l.rects, rectEl{snap(x), snap(y), snap(w), snap(h)})
}

// frame draws the outline of a box, t thick, inside x, y, w, h.
func (l *labelLayout) frame(x, y, w, h, t float64) {
	l.rect(x, y, w, t)
	l.rect(x, y+h-t, w, t)
	l.rect(x, y, t, h)
	l.rect(x+w-t, y, t, h)
}

func (l *labelLayout) textWidth(s string, size float64) float64 { return l.m.width(s, size) }

// fit shortens s (cleaned) with "…" so that it fits w at size.
func (l *labelLayout) fit(s string, size, w float64) string {
	return fitWidth(s, w, "…", func(t string) float64 { return l.m.width(t, size) })
}

// text draws one line, shortened to fit w, and returns the y below it.
func (l *labelLayout) text(x, y, w, size float64, s string, align byte) float64 {
	s = l.fit(cleanLine(s), size, w)
	if strings.TrimSpace(s) != "" {
		l.texts = append(l.texts, textEl{x: x, y: y, w: w, size: size, s: s, align: align})
	}
	return y + lineHeight(size)
}

// inverse draws s in white on a black box that fits it, right-aligned at xr, and returns the
// box's left edge.
func (l *labelLayout) inverse(xr, y, h, size float64, s string) float64 {
	s = cleanLine(s)
	pad := size * 0.4
	w := snap(l.textWidth(s, size) + 2*pad)
	x := snap(xr - w)
	l.rect(x, y, w, h)
	l.texts = append(l.texts, textEl{x: x, y: y + (h-size)/2, w: w, size: size, s: s, align: 'C', white: true})
	return x
}

// paragraph wraps s over at most maxLines lines of width w; the last line ends in "…" when
// text had to be left out. It returns the y below the last line.
func (l *labelLayout) paragraph(x, y, w, size float64, s string, maxLines int) float64 {
	if maxLines < 1 {
		return y
	}
	measure := func(t string) float64 { return l.m.width(t, size) }
	var lines []string
	for _, para := range strings.Split(cleanText(s), "\n") {
		para = strings.TrimSpace(para)
		if para == "" {
			continue
		}
		lines = append(lines, wrapWidth(para, w, measure)...)
	}
	if len(lines) > maxLines {
		last := lines[maxLines-1]
		lines = lines[:maxLines]
		lines[maxLines-1] = fitWidth(last+"…", w, "…", measure)
	}
	for _, line := range lines {
		y = l.text(x, y, w, size, line, 'L')
	}
	return y
}

// code128 places c centred in the area [ax, ax+aw] with its top at y and bars h high, with
// the widest module of at most maxDots dots (at least minDots) for which the symbol and both
// quiet zones fit the area. It returns the element.
func (l *labelLayout) code128(what string, c *code128Code, ax, aw, y, h float64, minDots, maxDots int) (code128El, error) {
	left := int(math.Ceil(ax*dotsPerMM - 1e-9))
	right := int(math.Floor((ax+aw)*dotsPerMM + 1e-9))
	avail := right - left
	for d := maxDots; d >= minDots; d-- {
		if (c.modules()+2*code128Quiet)*d > avail {
			continue
		}
		x := left + (avail-c.modules()*d)/2
		el := code128El{x: float64(x) * dotMM, y: snap(y), dots: d, h: snap(h), code: c}
		l.codes = append(l.codes, el)
		return el, nil
	}
	return code128El{}, fmt.Errorf("%s is too long for its barcode on a %gx%g mm label (%d modules need %.1f mm with quiet zones at the smallest bar width, %.1f mm available)",
		what, l.w, l.h, c.modules(), float64((c.modules()+2*code128Quiet)*minDots)*dotMM, float64(avail)*dotMM)
}

// matrix places a 2D code in the square area at ax, ay with side a, quiet zone included,
// centred, with the largest module of at most maxDots dots (at least minDots).
func (l *labelLayout) matrix(what string, c *matrixCode, ax, ay, a float64, minDots, maxDots int) (matrixEl, error) {
	el := matrixEl{code: c}
	q := el.quiet()
	left := int(math.Ceil(ax*dotsPerMM - 1e-9))
	top := int(math.Ceil(ay*dotsPerMM - 1e-9))
	side := int(math.Floor((ax+a)*dotsPerMM+1e-9)) - left
	n := max(c.cols, c.rows)
	for d := maxDots; d >= minDots; d-- {
		if (n+2*q)*d > side {
			continue
		}
		el.dots = d
		el.x = float64(left+(side-c.cols*d)/2) * dotMM
		el.y = float64(top+(side-c.rows*d)/2) * dotMM
		l.mats = append(l.mats, el)
		return el, nil
	}
	return matrixEl{}, fmt.Errorf("%s is too long for its %s on a %gx%g mm label (%d modules)",
		what, map[byte]string{'Q': "QR code", 'D': "Data Matrix"}[c.kind], l.w, l.h, n)
}
