package printing

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/jung-kurt/gofpdf"
)

// pdfMetrics measures text in the document's TrueType font.
type pdfMetrics struct{ pdf *gofpdf.Fpdf }

func (m pdfMetrics) width(s string, size float64) float64 {
	_, unit := m.pdf.GetFontSize()
	if unit == 0 {
		return 0
	}
	return m.pdf.GetStringWidth(s) * size / unit
}

func (pdfMetrics) ascent() float64 { return 0.86 }

const ptPerMM = 72 / 25.4

// LabelPDF writes labels as one PDF, one label per page and each page the size of its label,
// using the TrueType font at fontPath ("" means FindFont("")). labels holds WaybillLabel,
// SKULabel, LocationLabel, ToteLabel and BadgeLabel values or pointers, in any mix. Barcodes
// are vector rectangles on the 203-dpi dot grid (0.125 mm). The output depends only on the
// labels and the font. Nothing is written to w when a label cannot be rendered.
func LabelPDF(w io.Writer, labels []any, fontPath string) error {
	return writeLabelPDF(w, labels, fontPath, true)
}

func writeLabelPDF(w io.Writer, labels []any, fontPath string, compress bool) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("printing: render labels: %v", p)
		}
	}()
	ls, err := toLabels(labels)
	if err != nil {
		return err
	}
	fw, fh := ls[0].LabelSize()
	if fw <= 0 || fh <= 0 {
		fw, fh = 100, 150
	}
	pdf, err := newDocument(docOptions{
		orientation: "P",
		pageSize:    gofpdf.SizeType{Wd: fw, Ht: fh},
		fontPath:    fontPath,
		title:       "Tally labels",
	})
	if err != nil {
		return err
	}
	pdf.SetMargins(0, 0, 0)
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetCompression(compress)
	r := &pdfLabelRenderer{pdf: pdf, m: pdfMetrics{pdf}}
	encs, stop := prefetch(ls)
	defer stop()
	for i, l := range ls {
		lay, err := l.layout(r.m, encs[i])
		if err != nil {
			return fmt.Errorf("printing: label %d: %w", i+1, err)
		}
		pdf.AddPageFormat("P", gofpdf.SizeType{Wd: lay.w, Ht: lay.h})
		r.draw(lay)
	}
	return output(pdf, w)
}

type pdfLabelRenderer struct {
	pdf *gofpdf.Fpdf
	m   pdfMetrics
	buf []byte
	rd  bytes.Reader
}

// The shapes of a label are written straight into the page's content stream, in a coordinate
// system in millimetres with the origin at the top left. Each barcode is one path, filled at
// once, drawn in its own coordinate system whose unit is one module and whose origin is the
// barcode's top left corner (on the dot grid): the path gives every bar and every 2D module
// as whole numbers of modules, so every edge lies exactly on the module grid. A comment names
// each barcode (the tests read the PDF back).
func (r *pdfLabelRenderer) draw(l *labelLayout) {
	b := r.buf[:0]
	b = append(b, "q\n"...)
	b = appendNum(b, ptPerMM, 8)
	b = append(b, " 0 0 "...)
	b = appendNum(b, -ptPerMM, 8)
	b = append(b, " 0 "...)
	b = appendNum(b, l.h*ptPerMM, 4)
	b = append(b, " cm\n0 g\n"...)
	if len(l.rects) > 0 {
		for _, rc := range l.rects {
			b = appendRect(b, rc.x, rc.y, rc.w, rc.h)
		}
		b = append(b, "f\n"...)
	}
	for _, c := range l.codes {
		mod := c.module()
		b = append(b, "%tally:code128 x="...)
		b = appendMM(b, c.x)
		b = append(b, " module="...)
		b = appendMM(b, mod)
		b = append(b, " modules="...)
		b = strconv.AppendInt(b, int64(c.code.modules()), 10)
		b = append(b, "\nq "...)
		b = appendCM(b, mod, c.h, c.x, c.y)
		bars := c.code.bars
		for i := 0; i < len(bars); {
			if !bars[i] {
				i++
				continue
			}
			j := i
			for j < len(bars) && bars[j] {
				j++
			}
			b = appendModRect(b, i, 0, j-i, 1)
			i = j
		}
		b = append(b, "f Q\n"...)
	}
	for _, mt := range l.mats {
		mod := mt.module()
		b = append(b, "%tally:"...)
		if mt.code.kind == 'Q' {
			b = append(b, "qr"...)
		} else {
			b = append(b, "datamatrix"...)
		}
		b = append(b, " x="...)
		b = appendMM(b, mt.x)
		b = append(b, " module="...)
		b = appendMM(b, mod)
		b = append(b, "\nq "...)
		b = appendCM(b, mod, mod, mt.x, mt.y)
		b = appendMatrix(b, mt.code)
		b = append(b, "f Q\n"...)
	}
	b = append(b, 'Q')
	r.buf = b
	r.rd.Reset(b)
	r.pdf.RawWriteBuf(&r.rd)

	pdf := r.pdf
	asc := r.m.ascent()
	for _, t := range l.texts {
		pdf.SetFont(fontFamily, "", t.size*ptPerMM)
		x := t.x
		switch t.align {
		case 'C':
			x += (t.w - r.m.width(t.s, t.size)) / 2
		case 'R':
			x += t.w - r.m.width(t.s, t.size)
		}
		if t.white {
			pdf.SetTextColor(255, 255, 255)
		}
		pdf.Text(x, t.y+asc*t.size, t.s)
		if t.white {
			pdf.SetTextColor(0, 0, 0)
		}
	}
}

