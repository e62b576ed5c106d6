package wms

import (
	"context"
	"strconv"
	"strings"
)

// PackState is an order at the packing station: what was verified and the parcels made.
type PackState struct {
	Owner    string       `json:"owner"`
	Order    string       `json:"order"`
	Station  string       `json:"station,omitempty"`
	Verified []PackedItem `json:"verified,omitempty"` // scanned, not yet in a parcel
	Parcels  []Parcel     `json:"parcels,omitempty"`
}

// PackedItem is units of one SKU and lot checked at the kiosk.
type PackedItem struct {
	SKU     string   `json:"sku"`
	Lot     string   `json:"lot,omitempty"`
	Qty     int64    `json:"qty"`
	Serials []string `json:"serials,omitempty"`
}

// Parcel is one box of a shipment with its waybill.
type Parcel struct {
	N         int          `json:"n"`
	Box       string       `json:"box"`
	Items     []PackedItem `json:"items"`
	WeightG   int          `json:"weight_g"`
	ExpectedG int          `json:"expected_g"`
	Typed     bool         `json:"typed,omitempty"` // weight typed, not read from the scale
	Waybill   string       `json:"waybill"`
	Parent    string       `json:"parent,omitempty"` // the first parcel's waybill, for child parcels
	Override  *Override    `json:"override,omitempty"`
}

// Override is a supervisor letting a parcel through the weight gate.
type Override struct {
	Badge  string `json:"badge"`
	Reason string `json:"reason"`
}

// PackScan is one item scanned at the kiosk.
type PackScan struct {
	Owner   string `json:"owner,omitempty"` // the order's owner; the command moves it to the envelope
	Order   string `json:"order"`
	Station string `json:"station"`
	GTIN    string `json:"gtin"`
	Lot     string `json:"lot,omitempty"`
	Serial  string `json:"serial,omitempty"`
	Qty     int64  `json:"qty"`
	Today   string `json:"today"`
	// decided
	SKU string `json:"sku,omitempty"`
}

// ParcelClose weighs a parcel and gives it a waybill from the carrier's pool.
type ParcelClose struct {
	Owner    string    `json:"owner,omitempty"` // the order's owner; the command moves it to the envelope
	Order    string    `json:"order"`
	Station  string    `json:"station"`
	Box      string    `json:"box"`
	WeightG  int       `json:"weight_g"`
	Typed    bool      `json:"typed,omitempty"`
	Override *Override `json:"override,omitempty"`
	Today    string    `json:"today"`
	// decided
	Parcel *Parcel `json:"parcel,omitempty"`
}

func getPack(tx *txn, owner, order string) (PackState, error) {
	k, b := orderKey(owner, order), tx.Bucket(bucketPacks)
	rec, again := b.cached(k) // a replay's decoded state (overlay_packs.go)
	if r, ok := rec.(*packRec); ok {
		ps, _ := normPack(r.ps)
		return ps, nil
	}
	ps := PackState{Owner: owner, Order: order}
	found, err := getJSON(b, k, &ps)
	if found && err == nil && again {
		if n, ok := normPack(ps); ok {
			b.keep(k, &packRec{n})
		}
	}
	return ps, err
}

// packable loads an order that may be packed now.
func packable(tx *txn, owner, no string) (Order, error) {
	o, err := orderTx(tx, owner, no)
	if err != nil {
		return o, err
	}
	if o.State != OrderPicked && o.State != OrderPacked {
		return o, Errf(CodeConflict, "pack.not_picked", "order", no, "state", string(o.State))
	}
	return o, nil
}

// verifiedQty counts what is verified (in parcels or waiting) of a SKU and lot.
func (ps PackState) verifiedQty(sku, lot string) int64 {
	var n int64
	count := func(items []PackedItem) {
		for _, it := range items {
			if it.SKU == sku && it.Lot == lot {
				n += it.Qty
			}
		}
	}
	count(ps.Verified)
	for _, p := range ps.Parcels {
		count(p.Items)
	}
	return n
}

func addPacked(items []PackedItem, it PackedItem) []PackedItem {
	for i := range items {
		if items[i].SKU == it.SKU && items[i].Lot == it.Lot {
			items[i].Qty += it.Qty
			items[i].Serials = append(items[i].Serials, it.Serials...)
			return items
		}
	}
	return append(items, it)
}

