package wms

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"tally/scan"
)

// Role is what a staff member may do on the floor.
type Role string

const (
	RolePicker     Role = "picker"
	RolePacker     Role = "packer"
	RoleReceiver   Role = "receiver"
	RoleSupervisor Role = "supervisor"
	RoleAdmin      Role = "admin"
	// RoleIntegration is for API tokens only, never staff: a program reading
	// the event feed (and later other integration endpoints), and nothing on
	// the floor.
	RoleIntegration Role = "integration"
)

// Roles lists every staff role in the order menus show them.
var Roles = []Role{RolePicker, RolePacker, RoleReceiver, RoleSupervisor, RoleAdmin}

// Valid says whether r is a staff role.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if r == x {
			return true
		}
	}
	return false
}

// ValidForToken says whether an API token may have role r: a staff role, integration, or replica (a standby).
func (r Role) ValidForToken() bool { return r == RoleIntegration || r == RoleReplica || r.Valid() }

// LocationKind says what a location is for.
type LocationKind string

const (
	KindPick       LocationKind = "pick"
	KindReserve    LocationKind = "reserve"
	KindDock       LocationKind = "dock"
	KindQuarantine LocationKind = "quarantine"
	KindReturns    LocationKind = "returns"
	KindDamaged    LocationKind = "damaged"
	KindSupplier   LocationKind = "supplier" // goods going back to their supplier (RTS)
)

var LocationKinds = []LocationKind{KindPick, KindReserve, KindDock, KindQuarantine, KindReturns, KindDamaged, KindSupplier}

func (k LocationKind) Valid() bool {
	for _, x := range LocationKinds {
		if k == x {
			return true
		}
	}
	return false
}

// LotStatus says whether a lot may be picked.
type LotStatus string

const (
	LotAvailable  LotStatus = "available"
	LotQuarantine LotStatus = "quarantine"
	LotHold       LotStatus = "hold"
	LotExpired    LotStatus = "expired"
)

// SKU is a stock-keeping unit. Quantities everywhere are integer base units.
type SKU struct {
	// Owner is whose item this is; two owners may use the same code. In a
	// file's rows empty means the default owner; stored SKUs always name it.
	Owner         string   `json:"owner,omitempty"`
	Code          string   `json:"code"`
	Name          string   `json:"name"`
	GTINs         []string `json:"gtins,omitempty"` // 14 digits each
	UnitWeightG   int      `json:"unit_weight_g"`
	LengthMM      int      `json:"length_mm"`
	WidthMM       int      `json:"width_mm"`
	HeightMM      int      `json:"height_mm"`
	ShelfLifeDays int      `json:"shelf_life_days"`
	LotTracked    bool     `json:"lot_tracked"`
	SerialTracked bool     `json:"serial_tracked"`
	// MinOutboundLifePct is the share of ShelfLifeDays that must remain for a unit to ship.
	MinOutboundLifePct int `json:"min_outbound_life_pct"`
	// Zone is where putaway looks for an empty pick face.
	Zone string `json:"zone,omitempty"`
	// ReceiveMinLifePct is the share of shelf life a delivery must have left;
	// ShortLifeAction says what happens to one that has less: refuse or quarantine.
	ReceiveMinLifePct int    `json:"receive_min_life_pct,omitempty"`
	ShortLifeAction   string `json:"short_life_action,omitempty"`
	// NearExpiryDays: lots expiring within this many days are listed for the
	// supervisor (0 means 30).
	NearExpiryDays int `json:"near_expiry_days,omitempty"`
}

// Short-life actions at receipt.
const (
	ShortLifeRefuse     = "refuse"
	ShortLifeQuarantine = "quarantine"
)

// Location is a place that holds stock.
type Location struct {
	Code    string       `json:"code"`
	Zone    string       `json:"zone"`
	PickSeq int          `json:"pick_seq"`
	Kind    LocationKind `json:"kind"`
	// Height is how a picker reaches the shelf, for the pick standard:
	// HeightWaist (also when empty), HeightHighLow or HeightFloor.
	// Reserve and dock locations count as floor whatever it says.
	Height string `json:"height,omitempty"`
	// XM and YM are the location's position on the floor plan in metres
	// (both or neither, 0–MaxPositionM): travel between two positioned
	// locations is the rectilinear distance |Δx|+|Δy| (work.go).
	XM *float64 `json:"x_m,omitempty"`
	YM *float64 `json:"y_m,omitempty"`
}

