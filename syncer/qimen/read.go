// This file holds the requests and answers of the methods an ERP calls to
// read from the WMS or to hold an order: order.pending, inventory.query,
// deliveryorder.query and orderprocess.query. Element names are the
// standard's; a Decode* function reads a body (CheckRequest first) and
// refuses fields longer than the standard allows.

package qimen

import (
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ErrBadField is a request whose field is missing, too long or not one of
// the values the standard allows; the message names the field.
var ErrBadField = errors.New("qimen: field not valid")

// Field limits: codes are string(50) in the standard; we allow a little
// more and refuse beyond.
const (
	maxReadCode     = 64
	maxReadReason   = 200
	maxReadCriteria = 100
	// maxReadPage bounds inventory.query's page: past it no store has
	// items, and page × size must not overflow
	maxReadPage = 1_000_000
)

// Action types of order.pending.
const (
	ActionPending = "pending"
	ActionRestore = "restore"
)

// OrderPendingRequest is an order.pending request: hold (pending) or restore an order.
type OrderPendingRequest struct {
	XMLName       xml.Name `xml:"request"`
	ActionType    string   `xml:"actionType"`
	WarehouseCode string   `xml:"warehouseCode"`
	OwnerCode     string   `xml:"ownerCode"`
	OrderCode     string   `xml:"orderCode"`
	OrderID       string   `xml:"orderId"`
	OrderType     string   `xml:"orderType"`
	Reason        string   `xml:"reason"`
}

// DecodeOrderPending reads an order.pending body: an orderCode and an
// actionType of pending or restore are required.
func DecodeOrderPending(body []byte) (OrderPendingRequest, error) {
	var r OrderPendingRequest
	if err := decodeRead(body, &r); err != nil {
		return r, err
	}
	r.ActionType = strings.ToLower(strings.TrimSpace(r.ActionType))
	if r.ActionType != ActionPending && r.ActionType != ActionRestore {
		return r, readFieldErr("actionType", "must be pending or restore")
	}
	if err := readCodes(&r.OrderCode, "orderCode", true, &r.WarehouseCode, "warehouseCode", &r.OwnerCode, "ownerCode",
		&r.OrderID, "orderId", &r.OrderType, "orderType"); err != nil {
		return r, err
	}
	r.Reason = strings.TrimSpace(r.Reason)
	if utf8.RuneCountInString(r.Reason) > maxReadReason {
		return r, readFieldErr("reason", fmt.Sprintf("more than %d characters", maxReadReason))
	}
	return r, nil
}

// InventoryQueryCriteria is one criteria of an inventory.query: what to count.
// Empty fields match everything.
type InventoryQueryCriteria struct {
	WarehouseCode string `xml:"warehouseCode"`
	OwnerCode     string `xml:"ownerCode"`
	ItemCode      string `xml:"itemCode"`
	ItemID        string `xml:"itemId"`
	InventoryType string `xml:"inventoryType"`
	BatchCode     string `xml:"batchCode"`
}

// InventoryQueryRequest is an inventory.query request. Without criteria it asks
// for every item. Page and PageSize, where given, page the answer.
type InventoryQueryRequest struct {
	XMLName  xml.Name                 `xml:"request"`
	Criteria []InventoryQueryCriteria `xml:"criteriaList>criteria"`
	Page     int                      `xml:"page"`
	PageSize int                      `xml:"pageSize"`
}

// Inventory types Tally knows: sellable, and damaged (Tally's quarantined,
// held or expired lots).
const (
	InventorySellable = "ZP"
	InventoryDamaged  = "CC"
)

// DecodeInventoryQuery reads an inventory.query body.
func DecodeInventoryQuery(body []byte) (InventoryQueryRequest, error) {
	var r InventoryQueryRequest
	if err := decodeRead(body, &r); err != nil {
		return r, err
	}
	if len(r.Criteria) > maxReadCriteria {
		return r, readFieldErr("criteriaList", fmt.Sprintf("more than %d criteria", maxReadCriteria))
	}
	if r.Page < 0 || r.PageSize < 0 {
		return r, readFieldErr("page", "must not be negative")
	}
	if r.Page > maxReadPage {
		return r, readFieldErr("page", fmt.Sprintf("more than %d", maxReadPage))
	}
	for i := range r.Criteria {
		c := &r.Criteria[i]
		if err := readCodes(&c.ItemCode, "itemCode", false, &c.WarehouseCode, "warehouseCode", &c.OwnerCode, "ownerCode",
			&c.ItemID, "itemId", &c.InventoryType, "inventoryType", &c.BatchCode, "batchCode"); err != nil {
			return r, err
		}
		c.InventoryType = strings.ToUpper(c.InventoryType)
	}
	return r, nil
}

// InventoryQueryItem is one line of an inventory.query answer: an item's
// quantity of one inventory type and batch.
type InventoryQueryItem struct {
	WarehouseCode string `xml:"warehouseCode"`
	ItemCode      string `xml:"itemCode"`
	InventoryType string `xml:"inventoryType"`
	Quantity      int64  `xml:"quantity"`
	LockQuantity  int64  `xml:"lockQuantity"`
	BatchCode     string `xml:"batchCode,omitempty"`
	ExpireDate    string `xml:"expireDate,omitempty"`
}

// InventoryQueryAnswer is the answer to inventory.query.
type InventoryQueryAnswer struct {
	Response
	Items []InventoryQueryItem `xml:"items>item"`
}

// DeliveryQueryRequest is a deliveryorder.query request.
type DeliveryQueryRequest struct {
	XMLName         xml.Name `xml:"request"`
	OwnerCode       string   `xml:"ownerCode"`
	WarehouseCode   string   `xml:"warehouseCode"`
	OrderCode       string   `xml:"orderCode"`
	OrderID         string   `xml:"orderId"`
	OrderSourceCode string   `xml:"orderSourceCode"`
}

// DecodeDeliveryQuery reads a deliveryorder.query body; orderCode is required.
func DecodeDeliveryQuery(body []byte) (DeliveryQueryRequest, error) {
	var r DeliveryQueryRequest
	if err := decodeRead(body, &r); err != nil {
		return r, err
	}
	err := readCodes(&r.OrderCode, "orderCode", true, &r.OwnerCode, "ownerCode", &r.WarehouseCode, "warehouseCode",
		&r.OrderID, "orderId", &r.OrderSourceCode, "orderSourceCode")
	return r, err
}

// DeliveryQueryOrder is the order part of a deliveryorder.query answer.
type DeliveryQueryOrder struct {
	DeliveryOrderCode string `xml:"deliveryOrderCode"`
	DeliveryOrderID   string `xml:"deliveryOrderId"`
	WarehouseCode     string `xml:"warehouseCode"`
	OwnerCode         string `xml:"ownerCode"`
	Status            string `xml:"status"`
	LogisticsCode     string `xml:"logisticsCode,omitempty"`
	ExpressCode       string `xml:"expressCode,omitempty"`
	OrderConfirmTime  string `xml:"orderConfirmTime,omitempty"`
	Remark            string `xml:"remark,omitempty"`
}

// DeliveryQueryPackage is one parcel of a shipped order.
type DeliveryQueryPackage struct {
	LogisticsCode string              `xml:"logisticsCode"`
	ExpressCode   string              `xml:"expressCode"`
	PackageCode   string              `xml:"packageCode,omitempty"`
	Weight        string              `xml:"weight,omitempty"` // kilograms
	Items         []DeliveryQueryItem `xml:"items>item"`
}

// DeliveryQueryItem is a quantity of an item in a parcel.
type DeliveryQueryItem struct {
	ItemCode string `xml:"itemCode"`
	Quantity int64  `xml:"quantity"`
}

// DeliveryQueryLine is one line of the order: planned and shipped, per batch.
type DeliveryQueryLine struct {
	OrderLineNo   string `xml:"orderLineNo"`
	ItemCode      string `xml:"itemCode"`
	InventoryType string `xml:"inventoryType"`
	PlanQty       int64  `xml:"planQty"`
	ActualQty     int64  `xml:"actualQty"`
	BatchCode     string `xml:"batchCode,omitempty"`
	ExpireDate    string `xml:"expireDate,omitempty"`
}

// DeliveryQueryAnswer is the answer to deliveryorder.query.
type DeliveryQueryAnswer struct {
	Response
	TotalLines    int                    `xml:"totalLines"`
	DeliveryOrder *DeliveryQueryOrder    `xml:"deliveryOrder,omitempty"`
	Packages      []DeliveryQueryPackage `xml:"packages>package,omitempty"`
	OrderLines    []DeliveryQueryLine    `xml:"orderLines>orderLine,omitempty"`
}

// ProcessQueryRequest is an orderprocess.query request.
type ProcessQueryRequest struct {
	XMLName         xml.Name `xml:"request"`
	OrderType       string   `xml:"orderType"`
	OrderCode       string   `xml:"orderCode"`
	OrderID         string   `xml:"orderId"`
	WarehouseCode   string   `xml:"warehouseCode"`
	OwnerCode       string   `xml:"ownerCode"`
	OrderSourceCode string   `xml:"orderSourceCode"`
}

// DecodeProcessQuery reads an orderprocess.query body; orderCode is required.
func DecodeProcessQuery(body []byte) (ProcessQueryRequest, error) {
	var r ProcessQueryRequest
	if err := decodeRead(body, &r); err != nil {
		return r, err
	}
	err := readCodes(&r.OrderCode, "orderCode", true, &r.OrderType, "orderType", &r.OrderID, "orderId",
		&r.WarehouseCode, "warehouseCode", &r.OwnerCode, "ownerCode", &r.OrderSourceCode, "orderSourceCode")
	return r, err
}

// ProcessQueryStep is one step of an order's processing.
type ProcessQueryStep struct {
	ProcessStatus string `xml:"processStatus"`
	OperateTime   string `xml:"operateTime"`
	OperateInfo   string `xml:"operateInfo,omitempty"`
	Remark        string `xml:"remark,omitempty"`
	ExpressCode   string `xml:"expressCode,omitempty"`
}

// ProcessQueryOrder is an order and its processing steps, oldest first.
type ProcessQueryOrder struct {
	OrderCode     string             `xml:"orderCode"`
	OrderID       string             `xml:"orderId,omitempty"`
	OrderType     string             `xml:"orderType,omitempty"`
	WarehouseCode string             `xml:"warehouseCode"`
	Processes     []ProcessQueryStep `xml:"processes>process"`
}

// ProcessQueryAnswer is the answer to orderprocess.query.
type ProcessQueryAnswer struct {
	Response
	OrderProcess *ProcessQueryOrder `xml:"orderProcess,omitempty"`
}

// decodeRead checks a body (CheckRequest) and unmarshals it.
func decodeRead(body []byte, v any) error {
	if err := CheckRequest(body); err != nil {
		return err
	}
	if err := xml.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformedXML, err)
	}
	return nil
}

