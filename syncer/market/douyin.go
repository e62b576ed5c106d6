package market

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"
)

// Douyin's shop open platform (抖店): each method is a path under the
// shop's base URL (order.logisticsAdd → /order/logisticsAdd), the system
// parameters in the query (app_key, method, access_token, timestamp
// "2006-01-02 15:04:05" China time, v=2, sign_method=hmac-sha256, sign)
// and the business parameters as param_json in the body. The signature
// is HMAC-SHA256, keyed with the secret, over the secret, "app_key" and
// its value, "method", "param_json", "timestamp", "v" with theirs, and
// the secret again; param_json must be normalised (keys sorted at every
// level, compact, no HTML escaping, numbers written minimally) because
// the platform signs its own normalisation of what it received.
//
// Shipment: one parcel carrying every sub-order is order.logisticsAdd
// (order_id, company_code, logistics_code); a split order is
// order.logisticsAddMultiPack, one pack per parcel with its sub-orders
// and their quantities (shipped_order_info), with request_id — Douyin's
// idempotency key — made from the shipment's Key. Douyin refuses a
// second logisticsAdd of an order already shipped; any refusal is checked
// against order.orderDetail: shipped with our waybill is a repeat.
//
// Stock: sku.syncStock, full (incremental false), with idempotent_id from
// the publication's Key; a repeat answered "idempotent id exists" is
// success.
type douyin struct{}

func init() { Register(douyin{}) }

func (douyin) Name() string { return "douyin" }

// RateLimit: Douyin's limits are per app and method, in requests a
// second; 300 a minute keeps a shop well under them.
func (douyin) RateLimit() (perMinute, burst int) { return 300, 5 }

// douyinCarriers are Douyin's company codes (order.logisticsCompanyList)
// for Tally's carriers.
var douyinCarriers = map[string]string{
	"SF":    "shunfeng",
	"JD":    "jd",
	"YTO":   "yuantong",
	"ZTO":   "zhongtong",
	"STO":   "shentong",
	"YUNDA": "yunda",
	"EMS":   "ems",
	"POSTB": "youzhengguonei",
	"JT":    "jtexpress",
	"DBL":   "debangwuliu",
	"HTKY":  "huitongkuaidi",
	"ZJS":   "zhaijisong",
}

func (douyin) Carrier(canonical string) (string, bool) {
	code, ok := douyinCarriers[canonical]
	return code, ok
}

// douyinZone is China's time, Douyin's timestamps' zone (no DST).
var douyinZone = time.FixedZone("CST", 8*3600)

// DouyinTimestamp is a time as Douyin's timestamp parameter writes it.
func DouyinTimestamp(t time.Time) string { return t.In(douyinZone).Format("2006-01-02 15:04:05") }

// DouyinSign is the hmac-sha256 signature of one request.
func DouyinSign(secret, appKey, method, paramJSON, timestamp, v string) string {
	var b strings.Builder
	b.WriteString(secret)
	b.WriteString("app_key" + appKey)
	b.WriteString("method" + method)
	b.WriteString("param_json" + paramJSON)
	b.WriteString("timestamp" + timestamp)
	b.WriteString("v" + v)
	b.WriteString(secret)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(b.String()))
	return hex.EncodeToString(mac.Sum(nil))
}

// NormalizeParamJSON writes JSON as Douyin signs it: object keys sorted
// at every level, no spaces, no HTML escaping, numbers minimal (1.0 is 1,
// 1.50 is 1.5, 1e3 is 1000). Arrays keep their order.
func NormalizeParamJSON(in []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(in))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("param_json is not JSON: %w", err)
	}
	if _, err := dec.Token(); err == nil {
		return nil, errors.New("param_json has more than one JSON value")
	}
	var out bytes.Buffer
	if err := writeNormal(&out, v, 0); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

const maxJSONDepth = 64

