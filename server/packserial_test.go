package server

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"tally/wms"
)

// Issue 9 (review two), point 2: at the kiosk, the can scanned twice for the
// order at the bench is already checked, not a copied code: the packer is
// told so, and the can is counted once.
func TestBrowserPackSerialReadTwice(t *testing.T) {
	for _, lang := range langs {
		t.Run(lang, func(t *testing.T) {
			s, l := testServer(t)
			if _, err := l.SaveStation(context.Background(), "", wms.Station{ID: "PACK-D", Name: "Kiosk", Printer: "browser"}, "admin", "t"); err != nil {
				t.Fatal(err)
			}
			_, lot := pickedOrder(t, l, "SO940001", "T94001")
			milk, _ := l.SKU("SKU00002")
			ctx := browserIn(t, lang, 360, 640)
			base := serve(t, s)
			run := runner(t, ctx)
			loginAs(t, ctx, base, "B2001", "2222", "menu-pack")
			run(chromedp.Navigate(base + "/pack?station=PACK-D"))
			waitJS(t, ctx, `document.documentElement.dataset.ready === '1'`)
			waitFocus(t, ctx, "scan")
			run(wedge("T94001"))
			waitText(t, ctx, `[data-testid=pack-order]`, "SO940001")
			can := "(01)" + milk.GTINs[0] + "(10)" + lot + "(21)X1"
			waitFocus(t, ctx, "scan")
			run(wedge(can))
			waitText(t, ctx, `[data-testid=pack-lines]`, "1/1")
			waitFocus(t, ctx, "scan")
			run(wedge(can)) // the scanner reads the can again
			said := waitText(t, ctx, `[data-feedback]`, say(lang, "pack.serial_checked", "serial", "X1"))
			if bad := say(lang, "pick.serial_twice", "serial", "X1"); said == bad {
				t.Errorf("a double read raised the copy alarm: %q", said)
			}
			noWiderThan(t, ctx, 360)
			ps, _ := l.Pack("SO940001")
			var cans int64
			for _, it := range ps.Verified {
				if it.SKU == "SKU00002" {
					cans += it.Qty
				}
			}
			if cans != 1 {
				t.Errorf("cans checked %d, want 1 (%+v)", cans, ps.Verified)
			}
		})
	}
}
