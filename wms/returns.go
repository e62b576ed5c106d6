package wms

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Conditions a returned unit can be in.
const (
	CondResellable = "resellable"
	CondDamaged    = "damaged"
	CondExpired    = "expired"
	CondOpened     = "opened"
	CondWrongItem  = "wrong_item"
	CondMissing    = "missing"
)

// Conditions lists them in the order the screen offers them.
var Conditions = []string{CondResellable, CondDamaged, CondExpired, CondOpened, CondWrongItem, CondMissing}

// RMA is a return the OMS announced.
type RMA struct {
	// Owner is whose return (the original order's owner). The command moves
	// it to the envelope; the stored RMA names it.
	Owner         string `json:"owner,omitempty"`
	RMA           string `json:"rma"`
	Order         string `json:"order"`
	ReturnWaybill string `json:"return_waybill,omitempty"`
	Reason        string `json:"reason,omitempty"`
}

// ReturnLine is units of one SKU (and lot, and serial) found in a returned parcel.
type ReturnLine struct {
	SKU       string `json:"sku"`
	Lot       string `json:"lot,omitempty"`
	Serial    string `json:"serial,omitempty"`
	Qty       int64  `json:"qty"`
	Condition string `json:"condition"`
	// decided
	Location string `json:"location,omitempty"` // where the units were put (none for missing)
	Swap     bool   `json:"swap,omitempty"`     // a serial this order did not ship: possible swap
	Why      string `json:"why,omitempty"`      // message key when a resellable unit may not go back on a shelf

	// PutBack is the shelf the units were put back on from the returns
	// location, read from their put-back event; never stored with the parcel.
	PutBack string `json:"-"`
}

// ReturnParcel is one returned parcel, inspected.
type ReturnParcel struct {
	ID            string       `json:"id"`
	Owner         string       `json:"owner,omitempty"` // the order's owner: returned units go back under it
	Order         string       `json:"order,omitempty"` // empty: unknown parcel
	RMA           string       `json:"rma,omitempty"`
	ReturnWaybill string       `json:"return_waybill,omitempty"`
	Lines         []ReturnLine `json:"lines"`
	Notes         string       `json:"notes,omitempty"`
	Today         string       `json:"today"`
	Actor         string       `json:"actor,omitempty"`
	At            time.Time    `json:"at"`
	Matched       *time.Time   `json:"matched,omitempty"` // an unknown parcel matched to its order later
}

// ReturnMatch ties an unknown parcel to its order once it is known.
type ReturnMatch struct {
	Owner  string `json:"owner,omitempty"`
	Parcel string `json:"parcel"`
	Order  string `json:"order"`
	Today  string `json:"today"`
}

// ShippedLine is what an order shipped of one SKU and lot, and what came back.
type ShippedLine struct {
	SKU      string   `json:"sku"`
	Lot      string   `json:"lot,omitempty"`
	Shipped  int64    `json:"shipped"`
	Returned int64    `json:"returned"`
	Serials  []string `json:"serials,omitempty"`
}

func retKey(sku, lot string) string { return sku + "\x00" + lot }

// shippedOf lists what an order shipped (from its parcels) and what has come back.
func shippedOf(tx *txn, owner, order string) ([]ShippedLine, error) {
	o, err := orderTx(tx, owner, order)
	if ErrorCode(err) == CodeNotFound {
		if archived, aerr := isArchivedOrder(tx, owner, order); aerr != nil || archived { // returnarchive.go
			if aerr == nil {
				aerr = Errf(CodeConflict, "return.order_archived", "order", order)
			}
			return nil, aerr
		}
	}
	if err != nil {
		return nil, err
	}
	if o.State != OrderShipped {
		return nil, Errf(CodeConflict, "return.not_shipped", "order", order, "state", string(o.State))
	}
	ps, err := getPack(tx, owner, order)
	if err != nil {
		return nil, err
	}
	var out []ShippedLine
	for _, p := range ps.Parcels {
		for _, it := range p.Items {
			i := slices.IndexFunc(out, func(s ShippedLine) bool { return s.SKU == it.SKU && s.Lot == it.Lot })
			if i < 0 {
				out = append(out, ShippedLine{SKU: it.SKU, Lot: it.Lot})
				i = len(out) - 1
			}
			out[i].Shipped += it.Qty
			out[i].Serials = append(out[i].Serials, it.Serials...)
		}
	}
	returned := map[string]int64{}
	if _, err := getJSON(tx.Bucket(bucketOrderReturns), orderKey(owner, order), &returned); err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Returned = returned[retKey(out[i].SKU, out[i].Lot)]
	}
	return out, nil
}

