package server

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"tally/wms"
)

// gs1 builds a GS1-128 scan (with AIM prefix) of an item with lot and expiry.
func gs1(gtin, lot string, expiry time.Time) string {
	return "]C101" + gtin + "17" + expiry.Format("060102") + "10" + lot
}

var today = time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC) // the test servers' clock

func TestReceivingScreens(t *testing.T) {
	s, l := testServer(t)
	if _, _, err := l.ExpectReceipt(context.Background(), "", wms.ReceiptIn{ID: "ASN-7", Supplier: "澳优乳业", Lines: []wms.LineIn{{SKU: "SKU00000", Qty: 12}}}, "oms", "api"); err != nil {
		t.Fatal(err)
	}
	milk, _ := l.SKU("SKU00000")
	gtin := milk.GTINs[0]
	c := newClient(t, s)
	c.login("B3001", "3333")
	_, page := c.get("/receive")
	if !strings.Contains(page, `data-testid="receipt-ASN-7"`) {
		t.Fatalf("open receipts not listed:\n%s", page)
	}
	// a short-dated lot: warned at the scan, refused at the dock, counted on the receipt
	short := gs1(gtin, "S1", today.AddDate(0, 0, 300))
	_, page = c.get("/receive?receipt=ASN-7&code=" + url.QueryEscape(short))
	if !strings.Contains(page, "will be refused") || !strings.Contains(page, `value="S1"`) {
		t.Fatalf("no warning:\n%s", page)
	}
	before := l.LastSeq()
	resp, page := c.post("/receive", url.Values{"key": {"k-short"}, "receipt": {"ASN-7"}, "sku": {"SKU00000"}, "lot": {"S1"}, "expiry": {"2027-09-07"}, "qty": {"6"}, "location": {"DOCK-01"}})
	if resp.StatusCode != 409 || !strings.Contains(page, "Refused") || !strings.Contains(page, "6 refused") {
		t.Fatalf("refusal: %d\n%s", resp.StatusCode, page)
	}
	if lines, _ := l.StockOf("SKU00000"); containsLotAt(lines, "S1", "DOCK-01") {
		t.Error("refused lot entered stock")
	}
	if l.LastSeq() != before+1 {
		t.Errorf("refusal recorded %d events, want 1", l.LastSeq()-before)
	}
	// bad input: a typed date that does not exist, a quantity that is not a number
	for _, bad := range []url.Values{
		{"expiry": {"2028-02-30"}, "qty": {"5"}},
		{"expiry": {"280230"}, "qty": {"5"}},
		{"expiry": {"2028-09-01"}, "qty": {"five"}},
		{"expiry": {"2028-09-01"}, "qty": {"-5"}},
	} {
		bad.Set("key", "k-bad")
		bad.Set("receipt", "ASN-7")
		bad.Set("sku", "SKU00000")
		bad.Set("lot", "G1")
		bad.Set("location", "DOCK-01")
		if resp, _ := c.post("/receive", bad); resp.StatusCode != 400 {
			t.Errorf("%v accepted: %d", bad, resp.StatusCode)
		}
	}
	// a good lot, with the date typed in GS1 form, then put away by scanning the suggestion
	resp, page = c.post("/receive", url.Values{"key": {"k-good"}, "receipt": {"ASN-7"}, "sku": {"SKU00000"}, "lot": {"G1"}, "expiry": {"281031"}, "qty": {"14"}, "location": {"DOCK-01"}})
	if resp.StatusCode != 200 || !strings.Contains(page, `data-testid="putaway"`) {
		t.Fatalf("receive: %d\n%s", resp.StatusCode, page)
	}
	where, _ := l.SuggestPutaway("SKU00000", "G1")
	resp, page = c.post("/receive/putaway", url.Values{"key": {"k-put"}, "receipt": {"ASN-7"}, "sku": {"SKU00000"}, "lot": {"G1"}, "qty": {"14"}, "from": {"DOCK-01"}, "to": {where}})
	if resp.StatusCode != 200 || !strings.Contains(page, "Put away 14") {
		t.Fatalf("putaway: %d\n%s", resp.StatusCode, page)
	}
	r, _ := l.Receipt("ASN-7")
	if r.Lines[0].Received != 14 || r.Lines[0].Refused != 6 || r.Lines[0].Variance() != 2 {
		t.Errorf("receipt %+v", r.Lines)
	}
	// the ASN API
	admin, _ := l.CreateToken(context.Background(), "erp", wms.RoleAdmin, "t")
	api := newClient(t, s)
	api.bearer = admin
	body := `{"id":"ASN-8","supplier":"百草味","lines":[{"sku":"SKU01000","qty":24}]}`
	if r, text := api.do("POST", "/api/v1/receipts", strings.NewReader(body), map[string]string{"Content-Type": "application/json"}); r.StatusCode != 201 {
		t.Errorf("ASN: %d %s", r.StatusCode, text)
	}
	if r, _ := api.do("POST", "/api/v1/receipts", strings.NewReader(body), map[string]string{"Content-Type": "application/json"}); r.StatusCode != 200 {
		t.Errorf("the same ASN twice: %d", r.StatusCode)
	}
	if r, _ := api.do("POST", "/api/v1/receipts", strings.NewReader(`{"id":"ASN-10","supplier":"x","lines":[{"sku":"NOPE","qty":1}]}`), map[string]string{"Content-Type": "application/json"}); r.StatusCode != 404 {
		t.Errorf("ASN of an unknown SKU: %d", r.StatusCode)
	}
}

