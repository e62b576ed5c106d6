package wms

import (
	"slices"
	"strconv"
	"strings"
)

// Platforms are the source platforms an order may come from, by the codes
// ERPs use for them.
var Platforms = []string{"TB", "TM", "JD", "PDD", "DY", "KS", "XHS", "WX", "VIP", "SHOPIFY", "AMAZON", "OWN"}

// channelPlatforms maps the lower-case channels orders carried before they
// named a platform, so an old order still says where it came from.
var channelPlatforms = map[string]string{
	"taobao": "TB", "tmall": "TM", "jd": "JD", "pinduoduo": "PDD", "douyin": "DY", "kuaishou": "KS",
	"xiaohongshu": "XHS", "wechat": "WX", "vip": "VIP", "shopify": "SHOPIFY", "amazon": "AMAZON", "own": "OWN",
}

// Limits of an order's platform identity.
const (
	MaxPlatformOrders = 50 // platform orders one warehouse order may stand for (合单)
	maxPlatformID     = 64 // characters of a platform order or sub-order ID
)

// PlatformOfChannel is the platform a channel implies, or "" when it implies none.
func PlatformOfChannel(channel string) string {
	return channelPlatforms[strings.ToLower(channel)]
}

// channelOfPlatform is the channel an order naming only its platform gets:
// the old name where there is one (so channel rules keep applying), else
// the code in lower case.
func channelOfPlatform(platform string) string {
	for ch, p := range channelPlatforms {
		if p == platform {
			return ch
		}
	}
	return strings.ToLower(platform)
}

// SourcePlatform is the platform the order came from: the one it names, or
// the one its channel implies (orders taken in before platforms were named).
func (o Order) SourcePlatform() string {
	if o.Platform != "" {
		return o.Platform
	}
	return PlatformOfChannel(o.Channel)
}

// LinePart is one platform sub-order's share of a line, kept when the ERP
// merged orders that asked for the same SKU: the line is picked as one, and
// writing the shipment back still knows each sub-order's quantity.
type LinePart struct {
	PlatformOrderID    string `json:"platform_order_id,omitempty"`
	PlatformSubOrderID string `json:"platform_sub_order_id,omitempty"`
	Qty                int64  `json:"qty"`
}

func (p LinePart) sameSource(q LinePart) bool {
	return p.PlatformOrderID == q.PlatformOrderID && p.PlatformSubOrderID == q.PlatformSubOrderID
}

func (l OrderLineIn) source() LinePart {
	return LinePart{PlatformOrderID: l.PlatformOrderID, PlatformSubOrderID: l.PlatformSubOrderID, Qty: l.Qty}
}

// validPlatformID accepts a platform's order or sub-order ID: 1–64
// characters without spaces or control characters.
func validPlatformID(s string) bool {
	return validCode(s) && len(s) <= maxPlatformID
}

