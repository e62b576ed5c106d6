package wms

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// applier validates one event against the current state and writes its
// projections. It must depend only on the event and the state in tx (never on
// the clock), so that a rebuild from the log gives the same bytes. A returned
// error rolls back the whole transaction.
type applier func(tx *bolt.Tx, ev *Event) error

var appliers = map[string]applier{
	EvSKUUpserted:      applySKU,
	EvLocationUpserted: applyLocation,
	EvStaffUpserted:    applyStaff,
	EvImported:         applyImport,
	EvStockAdjusted:    applyStockAdjusted,
	EvLoginSucceeded:   applyLoginSucceeded,
	EvLoginFailed:      applyLoginFailed,
	EvLoggedOut:        applyLoggedOut,
	EvSessionsSwept:    applySessionsSwept,
	EvPINChanged:       applyPINChanged,
	EvTokenCreated:     applyTokenCreated,
	EvOrderReceived:    applyOrderReceived,
	EvOrderCancelled:   applyOrderCancelled,
	EvSettingsChanged:  applySettings,
	EvWaveReleased:     applyWaveReleased,
	EvTaskStarted:      applyTaskStarted,
	EvPicked:           applyPicked,
	EvPickUndone:       applyPickUndone,
	EvShortReported:    applyShortReported,
	EvScanRejected:     applyScanRejected,
	EvPutBack:          applyPutBack,
	EvLotStatus:        applyLotStatus,
	EvLotRecalled:      applyLotStatus,
	EvLotsSwept:        applyLotsSwept,
	EvReceiptExpected:  applyReceiptExpected,
	EvReceived:         applyReceived,
	EvReceiptClosed:    applyReceiptClosed,
	EvReceiveRefused:   applyReceiveRefused,
	EvMoved:            applyMoved,
	EvMoveTasks:        applyMoveTasks,
	EvCountRequested:   applyCountRequested,
	EvCounted:          applyCounted,
	EvCountDecided:     applyCountDecided,
	EvBoxUpserted:      applyBox,
	EvStationUpserted:  applyStation,
	EvWaybillsLoaded:   applyWaybills,
	EvPackScanned:      applyPackScanned,
	EvParcelClosed:     applyParcelClosed,
	EvWeightRejected:   applyWeightRejected,
	EvShipped:          applyShipped,
	EvPrintRequested:   applyPrintRequested,
	EvPrinted:          applyPrinted,
	EvPrintRetried:     applyPrintRetried,
	EvReturnAnnounced:  applyRMA,
	EvReturnReceived:   applyReturnReceived,
	EvReturnMatched:    applyReturnMatched,
}

func applyEvent(tx *bolt.Tx, ev *Event) error {
	fn, ok := appliers[ev.Type]
	if !ok {
		return errf(CodeInvalid, "event.type_unknown", "type", ev.Type)
	}
	t := newTouched()
	touching.Store(tx, t)
	err := fn(tx, ev)
	touching.Delete(tx)
	if err != nil {
		return err
	}
	if err := indexTouched(tx, ev, t); err != nil {
		return err
	}
	return tx.Bucket(bucketByType).Put(byTypeKey(ev.Type, ev.Seq), []byte{})
}

func decode(ev *Event, v any) error {
	if err := json.Unmarshal(ev.Data, v); err != nil {
		return errf(CodeInvalid, "event.payload_invalid", "type", ev.Type, "detail", err.Error())
	}
	return nil
}

func getJSON(b *bolt.Bucket, key []byte, v any) (bool, error) {
	raw := b.Get(key)
	if raw == nil {
		return false, nil
	}
	return true, json.Unmarshal(raw, v)
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, raw)
}

// --- master data ---

func applySKU(tx *bolt.Tx, ev *Event) error {
	var s SKU
	if err := decode(ev, &s); err != nil {
		return err
	}
	return putSKU(tx, s)
}

