package market

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Pinduoduo's open platform (POP): one gateway (…/api/router), the method
// in "type", a form of parameters signed with MD5 over the secret, the
// sorted name-value pairs and the secret again, upper case; the
// timestamp is Unix seconds and must be within ten minutes of the
// platform's clock.
//
// Shipment: pdd.logistics.online.send ships the whole order with one
// waybill — Pinduoduo takes no sub-orders there. A split order is
// written as the first parcel's waybill by online.send and every other
// parcel's waybill by pdd.order.upload.extra.logistics (extra_track_type
// 1, 分包发货), which Pinduoduo keeps for the buyer to follow; which
// sub-order is in which parcel is not something Pinduoduo records. A send
// the platform refuses is checked against pdd.order.information.get: an
// order already shipped with our waybill is a repeat (success); one
// shipped with another waybill takes ours as extra waybills.
//
// Stock: pdd.goods.quantity.update on goods_id with sku_id (or outer_id,
// the merchant's code). It takes no idempotency key, so a delta
// (update_type 2) is sent only on the first try of a publication, when
// the adapter knows what the platform was last told; a delta keeps the
// units buyers bought on the platform since then out of the quantity. Any
// later try of the same publication (its answer lost, a timeout) is sent
// full (update_type 1), which is the same however often it lands.
type pdd struct {
	mu    sync.Mutex
	tried map[string]time.Time // publications a delta was sent for
}

func init() { Register(&pdd{tried: map[string]time.Time{}}) }

func (*pdd) Name() string { return "pdd" }

// RateLimit: Pinduoduo sets limits per app and per method (the app's
// traffic certificate); 300 a minute stays well under the usual ones.
func (*pdd) RateLimit() (perMinute, burst int) { return 300, 10 }

// pddCarriers are Pinduoduo's logistics IDs (pdd.logistics.companies.get)
// for Tally's carriers. J&T, Deppon and Best are missing on purpose: their
// IDs were not confirmed from a public source; a shipment with them is a
// dead letter that says so, until they are added here.
var pddCarriers = map[string]string{
	"SF":    "44",  // 顺丰速运
	"JD":    "120", // 京东快递
	"YTO":   "85",  // 圆通速递
	"ZTO":   "115", // 中通快递
	"STO":   "1",   // 申通快递
	"YUNDA": "121", // 韵达快递
	"EMS":   "118", // EMS
	"POSTB": "132", // 邮政快递包裹
	"ZJS":   "129", // 宅急送
}

func (*pdd) Carrier(canonical string) (string, bool) {
	code, ok := pddCarriers[canonical]
	return code, ok
}

