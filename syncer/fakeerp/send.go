package fakeerp

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"tally/syncer/qimen"
)

// Call states.
const (
	CallQueued     = "queued"     // waiting for its turn
	CallAnswered   = "answered"   // the WMS answered (success or failure: see Flag)
	CallUnanswered = "unanswered" // no answer after Options.Attempts sends, or the ERP stopped
)

// maxAnswer is the longest answer kept with a call (an inventory query's, say).
const maxAnswer = 64 << 10

// Call is one ERP→WMS call: made once, sent until it gets an answer, always with the same
// body (only the timestamp and sign change between sends).
type Call struct {
	ID        string    `json:"id"`
	Method    string    `json:"method"` // short form
	Doc       string    `json:"doc,omitempty"`
	Warehouse string    `json:"warehouse"`
	Body      []byte    `json:"-"`
	State     string    `json:"state"`
	Attempts  int       `json:"attempts"`
	LastError string    `json:"last_error,omitempty"`
	Flag      string    `json:"flag,omitempty"`
	Code      string    `json:"code,omitempty"`
	Message   string    `json:"message,omitempty"`
	Answer    string    `json:"answer,omitempty"` // the answer's XML, up to 64 KiB
	Made      time.Time `json:"made"`
	Answered  time.Time `json:"answered,omitzero"`
}

// answer is what the ERP reads of any answer.
type answer struct {
	XMLName         xml.Name `xml:"response"`
	Flag            string   `xml:"flag"`
	Code            string   `xml:"code"`
	Message         string   `xml:"message"`
	DeliveryOrderID string   `xml:"deliveryOrderId"`
	EntryOrderID    string   `xml:"entryOrderId"`
	ReturnOrderID   string   `xml:"returnOrderId"`
}

// maxPending is the most calls waiting to be sent.
const maxPending = 100_000

// errQueueFull is a call made while maxPending wait.
var errQueueFull = fmt.Errorf("fakeerp: %d calls are waiting to be sent already", maxPending)

// enqueue adds a call of method with body for doc to the queue. The caller holds e.mu.
func (e *ERP) enqueue(method, doc, warehouse string, body []byte) *Call {
	e.nextCall++
	c := &Call{ID: fmt.Sprintf("C%s-%06d", e.stamp, e.nextCall), Method: method, Doc: doc, Warehouse: warehouse,
		Body: body, State: CallQueued, Made: e.o.Now().UTC()}
	if len(e.calls) >= maxCallLog {
		// forget the oldest call that is done; a queued one stays listed
		if i := slices.IndexFunc(e.calls, func(c *Call) bool { return c.State != CallQueued }); i >= 0 {
			e.calls = slices.Delete(e.calls, i, i+1)
		}
	}
	e.calls = append(e.calls, c)
	e.pending = append(e.pending, c)
	select {
	case e.wake <- struct{}{}:
	default:
	}
	return c
}

// Calls lists the calls made, oldest first (the last 10,000 and every queued one).
func (e *ERP) Calls() []Call {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Call, len(e.calls))
	for i, c := range e.calls {
		out[i] = *c
	}
	return out
}

// deliver sends c until it is answered, Options.Attempts is spent or ctx is done.
func (e *ERP) deliver(ctx context.Context, c *Call) {
	wait := e.o.RetryWait
	for attempt := 1; ; attempt++ {
		e.mu.Lock()
		c.Attempts = attempt
		e.mu.Unlock()
		ans, raw, retryAfter, err := e.post(ctx, c.Method, c.Body)
		if err == nil {
			e.mu.Lock()
			c.State, c.Flag, c.Code, c.Message, c.Answered, c.LastError = CallAnswered, ans.Flag, clip(ans.Code), clip(ans.Message), e.o.Now().UTC(), ""
			if len(raw) <= maxAnswer {
				c.Answer = string(raw)
			}
			e.applyAnswer(c, ans)
			e.mu.Unlock()
			return
		}
		e.mu.Lock()
		c.LastError = clip(err.Error())
		if (e.o.Attempts > 0 && attempt >= e.o.Attempts) || ctx.Err() != nil {
			e.giveUp(c)
			e.mu.Unlock()
			return
		}
		e.mu.Unlock()
		d := wait
		if retryAfter > d {
			d = retryAfter
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			e.mu.Lock()
			e.giveUp(c)
			e.mu.Unlock()
			return
		case <-t.C:
		}
		if wait *= 2; wait > 30*time.Second {
			wait = 30 * time.Second
		}
	}
}

// giveUp marks a call unanswered, and its order when the call made it. The caller holds e.mu.
func (e *ERP) giveUp(c *Call) {
	c.State = CallUnanswered
	if o := e.orders[c.Doc]; o != nil && o.State == StateQueued && c.Method != qimen.OrderCancel {
		o.State = StateUnanswered
	}
}

// errNoWMS is a call made by an ERP with no WMS URL.
var errNoWMS = errors.New("fakeerp: no WMS URL to send to")

// SignedURL is the URL of one send of a call of method with body: the WMS URL with the
// system parameters (app_key, customerId, format=xml, method=taobao.qimen.<method>,
// sign_method=md5, timestamp in China time at now, v=2.0) and their sign.
func (e *ERP) SignedURL(method string, body []byte, now time.Time) (string, error) {
	if e.wms == nil {
		return "", errNoWMS
	}
	p := url.Values{
		"app_key":     {e.o.AppKey},
		"customerId":  {e.o.CustomerID},
		"format":      {"xml"},
		"method":      {qimen.FullMethod(method)},
		"sign_method": {qimen.SignMethodMD5},
		"timestamp":   {qimen.Timestamp(now)},
		"v":           {"2.0"},
	}
	p.Set(qimen.ParamSign, qimen.Sign(p, body, e.o.Secret))
	u := *e.wms
	u.RawQuery = p.Encode()
	return u.String(), nil
}

// post sends one call once. An error is no answer (the caller sends again): the network
// failed, the WMS answered 429 or 5xx, or its answer is not a Qimen <response>. A 4xx with no
// Qimen answer is an answer: failure "http-<status>".
func (e *ERP) post(ctx context.Context, method string, body []byte) (answer, []byte, time.Duration, error) {
	target, err := e.SignedURL(method, body, e.clock())
	if err != nil {
		return answer{}, nil, 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return answer{}, nil, 0, err
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	resp, err := e.client.Do(req)
	if err != nil {
		return answer{}, nil, 0, fmt.Errorf("no answer: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, qimen.MaxBody+1))
	if err != nil {
		return answer{}, nil, 0, fmt.Errorf("no answer: reading it: %w", err)
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
		var after time.Duration
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			after = min(time.Duration(s)*time.Second, 5*time.Minute)
		}
		return answer{}, nil, after, fmt.Errorf("no answer: HTTP %d", resp.StatusCode)
	}
	if len(raw) > qimen.MaxBody {
		return answer{}, nil, 0, fmt.Errorf("no answer: the answer is over %d bytes", qimen.MaxBody)
	}
	var a answer
	if xml.Unmarshal(raw, &a) != nil || (a.Flag != string(qimen.FlagSuccess) && a.Flag != string(qimen.FlagFailure)) {
		if resp.StatusCode >= 400 {
			return answer{Flag: string(qimen.FlagFailure), Code: "http-" + strconv.Itoa(resp.StatusCode),
				Message: "the WMS answered without a Qimen <response>"}, raw, 0, nil
		}
		return answer{}, nil, 0, fmt.Errorf("no answer: HTTP %d without a Qimen <response><flag>", resp.StatusCode)
	}
	return a, raw, 0, nil
}
