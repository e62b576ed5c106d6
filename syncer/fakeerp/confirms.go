package fakeerp

import (
	"encoding/xml"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"tally/syncer/qimen"
)

// The fake ERP's own reading of the confirmations a WMS sends, from the standard's element
// names. It keeps what a test needs to check them, not every field the standard has.

// Confirmation is one confirmation or report as the ERP read it: the same shape for every
// method, with the parts a method does not have left empty.
type Confirmation struct {
	Method     string    `json:"method"`
	OutBizCode string    `json:"out_biz_code"`
	OrderCode  string    `json:"order_code,omitempty"` // deliveryOrderCode, entryOrderCode, returnOrderCode, checkOrderCode, orderCode
	OrderID    string    `json:"order_id,omitempty"`   // the WMS's own ID for it
	OrderType  string    `json:"order_type,omitempty"`
	Status     string    `json:"status,omitempty"` // DELIVERED, FULFILLED, ACCEPT, …
	Warehouse  string    `json:"warehouse"`
	OwnerCode  string    `json:"owner_code,omitempty"`
	ConfirmAt  string    `json:"confirm_at,omitempty"` // orderConfirmTime, checkTime, operateTime, createTime as sent
	Packages   []Package `json:"packages,omitempty"`
	Lines      []Line    `json:"lines,omitempty"`
	Info       string    `json:"info,omitempty"` // orderprocess.report's operateInfo or remark
	Received   int       `json:"received"`       // how many times it arrived (repeats included)
	FirstAt    time.Time `json:"first_at"`
	LastAt     time.Time `json:"last_at"`
}

// Package is a parcel of a delivery or stock-out confirmation.
type Package struct {
	Carrier string `json:"carrier"` // logisticsCode
	Waybill string `json:"waybill"` // expressCode
	Weight  string `json:"weight,omitempty"`
	Items   []Line `json:"items,omitempty"`
}

// Line is an order line, a package's item or a report's item. Qty is actualQty (quantity
// for reports, signed for stockchange.report; lackQty for itemlack.report).
type Line struct {
	OutBizCode    string   `json:"out_biz_code,omitempty"` // stockchange.report's items each have one
	LineNo        string   `json:"line_no,omitempty"`
	ItemCode      string   `json:"item_code"`
	InventoryType string   `json:"inventory_type,omitempty"`
	PlanQty       int64    `json:"plan_qty,omitempty"`
	Qty           int64    `json:"qty"`
	BatchCode     string   `json:"batch_code,omitempty"`
	ExpireDate    string   `json:"expire_date,omitempty"`
	SNs           []string `json:"sns,omitempty"`
	Reason        string   `json:"reason,omitempty"`
}

// errContent is a confirmation whose content the ERP cannot take.
var errContent = errors.New("invalid content")

func contentf(format string, a ...any) error {
	return fmt.Errorf("%w: %s", errContent, fmt.Sprintf(format, a...))
}