func putSKU(tx *bolt.Tx, s SKU) error {
	if err := s.Validate(); err != nil {
		return err
	}
	skus, gtins := tx.Bucket(bucketSKUs), tx.Bucket(bucketGTINs)
	var old SKU
	found, err := getJSON(skus, []byte(s.Code), &old)
	if err != nil {
		return err
	}
	for _, g := range s.GTINs {
		if owner := gtins.Get([]byte(g)); owner != nil && string(owner) != s.Code {
			return errf(CodeConflict, "sku.gtin_taken", "gtin", g, "sku", string(owner))
		}
	}
	if found {
		if old.LotTracked != s.LotTracked && hasStock(tx, s.Code) {
			return errf(CodeConflict, "sku.lot_tracking_with_stock", "sku", s.Code)
		}
		for _, g := range old.GTINs {
			if err := gtins.Delete([]byte(g)); err != nil {
				return err
			}
		}
	}
	for _, g := range s.GTINs {
		if err := gtins.Put([]byte(g), []byte(s.Code)); err != nil {
			return err
		}
	}
	return putJSON(skus, []byte(s.Code), s)
}

func hasStock(tx *bolt.Tx, sku string) bool {
	c := tx.Bucket(bucketStock).Cursor()
	p := prefixKey(sku)
	k, _ := c.Seek(p)
	return k != nil && strings.HasPrefix(string(k), string(p))
}

func applyLocation(tx *bolt.Tx, ev *Event) error {
	var l Location
	if err := decode(ev, &l); err != nil {
		return err
	}
	return putLocation(tx, l)
}

func putLocation(tx *bolt.Tx, l Location) error {
	if err := l.Validate(); err != nil {
		return err
	}
	return putJSON(tx.Bucket(bucketLocations), []byte(l.Code), l)
}

func applyStaff(tx *bolt.Tx, ev *Event) error {
	var c StaffChange
	if err := decode(ev, &c); err != nil {
		return err
	}
	return putStaff(tx, c)
}

func putStaff(tx *bolt.Tx, c StaffChange) error {
	if err := c.Validate(); err != nil {
		return err
	}
	b := tx.Bucket(bucketStaff)
	var s Staff
	found, err := getJSON(b, []byte(c.Badge), &s)
	if err != nil {
		return err
	}
	if !found && c.PINHash == "" {
		return errf(CodeInvalid, "staff.pin_required", "badge", c.Badge)
	}
	s.Badge, s.Name, s.Role, s.Language, s.Disabled = c.Badge, c.Name, c.Role, c.Language, c.Disabled
	if c.PINHash != "" {
		s.PINHash, s.MustChangePIN, s.FailedPINs, s.LockedUntil = c.PINHash, c.MustChangePIN, 0, nil
	}
	return putJSON(b, []byte(s.Badge), s)
}

// Validate checks a staff change.
func (c *StaffChange) Validate() error {
	c.Badge, c.Name = strings.TrimSpace(c.Badge), strings.TrimSpace(c.Name)
	if !validCode(c.Badge) {
		return errf(CodeInvalid, "staff.badge_invalid", "badge", c.Badge)
	}
	if !validText(c.Name) {
		return errf(CodeInvalid, "staff.name_invalid", "badge", c.Badge)
	}
	if !c.Role.Valid() {
		return errf(CodeInvalid, "staff.role_invalid", "badge", c.Badge, "role", string(c.Role))
	}
	if !validLanguage(c.Language) {
		return errf(CodeInvalid, "staff.language_invalid", "badge", c.Badge, "language", c.Language)
	}
	return nil
}

func applyImport(tx *bolt.Tx, ev *Event) error {
	var im Import
	if err := decode(ev, &im); err != nil {
		return err
	}
	switch im.Kind {
	case ImportSKUs:
		for _, s := range im.SKUs {
			if err := putSKU(tx, s); err != nil {
				return err
			}
		}
	case ImportLocations:
		for _, l := range im.Locations {
			if err := putLocation(tx, l); err != nil {
				return err
			}
		}
	case ImportStaff:
		for _, s := range im.Staff {
			if err := putStaff(tx, s); err != nil {
				return err
			}
		}
	case ImportStock:
		for _, r := range im.Stock {
			if err := setStock(tx, r); err != nil {
				return err
			}
		}
	case ImportBoxes:
		for _, b := range im.Boxes {
			if err := putBox(tx, b); err != nil {
				return err
			}
		}
	case ImportWaybills:
		for _, w := range im.Waybills {
			if err := loadWaybills(tx, w); err != nil {
				return err
			}
		}
	case ImportReceipts:
		for _, r := range im.Receipts {
			if err := expectReceipt(tx, r, ev.At); err != nil {
				return err
			}
		}
	case ImportOrders:
		for _, o := range im.Orders {
			if err := receiveOrder(tx, o, ev.At); err != nil {
				return err
			}
		}
	default:
		return errf(CodeInvalid, "import.kind_unknown", "kind", string(im.Kind))
	}
	return nil
}

