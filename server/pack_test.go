package server

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"tally/wms"
)

// pickedOrder makes an order (two books and a serial-tracked can of formula),
// picks it into a tote and returns the order and the can's lot.
func pickedOrder(t *testing.T, l *wms.Ledger, no, tote string) (wms.Order, string) {
	t.Helper()
	ctx := context.Background()
	in := intake(no, wms.LineIn{SKU: "SKU03000", Qty: 2}, wms.LineIn{SKU: "SKU00002", Qty: 1})
	in.Carrier = "SF"
	if _, _, err := l.ReceiveOrder(ctx, "", in, "oms", "t"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.ReleaseWave(ctx, wms.WaveFilter{Mode: wms.WaveCluster}, "w-"+no, "B4001", "t"); err != nil {
		t.Fatal(err)
	}
	task, err := l.NextTask(ctx, "B1001", "pda")
	if err != nil {
		t.Fatal(err)
	}
	lot := ""
	for _, line := range task.Lines {
		item := wms.ScannedItem{GTIN: line.GTINs[0]}
		if line.LotTracked {
			item.Lot, lot = line.Lot, line.Lot
		}
		if _, _, err := l.Pick(ctx, fmt.Sprintf("pk-%s-%d", no, line.N), wms.PickScan{Task: task.ID, Line: line.N, Location: line.Location,
			Items: []wms.ScannedItem{item}, Qty: line.Qty, Tote: tote}, "B1001", "pda"); err != nil {
			t.Fatal(err)
		}
	}
	o, _ := l.Order(no)
	if o.State != wms.OrderPicked {
		t.Fatalf("order %s", o.State)
	}
	return o, lot
}

func fileStation(t *testing.T, l *wms.Ledger, id string) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := l.SaveStation(context.Background(), "", wms.Station{ID: id, Name: "测试台", Printer: "file:" + dir, Format: "pdf", Label: "100x150",
		Sender: "Tally 仓 · 杭州市余杭区 · 0571-88886666"}, "admin", "t"); err != nil {
		t.Fatal(err)
	}
	return dir
}

func waitFiles(t *testing.T, dir string, n int) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		files, _ := filepath.Glob(filepath.Join(dir, "*"))
		if len(files) >= n {
			return files
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("printer got fewer than %d files", n)
	return nil
}

