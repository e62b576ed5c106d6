package syncer

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"tally/syncer/qimen"
	"tally/wms"
)

// The WMS→ERP side of Qimen: each outward event an ERP's upstream gets is
// mapped to the calls that say it in Qimen (none for an event Qimen has no
// method for: the cursor simply passes it). The mapping is pure: the same
// event makes the same calls, bodies and outBizCodes every time, so a retry
// is a repeat the ERP drops. docs/qimen-confirms.md is this file in words.

// qimenBooks reads what an outward event does not say.
type qimenBooks interface {
	// order is an owner's order; ok is false for one the books do not know.
	order(owner, no string) (o wms.Order, ok bool, err error)
	// expiry is a lot's expiry date ("" for none or an unknown lot).
	expiry(owner, sku, lot string) (string, error)
}

// ledgerBooks reads a ledger.
type ledgerBooks struct{ l *wms.Ledger }

// order is the order live, else as archived: a dead letter retried after
// its order left the live store (--keep-orders) is sent as it was, not
// taken for another upstream's order and marked resolved with nothing
// sent. An archive file that cannot be read is the retry's error.
func (b ledgerBooks) order(owner, no string) (wms.Order, bool, error) {
	books := b.l.Books(owner)
	o, err := books.Order(no)
	if wms.ErrorCode(err) != wms.CodeNotFound {
		return o, err == nil, err
	}
	a, err := books.ArchivedOrder(no)
	if e, ok := wms.AsError(err); ok && e.Key == "order.not_found" {
		return wms.Order{}, false, nil
	}
	if err != nil {
		return wms.Order{}, false, err
	}
	return a.Order, true, nil
}

func (b ledgerBooks) expiry(owner, sku, lot string) (string, error) {
	if lot == "" {
		return "", nil
	}
	l, _, err := b.l.Books(owner).Lot(sku, lot)
	return l.Expiry, err
}

// DefaultWarehouse is the warehouseCode a warehouse sends without one configured.
const DefaultWarehouse = "TALLY"

// maxCountPage is how many items one inventory.report carries: a larger
// count goes as several pages, each a call.
const maxCountPage = 500

// errQimenTooLarge is a call whose body is over what a request may carry.
var errQimenTooLarge = errors.New("qimen: the call's body is larger than a request may be")

// qimenCalls maps one outward event (as For gave it to up) to the Qimen
// calls that say it, in the order they are sent. warehouse is the
// warehouse's code.
func qimenCalls(o wms.Outward, up wms.Upstream, warehouse string, books qimenBooks) ([]qimen.Call, error) {
	m := qimenMapper{o: o, up: up, wh: cmp.Or(warehouse, DefaultWarehouse), books: books, owner: wms.OwnerOr(o.Owner)}
	if no := orderOf(o.Data); no != "" {
		// an ERP is told of its own orders only: another upstream's, a
		// file's or a person's would be orders it never sent
		ord, ok, err := books.order(m.owner, no)
		if err != nil {
			return nil, err
		}
		if !ok || ord.Source != up.Name {
			return nil, nil
		}
	}
	var err error
	switch d := o.Data.(type) {
	case wms.OutShipment:
		err = m.shipped(d)
	case wms.OutOrderAccepted:
		orderType := qimen.OrderTypeDelivery
		if d.Channel == QimenStockOutChannel {
			orderType = qimen.OrderTypeStockOut
		}
		m.process(d.Order, orderType, qimen.StatusAccept, "")
	case wms.OutOrderCancelled:
		m.process(d.Order, "", qimen.StatusCanceled, d.Reason)
	case wms.OutReceiptClosed:
		m.receiptClosed(d)
	case wms.OutReturn:
		err = m.returned(d)
	case wms.OutStockChange:
		m.stockAdjusted(d)
	case wms.OutCountAdjusted:
		m.counted(d)
	case wms.OutShortPick:
		err = m.short(d)
	}
	if err != nil {
		return nil, err
	}
	return m.finish()
}

