package fakemarket

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func shopifyPost(t *testing.T, h http.Handler, token, body string) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, shopifyEndpoint, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Shopify-Access-Token", token)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("answer %q is not JSON: %v", rec.Body.String(), err)
	}
	return rec.Code, out
}

func gqlBody(query string, vars any) string {
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return string(b)
}

func firstError(out map[string]any) string {
	switch e := out["errors"].(type) {
	case string:
		return e
	case []any:
		if len(e) > 0 {
			m, _ := e[0].(map[string]any)
			s, _ := m["message"].(string)
			return s
		}
	}
	return ""
}

func TestShopifyFakeRefusesWhatItDoesNotTake(t *testing.T) {
	m := New(Options{})
	h := m.Handler()
	tok := DefaultKeys()["shopify"].Session
	const setMutation = `mutation S($input: InventorySetQuantitiesInput!, $idempotencyKey: String!) { inventorySetQuantities(input: $input) { userErrors { code message } } }`
	set := map[string]any{"idempotencyKey": "k1", "input": map[string]any{"name": "available", "reason": "correction",
		"quantities": []any{map[string]any{"inventoryItemId": "gid://shopify/InventoryItem/1", "locationId": "gid://shopify/Location/1", "quantity": 5, "changeFromQuantity": 0}}}}
	for _, tc := range []struct {
		name, token, body string
		status            int
		text              string
	}{
		{"bad token", "shpat_wrong", gqlBody(`{ shop { id } }`, nil), 401, "Invalid API key or access token"},
		{"not json", tok, `query { order }`, 400, "not {query, variables, operationName}"},
		{"unknown field", tok, gqlBody(`{ shop { id } }`, nil), 200, "does not take query shop"},
		{"two roots", tok, gqlBody(`query { order(id: $id) { id } inventoryItem(id: 1) { id } }`, nil), 200, "one root field"},
		{"fragment", tok, gqlBody(`query Q($id: ID!) { order(id: $id) { ...F } } fragment F on Order { id }`, nil), 200, "end of the document"},
		{"unknown variable", tok, gqlBody(`query Q($id: ID!) { order(id: $id) { id } }`, map[string]any{"id": "gid://shopify/Order/1", "x": 1}), 200, "variables are not what this fake reads"},
		{"not a gid", tok, gqlBody(`query Q($id: ID!) { order(id: $id) { id } }`, map[string]any{"id": "1"}), 200, "Invalid global id"},
		{"no @idempotent", tok, gqlBody(setMutation, set), 200, "@idempotent"},
		{"no changeFromQuantity", tok, gqlBody(strings.Replace(setMutation, "(input: $input)", "(input: $input) @idempotent(key: $idempotencyKey)", 1),
			map[string]any{"idempotencyKey": "k2", "input": map[string]any{"name": "available", "reason": "correction",
				"quantities": []any{map[string]any{"inventoryItemId": "gid://shopify/InventoryItem/1", "locationId": "gid://shopify/Location/1", "quantity": 5}}}}), 200, "changeFromQuantity is required"},
		{"too large", tok, `{"query":"` + strings.Repeat("x", shopifyMaxBody) + `"}`, 413, "over 1048576 bytes"},
	} {
		status, out := shopifyPost(t, h, tc.token, tc.body)
		if status != tc.status || !strings.Contains(firstError(out), tc.text) {
			t.Errorf("%s: %d %v, want %d with %q", tc.name, status, out, tc.status, tc.text)
		}
	}
	if len(m.Writes()) != 0 || len(m.Shipments()) != 0 {
		t.Errorf("refused requests changed the store: %v %v", m.Writes(), m.Shipments())
	}
}

func TestShopifyFakeCostAndThrottle(t *testing.T) {
	m := New(Options{})
	h := m.Handler()
	tok := DefaultKeys()["shopify"].Session
	q := gqlBody(`query Q($item: ID!, $location: ID!) { inventoryItem(id: $item) { inventoryLevel(locationId: $location) { quantities(names: ["available"]) { quantity } } } }`,
		map[string]any{"item": "gid://shopify/InventoryItem/1", "location": "gid://shopify/Location/1"})
	_, out := shopifyPost(t, h, tok, q)
	cost := out["extensions"].(map[string]any)["cost"].(map[string]any)
	ts := cost["throttleStatus"].(map[string]any)
	if cost["requestedQueryCost"].(float64) != shopifyLevelCost || ts["maximumAvailable"].(float64) != shopifyBucketMax || ts["restoreRate"].(float64) != shopifyRestoreRate {
		t.Errorf("cost %v", cost)
	}
	if _, err := m.AddFault(Fault{Kind: FaultRateLimit, Platform: "shopify", Count: 1}); err != nil {
		t.Fatal(err)
	}
	_, out = shopifyPost(t, h, tok, q)
	errs, _ := out["errors"].([]any)
	if len(errs) != 1 || errs[0].(map[string]any)["extensions"].(map[string]any)["code"] != "THROTTLED" {
		t.Fatalf("rate-limit fault: %v", out)
	}
	if ts := out["extensions"].(map[string]any)["cost"].(map[string]any)["throttleStatus"].(map[string]any); ts["currentlyAvailable"].(float64) >= shopifyLevelCost {
		t.Errorf("throttled with %v available", ts["currentlyAvailable"])
	}
}

func FuzzShopifyOperation(f *testing.F) {
	f.Add(`mutation TallyInventorySet($input: InventorySetQuantitiesInput!, $idempotencyKey: String!) { inventorySetQuantities(input: $input) @idempotent(key: $idempotencyKey) { userErrors { code } } }`)
	f.Add(`{ order(id: "gid://shopify/Order/1") { id } }`)
	f.Add(`query # comment
	{ a: order(id: "x)") { id } }`)
	f.Add(`mutation { x(y: "\"") @d(e: "(") }`)
	f.Fuzz(func(t *testing.T, q string) {
		op, err := parseShopifyOperation(q)
		if err == nil && (op.field == "" || (op.kind != "query" && op.kind != "mutation")) {
			t.Fatalf("accepted %q as %+v", q, op)
		}
	})
}

func TestShopifyParseOperation(t *testing.T) {
	op, err := parseShopifyOperation(`mutation TallyInventorySet($input: InventorySetQuantitiesInput!, $idempotencyKey: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $idempotencyKey) { userErrors { code } }
}`)
	if err != nil || op.kind != "mutation" || op.field != "inventorySetQuantities" || strings.TrimSpace(op.directives["idempotent"]) != "key: $idempotencyKey" {
		t.Fatalf("%+v %v", op, err)
	}
	if m := idempotentArgs.FindStringSubmatch(`key: "abc\"d"`); m == nil || m[2] != `abc\"d` {
		t.Errorf("literal key: %v", m)
	}
	if _, err := parseShopifyOperation(`subscription { x }`); err == nil {
		t.Error("a subscription was taken")
	}
}
