package server

import (
	"net/url"
	"strconv"
	"strings"
	"testing"

	"tally/wms"
)

// qtyOf is what a location holds of one SKU and lot.
func qtyOf(t *testing.T, l *wms.Ledger, loc, sku, lot string) int64 {
	t.Helper()
	lines, err := l.StockAt(loc)
	if err != nil {
		t.Fatal(err)
	}
	n := int64(0)
	for _, x := range lines {
		if x.SKU == sku && x.Lot == lot {
			n += x.Qty
		}
	}
	return n
}

// A move made with the scanner alone at 360×640: the location, the item
// (another item, one the location does not hold, is refused with what it
// holds), the item again for one more, the destination; then a case's
// quantity typed instead of scanned. Each step says what to scan next, and
// the stock moves by exactly what was scanned or typed.
func TestBrowserMoveByScanning(t *testing.T) {
	for _, lang := range langs {
		t.Run(lang, func(t *testing.T) {
			ctx := browserIn(t, lang, 360, 640)
			s, l := testServer(t)
			base := serve(t, s)
			run := runner(t, ctx)
			milk, _ := l.SKU("SKU00001") // lot-tracked
			places, _ := l.StockOf(milk.Code)
			var from wms.StockLine
			for _, p := range places {
				if p.Kind == wms.KindPick && p.Qty >= 6 {
					from = p
					break
				}
			}
			if from.Location == "" {
				t.Fatalf("no pick location with 6 of %s: %+v", milk.Code, places)
			}
			const to = "R01-01-01"
			if _, err := l.Location(to); err != nil {
				t.Fatal(err)
			}
			exp := strings.ReplaceAll(from.Expiry, "-", "")[2:]
			item := "(01)" + milk.GTINs[0] + "(17)" + exp + "(10)" + from.Lot
			book, _ := l.SKU("SKU03003")
			var held []string
			lines, _ := l.StockAt(from.Location)
			for _, x := range lines {
				if len(held) == 0 || held[len(held)-1] != x.SKU {
					held = append(held, x.SKU)
				}
			}
			fromBefore, toBefore := qtyOf(t, l, from.Location, milk.Code, from.Lot), qtyOf(t, l, to, milk.Code, from.Lot)

			loginAs(t, ctx, base, "B1001", "1111", "menu-move")
			run(click("menu-move"))
			waitText(t, ctx, `[data-testid=move-step]`, say(lang, "move.scan_from"))
			waitFocus(t, ctx, "scan")
			placeholdersFit(t, ctx)

			run(wedge(from.Location))
			waitText(t, ctx, `[data-testid=move-step]`, say(lang, "move.scan_item_at", "location", from.Location))
			waitFocus(t, ctx, "scan")
			placeholdersFit(t, ctx)
			run(wedge(book.GTINs[0]))
			waitText(t, ctx, `[data-feedback=error]`, say(lang, "move.not_here", "location", from.Location, "sku", book.Code, "held", heldList(held)))
			waitFocus(t, ctx, "scan")

			units := func(n int) string {
				return say(lang, "move.units", "qty", strconv.Itoa(n), "sku", milk.Code, "lot", from.Lot, "location", from.Location)
			}
			run(wedge(item))
			waitText(t, ctx, `[data-testid=move-in-hand]`, units(1))
			waitText(t, ctx, `[data-testid=move-step]`, say(lang, "move.scan_to_or_more"))
			waitFocus(t, ctx, "scan")
			placeholdersFit(t, ctx)
			noWiderThan(t, ctx, 360)
			run(wedge(item))
			waitText(t, ctx, `[data-testid=move-in-hand]`, units(2))
			waitText(t, ctx, `[data-feedback=ok]`, say(lang, "move.counted", "qty", "2", "sku", milk.Code, "location", from.Location))
			waitFocus(t, ctx, "scan")
			run(wedge(to))
			waitText(t, ctx, `[data-feedback=ok]`, say(lang, "move.done_units", "qty", "2", "sku", milk.Code, "from", from.Location, "to", to))
			waitText(t, ctx, `[data-testid=move-step]`, say(lang, "move.scan_from"))
			if got, want := qtyOf(t, l, from.Location, milk.Code, from.Lot), fromBefore-2; got != want {
				t.Errorf("%s holds %d after moving 2, want %d", from.Location, got, want)
			}
			if got, want := qtyOf(t, l, to, milk.Code, from.Lot), toBefore+2; got != want {
				t.Errorf("%s holds %d after moving 2, want %d", to, got, want)
			}

			// a case: its quantity typed, Enter, then the destination scanned
			waitFocus(t, ctx, "scan")
			run(wedge(from.Location))
			waitText(t, ctx, `[data-testid=move-step]`, say(lang, "move.scan_item_at", "location", from.Location))
			waitFocus(t, ctx, "scan")
			run(wedge(item))
			waitText(t, ctx, `[data-testid=move-in-hand]`, units(1))
			typeQty(t, ctx, "3")
			waitText(t, ctx, `[data-feedback=ok]`, say(lang, "move.now_to", "qty", "3", "sku", milk.Code))
			waitText(t, ctx, `[data-testid=move-in-hand]`, units(3))
			waitFocus(t, ctx, "scan")
			run(wedge(to))
			waitText(t, ctx, `[data-feedback=ok]`, say(lang, "move.done_units", "qty", "3", "sku", milk.Code, "from", from.Location, "to", to))
			if got, want := qtyOf(t, l, from.Location, milk.Code, from.Lot), fromBefore-5; got != want {
				t.Errorf("%s holds %d after moving 2 and 3, want %d", from.Location, got, want)
			}
			if got, want := qtyOf(t, l, to, milk.Code, from.Lot), toBefore+5; got != want {
				t.Errorf("%s holds %d after moving 2 and 3, want %d", to, got, want)
			}
		})
	}
}

