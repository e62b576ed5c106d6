package server

import (
	"cmp"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"tally/syncer"
	"tally/wms"
)

// The API's shapes and handlers for sync (issue 11): the upstreams an admin
// configures, their status, dead letters, refused changes, stock
// instructions and reconciliations. No answer ever carries a token or a
// secret: an upstream says only whether they are set.

// maxSyncBody bounds every sync request's body (an upstream's configuration
// is the largest: a URL, a token and a secret of a few KiB at most).
const maxSyncBody = 64 << 10

// syncBody decodes a sync request's JSON body strictly, within maxSyncBody.
func syncBody(c *fiber.Ctx, v any) error {
	if len(c.Body()) > maxSyncBody {
		return wms.Errf(wms.CodeInvalid, "sync.body_too_large", "max", "64 KiB")
	}
	return bodyJSON(c, v)
}

// upstreamIn is the body of PUT /api/v1/sync/upstreams/{name}. A token or
// secret left out keeps the stored one; push and pull default to on.
type upstreamIn struct {
	Dialect     string `json:"dialect"`
	URL         string `json:"url"`
	Token       string `json:"token,omitempty"`
	Secret      string `json:"secret,omitempty"`
	ClearSecret bool   `json:"clear_secret,omitempty"` // remove the stored secret: the token signs again
	Owner       string `json:"owner,omitempty"`
	Push        *bool  `json:"push,omitempty"`
	Pull        *bool  `json:"pull,omitempty"`
	Disabled    bool   `json:"disabled,omitempty"`
	// Qimen: the ERP's app_key and customerId, its ownerCode for owner,
	// and "via":"hub" for an ERP reached through the hub
	AppKey     string `json:"app_key,omitempty"`
	CustomerID string `json:"customer_id,omitempty"`
	OwnerCode  string `json:"owner_code,omitempty"`
	Via        string `json:"via,omitempty"`
	// a marketplace shop: the channel it writes back, the seller's access
	// token (kept like a secret), Taobao's sign_method, Shopify's
	// location, and whether it writes shipments and stock (both default on)
	Channel    string `json:"channel,omitempty"`
	Session    string `json:"session,omitempty"`
	SignMethod string `json:"sign_method,omitempty"`
	Location   string `json:"location,omitempty"`
	Ship       *bool  `json:"ship,omitempty"`
	Stock      *bool  `json:"stock,omitempty"`
	Rate       int    `json:"rate_per_minute,omitempty"`
}

func (in upstreamIn) upstream(name string) wms.Upstream {
	return wms.Upstream{Name: name, Dialect: in.Dialect, URL: in.URL, Token: in.Token, Secret: in.Secret, ClearSecret: in.ClearSecret,
		Owner: in.Owner, NoPush: in.Push != nil && !*in.Push, NoPull: in.Pull != nil && !*in.Pull, Disabled: in.Disabled,
		AppKey: in.AppKey, CustomerID: in.CustomerID, OwnerCode: in.OwnerCode, Via: in.Via,
		Channel: in.Channel, Session: in.Session, SignMethod: in.SignMethod, Location: in.Location,
		NoShip: in.Ship != nil && !*in.Ship, NoStock: in.Stock != nil && !*in.Stock, RatePerMinute: in.Rate}
}

// upstreamOut is an upstream as the API shows it: never its token or secret.
type upstreamOut struct {
	Name      string `json:"name"`
	Dialect   string `json:"dialect"`
	URL       string `json:"url"`
	Owner     string `json:"owner"` // empty: every owner's
	Push      bool   `json:"push"`
	Pull      bool   `json:"pull"`
	Disabled  bool   `json:"disabled"`
	TokenSet  bool   `json:"token_set"`
	SecretSet bool   `json:"secret_set"`
	// Qimen only
	AppKey     string `json:"app_key,omitempty"`
	CustomerID string `json:"customer_id,omitempty"`
	OwnerCode  string `json:"owner_code,omitempty"`
	Via        string `json:"via,omitempty"`
	// a marketplace shop only
	Channel    string `json:"channel,omitempty"`
	SessionSet bool   `json:"session_set,omitempty"`
	SignMethod string `json:"sign_method,omitempty"`
	Location   string `json:"location,omitempty"`
	Ship       *bool  `json:"ship,omitempty"`
	Stock      *bool  `json:"stock,omitempty"`
	Rate       int    `json:"rate_per_minute,omitempty"`
}

