package fakeoms

import (
	"bytes"
	"crypto/subtle"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"

	"tally/syncer"
	"tally/wms"
)

// Limits of a push, from docs/sync.md.
const (
	// MaxEvents is the most events one batch may carry.
	MaxEvents = 500
	// MaxID is the longest event or change ID taken.
	MaxID = 64
	// minSecret is the shortest signing key taken: the secret, or the token when there is none.
	minSecret = 16
	// maxToken is the longest bearer token taken.
	maxToken = 512
	// maxReason bounds the part of a rejected event's text echoed back in a reason.
	maxReason = 200
)

// Result statuses of a pushed event.
const (
	StatusAccepted  = "accepted"
	StatusDuplicate = "duplicate"
	StatusRejected  = "rejected"
)

var (
	bucketEvents    = []byte("events")     // event ID → stored record (JSON)
	bucketArrival   = []byte("arrival")    // big-endian arrival number → event ID
	bucketChanges   = []byte("changes")    // big-endian change number → Change (JSON): the pull log
	bucketChangeIDs = []byte("change_ids") // change ID → big-endian change number
	bucketStock     = []byte("stock")      // owner NUL sku NUL lot → big-endian int64 on hand
	bucketOrders    = []byte("orders")     // owner NUL order number → OrderView (JSON)
	bucketStats     = []byte("stats")      // event type → typeStats (JSON)
	bucketMeta      = []byte("meta")       // keyAppliedThrough, keyOrderCount
)

// Options configure a fake OMS.
type Options struct {
	Path  string // its own bbolt file, created if missing
	Base  string // the path of {url}, e.g. "/tally/v1"; empty for the root
	Token string // the bearer token the warehouse must present
	// Secret is the shared signing key, at least 16 bytes; empty: the token is the key.
	Secret []byte
	// Orders is how many demo orders to generate when the store has no orders yet
	// (GenerateDemo); 0 for none.
	Orders int
	Now    func() time.Time // its clock; nil for time.Now
}

// OMS is a fake OMS. Its methods are safe for concurrent use.
type OMS struct {
	db     *bolt.DB
	base   string
	token  []byte
	secret []byte
	now    func() time.Time
	faults *faultBook
	log    *requestLog
}

// Received is an event the fake OMS keeps, as it arrived.
type Received struct {
	N          uint64          `json:"n"` // its place in arrival order, from 1
	ID         string          `json:"id"`
	Seq        uint64          `json:"seq"`
	Type       string          `json:"type"`
	At         time.Time       `json:"at"`
	Owner      string          `json:"owner,omitempty"`
	Data       json.RawMessage `json:"data"`
	ReceivedAt time.Time       `json:"received_at"`
}

