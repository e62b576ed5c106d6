package wms

import (
	"bytes"
	"testing"
)

// stock_by_loc holds keys only: a change of quantity that leaves some at
// the place does not write it, stock that appears or leaves does, and the
// readers by location take the quantity from stock.
func TestStockByLocationIsAKeyIndex(t *testing.T) {
	l, _ := openTest(t)
	seedSmall(t, l)
	dump := func() []byte {
		t.Helper()
		rows, err := l.dumpBucket(bucketStockByLoc)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		for _, r := range rows {
			if len(r[1]) != 0 {
				t.Errorf("stock_by_loc[%q] holds %x", r[0], r[1])
			}
			b.Write(r[0])
			b.WriteByte('\n')
		}
		return b.Bytes()
	}
	before := dump()
	if len(before) == 0 {
		t.Fatal("stock_by_loc is empty")
	}
	mustAppend(t, l, "adj1", EvStockAdjusted, StockAdjustment{SKU: "BOOK", Location: "A01-01-01", Delta: 5, Reason: "found"})
	if got := dump(); !bytes.Equal(got, before) {
		t.Errorf("a change of quantity rewrote the index:\n%s\nwas\n%s", got, before)
	}
	if got := qtyAt(t, l, "BOOK", "", "A01-01-01"); got != 12 {
		t.Errorf("BOOK at A01-01-01 reads %d by location, want 12", got)
	}
	mustAppend(t, l, "adj2", EvStockAdjusted, StockAdjustment{SKU: "BOOK", Location: "A01-01-01", Delta: -12, Reason: "lost"})
	mustAppend(t, l, "adj3", EvStockAdjusted, StockAdjustment{SKU: "BOOK", Location: "A01-01-02", Delta: 3, Reason: "found"})
	got := dump()
	if bytes.Contains(got, []byte("A01-01-01\x00DEFAULT\x00BOOK")) || !bytes.Contains(got, []byte("A01-01-02\x00DEFAULT\x00BOOK")) {
		t.Errorf("the index after BOOK left A01-01-01 for A01-01-02:\n%q", got)
	}
	if got := qtyAt(t, l, "BOOK", "", "A01-01-02"); got != 3 {
		t.Errorf("BOOK at A01-01-02 reads %d, want 3", got)
	}
}