// The XML of the confirmations, by the standard's element names.
type (
	xmlBatch struct {
		BatchCode     string `xml:"batchCode"`
		ExpireDate    string `xml:"expireDate"`
		InventoryType string `xml:"inventoryType"`
		ActualQty     string `xml:"actualQty"`
	}
	xmlLine struct {
		OutBizCode    string     `xml:"outBizCode"`
		OrderLineNo   string     `xml:"orderLineNo"`
		OwnerCode     string     `xml:"ownerCode"`
		ItemCode      string     `xml:"itemCode"`
		InventoryType string     `xml:"inventoryType"`
		PlanQty       string     `xml:"planQty"`
		ActualQty     string     `xml:"actualQty"`
		BatchCode     string     `xml:"batchCode"`
		ExpireDate    string     `xml:"expireDate"`
		Batchs        []xmlBatch `xml:"batchs>batch"`
		SNs           []string   `xml:"snList>sn"`
	}
	xmlPackageItem struct {
		ItemCode string `xml:"itemCode"`
		Quantity string `xml:"quantity"`
	}
	xmlPackage struct {
		LogisticsCode string           `xml:"logisticsCode"`
		ExpressCode   string           `xml:"expressCode"`
		Weight        string           `xml:"weight"`
		Items         []xmlPackageItem `xml:"items>item"`
	}
	xmlOrderHeader struct {
		DeliveryOrderCode string `xml:"deliveryOrderCode"`
		DeliveryOrderID   string `xml:"deliveryOrderId"`
		EntryOrderCode    string `xml:"entryOrderCode"`
		EntryOrderID      string `xml:"entryOrderId"`
		EntryOrderType    string `xml:"entryOrderType"`
		ReturnOrderCode   string `xml:"returnOrderCode"`
		ReturnOrderID     string `xml:"returnOrderId"`
		WarehouseCode     string `xml:"warehouseCode"`
		OwnerCode         string `xml:"ownerCode"`
		OrderType         string `xml:"orderType"`
		Status            string `xml:"status"`
		OutBizCode        string `xml:"outBizCode"`
		ConfirmType       string `xml:"confirmType"`
		LogisticsCode     string `xml:"logisticsCode"`
		ExpressCode       string `xml:"expressCode"`
		OrderConfirmTime  string `xml:"orderConfirmTime"`
		OperateTime       string `xml:"operateTime"`
	}
	// orderConfirm is deliveryorder.confirm, stockout.confirm, entryorder.confirm and
	// returnorder.confirm: a header (under the element the method names), packages, lines.
	orderConfirm struct {
		XMLName       xml.Name        `xml:"request"`
		DeliveryOrder *xmlOrderHeader `xml:"deliveryOrder"`
		EntryOrder    *xmlOrderHeader `xml:"entryOrder"`
		ReturnOrder   *xmlOrderHeader `xml:"returnOrder"`
		Packages      []xmlPackage    `xml:"packages>package"`
		Lines         []xmlLine       `xml:"orderLines>orderLine"`
	}
	stockChangeItem struct {
		OwnerCode     string `xml:"ownerCode"`
		WarehouseCode string `xml:"warehouseCode"`
		OrderCode     string `xml:"orderCode"`
		OrderType     string `xml:"orderType"`
		OutBizCode    string `xml:"outBizCode"`
		ItemCode      string `xml:"itemCode"`
		InventoryType string `xml:"inventoryType"`
		Quantity      string `xml:"quantity"`
		BatchCode     string `xml:"batchCode"`
		ExpireDate    string `xml:"expireDate"`
		ChangeTime    string `xml:"changeTime"`
		Remark        string `xml:"remark"`
	}
	stockChangeReport struct {
		XMLName xml.Name          `xml:"request"`
		Items   []stockChangeItem `xml:"items>item"`
	}
	inventoryReport struct {
		XMLName        xml.Name `xml:"request"`
		WarehouseCode  string   `xml:"warehouseCode"`
		OwnerCode      string   `xml:"ownerCode"`
		CheckOrderCode string   `xml:"checkOrderCode"`
		CheckOrderID   string   `xml:"checkOrderId"`
		CheckTime      string   `xml:"checkTime"`
		OutBizCode     string   `xml:"outBizCode"`
		Items          []struct {
			ItemCode      string `xml:"itemCode"`
			InventoryType string `xml:"inventoryType"`
			Quantity      string `xml:"quantity"`
			BatchCode     string `xml:"batchCode"`
			ExpireDate    string `xml:"expireDate"`
			Remark        string `xml:"remark"`
		} `xml:"items>item"`
	}
	processOrder struct {
		OrderCode     string `xml:"orderCode"`
		OrderID       string `xml:"orderId"`
		OrderType     string `xml:"orderType"`
		WarehouseCode string `xml:"warehouseCode"`
		OwnerCode     string `xml:"ownerCode"`
		OutBizCode    string `xml:"outBizCode"`
		ExtOutBiz     string `xml:"extendProps>outBizCode"`
	}
	orderProcessReport struct {
		XMLName    xml.Name     `xml:"request"`
		OutBizCode string       `xml:"outBizCode"`
		ExtOutBiz  string       `xml:"extendProps>outBizCode"`
		Order      processOrder `xml:"order"`
		Process    struct {
			ProcessStatus string `xml:"processStatus"`
			OperateTime   string `xml:"operateTime"`
			OperateInfo   string `xml:"operateInfo"`
			Remark        string `xml:"remark"`
			OutBizCode    string `xml:"outBizCode"`
		} `xml:"process"`
	}
	itemLackReport struct {
		XMLName           xml.Name `xml:"request"`
		WarehouseCode     string   `xml:"warehouseCode"`
		OwnerCode         string   `xml:"ownerCode"`
		DeliveryOrderCode string   `xml:"deliveryOrderCode"`
		DeliveryOrderID   string   `xml:"deliveryOrderId"`
		CreateTime        string   `xml:"createTime"`
		OutBizCode        string   `xml:"outBizCode"`
		Items             []struct {
			ItemCode      string `xml:"itemCode"`
			InventoryType string `xml:"inventoryType"`
			PlanQty       string `xml:"planQty"`
			LackQty       string `xml:"lackQty"`
			BatchCode     string `xml:"batchCode"`
			Reason        string `xml:"reason"`
		} `xml:"items>item"`
	}
)

