package wms

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// oldWaveChoice is how a wave chose before the wave queue: every new order's
// brief, the held and unmatched left out, sorted by urgency, cut to the
// wave's size.
func oldWaveChoice(t testing.TB, l *Ledger, f WaveFilter) []OrderBrief {
	t.Helper()
	news, err := l.OrderBriefs(OrderNew)
	if err != nil {
		t.Fatal(err)
	}
	var chosen []OrderBrief
	for _, o := range news {
		if f.matches(o) {
			chosen = append(chosen, o)
		}
	}
	slices.SortStableFunc(chosen, urgency)
	if len(chosen) > f.MaxOrders {
		chosen = chosen[:f.MaxOrders]
	}
	return chosen
}

func briefString(b OrderBrief) string {
	return fmt.Sprintf("%s/%s %x", b.Owner, b.No, b.encode())
}

// The wave queue chooses exactly the orders the old way chose (matching
// every new order and sorting them) on a randomized backlog of two owners'
// orders with tied priorities, ship-by and received times, order numbers
// that begin one another, orders changed while new, held and restored,
// cancelled and released in waves. openTest's end checks the queue against
// a rebuild.
func TestWaveQueueChoosesAsBefore(t *testing.T) {
	l, clock := openTest(t)
	if _, err := l.SaveOwner(ctx, "", Owner{Code: "BABY", Name: "贝因美母婴旗舰"}, "B9001", "web"); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, l, "loc", EvLocationUpserted, Location{Code: "A01-01-01", Zone: "A", PickSeq: 10, Kind: KindPick})
	for oi, owner := range []string{DefaultOwner, "BABY"} {
		for i, code := range []string{"MILK", "BOOK"} {
			for j, ev := range []struct {
				typ  string
				data any
			}{
				{EvSKUUpserted, SKU{Code: code, Name: "商品 " + code, GTINs: []string{demoGTIN(fmt.Sprintf("69100%d", oi), i)}, UnitWeightG: 500}},
				{EvStockAdjusted, StockAdjustment{SKU: code, Location: "A01-01-01", Delta: 1_000_000, Reason: "test"}},
			} {
				e, err := newOwnedEvent(fmt.Sprintf("seed-%s-%s-%d", owner, code, j), ev.typ, "B9001", "web", owner, ev.data)
				if err != nil {
					t.Fatal(err)
				}
				if _, _, err := l.Append(ctx, e); err != nil {
					t.Fatal(err)
				}
			}
		}
	}

	rng := rand.New(rand.NewPCG(16, 2))
	base := clock.Now()
	times := []time.Time{base.Add(2 * time.Hour), base.Add(2*time.Hour + 1), base.Add(5 * time.Hour),
		base.Add(-time.Hour), time.Date(1969, 7, 20, 20, 17, 0, 5, time.UTC), time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)}
	pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
	owners := []string{DefaultOwner, "BABY"}
	carriers := []string{"", "SF", "JD", "顺丰"}
	randomFilter := func() WaveFilter {
		f := WaveFilter{MaxOrders: 1 + rng.IntN(60), Mode: WaveCluster, ClusterSize: 12}
		if rng.IntN(3) == 0 {
			f.Owner = pick(owners)
		}
		if rng.IntN(3) == 0 {
			f.Carrier = pick(carriers[1:])
		}
		if rng.IntN(3) == 0 {
			d := times[rng.IntN(len(times))]
			f.DueBy = &d
		}
		if rng.IntN(3) == 0 {
			f.MinPriority = rng.IntN(5)
		}
		f.Lines = pick([]string{"", "", "single", "multi"})
		return f
	}
	compared, nonEmpty := 0, 0
	compare := func(f WaveFilter) {
		t.Helper()
		var got []OrderBrief
		if err := l.view(func(tx *txn) (err error) { got, err = waveChoiceTx(tx, f); return err }); err != nil {
			t.Fatal(err)
		}
		want := oldWaveChoice(t, l, f)
		g, w := make([]string, len(got)), make([]string, len(want))
		for i := range got {
			g[i] = briefString(got[i])
		}
		for i := range want {
			w[i] = briefString(want[i])
		}
		if !slices.Equal(g, w) {
			t.Fatalf("filter %+v: the queue chose\n%v\nthe old way\n%v", f, g, w)
		}
		compared++
		if len(want) > 0 {
			nonEmpty++
		}
	}

	for step := range 700 {
		owner := pick(owners)
		no := fmt.Sprintf("SO%d", rng.IntN(250)) // SO1, SO12, SO120: numbers that begin one another
		switch r := rng.IntN(20); {
		case r < 14: // a new order, or a new order changed (an order no longer new is refused: locked)
			lines := []LineIn{{"MILK", int64(1 + rng.IntN(3))}}
			if rng.IntN(2) == 0 {
				lines = append(lines, LineIn{"BOOK", 1})
			}
			in := order(no, lines...)
			in.Owner, in.Carrier, in.Priority = owner, pick(carriers), rng.IntN(4)
			if rng.IntN(3) > 0 {
				d := times[rng.IntN(len(times))]
				in.ShipBy = &d
			}
			if _, _, err := l.ReceiveOrder(ctx, "", in, "oms", "api"); err != nil && ErrorCode(err) != CodeConflict {
				t.Fatalf("order %s: %v", no, err)
			}
		case r < 16:
			if _, err := l.Books(owner).HoldOrder(ctx, no, rng.IntN(2) == 0, "", "", "erp", "qimen"); err != nil &&
				ErrorCode(err) != CodeConflict && ErrorCode(err) != CodeNotFound {
				t.Fatalf("hold %s: %v", no, err)
			}
		case r < 17:
			if _, err := l.Books(owner).CancelOrder(ctx, no, "客户取消", "", "erp", "qimen"); err != nil &&
				ErrorCode(err) != CodeConflict && ErrorCode(err) != CodeNotFound {
				t.Fatalf("cancel %s: %v", no, err)
			}
		default:
			f := randomFilter()
			compare(f)
			if _, err := l.ReleaseWave(ctx, f, fmt.Sprintf("w%d", step), "B4001", "web"); err != nil && ErrorCode(err) != CodeNotFound {
				t.Fatalf("wave %+v: %v", f, err)
			}
		}
		if step%60 == 59 { // many orders in one event: the queue's writes wait and are made in key order
			var csv strings.Builder
			csv.WriteString("owner,no,channel,name,phone,address,sku,qty,priority,carrier,ship_by\n")
			seen := map[string]bool{}
			for range 40 {
				owner, no := pick(owners), fmt.Sprintf("SO%d", rng.IntN(250))
				if o, err := l.Books(owner).Order(no); seen[owner+" "+no] || (err == nil && o.State != OrderNew) {
					continue
				}
				seen[owner+" "+no] = true
				shipBy := ""
				if rng.IntN(3) > 0 {
					shipBy = times[rng.IntN(len(times))].Format(time.RFC3339Nano)
				}
				fmt.Fprintf(&csv, "%s,%s,tmall,王芳,13800138000,杭州市文三路 100 号,MILK,%d,%d,%s,%s\n",
					envelopeOwner(owner), no, 1+rng.IntN(3), rng.IntN(4), pick(carriers), shipBy)
			}
			if _, err := l.Import(ctx, fmt.Sprintf("csv%d", step), ImportOrders, "orders.csv", []byte(csv.String()), "B9001", "web"); err != nil {
				t.Fatalf("import: %v\n%s", err, csv.String())
			}
			compare(WaveFilter{MaxOrders: 1000})
		}
		if rng.IntN(4) == 0 {
			clock.Add(time.Duration(rng.IntN(3)) * time.Minute) // ties on received as well
		}
		if step%25 == 0 {
			compare(randomFilter())
			compare(WaveFilter{MaxOrders: 1000})
		}
	}
	if compared < 100 || nonEmpty < compared/2 {
		t.Fatalf("compared %d choices, %d of them not empty: the backlog did not exercise the queue", compared, nonEmpty)
	}
}

