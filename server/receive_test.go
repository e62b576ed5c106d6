package server

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"tally/views"
)

// click taps the element with a data-testid.
func click(testid string) chromedp.Action {
	return chromedp.Evaluate(fmt.Sprintf(`document.querySelector('[data-testid=%q]').click()`, testid), nil)
}

// present is true when the page has an element with the data-testid.
func present(t *testing.T, ctx context.Context, testid string) bool {
	t.Helper()
	return evalString(t, ctx, fmt.Sprintf(`document.querySelector('[data-testid=%q]') ? 'yes' : 'no'`, testid)) == "yes"
}

// Every delivery without notice has its own receipt: after closing one, the
// receiver starts the next from the closed receipt's summary, which offers
// nothing that cannot work (no scan box, no close button).
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
				for _, gone := range []string{"scan", "receipt-close", "receive-form"} {
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
