package server

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"tally/wms"
)

// Through the API: free text, printers and waybill numbers are checked on
// the way in, refused with a JSON error that says what is wrong, and a
// refused request changes nothing.
func TestAPIInputLimits(t *testing.T) {
	s, l := testServer(t)
	ctx := context.Background()
	admin, err := l.CreateToken(ctx, "oms", wms.RoleAdmin, "test")
	if err != nil {
		t.Fatal(err)
	}
	in := wms.OrderIntake{No: "LIM-1", Channel: "tmall", Recipient: wms.Recipient{Name: "王芳", Phone: "13800138000", Address: "杭州市文三路 100 号"},
		Lines: []wms.OrderLineIn{{LineIn: wms.LineIn{SKU: "SKU00000", Qty: 1}}}}
	if _, _, err := l.ReceiveOrder(ctx, "", in, "oms", "api"); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("长", 100_000)
	js, _ := json.Marshal(long)
	cases := []struct {
		name, method, path, body string
		status                   int
		key, says, saysZH        string
	}{
		{"printer 1", "PUT", "/api/v1/stations/LIM-P", `{"name":"A","printer":"1"}`, 400, "station.printer_invalid", "is not a printer Tally can reach", "不是可用的打印机"},
		{"printer with a command", "PUT", "/api/v1/stations/LIM-P", `{"name":"A","printer":"cups:x;rm -rf /"}`, 400, "station.printer_invalid", "cups:QUEUE", "cups:队列名"},
		{"long station name", "PUT", "/api/v1/stations/LIM-P", `{"name":` + string(js) + `,"printer":"browser"}`, 400, "text.too_long", "The name is longer than 200 characters", "名称超过 200 个字符"},
		{"waybill 1", "POST", "/api/v1/waybills", `{"account":"SF","numbers":["1"]}`, 400, "waybill.number_format", "is not a waybill number", "不是运单号"},
		{"waybill markup", "POST", "/api/v1/waybills", `{"account":"SF","numbers":["<script>"]}`, 400, "waybill.number_format", "<script>", "<script>"},
		{"waybill emoji", "POST", "/api/v1/waybills", `{"account":"SF","numbers":["💥"]}`, 400, "waybill.number_format", "💥", "💥"},
		{"long cancellation reason", "POST", "/api/v1/orders/LIM-1/cancel", `{"reason":` + string(js) + `}`, 400, "text.too_long", "The reason is longer than 1000 characters", "原因超过 1000 个字符"},
	}
	for _, tc := range cases {
		for _, lang := range []string{"en", "zh-CN"} {
			t.Run(tc.name+"/"+lang, func(t *testing.T) {
				c := newClient(t, s)
				c.bearer, c.lang = admin, lang
				before := l.LastSeq()
				resp, body := c.do(tc.method, tc.path, strings.NewReader(tc.body),
					map[string]string{"Content-Type": "application/json", "Idempotency-Key": "lim-" + tc.name + lang})
				var e apiError
				if err := json.Unmarshal([]byte(body), &e); err != nil || resp.StatusCode != tc.status || e.Key != tc.key {
					t.Fatalf("%d %.300s, want %d %s", resp.StatusCode, body, tc.status, tc.key)
				}
				says := tc.says
				if lang == "zh-CN" {
					says = tc.saysZH
				}
				if !strings.Contains(e.Error, says) || len(body) > 2000 {
					t.Errorf("error %.300q does not say %q (or repeats the input: %d bytes)", e.Error, says, len(body))
				}
				if l.LastSeq() != before {
					t.Error("a refused request changed the log")
				}
			})
		}
	}
	if o, _ := l.Order("LIM-1"); o.State == wms.OrderCancelled {
		t.Error("the order was cancelled")
	}
}

// A known ASN sent again: the same content is 200 with the receipt, other
// content is 409 receipt.changed and the receipt stays as it was.
func TestAPIReceiptResent(t *testing.T) {
	s, l := testServer(t)
	token, err := l.CreateToken(context.Background(), "erp", wms.RoleAdmin, "test")
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, s)
	c.bearer = token
	send := func(key, body string) (int, map[string]any) {
		resp, raw := c.do("POST", "/api/v1/receipts", strings.NewReader(body), map[string]string{"Content-Type": "application/json", "Idempotency-Key": key})
		var out map[string]any
		_ = json.Unmarshal([]byte(raw), &out)
		return resp.StatusCode, out
	}
	asn := `{"id":"ASN-R1","supplier":"飞鹤","lines":[{"sku":"SKU00000","qty":24},{"sku":"SKU00001","qty":5}]}`
	if st, out := send("r1", asn); st != 201 {
		t.Fatalf("first: %d %v", st, out)
	}
	if st, out := send("r2", `{"id":"ASN-R1","supplier":"飞鹤","lines":[{"sku":"SKU00001","qty":5},{"sku":"SKU00000","qty":24}]}`); st != 200 || out["id"] != "ASN-R1" {
		t.Errorf("the same again, lines in another order: %d %v", st, out)
	}
	before := l.LastSeq()
	for key, body := range map[string]string{
		"r3": `{"id":"ASN-R1","supplier":"飞鹤","lines":[{"sku":"SKU00000","qty":30},{"sku":"SKU00001","qty":5}]}`,
		"r4": `{"id":"ASN-R1","supplier":"飞鹤","lines":[{"sku":"SKU00000","qty":24}]}`,
	} {
		if st, out := send(key, body); st != 409 || out["key"] != "receipt.changed" || !strings.Contains(out["error"].(string), "other content") {
			t.Errorf("changed lines: %d %v", st, out)
		}
	}
	if l.LastSeq() != before {
		t.Error("a refused resend changed the log")
	}
	if r, _ := l.Receipt("ASN-R1"); len(r.Lines) != 2 || r.Lines[0].Expected != 24 {
		t.Errorf("the receipt changed: %+v", r)
	}
}
