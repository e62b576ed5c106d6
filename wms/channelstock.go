package wms

import (
	"context"
	"slices"
	"strconv"
	"strings"
)

// Stock to the channels (issue 14): what a marketplace shop may still sell
// of each SKU is published to it by the syncer. The rules are the shop's,
// saved as one event (channel.stock.saved): which listing stands for each
// SKU, the safety buffer, an optional share of the owner's stock, and how
// fast the buffer grows while the warehouse cannot reach the shop. The
// figures are the warehouse's: per SKU, the sellable units on hand and the
// units open orders still need, read in one transaction.
//
// The formula is ChannelQty; docs/markets.md explains it to a merchant.

// EvChannelStockSaved records a shop's stock rules.
const EvChannelStockSaved = "channel.stock.saved" // StockRules

// Limits of a shop's stock rules.
const (
	MaxStockListings    = 100_000
	MaxStockBuffer      = 1_000_000_000
	MaxOfflinePerHour   = 1_000_000
	MaxStockSettleS     = 30 * 24 * 3600
	DefaultStockSettleS = 3600
	maxListingID        = 64
)

// Share is a channel's part of an owner's available stock: Percent of it
// (1–100), or a Fixed number of units, or neither (the whole of what the
// shares of the other channels leave).
type Share struct {
	Percent int `json:"percent,omitempty"`
	// Fixed is nil for no fixed share (a fixed share of zero publishes
	// nothing).
	Fixed *int64 `json:"fixed,omitempty"`
}

// Split says whether the share takes a part (rather than the rest).
func (s Share) Split() bool { return s.Percent > 0 || s.Fixed != nil }

// ListingRule is one SKU of a shop: the platform's listing that sells it
// (empty IDs: the platform finds it by the merchant's code, where it can),
// its own buffer (nil: the shop's) and its own share (nil: the shop's).
type ListingRule struct {
	SKU    string `json:"sku"`
	ItemID string `json:"item_id,omitempty"`
	SkuID  string `json:"sku_id,omitempty"`
	Buffer *int64 `json:"buffer,omitempty"`
	Share  *Share `json:"share,omitempty"`
}

// StockRules are one shop's stock rules.
type StockRules struct {
	Upstream string        `json:"upstream"`
	Listings []ListingRule `json:"listings,omitempty"`
	// AllSKUs publishes every SKU of the owner, not only the listed ones:
	// an unlisted SKU goes with empty listing IDs, found on the platform by
	// the merchant's code (outer ID) where the platform allows it, refused
	// (and shown on its row) where it does not.
	AllSKUs bool `json:"all_skus,omitempty"`
	// Buffer is the shop's safety buffer for SKUs without their own; Share
	// the shop's share for SKUs without their own.
	Buffer int64 `json:"buffer,omitempty"`
	Share  Share `json:"share"`
	// OfflineBufferPerHour is added to every buffer for each hour (begun)
	// the shop was unreachable, for SettleS seconds after it answers again
	// (0: DefaultStockSettleS).
	OfflineBufferPerHour int64 `json:"offline_buffer_per_hour,omitempty"`
	SettleS              int64 `json:"settle_s,omitempty"`
}

// Listing is the rule of a SKU, ok false when the shop lists it not.
func (r StockRules) Listing(sku string) (ListingRule, bool) {
	i := slices.IndexFunc(r.Listings, func(l ListingRule) bool { return l.SKU == sku })
	if i < 0 {
		return ListingRule{}, false
	}
	return r.Listings[i], true
}

// Publishes says whether the shop publishes a SKU.
func (r StockRules) Publishes(sku string) bool {
	_, ok := r.Listing(sku)
	return ok || r.AllSKUs
}

// BufferOf is a SKU's buffer: its own, or the shop's.
func (r StockRules) BufferOf(sku string) int64 {
	if l, ok := r.Listing(sku); ok && l.Buffer != nil {
		return *l.Buffer
	}
	return r.Buffer
}

// ShareOf is a SKU's share: its own, or the shop's.
func (r StockRules) ShareOf(sku string) Share {
	if l, ok := r.Listing(sku); ok && l.Share != nil {
		return *l.Share
	}
	return r.Share
}

// Settle is how long the extra buffer stays after a reconnection, in
// seconds.
func (r StockRules) Settle() int64 {
	if r.SettleS == 0 {
		return DefaultStockSettleS
	}
	return r.SettleS
}

