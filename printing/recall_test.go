package printing

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// inCI reports whether a missing font or pdftotext must fail the test instead of skipping it
// (CI installs fonts-arphic-gbsn00lp and poppler-utils).
func inCI() bool { return os.Getenv("CI") == "true" }

// testFont returns the font the render tests use.
func testFont(t testing.TB) string {
	t.Helper()
	p, err := FindFont("")
	if err != nil {
		if inCI() {
			t.Fatalf("CI must have a Chinese font (apt-get install %s): %v", FontPackage, err)
		}
		t.Skipf("no Chinese font installed (apt-get install %s): %v", FontPackage, err)
	}
	return p
}

// pdfPages extracts the text of each page with pdftotext.
func pdfPages(t *testing.T, pdf []byte) []string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		if inCI() {
			t.Fatal("CI must have pdftotext (apt-get install poppler-utils)")
		}
		t.Skip("pdftotext not installed (apt-get install poppler-utils)")
	}
	file := filepath.Join(t.TempDir(), "report.pdf")
	if err := os.WriteFile(file, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-enc", "UTF-8", file, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	pages := strings.Split(string(out), "\f")
	if len(pages) > 1 && strings.TrimSpace(pages[len(pages)-1]) == "" {
		pages = pages[:len(pages)-1]
	}
	return pages
}

var pageObject = regexp.MustCompile(`/Type /Page[^s]`)

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFindFontExplicitMissing(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.ttf")
	p, err := FindFont(missing)
	if err == nil {
		t.Fatalf("FindFont(%q) = %q, want an error", missing, p)
	}
	if !strings.Contains(err.Error(), "nope.ttf") || !strings.Contains(err.Error(), FontPackage) {
		t.Errorf("error should name the file and the package: %v", err)
	}
}

func TestFindFontEnvNotAFont(t *testing.T) {
	bogus := writeTemp(t, "font.ttf", []byte("this is not a font, just some text\n"))
	t.Setenv(FontEnv, bogus)
	p, err := FindFont("")
	if err == nil {
		t.Fatalf("FindFont with %s=%s = %q, want an error", FontEnv, bogus, p)
	}
	for _, want := range []string{FontEnv, bogus, "not a TrueType font"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q should mention %q", err, want)
		}
	}
}

func TestFindFontRejectsUnusableFormats(t *testing.T) {
	pad := make([]byte, 64)
	cases := []struct{ name, header, want string }{
		{"collection.ttc", "ttcf", "collection"},
		{"cff.otf", "OTTO", "CFF"},
		{"web.woff", "wOFF", "WOFF"},
		{"short.ttf", "", "too short"},
	}
	for _, c := range cases {
		data := []byte(c.header)
		if c.header != "" {
			data = append(data, pad...)
		}
		p := writeTemp(t, c.name, data)
		_, err := FindFont(p)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("FindFont(%s) error = %v, want one mentioning %q", c.name, err, c.want)
		}
	}
	dir := t.TempDir()
	if _, err := FindFont(dir); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Errorf("FindFont(directory) error = %v, want one mentioning the directory", err)
	}
}

func TestFindFontRejectsLatinOnlyFont(t *testing.T) {
	const dejavu = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
	if _, err := os.Stat(dejavu); err != nil {
		t.Skip("DejaVu Sans not installed")
	}
	_, err := FindFont(dejavu)
	if err == nil || !strings.Contains(err.Error(), "Chinese") {
		t.Fatalf("FindFont(DejaVuSans) error = %v, want one about missing Chinese glyphs", err)
	}
}

func TestFindFontNothingFound(t *testing.T) {
	saved := fontCandidates
	t.Cleanup(func() { fontCandidates = saved })
	fontCandidates = []string{filepath.Join(t.TempDir(), "absent.ttf")}
	t.Setenv(FontEnv, "")
	_, err := FindFont("")
	if !errors.Is(err, ErrNoFont) || !strings.Contains(err.Error(), "apt-get install "+FontPackage) {
		t.Fatalf("error = %v, want ErrNoFont naming the package to install", err)
	}
}

func TestFindFontInstalled(t *testing.T) {
	t.Setenv(FontEnv, "")
	p, err := FindFont("")
	if err != nil {
		if inCI() {
			t.Fatalf("CI installs %s, but: %v", FontPackage, err)
		}
		t.Skipf("no Chinese font installed: %v", err)
	}
	t.Logf("font: %s", p)
	if got, err := FindFont(p); err != nil || got != p {
		t.Errorf("FindFont(%q) = %q, %v", p, got, err)
	}
	t.Setenv(FontEnv, p)
	if got, err := FindFont(""); err != nil || got != p {
		t.Errorf("FindFont with %s=%s = %q, %v", FontEnv, p, got, err)
	}
	if inCI() && p != fontCandidates[0] {
		t.Errorf("CI should find %s, found %s", fontCandidates[0], p)
	}
}

