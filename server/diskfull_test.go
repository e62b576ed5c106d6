package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"tally/scan"
	"tally/wms"
	"tally/wms/wmstest"
)

// lockedBuffer is a log the server writes from several requests at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *lockedBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *lockedBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// TestDiskFullAnswers fills the server's disk (a real tmpfs where the test
// may mount, the ledger's fault hook otherwise) under a picker holding a
// task, and reads what every side is told: the handheld's scan (JSON, both
// languages), a page, the supervisor's banner, /healthz and /metrics, and
// the log (one line a minute, however many requests). Reads go on; freeing
// the space is enough for the same scan to go through.
func TestDiskFullAnswers(t *testing.T) {
	t.Run("tmpfs", func(t *testing.T) { testDiskFullAnswers(t, wmstest.SmallDisk(t, 64<<20)) })
	t.Run("hook", func(t *testing.T) { testDiskFullAnswers(t, wmstest.HookDisk(t)) })
}

func testDiskFullAnswers(t *testing.T, disk *wmstest.Disk) {
	now := time.Date(2026, 11, 11, 2, 0, 0, 0, time.UTC)
	var clockMu sync.Mutex
	clock := func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return now }
	tick := func(d time.Duration) { clockMu.Lock(); now = now.Add(d); clockMu.Unlock() }
	l, err := wms.Open(disk.Dir, disk.Options(wms.Options{Now: clock, Zone: time.FixedZone("CST", 8*3600)}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	ctx := context.Background()
	if _, err := l.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	s := New(Config{Version: "test"}, l, scan.NewParser(scan.DefaultPatterns()), slog.New(slog.NewTextHandler(logs, nil)))

	for i := range 2 {
		if _, _, err := l.ReceiveOrder(ctx, "", intake(fmt.Sprintf("SO80010%d", i), wms.LineIn{SKU: "SKU03000", Qty: 3}), "oms", "test"); err != nil {
			t.Fatal(err)
		}
	}
	if w, err := l.ReleaseWave(ctx, wms.WaveFilter{Mode: wms.WaveSingle, MaxOrders: 2}, "disk-wave", "B4001", "test"); err != nil {
		t.Fatal(err)
	} else if len(w.Tasks) != 2 {
		t.Fatalf("wave %+v, want two tasks", w)
	}
	for i := range 20 { // for a wave released from the floor page once the disk is full
		if _, _, err := l.ReceiveOrder(ctx, "", intake(fmt.Sprintf("SO80020%d", i), wms.LineIn{SKU: "SKU03000", Qty: 1}), "oms", "test"); err != nil {
			t.Fatal(err)
		}
	}
	tok, err := l.CreateToken(ctx, "pda", wms.RolePicker, "test")
	if err != nil {
		t.Fatal(err)
	}
	pda := newClient(t, s)
	pda.bearer = tok
	admin := newClient(t, s)
	if admin.bearer, err = l.CreateToken(ctx, "backup", wms.RoleAdmin, "test"); err != nil {
		t.Fatal(err)
	}
	var task wms.Task
	if resp, text := pda.do("POST", "/api/v1/tasks/next", nil, nil); resp.StatusCode != 200 || json.Unmarshal([]byte(text), &task) != nil {
		t.Fatalf("next task: %d %s", resp.StatusCode, text)
	}
	line := task.Lines[0]
	scanBody := fmt.Sprintf(`{"type": "pick", "line": %d, "location": %q, "codes": [%q]}`, line.N, line.Location, line.GTINs[0][1:])
	scanTask := func(c *client, key string) (int, apiError) {
		t.Helper()
		resp, text := c.do("POST", "/api/v1/tasks/"+task.ID+"/scans", strings.NewReader(scanBody),
			map[string]string{"Content-Type": "application/json", "Idempotency-Key": key})
		var out apiError
		_ = json.Unmarshal([]byte(text), &out)
		return resp.StatusCode, out
	}
	super := newClient(t, s)
	super.login("B4001", "4444")
	if _, page := super.get("/"); strings.Contains(page, "disk-full-banner") {
		t.Fatal("a disk-full banner before the disk filled")
	}

	// Fill the disk, then use up the pages bbolt freed before (writes that
	// still commit: after a failed commit bbolt reloads its free list, which
	// may give back the pages the last commit freed) with the smallest
	// writes there are, so that every write from here on needs new space.
	disk.Fill(t)
	filler := 0
	exhaust := func() {
		t.Helper()
		for refused := 0; refused < 3; filler++ {
			ev, err := wms.NewEvent(fmt.Sprintf("f%d", filler), wms.EvSKUUpserted, "B9001", "t", wms.SKU{Code: fmt.Sprintf("F%d", filler), Name: "f"})
			if err != nil {
				t.Fatal(err)
			}
			switch _, _, err = l.Append(ctx, ev); {
			case wms.ErrorCode(err) == wms.CodeUnavailable:
				refused++
			case err != nil || filler == 5000:
				t.Fatalf("filling the ledger: %v after %d writes", err, filler)
			default:
				refused = 0
			}
		}
	}
	exhaust()
	seq := l.LastSeq()

	// the handheld: 507 and the reason, in its language; many scans, one log line
	for i := range 20 {
		st, e := scanTask(pda, "scan-1")
		if st != 507 || e.Code != "unavailable" || e.Key != "disk.full" || !strings.Contains(e.Error, "The server's disk is full") {
			t.Fatalf("scan %d on a full disk: %d %+v", i, st, e)
		}
	}
	pda.lang = "zh-CN"
	if st, e := scanTask(pda, "scan-1"); st != 507 || !strings.Contains(e.Error, "服务器磁盘已满") {
		t.Fatalf("scan in Chinese: %d %+v", st, e)
	}
	pda.lang = "en"
	if l.LastSeq() != seq {
		t.Fatalf("refused writes moved the log from %d to %d", seq, l.LastSeq())
	}
	// a page (the floor page's wave release): the words and the banner,
	// never "Something went wrong"
	super.get("/floor") // its CSRF token
	exhaust()
	seq = l.LastSeq()
	resp, page := super.post("/floor/waves", url.Values{"mode": {"cluster"}, "max_orders": {"20"}, "cluster_size": {"4"}, "key": {"disk-wave-page"}})
	if resp.StatusCode != 507 || !strings.Contains(page, "The server&#39;s disk is full: nothing can be saved") || !strings.Contains(page, `data-testid="disk-full-banner"`) ||
		strings.Contains(page, "Something went wrong") || l.LastSeq() != seq {
		t.Fatalf("page on a full disk: %d, seq %d->%d\n%s", resp.StatusCode, seq, l.LastSeq(), page)
	}
	// reads go on; the supervisor's banner says since when and what is left
	if resp, text := pda.get("/api/v1/tasks/" + task.ID); resp.StatusCode != 200 {
		t.Fatalf("read on a full disk: %d %s", resp.StatusCode, text)
	}
	if resp, page := super.get("/"); resp.StatusCode != 200 || !strings.Contains(page, `data-testid="disk-full-banner"`) ||
		!strings.Contains(page, "since 2026-11-11 10:00") || !strings.Contains(page, disk.Dir) {
		t.Fatalf("supervisor's page on a full disk: %d\n%s", resp.StatusCode, page)
	}
	// a backup needs no room on the store's disk (on a real full disk the
	// download streams from a read transaction instead of a copy beside the store)
	resp, body := admin.get("/api/v1/backup")
	copyPath := filepath.Join(t.TempDir(), "backup.db")
	if err := os.WriteFile(copyPath, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := wms.VerifyBackup(copyPath); resp.StatusCode != 200 || err != nil || got != l.LastSeq() || resp.Header.Get("X-Tally-Last-Seq") != strconv.FormatUint(got, 10) {
		t.Fatalf("backup on a full disk: %d %q, holds events to %d (%v), want %d", resp.StatusCode, resp.Header.Get("X-Tally-Last-Seq"), got, err, l.LastSeq())
	}
	if streamed := strings.Contains(logs.String(), `msg="backup streamed from a read transaction`); streamed != disk.Real {
		t.Fatalf("backup streamed %v on a real full disk %v", streamed, disk.Real)
	}
	if resp, body := newClient(t, s).get("/healthz"); resp.StatusCode != 503 || !strings.Contains(body, `"status":"disk_full"`) ||
		!strings.Contains(body, `"disk_free_bytes"`) {
		t.Fatalf("healthz on a full disk: %d %s", resp.StatusCode, body)
	}
	if _, body := super.get("/metrics"); !strings.Contains(body, "\ntally_disk_full 1\n") || !strings.Contains(body, "\ntally_disk_free_bytes ") {
		t.Fatalf("metrics on a full disk:\n%s", body)
	}
	fullLines := func() int {
		return strings.Count(logs.String(), `msg="disk full: nothing can be saved until space is freed"`)
	}
	if n := fullLines(); n != 1 || !strings.Contains(logs.String(), "free_bytes=") || strings.Contains(logs.String(), "level=ERROR msg=http") {
		t.Fatalf("%d disk-full lines (want 1) after 23 refusals:\n%s", n, logs.String())
	}
	s.reportDisk() // the disk job's turn, within the minute
	tick(61 * time.Second)
	if st, _ := scanTask(pda, "scan-1"); st != 507 {
		t.Fatalf("scan a minute later: %d", st)
	}
	if n := fullLines(); n != 2 {
		t.Fatalf("%d disk-full lines a minute later, want 2:\n%s", n, logs.String())
	}

	// space is back: the same scan goes through, nothing to reset
	disk.Free(t)
	if st, e := scanTask(pda, "scan-1"); st != 200 {
		t.Fatalf("the scan once space is back: %d %+v", st, e)
	}
	s.reportDisk()
	if !strings.Contains(logs.String(), `msg="disk space is back: writes are saved again"`) {
		t.Fatalf("no line when space came back:\n%s", logs.String())
	}
	// full again within the minute (the freed space eaten at once): no
	// second line until the minute is up, and one "back" per "full" line
	disk.Fill(t)
	exhaust()
	for range 5 {
		scanTask(pda, "scan-2")
	}
	s.reportDisk()
	disk.Free(t)
	scanTask(pda, "scan-2")
	s.reportDisk()
	if n, back := fullLines(), strings.Count(logs.String(), `msg="disk space is back`); n != 2 || back != 1 {
		t.Fatalf("disk full again within the minute: %d full lines (want 2), %d back (want 1):\n%s", n, back, logs.String())
	}
	if resp, body := newClient(t, s).get("/healthz"); resp.StatusCode != 200 || !strings.Contains(body, `"status":"ok"`) {
		t.Fatalf("healthz after recovery: %d %s", resp.StatusCode, body)
	}
	if _, body := super.get("/metrics"); !strings.Contains(body, "\ntally_disk_full 0\n") || !strings.Contains(body, "\ntally_disk_full_refusals_total ") {
		t.Fatalf("metrics after recovery:\n%s", body)
	}
	if _, page := super.get("/"); strings.Contains(page, "disk-full-banner") {
		t.Fatal("the banner stayed after recovery")
	}
	if mm, err := l.Check(disk.Dir); err != nil || len(mm) > 0 {
		t.Fatalf("check after recovery: %v %v", err, mm)
	}
}
