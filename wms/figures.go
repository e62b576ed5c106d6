package wms

import (
	"bytes"
	"encoding/json"
)

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
	s, err := getStats(tx, bucketScanKPI, b, kpiKey(day, actor))
	if err != nil {
		return err
	}
	before := s
	f(&s)
	if tx.apply != nil { // split by owner once the event is applied (splitFigures)
		tx.apply.kpi = append(tx.apply.kpi, kpiDelta{day: day, actor: actor, delta: s.minus(before)})
	}
	return putStats(tx, bucketScanKPI, b, kpiKey(day, actor), s)
}

// kpiDelta is what one event added to one person's figures of a day.
type kpiDelta struct {
	day, actor string
	delta      ScanStats
}

func (s ScanStats) minus(o ScanStats) ScanStats {
	return ScanStats{Picks: s.Picks - o.Picks, Units: s.Units - o.Units, Lines: s.Lines - o.Lines, Errors: s.Errors - o.Errors,
		Shorts: s.Shorts - o.Shorts, Undos: s.Undos - o.Undos, Parcels: s.Parcels - o.Parcels, WeightRejects: s.WeightRejects - o.WeightRejects,
		TypedWeights: s.TypedWeights - o.TypedWeights, WeightOverrides: s.WeightOverrides - o.WeightOverrides}
}

func (s ScanStats) plus(o ScanStats) ScanStats {
	return ScanStats{Picks: s.Picks + o.Picks, Units: s.Units + o.Units, Lines: s.Lines + o.Lines, Errors: s.Errors + o.Errors,
		Shorts: s.Shorts + o.Shorts, Undos: s.Undos + o.Undos, Parcels: s.Parcels + o.Parcels, WeightRejects: s.WeightRejects + o.WeightRejects,
		TypedWeights: s.TypedWeights + o.TypedWeights, WeightOverrides: s.WeightOverrides + o.WeightOverrides}
}

// figuresOwner is whose goods an applied event was about, as the event says
// it: the envelope's owner for an owner's event (a pick, undo, short or
// put-back carries its task line's owner there: lineOwner refuses any
// other), else the owner of the task line a warehouse event names (a wrong
// scan names its task and line). ok is false for an event that names no
// owner (a wrong scan outside a task line): its figures count in the day's
// but in no owner's. An owner's event, the scan path's, decodes nothing.
func figuresOwner(tx *txn, ev *Event, scope Scope) (string, bool, error) {
	if scope == ScopeOwner {
		return OwnerOr(ev.Owner), true, nil
	}
	var at struct {
		Task string `json:"task"`
		Line int    `json:"line"`
	}
	_ = json.Unmarshal(ev.Data, &at) // payloads without these fields leave them empty
	if at.Task == "" || at.Line <= 0 {
		return "", false, nil
	}
	t, ok, err := lookupTask(tx, at.Task)
	if err != nil || !ok {
		return "", false, err
	}
	if line, found := t.Line(at.Line); found {
		return OwnerOr(line.Owner), true, nil
	}
	return "", false, nil
}

// splitFigures adds what an applied event added to people's figures to its
// owner's figures too (day 0 actor 0 owner in scan_kpi). It reads only the event and the
// transaction's state, so a rebuild gives the same.
func splitFigures(tx *txn, ev *Event, scope Scope) error {
	if len(tx.apply.kpi) == 0 {
		return nil
	}
	owner, ok, err := figuresOwner(tx, ev, scope)
	if err != nil || !ok {
		return err
	}
	b := tx.Bucket(bucketScanKPI) // beside the person's day figures (figurekeys.go)
	for _, d := range tx.apply.kpi {
		k := ownerKPIKey(d.day, d.actor, owner)
		s, err := getStats(tx, bucketScanKPI, b, k)
		if err != nil {
			return err
		}
		if err := putStats(tx, bucketScanKPI, b, k, s.plus(d.delta)); err != nil {
			return err
		}
	}
	return nil
}

// OwnerKPIs returns each person's figures for a day counting only the
// events about one owner's goods (see figuresOwner).
func (l *Ledger) OwnerKPIs(day, owner string) (map[string]ScanStats, error) {
	out := map[string]ScanStats{}
	err := l.view(func(tx *txn) error {
		c := tx.Bucket(bucketScanKPI).Cursor()
		p, own := prefixKey(day), OwnerOr(owner)
		for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
			actor, o, ok := bytes.Cut(k[len(p):], []byte{sep})
			if !ok || string(o) != own { // a person's whole day, or another owner's part
				continue
			}
			var s ScanStats
			if err := jsonUnmarshal(v, &s); err != nil {
				return err
			}
			out[string(actor)] = s
		}
		return nil
	})
	return out, err
}

// KPIs returns each person's figures for a day ("YYYY-MM-DD").
func (l *Ledger) KPIs(day string) (map[string]ScanStats, error) {
	out := map[string]ScanStats{}
	err := l.view(func(tx *txn) error {
		c := tx.Bucket(bucketScanKPI).Cursor()
		p := prefixKey(day)
		for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
			if bytes.IndexByte(k[len(p):], sep) >= 0 { // an owner's part (figurekeys.go)
				continue
			}
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
