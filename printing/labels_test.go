package printing

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/boombuler/barcode/code128"

	"tally/scan"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// template is one label template with its sample data and the barcodes it must carry.
type template struct {
	name  string
	label any
	codes []wantCode // every barcode on the label
}

// wantCode is a barcode a label must carry, as a reader reports it.
type wantCode struct {
	kind string // "code128", "gs1-128", "qr", "datamatrix"
	data string // for GS1-128: the element string without FNC1, as zbar reports it
}

func templates() []template {
	wb, child, small := SampleWaybill(), SampleChildWaybill(), SampleSmallWaybillCopy()
	sku := SampleSKULabel()
	return []template{
		{"waybill_100x150", wb, []wantCode{{"code128", wb.Waybill}, {"qr", wb.QR}}},
		{"waybill_76x130_copy", small, []wantCode{{"code128", small.Waybill}, {"qr", small.QR}}},
		{"waybill_child", child, []wantCode{{"code128", child.Waybill}, {"qr", child.QR}}},
		{"sku", sku, []wantCode{{"gs1-128", "01" + "06923456789012" + "17" + "270315" + "10" + sku.Lot}}},
		{"location", SampleLocationLabel(), []wantCode{{"code128", SampleLocationLabel().Code}}},
		{"tote", SampleToteLabel(), []wantCode{{"code128", SampleToteLabel().Code}, {"datamatrix", SampleToteLabel().Code}}},
		{"badge", SampleBadgeLabel(), []wantCode{{"code128", SampleBadgeLabel().Badge}}},
	}
}

func renderPDF(t testing.TB, labels []any, font string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := LabelPDF(&b, labels, font); err != nil {
		t.Fatalf("LabelPDF: %v", err)
	}
	if !bytes.HasPrefix(b.Bytes(), []byte("%PDF-")) {
		t.Fatalf("LabelPDF output does not start with %%PDF-")
	}
	return b.Bytes()
}

func renderZPL(t testing.TB, labels []any) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := LabelZPL(&b, labels); err != nil {
		t.Fatalf("LabelZPL: %v", err)
	}
	return b.Bytes()
}

// golden compares got with testdata/name, or rewrites the file under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./printing -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		failed := filepath.Join(t.TempDir(), name)
		_ = os.WriteFile(failed, got, 0o644)
		t.Errorf("%s differs from the golden file (%d bytes, want %d); output kept in %s; if the change is intended run go test ./printing -update",
			name, len(got), len(want), failed)
	}
}

func TestGoldenZPL(t *testing.T) {
	for _, tp := range templates() {
		t.Run(tp.name, func(t *testing.T) {
			golden(t, tp.name+".zpl.golden", renderZPL(t, []any{tp.label}))
		})
	}
}

func TestGoldenPDF(t *testing.T) {
	font := testFont(t)
	for _, tp := range templates() {
		t.Run(tp.name, func(t *testing.T) {
			golden(t, tp.name+".pdf.golden", renderPDF(t, []any{tp.label}, font))
		})
	}
}

