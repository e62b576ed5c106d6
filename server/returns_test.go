package server

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"tally/views"
	"tally/wms"
)

// shippedOrder picks, packs and ships an order of two books and a can of formula.
func shippedOrder(t *testing.T, s *Server, l *wms.Ledger, no, tote, serial string) (lot string) {
	t.Helper()
	ctx := context.Background()
	_, lot = pickedOrder(t, l, no, tote)
	book, _ := l.SKU("SKU03000")
	milk, _ := l.SKU("SKU00002")
	for i, p := range []wms.PackScan{{GTIN: book.GTINs[0]}, {GTIN: book.GTINs[0]}, {GTIN: milk.GTINs[0], Lot: lot, Serial: serial}} {
		p.Order, p.Station, p.Qty = no, "PACK-01", 1
		if _, err := l.PackScan(ctx, no+"-ps"+itoa(i), p, "B2001", "kiosk"); err != nil {
			t.Fatal(err)
		}
	}
	w := 2*book.UnitWeightG + milk.UnitWeightG + 160 + 20
	if _, err := l.CloseParcel(ctx, no+"-pc", wms.ParcelClose{Order: no, Station: "PACK-01", Box: "M2", WeightG: w}, "B2001", "kiosk"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Ship(ctx, "", no, "PACK-01", "B2001", "kiosk"); err != nil {
		t.Fatal(err)
	}
	return lot
}

func TestReturnsScreens(t *testing.T) {
	s, l := testServer(t)
	lot := shippedOrder(t, s, l, "SO500001", "T50001", "FH-5001")
	admin, _ := l.CreateToken(context.Background(), "oms", wms.RoleAdmin, "t")
	api := newClient(t, s)
	api.bearer = admin
	if r, body := api.do("POST", "/api/v1/returns", strings.NewReader(`{"rma":"RMA-88","order":"SO500001","return_waybill":"SF1999999999999","reason":"七天无理由"}`), map[string]string{"Content-Type": "application/json"}); r.StatusCode != 201 {
		t.Fatalf("announce: %d %s", r.StatusCode, body)
	}
	c := newClient(t, s)
	c.login("B3001", "3333")
	_, page := c.get("/returns?code=SF1999999999999")
	if !strings.Contains(unmarked(page), "Order SO500001") || !strings.Contains(page, "RMA-88") {
		t.Fatalf("find by return waybill:\n%s", page)
	}
	milk, _ := l.SKU("SKU00002")
	swapped := "]C101" + milk.GTINs[0] + "10" + lot + "\x1d21FAKE-1"
	base := "/returns?order=SO500001&rma=RMA-88&rwb=SF1999999999999&lines=" + url.QueryEscape("[]")
	_, page = c.get(base + "&item=" + url.QueryEscape(swapped))
	if !strings.Contains(page, `data-testid="cond-resellable"`) {
		t.Fatalf("no condition choice:\n%s", page)
	}
	_, page = c.get(base + "&item=" + url.QueryEscape(swapped) + "&cond=resellable")
	m := regexpLines.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no lines:\n%s", page)
	}
	resp, page := c.post("/returns", url.Values{"key": {"3c2a5c70-1111-4a43-9d0c-1f7f3c7b0a11"}, "order": {"SO500001"}, "rma": {"RMA-88"}, "rwb": {"SF1999999999999"}, "lines": {htmlUnescape(m[1])}})
	if resp.StatusCode != 200 || !strings.Contains(page, "possible swap") || !strings.Contains(page, "QA-01") {
		t.Fatalf("book: %d\n%s", resp.StatusCode, page)
	}
	// the same parcel again (another handheld) is refused
	resp, _ = c.post("/returns", url.Values{"key": {"3c2a5c70-2222-4a43-9d0c-1f7f3c7b0a11"}, "order": {"SO500001"}, "rwb": {"SF1999999999999"}, "lines": {htmlUnescape(m[1])}})
	if resp.StatusCode != 409 {
		t.Errorf("same parcel twice: %d", resp.StatusCode)
	}
	_, page = c.get("/returns/receipt/3c2a5c70-1111-4a43-9d0c-1f7f3c7b0a11")
	if !strings.Contains(page, "FAKE-1") {
		t.Errorf("receipt:\n%s", page)
	}
	if r, pdf := c.get("/returns/label.pdf?sku=SKU00002&lot=" + url.QueryEscape(lot)); r.StatusCode != 200 || !strings.HasPrefix(pdf, "%PDF") {
		t.Errorf("label: %d", r.StatusCode)
	}
	// an unknown parcel, matched later from the list
	_, page = c.get("/returns?code=YT4999999999999")
	if !strings.Contains(page, `data-testid="book-unknown"`) {
		t.Fatalf("no unknown-parcel option:\n%s", page)
	}
	book, _ := l.SKU("SKU03000")
	lines := `[{"sku":"SKU03000","qty":1,"condition":"resellable"}]`
	if resp, page := c.post("/returns", url.Values{"key": {"3c2a5c70-3333-4a43-9d0c-1f7f3c7b0a11"}, "rwb": {"YT4999999999999"}, "lines": {lines}}); resp.StatusCode != 200 {
		t.Fatalf("unknown parcel: %d\n%s", resp.StatusCode, page)
	}
	_ = book
	match := url.Values{"parcel": {"3c2a5c70-3333-4a43-9d0c-1f7f3c7b0a11"}, "order": {"SO500001"}, "key": {"3c2a5c70-4444-4a43-9d0c-1f7f3c7b0a11"}}
	if resp, page := c.post("/returns/match", match); resp.StatusCode != 200 || !strings.Contains(page, "matched") {
		t.Fatalf("match: %d\n%s", resp.StatusCode, page)
	}
	// the form sent again is its first answer; its key from another clerk is refused
	if resp, page := c.post("/returns/match", match); resp.StatusCode != 200 || !strings.Contains(page, "matched") {
		t.Errorf("match again: %d\n%s", resp.StatusCode, page)
	}
	other := newClient(t, s)
	other.login("B4001", "4444")
	other.get("/returns")
	match.Del("_csrf")
	if resp, page := other.post("/returns/match", match); resp.StatusCode != 409 || !strings.Contains(page, "someone else") {
		t.Errorf("the match's key from another clerk: %d\n%s", resp.StatusCode, page)
	}
}

