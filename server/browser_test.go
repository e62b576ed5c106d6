package server

import (
	"context"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"tally/wms"
)

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

// browser starts headless Chromium with a handheld's screen: 360×640, touch.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(360, 640),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("lang", "en-US"),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancel3)
	if err := chromedp.Run(ctx,
		emulation.SetDeviceMetricsOverride(360, 640, 2, true),
		emulation.SetTouchEmulationEnabled(true),
		emulation.SetUserAgentOverride("Mozilla/5.0 (Linux; Android 11; PDA) Chrome/120 Mobile").WithAcceptLanguage("en-US,en"),
	); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// liveServer serves the demo warehouse on a real port.
func liveServer(t *testing.T) string {
	t.Helper()
	s, _ := testServer(t)
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

	// Log in with the scanner alone: badge + Enter moves to the PIN, PIN + Enter logs in.
	if err := chromedp.Run(ctx, chromedp.Navigate(base+"/login"), chromedp.WaitVisible(`html[data-ready]`)); err != nil {
		t.Fatal(err)
	}
	waitFocus(t, ctx, "badge")
	if err := chromedp.Run(ctx, wedge("B7777")); err != nil {
		t.Fatal(err)
	}
	waitFocus(t, ctx, "pin")
	if err := chromedp.Run(ctx, chromedp.KeyEvent("1111\r"), chromedp.WaitVisible(`[data-feedback=error]`)); err != nil {
		t.Fatal(err)
	}
	var msg string
	if err := chromedp.Run(ctx, chromedp.Text(`[data-testid=feedback]`, &msg)); err != nil || !strings.Contains(msg, "B7777 is not known") {
		t.Fatalf("unknown badge message %q %v", msg, err)
	}
	waitFocus(t, ctx, "badge")
	if err := chromedp.Run(ctx, wedge("B1001")); err != nil {
		t.Fatal(err)
	}
	waitFocus(t, ctx, "pin")
	if err := chromedp.Run(ctx, chromedp.KeyEvent("1111\r"), chromedp.WaitVisible(`[data-testid=menu-stock]`), chromedp.WaitVisible(`html[data-ready]`)); err != nil {
		t.Fatal(err)
	}

	// Stock lookup: scan a location, then an item, then rubbish.
	if err := chromedp.Run(ctx, chromedp.Click(`[data-testid=menu-stock]`), chromedp.WaitVisible(`[data-testid=scan]`), chromedp.WaitVisible(`html[data-ready]`)); err != nil {
		t.Fatal(err)
	}
	waitFocus(t, ctx, "scan")
	var inputmode string
	if err := chromedp.Run(ctx, chromedp.AttributeValue(`[data-testid=scan]`, "inputmode", &inputmode, nil)); err != nil || inputmode != "none" {
		t.Errorf("scan box inputmode %q: the soft keyboard would hide the screen", inputmode)
	}
	var rows int
	var table string
	if err := chromedp.Run(ctx, wedge("A01-01-01"), chromedp.WaitVisible(`[data-testid=stock-table]`),
		chromedp.Evaluate(`document.querySelectorAll('[data-testid=stock-row]').length`, &rows),
		chromedp.Text(`[data-testid=stock-table]`, &table)); err != nil {
		t.Fatal(err)
	}
	if rows == 0 || !strings.Contains(table, "SKU00000") {
		t.Fatalf("location A01-01-01 shows %d rows: %q", rows, table)
	}
	waitFocus(t, ctx, "scan") // ready for the next scan without a tap

	// the first demo SKU's GTIN, as a GS1-128 scan with AIM prefix
	gtin := demoGTIN(t, "SKU00000")
	var heading string
	if err := chromedp.Run(ctx, wedge("]C101"+gtin+"10LOT"),
		chromedp.WaitVisible(`[data-feedback=ok]`),
		chromedp.Text(`[data-testid=feedback]`, &heading)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(heading, "SKU00000") {
		t.Errorf("item heading %q", heading)
	}
	if err := chromedp.Run(ctx, wedge("6901234567890"), chromedp.WaitVisible(`[data-feedback=error]`), chromedp.Text(`[data-testid=feedback]`, &msg)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(msg, "check digit") {
		t.Errorf("bad scan message %q", msg)
	}
	var width int
	if err := chromedp.Run(ctx, chromedp.Evaluate(`document.documentElement.scrollWidth`, &width)); err != nil || width > 360 {
		t.Errorf("page is %dpx wide on a 360px screen", width)
	}
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
