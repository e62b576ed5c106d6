// Package server is Tally's HTTP face: handheld and kiosk pages and the JSON
// API. routes.go lists every route; one file per workflow holds its handlers.
package server

import (
	"context"
	"log/slog"
	"net"
	"time"

	"github.com/gofiber/fiber/v2"

	"tally/scan"
	"tally/wms"
)

// Config is what the server needs to know beyond its dependencies.
type Config struct {
	// SecureCookies marks cookies Secure; set it when Tally is served over HTTPS.
	SecureCookies bool
	// Version is reported by /healthz.
	Version string
	// FontPath is a TrueType font with Chinese glyphs for PDFs; empty searches the usual places.
	FontPath string
	// Syncer is the background syncer (nil: none runs; the sync page and
	// status answer from the ledger alone).
	Syncer Syncer
	// Hub is the hub's bridge when this process runs as `tally hub` (nil:
	// a warehouse; /hub and /api/v1/hub/status answer 404).
	Hub Hub
	// HubLink is the warehouse's link to a hub (tally serve --hub; nil:
	// none): shown on the sync page, in the sync status and /metrics.
	HubLink HubLink
	// Standby is the follower of a standby (tally serve --follow; nil:
	// none): its lag on /healthz and /metrics (standby.go).
	Standby StandbyLink
}

// Server holds the handlers' dependencies.
type Server struct {
	cfg     Config
	ledger  *wms.Ledger
	scanner *scan.Parser
	log     *slog.Logger
	app     *fiber.App
	metrics *metrics
	dev     *devices
	started time.Time
	secret  []byte // for CSRF tokens
	jobs    *Runner
	live    *liveStreams // the live floor's open streams (live.go)
	logins  *loginLimits // failed logins per address and badge (loginlimit.go)
	disk    *diskLog     // what the log was told of a full disk (diskfull.go)
	refused *refusalLog  // 401s and 429s, logged as a count once a minute (refusallog.go)
	backups *backups     // the scheduled backups (backups.go); nil when none are set

	// closing ends when Shutdown begins, so that long polls answer at once
	// instead of holding the shutdown for their whole wait.
	closing     context.Context
	stopServing context.CancelFunc
}

// New builds the server and its routes.
func New(cfg Config, l *wms.Ledger, p *scan.Parser, log *slog.Logger) *Server {
	s := &Server{cfg: cfg, ledger: l, scanner: p, log: log, metrics: newMetrics(), dev: newDevices(), started: time.Now(),
		secret: l.Secret()} // the store's CSRF secret never changes: read once, not per request
	s.closing, s.stopServing = context.WithCancel(context.Background())
	s.jobs = NewRunner(log)
	s.jobs.gate = s.primaryOnly // nothing writes on a standby (standby.go)
	s.live = newLiveStreams()
	s.logins = newLoginLimits()
	s.disk = &diskLog{}
	s.refused = &refusalLog{}
	for _, j := range s.deviceJobs() {
		_ = s.jobs.Add(j) // a new runner takes any job with a name
	}
	_ = s.jobs.Add(s.diskJob())
	s.app = fiber.New(fiber.Config{
		// Copy every value Fiber hands out, so nothing outlives its request buffer.
		Immutable:             true,
		BodyLimit:             wms.MaxImportBytes + 1<<20,
		ReadTimeout:           2 * time.Minute,
		WriteTimeout:          2 * time.Minute,
		IdleTimeout:           2 * time.Minute,
		DisableStartupMessage: true,
		ErrorHandler:          s.handleError,
	})
	s.routes()
	return s
}

// App exposes the Fiber app for tests.
func (s *Server) App() *fiber.App { return s.app }

// Serve accepts connections on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error { return s.app.Listener(ln) }

// Shutdown stops accepting connections and waits for requests in flight
// (long polls of the event feed answer at once). Background jobs keep running:
// stop them after, with StopWorkers.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stopServing()
	return s.app.ShutdownWithContext(ctx)
}
