package fakeoms

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"tally/wms"
)

// readAdmin reads an admin body of at most limit bytes, answering a refusal itself.
func readAdmin(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, bool) {
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		answer(w, http.StatusBadRequest, apiError{Error: "reading the body: " + err.Error(), Code: "body.unreadable"})
		return nil, false
	}
	if int64(len(body)) > limit {
		answer(w, http.StatusRequestEntityTooLarge, apiError{Error: fmt.Sprintf("the body is over %d bytes", limit), Code: "body.too_large"})
		return nil, false
	}
	return body, true
}

// appendOne adds a checked change to the log and answers it.
func (o *OMS) appendOne(w http.ResponseWriter, c Change) {
	added, err := o.Append(c)
	if errors.Is(err, errIDTaken) {
		answer(w, http.StatusConflict, apiError{Error: err.Error(), Code: "change.id_taken"})
		return
	}
	if err != nil {
		answer(w, http.StatusInternalServerError, apiError{Error: err.Error(), Code: "store.failed"})
		return
	}
	answer(w, http.StatusCreated, added[0])
}

func (o *OMS) adminChange(w http.ResponseWriter, r *http.Request) {
	body, ok := readAdmin(w, r, maxAdminBody)
	if !ok {
		return
	}
	c, err := DecodeChange(body)
	if err != nil {
		answer(w, http.StatusBadRequest, apiError{Error: err.Error(), Code: "change.invalid"})
		return
	}
	o.appendOne(w, c)
}

// adminOrder takes the body of POST /api/v1/orders plus "owner" and "id" (both optional)
// and appends it as an order change; the order must pass the warehouse's own check of an
// order's fields (wms.OrderIntake.Validate), which sees no catalogue.
func (o *OMS) adminOrder(w http.ResponseWriter, r *http.Request) {
	body, ok := readAdmin(w, r, maxAdminBody)
	if !ok {
		return
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil || raw == nil {
		answer(w, http.StatusBadRequest, apiError{Error: "the body is not an order object", Code: "order.invalid"})
		return
	}
	var owner, id string
	for k, dst := range map[string]*string{"owner": &owner, "id": &id} {
		if v, ok := raw[k]; ok {
			if err := json.Unmarshal(v, dst); err != nil {
				answer(w, http.StatusBadRequest, apiError{Error: k + " must be a string", Code: "order.invalid"})
				return
			}
			delete(raw, k) // the envelope's, not the data's
		}
	}
	data, err := json.Marshal(raw)
	if err != nil {
		answer(w, http.StatusBadRequest, apiError{Error: "the body is not an order", Code: "order.invalid"})
		return
	}
	var in wms.OrderIntake
	if err := json.Unmarshal(data, &in); err != nil {
		answer(w, http.StatusBadRequest, apiError{Error: "the body is not an order: " + clip(err.Error()), Code: "order.invalid"})
		return
	}
	if err := in.Validate(); err != nil {
		answer(w, http.StatusBadRequest, apiError{Error: "the warehouse would refuse this order: " + clip(err.Error()), Code: "order.invalid"})
		return
	}
	c, err := newChange(ChangeOrder, owner, id, data)
	if err != nil {
		answer(w, http.StatusBadRequest, apiError{Error: err.Error(), Code: "change.invalid"})
		return
	}
	o.appendOne(w, c)
}

// adminCancel appends an order.cancel change: {"owner","no","reason"} (owner optional).
func (o *OMS) adminCancel(w http.ResponseWriter, r *http.Request) {
	body, ok := readAdmin(w, r, 64<<10)
	if !ok {
		return
	}
	var in struct {
		Owner  string `json:"owner"`
		ID     string `json:"id"`
		No     string `json:"no"`
		Reason string `json:"reason"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		answer(w, http.StatusBadRequest, apiError{Error: `the body is not {"owner","no","reason"}: ` + clip(err.Error()), Code: "cancel.invalid"})
		return
	}
	if in.No == "" || len(in.No) > MaxID || !printable(in.No) || strings.Contains(in.No, " ") {
		answer(w, http.StatusBadRequest, apiError{Error: fmt.Sprintf("no is an order number, 1 to %d printable characters without spaces", MaxID), Code: "cancel.invalid"})
		return
	}
	if strings.TrimSpace(in.Reason) == "" || len([]rune(in.Reason)) > 200 || !printable(in.Reason) {
		answer(w, http.StatusBadRequest, apiError{Error: "reason is 1 to 200 printable characters", Code: "cancel.invalid"})
		return
	}
	data, err := json.Marshal(struct {
		No     string `json:"no"`
		Reason string `json:"reason"`
	}{in.No, in.Reason})
	if err != nil {
		answer(w, http.StatusInternalServerError, apiError{Error: err.Error(), Code: "internal"})
		return
	}
	c, err := newChange(ChangeCancel, in.Owner, in.ID, data)
	if err != nil {
		answer(w, http.StatusBadRequest, apiError{Error: err.Error(), Code: "change.invalid"})
		return
	}
	o.appendOne(w, c)
}

type faultList struct {
	Faults []Fault `json:"faults"`
}

func (o *OMS) listFaults(w http.ResponseWriter, _ *http.Request) {
	answer(w, http.StatusOK, faultList{nonNil(o.faults.list())})
}

func (o *OMS) addFaults(w http.ResponseWriter, r *http.Request) {
	body, ok := readAdmin(w, r, maxFaultBody)
	if !ok {
		return
	}
	fs, err := DecodeFaults(body)
	if err != nil {
		answer(w, http.StatusBadRequest, apiError{Error: err.Error(), Code: "fault.invalid"})
		return
	}
	all, err := o.faults.add(fs)
	if err != nil {
		answer(w, http.StatusConflict, apiError{Error: err.Error(), Code: "fault.too_many"})
		return
	}
	answer(w, http.StatusCreated, faultList{all})
}

func (o *OMS) clearFaults(w http.ResponseWriter, _ *http.Request) {
	o.faults.clear()
	answer(w, http.StatusOK, faultList{[]Fault{}})
}

func (o *OMS) listRequests(w http.ResponseWriter, _ *http.Request) {
	answer(w, http.StatusOK, struct {
		Requests []Request `json:"requests"`
	}{nonNil(o.Requests())})
}

// listReceived answers the kept events after arrival number ?after= (default 0), at most
// ?limit= (1 to 10,000, default 1,000).
func (o *OMS) listReceived(w http.ResponseWriter, r *http.Request) {
	after, limit := uint64(0), 1000
	if s := r.URL.Query().Get("after"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			answer(w, http.StatusBadRequest, apiError{Error: "after is an arrival number", Code: "query.invalid"})
			return
		}
		after = n
	}
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 10_000 {
			answer(w, http.StatusBadRequest, apiError{Error: "limit is 1 to 10000", Code: "query.invalid"})
			return
		}
		limit = n
	}
	got, err := o.receivedAfter(after, limit)
	if err != nil {
		answer(w, http.StatusInternalServerError, apiError{Error: err.Error(), Code: "store.failed"})
		return
	}
	answer(w, http.StatusOK, struct {
		Received []Received `json:"received"`
	}{nonNil(got)})
}

func (o *OMS) showStats(w http.ResponseWriter, _ *http.Request) {
	s, err := o.Stats()
	if err != nil {
		answer(w, http.StatusInternalServerError, apiError{Error: err.Error(), Code: "store.failed"})
		return
	}
	answer(w, http.StatusOK, s)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
