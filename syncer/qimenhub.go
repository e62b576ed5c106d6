package syncer

import (
	"context"
	"time"

	"tally/syncer/qimen"
	"tally/wms"
)

// A warehouse behind the hub gets its ERPs' calls over the hub link, not
// over HTTP: the hub verified each signature, and the leaf hands the call
// here. The upstream the call names must be a Qimen upstream configured
// "via":"hub" at this warehouse: that is what says this warehouse works
// for that ERP, and whose owner its calls are for.

// ApplyHubCall carries out an ERP's call the hub delivered or asked for,
// and returns its answer.
func (s *Syncer) ApplyHubCall(ctx context.Context, c qimen.Call) []byte {
	up, err := s.l.UpstreamNamed(c.Upstream)
	if err != nil || up.Dialect != wms.DialectQimen || up.Via != wms.ViaHub {
		return marshalQimen(qimen.Failure(QimenUnknownCaller, "this warehouse has no Qimen upstream "+clip(c.Upstream, 64)+" reached via the hub"))
	}
	if up.Disabled {
		return marshalQimen(qimen.Failure(QimenUnknownCaller, "the upstream "+up.Name+" is disabled at this warehouse"))
	}
	return s.ApplyQimen(ctx, up, c)
}

// HubSnapshots is the warehouse's inventory for each upstream reached via
// the hub, as an inventory.query for every item would answer it now: what
// the hub answers an ERP's inventory.query with while the warehouse is
// offline (with its time).
func (s *Syncer) HubSnapshots(ctx context.Context) []qimen.Call {
	ups, err := s.l.Upstreams()
	if err != nil {
		s.log.Error("sync: reading the upstreams for the hub's snapshot", "err", err)
		return nil
	}
	var out []qimen.Call
	for _, up := range ups {
		if up.Dialect != wms.DialectQimen || up.Via != wms.ViaHub || up.Disabled {
			continue
		}
		at := time.Now()
		body := s.ApplyQimen(ctx, up, qimen.Call{Upstream: up.Name, Warehouse: s.o.Warehouse, Method: qimen.InventoryQuery,
			Body: []byte("<request><criteriaList></criteriaList></request>"), At: at})
		out = append(out, qimen.Call{ID: "snapshot:" + up.Name, Upstream: up.Name, Warehouse: s.o.Warehouse,
			Method: qimen.InventoryQuery, Body: body, At: at})
	}
	return out
}
