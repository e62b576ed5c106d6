package wms

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Receipt is a delivery from a supplier: announced (an ASN) or blind.
type Receipt struct {
	Owner    string        `json:"owner"` // whose goods: receiving puts stock under this owner
	ID       string        `json:"id"`
	Supplier string        `json:"supplier"`
	Blind    bool          `json:"blind,omitempty"`
	Lines    []ReceiptLine `json:"lines"`
	State    string        `json:"state"` // open, closed
	Created  time.Time     `json:"created"`
	Closed   *time.Time    `json:"closed,omitempty"`
}

// ReceiptLine is what was expected and what came of one SKU.
type ReceiptLine struct {
	SKU         string `json:"sku"`
	Expected    int64  `json:"expected"`
	Received    int64  `json:"received"`
	Quarantined int64  `json:"quarantined"`
	Refused     int64  `json:"refused"`
}

// line is the index of a SKU's line, added when the delivery brought an unexpected SKU.
func (r *Receipt) line(sku string) int {
	for i := range r.Lines {
		if r.Lines[i].SKU == sku {
			return i
		}
	}
	r.Lines = append(r.Lines, ReceiptLine{SKU: sku})
	return len(r.Lines) - 1
}

// Variance is received minus expected (over-receipt positive).
func (l ReceiptLine) Variance() int64 { return l.Received - l.Expected }

// ReceiptIn announces a delivery.
type ReceiptIn struct {
	Owner    string   `json:"owner,omitempty"` // empty: the default owner
	ID       string   `json:"id"`
	Supplier string   `json:"supplier"`
	Lines    []LineIn `json:"lines"`
}

// Receiving takes units of one lot into the warehouse at a dock (or a
// quarantine location when the lot is short-dated and the SKU says so).
type Receiving struct {
	Owner    string `json:"owner,omitempty"` // the receipt's owner; the command moves it to the envelope
	Receipt  string `json:"receipt"`
	SKU      string `json:"sku"`
	Lot      string `json:"lot,omitempty"`
	Expiry   string `json:"expiry,omitempty"`
	Qty      int64  `json:"qty"`
	Location string `json:"location"`
	Today    string `json:"today"`
	// decided
	Quarantined bool `json:"quarantined,omitempty"`
}

// ReceiptClose closes a receipt; its variances stay on it.
type ReceiptClose struct {
	Owner   string `json:"owner,omitempty"`
	Receipt string `json:"receipt"`
}

// ExpectReceipt records an announced delivery. The same receipt number sent
// again is the same receipt (dup is true) and changes nothing.
//
// key is the client's key ("" when it sent none): a repeat of it gets the
// first answer (the receipt as it stood then), even after receiving began;
// the key with another receipt or other lines is refused.
func (l *Ledger) ExpectReceipt(ctx context.Context, key string, in ReceiptIn, actor, device string) (r Receipt, dup bool, err error) {
	asked := in
	owner := OwnerOr(in.Owner)
	in.Owner = ""
	id := "receipt:" + in.ID
	if owner != DefaultOwner {
		id = "receipt:" + owner + ":" + in.ID
	}
	if key == "" {
		ev, err := newOwnedEvent(id, EvReceiptExpected, actor, device, owner, in)
		if err != nil {
			return Receipt{}, false, err
		}
		stored, dup, err := l.Append(ctx, ev)
		if err != nil {
			return Receipt{}, false, err
		}
		if dup {
			if err := sameReceipt(&stored, in); err != nil {
				return Receipt{}, false, err
			}
		}
		r, err = l.Books(owner).Receipt(in.ID)
		return r, dup, err
	}
	var fresh bool
	k := keyed{id: key, typ: EvReceiptExpected, target: OrderRef(owner, in.ID), actor: actor, request: asked, fresh: &fresh}
	a, err := runKeyed(ctx, l, k, func() (Event, error) {
		return newOwnedEvent(id, EvReceiptExpected, actor, device, owner, in)
	}, func(tx *txn, ev *Event) (receiptExpected, error) {
		if !fresh {
			if err := sameReceipt(ev, in); err != nil {
				return receiptExpected{}, err
			}
		}
		r, err := mustGetReceipt(tx, owner, in.ID) // receiptarchive.go: live or archived
		return receiptExpected{Receipt: r, Dup: !fresh}, err
	})
	return a.Receipt, a.Dup, err
}

