package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"tally/internal/proctest"
	"tally/syncer"
	"tally/syncer/qimen"
	"tally/wms"
	"tally/wms/wmstest"
)

// TestDemoThroughTheHub is the README's three-terminal demo, checked: the
// fake ERP and the hub run as their own processes (the built binary), the
// warehouse runs here with its leaf node, so the test can pick and pack.
// An order made in the ERP reaches the warehouse through the hub, is
// picked, packed and shipped, and its deliveryorder.confirm reaches the
// ERP through the hub, once. Then the warehouse goes offline: the ERP's
// new orders wait at the hub, its inventory.query gets the last snapshot
// and a cancellation "warehouse offline, retry"; back online, the waiting
// orders arrive.
func TestDemoThroughTheHub(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs processes")
	}
	dir := t.TempDir()
	bin := proctest.Build(t)
	hubData, whData := filepath.Join(dir, "hub"), filepath.Join(dir, "wh")
	out, err := exec.Command(bin, "token", "create", "--data", hubData, "--name", "hub-admin", "--role", "admin").Output()
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	hubToken := regexp.MustCompile(`tly_[A-Za-z0-9_-]+`).FindString(string(out))
	ports := proctest.FreePorts(t, 3)
	hubAddr, leafAddr, erpAddr := ports[0], ports[1], ports[2]
	const leafPassword, erpSecret = "demo-leaf-pw-0001", "demo-erp-secret-0001"
	proctest.Start(t, []string{"TALLY_HUB_LEAF_PASSWORD=" + leafPassword}, "Tally hub is serving", bin, "hub", "--data", hubData,
		"--addr", hubAddr, "--leaf-listen", leafAddr)
	api(t, "PUT", "http://"+hubAddr+"/api/v1/sync/upstreams/erp", hubToken,
		`{"dialect":"qimen","url":"http://`+erpAddr+`/qimen","app_key":"demo-erp","secret":"`+erpSecret+`","customer_id":"demo-cust"}`, nil)

	// the warehouse: its ledger, syncer and leaf, as tally serve --hub wires them
	l, err := wms.Open(whData, wms.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := l.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := l.SaveUpstream(ctx, "", wms.Upstream{Name: "erp", Dialect: wms.DialectQimen, Via: wms.ViaHub, AppKey: "demo-erp", CustomerID: "demo-cust"}, "test", "test"); err != nil {
		t.Fatal(err)
	}
	link := &lateLink{}
	sy := syncer.New(l, syncer.Options{Warehouse: "WH1", Hub: link, PollEvery: 200 * time.Millisecond, BackoffMax: time.Second})
	startLeaf := func() *Leaf {
		leaf, err := StartLeaf(LeafConfig{Name: "tally-WH1", Warehouse: "WH1", Hub: []string{leafAddr}, User: "warehouse", Password: leafPassword,
			StoreDir: filepath.Join(whData, "nats"), Apply: sy.ApplyHubCall, Snapshot: sy.HubSnapshots, HelloEvery: 500 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		link.leaf.Store(leaf)
		return leaf
	}
	leaf := startLeaf()
	go func() { _ = sy.Run(ctx) }()
	waitFor(t, 2*time.Minute, "WH1 online at the hub", func() bool {
		var st struct {
			Warehouses []struct {
				Warehouse string
				Online    bool
			}
		}
		api(t, "GET", "http://"+hubAddr+"/api/v1/hub/status", hubToken, "", &st)
		return len(st.Warehouses) == 1 && st.Warehouses[0].Online
	})

	// the ERP sends three orders to the hub
	proctest.Start(t, []string{"TALLY_FAKE_ERP_SECRET=" + erpSecret}, "fake ERP serving", bin, "fake-erp", "--addr", erpAddr,
		"--wms", "http://"+hubAddr+"/qimen", "--app-key", "demo-erp", "--customer-id", "demo-cust", "--warehouse", "WH1", "--orders", "3")
	codes := erpOrders(t, erpAddr, 3)
	waitFor(t, 2*time.Minute, "the ERP's orders at the warehouse", func() bool { return haveOrders(l, codes) })

	// picked, packed and shipped at the warehouse
	if _, err := l.ReleaseWave(ctx, wms.WaveFilter{Mode: wms.WaveSingle, MaxOrders: 500}, "demo-wave", "B4001", "test"); err != nil {
		t.Fatal(err)
	}
	wmstest.PickAll(t, l)
	for _, no := range codes {
		wmstest.PackAndShip(t, l, no)
	}
	waitFor(t, 2*time.Minute, "three deliveryorder.confirm at the ERP", func() bool {
		return confirmed(t, erpAddr, "deliveryorder.confirm") == 3
	})

	// offline: orders wait at the hub, a live call gets an honest answer
	leaf.Close()
	waitFor(t, 2*time.Minute, "WH1 offline at the hub", func() bool {
		var st struct{ Warehouses []struct{ Online bool } }
		api(t, "GET", "http://"+hubAddr+"/api/v1/hub/status", hubToken, "", &st)
		return len(st.Warehouses) == 1 && !st.Warehouses[0].Online
	})
	api(t, "POST", "http://"+erpAddr+"/admin/orders", "", `{"n":2}`, nil)
	api(t, "POST", "http://"+erpAddr+"/admin/cancel", "", `{"order":"`+codes[0]+`"}`, nil)
	api(t, "POST", "http://"+erpAddr+"/admin/inventory", "", `{"warehouse":"WH1","items":["SKU03010"]}`, nil)
	var cancelAnswer, inventoryAnswer string
	defer func() {
		if t.Failed() {
			var raw json.RawMessage
			api(t, "GET", "http://"+erpAddr+"/admin/calls", "", "", &raw)
			t.Logf("the ERP's calls: %s", raw)
		}
	}()
	waitFor(t, 2*time.Minute, "answers while offline", func() bool {
		var calls struct {
			Calls []struct{ Method, State, Code, Message, Answer string }
		}
		api(t, "GET", "http://"+erpAddr+"/admin/calls", "", "", &calls)
		for _, c := range calls.Calls {
			if c.State != "answered" {
				continue
			}
			switch c.Method {
			case "order.cancel":
				cancelAnswer = c.Code + " " + c.Message
			case "inventory.query":
				inventoryAnswer = c.Message + " " + c.Answer
			}
		}
		return cancelAnswer != "" && inventoryAnswer != ""
	})
	if !strings.Contains(cancelAnswer, "warehouse-offline") {
		t.Errorf("a cancellation while offline: %q", cancelAnswer)
	}
	// the snapshot's lines for the item asked about, and only those
	if !strings.Contains(inventoryAnswer, "<flag>success</flag>") || !strings.Contains(inventoryAnswer, "offline") ||
		!strings.Contains(inventoryAnswer, "<itemCode>SKU03010</itemCode>") || strings.Count(inventoryAnswer, "<itemCode>") != strings.Count(inventoryAnswer, "<itemCode>SKU03010<") {
		t.Errorf("an inventory query while offline: %.2000s", inventoryAnswer)
	}
	all := erpOrders(t, erpAddr, 5)
	if haveOrders(l, all) {
		t.Fatal("orders reached an offline warehouse")
	}

	// back online: the waiting orders arrive, once each
	leaf = startLeaf()
	defer leaf.Close()
	waitFor(t, 2*time.Minute, "the waiting orders at the warehouse", func() bool { return haveOrders(l, all) })
	if n := confirmed(t, erpAddr, "deliveryorder.confirm"); n != 3 {
		t.Errorf("%d delivery confirmations, want 3", n)
	}
}

// lateLink is the syncer's hub link before and after the leaf restarts.
type lateLink struct{ leaf atomic.Pointer[Leaf] }

func (k *lateLink) Publish(ctx context.Context, c qimen.Call) error {
	return k.leaf.Load().Publish(ctx, c)
}

func api(t *testing.T, method, url, token, body string, out any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %s", method, url, resp.StatusCode, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, url, err, raw)
		}
	}
}

// erpOrders waits for the ERP to have made n orders and returns their codes.
func erpOrders(t *testing.T, erpAddr string, n int) []string {
	t.Helper()
	var codes []string
	waitFor(t, 2*time.Minute, fmt.Sprintf("%d orders made at the ERP", n), func() bool {
		var got struct{ Orders []struct{ Code string } }
		api(t, "GET", "http://"+erpAddr+"/admin/orders", "", "", &got)
		codes = codes[:0]
		for _, o := range got.Orders {
			codes = append(codes, o.Code)
		}
		return len(codes) >= n
	})
	return codes
}

func haveOrders(l *wms.Ledger, codes []string) bool {
	for _, no := range codes {
		if _, err := l.Books(wms.DefaultOwner).Order(no); err != nil {
			return false
		}
	}
	return true
}

// confirmed counts the ERP's kept confirmations of a method (repeats once).
func confirmed(t *testing.T, erpAddr, method string) int {
	t.Helper()
	var got struct {
		Confirms map[string]json.RawMessage `json:"confirms"`
	}
	api(t, "GET", "http://"+erpAddr+"/admin/confirms", "", "", &got)
	var list []json.RawMessage
	_ = json.Unmarshal(got.Confirms[method], &list)
	return len(list)
}