// orderOf is the order an order's event is about, "" for other events.
func orderOf(data any) string {
	switch d := data.(type) {
	case wms.OutShipment:
		return d.Order
	case wms.OutOrderAccepted:
		return d.Order
	case wms.OutOrderCancelled:
		return d.Order
	case wms.OutShortPick:
		return d.Order
	}
	return ""
}

// qimenMapper gathers one event's calls.
type qimenMapper struct {
	o      wms.Outward
	up     wms.Upstream
	wh     string
	owner  string
	books  qimenBooks
	method []string
	bodies []func(outBiz string) any
}

func (m *qimenMapper) add(method string, body func(outBiz string) any) {
	m.method = append(m.method, method)
	m.bodies = append(m.bodies, body)
}

func (m *qimenMapper) at() string { return qimen.Timestamp(m.o.At) }

// finish numbers the calls and encodes their bodies.
func (m *qimenMapper) finish() ([]qimen.Call, error) {
	n := len(m.method)
	out := make([]qimen.Call, 0, n)
	for i := range n {
		biz := qimen.OutBizCode(m.o.ID, i+1, n)
		body, err := qimen.Marshal(m.bodies[i](biz))
		if err != nil {
			return nil, err
		}
		if len(body) > qimen.MaxBody {
			return nil, fmt.Errorf("%w (%s, %d bytes)", errQimenTooLarge, m.method[i], len(body))
		}
		out = append(out, qimen.Call{ID: outCallID(m.up.Name, biz), Upstream: m.up.Name, Warehouse: m.wh,
			Method: m.method[i], Body: body, At: m.o.At})
	}
	return out, nil
}

// outCallID is a call's ID: the upstream and the outBizCode, so two ERPs
// that get the same event never share an ID on the hub's streams.
func outCallID(upstream, outBiz string) string { return upstream + ":" + outBiz }

// shipped: deliveryorder.confirm, or stockout.confirm for an order an ERP
// sent by stockout.create. The confirmation says DELIVERED: no
// orderprocess.report besides.
func (m *qimenMapper) shipped(d wms.OutShipment) error {
	o, _, err := m.books.order(m.owner, d.Order)
	if err != nil {
		return err
	}
	method, orderType := qimen.DeliveryConfirm, qimen.OrderTypeDelivery
	if o.Channel == QimenStockOutChannel {
		method, orderType = qimen.StockOutConfirm, qimen.OrderTypeStockOut
	}
	carrier := cmp.Or(d.Carrier, o.Carrier, qimen.LogisticsOther)
	var pkgs []qimen.Package
	type key struct{ sku, lot string }
	lines := map[key]*qimen.ConfirmLine{}
	var order []key
	serials := map[key][]string{}
	for _, p := range d.Parcels {
		pk := qimen.Package{LogisticsCode: carrier, ExpressCode: p.Waybill, Weight: qimen.KG(p.WeightG)}
		qty := map[string]int64{}
		var skus []string
		for _, it := range p.Items {
			if _, seen := qty[it.SKU]; !seen {
				skus = append(skus, it.SKU)
			}
			qty[it.SKU] += it.Qty
			k := key{it.SKU, it.Lot}
			l := lines[k]
			if l == nil {
				exp, err := m.books.expiry(m.owner, it.SKU, it.Lot)
				if err != nil {
					return err
				}
				l = &qimen.ConfirmLine{OwnerCode: m.up.QimenOwnerCode(), ItemCode: it.SKU, InventoryType: qimen.InventoryGood, BatchCode: it.Lot, ExpireDate: exp}
				lines[k] = l
				order = append(order, k)
			}
			l.ActualQty += it.Qty
			serials[k] = append(serials[k], it.Serials...)
		}
		for _, s := range skus {
			pk.Items = append(pk.Items, qimen.PackageItem{ItemCode: s, Quantity: qty[s]})
		}
		pkgs = append(pkgs, pk)
	}
	var ols []qimen.ConfirmLine
	for _, k := range order {
		l := *lines[k]
		l.SnList = qimen.Serials(serials[k])
		ols = append(ols, l)
	}
	m.add(method, func(biz string) any {
		return qimen.DeliveryConfirmRequest{
			DeliveryOrder: qimen.DeliveryConfirmOrder{DeliveryOrderCode: d.Order, WarehouseCode: m.wh, OrderType: orderType,
				Status: qimen.StatusDelivered, OutBizCode: biz, ConfirmType: qimen.ConfirmFinal, LogisticsCode: carrier,
				OrderConfirmTime: m.at()},
			Packages: pkgs, OrderLines: ols,
		}
	})
	return nil
}

