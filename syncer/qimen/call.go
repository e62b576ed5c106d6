package qimen

import (
	"strings"
	"time"
)

// Method names, short: on the wire they carry the "taobao.qimen." prefix
// (FullMethod); a request may name either form (ShortMethod).
const (
	// ERP → WMS
	ItemSync          = "singleitem.synchronize"
	ItemsSync         = "items.synchronize"
	EntryOrderCreate  = "entryorder.create"
	ReturnOrderCreate = "returnorder.create"
	DeliveryCreate    = "deliveryorder.create"
	DeliveryBatch     = "deliveryorder.batchcreate"
	StockOutCreate    = "stockout.create"
	OrderCancel       = "order.cancel"
	OrderPending      = "order.pending"
	InventoryQuery    = "inventory.query"
	DeliveryQuery     = "deliveryorder.query"
	OrderProcessQuery = "orderprocess.query"

	// WMS → ERP
	EntryOrderConfirm   = "entryorder.confirm"
	ReturnOrderConfirm  = "returnorder.confirm"
	DeliveryConfirm     = "deliveryorder.confirm"
	StockOutConfirm     = "stockout.confirm"
	StockChangeReport   = "stockchange.report"
	InventoryReport     = "inventory.report"
	OrderProcessReport  = "orderprocess.report"
	ItemLackReport      = "itemlack.report"
	methodPrefix        = "taobao.qimen."
	maxMethodNameLength = 64
)

// Inbound lists the methods an ERP may call on the WMS.
var Inbound = []string{ItemSync, ItemsSync, EntryOrderCreate, ReturnOrderCreate, DeliveryCreate,
	DeliveryBatch, StockOutCreate, OrderCancel, OrderPending, InventoryQuery, DeliveryQuery, OrderProcessQuery}

// Outbound lists the methods the WMS calls on the ERP.
var Outbound = []string{EntryOrderConfirm, ReturnOrderConfirm, DeliveryConfirm, StockOutConfirm,
	StockChangeReport, InventoryReport, OrderProcessReport, ItemLackReport}

// ShortMethod is a method name without the "taobao.qimen." prefix; ok is
// false for a name that is empty or too long.
func ShortMethod(m string) (string, bool) {
	if m == "" || len(m) > maxMethodNameLength {
		return "", false
	}
	return strings.TrimPrefix(m, methodPrefix), true
}

// FullMethod is the method name as sent on the wire.
func FullMethod(short string) string { return methodPrefix + short }

// Call is one Qimen call as Tally carries it: made from the ledger's
// events and sent to an ERP (signed when it leaves, never when made), or
// received from an ERP and carried through the hub to a warehouse. It is
// what rides on NATS between a warehouse and the hub, as JSON.
type Call struct {
	// ID is stable for the call's content: the key that makes a repeat
	// harmless, and the Nats-Msg-Id on the hub's streams. For a call the
	// warehouse makes it is the event ID plus the part (see OutBizCode);
	// for one an ERP made it is the ERP's own key for it.
	ID string `json:"id"`
	// Upstream is the name of the ERP's upstream (the same name at the hub
	// and at the warehouse).
	Upstream string `json:"upstream"`
	// Warehouse is the warehouse's code (warehouseCode): where the hub
	// delivers an ERP's call, or where a confirmation came from.
	Warehouse string    `json:"warehouse,omitempty"`
	Method    string    `json:"method"` // short form, e.g. "deliveryorder.confirm"
	Body      []byte    `json:"body"`   // the XML <request>, exactly as signed or to be signed
	At        time.Time `json:"at"`
}
