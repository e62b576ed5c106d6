package fakeerp

import (
	"encoding/xml"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"tally/syncer/qimen"
)

// Document kinds the ERP makes.
const (
	KindDelivery = "delivery" // deliveryorder.create: a shop's parcel
	KindEntry    = "entry"    // entryorder.create: goods coming in
	KindReturn   = "return"   // returnorder.create: a customer's return
)

// Order states.
const (
	StateQueued     = "queued"     // its create call is waiting or being sent
	StateAccepted   = "accepted"   // the WMS answered success
	StateRefused    = "refused"    // the WMS answered failure (Code, Message)
	StateUnanswered = "unanswered" // the create call never got an answer
	StatePartial    = "partial"    // confirmed in part (PARTDELIVERED, PARTFULFILLED)
	StateDone       = "done"       // confirmed: shipped, received or returned
	StateCancelled  = "cancelled"
)

// Order is a document the ERP made and what became of it.
type Order struct {
	Code       string      `json:"code"`
	Kind       string      `json:"kind"`
	Warehouse  string      `json:"warehouse"`
	Platform   string      `json:"platform,omitempty"`
	Shop       string      `json:"shop,omitempty"`
	Recipient  string      `json:"recipient,omitempty"`
	Carrier    string      `json:"carrier,omitempty"` // asked for
	Lines      []OrderLine `json:"lines"`
	Of         string      `json:"of,omitempty"` // a return's delivery order
	State      string      `json:"state"`
	Code2      string      `json:"answer_code,omitempty"`
	Message    string      `json:"answer_message,omitempty"`
	WMSID      string      `json:"wms_id,omitempty"`   // deliveryOrderId, entryOrderId, returnOrderId
	Process    string      `json:"process,omitempty"`  // the last orderprocess.report status
	Shipped    []Package   `json:"shipped,omitempty"`  // packages confirmed, with carrier and waybill
	Received   []Line      `json:"received,omitempty"` // lines confirmed (actual quantities)
	Lacking    []Line      `json:"lacking,omitempty"`  // itemlack.report lines
	CancelNote string      `json:"cancel_note,omitempty"`
	Made       time.Time   `json:"made"`
}

// OrderLine is a line of an order the ERP made.
type OrderLine struct {
	ItemCode       string `json:"item_code"`
	Name           string `json:"name"`
	Qty            int64  `json:"qty"`
	SourceOrder    string `json:"source_order,omitempty"`     // the platform's order ID
	SubSourceOrder string `json:"sub_source_order,omitempty"` // the platform's sub-order ID
}

// Item is an item of the ERP's catalogue.
type Item struct {
	Code, Name, Barcode string
}

// Catalogue is the ERP's items: the books and clothes of the demo warehouse (`tally --demo`),
// under the same item codes and barcodes, so its orders can be picked there. Nothing in
// them is lot-tracked: an order of them never waits on a lot's expiry.
func Catalogue() []Item {
	var out []Item
	for _, f := range []struct {
		base            int
		company         string
		names, variants []string
	}{
		{3000, "97875", []string{"三体全集", "活着", "平凡的世界", "哈利·波特", "小王子", "人类简史"},
			[]string{"平装", "精装", "典藏版", "青少版", "英文版", "插图版", "口袋版", "纪念版"}},
		{4000, "69045", []string{"纯棉圆领T恤", "运动卫衣", "牛仔裤", "羊毛袜"},
			[]string{"白 S", "白 M", "白 L", "白 XL", "黑 S", "黑 M", "黑 L", "黑 XL"}},
	} {
		for ni, name := range f.names {
			for vi, v := range f.variants {
				n := f.base + ni*10 + vi
				out = append(out, Item{Code: fmt.Sprintf("SKU%05d", n), Name: name + " " + v, Barcode: ean13(f.company, n)})
			}
		}
	}
	return out
}