// process: orderprocess.report of an order reaching a state.
func (m *qimenMapper) process(order, orderType, status, remark string) {
	m.add(qimen.OrderProcessReport, func(biz string) any {
		return qimen.OrderProcessRequest{
			Order: qimen.ProcessOrder{OrderCode: order, OrderType: orderType, WarehouseCode: m.wh, OwnerCode: m.up.QimenOwnerCode(),
				ExtendProps: &qimen.ExtendProps{OutBizCode: biz}},
			Process: qimen.Process{ProcessStatus: status, OperateTime: m.at(), Remark: remark},
		}
	})
}

// receiptClosed: one final entryorder.confirm with every line — what came
// of each SKU, sellable (ZP) and quarantined (CC) apart. Receipts keep
// totals per SKU, so no batch is named (the stock.received events each name
// theirs; Qimen gets none of them).
func (m *qimenMapper) receiptClosed(d wms.OutReceiptClosed) {
	var ols []qimen.ConfirmLine
	for _, l := range d.Lines {
		good := l.Received - l.Quarantined
		if good > 0 || l.Quarantined == 0 {
			ols = append(ols, qimen.ConfirmLine{OwnerCode: m.up.QimenOwnerCode(), ItemCode: l.SKU, InventoryType: qimen.InventoryGood,
				PlanQty: l.Expected, ActualQty: max(good, 0)})
		}
		if l.Quarantined > 0 {
			plan := int64(0)
			if good <= 0 {
				plan = l.Expected
			}
			ols = append(ols, qimen.ConfirmLine{OwnerCode: m.up.QimenOwnerCode(), ItemCode: l.SKU, InventoryType: qimen.InventoryDefective,
				PlanQty: plan, ActualQty: l.Quarantined})
		}
	}
	m.add(qimen.EntryOrderConfirm, func(biz string) any {
		return qimen.EntryConfirmRequest{
			EntryOrder: qimen.EntryConfirmOrder{EntryOrderCode: d.Receipt, OwnerCode: m.up.QimenOwnerCode(), WarehouseCode: m.wh,
				OutBizCode: biz, ConfirmType: qimen.ConfirmFinal, Status: qimen.StatusFulfilled, OperateTime: m.at()},
			OrderLines: ols,
		}
	})
}