// --- stock ---

// placeStock checks a (sku, lot, expiry, location) reference and returns the
// current quantity there, creating the lot when it is new.
func placeStock(tx *bolt.Tx, skuCode, lotCode, expiry, loc string) (int64, error) {
	var sku SKU
	found, err := getJSON(tx.Bucket(bucketSKUs), []byte(skuCode), &sku)
	if err != nil {
		return 0, err
	}
	if !found {
		return 0, errf(CodeNotFound, "sku.not_found", "sku", skuCode)
	}
	if tx.Bucket(bucketLocations).Get([]byte(loc)) == nil {
		return 0, errf(CodeNotFound, "location.not_found", "location", loc)
	}
	if sku.LotTracked && lotCode == "" {
		return 0, errf(CodeInvalid, "stock.lot_required", "sku", skuCode)
	}
	if !sku.LotTracked && lotCode != "" {
		return 0, errf(CodeInvalid, "stock.lot_not_tracked", "sku", skuCode)
	}
	if lotCode != "" && !validCode(lotCode) {
		return 0, errf(CodeInvalid, "stock.lot_invalid", "sku", skuCode, "lot", lotCode)
	}
	if expiry != "" {
		if _, err := ParseDay(expiry); err != nil {
			return 0, err
		}
	}
	lots := tx.Bucket(bucketLots)
	var lot Lot
	found, err = getJSON(lots, lotKey(skuCode, lotCode), &lot)
	if err != nil {
		return 0, err
	}
	switch {
	case !found:
		if sku.LotTracked && sku.ShelfLifeDays > 0 && expiry == "" {
			return 0, errf(CodeInvalid, "stock.expiry_required", "sku", skuCode, "lot", lotCode)
		}
		lot = Lot{SKU: skuCode, Code: lotCode, Expiry: expiry, Status: LotAvailable}
		if err := putJSON(lots, lotKey(skuCode, lotCode), lot); err != nil {
			return 0, err
		}
	case expiry != "" && lot.Expiry != expiry:
		return 0, errf(CodeConflict, "stock.expiry_mismatch", "sku", skuCode, "lot", lotCode, "expiry", lot.Expiry)
	}
	return qtyFromValue(tx.Bucket(bucketStock).Get(stockKey(skuCode, lotCode, loc))), nil
}

// writeQty stores the quantity at one place in both stock indexes; zero removes it.
func writeQty(tx *bolt.Tx, sku, lot, loc string, qty int64) error {
	touch(tx, sku, lot)
	if qty < 0 {
		return errf(CodeConflict, "stock.negative", "sku", sku, "lot", lot, "location", loc)
	}
	st, byLoc := tx.Bucket(bucketStock), tx.Bucket(bucketStockByLoc)
	if qty == 0 {
		if err := st.Delete(stockKey(sku, lot, loc)); err != nil {
			return err
		}
		return byLoc.Delete(stockByLocKey(loc, sku, lot))
	}
	if err := st.Put(stockKey(sku, lot, loc), qtyValue(qty)); err != nil {
		return err
	}
	return byLoc.Put(stockByLocKey(loc, sku, lot), qtyValue(qty))
}

func setStock(tx *bolt.Tx, r StockRow) error {
	if r.Qty < 0 {
		return errf(CodeInvalid, "stock.qty_negative", "sku", r.SKU, "qty", strconv.FormatInt(r.Qty, 10))
	}
	if _, err := placeStock(tx, r.SKU, r.Lot, r.Expiry, r.Location); err != nil {
		return err
	}
	if res := reservedAt(tx, r.SKU, r.Lot, r.Location); r.Qty < res {
		return errf(CodeConflict, "stock.below_reserved", "sku", r.SKU, "lot", r.Lot, "location", r.Location, "reserved", strconv.FormatInt(res, 10))
	}
	return writeQty(tx, r.SKU, r.Lot, r.Location, r.Qty)
}

