package server

import (
	"context"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"tally/wms"
)

// cspWatch runs before every page's own scripts: it records each
// Content-Security-Policy violation, and stands in for the print dialog
// (headless Chromium has none) so that a page that prints is seen to.
const cspWatch = `
window.__csp = [];
document.addEventListener('securitypolicyviolation', function (e) {
	window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + (e.sourceFile || '') + ':' + e.lineNumber);
});
window.__printed = 0;
window.print = function () { window.__printed++; };
`

// The screens work under the Content-Security-Policy: no page, script or
// style of theirs is refused (the label's size style carries its nonce, the
// receipt's print button has no inline handler), and an inline style
// without the nonce is refused, so the watch would see one.
func TestBrowserScreensKeepTheCSP(t *testing.T) {
	ctx := browser(t)
	s, l := testServer(t)
	s.StartWorkers()
	defer s.StopWorkers()
	bg := context.Background()

	// a label for a station whose printer is the browser
	if _, err := l.SaveStation(bg, "", wms.Station{ID: "PACK-WEB", Printer: "browser"}, "admin", "t"); err != nil {
		t.Fatal(err)
	}
	book, _ := l.SKU("SKU03000")
	milk, _ := l.SKU("SKU00002")
	kiosk := newClient(t, s)
	kiosk.login("B2001", "2222")
	no, tote := "SO430001", "T43001"
	_, lot := pickedOrder(t, l, no, tote)
	kiosk.follow(kiosk.get("/pack?station=PACK-WEB&code=" + tote))
	for k, code := range []string{book.GTINs[0][1:], book.GTINs[0][1:], "]C101" + milk.GTINs[0] + "10" + lot + "\x1d21W-" + no} {
		if r, p := kiosk.post("/pack/scan", url.Values{"station": {"PACK-WEB"}, "order": {no}, "code": {code}, "key": {fmt.Sprintf("%s-%d", no, k)}}); r.StatusCode != 200 {
			t.Fatalf("scan: %d\n%s", r.StatusCode, p)
		}
	}
	weight := fmt.Sprint(2*book.UnitWeightG + milk.UnitWeightG + 160 + 20)
	if r, p := kiosk.post("/pack/parcel", url.Values{"station": {"PACK-WEB"}, "order": {no}, "box": {"M2"}, "weight_g": {weight}, "key": {"parcel-" + no}}); r.StatusCode != 200 {
		t.Fatalf("parcel: %d\n%s", r.StatusCode, p)
	}
	jobs, err := l.PrintJobs(wms.PrintFilter{Order: no})
	if err != nil || len(jobs) == 0 {
		t.Fatalf("print jobs: %v %v", jobs, err)
	}
	// a return, for its receipt
	retLot := shippedOrder(t, s, l, "SO430002", "T43002", "FH-7002")
	ret, err := l.ReceiveReturn(bg, wms.ReturnParcel{ID: "3c2a5c70-5555-4a43-9d0c-1f7f3c7b0a11", Order: "SO430002", ReturnWaybill: "SF1234567890555",
		Lines: []wms.ReturnLine{{SKU: "SKU00002", Lot: retLot, Serial: "FH-7002", Qty: 1, Condition: wms.CondResellable}}}, "B3001", "pda")
	if err != nil {
		t.Fatal(err)
	}

	base := serve(t, s)
	run := runner(t, ctx)
	run(chromedp.ActionFunc(func(ctx context.Context) error {
		_, err := page.AddScriptToEvaluateOnNewDocument(cspWatch).Do(ctx)
		return err
	}))
	loginAs(t, ctx, base, "B4001", "4444", "menu-stock")
	violations := func(where string) {
		t.Helper()
		if got := evalString(t, ctx, `JSON.stringify(window.__csp || ['no watch'])`); got != "[]" {
			t.Errorf("%s: refused by the CSP: %s", where, got)
		}
	}
	violations("login")
	for _, path := range []string{"/", "/stock", "/floor", "/count", "/returns", "/orders", "/kpi", "/sync", "/exceptions", "/me", "/print-jobs", "/admin/audit"} {
		run(chromedp.Navigate(base + path))
		waitJS(t, ctx, `document.documentElement.dataset.ready === '1'`)
		time.Sleep(100 * time.Millisecond)
		violations(path)
	}
	// the live floor swaps in what its stream sends
	run(chromedp.Navigate(base + "/floor/live"))
	waitJS(t, ctx, `document.querySelector('[data-stream=open]') !== null`)
	violations("/floor/live")

	// the receipt prints from its button
	run(chromedp.Navigate(base + "/returns/receipt/" + ret.ID))
	waitJS(t, ctx, `document.documentElement.dataset.ready === '1'`)
	run(chromedp.Evaluate(`document.querySelector('[data-testid=print]').click()`, nil))
	waitJS(t, ctx, `window.__printed === 1`)
	violations("the returns receipt")

	// the label page prints itself, its size style allowed by the nonce
	run(chromedp.Navigate(base + "/pack/print/" + jobs[0].ID))
	waitJS(t, ctx, `document.documentElement.dataset.ready === '1' && window.__printed >= 1`)
	if got := evalString(t, ctx, `Array.from(document.styleSheets).filter(function (s) { return !s.href }).map(function (s) { return s.cssRules[0].cssText }).join()`); got == "" {
		t.Error("the label's size style was not applied")
	}
	violations("the label page")

	// and the watch sees a refusal: an inline style without the nonce
	run(chromedp.Evaluate(`var st = document.createElement('style'); st.textContent = 'body { color: red }'; document.head.appendChild(st)`, nil))
	waitJS(t, ctx, `window.__csp.length === 1 && window.__csp[0].indexOf('style-src') === 0`)
}
