package syncer

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"tally/syncer/qimen"
	"tally/wms"
)

// The Qimen methods an ERP calls to hold an order or to read from the
// warehouse: order.pending, inventory.query, deliveryorder.query and
// orderprocess.query. Each answers from the ledger for the upstream's
// owner (Upstream.QimenOwner); a request that names another ownerCode is
// refused.

func init() {
	qimenMethods[qimen.OrderPending] = qimenOrderPending
	qimenMethods[qimen.InventoryQuery] = qimenInventoryQuery
	qimenMethods[qimen.DeliveryQuery] = qimenDeliveryQuery
	qimenMethods[qimen.OrderProcessQuery] = qimenOrderProcessQuery
}

// MaxInventoryItems bounds an inventory.query answer (a page of one); the
// message says when there are more.
const MaxInventoryItems = 5000

// qimenOwnerCheck refuses an ownerCode that is not the upstream's.
func qimenOwnerCheck(up wms.Upstream, code string) error {
	if code != "" && code != up.QimenOwnerCode() {
		return wms.Errf(wms.CodeInvalid, "qimen.owner_unknown", "owner_code", code)
	}
	return nil
}

// qimenWarehouse is the warehouseCode an answer names: the request's, else the call's.
func qimenWarehouse(asked string, c qimen.Call) string {
	if asked != "" {
		return asked
	}
	return c.Warehouse
}

// qimenOrderPending holds (actionType pending) or restores an order. A
// repeat changes nothing and answers success again (wms.Books.HoldOrder).
func qimenOrderPending(ctx context.Context, s *Syncer, up wms.Upstream, c qimen.Call) (any, error) {
	r, err := qimen.DecodeOrderPending(c.Body)
	if err != nil {
		return nil, err
	}
	if err := qimenOwnerCheck(up, r.OwnerCode); err != nil {
		return nil, err
	}
	held := r.ActionType == qimen.ActionPending
	if _, err := s.l.Books(up.QimenOwner()).HoldOrder(ctx, r.OrderCode, held, r.Reason, "", "sync:"+up.Name, "qimen"); err != nil {
		return nil, err
	}
	return qimen.Success(), nil
}

// qimenInventoryQuery answers the owner's on-hand stock: ZP for sellable
// units (lockQuantity is what orders reserve of them), CC for units Tally
// will not ship (a lot quarantined, held or expired; a quarantine or
// damaged location). Without criteria it answers every item.
func qimenInventoryQuery(ctx context.Context, s *Syncer, up wms.Upstream, c qimen.Call) (any, error) {
	r, err := qimen.DecodeInventoryQuery(c.Body)
	if err != nil {
		return nil, err
	}
	for _, cr := range r.Criteria {
		if err := qimenOwnerCheck(up, cr.OwnerCode); err != nil {
			return nil, err
		}
	}
	books := s.l.Books(up.QimenOwner())
	lines, err := books.Inventory()
	if err != nil {
		return nil, err
	}
	var all []qimen.InventoryQueryItem
	for _, l := range lines {
		typ := qimen.InventoryDamaged
		if l.Sellable {
			typ = qimen.InventorySellable
		}
		cr, ok := inventoryMatch(r.Criteria, l.SKU, typ, l.Lot)
		if !ok {
			continue
		}
		all = append(all, qimen.InventoryQueryItem{WarehouseCode: qimenWarehouse(cr.WarehouseCode, c), ItemCode: l.SKU,
			InventoryType: typ, Quantity: l.Qty, LockQuantity: l.Reserved, BatchCode: l.Lot, ExpireDate: l.Expiry})
	}
	// An item asked for by its code that the warehouse knows and holds none of: zero.
	for _, cr := range r.Criteria {
		code := cr.ItemCode
		if code == "" {
			code = cr.ItemID
		}
		if code == "" || cr.BatchCode != "" || inventoryHas(all, code) {
			continue
		}
		if _, err := books.SKU(code); err != nil {
			continue
		}
		typ := cr.InventoryType
		if typ == "" {
			typ = qimen.InventorySellable
		}
		all = append(all, qimen.InventoryQueryItem{WarehouseCode: qimenWarehouse(cr.WarehouseCode, c), ItemCode: code, InventoryType: typ})
	}
	size := r.PageSize
	if size <= 0 || size > MaxInventoryItems {
		size = MaxInventoryItems
	}
	page := max(r.Page, 1)
	from := len(all)
	if page-1 < (len(all)+size-1)/size { // a page past the last is empty (and page × size never overflows)
		from = (page - 1) * size
	}
	to := min(from+size, len(all))
	ans := qimen.InventoryQueryAnswer{Response: qimen.Success(), Items: all[from:to]}
	if from > 0 || to < len(all) {
		ans.Message = fmt.Sprintf("items %d-%d of %d (page %d of %d, %d a page)", from+1, to, len(all), page, (len(all)+size-1)/size, size)
	}
	return ans, nil
}

