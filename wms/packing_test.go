package wms

import (
	"strings"
	"testing"
)

// packFixture: an order of 2 MILK (serial-tracked) and 1 BOOK, picked, at a station with boxes and waybills.
func packFixture(t testing.TB) (*Ledger, Task) {
	l := stockFixture(t)
	mustAppend(t, l, "box1", EvBoxUpserted, Box{Code: "S1", LengthMM: 200, WidthMM: 150, HeightMM: 100, TareG: 80})
	mustAppend(t, l, "box2", EvBoxUpserted, Box{Code: "L3", LengthMM: 420, WidthMM: 320, HeightMM: 260, TareG: 320})
	mustAppend(t, l, "st", EvStationUpserted, Station{ID: "PACK-01", Printer: "browser"})
	mustAppend(t, l, "wb", EvWaybillsLoaded, WaybillLoad{Account: "SF", Numbers: []string{"SF1000000000001", "SF1000000000002", "SF1000000000003"}})
	in := order("SO1", LineIn{"MILK", 2}, LineIn{"BOOK", 1})
	in.Carrier = "SF"
	mustOrder(t, l, in)
	mustWave(t, l, "w1", WaveSingle)
	task, _ := l.NextTask(ctx, "B1001", "pda")
	pickAll(t, l, "B1001", task, nil)
	return l, task
}

