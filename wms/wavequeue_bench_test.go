package wms

import (
	"fmt"
	"testing"
)

// BenchmarkOrderIntakeOne is what taking in one order costs on its own (one
// ReceiveOrder a commit, as POST /api/v1/orders does): CPU and pages
// written, with a backlog of 5,000 new orders already in, so the wave
// queue's and the state index's trees have depth. -v logs the buckets each
// commit dirtied.
//
//	go test ./wms -run XXX -bench OrderIntakeOne -benchtime 2000x -v
func BenchmarkOrderIntakeOne(b *testing.B) {
	const skus, backlog = 40, 5000
	l, _ := openTest(b)
	for i := range skus {
		code := fmt.Sprintf("B%03d", i)
		mustAppend(b, l, "sku"+code, EvSKUUpserted, SKU{Code: code, Name: "书 " + code, GTINs: []string{demoGTIN("690000", i)}, UnitWeightG: 300})
	}
	in := func(n int) OrderIntake {
		o := order(fmt.Sprintf("SO%07d", n), LineIn{fmt.Sprintf("B%03d", n%skus), 1}, LineIn{fmt.Sprintf("B%03d", (n+7)%skus), 2})
		o.Priority = n % 3
		return o
	}
	for start := 0; start < backlog; start += MaxBatchOrders {
		batch := make([]OrderIntake, 0, MaxBatchOrders)
		for n := start; n < start+MaxBatchOrders; n++ {
			batch = append(batch, in(n))
		}
		if _, err := l.ReceiveOrders(ctx, "", batch, "oms", "api"); err != nil {
			b.Fatal(err)
		}
	}
	c := &pageCounter{l: l, touched: map[string]int{}, depth: map[string]int{}, withRts: true}
	var cpu int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.start(b)
		cpu0 := cpuTime()
		if _, _, err := l.ReceiveOrder(ctx, "", in(backlog+i), "oms", "api"); err != nil {
			b.Fatal(err)
		}
		cpu += int64(cpuTime() - cpu0)
		c.stop(b)
	}
	b.StopTimer()
	b.ReportMetric(float64(cpu)/1e3/float64(b.N), "cpu-µs/op")
	c.report(b)
}