// ean13 is a GTIN-13 of a company prefix and an item number, with its check digit.
func ean13(company string, item int) string {
	body := fmt.Sprintf("%s%0*d", company, 12-len(company), item)
	sum := 0
	for i, r := range body {
		d := int(r - '0')
		if i%2 == 1 {
			d *= 3
		}
		sum += d
	}
	return body + strconv.Itoa((10-sum%10)%10)
}

// The XML the ERP sends, by the standard's element names.
type (
	xmlContact struct {
		Name          string `xml:"name"`
		Mobile        string `xml:"mobile"`
		Province      string `xml:"province"`
		City          string `xml:"city"`
		Area          string `xml:"area"`
		DetailAddress string `xml:"detailAddress"`
	}
	xmlCreateLine struct {
		OrderLineNo        string `xml:"orderLineNo"`
		SourceOrderCode    string `xml:"sourceOrderCode,omitempty"`
		SubSourceOrderCode string `xml:"subSourceOrderCode,omitempty"`
		OwnerCode          string `xml:"ownerCode"`
		ItemCode           string `xml:"itemCode"`
		ItemName           string `xml:"itemName"`
		InventoryType      string `xml:"inventoryType"`
		PlanQty            int64  `xml:"planQty"`
	}
	deliveryCreate struct {
		XMLName       xml.Name `xml:"request"`
		DeliveryOrder struct {
			DeliveryOrderCode  string     `xml:"deliveryOrderCode"`
			OrderType          string     `xml:"orderType"`
			WarehouseCode      string     `xml:"warehouseCode"`
			SourcePlatformCode string     `xml:"sourcePlatformCode"`
			SourcePlatformName string     `xml:"sourcePlatformName"`
			CreateTime         string     `xml:"createTime"`
			PlaceOrderTime     string     `xml:"placeOrderTime"`
			PayTime            string     `xml:"payTime"`
			OperateTime        string     `xml:"operateTime"`
			ShopNick           string     `xml:"shopNick"`
			BuyerNick          string     `xml:"buyerNick"`
			LogisticsCode      string     `xml:"logisticsCode"`
			SenderInfo         xmlContact `xml:"senderInfo"`
			ReceiverInfo       xmlContact `xml:"receiverInfo"`
		} `xml:"deliveryOrder"`
		OrderLines []xmlCreateLine `xml:"orderLines>orderLine"`
	}
	entryCreate struct {
		XMLName    xml.Name `xml:"request"`
		EntryOrder struct {
			EntryOrderCode    string `xml:"entryOrderCode"`
			OwnerCode         string `xml:"ownerCode"`
			PurchaseOrderCode string `xml:"purchaseOrderCode"`
			WarehouseCode     string `xml:"warehouseCode"`
			OrderCreateTime   string `xml:"orderCreateTime"`
			OrderType         string `xml:"orderType"`
			ExpectStartTime   string `xml:"expectStartTime"`
			SupplierCode      string `xml:"supplierCode"`
			SupplierName      string `xml:"supplierName"`
		} `xml:"entryOrder"`
		OrderLines []xmlCreateLine `xml:"orderLines>orderLine"`
	}
	returnCreate struct {
		XMLName     xml.Name `xml:"request"`
		ReturnOrder struct {
			ReturnOrderCode      string     `xml:"returnOrderCode"`
			WarehouseCode        string     `xml:"warehouseCode"`
			OwnerCode            string     `xml:"ownerCode"`
			OrderType            string     `xml:"orderType"`
			PreDeliveryOrderCode string     `xml:"preDeliveryOrderCode"`
			LogisticsCode        string     `xml:"logisticsCode,omitempty"`
			ExpressCode          string     `xml:"expressCode,omitempty"`
			ReturnReason         string     `xml:"returnReason"`
			SenderInfo           xmlContact `xml:"senderInfo"`
		} `xml:"returnOrder"`
		OrderLines []xmlCreateLine `xml:"orderLines>orderLine"`
	}
	orderCancel struct {
		XMLName       xml.Name `xml:"request"`
		WarehouseCode string   `xml:"warehouseCode"`
		OwnerCode     string   `xml:"ownerCode"`
		OrderCode     string   `xml:"orderCode"`
		OrderID       string   `xml:"orderId,omitempty"`
		OrderType     string   `xml:"orderType"`
		CancelReason  string   `xml:"cancelReason"`
	}
	itemsSync struct {
		XMLName       xml.Name `xml:"request"`
		ActionType    string   `xml:"actionType"`
		WarehouseCode string   `xml:"warehouseCode"`
		OwnerCode     string   `xml:"ownerCode"`
		Items         []struct {
			ItemCode  string `xml:"itemCode"`
			ItemName  string `xml:"itemName"`
			BarCode   string `xml:"barCode"`
			ItemType  string `xml:"itemType"`
			StockUnit string `xml:"stockUnit"`
		} `xml:"items>item"`
	}
	inventoryQuery struct {
		XMLName  xml.Name `xml:"request"`
		Criteria []struct {
			WarehouseCode string `xml:"warehouseCode"`
			OwnerCode     string `xml:"ownerCode"`
			ItemCode      string `xml:"itemCode"`
			InventoryType string `xml:"inventoryType"`
		} `xml:"criteriaList>criteria"`
	}
)

