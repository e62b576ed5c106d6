package syncer

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"tally/syncer/qimen"
	"tally/wms"
)

// TestQimenSender: the hub's sender signs each call so the ERP's check
// passes, and tells a refusal for good from one worth trying again.
func TestQimenSender(t *testing.T) {
	answer := "success"
	status := http.StatusOK
	var calls int
	erp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		body, _ := io.ReadAll(r.Body)
		if err := qimen.Verify(r.URL.Query(), body, []string{"erp-secret-0123456789"}, time.Now()); err != nil {
			t.Errorf("signature: %v", err)
		}
		if r.URL.Query().Get("method") != "taobao.qimen.deliveryorder.confirm" {
			t.Errorf("method %q", r.URL.Query().Get("method"))
		}
		w.WriteHeader(status)
		resp := qimen.Success()
		if answer != "success" {
			resp = qimen.Failure(answer, "no such order")
		}
		out, _ := qimen.Marshal(resp)
		_, _ = w.Write(out)
	}))
	defer erp.Close()
	up := wms.Upstream{Name: "erp", Dialect: wms.DialectQimen, URL: erp.URL + "/qimen", Secret: "erp-secret-0123456789", AppKey: "k", CustomerID: "c"}
	send := QimenSender{Upstream: func(name string) (wms.Upstream, error) {
		if name != "erp" {
			return wms.Upstream{}, errors.New("unknown")
		}
		return up, nil
	}}
	c := qimen.Call{ID: "erp:ev1", Upstream: "erp", Method: qimen.DeliveryConfirm, Body: []byte(`<request><deliveryOrder><deliveryOrderCode>T1</deliveryOrderCode></deliveryOrder></request>`)}
	if err := send.Send(bg, c); err != nil {
		t.Fatalf("taken: %v", err)
	}
	answer = "invalid-content"
	if err := send.Send(bg, c); !errors.Is(err, ErrQimenRefused) {
		t.Errorf("refused for good: %v", err)
	}
	answer, status = "success", http.StatusServiceUnavailable
	if err := send.Send(bg, c); err == nil || errors.Is(err, ErrQimenRefused) {
		t.Errorf("a 503: %v", err)
	}
	status, answer = http.StatusOK, "sign-check-failure"
	if err := send.Send(bg, c); err == nil || errors.Is(err, ErrQimenRefused) {
		t.Errorf("a signature failure is worth another try after a fix: %v", err)
	}
	if err := send.Send(bg, qimen.Call{Upstream: "other", Method: qimen.DeliveryConfirm}); err == nil || calls != 4 {
		t.Errorf("an unknown ERP: %v after %d calls", err, calls)
	}
}
