package syncer

import (
	"bytes"
	"cmp"
	"context"
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"tally/syncer/qimen"
	"tally/wms"
)

// A Qimen upstream only receives: the ERP calls the warehouse (POST
// /qimen) and asks for stock itself, so there is no pull and no
// reconciliation. Its outward events go in seq order, each event's calls
// one at a time — over HTTP to the ERP's URL, signed as they leave, or
// handed to the hub link for an upstream reached via the hub. The cursor
// moves past an event once all its calls were answered success (or the
// ERP refused one for good: a dead letter); the backoff, Retry-After,
// status and dead-letter retries are the ones Tally's own protocol uses.

// errQimenNoReconcile refuses a reconciliation asked of a Qimen upstream.
var errQimenNoReconcile = errors.New("sync: a Qimen ERP queries the warehouse's stock itself (inventory.query); there is nothing to reconcile")

// erpRefusal is a call the ERP refused for good.
type erpRefusal struct{ code, reason string }

// qimenAnswerLimit bounds an ERP's answer.
const qimenAnswerLimit = 1 << 20

// stepQimen is a Qimen upstream's turn: retried dead letters, then a run
// of events.
func (k *link) stepQimen(ctx context.Context, up wms.Upstream, retry []wms.DeadLetter) (busy bool, err error) {
	if up.NoPush {
		return false, nil
	}
	if len(retry) > 0 {
		if err := k.qimenRetries(ctx, up, retry); err != nil {
			return false, err
		}
	}
	return k.qimenBatch(ctx, up)
}

// qimenBatch sends the calls of up to Batch events.
func (k *link) qimenBatch(ctx context.Context, up wms.Upstream) (more bool, err error) {
	books := ledgerBooks{k.s.l}
	return k.sendCalls(ctx, up, func(q queued, from int) (callsOutcome, error) {
		calls, err := qimenCalls(q.out, up, k.s.o.Warehouse, books)
		if errors.Is(err, errQimenTooLarge) {
			return callsOutcome{dead: &wms.DeadLetter{Seq: q.seq, ID: q.id, Type: q.typ, Code: "body.too_large", Reason: clip(err.Error(), maxErrorText)}}, nil
		}
		if err != nil {
			return callsOutcome{done: from}, err
		}
		done, ref, err := k.qimenSendAll(ctx, up, calls, from)
		out := callsOutcome{done: done}
		if err == nil && ref != nil {
			out.dead, out.answered = &wms.DeadLetter{Seq: q.seq, ID: q.id, Type: q.typ, Code: ref.code, Reason: ref.reason}, true
		}
		return out, err
	})
}

// qimenSendAll sends calls[from:] in order. done is how many of calls have
// been taken; a refusal stops the rest (the event is a dead letter, and a
// retry of it sends them all again).
func (k *link) qimenSendAll(ctx context.Context, up wms.Upstream, calls []qimen.Call, from int) (done int, ref *erpRefusal, err error) {
	done = from
	for _, c := range calls[min(from, len(calls)):] {
		ref, err := k.qimenSend(ctx, up, c)
		if err != nil || ref != nil {
			return done, ref, err
		}
		done++
	}
	return done, nil, nil
}

// qimenSend makes one call: a refusal is the ERP's final no; an error is a
// *failure to back off from (or the ledger's).
func (k *link) qimenSend(ctx context.Context, up wms.Upstream, c qimen.Call) (*erpRefusal, error) {
	what := "qimen " + c.Method
	if up.Via == wms.ViaHub {
		if k.s.o.Hub == nil {
			return nil, &failure{msg: what + ": the upstream is reached via the hub, but this warehouse has no hub link"}
		}
		err := k.s.o.Hub.Publish(ctx, c)
		switch {
		case err == nil:
			return nil, nil
		case errors.Is(err, ErrHubFull):
			return nil, &failure{msg: what + ": the outgoing stream to the hub is full; waiting for it to drain", online: k.isOnline()}
		case ctx.Err() != nil:
			return nil, ctx.Err()
		}
		return nil, &failure{msg: what + ": handing the call to the hub link: " + clip(err.Error(), maxErrorText)}
	}
	a, err := k.qimenPost(ctx, up, c)
	if err != nil {
		return nil, err
	}
	ref, f := judgeQimen(c.Method, a)
	switch {
	case f != nil && !f.online:
		return nil, k.fail("POST "+what, a)
	case f != nil:
		return nil, f
	case ref != nil:
		k.setOnline(true)
	}
	return ref, nil
}