func newUpstreamOut(u wms.Upstream) upstreamOut {
	out := upstreamOut{Name: u.Name, Dialect: u.Dialect, URL: u.URL, Owner: u.Owner, Push: !u.NoPush, Pull: !u.NoPull,
		Disabled: u.Disabled, TokenSet: u.Token != "", SecretSet: u.Secret != "",
		AppKey: u.AppKey, CustomerID: u.CustomerID, OwnerCode: u.OwnerCode, Via: u.Via}
	if wms.IsMarket(u.Dialect) {
		ship, stock := !u.NoShip, !u.NoStock
		out.Channel, out.SessionSet, out.SignMethod, out.Location, out.Ship, out.Stock = u.Channel, u.Session != "", u.SignMethod, u.Location, &ship, &stock
		out.Rate = u.RatePerMinute
	}
	return out
}

type upstreamsOut struct {
	Upstreams []upstreamOut `json:"upstreams"`
}

// syncStatusOut answers GET /api/v1/sync/status: the contract.
type syncStatusOut struct {
	Upstreams []syncer.UpstreamStatus `json:"upstreams"`
	Hub       *HubLinkStatus          `json:"hub,omitempty"` // the link to the hub, when there is one
}

type deadLetterOut struct {
	Upstream string    `json:"upstream"`
	Seq      uint64    `json:"seq"`
	ID       string    `json:"id"`
	Type     string    `json:"type"`
	Code     string    `json:"code"`
	Reason   string    `json:"reason"`
	State    string    `json:"state"` // open, or retry: a retry was asked for
	Attempts int       `json:"attempts"`
	At       time.Time `json:"at"`
}

func newDeadLetterOut(d wms.DeadLetter) deadLetterOut {
	return deadLetterOut{Upstream: d.Upstream, Seq: d.Seq, ID: d.ID, Type: d.Type, Code: d.Code, Reason: d.Reason, State: d.State,
		Attempts: d.Attempts, At: d.At}
}

type deadLettersOut struct {
	DeadLetters []deadLetterOut `json:"dead_letters"`
}

