package server

import (
	"context"
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"tally/wms"
)

// brokenCodes lists codes, dates, column headings and one-word buttons that
// the page shows split over two lines: each text inside such an element must
// sit on one line (a code never breaks in the middle).
const brokenCodes = `(function(){
	var out = [];
	document.querySelectorAll('.code, .date, th, button, .button, a.big').forEach(function(e){
		if (e.offsetParent === null) return; // not shown
		var oneWord = e.matches('.code, .date, th');
		e.childNodes.forEach(function(n){
			if (n.nodeType !== 3) return;
			var text = n.textContent.trim();
			if (text === '' || (!oneWord && /\s/.test(text))) return;
			var r = document.createRange();
			r.selectNodeContents(n);
			var lines = Array.from(r.getClientRects()).filter(function(x){ return x.width > 0 });
			var tops = new Set(lines.map(function(x){ return Math.round(x.top) }));
			if (tops.size > 1) out.push(text);
		});
	});
	return out.join(' | ');
})()`

// Every screen of the returns, lots and expiry, stock, counts, moves and
// floor, at 360×640 in both languages: no code split over two lines, and no
// page wider than the screen (wide tables scroll within themselves).
func TestBrowserCodesNeverBreak(t *testing.T) {
	for _, lang := range langs {
		t.Run(lang, func(t *testing.T) {
			ctx := browserIn(t, lang, 360, 640)
			s, l := testServer(t)
			bg := context.Background()
			lot := shippedOrder(t, s, l, "SO500003", "T50003", "FH-7001")
			p, err := l.ReceiveReturn(bg, wms.ReturnParcel{ID: "3c2a5c70-4444-4a43-9d0c-1f7f3c7b0a11", Order: "SO500003", RMA: "RMA-2026-000123", ReturnWaybill: "SF1234567890123",
				Lines: []wms.ReturnLine{{SKU: "SKU00002", Lot: lot, Serial: "FH-7001", Qty: 1, Condition: wms.CondResellable}, {SKU: "SKU03000", Qty: 1, Condition: wms.CondDamaged}}}, "B3001", "pda")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := l.SeedDemoOrders(bg); err != nil {
				t.Fatal(err)
			}
			if _, err := l.ReleaseWave(bg, wms.WaveFilter{Mode: wms.WaveSingle, MaxOrders: 3}, "wave-codes", "B4001", "web"); err != nil {
				t.Fatal(err)
			}
			if _, err := l.NextTask(bg, "B1001", "pda-1"); err != nil {
				t.Fatal(err)
			}
			expired := ""
			_, _, stock := wms.DemoData(l.Now().In(l.Zone()))
			for _, r := range stock {
				if d, ok := wms.DaysLeft(l.Today(), r.Expiry); ok && d < 0 {
					expired = r.Lot
				}
			}
			base := serve(t, s)
			run := runner(t, ctx)
			loginAs(t, ctx, base, "B4001", "4444", "menu-stock")
			// the expiry screen's one button makes move tasks, so the move screen lists some
			run(chromedp.Navigate(base + "/expiry"))
			waitJS(t, ctx, `!!document.querySelector('[data-testid=expiry-table]')`)
			run(chromedp.Evaluate(`document.querySelector('[data-testid=expiry-quarantine]').click()`, nil))
			time.Sleep(300 * time.Millisecond)
			for _, path := range []string{
				"/stock?code=A01-01-01",
				"/stock?code=SKU00000",
				"/stock?code=SKU01000",
				"/expiry",
				"/floor",
				"/move",
				"/count",
				"/recall?sku=SKU00000&lot=" + url.QueryEscape(expired),
				"/trace?sku=SKU00002&lot=" + url.QueryEscape(lot),
				"/returns",
				"/returns/receipt/" + p.ID,
			} {
				run(chromedp.Navigate(base + path))
				waitJS(t, ctx, `document.readyState === 'complete'`)
				if broken := evalString(t, ctx, brokenCodes); broken != "" {
					t.Errorf("%s: split over two lines: %s", path, broken)
				}
				noWiderThan(t, ctx, 360)
				if strings.Contains(path, "?") {
					shot(t, ctx, lang+strings.NewReplacer("/", "_", "?", "_", "&", "_", "=", "_").Replace(path)+".png")
				}
			}
		})
	}
}

var codeSpan = regexp.MustCompile(`<span class="code">([^<]*)</span>`)

// unmarked is a page with its codes' markup taken off, so a test can look
// for a message as Translate words it.
func unmarked(page string) string { return codeSpan.ReplaceAllString(page, "$1") }

