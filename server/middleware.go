package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"tally/views"
	"tally/wms"
)

const (
	cookieSession = "tally_session"
	cookiePre     = "tally_pre" // binds the login form's CSRF token before there is a session
	cookieDevice  = "tally_device"
	cookieLang    = "tally_lang"
)

// Locals keys.
const (
	localPrincipal = "principal"
	localSession   = "session"
	localLang      = "lang"
	localDevice    = "device"
	localBearer    = "bearer"
	localLongPoll  = "long_poll" // the request waited on purpose: not slow
)

func (s *Server) recoverPanics(c *fiber.Ctx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("panic", "path", c.Path(), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = fiber.ErrInternalServerError
		}
	}()
	return c.Next()
}

// observe logs each request and counts it for /metrics. It never logs query
// strings, bodies or headers: they can hold PINs and tokens.
// slowRequest is how long an answer may take before it is logged as a warning.
const slowRequest = 500 * time.Millisecond

func (s *Server) observe(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	if err != nil {
		if herr := s.app.ErrorHandler(c, err); herr != nil {
			c.Status(fiber.StatusInternalServerError)
		}
	}
	status := c.Response().StatusCode()
	route := c.Route().Path
	elapsed := time.Since(start)
	s.metrics.observe(c.Method(), route, status, elapsed)
	// A busy floor makes thousands of requests a second and the ledger already
	// records every action, so a request that went well is a debug line;
	// refusals, failures and slow answers are what an operator reads.
	level := slog.LevelDebug
	switch {
	case status == fiber.StatusInsufficientStorage, route == "/healthz" && s.ledger.DiskFull().Full:
		// a full disk refuses every write (and /healthz says so to every
		// poll): the disk job logs it once a minute (diskfull.go)
	case status >= 500:
		level = slog.LevelError
	case status == fiber.StatusUnauthorized || status == fiber.StatusTooManyRequests:
		// anyone can send these, as fast as they like (a login flood): a
		// line per minute with the counts, not a line per request
		s.refused.note(s.log, status, c.Path(), time.Now())
	case elapsed >= slowRequest && c.Locals(localLongPoll) == nil:
		level = slog.LevelWarn
	case status >= 400 && !strings.HasPrefix(route, "/static"):
		level = slog.LevelInfo
	}
	actor := ""
	if p := principal(c); p != nil {
		actor = p.Actor()
	}
	s.log.Log(c.UserContext(), level, "http", "method", c.Method(), "path", c.Path(), "status", status,
		"ms", float64(elapsed.Microseconds())/1000, "actor", actor, "device", c.Locals(localDevice))
	return nil
}

// device gives every browser a stable device ID, recorded on its events.
func (s *Server) device(c *fiber.Ctx) error {
	id := c.Cookies(cookieDevice)
	if _, err := uuid.Parse(id); err != nil {
		id = uuid.NewString()
		s.setCookie(c, cookieDevice, id, 5*365*24*time.Hour)
	}
	c.Locals(localDevice, "web:"+id[:8])
	return c.Next()
}

func (s *Server) setCookie(c *fiber.Ctx, name, value string, maxAge time.Duration) {
	c.Cookie(&fiber.Cookie{Name: name, Value: value, Path: "/", MaxAge: int(maxAge.Seconds()),
		HTTPOnly: true, Secure: s.cfg.SecureCookies, SameSite: fiber.CookieSameSiteLaxMode})
}

func (s *Server) clearCookie(c *fiber.Ctx, name string) {
	c.Cookie(&fiber.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, Expires: time.Unix(0, 0),
		HTTPOnly: true, Secure: s.cfg.SecureCookies, SameSite: fiber.CookieSameSiteLaxMode})
}

