package server

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"tally/views"
	"tally/wms"
)

// An order number two owners share, typed or scanned at the kiosk or the
// returns desk, is never taken as the default owner's: the screen says it
// is ambiguous, names both owners and asks for the tote, the waybill or the
// owner-qualified number; a number only one owner has opens that owner's.
func TestOrderNumberTwoOwnersShareIsAmbiguous(t *testing.T) {
	s, l := testServer(t) // the demo: DEFAULT and BEIBEI both have SO900001
	if _, err := l.SeedDemoOrders(context.Background()); err != nil {
		t.Fatal(err)
	}
	brand := wms.DemoOwner.Code
	if owners, _ := l.OrderOwners("SO900001"); len(owners) != 2 {
		t.Fatalf("the demo's SO900001 is %v's; the test needs two owners", owners)
	}
	for _, lang := range langs {
		c := newClient(t, s)
		c.lang = lang
		c.login("B2001", "2222")
		resp, page := c.get("/pack?station=PACK-01&code=SO900001")
		text := unmarked(htmlUnescape(page))
		want := say(lang, "pack.order_ambiguous", "order", "SO900001", "owners", s.ownerListIn(lang, []string{wms.DefaultOwner, brand}), "owner", brand)
		if resp.StatusCode != 409 || !strings.Contains(text, want) {
			t.Fatalf("%s: kiosk SO900001: %d, want %q in\n%s", lang, resp.StatusCode, want, text)
		}
		for _, name := range []string{wms.DemoOwner.Name, views.Translate(lang, "owner.default", nil)} {
			if !strings.Contains(text, name) {
				t.Errorf("%s: the refusal does not name %s", lang, name)
			}
		}
		// the owner-qualified number opens the brand's order
		resp, _ = c.get("/pack?station=PACK-01&code=" + url.QueryEscape(brand+" SO900001"))
		if loc := resp.Header.Get("Location"); resp.StatusCode != 303 || !strings.Contains(loc, url.QueryEscape(brand+" SO900001")) {
			t.Errorf("%s: %s SO900001 at the kiosk: %d %q", lang, brand, resp.StatusCode, loc)
		}
		// a number only the default owner has is the default owner's
		resp, _ = c.get("/pack?station=PACK-01&code=SO900003")
		if loc := resp.Header.Get("Location"); resp.StatusCode != 303 || !strings.Contains(loc, "order=SO900003") {
			t.Errorf("%s: SO900003 at the kiosk: %d %q", lang, resp.StatusCode, loc)
		}
		// an owner the warehouse does not work for
		if resp, _ = c.get("/pack?station=PACK-01&code=" + url.QueryEscape("NOBODY SO900001")); resp.StatusCode != 404 {
			t.Errorf("%s: NOBODY SO900001: %d", lang, resp.StatusCode)
		}

		// the returns desk
		r := newClient(t, s)
		r.lang = lang
		r.login("B3001", "3333")
		resp, page = r.get("/returns?code=SO900001")
		text = unmarked(htmlUnescape(page))
		want = say(lang, "returns.order_ambiguous", "order", "SO900001", "owners", s.ownerListIn(lang, []string{wms.DefaultOwner, brand}), "owner", brand)
		if resp.StatusCode != 409 || !strings.Contains(text, want) {
			t.Fatalf("%s: returns SO900001: %d, want %q in\n%s", lang, resp.StatusCode, want, text)
		}
		_, page = r.get("/returns?code=" + url.QueryEscape(brand+" SO900001"))
		if !strings.Contains(page, `data-testid="return-order"`) || !strings.Contains(unmarked(page), brand+" SO900001") {
			t.Errorf("%s: returns %s SO900001 does not open the brand's order:\n%s", lang, brand, page)
		}
	}
}

