package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
)

// The runner is the one home of background work: the print worker, the
// stations' scales, the expiry and session sweeps, auto-wave, and (from
// main.go) the syncer. Each job is started in the order it was added and
// stopped in the reverse order, after HTTP has stopped and before the store
// closes; each reports how its runs went at GET /api/v1/jobs.

// Job is one piece of background work.
type Job struct {
	Name string
	// Start, if set, runs once when the job starts, before anything else of
	// it; the runner starts jobs one after another, so a job may rely on the
	// ones added before it. An error stops Runner.Start.
	Start func(ctx context.Context) error
	// Every is how often Run runs. 0 means Run is a loop of its own: it is
	// called once and returns when ctx ends.
	Every time.Duration
	// Wake, if set, runs the job at once when it receives (new work queued).
	Wake <-chan struct{}
	// Run does the work. Its error is that run's: the job's status and the log
	// show it, and the job runs again at its next turn.
	Run func(ctx context.Context) error
	// Stop, if set, runs once after the job's last run has ended.
	Stop func()
	// OnStandby runs the job while the store follows a primary too (the
	// follower itself); every other job waits for a promotion (standby.go).
	OnStandby bool
}

// JobStatus is how a job is doing.
type JobStatus struct {
	Name string `json:"name"`
	// State is stopped (not started, or stopped), idle (waiting for its
	// next turn) or running (a run in progress).
	State       string     `json:"state"`
	EverySec    float64    `json:"every_s,omitempty"`
	Runs        uint64     `json:"runs"`
	Failures    uint64     `json:"failures"`
	LastRun     *time.Time `json:"last_run,omitempty"` // when the last run began
	LastTookMS  float64    `json:"last_took_ms"`
	LastError   string     `json:"last_error,omitempty"` // the last run that failed, even if later ones went well
	LastErrorAt *time.Time `json:"last_error_at,omitempty"`
}

// Runner owns the background jobs.
type Runner struct {
	log *slog.Logger

	mu      sync.Mutex
	jobs    []*job
	started bool
	stopped bool
	// gate, when set, wraps every job added (the server's: primaryOnly)
	gate func(Job) Job
}

type job struct {
	Job
	log *slog.Logger

	mu     sync.Mutex
	status JobStatus
	cancel context.CancelFunc
	done   chan struct{} // closed when the job's loop has ended
}

// NewRunner makes a runner with no jobs.
func NewRunner(log *slog.Logger) *Runner { return &Runner{log: log} }

// Add gives the runner a job. A job added while the runner runs starts at once.
func (r *Runner) Add(j Job) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.stopped:
		return fmt.Errorf("job %s: the runner has stopped", j.Name)
	case j.Name == "":
		return errors.New("a job needs a name")
	case j.Run == nil && j.Start == nil && j.Stop == nil:
		return fmt.Errorf("job %s does nothing", j.Name)
	case j.Every < 0:
		return fmt.Errorf("job %s: negative interval", j.Name)
	}
	for _, x := range r.jobs {
		if x.Name == j.Name {
			return fmt.Errorf("job %s is already added", j.Name)
		}
	}
	if r.gate != nil {
		j = r.gate(j)
	}
	x := &job{Job: j, log: r.log, status: JobStatus{Name: j.Name, State: "stopped", EverySec: j.Every.Seconds()}}
	r.jobs = append(r.jobs, x)
	if r.started {
		return x.start()
	}
	return nil
}

// Start starts every job, in the order they were added. When one fails to
// start, the ones before it are stopped again and its error returned.
func (r *Runner) Start() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started || r.stopped {
		return nil
	}
	r.started = true
	for i, j := range r.jobs {
		if err := j.start(); err != nil {
			for k := i - 1; k >= 0; k-- {
				r.jobs[k].stop(context.Background())
			}
			r.stopped = true
			return err
		}
	}
	return nil
}

// Stop stops every job in the reverse order of starting, each after its run
// in progress has finished: a job's context is cancelled and the runner waits
// for it, up to ctx. Jobs still running when ctx ends are named in the error.
// Safe to call twice.
func (r *Runner) Stop(ctx context.Context) error {
	r.mu.Lock()
	jobs, started, stopped := r.jobs, r.started, r.stopped
	r.stopped = true
	r.mu.Unlock() // status stays readable while jobs finish
	if stopped || !started {
		return nil
	}
	var late []string
	for i := len(jobs) - 1; i >= 0; i-- {
		if !jobs[i].stop(ctx) {
			late = append(late, jobs[i].Name)
		}
	}
	if len(late) > 0 {
		return fmt.Errorf("jobs still running at shutdown: %s", strings.Join(late, ", "))
	}
	return nil
}

