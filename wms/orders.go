package wms

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
)

// OrderState is where an outbound order is in its life.
type OrderState string

const (
	OrderNew       OrderState = "new"
	OrderAllocated OrderState = "allocated"
	OrderPicking   OrderState = "picking"
	OrderPicked    OrderState = "picked"
	OrderPacked    OrderState = "packed"
	OrderShipped   OrderState = "shipped"
	OrderCancelled OrderState = "cancelled"
)

// Recipient is who the parcel goes to; Chinese text throughout.
type Recipient struct {
	Name    string `json:"name"`
	Phone   string `json:"phone"`
	Address string `json:"address"`
}

// Alloc is a reservation of one lot at one location for an order line.
type Alloc struct {
	Lot      string `json:"lot,omitempty"`
	Expiry   string `json:"expiry,omitempty"`
	Location string `json:"location"`
	Qty      int64  `json:"qty"`
	Picked   int64  `json:"picked"`
}

// OrderLine is one SKU of an order and how far it has got.
type OrderLine struct {
	SKU string `json:"sku"`
	Qty int64  `json:"qty"`
	// where the line came from: the platform order and sub-order it stands
	// for, or, when merged orders asked for the same SKU, each sub-order's part
	PlatformOrderID    string     `json:"platform_order_id,omitempty"`
	PlatformSubOrderID string     `json:"platform_sub_order_id,omitempty"`
	Parts              []LinePart `json:"parts,omitempty"`
	Allocs             []Alloc    `json:"allocs,omitempty"`
	Picked             int64      `json:"picked"`
	Short              int64      `json:"short"`
	Backordered        int64      `json:"backordered"`
}

// Allocated is the quantity reserved for the line, picked or not.
func (l OrderLine) Allocated() int64 {
	var n int64
	for _, a := range l.Allocs {
		n += a.Qty
	}
	return n
}

// Order is an outbound order from a sales channel.
type Order struct {
	// Owner is whose order this is: an order is known by its owner and its number.
	Owner   string `json:"owner"`
	No      string `json:"no"`
	Channel string `json:"channel"`
	Shop    string `json:"shop,omitempty"`
	// Platform is the source platform as sent (see SourcePlatform for orders
	// without one); PlatformOrderIDs the platform orders it stands for.
	Platform         string      `json:"platform,omitempty"`
	PlatformOrderIDs []string    `json:"platform_order_ids,omitempty"`
	Recipient        Recipient   `json:"recipient"`
	Lines            []OrderLine `json:"lines"`
	Priority         int         `json:"priority"`
	Carrier          string      `json:"carrier,omitempty"`
	ShipBy           *time.Time  `json:"ship_by,omitempty"`
	Notes            string      `json:"notes,omitempty"`
	State            OrderState  `json:"state"`
	Wave             string      `json:"wave,omitempty"`
	Tote             string      `json:"tote,omitempty"`
	Received         time.Time   `json:"received"`
	Updated          time.Time   `json:"updated"`
	// Source is the upstream the order came from ("" for a person's or a
	// file's): a Qimen ERP is told only of its own orders.
	Source string `json:"source,omitempty"`
	// Digest identifies the content as sent, so a resend can be told from a change.
	Digest       string `json:"digest"`
	CancelReason string `json:"cancel_reason,omitempty"`
	// Held is an order its upstream put on hold (order.pending): no wave
	// takes it until it is restored. Holds counts the holds so far; it
	// names the next hold's event (hold.go).
	Held       bool   `json:"held,omitempty"`
	HoldReason string `json:"hold_reason,omitempty"`
	Holds      int    `json:"holds,omitempty"`
	// Steps is the order's story as its projection saw it: each state it
	// reached, and each hold and restore, with the time of the event.
	Steps []OrderStep `json:"steps,omitempty"`
}

// OrderIntake is an order as a channel or the OMS sends it.
type OrderIntake struct {
	// Owner is whose order it is (empty: the default owner). A command moves
	// it to the event's envelope; a file's rows keep it.
	Owner   string `json:"owner,omitempty"`
	No      string `json:"no"`
	Channel string `json:"channel"`
	Shop    string `json:"shop,omitempty"`
	// Platform is one of Platforms; PlatformOrderIDs are the platform's order
	// IDs the order stands for, several when the ERP merged orders (合单).
	Platform         string        `json:"platform,omitempty"`
	PlatformOrderIDs []string      `json:"platform_order_ids,omitempty"`
	Recipient        Recipient     `json:"recipient"`
	Lines            []OrderLineIn `json:"lines"`
	Priority         int           `json:"priority,omitempty"`
	Carrier          string        `json:"carrier,omitempty"`
	ShipBy           *time.Time    `json:"ship_by,omitempty"`
	Notes            string        `json:"notes,omitempty"`
}