// Parse reads the body of a WMS→ERP call of method (short form) as the ERP does: it checks
// that the body is a well-formed <request>, that the parts the ERP needs are there (the order
// code, warehouseCode, outBizCode — per item for stockchange.report —, whole quantities,
// dates as YYYY-MM-DD) and returns what it says. An error wrapping errContent is a body the
// ERP refuses; an unknown method is an error too.
func Parse(method string, body []byte) (Confirmation, error) {
	if err := qimen.CheckRequest(body); err != nil {
		return Confirmation{}, err
	}
	switch method {
	case qimen.DeliveryConfirm, qimen.StockOutConfirm, qimen.EntryOrderConfirm, qimen.ReturnOrderConfirm:
		return parseOrderConfirm(method, body)
	case qimen.StockChangeReport:
		return parseStockChange(body)
	case qimen.InventoryReport:
		return parseInventory(body)
	case qimen.OrderProcessReport:
		return parseProcess(body)
	case qimen.ItemLackReport:
		return parseItemLack(body)
	}
	return Confirmation{}, fmt.Errorf("%w: %q is not a method the WMS calls on an ERP", errMethod, clip(method))
}

var errMethod = errors.New("invalid method")

func parseOrderConfirm(method string, body []byte) (Confirmation, error) {
	var in orderConfirm
	if err := xml.Unmarshal(body, &in); err != nil {
		return Confirmation{}, contentf("%s", clip(err.Error()))
	}
	var h *xmlOrderHeader
	var code, id, header string
	switch method {
	case qimen.DeliveryConfirm, qimen.StockOutConfirm:
		header, h = "deliveryOrder", in.DeliveryOrder
		if h != nil {
			code, id = h.DeliveryOrderCode, h.DeliveryOrderID
		}
	case qimen.EntryOrderConfirm:
		header, h = "entryOrder", in.EntryOrder
		if h != nil {
			code, id = h.EntryOrderCode, h.EntryOrderID
		}
	default:
		header, h = "returnOrder", in.ReturnOrder
		if h != nil {
			code, id = h.ReturnOrderCode, h.ReturnOrderID
		}
	}
	if h == nil {
		return Confirmation{}, contentf("<%s> is missing", header)
	}
	c := Confirmation{Method: method, OutBizCode: strings.TrimSpace(h.OutBizCode), OrderCode: strings.TrimSpace(code),
		OrderID: strings.TrimSpace(id), OrderType: h.OrderType, Status: h.Status, Warehouse: strings.TrimSpace(h.WarehouseCode),
		OwnerCode: strings.TrimSpace(h.OwnerCode), ConfirmAt: h.OrderConfirmTime}
	if c.OrderType == "" {
		c.OrderType = h.EntryOrderType
	}
	if c.ConfirmAt == "" {
		c.ConfirmAt = h.OperateTime
	}
	if c.OrderCode == "" {
		return Confirmation{}, contentf("<%s> has no order code", header)
	}
	if err := checkDateTime("orderConfirmTime", h.OrderConfirmTime); err != nil {
		return Confirmation{}, err
	}
	for i, p := range in.Packages {
		pk := Package{Carrier: strings.TrimSpace(p.LogisticsCode), Waybill: strings.TrimSpace(p.ExpressCode), Weight: p.Weight}
		if pk.Waybill == "" {
			return Confirmation{}, contentf("package %d has no expressCode (waybill number)", i+1)
		}
		if pk.Carrier == "" {
			return Confirmation{}, contentf("package %d has no logisticsCode (carrier)", i+1)
		}
		for _, it := range p.Items {
			q, err := wholeQty("package item quantity", it.Quantity, false)
			if err != nil {
				return Confirmation{}, err
			}
			pk.Items = append(pk.Items, Line{ItemCode: strings.TrimSpace(it.ItemCode), Qty: q})
		}
		c.Packages = append(c.Packages, pk)
	}
	if (method == qimen.DeliveryConfirm || method == qimen.StockOutConfirm) && isDelivered(c.Status) && len(c.Packages) == 0 {
		return Confirmation{}, contentf("a %s shipment has no packages", c.Status)
	}
	if len(in.Lines) == 0 {
		return Confirmation{}, contentf("<orderLines> has no <orderLine>")
	}
	for i, l := range in.Lines {
		line, err := readLine(i, l)
		if err != nil {
			return Confirmation{}, err
		}
		if l.OwnerCode != "" && c.OwnerCode == "" {
			c.OwnerCode = strings.TrimSpace(l.OwnerCode)
		}
		c.Lines = append(c.Lines, line...)
	}
	return c, nil
}

