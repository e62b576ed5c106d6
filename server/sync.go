package server

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"tally/syncer"
	"tally/views"
	"tally/wms"
)

// The sync page (/sync), the reconciliation report, the offline banner on
// supervisors' pages and the sync figures in /metrics. The syncer runs
// beside the server (main wires it); the server only asks it how each
// upstream is doing, wakes it after a change a person made, and asks it for
// a reconciliation. Everything else comes from the ledger.

// Syncer is what the server needs of the background syncer (*syncer.Syncer).
type Syncer interface {
	// Status is how each upstream the syncer works with is doing.
	Status() []syncer.UpstreamStatus
	// Wake makes the syncer look again now: after a configuration is saved
	// or a dead letter is to be retried.
	Wake()
	// Reconcile compares an upstream's stock with the ledger now: one
	// report per owner the upstream serves.
	Reconcile(ctx context.Context, upstream string) ([]wms.Reconciliation, error)
}

// offlineBannerAfter is how long an upstream stays unreachable before every
// supervisor's page says so.
const offlineBannerAfter = time.Hour

func (s *Server) wakeSyncer() {
	if s.cfg.Syncer != nil {
		s.cfg.Syncer.Wake()
	}
}

// syncStatus is every configured upstream's status, by name: the syncer's
// figures where it has them, the ledger's alone otherwise (no syncer
// running, or an upstream saved a moment ago): offline, backlog unknown
// (0), the last acknowledgement or pull as the last success. The
// configuration shown is always the ledger's, which is the truth of it.
func (s *Server) syncStatus() ([]syncer.UpstreamStatus, error) {
	ups, err := s.ledger.Upstreams()
	if err != nil {
		return nil, err
	}
	return s.statusOf(ups)
}

// statusOf is syncStatus of these upstreams, in their order.
func (s *Server) statusOf(ups []wms.Upstream) ([]syncer.UpstreamStatus, error) {
	live := map[string]syncer.UpstreamStatus{}
	if s.cfg.Syncer != nil {
		for _, st := range s.cfg.Syncer.Status() {
			live[st.Name] = st
		}
	}
	out := make([]syncer.UpstreamStatus, 0, len(ups))
	for _, u := range ups {
		st, ok := live[u.Name]
		if !ok {
			state, err := s.ledger.SyncStateOf(u.Name)
			if err != nil {
				return nil, err
			}
			st = syncer.UpstreamStatus{Name: u.Name, DeadLetters: state.Dead, PushedThrough: state.PushedThrough, PullCursor: state.PullCursor}
			if last := later(state.LastAck, state.LastPull); !last.IsZero() {
				st.LastSuccess = &last
			}
		}
		st.Dialect, st.Owner, st.URL, st.Disabled = u.Dialect, u.Owner, u.URL, u.Disabled
		out = append(out, st)
	}
	return out, nil
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// offlineBanners are the upstreams unreachable for more than an hour, for
// the banner on supervisors' pages. Only the syncer knows when an upstream
// went away, so without one there is none.
func (s *Server) offlineBanners(role wms.Role) []views.OfflineBanner {
	if s.cfg.Syncer == nil || (role != wms.RoleSupervisor && role != wms.RoleAdmin) {
		return nil
	}
	now := s.ledger.Now()
	var out []views.OfflineBanner
	for _, st := range s.cfg.Syncer.Status() {
		if st.Online || st.Disabled || st.OfflineSince == nil || now.Sub(*st.OfflineSince) <= offlineBannerAfter {
			continue
		}
		out = append(out, views.OfflineBanner{Name: st.Name, Since: s.clock(*st.OfflineSince), Waiting: st.Backlog})
	}
	return out
}

// clock is a time as pages show it, in the warehouse's zone.
func (s *Server) clock(t time.Time) string { return t.In(s.ledger.Zone()).Format("2006-01-02 15:04") }

func (s *Server) clockPtr(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return s.clock(*t)
}

// syncMetrics writes the sync figures of each upstream for /metrics.
func (s *Server) syncMetrics(b *strings.Builder) error {
	list, err := s.syncStatus()
	if err != nil {
		return err
	}
	gauge := func(name, help string, v func(syncer.UpstreamStatus) float64) {
		fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name)
		for _, st := range list {
			fmt.Fprintf(b, "%s{upstream=%q} %g\n", name, st.Name, v(st))
		}
	}
	gauge("tally_sync_online", "Whether the upstream answered the last request (1) or not (0).", func(st syncer.UpstreamStatus) float64 {
		if st.Online {
			return 1
		}
		return 0
	})
	gauge("tally_sync_backlog", "Events waiting for the upstream's acknowledgement.", func(st syncer.UpstreamStatus) float64 { return float64(st.Backlog) })
	gauge("tally_sync_oldest_age_seconds", "Age of the oldest event waiting for the upstream.", func(st syncer.UpstreamStatus) float64 { return st.OldestAgeS })
	gauge("tally_sync_dead_letters", "Events the upstream refused for good, waiting for a supervisor.", func(st syncer.UpstreamStatus) float64 { return float64(st.DeadLetters) })
	gauge("tally_sync_last_success_timestamp_seconds", "Unix time of the upstream's last successful request (0: never).", func(st syncer.UpstreamStatus) float64 {
		if st.LastSuccess == nil {
			return 0
		}
		return float64(st.LastSuccess.Unix())
	})
	if s.cfg.HubLink != nil {
		st := s.cfg.HubLink.HubLinkStatus()
		connected := 0
		if st.Connected {
			connected = 1
		}
		fmt.Fprintf(b, "# HELP tally_hub_connected Whether the leaf node is connected to the hub (1) or not (0).\n# TYPE tally_hub_connected gauge\ntally_hub_connected %d\n", connected)
		fmt.Fprintf(b, "# HELP tally_hub_outgoing Calls waiting in the outgoing stream to reach the hub.\n# TYPE tally_hub_outgoing gauge\ntally_hub_outgoing %d\n", st.Outgoing)
		fmt.Fprintf(b, "# HELP tally_hub_outgoing_bytes Bytes waiting in the outgoing stream (the cap is tally_hub_outgoing_max_bytes).\n# TYPE tally_hub_outgoing_bytes gauge\ntally_hub_outgoing_bytes %d\n", st.OutgoingBytes)
		fmt.Fprintf(b, "# HELP tally_hub_outgoing_max_bytes The outgoing stream's cap, at which the syncer waits.\n# TYPE tally_hub_outgoing_max_bytes gauge\ntally_hub_outgoing_max_bytes %d\n", st.MaxBytes)
	}
	return nil
}