// Keys sort as urgency does, bytewise, on the edges: negative priorities,
// times before 1970 and past 2262, nanoseconds, numbers that begin others.
func TestWaveQueueKeyOrder(t *testing.T) {
	t1 := time.Date(1969, 12, 31, 23, 59, 59, 999_999_999, time.UTC)
	t2 := time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	t3 := time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	var briefs []OrderBrief
	for _, p := range []int{-1 << 40, -2, 0, 3, 1 << 40} {
		for _, s := range []*time.Time{nil, &t1, &t2, &t3} {
			for _, r := range []time.Time{t1, t2, t3} {
				for _, no := range []string{"A", "A1", "A!", "B"} {
					for _, owner := range []string{DefaultOwner, "BABY"} {
						briefs = append(briefs, OrderBrief{Owner: owner, No: no, Priority: p, ShipBy: s, Received: r})
					}
				}
			}
		}
	}
	for _, a := range briefs {
		for _, b := range briefs {
			want := urgency(a, b)
			got := slices.Compare(waveQueueKey(a), waveQueueKey(b))
			if (want < 0) != (got < 0) || (want == 0) != (got == 0) {
				t.Fatalf("%+v vs %+v: urgency %d, keys %d", a, b, want, got)
			}
		}
	}
	k := waveQueueKey(briefs[7])
	if b, err := decodeWaveQueued(k, briefs[7].encode()); err != nil || b.Owner != briefs[7].Owner || b.No != briefs[7].No {
		t.Fatalf("decoded %+v, %v", b, err)
	}
	if _, err := decodeWaveQueued(k[:waveQueueFixed], nil); err == nil {
		t.Error("a short key decoded")
	}
}
