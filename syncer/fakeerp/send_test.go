package fakeerp

import (
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"tally/syncer/qimen"
	"tally/wms"
)

// wmsStub is a WMS that verifies every call with qimen.Verify and keeps what it got.
type wmsStub struct {
	mu     sync.Mutex
	got    []stubCall
	before func(n int, w http.ResponseWriter) bool // true: it answered (a fault) instead
	now    func() time.Time
}

type stubCall struct {
	params url.Values
	body   []byte
	err    error
}

func (s *wmsStub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	p := r.URL.Query()
	now := time.Now()
	if s.now != nil {
		now = s.now()
	}
	err := qimen.Verify(p, body, []string{testSecret}, now)
	s.mu.Lock()
	s.got = append(s.got, stubCall{p, body, err})
	n := len(s.got)
	s.mu.Unlock()
	if s.before != nil && s.before(n, w) {
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	if err != nil {
		_ = qimen.Encode(w, qimen.Failure("sign-check-failure", err.Error()))
		return
	}
	_ = qimen.Encode(w, struct {
		qimen.Response
		DeliveryOrderID string `xml:"deliveryOrderId,omitempty"`
	}{qimen.Success(), "T-" + strings.TrimPrefix(p.Get("method"), "taobao.qimen.")})
}

func (s *wmsStub) calls() []stubCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.got)
}

// runUntil runs the ERP's sender until every call is done (or 10 s pass).
func runUntil(t *testing.T, e *ERP) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for e.Stats().Queued > 0 {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("calls still queued: %+v", e.Calls())
		}
		time.Sleep(2 * time.Millisecond)
	}
	cancel()
	<-done
}

func TestSenderSignsWhatVerifyAccepts(t *testing.T) {
	stub := &wmsStub{}
	srv := httptest.NewServer(stub)
	defer srv.Close()
	e := newTestERP(t, func(o *Options) { o.WMS = srv.URL + "/qimen"; o.Now = time.Now })
	orders, err := e.SendOrders(4, "")
	if err != nil {
		t.Fatal(err)
	}
	runUntil(t, e)
	got := stub.calls()
	if len(got) != 4 {
		t.Fatalf("the WMS got %d calls, want 4", len(got))
	}
	for i, c := range got {
		if c.err != nil {
			t.Fatalf("call %d does not verify: %v", i, c.err)
		}
		for k, want := range map[string]string{"method": "taobao.qimen.deliveryorder.create", "format": "xml", "v": "2.0",
			"sign_method": "md5", "app_key": testAppKey, "customerId": testCustomer} {
			if c.params.Get(k) != want {
				t.Fatalf("call %d: %s=%q, want %q", i, k, c.params.Get(k), want)
			}
		}
		var req deliveryCreate
		if err := xml.Unmarshal(c.body, &req); err != nil {
			t.Fatal(err)
		}
		d := req.DeliveryOrder
		if d.DeliveryOrderCode != orders[i].Code || d.WarehouseCode != []string{"WH1", "WH2"}[i%2] || d.OrderType != "JYCK" {
			t.Fatalf("call %d header: %+v", i, d)
		}
		codes, err := qimen.WarehouseCodes(c.body)
		if err != nil || len(codes) != 1 || codes[0] != d.WarehouseCode {
			t.Fatalf("the hub would route call %d to %v (%v)", i, codes, err)
		}
	}
	for _, o := range e.Orders() {
		if o.State != StateAccepted || o.WMSID != "T-deliveryorder.create" {
			t.Fatalf("order after a success answer: %+v", o)
		}
	}
	// the stub's clock runs 11 minutes ahead: the ERP's timestamps are stale and refused
	stub.now = func() time.Time { return time.Now().Add(11 * time.Minute) }
	if _, err := e.SendOrders(1, "WH2"); err != nil {
		t.Fatal(err)
	}
	runUntil(t, e)
	last := e.Orders()[4]
	if last.State != StateRefused || last.Code2 != "sign-check-failure" || !strings.Contains(last.Message, "10 minutes") {
		t.Fatalf("order with a stale timestamp: %+v", last)
	}
}

