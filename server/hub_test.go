package server

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"tally/wms"
)

// fakeHub is a hub's bridge with fixed figures.
type fakeHub struct {
	node       HubNode
	warehouses []HubWarehouse
	calls      int
}

func (h *fakeHub) ServeQimen(ctx context.Context, params url.Values, body []byte, ups []wms.Upstream) []byte {
	h.calls++
	return []byte(`<?xml version="1.0" encoding="UTF-8"?><response><flag>success</flag><code></code><message></message></response>`)
}
func (h *fakeHub) Warehouses() []HubWarehouse { return append([]HubWarehouse(nil), h.warehouses...) }
func (h *fakeHub) Node() HubNode              { return h.node }

func TestHubPage(t *testing.T) {
	f := newSyncFixture(t, false)
	sup := f.page("B4001", "4444")
	// a warehouse's Tally is not a hub: no menu entry, 404 with a reason
	if _, body := sup.get("/"); strings.Contains(body, `href="/hub"`) {
		t.Error("a warehouse shows the hub in its menu")
	}
	if resp, body := f.as(wms.RoleSupervisor).get("/api/v1/hub/status"); resp.StatusCode != 404 || !strings.Contains(body, "hub.not_running") {
		t.Errorf("not a hub: %d %s", resp.StatusCode, body)
	}
	at := time.Date(2026, 11, 11, 1, 59, 30, 0, time.UTC)
	f.s.cfg.Hub = &fakeHub{node: HubNode{Name: "hub-1", Peers: []string{"hub-2"}}, warehouses: []HubWarehouse{
		{Warehouse: "WH-SH", Online: true, LastContact: &at, FromWarehouse: 3},
		{Warehouse: "WH-GZ", Online: false, LastContact: &at, ToWarehouse: 12}}}
	if _, body := sup.get("/"); !strings.Contains(body, `href="/hub"`) {
		t.Error("the hub's menu has no hub page")
	}
	resp, body := sup.get("/hub")
	if resp.StatusCode != 200 {
		t.Fatalf("/hub: %d", resp.StatusCode)
	}
	text := unmarked(body)
	for _, want := range []string{"WH-GZ", "WH-SH", "1 warehouse is offline", "Hub node hub-1"} {
		if !strings.Contains(text, want) {
			t.Errorf("/hub lacks %q", want)
		}
	}
	if strings.Index(body, "WH-GZ") > strings.Index(body, "WH-SH") {
		t.Error("warehouses not in code order")
	}
	// roles: a picker may not see it; an integration token reads the status
	if resp, _ := f.as(wms.RolePicker).get("/api/v1/hub/status"); resp.StatusCode != 403 {
		t.Errorf("picker: %d", resp.StatusCode)
	}
	if resp, body := f.as(wms.RoleIntegration).get("/api/v1/hub/status"); resp.StatusCode != 200 || !strings.Contains(body, `"to_warehouse":12`) {
		t.Errorf("integration: %d %s", resp.StatusCode, body)
	}
}

// TestHubTakesQimen: at the hub, POST /qimen goes to the hub's bridge
// with the hub's ERPs, whatever syncer there is.
func TestHubTakesQimen(t *testing.T) {
	f := newSyncFixture(t, false)
	h := &fakeHub{node: HubNode{Name: "hub-1"}}
	f.s.cfg.Hub = h
	status, _, r := postQimen(t, f.s, "deliveryorder.create", `<request><deliveryOrder><warehouseCode>WH1</warehouseCode></deliveryOrder></request>`, true)
	if status != 200 || r.Flag != "success" || h.calls != 1 {
		t.Errorf("the hub got %d calls: %d %+v", h.calls, status, r)
	}
}