// codesInFeedback lists, for each code, what is wrong with it in the answer
// box: not shown, not marked as a code, or split over two lines. The code is
// found in the box's text whatever the markup, so a split is seen even where
// nothing marks it.
const codesInFeedback = `(function(codes){
	var box = document.querySelector('[data-testid=feedback]');
	if (!box) return 'no answer on the screen';
	var out = [];
	codes.forEach(function(code){
		if (!Array.from(box.querySelectorAll('.code')).some(function(e){ return e.textContent === code })) out.push(code + ': not marked as a code');
		var walk = document.createTreeWalker(box, NodeFilter.SHOW_TEXT), nodes = [], text = '';
		while (walk.nextNode()) { nodes.push({n: walk.currentNode, at: text.length}); text += walk.currentNode.textContent; }
		var at = text.indexOf(code);
		if (at < 0) { out.push(code + ': not shown'); return; }
		var end = at + code.length, r = document.createRange();
		nodes.forEach(function(x){
			var len = x.n.textContent.length;
			if (at >= x.at && at < x.at + len) r.setStart(x.n, at - x.at);
			if (end > x.at && end <= x.at + len) r.setEnd(x.n, end - x.at);
		});
		var lines = 0, bottom = -1;
		Array.from(r.getClientRects()).filter(function(x){ return x.width > 0 }).forEach(function(x){
			if (x.top >= bottom - 1) lines++;
			bottom = Math.max(bottom, x.bottom);
		});
		if (lines > 1) out.push(code + ': split over ' + lines + ' lines');
	});
	return out.join(' | ');
})`

// feedbackKeepsCodes fails when a code in the answer box is not whole.
func feedbackKeepsCodes(t *testing.T, ctx context.Context, codes ...string) {
	t.Helper()
	list, _ := json.Marshal(codes)
	if bad := evalString(t, ctx, codesInFeedback+"("+string(list)+")"); bad != "" {
		t.Errorf("answer %q: %s", evalString(t, ctx, `document.querySelector('[data-testid=feedback]').innerText`), bad)
	}
}

// The server's answers name codes (a receipt, a lot, a shelf): at 360×640 in
// both languages each is marked as a code and stays on one line, through a
// blind delivery from the first scan to closing the receipt, and in a refusal.
func TestBrowserFeedbackCodesNeverBreak(t *testing.T) {
	for _, lang := range langs {
		t.Run(lang, func(t *testing.T) {
			ctx := browserIn(t, lang, 360, 640)
			s, l := testServer(t)
			base := serve(t, s)
			run := runner(t, ctx)
			milk, _ := l.SKU("SKU00000")
			lot := "A2607000001234"
			loginAs(t, ctx, base, "B3001", "3333", "menu-receive")
			run(click("menu-receive"))
			waitText(t, ctx, `[data-testid=receipt-blind]`, say(lang, "receive.blind"))
			run(click("receipt-blind"))
			waitJS(t, ctx, `!!document.querySelector('[data-testid=receipt]') && document.documentElement.dataset.ready === '1'`)
			receipt := evalString(t, ctx, `document.querySelector('[data-testid=receipt]').innerText`)
			waitFocus(t, ctx, "scan")
			run(wedge(gs1(milk.GTINs[0], lot, today.AddDate(0, 0, 700))))
			waitText(t, ctx, `[data-feedback=ok]`, say(lang, "receive.scanned", "sku", milk.Code, "name", milk.Name))
			feedbackKeepsCodes(t, ctx, milk.Code)
			run(click("receive-ok"))
			waitText(t, ctx, `[data-feedback=ok]`, say(lang, "receive.done", "qty", "1", "sku", milk.Code, "lot", lot))
			feedbackKeepsCodes(t, ctx, milk.Code, lot)
			// a shelf that does not exist is refused, its code whole
			waitFocus(t, ctx, "scan")
			run(wedge("A09-09-09"))
			waitText(t, ctx, `[data-feedback=error]`, say(lang, "location.not_found", "location", "A09-09-09"))
			feedbackKeepsCodes(t, ctx, "A09-09-09")
			where, _ := l.SuggestPutaway(milk.Code, lot)
			waitFocus(t, ctx, "scan")
			run(wedge(where))
			waitText(t, ctx, `[data-feedback=ok]`, say(lang, "receive.put_away", "qty", "1", "sku", milk.Code, "location", where))
			feedbackKeepsCodes(t, ctx, milk.Code, where)
			run(click("receipt-close"))
			waitText(t, ctx, `[data-feedback=ok]`, say(lang, "receive.closed", "receipt", receipt))
			feedbackKeepsCodes(t, ctx, receipt)
			noWiderThan(t, ctx, 360)
			shot(t, ctx, "feedback-codes-"+lang+".png")
		})
	}
}
