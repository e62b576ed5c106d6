package syncer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"tally/syncer/qimen"
	"tally/wms"
)

// QimenSender sends Qimen calls to ERPs over HTTP, each signed as it
// leaves: how the hub hands a warehouse's confirmations to the ERP they
// are for. It is the link's own sending (postQimen, judgeQimen) without a
// link: the hub's bridge retries and records what was delivered.
type QimenSender struct {
	// Client sends (nil: one with a 30 s timeout).
	Client *http.Client
	// Upstream is the ERP a call names (Call.Upstream), as configured at
	// the hub.
	Upstream func(name string) (wms.Upstream, error)
	// Now is the clock the signature's timestamp is taken from (nil:
	// time.Now).
	Now func() time.Time
}

// ErrQimenRefused is an ERP's failure answer that a later try would get
// again (a call it will never take as it stands): the hub records it and
// moves on, as a warehouse makes it a dead letter.
var ErrQimenRefused = errors.New("qimen: the ERP refused the call")

// Send delivers one call. nil: the ERP took it. An error wrapping
// ErrQimenRefused: it never will. Any other error: try again later.
func (q QimenSender) Send(ctx context.Context, c qimen.Call) error {
	up, err := q.Upstream(c.Upstream)
	if err != nil {
		return fmt.Errorf("qimen %s: the ERP %q: %w", c.Method, c.Upstream, err)
	}
	if up.Dialect != wms.DialectQimen || up.Via == wms.ViaHub || up.URL == "" {
		return fmt.Errorf("qimen %s: %q is not a Qimen ERP reached over HTTP from here", c.Method, c.Upstream)
	}
	if up.Disabled {
		return fmt.Errorf("qimen %s: the ERP %q is disabled", c.Method, c.Upstream)
	}
	client := q.Client
	if client == nil {
		client = &http.Client{Timeout: requestTimeout}
	}
	now := time.Now
	if q.Now != nil {
		now = q.Now
	}
	a, err := postQimen(ctx, client, up, c, now())
	if err != nil {
		return err
	}
	ref, f := judgeQimen(c.Method, a)
	switch {
	case f != nil:
		return f
	case ref != nil:
		return fmt.Errorf("%w: %s: %s", ErrQimenRefused, ref.code, ref.reason)
	}
	return nil
}
