// This file holds the request bodies of the WMS→ERP methods: what a warehouse says it did.
//
// Element names are the standard's. Only what Tally knows is written: an optional element
// with nothing to say is left out (omitempty), a required one is always there. Quantities
// are whole units; a package's weight is in kilograms; times are China time in the
// timestamp's layout (Timestamp); dates are "2006-01-02".

package qimen

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"strconv"
)

// Order and inventory codes the confirmations use.
const (
	// order types
	OrderTypeDelivery = "JYCK" // 一般交易出库: a shop's parcel
	OrderTypeStockOut = "PTCK" // 普通出库: an outbound to a business
	OrderTypeReturn   = "THRK" // 退货入库
	// statuses and processStatus values
	StatusAccept    = "ACCEPT"
	StatusDelivered = "DELIVERED"
	StatusFulfilled = "FULFILLED"
	StatusCanceled  = "CANCELED"
	// inventory types
	InventoryGood      = "ZP" // 正品: sellable
	InventoryDefective = "CC" // 残次: damaged, quarantined, not to be sold
	// ConfirmFinal is confirmType 0: the order's final state, sent once.
	ConfirmFinal = 0
	// LogisticsOther is the logisticsCode for a carrier the warehouse does not know.
	LogisticsOther = "OTHER"
	// LackPhysical is itemlack.report's reason for units not found on the shelf (实物报缺).
	LackPhysical = "实物报缺"
)

// MaxOutBizCode is the longest outBizCode the standard allows (string(50)).
const MaxOutBizCode = 50

// OutBizCode is the outBizCode of part (1-based) of the parts calls one event makes: the
// event's ID alone when it makes one, "ID-part" when several; one longer than MaxOutBizCode
// is "tally-" and 32 hex digits of its SHA-256. The same event makes the same codes however
// often it is sent, so the ERP drops a repeat.
func OutBizCode(eventID string, part, parts int) string {
	code := eventID
	if parts > 1 {
		code += "-" + strconv.Itoa(part)
	}
	if len(code) > MaxOutBizCode {
		sum := sha256.Sum256([]byte(code))
		code = "tally-" + hex.EncodeToString(sum[:16])
	}
	return code
}

// KG writes grams as kilograms with three decimals ("1.250"); empty for none.
func KG(grams int) string {
	if grams <= 0 {
		return ""
	}
	return strconv.Itoa(grams/1000) + "." + pad3(grams%1000)
}

func pad3(n int) string {
	s := strconv.Itoa(n)
	for len(s) < 3 {
		s = "0" + s
	}
	return s
}

// DeliveryConfirmRequest is the body of deliveryorder.confirm and of stockout.confirm
// (which has the same parts: the order, its packages, its lines).
type DeliveryConfirmRequest struct {
	XMLName       xml.Name             `xml:"request"`
	DeliveryOrder DeliveryConfirmOrder `xml:"deliveryOrder"`
	Packages      []Package            `xml:"packages>package,omitempty"`
	OrderLines    []ConfirmLine        `xml:"orderLines>orderLine,omitempty"`
}

// DeliveryConfirmOrder is the confirmed order's header.
type DeliveryConfirmOrder struct {
	DeliveryOrderCode string `xml:"deliveryOrderCode"`
	WarehouseCode     string `xml:"warehouseCode"`
	OrderType         string `xml:"orderType"`
	Status            string `xml:"status"`
	OutBizCode        string `xml:"outBizCode"`
	ConfirmType       int    `xml:"confirmType"`
	LogisticsCode     string `xml:"logisticsCode,omitempty"`
	OrderConfirmTime  string `xml:"orderConfirmTime"`
}

// Package is one parcel: its carrier (logisticsCode), waybill (expressCode) and contents.
type Package struct {
	LogisticsCode string        `xml:"logisticsCode"`
	ExpressCode   string        `xml:"expressCode"`
	PackageCode   string        `xml:"packageCode,omitempty"`
	Weight        string        `xml:"weight,omitempty"` // kg
	Items         []PackageItem `xml:"items>item"`
}

// PackageItem is units of one item in a package.
type PackageItem struct {
	ItemCode string `xml:"itemCode"`
	Quantity int64  `xml:"quantity"`
}

// ConfirmLine is one confirmed line of an order: an item, of one batch and inventory type.
type ConfirmLine struct {
	OrderLineNo   string  `xml:"orderLineNo,omitempty"`
	OwnerCode     string  `xml:"ownerCode,omitempty"`
	ItemCode      string  `xml:"itemCode"`
	InventoryType string  `xml:"inventoryType,omitempty"`
	PlanQty       int64   `xml:"planQty,omitempty"`
	ActualQty     int64   `xml:"actualQty"`
	BatchCode     string  `xml:"batchCode,omitempty"`
	ExpireDate    string  `xml:"expireDate,omitempty"`
	SnList        *SnList `xml:"snList,omitempty"`
}

// SnList is the serial numbers of a line's units.
type SnList struct {
	SN []string `xml:"sn"`
}

// Serials is the snList of serials: nil (no element) for none.
func Serials(sns []string) *SnList {
	if len(sns) == 0 {
		return nil
	}
	return &SnList{SN: sns}
}

// EntryConfirmRequest is the body of entryorder.confirm.
type EntryConfirmRequest struct {
	XMLName    xml.Name          `xml:"request"`
	EntryOrder EntryConfirmOrder `xml:"entryOrder"`
	OrderLines []ConfirmLine     `xml:"orderLines>orderLine,omitempty"`
}

