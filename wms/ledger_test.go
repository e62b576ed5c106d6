package wms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"
)

// testClock is a clock tests move by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// openTest opens a ledger in a temporary directory and, when the test ends,
// proves that its projections equal a rebuild from the log.
func openTest(t testing.TB) (*Ledger, *testClock) {
	t.Helper()
	clock := &testClock{t: time.Date(2026, 11, 11, 2, 0, 0, 0, time.UTC)}
	dir := t.TempDir()
	l, err := Open(dir, Options{Now: clock.Now, Zone: time.FixedZone("CST", 8*3600)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		mm, err := l.Check(dir)
		if err != nil {
			t.Errorf("check: %v", err)
		}
		for _, m := range mm {
			t.Errorf("projection differs from rebuild: %s", m)
		}
		l.Close()
	})
	return l, clock
}

func mustAppend(t testing.TB, l *Ledger, id, typ string, data any) Event {
	t.Helper()
	ev, err := NewEvent(id, typ, "B1001", "test", data)
	if err != nil {
		t.Fatal(err)
	}
	stored, _, err := l.Append(context.Background(), ev)
	if err != nil {
		t.Fatalf("append %s %s: %v", typ, id, err)
	}
	return stored
}

// seedSmall makes two SKUs (one lot-tracked), three locations and some stock.
func seedSmall(t testing.TB, l *Ledger) {
	t.Helper()
	mustAppend(t, l, "s1", EvSKUUpserted, SKU{Code: "MILK", Name: "飞鹤星飞帆 3段 800g", GTINs: []string{"6901234567892"},
		UnitWeightG: 980, ShelfLifeDays: 720, LotTracked: true, SerialTracked: true, MinOutboundLifePct: 67})
	mustAppend(t, l, "s2", EvSKUUpserted, SKU{Code: "BOOK", Name: "三体", GTINs: []string{"9787536692930"}, UnitWeightG: 600})
	for i, code := range []string{"A01-01-01", "A01-01-02", "R01-01-01"} {
		kind := KindPick
		if code[0] == 'R' {
			kind = KindReserve
		}
		mustAppend(t, l, "l"+code, EvLocationUpserted, Location{Code: code, Zone: code[:1], PickSeq: (i + 1) * 10, Kind: kind})
	}
	mustAppend(t, l, "st1", EvStockAdjusted, StockAdjustment{SKU: "MILK", Lot: "L2", Expiry: "2028-01-31", Location: "A01-01-01", Delta: 10, Reason: "test"})
	mustAppend(t, l, "st2", EvStockAdjusted, StockAdjustment{SKU: "MILK", Lot: "L1", Expiry: "2027-06-30", Location: "A01-01-02", Delta: 4, Reason: "test"})
	mustAppend(t, l, "st3", EvStockAdjusted, StockAdjustment{SKU: "MILK", Lot: "L1", Expiry: "2027-06-30", Location: "R01-01-01", Delta: 48, Reason: "test"})
	mustAppend(t, l, "st4", EvStockAdjusted, StockAdjustment{SKU: "BOOK", Location: "A01-01-01", Delta: 7, Reason: "test"})
}

func qtyAt(t testing.TB, l *Ledger, sku, lot, loc string) int64 {
	t.Helper()
	lines, err := l.StockAt(loc)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range lines {
		if x.SKU == sku && x.Lot == lot {
			return x.Qty
		}
	}
	return 0
}

