package wms

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// genStart is the tests' first simulated day.
var genStart = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)

// generated writes a small store of simulated days from genStart, checking
// the generator's own copy of each task against the ledger's answers.
func generated(t *testing.T, dir string, events, days int, seed uint64) (GenerateResult, string) {
	t.Helper()
	return generatedAs(t, dir, GenerateOptions{Events: events, Days: days, Seed: seed, verify: true})
}

func generatedAs(t *testing.T, dir string, o GenerateOptions) (GenerateResult, string) {
	t.Helper()
	var progress bytes.Buffer
	o.Start, o.Progress = genStart, &progress
	res, err := Generate(context.Background(), dir, o)
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

var randomParts = regexp.MustCompile(`pbkdf2-sha256\$[^"]*|"session_hash":"[0-9a-f]*"|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

func TestGenerateSameSeedSameStore(t *testing.T) {
	a, b := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	events := 5_000
	if generateUnderRace {
		events = 1_000
	}
	// the one checks every task the generator keeps against the ledger's
	// answer, the other trusts its own: the same store all the same
	ra, _ := generated(t, a, events, 2, 3)
	rb, _ := generatedAs(t, b, GenerateOptions{Events: events, Days: 2, Seed: 3})
	if ra.Events != rb.Events || ra.Orders != rb.Orders || ra.Shipped != rb.Shipped {
		t.Errorf("same seed: %+v and %+v", ra, rb)
	}
	var logs [2][][]byte
	for i, dir := range []string{a, b} {
		db, err := bolt.Open(filepath.Join(dir, dbFile), 0o600, &bolt.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		err = db.View(func(tx *bolt.Tx) error {
			return tx.Bucket(bucketEvents).ForEach(func(_, v []byte) error {
				// PINs are hashed with a random salt, sessions are random
				// and so are the IDs of events the callers name none of,
				// as on the floor; the rest is the seed's
				logs[i] = append(logs[i], randomParts.ReplaceAll(v, []byte("…")))
				return nil
			})
		})
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(logs[0]) != len(logs[1]) {
		t.Fatalf("the same seed wrote %d and %d events", len(logs[0]), len(logs[1]))
	}
	for i := range logs[0] {
		if !bytes.Equal(logs[0][i], logs[1][i]) {
			t.Fatalf("the same seed wrote another event %d:\n%s\n%s", i+1, logs[0][i], logs[1][i])
		}
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

// A disk running low stops the run before the reserve is taken, and the
// store is whole up to the last commit: its projections equal a rebuild.
func TestGenerateKeepsFree(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	commits := 0
	free := func() (uint64, error) {
		if commits++; commits > 3 {
			return 1 << 30, nil
		}
		return 8 << 30, nil
	}
	_, err := Generate(context.Background(), dir, GenerateOptions{Events: 20_000, Days: 3, Seed: 1, Start: genStart, KeepFree: 2 << 30, diskFree: free})
	if e, ok := AsError(err); !ok || e.Key != "generate.disk_low" {
		t.Fatalf("disk low: %v", err)
	}
	l, err := Open(dir, Options{KeepProjections: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	// three commits of a thousand writes, each a command of an event or two
	if got := l.LastSeq(); got < 3*GenerateCommitEvery || got > 6*GenerateCommitEvery {
		t.Errorf("stopped at the fourth commit, but the log holds %d events", got)
	}
	mm, err := l.Check(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mm {
		t.Errorf("projection differs from rebuild: %s", m)
	}
}

// A wave release refused by its decision (nothing can be allocated) inside
// the shared transaction leaves nothing of itself, under refusably: the
// writes around it commit, the log has no gap, and the projections equal a
// rebuild (openTest's check). Any other way, the refusal fails the shared
// transaction and what it held is gone.
func TestBulkRefusal(t *testing.T) {
	l := stockFixture(t)
	mustOrder(t, l, order("SO1", LineIn{"MILK", 500})) // 13 units are shippable
	release := func(id string) error {
		_, err := l.ReleaseWave(ctx, WaveFilter{Mode: WaveSingle}, id, "B4001", "web")
		return err
	}

	defer func() { // a failing test leaves no shared transaction to block the check
		if l.bulk != nil {
			_ = l.endBulk()
		}
	}()
	before := l.LastSeq()
	l.startBulk(GenerateCommitEvery)
	if err := l.refusably("wave.nothing_allocated", func() error { return release("w1") }); ErrorCode(err) != CodeConflict {
		t.Fatalf("a wave of an order that cannot be allocated: %v", err)
	}
	mustOrder(t, l, order("SO2", LineIn{"MILK", 2}))
	if err := l.refusably("wave.nothing_allocated", func() error { return release("w2") }); err != nil {
		t.Fatalf("a wave with SO2: %v", err)
	}
	if err := l.endBulk(); err != nil {
		t.Fatal(err)
	}
	if got := l.LastSeq(); got != before+2 {
		t.Errorf("the log went from %d to %d events, want the order and the wave", before, got)
	}
	for seq := before + 1; seq <= l.LastSeq(); seq++ {
		if ev, err := l.EventAt(seq); err != nil || ev.ID == "w1" {
			t.Errorf("event %d: %s %v", seq, ev.ID, err)
		}
	}
	if o, err := l.Order("SO2"); err != nil || o.State != OrderAllocated {
		t.Errorf("SO2: %s %v", o.State, err)
	}

	before = l.LastSeq()
	l.startBulk(GenerateCommitEvery)
	mustOrder(t, l, order("SO3", LineIn{"MILK", 500}))
	if err := release("w3"); ErrorCode(err) != CodeConflict {
		t.Fatalf("a wave of SO1 and SO3, neither can be allocated: %v", err)
	}
	if err := l.endBulk(); err == nil {
		t.Error("a refusal not named refusable left the shared transaction standing")
	}
	if got := l.LastSeq(); got != before {
		t.Errorf("the failed shared transaction left %d events behind", got-before)
	}
}
