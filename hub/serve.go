package hub

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"

	"tally/syncer"
	"tally/syncer/qimen"
	"tally/wms"
)

// Failure codes of the hub's refusals: a warehouse's POST /qimen's own
// (syncer) where the cause is the same, and the hub's.
const (
	CodeBadSign          = syncer.QimenBadSign
	CodeUnknownCaller    = syncer.QimenUnknownCaller
	CodeBadTimestamp     = syncer.QimenBadTimestamp
	CodeBadSignMethod    = syncer.QimenBadSignMethod
	CodeBadParameter     = syncer.QimenBadParameter
	CodeTooLarge         = syncer.QimenTooLarge
	CodeBadXML           = syncer.QimenBadXML
	CodeBadMethod        = syncer.QimenBadMethod
	CodeNoWarehouse      = "invalid-warehouse"
	CodeManyWarehouses   = "several-warehouses"
	CodeUnknownWarehouse = "unknown-warehouse"
	CodeOffline          = "warehouse-offline"
	CodeHubUnavailable   = "hub-unavailable"
)

// How each ERP→WMS method is carried: stored and delivered (answered at
// once), or asked live.
var (
	deliveredMethods = []string{qimen.ItemSync, qimen.ItemsSync, qimen.EntryOrderCreate, qimen.ReturnOrderCreate,
		qimen.DeliveryCreate, qimen.DeliveryBatch, qimen.StockOutCreate}
	askedMethods = []string{qimen.OrderCancel, qimen.OrderPending, qimen.InventoryQuery, qimen.DeliveryQuery, qimen.OrderProcessQuery}
)

// ServeQimen answers an ERP's POST /qimen at the hub: params are the URL's
// query, body the exact bytes received (the caller reads at most
// qimen.MaxBody+1 of them), ups the hub's Qimen upstreams. It verifies the
// signature (syncer.QimenCaller), routes the call by its one warehouseCode
// and returns the answer to write:
//   - create and synchronize methods: stored for the warehouse, success
//     once the cluster has it (a repeat is stored once);
//   - order.cancel and order.pending: the warehouse's live answer, or
//     failure "warehouse offline, retry";
//   - queries: the warehouse's live answer; inventory.query while it is
//     offline gets its last snapshot, with the snapshot's time in
//     <message>.
func (b *Bridge) ServeQimen(ctx context.Context, params url.Values, body []byte, ups []wms.Upstream) []byte {
	now := time.Now()
	if len(body) > qimen.MaxBody {
		return failure(CodeTooLarge, fmt.Sprintf("the body is larger than %d bytes", qimen.MaxBody))
	}
	up, err := syncer.QimenCaller(ups, params, body, now)
	if err != nil {
		out, _ := qimen.Marshal(syncer.QimenCallerFailure(err, "hub"))
		return out
	}
	if err := qimen.CheckRequest(body); err != nil {
		return failure(CodeBadXML, "the body is not one well-formed <request> in UTF-8")
	}
	method, ok := qimen.ShortMethod(params.Get("method"))
	if !ok || !slices.Contains(deliveredMethods, method) && !slices.Contains(askedMethods, method) {
		return failure(CodeBadMethod, fmt.Sprintf("the hub does not take method %.70q", params.Get("method")))
	}
	codes, err := qimen.WarehouseCodes(body)
	switch {
	case errors.Is(err, qimen.ErrNoWarehouse):
		return failure(CodeNoWarehouse, "the request names no warehouseCode")
	case err != nil:
		return failure(CodeBadXML, "the body is not well-formed XML")
	case len(codes) > 1:
		return failure(CodeManyWarehouses, "the request names several warehouseCodes: send one call per warehouse")
	}
	wh := codes[0]
	if CheckWarehouse(wh) != nil || !b.Known(ctx, wh) {
		return failure(CodeUnknownWarehouse, fmt.Sprintf("warehouseCode %.70q has never connected to this hub", wh))
	}
	caller := up.CustomerID
	if caller == "" {
		caller = up.AppKey
	}
	c := qimen.Call{ID: erpCallID(caller, method, body), Upstream: up.Name, Warehouse: wh, Method: method,
		Body: bytes.Clone(body), At: now}
	if slices.Contains(deliveredMethods, method) {
		if err := b.Deliver(ctx, c); err != nil {
			b.log.Warn("hub: storing an ERP's call", "warehouse", wh, "method", method, "err", err)
			return failure(CodeHubUnavailable, "the hub could not store the call; send it again")
		}
		return success("")
	}
	answer, err := b.Ask(ctx, c)
	if err == nil {
		return answer
	}
	if !errors.Is(err, ErrOffline) {
		b.log.Warn("hub: asking a warehouse", "warehouse", wh, "method", method, "err", err)
	}
	if method == qimen.InventoryQuery {
		if snap, at, ok := b.Snapshot(ctx, wh, up.Name); ok {
			msg := fmt.Sprintf("warehouse %s is offline: its inventory as of %s (China time)", wh, at.In(qimen.China).Format(qimen.TimestampLayout))
			if out, err := snapshotAnswer(snap, body, msg); err == nil {
				return out
			}
		}
		return failure(CodeOffline, "warehouse offline and no inventory snapshot yet, retry")
	}
	return failure(CodeOffline, "warehouse offline, retry")
}

// erpCallID is the ID of an ERP's call: the same caller sending the same
// method and body again makes the same call.
func erpCallID(caller, method string, body []byte) string {
	sum := sha256.Sum256(body)
	return "erp:" + digestKey(caller)[:16] + ":" + method + ":" + hex.EncodeToString(sum[:16])
}

func failure(code, msg string) []byte {
	out, _ := qimen.Marshal(qimen.Failure(code, msg))
	return out
}

func success(msg string) []byte {
	r := qimen.Success()
	r.Message = msg
	out, _ := qimen.Marshal(r)
	return out
}
