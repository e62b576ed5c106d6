package syncer

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"tally/syncer/qimen"
	"tally/wms"
)

const (
	qmSecret   = "erp-secret-0123456789"
	qmCustomer = "stub-cust-code"
	qmOwner    = "ERP-OWNER-1"
)

// qimenAnswer is any answer as the ERP reads it.
type qimenAnswer struct {
	XMLName         xml.Name `xml:"response"`
	Flag            string   `xml:"flag"`
	Code            string   `xml:"code"`
	Message         string   `xml:"message"`
	ItemID          string   `xml:"itemId"`
	EntryOrderID    string   `xml:"entryOrderId"`
	ReturnOrderID   string   `xml:"returnOrderId"`
	DeliveryOrderID string   `xml:"deliveryOrderId"`
	CreateTime      string   `xml:"createTime"`
	Items           []struct {
		ItemCode string `xml:"itemCode"`
		Code     string `xml:"code"`
	} `xml:"items>item"`
	Orders []struct {
		DeliveryOrderCode string `xml:"deliveryOrderCode"`
		Flag              string `xml:"flag"`
		Code              string `xml:"code"`
		DeliveryOrderID   string `xml:"deliveryOrderId"`
	} `xml:"orders>order"`
}

type qimenRig struct {
	*rig
	up  wms.Upstream
	now time.Time
}

func newQimenRig(t *testing.T) *qimenRig {
	t.Helper()
	r := newRig(t, Options{})
	up, err := r.l.SaveUpstream(bg, "", wms.Upstream{Name: "erp", Dialect: wms.DialectQimen, URL: "http://127.0.0.1:9/qimen",
		Secret: qmSecret, AppKey: "testerp_appkey", CustomerID: qmCustomer, OwnerCode: qmOwner}, "B9001", "test")
	if err != nil {
		t.Fatal(err)
	}
	return &qimenRig{rig: r, up: up, now: time.Now()}
}

// params are a call's signed query parameters.
func (q *qimenRig) params(method string, body []byte, at time.Time) url.Values {
	p := url.Values{}
	p.Set("app_key", "testerp_appkey")
	p.Set("customerId", qmCustomer)
	p.Set("format", "xml")
	p.Set("method", qimen.FullMethod(method))
	p.Set("sign_method", "md5")
	p.Set("timestamp", qimen.Timestamp(at))
	p.Set("v", "2.0")
	p.Set("sign", qimen.Sign(p, body, qmSecret))
	return p
}

// call makes a signed call and returns the raw answer.
func (q *qimenRig) call(method, body string) []byte {
	q.t.Helper()
	return q.s.ServeQimen(bg, q.params(method, []byte(body), time.Now()), []byte(body))
}

func decodeAnswer(t *testing.T, raw []byte) qimenAnswer {
	t.Helper()
	var a qimenAnswer
	if err := xml.Unmarshal(raw, &a); err != nil {
		t.Fatalf("answer %s: %v", raw, err)
	}
	return a
}

// ok makes a call that must succeed, checks that a repeat answers the same
// bytes and appends nothing, and returns the answer.
func (q *qimenRig) ok(method, body string) qimenAnswer {
	q.t.Helper()
	before := q.l.LastSeq()
	raw := q.call(method, body)
	a := decodeAnswer(q.t, raw)
	if a.Flag != "success" {
		q.t.Fatalf("%s: %s %s", method, a.Code, a.Message)
	}
	if q.l.LastSeq() == before {
		q.t.Fatalf("%s appended nothing", method)
	}
	after := q.l.LastSeq()
	again := q.call(method, body)
	if !bytes.Equal(again, raw) {
		q.t.Errorf("%s repeated answered\n%s\nfirst\n%s", method, again, raw)
	}
	if q.l.LastSeq() != after {
		q.t.Errorf("%s repeated appended %d events", method, q.l.LastSeq()-after)
	}
	return a
}

// fails makes a call that must fail with code and change nothing.
func (q *qimenRig) fails(method, body, code string) qimenAnswer {
	q.t.Helper()
	before := q.l.LastSeq()
	a := decodeAnswer(q.t, q.call(method, body))
	if a.Flag != "failure" || a.Code != code || a.Message == "" {
		q.t.Errorf("%s: answered %s %q %q, want failure %q", method, a.Flag, a.Code, a.Message, code)
	}
	if q.l.LastSeq() != before {
		q.t.Errorf("%s failed yet appended %d events", method, q.l.LastSeq()-before)
	}
	return a
}