func writeNormal(w *bytes.Buffer, v any, depth int) error {
	if depth > maxJSONDepth {
		return errors.New("param_json nests too deep")
	}
	switch x := v.(type) {
	case nil:
		w.WriteString("null")
	case bool:
		if x {
			w.WriteString("true")
		} else {
			w.WriteString("false")
		}
	case json.Number:
		n, err := minimalNumber(string(x))
		if err != nil {
			return err
		}
		w.WriteString(n)
	case string:
		writeString(w, x)
	case []any:
		w.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				w.WriteByte(',')
			}
			if err := writeNormal(w, e, depth+1); err != nil {
				return err
			}
		}
		w.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		w.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				w.WriteByte(',')
			}
			writeString(w, k)
			w.WriteByte(':')
			if err := writeNormal(w, x[k], depth+1); err != nil {
				return err
			}
		}
		w.WriteByte('}')
	default:
		return fmt.Errorf("param_json holds a %T", v)
	}
	return nil
}

func writeString(w *bytes.Buffer, s string) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	w.Write(bytes.TrimRight(b.Bytes(), "\n"))
}

// minimalNumber writes a JSON number with the fewest digits that keep its
// value: no trailing fraction zeros, no exponent.
func minimalNumber(s string) (string, error) {
	if strings.ContainsAny(s, "eE") {
		f, _, err := big.ParseFloat(s, 10, 256, big.ToNearestEven)
		if err != nil {
			return "", fmt.Errorf("param_json number %q: %w", s, err)
		}
		if exp := f.MantExp(nil); f.IsInf() || exp > 400 || exp < -400 {
			return "", fmt.Errorf("param_json number %q is out of range", s)
		}
		s = f.Text('f', -1)
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	if i := strings.IndexByte(s, '.'); i >= 0 {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	if s == "" || s == "0" {
		return "0", nil
	}
	if neg {
		return "-" + s, nil
	}
	return s, nil
}

// call sends one method and returns its data.
func (d douyin) call(ctx context.Context, c Conn, shop Shop, method string, param any) (json.RawMessage, error) {
	if shop.URL == "" || shop.AppKey == "" || shop.Secret == "" || shop.Session == "" {
		return nil, &Error{Kind: Auth, Message: "the shop needs Douyin's API base URL, app_key, app_secret and access_token"}
	}
	raw, err := json.Marshal(param)
	if err != nil {
		return nil, &Error{Kind: Refused, Code: "douyin.param", Message: "the parameters do not encode: " + err.Error()}
	}
	pj, err := NormalizeParamJSON(raw)
	if err != nil {
		return nil, &Error{Kind: Refused, Code: "douyin.param", Message: err.Error()}
	}
	if err := c.Limit.Wait(ctx, 1); err != nil {
		return nil, err
	}
	ts := DouyinTimestamp(connNow(c))
	q := url.Values{}
	q.Set("app_key", shop.AppKey)
	q.Set("method", method)
	q.Set("access_token", shop.Session)
	q.Set("timestamp", ts)
	q.Set("v", "2")
	q.Set("sign_method", "hmac-sha256")
	q.Set("sign", DouyinSign(shop.Secret, shop.AppKey, method, string(pj), ts, "2"))
	u := strings.TrimRight(shop.URL, "/") + "/" + strings.ReplaceAll(method, ".", "/") + "?" + q.Encode()
	req, err := http.NewRequest(http.MethodPost, u, bytes.NewReader(pj))
	if err != nil {
		return nil, &Error{Kind: Refused, Code: "douyin.url", Message: "the shop's Douyin URL is not a URL"}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	status, body, err := send(ctx, c, "douyin", req)
	if err != nil {
		return nil, err
	}
	data, derr := ParseDouyinAnswer(body)
	if derr != nil {
		derr.Status = status
		if derr.Kind == Throttled {
			c.Limit.Hold(derr.RetryAfter)
		}
		return nil, derr
	}
	return data, nil
}

// douyinThrottleWait is how long a Douyin rate-limit answer holds the
// shop: its limits are per second.
const douyinThrottleWait = 2 * time.Second

// Douyin's sub_code for a repeated idempotency key.
const douyinIdempotentRepeat = "isv.idempotent-id-existed"

// ParseDouyinAnswer reads a Douyin answer: its data on code 10000, else an
// *Error of the kind its code means (Douyin's common error table).
func ParseDouyinAnswer(body []byte) (json.RawMessage, *Error) {
	var a struct {
		Code    *json.Number    `json:"code"`
		Msg     string          `json:"msg"`
		SubCode string          `json:"sub_code"`
		SubMsg  string          `json:"sub_msg"`
		Data    json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &a); err != nil || a.Code == nil {
		return nil, &Error{Kind: Retry, Code: "douyin.answer", Message: "Douyin's answer is not its JSON envelope: " + clipText(string(body), 120)}
	}
	code := a.Code.String()
	if code == "10000" {
		return a.Data, nil
	}
	text := clipText(strings.TrimSpace(a.Msg+" "+a.SubMsg), 300)
	if a.SubCode != "" {
		text += " [" + clipText(a.SubCode, 80) + "]"
	}
	e := &Error{Kind: Refused, Code: clipText(code, 20), Message: text}
	sub := a.SubCode
	switch {
	case code == "60000":
		e.Kind, e.RetryAfter = Throttled, douyinThrottleWait
	case code == "20000" || code == "20001" || code == "90000" || code == "10001":
		e.Kind = Retry
	case code == "30001" || code == "30002" || code == "40001" || code == "80000":
		e.Kind = Auth
	case code == "40003" && sub != douyinIdempotentRepeat && !strings.HasPrefix(sub, "isv.parameter"):
		e.Kind = Auth // signature, access token, app key, timestamp
	case strings.HasPrefix(sub, "isp.service-error"), strings.Contains(a.Msg+a.SubMsg, "稍后重试"):
		e.Kind = Retry // a system error, or "busy, try again later"
	}
	if sub != "" && e.Code != "" {
		e.Code += ":" + clipText(sub, 60)
	}
	return nil, e
}

// douyinRepeat says whether an error is Douyin's "idempotency key seen".
func douyinRepeat(err error) bool {
	var me *Error
	return errors.As(err, &me) && strings.HasSuffix(me.Code, ":"+douyinIdempotentRepeat)
}

// douyinPack is one parcel of order.logisticsAddMultiPack.
type douyinPack struct {
	Info    []douyinShipped `json:"shipped_order_info"`
	Code    string          `json:"logistics_code"`
	Company string          `json:"company_code"`
}

// douyinShipped is a sub-order's units in a pack.
type douyinShipped struct {
	ID  string `json:"shipped_order_id"`
	Num int64  `json:"shipped_num"`
}

// Ship writes one order's shipment back (see the type's comment).
func (d douyin) Ship(ctx context.Context, c Conn, shop Shop, s Shipment) error {
	if len(s.Parcels) == 0 || s.PlatformOrderID == "" {
		return &Error{Kind: Refused, Code: "douyin.empty", Message: "a shipment needs the Douyin order_id and a parcel"}
	}
	for _, pc := range s.Parcels {
		if pc.Waybill == "" || pc.Carrier == "" {
			return &Error{Kind: Refused, Code: "douyin.parcel", Message: "every parcel needs a waybill and Douyin's company code"}
		}
	}
	var err error
	if !s.Split() {
		pc := s.Parcels[0]
		_, err = d.call(ctx, c, shop, "order.logisticsAdd", map[string]any{
			"order_id": s.PlatformOrderID, "company_code": pc.Carrier, "logistics_code": pc.Waybill,
		})
	} else {
		packs := make([]douyinPack, 0, len(s.Parcels))
		for _, pc := range s.Parcels {
			p := douyinPack{Code: pc.Waybill, Company: pc.Carrier}
			for _, it := range pc.Items {
				if it.SubOrderID == "" {
					return &Error{Kind: Refused, Code: "douyin.suborder", Message: "a split Douyin order needs each line's sub-order ID (SKU " + it.SKU + " has none)"}
				}
				if i := slices.IndexFunc(p.Info, func(x douyinShipped) bool { return x.ID == it.SubOrderID }); i >= 0 {
					p.Info[i].Num += it.Qty
				} else {
					p.Info = append(p.Info, douyinShipped{ID: it.SubOrderID, Num: it.Qty})
				}
			}
			if len(p.Info) == 0 {
				return &Error{Kind: Refused, Code: "douyin.parcel", Message: "parcel " + pc.Waybill + " carries no sub-order"}
			}
			packs = append(packs, p)
		}
		_, err = d.call(ctx, c, shop, "order.logisticsAddMultiPack", map[string]any{
			"order_id": s.PlatformOrderID, "pack_list": packs, "request_id": pdStableID(s.Key, 64),
		})
	}
	var me *Error
	if err == nil || !errors.As(err, &me) || me.Kind != Refused {
		return err
	}
	// refused: an order already shipped (our earlier try, its answer lost)
	// is a repeat when every parcel's waybill is on it.
	waybills, derr := d.shippedWaybills(ctx, c, shop, s.PlatformOrderID)
	if derr != nil && pdKind(derr) != Refused {
		return derr // the check itself failed: try again, do not dead-letter
	}
	if derr != nil {
		return err
	}
	for _, pc := range s.Parcels {
		if !waybills[pc.Waybill] {
			return err
		}
	}
	return nil
}

// shippedWaybills reads the waybills an order shipped with.
func (d douyin) shippedWaybills(ctx context.Context, c Conn, shop Shop, order string) (map[string]bool, error) {
	data, err := d.call(ctx, c, shop, "order.orderDetail", map[string]any{"shop_order_id": order})
	if err != nil {
		return nil, err
	}
	return ParseDouyinOrderWaybills(data)
}

// ParseDouyinOrderWaybills reads the waybills of order.orderDetail's data.
func ParseDouyinOrderWaybills(data []byte) (map[string]bool, error) {
	var a struct {
		Order *struct {
			Logistics []struct {
				TrackingNo string `json:"tracking_no"`
			} `json:"logistics_info"`
		} `json:"shop_order_detail"`
	}
	if err := json.Unmarshal(data, &a); err != nil || a.Order == nil {
		return nil, &Error{Kind: Retry, Code: "douyin.answer", Message: "Douyin's order detail has no shop_order_detail"}
	}
	out := map[string]bool{}
	for _, l := range a.Order.Logistics {
		if l.TrackingNo != "" {
			out[l.TrackingNo] = true
		}
	}
	return out, nil
}

// SetStock publishes one SKU's full quantity with the publication's
// idempotency key.
func (d douyin) SetStock(ctx context.Context, c Conn, shop Shop, s StockSet) (StockResult, error) {
	if s.Qty < 0 {
		return StockResult{}, &Error{Kind: Refused, Code: "douyin.qty", Message: "a quantity below zero"}
	}
	if s.Key == "" {
		return StockResult{}, &Error{Kind: Refused, Code: "douyin.key", Message: "a stock publication needs its key (Douyin's idempotent_id)"}
	}
	p := map[string]any{"stock_num": s.Qty, "incremental": false, "idempotent_id": pdStableID(s.Key, 64)}
	if s.Listing.ItemID != "" {
		if !pdDigits(s.Listing.ItemID) {
			return StockResult{}, &Error{Kind: Refused, Code: "douyin.listing", Message: "Douyin's product_id is a number, not " + clipText(s.Listing.ItemID, 40)}
		}
		p["product_id"] = json.Number(s.Listing.ItemID)
	}
	switch {
	case pdDigits(s.Listing.SkuID):
		p["sku_id"] = json.Number(s.Listing.SkuID)
	case s.SKU != "":
		p["code"] = s.SKU
	default:
		return StockResult{}, &Error{Kind: Refused, Code: "douyin.listing", Message: "Douyin needs the sku_id or the merchant's code"}
	}
	_, err := d.call(ctx, c, shop, "sku.syncStock", p)
	if err != nil && !douyinRepeat(err) {
		return StockResult{}, err
	}
	res := StockResult{Qty: s.Qty}
	if err != nil {
		res.Note = "Douyin had this publication already (idempotent_id)"
	}
	return res, nil
}
