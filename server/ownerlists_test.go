package server

import (
	"context"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"tally/scan"
	"tally/views"
	"tally/wms"
)

// oneOwnerServer is the demo warehouse without its second owner: a warehouse
// working for one merchant, which must see no owner anywhere. The demo's
// default-owner orders are taken in.
func oneOwnerServer(t testing.TB) (*Server, *wms.Ledger) {
	t.Helper()
	dir := t.TempDir()
	l, err := wms.Open(dir, wms.Options{Now: func() time.Time { return time.Date(2026, 11, 11, 2, 0, 0, 0, time.UTC) },
		Zone: time.FixedZone("CST", 8*3600)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if mm, err := l.Check(dir); err != nil || len(mm) > 0 {
			t.Errorf("ledger check after test: %v %v", err, mm)
		}
		l.Close()
	})
	ctx := context.Background()
	skus, locs, stock := wms.DemoData(l.Now().In(l.Zone()))
	var staff []wms.StaffChange
	for _, s := range wms.DemoStaff {
		hash, err := wms.HashPIN(s.PIN)
		if err != nil {
			t.Fatal(err)
		}
		staff = append(staff, wms.StaffChange{Badge: s.Badge, Name: s.Name, Role: s.Role, PINHash: hash})
	}
	for _, im := range []wms.Import{
		{Kind: wms.ImportSKUs, File: "test", SKUs: skus},
		{Kind: wms.ImportLocations, File: "test", Locations: locs},
		{Kind: wms.ImportStaff, File: "test", Staff: staff},
		{Kind: wms.ImportStock, File: "test", Stock: stock},
	} {
		ev, err := wms.NewEvent("one:"+string(im.Kind), wms.EvImported, "system", "test", im)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := l.Append(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	for _, o := range wms.DemoOrders(l.Now().In(l.Zone())) {
		if o.Owner != "" {
			continue
		}
		if _, _, err := l.ReceiveOrder(ctx, o, "system", "test"); err != nil {
			t.Fatal(err)
		}
	}
	if owners, _ := l.Owners(); len(owners) != 1 {
		t.Fatalf("the one-owner store has owners %v", owners)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	return New(Config{Version: "test"}, l, scan.NewParser(scan.DefaultPatterns()), log), l
}

// twoOwnerServer is the demo (the default owner and the brand) with its orders.
func twoOwnerServer(t testing.TB) (*Server, *wms.Ledger) {
	t.Helper()
	s, l := testServer(t)
	if _, err := l.SeedDemoOrders(context.Background()); err != nil {
		t.Fatal(err)
	}
	if owners, _ := l.Owners(); len(owners) != 2 {
		t.Fatalf("the demo has owners %v; the test needs two", owners)
	}
	return s, l
}

var (
	ownerCell   = regexpMust(`data-testid="owner-name"`)
	ownerFilter = regexpMust(`data-testid="owner-(filter|select)"`)
	stockRow    = regexpMust(`data-testid="stock-row"`)
	orderRowRe  = regexpMust(`data-testid="order-row" data-owner="([^"]*)"`)
)

// rowOwners are the owners of the order rows on a page, in order.
func rowOwners(page string) []string {
	var out []string
	for _, m := range orderRowRe.FindAllStringSubmatch(page, -1) {
		out = append(out, m[1])
	}
	return out
}

// The stock page with two owners: an owner column naming each line's owner,
// a filter that keeps the lookup and narrows the lines to one owner, an item
// code both owners use refused without an owner and answered with one; an
// owner the warehouse does not work for is a 404 saying so.
func TestStockPageOwners(t *testing.T) {
	s, l := twoOwnerServer(t)
	brand := wms.DemoOwner.Code
	for _, lang := range langs {
		c := newClient(t, s)
		c.lang = lang
		c.login("B4001", "4444")

		// a location holding only the brand's goods
		_, brandStock := wms.DemoOwnerData(l.Now().In(l.Zone()))
		loc := brandStock[0].Location
		resp, page := c.get("/stock?code=" + loc)
		if resp.StatusCode != 200 || !ownerFilter.MatchString(page) {
			t.Fatalf("%s: /stock?code=%s: %d, no owner filter:\n%s", lang, loc, resp.StatusCode, page)
		}
		if !strings.Contains(page, `name="code" value="`+loc+`"`) {
			t.Errorf("%s: the owner filter does not keep the lookup", lang)
		}
		if n, rows := len(ownerCell.FindAllString(page, -1)), len(stockRow.FindAllString(page, -1)); n != rows || rows == 0 {
			t.Errorf("%s: %d stock rows, %d owner cells", lang, rows, n)
		}
		if !strings.Contains(page, htmlEscape(wms.DemoOwner.Name)) {
			t.Errorf("%s: the owner column does not name %s", lang, wms.DemoOwner.Name)
		}
		// the filter narrows the rows: the default owner has nothing there
		_, page = c.get("/stock?code=" + loc + "&owner=" + wms.DefaultOwner)
		if n := len(stockRow.FindAllString(page, -1)); n != 0 {
			t.Errorf("%s: the default owner's stock at %s: %d rows", lang, loc, n)
		}
		if !strings.Contains(unmarked(htmlUnescape(page)), say(lang, "stock.empty_loc", "location", loc)) {
			t.Errorf("%s: no empty note for the default owner at %s", lang, loc)
		}
		// the scan box keeps the chosen owner
		if !strings.Contains(page, `name="owner" value="DEFAULT"`) {
			t.Errorf("%s: the scan box forgets the owner", lang)
		}

		// the item code both owners use: refused without an owner, naming both
		resp, page = c.get("/stock?code=" + wms.DemoSharedSKU)
		want := say(lang, "stock.ambiguous", "code", wms.DemoSharedSKU, "owners", s.ownerListIn(lang, []string{wms.DefaultOwner, brand}))
		if resp.StatusCode != 409 || !strings.Contains(unmarked(htmlUnescape(page)), want) {
			t.Errorf("%s: %s without an owner: %d, want %q", lang, wms.DemoSharedSKU, resp.StatusCode, want)
		}
		for _, owner := range []string{wms.DefaultOwner, brand} {
			resp, page = c.get("/stock?code=" + wms.DemoSharedSKU + "&owner=" + owner)
			lines, _ := l.Books(owner).StockOf(wms.DemoSharedSKU)
			if resp.StatusCode != 200 || len(stockRow.FindAllString(page, -1)) != len(lines) || len(lines) == 0 {
				t.Errorf("%s: %s of %s: %d, %d rows, want %d", lang, wms.DemoSharedSKU, owner, resp.StatusCode, len(stockRow.FindAllString(page, -1)), len(lines))
			}
			for _, ln := range lines {
				if !strings.Contains(page, ln.Location) {
					t.Errorf("%s: %s of %s: no row at %s", lang, wms.DemoSharedSKU, owner, ln.Location)
				}
			}
		}
		// the brand's barcode of the shared code, scanned: the brand's item
		skus, _ := l.Books(brand).SKUs()
		resp, page = c.get("/stock?code=" + url.QueryEscape(skus[0].GTINs[0]))
		if resp.StatusCode != 200 || !strings.Contains(page, htmlEscape(skus[0].Name)) {
			t.Errorf("%s: the brand's barcode: %d", lang, resp.StatusCode)
		}

		// an owner the warehouse does not work for
		resp, page = c.get("/stock?code=" + loc + "&owner=NOBODY")
		if want := say(lang, "owner.unknown", "owner", "NOBODY"); resp.StatusCode != 404 || !strings.Contains(unmarked(htmlUnescape(page)), want) {
			t.Errorf("%s: owner NOBODY: %d, want %q", lang, resp.StatusCode, want)
		}
	}
}

// The orders list (/orders without a number): orders in a state, every
// owner's with an owner column, one owner's with the filter; a number two
// owners share lists both to choose from, never the default owner's alone.
func TestOrdersListOwners(t *testing.T) {
	s, l := twoOwnerServer(t)
	brand := wms.DemoOwner.Code
	all, _ := l.OrdersIn(wms.OrderNew, "", 1000)
	mine, _ := l.OrdersIn(wms.OrderNew, brand, 1000)
	if len(mine) == 0 || len(mine) == len(all) {
		t.Fatalf("the demo's new orders: %d, the brand's %d", len(all), len(mine))
	}
	for _, lang := range langs {
		c := newClient(t, s)
		c.lang = lang
		c.login("B4001", "4444")
		resp, page := c.get("/orders")
		owners := rowOwners(page)
		if resp.StatusCode != 200 || len(owners) != min(len(all), views.OrderListLimit) {
			t.Fatalf("%s: /orders: %d, %d rows, want %d", lang, resp.StatusCode, len(owners), len(all))
		}
		if !ownerFilter.MatchString(page) || len(ownerCell.FindAllString(page, -1)) != len(owners) {
			t.Errorf("%s: /orders: no owner filter or column", lang)
		}
		resp, page = c.get("/orders?state=new&owner=" + brand)
		owners = rowOwners(page)
		if resp.StatusCode != 200 || len(owners) != len(mine) {
			t.Errorf("%s: the brand's new orders: %d rows, want %d", lang, len(owners), len(mine))
		}
		for _, o := range owners {
			if o != brand {
				t.Errorf("%s: the brand's list shows an order of %s", lang, o)
			}
		}
		if !strings.Contains(page, `<option value="`+brand+`" selected`) || !strings.Contains(page, `<option value="new" selected`) {
			t.Errorf("%s: the filter does not show what it chose", lang)
		}
		// another state: none shipped yet
		if _, page = c.get("/orders?state=shipped"); len(rowOwners(page)) != 0 || !strings.Contains(page, `data-testid="orders-none"`) {
			t.Errorf("%s: shipped orders listed", lang)
		}
		if resp, _ = c.get("/orders?state=lost"); resp.StatusCode != 400 {
			t.Errorf("%s: state lost: %d", lang, resp.StatusCode)
		}
		resp, page = c.get("/orders?owner=NOBODY")
		if want := say(lang, "owner.unknown", "owner", "NOBODY"); resp.StatusCode != 404 || !strings.Contains(unmarked(htmlUnescape(page)), want) {
			t.Errorf("%s: owner NOBODY: %d, want %q", lang, resp.StatusCode, want)
		}

		// a number both owners have: both listed, to choose from
		resp, page = c.get("/orders?no=SO900001")
		owners = rowOwners(page)
		if resp.StatusCode != 200 || len(owners) != 2 || owners[0] == owners[1] || strings.Contains(page, `data-testid="order-no"`) {
			t.Errorf("%s: SO900001 without an owner: %d, rows of %v", lang, resp.StatusCode, owners)
		}
		if want := say(lang, "order.which_owner", "order", "SO900001", "owners", s.ownerListIn(lang, []string{wms.DefaultOwner, brand})); !strings.Contains(unmarked(htmlUnescape(page)), want) {
			t.Errorf("%s: SO900001 does not ask whose: want %q", lang, want)
		}
		if !strings.Contains(page, `href="/orders?no=SO900001&amp;owner=`+brand+`"`) {
			t.Errorf("%s: no link to the brand's SO900001", lang)
		}
		// with the owner, or typed owner-qualified: that owner's order
		for _, q := range []string{"no=SO900001&owner=" + brand, "no=" + url.QueryEscape(brand+" SO900001")} {
			resp, page = c.get("/orders?" + q)
			o, _ := l.Books(brand).Order("SO900001")
			if resp.StatusCode != 200 || !strings.Contains(page, `data-testid="order-owner"`) || !strings.Contains(page, htmlEscape(o.Shop)) {
				t.Errorf("%s: /orders?%s: %d, not the brand's order", lang, q, resp.StatusCode)
			}
		}
		// a number only the default owner has opens it
		if resp, page = c.get("/orders?no=SO900003"); resp.StatusCode != 200 || !strings.Contains(page, `data-testid="order-no"`) {
			t.Errorf("%s: SO900003: %d", lang, resp.StatusCode)
		}
		if resp, _ = c.get("/orders?no=SO900003&owner=" + brand); resp.StatusCode != 404 {
			t.Errorf("%s: SO900003 of the brand: %d", lang, resp.StatusCode)
		}
	}
}

// A warehouse with one owner sees the pages as before: no owner column, no
// owner filter, no owner on the order.
func TestOneOwnerListsShowNoOwner(t *testing.T) {
	s, l := oneOwnerServer(t)
	c := newClient(t, s)
	c.login("B4001", "4444")
	news, _ := l.OrdersIn(wms.OrderNew, "", 1000)
	for _, path := range []string{"/stock?code=" + demoLocation(t, "SKU00000"), "/stock?code=" + wms.DemoSharedSKU, "/orders",
		"/orders?no=" + news[0].No, "/floor", "/print-jobs", "/receive", "/returns"} {
		resp, page := c.get(path)
		if resp.StatusCode != 200 {
			t.Errorf("%s: %d %s", path, resp.StatusCode, unmarked(page))
			continue
		}
		if ownerCell.MatchString(page) || ownerFilter.MatchString(page) || strings.Contains(page, `data-testid="order-owner"`) {
			t.Errorf("%s shows owners in a one-owner warehouse", path)
		}
	}
	if _, page := c.get("/orders"); len(rowOwners(page)) != len(news) {
		t.Errorf("/orders lists %d orders, want %d", len(rowOwners(page)), len(news))
	}
}
