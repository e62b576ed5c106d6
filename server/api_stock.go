package server

import (
	"tally/scan"
	"tally/wms"
)

// The API's shapes for SKUs, locations, stock and scans.

type skuOut struct {
	Owner              string   `json:"owner"`
	Code               string   `json:"code"`
	Name               string   `json:"name"`
	GTINs              []string `json:"gtins"`
	UnitWeightG        int      `json:"unit_weight_g"`
	LengthMM           int      `json:"length_mm"`
	WidthMM            int      `json:"width_mm"`
	HeightMM           int      `json:"height_mm"`
	ShelfLifeDays      int      `json:"shelf_life_days"`
	LotTracked         bool     `json:"lot_tracked"`
	SerialTracked      bool     `json:"serial_tracked"`
	MinOutboundLifePct int      `json:"min_outbound_life_pct"`
	Zone               string   `json:"zone,omitempty"`
	ReceiveMinLifePct  int      `json:"receive_min_life_pct,omitempty"`
	ShortLifeAction    string   `json:"short_life_action,omitempty"`
	NearExpiryDays     int      `json:"near_expiry_days,omitempty"`
}

func newSKUOut(k wms.SKU) skuOut {
	return skuOut{Owner: k.Owner, Code: k.Code, Name: k.Name, GTINs: nonNil(k.GTINs), UnitWeightG: k.UnitWeightG, LengthMM: k.LengthMM,
		WidthMM: k.WidthMM, HeightMM: k.HeightMM, ShelfLifeDays: k.ShelfLifeDays, LotTracked: k.LotTracked,
		SerialTracked: k.SerialTracked, MinOutboundLifePct: k.MinOutboundLifePct, Zone: k.Zone,
		ReceiveMinLifePct: k.ReceiveMinLifePct, ShortLifeAction: k.ShortLifeAction, NearExpiryDays: k.NearExpiryDays}
}

type locationOut struct {
	Code    string `json:"code"`
	Zone    string `json:"zone"`
	PickSeq int    `json:"pick_seq"`
	Kind    string `json:"kind"`
}

type stockLineOut struct {
	Owner    string `json:"owner"`
	SKU      string `json:"sku"`
	Name     string `json:"name"`
	Lot      string `json:"lot,omitempty"`
	Expiry   string `json:"expiry,omitempty"`
	Status   string `json:"status"`
	Location string `json:"location"`
	Zone     string `json:"zone"`
	Kind     string `json:"kind"`
	PickSeq  int    `json:"pick_seq"`
	Qty      int64  `json:"qty"`
}

func stockLinesOut(lines []wms.StockLine) []stockLineOut {
	out := make([]stockLineOut, 0, len(lines))
	for _, l := range lines {
		out = append(out, stockLineOut{Owner: l.Owner, SKU: l.SKU, Name: l.Name, Lot: l.Lot, Expiry: l.Expiry, Status: string(l.Status),
			Location: l.Location, Zone: l.Zone, Kind: string(l.Kind), PickSeq: l.PickSeq, Qty: l.Qty})
	}
	return out
}

// stockOut answers GET /api/v1/stock: the SKU or the location asked for,
// and its stock.
type stockOut struct {
	SKU      *skuOut        `json:"sku"`
	Location *locationOut   `json:"location"`
	Lines    []stockLineOut `json:"lines"`
	Total    int64          `json:"total"`
}

func newStockOut(r lookup) stockOut {
	out := stockOut{Lines: stockLinesOut(r.Lines), Total: r.Total}
	if r.SKU != nil {
		k := newSKUOut(*r.SKU)
		out.SKU = &k
	}
	if r.Location != nil {
		out.Location = &locationOut{Code: r.Location.Code, Zone: r.Location.Zone, PickSeq: r.Location.PickSeq, Kind: string(r.Location.Kind)}
	}
	return out
}

// scanOut answers GET /api/v1/scan: what a scanned code means. Dates are
// "YYYY-MM-DD".
type scanOut struct {
	Kind           string            `json:"kind"`
	Code           string            `json:"code,omitempty"`
	GTIN           string            `json:"gtin,omitempty"`
	ContentGTIN    string            `json:"content_gtin,omitempty"`
	Batch          string            `json:"batch,omitempty"`
	Serial         string            `json:"serial,omitempty"`
	Expiry         string            `json:"expiry,omitempty"`
	BestBefore     string            `json:"best_before,omitempty"`
	ProductionDate string            `json:"production_date,omitempty"`
	PackagingDate  string            `json:"packaging_date,omitempty"`
	SSCC           string            `json:"sscc,omitempty"`
	NetWeightKg    float64           `json:"net_weight_kg,omitempty"`
	NetWeightLb    float64           `json:"net_weight_lb,omitempty"`
	Count          int               `json:"count,omitempty"`
	OrderNumber    string            `json:"order_number,omitempty"`
	AIs            map[string]string `json:"ais,omitempty"` // GS1 element strings: AI -> raw value
}

func newScanOut(r scan.Result) scanOut {
	day := func(d *scan.Date) string {
		if d == nil {
			return ""
		}
		return d.String()
	}
	return scanOut{Kind: string(r.Kind), Code: r.Code, GTIN: r.GTIN, ContentGTIN: r.ContentGTIN, Batch: r.Batch, Serial: r.Serial,
		Expiry: day(r.Expiry), BestBefore: day(r.BestBefore), ProductionDate: day(r.ProductionDate), PackagingDate: day(r.PackagingDate),
		SSCC: r.SSCC, NetWeightKg: r.NetWeightKg, NetWeightLb: r.NetWeightLb, Count: r.Count, OrderNumber: r.OrderNumber, AIs: r.AIs}
}
