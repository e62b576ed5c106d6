package wms

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func identityLine(sku string, qty int64, order, sub string) OrderLineIn {
	return OrderLineIn{LineIn: LineIn{SKU: sku, Qty: qty}, PlatformOrderID: order, PlatformSubOrderID: sub}
}

func TestOrderIdentityRefusals(t *testing.T) {
	many := make([]string, MaxPlatformOrders+1)
	for i := range many {
		many[i] = fmt.Sprintf("T%d", i)
	}
	long := strings.Repeat("9", 65)
	for _, tc := range []struct {
		name string
		edit func(*OrderIntake)
		key  string
	}{
		{"unknown platform", func(o *OrderIntake) { o.Platform = "EBAY" }, "order.platform_invalid"},
		{"too many platform orders", func(o *OrderIntake) { o.PlatformOrderIDs = many }, "order.too_many_merged"},
		{"platform order ID too long", func(o *OrderIntake) { o.PlatformOrderIDs = []string{long} }, "order.platform_id_invalid"},
		{"platform order ID with a space", func(o *OrderIntake) { o.PlatformOrderIDs = []string{"12 34"} }, "order.platform_id_invalid"},
		{"platform order twice", func(o *OrderIntake) { o.PlatformOrderIDs = []string{"111", " 111"} }, "order.platform_id_twice"},
		{"line names another platform order", func(o *OrderIntake) {
			o.PlatformOrderIDs, o.Lines = []string{"111"}, []OrderLineIn{identityLine("BOOK", 1, "222", "")}
		}, "order.line_order_unknown"},
		{"sub-order ID too long", func(o *OrderIntake) { o.Lines = []OrderLineIn{identityLine("BOOK", 1, "", long)} }, "order.sub_order_invalid"},
		{"sub-order on two lines", func(o *OrderIntake) {
			o.Lines = []OrderLineIn{identityLine("BOOK", 1, "", "S1"), identityLine("MILK", 1, "", "S1")}
		}, "order.sub_order_twice"},
		{"parts that do not add up", func(o *OrderIntake) {
			o.Lines = []OrderLineIn{{LineIn: LineIn{SKU: "BOOK", Qty: 3}, Parts: []LinePart{{PlatformSubOrderID: "S1", Qty: 1}, {PlatformSubOrderID: "S2", Qty: 1}}}}
		}, "order.parts_invalid"},
		{"a single part", func(o *OrderIntake) {
			o.Lines = []OrderLineIn{{LineIn: LineIn{SKU: "BOOK", Qty: 1}, Parts: []LinePart{{PlatformSubOrderID: "S1", Qty: 1}}}}
		}, "order.parts_invalid"},
		{"neither channel nor platform", func(o *OrderIntake) { o.Channel = "" }, "order.channel_invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := order("SO1", LineIn{SKU: "BOOK", Qty: 1})
			tc.edit(&in)
			err := in.Validate()
			if e, ok := AsError(err); !ok || e.Key != tc.key || e.Code != CodeInvalid {
				t.Fatalf("got %v, want %s", err, tc.key)
			}
		})
	}
}

// A merged order (合单) of two Tmall orders: the lines say which platform
// order and sub-order each stands for; the same SKU bought in both stays one
// line to pick with each sub-order's part. An order naming only its platform
// gets the channel the platform implies, so channel rules still apply.
func TestOrderIdentityStored(t *testing.T) {
	l, _ := openTest(t)
	seedSmall(t, l)
	in := order("SO1")
	in.Channel, in.Platform, in.Shop = "", " tm ", "天猫旗舰店"
	in.PlatformOrderIDs = []string{"4012345678901", "4012345678902"}
	in.Lines = []OrderLineIn{
		identityLine("BOOK", 1, "4012345678901", "5012345678901"),
		identityLine("MILK", 2, "4012345678902", "5012345678902"),
		identityLine("BOOK", 2, "4012345678902", "5012345678903"),
	}
	o := mustOrder(t, l, in)
	if o.Channel != "tmall" || o.Platform != "TM" || o.SourcePlatform() != "TM" || o.Shop != "天猫旗舰店" {
		t.Fatalf("channel %q platform %q shop %q", o.Channel, o.Platform, o.Shop)
	}
	if !slices.Equal(o.PlatformOrderIDs, in.PlatformOrderIDs) || len(o.Lines) != 2 {
		t.Fatalf("platform orders %v, lines %+v", o.PlatformOrderIDs, o.Lines)
	}
	book, milk := o.Lines[0], o.Lines[1]
	wantParts := []LinePart{{"4012345678901", "5012345678901", 1}, {"4012345678902", "5012345678903", 2}}
	if book.SKU != "BOOK" || book.Qty != 3 || book.PlatformSubOrderID != "" || !slices.Equal(book.Parts, wantParts) {
		t.Errorf("merged line %+v", book)
	}
	if milk.PlatformOrderID != "4012345678902" || milk.PlatformSubOrderID != "5012345678902" || milk.Parts != nil {
		t.Errorf("plain line %+v", milk)
	}
	// The same order sent again is the same order.
	seq := l.LastSeq()
	if _, dup, err := l.ReceiveOrder(ctx, "", in, "oms", "api"); err != nil || !dup || l.LastSeq() != seq {
		t.Fatalf("resend: dup %v, %v", dup, err)
	}
}

