package server

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"tally/views"
	"tally/wms"
)

// The scanner types wherever the focus is. At the weight step a code in the
// weight field is a scan, answered as the scan box would answer it; a weight
// stays a weight; the scale's weight is not taken for a scan; and no weight
// refusal is recorded for one. Once the parcel is made, the next tote opens.
func TestKioskWeightFieldTakesScans(t *testing.T) {
	for _, scale := range []bool{false, true} {
		t.Run(fmt.Sprintf("scale=%v", scale), func(t *testing.T) {
			s, l := testServer(t)
			s.StartWorkers()
			defer s.StopWorkers()
			book, _ := l.SKU("SKU03000")
			milk, _ := l.SKU("SKU00002")
			want := 2*book.UnitWeightG + milk.UnitWeightG + 160 + 20
			st := wms.Station{ID: "PACK-X", Printer: "browser"}
			if scale {
				st.Scale, st.Protocol = fakeScale(t, fmt.Sprintf("ST,GS,+%07.3fkg", float64(want+3)/1000)), "continuous"
			}
			if _, err := l.SaveStation(context.Background(), "", st, "admin", "t"); err != nil {
				t.Fatal(err)
			}
			_, lot := pickedOrder(t, l, "SO450001", "T45001")
			pickedOrder(t, l, "SO450002", "T45002")
			c := newClient(t, s)
			c.login("B2001", "2222")
			c.follow(c.get("/pack?station=PACK-X&code=T45001"))
			post := func(path string, v url.Values) (int, string) {
				t.Helper()
				v.Set("station", "PACK-X")
				v.Set("order", "SO450001")
				r, p := c.follow(c.post(path, v))
				return r.StatusCode, htmlUnescape(unmarked(p))
			}
			en := func(key string, args ...string) string { return say(views.LangEN, key, args...) }

			// two of three checked: the next tote is refused until this parcel is made
			for _, code := range []string{book.GTINs[0][1:], "]C101" + milk.GTINs[0] + "10" + lot + "\x1d21FH-1"} {
				if st, p := post("/pack/scan", url.Values{"code": {code}}); st != 200 {
					t.Fatalf("scan %s: %d\n%s", code, st, p)
				}
			}
			if st, p := post("/pack/scan", url.Values{"code": {"T45002"}}); st != 409 || !strings.Contains(p, en("pack.finish_first", "order", "SO450001", "code", "T45002")) {
				t.Errorf("next tote with checked items on the bench: %d\n%s", st, p)
			}
			if st, p := post("/pack/scan", url.Values{"code": {book.GTINs[0][1:]}}); st != 200 || !strings.Contains(p, `data-testid="weight"`) {
				t.Fatalf("last item: %d\n%s", st, p)
			}

			// the weight step: codes in the weight field
			weigh := func(value string) (int, string) {
				t.Helper()
				return post("/pack/parcel", url.Values{"box": {"M2"}, "weight_g": {value}})
			}
			for _, tc := range []struct {
				name, value string
				status      int
				want        string
			}{
				{"the book again", book.GTINs[0][1:], 409, en("pack.too_many", "sku", "SKU03000", "picked", "2")},
				{"the book as GTIN-14", book.GTINs[0], 409, en("pack.too_many", "sku", "SKU03000", "picked", "2")},
				{"another can, bracketed GS1", "(01)" + milk.GTINs[0] + "(10)" + lot + "(21)FH-2", 409, en("pack.too_many", "sku", "SKU00002", "picked", "1")},
				{"an item not in the order", demoGTIN(t, "SKU03001"), 409, en("pack.not_in_order", "order", "SO450001")},
				{"the next tote", "T45002", 409, en("pack.finish_first", "order", "SO450001", "code", "T45002")},
				{"the next order", "SO450002", 409, en("pack.finish_first", "order", "SO450001", "code", "SO450002")},
				{"a shelf", "A01-01-01", 400, en("pack.code_unknown", "code", "A01-01-01")},
				{"a misread GTIN", "9787500030127", 400, "check digit"},
				{"this order's own tote", "T45001", 200, `data-testid="weight"`},
				{"a weight of nothing", "0", 400, en("pack.weight_invalid", "weight", "0")},
				{"a weight in kilograms", "1.5", 400, en("pack.weight_invalid", "weight", "1.5")},
			} {
				st, p := weigh(tc.value)
				if st != tc.status || !strings.Contains(p, tc.want) {
					t.Errorf("%s (%q) in the weight field: %d, want %d and %q\n%s", tc.name, tc.value, st, tc.status, tc.want, p)
				}
				if tc.value != "0" && tc.value != "1.5" && strings.Contains(p, "Weight "+tc.value) {
					t.Errorf("%s is answered as a weight", tc.name)
				}
				if ps, _ := l.Pack("SO450001"); len(ps.Parcels) != 0 {
					t.Fatalf("%s closed a parcel: %+v", tc.name, ps.Parcels)
				}
			}
			if evs, _ := l.EventsOfType(100, wms.EvWeightRejected); len(evs) != 0 {
				t.Errorf("weight refusals recorded for scans: %d", len(evs))
			}
			if k, _ := l.KPIs(l.Today()); k["B2001"].WeightRejects != 0 {
				t.Errorf("the packer's figures count %d weight refusals", k["B2001"].WeightRejects)
			}

			// a weight is a weight: typed, or the scale's when the field is empty
			typed := ""
			if !scale {
				// typed with a Chinese input method: full-width digits
				typed = strings.Map(func(r rune) rune { return r - '0' + '０' }, fmt.Sprint(want))
			}
			st2, p := weigh(typed)
			if st2 != 200 {
				t.Fatalf("weighing: %d\n%s", st2, p)
			}
			ps, _ := l.Pack("SO450001")
			if len(ps.Parcels) != 1 || (scale && ps.Parcels[0].WeightG != want+3) || (!scale && ps.Parcels[0].WeightG != want) {
				t.Fatalf("parcels %+v", ps.Parcels)
			}
			// the parcel is made: the scan box waits for the next tote, which opens
			if !strings.Contains(p, `data-testid="scan"`) || !strings.Contains(p, en("pack.scan_next")) {
				t.Errorf("no scan box for the next tote after the parcel:\n%s", p)
			}
			if st, p := post("/pack/scan", url.Values{"code": {"T45002"}}); st != 200 || !strings.Contains(p, en("pack.order", "order", "SO450002", "carrier", en("carrier.SF"))) {
				t.Errorf("next tote after the parcel: %d\n%s", st, p)
			}
		})
	}
}

