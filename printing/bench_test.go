package printing

import (
	"bytes"
	"fmt"
	"io"
	"syscall"
	"testing"
	"time"
)

var (
	waveSurnames = []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周"}
	waveGiven    = []string{"晓明", "娜", "伟", "静", "磊", "芳", "强", "敏", "洋", "婷", "建国", "海燕"}
	waveCities   = []string{"浙江省杭州市西湖区文三路", "广东省深圳市南山区科技南十二路", "北京市朝阳区建国路",
		"上海市浦东新区张江路", "四川省成都市高新区天府大道", "湖北省武汉市洪山区珞喻路"}
	waveItems = []string{"SKU00001 飞鹤星飞帆 2段 800g", "SKU00017 贝亲宽口径玻璃奶瓶 240ml", "SKU00042 好奇铂金装纸尿裤 L 58片",
		"SKU00105 金龙鱼长粒香大米 5kg", "SKU00233 维达超韧抽纸 3层 120抽", "SKU00311 蓝月亮深层洁净洗衣液 2kg"}
)

// waveLabels returns n different waybills, as a picking wave prints them, with the waybill
// number as QR content (as the packing kiosk prints them).
func waveLabels(n int) []any { return waveLabelsQR(n, false) }

// waveLabelsQR is waveLabels with, when url is true, a tracking URL as QR content instead.
func waveLabelsQR(n int, url bool) []any {
	base := SampleWaybill()
	out := make([]any, n)
	for i := range n {
		l := base
		l.Waybill = fmt.Sprintf("SF14%011d", 2026112100000+i)
		l.Order = fmt.Sprintf("SO20261121%05d", i)
		l.QR = l.Waybill
		if url {
			l.QR = "https://track.example.cn/w/" + l.Waybill
		}
		l.Recipient = Party{
			Name:    waveSurnames[i%len(waveSurnames)] + waveGiven[i%len(waveGiven)],
			Phone:   fmt.Sprintf("13%d****%04d", i%10, i%10000),
			Address: fmt.Sprintf("%s %d 号 %d 栋 %d 室", waveCities[i%len(waveCities)], 1+i%999, 1+i%30, 101+i%1500),
		}
		l.WeightKg = 0.3 + float64(i%50)/10
		items := ""
		for j := 0; j <= i%4; j++ {
			if j > 0 {
				items += "; "
			}
			items += fmt.Sprintf("%s ×%d", waveItems[(i+j)%len(waveItems)], 1+(i+j)%3)
		}
		l.Items = items
		out[i] = l
	}
	return out
}

func BenchmarkWaybillPDF(b *testing.B) {
	font := testFont(b)
	labels := []any{SampleWaybill()}
	for b.Loop() {
		if err := LabelPDF(io.Discard, labels, font); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWaybillZPL(b *testing.B) {
	labels := []any{SampleWaybill()}
	for b.Loop() {
		if err := LabelZPL(io.Discard, labels); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWaybillSVG is the label the kiosk browser prints (the print page's
// image); compare it with BenchmarkWaybillPDF in the same run.
func BenchmarkWaybillSVG(b *testing.B) {
	label := SampleWaybill()
	var size int
	for b.Loop() {
		var buf bytes.Buffer
		if err := LabelSVG(&buf, label); err != nil {
			b.Fatal(err)
		}
		size = buf.Len()
	}
	b.ReportMetric(float64(size)/1024, "KB/label")
}

// BenchmarkWaybillWave renders a wave of 10,000 different waybills into one PDF per
// operation; s/10k is the time for the whole wave. The QR codes hold the waybill numbers, as
// the kiosk prints them.
func BenchmarkWaybillWave(b *testing.B) { benchWave(b, waveLabels(10000)) }

// BenchmarkWaybillWaveURL is BenchmarkWaybillWave with tracking URLs of 43 bytes in the QR
// codes: version 4 instead of 1, and encoding them is most of the work.
func BenchmarkWaybillWaveURL(b *testing.B) { benchWave(b, waveLabelsQR(10000, true)) }

func benchWave(b *testing.B, labels []any) {
	font := testFont(b)
	n := 0
	cpu0 := cpuTime()
	for b.Loop() {
		if err := LabelPDF(io.Discard, labels, font); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(n), "s/10k")
	// CPU time of the whole process (all cores, garbage collection included): a steadier
	// figure than the wall time on a shared machine.
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(n), "cpu-s/10k")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