// isDelivered says whether a status means goods left (all or part).
func isDelivered(status string) bool { return status == "DELIVERED" || status == "PARTDELIVERED" }

// readLine reads an order line; a line with <batchs> becomes one Line per batch.
func readLine(i int, l xmlLine) ([]Line, error) {
	base := Line{LineNo: l.OrderLineNo, ItemCode: strings.TrimSpace(l.ItemCode), InventoryType: l.InventoryType,
		BatchCode: l.BatchCode, ExpireDate: l.ExpireDate, SNs: l.SNs}
	if base.ItemCode == "" {
		return nil, contentf("order line %d has no itemCode", i+1)
	}
	var err error
	if l.PlanQty != "" {
		if base.PlanQty, err = wholeQty("planQty", l.PlanQty, false); err != nil {
			return nil, err
		}
	}
	if err := checkDate("expireDate", l.ExpireDate); err != nil {
		return nil, err
	}
	for _, sn := range l.SNs {
		if strings.TrimSpace(sn) == "" {
			return nil, contentf("order line %d has an empty <sn>", i+1)
		}
	}
	if len(l.Batchs) == 0 {
		if base.Qty, err = wholeQty("actualQty", l.ActualQty, false); err != nil {
			return nil, err
		}
		return []Line{base}, nil
	}
	var out []Line
	for _, b := range l.Batchs {
		line := base
		line.BatchCode, line.ExpireDate = b.BatchCode, b.ExpireDate
		if b.InventoryType != "" {
			line.InventoryType = b.InventoryType
		}
		if line.Qty, err = wholeQty("batch actualQty", b.ActualQty, false); err != nil {
			return nil, err
		}
		if err := checkDate("expireDate", b.ExpireDate); err != nil {
			return nil, err
		}
		out = append(out, line)
	}
	return out, nil
}

