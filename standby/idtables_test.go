package standby_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"tally/wms"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// syncBuffer is a log the follower writes from its goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestNewStandbyFetchesIDTable: a standby started empty after the primary
// moved IDs and keys to an ID table (ids.archived) lacks the keys' records
// the primary moved, so it cannot build the table the event names; it
// reads the primary's file through the replication route, checks it and
// carries on, and ends with the primary's state (both stores checked).
// The route refuses names that are not a table's and callers without a
// replica's or admin's token.
func TestNewStandbyFetchesIDTable(t *testing.T) {
	ctx := context.Background()
	dirP, dirS := filepath.Join(t.TempDir(), "primary"), filepath.Join(t.TempDir(), "standby")
	clk := &clock{t: time.Date(2026, 11, 11, 2, 0, 0, 0, time.UTC)}
	primary, err := wms.Open(dirP, wms.Options{Now: clk.Now, Zone: time.FixedZone("CST", 8*3600)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if mm, err := primary.Check(dirP); err != nil || len(mm) > 0 {
			t.Errorf("check the primary: %v %v", mm, err)
		}
		primary.Close()
	})
	standbyL := open(t, dirS)
	if _, err := primary.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	tmpl := wms.DemoOrders(clk.Now())[0]
	for i, key := range []string{"key-a", "key-b", "key-c"} {
		if _, _, err := primary.ReceiveOrder(ctx, key, order(tmpl, "IDT-"+string(rune('1'+i))), "token:oms", "test"); err != nil {
			t.Fatal(err)
		}
	}
	clk.Add(11 * 24 * time.Hour)
	r := wms.DefaultRetention()
	r.Events = 0
	run, err := primary.Archive(ctx, r, "system", "test")
	if err != nil || run.IDs == 0 {
		t.Fatalf("archive: %+v %v", run, err)
	}
	if _, _, err := primary.ReceiveOrder(ctx, "key-d", order(tmpl, "IDT-9"), "token:oms", "test"); err != nil {
		t.Fatal(err)
	}
	tables, _ := filepath.Glob(filepath.Join(primary.ArchiveDir(), "*.ids"))
	if len(tables) != 1 {
		t.Fatalf("the primary's tables: %v", tables)
	}
	name := filepath.Base(tables[0])

	token, err := primary.CreateToken(ctx, "standby", wms.RoleReplica, "test")
	if err != nil {
		t.Fatal(err)
	}
	picker, err := primary.CreateToken(ctx, "pda", wms.RolePicker, "test")
	if err != nil {
		t.Fatal(err)
	}
	primaryURL, _ := servePrimary(t, primary)

	// the route: a table's name only, a replica's or admin's token only
	route := primaryURL + "/api/v1/replication/id-tables/"
	for _, c := range []struct {
		path, token string
		status      int
	}{
		{name, token, 200},
		{name, "", 401},
		{name, picker, 403},
		{"2026-01.0123456789abcdef.ids", token, 404},
		{"2026-11.ids", token, 400},
		{"..%2Ftally.db", token, 400},
		{strings.TrimSuffix(name, ".ids") + ".IDS", token, 400},
	} {
		req, _ := http.NewRequest(http.MethodGet, route+c.path, nil)
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body bytes.Buffer
		_, _ = body.ReadFrom(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Fatalf("GET %s: %d %s, want %d", c.path, resp.StatusCode, clipBody(body.String()), c.status)
		}
		if c.status == 200 {
			want, _ := os.ReadFile(tables[0])
			if !bytes.Equal(body.Bytes(), want) {
				t.Fatalf("GET %s: %d bytes, not the file's %d", c.path, body.Len(), len(want))
			}
		}
	}

	// a new standby follows, fetches the table and catches up
	var logged syncBuffer
	f, _, stopFollowing := follow(t, standbyL, primaryURL, token, time.Second, slog.New(slog.NewTextHandler(&logged, nil)))
	waitFor(t, "the standby to catch up", 20*time.Second, func() bool { return standbyL.LastSeq() == primary.LastSeq() })
	if !strings.Contains(logged.String(), "fetched the primary's ID table") {
		t.Fatalf("the standby did not fetch the table (it built its own?): %s", logged.String())
	}
	got, err := os.ReadFile(filepath.Join(standbyL.ArchiveDir(), name))
	want, _ := os.ReadFile(tables[0])
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("the standby's copy of %s: %d bytes, %v", name, len(got), err)
	}
	if st := f.StandbyStatus(); st.Error != "" || st.LagEvents != 0 {
		t.Fatalf("caught up, the standby reports %+v", st)
	}
	// the archived keys are still bound on the standby: a repeat is the
	// first answer
	stopFollowing()
	if _, err := standbyL.Promote(ctx, "B9001", "cli"); err != nil {
		t.Fatal(err)
	}
	o, dup, err := standbyL.ReceiveOrder(ctx, "key-a", order(tmpl, "IDT-1"), "token:oms", "test")
	if err != nil || !dup || o.No != "IDT-1" {
		t.Fatalf("a repeat of an archived key on the promoted standby: %s %v %v", o.No, dup, err)
	}
}

