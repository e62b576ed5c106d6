package fakemarket

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Taobao/Tmall's TOP gateway (router/rest), format=json: the system
// parameters and the signature (md5, hmac, hmac-sha256) checked against
// the keys, the timestamp within 10 minutes (China time), and the methods
// the warehouse uses: taobao.logistics.offline.send (with is_split and
// sub_tid), taobao.logistics.orders.get, taobao.item.quantity.update,
// taobao.skus.quantity.update and tmall.item.quantity.update (its
// outer_biz_key applies once). Errors come as TOP's error_response.

// maxGatewayRequest is the most of a request a fake gateway reads.
const maxGatewayRequest = 1 << 20

func init() {
	register(platform{name: "taobao", path: "/taobao/router/rest", handler: topGateway})
}

// topCST is TOP's clock.
var topCST = time.FixedZone("CST", 8*3600)

// topCarrierCodes are the company codes the fake TOP knows.
var topCarrierCodes = map[string]string{
	"SF": "顺丰速运", "JD": "京东配送", "YTO": "圆通速递", "ZTO": "中通快递", "STO": "申通快递", "YUNDA": "韵达快递",
	"EMS": "EMS", "POSTB": "邮政快递包裹", "JT": "极兔速递", "DBKD": "德邦快递", "HTKY": "百世快递", "ZJS": "宅急送",
}

// readSignedForm reads a gateway's form (query and urlencoded body, at
// most 1 MiB together).
func readSignedForm(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	if len(r.URL.RawQuery) > maxGatewayRequest {
		return nil, fmt.Errorf("the query is over %d bytes", maxGatewayRequest)
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxGatewayRequest)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, fmt.Errorf("the body is over %d bytes", maxGatewayRequest)
		}
		return nil, fmt.Errorf("the form is unreadable: %v", err)
	}
	return r.Form, nil
}

// topSignature is the signature TOP expects (computed here on its own,
// not with the adapter's code).
func topSignature(form url.Values, secret, method string) (string, bool) {
	names := make([]string, 0, len(form))
	for k := range form {
		if k != "sign" {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	var b strings.Builder
	for _, k := range names {
		b.WriteString(k + form.Get(k))
	}
	var h hash.Hash
	switch method {
	case "md5", "":
		sum := md5.Sum([]byte(secret + b.String() + secret))
		return strings.ToUpper(hex.EncodeToString(sum[:])), true
	case "hmac":
		h = hmac.New(md5.New, []byte(secret))
	case "hmac-sha256":
		h = hmac.New(sha256.New, []byte(secret))
	default:
		return "", false
	}
	h.Write([]byte(b.String()))
	return strings.ToUpper(hex.EncodeToString(h.Sum(nil))), true
}

type topAnswer struct {
	w   http.ResponseWriter
	m   *Market
	seq string
}

func (a topAnswer) send(status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error_response":{"code":1,"msg":"Unknown Error"}}`)
	}
	a.w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	a.w.WriteHeader(status)
	_, _ = a.w.Write(b)
}

// fail is TOP's error_response (HTTP 200, as TOP answers).
func (a topAnswer) fail(code int, msg, subCode, subMsg string) {
	e := map[string]any{"code": code, "msg": msg, "request_id": a.seq}
	if subCode != "" {
		e["sub_code"], e["sub_msg"] = subCode, subMsg
	}
	a.send(http.StatusOK, map[string]any{"error_response": e})
}

func (a topAnswer) ok(method string, body map[string]any) {
	body["request_id"] = a.seq
	a.send(http.StatusOK, map[string]any{strings.ReplaceAll(strings.TrimPrefix(method, "taobao."), ".", "_") + "_response": body})
}

func topGateway(m *Market) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := topAnswer{w: w, m: m, seq: fmt.Sprintf("fake%x", m.now().UnixNano())}
		form, err := readSignedForm(w, r)
		if err != nil {
			a.fail(41, "Invalid Arguments", "isv.invalid-parameter", err.Error())
			return
		}
		switch FaultOf(r) {
		case FaultSignature:
			a.fail(25, "Invalid signature", "", "")
			return
		case FaultSession:
			a.fail(27, "Invalid session", "session-expired", "SessionKey非法或已过期")
			return
		case FaultRateLimit:
			a.fail(7, "App Call Limited", "accesscontrol.limited-by-app-access-count", "This ban will last for 1 more seconds")
			return
		}
		keys := m.Keys("taobao")
		method := form.Get("method")
		switch {
		case method == "":
			a.fail(21, "Missing Method", "", "")
		case form.Get("app_key") == "":
			a.fail(28, "Missing App Key", "", "")
		case form.Get("app_key") != keys.AppKey:
			a.fail(29, "Invalid App Key", "", "")
		case form.Get("sign") == "":
			a.fail(24, "Missing Signature", "", "")
		case form.Get("format") != "" && form.Get("format") != "json":
			a.fail(23, "Invalid Format", "", "this fake answers json only")
		case form.Get("v") != "2.0":
			a.fail(33, "Invalid Version", "", "")
		default:
			ts, terr := time.ParseInLocation("2006-01-02 15:04:05", form.Get("timestamp"), topCST)
			want, known := topSignature(form, keys.Secret, form.Get("sign_method"))
			switch {
			case terr != nil || ts.Sub(m.now()).Abs() > 10*time.Minute:
				a.fail(31, "Invalid Timestamp", "", "the timestamp must be within 10 minutes of TOP's clock (yyyy-MM-dd HH:mm:ss, China time)")
			case !known:
				a.fail(25, "Invalid signature", "", "unknown sign_method")
			case !hmac.Equal([]byte(want), []byte(strings.ToUpper(form.Get("sign")))):
				a.fail(25, "Invalid signature", "", "")
			case form.Get("session") == "":
				a.fail(26, "Missing Session", "", "")
			case form.Get("session") != keys.Session:
				a.fail(27, "Invalid session", "session-expired", "SessionKey非法或已过期")
			default:
				m.topMethod(a, method, form)
			}
		}
	})
}

