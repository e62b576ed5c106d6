package market

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// JD through JOS's routerjson gateway.
//
// Every call carries method, app_key, access_token (the seller's
// session), timestamp ("2006-01-02 15:04:05.000+0800"), format=json,
// v=2.0, sign_method=md5 and 360buy_param_json (the business parameters as
// one JSON object); the sign is upper-case MD5 of the secret, every
// parameter but sign sorted by name (name then value), and the secret
// again — JD's own example (jingdong.pop.order.search) is the test vector.
//
// Shipments: jingdong.pop.order.shipment ships a JD order whole, once:
// every parcel goes in that one call, logiCoprId the carriers' IDs joined
// by "|" and logiNo each carrier's waybills joined by "," and the groups
// by "|" (JD's documented form). JD cannot write back part of an order, so
// a shipment that leaves some of the order's sub-orders behind is refused
// (a dead letter saying so). A repeat is answered success=false (the order
// is no longer waiting to ship); the adapter then reads the order
// (jingdong.pop.order.get) and takes it as done when the order is out and
// its waybills are this shipment's.
//
// Stock: jingdong.stock.write.updateSkuStock, skuId = Listing.SkuID,
// stockNum the full quantity (no idempotency key; a full quantity is safe
// to send again).

type jd struct{}

func init() { Register(jd{}) }

func (jd) Name() string { return "jd" }

// jdCarriers are JD's logistics company IDs (logiCoprId). JD assigns them
// per merchant through its logistics-companies API; these are the
// platform-wide IDs of the big carriers. JD (JD's own delivery), POSTB,
// JT and DBL are left out until their IDs are confirmed: a shipment with
// them is a dead letter saying so, not a guess.
var jdCarriers = map[string]string{
	"SF": "467", "EMS": "465", "YTO": "463", "ZTO": "1499", "STO": "470", "YUNDA": "1327", "HTKY": "1748", "ZJS": "1409",
}

func (jd) Carrier(canonical string) (string, bool) {
	c, ok := jdCarriers[canonical]
	return c, ok
}

// RateLimit: JOS limits an app per API and per day; 300 a minute per shop
// stays under.
func (jd) RateLimit() (int, int) { return 300, 5 }

// JDSign is JOS's signature: MD5(secret + sorted name-value pairs +
// secret), upper-case hex, over every parameter but sign.
func JDSign(params url.Values, secret string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k != "sign" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	h := md5.New()
	h.Write([]byte(secret))
	for _, k := range keys {
		h.Write([]byte(k))
		h.Write([]byte(params.Get(k)))
	}
	h.Write([]byte(secret))
	return strings.ToUpper(hex.EncodeToString(h.Sum(nil)))
}

// jdError is JOS's error_response.
type jdError struct {
	Code   flexID `json:"code"`
	ZhDesc string `json:"zh_desc"`
	EnDesc string `json:"en_desc"`
}

// jdFailure maps a JOS gateway error to a Kind.
func jdFailure(e jdError) *Error {
	code := string(e.Code)
	n, _ := strconv.Atoi(code)
	out := &Error{Code: "jd." + code, Message: clipText(strings.TrimSpace(e.EnDesc+" "+e.ZhDesc), 300)}
	en := strings.ToLower(e.EnDesc)
	switch {
	case n == 2 || strings.Contains(en, "limit"):
		out.Kind = Throttled
	case slices.Contains([]int{8, 11, 12, 19}, n) || strings.Contains(en, "signature") || strings.Contains(en, "access_token") || strings.Contains(en, "app key") || strings.Contains(en, "appkey") || strings.Contains(en, "timestamp"):
		out.Kind = Auth
	case strings.Contains(en, "unavailable") || strings.Contains(en, "system error") || strings.Contains(en, "busy"):
		out.Kind = Retry
	case n > 0 && n < 60:
		out.Kind = Refused // the request is malformed: the same no again
	default:
		out.Kind = Retry
	}
	return out
}

