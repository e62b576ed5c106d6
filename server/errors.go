package server

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"tally/views"
	"tally/wms"
)

// status maps a domain error code to its HTTP status. Only this package does.
func status(code wms.Code) int {
	switch code {
	case wms.CodeInvalid:
		return fiber.StatusBadRequest
	case wms.CodeUnauthorized:
		return fiber.StatusUnauthorized
	case wms.CodeForbidden:
		return fiber.StatusForbidden
	case wms.CodeNotFound:
		return fiber.StatusNotFound
	case wms.CodeConflict:
		return fiber.StatusConflict
	case wms.CodeStandby:
		return fiber.StatusServiceUnavailable
	case wms.CodeUnavailable:
		return fiber.StatusInsufficientStorage
	}
	return fiber.StatusInternalServerError
}

// asDomain turns any error into a domain error the user can be shown.
func (s *Server) asDomain(c *fiber.Ctx, err error) *wms.Error {
	if e, ok := wms.AsError(err); ok {
		if e.Code == wms.CodeUnavailable {
			s.reportDisk() // at once, not at the disk job's next turn
		}
		return e
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		switch fe.Code {
		case fiber.StatusNotFound, fiber.StatusMethodNotAllowed:
			return wms.Errf(wms.CodeNotFound, "http.not_found")
		case fiber.StatusRequestEntityTooLarge:
			return wms.Errf(wms.CodeInvalid, "http.too_large")
		case fiber.StatusRequestHeaderFieldsTooLarge:
			return wms.Errf(wms.CodeInvalid, "http.too_long")
		}
		if fe.Code < 500 {
			return wms.Errf(wms.CodeInvalid, "http.bad_request")
		}
	}
	s.log.Error("request failed", "path", c.Path(), "err", err)
	return wms.Errf(wms.CodeInternal, "http.internal")
}

// handleError answers a failed request: JSON for the API, a page otherwise.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	e := s.asDomain(c, err)
	st := status(e.Code)
	var fe *fiber.Error
	if errors.As(err, &fe) && fe.Code >= 400 && fe.Code < 500 {
		st = fe.Code // Fiber's own refusals keep their status: 413, 431, 405…
	}
	if !routed(c) {
		// refused while reading, before any middleware ran: the headers,
		// and the language from what was read of the request (if anything)
		setSecurityHeaders(c, "")
		c.Locals(localLang, views.PickLang("", c.Cookies(cookieLang), c.Get(fiber.HeaderAcceptLanguage)))
	}
	// a download that failed half-way (an export, a report) must not send
	// its first half with the error after it
	c.Response().ResetBody()
	c.Response().Header.Del(fiber.HeaderContentDisposition)
	if wantsJSON(c) || !routed(c) {
		// a request Fiber could not read may have lost its path: nothing
		// asked for a page, and an API client must get JSON
		return c.Status(st).JSON(newAPIError(lang(c), e))
	}
	if e.Code == wms.CodeUnauthorized {
		return c.Redirect("/login", fiber.StatusSeeOther)
	}
	p := s.page(c, "app.name")
	p.Feedback = errorFeedback(e)
	return s.render(c, st, views.Error(views.ErrorPage{Page: p, Status: st}))
}

func (s *Server) notFound(c *fiber.Ctx) error {
	return wms.Errf(wms.CodeNotFound, "http.not_found")
}

func errorFeedback(e *wms.Error) *views.Feedback {
	if strings.HasPrefix(e.Key, "key.") {
		// A form's key is hidden in the page: a person who sent it again
		// with other values (the back button) needs the form named, not the key.
		return &views.Feedback{Message: views.Message{Key: "form.already_sent"}}
	}
	return &views.Feedback{Message: views.Message{Key: e.Key, Args: e.Args}}
}

func okFeedback(key string, args map[string]string) *views.Feedback {
	return &views.Feedback{OK: true, Message: views.Message{Key: key, Args: args}}
}

// outcome is what a page says after an action: the refusal in the user's
// words with its status, or ok.
func (s *Server) outcome(c *fiber.Ctx, err error, ok *views.Feedback) (*views.Feedback, int) {
	if err == nil {
		return ok, fiber.StatusOK
	}
	e := s.asDomain(c, err)
	return errorFeedback(e), status(e.Code)
}