func parseStockChange(body []byte) (Confirmation, error) {
	var in stockChangeReport
	if err := xml.Unmarshal(body, &in); err != nil {
		return Confirmation{}, contentf("%s", clip(err.Error()))
	}
	if len(in.Items) == 0 {
		return Confirmation{}, contentf("<items> has no <item>")
	}
	c := Confirmation{Method: qimen.StockChangeReport}
	seen := map[string]bool{}
	for i, it := range in.Items {
		l := Line{OutBizCode: strings.TrimSpace(it.OutBizCode), ItemCode: strings.TrimSpace(it.ItemCode),
			InventoryType: it.InventoryType, BatchCode: it.BatchCode, ExpireDate: it.ExpireDate, Reason: it.Remark}
		if l.OutBizCode == "" {
			return Confirmation{}, contentf("item %d has no outBizCode", i+1)
		}
		if seen[l.OutBizCode] {
			return Confirmation{}, contentf("outBizCode %q is given twice", clip(l.OutBizCode))
		}
		seen[l.OutBizCode] = true
		if l.ItemCode == "" {
			return Confirmation{}, contentf("item %d has no itemCode", i+1)
		}
		w := strings.TrimSpace(it.WarehouseCode)
		if w == "" {
			return Confirmation{}, contentf("item %d has no warehouseCode", i+1)
		}
		if c.Warehouse == "" {
			c.Warehouse, c.OwnerCode, c.OrderCode, c.OrderType, c.ConfirmAt = w, strings.TrimSpace(it.OwnerCode), it.OrderCode, it.OrderType, it.ChangeTime
		}
		if o := strings.TrimSpace(it.OwnerCode); o != "" && o != c.OwnerCode {
			return Confirmation{}, contentf("items of two owners (%q, %q) in one report", clip(c.OwnerCode), clip(o))
		}
		var err error
		if l.Qty, err = wholeQty("quantity", it.Quantity, true); err != nil {
			return Confirmation{}, err
		}
		if err := checkDate("expireDate", it.ExpireDate); err != nil {
			return Confirmation{}, err
		}
		if err := checkDateTime("changeTime", it.ChangeTime); err != nil {
			return Confirmation{}, err
		}
		c.Lines = append(c.Lines, l)
	}
	c.OutBizCode = c.Lines[0].OutBizCode
	return c, nil
}

func parseInventory(body []byte) (Confirmation, error) {
	var in inventoryReport
	if err := xml.Unmarshal(body, &in); err != nil {
		return Confirmation{}, contentf("%s", clip(err.Error()))
	}
	c := Confirmation{Method: qimen.InventoryReport, OutBizCode: strings.TrimSpace(in.OutBizCode),
		OrderCode: strings.TrimSpace(in.CheckOrderCode), OrderID: in.CheckOrderID, Warehouse: strings.TrimSpace(in.WarehouseCode),
		OwnerCode: strings.TrimSpace(in.OwnerCode), ConfirmAt: in.CheckTime}
	if c.OrderCode == "" {
		return Confirmation{}, contentf("checkOrderCode is missing")
	}
	if err := checkDateTime("checkTime", in.CheckTime); err != nil {
		return Confirmation{}, err
	}
	if len(in.Items) == 0 {
		return Confirmation{}, contentf("<items> has no <item>")
	}
	for i, it := range in.Items {
		l := Line{ItemCode: strings.TrimSpace(it.ItemCode), InventoryType: it.InventoryType, BatchCode: it.BatchCode,
			ExpireDate: it.ExpireDate, Reason: it.Remark}
		if l.ItemCode == "" {
			return Confirmation{}, contentf("item %d has no itemCode", i+1)
		}
		var err error
		if l.Qty, err = wholeQty("quantity", it.Quantity, true); err != nil {
			return Confirmation{}, err
		}
		if err := checkDate("expireDate", it.ExpireDate); err != nil {
			return Confirmation{}, err
		}
		c.Lines = append(c.Lines, l)
	}
	return c, nil
}

