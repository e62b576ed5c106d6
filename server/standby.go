package server

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"tally/views"
	"tally/wms"
)

// The standby (tally serve --follow URL): a second Tally that applies the
// primary's log to its own store (wms/standby.go) and takes no floor writes
// until it is promoted. The primary gives its log at GET
// /api/v1/replication; the standby shows how far behind it is on /healthz
// and /metrics, and is promoted with POST /api/v1/standby/promote (or `tally
// promote` on a stopped one).

// replicas read the replication feed: a standby's token, or an admin's.
var replicas = []wms.Role{wms.RoleReplica, wms.RoleAdmin}

// StandbyLink is the standby's follower: how far behind the primary it is.
type StandbyLink interface {
	StandbyStatus() StandbyStatus
}

// StandbyStatus is the follower's view of the primary.
type StandbyStatus struct {
	Primary string `json:"primary"`
	// AppliedSeq is the last event applied here; PrimarySeq the primary's
	// newest when it last answered.
	AppliedSeq uint64 `json:"applied_seq"`
	PrimarySeq uint64 `json:"primary_seq"`
	// LagEvents is PrimarySeq - AppliedSeq: events known to be missing here.
	LagEvents uint64 `json:"lag_events"`
	// LagSeconds is how long ago this store last held everything the
	// primary had (as of an answer of the primary's): it grows while the
	// primary is out of reach, however few events are missing.
	LagSeconds float64 `json:"lag_s"`
	// LastContact is when the primary last answered; Error is the last
	// failure to read or apply since then ("" when none).
	LastContact *time.Time `json:"last_contact,omitempty"`
	Error       string     `json:"error,omitempty"`
}

// replicationOut is one page of the replication feed. Its events are the
// log as stored, secrets included: the standby must be able to log people
// in after a promotion. Never log a page.
type replicationOut struct {
	Events  []wms.ReplicaEvent `json:"events"`
	LastSeq uint64             `json:"last_seq"`
	Epoch   uint64             `json:"epoch"`
	Secret  []byte             `json:"secret"` // the store's CSRF key, for the standby to adopt
}

// apiReplication is the log for a standby: GET
// /api/v1/replication?after=SEQ&limit=N&wait=30s. With wait and nothing
// new, it answers at the next commit or at the end of the wait (no events).
func (s *Server) apiReplication(c *fiber.Ctx) error {
	var after uint64
	if v := strings.TrimSpace(c.Query("after")); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return wms.Errf(wms.CodeInvalid, "feed.after_invalid", "after", v)
		}
		after = n
	}
	limit := 0
	if v := strings.TrimSpace(c.Query("limit")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > wms.ReplicaMaxLimit {
			return wms.Errf(wms.CodeInvalid, "feed.limit_invalid", "limit", v, "max", strconv.Itoa(wms.ReplicaMaxLimit))
		}
		limit = n
	}
	wait, err := feedWait(c.Query("wait"))
	if err != nil {
		return err
	}
	var page wms.ReplicaPage
	if wait > 0 {
		c.Locals(localLongPoll, true)
		ctx, cancel := context.WithTimeout(s.closing, wait)
		defer cancel()
		page, err = s.ledger.WaitReplication(ctx, after, limit)
	} else {
		page, err = s.ledger.ReplicationPage(after, limit)
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(replicationOut(page))
}

// standbyGuard refuses every write while the store follows a primary: the
// floor is told which address is the primary. Reads work; promoting is the
// one write a standby takes.
func (s *Server) standbyGuard(c *fiber.Ctx) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.Next()
	}
	if c.Path() == "/api/v1/standby/promote" {
		return c.Next()
	}
	if primary, ok := s.ledger.Following(); ok {
		return wms.Errf(wms.CodeStandby, "standby.refused", "primary", primary)
	}
	return c.Next()
}

