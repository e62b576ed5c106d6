package wms

import "context"

// An upstream owns the catalogue: a SKU it sends replaces the catalogue's
// part of the warehouse's SKU (name, GTINs, weight, size, shelf life,
// tracking, outbound life) and never the warehouse's own rules for it: where
// putaway looks (Zone) and what receiving demands (ReceiveMinLifePct,
// ShortLifeAction, NearExpiryDays), which an upstream cannot know.

// SaveCatalogueSKU saves the catalogue's part of one owner's SKU. key is the
// caller's key for the change: a repeat with the same content changes
// nothing, the key with other content is refused (key.changed). The
// warehouse's own fields of a SKU already known are kept; on a new SKU they
// start empty (the warehouse's defaults).
func (l *Ledger) SaveCatalogueSKU(ctx context.Context, key, owner string, s SKU, actor, device string) (SKU, error) {
	owner, err := l.KnownOwner(owner)
	if err != nil {
		return SKU{}, err
	}
	s.Owner = ""
	s.Zone, s.ReceiveMinLifePct, s.ShortLifeAction, s.NearExpiryDays = "", 0, "", 0
	if err := s.Validate(); err != nil {
		return SKU{}, err
	}
	saved, err := keyedAppend(ctx, l, key, EvSKUUpserted, owner, "sku:"+owner+":"+s.Code, s, actor, device, func(p *SKU) {
		old, err := l.Books(owner).SKU(p.Code)
		if err != nil {
			return // a new SKU (or one unreadable now: the apply decides)
		}
		p.Zone, p.ReceiveMinLifePct, p.ShortLifeAction, p.NearExpiryDays = old.Zone, old.ReceiveMinLifePct, old.ShortLifeAction, old.NearExpiryDays
	})
	saved.Owner = owner
	return saved, err
}