func TestGeneratedOrdersLookReal(t *testing.T) {
	e := newTestERP(t, func(o *Options) { o.Warehouses = []string{"HZ1", "SH2", "GZ3"} })
	orders, err := e.SendOrders(60, "")
	if err != nil {
		t.Fatal(err)
	}
	items := map[string]bool{}
	for _, it := range Catalogue() {
		items[it.Code] = true
	}
	perWH, perPlatform := map[string]int{}, map[string]int{}
	for i, o := range orders {
		perWH[o.Warehouse]++
		perPlatform[o.Platform]++
		if o.Warehouse != []string{"HZ1", "SH2", "GZ3"}[i%3] {
			t.Fatalf("order %d at %s", i, o.Warehouse)
		}
		if len(o.Lines) < 1 || len(o.Lines) > 3 {
			t.Fatalf("order %s has %d lines", o.Code, len(o.Lines))
		}
		r, _ := utf8.DecodeRuneInString(o.Recipient)
		if r < 0x4e00 || r > 0x9fff {
			t.Fatalf("recipient %q is not a Chinese name", o.Recipient)
		}
		for _, l := range o.Lines {
			if !items[l.ItemCode] || l.Qty < 1 || l.Qty > 2 || l.SourceOrder == "" || !strings.HasPrefix(l.SubSourceOrder, l.SourceOrder+"-") {
				t.Fatalf("order %s line %+v", o.Code, l)
			}
		}
	}
	if len(perWH) != 3 || perWH["HZ1"] != 20 {
		t.Fatalf("spread %v", perWH)
	}
	for p := range perPlatform {
		if !slices.Contains([]string{"TB", "TM", "JD", "PDD", "DY"}, p) {
			t.Fatalf("platform %q", p)
		}
	}
	if len(perPlatform) < 4 {
		t.Fatalf("only platforms %v in 60 orders", perPlatform)
	}
	if _, err := e.SendOrders(1, "NOPE"); err == nil {
		t.Fatal("an order for a warehouse the ERP does not have")
	}
}

// TestCatalogueIsTheDemoWarehouses: the ERP's items are the demo warehouse's, under the same
// codes, names and barcodes (stored as GTIN-14), none lot-tracked, so its orders can be picked in `tally --demo`.
func TestCatalogueIsTheDemoWarehouses(t *testing.T) {
	skus, _, _ := wms.DemoData(testNow)
	demo := map[string]wms.SKU{}
	for _, s := range skus {
		demo[s.Code] = s
	}
	cat := Catalogue()
	if len(cat) < 50 {
		t.Fatalf("%d items", len(cat))
	}
	for _, it := range cat {
		s, ok := demo[it.Code]
		if !ok || s.Name != it.Name || !slices.Contains(s.GTINs, "0"+it.Barcode) || s.LotTracked || s.SerialTracked {
			t.Fatalf("item %+v, demo SKU %+v", it, s)
		}
	}
}

func TestRetriesCarryTheSameBody(t *testing.T) {
	stub := &wmsStub{before: func(n int, w http.ResponseWriter) bool {
		switch n {
		case 1: // the connection drops
			hangUp(w)
			return true
		case 2:
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return true
		case 3:
			w.Header().Set("Retry-After", "0")
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return true
		case 4: // a proxy's page, not a Qimen answer
			_, _ = io.WriteString(w, "<html>gateway</html>")
			return true
		}
		return false
	}}
	srv := httptest.NewServer(stub)
	defer srv.Close()
	e := newTestERP(t, func(o *Options) { o.WMS = srv.URL + "/qimen"; o.Now = time.Now; o.Attempts = 10 })
	if _, err := e.SendOrders(1, ""); err != nil {
		t.Fatal(err)
	}
	c, err := e.Cancel(e.Orders()[0].Code, "")
	if err != nil {
		t.Fatal(err)
	}
	runUntil(t, e)
	got := stub.calls()
	if len(got) != 6 {
		t.Fatalf("%d sends, want 5 of the create and 1 of the cancel", len(got))
	}
	for i := 1; i < 5; i++ {
		if string(got[i].body) != string(got[0].body) || got[i].err != nil {
			t.Fatalf("send %d differs from the first or does not verify: %v", i+1, got[i].err)
		}
	}
	calls := e.Calls()
	if calls[0].Attempts != 5 || calls[0].State != CallAnswered || calls[0].Flag != "success" {
		t.Fatalf("create call %+v", calls[0])
	}
	if calls[1].ID != c.ID || calls[1].Method != qimen.OrderCancel || calls[1].Flag != "success" {
		t.Fatalf("cancel call %+v", calls[1])
	}
	if o := e.Orders()[0]; o.State != StateCancelled {
		t.Fatalf("order after its cancel succeeded: %+v", o)
	}
	var cancel orderCancel
	if err := xml.Unmarshal(got[5].body, &cancel); err != nil || cancel.OrderCode != c.Doc || cancel.WarehouseCode != "WH1" || cancel.OrderType != "JYCK" {
		t.Fatalf("cancel body %s (%v)", got[5].body, err)
	}
}

func TestUnansweredAfterAttempts(t *testing.T) {
	stub := &wmsStub{before: func(int, http.ResponseWriter) bool { panic(http.ErrAbortHandler) }}
	srv := httptest.NewServer(stub)
	defer srv.Close()
	e := newTestERP(t, func(o *Options) { o.WMS = srv.URL; o.Now = time.Now; o.Attempts = 3 })
	if _, err := e.SendOrders(1, ""); err != nil {
		t.Fatal(err)
	}
	runUntil(t, e)
	if n := len(stub.calls()); n != 3 {
		t.Fatalf("%d sends, want 3", n)
	}
	c := e.Calls()[0]
	if c.State != CallUnanswered || c.Attempts != 3 || c.LastError == "" {
		t.Fatalf("call %+v", c)
	}
	if o := e.Orders()[0]; o.State != StateUnanswered {
		t.Fatalf("order %+v", o)
	}
}