func TestLabelPDFPagesAndDeterminism(t *testing.T) {
	font := testFont(t)
	labels := SampleLabels()
	var wg sync.WaitGroup
	outs := make([][]byte, 3)
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var b bytes.Buffer
			if err := LabelPDF(&b, labels, font); err != nil {
				t.Error(err)
			}
			outs[i] = b.Bytes()
		}()
	}
	wg.Wait()
	for i := 1; i < len(outs); i++ {
		if !bytes.Equal(outs[0], outs[i]) {
			t.Fatal("concurrent renders of the same labels differ")
		}
	}
	if !bytes.Contains(outs[0], []byte("D:19700101000000")) {
		t.Error("creation date should be the fixed reproducible date")
	}
	// Every page has the size of its label.
	sizes := regexp.MustCompile(`/MediaBox \[0 0 ([0-9.]+) ([0-9.]+)\]`).FindAllSubmatch(outs[0], -1)
	var got []string
	for _, s := range sizes {
		w, _ := strconv.ParseFloat(string(s[1]), 64)
		h, _ := strconv.ParseFloat(string(s[2]), 64)
		got = append(got, fmt.Sprintf("%.0fx%.0f", w/ptPerMM, h/ptPerMM))
	}
	want := []string{"100x150", "100x150", "76x130", "100x50", "100x50", "60x40", "60x40"}
	// gofpdf writes a MediaBox for the pages whose size differs from the first page's and
	// one for the document; compare the distinct sizes in order.
	if len(got) == 0 {
		t.Fatal("no MediaBox in the PDF")
	}
	for _, w := range want {
		if !slicesContains(got, w) {
			t.Errorf("no page of size %s mm (pages: %v)", w, got)
		}
	}
	if n := len(pageObject.FindAll(outs[0], -1)); n != len(labels) {
		t.Errorf("%d pages, want %d (one per label)", n, len(labels))
	}
	text := strings.Join(pdfPages(t, outs[0]), "\f")
	for _, want := range []string{"顺丰速运", "王晓明", "副本 COPY", "母单 Parent: SF1234567890123", "2/3", "拣货区 A", "李娜", "(01)06923456789012(17)270315(10)L20260315A", "打印 Printed: 2026-11-21 14:05"} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF's text lacks %q", want)
		}
	}
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestLabelInputs(t *testing.T) {
	wb := SampleWaybill()
	zpl := renderZPL(t, []any{&wb, SampleToteLabel(), &BadgeLabel{Badge: "E1", Name: "张三"}})
	if n := bytes.Count(zpl, []byte("^XA")); n != 3 {
		t.Errorf("%d ^XA for 3 labels", n)
	}
	bad := []struct {
		name   string
		labels []any
		want   string
	}{
		{"none", nil, "no labels"},
		{"wrong type", []any{"SF123"}, "label 1 is a string"},
		{"nil pointer", []any{SampleToteLabel(), (*WaybillLabel)(nil)}, "label 2"},
		{"empty waybill", []any{WaybillLabel{Carrier: "x"}}, "waybill number is empty"},
		{"chinese waybill", []any{WaybillLabel{Waybill: "顺丰123"}}, "cannot go into its barcode"},
		{"caret in waybill", []any{WaybillLabel{Waybill: "SF^XZ"}}, "cannot go into its barcode"},
		{"unknown size", []any{WaybillLabel{Waybill: "SF1", Size: "A4"}}, "unknown label size"},
		{"long waybill", []any{WaybillLabel{Waybill: strings.Repeat("Ab", 34), Size: WaybillSize76x130}}, "too long"},
		{"bad gtin", []any{SKULabel{SKU: "S1", GTIN: "6923456789013"}}, "check digit"},
		{"short gtin", []any{SKULabel{SKU: "S1", GTIN: "12345"}}, "8, 12, 13 or 14 digits"},
		{"long lot", []any{SKULabel{SKU: "S1", GTIN: "6923456789012", Lot: strings.Repeat("A", 21)}}, "1 to 20 characters"},
		{"bad lot", []any{SKULabel{SKU: "S1", GTIN: "6923456789012", Lot: "批次1"}}, "does not allow"},
		{"empty sku", []any{SKULabel{}}, "SKU is empty"},
		{"empty location", []any{LocationLabel{Zone: "A"}}, "location code is empty"},
		{"empty tote", []any{ToteLabel{}}, "tote code is empty"},
		{"empty badge", []any{BadgeLabel{Name: "x"}}, "badge number is empty"},
	}
	for _, c := range bad {
		var b bytes.Buffer
		err := LabelZPL(&b, c.labels)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: LabelZPL error = %v, want one containing %q", c.name, err, c.want)
		}
		if b.Len() != 0 {
			t.Errorf("%s: LabelZPL wrote %d bytes despite the error", c.name, b.Len())
		}
	}
	font, err := FindFont("")
	if err != nil {
		return
	}
	var b bytes.Buffer
	if err := LabelPDF(&b, []any{SampleWaybill(), WaybillLabel{}}, font); err == nil || !strings.Contains(err.Error(), "label 2") {
		t.Errorf("LabelPDF error = %v, want one about label 2", err)
	}
	if b.Len() != 0 {
		t.Errorf("LabelPDF wrote %d bytes despite the error", b.Len())
	}
}

