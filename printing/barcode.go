package printing

import (
	"errors"
	"fmt"
	"image/color"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/code128"
	"github.com/boombuler/barcode/datamatrix"
	"github.com/boombuler/barcode/qr"

	"tally/scan"
)

// Barcodes are encoded with github.com/boombuler/barcode and drawn by this package as
// rectangles: in a PDF as vector paths, on a ZPL printer by the printer's own barcode
// commands fed with the same Code 128 symbols. Sizes are counted in printer dots of a
// 203-dpi printer, 8 dots to the millimetre: every module is a whole number of dots.

const (
	dotsPerMM = 8
	dotMM     = 1.0 / dotsPerMM // 0.125 mm

	code128Quiet = 10 // quiet zone on each side of a Code 128 symbol, in modules
	qrQuiet      = 4  // around a QR code, in modules
	dmQuiet      = 2  // around a Data Matrix symbol, in modules (the standard asks for 1)

	code128MaxRunes = 80 // boombuler's limit
)

// code128Code is an encoded Code 128 symbol.
type code128Code struct {
	content string // what was encoded; FNC1 appears as code128.FNC1
	bars    []bool // one entry per module, true for a bar; quiet zones not included
	symbols []int  // symbol values from the start character to the check character
}

// modules is the width of the symbol in modules, quiet zones not included.
func (c *code128Code) modules() int { return len(c.bars) }

// matrixCode is an encoded 2D symbol (QR code or Data Matrix).
type matrixCode struct {
	kind       byte // 'Q' QR code, 'D' Data Matrix
	content    string
	cols, rows int
	dark       []bool // row-major
}

func (m *matrixCode) at(x, y int) bool { return m.dark[y*m.cols+x] }

// encodingCache keeps recent encodings so that a label printed as PDF and as ZPL, or printed
// again, is encoded once. It holds at most encodingCacheMax entries and starts over when full.
var encodingCache = struct {
	sync.Mutex
	m map[string]any
}{m: map[string]any{}}

const encodingCacheMax = 4096

func cached[T any](key string, encode func() (T, error)) (T, error) {
	encodingCache.Lock()
	if v, ok := encodingCache.m[key]; ok {
		encodingCache.Unlock()
		return v.(T), nil
	}
	encodingCache.Unlock()
	v, err := encode()
	if err != nil {
		return v, err
	}
	encodingCache.Lock()
	if len(encodingCache.m) >= encodingCacheMax {
		clear(encodingCache.m)
	}
	encodingCache.m[key] = v
	encodingCache.Unlock()
	return v, nil
}

// checkCode128Text tells whether s can go into a Code 128 symbol on every back-end: printable
// ASCII except the characters ZPL reserves (^ and ~ start commands, > starts a Code 128
// invocation code).
func checkCode128Text(what, s string) error {
	if s == "" {
		return fmt.Errorf("%s is empty", what)
	}
	if n := len(s); n > code128MaxRunes-10 {
		return fmt.Errorf("%s %q is too long for a barcode (%d characters, at most %d)", what, s, n, code128MaxRunes-10)
	}
	for _, r := range s {
		if r < 0x20 || r > 0x7e || r == '^' || r == '~' || r == '>' {
			return fmt.Errorf("%s %q has the character %q, which cannot go into its barcode: use ASCII letters, digits, spaces and punctuation other than ^ ~ >", what, s, r)
		}
	}
	return nil
}

// encodeCode128 encodes content (printable ASCII, FNC1 as code128.FNC1) as Code 128.
func encodeCode128(content string) (*code128Code, error) {
	return cached("c128\x00"+content, func() (*code128Code, error) { return newCode128(content) })
}

// encodeQR encodes content as a QR code with error correction level M.
func encodeQR(content string) (*matrixCode, error) {
	return cached("qr\x00"+content, func() (*matrixCode, error) { return newQR(content) })
}