// returned: returnorder.confirm, once per parcel. A parcel booked with its
// RMA (the ERP's returnOrderCode) is confirmed when booked; one booked with
// its order but no RMA under the parcel's own code; one booked with neither
// when it is matched to its order (return.matched; a matched parcel that
// had an RMA was confirmed already).
func (m *qimenMapper) returned(d wms.OutReturn) error {
	code := d.RMA
	switch {
	case m.o.Type == wms.EvReturnMatched && d.RMA != "":
		return nil
	case m.o.Type == wms.EvReturnMatched:
		code = d.Parcel
	case d.RMA == "" && d.Order == "":
		return nil // confirmed when matched
	case d.RMA == "":
		code = d.Parcel
	}
	var ols []qimen.ConfirmLine
	for _, l := range d.Lines {
		if l.Condition == wms.CondMissing {
			continue
		}
		inv := qimen.InventoryDefective
		if l.Condition == wms.CondResellable {
			inv = qimen.InventoryGood
		}
		exp, err := m.books.expiry(m.owner, l.SKU, l.Lot)
		if err != nil {
			return err
		}
		ol := qimen.ConfirmLine{OwnerCode: m.up.QimenOwnerCode(), ItemCode: l.SKU, InventoryType: inv, ActualQty: l.Qty, BatchCode: l.Lot, ExpireDate: exp}
		if l.Serial != "" {
			ol.SnList = qimen.Serials([]string{l.Serial})
		}
		ols = append(ols, ol)
	}
	remark := ""
	if d.Order != "" {
		remark = "order " + d.Order
	}
	m.add(qimen.ReturnOrderConfirm, func(biz string) any {
		return qimen.ReturnConfirmRequest{
			ReturnOrder: qimen.ReturnConfirmOrder{ReturnOrderCode: code, WarehouseCode: m.wh, OutBizCode: biz, OrderType: qimen.OrderTypeReturn,
				OrderConfirmTime: m.at(), LogisticsCode: qimen.LogisticsOther, ExpressCode: d.ReturnWaybill, Remark: remark},
			OrderLines: ols,
		}
	})
	return nil
}

// stockAdjusted: stockchange.report of one item, the event as its order.
func (m *qimenMapper) stockAdjusted(d wms.OutStockChange) {
	m.add(qimen.StockChangeReport, func(biz string) any {
		return qimen.StockChangeRequest{Items: []qimen.StockChange{{OwnerCode: m.up.QimenOwnerCode(), WarehouseCode: m.wh,
			OrderCode: m.o.ID, OutBizCode: biz, ItemCode: d.SKU, InventoryType: qimen.InventoryGood, Quantity: d.Delta,
			BatchCode: d.Lot, ExpireDate: d.Expiry, ChangeTime: m.at(), Remark: d.Reason}}}
	})
}

// counted: inventory.report of the lines the count changed, in pages of
// maxCountPage items, each page a call.
func (m *qimenMapper) counted(d wms.OutCountAdjusted) {
	var items []qimen.InventoryItem
	for _, l := range d.Lines {
		if l.Delta != 0 {
			items = append(items, qimen.InventoryItem{ItemCode: l.SKU, InventoryType: qimen.InventoryGood, Quantity: l.Delta, BatchCode: l.Lot, ExpireDate: l.Expiry})
		}
	}
	pages := slices.Collect(slices.Chunk(items, maxCountPage))
	for i, page := range pages {
		m.add(qimen.InventoryReport, func(biz string) any {
			return qimen.InventoryReportRequest{TotalPage: len(pages), CurrentPage: i + 1, PageSize: maxCountPage, WarehouseCode: m.wh,
				CheckOrderCode: d.Count, OwnerCode: m.up.QimenOwnerCode(), CheckTime: m.at(), OutBizCode: biz, Items: page}
		})
	}
}

// short: itemlack.report of what the order still lacks after the shelf
// came up short (nothing when all of it was reserved elsewhere at once).
func (m *qimenMapper) short(d wms.OutShortPick) error {
	lack := d.Qty - d.Reallocated
	if lack <= 0 {
		return nil
	}
	o, _, err := m.books.order(m.owner, d.Order)
	if err != nil {
		return err
	}
	var plan int64
	for _, l := range o.Lines {
		if l.SKU == d.SKU {
			plan += l.Qty
		}
	}
	m.add(qimen.ItemLackReport, func(biz string) any {
		return qimen.ItemLackRequest{WarehouseCode: m.wh, DeliveryOrderCode: d.Order, CreateTime: m.at(), OutBizCode: biz,
			Items: []qimen.LackItem{{ItemCode: d.SKU, BatchCode: d.Lot, PlanQty: max(plan, lack), LackQty: lack, Reason: qimen.LackPhysical}}}
	})
	return nil
}
