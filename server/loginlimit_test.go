package server

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"tally/wms"
)

// POST /pin counts a wrong current PIN as login counts a wrong PIN: the
// fifth locks the badge, the event that locked it says until when (and the
// login audit shows it), and while it is locked the right PIN changes
// nothing.
func TestChangePINLockout(t *testing.T) {
	s, l := testServer(t)
	c := newClient(t, s)
	if r := c.login("B1001", "1111"); r.StatusCode != 303 {
		t.Fatalf("login: %d", r.StatusCode)
	}
	change := func(current string) (int, string) {
		c.get("/pin")
		r, body := c.post("/pin", url.Values{"current": {current}, "new": {"5678"}, "repeat": {"5678"}})
		return r.StatusCode, unmarked(body)
	}
	before := l.LastSeq()
	pinBefore, _ := l.StaffMember("B1001")
	for i := 1; i <= 6; i++ {
		st, body := change("0000")
		want, says := 400, "The current PIN is wrong"
		if i == 6 {
			want, says = 403, "badge B1001 is locked for 15 minutes"
		}
		if st != want || !strings.Contains(body, says) {
			t.Fatalf("wrong PIN %d: %d, want %d saying %q:\n%s", i, st, want, says, body)
		}
	}
	if st, body := change("1111"); st != 403 || !strings.Contains(body, "is locked") {
		t.Fatalf("the right PIN while locked: %d\n%s", st, body)
	}
	if fresh := newClient(t, s); fresh.login("B1001", "1111").StatusCode != 403 {
		t.Error("the badge logs in while locked")
	}
	// one event per attempt (6 wrong, the right one while locked, the
	// login), the fifth saying the badge is locked
	events, err := l.EventsOfType(20, wms.EvLoginFailed)
	if err != nil {
		t.Fatal(err)
	}
	var locking int
	for _, ev := range events {
		var f wms.LoginFailed
		if err := ev.DecodeData(&f); err != nil {
			t.Fatal(err)
		}
		if f.LockedUntil != nil {
			locking++
			if f.Reason != "pin.current_wrong" || !f.LockedUntil.Equal(ev.At.Add(15*time.Minute)) {
				t.Errorf("the locking event: %+v at %v", f, ev.At)
			}
		}
	}
	if got := l.LastSeq() - before; got != 8 || len(events) != 8 || locking != 1 {
		t.Errorf("%d events appended, %d login.failed, %d locking; want 8, 8, 1", got, len(events), locking)
	}
	if st, _ := l.StaffMember("B1001"); st.LockedUntil == nil {
		t.Error("the badge is not locked")
	}
	if after, _ := l.StaffMember("B1001"); after.PINHash != pinBefore.PINHash {
		t.Error("the PIN changed while the badge was locked")
	}
	sup := newClient(t, s)
	if sup.login("B4001", "4444").StatusCode != 303 {
		t.Fatal("supervisor login")
	}
	_, audit := sup.get("/admin/audit")
	if !strings.Contains(unmarked(audit), "wrong PIN: badge B1001 locked until 10:15") {
		t.Errorf("the login audit does not show the lockout:\n%s", audit)
	}
}

// liveClient is a browser on its own loopback address (127.0.0.x) talking
// to a real listener, so the server sees its address.
type liveClient struct {
	t    *testing.T
	base string
	http *http.Client
	csrf string
}

