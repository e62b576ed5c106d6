package fakemarket

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"sort"
	"time"
)

// The control API is how a test or a person plays the platforms' side:
// orders sold, buyers buying while the warehouse is away, faults, and what
// the platforms hold. It is a fake's: no authentication, for loopback.

const maxControlBody = 256 << 10

type apiError struct {
	Error string `json:"error"`
}

func answerJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"fakemarket: encoding the answer"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// readJSON decodes a control body (at most 256 KiB, no unknown fields),
// answering a refusal itself.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxControlBody+1))
	if err != nil || len(body) > maxControlBody {
		answerJSON(w, http.StatusRequestEntityTooLarge, apiError{fmt.Sprintf("the body is unreadable or over %d bytes", maxControlBody)})
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		answerJSON(w, http.StatusBadRequest, apiError{"the body is not what this endpoint takes: " + err.Error()})
		return false
	}
	return true
}

func (m *Market) controlRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /control/state", func(w http.ResponseWriter, r *http.Request) { answerJSON(w, http.StatusOK, m.State()) })
	mux.HandleFunc("POST /control/orders", func(w http.ResponseWriter, r *http.Request) {
		var o Order
		if !readJSON(w, r, &o) {
			return
		}
		if err := m.AddOrder(o); err != nil {
			answerJSON(w, http.StatusBadRequest, apiError{err.Error()})
			return
		}
		answerJSON(w, http.StatusOK, o)
	})
	mux.HandleFunc("POST /control/stock", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			ListingKey
			Qty int64 `json:"qty"`
		}
		if !readJSON(w, r, &in) {
			return
		}
		if Path(in.Platform) == "" || in.Qty < 0 {
			answerJSON(w, http.StatusBadRequest, apiError{"a known platform and a quantity of 0 or more"})
			return
		}
		m.SetStock(in.ListingKey, in.Qty, "control")
		answerJSON(w, http.StatusOK, in)
	})
	mux.HandleFunc("POST /control/sell", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			ListingKey
			SKU string `json:"sku"`
			Qty int64  `json:"qty"`
		}
		if !readJSON(w, r, &in) {
			return
		}
		if Path(in.Platform) == "" || in.Qty <= 0 || in.SKU == "" {
			answerJSON(w, http.StatusBadRequest, apiError{"a known platform, the sku and a quantity over 0"})
			return
		}
		n, o := m.Sell(in.ListingKey, in.SKU, in.Qty)
		answerJSON(w, http.StatusOK, map[string]any{"sold": n, "order": o})
	})
	mux.HandleFunc("POST /control/clock", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			AdvanceS int64 `json:"advance_s"`
		}
		if !readJSON(w, r, &in) {
			return
		}
		if in.AdvanceS <= 0 || in.AdvanceS > 366*24*3600 {
			answerJSON(w, http.StatusBadRequest, apiError{"advance_s is 1 second to a year"})
			return
		}
		m.Advance(time.Duration(in.AdvanceS) * time.Second)
		answerJSON(w, http.StatusOK, map[string]any{"now": m.now()})
	})
	mux.HandleFunc("GET /control/faults", func(w http.ResponseWriter, r *http.Request) { answerJSON(w, http.StatusOK, m.Faults()) })
	mux.HandleFunc("POST /control/faults", func(w http.ResponseWriter, r *http.Request) {
		var f Fault
		if !readJSON(w, r, &f) {
			return
		}
		f, err := m.AddFault(f)
		if err != nil {
			answerJSON(w, http.StatusBadRequest, apiError{err.Error()})
			return
		}
		answerJSON(w, http.StatusOK, f)
	})
	mux.HandleFunc("DELETE /control/faults", func(w http.ResponseWriter, r *http.Request) {
		m.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	})
}

// State is everything the platforms hold.
type State struct {
	Orders    []Order                 `json:"orders"`
	Shipments []Shipment              `json:"shipments"`
	Stock     []ListingStock          `json:"stock"`
	Requests  map[string]RequestCount `json:"requests"`
	Faults    []Fault                 `json:"faults"`
}

// ListingStock is a listing's quantity and what buyers bought of it.
type ListingStock struct {
	ListingKey
	Qty  int64 `json:"qty"`
	Sold int64 `json:"sold"`
}