func appendNum(b []byte, v float64, prec int) []byte {
	start := len(b)
	b = strconv.AppendFloat(b, v, 'f', prec, 64)
	if prec == 0 || bytes.IndexByte(b[start:], '.') < 0 {
		return b
	}
	// Trim trailing zeros so that exact values stay short: "12.5", not "12.50000000".
	i := len(b) - 1
	for b[i] == '0' {
		i--
	}
	if b[i] == '.' {
		i--
	}
	return b[:i+1]
}

// eighths are the decimal fractions of the dot grid.
var eighths = [8]string{"", ".125", ".25", ".375", ".5", ".625", ".75", ".875"}

// appendMM writes a length in millimetres exactly (e.g. 12.375); lengths on the dot grid, as
// all shapes are, take a fast path.
func appendMM(b []byte, v float64) []byte {
	if d := v * dotsPerMM; d >= 0 && d < 1<<40 && d == math.Trunc(d) {
		n := int64(d)
		b = strconv.AppendInt(b, n/dotsPerMM, 10)
		return append(b, eighths[n%dotsPerMM]...)
	}
	return strconv.AppendFloat(b, v, 'f', -1, 64)
}

// appendCM writes a transformation to a coordinate system with units sx × sy mm and its
// origin at x, y mm.
func appendCM(b []byte, sx, sy, x, y float64) []byte {
	b = appendMM(b, sx)
	b = append(b, " 0 0 "...)
	b = appendMM(b, sy)
	b = append(b, ' ')
	b = appendMM(b, x)
	b = append(b, ' ')
	b = appendMM(b, y)
	return append(b, " cm\n"...)
}

// appendModRect writes a rectangle in whole modules.
func appendModRect(b []byte, x, y, w, h int) []byte {
	b = strconv.AppendInt(b, int64(x), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(y), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(w), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(h), 10)
	return append(b, " re\n"...)
}

// appendMatrix writes the dark modules of a 2D code as rectangles: runs of dark modules in a
// row, each run merged with the identical runs in the rows below it.
func appendMatrix(b []byte, m *matrixCode) []byte {
	done := make([]bool, len(m.dark))
	for y := range m.rows {
		for x := 0; x < m.cols; {
			if !m.at(x, y) || done[y*m.cols+x] {
				x++
				continue
			}
			e := x
			for e < m.cols && m.at(e, y) {
				e++
			}
			// Extend down while the next row has exactly the same run.
			h := 1
			for yy := y + 1; yy < m.rows && sameRun(m, x, e, yy) && !done[yy*m.cols+x]; yy++ {
				for i := x; i < e; i++ {
					done[yy*m.cols+i] = true
				}
				h++
			}
			b = appendModRect(b, x, y, e-x, h)
			x = e
		}
	}
	return b
}

// sameRun tells whether row y has dark modules exactly from x to e (exclusive).
func sameRun(m *matrixCode, x, e, y int) bool {
	if x > 0 && m.at(x-1, y) || e < m.cols && m.at(e, y) {
		return false
	}
	for i := x; i < e; i++ {
		if !m.at(i, y) {
			return false
		}
	}
	return true
}

func appendRect(b []byte, x, y, w, h float64) []byte {
	b = appendMM(b, x)
	b = append(b, ' ')
	b = appendMM(b, y)
	b = append(b, ' ')
	b = appendMM(b, w)
	b = append(b, ' ')
	b = appendMM(b, h)
	return append(b, " re\n"...)
}
