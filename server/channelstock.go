package server

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"tally/syncer"
	"tally/views"
	"tally/wms"
)

// A marketplace shop's stock (issue 14): its rules, GET and PUT
// /api/v1/sync/upstreams/{name}/stock, what its link published and what
// the platform answered, the page /sync/stock/{name}, and the oversold
// units and pushes in /metrics.

// maxStockRulesBody bounds PUT …/stock: up to 100,000 listings.
const maxStockRulesBody = 4 << 20

// channelStocker is the part of the syncer that knows what each shop's
// link published (*syncer.Syncer); a server without it shows the rules
// alone.
type channelStocker interface {
	ChannelStock(upstream string) (syncer.ChannelStockView, bool)
}

// shareIO is a share as the API writes it: percent, or fixed units.
type shareIO struct {
	Percent int    `json:"percent,omitempty"`
	Fixed   *int64 `json:"fixed,omitempty"`
}

// listingIO is one SKU's rule in the API.
type listingIO struct {
	SKU    string   `json:"sku"`
	ItemID string   `json:"item_id,omitempty"`
	SkuID  string   `json:"sku_id,omitempty"`
	Buffer *int64   `json:"buffer,omitempty"`
	Share  *shareIO `json:"share,omitempty"`
}

// stockRulesIO is the body of PUT /api/v1/sync/upstreams/{name}/stock and
// the rules in its GET.
type stockRulesIO struct {
	Listings             []listingIO `json:"listings"`
	AllSKUs              bool        `json:"all_skus"`
	Buffer               int64       `json:"buffer"`
	Share                *shareIO    `json:"share,omitempty"`
	OfflineBufferPerHour int64       `json:"offline_buffer_per_hour"`
	SettleS              int64       `json:"settle_s"`
}

func (in stockRulesIO) rules(upstream string) wms.StockRules {
	r := wms.StockRules{Upstream: upstream, AllSKUs: in.AllSKUs, Buffer: in.Buffer, OfflineBufferPerHour: in.OfflineBufferPerHour, SettleS: in.SettleS,
		Listings: make([]wms.ListingRule, 0, len(in.Listings))}
	if in.Share != nil {
		r.Share = wms.Share{Percent: in.Share.Percent, Fixed: in.Share.Fixed}
	}
	for _, l := range in.Listings {
		lr := wms.ListingRule{SKU: l.SKU, ItemID: l.ItemID, SkuID: l.SkuID, Buffer: l.Buffer}
		if l.Share != nil {
			lr.Share = &wms.Share{Percent: l.Share.Percent, Fixed: l.Share.Fixed}
		}
		r.Listings = append(r.Listings, lr)
	}
	return r
}

func newStockRulesIO(r wms.StockRules) stockRulesIO {
	out := stockRulesIO{AllSKUs: r.AllSKUs, Buffer: r.Buffer, OfflineBufferPerHour: r.OfflineBufferPerHour, SettleS: r.Settle(),
		Listings: make([]listingIO, 0, len(r.Listings))}
	if r.Share.Split() {
		out.Share = &shareIO{Percent: r.Share.Percent, Fixed: r.Share.Fixed}
	}
	for _, l := range r.Listings {
		li := listingIO{SKU: l.SKU, ItemID: l.ItemID, SkuID: l.SkuID, Buffer: l.Buffer}
		if l.Share != nil {
			li.Share = &shareIO{Percent: l.Share.Percent, Fixed: l.Share.Fixed}
		}
		out.Listings = append(out.Listings, li)
	}
	return out
}

// channelStockOut is GET /api/v1/sync/upstreams/{name}/stock: the rules,
// and per SKU what was published, when and what the platform answered.
// Oversold is the units the shop's owner's open orders need beyond what
// the warehouse holds, summed over the shop's SKUs.
type channelStockOut struct {
	Upstream   string            `json:"upstream"`
	Running    bool              `json:"running"`
	Rules      stockRulesIO      `json:"rules"`
	Rows       []syncer.StockRow `json:"rows"`
	Oversold   int64             `json:"oversold"`
	FullAt     *time.Time        `json:"full_at"`
	Extra      int64             `json:"extra"`
	ExtraUntil *time.Time        `json:"extra_until"`
	Pushes     map[string]int64  `json:"pushes"`
}

// shopNamed is a marketplace shop's configuration.
func (s *Server) shopNamed(name string) (wms.Upstream, error) {
	u, err := s.ledger.UpstreamNamed(name)
	if err != nil {
		return u, err
	}
	if !wms.IsMarket(u.Dialect) {
		return u, wms.Errf(wms.CodeNotFound, "stock_rules.not_a_shop", "name", u.Name, "dialect", u.Dialect)
	}
	return u, nil
}

// channelStock is what the shop's link published, empty without a syncer.
func (s *Server) channelStock(name string) (syncer.ChannelStockView, bool) {
	if cs, ok := s.cfg.Syncer.(channelStocker); ok {
		return cs.ChannelStock(name)
	}
	return syncer.ChannelStockView{Rows: []syncer.StockRow{}, Pushes: map[string]int64{}}, false
}