// firstLocation is the first location of a kind (by pick sequence), or "".
func firstLocation(tx *txn, kind LocationKind, prefix string) string {
	best, bestSeq := "", -1
	_ = tx.Bucket(bucketLocations).ForEach(func(k, v []byte) error {
		var loc Location
		if err := jsonUnmarshal(v, &loc); err != nil {
			return err
		}
		if loc.Kind == kind && strings.HasPrefix(loc.Code, prefix) && (bestSeq < 0 || loc.PickSeq < bestSeq) {
			best, bestSeq = loc.Code, loc.PickSeq
		}
		return nil
	})
	return best
}

// ReturnsStaging is where units wait: resellable ones until they are put
// back on a pick face, unknown parcels until they are matched.
func returnsStaging(tx *txn) string { return firstLocation(tx, KindReturns, "RET") }

func applyRMA(tx *txn, ev *Event) error {
	var r RMA
	if err := decode(ev, &r); err != nil {
		return err
	}
	owner, err := ownerFor(ev, r.Owner)
	if err != nil {
		return err
	}
	r.Owner = owner
	if !validCode(r.RMA) || !validCode(r.Order) {
		return Errf(CodeInvalid, "return.rma_invalid", "rma", r.RMA)
	}
	if tx.Bucket(bucketOrders).Get(orderKey(owner, r.Order)) == nil {
		if archived, err := isArchivedOrder(tx, owner, r.Order); err != nil || archived { // returnarchive.go
			if err == nil {
				err = Errf(CodeConflict, "return.order_archived", "order", r.Order)
			}
			return err
		}
		return Errf(CodeNotFound, "order.not_found", "order", r.Order, "owner", owner)
	}
	if err := putJSON(tx.Bucket(bucketRMAs), rmaKey(owner, r.RMA), storedRMA{r, ev.At}); err != nil { // returnarchive.go
		return err
	}
	if r.ReturnWaybill != "" {
		return tx.Bucket(bucketReturnWaybills).Put([]byte(r.ReturnWaybill), rmaKey(owner, r.RMA))
	}
	return nil
}

// returnOf checks a returned parcel: its lines, whose it is, and that it was
// not seen before. It answers what the order shipped (nothing for an
// unknown parcel).
func returnOf(tx *txn, ev *Event, p ReturnParcel) (owner string, shipped []ShippedLine, err error) {
	if len(p.Lines) == 0 {
		return "", nil, Errf(CodeInvalid, "return.no_lines")
	}
	if owner, err = ownerFor(ev, p.Owner); err != nil {
		return "", nil, err
	}
	if p.ReturnWaybill != "" {
		if prev := tx.Bucket(bucketReturnSeen).Get([]byte(p.ReturnWaybill)); prev != nil && string(prev) != p.ID {
			if parcelArchived(tx, string(prev)) { // parcelarchive.go
				return "", nil, Errf(CodeConflict, "return.parcel_archived", "waybill", p.ReturnWaybill, "parcel", string(prev))
			}
			return "", nil, Errf(CodeConflict, "return.parcel_seen", "waybill", p.ReturnWaybill)
		}
	}
	if tx.Bucket(bucketReturns).Get([]byte(p.ID)) != nil || parcelArchived(tx, p.ID) {
		return "", nil, Errf(CodeConflict, "return.parcel_seen", "waybill", p.ID)
	}
	if p.Order != "" {
		if shipped, err = shippedOf(tx, owner, p.Order); err != nil {
			return "", nil, err
		}
	}
	return owner, shipped, nil
}

