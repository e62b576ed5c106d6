package wms

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"tally/scan"
)

// DemoStaff are the demo warehouse's logins, listed in the README.
var DemoStaff = []struct {
	Badge, Name string
	Role        Role
	PIN         string
}{
	{"B1001", "张伟", RolePicker, "1111"},
	{"B1002", "李娜", RolePicker, "1111"},
	{"B1003", "王磊", RolePicker, "1111"},
	{"B2001", "刘洋", RolePacker, "2222"},
	{"B2002", "陈静", RolePacker, "2222"},
	{"B3001", "杨帆", RoleReceiver, "3333"},
	{"B4001", "赵敏", RoleSupervisor, "4444"},
	{"B9001", "周强", RoleAdmin, "9999"},
}

type demoFamily struct {
	zone        string
	names       []string
	variants    []string
	weightG     int
	dims        [3]int
	shelfLife   int
	minLifePct  int
	lotTracked  bool
	serials     bool
	gtinCompany string // GS1 company prefix digits after the country prefix
	receivePct  int
	shortAction string
}

var demoFamilies = []demoFamily{
	{"A", []string{"飞鹤星飞帆", "君乐宝至臻", "伊利金领冠", "澳优能立多", "a2至初", "美赞臣蓝臻", "惠氏启赋", "爱他美卓萃"},
		[]string{"1段 800g", "2段 800g", "3段 800g", "4段 800g", "1段 400g", "2段 400g", "3段 400g", "4段 400g"},
		980, [3]int{130, 130, 180}, 720, 67, true, true, "69012", 75, ShortLifeRefuse},
	{"A", []string{"三只松鼠每日坚果", "良品铺子肉松饼", "百草味夏威夷果", "桂格即食燕麦", "旺旺雪饼", "卫龙辣条", "科尔沁牛肉干"},
		[]string{"750g", "500g", "250g", "1kg", "家庭装", "小包装", "礼盒装", "原味"},
		520, [3]int{200, 150, 80}, 270, 50, true, false, "69023", 60, ShortLifeQuarantine},
	{"B", []string{"珀莱雅双抗精华", "薇诺娜舒敏保湿霜", "百雀羚水能量面霜", "自然堂冰肌水", "完美日记唇釉", "花西子空气散粉", "溪木源洁面乳"},
		[]string{"30ml", "50ml", "100ml", "15g", "50g", "120g", "旅行装", "套装"},
		160, [3]int{60, 60, 140}, 1095, 33, true, false, "69034", 50, ShortLifeQuarantine},
	{"C", []string{"三体全集", "活着", "平凡的世界", "哈利·波特", "小王子", "人类简史"},
		[]string{"平装", "精装", "典藏版", "青少版", "英文版", "插图版", "口袋版", "纪念版"},
		600, [3]int{230, 160, 40}, 0, 0, false, false, "97875", 0, ""},
	{"C", []string{"纯棉圆领T恤", "运动卫衣", "牛仔裤", "羊毛袜"},
		[]string{"白 S", "白 M", "白 L", "白 XL", "黑 S", "黑 M", "黑 L", "黑 XL"},
		250, [3]int{300, 250, 40}, 0, 0, false, false, "69045", 0, ""},
}

// demoGTIN makes a valid 13-digit GTIN from a company prefix and an item number.
func demoGTIN(company string, item int) string {
	body := fmt.Sprintf("%s%0*d", company, 12-len(company), item)
	d, err := scan.CheckDigit(body)
	if err != nil {
		panic(err) // company prefixes above are digits
	}
	return body + strconv.Itoa(d)
}