// A return parcel with no known order: with several owners the clerk says
// whose it is (the default owner preselected) and the parcel is booked
// under that owner, its item read in that owner's books.
func TestUnknownReturnParcelOwnerChosen(t *testing.T) {
	s, l := testServer(t)
	brand := wms.DemoOwner.Code
	c := newClient(t, s)
	c.login("B3001", "3333")
	_, page := c.get("/returns?unknown=1&rwb=SF7000000000099")
	if !strings.Contains(page, `data-testid="unknown-owner"`) || !strings.Contains(page, `<option value="DEFAULT" selected`) {
		t.Fatalf("no owner choice with the default owner preselected:\n%s", page)
	}
	// the brand's own item (only the brand has it), then the brand chosen for the parcel
	skus, _ := l.Books(brand).SKUs()
	var gtin, code string
	for _, k := range skus {
		if _, err := l.SKU(k.Code); err != nil && len(k.GTINs) > 0 {
			gtin, code = k.GTINs[0], k.Code
			break
		}
	}
	if gtin == "" {
		t.Fatal("the demo brand has no item of its own")
	}
	item := gtin
	if st, _ := l.Books(brand).StockOf(code); len(st) > 0 && st[0].Lot != "" {
		item = "01" + gtin + "10" + st[0].Lot // GS1: the item and its lot
	}
	_, page = c.get("/returns?unknown=1&rwb=SF7000000000099&owner=" + brand + "&item=" + url.QueryEscape(item) + "&cond=damaged&lines=null")
	if !strings.Contains(page, `name="owner" value="`+brand+`"`) || !strings.Contains(page, code) {
		t.Fatalf("the brand's item on the unknown parcel:\n%s", page)
	}
	lines := regexpMust(`name="lines" value="([^"]*)"`).FindStringSubmatch(page)
	if lines == nil {
		t.Fatalf("no lines in the page:\n%s", page)
	}
	resp, body := c.post("/returns", url.Values{"_key": {"unk-1"}, "rwb": {"SF7000000000099"}, "owner": {brand}, "lines": {htmlUnescape(lines[1])}, "unknown": {"1"}})
	if resp.StatusCode != 200 {
		t.Fatalf("booking: %d %s", resp.StatusCode, unmarked(body))
	}
	unmatched, _ := l.UnmatchedReturns()
	if len(unmatched) != 1 || unmatched[0].Owner != brand {
		t.Fatalf("the unknown parcel was booked as %+v", unmatched)
	}
}

// At the kiosk (360×640 and 1280×800) in both languages: an order number two
// owners share, scanned, is refused aloud naming both owners, the codes in
// the message whole and the page no wider than the screen; the
// owner-qualified number typed then opens the brand's order.
func TestBrowserKioskAmbiguousOrderNumber(t *testing.T) {
	for _, lang := range langs {
		for _, size := range [][2]int64{{360, 640}, {1280, 800}} {
			t.Run(lang+"-"+itoa(int(size[0])), func(t *testing.T) {
				ctx := browserIn(t, lang, size[0], size[1])
				s, l := testServer(t)
				if _, err := l.SeedDemoOrders(context.Background()); err != nil {
					t.Fatal(err)
				}
				brand := wms.DemoOwner.Code
				base := serve(t, s)
				run := runner(t, ctx)
				loginAs(t, ctx, base, "B2001", "2222", "menu-pack")
				run(chromedp.Navigate(base + "/pack?station=PACK-01"))
				waitJS(t, ctx, `document.documentElement.dataset.ready === '1'`)
				waitFocus(t, ctx, "scan")
				run(wedge("SO900001"))
				want := say(lang, "pack.order_ambiguous", "order", "SO900001", "owners", s.ownerListIn(lang, []string{wms.DefaultOwner, brand}), "owner", brand)
				waitText(t, ctx, `[data-feedback=error]`, want)
				codesWhole(t, ctx)
				noWiderThan(t, ctx, int(size[0]))
				// typed by hand: the owner code, a space, the number
				waitFocus(t, ctx, "scan")
				run(chromedp.SetValue(`[data-testid=scan]`, brand+" SO900001", chromedp.ByQuery),
					chromedp.Submit(`[data-testid=scan]`, chromedp.ByQuery))
				waitJS(t, ctx, `location.search.indexOf(`+"`"+url.QueryEscape(brand+" SO900001")+"`"+`) >= 0 || decodeURIComponent(location.search.replace(/\+/g, ' ')).indexOf('`+brand+` SO900001') >= 0`)
				waitText(t, ctx, `main`, "SO900001")
				codesWhole(t, ctx)
				noWiderThan(t, ctx, int(size[0]))
			})
		}
	}
}