// inventoryMatch finds the first criteria an item matches (every item
// matches no criteria at all).
func inventoryMatch(cs []qimen.InventoryQueryCriteria, sku, typ, lot string) (qimen.InventoryQueryCriteria, bool) {
	if len(cs) == 0 {
		return qimen.InventoryQueryCriteria{}, true
	}
	for _, c := range cs {
		switch {
		case c.ItemCode != "" && c.ItemCode != sku:
		case c.ItemCode == "" && c.ItemID != "" && c.ItemID != sku:
		case c.InventoryType != "" && c.InventoryType != typ:
		case c.BatchCode != "" && c.BatchCode != lot:
		default:
			return c, true
		}
	}
	return qimen.InventoryQueryCriteria{}, false
}

func inventoryHas(items []qimen.InventoryQueryItem, code string) bool {
	for _, it := range items {
		if it.ItemCode == code {
			return true
		}
	}
	return false
}

// qimenStatus is a Tally order state as the standard's status.
func qimenStatus(st wms.OrderState) string {
	switch st {
	case wms.OrderPicking, wms.OrderPicked:
		return qimenPick
	case wms.OrderPacked:
		return qimenPackage
	case wms.OrderShipped:
		return qimenDelivered
	case wms.OrderCancelled:
		return qimenCanceled
	}
	return qimenAccept // new or allocated: the warehouse has it
}

// The standard's processStatus values Tally reports, and two of its own
// for an order.pending's effect (the standard lists none).
const (
	qimenAccept    = "ACCEPT"
	qimenPick      = "PICK"
	qimenPackage   = "PACKAGE"
	qimenDelivered = "DELIVERED"
	qimenCanceled  = "CANCELED"
	qimenHeld      = "HELD"
	qimenRestored  = "RESTORED"
)

// qimenDeliveryQuery answers an order's status, its lines by batch and,
// once shipped, its packages.
func qimenDeliveryQuery(ctx context.Context, s *Syncer, up wms.Upstream, c qimen.Call) (any, error) {
	r, err := qimen.DecodeDeliveryQuery(c.Body)
	if err != nil {
		return nil, err
	}
	if err := qimenOwnerCheck(up, r.OwnerCode); err != nil {
		return nil, err
	}
	books := s.l.Books(up.QimenOwner())
	o, err := books.Order(r.OrderCode)
	if err != nil {
		return nil, err
	}
	shipped := o.State == wms.OrderShipped
	do := &qimen.DeliveryQueryOrder{DeliveryOrderCode: o.No, DeliveryOrderID: o.No, WarehouseCode: qimenWarehouse(r.WarehouseCode, c),
		OwnerCode: up.QimenOwnerCode(), Status: qimenStatus(o.State)}
	switch {
	case o.Held:
		do.Remark = "held: " + o.HoldReason
	case o.State == wms.OrderCancelled:
		do.Remark = o.CancelReason
	}
	ans := qimen.DeliveryQueryAnswer{Response: qimen.Success(), DeliveryOrder: do}
	for i, line := range o.Lines {
		no := strconv.Itoa(i + 1)
		var planned int64
		for _, a := range line.Allocs {
			dl := qimen.DeliveryQueryLine{OrderLineNo: no, ItemCode: line.SKU, InventoryType: qimen.InventorySellable,
				PlanQty: a.Qty, BatchCode: a.Lot, ExpireDate: a.Expiry}
			if shipped {
				dl.ActualQty = a.Picked
			}
			planned += a.Qty
			ans.OrderLines = append(ans.OrderLines, dl)
		}
		if rest := line.Qty - planned; rest > 0 || len(line.Allocs) == 0 {
			ans.OrderLines = append(ans.OrderLines, qimen.DeliveryQueryLine{OrderLineNo: no, ItemCode: line.SKU,
				InventoryType: qimen.InventorySellable, PlanQty: max(rest, 0)})
		}
	}
	ans.TotalLines = len(ans.OrderLines)
	if shipped {
		ps, err := books.Pack(o.No)
		if err != nil {
			return nil, err
		}
		for _, p := range ps.Parcels {
			pkg := qimen.DeliveryQueryPackage{LogisticsCode: o.Carrier, ExpressCode: p.Waybill, PackageCode: p.Box,
				Weight: strconv.FormatFloat(float64(p.WeightG)/1000, 'f', 3, 64)}
			for _, it := range p.Items {
				if n := len(pkg.Items); n > 0 && pkg.Items[n-1].ItemCode == it.SKU {
					pkg.Items[n-1].Quantity += it.Qty
					continue
				}
				pkg.Items = append(pkg.Items, qimen.DeliveryQueryItem{ItemCode: it.SKU, Quantity: it.Qty})
			}
			ans.Packages = append(ans.Packages, pkg)
		}
		if len(ans.Packages) > 0 {
			do.LogisticsCode, do.ExpressCode = o.Carrier, ans.Packages[0].ExpressCode
		}
		do.OrderConfirmTime = qimen.Timestamp(stepAt(o, string(wms.OrderShipped)))
	}
	return ans, nil
}

