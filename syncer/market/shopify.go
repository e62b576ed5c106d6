package market

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Shopify is the Admin GraphQL API of one store (Shop.URL is the store's
// admin base, https://{shop}.myshopify.com; Shop.Session its access token).
// Everything goes to one endpoint as {query, variables}; an answer says
// what the request cost and how much of the store's bucket is left
// (extensions.cost.throttleStatus), which is what the shop's Limiter
// follows.
//
// Shipments are fulfillments of the order's fulfillment orders, one per
// parcel, its waybill the fulfillment's tracking number. fulfillmentCreate
// takes no idempotency key, so every Ship first reads the order's
// fulfillments: a parcel whose waybill is already a tracking number there
// was created by an earlier try whose answer was lost, and is not created
// again. Stock is inventorySetQuantities at the shop's location, a
// compare-and-set (changeFromQuantity) under an @idempotent key.

const (
	shopifyAPIVersion = "2026-10"
	shopifyMaxAnswer  = 1 << 20 // bytes of an answer the adapter reads
	shopifyMaxMessage = 300     // characters of a store's message kept in an error
	shopifyStaleTries = 3       // compare-and-set re-reads before giving up
	// what the adapter expects each operation to cost, in the store's
	// points (the answer's requestedQueryCost is the store's own count)
	shopifyReadOrderCost = 400
	shopifyReadLevelCost = 4
	shopifyMutationCost  = 10
	// pages read of an order: more is refused, clearly, not half-read
	shopifyFOPage          = 5
	shopifyFOLinePage      = 25
	shopifyFulfillmentPage = 20
)

type shopify struct{}

func init() { Register(shopify{}) }

func (shopify) Name() string { return "shopify" }

// shopifyCompanies are the tracking company names Shopify lists for the
// carriers Tally knows (a name on Shopify's list gets tracking links).
var shopifyCompanies = map[string]string{
	"SF":    "SF Express",
	"JD":    "JD Logistics",
	"YTO":   "YTO Express",
	"ZTO":   "ZTO Express",
	"STO":   "STO Express",
	"YUNDA": "Yunda Express",
	"EMS":   "China EMS (ePacket)",
	"POSTB": "China Post",
	"JT":    "J&T Express",
}

func (shopify) Carrier(canonical string) (string, bool) {
	c, ok := shopifyCompanies[canonical]
	return c, ok
}

// RateLimit is in the store's cost points: half a standard store's restore
// rate (100 points a second) until the first answer says what the store
// really has; from then the answers' throttle status rules.
func (shopify) RateLimit() (perMinute, burst int) { return 50 * 60, 1000 }

// shopifyGID is a Shopify global ID of a type from a GID or its number.
func shopifyGID(typ, id string) (string, bool) {
	id = strings.TrimSpace(id)
	prefix := "gid://shopify/" + typ + "/"
	n := strings.TrimPrefix(id, prefix)
	if n == "" || len(n) > 40 {
		return "", false
	}
	for _, r := range n {
		if r < '0' || r > '9' {
			return "", false
		}
	}
	return prefix + n, true
}

// ---- the wire ----

type shopifyRequest struct {
	Query     string         `json:"query"`
	Variables map[string]any `json:"variables,omitempty"`
}

// shopifyAnswer is the envelope of every answer.
type shopifyAnswer struct {
	Data       json.RawMessage `json:"data"`
	Errors     shopifyErrors   `json:"errors"`
	Extensions struct {
		Cost *shopifyCost `json:"cost"`
	} `json:"extensions"`
}

type shopifyCost struct {
	RequestedQueryCost float64 `json:"requestedQueryCost"`
	ActualQueryCost    float64 `json:"actualQueryCost"`
	ThrottleStatus     struct {
		MaximumAvailable   float64 `json:"maximumAvailable"`
		CurrentlyAvailable float64 `json:"currentlyAvailable"`
		RestoreRate        float64 `json:"restoreRate"`
	} `json:"throttleStatus"`
}

type shopifyError struct {
	Message    string `json:"message"`
	Extensions struct {
		Code string `json:"code"`
	} `json:"extensions"`
}

// shopifyErrors are GraphQL's errors: a list, or (an HTTP-level refusal,
// a 401 or a 404) one string.
type shopifyErrors []shopifyError

func (e *shopifyErrors) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*e = shopifyErrors{{Message: s}}
		return nil
	}
	if bytes.Equal(b, []byte("null")) {
		*e = nil
		return nil
	}
	var list []shopifyError
	if err := json.Unmarshal(b, &list); err != nil {
		return err
	}
	*e = list
	return nil
}