// sameReceipt refuses a receipt sent again with other content than the one
// in the log (prior): the resend is not the same delivery, and answering
// with the first one would hide that from the sender. The same supplier and
// the same quantity of each SKU, in any order of lines, is the same receipt.
func sameReceipt(prior *Event, in ReceiptIn) error {
	var first ReceiptIn
	if err := decode(prior, &first); err != nil {
		return err
	}
	if strings.TrimSpace(first.Supplier) != strings.TrimSpace(in.Supplier) || !maps.Equal(receiptQty(first), receiptQty(in)) {
		return Errf(CodeConflict, "receipt.changed", "receipt", strings.TrimSpace(in.ID))
	}
	return nil
}

func receiptQty(in ReceiptIn) map[string]int64 {
	out := make(map[string]int64, len(in.Lines))
	for _, l := range in.Lines {
		out[strings.TrimSpace(l.SKU)] += l.Qty
	}
	return out
}

// receiptExpected is the first answer of a keyed ExpectReceipt.
type receiptExpected struct {
	Receipt Receipt `json:"receipt"`
	Dup     bool    `json:"dup"`
}

func applyReceiptExpected(tx *txn, ev *Event) error {
	var in ReceiptIn
	if err := decode(ev, &in); err != nil {
		return err
	}
	owner, err := ownerFor(ev, in.Owner)
	if err != nil {
		return err
	}
	return expectReceipt(tx, owner, in, ev.At)
}

func expectReceipt(tx *txn, owner string, in ReceiptIn, at time.Time) error {
	in.ID, in.Supplier = strings.TrimSpace(in.ID), strings.TrimSpace(in.Supplier)
	if !validCode(in.ID) {
		return Errf(CodeInvalid, "receipt.id_invalid", "receipt", in.ID)
	}
	if !validText(in.Supplier) {
		return Errf(CodeInvalid, "receipt.supplier_invalid", "receipt", in.ID)
	}
	if len(in.Lines) == 0 {
		return Errf(CodeInvalid, "receipt.no_lines", "receipt", in.ID)
	}
	if err := knownOwner(tx, owner); err != nil {
		return err
	}
	if tx.Bucket(bucketReceipts).Get(receiptKey(owner, in.ID)) != nil || receiptArchived(tx, owner, in.ID) {
		return Errf(CodeConflict, "receipt.exists", "receipt", in.ID)
	}
	r := Receipt{Owner: owner, ID: in.ID, Supplier: in.Supplier, State: "open", Created: at}
	for _, l := range in.Lines {
		if tx.Bucket(bucketSKUs).Get(skuKey(owner, l.SKU)) == nil {
			return Errf(CodeNotFound, "sku.not_found", "sku", l.SKU, "owner", owner)
		}
		if l.Qty <= 0 {
			return Errf(CodeInvalid, "order.qty_invalid", "order", in.ID, "sku", l.SKU, "qty", strconv.FormatInt(l.Qty, 10))
		}
		r.Lines = append(r.Lines, ReceiptLine{SKU: l.SKU, Expected: l.Qty})
	}
	return putJSON(tx.Bucket(bucketReceipts), receiptKey(owner, r.ID), r)
}

// Receipt returns one of the default owner's receipts.
func (l *Ledger) Receipt(id string) (Receipt, error) { return l.Books(DefaultOwner).Receipt(id) }