func containsLotAt(lines []wms.StockLine, lot, loc string) bool {
	for _, x := range lines {
		if x.Lot == lot && x.Location == loc {
			return true
		}
	}
	return false
}

func TestRecallTraceAndReports(t *testing.T) {
	s, l := testServer(t)
	ctx := context.Background()
	// an order picks one unit of a formula lot, then the lot is recalled
	if _, _, err := l.ReceiveOrder(ctx, "", intake("SO300001", wms.LineIn{SKU: "SKU00002", Qty: 1}), "oms", "t"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.ReleaseWave(ctx, wms.WaveFilter{Mode: wms.WaveSingle}, "w", "B4001", "t"); err != nil {
		t.Fatal(err)
	}
	task, _ := l.NextTask(ctx, "B1001", "pda")
	line := task.Lines[0]
	if _, _, err := l.Pick(ctx, "p1", wms.PickScan{Task: task.ID, Line: line.N, Location: line.Location,
		Items: []wms.ScannedItem{{GTIN: line.GTINs[0], Lot: line.Lot, Serial: "FH-0001"}}, Qty: 1}, "B1001", "pda"); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, s)
	c.login("B4001", "4444")
	c.get("/recall")
	resp, _ := c.post("/recall", url.Values{"sku": {"SKU00002"}, "lot": {line.Lot}, "reason": {"供应商召回 2026-17"}})
	if resp.StatusCode != 303 {
		t.Fatalf("recall: %d", resp.StatusCode)
	}
	_, page := c.get(resp.Header.Get("Location"))
	if !strings.Contains(page, "SO300001") || !strings.Contains(page, "on hold") {
		t.Fatalf("report page:\n%s", page)
	}
	resp, csvText := c.get("/recall/report.csv?sku=SKU00002&lot=" + url.QueryEscape(line.Lot))
	if resp.StatusCode != 200 || !strings.Contains(csvText, "order,SKU00002,"+line.Lot+",SO300001,picked,1,") || !strings.Contains(csvText, "location,SKU00002") {
		t.Errorf("csv: %d\n%s", resp.StatusCode, csvText)
	}
	resp, pdf := c.get("/recall/report.pdf?sku=SKU00002&lot=" + url.QueryEscape(line.Lot))
	if os.Getenv("CI") == "true" || resp.StatusCode == 200 {
		if resp.StatusCode != 200 || !strings.HasPrefix(pdf, "%PDF") {
			t.Fatalf("pdf: %d %.200s", resp.StatusCode, pdf)
		}
		if text, ok := pdfText(t, []byte(pdf)); ok && (!strings.Contains(text, "SO300001") || !strings.Contains(text, "飞鹤星飞帆")) {
			t.Errorf("pdf text lacks the order or the Chinese name:\n%s", text)
		}
	}
	// trace: JSON for the lot and for the serial
	resp, body := c.get("/api/v1/trace?sku=SKU00002&lot=" + url.QueryEscape(line.Lot))
	var tr struct {
		Lot    wms.Lot
		Events []struct{ Type, Summary string }
	}
	if err := json.Unmarshal([]byte(body), &tr); err != nil || resp.StatusCode != 200 || tr.Lot.Status != wms.LotHold {
		t.Fatalf("trace: %d %s", resp.StatusCode, body)
	}
	var types []string
	for _, e := range tr.Events {
		types = append(types, e.Type)
		if e.Summary == "" || strings.HasPrefix(e.Summary, "trace.") {
			t.Errorf("event %s has no summary: %q", e.Type, e.Summary)
		}
	}
	if got := strings.Join(types, " "); got != "master.imported wave.released pick.scanned lot.recalled" {
		t.Errorf("trace events: %s", got)
	}
	resp, body = c.get("/api/v1/trace?serial=FH-0001")
	if resp.StatusCode != 200 || !strings.Contains(body, `"order":"SO300001"`) {
		t.Errorf("serial trace: %d %s", resp.StatusCode, body)
	}
	for _, q := range []string{"", "?sku=SKU00002", "?serial=NOPE", "?sku=SKU00002&lot=NOPE"} {
		if resp, _ := c.get("/api/v1/trace" + q); resp.StatusCode != 400 && resp.StatusCode != 404 {
			t.Errorf("trace%s: %d", q, resp.StatusCode)
		}
	}
	_, page = c.get("/trace?sku=SKU00002&lot=" + url.QueryEscape(line.Lot))
	if !strings.Contains(unmarked(page), "Picked 1 at "+line.Location+" into order SO300001") {
		t.Errorf("timeline:\n%s", page)
	}
	// release the lot again through the API: a bad status is refused
	admin, _ := l.CreateToken(ctx, "qa", wms.RoleSupervisor, "t")
	api := newClient(t, s)
	api.bearer = admin
	if r, _ := api.do("POST", "/api/v1/lots/status", strings.NewReader(`{"sku":"SKU00002","lot":"`+line.Lot+`","status":"gone","reason":"x"}`), map[string]string{"Content-Type": "application/json"}); r.StatusCode != 400 {
		t.Errorf("bad status: %d", r.StatusCode)
	}
	if r, body := api.do("POST", "/api/v1/lots/status", strings.NewReader(`{"sku":"SKU00002","lot":"`+line.Lot+`","status":"available","reason":"supplier cleared it"}`), map[string]string{"Content-Type": "application/json"}); r.StatusCode != 200 || !strings.Contains(body, `"status":"available"`) {
		t.Errorf("release: %d %s", r.StatusCode, body)
	}
	// pickers may not recall or trace
	p := newClient(t, s)
	p.login("B1001", "1111")
	if r, _ := p.get("/recall"); r.StatusCode != 403 {
		t.Errorf("picker on recall: %d", r.StatusCode)
	}
}

