package fakeerp

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"tally/syncer/qimen"
)

const (
	testSecret   = "erp-secret-0123456789"
	testAppKey   = "erp-appkey"
	testCustomer = "cust-001"
)

// testNow is the ERP's clock in the tests.
var testNow = time.Date(2026, 11, 30, 6, 0, 0, 0, time.UTC)

func newTestERP(t *testing.T, mod func(*Options)) *ERP {
	t.Helper()
	o := Options{AppKey: testAppKey, CustomerID: testCustomer, Secret: testSecret, Warehouses: []string{"WH1", "WH2"},
		Now: func() time.Time { return testNow }, Attempts: 3, RetryWait: time.Millisecond}
	if mod != nil {
		mod(&o)
	}
	e, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// signedParams are the system parameters of a WMS→ERP call, signed at now.
func signedParams(method string, body []byte, secret string, now time.Time) url.Values {
	p := url.Values{"app_key": {testAppKey}, "customerId": {testCustomer}, "format": {"xml"},
		"method": {qimen.FullMethod(method)}, "sign_method": {"md5"}, "timestamp": {qimen.Timestamp(now)}, "v": {"2.0"}}
	p.Set("sign", qimen.Sign(p, body, secret))
	return p
}

// call sends one call to the ERP's handler and reads its answer.
func call(t *testing.T, h http.Handler, p url.Values, body []byte) qimen.Response {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/qimen?"+p.Encode(), bytes.NewReader(body))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Fatalf("HTTP %d: %s", w.Code, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/xml") {
		t.Fatalf("Content-Type %q", ct)
	}
	var resp qimen.Response
	if err := xml.Unmarshal(w.Body.Bytes(), &resp); err != nil {
		t.Fatalf("answer %q: %v", w.Body, err)
	}
	return resp
}

func send(t *testing.T, e *ERP, method, body string) qimen.Response {
	t.Helper()
	return call(t, e.Handler(), signedParams(method, []byte(body), testSecret, testNow), []byte(body))
}

const deliveryConfirmBody = `<?xml version="1.0" encoding="UTF-8"?>
<request><deliveryOrder><deliveryOrderCode>D1</deliveryOrderCode><deliveryOrderId>T-9</deliveryOrderId>
<warehouseCode>WH1</warehouseCode><orderType>JYCK</orderType><status>DELIVERED</status><outBizCode>EV1-1</outBizCode>
<orderConfirmTime>2026-11-30 14:00:00</orderConfirmTime></deliveryOrder>
<packages><package><logisticsCode>SF</logisticsCode><expressCode>SF1000001</expressCode><weight>1.25</weight>
<items><item><itemCode>SKU03000</itemCode><quantity>2</quantity></item></items></package>
<package><logisticsCode>SF</logisticsCode><expressCode>SF1000002</expressCode></package></packages>
<orderLines><orderLine><orderLineNo>1</orderLineNo><ownerCode>DEFAULT</ownerCode><itemCode>SKU03000</itemCode><planQty>2</planQty><actualQty>2</actualQty>
<batchCode>L1</batchCode><expireDate>2027-05-01</expireDate><snList><sn>S1</sn><sn>S2</sn></snList></orderLine>
<orderLine><orderLineNo>2</orderLineNo><itemCode>SKU00001</itemCode><batchs><batch><batchCode>B1</batchCode><expireDate>2027-01-01</expireDate><actualQty>1</actualQty></batch>
<batch><batchCode>B2</batchCode><expireDate>2027-02-01</expireDate><actualQty>3</actualQty></batch></batchs></orderLine></orderLines></request>`

