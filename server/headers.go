package server

import (
	"crypto/rand"
	"encoding/base64"

	"github.com/gofiber/fiber/v2"
)

// Every answer, page, file, JSON or error, carries the same security
// headers. The pages load their scripts and styles from /static only (no
// inline script, no inline event handler, no style attribute); the one
// inline style, a label page's @page size, carries the request's nonce.
// Frames are refused: the label opens in a window of its own, not a frame.
const (
	headerCSP            = "Content-Security-Policy"
	headerFrameOptions   = "X-Frame-Options"
	headerContentOptions = "X-Content-Type-Options"
	headerReferrerPolicy = "Referrer-Policy"
	localNonce           = "csp_nonce"
	localRouted          = "routed" // the request reached the routes (it was read whole)
)

// contentSecurityPolicy is the policy with nonce allowed for inline styles
// (none when nonce is empty).
func contentSecurityPolicy(nonce string) string {
	style := "style-src 'self'"
	if nonce != "" {
		style += " 'nonce-" + nonce + "'"
	}
	return "default-src 'self'; script-src 'self'; " + style + "; img-src 'self' data:; connect-src 'self'; " +
		"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
}

// securityHeaders sets the headers on every routed request and makes the
// nonce the pages' inline style uses (render passes it to the views).
func (s *Server) securityHeaders(c *fiber.Ctx) error {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	nonce := base64.RawURLEncoding.EncodeToString(b)
	c.Locals(localNonce, nonce)
	c.Locals(localRouted, true)
	setSecurityHeaders(c, nonce)
	return c.Next()
}

func setSecurityHeaders(c *fiber.Ctx, nonce string) {
	h := &c.Response().Header
	h.Set(headerCSP, contentSecurityPolicy(nonce))
	h.Set(headerFrameOptions, "DENY")
	h.Set(headerContentOptions, "nosniff")
	h.Set(headerReferrerPolicy, "same-origin")
}

// cspNonce is the request's nonce ("" before the routes).
func cspNonce(c *fiber.Ctx) string {
	n, _ := c.Locals(localNonce).(string)
	return n
}

// routed is false for a request Fiber could not read whole (a header or a
// body over its limit, a malformed request): its path may be lost, so its
// error cannot be told apart as an API call or a page.
func routed(c *fiber.Ctx) bool {
	r, _ := c.Locals(localRouted).(bool)
	return r
}
