package wms

import (
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestOrderBriefRoundTrip(t *testing.T) {
	due := time.Date(2026, 11, 11, 16, 30, 0, 123, time.UTC)
	farFuture := time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	for _, b := range []OrderBrief{
		{No: "SO1", Carrier: "顺丰 SF", Priority: -3, ShipBy: &due, Received: time.Date(2026, 11, 11, 0, 0, 1, 5, time.UTC), Lines: 7},
		{No: "SO2", Received: time.Date(2026, 11, 10, 23, 59, 59, 0, time.UTC), Lines: 1},
		{No: "SO3", ShipBy: &farFuture, Received: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), Lines: 2}, // years Unix nanoseconds cannot hold
	} {
		got, ok := decodeBrief(b.Owner, b.No, b.encode())
		if !ok {
			t.Fatalf("%s: not decoded", b.No)
		}
		if got.No != b.No || got.Carrier != b.Carrier || got.Priority != b.Priority || got.Lines != b.Lines ||
			!got.Received.Equal(b.Received) || (got.ShipBy == nil) != (b.ShipBy == nil) || (b.ShipBy != nil && !got.ShipBy.Equal(*b.ShipBy)) {
			t.Errorf("round trip: got %+v, want %+v", got, b)
		}
	}
	if _, ok := decodeBrief(DefaultOwner, "SO3", []byte{1, 2, 3}); ok {
		t.Error("a short value decoded")
	}
}

// The wave takes the most urgent matching orders, read from the briefs:
// priority first, then the earliest ship-by, then the oldest.
func TestWaveChoosesMostUrgent(t *testing.T) {
	l, clock := openTest(t)
	seedSmall(t, l)
	soon := clock.Now().Add(3 * time.Hour)
	later := clock.Now().Add(9 * time.Hour)
	mk := func(no, carrier string, prio int, shipBy *time.Time, lines ...LineIn) {
		in := order(no, lines...)
		in.Carrier, in.Priority, in.ShipBy = carrier, prio, shipBy
		mustOrder(t, l, in)
		clock.Add(time.Minute)
	}
	mk("SO2001", "SF", 0, nil, LineIn{"BOOK", 1})
	mk("SO2002", "SF", 0, &later, LineIn{"BOOK", 1})
	mk("SO2003", "SF", 0, &soon, LineIn{"BOOK", 1})
	mk("SO2004", "SF", 5, nil, LineIn{"BOOK", 1})
	mk("SO2005", "JD", 9, &soon, LineIn{"BOOK", 1})
	mk("SO2006", "SF", 9, &soon, LineIn{"BOOK", 1}, LineIn{"MILK", 1})
	never := time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC) // "no deadline", as some upstreams send it
	mk("SO2007", "SF", 0, &never, LineIn{"BOOK", 1})

	briefs, err := l.OrderBriefs(OrderNew)
	if err != nil || len(briefs) != 7 {
		t.Fatalf("briefs: %d, %v", len(briefs), err)
	}
	// due by a cut-off and a minimum priority: SO2005 (JD, 9, soon) and SO2006 (SF, 9, soon, two lines)
	dueBy := clock.Now().Add(4 * time.Hour)
	w, err := l.ReleaseWave(ctx, WaveFilter{Mode: WaveSingle, DueBy: &dueBy, MinPriority: 9, MaxOrders: 10}, "w0", "B4001", "web")
	chosen := append(append([]string{}, w.Orders...), w.Waiting...) // SO2006's formula is too short-dated: it waits
	slices.Sort(chosen)
	if err != nil || !slices.Equal(chosen, []string{"SO2005", "SO2006"}) {
		t.Fatalf("wave due within 4 hours at priority 9: %v + waiting %v, %v", w.Orders, w.Waiting, err)
	}
	w, err = l.ReleaseWave(ctx, WaveFilter{Mode: WaveSingle, Carrier: "SF", Lines: "single", MaxOrders: 3}, "w1", "B4001", "web")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"SO2004", "SO2003", "SO2002"}; !slices.Equal(w.Orders, want) {
		t.Errorf("wave orders %v, want %v", w.Orders, want)
	}
	left, err := l.OrderBriefs(OrderNew)
	if err != nil {
		t.Fatal(err)
	}
	var nos []string
	for _, b := range left {
		nos = append(nos, b.No)
	}
	if want := []string{"SO2001", "SO2006", "SO2007"}; !slices.Equal(nos, want) {
		t.Errorf("still new %v, want %v", nos, want)
	}
}

// A file whose projections an older Tally wrote (here: the order state index
// without briefs) is rebuilt from its log when opened, and then passes Check.
func TestOpenRebuildsOlderProjections(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, rebuilt := l.RebuiltFrom(); rebuilt {
		t.Error("a new file was rebuilt")
	}
	seedSmall(t, l)
	mustOrder(t, l, order("SO3001", LineIn{"BOOK", 2}))
	l.Close()

	db, err := bolt.Open(l.Path(), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketOrderState).Put(orderStateKey(OrderNew, DefaultOwner, "SO3001"), []byte{}); err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Delete(metaProjections)
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	// check sees the file as it is: stale, not rebuilt behind its back
	k, err := Open(dir, Options{KeepProjections: true})
	if err != nil {
		t.Fatal(err)
	}
	if have, stale := k.StaleProjections(); !stale || have != "1" {
		t.Errorf("StaleProjections = %q, %v; want 1, true", have, stale)
	}
	if _, rebuilt := k.RebuiltFrom(); rebuilt {
		t.Error("opened with KeepProjections, yet rebuilt")
	}
	k.Close()

	l, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if from, rebuilt := l.RebuiltFrom(); !rebuilt || from != "1" {
		t.Errorf("RebuiltFrom = %q, %v; want 1, true", from, rebuilt)
	}
	if have, stale := l.StaleProjections(); stale {
		t.Errorf("still stale (%s) after the upgrade", have)
	}
	mm, err := l.Check(dir)
	if err != nil || len(mm) != 0 {
		t.Fatalf("check after upgrade: %v %v", mm, err)
	}
	briefs, err := l.OrderBriefs(OrderNew)
	if err != nil || len(briefs) != 1 || briefs[0].No != "SO3001" || briefs[0].Lines != 1 {
		t.Errorf("briefs after upgrade: %+v, %v", briefs, err)
	}
}
