package wms

import (
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
)

// Roles lists every role in the order menus show them.
var Roles = []Role{RolePicker, RolePacker, RoleReceiver, RoleSupervisor, RoleAdmin}

func (r Role) Valid() bool {
	for _, x := range Roles {
		if r == x {
			return true
		}
	}
	return false
}

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
}

// Lot is one production batch of one SKU. Expiry is "YYYY-MM-DD" or empty.
// Stock of SKUs that are not lot-tracked sits in the lot with the empty code.
type Lot struct {
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
		return time.Time{}, errf(CodeInvalid, "date.invalid", "value", s)
	}
	return t, nil
}

// Validate checks a SKU and normalises its GTINs to 14 digits.
func (s *SKU) Validate() error {
	s.Code = strings.TrimSpace(s.Code)
	s.Name = strings.TrimSpace(s.Name)
	if !validCode(s.Code) {
		return errf(CodeInvalid, "sku.code_invalid", "sku", s.Code)
	}
	if !validText(s.Name) {
		return errf(CodeInvalid, "sku.name_invalid", "sku", s.Code)
	}
	seen := map[string]bool{}
	gtins := s.GTINs[:0:0]
	for _, g := range s.GTINs {
		n, err := scan.NormalizeGTIN(strings.TrimSpace(g))
		if err != nil {
			return errf(CodeInvalid, "sku.gtin_invalid", "sku", s.Code, "gtin", g)
		}
		if !seen[n] {
			seen[n] = true
			gtins = append(gtins, n)
		}
	}
	s.GTINs = gtins
	if s.UnitWeightG < 0 || s.LengthMM < 0 || s.WidthMM < 0 || s.HeightMM < 0 || s.ShelfLifeDays < 0 {
		return errf(CodeInvalid, "sku.negative", "sku", s.Code)
	}
	if s.MinOutboundLifePct < 0 || s.MinOutboundLifePct > 100 {
		return errf(CodeInvalid, "sku.pct_invalid", "sku", s.Code, "value", strconv.Itoa(s.MinOutboundLifePct))
	}
	if s.ReceiveMinLifePct < 0 || s.ReceiveMinLifePct > 100 {
		return errf(CodeInvalid, "sku.pct_invalid", "sku", s.Code, "value", strconv.Itoa(s.ReceiveMinLifePct))
	}
	s.ShortLifeAction = strings.ToLower(strings.TrimSpace(s.ShortLifeAction))
	if s.ShortLifeAction != "" && s.ShortLifeAction != ShortLifeRefuse && s.ShortLifeAction != ShortLifeQuarantine {
		return errf(CodeInvalid, "sku.short_life_action_invalid", "sku", s.Code, "value", s.ShortLifeAction)
	}
	if s.Zone = strings.TrimSpace(s.Zone); s.Zone != "" && !validCode(s.Zone) {
		return errf(CodeInvalid, "location.zone_invalid", "location", s.Code, "zone", s.Zone)
	}
	if s.NearExpiryDays < 0 {
		return errf(CodeInvalid, "sku.negative", "sku", s.Code)
	}
	return nil
}

// Validate checks a location.
func (l *Location) Validate() error {
	l.Code = strings.TrimSpace(l.Code)
	l.Zone = strings.TrimSpace(l.Zone)
	if !validCode(l.Code) {
		return errf(CodeInvalid, "location.code_invalid", "location", l.Code)
	}
	if l.Zone != "" && !validCode(l.Zone) {
		return errf(CodeInvalid, "location.zone_invalid", "location", l.Code, "zone", l.Zone)
	}
	if !l.Kind.Valid() {
		return errf(CodeInvalid, "location.kind_invalid", "location", l.Code, "kind", string(l.Kind))
	}
	if l.PickSeq < 0 {
		return errf(CodeInvalid, "location.seq_invalid", "location", l.Code)
	}
	return nil
}