// layouts lays every template out with the ZPL metrics and, when the font is there, with
// the PDF's.
func layouts(t *testing.T) map[string]*labelLayout {
	t.Helper()
	out := map[string]*labelLayout{}
	all := templates()
	all = append(all,
		template{name: "sku_split", label: SKULabel{SKU: "SKU9", Name: "长批次", GTIN: "6923456789012", Lot: "ABCDEFGHIJKLMNOPQRST", Expiry: time.Date(2028, 1, 31, 0, 0, 0, 0, time.UTC)}},
		template{name: "sku_nogtin", label: SKULabel{SKU: "SKU-NO-GTIN", Name: "无条码商品"}},
	)
	var pm metrics
	if font, err := FindFont(""); err == nil {
		pdf, err := newDocument(docOptions{size: "A4", fontPath: font})
		if err != nil {
			t.Fatal(err)
		}
		pm = pdfMetrics{pdf}
	}
	for _, tp := range all {
		ls, err := toLabels([]any{tp.label})
		if err != nil {
			t.Fatal(err)
		}
		for kind, m := range map[string]metrics{"zpl": zplMetrics{}, "pdf": pm} {
			if m == nil {
				continue
			}
			l, err := ls[0].layout(m, nil)
			if err != nil {
				t.Fatalf("%s: %v", tp.name, err)
			}
			out[tp.name+"/"+kind] = l
		}
	}
	return out
}

func onGrid(v float64) bool {
	d := v * dotsPerMM
	return math.Abs(d-math.Round(d)) < 1e-9
}

// TestBarcodeGeometry checks the layout: every module is a whole number of 203-dpi dots (a
// multiple of 0.125 mm), every barcode starts on the dot grid, the quiet zones are clear of
// everything else and on the label.
func TestBarcodeGeometry(t *testing.T) {
	for name, l := range layouts(t) {
		type box struct {
			what       string
			x0, y0, x1 float64
			y1         float64
		}
		var others []box
		for _, r := range l.rects {
			others = append(others, box{"rule", r.x, r.y, r.x + r.w, r.y + r.h})
		}
		for _, tx := range l.texts {
			w := l.m.width(tx.s, tx.size)
			x := tx.x
			switch tx.align {
			case 'C':
				x += (tx.w - w) / 2
			case 'R':
				x += tx.w - w
			}
			if w > tx.w+1e-6 || x < -1e-9 || x+w > l.w+1e-9 || tx.y < 0 || tx.y+tx.size > l.h+1e-9 {
				t.Errorf("%s: text %q (%.2f mm wide at %.2f,%.2f) does not fit its box or the label", name, tx.s, w, x, tx.y)
			}
			others = append(others, box{"text " + tx.s, x, tx.y, x + w, tx.y + tx.size})
		}
		var zones []box
		for _, c := range l.codes {
			if c.dots < 2 {
				t.Errorf("%s: code 128 %q with %d-dot modules", name, c.code.content, c.dots)
			}
			mod := c.module()
			if !onGrid(mod) || !onGrid(c.x) || !onGrid(c.y) || !onGrid(c.h) {
				t.Errorf("%s: code 128 %q off the dot grid: x=%v module=%v", name, c.code.content, c.x, mod)
			}
			q := code128Quiet * mod
			z := box{"code 128 " + c.code.content, c.x - q, c.y, c.x + c.width() + q, c.y + c.h}
			if z.x0 < -1e-9 || z.x1 > l.w+1e-9 || z.y1 > l.h {
				t.Errorf("%s: code 128 %q with its quiet zones (%.3f–%.3f mm) is not on the %g mm label", name, c.code.content, z.x0, z.x1, l.w)
			}
			zones = append(zones, z)
		}
		for _, m := range l.mats {
			mod := m.module()
			if m.dots < 2 || !onGrid(mod) || !onGrid(m.x) || !onGrid(m.y) {
				t.Errorf("%s: %c code off the dot grid or too small: x=%v y=%v module=%v", name, m.code.kind, m.x, m.y, mod)
			}
			q := float64(m.quiet()) * mod
			z := box{"2D " + m.code.content, m.x - q, m.y - q, m.x + float64(m.code.cols)*mod + q, m.y + float64(m.code.rows)*mod + q}
			if z.x0 < -1e-9 || z.y0 < -1e-9 || z.x1 > l.w+1e-9 || z.y1 > l.h+1e-9 {
				t.Errorf("%s: %s with its quiet zone is not on the label", name, z.what)
			}
			zones = append(zones, z)
		}
		for i, z := range zones {
			for _, o := range others {
				if o.x0 < z.x1-1e-9 && z.x0 < o.x1-1e-9 && o.y0 < z.y1-1e-9 && z.y0 < o.y1-1e-9 {
					t.Errorf("%s: %s overlaps the quiet zone of %s", name, o.what, z.what)
				}
			}
			for j, z2 := range zones {
				if i != j && z2.x0 < z.x1 && z.x0 < z2.x1 && z2.y0 < z.y1 && z.y0 < z2.y1 {
					t.Errorf("%s: the quiet zones of %s and %s overlap", name, z.what, z2.what)
				}
			}
		}
	}
}