const (
	testSKUName = "飞鹤星飞帆 3段 800g"
	testLot     = "L20260315A"
)

func orderNo(i int) string { return fmt.Sprintf("SO20261121%05d", i) }

func sampleReport(orders int) RecallReport {
	r := RecallReport{
		Title:     "召回报告 / Recall report",
		Generated: "2026-11-21 14:05 CST",
		SKU:       "SKU00042",
		SKUName:   testSKUName,
		Lot:       testLot,
		Expiry:    "2027-03-15",
		Status:    "冻结 / Blocked",
		Reason:    "供应商通知：批次可能受污染（supplier notice: possible contamination）。请立即下架并隔离所有库存，联系已收货的客户。",
		Labels: map[string]string{
			"locations": "库位 / Locations", "orders": "订单 / Orders",
			"location": "库位 / Location", "zone": "区 / Zone", "qty": "数量 / Qty",
			"order": "订单号 / Order", "channel": "渠道 / Channel", "state": "状态 / State",
			"picked": "已拣 / Picked", "waybill": "运单 / Waybill", "none": "无 / None",
			"total": "合计 / Total", "sku": "商品 / SKU", "lot": "批次 / Lot",
			"expiry": "有效期 / Expiry", "status": "状态 / Status", "reason": "原因 / Reason",
			"generated": "生成时间 / Generated", "page": "页 / Page",
		},
		Locations: []RecallLocation{
			{"A01-02-03", "拣货区 A", 12},
			{"R05-01-01", "存储区 R", 240},
			{"QUARANTINE", "隔离区", 7},
		},
	}
	channels := []string{"天猫", "京东", "抖音", "拼多多"}
	for i := 1; i <= orders; i++ {
		r.Orders = append(r.Orders, RecallOrder{
			Order:   orderNo(i),
			Channel: channels[i%len(channels)],
			State:   "已发货",
			Waybill: fmt.Sprintf("SF14%08d", i),
			Qty:     int64(1 + i%3),
		})
	}
	return r
}

func render(t *testing.T, r RecallReport, font string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteRecallPDF(&b, r, font); err != nil {
		t.Fatalf("WriteRecallPDF: %v", err)
	}
	if !bytes.HasPrefix(b.Bytes(), []byte("%PDF-")) {
		t.Fatalf("output does not start with %%PDF-: %q", b.Bytes()[:min(16, b.Len())])
	}
	return b.Bytes()
}

func TestWriteRecallPDF(t *testing.T) {
	font := testFont(t)
	r := sampleReport(300)
	pdf := render(t, r, font)

	n := len(pageObject.FindAll(pdf, -1))
	if n < 3 {
		t.Fatalf("300 orders on %d pages, want several", n)
	}

	pages := pdfPages(t, pdf)
	if len(pages) != n {
		t.Fatalf("pdftotext found %d pages, the PDF has %d page objects", len(pages), n)
	}
	all := strings.Join(pages, "\n")
	var orderTotal int64
	for _, o := range r.Orders {
		orderTotal += o.Qty
	}
	for _, want := range []string{
		r.Title, r.Generated, r.SKU, testSKUName, testLot, r.Expiry, r.Status,
		"存储区 R", "259", // locations and their total
	} {
		if !strings.Contains(all, want) {
			t.Errorf("text of the PDF lacks %q", want)
		}
	}
	// The reason wraps over two lines: no character may get lost at the break.
	squash := func(s string) string { return strings.Join(strings.Fields(s), "") }
	if !strings.Contains(squash(all), squash(r.Reason)) {
		t.Errorf("text of the PDF lacks the whole reason %q", r.Reason)
	}
	last := pages[len(pages)-1]
	for _, want := range []string{orderNo(300), "合计 / Total", fmt.Sprint(orderTotal), fmt.Sprintf("页 / Page %d/%d", n, n)} {
		if !strings.Contains(last, want) {
			t.Errorf("last page lacks %q:\n%s", want, last)
		}
	}
	// Every page that continues the orders table repeats its header row and has a footer.
	for i, p := range pages {
		if !strings.Contains(p, fmt.Sprintf("页 / Page %d/%d", i+1, n)) {
			t.Errorf("page %d lacks its footer", i+1)
		}
		if i > 0 && !strings.Contains(p, "运单 / Waybill") {
			t.Errorf("page %d does not repeat the orders table header", i+1)
		}
	}
	// Pagination neither drops nor repeats a row.
	for i := 1; i <= len(r.Orders); i++ {
		if c := strings.Count(all, orderNo(i)); c != 1 {
			t.Errorf("order %s appears %d times", orderNo(i), c)
		}
	}
}

