package fakeerp

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// maxAdminBody is the largest admin request body read.
const maxAdminBody = 64 << 10

// apiError is the body of every admin error answer.
type apiError struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

func answerJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"fakeerp: encoding the answer","code":"internal"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func (e *ERP) adminRoutes(mux *http.ServeMux) {
	h := func(pattern string, f http.HandlerFunc) { mux.Handle(pattern, e.admin(f)) }
	h("GET /admin/confirms", e.listConfirms)
	h("GET /admin/orders", e.listOrders)
	h("POST /admin/orders", e.sendOrders)
	h("POST /admin/cancel", e.sendCancel)
	h("POST /admin/entries", e.sendEntry)
	h("POST /admin/returns", e.sendReturn)
	h("POST /admin/items", e.sendItems)
	h("POST /admin/inventory", e.sendInventory)
	h("GET /admin/calls", e.listCalls)
	h("GET /admin/requests", e.listRequests)
	h("GET /admin/faults", e.listFaults)
	h("POST /admin/faults", e.addFaults)
	h("DELETE /admin/faults", e.clearFaults)
	h("GET /admin/stats", e.showStats)
}

// admin checks the bearer token when the ERP has one.
func (e *ERP) admin(f http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e.o.Token != "" {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(e.o.Token)) != 1 {
				answerJSON(w, http.StatusUnauthorized, apiError{"the admin API wants Authorization: Bearer <the --token>", "auth.token"})
				return
			}
		}
		f(w, r)
	})
}

// readJSON decodes an admin body (at most 64 KiB, no unknown fields) into v; an empty body
// leaves v as it is. It answers a refusal itself and then returns false.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxAdminBody+1))
	if err != nil {
		answerJSON(w, http.StatusBadRequest, apiError{"reading the body: " + clip(err.Error()), "body.unreadable"})
		return false
	}
	if len(body) > maxAdminBody {
		answerJSON(w, http.StatusRequestEntityTooLarge, apiError{fmt.Sprintf("the body is over %d bytes", maxAdminBody), "body.too_large"})
		return false
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return true
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		answerJSON(w, http.StatusBadRequest, apiError{"the body is not the expected JSON object: " + clip(err.Error()), "body.invalid"})
		return false
	}
	return true
}

func (e *ERP) listConfirms(w http.ResponseWriter, r *http.Request) {
	byMethod := map[string][]Confirmation{}
	all := e.Confirms(r.URL.Query().Get("method"))
	for _, c := range all {
		byMethod[c.Method] = append(byMethod[c.Method], c)
	}
	answerJSON(w, http.StatusOK, struct {
		Total    int                       `json:"total"`
		Confirms map[string][]Confirmation `json:"confirms"`
	}{len(all), byMethod})
}

func (e *ERP) listOrders(w http.ResponseWriter, _ *http.Request) {
	answerJSON(w, http.StatusOK, struct {
		Orders []Order `json:"orders"`
	}{nonNil(e.Orders())})
}

func (e *ERP) sendOrders(w http.ResponseWriter, r *http.Request) {
	in := struct {
		N         int    `json:"n"`
		Warehouse string `json:"warehouse"`
	}{N: 1}
	if !readJSON(w, r, &in) {
		return
	}
	got, err := e.SendOrders(in.N, in.Warehouse)
	if err != nil && len(got) == 0 {
		answerJSON(w, http.StatusBadRequest, apiError{err.Error(), "orders.invalid"})
		return
	}
	answerJSON(w, http.StatusAccepted, struct {
		Orders []Order `json:"orders"`
	}{got})
}

func (e *ERP) sendCancel(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Order  string `json:"order"`
		Reason string `json:"reason"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	c, err := e.Cancel(in.Order, in.Reason)
	if err != nil {
		answerJSON(w, http.StatusBadRequest, apiError{err.Error(), "cancel.invalid"})
		return
	}
	answerJSON(w, http.StatusAccepted, c)
}

func (e *ERP) sendEntry(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Warehouse string           `json:"warehouse"`
		Lines     map[string]int64 `json:"lines"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	o, err := e.SendEntry(in.Warehouse, in.Lines)
	if err != nil {
		answerJSON(w, http.StatusBadRequest, apiError{err.Error(), "entry.invalid"})
		return
	}
	answerJSON(w, http.StatusAccepted, o)
}