func clipBody(s string) string {
	if len(s) > 200 {
		return s[:200]
	}
	return s
}

// TestNewStandbyAfterManyIDRuns: four ID runs in one month leave four
// tables on the primary, one a run, none deleted; a standby started empty
// afterwards replays from the first ids.archived event and fetches each
// run's table it cannot build (the primary still has every one), catches
// up and, promoted, answers every archived key's repeat with its first
// answer.
func TestNewStandbyAfterManyIDRuns(t *testing.T) {
	ctx := context.Background()
	dirP, dirS := filepath.Join(t.TempDir(), "primary"), filepath.Join(t.TempDir(), "standby")
	clk := &clock{t: time.Date(2026, 11, 1, 2, 0, 0, 0, time.UTC)}
	primary, err := wms.Open(dirP, wms.Options{Now: clk.Now, Zone: time.FixedZone("CST", 8*3600)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { primary.Close() })
	standbyL := open(t, dirS)
	if _, err := primary.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	tmpl := wms.DemoOrders(clk.Now())[0]
	r := wms.DefaultRetention()
	r.Events, r.Keys, r.IDs = 0, 24*time.Hour, 24*time.Hour
	keys := []string{"many-a", "many-b", "many-c", "many-d"}
	for i, key := range keys {
		if _, _, err := primary.ReceiveOrder(ctx, key, order(tmpl, "MANY-"+string(rune('1'+i))), "token:oms", "test"); err != nil {
			t.Fatal(err)
		}
		clk.Add(2 * 24 * time.Hour)
		run, err := primary.Archive(ctx, r, "system", "test")
		if err != nil || run.IDs == 0 {
			t.Fatalf("run %d: %+v %v", i+1, run, err)
		}
	}
	tables, _ := filepath.Glob(filepath.Join(primary.ArchiveDir(), "2026-11.*.ids"))
	if len(tables) != len(keys) {
		t.Fatalf("the primary's tables after %d runs in the month: %v", len(keys), tables)
	}
	if mm, err := primary.Check(dirP); err != nil || len(mm) > 0 {
		t.Fatalf("check the primary: %v %v", mm, err)
	}

	token, err := primary.CreateToken(ctx, "standby", wms.RoleReplica, "test")
	if err != nil {
		t.Fatal(err)
	}
	primaryURL, _ := servePrimary(t, primary)

	// a download a killed standby left is removed when it follows again
	if err := os.MkdirAll(standbyL.ArchiveDir(), 0o750); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(standbyL.ArchiveDir(), filepath.Base(tables[0])+".fetch-123")
	if err := os.WriteFile(stale, []byte("half a table"), 0o640); err != nil {
		t.Fatal(err)
	}
	// and so are the tables it was building itself
	builds := []string{filepath.Join(standbyL.ArchiveDir(), "2026-11.ids.tmp-456"), filepath.Join(standbyL.ArchiveDir(), "2026-11.lots.tmp-789")}
	for _, p := range builds {
		if err := os.WriteFile(p, []byte("half a build"), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	var logged syncBuffer
	f, _, stopFollowing := follow(t, standbyL, primaryURL, token, time.Second, slog.New(slog.NewTextHandler(&logged, nil)))
	waitFor(t, "the standby to catch up", 30*time.Second, func() bool { return standbyL.LastSeq() == primary.LastSeq() })
	if st := f.StandbyStatus(); st.Error != "" || st.LagEvents != 0 {
		t.Fatalf("caught up, the standby reports %+v", st)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("the stale download is still there: %v", err)
	}
	for _, p := range builds {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Fatalf("the stale build %s is still there: %v", filepath.Base(p), err)
		}
	}
	fetched := strings.Count(logged.String(), "fetched the primary's ID table")
	if fetched < 3 {
		t.Fatalf("the standby fetched %d tables, want the runs' it could not build (3 or more): %s", fetched, logged.String())
	}
	for _, p := range tables {
		got, err := os.ReadFile(filepath.Join(standbyL.ArchiveDir(), filepath.Base(p)))
		want, _ := os.ReadFile(p)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("the standby's copy of %s: %d bytes, %v", filepath.Base(p), len(got), err)
		}
	}
	stopFollowing()
	if mm, err := standbyL.Check(dirS); err != nil || len(mm) > 0 {
		t.Fatalf("check the standby: %v %v", mm, err)
	}
	if _, err := standbyL.Promote(ctx, "B9001", "cli"); err != nil {
		t.Fatal(err)
	}
	for i, key := range keys {
		o, dup, err := standbyL.ReceiveOrder(ctx, key, order(tmpl, "MANY-"+string(rune('1'+i))), "token:oms", "test")
		if err != nil || !dup || o.No != "MANY-"+string(rune('1'+i)) {
			t.Fatalf("a repeat of archived key %s on the promoted standby: %s %v %v", key, o.No, dup, err)
		}
	}
}