// LineIn is one line of an incoming order or receipt: a SKU and a quantity.
type LineIn struct {
	SKU string `json:"sku"`
	Qty int64  `json:"qty"`
}

// OrderLineIn is one line of an incoming order and the platform sub-order it
// stands for (its JSON is flat: sku, qty, platform_order_id, ...).
type OrderLineIn struct {
	LineIn
	PlatformOrderID    string     `json:"platform_order_id,omitempty"`
	PlatformSubOrderID string     `json:"platform_sub_order_id,omitempty"`
	Parts              []LinePart `json:"parts,omitempty"` // set by Validate when sub-orders of one SKU merge
}

// OrderLines makes order lines of plain lines, for callers without platform identity.
func OrderLines(lines ...LineIn) []OrderLineIn {
	out := make([]OrderLineIn, len(lines))
	for i, l := range lines {
		out[i].LineIn = l
	}
	return out
}

// Channels Tally knows; others are accepted as they are named.
var Channels = []string{"tmall", "jd", "pinduoduo", "douyin", "own"}

// Validate checks an incoming order's own fields (not the catalogue).
func (o *OrderIntake) Validate() error {
	o.No, o.Channel = strings.TrimSpace(o.No), strings.ToLower(strings.TrimSpace(o.Channel))
	if !validCode(o.No) {
		return Errf(CodeInvalid, "order.no_invalid", "order", o.No)
	}
	if o.Channel == "" && o.Platform != "" {
		o.Platform = strings.ToUpper(strings.TrimSpace(o.Platform))
		o.Channel = channelOfPlatform(o.Platform)
	}
	if !validCode(o.Channel) {
		return Errf(CodeInvalid, "order.channel_invalid", "order", o.No)
	}
	r := &o.Recipient
	r.Name, r.Phone, r.Address = strings.TrimSpace(r.Name), strings.TrimSpace(r.Phone), strings.TrimSpace(r.Address)
	if !validText(r.Name) || !validText(r.Phone) || !validText(r.Address) {
		return Errf(CodeInvalid, "order.recipient_invalid", "order", o.No)
	}
	if len(o.Lines) == 0 {
		return Errf(CodeInvalid, "order.no_lines", "order", o.No)
	}
	if o.Priority < 0 || o.Priority > 9 {
		return Errf(CodeInvalid, "order.priority_invalid", "order", o.No)
	}
	if o.Carrier != "" && !validCode(o.Carrier) {
		return Errf(CodeInvalid, "order.carrier_invalid", "order", o.No)
	}
	if utf8Len(o.Notes) > 500 || utf8Len(o.Shop) > 100 {
		return Errf(CodeInvalid, "order.too_long", "order", o.No)
	}
	// The same SKU on two lines (a gift line, say) is one line to pick.
	merged := o.Lines[:0:0]
	at := make(map[string]int, len(o.Lines)) // SKU → its line in merged
	for _, l := range o.Lines {
		l.SKU = strings.TrimSpace(l.SKU)
		l.PlatformOrderID, l.PlatformSubOrderID = strings.TrimSpace(l.PlatformOrderID), strings.TrimSpace(l.PlatformSubOrderID)
		l.Parts = slices.Clone(l.Parts) // merging appends to them
		if l.Qty <= 0 || l.Qty > 100000 {
			return Errf(CodeInvalid, "order.qty_invalid", "order", o.No, "sku", l.SKU, "qty", strconv.FormatInt(l.Qty, 10))
		}
		if i, ok := at[l.SKU]; ok {
			if mergeLine(&merged[i], l); merged[i].Qty > 100000 {
				return Errf(CodeInvalid, "order.qty_invalid", "order", o.No, "sku", l.SKU, "qty", strconv.FormatInt(merged[i].Qty, 10))
			}
			continue
		}
		at[l.SKU] = len(merged)
		merged = append(merged, l)
	}
	o.Lines = merged
	if err := o.validateIdentity(); err != nil {
		return err
	}
	if o.ShipBy != nil {
		t := o.ShipBy.UTC()
		o.ShipBy = &t
	}
	return nil
}

// MaxOrderLines is the most lines an order may have as sent (before lines
// of one SKU are merged): a shop order has a few, a store's replenishment
// some hundreds. It bounds what checking an order costs.
const MaxOrderLines = 1000

