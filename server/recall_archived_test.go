package server

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"tally/wms"
)

// A recall of a lot whose order was archived holds the lot and its report
// (page, CSV, API) names the order with the waybill read from the archive;
// where this copy lacks the archive file the report names the order with
// the reason instead of failing.
func TestRecallOfArchivedOrder(t *testing.T) {
	s, l, _, advance := clockedDemoServer(t)
	ctx := context.Background()
	lot := shippedOrder(t, s, l, "SO510001", "T51001", "FH-5101")
	pack, _ := l.Pack("SO510001")
	if len(pack.Parcels) == 0 {
		t.Fatal("no parcel")
	}
	waybill := pack.Parcels[0].Waybill
	advance(31 * 24 * time.Hour)
	if run, err := l.Archive(ctx, wms.DefaultRetention(), "system", "test"); err != nil || run.Orders == 0 {
		t.Fatalf("archive: %+v %v", run, err)
	}
	if _, err := l.Order("SO510001"); err == nil {
		t.Fatal("order still live")
	}
	admin, _ := l.CreateToken(ctx, "qa", wms.RoleSupervisor, "t")
	api := newClient(t, s)
	api.bearer = admin
	type out struct {
		Lot    struct{ Status string }
		Orders []struct {
			Order, Waybill, Unread string
			Archived               bool
			Qty                    int64
		}
	}
	r, body := api.do("POST", "/api/v1/recall", strings.NewReader(`{"sku":"SKU00002","lot":"`+lot+`","reason":"supplier recall"}`),
		map[string]string{"Content-Type": "application/json", "Idempotency-Key": "8a6f3e0c-5101-4c1e-9a55-2f1f5d3c0a01"})
	var got out
	if err := json.Unmarshal([]byte(body), &got); err != nil || r.StatusCode != 200 || got.Lot.Status != string(wms.LotHold) {
		t.Fatalf("recall: %d %s", r.StatusCode, body)
	}
	if len(got.Orders) != 1 || got.Orders[0].Order != "SO510001" || !got.Orders[0].Archived || got.Orders[0].Qty != 1 ||
		!strings.Contains(got.Orders[0].Waybill, waybill) || got.Orders[0].Unread != "" {
		t.Errorf("recall answer: %s", body)
	}
	// without the archive file (a standby without the files)
	files, _ := filepath.Glob(filepath.Join(l.ArchiveDir(), "*.orders.jsonl.gz"))
	if len(files) != 1 {
		t.Fatalf("order files %v", files)
	}
	aside := filepath.Join(t.TempDir(), "aside.gz")
	if err := os.Rename(files[0], aside); err != nil {
		t.Fatal(err)
	}
	r, body = api.do("GET", "/api/v1/recall?sku=SKU00002&lot="+url.QueryEscape(lot), nil, nil)
	got = out{}
	if err := json.Unmarshal([]byte(body), &got); err != nil || r.StatusCode != 200 || len(got.Orders) != 1 ||
		got.Orders[0].Order != "SO510001" || !strings.Contains(got.Orders[0].Unread, filepath.Base(files[0])) {
		t.Errorf("report without the file: %d %s", r.StatusCode, body)
	}
	c := newClient(t, s)
	c.login("B4001", "4444")
	_, page := c.get("/recall?sku=SKU00002&lot=" + url.QueryEscape(lot))
	if !strings.Contains(page, `data-testid="recall-unread"`) || !strings.Contains(page, "SO510001") || !strings.Contains(page, filepath.Base(files[0])) {
		t.Errorf("report page without the file:\n%s", page)
	}
	resp, csvText := c.get("/recall/report.csv?sku=SKU00002&lot=" + url.QueryEscape(lot))
	if resp.StatusCode != 200 || !strings.Contains(csvText, "order,SKU00002,"+lot+",SO510001,,,,") || !strings.Contains(csvText, filepath.Base(files[0])) {
		t.Errorf("csv without the file: %d\n%s", resp.StatusCode, csvText)
	}
	// the printed report names the order and says it is not readable here
	resp, pdf := c.get("/recall/report.pdf?sku=SKU00002&lot=" + url.QueryEscape(lot))
	switch {
	case resp.StatusCode == 200:
		// (the supervisor reads English here: the report's language is the session's)
		text, ok := pdfText(t, []byte(pdf))
		if ok && (!regexp.MustCompile(`SO510001\s.*Not read\s.*\?`).MatchString(text) || !strings.Contains(text, "SO510001: Archive not readable here") ||
			!strings.Contains(text, filepath.Base(files[0])) || !regexp.MustCompile(`Total\s+0\n`).MatchString(text)) {
			t.Errorf("pdf without the file: want SO510001 not read, its units \"?\", the reason naming %s, and a total without it:\n%s", filepath.Base(files[0]), text)
		}
	case os.Getenv("CI") == "true": // CI installs the font
		t.Errorf("recall pdf: %d %.200s", resp.StatusCode, pdf)
	}
	if err := os.Rename(aside, files[0]); err != nil {
		t.Fatal(err)
	}
	_, page = c.get("/recall?sku=SKU00002&lot=" + url.QueryEscape(lot))
	if strings.Contains(page, `data-testid="recall-unread"`) || !strings.Contains(page, waybill) {
		t.Errorf("report page with the file back:\n%s", page)
	}
}
