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
	pickers     = []wms.Role{wms.RolePicker, wms.RoleSupervisor, wms.RoleAdmin}
	receivers   = []wms.Role{wms.RoleReceiver, wms.RoleSupervisor, wms.RoleAdmin}
	floorStaff  = []wms.Role{wms.RolePicker, wms.RoleReceiver, wms.RoleSupervisor, wms.RoleAdmin}
	packers     = []wms.Role{wms.RolePacker, wms.RoleSupervisor, wms.RoleAdmin}
	// integrations are programs with a token of the integration role (and
	// admins): the event feed, nothing on the floor. Only syncWatchers
	// shares it.
	integrations = []wms.Role{wms.RoleIntegration, wms.RoleAdmin}
	// syncWatchers read how sync is doing: supervisors, and monitoring
	// with an integration token.
	syncWatchers = []wms.Role{wms.RoleSupervisor, wms.RoleAdmin, wms.RoleIntegration}
)

// routes lists every route. Everything needs a logged-in user with the right
// role except login, static files and health.
func (s *Server) routes() {
	app := s.app
	app.Use(s.securityHeaders) // every answer, files and errors too (headers.go)
	app.Use(s.observe, s.recoverPanics)

	// open to all; static files and health need no device, login or language
	app.Use("/static", filesystem.New(filesystem.Config{Root: http.FS(static.FS), MaxAge: 3600}))
	app.Get("/healthz", s.healthz)
	// sync: an ERP's Qimen calls, authenticated by their signature alone
	// (qimen.go); registered before the session, CSRF and key checks
	app.Post("/qimen", s.qimen)

	app.Use(s.device, s.authenticate, s.language, s.csrf, s.keyed)
	app.Use(s.standbyGuard) // a standby takes no writes (standby.go)
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
	app.Get("/admin/backup", s.require(adminOnly...), s.backup)
	app.Get("/admin/audit", s.require(supervisors...), s.auditPage)
	app.Get("/pick", s.require(pickers...), s.pickPage)
	app.Post("/pick/next", s.require(pickers...), s.pickNext)
	app.Get("/floor", s.require(supervisors...), s.floorPage)
	app.Post("/floor/waves", s.require(supervisors...), s.releaseWavePage)
	app.Post("/floor/autowave", s.require(supervisors...), s.autoWaveSettings)
	app.Get("/floor/live", s.require(supervisors...), s.livePage)
	app.Get("/floor/live/events", s.require(supervisors...), s.liveEvents) // text/event-stream
	app.Post("/floor/live/cutoffs", s.require(supervisors...), s.saveCutoffs)
	app.Get("/receive", s.require(receivers...), s.receivePage)
	app.Post("/receive", s.require(receivers...), s.receive)
	app.Post("/receive/putaway", s.require(receivers...), s.putaway)
	app.Post("/receive/close", s.require(receivers...), s.closeReceipt)
	app.Get("/move", s.require(floorStaff...), s.movePage)
	app.Post("/move", s.require(floorStaff...), s.move)
	app.Get("/count", s.require(floorStaff...), s.countPage)
	app.Post("/count", s.require(floorStaff...), s.submitCount)
	app.Post("/count/decide", s.require(supervisors...), s.decideCount)
	app.Post("/count/request", s.require(supervisors...), s.requestCounts)
	app.Get("/expiry", s.require(supervisors...), s.expiryPage)
	app.Post("/expiry/quarantine", s.require(supervisors...), s.expiryQuarantine)
	app.Post("/expiry/sweep", s.require(supervisors...), s.expirySweep)
	app.Get("/recall", s.require(supervisors...), s.recallPage)
	app.Post("/recall", s.require(supervisors...), s.recall)
	app.Get("/recall/report.:format", s.require(supervisors...), s.recallFile)
	app.Get("/trace", s.require(supervisors...), s.tracePage)
	app.Get("/orders", s.require(supervisors...), s.orderPage)
	app.Get("/returns", s.require(receivers...), s.returnsPage)
	app.Post("/returns", s.require(receivers...), s.bookReturn)
	app.Post("/returns/putaway", s.require(receivers...), s.returnPutaway)
	app.Post("/returns/match", s.require(receivers...), s.matchReturn)
	app.Get("/returns/receipt/:id", s.require(receivers...), s.returnReceipt)
	app.Get("/returns/label.pdf", s.require(receivers...), s.skuLabelPDF)
	app.Get("/pack", s.require(packers...), s.packPage)
	app.Post("/pack/scan", s.require(packers...), s.packScan)
	app.Post("/pack/parcel", s.require(packers...), s.packParcel)
	app.Post("/pack/ship", s.require(packers...), s.packShip)
	app.Post("/pack/reprint", s.require(packers...), s.packReprint)
	app.Get("/pack/label/:job", s.require(packers...), s.labelPDF)
	app.Get("/pack/print/:job", s.require(packers...), s.labelPage)
	app.Get("/print-jobs", s.require(supervisors...), s.printJobsPage)
	app.Post("/print-jobs/retry", s.require(supervisors...), s.retryPrintJob)
	app.Get("/sync", s.require(supervisors...), s.syncPage)
	app.Post("/sync/upstreams", s.require(adminOnly...), s.saveUpstreamForm)
	app.Post("/sync/dead-letters", s.require(supervisors...), s.decideDeadLetterForm)
	app.Post("/sync/instructions", s.require(supervisors...), s.decideInstructionForm)
	app.Post("/sync/reconcile", s.require(supervisors...), s.reconcileForm)
	app.Get("/sync/stock/:name", s.require(supervisors...), s.channelStockPage)
	app.Get("/sync/reconciliations/:id", s.require(supervisors...), s.reconciliationPage) // and :id.csv
	app.Get("/hub", s.require(supervisors...), s.hubPage)                                 // tally hub only
	app.Get("/exceptions", s.require(supervisors...), s.exceptionsPage)
	app.Post("/exceptions/acknowledge", s.require(supervisors...), s.acknowledgeException)
	app.Get("/kpi.csv", s.require(kpiReaders...), s.kpiCSV) // a worker: their own row only
	// my figures: one's own, nobody else's, and reasons for one's own gaps
	app.Get("/me", s.require(anyRole...), s.myFigures)
	app.Post("/me/gaps", s.require(anyRole...), s.explainMyGap)
	app.Get("/kpi", s.require(supervisors...), s.kpiPage)
	app.Get("/kpi/report.pdf", s.require(supervisors...), s.kpiReport)
	app.Get("/kpi/calibration", s.require(supervisors...), s.calibrationPage)
	app.Post("/kpi/calibration", s.require(supervisors...), s.applyCalibration)
	app.Post("/kpi/standards", s.require(supervisors...), s.saveStandards)
	app.Get("/kpi/person/:actor", s.require(supervisors...), s.kpiPersonPage)
	app.Post("/kpi/person/:actor", s.require(supervisors...), s.kpiGapReason)

	// JSON API, for integrations with a bearer token and for the pages' script
	api := app.Group("/api/v1")
	api.Get("/stock", s.require(anyRole...), s.apiStock)
	api.Get("/scan", s.require(anyRole...), s.apiScan)
	api.Post("/import/:kind", s.require(adminOnly...), s.apiImport)
	api.Get("/check", s.require(adminOnly...), s.apiCheck)
	api.Get("/backup", s.require(adminOnly...), s.backup)
	api.Get("/skus", s.require(anyRole...), s.apiSKUs)
	api.Get("/owners", s.require(anyRole...), s.apiOwners)
	api.Post("/owners", s.require(adminOnly...), s.apiSaveOwner)
	api.Get("/orders", s.require(anyRole...), s.apiOrders)
	api.Post("/orders", s.require(supervisors...), s.apiReceiveOrder)
	api.Post("/orders\\:batch", s.require(supervisors...), s.apiReceiveOrders) // the colon escaped: a literal ':batch'
	api.Get("/orders/:no", s.require(anyRole...), s.apiOrder)
	api.Post("/orders/:no/cancel", s.require(supervisors...), s.apiCancelOrder)
	api.Post("/waves", s.require(supervisors...), s.apiReleaseWave)
	api.Post("/tasks/next", s.require(pickers...), s.apiNextTask)
	api.Get("/tasks/:id", s.require(pickers...), s.apiTask)
	api.Post("/tasks/:id/scans", s.require(pickers...), s.apiScanTask)
	api.Post("/receipts", s.require(receivers...), s.apiExpectReceipt)
	api.Get("/receipts/:id", s.require(receivers...), s.apiReceipt)
	api.Get("/recall", s.require(supervisors...), s.apiRecallReport)
	api.Post("/recall", s.require(supervisors...), s.apiRecall)
	api.Get("/trace", s.require(supervisors...), s.apiTrace)
	api.Post("/lots/status", s.require(supervisors...), s.apiLotStatus)
	api.Get("/stations/:id/weight", s.require(packers...), s.apiWeight)
	api.Put("/stations/:id", s.require(adminOnly...), s.apiStation)
	api.Post("/waybills", s.require(supervisors...), s.apiLoadWaybills)
	api.Get("/print-jobs", s.require(supervisors...), s.apiPrintJobs)
	api.Post("/returns", s.require(supervisors...), s.apiAnnounceReturn)
	api.Get("/events", s.require(integrations...), s.apiEvents)
	api.Get("/replication", s.require(replicas...), s.apiReplication) // a standby's read: secrets included
	// a standby's copy of an ID table it cannot build (idtables.go)
	api.Get("/replication/id-tables/:name", s.require(replicas...), s.apiReplicationIDTable)
	api.Post("/standby/promote", s.require(adminOnly...), s.apiPromote)
	api.Get("/jobs", s.require(adminOnly...), s.apiJobs)
	api.Get("/backups", s.require(syncWatchers...), s.apiBackups)
	api.Put("/sync/upstreams/:name", s.require(adminOnly...), s.apiSaveUpstream)
	api.Get("/sync/upstreams/:name/stock", s.require(supervisors...), s.apiChannelStock)
	api.Put("/sync/upstreams/:name/stock", s.require(adminOnly...), s.apiSaveChannelStock)
	api.Get("/sync/upstreams", s.require(supervisors...), s.apiSyncUpstreams)
	api.Get("/sync/status", s.require(syncWatchers...), s.apiSyncStatus)
	api.Get("/sync/dead-letters", s.require(supervisors...), s.apiDeadLetters)
	api.Post("/sync/dead-letters/:upstream/:seq", s.require(supervisors...), s.apiDecideDeadLetter)
	api.Post("/sync/reconciliations", s.require(supervisors...), s.apiReconcile)
	api.Get("/sync/reconciliations/:id", s.require(supervisors...), s.apiReconciliation)
	api.Get("/sync/refusals", s.require(supervisors...), s.apiRefusals)
	api.Get("/sync/instructions", s.require(supervisors...), s.apiInstructions)
	api.Post("/sync/instructions/:upstream/:id", s.require(supervisors...), s.apiDecideInstruction)
	api.Get("/hub/status", s.require(syncWatchers...), s.apiHubStatus) // tally hub only
	api.Get("/exceptions", s.require(supervisors...), s.apiExceptions)
	api.Get("/kpi", s.require(kpiReaders...), s.apiKPI) // a worker: their own figures only
	api.Get("/kpi/calibration", s.require(supervisors...), s.apiCalibration)
	api.Post("/kpi/gaps", s.require(kpiReaders...), s.apiGapReason) // a worker: their own gaps only

	// operations
	app.Get("/metrics", s.require(supervisors...), s.metricsText)

	app.Use(s.notFound)
}
