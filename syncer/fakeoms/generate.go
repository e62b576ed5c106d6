package fakeoms

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	bolt "go.etcd.io/bbolt"

	"tally/wms"
)

// MaxGenerated is the most demo orders GenerateDemo makes.
const MaxGenerated = 2000

// maxWaybillsPerChange is docs/sync.md's limit of one waybills change.
const maxWaybillsPerChange = 10_000

// Waybill numbers of the generated ranges start here, far above the demo warehouse's own
// (100000 to 100999), so loading them never meets a number the warehouse has.
const generatedWaybillBase = 700_000

// demoAccount is a carrier account the demo warehouse uses, and how its numbers look.
type demoAccount struct {
	owner, account, prefix string
}

// demoAccounts are the accounts of wms/demo.go: SF, JD and YT for the default owner, SF for
// the brand.
var demoAccounts = []demoAccount{
	{wms.DefaultOwner, "SF", "SF1"}, {wms.DefaultOwner, "JD", "JDVA"}, {wms.DefaultOwner, "YT", "YT4"},
	{wms.DemoOwner.Code, "SF", "SF2"},
}

// GenerateDemo makes n orders for the demo catalogue (wms.DemoData, wms.DemoOwnerData) as
// of today, the same for the same n and day: about one in five the brand's (BEIBEI), the rest
// the default owner's; from TB, TM, JD, PDD and DY, with platform order and sub-order IDs
// (some merged, 合单), recipients, one to three lines of SKUs whose pick-face stock may leave,
// in quantities the demo's stock can fill after its own orders. Before them come the waybill
// numbers each carrier account needs: two per order plus 50. Order numbers are OMS0000001 on.
func GenerateDemo(n int, today time.Time) ([]Change, error) {
	if n < 1 || n > MaxGenerated {
		return nil, fmt.Errorf("fakeoms: orders must be 1 to %d", MaxGenerated)
	}
	budget := map[[2]string]int64{} // owner, sku → units left to promise
	var codes []string
	skus, _, stock := wms.DemoData(today)
	bySKU := map[string]wms.SKU{}
	for _, s := range skus {
		bySKU[s.Code] = s
	}
	day := today.Format("2006-01-02")
	for _, r := range stock {
		s := bySKU[r.SKU]
		ok, _ := wms.Shippable(s, wms.Lot{Expiry: r.Expiry, Status: wms.LotAvailable}, s.MinOutboundLifePct, day)
		if !ok || r.Location[0] == 'R' {
			continue
		}
		k := [2]string{wms.DefaultOwner, r.SKU}
		if _, seen := budget[k]; !seen {
			codes = append(codes, r.SKU)
		}
		budget[k] += r.Qty
	}
	ownSKUs, ownStock := wms.DemoOwnerData(today)
	var brandCodes []string
	for _, r := range ownStock {
		budget[[2]string{wms.DemoOwner.Code, r.SKU}] += r.Qty
	}
	for _, s := range ownSKUs {
		brandCodes = append(brandCodes, s.Code)
	}
	for _, o := range wms.DemoOrders(today) { // the demo warehouse's own orders come first
		for _, l := range o.Lines {
			budget[[2]string{wms.OwnerOr(o.Owner), l.SKU}] -= l.Qty
		}
	}

	rng := rand.New(rand.NewPCG(2026, uint64(n)))
	platforms := []string{"TB", "TM", "JD", "PDD", "DY"}
	shops := map[string]string{"TB": "淘宝企业店", "TM": "天猫旗舰店", "JD": "京东旗舰店", "PDD": "拼多多官方店", "DY": "抖音小店"}
	surnames := []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
	given := []string{"伟", "芳", "娜", "敏", "静", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "秀英", "晓红", "建华", "玉兰"}
	places := []string{"浙江省杭州市西湖区文三路", "上海市浦东新区张江路", "广东省深圳市南山区科技南路", "北京市朝阳区望京街",
		"四川省成都市武侯区天府大道", "江苏省南京市鼓楼区中山路", "湖北省武汉市洪山区珞喻路", "福建省厦门市思明区湖滨南路",
		"山东省青岛市市南区香港中路", "陕西省西安市雁塔区高新路"}
	carriers := []string{"SF", "JD", "YT"}
	parcels := map[[2]string]int{}

	var orders []Change
	for i := range n {
		owner, pool := wms.DefaultOwner, codes
		if rng.IntN(5) == 0 {
			owner, pool = wms.DemoOwner.Code, brandCodes
		}
		lines := pickLines(rng, owner, pool, budget)
		if len(lines) == 0 && owner != wms.DefaultOwner { // the brand's stock is spoken for
			owner, pool = wms.DefaultOwner, codes
			lines = pickLines(rng, owner, pool, budget)
		}
		if len(lines) == 0 {
			return nil, fmt.Errorf("fakeoms: the demo's stock fills only %d orders, not %d", i, n)
		}
		platform := platforms[rng.IntN(len(platforms))]
		carrier := "SF"
		if owner == wms.DefaultOwner {
			carrier = carriers[rng.IntN(len(carriers))]
			if platform == "JD" {
				carrier = "JD"
			}
		}
		parcels[[2]string{owner, carrier}]++
		merged := 1
		if len(lines) > 1 && rng.IntN(8) == 0 {
			merged = 2 // 合单: two platform orders shipped as one
		}
		var ids []string
		for range merged {
			ids = append(ids, platformOrderID(rng, platform, today))
		}
		for j := range lines {
			po := ids[j%len(ids)]
			lines[j].PlatformOrderID = po
			lines[j].PlatformSubOrderID = fmt.Sprintf("%s-%d", po, j+1)
		}
		shop := shops[platform]
		if owner != wms.DefaultOwner {
			shop = "贝贝乳业" + shop
		}
		o := wms.OrderIntake{
			No: fmt.Sprintf("OMS%07d", i+1), Platform: platform, Shop: shop, PlatformOrderIDs: ids,
			Recipient: wms.Recipient{
				Name:    string(surnames[rng.IntN(len(surnames))]) + given[rng.IntN(len(given))],
				Phone:   fmt.Sprintf("1%d%09d", 3+rng.IntN(6), rng.IntN(1_000_000_000)),
				Address: fmt.Sprintf("%s %d 号", places[rng.IntN(len(places))], 1+rng.IntN(999)),
			},
			Lines: lines, Carrier: carrier,
		}
		if rng.IntN(4) == 0 {
			due := today.Add(24 * time.Hour).UTC().Truncate(time.Hour)
			o.ShipBy, o.Priority = &due, 1
		}
		data, err := json.Marshal(o)
		if err != nil {
			return nil, err
		}
		orders = append(orders, Change{ID: "OMS-ORD-" + o.No, Type: ChangeOrder, Owner: owner, Data: data})
	}

	var out []Change
	for _, a := range demoAccounts {
		need := 2*parcels[[2]string{a.owner, a.account}] + 50
		for start, part := 0, 1; start < need; start, part = start+maxWaybillsPerChange, part+1 {
			w := struct {
				Account string   `json:"account"`
				Numbers []string `json:"numbers"`
			}{Account: a.account}
			for k := start; k < need && k < start+maxWaybillsPerChange; k++ {
				w.Numbers = append(w.Numbers, fmt.Sprintf("%s%012d", a.prefix, generatedWaybillBase+k))
			}
			data, err := json.Marshal(w)
			if err != nil {
				return nil, err
			}
			out = append(out, Change{ID: fmt.Sprintf("OMS-WB-%s-%s-%d", a.owner, a.account, part), Type: ChangeWaybills, Owner: a.owner, Data: data})
		}
	}
	return append(out, orders...), nil
}