// DemoData builds the demo warehouse: a few hundred SKUs, locations in four
// zones, lots with expiry dates around today (a few expired or close to it,
// so the expiry screens have something to show) and staff of every role.
// The same day gives the same data.
func DemoData(today time.Time) (skus []SKU, locs []Location, stock []StockRow) {
	rng := rand.New(rand.NewPCG(42, 2026))
	seq := 0
	// positions: aisles 3 m apart, bays 1.2 m; each zone 15 m wide
	pos := func(zone, aisle, bay int) (*float64, *float64) {
		x, y := float64(zone*15+(aisle-1)*3), math.Round(float64(bay)*1.2*10)/10
		return &x, &y
	}
	for zi, zone := range []string{"A", "B", "C"} {
		for aisle := 1; aisle <= 4; aisle++ {
			for bay := 1; bay <= 10; bay++ {
				b := bay
				if aisle%2 == 0 { // serpentine: walk up one aisle and down the next
					b = 11 - bay
				}
				for level := 1; level <= 3; level++ {
					seq += 10
					height := HeightHighLow // levels 1 and 3: bend or reach
					if level == 2 {
						height = HeightWaist
					}
					x, y := pos(zi, aisle, b)
					locs = append(locs, Location{Code: fmt.Sprintf("%s%02d-%02d-%02d", zone, aisle, b, level), Zone: zone, PickSeq: seq, Kind: KindPick, Height: height, XM: x, YM: y})
				}
			}
		}
	}
	for aisle := 1; aisle <= 2; aisle++ {
		for bay := 1; bay <= 10; bay++ {
			for level := 1; level <= 4; level++ {
				seq += 10
				x, y := pos(3, aisle, bay)
				locs = append(locs, Location{Code: fmt.Sprintf("R%02d-%02d-%02d", aisle, bay, level), Zone: "R", PickSeq: seq, Kind: KindReserve, XM: x, YM: y})
			}
		}
	}
	for i, k := range []struct {
		prefix string
		kind   LocationKind
	}{{"DOCK", KindDock}, {"QA", KindQuarantine}, {"RET", KindReturns}, {"DMG", KindDamaged}, {"RTS", KindSupplier}} {
		for n := 1; n <= 2; n++ {
			locs = append(locs, Location{Code: fmt.Sprintf("%s-%02d", k.prefix, n), Zone: k.prefix, PickSeq: 100000 + i*10 + n, Kind: k.kind})
		}
	}

	nextPick := map[string]int{}
	pickIn := func(zone string) string {
		n := nextPick[zone]
		nextPick[zone]++
		return fmt.Sprintf("%s%02d-%02d-%02d", zone, 1+n/30%4, 1+n/3%10, 1+n%3)
	}
	reserve := 0
	for fi, f := range demoFamilies {
		for ni, name := range f.names {
			for vi, variant := range f.variants {
				item := fi*1000 + ni*10 + vi
				code := fmt.Sprintf("SKU%05d", item)
				sku := SKU{
					Code: code, Name: name + " " + variant, GTINs: []string{demoGTIN(f.gtinCompany, item)},
					UnitWeightG: f.weightG + rng.IntN(f.weightG/5+1), LengthMM: f.dims[0], WidthMM: f.dims[1], HeightMM: f.dims[2],
					ShelfLifeDays: f.shelfLife, LotTracked: f.lotTracked, SerialTracked: f.serials, MinOutboundLifePct: f.minLifePct,
					Zone: f.zone, ReceiveMinLifePct: f.receivePct, ShortLifeAction: f.shortAction,
				}
				if err := sku.Validate(); err != nil {
					panic(err) // the tables above are wrong
				}
				skus = append(skus, sku)
				loc := pickIn(f.zone)
				if !f.lotTracked {
					stock = append(stock, StockRow{SKU: code, Location: loc, Qty: int64(5 + rng.IntN(60))})
					continue
				}
				lots := 1 + rng.IntN(3)
				for li := 0; li < lots; li++ {
					// made between one and eleven months ago, but never so long
					// ago that the lot is within a month of its expiry (food
					// keeps nine months): only the two lots chosen below are
					// expired or close to it, as the README says
					made := today.AddDate(0, -1-rng.IntN(11), -rng.IntN(28))
					if latest := today.AddDate(0, 0, 31-f.shelfLife); made.Before(latest) {
						age := int(today.Sub(made).Hours() / 24)
						made = today.AddDate(0, 0, -(age % (f.shelfLife - 31)))
					}
					expiry := made.AddDate(0, 0, f.shelfLife)
					switch {
					case fi == 0 && ni == 0 && vi == 0 && li == 0:
						expiry = today.AddDate(0, 0, -3)
					case fi == 0 && ni == 0 && vi == 1 && li == 0:
						expiry = today.AddDate(0, 0, 20)
					}
					lot := fmt.Sprintf("%c%s%02d", 'A'+rune(fi), made.Format("0601"), li+1)
					stock = append(stock, StockRow{SKU: code, Lot: lot, Expiry: expiry.Format("2006-01-02"), Location: loc, Qty: int64(6 + rng.IntN(48))})
					if li == 0 && rng.IntN(3) == 0 {
						r := fmt.Sprintf("R%02d-%02d-%02d", 1+reserve/40%2, 1+reserve/4%10, 1+reserve%4)
						reserve++
						stock = append(stock, StockRow{SKU: code, Lot: lot, Expiry: expiry.Format("2006-01-02"), Location: r, Qty: int64(24 * (1 + rng.IntN(4)))})
					}
				}
			}
		}
	}
	return skus, locs, stock
}

