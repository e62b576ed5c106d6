package syncer_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"tally/syncer/fakeoms"
	"tally/wms"
)

// The warehouse is killed with SIGKILL at random moments while it trades
// with the fake OMS — both separate processes, `tally serve` and `tally
// fake-oms` — including between a batch the OMS committed and the
// acknowledgement the warehouse never recorded. After each restart it
// re-sends; the OMS drops the repeats. At the end every event the OMS
// should have arrived once, and both sides' stock agree.
func TestCrashBetweenSendAndAck(t *testing.T) {
	if testing.Short() && os.Getenv("CI") != "true" {
		t.Skip("builds tally and runs it as two processes; skipped under -short outside CI")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "tally")
	build := exec.Command("go", "build", "-o", bin, "tally")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	const omsToken = "tok-crash-0123456789abcdef"
	omsAddr, whAddr := freeAddr(t), freeAddr(t)
	omsData, whData := filepath.Join(dir, "oms"), filepath.Join(dir, "wh")

	oms := start(t, bin, "fake OMS serving", "fake-oms", "--addr", omsAddr, "--token", omsToken, "--orders", "400", "--data", omsData)
	out, err := exec.Command(bin, "token", "create", "--data", whData, "--name", "crash-admin", "--role", "admin").Output()
	if err != nil {
		t.Fatalf("token create: %v", err)
	}
	admin := strings.TrimSpace(string(out))
	wh := start(t, bin, "Tally is serving", "serve", "--demo", "--data", whData, "--addr", whAddr)

	// the contract body, exactly
	body := fmt.Sprintf(`{"dialect":"tally","url":"http://%s/tally/v1","token":"%s","owner":""}`, omsAddr, omsToken)
	req, _ := http.NewRequest(http.MethodPut, "http://"+whAddr+"/api/v1/sync/upstreams/oms", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+admin)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "crash-upstream-1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || bytes.Contains(answer, []byte(omsToken)) {
		t.Fatalf("PUT upstream: %d %s", resp.StatusCode, answer)
	}

	received := func() int {
		resp, err := http.Get("http://" + omsAddr + "/admin/stats")
		if err != nil {
			return -1
		}
		defer resp.Body.Close()
		var s fakeoms.Stats
		if json.NewDecoder(resp.Body).Decode(&s) != nil {
			return -1
		}
		return int(s.Accepted + s.Duplicate)
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 11))
	for kill := range 6 {
		// kill just after the OMS took something (between its commit and
		// the warehouse's record of the answer), or at a random moment
		before := received()
		deadline := time.Now().Add(time.Duration(200+rng.IntN(1500)) * time.Millisecond)
		for kill%2 == 0 && received() == before && time.Now().Before(deadline) {
		}
		if kill%2 == 1 {
			time.Sleep(time.Until(deadline))
		}
		if err := wh.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = wh.Wait()
		wh = start(t, bin, "Tally is serving", "serve", "--data", whData, "--addr", whAddr)
	}
	// let it finish: every served order taken in and acknowledged, nothing waiting
	ordersAccepted := func() uint64 {
		resp, err := http.Get("http://" + omsAddr + "/admin/stats")
		if err != nil {
			return 0
		}
		defer resp.Body.Close()
		var s fakeoms.Stats
		if json.NewDecoder(resp.Body).Decode(&s) != nil {
			return 0
		}
		return s.Types[wms.EvOrderReceived].Accepted
	}
	waitFor(t, "the drain after the crashes", 180*time.Second, func() bool {
		st, err := syncStatus(whAddr, admin)
		// every order the OMS served and every demo order pushed back: a
		// backlog of 0 alone may be read while the last page is pulled
		return err == nil && len(st) == 1 && st[0].Online && st[0].Backlog == 0 && ordersAccepted() >= uint64(400+len(wms.DemoOrders(time.Now())))
	})
	stop(t, wh)
	stop(t, oms)

	l, err := wms.Open(whData, wms.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	o, err := fakeoms.New(fakeoms.Options{Path: filepath.Join(omsData, "fake-oms.db"), Base: "/tally/v1", Token: omsToken})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	r := &rig{t: t, l: l, oms: o}
	pulled, _ := l.OrdersIn(wms.OrderNew, "", 10_000)
	if len(pulled) < 400 {
		t.Errorf("%d new orders at the warehouse; the OMS served 400 and the demo has its own", len(pulled))
	}
	r.exactlyOnce()
	if stats, _ := o.Stats(); stats.Duplicate == 0 {
		t.Log("no repeat reached the OMS: no kill fell between a commit and its acknowledgement this time")
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// start runs the binary and waits for a line of its output containing ready.
func start(t *testing.T, bin, ready string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "TALLY_LOG_LEVEL=warn")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	timeout := time.After(60 * time.Second)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("%s %v ended before saying %q", bin, args, ready)
			}
			if strings.Contains(line, ready) {
				go func() {
					for range lines {
					}
				}()
				return cmd
			}
		case <-timeout:
			t.Fatalf("%s %v did not say %q within 60 s", bin, args, ready)
		}
	}
}

func stop(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("did not stop within 30 s of SIGTERM")
	}
}

type statusAnswer struct {
	Upstreams []struct {
		Name       string `json:"name"`
		Online     bool   `json:"online"`
		Backlog    int    `json:"backlog"`
		PullCursor string `json:"pull_cursor"`
	} `json:"upstreams"`
}

func syncStatus(addr, token string) ([]struct {
	Name       string `json:"name"`
	Online     bool   `json:"online"`
	Backlog    int    `json:"backlog"`
	PullCursor string `json:"pull_cursor"`
}, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/api/v1/sync/status", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var s statusAnswer
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		return nil, err
	}
	return s.Upstreams, nil
}
