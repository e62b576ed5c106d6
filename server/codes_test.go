package server

import (
	"context"
	"net/url"
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
