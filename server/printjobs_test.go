package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"

	"tally/views"
	"tally/wms"
)

// packedParcel packs a picked order into one parcel at a station, through the ledger.
func packedParcel(t *testing.T, l *wms.Ledger, station, no, tote string) wms.Parcel {
	t.Helper()
	ctx := context.Background()
	_, lot := pickedOrder(t, l, no, tote)
	book, _ := l.SKU("SKU03000")
	milk, _ := l.SKU("SKU00002")
	for i, p := range []wms.PackScan{{GTIN: book.GTINs[0]}, {GTIN: book.GTINs[0]}, {GTIN: milk.GTINs[0], Lot: lot, Serial: "S-" + no}} {
		p.Order, p.Station, p.Qty = no, station, 1
		if _, err := l.PackScan(ctx, fmt.Sprintf("%s-ps%d", no, i), p, "B2001", "kiosk"); err != nil {
			t.Fatal(err)
		}
	}
	parcel, err := l.CloseParcel(ctx, no+"-parcel", wms.ParcelClose{Order: no, Station: station, Box: "M2",
		WeightG: 2*book.UnitWeightG + milk.UnitWeightG + 160 + 20, Typed: true}, "B2001", "kiosk")
	if err != nil {
		t.Fatal(err)
	}
	return parcel
}

// A failed label shows on the kiosk with its tries and the printer's words; a
// supervisor finds it on the print jobs page and in the API and retries it
// once, however often the form is sent; packers see neither list.
func TestPrintJobsPageAndAPI(t *testing.T) {
	s, l := testServer(t)
	ctx := context.Background()
	if _, err := l.SaveStation(ctx, "", wms.Station{ID: "PACK-F", Printer: "tcp://10.255.255.1:9100", Format: "zpl"}, "admin", "t"); err != nil {
		t.Fatal(err)
	}
	fileStation(t, l, "PACK-G")
	parcel := packedParcel(t, l, "PACK-F", "SO410001", "T41001")
	job, err := l.RequestPrint(ctx, "print-1", wms.PrintRequest{Station: "PACK-F", Kind: "waybill", Order: "SO410001", Parcel: 1}, "B2001", "kiosk")
	if err != nil {
		t.Fatal(err)
	}
	for i := range wms.MaxPrintTries {
		if err := l.RecordPrint(ctx, fmt.Sprintf("%s:%d", job.ID, i+1), wms.PrintResult{Job: job.ID, Status: "failed", Error: "dial tcp 10.255.255.1:9100: i/o timeout"}); err != nil {
			t.Fatal(err)
		}
	}
	packedParcel(t, l, "PACK-G", "SO410002", "T41002")
	other, _ := l.RequestPrint(ctx, "print-2", wms.PrintRequest{Station: "PACK-G", Kind: "waybill", Order: "SO410002", Parcel: 1}, "B2001", "kiosk")
	_ = l.RecordPrint(ctx, other.ID+":1", wms.PrintResult{Job: other.ID, Status: "sent"})

	for _, lang := range langs {
		// the packer's kiosk: the parcel's label failed, after how many tries, and why
		packer := newClient(t, s)
		packer.lang = lang
		packer.login("B2001", "2222")
		_, page := packer.get("/pack?station=PACK-F&order=SO410001")
		want := views.Translate(lang, "pack.label_status_tries", map[string]string{"status": "print.status.failed", "tries": "5"})
		if !strings.Contains(page, `data-status="failed"`) || !strings.Contains(page, want) || !strings.Contains(page, "i/o timeout") {
			t.Errorf("%s: the kiosk does not show the failed label (%q):\n%s", lang, want, page)
		}
		if r, _ := packer.get("/print-jobs"); r.StatusCode != 403 {
			t.Errorf("%s: a packer opened the print jobs page: %d", lang, r.StatusCode)
		}
		if r, _ := packer.get("/api/v1/print-jobs"); r.StatusCode != 403 {
			t.Errorf("%s: a packer read the print jobs API: %d", lang, r.StatusCode)
		}
	}

	sup := newClient(t, s)
	sup.login("B4001", "4444")
	if _, home := sup.get("/"); !strings.Contains(home, `href="/print-jobs"`) {
		t.Error("the supervisors' menu has no print jobs")
	}
	resp, page := sup.get("/print-jobs")
	if resp.StatusCode != 200 || strings.Index(page, other.ID) > strings.Index(page, `data-job="`+job.ID+`"`) {
		t.Fatalf("print jobs, newest first: %d\n%s", resp.StatusCode, page)
	}
	for _, want := range []string{"PACK-F", "SO410001", parcel.Waybill, "i/o timeout", `data-testid="retry"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the print jobs page lacks %q", want)
		}
	}
	if strings.Count(page, `data-testid="retry"`) != 1 {
		t.Errorf("retry offered for a job that printed")
	}
	_, page = sup.get("/print-jobs?status=failed&station=PACK-G")
	if strings.Contains(page, `data-job="`) {
		t.Errorf("filter: failed at PACK-G lists jobs")
	}

	// the API, with filters and a limit
	var out struct {
		Jobs []struct {
			ID, Station, Order, Waybill, Status, Error string
			Parcel, Tries                              int
			GaveUp                                     bool `json:"gave_up"`
		}
	}
	r, body := sup.get("/api/v1/print-jobs?status=failed&station=PACK-F&limit=10")
	if err := json.Unmarshal([]byte(body), &out); r.StatusCode != 200 || err != nil || len(out.Jobs) != 1 {
		t.Fatalf("API: %d %s %v", r.StatusCode, body, err)
	}
	if j := out.Jobs[0]; j.ID != job.ID || j.Waybill != parcel.Waybill || j.Tries != 5 || !j.GaveUp || j.Parcel != 1 || j.Order != "SO410001" {
		t.Errorf("API job %+v", j)
	}
	if r, body := sup.get("/api/v1/print-jobs?limit=1"); r.StatusCode != 200 || !strings.Contains(body, other.ID) || strings.Contains(body, job.ID) {
		t.Errorf("limit 1: %d %s", r.StatusCode, body)
	}
	for _, bad := range []string{"limit=0", "limit=x", "status=lost"} {
		if r, _ := sup.get("/api/v1/print-jobs?" + bad); r.StatusCode != 400 {
			t.Errorf("%s: %d", bad, r.StatusCode)
		}
	}

	// retry: without the CSRF token refused; with it once, however often sent
	if r, _ := sup.post("/print-jobs/retry", url.Values{"_csrf": {"x"}, "job": {job.ID}, "key": {"7d4f5b9e-2a61-4c3e-9f8e-1b2c3d4e5f60:" + job.ID}}); r.StatusCode != 403 {
		t.Errorf("retry without the CSRF token: %d", r.StatusCode)
	}
	for range 2 {
		r, page := sup.post("/print-jobs/retry", url.Values{"job": {job.ID}, "key": {"7d4f5b9e-2a61-4c3e-9f8e-1b2c3d4e5f60:" + job.ID}, "status": {"failed"}})
		if r.StatusCode != 200 || !strings.Contains(unmarked(page), "queued for printer tcp://10.255.255.1:9100") {
			t.Fatalf("retry: %d\n%s", r.StatusCode, page)
		}
	}
	j, _ := l.PrintJob(job.ID)
	if j.Status != "queued" || j.Retries != 1 {
		t.Errorf("after the retry: %+v", j)
	}
	if q, _ := l.QueuedPrintJobs(); len(q) != 1 || q[0].ID != job.ID {
		t.Errorf("queue: %+v", q)
	}
	if r, _ := sup.post("/print-jobs/retry", url.Values{"job": {other.ID}, "key": {"8d4f5b9e-2a61-4c3e-9f8e-1b2c3d4e5f60:" + other.ID}}); r.StatusCode != 409 {
		t.Errorf("retry of a printed job: %d", r.StatusCode)
	}
}

