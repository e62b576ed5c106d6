package printing

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// ZPLFont is the printer font that ZPL labels print their text in, with ^A@. It must be a
// Unicode font with Chinese glyphs stored on the printer (E: is the flash drive); SimSun is
// the one Zebra supplies for Simplified Chinese. Text is sent as UTF-8 (^CI28).
var ZPLFont = "E:SIMSUN.FNT"

// LabelZPL writes labels as ZPL II for a 203-dpi (8 dots/mm) label printer, one ^XA…^XZ
// format per label. labels holds the same label types as for LabelPDF. The barcodes are the
// printer's own (^BC Code 128 in mode N with the same start, subset and FNC1 characters as
// the PDF, ^BQ QR code, ^BX Data Matrix) with the same module widths as in the PDF. Nothing is
// written to w when a label cannot be rendered.
func LabelZPL(w io.Writer, labels []any) error {
	ls, err := toLabels(labels)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	encs, stop := prefetch(ls)
	defer stop()
	for i, l := range ls {
		lay, err := l.layout(zplMetrics{}, encs[i])
		if err != nil {
			return fmt.Errorf("printing: label %d: %w", i+1, err)
		}
		if err := writeZPL(&b, lay); err != nil {
			return fmt.Errorf("printing: label %d: %w", i+1, err)
		}
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("printing: write ZPL: %w", err)
	}
	return nil
}

// dots converts millimetres to printer dots.
func dots(mm float64) int { return int(math.Round(mm * dotsPerMM)) }

func writeZPL(b *bytes.Buffer, l *labelLayout) error {
	fmt.Fprintf(b, "^XA\n^CI28\n^PW%d\n^LL%d\n^LH0,0\n", dots(l.w), dots(l.h))
	for _, r := range l.rects {
		w, h := max(dots(r.w), 1), max(dots(r.h), 1)
		fmt.Fprintf(b, "^FO%d,%d^GB%d,%d,%d^FS\n", dots(r.x), dots(r.y), w, h, min(w, h))
	}
	for _, c := range l.codes {
		data, err := zplCode128Data(c.code.symbols)
		if err != nil {
			return fmt.Errorf("barcode %q: %w", c.code.content, err)
		}
		fmt.Fprintf(b, "^FO%d,%d^BY%d^BCN,%d,N,N,N,N^FD%s^FS\n", dots(c.x), dots(c.y), c.dots, dots(c.h), data)
	}
	for _, m := range l.mats {
		fh, data := zplEscape(m.code.content)
		switch m.code.kind {
		case 'Q':
			// Model 2, magnification = module in dots, error correction M, automatic data mode.
			fmt.Fprintf(b, "^FO%d,%d^BQN,2,%d%s^FDMA,%s^FS\n", dots(m.x), dots(m.y), m.dots, fh, data)
		case 'D':
			fmt.Fprintf(b, "^FO%d,%d^BXN,%d,200%s^FD%s^FS\n", dots(m.x), dots(m.y), m.dots, fh, data)
		}
	}
	for _, t := range l.texts {
		h := max(dots(t.size), 10)
		fmt.Fprintf(b, "^FO%d,%d^A@N,%d,%d,%s", dots(t.x), dots(t.y), h, h, ZPLFont)
		if t.align == 'C' || t.align == 'R' {
			fmt.Fprintf(b, "^FB%d,1,0,%c,0", dots(t.w), t.align)
		}
		if t.white {
			b.WriteString("^FR")
		}
		fh, data := zplEscape(t.s)
		b.WriteString(fh + "^FD" + data + "^FS\n")
	}
	b.WriteString("^PQ1\n^XZ\n")
	return nil
}

// zplEscape makes s safe as ZPL field data: when it has a character that ZPL would take as a
// command prefix (^ or ~), it returns "^FH_" and s with those characters (and the escape
// character _) written as hexadecimal escapes.
func zplEscape(s string) (fh, data string) {
	if !strings.ContainsAny(s, "^~_") {
		return "", s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '^', '~', '_':
			b.WriteByte('_')
			b.WriteString(strings.ToUpper(strconv.FormatInt(int64(c), 16)))
		default:
			b.WriteByte(c)
		}
	}
	return "^FH_", b.String()
}
