package wms

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The exceptions queue: one list of what needs a person, read from the
// projections and the events that caused and resolved each thing. It keeps
// no state of its own. The only thing it adds to the ledger is the
// acknowledgement of a kind that no other event resolves (a weight reject or
// an override a supervisor has reviewed): an exception.acknowledged event.

// Exception kinds.
const (
	ExShortPick      = "short_pick"      // a picker found less than the line asked for: its count task
	ExCountVariance  = "count_variance"  // a count off by more than CountApprovalUnits waits for approval
	ExWeightReject   = "weight_reject"   // the weight gate stopped a parcel
	ExWeightOverride = "weight_override" // a supervisor let a parcel through the weight gate
	ExExpiryBlock    = "expiry_block"    // an expired lot still on the shelves
	ExRecallBlock    = "recall_block"    // a held (recalled) lot still on the shelves
	ExUnknownReturn  = "unknown_return"  // a returned parcel without a known order
	ExPrintFailed    = "print_failed"    // a label that failed as often as it may
	ExWaybillPoolLow = "waybill_pool_low"
	ExDeadLetter     = "dead_letter" // an event an upstream refused for good
)

// ExceptionKinds lists the kinds in the order the queue counts them.
var ExceptionKinds = []string{ExShortPick, ExCountVariance, ExWeightReject, ExWeightOverride, ExExpiryBlock, ExRecallBlock,
	ExUnknownReturn, ExPrintFailed, ExWaybillPoolLow, ExDeadLetter}

// acknowledgeable kinds are resolved by an exception.acknowledged event.
var acknowledgeable = map[string]string{ExWeightReject: EvWeightRejected, ExWeightOverride: EvParcelClosed}

// Acknowledgeable says whether a kind is resolved by acknowledging it.
func Acknowledgeable(kind string) bool { _, ok := acknowledgeable[kind]; return ok }

// EvExceptionAcknowledged is a supervisor's review of an exception that no
// other event resolves.
const EvExceptionAcknowledged = "exception.acknowledged" // ExceptionAck

// MaxAckNote bounds an acknowledgement's note, in characters.
const MaxAckNote = 500

// ExceptionAck says a supervisor reviewed an exception: Ref is the ID of the
// event that raised it (the parcel.rejected or the overriding parcel.closed).
type ExceptionAck struct {
	Kind string `json:"kind"`
	Ref  string `json:"ref"`
	Note string `json:"note,omitempty"`
}

// ackRecord is what bucketExceptionAcks holds for an acknowledged exception.
type ackRecord struct {
	Actor string    `json:"actor"`
	At    time.Time `json:"at"`
	Note  string    `json:"note,omitempty"`
}

func exceptionAckKey(kind, ref string) []byte { return joinKey(kind, ref) }

func applyExceptionAcknowledged(tx *txn, ev *Event) error {
	var a ExceptionAck
	if err := decode(ev, &a); err != nil {
		return err
	}
	if !Acknowledgeable(a.Kind) {
		return Errf(CodeInvalid, "exception.kind_invalid", "kind", clipText(a.Kind))
	}
	if utf8.RuneCountInString(a.Note) > MaxAckNote || !utf8.ValidString(a.Note) {
		return Errf(CodeInvalid, "exception.note_too_long", "max", strconv.Itoa(MaxAckNote))
	}
	b := tx.Bucket(bucketExceptionAcks)
	k := exceptionAckKey(a.Kind, a.Ref)
	if b.Get(k) != nil {
		return Errf(CodeConflict, "exception.already_resolved", "ref", clipText(a.Ref))
	}
	return putJSON(b, k, ackRecord{Actor: ev.Actor, At: ev.At, Note: a.Note})
}