// encodeDataMatrix encodes content (ASCII) as an ECC 200 Data Matrix.
func encodeDataMatrix(content string) (*matrixCode, error) {
	return cached("dm\x00"+content, func() (*matrixCode, error) { return newDataMatrix(content) })
}

func newCode128(content string) (*code128Code, error) {
	bc, err := code128.Encode(content)
	if err != nil {
		return nil, fmt.Errorf("code 128 %q: %w", content, err)
	}
	n := bc.Bounds().Dx()
	bars := make([]bool, n)
	for x := range n {
		bars[x] = isDark(bc.At(x, 0))
	}
	symbols, err := code128Symbols(bars)
	if err != nil {
		return nil, fmt.Errorf("code 128 %q: %w", content, err)
	}
	return &code128Code{content: content, bars: bars, symbols: symbols}, nil
}

func isDark(c color.Color) bool {
	r, g, b, _ := c.RGBA()
	return r+g+b < 3*0x8000
}

func newQR(content string) (*matrixCode, error) {
	bc, err := qr.Encode(content, qr.M, qr.Auto)
	if err != nil {
		return nil, fmt.Errorf("QR code %q: %w", content, err)
	}
	return matrixFrom('Q', content, bc), nil
}

func newDataMatrix(content string) (*matrixCode, error) {
	bc, err := datamatrix.Encode(content)
	if err != nil {
		return nil, fmt.Errorf("data matrix %q: %w", content, err)
	}
	return matrixFrom('D', content, bc), nil
}

// codeKey names one barcode encoding.
type codeKey struct {
	kind    byte // 'C' Code 128, 'Q' QR code, 'D' Data Matrix
	content string
}

// encodeSlot holds one encoding that a prefetch worker computes; done is closed when it is.
type encodeSlot struct {
	key  codeKey
	done chan struct{}
	c128 *code128Code
	mat  *matrixCode
	err  error
}

func (s *encodeSlot) compute() {
	switch s.key.kind {
	case 'C':
		s.c128, s.err = newCode128(s.key.content)
	case 'Q':
		s.mat, s.err = newQR(s.key.content)
	case 'D':
		s.mat, s.err = newDataMatrix(s.key.content)
	}
	close(s.done)
}

// encoder gives a label's layout its barcode encodings: those a prefetch computed, the
// others from the shared cache. A nil *encoder uses the cache only.
type encoder struct{ slots []*encodeSlot }

func (e *encoder) slot(kind byte, content string) *encodeSlot {
	if e == nil {
		return nil
	}
	for _, s := range e.slots {
		if s.key.kind == kind && s.key.content == content {
			<-s.done
			return s
		}
	}
	return nil
}

func (e *encoder) code128(content string) (*code128Code, error) {
	if s := e.slot('C', content); s != nil {
		return s.c128, s.err
	}
	return encodeCode128(content)
}

func (e *encoder) qr(content string) (*matrixCode, error) {
	if s := e.slot('Q', content); s != nil {
		return s.mat, s.err
	}
	return encodeQR(content)
}

func (e *encoder) dataMatrix(content string) (*matrixCode, error) {
	if s := e.slot('D', content); s != nil {
		return s.mat, s.err
	}
	return encodeDataMatrix(content)
}

// prefetchMin is the number of labels from which a job encodes its barcodes in parallel.
const prefetchMin = 8

// prefetch encodes the barcodes of labels (QR codes are the slow part) on as many goroutines
// as there are CPUs, in label order, while the caller lays the labels out one after the
// other. It returns one encoder per label and a function that stops the workers early.
func prefetch(labels []Label) ([]*encoder, func()) {
	encs := make([]*encoder, len(labels))
	if len(labels) < prefetchMin {
		return encs, func() {}
	}
	for i, l := range labels {
		keys := l.barcodes()
		e := &encoder{slots: make([]*encodeSlot, len(keys))}
		for j, k := range keys {
			e.slots[j] = &encodeSlot{key: k, done: make(chan struct{})}
		}
		encs[i] = e
	}
	var next atomic.Int64
	var stopped atomic.Bool
	for range max(1, runtime.GOMAXPROCS(0)) {
		go func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(encs) {
					return
				}
				if stopped.Load() {
					// Release anyone still waiting; the results are not used.
					for _, s := range encs[i].slots {
						s.err = errors.New("printing: stopped")
						close(s.done)
					}
					continue
				}
				for _, s := range encs[i].slots {
					s.compute()
				}
			}
		}()
	}
	return encs, func() { stopped.Store(true) }
}