// packScanOf checks a kiosk scan against the order in hand.
func packScanOf(tx *txn, ev *Event, p PackScan) (owner string, o Order, err error) {
	if owner, err = ownerFor(ev, p.Owner); err != nil {
		return "", o, err
	}
	if o, err = packable(tx, owner, p.Order); err != nil {
		return "", o, err
	}
	if p.Qty <= 0 {
		return "", o, Errf(CodeInvalid, "pick.qty_invalid")
	}
	return owner, o, nil
}

// decidePackScanned decides which SKU the scanned GTIN is: the order in
// hand says whose GTIN it is.
func decidePackScanned(tx *txn, ev *Event) error {
	var p PackScan
	if err := decode(ev, &p); err != nil {
		return err
	}
	owner, _, err := packScanOf(tx, ev, p)
	if err != nil {
		return err
	}
	sku, err := resolveGTIN(tx, p.GTIN, owner)
	if ErrorCode(err) == CodeNotFound {
		return Errf(CodeConflict, "pack.not_in_order", "gtin", p.GTIN, "order", p.Order)
	}
	if err != nil {
		return err
	}
	p.SKU = sku.Code
	return setPayload(ev, p)
}

// applyPackScanned verifies the units of the SKU the scan was decided to be.
func applyPackScanned(tx *txn, ev *Event) error {
	var p PackScan
	if err := decode(ev, &p); err != nil {
		return err
	}
	if p.SKU == "" {
		return undecided(ev)
	}
	owner, o, err := packScanOf(tx, ev, p)
	if err != nil {
		return err
	}
	sku, err := mustGet[SKU](tx, bucketSKUs, skuKey(owner, p.SKU), "sku.not_found", "sku", p.SKU)
	if err != nil {
		return err
	}
	skuCode := sku.Code
	// which picked lot: the one scanned, or the only one picked for a code without a lot
	picked := map[string]int64{}
	for _, line := range o.Lines {
		if line.SKU != skuCode {
			continue
		}
		for _, a := range line.Allocs {
			if a.Picked > 0 {
				picked[a.Lot] += a.Picked
			}
		}
	}
	if len(picked) == 0 {
		return Errf(CodeConflict, "pack.not_in_order", "gtin", p.GTIN, "order", p.Order)
	}
	ps, err := getPack(tx, owner, p.Order)
	if err != nil {
		return err
	}
	lot := p.Lot
	if !sku.LotTracked {
		lot = ""
	} else if lot == "" {
		for l := range picked {
			if picked[l] > ps.verifiedQty(skuCode, l) {
				if lot != "" && lot != l {
					return Errf(CodeInvalid, "pack.lot_needed", "sku", skuCode)
				}
				lot = l
			}
		}
	}
	if _, ok := picked[lot]; !ok {
		return Errf(CodeConflict, "pack.wrong_lot", "lot", lot, "sku", skuCode)
	}
	if ps.verifiedQty(skuCode, lot)+p.Qty > picked[lot] {
		return Errf(CodeConflict, "pack.too_many", "sku", skuCode, "picked", strconv.FormatInt(picked[lot], 10))
	}
	item := PackedItem{SKU: skuCode, Lot: lot, Qty: p.Qty}
	if sku.SerialTracked {
		if p.Serial == "" || p.Qty != 1 {
			return Errf(CodeInvalid, "pack.serial_needed", "sku", skuCode)
		}
		if tx.Bucket(bucketSerialHolds).Get([]byte(p.Serial)) != nil {
			return Errf(CodeConflict, "pick.serial_held", "serial", p.Serial)
		}
		// every serial verified into a parcel is in bucketShipped from that scan on
		if tx.Bucket(bucketShipped).Get([]byte(p.Serial)) != nil {
			return Errf(CodeConflict, "pick.serial_twice", "serial", p.Serial)
		}
		item.Serials = []string{p.Serial}
		if err := tx.Bucket(bucketShipped).Put([]byte(p.Serial), orderKey(owner, p.Order)); err != nil {
			return err
		}
		touchSerial(tx, p.Serial, SerialTrace{Serial: p.Serial, Owner: owner, SKU: skuCode, Lot: lot, Order: p.Order})
	}
	if lot != "" {
		touch(tx, owner, skuCode, lot) // the lot's story: packed into this order
	}
	ps.Station = p.Station
	ps.Verified = addPacked(ps.Verified, item)
	return putPack(tx, orderKey(owner, p.Order), ps) // overlay_packs.go
}

