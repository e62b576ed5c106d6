package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"tally/scan"
	"tally/wms"
)

// standbyOf makes a standby of the primary's store, caught up in process
// (as the follower does over HTTP), and its server.
func standbyOf(t *testing.T, primary *wms.Ledger) (*Server, *wms.Ledger) {
	t.Helper()
	dir := t.TempDir()
	l, err := wms.Open(dir, wms.Options{Now: func() time.Time { return time.Date(2026, 11, 11, 2, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if mm, err := l.Check(dir); err != nil || len(mm) > 0 {
			t.Errorf("standby check: %v %v", err, mm)
		}
		l.Close()
	})
	if err := l.Follow("http://10.0.0.11:8080"); err != nil {
		t.Fatal(err)
	}
	catchUp(t, primary, l)
	return New(Config{Version: "test"}, l, scan.NewParser(scan.DefaultPatterns()), slog.New(slog.NewTextHandler(io.Discard, nil))), l
}

func catchUp(t *testing.T, primary, standby *wms.Ledger) {
	t.Helper()
	for {
		page, err := primary.ReplicationPage(standby.LastSeq(), 500)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := standby.AdoptSecret(page.Secret); err != nil {
			t.Fatal(err)
		}
		if len(page.Events) == 0 {
			return
		}
		if _, err := standby.Replicate(context.Background(), page.Events); err != nil {
			t.Fatal(err)
		}
	}
}

func TestReplicationReadIsForReplicasAndAdmins(t *testing.T) {
	s, l := testServer(t)
	ctx := context.Background()
	tokens := map[wms.Role]string{}
	for _, role := range []wms.Role{wms.RoleReplica, wms.RoleAdmin, wms.RoleIntegration, wms.RoleSupervisor} {
		tok, err := l.CreateToken(ctx, string(role), role, "test")
		if err != nil {
			t.Fatal(err)
		}
		tokens[role] = tok
	}
	c := newClient(t, s)
	for role, want := range map[wms.Role]int{wms.RoleReplica: 200, wms.RoleAdmin: 200, wms.RoleIntegration: 403, wms.RoleSupervisor: 403} {
		c.bearer = tokens[role]
		resp, body := c.get("/api/v1/replication?after=0&limit=1000")
		if resp.StatusCode != want {
			t.Errorf("%s: %d, want %d: %.200s", role, resp.StatusCode, want, body)
		}
		if want != 200 {
			continue
		}
		var page wms.ReplicaPage
		if err := json.Unmarshal([]byte(body), &page); err != nil {
			t.Fatal(err)
		}
		// secrets included: a standby must log people in after a promotion
		if !strings.Contains(body, `"pin_hash"`) || len(page.Secret) != 32 || page.Events[0].Event.Seq != 1 {
			t.Errorf("%s: the page lacks the store's secrets: %.300s", role, body)
		}
	}
	c.bearer = tokens[wms.RoleReplica]
	if resp, _ := c.get("/api/v1/orders"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a replica token reads orders: %d", resp.StatusCode)
	}
	for _, q := range []string{"after=x", "limit=1001", "limit=0", "wait=-1", "after=99999999"} {
		if resp, _ := c.get("/api/v1/replication?" + q); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("?%s: %d, want 400", q, resp.StatusCode)
		}
	}
	// a long poll answers at the next commit
	done := make(chan string, 1)
	go func() {
		resp, body := newClientWith(t, s, tokens[wms.RoleReplica]).get("/api/v1/replication?wait=20s&after=" + itoa(int(l.LastSeq())))
		if resp.StatusCode != 200 {
			t.Errorf("long poll: %d", resp.StatusCode)
		}
		done <- body
	}()
	time.Sleep(100 * time.Millisecond)
	if _, err := l.CreateToken(ctx, "later", wms.RoleReplica, "test"); err != nil {
		t.Fatal(err)
	}
	select {
	case body := <-done:
		if !strings.Contains(body, `"token.created"`) {
			t.Errorf("long poll answered %.200s", body)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the long poll did not answer at the commit")
	}
}

func newClientWith(t *testing.T, s *Server, bearer string) *client {
	c := newClient(t, s)
	c.bearer = bearer
	return c
}

func TestStandbyRefusesWritesUntilPromoted(t *testing.T) {
	s, primary := testServer(t)
	admin, err := primary.CreateToken(context.Background(), "admin", wms.RoleAdmin, "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := primary.ReceiveOrder(context.Background(), "", wms.DemoOrders(time.Date(2026, 11, 11, 2, 0, 0, 0, time.UTC))[0], "oms", "test"); err != nil {
		t.Fatal(err)
	}
	// a supervisor logged in on the primary, with a page loaded there
	browser := newClient(t, s)
	if resp := browser.login("B4001", "4444"); resp.StatusCode >= 400 {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	browser.get("/floor")
	sb, standbyL := standbyOf(t, primary)
	browser.s = sb // the floor's address moved to the standby

	// reads work: the primary's session and token are the standby's too
	if resp, body := browser.get("/floor"); resp.StatusCode != 200 {
		t.Fatalf("a page on the standby: %d %.200s", resp.StatusCode, body)
	}
	// every page says it is the standby, how far behind, and read-only
	if _, body := browser.get("/floor"); !strings.Contains(body, `data-testid="standby-banner"`) ||
		!strings.Contains(untagged(body), "Standby of http://10.0.0.11:8080: not yet in touch with it; read-only") {
		t.Errorf("the standby's banner before the follower's first answer: %.2000s", body)
	}
	contact := time.Date(2026, 11, 11, 2, 0, 0, 0, time.UTC)
	sb.cfg.Standby = fixedLink{StandbyStatus{Primary: "http://10.0.0.11:8080", LagEvents: 42, LagSeconds: 1.5, LastContact: &contact}}
	for lang, want := range map[string]string{
		"en":    "Standby of http://10.0.0.11:8080: 42 events / 1.5 s behind; read-only",
		"zh-CN": "这是 http://10.0.0.11:8080 的备用服务器：落后 42 个事件 / 1.5 秒；只读",
	} {
		browser.lang = lang
		if _, body := browser.get("/floor"); !strings.Contains(untagged(body), want) {
			t.Errorf("%s: the standby's banner on a page: %.2000s", lang, body)
		}
		anon := newClient(t, sb)
		anon.lang = lang
		if _, body := anon.get("/login"); !strings.Contains(untagged(body), want) {
			t.Errorf("%s: the standby's banner on the login page: %.2000s", lang, body)
		}
	}
	browser.lang = "en"
	api := newClientWith(t, sb, admin)
	if resp, _ := api.get("/api/v1/orders"); resp.StatusCode != 200 {
		t.Fatalf("a read on the standby: %d", resp.StatusCode)
	}
	// writes are refused, in both languages, naming the primary
	for lang, want := range map[string]string{"en": "This is the standby; the primary is ", "zh-CN": "这是备用服务器，主服务器是 "} {
		api.lang = lang
		resp, body := api.do("POST", "/api/v1/waves", strings.NewReader(`{"mode":"single"}`), map[string]string{"Content-Type": "application/json", "Idempotency-Key": "w-" + lang})
		if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, want) || !strings.Contains(body, `"code":"standby"`) {
			t.Errorf("%s: %d %s", lang, resp.StatusCode, body)
		}
		browser.lang = lang
		resp, page := browser.post("/floor/waves", url.Values{"mode": {"single"}})
		if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(htmlUnescape(page), want) || !strings.Contains(page, "10.0.0.11:8080") {
			t.Errorf("%s: a form on the standby: %d %.300s", lang, resp.StatusCode, page)
		}
		floor := newClient(t, sb)
		floor.lang = lang
		if resp := floor.login("B1001", "1111"); resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("%s: a login on the standby: %d", lang, resp.StatusCode)
		}
	}
	before := standbyL.LastSeq()
	if before != primary.LastSeq() {
		t.Fatalf("the standby wrote: %d, primary %d", before, primary.LastSeq())
	}
	var h struct {
		Node struct {
			Role    string
			Primary string
		}
	}
	if _, body := api.get("/healthz"); json.Unmarshal([]byte(body), &h) != nil || h.Node.Role != "standby" || h.Node.Primary != "http://10.0.0.11:8080" {
		t.Errorf("/healthz on the standby: %s", body)
	}

	// promoted: the same page's form (its token was signed by the primary) is taken
	api.lang = "en"
	resp, body := api.do("POST", "/api/v1/standby/promote", nil, nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `"epoch":2`) {
		t.Fatalf("promote: %d %s", resp.StatusCode, body)
	}
	resp, page := browser.post("/floor/waves", url.Values{"mode": {"single"}, "max_orders": {"1"}})
	if resp.StatusCode >= 400 {
		t.Fatalf("a form after the promotion: %d %.300s", resp.StatusCode, page)
	}
	if _, body := browser.get("/floor"); strings.Contains(body, "standby-banner") {
		t.Errorf("the banner after the promotion: %.2000s", body)
	}
	if ev, err := standbyL.EventsOfType(1, wms.EvWaveReleased); err != nil || len(ev) != 1 || ev[0].Epoch != 2 {
		t.Fatalf("the wave after the promotion: %+v %v", ev, err)
	}
	if resp, _ := api.do("POST", "/api/v1/standby/promote", nil, nil); resp.StatusCode != http.StatusConflict {
		t.Errorf("a second promotion: %d", resp.StatusCode)
	}
}

func TestJobsWaitForAPromotion(t *testing.T) {
	_, primary := testServer(t)
	sb, standbyL := standbyOf(t, primary)
	runs := make(chan string, 10)
	for _, j := range []Job{
		{Name: "every", Every: 10 * time.Millisecond, Run: func(context.Context) error { runs <- "every"; return nil }},
		{Name: "loop", Run: func(ctx context.Context) error { runs <- "loop"; <-ctx.Done(); return nil }},
		{Name: "follower", OnStandby: true, Run: func(ctx context.Context) error { runs <- "follower"; <-ctx.Done(); return nil }},
	} {
		if err := sb.Jobs().Add(j); err != nil {
			t.Fatal(err)
		}
	}
	if err := sb.Jobs().Start(); err != nil {
		t.Fatal(err)
	}
	defer sb.Jobs().Stop(context.Background())
	if got := <-runs; got != "follower" {
		t.Fatalf("first run on the standby: %s", got)
	}
	select {
	case got := <-runs:
		t.Fatalf("%s ran on the standby", got)
	case <-time.After(200 * time.Millisecond):
	}
	if _, err := standbyL.Promote(context.Background(), "B9001", "test"); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for len(seen) < 2 {
		select {
		case got := <-runs:
			seen[got] = true
		case <-time.After(5 * time.Second):
			t.Fatalf("after the promotion only %v ran", seen)
		}
	}
}

// fixedLink is a follower that always reports the same lag.
type fixedLink struct{ st StandbyStatus }

func (f fixedLink) StandbyStatus() StandbyStatus { return f.st }

// untagged is a page's HTML without its tags: the text as it reads.
func untagged(page string) string { return htmlUnescape(htmlTag.ReplaceAllString(page, "")) }