// actionIn is the body of a decision: a dead letter's retry or discard, an
// instruction's carry_out or refuse (with where, or why).
type actionIn struct {
	Action   string `json:"action"`
	Owner    string `json:"owner,omitempty"`
	Location string `json:"location,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

type deadLetterDecisionOut struct {
	Upstream string `json:"upstream"`
	Seq      uint64 `json:"seq"`
	Action   string `json:"action"`
}

type reconcileIn struct {
	Upstream string `json:"upstream"`
}

type reconLineOut struct {
	SKU       string `json:"sku"`
	Lot       string `json:"lot,omitempty"`
	Warehouse int64  `json:"warehouse"`
	OMS       int64  `json:"oms"`
	Delta     int64  `json:"delta"` // warehouse − oms: what the upstream must add
}

// reconciliationOut is one reconciliation report.
type reconciliationOut struct {
	ID             string         `json:"id"`
	Upstream       string         `json:"upstream"`
	Owner          string         `json:"owner"`
	Trigger        string         `json:"trigger"`
	SnapshotAt     time.Time      `json:"snapshot_at"`
	AppliedThrough uint64         `json:"applied_through"`
	Pending        int            `json:"pending"`
	Compared       int            `json:"compared"`
	Lines          []reconLineOut `json:"lines"`
	OnlyHere       []string       `json:"only_here"`
	OnlyThere      []string       `json:"only_there"`
	Truncated      bool           `json:"truncated"`
	At             time.Time      `json:"at"`
}

func newReconciliationOut(r wms.Reconciliation) reconciliationOut {
	out := reconciliationOut{ID: r.ID, Upstream: r.Upstream, Owner: wms.OwnerOr(r.Owner), Trigger: r.Trigger, SnapshotAt: r.SnapshotAt,
		AppliedThrough: r.AppliedThrough, Pending: r.Pending, Compared: r.Compared, Lines: []reconLineOut{},
		OnlyHere: orEmpty(r.OnlyHere), OnlyThere: orEmpty(r.OnlyThere), Truncated: r.Truncated, At: r.At}
	for _, l := range r.Lines {
		out.Lines = append(out.Lines, reconLineOut(l))
	}
	return out
}

// orEmpty answers an empty list as [], never null.
func orEmpty(list []string) []string {
	if list == nil {
		return []string{}
	}
	return list
}

type reconciliationsOut struct {
	Reconciliations []reconciliationOut `json:"reconciliations"`
}

type refusalOut struct {
	Upstream    string    `json:"upstream"`
	UpstreamID  string    `json:"upstream_id"`
	ChangeType  string    `json:"change_type"`
	Code        string    `json:"code"`
	Reason      string    `json:"reason"`
	Order       string    `json:"order,omitempty"`
	Owner       string    `json:"owner"`
	Conflict    bool      `json:"conflict"`    // the upstream asked for what the floor's facts refuse (a cancellation after shipping)
	Instruction bool      `json:"instruction"` // a stock instruction a supervisor refused
	Seq         uint64    `json:"seq"`
	At          time.Time `json:"at"`
}

func newRefusalOut(r wms.ChangeRefusal) refusalOut {
	return refusalOut{Upstream: r.Upstream, UpstreamID: r.UpstreamID, ChangeType: r.ChangeType, Code: r.Code, Reason: r.Reason,
		Order: r.Order, Owner: wms.OwnerOr(r.Owner), Conflict: isConflict(r), Instruction: r.Instruction, Seq: r.Seq, At: r.At}
}

type refusalsOut struct {
	Refusals []refusalOut `json:"refusals"`
}

type instructionOut struct {
	Upstream  string     `json:"upstream"`
	ID        string     `json:"id"`
	Owner     string     `json:"owner"`
	SKU       string     `json:"sku"`
	Lot       string     `json:"lot,omitempty"`
	Expiry    string     `json:"expiry,omitempty"`
	Location  string     `json:"location,omitempty"`
	Delta     int64      `json:"delta"`
	Reason    string     `json:"reason"`
	State     string     `json:"state"`
	At        time.Time  `json:"at"`
	DecidedBy string     `json:"decided_by,omitempty"`
	Decided   *time.Time `json:"decided,omitempty"`
}

func newInstructionOut(in wms.Instruction) instructionOut {
	out := instructionOut{Upstream: in.Upstream, ID: in.ID, Owner: wms.OwnerOr(in.Owner), SKU: in.SKU, Lot: in.Lot, Expiry: in.Expiry,
		Location: in.Location, Delta: in.Delta, Reason: in.Reason, State: in.State, At: in.At, DecidedBy: in.DecidedBy}
	if !in.Decided.IsZero() {
		out.Decided = &in.Decided
	}
	return out
}

type instructionsOut struct {
	Instructions []instructionOut `json:"instructions"`
}

// instructionDecisionOut answers a decision on a stock instruction: what
// was carried out where, or why it was refused.
type instructionDecisionOut struct {
	Upstream string `json:"upstream"`
	ID       string `json:"id"`
	Owner    string `json:"owner"`
	Action   string `json:"action"`
	State    string `json:"state"` // done or refused
	SKU      string `json:"sku,omitempty"`
	Lot      string `json:"lot,omitempty"`
	Location string `json:"location,omitempty"`
	Delta    int64  `json:"delta,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

// apiSyncUpstreams is GET /api/v1/sync/upstreams.
func (s *Server) apiSyncUpstreams(c *fiber.Ctx) error {
	list, err := s.ledger.Upstreams()
	if err != nil {
		return err
	}
	out := upstreamsOut{Upstreams: make([]upstreamOut, 0, len(list))}
	for _, u := range list {
		out.Upstreams = append(out.Upstreams, newUpstreamOut(u))
	}
	return c.JSON(out)
}

// apiSaveUpstream is PUT /api/v1/sync/upstreams/{name}
// {"dialect":"tally","url":"…","token":"…","owner":"…"}.
func (s *Server) apiSaveUpstream(c *fiber.Ctx) error {
	var in upstreamIn
	if err := syncBody(c, &in); err != nil {
		return err
	}
	key, err := idempotencyKey(c)
	if err != nil {
		return err
	}
	u, err := s.saveUpstream(c, "upstream:"+key, in.upstream(c.Params("name")))
	if err != nil {
		return err
	}
	return c.JSON(newUpstreamOut(u))
}

// saveUpstream stores a configuration and wakes the syncer to use it.
func (s *Server) saveUpstream(c *fiber.Ctx, key string, u wms.Upstream) (wms.Upstream, error) {
	saved, err := s.ledger.SaveUpstream(c.UserContext(), key, u, principal(c).Actor(), device(c))
	if err != nil {
		return saved, err
	}
	s.wakeSyncer()
	return saved, nil
}

// apiSyncStatus is GET /api/v1/sync/status.
func (s *Server) apiSyncStatus(c *fiber.Ctx) error {
	list, err := s.syncStatus()
	if err != nil {
		return err
	}
	out := syncStatusOut{Upstreams: list}
	if s.cfg.HubLink != nil {
		st := s.cfg.HubLink.HubLinkStatus()
		out.Hub = &st
	}
	return c.JSON(out)
}

// apiDeadLetters is GET /api/v1/sync/dead-letters[?upstream=].
func (s *Server) apiDeadLetters(c *fiber.Ctx) error {
	upstream, err := s.upstreamQuery(c)
	if err != nil {
		return err
	}
	list, err := s.ledger.DeadLetters(upstream)
	if err != nil {
		return err
	}
	out := deadLettersOut{DeadLetters: make([]deadLetterOut, 0, len(list))}
	for _, d := range list {
		out.DeadLetters = append(out.DeadLetters, newDeadLetterOut(d))
	}
	return c.JSON(out)
}

// apiDecideDeadLetter is POST /api/v1/sync/dead-letters/{upstream}/{seq}
// {"action":"retry"|"discard"}.
func (s *Server) apiDecideDeadLetter(c *fiber.Ctx) error {
	var in actionIn
	if err := syncBody(c, &in); err != nil {
		return err
	}
	key, err := idempotencyKey(c)
	if err != nil {
		return err
	}
	seq, err := seqParam(c.Params("seq"))
	if err != nil {
		return err
	}
	d, err := s.decideDeadLetter(c, "dead:"+key, wms.DeadLetterDecision{Upstream: c.Params("upstream"), Seq: seq, Action: in.Action})
	if err != nil {
		return err
	}
	return c.JSON(deadLetterDecisionOut(d))
}

func (s *Server) decideDeadLetter(c *fiber.Ctx, key string, d wms.DeadLetterDecision) (wms.DeadLetterDecision, error) {
	d, err := s.ledger.DecideDeadLetter(c.UserContext(), key, d, principal(c).Actor(), device(c))
	if err == nil && d.Action == "retry" {
		s.wakeSyncer()
	}
	return d, err
}

// seqParam reads an event's sequence number from a path or a form.
func seqParam(raw string) (uint64, error) {
	seq, err := strconv.ParseUint(raw, 10, 64)
	if err != nil || seq == 0 {
		return 0, wms.Errf(wms.CodeInvalid, "sync.seq_invalid", "seq", clip(raw))
	}
	return seq, nil
}

// apiReconcile is POST /api/v1/sync/reconciliations {"upstream":"…"}: a
// reconciliation now, one report per owner the upstream serves.
func (s *Server) apiReconcile(c *fiber.Ctx) error {
	var in reconcileIn
	if err := syncBody(c, &in); err != nil {
		return err
	}
	reports, err := s.reconcile(c, in.Upstream)
	if err != nil {
		return s.syncFailure(c, err)
	}
	out := reconciliationsOut{Reconciliations: make([]reconciliationOut, 0, len(reports))}
	for _, r := range reports {
		out.Reconciliations = append(out.Reconciliations, newReconciliationOut(r))
	}
	return c.Status(fiber.StatusCreated).JSON(out)
}

// errSyncerAbsent and errUpstream mark what only the syncer can do and
// could not: nobody to ask (503), or the upstream did not answer (502).
var errSyncerAbsent = errors.New("no syncer")

type upstreamError struct{ err error }

func (e upstreamError) Error() string { return e.err.Error() }

// reconcile asks the syncer for a reconciliation with a known upstream.
func (s *Server) reconcile(c *fiber.Ctx, upstream string) ([]wms.Reconciliation, error) {
	if _, err := s.ledger.UpstreamNamed(upstream); err != nil {
		return nil, err
	}
	if s.cfg.Syncer == nil {
		return nil, errSyncerAbsent
	}
	reports, err := s.cfg.Syncer.Reconcile(c.UserContext(), upstream)
	if err != nil {
		if _, ok := wms.AsError(err); !ok {
			return nil, upstreamError{err}
		}
	}
	return reports, err
}

// syncFailure answers what the syncer could not do in the API's words:
// 503 without a syncer, 502 when the upstream failed, the domain's own
// status for a refusal.
func (s *Server) syncFailure(c *fiber.Ctx, err error) error {
	e, code := syncError(err)
	if e == nil {
		return err
	}
	return c.Status(code).JSON(newAPIError(lang(c), e))
}

// syncError is the message and status for the syncer's own failures (nil
// for any other error).
func syncError(err error) (*wms.Error, int) {
	var ue upstreamError
	switch {
	case errors.Is(err, errSyncerAbsent):
		return wms.Errf(wms.CodeConflict, "sync.not_running"), fiber.StatusServiceUnavailable
	case errors.As(err, &ue):
		return wms.Errf(wms.CodeConflict, "sync.upstream_failed", "detail", clip(ue.Error())), fiber.StatusBadGateway
	}
	return nil, 0
}

// apiReconciliation is GET /api/v1/sync/reconciliations/{id}.
func (s *Server) apiReconciliation(c *fiber.Ctx) error {
	r, err := s.ledger.ReconciliationByID(c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(newReconciliationOut(r))
}

// apiRefusals is GET /api/v1/sync/refusals[?upstream=&limit=]: refused
// changes and conflicts, newest first.
func (s *Server) apiRefusals(c *fiber.Ctx) error {
	upstream, err := s.upstreamQuery(c)
	if err != nil {
		return err
	}
	limit, err := syncLimit(c.Query("limit"))
	if err != nil {
		return err
	}
	list, err := s.refusals(upstream, limit)
	if err != nil {
		return err
	}
	out := refusalsOut{Refusals: make([]refusalOut, 0, len(list))}
	for _, r := range list {
		out.Refusals = append(out.Refusals, newRefusalOut(r))
	}
	return c.JSON(out)
}

// syncLimit reads ?limit= (1–1000, 100 when absent).
func syncLimit(raw string) (int, error) {
	if raw == "" {
		return 100, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > 1000 {
		return 0, wms.Errf(wms.CodeInvalid, "jobs.limit_invalid", "limit", clip(raw))
	}
	return n, nil
}

// refusals lists one upstream's refused changes ("" every upstream's),
// newest first, at most limit.
func (s *Server) refusals(upstream string, limit int) ([]wms.ChangeRefusal, error) {
	names := []string{upstream}
	if upstream == "" {
		names = nil
		ups, err := s.ledger.Upstreams()
		if err != nil {
			return nil, err
		}
		for _, u := range ups {
			names = append(names, u.Name)
		}
	}
	var out []wms.ChangeRefusal
	for _, n := range names {
		list, err := s.ledger.Refusals(n, limit)
		if err != nil {
			return nil, err
		}
		out = append(out, list...)
	}
	slices.SortFunc(out, func(a, b wms.ChangeRefusal) int { return cmp.Compare(b.Seq, a.Seq) })
	return out[:min(len(out), limit)], nil
}

// upstreamQuery is ?upstream=: "" for every upstream, refused when unknown.
func (s *Server) upstreamQuery(c *fiber.Ctx) (string, error) {
	name := c.Query("upstream")
	if name == "" {
		return "", nil
	}
	u, err := s.ledger.UpstreamNamed(name)
	return u.Name, err
}

// apiInstructions is GET /api/v1/sync/instructions[?all=true]: the stock
// instructions waiting for a supervisor (with all, the decided ones too).
func (s *Server) apiInstructions(c *fiber.Ctx) error {
	list, err := s.ledger.Instructions(c.QueryBool("all"))
	if err != nil {
		return err
	}
	out := instructionsOut{Instructions: make([]instructionOut, 0, len(list))}
	for _, in := range list {
		out.Instructions = append(out.Instructions, newInstructionOut(in))
	}
	return c.JSON(out)
}

// apiDecideInstruction is POST /api/v1/sync/instructions/{upstream}/{id}
// {"action":"carry_out","owner":"…","location":"…"} or {"action":"refuse","reason":"…"}.
func (s *Server) apiDecideInstruction(c *fiber.Ctx) error {
	var in actionIn
	if err := syncBody(c, &in); err != nil {
		return err
	}
	key, err := idempotencyKey(c)
	if err != nil {
		return err
	}
	id, err := url.PathUnescape(c.Params("id"))
	if err != nil {
		return wms.Errf(wms.CodeInvalid, "http.bad_request")
	}
	out, err := s.decideInstruction(c, "instruction:"+key, c.Params("upstream"), id, in)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (s *Server) decideInstruction(c *fiber.Ctx, key, upstream, id string, in actionIn) (instructionDecisionOut, error) {
	out := instructionDecisionOut{Upstream: upstream, ID: id, Action: in.Action}
	owner := strings.TrimSpace(in.Owner)
	if owner != "" {
		var err error
		if owner, err = s.ledger.KnownOwner(owner); err != nil {
			return out, err
		}
	}
	out.Owner = wms.OwnerOr(owner)
	switch in.Action {
	case "carry_out":
		a, err := s.ledger.CarryOutInstruction(c.UserContext(), key, owner, upstream, id, in.Location, principal(c).Actor(), device(c))
		if err != nil {
			return out, err
		}
		out.State, out.SKU, out.Lot, out.Location, out.Delta, out.Reason = wms.InstructionDone, a.SKU, a.Lot, a.Location, a.Delta, a.Reason
	case "refuse":
		r, err := s.ledger.RefuseInstruction(c.UserContext(), key, owner, upstream, id, in.Reason, principal(c).Actor(), device(c))
		if err != nil {
			return out, err
		}
		out.State, out.Reason = wms.InstructionRefused, r.Reason
	default:
		return out, wms.Errf(wms.CodeInvalid, "sync.instruction_action", "action", clip(in.Action))
	}
	return out, nil
}

// clip shortens outside input quoted back in a message.
func clip(s string) string {
	s = strings.ToValidUTF8(s, "?")
	if r := []rune(s); len(r) > 64 {
		return string(r[:61]) + "..."
	}
	return s
}

// conflictCodes are the refusals that are conflicts: the upstream asked
// for what the floor's facts refuse (docs/sync.md "Ownership and conflicts").
var conflictCodes = []string{"order.already_shipped", "order.cancel_too_late"}

func isConflict(r wms.ChangeRefusal) bool { return slices.Contains(conflictCodes, r.Code) }