// pdfText extracts a PDF's text with pdftotext; under CI=true it must be there.
func pdfText(t *testing.T, pdf []byte) (string, bool) {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true but no pdftotext: .ci/run installs poppler-utils")
		}
		return "", false
	}
	f := filepath.Join(t.TempDir(), "r.pdf")
	if err := os.WriteFile(f, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-layout", f, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	return string(out), true
}

func TestCountAndMoveScreens(t *testing.T) {
	s, l := testServer(t)
	book, _ := l.SKU("SKU03000")
	places, _ := l.StockOf("SKU03000")
	loc := places[0].Location
	picker := newClient(t, s)
	picker.login("B1001", "1111")
	// blind count: scan the shelf, then each item; two books fewer than the books say
	_, page := picker.get("/count?code=" + loc)
	if !strings.Contains(unmarked(page), "Counting "+loc) {
		t.Fatalf("count page:\n%s", page)
	}
	lines := "[]"
	for i := int64(0); i < places[0].Qty-3; i++ {
		_, page = picker.get("/count?location=" + loc + "&lines=" + url.QueryEscape(lines) + "&code=" + book.GTINs[0][1:])
		m := regexpLines.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no lines in page:\n%s", page)
		}
		lines = htmlUnescape(m[1])
	}
	// a refused count stays on the screen with what was counted, to be sent again
	resp, page := picker.post("/count", url.Values{"location": {"Z99-99-99"}, "lines": {lines}})
	if m := regexpLines.FindStringSubmatch(page); resp.StatusCode < 400 || m == nil || htmlUnescape(m[1]) != lines {
		t.Errorf("refused count: %d, lines kept %v", resp.StatusCode, m)
	}
	resp, page = picker.post("/count", url.Values{"key": {"cnt-1"}, "location": {loc}, "lines": {lines}})
	if resp.StatusCode != 200 || !strings.Contains(page, "Counts waiting") && !strings.Contains(page, "booked") {
		t.Logf("%s", page)
	}
	pending, _ := l.PendingCounts()
	if len(pending) != 1 {
		t.Fatalf("pending counts %+v (page %d)", pending, resp.StatusCode)
	}
	sup := newClient(t, s)
	sup.login("B4001", "4444")
	sup.get("/count")
	if resp, page := sup.post("/count/decide", url.Values{"count": {pending[0].ID}, "approve": {"1"}}); resp.StatusCode != 200 || !strings.Contains(page, "booked") {
		t.Fatalf("approve: %d\n%s", resp.StatusCode, page)
	}
	after, _ := l.StockAt(loc)
	for _, x := range after {
		if x.SKU == "SKU03000" && x.Qty != places[0].Qty-3 {
			t.Errorf("after count: %d, want %d", x.Qty, places[0].Qty-3)
		}
	}
	// move two by scanning: from, item, item, to
	picker.get("/move")
	picker.get("/move?code=" + loc)
	_, page = picker.get("/move?from=" + loc + "&code=" + book.GTINs[0][1:])
	if !strings.Contains(unmarked(page), "1 × SKU03000") {
		t.Fatalf("move page after the item:\n%s", page)
	}
	_, page = picker.post("/move", url.Values{"key": {"mv-1"}, "from": {loc}, "sku": {"SKU03000"}, "qty": {"1"}, "code": {book.GTINs[0]}})
	if !strings.Contains(unmarked(page), "2 × SKU03000") {
		t.Fatalf("move page after the item twice:\n%s", page)
	}
	if resp, page := picker.post("/move", url.Values{"key": {"mv-1"}, "from": {loc}, "sku": {"SKU03000"}, "qty": {"2"}, "code": {"R02-10-04"}}); resp.StatusCode != 200 || !strings.Contains(unmarked(page), "Moved 2 × SKU03000 from "+loc+" to R02-10-04") {
		t.Fatalf("move: %d\n%s", resp.StatusCode, page)
	}
	if resp, _ := picker.post("/move", url.Values{"key": {"mv-2"}, "from": {loc}, "sku": {"SKU03000"}, "qty": {"999"}, "code": {"R02-10-04"}}); resp.StatusCode != 409 {
		t.Errorf("moving more than there is: %d", resp.StatusCode)
	}
}

