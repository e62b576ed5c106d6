package server

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"tally/wms"
)

// mergedOrder is an order the ERP merged from two Tmall orders, the same
// book bought in both, one sub-order ID as long as a platform's may be.
func mergedOrder(t *testing.T, l *wms.Ledger, no string) wms.OrderIntake {
	t.Helper()
	in := intake(no)
	in.Channel, in.Platform, in.Shop = "", "TM", "天猫旗舰店"
	in.PlatformOrderIDs = []string{"4012345678901", "4012345678902"}
	line := func(sku string, qty int64, order, sub string) wms.OrderLineIn {
		return wms.OrderLineIn{LineIn: wms.LineIn{SKU: sku, Qty: qty}, PlatformOrderID: order, PlatformSubOrderID: sub}
	}
	in.Lines = []wms.OrderLineIn{
		line("SKU03000", 1, "4012345678901", "5012345678901"),
		line("SKU04000", 2, "4012345678902", strings.Repeat("7", 64)),
		line("SKU03000", 1, "4012345678902", "5012345678903"),
	}
	if _, _, err := l.ReceiveOrder(context.Background(), "", in, "oms", "test"); err != nil {
		t.Fatal(err)
	}
	// and one from before platforms were named: only its channel, jd
	if _, _, err := l.ReceiveOrder(context.Background(), "", intake("SO700002", wms.LineIn{SKU: "SKU03000", Qty: 1}), "oms", "test"); err != nil {
		t.Fatal(err)
	}
	return in
}

// The order page over HTTP: where the order came from and each line's
// sub-order; an order from before platforms were named shows the one its
// channel implies; an unknown order is refused in words.
func TestOrderPage(t *testing.T) {
	s, l := testServer(t)
	mergedOrder(t, l, "SO700001")
	c := newClient(t, s)
	c.login("B4001", "4444")
	resp, page := c.get("/orders?no=SO700001")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for _, want := range []string{say("en", "platform.TM"), "天猫旗舰店", "4012345678901", "4012345678902", "5012345678901", "5012345678903",
		strings.Repeat("7", 64), `class="code long"`, say("en", "order.part_qty", "qty", "1")} {
		if !strings.Contains(page, want) {
			t.Errorf("order page lacks %q", want)
		}
	}
	if _, page := c.get("/orders?no=SO700002"); !strings.Contains(page, say("en", "platform.JD")) {
		t.Errorf("a jd order without a platform: %s", page)
	}
	if resp, page := c.get("/orders?no=SO-NOPE"); resp.StatusCode != 404 || !strings.Contains(page, say("en", "order.not_found", "order", "SO-NOPE")) {
		t.Errorf("unknown order: %d", resp.StatusCode)
	}
	picker := newClient(t, s)
	picker.login("B1001", "1111")
	if resp, _ := picker.get("/orders?no=SO700001"); resp.StatusCode != 403 {
		t.Errorf("picker: %d", resp.StatusCode)
	}
}

// The order page in a real browser, on a handheld and at a kiosk, in both
// languages: the order scanned into the scan box shows its platform, shop,
// platform orders and sub-orders, no code breaks and nothing scrolls sideways.
func TestBrowserOrderPage(t *testing.T) {
	for _, lang := range langs {
		for _, size := range [][2]int64{{360, 640}, {1280, 800}} {
			t.Run(fmt.Sprintf("%s %dx%d", lang, size[0], size[1]), func(t *testing.T) {
				s, l := testServer(t)
				mergedOrder(t, l, "SO700001")
				base := serve(t, s)
				ctx := browserIn(t, lang, size[0], size[1])
				loginAs(t, ctx, base, "B4001", "4444", "menu-orders")
				run := runner(t, ctx)
				run(chromedp.Click(`[data-testid=menu-orders]`, chromedp.ByQuery))
				waitFocus(t, ctx, "scan")
				run(wedge("SO700001"))
				waitText(t, ctx, `[data-testid=order-platform]`, say(lang, "platform.TM"))
				waitText(t, ctx, `[data-testid=order-shop]`, "天猫旗舰店")
				waitText(t, ctx, `[data-testid=order-platform-orders]`, "4012345678902")
				lines := waitText(t, ctx, `[data-testid=order-lines]`, "5012345678903")
				for _, want := range []string{"5012345678901", strings.Repeat("7", 64), say(lang, "order.sub_order"), say(lang, "order.part_qty", "qty", "1")} {
					if !strings.Contains(lines, want) {
						t.Errorf("lines say %q, want %q", lines, want)
					}
				}
				noWiderThan(t, ctx, int(size[0]))
				broken := evalString(t, ctx, `Array.prototype.filter.call(document.querySelectorAll('main .code:not(.long)'), function (e) {
					var lines = {}; Array.prototype.forEach.call(e.getClientRects(), function (r) { if (r.width > 0) lines[Math.round(r.top)] = 1; });
					return Object.keys(lines).length > 1;
				}).map(function (e) { return e.innerText; }).join(' | ')`)
				if broken != "" {
					t.Errorf("codes broken across lines: %s", broken)
				}
				// an order from before platforms were named
				run(wedge("SO700002"))
				waitText(t, ctx, `[data-testid=order-no]`, "SO700002")
				waitText(t, ctx, `[data-testid=order-platform]`, "JD")
				noWiderThan(t, ctx, int(size[0]))
			})
		}
	}
}

// A held order shows a badge on its page and "held" in the API.
func TestOrderPageShowsHeld(t *testing.T) {
	s, l := testServer(t)
	mergedOrder(t, l, "SO700001")
	if _, err := l.Books(wms.DefaultOwner).HoldOrder(context.Background(), "SO700001", true, "地址待确认", "", "sync:erp", "qimen"); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, s)
	c.login("B4001", "4444")
	_, page := c.get("/orders?no=SO700001")
	if !strings.Contains(page, `data-testid="order-held"`) || !strings.Contains(page, say("en", "order.held")) || !strings.Contains(page, "地址待确认") {
		t.Errorf("held order page lacks the badge")
	}
	resp, body := c.get("/api/v1/orders/SO700001")
	if resp.StatusCode != 200 || !strings.Contains(body, `"held":true`) || !strings.Contains(body, `"hold_reason":"地址待确认"`) {
		t.Errorf("API: %d %s", resp.StatusCode, body)
	}
}