// Receipt returns one of the owner's receipts.
func (b Books) Receipt(id string) (Receipt, error) {
	var r Receipt
	err := b.l.view(func(tx *txn) (err error) {
		r, err = mustGetReceipt(tx, b.owner, id) // receiptarchive.go: live or archived
		return err
	})
	return r, err
}

// OpenReceipts lists receipts not yet closed, every owner's.
func (l *Ledger) OpenReceipts() ([]Receipt, error) {
	all, err := listAll[Receipt](l, bucketReceipts)
	out := all[:0]
	for _, r := range all {
		if r.State == "open" {
			out = append(out, r)
		}
	}
	return out, err
}

// NextBlindReceipt names the receipt for a delivery that came without notice:
// BLIND-<yyyymmdd>-<badge>-<n>, one past the highest n this receiver used that
// day, so every delivery has its own receipt to count and close. The receipt
// comes into being with its first units; until then the same name is handed
// out again. (Stores from before kept one BLIND-<yyyymmdd>-<badge> a day; it
// reads as any other receipt.)
func (l *Ledger) NextBlindReceipt(day, badge string) (string, error) {
	return l.Books(DefaultOwner).NextBlindReceipt(day, badge)
}

// NextBlindReceipt names the owner's next blind receipt (see
// Ledger.NextBlindReceipt). The number is one past the highest any owner's
// blind receipt of this receiver and day has, so two deliveries of one day
// never share a name, whoever's goods they are.
func (b Books) NextBlindReceipt(day, badge string) (string, error) {
	name := "BLIND-" + strings.ReplaceAll(day, "-", "") + "-" + badge + "-"
	n := 0
	err := b.l.view(func(tx *txn) error {
		owners := []string{DefaultOwner}
		if err := tx.Bucket(bucketOwners).ForEach(func(k, _ []byte) error {
			owners = append(owners, string(k))
			return nil
		}); err != nil {
			return err
		}
		if !slices.Contains(owners, b.owner) {
			owners = append(owners, b.owner)
		}
		c := tx.Bucket(bucketReceipts).Cursor()
		for _, owner := range owners {
			prefix := string(receiptKey(owner, name))
			for k, _ := c.Seek([]byte(prefix)); k != nil && strings.HasPrefix(string(k), prefix); k, _ = c.Next() {
				if i, err := strconv.Atoi(strings.TrimPrefix(string(k), prefix)); err == nil && i > n {
					n = i
				}
			}
		}
		n = max(n, archivedBlindNumber(tx, owners, name)) // receiptarchive.go
		return nil
	})
	return name + strconv.Itoa(n+1), err
}

// ShelfLifeAtReceipt checks a delivery's remaining shelf life against the
// SKU's rule: ok, or the action (refuse or quarantine) for a short-dated lot.
// A lot past its expiry is always refused. With exactly the required share
// left the lot is accepted.
func ShelfLifeAtReceipt(sku SKU, expiry, today string) (ok bool, action string) {
	if expiry == "" || sku.ShelfLifeDays == 0 {
		return true, ""
	}
	left := daysBetween(today, expiry)
	if left < 0 {
		return false, ShortLifeRefuse
	}
	if sku.ReceiveMinLifePct == 0 || left*100 >= sku.ReceiveMinLifePct*sku.ShelfLifeDays {
		return true, ""
	}
	if sku.ShortLifeAction == ShortLifeQuarantine {
		return false, ShortLifeQuarantine
	}
	return false, ShortLifeRefuse
}

// Receive takes a lot into stock. Units refused by the shelf-life rule are
// recorded on the receipt as refused (they go back on the truck).
func (l *Ledger) Receive(ctx context.Context, id string, p Receiving, actor, device string) (Receiving, error) {
	p.Today, p.Quarantined = "", false
	owner := OwnerOr(p.Owner)
	p.Owner = ""
	asked := p
	p.Today = l.Today()
	done, err := keyedAppend(ctx, l, id, EvReceived, owner, OrderRef(owner, asked.Receipt), asked, actor, device, func(d *Receiving) { d.Today = p.Today })
	if e, ok := AsError(err); ok && e.Key == "receive.short_life" && p.Receipt != "" {
		if rerr := l.RefuseReceipt(ctx, id+":refused", ReceiveRefusal{Owner: owner, Receipt: p.Receipt, SKU: p.SKU, Lot: p.Lot,
			Expiry: p.Expiry, Qty: p.Qty, Reason: e.Key}, actor, device); rerr != nil {
			return p, rerr
		}
	}
	if err != nil {
		return p, err
	}
	done.Owner = owner
	return done, nil
}

