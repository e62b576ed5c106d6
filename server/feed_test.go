package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"tally/wms"
)

type feedBody struct {
	Events []struct {
		ID    string          `json:"id"`
		Seq   uint64          `json:"seq"`
		Type  string          `json:"type"`
		Actor string          `json:"actor"`
		Owner string          `json:"owner"`
		At    time.Time       `json:"at"`
		Data  json.RawMessage `json:"data"`
	} `json:"events"`
	Next    uint64 `json:"next"`
	LastSeq uint64 `json:"last_seq"`
}

// getFeed asks the feed and checks the answer has exactly its three fields.
func getFeed(t *testing.T, c *client, query string) feedBody {
	t.Helper()
	resp, body := c.get("/api/v1/events?" + query)
	if resp.StatusCode != 200 {
		t.Fatalf("events?%s: %d %s", query, resp.StatusCode, body)
	}
	var shape map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &shape); err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(shape))
	for k := range shape {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, []string{"events", "last_seq", "next"}) {
		t.Errorf("answer has fields %v: %s", keys, body[:min(len(body), 300)])
	}
	var f feedBody
	if err := json.Unmarshal([]byte(body), &f); err != nil {
		t.Fatal(err)
	}
	return f
}

// stockEvent books one more unit of a demo SKU without lots: an owner's event.
func stockEvent(t testing.TB, l *wms.Ledger, id string) {
	t.Helper()
	skus, err := l.SKUs()
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(skus, func(s wms.SKU) bool { return !s.LotTracked })
	if i < 0 {
		t.Fatal("the demo has no SKU without lots")
	}
	ev, err := wms.NewEvent(id, wms.EvStockAdjusted, "test", "test",
		wms.StockAdjustment{SKU: skus[i].Code, Location: "A01-01-01", Delta: 1, Reason: "feed test"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.Append(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
}

func TestEventsFeed(t *testing.T) {
	s, l := testServer(t)
	ctx := context.Background()
	tokens := map[wms.Role]string{}
	for _, r := range []wms.Role{wms.RoleAdmin, wms.RoleIntegration, wms.RoleSupervisor, wms.RolePicker} {
		tok, err := l.CreateToken(ctx, "t-"+string(r), r, "test")
		if err != nil {
			t.Fatal(err)
		}
		tokens[r] = tok
	}
	as := func(r wms.Role) *client {
		c := newClient(t, s)
		c.bearer = tokens[r]
		return c
	}

	t.Run("roles", func(t *testing.T) {
		cases := []struct {
			role   wms.Role
			path   string
			status int
		}{
			{wms.RoleAdmin, "/api/v1/events", 200},
			{wms.RoleIntegration, "/api/v1/events", 200},
			{wms.RoleSupervisor, "/api/v1/events", 403},
			{wms.RolePicker, "/api/v1/events", 403},
			{"", "/api/v1/events", 401},
			// the integration role reads the feed and nothing of the floor
			{wms.RoleIntegration, "/api/v1/stock?sku=SKU00000", 403},
			{wms.RoleIntegration, "/api/v1/orders/SO1", 403},
			{wms.RoleIntegration, "/api/v1/jobs", 403},
			{wms.RoleIntegration, "/", 403},
			{wms.RoleIntegration, "/pick", 403},
			{wms.RoleIntegration, "/floor", 403},
		}
		for _, tc := range cases {
			resp, body := as(tc.role).get(tc.path)
			if resp.StatusCode != tc.status {
				t.Errorf("%s %s: %d, want %d: %s", tc.role, tc.path, resp.StatusCode, tc.status, body[:min(len(body), 200)])
			}
		}
	})

	// beside the demo's few big events, enough small ones for pages: some
	// stock (an owner's) and failed logins (the warehouse's)
	for i := range 60 {
		stockEvent(t, l, fmt.Sprintf("stock-%d", i))
		if _, _, err := l.Append(ctx, mustEvent(t, fmt.Sprintf("login-%d", i), wms.EvLoginFailed,
			wms.LoginFailed{Badge: "X1", Reason: "login.unknown_badge"})); err != nil {
			t.Fatal(err)
		}
	}
	c := as(wms.RoleIntegration)
	last := l.LastSeq()
	t.Run("pages", func(t *testing.T) {
		f := getFeed(t, c, "after=0&limit=5")
		if len(f.Events) != 5 || f.Events[0].Seq != 1 || f.Events[4].Seq != 5 || f.Next != 5 || f.LastSeq != last {
			t.Errorf("first page: %d events, next %d, last %d (log %d)", len(f.Events), f.Next, f.LastSeq, last)
		}
		var seqs []uint64
		for after := uint64(0); ; {
			f := getFeed(t, c, fmt.Sprintf("after=%d&limit=1000", after))
			for _, ev := range f.Events {
				seqs = append(seqs, ev.Seq)
			}
			after = f.Next
			if f.Next == f.LastSeq {
				break
			}
		}
		if len(seqs) != int(last) || seqs[0] != 1 || seqs[len(seqs)-1] != last {
			t.Errorf("followed to the end: %d events of %d", len(seqs), last)
		}
		if f := getFeed(t, c, ""); len(f.Events) != 100 {
			t.Errorf("default limit: %d events", len(f.Events))
		}
	})

	t.Run("filters", func(t *testing.T) {
		f := getFeed(t, c, "types=stock.adjusted,%20master.imported&limit=1000")
		if len(f.Events) < 61 {
			t.Fatalf("%d files and stock changes in the feed", len(f.Events))
		}
		for _, ev := range f.Events {
			if ev.Type != wms.EvStockAdjusted && ev.Type != wms.EvImported {
				t.Errorf("type filter let %s through", ev.Type)
			}
		}
		f = getFeed(t, c, "owner="+wms.DefaultOwner+"&limit=1000")
		if len(f.Events) < 60 {
			t.Errorf("the default owner's feed has %d events", len(f.Events))
		}
		for _, ev := range f.Events {
			if spec, _ := wms.SpecOf(ev.Type); spec.Scope != wms.ScopeOwner {
				t.Errorf("owner filter let %s (%s) through", ev.Type, spec.Scope)
			}
		}
		for _, ev := range getFeed(t, c, "limit=1000").Events {
			// an owner's event names its owner, the default one included;
			// a warehouse event names none
			if spec, _ := wms.SpecOf(ev.Type); (spec.Scope == wms.ScopeOwner) != (ev.Owner != "") {
				t.Errorf("%s (%s) names the owner %q", ev.Type, spec.Scope, ev.Owner)
			}
		}
		if _, err := l.SaveOwner(ctx, "", wms.Owner{Code: "SOMEONE-ELSE", Name: "没有事件的货主"}, "test", "test"); err != nil {
			t.Fatal(err)
		}
		if f = getFeed(t, c, "owner=SOMEONE-ELSE"); len(f.Events) != 0 || f.Next == 0 {
			t.Errorf("another owner's feed: %d events, next %d", len(f.Events), f.Next)
		}
		// an owner the warehouse does not work for (a typo) is refused, not an empty feed forever
		for _, q := range []string{"owner=NOBODY", "owner=" + strings.ToLower(wms.DefaultOwner) + "&wait=30s"} {
			resp, body := c.get("/api/v1/events?" + q)
			if resp.StatusCode != 404 || !strings.Contains(body, `"key":"owner.unknown"`) {
				t.Errorf("%s: %d %s", q, resp.StatusCode, body)
			}
		}
	})

	t.Run("no secrets", func(t *testing.T) {
		// the demo's staff file holds PIN hashes; a login writes a session hash
		web := newClient(t, s)
		web.login("B1001", "1111")
		resp, body := c.get("/api/v1/events?limit=1000")
		if resp.StatusCode != 200 || !strings.Contains(body, wms.EvLoginSucceeded) {
			t.Fatalf("%d, login in the feed: %v", resp.StatusCode, strings.Contains(body, wms.EvLoginSucceeded))
		}
		for _, secret := range []string{"pin_hash", "session_hash", `"hash"`, "pbkdf2"} {
			if strings.Contains(body, secret) {
				t.Errorf("the feed hands out %s", secret)
			}
		}
	})

	t.Run("bad parameters", func(t *testing.T) {
		for _, q := range []string{"after=abc", "after=-1", "after=99999999", "limit=0", "limit=1001", "limit=x",
			"types=stock.adjusted,nope", "owner=%00", "wait=forever", "wait=-1s"} {
			resp, body := c.get("/api/v1/events?" + q)
			var e struct{ Error, Code string }
			if resp.StatusCode != 400 || json.Unmarshal([]byte(body), &e) != nil || e.Code != "invalid" || e.Error == "" {
				t.Errorf("%s: %d %s", q, resp.StatusCode, body)
			}
		}
		c.lang = "zh-CN"
		if _, body := c.get("/api/v1/events?limit=5000"); !strings.Contains(body, "1 到 1000") {
			t.Errorf("zh-CN message: %s", body)
		}
		c.lang = "en"
	})

	t.Run("long poll returns on a commit", func(t *testing.T) {
		for round := range 3 {
			after := l.LastSeq()
			got := make(chan feedBody, 1)
			start := time.Now()
			go func() { got <- getFeed(t, c, fmt.Sprintf("after=%d&wait=8s&types=%s", after, wms.EvStockAdjusted)) }()
			time.Sleep(100 * time.Millisecond)
			// an event the filter skips does not answer the poll
			if _, _, err := l.Append(ctx, mustEvent(t, fmt.Sprintf("skip-%d", round), wms.EvLoginFailed,
				wms.LoginFailed{Badge: "X1", Reason: "login.unknown_badge"})); err != nil {
				t.Fatal(err)
			}
			time.Sleep(100 * time.Millisecond)
			stockEvent(t, l, fmt.Sprintf("poll-%d", round))
			committed := time.Now()
			f := <-got
			if len(f.Events) != 1 || f.Events[0].ID != fmt.Sprintf("poll-%d", round) || f.Next != after+2 {
				t.Fatalf("round %d: %+v", round, f)
			}
			if took := time.Since(start); took > 4*time.Second {
				t.Errorf("round %d: the poll answered %v after the commit (%v in all): it waited out its time", round, time.Since(committed), took)
			}
		}
	})

	t.Run("long poll times out empty with the same next", func(t *testing.T) {
		after := l.LastSeq()
		start := time.Now()
		f := getFeed(t, c, fmt.Sprintf("after=%d&wait=300ms", after))
		if took := time.Since(start); took < 300*time.Millisecond {
			t.Errorf("answered after %v, before its wait", took)
		}
		if len(f.Events) != 0 || f.Next != after || f.LastSeq != after {
			t.Errorf("timed out with %+v, want no events and next %d", f, after)
		}
	})
}

func mustEvent(t testing.TB, id, typ string, data any) wms.Event {
	t.Helper()
	ev, err := wms.NewEvent(id, typ, "test", "test", data)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestFeedWait(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, true},
		{"30s", 30 * time.Second, true},
		{"30", 30 * time.Second, true},
		{"1500ms", 1500 * time.Millisecond, true},
		{"10m", feedMaxWait, true},
		{"3600", feedMaxWait, true},
		{"-1s", 0, false},
		{"soon", 0, false},
	}
	for _, tc := range cases {
		got, err := feedWait(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("%q: %v %v, want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// A long poll in progress does not hold the shutdown for its wait: it
// answers at once, empty, when Shutdown begins.
func TestShutdownEndsLongPolls(t *testing.T) {
	s, l := testServer(t)
	token, err := l.CreateToken(context.Background(), "standby", wms.RoleIntegration, "test")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Serve(ln) }()
	after := l.LastSeq()
	type answer struct {
		status int
		body   feedBody
		err    error
	}
	got := make(chan answer, 1)
	go func() {
		req, _ := http.NewRequest("GET", fmt.Sprintf("http://%s/api/v1/events?after=%d&wait=60s", ln.Addr(), after), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			got <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		var f feedBody
		err = json.NewDecoder(resp.Body).Decode(&f)
		got <- answer{resp.StatusCode, f, err}
	}()
	time.Sleep(300 * time.Millisecond) // the poll is waiting
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("shutdown took %v with a long poll open", took)
	}
	a := <-got
	if a.err != nil || a.status != 200 || len(a.body.Events) != 0 || a.body.Next != after {
		t.Errorf("the poll's answer at shutdown: %+v", a)
	}
}