// Who sends the parcels (senderInfo) and who receives them.
var (
	sender    = xmlContact{Name: "塔利仓储", Mobile: "057188880000", Province: "浙江省", City: "杭州市", Area: "余杭区", DetailAddress: "仓前街道文一西路 1 号"}
	surnames  = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
	given     = []string{"伟", "芳", "娜", "敏", "静", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "秀英", "晓红", "建华", "玉兰"}
	addresses = [][4]string{
		{"浙江省", "杭州市", "西湖区", "文三路"}, {"上海市", "上海市", "浦东新区", "张江路"}, {"广东省", "深圳市", "南山区", "科技南路"},
		{"北京市", "北京市", "朝阳区", "望京街"}, {"四川省", "成都市", "武侯区", "天府大道"}, {"江苏省", "南京市", "鼓楼区", "中山路"},
		{"湖北省", "武汉市", "洪山区", "珞喻路"}, {"福建省", "厦门市", "思明区", "湖滨南路"}, {"山东省", "青岛市", "市南区", "香港中路"},
		{"陕西省", "西安市", "雁塔区", "高新路"},
	}
	platforms     = []string{"TB", "TM", "JD", "PDD", "DY"}
	platformNames = map[string]string{"TB": "淘宝", "TM": "天猫", "JD": "京东", "PDD": "拼多多", "DY": "抖音"}
	shops         = map[string]string{"TB": "塔利淘宝企业店", "TM": "塔利天猫旗舰店", "JD": "塔利京东旗舰店", "PDD": "塔利拼多多官方店", "DY": "塔利抖音小店"}
)

// marshal writes a request body: the XML declaration and the element.
func marshal(v any) []byte {
	b, err := xml.Marshal(v)
	if err != nil {
		panic(err) // the types above always encode
	}
	return append([]byte(xml.Header), b...)
}

// newDoc makes the next document code of a kind. The caller holds e.mu.
func (e *ERP) newDoc() (string, int, error) {
	if len(e.orders) >= MaxOrders {
		return "", 0, fmt.Errorf("the fake ERP makes at most %d orders", MaxOrders)
	}
	e.nextDoc++
	return fmt.Sprintf("QM%s%06d", e.stamp, e.nextDoc), e.nextDoc, nil
}

