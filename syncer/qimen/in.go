// This file holds the request bodies of the methods an ERP calls to hand the
// WMS work (singleitem/items.synchronize, entryorder.create,
// returnorder.create, deliveryorder.create and batchcreate, stockout.create,
// order.cancel), with the standard's element names, and checks each: a
// Validate names the first element that is missing, too long or not a
// number, as "deliveryOrder.receiverInfo.name: missing". Only the elements
// Tally uses are read; the rest of a body is ignored.

package qimen

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits of a request body's content.
const (
	MaxCode       = 64   // characters of a code: an order, item, owner or warehouse code
	MaxText       = 200  // characters of a name, phone or one part of an address
	MaxNote       = 500  // characters of a remark or message
	MaxLines      = 1000 // orderLines of one order
	MaxItems      = 500  // items of one items.synchronize
	MaxBatch      = 100  // orders of one deliveryorder.batchcreate
	MaxPlanQty    = 100000
	maxBarCodes   = 20
	maxDimensionM = 100 // metres: a length, width or height over this is a typo
)

// ErrInvalid is a request whose content breaks the standard or Tally's
// limits; the error wrapping it names the element (test with errors.Is).
var ErrInvalid = errors.New("qimen: invalid request")

// FieldError is one element of a request that is wrong.
type FieldError struct {
	Field   string // the element's path, as "deliveryOrder.deliveryOrderCode"
	Problem string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Problem }

// Unwrap makes every FieldError an ErrInvalid.
func (e *FieldError) Unwrap() error { return ErrInvalid }

func invalid(field, format string, args ...any) error {
	return &FieldError{Field: field, Problem: fmt.Sprintf(format, args...)}
}

// Decode reads a request body (one that passed CheckRequest) into v, one of
// this file's request types. Element names are matched exactly; unknown
// elements are ignored.
func Decode(body []byte, v any) error {
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = true
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("%w: %s", ErrMalformedXML, clip(err.Error()))
	}
	return nil
}

// Item is one SKU as the ERP describes it. Sizes are in centimetres,
// weights in kilograms and shelf life in hours, as decimals.
type Item struct {
	ItemCode        string `xml:"itemCode"`
	ItemName        string `xml:"itemName"`
	BarCode         string `xml:"barCode"` // several separated by ";"
	Length          string `xml:"length"`
	Width           string `xml:"width"`
	Height          string `xml:"height"`
	GrossWeight     string `xml:"grossWeight"`
	ShelfLife       string `xml:"shelfLife"`
	IsSNMgmt        string `xml:"isSNMgmt"`
	IsBatchMgmt     string `xml:"isBatchMgmt"`
	IsShelfLifeMgmt string `xml:"isShelfLifeMgmt"`
}

// BarCodes are the item's barcodes, split at ";" (or ","), blanks dropped.
func (it Item) BarCodes() []string {
	var out []string
	for _, b := range strings.FieldsFunc(it.BarCode, func(r rune) bool { return r == ';' || r == ',' }) {
		if b = strings.TrimSpace(b); b != "" {
			out = append(out, b)
		}
	}
	return out
}

// Validate checks one item; at is its path in the request.
func (it *Item) Validate(at string) error {
	trim(&it.ItemCode, &it.ItemName, &it.BarCode, &it.Length, &it.Width, &it.Height, &it.GrossWeight,
		&it.ShelfLife, &it.IsSNMgmt, &it.IsBatchMgmt, &it.IsShelfLifeMgmt)
	if err := code(at+".itemCode", it.ItemCode, true); err != nil {
		return err
	}
	if err := text(at+".itemName", it.ItemName, MaxText, true); err != nil {
		return err
	}
	if n := len(it.BarCodes()); n > maxBarCodes {
		return invalid(at+".barCode", "%d barcodes, at most %d", n, maxBarCodes)
	}
	for _, f := range []struct {
		name, v string
		max     float64
	}{{"length", it.Length, maxDimensionM * 100}, {"width", it.Width, maxDimensionM * 100},
		{"height", it.Height, maxDimensionM * 100}, {"grossWeight", it.GrossWeight, 100000},
		{"shelfLife", it.ShelfLife, 100 * 365 * 24}} {
		if _, err := Decimal(f.v, f.max); err != nil {
			return invalid(at+"."+f.name, "%v", err)
		}
	}
	for _, f := range []struct{ name, v string }{{"isSNMgmt", it.IsSNMgmt}, {"isBatchMgmt", it.IsBatchMgmt},
		{"isShelfLifeMgmt", it.IsShelfLifeMgmt}} {
		if _, err := YesNo(f.v); err != nil {
			return invalid(at+"."+f.name, "%v", err)
		}
	}
	return nil
}

