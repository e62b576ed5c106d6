package syncer

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"tally/wms"
)

// Reconciling: GET {url}/stock?owner=O for each owner the upstream covers,
// compared with the ledger by wms.Reconcile, which writes the report and
// the adjustment that goes upstream. On reconnect, every ReconcileEvery
// while online, and when a person asks.

// DecodeStock reads and checks a stock snapshot for owner: at most
// MaxStockBody bytes and wms.MaxSnapshotLines lines, for the owner asked.
func DecodeStock(body []byte, owner string) (wms.StockSnapshot, error) {
	if len(body) > MaxStockBody {
		return wms.StockSnapshot{}, fmt.Errorf("the snapshot is larger than %d bytes", MaxStockBody)
	}
	var s struct {
		wms.StockSnapshot
		Owner *string           `json:"owner"`
		Lines *[]wms.OnHandLine `json:"lines"`
	}
	if err := json.Unmarshal(body, &s); err != nil {
		return wms.StockSnapshot{}, fmt.Errorf("the snapshot is not {\"owner\", \"lines\": [...]}: %s", clip(err.Error(), maxErrorText))
	}
	if s.Owner == nil || s.Lines == nil {
		return wms.StockSnapshot{}, fmt.Errorf(`the snapshot needs "owner" and "lines"`)
	}
	if wms.OwnerOr(*s.Owner) != wms.OwnerOr(owner) {
		return wms.StockSnapshot{}, fmt.Errorf("the snapshot is owner %s's, not %s's", clip(*s.Owner, 64), owner)
	}
	if len(*s.Lines) > wms.MaxSnapshotLines {
		return wms.StockSnapshot{}, fmt.Errorf("the snapshot has %d lines, more than %d", len(*s.Lines), wms.MaxSnapshotLines)
	}
	if len(s.OpenOrders) > wms.MaxSnapshotLines {
		return wms.StockSnapshot{}, fmt.Errorf("the snapshot lists %d open orders, more than %d", len(s.OpenOrders), wms.MaxSnapshotLines)
	}
	out := s.StockSnapshot
	out.Owner, out.Lines = wms.OwnerOr(owner), *s.Lines
	for i := range out.Lines {
		out.Lines[i].Owner = out.Owner
	}
	return out, nil
}

// reconcileAll reconciles every owner the upstream covers.
func (k *link) reconcileAll(ctx context.Context, trigger string) ([]wms.Reconciliation, error) {
	up := k.config()
	owners := []string{up.Owner}
	if up.Owner == "" {
		all, err := k.s.l.Owners()
		if err != nil {
			return nil, err
		}
		owners = owners[:0]
		for _, o := range all {
			owners = append(owners, o.Code)
		}
	}
	// tried once per turn, whatever comes of it: a failing OMS is asked
	// again at the next turn, not in a loop
	k.lastReconcile, k.reconnect = k.s.now(), false
	var out []wms.Reconciliation
	for _, owner := range owners {
		a, err := k.exchange(ctx, http.MethodGet, "/stock", "owner="+url.QueryEscape(owner), nil, MaxStockBody)
		if err != nil {
			return out, err
		}
		if a.status != http.StatusOK {
			return out, k.fail("GET /stock", a)
		}
		snap, err := DecodeStock(a.body, owner)
		if err != nil {
			return out, &failure{msg: "GET /stock: " + err.Error(), online: true}
		}
		r, err := k.s.l.Reconcile(ctx, up.Name, trigger, snap)
		if err != nil {
			if e, ok := wms.AsError(err); ok && e.Code != wms.CodeInternal {
				return out, &failure{msg: "GET /stock: the snapshot of " + owner + " was refused: " + e.Error(), online: true}
			}
			return out, err
		}
		out = append(out, r)
		k.succeeded()
	}
	return out, nil
}
