package fakemarket

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Douyin's gateway (抖店): every method is a path under /douyin
// (order.logisticsAdd at /douyin/order/logisticsAdd), the system
// parameters in the query (app_key, method, access_token, timestamp in
// China time, v=2, sign_method=hmac-sha256, sign) and param_json as the
// body. The signature is checked over the platform's own normalisation of
// param_json (keys sorted, compact), so a client that signed anything
// else fails. Answers are {code, msg, sub_code, sub_msg, data, log_id};
// 10000 is success, the codes are Douyin's documented ones.

func init() {
	register(platform{name: "douyin", path: "/douyin", handler: douyinGateway})
}

const douyinMaxBody = 1 << 20

var douyinZone = time.FixedZone("CST", 8*3600)

type douyinFail struct {
	code    int
	msg     string
	subCode string
	subMsg  string
}

func douyinAnswer(w http.ResponseWriter, code int, msg, subCode, subMsg string, data any) {
	if data == nil {
		data = map[string]any{}
	}
	b, err := json.Marshal(map[string]any{"code": code, "msg": msg, "sub_code": subCode, "sub_msg": subMsg, "data": data, "log_id": "fake"})
	if err != nil {
		b = []byte(`{"code":20000,"msg":"服务不可用","sub_code":"isp.service-error","sub_msg":"fake: encoding the answer"}`)
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	_, _ = w.Write(b)
}

func douyinRefuse(w http.ResponseWriter, f douyinFail) {
	douyinAnswer(w, f.code, f.msg, f.subCode, f.subMsg, nil)
}

func douyinOK(w http.ResponseWriter, data any) { douyinAnswer(w, 10000, "success", "", "", data) }

func douyinParam(sub string) douyinFail {
	return douyinFail{code: 40004, msg: "非法的参数", subCode: "isv.parameter-invalid", subMsg: sub}
}

func douyinBusiness(code, sub string) douyinFail {
	return douyinFail{code: 50002, msg: "业务处理失败", subCode: "isv.business-failed:" + code, subMsg: sub}
}

// douyinCanonical is the platform's normalisation of param_json: parsed,
// then written with sorted keys, compact, without HTML escaping.
func douyinCanonical(body []byte) ([]byte, map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v map[string]any
	if err := dec.Decode(&v); err != nil || v == nil {
		return nil, nil, errors.New("param_json is not a JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, errors.New("param_json has trailing data")
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), v, nil
}

func douyinSignOf(secret, appKey, method, paramJSON, timestamp, v string) string {
	text := secret + "app_key" + appKey + "method" + method + "param_json" + paramJSON + "timestamp" + timestamp + "v" + v + secret
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(text))
	return hex.EncodeToString(mac.Sum(nil))
}

func douyinGateway(m *Market) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method := strings.ReplaceAll(strings.Trim(strings.TrimPrefix(r.URL.Path, "/douyin"), "/"), "/", ".")
		q := r.URL.Query()
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, douyinMaxBody))
		if err != nil {
			douyinRefuse(w, douyinParam("the body is unreadable or over 1 MiB"))
			return
		}
		if len(body) == 0 {
			body = []byte(q.Get("param_json"))
		}
		switch FaultOf(r) {
		case FaultSignature:
			douyinRefuse(w, douyinFail{code: 40003, msg: "非法的参数", subCode: "isv.signature-invalid", subMsg: "签名校验失败 (injected)"})
			return
		case FaultSession:
			douyinRefuse(w, douyinFail{code: 40003, msg: "非法的参数", subCode: "isv.access-token-expired", subMsg: "access_token已过期 (injected)"})
			return
		case FaultRateLimit:
			douyinRefuse(w, douyinFail{code: 60000, msg: "触发限流，请稍后重试", subCode: "isv.api-flow-limit", subMsg: "调用频率超限"})
			return
		}
		_, p, f := douyinCheck(m, method, q, body)
		if f != nil {
			douyinRefuse(w, *f)
			return
		}
		switch method {
		case "order.logisticsAdd":
			douyinLogisticsAdd(m, w, method, p)
		case "order.logisticsAddMultiPack":
			douyinMultiPack(m, w, method, p)
		case "order.orderDetail":
			douyinOrderDetail(m, w, p)
		case "sku.syncStock":
			douyinSyncStock(m, w, method, p)
		default:
			douyinRefuse(w, douyinFail{code: 70000, msg: "接口服务已下线", subCode: "isp.api-service-off", subMsg: "the fake does not serve " + method})
		}
	})
}

