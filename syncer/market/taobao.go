package market

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Taobao and Tmall through TOP (the router/rest gateway).
//
// Every call carries TOP's system parameters (method, app_key, session,
// timestamp in China time, format=json, v=2.0, sign_method, sign) and its
// business parameters in one form; the sign is over every parameter but
// sign, sorted by name, each name then value, with the shop's sign method:
// md5 wraps the text in the secret, hmac is HMAC-MD5 and hmac-sha256 is
// HMAC-SHA256 keyed by the secret (upper-case hex either way).
//
// Shipments: taobao.logistics.offline.send per parcel. A split shipment
// (Shipment.Split) goes with is_split=1 and sub_tid naming the parcel's
// sub-orders (oid) not already written back with an earlier parcel of the
// same shipment; a parcel whose sub-orders all went earlier is not sent
// (TOP keeps one waybill per sub-order). TOP answers a repeat with
// isv.logistics-offline-service-error:B04 ("already shipped or closed")
// without saying which waybill; the adapter then reads the order's
// logistics records (taobao.logistics.orders.get) and takes B04 as done
// only when one carries this parcel's waybill.
//
// Stock (full quantities, type=1; TOP's Taobao methods have no
// idempotency key, a full quantity is safe to send again):
//   - a listing with item and SKU IDs: taobao.item.quantity.update
//     (num_iid, sku_id);
//   - a listing with only the item ID: taobao.skus.quantity.update with
//     outerid_quantities (the SKU found by the merchant's code, Tally's SKU);
//   - a Tmall shop (its Shop.Channel starts with "tmall" or "天猫"):
//     tmall.item.quantity.update (item_id, sku_quantities by sku_id or
//     outer_id) with options.outer_biz_key = hex MD5 of StockSet.Key (TOP
//     takes only hex digits there), so a repeat is one effect.
// A listing without an item ID is refused: TOP finds no listing without it.

type taobao struct{}

func init() { Register(taobao{}) }

func (taobao) Name() string { return "taobao" }

// topCarriers are TOP's logistics company codes (taobao.logistics.companies.get).
var topCarriers = map[string]string{
	"SF": "SF", "JD": "JD", "YTO": "YTO", "ZTO": "ZTO", "STO": "STO", "YUNDA": "YUNDA", "EMS": "EMS",
	"POSTB": "POSTB", "JT": "JT", "DBL": "DBKD", "HTKY": "HTKY", "ZJS": "ZJS",
}

func (taobao) Carrier(canonical string) (string, bool) {
	c, ok := topCarriers[canonical]
	return c, ok
}

// RateLimit: TOP's limits are per app and API (thousands a minute for an
// ordinary ISV app); a shop keeps well under with 300 a minute.
func (taobao) RateLimit() (int, int) { return 300, 10 }

// china is TOP's and JOS's clock (no tzdata needed: China has no DST).
var china = time.FixedZone("CST", 8*3600)

// TopSign is TOP's signature of params (every one but "sign") with a
// sign method: md5, hmac or hmac-sha256 (empty: hmac-sha256).
func TopSign(params url.Values, secret, method string) (string, error) {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k != "sign" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var text bytes.Buffer
	for _, k := range keys {
		text.WriteString(k)
		text.WriteString(params.Get(k))
	}
	var h hash.Hash
	switch method {
	case "md5":
		h = md5.New()
		h.Write([]byte(secret))
		h.Write(text.Bytes())
		h.Write([]byte(secret))
		return strings.ToUpper(hex.EncodeToString(h.Sum(nil))), nil
	case "hmac":
		h = hmac.New(md5.New, []byte(secret))
	case "hmac-sha256", "":
		h = hmac.New(sha256.New, []byte(secret))
	default:
		return "", fmt.Errorf("TOP has no sign method %q (md5, hmac or hmac-sha256)", method)
	}
	h.Write(text.Bytes())
	return strings.ToUpper(hex.EncodeToString(h.Sum(nil))), nil
}

// topError is TOP's error_response.
type topError struct {
	Code    flexID `json:"code"`
	Msg     string `json:"msg"`
	SubCode string `json:"sub_code"`
	SubMsg  string `json:"sub_msg"`
}

// flexID is an ID or a code TOP and JOS write as a number or a string.
type flexID string

func (f *flexID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexID(s)
		return nil
	}
	if string(b) == "null" {
		*f = ""
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*f = flexID(n.String())
	return nil
}

// flexBool is a flag JOS writes as true or "true".
type flexBool bool

func (f *flexBool) UnmarshalJSON(b []byte) error {
	switch strings.Trim(string(bytes.TrimSpace(b)), `"`) {
	case "true", "1":
		*f = true
	case "false", "0", "null", "":
		*f = false
	default:
		return fmt.Errorf("not a flag: %.20s", b)
	}
	return nil
}