type shopifyUserError struct {
	Code    string   `json:"code"`
	Field   []string `json:"field"`
	Message string   `json:"message"`
}

// decodeShopifyAnswer reads an answer's envelope.
func decodeShopifyAnswer(body []byte) (shopifyAnswer, error) {
	var a shopifyAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		return shopifyAnswer{}, fmt.Errorf("not a GraphQL answer: %v", err)
	}
	return a, nil
}

// retryAfter is how long until the bucket holds what the request asked:
// (requested - available) / restore rate.
func (c *shopifyCost) retryAfter() time.Duration {
	if c == nil || c.ThrottleStatus.RestoreRate <= 0 {
		return 0
	}
	need := c.RequestedQueryCost - c.ThrottleStatus.CurrentlyAvailable
	if need <= 0 || math.IsNaN(need) || math.IsInf(need, 0) {
		return time.Second / 2
	}
	s := need / c.ThrottleStatus.RestoreRate
	if s > 3600 {
		s = 3600
	}
	return time.Duration(math.Ceil(s*1000)) * time.Millisecond
}

// failure is what an answer's top-level errors mean, nil for none.
func (a shopifyAnswer) failure(op string) *Error {
	if len(a.Errors) == 0 {
		return nil
	}
	first := a.Errors[0]
	for _, e := range a.Errors {
		if e.Extensions.Code == "THROTTLED" {
			return &Error{Kind: Throttled, Code: "THROTTLED", Message: op + ": the store's query cost bucket is empty", RetryAfter: a.Extensions.Cost.retryAfter()}
		}
	}
	msg := op + ": " + clipShopify(first.Message)
	switch code := first.Extensions.Code; code {
	case "ACCESS_DENIED", "UNAUTHORIZED", "FORBIDDEN":
		return &Error{Kind: Auth, Code: code, Message: msg + " (the access token lacks a scope this needs: write_merchant_managed_fulfillment_orders, write_inventory, read_orders)"}
	case "INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE":
		return &Error{Kind: Retry, Code: code, Message: msg}
	default:
		return &Error{Kind: Refused, Code: cmpShopify(code, "GRAPHQL_ERROR"), Message: msg}
	}
}

func cmpShopify(a, b string) string {
	if a == "" {
		return b
	}
	return a
}

func clipShopify(s string) string {
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > shopifyMaxMessage {
		return string(r[:shopifyMaxMessage]) + "…"
	}
	return s
}

func userErrorText(ues []shopifyUserError) string {
	var parts []string
	for _, u := range ues {
		p := clipShopify(u.Message)
		if len(u.Field) > 0 {
			p = strings.Join(u.Field, ".") + ": " + p
		}
		if u.Code != "" {
			p = u.Code + " " + p
		}
		parts = append(parts, p)
	}
	return clipShopify(strings.Join(parts, "; "))
}

// call sends one operation and decodes its data into out.
func (shopify) call(ctx context.Context, c Conn, shop Shop, op string, cost float64, query string, vars map[string]any, out any) error {
	base := strings.TrimRight(strings.TrimSpace(shop.URL), "/")
	if base == "" {
		return Errorf(Refused, "shopify.no_url", "the shop has no URL: set it to the store's admin base, https://{shop}.myshopify.com")
	}
	if shop.Session == "" {
		return Errorf(Auth, "shopify.no_token", "the shop has no access token (session): set the Admin API access token")
	}
	body, err := json.Marshal(shopifyRequest{Query: query, Variables: vars})
	if err != nil {
		return Errorf(Refused, "shopify.encode", "%s: encoding the request: %v", op, err)
	}
	if err := c.Limit.Wait(ctx, cost); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/admin/api/"+shopifyAPIVersion+"/graphql.json", bytes.NewReader(body))
	if err != nil {
		return Errorf(Refused, "shopify.url", "the shop's URL %q is not usable: %v", base, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-Shopify-Access-Token", shop.Session)
	client := c.HTTP
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &Error{Kind: Down, Message: op + ": no answer from the store: " + clipShopify(scrub(err.Error(), shop.Session))}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, shopifyMaxAnswer+1))
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &Error{Kind: Down, Status: resp.StatusCode, Message: op + ": the answer broke off: " + clipShopify(scrub(err.Error(), shop.Session))}
	}
	if len(raw) > shopifyMaxAnswer {
		return &Error{Kind: Down, Status: resp.StatusCode, Code: "shopify.too_large", Message: fmt.Sprintf("%s: the store's answer is over %d bytes: not read", op, shopifyMaxAnswer)}
	}
	return shopifyOutcome(c, shop, op, resp.StatusCode, resp.Header.Get("Retry-After"), raw, out)
}