// RequestCount is a platform's traffic: requests in the last hour and the
// most in any minute.
type RequestCount struct {
	LastHour     int `json:"last_hour"`
	MaxPerMinute int `json:"max_per_minute"`
	Limit        int `json:"limit,omitempty"`
	OverLimit    int `json:"over_limit"` // requests refused for being over the limit
}

// State is a copy of the platforms' state.
func (m *Market) State() State {
	st := State{Requests: map[string]RequestCount{}, Faults: m.Faults(), Shipments: m.Shipments(), Orders: []Order{}, Stock: []ListingStock{}}
	if st.Shipments == nil {
		st.Shipments = []Shipment{}
	}
	for _, p := range Platforms() {
		m.mu.Lock()
		lim, over := m.limits[p], m.limited[p]
		m.mu.Unlock()
		st.Requests[p] = RequestCount{LastHour: m.Requests(p), MaxPerMinute: m.PerMinute(p), Limit: lim, OverLimit: over}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, o := range m.orders {
		st.Orders = append(st.Orders, *o)
	}
	sort.Slice(st.Orders, func(i, j int) bool {
		a, b := st.Orders[i], st.Orders[j]
		return a.Platform < b.Platform || a.Platform == b.Platform && a.ID < b.ID
	})
	for k, q := range m.stock {
		st.Stock = append(st.Stock, ListingStock{ListingKey: k, Qty: q, Sold: m.sold[k]})
	}
	sort.Slice(st.Stock, func(i, j int) bool {
		a, b := st.Stock[i], st.Stock[j]
		return a.Platform+"/"+a.ItemID+"/"+a.SkuID < b.Platform+"/"+b.ItemID+"/"+b.SkuID
	})
	return st
}

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5"><title>Fake marketplaces</title>
<style>body{font:14px system-ui,sans-serif;margin:1.5em}table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}</style></head>
<body><h1>Fake marketplaces · 模拟电商平台</h1>
<h2>Requests · 请求</h2><table><tr><th>platform</th><th>last hour</th><th>most in a minute</th><th>limit / min</th></tr>
{{range $p, $r := .Requests}}<tr><td>{{$p}}</td><td>{{$r.LastHour}}</td><td>{{$r.MaxPerMinute}}</td><td>{{if $r.Limit}}{{$r.Limit}}{{else}}—{{end}}</td></tr>{{end}}</table>
<h2>Shipments · 发货回传 ({{len .Shipments}})</h2><table><tr><th>platform</th><th>order</th><th>sub-orders</th><th>carrier</th><th>waybill</th><th>method</th><th>at</th></tr>
{{range .Shipments}}<tr><td>{{.Platform}}</td><td>{{.Order}}</td><td>{{range .SubOrders}}{{.}} {{end}}</td><td>{{.Carrier}}</td><td>{{.Waybill}}</td><td>{{.Method}}</td><td>{{.At.Format "2006-01-02 15:04:05"}}</td></tr>{{end}}</table>
<h2>Stock · 库存</h2><table><tr><th>platform</th><th>item</th><th>sku</th><th>may sell</th><th>sold here</th></tr>
{{range .Stock}}<tr><td>{{.Platform}}</td><td>{{.ItemID}}</td><td>{{.SkuID}}</td><td>{{.Qty}}</td><td>{{.Sold}}</td></tr>{{end}}</table>
<h2>Orders · 订单 ({{len .Orders}})</h2><table><tr><th>platform</th><th>order</th><th>lines</th></tr>
{{range .Orders}}<tr><td>{{.Platform}}</td><td>{{.ID}}</td><td>{{range .Lines}}{{.ID}} {{.SKU}}×{{.Qty}}{{if .Shipped}} ✓{{end}}; {{end}}</td></tr>{{end}}</table>
<h2>Faults · 故障</h2><table><tr><th>id</th><th>kind</th><th>platform</th><th>left</th></tr>
{{range .Faults}}<tr><td>{{.ID}}</td><td>{{.Kind}}</td><td>{{.Platform}}</td><td>{{.Left}}</td></tr>{{end}}</table>
</body></html>`))

func (m *Market) page(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = pageTmpl.Execute(w, m.State())
}