func matrixFrom(kind byte, content string, bc barcode.Barcode) *matrixCode {
	b := bc.Bounds()
	m := &matrixCode{kind: kind, content: content, cols: b.Dx(), rows: b.Dy()}
	m.dark = make([]bool, m.cols*m.rows)
	for y := range m.rows {
		for x := range m.cols {
			m.dark[y*m.cols+x] = isDark(bc.At(b.Min.X+x, b.Min.Y+y))
		}
	}
	return m
}

// Code 128 symbol values.
const (
	c128Shift  = 98
	c128CodeC  = 99
	c128CodeB  = 100 // FNC4 in subset B
	c128CodeA  = 101 // FNC4 in subset A
	c128FNC1   = 102
	c128StartA = 103
	c128StartB = 104
	c128StartC = 105
)

// code128Widths are the bar and space widths of the Code 128 symbols 0–105 (ISO/IEC 15417),
// starting with a bar; code128Stop is the stop pattern (with its final bar).
var code128Widths = [106]string{
	"212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212", "221213",
	"221312", "231212", "112232", "122132", "122231", "113222", "123122", "123221", "223211", "221132",
	"221231", "213212", "223112", "312131", "311222", "321122", "321221", "312212", "322112", "322211",
	"212123", "212321", "232121", "111323", "131123", "131321", "112313", "132113", "132311", "211313",
	"231113", "231311", "112133", "112331", "132131", "113123", "113321", "133121", "313121", "211331",
	"231131", "213113", "213311", "213131", "311123", "311321", "331121", "312113", "312311", "332111",
	"314111", "221411", "431111", "111224", "111422", "121124", "121421", "141122", "141221", "112214",
	"112412", "122114", "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111",
	"111242", "121142", "121241", "114212", "124112", "124211", "411212", "421112", "421211", "212141",
	"214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311", "113141",
	"114131", "311141", "411131", "211412", "211214", "211232",
}

const code128Stop = "2331112"

var code128ByWidths = func() map[string]int {
	m := make(map[string]int, len(code128Widths))
	for v, w := range code128Widths {
		m[w] = v
	}
	return m
}()

// runWidths returns the widths of the alternating runs of bars, starting with a bar.
func runWidths(bars []bool) (string, bool) {
	if len(bars) == 0 || !bars[0] {
		return "", false
	}
	var b strings.Builder
	run := 1
	for i := 1; i <= len(bars); i++ {
		if i < len(bars) && bars[i] == bars[i-1] {
			run++
			continue
		}
		if run > 9 {
			return "", false
		}
		b.WriteByte(byte('0' + run))
		run = 1
	}
	return b.String(), true
}

// code128Symbols reads the symbol values back from the modules of a Code 128 symbol and checks
// the start, stop and check characters.
func code128Symbols(bars []bool) ([]int, error) {
	n := len(bars)
	if n < 11*3+13 || (n-13)%11 != 0 {
		return nil, fmt.Errorf("%d modules is not a Code 128 symbol", n)
	}
	if w, ok := runWidths(bars[n-13:]); !ok || w != code128Stop {
		return nil, errors.New("no stop pattern")
	}
	symbols := make([]int, 0, (n-13)/11)
	for i := 0; i+13 < n; i += 11 {
		w, ok := runWidths(bars[i : i+11])
		v, known := code128ByWidths[w]
		if !ok || !known || len(w) != 6 {
			return nil, fmt.Errorf("unknown symbol pattern at module %d", i)
		}
		symbols = append(symbols, v)
	}
	if s := symbols[0]; s < c128StartA || s > c128StartC {
		return nil, fmt.Errorf("symbol %d is not a start character", s)
	}
	sum := symbols[0]
	for i := 1; i < len(symbols)-1; i++ {
		sum += i * symbols[i]
	}
	if check := symbols[len(symbols)-1]; sum%103 != check {
		return nil, fmt.Errorf("check character %d, want %d", check, sum%103)
	}
	return symbols, nil
}

