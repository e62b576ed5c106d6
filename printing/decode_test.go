package printing

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// The decode test prints every label template to PDF, rasterises it as a 203-dpi thermal
// printer would (pdftoppm -r 203 -gray, with and without anti-aliasing) and reads the
// barcodes back: zbarimg for Code 128 (with zbar's GS1 flag for GS1-128) and QR codes,
// ZXingReader (zxing-cpp-tools) for everything including Data Matrix, and the AIM symbology
// identifier ]C1 that marks GS1-128.

// tool finds a command-line tool; missing, it skips the test, or fails it under CI=true.
func tool(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if inCI() {
			t.Fatalf("CI must have %s (apt-get install %s)", name, pkg)
		}
		t.Skipf("%s not installed (apt-get install %s)", name, pkg)
	}
	return p
}

// rasterize renders page 1 of pdf at 203 dpi in grey and returns the PNG's path. crop, when
// not nil, is x, y, w, h in millimetres.
func rasterize(t *testing.T, pdftoppm string, pdf []byte, antialias bool, crop []float64) string {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "label.pdf")
	if err := os.WriteFile(in, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"-r", "203", "-gray", "-png", "-singlefile"}
	if !antialias {
		args = append(args, "-aa", "no", "-aaVector", "no")
	}
	if crop != nil {
		px := func(mm float64) string { return fmt.Sprint(int(mm * 203 / 25.4)) }
		args = append(args, "-x", px(crop[0]), "-y", px(crop[1]), "-W", px(crop[2]), "-H", px(crop[3]))
	}
	out := filepath.Join(dir, "label")
	args = append(args, in, out)
	if msg, err := exec.Command(pdftoppm, args...).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v: %s", err, msg)
	}
	return out + ".png"
}

// readCode is a barcode as a reader reported it.
type readCode struct {
	kind string // "code128", "gs1-128", "qr", "datamatrix"
	data string
}

var zbarSymbol = regexp.MustCompile(`<symbol type='([^']+)'([^>]*)><data><!\[CDATA\[(.*?)\]\]></data>`)

// zbarRead reads every barcode in png with zbarimg's XML output, which flags GS1-128.
func zbarRead(t *testing.T, zbarimg, png string) []readCode {
	t.Helper()
	out, err := exec.Command(zbarimg, "--xml", "-q", png).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 4 {
			return nil // no symbol found
		}
		t.Fatalf("zbarimg: %v", err)
	}
	var codes []readCode
	for _, m := range zbarSymbol.FindAllStringSubmatch(string(out), -1) {
		kind := strings.ToLower(m[1])
		switch {
		case kind == "code-128" && strings.Contains(m[2], "GS1"):
			kind = "gs1-128"
		case kind == "code-128":
			kind = "code128"
		case kind == "qr-code":
			kind = "qr"
		}
		codes = append(codes, readCode{kind, m[3]})
	}
	return codes
}

// zxingRead reads the barcodes of one format (Code128, QRCode, DataMatrix) in png with
// ZXingReader. GS1-128 is told by its symbology identifier ]C1; its data is reported without
// FNC1. (One format at a time: ZXingReader 1.4 aborts on an assertion when two symbols of
// different formats carry the same text.)
func zxingRead(t *testing.T, zxing, png, format string) []readCode {
	t.Helper()
	out, err := exec.Command(zxing, "-format", format, png).Output()
	if err != nil {
		t.Fatalf("ZXingReader: %v", err)
	}
	var codes []readCode
	var cur readCode
	var id string
	flush := func() {
		if cur.kind != "" {
			if cur.kind == "code128" && id == "]C1" {
				cur.kind = "gs1-128"
			}
			codes = append(codes, cur)
		}
		cur, id = readCode{}, ""
	}
	for _, line := range strings.Split(string(out), "\n") {
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		switch strings.TrimSpace(key) {
		case "Text":
			flush()
			cur.data = strings.TrimSuffix(strings.TrimPrefix(val, `"`), `"`)
		case "Format":
			cur.kind = map[string]string{"Code128": "code128", "QRCode": "qr", "DataMatrix": "datamatrix"}[val]
			if cur.kind == "" {
				cur.kind = "other:" + val
			}
		case "Identifier":
			id = val
		}
	}
	flush()
	return codes
}

func sortCodes(c []readCode) []string {
	var s []string
	for _, x := range c {
		s = append(s, x.kind+" "+x.data)
	}
	slices.Sort(s)
	return s
}