// ItemSyncRequest is singleitem.synchronize: one item.
type ItemSyncRequest struct {
	XMLName       xml.Name `xml:"request"`
	ActionType    string   `xml:"actionType"` // add or update
	WarehouseCode string   `xml:"warehouseCode"`
	OwnerCode     string   `xml:"ownerCode"`
	Item          *Item    `xml:"item"`
}

// Validate checks a singleitem.synchronize.
func (r *ItemSyncRequest) Validate() error {
	if err := header(&r.ActionType, &r.OwnerCode, &r.WarehouseCode); err != nil {
		return err
	}
	if r.Item == nil {
		return invalid("item", "missing")
	}
	return r.Item.Validate("item")
}

// ItemsSyncRequest is items.synchronize: several items, each answered on
// its own.
type ItemsSyncRequest struct {
	XMLName       xml.Name `xml:"request"`
	ActionType    string   `xml:"actionType"`
	WarehouseCode string   `xml:"warehouseCode"`
	OwnerCode     string   `xml:"ownerCode"`
	Items         []Item   `xml:"items>item"`
}

// Validate checks the header and the number of items; each item is checked
// with Item.Validate when it is taken in, so one bad item fails alone.
func (r *ItemsSyncRequest) Validate() error {
	if err := header(&r.ActionType, &r.OwnerCode, &r.WarehouseCode); err != nil {
		return err
	}
	switch n := len(r.Items); {
	case n == 0:
		return invalid("items.item", "missing")
	case n > MaxItems:
		return invalid("items", "%d items, at most %d in one call", n, MaxItems)
	}
	return nil
}

func header(action, owner, warehouse *string) error {
	trim(action, owner, warehouse)
	if a := strings.ToLower(*action); a != "" && a != "add" && a != "update" {
		return invalid("actionType", "%q is neither add nor update", clip(*action))
	}
	if err := code("ownerCode", *owner, true); err != nil {
		return err
	}
	return code("warehouseCode", *warehouse, false)
}

// OrderLine is one line of an order the ERP sends.
type OrderLine struct {
	OrderLineNo     string `xml:"orderLineNo"`
	SourceOrderCode string `xml:"sourceOrderCode"`    // the platform's order
	SubSourceCode   string `xml:"subSourceOrderCode"` // the platform's sub-order (subSourceOrderCode in the standard)
	OwnerCode       string `xml:"ownerCode"`
	ItemCode        string `xml:"itemCode"`
	ItemID          string `xml:"itemId"`
	ItemName        string `xml:"itemName"`
	PlanQty         string `xml:"planQty"`
	InventoryType   string `xml:"inventoryType"`
	BatchCode       string `xml:"batchCode"`
	ProductDate     string `xml:"productDate"`
	ExpireDate      string `xml:"expireDate"`
}

// Qty is the line's planQty, checked by Validate.
func (l OrderLine) Qty() int64 { n, _ := Quantity(l.PlanQty); return n }

func validateLines(lines []OrderLine) error {
	switch n := len(lines); {
	case n == 0:
		return invalid("orderLines.orderLine", "missing")
	case n > MaxLines:
		return invalid("orderLines", "%d lines, at most %d", n, MaxLines)
	}
	for i := range lines {
		l := &lines[i]
		at := fmt.Sprintf("orderLines.orderLine[%d]", i+1)
		trim(&l.OrderLineNo, &l.SourceOrderCode, &l.SubSourceCode, &l.OwnerCode, &l.ItemCode, &l.ItemID, &l.ItemName,
			&l.PlanQty, &l.InventoryType, &l.BatchCode, &l.ProductDate, &l.ExpireDate)
		if err := code(at+".itemCode", l.ItemCode, true); err != nil {
			return err
		}
		if err := code(at+".ownerCode", l.OwnerCode, false); err != nil {
			return err
		}
		for _, f := range []struct{ name, v string }{{"orderLineNo", l.OrderLineNo}, {"sourceOrderCode", l.SourceOrderCode},
			{"subSourceOrderCode", l.SubSourceCode}, {"itemId", l.ItemID}, {"batchCode", l.BatchCode}, {"inventoryType", l.InventoryType}} {
			if err := code(at+"."+f.name, f.v, false); err != nil {
				return err
			}
		}
		if err := text(at+".itemName", l.ItemName, MaxText, false); err != nil {
			return err
		}
		if l.PlanQty == "" {
			return invalid(at+".planQty", "missing")
		}
		if _, err := Quantity(l.PlanQty); err != nil {
			return invalid(at+".planQty", "%v", err)
		}
	}
	return nil
}

