package server

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"tally/wms"
)

// ArchiveSchedule is the running server's daily archiving (tally serve
// --archive-at, --keep-orders, --keep-figures, --keep-answers): once a day,
// in the warehouse's hour Hour (a quiet one: 03:00 by default), finished
// work past its retention goes to the archive files (wms.Ledger.Archive).
// Each slice of a run is one short write, so the floor is never stopped;
// the file keeps its size until `tally compact` (a short stop).
type ArchiveSchedule struct {
	Hour      int
	Retention wms.Retention
}

type archiving struct {
	sched  ArchiveSchedule
	ledger *wms.Ledger
	mu     sync.Mutex
	last   string // the warehouse day of the last run
}

// AddArchiving adds the daily archiving to the job runner.
func (s *Server) AddArchiving(sched ArchiveSchedule) error {
	if sched.Hour < 0 || sched.Hour > 23 {
		return fmt.Errorf("archiving: the hour is 0 to 23 (have %d)", sched.Hour)
	}
	if err := sched.Retention.Validate(); err != nil {
		return fmt.Errorf("archiving: %w", err)
	}
	a := &archiving{sched: sched, ledger: s.ledger}
	return s.jobs.Add(Job{Name: "archive", Every: time.Minute, Run: func(ctx context.Context) error {
		run, ran, err := a.runDue(ctx)
		if ran && err == nil && (run.Orders > 0 || run.Figures > 0 || run.Answers > 0 || run.Moved > 0 || run.Receipts > 0) {
			s.log.Info("archived", "orders", run.Orders, "skipped", run.Skipped, "figures", run.Figures, "answers", run.Answers,
				"events", run.Events, "moved_events", run.Moved, "receipts", run.Receipts, "files", run.Files, "took_ms", run.Took.Milliseconds())
		}
		return err
	}})
}

// runDue runs the archiving when the warehouse's clock is in the hour and
// it has not yet run today.
func (a *archiving) runDue(ctx context.Context) (wms.ArchiveRun, bool, error) {
	now := a.ledger.Now().In(a.ledger.Zone())
	today := now.Format("2006-01-02")
	a.mu.Lock()
	defer a.mu.Unlock()
	if now.Hour() != a.sched.Hour || a.last == today {
		return wms.ArchiveRun{}, false, nil
	}
	run, err := a.ledger.Archive(ctx, a.sched.Retention, "system", "archive")
	if err == nil {
		a.last = today
	}
	return run, true, err
}

// apiArchivedOrder answers GET /api/v1/orders/{no} for an order no longer
// in the live store from the archive, marked archived; notFound (the live
// store's answer) when the archive does not have it either.
func (s *Server) apiArchivedOrder(c *fiber.Ctx, books wms.Books, no string, notFound error) error {
	a, err := books.ArchivedOrder(no)
	if notArchived(err) {
		return notFound
	}
	if err != nil {
		return err
	}
	out := newOrderOut(a.Order)
	out.Archived = true
	return c.JSON(out)
}

// orderOrArchived is the owner's order from the live store, else from the
// archive with the archive file's name.
func (s *Server) orderOrArchived(owner, no string) (wms.Order, string, error) {
	books := s.ledger.Books(owner)
	o, err := books.Order(no)
	if wms.ErrorCode(err) != wms.CodeNotFound {
		return o, "", err
	}
	a, aerr := books.ArchivedOrder(no)
	if aerr != nil {
		if notArchived(aerr) {
			return o, "", err
		}
		return o, "", aerr
	}
	return a.Order, a.Archived.File, nil
}

// notArchived says whether Books.ArchivedOrder's error means the archive
// does not hold the order: not one that names a file missing, short or
// damaged, which the operator must be told (archive.file_missing,
// archive.member_missing, archive.damaged).
func notArchived(err error) bool {
	e, ok := wms.AsError(err)
	return ok && e.Key == "order.not_found"
}