// checkSize refuses an order coming in with more than MaxOrderLines lines
// (order.too_many_lines). It is intake's rule, checked before Validate
// where an order comes in (ReceiveOrder, a batch, an orders CSV), never
// when a stored event applies: an order taken before the limit still
// replays.
func (o *OrderIntake) checkSize() error {
	if n := sentLines(o.Lines); n > MaxOrderLines {
		return Errf(CodeInvalid, "order.too_many_lines", "order", o.No, "lines", strconv.Itoa(n), "max", strconv.Itoa(MaxOrderLines))
	}
	return nil
}

// checkBound refuses, before an order is checked at all, one so far past
// MaxOrderLines that no order taken before the limit came near it: what
// checking it would cost is bounded, and a resend of an order taken
// before the limit (checkSize) is still answered.
func (o *OrderIntake) checkBound() error {
	if n := sentLines(o.Lines); n > 10*MaxOrderLines {
		return Errf(CodeInvalid, "order.too_many_lines", "order", o.No, "lines", strconv.Itoa(n), "max", strconv.Itoa(MaxOrderLines))
	}
	return nil
}

// sentLines is how many lines an order was sent with: a line merged from
// several platform sub-orders counts each.
func sentLines(lines []OrderLineIn) int {
	n := 0
	for _, l := range lines {
		n += max(1, len(l.Parts))
	}
	return n
}

func utf8Len(s string) int { return len([]rune(s)) }

// Digest is a hash of the order's content (the owner is who sent it, not content).
func (o OrderIntake) Digest() string {
	o.Owner = ""
	raw, _ := json.Marshal(o)
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:12])
}

// ReceiveOrder takes an order in. The same order sent twice is one order; a
// changed resend of an order not yet allocated updates it; a change to an
// order already in the warehouse's hands is refused. The event is named by
// the order and its content, so dup says the same order came again.
//
// key is the client's key for this request ("" when it sent none), its ID
// in bucketKeys: a repeat of the key gets the first answer (the order as it
// stood then, and whether it was the same again), even after the order moved
// on; the key with another order or content is refused.
func (l *Ledger) ReceiveOrder(ctx context.Context, key string, in OrderIntake, actor, device string) (Order, bool, error) {
	if err := in.checkBound(); err != nil {
		return Order{}, false, err
	}
	if err := in.Validate(); err != nil {
		return Order{}, false, err
	}
	asked := in
	owner := OwnerOr(in.Owner)
	in.Owner = ""
	// the payload and the digest from one encoding; applied as it was
	// encoded, not checked and hashed again (order_intake_fast.go)
	payload, err := json.Marshal(in)
	if err != nil {
		return Order{}, false, err
	}
	digest := payloadDigest(payload)
	id := "order:" + in.No + ":" + digest
	if owner != DefaultOwner {
		id = "order:" + owner + ":" + in.No + ":" + digest
	}
	newOrderEvent := func() (Event, error) {
		// the line limit is for orders that come in new: the same order
		// taken before the limit is still answered as a duplicate
		if err := in.checkSize(); err != nil {
			if _, seen, lerr := l.eventByID(id); lerr != nil || !seen {
				return Event{}, cmp.Or(lerr, err)
			}
		}
		ev := Event{ID: id, Type: EvOrderReceived, Actor: actor, Device: device, Owner: envelopeOwner(owner), Data: payload}
		ev.decoded, ev.digests = in, []string{digest}
		return ev, nil
	}
	if key == "" {
		ev, err := newOrderEvent()
		if err != nil {
			return Order{}, false, err
		}
		_, dup, err := l.Append(ctx, ev)
		if err != nil {
			return Order{}, false, err
		}
		o, err := l.Books(owner).Order(in.No)
		if dup && ErrorCode(err) == CodeNotFound { // the same order again, archived since
			a, aerr := l.Books(owner).ArchivedOrder(in.No)
			if aerr == nil {
				return a.Order, dup, nil
			}
		}
		return o, dup, err
	}
	var fresh bool
	k := keyed{id: key, typ: EvOrderReceived, target: OrderRef(owner, in.No), actor: actor, request: asked, fresh: &fresh}
	a, err := runKeyed(ctx, l, k, newOrderEvent, func(tx *txn, ev *Event) (orderReceived, error) {
		o, err := orderTx(tx, owner, in.No)
		return orderReceived{Order: o, Dup: !fresh}, err
	})
	return a.Order, a.Dup, err
}

