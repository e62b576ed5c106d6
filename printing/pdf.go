package printing

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jung-kurt/gofpdf"
)

// fontFamily is the name every document registers its font under.
const fontFamily = "tally"

// pageCountAlias is replaced by the number of pages when the document is written.
const pageCountAlias = "{nb}"

// reproducibleDate is the PDF creation and modification date used when a document has none,
// so that the same input always gives the same bytes.
var reproducibleDate = time.Unix(0, 0).UTC()

// docOptions are the settings shared by every document.
type docOptions struct {
	orientation string          // "P" or "L"
	size        string          // gofpdf page size name, e.g. "A4"
	pageSize    gofpdf.SizeType // custom page size in mm; used instead of size when non-zero
	margin      float64         // mm, all four sides
	fontPath    string          // "" → FindFont("")
	created     time.Time
	title       string
}

// newDocument makes a gofpdf document with the Chinese font registered as fontFamily (selected
// at 10 pt), the margins set, and the settings that make its output deterministic: fixed
// creation and modification dates, sorted resource catalogues, compression on.
func newDocument(o docOptions) (*gofpdf.Fpdf, error) {
	fontPath := o.fontPath
	if fontPath == "" {
		p, err := FindFont("")
		if err != nil {
			return nil, err
		}
		fontPath = p
	}
	if err := checkFont(fontPath); err != nil {
		return nil, fmt.Errorf("printing: font %s: %w (install the Debian package %s)", fontPath, err, FontPackage)
	}
	abs, err := filepath.Abs(fontPath)
	if err != nil {
		return nil, fmt.Errorf("printing: font %s: %w", fontPath, err)
	}
	if o.orientation == "" {
		o.orientation = "P"
	}
	pdf := gofpdf.NewCustom(&gofpdf.InitType{
		OrientationStr: o.orientation,
		UnitStr:        "mm",
		SizeStr:        o.size,
		Size:           o.pageSize,
		// gofpdf joins the font directory and file name itself.
		FontDirStr: filepath.Dir(abs),
	})
	created := o.created
	if created.IsZero() {
		created = reproducibleDate
	}
	pdf.SetCreationDate(created.UTC())
	pdf.SetModificationDate(created.UTC())
	pdf.SetCatalogSort(true)
	pdf.SetCompression(true)
	pdf.SetCreator("Tally", false)
	if o.title != "" {
		pdf.SetTitle(cleanLine(o.title), true)
	}
	pdf.SetMargins(o.margin, o.margin, o.margin)
	pdf.SetAutoPageBreak(true, o.margin)
	pdf.AliasNbPages(pageCountAlias)
	pdf.AddUTF8Font(fontFamily, "", filepath.Base(abs))
	pdf.SetFont(fontFamily, "", 10)
	if err := pdf.Error(); err != nil {
		return nil, fmt.Errorf("printing: font %s: %w", fontPath, err)
	}
	return pdf, nil
}

// output writes the finished document to w. gofpdf keeps the whole document in memory and
// writes nothing when an error happened while it was built.
func output(pdf *gofpdf.Fpdf, w io.Writer) error {
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("printing: %w", err)
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("printing: write PDF: %w", err)
	}
	return nil
}

// cleanText makes s safe for gofpdf's UTF-8 text handling, which panics on invalid UTF-8 and
// cannot encode characters outside the Basic Multilingual Plane: invalid bytes and such
// characters (emoji) become '?', control characters other than newline become spaces, and
// carriage returns are dropped.
func cleanText(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case r == utf8.RuneError, r > 0xFFFF:
			b.WriteByte('?')
		case r == '\r':
		case r == '\n':
			b.WriteByte('\n')
		case unicode.IsControl(r), r == '\u2028', r == '\u2029':
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// cleanLine is cleanText for text that must stay on one line: newlines become spaces.
func cleanLine(s string) string {
	return strings.ReplaceAll(cleanText(s), "\n", " ")
}

// fitText shortens s (already cleaned) with a trailing ".." until it fits a cell w wide in
// the current font, cell margins included.
func fitText(pdf *gofpdf.Fpdf, s string, w float64) string {
	return fitWidth(s, w-2*pdf.GetCellMargin(), "..", pdf.GetStringWidth)
}

// fitWidth shortens s with the suffix ellipsis until width(s) is at most avail.
func fitWidth(s string, avail float64, ellipsis string, width func(string) float64) string {
	if width(s) <= avail {
		return s
	}
	runes := []rune(s)
	for n := len(runes) - 1; n > 0; n-- {
		t := strings.TrimRight(string(runes[:n]), " ") + ellipsis
		if width(t) <= avail {
			return t
		}
	}
	return ""
}

// wrapText splits s (already cleaned) into lines that fit a cell w wide in the current font,
// breaking at spaces or next to Chinese characters (but not before closing punctuation such
// as "，" or "。"); it always returns at least one line. (gofpdf's SplitText loses the
// character at a break between Chinese characters, so it is not used.)
func wrapText(pdf *gofpdf.Fpdf, s string, w float64) []string {
	var lines []string
	for _, para := range strings.Split(s, "\n") {
		lines = append(lines, wrapParagraph(pdf, strings.TrimRight(para, " "), w)...)
	}
	for len(lines) > 1 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

func wrapParagraph(pdf *gofpdf.Fpdf, s string, w float64) []string {
	return wrapWidth(s, w-2*pdf.GetCellMargin(), pdf.GetStringWidth)
}

// wrapWidth splits one paragraph s into lines at most avail wide as measured by measure, with
// the same break rules as wrapText.
func wrapWidth(s string, avail float64, measure func(string) float64) []string {
	runes := []rune(s)
	var lines []string
	start, brk := 0, -1 // brk: a line may start at runes[brk]
	width := 0.0
	for i := 0; i < len(runes); i++ {
		if i > start && canBreakBefore(runes[i-1], runes[i]) {
			brk = i
		}
		rw := measure(string(runes[i]))
		if width+rw <= avail || i == start {
			width += rw
			continue
		}
		cut := i
		if brk > start {
			cut = brk
		}
		lines = append(lines, strings.TrimRight(string(runes[start:cut]), " "))
		for cut < len(runes) && runes[cut] == ' ' {
			cut++
		}
		start, brk, width = cut, -1, 0
		i = cut - 1
	}
	if start < len(runes) || len(lines) == 0 {
		lines = append(lines, string(runes[start:]))
	}
	return lines
}

// canBreakBefore tells whether a line may break between prev and r.
func canBreakBefore(prev, r rune) bool {
	if strings.ContainsRune("，。、；：？！）》」』】〕,.;:?!)]}%", r) {
		return false
	}
	if strings.ContainsRune("（《「『【〔([{", prev) {
		return false
	}
	return prev == ' ' || isWide(r) || isWide(prev)
}

// isWide tells whether r is a Chinese (or other East Asian wide) character, between which
// lines may break without a space.
func isWide(r rune) bool {
	return unicode.Is(unicode.Han, r) ||
		(r >= 0x3000 && r <= 0x30FF) || // CJK punctuation, kana
		(r >= 0xFF00 && r <= 0xFFEF) // full-width forms
}