// Contact is a receiverInfo or senderInfo.
type Contact struct {
	Company       string `xml:"company"`
	Name          string `xml:"name"`
	Tel           string `xml:"tel"`
	Mobile        string `xml:"mobile"`
	ZipCode       string `xml:"zipCode"`
	Province      string `xml:"province"`
	City          string `xml:"city"`
	Area          string `xml:"area"`
	Town          string `xml:"town"`
	DetailAddress string `xml:"detailAddress"`
}

// Phone is the mobile number, else the fixed line.
func (c Contact) Phone() string {
	if c.Mobile != "" {
		return c.Mobile
	}
	return c.Tel
}

// Address is the full address as a courier reads it: province, city, area,
// town and the detail, each left out when the detail already starts with
// it (ERPs often send the whole address as the detail).
func (c Contact) Address() string {
	var b strings.Builder
	rest := c.DetailAddress
	for _, p := range []string{c.Province, c.City, c.Area, c.Town} {
		if p == "" || strings.Contains(rest, p) {
			continue
		}
		b.WriteString(p)
	}
	b.WriteString(rest)
	return b.String()
}

func (c *Contact) validate(at string, required bool) error {
	trim(&c.Company, &c.Name, &c.Tel, &c.Mobile, &c.ZipCode, &c.Province, &c.City, &c.Area, &c.Town, &c.DetailAddress)
	for _, f := range []struct{ name, v string }{{"company", c.Company}, {"name", c.Name}, {"tel", c.Tel},
		{"mobile", c.Mobile}, {"zipCode", c.ZipCode}, {"province", c.Province}, {"city", c.City}, {"area", c.Area},
		{"town", c.Town}, {"detailAddress", c.DetailAddress}} {
		if err := text(at+"."+f.name, f.v, MaxText, false); err != nil {
			return err
		}
	}
	if !required {
		return nil
	}
	switch {
	case c.Name == "":
		return invalid(at+".name", "missing")
	case c.Phone() == "":
		return invalid(at+".mobile", "missing (neither mobile nor tel given)")
	case c.DetailAddress == "":
		return invalid(at+".detailAddress", "missing")
	}
	if n := utf8.RuneCountInString(c.Address()); n > MaxText {
		return invalid(at+".detailAddress", "the whole address is %d characters, at most %d", n, MaxText)
	}
	return nil
}

// DeliveryOrder is the header of a deliveryorder.create or stockout.create.
type DeliveryOrder struct {
	DeliveryOrderCode  string  `xml:"deliveryOrderCode"`
	OrderType          string  `xml:"orderType"`
	WarehouseCode      string  `xml:"warehouseCode"`
	OwnerCode          string  `xml:"ownerCode"` // not in every version of the standard: the lines carry it
	SourcePlatformCode string  `xml:"sourcePlatformCode"`
	CreateTime         string  `xml:"createTime"`
	ShopNick           string  `xml:"shopNick"`
	LogisticsCode      string  `xml:"logisticsCode"`
	SupplierCode       string  `xml:"supplierCode"`
	SupplierName       string  `xml:"supplierName"`
	BuyerMessage       string  `xml:"buyerMessage"`
	SellerMessage      string  `xml:"sellerMessage"`
	Remark             string  `xml:"remark"`
	ReceiverInfo       Contact `xml:"receiverInfo"`
}