// parcelOf checks a parcel closing against the order at the kiosk: what is
// verified, the box and the weight read.
func parcelOf(tx *txn, ev *Event, p ParcelClose) (owner string, o Order, ps PackState, box Box, err error) {
	if owner, err = ownerFor(ev, p.Owner); err != nil {
		return
	}
	if o, err = packable(tx, owner, p.Order); err != nil {
		return
	}
	if ps, err = getPack(tx, owner, p.Order); err != nil {
		return
	}
	if len(ps.Verified) == 0 {
		err = Errf(CodeConflict, "pack.nothing_verified", "order", p.Order)
		return
	}
	if box, err = mustGet[Box](tx, bucketBoxes, []byte(p.Box), "box.not_found", "box", p.Box); err != nil {
		return
	}
	if p.WeightG <= 0 || p.WeightG > 100_000 {
		err = Errf(CodeInvalid, "pack.weight_invalid", "weight", strconv.Itoa(p.WeightG))
	}
	return
}

// decideParcelClosed applies the weight gate of the day (the settings, a
// supervisor's override) and takes the next waybill of the carrier's pool
// for the parcel it records.
func decideParcelClosed(tx *txn, ev *Event) error {
	var p ParcelClose
	if err := decode(ev, &p); err != nil {
		return err
	}
	owner, o, ps, box, err := parcelOf(tx, ev, p)
	if err != nil {
		return err
	}
	settings, err := getSettings(tx)
	if err != nil {
		return err
	}
	gate := settings.WeightGate
	expected, err := expectedWeight(tx, owner, ps.Verified, box, gate)
	if err != nil {
		return err
	}
	off := p.WeightG - expected
	if tol := gate.Tolerance(expected); off > tol || off < -tol {
		if p.Override == nil {
			return Errf(CodeConflict, "pack.weight_off", "weight", strconv.Itoa(p.WeightG), "expected", strconv.Itoa(expected),
				"off", strconv.Itoa(off), "tolerance", strconv.Itoa(tol))
		}
		s, found, err := lookup[Staff](tx, bucketStaff, []byte(p.Override.Badge))
		if err != nil {
			return err
		}
		if !found || (s.Role != RoleSupervisor && s.Role != RoleAdmin) || strings.TrimSpace(p.Override.Reason) == "" {
			return Errf(CodeForbidden, "pack.override_invalid")
		}
	} else {
		p.Override = nil // within the gate: nothing to override
	}
	if o.Carrier == "" {
		return Errf(CodeConflict, "pack.no_carrier", "order", o.No)
	}
	wb, err := nextWaybill(tx, owner, o.Carrier)
	if err != nil {
		return err
	}
	p.Parcel = &Parcel{N: len(ps.Parcels) + 1, Box: box.Code, Items: ps.Verified, WeightG: p.WeightG, ExpectedG: expected,
		Typed: p.Typed, Waybill: wb, Override: p.Override}
	if len(ps.Parcels) > 0 {
		p.Parcel.Parent = ps.Parcels[0].Waybill
	}
	return setPayload(ev, p)
}

// nextWaybill is the number takeWaybill will take next from a pool.
func nextWaybill(tx *txn, owner, account string) (string, error) {
	c := tx.Bucket(bucketWaybillPool).Cursor()
	p := prefixKey(owner, account)
	k, v := c.Seek(p)
	if k == nil || !strings.HasPrefix(string(k), string(p)) {
		return "", Errf(CodeConflict, "waybill.pool_empty", "account", account)
	}
	return string(v), nil
}

// applyParcelClosed adds the recorded parcel to the order and takes its
// waybill out of the pool.
func applyParcelClosed(tx *txn, ev *Event) error {
	var p ParcelClose
	if err := decode(ev, &p); err != nil {
		return err
	}
	parcel := p.Parcel
	if parcel == nil {
		return undecided(ev)
	}
	owner, o, ps, _, err := parcelOf(tx, ev, p)
	if err != nil {
		return err
	}
	if wb, err := takeWaybill(tx, owner, o.Carrier); err != nil || wb != parcel.Waybill { // the pool gives the number recorded
		if err == nil {
			err = Errf(CodeInternal, "waybill.replay_mismatch", "waybill", parcel.Waybill)
		}
		return err
	}
	if err := tx.Bucket(bucketWaybillUsed).Put([]byte(parcel.Waybill), orderKey(owner, o.No)); err != nil {
		return err
	}
	ps.Parcels = append(ps.Parcels, *parcel)
	touchParcelLots(tx, owner, *parcel)
	ps.Verified, ps.Station = nil, p.Station
	// the order is packed when everything picked sits in parcels
	complete := true
	for _, line := range o.Lines {
		for _, a := range line.Allocs {
			if a.Picked > 0 && ps.verifiedQty(line.SKU, a.Lot) < a.Picked {
				complete = false
			}
		}
	}
	if complete && o.State == OrderPicked {
		o.State, o.Updated = OrderPacked, ev.At
		if err := putOrder(tx, &o, OrderPicked); err != nil {
			return err
		}
	}
	if err := putPack(tx, orderKey(owner, o.No), ps); err != nil {
		return err
	}
	return bumpKPI(tx, p.Today, ev.Actor, func(s *ScanStats) {
		s.Parcels++
		if p.Typed {
			s.TypedWeights++
		}
		if p.Override != nil {
			s.WeightOverrides++
		}
	})
}

