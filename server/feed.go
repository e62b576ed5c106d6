package server

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"tally/wms"
)

// feedMaxWait caps a long poll: proxies and NAT on the way drop a connection
// that stays silent much longer, and shutdown waits for none past it.
const feedMaxWait = 60 * time.Second

// feedEvent is one event of the feed: the envelope as the log holds it, and
// its payload as stored, less any PIN, session or token hash. An owner's event
// always names its owner: one stored without an owner is the default owner's
// (wms.OwnerOf); a warehouse event names none.
type feedEvent struct {
	ID     string          `json:"id"`
	Seq    uint64          `json:"seq"`
	Epoch  uint64          `json:"epoch,omitempty"` // from the first promotion of a standby on (wms/standby.go)
	Type   string          `json:"type"`
	Actor  string          `json:"actor,omitempty"`
	Device string          `json:"device,omitempty"`
	Owner  string          `json:"owner,omitempty"`
	At     time.Time       `json:"at"`
	Data   json.RawMessage `json:"data"`
}

type feedOut struct {
	Events  []feedEvent `json:"events"`
	Next    uint64      `json:"next"`
	LastSeq uint64      `json:"last_seq"`
}

// feedQuery reads after, limit, types, owner and wait from the query string.
func feedQuery(c *fiber.Ctx) (wms.FeedQuery, time.Duration, error) {
	var q wms.FeedQuery
	if v := strings.TrimSpace(c.Query("after")); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return q, 0, wms.Errf(wms.CodeInvalid, "feed.after_invalid", "after", v)
		}
		q.After = n
	}
	if v := strings.TrimSpace(c.Query("limit")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > wms.FeedMaxLimit {
			return q, 0, wms.Errf(wms.CodeInvalid, "feed.limit_invalid", "limit", v, "max", strconv.Itoa(wms.FeedMaxLimit))
		}
		q.Limit = n
	}
	for _, t := range strings.Split(c.Query("types"), ",") {
		if t = strings.TrimSpace(t); t != "" {
			q.Types = append(q.Types, t)
		}
	}
	q.Owner = strings.TrimSpace(c.Query("owner"))
	wait, err := feedWait(c.Query("wait"))
	return q, wait, err
}

// feedOwner is the envelope's owner: the one wms.OwnerOf says the event is
// about (the default owner's events written without one name it too, so a
// reader can tell them from the warehouse's own), else what the log holds.
func feedOwner(ev wms.Event) string {
	if o := wms.OwnerOf(ev); o != "" {
		return o
	}
	return ev.Owner
}

// feedWait reads a long poll's wait: a duration ("30s", "1m") or whole
// seconds ("30"); longer than feedMaxWait waits feedMaxWait.
func feedWait(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if n, nerr := strconv.Atoi(v); nerr == nil {
		d, err = time.Duration(n)*time.Second, nil
	}
	if err != nil || d < 0 {
		return 0, wms.Errf(wms.CodeInvalid, "feed.wait_invalid", "wait", v, "max", feedMaxWait.String())
	}
	return min(d, feedMaxWait), nil
}

// apiEvents is the log as a feed: GET /api/v1/events?after=SEQ&limit=N
// (types=a,b, owner=X, wait=30s). With wait and nothing new, it answers when a
// commit brings an event the filters keep, or, at the end of the wait (or
// when the server shuts down), with no events and the cursor to ask again with.
func (s *Server) apiEvents(c *fiber.Ctx) error {
	q, wait, err := feedQuery(c)
	if err != nil {
		return err
	}
	if q.Owner != "" && len(q.Owner) <= 64 && utf8.ValidString(q.Owner) && !strings.ContainsFunc(q.Owner, unicode.IsControl) {
		// an owner the warehouse does not work for would read an empty feed
		// forever (a typo, a lower-case code): refused with 404 as every
		// ?owner= is (one that is not text at all is the ledger's 400)
		if _, err := s.ledger.KnownOwner(q.Owner); err != nil {
			return err
		}
	}
	var page wms.FeedPage
	if wait > 0 {
		c.Locals(localLongPoll, true)
		ctx, cancel := context.WithTimeout(s.closing, wait)
		defer cancel()
		page, err = s.ledger.WaitFeed(ctx, q)
	} else {
		page, err = s.ledger.Feed(q)
	}
	if err != nil {
		return err
	}
	out := feedOut{Events: make([]feedEvent, 0, len(page.Events)), Next: page.Next, LastSeq: page.LastSeq}
	for _, ev := range page.Events {
		out.Events = append(out.Events, feedEvent{ID: ev.ID, Seq: ev.Seq, Epoch: ev.Epoch, Type: ev.Type, Actor: ev.Actor, Device: ev.Device,
			Owner: feedOwner(ev), At: ev.At, Data: ev.Data})
	}
	return c.JSON(out)
}