// decideExceptionAcknowledged checks, when the review is appended, that its
// ref is an event that raised an exception of its kind. The log is not a
// projection, so the applier (which replay runs) cannot read it.
func decideExceptionAcknowledged(tx *txn, ev *Event) error {
	var a ExceptionAck
	if err := decode(ev, &a); err != nil {
		return err
	}
	typ, ok := acknowledgeable[a.Kind]
	if !ok {
		return Errf(CodeInvalid, "exception.kind_invalid", "kind", clipText(a.Kind))
	}
	seqRaw := tx.Bucket(bucketEventIDs).Get([]byte(a.Ref))
	if seqRaw == nil {
		if r, ok, err := archivedID(tx, a.Ref); err != nil {
			return err
		} else if ok && r.flags()&idFlagEvent != 0 {
			seqRaw = seqKey(r.seq())
		}
	}
	if seqRaw == nil {
		return Errf(CodeNotFound, "exception.not_found", "ref", clipText(a.Ref))
	}
	cause, err := eventAt(tx, seqFromKey(seqRaw))
	if err != nil {
		return err
	}
	if cause.Type != typ || (a.Kind == ExWeightOverride && !overridden(cause)) {
		return Errf(CodeNotFound, "exception.not_found", "ref", clipText(a.Ref))
	}
	return nil
}

// overridden tells whether a parcel.closed event let its parcel through the weight gate.
func overridden(ev Event) bool {
	var p ParcelClose
	return json.Unmarshal(ev.Data, &p) == nil && p.Parcel != nil && p.Parcel.Override != nil
}

// AcknowledgeException records a supervisor's review; id is the request's key.
func (l *Ledger) AcknowledgeException(ctx context.Context, id string, a ExceptionAck, actor, device string) (ExceptionAck, error) {
	a.Note = strings.TrimSpace(a.Note)
	if !Acknowledgeable(a.Kind) {
		return a, Errf(CodeInvalid, "exception.kind_invalid", "kind", clipText(a.Kind))
	}
	if utf8.RuneCountInString(a.Note) > MaxAckNote {
		return a, Errf(CodeInvalid, "exception.note_too_long", "max", strconv.Itoa(MaxAckNote))
	}
	if id == "" {
		id = newID()
	}
	return keyedAppend(ctx, l, id, EvExceptionAcknowledged, "", "exception:"+a.Kind+":"+a.Ref, a, actor, device, nil)
}

// Exception is one thing that needs a person.
type Exception struct {
	Kind string `json:"kind"`
	// Ref names it within its kind: the count task (short pick), the count,
	// the raising event's ID (weight reject, override), owner 0 SKU 0 lot
	// joined by "/" (lot blocks), the parcel, the print job, owner/account
	// (waybill pool) or upstream/seq (dead letter).
	Ref    string   `json:"ref"`
	Owners []string `json:"owners"` // whose goods or orders (several for a count of a shared shelf); empty: the warehouse's
	// What says what happened, as named values the screens word in each
	// language (location, sku, lot, order, qty, reason, ...).
	What  map[string]string `json:"what"`
	Since time.Time         `json:"since,omitzero"` // when it arose (zero when the ledger cannot tell)
	By    string            `json:"by,omitempty"`   // who raised it, where someone did
	// Resolved is who resolved it, when and how; nil while it is open.
	Resolved *Resolution `json:"resolved,omitempty"`
}

// Resolution is what closed an exception.
type Resolution struct {
	By   string    `json:"by"`
	At   time.Time `json:"at"`
	How  string    `json:"how"` // counted, cancelled, approved, rejected, acknowledged, matched, retried, discarded
	Note string    `json:"note,omitempty"`
}

// ExceptionFilter chooses exceptions.
type ExceptionFilter struct {
	Kind  string // empty: every kind
	Owner string // empty: every owner's
	// Days is how far back resolved exceptions are listed, and how far back
	// the kinds found among every parcel's events (overrides, print jobs)
	// are looked for. Open exceptions of every other kind show however old.
	Days int
}

// Exception filter limits.
const (
	DefaultExceptionDays = 7
	MaxExceptionDays     = 90
)

// ExceptionList is the queue: open ones and those resolved within the
// filter's days, each newest first, and the open ones counted per kind
// (before the kind filter, so every badge shows).
type ExceptionList struct {
	Open     []Exception    `json:"open"`
	Resolved []Exception    `json:"resolved"`
	Counts   map[string]int `json:"counts"`
}

