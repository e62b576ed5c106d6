package printing

import "time"

// Sample labels with realistic data, for `tally print-test` and the tests. They are fixed:
// the same call always returns the same label.

var sampleZone = time.FixedZone("CST", 8*3600)

// SampleWaybill returns a 100 × 150 mm waybill of a single-parcel SF Express shipment.
func SampleWaybill() WaybillLabel {
	return WaybillLabel{
		Size:    WaybillSize100x150,
		Carrier: "顺丰速运 SF Express",
		Waybill: "SF1234567890123",
		Order:   "SO2026112100042",
		Recipient: Party{
			Name:    "王晓明",
			Phone:   "13812345678",
			Address: "浙江省杭州市西湖区文三路 478 号华星时代广场 A 座 1203 室（前台代收）",
		},
		Sender: Party{
			Name:    "Tally 华东仓",
			Phone:   "0573-8288 6600",
			Address: "浙江省嘉兴市南湖区亚太路 1052 号 3 号库",
		},
		WeightKg: 2.35,
		Items:    "SKU00001 飞鹤星飞帆 2段 800g ×2; SKU00017 贝亲宽口径玻璃奶瓶 240ml ×1; SKU00042 好奇铂金装纸尿裤 L 58片 ×3",
		Parcel:   1,
		Parcels:  1,
		QR:       "https://track.example.cn/w/SF1234567890123",
		Printed:  time.Date(2026, 11, 21, 14, 5, 0, 0, sampleZone),
	}
}

// SampleChildWaybill returns the second parcel of a three-parcel shipment, on a 100 × 150 mm
// label, with the master waybill printed under the child's.
func SampleChildWaybill() WaybillLabel {
	l := SampleWaybill()
	l.Waybill = "SF1234567890140"
	l.ParentWaybill = "SF1234567890123"
	l.Parcel, l.Parcels = 2, 3
	l.WeightKg = 4.8
	l.Items = "SKU00042 好奇铂金装纸尿裤 L 58片 ×4"
	l.QR = "https://track.example.cn/w/SF1234567890140"
	return l
}

// SampleSmallWaybillCopy returns a reprint (copy) of a 76 × 130 mm waybill.
func SampleSmallWaybillCopy() WaybillLabel {
	return WaybillLabel{
		Size:    WaybillSize76x130,
		Carrier: "中通快递 ZTO Express",
		Waybill: "78123456789012",
		Order:   "SO2026112100077",
		Recipient: Party{
			Name:    "陈静",
			Phone:   "13955551024",
			Address: "广东省深圳市南山区粤海街道科技南十二路 2 号金蝶软件园 B 栋 5 楼",
		},
		Sender: Party{
			Name:    "Tally 华东仓",
			Phone:   "0573-8288 6600",
			Address: "浙江省嘉兴市南湖区亚太路 1052 号 3 号库",
		},
		WeightKg: 0.62,
		Items:    "SKU00105 金龙鱼长粒香大米 5kg ×1; SKU00233 维达超韧抽纸 3层 120抽 ×6; SKU00311 蓝月亮深层洁净洗衣液 2kg ×1",
		Parcel:   1,
		Parcels:  1,
		QR:       "78123456789012",
		Copy:     true,
		Printed:  time.Date(2026, 11, 21, 16, 40, 0, 0, sampleZone),
	}
}

// SampleSKULabel returns a product label with GTIN, lot and expiry date.
func SampleSKULabel() SKULabel {
	return SKULabel{
		SKU:    "SKU00001",
		Name:   "飞鹤星飞帆 2段 较大婴儿配方奶粉 800g 罐装",
		GTIN:   "6923456789012",
		Lot:    "L20260315A",
		Expiry: time.Date(2027, 3, 15, 0, 0, 0, 0, time.UTC),
	}
}

// SampleLocationLabel returns a pick-face location label.
func SampleLocationLabel() LocationLabel {
	return LocationLabel{Code: "A01-02-03", Zone: "拣货区 A"}
}

// SampleToteLabel returns a tote label.
func SampleToteLabel() ToteLabel { return ToteLabel{Code: "T00042"} }

// SampleBadgeLabel returns a staff badge label.
func SampleBadgeLabel() BadgeLabel {
	return BadgeLabel{Badge: "E0042", Name: "李娜", Role: "打包员 Packer"}
}

// SampleLabels returns one sample of every label template, for a test print.
func SampleLabels() []any {
	return []any{
		SampleWaybill(), SampleChildWaybill(), SampleSmallWaybillCopy(),
		SampleSKULabel(), SampleLocationLabel(), SampleToteLabel(), SampleBadgeLabel(),
	}
}
