package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// serveIn runs `tally serve ARGS` until the test ends and returns its address.
func serveIn(t *testing.T, args ...string) (addr string, stop func()) {
	t.Helper()
	addr, stop, _ = serveLogged(t, args...)
	return addr, stop
}

// serveLogged is serveIn that also gives the server's log (its stderr).
func serveLogged(t *testing.T, args ...string) (addr string, stop func(), log *syncBuffer) {
	t.Helper()
	stdout, stderr := newSyncBuffer(), newSyncBuffer()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, append(args, "--addr", "127.0.0.1:0"), stdout, stderr) }()
	re := regexp.MustCompile(`serving on (http://\S+)`)
	for i := 0; i < 200 && addr == ""; i++ {
		time.Sleep(50 * time.Millisecond)
		if m := re.FindStringSubmatch(stdout.String()); m != nil {
			addr = m[1]
		}
	}
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve %v: %v", args, err)
		}
	}
	t.Cleanup(stop)
	if addr == "" {
		t.Fatalf("serve %v did not start: %s %s", args, stdout, stderr)
	}
	return addr, stop, stderr
}

type health struct {
	LastSeq uint64 `json:"last_seq"`
	Node    struct {
		Role    string `json:"role"`
		Epoch   uint64 `json:"epoch"`
		Standby struct {
			AppliedSeq uint64 `json:"applied_seq"`
		} `json:"standby"`
	} `json:"node"`
}

func healthOf(t *testing.T, addr string) health {
	t.Helper()
	resp, err := http.Get(addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h health
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	return h
}

func TestServeFollowAndPromote(t *testing.T) {
	primaryDir, standbyDir := t.TempDir(), t.TempDir()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"token", "create", "--data", primaryDir, "--name", "standby", "--role", "replica"}, &out, &out); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TALLY_FOLLOW_TOKEN", strings.TrimSpace(out.String()))
	primary, stopPrimary := serveIn(t, "--data", primaryDir, "--demo")
	standby, stopStandby := serveIn(t, "--data", standbyDir, "--follow", primary)
	deadline := time.Now().Add(20 * time.Second)
	for {
		p, s := healthOf(t, primary), healthOf(t, standby)
		if s.Node.Role != "standby" || p.Node.Role != "primary" {
			t.Fatalf("roles: primary %+v, standby %+v", p, s)
		}
		if s.Node.Standby.AppliedSeq == p.LastSeq && s.LastSeq == p.LastSeq {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the standby did not catch up: primary %+v, standby %+v", p, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
	stopStandby()
	stopPrimary()

	// a standby started without --follow refuses; promote makes it the primary
	if err := run(context.Background(), []string{"--data", standbyDir, "--addr", "127.0.0.1:0"}, &out, &out); err == nil || !strings.Contains(err.Error(), "this store is the standby of "+primary) {
		t.Errorf("serve a standby without --follow: %v", err)
	}
	out.Reset()
	if err := run(context.Background(), []string{"promote", "--data", standbyDir}, &out, &out); err != nil || !strings.Contains(out.String(), "is the primary now, epoch 2") {
		t.Fatalf("promote: %v %s", err, out.String())
	}
	if err := run(context.Background(), []string{"promote", "--data", standbyDir}, &out, &out); err == nil || !strings.Contains(err.Error(), "not a standby") {
		t.Errorf("promote a primary: %v", err)
	}
	promoted, stopPromoted := serveIn(t, "--data", standbyDir)
	if h := healthOf(t, promoted); h.Node.Role != "primary" || h.Node.Epoch != 2 {
		t.Errorf("the promoted node: %+v", h)
	}
	// and a store with events of its own cannot follow
	if err := run(context.Background(), []string{"--data", primaryDir, "--addr", "127.0.0.1:0", "--follow", promoted}, &out, &out); err == nil || !strings.Contains(err.Error(), "events of its own") {
		t.Errorf("follow with a store of its own: %v", err)
	}
	stopPromoted()
	for _, dir := range []string{primaryDir, standbyDir} {
		out.Reset()
		if err := run(context.Background(), []string{"check", "--data", dir}, &out, &out); err != nil || !strings.HasPrefix(out.String(), "ledger ok") {
			t.Errorf("check %s: %v %s", dir, err, out.String())
		}
	}
}