// Exceptions reads the queue.
func (l *Ledger) Exceptions(f ExceptionFilter) (ExceptionList, error) {
	if f.Days <= 0 {
		f.Days = DefaultExceptionDays
	}
	f.Days = min(f.Days, MaxExceptionDays)
	if f.Kind != "" && !slices.Contains(ExceptionKinds, f.Kind) {
		return ExceptionList{}, Errf(CodeInvalid, "exception.kind_invalid", "kind", clipText(f.Kind))
	}
	cutoff := l.Now().Add(-time.Duration(f.Days) * 24 * time.Hour)
	var all []Exception
	err := l.view(func(tx *txn) error {
		r := exReader{tx: tx, cutoff: cutoff}
		for _, read := range []func() error{r.shortPicks, r.counts, r.weightRejects, r.overrides, r.lotBlocks, r.returns,
			r.printJobs, r.waybillPools, r.deadLetters} {
			if err := read(); err != nil {
				return err
			}
		}
		all = r.out
		return nil
	})
	if err != nil {
		return ExceptionList{}, err
	}
	out := ExceptionList{Open: []Exception{}, Resolved: []Exception{}, Counts: map[string]int{}}
	for _, k := range ExceptionKinds {
		out.Counts[k] = 0
	}
	owner := ""
	if f.Owner != "" {
		owner = OwnerOr(f.Owner)
	}
	for _, e := range all {
		if owner != "" && !slices.Contains(e.Owners, owner) {
			continue
		}
		if e.Resolved == nil {
			out.Counts[e.Kind]++
		}
		if f.Kind != "" && e.Kind != f.Kind {
			continue
		}
		if e.Resolved == nil {
			out.Open = append(out.Open, e)
		} else if !e.Resolved.At.Before(cutoff) {
			out.Resolved = append(out.Resolved, e)
		}
	}
	slices.SortStableFunc(out.Open, func(a, b Exception) int {
		return cmp.Or(b.Since.Compare(a.Since), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Ref, b.Ref))
	})
	slices.SortStableFunc(out.Resolved, func(a, b Exception) int {
		return cmp.Or(b.Resolved.At.Compare(a.Resolved.At), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Ref, b.Ref))
	})
	return out, nil
}

// exReader gathers exceptions inside one read transaction.
type exReader struct {
	tx     *txn
	cutoff time.Time
	out    []Exception
	floor  floorTaskCache // count tasks that left (taskarchive.go)
}

func (r *exReader) add(e Exception) {
	if e.Owners == nil {
		e.Owners = []string{}
	}
	r.out = append(r.out, e)
}

// eachOfType calls fn with each event of a type, newest first, until fn says stop.
func (r *exReader) eachOfType(typ string, fn func(seq uint64, raw []byte) (bool, error)) error {
	c := r.tx.Bucket(bucketByType).Cursor()
	p := prefixKey(typ)
	k, _ := c.Seek(append(append([]byte{}, p[:len(p)-1]...), sep+1))
	if k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	events := r.tx.Bucket(bucketEvents)
	for ; k != nil && bytes.HasPrefix(k, p); k, _ = c.Prev() {
		seq := seqFromKey(k[len(p):])
		stop, err := fn(seq, events.Get(seqKey(seq)))
		if err != nil || stop {
			return err
		}
	}
	return nil
}

// events decodes every event of a type, newest first.
func (r *exReader) events(typ string, fn func(ev Event) error) error {
	return r.eachOfType(typ, func(_ uint64, raw []byte) (bool, error) {
		var ev Event
		if err := json.Unmarshal(raw, &ev); err != nil {
			return true, err
		}
		return false, fn(ev)
	})
}