// SendOrders makes n delivery orders (1 to 10,000 at once) and queues their
// deliveryorder.create calls; warehouse names theirs (empty: spread over Options.Warehouses).
// Each is the same for the same run and number: a realistic shop order from TB, TM, JD, PDD
// or DY with a Chinese recipient, one to three lines of the catalogue and the platform's
// order and sub-order IDs.
func (e *ERP) SendOrders(n int, warehouse string) ([]Order, error) {
	if n < 1 || n > 10_000 {
		return nil, errors.New("n is 1 to 10000")
	}
	if warehouse != "" && !slices.Contains(e.o.Warehouses, warehouse) {
		return nil, fmt.Errorf("warehouse %q is not one of %v", clip(warehouse), e.o.Warehouses)
	}
	items := Catalogue()
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []Order
	for range n {
		docCode, seq, err := e.newDoc()
		if err != nil {
			return out, err
		}
		rng := rand.New(rand.NewPCG(uint64(seq), 13))
		wh := warehouse
		if wh == "" {
			wh = e.o.Warehouses[(seq-1)%len(e.o.Warehouses)]
		}
		platform := platforms[rng.IntN(len(platforms))]
		carrier := "SF"
		if platform == "JD" || rng.IntN(3) == 0 {
			carrier = "JD"
		}
		addr := addresses[rng.IntN(len(addresses))]
		name := string(surnames[rng.IntN(len(surnames))]) + given[rng.IntN(len(given))]
		now := e.o.Now().In(qimen.China)
		var req deliveryCreate
		d := &req.DeliveryOrder
		d.DeliveryOrderCode, d.OrderType, d.WarehouseCode = docCode, "JYCK", wh
		d.SourcePlatformCode, d.SourcePlatformName = platform, platformNames[platform]
		d.CreateTime, d.OperateTime = now.Format(qimen.TimestampLayout), now.Format(qimen.TimestampLayout)
		d.PlaceOrderTime = now.Add(-time.Duration(10+rng.IntN(600)) * time.Minute).Format(qimen.TimestampLayout)
		d.PayTime = now.Add(-time.Duration(1+rng.IntN(9)) * time.Minute).Format(qimen.TimestampLayout)
		d.ShopNick, d.BuyerNick, d.LogisticsCode = shops[platform], "tb"+strconv.Itoa(100000+rng.IntN(900000)), carrier
		d.SenderInfo = sender
		d.ReceiverInfo = xmlContact{Name: name, Mobile: fmt.Sprintf("1%d%09d", 3+rng.IntN(6), rng.IntN(1_000_000_000)),
			Province: addr[0], City: addr[1], Area: addr[2], DetailAddress: fmt.Sprintf("%s%d号", addr[3], 1+rng.IntN(999))}
		o := Order{Code: docCode, Kind: KindDelivery, Warehouse: wh, Platform: platform, Shop: d.ShopNick,
			Recipient: name + " " + addr[0] + addr[1], Carrier: carrier, State: StateQueued, Made: e.o.Now().UTC()}
		ids := []string{platformOrderID(rng, platform, now)}
		lines := 1 + rng.IntN(3)
		if lines > 1 && rng.IntN(8) == 0 {
			ids = append(ids, platformOrderID(rng, platform, now)) // 合单: two platform orders shipped as one
		}
		for j, k := range rng.Perm(len(items))[:lines] {
			it := items[k]
			po := ids[j%len(ids)]
			l := OrderLine{ItemCode: it.Code, Name: it.Name, Qty: int64(1 + rng.IntN(2)), SourceOrder: po, SubSourceOrder: fmt.Sprintf("%s-%d", po, j+1)}
			o.Lines = append(o.Lines, l)
			req.OrderLines = append(req.OrderLines, xmlCreateLine{OrderLineNo: strconv.Itoa(j + 1), SourceOrderCode: po,
				SubSourceOrderCode: l.SubSourceOrder, OwnerCode: e.o.OwnerCode, ItemCode: it.Code, ItemName: it.Name,
				InventoryType: "ZP", PlanQty: l.Qty})
		}
		e.addOrder(&o)
		e.enqueue(qimen.DeliveryCreate, docCode, wh, marshal(req))
		out = append(out, o)
	}
	return out, nil
}

