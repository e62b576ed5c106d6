package server

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"tally/printing"
	"tally/scale"
	"tally/wms"
)

// devices holds the stations' scales (opened on first use, kept open) and
// wakes the print worker.
type devices struct {
	mu     sync.Mutex
	scales map[string]*scale.Scale
	ctx    context.Context
	cancel context.CancelFunc
	kick   chan struct{}
}

func newDevices() *devices {
	ctx, cancel := context.WithCancel(context.Background())
	return &devices{scales: map[string]*scale.Scale{}, ctx: ctx, cancel: cancel, kick: make(chan struct{}, 1)}
}

// scaleOf returns the station's scale, opening it on first use.
func (s *Server) scaleOf(st wms.Station) (*scale.Scale, error) {
	if st.Scale == "" {
		return nil, wms.Errf(wms.CodeConflict, "scale.none", "station", st.ID)
	}
	d := s.dev
	d.mu.Lock()
	defer d.mu.Unlock()
	if sc, ok := d.scales[st.ID]; ok {
		return sc, nil
	}
	proto := scale.Protocol(st.Protocol)
	if proto == "" {
		proto = "continuous"
	}
	sc, err := scale.Open(d.ctx, scale.Config{Address: st.Scale, Protocol: proto})
	if err != nil {
		return nil, wms.Errf(wms.CodeConflict, "scale.open_failed", "station", st.ID, "detail", err.Error())
	}
	d.scales[st.ID] = sc
	return sc, nil
}

func (s *Server) forgetScale(station string) {
	d := s.dev
	d.mu.Lock()
	defer d.mu.Unlock()
	if sc, ok := d.scales[station]; ok {
		_ = sc.Close()
		delete(d.scales, station)
	}
}

func (s *Server) kickPrinter() {
	select {
	case s.dev.kick <- struct{}{}:
	default:
	}
}

// deviceJobs are the runner's jobs for the stations' devices: the print
// worker, which sends queued labels whenever woken and every few seconds (for
// retries after a printer came back), and the scales, each of which reads its
// line in the background from its first use until the job stops.
func (s *Server) deviceJobs() []Job {
	return []Job{
		{Name: "print", Every: 3 * time.Second, Wake: s.dev.kick, Run: s.printQueued},
		{Name: "scales", Stop: s.closeScales},
	}
}

// closeScales stops every scale's reader; a scale asked for afterwards stays closed.
func (s *Server) closeScales() {
	d := s.dev
	d.mu.Lock()
	defer d.mu.Unlock()
	d.cancel()
	for id, sc := range d.scales {
		_ = sc.Close()
		delete(d.scales, id)
	}
}

// StartWorkers starts the background jobs (Jobs), in the order they were
// added. Stop them with StopWorkers, after HTTP has stopped.
func (s *Server) StartWorkers() error { return s.jobs.Start() }

// StopWorkers stops the background jobs in reverse order, each after its run
// in progress. Safe to call twice.
func (s *Server) StopWorkers() { _ = s.jobs.Stop(context.Background()) }

// printQueued tries each queued job once. A printer's failure is the print
// job's (its status and tries); what this returns is the worker's own trouble:
// the queue unread, or a result not recorded.
func (s *Server) printQueued(ctx context.Context) error {
	jobs, err := s.ledger.QueuedPrintJobs()
	if err != nil {
		return fmt.Errorf("print queue: %w", err)
	}
	var failed error
	for _, job := range jobs {
		if ctx.Err() != nil {
			return nil
		}
		res := wms.PrintResult{Job: job.ID, Status: "sent"}
		if err := s.printJob(ctx, job); err != nil {
			if errors.Is(err, printing.ErrBrowserPrint) {
				res.Status = "browser"
			} else {
				res.Status, res.Error = "failed", err.Error()
				s.log.Warn("print failed", "job", job.ID, "station", job.Station, "try", job.Tries+1, "err", err)
			}
		}
		if err := s.ledger.RecordPrint(ctx, job.ID+":"+itoa(job.Tries+1), res); err != nil && ctx.Err() == nil {
			failed = fmt.Errorf("record print job %s: %w", job.ID, err)
		}
	}
	return failed
}

func (s *Server) printJob(ctx context.Context, job wms.PrintJob) error {
	st, err := s.ledger.Station(job.Station)
	if err != nil {
		return err
	}
	p, err := printing.ParsePrinter(st.Printer)
	if err != nil {
		return err
	}
	if st.Printer == "browser" {
		return printing.ErrBrowserPrint
	}
	data, err := s.renderLabel(job, st.Format)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	return p.Print(ctx, printing.Job{Title: "tally-" + job.ID, Format: st.Format, Data: data, Copies: 1})
}