func (r *exReader) shortPicks() error {
	return r.events(EvShortReported, func(ev Event) error {
		var p ShortReport
		if err := decode(&ev, &p); err != nil {
			return err
		}
		what := map[string]string{"reason": p.Reason, "count_task": p.CountTask}
		var got int64
		for _, a := range p.Realloc {
			got += a.Qty
		}
		what["realloc"] = strconv.FormatInt(got, 10)
		if t, ok, err := lookupTask(r.tx, p.Task); err != nil {
			return err
		} else if ok {
			if line, found := t.Line(p.Line); found {
				what["location"], what["sku"], what["order"] = line.Location, line.SKU, line.Order
				if line.Lot != "" {
					what["lot"] = line.Lot
				}
			}
		}
		e := Exception{Kind: ExShortPick, Ref: p.CountTask, Owners: []string{OwnerOf(ev)}, What: what, Since: ev.At, By: ev.Actor}
		count, ok, err := lookupTask(r.tx, p.CountTask)
		if err == nil && !ok && p.CountTask != "" { // finished and archived (taskarchive.go)
			count, ok, err = r.floor.find(r.tx, p.CountTask, ev.At)
		}
		if err != nil {
			return err
		}
		switch {
		case !ok:
		case count.State == TaskDone && count.Finished != nil:
			e.Resolved = &Resolution{By: count.Actor, At: *count.Finished, How: "counted"}
		case count.State == TaskCancelled:
			at := ev.At
			if count.Finished != nil {
				at = *count.Finished
			}
			e.Resolved = &Resolution{By: count.Actor, At: at, How: "cancelled"}
		}
		r.add(e)
		return nil
	})
}