// decideReturnReceived decides, line by line, the lot the units shipped
// from, whether a serial looks swapped, and where the units go by the rules
// of the day (the returns area, quarantine when too old or held to sell
// again, the damaged area, back to the supplier).
func decideReturnReceived(tx *txn, ev *Event) error {
	var p ReturnParcel
	if err := decode(ev, &p); err != nil {
		return err
	}
	owner, shipped, err := returnOf(tx, ev, p)
	if err != nil {
		return err
	}
	staging := returnsStaging(tx)
	if staging == "" {
		return Errf(CodeConflict, "return.no_location", "kind", string(KindReturns))
	}
	added := map[string]int64{}
	for i := range p.Lines {
		l := &p.Lines[i]
		if l.Qty <= 0 || !slices.Contains(Conditions, l.Condition) {
			return Errf(CodeInvalid, "return.line_invalid", "sku", l.SKU)
		}
		sku, err := mustGet[SKU](tx, bucketSKUs, skuKey(owner, l.SKU), "sku.not_found", "sku", l.SKU, "owner", owner)
		if err != nil {
			return err
		}
		l.Location, l.Swap, l.Why = "", false, ""
		if !sku.LotTracked {
			l.Lot = ""
		}
		if p.Order != "" && l.Condition != CondWrongItem {
			if sku.SerialTracked && (l.Serial == "" || l.Qty != 1) {
				return Errf(CodeInvalid, "pack.serial_needed", "sku", l.SKU)
			}
			if err := claim(shipped, added, l, p.Order); err != nil {
				return err
			}
		}
		// where the units go
		switch {
		case l.Condition == CondMissing:
			l.Location = ""
		case p.Order == "" || l.Swap || l.Condition == CondWrongItem:
			l.Location = staging // to be matched or looked at; never back on a shelf as is
			if l.Swap {
				l.Location = firstLocation(tx, KindQuarantine, "")
			}
		case l.Condition == CondResellable:
			var lot Lot
			if err := readLotInto(tx, &lot, owner, l.SKU, l.Lot); err != nil {
				return err
			}
			l.Location = staging
			if ok, why := Shippable(sku, lot, sku.MinOutboundLifePct, p.Today); !ok {
				// fine to look at, but too old (or held) to sell again: quarantine
				l.Location, l.Why = firstLocation(tx, KindQuarantine, ""), why
			}
		case l.Condition == CondDamaged || l.Condition == CondOpened:
			l.Location = firstLocation(tx, KindDamaged, "")
		default: // expired: back to the supplier where the warehouse has such an area
			if l.Location = firstLocation(tx, KindSupplier, ""); l.Location == "" {
				l.Location = firstLocation(tx, KindQuarantine, "")
			}
		}
		if l.Condition != CondMissing && l.Location == "" {
			return Errf(CodeConflict, "return.no_location", "kind", l.Condition)
		}
	}
	p.Actor, p.At, p.Owner = ev.Actor, ev.At, "" // the envelope names the owner
	return setPayload(ev, p)
}

// applyReturnReceived puts the returned units where the parcel's decision
// sent them and counts them against what the order shipped.
func applyReturnReceived(tx *txn, ev *Event) error {
	var p ReturnParcel
	if err := decode(ev, &p); err != nil {
		return err
	}
	if p.At.IsZero() { // the decider stamps every parcel it decided
		return undecided(ev)
	}
	owner, shipped, err := returnOf(tx, ev, p)
	if err != nil {
		return err
	}
	p.Owner = owner
	added := map[string]int64{}
	for i := range p.Lines {
		l := &p.Lines[i]
		if l.Qty <= 0 || !slices.Contains(Conditions, l.Condition) {
			return Errf(CodeInvalid, "return.line_invalid", "sku", l.SKU)
		}
		if _, err := mustGet[SKU](tx, bucketSKUs, skuKey(owner, l.SKU), "sku.not_found", "sku", l.SKU, "owner", owner); err != nil {
			return err
		}
		if p.Order != "" && l.Condition != CondWrongItem {
			if err := countClaim(shipped, added, *l, p.Order); err != nil {
				return err
			}
		}
		if l.Condition != CondMissing && l.Location == "" {
			return Errf(CodeConflict, "return.no_location", "kind", l.Condition)
		}
		if l.Location != "" {
			have, err := placeStock(tx, owner, l.SKU, l.Lot, "", l.Location)
			if err != nil {
				return err
			}
			if err := writeQty(tx, owner, l.SKU, l.Lot, l.Location, have+l.Qty); err != nil {
				return err
			}
		}
		if l.Serial != "" && l.Condition != CondMissing && l.Condition != CondWrongItem {
			if err := serialReturned(tx, owner, *l, p.ID); err != nil {
				return err
			}
		}
	}
	if p.Order != "" {
		if err := addReturned(tx, owner, p.Order, added); err != nil {
			return err
		}
	}
	if p.ReturnWaybill != "" {
		if err := tx.Bucket(bucketReturnSeen).Put([]byte(p.ReturnWaybill), []byte(p.ID)); err != nil {
			return err
		}
	}
	if err := putJSON(tx.Bucket(bucketReturns), []byte(p.ID), p); err != nil {
		return err
	}
	return bumpReturnStats(tx, p, ev.Actor)
}