func applyStockAdjusted(tx *bolt.Tx, ev *Event) error {
	var a StockAdjustment
	if err := decode(ev, &a); err != nil {
		return err
	}
	if a.Delta == 0 {
		return errf(CodeInvalid, "stock.delta_zero")
	}
	have, err := placeStock(tx, a.SKU, a.Lot, a.Expiry, a.Location)
	if err != nil {
		return err
	}
	if have+a.Delta < 0 {
		return errf(CodeConflict, "stock.insufficient", "sku", a.SKU, "lot", a.Lot, "location", a.Location,
			"have", strconv.FormatInt(have, 10), "want", strconv.FormatInt(-a.Delta, 10))
	}
	if res := reservedAt(tx, a.SKU, a.Lot, a.Location); a.Delta < 0 && have+a.Delta < res {
		return errf(CodeConflict, "stock.below_reserved", "sku", a.SKU, "lot", a.Lot, "location", a.Location, "reserved", strconv.FormatInt(res, 10))
	}
	return writeQty(tx, a.SKU, a.Lot, a.Location, have+a.Delta)
}

// --- logins, sessions and tokens ---

// Lockout policy: this many wrong PINs in a row lock the badge for lockoutFor.
const (
	maxWrongPINs = 5
	lockoutFor   = 15 * time.Minute
)

func applyLoginSucceeded(tx *bolt.Tx, ev *Event) error {
	var p LoginSucceeded
	if err := decode(ev, &p); err != nil {
		return err
	}
	found, err := updateStaff(tx, p.Badge, func(s *Staff) { s.FailedPINs, s.LockedUntil = 0, nil })
	if err != nil {
		return err
	}
	if !found {
		return errf(CodeNotFound, "login.unknown_badge", "badge", p.Badge)
	}
	return putJSON(tx.Bucket(bucketSessions), []byte(p.SessionHash), Session{
		Badge: p.Badge, Started: ev.At, ExpiresAt: p.ExpiresAt.UTC(), Device: ev.Device,
	})
}

// updateStaff applies fn to a stored staff member; found is false when the badge is unknown.
func updateStaff(tx *bolt.Tx, badge string, fn func(*Staff)) (found bool, err error) {
	b := tx.Bucket(bucketStaff)
	var s Staff
	if found, err = getJSON(b, []byte(badge), &s); err != nil || !found {
		return found, err
	}
	fn(&s)
	return true, putJSON(b, []byte(s.Badge), s)
}

func applyLoginFailed(tx *bolt.Tx, ev *Event) error {
	var p LoginFailed
	if err := decode(ev, &p); err != nil {
		return err
	}
	if p.Reason != "login.wrong_pin" {
		return nil // unknown, disabled or locked badges change nothing but the audit trail
	}
	_, err := updateStaff(tx, p.Badge, func(s *Staff) {
		s.FailedPINs++
		if s.FailedPINs >= maxWrongPINs {
			until := ev.At.Add(lockoutFor).UTC()
			s.FailedPINs, s.LockedUntil = 0, &until
		}
	})
	return err
}

func applyLoggedOut(tx *bolt.Tx, ev *Event) error {
	var p LoggedOut
	if err := decode(ev, &p); err != nil {
		return err
	}
	return tx.Bucket(bucketSessions).Delete([]byte(p.SessionHash))
}

func applyPINChanged(tx *bolt.Tx, ev *Event) error {
	var p PINChanged
	if err := decode(ev, &p); err != nil {
		return err
	}
	found, err := updateStaff(tx, p.Badge, func(s *Staff) {
		s.PINHash, s.MustChangePIN, s.FailedPINs, s.LockedUntil = p.PINHash, false, 0, nil
	})
	if err == nil && !found {
		err = errf(CodeNotFound, "staff.not_found", "badge", p.Badge)
	}
	return err
}

func applyTokenCreated(tx *bolt.Tx, ev *Event) error {
	var p TokenCreated
	if err := decode(ev, &p); err != nil {
		return err
	}
	if !validText(p.Name) || !p.Role.Valid() || len(p.Hash) != 64 {
		return errf(CodeInvalid, "token.invalid")
	}
	return putJSON(tx.Bucket(bucketTokens), []byte(p.Hash), Token{Name: p.Name, Role: p.Role, Created: ev.At})
}