func (r *exReader) counts() error {
	decided := map[string]Resolution{}
	err := r.events(EvCountDecided, func(ev Event) error {
		var d CountDecision
		if err := decode(&ev, &d); err != nil {
			return err
		}
		if _, seen := decided[d.Count]; !seen { // newest first: a count is decided once
			how := "rejected"
			if d.Approve {
				how = "approved"
			}
			decided[d.Count] = Resolution{By: ev.Actor, At: ev.At, How: how}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return r.tx.Bucket(bucketCounts).ForEach(func(k, v []byte) error {
		var res CountResult
		if err := jsonUnmarshal(v, &res); err != nil {
			return err
		}
		d, wasDecided := decided[res.ID]
		if res.State != "pending" && !wasDecided {
			return nil // applied at once: nothing needed a person
		}
		e := Exception{Kind: ExCountVariance, Ref: res.ID, By: res.Actor, What: map[string]string{"location": res.Location}}
		var diff, lines int64
		for _, line := range res.Lines {
			if o := OwnerOr(line.Owner); !slices.Contains(e.Owners, o) {
				e.Owners = append(e.Owners, o)
			}
			if line.Diff() != 0 {
				lines++
				diff += line.Diff()
			}
		}
		slices.Sort(e.Owners)
		e.What["lines"], e.What["diff"] = strconv.FormatInt(lines, 10), strconv.FormatInt(diff, 10)
		if seq, err := strconv.ParseUint(strings.TrimPrefix(res.ID, "K"), 10, 64); err == nil {
			if ev, err := eventAt(r.tx, seq); err == nil {
				e.Since = ev.At
			}
		}
		if res.State != "pending" {
			e.Resolved = &d
		}
		r.add(e)
		return nil
	})
}

func (r *exReader) acked(kind, ref string) (*Resolution, error) {
	a, ok, err := lookup[ackRecord](r.tx, bucketExceptionAcks, exceptionAckKey(kind, ref))
	if err != nil || !ok {
		return nil, err
	}
	return &Resolution{By: a.Actor, At: a.At, How: "acknowledged", Note: a.Note}, nil
}

func (r *exReader) weightRejects() error {
	return r.events(EvWeightRejected, func(ev Event) error {
		var p WeightRejected
		if err := decode(&ev, &p); err != nil {
			return err
		}
		e := Exception{Kind: ExWeightReject, Ref: ev.ID, Owners: []string{OwnerOf(ev)}, Since: ev.At, By: ev.Actor,
			What: map[string]string{"order": p.Order, "station": p.Station, "weight": strconv.Itoa(p.WeightG), "expected": strconv.Itoa(p.Expected)}}
		res, err := r.acked(ExWeightReject, ev.ID)
		if err != nil {
			return err
		}
		e.Resolved = res
		r.add(e)
		return nil
	})
}

// overrides walks parcels closed within the filter's days (every parcel is
// one event: a raw search for the override field spares decoding the rest).
func (r *exReader) overrides() error {
	mark := []byte(`"override":`)
	n := 0
	return r.eachOfType(EvParcelClosed, func(_ uint64, raw []byte) (bool, error) {
		n++
		if !bytes.Contains(raw, mark) && n%64 != 0 {
			return false, nil
		}
		var ev Event
		if err := json.Unmarshal(raw, &ev); err != nil {
			return true, err
		}
		if ev.At.Before(r.cutoff) {
			return true, nil
		}
		var p ParcelClose
		if err := decode(&ev, &p); err != nil {
			return true, err
		}
		if p.Parcel == nil || p.Parcel.Override == nil {
			return false, nil
		}
		e := Exception{Kind: ExWeightOverride, Ref: ev.ID, Owners: []string{OwnerOf(ev)}, Since: ev.At, By: ev.Actor,
			What: map[string]string{"order": p.Order, "station": p.Station, "weight": strconv.Itoa(p.Parcel.WeightG),
				"expected": strconv.Itoa(p.Parcel.ExpectedG), "supervisor": p.Parcel.Override.Badge, "reason": p.Parcel.Override.Reason}}
		res, err := r.acked(ExWeightOverride, ev.ID)
		if err != nil {
			return true, err
		}
		e.Resolved = res
		r.add(e)
		return false, nil
	})
}

// lotBlocks lists expired and held lots with stock outside quarantine,
// damaged and return-to-supplier places: stock that must not ship and still
// sits where it could be picked.
func (r *exReader) lotBlocks() error {
	kinds := map[string]LocationKind{}
	kindOf := func(code string) (LocationKind, error) {
		if k, ok := kinds[code]; ok {
			return k, nil
		}
		loc, _, err := lookup[Location](r.tx, bucketLocations, []byte(code))
		kinds[code] = loc.Kind
		return loc.Kind, err
	}
	return r.tx.Bucket(bucketLots).ForEach(func(k, v []byte) error {
		var lot Lot
		if err := jsonUnmarshal(v, &lot); err != nil {
			return err
		}
		kind := ExExpiryBlock
		switch lot.Status {
		case LotExpired:
		case LotHold:
			kind = ExRecallBlock
		default:
			return nil
		}
		parts := splitKey(k)
		if len(parts) != 3 {
			return nil
		}
		owner := parts[0]
		var qty int64
		var places []string
		c := r.tx.Bucket(bucketStock).Cursor()
		p := prefixKey(parts...)
		for sk, sv := c.Seek(p); sk != nil && bytes.HasPrefix(sk, p); sk, sv = c.Next() {
			loc := string(sk[len(p):])
			lk, err := kindOf(loc)
			if err != nil {
				return err
			}
			if q := qtyFromValue(sv); q > 0 && lk != KindQuarantine && lk != KindDamaged && lk != KindSupplier {
				qty += q
				places = append(places, loc)
			}
		}
		if qty == 0 {
			return nil
		}
		e := Exception{Kind: kind, Ref: strings.Join(parts, "/"), Owners: []string{owner},
			What: map[string]string{"sku": parts[1], "lot": parts[2], "qty": strconv.FormatInt(qty, 10), "locations": strings.Join(places, " ")}}
		if lot.Expiry != "" {
			e.What["expiry"] = lot.Expiry
		}
		since, by, err := r.statusSince(parts)
		if err != nil {
			return err
		}
		e.Since, e.By = since, by
		r.add(e)
		return nil
	})
}

// statusSince finds the newest event that set a lot's status.
func (r *exReader) statusSince(lot []string) (time.Time, string, error) {
	if len(lot) != 3 {
		return time.Time{}, "", nil
	}
	seqs, err := lotSeqs(r.tx, lot[0], lot[1], lot[2]) // archived, then live (lotarchive.go)
	if err != nil {
		return time.Time{}, "", err
	}
	for i := len(seqs) - 1; i >= 0; i-- {
		ev, err := eventAt(r.tx, seqs[i])
		if err != nil {
			return time.Time{}, "", err
		}
		if ev.Type == EvLotStatus || ev.Type == EvLotRecalled || ev.Type == EvLotsSwept {
			return ev.At, ev.Actor, nil
		}
	}
	return time.Time{}, "", nil
}

func (r *exReader) returns() error {
	matched := map[string]Resolution{}
	err := r.events(EvReturnMatched, func(ev Event) error {
		var m ReturnMatch
		if err := decode(&ev, &m); err != nil {
			return err
		}
		if ev.At.Before(r.cutoff) {
			return nil
		}
		matched[m.Parcel] = Resolution{By: ev.Actor, At: ev.At, How: "matched"}
		return nil
	})
	if err != nil {
		return err
	}
	add := func(p ReturnParcel) {
		e := Exception{Kind: ExUnknownReturn, Ref: p.ID, Owners: []string{OwnerOr(p.Owner)}, Since: p.At, By: p.Actor,
			What: map[string]string{"parcel": p.ID, "lines": strconv.Itoa(len(p.Lines))}}
		if p.ReturnWaybill != "" {
			e.What["waybill"] = p.ReturnWaybill
		}
		if res, ok := matched[p.ID]; ok && p.Order != "" {
			e.What["order"] = p.Order
			e.Resolved = &res
		}
		r.add(e)
	}
	b := r.tx.Bucket(bucketReturns)
	for id := range matched {
		p, ok, err := getParcel(r.tx, id) // live or archived (parcelarchive.go)
		if err != nil {
			return err
		}
		if ok {
			add(p)
		}
	}
	return b.ForEach(func(k, v []byte) error {
		if !bytes.Contains(v, []byte(`"order":`)) { // unknown parcels have no order: skip decoding the rest
			var p ReturnParcel
			if err := jsonUnmarshal(v, &p); err != nil {
				return err
			}
			if p.Order == "" {
				add(p)
			}
		}
		return nil
	})
}

// printJobs walks the print requests of the filter's days for jobs that
// gave up, and the retries that sent them back.
func (r *exReader) printJobs() error {
	retried := map[string]Resolution{}
	err := r.events(EvPrintRetried, func(ev Event) error {
		var p PrintRetry
		if err := decode(&ev, &p); err != nil {
			return err
		}
		if _, seen := retried[p.Job]; !seen && !ev.At.Before(r.cutoff) {
			retried[p.Job] = Resolution{By: ev.Actor, At: ev.At, How: "retried"}
		}
		return nil
	})
	if err != nil {
		return err
	}
	jobs := r.tx.Bucket(bucketPrintJobs)
	failed := []byte(`"status":"failed"`)
	add := func(j PrintJob) {
		e := Exception{Kind: ExPrintFailed, Ref: j.ID, Owners: []string{OwnerOr(j.Owner)}, Since: j.Updated, By: j.Actor,
			What: map[string]string{"job": j.ID, "station": j.Station, "order": j.Order, "parcel": strconv.Itoa(j.Parcel), "tries": strconv.Itoa(j.Tries)}}
		if j.Error != "" {
			e.What["error"] = j.Error
		}
		if !j.GaveUp() {
			res := retried[j.ID]
			e.Resolved = &res
		}
		r.add(e)
	}
	seen := map[string]bool{}
	for id := range retried {
		j, ok, err := lookup[PrintJob](r.tx, bucketPrintJobs, []byte(id))
		if err != nil {
			return err
		}
		if ok {
			seen[id] = true
			add(j)
		}
	}
	return r.eachOfType(EvPrintRequested, func(seq uint64, _ []byte) (bool, error) {
		id := printJobID(seq)
		raw := jobs.Get([]byte(id))
		if raw == nil || seen[id] || !bytes.Contains(raw, failed) {
			return false, nil
		}
		var j PrintJob
		if err := jsonUnmarshal(raw, &j); err != nil {
			return true, err
		}
		if j.Created.Before(r.cutoff) {
			return true, nil
		}
		if j.GaveUp() {
			add(j)
		}
		return false, nil
	})
}

// waybillPools lists every account ever loaded whose pool holds fewer than
// LowWaybillPool numbers. It arose when the number that took the pool below
// the mark was used: the parcel that took it is searched for among the
// parcels closed since that number was loaded.
func (r *exReader) waybillPools() error {
	type pool struct {
		owner, account string
		loads          []Event
		numbers        []string // in the order they are handed out
	}
	pools := map[string]*pool{}
	var order []string
	err := r.events(EvWaybillsLoaded, func(ev Event) error {
		var p WaybillLoad
		if err := decode(&ev, &p); err != nil {
			return err
		}
		owner := OwnerOf(ev)
		key := string(joinKey(owner, p.Account))
		pl, ok := pools[key]
		if !ok {
			pl = &pool{owner: owner, account: p.Account}
			pools[key] = pl
			order = append(order, key)
		}
		pl.loads = append(pl.loads, ev)                             // newest first
		pl.numbers = append(slices.Clone(p.Numbers), pl.numbers...) // oldest load first
		return nil
	})
	if err != nil {
		return err
	}
	c := r.tx.Bucket(bucketWaybillPool).Cursor()
	for _, key := range order {
		pl := pools[key]
		p := prefixKey(pl.owner, pl.account)
		left := 0
		for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
			left++
		}
		if left >= LowWaybillPool {
			continue
		}
		e := Exception{Kind: ExWaybillPoolLow, Ref: pl.owner + "/" + pl.account, Owners: []string{pl.owner},
			What: map[string]string{"account": pl.account, "left": strconv.Itoa(left), "mark": strconv.Itoa(LowWaybillPool)}}
		if len(pl.numbers) < LowWaybillPool {
			e.Since = pl.loads[len(pl.loads)-1].At // never held enough
		} else if since, err := r.numberUsed(pl.numbers[len(pl.numbers)-LowWaybillPool], pl.loads); err != nil {
			return err
		} else {
			e.Since = since
		}
		r.add(e)
	}
	return nil
}

// numberUsed finds when a waybill number went on a parcel.
func (r *exReader) numberUsed(number string, loads []Event) (time.Time, error) {
	var at time.Time
	mark := []byte(`"waybill":"` + number + `"`)
	oldest := loads[len(loads)-1].Seq
	err := r.eachOfType(EvParcelClosed, func(seq uint64, raw []byte) (bool, error) {
		if seq < oldest {
			return true, nil
		}
		if !bytes.Contains(raw, mark) {
			return false, nil
		}
		var ev Event
		if err := json.Unmarshal(raw, &ev); err != nil {
			return true, err
		}
		at = ev.At
		return true, nil
	})
	return at, err
}

func (r *exReader) deadLetters() error {
	key := func(upstream string, seq uint64) string { return upstream + "/" + strconv.FormatUint(seq, 10) }
	open := map[string]bool{}
	c := r.tx.Bucket(bucketDeadLetters).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		var d DeadLetter
		if err := jsonUnmarshal(v, &d); err != nil {
			return err
		}
		if d.State != DeadOpen {
			continue
		}
		open[key(d.Upstream, d.Seq)] = true
		r.add(deadException(r.tx, d, key(d.Upstream, d.Seq)))
	}
	seen := map[string]bool{}
	return r.events(EvDeadLetterDecided, func(ev Event) error {
		var d DeadLetterDecision
		if err := decode(&ev, &d); err != nil {
			return err
		}
		k := key(d.Upstream, d.Seq)
		if seen[k] || open[k] || ev.At.Before(r.cutoff) {
			return nil
		}
		seen[k] = true
		how := "retried"
		if d.Action == "discard" {
			how = "discarded"
		}
		dl, _, err := lookup[DeadLetter](r.tx, bucketDeadLetters, deadKey(d.Upstream, d.Seq))
		if err != nil {
			return err
		}
		dl.Upstream, dl.Seq = d.Upstream, d.Seq
		e := deadException(r.tx, dl, k)
		e.Resolved = &Resolution{By: ev.Actor, At: ev.At, How: how}
		r.add(e)
		return nil
	})
}

// deadException describes a dead letter; one already discarded is known only
// by its upstream and seq, and the event it was.
func deadException(tx *txn, d DeadLetter, ref string) Exception {
	e := Exception{Kind: ExDeadLetter, Ref: ref, Since: d.At, Owners: []string{},
		What: map[string]string{"upstream": d.Upstream, "seq": strconv.FormatUint(d.Seq, 10), "type": d.Type, "code": d.Code, "reason": d.Reason}}
	if ev, err := eventAt(tx, d.Seq); err == nil {
		if d.Type == "" { // discarded: only the event says what it was
			e.What["type"] = ev.Type
		}
		if o := OwnerOf(ev); o != "" {
			e.Owners = []string{o}
		}
	}
	return e
}