// countClaim counts a decided line (its lot the one shipped) against what
// the order shipped, less what came back before and earlier in this parcel.
func countClaim(shipped []ShippedLine, added map[string]int64, l ReturnLine, order string) error {
	j := slices.IndexFunc(shipped, func(s ShippedLine) bool { return s.SKU == l.SKU && s.Lot == l.Lot })
	if j < 0 {
		return Errf(CodeConflict, "return.not_shipped_item", "sku", l.SKU, "lot", l.Lot, "order", order)
	}
	s := shipped[j]
	k := retKey(s.SKU, s.Lot)
	if s.Returned+added[k]+l.Qty > s.Shipped {
		return Errf(CodeConflict, "return.too_many", "sku", l.SKU, "left", strconv.FormatInt(s.Shipped-s.Returned-added[k], 10))
	}
	added[k] += l.Qty
	return nil
}

// claim checks a returned line against what the order shipped, less what
// came back before and earlier in this parcel (added), and counts it. It fills
// in the lot shipped and flags a serial the order did not ship.
func claim(shipped []ShippedLine, added map[string]int64, l *ReturnLine, order string) error {
	j := slices.IndexFunc(shipped, func(s ShippedLine) bool { return s.SKU == l.SKU && (l.Lot == "" || s.Lot == l.Lot) })
	if j < 0 {
		return Errf(CodeConflict, "return.not_shipped_item", "sku", l.SKU, "lot", l.Lot, "order", order)
	}
	s := shipped[j]
	k := retKey(s.SKU, s.Lot)
	if s.Returned+added[k]+l.Qty > s.Shipped {
		return Errf(CodeConflict, "return.too_many", "sku", l.SKU, "left", strconv.FormatInt(s.Shipped-s.Returned-added[k], 10))
	}
	added[k] += l.Qty
	l.Lot = s.Lot
	l.Swap = l.Serial != "" && !slices.Contains(s.Serials, l.Serial)
	return nil
}

func addReturned(tx *txn, owner, order string, added map[string]int64) error {
	returned := map[string]int64{}
	if _, err := getJSON(tx.Bucket(bucketOrderReturns), orderKey(owner, order), &returned); err != nil {
		return err
	}
	for k, n := range added {
		returned[k] += n
	}
	return putJSON(tx.Bucket(bucketOrderReturns), orderKey(owner, order), returned)
}

// ReturnStats are the returns figures of a day: units by clerk, by condition and by SKU.
type ReturnStats struct {
	ByClerk     map[string]int64 `json:"by_clerk"`
	ByCondition map[string]int64 `json:"by_condition"`
	BySKU       map[string]int64 `json:"by_sku"`
	Parcels     int64            `json:"parcels"`
	Unknown     int64            `json:"unknown"`
	Swaps       int64            `json:"swaps"`
}

func bumpReturnStats(tx *txn, p ReturnParcel, actor string) error {
	if err := addReturnStats(tx.Bucket(bucketReturnStats), []byte(p.Today), p, actor); err != nil {
		return err
	}
	// the owner's part: the parcel is booked under its (order's) owner
	owner := p.Owner
	if tx.apply != nil && tx.apply.ev != nil && tx.apply.ev.Owner != "" {
		owner = tx.apply.ev.Owner
	}
	return addReturnStats(tx.Bucket(bucketOwnerReturns), joinKey(p.Today, OwnerOr(owner)), p, actor)
}

func addReturnStats(b *bucket, key []byte, p ReturnParcel, actor string) error {
	s := ReturnStats{ByClerk: map[string]int64{}, ByCondition: map[string]int64{}, BySKU: map[string]int64{}}
	if _, err := getJSON(b, key, &s); err != nil {
		return err
	}
	s.Parcels++
	if p.Order == "" {
		s.Unknown++
	}
	for _, l := range p.Lines {
		s.ByClerk[actor] += l.Qty
		s.ByCondition[l.Condition] += l.Qty
		s.BySKU[l.SKU] += l.Qty
		if l.Swap {
			s.Swaps++
		}
	}
	return putJSON(b, key, s)
}

