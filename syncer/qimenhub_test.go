package syncer

import (
	"strings"
	"testing"

	"tally/syncer/qimen"
	"tally/wms"
)

// TestHubCallsAndSnapshots: a call the hub delivers is carried out only
// for an upstream configured via the hub here; the snapshot answers every
// item.
func TestHubCallsAndSnapshots(t *testing.T) {
	r := newRig(t, Options{})
	r.qimenUpstream("erp", "", wms.ViaHub)
	r.qimenUpstream("direct", "http://127.0.0.1:1/qimen", "")
	body := `<request><criteriaList><criteria><itemCode>SKU00001</itemCode></criteria></criteriaList></request>`
	if got := string(r.s.ApplyHubCall(bg, qimen.Call{Upstream: "erp", Method: qimen.InventoryQuery, Body: []byte(body)})); !strings.Contains(got, "<flag>success</flag>") || !strings.Contains(got, "SKU00001") {
		t.Errorf("via the hub: %s", got)
	}
	for _, name := range []string{"direct", "nobody"} {
		if got := string(r.s.ApplyHubCall(bg, qimen.Call{Upstream: name, Method: qimen.InventoryQuery, Body: []byte(body)})); !strings.Contains(got, "<flag>failure</flag>") {
			t.Errorf("%s: %s", name, got)
		}
	}
	snaps := r.s.HubSnapshots(bg)
	if len(snaps) != 1 || snaps[0].Upstream != "erp" || !strings.Contains(string(snaps[0].Body), "<flag>success</flag>") || strings.Count(string(snaps[0].Body), "<item>") < 5 {
		t.Fatalf("snapshots: %+v", snaps)
	}
}