func TestPackingFlow(t *testing.T) {
	l, _ := packFixture(t)
	milk, _ := l.SKU("MILK")
	book, _ := l.SKU("BOOK")
	o, _ := l.Order("SO1")
	lot := o.Lines[0].Allocs[0].Lot
	scan := func(id string, p PackScan) error {
		p.Order, p.Station = "SO1", "PACK-01"
		if p.Qty == 0 {
			p.Qty = 1
		}
		_, err := l.PackScan(ctx, id, p, "B2001", "kiosk")
		return err
	}
	refusals := []struct {
		name string
		p    PackScan
		key  string
	}{
		{"not in the order", PackScan{GTIN: "00000000000000"}, "pack.not_in_order"},
		{"another lot", PackScan{GTIN: milk.GTINs[0], Lot: "GOOD2", Serial: "C1"}, "pack.wrong_lot"},
		{"no serial", PackScan{GTIN: milk.GTINs[0], Lot: lot}, "pack.serial_needed"},
		{"too many", PackScan{GTIN: book.GTINs[0], Qty: 2}, "pack.too_many"},
	}
	for _, r := range refusals {
		if err := scan("bad-"+r.name, r.p); err == nil || err.(*Error).Key != r.key {
			t.Errorf("%s: %v, want %s", r.name, err, r.key)
		}
	}
	if err := scan("pk1", PackScan{GTIN: milk.GTINs[0], Lot: lot, Serial: "C1"}); err != nil {
		t.Fatal(err)
	}
	// the same can read twice at the bench: already checked, nothing changes
	if err := scan("pk2", PackScan{GTIN: milk.GTINs[0], Lot: lot, Serial: "C1"}); err == nil || err.(*Error).Key != "pack.serial_checked" {
		t.Errorf("the same serial twice: %v", err)
	}
	if ps, _ := l.Pack("SO1"); len(ps.Verified) != 1 || ps.Verified[0].Qty != 1 {
		t.Errorf("after a double read: verified %+v, want the one can", ps.Verified)
	}
	// parcel 1: one can; 980 g + 80 g box + 20 g allowance = 1080 g, tolerance max(30, 54) = 54 g
	box, err := l.SuggestBox([]PackedItem{{SKU: "MILK", Qty: 1}})
	if err != nil || box.Code != "S1" {
		t.Fatalf("box %v %v", box, err)
	}
	if _, err := l.CloseParcel(ctx, "p1-light", ParcelClose{Order: "SO1", Station: "PACK-01", Box: "S1", WeightG: 1025}, "B2001", "kiosk"); err == nil || err.(*Error).Key != "pack.weight_off" || err.(*Error).Args["off"] != "-55" {
		t.Fatalf("55 g under (a can missing its scoop, say): %v", err)
	}
	if _, err := l.CloseParcel(ctx, "p1-heavy", ParcelClose{Order: "SO1", Station: "PACK-01", Box: "S1", WeightG: 1135}, "B2001", "kiosk"); err == nil || err.(*Error).Key != "pack.weight_off" || err.(*Error).Args["off"] != "55" {
		t.Fatalf("55 g over: %v", err)
	}
	if _, err := l.CloseParcel(ctx, "p1-over", ParcelClose{Order: "SO1", Station: "PACK-01", Box: "S1", WeightG: 1135, Override: &Override{Badge: "B2001", Reason: "x"}}, "B2001", "kiosk"); ErrorCode(err) != CodeForbidden {
		t.Errorf("override by a packer: %v", err)
	}
	p1, err := l.CloseParcel(ctx, "p1", ParcelClose{Order: "SO1", Station: "PACK-01", Box: "S1", WeightG: 1134}, "B2001", "kiosk")
	if err != nil || p1.Waybill != "SF1000000000001" || p1.ExpectedG != 1080 || p1.Parent != "" {
		t.Fatalf("parcel 1: %+v %v", p1, err)
	}
	if o, _ := l.Order("SO1"); o.State != OrderPicked {
		t.Errorf("order %s after one of two parcels", o.State)
	}
	if os, _ := l.AwaitingCarrier("PACK-01", 10); len(os) != 0 {
		t.Errorf("an order with a parcel still to make awaits the carrier: %+v", os)
	}
	// parcel 2: the other can and the book, let through by a supervisor
	if err := scan("pk3", PackScan{GTIN: milk.GTINs[0], Lot: lot, Serial: "C2"}); err != nil {
		t.Fatal(err)
	}
	// both cans checked: the first read again is still a double read, not one too many
	if err := scan("pk3-again", PackScan{GTIN: milk.GTINs[0], Lot: lot, Serial: "C1"}); err == nil || err.(*Error).Key != "pack.serial_checked" {
		t.Errorf("a can of parcel 1 read again: %v", err)
	}
	if err := scan("pk4", PackScan{GTIN: book.GTINs[0]}); err != nil {
		t.Fatal(err)
	}
	p2, err := l.CloseParcel(ctx, "p2", ParcelClose{Order: "SO1", Station: "PACK-01", Box: "L3", WeightG: 3000, Typed: true, Override: &Override{Badge: "B4001", Reason: "赠品"}}, "B2001", "kiosk")
	if err == nil {
		t.Fatalf("override by an unknown supervisor accepted: %+v", p2)
	}
	mustAppend(t, l, "sup", EvStaffUpserted, StaffChange{Badge: "B4001", Name: "赵敏", Role: RoleSupervisor, PINHash: "x"})
	p2, err = l.CloseParcel(ctx, "p2", ParcelClose{Order: "SO1", Station: "PACK-01", Box: "L3", WeightG: 3000, Typed: true, Override: &Override{Badge: "B4001", Reason: "赠品"}}, "B2001", "kiosk")
	if err != nil || p2.Waybill != "SF1000000000002" || p2.Parent != "SF1000000000001" || p2.Override == nil {
		t.Fatalf("parcel 2: %+v %v", p2, err)
	}
	if o, _ := l.Order("SO1"); o.State != OrderPacked {
		t.Errorf("order %s after packing everything", o.State)
	}
	left, _ := l.WaybillsLeft()
	if left["SF"] != 1 {
		t.Errorf("pool: %v", left)
	}
	// packed and not handed over: the station that packed it lists it, no other
	awaiting := func(station string) []string {
		t.Helper()
		os, err := l.AwaitingCarrier(station, 10)
		if err != nil {
			t.Fatal(err)
		}
		var nos []string
		for _, o := range os {
			nos = append(nos, o.No)
		}
		return nos
	}
	if got := awaiting("PACK-01"); len(got) != 1 || got[0] != "SO1" {
		t.Errorf("PACK-01 awaiting the carrier: %v, want SO1", got)
	}
	if got := awaiting("PACK-02"); len(got) != 0 {
		t.Errorf("PACK-02 awaiting the carrier: %v, want none", got)
	}
	if _, err := l.Ship(ctx, "", "SO1", "PACK-01", "B2001", "kiosk"); err != nil {
		t.Fatal(err)
	}
	if o, _ := l.Order("SO1"); o.State != OrderShipped {
		t.Errorf("order %s", o.State)
	}
	if got := awaiting("PACK-01"); len(got) != 0 {
		t.Errorf("after Ship, PACK-01 awaiting the carrier: %v", got)
	}
	kpi, _ := l.KPIs("2026-11-11")
	if k := kpi["B2001"]; k.Parcels != 2 || k.WeightRejects != 2 || // 55 g under and 55 g over
		k.TypedWeights != 1 || k.WeightOverrides != 1 {
		t.Errorf("packer kpis %+v", k)
	}
	// serials packed are traceable to the order, and never ship twice
	if st, _, err := l.SerialTrace("C2"); err != nil || st.Order != "SO1" {
		t.Errorf("serial C2: %+v %v", st, err)
	}
	// print: a job per label, results recorded, a reprint is a copy
	job, err := l.RequestPrint(ctx, "pr1", PrintRequest{Station: "PACK-01", Kind: "waybill", Order: "SO1", Parcel: 1}, "B2001", "kiosk")
	if err != nil || job.Status != "queued" {
		t.Fatalf("print: %+v %v", job, err)
	}
	for i := 0; i < MaxPrintTries; i++ {
		if err := l.RecordPrint(ctx, "res"+string(rune('a'+i)), PrintResult{Job: job.ID, Status: "failed", Error: "printer offline"}); err != nil {
			t.Fatal(err)
		}
	}
	if q, _ := l.QueuedPrintJobs(); len(q) != 0 {
		t.Errorf("a job that failed %d times is still queued", MaxPrintTries)
	}
	cp, err := l.RequestPrint(ctx, "pr2", PrintRequest{Station: "PACK-01", Kind: "waybill", Order: "SO1", Parcel: 1, Copy: true}, "B4001", "kiosk")
	if err != nil || !cp.Copy || cp.Actor != "B4001" {
		t.Errorf("reprint: %+v %v", cp, err)
	}
}

