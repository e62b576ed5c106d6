package fakeoms

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"tally/wms"
)

// Change types of a pull, from docs/sync.md.
const (
	ChangeOrder       = "order"
	ChangeCancel      = "order.cancel"
	ChangeSKU         = "sku"
	ChangeASN         = "asn"
	ChangeRMA         = "rma"
	ChangeWaybills    = "waybills"
	ChangeInstruction = "stock.instruction"
)

// ChangeTypes lists every change type a pull may carry.
var ChangeTypes = []string{ChangeOrder, ChangeCancel, ChangeSKU, ChangeASN, ChangeRMA, ChangeWaybills, ChangeInstruction}

// Limits of the change log and its pull.
const (
	// MaxChangeData is the largest data of one change.
	MaxChangeData = 1 << 20
	// maxAdminBody bounds an admin request: one change's data and its envelope.
	maxAdminBody = MaxChangeData + 64<<10
	// DefaultLimit and MaxLimit bound one page of GET {Base}/changes.
	DefaultLimit = 100
	MaxLimit     = 500
	// cursorDigits is the width of the change number in a cursor, "c-000000000123".
	cursorDigits = 12
	maxCursor    = 999_999_999_999
)

// Change is one entry of the OMS's change log, as a pull answers it.
type Change struct {
	ID    string          `json:"id"`
	Type  string          `json:"type"`
	Owner string          `json:"owner"`
	At    time.Time       `json:"at"`
	Data  json.RawMessage `json:"data"`
}

// Page is the answer of GET {Base}/changes.
type Page struct {
	Changes []Change `json:"changes"`
	Next    string   `json:"next"`
	More    bool     `json:"more"`
}

// validOwner accepts an owner code: 1 to 64 printable characters without spaces.
func validOwner(s string) bool {
	if s == "" || len(s) > MaxID || !printable(s) {
		return false
	}
	return !strings.ContainsAny(s, " \u00a0")
}

// DecodeChange decodes the body of POST /admin/changes: {"type", "owner", "id", "data"}.
// The type must be one of ChangeTypes, the owner an owner code (empty: DEFAULT), the id
// (optional: the OMS makes one) 1 to MaxID printable characters, and the data a JSON object of
// at most MaxChangeData bytes. Fields it does not know are refused, so a typo is not lost.
func DecodeChange(body []byte) (Change, error) {
	var in struct {
		Type  *string         `json:"type"`
		Owner string          `json:"owner"`
		ID    string          `json:"id"`
		Data  json.RawMessage `json:"data"`
	}
	if len(body) > maxAdminBody {
		return Change{}, fmt.Errorf("the body is over %d bytes", maxAdminBody)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return Change{}, fmt.Errorf("the body is not a change {\"type\",\"owner\",\"id\",\"data\"}: %s", clip(err.Error()))
	}
	if _, err := dec.Token(); err != io.EOF {
		return Change{}, errors.New("the body holds more than one JSON value")
	}
	if in.Type == nil || !slices.Contains(ChangeTypes, *in.Type) {
		return Change{}, fmt.Errorf("type must be one of %s", strings.Join(ChangeTypes, ", "))
	}
	return newChange(*in.Type, in.Owner, in.ID, in.Data)
}

// newChange checks a change's envelope and data.
func newChange(typ, owner, id string, data json.RawMessage) (Change, error) {
	if owner == "" {
		owner = wms.DefaultOwner
	}
	if !validOwner(owner) {
		return Change{}, fmt.Errorf("owner %q is not an owner code (1 to %d printable characters without spaces)", clip(owner), MaxID)
	}
	if id != "" && (len(id) > MaxID || !printable(id)) {
		return Change{}, fmt.Errorf("id is 1 to %d printable characters", MaxID)
	}
	data = bytes.TrimSpace(data)
	if len(data) > MaxChangeData {
		return Change{}, fmt.Errorf("data is over %d bytes", MaxChangeData)
	}
	if len(data) == 0 || data[0] != '{' || !json.Valid(data) {
		return Change{}, errors.New("data must be a JSON object")
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, data); err != nil {
		return Change{}, errors.New("data must be a JSON object")
	}
	return Change{ID: id, Type: typ, Owner: owner, Data: compact.Bytes()}, nil
}