// douyinCheck verifies the system parameters and the signature.
func douyinCheck(m *Market, method string, q map[string][]string, body []byte) ([]byte, map[string]any, *douyinFail) {
	get := func(k string) string {
		if v := q[k]; len(v) == 1 {
			return v[0]
		}
		return ""
	}
	for _, k := range []string{"app_key", "method", "access_token", "timestamp", "v", "sign"} {
		if get(k) == "" {
			return nil, nil, &douyinFail{code: 40001, msg: "缺少必选参数", subCode: "isv.missing-parameter", subMsg: "missing " + k}
		}
	}
	keys := m.Keys("douyin")
	if get("method") != method {
		return nil, nil, &douyinFail{code: 40003, msg: "非法的参数", subCode: "isv.parameter-invalid", subMsg: "method does not match the path"}
	}
	if get("app_key") != keys.AppKey {
		return nil, nil, &douyinFail{code: 40003, msg: "非法的参数", subCode: "isv.app-id-invalid", subMsg: "认证失败，app_key不存在"}
	}
	if get("v") != "2" || get("sign_method") != "hmac-sha256" {
		return nil, nil, &douyinFail{code: 40003, msg: "非法的参数", subCode: "isv.signature-invalid", subMsg: "the fake takes v=2 and sign_method=hmac-sha256 only"}
	}
	ts, err := time.ParseInLocation("2006-01-02 15:04:05", get("timestamp"), douyinZone)
	if err != nil {
		return nil, nil, &douyinFail{code: 40003, msg: "非法的参数", subCode: "isv.timestamp-format-error", subMsg: "时间戳格式错误"}
	}
	if d := m.now().Sub(ts); d > 10*time.Minute || d < -10*time.Minute {
		return nil, nil, &douyinFail{code: 40003, msg: "非法的参数", subCode: "isv.timestamp-invalid", subMsg: "时间戳不合法 (more than 10 minutes from the platform's clock)"}
	}
	canon, p, err := douyinCanonical(body)
	if err != nil {
		return nil, nil, &douyinFail{code: 40003, msg: "非法的参数", subCode: "isv.parameter-format-invalid", subMsg: err.Error()}
	}
	if !hmac.Equal([]byte(get("sign")), []byte(douyinSignOf(keys.Secret, keys.AppKey, method, string(canon), get("timestamp"), "2"))) {
		return nil, nil, &douyinFail{code: 40003, msg: "非法的参数", subCode: "isv.signature-invalid", subMsg: "签名校验失败"}
	}
	if get("access_token") != keys.Session {
		return nil, nil, &douyinFail{code: 40003, msg: "非法的参数", subCode: "isv.access-token-no-existed", subMsg: "access_token不存在，请使用最新的access_token访问"}
	}
	return canon, p, nil
}

// douyinStr reads a parameter written as a string or a number.
func douyinStr(p map[string]any, k string) string {
	switch v := p[k].(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	}
	return ""
}