// shopifyOutcome turns an answer (status, Retry-After, body) into out or
// an Error, feeding the limiter from the answer's throttle status.
func shopifyOutcome(c Conn, shop Shop, op string, status int, retryAfterHeader string, raw []byte, out any) error {
	a, decErr := decodeShopifyAnswer(raw)
	if decErr == nil && a.Extensions.Cost != nil {
		ts := a.Extensions.Cost.ThrottleStatus
		c.Limit.Set(ts.CurrentlyAvailable, ts.RestoreRate, ts.MaximumAvailable)
	}
	said := ""
	if decErr == nil && len(a.Errors) > 0 {
		said = ": " + clipShopify(scrub(a.Errors[0].Message, shop.Session))
	}
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return &Error{Kind: Auth, Status: status, Code: "HTTP " + strconv.Itoa(status), Message: op + ": the store refused the access token" + said}
	case status == http.StatusTooManyRequests:
		d := parseRetryAfter(retryAfterHeader)
		c.Limit.Hold(d)
		return &Error{Kind: Throttled, Status: status, Code: "HTTP 429", RetryAfter: d, Message: op + ": too many requests" + said}
	case status >= 500:
		return &Error{Kind: Down, Status: status, Code: "HTTP " + strconv.Itoa(status), Message: op + ": the store failed" + said}
	case status == http.StatusNotFound:
		return &Error{Kind: Refused, Status: status, Code: "HTTP 404", Message: op + ": no Admin API " + shopifyAPIVersion + " at the shop's URL (check it is https://{shop}.myshopify.com)" + said}
	case status != http.StatusOK:
		return &Error{Kind: Refused, Status: status, Code: "HTTP " + strconv.Itoa(status), Message: op + ": the store refused the request" + said}
	}
	if decErr != nil {
		return &Error{Kind: Down, Status: status, Code: "shopify.answer", Message: op + ": " + clipShopify(decErr.Error())}
	}
	if f := a.failure(op); f != nil {
		f.Status = status
		f.Message = scrub(f.Message, shop.Session)
		if f.Kind == Throttled {
			c.Limit.Hold(f.RetryAfter)
		}
		return f
	}
	if len(a.Data) == 0 || bytes.Equal(a.Data, []byte("null")) {
		return &Error{Kind: Down, Status: status, Code: "shopify.answer", Message: op + ": the answer has no data"}
	}
	if err := json.Unmarshal(a.Data, out); err != nil {
		return &Error{Kind: Down, Status: status, Code: "shopify.answer", Message: op + ": the answer's data is not what was asked: " + clipShopify(err.Error())}
	}
	return nil
}

// scrub keeps a token out of a message, should a store or a transport echo it.
func scrub(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, "[token]")
}

func parseRetryAfter(h string) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(h, 64); err == nil && s > 0 && s < 3600 {
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(h); err == nil {
		if d := time.Until(t); d > 0 && d < time.Hour {
			return d
		}
	}
	return 0
}

// ---- shipments ----

const shopifyOrderQuery = `query TallyOrderFulfillment($id: ID!) {
  order(id: $id) {
    id
    fulfillmentOrders(first: 5) {
      nodes {
        id
        status
        requestStatus
        assignedLocation { location { id } }
        lineItems(first: 25) {
          nodes { id remainingQuantity totalQuantity lineItem { id } }
          pageInfo { hasNextPage }
        }
      }
      pageInfo { hasNextPage }
    }
    fulfillments(first: 20) {
      id
      status
      trackingInfo(first: 3) { company number }
    }
  }
}`

const shopifyAcceptMutation = `mutation TallyAcceptFulfillmentRequest($id: ID!, $message: String) {
  fulfillmentOrderAcceptFulfillmentRequest(id: $id, message: $message) {
    fulfillmentOrder { id status requestStatus }
    userErrors { field message }
  }
}`

const shopifyFulfillmentMutation = `mutation TallyFulfillmentCreate($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status trackingInfo(first: 5) { company number } }
    userErrors { field message }
  }
}`

