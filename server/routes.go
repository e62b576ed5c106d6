package server

import (
	"net/http"

	"github.com/gofiber/fiber/v2/middleware/filesystem"

	"tally/static"
	"tally/wms"
)

// Roles allowed on each part of the floor.
var (
	anyRole     = wms.Roles
	adminOnly   = []wms.Role{wms.RoleAdmin}
	supervisors = []wms.Role{wms.RoleSupervisor, wms.RoleAdmin}
)

// routes lists every route. Everything needs a logged-in user with the right
// role except login, static files and health.
func (s *Server) routes() {
	app := s.app
	app.Use(s.observe, s.recoverPanics, s.device, s.authenticate, s.language, s.csrf)

	// open to all
	app.Use("/static", filesystem.New(filesystem.Config{Root: http.FS(static.FS), MaxAge: 3600}))
	app.Get("/healthz", s.healthz)
	app.Get("/login", s.loginPage)
	app.Post("/login", s.login)
	app.Get("/lang", s.setLanguage)

	// pages
	app.Get("/", s.require(anyRole...), s.home)
	app.Post("/logout", s.require(anyRole...), s.logout)
	app.Get("/pin", s.require(anyRole...), s.pinPage)
	app.Post("/pin", s.require(anyRole...), s.changePIN)
	app.Get("/stock", s.require(anyRole...), s.stockPage)
	app.Get("/admin/import", s.require(adminOnly...), s.importPage)
	app.Post("/admin/import/:kind", s.require(adminOnly...), s.importFile)
	app.Get("/admin/export/:file", s.require(adminOnly...), s.exportFile)
	app.Get("/admin/audit", s.require(supervisors...), s.auditPage)

	// JSON API, for integrations with a bearer token and for the pages' script
	api := app.Group("/api/v1")
	api.Get("/stock", s.require(anyRole...), s.apiStock)
	api.Get("/scan", s.require(anyRole...), s.apiScan)
	api.Post("/import/:kind", s.require(adminOnly...), s.apiImport)

	// operations
	app.Get("/metrics", s.require(supervisors...), s.metricsText)

	app.Use(s.notFound)
}