func TestWaybillPool(t *testing.T) {
	l, _ := packFixture(t)
	if _, err := l.LoadWaybills(ctx, "again", WaybillLoad{Account: "JD", Numbers: []string{"SF1000000000001"}}, "B9001", "web"); err == nil {
		t.Error("a number loaded twice")
	}
	csv := "account,waybill\nJD,JDVA000000000001\nJD,JDVA000000000002\nJD,JDVA000000000001\nJD,bad number\n"
	res, err := l.Import(ctx, "wbcsv", ImportWaybills, "w.csv", []byte(csv), "B9001", "web")
	if err == nil || len(res.Errors) != 2 {
		t.Fatalf("bad waybill file: %v %+v", err, res.Errors)
	}
	good := strings.Join(strings.Split(csv, "\n")[:3], "\n") + "\n"
	if _, err := l.Import(ctx, "wbcsv2", ImportWaybills, "w.csv", []byte(good), "B9001", "web"); err != nil {
		t.Fatal(err)
	}
	if left, _ := l.WaybillsLeft(); left["JD"] != 2 || left["SF"] != 3 {
		t.Errorf("pools %v", left)
	}
}

// The tolerance is the larger of the absolute amount and the percentage of
// the expected weight, rounded up to a whole gram.
func TestWeightGateTolerance(t *testing.T) {
	g := WeightGate{AbsG: 30, Pct: 5}
	for expected, want := range map[int]int{0: 30, 400: 30, 600: 30, 601: 31, 1080: 54, 20000: 1000} {
		if got := g.Tolerance(expected); got != want {
			t.Errorf("Tolerance(%d g) = %d, want %d", expected, got, want)
		}
	}
}