func TestPackingKiosk(t *testing.T) {
	s, l := testServer(t)
	s.StartWorkers()
	defer s.StopWorkers()
	dir := fileStation(t, l, "PACK-T")
	_, lot := pickedOrder(t, l, "SO400001", "T40001")
	book, _ := l.SKU("SKU03000")
	milk, _ := l.SKU("SKU00002")
	c := newClient(t, s)
	c.login("B2001", "2222")
	resp, page := c.follow(c.get("/pack?station=PACK-T&code=T40001"))
	if resp.StatusCode != 200 || !strings.Contains(page, "SO400001") {
		t.Fatalf("tote scan: %d\n%s", resp.StatusCode, page)
	}
	n := 0
	scanItem := func(code string) (int, string) {
		n++
		r, p := c.post("/pack/scan", url.Values{"station": {"PACK-T"}, "order": {"SO400001"}, "code": {code}, "key": {fmt.Sprintf("k-%d", n)}})
		return r.StatusCode, p
	}
	other, _ := l.SKU("SKU03001")
	if st, p := scanItem(other.GTINs[0][1:]); st != 409 || !strings.Contains(p, "not in order") {
		t.Errorf("wrong item: %d", st)
	}
	if st, _ := scanItem("]C101" + milk.GTINs[0] + "10" + lot); st != 400 {
		t.Errorf("formula without its serial: %d", st)
	}
	for i, code := range []string{book.GTINs[0][1:], "]C101" + book.GTINs[0] + "\x1d", "]C101" + milk.GTINs[0] + "10" + lot + "\x1d21FH-9001"} {
		if st, p := scanItem(code); st != 200 {
			t.Fatalf("item %d: %d\n%s", i, st, p)
		}
	}
	if st, _ := scanItem("]C101" + milk.GTINs[0] + "10" + lot + "\x1d21FH-9001"); st != 409 {
		t.Errorf("the same can twice: %d", st)
	}
	// the weight gate: far too light is refused with how far off it is
	_, page = c.get("/pack?station=PACK-T&order=SO400001")
	if !strings.Contains(page, `data-testid="parcel-form"`) {
		t.Fatalf("no parcel form:\n%s", page)
	}
	form := url.Values{"station": {"PACK-T"}, "order": {"SO400001"}, "box": {"M2"}, "weight_g": {"900"}, "key": {"parcel-1"}}
	resp, page = c.post("/pack/parcel", form)
	if resp.StatusCode != 409 || !strings.Contains(page, "from the expected") || !strings.Contains(page, `data-testid="override-badge"`) {
		t.Fatalf("light parcel: %d\n%s", resp.StatusCode, page)
	}
	form.Set("override_badge", "B4001")
	form.Set("override_pin", "0000")
	form.Set("override_reason", "赠品")
	if resp, _ = c.post("/pack/parcel", form); resp.StatusCode != 403 {
		t.Errorf("override with a wrong PIN: %d", resp.StatusCode)
	}
	form.Set("override_pin", "4444")
	resp, page = c.post("/pack/parcel", form)
	if resp.StatusCode != 200 || !strings.Contains(page, "SF1") {
		t.Fatalf("override: %d\n%s", resp.StatusCode, page)
	}
	files := waitFiles(t, dir, 1)
	raw, _ := os.ReadFile(files[0])
	if !strings.HasPrefix(string(raw), "%PDF") {
		t.Errorf("label is not a PDF")
	}
	if text, ok := pdfText(t, raw); ok && (!strings.Contains(text, "SO400001") || !strings.Contains(text, "李雷")) {
		t.Errorf("label text:\n%s", text)
	}
	// reprint is a copy; then hand over to the carrier
	if resp, _ := c.post("/pack/reprint", url.Values{"station": {"PACK-T"}, "order": {"SO400001"}, "parcel": {"1"}, "key": {"rp"}}); resp.StatusCode != 200 {
		t.Errorf("reprint: %d", resp.StatusCode)
	}
	waitFiles(t, dir, 2)
	ship := url.Values{"station": {"PACK-T"}, "order": {"SO400001"}, "key": {"7d3e0c1a-5f0e-4a43-9d0c-1f7f3c7b0a11"}}
	if resp, page := c.follow(c.post("/pack/ship", ship)); resp.StatusCode != 200 || !strings.Contains(page, "shipped") {
		t.Fatalf("ship: %d\n%s", resp.StatusCode, page)
	}
	if o, _ := l.Order("SO400001"); o.State != wms.OrderShipped {
		t.Errorf("order %s", o.State)
	}
	// the handover sent again (a double tap) is its first answer; its key
	// from another packer is refused
	if resp, page := c.follow(c.post("/pack/ship", ship)); resp.StatusCode != 200 || !strings.Contains(page, "shipped") {
		t.Errorf("ship again: %d\n%s", resp.StatusCode, page)
	}
	packer2 := newClient(t, s)
	packer2.login("B2002", "2222")
	packer2.get("/pack?station=PACK-T")
	ship.Del("_csrf")
	if resp, page := packer2.post("/pack/ship", ship); resp.StatusCode != 409 {
		t.Errorf("another packer with the handover's key: %d\n%s", resp.StatusCode, page)
	}
	if evs, _ := l.EventsOfType(10, wms.EvShipped); len(evs) != 1 {
		t.Errorf("%d shipments", len(evs))
	}
	if _, _, err := l.OrderInTote("T40001"); err == nil {
		t.Error("the tote still holds the shipped order")
	}
	// more waybill numbers through the API; a number already loaded is refused
	admin, _ := l.CreateToken(context.Background(), "oms", wms.RoleAdmin, "t")
	api := newClient(t, s)
	api.bearer = admin
	if r, body := api.do("POST", "/api/v1/waybills", strings.NewReader(`{"account":"SF","numbers":["SF9000000000001","SF9000000000002"]}`), map[string]string{"Content-Type": "application/json"}); r.StatusCode != 201 || !strings.Contains(body, `"left":`) {
		t.Errorf("load waybills: %d %s", r.StatusCode, body)
	}
	if r, _ := api.do("POST", "/api/v1/waybills", strings.NewReader(`{"account":"SF","numbers":["SF9000000000001"]}`), map[string]string{"Content-Type": "application/json"}); r.StatusCode != 409 {
		t.Errorf("a waybill loaded twice: %d", r.StatusCode)
	}
}

// follow is the page a kiosk's answer sends the browser to, as the
// browser follows it (a tote opens its order's page, Ship the page after).
func (c *client) follow(resp *http.Response, page string) (*http.Response, string) {
	c.t.Helper()
	if resp.StatusCode == http.StatusSeeOther {
		return c.get(resp.Header.Get("Location"))
	}
	return resp, page
}

