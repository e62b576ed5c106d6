package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	bolt "go.etcd.io/bbolt"

	"tally/wms"
)

// Order intake by the batch API over loopback HTTP against its ceiling in
// the same run: the same bodies POSTed over loopback to a Fiber handler
// that stores each body in one raw bbolt transaction.
//
//	go test ./server -run XXX -bench OrdersBatch -benchtime 1x
//
// One op is 20 requests of 1,000 orders (one to three lines each), sent by
// 2 clients at once as an OMS catching up would; orders/s counts orders
// acknowledged.

const benchBatches, benchBatchSize, benchSenders = 20, 1000, 2

func benchBatchBodies(b *testing.B, skus []string) [][]byte {
	out := make([][]byte, benchBatches)
	for r := range out {
		var in struct {
			Orders []orderIn `json:"orders"`
		}
		for i := range benchBatchSize {
			n := r*benchBatchSize + i
			o := orderIn{No: fmt.Sprintf("SO-BB%07d", n), Platform: "TM", Shop: "天猫旗舰店", Carrier: "SF", Priority: n % 3,
				Recipient: recipientJSON{Name: "王芳", Phone: fmt.Sprintf("138%08d", n), Address: fmt.Sprintf("浙江省杭州市西湖区文三路 %d 号", n%900+1)}}
			for j := range 1 + n%3 {
				o.Lines = append(o.Lines, orderLineIn{SKU: skus[(n*7+j*31)%len(skus)], Qty: int64(1 + j)})
			}
			in.Orders = append(in.Orders, o)
		}
		raw, err := json.Marshal(in)
		if err != nil {
			b.Fatal(err)
		}
		out[r] = raw
	}
	return out
}

// postAll sends the bodies over loopback from benchSenders clients at
// once and fails on any answer but 200.
func postAll(b *testing.B, url, token string, bodies [][]byte, check func([]byte) error) {
	client := &http.Client{Timeout: 2 * time.Minute}
	next := make(chan int, len(bodies))
	for i := range bodies {
		next <- i
	}
	close(next)
	errs := make(chan error, benchSenders)
	for range benchSenders {
		go func() {
			for i := range next {
				req, _ := http.NewRequest("POST", url, bytes.NewReader(bodies[i]))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Idempotency-Key", fmt.Sprintf("bench-%d", i))
				resp, err := client.Do(req)
				if err != nil {
					errs <- err
					return
				}
				raw, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					errs <- fmt.Errorf("batch %d: %d %.300s", i, resp.StatusCode, raw)
					return
				}
				if check != nil {
					if err := check(raw); err != nil {
						errs <- fmt.Errorf("batch %d: %w", i, err)
						return
					}
				}
			}
			errs <- nil
		}()
	}
	for range benchSenders {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
}

// cpuTime is the process's CPU time so far (all threads, client and
// server alike): steadier than wall time on a shared machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func listen(b *testing.B, serve func(net.Listener) error) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = serve(ln) }()
	return "http://" + ln.Addr().String()
}

func BenchmarkOrdersBatch(b *testing.B) {
	var ledgerRate float64
	b.Run("tally", func(b *testing.B) {
		var took, cpu time.Duration
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			s, l := testServer(b)
			token, err := l.CreateToken(context.Background(), "oms", wms.RoleAdmin, "bench")
			if err != nil {
				b.Fatal(err)
			}
			all, err := l.SKUs()
			if err != nil {
				b.Fatal(err)
			}
			var skus []string
			for _, k := range all {
				if k.Owner == "" || k.Owner == wms.DefaultOwner {
					skus = append(skus, k.Code)
				}
			}
			bodies := benchBatchBodies(b, skus)
			url := listen(b, s.Serve) + "/api/v1/orders:batch"
			b.Cleanup(func() { _ = s.App().Shutdown() })
			b.StartTimer()
			t0, c0 := time.Now(), cpuTime()
			postAll(b, url, token, bodies, func(raw []byte) error {
				var out ordersBatchOut
				if err := json.Unmarshal(raw, &out); err != nil || out.Created != benchBatchSize {
					return fmt.Errorf("created %d of %d: %v %.300s", out.Created, benchBatchSize, err, raw)
				}
				return nil
			})
			took += time.Since(t0)
			cpu += cpuTime() - c0
		}
		b.ReportMetric(float64(cpu.Microseconds())/float64(b.N*benchBatches*benchBatchSize), "cpu-µs/order")
		ledgerRate = float64(b.N*benchBatches*benchBatchSize) / took.Seconds()
		b.ReportMetric(ledgerRate, "orders/s")
	})
	b.Run("raw-bbolt", func(b *testing.B) {
		var took, cpu time.Duration
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			db, err := bolt.Open(filepath.Join(b.TempDir(), "raw.db"), 0o600, &bolt.Options{InitialMmapSize: 256 << 20})
			if err != nil {
				b.Fatal(err)
			}
			if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("bodies")); return err }); err != nil {
				b.Fatal(err)
			}
			app := fiber.New(fiber.Config{BodyLimit: maxBatchBytes, DisableStartupMessage: true})
			app.Post("/api/v1/orders\\:batch", func(c *fiber.Ctx) error {
				if !strings.HasPrefix(c.Get("Authorization"), "Bearer ") {
					return c.SendStatus(401)
				}
				body := append([]byte{}, c.Body()...)
				if err := db.Batch(func(tx *bolt.Tx) error {
					bk := tx.Bucket([]byte("bodies"))
					seq, _ := bk.NextSequence()
					return bk.Put([]byte(fmt.Sprint(seq)), body)
				}); err != nil {
					return err
				}
				return c.SendStatus(200)
			})
			url := listen(b, app.Listener) + "/api/v1/orders:batch"
			bodies := benchBatchBodies(b, []string{"SKU00001", "SKU00002", "SKU00003"})
			b.StartTimer()
			t0, c0 := time.Now(), cpuTime()
			postAll(b, url, "raw", bodies, nil)
			took += time.Since(t0)
			cpu += cpuTime() - c0
			b.StopTimer()
			_ = app.Shutdown()
			db.Close()
			b.StartTimer()
		}
		b.ReportMetric(float64(cpu.Microseconds())/float64(b.N*benchBatches*benchBatchSize), "cpu-µs/order")
		raw := float64(b.N*benchBatches*benchBatchSize) / took.Seconds()
		b.ReportMetric(raw, "orders/s")
		if ledgerRate > 0 {
			b.ReportMetric(ledgerRate/raw, "tally/raw")
		}
	})
}