// orderReceived is the first answer of a keyed ReceiveOrder.
type orderReceived struct {
	Order Order `json:"order"`
	Dup   bool  `json:"dup"`
}

func applyOrderReceived(tx *txn, ev *Event) error {
	var in OrderIntake
	if err := decode(ev, &in); err != nil {
		return err
	}
	owner, err := ownerFor(ev, in.Owner)
	if err != nil {
		return err
	}
	if digest, ok := checkedDigest(ev, 0, 1); ok {
		if ev.booked != nil {
			return storeReceivedOrder(tx, owner, in, digest, ev.At, UpstreamOfActor(ev.Actor), ev.booked.o, ev.booked.found)
		}
		return receiveValidOrder(tx, owner, in, digest, ev.At, UpstreamOfActor(ev.Actor))
	}
	return receiveOrder(tx, owner, in, ev.At, UpstreamOfActor(ev.Actor))
}

// UpstreamOfActor is the upstream an event came from when a syncer wrote
// it (actor "sync:<upstream>" for Tally's protocol, "qimen:<upstream>" for
// an ERP's Qimen call), "" for a person's or a file's.
func UpstreamOfActor(actor string) string {
	for _, p := range []string{"sync:", "qimen:"} {
		if name, ok := strings.CutPrefix(actor, p); ok {
			return name
		}
	}
	return ""
}

// receiveOrder stores an order received from source (its upstream's name,
// "" for a person's or a file's).
func receiveOrder(tx *txn, owner string, in OrderIntake, at time.Time, source string) error {
	if err := in.Validate(); err != nil {
		return err
	}
	return receiveValidOrder(tx, owner, in, in.Digest(), at, source)
}

// receiveValidOrder is receiveOrder of a validated order and its digest.
func receiveValidOrder(tx *txn, owner string, in OrderIntake, digest string, at time.Time, source string) error {
	if err := knownOwner(tx, owner); err != nil {
		return err
	}
	for _, line := range in.Lines {
		if tx.Bucket(bucketSKUs).Get(skuKey(owner, line.SKU)) == nil {
			return Errf(CodeNotFound, "sku.not_found", "sku", line.SKU, "owner", owner)
		}
	}
	o, found, err := getOrder(tx, owner, in.No)
	if err != nil {
		return err
	}
	if !found {
		archived, err := isArchivedOrder(tx, owner, in.No) // finished and archived (archive.go, ordertable.go)
		if err != nil {
			return err
		}
		if archived {
			return Errf(CodeConflict, "order.in_archive", "order", in.No)
		}
	}
	return storeReceivedOrder(tx, owner, in, digest, at, source, o, found)
}

// storeReceivedOrder stores a validated order, its owner and SKUs known and
// its number not archived, over o (found: as stored before).
func storeReceivedOrder(tx *txn, owner string, in OrderIntake, digest string, at time.Time, source string, o Order, found bool) error {
	switch {
	case found && o.Digest == digest:
		return nil // the same content under another event ID: nothing changes
	case found && o.State != OrderNew:
		return Errf(CodeConflict, "order.locked", "order", in.No, "state", string(o.State))
	case !found:
		o = Order{Received: at, State: OrderNew}
	}
	o.Owner = owner
	o.No, o.Channel, o.Shop, o.Recipient, o.Priority, o.Carrier, o.ShipBy, o.Notes =
		in.No, in.Channel, in.Shop, in.Recipient, in.Priority, in.Carrier, in.ShipBy, in.Notes
	o.Platform, o.PlatformOrderIDs = in.Platform, in.PlatformOrderIDs
	o.Source = source
	o.Lines = o.Lines[:0]
	for _, line := range in.Lines {
		o.Lines = append(o.Lines, OrderLine{SKU: line.SKU, Qty: line.Qty,
			PlatformOrderID: line.PlatformOrderID, PlatformSubOrderID: line.PlatformSubOrderID, Parts: line.Parts})
	}
	o.Digest, o.Updated = digest, at
	return putOrder(tx, &o, "")
}