func TestReceiveSignature(t *testing.T) {
	body := []byte(deliveryConfirmBody)
	for _, tc := range []struct {
		name   string
		params func() url.Values
		code   string
	}{
		{"good", func() url.Values { return signedParams(qimen.DeliveryConfirm, body, testSecret, testNow) }, ""},
		{"other secret", func() url.Values {
			return signedParams(qimen.DeliveryConfirm, body, "another-secret-0123456", testNow)
		}, "sign-check-failure"},
		{"sign missing", func() url.Values {
			p := signedParams(qimen.DeliveryConfirm, body, testSecret, testNow)
			p.Del("sign")
			return p
		}, "sign-check-failure"},
		{"stale by 11 minutes", func() url.Values {
			return signedParams(qimen.DeliveryConfirm, body, testSecret, testNow.Add(-11*time.Minute))
		}, "invalid-timestamp"},
		{"ahead by 11 minutes", func() url.Values {
			return signedParams(qimen.DeliveryConfirm, body, testSecret, testNow.Add(11*time.Minute))
		}, "invalid-timestamp"},
		{"9 minutes old passes", func() url.Values {
			return signedParams(qimen.DeliveryConfirm, body, testSecret, testNow.Add(-9*time.Minute))
		}, ""},
		{"other customer", func() url.Values {
			p := signedParams(qimen.DeliveryConfirm, body, testSecret, testNow)
			p.Set("customerId", "someone-else")
			return p
		}, "unknown-customer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestERP(t, nil)
			resp := call(t, e.Handler(), tc.params(), body)
			if tc.code == "" {
				if resp.Flag != qimen.FlagSuccess {
					t.Fatalf("answer %+v, want success", resp)
				}
				if n := len(e.Confirms("")); n != 1 {
					t.Fatalf("%d confirmations kept, want 1", n)
				}
				return
			}
			if resp.Flag != qimen.FlagFailure || resp.Code != tc.code {
				t.Fatalf("answer %+v, want failure %s", resp, tc.code)
			}
			if strings.Contains(resp.Message, testSecret) {
				t.Fatal("the secret is in the answer")
			}
			if n := len(e.Confirms("")); n != 0 {
				t.Fatalf("a refused call kept %d confirmations", n)
			}
		})
	}
	// a changed byte of the body after signing
	e := newTestERP(t, nil)
	p := signedParams(qimen.DeliveryConfirm, body, testSecret, testNow)
	changed := bytes.Replace(body, []byte("<actualQty>2</actualQty>"), []byte("<actualQty>3</actualQty>"), 1)
	if resp := call(t, e.Handler(), p, changed); resp.Code != "sign-check-failure" {
		t.Fatalf("changed body: %+v", resp)
	}
}

func TestIdempotentOutBizCode(t *testing.T) {
	e := newTestERP(t, nil)
	for i := range 3 {
		if resp := send(t, e, qimen.DeliveryConfirm, deliveryConfirmBody); resp.Flag != qimen.FlagSuccess {
			t.Fatalf("send %d: %+v", i+1, resp)
		}
	}
	got := e.Confirms(qimen.DeliveryConfirm)
	if len(got) != 1 || got[0].Received != 3 {
		t.Fatalf("kept %+v, want one confirmation received 3 times", got)
	}
	other := strings.Replace(deliveryConfirmBody, "SF1000002", "SF1000003", 1)
	resp := send(t, e, qimen.DeliveryConfirm, other)
	if resp.Flag != qimen.FlagFailure || resp.Code != "outbizcode-conflict" {
		t.Fatalf("same outBizCode, other body: %+v", resp)
	}
	got = e.Confirms("")
	if len(got) != 1 || got[0].Packages[1].Waybill != "SF1000002" {
		t.Fatalf("the conflict changed what is kept: %+v", got)
	}
	// the same outBizCode under another method is another confirmation
	so := strings.Replace(deliveryConfirmBody, "JYCK", "PTCK", 1)
	if resp := send(t, e, qimen.StockOutConfirm, so); resp.Flag != qimen.FlagSuccess {
		t.Fatalf("stockout.confirm with the same outBizCode: %+v", resp)
	}
	st := e.Received()[qimen.DeliveryConfirm]
	if st != (RecvStats{Accepted: 1, Repeated: 2, Conflict: 1}) {
		t.Fatalf("stats %+v", st)
	}
}