func TestDecodeLabels(t *testing.T) {
	font := testFont(t)
	pdftoppm := tool(t, "pdftoppm", "poppler-utils")
	zbarimg := tool(t, "zbarimg", "zbar-tools")
	zxing, zxErr := exec.LookPath("ZXingReader")
	if zxErr != nil {
		if inCI() {
			t.Fatal("CI must have ZXingReader (apt-get install zxing-cpp-tools)")
		}
		t.Log("ZXingReader not installed (apt-get install zxing-cpp-tools): GS1-128 is checked with zbar's GS1 flag only, Data Matrix not at all")
	}
	cases := templates()
	long := SKULabel{SKU: "SKU9", Name: "长批次商品", GTIN: "6923456789012", Lot: "ABCDEFGHIJKLMNOPQRST", Expiry: time.Date(2028, 1, 31, 0, 0, 0, 0, time.UTC)}
	cases = append(cases,
		template{"sku_split", long, []wantCode{{"gs1-128", "010692345678901217280131"}, {"gs1-128", "10ABCDEFGHIJKLMNOPQRST"}}},
		template{"sku_nogtin", SKULabel{SKU: "SKU-NO-GTIN", Name: "无条码商品"}, []wantCode{{"code128", "SKU-NO-GTIN"}}},
	)
	for _, tp := range cases {
		t.Run(tp.name, func(t *testing.T) {
			pdf := renderPDF(t, []any{tp.label}, font)
			var want1D []string // what zbar can read: Code 128 and QR
			for _, w := range tp.codes {
				if w.kind != "datamatrix" {
					want1D = append(want1D, w.kind+" "+w.data)
				}
			}
			slices.Sort(want1D)
			// Anti-aliased, as the kiosk and CUPS print previews show it, and as a binary
			// raster. Without anti-aliasing poppler paints every pixel a bar touches, so each
			// bar comes out one dot wider, as on printers whose driver rasterises that way;
			// zbar must still read that.
			for _, aa := range []bool{true, false} {
				png := rasterize(t, pdftoppm, pdf, aa, nil)
				if got := sortCodes(zbarRead(t, zbarimg, png)); !slices.Equal(got, want1D) {
					t.Errorf("zbarimg (anti-aliasing %v) read %q, want %q", aa, got, want1D)
				}
				if zxErr != nil || !aa {
					continue
				}
				var got []readCode
				for _, f := range []string{"Code128", "QRCode"} {
					got = append(got, zxingRead(t, zxing, png, f)...)
				}
				if got := sortCodes(got); !slices.Equal(got, want1D) {
					t.Errorf("ZXingReader read %q, want %q", got, want1D)
				}
			}
			// ZXing's Data Matrix detector looks for the symbol around the middle of the
			// image, so it gets the symbol's area, as a scanner aimed at it would.
			for _, w := range tp.codes {
				if w.kind != "datamatrix" || zxErr != nil {
					continue
				}
				lay := pdfLayout(t, font, tp.label)
				if len(lay.mats) != 1 {
					t.Fatalf("%d 2D codes in the layout", len(lay.mats))
				}
				m := lay.mats[0]
				q := float64(m.quiet()+2) * m.module()
				side := float64(m.code.cols) * m.module()
				png := rasterize(t, pdftoppm, pdf, true, []float64{m.x - q, m.y - q, side + 2*q, side + 2*q})
				got := zxingRead(t, zxing, png, "DataMatrix")
				if !slices.Contains(got, readCode{"datamatrix", w.data}) {
					t.Errorf("ZXingReader read %v around the Data Matrix, want %q", got, w.data)
				}
			}
		})
	}
}

// pdfLayout lays label out as LabelPDF does.
func pdfLayout(t *testing.T, font string, label any) *labelLayout {
	t.Helper()
	doc, err := newDocument(docOptions{size: "A4", fontPath: font})
	if err != nil {
		t.Fatal(err)
	}
	ls, err := toLabels([]any{label})
	if err != nil {
		t.Fatal(err)
	}
	lay, err := ls[0].layout(pdfMetrics{doc}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return lay
}

// TestDecodeWaybillWave checks that the barcodes of a page deep inside a multi-label PDF read
// as well as a single label's.
func TestDecodeWaybillWave(t *testing.T) {
	font := testFont(t)
	pdftoppm := tool(t, "pdftoppm", "poppler-utils")
	zbarimg := tool(t, "zbarimg", "zbar-tools")
	labels := waveLabels(50)
	pdf := renderPDF(t, labels, font)
	dir := t.TempDir()
	in := filepath.Join(dir, "wave.pdf")
	if err := os.WriteFile(in, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "p")
	if msg, err := exec.Command(pdftoppm, "-r", "203", "-gray", "-png", "-f", "37", "-l", "37", "-singlefile", in, out).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v: %s", err, msg)
	}
	wb := labels[36].(WaybillLabel)
	got := sortCodes(zbarRead(t, zbarimg, out+".png"))
	want := []string{"code128 " + wb.Waybill, "qr " + wb.QR}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("page 37 read %q, want %q", got, want)
	}
	if !bytes.Contains(pdf, []byte("%PDF-")) {
		t.Fatal("not a PDF")
	}
}
