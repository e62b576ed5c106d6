package fakeerp

import (
	"bufio"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"tally/syncer/qimen"
)

// TestCommand runs `tally fake-erp` as the demo does: built, started on a free port with a
// WMS that verifies every call, sending its catalogue and three orders, taking a
// confirmation, then stopped with SIGTERM.
func TestCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the tally binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "tally")
	if out, err := exec.Command("go", "build", "-o", bin, "tally").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	stub := &wmsStub{}
	wmsSrv := httptest.NewServer(stub)
	defer wmsSrv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "fake-erp", "--addr", addr, "--wms", wmsSrv.URL+"/qimen", "--app-key", testAppKey,
		"--customer-id", testCustomer, "--warehouse", "WH1", "--orders", "3", "--items")
	cmd.Env = append(os.Environ(), "TALLY_FAKE_ERP_SECRET="+testSecret)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("first line: %v (stderr %s)", err, stderr.String())
	}
	if want := "fake ERP serving on http://" + addr + " (warehouse upstream url: http://" + addr + "/qimen)\n"; line != want {
		t.Errorf("printed %q, want %q", line, want)
	}
	deadline := time.Now().Add(15 * time.Second)
	for len(stub.calls()) < 4 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	got := stub.calls()
	if len(got) != 4 {
		t.Fatalf("the WMS got %d calls, want items.synchronize and 3 orders", len(got))
	}
	for i, c := range got {
		if c.err != nil {
			t.Fatalf("call %d does not verify: %v", i, c.err)
		}
	}
	if m := got[0].params.Get("method"); m != qimen.FullMethod(qimen.ItemsSync) {
		t.Fatalf("first call %s, want the catalogue first", m)
	}
	body := deliveryConfirmBody
	resp, err := post(t, "http://"+addr, qimen.DeliveryConfirm, body, time.Now())
	if err != nil || readAnswer(t, resp).Flag != qimen.FlagSuccess {
		t.Fatalf("confirmation: %v", err)
	}
	r, err := http.Get("http://" + addr + "/admin/stats")
	if err != nil {
		t.Fatal(err)
	}
	var st Stats
	err = json.NewDecoder(r.Body).Decode(&st)
	r.Body.Close()
	if err != nil || st.Received[qimen.DeliveryConfirm].Accepted != 1 {
		t.Fatalf("stats %+v (%v)", st, err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v (stderr %s)", err, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("still running 15 s after SIGTERM")
	}
	if strings.Contains(stderr.String()+line, testSecret) {
		t.Error("the secret was printed")
	}
}