// decodeJD reads a JOS answer: the object under key (JD spells its
// answers "_responce"; "_response" is read too), or its error.
func decodeJD(body []byte, key string) (json.RawMessage, error) {
	var env map[string]json.RawMessage
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, &Error{Kind: Down, Message: "JD's answer is not JSON: " + clipText(err.Error(), 120)}
	}
	if raw, ok := env["error_response"]; ok {
		var e jdError
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, &Error{Kind: Down, Message: "JD's error_response is unreadable: " + clipText(err.Error(), 120)}
		}
		return nil, jdFailure(e)
	}
	raw, ok := env[key+"_responce"]
	if !ok {
		raw, ok = env[key+"_response"]
	}
	if !ok || len(raw) == 0 || raw[0] != '{' {
		return nil, &Error{Kind: Retry, Message: "JD's answer has no " + key + "_responce"}
	}
	var inner struct {
		Code flexID `json:"code"`
	}
	if err := json.Unmarshal(raw, &inner); err != nil {
		return nil, &Error{Kind: Retry, Message: "JD's answer is unreadable: " + clipText(err.Error(), 120)}
	}
	if inner.Code != "" && inner.Code != "0" {
		return nil, &Error{Kind: Retry, Code: "jd." + clipText(string(inner.Code), 20), Message: "JD answered code " + clipText(string(inner.Code), 20)}
	}
	return raw, nil
}