func applyReturnMatched(tx *txn, ev *Event) error {
	var m ReturnMatch
	if err := decode(ev, &m); err != nil {
		return err
	}
	owner, err := ownerFor(ev, m.Owner)
	if err != nil {
		return err
	}
	p, err := mustGet[ReturnParcel](tx, bucketReturns, []byte(m.Parcel), "return.parcel_not_found", "parcel", m.Parcel)
	if err != nil {
		return err
	}
	if p.Order != "" {
		return Errf(CodeConflict, "return.already_matched", "parcel", m.Parcel, "order", p.Order)
	}
	if OwnerOr(p.Owner) != owner { // its units sit under the owner it was booked for
		return Errf(CodeConflict, "return.other_owner", "parcel", m.Parcel, "owner", OwnerOr(p.Owner), "order_owner", owner)
	}
	shipped, err := shippedOf(tx, owner, m.Order)
	if err != nil {
		return err
	}
	added := map[string]int64{}
	for i := range p.Lines {
		l := &p.Lines[i]
		if l.Condition == CondWrongItem {
			continue
		}
		if err := claim(shipped, added, l, m.Order); err != nil {
			return err
		}
	}
	if err := addReturned(tx, owner, m.Order, added); err != nil {
		return err
	}
	at := ev.At
	p.Order, p.Matched = m.Order, &at
	return putJSON(tx.Bucket(bucketReturns), []byte(p.ID), p)
}

// --- commands and reads ---

// AnnounceReturn records an RMA from the OMS, named by its owner and number:
// the same RMA sent again changes nothing. It answers with the RMA as
// recorded (the first one sent under its number).
//
// key is the client's key ("" when it sent none): a repeat of it gets the
// first answer; the key with another RMA or content is refused.
func (l *Ledger) AnnounceReturn(ctx context.Context, key string, r RMA, actor, device string) (RMA, error) {
	if err := checkFree(FieldReason, r.Reason, false); err != nil {
		return RMA{}, err
	}
	if r.ReturnWaybill != "" && !ValidWaybill(r.ReturnWaybill) {
		return RMA{}, Errf(CodeInvalid, "waybill.number_format", "waybill", clip(r.ReturnWaybill))
	}
	asked := r
	owner := OwnerOr(r.Owner)
	r.Owner = ""
	id := "rma:" + r.RMA
	if owner != DefaultOwner {
		id = "rma:" + owner + ":" + r.RMA
	}
	recorded := func(ev *Event) (RMA, error) {
		var out RMA
		err := decode(ev, &out)
		out.Owner = owner
		return out, err
	}
	if key == "" {
		ev, err := newOwnedEvent(id, EvReturnAnnounced, actor, device, owner, r)
		if err != nil {
			return RMA{}, err
		}
		stored, _, err := l.Append(ctx, ev)
		if err != nil {
			return RMA{}, err
		}
		return recorded(&stored)
	}
	k := keyed{id: key, typ: EvReturnAnnounced, target: OrderRef(owner, r.RMA), actor: actor, request: asked}
	return runKeyed(ctx, l, k, func() (Event, error) {
		return newOwnedEvent(id, EvReturnAnnounced, actor, device, owner, r)
	}, func(tx *txn, ev *Event) (RMA, error) { return recorded(ev) })
}

// ReceiveReturn books one inspected parcel, under its Owner (the order's;
// for an unknown parcel, whose goods the clerk found in it). The parcel's ID
// is the key of the form that booked it: a repeat gets the parcel as first
// booked; the ID with other lines, by another clerk, is refused.
func (l *Ledger) ReceiveReturn(ctx context.Context, p ReturnParcel, actor, device string) (ReturnParcel, error) {
	if err := checkFree(FieldNote, p.Notes, false); err != nil {
		return ReturnParcel{}, err
	}
	// a code scanned off the parcel, whatever carrier printed it
	if p.ReturnWaybill != "" && !validCode(p.ReturnWaybill) {
		return ReturnParcel{}, Errf(CodeInvalid, "waybill.number_format", "waybill", clip(p.ReturnWaybill))
	}
	p.Today = ""
	owner := p.Owner
	asked := p
	p.Owner = ""
	id := "return:" + p.ID
	k := keyed{id: id, typ: EvReturnReceived, target: p.ID, actor: actor, request: asked}
	return runKeyed(ctx, l, k, func() (Event, error) {
		p.Today = l.Today()
		return newOwnedEvent(id, EvReturnReceived, actor, device, owner, p)
	}, func(tx *txn, ev *Event) (ReturnParcel, error) {
		var out ReturnParcel
		err := decode(ev, &out)
		out.Owner = OwnerOr(owner)
		return out, err
	})
}

