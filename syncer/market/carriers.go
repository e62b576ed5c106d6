package market

import (
	"slices"
	"strings"
)

// Carriers are Tally's carrier codes (an order's carrier, a waybill's):
// each platform maps them to its own with Platform.Carrier.
var Carriers = []string{
	"SF",    // 顺丰速运
	"JD",    // 京东快递
	"YTO",   // 圆通速递
	"ZTO",   // 中通快递
	"STO",   // 申通快递
	"YUNDA", // 韵达快递
	"EMS",   // 中国邮政 EMS
	"POSTB", // 邮政快递包裹
	"JT",    // 极兔速递 (J&T)
	"DBL",   // 德邦快递
	"HTKY",  // 百世快递
	"ZJS",   // 宅急送
}

// carrierAliases are other spellings orders and waybill files carry.
var carrierAliases = map[string]string{
	"YT": "YTO", "YD": "YUNDA", "J&T": "JT", "JTSD": "JT", "JTEXPRESS": "JT", "DEPPON": "DBL", "DBKD": "DBL",
	"BEST": "HTKY", "SFEXPRESS": "SF", "JDL": "JD", "CHINAPOST": "POSTB", "YZXB": "POSTB",
}

// Canonical is Tally's code for a carrier as an order names it (any case,
// an alias), ok false for one Tally does not know.
func Canonical(code string) (string, bool) {
	c := strings.ToUpper(strings.TrimSpace(code))
	if a, ok := carrierAliases[c]; ok {
		c = a
	}
	return c, slices.Contains(Carriers, c)
}