// Result is the answer for one event of a batch.
type Result struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Code   string `json:"code,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// New opens (or creates) the fake OMS's store and, when o.Orders is set and the store holds
// no orders yet, fills its change log with the generated demo orders.
func New(o Options) (*OMS, error) {
	if o.Path == "" {
		return nil, errors.New("fakeoms: no store path")
	}
	if len(o.Token) == 0 || len(o.Token) > maxToken {
		return nil, fmt.Errorf("fakeoms: the token must be 1 to %d characters", maxToken)
	}
	for i := 0; i < len(o.Token); i++ {
		if o.Token[i] <= ' ' || o.Token[i] > '~' {
			return nil, errors.New("fakeoms: the token must be printable ASCII without spaces")
		}
	}
	key := o.Secret
	if len(key) == 0 {
		key = []byte(o.Token)
	}
	if len(key) < minSecret {
		return nil, fmt.Errorf("fakeoms: the signing key (the secret, or the token without one) must be at least %d bytes", minSecret)
	}
	if o.Base != "" && (!strings.HasPrefix(o.Base, "/") || strings.HasSuffix(o.Base, "/") || strings.ContainsAny(o.Base, " ?#{}")) {
		return nil, fmt.Errorf("fakeoms: base %q must start with / and not end with one", o.Base)
	}
	if o.Orders < 0 || o.Orders > MaxGenerated {
		return nil, fmt.Errorf("fakeoms: orders must be 0 to %d", MaxGenerated)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	db, err := bolt.Open(filepath.Clean(o.Path), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return nil, fmt.Errorf("fakeoms: opening %s: %w", o.Path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketEvents, bucketArrival, bucketChanges, bucketChangeIDs,
			bucketStock, bucketOrders, bucketStats, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("fakeoms: preparing %s: %w", o.Path, err)
	}
	oms := &OMS{db: db, base: o.Base, token: []byte(o.Token), secret: bytes.Clone(key), now: o.Now,
		faults: &faultBook{}, log: &requestLog{}}
	if o.Orders > 0 {
		if err := oms.seed(o.Orders); err != nil {
			_ = db.Close()
			return nil, err
		}
	}
	return oms, nil
}

// Close closes the store.
func (o *OMS) Close() error { return o.db.Close() }

// Handler serves the protocol (POST {Base}/events, GET {Base}/changes, GET {Base}/stock),
// the admin API under /admin/ and the page at /; every other path is 404.
func (o *OMS) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST "+o.base+"/events", o.protocol("events", o.push))
	mux.Handle("GET "+o.base+"/changes", o.protocol("changes", o.changes))
	mux.Handle("GET "+o.base+"/stock", o.protocol("stock", o.stock))
	mux.HandleFunc("POST /admin/changes", o.adminChange)
	mux.HandleFunc("POST /admin/orders", o.adminOrder)
	mux.HandleFunc("POST /admin/cancel", o.adminCancel)
	mux.HandleFunc("GET /admin/faults", o.listFaults)
	mux.HandleFunc("POST /admin/faults", o.addFaults)
	mux.HandleFunc("DELETE /admin/faults", o.clearFaults)
	mux.HandleFunc("GET /admin/requests", o.listRequests)
	mux.HandleFunc("GET /admin/received", o.listReceived)
	mux.HandleFunc("GET /admin/stats", o.showStats)
	mux.HandleFunc("GET /{$}", o.page)
	return mux
}

// Received lists every event kept, in arrival order.
func (o *OMS) Received() ([]Received, error) { return o.receivedAfter(0, 0) }

// receivedAfter lists up to limit events (0: all) whose arrival number is above after.
func (o *OMS) receivedAfter(after uint64, limit int) ([]Received, error) {
	var out []Received
	err := o.db.View(func(tx *bolt.Tx) error {
		events := tx.Bucket(bucketEvents)
		c := tx.Bucket(bucketArrival).Cursor()
		for k, id := c.Seek(seqKey(after + 1)); k != nil; k, id = c.Next() {
			if limit > 0 && len(out) >= limit {
				break
			}
			raw := events.Get(id)
			if raw == nil {
				return fmt.Errorf("fakeoms: arrival lists %q, which is not stored", id)
			}
			var r Received
			if err := json.Unmarshal(raw, &r); err != nil {
				return fmt.Errorf("fakeoms: stored event %q: %w", id, err)
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

// apiError is the body of every error answer.
type apiError struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

// authorize checks the token, reads the body (at most syncer.MaxBody) and verifies its
// signature at the request's clock. It answers a refusal itself and then returns false.
func (o *OMS) authorize(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	now := o.clock(r)
	w.Header().Set("Date", now.UTC().Format(http.TimeFormat))
	tok, err := syncer.Token(r)
	if err != nil {
		answer(w, http.StatusUnauthorized, apiError{Error: err.Error(), Code: "auth.token"})
		return nil, false
	}
	if subtle.ConstantTimeCompare([]byte(tok), o.token) != 1 {
		answer(w, http.StatusUnauthorized, apiError{Error: "sync: bearer token not known to this OMS", Code: "auth.token"})
		return nil, false
	}
	if r.ContentLength > syncer.MaxBody {
		answer(w, http.StatusRequestEntityTooLarge, apiError{Error: syncer.ErrBodyTooLarge.Error(), Code: "body.too_large"})
		return nil, false
	}
	body, err := syncer.ReadBody(r.Body)
	if errors.Is(err, syncer.ErrBodyTooLarge) {
		answer(w, http.StatusRequestEntityTooLarge, apiError{Error: err.Error(), Code: "body.too_large"})
		return nil, false
	}
	if err != nil {
		answer(w, http.StatusBadRequest, apiError{Error: err.Error(), Code: "body.unreadable"})
		return nil, false
	}
	if err := syncer.Verify(r, body, o.secret, now, syncer.DefaultSkew); err != nil {
		answer(w, http.StatusUnauthorized, apiError{Error: err.Error(), Code: refusalCode(err)})
		return nil, false
	}
	return body, true
}

func (o *OMS) push(w http.ResponseWriter, r *http.Request) {
	body, ok := o.authorize(w, r)
	if !ok {
		return
	}
	events, err := DecodeBatch(body)
	if err != nil {
		answer(w, http.StatusBadRequest, apiError{Error: err.Error(), Code: "batch.malformed"})
		return
	}
	if o.poison(events, body) {
		answer(w, http.StatusUnprocessableEntity, apiError{Error: "fakeoms: the batch holds a poison message (fault injected)", Code: "batch.poison"})
		return
	}
	results, err := o.store(events, o.clock(r))
	if err != nil {
		answer(w, http.StatusInternalServerError, apiError{Error: err.Error(), Code: "store.failed"})
		return
	}
	answer(w, http.StatusOK, struct {
		Results []Result `json:"results"`
	}{results})
}

// refusalCode names a signature refusal as docs/sync.md lists them.
func refusalCode(err error) string {
	switch {
	case errors.Is(err, syncer.ErrMissingTimestamp), errors.Is(err, syncer.ErrMissingSignature):
		return "signature.missing"
	case errors.Is(err, syncer.ErrUnsupportedVersion):
		return "signature.version"
	case errors.Is(err, syncer.ErrTimestampOutOfRange):
		return "signature.timestamp"
	case errors.Is(err, syncer.ErrBadSignature):
		return "signature.mismatch"
	default: // malformed headers or request target
		return "signature.malformed"
	}
}

func answer(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"fakeoms: encoding the answer","code":"internal"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// Event is one pushed event as decoded from a batch: its envelope, and, when the OMS cannot
// take it, why (Code and Reason).
type Event struct {
	ID     string
	Seq    uint64
	Epoch  uint64 // the warehouse's epoch: 0 and 1 are the first
	Type   string
	At     time.Time
	Owner  string
	Data   json.RawMessage
	Code   string // empty when the event can be taken
	Reason string
	raw    json.RawMessage // the event as it came, for poison faults
}

// DecodeBatch decodes a push body, {"events": [...]}. A body that is not such a batch, holds
// no events or more than MaxEvents, or an event without a usable id (1 to MaxID printable
// characters), is an error for the whole batch: no result could answer such an event, and the
// warehouse halves a refused batch down to the one event and dead-letters it. Anything else wrong with one event marks
// that event (Code, Reason) and leaves the rest alone. Fields it does not know are ignored.
func DecodeBatch(body []byte) ([]Event, error) {
	var batch struct {
		Events *[]json.RawMessage `json:"events"`
	}
	if err := json.Unmarshal(body, &batch); err != nil {
		return nil, fmt.Errorf("the body is not a batch {\"events\": [...]}: %v", err)
	}
	if batch.Events == nil {
		return nil, errors.New("the body has no \"events\" array")
	}
	raw := *batch.Events
	if len(raw) == 0 || len(raw) > MaxEvents {
		return nil, fmt.Errorf("a batch holds 1 to %d events, this one %d", MaxEvents, len(raw))
	}
	out := make([]Event, 0, len(raw))
	for i, r := range raw {
		var head struct {
			ID *string `json:"id"`
		}
		if err := json.Unmarshal(r, &head); err != nil || head.ID == nil {
			return nil, fmt.Errorf("event %d is not an object with a string \"id\"", i)
		}
		if id := *head.ID; id == "" || len(id) > MaxID || !printable(id) {
			return nil, fmt.Errorf("event %d: an event ID is 1 to %d printable characters", i, MaxID)
		}
		ev := decodeEvent(*head.ID, r)
		ev.raw = r
		out = append(out, ev)
	}
	return out, nil
}

// decodeEvent checks one event whose ID is known.
func decodeEvent(id string, raw json.RawMessage) Event {
	ev := Event{ID: id}
	reject := func(code, format string, args ...any) Event {
		ev.Code, ev.Reason = code, fmt.Sprintf(format, args...)
		return ev
	}
	var env struct {
		Seq   uint64          `json:"seq"`
		Epoch uint64          `json:"epoch"`
		Type  string          `json:"type"`
		At    string          `json:"at"`
		Owner string          `json:"owner"`
		Data  json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return reject("event.malformed", "the envelope does not decode: %s", clip(err.Error()))
	}
	ev.Seq, ev.Epoch, ev.Type, ev.Owner = env.Seq, max(env.Epoch, 1), env.Type, env.Owner
	if env.Seq == 0 {
		return reject("event.malformed", "seq is missing or 0")
	}
	at, err := time.Parse(time.RFC3339Nano, env.At)
	if err != nil {
		return reject("event.malformed", "at %q is not an RFC 3339 time", clip(env.At))
	}
	ev.At = at.UTC()
	spec, ok := wms.SpecOf(env.Type)
	if !ok || spec.Outward == nil {
		return reject("event.type_unknown", "type %q does not go upstream", clip(env.Type))
	}
	if len(env.Owner) > MaxID || !printable(env.Owner) {
		return reject("event.malformed", "owner is not 0 to %d printable characters", MaxID)
	}
	d := bytes.TrimSpace(env.Data)
	if len(d) == 0 || d[0] != '{' {
		return reject("event.malformed", "data of a %s event must be an object", env.Type)
	}
	shape := reflect.New(reflect.TypeOf(spec.Outward))
	if err := json.Unmarshal(d, shape.Interface()); err != nil {
		return reject("event.malformed", "data does not fit a %s event: %s", env.Type, clip(err.Error()))
	}
	ev.Data = bytes.Clone(d)
	return ev
}

func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, c := range s {
		if c < ' ' || c == 0x7f {
			return false
		}
	}
	return true
}

// clip bounds text taken from a request before it is echoed in an answer.
func clip(s string) string {
	if len(s) <= maxReason {
		return s
	}
	s = s[:maxReason]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}

// store keeps the batch's takeable events in one transaction and answers each event. The
// same transaction folds each accepted event into the stock projection and the orders' states
// and counts it, so what the OMS shows never disagrees with what it accepted.
func (o *OMS) store(events []Event, now time.Time) ([]Result, error) {
	results := make([]Result, 0, len(events))
	now = now.UTC()
	err := o.db.Update(func(tx *bolt.Tx) error {
		results = results[:0] // bbolt may not retry Update, but keep the function repeatable
		byID, arrival := tx.Bucket(bucketEvents), tx.Bucket(bucketArrival)
		counts := map[string]*typeStats{}
		count := func(typ, status string) {
			if _, ok := wms.SpecOf(typ); !ok {
				typ = unknownType // a sender must not grow the stats with made-up types
			}
			c := counts[typ]
			if c == nil {
				c = &typeStats{}
				counts[typ] = c
			}
			c.add(status)
		}
		for _, ev := range events {
			if ev.Code == "" && byID.Get([]byte(ev.ID)) != nil {
				results = append(results, Result{ID: ev.ID, Status: StatusDuplicate})
				count(ev.Type, StatusDuplicate)
				continue
			}
			if ev.Code == "" {
				// after a failover: the old primary's late events are refused
				if err := checkEpoch(tx, &ev); err != nil {
					return err
				}
			}
			var effect []wms.OnHandLine
			if ev.Code == "" {
				var err error
				if effect, err = wms.StockEffect(ev.Type, ev.Owner, ev.Data); err != nil {
					ev.Code, ev.Reason = "event.malformed", clip(err.Error())
				}
			}
			if ev.Code != "" {
				results = append(results, Result{ID: ev.ID, Status: StatusRejected, Code: ev.Code, Reason: ev.Reason})
				count(ev.Type, StatusRejected)
				continue
			}
			n, err := arrival.NextSequence()
			if err != nil {
				return err
			}
			rec, err := json.Marshal(Received{N: n, ID: ev.ID, Seq: ev.Seq, Type: ev.Type, At: ev.At,
				Owner: ev.Owner, Data: ev.Data, ReceivedAt: now})
			if err != nil {
				return err
			}
			if err := byID.Put([]byte(ev.ID), rec); err != nil {
				return err
			}
			if err := arrival.Put(seqKey(n), []byte(ev.ID)); err != nil {
				return err
			}
			if err := applyStock(tx, effect); err != nil {
				return err
			}
			if err := applyOrderEvent(tx, ev, now); err != nil {
				return err
			}
			if err := raiseAppliedThrough(tx, ev.Seq); err != nil {
				return err
			}
			results = append(results, Result{ID: ev.ID, Status: StatusAccepted})
			count(ev.Type, StatusAccepted)
		}
		return addStats(tx, counts)
	})
	if err != nil {
		return nil, fmt.Errorf("fakeoms: storing the batch: %w", err)
	}
	return results, nil
}

// seqKey is a big-endian key that sorts by number.
func seqKey(n uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], n)
	return k[:]
}
