package server

import (
	"context"
	"encoding/xml"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"tally/scan"
	"tally/syncer"
	"tally/syncer/qimen"
	"tally/wms"
)

const qimenTestSecret = "erp-secret-0123456789"

type qimenReply struct {
	Flag            string `xml:"flag"`
	Code            string `xml:"code"`
	Message         string `xml:"message"`
	DeliveryOrderID string `xml:"deliveryOrderId"`
}

// postQimen sends a signed call (sign false: signed with another secret)
// with no cookie, session or CSRF token, as an ERP does.
func postQimen(t *testing.T, s *Server, method, body string, sign bool) (int, string, qimenReply) {
	t.Helper()
	p := url.Values{}
	for k, v := range map[string]string{"app_key": "testerp_appkey", "customerId": "stub-cust-code", "format": "xml",
		"method": qimen.FullMethod(method), "sign_method": "md5", "timestamp": qimen.Timestamp(time.Now()), "v": "2.0"} {
		p.Set(k, v)
	}
	secret := qimenTestSecret
	if !sign {
		secret = "some-other-secret-000"
	}
	p.Set("sign", qimen.Sign(p, []byte(body), secret))
	c := newClient(t, s)
	resp, text := c.do("POST", "/qimen?"+p.Encode(), strings.NewReader(body), map[string]string{"Content-Type": "text/xml"})
	var r qimenReply
	if err := xml.Unmarshal([]byte(text), &r); err != nil {
		t.Fatalf("answer %d %q: %v", resp.StatusCode, text[:min(len(text), 300)], err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), r
}

// POST /qimen takes an ERP's signed call with no login, session or CSRF
// token, answers in XML with status 200 whatever the outcome, and says
// "not configured" on a warehouse without a syncer.
func TestQimenRoute(t *testing.T) {
	bare, l := testServer(t)
	body := `<request><deliveryOrder><deliveryOrderCode>DO-HTTP-1</deliveryOrderCode><orderType>JYCK</orderType><sourcePlatformCode>TM</sourcePlatformCode>
<receiverInfo><name>张三</name><mobile>13800000000</mobile><detailAddress>浙江省杭州市文三路 1 号</detailAddress></receiverInfo></deliveryOrder>
<orderLines><orderLine><ownerCode>DEFAULT</ownerCode><itemCode>SKU03000</itemCode><planQty>1</planQty></orderLine></orderLines></request>`

	status, ctype, r := postQimen(t, bare, qimen.DeliveryCreate, body, true)
	if status != 200 || ctype != "text/xml; charset=utf-8" || r.Flag != "failure" || r.Code != syncer.QimenNotConfigured {
		t.Fatalf("without a syncer: %d %s %+v", status, ctype, r)
	}

	if _, err := l.SaveUpstream(context.Background(), "", wms.Upstream{Name: "erp", Dialect: wms.DialectQimen, URL: "http://127.0.0.1:9/qimen",
		Secret: qimenTestSecret, AppKey: "testerp_appkey", CustomerID: "stub-cust-code"}, "A0001", "test"); err != nil {
		t.Fatal(err)
	}
	sy := syncer.New(l, syncer.Options{})
	s := New(Config{Version: "test", Syncer: sy}, l, scan.NewParser(scan.DefaultPatterns()), slog.New(slog.NewTextHandler(io.Discard, nil)))

	before := l.LastSeq()
	status, _, r = postQimen(t, s, qimen.DeliveryCreate, body, false)
	if status != 200 || r.Flag != "failure" || r.Code != syncer.QimenBadSign || l.LastSeq() != before {
		t.Fatalf("badly signed: %d %+v, %d events", status, r, l.LastSeq()-before)
	}
	status, _, r = postQimen(t, s, qimen.DeliveryCreate, `<request>`+strings.Repeat(" ", qimen.MaxBody)+`</request>`, true)
	if status != 200 || r.Code != syncer.QimenTooLarge || l.LastSeq() != before {
		t.Fatalf("over 1 MiB: %d %+v", status, r)
	}
	status, _, r = postQimen(t, s, qimen.DeliveryCreate, body, true)
	if status != 200 || r.Flag != "success" || r.DeliveryOrderID != "DO-HTTP-1" {
		t.Fatalf("signed call: %d %+v", status, r)
	}
	if o, err := l.Order("DO-HTTP-1"); err != nil || o.Platform != "TM" {
		t.Errorf("order %+v %v", o, err)
	}
	after := l.LastSeq()
	if _, _, r = postQimen(t, s, qimen.DeliveryCreate, body, true); r.Flag != "success" || l.LastSeq() != after {
		t.Errorf("a repeat: %+v, %d events", r, l.LastSeq()-after)
	}

	// only POST is open: any other method on /qimen is not served
	resp, text := newClient(t, s).do("GET", "/qimen", strings.NewReader(""), nil)
	if resp.StatusCode == 200 || strings.Contains(text, "<response>") {
		t.Errorf("GET /qimen answered %d %s", resp.StatusCode, text[:min(len(text), 200)])
	}
}