// MatchReturn ties an unknown parcel to one of the default owner's orders.
func (l *Ledger) MatchReturn(ctx context.Context, key, parcel, order, actor, device string) (ReturnParcel, error) {
	return l.Books(DefaultOwner).MatchReturn(ctx, key, parcel, order, actor, device)
}

// MatchReturn ties an unknown parcel to one of the owner's orders. The
// event is named by the parcel (it is matched once); it answers with the
// parcel as matched. key is the form's or client's key ("" for none): a
// repeat gets the first answer; the key for another parcel or order is
// refused.
func (b Books) MatchReturn(ctx context.Context, key, parcel, order, actor, device string) (ReturnParcel, error) {
	id := "match:" + parcel
	asked := ReturnMatch{Owner: b.owner, Parcel: parcel, Order: order}
	if key == "" {
		key = newID()
	}
	k := keyed{id: key, typ: EvReturnMatched, target: parcel, actor: actor, request: asked}
	return runKeyed(ctx, b.l, k, func() (Event, error) {
		return newOwnedEvent(id, EvReturnMatched, actor, device, b.owner,
			ReturnMatch{Parcel: parcel, Order: order, Today: b.l.Today()})
	}, func(tx *txn, ev *Event) (ReturnParcel, error) {
		p, err := mustGetParcel(tx, parcel) // live or archived (parcelarchive.go)
		p.Owner = OwnerOr(p.Owner)
		return p, err
	})
}

// FindReturnOrder resolves a scanned code to an order and its owner: an RMA,
// the return parcel's waybill (announced with an RMA), the original waybill,
// or the order number. rma is set when an RMA was found. An RMA or order
// number that two owners both use is refused as ambiguous, naming both (the
// waybills are unique).
func (l *Ledger) FindReturnOrder(code string) (owner, order, rma string, err error) {
	err = l.view(func(tx *txn) error {
		pick := func(bucket []byte) ([]string, error) {
			var owners []string
			err := tx.Bucket(bucketOwners).ForEach(func(k, _ []byte) error {
				if tx.Bucket(bucket).Get(joinKey(string(k), code)) != nil {
					owners = append(owners, string(k))
				}
				return nil
			})
			if tx.Bucket(bucket).Get(joinKey(DefaultOwner, code)) != nil {
				owners = append([]string{DefaultOwner}, owners...)
			}
			if len(owners) > 1 {
				return nil, Errf(CodeConflict, "return.code_ambiguous", "code", code, "owners", strings.Join(owners, ", "))
			}
			return owners, err
		}
		owners, err := pick(bucketRMAs)
		if err != nil {
			return err
		}
		if len(owners) == 1 {
			r, err := mustGet[RMA](tx, bucketRMAs, rmaKey(owners[0], code), "return.unknown_code", "code", code)
			if err != nil {
				return err
			}
			owner, order, rma = owners[0], r.Order, r.RMA
			return nil
		}
		if id := tx.Bucket(bucketReturnWaybills).Get([]byte(code)); id != nil {
			r, err := mustGet[RMA](tx, bucketRMAs, id, "return.unknown_code", "code", code)
			if err != nil {
				return err
			}
			owner, order, rma = OwnerOr(r.Owner), r.Order, r.RMA
			return nil
		}
		if o, n, ok, err := waybillOrderTx(tx, code); err != nil || ok { // live, or an order table (ordertable.go)
			owner, order = o, n
			return err
		}
		if owners, err = pick(bucketOrders); err != nil {
			return err
		}
		if len(owners) == 1 {
			owner, order = owners[0], code
			return nil
		}
		// an archived order found by its number answers as by its waybill
		if archived, err := archivedOrderOwners(tx, code); err != nil || len(archived) > 0 { // ordertable.go
			if err == nil {
				err = Errf(CodeConflict, "return.order_archived", "order", code)
			}
			return err
		}
		return Errf(CodeNotFound, "return.unknown_code", "code", code)
	})
	return owner, order, rma, err
}

