package fakemarket

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// JD's JOS gateway (routerjson): the system parameters, the signature
// (MD5 of secret + sorted name-value pairs + secret) and the timestamp
// (within JD's 6 minutes) checked; 360buy_param_json read as the business
// parameters; jingdong.pop.order.shipment (the whole order, waybills in
// JD's "a,b|c" form), jingdong.pop.order.get and
// jingdong.stock.write.updateSkuStock served. JD spells its answers
// "<method>_responce"; its errors are error_response {code, zh_desc,
// en_desc}. JD stock is kept under ListingKey{Platform: "jd", SkuID}.

func init() {
	register(platform{name: "jd", path: "/jd/routerjson", handler: jdGateway})
}

// jdLogistics are the carrier IDs (logiCoprId) the fake JD knows.
var jdLogistics = map[string]string{
	"467": "顺丰快递", "465": "邮政EMS", "463": "圆通快递", "1499": "中通快递", "470": "申通快递", "1327": "韵达快递", "1748": "百世快递", "1409": "宅急送",
}

func jdSignature(form url.Values, secret string) string {
	names := make([]string, 0, len(form))
	for k := range form {
		if k != "sign" {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(secret)
	for _, k := range names {
		b.WriteString(k + form.Get(k))
	}
	b.WriteString(secret)
	sum := md5.Sum([]byte(b.String()))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

type jdAnswer struct{ w http.ResponseWriter }

func (a jdAnswer) send(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(`{"error_response":{"code":"1","zh_desc":"服务不可用","en_desc":"Service unavailable"}}`)
	}
	a.w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	a.w.WriteHeader(http.StatusOK)
	_, _ = a.w.Write(b)
}

func (a jdAnswer) fail(code, zh, en string) {
	a.send(map[string]any{"error_response": map[string]any{"code": code, "zh_desc": zh, "en_desc": en}})
}

func (a jdAnswer) ok(method string, body map[string]any) {
	body["code"] = "0"
	a.send(map[string]any{strings.ReplaceAll(method, ".", "_") + "_responce": body})
}

func jdGateway(m *Market) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := jdAnswer{w}
		form, err := readSignedForm(w, r)
		if err != nil {
			a.fail("67", "请求参数错误: "+err.Error(), "Invalid request: "+err.Error())
			return
		}
		switch FaultOf(r) {
		case FaultSignature:
			a.fail("12", "无效签名", "Invalid Signature")
			return
		case FaultSession:
			a.fail("19", "token已过期或者不存在，请重新授权访问", "Invalid access_token")
			return
		case FaultRateLimit:
			a.fail("2", "限制时间内调用失败次数", "App Call Limited")
			return
		}
		keys := m.Keys("jd")
		method := form.Get("method")
		ts, terr := time.ParseInLocation("2006-01-02 15:04:05.000-0700", form.Get("timestamp"), topCST)
		if terr != nil {
			ts, terr = time.ParseInLocation("2006-01-02 15:04:05", form.Get("timestamp"), topCST)
		}
		switch {
		case method == "":
			a.fail("14", "缺少方法名参数", "Missing Method")
		case form.Get("v") == "":
			a.fail("4", "缺少版本参数", "Missing Version")
		case form.Get("v") != "2.0":
			a.fail("5", "不支持的版本号", "Unsupported Version")
		case form.Get("timestamp") == "":
			a.fail("7", "缺少时间戳参数", "Missing Timestamp")
		case terr != nil || ts.Sub(m.now()).Abs() > 6*time.Minute:
			a.fail("8", "非法的时间戳参数", "Invalid Timestamp")
		case form.Get("app_key") != keys.AppKey:
			a.fail("10", "无效的app_key", "Invalid App Key")
		case form.Get("sign") == "":
			a.fail("11", "缺少签名参数", "Missing Signature")
		case !hmac.Equal([]byte(jdSignature(form, keys.Secret)), []byte(strings.ToUpper(form.Get("sign")))):
			a.fail("12", "无效签名", "Invalid Signature")
		case form.Get("access_token") != keys.Session:
			a.fail("19", "token已过期或者不存在，请重新授权访问", "Invalid access_token")
		default:
			var p map[string]json.RawMessage
			dec := json.NewDecoder(bytes.NewReader([]byte(form.Get("360buy_param_json"))))
			dec.UseNumber()
			if err := dec.Decode(&p); err != nil {
				a.fail("67", "360buy_param_json 不是 JSON 对象", "360buy_param_json is not a JSON object")
				return
			}
			m.jdMethod(a, method, p)
		}
	})
}