// putOrder stores an order and moves it in the by-state index.
func putOrder(tx *txn, o *Order, oldState OrderState) error {
	if tx.apply != nil {
		o.noteStep(tx.apply.ev.At)
	}
	brief := briefOf(o)
	enc := brief.encode()
	// the wave queue first: it reads the brief order_state held
	if err := putWaveQueue(tx, o, oldState, brief, enc); err != nil {
		return err
	}
	idx := tx.Bucket(bucketOrderState)
	if oldState != "" && oldState != o.State {
		if err := idx.Delete(orderStateKey(oldState, o.Owner, o.No)); err != nil {
			return err
		}
	}
	// a pick changes the order but seldom its brief: an index entry already
	// holding these bytes is not written again (a write of the same value
	// still dirties its page)
	if err := putChanged(idx, orderStateKey(o.State, o.Owner, o.No), enc); err != nil {
		return err
	}
	b, k := tx.Bucket(bucketOrders), orderKey(o.Owner, o.No)
	if b.typed() && b.putRec(k, &orderRec{normOrder(o)}) { // a replay's (overlay_typed.go)
		return nil
	}
	return b.Put(k, encodeOrder(o))
}

// Order returns one of the default owner's orders.
func (l *Ledger) Order(no string) (Order, error) { return l.Books(DefaultOwner).Order(no) }

// Order returns one of the owner's orders.
func (b Books) Order(no string) (Order, error) {
	var o Order
	err := b.l.view(func(tx *txn) error {
		var err error
		o, err = orderTx(tx, b.owner, no)
		return err
	})
	return o, err
}

// OrdersIn lists orders in a state, by owner and number, up to limit; owner
// "" lists every owner's.
func (l *Ledger) OrdersIn(state OrderState, owner string, limit int) ([]Order, error) {
	var out []Order
	err := l.view(func(tx *txn) error {
		c := tx.Bucket(bucketOrderState).Cursor()
		p := prefixKey(string(state))
		if owner != "" {
			p = prefixKey(string(state), owner)
		}
		for k, _ := c.Seek(p); k != nil && strings.HasPrefix(string(k), string(p)) && len(out) < limit; k, _ = c.Next() {
			parts := splitKey(k)
			o, err := orderTx(tx, parts[1], parts[2])
			if err != nil {
				return err
			}
			out = append(out, o)
		}
		return nil
	})
	return out, err
}

// OrderCancel cancels an order. What was already picked comes back through a
// put-back task (PutBackTask is decided when the event is applied).
type OrderCancel struct {
	Owner       string `json:"owner,omitempty"` // the command moves it to the envelope
	No          string `json:"no"`
	Reason      string `json:"reason"`
	PutBackTask string `json:"putback_task,omitempty"`
}

// CancelOrder cancels one of the default owner's orders in any state before packing.
func (l *Ledger) CancelOrder(ctx context.Context, no, reason, eventID, actor, device string) (Order, error) {
	return l.Books(DefaultOwner).CancelOrder(ctx, no, reason, eventID, actor, device)
}

// CancelOrder cancels one of the owner's orders in any state before packing.
// Without an event ID the cancellation is named by the order: anyone
// cancelling it again gets the first answer.
func (b Books) CancelOrder(ctx context.Context, no, reason, eventID, actor, device string) (Order, error) {
	if err := checkFree(FieldReason, reason, false); err != nil {
		return Order{}, err
	}
	natural := eventID == ""
	if natural {
		eventID = "cancel:" + no
		if b.owner != DefaultOwner {
			eventID = "cancel:" + b.owner + ":" + no
		}
	}
	p := OrderCancel{No: no, Reason: reason}
	k := keyed{id: eventID, typ: EvOrderCancelled, target: OrderRef(b.owner, no), actor: actor, request: p, natural: natural}
	return runKeyed(ctx, b.l, k, func() (Event, error) {
		return newOwnedEvent(eventID, EvOrderCancelled, actor, device, b.owner, p)
	}, func(tx *txn, ev *Event) (Order, error) {
		return orderTx(tx, b.owner, no)
	})
}