func douyinLogisticsAdd(m *Market, w http.ResponseWriter, method string, p map[string]any) {
	order, company, waybill := douyinStr(p, "order_id"), douyinStr(p, "company_code"), douyinStr(p, "logistics_code")
	if order == "" || company == "" || waybill == "" {
		douyinRefuse(w, douyinFail{code: 40002, msg: "缺少必选参数", subCode: "isv.missing-parameter", subMsg: "order_id, company_code and logistics_code are required"})
		return
	}
	dup, err := m.Ship(Shipment{Platform: "douyin", Order: order, Carrier: company, Waybill: waybill, Method: method})
	switch {
	case errors.Is(err, ErrNoOrder):
		douyinRefuse(w, douyinBusiness("60033", "订单不存在，请仔细检查后重试。"))
	case err != nil || dup:
		douyinRefuse(w, douyinBusiness("60110", "订单已发货，不允许再次执行发货。"))
	default:
		douyinOK(w, nil)
	}
}

type douyinPackIn struct {
	Info []struct {
		ID  douyinID `json:"shipped_order_id"`
		Num int64    `json:"shipped_num"`
	} `json:"shipped_order_info"`
	Code    string `json:"logistics_code"`
	Company string `json:"company_code"`
}

// douyinID is an ID Douyin takes as a string or a number.
type douyinID string

func (d *douyinID) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*d = douyinID(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return errors.New("an ID is a string or a number")
	}
	*d = douyinID(n)
	return nil
}

func (d douyinID) String() string { return string(d) }

func douyinMultiPack(m *Market, w http.ResponseWriter, method string, p map[string]any) {
	order, rid := douyinStr(p, "order_id"), douyinStr(p, "request_id")
	if rid == "" {
		douyinRefuse(w, douyinFail{code: 40002, msg: "缺少必选参数", subCode: "isv.missing-parameter:50050", subMsg: "发货请求id不能为空，请检查requestId"})
		return
	}
	raw, _ := json.Marshal(p["pack_list"])
	var packs []douyinPackIn
	if err := json.Unmarshal(raw, &packs); err != nil || len(packs) == 0 || order == "" {
		douyinRefuse(w, douyinParam("order_id and pack_list [{shipped_order_info, logistics_code, company_code}] are required"))
		return
	}
	answer, _ := m.Once("douyin", "multipack:"+rid, func() string { return douyinShipPacks(m, method, order, packs) })
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	_, _ = io.WriteString(w, answer)
}

// douyinShipPacks ships every pack or none (Douyin's documented rule) and
// is the answer kept for the request_id.
func douyinShipPacks(m *Market, method, order string, packs []douyinPackIn) string {
	answer := func(f *douyinFail, data any) string {
		rec := &bufWriter{header: http.Header{}}
		if f != nil {
			douyinRefuse(rec, *f)
		} else {
			douyinOK(rec, data)
		}
		return rec.buf.String()
	}
	o, ok := m.Order("douyin", order)
	if !ok {
		f := douyinBusiness("60033", "订单不存在，请仔细检查后重试。")
		return answer(&f, nil)
	}
	units := map[string]int64{}
	for _, pk := range packs {
		if pk.Code == "" || pk.Company == "" || len(pk.Info) == 0 {
			f := douyinParam("each pack needs logistics_code, company_code and shipped_order_info")
			return answer(&f, nil)
		}
		for _, in := range pk.Info {
			i := slices.IndexFunc(o.Lines, func(l SubOrder) bool { return l.ID == in.ID.String() })
			if i < 0 {
				f := douyinBusiness("60102", "商品单不存在，请仔细检查后重试")
				return answer(&f, nil)
			}
			if o.Lines[i].Shipped {
				f := douyinBusiness("60110", "订单已发货，不允许再次执行发货。")
				return answer(&f, nil)
			}
			if in.Num < 0 {
				f := douyinBusiness("60080", "商品的发货数量不允许小于0")
				return answer(&f, nil)
			}
			units[in.ID.String()] += in.Num
		}
	}
	for id, n := range units {
		line := o.Lines[slices.IndexFunc(o.Lines, func(l SubOrder) bool { return l.ID == id })]
		if n > line.Qty {
			f := douyinParam(fmt.Sprintf("shipped_num %d of sub-order %s is over its %d", n, id, line.Qty))
			return answer(&f, nil)
		}
	}
	done := map[string]bool{}
	var out []map[string]any
	for i, pk := range packs {
		var subs []string
		for _, in := range pk.Info {
			if id := in.ID.String(); !done[id] && !slices.Contains(subs, id) {
				subs = append(subs, id)
			}
		}
		s := Shipment{Platform: "douyin", Order: order, SubOrders: subs, Carrier: pk.Company, Waybill: pk.Code, Method: method}
		if len(subs) == 0 {
			m.extraWaybill(s) // a sub-order's other units in another parcel
		} else if _, err := m.Ship(s); err != nil {
			f := douyinBusiness("60110", "订单已发货，不允许再次执行发货。")
			return answer(&f, nil)
		}
		for _, id := range subs {
			done[id] = true
		}
		out = append(out, map[string]any{"pack_id": fmt.Sprintf("%s-%d", order, i+1), "logistics_code": pk.Code})
	}
	return answer(nil, map[string]any{"pack_list": out})
}

