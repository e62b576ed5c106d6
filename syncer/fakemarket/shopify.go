package fakemarket

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Shopify's Admin GraphQL API (2026-10) as one store: the shop's URL is the
// fake's address plus "/shopify", and the adapter posts to
// /shopify/admin/api/2026-10/graphql.json with X-Shopify-Access-Token.
//
// It understands the five operations the adapter sends, by their root
// field (order, inventoryItem, fulfillmentOrderAcceptFulfillmentRequest,
// fulfillmentCreate, inventorySetQuantities), reading their inputs from
// the variables the adapter names; anything else is answered with a
// GraphQL error saying what it does take. Each seeded order has one
// fulfillment order whose request is SUBMITTED until accepted, its lines
// the order's sub-orders (IDs: gid://shopify/Order/{order ID},
// gid://shopify/LineItem/{sub-order ID}, gid://shopify/FulfillmentOrder/
// {order ID}, gid://shopify/FulfillmentOrderLineItem/{sub-order ID}).
// Stock is kept per ListingKey{"shopify", inventory item GID, location
// GID}; an item never set is stocked with 0. Every answer carries a cost
// and the bucket's throttle status (2000 points, 100 a second back).

const (
	shopifyPath        = "/shopify"
	shopifyEndpoint    = "/shopify/admin/api/2026-10/graphql.json"
	shopifyMaxBody     = 1 << 20
	shopifyBucketMax   = 2000.0
	shopifyRestoreRate = 100.0
	shopifyReadCost    = 352 // what the order read is priced at, before what it returns
	shopifyLevelCost   = 4
	shopifyWriteCost   = 10
)

func init() {
	register(platform{name: "shopify", path: shopifyPath, handler: func(m *Market) http.Handler {
		return http.HandlerFunc(m.serveShopify)
	}})
}

// shopifyStore is the Shopify side's own state, beside the Market's
// orders, shipments and stock. Its mutex serialises the Shopify gateway's
// operations; it is taken before m.mu, never while holding it.
type shopifyStore struct {
	mu           sync.Mutex
	accepted     map[string]bool // order ID → its fulfillment order's request accepted
	accepts      map[string]int  // order ID → accept mutations applied
	fulfillments map[string][]ShopifyFulfillment
	bucket       float64
	bucketAt     time.Time
	seq          int
}

// ShopifyFulfillment is one fulfillment the store made: its tracking and
// the units of each sub-order (line item) in it.
type ShopifyFulfillment struct {
	ID      string           `json:"id"`
	Order   string           `json:"order"`
	Company string           `json:"company"`
	Number  string           `json:"number"`
	Lines   map[string]int64 `json:"lines"` // sub-order ID → units
	At      time.Time        `json:"at"`
}

// ShopifyFulfillments are the fulfillments of an order (its ID as seeded).
func (m *Market) ShopifyFulfillments(order string) []ShopifyFulfillment {
	s := &m.shopify
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.fulfillments[order])
}

// ShopifyAccepts is how many times an order's fulfillment request was
// accepted (one effect: a second accept is refused).
func (m *Market) ShopifyAccepts(order string) int {
	s := &m.shopify
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepts[order]
}

// CompareAndSetStock sets a listing's quantity to qty when it holds from
// (a listing never set holds 0), and says what it held.
func (m *Market) CompareAndSetStock(k ListingKey, from, qty int64, method string) (held int64, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	held = m.stock[k]
	if held != from {
		return held, false
	}
	m.stock[k] = qty
	m.writes = append(m.writes, StockWrite{Platform: k.Platform, ItemID: k.ItemID, SkuID: k.SkuID, Qty: qty, Method: method, At: m.now()})
	return held, true
}

// ---- the gateway ----