func (m *Market) topMethod(a topAnswer, method string, f url.Values) {
	missing := func(names ...string) bool {
		for _, n := range names {
			if strings.TrimSpace(f.Get(n)) == "" {
				a.fail(40, "Missing Required Arguments:"+n, "isv.missing-parameter", n+" is required")
				return true
			}
		}
		return false
	}
	switch method {
	case "taobao.logistics.offline.send":
		if missing("tid", "out_sid", "company_code") {
			return
		}
		code := f.Get("company_code")
		if _, ok := topCarrierCodes[code]; !ok {
			a.fail(15, "Remote service error", "isv.logistics-offline-service-error:B27", "物流公司不存在: "+code)
			return
		}
		var subs []string
		if f.Get("is_split") == "1" {
			if missing("sub_tid") {
				return
			}
			subs = strings.Split(f.Get("sub_tid"), ",")
		}
		dup, err := m.Ship(Shipment{Platform: "taobao", Order: f.Get("tid"), SubOrders: subs, Carrier: code, Waybill: f.Get("out_sid"), Method: method})
		switch {
		case errors.Is(err, ErrNoOrder):
			a.fail(15, "Remote service error", "isv.logistics-offline-service-error:B01", "订单不存在")
		case errors.Is(err, ErrNoSubOrder):
			a.fail(15, "Remote service error", "isv.logistics-offline-service-error:P38", "拆单校验未通过: "+err.Error())
		case dup || errors.Is(err, ErrShippedOther):
			a.fail(15, "Remote service error", "isv.logistics-offline-service-error:B04", "订单状态不对该物流订单已经发货或者已关闭，不能重复发货")
		case err != nil:
			a.fail(15, "Remote service error", "isp.logistics-offline-service-error", err.Error())
		default:
			a.ok(method, map[string]any{"shipping": map[string]any{"is_success": true}})
		}
	case "taobao.logistics.orders.get":
		if missing("tid") {
			return
		}
		var list []map[string]any
		for _, s := range m.Shipments() {
			if s.Platform == "taobao" && s.Order == f.Get("tid") {
				list = append(list, map[string]any{"tid": topNumber(s.Order), "out_sid": s.Waybill, "company_name": topCarrierCodes[s.Carrier], "status": "已发货"})
			}
		}
		a.ok(method, map[string]any{"total_results": len(list), "shippings": map[string]any{"shipping": list}})
	case "taobao.item.quantity.update":
		if missing("num_iid", "quantity") {
			return
		}
		item, sku := f.Get("num_iid"), f.Get("sku_id")
		if sku == "" && f.Get("outer_id") != "" {
			var ok bool
			if sku, ok = m.skuByOuter("taobao", item, f.Get("outer_id")); !ok {
				a.fail(15, "Remote service error", "isv.item-quantity-item-update-service-error", "商家编码对应的SKU不存在: "+f.Get("outer_id"))
				return
			}
		}
		q, delta, ok := topQuantity(a, f.Get("quantity"), f.Get("type"))
		if !ok {
			return
		}
		m.topApply(ListingKey{Platform: "taobao", ItemID: item, SkuID: sku}, q, delta, method)
		a.ok(method, map[string]any{"item": m.topItem(item)})
	case "taobao.skus.quantity.update":
		if missing("num_iid") {
			return
		}
		item := f.Get("num_iid")
		pairs, byOuter := f.Get("skuid_quantities"), false
		if pairs == "" {
			pairs, byOuter = f.Get("outerid_quantities"), true
		}
		if pairs == "" {
			a.fail(40, "Missing Required Arguments:skuid_quantities", "isv.missing-parameter", "skuid_quantities or outerid_quantities is required")
			return
		}
		type change struct {
			sku string
			q   int64
		}
		var changes []change
		delta := false
		for _, p := range strings.Split(pairs, ";") {
			id, qs, found := strings.Cut(p, ":")
			if !found || id == "" {
				a.fail(41, "Invalid Arguments", "isv.invalid-parameter", "quantities are id:quantity;id:quantity")
				return
			}
			sku := id
			if byOuter {
				var ok bool
				if sku, ok = m.skuByOuter("taobao", item, id); !ok {
					a.fail(15, "Remote service error", "isv.item-quantity-item-update-service-error", "商家编码对应的SKU不存在: "+id)
					return
				}
			}
			q, d, ok := topQuantity(a, qs, f.Get("type"))
			if !ok {
				return
			}
			delta = d
			changes = append(changes, change{sku, q})
		}
		for _, c := range changes {
			m.topApply(ListingKey{Platform: "taobao", ItemID: item, SkuID: c.sku}, c.q, delta, method)
		}
		a.ok(method, map[string]any{"item": m.topItem(item)})
	case "tmall.item.quantity.update":
		if missing("item_id") {
			return
		}
		item := f.Get("item_id")
		var opts struct {
			Type        int64  `json:"type"`
			OuterBizKey string `json:"outer_biz_key"`
		}
		if o := f.Get("options"); o != "" {
			if err := json.Unmarshal([]byte(o), &opts); err != nil {
				a.fail(41, "Invalid Arguments", "isv.invalid-parameter", "options is not JSON")
				return
			}
		}
		if opts.OuterBizKey != "" && !isHex(opts.OuterBizKey) {
			a.fail(41, "Invalid Arguments", "isv.invalid-parameter", "outer_biz_key 只能包含十六进制字符")
			return
		}
		var skus []struct {
			SkuID    json.Number `json:"sku_id"`
			OuterID  string      `json:"outer_id"`
			Quantity *int64      `json:"quantity"`
		}
		if s := f.Get("sku_quantities"); s != "" {
			if err := json.Unmarshal([]byte(s), &skus); err != nil {
				a.fail(41, "Invalid Arguments", "isv.invalid-parameter", "sku_quantities is not a JSON list")
				return
			}
		}
		type change struct {
			k ListingKey
			q int64
		}
		var changes []change
		for _, s := range skus {
			sku := s.SkuID.String()
			if sku == "" {
				var ok bool
				if sku, ok = m.skuByOuter("taobao", item, s.OuterID); !ok {
					a.fail(15, "Remote service error", "isv.item-quantity-item-update-service-error", "商家编码对应的SKU不存在: "+s.OuterID)
					return
				}
			}
			if s.Quantity == nil || opts.Type != 2 && *s.Quantity < 0 {
				a.fail(41, "Invalid Arguments", "isv.invalid-parameter", "quantity")
				return
			}
			changes = append(changes, change{ListingKey{Platform: "taobao", ItemID: item, SkuID: sku}, *s.Quantity})
		}
		if len(changes) == 0 {
			if f.Get("quantity") == "" {
				a.fail(40, "Missing Required Arguments:quantity", "isv.missing-parameter", "quantity or sku_quantities is required")
				return
			}
			q, _, ok := topQuantity(a, f.Get("quantity"), "")
			if !ok {
				return
			}
			changes = append(changes, change{ListingKey{Platform: "taobao", ItemID: item}, q})
		}
		apply := func() string {
			for _, c := range changes {
				m.topApply(c.k, c.q, opts.Type == 2, method)
			}
			return item
		}
		result := item
		if opts.OuterBizKey != "" {
			result, _ = m.Once("taobao", "tmall.item.quantity.update/"+strings.ToLower(opts.OuterBizKey), apply)
		} else {
			apply()
		}
		a.send(http.StatusOK, map[string]any{"tmall_item_quantity_update_response": map[string]any{"quantity_update_result": result, "request_id": a.seq}})
	default:
		a.fail(22, "Invalid Method", "", "this fake serves taobao.logistics.offline.send, taobao.logistics.orders.get, taobao.item.quantity.update, taobao.skus.quantity.update and tmall.item.quantity.update")
	}
}