// Orders taken in before platforms were named read the same: their stored
// intake is byte for byte what the previous version wrote (so digests hold),
// and the platform shown is the one their channel implies.
func TestOrderWithoutPlatformReadsAsBefore(t *testing.T) {
	in := order("SO1", LineIn{SKU: "BOOK", Qty: 2})
	in.Channel = "JD"
	if err := in.Validate(); err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	const before = `{"no":"SO1","channel":"jd","recipient":{"name":"王芳","phone":"13800138000","address":"浙江省杭州市西湖区文三路 100 号"},"lines":[{"sku":"BOOK","qty":2}]}`
	if string(raw) != before {
		t.Fatalf("stored intake\n%s\nwant\n%s", raw, before)
	}
	for channel, want := range map[string]string{"tmall": "TM", "jd": "JD", "pinduoduo": "PDD", "douyin": "DY", "own": "OWN", "wholesale": ""} {
		if got := (Order{Channel: channel}).SourcePlatform(); got != want {
			t.Errorf("channel %s shows platform %q, want %q", channel, got, want)
		}
	}
	if got := (Order{Channel: "tmall", Platform: "TB"}).SourcePlatform(); got != "TB" {
		t.Errorf("a named platform wins over the channel: %q", got)
	}
}

func TestOrdersCSVWithPlatformIdentity(t *testing.T) {
	l, _ := openTest(t)
	seedSmall(t, l)
	csv := "no,platform,shop,platform_order_id,platform_sub_order_id,name,phone,address,sku,qty\n" +
		"SO1,JD,京东自营旗舰店,J100,J100-1,李雷,13900000000,北京市海淀区,BOOK,1\n" +
		"SO1,JD,京东自营旗舰店,J200,J200-1,李雷,13900000000,北京市海淀区,MILK,1\n" +
		"SO1,JD,京东自营旗舰店,J200,J200-2,李雷,13900000000,北京市海淀区,BOOK,1\n" +
		"SO2,EBAY,,E1,,李雷,13900000000,北京市海淀区,BOOK,1\n" +
		"SO3,PDD,,P1,P1-1,李雷,13900000000,北京市海淀区,BOOK,1\n" +
		"SO3,PDD,,P1,P1-1,李雷,13900000000,北京市海淀区,MILK,1\n"
	res, err := l.Import(ctx, "o1", ImportOrders, "orders.csv", []byte(csv), "B9001", "web")
	if err == nil || len(res.Errors) != 2 || res.Errors[0].Line != 5 || res.Errors[0].Key != "order.platform_invalid" ||
		res.Errors[1].Line != 7 || res.Errors[1].Key != "order.sub_order_twice" {
		t.Fatalf("bad rows: %v %+v", err, res.Errors)
	}
	good := strings.Join(strings.Split(csv, "\n")[:4], "\n") + "\n"
	if _, err := l.Import(ctx, "o2", ImportOrders, "orders.csv", []byte(good), "B9001", "web"); err != nil {
		t.Fatal(err)
	}
	o, err := l.Order("SO1")
	if err != nil {
		t.Fatal(err)
	}
	if o.Platform != "JD" || o.Channel != "jd" || o.Shop != "京东自营旗舰店" || !slices.Equal(o.PlatformOrderIDs, []string{"J100", "J200"}) {
		t.Fatalf("order %+v", o)
	}
	if len(o.Lines) != 2 || o.Lines[0].Qty != 2 || len(o.Lines[0].Parts) != 2 || o.Lines[0].Parts[1].PlatformSubOrderID != "J200-2" ||
		o.Lines[1].PlatformOrderID != "J200" || o.Lines[1].PlatformSubOrderID != "J200-1" {
		t.Fatalf("lines %+v", o.Lines)
	}
}
