package server

import (
	"context"
	"errors"
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
	done   chan struct{}
}

func newDevices() *devices {
	ctx, cancel := context.WithCancel(context.Background())
	return &devices{scales: map[string]*scale.Scale{}, ctx: ctx, cancel: cancel, kick: make(chan struct{}, 1), done: make(chan struct{})}
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

// StartWorkers starts the print worker. Stop with StopWorkers, after HTTP has stopped.
func (s *Server) StartWorkers() {
	go s.printLoop()
}

// StopWorkers stops the print worker and closes the scales. Safe to call twice.
func (s *Server) StopWorkers() {
	d := s.dev
	d.mu.Lock()
	if d.ctx.Err() == nil {
		d.cancel()
		for id, sc := range d.scales {
			_ = sc.Close()
			delete(d.scales, id)
		}
		d.mu.Unlock()
		<-d.done
		return
	}
	d.mu.Unlock()
}

// printLoop sends queued print jobs, oldest first, whenever woken and every
// few seconds (for retries after a printer came back).
func (s *Server) printLoop() {
	defer close(s.dev.done)
	tick := time.NewTicker(3 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-s.dev.ctx.Done():
			return
		case <-s.dev.kick:
		case <-tick.C:
		}
		s.printQueued(s.dev.ctx)
	}
}

// printQueued tries each queued job once.
func (s *Server) printQueued(ctx context.Context) {
	jobs, err := s.ledger.QueuedPrintJobs()
	if err != nil {
		s.log.Error("print queue", "err", err)
		return
	}
	for _, job := range jobs {
		if ctx.Err() != nil {
			return
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
			s.log.Error("record print", "job", job.ID, "err", err)
		}
	}
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