// A code that finds no order is answered in plain words in both languages,
// with the way on: book the parcel as unknown.
func TestReturnsUnknownCode(t *testing.T) {
	s, _ := testServer(t)
	want := map[string]string{
		views.LangEN: "YT4999999999999 is not an order, waybill or RMA that Tally knows.",
		views.LangZH: "YT4999999999999 不是系统中已有的订单号、运单号或退货单号。",
	}
	for _, lang := range langs {
		c := newClient(t, s)
		c.lang = lang
		c.login("B3001", "3333")
		r, page := c.get("/returns?code=YT4999999999999")
		if r.StatusCode != 404 || !strings.Contains(htmlUnescape(unmarked(page)), want[lang]) || !strings.Contains(page, `data-testid="book-unknown"`) {
			t.Errorf("%s: %d, want %q and the unknown-parcel button:\n%s", lang, r.StatusCode, want[lang], page)
		}
	}
}

// A returns clerk on a handheld: scan the original waybill, scan the can, tap
// "resellable", book the parcel, put the can back by scanning the shelf; the
// card then shows the can on that shelf and asks nothing more.
func TestBrowserReturns(t *testing.T) {
	for _, lang := range langs {
		t.Run(lang, func(t *testing.T) {
			ctx := browserIn(t, lang, 360, 640)
			s, l := testServer(t)
			lot := shippedOrder(t, s, l, "SO500002", "T50002", "FH-6001")
			ps, _ := l.Pack("SO500002")
			waybill := ps.Parcels[0].Waybill
			milk, _ := l.SKU("SKU00002")
			base := serve(t, s)
			run := runner(t, ctx)
			loginAs(t, ctx, base, "B3001", "3333", "menu-returns")
			run(chromedp.Evaluate(`document.querySelector('[data-testid=menu-returns]').click()`, nil))
			waitJS(t, ctx, `!!document.querySelector('[data-testid=scan]') && document.documentElement.dataset.ready === '1'`)
			waitFocus(t, ctx, "scan")
			visibleStep(t, ctx, say(lang, "returns.scan_parcel"))
			run(wedge(waybill))
			waitText(t, ctx, `[data-testid=return-order]`, "SO500002")
			waitFocus(t, ctx, "scan")
			visibleStep(t, ctx, say(lang, "returns.scan_item"))
			// as a handheld's scanner service delivers a GS1 DataMatrix: the
			// symbology prefix, and a group separator after the lot
			run(input.InsertText("]d201"+milk.GTINs[0]+"10"+lot+"\x1d21FH-6001"), chromedp.KeyEvent("\r"))
			waitText(t, ctx, `[data-testid=conditions]`, say(lang, "cond.resellable"))
			item := waitText(t, ctx, `[data-testid=pending-item]`, "SKU00002")
			for _, want := range []string{milk.Name, lot, "FH-6001"} {
				if !strings.Contains(item, want) {
					t.Errorf("the condition screen shows %q, want %q in it", item, want)
				}
			}
			if body := evalString(t, ctx, `document.body.innerText`); strings.ContainsAny(body, "\x1d") || strings.Contains(body, milk.GTINs[0]+"10") {
				t.Errorf("the condition screen echoes the raw scan:\n%s", body)
			}
			noWiderThan(t, ctx, 360)
			apart := evalString(t, ctx, `(function(){
				var b = Array.from(document.querySelectorAll('[data-testid^=cond-]')).map(function(e){ return e.getBoundingClientRect() });
				for (var i = 1; i < b.length; i++) {
					var sideBySide = b[i].top < b[i-1].bottom;
					var gap = sideBySide ? b[i].left - b[i-1].right : b[i].top - b[i-1].bottom;
					if (gap < 4) return 'buttons ' + (i-1) + ' and ' + i + ' are ' + gap + 'px apart';
				}
				return b.length === 6 ? 'ok' : b.length + ' buttons';
			})()`)
			if apart != "ok" {
				t.Errorf("condition buttons: %s", apart)
			}
			run(chromedp.Evaluate(`document.querySelector('[data-testid=cond-resellable]').click()`, nil))
			waitText(t, ctx, `[data-testid=return-lines]`, "SKU00002")
			run(chromedp.Evaluate(`document.querySelector('[data-testid=book-return]').click()`, nil))
			where, _ := l.SuggestPutaway("SKU00002", lot)
			staging := l.ReturnsStaging()
			waitText(t, ctx, `[data-testid=booked]`, say(lang, "returns.put_back", "qty", "1", "sku", "SKU00002", "location", where))
			waitFocus(t, ctx, "scan")
			run(wedge(where))
			waitText(t, ctx, `[data-feedback=ok]`, say(lang, "returns.put_done", "qty", "1", "sku", "SKU00002", "location", where))
			card := waitText(t, ctx, `[data-testid=booked]`, where)
			if strings.Contains(card, say(lang, "returns.put_back", "qty", "1", "sku", "SKU00002", "location", where)) || strings.Contains(card, staging) {
				t.Errorf("after the put-back the card still asks for it or shows %s:\n%s", staging, card)
			}
			if n := evalString(t, ctx, `String(document.querySelectorAll('[data-testid=booked] form[action="/returns/putaway"]').length)`); n != "0" {
				t.Errorf("%s put-back forms left after the put-back", n)
			}
			noWiderThan(t, ctx, 360)

			// the receipt: the clerk by name, a short parcel reference, no
			// empty parts (this parcel came with neither RMA nor return
			// waybill), and no header bar on paper
			href := evalString(t, ctx, `document.querySelector('[data-testid=receipt-link]').href`)
			id := href[strings.LastIndex(href, "/")+1:]
			run(chromedp.Navigate(href))
			head := waitText(t, ctx, `[data-testid=receipt-head]`, say(lang, "returns.order", "order", "SO500002"))
			meta := waitText(t, ctx, `[data-testid=receipt-meta]`, "杨帆")
			if h := strings.TrimSpace(head); strings.Contains(h, "· ·") || strings.HasSuffix(h, "·") {
				t.Errorf("receipt heading has empty parts: %q", head)
			}
			if strings.Contains(meta, "B3001") || strings.Contains(meta, id) || !strings.Contains(meta, id[:8]) || strings.Contains(meta, "· ·") {
				t.Errorf("receipt names the clerk by badge or the parcel by its whole ID: %q", meta)
			}
			// where the can is now, not where it was booked
			line := waitText(t, ctx, `[data-testid=receipt-line]`, "SKU00002")
			if got := evalString(t, ctx, `document.querySelector('[data-testid=receipt-line] [data-testid=line-where]').innerText`); got != where || strings.Contains(line, staging) || !strings.Contains(line, say(lang, "returns.put_back_tag")) {
				t.Errorf("the receipt says the can is at %q (%q), want put back on %s", got, line, where)
			}
			noWiderThan(t, ctx, 360)
			run(emulation.SetEmulatedMedia().WithMedia("print"))
			if shown := evalString(t, ctx, `[document.querySelector('header.bar'), document.querySelector('[data-testid=print]')].map(function(e){ return getComputedStyle(e).display }).join(' ')`); shown != "none none" {
				t.Errorf("printed receipt shows the header bar or the print button (display %s)", shown)
			}
			run(emulation.SetEmulatedMedia().WithMedia(""))

			shipped, _ := l.Shipped("SO500002")
			for _, sl := range shipped {
				if sl.SKU == "SKU00002" && sl.Returned != 1 {
					t.Errorf("returned %d", sl.Returned)
				}
			}
			lines, _ := l.StockAt(where)
			found := false
			for _, x := range lines {
				found = found || (x.SKU == "SKU00002" && x.Lot == lot)
			}
			if !found {
				t.Errorf("the can is not back at %s", where)
			}
		})
	}
}