// ChannelQty is the formula: the units a channel may sell of a SKU whose
// owner has available units (on hand − committed; negative when
// oversold). own is this channel's share, all the shares of every channel
// publishing the SKU (own among them); buffer the channel's safety buffer
// for it and extra the buffer the offline hours added.
//
// Shares: fixed shares come first, each its units (pro rata when they ask
// for more than there is); percentages are of what the fixed shares left
// (pro rata when they add up to more than 100); a channel without a share
// gets what the shares left. The shares of the channels that take one
// never add up to more than what is available.
//
// published = max(0, share − buffer − extra).
func ChannelQty(available int64, own Share, all []Share, buffer, extra int64) int64 {
	avail := max(available, 0)
	var fixed, percent int64
	for _, s := range all {
		switch {
		case s.Fixed != nil:
			fixed += *s.Fixed
		case s.Percent > 0:
			percent += int64(s.Percent)
		}
	}
	fixedShare := func(f int64) int64 {
		if fixed <= avail {
			return f
		}
		return f * avail / fixed // fixed > avail ≥ 0
	}
	rest := avail - min(fixed, avail)
	percentShare := func(p int64) int64 { return rest * p / max(percent, 100) }
	var share int64
	switch {
	case own.Fixed != nil:
		share = fixedShare(*own.Fixed)
	case own.Percent > 0:
		share = percentShare(int64(own.Percent))
	default:
		share = rest - percentShare(percent)
	}
	return max(0, share-buffer-extra)
}