// platformOrderID makes an order ID in the platform's usual form.
func platformOrderID(rng *rand.Rand, platform string, today time.Time) string {
	switch platform {
	case "TB", "TM": // 19 digits
		return fmt.Sprintf("%d%018d", 1+rng.IntN(4), rng.Int64N(1e18))
	case "JD": // 12 digits
		return fmt.Sprintf("%d%011d", 2+rng.IntN(7), rng.Int64N(1e11))
	case "PDD": // date, a dash and 15 digits
		return fmt.Sprintf("%s-%015d", today.Format("060102"), rng.Int64N(1e15))
	default: // DY: 19 digits starting with 6
		return fmt.Sprintf("6%018d", rng.Int64N(1e18))
	}
}

// addOrder keeps a new order. The caller holds e.mu.
func (e *ERP) addOrder(o *Order) {
	e.orders[o.Code] = o
	e.ordOrder = append(e.ordOrder, o.Code)
}

// SendEntry makes an entry order (CGRK, a purchase arriving) of lines (item code → planned
// quantity; empty: three items of the catalogue, 20 each) for warehouse (empty: the first)
// and queues its entryorder.create.
func (e *ERP) SendEntry(warehouse string, lines map[string]int64) (Order, error) {
	if warehouse == "" {
		warehouse = e.o.Warehouses[0]
	}
	if !slices.Contains(e.o.Warehouses, warehouse) {
		return Order{}, fmt.Errorf("warehouse %q is not one of %v", clip(warehouse), e.o.Warehouses)
	}
	items := Catalogue()
	byCode := map[string]Item{}
	for _, it := range items {
		byCode[it.Code] = it
	}
	if len(lines) == 0 {
		lines = map[string]int64{items[0].Code: 20, items[9].Code: 20, items[50].Code: 20}
	}
	if len(lines) > 200 {
		return Order{}, errors.New("an entry order has at most 200 lines")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	docCode, _, err := e.newDoc()
	if err != nil {
		return Order{}, err
	}
	var req entryCreate
	h := &req.EntryOrder
	now := e.o.Now().In(qimen.China).Format(qimen.TimestampLayout)
	h.EntryOrderCode, h.OwnerCode, h.PurchaseOrderCode, h.WarehouseCode = docCode, e.o.OwnerCode, "PO"+docCode[2:], warehouse
	h.OrderCreateTime, h.OrderType, h.ExpectStartTime, h.SupplierCode, h.SupplierName = now, "CGRK", now, "SUP001", "杭州图书供应链有限公司"
	o := Order{Code: docCode, Kind: KindEntry, Warehouse: warehouse, State: StateQueued, Made: e.o.Now().UTC()}
	codes := make([]string, 0, len(lines))
	for c := range lines {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	for i, c := range codes {
		it, ok := byCode[c]
		if !ok {
			return Order{}, fmt.Errorf("item %q is not in the catalogue", clip(c))
		}
		if q := lines[c]; q < 1 || q > 100_000 {
			return Order{}, fmt.Errorf("item %s: quantity is 1 to 100000", c)
		}
		o.Lines = append(o.Lines, OrderLine{ItemCode: c, Name: it.Name, Qty: lines[c]})
		req.OrderLines = append(req.OrderLines, xmlCreateLine{OrderLineNo: strconv.Itoa(i + 1), OwnerCode: e.o.OwnerCode,
			ItemCode: c, ItemName: it.Name, InventoryType: "ZP", PlanQty: lines[c]})
	}
	e.addOrder(&o)
	e.enqueue(qimen.EntryOrderCreate, docCode, warehouse, marshal(req))
	return o, nil
}

// SendReturn makes a return order (THRK) of every line of a delivery order the ERP made and
// queues its returnorder.create.
func (e *ERP) SendReturn(of, reason string) (Order, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	d, ok := e.orders[of]
	if !ok || d.Kind != KindDelivery {
		return Order{}, fmt.Errorf("%q is not a delivery order of this ERP", clip(of))
	}
	if reason == "" {
		reason = "七天无理由退货"
	}
	if len([]rune(reason)) > 200 {
		return Order{}, errors.New("reason is at most 200 characters")
	}
	docCode, _, err := e.newDoc()
	if err != nil {
		return Order{}, err
	}
	var req returnCreate
	h := &req.ReturnOrder
	h.ReturnOrderCode, h.WarehouseCode, h.OwnerCode, h.OrderType, h.PreDeliveryOrderCode, h.ReturnReason =
		docCode, d.Warehouse, e.o.OwnerCode, "THRK", d.Code, reason
	if len(d.Shipped) > 0 {
		h.LogisticsCode, h.ExpressCode = d.Shipped[0].Carrier, d.Shipped[0].Waybill
	}
	h.SenderInfo = xmlContact{Name: d.Recipient, Mobile: "13800000000", Province: "浙江省", City: "杭州市", Area: "西湖区", DetailAddress: "文三路1号"}
	o := Order{Code: docCode, Kind: KindReturn, Warehouse: d.Warehouse, Of: d.Code, State: StateQueued, Made: e.o.Now().UTC()}
	for i, l := range d.Lines {
		o.Lines = append(o.Lines, l)
		req.OrderLines = append(req.OrderLines, xmlCreateLine{OrderLineNo: strconv.Itoa(i + 1), SourceOrderCode: l.SourceOrder,
			SubSourceOrderCode: l.SubSourceOrder, OwnerCode: e.o.OwnerCode, ItemCode: l.ItemCode, ItemName: l.Name, InventoryType: "ZP", PlanQty: l.Qty})
	}
	e.addOrder(&o)
	e.enqueue(qimen.ReturnOrderCreate, docCode, d.Warehouse, marshal(req))
	return o, nil
}

// Cancel queues an order.cancel of an order the ERP made. A repeat of the cancel for the
// same order sends the same body again.
func (e *ERP) Cancel(orderCode, reason string) (Call, error) {
	if reason == "" {
		reason = "买家申请退款"
	}
	if len([]rune(reason)) > 200 {
		return Call{}, errors.New("reason is at most 200 characters")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	o, ok := e.orders[orderCode]
	if !ok {
		return Call{}, fmt.Errorf("%q is not an order of this ERP", clip(orderCode))
	}
	if len(e.pending) >= maxPending {
		return Call{}, errQueueFull
	}
	typ := map[string]string{KindDelivery: "JYCK", KindEntry: "CGRK", KindReturn: "THRK"}[o.Kind]
	body := marshal(orderCancel{WarehouseCode: o.Warehouse, OwnerCode: e.o.OwnerCode, OrderCode: o.Code, OrderID: o.WMSID,
		OrderType: typ, CancelReason: reason})
	return *e.enqueue(qimen.OrderCancel, o.Code, o.Warehouse, body), nil
}

// SendItems queues items.synchronize of the whole catalogue to each warehouse.
func (e *ERP) SendItems() ([]Call, error) {
	items := Catalogue()
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.pending)+len(e.o.Warehouses) > maxPending {
		return nil, errQueueFull
	}
	var out []Call
	for _, wh := range e.o.Warehouses {
		req := itemsSync{ActionType: "add", WarehouseCode: wh, OwnerCode: e.o.OwnerCode}
		for _, it := range items {
			req.Items = append(req.Items, struct {
				ItemCode  string `xml:"itemCode"`
				ItemName  string `xml:"itemName"`
				BarCode   string `xml:"barCode"`
				ItemType  string `xml:"itemType"`
				StockUnit string `xml:"stockUnit"`
			}{it.Code, it.Name, it.Barcode, "ZC", "件"})
		}
		out = append(out, *e.enqueue(qimen.ItemsSync, "", wh, marshal(req)))
	}
	return out, nil
}

// QueryInventory queues an inventory.query of items (empty: the whole catalogue's first 20)
// at warehouse (empty: the first); the answer is kept with the call.
func (e *ERP) QueryInventory(warehouse string, items []string) (Call, error) {
	if warehouse == "" {
		warehouse = e.o.Warehouses[0]
	}
	if !slices.Contains(e.o.Warehouses, warehouse) {
		return Call{}, fmt.Errorf("warehouse %q is not one of %v", clip(warehouse), e.o.Warehouses)
	}
	if len(items) == 0 {
		for _, it := range Catalogue()[:20] {
			items = append(items, it.Code)
		}
	}
	if len(items) > 100 {
		return Call{}, errors.New("at most 100 items per query")
	}
	var req inventoryQuery
	for _, it := range items {
		if !code.MatchString(it) {
			return Call{}, fmt.Errorf("item code %q is not 1 to 64 letters, digits or _.:-", clip(it))
		}
		req.Criteria = append(req.Criteria, struct {
			WarehouseCode string `xml:"warehouseCode"`
			OwnerCode     string `xml:"ownerCode"`
			ItemCode      string `xml:"itemCode"`
			InventoryType string `xml:"inventoryType"`
		}{warehouse, e.o.OwnerCode, it, "ZP"})
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.pending) >= maxPending {
		return Call{}, errQueueFull
	}
	return *e.enqueue(qimen.InventoryQuery, "", warehouse, marshal(req)), nil
}

// Orders lists the documents the ERP made, oldest first.
func (e *ERP) Orders() []Order {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Order, 0, len(e.ordOrder))
	for _, c := range e.ordOrder {
		o := *e.orders[c]
		o.Lines, o.Shipped, o.Received, o.Lacking = slices.Clone(o.Lines), slices.Clone(o.Shipped), slices.Clone(o.Received), slices.Clone(o.Lacking)
		out = append(out, o)
	}
	return out
}

// applyAnswer records what a create or cancel call's answer says of its order. The caller
// holds e.mu.
func (e *ERP) applyAnswer(c *Call, a answer) {
	o := e.orders[c.Doc]
	if o == nil {
		return
	}
	ok := a.Flag == string(qimen.FlagSuccess)
	switch c.Method {
	case qimen.DeliveryCreate, qimen.EntryOrderCreate, qimen.ReturnOrderCreate:
		if o.State != StateQueued && o.State != StateUnanswered {
			return // a confirmation came first (through a hub, say)
		}
		if ok {
			o.State = StateAccepted
			o.WMSID = clip(a.DeliveryOrderID + a.EntryOrderID + a.ReturnOrderID)
		} else {
			o.State, o.Code2, o.Message = StateRefused, clip(a.Code), clip(a.Message)
		}
	case qimen.OrderCancel:
		if ok && o.State != StateDone {
			o.State = StateCancelled
		}
		if !ok {
			o.CancelNote = clip(a.Code + " " + a.Message)
		}
	}
}

// applyConfirm records what a new confirmation says of an order the ERP made (one it did not
// make is only kept as a confirmation). The caller holds e.mu.
func (e *ERP) applyConfirm(c Confirmation) {
	o := e.orders[c.OrderCode]
	if o == nil {
		return
	}
	switch c.Method {
	case qimen.DeliveryConfirm, qimen.StockOutConfirm:
		o.Shipped = append(o.Shipped, c.Packages...)
		o.Received = append(o.Received, c.Lines...)
		switch c.Status {
		case "PARTDELIVERED":
			o.State = StatePartial
		case "CANCELED":
			o.State = StateCancelled
		case "", "DELIVERED":
			o.State = StateDone
		default:
			o.Process = c.Status
		}
	case qimen.EntryOrderConfirm, qimen.ReturnOrderConfirm:
		o.Received = append(o.Received, c.Lines...)
		if c.Status == "PARTFULFILLED" {
			o.State = StatePartial
		} else {
			o.State = StateDone
		}
	case qimen.OrderProcessReport:
		o.Process = c.Status
		if c.Status == "CANCELED" && o.State != StateDone {
			o.State = StateCancelled
		}
		if o.State == StateQueued || o.State == StateUnanswered {
			o.State = StateAccepted // the WMS has it, whatever became of the create's answer
		}
	case qimen.ItemLackReport:
		o.Lacking = append(o.Lacking, c.Lines...)
	}
}
