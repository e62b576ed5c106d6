package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"tally/internal/proctest"
	"tally/wms"
)

// Crash test tuning: kills, how long the server serves between them, and
// how many handhelds scan through it.
const (
	crashKills     = 30
	crashServeMin  = 250 * time.Millisecond
	crashServeMax  = 1000 * time.Millisecond
	crashPDAs      = 8
	crashBacklog   = 400
	crashSettle    = 30 * time.Second // the last retries after the kills, at most
	crashRetryWait = 30 * time.Millisecond
)

// sentScan is one scan a handheld sent, and how the server last answered it.
type sentScan struct {
	key    string // Idempotency-Key: the event ID
	typ    string // pick or short
	task   string
	line   int
	qty    int64
	status int // the HTTP status of the answer that ended it; 0 when none came
	tries  int // how often it was sent (the same key each time)
}

// crashLog is the handhelds' own record of every scan they sent.
type crashLog struct {
	mu    sync.Mutex
	scans []*sentScan
}

func (c *crashLog) add(s *sentScan) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.scans = append(c.scans, s)
}

// TestCrashUnderLoad runs `tally serve --demo` as a process while handhelds
// scan through the API, SIGKILLs it at random moments 30 times, restarts it
// and runs `tally check` on a copy of the store as each kill left it; the handhelds
// resend every scan not yet answered with its Idempotency-Key until it is.
// From the handhelds' own record: every acknowledged scan is in the ledger
// once, under its key, and the picked quantities equal the acknowledged
// scans — nothing lost, nothing applied twice.
//
// It runs under CI=true, or locally with TALLY_CRASH_TEST=1.
func TestCrashUnderLoad(t *testing.T) {
	if os.Getenv("CI") != "true" && os.Getenv("TALLY_CRASH_TEST") != "1" {
		t.Skip("kills a real server 30 times (about a minute): set TALLY_CRASH_TEST=1 to run it (CI always does)")
	}
	began := time.Now()
	bin := proctest.Build(t)
	data := filepath.Join(t.TempDir(), "data")
	out, err := exec.Command(bin, "token", "create", "--data", data, "--name", "crash-admin", "--role", "admin").Output()
	if err != nil {
		t.Fatalf("token create: %v", err)
	}
	token := strings.TrimSpace(string(out))
	addr := proctest.FreePorts(t, 1)[0]
	env := []string{"TALLY_LOG_LEVEL=error"}
	serve := func(demo bool) *proctest.Process {
		args := []string{"serve", "--data", data, "--addr", addr}
		if demo {
			args = append(args, "--demo")
		}
		return proctest.Start(t, env, "Tally is serving", bin, args...)
	}
	srv := serve(true)

	r, err := newRunner(Config{Addr: "http://" + addr, Token: token, PDAs: crashPDAs, Duration: time.Hour, Backlog: crashBacklog})
	if err != nil {
		t.Fatal(err)
	}
	defer r.c.hc.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := r.setup(ctx); err != nil {
		t.Fatal(err)
	}

	// The handhelds stop taking new work when stopNew ends, then finish
	// resending what is unanswered until ctx ends.
	stopNew, stopNewCancel := context.WithCancel(ctx)
	record := &crashLog{}
	var acked, retried atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		r.feeder.run(stopNew)
	}()
	for i := range crashPDAs {
		h := &crashPDA{r: r, device: "crash-pda-" + strconv.Itoa(i+1), log: record, acked: &acked, retried: &retried}
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.run(stopNew, ctx)
		}()
	}

	setupTook := time.Since(began)
	killsBegan := time.Now()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 15))
	// Each kill's store is copied as the kill left it, and `tally check`
	// runs on the copy while the server serves again: the same proof as a
	// check before the restart, without the floor waiting for it.
	type killed struct {
		n   int
		dir string
	}
	toCheck := make(chan killed, crashKills)
	var checks atomic.Int64
	var checkTook time.Duration
	var checkErrs []string
	checked := make(chan struct{})
	go func() {
		defer close(checked)
		for k := range toCheck {
			began := time.Now()
			out, err := exec.Command(bin, "check", "--data", k.dir).CombinedOutput()
			checkTook += time.Since(began)
			if err != nil {
				checkErrs = append(checkErrs, fmt.Sprintf("tally check after kill %d: %v\n%s", k.n, err, out))
				continue
			}
			checks.Add(1)
			_ = os.RemoveAll(k.dir)
		}
	}()
	var restartTook time.Duration
	for kill := 1; kill <= crashKills; kill++ {
		// serve for a random moment (at least until a scan has gone through since the start)
		before := acked.Load()
		time.Sleep(crashServeMin + time.Duration(rng.Int64N(int64(crashServeMax-crashServeMin))))
		for wait := time.Now().Add(5 * time.Second); acked.Load() == before && time.Now().Before(wait); {
			time.Sleep(10 * time.Millisecond)
		}
		if err := srv.Cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = srv.Cmd.Wait()
		restartBegan := time.Now()
		snap := filepath.Join(filepath.Dir(data), fmt.Sprintf("kill-%02d", kill))
		if err := copyDir(data, snap); err != nil {
			t.Fatal(err)
		}
		toCheck <- killed{kill, snap}
		srv = serve(false)
		restartTook += time.Since(restartBegan)
	}
	close(toCheck)
	stopNewCancel()
	killsTook := time.Since(killsBegan)
	settled := make(chan struct{})
	go func() { wg.Wait(); close(settled) }()
	select {
	case <-settled:
	case <-time.After(crashSettle):
		cancel()
		<-settled
		t.Errorf("the handhelds' last resends took longer than %s", crashSettle)
	}
	cancel()
	r.c.hc.CloseIdleConnections()
	if err := srv.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := srv.Cmd.Wait(); err != nil {
		t.Fatalf("serve after SIGTERM: %v", err)
	}
	<-checked
	for _, e := range checkErrs {
		t.Error(e)
	}
	if out, err := exec.Command(bin, "check", "--data", data).CombinedOutput(); err != nil {
		t.Fatalf("tally check at the end: %v\n%s", err, out)
	}
	checks.Add(1)

	f := verifyCrashLedger(t, data, record.scans)
	t.Logf("crash test: kills=%d checks=%d sent=%d acknowledged=%d acknowledged_after_a_resend=%d refused=%d unanswered=%d ledger_scan_events=%d lost=%d doubled=%d picked_units=%d in %s (build and setup %s, kills %s with restarts %s; checks %s beside)",
		crashKills, checks.Load(), len(record.scans), f.acked, retried.Load(), f.refused, f.unanswered, f.events, f.lost, f.doubled, f.units, time.Since(began).Round(time.Second),
		setupTook.Round(100*time.Millisecond), killsTook.Round(100*time.Millisecond), restartTook.Round(100*time.Millisecond), checkTook.Round(100*time.Millisecond))
	if f.lost != 0 || f.doubled != 0 {
		t.Errorf("lost=%d doubled=%d, want 0 and 0", f.lost, f.doubled)
	}
	if f.unanswered != 0 {
		t.Errorf("%d scans never answered after the last restart", f.unanswered)
	}
	if n := checks.Load(); n != crashKills+1 {
		t.Errorf("%d checks passed, want %d (one after each kill and one at the end)", n, crashKills+1)
	}
	if f.acked < crashKills {
		t.Errorf("only %d scans acknowledged over %d kills: the handhelds hardly ran", f.acked, crashKills)
	}
}

