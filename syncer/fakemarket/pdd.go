package fakemarket

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Pinduoduo's gateway: POST /pdd/api/router, a form (or query) of
// parameters with the method in "type", signed with MD5 (secret, the
// sorted name-value pairs, secret; upper case), a Unix-second timestamp
// within ten minutes. It answers {"<method>_response": …} or
// {"error_response": {error_code, error_msg, sub_code, sub_msg}}.
//
// The error codes are Pinduoduo's documented common ones (20004 bad
// signature, 10019 access_token expired, 70031 called too often); the
// business refusals (no such order, already shipped, a quantity below
// zero) are the fake's own: code 10000 with a sub_msg saying which,
// since Pinduoduo's codes for them are not published.

func init() {
	register(platform{name: "pdd", path: "/pdd/api/router", handler: pddGateway})
}

// pddMaxBody bounds a request to the fake's Pinduoduo gateway.
const pddMaxBody = 1 << 20

// pddWindow is how far a request's timestamp may be from the fake's clock.
const pddWindow = 10 * time.Minute

type pddFail struct {
	code    int
	msg     string
	subCode string
	subMsg  string
}

func pddAnswer(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(`{"error_response":{"error_code":50000,"error_msg":"fake: encoding the answer"}}`)
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	_, _ = w.Write(b)
}

func pddRefuse(w http.ResponseWriter, f pddFail) {
	pddAnswer(w, map[string]any{"error_response": map[string]any{
		"error_code": f.code, "error_msg": f.msg, "sub_code": f.subCode, "sub_msg": f.subMsg, "request_id": "fake",
	}})
}

func pddBusiness(sub string) pddFail {
	return pddFail{code: 10000, msg: "业务错误", subCode: "fake.business", subMsg: sub}
}

// pddSignOf is Pinduoduo's signature, written again here so the fake
// checks the adapter rather than repeats it.
func pddSignOf(secret string, params map[string]string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k != "sign" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	text := secret
	for _, k := range keys {
		text += k + params[k]
	}
	sum := md5.Sum([]byte(text + secret))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

func pddGateway(m *Market) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			pddRefuse(w, pddFail{code: 10000, msg: "参数错误", subMsg: "the gateway takes POST"})
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, pddMaxBody)
		if err := r.ParseForm(); err != nil {
			pddRefuse(w, pddFail{code: 10000, msg: "参数错误", subMsg: "the body is not a form of at most 1 MiB"})
			return
		}
		p := map[string]string{}
		for k, vs := range r.Form {
			if len(vs) != 1 {
				pddRefuse(w, pddFail{code: 10000, msg: "参数错误", subMsg: "parameter " + k + " given more than once"})
				return
			}
			p[k] = vs[0]
		}
		switch FaultOf(r) {
		case FaultSignature:
			pddRefuse(w, pddFail{code: 20004, msg: "签名校验失败", subMsg: "sign is invalid (injected)"})
			return
		case FaultSession:
			pddRefuse(w, pddFail{code: 10019, msg: "access_token已过期", subMsg: "access_token expired (injected)"})
			return
		case FaultRateLimit:
			pddRefuse(w, pddFail{code: 70031, msg: "调用过于频繁，请调整调用频率"})
			return
		}
		keys := m.Keys("pdd")
		if f, ok := pddCheck(m, keys, p); !ok {
			pddRefuse(w, f)
			return
		}
		switch p["type"] {
		case "pdd.logistics.online.send":
			pddOnlineSend(m, w, p)
		case "pdd.order.upload.extra.logistics":
			pddExtraLogistics(m, w, p)
		case "pdd.order.information.get":
			pddOrderInformation(m, w, p)
		case "pdd.goods.quantity.update":
			pddQuantityUpdate(m, w, p)
		default:
			pddRefuse(w, pddFail{code: 10000, msg: "参数错误", subMsg: "the fake does not serve type " + strconv.Quote(p["type"])})
		}
	})
}

// pddCheck verifies the system parameters and the signature.
func pddCheck(m *Market, keys Keys, p map[string]string) (pddFail, bool) {
	for _, k := range []string{"type", "client_id", "timestamp", "sign", "access_token"} {
		if p[k] == "" {
			return pddFail{code: 10000, msg: "参数错误", subMsg: "missing " + k}, false
		}
	}
	if p["data_type"] != "" && p["data_type"] != "JSON" {
		return pddFail{code: 10000, msg: "参数错误", subMsg: "the fake answers data_type JSON only"}, false
	}
	if p["client_id"] != keys.AppKey {
		return pddFail{code: 20004, msg: "签名校验失败", subMsg: "unknown client_id"}, false
	}
	ts, err := strconv.ParseInt(p["timestamp"], 10, 64)
	if err != nil || p["timestamp"] != strconv.FormatInt(ts, 10) {
		return pddFail{code: 10000, msg: "参数错误", subMsg: "timestamp is Unix seconds"}, false
	}
	if d := m.now().Sub(time.Unix(ts, 0)); d > pddWindow || d < -pddWindow {
		return pddFail{code: 20004, msg: "签名校验失败", subMsg: "timestamp is more than 10 minutes from the platform's clock"}, false
	}
	if p["sign"] != pddSignOf(keys.Secret, p) {
		return pddFail{code: 20004, msg: "签名校验失败", subMsg: "sign is invalid"}, false
	}
	if p["access_token"] != keys.Session {
		return pddFail{code: 10019, msg: "access_token已过期"}, false
	}
	return pddFail{}, true
}