// visibleStep checks that the screen says what to do in full, in a line of
// its own rather than in a placeholder that a narrow screen cuts off.
func visibleStep(t *testing.T, ctx context.Context, want string) {
	t.Helper()
	waitText(t, ctx, `[data-testid=returns-step]`, want)
	if cut := evalString(t, ctx, `(function(){ var e = document.querySelector('[data-testid=returns-step]'); return String(e.scrollWidth > e.clientWidth) })()`); cut != "false" {
		t.Errorf("the step %q is cut off", want)
	}
}

// A put-back left unfinished is picked up again: the parcel waits on the
// returns start screen, and a rescan of its waybill shows its put-back step
// first. After the put-back the scan box has the focus for the next parcel,
// and the parcel's waybill then opens the order for another parcel.
func TestBrowserReturnsPutBackResumed(t *testing.T) {
	for _, lang := range langs {
		t.Run(lang, func(t *testing.T) {
			ctx := browserIn(t, lang, 360, 640)
			s, l := testServer(t)
			lot := shippedOrder(t, s, l, "SO500003", "T50003", "FH-6101")
			ps, _ := l.Pack("SO500003")
			waybill := ps.Parcels[0].Waybill
			book, _ := l.SKU("SKU03000")
			base := serve(t, s)
			run := runner(t, ctx)
			loginAs(t, ctx, base, "B3001", "3333", "menu-returns")
			run(click("menu-returns"))
			waitJS(t, ctx, `!!document.querySelector('[data-testid=scan]') && document.documentElement.dataset.ready === '1'`)
			waitFocus(t, ctx, "scan")
			run(wedge(waybill))
			waitText(t, ctx, `[data-testid=return-order]`, "SO500003")
			waitFocus(t, ctx, "scan")
			run(wedge(book.GTINs[0]))
			waitText(t, ctx, `[data-testid=pending-item]`, book.Code)
			run(click("cond-resellable"))
			waitText(t, ctx, `[data-testid=return-lines]`, book.Code)
			run(click("book-return"))
			where, _ := l.SuggestPutaway(book.Code, "")
			staging := l.ReturnsStaging()
			step := say(lang, "returns.put_back", "qty", "1", "sku", book.Code, "location", where)
			waitText(t, ctx, `[data-testid=booked]`, step)
			waiting, _ := l.ReturnsAwaitingPutBack("SO500003")
			if len(waiting) != 1 {
				t.Fatalf("parcels waiting: %+v", waiting)
			}
			ref := views.ParcelRef(waiting[0].ID, waiting[0].ReturnWaybill)

			// the clerk leaves the card: the start screen names the parcel
			run(chromedp.Navigate(base + "/returns"))
			waitJS(t, ctx, `document.documentElement.dataset.ready === '1'`)
			waitText(t, ctx, `[data-testid=waiting]`, say(lang, "returns.waiting_item", "order", "SO500003", "parcel", ref, "qty", "1"))
			noWiderThan(t, ctx, 360)
			codesWhole(t, ctx)
			shot(t, ctx, "returns-waiting-"+lang+".png")

			// a rescan of the parcel's waybill shows the put-back first
			waitFocus(t, ctx, "scan")
			run(wedge(waybill))
			waitText(t, ctx, `[data-feedback=ok]`, say(lang, "returns.waiting", "order", "SO500003", "parcel", ref, "location", staging))
			waitText(t, ctx, `[data-testid=booked]`, step)
			if got := evalString(t, ctx, `document.querySelector('[data-testid=booked-line] [data-testid=line-where]').innerText`); got != staging {
				t.Errorf("the line is at %q, want %s before the put-back", got, staging)
			}
			waitText(t, ctx, `[data-testid=booked-line]`, say(lang, "returns.waiting_tag"))
			waitFocus(t, ctx, "scan")
			run(wedge(where))
			waitText(t, ctx, `[data-feedback=ok]`, say(lang, "returns.put_done", "qty", "1", "sku", book.Code, "location", where))
			waitText(t, ctx, `[data-testid=booked-line]`, say(lang, "returns.put_back_tag"))

			// the next parcel, scanned at once
			visibleStep(t, ctx, say(lang, "returns.scan_parcel"))
			waitFocus(t, ctx, "scan")
			placeholdersFit(t, ctx)
			noWiderThan(t, ctx, 360)
			run(wedge(waybill))
			waitText(t, ctx, `[data-testid=return-order]`, "SO500003")
			visibleStep(t, ctx, say(lang, "returns.scan_item"))
			waitFocus(t, ctx, "scan")
			if present(t, ctx, "waiting") {
				t.Error("the parcel is still listed as waiting")
			}
			_ = lot
		})
	}
}

