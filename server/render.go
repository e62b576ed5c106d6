package server

import (
	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"tally/views"
)

// render writes a component as the response, in the request's language.
func (s *Server) render(c *fiber.Ctx, status int, comp templ.Component) error {
	c.Status(status)
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	ctx := views.WithLang(c.UserContext(), lang(c))
	ctx = templ.WithNonce(ctx, cspNonce(c)) // for the one inline style (headers.go)
	return comp.Render(ctx, c.Response().BodyWriter())
}

// page fills what every screen has.
func (s *Server) page(c *fiber.Ctx, title string) views.Page {
	p := views.Page{Title: title, CSRF: s.csrfToken(c), Standby: s.standbyBanner()}
	if pr := principal(c); pr != nil && pr.Token == "" {
		p.User = &views.User{Badge: pr.Badge, Name: pr.Name, Role: string(pr.Role)}
		p.Offline = s.offlineBanners(pr.Role)
		p.DiskFull = s.diskBanner(pr.Role)
	}
	return p
}

// people names the actors events record, wherever a page shows who did
// something (floor, counts, trace, login audit, recall, returns receipt): a
// badge becomes the person's name; an integration's token, the system or a
// badge nobody has keeps the name it has.
func (s *Server) people() func(actor string) string {
	names := map[string]string{}
	if staff, err := s.ledger.StaffList(); err == nil {
		for _, m := range staff {
			names[m.Badge] = m.Name
		}
	}
	return func(actor string) string {
		if n := names[actor]; n != "" {
			return n
		}
		return actor
	}
}