// PDDSign is Pinduoduo's signature of a request's parameters (every one
// but sign).
func PDDSign(secret string, params map[string]string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k != "sign" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(secret)
	for _, k := range keys {
		b.WriteString(k)
		b.WriteString(params[k])
	}
	b.WriteString(secret)
	sum := md5.Sum([]byte(b.String()))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// call sends one method with its business parameters and returns the
// method's answer object (the "…_response" member).
func (p *pdd) call(ctx context.Context, c Conn, shop Shop, method string, biz map[string]string) (json.RawMessage, error) {
	if shop.URL == "" || shop.AppKey == "" || shop.Secret == "" || shop.Session == "" {
		return nil, &Error{Kind: Auth, Message: "the shop needs Pinduoduo's gateway URL, client_id (app key), client_secret and access_token"}
	}
	if err := c.Limit.Wait(ctx, 1); err != nil {
		return nil, err
	}
	params := map[string]string{
		"type":         method,
		"client_id":    shop.AppKey,
		"access_token": shop.Session,
		"timestamp":    strconv.FormatInt(connNow(c).Unix(), 10),
		"data_type":    "JSON",
	}
	for k, v := range biz {
		params[k] = v
	}
	params["sign"] = PDDSign(shop.Secret, params)
	form := url.Values{}
	for k, v := range params {
		form.Set(k, v)
	}
	req, err := http.NewRequest(http.MethodPost, shop.URL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, &Error{Kind: Refused, Code: "pdd.url", Message: "the shop's Pinduoduo URL is not a URL"}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	status, body, err := send(ctx, c, "pinduoduo", req)
	if err != nil {
		return nil, err
	}
	answer, perr := ParsePDDAnswer(body)
	if perr != nil {
		perr.Status = status
		if perr.Kind == Throttled {
			c.Limit.Hold(perr.RetryAfter)
		}
		return nil, perr
	}
	return answer, nil
}

// pddThrottleWait is how long a Pinduoduo rate-limit answer holds the
// shop: its limits are counted over windows of ten seconds.
const pddThrottleWait = 10 * time.Second

// ParsePDDAnswer reads a Pinduoduo answer: the method's "…_response"
// object, or its error_response as an *Error of the right kind.
func ParsePDDAnswer(body []byte) (json.RawMessage, *Error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil || top == nil {
		return nil, &Error{Kind: Retry, Code: "pdd.answer", Message: "Pinduoduo's answer is not a JSON object: " + clipText(string(body), 120)}
	}
	if raw, ok := top["error_response"]; ok {
		var e struct {
			Code    json.Number `json:"error_code"`
			Msg     string      `json:"error_msg"`
			SubCode string      `json:"sub_code"`
			SubMsg  string      `json:"sub_msg"`
		}
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, &Error{Kind: Retry, Code: "pdd.answer", Message: "Pinduoduo's error_response is unreadable"}
		}
		return nil, pddError(e.Code.String(), e.SubCode, e.Msg, e.SubMsg)
	}
	for k, v := range top {
		if strings.HasSuffix(k, "_response") {
			return v, nil
		}
	}
	return nil, &Error{Kind: Retry, Code: "pdd.answer", Message: "Pinduoduo's answer has neither a …_response nor an error_response"}
}

// pddError maps Pinduoduo's error codes (the common error table of its
// API documentation) to kinds.
func pddError(code, subCode, msg, subMsg string) *Error {
	text := clipText(strings.TrimSpace(msg+" "+subMsg), 300)
	if subCode != "" {
		text += " [" + clipText(subCode, 80) + "]"
	}
	e := &Error{Kind: Refused, Code: clipText(code, 20), Message: text}
	switch code {
	case "20004": // 签名校验失败
		e.Kind = Auth
	case "10019", "20005", "20031", "70032", "70034", "70035": // token expired; IP not on the allow list; no permission package; forbidden / risk
		e.Kind = Auth
	case "52101", "70031", "70036": // throttled; called too often; a test app's quota
		e.Kind, e.RetryAfter = Throttled, pddThrottleWait
	case "52102", "52103", "70033", "50000", "50001", "50002", "52001", "52002": // degraded / maintenance; platform errors
		e.Kind = Retry
	}
	if e.Kind == Refused && strings.Contains(strings.ToLower(subCode+msg+subMsg), "access_token") {
		e.Kind = Auth
	}
	return e
}

// Ship writes one order's shipment back (see the type's comment).
func (p *pdd) Ship(ctx context.Context, c Conn, shop Shop, s Shipment) error {
	if len(s.Parcels) == 0 || s.PlatformOrderID == "" {
		return &Error{Kind: Refused, Code: "pdd.empty", Message: "a shipment needs the Pinduoduo order_sn and a parcel"}
	}
	for _, pc := range s.Parcels {
		if pc.Waybill == "" || !pdDigits(pc.Carrier) {
			return &Error{Kind: Refused, Code: "pdd.parcel", Message: "every parcel needs a waybill and Pinduoduo's logistics ID for its carrier"}
		}
	}
	main := s.Parcels[0]
	extras := slices.DeleteFunc(slices.Clone(s.Parcels[1:]), func(pc Parcel) bool { return pc.Waybill == main.Waybill })
	answer, err := p.call(ctx, c, shop, "pdd.logistics.online.send", map[string]string{
		"order_sn": s.PlatformOrderID, "logistics_id": main.Carrier, "tracking_number": main.Waybill,
	})
	if err == nil {
		var ok struct {
			Success any `json:"is_success"`
		}
		if json.Unmarshal(answer, &ok) != nil || !pddTrue(ok.Success) {
			return &Error{Kind: Retry, Code: "pdd.not_success", Message: "Pinduoduo answered the shipment of " + s.PlatformOrderID + " without is_success"}
		}
	} else {
		var me *Error
		if !errors.As(err, &me) || me.Kind != Refused {
			return err
		}
		// refused: an order already shipped (our earlier try, its answer
		// lost; or a parcel sent before) says so here.
		shipped, tracking, ierr := p.orderShipped(ctx, c, shop, s.PlatformOrderID)
		if ierr != nil && pdKind(ierr) != Refused {
			return ierr // the check itself failed: try again, do not dead-letter
		}
		if ierr != nil || !shipped {
			return err
		}
		if tracking != main.Waybill {
			extras = s.Parcels
		}
		extras = slices.DeleteFunc(slices.Clone(extras), func(pc Parcel) bool { return pc.Waybill == tracking })
	}
	return p.uploadExtras(ctx, c, shop, s.PlatformOrderID, extras)
}

// uploadExtras writes the other parcels' waybills, all in one call (a
// repeat names the same waybills).
func (p *pdd) uploadExtras(ctx context.Context, c Conn, shop Shop, order string, extras []Parcel) error {
	type track struct {
		ShippingID int64  `json:"shipping_id"`
		Tracking   string `json:"tracking_number"`
	}
	var list []track
	for _, pc := range extras {
		id, _ := strconv.ParseInt(pc.Carrier, 10, 64)
		if !slices.ContainsFunc(list, func(t track) bool { return t.Tracking == pc.Waybill }) {
			list = append(list, track{ShippingID: id, Tracking: pc.Waybill})
		}
	}
	if len(list) == 0 {
		return nil
	}
	b, _ := json.Marshal(list)
	answer, err := p.call(ctx, c, shop, "pdd.order.upload.extra.logistics", map[string]string{
		"order_sn": order, "extra_track_type": "1", "extra_track_list": string(b),
	})
	if err != nil {
		return err
	}
	var ok struct {
		Success any `json:"success"`
	}
	if json.Unmarshal(answer, &ok) != nil || !pddTrue(ok.Success) {
		return &Error{Kind: Retry, Code: "pdd.not_success", Message: "Pinduoduo answered the extra waybills of " + order + " without success"}
	}
	return nil
}

// orderShipped reads whether an order has shipped and with which waybill.
func (p *pdd) orderShipped(ctx context.Context, c Conn, shop Shop, order string) (shipped bool, tracking string, err error) {
	answer, err := p.call(ctx, c, shop, "pdd.order.information.get", map[string]string{"order_sn": order})
	if err != nil {
		return false, "", err
	}
	info, perr := ParsePDDOrderInfo(answer)
	if perr != nil {
		return false, "", perr
	}
	return info.Status == 2 || info.Status == 3 || info.Tracking != "", info.Tracking, nil
}

// PDDOrderInfo is what the adapter reads of pdd.order.information.get.
type PDDOrderInfo struct {
	OrderSN  string
	Status   int // order_status: 1 waiting to ship, 2 shipped, 3 received
	Tracking string
}

// ParsePDDOrderInfo reads the order_info_get_response member.
func ParsePDDOrderInfo(answer []byte) (PDDOrderInfo, *Error) {
	var a struct {
		Info *struct {
			OrderSN  string      `json:"order_sn"`
			Status   json.Number `json:"order_status"`
			Tracking string      `json:"tracking_number"`
		} `json:"order_info"`
	}
	if err := json.Unmarshal(answer, &a); err != nil || a.Info == nil {
		return PDDOrderInfo{}, &Error{Kind: Retry, Code: "pdd.answer", Message: "Pinduoduo's order information has no order_info"}
	}
	st, _ := strconv.Atoi(a.Info.Status.String())
	return PDDOrderInfo{OrderSN: a.Info.OrderSN, Status: st, Tracking: a.Info.Tracking}, nil
}

// pdKind is an error's kind (0 for one that is not an *Error).
func pdKind(err error) Kind {
	var me *Error
	if errors.As(err, &me) {
		return me.Kind
	}
	return 0
}

// pddTrue reads Pinduoduo's success flags, which come as true, 1 or "1".
func pddTrue(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case float64:
		return x == 1
	case string:
		return x == "1" || strings.EqualFold(x, "true")
	}
	return false
}