// authenticate finds who is calling: a bearer token (integrations) or the
// session cookie (handhelds and kiosks).
func (s *Server) authenticate(c *fiber.Ctx) error {
	if h := c.Get(fiber.HeaderAuthorization); h != "" {
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return wms.Errf(wms.CodeUnauthorized, "auth.token_invalid")
		}
		p, err := s.ledger.TokenPrincipal(strings.TrimSpace(token))
		if err != nil {
			return err
		}
		if d := c.Get("X-Tally-Device"); d != "" {
			if len(d) > 64 || strings.ContainsAny(d, " /\x00") {
				return wms.Errf(wms.CodeInvalid, "http.bad_request")
			}
			p.Device = d
			c.Locals(localDevice, "api:"+d)
		}
		c.Locals(localPrincipal, &p)
		c.Locals(localBearer, true)
		return c.Next()
	}
	if token := c.Cookies(cookieSession); token != "" {
		p, err := s.ledger.SessionPrincipal(token)
		if err != nil {
			if wms.ErrorCode(err) != wms.CodeUnauthorized {
				return err
			}
			s.clearCookie(c, cookieSession)
		} else {
			c.Locals(localPrincipal, &p)
			c.Locals(localSession, token)
		}
	}
	return c.Next()
}

func principal(c *fiber.Ctx) *wms.Principal {
	p, _ := c.Locals(localPrincipal).(*wms.Principal)
	return p
}

func (s *Server) language(c *fiber.Ctx) error {
	user := ""
	if p := principal(c); p != nil {
		user = p.Language
	}
	c.Locals(localLang, views.PickLang(user, c.Cookies(cookieLang), c.Get(fiber.HeaderAcceptLanguage)))
	return c.Next()
}

func lang(c *fiber.Ctx) string {
	l, _ := c.Locals(localLang).(string)
	if l == "" {
		return views.LangZH
	}
	return l
}

// csrfToken is the token forms must carry: an HMAC of the session (or, before
// login, of the pre-session cookie) under the store's secret. It needs no
// server-side table and survives restarts as sessions do.
func (s *Server) csrfToken(c *fiber.Ctx) string {
	binding, _ := c.Locals(localSession).(string)
	if binding == "" {
		binding = c.Cookies(cookiePre)
		if len(binding) < 16 {
			binding = uuid.NewString()
			s.setCookie(c, cookiePre, binding, 30*24*time.Hour)
			c.Request().Header.SetCookie(cookiePre, binding) // visible to the rest of this request
		}
	}
	mac := hmac.New(sha256.New, s.secret)
	mac.Write([]byte("csrf\x00" + binding))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// csrf refuses state-changing requests from the browser without the form's
// token. Bearer-token requests carry no cookies and need none.
func (s *Server) csrf(c *fiber.Ctx) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.Next()
	}
	if bearer, _ := c.Locals(localBearer).(bool); bearer {
		return c.Next()
	}
	if principal(c) == nil && wantsJSON(c) {
		// no session to forge a request with: say what is missing (an
		// integration without its token), not that a form expired
		return wms.Errf(wms.CodeUnauthorized, "auth.login_required")
	}
	got := c.Get("X-CSRF-Token")
	if got == "" {
		got = c.FormValue("_csrf")
	}
	if got == "" || !hmac.Equal([]byte(got), []byte(s.csrfToken(c))) {
		return wms.Errf(wms.CodeForbidden, "csrf.invalid")
	}
	return c.Next()
}

// require admits only a logged-in principal with one of the roles.
func (s *Server) require(roles ...wms.Role) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := principal(c)
		if p == nil {
			if wantsJSON(c) {
				return wms.Errf(wms.CodeUnauthorized, "auth.login_required")
			}
			return c.Redirect("/login?next="+safeNext(c.OriginalURL()), fiber.StatusSeeOther)
		}
		if p.MustChangePIN && c.Path() != "/pin" && c.Path() != "/logout" {
			// a one-time PIN (the first administrator's, printed on the
			// console) opens nothing but the page to replace it
			if wantsJSON(c) {
				return wms.Errf(wms.CodeForbidden, "pin.must_change")
			}
			return c.Redirect("/pin", fiber.StatusSeeOther)
		}
		for _, r := range roles {
			if p.Role == r {
				return c.Next()
			}
		}
		return wms.Errf(wms.CodeForbidden, "auth.forbidden")
	}
}

// wantsJSON is true for the API and for machine endpoints.
func wantsJSON(c *fiber.Ctx) bool {
	p := c.Path()
	return strings.HasPrefix(p, "/api/") || p == "/metrics"
}

// safeNext keeps a redirect target on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.HasPrefix(next, "/login") {
		return "/"
	}
	return next
}