func (d *DeliveryOrder) validate(at string) error {
	trim(&d.DeliveryOrderCode, &d.OrderType, &d.WarehouseCode, &d.OwnerCode, &d.SourcePlatformCode, &d.CreateTime,
		&d.ShopNick, &d.LogisticsCode, &d.SupplierCode, &d.SupplierName, &d.BuyerMessage, &d.SellerMessage, &d.Remark)
	if err := code(at+".deliveryOrderCode", d.DeliveryOrderCode, true); err != nil {
		return err
	}
	for _, f := range []struct{ name, v string }{{"orderType", d.OrderType}, {"warehouseCode", d.WarehouseCode},
		{"ownerCode", d.OwnerCode}, {"sourcePlatformCode", d.SourcePlatformCode}, {"logisticsCode", d.LogisticsCode},
		{"supplierCode", d.SupplierCode}} {
		if err := code(at+"."+f.name, f.v, false); err != nil {
			return err
		}
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"shopNick", d.ShopNick, MaxText}, {"supplierName", d.SupplierName, MaxText}, {"createTime", d.CreateTime, MaxText},
		{"buyerMessage", d.BuyerMessage, MaxNote}, {"sellerMessage", d.SellerMessage, MaxNote}, {"remark", d.Remark, MaxNote}} {
		if err := text(at+"."+f.name, f.v, f.max, false); err != nil {
			return err
		}
	}
	return d.ReceiverInfo.validate(at+".receiverInfo", true)
}

// DeliveryOrderCreateRequest is deliveryorder.create (a shop's order to
// pick, pack and ship) and, with other order types, stockout.create.
type DeliveryOrderCreateRequest struct {
	XMLName       xml.Name      `xml:"request"`
	DeliveryOrder DeliveryOrder `xml:"deliveryOrder"`
	OrderLines    []OrderLine   `xml:"orderLines>orderLine"`
}

// Validate checks a deliveryorder.create or stockout.create.
func (r *DeliveryOrderCreateRequest) Validate() error {
	if err := r.DeliveryOrder.validate("deliveryOrder"); err != nil {
		return err
	}
	return validateLines(r.OrderLines)
}

// StockOutCreateRequest is stockout.create: goods out to a business (a
// transfer, a return to a supplier, a B2B shipment), with the body of a
// deliveryorder.create.
type StockOutCreateRequest = DeliveryOrderCreateRequest

// BatchOrder is one order of a deliveryorder.batchcreate.
type BatchOrder struct {
	DeliveryOrder DeliveryOrder `xml:"deliveryOrder"`
	OrderLines    []OrderLine   `xml:"orderLines>orderLine"`
}

// Validate checks one order of a batch.
func (o *BatchOrder) Validate() error {
	r := DeliveryOrderCreateRequest{DeliveryOrder: o.DeliveryOrder, OrderLines: o.OrderLines}
	err := r.Validate()
	o.DeliveryOrder, o.OrderLines = r.DeliveryOrder, r.OrderLines
	return err
}

// DeliveryBatchRequest is deliveryorder.batchcreate: several delivery
// orders, each answered on its own.
type DeliveryBatchRequest struct {
	XMLName xml.Name     `xml:"request"`
	Orders  []BatchOrder `xml:"orders>order"`
}

// Validate checks the number of orders; each is checked with
// BatchOrder.Validate when it is taken in, so one bad order fails alone.
func (r *DeliveryBatchRequest) Validate() error {
	switch n := len(r.Orders); {
	case n == 0:
		return invalid("orders.order", "missing")
	case n > MaxBatch:
		return invalid("orders", "%d orders, at most %d in one call", n, MaxBatch)
	}
	return nil
}

// EntryOrder is the header of an entryorder.create: a delivery the
// warehouse is to receive.
type EntryOrder struct {
	EntryOrderCode    string `xml:"entryOrderCode"`
	OwnerCode         string `xml:"ownerCode"`
	PurchaseOrderCode string `xml:"purchaseOrderCode"`
	WarehouseCode     string `xml:"warehouseCode"`
	OrderType         string `xml:"orderType"`
	SupplierCode      string `xml:"supplierCode"`
	SupplierName      string `xml:"supplierName"`
	LogisticsCode     string `xml:"logisticsCode"`
	ExpressCode       string `xml:"expressCode"`
	Remark            string `xml:"remark"`
}

// EntryOrderCreateRequest is entryorder.create.
type EntryOrderCreateRequest struct {
	XMLName    xml.Name    `xml:"request"`
	EntryOrder EntryOrder  `xml:"entryOrder"`
	OrderLines []OrderLine `xml:"orderLines>orderLine"`
}

