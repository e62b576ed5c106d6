package wms

import (
	"fmt"
	"testing"
)

// The log's pages are filled densely; with bbolt's default they would be
// half empty (the same events, appended the same way).
func TestLogPagesAreDense(t *testing.T) {
	fullness := func(dense bool) float64 {
		if !dense {
			saved := denseFill
			denseFill = nil
			defer func() { denseFill = saved }()
		}
		l, _ := openTest(t)
		mustAppend(t, l, "sku", EvSKUUpserted, SKU{Code: "F1", Name: "书", GTINs: []string{demoGTIN("692000", 1)}})
		mustAppend(t, l, "loc", EvLocationUpserted, Location{Code: "F01-01-01", Zone: "F", Kind: KindPick})
		for i := range 20 {
			var evs []Event
			for j := range 100 {
				ev, err := NewEvent(fmt.Sprintf("st-%d-%d", i, j), EvStockAdjusted, "B1001", "test", StockAdjustment{SKU: "F1", Location: "F01-01-01", Delta: 1, Reason: "fill"})
				if err != nil {
					t.Fatal(err)
				}
				evs = append(evs, ev)
			}
			if err := l.AppendAll(ctx, evs); err != nil {
				t.Fatal(err)
			}
		}
		s, err := l.Size()
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range s.Buckets {
			if b.Name == string(bucketEvents) {
				return float64(b.Live) / float64(b.Pages)
			}
		}
		t.Fatal("no events bucket")
		return 0
	}
	if f := fullness(true); f < 0.85 {
		t.Errorf("the log's pages are %.0f%% full, want at least 85%%", 100*f)
	}
	if f := fullness(false); f > 0.7 {
		t.Errorf("with bbolt's default fill the log's pages are %.0f%% full: the measure cannot tell", 100*f)
	}
}