func applyOrderCancelled(tx *txn, ev *Event) error {
	var p OrderCancel
	if err := decode(ev, &p); err != nil {
		return err
	}
	owner, err := ownerFor(ev, p.Owner)
	if err != nil {
		return err
	}
	o, err := orderTx(tx, owner, p.No)
	if err != nil {
		return err
	}
	switch o.State {
	case OrderCancelled:
		return nil
	case OrderPacked, OrderShipped:
		return Errf(CodeConflict, "order.cancel_too_late", "order", p.No, "state", string(o.State))
	}
	old := o.State
	// Release what is reserved but not picked, and drop the order's open task lines.
	for i := range o.Lines {
		for j := range o.Lines[i].Allocs {
			a := &o.Lines[i].Allocs[j]
			if err := addReserved(tx, o.Owner, o.Lines[i].SKU, a.Lot, a.Location, -(a.Qty - a.Picked)); err != nil {
				return err
			}
			a.Qty = a.Picked
		}
	}
	if err := cancelOrderTaskLines(tx, o.Owner, o.No); err != nil {
		return err
	}
	// Units already in a tote go back to their shelves.
	var back []TaskLine
	for _, line := range o.Lines {
		for _, a := range line.Allocs {
			if a.Picked > 0 {
				back = append(back, TaskLine{Owner: o.Owner, Order: o.No, SKU: line.SKU, Lot: a.Lot, Expiry: a.Expiry, Location: a.Location, Qty: a.Picked})
			}
		}
	}
	if len(back) > 0 {
		id := "P" + strconv.FormatUint(ev.Seq, 10)
		if p.PutBackTask != "" && p.PutBackTask != id {
			return Errf(CodeInvalid, "event.payload_invalid", "type", ev.Type)
		}
		p.PutBackTask = id
		if err := redecide(ev, p); err != nil {
			return err
		}
		t := &Task{ID: id, Kind: TaskPutBack, State: TaskOpen, Priority: 9, Created: ev.At, Lines: back,
			Orders: []TaskOrder{{Owner: o.Owner, Order: o.No, Tote: o.Tote}}}
		if err := fillTaskLines(tx, t); err != nil {
			return err
		}
		if err := putTask(tx, t, ""); err != nil {
			return err
		}
	}
	o.State, o.CancelReason, o.Updated = OrderCancelled, p.Reason, ev.At
	o.Held, o.HoldReason = false, "" // a cancelled order waits for nothing
	return putOrder(tx, &o, old)
}

// redecide stores what applying an event found back into its payload, so
// the log says what happened and a rebuild reads the decision instead of
// deciding again under newer rules.
func redecide(ev *Event, payload any) error {
	raw, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	ev.Data = raw
	return nil
}

func addReserved(tx *txn, owner, sku, lot, loc string, delta int64) error {
	if delta == 0 {
		return nil
	}
	touchReserved(tx, owner, sku, lot, delta)
	b := tx.Bucket(bucketReserved)
	k := stockKey(owner, sku, lot, loc)
	n := qtyFromValue(b.Get(k)) + delta
	switch {
	case n < 0:
		return Errf(CodeInternal, "stock.reserved_negative", "sku", sku, "lot", lot, "location", loc)
	case n == 0:
		return b.Delete(k)
	}
	return b.Put(k, qtyValue(n))
}

func reservedAt(tx *txn, owner, sku, lot, loc string) int64 {
	return qtyFromValue(tx.Bucket(bucketReserved).Get(stockKey(owner, sku, lot, loc)))
}

// RunAutoWave applies the auto-wave rule once: for each carrier, new orders
// are released when there are enough of them or one is due soon. It returns
// the waves released.
func (l *Ledger) RunAutoWave(ctx context.Context) ([]Wave, error) {
	s, err := l.Settings()
	if err != nil || !s.AutoWave.Enabled {
		return nil, err
	}
	rule := s.AutoWave
	news, err := l.OrderBriefs(OrderNew)
	if err != nil {
		return nil, err
	}
	due := l.Now().Add(time.Duration(rule.DueWithinHours) * time.Hour)
	byCarrier := map[string][]OrderBrief{}
	var carriers []string
	for _, o := range news {
		if o.Held {
			continue
		}
		if _, seen := byCarrier[o.Carrier]; !seen {
			carriers = append(carriers, o.Carrier)
		}
		byCarrier[o.Carrier] = append(byCarrier[o.Carrier], o)
	}
	slices.Sort(carriers)
	var out []Wave
	for _, c := range carriers {
		orders := byCarrier[c]
		urgent := slices.ContainsFunc(orders, func(o OrderBrief) bool { return o.ShipBy != nil && o.ShipBy.Before(due) })
		if len(orders) < rule.MinOrders && !urgent {
			continue
		}
		w, err := l.ReleaseWave(ctx, WaveFilter{Carrier: c, Mode: rule.Mode, ClusterSize: rule.ClusterSize, MaxOrders: rule.MaxOrders},
			"auto:"+c+":"+strconv.FormatUint(l.LastSeq(), 10), "system", "auto-wave")
		switch {
		case err == nil:
			out = append(out, w)
		case ErrorCode(err) == CodeConflict, ErrorCode(err) == CodeNotFound:
			// nothing could be allocated: try again next round
		default:
			return out, err
		}
	}
	return out, nil
}