// Validate checks an entryorder.create.
func (r *EntryOrderCreateRequest) Validate() error {
	e := &r.EntryOrder
	trim(&e.EntryOrderCode, &e.OwnerCode, &e.PurchaseOrderCode, &e.WarehouseCode, &e.OrderType, &e.SupplierCode,
		&e.SupplierName, &e.LogisticsCode, &e.ExpressCode, &e.Remark)
	if err := code("entryOrder.entryOrderCode", e.EntryOrderCode, true); err != nil {
		return err
	}
	if err := code("entryOrder.ownerCode", e.OwnerCode, true); err != nil {
		return err
	}
	for _, f := range []struct{ name, v string }{{"purchaseOrderCode", e.PurchaseOrderCode}, {"warehouseCode", e.WarehouseCode},
		{"orderType", e.OrderType}, {"supplierCode", e.SupplierCode}, {"logisticsCode", e.LogisticsCode}, {"expressCode", e.ExpressCode}} {
		if err := code("entryOrder."+f.name, f.v, false); err != nil {
			return err
		}
	}
	if err := text("entryOrder.supplierName", e.SupplierName, MaxText, false); err != nil {
		return err
	}
	if err := text("entryOrder.remark", e.Remark, MaxNote, false); err != nil {
		return err
	}
	return validateLines(r.OrderLines)
}

// ReturnOrder is the header of a returnorder.create: a parcel a buyer sends
// back against an order the warehouse shipped.
type ReturnOrder struct {
	ReturnOrderCode      string  `xml:"returnOrderCode"`
	OwnerCode            string  `xml:"ownerCode"` // not in every version: the lines carry it
	WarehouseCode        string  `xml:"warehouseCode"`
	OrderType            string  `xml:"orderType"`
	PreDeliveryOrderCode string  `xml:"preDeliveryOrderCode"` // the delivery order it returns
	PreDeliveryOrderID   string  `xml:"preDeliveryOrderId"`
	LogisticsCode        string  `xml:"logisticsCode"`
	ExpressCode          string  `xml:"expressCode"` // the return parcel's waybill
	ReturnReason         string  `xml:"returnReason"`
	Remark               string  `xml:"remark"`
	SenderInfo           Contact `xml:"senderInfo"`
}

// ReturnOrderCreateRequest is returnorder.create.
type ReturnOrderCreateRequest struct {
	XMLName     xml.Name    `xml:"request"`
	ReturnOrder ReturnOrder `xml:"returnOrder"`
	OrderLines  []OrderLine `xml:"orderLines>orderLine"`
}

// Validate checks a returnorder.create.
func (r *ReturnOrderCreateRequest) Validate() error {
	o := &r.ReturnOrder
	trim(&o.ReturnOrderCode, &o.OwnerCode, &o.WarehouseCode, &o.OrderType, &o.PreDeliveryOrderCode,
		&o.PreDeliveryOrderID, &o.LogisticsCode, &o.ExpressCode, &o.ReturnReason, &o.Remark)
	if err := code("returnOrder.returnOrderCode", o.ReturnOrderCode, true); err != nil {
		return err
	}
	if err := code("returnOrder.preDeliveryOrderCode", o.PreDeliveryOrderCode, true); err != nil {
		return err
	}
	for _, f := range []struct{ name, v string }{{"ownerCode", o.OwnerCode}, {"warehouseCode", o.WarehouseCode},
		{"orderType", o.OrderType}, {"preDeliveryOrderId", o.PreDeliveryOrderID}, {"logisticsCode", o.LogisticsCode},
		{"expressCode", o.ExpressCode}} {
		if err := code("returnOrder."+f.name, f.v, false); err != nil {
			return err
		}
	}
	if err := text("returnOrder.returnReason", o.ReturnReason, MaxText, false); err != nil {
		return err
	}
	if err := text("returnOrder.remark", o.Remark, MaxNote, false); err != nil {
		return err
	}
	if err := o.SenderInfo.validate("returnOrder.senderInfo", false); err != nil {
		return err
	}
	return validateLines(r.OrderLines)
}