// An item the location to move from does not hold is refused at its scan,
// with what the location holds; so is a lot it does not hold.
func TestMoveRefusesAnItemNotThere(t *testing.T) {
	s, l := testServer(t)
	places, _ := l.StockOf("SKU03000")
	loc := places[0].Location
	held, _ := l.StockAt(loc)
	other, _ := l.SKU("SKU03003")
	for _, h := range held {
		if h.SKU == other.Code {
			t.Fatalf("%s holds %s: choose another item", loc, other.Code)
		}
	}
	picker := newClient(t, s)
	picker.login("B1001", "1111")
	resp, page := picker.get("/move?from=" + loc + "&code=" + other.GTINs[0])
	want := loc + " holds no SKU03003; it holds " + held[0].SKU
	if resp.StatusCode != 409 || !strings.Contains(unmarked(htmlUnescape(page)), want) {
		t.Errorf("item not there: %d, want %q in\n%s", resp.StatusCode, want, page)
	}
	// scanned while the item in hand waits for the location to move to
	book, _ := l.SKU("SKU03000")
	resp, page = picker.post("/move", url.Values{"from": {loc}, "sku": {book.Code}, "qty": {"1"}, "code": {other.GTINs[0]}})
	if resp.StatusCode != 409 || !strings.Contains(unmarked(htmlUnescape(page)), want) || !strings.Contains(unmarked(page), "1 × SKU03000") {
		t.Errorf("item not there, item in hand: %d\n%s", resp.StatusCode, page)
	}
	milk, _ := l.SKU("SKU00000")
	lots, _ := l.StockOf(milk.Code)
	resp, page = picker.get("/move?from=" + lots[0].Location + "&code=" + url.QueryEscape("(01)"+milk.GTINs[0]+"(10)NOSUCHLOT"))
	if resp.StatusCode != 409 || !strings.Contains(unmarked(htmlUnescape(page)), "not NOSUCHLOT") {
		t.Errorf("lot not there: %d\n%s", resp.StatusCode, page)
	}
	after, _ := l.StockAt(loc)
	if len(after) != len(held) || after[0].Qty != held[0].Qty {
		t.Errorf("stock changed: %+v, was %+v", after, held)
	}
}

