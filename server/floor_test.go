package server

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"tally/wms"
)

func TestFloorPageReleasesWaves(t *testing.T) {
	s, l := testServer(t)
	for _, in := range []wms.OrderIntake{intake("SO200001", wms.LineIn{SKU: "SKU03000", Qty: 1}), intake("SO200002", wms.LineIn{SKU: "SKU03001", Qty: 1}, wms.LineIn{SKU: "SKU03002", Qty: 1})} {
		if _, _, err := l.ReceiveOrder(context.Background(), in, "oms", "test"); err != nil {
			t.Fatal(err)
		}
	}
	picker := newClient(t, s)
	picker.login("B1001", "1111")
	if r, _ := picker.get("/floor"); r.StatusCode != 403 {
		t.Errorf("picker on the floor page: %d", r.StatusCode)
	}
	c := newClient(t, s)
	c.login("B4001", "4444")
	_, page := c.get("/floor")
	if !strings.Contains(page, "2 new orders") {
		t.Fatalf("floor page:\n%s", page)
	}
	resp, page := c.post("/floor/waves", url.Values{"mode": {"cluster"}, "cluster_size": {"x"}})
	if resp.StatusCode != 400 || !strings.Contains(page, "whole number") {
		t.Errorf("bad cluster size: %d", resp.StatusCode)
	}
	resp, page = c.post("/floor/waves", url.Values{"mode": {"single"}, "lines": {"single"}, "key": {"3f1c1a52-5f0e-4a43-9d0c-1f7f3c7b0a11"}})
	if resp.StatusCode != 200 || !strings.Contains(page, "Orders: 1 · tasks: 1") {
		t.Fatalf("release: %d\n%s", resp.StatusCode, page)
	}
	// the same form sent twice (a double tap) releases once
	c.post("/floor/waves", url.Values{"mode": {"single"}, "lines": {"single"}, "key": {"3f1c1a52-5f0e-4a43-9d0c-1f7f3c7b0a11"}})
	if o, _ := l.Order("SO200002"); o.State != wms.OrderNew {
		t.Errorf("double submit released the multi-line order too: %s", o.State)
	}
	if r, _ := c.post("/floor/autowave", url.Values{"auto_wave": {"on"}}); r.StatusCode != 303 {
		t.Errorf("auto-wave toggle: %d", r.StatusCode)
	}
	if st, _ := l.Settings(); !st.AutoWave.Enabled {
		t.Error("auto-wave not on")
	}
	// the picker's screen has the task
	_, page = picker.get("/pick")
	if !strings.Contains(page, `data-testid="next-task"`) {
		t.Fatalf("pick page without a task:\n%s", page)
	}
	if r, _ := picker.post("/pick/next", url.Values{}); r.StatusCode != 303 || r.Header.Get("Location") != "/pick" {
		t.Errorf("next task: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	_, page = picker.get("/pick")
	if !strings.Contains(page, `data-task-id="W`) || !strings.Contains(page, "pick.js") {
		t.Errorf("pick page has no task")
	}
}
