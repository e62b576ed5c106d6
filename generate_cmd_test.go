package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// A generated store checks out and a server shows it: its pages answer
// with the simulated floor's orders and figures.
func TestGenerateCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	var out, progress bytes.Buffer
	events := "4000"
	if generateUnderRace {
		events = "1000"
	}
	if err := run(context.Background(), []string{"generate", "--data", dir, "--events", events, "--days", "2", "--start", "2026-10-01", "--seed", "5"}, &out, &progress); err != nil {
		t.Fatalf("generate: %v\n%s%s", err, out.String(), progress.String())
	}
	if !regexp.MustCompile(`^generated \d+ events \(\d+ orders, \d+ shipped\) over 2 days in .*: \d+ events/s; .* MiB on disk, \d+ bytes an event\nceiling, raw bbolt puts .*: \d+ events/s; generate is [0-9.]+× of it\n$`).MatchString(out.String()) {
		t.Errorf("output:\n%s", out.String())
	}
	if !strings.Contains(progress.String(), "day 2/2 2026-10-02") {
		t.Errorf("progress:\n%s", progress.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"generate", "--data", dir, "--events", "4000", "--days", "2"}, &out, &out); err == nil || !strings.Contains(err.Error(), "is not empty") {
		t.Errorf("generate into a store: %v", err)
	}
	fresh := filepath.Join(t.TempDir(), "fresh")
	if err := run(context.Background(), []string{"generate", "--data", fresh, "--events", "4000", "--days", "2", "--keep-free", "2000000"}, &out, &out); err == nil || !strings.Contains(err.Error(), "--keep-free 2000000: at most") {
		t.Errorf("generate keeping more free than any disk has: %v", err)
	}
	if _, err := os.Stat(fresh); err == nil {
		t.Errorf("a refused --keep-free made %s", fresh)
	}
	out.Reset()
	if err := run(context.Background(), []string{"check", "--data", dir}, &out, &out); err != nil || !strings.HasPrefix(out.String(), "ledger ok") {
		t.Fatalf("check: %v %s", err, out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"token", "create", "--data", dir, "--name", "bench", "--role", "supervisor"}, &out, &out); err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(out.String())

	stdout, stderr := newSyncBuffer(), newSyncBuffer()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"--data", dir, "--addr", "127.0.0.1:0"}, stdout, stderr) }()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("no graceful shutdown")
		}
	}()
	addr := ""
	re := regexp.MustCompile(`serving on (http://\S+)`)
	for i := 0; i < 200 && addr == ""; i++ {
		time.Sleep(50 * time.Millisecond)
		if m := re.FindStringSubmatch(stdout.String()); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		t.Fatalf("server did not start: %s %s", stdout, stderr)
	}
	for path, want := range map[string]string{
		"/orders?state=shipped":        "GS261002",
		"/stock?code=SKU01000":         "SKU01000",
		"/kpi?day=2026-10-02":          "B1001",
		"/floor":                       "",
		"/exceptions":                  "",
		"/api/v1/orders?state=shipped": `"state":"shipped"`,
	} {
		req, _ := http.NewRequest("GET", addr+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("GET %s: %d, %q not in %.300s", path, resp.StatusCode, want, body)
		}
	}
}
