package server

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"tally/scan"
	"tally/wms"
	"tally/wms/wmstest"
)

// The handheld on a full disk: a scan the server cannot save stays in the
// handheld's queue, the banner says the server's disk is full (not "no
// network") and how many scans wait, and once space is back the queue
// empties by itself and the pick is booked once. The disk is filled through
// the ledger's fault hook, so that the test shows the handheld's side in
// the same way everywhere (TestDiskFullAnswers fills a real tmpfs).
func TestBrowserPickDiskFull(t *testing.T) {
	for _, lang := range langs {
		t.Run(lang, func(t *testing.T) {
			disk := wmstest.HookDisk(t)
			l, err := wms.Open(disk.Dir, disk.Options(wms.Options{Now: func() time.Time { return time.Date(2026, 11, 11, 2, 0, 0, 0, time.UTC) },
				Zone: time.FixedZone("CST", 8*3600)}))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { l.Close() })
			bg := context.Background()
			if _, err := l.SeedDemo(bg); err != nil {
				t.Fatal(err)
			}
			if _, _, err := l.ReceiveOrder(bg, "", intake("SO510001", wms.LineIn{SKU: "SKU03000", Qty: 2}), "oms", "test"); err != nil {
				t.Fatal(err)
			}
			if _, err := l.ReleaseWave(bg, wms.WaveFilter{Mode: wms.WaveSingle}, "w-disk", "B4001", "test"); err != nil {
				t.Fatal(err)
			}
			s := New(Config{Version: "test"}, l, scan.NewParser(scan.DefaultPatterns()), slog.New(slog.NewTextHandler(io.Discard, nil)))
			base := serve(t, s)
			ctx := browserIn(t, lang, 360, 640)
			openPickTask(t, ctx, base)
			task, err := l.ActiveTaskOf("B1001")
			if err != nil || task == nil {
				t.Fatalf("no task in hand: %v", err)
			}
			ln := lineOf(t, *task, "SKU03000")
			run := runner(t, ctx)

			disk.Fill(t)
			atStep(t, ctx, ln.N, "location")
			run(wedge(ln.Location), wedge(itemCode(ln)))
			waitJS(t, ctx, `!document.getElementById('queue').hidden && document.getElementById('queue').dataset.diskFull === 'true'`)
			waitText(t, ctx, `#queue`, say(lang, "app.disk_full", "n", "1"))
			if got, _ := l.ActiveTaskOf("B1001"); got.Lines[0].Done != 0 {
				t.Fatalf("a pick booked on a full disk: %+v", got.Lines[0])
			}
			noWiderThan(t, ctx, 360)

			disk.Free(t)
			waitJS(t, ctx, `document.getElementById('pick').dataset.queue === '0' && document.getElementById('queue').hidden`)
			got, err := l.ActiveTaskOf("B1001")
			if err != nil || got.Lines[0].Done != 1 {
				t.Fatalf("after space came back: %+v %v", got, err)
			}
		})
	}
}