func TestStockChangeItemsEachKeyed(t *testing.T) {
	e := newTestERP(t, nil)
	item := func(key, qty string) string {
		return `<item><ownerCode>DEFAULT</ownerCode><warehouseCode>WH2</warehouseCode><orderCode>ADJ1</orderCode><orderType>PDTZ</orderType>` +
			`<outBizCode>` + key + `</outBizCode><itemCode>SKU03001</itemCode><inventoryType>ZP</inventoryType><quantity>` + qty +
			`</quantity><changeTime>2026-11-30 13:59:00</changeTime></item>`
	}
	first := `<request><items>` + item("E1", "-2") + item("E2", "5") + `</items></request>`
	if resp := send(t, e, qimen.StockChangeReport, first); resp.Flag != qimen.FlagSuccess {
		t.Fatal(resp)
	}
	// one old item again plus a new one: success, the old one counted once
	second := `<request><items>` + item("E2", "5") + item("E3", "1") + `</items></request>`
	if resp := send(t, e, qimen.StockChangeReport, second); resp.Flag != qimen.FlagSuccess {
		t.Fatal(resp)
	}
	got := e.Confirms(qimen.StockChangeReport)
	if len(got) != 3 || got[0].Lines[0].Qty != -2 || got[1].Received != 2 || got[2].OutBizCode != "E3" {
		t.Fatalf("kept %+v", got)
	}
	// an old key with another quantity: refused, and the new item beside it is not kept
	third := `<request><items>` + item("E4", "1") + item("E1", "-3") + `</items></request>`
	if resp := send(t, e, qimen.StockChangeReport, third); resp.Code != "outbizcode-conflict" {
		t.Fatal(resp)
	}
	if n := len(e.Confirms("")); n != 3 {
		t.Fatalf("%d kept after a conflict, want 3", n)
	}
}