func TestWriteRecallPDFDeterministic(t *testing.T) {
	font := testFont(t)
	r := sampleReport(120)
	var wg sync.WaitGroup
	outs := make([][]byte, 2)
	errs := make([]error, 2)
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var b bytes.Buffer
			errs[i] = WriteRecallPDF(&b, r, font)
			outs[i] = b.Bytes()
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(outs[0], outs[1]) {
		t.Fatal("two renders of the same report differ")
	}
	if !bytes.Contains(outs[0], []byte("D:19700101000000")) {
		t.Error("creation date should be the fixed reproducible date")
	}
	r.Created = time.Date(2026, 11, 21, 6, 5, 0, 0, time.UTC)
	if !bytes.Contains(render(t, r, font), []byte("D:20261121060500")) {
		t.Error("creation date should come from Created")
	}
}

func TestWriteRecallPDFEmptyTablesAndDefaults(t *testing.T) {
	font := testFont(t)
	r := RecallReport{Title: "Recall report", SKU: "SKU1", Lot: "LOT-9"}
	pdf := render(t, r, font)
	if n := len(pageObject.FindAll(pdf, -1)); n != 1 {
		t.Errorf("empty report on %d pages, want 1", n)
	}
	text := pdfPages(t, pdf)[0]
	for _, want := range []string{"Locations (0)", "Orders (0)", "None", "Page 1/1", "LOT-9"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if strings.Count(text, "None") != 2 {
		t.Errorf("want a None row in each table:\n%s", text)
	}
}

func TestWriteRecallPDFHostileText(t *testing.T) {
	font := testFont(t)
	r := sampleReport(3)
	r.SKUName = "奶粉 🍼 \xff\xfe bad\x00bytes\r\n" + strings.Repeat("很长的商品名称", 40)
	r.Reason = strings.Repeat("原因说明 reason text that goes on and on, ", 400) // longer than a page
	r.Orders[0].Order = strings.Repeat("X", 200)
	r.Orders[1].Channel = "渠道(测试)\\反斜杠"
	r.Labels["page"] = "页\n/ Page"
	pdf := render(t, r, font)
	text := strings.Join(pdfPages(t, pdf), "\n")
	for _, want := range []string{"奶粉", "渠道(测试)\\反斜杠", orderNo(3)} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q", want)
		}
	}
}

func TestWriteRecallPDFBadFont(t *testing.T) {
	bogus := writeTemp(t, "bogus.ttf", []byte("nope"))
	var b bytes.Buffer
	err := WriteRecallPDF(&b, sampleReport(1), bogus)
	if err == nil || !strings.Contains(err.Error(), "bogus.ttf") {
		t.Fatalf("error = %v, want one naming the font", err)
	}
	if b.Len() != 0 {
		t.Errorf("wrote %d bytes despite the error", b.Len())
	}
}

func TestWrapTextKeepsEveryCharacter(t *testing.T) {
	font := testFont(t)
	pdf, err := newDocument(docOptions{size: "A4", margin: 15, fontPath: font})
	if err != nil {
		t.Fatal(err)
	}
	s := "供应商通知：批次可能受污染（supplier notice: possible contamination）。请立即下架并隔离所有库存，联系已收货的客户。"
	for _, w := range []float64{20, 35, 60, 145} {
		lines := wrapText(pdf, s, w)
		if len(lines) < 2 && w < 100 {
			t.Errorf("width %v: %d lines, want wrapping", w, len(lines))
		}
		strip := func(x string) string { return strings.ReplaceAll(x, " ", "") }
		if got := strip(strings.Join(lines, "")); got != strip(s) {
			t.Errorf("width %v: wrapped text lost characters:\n got %q\nwant %q", w, got, strip(s))
		}
		for _, l := range lines {
			if strings.HasPrefix(l, "，") || strings.HasPrefix(l, "。") {
				t.Errorf("width %v: line starts with closing punctuation: %q", w, l)
			}
			if pdf.GetStringWidth(l) > w-2*pdf.GetCellMargin()+1e-6 {
				t.Errorf("width %v: line %q is too wide", w, l)
			}
		}
	}
}
