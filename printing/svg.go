package printing

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
)

// svgFonts are fonts with Chinese glyphs a kiosk browser may have; the text is
// laid out with the printer-font metrics (Chinese one em, Latin half an em) and
// stretched to exactly that width, so whichever font prints stays in its box.
const svgFonts = `"Noto Sans CJK SC","Source Han Sans SC","WenQuanYi Zen Hei","Microsoft YaHei",SimSun,sans-serif`

// LabelSVG writes one label as an SVG image the size of the label (its user
// unit is the millimetre), for a kiosk browser to print as a page: the same
// layout as the PDF and the ZPL, barcodes on the 203-dpi dot grid. Nothing is
// written to w when the label cannot be rendered.
func LabelSVG(w io.Writer, label any) error {
	ls, err := toLabels([]any{label})
	if err != nil {
		return err
	}
	encs, stop := prefetch(ls)
	defer stop()
	lay, err := ls[0].layout(zplMetrics{}, encs[0])
	if err != nil {
		return fmt.Errorf("printing: label: %w", err)
	}
	var b bytes.Buffer
	mm := func(v float64) string { return string(appendMM(nil, v)) }
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%smm" height="%smm" viewBox="0 0 %s %s" shape-rendering="crispEdges">`,
		mm(lay.w), mm(lay.h), mm(lay.w), mm(lay.h))
	b.WriteString(`<rect width="100%" height="100%" fill="#fff"/>`)
	if len(lay.rects) > 0 {
		b.WriteString(`<path d="`)
		for _, r := range lay.rects {
			fmt.Fprintf(&b, "M%s %sh%sv%sh-%sz", mm(r.x), mm(r.y), mm(r.w), mm(r.h), mm(r.w))
		}
		b.WriteString(`"/>`)
	}
	for _, c := range lay.codes {
		// one path in module units, the bars' edges on the module grid
		fmt.Fprintf(&b, `<path data-code128="%s" transform="translate(%s %s) scale(%s %s)" d="`, xmlText(c.code.content), mm(c.x), mm(c.y), mm(c.module()), mm(c.h))
		for i := 0; i < len(c.code.bars); {
			if !c.code.bars[i] {
				i++
				continue
			}
			j := i
			for j < len(c.code.bars) && c.code.bars[j] {
				j++
			}
			fmt.Fprintf(&b, "M%d 0h%dv1h-%dz", i, j-i, j-i)
			i = j
		}
		b.WriteString(`"/>`)
	}
	for _, m := range lay.mats {
		fmt.Fprintf(&b, `<path transform="translate(%s %s) scale(%s)" d="`, mm(m.x), mm(m.y), mm(m.module()))
		for y := range m.code.rows {
			for x := 0; x < m.code.cols; {
				if !m.code.at(x, y) {
					x++
					continue
				}
				e := x
				for e < m.code.cols && m.code.at(e, y) {
					e++
				}
				fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", x, y, e-x, e-x)
				x = e
			}
		}
		b.WriteString(`"/>`)
	}
	met := lay.m // the metrics it was laid out with
	for _, t := range lay.texts {
		tw := met.width(t.s, t.size)
		x := t.x
		switch t.align {
		case 'C':
			x += (t.w - tw) / 2
		case 'R':
			x += t.w - tw
		}
		fill := "#000"
		if t.white {
			fill = "#fff"
		}
		fmt.Fprintf(&b, `<text x="%s" y="%s" font-size="%s" textLength="%s" lengthAdjust="spacingAndGlyphs" fill="%s" font-family='%s'>%s</text>`,
			num(x), num(t.y+met.ascent()*t.size), num(t.size), num(tw), fill, svgFonts, xmlText(t.s))
	}
	b.WriteString(`</svg>`)
	_, err = w.Write(b.Bytes())
	return err
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }

func xmlText(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