func deliveryBody(code, platform, item string, qty int, extra string) string {
	return fmt.Sprintf(`<?xml version="1.0" encoding="utf-8"?><request><deliveryOrder><deliveryOrderCode>%s</deliveryOrderCode>
<orderType>JYCK</orderType><warehouseCode>WH1</warehouseCode><sourcePlatformCode>%s</sourcePlatformCode><shopNick>茶叶旗舰店</shopNick>
<logisticsCode>SF</logisticsCode><buyerMessage>请尽快发货</buyerMessage>
<receiverInfo><name>张三</name><mobile>13800000000</mobile><province>浙江省</province><city>杭州市</city><area>西湖区</area>
<detailAddress>文三路 1 号</detailAddress></receiverInfo>%s</deliveryOrder>
<orderLines><orderLine><orderLineNo>1</orderLineNo><sourceOrderCode>TB-100</sourceOrderCode><subSourceOrderCode>TB-100-1</subSourceOrderCode>
<ownerCode>%s</ownerCode><itemCode>%s</itemCode><planQty>%d</planQty></orderLine></orderLines></request>`, code, platform, extra, qmOwner, item, qty)
}

// Every write method against a real ledger: each takes effect once, a
// repeat answers the same and changes nothing, the same code with other
// content is refused.
func TestQimenWriteMethods(t *testing.T) {
	q := newQimenRig(t)

	// items.synchronize: one good, one with a non-numeric weight (the standard's partial answer)
	items := `<request><actionType>add</actionType><warehouseCode>WH1</warehouseCode><ownerCode>` + qmOwner + `</ownerCode><items>
<item><itemCode>QM-TEA-1</itemCode><itemName>西湖龙井 250g</itemName><barCode>6901234567892;ERP-OWN-CODE</barCode>
<length>20.5</length><width>10</width><height>5</height><grossWeight>0.26</grossWeight><shelfLife>12960</shelfLife><isBatchMgmt>Y</isBatchMgmt></item>
<item><itemCode>QM-BAD</itemCode><itemName>坏数据</itemName><grossWeight>heavy</grossWeight></item>
</items></request>`
	before := q.l.LastSeq()
	raw := q.call(qimen.ItemsSync, items)
	a := decodeAnswer(t, raw)
	if a.Flag != "failure" || a.Code != QimenPartial || len(a.Items) != 1 || a.Items[0].ItemCode != "QM-BAD" || a.Items[0].Code != QimenBadRequest {
		t.Fatalf("items.synchronize answered %+v", a)
	}
	if got := q.l.LastSeq() - before; got != 1 {
		t.Fatalf("items.synchronize appended %d events, want 1", got)
	}
	if again := q.call(qimen.ItemsSync, items); !bytes.Equal(again, raw) || q.l.LastSeq() != before+1 {
		t.Errorf("a repeated items.synchronize answered %s and appended %d", again, q.l.LastSeq()-before-1)
	}
	sku, err := q.l.SKU("QM-TEA-1")
	if err != nil || sku.Name != "西湖龙井 250g" || sku.UnitWeightG != 260 || sku.LengthMM != 205 || sku.ShelfLifeDays != 540 ||
		!sku.LotTracked || len(sku.GTINs) != 1 {
		t.Errorf("sku %+v %v", sku, err)
	}

	// singleitem.synchronize: new item; an update of it is a new content, taken
	one := `<request><actionType>add</actionType><ownerCode>` + qmOwner + `</ownerCode><item><itemCode>QM-CUP-1</itemCode><itemName>茶杯</itemName><grossWeight>0.3</grossWeight></item></request>`
	if a := q.ok(qimen.ItemSync, one); a.ItemID != "QM-CUP-1" {
		t.Errorf("itemId %q", a.ItemID)
	}
	q.ok(qimen.ItemSync, strings.Replace(one, "0.3", "0.35", 1))
	if sku, _ := q.l.SKU("QM-CUP-1"); sku.UnitWeightG != 350 {
		t.Errorf("updated item weighs %d g", sku.UnitWeightG)
	}

	// entryorder.create
	entry := `<request><entryOrder><entryOrderCode>ASN-QM-1</entryOrderCode><ownerCode>` + qmOwner + `</ownerCode><warehouseCode>WH1</warehouseCode>
<orderType>CGRK</orderType><supplierName>华东茶叶</supplierName></entryOrder><orderLines>
<orderLine><ownerCode>` + qmOwner + `</ownerCode><itemCode>QM-TEA-1</itemCode><planQty>96.0000</planQty></orderLine>
<orderLine><ownerCode>` + qmOwner + `</ownerCode><itemCode>QM-TEA-1</itemCode><planQty>4</planQty></orderLine></orderLines></request>`
	if a := q.ok(qimen.EntryOrderCreate, entry); a.EntryOrderID != "ASN-QM-1" {
		t.Errorf("entryOrderId %q", a.EntryOrderID)
	}
	rc, err := q.l.Receipt("ASN-QM-1")
	if err != nil || rc.Supplier != "华东茶叶" || len(rc.Lines) != 1 || rc.Lines[0].Expected != 100 {
		t.Errorf("receipt %+v %v", rc, err)
	}
	q.fails(qimen.EntryOrderCreate, strings.Replace(entry, "<planQty>4<", "<planQty>5<", 1), QimenKeyChanged)

	// deliveryorder.create
	d := deliveryBody("DO-QM-1", "TB", "SKU03000", 1, "")
	a = q.ok(qimen.DeliveryCreate, d)
	if a.DeliveryOrderID != "DO-QM-1" || a.CreateTime == "" {
		t.Errorf("delivery answer %+v", a)
	}
	o, err := q.l.Order("DO-QM-1")
	if err != nil || o.Platform != "TB" || o.Carrier != "SF" || o.Shop != "茶叶旗舰店" || o.Recipient.Address != "浙江省杭州市西湖区文三路 1 号" ||
		len(o.PlatformOrderIDs) != 1 || o.PlatformOrderIDs[0] != "TB-100" || o.Lines[0].PlatformSubOrderID != "TB-100-1" || o.Channel == QimenStockOutChannel {
		t.Errorf("order %+v %v", o, err)
	}
	q.fails(qimen.DeliveryCreate, deliveryBody("DO-QM-1", "TB", "SKU03000", 2, ""), QimenKeyChanged)

	// deliveryorder.batchcreate: the first order again (answered as before), a new one, one for an unknown SKU
	batch := `<request><orders>` + batchOrder(deliveryBody("DO-QM-1", "TB", "SKU03000", 1, "")) +
		batchOrder(deliveryBody("DO-QM-2", "WPH", "SKU03000", 2, "")) + batchOrder(deliveryBody("DO-QM-3", "TB", "NO-SUCH-SKU", 1, "")) + `</orders></request>`
	before = q.l.LastSeq()
	raw = q.call(qimen.DeliveryBatch, batch)
	a = decodeAnswer(t, raw)
	if a.Flag != "failure" || a.Code != QimenPartial || len(a.Orders) != 3 ||
		a.Orders[0].Flag != "success" || a.Orders[1].Flag != "success" || a.Orders[1].DeliveryOrderID != "DO-QM-2" ||
		a.Orders[2].Flag != "failure" || a.Orders[2].Code != "sku.not_found" {
		t.Fatalf("batch answered %s", raw)
	}
	if got := q.l.LastSeq() - before; got != 1 {
		t.Errorf("the batch appended %d events, want 1 (DO-QM-2)", got)
	}
	if again := q.call(qimen.DeliveryBatch, batch); !bytes.Equal(again, raw) || q.l.LastSeq() != before+1 {
		t.Errorf("a repeated batch answered %s", again)
	}
	if o, _ := q.l.Order("DO-QM-2"); o.Platform != "VIP" {
		t.Errorf("WPH became platform %q", o.Platform)
	}

	// stockout.create
	so := strings.Replace(strings.Replace(deliveryBody("SO-QM-1", "", "SKU03000", 3, "<supplierName>华东茶叶</supplierName>"), "JYCK", "CGTH", 1),
		"<sourceOrderCode>TB-100</sourceOrderCode><subSourceOrderCode>TB-100-1</subSourceOrderCode>", "", 1)
	a = q.ok(qimen.StockOutCreate, so)
	if o, err := q.l.Order("SO-QM-1"); err != nil || o.Channel != QimenStockOutChannel || a.DeliveryOrderID != "SO-QM-1" {
		t.Errorf("stock-out %+v %v, answer %+v", o, err, a)
	}

	// returnorder.create against the delivery order
	ret := `<request><returnOrder><returnOrderCode>RT-QM-1</returnOrderCode><warehouseCode>WH1</warehouseCode><orderType>THRK</orderType>
<preDeliveryOrderCode>DO-QM-1</preDeliveryOrderCode><logisticsCode>SF</logisticsCode><expressCode>SF1400099</expressCode><returnReason>尺码不合适</returnReason>
<senderInfo><name>张三</name><mobile>13800000000</mobile></senderInfo></returnOrder><orderLines>
<orderLine><ownerCode>` + qmOwner + `</ownerCode><itemCode>SKU03000</itemCode><planQty>1</planQty></orderLine></orderLines></request>`
	if a := q.ok(qimen.ReturnOrderCreate, ret); a.ReturnOrderID != "RT-QM-1" {
		t.Errorf("returnOrderId %q", a.ReturnOrderID)
	}
	q.fails(qimen.ReturnOrderCreate, strings.Replace(ret, "尺码不合适", "不想要了", 1), QimenKeyChanged)

	// order.cancel of the second delivery order
	cancel := `<request><warehouseCode>WH1</warehouseCode><ownerCode>` + qmOwner + `</ownerCode><orderCode>DO-QM-2</orderCode><orderType>JYCK</orderType><cancelReason>买家取消</cancelReason></request>`
	q.ok(qimen.OrderCancel, cancel)
	if o, _ := q.l.Order("DO-QM-2"); o.State != wms.OrderCancelled {
		t.Errorf("cancelled order is %s", o.State)
	}
	q.fails(qimen.OrderCancel, strings.Replace(cancel, "买家取消", "缺货", 1), QimenKeyChanged)
	q.fails(qimen.OrderCancel, strings.Replace(strings.Replace(cancel, "JYCK", "CGRK", 1), "DO-QM-2", "ASN-QM-1", 1), QimenNotCancellable)
	q.fails(qimen.OrderCancel, strings.Replace(cancel, "DO-QM-2", "DO-NOWHERE", 1), "order.not_found")

	// an ownerCode that is not the upstream's
	q.fails(qimen.DeliveryCreate, strings.Replace(deliveryBody("DO-QM-9", "TB", "SKU03000", 1, ""), qmOwner, "SOMEONE-ELSE", 1), QimenOwnerMismatch)
	q.fails(qimen.OrderCancel, strings.Replace(cancel, qmOwner, "SOMEONE-ELSE", 1), QimenOwnerMismatch)
}