var topBan = regexp.MustCompile(`(?i)last for (\d+) more seconds`)

// topFailure maps TOP's error to a Kind: rate limits (codes 4-8, the
// accesscontrol.* sub-codes) are Throttled, for as long as the ban's
// sub_msg says; a bad signature, session, app key or timestamp is Auth;
// isv.* (the request's content) is Refused; isp.* and service errors
// are Retry.
func topFailure(e topError) *Error {
	code := string(e.Code)
	n, _ := strconv.Atoi(code)
	out := &Error{Code: "top." + code, Message: clipText(strings.TrimSpace(e.Msg+": "+e.SubMsg), 300)}
	if e.SubCode != "" {
		out.Code += "/" + clipText(e.SubCode, 80)
	}
	sub := strings.ToLower(e.SubCode)
	switch {
	case n >= 4 && n <= 8 || strings.HasPrefix(sub, "accesscontrol."):
		out.Kind = Throttled
		if m := topBan.FindStringSubmatch(e.SubMsg); m != nil {
			if s, err := strconv.Atoi(m[1]); err == nil {
				out.RetryAfter = time.Duration(min(s, 86400)) * time.Second
			}
		}
	case slices.Contains([]int{11, 12, 24, 25, 26, 27, 28, 29, 31}, n) || strings.Contains(sub, "session"):
		out.Kind = Auth
	case strings.HasSuffix(sub, ":b150"): // "发货异常，请稍等后重试"
		out.Kind = Retry
	case strings.HasPrefix(sub, "isv."):
		out.Kind = Refused
	case strings.HasPrefix(sub, "isp."):
		out.Kind = Retry
	case slices.Contains([]int{21, 22, 23, 40, 41, 43}, n):
		out.Kind = Refused
	default:
		out.Kind = Retry
	}
	return out
}

// decodeTop reads a TOP answer: the object under key, or its error.
func decodeTop(body []byte, key string) (json.RawMessage, error) {
	var env map[string]json.RawMessage
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, &Error{Kind: Down, Message: "TOP's answer is not JSON: " + clipText(err.Error(), 120)}
	}
	if raw, ok := env["error_response"]; ok {
		var e topError
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, &Error{Kind: Down, Message: "TOP's error_response is unreadable: " + clipText(err.Error(), 120)}
		}
		return nil, topFailure(e)
	}
	raw, ok := env[key]
	if !ok || len(raw) == 0 || raw[0] != '{' {
		return nil, &Error{Kind: Retry, Message: "TOP's answer has no " + key}
	}
	return raw, nil
}