// A lot-tracked item in hand whose next unit's barcode carries no lot (the
// plain EAN beside the GS1 code) counts one more of the lot in hand, even
// where the location holds two lots of it.
func TestMoveMoreWithoutLotOnBarcode(t *testing.T) {
	s, l := testServer(t)
	milk, _ := l.SKU("SKU00000")
	places, _ := l.StockOf(milk.Code)
	at := places[0]
	csv := "sku,lot,expiry,location,qty\n" + milk.Code + ",SECOND1,2029-01-31," + at.Location + ",5\n"
	if _, err := l.Import(context.Background(), "second-lot", wms.ImportStock, "stock.csv", []byte(csv), "B9001", "test"); err != nil {
		t.Fatal(err)
	}
	picker := newClient(t, s)
	picker.login("B1001", "1111")
	picker.get("/move?from=" + at.Location)
	ean := strings.TrimPrefix(milk.GTINs[0], "0")
	resp, page := picker.post("/move", url.Values{"from": {at.Location}, "sku": {milk.Code}, "lot": {at.Lot}, "qty": {"1"}, "code": {ean}})
	if resp.StatusCode != 200 || !strings.Contains(unmarked(page), "2 × "+milk.Code) {
		t.Errorf("a second unit without its lot on the barcode: %d\n%s", resp.StatusCode, page)
	}
}

// A receiver at 360×640 takes a delivery with nothing but the scanner and the
// number keys: a short-dated lot is refused, a good one received and put away.
func TestBrowserReceiving(t *testing.T) {
	ctx := browser(t)
	s, l := testServer(t)
	if _, _, err := l.ExpectReceipt(context.Background(), "", wms.ReceiptIn{ID: "ASN-9", Supplier: "飞鹤乳业", Lines: []wms.LineIn{{SKU: "SKU00000", Qty: 12}}}, "oms", "api"); err != nil {
		t.Fatal(err)
	}
	milk, _ := l.SKU("SKU00000")
	base := serve(t, s)
	run := runner(t, ctx)
	loginAs(t, ctx, base, "B3001", "3333", "menu-receive")
	run(chromedp.Evaluate(`document.querySelector('[data-testid=menu-receive]').click()`, nil))
	waitText(t, ctx, `[data-testid=receipt-ASN-9]`, "ASN-9")
	run(chromedp.Evaluate(`document.querySelector('[data-testid=receipt-ASN-9]').click()`, nil))
	waitJS(t, ctx, `!!document.querySelector('[data-testid=receipt]') && document.documentElement.dataset.ready === '1'`)
	waitFocus(t, ctx, "scan")

	// short-dated: the receiver is warned at the scan and the lot refused on confirming
	run(wedge(gs1(milk.GTINs[0], "SHORT9", today.AddDate(0, 0, 200))))
	waitText(t, ctx, `[data-testid=receive-warning]`, "refused")
	typeQty(t, ctx, "6")
	waitText(t, ctx, `[data-feedback=error]`, "Refused")
	waitText(t, ctx, `[data-testid=receipt-lines]`, "6 refused")
	shot(t, ctx, "receive-refused.png")
	var width int
	run(chromedp.Evaluate(`document.documentElement.scrollWidth`, &width))
	if width > 360 {
		t.Errorf("receiving page is %dpx wide on a 360px screen", width)
	}

	// a good lot: scan, count, confirm, put away by scanning the suggested shelf
	waitFocus(t, ctx, "scan")
	run(wedge(gs1(milk.GTINs[0], "GOOD9", today.AddDate(0, 0, 700))))
	waitText(t, ctx, `[data-testid=receive-item]`, "SKU00000")
	typeQty(t, ctx, "12")
	waitText(t, ctx, `[data-testid=putaway]`, "Put away to")
	where, _ := l.SuggestPutaway("SKU00000", "GOOD9")
	waitFocus(t, ctx, "scan")
	run(wedge(where))
	waitText(t, ctx, `[data-feedback=ok]`, "Put away 12")
	lines, _ := l.StockAt(where)
	got := int64(0)
	for _, x := range lines {
		if x.SKU == "SKU00000" && x.Lot == "GOOD9" {
			got = x.Qty
		}
	}
	if got != 12 {
		t.Errorf("GOOD9 at %s: %d, want 12", where, got)
	}
	r, _ := l.Receipt("ASN-9")
	if r.Lines[0].Received != 12 || r.Lines[0].Refused != 6 {
		t.Errorf("receipt %+v", r.Lines)
	}
	lots, _ := l.Lots()
	for _, x := range lots {
		if x.Code == "SHORT9" {
			t.Error("the refused lot exists")
		}
	}
}

