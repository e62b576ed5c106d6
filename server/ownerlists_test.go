package server

import (
	"context"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

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
		if _, _, err := l.ReceiveOrder(ctx, "", o, "system", "test"); err != nil {
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

var (
	taskRowRe = regexpMust(`data-testid="task-row"`)
	kpiRowRe  = regexpMust(`<td data-testid="kpi-who">([^<]*)</td><td class="num">(\d+)</td><td class="num">(\d+)</td>`)
)

// kpiUnits are the units each person picked, as the floor page's figures say.
func kpiUnits(page string) map[string]string {
	out := map[string]string{}
	for _, m := range kpiRowRe.FindAllStringSubmatch(page, -1) {
		out[m[1]] = m[3]
	}
	return out
}

// The floor page with two owners: the tasks say whose orders they are, and
// the owner filter narrows the new orders, the tasks and the figures to one
// owner (each person's figures are the owner's part, OwnerKPIs).
func TestFloorPageOwners(t *testing.T) {
	s, l := twoOwnerServer(t)
	ctx := context.Background()
	brand := wms.DemoOwner.Code
	// a wave of the brand's orders; a picker picks the first line of one
	if _, err := l.ReleaseWave(ctx, wms.WaveFilter{Owner: brand, Mode: wms.WaveSingle, MaxOrders: 2}, "w-brand", "B4001", "t"); err != nil {
		t.Fatal(err)
	}
	task, err := l.NextTask(ctx, "B1001", "pda")
	if err != nil {
		t.Fatal(err)
	}
	line := task.Lines[0]
	item := wms.ScannedItem{GTIN: line.GTINs[0]}
	if line.LotTracked {
		item.Lot = line.Lot
	}
	if _, _, err := l.Pick(ctx, "pk-brand", wms.PickScan{Task: task.ID, Line: line.N, Location: line.Location,
		Items: []wms.ScannedItem{item}, Qty: line.Qty, Tote: "T0001"}, "B1001", "pda"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.ReleaseWave(ctx, wms.WaveFilter{Owner: wms.DefaultOwner, Mode: wms.WaveSingle, MaxOrders: 2}, "w-default", "B4001", "t"); err != nil {
		t.Fatal(err)
	}
	news, _ := l.OrderBriefs(wms.OrderNew)
	newOf := map[string]int{}
	for _, o := range news {
		newOf[o.Owner]++
	}
	picker := ""
	for _, st := range wms.DemoStaff {
		if st.Badge == "B1001" {
			picker = st.Name
		}
	}
	for _, lang := range langs {
		c := newClient(t, s)
		c.lang = lang
		c.login("B4001", "4444")
		_, page := c.get("/floor")
		all := len(taskRowRe.FindAllString(page, -1))
		if !ownerFilter.MatchString(page) || strings.Count(page, `data-testid="task-owners"`) != all || all < 2 {
			t.Fatalf("%s: /floor: %d tasks, no owner filter or owners:\n%s", lang, all, page)
		}
		if want := say(lang, "floor.new_orders", "n", itoa(len(news))); !strings.Contains(page, want) {
			t.Errorf("%s: /floor does not say %q", lang, want)
		}
		seen := 0
		for _, owner := range []string{wms.DefaultOwner, brand} {
			resp, page := c.get("/floor?owner=" + owner)
			if resp.StatusCode != 200 {
				t.Fatalf("%s: /floor?owner=%s: %d", lang, owner, resp.StatusCode)
			}
			n := len(taskRowRe.FindAllString(page, -1))
			seen += n
			if n == 0 || n == all {
				t.Errorf("%s: %s's tasks: %d of %d", lang, owner, n, all)
			}
			if want := say(lang, "floor.new_orders", "n", itoa(newOf[owner])); !strings.Contains(page, want) {
				t.Errorf("%s: %s's new orders: want %q", lang, owner, want)
			}
			per, _ := l.OwnerKPIs(l.Today(), owner)
			got := kpiUnits(page)
			if k, ok := per["B1001"]; ok {
				if got[picker] != itoa(int(k.Units)) {
					t.Errorf("%s: %s's figures for %s: %q units, want %d", lang, owner, picker, got[picker], k.Units)
				}
			} else if _, shown := got[picker]; shown {
				t.Errorf("%s: %s's figures show %s, who picked none of its goods", lang, owner, picker)
			}
		}
		if seen != all {
			t.Errorf("%s: the owners' tasks add up to %d of %d", lang, seen, all)
		}
		if per, _ := l.OwnerKPIs(l.Today(), brand); per["B1001"].Units == 0 {
			t.Errorf("the brand's figures have no units picked: %+v", per)
		}
		if resp, _ := c.get("/floor?owner=NOBODY"); resp.StatusCode != 404 {
			t.Errorf("%s: /floor?owner=NOBODY: %d", lang, resp.StatusCode)
		}
	}
}

// Print jobs, open receipts and the returns desk's lists with two owners:
// an owner beside each, and the filter narrowing them to one owner (the
// returns figures too, OwnerReturnStats).
func TestSupervisorListsOwners(t *testing.T) {
	s, l := twoOwnerServer(t)
	ctx := context.Background()
	brand := wms.DemoOwner.Code
	for i, owner := range []string{wms.DefaultOwner, brand} {
		ownerParcel(t, l, owner, "SO-PRINT", map[string]string{wms.DefaultOwner: "SKU03000", brand: "BB-RICE"}[owner])
		if _, err := l.RequestPrint(ctx, "pr-"+owner, wms.PrintRequest{Station: "PACK-01", Kind: "waybill", Owner: owner, Order: "SO-PRINT", Parcel: 1}, "B2001", "kiosk"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := l.ExpectReceipt(ctx, "", wms.ReceiptIn{Owner: owner, ID: "ASN-" + owner, Supplier: "s",
			Lines: []wms.LineIn{{SKU: wms.DemoSharedSKU, Qty: int64(10 + i)}}}, "B4001", "t"); err != nil {
			t.Fatal(err)
		}
	}
	rice, _ := l.Books(brand).StockOf("BB-RICE")
	if _, err := l.ReceiveReturn(ctx, wms.ReturnParcel{ID: "ret-brand", Owner: brand, ReturnWaybill: "SF7000000000098",
		Lines: []wms.ReturnLine{{SKU: "BB-RICE", Lot: rice[0].Lot, Qty: 1, Condition: wms.CondResellable}}}, "B3001", "pda"); err != nil {
		t.Fatal(err)
	}
	for _, lang := range langs {
		c := newClient(t, s)
		c.lang = lang
		c.login("B4001", "4444")
		for _, page := range []struct{ path, row string }{
			{"/print-jobs", `data-testid="job"`},
			{"/receive", `data-testid="receipt-ASN-`},
			{"/returns", `data-testid="unmatched-parcel"`},
		} {
			_, all := c.get(page.path)
			n := strings.Count(all, page.row)
			if !ownerFilter.MatchString(all) || n < 1 || len(ownerCell.FindAllString(all, -1)) < n {
				t.Errorf("%s: %s: %d rows, no owner filter or owner beside each:\n%s", lang, page.path, n, all)
			}
			total := 0
			for _, owner := range []string{wms.DefaultOwner, brand} {
				resp, one := c.get(page.path + "?owner=" + owner)
				if resp.StatusCode != 200 {
					t.Errorf("%s: %s?owner=%s: %d", lang, page.path, owner, resp.StatusCode)
				}
				total += strings.Count(one, page.row)
				if strings.Count(one, page.row) == n && n > 1 {
					t.Errorf("%s: %s?owner=%s is not narrowed", lang, page.path, owner)
				}
				if !strings.Contains(one, `<option value="`+owner+`" selected`) {
					t.Errorf("%s: %s?owner=%s: the filter does not show its choice", lang, page.path, owner)
				}
			}
			if total != n {
				t.Errorf("%s: %s: the owners' rows add up to %d of %d", lang, page.path, total, n)
			}
			if resp, _ := c.get(page.path + "?owner=NOBODY"); resp.StatusCode != 404 {
				t.Errorf("%s: %s?owner=NOBODY: %d", lang, page.path, resp.StatusCode)
			}
		}
		// the returns figures: the brand's parcel counts in its part only
		for _, owner := range []string{wms.DefaultOwner, brand} {
			st, _ := l.OwnerReturnStats(l.Today(), owner)
			_, page := c.get("/returns?owner=" + owner)
			if got, want := strings.Count(page, `data-testid="return-stat"`), len(st.ByCondition); got != want {
				t.Errorf("%s: %s's returns figures: %d rows, want %d", lang, owner, got, want)
			}
		}
	}
	// the API's print jobs take the owner alone too
	c := newClient(t, s)
	c.login("B4001", "4444")
	resp, body := c.get("/api/v1/print-jobs?owner=" + brand)
	if resp.StatusCode != 200 || strings.Count(body, `"id"`) != 1 {
		t.Errorf("/api/v1/print-jobs?owner=%s: %d %s", brand, resp.StatusCode, body)
	}
}

// ownerParcel takes in an order of one unit of an owner's item, picks it
// and packs it into a parcel.
func ownerParcel(t *testing.T, l *wms.Ledger, owner, no, sku string) {
	t.Helper()
	ctx := context.Background()
	in := intake(no, wms.LineIn{SKU: sku, Qty: 1})
	in.Owner, in.Priority = owner, 9 // the first the wave takes
	if _, _, err := l.ReceiveOrder(ctx, "", in, "oms", "t"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.ReleaseWave(ctx, wms.WaveFilter{Owner: owner, Mode: wms.WaveSingle, MaxOrders: 1, MinPriority: 9}, "w-"+owner+no, "B4001", "t"); err != nil {
		t.Fatal(err)
	}
	task, err := l.NextTask(ctx, "B1002", "pda")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range task.Lines {
		item := wms.ScannedItem{GTIN: line.GTINs[0]}
		if line.LotTracked {
			item.Lot = line.Lot
		}
		if _, _, err := l.Pick(ctx, "pk-"+owner+no+itoa(line.N), wms.PickScan{Task: task.ID, Line: line.N, Location: line.Location,
			Items: []wms.ScannedItem{item}, Qty: line.Qty, Tote: "T09" + itoa(len(owner))}, "B1002", "pda"); err != nil {
			t.Fatal(err)
		}
		if _, err := l.PackScan(ctx, "ps-"+owner+no+itoa(line.N), wms.PackScan{Owner: owner, Order: no, Station: "PACK-01", GTIN: line.GTINs[0],
			Lot: item.Lot, Qty: line.Qty}, "B2001", "kiosk"); err != nil {
			t.Fatal(err)
		}
	}
	k, _ := l.Books(owner).SKU(sku)
	if _, err := l.CloseParcel(ctx, "pc-"+owner+no, wms.ParcelClose{Owner: owner, Order: no, Station: "PACK-01", Box: "M2",
		WeightG: 160 + 20 + k.UnitWeightG}, "B2001", "kiosk"); err != nil {
		t.Fatal(err)
	}
}

// The stock lookup and the orders list in a browser, in both languages: with
// two owners an owner column and a filter that narrows the rows, with one
// owner neither; the stock lookup at a handheld's 360×640 and at 1280×800,
// the orders list at 1280×800; nothing wider than the screen and no code
// broken in the middle.
func TestBrowserOwnerLists(t *testing.T) {
	brand := wms.DemoOwner.Code
	for _, lang := range langs {
		for _, owners := range []int{2, 1} {
			for _, size := range [][2]int64{{360, 640}, {1280, 800}} {
				t.Run(lang+"-"+itoa(owners)+"owners-"+itoa(int(size[0])), func(t *testing.T) {
					ctx := browserIn(t, lang, size[0], size[1])
					var s *Server
					var l *wms.Ledger
					if owners == 2 {
						s, l = twoOwnerServer(t)
					} else {
						s, l = oneOwnerServer(t)
					}
					base := serve(t, s)
					run := runner(t, ctx)
					count := func(sel string) int {
						var n int
						run(chromedp.Evaluate(`document.querySelectorAll('`+sel+`').length`, &n))
						return n
					}
					look := func() {
						t.Helper()
						codesWhole(t, ctx)
						noWiderThan(t, ctx, int(size[0]))
					}

					// the stock lookup: a picker's handheld scans the item code both owners use
					loginAs(t, ctx, base, "B1001", "1111", "menu-stock")
					run(chromedp.Navigate(base + "/stock"))
					waitJS(t, ctx, `document.documentElement.dataset.ready === '1'`)
					waitFocus(t, ctx, "scan")
					if owners == 1 {
						run(wedge(wms.DemoSharedSKU))
						waitText(t, ctx, `[data-feedback=ok]`, wms.DemoSharedSKU)
						if n := count(`[data-testid=owner-name], [data-testid=owner-filter], [data-testid=owner-select]`); n != 0 {
							t.Errorf("a one-owner warehouse shows %d owner elements on the stock page", n)
						}
						look()
						shot(t, ctx, "owners-stock-"+lang+"-1-"+itoa(int(size[0]))+".png")
					} else {
						run(wedge(wms.DemoSharedSKU))
						waitText(t, ctx, `[data-feedback=error]`, say(lang, "stock.ambiguous", "code", wms.DemoSharedSKU,
							"owners", s.ownerListIn(lang, []string{wms.DefaultOwner, brand})))
						look()
						// choose the brand in the filter: its lines, each naming it
						run(chromedp.SetValue(`[data-testid=owner-filter] select`, brand, chromedp.ByQuery),
							chromedp.Submit(`[data-testid=owner-filter] select`, chromedp.ByQuery))
						waitText(t, ctx, `[data-testid=stock-owner]`, brand)
						if title := evalString(t, ctx, `document.querySelector('[data-testid=stock-owner] [data-testid=owner-name]').title`); !strings.Contains(title, wms.DemoOwner.Name) {
							t.Errorf("the owner cell does not name the brand: %q", title)
						}
						if size[0] >= 1280 {
							waitText(t, ctx, `[data-testid=stock-owner]`, wms.DemoOwner.Name)
						}
						lines, _ := l.Books(brand).StockOf(wms.DemoSharedSKU)
						if n, cells := count(`[data-testid=stock-row]`), count(`[data-testid=stock-owner]`); n != len(lines) || cells != n {
							t.Errorf("the brand's %s: %d rows, %d owner cells, want %d", wms.DemoSharedSKU, n, cells, len(lines))
						}
						look()
						shot(t, ctx, "owners-stock-"+lang+"-2-"+itoa(int(size[0]))+".png")
						// the next scan keeps the owner: a location of the brand's
						waitFocus(t, ctx, "scan")
						run(wedge(lines[0].Location))
						waitText(t, ctx, `[data-feedback=ok]`, lines[0].Location)
						if got := evalString(t, ctx, `location.search`); !strings.Contains(got, "owner="+brand) {
							t.Errorf("the scan forgot the owner: %s", got)
						}
						look()
					}
					if size[0] < 1280 {
						return // the orders list is a desk's
					}

					// the orders list, at a supervisor's desk
					run(network.ClearBrowserCookies())
					loginAs(t, ctx, base, "B4001", "4444", "menu-stock")
					run(chromedp.Navigate(base + "/orders"))
					waitJS(t, ctx, `document.documentElement.dataset.ready === '1'`)
					waitJS(t, ctx, `!!document.querySelector('[data-testid=orders]')`)
					all := count(`[data-testid=order-row]`)
					if all == 0 {
						t.Fatalf("no orders listed; %s", dump(ctx))
					}
					if owners == 1 {
						if n := count(`[data-testid=owner-name], [data-testid=owner-select], [data-testid=order-row-owner]`); n != 0 {
							t.Errorf("a one-owner warehouse: %d owner elements on the orders list", n)
						}
						if heads := evalString(t, ctx, `document.querySelector('[data-testid=orders] thead').innerText`); strings.Contains(heads, say(lang, "owner.col")) {
							t.Errorf("a one-owner warehouse: the orders list has an owner column: %q", heads)
						}
						look()
						shot(t, ctx, "owners-orders-"+lang+"-1.png")
						return
					}
					if n := count(`[data-testid=order-row-owner]`); n != all {
						t.Errorf("%d orders, %d owner cells", all, n)
					}
					look()
					run(chromedp.SetValue(`[data-testid=order-filters] [data-testid=owner-select]`, brand, chromedp.ByQuery),
						chromedp.Submit(`[data-testid=order-filters] select`, chromedp.ByQuery))
					waitJS(t, ctx, `location.search.indexOf('owner=`+brand+`') >= 0`)
					waitJS(t, ctx, `!!document.querySelector('[data-testid=orders]')`)
					mine, _ := l.OrdersIn(wms.OrderNew, brand, 1000)
					if n, theirs := count(`[data-testid=order-row]`), count(`[data-testid=order-row]:not([data-owner=`+brand+`])`); n != len(mine) || theirs != 0 {
						t.Errorf("the brand's orders: %d rows (%d of others), want %d", n, theirs, len(mine))
					}
					look()
					shot(t, ctx, "owners-orders-"+lang+"-2.png")
					// a number both owners have asks whose; the brand's opens
					run(chromedp.Navigate(base + "/orders?no=SO900001"))
					waitText(t, ctx, `[data-feedback=ok]`, say(lang, "order.which_owner", "order", "SO900001",
						"owners", s.ownerListIn(lang, []string{wms.DefaultOwner, brand})))
					look()
					run(chromedp.Click(`[data-owner=`+brand+`] [data-testid=order-link]`, chromedp.ByQuery))
					waitText(t, ctx, `[data-testid=order-owner]`, wms.DemoOwner.Name)
					look()
				})
			}
		}
	}
}