// shopifyOrderData is the answer to shopifyOrderQuery.
type shopifyOrderData struct {
	Order *shopifyOrder `json:"order"`
}

type shopifyOrder struct {
	ID                string `json:"id"`
	FulfillmentOrders struct {
		Nodes    []shopifyFO     `json:"nodes"`
		PageInfo shopifyPageInfo `json:"pageInfo"`
	} `json:"fulfillmentOrders"`
	Fulfillments []shopifyFulfillment `json:"fulfillments"`
}

type shopifyPageInfo struct {
	HasNextPage bool `json:"hasNextPage"`
}

type shopifyFO struct {
	ID            string `json:"id"`
	Status        string `json:"status"`
	RequestStatus string `json:"requestStatus"`
	LineItems     struct {
		Nodes []struct {
			ID                string `json:"id"`
			RemainingQuantity int64  `json:"remainingQuantity"`
			TotalQuantity     int64  `json:"totalQuantity"`
			LineItem          struct {
				ID string `json:"id"`
			} `json:"lineItem"`
		} `json:"nodes"`
		PageInfo shopifyPageInfo `json:"pageInfo"`
	} `json:"lineItems"`
}

type shopifyFulfillment struct {
	ID           string `json:"id"`
	Status       string `json:"status"`
	TrackingInfo []struct {
		Company string `json:"company"`
		Number  string `json:"number"`
	} `json:"trackingInfo"`
}

// decodeShopifyOrder reads the data of shopifyOrderQuery's answer and
// checks it is whole: nothing left on a further page.
func decodeShopifyOrder(data []byte) (*shopifyOrder, error) {
	var d shopifyOrderData
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, err
	}
	if d.Order == nil {
		return nil, nil
	}
	o := d.Order
	if o.FulfillmentOrders.PageInfo.HasNextPage {
		return nil, fmt.Errorf("the order has more than %d fulfillment orders", shopifyFOPage)
	}
	for _, fo := range o.FulfillmentOrders.Nodes {
		if fo.LineItems.PageInfo.HasNextPage {
			return nil, fmt.Errorf("fulfillment order %s has more than %d lines", fo.ID, shopifyFOLinePage)
		}
	}
	if len(o.Fulfillments) >= shopifyFulfillmentPage {
		return nil, fmt.Errorf("the order has %d fulfillments or more: too many to tell which parcels it holds", shopifyFulfillmentPage)
	}
	return o, nil
}

// fulfillable says whether a fulfillment order's lines may be fulfilled.
func (fo shopifyFO) fulfillable() bool {
	switch fo.Status {
	case "OPEN", "IN_PROGRESS":
		return fo.RequestStatus != "SUBMITTED" && fo.RequestStatus != "REJECTED" && fo.RequestStatus != "CANCELLATION_REQUESTED"
	}
	return false
}

// shopifyParcelLine is one line of a parcel: a line item and its units.
type shopifyParcelLine struct {
	lineItem string
	qty      int64
}

