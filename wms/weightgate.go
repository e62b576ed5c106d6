package wms

import (
	"math"
)

// WeightGate is how far a parcel may weigh from what its contents should weigh.
type WeightGate struct {
	AllowanceG int `json:"allowance_g"` // packing material on top of items and tare
	AbsG       int `json:"abs_g"`       // tolerance: the larger of this
	Pct        int `json:"pct"`         // and this share of the expected weight
}

// Tolerance is the allowed difference for an expected weight.
func (g WeightGate) Tolerance(expectedG int) int {
	return max(g.AbsG, int(math.Ceil(float64(expectedG)*float64(g.Pct)/100)))
}

// expectedWeight is the contents' weight plus the box and the packing allowance.
func expectedWeight(tx *txn, owner string, items []PackedItem, box Box, gate WeightGate) (int, error) {
	total := box.TareG + gate.AllowanceG
	for _, it := range items {
		var sku SKU
		if _, err := getJSON(tx.Bucket(bucketSKUs), skuKey(owner, it.SKU), &sku); err != nil {
			return 0, err
		}
		total += sku.UnitWeightG * int(it.Qty)
	}
	return total, nil
}

// WeightRejected records a parcel the weight gate stopped, for the packer's figures.
type WeightRejected struct {
	Order    string `json:"order"`
	Station  string `json:"station"`
	WeightG  int    `json:"weight_g"`
	Expected int    `json:"expected_g"`
	Today    string `json:"today"`
}

func applyWeightRejected(tx *txn, ev *Event) error {
	var p WeightRejected
	if err := decode(ev, &p); err != nil {
		return err
	}
	return bumpKPI(tx, p.Today, ev.Actor, func(s *ScanStats) { s.WeightRejects++ })
}
