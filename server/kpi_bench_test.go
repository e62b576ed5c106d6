package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"
	"time"

	"tally/scan"
	"tally/wms"
)

// BenchmarkKPIDashboard times the dashboard's handler, GET /kpi (figures,
// charts and tables rendered), over a ledger of 1,000,000 events
// (TALLY_KPI_BENCH_EVENTS to change): the demo warehouse, then 50 people
// scanning 12 hours a day for 30 days (the shape of wms's BenchmarkFigures).
// It reports one day and the whole 30 days.
//
//	go test ./server -run XXX -bench KPIDashboard -benchtime 10x -timeout 30m
func BenchmarkKPIDashboard(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("TALLY_KPI_BENCH_EVENTS")); err == nil && v > 0 {
		n = v
	}
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	const people, days = 50, 30
	end := start.Add(days * 24 * time.Hour)
	l, err := wms.Open(b.TempDir(), wms.Options{Now: func() time.Time { return end }, Zone: time.FixedZone("CST", 8*3600)})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	if _, err := l.SeedDemo(ctx); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	at := make([]time.Time, people)
	scans := make([]int, people)
	perDay := n / people / days
	batch := make([]wms.Event, 0, 10000)
	flush := func() {
		if err := l.AppendAll(ctx, batch); err != nil {
			b.Fatal(err)
		}
		batch = batch[:0]
	}
	for i := range n {
		p := i % people
		day := (i / people) / max(perDay, 1)
		if at[p].Before(start.Add(time.Duration(day) * 24 * time.Hour)) {
			at[p] = start.Add(time.Duration(day)*24*time.Hour + time.Duration(rng.IntN(600))*time.Second)
		}
		step := time.Duration(rng.ExpFloat64() * float64(12*time.Hour) / float64(max(perDay, 1)))
		if rng.IntN(100) < 2 {
			step += wms.MinGap + time.Duration(rng.IntN(35*60))*time.Second
		}
		at[p] = at[p].Add(min(step, 30*time.Minute))
		scans[p]++
		ev, err := wms.NewEvent(fmt.Sprintf("k%d", i), wms.EvScanRejected, fmt.Sprintf("B%04d", 5000+p), "pda",
			wms.ScanRejected{Task: fmt.Sprintf("T%d-%d", p, scans[p]/20), Step: "item", Code: "X", Reason: "pick.wrong_item", Today: at[p].Format("2006-01-02")})
		if err != nil {
			b.Fatal(err)
		}
		ev.At = at[p]
		batch = append(batch, ev)
		if len(batch) == cap(batch) {
			flush()
		}
	}
	flush()
	s := New(Config{Version: "bench"}, l, scan.NewParser(scan.DefaultPatterns()), slog.New(slog.NewTextHandler(io.Discard, nil)))
	sup := newClient(b, s)
	sup.login("B4001", "4444")
	last := end.Add(-24 * time.Hour).In(l.Zone()).Format("2006-01-02")
	for _, bc := range []struct{ name, query string }{
		{"day", "/kpi?from=" + last + "&to=" + last},
		{"30days", "/kpi?from=" + start.In(l.Zone()).Format("2006-01-02") + "&to=" + last},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				req := httptest.NewRequest("GET", bc.query, nil)
				for k, v := range sup.cookies {
					req.Header.Add("Cookie", k+"="+v)
				}
				resp, err := s.App().Test(req, -1)
				if err != nil || resp.StatusCode != 200 {
					b.Fatalf("%v %v", err, resp)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
			}
			b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/op")
		})
	}
}
