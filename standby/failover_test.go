package standby_test

// The pair end to end, in one process over loopback HTTP: a primary under
// concurrent writers that pushes to the fake OMS, a standby following it
// through the replication read, a failover (the primary cut off, the
// standby promoted), the old primary still writing and pushing its late
// events — refused by the OMS for their epoch — while the promoted node's
// are taken; and both stores sound.

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"tally/scan"
	"tally/server"
	"tally/standby"
	"tally/syncer"
	"tally/syncer/fakeoms"
	"tally/wms"
)

const omsToken = "tok-failover-0123456789abcdef"

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func open(t *testing.T, dir string) *wms.Ledger {
	t.Helper()
	l, err := wms.Open(dir, wms.Options{Zone: time.FixedZone("CST", 8*3600)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		mm, err := l.Check(dir) // what `tally check` does
		if err != nil {
			t.Errorf("check %s: %v", dir, err)
		}
		for _, m := range mm {
			t.Errorf("check %s: %s", dir, m)
		}
		l.Close()
	})
	return l
}

// order is a demo order under a number of its own.
func order(tmpl wms.OrderIntake, no string) wms.OrderIntake {
	tmpl.No = no
	return tmpl
}

func runSyncer(t *testing.T, l *wms.Ledger) context.CancelFunc {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	sy := syncer.New(l, syncer.Options{Log: quiet})
	go func() { defer close(done); _ = sy.Run(ctx) }()
	stop := func() { cancel(); <-done }
	t.Cleanup(stop)
	return sync.OnceFunc(stop)
}

// waitFor polls cond until it holds or the time is up.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func received(t *testing.T, oms *fakeoms.OMS) map[string]fakeoms.Received {
	t.Helper()
	rr, err := oms.Received()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]fakeoms.Received{}
	for _, r := range rr {
		out[r.ID] = r
	}
	return out
}

