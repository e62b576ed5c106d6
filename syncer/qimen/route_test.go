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