func (e *ERP) sendReturn(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Order  string `json:"order"`
		Reason string `json:"reason"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	o, err := e.SendReturn(in.Order, in.Reason)
	if err != nil {
		answerJSON(w, http.StatusBadRequest, apiError{err.Error(), "return.invalid"})
		return
	}
	answerJSON(w, http.StatusAccepted, o)
}

func (e *ERP) sendItems(w http.ResponseWriter, _ *http.Request) {
	calls, err := e.SendItems()
	if err != nil {
		answerJSON(w, http.StatusConflict, apiError{err.Error(), "queue.full"})
		return
	}
	answerJSON(w, http.StatusAccepted, struct {
		Calls []Call `json:"calls"`
	}{calls})
}

func (e *ERP) sendInventory(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Warehouse string   `json:"warehouse"`
		Items     []string `json:"items"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	c, err := e.QueryInventory(in.Warehouse, in.Items)
	if err != nil {
		answerJSON(w, http.StatusBadRequest, apiError{err.Error(), "inventory.invalid"})
		return
	}
	answerJSON(w, http.StatusAccepted, c)
}

func (e *ERP) listCalls(w http.ResponseWriter, _ *http.Request) {
	answerJSON(w, http.StatusOK, struct {
		Calls []Call `json:"calls"`
	}{nonNil(e.Calls())})
}

func (e *ERP) listRequests(w http.ResponseWriter, _ *http.Request) {
	answerJSON(w, http.StatusOK, struct {
		Requests []Request `json:"requests"`
	}{nonNil(e.Requests())})
}

type faultList struct {
	Faults []Fault `json:"faults"`
}

func (e *ERP) listFaults(w http.ResponseWriter, _ *http.Request) {
	answerJSON(w, http.StatusOK, faultList{nonNil(e.faults.list())})
}

func (e *ERP) addFaults(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxFaultBody+1))
	if err != nil {
		answerJSON(w, http.StatusBadRequest, apiError{"reading the body: " + clip(err.Error()), "body.unreadable"})
		return
	}
	fs, err := DecodeFaults(body)
	if err != nil {
		answerJSON(w, http.StatusBadRequest, apiError{err.Error(), "fault.invalid"})
		return
	}
	all, err := e.faults.add(fs)
	if err != nil {
		answerJSON(w, http.StatusConflict, apiError{err.Error(), "fault.too_many"})
		return
	}
	answerJSON(w, http.StatusCreated, faultList{all})
}

func (e *ERP) clearFaults(w http.ResponseWriter, _ *http.Request) {
	e.faults.clear()
	answerJSON(w, http.StatusOK, faultList{[]Fault{}})
}

// Stats is GET /admin/stats: the calls received per method, the calls sent per method and
// the orders per kind and state.
type Stats struct {
	Received map[string]RecvStats      `json:"received"`
	Sent     map[string]SentStats      `json:"sent"`
	Orders   map[string]map[string]int `json:"orders"`
	Queued   int                       `json:"queued"`
	Faults   int                       `json:"faults"`
}

// SentStats counts the calls of one method the ERP made.
type SentStats struct {
	Calls      int `json:"calls"`
	Attempts   int `json:"attempts"`
	Success    int `json:"success"`
	Failure    int `json:"failure"`
	Unanswered int `json:"unanswered"`
}

// Stats counts what the ERP received and sent.
func (e *ERP) Stats() Stats {
	s := Stats{Received: e.Received(), Sent: map[string]SentStats{}, Orders: map[string]map[string]int{}, Faults: len(e.faults.list())}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, c := range e.calls {
		st := s.Sent[c.Method]
		st.Calls++
		st.Attempts += c.Attempts
		switch {
		case c.State == CallQueued:
			s.Queued++
		case c.State == CallUnanswered:
			st.Unanswered++
		case c.Flag == "success":
			st.Success++
		default:
			st.Failure++
		}
		s.Sent[c.Method] = st
	}
	for _, o := range e.orders {
		m := s.Orders[o.Kind]
		if m == nil {
			m = map[string]int{}
			s.Orders[o.Kind] = m
		}
		m[o.State]++
	}
	return s
}

func (e *ERP) showStats(w http.ResponseWriter, _ *http.Request) {
	answerJSON(w, http.StatusOK, e.Stats())
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
