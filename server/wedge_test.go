package server

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"tally/wms"
)

// A handheld's scanner types into whatever has focus. When that is no text
// field (the page's body after an action, a button, a link), the scan is
// still taken by the screen's scan box, or the screen says it was not; a
// person's Enter on a button still presses it, once, and slow typing is
// not a scan.
func TestBrowserWedgeScanOutsideTheScanBox(t *testing.T) {
	for _, lang := range langs {
		t.Run(lang, func(t *testing.T) {
			ctx := browserIn(t, lang, 360, 640)
			base := liveServer(t)
			run := runner(t, ctx)
			loginAs(t, ctx, base, "B1001", "1111", "menu-stock")

			// Home has no scan box: a scan there is refused aloud, with the
			// error vibration and words in the screen's language.
			run(chromedp.Evaluate(`window.__vibrated = [];
				navigator.vibrate = function (p) { window.__vibrated.push(JSON.stringify(p)); return true; };
				document.activeElement.blur(); true`, nil))
			if got := activeTestID(ctx); got != "BODY" {
				t.Fatalf("focus on %q before the scan, want the body", got)
			}
			run(wedge("A01-01-01"))
			waitText(t, ctx, `[data-testid=scan-lost]`, say(lang, "app.scan_not_taken", "code", "A01-01-01"))
			if got := evalString(t, ctx, `document.querySelector('[data-testid=scan-lost] .code').textContent`); got != "A01-01-01" {
				t.Errorf("the scan in the message is %q, want the code whole", got)
			}
			if got := evalString(t, ctx, `window.__vibrated.join(' ')`); got != "[200,80,200]" {
				t.Errorf("vibrated %q, want the error pattern once", got)
			}
			noWiderThan(t, ctx, 360)

			// A scan on a focused link does not follow it; it is refused the same way.
			run(chromedp.Evaluate(`document.querySelector('[data-testid=menu-stock]').focus()`, nil))
			run(wedge("A01-01-02"))
			waitText(t, ctx, `[data-testid=scan-lost]`, say(lang, "app.scan_not_taken", "code", "A01-01-02"))
			if got := evalString(t, ctx, `location.pathname + ' ' + document.activeElement.dataset.testid`); got != "/ menu-stock" {
				t.Errorf("after a scan on the focused link: %q, want still home with the link focused", got)
			}
			// A person's Enter on it follows it.
			run(chromedp.KeyEvent("\r"))
			waitJS(t, ctx, `location.pathname === '/stock' && document.documentElement.dataset.ready === '1'`)
			waitFocus(t, ctx, "scan")

			// The stock lookup has a scan box: a scan with focus on the body is
			// taken by it, as if it had had focus.
			run(chromedp.Evaluate(`document.activeElement.blur()`, nil), wedge("A01-01-01"))
			waitText(t, ctx, `[data-testid=stock-table]`, "SKU00000")
			waitFocus(t, ctx, "scan")
			// The script puts focus back in the scan box every second; when
			// that comes in the middle of a scan, the box gets the whole code.
			run(chromedp.Evaluate(`document.activeElement.blur()`, nil),
				chromedp.KeyEvent("A01-0"),
				chromedp.Evaluate(`window.dispatchEvent(new Event('focus'))`, nil),
				wedge("1-03"))
			waitJS(t, ctx, `location.search === '?code=A01-01-03' && !!document.querySelector('[data-testid=stock-table]')`)
			waitFocus(t, ctx, "scan")

			// A person's Enter on a focused button presses it once.
			run(chromedp.Evaluate(`window.__presses = 0;
				document.addEventListener('click', function (e) { if (e.target.closest('[data-keyboard]')) window.__presses++; }, true);
				document.querySelector('[data-keyboard]').focus()`, nil))
			run(chromedp.KeyEvent("\r"))
			waitJS(t, ctx, `window.__presses === 1 && document.querySelector('[data-scan]').getAttribute('inputmode') === 'text'`)

			// Slow typing on the button is no scan: its Enter is a press too.
			run(chromedp.Evaluate(`document.querySelector('[data-keyboard]').focus()`, nil))
			for _, r := range "A01-01-02" {
				run(chromedp.KeyEvent(string(r)))
				time.Sleep(200 * time.Millisecond)
			}
			run(chromedp.KeyEvent("\r"))
			waitJS(t, ctx, `window.__presses === 2 && document.querySelector('[data-scan]').getAttribute('inputmode') === 'none'`)
			time.Sleep(300 * time.Millisecond)
			if url := evalString(t, ctx, `location.search`); url != "?code=A01-01-03" {
				t.Errorf("slow typing was looked up: address %q", url)
			}

			// A scan on the focused button is a scan, not a press.
			run(chromedp.Evaluate(`document.querySelector('[data-keyboard]').focus()`, nil))
			run(wedge("A01-01-02"))
			waitJS(t, ctx, `location.search === '?code=A01-01-02' && !!document.querySelector('[data-testid=stock-table]')`)
			if got := evalString(t, ctx, `String(window.__presses)`); got != "2" {
				t.Errorf("the scan's Enter pressed the focused button: %s presses, want 2", got)
			}
			waitFocus(t, ctx, "scan")
			noWiderThan(t, ctx, 360)
		})
	}
}