// Every code that finds the order finds its parcel's units waiting to be put
// back: the RMA, the return waybill, the original waybill and the order.
func TestReturnsWaitingFoundByEveryCode(t *testing.T) {
	s, l := testServer(t)
	lot := shippedOrder(t, s, l, "SO500004", "T50004", "FH-6201")
	if _, err := l.AnnounceReturn(context.Background(), "", wms.RMA{RMA: "RMA-94", Order: "SO500004", ReturnWaybill: "SF1888888888888"}, "oms", "api"); err != nil {
		t.Fatal(err)
	}
	p, err := l.ReceiveReturn(context.Background(), wms.ReturnParcel{ID: "7e0b6c52-7a7e-4c55-9a51-0f3f7e3a1c02", Order: "SO500004", RMA: "RMA-94", ReturnWaybill: "SF1888888888888",
		Lines: []wms.ReturnLine{{SKU: "SKU00002", Lot: lot, Serial: "FH-6201", Qty: 1, Condition: wms.CondResellable}}}, "B3001", "pda")
	if err != nil {
		t.Fatal(err)
	}
	ps, _ := l.Pack("SO500004")
	c := newClient(t, s)
	c.login("B3001", "3333")
	_, page := c.get("/returns")
	if !strings.Contains(page, `href="/returns?parcel=`+p.ID+`"`) {
		t.Errorf("the start screen does not list the waiting parcel:\n%s", pageText(page))
	}
	for _, code := range []string{"RMA-94", "SF1888888888888", ps.Parcels[0].Waybill, "SO500004"} {
		resp, page := c.get("/returns?code=" + url.QueryEscape(code))
		if resp.StatusCode != 200 || !strings.Contains(page, `action="/returns/putaway"`) || !strings.Contains(page, `name="parcel" value="`+p.ID+`"`) {
			t.Errorf("%s: %d, want the parcel's put-back step:\n%s", code, resp.StatusCode, pageText(page))
		}
	}
}