func pddOnlineSend(m *Market, w http.ResponseWriter, p map[string]string) {
	sn, carrier, waybill := p["order_sn"], p["logistics_id"], p["tracking_number"]
	if sn == "" || waybill == "" {
		pddRefuse(w, pddFail{code: 10000, msg: "参数错误", subMsg: "order_sn and tracking_number are required"})
		return
	}
	if id, err := strconv.Atoi(carrier); err != nil || id <= 0 {
		pddRefuse(w, pddFail{code: 10000, msg: "参数错误", subMsg: "logistics_id is Pinduoduo's carrier ID"})
		return
	}
	dup, err := m.Ship(Shipment{Platform: "pdd", Order: sn, Carrier: carrier, Waybill: waybill, Method: p["type"]})
	switch {
	case errors.Is(err, ErrNoOrder):
		pddRefuse(w, pddBusiness("订单不存在 (no such order)"))
	case err != nil || dup:
		pddRefuse(w, pddBusiness("订单已发货 (the order already shipped)"))
	default:
		pddAnswer(w, map[string]any{"logistics_online_send_response": map[string]any{"is_success": true}})
	}
}

func pddExtraLogistics(m *Market, w http.ResponseWriter, p map[string]string) {
	sn := p["order_sn"]
	var tracks []struct {
		ShippingID int64  `json:"shipping_id"`
		Tracking   string `json:"tracking_number"`
	}
	if err := json.Unmarshal([]byte(p["extra_track_list"]), &tracks); err != nil || len(tracks) == 0 {
		pddRefuse(w, pddFail{code: 10000, msg: "参数错误", subMsg: "extra_track_list is a JSON list of {shipping_id, tracking_number}"})
		return
	}
	if t := p["extra_track_type"]; t != "" && t != "1" && t != "2" && t != "3" {
		pddRefuse(w, pddFail{code: 10000, msg: "参数错误", subMsg: "extra_track_type is 1, 2 or 3"})
		return
	}
	o, ok := m.Order("pdd", sn)
	if !ok {
		pddRefuse(w, pddBusiness("订单不存在 (no such order)"))
		return
	}
	if !slices.ContainsFunc(o.Lines, func(l SubOrder) bool { return l.Shipped }) {
		pddRefuse(w, pddBusiness("订单未发货 (the order has not shipped: send it first)"))
		return
	}
	for _, t := range tracks {
		if t.ShippingID <= 0 || t.Tracking == "" {
			pddRefuse(w, pddFail{code: 10000, msg: "参数错误", subMsg: "each extra track needs shipping_id and tracking_number"})
			return
		}
	}
	for _, t := range tracks {
		m.extraWaybill(Shipment{Platform: "pdd", Order: sn, Carrier: strconv.FormatInt(t.ShippingID, 10), Waybill: t.Tracking, Method: p["type"]})
	}
	pddAnswer(w, map[string]any{"upload_extra_logistics_response": map[string]any{"success": true}})
}

// extraWaybill records a waybill an order's later parcels went with (a
// platform that keeps them for the buyer, not per sub-order); the same
// waybill again is a repeat.
func (m *Market) extraWaybill(s Shipment) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, x := range m.shipments {
		if x.Platform == s.Platform && x.Order == s.Order && x.Waybill == s.Waybill {
			return
		}
	}
	s.At = m.now()
	m.shipments = append(m.shipments, s)
}

func pddOrderInformation(m *Market, w http.ResponseWriter, p map[string]string) {
	o, ok := m.Order("pdd", p["order_sn"])
	if !ok {
		pddRefuse(w, pddBusiness("订单不存在 (no such order)"))
		return
	}
	status, tracking, carrier := 1, "", ""
	for _, s := range m.Shipments() {
		if s.Platform == "pdd" && s.Order == o.ID && s.Method == "pdd.logistics.online.send" {
			status, tracking, carrier = 2, s.Waybill, s.Carrier
			break
		}
	}
	info := map[string]any{"order_sn": o.ID, "order_status": status, "tracking_number": tracking}
	if carrier != "" {
		id, _ := strconv.Atoi(carrier)
		info["logistics_id"] = id
	}
	pddAnswer(w, map[string]any{"order_info_get_response": map[string]any{"order_info": info}})
}

func pddQuantityUpdate(m *Market, w http.ResponseWriter, p map[string]string) {
	goods, sku := p["goods_id"], p["sku_id"]
	if sku == "" {
		sku = p["outer_id"]
	}
	if goods == "" || sku == "" {
		pddRefuse(w, pddFail{code: 10000, msg: "参数错误", subMsg: "goods_id and sku_id (or outer_id) are required"})
		return
	}
	q, err := strconv.ParseInt(p["quantity"], 10, 64)
	if err != nil {
		pddRefuse(w, pddFail{code: 10000, msg: "参数错误", subMsg: "quantity is an integer"})
		return
	}
	k := ListingKey{Platform: "pdd", ItemID: goods, SkuID: sku}
	switch p["update_type"] {
	case "", "1":
		if q < 0 {
			pddRefuse(w, pddBusiness("全量更新库存不能小于0 (a full quantity below zero)"))
			return
		}
		m.SetStock(k, q, p["type"]+" full")
	case "2":
		if cur, _ := m.Stock(k); cur+q < 0 {
			pddRefuse(w, pddBusiness("库存不能小于0 (the delta takes the stock below zero)"))
			return
		}
		m.AddStock(k, q, p["type"]+" delta")
	default:
		pddRefuse(w, pddFail{code: 10000, msg: "参数错误", subMsg: "update_type is 1 (full) or 2 (delta)"})
		return
	}
	pddAnswer(w, map[string]any{"goods_quantity_update_response": map[string]any{"is_success": true}})
}
