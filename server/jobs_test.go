package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"tally/wms"
)

// record is a log of what jobs did, safe for several goroutines.
type record struct {
	mu    sync.Mutex
	lines []string
}

func (r *record) add(s string) { r.mu.Lock(); r.lines = append(r.lines, s); r.mu.Unlock() }
func (r *record) get() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.lines)
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestRunnerStartsAndStopsInOrder(t *testing.T) {
	r := NewRunner(quietLog())
	var rec record
	for _, name := range []string{"a", "b", "c"} {
		err := r.Add(Job{Name: name,
			Start: func(context.Context) error { rec.add("start " + name); return nil },
			Run:   func(ctx context.Context) error { <-ctx.Done(); rec.add("end " + name); return nil },
			Stop:  func() { rec.add("stop " + name) },
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Add(Job{Name: "a", Run: func(context.Context) error { return nil }}); err == nil {
		t.Error("a second job named a was taken")
	}
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	if got := rec.get(); !slices.Equal(got, []string{"start a", "start b", "start c"}) {
		t.Errorf("started %v", got)
	}
	for _, st := range r.Status() {
		if st.State != "running" { // a loop is one long run
			t.Errorf("%s is %s while its loop runs", st.Name, st.State)
		}
	}
	if err := r.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := []string{"start a", "start b", "start c", "end c", "stop c", "end b", "stop b", "end a", "stop a"}
	if got := rec.get(); !slices.Equal(got, want) {
		t.Errorf("ran %v\nwant %v", got, want)
	}
	for _, st := range r.Status() {
		if st.State != "stopped" {
			t.Errorf("%s is %s after Stop", st.Name, st.State)
		}
	}
	if err := r.Stop(context.Background()); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if err := r.Add(Job{Name: "late", Run: func(context.Context) error { return nil }}); err == nil {
		t.Error("a job added after Stop was taken")
	}
}

// A job whose start fails stops the runner's start, and the jobs started
// before it are stopped again.
func TestRunnerStartFailure(t *testing.T) {
	r := NewRunner(quietLog())
	var rec record
	_ = r.Add(Job{Name: "first", Run: func(ctx context.Context) error { <-ctx.Done(); return nil }, Stop: func() { rec.add("stop first") }})
	_ = r.Add(Job{Name: "broken", Start: func(context.Context) error { return errors.New("disk full") }, Every: time.Minute,
		Run: func(context.Context) error { rec.add("ran broken"); return nil }})
	err := r.Start()
	if err == nil || !strings.Contains(err.Error(), "broken") || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("start: %v", err)
	}
	if got := rec.get(); !slices.Equal(got, []string{"stop first"}) {
		t.Errorf("after a failed start: %v", got)
	}
}

// Stop waits for a run in progress to finish: the job sees its context end
// and still completes what it was doing before the store would close.
func TestRunnerStopWaitsForRunInProgress(t *testing.T) {
	r := NewRunner(quietLog())
	inRun := make(chan struct{})
	finished := make(chan struct{})
	wake := make(chan struct{}, 1)
	_ = r.Add(Job{Name: "slow", Every: time.Hour, Wake: wake, Run: func(ctx context.Context) error {
		close(inRun)
		<-ctx.Done()
		time.Sleep(200 * time.Millisecond) // the write it had begun
		close(finished)
		return nil
	}})
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	wake <- struct{}{}
	<-inRun
	if st := r.Status()[0]; st.State != "running" {
		t.Errorf("in its run: %+v", st)
	}
	if err := r.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-finished:
	default:
		t.Fatal("Stop returned while the job's run was in progress")
	}
	if st := r.Status()[0]; st.Runs != 1 || st.Failures != 0 || st.LastError != "" || st.State != "stopped" {
		t.Errorf("after stopping: %+v", st)
	}

	// a job that does not end in time is named, and Stop returns
	r = NewRunner(quietLog())
	release := make(chan struct{})
	defer close(release)
	_ = r.Add(Job{Name: "stuck", Run: func(context.Context) error { <-release; return nil }})
	_ = r.Start()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := r.Stop(ctx); err == nil || !strings.Contains(err.Error(), "stuck") {
		t.Errorf("stop with a stuck job: %v", err)
	}
}

// A failing job keeps its turns; its error (a panic too) shows in
// GET /api/v1/jobs, for admins only, and stays there after a run that went well.
func TestJobsEndpoint(t *testing.T) {
	s, l := testServer(t)
	ran := make(chan struct{})
	wake := make(chan struct{})
	runs := 0
	err := s.Jobs().Add(Job{Name: "flaky", Every: time.Hour, Wake: wake, Run: func(context.Context) error {
		runs++
		defer func() { ran <- struct{}{} }()
		switch runs {
		case 1:
			return errors.New("upstream said 502")
		case 2:
			return nil
		}
		panic("boom")
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddFloorJobs(); err != nil {
		t.Fatal(err)
	}
	if err := s.StartWorkers(); err != nil {
		t.Fatal(err)
	}
	defer s.StopWorkers()
	admin, _ := l.CreateToken(context.Background(), "ops", wms.RoleAdmin, "test")
	super, _ := l.CreateToken(context.Background(), "boss", wms.RoleSupervisor, "test")
	c := newClient(t, s)
	c.bearer = super
	if resp, _ := c.get("/api/v1/jobs"); resp.StatusCode != 403 {
		t.Errorf("a supervisor's token: %d", resp.StatusCode)
	}
	c.bearer = admin
	jobs := func() (map[string]JobStatus, string) {
		t.Helper()
		resp, body := c.get("/api/v1/jobs")
		if resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		var got struct{ Jobs []JobStatus }
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatal(err)
		}
		var names []string
		byName := map[string]JobStatus{}
		for _, j := range got.Jobs {
			names = append(names, j.Name)
			byName[j.Name] = j
		}
		if want := []string{"print", "scales", "disk", "flaky", "expiry-sweep", "session-sweep", "auto-wave"}; !slices.Equal(names, want) {
			t.Fatalf("jobs %v, want %v", names, want)
		}
		return byName, body
	}
	run := func() JobStatus {
		t.Helper()
		wake <- struct{}{}
		<-ran
		for range 100 { // the run's record is written as it returns
			if f, _ := jobs(); f["flaky"].State == "idle" {
				return f["flaky"]
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Fatal("flaky never went back to idle")
		return JobStatus{}
	}

	byName, body := jobs()
	if f := byName["flaky"]; f.Runs != 0 || f.State != "idle" || f.LastRun != nil || f.EverySec != 3600 {
		t.Errorf("flaky before its first run: %+v", f)
	}
	if sweep := byName["expiry-sweep"]; sweep.Runs != 1 || sweep.LastRun == nil || sweep.LastError != "" || sweep.State != "idle" || sweep.EverySec != 60 {
		t.Errorf("the expiry sweep runs once at start: %+v", sweep)
	}
	if !strings.Contains(body, `"state":"idle"`) || !strings.Contains(body, `"every_s":60`) {
		t.Errorf("json: %s", body)
	}
	if f := run(); f.Runs != 1 || f.Failures != 1 || f.LastError != "upstream said 502" || f.LastErrorAt == nil || f.LastRun == nil {
		t.Errorf("after a failed run: %+v", f)
	}
	if f := run(); f.Runs != 2 || f.Failures != 1 || f.LastError != "upstream said 502" {
		t.Errorf("after a good run the last error stays: %+v", f)
	}
	if f := run(); f.Runs != 3 || f.Failures != 2 || !strings.Contains(f.LastError, "panic") {
		t.Errorf("after a panic: %+v", f)
	}
}
