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

type fakeHubLink struct{ st HubLinkStatus }

func (f fakeHubLink) HubLinkStatus() HubLinkStatus { return f.st }

// TestHubLinkShown: a warehouse linked to a hub shows the link on the sync
// page, in the sync status and in /metrics.
func TestHubLinkShown(t *testing.T) {
	f := newSyncFixture(t, false)
	sup := f.page("B4001", "4444")
	if _, body := sup.get("/sync"); strings.Contains(body, `data-testid="hub-link"`) {
		t.Error("a warehouse without a hub shows a hub link")
	}
	since := time.Date(2026, 11, 11, 1, 0, 0, 0, time.UTC)
	f.s.cfg.HubLink = fakeHubLink{HubLinkStatus{Connected: false, Since: &since, Outgoing: 1234, OutgoingBytes: 3 << 20, MaxBytes: 1 << 30}}
	_, body := sup.get("/sync")
	if text := unmarked(body); !strings.Contains(body, `data-testid="hub-link"`) || !strings.Contains(text, "1234 calls, 3.0 MB of 1024 MB") {
		t.Errorf("the sync page: %s", text)
	}
	if resp, body := f.as(wms.RoleIntegration).get("/api/v1/sync/status"); resp.StatusCode != 200 || !strings.Contains(body, `"hub":{"connected":false`) || !strings.Contains(body, `"outgoing":1234`) {
		t.Errorf("sync status: %d %s", resp.StatusCode, body)
	}
	if _, body := f.as(wms.RoleSupervisor).get("/metrics"); !strings.Contains(body, "tally_hub_connected 0") || !strings.Contains(body, "tally_hub_outgoing 1234") {
		t.Errorf("metrics lack the hub link")
	}
}