// Shipped lists what one of the default owner's orders shipped and what has come back.
func (l *Ledger) Shipped(order string) ([]ShippedLine, error) {
	return l.Books(DefaultOwner).Shipped(order)
}

// Shipped lists what one of the owner's orders shipped and what has come back.
func (b Books) Shipped(order string) ([]ShippedLine, error) {
	var out []ShippedLine
	err := b.l.view(func(tx *txn) error {
		var err error
		out, err = shippedOf(tx, b.owner, order)
		return err
	})
	return out, err
}

// ReturnParcelByID returns one booked parcel, with the shelf each line was
// put back on when it has been.
func (l *Ledger) ReturnParcelByID(id string) (ReturnParcel, error) {
	var p ReturnParcel
	err := l.view(func(tx *txn) (err error) {
		p, err = mustGetParcel(tx, id) // live or archived (parcelarchive.go)
		if err != nil {
			return err
		}
		return readPutBacks(tx, &p)
	})
	return p, err
}

// readPutBacks fills in the shelf each line of a parcel was put back on,
// from its put-back event.
func readPutBacks(tx *txn, p *ReturnParcel) error {
	for i := range p.Lines {
		seq := tx.Bucket(bucketEventIDs).Get([]byte(putBackID(p.ID, i)))
		if seq == nil {
			if r, ok, err := archivedID(tx, putBackID(p.ID, i)); err != nil {
				return err
			} else if ok && r.flags()&idFlagEvent != 0 {
				seq = seqKey(r.seq())
			}
		}
		if seq == nil {
			continue
		}
		ev, err := eventAt(tx, seqFromKey(seq))
		if err != nil {
			return err
		}
		var m Move
		if err := decode(&ev, &m); err != nil {
			return err
		}
		p.Lines[i].PutBack = m.To
	}
	return nil
}

// AwaitsPutBack says whether line n of a booked parcel waits at the returns
// location (staging) to go back on a shelf: resellable units of a known
// order, not a possible swap, not put back yet.
func (p ReturnParcel) AwaitsPutBack(n int, staging string) bool {
	rl := p.Lines[n]
	return p.Order != "" && !rl.Swap && rl.Condition == CondResellable && rl.Location == staging && staging != "" && rl.PutBack == ""
}

// ReturnsAwaitingPutBack lists booked parcels (of one of the default owner's
// orders, or of every owner's orders when order is empty) with a line whose
// units still wait at the returns location to be put back on a shelf, oldest
// first. A line counts while the returns location still holds units of its
// SKU and lot (someone may have moved them on by hand).
func (l *Ledger) ReturnsAwaitingPutBack(order string) ([]ReturnParcel, error) {
	owner := ""
	if order != "" {
		owner = DefaultOwner
	}
	return l.returnsAwaitingPutBack(owner, order)
}

// ReturnsAwaitingPutBack lists the parcels of one of the owner's orders
// (of all its orders when order is empty) still waiting to be put back.
func (b Books) ReturnsAwaitingPutBack(order string) ([]ReturnParcel, error) {
	return b.l.returnsAwaitingPutBack(b.owner, order)
}

func (l *Ledger) returnsAwaitingPutBack(owner, order string) ([]ReturnParcel, error) {
	var out []ReturnParcel
	err := l.view(func(tx *txn) error {
		staging := returnsStaging(tx)
		return tx.Bucket(bucketReturns).ForEach(func(_, v []byte) error {
			var p ReturnParcel
			if err := jsonUnmarshal(v, &p); err != nil {
				return err
			}
			if p.Order == "" || (order != "" && p.Order != order) || (owner != "" && OwnerOr(p.Owner) != owner) {
				return nil
			}
			if err := readPutBacks(tx, &p); err != nil {
				return err
			}
			for i, rl := range p.Lines {
				if p.AwaitsPutBack(i, staging) && qtyFromValue(tx.Bucket(bucketStock).Get(stockKey(OwnerOr(p.Owner), rl.SKU, rl.Lot, staging))) > 0 {
					out = append(out, p)
					return nil
				}
			}
			return nil
		})
	})
	slices.SortFunc(out, func(a, b ReturnParcel) int { return a.At.Compare(b.At) })
	return out, err
}