// closedPort is an address nothing listens on: a printer that is off.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// The kiosk says a label went to the printer only when the printer took it;
// a printer that is off is named with its error; a browser station's label
// opens on a print page of its own.
func TestKioskSaysWhereTheLabelWent(t *testing.T) {
	s, l := testServer(t)
	s.StartWorkers()
	defer s.StopWorkers()
	ctx := context.Background()
	fileStation(t, l, "PACK-OK")
	off := "tcp://" + closedPort(t)
	for _, st := range []wms.Station{{ID: "PACK-OFF", Printer: off, Format: "zpl"}, {ID: "PACK-WEB", Printer: "browser"}} {
		if _, err := l.SaveStation(ctx, "", st, "admin", "t"); err != nil {
			t.Fatal(err)
		}
	}
	book, _ := l.SKU("SKU03000")
	milk, _ := l.SKU("SKU00002")
	weight := fmt.Sprint(2*book.UnitWeightG + milk.UnitWeightG + 160 + 20)
	c := newClient(t, s)
	c.login("B2001", "2222")
	for i, station := range []string{"PACK-OK", "PACK-OFF", "PACK-WEB"} {
		no, tote := fmt.Sprintf("SO42000%d", i), fmt.Sprintf("T4200%d", i)
		_, lot := pickedOrder(t, l, no, tote)
		c.follow(c.get("/pack?station=" + station + "&code=" + tote))
		for k, code := range []string{book.GTINs[0][1:], book.GTINs[0][1:], "]C101" + milk.GTINs[0] + "10" + lot + "\x1d21W-" + no} {
			if r, p := c.post("/pack/scan", url.Values{"station": {station}, "order": {no}, "code": {code}, "key": {fmt.Sprintf("%s-%d", no, k)}}); r.StatusCode != 200 {
				t.Fatalf("%s scan: %d\n%s", station, r.StatusCode, p)
			}
		}
		resp, page := c.post("/pack/parcel", url.Values{"station": {station}, "order": {no}, "box": {"M2"}, "weight_g": {weight}, "key": {"parcel-" + no}})
		if resp.StatusCode != 200 {
			t.Fatalf("%s parcel: %d\n%s", station, resp.StatusCode, page)
		}
		ps, _ := l.Pack(no)
		args := map[string]string{"n": "1", "weight": weight, "waybill": ps.Parcels[0].Waybill}
		switch station {
		case "PACK-OK":
			st, _ := l.Station(station)
			args["printer"] = st.Printer
			if want := views.Translate("en", "pack.parcel_done", args); !strings.Contains(unmarked(page), want) || !strings.Contains(page, `data-status="sent"`) {
				t.Errorf("printed: want %q\n%s", want, page)
			}
		case "PACK-OFF":
			if !strings.Contains(page, `data-feedback="error"`) || !strings.Contains(unmarked(page), "printer "+off+" did not print the label") ||
				!strings.Contains(page, "connection refused") || !strings.Contains(page, "tries: 1 of 5") {
				t.Errorf("printer off:\n%s", page)
			}
		case "PACK-WEB":
			if want := views.Translate("en", "pack.parcel_done_browser", args); !strings.Contains(unmarked(page), want) || strings.Contains(page, "sent to printer") {
				t.Errorf("browser printing: want %q\n%s", want, page)
			}
			if strings.Contains(page, "<iframe") || !strings.Contains(page, `data-print-open`) {
				t.Errorf("the label is not opened on a page of its own:\n%s", page)
			}
			jobs, _ := l.PrintJobs(wms.PrintFilter{Order: no})
			r, label := c.get("/pack/print/" + jobs[0].ID)
			if r.StatusCode != 200 || !strings.Contains(label, "<svg") || !strings.Contains(label, ps.Parcels[0].Waybill) ||
				!strings.Contains(label, `href="/pack/label/`+jobs[0].ID+`.pdf"`) || !strings.Contains(label, "/static/label.js") {
				t.Errorf("print page: %d\n%s", r.StatusCode, label)
			}
			// its one inline style (the label's size) carries the nonce the CSP allows
			if nonce := cspNonceOf(r.Header.Get(headerCSP)); nonce == "" || !strings.Contains(label, `<style nonce="`+nonce+`">@page`) {
				t.Errorf("the label's style lacks the CSP nonce (%q):\n%s", r.Header.Get(headerCSP), label)
			}
			if r, pdf := c.get("/pack/label/" + jobs[0].ID + ".pdf"); r.StatusCode != 200 || !strings.HasPrefix(pdf, "%PDF") {
				t.Errorf("label PDF: %d", r.StatusCode)
			}
		}
	}
}

