package syncer

import (
	"context"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"tally/syncer/fakeerp"
	"tally/syncer/qimen"
	"tally/wms"
	"tally/wms/wmstest"
)

// TestQimenBothWaysWithTheFakeERP: the fake ERP (an ERP built from the
// standard alone) drives the warehouse over Qimen — items, delivery
// orders, an entry order, a cancellation, an inventory query — while the
// first answer to every call is lost, so every call arrives twice: each
// has one effect. The warehouse's confirmations reach the ERP once each,
// though the ERP's first answer to the delivery confirmation is lost too.
func TestQimenBothWaysWithTheFakeERP(t *testing.T) {
	r := newRig(t, Options{PollEvery: 100 * time.Millisecond, BackoffBase: 50 * time.Millisecond, BackoffMax: 200 * time.Millisecond,
		Gather: 10 * time.Millisecond, Warehouse: "WH1"})
	// the warehouse's POST /qimen, losing its first answer to each call
	var mu sync.Mutex
	seen := map[[32]byte]bool{}
	wmsSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := qimen.ReadRequest(req.Body)
		if err != nil {
			t.Errorf("reading a call: %v", err)
			return
		}
		params, _ := url.ParseQuery(req.URL.RawQuery)
		answer := r.s.ServeQimen(req.Context(), params, body)
		key := sha256.Sum256(append([]byte(params.Get("method")), body...))
		mu.Lock()
		first := !seen[key]
		seen[key] = true
		mu.Unlock()
		if first {
			panic(http.ErrAbortHandler) // done, but the answer never arrives
		}
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		_, _ = w.Write(answer)
	}))
	defer wmsSrv.Close()
	erp, err := fakeerp.New(fakeerp.Options{WMS: wmsSrv.URL + "/qimen", AppKey: erpAppKey, CustomerID: erpCustomer, Secret: erpSecret,
		Warehouses: []string{"WH1"}, RetryWait: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	erpSrv := httptest.NewServer(erp.Handler())
	defer erpSrv.Close()
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	go erp.Run(ctx)
	r.qimenUpstream("erp", erpSrv.URL+"/qimen", "")
	go func() { _ = r.s.Run(ctx) }()

	before := typeCounts(t, r.l)
	if _, err := erp.SendItems(); err != nil {
		t.Fatal(err)
	}
	orders, err := erp.SendOrders(3, "")
	if err != nil {
		t.Fatal(err)
	}
	entry, err := erp.SendEntry("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := erp.Cancel(orders[2].Code, "buyer changed their mind"); err != nil {
		t.Fatal(err)
	}
	if _, err := erp.QueryInventory("WH1", []string{"SKU03010"}); err != nil {
		t.Fatal(err)
	}
	answered := func() bool {
		for _, c := range erp.Calls() {
			if c.State != fakeerp.CallAnswered {
				return false
			}
		}
		return true
	}
	waitUntil(t, 20*time.Second, "every call answered", answered)
	for _, c := range erp.Calls() {
		if c.Flag != "success" || c.Attempts < 2 {
			t.Errorf("%s %s: %s %s %s after %d attempts", c.Method, c.Doc, c.Flag, c.Code, c.Message, c.Attempts)
		}
		if c.Method == qimen.InventoryQuery && !strings.Contains(c.Answer, "<itemCode>SKU03010</itemCode>") {
			t.Errorf("inventory.query: %s", c.Answer)
		}
	}
	after := typeCounts(t, r.l)
	for typ, want := range map[string]int{wms.EvOrderReceived: 3, wms.EvReceiptExpected: 1, wms.EvOrderCancelled: 1} {
		if got := after[typ] - before[typ]; got != want {
			t.Errorf("%s: %d events, want %d (each call arrived twice)", typ, got, want)
		}
	}
	if _, err := r.l.Books(wms.DefaultOwner).Receipt(entry.Code); err != nil {
		t.Errorf("the entry order: %v", err)
	}

	// the warehouse ships the first order; the ERP's first answer is lost
	addFault(t, erpSrv.URL, `{"kind":"lost","count":1,"method":"deliveryorder.confirm"}`)
	if _, err := r.l.ReleaseWave(bg, wms.WaveFilter{Mode: wms.WaveSingle, MaxOrders: 500}, "erp-wave", "B4001", "test"); err != nil {
		t.Fatal(err)
	}
	wmstest.PickAll(t, r.l)
	wmstest.PackAndShip(t, r.l, orders[0].Code)
	waitUntil(t, 20*time.Second, "the delivery confirmation at the ERP, sent again after the lost answer", func() bool {
		return erp.Received()[qimen.DeliveryConfirm].Repeated == 1
	})
	d := erp.Confirms(qimen.DeliveryConfirm)[0]
	if d.OrderCode != orders[0].Code || len(d.Packages) != 1 || d.Packages[0].Waybill == "" || d.Received != 2 {
		t.Errorf("delivery confirmation: %+v", d)
	}
	waitUntil(t, 20*time.Second, "ACCEPT and CANCELED reported", func() bool {
		byStatus := map[string]int{}
		for _, c := range erp.Confirms(qimen.OrderProcessReport) {
			byStatus[c.Status]++
		}
		return byStatus["ACCEPT"] == 3 && byStatus["CANCELED"] == 1
	})
	if st := erp.Received()[qimen.DeliveryConfirm]; st.Accepted != 1 || st.Repeated != 1 || st.Conflict != 0 {
		t.Errorf("the ERP received the delivery confirmation: %+v", st)
	}
}

func typeCounts(t *testing.T, l *wms.Ledger) map[string]int {
	t.Helper()
	out := map[string]int{}
	for after := uint64(0); ; {
		page, err := l.Feed(wms.FeedQuery{After: after, Limit: wms.FeedMaxLimit})
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range page.Events {
			out[ev.Type]++
		}
		if len(page.Events) == 0 || page.Next == after {
			return out
		}
		after = page.Next
	}
}

func addFault(t *testing.T, base, body string) {
	t.Helper()
	resp, err := http.Post(base+"/admin/faults", "application/json", strings.NewReader(body))
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("fault: %v %v", err, resp)
	}
	resp.Body.Close()
}

func waitUntil(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	end := time.Now().Add(d)
	for !ok() {
		if time.Now().After(end) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