// EntryConfirmOrder is the confirmed entry order's header.
type EntryConfirmOrder struct {
	EntryOrderCode string `xml:"entryOrderCode"`
	OwnerCode      string `xml:"ownerCode"`
	WarehouseCode  string `xml:"warehouseCode"`
	OutBizCode     string `xml:"outBizCode"`
	ConfirmType    int    `xml:"confirmType"`
	Status         string `xml:"status"`
	OperateTime    string `xml:"operateTime"`
}

// ReturnConfirmRequest is the body of returnorder.confirm.
type ReturnConfirmRequest struct {
	XMLName     xml.Name           `xml:"request"`
	ReturnOrder ReturnConfirmOrder `xml:"returnOrder"`
	OrderLines  []ConfirmLine      `xml:"orderLines>orderLine,omitempty"`
}

// ReturnConfirmOrder is the confirmed return's header.
type ReturnConfirmOrder struct {
	ReturnOrderCode  string `xml:"returnOrderCode"`
	WarehouseCode    string `xml:"warehouseCode"`
	OutBizCode       string `xml:"outBizCode"`
	OrderType        string `xml:"orderType"`
	OrderConfirmTime string `xml:"orderConfirmTime"`
	LogisticsCode    string `xml:"logisticsCode"`
	ExpressCode      string `xml:"expressCode,omitempty"`
	Remark           string `xml:"remark,omitempty"`
}

// StockChangeRequest is the body of stockchange.report.
type StockChangeRequest struct {
	XMLName xml.Name      `xml:"request"`
	Items   []StockChange `xml:"items>item"`
}

// StockChange is one item's change: quantity is signed.
type StockChange struct {
	OwnerCode     string `xml:"ownerCode"`
	WarehouseCode string `xml:"warehouseCode"`
	OrderCode     string `xml:"orderCode"`
	OrderType     string `xml:"orderType,omitempty"`
	OutBizCode    string `xml:"outBizCode"`
	ItemCode      string `xml:"itemCode"`
	InventoryType string `xml:"inventoryType"`
	Quantity      int64  `xml:"quantity"`
	BatchCode     string `xml:"batchCode,omitempty"`
	ExpireDate    string `xml:"expireDate,omitempty"`
	ChangeTime    string `xml:"changeTime"`
	Remark        string `xml:"remark,omitempty"`
}

// InventoryReportRequest is the body of inventory.report: one page of a count's results.
type InventoryReportRequest struct {
	XMLName        xml.Name        `xml:"request"`
	TotalPage      int             `xml:"totalPage"`
	CurrentPage    int             `xml:"currentPage"`
	PageSize       int             `xml:"pageSize"`
	WarehouseCode  string          `xml:"warehouseCode"`
	CheckOrderCode string          `xml:"checkOrderCode"`
	OwnerCode      string          `xml:"ownerCode"`
	CheckTime      string          `xml:"checkTime"`
	OutBizCode     string          `xml:"outBizCode"`
	Items          []InventoryItem `xml:"items>item"`
}

// InventoryItem is what a count found of one item's batch: quantity is the gain (positive)
// or loss (negative) against the books.
type InventoryItem struct {
	ItemCode      string `xml:"itemCode"`
	InventoryType string `xml:"inventoryType"`
	Quantity      int64  `xml:"quantity"`
	BatchCode     string `xml:"batchCode,omitempty"`
	ExpireDate    string `xml:"expireDate,omitempty"`
}

// OrderProcessRequest is the body of orderprocess.report: an order reached a state.
type OrderProcessRequest struct {
	XMLName xml.Name     `xml:"request"`
	Order   ProcessOrder `xml:"order"`
	Process Process      `xml:"process"`
}

// ProcessOrder names the order. The standard has no outBizCode here; it rides in
// extendProps (which any element may carry).
type ProcessOrder struct {
	OrderCode     string       `xml:"orderCode"`
	OrderType     string       `xml:"orderType,omitempty"`
	WarehouseCode string       `xml:"warehouseCode"`
	OwnerCode     string       `xml:"ownerCode,omitempty"`
	ExtendProps   *ExtendProps `xml:"extendProps,omitempty"`
}

// ExtendProps carries what the standard has no element for.
type ExtendProps struct {
	OutBizCode string `xml:"outBizCode,omitempty"`
}

// Process is the state reached and when.
type Process struct {
	ProcessStatus string `xml:"processStatus"`
	OperateTime   string `xml:"operateTime"`
	Remark        string `xml:"remark,omitempty"`
}

// ItemLackRequest is the body of itemlack.report: a delivery order lacks units.
type ItemLackRequest struct {
	XMLName           xml.Name   `xml:"request"`
	WarehouseCode     string     `xml:"warehouseCode"`
	DeliveryOrderCode string     `xml:"deliveryOrderCode"`
	CreateTime        string     `xml:"createTime"`
	OutBizCode        string     `xml:"outBizCode"`
	Items             []LackItem `xml:"items>item"`
}

// LackItem is units of one item the order lacks.
type LackItem struct {
	ItemCode  string `xml:"itemCode"`
	BatchCode string `xml:"batchCode,omitempty"`
	PlanQty   int64  `xml:"planQty"`
	LackQty   int64  `xml:"lackQty"`
	Reason    string `xml:"reason"`
}
