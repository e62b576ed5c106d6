package server

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"tally/views"
	"tally/wms"
)

// langs are the languages every screen is tried in.
var langs = []string{views.LangZH, views.LangEN}

// say is what a screen says for a message key in lang, so tests in both
// languages compare with the catalogue rather than a copy of its words.
func say(lang, key string, args ...string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(args); i += 2 {
		m[args[i]] = args[i+1]
	}
	return views.Translate(lang, key, m)
}

// noWiderThan fails when the page scrolls sideways on a w-pixel screen.
func noWiderThan(t *testing.T, ctx context.Context, w int) {
	t.Helper()
	var width int
	if err := chromedp.Run(ctx, chromedp.Evaluate(`document.documentElement.scrollWidth`, &width)); err != nil {
		t.Fatal(err)
	}
	if width > w {
		t.Errorf("page is %dpx wide on a %dpx screen; %s", width, w, dump(ctx))
	}
}

// chromium finds the browser, or skips; under CI=true a missing browser fails.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{os.Getenv("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("CI=true but no Chromium: .ci/run must install it")
	}
	t.Skip("no Chromium on this machine; apt-get install chromium")
	return ""
}

// browser starts headless Chromium with a handheld's screen: 360×640, touch,
// asking for English pages.
func browser(t *testing.T) context.Context {
	t.Helper()
	return browserIn(t, views.LangEN, 360, 640)
}

// browserIn starts headless Chromium at w×h whose pages ask for lang (zh-CN
// or en); demo staff have no language of their own, so pages follow it.
func browserIn(t *testing.T, lang string, w, h int64) context.Context {
	t.Helper()
	accept := "en-US,en"
	if lang == views.LangZH {
		accept = "zh-CN,zh"
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(profile(t)),
		chromedp.WindowSize(int(w), int(h)),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("lang", strings.SplitN(accept, ",", 2)[0]),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 40*time.Second)
	t.Cleanup(cancel3)
	if err := chromedp.Run(ctx,
		emulation.SetDeviceMetricsOverride(w, h, 2, w <= 480),
		emulation.SetTouchEmulationEnabled(w <= 480),
		// a handheld's page keeps the focus: without this, headless Chromium
		// focuses its window before every key it sends, and the focused field
		// gets a focus event again (select-on-focus then eats what was typed)
		emulation.SetFocusEmulationEnabled(true),
		emulation.SetUserAgentOverride("Mozilla/5.0 (Linux; Android 11; PDA) Chrome/120 Mobile").WithAcceptLanguage(accept),
	); err != nil {
		t.Fatalf("%v %s", err, dump(ctx))
	}
	return ctx
}