// judgeQimen reads an ERP's answer to a call: nil, nil when it was taken;
// a refusal the ERP would give again (a dead letter); or a failure a later
// try may pass — online false for an answer that says the ERP is not up
// (5xx, 408, 429: the caller reads it with fail).
func judgeQimen(method string, a *answer) (*erpRefusal, *failure) {
	what := "qimen " + method
	switch a.status {
	case http.StatusOK:
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity:
		return &erpRefusal{code: "http." + strconv.Itoa(a.status), reason: http.StatusText(a.status)}, nil
	default:
		return nil, &failure{msg: "POST " + what + ": " + strconv.Itoa(a.status) + " " + http.StatusText(a.status), status: a.status}
	}
	var r struct {
		Flag    string `xml:"flag"`
		Code    string `xml:"code"`
		Message string `xml:"message"`
	}
	if err := xml.Unmarshal(a.body, &r); err != nil || r.Flag == "" {
		return nil, &failure{msg: "POST " + what + ": the answer is not a Qimen <response> with a flag", online: true}
	}
	switch strings.TrimSpace(r.Flag) {
	case string(qimen.FlagSuccess):
		return nil, nil
	case string(qimen.FlagFailure):
	default:
		return nil, &failure{msg: "POST " + what + ": the answer's flag is neither success nor failure", online: true}
	}
	code, msg := clip(strings.TrimSpace(r.Code), 64), clip(strings.TrimSpace(r.Message), maxErrorText)
	if transient, auth := qimenTransient(code); transient {
		hint := " — the ERP is busy or failing; the call is tried again"
		if auth {
			hint = " — check the upstream's secret, app_key, customer_id and the warehouse's clock"
		}
		return nil, &failure{msg: "POST " + what + ": the ERP answered failure (" + code + "): " + msg + hint, online: true, code: code, detail: msg}
	}
	return &erpRefusal{code: cmp.Or(code, "qimen.failure"), reason: cmp.Or(msg, "the ERP answered failure")}, nil
}

// qimenTransient says whether an ERP's failure code is one a later try may
// pass, and whether it is about the call's credentials: the signature,
// the timestamp, the caller's identity (auth); or the ERP itself busy,
// limiting the caller or failing. Any other failure (a validation of the
// content: an unknown order, a wrong quantity) the ERP will give again: a
// dead letter. The code is read word by word (words split at - _ . and
// spaces), never by substring: "invalid-consignee" holds "sign" and
// "item-not-in-system" holds "system", and both are refusals of content.
func qimenTransient(code string) (transient, auth bool) {
	c := strings.ToLower(code)
	if strings.HasPrefix(c, "isp.") { // Taobao's and Qimen's service-side errors
		return true, false
	}
	words := strings.FieldsFunc(c, func(r rune) bool { return r == '-' || r == '_' || r == '.' || r == ' ' })
	has := func(w ...string) bool { // the words w, one after another
		for i := 0; i+len(w) <= len(words); i++ {
			if slices.Equal(words[i:i+len(w)], w) {
				return true
			}
		}
		return false
	}
	// a limit is the caller's rate (rate-limit, api-call-limit,
	// RATE_LIMIT_EXCEEDED), never a quantity's, a credit's or a length's
	// (QUANTITY_LIMIT_EXCEEDED, qty-over-limit)
	rateLimit := false
	for i, w := range words {
		if (w == "limit" || w == "limits") && i > 0 {
			switch words[i-1] {
			case "rate", "flow", "call", "api", "frequency", "access", "request", "qps":
				rateLimit = true
			}
		}
	}
	// Taobao's isv. codes are the caller's errors: only its credentials and
	// its rate pass later, never "internal" or "exception" in a content code
	isv := strings.HasPrefix(c, "isv.")
	switch {
	case has("sign") || has("signature") || has("timestamp") || has("appkey") || has("app", "key") ||
		has("customerid") || has("customer", "id") || has("secret"):
		return true, true
	case rateLimit || has("timeout") || has("time", "out") || has("timed", "out") || has("limited") || has("frequent"):
		return true, false
	case !isv && (has("busy") || has("unavailable") || has("retry") ||
		has("system", "error") || has("server", "error") || has("service", "error") || has("internal", "error") ||
		has("system", "exception") || has("server", "exception") || has("service", "exception") || has("internal", "exception")):
		return true, false
	}
	return false, false
}

