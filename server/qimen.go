package server

import (
	"bytes"
	"context"
	"net/url"

	"github.com/gofiber/fiber/v2"

	"tally/syncer"
	"tally/syncer/qimen"
	"tally/wms"
)

// POST /qimen is where an ERP calls the warehouse over the Qimen standard.
// It needs no session, CSRF token or role: the request's signature with
// the ERP's secret is its authentication, and the syncer checks it
// (syncer.ServeQimen). Qimen answers every call with status 200 and says
// in the body whether it succeeded.

// qimenServer is the part of the syncer that answers Qimen calls
// (*syncer.Syncer); a syncer without it takes none.
type qimenServer interface {
	ServeQimen(ctx context.Context, params url.Values, body []byte) []byte
}

func (s *Server) qimen(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, "text/xml; charset=utf-8")
	qs, ok := s.cfg.Syncer.(qimenServer)
	if s.cfg.Hub != nil {
		// the hub: verified against its ERPs, then routed to a warehouse
		qs, ok = hubQimen{s.cfg.Hub, s.ledger}, true
	}
	if !ok {
		return c.Send(syncer.QimenUnconfigured())
	}
	// the exact decoded values, every one of them: a parameter given twice
	// is refused by the signature check, not silently reduced to one
	params, err := url.ParseQuery(string(c.Request().URI().QueryString()))
	if err != nil {
		answer, _ := qimen.Marshal(qimen.Failure(syncer.QimenBadParameter, "the query string does not parse: "+err.Error()))
		return c.Send(answer)
	}
	body, err := qimen.ReadRequest(bytes.NewReader(c.Body())) // a copy: nothing of Fiber's buffer is kept
	if err != nil {
		return c.Send(syncer.QimenRefused(err))
	}
	return c.Send(qs.ServeQimen(c.UserContext(), params, body))
}

// hubQimen answers Qimen calls at the hub: the ERPs are the hub's Qimen
// upstreams.
type hubQimen struct {
	hub    Hub
	ledger *wms.Ledger
}

func (h hubQimen) ServeQimen(ctx context.Context, params url.Values, body []byte) []byte {
	ups, err := h.ledger.Upstreams()
	if err != nil {
		out, _ := qimen.Marshal(qimen.Failure(syncer.QimenInternal, "the hub cannot read its ERPs now; send the call again"))
		return out
	}
	return h.hub.ServeQimen(ctx, params, body, ups)
}