// receivingOf checks a receiving against the books: whose it is, the SKU,
// and the open receipt it counts on (a blind one when none was announced).
func receivingOf(tx *txn, ev *Event, p Receiving) (owner string, sku SKU, r Receipt, err error) {
	if p.Qty <= 0 || p.Qty > 1_000_000 {
		return "", sku, r, Errf(CodeInvalid, "receive.qty_invalid", "qty", strconv.FormatInt(p.Qty, 10))
	}
	if owner, err = ownerFor(ev, p.Owner); err != nil {
		return "", sku, r, err
	}
	if sku, err = mustGet[SKU](tx, bucketSKUs, skuKey(owner, p.SKU), "sku.not_found", "sku", p.SKU); err != nil {
		return "", sku, r, err
	}
	if sku.LotTracked && sku.ShelfLifeDays > 0 && p.Expiry == "" {
		return "", sku, r, Errf(CodeInvalid, "stock.expiry_required", "sku", p.SKU, "lot", p.Lot)
	}
	if p.Receipt != "" {
		// a closed receipt takes nothing more, not even a refusal
		found, err := getJSON(tx.Bucket(bucketReceipts), receiptKey(owner, p.Receipt), &r)
		if err != nil {
			return "", sku, r, err
		}
		if !found && receiptArchived(tx, owner, p.Receipt) { // receiptarchive.go: closed and archived
			return "", sku, r, Errf(CodeConflict, "receipt.closed", "receipt", p.Receipt)
		}
		if !found {
			r = Receipt{Owner: owner, ID: p.Receipt, Supplier: "-", Blind: true, State: "open", Created: ev.At}
		}
		if r.State != "open" {
			return "", sku, r, Errf(CodeConflict, "receipt.closed", "receipt", r.ID)
		}
	}
	return owner, sku, r, nil
}

// decideReceived applies the shelf-life rule of the day: a short-dated lot
// is refused or goes to quarantine, as the SKU says.
func decideReceived(tx *txn, ev *Event) error {
	var p Receiving
	if err := decode(ev, &p); err != nil {
		return err
	}
	_, sku, _, err := receivingOf(tx, ev, p)
	if err != nil {
		return err
	}
	ok, action := ShelfLifeAtReceipt(sku, p.Expiry, p.Today)
	if !ok && action == ShortLifeRefuse {
		return Errf(CodeConflict, "receive.short_life", "sku", p.SKU, "lot", p.Lot, "expiry", p.Expiry,
			"pct", strconv.Itoa(sku.ReceiveMinLifePct))
	}
	p.Quarantined = !ok
	return setPayload(ev, p)
}

