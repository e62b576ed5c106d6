package syncer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"tally/syncer"
	"tally/syncer/fakeoms"
	"tally/wms"
)

// BenchmarkDrain measures how long a backlog of stock changes takes to
// reach the fake OMS over loopback, next to the ceiling of the same run:
// the same batches POSTed over loopback HTTP to a handler that only stores
// each body in a raw bbolt transaction and acknowledges every event.
//
//	TALLY_DRAIN_EVENTS=1000000 go test ./syncer -run XXX -bench Drain -benchtime 1x -timeout 30m
func BenchmarkDrain(b *testing.B) {
	n := 100_000
	if v := os.Getenv("TALLY_DRAIN_EVENTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			b.Fatalf("TALLY_DRAIN_EVENTS=%q", v)
		}
	}
	ctx := context.Background()
	for range b.N {
		b.StopTimer()
		dir := b.TempDir()
		l, err := wms.Open(filepath.Join(dir, "wh"), wms.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := l.SeedDemo(ctx); err != nil {
			b.Fatal(err)
		}
		built := time.Now()
		for start := 0; start < n; start += 20_000 {
			var evs []wms.Event
			for i := start; i < min(start+20_000, n); i++ {
				delta := int64(1)
				if i%2 == 1 {
					delta = -1
				}
				ev, err := wms.NewEvent(fmt.Sprintf("drain-%d", i), wms.EvStockAdjusted, "B0001", "bench",
					wms.StockAdjustment{SKU: "SKU03000", Location: "C01-01-01", Delta: delta, Reason: "bench"})
				if err != nil {
					b.Fatal(err)
				}
				evs = append(evs, ev)
			}
			if err := l.AppendAll(ctx, evs); err != nil {
				b.Fatal(err)
			}
		}
		b.Logf("backlog of %d events built in %v", n, time.Since(built).Round(time.Millisecond))

		ceiling := drainCeiling(b, l, filepath.Join(dir, "ceiling.db"))

		oms, err := fakeoms.New(fakeoms.Options{Path: filepath.Join(dir, "oms.db"), Base: "/tally/v1", Token: rigToken})
		if err != nil {
			b.Fatal(err)
		}
		srv := httptest.NewServer(oms.Handler())
		if _, err := l.SaveUpstream(ctx, "", wms.Upstream{Name: "oms", Dialect: wms.DialectTally, URL: srv.URL + "/tally/v1", Token: rigToken}, "A0001", "bench"); err != nil {
			b.Fatal(err)
		}
		sy := syncer.New(l, syncer.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		b.StartTimer()
		began := time.Now()
		go func() { done <- sy.Run(runCtx) }()
		for {
			st := sy.Status()
			if len(st) == 1 && st[0].Backlog == 0 && st[0].PushedThrough > 0 {
				if s, _ := l.SyncStateOf("oms"); s.Acked >= uint64(n) {
					break
				}
			}
			time.Sleep(10 * time.Millisecond)
		}
		took := time.Since(began)
		b.StopTimer()
		cancel()
		<-done
		srv.Close()
		stats, _ := oms.Stats()
		oms.Close()
		l.Close()
		if stats.Accepted < uint64(n) {
			b.Fatalf("the OMS accepted %d of %d", stats.Accepted, n)
		}
		b.ReportMetric(float64(n)/took.Seconds(), "events/s")
		b.ReportMetric(took.Seconds(), "drain-s")
		b.ReportMetric(float64(n)/ceiling.Seconds(), "ceiling-events/s")
		b.ReportMetric(ceiling.Seconds()/took.Seconds(), "x-ceiling")
	}
}

// drainCeiling POSTs the backlog's batches (500 events each, as the
// syncer sends them) over loopback to a handler that stores each body in
// one raw bbolt transaction and answers every event accepted.
func drainCeiling(b *testing.B, l *wms.Ledger, path string) time.Duration {
	b.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var batch struct {
			Events []struct {
				ID string `json:"id"`
			} `json:"events"`
		}
		if err := json.Unmarshal(body, &batch); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		err := db.Update(func(tx *bolt.Tx) error {
			bk, err := tx.CreateBucketIfNotExists([]byte("events"))
			if err != nil {
				return err
			}
			seq, _ := bk.NextSequence()
			return bk.Put([]byte(strconv.FormatUint(seq, 10)), body)
		})
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		var out bytes.Buffer
		out.WriteString(`{"results":[`)
		for i, e := range batch.Events {
			if i > 0 {
				out.WriteByte(',')
			}
			fmt.Fprintf(&out, `{"id":%q,"status":"accepted"}`, e.ID)
		}
		out.WriteString(`]}`)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(out.Bytes())
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	var bodies [][]byte
	var after uint64
	for {
		page, err := l.Outbox(after, 500)
		if err != nil {
			b.Fatal(err)
		}
		if len(page.Events) > 0 {
			body, err := json.Marshal(map[string]any{"events": page.Events})
			if err != nil {
				b.Fatal(err)
			}
			bodies = append(bodies, body)
		}
		if page.Next >= page.Last {
			break
		}
		after = page.Next
	}
	began := time.Now()
	for _, body := range bodies {
		resp, err := http.Post(srv.URL+"/events", "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	return time.Since(began)
}

// BenchmarkPushLag measures the lag from a stock change committed at the
// warehouse to the fake OMS holding it, with the upstream online and
// caught up (the aim: under 10 s).
//
//	go test ./syncer -run XXX -bench PushLag -benchtime 1x
func BenchmarkPushLag(b *testing.B) {
	for range b.N {
		l, sy, oms := drainRig(b, 0)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- sy.Run(ctx) }()
		waitCaughtUp := func() {
			for {
				st := sy.Status()
				if len(st) == 1 && st[0].Online && st[0].Backlog == 0 {
					return
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
		waitCaughtUp()
		var lags []time.Duration
		for i := range 30 {
			id := fmt.Sprintf("lag-%d", i)
			ev, _ := wms.NewEvent(id, wms.EvStockAdjusted, "B0001", "bench", wms.StockAdjustment{SKU: "SKU03000", Location: "C01-01-01", Delta: 1, Reason: "found"})
			t0 := time.Now()
			if _, _, err := l.Append(ctx, ev); err != nil {
				b.Fatal(err)
			}
			for {
				got, err := oms.Received()
				if err != nil {
					b.Fatal(err)
				}
				if len(got) > 0 && got[len(got)-1].ID == id {
					break
				}
				time.Sleep(time.Millisecond)
			}
			lags = append(lags, time.Since(t0))
			time.Sleep(50 * time.Millisecond)
		}
		cancel()
		<-done
		slices.Sort(lags)
		b.ReportMetric(float64(lags[len(lags)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lags[len(lags)-1].Microseconds())/1000, "max-ms")
	}
}