// jdCall signs and sends one JOS method.
func jdCall(ctx context.Context, c Conn, shop Shop, method string, biz any) (json.RawMessage, error) {
	if shop.URL == "" || shop.AppKey == "" || shop.Secret == "" || shop.Session == "" {
		return nil, &Error{Kind: Auth, Code: "jd.config", Message: "the shop needs JOS's routerjson URL, an app key, a secret and the seller's access token"}
	}
	p, err := json.Marshal(biz)
	if err != nil {
		return nil, &Error{Kind: Refused, Code: "jd.params", Message: "the parameters cannot be written as JSON: " + err.Error()}
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	form := url.Values{}
	form.Set("method", method)
	form.Set("app_key", shop.AppKey)
	form.Set("access_token", shop.Session)
	form.Set("timestamp", now().In(china).Format("2006-01-02 15:04:05.000-0700"))
	form.Set("format", "json")
	form.Set("v", "2.0")
	form.Set("sign_method", "md5")
	form.Set("360buy_param_json", string(p))
	form.Set("sign", JDSign(form, shop.Secret))
	body, err := postForm(ctx, c, "JD", shop.URL, form)
	if err != nil {
		return nil, err
	}
	raw, err := decodeJD(body, strings.ReplaceAll(method, ".", "_"))
	var me *Error
	if errors.As(err, &me) && me.Kind == Throttled {
		c.Limit.Hold(me.RetryAfter)
	}
	return raw, err
}

// jdWaybills is a shipment's parcels in JD's form: carrier IDs joined by
// "|", and per carrier its waybills joined by ",", the groups by "|".
func jdWaybills(parcels []Parcel) (carriers, waybills string) {
	var order []string
	by := map[string][]string{}
	for _, p := range parcels {
		if _, seen := by[p.Carrier]; !seen {
			order = append(order, p.Carrier)
		}
		if !slices.Contains(by[p.Carrier], p.Waybill) {
			by[p.Carrier] = append(by[p.Carrier], p.Waybill)
		}
	}
	groups := make([]string, 0, len(order))
	for _, c := range order {
		groups = append(groups, strings.Join(by[c], ","))
	}
	return strings.Join(order, "|"), strings.Join(groups, "|")
}

func (j jd) Ship(ctx context.Context, c Conn, shop Shop, s Shipment) error {
	if !isDigits(s.PlatformOrderID) {
		return Errorf(Refused, "jd.order_id", "order %s: JD's order ID must be a number, not %q", s.Order, s.PlatformOrderID)
	}
	if len(s.Parcels) == 0 {
		return Errorf(Refused, "jd.no_parcel", "order %s: nothing to write back (no parcel)", s.Order)
	}
	in := map[string]bool{}
	for i, p := range s.Parcels {
		if strings.TrimSpace(p.Waybill) == "" || p.Carrier == "" || strings.ContainsAny(p.Waybill+p.Carrier, "|,") {
			return Errorf(Refused, "jd.waybill", "order %s: parcel %d needs a waybill and a carrier without | or ,", s.Order, i+1)
		}
		for _, sub := range p.SubOrdersOf() {
			in[sub] = true
		}
	}
	var left []string
	for _, sub := range s.SubOrders {
		if !in[sub] {
			left = append(left, sub)
		}
	}
	if len(left) > 0 {
		return Errorf(Refused, "jd.partial", "order %s: JD ships an order whole and once, and this shipment leaves %s of JD order %s behind: ship them together, or write it back on JD by hand", s.Order, strings.Join(left, ", "), s.PlatformOrderID)
	}
	carriers, waybills := jdWaybills(s.Parcels)
	raw, err := jdCall(ctx, c, shop, "jingdong.pop.order.shipment", map[string]any{
		"orderId": json.Number(s.PlatformOrderID), "logiCoprId": carriers, "logiNo": waybills})
	if err != nil {
		return err
	}
	ok, why, err := decodeJDShipment(raw)
	if err != nil || ok {
		return err
	}
	// not shipped now: already, by an earlier try whose answer was lost?
	done, err := j.shippedWith(ctx, c, shop, s.PlatformOrderID, s.Parcels)
	if err != nil {
		return err
	}
	if done {
		return nil
	}
	return Errorf(Refused, "jd.shipment", "JD did not take the shipment of order %s (%s): %s", s.Order, s.PlatformOrderID, why)
}

// decodeJDShipment reads pop.order.shipment's sopjosshipment_result.
func decodeJDShipment(raw json.RawMessage) (ok bool, why string, err error) {
	var ans struct {
		Result *struct {
			Success        flexBool `json:"success"`
			ChineseErrCode string   `json:"chineseErrCode"`
			EnglishErrCode string   `json:"englishErrCode"`
			ErrorCode      flexID   `json:"errorCode"`
		} `json:"sopjosshipment_result"`
	}
	if err := json.Unmarshal(raw, &ans); err != nil || ans.Result == nil {
		return false, "", &Error{Kind: Retry, Message: "JD's shipment answer has no sopjosshipment_result"}
	}
	r := ans.Result
	return bool(r.Success), clipText(strings.TrimSpace(r.ChineseErrCode+" "+r.EnglishErrCode), 300), nil
}

// jdShippedStates are the states of an order that left the warehouse.
var jdShippedStates = []string{"WAIT_GOODS_RECEIVE_CONFIRM", "FINISHED_L"}

// shippedWith says whether JD's order is out with these parcels' waybills.
func (jd) shippedWith(ctx context.Context, c Conn, shop Shop, orderID string, parcels []Parcel) (bool, error) {
	raw, err := jdCall(ctx, c, shop, "jingdong.pop.order.get", map[string]string{"order_id": orderID, "optional_fields": "orderId,orderState,waybill,logisticsId"})
	if err != nil {
		return false, err
	}
	state, waybill, err := decodeJDOrder(raw)
	if err != nil {
		return false, err
	}
	if !slices.Contains(jdShippedStates, state) {
		return false, nil
	}
	have := strings.FieldsFunc(waybill, func(r rune) bool { return r == '|' || r == ',' })
	for _, p := range parcels {
		if !slices.Contains(have, p.Waybill) {
			return false, nil
		}
	}
	return true, nil
}

// decodeJDOrder reads pop.order.get's order state and waybill(s).
func decodeJDOrder(raw json.RawMessage) (state, waybill string, err error) {
	var ans struct {
		Detail struct {
			Info *struct {
				OrderState string `json:"orderState"`
				Waybill    flexID `json:"waybill"`
			} `json:"orderInfo"`
		} `json:"orderDetailInfo"`
	}
	if err := json.Unmarshal(raw, &ans); err != nil || ans.Detail.Info == nil {
		return "", "", &Error{Kind: Retry, Message: "JD's order answer has no orderDetailInfo.orderInfo"}
	}
	return ans.Detail.Info.OrderState, string(ans.Detail.Info.Waybill), nil
}

func (jd) SetStock(ctx context.Context, c Conn, shop Shop, s StockSet) (StockResult, error) {
	if s.Qty < 0 {
		return StockResult{}, Errorf(Refused, "jd.qty", "SKU %s: a quantity below zero (%d) is not published", s.SKU, s.Qty)
	}
	if !isDigits(s.Listing.SkuID) {
		return StockResult{}, Errorf(Refused, "jd.no_sku", "SKU %s has no JD SKU ID (a number) for this shop: JD sets stock by skuId", s.SKU)
	}
	raw, err := jdCall(ctx, c, shop, "jingdong.stock.write.updateSkuStock", map[string]any{"skuId": json.Number(s.Listing.SkuID), "stockNum": s.Qty})
	if err != nil {
		return StockResult{}, err
	}
	if err := decodeJDStock(raw); err != nil {
		return StockResult{}, err
	}
	return StockResult{Qty: s.Qty}, nil
}

// decodeJDStock reads updateSkuStock's success flag.
func decodeJDStock(raw json.RawMessage) error {
	var ans struct {
		Success *flexBool `json:"success"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(raw), &ans); err != nil || ans.Success == nil {
		return &Error{Kind: Retry, Message: "JD's stock answer has no success flag"}
	}
	if !*ans.Success {
		return &Error{Kind: Refused, Code: "jd.stock", Message: "JD did not take the stock"}
	}
	return nil
}
