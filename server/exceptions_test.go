package server

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"tally/views"
	"tally/wms"
)

// A weight reject shows in the supervisors' queue in both languages with its
// badge and a Review button; the review records who and when and moves it to
// the resolved list; floor staff open neither the page nor the API; bad
// filters and notes are refused in words.
func TestExceptionsPageRolesAndReview(t *testing.T) {
	s, l := testServer(t)
	ctx := context.Background()
	fileStation(t, l, "PACK-G")
	no := "SO420001"
	_, lot := pickedOrder(t, l, no, "T42001")
	book, _ := l.SKU("SKU03000")
	milk, _ := l.SKU("SKU00002")
	for i, p := range []wms.PackScan{{GTIN: book.GTINs[0]}, {GTIN: book.GTINs[0]}, {GTIN: milk.GTINs[0], Lot: lot, Serial: "S-" + no}} {
		p.Order, p.Station, p.Qty = no, "PACK-G", 1
		if _, err := l.PackScan(ctx, fmt.Sprintf("%s-ps%d", no, i), p, "B2001", "kiosk"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.CloseParcel(ctx, "light", wms.ParcelClose{Order: no, Station: "PACK-G", Box: "M2", WeightG: 10, Typed: true}, "B2001", "kiosk"); wms.ErrorCode(err) == "" {
		t.Fatal("a 10 g parcel passed the gate")
	}

	for _, who := range [][2]string{{"B2001", "2222"}, {"B1001", "1111"}} {
		c := newClient(t, s)
		c.login(who[0], who[1])
		if r, _ := c.get("/exceptions"); r.StatusCode != 403 {
			t.Errorf("%s opened the exceptions page: %d", who[0], r.StatusCode)
		}
		if r, _ := c.get("/api/v1/exceptions"); r.StatusCode != 403 {
			t.Errorf("%s read the exceptions API: %d", who[0], r.StatusCode)
		}
		if r, _ := c.post("/exceptions/acknowledge", url.Values{"kind": {"weight_reject"}, "ref": {"light:rejected"}}); r.StatusCode != 403 {
			t.Errorf("%s reviewed an exception: %d", who[0], r.StatusCode)
		}
	}

	sup := newClient(t, s)
	sup.login("B4001", "4444")
	if _, home := sup.get("/"); !strings.Contains(home, `href="/exceptions"`) {
		t.Error("the supervisors' menu has no exceptions")
	}
	for _, lang := range []string{views.LangZH, views.LangEN} {
		sup.lang = lang
		r, page := sup.get("/exceptions")
		what := views.Translate(lang, "exc.what.weight_reject", map[string]string{"order": no, "station": "PACK-G", "weight": "10", "expected": "x"})
		what = what[:strings.Index(what, "x")]
		if r.StatusCode != 200 || !strings.Contains(page, `data-kind="weight_reject" data-ref="light:rejected"`) || !strings.Contains(unmarked(page), what) ||
			!strings.Contains(page, `data-testid="exc-count-weight_reject" data-n="1"`) || !strings.Contains(page, views.Translate(lang, "exc.act.acknowledge", nil)) {
			t.Fatalf("%s: the queue lacks the reject (%q): %d\n%s", lang, what, r.StatusCode, page)
		}
		if r, page := sup.get("/exceptions?days=0"); r.StatusCode != 400 || !strings.Contains(unmarked(page), views.Translate(lang, "exception.days_invalid", map[string]string{"days": "0", "max": "90"})) {
			t.Errorf("%s: days=0: %d", lang, r.StatusCode)
		}
		if r, _ := sup.get("/exceptions?kind=lost"); r.StatusCode != 400 {
			t.Errorf("%s: kind=lost: %d", lang, r.StatusCode)
		}
	}
	sup.lang = views.LangEN
	if r, _ := sup.post("/exceptions/acknowledge", url.Values{"kind": {"weight_reject"}, "ref": {"light:rejected"}, "note": {strings.Repeat("长", 501)}}); r.StatusCode != 400 {
		t.Errorf("a note of 501 characters: %d", r.StatusCode)
	}
	key := "0b6c7a1e-52d4-4a8e-8f3e-2d7c9b1a4e60"
	for range 2 { // sent twice: one review
		r, page := sup.post("/exceptions/acknowledge", url.Values{"kind": {"weight_reject"}, "ref": {"light:rejected"}, "note": {"重称通过"}, "key": {key}})
		if r.StatusCode != 200 || !strings.Contains(page, `data-testid="exc-resolution"`) || !strings.Contains(page, "重称通过") || !strings.Contains(page, `data-n="0"`) {
			t.Fatalf("review: %d\n%s", r.StatusCode, page)
		}
	}
	list, err := l.Exceptions(wms.ExceptionFilter{})
	if err != nil || len(list.Resolved) != 1 || list.Resolved[0].Resolved.By != "B4001" || list.Resolved[0].Resolved.How != "acknowledged" {
		t.Fatalf("after the review: %+v %v", list, err)
	}
	for _, e := range list.Open {
		if e.Kind == wms.ExWeightReject {
			t.Errorf("the reviewed reject is still open: %+v", e)
		}
	}
	if r, _ := sup.post("/exceptions/acknowledge", url.Values{"kind": {"weight_reject"}, "ref": {"light:rejected"}}); r.StatusCode != 409 {
		t.Errorf("a second review: %d", r.StatusCode)
	}
	if r, body := sup.get("/api/v1/exceptions?kind=weight_reject"); r.StatusCode != 200 || !strings.Contains(body, `"how":"acknowledged"`) || !strings.Contains(body, `"by":"B4001"`) {
		t.Errorf("API: %d %s", r.StatusCode, body)
	}
}