// topCall signs and sends one TOP method, answering the object under its
// response key.
func topCall(ctx context.Context, c Conn, shop Shop, method string, biz map[string]string) (json.RawMessage, error) {
	if shop.URL == "" || shop.AppKey == "" || shop.Secret == "" || shop.Session == "" {
		return nil, &Error{Kind: Auth, Code: "top.config", Message: "the shop needs TOP's gateway URL, an app key, a secret and the seller's session"}
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	form := url.Values{}
	for k, v := range biz {
		form.Set(k, v)
	}
	form.Set("method", method)
	form.Set("app_key", shop.AppKey)
	form.Set("session", shop.Session)
	form.Set("timestamp", now().In(china).Format("2006-01-02 15:04:05"))
	form.Set("format", "json")
	form.Set("v", "2.0")
	sm := shop.SignMethod
	if sm == "" {
		sm = "hmac-sha256"
	}
	form.Set("sign_method", sm)
	sign, err := TopSign(form, shop.Secret, sm)
	if err != nil {
		return nil, &Error{Kind: Auth, Code: "top.sign_method", Message: err.Error()}
	}
	form.Set("sign", sign)
	body, err := postForm(ctx, c, "TOP", shop.URL, form)
	if err != nil {
		return nil, err
	}
	// the answer's key: taobao.x.y answers x_y_response, tmall.x.y tmall_x_y_response
	raw, err := decodeTop(body, strings.ReplaceAll(strings.TrimPrefix(method, "taobao."), ".", "_")+"_response")
	var me *Error
	if errors.As(err, &me) && me.Kind == Throttled {
		c.Limit.Hold(me.RetryAfter)
	}
	return raw, err
}

func (t taobao) Ship(ctx context.Context, c Conn, shop Shop, s Shipment) error {
	if s.PlatformOrderID == "" {
		return Errorf(Refused, "top.no_tid", "order %s has no Taobao order ID (tid)", s.Order)
	}
	if len(s.Parcels) == 0 {
		return Errorf(Refused, "top.no_parcel", "order %s: nothing to write back (no parcel)", s.Order)
	}
	split := s.Split()
	// everything checked before anything is sent: a refusal leaves nothing half written
	for i, p := range s.Parcels {
		if strings.TrimSpace(p.Waybill) == "" || p.Carrier == "" {
			return Errorf(Refused, "top.no_waybill", "order %s: parcel %d has no waybill or carrier", s.Order, i+1)
		}
		for _, it := range p.Items {
			if split && it.SubOrderID == "" {
				return Errorf(Refused, "top.no_oid", "order %s was split into parcels: Taobao takes a split shipment by sub-order (oid), and the line %s has none", s.Order, it.SKU)
			}
		}
	}
	sent := map[string]bool{}
	for _, p := range s.Parcels {
		biz := map[string]string{"tid": s.PlatformOrderID, "out_sid": p.Waybill, "company_code": p.Carrier}
		if split {
			var subs []string
			for _, sub := range p.SubOrdersOf() {
				if !sent[sub] {
					subs = append(subs, sub)
				}
			}
			if len(subs) == 0 {
				continue
			}
			biz["is_split"] = "1"
			biz["sub_tid"] = strings.Join(subs, ",")
			for _, sub := range subs {
				sent[sub] = true
			}
		}
		if err := t.send(ctx, c, shop, s, biz); err != nil {
			return err
		}
		if !split {
			return nil
		}
	}
	return nil
}

// send writes one parcel back; "already shipped" is done when TOP's own
// records of the order carry this waybill.
func (t taobao) send(ctx context.Context, c Conn, shop Shop, s Shipment, biz map[string]string) error {
	raw, err := topCall(ctx, c, shop, "taobao.logistics.offline.send", biz)
	var me *Error
	if errors.As(err, &me) && strings.HasSuffix(strings.ToLower(me.Code), "logistics-offline-service-error:b04") {
		has, cerr := t.shippedWith(ctx, c, shop, s.PlatformOrderID, biz["out_sid"])
		if cerr != nil {
			return cerr
		}
		if has {
			return nil
		}
		me.Message = "order " + s.Order + " (" + s.PlatformOrderID + ") already shipped with another waybill, or closed, on Taobao: " + me.Message
		return me
	}
	if err != nil {
		return err
	}
	var ans struct {
		Shipping struct {
			IsSuccess flexBool `json:"is_success"`
		} `json:"shipping"`
	}
	if err := json.Unmarshal(raw, &ans); err != nil {
		return &Error{Kind: Retry, Message: "TOP's shipment answer is unreadable: " + clipText(err.Error(), 120)}
	}
	if !ans.Shipping.IsSuccess {
		return Errorf(Retry, "top.not_success", "TOP answered the shipment of %s without is_success", s.PlatformOrderID)
	}
	return nil
}

// shippedWith says whether TOP's logistics records of an order carry a
// waybill.
func (taobao) shippedWith(ctx context.Context, c Conn, shop Shop, tid, waybill string) (bool, error) {
	raw, err := topCall(ctx, c, shop, "taobao.logistics.orders.get", map[string]string{"tid": tid, "fields": "tid,out_sid,status,company_name"})
	if err != nil {
		return false, err
	}
	recs, err := decodeTopShippings(raw)
	if err != nil {
		return false, err
	}
	for _, r := range recs {
		if strings.TrimSpace(r) == waybill {
			return true, nil
		}
	}
	return false, nil
}

// decodeTopShippings reads the waybills (out_sid) of logistics.orders.get.
func decodeTopShippings(raw json.RawMessage) ([]string, error) {
	var ans struct {
		Shippings struct {
			Shipping []struct {
				OutSid flexID `json:"out_sid"`
			} `json:"shipping"`
		} `json:"shippings"`
	}
	if err := json.Unmarshal(raw, &ans); err != nil {
		return nil, &Error{Kind: Retry, Message: "TOP's logistics records are unreadable: " + clipText(err.Error(), 120)}
	}
	out := make([]string, 0, len(ans.Shippings.Shipping))
	for _, s := range ans.Shippings.Shipping {
		out = append(out, string(s.OutSid))
	}
	return out, nil
}

// IsTmall says whether a TOP shop is a Tmall shop: its channel is named
// tmall… or 天猫….
func IsTmall(shop Shop) bool {
	ch := strings.ToLower(strings.TrimSpace(shop.Channel))
	return strings.HasPrefix(ch, "tmall") || strings.HasPrefix(ch, "天猫")
}

// topItem is the item TOP answers a quantity update with.
type topItem struct {
	Item struct {
		NumIid flexID `json:"num_iid"`
		Num    *int64 `json:"num"`
		Skus   struct {
			Sku []struct {
				SkuID    flexID `json:"sku_id"`
				OuterID  string `json:"outer_id"`
				Quantity *int64 `json:"quantity"`
			} `json:"sku"`
		} `json:"skus"`
	} `json:"item"`
}

// decodeTopItem reads what a listing holds after a Taobao quantity
// update: the SKU's quantity (by ID or merchant code), else the item's.
func decodeTopItem(raw json.RawMessage, skuID, outer string) (qty int64, ok bool, err error) {
	var it topItem
	if err := json.Unmarshal(raw, &it); err != nil {
		return 0, false, &Error{Kind: Retry, Message: "TOP's stock answer is unreadable: " + clipText(err.Error(), 120)}
	}
	for _, s := range it.Item.Skus.Sku {
		if s.Quantity != nil && (skuID != "" && string(s.SkuID) == skuID || skuID == "" && outer != "" && s.OuterID == outer) {
			return *s.Quantity, true, nil
		}
	}
	if skuID == "" && outer == "" && it.Item.Num != nil {
		return *it.Item.Num, true, nil
	}
	return 0, false, nil
}

func (taobao) SetStock(ctx context.Context, c Conn, shop Shop, s StockSet) (StockResult, error) {
	if s.Qty < 0 {
		return StockResult{}, Errorf(Refused, "top.qty", "SKU %s: a quantity below zero (%d) is not published", s.SKU, s.Qty)
	}
	if s.Listing.ItemID == "" {
		return StockResult{}, Errorf(Refused, "top.no_item", "SKU %s has no Taobao item ID (num_iid) for this shop: TOP finds a listing by it", s.SKU)
	}
	qty := strconv.FormatInt(s.Qty, 10)
	if IsTmall(shop) {
		if s.Key == "" {
			return StockResult{}, Errorf(Refused, "top.no_key", "SKU %s: a Tmall stock update needs the publication's key (outer_biz_key)", s.SKU)
		}
		sku := map[string]any{"quantity": s.Qty}
		if s.Listing.SkuID != "" {
			sku["sku_id"] = json.Number(s.Listing.SkuID)
		} else {
			sku["outer_id"] = s.SKU
		}
		if s.Listing.SkuID != "" && !isDigits(s.Listing.SkuID) || !isDigits(s.Listing.ItemID) {
			return StockResult{}, Errorf(Refused, "top.bad_id", "SKU %s: Tmall's item and SKU IDs are numbers (%q, %q)", s.SKU, s.Listing.ItemID, s.Listing.SkuID)
		}
		skus, _ := json.Marshal([]map[string]any{sku})
		sum := md5.Sum([]byte(s.Key))
		opts, _ := json.Marshal(map[string]any{"type": 1, "outer_biz_key": hex.EncodeToString(sum[:])})
		raw, err := topCall(ctx, c, shop, "tmall.item.quantity.update", map[string]string{
			"item_id": s.Listing.ItemID, "sku_quantities": string(skus), "options": string(opts)})
		if err != nil {
			return StockResult{}, err
		}
		var ans struct {
			Result flexID `json:"quantity_update_result"`
		}
		if err := json.Unmarshal(raw, &ans); err != nil || ans.Result == "" {
			return StockResult{}, Errorf(Retry, "top.answer", "Tmall's stock answer for %s has no quantity_update_result", s.SKU)
		}
		return StockResult{Qty: s.Qty}, nil
	}
	var raw json.RawMessage
	var err error
	if s.Listing.SkuID != "" {
		raw, err = topCall(ctx, c, shop, "taobao.item.quantity.update", map[string]string{
			"num_iid": s.Listing.ItemID, "sku_id": s.Listing.SkuID, "quantity": qty, "type": "1"})
	} else {
		if strings.ContainsAny(s.SKU, ":;") {
			return StockResult{}, Errorf(Refused, "top.outer_id", "SKU %s cannot be a Taobao merchant code in outerid_quantities (it has : or ;)", s.SKU)
		}
		raw, err = topCall(ctx, c, shop, "taobao.skus.quantity.update", map[string]string{
			"num_iid": s.Listing.ItemID, "outerid_quantities": s.SKU + ":" + qty, "type": "1"})
	}
	if err != nil {
		return StockResult{}, err
	}
	got, ok, err := decodeTopItem(raw, s.Listing.SkuID, s.SKU)
	if err != nil {
		return StockResult{}, err
	}
	if !ok {
		return StockResult{Qty: s.Qty, Note: "TOP did not say the SKU's quantity"}, nil
	}
	return StockResult{Qty: got}, nil
}

func isDigits(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
