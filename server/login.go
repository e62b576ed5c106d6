package server

import (
	"math"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"tally/views"
	"tally/wms"
)

func (s *Server) loginPage(c *fiber.Ctx) error {
	if principal(c) != nil {
		return c.Redirect("/", fiber.StatusSeeOther)
	}
	p := views.LoginPage{Page: s.page(c, "login.title"), Next: safeNext(c.Query("next"))}
	if c.Query("bye") != "" {
		p.Feedback = okFeedback("logout.done", nil)
	}
	return s.render(c, fiber.StatusOK, views.Login(p))
}

// login takes a badge (scanned) and a PIN (typed). A wrong PIN keeps the badge
// so that only the PIN is typed again.
func (s *Server) login(c *fiber.Ctx) error {
	badge, pin := c.FormValue("badge"), c.FormValue("pin")
	vm := views.LoginPage{Page: s.page(c, "login.title"), Badge: badge, Next: safeNext(c.FormValue("next"))}
	if badge == "" {
		vm.Feedback = errorFeedback(wms.Errf(wms.CodeInvalid, "login.badge_needed"))
		return s.render(c, fiber.StatusBadRequest, views.Login(vm))
	}
	if pin == "" { // the badge was scanned and Enter pressed before the PIN: ask for it
		vm.Feedback = okFeedback("login.pin_needed", nil)
		return s.render(c, fiber.StatusOK, views.Login(vm))
	}
	// failed logins are limited per address and badge (loginlimit.go): an
	// empty bucket is refused before the PIN is checked or anything written
	addr, now := clientAddr(c.IP()), time.Now()
	if wait := s.logins.wait(addr, badge, now); wait > 0 {
		secs := strconv.Itoa(int(math.Ceil(wait.Seconds())))
		c.Set(fiber.HeaderRetryAfter, secs)
		vm.Feedback = errorFeedback(wms.Errf(wms.CodeInvalid, "login.too_many", "n", secs))
		return s.render(c, fiber.StatusTooManyRequests, views.Login(vm))
	}
	token, p, err := s.ledger.Login(c.UserContext(), badge, pin, device(c))
	if err != nil {
		e := s.asDomain(c, err)
		if e.Code != wms.CodeInternal {
			s.logins.failed(addr, badge, now)
		}
		switch e.Key {
		case "login.unknown_badge":
			s.logins.unknownBadges.Add(1)
			vm.Badge = ""
		case "login.badge_not_code":
			vm.Badge = "" // never echo what was sent back into the page
		}
		vm.Feedback = errorFeedback(e)
		return s.render(c, status(e.Code), views.Login(vm))
	}
	s.setCookie(c, cookieSession, token, wms.SessionLength)
	s.clearCookie(c, cookiePre)
	s.log.Info("login", "badge", p.Badge, "role", p.Role, "device", device(c))
	if p.MustChangePIN {
		return c.Redirect("/pin", fiber.StatusSeeOther)
	}
	return c.Redirect(vm.Next, fiber.StatusSeeOther)
}

func (s *Server) logout(c *fiber.Ctx) error {
	token, _ := c.Locals(localSession).(string)
	if token != "" {
		if err := s.ledger.Logout(c.UserContext(), token, *principal(c), device(c)); err != nil {
			return err
		}
	}
	s.clearCookie(c, cookieSession)
	return c.Redirect("/login?bye=1", fiber.StatusSeeOther)
}

func (s *Server) pinPage(c *fiber.Ctx) error {
	if principal(c).Token != "" {
		return wms.Errf(wms.CodeForbidden, "auth.forbidden")
	}
	return s.render(c, fiber.StatusOK, views.ChangePIN(views.PINPage{Page: s.page(c, "pin.title"), MustChange: principal(c).MustChangePIN}))
}

func (s *Server) changePIN(c *fiber.Ctx) error {
	p := principal(c)
	if p.Token != "" {
		return wms.Errf(wms.CodeForbidden, "auth.forbidden")
	}
	vm := views.PINPage{Page: s.page(c, "pin.title"), MustChange: p.MustChangePIN}
	next := c.FormValue("new")
	var err error
	if next != c.FormValue("repeat") {
		err = wms.Errf(wms.CodeInvalid, "pin.mismatch")
	} else {
		err = s.ledger.ChangePIN(c.UserContext(), *p, c.FormValue("current"), next, device(c))
	}
	if err != nil {
		e := s.asDomain(c, err)
		vm.Feedback = errorFeedback(e)
		return s.render(c, status(e.Code), views.ChangePIN(vm))
	}
	p.MustChangePIN = false
	vm.MustChange = false
	vm.Feedback = okFeedback("pin.changed", nil)
	return s.render(c, fiber.StatusOK, views.ChangePIN(vm))
}

// setLanguage remembers the language chosen on this device. A language set
// on the staff member (staff CSV) still wins once they log in.
func (s *Server) setLanguage(c *fiber.Ctx) error {
	to := c.Query("to")
	if to != views.LangZH && to != views.LangEN {
		to = views.LangZH
	}
	s.setCookie(c, cookieLang, to, 5*365*24*time.Hour)
	if principal(c) != nil {
		return c.Redirect("/", fiber.StatusSeeOther)
	}
	return c.Redirect("/login", fiber.StatusSeeOther)
}

func device(c *fiber.Ctx) string {
	d, _ := c.Locals(localDevice).(string)
	return d
}
