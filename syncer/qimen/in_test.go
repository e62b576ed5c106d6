package qimen

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestQuantity(t *testing.T) {
	for in, want := range map[string]int64{"1": 1, "2.0000": 2, " 7 ": 7, "100000": 100000, "5.": 5} {
		if got, err := Quantity(in); err != nil || got != want {
			t.Errorf("Quantity(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "-1", "1.5", "+3", "1e3", "100001", "abc", "9999999999999999999999", ".0"} {
		if got, err := Quantity(in); err == nil {
			t.Errorf("Quantity(%q) = %d, want an error", in, got)
		}
	}
}

func TestDecimalAndYesNo(t *testing.T) {
	if f, err := Decimal("20.5", 100); err != nil || f != 20.5 {
		t.Errorf("Decimal 20.5 = %v %v", f, err)
	}
	for _, in := range []string{"-1", "1e9", "NaN", "Inf", "1,5", "101"} {
		if _, err := Decimal(in, 100); err == nil {
			t.Errorf("Decimal(%q) passed", in)
		}
	}
	if y, err := YesNo("y"); !y || err != nil {
		t.Errorf("YesNo y = %v %v", y, err)
	}
	if _, err := YesNo("maybe"); err == nil {
		t.Error("YesNo maybe passed")
	}
}

func TestContactAddress(t *testing.T) {
	c := Contact{Province: "浙江省", City: "杭州市", Area: "西湖区", DetailAddress: "文三路 1 号"}
	if got := c.Address(); got != "浙江省杭州市西湖区文三路 1 号" {
		t.Errorf("address %q", got)
	}
	c.DetailAddress = "浙江省杭州市西湖区文三路 1 号"
	if got := c.Address(); got != "浙江省杭州市西湖区文三路 1 号" {
		t.Errorf("an address already whole became %q", got)
	}
}

func TestValidateNamesTheElement(t *testing.T) {
	body := []byte(`<request><deliveryOrder><deliveryOrderCode>D 1</deliveryOrderCode></deliveryOrder></request>`)
	var r DeliveryOrderCreateRequest
	if err := Decode(body, &r); err != nil {
		t.Fatal(err)
	}
	err := r.Validate()
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "deliveryOrder.deliveryOrderCode" || !errors.Is(err, ErrInvalid) {
		t.Fatalf("Validate = %v", err)
	}
	r.DeliveryOrder.DeliveryOrderCode = "D1"
	r.DeliveryOrder.ReceiverInfo = Contact{Name: "张三", Mobile: "138", DetailAddress: "某路 1 号"}
	if err := r.Validate(); err == nil || !strings.Contains(err.Error(), "orderLines.orderLine: missing") {
		t.Fatalf("without lines: %v", err)
	}
}

// requestTypes are every request type of in.go, fresh.
func requestTypes() []interface{ Validate() error } {
	return []interface{ Validate() error }{&ItemSyncRequest{}, &ItemsSyncRequest{}, &EntryOrderCreateRequest{},
		&ReturnOrderCreateRequest{}, &DeliveryOrderCreateRequest{}, &DeliveryBatchRequest{}, &OrderCancelRequest{}}
}

// Whatever arrives, decoding and Validate never panic, and what Validate
// passes keeps the limits the syncer relies on.
func FuzzRequestDecode(f *testing.F) {
	for _, s := range []string{
		`<request><deliveryOrder><deliveryOrderCode>D1</deliveryOrderCode><receiverInfo><name>张三</name><mobile>1</mobile><detailAddress>路</detailAddress></receiverInfo></deliveryOrder><orderLines><orderLine><itemCode>A</itemCode><planQty>2</planQty></orderLine></orderLines></request>`,
		`<request><ownerCode>O</ownerCode><items><item><itemCode>A</itemCode><itemName>n</itemName><grossWeight>0.2</grossWeight></item></items></request>`,
		`<request><ownerCode>O</ownerCode><orderCode>D1</orderCode><orderType>JYCK</orderType></request>`,
		`<request><entryOrder><entryOrderCode>E</entryOrderCode><ownerCode>O</ownerCode></entryOrder><orderLines><orderLine><itemCode>A</itemCode><planQty>1.000</planQty></orderLine></orderLines></request>`,
		`<request><returnOrder><returnOrderCode>R</returnOrderCode><preDeliveryOrderCode>D</preDeliveryOrderCode></returnOrder></request>`,
		`<request><orders><order><deliveryOrder><deliveryOrderCode>D</deliveryOrderCode></deliveryOrder></order></orders></request>`,
		`<request><item><itemCode>A B</itemCode></item></request>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if CheckRequest(body) != nil {
			return
		}
		for _, v := range requestTypes() {
			if Decode(body, v) != nil || v.Validate() != nil {
				continue
			}
			var lines []OrderLine
			switch r := v.(type) {
			case *DeliveryOrderCreateRequest:
				lines = r.OrderLines
				checkCode(t, r.DeliveryOrder.DeliveryOrderCode)
				if r.DeliveryOrder.ReceiverInfo.Name == "" || utf8.RuneCountInString(r.DeliveryOrder.ReceiverInfo.Address()) > MaxText {
					t.Fatalf("receiver passed: %+v", r.DeliveryOrder.ReceiverInfo)
				}
			case *EntryOrderCreateRequest:
				lines = r.OrderLines
				checkCode(t, r.EntryOrder.EntryOrderCode)
			case *ReturnOrderCreateRequest:
				lines = r.OrderLines
				checkCode(t, r.ReturnOrder.ReturnOrderCode)
			case *OrderCancelRequest:
				checkCode(t, r.OrderCode)
			case *ItemSyncRequest:
				checkCode(t, r.Item.ItemCode)
			case *ItemsSyncRequest:
				if len(r.Items) == 0 || len(r.Items) > MaxItems {
					t.Fatalf("%d items passed", len(r.Items))
				}
			case *DeliveryBatchRequest:
				if len(r.Orders) == 0 || len(r.Orders) > MaxBatch {
					t.Fatalf("%d orders passed", len(r.Orders))
				}
				for i := range r.Orders {
					_ = r.Orders[i].Validate()
				}
			}
			for _, l := range lines {
				checkCode(t, l.ItemCode)
				if q := l.Qty(); q < 1 || q > MaxPlanQty {
					t.Fatalf("line %+v passed with quantity %d", l, q)
				}
			}
		}
	})
}

func checkCode(t *testing.T, c string) {
	t.Helper()
	if c == "" || utf8.RuneCountInString(c) > MaxCode || strings.ContainsAny(c, " \t\r\n") {
		t.Fatalf("code %q passed", c)
	}
}