// applyReceived puts the units into stock, and the lot in quarantine when
// the receiving was decided so.
func applyReceived(tx *txn, ev *Event) error {
	var p Receiving
	if err := decode(ev, &p); err != nil {
		return err
	}
	owner, _, r, err := receivingOf(tx, ev, p)
	if err != nil {
		return err
	}
	rb := tx.Bucket(bucketReceipts)
	quarantine := p.Quarantined
	loc, err := mustGet[Location](tx, bucketLocations, []byte(p.Location), "location.not_found", "location", p.Location)
	if err != nil {
		return err
	}
	if quarantine && loc.Kind != KindQuarantine {
		return Errf(CodeConflict, "receive.needs_quarantine", "sku", p.SKU, "lot", p.Lot)
	}
	have, err := placeStock(tx, owner, p.SKU, p.Lot, p.Expiry, p.Location)
	if err != nil {
		return err
	}
	if quarantine {
		var lot Lot
		if err := readLotInto(tx, &lot, owner, p.SKU, p.Lot); err != nil {
			return err
		}
		lot.Status = LotQuarantine
		if err := putLot(tx, owner, p.SKU, p.Lot, lot); err != nil {
			return err
		}
	}
	if err := writeQty(tx, owner, p.SKU, p.Lot, p.Location, have+p.Qty); err != nil {
		return err
	}
	if p.Receipt != "" {
		i := r.line(p.SKU)
		r.Lines[i].Received += p.Qty
		if quarantine {
			r.Lines[i].Quarantined += p.Qty
		}
		return putJSON(rb, receiptKey(owner, r.ID), r)
	}
	return nil
}

// ReceiveRefusal records units turned away at the dock (short-dated,
// damaged): they count on the receipt but never enter stock.
type ReceiveRefusal struct {
	Owner   string `json:"owner,omitempty"`
	Receipt string `json:"receipt"`
	SKU     string `json:"sku"`
	Lot     string `json:"lot,omitempty"`
	Expiry  string `json:"expiry,omitempty"`
	Qty     int64  `json:"qty"`
	Reason  string `json:"reason"` // message key
}

// RefuseReceipt records a refusal.
func (l *Ledger) RefuseReceipt(ctx context.Context, id string, p ReceiveRefusal, actor, device string) error {
	owner := OwnerOr(p.Owner)
	p.Owner = ""
	_, err := keyedAppend(ctx, l, id, EvReceiveRefused, owner, OrderRef(owner, p.Receipt), p, actor, device, nil)
	return err
}

func applyReceiveRefused(tx *txn, ev *Event) error {
	var p ReceiveRefusal
	if err := decode(ev, &p); err != nil {
		return err
	}
	if p.Qty <= 0 || p.Receipt == "" {
		return Errf(CodeInvalid, "receive.qty_invalid", "qty", strconv.FormatInt(p.Qty, 10))
	}
	owner, err := ownerFor(ev, p.Owner)
	if err != nil {
		return err
	}
	rb := tx.Bucket(bucketReceipts)
	var r Receipt
	found, err := getJSON(rb, receiptKey(owner, p.Receipt), &r)
	if err != nil {
		return err
	}
	if !found && receiptArchived(tx, owner, p.Receipt) { // receiptarchive.go: closed and archived
		return Errf(CodeConflict, "receipt.closed", "receipt", p.Receipt)
	}
	if !found {
		r = Receipt{Owner: owner, ID: p.Receipt, Supplier: "-", Blind: true, State: "open", Created: ev.At}
	}
	r.Lines[r.line(p.SKU)].Refused += p.Qty
	return putJSON(rb, receiptKey(owner, r.ID), r)
}

// CloseReceipt closes one of the default owner's receipts.
func (l *Ledger) CloseReceipt(ctx context.Context, id, actor, device string) (Receipt, error) {
	return l.Books(DefaultOwner).CloseReceipt(ctx, id, actor, device)
}

// CloseReceipt closes one of the owner's receipts. Its event's ID names the
// receipt, so anyone closing it again gets the first answer.
func (b Books) CloseReceipt(ctx context.Context, id, actor, device string) (Receipt, error) {
	evID := "close:" + id
	if b.owner != DefaultOwner {
		evID = "close:" + b.owner + ":" + id
	}
	p := ReceiptClose{Receipt: id}
	k := keyed{id: evID, typ: EvReceiptClosed, target: OrderRef(b.owner, id), actor: actor, request: p, natural: true}
	return runKeyed(ctx, b.l, k, func() (Event, error) {
		return newOwnedEvent(evID, EvReceiptClosed, actor, device, b.owner, p)
	}, func(tx *txn, ev *Event) (Receipt, error) {
		return mustGetReceipt(tx, b.owner, id) // receiptarchive.go: live or archived
	})
}

