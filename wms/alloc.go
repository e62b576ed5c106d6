package wms

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
)

// PartialPolicy says what to do when an order cannot be allocated in full.
type PartialPolicy string

const (
	// PartialWait leaves the order unallocated until all of it is in stock.
	PartialWait PartialPolicy = "wait"
	// PartialShip allocates what there is and back-orders the rest.
	PartialShip PartialPolicy = "ship"
)

// Settings are the warehouse's allocation rules, changed by events.
type Settings struct {
	Partial PartialPolicy `json:"partial"`
	// ChannelMinLifePct overrides each SKU's minimum remaining shelf life for
	// orders from a channel (some platforms demand more than the brand does).
	ChannelMinLifePct map[string]int `json:"channel_min_life_pct,omitempty"`
	AutoWave          AutoWaveRule   `json:"auto_wave"`
	WeightGate        WeightGate     `json:"weight_gate"`
	// Cutoffs is each carrier's daily pick-up time, "HH:MM" in the
	// warehouse's zone (SF 17:00, JD 18:00): the live floor measures the
	// backlog against it (livefloor.go).
	Cutoffs map[string]string `json:"cutoffs,omitempty"`
	// Standards are the KPI standards (standards.go); nil means
	// DefaultStandards (settings changed before they existed carry none).
	Standards *Standards `json:"standards,omitempty"`
}

// KPIStandards are the standards in force.
func (s Settings) KPIStandards() Standards {
	if s.Standards == nil {
		return DefaultStandards()
	}
	return *s.Standards
}

// AutoWaveRule releases waves by itself: new orders grouped by carrier.
type AutoWaveRule struct {
	Enabled     bool     `json:"enabled"`
	Mode        WaveMode `json:"mode"`
	ClusterSize int      `json:"cluster_size"`
	MaxOrders   int      `json:"max_orders"`
	// MinOrders waits for this many new orders of a carrier before releasing,
	// unless one of them is due within DueWithinHours.
	MinOrders      int `json:"min_orders"`
	DueWithinHours int `json:"due_within_hours"`
}

// DefaultSettings are used until a supervisor changes them.
func DefaultSettings() Settings {
	return Settings{Partial: PartialWait, AutoWave: AutoWaveRule{Mode: WaveCluster, ClusterSize: 4, MaxOrders: 40, MinOrders: 8, DueWithinHours: 4},
		WeightGate: WeightGate{AllowanceG: 20, AbsG: 30, Pct: 5}}
}

func (s *Settings) Validate() error {
	if s.Partial != PartialWait && s.Partial != PartialShip {
		return Errf(CodeInvalid, "settings.partial_invalid")
	}
	for ch, pct := range s.ChannelMinLifePct {
		if !validCode(ch) || pct < 0 || pct > 100 {
			return Errf(CodeInvalid, "sku.pct_invalid", "sku", ch, "value", strconv.Itoa(pct))
		}
	}
	if g := s.WeightGate; g.AllowanceG < 0 || g.AbsG < 0 || g.Pct < 0 || g.Pct > 100 {
		return Errf(CodeInvalid, "settings.gate_invalid")
	}
	a := &s.AutoWave
	if a.Mode != WaveSingle && a.Mode != WaveCluster {
		return Errf(CodeInvalid, "wave.mode_invalid")
	}
	if a.ClusterSize < 1 || a.ClusterSize > 12 || a.MaxOrders < 1 || a.MinOrders < 1 || a.DueWithinHours < 0 {
		return Errf(CodeInvalid, "settings.autowave_invalid")
	}
	if err := validCutoffs(s.Cutoffs); err != nil {
		return err
	}
	if s.Standards != nil {
		return s.Standards.Validate()
	}
	return nil
}

const settingsKey = "settings"

func getSettings(tx *txn) (Settings, error) {
	s := DefaultSettings()
	_, err := getJSON(tx.Bucket(bucketSettings), []byte(settingsKey), &s)
	return s, err
}

func applySettings(tx *txn, ev *Event) error {
	var s Settings
	if err := decode(ev, &s); err != nil {
		return err
	}
	if err := s.Validate(); err != nil {
		return err
	}
	return putJSON(tx.Bucket(bucketSettings), []byte(settingsKey), s)
}