// TestConfirmationsUpdateOrders: the WMS accepts an order, ships it and confirms; the ERP's
// order is shipped with its waybills, a short report is listed.
func TestConfirmationsUpdateOrders(t *testing.T) {
	stub := &wmsStub{}
	srv := httptest.NewServer(stub)
	defer srv.Close()
	e := newTestERP(t, func(o *Options) { o.WMS = srv.URL; o.Now = time.Now })
	orders, err := e.SendOrders(1, "WH1")
	if err != nil {
		t.Fatal(err)
	}
	runUntil(t, e)
	now := time.Now()
	code := orders[0].Code
	body := strings.ReplaceAll(deliveryConfirmBody, ">D1<", ">"+code+"<")
	if resp := call(t, e.Handler(), signedParams(qimen.DeliveryConfirm, []byte(body), testSecret, now), []byte(body)); resp.Flag != qimen.FlagSuccess {
		t.Fatal(resp)
	}
	lack := `<request><warehouseCode>WH1</warehouseCode><deliveryOrderCode>` + code + `</deliveryOrderCode><outBizCode>L1</outBizCode>` +
		`<items><item><itemCode>SKU03000</itemCode><lackQty>1</lackQty></item></items></request>`
	if resp := call(t, e.Handler(), signedParams(qimen.ItemLackReport, []byte(lack), testSecret, now), []byte(lack)); resp.Flag != qimen.FlagSuccess {
		t.Fatal(resp)
	}
	o := e.Orders()[0]
	if o.State != StateDone || len(o.Shipped) != 2 || o.Shipped[0].Waybill != "SF1000001" || len(o.Lacking) != 1 {
		t.Fatalf("order %+v", o)
	}
	// a return of it names the waybill it came back under
	r, err := e.SendReturn(code, "")
	if err != nil {
		t.Fatal(err)
	}
	runUntil(t, e)
	got := stub.calls()
	var ret returnCreate
	if err := xml.Unmarshal(got[len(got)-1].body, &ret); err != nil || ret.ReturnOrder.PreDeliveryOrderCode != code ||
		ret.ReturnOrder.ExpressCode != "SF1000001" || ret.ReturnOrder.ReturnOrderCode != r.Code || len(ret.OrderLines) != len(o.Lines) {
		t.Fatalf("return body %s (%v)", got[len(got)-1].body, err)
	}
}

func TestOtherCallsBodies(t *testing.T) {
	stub := &wmsStub{}
	srv := httptest.NewServer(stub)
	defer srv.Close()
	e := newTestERP(t, func(o *Options) { o.WMS = srv.URL; o.Now = time.Now; o.OwnerCode = "BEIBEI" })
	if _, err := e.SendItems(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.SendEntry("WH2", map[string]int64{"SKU03001": 30, "SKU04002": 12}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.SendEntry("WH2", map[string]int64{"NOPE": 1}); err == nil {
		t.Fatal("an entry of an item not in the catalogue")
	}
	if _, err := e.QueryInventory("WH1", []string{"SKU03001"}); err != nil {
		t.Fatal(err)
	}
	runUntil(t, e)
	got := stub.calls()
	if len(got) != 4 {
		t.Fatalf("%d calls", len(got))
	}
	methods := []string{}
	for _, c := range got {
		if c.err != nil {
			t.Fatal(c.err)
		}
		if !strings.Contains(string(c.body), "<ownerCode>BEIBEI</ownerCode>") {
			t.Fatalf("%s has no ownerCode: %s", c.params.Get("method"), c.body)
		}
		methods = append(methods, strings.TrimPrefix(c.params.Get("method"), "taobao.qimen."))
	}
	want := []string{qimen.ItemsSync, qimen.ItemsSync, qimen.EntryOrderCreate, qimen.InventoryQuery}
	if !slices.Equal(methods, want) {
		t.Fatalf("methods %v, want %v", methods, want)
	}
	var entry entryCreate
	if err := xml.Unmarshal(got[2].body, &entry); err != nil || entry.EntryOrder.WarehouseCode != "WH2" || entry.EntryOrder.OrderType != "CGRK" ||
		len(entry.OrderLines) != 2 || entry.OrderLines[0].ItemCode != "SKU03001" || entry.OrderLines[0].PlanQty != 30 {
		t.Fatalf("entry body %s (%v)", got[2].body, err)
	}
	if calls := e.Calls(); !strings.Contains(calls[3].Answer, "<flag>success</flag>") {
		t.Fatalf("the query's answer is not kept: %+v", calls[3])
	}
}