// SeedDemo loads the demo warehouse. Its events have fixed IDs, so seeding an
// already seeded store changes nothing.
func (l *Ledger) SeedDemo(ctx context.Context) (seeded bool, err error) {
	packing := []struct {
		id string
		im Import
	}{
		{"demo:boxes", Import{Kind: ImportBoxes, File: "demo", Boxes: DemoBoxes}},
		{"demo:waybills", Import{Kind: ImportWaybills, File: "demo", Waybills: demoWaybills()}},
	}
	for _, p := range packing {
		ev, err := NewEvent(p.id, EvImported, "system", "demo", p.im)
		if err != nil {
			return false, err
		}
		if _, _, err := l.Append(ctx, ev); err != nil {
			return false, fmt.Errorf("demo %s: %w", p.id, err)
		}
	}
	ev, err := NewEvent("demo:station", EvStationUpserted, "system", "demo", Station{ID: "PACK-01", Name: "打包台 1", Printer: "browser",
		Format: "pdf", Label: "100x150", Sender: "Tally 仓 · 浙江省杭州市余杭区仓前街道 88 号 · 0571-88886666"})
	if err != nil {
		return false, err
	}
	if _, _, err := l.Append(ctx, ev); err != nil {
		return false, err
	}
	if _, err := l.EventByID("demo:stock"); err == nil {
		return false, nil
	}
	skus, locs, stock := DemoData(l.now().In(l.zone))
	staff := make([]StaffChange, 0, len(DemoStaff))
	for _, s := range DemoStaff {
		hash, err := HashPIN(s.PIN)
		if err != nil {
			return false, err
		}
		staff = append(staff, StaffChange{Badge: s.Badge, Name: s.Name, Role: s.Role, PINHash: hash})
	}
	for _, im := range []struct {
		id string
		im Import
	}{
		{"demo:skus", Import{Kind: ImportSKUs, File: "demo", SKUs: skus}},
		{"demo:locations", Import{Kind: ImportLocations, File: "demo", Locations: locs}},
		{"demo:staff", Import{Kind: ImportStaff, File: "demo", Staff: staff}},
		{"demo:stock", Import{Kind: ImportStock, File: "demo", Stock: stock}},
	} {
		ev, err := NewEvent(im.id, EvImported, "system", "demo", im.im)
		if err != nil {
			return false, err
		}
		if _, _, err := l.Append(ctx, ev); err != nil {
			return false, fmt.Errorf("demo %s: %w", im.id, err)
		}
	}
	return true, l.seedDemoOwner(ctx)
}