// Settings returns the current rules.
func (l *Ledger) Settings() (Settings, error) {
	var s Settings
	err := l.view(func(tx *txn) error {
		var err error
		s, err = getSettings(tx)
		return err
	})
	return s, err
}

// ChangeSettings replaces the rules and answers with them. id is the event's
// ID, the request's key ("" for a new one): a repeat gets the first answer;
// the key with other rules is refused.
func (l *Ledger) ChangeSettings(ctx context.Context, id string, s Settings, actor, device string) (Settings, error) {
	if err := s.Validate(); err != nil {
		return Settings{}, err
	}
	return keyedAppend(ctx, l, cmp.Or(id, newID()), EvSettingsChanged, "", "", s, actor, device, nil)
}

// candidate is stock of a SKU that an order could take.
type candidate struct {
	lot  Lot
	loc  Location
	free int64 // on hand minus reserved
}

// daysBetween counts whole days from a to b ("YYYY-MM-DD" both).
func daysBetween(a, b string) int {
	days, _ := DaysLeft(a, b)
	return days
}

// DaysLeft is how many days a lot has until its expiry ("YYYY-MM-DD"),
// less than zero once it has expired; ok is false when either date is not
// one.
func DaysLeft(today, expiry string) (days int, ok bool) {
	ta, err1 := time.Parse("2006-01-02", today)
	tb, err2 := time.Parse("2006-01-02", expiry)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return int(tb.Sub(ta).Hours() / 24), true
}

// Shippable says whether a lot may leave on an order today: not held,
// quarantined or expired, and with at least minPct of the SKU's shelf life
// left. A lot expiring today has no life left and does not ship.
func Shippable(sku SKU, lot Lot, minPct int, today string) (ok bool, reason string) {
	if lot.Status != LotAvailable && lot.Status != "" {
		return false, LotRefusal(lot.Status)
	}
	if lot.Expiry == "" || sku.ShelfLifeDays == 0 {
		return true, ""
	}
	left := daysBetween(today, lot.Expiry)
	if left <= 0 {
		return false, "pick.lot_expired"
	}
	if left*100 < minPct*sku.ShelfLifeDays {
		return false, "pick.lot_short_life"
	}
	return true, ""
}

// LotRefusal is the message key for a pick of a lot in a status other than
// available (pick.lot_hold, pick.lot_quarantine, pick.lot_expired).
func LotRefusal(s LotStatus) string { return "pick.lot_" + string(s) }

// minLifePct is the rule for a SKU on a channel.
func minLifePct(sku SKU, channel string, s Settings) int {
	if pct, ok := s.ChannelMinLifePct[channel]; ok {
		return pct
	}
	return sku.MinOutboundLifePct
}

// allocView is what allocation decides against: the projections in tx, and
// what the decision has taken so far without writing it (an in-memory
// overlay). A wave allocating several orders sees the reservations its
// earlier orders took; a recall or sweep sees its lots as no longer
// shippable and the stock its earlier moves took. Deciders never write
// projections: the event's applier reserves what the decision recorded.
type allocView struct {
	tx       *txn
	reserved map[string]int64     // stock key -> units reserved by this decision (negative: released)
	status   map[string]LotStatus // lot key -> the status this decision gives the lot
}

func newAllocView(tx *txn) *allocView {
	return &allocView{tx: tx, reserved: map[string]int64{}, status: map[string]LotStatus{}}
}

// reservedAt is what is reserved at a place, with this decision's reservations.
func (v *allocView) reservedAt(owner, sku, lot, loc string) int64 {
	return reservedAt(v.tx, owner, sku, lot, loc) + v.reserved[string(stockKey(owner, sku, lot, loc))]
}

// reserve takes (or, negative, gives back) units within the decision.
func (v *allocView) reserve(owner, sku, lot, loc string, n int64) {
	v.reserved[string(stockKey(owner, sku, lot, loc))] += n
}

// setStatus gives a lot a status within the decision (a recall, the sweep).
func (v *allocView) setStatus(owner, sku, lot string, s LotStatus) {
	v.status[string(lotKey(owner, sku, lot))] = s
}