// profile is a fresh browser profile; Chromium's helpers may still be writing
// to it as the test ends, so it is removed on a best-effort basis.
func profile(t *testing.T) string {
	dir, err := os.MkdirTemp("", "tally-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

// waitText waits until the first element matching sel has text containing want.
func waitText(t *testing.T, ctx context.Context, sel, want string) string {
	t.Helper()
	expr := fmt.Sprintf(`(function(){ var e = document.querySelector(%q); return e ? e.innerText : '' })()`, sel)
	var text string
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, cancel := context.WithTimeout(ctx, time.Second)
		err := chromedp.Run(c, chromedp.Evaluate(expr, &text))
		cancel()
		if err == nil && strings.Contains(text, want) {
			return text
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s says %q, want %q; %s", sel, text, want, dump(ctx))
	return ""
}

// liveServer serves the demo warehouse on a real port.
func liveServer(t *testing.T) string {
	t.Helper()
	s, _ := testServer(t)
	return serve(t, s)
}

// serve puts a server on a real port.
func serve(t *testing.T, s *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(func() { _ = s.Shutdown(context.Background()) })
	return "http://" + ln.Addr().String()
}

// wedge types a code into whatever has focus and presses Enter, as a
// handheld's built-in scanner does.
func wedge(code string) chromedp.Action { return chromedp.KeyEvent(code + "\r") }

func activeTestID(ctx context.Context) string {
	var id string
	_ = chromedp.Run(ctx, chromedp.Evaluate(`document.activeElement ? (document.activeElement.dataset.testid || document.activeElement.id || document.activeElement.tagName) : ''`, &id))
	return id
}

func TestBrowserLoginAndStockLookup(t *testing.T) {
	ctx := browser(t)
	base := liveServer(t)
	run := func(actions ...chromedp.Action) {
		t.Helper()
		if err := chromedp.Run(ctx, actions...); err != nil {
			t.Fatalf("%v %s", err, dump(ctx))
		}
	}

	// Log in with the scanner alone: badge + Enter moves to the PIN, PIN + Enter logs in.
	run(chromedp.Navigate(base + "/login"))
	waitJS(t, ctx, `document.documentElement.dataset.ready === '1'`)
	waitFocus(t, ctx, "badge")
	run(wedge("B7777"))
	waitFocus(t, ctx, "pin")
	run(chromedp.KeyEvent("1111\r"))
	waitText(t, ctx, `[data-feedback=error]`, "B7777 is not known")
	waitFocus(t, ctx, "badge")
	run(wedge("B1001"))
	waitFocus(t, ctx, "pin")
	run(chromedp.KeyEvent("1111\r"))
	waitText(t, ctx, `[data-testid=menu-stock]`, "Stock lookup")

	// Stock lookup: scan a location, then an item, then rubbish.
	run(chromedp.Evaluate(`document.querySelector('[data-testid=menu-stock]').click()`, nil))
	waitText(t, ctx, `h1`, "Stock lookup")
	waitJS(t, ctx, `document.documentElement.dataset.ready === '1'`)
	waitFocus(t, ctx, "scan")
	if got := evalString(t, ctx, `document.querySelector('[data-testid=scan]').getAttribute('inputmode')`); got != "none" {
		t.Errorf("scan box inputmode %q: the soft keyboard would hide the screen", got)
	}
	run(wedge("A01-01-01"))
	table := waitText(t, ctx, `[data-testid=stock-table]`, "SKU00000")
	if !strings.Contains(table, "Lot") {
		t.Errorf("stock table %q", table)
	}
	waitFocus(t, ctx, "scan") // ready for the next scan without a tap

	// the first demo SKU's GTIN, as a GS1-128 scan with AIM prefix
	gtin := demoGTIN(t, "SKU00000")
	run(wedge("]C101" + gtin + "10LOT"))
	waitText(t, ctx, `[data-feedback=ok]`, "SKU00000")
	// two scans in quick succession: the second is typed while the first is out
	run(wedge("A01-01-02"), wedge("6901234567890"))
	waitText(t, ctx, `[data-feedback=error]`, "check digit")
	waitFocus(t, ctx, "scan")
	if url := evalString(t, ctx, `location.href`); !strings.Contains(url, "/stock?code=6901234567890") {
		t.Errorf("address bar shows %q, want the last lookup", url)
	}
	run(wedge(demoLocation(t, "SKU00000")))
	waitText(t, ctx, `[data-testid=stock-table]`, "SKU00000")
	shot(t, ctx, "stock-lookup.png")
	var width int
	run(chromedp.Evaluate(`document.documentElement.scrollWidth`, &width))
	if width > 360 {
		t.Errorf("page is %dpx wide on a 360px screen", width)
	}
}

func evalString(t *testing.T, ctx context.Context, expr string) string {
	t.Helper()
	var out string
	c, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := chromedp.Run(c, chromedp.Evaluate(expr, &out)); err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return out
}

// waitJS waits until a JavaScript expression is true.
func waitJS(t *testing.T, ctx context.Context, expr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var ok bool
		c, cancel := context.WithTimeout(ctx, time.Second)
		err := chromedp.Run(c, chromedp.Evaluate(expr, &ok))
		cancel()
		if err == nil && ok {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("never true: %s; %s", expr, dump(ctx))
}

// shot saves a screenshot when SCREENSHOT_DIR is set, for a look at the screen.
func shot(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("SCREENSHOT_DIR")
	if dir == "" {
		return
	}
	var png []byte
	if err := chromedp.Run(ctx, chromedp.CaptureScreenshot(&png)); err != nil {
		t.Logf("screenshot: %v", err)
		return
	}
	_ = os.WriteFile(dir+"/"+name, png, 0o644)
}

// dump reports where the browser is, for a failure message.
func dump(ctx context.Context) string {
	var url, text string
	c, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	_ = chromedp.Run(c, chromedp.Evaluate(`location.href`, &url), chromedp.Evaluate(`document.body ? document.body.innerText : ''`, &text))
	return fmt.Sprintf("at %s (focus %q):\n%s", url, activeTestID(ctx), text)
}

func waitFocus(t *testing.T, ctx context.Context, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if activeTestID(ctx) == want {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("focus is on %q, want %q", activeTestID(ctx), want)
}

func demoLocation(t *testing.T, sku string) string {
	t.Helper()
	_, _, stock := wms.DemoData(time.Now())
	for _, r := range stock {
		if r.SKU == sku {
			return r.Location
		}
	}
	t.Fatalf("no demo stock of %s", sku)
	return ""
}

func demoGTIN(t *testing.T, sku string) string {
	t.Helper()
	skus, _, _ := wms.DemoData(time.Now())
	for _, s := range skus {
		if s.Code == sku {
			return s.GTINs[0]
		}
	}
	t.Fatalf("no demo SKU %s", sku)
	return ""
}

// runner runs chromedp actions and stops the test with where the browser was.
func runner(t *testing.T, ctx context.Context) func(...chromedp.Action) {
	return func(actions ...chromedp.Action) {
		t.Helper()
		if err := chromedp.Run(ctx, actions...); err != nil {
			t.Fatalf("%v %s", err, dump(ctx))
		}
	}
}

// loginAs logs in the way the floor does: the badge and Enter from the
// scanner, then the PIN and Enter; it waits for the home menu item.
func loginAs(t *testing.T, ctx context.Context, base, badge, pin, menu string) {
	t.Helper()
	run := runner(t, ctx)
	run(chromedp.Navigate(base + "/login"))
	waitJS(t, ctx, `document.documentElement.dataset.ready === '1'`)
	waitFocus(t, ctx, "badge")
	run(wedge(badge), chromedp.KeyEvent(pin+"\r"))
	waitJS(t, ctx, `!!document.querySelector('[data-testid=`+menu+`]')`)
}