var (
	reBarcodeStart = regexp.MustCompile(`^%tally:(code128|qr|datamatrix) x=(\S+) module=(\S+)`)
	reBarcodeCM    = regexp.MustCompile(`^q (\S+) 0 0 (\S+) (\S+) (\S+) cm$`)
	reModRect      = regexp.MustCompile(`^(-?\d+) (-?\d+) (\d+) (\d+) re$`)
)

// TestPDFModuleWidths reads the barcodes back from the PDF content streams (uncompressed):
// each is drawn in a coordinate system whose unit is one module, scaled by a module width that
// is a whole number of 0.125 mm dots and placed with its left edge on the 0.125 mm grid, and
// every bar or module is a whole number of modules from that edge. So every bar edge is on
// the dot grid, relative to the barcode and to the page.
func TestPDFModuleWidths(t *testing.T) {
	font := testFont(t)
	labels := SampleLabels()
	labels = append(labels, SKULabel{SKU: "SKU9", GTIN: "6923456789012", Lot: "ABCDEFGHIJKLMNOPQRST", Expiry: time.Date(2028, 1, 31, 0, 0, 0, 0, time.UTC)})
	var b bytes.Buffer
	if err := writeLabelPDF(&b, labels, font, false); err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	lines := strings.Split(b.String(), "\n")
	bars := 0
	for i := 0; i < len(lines); i++ {
		m := reBarcodeStart.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		kind := m[1]
		counts[kind]++
		x0, _ := strconv.ParseFloat(m[2], 64)
		mod, _ := strconv.ParseFloat(m[3], 64)
		i++
		cm := reBarcodeCM.FindStringSubmatch(lines[i])
		if cm == nil {
			t.Fatalf("%s: no transformation after the comment: %q", kind, lines[i])
		}
		sx, _ := strconv.ParseFloat(cm[1], 64)
		sy, _ := strconv.ParseFloat(cm[2], 64)
		tx, _ := strconv.ParseFloat(cm[3], 64)
		ty, _ := strconv.ParseFloat(cm[4], 64)
		if sx != mod || tx != x0 || !onGrid(sx) || !onGrid(tx) || !onGrid(ty) || !onGrid(sy) || sx < 2*dotMM {
			t.Errorf("%s: module %v mm at %v,%v mm: not whole dots on the 0.125 mm grid (%q)", kind, sx, tx, ty, lines[i])
		}
		if kind != "code128" && sy != sx {
			t.Errorf("%s: modules not square: %q", kind, lines[i])
		}
		for i++; i < len(lines) && lines[i] != "f Q"; i++ {
			r := reModRect.FindStringSubmatch(lines[i])
			if r == nil {
				t.Fatalf("%s at x=%v: not a rectangle of whole modules: %q", kind, x0, lines[i])
			}
			w, _ := strconv.Atoi(r[3])
			if kind == "code128" && (r[2] != "0" || r[4] != "1" || w > 4 || w < 1) {
				t.Errorf("code 128 at x=%v: bar %q is not 1 to 4 modules wide and full height", x0, lines[i])
			}
			bars++
		}
	}
	if counts["code128"] != 9 || counts["qr"] != 3 || counts["datamatrix"] != 1 {
		t.Errorf("found barcodes %v, want 9 code128, 3 qr, 1 datamatrix", counts)
	}
	if bars < 500 {
		t.Errorf("only %d bars found", bars)
	}
}