func TestParseEachConfirmation(t *testing.T) {
	c, err := Parse(qimen.DeliveryConfirm, []byte(deliveryConfirmBody))
	if err != nil {
		t.Fatal(err)
	}
	if c.OrderCode != "D1" || c.OrderID != "T-9" || c.Warehouse != "WH1" || c.Status != "DELIVERED" || c.OutBizCode != "EV1-1" ||
		c.OwnerCode != "DEFAULT" || len(c.Packages) != 2 || c.Packages[0].Carrier != "SF" || c.Packages[0].Waybill != "SF1000001" ||
		len(c.Packages[0].Items) != 1 || c.Packages[0].Items[0].Qty != 2 {
		t.Fatalf("deliveryorder.confirm header or packages: %+v", c)
	}
	if len(c.Lines) != 3 || c.Lines[0].BatchCode != "L1" || c.Lines[0].ExpireDate != "2027-05-01" ||
		strings.Join(c.Lines[0].SNs, ",") != "S1,S2" || c.Lines[1].BatchCode != "B1" || c.Lines[2].Qty != 3 || c.Lines[2].ExpireDate != "2027-02-01" {
		t.Fatalf("deliveryorder.confirm lines: %+v", c.Lines)
	}

	for _, tc := range []struct {
		method, body string
		check        func(Confirmation) bool
	}{
		{qimen.StockOutConfirm, `<request><deliveryOrder><deliveryOrderCode>S1</deliveryOrderCode><warehouseCode>WH1</warehouseCode><orderType>PTCK</orderType>` +
			`<status>DELIVERED</status><outBizCode>K2</outBizCode></deliveryOrder><packages><package><logisticsCode>JD</logisticsCode><expressCode>JDVA1</expressCode></package></packages>` +
			`<orderLines><orderLine><itemCode>SKU04001</itemCode><actualQty>10</actualQty></orderLine></orderLines></request>`,
			func(c Confirmation) bool {
				return c.OrderCode == "S1" && c.Packages[0].Waybill == "JDVA1" && c.Lines[0].Qty == 10
			}},
		{qimen.EntryOrderConfirm, `<request><entryOrder><entryOrderCode>E1</entryOrderCode><ownerCode>DEFAULT</ownerCode><entryOrderId>R-1</entryOrderId>` +
			`<warehouseCode>WH1</warehouseCode><entryOrderType>CGRK</entryOrderType><outBizCode>K3</outBizCode><status>FULFILLED</status></entryOrder>` +
			`<orderLines><orderLine><itemCode>SKU03000</itemCode><planQty>20</planQty><actualQty>19</actualQty><batchCode>L9</batchCode><expireDate>2028-01-31</expireDate></orderLine></orderLines></request>`,
			func(c Confirmation) bool {
				return c.OrderCode == "E1" && c.OrderID == "R-1" && c.OrderType == "CGRK" && c.Status == "FULFILLED" &&
					c.Lines[0].PlanQty == 20 && c.Lines[0].Qty == 19 && c.Lines[0].BatchCode == "L9"
			}},
		{qimen.ReturnOrderConfirm, `<request><returnOrder><returnOrderCode>RT1</returnOrderCode><warehouseCode>WH2</warehouseCode><orderType>THRK</orderType>` +
			`<outBizCode>K4</outBizCode></returnOrder><orderLines><orderLine><itemCode>SKU03000</itemCode><inventoryType>CC</inventoryType><actualQty>1</actualQty></orderLine></orderLines></request>`,
			func(c Confirmation) bool { return c.OrderCode == "RT1" && c.Lines[0].InventoryType == "CC" }},
		{qimen.InventoryReport, `<request><warehouseCode>WH1</warehouseCode><ownerCode>DEFAULT</ownerCode><checkOrderCode>CNT-7</checkOrderCode>` +
			`<checkTime>2026-11-30 10:00:00</checkTime><outBizCode>K5</outBizCode><items><item><itemCode>SKU03002</itemCode><inventoryType>ZP</inventoryType>` +
			`<quantity>-1</quantity></item></items></request>`,
			func(c Confirmation) bool { return c.OrderCode == "CNT-7" && c.Lines[0].Qty == -1 }},
		{qimen.OrderProcessReport, `<request><order><orderCode>D1</orderCode><orderType>JYCK</orderType><warehouseCode>WH1</warehouseCode></order>` +
			`<process><processStatus>ACCEPT</processStatus><operateTime>2026-11-30 09:00:00</operateTime><operateInfo>仓库接单</operateInfo></process>` +
			`<outBizCode>K6</outBizCode></request>`,
			func(c Confirmation) bool {
				return c.OrderCode == "D1" && c.Status == "ACCEPT" && c.OutBizCode == "K6" && c.Info == "仓库接单"
			}},
		{qimen.ItemLackReport, `<request><warehouseCode>WH1</warehouseCode><ownerCode>DEFAULT</ownerCode><deliveryOrderCode>D1</deliveryOrderCode>` +
			`<outBizCode>K7</outBizCode><items><item><itemCode>SKU03000</itemCode><planQty>2</planQty><lackQty>1</lackQty><reason>库位缺货</reason></item></items></request>`,
			func(c Confirmation) bool {
				return c.OrderCode == "D1" && c.Lines[0].Qty == 1 && c.Lines[0].PlanQty == 2 && c.Lines[0].Reason == "库位缺货"
			}},
	} {
		c, err := Parse(tc.method, []byte(tc.body))
		if err != nil {
			t.Fatalf("%s: %v", tc.method, err)
		}
		if c.Method != tc.method || c.Warehouse == "" || !tc.check(c) {
			t.Fatalf("%s: %+v", tc.method, c)
		}
		// and the ERP takes it
		e := newTestERP(t, nil)
		if resp := send(t, e, tc.method, tc.body); resp.Flag != qimen.FlagSuccess {
			t.Fatalf("%s: %+v", tc.method, resp)
		}
	}
}

