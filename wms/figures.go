package wms

// ScanStats are one person's figures for one day, from events only.
type ScanStats struct {
	Picks  int64 `json:"picks"`  // pick events
	Units  int64 `json:"units"`  // units picked or put back
	Lines  int64 `json:"lines"`  // task lines completed
	Errors int64 `json:"errors"` // wrong scans
	Shorts int64 `json:"shorts"` // short picks reported
	Undos  int64 `json:"undos"`
	// packing
	Parcels         int64 `json:"parcels,omitempty"`
	WeightRejects   int64 `json:"weight_rejects,omitempty"`
	TypedWeights    int64 `json:"typed_weights,omitempty"`
	WeightOverrides int64 `json:"weight_overrides,omitempty"`
}

func bumpKPI(tx *txn, day, actor string, f func(*ScanStats)) error {
	if day == "" {
		return Errf(CodeInvalid, "event.payload_invalid", "type", "kpi")
	}
	b := tx.Bucket(bucketScanKPI)
	var s ScanStats
	if _, err := getJSON(b, kpiKey(day, actor), &s); err != nil {
		return err
	}
	f(&s)
	return putJSON(b, kpiKey(day, actor), s)
}

// KPIs returns each person's figures for a day ("YYYY-MM-DD").
func (l *Ledger) KPIs(day string) (map[string]ScanStats, error) {
	out := map[string]ScanStats{}
	err := l.view(func(tx *txn) error {
		c := tx.Bucket(bucketScanKPI).Cursor()
		p := prefixKey(day)
		for k, v := c.Seek(p); k != nil && string(k[:min(len(k), len(p))]) == string(p); k, v = c.Next() {
			var s ScanStats
			if err := jsonUnmarshal(v, &s); err != nil {
				return err
			}
			out[string(k[len(p):])] = s
		}
		return nil
	})
	return out, err
}
