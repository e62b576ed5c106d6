package server

import (
	"context"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"tally/scan"
	"tally/wms"
)

// testServerAt is testServer with the clock stopped at now.
func testServerAt(t *testing.T, now time.Time) (*Server, *wms.Ledger) {
	t.Helper()
	dir := t.TempDir()
	l, err := wms.Open(dir, wms.Options{Now: func() time.Time { return now }, Zone: time.FixedZone("CST", 8*3600)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.SeedDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if mm, err := l.Check(dir); err != nil || len(mm) > 0 {
			t.Errorf("ledger check after test: %v %v", err, mm)
		}
		l.Close()
	})
	return New(Config{Version: "test"}, l, scan.NewParser(scan.DefaultPatterns()), slog.New(slog.NewTextHandler(io.Discard, nil))), l
}

// Labels and documents print the warehouse's time, not UTC: at 22:24 UTC on
// 29 November it is already 06:24 on the 30th in Shanghai, as the print jobs
// page says. The waybill in each form the printers get (PDF, ZPL, the print
// page's SVG), and the recall report.
func TestPrintedTimesAreTheWarehouses(t *testing.T) {
	s, l := testServerAt(t, time.Date(2026, 11, 29, 22, 24, 0, 0, time.UTC))
	const local, utc = "2026-11-30 06:24", "2026-11-29 22:24"
	ctx := context.Background()
	if _, err := l.SaveStation(ctx, "", wms.Station{ID: "PACK-Z", Printer: "browser"}, "admin", "t"); err != nil {
		t.Fatal(err)
	}
	_, lot := pickedOrder(t, l, "SO470001", "T47001")
	book, _ := l.SKU("SKU03000")
	milk, _ := l.SKU("SKU00002")
	for i, sc := range []wms.PackScan{{GTIN: book.GTINs[0]}, {GTIN: book.GTINs[0]}, {GTIN: milk.GTINs[0], Lot: lot, Serial: "FH-Z"}} {
		sc.Order, sc.Station, sc.Qty = "SO470001", "PACK-Z", 1
		if _, err := l.PackScan(ctx, "z-"+string(rune('a'+i)), sc, "B2001", "kiosk"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.CloseParcel(ctx, "z-parcel", wms.ParcelClose{Order: "SO470001", Station: "PACK-Z", Box: "M2",
		WeightG: 2*book.UnitWeightG + milk.UnitWeightG + 160 + 20, Typed: true}, "B2001", "kiosk"); err != nil {
		t.Fatal(err)
	}
	job, err := l.RequestPrint(ctx, "z-print", wms.PrintRequest{Station: "PACK-Z", Kind: "waybill", Order: "SO470001", Parcel: 1}, "B2001", "kiosk")
	if err != nil {
		t.Fatal(err)
	}
	printed := func(form, text string) {
		t.Helper()
		if !strings.Contains(text, "Printed: "+local) || strings.Contains(text, utc) {
			t.Errorf("the waybill as %s does not print %s (the warehouse's time):\n%s", form, local, text)
		}
	}
	zpl, err := s.renderLabel(job, "zpl")
	if err != nil {
		t.Fatal(err)
	}
	printed("ZPL", string(zpl))

	c := newClient(t, s)
	c.login("B2001", "2222")
	resp, page := c.get("/pack/print/" + job.ID)
	if resp.StatusCode != 200 {
		t.Fatalf("print page: %d", resp.StatusCode)
	}
	printed("SVG", page)
	resp, pdf := c.get("/pack/label/" + job.ID + ".pdf")
	if os.Getenv("CI") == "true" || resp.StatusCode == 200 {
		if resp.StatusCode != 200 {
			t.Fatalf("label PDF: %d %.200s", resp.StatusCode, pdf)
		}
		if text, ok := pdfText(t, []byte(pdf)); ok {
			printed("PDF", text)
		}
	}

	// the recall report says when it was made in the same time
	sup := newClient(t, s)
	sup.login("B4001", "4444")
	sup.get("/recall")
	if resp, _ := sup.post("/recall", url.Values{"sku": {"SKU00002"}, "lot": {lot}, "reason": {"供应商召回"}}); resp.StatusCode != 303 {
		t.Fatalf("recall: %d", resp.StatusCode)
	}
	resp, pdf = sup.get("/recall/report.pdf?sku=SKU00002&lot=" + url.QueryEscape(lot))
	if os.Getenv("CI") == "true" || resp.StatusCode == 200 {
		if resp.StatusCode != 200 {
			t.Fatalf("recall PDF: %d %.200s", resp.StatusCode, pdf)
		}
		if text, ok := pdfText(t, []byte(pdf)); ok && (!strings.Contains(text, local) || strings.Contains(text, utc)) {
			t.Errorf("the recall report does not say %s:\n%s", local, text)
		}
	}
}
