package wms

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// genStart is the tests' first simulated day.
var genStart = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)

// generated writes a small store of simulated days from genStart.
func generated(t *testing.T, dir string, events, days int, seed uint64) (GenerateResult, string) {
	t.Helper()
	var progress bytes.Buffer
	res, err := Generate(context.Background(), dir, GenerateOptions{Events: events, Days: days, Seed: seed, Start: genStart, Progress: &progress})
	if err != nil {
		t.Fatalf("generate: %v\n%s", err, progress.String())
	}
	return res, progress.String()
}

// typeCounts counts the log's events by type.
func typeCounts(t *testing.T, l *Ledger) (map[string]int, time.Time, time.Time) {
	t.Helper()
	counts := map[string]int{}
	var first, last time.Time
	for seq := uint64(1); seq <= l.LastSeq(); seq++ {
		ev, err := l.EventAt(seq)
		if err != nil {
			t.Fatal(err)
		}
		counts[ev.Type]++
		if first.IsZero() {
			first = ev.At
		}
		if ev.At.Before(last) {
			t.Fatalf("event %d at %s is before the one before it (%s)", seq, ev.At, last)
		}
		last = ev.At
	}
	return counts, first, last
}

func TestGenerate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	events := 20_000
	if generateUnderRace {
		events = 3_000
	}
	res, progress := generated(t, dir, events, 3, 7)
	if float64(res.Events) < 0.8*float64(events) || float64(res.Events) > 1.2*float64(events) {
		t.Errorf("asked for about %d events, wrote %d", events, res.Events)
	}
	if res.Shipped == 0 || res.Orders < res.Shipped {
		t.Errorf("orders %d, shipped %d", res.Orders, res.Shipped)
	}
	if got := strings.Count(progress, "\n"); got != 3 {
		t.Errorf("progress has %d lines, want one per day:\n%s", got, progress)
	}
	l, err := Open(dir, Options{KeepProjections: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, stale := l.StaleProjections(); stale {
		t.Error("generated store has stale projections")
	}
	mm, err := l.Check(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mm {
		t.Errorf("projection differs from rebuild: %s", m)
	}
	counts, first, last := typeCounts(t, l)
	for _, typ := range []string{EvLoginSucceeded, EvLoginFailed, EvLoggedOut, EvReceiptExpected, EvReceived, EvReceiptClosed,
		EvOrderReceived, EvOrderHeld, EvWaveReleased, EvTaskStarted, EvPicked, EvShortReported, EvPackScanned, EvParcelClosed,
		EvShipped, EvReturnAnnounced, EvReturnReceived, EvMoved, EvCountRequested, EvOrderCancelled, EvCounted} {
		if counts[typ] == 0 {
			t.Errorf("no %s event in %v", typ, counts)
		}
	}
	if counts[EvPicked] < 2*counts[EvShipped] {
		t.Errorf("%d picks for %d shipments: orders average less than two units", counts[EvPicked], counts[EvShipped])
	}
	if !first.Equal(genStart.Add(7*time.Hour)) || last.Before(genStart.AddDate(0, 0, 2).Add(18*time.Hour)) || !last.Before(genStart.AddDate(0, 0, 3)) {
		t.Errorf("events from %s to %s, want the three days from %s", first, last, genStart)
	}
	// the readers behind the pages see the simulated floor
	shipped, err := l.OrdersIn(OrderShipped, DefaultOwner, 10)
	if err != nil || len(shipped) == 0 {
		t.Fatalf("shipped orders: %v, %v", len(shipped), err)
	}
	if o, err := l.Order(shipped[0].No); err != nil || o.State != OrderShipped {
		t.Errorf("order %s: %+v, %v", shipped[0].No, o.State, err)
	}
	kpi, err := l.KPIs(genStart.AddDate(0, 0, 1).Format("2006-01-02"))
	if err != nil || kpi["B1001"].Units == 0 {
		t.Errorf("KPIs of the second day: %+v, %v", kpi, err)
	}
	if rows, err := l.OnHand(""); err != nil || len(rows) == 0 {
		t.Errorf("on hand: %d rows, %v", len(rows), err)
	}
	if page, err := l.Feed(FeedQuery{Limit: 50}); err != nil || len(page.Events) == 0 {
		t.Errorf("feed: %v", err)
	}
}

func TestGenerateSameSeedSameStore(t *testing.T) {
	a, b := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	events := 5_000
	if generateUnderRace {
		events = 1_000
	}
	ra, _ := generated(t, a, events, 2, 3)
	rb, _ := generated(t, b, events, 2, 3)
	if ra.Events != rb.Events || ra.Orders != rb.Orders || ra.Shipped != rb.Shipped {
		t.Errorf("same seed: %+v and %+v", ra, rb)
	}
	var types [2][]string
	for i, dir := range []string{a, b} {
		l, err := Open(dir, Options{KeepProjections: true})
		if err != nil {
			t.Fatal(err)
		}
		for seq := uint64(1); seq <= l.LastSeq(); seq++ {
			ev, err := l.EventAt(seq)
			if err != nil {
				t.Fatal(err)
			}
			types[i] = append(types[i], ev.Type+" "+ev.At.Format(time.RFC3339Nano))
		}
		l.Close()
	}
	if strings.Join(types[0], "\n") != strings.Join(types[1], "\n") {
		t.Error("the same seed wrote events of other types or times")
	}
}

func TestGenerateRefuses(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "tally.db"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Generate(context.Background(), dir, GenerateOptions{Events: 20_000, Days: 3})
	if e, ok := AsError(err); !ok || e.Key != "generate.dir_not_empty" {
		t.Errorf("non-empty dir: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "tally.db")); string(b) != "x" {
		t.Error("the refused store was changed")
	}
	for _, o := range []GenerateOptions{{Events: 10, Days: 3}, {Events: MaxGenerateEvents + 1, Days: 3}, {Events: 20_000, Days: 0}, {Events: 20_000, Days: MaxGenerateDays + 1}, {Events: 5_000, Days: 30}} {
		empty := filepath.Join(t.TempDir(), "new")
		if _, err := Generate(context.Background(), empty, o); ErrorCode(err) != CodeInvalid {
			t.Errorf("%+v: %v", o, err)
		}
		if _, err := os.Stat(empty); err == nil {
			t.Errorf("%+v: refused, but made %s", o, empty)
		}
	}
}

// BenchmarkGenerate measures the generator against its ceiling: raw bbolt
// puts (NoSync, as the generator writes) of the same events' bytes, in the
// same run.
//
//	go test ./wms -run XXX -bench Generate -benchtime 1x
//
// TALLY_GENERATE_EVENTS sets the store's size (50,000 unless set).
func BenchmarkGenerate(b *testing.B) {
	genBenchEvents := 50_000
	if n, err := strconv.Atoi(os.Getenv("TALLY_GENERATE_EVENTS")); err == nil {
		genBenchEvents = n
	}
	for range b.N {
		dir := filepath.Join(b.TempDir(), "store")
		res, err := Generate(context.Background(), dir, GenerateOptions{Events: genBenchEvents, Days: 3, Seed: 1, Start: genStart})
		if err != nil {
			b.Fatal(err)
		}
		raw, err := RawCeiling(dir, b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(res.PerSecond(), "events/s")
		b.ReportMetric(raw, "raw-events/s")
		b.ReportMetric(res.PerSecond()/raw, "×raw")
	}
}