func TestAppendIsIdempotent(t *testing.T) {
	l, clock := openTest(t)
	seedSmall(t, l)
	adj := StockAdjustment{SKU: "BOOK", Location: "A01-01-01", Delta: 3, Reason: "found"}
	first := mustAppend(t, l, "dup-1", EvStockAdjusted, adj)
	clock.Add(time.Minute)
	ev, _ := NewEvent("dup-1", EvStockAdjusted, "B1001", "test", adj)
	again, dup, err := l.Append(context.Background(), ev)
	if err != nil || !dup {
		t.Fatalf("second append: dup=%v err=%v", dup, err)
	}
	if again.Seq != first.Seq || !again.At.Equal(first.At) {
		t.Errorf("second append answered %+v, want the first %+v", again, first)
	}
	if got := qtyAt(t, l, "BOOK", "", "A01-01-01"); got != 10 {
		t.Errorf("qty = %d, want 10 (7 + 3 once)", got)
	}
	// the same ID for another kind of event is a client's mistake, not a retry
	other, _ := NewEvent("dup-1", EvLocationUpserted, "B1001", "test", Location{Code: "X-1", Kind: KindPick})
	if _, _, err := l.Append(context.Background(), other); ErrorCode(err) != CodeConflict {
		t.Errorf("reused ID: %v", err)
	}
}

func TestStockNeverNegative(t *testing.T) {
	l, _ := openTest(t)
	seedSmall(t, l)
	before := l.LastSeq()
	ev, _ := NewEvent("take-too-many", EvStockAdjusted, "B1001", "test", StockAdjustment{SKU: "BOOK", Location: "A01-01-01", Delta: -8, Reason: "x"})
	_, _, err := l.Append(context.Background(), ev)
	if e, ok := AsError(err); !ok || e.Key != "stock.insufficient" || e.Code != CodeConflict {
		t.Fatalf("err = %v, want stock.insufficient conflict", err)
	}
	if got := qtyAt(t, l, "BOOK", "", "A01-01-01"); got != 7 {
		t.Errorf("qty = %d, want 7 unchanged", got)
	}
	if l.LastSeq() != before {
		t.Errorf("a refused event was logged")
	}
	// the refused ID can be used again with a valid payload
	mustAppend(t, l, "take-too-many", EvStockAdjusted, StockAdjustment{SKU: "BOOK", Location: "A01-01-01", Delta: -7, Reason: "x"})
	if got := qtyAt(t, l, "BOOK", "", "A01-01-01"); got != 0 {
		t.Errorf("qty = %d, want 0", got)
	}
}

func TestAppendRefusals(t *testing.T) {
	l, _ := openTest(t)
	seedSmall(t, l)
	cases := []struct {
		name, typ string
		data      any
		key       string
	}{
		{"unknown sku", EvStockAdjusted, StockAdjustment{SKU: "NOPE", Location: "A01-01-01", Delta: 1}, "sku.not_found"},
		{"unknown location", EvStockAdjusted, StockAdjustment{SKU: "BOOK", Location: "Z99-99-99", Delta: 1}, "location.not_found"},
		{"lot missing", EvStockAdjusted, StockAdjustment{SKU: "MILK", Location: "A01-01-01", Delta: 1}, "stock.lot_required"},
		{"lot on untracked", EvStockAdjusted, StockAdjustment{SKU: "BOOK", Lot: "X", Location: "A01-01-01", Delta: 1}, "stock.lot_not_tracked"},
		{"new lot without expiry", EvStockAdjusted, StockAdjustment{SKU: "MILK", Lot: "L9", Location: "A01-01-01", Delta: 1}, "stock.expiry_required"},
		{"expiry mismatch", EvStockAdjusted, StockAdjustment{SKU: "MILK", Lot: "L1", Expiry: "2027-07-01", Location: "A01-01-01", Delta: 1}, "stock.expiry_mismatch"},
		{"bad date", EvStockAdjusted, StockAdjustment{SKU: "MILK", Lot: "L9", Expiry: "2027-02-30", Location: "A01-01-01", Delta: 1}, "date.invalid"},
		{"zero delta", EvStockAdjusted, StockAdjustment{SKU: "BOOK", Location: "A01-01-01"}, "stock.delta_zero"},
		{"gtin taken", EvSKUUpserted, SKU{Code: "OTHER", Name: "x", GTINs: []string{"6901234567892"}}, "sku.gtin_taken"},
		{"gtin check digit", EvSKUUpserted, SKU{Code: "OTHER", Name: "x", GTINs: []string{"6901234567890"}}, "sku.gtin_invalid"},
		{"location kind", EvLocationUpserted, Location{Code: "X-1", Kind: "shelf"}, "location.kind_invalid"},
		{"staff role", EvStaffUpserted, StaffChange{Badge: "B7", Name: "x", Role: "boss", PINHash: "x"}, "staff.role_invalid"},
		{"staff without pin", EvStaffUpserted, StaffChange{Badge: "B7", Name: "x", Role: RolePicker}, "staff.pin_required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := l.LastSeq()
			ev, _ := NewEvent("refuse-"+tc.name, tc.typ, "B1001", "test", tc.data)
			_, _, err := l.Append(context.Background(), ev)
			if e, ok := AsError(err); !ok || e.Key != tc.key {
				t.Fatalf("err = %v, want %s", err, tc.key)
			}
			if l.LastSeq() != before {
				t.Error("refused event changed the log")
			}
		})
	}
	if got := qtyAt(t, l, "MILK", "L1", "A01-01-01"); got != 0 {
		t.Errorf("refusals changed stock: %d", got)
	}
}