// Status reports every job, in the order they were added.
func (r *Runner) Status() []JobStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]JobStatus, 0, len(r.jobs))
	for _, j := range r.jobs {
		j.mu.Lock()
		out = append(out, j.status)
		j.mu.Unlock()
	}
	return out
}

func (j *job) start() error {
	ctx, cancel := context.WithCancel(context.Background())
	j.mu.Lock()
	j.cancel, j.done = cancel, make(chan struct{})
	j.status.State = "idle"
	j.mu.Unlock()
	if j.Start != nil {
		if err := j.once(ctx, j.Start); err != nil {
			cancel()
			close(j.done)
			j.setState("stopped")
			return fmt.Errorf("job %s: %w", j.Name, err)
		}
	}
	if j.Run == nil {
		close(j.done)
		return nil
	}
	if j.Every == 0 {
		j.setState("running") // a loop is one run, from now until it stops
	}
	go j.loop(ctx)
	return nil
}

func (j *job) loop(ctx context.Context) {
	defer close(j.done)
	if j.Every == 0 {
		_ = j.once(ctx, j.Run)
		return
	}
	tick := time.NewTicker(j.Every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-j.Wake: // a nil channel never receives
		}
		_ = j.once(ctx, j.Run)
	}
}

// stop cancels the job, waits for its loop (up to ctx) and runs its Stop.
// It reports whether the job had ended.
func (j *job) stop(ctx context.Context) bool {
	j.mu.Lock()
	cancel, done := j.cancel, j.done
	j.mu.Unlock()
	if cancel == nil {
		return true
	}
	cancel()
	select {
	case <-done:
	case <-ctx.Done():
		return false
	}
	if j.Stop != nil {
		j.Stop()
	}
	j.setState("stopped")
	return true
}

// once runs fn as one run of the job and records how it went. A panic is a
// failed run, not a dead server.
func (j *job) once(ctx context.Context, fn func(context.Context) error) (err error) {
	start := time.Now()
	j.mu.Lock()
	j.status.State = "running"
	j.mu.Unlock()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
			j.log.Error("job panicked", "job", j.Name, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		}
		if err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			err = nil // stopped on purpose
		}
		j.mu.Lock()
		defer j.mu.Unlock()
		j.status.Runs++
		j.status.LastRun = &start
		j.status.LastTookMS = float64(time.Since(start).Microseconds()) / 1000
		if j.status.State == "running" {
			j.status.State = "idle"
		}
		if err != nil {
			now := time.Now()
			j.status.Failures++
			j.status.LastError, j.status.LastErrorAt = err.Error(), &now
			j.log.Error("job failed", "job", j.Name, "err", err)
		}
	}()
	return fn(ctx)
}

func (j *job) setState(state string) {
	j.mu.Lock()
	j.status.State = state
	j.mu.Unlock()
}

// AddFloorJobs adds the warehouse's routine work to the runner: the expiry
// and session sweeps at start (a failure there stops the start) and then
// every minute (each writes once a day: its event is keyed by the date), and
// the auto-wave rule every minute when a supervisor has turned it on.
func (s *Server) AddFloorJobs() error {
	l := s.ledger
	sweepExpired := func(ctx context.Context) error {
		expired, err := l.SweepExpired(ctx)
		if len(expired) > 0 {
			s.log.Info("expiry sweep", "expired_lots", len(expired))
		}
		return err
	}
	sweepSessions := func(ctx context.Context) error {
		n, err := l.SweepSessions(ctx)
		if n > 0 {
			s.log.Info("session sweep", "expired_sessions", n)
		}
		return err
	}
	autoWave := func(ctx context.Context) error {
		waves, err := l.RunAutoWave(ctx)
		for _, w := range waves {
			s.log.Info("auto-wave released", "wave", w.ID, "orders", len(w.Orders), "tasks", len(w.Tasks), "waiting", len(w.Waiting))
		}
		return err
	}
	for _, j := range []Job{
		{Name: "expiry-sweep", Start: sweepExpired, Every: time.Minute, Run: sweepExpired},
		{Name: "session-sweep", Start: sweepSessions, Every: time.Minute, Run: sweepSessions},
		{Name: "auto-wave", Every: time.Minute, Run: autoWave},
	} {
		if err := s.jobs.Add(j); err != nil {
			return err
		}
	}
	return nil
}

// Jobs is the server's runner, for main.go to add jobs of its own (the syncer).
func (s *Server) Jobs() *Runner { return s.jobs }

// apiJobs lists the background jobs and how their runs went.
func (s *Server) apiJobs(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"jobs": s.jobs.Status()})
}