func TestReceiveRefusesContent(t *testing.T) {
	for _, tc := range []struct {
		name, method, body, code string
	}{
		{"unknown method", "deliveryorder.create", deliveryConfirmBody, "invalid-method"},
		{"made-up method", "deliveryorder.explode", deliveryConfirmBody, "invalid-method"},
		{"not XML", qimen.DeliveryConfirm, `{"deliveryOrderCode":"D1"}`, "invalid-xml"},
		{"wrong root", qimen.DeliveryConfirm, `<response><flag>success</flag></response>`, "invalid-xml"},
		{"unclosed", qimen.DeliveryConfirm, `<request><deliveryOrder>`, "invalid-xml"},
		{"no outBizCode", qimen.DeliveryConfirm, strings.Replace(deliveryConfirmBody, "<outBizCode>EV1-1</outBizCode>", "", 1), "invalid-content"},
		{"no waybill", qimen.DeliveryConfirm, strings.Replace(deliveryConfirmBody, "<expressCode>SF1000001</expressCode>", "", 1), "invalid-content"},
		{"no packages", qimen.DeliveryConfirm, deliveryConfirmBody[:strings.Index(deliveryConfirmBody, "<packages>")] +
			deliveryConfirmBody[strings.Index(deliveryConfirmBody, "</packages>")+len("</packages>"):], "invalid-content"},
		{"half a unit", qimen.DeliveryConfirm, strings.Replace(deliveryConfirmBody, "<actualQty>2</actualQty>", "<actualQty>1.5</actualQty>", 1), "invalid-content"},
		{"negative", qimen.DeliveryConfirm, strings.Replace(deliveryConfirmBody, "<actualQty>2</actualQty>", "<actualQty>-2</actualQty>", 1), "invalid-content"},
		{"bad date", qimen.DeliveryConfirm, strings.Replace(deliveryConfirmBody, "2027-05-01", "2027/05/01", 1), "invalid-content"},
		{"other owner", qimen.DeliveryConfirm, strings.Replace(deliveryConfirmBody, "<ownerCode>DEFAULT", "<ownerCode>BEIBEI", 1), "invalid-owner"},
		{"other warehouse", qimen.DeliveryConfirm, strings.Replace(deliveryConfirmBody, "<warehouseCode>WH1", "<warehouseCode>WH9", 1), "invalid-warehouse"},
		{"no lack", qimen.ItemLackReport, `<request><warehouseCode>WH1</warehouseCode><deliveryOrderCode>D1</deliveryOrderCode><outBizCode>K</outBizCode>` +
			`<items><item><itemCode>A</itemCode><lackQty>0</lackQty></item></items></request>`, "invalid-content"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestERP(t, nil)
			resp := send(t, e, tc.method, tc.body)
			if resp.Flag != qimen.FlagFailure || resp.Code != tc.code || resp.Message == "" {
				t.Fatalf("answer %+v, want failure %s with a message", resp, tc.code)
			}
			if n := len(e.Confirms("")); n != 0 {
				t.Fatalf("kept %d", n)
			}
		})
	}
	// over 1 MiB
	e := newTestERP(t, nil)
	big := []byte("<request>" + strings.Repeat("x", qimen.MaxBody) + "</request>")
	if resp := call(t, e.Handler(), signedParams(qimen.DeliveryConfirm, big, testSecret, testNow), big); resp.Code != "body-too-large" {
		t.Fatalf("over 1 MiB: %+v", resp)
	}
}

// FuzzParse: any body of any method is read without panicking, and one that parses names
// an order or item and the method.
func FuzzParse(f *testing.F) {
	f.Add(qimen.DeliveryConfirm, []byte(deliveryConfirmBody))
	f.Add(qimen.StockChangeReport, []byte(`<request><items><item><outBizCode>a</outBizCode><itemCode>b</itemCode><warehouseCode>c</warehouseCode><quantity>1</quantity></item></items></request>`))
	f.Add(qimen.ItemLackReport, []byte(`<request/>`))
	f.Fuzz(func(t *testing.T, method string, body []byte) {
		c, err := Parse(method, body)
		if err != nil {
			return
		}
		if c.Method != method || (c.OrderCode == "" && len(c.Lines) == 0) {
			t.Fatalf("parsed %+v", c)
		}
	})
}