// A packer with a scanner and nothing else, in both languages on a handheld
// and on a kiosk screen: an extra unit and the next tote scanned at the weight
// step are answered as scans; after the label the scan box has the focus, so
// the next tote opens at once; after Ship too.
func TestBrowserKioskScansAtWeightStep(t *testing.T) {
	for _, lang := range langs {
		for _, size := range [][2]int64{{360, 640}, {1280, 800}} {
			t.Run(fmt.Sprintf("%s/%dx%d", lang, size[0], size[1]), func(t *testing.T) {
				kioskScansAtWeightStep(t, lang, size[0], size[1])
			})
		}
	}
}

func kioskScansAtWeightStep(t *testing.T, lang string, w, h int64) {
	ctx := browserIn(t, lang, w, h)
	s, l := testServer(t)
	s.StartWorkers()
	defer s.StopWorkers()
	if _, err := l.SaveStation(context.Background(), "", wms.Station{ID: "PACK-W", Name: "Kiosk", Printer: "browser"}, "admin", "t"); err != nil {
		t.Fatal(err)
	}
	_, lot := pickedOrder(t, l, "SO460001", "T46001")
	_, lot2 := pickedOrder(t, l, "SO460002", "T46002")
	pickedOrder(t, l, "SO460003", "T46003")
	book, _ := l.SKU("SKU03000")
	milk, _ := l.SKU("SKU00002")
	weight := fmt.Sprint(2*book.UnitWeightG + milk.UnitWeightG + 160 + 20)
	base := serve(t, s)
	run := runner(t, ctx)
	loginAs(t, ctx, base, "B2001", "2222", "menu-pack")
	run(chromedp.Navigate(base + "/pack?station=PACK-W"))
	waitJS(t, ctx, `document.documentElement.dataset.ready === '1'`)

	pack := func(no, tote, lot, serial string) {
		t.Helper()
		waitFocus(t, ctx, "scan")
		run(wedge(tote))
		waitText(t, ctx, `[data-testid=pack-order]`, no)
		for i, code := range []string{book.GTINs[0][1:], book.GTINs[0][1:], "(01)" + milk.GTINs[0] + "(10)" + lot + "(21)" + serial} {
			waitFocus(t, ctx, "scan")
			run(wedge(code))
			waitText(t, ctx, `[data-testid=pack-lines]`, []string{"1/2", "2/2", "1/1"}[i])
		}
		waitFocus(t, ctx, "weight")
	}
	// the answer to a scan at the weight step: what the scan was, never a weight
	errorSays := func(code, want string) {
		t.Helper()
		said := waitText(t, ctx, `[data-feedback=error]`, want)
		if strings.Contains(said, say(lang, "pack.weight_invalid", "weight", code)) {
			t.Errorf("the scan %s answered as a weight: %q", code, said)
		}
	}

	pack("SO460001", "T46001", lot, "FH-A"+lang)
	// an extra unit at the weight step: answered as at the item step
	run(wedge(book.GTINs[0][1:]))
	errorSays(book.GTINs[0][1:], say(lang, "pack.too_many", "sku", "SKU03000", "picked", "2"))
	waitFocus(t, ctx, "weight")
	// the next tote while this parcel waits: finish this order first
	run(wedge("T46002"))
	errorSays("T46002", say(lang, "pack.finish_first", "order", "SO460001", "code", "T46002"))
	waitText(t, ctx, `[data-testid=pack-order]`, "SO460001")
	waitFocus(t, ctx, "weight")
	if v := evalString(t, ctx, `document.querySelector('[data-testid=weight]').value`); v != "" {
		t.Errorf("the weight field keeps the scan %q", v)
	}
	if evs, _ := l.EventsOfType(100, wms.EvWeightRejected); len(evs) != 0 {
		t.Errorf("weight refusals recorded for scans: %d", len(evs))
	}

	// the weight: the label is made and the scan box takes the next tote at once
	run(chromedp.KeyEvent(weight + "\r"))
	waitText(t, ctx, `[data-testid=parcels]`, "SF1")
	waitFocus(t, ctx, "scan")
	pack("SO460002", "T46002", lot2, "FH-B"+lang)
	run(chromedp.KeyEvent(weight + "\r"))
	waitText(t, ctx, `[data-testid=parcels]`, "SF1")
	waitFocus(t, ctx, "scan")
	if w < 1000 {
		noWiderThan(t, ctx, int(w))
	}

	// Ship by tap; the scan box has the focus again for the next tote
	run(chromedp.Evaluate(`document.querySelector('[data-testid=ship]').click()`, nil))
	waitText(t, ctx, `[data-feedback=ok]`, say(lang, "pack.shipped", "order", "SO460002"))
	waitFocus(t, ctx, "scan")
	run(wedge("T46003"))
	waitText(t, ctx, `[data-testid=pack-order]`, "SO460003")
	for no, want := range map[string]wms.OrderState{"SO460001": wms.OrderPacked, "SO460002": wms.OrderShipped, "SO460003": wms.OrderPicked} {
		if o, _ := l.Order(no); o.State != want {
			t.Errorf("%s is %s, want %s", no, o.State, want)
		}
	}
}