func batchOrder(deliveryBody string) string {
	inner := deliveryBody[strings.Index(deliveryBody, "<deliveryOrder>"):strings.LastIndex(deliveryBody, "</request>")]
	return "<order>" + inner + "</order>"
}

// A request that is malformed, too large, badly signed, stale or from no
// known ERP is a clear failure and changes nothing.
func TestQimenRefusals(t *testing.T) {
	q := newQimenRig(t)
	good := deliveryBody("DO-QM-R", "TB", "SKU03000", 1, "")
	for _, tc := range []struct {
		name   string
		body   string
		params func(url.Values, []byte)
		code   string
	}{
		{"malformed xml", `<request><deliveryOrder></request>`, nil, QimenBadXML},
		{"wrong root", `<order><deliveryOrderCode>X</deliveryOrderCode></order>`, nil, QimenBadXML},
		{"empty", ``, nil, QimenBadXML},
		{"over 1 MiB", `<request>` + strings.Repeat(" ", qimen.MaxBody) + `</request>`, nil, QimenTooLarge},
		{"missing element", strings.Replace(good, "<name>张三</name>", "", 1), nil, QimenBadRequest},
		{"fractional qty", strings.Replace(good, "<planQty>1<", "<planQty>1.5<", 1), nil, QimenBadRequest},
		{"bad sign", good, func(p url.Values, _ []byte) { p.Set("sign", strings.Repeat("A", 32)) }, QimenBadSign},
		{"no sign", good, func(p url.Values, _ []byte) { p.Del("sign") }, QimenBadSign},
		{"body changed after signing", good, func(p url.Values, b []byte) { b[len(b)-3] = 'X' }, QimenBadSign},
		{"stale timestamp", good, func(p url.Values, b []byte) {
			p.Set("timestamp", qimen.Timestamp(time.Now().Add(-11*time.Minute)))
			p.Set("sign", qimen.Sign(p, b, qmSecret))
		}, QimenBadTimestamp},
		{"unknown customer", good, func(p url.Values, b []byte) {
			p.Set("customerId", "nobody")
			p.Set("sign", qimen.Sign(p, b, qmSecret))
		}, QimenUnknownCaller},
		{"unknown method", good, func(p url.Values, b []byte) {
			p.Set("method", "taobao.qimen.warehouse.teleport")
			p.Set("sign", qimen.Sign(p, b, qmSecret))
		}, QimenBadMethod},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := []byte(tc.body)
			p := q.params(qimen.DeliveryCreate, body, time.Now())
			if tc.params != nil {
				tc.params(p, body)
			}
			before := q.l.LastSeq()
			raw := q.s.ServeQimen(bg, p, body)
			a := decodeAnswer(t, raw)
			if a.Flag != "failure" || a.Code != tc.code || a.Message == "" {
				t.Errorf("answered %s %q %q, want failure %q", a.Flag, a.Code, a.Message, tc.code)
			}
			if strings.Contains(string(raw), qmSecret) {
				t.Errorf("the answer holds the secret: %s", raw)
			}
			if q.l.LastSeq() != before {
				t.Errorf("appended %d events", q.l.LastSeq()-before)
			}
		})
	}
	if _, err := q.l.Order("DO-QM-R"); err == nil {
		t.Error("a refused order entered")
	}
}