// lineCount is how many lines the text of the first element matching sel takes.
func lineCount(t *testing.T, ctx context.Context, sel string) int {
	t.Helper()
	n, err := strconv.Atoi(evalString(t, ctx, `(function(){ var r = document.createRange(); r.selectNodeContents(document.querySelector(`+strconv.Quote(sel)+`));
		return String(new Set(Array.from(r.getClientRects()).map(function(x){ return Math.round(x.top) })).size) })()`))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// The returns screens read well at 360 px in both languages: today's figures
// under a heading, one condition a row, in the text's colour; where a line
// waits reads as a phrase, not a word a line, on the card and the receipt;
// items carry their names beside their codes; the receipt's heading says what
// it is, its button what it does.
func TestBrowserReturnsLayout(t *testing.T) {
	for _, lang := range langs {
		t.Run(lang, func(t *testing.T) {
			ctx := browserIn(t, lang, 360, 640)
			s, l := testServer(t)
			shippedOrder(t, s, l, "SO500009", "T50009", "FH-6009")
			book, _ := l.SKU("SKU03000")
			booked, err := l.ReceiveReturn(context.Background(), wms.ReturnParcel{ID: "rp-layout-" + lang, Order: "SO500009", Lines: []wms.ReturnLine{
				{SKU: "SKU03000", Qty: 1, Condition: "resellable"}, {SKU: "SKU03000", Qty: 1, Condition: "damaged"}}}, "B3001", "t")
			if err != nil {
				t.Fatal(err)
			}
			base := serve(t, s)
			run := runner(t, ctx)
			loginAs(t, ctx, base, "B3001", "3333", "menu-returns")

			run(chromedp.Navigate(base + "/returns"))
			waitText(t, ctx, `[data-testid=return-stats] h2`, say(lang, "returns.today"))
			stats := evalString(t, ctx, `Array.from(document.querySelectorAll('[data-testid=return-stat]')).map(function(r){ return r.innerText.replace(/\s+/g, ' ').trim() }).join('|')`)
			if !strings.Contains(stats, say(lang, "cond.resellable")+" 1") || !strings.Contains(stats, say(lang, "cond.damaged")+" 1") {
				t.Errorf("today's figures: %q", stats)
			}
			if red := evalString(t, ctx, `Array.from(document.querySelectorAll('[data-testid=return-stats] td')).map(function(e){ return getComputedStyle(e).color }).filter(function(c){
				var v = (c.match(/\d+/g) || []).map(Number); return v[0] > 2 * (v[1] + 10) }).join(' ')`); red != "" {
				t.Errorf("today's figures in red: %s", red)
			}
			noWiderThan(t, ctx, 360)

			// the booked card: where the unit waits, and the item's name
			run(chromedp.Navigate(base + "/returns?parcel=" + booked.ID))
			waitText(t, ctx, `[data-testid=booked]`, say(lang, "returns.waiting_tag"))
			if n := lineCount(t, ctx, `[data-testid=booked] [data-testid=where]`); n > 2 {
				t.Errorf("the card's 'waiting' takes %d lines at 360 px", n)
			}
			if line := evalString(t, ctx, `document.querySelector('[data-testid=booked-line]').innerText`); !strings.Contains(line, book.Name) {
				t.Errorf("booked line without the item's name: %q", line)
			}
			noWiderThan(t, ctx, 360)

			// the receipt
			run(chromedp.Navigate(base + "/returns/receipt/" + booked.ID))
			head := waitText(t, ctx, `h1`, say(lang, "returns.receipt_title"))
			if button := evalString(t, ctx, `document.querySelector('[data-testid=print]').innerText`); strings.TrimSpace(button) == strings.TrimSpace(head) {
				t.Errorf("the receipt's heading is its button's words: %q", head)
			}
			if n := lineCount(t, ctx, `[data-testid=receipt-line] [data-testid=where]`); n > 2 {
				t.Errorf("the receipt's 'waiting' takes %d lines at 360 px", n)
			}
			if line := evalString(t, ctx, `document.querySelector('[data-testid=receipt-line]').innerText`); !strings.Contains(line, book.Name) {
				t.Errorf("receipt line without the item's name: %q", line)
			}
			noWiderThan(t, ctx, 360)

			// a parcel being inspected: what was shipped and what is in it, by name
			run(chromedp.Navigate(base + "/returns?order=SO500009&lines=" + url.QueryEscape(`[{"sku":"SKU03000","qty":1,"condition":"opened"}]`)))
			waitText(t, ctx, `[data-testid=shipped]`, book.Name)
			waitText(t, ctx, `[data-testid=return-lines]`, book.Name)
			noWiderThan(t, ctx, 360)
		})
	}
}

// An order not yet shipped, scanned at the returns desk, says its state in
// the clerk's language (it said "状态为new" in Chinese); the API's args keep
// the domain's value for scripts.
func TestReturnsNotShippedSaysStateInWords(t *testing.T) {
	s, l := testServer(t)
	if _, _, err := l.ReceiveOrder(context.Background(), "", intake("SO200001", wms.LineIn{SKU: "SKU03000", Qty: 1}), "oms", "test"); err != nil {
		t.Fatal(err)
	}
	for _, lang := range langs {
		c := newClient(t, s)
		c.lang = lang
		c.login("B3001", "3333")
		_, page := c.get("/returns?code=SO200001")
		text := unmarked(htmlUnescape(page))
		want := say(lang, "return.not_shipped", "order", "SO200001", "state", "orderstate.new")
		if !strings.Contains(text, want) {
			t.Errorf("%s: want %q in\n%s", lang, want, text)
		}
		if lang == views.LangZH && strings.Contains(text, "状态为new") {
			t.Errorf("the state is not in Chinese:\n%s", text)
		}
	}
	e := newAPIError(views.LangZH, wms.Errf(wms.CodeConflict, "return.not_shipped", "order", "SO200001", "state", "new"))
	if e.Args["state"] != "new" || !strings.Contains(e.Error, say(views.LangZH, "orderstate.new")) {
		t.Errorf("API error %+v", e)
	}
}
