package server

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"tally/wms"
)

// shareGTIN gives the demo brand an item of its own, code, carrying the
// same GTIN as the default owner's book SKU03000 (not lot-tracked): a GTIN
// two owners share. It answers the GTIN.
func shareGTIN(t *testing.T, l *wms.Ledger, code string) string {
	t.Helper()
	book, err := l.SKU("SKU03000")
	if err != nil {
		t.Fatal(err)
	}
	sku := book
	sku.Owner, sku.Code, sku.Name = wms.DemoOwner.Code, code, "贝贝乳业 育儿手册"
	ev, err := wms.NewEvent("sku-shared-"+code, wms.EvSKUUpserted, "B9001", "web", sku)
	if err != nil {
		t.Fatal(err)
	}
	ev.Owner = wms.DemoOwner.Code
	if _, _, err := l.Append(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	return book.GTINs[0]
}

// expect announces a receipt of an owner.
func expect(t *testing.T, l *wms.Ledger, owner, id, sku string, qty int64) {
	t.Helper()
	if _, _, err := l.ExpectReceipt(context.Background(), "", wms.ReceiptIn{Owner: owner, ID: id, Supplier: "供应商 " + owner,
		Lines: []wms.LineIn{{SKU: sku, Qty: qty}}}, "oms", "api"); err != nil {
		t.Fatal(err)
	}
}

// The receive screen carries the receipt's owner through every step: the
// list's links, a scanned ASN only the brand has, a number two owners share
// (asked, never taken as the default owner's), the item scan (a shared GTIN
// is the receipt owner's item; another owner's item is refused naming the
// owner), the units received, put away and the receipt closed — all the
// brand's.
func TestReceiveAnotherOwnersASN(t *testing.T) {
	s, l := testServer(t)
	brand := wms.DemoOwner.Code
	gtin := shareGTIN(t, l, "BB-BOOK")
	expect(t, l, brand, "ASN-B1", "BB-BOOK", 5)
	expect(t, l, "", "ASN-SH", "SKU03000", 4)
	expect(t, l, brand, "ASN-SH", "BB-BOOK", 3)
	dock, _ := l.AreaOf(wms.KindDock)
	for _, lang := range langs {
		c := newClient(t, s)
		c.lang = lang
		c.login("B3001", "3333")
		_, page := c.get("/receive")
		for _, want := range []string{`href="/receive?owner=BEIBEI&amp;receipt=ASN-B1"`, `href="/receive?owner=BEIBEI&amp;receipt=ASN-SH"`, `href="/receive?owner=DEFAULT&amp;receipt=ASN-SH"`} {
			if !strings.Contains(page, want) {
				t.Errorf("%s: the open list has no %s", lang, want)
			}
		}
		// a number only the brand has opens the brand's receipt
		resp, _ := c.get("/receive?code=ASN-B1")
		if loc := resp.Header.Get("Location"); resp.StatusCode != 303 || loc != "/receive?owner=BEIBEI&receipt=ASN-B1" {
			t.Errorf("%s: ASN-B1 scanned: %d %q", lang, resp.StatusCode, loc)
		}
		resp, page = c.get("/receive?receipt=ASN-B1")
		if resp.StatusCode != 200 || !strings.Contains(page, `name="owner" value="BEIBEI"`) || !strings.Contains(page, `data-testid="receipt-owner"`) {
			t.Errorf("%s: ASN-B1 without its owner in the address: %d\n%s", lang, resp.StatusCode, pageText(page))
		}
		// a number two owners share asks whose, scanned or followed
		for _, path := range []string{"/receive?code=ASN-SH", "/receive?receipt=ASN-SH"} {
			resp, page = c.get(path)
			want := say(lang, "receive.receipt_ambiguous", "receipt", "ASN-SH", "owners", s.ownerListIn(lang, []string{wms.DefaultOwner, brand}))
			if resp.StatusCode != 409 || !strings.Contains(unmarked(htmlUnescape(page)), want) {
				t.Errorf("%s: %s: %d, want %q in\n%s", lang, path, resp.StatusCode, want, pageText(page))
			}
			for _, o := range []string{wms.DefaultOwner, brand} {
				if !strings.Contains(page, `href="/receive?owner=`+o+`&amp;receipt=ASN-SH" data-testid="choose-`+o+`"`) {
					t.Errorf("%s: %s offers no link to %s's ASN-SH", lang, path, o)
				}
			}
		}
		// the shared GTIN on the brand's receipt is the brand's item
		_, page = c.get("/receive?receipt=ASN-B1&owner=" + brand + "&code=" + gtin)
		if !strings.Contains(page, `name="sku" value="BB-BOOK"`) {
			t.Errorf("%s: the shared GTIN on the brand's receipt:\n%s", lang, pageText(page))
		}
		// on the default owner's ASN-SH it is the default owner's
		_, page = c.get("/receive?receipt=ASN-SH&owner=" + wms.DefaultOwner + "&code=" + gtin)
		if !strings.Contains(page, `name="sku" value="SKU03000"`) {
			t.Errorf("%s: the shared GTIN on the default owner's receipt:\n%s", lang, pageText(page))
		}
		// an item of the default owner alone is no item of the brand's
		other := demoGTIN(t, "SKU03001")
		resp, page = c.get("/receive?receipt=ASN-B1&owner=" + brand + "&code=" + other)
		want := say(lang, "receive.not_owners_item", "gtin", other, "owner", s.ownerListIn(lang, []string{brand}))
		if resp.StatusCode != 404 || !strings.Contains(unmarked(htmlUnescape(page)), want) {
			t.Errorf("%s: another owner's item: %d, want %q in\n%s", lang, resp.StatusCode, want, pageText(page))
		}
		// an owner the warehouse does not work for
		if resp, _ = c.get("/receive?receipt=ASN-B1&owner=NOBODY"); resp.StatusCode != 404 {
			t.Errorf("%s: owner NOBODY: %d", lang, resp.StatusCode)
		}
	}
	c := newClient(t, s)
	c.login("B3001", "3333")
	c.get("/receive?receipt=ASN-B1&owner=" + brand)
	resp, page := c.post("/receive", url.Values{"key": {"rcv-b1"}, "receipt": {"ASN-B1"}, "owner": {brand}, "sku": {"BB-BOOK"}, "qty": {"5"}, "location": {dock}})
	if resp.StatusCode != 200 || !strings.Contains(page, `data-testid="putaway"`) || !strings.Contains(page, `name="owner" value="BEIBEI"`) {
		t.Fatalf("receiving the brand's units: %d\n%s", resp.StatusCode, pageText(page))
	}
	where := regexpMust(`name="suggest" value="([^"]*)"`).FindStringSubmatch(page)
	if where == nil || where[1] == "" {
		t.Fatalf("no putaway suggested:\n%s", pageText(page))
	}
	resp, page = c.post("/receive/putaway", url.Values{"key": {"put-b1"}, "receipt": {"ASN-B1"}, "owner": {brand}, "sku": {"BB-BOOK"},
		"qty": {"5"}, "from": {dock}, "suggest": {where[1]}, "to": {where[1]}})
	if resp.StatusCode != 200 {
		t.Fatalf("putting the brand's units away: %d\n%s", resp.StatusCode, pageText(page))
	}
	stock, _ := l.Books(brand).StockOf("BB-BOOK")
	if len(stock) != 1 || stock[0].Owner != brand || stock[0].Location != where[1] || stock[0].Qty != 5 {
		t.Errorf("the brand's BB-BOOK: %+v", stock)
	}
	if mine, _ := l.StockOf("BB-BOOK"); len(mine) != 0 {
		t.Errorf("the default owner has BB-BOOK: %+v", mine)
	}
	if resp, page = c.post("/receive/close", url.Values{"receipt": {"ASN-B1"}, "owner": {brand}}); resp.StatusCode != 200 {
		t.Fatalf("closing the brand's receipt: %d\n%s", resp.StatusCode, pageText(page))
	}
	r, err := l.Books(brand).Receipt("ASN-B1")
	if err != nil || r.State != "closed" || r.Lines[0].Received != 5 {
		t.Errorf("the brand's ASN-B1: %+v %v", r, err)
	}
	// the default owner's ASN-SH takes its own units
	if resp, page = c.post("/receive", url.Values{"key": {"rcv-sh"}, "receipt": {"ASN-SH"}, "owner": {wms.DefaultOwner}, "sku": {"SKU03000"}, "qty": {"4"}, "location": {dock}}); resp.StatusCode != 200 {
		t.Fatalf("receiving the default owner's ASN-SH: %d\n%s", resp.StatusCode, pageText(page))
	}
	mine, _ := l.Receipt("ASN-SH")
	theirs, _ := l.Books(brand).Receipt("ASN-SH")
	if mine.Lines[0].Received != 4 || theirs.Lines[0].Received != 0 {
		t.Errorf("ASN-SH received: default %+v, brand %+v", mine.Lines, theirs.Lines)
	}
}

// A delivery without notice: with several owners the receiver chooses whose
// goods they are (the default owner preselected) and the blind receipt is
// that owner's; an item scanned to start one is its one owner's, and a GTIN
// two owners share asks for the receipt or the owner.
func TestBlindDeliveryOfAChosenOwner(t *testing.T) {
	s, l := testServer(t)
	brand := wms.DemoOwner.Code
	gtin := shareGTIN(t, l, "BB-BOOK")
	c := newClient(t, s)
	c.login("B3001", "3333")
	_, page := c.get("/receive")
	form := regexpMust(`(?s)<form[^>]*data-testid="receipt-blind-form".*?</form>`).FindString(page)
	if !strings.Contains(form, `name="blind" value="1"`) || !strings.Contains(form, `<option value="DEFAULT" selected`) || !strings.Contains(form, `<option value="BEIBEI"`) {
		t.Fatalf("no owner choice for a blind delivery, the default owner preselected:\n%s", form)
	}
	resp, _ := c.get("/receive?blind=1&owner=" + brand)
	to, _ := url.Parse(resp.Header.Get("Location"))
	blind := to.Query().Get("receipt")
	if resp.StatusCode != 303 || to.Query().Get("owner") != brand || !strings.HasPrefix(blind, "BLIND-") {
		t.Fatalf("starting the brand's blind delivery: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, page = c.get(to.String() + "&code=" + gtin)
	if !strings.Contains(page, `name="sku" value="BB-BOOK"`) || !strings.Contains(page, `name="owner" value="BEIBEI"`) {
		t.Fatalf("the shared GTIN on the brand's blind delivery:\n%s", pageText(page))
	}
	dock, _ := l.AreaOf(wms.KindDock)
	if resp, page = c.post("/receive", url.Values{"key": {"blind-b"}, "receipt": {blind}, "owner": {brand}, "sku": {"BB-BOOK"}, "qty": {"2"}, "location": {dock}}); resp.StatusCode != 200 {
		t.Fatalf("receiving blind: %d\n%s", resp.StatusCode, pageText(page))
	}
	if r, err := l.Books(brand).Receipt(blind); err != nil || !r.Blind || r.Owner != brand || r.Lines[0].Received != 2 {
		t.Errorf("the brand's blind receipt: %+v %v", r, err)
	}
	if _, err := l.Receipt(blind); err == nil {
		t.Errorf("%s is the default owner's too", blind)
	}
	// the default owner's next blind delivery gets a name of its own
	resp, _ = c.get("/receive?blind=1")
	if to2, _ := url.Parse(resp.Header.Get("Location")); to2.Query().Get("owner") != wms.DefaultOwner || to2.Query().Get("receipt") == blind {
		t.Errorf("the default owner's blind delivery: %q", resp.Header.Get("Location"))
	}
	// an item scanned with no receipt: the shared GTIN asks, the brand's own starts the brand's delivery
	for _, lang := range langs {
		c.lang = lang
		resp, page = c.get("/receive?code=" + gtin)
		want := say(lang, "receive.gtin_ambiguous", "gtin", gtin, "owners", s.ownerListIn(lang, []string{wms.DefaultOwner, brand}))
		if resp.StatusCode != 409 || !strings.Contains(unmarked(htmlUnescape(page)), want) {
			t.Errorf("%s: the shared GTIN with no receipt: %d, want %q in\n%s", lang, resp.StatusCode, want, pageText(page))
		}
	}
	rice, _ := l.Books(brand).SKU("BB-RICE")
	code := gs1(rice.GTINs[0], "BB9", today.AddDate(1, 0, 0))
	resp, _ = c.get("/receive?code=" + url.QueryEscape(code))
	to, _ = url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != 303 || to.Query().Get("owner") != brand || to.Query().Get("code") != code {
		t.Fatalf("the brand's own item with no receipt: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, page = c.get(to.String()); !strings.Contains(page, `name="sku" value="BB-RICE"`) {
		t.Errorf("the brand's item on its blind delivery:\n%s", pageText(page))
	}
}

// Moves and counts on the handheld: a GTIN two owners share, scanned with
// nothing in hand, is refused naming both owners; a shelf holding two
// owners' stock moves and counts each unit as its owner's.
func TestMoveAndCountTwoOwnersOnOneShelf(t *testing.T) {
	s, l := testServer(t)
	brand := wms.DemoOwner.Code
	gtin := shareGTIN(t, l, "BB-BOOK")
	rice, _ := l.Books(brand).StockOf("BB-RICE")
	shelf := rice[0].Location
	// the default owner's SKU00002 (the brand uses the code too) on the brand's shelf
	mine, _ := l.StockOf(wms.DemoSharedSKU)
	if _, err := l.MoveStock(context.Background(), "mv-setup", wms.Move{SKU: wms.DemoSharedSKU, Lot: mine[0].Lot, From: mine[0].Location, To: shelf, Qty: 2}, "B4001", "web"); err != nil {
		t.Fatal(err)
	}
	// and the brand's own SKU00002: one item code, two owners, one shelf
	theirs, _ := l.Books(brand).StockOf(wms.DemoSharedSKU)
	if _, err := l.MoveStock(context.Background(), "mv-setup-2", wms.Move{Owner: brand, SKU: wms.DemoSharedSKU, Lot: theirs[0].Lot, From: theirs[0].Location, To: shelf, Qty: 3}, "B4001", "web"); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, s)
	c.login("B1001", "1111")
	for _, lang := range langs {
		c.lang = lang
		owners := s.ownerListIn(lang, []string{wms.DefaultOwner, brand})
		resp, page := c.get("/move?from=" + shelf + "&code=" + gtin)
		if want := say(lang, "move.gtin_ambiguous", "gtin", gtin, "owners", owners); resp.StatusCode != 409 || !strings.Contains(unmarked(htmlUnescape(page)), want) {
			t.Errorf("%s: move, shared GTIN: %d, want %q in\n%s", lang, resp.StatusCode, want, pageText(page))
		}
		resp, page = c.get("/count?location=" + shelf + "&lines=%5B%5D&code=" + gtin)
		if want := say(lang, "count.gtin_ambiguous", "gtin", gtin, "owners", owners); resp.StatusCode != 409 || !strings.Contains(unmarked(htmlUnescape(page)), want) {
			t.Errorf("%s: count, shared GTIN: %d, want %q in\n%s", lang, resp.StatusCode, want, pageText(page))
		}
	}
	c.lang = "en"
	// the brand's rice moves as the brand's: two scans, then the shelf to move to
	riceSKU, _ := l.Books(brand).SKU("BB-RICE")
	code := "]C101" + riceSKU.GTINs[0] + "10" + rice[0].Lot
	_, page := c.get("/move?from=" + shelf + "&code=" + url.QueryEscape(code))
	if !strings.Contains(page, `name="owner" value="BEIBEI"`) || !strings.Contains(unmarked(page), "1 × BB-RICE") {
		t.Fatalf("the brand's item in hand:\n%s", pageText(page))
	}
	form := url.Values{"key": {"mv-rice"}, "from": {shelf}, "owner": {brand}, "sku": {"BB-RICE"}, "lot": {rice[0].Lot}, "qty": {"1"}, "code": {code}}
	if _, page = c.post("/move", form); !strings.Contains(unmarked(page), "2 × BB-RICE") {
		t.Fatalf("the brand's item twice:\n%s", pageText(page))
	}
	form.Set("qty", "2")
	form.Set("code", "R02-10-04")
	if resp, page := c.post("/move", form); resp.StatusCode != 200 {
		t.Fatalf("moving the brand's rice: %d\n%s", resp.StatusCode, pageText(page))
	}
	byOwner := func(loc string) map[string]int64 {
		t.Helper()
		out := map[string]int64{}
		lines, err := l.StockAt(loc)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range lines {
			out[x.Owner+" "+x.SKU] += x.Qty
		}
		return out
	}
	if got := byOwner("R02-10-04")[brand+" BB-RICE"]; got != 2 {
		t.Errorf("the brand's rice at R02-10-04: %d, want 2 (%v)", got, byOwner("R02-10-04"))
	}
	// a blind count of the shelf as it is: every unit its owner's, no variance
	before := byOwner(shelf)
	lines := "[]"
	scan := func(code, qty string) {
		t.Helper()
		resp, page := c.get("/count?location=" + shelf + "&lines=" + url.QueryEscape(lines) + "&qty=" + qty + "&code=" + url.QueryEscape(code))
		m := regexpLines.FindStringSubmatch(page)
		if resp.StatusCode != 200 || m == nil {
			t.Fatalf("count scan %s: %d\n%s", code, resp.StatusCode, pageText(page))
		}
		lines = htmlUnescape(m[1])
	}
	scan(code, itoa(int(before[brand+" BB-RICE"])))
	sharedSKU, _ := l.Books(brand).SKU(wms.DemoSharedSKU)
	scan("]C101"+sharedSKU.GTINs[0]+"10"+theirs[0].Lot, itoa(int(before[brand+" "+wms.DemoSharedSKU])))
	mySKU, _ := l.SKU(wms.DemoSharedSKU)
	scan("]C101"+mySKU.GTINs[0]+"10"+mine[0].Lot, itoa(int(before[wms.DefaultOwner+" "+wms.DemoSharedSKU])))
	if resp, page := c.post("/count", url.Values{"key": {"cnt-two"}, "location": {shelf}, "lines": {lines}}); resp.StatusCode != 200 {
		t.Fatalf("the count: %d\n%s", resp.StatusCode, pageText(page))
	}
	evs, err := l.EventsOfType(1, wms.EvCounted)
	if err != nil || len(evs) != 1 {
		t.Fatalf("the count's event: %v %v", evs, err)
	}
	ev := evs[0]
	var done wms.CountSubmit
	if err := json.Unmarshal(ev.Data, &done); err != nil || done.Result == nil || done.Result.State != "applied" {
		t.Fatalf("the count: %+v %v", done.Result, err)
	}
	for _, v := range done.Result.Lines {
		if v.Diff() != 0 {
			t.Errorf("a variance on a shelf counted as it is: %+v", v)
		}
	}
	if after := byOwner(shelf); len(after) != len(before) || after[brand+" BB-RICE"] != before[brand+" BB-RICE"] || after[wms.DefaultOwner+" "+wms.DemoSharedSKU] != 2 || after[brand+" "+wms.DemoSharedSKU] != 3 {
		t.Errorf("the shelf after the count: %v, before %v", after, before)
	}
}

// On a handheld (360×640) in both languages: the brand's ASN opened from the
// open list, the GTIN both owners share scanned (the brand's item), received
// and put away; the stock shows under the brand. Then a blind delivery for
// the brand, its owner chosen when starting it. Nothing wider than the
// screen, codes never broken.
func TestBrowserReceiveAnotherOwner(t *testing.T) {
	for _, lang := range langs {
		t.Run(lang, func(t *testing.T) {
			ctx := browserIn(t, lang, 360, 640)
			s, l := testServer(t)
			brand := wms.DemoOwner.Code
			gtin := shareGTIN(t, l, "BB-BOOK")
			expect(t, l, brand, "ASN-B1", "BB-BOOK", 4)
			base := serve(t, s)
			run := runner(t, ctx)
			loginAs(t, ctx, base, "B3001", "3333", "menu-receive")
			run(click("menu-receive"))
			waitText(t, ctx, `[data-testid=receipt-ASN-B1-BEIBEI]`, "ASN-B1")
			codesWhole(t, ctx)
			noWiderThan(t, ctx, 360)
			run(click("receipt-ASN-B1-BEIBEI"))
			waitText(t, ctx, `[data-testid=receipt]`, "ASN-B1")
			waitText(t, ctx, `[data-testid=receipt-owner]`, brand)
			waitJS(t, ctx, `document.documentElement.dataset.ready === '1'`)
			waitFocus(t, ctx, "scan")
			run(wedge(gtin))
			waitText(t, ctx, `[data-testid=receive-item]`, "BB-BOOK")
			for range 3 {
				waitFocus(t, ctx, "scan")
				run(wedge(gtin))
			}
			waitText(t, ctx, `[data-feedback=ok]`, say(lang, "receive.counted", "sku", "BB-BOOK", "qty", "4"))
			noWiderThan(t, ctx, 360)
			run(click("receive-ok"))
			waitText(t, ctx, `[data-feedback=ok]`, say(lang, "receive.done_no_lot", "qty", "4", "sku", "BB-BOOK"))
			where, err := l.Books(brand).SuggestPutaway("BB-BOOK", "")
			if err != nil {
				t.Fatal(err)
			}
			waitFocus(t, ctx, "scan")
			run(wedge(where))
			waitText(t, ctx, `[data-feedback=ok]`, say(lang, "receive.put_away", "qty", "4", "sku", "BB-BOOK", "location", where))
			codesWhole(t, ctx)
			noWiderThan(t, ctx, 360)
			if r, _ := l.Books(brand).Receipt("ASN-B1"); len(r.Lines) != 1 || r.Lines[0].Received != 4 {
				t.Errorf("the brand's ASN-B1: %+v", r)
			}
			// the stock shows under the brand
			run(chromedp.Navigate(base + "/stock?code=" + where))
			row := waitText(t, ctx, `[data-testid=stock-owner]`, brand)
			if !strings.Contains(evalString(t, ctx, `document.querySelector('main').innerText`), "BB-BOOK") {
				t.Errorf("the stock page of %s shows no BB-BOOK (owner %q)", where, row)
			}
			noWiderThan(t, ctx, 360)

			// a blind delivery for the brand: its owner chosen when starting it
			run(chromedp.Navigate(base + "/receive"))
			waitJS(t, ctx, `document.documentElement.dataset.ready === '1'`)
			if v := evalString(t, ctx, `document.querySelector('[data-testid=receipt-blind-form] select').value`); v != wms.DefaultOwner {
				t.Errorf("the blind delivery's owner preselected: %q", v)
			}
			run(chromedp.SetValue(`[data-testid=receipt-blind-form] select`, brand, chromedp.ByQuery))
			noWiderThan(t, ctx, 360)
			run(click("receipt-blind"))
			waitText(t, ctx, `[data-testid=receipt]`, "BLIND-")
			waitText(t, ctx, `[data-testid=receipt-owner]`, brand)
			waitJS(t, ctx, `document.documentElement.dataset.ready === '1'`)
			waitFocus(t, ctx, "scan")
			run(wedge(gtin))
			waitText(t, ctx, `[data-testid=receive-item]`, "BB-BOOK")
			run(click("receive-ok"))
			waitText(t, ctx, `[data-feedback=ok]`, say(lang, "receive.done_no_lot", "qty", "1", "sku", "BB-BOOK"))
			codesWhole(t, ctx)
			noWiderThan(t, ctx, 360)
			blind := evalString(t, ctx, `document.querySelector('[data-testid=receipt]').innerText`)
			if r, err := l.Books(brand).Receipt(blind); err != nil || !r.Blind || r.Lines[0].Received != 1 {
				t.Errorf("the brand's blind receipt %s: %+v %v", blind, r, err)
			}
			if _, err := l.Receipt(blind); err == nil {
				t.Errorf("the blind receipt %s is the default owner's", blind)
			}
		})
	}
}