var regexpLines = regexpMust(`name="lines" value="([^"]*)"`)

// A scanner is faster than the Wi-Fi: on a slow link the second item's Enter
// comes while the first scan's answer is still out. Both must be counted (the
// second waits and goes with the answer's form, which carries the first).
func TestBrowserBackToBackScansOnSlowLink(t *testing.T) {
	ctx := browser(t)
	s, _ := testServer(t)
	base := serve(t, s)
	run := runner(t, ctx)
	loginAs(t, ctx, base, "B1001", "1111", "menu-count")
	run(chromedp.Navigate(base + "/count"))
	waitJS(t, ctx, `document.documentElement.dataset.ready === '1'`)
	book := "SKU03000" // not lot-tracked
	loc := demoLocation(t, book)
	waitFocus(t, ctx, "scan")
	run(wedge(loc))
	waitText(t, ctx, `.step`, loc)
	waitFocus(t, ctx, "scan")
	run(network.EmulateNetworkConditions(false, 400, -1, -1)) // 400 ms each way
	code := demoGTIN(t, book)
	run(wedge(code), wedge(code), wedge(code))
	waitJS(t, ctx, `(function () { var f = document.querySelector('input[name=lines]'); if (!f || !f.value) return false;
		return JSON.parse(f.value).reduce(function (n, x) { return n + x.qty; }, 0) >= 3; })()`)
	run(network.EmulateNetworkConditions(false, 0, -1, -1))
	var lines string
	run(chromedp.Evaluate(`document.querySelector('input[name=lines]').value`, &lines))
	var got []wms.StockRow
	if err := json.Unmarshal([]byte(lines), &got); err != nil || len(got) != 1 || got[0].SKU != book || got[0].Qty != 3 {
		t.Errorf("three scans counted as %s (%v)", lines, err)
	}
}

// A lot's age reads the same on the stock lookup and on the expiry screen:
// the demo's expired formula lot, three days past its date, on both.
func TestLotAgeReadsTheSameOnEveryScreen(t *testing.T) {
	s, l := testServer(t)
	var lot, expiry string
	_, _, stock := wms.DemoData(l.Now().In(l.Zone()))
	for _, r := range stock {
		if left, _ := wms.DaysLeft(l.Today(), r.Expiry); r.SKU == "SKU00000" && left < 0 {
			lot, expiry = r.Lot, r.Expiry
		}
	}
	if left, _ := wms.DaysLeft(l.Today(), expiry); lot == "" || left != -3 {
		t.Fatalf("no demo lot of SKU00000 three days past its expiry (%q %s)", lot, expiry)
	}
	for _, lang := range langs {
		c := newClient(t, s)
		c.lang = lang
		c.login("B4001", "4444")
		want := `data-testid="lot-age">` + say(lang, "lot.expired_ago", "days", "3") + "<"
		for _, path := range []string{"/stock?code=SKU00000", "/expiry"} {
			_, page := c.get(path)
			if !strings.Contains(page, lot) || !strings.Contains(htmlUnescape(page), want) {
				t.Errorf("%s %s: want lot %s worded %q:\n%s", lang, path, lot, want, page)
			}
		}
	}
}

