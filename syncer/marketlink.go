package syncer

import (
	"context"
	"errors"
	"time"

	"tally/syncer/market"
	"tally/wms"
)

// A marketplace shop (dialect taobao, jd, pdd, douyin or shopify) is an
// upstream the warehouse only writes to: each shipment of the shop's
// orders (its owner's orders on its channel) goes back to the platform in
// the platform's terms, and the stock its listings may sell is published
// (marketstock.go). There is no pull and no reconciliation: the platform
// is the shop's own record. The cursor, dead letters, backoff and status
// are the ones every upstream has.

// errMarketNoReconcile refuses a reconciliation asked of a shop.
var errMarketNoReconcile = errors.New("sync: a marketplace shop is written to, not reconciled: its stock page shows what was published and what the platform answered")

// marketState is a shop's link state that outlives a step.
type marketState struct {
	limiter *market.Limiter
	dialect string // the limiter's
	rate    int
}

// stepMarket is a shop's turn: retried dead letters, shipments, then the
// stock publication when one is due.
func (k *link) stepMarket(ctx context.Context, up wms.Upstream, retry []wms.DeadLetter) (busy bool, err error) {
	p, ok := k.s.platform(up.Dialect)
	if !ok {
		return false, &failure{msg: "sync: no adapter for the " + up.Dialect + " platform in this build"}
	}
	if !up.NoShip {
		if len(retry) > 0 {
			if err := k.marketRetries(ctx, up, p, retry); err != nil {
				return false, err
			}
		}
		more, err := k.marketBatch(ctx, up, p)
		if err != nil {
			return false, err
		}
		busy = more
	}
	if !up.NoStock {
		more, err := k.stepStock(ctx, up, p)
		if err != nil {
			return busy, err
		}
		busy = busy || more
	}
	return busy, nil
}

// conn is what an adapter sends with: the syncer's client, its clock
// corrected by the platform's Date headers, and the shop's limiter (made
// once per dialect, kept across steps: a platform's limit is per shop).
func (k *link) conn(up wms.Upstream, p market.Platform) market.Conn {
	if k.market.limiter == nil || k.market.dialect != up.Dialect || k.market.rate != up.RatePerMinute {
		per, burst := p.RateLimit()
		if up.RatePerMinute > 0 {
			// the shop's own quota; the burst scales with it
			burst = max(1, min(burst*up.RatePerMinute/max(per, 1), up.RatePerMinute/6))
			per = up.RatePerMinute
		}
		k.market.limiter, k.market.dialect, k.market.rate = market.NewLimiter(per, burst), up.Dialect, up.RatePerMinute
	}
	return market.Conn{HTTP: k.s.client, Now: func() time.Time { return k.s.now().Add(k.clockOffset()) }, Limit: k.market.limiter}
}

// shopOf is the shop as an adapter reads it, from the configuration of now.
func shopOf(up wms.Upstream) market.Shop {
	return market.Shop{Name: up.Name, Platform: up.Dialect, URL: up.URL, AppKey: up.AppKey, Secret: up.Secret,
		Session: up.Session, SignMethod: up.SignMethod, Location: up.Location, Channel: up.Channel}
}

// marketFailure turns an adapter's error into what the link does: a
// refusal is a dead letter (returned as ref); anything else is a failure
// to back off from, online unless the platform did not answer.
func (k *link) marketFailure(what string, err error) (ref *erpRefusal, f error) {
	var me *market.Error
	if !errors.As(err, &me) {
		if ctx := errors.Unwrap(err); ctx != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
			return nil, err
		}
		return nil, &failure{msg: what + ": " + clip(err.Error(), maxErrorText)}
	}
	msg := what + ": " + clip(me.Error(), maxErrorText)
	switch me.Kind {
	case market.Refused:
		return &erpRefusal{code: cmpCode(me.Code, "market.refused"), reason: clip(me.Message, maxErrorText)}, nil
	case market.Throttled:
		fl := &failure{msg: msg, online: true, code: me.Code, status: me.Status}
		if me.RetryAfter > 0 {
			fl.retryAt = k.s.now().Add(me.RetryAfter)
		}
		return nil, fl
	case market.Auth:
		return nil, &failure{msg: msg + " — check the shop's app key, secret and access token (session), and the warehouse's clock", online: true, code: me.Code, status: me.Status}
	case market.Retry:
		return nil, &failure{msg: msg, online: true, code: me.Code, status: me.Status}
	}
	return nil, &failure{msg: msg, code: me.Code, status: me.Status}
}

func cmpCode(code, or string) string {
	if code == "" {
		return or
	}
	return clip(code, 64)
}
