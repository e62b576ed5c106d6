package wms

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"
)

// DemoOrders are the orders a fresh demo warehouse starts with, so that a
// newcomer can release a wave and pick at once: one to three lines each,
// from the five channels, for the demo's carriers, only of SKUs whose stock
// on the pick faces may leave (undated, or enough shelf life left for the
// SKU's outbound rule).
func DemoOrders(today time.Time) []OrderIntake {
	skus, _, stock := DemoData(today)
	bySKU := map[string]SKU{}
	for _, s := range skus {
		bySKU[s.Code] = s
	}
	var codes []string
	seen := map[string]bool{}
	for _, r := range stock {
		s := bySKU[r.SKU]
		if ok, _ := Shippable(s, Lot{Expiry: r.Expiry, Status: LotAvailable}, s.MinOutboundLifePct, today.Format("2006-01-02")); seen[r.SKU] || r.Location[0] == 'R' || r.Qty < 6 || !ok {
			continue
		}
		seen[r.SKU] = true
		codes = append(codes, r.SKU)
	}
	rng := rand.New(rand.NewPCG(11, 11))
	names := []string{"王芳", "李强", "张敏", "刘洋", "陈静", "杨帆", "赵磊", "黄丽", "周杰", "吴婷", "徐明", "孙悦"}
	addrs := []string{"浙江省杭州市西湖区文三路 100 号", "上海市浦东新区张江路 88 弄 6 号 1203 室", "广东省深圳市南山区科技园南区 5 栋",
		"北京市朝阳区望京街 9 号院 2 号楼", "四川省成都市武侯区天府大道中段 666 号", "江苏省南京市鼓楼区中山路 18 号"}
	shops := map[string]string{"tmall": "天猫旗舰店", "jd": "京东自营旗舰店", "pinduoduo": "拼多多官方店", "douyin": "抖音小店", "own": "官网商城"}
	carriers := []string{"SF", "JD", "YT"}
	local := today
	var out []OrderIntake
	for i := range 24 {
		ch := Channels[i%len(Channels)]
		o := OrderIntake{
			No: fmt.Sprintf("SO%06d", 900001+i), Channel: ch, Shop: shops[ch],
			Recipient: Recipient{Name: names[i%len(names)], Phone: fmt.Sprintf("138%08d", 10000000+i*7919), Address: addrs[i%len(addrs)]},
			Carrier:   carriers[i%len(carriers)],
		}
		if i%4 == 0 { // promised today: these go first
			due := time.Date(local.Year(), local.Month(), local.Day(), 18, 0, 0, 0, local.Location())
			o.ShipBy, o.Priority = &due, 1
		}
		for _, k := range rng.Perm(len(codes))[:1+rng.IntN(3)] {
			o.Lines = append(o.Lines, OrderLineIn{LineIn: LineIn{SKU: codes[k], Qty: int64(1 + rng.IntN(2))}})
		}
		out = append(out, o)
	}
	// the brand's orders reuse the default owner's first numbers
	ownSKUs, _ := DemoOwnerData(today)
	for i, r := range []Recipient{
		{Name: "林晓", Phone: "13712345678", Address: "福建省厦门市思明区湖滨南路 58 号"},
		{Name: "郑雨", Phone: "13698765432", Address: "湖北省武汉市洪山区珞喻路 1037 号"},
	} {
		out = append(out, OrderIntake{Owner: DemoOwner.Code, No: fmt.Sprintf("SO%06d", 900001+i), Channel: "tmall", Shop: "贝贝乳业天猫旗舰店",
			Recipient: r, Carrier: "SF", Lines: OrderLines(LineIn{SKU: ownSKUs[i%len(ownSKUs)].Code, Qty: int64(1 + i)})})
	}
	return out
}

// SeedDemoOrders takes the demo orders in (each once: intake is idempotent on
// the order number). It returns how many were new.
func (l *Ledger) SeedDemoOrders(ctx context.Context) (int, error) {
	n := 0
	for _, o := range DemoOrders(l.now().In(l.zone)) {
		_, dup, err := l.ReceiveOrder(ctx, "", o, "system", "demo")
		if err != nil {
			return n, fmt.Errorf("demo order %s: %w", o.No, err)
		}
		if !dup {
			n++
		}
	}
	return n, nil
}