func newLiveClient(t *testing.T, base, from string) *liveClient {
	jar, _ := cookiejar.New(nil)
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	tr := &http.Transport{DialContext: d.DialContext}
	t.Cleanup(tr.CloseIdleConnections)
	return &liveClient{t: t, base: base, http: &http.Client{Jar: jar, Transport: tr, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *liveClient) do(method, path string, form url.Values) (*http.Response, string) {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		form.Set("_csrf", c.csrf)
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, c.base+path, body)
	req.Header.Set("Accept-Language", "en")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if m := csrfMeta.FindStringSubmatch(string(raw)); m != nil {
		c.csrf = m[1]
	}
	return resp, string(raw)
}

func (c *liveClient) login(badge, pin string) (*http.Response, string) {
	c.t.Helper()
	if c.csrf == "" {
		c.do("GET", "/login", nil)
	}
	return c.do("POST", "/login", url.Values{"badge": {badge}, "pin": {pin}})
}

// 500 failed logins with badges nobody has write no event and are refused
// with 429 once the address has used its allowance; a person at another
// address still logs in; a badge tried from many addresses is limited too;
// /metrics counts them.
func TestFailedLoginsAreLimited(t *testing.T) {
	s, l := testServer(t)
	var logged lockedBuffer
	s.log = slog.New(slog.NewTextHandler(&logged, nil))
	base := serve(t, s)
	before := l.LastSeq()

	attacker := newLiveClient(t, base, "127.0.0.1")
	var refused, limited int
	var retryAfter, limitedSays string
	start := time.Now()
	for i := 0; i < 500; i++ {
		resp, body := attacker.login(fmt.Sprintf("X%05d", i), "1111")
		switch resp.StatusCode {
		case 401:
			refused++
		case 429:
			limited++
			retryAfter, limitedSays = resp.Header.Get("Retry-After"), unmarked(body)
		default:
			t.Fatalf("attempt %d: %d", i, resp.StatusCode)
		}
	}
	t.Logf("500 failed logins from one address in %v: %d refused (401), %d limited (429), %d events",
		time.Since(start).Round(time.Millisecond), refused, limited, l.LastSeq()-before)
	if got := l.LastSeq() - before; got != 0 {
		t.Errorf("500 unknown badges appended %d events", got)
	}
	// the allowance, and the odd token back while the attempts ran
	if refused < loginFailBurstAddr || refused > loginFailBurstAddr+3 || limited != 500-refused {
		t.Errorf("%d refused, %d limited; want about %d refused and the rest limited", refused, limited, loginFailBurstAddr)
	}
	if n, err := strconv.Atoi(retryAfter); err != nil || n < 1 || n > 6 {
		t.Errorf("Retry-After %q", retryAfter)
	}
	if !strings.Contains(limitedSays, "Too many failed logins from this device or on this badge. Wait") {
		t.Errorf("the 429 page does not say why:\n%s", limitedSays)
	}
	// the log heard of the flood once, not 500 times
	if lines := strings.Count(logged.String(), "\n"); lines != 1 || !strings.Contains(logged.String(), "requests refused") {
		t.Errorf("500 refused logins made %d log lines:\n%.2000s", lines, logged.String())
	}
	// a badge that is no code at all is refused without being echoed
	long := strings.Repeat("B", 10_000)
	other := newLiveClient(t, base, "127.0.0.9")
	if resp, body := other.login(long, "1111"); resp.StatusCode != 400 || strings.Contains(body, "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB") ||
		!strings.Contains(unmarked(body), "That is not a badge") {
		t.Errorf("an overlong badge: %d, %d bytes back\n%.600s", resp.StatusCode, len(body), unmarked(body))
	}

	// the right PIN from the limited address is refused too: the limit
	// comes before any PIN is checked
	if resp, _ := attacker.login("B1001", "1111"); resp.StatusCode != 429 {
		t.Errorf("a login from the limited address: %d", resp.StatusCode)
	}

	// a supervisor on another address logs in and reads the counters
	sup := newLiveClient(t, base, "127.0.0.2")
	if resp, body := sup.login("B4001", "4444"); resp.StatusCode != 303 {
		t.Fatalf("login from another address: %d\n%s", resp.StatusCode, body)
	}
	_, metrics := sup.do("GET", "/metrics", nil)
	for _, want := range []string{fmt.Sprintf("tally_login_unknown_badge_total %d", refused), fmt.Sprintf("tally_login_rate_limited_total %d", limited+1)} {
		if !strings.Contains(metrics, want+"\n") {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	// one badge from many addresses: limited after its own allowance
	var badgeRefused int
	for i := 0; i < loginFailBurstBadg+5; i++ {
		c := newLiveClient(t, base, fmt.Sprintf("127.0.1.%d", i+1))
		resp, _ := c.login("B7777", "1111")
		switch resp.StatusCode {
		case 401:
			badgeRefused++
		case 429:
		default:
			t.Fatalf("B7777 from address %d: %d", i, resp.StatusCode)
		}
	}
	if badgeRefused < loginFailBurstBadg || badgeRefused > loginFailBurstBadg+1 {
		t.Errorf("B7777 refused %d times before the limit, want %d", badgeRefused, loginFailBurstBadg)
	}
	if got := l.LastSeq() - before; got != 1 { // the supervisor's login
		t.Errorf("%d events appended, want 1 (the supervisor's login)", got)
	}
}

// The buckets refill with time and hold at most their cap of keys, the
// least recently used forgotten first.
func TestFailBuckets(t *testing.T) {
	now := time.Date(2026, 11, 11, 2, 0, 0, 0, time.UTC)
	f := newFailBuckets(3, 10*time.Second, 2)
	for i := 0; i < 3; i++ {
		if w := f.wait("a", now); w != 0 {
			t.Fatalf("failure %d waits %v", i, w)
		}
		f.spend("a", now)
	}
	if w := f.wait("a", now); w != 10*time.Second {
		t.Errorf("empty bucket waits %v, want 10s", w)
	}
	if w := f.wait("a", now.Add(4*time.Second)); w != 6*time.Second {
		t.Errorf("after 4s waits %v, want 6s", w)
	}
	if w := f.wait("a", now.Add(10*time.Second)); w != 0 {
		t.Errorf("after 10s waits %v", w)
	}
	f.spend("b", now)
	f.spend("c", now) // "a" is the least recently used: forgotten, so full again
	if f.len() != 2 || f.wait("a", now) != 0 {
		t.Errorf("%d keys; a waits %v", f.len(), f.wait("a", now))
	}
	// a badge longer than any badge is no key: only its address counts
	ll := newLoginLimits()
	long := strings.Repeat("B", 1<<20)
	for i := 0; i < loginFailBurstBadg+1; i++ {
		ll.failed(fmt.Sprintf("192.0.2.%d", i), long, now)
	}
	if n := ll.byBadge.len(); n != 0 {
		t.Errorf("the badge limiter holds %d keys after a 1 MB badge", n)
	}
	if w := ll.wait("192.0.2.200", long, now); w != 0 {
		t.Errorf("a 1 MB badge from a fresh address waits %v", w)
	}
	if got := clientAddr("2001:db8:1:2:3:4:5:6"); got != "2001:db8:1:2::/64" {
		t.Errorf("IPv6 key %q", got)
	}
	if got := clientAddr("192.0.2.7"); got != "192.0.2.7" {
		t.Errorf("IPv4 key %q", got)
	}
}