// qimenPost sends one call to the ERP's URL: its system parameters in the
// query (with any the URL already has), the body as it is, signed over
// exactly those bytes with the clock corrected by what the ERP's Date
// headers said. What a person reads of a failure names the method, never
// the URL.
func (k *link) qimenPost(ctx context.Context, up wms.Upstream, c qimen.Call) (*answer, error) {
	a, err := postQimen(ctx, k.s.client, up, c, k.s.now().Add(k.clockOffset()))
	if a != nil {
		k.learnClock(a.header)
	}
	return a, err
}

// postQimen sends one call to up's URL, signed at now: the link's way, and
// the hub's (QimenSender).
func postQimen(ctx context.Context, client *http.Client, up wms.Upstream, c qimen.Call, now time.Time) (*answer, error) {
	what := "POST qimen " + c.Method
	u, err := url.Parse(up.URL)
	if err != nil || u.Host == "" {
		return nil, &failure{msg: what + ": the upstream's URL cannot be used"}
	}
	params := u.Query()
	params.Set("method", qimen.FullMethod(c.Method))
	params.Set(qimen.ParamTimestamp, qimen.Timestamp(now))
	params.Set("format", "xml")
	params.Set("app_key", up.AppKey)
	params.Set("customerId", up.CustomerID)
	params.Set(qimen.ParamSignMethod, qimen.SignMethodMD5)
	params.Set("v", "2.0")
	params.Del(qimen.ParamSign)
	params.Set(qimen.ParamSign, qimen.Sign(params, c.Body, up.Secret))
	u.RawQuery = params.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(c.Body))
	if err != nil {
		return nil, &failure{msg: what + ": the upstream's URL cannot be used"}
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("Accept", "text/xml")
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &failure{msg: what + ": " + transportCause(err)}
	}
	defer resp.Body.Close()
	raw, err := readLimited(resp.Body, qimenAnswerLimit)
	if err != nil {
		return nil, &failure{msg: what + ": reading the answer: " + transportCause(err)}
	}
	return &answer{status: resp.StatusCode, header: resp.Header, body: raw}, nil
}

// qimenRetries sends again the dead letters a supervisor asked to retry.
func (k *link) qimenRetries(ctx context.Context, up wms.Upstream, retry []wms.DeadLetter) error {
	books := ledgerBooks{k.s.l}
	return k.retryCalls(ctx, up, retry, func(_ wms.Event, o wms.Outward, ok bool) (*wms.DeadLetter, error) {
		var calls []qimen.Call
		var err error
		if ok {
			calls, err = qimenCalls(o, up, k.s.o.Warehouse, books)
		}
		switch {
		case errors.Is(err, errQimenTooLarge):
			return &wms.DeadLetter{Code: "body.too_large", Reason: clip(err.Error(), maxErrorText)}, nil
		case err != nil:
			return nil, err
		}
		_, ref, err := k.qimenSendAll(ctx, up, calls, 0)
		if err != nil || ref == nil {
			return nil, err
		}
		return &wms.DeadLetter{Code: ref.code, Reason: ref.reason}, nil
	})
}