// MaxPositionM bounds a location's coordinates: a floor 100 km across.
const MaxPositionM = 100000

// positionMM is the location's position in whole millimetres (ok false
// without one): travel is measured in integers, so a rebuild gives the
// same bytes.
func (l Location) positionMM() (x, y int64, ok bool) {
	if l.XM == nil || l.YM == nil {
		return 0, 0, false
	}
	return int64(math.Round(*l.XM * 1000)), int64(math.Round(*l.YM * 1000)), true
}

// Location heights.
const (
	HeightWaist   = "waist"
	HeightHighLow = "high_low"
	HeightFloor   = "floor"
)

// PickHeight is the height the pick standard uses for the location.
func (l Location) PickHeight() string {
	if l.Kind == KindReserve || l.Kind == KindDock {
		return HeightFloor
	}
	if l.Height == "" {
		return HeightWaist
	}
	return l.Height
}

// Lot is one production batch of one SKU. Expiry is "YYYY-MM-DD" or empty.
// Stock of SKUs that are not lot-tracked sits in the lot with the empty code.
type Lot struct {
	Owner  string    `json:"owner"`
	SKU    string    `json:"sku"`
	Code   string    `json:"code"`
	Expiry string    `json:"expiry,omitempty"`
	Status LotStatus `json:"status"`
}

// Staff is a person who logs in on the floor.
type Staff struct {
	Badge         string     `json:"badge"`
	Name          string     `json:"name"`
	Role          Role       `json:"role"`
	Language      string     `json:"language,omitempty"` // "zh-CN", "en" or empty for the browser's choice
	PINHash       string     `json:"pin_hash,omitempty"`
	Disabled      bool       `json:"disabled,omitempty"`
	MustChangePIN bool       `json:"must_change_pin,omitempty"`
	FailedPINs    int        `json:"failed_pins,omitempty"`
	LockedUntil   *time.Time `json:"locked_until,omitempty"`
	// Temporary marks agency or seasonal staff, whose figures (ramp-up)
	// are shown apart.
	Temporary bool `json:"temporary,omitempty"`
}

// Languages the floor screens speak.
var Languages = []string{"zh-CN", "en"}

func validLanguage(s string) bool { return s == "" || s == "zh-CN" || s == "en" }

// validCode accepts the codes used as keys: 1–64 printable characters, no spaces.
func validCode(s string) bool {
	if s == "" || len(s) > 64 || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f {
			return false
		}
	}
	return true
}

// validText accepts names: 1–200 characters of valid UTF-8 without control characters.
func validText(s string) bool {
	if strings.TrimSpace(s) == "" || utf8.RuneCountInString(s) > 200 || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < ' ' || r == 0x7f {
			return false
		}
	}
	return true
}

// ParseDay parses a "YYYY-MM-DD" date as typed or stored.
func ParseDay(s string) (time.Time, error) {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return time.Time{}, Errf(CodeInvalid, "date.invalid", "value", s)
	}
	return t, nil
}