// bufWriter keeps an answer to store it.
type bufWriter struct {
	header http.Header
	buf    bytes.Buffer
}

func (b *bufWriter) Header() http.Header         { return b.header }
func (b *bufWriter) Write(p []byte) (int, error) { return b.buf.Write(p) }
func (b *bufWriter) WriteHeader(int)             {}

func douyinOrderDetail(m *Market, w http.ResponseWriter, p map[string]any) {
	o, ok := m.Order("douyin", douyinStr(p, "shop_order_id"))
	if !ok {
		douyinRefuse(w, douyinBusiness("60033", "订单不存在，请仔细检查后重试。"))
		return
	}
	var logistics []map[string]any
	for _, s := range m.Shipments() {
		if s.Platform != "douyin" || s.Order != o.ID {
			continue
		}
		var products []map[string]any
		for _, sub := range s.SubOrders {
			products = append(products, map[string]any{"sku_order_id": sub})
		}
		logistics = append(logistics, map[string]any{"tracking_no": s.Waybill, "company": s.Carrier, "product_info": products})
	}
	status := 2 // 备货中
	if len(logistics) > 0 {
		status = 3 // 已发货
	}
	douyinOK(w, map[string]any{"shop_order_detail": map[string]any{"order_id": o.ID, "order_status": status, "logistics_info": logistics}})
}

func douyinSyncStock(m *Market, w http.ResponseWriter, method string, p map[string]any) {
	idem := douyinStr(p, "idempotent_id")
	product, sku := douyinStr(p, "product_id"), douyinStr(p, "sku_id")
	if sku == "" {
		sku = douyinStr(p, "code")
	}
	n, isNum := p["stock_num"].(json.Number)
	qty, err := n.Int64()
	if idem == "" || sku == "" || !isNum || err != nil {
		douyinRefuse(w, douyinFail{code: 40002, msg: "缺少必选参数", subCode: "isv.missing-parameter", subMsg: "idempotent_id, sku_id (or code) and stock_num (an integer) are required"})
		return
	}
	incremental, _ := p["incremental"].(bool)
	if !incremental && qty < 0 {
		douyinRefuse(w, douyinParam("stock_num below zero"))
		return
	}
	k := ListingKey{Platform: "douyin", ItemID: product, SkuID: sku}
	_, repeat := m.Once("douyin", "stock:"+idem, func() string {
		if incremental {
			m.AddStock(k, qty, method+" incremental")
		} else {
			m.SetStock(k, qty, method)
		}
		return "done"
	})
	if repeat {
		douyinRefuse(w, douyinFail{code: 40003, msg: "非法的参数", subCode: "isv.idempotent-id-existed", subMsg: "幂等ID重复"})
		return
	}
	douyinOK(w, nil)
}