// errIDTaken is an admin change whose ID the log already holds.
var errIDTaken = errors.New("the change ID is already in the log")

// Append adds changes to the log, in order, in one transaction, and returns them with their
// IDs and times. A change without an ID gets one ("OMS-" and its number); an ID already in
// the log is refused (errIDTaken) and nothing is added.
func (o *OMS) Append(changes ...Change) ([]Change, error) {
	now := o.now().UTC()
	out := make([]Change, len(changes))
	err := o.db.Update(func(tx *bolt.Tx) error {
		copy(out, changes)
		for i := range out {
			if err := appendChange(tx, &out[i], now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func appendChange(tx *bolt.Tx, c *Change, now time.Time) error {
	log, ids := tx.Bucket(bucketChanges), tx.Bucket(bucketChangeIDs)
	n, err := log.NextSequence()
	if err != nil {
		return err
	}
	if n > maxCursor {
		return errors.New("fakeoms: the change log is full")
	}
	if c.ID == "" {
		c.ID = fmt.Sprintf("OMS-%06d", n)
		for i := 2; ids.Get([]byte(c.ID)) != nil; i++ {
			c.ID = fmt.Sprintf("OMS-%06d-%d", n, i)
		}
	} else if ids.Get([]byte(c.ID)) != nil {
		return fmt.Errorf("%w: %s", errIDTaken, c.ID)
	}
	c.Owner, c.At = wms.OwnerOr(c.Owner), now
	raw, err := json.Marshal(c)
	if err != nil {
		return err
	}
	if err := log.Put(seqKey(n), raw); err != nil {
		return err
	}
	if err := ids.Put([]byte(c.ID), seqKey(n)); err != nil {
		return err
	}
	if c.Type != ChangeOrder {
		return nil
	}
	var no struct {
		No string `json:"no"`
	}
	if json.Unmarshal(c.Data, &no) != nil || no.No == "" || len(no.No) > MaxID || !printable(no.No) {
		return nil // a malformed order is served as it is, for the warehouse to refuse
	}
	v, found, err := getOrderView(tx, c.Owner, no.No)
	if err != nil {
		return err
	}
	if !found {
		v.State = OrderWaiting
	}
	v.ChangeID, v.Updated = c.ID, now
	if err := putOrderView(tx, v); err != nil {
		return err
	}
	meta := tx.Bucket(bucketMeta)
	var count uint64
	if v := meta.Get(keyOrderCount); len(v) == 8 {
		count = binary.BigEndian.Uint64(v)
	}
	return meta.Put(keyOrderCount, seqKey(count+1))
}

// changeByID finds a change of the log by its ID.
func changeByID(tx *bolt.Tx, id string) (Change, bool, error) {
	if id == "" {
		return Change{}, false, nil
	}
	n := tx.Bucket(bucketChangeIDs).Get([]byte(id))
	if n == nil {
		return Change{}, false, nil
	}
	raw := tx.Bucket(bucketChanges).Get(n)
	if raw == nil {
		return Change{}, false, fmt.Errorf("fakeoms: change %s is indexed but not in the log", id)
	}
	var c Change
	if err := json.Unmarshal(raw, &c); err != nil {
		return Change{}, false, fmt.Errorf("fakeoms: stored change %s: %w", id, err)
	}
	return c, true, nil
}

// Cursor is the opaque cursor that points just after change number n.
func Cursor(n uint64) string { return fmt.Sprintf("c-%0*d", cursorDigits, n) }

// parseCursor reads an after= value; empty is the start of the log.
func parseCursor(s string) (uint64, error) {
	if s == "" {
		return 0, nil
	}
	digits, ok := strings.CutPrefix(s, "c-")
	if !ok || len(digits) != cursorDigits || strings.Trim(digits, "0123456789") != "" {
		return 0, fmt.Errorf("after %q is not a cursor this OMS gave (c- and %d digits)", clip(s), cursorDigits)
	}
	return strconv.ParseUint(digits, 10, 64)
}

// Changes answers one page of the log after the cursor: at most limit changes, only the
// owner's when owner is set. Next points just after the page's last change (never further:
// changes of other owners after it are read again next time), or is after itself when the
// page is empty.
func (o *OMS) Changes(after string, limit int, owner string) (Page, error) {
	from, err := parseCursor(after)
	if err != nil {
		return Page{}, err
	}
	if limit < 1 || limit > MaxLimit {
		return Page{}, fmt.Errorf("limit is 1 to %d", MaxLimit)
	}
	p := Page{Changes: []Change{}, Next: Cursor(from)}
	now := o.now().UTC()
	err = o.db.Update(func(tx *bolt.Tx) error {
		p.Changes, p.More = p.Changes[:0], false
		c := tx.Bucket(bucketChanges).Cursor()
		for k, raw := c.Seek(seqKey(from + 1)); k != nil; k, raw = c.Next() {
			var ch Change
			if err := json.Unmarshal(raw, &ch); err != nil {
				return fmt.Errorf("fakeoms: stored change %x: %w", k, err)
			}
			if owner != "" && ch.Owner != owner {
				continue
			}
			if len(p.Changes) == limit {
				p.More = true
				break
			}
			p.Changes = append(p.Changes, ch)
			p.Next = Cursor(binary.BigEndian.Uint64(k))
		}
		return markServed(tx, p.Changes, now)
	})
	if err != nil {
		return Page{}, err
	}
	return p, nil
}

// markServed records that the page's orders reached the warehouse.
func markServed(tx *bolt.Tx, changes []Change, now time.Time) error {
	for _, c := range changes {
		if c.Type != ChangeOrder {
			continue
		}
		var no struct {
			No string `json:"no"`
		}
		if json.Unmarshal(c.Data, &no) != nil || no.No == "" {
			continue
		}
		v, found, err := getOrderView(tx, c.Owner, no.No)
		if err != nil {
			return err
		}
		if !found || v.Served {
			continue
		}
		v.Served = true
		if v.State == OrderWaiting {
			v.State = OrderServed
		}
		v.Updated = now
		if err := putOrderView(tx, v); err != nil {
			return err
		}
	}
	return nil
}

func (o *OMS) changes(w http.ResponseWriter, r *http.Request) {
	if _, ok := o.authorize(w, r); !ok {
		return
	}
	q := r.URL.Query()
	for k, v := range q {
		if len(v) > 1 {
			answer(w, http.StatusBadRequest, apiError{Error: fmt.Sprintf("%s= given %d times", clip(k), len(v)), Code: "query.invalid"})
			return
		}
	}
	limit := DefaultLimit
	if s, ok := q["limit"]; ok {
		n, err := strconv.Atoi(s[0])
		if err != nil || n < 1 || n > MaxLimit {
			answer(w, http.StatusBadRequest, apiError{Error: fmt.Sprintf("limit is 1 to %d, not %q", MaxLimit, clip(s[0])), Code: "limit.invalid"})
			return
		}
		limit = n
	}
	owner := q.Get("owner")
	if _, ok := q["owner"]; ok && !validOwner(owner) {
		answer(w, http.StatusBadRequest, apiError{Error: "owner is an owner code, 1 to 64 printable characters without spaces", Code: "owner.invalid"})
		return
	}
	if _, err := parseCursor(q.Get("after")); err != nil {
		answer(w, http.StatusBadRequest, apiError{Error: err.Error(), Code: "cursor.invalid"})
		return
	}
	p, err := o.Changes(q.Get("after"), limit, owner)
	if err != nil {
		answer(w, http.StatusInternalServerError, apiError{Error: err.Error(), Code: "store.failed"})
		return
	}
	answer(w, http.StatusOK, p)
}
