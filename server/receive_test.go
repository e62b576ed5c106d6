package server

import (
	"context"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"tally/views"
	"tally/wms"
)

// click taps the element with a data-testid.
func click(testid string) chromedp.Action {
	return chromedp.Evaluate(fmt.Sprintf(`document.querySelector('[data-testid=%q]').click()`, testid), nil)
}

// startBlindDelivery logs the receiver B3001 in, opens receiving and starts a
// delivery without notice, waiting for its receipt and the page to be ready.
func startBlindDelivery(t *testing.T, ctx context.Context, base, lang string) {
	t.Helper()
	run := runner(t, ctx)
	loginAs(t, ctx, base, "B3001", "3333", "menu-receive")
	run(click("menu-receive"))
	waitText(t, ctx, `[data-testid=receipt-blind]`, say(lang, "receive.blind"))
	run(click("receipt-blind"))
	waitJS(t, ctx, `!!document.querySelector('[data-testid=receipt]') && document.documentElement.dataset.ready === '1'`)
}

// present is true when the page has an element with the data-testid.
func present(t *testing.T, ctx context.Context, testid string) bool {
	t.Helper()
	return evalString(t, ctx, fmt.Sprintf(`document.querySelector('[data-testid=%q]') ? 'yes' : 'no'`, testid)) == "yes"
}

// Every delivery without notice has its own receipt: after closing one, the
// receiver starts the next from the closed receipt's summary, which offers
// nothing that cannot work (no form, no close button).
func TestBrowserBlindDeliveries(t *testing.T) {
	for _, lang := range langs {
		t.Run(lang, func(t *testing.T) {
			ctx := browserIn(t, lang, 360, 640)
			s, l := testServer(t)
			base := serve(t, s)
			run := runner(t, ctx)
			book := "SKU03000" // not lot-tracked
			day := strings.ReplaceAll(l.Today(), "-", "")
			loginAs(t, ctx, base, "B3001", "3333", "menu-receive")
			run(click("menu-receive"))
			waitText(t, ctx, `[data-testid=receipt-blind]`, say(lang, "receive.blind"))

			deliver := func(start string, n int, qty string) {
				t.Helper()
				run(click(start))
				id := fmt.Sprintf("BLIND-%s-B3001-%d", day, n)
				waitText(t, ctx, `[data-testid=receipt]`, id)
				waitJS(t, ctx, `document.documentElement.dataset.ready === '1'`)
				waitFocus(t, ctx, "scan")
				run(wedge(demoGTIN(t, book)))
				waitText(t, ctx, `[data-testid=receive-form]`, book)
				run(chromedp.Evaluate(`document.querySelector('[data-testid=qty]').value = '`+qty+`'`, nil), click("receive-ok"))
				waitText(t, ctx, `[data-feedback=ok]`, say(lang, "receive.done_no_lot", "qty", qty, "sku", book))
				if present(t, ctx, "receipt-close") {
					t.Error("close is offered while the units wait on the dock")
				}
				where, _ := l.SuggestPutaway(book, "")
				waitFocus(t, ctx, "scan")
				run(wedge(where))
				waitText(t, ctx, `[data-feedback=ok]`, say(lang, "receive.put_away", "qty", qty, "sku", book, "location", where))
				run(click("receipt-close"))
				waitText(t, ctx, `[data-feedback=ok]`, say(lang, "receive.closed", "receipt", id))
				waitText(t, ctx, `[data-testid=receipt-closed]`, say(lang, "receive.is_closed"))
				waitText(t, ctx, `[data-testid=receipt-lines]`, book)
				for _, gone := range []string{"receipt-close", "receive-form"} {
					if present(t, ctx, gone) {
						t.Errorf("closed receipt %s still offers %s", id, gone)
					}
				}
				noWiderThan(t, ctx, 360)
				r, err := l.Receipt(id)
				if n, _ := strconv.ParseInt(qty, 10, 64); err != nil || r.State != "closed" || len(r.Lines) != 1 || r.Lines[0].Received != n {
					t.Errorf("receipt %s: %+v %v", id, r, err)
				}
			}
			deliver("receipt-blind", 1, "3")
			shot(t, ctx, "receive-closed-"+lang+".png")
			// the next delivery the same day starts from the closed receipt's screen
			deliver("next-blind", 2, "5")
			if lang == views.LangEN {
				run(click("other-deliveries"))
				waitText(t, ctx, `[data-testid=receipt-blind]`, say(lang, "receive.blind"))
			}
		})
	}
}