// zplCode128Data turns the symbols of a Code 128 code (start character to check character) into
// ZPL ^BC field data for mode N: start code and subset changes as invocation codes (>9 >: >;
// start A B C, >5 >6 >7 code C B A, >8 FNC1), digits in pairs in subset C. The printer adds
// the check and stop characters, so it prints exactly the symbols that the PDF draws.
func zplCode128Data(symbols []int) (string, error) {
	if len(symbols) < 2 {
		return "", errors.New("no symbols")
	}
	var b strings.Builder
	var set byte
	switch symbols[0] {
	case c128StartB:
		b.WriteString(">:")
		set = 'B'
	case c128StartC:
		b.WriteString(">;")
		set = 'C'
	default:
		// In ZPL's mode N subset A is written as digit pairs; the encoder never picks it
		// for the printable characters that checkCode128Text lets through.
		return "", fmt.Errorf("start symbol %d is not supported in ZPL", symbols[0])
	}
	for _, v := range symbols[1 : len(symbols)-1] {
		switch {
		case v == c128FNC1:
			b.WriteString(">8")
		case set == 'C' && v < 100:
			if v < 10 {
				b.WriteByte('0')
			}
			b.WriteString(strconv.Itoa(v))
		case set == 'C' && v == c128CodeB, set == 'B' && v == c128CodeC:
			if set == 'C' {
				b.WriteString(">6")
				set = 'B'
			} else {
				b.WriteString(">5")
				set = 'C'
			}
		case set == 'B' && v < 95:
			ch := byte(32 + v)
			if ch == '^' || ch == '~' || ch == '>' {
				return "", fmt.Errorf("character %q cannot be written in ZPL field data", ch)
			}
			b.WriteByte(ch)
		default:
			return "", fmt.Errorf("symbol %d in subset %c is not supported in ZPL", v, set)
		}
	}
	return b.String(), nil
}

// GS1 application identifiers used on SKU labels.
const (
	aiGTIN   = "01"
	aiExpiry = "17"
	aiLot    = "10"
)

// gs1Element is one GS1 application identifier with its data.
type gs1Element struct{ ai, data string }

// gs1Content is the Code 128 content of a GS1-128 symbol: FNC1 first, then the elements, with
// FNC1 as separator after every variable-length element that is not the last. (Here only AI
// 10 has variable length.)
func gs1Content(els []gs1Element) string {
	var b strings.Builder
	b.WriteRune(code128.FNC1)
	for i, e := range els {
		b.WriteString(e.ai)
		b.WriteString(e.data)
		if e.ai == aiLot && i < len(els)-1 {
			b.WriteRune(code128.FNC1)
		}
	}
	return b.String()
}

// gs1Text is the human-readable interpretation: "(01)09501101530008(17)270315(10)L1".
func gs1Text(els []gs1Element) string {
	var b strings.Builder
	for _, e := range els {
		b.WriteString("(" + e.ai + ")" + e.data)
	}
	return b.String()
}

// checkLot tells whether lot can be the data of AI (10): 1–20 characters of GS1's character
// set 82 (without ">", which ZPL reserves).
func checkLot(lot string) error {
	if len(lot) == 0 || len(lot) > 20 {
		return fmt.Errorf("lot %q must have 1 to 20 characters for GS1 AI (10)", lot)
	}
	for _, r := range lot {
		if r == '>' || !scan.InSet82(string(r)) { // ZPL reserves >
			return fmt.Errorf("lot %q has the character %q, which GS1 AI (10) does not allow", lot, r)
		}
	}
	return nil
}
