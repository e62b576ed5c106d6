package syncer

import (
	"errors"
	"net/url"
	"time"

	"tally/syncer/qimen"
	"tally/wms"
)

// A Qimen request is authenticated by its signature alone: customerId (or,
// without one, app_key) chooses the upstream, whose secret must have signed
// the exact bytes received within the last 10 minutes. The same rule serves
// a warehouse's POST /qimen and the hub's.

// ErrQimenUnknownCaller is a request whose customerId and app_key name no
// Qimen upstream reached over HTTP (a disabled one, or one via the hub, is
// none).
var ErrQimenUnknownCaller = errors.New("qimen: customerId and app_key name no configured upstream")

// QimenCaller finds the upstream a Qimen request comes from among ups and
// verifies its signature; the error says why it is refused (qimen.Err*, or
// ErrQimenUnknownCaller). A request is never told which of them failed
// beyond what Verify's errors say.
func QimenCaller(ups []wms.Upstream, params url.Values, body []byte, now time.Time) (wms.Upstream, error) {
	cust, key := params.Get("customerId"), params.Get("app_key")
	var found *wms.Upstream
	for i := range ups {
		u := &ups[i]
		if u.Dialect != wms.DialectQimen || u.Disabled || u.Via == wms.ViaHub {
			continue
		}
		if cust != "" && u.CustomerID == cust || cust == "" && key != "" && u.AppKey == key {
			found = u
			break
		}
	}
	if found == nil {
		return wms.Upstream{}, ErrQimenUnknownCaller
	}
	if err := qimen.Verify(params, body, []string{found.Secret}, now); err != nil {
		return wms.Upstream{}, err
	}
	return *found, nil
}