// jdString reads a business parameter JD takes as a number or a string.
func jdString(p map[string]json.RawMessage, name string) string {
	raw, ok := p[name]
	if !ok {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.TrimSpace(s)
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

func (m *Market) jdMethod(a jdAnswer, method string, p map[string]json.RawMessage) {
	switch method {
	case "jingdong.pop.order.shipment":
		order, copr, no := jdString(p, "orderId"), jdString(p, "logiCoprId"), jdString(p, "logiNo")
		result := func(ok bool, zh, en string) {
			a.ok(method, map[string]any{"sopjosshipment_result": map[string]any{"success": ok, "chineseErrCode": zh, "englishErrCode": en}})
		}
		if order == "" || copr == "" {
			result(false, "参数错误: orderId 和 logiCoprId 必填", "orderId and logiCoprId are required")
			return
		}
		for _, id := range strings.Split(copr, "|") {
			if _, ok := jdLogistics[id]; !ok {
				result(false, "物流公司ID不存在: "+id, "unknown logistics company "+id)
				return
			}
		}
		if len(strings.Split(no, "|")) != len(strings.Split(copr, "|")) {
			result(false, "运单号与物流公司数量不一致", "logiNo groups do not match logiCoprId")
			return
		}
		dup, err := m.Ship(Shipment{Platform: "jd", Order: order, Carrier: copr, Waybill: no, Method: method})
		switch {
		case errors.Is(err, ErrNoOrder):
			result(false, "订单不存在", "order not found")
		case dup || errors.Is(err, ErrShippedOther):
			result(false, "订单已出库，当前状态不能出库", "the order is not waiting to ship")
		case err != nil:
			result(false, err.Error(), err.Error())
		default:
			result(true, "SOP订单 订单出库成功", "success")
		}
	case "jingdong.pop.order.get":
		id := jdString(p, "order_id")
		o, ok := m.Order("jd", id)
		if !ok {
			a.ok(method, map[string]any{"orderDetailInfo": map[string]any{"orderInfo": nil}})
			return
		}
		state, waybill, copr := "WAIT_SELLER_STOCK_OUT", "", ""
		shipped := len(o.Lines) > 0
		for _, l := range o.Lines {
			shipped = shipped && l.Shipped
		}
		if shipped {
			state = "WAIT_GOODS_RECEIVE_CONFIRM"
		}
		for _, s := range m.Shipments() {
			if s.Platform == "jd" && s.Order == id {
				waybill, copr = s.Waybill, s.Carrier
			}
		}
		a.ok(method, map[string]any{"orderDetailInfo": map[string]any{"orderInfo": map[string]any{
			"orderId": id, "orderState": state, "waybill": waybill, "logisticsId": copr}}})
	case "jingdong.stock.write.updateSkuStock":
		sku, n := jdString(p, "skuId"), jdString(p, "stockNum")
		q, err := strconv.ParseInt(n, 10, 64)
		if sku == "" || err != nil || q < 0 {
			a.fail("67", "参数错误: skuId 和 stockNum(≥0) 必填", "skuId and stockNum (0 or more) are required")
			return
		}
		m.SetStock(ListingKey{Platform: "jd", SkuID: sku}, q, method)
		a.ok(method, map[string]any{"success": true})
	default:
		a.fail("15", "不存在的方法名", fmt.Sprintf("Invalid Method (this fake serves %s)", "jingdong.pop.order.shipment, jingdong.pop.order.get, jingdong.stock.write.updateSkuStock"))
	}
}