// decodeCode128 interprets symbol values (start to check character) as the reader would:
// FNC1 becomes code128.FNC1.
func decodeCode128(t *testing.T, symbols []int) string {
	t.Helper()
	var b strings.Builder
	set := map[int]byte{c128StartA: 'A', c128StartB: 'B', c128StartC: 'C'}[symbols[0]]
	for _, v := range symbols[1 : len(symbols)-1] {
		switch {
		case v == c128FNC1:
			b.WriteRune(code128.FNC1)
		case set == 'C' && v < 100:
			fmt.Fprintf(&b, "%02d", v)
		case v == c128CodeC:
			set = 'C'
		case v == c128CodeB && set != 'B':
			set = 'B'
		case v == c128CodeA && set != 'A':
			set = 'A'
		case set == 'B' && v < 96:
			b.WriteByte(byte(32 + v))
		case set == 'A' && v < 64:
			b.WriteByte(byte(32 + v))
		case set == 'A' && v < 96:
			b.WriteByte(byte(v - 64))
		default:
			t.Fatalf("symbol %d in subset %c", v, set)
		}
	}
	return b.String()
}

// parseZPLCode128 interprets ^BC mode N field data as a Zebra printer does, giving the symbol
// values without the check character.
func parseZPLCode128(t *testing.T, data string) []int {
	t.Helper()
	var out []int
	var set byte
	for i := 0; i < len(data); {
		if data[i] == '>' && i+1 < len(data) {
			switch c := data[i+1]; c {
			case ':':
				out, set = append(out, c128StartB), 'B'
			case ';':
				out, set = append(out, c128StartC), 'C'
			case '5':
				out, set = append(out, c128CodeC), 'C'
			case '6':
				out, set = append(out, c128CodeB), 'B'
			case '8':
				out = append(out, c128FNC1)
			default:
				t.Fatalf("unexpected invocation >%c in %q", c, data)
			}
			i += 2
			continue
		}
		switch set {
		case 'C':
			v, err := strconv.Atoi(data[i : i+2])
			if err != nil {
				t.Fatalf("bad digit pair in %q", data)
			}
			out = append(out, v)
			i += 2
		case 'B':
			out = append(out, int(data[i])-32)
			i++
		default:
			t.Fatalf("data before the start code in %q", data)
		}
	}
	return out
}

func TestCode128SymbolsAndZPL(t *testing.T) {
	var inputs []string
	for c := byte(' '); c <= '~'; c++ {
		inputs = append(inputs, "X"+string(c)+"y")
	}
	for i := 0; i < 100; i += 7 {
		inputs = append(inputs, fmt.Sprintf("%02d%02d%02d%02d", i, 99-i, i/2, i%10))
	}
	inputs = append(inputs,
		"SF1234567890123", "78123456789012", "A01-02-03", "T00042", "E0042", "JDVA00012345678-1-3-", "a", "1", "12345",
		gs1Content([]gs1Element{{aiGTIN, "06923456789012"}, {aiExpiry, "270315"}, {aiLot, "L20260315A"}}),
		gs1Content([]gs1Element{{aiLot, "AB12"}, {aiGTIN, "06923456789012"}}),
		"\u00f2\u00f3\u00f4x", // FNC2, FNC3, FNC4
		"\x01\x02AB",          // subset A
	)
	for _, in := range inputs {
		c, err := encodeCode128(in)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if len(c.bars) != 11*len(c.symbols)+13 {
			t.Errorf("%q: %d modules for %d symbols", in, len(c.bars), len(c.symbols))
		}
		if in[0] < ' ' || strings.ContainsAny(in, "\u00f2\u00f3\u00f4") {
			continue // not printable on our labels; the table check above is what counts
		}
		if got := decodeCode128(t, c.symbols); got != in {
			t.Errorf("symbols of %q read back as %q", in, got)
		}
		if strings.ContainsAny(in, "^~>") {
			continue
		}
		data, err := zplCode128Data(c.symbols)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if got, want := parseZPLCode128(t, data), c.symbols[:len(c.symbols)-1]; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%q: ZPL data %q gives symbols %v, want %v", in, data, got, want)
		}
	}
	// The table has 106 distinct patterns of 11 modules, each 3 bars and 3 spaces.
	seen := map[string]bool{}
	for v, w := range code128Widths {
		sum := 0
		for _, d := range w {
			sum += int(d - '0')
		}
		if len(w) != 6 || sum != 11 || seen[w] {
			t.Errorf("pattern %d %q", v, w)
		}
		seen[w] = true
	}
	if _, err := code128Symbols(make([]bool, 57)); err == nil {
		t.Error("code128Symbols accepted blank modules")
	}
	if _, err := zplCode128Data([]int{c128StartA, 33, 1}); err == nil {
		t.Error("subset A should be refused for ZPL")
	}
}