func parseProcess(body []byte) (Confirmation, error) {
	var in orderProcessReport
	if err := xml.Unmarshal(body, &in); err != nil {
		return Confirmation{}, contentf("%s", clip(err.Error()))
	}
	o := in.Order
	c := Confirmation{Method: qimen.OrderProcessReport, OrderCode: strings.TrimSpace(o.OrderCode), OrderID: o.OrderID,
		OrderType: o.OrderType, Warehouse: strings.TrimSpace(o.WarehouseCode), OwnerCode: strings.TrimSpace(o.OwnerCode),
		Status: strings.TrimSpace(in.Process.ProcessStatus), ConfirmAt: in.Process.OperateTime, Info: in.Process.OperateInfo}
	if c.Info == "" {
		c.Info = in.Process.Remark
	}
	// the standard leaves outBizCode's place open for this report: the order's, the
	// process's or the request's, as an element or in extendProps
	for _, k := range []string{o.OutBizCode, o.ExtOutBiz, in.Process.OutBizCode, in.OutBizCode, in.ExtOutBiz} {
		if k = strings.TrimSpace(k); k != "" {
			c.OutBizCode = k
			break
		}
	}
	if c.OrderCode == "" {
		return Confirmation{}, contentf("<order> has no orderCode")
	}
	if c.Status == "" {
		return Confirmation{}, contentf("<process> has no processStatus")
	}
	if err := checkDateTime("operateTime", in.Process.OperateTime); err != nil {
		return Confirmation{}, err
	}
	return c, nil
}

func parseItemLack(body []byte) (Confirmation, error) {
	var in itemLackReport
	if err := xml.Unmarshal(body, &in); err != nil {
		return Confirmation{}, contentf("%s", clip(err.Error()))
	}
	c := Confirmation{Method: qimen.ItemLackReport, OutBizCode: strings.TrimSpace(in.OutBizCode),
		OrderCode: strings.TrimSpace(in.DeliveryOrderCode), OrderID: in.DeliveryOrderID, Warehouse: strings.TrimSpace(in.WarehouseCode),
		OwnerCode: strings.TrimSpace(in.OwnerCode), ConfirmAt: in.CreateTime}
	if c.OrderCode == "" {
		return Confirmation{}, contentf("deliveryOrderCode is missing")
	}
	if err := checkDateTime("createTime", in.CreateTime); err != nil {
		return Confirmation{}, err
	}
	if len(in.Items) == 0 {
		return Confirmation{}, contentf("<items> has no <item>")
	}
	for i, it := range in.Items {
		l := Line{ItemCode: strings.TrimSpace(it.ItemCode), InventoryType: it.InventoryType, BatchCode: it.BatchCode, Reason: it.Reason}
		if l.ItemCode == "" {
			return Confirmation{}, contentf("item %d has no itemCode", i+1)
		}
		var err error
		if it.PlanQty != "" {
			if l.PlanQty, err = wholeQty("planQty", it.PlanQty, false); err != nil {
				return Confirmation{}, err
			}
		}
		if l.Qty, err = wholeQty("lackQty", it.LackQty, false); err != nil {
			return Confirmation{}, err
		}
		if l.Qty == 0 {
			return Confirmation{}, contentf("item %d lacks nothing (lackQty 0)", i+1)
		}
		c.Lines = append(c.Lines, l)
	}
	return c, nil
}

// wholeQty reads a quantity: a whole number (the standard writes some as "2.0" too), never
// negative unless signed.
func wholeQty(name, s string, signed bool) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, contentf("%s is missing", name)
	}
	s = strings.TrimSuffix(strings.TrimSuffix(s, ".00"), ".0")
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n > 1e9 || n < -1e9 {
		return 0, contentf("%s %q is not a whole number", name, clip(s))
	}
	if n < 0 && !signed {
		return 0, contentf("%s %d is negative", name, n)
	}
	return n, nil
}

func checkDate(name, s string) error {
	if s == "" {
		return nil
	}
	if _, err := time.Parse("2006-01-02", s); err != nil {
		return contentf("%s %q is not YYYY-MM-DD", name, clip(s))
	}
	return nil
}

func checkDateTime(name, s string) error {
	if s == "" {
		return nil
	}
	if _, err := time.Parse(qimen.TimestampLayout, s); err != nil {
		return contentf("%s %q is not YYYY-MM-DD HH:MM:SS", name, clip(s))
	}
	return nil
}

// clip keeps a sender's text short enough to echo.
func clip(s string) string {
	const max = 200
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}