func TestFailoverUnderLoad(t *testing.T) {
	ctx := context.Background()
	dirP, dirS := filepath.Join(t.TempDir(), "primary"), filepath.Join(t.TempDir(), "standby")
	primary, standbyL := open(t, dirP), open(t, dirS)
	if _, err := primary.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	token, err := primary.CreateToken(ctx, "standby", wms.RoleReplica, "test")
	if err != nil {
		t.Fatal(err)
	}
	admin, err := primary.CreateToken(ctx, "admin", wms.RoleAdmin, "test")
	if err != nil {
		t.Fatal(err)
	}

	// the central OMS, and the primary's link to it
	oms, err := fakeoms.New(fakeoms.Options{Path: filepath.Join(t.TempDir(), "oms.db"), Base: "/tally/v1", Token: omsToken})
	if err != nil {
		t.Fatal(err)
	}
	omsSrv := httptest.NewServer(oms.Handler())
	t.Cleanup(func() { omsSrv.Close(); oms.Close() })
	if _, err := primary.SaveUpstream(ctx, "", wms.Upstream{Name: "oms", Dialect: wms.DialectTally, URL: omsSrv.URL + "/tally/v1", Token: omsToken}, "B9001", "test"); err != nil {
		t.Fatal(err)
	}
	stopPrimarySync := runSyncer(t, primary)

	// the primary's HTTP server, as `tally serve` runs it
	primaryURL, cutOff := servePrimary(t, primary)

	// the standby follows
	f, followed, _ := follow(t, standbyL, primaryURL, token, 2*time.Second, quiet)
	srvS := server.New(server.Config{Standby: f}, standbyL, scan.NewParser(scan.DefaultPatterns()), quiet)

	// the primary under concurrent writers; the lag sampled meanwhile
	tmpl := wms.DemoOrders(time.Now())[0]
	const writers, each = 8, 40
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if _, _, err := primary.ReceiveOrder(ctx, "", order(tmpl, fmt.Sprintf("LD%d-%03d", w, i)), "token:oms", "test"); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	loadDone := make(chan struct{})
	var maxLag uint64
	var maxReported server.StandbyStatus
	go func() {
		for {
			select {
			case <-loadDone:
				return
			case <-time.After(2 * time.Millisecond):
			}
			if lag := primary.LastSeq() - min(standbyL.LastSeq(), primary.LastSeq()); lag > maxLag {
				maxLag = lag
			}
			if st := f.StandbyStatus(); st.LagEvents >= maxReported.LagEvents {
				maxReported = st
			}
		}
	}()
	start := time.Now()
	wg.Wait()
	took := time.Since(start)
	waitFor(t, "the standby to catch up", 20*time.Second, func() bool { return standbyL.LastSeq() == primary.LastSeq() })
	close(loadDone)
	t.Logf("load: %d orders by %d writers in %s; standby lag at most %d events (reported at most %d events, %.3f s)",
		writers*each, writers, took.Round(time.Millisecond), maxLag, maxReported.LagEvents, maxReported.LagSeconds)

	// the standby says how far behind it is, on /healthz and /metrics
	st := f.StandbyStatus()
	if st.AppliedSeq != primary.LastSeq() || st.LagEvents != 0 || st.LagSeconds > 5 || st.Error != "" || st.LastContact == nil {
		t.Fatalf("caught up, the standby reports %+v", st)
	}
	metrics := get(t, srvS, "/metrics", admin)
	for _, want := range []string{"tally_standby_lag_events 0\n", "tally_standby_lag_seconds ", "tally_standby 1\n", "tally_epoch 1\n"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if h := get(t, srvS, "/healthz", ""); !strings.Contains(h, `"role":"standby"`) || !strings.Contains(h, `"lag_events":0`) {
		t.Errorf("/healthz: %s", h)
	}
	// every outward event reached the OMS from the primary before the failover
	waitFor(t, "the primary's pushes", 20*time.Second, func() bool {
		n := 0
		for _, r := range received(t, oms) {
			if r.Type == wms.EvOrderReceived {
				n++
			}
		}
		return n == writers*each
	})

	// the failover: the primary is cut off from the floor, the standby promoted
	cutOff()
	promoteAt := time.Now()
	p, err := standbyL.Promote(ctx, "B9001", "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := standbyL.ReceiveOrder(ctx, "", order(tmpl, "NEW-001"), "token:oms", "test"); err != nil {
		t.Fatalf("the first write on the promoted node: %v", err)
	}
	t.Logf("failover: promote -> first write accepted in %s (epoch %d after event %d)", time.Since(promoteAt).Round(time.Microsecond), p.Epoch, p.LastSeq)
	select {
	case err := <-followed:
		if err != nil {
			t.Fatalf("the follower ended with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the follower did not stop after the promotion")
	}
	stopPromotedSync := runSyncer(t, standbyL) // the upstream (and its token) came with the log
	waitFor(t, "the promoted node's first event upstream", 20*time.Second, func() bool { return hasOrder(t, oms, "NEW-001") })

	// the old primary, still running, writes late events and pushes them
	for i := range 3 {
		if _, _, err := primary.ReceiveOrder(ctx, "", order(tmpl, fmt.Sprintf("LATE-%d", i)), "token:oms", "test"); err != nil {
			t.Fatal(err)
		}
	}
	var dead []wms.DeadLetter
	waitFor(t, "the old primary's late events refused", 20*time.Second, func() bool {
		dead, err = primary.DeadLetters("oms")
		if err != nil {
			t.Fatal(err)
		}
		return len(dead) == 3
	})
	for _, d := range dead {
		if d.Code != "event.stale_epoch" {
			t.Errorf("dead letter %+v, want event.stale_epoch", d)
		}
	}
	for i := range 2 {
		if _, _, err := standbyL.ReceiveOrder(ctx, "", order(tmpl, fmt.Sprintf("NEW-%03d", i+2)), "token:oms", "test"); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the promoted node's events taken", 20*time.Second, func() bool {
		return hasOrder(t, oms, "NEW-001") && hasOrder(t, oms, "NEW-002") && hasOrder(t, oms, "NEW-003")
	})
	for i := range 3 {
		if hasOrder(t, oms, fmt.Sprintf("LATE-%d", i)) {
			t.Errorf("the OMS took the old primary's LATE-%d", i)
		}
	}
	if d, _ := standbyL.DeadLetters("oms"); len(d) != 0 {
		t.Errorf("the promoted node has dead letters: %+v", d)
	}
	stopPrimarySync()
	stopPromotedSync()
}

func hasOrder(t *testing.T, oms *fakeoms.OMS, no string) bool {
	t.Helper()
	orders, err := oms.Orders()
	if err != nil {
		t.Fatal(err)
	}
	return slices.ContainsFunc(orders, func(o fakeoms.OrderView) bool { return o.No == no })
}

func get(t *testing.T, srv *server.Server, path, token string) string {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := srv.App().Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// servePrimary serves l on a loopback port as `tally serve` does. It
// returns the URL and a shutdown, safe to call twice; the test's cleanup
// calls it too.
func servePrimary(t *testing.T, l *wms.Ledger) (string, func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(server.Config{}, l, scan.NewParser(scan.DefaultPatterns()), quiet)
	go func() { _ = srv.Serve(ln) }()
	shutdown := sync.OnceFunc(func() { _ = srv.Shutdown(context.Background()) })
	t.Cleanup(shutdown)
	return "http://" + ln.Addr().String(), shutdown
}

// follow makes standbyL follow the primary at url with a replica's token
// and runs its Follower in the background: ended gets what Run returned.
// stop ends the Follower and waits for it, safe to call twice; the test's
// cleanup calls it too.
func follow(t *testing.T, standbyL *wms.Ledger, url, token string, wait time.Duration, log *slog.Logger) (f *standby.Follower, ended <-chan error, stop func()) {
	t.Helper()
	if err := standbyL.Follow(url); err != nil {
		t.Fatal(err)
	}
	f, err := standby.New(standbyL, standby.Options{Primary: url, Token: token, Wait: wait, Limit: 200, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	res, done := make(chan error, 1), make(chan struct{})
	go func() { res <- f.Run(ctx); close(done) }()
	stop = sync.OnceFunc(func() { cancel(); <-done })
	t.Cleanup(stop)
	return f, res, stop
}