// candidates lists stock of a SKU an order may take, in the order to take it:
// first to expire first, pick faces before reserve, then along the walk. The
// SKU is its owner's, and so is the only stock it finds: an order never
// takes another owner's goods.
func candidates(v *allocView, sku SKU, minPct int, today string) ([]candidate, error) {
	tx := v.tx
	var out []candidate
	c := tx.Bucket(bucketStock).Cursor()
	p := prefixKey(sku.Owner, sku.Code)
	for k, val := c.Seek(p); k != nil && strings.HasPrefix(string(k), string(p)); k, val = c.Next() {
		parts := splitKey(k)[1:]
		var lot Lot
		if err := readLotInto(tx, &lot, sku.Owner, sku.Code, parts[1]); err != nil {
			return nil, err
		}
		if s, ok := v.status[string(lotKey(sku.Owner, sku.Code, parts[1]))]; ok {
			lot.Status = s
		}
		if ok, _ := Shippable(sku, lot, minPct, today); !ok {
			continue
		}
		var loc Location
		if _, err := getJSON(tx.Bucket(bucketLocations), []byte(parts[2]), &loc); err != nil {
			return nil, err
		}
		if loc.Kind != KindPick && loc.Kind != KindReserve {
			continue
		}
		free := qtyFromValue(val) - v.reservedAt(sku.Owner, sku.Code, lot.Code, loc.Code)
		if free <= 0 {
			continue
		}
		out = append(out, candidate{lot: lot, loc: loc, free: free})
	}
	slices.SortStableFunc(out, func(a, b candidate) int {
		switch {
		case a.lot.Expiry != b.lot.Expiry && a.lot.Expiry == "":
			return 1
		case a.lot.Expiry != b.lot.Expiry && b.lot.Expiry == "":
			return -1
		case a.lot.Expiry != b.lot.Expiry:
			return strings.Compare(a.lot.Expiry, b.lot.Expiry)
		case a.loc.Kind != b.loc.Kind:
			if a.loc.Kind == KindPick {
				return -1
			}
			return 1
		case a.loc.PickSeq != b.loc.PickSeq:
			return a.loc.PickSeq - b.loc.PickSeq
		case a.loc.Code != b.loc.Code:
			return strings.Compare(a.loc.Code, b.loc.Code)
		}
		return strings.Compare(a.lot.Code, b.lot.Code)
	})
	return out, nil
}

// takeStock is the allocation rule, the one function every decider that
// allocates uses: it takes up to want units of a SKU by the rules (FEFO,
// pick faces first, the shelf life the channel asks for, never expired or
// held lots) into the decision's overlay and returns the allocations made.
// skipLoc excludes one place (a location just found short).
func takeStock(v *allocView, sku SKU, want int64, minPct int, today, skipLoc string) ([]Alloc, error) {
	cands, err := candidates(v, sku, minPct, today)
	if err != nil {
		return nil, err
	}
	var out []Alloc
	for _, c := range cands {
		if want == 0 {
			break
		}
		if c.loc.Code == skipLoc {
			continue
		}
		n := min(want, c.free)
		v.reserve(sku.Owner, sku.Code, c.lot.Code, c.loc.Code, n)
		out = append(out, Alloc{Lot: c.lot.Code, Expiry: c.lot.Expiry, Location: c.loc.Code, Qty: n})
		want -= n
	}
	return out, nil
}

// allocateOrder decides the allocations of every line of a new order, in
// the decision's overlay. An order that cannot be filled in full under the
// wait policy, or that gets nothing, takes nothing (its reservations are
// given back to the overlay) and waits: ok is false.
func allocateOrder(v *allocView, o Order, s Settings, today string) (lines [][]Alloc, ok bool, err error) {
	complete, nothing := true, true
	lines = make([][]Alloc, len(o.Lines))
	for i, line := range o.Lines {
		sku, err := skuTx(v.tx, o.Owner, line.SKU)
		if err != nil {
			return nil, false, err
		}
		allocs, err := takeStock(v, sku, line.Qty, minLifePct(sku, o.Channel, s), today, "")
		if err != nil {
			return nil, false, err
		}
		lines[i] = allocs
		var got int64
		for _, a := range allocs {
			got += a.Qty
		}
		complete = complete && got >= line.Qty
		nothing = nothing && got == 0
	}
	if (!complete && s.Partial == PartialWait) || nothing {
		for i, line := range o.Lines {
			for _, a := range lines[i] {
				v.reserve(o.Owner, line.SKU, a.Lot, a.Location, -a.Qty)
			}
		}
		return nil, false, nil
	}
	return lines, true, nil
}