// Validate checks a SKU and normalises its GTINs to 14 digits.
func (s *SKU) Validate() error {
	s.Code = strings.TrimSpace(s.Code)
	s.Name = strings.TrimSpace(s.Name)
	if !validCode(s.Code) {
		return Errf(CodeInvalid, "sku.code_invalid", "sku", s.Code)
	}
	if !validText(s.Name) {
		return Errf(CodeInvalid, "sku.name_invalid", "sku", s.Code)
	}
	seen := map[string]bool{}
	gtins := s.GTINs[:0:0]
	for _, g := range s.GTINs {
		n, err := scan.NormalizeGTIN(strings.TrimSpace(g))
		if err != nil {
			return Errf(CodeInvalid, "sku.gtin_invalid", "sku", s.Code, "gtin", g)
		}
		if !seen[n] {
			seen[n] = true
			gtins = append(gtins, n)
		}
	}
	s.GTINs = gtins
	if s.UnitWeightG < 0 || s.LengthMM < 0 || s.WidthMM < 0 || s.HeightMM < 0 || s.ShelfLifeDays < 0 {
		return Errf(CodeInvalid, "sku.negative", "sku", s.Code)
	}
	if s.MinOutboundLifePct < 0 || s.MinOutboundLifePct > 100 {
		return Errf(CodeInvalid, "sku.pct_invalid", "sku", s.Code, "value", strconv.Itoa(s.MinOutboundLifePct))
	}
	if s.ReceiveMinLifePct < 0 || s.ReceiveMinLifePct > 100 {
		return Errf(CodeInvalid, "sku.pct_invalid", "sku", s.Code, "value", strconv.Itoa(s.ReceiveMinLifePct))
	}
	s.ShortLifeAction = strings.ToLower(strings.TrimSpace(s.ShortLifeAction))
	if s.ShortLifeAction != "" && s.ShortLifeAction != ShortLifeRefuse && s.ShortLifeAction != ShortLifeQuarantine {
		return Errf(CodeInvalid, "sku.short_life_action_invalid", "sku", s.Code, "value", s.ShortLifeAction)
	}
	if s.Zone = strings.TrimSpace(s.Zone); s.Zone != "" && !validCode(s.Zone) {
		return Errf(CodeInvalid, "location.zone_invalid", "location", s.Code, "zone", s.Zone)
	}
	if s.NearExpiryDays < 0 {
		return Errf(CodeInvalid, "sku.negative", "sku", s.Code)
	}
	return nil
}

// Validate checks a location.
func (l *Location) Validate() error {
	l.Code = strings.TrimSpace(l.Code)
	l.Zone = strings.TrimSpace(l.Zone)
	if !validCode(l.Code) {
		return Errf(CodeInvalid, "location.code_invalid", "location", l.Code)
	}
	if l.Zone != "" && !validCode(l.Zone) {
		return Errf(CodeInvalid, "location.zone_invalid", "location", l.Code, "zone", l.Zone)
	}
	if !l.Kind.Valid() {
		return Errf(CodeInvalid, "location.kind_invalid", "location", l.Code, "kind", string(l.Kind))
	}
	if l.PickSeq < 0 {
		return Errf(CodeInvalid, "location.seq_invalid", "location", l.Code)
	}
	switch l.Height {
	case "", HeightWaist, HeightHighLow, HeightFloor:
	default:
		return Errf(CodeInvalid, "location.height_invalid", "location", l.Code, "height", l.Height)
	}
	if (l.XM == nil) != (l.YM == nil) {
		return Errf(CodeInvalid, "location.position_half", "location", l.Code)
	}
	for _, v := range []*float64{l.XM, l.YM} {
		if v != nil && (math.IsNaN(*v) || *v < 0 || *v > MaxPositionM) {
			return Errf(CodeInvalid, "location.position_invalid", "location", l.Code, "value", strconv.FormatFloat(*v, 'g', -1, 64))
		}
	}
	return nil
}

func applySKU(tx *txn, ev *Event) error {
	var s SKU
	if err := decode(ev, &s); err != nil {
		return err
	}
	owner, err := ownerFor(ev, s.Owner)
	if err != nil {
		return err
	}
	s.Owner = owner
	return putSKU(tx, s)
}