func TestStockOfIsFEFO(t *testing.T) {
	l, _ := openTest(t)
	seedSmall(t, l)
	lines, err := l.StockOf("MILK")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range lines {
		got = append(got, fmt.Sprintf("%s@%s=%d", x.Lot, x.Location, x.Qty))
	}
	want := "[L1@A01-01-02=4 L1@R01-01-01=48 L2@A01-01-01=10]"
	if fmt.Sprint(got) != want {
		t.Errorf("StockOf = %v, want %s", got, want)
	}
	if _, err := l.StockOf("NOPE"); ErrorCode(err) != CodeNotFound {
		t.Errorf("unknown sku: %v", err)
	}
}

func TestConcurrentWritersThroughBatch(t *testing.T) {
	l, _ := openTest(t)
	seedSmall(t, l)
	const writers, each = 64, 20
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				ev, _ := NewEvent(fmt.Sprintf("w%d-%d", w, i), EvStockAdjusted, "B1001", "test",
					StockAdjustment{SKU: "BOOK", Location: "A01-01-02", Delta: 1, Reason: "race"})
				// every writer retries its first event once, as a handheld would
				for try := 0; try < 1+btoi(i == 0); try++ {
					if _, _, err := l.Append(context.Background(), ev); err != nil {
						errs <- err
					}
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := qtyAt(t, l, "BOOK", "", "A01-01-02"); got != writers*each {
		t.Errorf("qty = %d, want %d", got, writers*each)
	}
}

// Many pickers race for the last units: exactly the units there are get taken.
func TestRaceForLastUnits(t *testing.T) {
	l, _ := openTest(t)
	seedSmall(t, l) // BOOK: 7 at A01-01-01
	var wg sync.WaitGroup
	var mu sync.Mutex
	taken, refused := 0, 0
	for w := 0; w < 20; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			ev, _ := NewEvent(fmt.Sprintf("take-%d", w), EvStockAdjusted, "B1001", "test",
				StockAdjustment{SKU: "BOOK", Location: "A01-01-01", Delta: -1, Reason: "race"})
			_, _, err := l.Append(context.Background(), ev)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				taken++
			case ErrorCode(err) == CodeConflict:
				refused++
			default:
				t.Error(err)
			}
		}(w)
	}
	wg.Wait()
	if taken != 7 || refused != 13 {
		t.Errorf("taken %d refused %d, want 7 and 13", taken, refused)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestRebuildIsByteIdentical(t *testing.T) {
	l, clock := openTest(t)
	if _, err := l.SeedDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	seeded, err := l.SeedDemo(context.Background())
	if err != nil || seeded {
		t.Fatalf("second seed: seeded=%v err=%v", seeded, err)
	}
	ctx := context.Background()
	if _, _, err := l.Login(ctx, "B1001", "0000", "pda-1"); err == nil {
		t.Fatal("wrong PIN accepted")
	}
	tok, _, err := l.Login(ctx, "B1001", "1111", "pda-1")
	if err != nil {
		t.Fatal(err)
	}
	clock.Add(time.Hour)
	if _, err := l.CreateToken(ctx, "oms", RoleAdmin, "cli"); err != nil {
		t.Fatal(err)
	}
	if err := l.Logout(ctx, tok, Principal{Badge: "B1001"}, "pda-1"); err != nil {
		t.Fatal(err)
	}
	mm, err := l.Check(t.TempDir())
	if err != nil || len(mm) != 0 {
		t.Fatalf("check before rebuild: %v %v", mm, err)
	}
	before := snapshot(t, l)
	if err := l.Rebuild(); err != nil {
		t.Fatal(err)
	}
	if after := snapshot(t, l); after != before {
		t.Error("rebuild changed the projections")
	}
}

// snapshot renders every derived bucket as text.
func snapshot(t testing.TB, l *Ledger) string {
	t.Helper()
	var s string
	for _, name := range derivedBuckets {
		rows, err := l.dumpBucket(name)
		if err != nil {
			t.Fatal(err)
		}
		s += fmt.Sprintf("%s %d %x\n", name, len(rows), rows)
	}
	return s
}

// A damaged projection is found by Check.
func TestCheckFindsDamage(t *testing.T) {
	l, _ := openTest(t)
	seedSmall(t, l)
	if err := l.corruptForTest(bucketStock, stockKey(DefaultOwner, "BOOK", "", "A01-01-01"), qtyValue(99)); err != nil {
		t.Fatal(err)
	}
	mm, err := l.Check(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if len(mm) != 1 || mm[0].Bucket != "stock" {
		t.Fatalf("mismatches = %v, want one in stock", mm)
	}
	if err := l.Rebuild(); err != nil { // and repaired by Rebuild, so the cleanup check passes
		t.Fatal(err)
	}
}

func TestSecondOpenIsRefused(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, err = Open(dir, Options{OpenTimeout: 100 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v, want ErrLocked", err)
	}
}

// Records that come in as JSON (API, CSV rows turned into records, upstream
// syncs) are refused or accepted without panicking, and an accepted record
// written out and read back is accepted again unchanged.
func FuzzRecordValidate(f *testing.F) {
	f.Add(uint8(0), []byte(`{"code":"MILK","name":"飞鹤","gtins":["6901234567892"],"unit_weight_g":980,"shelf_life_days":720,"lot_tracked":true,"min_outbound_life_pct":67}`))
	f.Add(uint8(1), []byte(`{"code":"A01-01-01","zone":"A","pick_seq":10,"kind":"pick"}`))
	f.Add(uint8(2), []byte(`{"code":"S1","name":"小号","length_mm":200,"width_mm":150,"height_mm":100,"tare_g":80}`))
	f.Add(uint8(3), []byte(`{"id":"PACK-01","name":"打包台","printer":"browser","format":"pdf","label":"100x150"}`))
	f.Add(uint8(4), []byte(`{"partial":"wait","auto_wave":{"mode":"cluster","cluster_size":4,"max_orders":40,"min_orders":8}}`))
	f.Fuzz(func(t *testing.T, kind uint8, raw []byte) {
		var rec interface{ Validate() error }
		switch kind % 5 {
		case 0:
			rec = &SKU{}
		case 1:
			rec = &Location{}
		case 2:
			rec = &Box{}
		case 3:
			rec = &Station{}
		default:
			rec = &Settings{}
		}
		if json.Unmarshal(raw, rec) != nil || rec.Validate() != nil {
			return
		}
		out, err := json.Marshal(rec)
		if err != nil {
			t.Fatalf("accepted %T does not encode: %v", rec, err)
		}
		back := reflect.New(reflect.TypeOf(rec).Elem()).Interface().(interface{ Validate() error })
		if err := json.Unmarshal(out, back); err != nil {
			t.Fatalf("accepted %T does not decode: %v", rec, err)
		}
		if err := back.Validate(); err != nil {
			t.Fatalf("accepted %s, refused it written out and read back: %v", raw, err)
		}
		if again, _ := json.Marshal(back); string(again) != string(out) {
			t.Fatalf("%T changed on the second validation:\n%s\n%s", rec, out, again)
		}
	})
}