// apiPromote makes this standby the primary: POST /api/v1/standby/promote
// (admin). Following stops with the commit; the floor's writes are taken
// from the next request on, and every later event carries the new epoch.
func (s *Server) apiPromote(c *fiber.Ctx) error {
	p := principal(c)
	promoted, err := s.ledger.Promote(c.UserContext(), p.Actor(), device(c))
	if err != nil {
		return err
	}
	s.log.Warn("promoted to primary", "epoch", promoted.Epoch, "last_seq", promoted.LastSeq, "was_following", promoted.Primary)
	return c.JSON(promoted)
}

// nodeHealth is /healthz's word on this node: primary or standby, its
// epoch, and a standby's lag.
func (s *Server) nodeHealth() fiber.Map {
	out := fiber.Map{"role": "primary", "epoch": s.ledger.Epoch()}
	if primary, ok := s.ledger.Following(); ok {
		out["role"], out["primary"] = "standby", primary
		if s.cfg.Standby != nil {
			out["standby"] = s.cfg.Standby.StandbyStatus()
		}
	}
	return out
}

// standbyMetrics adds the node's epoch and, on a standby, its lag.
func (s *Server) standbyMetrics(b *strings.Builder) {
	gauge := func(name, help string, v float64) {
		fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s gauge\n%s %g\n", name, help, name, name, v)
	}
	gauge("tally_epoch", "The store's epoch: 1 until a standby is promoted, one more at each promotion.", float64(s.ledger.Epoch()))
	_, following := s.ledger.Following()
	gauge("tally_standby", "1 while this node follows a primary (a standby), else 0.", map[bool]float64{true: 1}[following])
	if !following || s.cfg.Standby == nil {
		return
	}
	st := s.cfg.Standby.StandbyStatus()
	gauge("tally_standby_lag_events", "Events the primary had that this standby has not applied yet.", float64(st.LagEvents))
	gauge("tally_standby_lag_seconds", "Seconds since this standby last held every event the primary had.", st.LagSeconds)
}

// primaryOnly keeps a background job idle while the store is a standby
// (the syncer, sweeps, auto-wave, the print worker: each would write, or
// print a label twice). A job with a period skips its turns; a loop waits
// for the promotion, then runs.
func (s *Server) primaryOnly(j Job) Job {
	if j.OnStandby {
		return j
	}
	standby := func() bool { _, ok := s.ledger.Following(); return ok }
	gate := func(run func(context.Context) error) func(context.Context) error {
		if run == nil {
			return nil
		}
		if j.Every == 0 {
			return func(ctx context.Context) error {
				for standby() {
					select {
					case <-ctx.Done():
						return nil
					case <-s.ledger.Committed(): // a promotion commits an event
					case <-time.After(time.Second):
					}
				}
				return run(ctx)
			}
		}
		return func(ctx context.Context) error {
			if standby() {
				return nil
			}
			return run(ctx)
		}
	}
	start := j.Start
	if start != nil {
		j.Start = func(ctx context.Context) error {
			if standby() {
				return nil
			}
			return start(ctx)
		}
	}
	j.Run = gate(j.Run)
	return j
}

// standbyBanner is the standby's banner for every page, or nil on a primary.
func (s *Server) standbyBanner() *views.StandbyBanner {
	primary, ok := s.ledger.Following()
	if !ok {
		return nil
	}
	b := &views.StandbyBanner{Primary: shownAddress(primary)}
	if s.cfg.Standby == nil {
		return b
	}
	if st := s.cfg.Standby.StandbyStatus(); st.LastContact != nil {
		b.Events = strconv.FormatUint(st.LagEvents, 10)
		b.Seconds = strconv.FormatFloat(st.LagSeconds, 'f', 1, 64)
	}
	return b
}

// shownAddress is an address as a page may show it: without a user or
// password that someone may have put in it.
func shownAddress(addr string) string {
	u, err := url.Parse(addr)
	if err != nil || u.Host == "" {
		return addr
	}
	u.User = nil
	return u.Redacted()
}