// OrderCancelRequest is order.cancel: any order the ERP sent, named by its
// code and type.
type OrderCancelRequest struct {
	XMLName       xml.Name `xml:"request"`
	WarehouseCode string   `xml:"warehouseCode"`
	OwnerCode     string   `xml:"ownerCode"`
	OrderCode     string   `xml:"orderCode"`
	OrderID       string   `xml:"orderId"`
	OrderType     string   `xml:"orderType"`
	CancelReason  string   `xml:"cancelReason"`
}

// Validate checks an order.cancel.
func (r *OrderCancelRequest) Validate() error {
	trim(&r.WarehouseCode, &r.OwnerCode, &r.OrderCode, &r.OrderID, &r.OrderType, &r.CancelReason)
	if err := code("orderCode", r.OrderCode, true); err != nil {
		return err
	}
	if err := code("ownerCode", r.OwnerCode, true); err != nil {
		return err
	}
	for _, f := range []struct{ name, v string }{{"warehouseCode", r.WarehouseCode}, {"orderId", r.OrderID}, {"orderType", r.OrderType}} {
		if err := code(f.name, f.v, false); err != nil {
			return err
		}
	}
	return text("cancelReason", r.CancelReason, MaxText, false)
}

// Order types of order.cancel, as the standard lists them: outbound ones
// (a delivery order or a stock-out) and inbound ones (an entry or return
// order).
var (
	OutboundOrderTypes = []string{"JYCK", "HHCK", "BFCK", "QTCK", "PTCK", "DBCK", "B2BCK", "CGTH", "XNCK", "JITCK"}
	InboundOrderTypes  = []string{"SCRK", "LYRK", "CCRK", "CGRK", "DBRK", "QTRK", "B2BRK", "XTRK", "THRK", "HHRK", "CNJG"}
)

// Quantity reads a planQty: a whole number of units from 1 to MaxPlanQty,
// written as an integer or a decimal whose fraction is zero ("2.0000").
func Quantity(s string) (int64, error) {
	whole, frac, _ := strings.Cut(strings.TrimSpace(s), ".")
	if strings.Trim(frac, "0") != "" {
		return 0, fmt.Errorf("%q is not a whole number of units", clip(s))
	}
	n, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || whole == "" || whole[0] == '+' {
		return 0, fmt.Errorf("%q is not a number", clip(s))
	}
	if n < 1 || n > MaxPlanQty {
		return 0, fmt.Errorf("%d is outside 1 to %d", n, MaxPlanQty)
	}
	return n, nil
}

// Decimal reads a non-negative decimal of at most max ("" is 0).
func Decimal(s string, max float64) (float64, error) {
	if s == "" {
		return 0, nil
	}
	for _, c := range s {
		if (c < '0' || c > '9') && c != '.' {
			return 0, fmt.Errorf("%q is not a decimal number", clip(s))
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) {
		return 0, fmt.Errorf("%q is not a decimal number", clip(s))
	}
	if f > max {
		return 0, fmt.Errorf("%s is more than %g", s, max)
	}
	return f, nil
}

// YesNo reads a Y/N flag ("" is N).
func YesNo(s string) (bool, error) {
	switch strings.ToUpper(s) {
	case "Y", "1", "TRUE":
		return true, nil
	case "", "N", "0", "FALSE":
		return false, nil
	}
	return false, fmt.Errorf("%q is neither Y nor N", clip(s))
}

func trim(ss ...*string) {
	for _, s := range ss {
		*s = strings.TrimSpace(*s)
	}
}

// code checks a code: at most MaxCode characters, no spaces or control
// characters.
func code(field, v string, required bool) error {
	if v == "" {
		if required {
			return invalid(field, "missing")
		}
		return nil
	}
	if !utf8.ValidString(v) || utf8.RuneCountInString(v) > MaxCode {
		return invalid(field, "longer than %d characters", MaxCode)
	}
	for _, r := range v {
		if r <= ' ' || r == 0x7f {
			return invalid(field, "%q holds a space or a control character", clip(v))
		}
	}
	return nil
}

// text checks a name or a note: at most max characters, no control
// characters.
func text(field, v string, max int, required bool) error {
	if v == "" {
		if required {
			return invalid(field, "missing")
		}
		return nil
	}
	if !utf8.ValidString(v) || utf8.RuneCountInString(v) > max {
		return invalid(field, "longer than %d characters", max)
	}
	for _, r := range v {
		if r < ' ' || r == 0x7f {
			return invalid(field, "holds a control character")
		}
	}
	return nil
}