type gqlError struct {
	Message    string         `json:"message"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

func shopifyJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"errors":"fake shopify: encoding the answer"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// shopifyRefuse is an HTTP-level refusal: {"errors": "..."}.
func shopifyRefuse(w http.ResponseWriter, status int, msg string) {
	shopifyJSON(w, status, map[string]string{"errors": msg})
}

func (m *Market) serveShopify(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != shopifyEndpoint {
		shopifyRefuse(w, http.StatusNotFound, "Not Found: this fake store serves the Admin GraphQL API at "+shopifyEndpoint)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		shopifyRefuse(w, http.StatusMethodNotAllowed, "the GraphQL endpoint takes POST")
		return
	}
	want := m.Keys("shopify").Session
	got := r.Header.Get("X-Shopify-Access-Token")
	f := FaultOf(r)
	if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 || f == FaultSession || f == FaultSignature {
		shopifyRefuse(w, http.StatusUnauthorized, "[API] Invalid API key or access token (unrecognized login or wrong password)")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, shopifyMaxBody+1))
	if err != nil || len(body) > shopifyMaxBody {
		shopifyRefuse(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the request body is unreadable or over %d bytes", shopifyMaxBody))
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		shopifyRefuse(w, http.StatusUnsupportedMediaType, "this fake takes application/json bodies: {\"query\": ..., \"variables\": {...}}")
		return
	}
	var req struct {
		Query         string          `json:"query"`
		Variables     json.RawMessage `json:"variables"`
		OperationName string          `json:"operationName"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		shopifyRefuse(w, http.StatusBadRequest, "the body is not {query, variables, operationName}: "+err.Error())
		return
	}
	op, err := parseShopifyOperation(req.Query)
	if err != nil {
		m.shopifyAnswer(w, 0, 0, nil, []gqlError{{Message: err.Error(), Extensions: map[string]any{"code": "PARSE_ERROR"}}})
		return
	}
	requested, ok := shopifyCosts[op.kind+" "+op.field]
	if !ok {
		m.shopifyAnswer(w, 0, 0, nil, []gqlError{{Message: fmt.Sprintf("this fake store does not take %s %s: it answers query order / inventoryItem and mutation fulfillmentOrderAcceptFulfillmentRequest / fulfillmentCreate / inventorySetQuantities", op.kind, op.field),
			Extensions: map[string]any{"code": "undefinedField"}}})
		return
	}

	s := &m.shopify
	s.mu.Lock()
	defer s.mu.Unlock()
	avail := s.refill(m.now())
	if f == FaultRateLimit || avail < requested {
		if f == FaultRateLimit {
			s.bucket = 0
		} else {
			m.mu.Lock()
			m.limited["shopify"]++ // over the store's cost bucket
			m.mu.Unlock()
		}
		m.shopifyAnswerLocked(w, requested, -1, nil, []gqlError{{Message: "Throttled", Extensions: map[string]any{"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}})
		return
	}
	s.bucket -= requested
	var data any
	var actual float64
	var gerrs []gqlError
	switch op.field {
	case "order":
		data, actual, gerrs = m.shopifyOrder(req.Variables)
	case "inventoryItem":
		data, actual, gerrs = m.shopifyLevel(req.Variables)
	case "fulfillmentOrderAcceptFulfillmentRequest":
		data, actual, gerrs = m.shopifyAccept(req.Variables)
	case "fulfillmentCreate":
		data, actual, gerrs = m.shopifyFulfill(req.Variables)
	case "inventorySetQuantities":
		data, actual, gerrs = m.shopifySet(op, req.Variables)
	}
	if gerrs != nil {
		actual = 1
	}
	s.bucket = min(shopifyBucketMax, s.bucket+requested-actual)
	m.shopifyAnswerLocked(w, requested, actual, data, gerrs)
}

var shopifyCosts = map[string]float64{
	"query order":         shopifyReadCost,
	"query inventoryItem": shopifyLevelCost,
	"mutation fulfillmentOrderAcceptFulfillmentRequest": shopifyWriteCost,
	"mutation fulfillmentCreate":                        shopifyWriteCost,
	"mutation inventorySetQuantities":                   shopifyWriteCost,
}

// refill is the bucket now (s.mu held).
func (s *shopifyStore) refill(now time.Time) float64 {
	if s.bucketAt.IsZero() {
		s.bucket = shopifyBucketMax
	} else if now.After(s.bucketAt) {
		s.bucket = min(shopifyBucketMax, s.bucket+now.Sub(s.bucketAt).Seconds()*shopifyRestoreRate)
	}
	s.bucketAt = now
	return s.bucket
}

func (m *Market) shopifyAnswer(w http.ResponseWriter, requested, actual float64, data any, errs []gqlError) {
	s := &m.shopify
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refill(m.now())
	m.shopifyAnswerLocked(w, requested, actual, data, errs)
}

// shopifyAnswerLocked writes {data, errors, extensions.cost} (s.mu held);
// actual < 0: the request was not run (throttled).
func (m *Market) shopifyAnswerLocked(w http.ResponseWriter, requested, actual float64, data any, errs []gqlError) {
	s := &m.shopify
	cost := map[string]any{
		"requestedQueryCost": requested,
		"throttleStatus": map[string]any{
			"maximumAvailable":   shopifyBucketMax,
			"currentlyAvailable": s.bucket,
			"restoreRate":        shopifyRestoreRate,
		},
	}
	if actual >= 0 {
		cost["actualQueryCost"] = actual
	} else {
		cost["actualQueryCost"] = nil
	}
	out := map[string]any{"extensions": map[string]any{"cost": cost}}
	if data != nil {
		out["data"] = data
	}
	if len(errs) > 0 {
		out["errors"] = errs
	}
	shopifyJSON(w, http.StatusOK, out)
}

// shopifyVars decodes an operation's variables strictly.
func shopifyVars(raw json.RawMessage, v any) []gqlError {
	if len(raw) == 0 {
		raw = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return []gqlError{{Message: "the variables are not what this fake reads for the operation: " + err.Error(), Extensions: map[string]any{"code": "INVALID_VARIABLE"}}}
	}
	return nil
}

func invalidVar(format string, args ...any) []gqlError {
	return []gqlError{{Message: fmt.Sprintf(format, args...), Extensions: map[string]any{"code": "INVALID_VARIABLE"}}}
}

// gidTail is N of gid://shopify/{typ}/N; ok false for anything else.
func gidTail(typ, gid string) (string, bool) {
	n, ok := strings.CutPrefix(gid, "gid://shopify/"+typ+"/")
	if !ok || n == "" || strings.Contains(n, "/") {
		return "", false
	}
	return n, true
}

func gidOf(typ, id string) string {
	if n, ok := gidTail(typ, id); ok {
		id = n
	}
	return "gid://shopify/" + typ + "/" + id
}

// shopifyOrderOf is the seeded order a GID (or number) names.
func (m *Market) shopifyOrderOf(n string) (Order, bool) {
	if o, ok := m.Order("shopify", n); ok {
		return o, true
	}
	return m.Order("shopify", "gid://shopify/Order/"+n)
}

// fulfilled is how many units of each sub-order the order's fulfillments
// hold (s.mu held).
func (s *shopifyStore) fulfilled(order string) map[string]int64 {
	out := map[string]int64{}
	for _, f := range s.fulfillments[order] {
		for l, q := range f.Lines {
			out[l] += q
		}
	}
	return out
}

// foStatus is the fulfillment order's status and request status (s.mu held).
func (s *shopifyStore) foStatus(o Order) (status, request string) {
	done := s.fulfilled(o.ID)
	var all, some bool = true, false
	for _, l := range o.Lines {
		if done[l.ID] > 0 {
			some = true
		}
		if done[l.ID] < l.Qty {
			all = false
		}
	}
	request = "SUBMITTED"
	if s.accepted[o.ID] {
		request = "ACCEPTED"
	}
	switch {
	case all:
		return "CLOSED", request
	case some || s.accepted[o.ID]:
		return "IN_PROGRESS", request
	}
	return "OPEN", request
}

func (m *Market) shopifyOrder(raw json.RawMessage) (any, float64, []gqlError) {
	var v struct {
		ID string `json:"id"`
	}
	if e := shopifyVars(raw, &v); e != nil {
		return nil, 0, e
	}
	n, ok := gidTail("Order", v.ID)
	if !ok {
		return nil, 0, invalidVar("Invalid global id '%s' for $id (gid://shopify/Order/N)", v.ID)
	}
	o, ok := m.shopifyOrderOf(n)
	if !ok {
		return map[string]any{"order": nil}, 2, nil
	}
	s := &m.shopify
	done := s.fulfilled(o.ID)
	status, request := s.foStatus(o)
	var lines []map[string]any
	for _, l := range o.Lines {
		lines = append(lines, map[string]any{
			"id":                gidOf("FulfillmentOrderLineItem", l.ID),
			"remainingQuantity": max(l.Qty-done[l.ID], 0),
			"totalQuantity":     l.Qty,
			"lineItem":          map[string]any{"id": gidOf("LineItem", l.ID)},
		})
	}
	fo := map[string]any{
		"id": gidOf("FulfillmentOrder", o.ID), "status": status, "requestStatus": request,
		"assignedLocation": map[string]any{"location": map[string]any{"id": "gid://shopify/Location/1"}},
		"lineItems":        map[string]any{"nodes": lines, "pageInfo": map[string]any{"hasNextPage": false}},
	}
	fs := []map[string]any{}
	for _, f := range s.fulfillments[o.ID] {
		fs = append(fs, map[string]any{"id": f.ID, "status": "SUCCESS", "trackingInfo": []map[string]any{{"company": f.Company, "number": f.Number}}})
	}
	order := map[string]any{
		"id":                gidOf("Order", o.ID),
		"fulfillmentOrders": map[string]any{"nodes": []any{fo}, "pageInfo": map[string]any{"hasNextPage": false}},
		"fulfillments":      fs,
	}
	return map[string]any{"order": order}, float64(3 + 2*len(lines) + 2*len(fs)), nil
}

func (m *Market) shopifyAccept(raw json.RawMessage) (any, float64, []gqlError) {
	var v struct {
		ID      string  `json:"id"`
		Message *string `json:"message"`
	}
	if e := shopifyVars(raw, &v); e != nil {
		return nil, 0, e
	}
	payload := func(fo any, ues ...map[string]any) any {
		if ues == nil {
			ues = []map[string]any{}
		}
		return map[string]any{"fulfillmentOrderAcceptFulfillmentRequest": map[string]any{"fulfillmentOrder": fo, "userErrors": ues}}
	}
	n, ok := gidTail("FulfillmentOrder", v.ID)
	if !ok {
		return nil, 0, invalidVar("Invalid global id '%s' for $id (gid://shopify/FulfillmentOrder/N)", v.ID)
	}
	o, ok := m.shopifyOrderOf(n)
	if !ok {
		return payload(nil, map[string]any{"field": []string{"id"}, "message": "Fulfillment order does not exist."}), shopifyWriteCost, nil
	}
	s := &m.shopify
	if status, request := s.foStatus(o); request != "SUBMITTED" || status == "CLOSED" {
		return payload(nil, map[string]any{"field": []string{"id"}, "message": "Cannot accept fulfillment request: the fulfillment order's request is " + request + " and its status " + status + "."}), shopifyWriteCost, nil
	}
	if s.accepted == nil {
		s.accepted, s.accepts = map[string]bool{}, map[string]int{}
	}
	s.accepted[o.ID] = true
	s.accepts[o.ID]++
	status, request := s.foStatus(o)
	return payload(map[string]any{"id": gidOf("FulfillmentOrder", o.ID), "status": status, "requestStatus": request}), shopifyWriteCost, nil
}

func (m *Market) shopifyFulfill(raw json.RawMessage) (any, float64, []gqlError) {
	var v struct {
		Fulfillment struct {
			LineItemsByFulfillmentOrder []struct {
				FulfillmentOrderID        string `json:"fulfillmentOrderId"`
				FulfillmentOrderLineItems []struct {
					ID       string `json:"id"`
					Quantity int64  `json:"quantity"`
				} `json:"fulfillmentOrderLineItems"`
			} `json:"lineItemsByFulfillmentOrder"`
			NotifyCustomer bool `json:"notifyCustomer"`
			TrackingInfo   *struct {
				Company string `json:"company"`
				Number  string `json:"number"`
				URL     string `json:"url"`
			} `json:"trackingInfo"`
		} `json:"fulfillment"`
		Message *string `json:"message"`
	}
	if e := shopifyVars(raw, &v); e != nil {
		return nil, 0, e
	}
	payload := func(f any, ues ...map[string]any) any {
		if ues == nil {
			ues = []map[string]any{}
		}
		return map[string]any{"fulfillmentCreate": map[string]any{"fulfillment": f, "userErrors": ues}}
	}
	refuse := func(field, msg string) (any, float64, []gqlError) {
		return payload(nil, map[string]any{"field": []string{"fulfillment", field}, "message": msg}), shopifyWriteCost, nil
	}
	in := v.Fulfillment
	if len(in.LineItemsByFulfillmentOrder) == 0 {
		return refuse("lineItemsByFulfillmentOrder", "At least one fulfillment order is required.")
	}
	if in.TrackingInfo == nil || strings.TrimSpace(in.TrackingInfo.Number) == "" || strings.TrimSpace(in.TrackingInfo.Company) == "" {
		return refuse("trackingInfo", "this fake store records a shipment by its tracking number and company: both are required")
	}
	s := &m.shopify
	var order Order
	lines := map[string]int64{}
	for i, g := range in.LineItemsByFulfillmentOrder {
		n, ok := gidTail("FulfillmentOrder", g.FulfillmentOrderID)
		if !ok {
			return nil, 0, invalidVar("Invalid global id '%s' for fulfillmentOrderId", g.FulfillmentOrderID)
		}
		o, ok := m.shopifyOrderOf(n)
		if !ok {
			return refuse("lineItemsByFulfillmentOrder", "Fulfillment order "+g.FulfillmentOrderID+" does not exist.")
		}
		if i > 0 && o.ID != order.ID {
			return refuse("lineItemsByFulfillmentOrder", "All fulfillment orders must belong to the same order.")
		}
		order = o
		status, request := s.foStatus(o)
		if request == "SUBMITTED" {
			return refuse("lineItemsByFulfillmentOrder", "Fulfillment order "+g.FulfillmentOrderID+" has a fulfillment request that was not accepted.")
		}
		if status == "CLOSED" {
			return refuse("lineItemsByFulfillmentOrder", "Fulfillment order "+g.FulfillmentOrderID+" is closed: nothing is left to fulfil.")
		}
		done := s.fulfilled(o.ID)
		items := g.FulfillmentOrderLineItems
		if len(items) == 0 { // every line's remaining units
			for _, l := range o.Lines {
				if r := l.Qty - done[l.ID] - lines[l.ID]; r > 0 {
					lines[l.ID] += r
				}
			}
			continue
		}
		for _, it := range items {
			ln, ok := gidTail("FulfillmentOrderLineItem", it.ID)
			i := slices.IndexFunc(o.Lines, func(l SubOrder) bool { return ln == l.ID || gidOf("FulfillmentOrderLineItem", l.ID) == it.ID })
			if !ok || i < 0 {
				return refuse("lineItemsByFulfillmentOrder", "Fulfillment order line item "+it.ID+" is not on fulfillment order "+g.FulfillmentOrderID+".")
			}
			l := o.Lines[i]
			if it.Quantity <= 0 {
				return refuse("lineItemsByFulfillmentOrder", "Quantity must be greater than 0.")
			}
			if it.Quantity > l.Qty-done[l.ID]-lines[l.ID] {
				return refuse("lineItemsByFulfillmentOrder", fmt.Sprintf("Invalid fulfillment order line item quantity requested for %s: %d left.", it.ID, max(l.Qty-done[l.ID]-lines[l.ID], 0)))
			}
			lines[l.ID] += it.Quantity
		}
	}
	if len(lines) == 0 {
		return refuse("lineItemsByFulfillmentOrder", "Nothing is left to fulfil.")
	}
	// the sub-orders this fulfillment completes go to the shared record
	// (Market.Ship), so its checks apply: one waybill per sub-order
	done := s.fulfilled(order.ID)
	var complete []string
	for _, l := range order.Lines {
		if q := lines[l.ID]; q > 0 && done[l.ID]+q >= l.Qty {
			complete = append(complete, l.ID)
		}
	}
	sort.Strings(complete)
	if len(complete) > 0 {
		if _, err := m.Ship(Shipment{Platform: "shopify", Order: order.ID, SubOrders: complete, Carrier: in.TrackingInfo.Company, Waybill: in.TrackingInfo.Number, Method: "fulfillmentCreate"}); err != nil {
			return refuse("lineItemsByFulfillmentOrder", err.Error())
		}
	}
	if s.fulfillments == nil {
		s.fulfillments = map[string][]ShopifyFulfillment{}
	}
	s.seq++
	f := ShopifyFulfillment{ID: fmt.Sprintf("gid://shopify/Fulfillment/%d", 5000+s.seq), Order: order.ID, Company: in.TrackingInfo.Company, Number: in.TrackingInfo.Number, Lines: lines, At: m.now()}
	s.fulfillments[order.ID] = append(s.fulfillments[order.ID], f)
	return payload(map[string]any{"id": f.ID, "status": "SUCCESS", "trackingInfo": []map[string]any{{"company": f.Company, "number": f.Number}}}), shopifyWriteCost, nil
}

func (m *Market) shopifyLevel(raw json.RawMessage) (any, float64, []gqlError) {
	var v struct {
		Item     string `json:"item"`
		Location string `json:"location"`
	}
	if e := shopifyVars(raw, &v); e != nil {
		return nil, 0, e
	}
	if _, ok := gidTail("InventoryItem", v.Item); !ok {
		return nil, 0, invalidVar("Invalid global id '%s' for $item (gid://shopify/InventoryItem/N)", v.Item)
	}
	if _, ok := gidTail("Location", v.Location); !ok {
		return nil, 0, invalidVar("Invalid global id '%s' for $location (gid://shopify/Location/N)", v.Location)
	}
	q, _ := m.Stock(ListingKey{Platform: "shopify", ItemID: v.Item, SkuID: v.Location})
	return map[string]any{"inventoryItem": map[string]any{
		"id": v.Item,
		"inventoryLevel": map[string]any{
			"id":         "gid://shopify/InventoryLevel/" + strings.TrimPrefix(v.Item, "gid://shopify/InventoryItem/") + "?inventory_item_id=" + strings.TrimPrefix(v.Location, "gid://shopify/Location/"),
			"quantities": []map[string]any{{"name": "available", "quantity": q}},
		},
	}}, 3, nil
}

var idempotentArgs = regexp.MustCompile(`^\s*key\s*:\s*(?:\$([_A-Za-z][_0-9A-Za-z]*)|"((?:[^"\\]|\\.)*)")\s*$`)

func (m *Market) shopifySet(op shopifyOp, raw json.RawMessage) (any, float64, []gqlError) {
	args, ok := op.directives["idempotent"]
	if !ok {
		return nil, 0, []gqlError{{Message: "inventorySetQuantities takes an idempotency key from 2026-04 on: add @idempotent(key: ...) to the field", Extensions: map[string]any{"code": "BAD_REQUEST"}}}
	}
	mt := idempotentArgs.FindStringSubmatch(args)
	if mt == nil {
		return nil, 0, []gqlError{{Message: "@idempotent takes one argument, key: a string or a variable", Extensions: map[string]any{"code": "BAD_REQUEST"}}}
	}
	var v struct {
		Input struct {
			Name                 string `json:"name"`
			Reason               string `json:"reason"`
			ReferenceDocumentURI string `json:"referenceDocumentUri"`
			Quantities           []struct {
				InventoryItemID    string          `json:"inventoryItemId"`
				LocationID         string          `json:"locationId"`
				Quantity           int64           `json:"quantity"`
				ChangeFromQuantity json.RawMessage `json:"changeFromQuantity"`
			} `json:"quantities"`
		} `json:"input"`
		IdempotencyKey string `json:"idempotencyKey"`
	}
	if e := shopifyVars(raw, &v); e != nil {
		return nil, 0, e
	}
	key := mt[2]
	if mt[1] != "" {
		if mt[1] != "idempotencyKey" {
			return nil, 0, invalidVar("this fake reads the @idempotent key from $idempotencyKey, not $%s", mt[1])
		}
		key = v.IdempotencyKey
	}
	if key == "" || len(key) > 255 {
		return nil, 0, invalidVar("the idempotency key must be 1 to 255 characters")
	}
	in := v.Input
	if in.Name != "available" {
		return nil, 0, invalidVar("this fake store keeps the available quantity only (name: \"available\"), not %q", in.Name)
	}
	if in.Reason == "" || len(in.Quantities) == 0 || len(in.Quantities) > 250 {
		return nil, 0, invalidVar("input needs a reason and 1 to 250 quantities")
	}
	type setQ struct {
		k       ListingKey
		qty     int64
		from    int64
		compare bool
	}
	var qs []setQ
	for i, q := range in.Quantities {
		if _, ok := gidTail("InventoryItem", q.InventoryItemID); !ok {
			return nil, 0, invalidVar("quantities[%d].inventoryItemId: invalid global id '%s'", i, q.InventoryItemID)
		}
		if _, ok := gidTail("Location", q.LocationID); !ok {
			return nil, 0, invalidVar("quantities[%d].locationId: invalid global id '%s'", i, q.LocationID)
		}
		if q.Quantity < 0 || q.Quantity > 1_000_000_000 {
			return nil, 0, invalidVar("quantities[%d].quantity: %d is out of range", i, q.Quantity)
		}
		sq := setQ{k: ListingKey{Platform: "shopify", ItemID: q.InventoryItemID, SkuID: q.LocationID}, qty: q.Quantity}
		switch c := bytes.TrimSpace(q.ChangeFromQuantity); {
		case len(c) == 0:
			return nil, 0, invalidVar("quantities[%d].changeFromQuantity is required from 2026-04 on (null opts out of the compare)", i)
		case string(c) == "null":
		default:
			if err := json.Unmarshal(c, &sq.from); err != nil {
				return nil, 0, invalidVar("quantities[%d].changeFromQuantity: %v", i, err)
			}
			sq.compare = true
		}
		qs = append(qs, sq)
	}
	answer, _ := m.Once("shopify", key, func() string {
		var ues []map[string]any
		for i, q := range qs {
			held, _ := m.Stock(q.k)
			if q.compare && held != q.from {
				ues = append(ues, map[string]any{"code": "CHANGE_FROM_QUANTITY_STALE", "field": []string{"input", "quantities", fmt.Sprint(i), "changeFromQuantity"},
					"message": fmt.Sprintf("The specified change from quantity (%d) does not match the current quantity (%d).", q.from, held)})
			}
		}
		var group any
		if len(ues) == 0 {
			for i, q := range qs {
				from := q.from
				if !q.compare {
					from, _ = m.Stock(q.k)
				}
				if held, ok := m.CompareAndSetStock(q.k, from, q.qty, "inventorySetQuantities"); !ok {
					// a buyer bought between the check and the set
					ues = append(ues, map[string]any{"code": "CHANGE_FROM_QUANTITY_STALE", "field": []string{"input", "quantities", fmt.Sprint(i), "changeFromQuantity"},
						"message": fmt.Sprintf("The specified change from quantity (%d) does not match the current quantity (%d).", from, held)})
				}
			}
			m.shopify.seq++
			group = map[string]any{"id": fmt.Sprintf("gid://shopify/InventoryAdjustmentGroup/%d", 9000+m.shopify.seq)}
		}
		if ues == nil {
			ues = []map[string]any{}
		}
		b, _ := json.Marshal(map[string]any{"inventorySetQuantities": map[string]any{"inventoryAdjustmentGroup": group, "userErrors": ues}})
		return string(b)
	})
	return json.RawMessage(answer), shopifyWriteCost, nil
}

// ---- reading an operation ----

// shopifyOp is what the fake reads of a GraphQL document: one operation
// with one root field, and that field's directives (name → argument text).
type shopifyOp struct {
	kind       string // query or mutation
	field      string
	directives map[string]string
}

var errGraphQL = errors.New("graphql")

// parseShopifyOperation reads "query|mutation [Name] [(vars)] { [alias:]
// field [(args)] [@dir(args)]... [{ selection }] }" and nothing else.
func parseShopifyOperation(q string) (shopifyOp, error) {
	p := &gqlScan{s: q}
	fail := func(what string) (shopifyOp, error) {
		return shopifyOp{}, fmt.Errorf("%w: %s at offset %d (this fake takes one query or mutation with one root field)", errGraphQL, what, p.i)
	}
	op := shopifyOp{kind: "query", directives: map[string]string{}}
	p.skip()
	if !p.peek('{') {
		kw := p.name()
		switch kw {
		case "query", "mutation":
			op.kind = kw
		default:
			return fail(fmt.Sprintf("expected query or mutation, found %q", kw))
		}
		p.skip()
		if !p.peek('(') && !p.peek('{') && !p.peek('@') {
			if p.name() == "" {
				return fail("expected the operation's name")
			}
			p.skip()
		}
		if p.peek('(') {
			if _, ok := p.balanced('(', ')'); !ok {
				return fail("unclosed variable definitions")
			}
			p.skip()
		}
		for p.peek('@') {
			p.i++
			p.name()
			p.skip()
			if p.peek('(') {
				if _, ok := p.balanced('(', ')'); !ok {
					return fail("unclosed directive arguments")
				}
			}
			p.skip()
		}
	}
	if !p.peek('{') {
		return fail("expected {")
	}
	p.i++
	p.skip()
	field := p.name()
	if field == "" {
		return fail("expected the root field")
	}
	p.skip()
	if p.peek(':') { // an alias
		p.i++
		p.skip()
		if field = p.name(); field == "" {
			return fail("expected the field after an alias")
		}
		p.skip()
	}
	op.field = field
	if p.peek('(') {
		if _, ok := p.balanced('(', ')'); !ok {
			return fail("unclosed arguments")
		}
		p.skip()
	}
	for p.peek('@') {
		p.i++
		d := p.name()
		if d == "" {
			return fail("expected a directive's name")
		}
		p.skip()
		args := ""
		if p.peek('(') {
			a, ok := p.balanced('(', ')')
			if !ok {
				return fail("unclosed directive arguments")
			}
			args = a
			p.skip()
		}
		op.directives[d] = args
	}
	if p.peek('{') {
		if _, ok := p.balanced('{', '}'); !ok {
			return fail("unclosed selection set")
		}
		p.skip()
	}
	if !p.peek('}') {
		return fail("expected } after the one root field")
	}
	p.i++
	p.skip()
	if p.i != len(p.s) {
		return fail("expected the end of the document (fragments and further operations are not taken)")
	}
	return op, nil
}

type gqlScan struct {
	s string
	i int
}

func (p *gqlScan) peek(c byte) bool { return p.i < len(p.s) && p.s[p.i] == c }

// skip passes white space, commas and comments.
func (p *gqlScan) skip() {
	for p.i < len(p.s) {
		switch c := p.s[p.i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',':
			p.i++
		case c == '#':
			for p.i < len(p.s) && p.s[p.i] != '\n' {
				p.i++
			}
		default:
			return
		}
	}
}

func (p *gqlScan) name() string {
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || p.i > start && c >= '0' && c <= '9' {
			p.i++
			continue
		}
		break
	}
	return p.s[start:p.i]
}

// balanced passes open ... close (strings and comments inside are
// skipped) and says what was between them.
func (p *gqlScan) balanced(open, close byte) (string, bool) {
	start, depth := p.i+1, 0
	for p.i < len(p.s) {
		switch c := p.s[p.i]; c {
		case '"':
			p.i++
			for p.i < len(p.s) && p.s[p.i] != '"' {
				if p.s[p.i] == '\\' {
					p.i++
				}
				p.i++
			}
			if p.i >= len(p.s) {
				return "", false
			}
		case '#':
			for p.i < len(p.s) && p.s[p.i] != '\n' {
				p.i++
			}
			continue
		case open:
			depth++
		case close:
			depth--
			if depth == 0 {
				p.i++
				return p.s[start : p.i-1], true
			}
		}
		p.i++
	}
	return "", false
}