var (
	htmlTag    = regexp.MustCompile(`<[^>]*>`)
	whitespace = regexp.MustCompile(`\s+`)
)

// pageText is what a page says: its HTML without tags, spaces collapsed.
func pageText(page string) string {
	return strings.TrimSpace(whitespace.ReplaceAllString(html.UnescapeString(htmlTag.ReplaceAllString(page, " ")), " "))
}

// A blind receipt shows what came, not a difference from nothing announced,
// and no placeholder supplier; an ASN shows its differences with their sign.
// What the receiver typed stays on the form when the server refuses it.
func TestReceiptWordsAndTypedValues(t *testing.T) {
	for _, lang := range langs {
		t.Run(lang, func(t *testing.T) {
			s, l := testServer(t)
			if _, _, err := l.ExpectReceipt(context.Background(), "", wms.ReceiptIn{ID: "ASN-5", Supplier: "飞鹤乳业", Lines: []wms.LineIn{{SKU: "SKU03000", Qty: 10}}}, "oms", "api"); err != nil {
				t.Fatal(err)
			}
			c := newClient(t, s)
			c.lang = lang
			c.login("B3001", "3333")
			resp, _ := c.get("/receive?blind=1")
			to, _ := url.Parse(resp.Header.Get("Location"))
			blind := to.Query().Get("receipt")
			if resp.StatusCode != 303 || !strings.HasPrefix(blind, "BLIND-") {
				t.Fatalf("starting a blind delivery: %d %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			c.get(resp.Header.Get("Location"))
			for _, r := range []string{blind, "ASN-5"} {
				if resp, page := c.post("/receive", url.Values{"receipt": {r}, "sku": {"SKU03000"}, "qty": {"24"}, "location": {"DOCK-01"}}); resp.StatusCode != 200 {
					t.Fatalf("receive into %s: %d\n%s", r, resp.StatusCode, pageText(page))
				}
			}
			_, page := c.get("/receive")
			if !strings.Contains(page, `<span class="code">`+blind+`</span>`) {
				t.Errorf("the open blind receipt is not listed as a code:\n%s", page)
			}
			_, page = c.get("/receive?receipt=" + url.QueryEscape(blind))
			text := pageText(page)
			if !strings.Contains(text, blind+" "+say(lang, "receive.blind_tag")+" ") || strings.Contains(text, blind+" - ") {
				t.Errorf("blind receipt heading: %s", text)
			}
			if strings.Contains(text, say(lang, "receive.variance")) || strings.Contains(text, say(lang, "receive.expected")) || strings.Contains(text, "+24") {
				t.Errorf("a blind receipt shows a difference from nothing announced: %s", text)
			}
			if !strings.Contains(text, "SKU03000 24") {
				t.Errorf("blind receipt lines: %s", text)
			}
			_, page = c.get("/receive?receipt=ASN-5")
			if text := pageText(page); !strings.Contains(text, "ASN-5 飞鹤乳业") || !strings.Contains(text, say(lang, "receive.variance")) || !strings.Contains(text, "SKU03000 10 24 +14") {
				t.Errorf("ASN: %s", text)
			}

			// refused: the typed quantity, lot and expiry stay for the receiver to correct
			for _, bad := range []struct{ qty, expiry, key string }{
				{"2o", "2028-09-01", "receive.qty_invalid"},
				{"36", "2028-02-30", "date.invalid"},
			} {
				resp, page := c.post("/receive", url.Values{"receipt": {"ASN-5"}, "sku": {"SKU00000"}, "lot": {"L77"}, "expiry": {bad.expiry}, "qty": {bad.qty}, "location": {"DOCK-01"}})
				if resp.StatusCode != 400 || !strings.Contains(page, `data-feedback="error"`) {
					t.Errorf("%+v: %d", bad, resp.StatusCode)
				}
				for _, kept := range []string{`value="` + bad.qty + `"`, `value="L77"`, `value="` + bad.expiry + `"`} {
					if !strings.Contains(page, kept) {
						t.Errorf("%+v: the form lost %s", bad, kept)
					}
				}
			}
		})
	}
}

// codesWhole fails when a code on the screen (marked with the code class)
// breaks across lines.
func codesWhole(t *testing.T, ctx context.Context) {
	t.Helper()
	broken := evalString(t, ctx, `Array.prototype.filter.call(document.querySelectorAll('main .code'), function (e) {
		var lines = {}; Array.prototype.forEach.call(e.getClientRects(), function (r) { if (r.width > 0) lines[Math.round(r.top)] = 1; });
		return Object.keys(lines).length > 1;
	}).map(function (e) { return e.innerText; }).join(' | ')`)
	if broken != "" {
		t.Errorf("codes broken across lines: %s", broken)
	}
}

// typeQty taps the quantity field and types a case's quantity and Enter.
func typeQty(t *testing.T, ctx context.Context, qty string) {
	t.Helper()
	run := runner(t, ctx)
	run(chromedp.Click(`[data-testid=qty]`, chromedp.ByQuery))
	waitFocus(t, ctx, "qty")
	waitJS(t, ctx, `(function () { var q = document.querySelector('[data-testid=qty]'); return q.selectionStart === 0 && q.selectionEnd === q.value.length; })()`)
	run(chromedp.KeyEvent(qty + "\r"))
}

// typeSlowly types keys at a person's pace (a run of fast keys ending in
// Enter is a scanner's, and a field meant for typing passes it on).
func typeSlowly(t *testing.T, ctx context.Context, keys string) {
	t.Helper()
	run := runner(t, ctx)
	for _, r := range keys {
		run(chromedp.KeyEvent(string(r)))
		time.Sleep(120 * time.Millisecond)
	}
}

// Issue 9, review 2, point 2: a scan that lands in a field meant for typing
// (the expiry after an impossible date, the quantity) goes to the screen's
// scan box, and the field keeps what it held: the same pack again is another
// unit counted, never a date or a quantity, and the page stays 360 px wide. A person typing there is left alone.
func TestBrowserReceiveScanIntoTypedField(t *testing.T) {
	for _, lang := range langs {
		t.Run(lang, func(t *testing.T) {
			ctx := browserIn(t, lang, 360, 640)
			s, l := testServer(t)
			base := serve(t, s)
			run := runner(t, ctx)
			milk, _ := l.SKU("SKU00000")
			book, _ := l.SKU("SKU03000")
			startBlindDelivery(t, ctx, base, lang)
			waitFocus(t, ctx, "scan")
			field := func(id string) string {
				return evalString(t, ctx, `document.querySelector('[data-testid=`+id+`]').value`)
			}
			forget := chromedp.Evaluate(`document.querySelectorAll('[data-feedback]').forEach(function (f) { f.remove(); })`, nil)

			// an impossible date: the expiry has the focus; the pack scanned again is the pack
			pack := "(01)" + milk.GTINs[0] + "(17)280230(10)BADDATE1"
			unreadable := say(lang, "receive.date_unreadable", "sku", milk.Code, "name", milk.Name, "value", "280230")
			run(wedge(pack))
			waitText(t, ctx, `[data-feedback=error]`, unreadable)
			waitFocus(t, ctx, "expiry")
			run(forget, wedge(pack)) // another unit of the same pack: counted
			waitText(t, ctx, `[data-feedback=ok]`, say(lang, "receive.counted", "sku", milk.Code, "qty", "2"))
			if qty, lot, exp := field("qty"), field("lot"), field("expiry"); qty != "2" || lot != "BADDATE1" || exp != "" {
				t.Errorf("after the pack scanned into the expiry: quantity %q lot %q expiry %q, want 2, BADDATE1 and nothing", qty, lot, exp)
			}
			noWiderThan(t, ctx, 360)
			// the date typed by hand is a date
			run(chromedp.Click(`[data-testid=expiry]`, chromedp.ByQuery))
			waitFocus(t, ctx, "expiry")
			typed := today.AddDate(0, 0, 700).Format("2006-01-02")
			typeSlowly(t, ctx, typed+"\r")
			waitText(t, ctx, `[data-feedback=ok]`, say(lang, "receive.done", "qty", "2", "sku", milk.Code, "lot", "BADDATE1"))
			where, _ := l.SuggestPutaway(milk.Code, "BADDATE1")
			waitFocus(t, ctx, "scan")
			run(wedge(where))
			waitText(t, ctx, `[data-feedback=ok]`, say(lang, "receive.put_away", "qty", "2", "sku", milk.Code, "location", where))

			// the quantity has the focus: another unit scanned counts
			waitFocus(t, ctx, "scan")
			run(wedge(book.GTINs[0]))
			waitText(t, ctx, `[data-testid=receive-item]`, book.Code)
			run(chromedp.Click(`[data-testid=qty]`, chromedp.ByQuery))
			waitFocus(t, ctx, "qty")
			run(forget, wedge(book.GTINs[0]))
			waitText(t, ctx, `[data-feedback=ok]`, say(lang, "receive.counted", "sku", book.Code, "qty", "2"))
			if got := field("qty"); got != "2" {
				t.Errorf("two units: quantity %q, want 2", got)
			}
			noWiderThan(t, ctx, 360)

			// a refused quantity keeps what was typed; the scan is no quantity
			typeQty(t, ctx, "2o")
			waitText(t, ctx, `[data-feedback=error]`, say(lang, "receive.qty_invalid", "qty", "2o"))
			waitFocus(t, ctx, "qty")
			run(forget, wedge(book.GTINs[0]))
			waitText(t, ctx, `[data-feedback=error]`, say(lang, "receive.qty_invalid", "qty", "2o"))
			if got := field("qty"); got != "2o" {
				t.Errorf("refused quantity %q after a scan, want 2o kept", got)
			}
			noWiderThan(t, ctx, 360)
			// typed at a person's pace over the refused one (focused, selected), the quantity is taken
			waitFocus(t, ctx, "qty")
			waitJS(t, ctx, `(function () { var q = document.querySelector('[data-testid=qty]'); return q.selectionStart === 0 && q.selectionEnd === q.value.length; })()`)
			typeSlowly(t, ctx, "1200\r")
			waitText(t, ctx, `[data-feedback=ok]`, say(lang, "receive.done_no_lot", "qty", "1200", "sku", book.Code))
		})
	}
}

// A receiver who scans every unit never types: each scan of the same item
// counts one more, a scan of another lot or item books what is in hand (put
// away first, then the new item comes up with its first unit counted), and a
// case's quantity can still be typed.
func TestBrowserReceiveByScanning(t *testing.T) {
	for _, lang := range langs {
		t.Run(lang, func(t *testing.T) {
			ctx := browserIn(t, lang, 360, 640)
			s, l := testServer(t)
			base := serve(t, s)
			run := runner(t, ctx)
			milk, _ := l.SKU("SKU00000") // lot-tracked formula
			lot1 := gs1(milk.GTINs[0], "SCAN1", today.AddDate(0, 0, 700))
			lot2 := gs1(milk.GTINs[0], "SCAN2", today.AddDate(0, 0, 710))
			startBlindDelivery(t, ctx, base, lang)
			receipt := evalString(t, ctx, `document.querySelector('[data-testid=receipt]').innerText`)
			qty := func() string {
				return evalString(t, ctx, `document.querySelector('[data-testid=qty]') ? document.querySelector('[data-testid=qty]').value : ''`)
			}

			// the first unit: the item with one counted, the scan box ready for the next
			waitFocus(t, ctx, "scan")
			run(wedge(lot1))
			waitText(t, ctx, `[data-testid=receive-item]`, "SKU00000")
			if got := qty(); got != "1" {
				t.Errorf("first unit: quantity %q, want 1", got)
			}
			waitFocus(t, ctx, "scan")
			// two more units, the second read while the first is out
			run(wedge(lot1), wedge(lot1))
			waitText(t, ctx, `[data-feedback=ok]`, say(lang, "receive.counted", "sku", "SKU00000", "qty", "3"))
			waitFocus(t, ctx, "scan")
			if got := qty(); got != "3" {
				t.Errorf("three units: quantity %q, want 3", got)
			}
			noWiderThan(t, ctx, 360)
			codesWhole(t, ctx)
			shot(t, ctx, "receive-counting-"+lang+".png")
			if r, err := l.Receipt(receipt); err == nil {
				t.Errorf("counting booked units already: %+v", r.Lines)
			}

			// another lot of the same GTIN is another line: the three are booked and put away first
			run(wedge(lot2))
			waitText(t, ctx, `[data-feedback=ok]`, say(lang, "receive.done", "qty", "3", "sku", "SKU00000", "lot", "SCAN1"))
			waitText(t, ctx, `[data-testid=receive-next]`, "SKU00000")
			where, _ := l.SuggestPutaway("SKU00000", "SCAN1")
			waitText(t, ctx, `[data-testid=putaway-step] .code`, where)
			noWiderThan(t, ctx, 360)
			codesWhole(t, ctx)
			waitFocus(t, ctx, "scan")
			run(wedge(where))
			waitText(t, ctx, `[data-feedback=ok]`, say(lang, "receive.put_away", "qty", "3", "sku", "SKU00000", "location", where))
			// ... and the scanned unit of the second lot is in hand, one counted
			waitText(t, ctx, `[data-testid=receive-item]`, "SKU00000")
			if got := evalString(t, ctx, `document.querySelector('[data-testid=lot]').value`); got != "SCAN2" {
				t.Errorf("next item's lot %q, want SCAN2", got)
			}
			if got := qty(); got != "1" {
				t.Errorf("next item: quantity %q, want 1", got)
			}
			// a case: the quantity typed over the count, then confirmed with Enter
			typeQty(t, ctx, "24")
			waitText(t, ctx, `[data-feedback=ok]`, say(lang, "receive.done", "qty", "24", "sku", "SKU00000", "lot", "SCAN2"))
			where2, _ := l.SuggestPutaway("SKU00000", "SCAN2")
			waitFocus(t, ctx, "scan")
			run(wedge(where2))
			waitText(t, ctx, `[data-feedback=ok]`, say(lang, "receive.put_away", "qty", "24", "sku", "SKU00000", "location", where2))
			waitJS(t, ctx, `!!document.querySelector('[data-testid=receipt-close]')`)

			r, err := l.Receipt(receipt)
			if err != nil || len(r.Lines) != 1 || r.Lines[0].Received != 27 {
				t.Errorf("receipt %s: %+v %v", receipt, r.Lines, err)
			}
			for lot, want := range map[string]int64{"SCAN1": 3, "SCAN2": 24} {
				var got int64
				lines, _ := l.StockOf("SKU00000")
				for _, x := range lines {
					if x.Lot == lot {
						got += x.Qty
					}
				}
				if got != want {
					t.Errorf("lot %s: %d in stock, want %d", lot, got, want)
				}
			}
		})
	}
}

// Where a shelf is expected — putting received units away, putting returned
// ones back — a scan of an item or another label says what it was and which
// shelf to scan, changes nothing, and keeps the step on the screen; the shelf
// then takes the units.
func TestShelfStepNamesWhatWasScanned(t *testing.T) {
	for _, lang := range langs {
		t.Run(lang, func(t *testing.T) {
			s, l := testServer(t)
			ctx := context.Background()
			book, _ := l.SKU("SKU03000")
			milk, _ := l.SKU("SKU00002")
			c := newClient(t, s)
			c.lang = lang
			c.login("B3001", "3333")
			c.get("/receive?receipt=ASN-SHELF")
			if resp, page := c.post("/receive", url.Values{"receipt": {"ASN-SHELF"}, "sku": {book.Code}, "qty": {"4"}, "location": {"DOCK-01"}}); resp.StatusCode != 200 || !strings.Contains(page, `data-testid="putaway"`) {
				t.Fatalf("receive: %d\n%s", resp.StatusCode, pageText(page))
			}
			where, _ := l.SuggestPutaway(book.Code, "")
			putaway := url.Values{"receipt": {"ASN-SHELF"}, "sku": {book.Code}, "qty": {"4"}, "from": {"DOCK-01"}, "suggest": {where}}
			dock := func() int64 {
				var n int64
				lines, _ := l.StockAt("DOCK-01")
				for _, x := range lines {
					if x.SKU == book.Code {
						n += x.Qty
					}
				}
				return n
			}
			for _, tc := range []struct{ scan, want string }{
				{book.GTINs[0], say(lang, "receive.shelf_item", "sku", book.Code, "name", book.Name, "want", where)},
				{milk.GTINs[0], say(lang, "receive.shelf_item", "sku", milk.Code, "name", milk.Name, "want", where)},
				{"T00042", say(lang, "receive.shelf_code", "code", "T00042", "kind", "scankind.tote", "want", where)},
			} {
				form := url.Values{"to": {tc.scan}, "key": {"put-" + tc.scan}}
				for k, v := range putaway {
					form[k] = v
				}
				resp, page := c.post("/receive/putaway", form)
				if resp.StatusCode != 400 || !strings.Contains(htmlUnescape(unmarked(page)), tc.want) {
					t.Errorf("%s at the putaway: %d, want %q:\n%s", tc.scan, resp.StatusCode, tc.want, pageText(page))
				}
				if !strings.Contains(page, `data-testid="putaway"`) || !strings.Contains(page, `name="suggest" value="`+where+`"`) {
					t.Errorf("%s: the putaway step is gone:\n%s", tc.scan, pageText(page))
				}
				if n := dock(); n != 4 {
					t.Errorf("%s moved units: %d left on the dock, want 4", tc.scan, n)
				}
			}
			form := url.Values{"to": {where}, "key": {"put-shelf"}}
			for k, v := range putaway {
				form[k] = v
			}
			if resp, page := c.post("/receive/putaway", form); resp.StatusCode != 200 || !strings.Contains(unmarked(page), say(lang, "receive.put_away", "qty", "4", "sku", book.Code, "location", where)) {
				t.Errorf("the shelf: %d\n%s", resp.StatusCode, pageText(page))
			}

			// returns: the can waits at the returns location to go back on its shelf
			lot := shippedOrder(t, s, l, "SO700001", "T70001", "FH-7701")
			p, err := l.ReceiveReturn(ctx, wms.ReturnParcel{ID: "6d0b6c52-7a7e-4c55-9a51-0f3f7e3a1c01", Order: "SO700001",
				Lines: []wms.ReturnLine{{SKU: milk.Code, Lot: lot, Serial: "FH-7701", Qty: 1, Condition: wms.CondResellable}}}, "B3001", "pda")
			if err != nil {
				t.Fatal(err)
			}
			back, _ := l.SuggestPutaway(milk.Code, lot)
			for _, tc := range []struct{ scan, want string }{
				{milk.GTINs[0], say(lang, "returns.shelf_item", "sku", milk.Code, "name", milk.Name, "want", back)},
				{"SO700001", say(lang, "returns.shelf_code", "code", "SO700001", "kind", "scankind.order", "want", back)},
			} {
				resp, page := c.post("/returns/putaway", url.Values{"parcel": {p.ID}, "line": {"0"}, "to": {tc.scan}})
				if resp.StatusCode != 400 || !strings.Contains(htmlUnescape(unmarked(page)), tc.want) {
					t.Errorf("%s at the put-back: %d, want %q:\n%s", tc.scan, resp.StatusCode, tc.want, pageText(page))
				}
				if !strings.Contains(page, `action="/returns/putaway"`) {
					t.Errorf("%s: the put-back step is gone:\n%s", tc.scan, pageText(page))
				}
				if after, _ := l.ReturnParcelByID(p.ID); after.Lines[0].PutBack != "" {
					t.Errorf("%s put the can back on %s", tc.scan, after.Lines[0].PutBack)
				}
			}
			if resp, page := c.post("/returns/putaway", url.Values{"parcel": {p.ID}, "line": {"0"}, "to": {back}}); resp.StatusCode != 200 || !strings.Contains(unmarked(page), say(lang, "returns.put_done", "qty", "1", "sku", milk.Code, "location", back)) {
				t.Errorf("the shelf: %d\n%s", resp.StatusCode, pageText(page))
			}
		})
	}
}

// placeholdersFit fails when a scan box's words are cut off: each visible
// field's placeholder must fit inside it.
func placeholdersFit(t *testing.T, ctx context.Context) {
	t.Helper()
	cut := evalString(t, ctx, `Array.prototype.map.call(document.querySelectorAll('main input[placeholder]'), function (i) {
		if (!i.offsetParent) return '';
		var cs = getComputedStyle(i), g = document.createElement('canvas').getContext('2d');
		g.font = cs.fontStyle + ' ' + cs.fontWeight + ' ' + cs.fontSize + ' ' + cs.fontFamily;
		var need = g.measureText(i.placeholder).width, room = i.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
		return need > room ? i.placeholder + ' (' + Math.round(need) + 'px in ' + Math.round(room) + 'px)' : '';
	}).filter(Boolean).join(' | ')`)
	if cut != "" {
		t.Errorf("placeholders cut off: %s", cut)
	}
}

// The fields a receiver types in: a pack whose barcode holds an impossible
// date shows its item with the lot filled and the expiry empty and focused, so
// the date on the pack is typed and the receipt goes on; a refused quantity
// takes the focus with its value selected, so the right one is typed over it;
// every scan box's words fit a handheld's screen.
func TestBrowserReceiveTypedFields(t *testing.T) {
	for _, lang := range langs {
		t.Run(lang, func(t *testing.T) {
			ctx := browserIn(t, lang, 360, 640)
			s, l := testServer(t)
			base := serve(t, s)
			run := runner(t, ctx)
			milk, _ := l.SKU("SKU00000") // lot-tracked formula with a shelf life
			book, _ := l.SKU("SKU03000")
			startBlindDelivery(t, ctx, base, lang)
			waitFocus(t, ctx, "scan")
			placeholdersFit(t, ctx)
			field := func(id string) string {
				return evalString(t, ctx, `document.querySelector('[data-testid=`+id+`]').value`)
			}
			selected := func(id string) {
				t.Helper()
				waitFocus(t, ctx, id)
				waitJS(t, ctx, `(function () { var q = document.querySelector('[data-testid=`+id+`]'); return q.value !== '' && q.selectionStart === 0 && q.selectionEnd === q.value.length; })()`)
			}

			// 30 February on the pack's barcode: the item, its lot, and the expiry to type
			for range 2 { // every read of the pack answers the same
				run(chromedp.Navigate(base + "/receive?receipt=" + url.QueryEscape(evalString(t, ctx, `document.querySelector('[data-testid=receipt]').innerText`))))
				waitJS(t, ctx, `document.documentElement.dataset.ready === '1'`)
				waitFocus(t, ctx, "scan")
				run(wedge("(01)" + milk.GTINs[0] + "(17)280230(10)RV1"))
				waitText(t, ctx, `[data-feedback=error]`, say(lang, "receive.date_unreadable", "sku", milk.Code, "name", milk.Name, "value", "280230"))
				waitText(t, ctx, `[data-testid=receive-item]`, milk.Code)
				if lot, exp := field("lot"), field("expiry"); lot != "RV1" || exp != "" {
					t.Errorf("lot %q expiry %q, want RV1 and nothing", lot, exp)
				}
				waitFocus(t, ctx, "expiry")
			}
			placeholdersFit(t, ctx)
			noWiderThan(t, ctx, 360)
			shot(t, ctx, "receive-bad-date-"+lang+".png")
			typed := today.AddDate(0, 0, 700).Format("2006-01-02") // as printed on the pack
			typeSlowly(t, ctx, typed+"\r")
			waitText(t, ctx, `[data-feedback=ok]`, say(lang, "receive.done", "qty", "1", "sku", milk.Code, "lot", "RV1"))
			if lots, _ := l.StockOf(milk.Code); !func() bool {
				for _, x := range lots {
					if x.Lot == "RV1" && x.Expiry == typed && x.Qty == 1 {
						return true
					}
				}
				return false
			}() {
				t.Errorf("lot RV1 with the typed expiry is not in stock: %+v", lots)
			}
			waitFocus(t, ctx, "scan")
			placeholdersFit(t, ctx)
			where, _ := l.SuggestPutaway(milk.Code, "RV1")
			run(wedge(where))
			waitText(t, ctx, `[data-feedback=ok]`, say(lang, "receive.put_away", "qty", "1", "sku", milk.Code, "location", where))

			// a quantity typed wrong: refused, focused and selected, typed over
			waitFocus(t, ctx, "scan")
			run(wedge(book.GTINs[0]))
			waitText(t, ctx, `[data-testid=receive-item]`, book.Code)
			placeholdersFit(t, ctx)
			typeQty(t, ctx, "2o")
			waitText(t, ctx, `[data-feedback=error]`, say(lang, "receive.qty_invalid", "qty", "2o"))
			selected("qty")
			if got := field("qty"); got != "2o" {
				t.Errorf("refused quantity %q, want 2o kept", got)
			}
			run(chromedp.KeyEvent("20\r"))
			waitText(t, ctx, `[data-feedback=ok]`, say(lang, "receive.done_no_lot", "qty", "20", "sku", book.Code))
			placeholdersFit(t, ctx)
		})
	}
}

// On a closed receipt's summary (and the list of deliveries) the scan box has
// the focus and starts the next delivery: a receipt's number opens it, an
// item starts the next delivery without notice with that item in hand, an
// item an open announced receipt waits for is sent to that receipt, and
// anything else is named.
func TestBrowserNextDeliveryByScan(t *testing.T) {
	for _, lang := range langs {
		t.Run(lang, func(t *testing.T) {
			ctx := browserIn(t, lang, 360, 640)
			s, l := testServer(t)
			if _, _, err := l.ExpectReceipt(context.Background(), "", wms.ReceiptIn{ID: "ASN-9", Supplier: "澳优乳业", Lines: []wms.LineIn{{SKU: "SKU00000", Qty: 5}}}, "oms", "api"); err != nil {
				t.Fatal(err)
			}
			base := serve(t, s)
			run := runner(t, ctx)
			book, _ := l.SKU("SKU03000")
			milk, _ := l.SKU("SKU00000")
			day := strings.ReplaceAll(l.Today(), "-", "")
			loginAs(t, ctx, base, "B3001", "3333", "menu-receive")
			run(click("menu-receive"))
			waitText(t, ctx, `[data-testid=receive-step]`, say(lang, "receive.scan_next"))
			waitJS(t, ctx, `document.documentElement.dataset.ready === '1'`)
			waitFocus(t, ctx, "scan")
			placeholdersFit(t, ctx)

			// a delivery without notice, started by scanning its first item on the list
			first := fmt.Sprintf("BLIND-%s-B3001-1", day)
			run(wedge(book.GTINs[0]))
			waitText(t, ctx, `[data-testid=receipt]`, first)
			waitText(t, ctx, `[data-testid=receive-item]`, book.Code)
			typeQty(t, ctx, "2")
			waitText(t, ctx, `[data-feedback=ok]`, say(lang, "receive.done_no_lot", "qty", "2", "sku", book.Code))
			where, _ := l.SuggestPutaway(book.Code, "")
			waitFocus(t, ctx, "scan")
			run(wedge(where))
			waitText(t, ctx, `[data-feedback=ok]`, say(lang, "receive.put_away", "qty", "2", "sku", book.Code, "location", where))
			run(click("receipt-close"))
			waitText(t, ctx, `[data-testid=receipt-closed]`, say(lang, "receive.is_closed"))

			// the closed receipt's screen takes the next scan
			waitText(t, ctx, `[data-testid=receive-step]`, say(lang, "receive.scan_next"))
			waitFocus(t, ctx, "scan")
			placeholdersFit(t, ctx)
			noWiderThan(t, ctx, 360)
			shot(t, ctx, "receive-closed-scan-"+lang+".png")
			run(wedge("HELLO123"))
			waitText(t, ctx, `[data-feedback=error]`, say(lang, "receive.not_item_or_receipt", "code", "HELLO123"))
			waitFocus(t, ctx, "scan")
			run(wedge(gs1(milk.GTINs[0], "N1", today.AddDate(0, 0, 700))))
			waitText(t, ctx, `[data-feedback=error]`, say(lang, "receive.announced", "sku", milk.Code, "receipt", "ASN-9"))
			waitText(t, ctx, `[data-testid=receipt]`, first)
			waitFocus(t, ctx, "scan")
			run(wedge("ASN-9"))
			waitText(t, ctx, `[data-testid=receipt]`, "ASN-9")
			waitFocus(t, ctx, "scan")

			// back on the closed receipt, an item starts the next delivery with it in hand
			run(chromedp.Navigate(base + "/receive?receipt=" + first))
			waitJS(t, ctx, `document.documentElement.dataset.ready === '1'`)
			waitFocus(t, ctx, "scan")
			run(wedge(book.GTINs[0]))
			waitText(t, ctx, `[data-testid=receipt]`, fmt.Sprintf("BLIND-%s-B3001-2", day))
			waitText(t, ctx, `[data-testid=receive-item]`, book.Code)
			if r, err := l.Receipt(first); err != nil || r.State != "closed" || r.Lines[0].Received != 2 {
				t.Errorf("the closed receipt changed: %+v %v", r, err)
			}
		})
	}
}

// Issue 9, review 2, point 3: a message that shows a long raw scan (here a
// whole GS1 string typed into the expiry) breaks it rather than widen the
// page on a handheld.
func TestBrowserLongScanInMessageBreaks(t *testing.T) {
	for _, lang := range langs {
		t.Run(lang, func(t *testing.T) {
			ctx := browserIn(t, lang, 360, 640)
			s, l := testServer(t)
			base := serve(t, s)
			run := runner(t, ctx)
			milk, _ := l.SKU("SKU00000")
			startBlindDelivery(t, ctx, base, lang)
			waitFocus(t, ctx, "scan")
			pack := "(01)" + milk.GTINs[0] + "(17)280230(10)BADDATE1"
			run(wedge(pack))
			waitFocus(t, ctx, "expiry")
			run(chromedp.Evaluate(`document.querySelector('[data-testid=expiry]').value = `+strconv.Quote(pack), nil), click("receive-ok"))
			waitText(t, ctx, `[data-feedback=error]`, "BADDATE1")
			noWiderThan(t, ctx, 360)
		})
	}
}