func (p shopify) Ship(ctx context.Context, c Conn, shop Shop, s Shipment) error {
	orderID, ok := shopifyGID("Order", s.PlatformOrderID)
	if !ok {
		return Errorf(Refused, "shopify.order_id", "order %s: %q is not a Shopify order ID (gid://shopify/Order/N or N)", s.Order, s.PlatformOrderID)
	}
	if len(s.Parcels) == 0 {
		return Errorf(Refused, "shopify.no_parcels", "order %s: a shipment without parcels", s.Order)
	}
	parcels := make([][]shopifyParcelLine, len(s.Parcels))
	for i, pc := range s.Parcels {
		if strings.TrimSpace(pc.Waybill) == "" || strings.TrimSpace(pc.Carrier) == "" {
			return Errorf(Refused, "shopify.parcel", "order %s: parcel %d has no waybill or carrier", s.Order, i+1)
		}
		sums := map[string]int64{}
		var order []string
		for _, it := range pc.Items {
			li, ok := shopifyGID("LineItem", it.SubOrderID)
			if !ok {
				return Errorf(Refused, "shopify.line_item", "order %s: %s in parcel %s has no Shopify line item (gid://shopify/LineItem/N or N), got %q", s.Order, it.SKU, pc.Waybill, it.SubOrderID)
			}
			if it.Qty <= 0 {
				return Errorf(Refused, "shopify.qty", "order %s: %s in parcel %s has quantity %d", s.Order, it.SKU, pc.Waybill, it.Qty)
			}
			if _, seen := sums[li]; !seen {
				order = append(order, li)
			}
			sums[li] += it.Qty
		}
		if len(order) == 0 {
			return Errorf(Refused, "shopify.parcel", "order %s: parcel %s carries no line items", s.Order, pc.Waybill)
		}
		for _, li := range order {
			parcels[i] = append(parcels[i], shopifyParcelLine{lineItem: li, qty: sums[li]})
		}
	}

	// what the store holds now: this is what makes a retry safe
	var raw json.RawMessage
	if err := p.call(ctx, c, shop, "reading order "+s.Order+"'s fulfillment orders", shopifyReadOrderCost, shopifyOrderQuery, map[string]any{"id": orderID}, &raw); err != nil {
		return err
	}
	o, err := decodeShopifyOrder(raw)
	if err != nil {
		return Errorf(Refused, "shopify.order", "order %s (%s): %v", s.Order, orderID, err)
	}
	if o == nil {
		return Errorf(Refused, "shopify.no_order", "order %s: the store has no order %s", s.Order, orderID)
	}
	done := map[string]bool{}
	for _, f := range o.Fulfillments {
		if f.Status == "CANCELLED" || f.Status == "ERROR" || f.Status == "FAILURE" {
			continue
		}
		for _, t := range f.TrackingInfo {
			if t.Number != "" {
				done[t.Number] = true
			}
		}
	}
	wanted := map[string]bool{}
	for i, pc := range s.Parcels {
		if done[pc.Waybill] {
			continue
		}
		for _, l := range parcels[i] {
			wanted[l.lineItem] = true
		}
	}
	if len(wanted) == 0 {
		return nil // every parcel is a fulfillment already
	}

	// fulfillment requests waiting for us are accepted first (once: a
	// request accepted is no longer SUBMITTED when read again)
	fos := o.FulfillmentOrders.Nodes
	for i := range fos {
		fo := &fos[i]
		if fo.RequestStatus != "SUBMITTED" || (fo.Status != "OPEN" && fo.Status != "IN_PROGRESS") || !fo.holdsAny(wanted) {
			continue
		}
		var acc struct {
			Accept struct {
				FulfillmentOrder *struct {
					Status        string `json:"status"`
					RequestStatus string `json:"requestStatus"`
				} `json:"fulfillmentOrder"`
				UserErrors []shopifyUserError `json:"userErrors"`
			} `json:"fulfillmentOrderAcceptFulfillmentRequest"`
		}
		vars := map[string]any{"id": fo.ID, "message": "Tally ships order " + s.Order}
		if err := p.call(ctx, c, shop, "accepting the fulfillment request of "+fo.ID, shopifyMutationCost, shopifyAcceptMutation, vars, &acc); err != nil {
			return err
		}
		if len(acc.Accept.UserErrors) > 0 {
			// the next try reads the order again and sees why
			return Errorf(Retry, "shopify.accept", "order %s: accepting %s: %s", s.Order, fo.ID, userErrorText(acc.Accept.UserErrors))
		}
		fo.RequestStatus = "ACCEPTED"
		if acc.Accept.FulfillmentOrder != nil && acc.Accept.FulfillmentOrder.Status != "" {
			fo.Status = acc.Accept.FulfillmentOrder.Status
		}
	}

	// what is left to fulfil, per fulfillment order line
	type foLine struct {
		fo, id string
		left   int64
	}
	lineOf := map[string][]*foLine{} // line item → its open fulfillment order lines
	for _, fo := range fos {
		if !fo.fulfillable() {
			continue
		}
		for _, n := range fo.LineItems.Nodes {
			if n.RemainingQuantity > 0 {
				lineOf[n.LineItem.ID] = append(lineOf[n.LineItem.ID], &foLine{fo: fo.ID, id: n.ID, left: n.RemainingQuantity})
			}
		}
	}

	for i, pc := range s.Parcels {
		if done[pc.Waybill] {
			continue
		}
		type foItem struct {
			ID       string `json:"id"`
			Quantity int64  `json:"quantity"`
		}
		byFO := map[string][]foItem{}
		var foOrder []string
		for _, l := range parcels[i] {
			need := l.qty
			for _, fl := range lineOf[l.lineItem] {
				if need == 0 {
					break
				}
				take := min(need, fl.left)
				if take <= 0 {
					continue
				}
				if _, seen := byFO[fl.fo]; !seen {
					foOrder = append(foOrder, fl.fo)
				}
				byFO[fl.fo] = append(byFO[fl.fo], foItem{ID: fl.id, Quantity: take})
				fl.left -= take
				need -= take
			}
			if need > 0 {
				return Errorf(Refused, "shopify.unfulfillable", "order %s: parcel %s: %d of %s's units are not open to fulfil on the store (fulfilled by another parcel, cancelled, on hold or with a request not accepted)", s.Order, pc.Waybill, need, l.lineItem)
			}
		}
		sort.Strings(foOrder)
		var groups []map[string]any
		for _, id := range foOrder {
			groups = append(groups, map[string]any{"fulfillmentOrderId": id, "fulfillmentOrderLineItems": byFO[id]})
		}
		vars := map[string]any{"fulfillment": map[string]any{
			"lineItemsByFulfillmentOrder": groups,
			"notifyCustomer":              false,
			"trackingInfo":                map[string]any{"company": pc.Carrier, "number": pc.Waybill},
		}}
		var fc struct {
			Create struct {
				Fulfillment *struct {
					ID string `json:"id"`
				} `json:"fulfillment"`
				UserErrors []shopifyUserError `json:"userErrors"`
			} `json:"fulfillmentCreate"`
		}
		if err := p.call(ctx, c, shop, "creating the fulfillment of order "+s.Order+"'s parcel "+pc.Waybill, shopifyMutationCost, shopifyFulfillmentMutation, vars, &fc); err != nil {
			return err
		}
		if len(fc.Create.UserErrors) > 0 {
			return Errorf(Refused, "shopify.fulfillment", "order %s: parcel %s: %s", s.Order, pc.Waybill, userErrorText(fc.Create.UserErrors))
		}
		if fc.Create.Fulfillment == nil {
			return Errorf(Retry, "shopify.fulfillment", "order %s: parcel %s: the store made no fulfillment and said nothing", s.Order, pc.Waybill)
		}
		done[pc.Waybill] = true
	}
	return nil
}