// apiChannelStock is GET /api/v1/sync/upstreams/{name}/stock.
func (s *Server) apiChannelStock(c *fiber.Ctx) error {
	u, err := s.shopNamed(c.Params("name"))
	if err != nil {
		return err
	}
	rules, err := s.ledger.StockRulesOf(u.Name)
	if err != nil {
		return err
	}
	v, running := s.channelStock(u.Name)
	return c.JSON(channelStockOut{Upstream: u.Name, Running: running, Rules: newStockRulesIO(rules), Rows: v.Rows, Oversold: v.Oversold,
		FullAt: v.FullAt, Extra: v.Extra, ExtraUntil: v.ExtraUntil, Pushes: v.Pushes})
}

// apiSaveChannelStock is PUT /api/v1/sync/upstreams/{name}/stock: the
// shop's rules, all of them.
func (s *Server) apiSaveChannelStock(c *fiber.Ctx) error {
	if len(c.Body()) > maxStockRulesBody {
		return wms.Errf(wms.CodeInvalid, "sync.body_too_large", "max", "4 MiB")
	}
	var in stockRulesIO
	if err := bodyJSON(c, &in); err != nil {
		return err
	}
	key, err := idempotencyKey(c)
	if err != nil {
		return err
	}
	u, err := s.shopNamed(c.Params("name"))
	if err != nil {
		return err
	}
	saved, err := s.ledger.SaveStockRules(c.UserContext(), "stock-rules:"+key, in.rules(u.Name), principal(c).Actor(), device(c))
	if err != nil {
		return err
	}
	s.wakeSyncer()
	return c.JSON(newStockRulesIO(saved))
}

// channelStockPage is GET /sync/stock/{name}.
func (s *Server) channelStockPage(c *fiber.Ctx) error {
	u, err := s.shopNamed(c.Params("name"))
	if err != nil {
		return err
	}
	rules, err := s.ledger.StockRulesOf(u.Name)
	if err != nil {
		return err
	}
	v, running := s.channelStock(u.Name)
	vm := views.ChannelStockPage{Page: s.page(c, "chstock.title"), Shop: u.Name, Dialect: u.Dialect, Channel: u.Channel, Owner: wms.OwnerOr(u.Owner),
		Running: running, FullAt: s.clockPtr(v.FullAt), Extra: v.Extra, ExtraUntil: s.clockPtr(v.ExtraUntil), Oversold: v.Oversold,
		Rules: views.ChannelStockRules{Listings: len(rules.Listings), AllSKUs: rules.AllSKUs, Buffer: rules.Buffer,
			OfflineBufferPerHour: rules.OfflineBufferPerHour, SettleMin: rules.Settle() / 60}}
	switch sh := rules.Share; {
	case sh.Fixed != nil:
		vm.Rules.Share = strconv.FormatInt(*sh.Fixed, 10)
	case sh.Percent > 0:
		vm.Rules.Share = strconv.Itoa(sh.Percent) + "%"
	}
	var oversold, rest []views.ChannelStockRow
	for _, r := range v.Rows {
		row := views.ChannelStockRow{SKU: r.SKU, ItemID: r.ItemID, SkuID: r.SkuID, OnHand: r.OnHand, Committed: r.Committed, Available: r.Available,
			Share: r.Share, Buffer: r.Buffer, Extra: r.Extra, Want: r.Want, Oversold: r.Oversold, Published: r.Published,
			PublishedAt: s.clockPtr(r.PublishedAt), Answer: r.Answer, Code: r.Code, Message: r.Message, AnsweredAt: s.clockPtr(r.AnsweredAt)}
		if r.PlatformQty != nil {
			row.PlatformQty = strconv.FormatInt(*r.PlatformQty, 10)
		}
		if r.Oversold > 0 {
			oversold = append(oversold, row)
		} else {
			rest = append(rest, row)
		}
	}
	vm.Rows = append(oversold, rest...)
	return s.render(c, fiber.StatusOK, views.ChannelStock(vm))
}

// channelStockMetrics writes each shop's oversold units and pushes for
// /metrics (nothing without a syncer).
func (s *Server) channelStockMetrics(b *strings.Builder) error {
	ups, err := s.ledger.Upstreams()
	if err != nil {
		return err
	}
	var shops []string
	for _, u := range ups {
		if wms.IsMarket(u.Dialect) {
			shops = append(shops, u.Name)
		}
	}
	got := make(map[string]syncer.ChannelStockView, len(shops))
	for _, name := range shops {
		got[name], _ = s.channelStock(name)
	}
	fmt.Fprintf(b, "# HELP tally_channel_oversold_units Units the open orders of a shop's owner need beyond what the warehouse holds, over the shop's SKUs.\n# TYPE tally_channel_oversold_units gauge\n")
	for _, name := range shops {
		fmt.Fprintf(b, "tally_channel_oversold_units{upstream=%q} %d\n", name, got[name].Oversold)
	}
	fmt.Fprintf(b, "# HELP tally_channel_stock_pushes_total Stock pushes to a shop since the start, by the platform's answer.\n# TYPE tally_channel_stock_pushes_total counter\n")
	for _, name := range shops {
		for _, answer := range []string{syncer.AnswerOK, syncer.AnswerRefused, syncer.AnswerFailed} {
			fmt.Fprintf(b, "tally_channel_stock_pushes_total{upstream=%q,answer=%q} %d\n", name, answer, got[name].Pushes[answer])
		}
	}
	return nil
}
