package fakeoms

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"tally/syncer"
)

// TestCommand runs `tally fake-oms` as the demo does: built, started on a free port, pulled
// from with a signed request (the token signs: no secret), then stopped with SIGTERM.
func TestCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the tally binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "tally")
	build := exec.Command("go", "build", "-o", bin, "tally")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	const token = "demo-token-0123456789"
	cmd := exec.Command(bin, "fake-oms", "--addr", addr, "--token", token, "--orders", "5", "--data", filepath.Join(dir, "oms"))
	cmd.Env = append(os.Environ(), "TALLY_FAKE_OMS_SECRET=") // the token signs
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
	if want := "fake OMS serving on http://" + addr + " (warehouse upstream url: http://" + addr + "/tally/v1)\n"; line != want {
		t.Errorf("printed %q, want %q", line, want)
	}
	if strings.Contains(line, token) {
		t.Error("the token was printed")
	}

	req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/tally/v1/changes?limit=500", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if err := syncer.Sign(req, nil, []byte(token), time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var p Page
	if err := json.Unmarshal(b, &p); err != nil || resp.StatusCode != 200 {
		t.Fatalf("pull: %d %s", resp.StatusCode, b)
	}
	if len(p.Changes) != 9 || p.Changes[8].ID != "OMS-ORD-OMS0000005" || p.More {
		t.Errorf("pulled %s", ids(p))
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
	if strings.Contains(stderr.String(), token) {
		t.Error("the token was logged")
	}
}