// validateIdentity checks and normalises where the order came from: the
// platform code, the platform order IDs and each line's sub-order. It runs
// after the lines are merged by SKU.
func (o *OrderIntake) validateIdentity() error {
	o.Platform = strings.ToUpper(strings.TrimSpace(o.Platform))
	if o.Platform != "" && !slices.Contains(Platforms, o.Platform) {
		return Errf(CodeInvalid, "order.platform_invalid", "order", o.No, "platform", o.Platform, "platforms", strings.Join(Platforms, " "))
	}
	if len(o.PlatformOrderIDs) > MaxPlatformOrders {
		return Errf(CodeInvalid, "order.too_many_merged", "order", o.No,
			"given", strconv.Itoa(len(o.PlatformOrderIDs)), "max", strconv.Itoa(MaxPlatformOrders))
	}
	for i, id := range o.PlatformOrderIDs {
		id = strings.TrimSpace(id)
		if !validPlatformID(id) {
			return Errf(CodeInvalid, "order.platform_id_invalid", "order", o.No, "id", clip(id))
		}
		if slices.Contains(o.PlatformOrderIDs[:i], id) {
			return Errf(CodeInvalid, "order.platform_id_twice", "order", o.No, "id", id)
		}
		o.PlatformOrderIDs[i] = id
	}
	subs := map[string]bool{}
	check := func(sku string, p *LinePart) error {
		p.PlatformOrderID, p.PlatformSubOrderID = strings.TrimSpace(p.PlatformOrderID), strings.TrimSpace(p.PlatformSubOrderID)
		if p.PlatformOrderID != "" && !slices.Contains(o.PlatformOrderIDs, p.PlatformOrderID) {
			return Errf(CodeInvalid, "order.line_order_unknown", "order", o.No, "sku", sku, "id", clip(p.PlatformOrderID))
		}
		if p.PlatformSubOrderID == "" {
			return nil
		}
		if !validPlatformID(p.PlatformSubOrderID) {
			return Errf(CodeInvalid, "order.sub_order_invalid", "order", o.No, "sku", sku, "id", clip(p.PlatformSubOrderID))
		}
		if subs[p.PlatformSubOrderID] {
			return Errf(CodeInvalid, "order.sub_order_twice", "order", o.No, "id", p.PlatformSubOrderID)
		}
		subs[p.PlatformSubOrderID] = true
		return nil
	}
	for i := range o.Lines {
		l := &o.Lines[i]
		if len(l.Parts) == 0 {
			p := l.source()
			if err := check(l.SKU, &p); err != nil {
				return err
			}
			l.PlatformOrderID, l.PlatformSubOrderID = p.PlatformOrderID, p.PlatformSubOrderID
			continue
		}
		if l.PlatformOrderID != "" || l.PlatformSubOrderID != "" || len(l.Parts) < 2 {
			return Errf(CodeInvalid, "order.parts_invalid", "order", o.No, "sku", l.SKU)
		}
		var sum int64
		seen := make(map[[2]string]bool, len(l.Parts)) // a source twice is refused
		for j := range l.Parts {
			p := &l.Parts[j]
			if p.Qty <= 0 {
				return Errf(CodeInvalid, "order.parts_invalid", "order", o.No, "sku", l.SKU)
			}
			if err := check(l.SKU, p); err != nil {
				return err
			}
			if src := [2]string{p.PlatformOrderID, p.PlatformSubOrderID}; seen[src] {
				return Errf(CodeInvalid, "order.parts_invalid", "order", o.No, "sku", l.SKU)
			} else {
				seen[src] = true
			}
			sum += p.Qty
		}
		if sum != l.Qty {
			return Errf(CodeInvalid, "order.parts_invalid", "order", o.No, "sku", l.SKU)
		}
	}
	return nil
}

// mergeLine adds line l to m, a line of the same SKU. Lines from the same
// platform sub-order (or from none) add up; lines from different sub-orders
// become parts of the one line.
func mergeLine(m *OrderLineIn, l OrderLineIn) {
	m.Qty += l.Qty
	if len(m.Parts) == 0 {
		if m.source().sameSource(l.source()) && len(l.Parts) == 0 {
			return
		}
		m.Parts = []LinePart{m.source()}
		m.Parts[0].Qty = m.Qty - l.Qty
		m.PlatformOrderID, m.PlatformSubOrderID = "", ""
	}
	parts := l.Parts
	if len(parts) == 0 {
		parts = []LinePart{l.source()}
	}
	for _, p := range parts {
		if i := slices.IndexFunc(m.Parts, p.sameSource); i >= 0 {
			m.Parts[i].Qty += p.Qty
			continue
		}
		m.Parts = append(m.Parts, p)
	}
}

// clip keeps an oversized value short enough to quote in a message.
func clip(s string) string {
	if r := []rune(s); len(r) > 70 {
		return string(r[:70]) + "…"
	}
	return s
}
