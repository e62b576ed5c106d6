package server

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// The fast decoding of a batch's body takes a body as encoding/json does,
// or leaves it to encoding/json: never another meaning.
func TestBatchBodyFastAsEncodingJSON(t *testing.T) {
	order := `{"owner":"acme","no":"A-1","platform":"TB","shop":"旗舰店","platform_order_ids":["p1","p2"],` +
		`"recipient":{"name":"张三","phone":"138","address":"杭州 西湖"},"lines":[{"sku":"S1","qty":2,"platform_order_id":"p1","platform_sub_order_id":"s1"},{"sku":"S2","qty":-3}],` +
		`"priority":5,"carrier":"SF","ship_by":"2026-11-11T08:00:00+08:00","notes":"<gift> & card"}`
	fast := map[string]string{
		"full":          `{"orders":[` + order + `,{"no":"B","channel":"tmall","recipient":{"name":"a","phone":"b","address":"c"},"lines":[]}]}`,
		"spaced":        " {\n\t\"orders\" : [ " + order + " ] }\r\n",
		"empty":         `{}`,
		"no orders":     `{"orders":[]}`,
		"no twice":      `{"orders":[{"no":"x","no":"y"}]}`,
		"max int":       `{"orders":[{"lines":[{"qty":9223372036854775807}]}]}`,
		"negative prio": `{"orders":[{"priority":-1}]}`,
	}
	slow := map[string]string{
		"orders twice":   `{"orders":[{"no":"x","channel":"c"}],"orders":[{"no":"y"}]}`,
		"recipient x2":   `{"orders":[{"recipient":{"name":"a"},"recipient":{"phone":"b"}}]}`,
		"lines twice":    `{"orders":[{"lines":[{"sku":"a","qty":1}],"lines":[{"sku":"b"}]}]}`,
		"ids twice":      `{"orders":[{"platform_order_ids":["a","b"],"platform_order_ids":["c"]}]}`,
		"escape":         `{"orders":[{"no":"A\u00411"}]}`,
		"escaped quote":  `{"orders":[{"no":"A\"1"}]}`,
		"raw tab":        "{\"orders\":[{\"no\":\"A\t1\"}]}",
		"control":        "{\"orders\":[{\"no\":\"A\x01\"}]}",
		"bad utf8":       "{\"orders\":[{\"no\":\"A\xff\"}]}",
		"upper key":      `{"orders":[{"No":"A1"}]}`,
		"unknown key":    `{"orders":[{"no":"A1","colour":"red"}]}`,
		"unknown top":    `{"orders":[],"x":1}`,
		"null":           `null`,
		"null field":     `{"orders":[{"no":null}]}`,
		"null orders":    `{"orders":null}`,
		"float qty":      `{"orders":[{"lines":[{"qty":1.0}]}]}`,
		"exp qty":        `{"orders":[{"lines":[{"qty":1e2}]}]}`,
		"leading zero":   `{"orders":[{"lines":[{"qty":01}]}]}`,
		"minus zero":     `{"orders":[{"lines":[{"qty":-0}]}]}`,
		"too big":        `{"orders":[{"lines":[{"qty":9223372036854775808}]}]}`,
		"string qty":     `{"orders":[{"lines":[{"qty":"2"}]}]}`,
		"number no":      `{"orders":[{"no":1}]}`,
		"bad time":       `{"orders":[{"ship_by":"tomorrow"}]}`,
		"trailing":       `{"orders":[]} {"orders":[{"no":"x"}]}`,
		"trailing comma": `{"orders":[{"no":"x"},]}`,
		"not object":     `[{"no":"x"}]`,
		"cut":            `{"orders":[{"no":"x"`,
		"nan":            `{"orders":[{"priority":NaN}]}`,
		"orders object":  `{"orders":{"no":"x"}}`,
	}
	for name, body := range fast {
		var got, want ordersBatchIn
		if !decodeBatchFast([]byte(body), &got) {
			t.Errorf("%s: not taken by the fast path", name)
			continue
		}
		dec := json.NewDecoder(strings.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&want); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", name, got, want)
		}
	}
	for name, body := range slow {
		var got ordersBatchIn
		if decodeBatchFast([]byte(body), &got) {
			t.Errorf("%s: taken by the fast path as %+v", name, got)
		}
	}
}