// stepAt is when the order took a step (its last change when its steps
// do not say: an order from before steps were kept).
func stepAt(o wms.Order, step string) time.Time {
	for _, s := range o.Steps {
		if s.Step == step {
			return s.At
		}
	}
	return o.Updated
}

// qimenOrderProcessQuery answers an order's steps, oldest first.
func qimenOrderProcessQuery(ctx context.Context, s *Syncer, up wms.Upstream, c qimen.Call) (any, error) {
	r, err := qimen.DecodeProcessQuery(c.Body)
	if err != nil {
		return nil, err
	}
	if err := qimenOwnerCheck(up, r.OwnerCode); err != nil {
		return nil, err
	}
	books := s.l.Books(up.QimenOwner())
	o, err := books.Order(r.OrderCode)
	if err != nil {
		return nil, err
	}
	steps := o.Steps
	if len(steps) == 0 { // an order from before steps were kept: what the order says
		steps = []wms.OrderStep{{Step: string(wms.OrderNew), At: o.Received}}
		if o.State != wms.OrderNew {
			steps = append(steps, wms.OrderStep{Step: string(o.State), At: o.Updated})
		}
	}
	op := &qimen.ProcessQueryOrder{OrderCode: o.No, OrderID: o.No, OrderType: r.OrderType, WarehouseCode: qimenWarehouse(r.WarehouseCode, c)}
	var waybill string
	if o.State == wms.OrderShipped {
		if ps, err := books.Pack(o.No); err == nil && len(ps.Parcels) > 0 {
			waybill = ps.Parcels[0].Waybill
		}
	}
	for i, st := range steps {
		p := qimen.ProcessQueryStep{OperateTime: qimen.Timestamp(st.At)}
		switch st.Step {
		case string(wms.OrderNew):
			p.ProcessStatus = qimenAccept
		case string(wms.OrderPicking), string(wms.OrderPicked):
			if n := len(op.Processes); n > 0 && op.Processes[n-1].ProcessStatus == qimenPick {
				continue // picking, then picked: one PICK
			}
			p.ProcessStatus = qimenPick
		case string(wms.OrderPacked):
			p.ProcessStatus = qimenPackage
		case string(wms.OrderShipped):
			p.ProcessStatus, p.ExpressCode = qimenDelivered, waybill
		case string(wms.OrderCancelled):
			p.ProcessStatus, p.Remark = qimenCanceled, o.CancelReason
		case wms.StepHeld:
			p.ProcessStatus = qimenHeld
			if o.Held && i == lastHeld(steps) {
				p.Remark = o.HoldReason
			}
		case wms.StepRestored:
			p.ProcessStatus = qimenRestored
		default:
			continue // allocated: a step the standard has no word for
		}
		op.Processes = append(op.Processes, p)
	}
	return qimen.ProcessQueryAnswer{Response: qimen.Success(), OrderProcess: op}, nil
}

func lastHeld(steps []wms.OrderStep) int {
	for i := len(steps) - 1; i >= 0; i-- {
		if steps[i].Step == wms.StepHeld {
			return i
		}
	}
	return -1
}