// pickLines chooses one to three lines the budget can fill and takes them from it.
func pickLines(rng *rand.Rand, owner string, pool []string, budget map[[2]string]int64) []wms.OrderLineIn {
	want := 1 + rng.IntN(3)
	var lines []wms.OrderLineIn
	for _, k := range rng.Perm(len(pool)) {
		if len(lines) == want {
			break
		}
		qty := int64(1 + rng.IntN(2))
		key := [2]string{owner, pool[k]}
		if budget[key] < qty {
			continue
		}
		budget[key] -= qty
		lines = append(lines, wms.OrderLineIn{LineIn: wms.LineIn{SKU: pool[k], Qty: qty}})
	}
	return lines
}

// platformOrderID makes an order ID in the platform's usual form.
func platformOrderID(rng *rand.Rand, platform string, today time.Time) string {
	switch platform {
	case "TB", "TM": // 19 digits
		return fmt.Sprintf("%d%018d", 1+rng.IntN(4), rng.Int64N(1e18))
	case "JD": // 12 digits
		return fmt.Sprintf("%d%011d", 2+rng.IntN(7), rng.Int64N(1e11))
	case "PDD": // date, a dash and 15 digits
		return fmt.Sprintf("%s-%015d", today.Format("060102"), rng.Int64N(1e15))
	default: // DY: 19 digits starting with 6
		return fmt.Sprintf("6%018d", rng.Int64N(1e18))
	}
}

// seed fills the log with GenerateDemo(n) when it holds no order yet.
func (o *OMS) seed(n int) error {
	var have uint64
	if err := o.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketMeta).Get(keyOrderCount); len(v) == 8 {
			have = binary.BigEndian.Uint64(v)
		}
		return nil
	}); err != nil {
		return err
	}
	if have > 0 {
		return nil
	}
	changes, err := GenerateDemo(n, o.now())
	if err != nil {
		return err
	}
	now := o.now().UTC()
	return o.db.Update(func(tx *bolt.Tx) error {
		for i := range changes {
			c := changes[i]
			if err := appendChange(tx, &c, now); err != nil {
				return fmt.Errorf("fakeoms: generating orders: %w", err)
			}
		}
		return nil
	})
}
