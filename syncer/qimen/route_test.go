package qimen

import (
	"errors"
	"slices"
	"testing"
)

func TestWarehouseCodes(t *testing.T) {
	for _, c := range []struct {
		body string
		want []string
		err  error
	}{
		{`<request><deliveryOrder><deliveryOrderCode>D1</deliveryOrderCode><warehouseCode>WH1</warehouseCode></deliveryOrder></request>`, []string{"WH1"}, nil},
		{`<request><orders><order><deliveryOrder><warehouseCode>A</warehouseCode></deliveryOrder></order><order><deliveryOrder><warehouseCode> B </warehouseCode></deliveryOrder></order><order><deliveryOrder><warehouseCode>A</warehouseCode></deliveryOrder></order></orders></request>`, []string{"A", "B"}, nil},
		{`<request><criteriaList><criteria><warehouseCode>WH9</warehouseCode></criteria></criteriaList></request>`, []string{"WH9"}, nil},
		{`<request><orderCode>T1</orderCode></request>`, nil, ErrNoWarehouse},
		{`<request><warehouseCode></warehouseCode></request>`, nil, ErrNoWarehouse},
		{`<request><warehouseCode>A</request>`, nil, ErrMalformedXML},
	} {
		got, err := WarehouseCodes([]byte(c.body))
		if !errors.Is(err, c.err) || !slices.Equal(got, c.want) {
			t.Errorf("%s: got %v, %v; want %v, %v", c.body, got, err, c.want, c.err)
		}
	}
}

func TestOutBizCode(t *testing.T) {
	long := "qimen:erp-hangzhou:deliveryorder:TB2026010112345678901234"
	for _, c := range []struct {
		id          string
		part, parts int
		want        string
	}{
		{"ev-1", 1, 1, "ev-1"},
		{"ev-1", 2, 3, "ev-1-2"},
		{long, 1, 1, "tally-"},
	} {
		got := OutBizCode(c.id, c.part, c.parts)
		if got != c.want && !(c.want == "tally-" && len(got) == 38 && got[:6] == "tally-") || len(got) > MaxOutBizCode {
			t.Errorf("OutBizCode(%q, %d, %d) = %q", c.id, c.part, c.parts, got)
		}
	}
	first, again := OutBizCode(long, 1, 1), OutBizCode(long, 1, 1)
	if OutBizCode(long, 1, 2) == OutBizCode(long, 2, 2) || first != again {
		t.Error("long codes are not distinct and stable")
	}
}