// A supervisor's pages name the people events record, as the floor page
// does: the count waiting for approval, the lot's timeline, the login audit
// and the recall report say 张伟, not B1001; a badge nobody has stays as tried.
func TestSupervisorPagesNamePeople(t *testing.T) {
	s, l := testServer(t)
	ctx := context.Background()
	_, lot := pickedOrder(t, l, "SO800001", "T80001") // picked by B1001, 张伟
	book, _ := l.SKU("SKU03000")
	places, _ := l.StockOf(book.Code)
	shelf := places[0]
	if _, err := l.SubmitCount(ctx, "cnt-names", wms.CountSubmit{Location: shelf.Location,
		Lines: []wms.StockRow{{SKU: book.Code, Location: shelf.Location, Qty: shelf.Qty + 5}}}, "B1001", "pda"); err != nil {
		t.Fatal(err)
	}
	if pending, _ := l.PendingCounts(); len(pending) != 1 {
		t.Fatalf("pending counts: %+v", pending)
	}
	for _, try := range []struct{ badge, pin string }{{"B1001", "1111"}, {"B1002", "9999"}, {"B7777", "1111"}} { // 张伟 logs in; 李娜 tries a wrong PIN; a badge nobody has
		c := newClient(t, s)
		c.get("/login")
		c.post("/login", url.Values{"badge": {try.badge}, "pin": {try.pin}})
	}
	sup := newClient(t, s)
	sup.login("B4001", "4444") // 赵敏
	sup.get("/recall")
	if resp, _ := sup.post("/recall", url.Values{"sku": {"SKU00002"}, "lot": {lot}, "reason": {"供应商通知"}}); resp.StatusCode != 303 {
		t.Fatalf("recall: %d", resp.StatusCode)
	}
	recalledAt := l.Now().In(l.Zone()).Format("2006-01-02 15:04")
	section := func(page, testid string) string {
		i := strings.Index(page, `data-testid="`+testid)
		if i < 0 {
			t.Fatalf("no %s on the page:\n%s", testid, page)
		}
		end := strings.Index(page[i:], "</section>")
		if end < 0 {
			end = len(page) - i
		}
		return page[i : i+end]
	}
	badges := regexpMust(`\bB[0-9]{4}\b`)
	for _, lang := range langs {
		sup.lang = lang
		_, page := sup.get("/count")
		pending, _ := l.PendingCounts()
		card := pageText(section(page, "pending-"+pending[0].ID))
		if !strings.Contains(card, "张伟") || badges.MatchString(card) {
			t.Errorf("%s: the count waiting for approval says %q, want 张伟 and no badge", lang, card)
		}

		_, page = sup.get("/trace?sku=SKU00002&lot=" + url.QueryEscape(lot))
		timeline := pageText(section(page, "trace-timeline"))
		if !strings.Contains(timeline, "张伟") || !strings.Contains(timeline, "赵敏") || badges.MatchString(timeline) {
			t.Errorf("%s: the lot's timeline says %q, want 张伟 (the pick) and 赵敏 (the wave, the recall) and no badge", lang, timeline)
		}

		_, page = sup.get("/admin/audit")
		who := map[string]bool{}
		for _, m := range regexpMust(`data-testid="audit-who">([^<]*)<`).FindAllStringSubmatch(page, -1) {
			who[m[1]] = true
		}
		if who["B7777"] {
			t.Errorf("%s: a badge nobody has is in the login audit (it writes no event): %v", lang, who)
		}
		for _, want := range []string{"张伟", "李娜", "赵敏"} {
			if !who[want] {
				t.Errorf("%s: the login audit does not name %s: %v", lang, want, who)
			}
		}
		for _, badge := range []string{"B1001", "B1002", "B4001"} {
			if who[badge] {
				t.Errorf("%s: the login audit shows the badge %s instead of the name", lang, badge)
			}
		}

		_, page = sup.get("/recall?sku=SKU00002&lot=" + url.QueryEscape(lot))
		want := say(lang, "recall.held_by", "name", "赵敏", "at", recalledAt, "reason", "供应商通知")
		if held := pageText(section(page, "recall-held")); !strings.Contains(htmlUnescape(held), want) {
			t.Errorf("%s: the recall report says %q, want %q", lang, held, want)
		}
		// the printed report says it too
		if resp, pdf := sup.get("/recall/report.pdf?sku=SKU00002&lot=" + url.QueryEscape(lot)); resp.StatusCode == 200 {
			if text, ok := pdfText(t, []byte(pdf)); ok && (!strings.Contains(text, "赵敏") || !strings.Contains(text, "供应商通知")) {
				t.Errorf("%s: the recall PDF does not say who recalled the lot and why:\n%s", lang, text)
			}
		}
	}
}
