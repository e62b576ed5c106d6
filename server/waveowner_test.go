package server

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"tally/wms"
)

// A wave of one owner's orders: from the API with "owner", and from the
// floor page filtered to that owner (the form releases what the page shows).
// An owner the warehouse does not work for is refused, and nothing is released.
func TestWaveOfOneOwner(t *testing.T) {
	s, l := twoOwnerServer(t)
	brand := wms.DemoOwner.Code
	admin, err := l.CreateToken(context.Background(), "oms", wms.RoleAdmin, "test")
	if err != nil {
		t.Fatal(err)
	}
	api := newClient(t, s)
	api.bearer = admin
	post := func(key, body string) (int, string) {
		resp, text := api.do("POST", "/api/v1/waves", strings.NewReader(body), map[string]string{"Content-Type": "application/json", "Idempotency-Key": key})
		return resp.StatusCode, text
	}
	// a wave names each order by its reference: the number, or "OWNER NUMBER"
	ownersOf := func(w struct{ Orders []string }) map[string]bool {
		out := map[string]bool{}
		for _, ref := range w.Orders {
			owner, no := wms.ParseOrderRef(ref)
			o, err := l.Books(owner).Order(no)
			if err != nil || o.Wave == "" {
				t.Fatalf("order %q of the wave: %+v %v", ref, o, err)
			}
			out[o.Owner] = true
		}
		return out
	}

	if st, text := post("w-nobody", `{"owner":"NOBODY","mode":"single"}`); st != 404 || !strings.Contains(text, `"key":"owner.unknown"`) {
		t.Errorf("a wave for an unknown owner: %d %s", st, text)
	}
	if n, _ := l.OrdersIn(wms.OrderAllocated, "", 100); len(n) != 0 {
		t.Fatalf("a refused wave allocated %d orders", len(n))
	}

	st, text := post("w-brand", `{"owner":"`+brand+`","mode":"single"}`)
	var w struct{ Orders []string }
	if err := json.Unmarshal([]byte(text), &w); st != 201 || err != nil || len(w.Orders) == 0 {
		t.Fatalf("the brand's wave: %d %s", st, text)
	}
	if got := ownersOf(w); len(got) != 1 || !got[brand] {
		t.Errorf("the brand's wave released orders of %v", got)
	}
	// each order as the wave names it opens through the API, in its owner's books
	for _, ref := range w.Orders {
		resp, text := api.do("GET", "/api/v1/orders/"+url.PathEscape(ref), nil, nil)
		var o struct{ Owner, No string }
		if err := json.Unmarshal([]byte(text), &o); resp.StatusCode != 200 || err != nil || o.Owner != brand || !strings.HasSuffix(ref, o.No) {
			t.Errorf("GET the wave's order %q: %d %s", ref, resp.StatusCode, text)
		}
		if resp, text := api.do("GET", "/api/v1/orders/"+url.PathEscape(ref)+"?owner="+wms.DefaultOwner, nil, nil); resp.StatusCode != 400 || !strings.Contains(text, "order.owner_twice") {
			t.Errorf("an order named with one owner and asked for with another: %d %s", resp.StatusCode, text)
		}
	}
	if left, _ := l.OrdersIn(wms.OrderNew, brand, 100); len(left) != 0 {
		t.Errorf("%d of the brand's new orders left out of its wave", len(left))
	}
	if left, _ := l.OrdersIn(wms.OrderNew, wms.DefaultOwner, 100); len(left) == 0 {
		t.Fatal("the brand's wave took the default owner's orders")
	}

	// the floor page filtered to the default owner: its form says so and
	// releases only that owner's orders
	for _, lang := range langs {
		c := newClient(t, s)
		c.login("B4001", "4444")
		c.lang = lang
		_, page := c.get("/floor?owner=" + wms.DefaultOwner)
		if !strings.Contains(page, `data-testid="wave-owner"`) || !strings.Contains(page, `action="/floor/waves?owner=DEFAULT"`) {
			t.Fatalf("%s: the filtered floor page's wave form does not name the owner:\n%s", lang, page)
		}
		if _, page := c.get("/floor"); strings.Contains(page, `data-testid="wave-owner"`) {
			t.Errorf("%s: the unfiltered floor page's wave form names an owner", lang)
		}
	}
	c := newClient(t, s)
	c.login("B4001", "4444")
	c.get("/floor?owner=" + wms.DefaultOwner)
	form := url.Values{"mode": {"single"}, "key": {"floor-default-wave"}, "max_orders": {"50"}, "cluster_size": {"4"}}
	if resp, page := c.post("/floor/waves?owner="+wms.DefaultOwner, form); resp.StatusCode >= 400 {
		t.Fatalf("release from the floor page: %d\n%s", resp.StatusCode, page)
	}
	waves, _ := l.EventsOfType(10, wms.EvWaveReleased)
	var rel wms.WaveRelease
	if err := waves[0].DecodeData(&rel); err != nil {
		t.Fatal(err)
	}
	for i, no := range rel.Orders {
		if len(rel.Owners) > i && rel.Owners[i] != "" {
			t.Errorf("the default owner's wave released %s of %s", no, rel.Owners[i])
		}
	}
}