// DemoOwner is the demo's second owner (货主): an infant-formula brand whose
// goods the warehouse keeps as a 3PL. Its item code DemoSharedSKU is also one
// of the default owner's, and its order numbers are the default owner's too
// (with other goods and recipients), so a newcomer sees owners at work.
var DemoOwner = Owner{Code: "BEIBEI", Name: "贝贝乳业（3PL 客户）"}

// DemoSharedSKU is the item code both demo owners use.
const DemoSharedSKU = "SKU00002"

// DemoOwnerData is the brand's catalogue and opening stock (in zone B's
// fourth aisle, which the default owner leaves empty).
func DemoOwnerData(today time.Time) (skus []SKU, stock []StockRow) {
	expiry := today.AddDate(1, 6, 0).Format("2006-01-02")
	made := today.AddDate(0, -2, 0).Format("0601")
	for i, s := range []struct{ code, name string }{
		{DemoSharedSKU, "贝贝乳业 婴儿配方奶粉 3段 800g"},
		{"BB-RICE", "贝贝乳业 高铁米粉 225g"},
	} {
		sku := SKU{Owner: DemoOwner.Code, Code: s.code, Name: s.name, GTINs: []string{demoGTIN("69099", 100+i)}, UnitWeightG: 900 - i*600,
			LengthMM: 130, WidthMM: 130, HeightMM: 180, ShelfLifeDays: 720, LotTracked: true, MinOutboundLifePct: 67, Zone: "B"}
		skus = append(skus, sku)
		stock = append(stock, StockRow{Owner: DemoOwner.Code, SKU: s.code, Lot: "BB" + made, Expiry: expiry, Location: fmt.Sprintf("B04-01-%02d", i+1), Qty: 60})
	}
	return skus, stock
}

func (l *Ledger) seedDemoOwner(ctx context.Context) error {
	if _, err := l.appendData(ctx, "demo:owner", EvOwnerUpserted, "system", "demo", DemoOwner); err != nil {
		return fmt.Errorf("demo owner: %w", err)
	}
	skus, stock := DemoOwnerData(l.now().In(l.zone))
	w := WaybillLoad{Owner: DemoOwner.Code, Account: "SF"}
	for i := range 200 {
		w.Numbers = append(w.Numbers, fmt.Sprintf("SF2%012d", 100000+i))
	}
	for _, im := range []struct {
		id string
		im Import
	}{
		{"demo:owner:skus", Import{Kind: ImportSKUs, File: "demo", SKUs: skus}},
		{"demo:owner:stock", Import{Kind: ImportStock, File: "demo", Stock: stock}},
		{"demo:owner:waybills", Import{Kind: ImportWaybills, File: "demo", Waybills: []WaybillLoad{w}}},
	} {
		if _, err := l.appendData(ctx, im.id, EvImported, "system", "demo", im.im); err != nil {
			return fmt.Errorf("demo %s: %w", im.id, err)
		}
	}
	return nil
}

// DemoBoxes is the demo box catalogue.
var DemoBoxes = []Box{
	{Code: "S1", Name: "小号纸箱", LengthMM: 200, WidthMM: 150, HeightMM: 100, TareG: 80},
	{Code: "M2", Name: "中号纸箱", LengthMM: 300, WidthMM: 220, HeightMM: 160, TareG: 160},
	{Code: "L3", Name: "大号纸箱", LengthMM: 420, WidthMM: 320, HeightMM: 260, TareG: 320},
	{Code: "XL4", Name: "特大纸箱", LengthMM: 520, WidthMM: 420, HeightMM: 360, TareG: 520},
}

// demoWaybills are numbers for the demo carrier accounts (SF, JD, YT).
func demoWaybills() []WaybillLoad {
	var out []WaybillLoad
	for _, acc := range []struct{ name, prefix string }{{"SF", "SF1"}, {"JD", "JDVA"}, {"YT", "YT4"}} {
		w := WaybillLoad{Account: acc.name}
		for i := 0; i < 1000; i++ {
			w.Numbers = append(w.Numbers, fmt.Sprintf("%s%012d", acc.prefix, 100000+i))
		}
		out = append(out, w)
	}
	return out
}