// The count screen says what to scan on a line of its own; its scan box's
// short placeholder fits a handheld's screen at each step.
func TestBrowserCountStepsFit(t *testing.T) {
	for _, lang := range langs {
		t.Run(lang, func(t *testing.T) {
			ctx := browserIn(t, lang, 360, 640)
			s, l := testServer(t)
			base := serve(t, s)
			run := runner(t, ctx)
			places, _ := l.StockOf("SKU03000")
			loginAs(t, ctx, base, "B1001", "1111", "menu-count")
			run(click("menu-count"))
			waitText(t, ctx, `[data-testid=count-step]`, say(lang, "count.scan_location"))
			waitFocus(t, ctx, "scan")
			placeholdersFit(t, ctx)
			run(wedge(places[0].Location))
			waitText(t, ctx, `[data-testid=count-step]`, say(lang, "count.scan_items"))
			waitFocus(t, ctx, "scan")
			placeholdersFit(t, ctx)
			noWiderThan(t, ctx, 360)
		})
	}
}

// The whole location moves with one scan of the destination; an item
// scanned instead is refused and nothing moves.
func TestMoveWholeLocation(t *testing.T) {
	s, l := testServer(t)
	places, _ := l.StockOf("SKU03000")
	from := places[0].Location
	before, _ := l.StockAt(from)
	book, _ := l.SKU("SKU03000")
	picker := newClient(t, s)
	picker.login("B1001", "1111")
	picker.get("/move?whole=1&from=" + from)
	form := func(code string) url.Values {
		return url.Values{"from": {from}, "whole": {"1"}, "code": {code}}
	}
	if resp, page := picker.post("/move", form(book.GTINs[0])); resp.StatusCode != 400 || !strings.Contains(unmarked(page), "Moving everything at "+from) {
		t.Errorf("item scanned for a whole location: %d\n%s", resp.StatusCode, page)
	}
	if after, _ := l.StockAt(from); len(after) != len(before) {
		t.Fatalf("stock moved on a refusal: %+v", after)
	}
	if resp, page := picker.post("/move", form("R01-01-01")); resp.StatusCode != 200 || !strings.Contains(unmarked(page), "Moved from "+from+" to R01-01-01") {
		t.Fatalf("whole move: %d\n%s", resp.StatusCode, page)
	}
	if after, _ := l.StockAt(from); len(after) != 0 {
		t.Errorf("%s still holds %+v", from, after)
	}
	for _, b := range before {
		if got := qtyOf(t, l, "R01-01-01", b.SKU, b.Lot); got < b.Qty {
			t.Errorf("R01-01-01 holds %d of %s %s, want at least %d", got, b.SKU, b.Lot, b.Qty)
		}
	}
}
