package server

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"tally/views"
	"tally/wms"
)

// printStatuses are the states a print job can be in.
var printStatuses = []string{"queued", "sent", "failed", "browser"}

// printFilter reads status, station, order and limit (at most 1000 jobs, 100
// by default) from the query, or from the form that retried a job.
func printFilter(c *fiber.Ctx) (wms.PrintFilter, error) {
	val := func(k string) string {
		if v := c.Query(k); v != "" {
			return strings.TrimSpace(v)
		}
		if c.Method() == fiber.MethodPost {
			return strings.TrimSpace(c.FormValue(k))
		}
		return ""
	}
	f := wms.PrintFilter{Status: val("status"), Station: val("station"), Order: val("order"), Limit: 100}
	if f.Status != "" && !slices.Contains(printStatuses, f.Status) {
		return f, wms.Errf(wms.CodeInvalid, "jobs.status_invalid", "status", f.Status)
	}
	if l := val("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 1000 {
			return f, wms.Errf(wms.CodeInvalid, "jobs.limit_invalid", "limit", l)
		}
		f.Limit = n
	}
	return f, nil
}

// waybills finds each job's parcel waybill, reading each order's packing once.
func (s *Server) waybills(jobs []wms.PrintJob) map[string]string {
	packs := map[string]wms.PackState{}
	out := map[string]string{}
	for _, j := range jobs {
		ref := wms.OrderRef(j.Owner, j.Order)
		ps, ok := packs[ref]
		if !ok {
			ps, _ = s.ledger.Books(j.Owner).Pack(j.Order)
			packs[ref] = ps
		}
		if j.Parcel >= 1 && j.Parcel <= len(ps.Parcels) {
			out[j.ID] = ps.Parcels[j.Parcel-1].Waybill
		}
	}
	return out
}

func jobRow(j wms.PrintJob, waybill string) views.PrintJobRow {
	return views.PrintJobRow{ID: j.ID, Owner: wms.OwnerOr(j.Owner), Station: j.Station, Order: j.Order, Parcel: j.Parcel, Waybill: waybill, Tries: j.Tries,
		Status: j.Status, Error: j.Error, Copy: j.Copy, Retryable: j.GaveUp()}
}

// printJobsPage is the supervisors' list of print jobs, newest first, with a
// Retry for those that stopped after failing.
func (s *Server) printJobsPage(c *fiber.Ctx) error {
	return s.renderPrintJobs(c, nil, fiber.StatusOK)
}

func (s *Server) renderPrintJobs(c *fiber.Ctx, fb *views.Feedback, code int) error {
	f, err := printFilter(c)
	var owners views.OwnerFilter
	if err == nil {
		owners, err = s.ownerFilter(c)
	}
	if err == nil && owners.Show && c.Method() == fiber.MethodPost && c.FormValue("owner") != "" { // kept by the retry form
		owners.Chosen, err = s.ledger.KnownOwner(c.FormValue("owner"))
	}
	f.Owner = owners.Chosen
	if err != nil {
		e := s.asDomain(c, err)
		fb, code, f = errorFeedback(e), status(e.Code), wms.PrintFilter{Limit: 100}
		owners.Chosen = ""
	}
	jobs, err := s.ledger.PrintJobs(f)
	if err != nil {
		return err
	}
	stations, err := s.ledger.Stations()
	if err != nil {
		return err
	}
	vm := views.PrintJobsPage{Page: s.page(c, "jobs.title"), Status: f.Status, Station: f.Station, Key: uuid.NewString(), Owners: owners}
	vm.Feedback = fb
	for _, st := range stations {
		vm.Stations = append(vm.Stations, st.ID)
	}
	wb := s.waybills(jobs)
	for _, j := range jobs {
		row := jobRow(j, wb[j.ID])
		row.Created = j.Created.In(s.ledger.Zone()).Format("01-02 15:04:05")
		vm.Jobs = append(vm.Jobs, row)
	}
	return s.render(c, code, views.PrintJobs(vm))
}

// retryPrintJob sends a job that stopped after failing back to its printer.
// The event's ID comes from the page, so a form sent twice retries once.
func (s *Server) retryPrintJob(c *fiber.Ctx) error {
	id := strings.TrimSpace(c.FormValue("job"))
	key := c.FormValue("key")
	if _, err := uuid.Parse(strings.SplitN(key, ":", 2)[0]); err != nil {
		key = uuid.NewString()
	}
	job, err := s.ledger.RetryPrint(c.UserContext(), "retry:"+key, id, principal(c).Actor(), device(c))
	if err != nil {
		e := s.asDomain(c, err)
		return s.renderPrintJobs(c, errorFeedback(e), status(e.Code))
	}
	s.kickPrinter()
	st, _ := s.ledger.Station(job.Station)
	return s.renderPrintJobs(c, okFeedback("jobs.retried", map[string]string{"job": job.ID, "printer": st.Printer}), fiber.StatusOK)
}

// printJobOut is a print job as GET /api/v1/print-jobs answers it.
type printJobOut struct {
	ID      string    `json:"id"`
	Station string    `json:"station"`
	Kind    string    `json:"kind"`
	Order   string    `json:"order"`
	Parcel  int       `json:"parcel"`
	Waybill string    `json:"waybill"`
	Copy    bool      `json:"copy"`
	Status  string    `json:"status"`
	Tries   int       `json:"tries"`
	Retries int       `json:"retries"`
	GaveUp  bool      `json:"gave_up"` // failed as often as it may: only a retry prints it
	Error   string    `json:"error,omitempty"`
	Actor   string    `json:"actor"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

// apiPrintJobs is GET /api/v1/print-jobs?status=failed&station=PACK-01&order=…&owner=…&limit=100
// (the owner: of the order, or alone, every job of that owner's orders).
func (s *Server) apiPrintJobs(c *fiber.Ctx) error {
	f, err := printFilter(c)
	if err != nil {
		return err
	}
	if f.Owner, err = s.ownerQuery(c); err != nil {
		return err
	}
	jobs, err := s.ledger.PrintJobs(f)
	if err != nil {
		return err
	}
	wb := s.waybills(jobs)
	out := make([]printJobOut, 0, len(jobs))
	for _, j := range jobs {
		out = append(out, printJobOut{ID: j.ID, Station: j.Station, Kind: j.Kind, Order: j.Order, Parcel: j.Parcel, Waybill: wb[j.ID],
			Copy: j.Copy, Status: j.Status, Tries: j.Tries, Retries: j.Retries, GaveUp: j.GaveUp(), Error: j.Error, Actor: j.Actor,
			Created: j.Created, Updated: j.Updated})
	}
	return c.JSON(printJobsOut{Jobs: out})
}