// syncPage is GET /sync: each upstream's card; an admin also sees the forms
// that configure upstreams.
func (s *Server) syncPage(c *fiber.Ctx) error {
	return s.renderSync(c, nil, fiber.StatusOK)
}

func (s *Server) renderSync(c *fiber.Ctx, fb *views.Feedback, code int) error {
	ups, err := s.ledger.Upstreams()
	if err != nil {
		return err
	}
	statuses, err := s.statusOf(ups)
	if err != nil {
		return err
	}
	owners, err := s.owners(c)
	if err != nil {
		return err
	}
	vm := views.SyncPage{Page: s.page(c, "sync.title"), Running: s.cfg.Syncer != nil, Admin: principal(c).Role == wms.RoleAdmin,
		Owners: owners, Dialects: wms.Dialects, NewKey: uuid.NewString()}
	vm.Feedback = fb
	vm.Backups = s.backupsView()
	if s.cfg.HubLink != nil {
		st := s.cfg.HubLink.HubLinkStatus()
		vm.Hub = &views.SyncHub{Connected: st.Connected, Since: s.clockPtr(st.Since), Outgoing: st.Outgoing,
			OutgoingMB: float64(st.OutgoingBytes) / (1 << 20), MaxMB: float64(st.MaxBytes) / (1 << 20), LastContact: s.clockPtr(st.LastContact)}
	}
	instructions, err := s.ledger.Instructions(false)
	if err != nil {
		return err
	}
	for i, st := range statuses {
		card, err := s.syncCard(st, ups[i], instructions)
		if err != nil {
			return err
		}
		vm.Cards = append(vm.Cards, card)
	}
	return s.render(c, code, views.Sync(vm))
}