// readCodes trims code fields and refuses one that is too long or holds a
// control character; the first is required when required is set. The
// arguments after required come in pairs: a field and its name.
func readCodes(first *string, firstName string, required bool, rest ...any) error {
	fields := append([]any{first, firstName}, rest...)
	for i := 0; i+1 < len(fields); i += 2 {
		p, name := fields[i].(*string), fields[i+1].(string)
		*p = strings.TrimSpace(*p)
		if i == 0 && required && *p == "" {
			return readFieldErr(name, "is required")
		}
		if utf8.RuneCountInString(*p) > maxReadCode {
			return readFieldErr(name, fmt.Sprintf("more than %d characters", maxReadCode))
		}
		if strings.ContainsFunc(*p, func(r rune) bool { return r < ' ' || r == 0x7f }) {
			return readFieldErr(name, "holds a control character")
		}
	}
	return nil
}

func readFieldErr(name, why string) error {
	return fmt.Errorf("%w: <%s> %s", ErrBadField, name, why)
}

// Matches says whether an inventory line answers one of a query's
// criteria (a query without criteria asks for every line).
func (q InventoryQueryRequest) Matches(it InventoryQueryItem) bool {
	if len(q.Criteria) == 0 {
		return true
	}
	for _, c := range q.Criteria {
		if (c.ItemCode == "" || c.ItemCode == it.ItemCode) && (c.InventoryType == "" || c.InventoryType == it.InventoryType) &&
			(c.BatchCode == "" || c.BatchCode == it.BatchCode) {
			return true
		}
	}
	return false
}