// TestZPLStructure checks each label's ZPL: one format per label, UTF-8, the printer font, the
// same Code 128 symbols and module widths as the PDF, and no stray command characters in
// field data.
func TestZPLStructure(t *testing.T) {
	hostile := SampleWaybill()
	hostile.Recipient.Name = "张^XZ~JA_三\xff🍼"
	hostile.Items = strings.Repeat("很长的商品名称 ^FS ", 60)
	labels := append(SampleLabels(), hostile)
	zpl := string(renderZPL(t, labels))
	formats := strings.Split(strings.TrimSuffix(zpl, "^XZ\n"), "^XZ\n")
	if len(formats) != len(labels) {
		t.Fatalf("%d formats for %d labels", len(formats), len(labels))
	}
	reFD := regexp.MustCompile(`\^FD(.*?)\^FS`)
	reBC := regexp.MustCompile(`\^BY(\d+)\^BCN,\d+,N,N,N,N\^FD([^^]*)\^FS`)
	for i, f := range formats {
		if !strings.HasPrefix(f, "^XA\n^CI28\n^PW") {
			t.Errorf("format %d starts %q", i+1, f[:min(20, len(f))])
		}
		if strings.Count(f, "^XA") != 1 {
			t.Errorf("format %d has %d ^XA", i+1, strings.Count(f, "^XA"))
		}
		if !strings.Contains(f, "^A@N,") || !strings.Contains(f, ZPLFont) {
			t.Errorf("format %d does not use the printer font %s", i+1, ZPLFont)
		}
		for _, m := range reFD.FindAllStringSubmatch(f, -1) {
			if strings.ContainsAny(m[1], "^~") {
				t.Errorf("format %d: field data %q has a raw ^ or ~", i+1, m[1])
			}
		}
	}
	if !strings.Contains(formats[len(formats)-1], "^FH_^FD张_5EXZ_7EJA_5F三?") {
		t.Errorf("hostile name not escaped:\n%s", formats[len(formats)-1])
	}
	// The Code 128 symbols and module widths agree with the layout the PDF uses.
	ls, _ := toLabels(labels)
	for i, l := range ls {
		lay, err := l.layout(zplMetrics{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		bcs := reBC.FindAllStringSubmatch(formats[i], -1)
		if len(bcs) != len(lay.codes) {
			t.Fatalf("format %d: %d ^BC, layout has %d", i+1, len(bcs), len(lay.codes))
		}
		for j, bc := range bcs {
			c := lay.codes[j]
			if bc[1] != strconv.Itoa(c.dots) {
				t.Errorf("format %d: ^BY%s, module is %d dots", i+1, bc[1], c.dots)
			}
			if got, want := parseZPLCode128(t, bc[2]), c.code.symbols[:len(c.code.symbols)-1]; fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("format %d: ^BC data %q gives %v, want %v", i+1, bc[2], got, want)
			}
		}
	}
	if !strings.Contains(formats[3], "^BCN") || !strings.Contains(formats[3], ">;>80106923456789012172703151") {
		t.Errorf("SKU label should start its GS1-128 with start C and FNC1:\n%s", formats[3])
	}
	if !strings.Contains(formats[0], "^BQN,2,") || !strings.Contains(formats[0], "^FDMA,https://track.example.cn/w/SF1234567890123^FS") {
		t.Errorf("waybill lacks its QR code:\n%s", formats[0])
	}
	if !strings.Contains(formats[5], "^BXN,") {
		t.Errorf("tote label lacks its Data Matrix:\n%s", formats[5])
	}
	if !strings.Contains(formats[2], "^FR^FD副本 COPY^FS") {
		t.Errorf("copy mark missing in the 76x130 copy:\n%s", formats[2])
	}
}

func TestWaybillItemsWrapAndTruncate(t *testing.T) {
	wb := SampleWaybill()
	var items []string
	for i := 1; i <= 60; i++ {
		items = append(items, fmt.Sprintf("SKU%05d 飞鹤星飞帆 %d段 800g ×%d", i, i%3+1, i%4+1))
	}
	wb.Items = strings.Join(items, "; ")
	for _, size := range []string{WaybillSize100x150, WaybillSize76x130} {
		wb.Size = size
		l, err := wb.layout(zplMetrics{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		var itemLines []textEl
		inItems := false
		for _, tx := range l.texts {
			if strings.HasPrefix(tx.s, "内件 Items:") {
				inItems = true
			}
			if strings.HasPrefix(tx.s, "打印 Printed") {
				inItems = false
			}
			if inItems {
				itemLines = append(itemLines, tx)
			}
		}
		if len(itemLines) < 3 {
			t.Fatalf("%s: items on %d lines", size, len(itemLines))
		}
		last := itemLines[len(itemLines)-1]
		if !strings.HasSuffix(last.s, "…") {
			t.Errorf("%s: the last items line %q should end in … (truncated)", size, last.s)
		}
		var printed *textEl
		for i := range l.texts {
			if strings.HasPrefix(l.texts[i].s, "打印 Printed") {
				printed = &l.texts[i]
			}
		}
		if printed == nil || last.y+last.size > printed.y {
			t.Errorf("%s: items run into the footer", size)
		}
	}
}

func TestGTIN(t *testing.T) {
	for in, want := range map[string]string{
		"6923456789012":  "06923456789012",
		"06923456789012": "06923456789012",
		"96385074":       "00000096385074",
		"036000291452":   "00036000291452",
	} {
		got, err := scan.NormalizeGTIN(in) // what the SKU label encodes as AI (01)
		if err != nil || got != want {
			t.Errorf("NormalizeGTIN(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if got := gs1Text([]gs1Element{{aiGTIN, "06923456789012"}, {aiExpiry, "270315"}, {aiLot, "L1"}}); got != "(01)06923456789012(17)270315(10)L1" {
		t.Errorf("gs1Text = %q", got)
	}
	if got := gs1Content([]gs1Element{{aiLot, "L1"}, {aiExpiry, "270315"}}); got != "\u00f110L1\u00f117270315" {
		t.Errorf("gs1Content with the lot first = %q, want FNC1 after the lot", got)
	}
}

// TestWaveMatchesSingleLabels checks that a long job, whose barcodes are encoded ahead on
// several goroutines, prints every label exactly as a job of that label alone does.
func TestWaveMatchesSingleLabels(t *testing.T) {
	labels := waveLabels(3 * prefetchMin)
	labels = append(labels, SampleLabels()...)
	var want []byte
	for _, l := range labels {
		want = append(want, renderZPL(t, []any{l})...)
	}
	if got := renderZPL(t, labels); !bytes.Equal(got, want) {
		t.Error("the ZPL of a wave differs from its labels' ZPL printed one by one")
	}
	// A bad label in a long job fails the job and stops the encoders.
	bad := append(append([]any{}, labels...), WaybillLabel{Waybill: "SF^1"})
	var b bytes.Buffer
	if err := LabelZPL(&b, bad); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("label %d", len(bad))) {
		t.Errorf("LabelZPL with a bad last label: %v", err)
	}
}