func applyReceiptClosed(tx *txn, ev *Event) error {
	var p ReceiptClose
	if err := decode(ev, &p); err != nil {
		return err
	}
	owner, err := ownerFor(ev, p.Owner)
	if err != nil {
		return err
	}
	r, err := mustGet[Receipt](tx, bucketReceipts, receiptKey(owner, p.Receipt), "receipt.not_found", "receipt", p.Receipt)
	if err != nil {
		return err
	}
	at := ev.At
	r.State, r.Closed = "closed", &at
	return putJSON(tx.Bucket(bucketReceipts), receiptKey(owner, r.ID), r)
}

// SuggestPutaway proposes where received stock goes: a pick face already
// holding the same SKU and lot, then an empty pick face in the SKU's zone
// (in walking order), then a pick face holding the SKU's other lots, then
// any empty pick face.
func (l *Ledger) SuggestPutaway(sku, lot string) (string, error) {
	return l.Books(DefaultOwner).SuggestPutaway(sku, lot)
}

// SuggestPutaway proposes where the owner's received stock goes (see
// Ledger.SuggestPutaway); a pick face is never shared with another owner's
// stock of the same code.
func (b Books) SuggestPutaway(sku, lot string) (string, error) {
	var out string
	err := b.l.view(func(tx *txn) error {
		s, err := mustGet[SKU](tx, bucketSKUs, skuKey(b.owner, sku), "sku.not_found", "sku", sku)
		if err != nil {
			return err
		}
		c := tx.Bucket(bucketStock).Cursor()
		p := prefixKey(b.owner, sku, lot)
		for k, _ := c.Seek(p); k != nil && strings.HasPrefix(string(k), string(p)); k, _ = c.Next() {
			var loc Location
			if _, err := getJSON(tx.Bucket(bucketLocations), []byte(splitKey(k)[3]), &loc); err != nil {
				return err
			}
			if loc.Kind == KindPick {
				out = loc.Code
				return nil
			}
		}
		best, bestAny, sameSKU := Location{}, Location{}, ""
		// a pick face of the same SKU (another lot), first along the walk
		cs := tx.Bucket(bucketStock).Cursor()
		ps := prefixKey(b.owner, sku)
		bestSeq := -1
		for k, _ := cs.Seek(ps); k != nil && strings.HasPrefix(string(k), string(ps)); k, _ = cs.Next() {
			var loc Location
			if _, err := getJSON(tx.Bucket(bucketLocations), []byte(splitKey(k)[3]), &loc); err != nil {
				return err
			}
			if loc.Kind == KindPick && (bestSeq < 0 || loc.PickSeq < bestSeq) {
				sameSKU, bestSeq = loc.Code, loc.PickSeq
			}
		}
		err = tx.Bucket(bucketLocations).ForEach(func(k, v []byte) error {
			var loc Location
			if err := jsonUnmarshal(v, &loc); err != nil {
				return err
			}
			if loc.Kind != KindPick {
				return nil
			}
			ck := tx.Bucket(bucketStockByLoc).Cursor()
			pk := prefixKey(loc.Code)
			if kk, _ := ck.Seek(pk); kk != nil && strings.HasPrefix(string(kk), string(pk)) {
				return nil // not empty
			}
			if s.Zone != "" && loc.Zone == s.Zone && (best.Code == "" || loc.PickSeq < best.PickSeq) {
				best = loc
			}
			if bestAny.Code == "" || loc.PickSeq < bestAny.PickSeq {
				bestAny = loc
			}
			return nil
		})
		if err != nil {
			return err
		}
		switch {
		case best.Code != "":
			out = best.Code
		case sameSKU != "":
			out = sameSKU
		case bestAny.Code != "":
			out = bestAny.Code
		default:
			return Errf(CodeNotFound, "putaway.no_place", "sku", sku)
		}
		return nil
	})
	return out, err
}
