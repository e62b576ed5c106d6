package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// serve with its jobs: the sweeps ran at start, every job is listed, an
// integration token reads the feed, and a long poll open at shutdown neither
// holds it nor loses its answer; the store closes after the jobs.
func TestServeJobsAndFeed(t *testing.T) {
	dir := t.TempDir()
	tokens := map[string]string{}
	for _, role := range []string{"admin", "integration"} {
		var out bytes.Buffer
		if err := run(context.Background(), []string{"token", "create", "--data", dir, "--name", role, "--role", role}, &out, &out); err != nil {
			t.Fatalf("token --role %s: %v", role, err)
		}
		tokens[role] = strings.TrimSpace(out.String())
	}
	stdout, stderr := newSyncBuffer(), newSyncBuffer()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"--data", dir, "--addr", "127.0.0.1:0"}, stdout, stderr) }()
	addr := ""
	re := regexp.MustCompile(`serving on (http://\S+)`)
	for i := 0; i < 100 && addr == ""; i++ {
		time.Sleep(50 * time.Millisecond)
		if m := re.FindStringSubmatch(stdout.String()); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		t.Fatalf("server did not start: %s %s", stdout, stderr)
	}
	get := func(path, role string, into any) int {
		t.Helper()
		req, _ := http.NewRequest("GET", addr+path, nil)
		req.Header.Set("Authorization", "Bearer "+tokens[role])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode == 200 {
			if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
				t.Fatal(err)
			}
		}
		return resp.StatusCode
	}

	var jobs struct {
		Jobs []struct {
			Name, State string
			Runs        int
		}
	}
	if code := get("/api/v1/jobs", "admin", &jobs); code != 200 {
		t.Fatalf("jobs: %d", code)
	}
	var names []string
	for _, j := range jobs.Jobs {
		names = append(names, j.Name)
		if (j.Name == "expiry-sweep" || j.Name == "session-sweep") && j.Runs != 1 {
			t.Errorf("%s ran %d times at start", j.Name, j.Runs)
		}
	}
	if want := []string{"print", "scales", "disk", "expiry-sweep", "session-sweep", "auto-wave", "archive", "sync"}; !slices.Equal(names, want) {
		t.Errorf("jobs %v, want %v", names, want)
	}
	if code := get("/api/v1/jobs", "integration", &jobs); code != 403 {
		t.Errorf("jobs with the integration token: %d", code)
	}

	var page struct {
		Events  []struct{ Type string }
		Next    uint64
		LastSeq uint64 `json:"last_seq"`
	}
	if code := get("/api/v1/events?limit=1000", "integration", &page); code != 200 || len(page.Events) == 0 || page.Next != page.LastSeq {
		t.Fatalf("feed: %d %+v", code, page)
	}
	polled := make(chan error, 1)
	go func() {
		var p struct {
			Events []any
			Next   uint64
		}
		code := get(fmt.Sprintf("/api/v1/events?after=%d&wait=60s", page.LastSeq), "integration", &p)
		if code != 200 || len(p.Events) != 0 || p.Next != page.LastSeq {
			polled <- fmt.Errorf("long poll at shutdown: %d %+v", code, p)
			return
		}
		polled <- nil
	}()
	time.Sleep(300 * time.Millisecond)
	stopped := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no graceful shutdown")
	}
	if took := time.Since(stopped); took > 10*time.Second {
		t.Errorf("shutdown took %v with a long poll open", took)
	}
	if err := <-polled; err != nil {
		t.Error(err)
	}
	if strings.Contains(stderr.String(), `"level":"ERROR"`) {
		t.Errorf("errors at shutdown: %s", stderr)
	}
	// the store was closed: another command opens it
	var out bytes.Buffer
	if err := run(context.Background(), []string{"check", "--data", dir}, &out, &out); err != nil {
		t.Errorf("check after shutdown: %v %s", err, out.String())
	}
}