// Waybills mask the recipient's phone unless the station says otherwise; the
// order keeps the full number for the carrier's data.
func TestWaybillPhoneMaskedByStation(t *testing.T) {
	s, l := testServer(t)
	admin, _ := l.CreateToken(context.Background(), "ops", wms.RoleAdmin, "t")
	api := newClient(t, s)
	api.bearer = admin
	put := func(body string) {
		t.Helper()
		if r, b := api.do("PUT", "/api/v1/stations/PACK-M", strings.NewReader(body), map[string]string{"Content-Type": "application/json"}); r.StatusCode != 200 {
			t.Fatalf("station: %d %s", r.StatusCode, b)
		}
	}
	put(`{"name":"M","printer":"browser"}`)
	packedParcel(t, l, "PACK-M", "SO430001", "T43001")
	c := newClient(t, s)
	c.login("B2001", "2222")
	label := func(key string) string {
		t.Helper()
		job, err := l.RequestPrint(context.Background(), key, wms.PrintRequest{Station: "PACK-M", Kind: "waybill", Order: "SO430001", Parcel: 1}, "B2001", "t")
		if err != nil {
			t.Fatal(err)
		}
		_, page := c.get("/pack/print/" + job.ID)
		_, pdf := c.get("/pack/label/" + job.ID + ".pdf")
		if text, ok := pdfText(t, []byte(pdf)); ok {
			page += text
		}
		return page
	}
	if got := label("m1"); !strings.Contains(got, "139****5678") || strings.Contains(got, "13912345678") {
		t.Errorf("default station: the phone is not masked:\n%s", got)
	}
	put(`{"name":"M","printer":"browser","mask_phone":false}`)
	if got := label("m2"); !strings.Contains(got, "13912345678") {
		t.Errorf("mask_phone false: the full number is not printed:\n%s", got)
	}
	if o, _ := l.Order("SO430001"); o.Recipient.Phone != "13912345678" {
		t.Errorf("the order's phone is %q", o.Recipient.Phone)
	}
}