func (fo shopifyFO) holdsAny(lineItems map[string]bool) bool {
	for _, n := range fo.LineItems.Nodes {
		if lineItems[n.LineItem.ID] {
			return true
		}
	}
	return false
}

// ---- stock ----

const shopifyLevelQuery = `query TallyInventoryLevel($item: ID!, $location: ID!) {
  inventoryItem(id: $item) {
    id
    inventoryLevel(locationId: $location) {
      id
      quantities(names: ["available"]) { name quantity }
    }
  }
}`

const shopifySetMutation = `mutation TallyInventorySet($input: InventorySetQuantitiesInput!, $idempotencyKey: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $idempotencyKey) {
    inventoryAdjustmentGroup { id }
    userErrors { code field message }
  }
}`

type shopifyLevelData struct {
	InventoryItem *struct {
		ID             string `json:"id"`
		InventoryLevel *struct {
			ID         string `json:"id"`
			Quantities []struct {
				Name     string `json:"name"`
				Quantity int64  `json:"quantity"`
			} `json:"quantities"`
		} `json:"inventoryLevel"`
	} `json:"inventoryItem"`
}

// decodeShopifyLevel reads shopifyLevelQuery's data: the available
// quantity, or why there is none.
func decodeShopifyLevel(data []byte) (qty int64, why string, err error) {
	var d shopifyLevelData
	if err := json.Unmarshal(data, &d); err != nil {
		return 0, "", err
	}
	switch {
	case d.InventoryItem == nil:
		return 0, "the store has no such inventory item", nil
	case d.InventoryItem.InventoryLevel == nil:
		return 0, "the inventory item is not stocked at the shop's location", nil
	}
	for _, q := range d.InventoryItem.InventoryLevel.Quantities {
		if q.Name == "available" {
			return q.Quantity, "", nil
		}
	}
	return 0, "the store did not say the available quantity", nil
}