// fakeScale plays a bench scale on TCP (a serial-to-Ethernet converter).
func fakeScale(t *testing.T, line string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				for {
					if _, err := conn.Write([]byte(line + "\r\n")); err != nil {
						return
					}
					time.Sleep(50 * time.Millisecond)
				}
			}()
		}
	}()
	return "tcp://" + ln.Addr().String()
}

func TestPackingWithScale(t *testing.T) {
	s, l := testServer(t)
	s.StartWorkers()
	defer s.StopWorkers()
	book, _ := l.SKU("SKU03000")
	milk, _ := l.SKU("SKU00002")
	// expected: 2 books + 1 can + M2 tare 160 g + 20 g allowance
	want := 2*book.UnitWeightG + milk.UnitWeightG + 160 + 20
	addr := fakeScale(t, fmt.Sprintf("ST,GS,+%07.3fkg", float64(want+3)/1000))
	if _, err := l.SaveStation(context.Background(), "", wms.Station{ID: "PACK-S", Scale: addr, Protocol: "continuous", Printer: "browser"}, "admin", "t"); err != nil {
		t.Fatal(err)
	}
	_, lot := pickedOrder(t, l, "SO400002", "T40002")
	c := newClient(t, s)
	c.login("B2001", "2222")
	c.follow(c.get("/pack?station=PACK-S&code=T40002"))
	for i, code := range []string{book.GTINs[0][1:], book.GTINs[0][1:], "]C101" + milk.GTINs[0] + "10" + lot + "\x1d21FH-7"} {
		if r, p := c.post("/pack/scan", url.Values{"station": {"PACK-S"}, "order": {"SO400002"}, "code": {code}, "key": {fmt.Sprint("k", i)}}); r.StatusCode != 200 {
			t.Fatalf("scan: %d %s", r.StatusCode, p)
		}
	}
	var body string
	for i := 0; i < 40; i++ {
		var r = &struct{ StatusCode int }{}
		resp, b := c.get("/api/v1/stations/PACK-S/weight")
		r.StatusCode, body = resp.StatusCode, b
		if r.StatusCode == 200 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(body, fmt.Sprintf(`"grams":%d`, want+3)) {
		t.Fatalf("live weight: %s", body)
	}
	resp, page := c.post("/pack/parcel", url.Values{"station": {"PACK-S"}, "order": {"SO400002"}, "box": {"M2"}, "key": {"pp"}})
	if resp.StatusCode != 200 || !strings.Contains(page, fmt.Sprintf("%d g", want+3)) {
		t.Fatalf("parcel from the scale: %d\n%s", resp.StatusCode, page)
	}
	ps, _ := l.Pack("SO400002")
	if ps.Parcels[0].Typed || ps.Parcels[0].WeightG != want+3 {
		t.Errorf("parcel %+v", ps.Parcels[0])
	}
}

// A packer at the kiosk turns a tote into a shipped parcel with the scanner,
// the number keys and two taps; the label reaches the printer.
func TestBrowserKiosk(t *testing.T) {
	ctx := browser(t)
	s, l := testServer(t)
	s.StartWorkers()
	defer s.StopWorkers()
	dir := fileStation(t, l, "PACK-B")
	_, lot := pickedOrder(t, l, "SO400003", "T40003")
	book, _ := l.SKU("SKU03000")
	milk, _ := l.SKU("SKU00002")
	weight := 2*book.UnitWeightG + milk.UnitWeightG + 160 + 20
	base := serve(t, s)
	run := runner(t, ctx)
	loginAs(t, ctx, base, "B2001", "2222", "menu-pack")
	run(chromedp.Navigate(base + "/pack?station=PACK-B"))
	waitJS(t, ctx, `document.documentElement.dataset.ready === '1'`)
	waitFocus(t, ctx, "scan")
	run(wedge("T40003"))
	waitText(t, ctx, `[data-testid=pack-order]`, "SO400003")
	// a keyboard wedge cannot type the GS separator: this scanner sends the bracketed form
	for i, code := range []string{book.GTINs[0][1:], book.GTINs[0][1:], "(01)" + milk.GTINs[0] + "(10)" + lot + "(21)FH-8"} {
		waitFocus(t, ctx, "scan")
		run(wedge(code))
		waitText(t, ctx, `[data-testid=pack-lines]`, []string{"1/2", "2/2", "1/1"}[i])
	}
	waitFocus(t, ctx, "weight")
	run(chromedp.KeyEvent(fmt.Sprintf("%d\r", weight)))
	waitText(t, ctx, `[data-testid=parcels]`, "SF1")
	waitFiles(t, dir, 1)
	waitText(t, ctx, `[data-testid=ship]`, "carrier")
	run(chromedp.Evaluate(`document.querySelector('[data-testid=ship]').click()`, nil))
	waitText(t, ctx, `[data-feedback=ok]`, "shipped")
	shot(t, ctx, "kiosk-shipped.png")
	if o, _ := l.Order("SO400003"); o.State != wms.OrderShipped {
		t.Errorf("order %s", o.State)
	}
}

// contrastJS is the contrast ratio (WCAG) of an element's text against the
// first background behind it that is not transparent.
const contrastJS = `(function(sel){
  function rgb(s){ return (s.match(/[\d.]+/g) || []).map(Number); }
  function lum(c){ var a = c.slice(0,3).map(function(v){ v /= 255; return v <= 0.03928 ? v/12.92 : Math.pow((v+0.055)/1.055, 2.4); });
    return 0.2126*a[0] + 0.7152*a[1] + 0.0722*a[2]; }
  var el = document.querySelector(sel), fg = rgb(getComputedStyle(el).color), bg = [255,255,255];
  for (var e = el; e; e = e.parentElement) { var c = rgb(getComputedStyle(e).backgroundColor); if (c.length < 4 || c[3] > 0) { bg = c; break; } }
  var a = lum(fg), b = lum(bg);
  return (Math.max(a,b) + 0.05) / (Math.min(a,b) + 0.05);
})(%q)`

// The kiosk in both languages on a handheld and on a kiosk screen: the packer
// is told the SKU and name checked, chooses a box by its size, weighs again
// after a refusal in an empty field, sees the label open on a print page of its
// own (the kiosk tab lives on) and its status, and can read Reprint. On a wide
// screen the order stands beside the parcel; on a handheld nothing scrolls sideways.
func TestBrowserKioskScreens(t *testing.T) {
	for _, lang := range langs {
		for _, size := range [][2]int64{{360, 640}, {1280, 800}} {
			t.Run(fmt.Sprintf("%s/%dx%d", lang, size[0], size[1]), func(t *testing.T) {
				kioskScreens(t, lang, size[0], size[1])
			})
		}
	}
}

func kioskScreens(t *testing.T, lang string, w, h int64) {
	ctx := browserIn(t, lang, w, h)
	s, l := testServer(t)
	s.StartWorkers()
	defer s.StopWorkers()
	if _, err := l.SaveStation(context.Background(), "", wms.Station{ID: "PACK-W", Name: "Kiosk", Printer: "browser"}, "admin", "t"); err != nil {
		t.Fatal(err)
	}
	_, lot := pickedOrder(t, l, "SO440001", "T44001")
	book, _ := l.SKU("SKU03000")
	milk, _ := l.SKU("SKU00002")
	weight := 2*book.UnitWeightG + milk.UnitWeightG + 160 + 20
	base := serve(t, s)
	run := runner(t, ctx)
	loginAs(t, ctx, base, "B2001", "2222", "menu-pack")
	run(chromedp.Navigate(base + "/pack?station=PACK-W"))
	waitJS(t, ctx, `document.documentElement.dataset.ready === '1'`)
	waitFocus(t, ctx, "scan")
	run(wedge("T44001"))
	waitText(t, ctx, `[data-testid=pack-order]`, "SO440001")

	// the screen's width is used on a kiosk, and not exceeded on a handheld
	var box struct{ OrderRight, ParcelLeft, ParcelTop, OrderBottom, Main float64 }
	run(chromedp.Evaluate(`(function(){ var o = document.querySelector('[data-testid=kiosk-order]').getBoundingClientRect(),
		p = document.querySelector('[data-testid=kiosk-parcel]').getBoundingClientRect();
		return {OrderRight: o.right, ParcelLeft: p.left, ParcelTop: p.top, OrderBottom: o.bottom, Main: document.getElementById('main').getBoundingClientRect().width}; })()`, &box))
	if w >= 1000 {
		if box.ParcelLeft < box.OrderRight || box.Main < float64(w)*0.9 {
			t.Errorf("kiosk at %dpx: order ends at %.0f, parcel starts at %.0f, main %.0f px wide", w, box.OrderRight, box.ParcelLeft, box.Main)
		}
	} else {
		noWiderThan(t, ctx, int(w))
		if box.ParcelTop < box.OrderBottom {
			t.Errorf("handheld: the parcel is beside the order, not below it")
		}
	}

	// each check names the SKU and its name, never the GTIN read
	for i, code := range []string{book.GTINs[0][1:], book.GTINs[0][1:], "(01)" + milk.GTINs[0] + "(10)" + lot + "(21)FH-" + lang} {
		waitFocus(t, ctx, "scan")
		run(wedge(code))
		waitText(t, ctx, `[data-testid=pack-lines]`, []string{"1/2", "2/2", "1/1"}[i])
	}
	said := waitText(t, ctx, `[data-feedback=ok]`, say(lang, "pack.verified", "sku", "SKU00002", "name", milk.Name))
	if strings.Contains(said, milk.GTINs[0]) {
		t.Errorf("the check says the GTIN: %q", said)
	}

	// boxes by their size
	options := evalString(t, ctx, `Array.from(document.querySelectorAll('[data-testid=box] option')).map(function(o){ return o.textContent }).join('|')`)
	if !strings.Contains(options, say(lang, "pack.box_option", "code", "M2", "name", "中号纸箱", "size", "300×220×160")) {
		t.Errorf("box choice: %s", options)
	}

	// a refused weight leaves an empty field with the focus for the next weighing
	waitFocus(t, ctx, "weight")
	run(chromedp.KeyEvent("900\r"))
	waitJS(t, ctx, `!!document.querySelector('[data-feedback=error]')`)
	waitFocus(t, ctx, "weight")
	if v := evalString(t, ctx, `document.querySelector('[data-testid=weight]').value`); v != "" {
		t.Errorf("the weight field keeps the refused weight %q", v)
	}
	run(chromedp.KeyEvent(fmt.Sprintf("%d\r", weight)))
	waitText(t, ctx, `[data-testid=parcels]`, "SF1")

	// the label opens on a page of its own; the kiosk tab lives on
	ps, _ := l.Pack("SO440001")
	waitText(t, ctx, `[data-feedback=ok]`, say(lang, "pack.parcel_done_browser", "n", "1", "weight", strconv.Itoa(weight), "waybill", ps.Parcels[0].Waybill))
	waitJS(t, ctx, `document.querySelector('[data-testid=print-label]').dataset.opened === '1'`)
	if n := evalString(t, ctx, `String(document.querySelectorAll('iframe').length)`); n != "0" {
		t.Errorf("%s frames in the kiosk page", n)
	}
	href := evalString(t, ctx, `document.querySelector('[data-testid=print-label]').getAttribute('href')`)
	var got int
	run(chromedp.Evaluate(`fetch(`+strconv.Quote(href)+`).then(function(r){ return r.text().then(function(t){ return r.status === 200 && t.indexOf('<svg') > 0 ? 200 : -r.status; }); })`, &got,
		func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
	if got != 200 {
		t.Errorf("print page %s: %d", href, got)
	}
	targets, err := chromedp.Targets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	opened := false
	for _, tg := range targets {
		opened = opened || strings.HasSuffix(tg.URL, href)
	}
	if !opened {
		t.Errorf("no window opened %s: %+v", href, targets)
	}
	waitText(t, ctx, `[data-testid=label-status]`, say(lang, "pack.label_status", "status", "print.status.browser"))

	// Reprint can be read: its text stands out from what is behind it
	var ratio float64
	run(chromedp.Evaluate(fmt.Sprintf(contrastJS, "[data-testid=reprint]"), &ratio))
	if ratio < 4.5 {
		t.Errorf("Reprint's contrast is %.2f:1, want at least 4.5:1", ratio)
	}
	if lines := evalString(t, ctx, `(function(){ var r = document.createRange(); r.selectNodeContents(document.querySelector('[data-testid=reprint]'));
		return String(new Set(Array.from(r.getClientRects()).map(function(x){ return Math.round(x.top) })).size) })()`); lines != "1" {
		t.Errorf("Reprint breaks over %s lines", lines)
	}
	if w < 1000 {
		noWiderThan(t, ctx, int(w))
	}
	shot(t, ctx, fmt.Sprintf("kiosk-%s-%d.png", lang, w))
	// the kiosk tab still works: hand over to the carrier
	run(chromedp.Evaluate(`document.querySelector('[data-testid=ship]').click()`, nil))
	waitText(t, ctx, `[data-feedback=ok]`, say(lang, "pack.shipped", "order", "SO440001"))
}

// A packed order left without Ship is not forgotten: the next tote opens with
// a reminder, the kiosk lists the order with a Ship of its own, and the
// address bar names the order on screen (a reload shows it again). The
// header names the carrier in words; the scan box's words fit 360 px.
func TestBrowserKioskPackedNotShipped(t *testing.T) {
	for _, lang := range langs {
		t.Run(lang, func(t *testing.T) {
			ctx := browserIn(t, lang, 360, 640)
			s, l := testServer(t)
			s.StartWorkers()
			defer s.StopWorkers()
			fileStation(t, l, "PACK-R")
			_, lot := pickedOrder(t, l, "SO460001", "T46001")
			pickedOrder(t, l, "SO460002", "T46002")
			book, _ := l.SKU("SKU03000")
			milk, _ := l.SKU("SKU00002")
			weight := 2*book.UnitWeightG + milk.UnitWeightG + 160 + 20
			base := serve(t, s)
			run := runner(t, ctx)
			loginAs(t, ctx, base, "B2001", "2222", "menu-pack")
			run(chromedp.Navigate(base + "/pack?station=PACK-R"))
			waitJS(t, ctx, `document.documentElement.dataset.ready === '1'`)
			waitFocus(t, ctx, "scan")
			waitText(t, ctx, `[data-testid=pack-step]`, say(lang, "pack.scan_tote"))
			placeholdersFit(t, ctx)
			run(wedge("T46001"))
			head := waitText(t, ctx, `[data-testid=pack-order]`, say(lang, "pack.order", "order", "SO460001", "carrier", say(lang, "carrier.SF")))
			if strings.HasSuffix(strings.TrimSpace(head), "SF") {
				t.Errorf("the header shows the carrier's code: %q", head)
			}
			waitText(t, ctx, `[data-testid=pack-step]`, say(lang, "pack.scan_item"))
			placeholdersFit(t, ctx)
			for i, code := range []string{book.GTINs[0][1:], book.GTINs[0][1:], "(01)" + milk.GTINs[0] + "(10)" + lot + "(21)FH-R" + lang} {
				waitFocus(t, ctx, "scan")
				run(wedge(code))
				waitText(t, ctx, `[data-testid=pack-lines]`, []string{"1/2", "2/2", "1/1"}[i])
			}
			waitFocus(t, ctx, "weight")
			run(chromedp.KeyEvent(fmt.Sprintf("%d\r", weight)))
			waitText(t, ctx, `[data-testid=parcels]`, "SF1")
			waitText(t, ctx, `[data-testid=pack-step]`, say(lang, "pack.scan_next"))
			placeholdersFit(t, ctx)

			// the next tote without Ship: it opens, and the packed order is named
			waitFocus(t, ctx, "scan")
			run(wedge("T46002"))
			waitText(t, ctx, `[data-testid=pack-order]`, "SO460002")
			waitText(t, ctx, `[data-feedback]`, say(lang, "pack.awaiting", "n", "1", "order", "SO460001"))
			waitText(t, ctx, `[data-testid=awaiting]`, "SO460001")
			if u := evalString(t, ctx, `location.search`); !strings.Contains(u, "order=SO460002") || strings.Contains(u, "T46001") {
				t.Errorf("the address bar says %q with SO460002 on screen", u)
			}
			noWiderThan(t, ctx, 360)
			run(chromedp.Reload())
			waitText(t, ctx, `[data-testid=pack-order]`, "SO460002")
			waitText(t, ctx, `[data-testid=awaiting]`, "SO460001")

			// its own Ship hands it over; the open order stays on screen
			run(chromedp.Evaluate(`document.querySelector('[data-testid=ship-awaiting]').click()`, nil))
			waitText(t, ctx, `[data-feedback=ok]`, say(lang, "pack.shipped_other", "order", "SO460001"))
			waitText(t, ctx, `[data-testid=pack-order]`, "SO460002")
			if present(t, ctx, "awaiting") {
				t.Errorf("the shipped order is still listed")
			}
			if o, _ := l.Order("SO460001"); o.State != wms.OrderShipped {
				t.Errorf("SO460001 is %s", o.State)
			}
			if o, _ := l.Order("SO460002"); o.State != wms.OrderPicked {
				t.Errorf("SO460002 is %s", o.State)
			}
		})
	}
}