// putBackID is the ID of the move that puts a parcel's line back on a shelf:
// one per line, so a repeated scan moves the units once.
func putBackID(parcel string, line int) string {
	return "return-put:" + parcel + ":" + strconv.Itoa(line)
}

// PutBackReturn moves a booked parcel's resellable line from the returns
// location to the shelf scanned. A line goes back once; it must be one that
// waits at the returns location for it (not a possible swap, not an unknown
// parcel's).
func (l *Ledger) PutBackReturn(ctx context.Context, parcel string, line int, to, actor, device string) (ReturnLine, error) {
	p, err := l.ReturnParcelByID(parcel)
	if err != nil {
		return ReturnLine{}, err
	}
	if line < 0 || line >= len(p.Lines) {
		return ReturnLine{}, Errf(CodeNotFound, "return.line_not_found", "parcel", parcel, "line", strconv.Itoa(line+1))
	}
	rl := p.Lines[line]
	move := Move{Owner: envelopeOwner(p.Owner), SKU: rl.SKU, Lot: rl.Lot, From: rl.Location, To: to, Qty: rl.Qty}
	if rl.PutBack != "" {
		// Put back already. The same put-back again (a double tap, a retry
		// after a timeout) gets the first answer from its move; to another
		// shelf or by another person it is refused.
		m, err := l.MoveStock(ctx, putBackID(p.ID, line), move, actor, device)
		if err != nil {
			return rl, Errf(CodeConflict, "return.put_already", "sku", rl.SKU, "location", rl.PutBack)
		}
		rl.PutBack = m.To
		return rl, nil
	}
	if !p.AwaitsPutBack(line, l.ReturnsStaging()) {
		return rl, Errf(CodeConflict, "return.not_for_shelf", "sku", rl.SKU, "location", rl.Location)
	}
	m, err := l.MoveStock(ctx, putBackID(p.ID, line), move, actor, device)
	if err != nil {
		return rl, err
	}
	rl.PutBack = m.To
	return rl, nil
}

// UnmatchedReturns lists parcels that came without a known order.
func (l *Ledger) UnmatchedReturns() ([]ReturnParcel, error) {
	all, err := listAll[ReturnParcel](l, bucketReturns)
	out := all[:0]
	for _, p := range all {
		if p.Order == "" {
			out = append(out, p)
		}
	}
	return out, err
}

// ReturnStatsOf is a day's returns figures.
func (l *Ledger) ReturnStatsOf(day string) (ReturnStats, error) {
	s := ReturnStats{ByClerk: map[string]int64{}, ByCondition: map[string]int64{}, BySKU: map[string]int64{}}
	err := l.view(func(tx *txn) error {
		_, err := getJSON(tx.Bucket(bucketReturnStats), []byte(day), &s)
		return err
	})
	return s, err
}

// OwnerReturnStats is a day's returns figures of one owner's parcels.
func (l *Ledger) OwnerReturnStats(day, owner string) (ReturnStats, error) {
	s := ReturnStats{ByClerk: map[string]int64{}, ByCondition: map[string]int64{}, BySKU: map[string]int64{}}
	err := l.view(func(tx *txn) error {
		_, err := getJSON(tx.Bucket(bucketOwnerReturns), joinKey(day, OwnerOr(owner)), &s)
		return err
	})
	return s, err
}

// ReturnsStaging is the location resellable returns wait at before putaway.
func (l *Ledger) ReturnsStaging() string {
	var out string
	_ = l.view(func(tx *txn) error { out = returnsStaging(tx); return nil })
	return out
}

// serialReturned records that a unit with a serial came back: its trace keeps
// the order it left in and names the return; a unit this order shipped is no
// longer out, so it can be picked and packed again once it is back on a
// shelf. A swapped serial (one the order did not ship) stays as it was.
func serialReturned(tx *txn, owner string, l ReturnLine, parcel string) error {
	rec := SerialTrace{Serial: l.Serial, Owner: owner, SKU: l.SKU, Lot: l.Lot}
	if _, err := getJSON(tx.Bucket(bucketSerials), []byte(l.Serial), &rec); err != nil {
		return err
	}
	rec.Returned = parcel
	touchSerial(tx, l.Serial, rec)
	if l.Swap {
		return nil
	}
	return tx.Bucket(bucketShipped).Delete([]byte(l.Serial))
}
