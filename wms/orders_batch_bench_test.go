package wms

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Order intake against raw bbolt in the same run: the ceiling is raw bbolt
// storing the same orders' bytes (each order's JSON under its own key) in
// as many transactions as the ledger commits.
//
//	go test ./wms -run XXX -bench ImportOrders -benchtime 1x
//
// csv: `tally import --kind orders` of a file of 100,000 orders (one to
// three lines each) as one import; batch: the same orders through
// ReceiveOrders, 1,000 a call.

const benchIntakeOrders = 100_000

// intakeBench is a ledger with a catalogue of 200 SKUs and the orders to
// take in, as a CSV file and as intakes.
func intakeBench(b *testing.B) (*Ledger, []byte, []OrderIntake) {
	l, _ := openTest(b)
	var skus strings.Builder
	skus.WriteString("code,name,gtins,unit_weight_g\n")
	for i := range 200 {
		fmt.Fprintf(&skus, "SKU%05d,商品 %d,%s,300\n", i, i, demoGTIN("690100", i))
	}
	if _, err := l.Import(ctx, "bench-skus", ImportSKUs, "skus.csv", []byte(skus.String()), "B9001", "bench"); err != nil {
		b.Fatal(err)
	}
	ins := benchIntakes(benchIntakeOrders)
	var csv strings.Builder
	csv.WriteString("no,channel,name,phone,address,sku,qty,priority,carrier\n")
	for _, in := range ins {
		for _, line := range in.Lines {
			fmt.Fprintf(&csv, "%s,%s,%s,%s,%s,%s,%d,%d,%s\n", in.No, in.Channel, in.Recipient.Name, in.Recipient.Phone, in.Recipient.Address, line.SKU, line.Qty, in.Priority, in.Carrier)
		}
	}
	return l, []byte(csv.String()), ins
}

func benchIntakes(n int) []OrderIntake {
	names := []string{"王芳", "李雷", "韩梅梅", "张伟", "刘洋"}
	out := make([]OrderIntake, n)
	for i := range out {
		in := OrderIntake{No: fmt.Sprintf("SO%08d", i), Channel: Channels[i%4], Carrier: "SF", Priority: i % 3,
			Recipient: Recipient{Name: names[i%len(names)], Phone: fmt.Sprintf("138%08d", i), Address: fmt.Sprintf("浙江省杭州市西湖区文三路 %d 号", i%900+1)}}
		for j := range 1 + i%3 {
			in.Lines = append(in.Lines, OrderLineIn{LineIn: LineIn{SKU: fmt.Sprintf("SKU%05d", (i*7+j*31)%200), Qty: int64(1 + j)}})
		}
		out[i] = in
	}
	return out
}

func BenchmarkImportOrders(b *testing.B) {
	var ledgerRate [2]float64
	for k, mode := range []string{"csv", "batch"} {
		b.Run("ledger/"+mode, func(b *testing.B) {
			var took float64
			var cpu time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				l, csv, ins := intakeBench(b)
				b.StartTimer()
				t0, c0 := b.Elapsed(), cpuTime()
				_, st0 := l.DBStats()
				if mode == "csv" {
					res, err := l.Import(ctx, fmt.Sprint("bench-orders-", i), ImportOrders, "orders.csv", csv, "B9001", "bench")
					if err != nil || res.Rows != len(ins) {
						b.Fatalf("import: %+v %v", res, err)
					}
				} else {
					for j := 0; j < len(ins); j += MaxBatchOrders {
						res, err := l.ReceiveOrders(ctx, fmt.Sprint("orders:bench-", j), ins[j:min(j+MaxBatchOrders, len(ins))], "oms", "bench")
						if err != nil || res.Refused > 0 {
							b.Fatalf("batch %d: %+v %v", j, res.Orders[0], err)
						}
					}
				}
				took += (b.Elapsed() - t0).Seconds()
				cpu += cpuTime() - c0
				b.StopTimer()
				_, st1 := l.DBStats()
				d := st1.TxStats.Sub(&st0.TxStats)
				b.ReportMetric(float64(d.GetWrite())/float64(benchIntakeOrders), "page-writes/order")
				b.ReportMetric(d.GetWriteTime().Seconds(), "write-s")
				b.ReportMetric(d.GetSpillTime().Seconds(), "spill-s")
				if n, err := l.OrdersIn(OrderNew, "", benchIntakeOrders+1); err != nil || len(n) != benchIntakeOrders {
					b.Fatalf("%d orders stored: %v", len(n), err)
				}
				b.StartTimer()
			}
			ledgerRate[k] = float64(b.N*benchIntakeOrders) / took
			b.ReportMetric(ledgerRate[k], "orders/s")
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N*benchIntakeOrders), "cpu-µs/order")
		})
		b.Run("raw-bbolt/"+mode, func(b *testing.B) {
			ins := benchIntakes(benchIntakeOrders)
			per := benchIntakeOrders // one transaction for the file
			if mode == "batch" {
				per = MaxBatchOrders // one for each batch
			}
			var took float64
			var cpu time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				db, err := bolt.Open(filepath.Join(b.TempDir(), "raw.db"), 0o600, &bolt.Options{InitialMmapSize: 256 << 20})
				if err != nil {
					b.Fatal(err)
				}
				if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("orders")); return err }); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				t0, c0 := b.Elapsed(), cpuTime()
				for j := 0; j < len(ins); j += per {
					if err := db.Batch(func(tx *bolt.Tx) error {
						bk := tx.Bucket([]byte("orders"))
						for _, in := range ins[j:min(j+per, len(ins))] {
							raw, err := json.Marshal(in)
							if err != nil {
								return err
							}
							if err := bk.Put([]byte(in.No), raw); err != nil {
								return err
							}
						}
						return nil
					}); err != nil {
						b.Fatal(err)
					}
				}
				took += (b.Elapsed() - t0).Seconds()
				cpu += cpuTime() - c0
				b.StopTimer()
				db.Close()
				b.StartTimer()
			}
			raw := float64(b.N*benchIntakeOrders) / took
			b.ReportMetric(raw, "orders/s")
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N*benchIntakeOrders), "cpu-µs/order")
			if ledgerRate[k] > 0 {
				b.ReportMetric(ledgerRate[k]/raw, "ledger/raw")
			}
		})
	}
}