// copyDir copies the regular files of a stopped store's folder.
func copyDir(from, to string) error {
	if err := os.MkdirAll(to, 0o700); err != nil {
		return err
	}
	entries, err := os.ReadDir(from)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), raw, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// crashFigures is what the ledger showed against the handhelds' record.
type crashFigures struct {
	acked, refused, unanswered int
	events                     int // pick and short events in the ledger
	lost, doubled              int
	units                      int64
}

// verifyCrashLedger opens the stopped store and holds it against the record:
// each acknowledged scan's event under its key with its content, no scan
// event the handhelds do not know as acknowledged, and every task line's
// picked and short quantities equal to the acknowledged scans.
func verifyCrashLedger(t *testing.T, data string, scans []*sentScan) crashFigures {
	t.Helper()
	l, err := wms.Open(data, wms.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var f crashFigures
	type lineKey struct {
		task string
		line int
	}
	wantDone, wantShort := map[lineKey]int64{}, map[lineKey]bool{}
	ackedKeys := map[string]bool{}
	for _, s := range scans {
		switch {
		case s.status >= 200 && s.status < 300:
			f.acked++
			ackedKeys[s.key] = true
			lk := lineKey{s.task, s.line}
			ev, err := l.EventByID(s.key)
			if err != nil {
				f.lost++
				if f.lost <= 5 {
					t.Errorf("acknowledged scan %s is not in the ledger: %v", s, err)
				}
				continue
			}
			if s.typ == "pick" {
				wantDone[lk] += s.qty
				f.units += s.qty
				var p wms.PickScan
				if ev.Type != wms.EvPicked || json.Unmarshal(ev.Data, &p) != nil || p.Task != s.task || p.Line != s.line || p.Qty != s.qty {
					t.Errorf("scan %s: the ledger holds %s %s", s, ev.Type, ev.Data)
				}
			} else if ev.Type != wms.EvShortReported {
				t.Errorf("scan %s: the ledger holds %s, not a short report", s.key, ev.Type)
			} else {
				wantShort[lk] = true // the server decides the quantity: the line's open rest
			}
		case s.status == 0:
			f.unanswered++
		default:
			f.refused++
			if s.status != http.StatusConflict {
				t.Errorf("scan %s: refused with %d (only 409, stock short or the line changed, is a handheld's lot)", s, s.status)
			}
			if ev, err := l.EventByID(s.key); err == nil && (ev.Type == wms.EvPicked || ev.Type == wms.EvShortReported) {
				f.doubled++
				t.Errorf("scan %s was refused (%d) yet the ledger applied it: %s", s.key, s.status, ev.Type)
			}
		}
	}
	// no scan event the handhelds were not told of (the demo has none of its own)
	evs, err := l.EventsOfType(1<<30, wms.EvPicked, wms.EvShortReported)
	if err != nil {
		t.Fatal(err)
	}
	f.events = len(evs)
	for _, ev := range evs {
		if !ackedKeys[ev.ID] {
			f.doubled++
			if f.doubled <= 5 {
				t.Errorf("the ledger holds %s %s that no handheld had acknowledged", ev.Type, ev.ID)
			}
		}
	}
	// the projections: each line's picked quantity is what was acknowledged,
	// on every task a handheld scanned or the ledger holds a scan of
	tasks := map[string]bool{}
	for _, s := range scans {
		tasks[s.task] = true
	}
	for _, ev := range evs {
		var p struct {
			Task string `json:"task"`
		}
		if json.Unmarshal(ev.Data, &p) == nil && p.Task != "" {
			tasks[p.Task] = true
		}
	}
	for id := range tasks {
		tk, err := l.Task(id)
		if err != nil {
			t.Errorf("task %s: %v", id, err)
			continue
		}
		for _, ln := range tk.Lines {
			lk := lineKey{tk.ID, ln.N}
			if ln.Done != wantDone[lk] {
				if ln.Done > wantDone[lk] {
					f.doubled++
				} else {
					f.lost++
				}
				t.Errorf("task %s line %d: %d picked in the ledger, %d acknowledged", tk.ID, ln.N, ln.Done, wantDone[lk])
			}
			if wantShort[lk] != (ln.Short != 0) {
				t.Errorf("task %s line %d: short %d in the ledger; a short report acknowledged: %v", tk.ID, ln.N, ln.Short, wantShort[lk])
			}
			delete(wantDone, lk)
		}
	}
	for lk, q := range wantDone {
		if q != 0 {
			f.lost++
			t.Errorf("task %s line %d: %d units acknowledged, the line is not in the ledger", lk.task, lk.line, q)
		}
	}
	return f
}

// crashPDA is a handheld that resends a scan, with the same key, until the
// server answers it: through every kill and restart.
type crashPDA struct {
	r       *runner
	device  string
	log     *crashLog
	acked   *atomic.Int64
	retried *atomic.Int64
	current string
}

// run takes tasks and picks them until stopNew ends; a scan under way is
// resent until answered or ctx ends.
func (p *crashPDA) run(stopNew, ctx context.Context) {
	for stopNew.Err() == nil {
		var t task
		err := p.r.c.postJSON(stopNew, "/api/v1/tasks/next", p.device, "", nil, &t)
		var ae *apiError
		switch {
		case stopNew.Err() != nil:
			return
		case err == nil:
		case errors.As(err, &ae) && ae.Status == http.StatusNotFound:
			p.r.feeder.nudge()
			sleep(stopNew, jitter(idleBackoffMin, 4*idleBackoffMin))
			continue
		default: // busy, or the server is down
			sleep(stopNew, jitter(time.Millisecond, crashRetryWait))
			continue
		}
		if t.ID != p.current {
			p.current = t.ID
			p.r.cnt.tasks.Add(1)
		}
		if t.Kind != "pick" {
			sleep(stopNew, errorBackoff)
			continue
		}
		l := t.nextOpen(nil)
		if l == nil {
			sleep(stopNew, errorBackoff)
			continue
		}
		code := scanCode(*l)
		s := &sentScan{key: uuid.NewString(), typ: "pick", task: t.ID, line: l.N, qty: l.open()}
		body := scanBody{Type: "pick", Line: l.N, Location: l.Location, Codes: []string{code}, Qty: s.qty}
		if code == "" || l.open() <= 2 {
			s.qty, body.Qty = 1, 1
		}
		if code == "" {
			s.typ, s.qty = "short", 0
			body = scanBody{Type: "short", Line: l.N, Reason: "empty"}
		}
		if p.send(ctx, s, body) == http.StatusConflict && s.typ == "pick" {
			short := &sentScan{key: uuid.NewString(), typ: "short", task: t.ID, line: l.N}
			p.send(ctx, short, scanBody{Type: "short", Line: l.N, Reason: "empty"})
		}
	}
}

// send records the scan and sends it until the server answers with a status
// below 500 (or ctx ends), with the same Idempotency-Key every time.
func (p *crashPDA) send(ctx context.Context, s *sentScan, body scanBody) int {
	raw, err := json.Marshal(body)
	if err != nil {
		panic(err)
	}
	p.log.add(s)
	req := request{method: http.MethodPost, path: "/api/v1/tasks/" + url.PathEscape(s.task) + "/scans", device: p.device,
		idemKey: s.key, contentType: "application/json", body: raw, auth: true}
	for ctx.Err() == nil {
		s.tries++
		_, err := p.r.c.do(ctx, req)
		status := statusOf(err)
		if err == nil {
			status = http.StatusOK
		}
		if status != 0 && status < 500 {
			s.status = status
			if status < 300 {
				p.acked.Add(1)
				if s.tries > 1 {
					p.retried.Add(1)
				}
			}
			return status
		}
		sleep(ctx, jitter(time.Millisecond, crashRetryWait))
	}
	return 0
}

// String is a scan as the test's messages name it.
func (s *sentScan) String() string {
	return fmt.Sprintf("%s %s task %s line %d qty %d (status %d after %d tries)", s.typ, s.key, s.task, s.line, s.qty, s.status, s.tries)
}