// validate checks rules as a shop's: the limits, each SKU once, IDs a
// platform could carry.
func (r *StockRules) validate() error {
	if len(r.Listings) > MaxStockListings {
		return Errf(CodeInvalid, "stock_rules.too_many", "max", strconv.Itoa(MaxStockListings))
	}
	if err := r.Share.validate(""); err != nil {
		return err
	}
	if r.Buffer < 0 || r.Buffer > MaxStockBuffer {
		return Errf(CodeInvalid, "stock_rules.buffer_invalid", "sku", "—", "max", strconv.Itoa(MaxStockBuffer))
	}
	if r.OfflineBufferPerHour < 0 || r.OfflineBufferPerHour > MaxOfflinePerHour {
		return Errf(CodeInvalid, "stock_rules.offline_invalid", "max", strconv.Itoa(MaxOfflinePerHour))
	}
	if r.SettleS < 0 || r.SettleS > MaxStockSettleS {
		return Errf(CodeInvalid, "stock_rules.settle_invalid", "max", strconv.Itoa(MaxStockSettleS))
	}
	seen := make(map[string]bool, len(r.Listings))
	for i := range r.Listings {
		l := &r.Listings[i]
		l.SKU, l.ItemID, l.SkuID = strings.TrimSpace(l.SKU), strings.TrimSpace(l.ItemID), strings.TrimSpace(l.SkuID)
		if !validCode(l.SKU) {
			return Errf(CodeInvalid, "stock_rules.sku_invalid", "sku", clipText(l.SKU))
		}
		if seen[l.SKU] {
			return Errf(CodeInvalid, "stock_rules.sku_twice", "sku", l.SKU)
		}
		seen[l.SKU] = true
		for _, id := range []string{l.ItemID, l.SkuID} {
			if id != "" && (len(id) > maxListingID || !printableASCII(id) || strings.Contains(id, " ")) {
				return Errf(CodeInvalid, "stock_rules.listing_invalid", "sku", l.SKU, "id", clipText(id), "max", strconv.Itoa(maxListingID))
			}
		}
		if l.Buffer != nil && (*l.Buffer < 0 || *l.Buffer > MaxStockBuffer) {
			return Errf(CodeInvalid, "stock_rules.buffer_invalid", "sku", l.SKU, "max", strconv.Itoa(MaxStockBuffer))
		}
		if l.Share != nil {
			if err := l.Share.validate(l.SKU); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s Share) validate(sku string) error {
	if sku == "" {
		sku = "—"
	}
	switch {
	case s.Percent < 0 || s.Percent > 100:
		return Errf(CodeInvalid, "stock_rules.percent_invalid", "sku", sku)
	case s.Fixed != nil && (*s.Fixed < 0 || *s.Fixed > MaxStockBuffer):
		return Errf(CodeInvalid, "stock_rules.fixed_invalid", "sku", sku, "max", strconv.Itoa(MaxStockBuffer))
	case s.Percent > 0 && s.Fixed != nil:
		return Errf(CodeInvalid, "stock_rules.share_both", "sku", sku)
	}
	return nil
}

// shopOf is the shop a rules' upstream names, which must be a marketplace's.
func stockShop(tx *txn, name string) (Upstream, error) {
	u, err := mustGet[Upstream](tx, bucketUpstreams, []byte(name), "upstream.not_found", "name", clipText(name))
	if err != nil {
		return u, err
	}
	if !IsMarket(u.Dialect) {
		return u, Errf(CodeInvalid, "stock_rules.not_a_shop", "name", u.Name, "dialect", u.Dialect)
	}
	return u, nil
}

func applyChannelStock(tx *txn, ev *Event) error {
	var r StockRules
	if err := decode(ev, &r); err != nil {
		return err
	}
	if err := r.validate(); err != nil {
		return err
	}
	if _, err := stockShop(tx, r.Upstream); err != nil {
		return err
	}
	return putJSON(tx.Bucket(bucketChannelStock), []byte(r.Upstream), r)
}

// SaveStockRules replaces a shop's stock rules. id is the request's key: a
// repeat gets the first answer.
func (l *Ledger) SaveStockRules(ctx context.Context, id string, r StockRules, actor, device string) (StockRules, error) {
	if err := r.validate(); err != nil {
		return StockRules{}, err
	}
	if err := l.view(func(tx *txn) error { _, err := stockShop(tx, r.Upstream); return err }); err != nil {
		return StockRules{}, err
	}
	if id == "" {
		id = newID()
	}
	return keyedAppend(ctx, l, id, EvChannelStockSaved, "", "stock-rules:"+r.Upstream, r, actor, device, nil)
}

// StockRulesOf is a shop's stock rules: none saved is no listing, no
// buffer, no share.
func (l *Ledger) StockRulesOf(upstream string) (r StockRules, err error) {
	err = l.view(func(tx *txn) error {
		var found bool
		r, found, err = lookup[StockRules](tx, bucketChannelStock, []byte(upstream))
		if !found {
			r = StockRules{Upstream: upstream}
		}
		return err
	})
	return r, err
}

// SKUStock is an owner's figures of one SKU for the channels: the sellable
// units on hand (picked and not shipped included) and the units open
// orders (new, allocated, picking, picked, packed) still need.
type SKUStock struct {
	SKU       string `json:"sku"`
	OnHand    int64  `json:"on_hand"`
	Committed int64  `json:"committed"`
}

// Available is what the channels may share: negative when the open orders
// need more than the warehouse holds (oversold).
func (s SKUStock) Available() int64 { return s.OnHand - s.Committed }

// ChannelStock is the owner's figures per SKU, every SKU of the owner's
// catalogue and every SKU on hand or ordered, sorted, with the ledger's
// sequence number they are as of: all read in one transaction.
func (l *Ledger) ChannelStock(owner string) (figures []SKUStock, seq uint64, err error) {
	owner = OwnerOr(owner)
	err = l.view(func(tx *txn) error {
		seq = tx.Bucket(bucketEvents).Sequence()
		m := map[string]*SKUStock{}
		get := func(sku string) *SKUStock {
			f := m[sku]
			if f == nil {
				f = &SKUStock{SKU: sku}
				m[sku] = f
			}
			return f
		}
		p := prefixKey(owner)
		c := tx.Bucket(bucketSKUs).Cursor()
		for k, _ := c.Seek(p); k != nil && hasPrefix(k, p); k, _ = c.Next() {
			get(splitKey(k)[1])
		}
		lines, err := inventoryTx(tx, owner)
		if err != nil {
			return err
		}
		for _, ln := range lines {
			if ln.Sellable {
				get(ln.SKU).OnHand += ln.Qty
			}
		}
		for _, st := range []OrderState{OrderNew, OrderAllocated, OrderPicking, OrderPicked, OrderPacked} {
			sp := prefixKey(string(st), owner)
			sc := tx.Bucket(bucketOrderState).Cursor()
			for k, _ := sc.Seek(sp); k != nil && hasPrefix(k, sp); k, _ = sc.Next() {
				parts := splitKey(k)
				o, err := orderTx(tx, parts[1], parts[2])
				if err != nil {
					return err
				}
				for _, line := range o.Lines {
					// a short unit will not ship: the order closes without it
					if n := line.Qty - line.Short; n > 0 {
						get(line.SKU).Committed += n
					}
				}
			}
		}
		figures = make([]SKUStock, 0, len(m))
		for _, f := range m {
			figures = append(figures, *f)
		}
		return nil
	})
	slices.SortFunc(figures, func(a, b SKUStock) int { return strings.Compare(a.SKU, b.SKU) })
	return figures, seq, err
}