// SetStock publishes one SKU's quantity (see the type's comment).
func (p *pdd) SetStock(ctx context.Context, c Conn, shop Shop, s StockSet) (StockResult, error) {
	if !pdDigits(s.Listing.ItemID) {
		return StockResult{}, &Error{Kind: Refused, Code: "pdd.listing", Message: "Pinduoduo needs the listing's goods_id (a number) for SKU " + s.SKU}
	}
	if s.Qty < 0 {
		return StockResult{}, &Error{Kind: Refused, Code: "pdd.qty", Message: "a quantity below zero"}
	}
	biz := map[string]string{"goods_id": s.Listing.ItemID}
	switch {
	case pdDigits(s.Listing.SkuID):
		biz["sku_id"] = s.Listing.SkuID
	case s.SKU != "":
		biz["outer_id"] = s.SKU
	default:
		return StockResult{}, &Error{Kind: Refused, Code: "pdd.listing", Message: "Pinduoduo needs the sku_id or the merchant's code"}
	}
	res := StockResult{Qty: s.Qty}
	delta := int64(0)
	if s.LastKnown && s.Key != "" && p.firstTry(s.Key, connNow(c)) {
		delta = s.Qty - s.Last
		biz["update_type"], biz["quantity"] = "2", strconv.FormatInt(delta, 10)
		res.Note = fmt.Sprintf("delta %+d on what Pinduoduo held", delta)
	} else {
		biz["update_type"], biz["quantity"] = "1", strconv.FormatInt(s.Qty, 10)
	}
	answer, err := p.call(ctx, c, shop, "pdd.goods.quantity.update", biz)
	if err != nil && delta < 0 && pdKind(err) == Refused {
		// the buyers took more than the decrease leaves: Pinduoduo holds
		// less than |delta|, so what may still be sold there is nothing
		biz["update_type"], biz["quantity"] = "1", "0"
		res = StockResult{Qty: 0, Note: fmt.Sprintf("delta %+d refused (Pinduoduo held less): set to 0", delta)}
		answer, err = p.call(ctx, c, shop, "pdd.goods.quantity.update", biz)
	}
	if err != nil {
		return StockResult{}, err
	}
	var ok struct {
		Success any `json:"is_success"`
	}
	if json.Unmarshal(answer, &ok) != nil || !pddTrue(ok.Success) {
		return StockResult{}, &Error{Kind: Retry, Code: "pdd.not_success", Message: "Pinduoduo answered the stock of " + s.SKU + " without is_success"}
	}
	return res, nil
}

// Publications a delta was sent for are remembered a day (a retry comes
// within minutes); with more than pddTriedMax of them remembered, a new
// one goes full rather than forget one that may still be retried.
const (
	pddTriedKeep = 24 * time.Hour
	pddTriedMax  = 100_000
)

// firstTry says whether key is tried for the first time (and a delta may
// be sent), and remembers it.
func (p *pdd) firstTry(key string, now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, seen := p.tried[key]; seen {
		return false
	}
	if len(p.tried) >= pddTriedMax {
		for k, at := range p.tried {
			if now.Sub(at) > pddTriedKeep {
				delete(p.tried, k)
			}
		}
		if len(p.tried) >= pddTriedMax {
			return false
		}
	}
	p.tried[key] = now
	return true
}
