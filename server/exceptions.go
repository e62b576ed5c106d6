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

// exceptionFilter reads kind, owner and days (1 to 90, 7 by default) from the
// query, or from the form that acknowledged an exception.
func (s *Server) exceptionFilter(c *fiber.Ctx) (wms.ExceptionFilter, error) {
	val := func(k string) string {
		if v := c.Query(k); v != "" {
			return strings.TrimSpace(v)
		}
		if c.Method() == fiber.MethodPost {
			return strings.TrimSpace(c.FormValue(k))
		}
		return ""
	}
	f := wms.ExceptionFilter{Kind: val("kind"), Days: wms.DefaultExceptionDays}
	if f.Kind != "" && !slices.Contains(wms.ExceptionKinds, f.Kind) {
		return wms.ExceptionFilter{Days: wms.DefaultExceptionDays}, wms.Errf(wms.CodeInvalid, "exception.kind_invalid", "kind", clip(f.Kind))
	}
	if d := val("days"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 1 || n > wms.MaxExceptionDays {
			return wms.ExceptionFilter{Days: wms.DefaultExceptionDays}, wms.Errf(wms.CodeInvalid, "exception.days_invalid", "days", clip(d), "max", strconv.Itoa(wms.MaxExceptionDays))
		}
		f.Days = n
	}
	if o := val("owner"); o != "" {
		owner, err := s.ledger.KnownOwner(o)
		if err != nil {
			return wms.ExceptionFilter{Days: wms.DefaultExceptionDays}, err
		}
		f.Owner = owner
	}
	return f, nil
}

// exceptionsPage is the supervisors' queue of what needs a person.
func (s *Server) exceptionsPage(c *fiber.Ctx) error {
	return s.renderExceptions(c, nil, fiber.StatusOK)
}

func (s *Server) renderExceptions(c *fiber.Ctx, fb *views.Feedback, code int) error {
	f, err := s.exceptionFilter(c)
	owners, oerr := s.ownerFilter(c)
	if oerr != nil && err == nil {
		err = oerr
	}
	if err != nil {
		e := s.asDomain(c, err)
		fb, code = errorFeedback(e), status(e.Code)
		owners.Chosen = ""
	}
	owners.Chosen = f.Owner
	list, err := s.ledger.Exceptions(f)
	if err != nil {
		return err
	}
	name := s.people()
	vm := views.ExceptionsPage{Page: s.page(c, "exc.title"), Kind: f.Kind, Days: f.Days, Owners: owners, Key: uuid.NewString()}
	vm.Feedback = fb
	for _, k := range wms.ExceptionKinds {
		vm.Counts = append(vm.Counts, views.ExceptionCount{Kind: k, N: list.Counts[k]})
	}
	row := func(e wms.Exception) views.ExceptionRow {
		r := views.ExceptionRow{Kind: e.Kind, Ref: e.Ref, Owners: e.Owners, What: e.What, Since: s.when(e.Since), By: name(e.By)}
		if e.Resolved != nil {
			r.ResolvedBy, r.ResolvedAt, r.How, r.Note = name(e.Resolved.By), s.when(e.Resolved.At), e.Resolved.How, e.Resolved.Note
		}
		return r
	}
	for _, e := range list.Open {
		vm.Open = append(vm.Open, row(e))
	}
	for _, e := range list.Resolved {
		vm.Resolved = append(vm.Resolved, row(e))
	}
	return s.render(c, code, views.Exceptions(vm))
}

// when shows a time in the warehouse's zone ("" for none).
func (s *Server) when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(s.ledger.Zone()).Format("2006-01-02 15:04")
}

// acknowledgeException is POST /exceptions/acknowledge: a supervisor has
// reviewed a weight reject or an override. The key comes from the page, so a
// form sent twice records one review.
func (s *Server) acknowledgeException(c *fiber.Ctx) error {
	a := wms.ExceptionAck{Kind: strings.TrimSpace(c.FormValue("kind")), Ref: strings.TrimSpace(c.FormValue("ref")), Note: c.FormValue("note")}
	var err error
	if len(a.Ref) > 64 {
		err = wms.Errf(wms.CodeInvalid, "exception.ref_invalid")
	} else {
		_, err = s.ledger.AcknowledgeException(c.UserContext(), "ack:"+formKey(c), a, principal(c).Actor(), device(c))
	}
	fb, code := s.outcome(c, err, okFeedback("exc.acknowledged", nil))
	return s.renderExceptions(c, fb, code)
}

// exceptionsOut is GET /api/v1/exceptions.
type exceptionsOut struct {
	Open     []wms.Exception `json:"open"`
	Resolved []wms.Exception `json:"resolved"`
	Counts   map[string]int  `json:"counts"` // open ones per kind, whatever the kind filter
}

// apiExceptions is GET /api/v1/exceptions?kind=…&owner=…&days=7.
func (s *Server) apiExceptions(c *fiber.Ctx) error {
	f, err := s.exceptionFilter(c)
	if err != nil {
		return err
	}
	list, err := s.ledger.Exceptions(f)
	if err != nil {
		return err
	}
	return c.JSON(exceptionsOut(list))
}