func (p shopify) SetStock(ctx context.Context, c Conn, shop Shop, s StockSet) (StockResult, error) {
	if strings.TrimSpace(shop.Location) == "" {
		return StockResult{}, Errorf(Refused, "shopify.no_location", "the shop has no location: set the Shopify location (gid://shopify/Location/N) whose stock Tally publishes")
	}
	loc, ok := shopifyGID("Location", shop.Location)
	if !ok {
		return StockResult{}, Errorf(Refused, "shopify.location", "the shop's location %q is not a Shopify location ID (gid://shopify/Location/N or N)", shop.Location)
	}
	item, ok := shopifyGID("InventoryItem", s.Listing.ItemID)
	if !ok {
		return StockResult{}, Errorf(Refused, "shopify.inventory_item", "%s: the listing's item %q is not a Shopify inventory item ID (gid://shopify/InventoryItem/N or N)", s.SKU, s.Listing.ItemID)
	}
	if s.Qty < 0 || s.Qty > math.MaxInt32 {
		return StockResult{}, Errorf(Refused, "shopify.qty", "%s: quantity %d is out of Shopify's range", s.SKU, s.Qty)
	}
	if s.Key == "" {
		return StockResult{}, Errorf(Refused, "shopify.key", "%s: a stock publication needs its key (Shopify's @idempotent)", s.SKU)
	}
	read := func() (int64, error) {
		var raw json.RawMessage
		if err := p.call(ctx, c, shop, "reading "+s.SKU+"'s available quantity", shopifyReadLevelCost, shopifyLevelQuery, map[string]any{"item": item, "location": loc}, &raw); err != nil {
			return 0, err
		}
		q, why, err := decodeShopifyLevel(raw)
		if err != nil {
			return 0, &Error{Kind: Down, Code: "shopify.answer", Message: "reading " + s.SKU + "'s available quantity: " + clipShopify(err.Error())}
		}
		if why != "" {
			return 0, Errorf(Refused, "shopify.inventory_level", "%s (%s at %s): %s", s.SKU, item, loc, why)
		}
		return q, nil
	}
	from, res := s.Last, StockResult{Qty: s.Qty}
	if !s.LastKnown {
		q, err := read()
		if err != nil {
			return StockResult{}, err
		}
		if q == s.Qty {
			return res, nil // the store holds it already: nothing to change
		}
		from = q
	}
	for try := 0; ; try++ {
		// the first try is the publication's own key; a try after a stale
		// compare is another request (another base), so another key, the
		// same for the same base every time it is sent
		key := s.Key
		if try > 0 {
			key = s.Key + "/from-" + strconv.FormatInt(from, 10)
		}
		vars := map[string]any{
			"idempotencyKey": shopifyKey(key),
			"input": map[string]any{
				"name":   "available",
				"reason": "correction",
				"quantities": []map[string]any{{
					"inventoryItemId":    item,
					"locationId":         loc,
					"quantity":           s.Qty,
					"changeFromQuantity": from,
				}},
			},
		}
		var set struct {
			Set struct {
				UserErrors []shopifyUserError `json:"userErrors"`
			} `json:"inventorySetQuantities"`
		}
		if err := p.call(ctx, c, shop, "setting "+s.SKU+"'s available quantity", shopifyMutationCost, shopifySetMutation, vars, &set); err != nil {
			return StockResult{}, err
		}
		ues := set.Set.UserErrors
		if len(ues) == 0 {
			return res, nil
		}
		stale := false
		for _, u := range ues {
			if u.Code == "CHANGE_FROM_QUANTITY_STALE" {
				stale = true
			}
		}
		if !stale {
			return StockResult{}, Errorf(Refused, cmpShopify(ues[0].Code, "shopify.user_error"), "%s: %s", s.SKU, userErrorText(ues))
		}
		if try+1 >= shopifyStaleTries {
			return StockResult{}, Errorf(Retry, "CHANGE_FROM_QUANTITY_STALE", "%s: the store's quantity kept changing under %d compare-and-sets; trying again later", s.SKU, shopifyStaleTries)
		}
		q, err := read()
		if err != nil {
			return StockResult{}, err
		}
		res.Retried = true
		if q == s.Qty {
			// an earlier try (its answer lost) set it, or the store came
			// to it: a set now would be a second effect for nothing
			res.Note = fmt.Sprintf("the store already held %d", q)
			return res, nil
		}
		from = q
		res.Note = fmt.Sprintf("the store held %d, not the %d last published: re-read and set again", q, s.Last)
	}
}

// shopifyKey is an idempotency key Shopify takes (it suggests a UUID; any
// string up to 255 characters is taken): a long key is hashed down.
func shopifyKey(k string) string {
	if len(k) <= 200 {
		return k
	}
	return "tally-" + shortHash(k)
}

func shortHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:16])
}
