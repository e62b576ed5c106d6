package loadgen

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"tally/scan"
	"tally/server"
	"tally/wms"
)

// TestBrowserKPIDashboardAfterLoad runs the load generator for a few seconds
// against an in-process server, then a supervisor opens /kpi in headless
// Chromium: its lines picked are the figures computed from the events, every
// handheld is a person on it, and the lines are no more than the scans the
// server acknowledged. With TALLY_SCREENSHOT=1 it saves the dashboard at
// 1280×900 to docs/kpi-dashboard.png (the README shows it).
func TestBrowserKPIDashboardAfterLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a server for seconds and a browser")
	}
	chrome := chromiumPath(t)
	ctx := context.Background()
	dir := t.TempDir()
	l, err := wms.Open(dir, wms.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	if _, err := l.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	token, err := l.CreateToken(ctx, "loadgen", wms.RoleAdmin, "test")
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(server.Config{}, l, scan.NewParser(scan.DefaultPatterns()), slog.New(slog.NewTextHandler(io.Discard, nil)))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	base := "http://" + ln.Addr().String()

	const pdas = 4
	res, err := Run(ctx, Config{Addr: base, Token: token, PDAs: pdas, Duration: 3 * time.Second, Backlog: 16, Log: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if res.Events == 0 || res.Errors != 0 {
		t.Fatalf("the run: %s", res.Line())
	}
	// scans the run gave up waiting for may still land: wait for a quiet ledger
	var lines int64 = -1
	for quiet := 0; quiet < 5; {
		local := l.Now().In(l.Zone())
		f, err := l.Figures(wms.FiguresQuery{From: time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, l.Zone()), To: l.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if f.Totals.Counts.Lines == lines {
			quiet++
		} else {
			quiet, lines = 0, f.Totals.Counts.Lines
		}
		time.Sleep(100 * time.Millisecond)
	}
	if lines == 0 || lines > res.Events {
		t.Fatalf("figures: %d lines picked from %d acknowledged scans", lines, res.Events)
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chrome), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.UserDataDir(browserProfile(t)), chromedp.WindowSize(1280, 900), chromedp.Flag("lang", "en-US"))
	actx, cancel := chromedp.NewExecAllocator(ctx, opts...)
	defer cancel()
	bctx, cancel2 := chromedp.NewContext(actx)
	defer cancel2()
	bctx, cancel3 := context.WithTimeout(bctx, 60*time.Second)
	defer cancel3()
	run := func(actions ...chromedp.Action) {
		t.Helper()
		if err := chromedp.Run(bctx, actions...); err != nil {
			t.Fatal(err)
		}
	}
	run(emulation.SetDeviceMetricsOverride(1280, 900, 1, false),
		emulation.SetUserAgentOverride("Mozilla/5.0 (X11; Linux x86_64) Chrome/120").WithAcceptLanguage("en-US,en"),
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(`[data-testid=badge]`, chromedp.ByQuery),
		chromedp.SendKeys(`[data-testid=badge]`, "B4001\r", chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=pin]`, chromedp.ByQuery),
		chromedp.SendKeys(`[data-testid=pin]`, "4444\r", chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=menu-kpi]`, chromedp.ByQuery),
		chromedp.Navigate(base+"/kpi"),
		chromedp.WaitVisible(`[data-testid=kpi-totals]`, chromedp.ByQuery))
	var shown string
	var actors []string
	run(chromedp.AttributeValue(`[data-testid=kpi-totals]`, "data-lines", &shown, nil, chromedp.ByQuery),
		chromedp.Evaluate(`Array.from(document.querySelectorAll('[data-testid=kpi-row]')).map(r => r.dataset.actor)`, &actors))
	var text string
	run(chromedp.Text(`[data-testid=kpi-total-lines]`, &text, chromedp.ByQuery))
	if shown != strconv.FormatInt(lines, 10) || strings.TrimSpace(text) != shown {
		t.Errorf("the dashboard shows %s (%q) lines picked, the figures %d", shown, text, lines)
	}
	for i := 1; i <= pdas; i++ {
		actor := "token:loadgen/pda-" + strconv.Itoa(i)
		found := false
		for _, a := range actors {
			found = found || a == actor
		}
		if !found {
			t.Errorf("%s is not on the dashboard (%v)", actor, actors)
		}
	}
	var svgs int
	run(chromedp.Evaluate(`document.querySelectorAll('section.chart svg').length`, &svgs))
	if svgs != 4 {
		t.Errorf("%d charts drawn, want 4", svgs)
	}
	if os.Getenv("TALLY_SCREENSHOT") == "1" {
		var png []byte
		run(chromedp.CaptureScreenshot(&png))
		if err := os.WriteFile(filepath.Join("..", "docs", "kpi-dashboard.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// chromiumPath finds the browser, or skips; under CI=true a missing browser
// fails.
func chromiumPath(t *testing.T) string {
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
		t.Fatal("CI=true but no Chromium")
	}
	t.Skip("no Chromium on this machine")
	return ""
}

// browserProfile is a Chromium profile folder removed after the test,
// best effort: Chromium may still be writing to it as it exits, which must
// not fail a test that passed (t.TempDir's cleanup would).
func browserProfile(t *testing.T) string {
	dir, err := os.MkdirTemp("", "tally-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}
