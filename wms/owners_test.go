package wms

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// sharedGTIN is on the default owner's MILK and on the brand's MILK alike.
const sharedGTIN = "06901234567892"

// twoOwners: a warehouse working for the default owner and for BABY, an
// infant-formula brand that uses the same item code (MILK, with the same
// GTIN on the tin) and will use the same order number.
func twoOwners(t testing.TB) *Ledger {
	t.Helper()
	l, _ := openTest(t)
	if _, err := l.SaveOwner(ctx, "", Owner{Code: "BABY", Name: "贝因美母婴旗舰"}, "B9001", "web"); err != nil {
		t.Fatal(err)
	}
	for i, loc := range []Location{{Code: "DOCK-01", Kind: KindDock}, {Code: "A01-01-01", Kind: KindPick}, {Code: "A01-01-02", Kind: KindPick}} {
		loc.PickSeq = (i + 1) * 10
		mustAppend(t, l, "loc"+loc.Code, EvLocationUpserted, loc)
	}
	mustAppend(t, l, "box", EvBoxUpserted, Box{Code: "M2", LengthMM: 300, WidthMM: 220, HeightMM: 160, TareG: 160})
	mustAppend(t, l, "station", EvStationUpserted, Station{ID: "PACK-01", Printer: "browser"})
	for _, s := range []SKU{
		{Code: "MILK", Name: "默认货主奶粉 800g", GTINs: []string{sharedGTIN}, UnitWeightG: 900, LengthMM: 100, WidthMM: 100, HeightMM: 150},
		{Owner: "BABY", Code: "MILK", Name: "贝因美菁爱 3段 800g", GTINs: []string{sharedGTIN}, UnitWeightG: 1000, LengthMM: 100, WidthMM: 100, HeightMM: 150},
	} {
		ev, err := newOwnedEvent("sku-"+OwnerOr(s.Owner), EvSKUUpserted, "B9001", "web", s.Owner, s)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := l.Append(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	for _, w := range []WaybillLoad{
		{Account: "SF", Numbers: []string{"SF100000000001", "SF100000000002"}},
		{Owner: "BABY", Account: "SF", Numbers: []string{"SF900000000001", "SF900000000002"}},
	} {
		if _, err := l.LoadWaybills(ctx, "wb-"+OwnerOr(w.Owner), w, "B9001", "web"); err != nil {
			t.Fatal(err)
		}
	}
	return l
}

// onHand is an owner's stock of MILK, by location.
func onHand(t testing.TB, l *Ledger, owner string) map[string]int64 {
	t.Helper()
	lines, err := l.Books(owner).StockOf("MILK")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, x := range lines {
		if x.Owner != owner {
			t.Errorf("%s's stock line names owner %s", owner, x.Owner)
		}
		out[x.Location] += x.Qty
	}
	return out
}

func wantStock(t testing.TB, l *Ledger, step string, want map[string]map[string]int64) {
	t.Helper()
	for owner, locs := range want {
		got := onHand(t, l, owner)
		if fmt.Sprint(got) != fmt.Sprint(locs) {
			t.Errorf("%s: %s has %v, want %v", step, owner, got, locs)
		}
	}
}

// Two owners with the same item code and the same order number receive,
// allocate, pick, pack and ship in one warehouse without their stock ever
// mixing.
func TestTwoOwnersSameCodesDoNotMix(t *testing.T) {
	l := twoOwners(t)
	const baby = "BABY"

	// receive: each receipt's units go under its owner, at the same dock
	for _, in := range []ReceiptIn{
		{ID: "ASN1", Supplier: "工厂", Lines: []LineIn{{SKU: "MILK", Qty: 10}}},
		{Owner: baby, ID: "ASN1", Supplier: "贝因美工厂", Lines: []LineIn{{SKU: "MILK", Qty: 6}}},
	} {
		if _, _, err := l.ExpectReceipt(ctx, "", in, "oms", "api"); err != nil {
			t.Fatal(err)
		}
	}
	for _, owner := range []string{DefaultOwner, baby} {
		r, err := l.Books(owner).Receipt("ASN1")
		if err != nil {
			t.Fatal(err)
		}
		qty := r.Lines[0].Expected
		// the tin in the receiver's hand is read against the receipt's owner
		sku, err := l.Books(owner).SKUByGTIN(sharedGTIN)
		if err != nil || sku.Owner != owner {
			t.Fatalf("%s's receipt resolves the GTIN to %+v, %v", owner, sku, err)
		}
		if _, err := l.Receive(ctx, "rcv-"+owner, Receiving{Owner: envelopeOwner(owner), Receipt: "ASN1", SKU: sku.Code, Qty: qty, Location: "DOCK-01"}, "B3001", "pda"); err != nil {
			t.Fatal(err)
		}
	}
	wantStock(t, l, "received", map[string]map[string]int64{DefaultOwner: {"DOCK-01": 10}, baby: {"DOCK-01": 6}})

	// put away onto the same pick face: one shelf, two owners' goods, kept apart
	for _, owner := range []string{DefaultOwner, baby} {
		qty := onHand(t, l, owner)["DOCK-01"]
		if _, err := l.MoveStock(ctx, "put-"+owner, Move{Owner: envelopeOwner(owner), SKU: "MILK", From: "DOCK-01", To: "A01-01-01", Qty: qty}, "B3001", "pda"); err != nil {
			t.Fatal(err)
		}
	}
	wantStock(t, l, "put away", map[string]map[string]int64{DefaultOwner: {"A01-01-01": 10}, baby: {"A01-01-01": 6}})
	shelf, err := l.StockAt("A01-01-01")
	if err != nil || len(shelf) != 2 || shelf[0].Owner == shelf[1].Owner {
		t.Fatalf("the shared shelf shows %+v, %v; want one line per owner", shelf, err)
	}

	// the same order number from both owners, different goods and recipients
	mine := order("SO1", LineIn{"MILK", 3})
	mine.Carrier = "SF"
	theirs := order("SO1", LineIn{"MILK", 2})
	theirs.Owner, theirs.Carrier, theirs.Recipient.Name = baby, "SF", "李妈妈"
	mustOrder(t, l, mine)
	if o := mustOrder(t, l, theirs); o.Owner != baby || o.Lines[0].Qty != 2 {
		t.Fatalf("BABY's SO1 = %+v", o)
	}
	if o, _ := l.Order("SO1"); o.Owner != DefaultOwner || o.Lines[0].Qty != 3 || o.Recipient.Name == "李妈妈" {
		t.Fatalf("the default owner's SO1 = %+v", o)
	}

	// an order number or item code typed by hand may be either owner's
	for what, read := range map[string]func(string) ([]string, error){"order SO1": l.OrderOwners, "item MILK": l.SKUOwners} {
		code := strings.Fields(what)[1]
		if owners, err := read(code); err != nil || strings.Join(owners, ",") != "DEFAULT,BABY" {
			t.Errorf("owners of %s = %v, %v", what, owners, err)
		}
	}
	if owners, _ := l.OrderOwners("SO404"); len(owners) != 0 {
		t.Errorf("owners of an order nobody has: %v", owners)
	}
	// allocate: one wave over both; each order reserves only its owner's stock
	w := mustWave(t, l, "w1", WaveSingle)
	if len(w.Orders) != 2 || len(w.Tasks) != 2 {
		t.Fatalf("wave = %+v", w)
	}
	for owner, want := range map[string]int64{DefaultOwner: 3, baby: 2} {
		o, _ := l.Books(owner).Order("SO1")
		if o.State != OrderAllocated || o.Lines[0].Allocated() != want {
			t.Errorf("%s's SO1 after the wave: %s, %d allocated", owner, o.State, o.Lines[0].Allocated())
		}
	}
	assertReservationsMatch(t, l)

	// pick
	for i, picker := range []string{"B1001", "B1002"} {
		task, err := l.NextTask(ctx, picker, "pda")
		if err != nil {
			t.Fatal(err)
		}
		if task.Lines[0].Owner == "" || task.Orders[0].Owner != task.Lines[0].Owner {
			t.Fatalf("task %d does not name its owner: %+v", i, task)
		}
		pickAll(t, l, picker, task, nil)
	}
	wantStock(t, l, "picked", map[string]map[string]int64{DefaultOwner: {"A01-01-01": 7}, baby: {"A01-01-01": 4}})
	picks, _ := l.EventsOfType(10, EvPicked)
	for _, ev := range picks {
		var p PickScan
		_ = ev.DecodeData(&p)
		if ev.Owner != envelopeOwner(map[int64]string{3: DefaultOwner, 2: baby}[p.Qty]) {
			t.Errorf("pick of %d units carries owner %q", p.Qty, ev.Owner)
		}
	}

	// pack: the kiosk reads the shared GTIN against the order in hand
	for owner, qty := range map[string]int64{DefaultOwner: 3, baby: 2} {
		if _, err := l.PackScan(ctx, "pk-"+owner, PackScan{Owner: owner, Order: "SO1", Station: "PACK-01", GTIN: sharedGTIN, Qty: qty}, "B2001", "kiosk"); err != nil {
			t.Fatalf("%s: %v", owner, err)
		}
		sku, _ := l.Books(owner).SKU("MILK")
		weight := 160 + 20 + sku.UnitWeightG*int(qty)
		parcel, err := l.CloseParcel(ctx, "pc-"+owner, ParcelClose{Owner: owner, Order: "SO1", Station: "PACK-01", Box: "M2", WeightG: weight}, "B2001", "kiosk")
		if err != nil {
			t.Fatalf("%s: %v", owner, err)
		}
		// each owner's waybill comes from the pool it loaded
		if prefix := map[string]string{DefaultOwner: "SF1", baby: "SF9"}[owner]; !strings.HasPrefix(parcel.Waybill, prefix) {
			t.Errorf("%s's parcel took waybill %s", owner, parcel.Waybill)
		}
		if _, err := l.Books(owner).Ship(ctx, "", "SO1", "PACK-01", "B2001", "kiosk"); err != nil {
			t.Fatal(err)
		}
	}
	for _, owner := range []string{DefaultOwner, baby} {
		if o, _ := l.Books(owner).Order("SO1"); o.State != OrderShipped {
			t.Errorf("%s's SO1 is %s", owner, o.State)
		}
	}
	wantStock(t, l, "shipped", map[string]map[string]int64{DefaultOwner: {"A01-01-01": 7}, baby: {"A01-01-01": 4}})
	if left, _ := l.Books(baby).WaybillsLeft(); left["SF"] != 1 {
		t.Errorf("BABY's SF pool has %d left, want 1", left["SF"])
	}
	assertReservationsMatch(t, l)
	checkFiguresPerOwner(t, l, map[string]int64{DefaultOwner: 3, baby: 2})

	// returns: each parcel counts in its order's owner's returns figures
	mustAppend(t, l, "locRET-01", EvLocationUpserted, Location{Code: "RET-01", Kind: KindReturns, PickSeq: 90})
	for owner, qty := range map[string]int64{DefaultOwner: 2, baby: 1} {
		if _, err := l.ReceiveReturn(ctx, ReturnParcel{ID: "ret-" + owner, Owner: envelopeOwner(owner), Order: "SO1",
			Lines: []ReturnLine{{SKU: "MILK", Qty: qty, Condition: CondResellable}}}, "B3001", "pda"); err != nil {
			t.Fatalf("%s: %v", owner, err)
		}
	}
	day := l.Today()
	all, _ := l.ReturnStatsOf(day)
	var sum int64
	for owner, want := range map[string]int64{DefaultOwner: 2, baby: 1} {
		s, err := l.OwnerReturnStats(day, owner)
		if err != nil || s.BySKU["MILK"] != want || s.Parcels != 1 || s.ByClerk["B3001"] != want {
			t.Errorf("%s's returns figures = %+v, %v; want %d units in one parcel", owner, s, err, want)
		}
		sum += s.BySKU["MILK"]
	}
	if all.BySKU["MILK"] != sum || all.Parcels != 2 {
		t.Errorf("the day's returns %+v are not the owners' %d units", all, sum)
	}
	// openTest's cleanup proves projections = rebuild (Check)
}

// checkFiguresPerOwner: each owner's part of the day's pick figures holds
// the units of its own goods, and the parts add up to the day's figures.
func checkFiguresPerOwner(t *testing.T, l *Ledger, units map[string]int64) {
	t.Helper()
	day := l.Today()
	all, err := l.KPIs(day)
	if err != nil {
		t.Fatal(err)
	}
	sum := map[string]ScanStats{}
	for owner, want := range units {
		per, err := l.OwnerKPIs(day, owner)
		if err != nil {
			t.Fatal(err)
		}
		var got int64
		for actor, s := range per {
			got += s.Units
			sum[actor] = sum[actor].plus(s)
		}
		if got != want {
			t.Errorf("%s's figures count %d units picked, want %d (%+v)", owner, got, want, per)
		}
	}
	for actor, s := range all {
		if sum[actor] != s {
			t.Errorf("%s: the owners' figures add up to %+v, the day's are %+v", actor, sum[actor], s)
		}
	}
}

// A GTIN two owners share resolves by what is in hand; with nothing in
// hand it is refused, naming both owners.
func TestSharedGTINResolvesByOwnerInHand(t *testing.T) {
	l := twoOwners(t)
	_, err := l.SKUByGTIN(sharedGTIN)
	e, ok := AsError(err)
	if !ok || e.Key != "sku.gtin_ambiguous" || e.Code != CodeConflict || e.Args["owners"] != "BABY, DEFAULT" {
		t.Fatalf("nothing in hand: %v", err)
	}
	for _, owner := range []string{DefaultOwner, "BABY"} {
		s, err := l.Books(owner).SKUByGTIN(sharedGTIN)
		if err != nil || s.Owner != owner || s.Code != "MILK" {
			t.Errorf("%s in hand: %+v, %v", owner, s, err)
		}
	}
	// a GTIN only one owner uses needs nothing in hand
	ev, _ := newOwnedEvent("sku-only", EvSKUUpserted, "B9001", "web", "BABY", SKU{Code: "BIB", Name: "奶瓶", GTINs: []string{"6901234567809"}})
	if _, _, err := l.Append(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if s, err := l.SKUByGTIN("06901234567809"); err != nil || s.Owner != "BABY" {
		t.Errorf("an unshared GTIN: %+v, %v", s, err)
	}
	if _, err := l.Books(DefaultOwner).SKUByGTIN("06901234567809"); ErrorCode(err) != CodeNotFound {
		t.Errorf("the default owner has no such GTIN: %v", err)
	}
	// within one owner a GTIN stays unique
	dup, _ := newOwnedEvent("sku-dup", EvSKUUpserted, "B9001", "web", "BABY", SKU{Code: "MILK2", Name: "另一罐", GTINs: []string{sharedGTIN}})
	if _, _, err := l.Append(ctx, dup); err == nil || err.(*Error).Key != "sku.gtin_taken" {
		t.Errorf("a GTIN twice in one owner: %v", err)
	}
}

func TestUnknownOwnerRefused(t *testing.T) {
	l := twoOwners(t)
	in := order("SO9", LineIn{"MILK", 1})
	in.Owner = "NOBODY"
	if _, _, err := l.ReceiveOrder(ctx, "", in, "oms", "api"); err == nil || err.(*Error).Key != "owner.unknown" {
		t.Errorf("an order of an unknown owner: %v", err)
	}
	if _, err := l.SaveOwner(ctx, "", Owner{Code: DefaultOwner, Name: "x"}, "B9001", "web"); err == nil {
		t.Error("the default owner was given a record")
	}
	owners, err := l.Owners()
	if err != nil || len(owners) != 2 || owners[0].Code != DefaultOwner || owners[1].Code != "BABY" {
		t.Errorf("owners = %+v, %v", owners, err)
	}
}

// CSV files take an optional owner column; a file naming an owner the
// warehouse does not work for is refused whole.
func TestCSVOwnerColumn(t *testing.T) {
	l := twoOwners(t)
	good := "owner,sku,location,qty\n,MILK,A01-01-01,5\nBABY,MILK,A01-01-01,8\nBABY,MILK,A01-01-02,1\n"
	if _, err := l.Import(context.Background(), "stock-ok", ImportStock, "s.csv", []byte(good), "B9001", "web"); err != nil {
		t.Fatal(err)
	}
	wantStock(t, l, "imported", map[string]map[string]int64{DefaultOwner: {"A01-01-01": 5}, "BABY": {"A01-01-01": 8, "A01-01-02": 1}})

	before := snapshot(t, l)
	bad := "owner,sku,location,qty\nBABY,MILK,A01-01-01,9\nNOBODY,MILK,A01-01-02,1\n"
	res, err := l.Import(context.Background(), "stock-bad", ImportStock, "s.csv", []byte(bad), "B9001", "web")
	if err == nil || len(res.Errors) == 0 || res.Errors[0].Line != 3 || res.Errors[0].Key != "owner.unknown" {
		t.Fatalf("a file with an unknown owner: %v %+v", err, res.Errors)
	}
	if snapshot(t, l) != before {
		t.Error("a refused file changed the store")
	}

	// orders: the same number for two owners in one file is two orders
	orders := "owner,no,channel,name,phone,address,sku,qty\n" +
		",SO7,tmall,王芳,13800138000,杭州,MILK,1\n" +
		"BABY,SO7,tmall,李妈妈,13900139000,上海,MILK,2\n"
	if _, err := l.Import(context.Background(), "orders", ImportOrders, "o.csv", []byte(orders), "B9001", "web"); err != nil {
		t.Fatal(err)
	}
	for owner, qty := range map[string]int64{DefaultOwner: 1, "BABY": 2} {
		if o, err := l.Books(owner).Order("SO7"); err != nil || o.Lines[0].Qty != qty {
			t.Errorf("%s's SO7 = %+v, %v", owner, o, err)
		}
	}

	// the export writes the owner column (empty for the default owner)
	out := mustExport(t, l, ImportStock)
	if !strings.Contains(out, "owner,sku,lot,expiry,location,qty") || !strings.Contains(out, "BABY,MILK,,,A01-01-02,1") || !strings.Contains(out, "\r\n,MILK,,,A01-01-01,5") {
		t.Errorf("stock export:\n%s", out)
	}
}

// A receipt number two owners share is both owners'; a blind delivery's name
// is one no owner's receipt of that receiver and day has taken.
func TestReceiptOwnersAndBlindNamesAcrossOwners(t *testing.T) {
	l := twoOwners(t)
	for _, owner := range []string{"", "BABY"} {
		if _, _, err := l.ExpectReceipt(ctx, "", ReceiptIn{Owner: owner, ID: "ASN-1", Supplier: "供应商", Lines: []LineIn{{SKU: "MILK", Qty: 5}}}, "B9001", "web"); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := l.ExpectReceipt(ctx, "", ReceiptIn{Owner: "BABY", ID: "ASN-2", Supplier: "供应商", Lines: []LineIn{{SKU: "MILK", Qty: 5}}}, "B9001", "web"); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{"ASN-1": "DEFAULT BABY", "ASN-2": "BABY", "ASN-3": ""} {
		got, err := l.ReceiptOwners(id)
		if err != nil || strings.Join(got, " ") != want {
			t.Errorf("ReceiptOwners(%s) = %v %v, want %q", id, got, err, want)
		}
	}
	day := l.Today()
	first, err := l.Books("BABY").NextBlindReceipt(day, "B3001")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Receive(ctx, "blind-baby", Receiving{Owner: "BABY", Receipt: first, SKU: "MILK", Qty: 2, Location: "DOCK-01"}, "B3001", "pda"); err != nil {
		t.Fatal(err)
	}
	for _, owner := range []string{DefaultOwner, "BABY"} {
		next, err := l.Books(owner).NextBlindReceipt(day, "B3001")
		if err != nil || next == first || !strings.HasSuffix(next, "-2") {
			t.Errorf("%s's next blind receipt after %s: %q %v", owner, first, next, err)
		}
	}
	if r, err := l.Books("BABY").Receipt(first); err != nil || r.Owner != "BABY" || !r.Blind || r.Lines[0].Received != 2 {
		t.Errorf("the brand's blind receipt: %+v %v", r, err)
	}
	if _, err := l.Receipt(first); err == nil {
		t.Errorf("the brand's blind receipt %s is also the default owner's", first)
	}
}