// A call delivered by the hub is applied the same way, for the upstream the
// hub names.
func TestApplyQimenFromHub(t *testing.T) {
	q := newQimenRig(t)
	c := qimen.Call{ID: "hub-1", Upstream: "erp", Method: qimen.DeliveryCreate, Body: []byte(deliveryBody("DO-HUB-1", "JD", "SKU03000", 1, "")), At: time.Now()}
	a := decodeAnswer(t, q.s.ApplyQimen(bg, q.up, c))
	if a.Flag != "success" || a.DeliveryOrderID != "DO-HUB-1" {
		t.Fatalf("answered %+v", a)
	}
	c.Body = []byte(`<request>`)
	if a := decodeAnswer(t, q.s.ApplyQimen(bg, q.up, c)); a.Code != QimenBadXML {
		t.Errorf("a malformed body from the hub answered %+v", a)
	}
}

// A cancellation after the order shipped fails; the order stays shipped.
func TestQimenCancelAfterShipping(t *testing.T) {
	q := newQimenRig(t)
	ctx := context.Background()
	q.ok(qimen.DeliveryCreate, strings.Replace(deliveryBody("DO-SHIP-1", "TB", "SKU03000", 1, ""), "<logisticsCode>SF</logisticsCode>", "<logisticsCode>YT</logisticsCode>", 1))
	if _, err := q.l.ReleaseWave(ctx, wms.WaveFilter{Mode: wms.WaveSingle, Carrier: "YT"}, "wave-qm", "B4001", "test"); err != nil {
		t.Fatal(err)
	}
	task, err := q.l.NextTask(ctx, "B1001", "pda")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range task.Lines {
		if _, _, err := q.l.Pick(ctx, fmt.Sprintf("pk-%d", line.N), wms.PickScan{Task: task.ID, Line: line.N, Location: line.Location,
			Items: []wms.ScannedItem{{GTIN: line.GTINs[0]}}, Qty: line.Qty, Tote: "T00901"}, "B1001", "pda"); err != nil {
			t.Fatal(err)
		}
	}
	sku, _ := q.l.SKU("SKU03000")
	if _, err := q.l.PackScan(ctx, "ps-1", wms.PackScan{Order: "DO-SHIP-1", Station: "PACK-01", GTIN: sku.GTINs[0], Qty: 1}, "B2001", "kiosk"); err != nil {
		t.Fatal(err)
	}
	settings, _ := q.l.Settings()
	if _, err := q.l.CloseParcel(ctx, "pc-1", wms.ParcelClose{Order: "DO-SHIP-1", Station: "PACK-01", Box: "S1",
		WeightG: 80 + settings.WeightGate.AllowanceG + sku.UnitWeightG}, "B2001", "kiosk"); err != nil {
		t.Fatal(err)
	}
	if _, err := q.l.Ship(ctx, "", "DO-SHIP-1", "PACK-01", "B2001", "kiosk"); err != nil {
		t.Fatal(err)
	}
	a := q.fails(qimen.OrderCancel, `<request><ownerCode>`+qmOwner+`</ownerCode><orderCode>DO-SHIP-1</orderCode><orderType>JYCK</orderType></request>`, QimenShipped)
	if !strings.Contains(a.Message, "stays shipped") {
		t.Errorf("message %q", a.Message)
	}
	if o, _ := q.l.Order("DO-SHIP-1"); o.State != wms.OrderShipped {
		t.Errorf("the order is %s", o.State)
	}
}