// putSKU stores a SKU under its owner (s.Owner, empty for the default owner).
// A GTIN is unique within an owner; two owners may share one.
func putSKU(tx *txn, s SKU) error {
	if err := s.Validate(); err != nil {
		return err
	}
	s.Owner = OwnerOr(s.Owner)
	if err := knownOwner(tx, s.Owner); err != nil {
		return err
	}
	skus, gtins := tx.Bucket(bucketSKUs), tx.Bucket(bucketGTINs)
	var old SKU
	found, err := getJSON(skus, skuKey(s.Owner, s.Code), &old)
	if err != nil {
		return err
	}
	for _, g := range s.GTINs {
		if other := gtins.Get(gtinKey(g, s.Owner)); other != nil && string(other) != s.Code {
			return Errf(CodeConflict, "sku.gtin_taken", "gtin", g, "sku", string(other))
		}
	}
	if found {
		if old.LotTracked != s.LotTracked && hasStock(tx, s.Owner, s.Code) {
			return Errf(CodeConflict, "sku.lot_tracking_with_stock", "sku", s.Code)
		}
		for _, g := range old.GTINs {
			if err := gtins.Delete(gtinKey(g, s.Owner)); err != nil {
				return err
			}
		}
	}
	for _, g := range s.GTINs {
		if err := gtins.Put(gtinKey(g, s.Owner), []byte(s.Code)); err != nil {
			return err
		}
	}
	return putJSON(skus, skuKey(s.Owner, s.Code), s)
}

func hasStock(tx *txn, owner, sku string) bool {
	c := tx.Bucket(bucketStock).Cursor()
	p := prefixKey(owner, sku)
	k, _ := c.Seek(p)
	return k != nil && strings.HasPrefix(string(k), string(p))
}

func applyLocation(tx *txn, ev *Event) error {
	var l Location
	if err := decode(ev, &l); err != nil {
		return err
	}
	return putLocation(tx, l)
}

func putLocation(tx *txn, l Location) error {
	if err := l.Validate(); err != nil {
		return err
	}
	return putJSON(tx.Bucket(bucketLocations), []byte(l.Code), l)
}

func applyStaff(tx *txn, ev *Event) error {
	var c StaffChange
	if err := decode(ev, &c); err != nil {
		return err
	}
	return putStaff(tx, c)
}

func putStaff(tx *txn, c StaffChange) error {
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
		return Errf(CodeInvalid, "staff.pin_required", "badge", c.Badge)
	}
	s.Badge, s.Name, s.Role, s.Language, s.Disabled, s.Temporary = c.Badge, c.Name, c.Role, c.Language, c.Disabled, c.Temporary
	if c.PINHash != "" {
		s.PINHash, s.MustChangePIN, s.FailedPINs, s.LockedUntil = c.PINHash, c.MustChangePIN, 0, nil
	}
	return putJSON(b, []byte(s.Badge), s)
}

// Validate checks a staff change.
func (c *StaffChange) Validate() error {
	c.Badge, c.Name = strings.TrimSpace(c.Badge), strings.TrimSpace(c.Name)
	if !validCode(c.Badge) {
		return Errf(CodeInvalid, "staff.badge_invalid", "badge", c.Badge)
	}
	if !validText(c.Name) {
		return Errf(CodeInvalid, "staff.name_invalid", "badge", c.Badge)
	}
	if !c.Role.Valid() {
		return Errf(CodeInvalid, "staff.role_invalid", "badge", c.Badge, "role", string(c.Role))
	}
	if !validLanguage(c.Language) {
		return Errf(CodeInvalid, "staff.language_invalid", "badge", c.Badge, "language", c.Language)
	}
	return nil
}

func applyImport(tx *txn, ev *Event) error {
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
			if err := loadWaybills(tx, OwnerOr(w.Owner), w); err != nil {
				return err
			}
		}
	case ImportReceipts:
		for _, r := range im.Receipts {
			if err := expectReceipt(tx, OwnerOr(r.Owner), r, ev.At); err != nil {
				return err
			}
		}
	case ImportOrders:
		for i, o := range im.Orders {
			if digest, ok := checkedDigest(ev, i, len(im.Orders)); ok {
				if err := receiveValidOrder(tx, OwnerOr(o.Owner), o, digest, ev.At, ""); err != nil {
					return err
				}
				continue
			}
			if err := receiveOrder(tx, OwnerOr(o.Owner), o, ev.At, ""); err != nil {
				return err
			}
		}
	default:
		return Errf(CodeInvalid, "import.kind_unknown", "kind", string(im.Kind))
	}
	return nil
}