// syncCard is one upstream's card.
func (s *Server) syncCard(st syncer.UpstreamStatus, u wms.Upstream, instructions []wms.Instruction) (views.SyncCard, error) {
	card := views.SyncCard{Name: st.Name, Dialect: st.Dialect, URL: st.URL, Owner: st.Owner, Disabled: st.Disabled,
		Push: !u.NoPush, Pull: !u.NoPull, SecretSet: u.Secret != "", Online: st.Online, OfflineSince: s.clockPtr(st.OfflineSince),
		Backlog: st.Backlog, OldestAgeS: st.OldestAgeS, DrainDone: st.DrainDone, DrainTotal: st.DrainTotal,
		LastSuccess: s.clockPtr(st.LastSuccess), LastError: st.LastError, LastErrorAt: s.clockPtr(st.LastErrorAt), NextTry: s.clockPtr(st.NextTry),
		DeadCount: st.DeadLetters, PushedThrough: st.PushedThrough, Key: uuid.NewString(),
		AppKey: u.AppKey, CustomerID: u.CustomerID, OwnerCode: u.OwnerCode, Via: u.Via,
		Channel: u.Channel, SignMethod: u.SignMethod, Location: u.Location, SessionSet: u.Session != "", Ship: !u.NoShip, Stock: !u.NoStock, Rate: u.RatePerMinute}
	dead, err := s.ledger.DeadLetters(st.Name)
	if err != nil {
		return card, err
	}
	for _, d := range dead {
		card.Dead = append(card.Dead, views.SyncDeadLetter{Upstream: d.Upstream, Seq: strconv.FormatUint(d.Seq, 10), ID: d.ID, Type: d.Type,
			Code: d.Code, Reason: d.Reason, Retrying: d.State == wms.DeadRetry, Attempts: d.Attempts, At: s.clock(d.At), Key: uuid.NewString()})
	}
	refused, err := s.ledger.Refusals(st.Name, 20)
	if err != nil {
		return card, err
	}
	for _, r := range refused {
		card.Refusals = append(card.Refusals, views.SyncRefusal{UpstreamID: r.UpstreamID, ChangeType: r.ChangeType, Code: r.Code, Reason: r.Reason,
			Order: r.Order, Owner: wms.OwnerOr(r.Owner), At: s.clock(r.At), Conflict: isConflict(r), Instruction: r.Instruction})
	}
	for _, in := range instructions {
		if in.Upstream != st.Name {
			continue
		}
		card.Instructions = append(card.Instructions, views.SyncInstruction{Upstream: in.Upstream, ID: in.ID, Owner: wms.OwnerOr(in.Owner),
			SKU: in.SKU, Lot: in.Lot, Location: in.Location, Delta: in.Delta, Reason: in.Reason, At: s.clock(in.At),
			Key: uuid.NewString(), RefuseKey: uuid.NewString()})
	}
	recs, err := s.ledger.Reconciliations(st.Name, 5)
	if err != nil {
		return card, err
	}
	for _, r := range recs {
		card.Reconciliations = append(card.Reconciliations, s.reconRow(r))
	}
	return card, nil
}

func (s *Server) reconRow(r wms.Reconciliation) views.SyncReconRow {
	return views.SyncReconRow{ID: r.ID, Upstream: r.Upstream, Owner: wms.OwnerOr(r.Owner), Trigger: r.Trigger, At: s.clock(r.At),
		Differences: len(r.Lines), Compared: r.Compared, Pending: r.Pending, OnlyHere: len(r.OnlyHere), OnlyThere: len(r.OnlyThere)}
}

// saveUpstreamForm is POST /sync/upstreams: an admin adds or changes an
// upstream. Empty token and secret fields keep the stored ones.
func (s *Server) saveUpstreamForm(c *fiber.Ctx) error {
	if len(c.Body()) > maxSyncBody {
		return s.renderSync(c, errorFeedback(wms.Errf(wms.CodeInvalid, "sync.body_too_large", "max", "64 KiB")), fiber.StatusBadRequest)
	}
	u := wms.Upstream{Name: strings.TrimSpace(c.FormValue("name")), Dialect: c.FormValue("dialect"), URL: c.FormValue("url"),
		Token: strings.TrimSpace(c.FormValue("token")), Secret: c.FormValue("secret"), ClearSecret: c.FormValue("clear_secret") != "",
		Owner: c.FormValue("owner"), NoPush: c.FormValue("push") == "", NoPull: c.FormValue("pull") == "", Disabled: c.FormValue("disabled") != "",
		AppKey: strings.TrimSpace(c.FormValue("app_key")), CustomerID: strings.TrimSpace(c.FormValue("customer_id")),
		OwnerCode: strings.TrimSpace(c.FormValue("owner_code")), Via: c.FormValue("via")}
	if wms.IsMarket(u.Dialect) {
		u.Channel, u.Session = strings.TrimSpace(c.FormValue("channel")), strings.TrimSpace(c.FormValue("session"))
		u.SignMethod, u.Location = c.FormValue("sign_method"), strings.TrimSpace(c.FormValue("location"))
		u.NoShip, u.NoStock = c.FormValue("ship") == "", c.FormValue("stock") == ""
		if r := strings.TrimSpace(c.FormValue("rate_per_minute")); r != "" {
			n, err := strconv.Atoi(r)
			if err != nil {
				n = -1 // refused by the validation, with its message
			}
			u.RatePerMinute = n
		}
	}
	saved, err := s.saveUpstream(c, "upstream:"+formKey(c), u)
	fb, code := s.outcome(c, err, okFeedback("sync.saved", map[string]string{"name": saved.Name}))
	return s.renderSync(c, fb, code)
}