// touchParcelLots puts the event into the story of every lot in the parcel.
func touchParcelLots(tx *txn, owner string, parcel Parcel) {
	for _, it := range parcel.Items {
		if it.Lot != "" {
			touch(tx, owner, it.SKU, it.Lot)
		}
	}
}

// --- commands and reads ---

// PackScan verifies one scanned item at the kiosk.
func (l *Ledger) PackScan(ctx context.Context, id string, p PackScan, actor, device string) (PackState, error) {
	p.Today, p.SKU = "", ""
	owner := OwnerOr(p.Owner)
	p.Owner = ""
	k := keyed{id: id, typ: EvPackScanned, target: OrderRef(owner, p.Order), actor: actor, request: p}
	ps, err := runKeyed(ctx, l, k, func() (Event, error) {
		p.Today = l.Today()
		return newOwnedEvent(id, EvPackScanned, actor, device, owner, p)
	}, func(tx *txn, ev *Event) (PackState, error) { return getPack(tx, owner, p.Order) })
	if e, ok := AsError(err); ok && (e.Key == "pick.serial_twice" || e.Key == "pack.too_many") && l.checkedFor(owner, p.Order, p.Serial) {
		// the same can read twice at this order's bench: not a copy, nor one too many
		return PackState{}, Errf(CodeConflict, "pack.serial_checked", "serial", p.Serial)
	}
	return ps, err
}

// checkedFor tells whether a serial is already checked into this order.
func (l *Ledger) checkedFor(owner, order, serial string) bool {
	var here bool
	_ = l.view(func(tx *txn) error {
		here = serial != "" && string(tx.Bucket(bucketShipped).Get([]byte(serial))) == string(orderKey(owner, order))
		return nil
	})
	return here
}

// CloseParcel weighs the verified items as a parcel and gives it a waybill.
// A parcel the weight gate refuses is recorded for the packer's figures.
func (l *Ledger) CloseParcel(ctx context.Context, id string, p ParcelClose, actor, device string) (Parcel, error) {
	if p.Override != nil {
		if err := checkFree(FieldReason, p.Override.Reason, false); err != nil {
			return Parcel{}, err
		}
	}
	p.Today, p.Parcel = "", nil
	owner := OwnerOr(p.Owner)
	p.Owner = ""
	today := l.Today()
	done, err := keyedAppend(ctx, l, id, EvParcelClosed, owner, OrderRef(owner, p.Order), p, actor, device, func(p *ParcelClose) { p.Today = today })
	if err != nil {
		if e, ok := AsError(err); ok && e.Key == "pack.weight_off" {
			exp, _ := strconv.Atoi(e.Args["expected"])
			if rej, rerr := newOwnedEvent(id+":rejected", EvWeightRejected, actor, device, owner,
				WeightRejected{Order: p.Order, Station: p.Station, WeightG: p.WeightG, Expected: exp, Today: today}); rerr == nil {
				_, _, _ = l.Append(ctx, rej)
			}
		}
		return Parcel{}, err
	}
	if done.Parcel == nil {
		return Parcel{}, Errf(CodeNotFound, "event.not_found", "id", id)
	}
	return *done.Parcel, nil
}

// Pack returns the packing state of one of the default owner's orders.
func (l *Ledger) Pack(order string) (PackState, error) { return l.Books(DefaultOwner).Pack(order) }

// Pack returns the packing state of one of the owner's orders.
func (b Books) Pack(order string) (PackState, error) {
	var ps PackState
	err := b.l.view(func(tx *txn) error {
		var err error
		ps, err = getPack(tx, b.owner, order)
		return err
	})
	return ps, err
}

// OrderInTote is the order whose picked units are in a tote, and its owner.
func (l *Ledger) OrderInTote(tote string) (owner, no string, err error) {
	err = l.view(func(tx *txn) error {
		to, err := mustGet[TaskOrder](tx, bucketTotes, []byte(tote), "pack.tote_empty", "tote", tote)
		owner, no = OwnerOr(to.Owner), to.Order
		return err
	})
	return owner, no, err
}