// The pick screen's scan box is its script's, not a form's: a scan with the
// focus on the page's body or on one of its buttons reaches it all the same.
func TestBrowserWedgeScanReachesPickScreen(t *testing.T) {
	for _, lang := range langs {
		t.Run(lang, func(t *testing.T) {
			ctx, _, task := pickScreen(t, lang, wms.WaveSingle, intake("SO400101", wms.LineIn{SKU: "SKU03000", Qty: 1}, wms.LineIn{SKU: "SKU04000", Qty: 2}))
			run := runner(t, ctx)
			first := task.Lines[0]
			atStep(t, ctx, first.N, "location")
			run(chromedp.Evaluate(`document.activeElement.blur()`, nil), wedge(first.Location))
			atStep(t, ctx, first.N, "item")
			// Undo has focus: the scan's Enter does not press it.
			run(chromedp.Evaluate(`document.querySelector('[data-testid=btn-undo]').focus()`, nil), wedge(itemCode(first)))
			feedbackIs(t, ctx, "ok", say(lang, "pick.picked", "qty", "1", "sku", first.SKU))
			atStep(t, ctx, task.Lines[1].N, "location")
			noWiderThan(t, ctx, 360)
		})
	}
}

// Issue 9, review 2, point 1: once keys are a scan, nothing of its Enter
// presses the focused button or follows a link (its keypress, keyup and the
// click they would make), on a screen without a scan box; a person's Enter
// a moment later still presses the button.
func TestBrowserScanNeverPressesTheFocusedButton(t *testing.T) {
	for _, lang := range langs {
		t.Run(lang, func(t *testing.T) {
			ctx := browserIn(t, lang, 360, 640)
			base := liveServer(t)
			run := runner(t, ctx)
			loginAs(t, ctx, base, "B1001", "1111", "menu-stock")
			run(chromedp.Evaluate(`window.__presses = 0;
				document.addEventListener('click', function (e) { if (e.target.closest('[data-testid=logout]')) window.__presses++; }, true);
				document.querySelector('[data-testid=logout]').focus()`, nil))
			run(wedge("A01-01-01"))
			waitText(t, ctx, `[data-testid=scan-lost]`, say(lang, "app.scan_not_taken", "code", "A01-01-01"))
			time.Sleep(500 * time.Millisecond) // a press would have logged out by now
			if got := evalString(t, ctx, `location.pathname + ' ' + window.__presses + ' ' + document.activeElement.dataset.testid`); got != "/ 0 logout" {
				t.Errorf("after a scan on the focused Log out: %q, want still home, no press, Log out focused", got)
			}
			noWiderThan(t, ctx, 360)
			// the person's own Enter logs out
			run(chromedp.KeyEvent("\r"))
			waitText(t, ctx, `[data-testid=feedback]`, say(lang, "logout.done"))
		})
	}
}

// The same on the pick done screen: a tote scanned with Next task focused
// claims no task; the picker's Enter then does.
func TestBrowserScanOnPickDoneClaimsNoTask(t *testing.T) {
	for _, lang := range langs {
		t.Run(lang, func(t *testing.T) {
			ctx, l, task := pickScreen(t, lang, wms.WaveSingle, intake("SO710001", wms.LineIn{SKU: "SKU03000", Qty: 1}), intake("SO710002", wms.LineIn{SKU: "SKU04000", Qty: 1}))
			run := runner(t, ctx)
			for _, ln := range task.Lines {
				atStep(t, ctx, ln.N, "location")
				run(wedge(ln.Location), wedge(itemCode(ln)))
			}
			waitJS(t, ctx, `document.getElementById('pick').dataset.queue === '0' && !document.querySelector('[data-testid=pick-done]').hidden`)
			waitFocus(t, ctx, "next-task")
			run(wedge("T71001"))
			waitText(t, ctx, `[data-testid=scan-lost]`, say(lang, "app.scan_not_taken", "code", "T71001"))
			time.Sleep(500 * time.Millisecond)
			if got, err := l.ActiveTaskOf("B1001"); err != nil || got != nil {
				t.Fatalf("the scan's Enter claimed a task: %+v %v", got, err)
			}
			if got := activeTestID(ctx); got != "next-task" {
				t.Errorf("focus on %q after the scan, want Next task", got)
			}
			noWiderThan(t, ctx, 360)
			run(chromedp.KeyEvent("\r"))
			waitJS(t, ctx, `!!document.getElementById('pick') && document.documentElement.dataset.ready === '1' && document.getElementById('pick').dataset.step === 'location'`)
			if got, _ := l.ActiveTaskOf("B1001"); got == nil || got.ID == task.ID {
				t.Errorf("the picker's Enter claimed %+v, want the next order's task", got)
			}
		})
	}
}