// decideDeadLetterForm is POST /sync/dead-letters: Retry or Discard.
func (s *Server) decideDeadLetterForm(c *fiber.Ctx) error {
	d := wms.DeadLetterDecision{Upstream: c.FormValue("upstream"), Action: c.FormValue("action")}
	seq, err := seqParam(c.FormValue("seq"))
	if err == nil {
		d.Seq = seq
		d, err = s.decideDeadLetter(c, "dead:"+formKey(c), d)
	}
	args := map[string]string{"upstream": d.Upstream, "seq": strconv.FormatUint(d.Seq, 10)}
	ok := okFeedback("sync.dead_retried", args)
	if d.Action == "discard" {
		ok = okFeedback("sync.dead_discarded", args)
	}
	fb, code := s.outcome(c, err, ok)
	return s.renderSync(c, fb, code)
}

// decideInstructionForm is POST /sync/instructions: carry out a stock
// instruction (at a location when it names none) or refuse it, saying why.
func (s *Server) decideInstructionForm(c *fiber.Ctx) error {
	in := actionIn{Action: c.FormValue("action"), Owner: c.FormValue("owner"), Location: strings.TrimSpace(c.FormValue("location")),
		Reason: c.FormValue("reason")}
	out, err := s.decideInstruction(c, "instruction:"+formKey(c), c.FormValue("upstream"), c.FormValue("id"), in)
	msg := "sync.instruction_done"
	if in.Action == "refuse" {
		msg = "sync.instruction_refused"
	}
	fb, code := s.outcome(c, err, okFeedback(msg, map[string]string{"id": out.ID, "location": out.Location}))
	return s.renderSync(c, fb, code)
}

// reconcileForm is POST /sync/reconcile: "Reconcile now".
func (s *Server) reconcileForm(c *fiber.Ctx) error {
	upstream := c.FormValue("upstream")
	reports, err := s.reconcile(c, upstream)
	if e, code := syncError(err); e != nil {
		return s.renderSync(c, errorFeedback(e), code)
	}
	diff := 0
	for _, r := range reports {
		diff += len(r.Lines)
	}
	fb, code := s.outcome(c, err, okFeedback("sync.reconciled", map[string]string{"upstream": upstream, "n": strconv.Itoa(diff)}))
	return s.renderSync(c, fb, code)
}

// reconciliationPage is GET /sync/reconciliations/{id}, and with ".csv"
// after the ID the same report as CSV (one route: Fiber would read R12.csv
// as the ID of the page's route anyway).
func (s *Server) reconciliationPage(c *fiber.Ctx) error {
	id, csvFile := strings.CutSuffix(c.Params("id"), ".csv")
	r, err := s.ledger.ReconciliationByID(id)
	if err != nil {
		return err
	}
	if csvFile {
		return s.reconciliationCSV(c, r)
	}
	vm := views.ReconciliationPage{Page: s.page(c, "sync.report_title"), Row: s.reconRow(r), SnapshotAt: s.clock(r.SnapshotAt),
		AppliedThrough: r.AppliedThrough, OnlyHereList: r.OnlyHere, OnlyThereList: r.OnlyThere, Truncated: r.Truncated}
	for _, l := range r.Lines {
		vm.Lines = append(vm.Lines, views.ReconLine{SKU: l.SKU, Lot: l.Lot, Warehouse: l.Warehouse, OMS: l.OMS, Delta: l.Delta})
	}
	return s.render(c, fiber.StatusOK, views.Reconciliation(vm))
}

// reconciliationCSV is a report as a spreadsheet: one row per SKU-lot that
// differed, then the orders open on one side only.
func (s *Server) reconciliationCSV(c *fiber.Ctx, r wms.Reconciliation) error {
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="reconciliation-`+r.ID+`.csv"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	w := c.Response().BodyWriter()
	_, _ = w.Write([]byte{0xEF, 0xBB, 0xBF}) // Excel reads UTF-8 with its mark
	return writeReconciliationCSV(w, r)
}

// writeReconciliationCSV writes a report: kind "difference" rows with the
// SKU, lot, both figures and the delta; then kind "only_here" and
// "only_there" rows naming an order open on one side only.
func writeReconciliationCSV(w io.Writer, r wms.Reconciliation) error {
	cw := csv.NewWriter(w)
	row := func(cells ...string) {
		for i := range cells {
			cells[i] = wms.SpreadsheetSafe(cells[i])
		}
		_ = cw.Write(cells)
	}
	row("kind", "sku", "lot", "warehouse", "oms", "delta", "order")
	for _, l := range r.Lines {
		row("difference", l.SKU, l.Lot, strconv.FormatInt(l.Warehouse, 10), strconv.FormatInt(l.OMS, 10), strconv.FormatInt(l.Delta, 10), "")
	}
	for _, no := range r.OnlyHere {
		row("only_here", "", "", "", "", "", no)
	}
	for _, no := range r.OnlyThere {
		row("only_there", "", "", "", "", "", no)
	}
	cw.Flush()
	return cw.Error()
}