// topQuantity reads a quantity and the update type (1 full, 2 delta).
func topQuantity(a topAnswer, qs, typ string) (q int64, delta, ok bool) {
	q, err := strconv.ParseInt(strings.TrimSpace(qs), 10, 64)
	delta = typ == "2"
	if err != nil || !delta && q < 0 || typ != "" && typ != "1" && typ != "2" {
		a.fail(41, "Invalid Arguments", "isv.invalid-parameter", "quantity must be a whole number (0 or more for a full update), type 1 or 2")
		return 0, false, false
	}
	return q, delta, true
}

func (m *Market) topApply(k ListingKey, q int64, delta bool, method string) {
	if delta {
		m.AddStock(k, q, method)
		return
	}
	m.SetStock(k, q, method)
}

// topItem is an item as TOP answers it: its total and its SKUs'.
func (m *Market) topItem(item string) map[string]any {
	m.mu.Lock()
	defer m.mu.Unlock()
	var total int64
	type skuQty struct {
		id string
		q  int64
	}
	var skus []skuQty
	for k, q := range m.stock {
		if k.Platform == "taobao" && k.ItemID == item {
			total += q
			if k.SkuID != "" {
				skus = append(skus, skuQty{k.SkuID, q})
			}
		}
	}
	sort.Slice(skus, func(i, j int) bool { return skus[i].id < skus[j].id })
	list := make([]map[string]any, 0, len(skus))
	for _, s := range skus {
		e := map[string]any{"sku_id": topNumber(s.id), "quantity": s.q}
		if outer := m.outerOfLocked("taobao", item, s.id); outer != "" {
			e["outer_id"] = outer
		}
		list = append(list, e)
	}
	return map[string]any{"num_iid": topNumber(item), "num": total, "modified": m.now().In(topCST).Format("2006-01-02 15:04:05"), "skus": map[string]any{"sku": list}}
}

// skuByOuter finds a listing's SKU by the merchant's code, from the lines
// the platform sold.
func (m *Market) skuByOuter(platform, item, outer string) (string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, o := range m.orders {
		if o.Platform != platform {
			continue
		}
		for _, l := range o.Lines {
			if l.ItemID == item && l.SKU == outer && l.SkuID != "" {
				return l.SkuID, true
			}
		}
	}
	return "", false
}

func (m *Market) outerOfLocked(platform, item, sku string) string {
	for _, o := range m.orders {
		if o.Platform != platform {
			continue
		}
		for _, l := range o.Lines {
			if l.ItemID == item && l.SkuID == sku {
				return l.SKU
			}
		}
	}
	return ""
}

// topNumber writes an ID as TOP does: a number when it is one.
func topNumber(s string) any {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n
	}
	return s
}

func isHex(s string) bool {
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F') {
			return false
		}
	}
	return s != ""
}
