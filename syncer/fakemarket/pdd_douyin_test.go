package fakemarket

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The fake Pinduoduo and Douyin gateways refuse what their platforms
// refuse; the adapters' tests (package market) cover what they accept.

func TestPDDGatewayRefusals(t *testing.T) {
	m := New(Options{})
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	k := m.Keys("pdd")
	post := func(p map[string]string, extra string) map[string]map[string]any {
		t.Helper()
		p["sign"] = pddSignOf(k.Secret, p)
		form := url.Values{}
		for n, v := range p {
			form.Set(n, v)
		}
		resp, err := http.Post(srv.URL+"/pdd/api/router", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()+extra))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	base := func(ts time.Time) map[string]string {
		return map[string]string{"type": "pdd.goods.quantity.update", "client_id": k.AppKey, "access_token": k.Session,
			"timestamp": strconv.FormatInt(ts.Unix(), 10), "data_type": "JSON", "goods_id": "1", "sku_id": "2", "quantity": "5"}
	}
	if out := post(base(time.Now()), ""); out["goods_quantity_update_response"]["is_success"] != true {
		t.Fatalf("a good request: %v", out)
	}
	if out := post(base(time.Now().Add(-11*time.Minute)), ""); out["error_response"]["error_code"] != float64(20004) {
		t.Errorf("an old timestamp: %v", out)
	}
	if out := post(base(time.Now()), "&page=2"); out["error_response"]["error_code"] != float64(20004) {
		t.Errorf("a parameter outside the signature: %v", out)
	}
	big := base(time.Now())
	big["memo"] = strings.Repeat("x", pddMaxBody)
	if out := post(big, ""); !strings.Contains(out["error_response"]["sub_msg"].(string), "1 MiB") {
		t.Errorf("a body over 1 MiB: %v", out)
	}
	if q, _ := m.Stock(ListingKey{Platform: "pdd", ItemID: "1", SkuID: "2"}); q != 5 || len(m.Writes()) != 1 {
		t.Errorf("stock %d after %d writes, want 5 after one", q, len(m.Writes()))
	}
}

func TestDouyinGatewaySignsTheNormalisedParams(t *testing.T) {
	m := New(Options{})
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	k := m.Keys("douyin")
	send := func(body, signed string, ts time.Time) map[string]any {
		t.Helper()
		stamp := ts.In(douyinZone).Format("2006-01-02 15:04:05")
		q := url.Values{"app_key": {k.AppKey}, "method": {"sku.syncStock"}, "access_token": {k.Session}, "timestamp": {stamp},
			"v": {"2"}, "sign_method": {"hmac-sha256"}, "sign": {douyinSignOf(k.Secret, k.AppKey, "sku.syncStock", signed, stamp, "2")}}
		resp, err := http.Post(srv.URL+"/douyin/sku/syncStock?"+q.Encode(), "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	body := `{"sku_id": "7", "stock_num": 3, "idempotent_id": "a1", "incremental": false}`
	canon := `{"idempotent_id":"a1","incremental":false,"sku_id":"7","stock_num":3}`
	if out := send(body, body, time.Now()); out["sub_code"] != "isv.signature-invalid" {
		t.Errorf("signed over the unnormalised text: %v", out)
	}
	if out := send(body, canon, time.Now().Add(-20*time.Minute)); out["sub_code"] != "isv.timestamp-invalid" {
		t.Errorf("an old timestamp: %v", out)
	}
	if out := send(body, canon, time.Now()); out["code"] != float64(10000) {
		t.Fatalf("a good request: %v", out)
	}
	if out := send(body, canon, time.Now()); out["sub_code"] != "isv.idempotent-id-existed" {
		t.Errorf("the same idempotent_id: %v", out)
	}
	if q, _ := m.Stock(ListingKey{Platform: "douyin", SkuID: "7"}); q != 3 || len(m.Writes()) != 1 {
		t.Errorf("stock %d after %d writes, want 3 after one", q, len(m.Writes()))
	}
}