// A job that gave up is listed as failed and goes back to the printer once
// when a supervisor retries it; the list is newest first and filters.
func TestPrintJobsListAndRetry(t *testing.T) {
	l, _ := packFixture(t)
	milk, _ := l.SKU("MILK")
	book, _ := l.SKU("BOOK")
	o, _ := l.Order("SO1")
	lot := o.Lines[0].Allocs[0].Lot
	for i, p := range []PackScan{{GTIN: milk.GTINs[0], Lot: lot, Serial: "C1"}, {GTIN: milk.GTINs[0], Lot: lot, Serial: "C2"}, {GTIN: book.GTINs[0]}} {
		p.Order, p.Station, p.Qty = "SO1", "PACK-01", 1
		if _, err := l.PackScan(ctx, "pk"+string(rune('a'+i)), p, "B2001", "kiosk"); err != nil {
			t.Fatal(err)
		}
	}
	mustAppend(t, l, "sup", EvStaffUpserted, StaffChange{Badge: "B4001", Name: "赵敏", Role: RoleSupervisor, PINHash: "x"})
	if _, err := l.CloseParcel(ctx, "p1", ParcelClose{Order: "SO1", Station: "PACK-01", Box: "L3", WeightG: 3000, Typed: true, Override: &Override{Badge: "B4001", Reason: "x"}}, "B2001", "kiosk"); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, l, "station2", EvStationUpserted, Station{ID: "PACK-02", Printer: "tcp://10.0.0.60:9100", Format: "zpl"})
	first, _ := l.RequestPrint(ctx, "pr1", PrintRequest{Station: "PACK-01", Kind: "waybill", Order: "SO1", Parcel: 1}, "B2001", "kiosk")
	second, _ := l.RequestPrint(ctx, "pr2", PrintRequest{Station: "PACK-02", Kind: "waybill", Order: "SO1", Parcel: 1, Copy: true}, "B2001", "kiosk")
	if _, err := l.RetryPrint(ctx, "rt0", second.ID, "B4001", "pc"); ErrorCode(err) != CodeConflict {
		t.Errorf("retry of a queued job: %v", err)
	}
	for i := range MaxPrintTries {
		if err := l.RecordPrint(ctx, "res"+string(rune('a'+i)), PrintResult{Job: second.ID, Status: "failed", Error: "connection refused"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.RecordPrint(ctx, "ok1", PrintResult{Job: first.ID, Status: "sent"}); err != nil {
		t.Fatal(err)
	}
	all, err := l.PrintJobs(PrintFilter{})
	if err != nil || len(all) != 2 || all[0].ID != second.ID || all[1].ID != first.ID {
		t.Fatalf("all jobs, newest first: %+v %v", all, err)
	}
	failed, _ := l.PrintJobs(PrintFilter{Status: "failed", Station: "PACK-02"})
	if len(failed) != 1 || !failed[0].GaveUp() || failed[0].Tries != MaxPrintTries || failed[0].Error != "connection refused" {
		t.Fatalf("failed at PACK-02: %+v", failed)
	}
	if none, _ := l.PrintJobs(PrintFilter{Status: "failed", Station: "PACK-01"}); len(none) != 0 {
		t.Errorf("failed at PACK-01: %+v", none)
	}
	if one, _ := l.PrintJobs(PrintFilter{Order: "SO1", Limit: 1}); len(one) != 1 || one[0].ID != second.ID {
		t.Errorf("the order's newest job: %+v", one)
	}
	// the retry is an event with the page's ID: twice is once
	for range 2 {
		job, err := l.RetryPrint(ctx, "rt1", second.ID, "B4001", "pc")
		if err != nil || job.Status != "queued" || job.Retries != 1 {
			t.Fatalf("retry: %+v %v", job, err)
		}
	}
	if q, _ := l.QueuedPrintJobs(); len(q) != 1 || q[0].ID != second.ID {
		t.Errorf("queue after the retry: %+v", q)
	}
	if err := l.RecordPrint(ctx, "resz", PrintResult{Job: second.ID, Status: "failed", Error: "connection refused"}); err != nil {
		t.Fatal(err)
	}
	if q, _ := l.QueuedPrintJobs(); len(q) != 1 {
		t.Errorf("a retried job gets its tries again: queue %+v", q)
	}
	if _, err := l.RetryPrint(ctx, "rt2", first.ID, "B4001", "pc"); ErrorCode(err) != CodeConflict {
		t.Errorf("retry of a printed job: %v", err)
	}
}

// A serial already checked into another order is a copied code, whatever the
// order at the bench; only a serial checked into this order is a double read.
func TestPackSerialOfAnotherOrderIsACopy(t *testing.T) {
	l, _ := packFixture(t)
	milk, _ := l.SKU("MILK")
	in := order("SO2", LineIn{"MILK", 1})
	in.Carrier = "SF"
	mustOrder(t, l, in)
	mustWave(t, l, "w2", WaveSingle)
	task, _ := l.NextTask(ctx, "B1002", "pda-2")
	pickAll(t, l, "B1002", task, nil)
	lotOf := func(no string) string { o, _ := l.Order(no); return o.Lines[0].Allocs[0].Lot }
	if _, err := l.PackScan(ctx, "a1", PackScan{Order: "SO1", Station: "PACK-01", GTIN: milk.GTINs[0], Lot: lotOf("SO1"), Serial: "C1", Qty: 1}, "B2001", "kiosk"); err != nil {
		t.Fatal(err)
	}
	_, err := l.PackScan(ctx, "b1", PackScan{Order: "SO2", Station: "PACK-01", GTIN: milk.GTINs[0], Lot: lotOf("SO2"), Serial: "C1", Qty: 1}, "B2001", "kiosk")
	if e, ok := AsError(err); !ok || e.Key != "pick.serial_twice" {
		t.Errorf("a serial checked into SO1, scanned for SO2: %v, want pick.serial_twice", err)
	}
}
