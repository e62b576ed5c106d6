package syncer_test

// End-to-end: a real ledger with the demo warehouse, the real syncer, and
// the fake OMS (in this process over loopback HTTP, or as a separate
// `tally fake-oms` process) with faults injected through its admin API.
// Each test ends by proving the remote effects: every event the upstream
// should get arrived (the fake OMS keeps an event once by its ID and
// counts repeats), nothing else did, and its stock — the fold of what it
// received — equals the warehouse's on-hand stock, per owner, SKU and lot.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"tally/syncer"
	"tally/syncer/fakeoms"
	"tally/wms"
)

const (
	rigToken = "tok-e2e-0123456789abcdef"
	rigBase  = "/tally/v1"
)

// clock is a clock tests move; it starts at the real time.
type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return time.Now().Add(c.off) }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

type rig struct {
	t      *testing.T
	l      *wms.Ledger
	oms    *fakeoms.OMS
	srv    *httptest.Server
	sy     *syncer.Syncer
	clock  *clock
	stop   context.CancelFunc
	done   chan error
	ctx    context.Context
	owner  string
	omsURL string
}

type rigOpts struct {
	orders int    // demo orders the fake OMS serves
	owner  string // the upstream's owner filter
	clock  *clock // shared by ledger, syncer and OMS; nil: real time
	noRun  bool   // leave the syncer stopped (start with run)
}

func newRig(t *testing.T, o rigOpts) *rig {
	t.Helper()
	dir := t.TempDir()
	r := &rig{t: t, clock: o.clock, owner: o.owner, ctx: context.Background()}
	now := time.Now
	if o.clock != nil {
		now = o.clock.Now
	}
	l, err := wms.Open(filepath.Join(dir, "wh"), wms.Options{Now: now, Zone: time.FixedZone("CST", 8*3600)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	if _, err := l.SeedDemo(r.ctx); err != nil {
		t.Fatal(err)
	}
	r.l = l
	oms, err := fakeoms.New(fakeoms.Options{Path: filepath.Join(dir, "oms.db"), Base: rigBase, Token: rigToken, Orders: o.orders, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	r.oms = oms
	r.srv = httptest.NewServer(oms.Handler())
	t.Cleanup(func() { r.srv.Close(); oms.Close() })
	r.omsURL = r.srv.URL + rigBase
	if _, err := l.SaveUpstream(r.ctx, "", wms.Upstream{Name: "oms", Dialect: wms.DialectTally, URL: r.omsURL, Token: rigToken, Owner: o.owner}, "A0001", "test"); err != nil {
		t.Fatal(err)
	}
	r.sy = syncer.New(l, syncer.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: now})
	if !o.noRun {
		r.run()
	}
	return r
}

func (r *rig) run() {
	ctx, cancel := context.WithCancel(context.Background())
	r.stop, r.done = cancel, make(chan error, 1)
	go func() { r.done <- r.sy.Run(ctx) }()
	r.t.Cleanup(r.halt)
}

func (r *rig) halt() {
	if r.stop != nil {
		r.stop()
		<-r.done
		r.stop = nil
	}
}

// admin calls the fake OMS's admin API.
func (r *rig) admin(method, path string, body any) []byte {
	r.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, r.srv.URL+path, rd)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		r.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, out)
	}
	return out
}

func (r *rig) fault(f ...map[string]any) { r.admin("POST", "/admin/faults", f) }

// status is the upstream's status.
func (r *rig) status() syncer.UpstreamStatus {
	for _, s := range r.sy.Status() {
		if s.Name == "oms" {
			return s
		}
	}
	r.t.Fatal("no status for oms")
	return syncer.UpstreamStatus{}
}

func waitFor(t *testing.T, what string, d time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// expected lists the IDs of every event the upstream should get.
func (r *rig) expected() []string {
	r.t.Helper()
	var ids []string
	var after uint64
	for {
		page, err := r.l.Outbox(after, 500)
		if err != nil {
			r.t.Fatal(err)
		}
		for _, o := range page.Events {
			if _, ok := o.For("oms", r.owner); ok {
				ids = append(ids, o.ID)
			}
		}
		if page.Next >= page.Last {
			return ids
		}
		after = page.Next
	}
}

// caughtUp waits until the fake OMS holds every event the upstream should get.
func (r *rig) caughtUp(d time.Duration) {
	r.t.Helper()
	waitFor(r.t, "the upstream to hold every event", d, func() bool {
		got, err := r.oms.Received()
		if err != nil {
			r.t.Fatal(err)
		}
		return len(got) >= len(r.expected()) && r.status().Backlog == 0
	})
}

// exactlyOnce proves the remote effects: the set of events received is the
// set the upstream should get, each kept once, and both sides' stock agree.
func (r *rig) exactlyOnce() {
	r.t.Helper()
	want := r.expected()
	got, err := r.oms.Received()
	if err != nil {
		r.t.Fatal(err)
	}
	seen := map[string]int{}
	for _, ev := range got {
		seen[ev.ID]++
	}
	for _, id := range want {
		if seen[id] != 1 {
			r.t.Errorf("event %s arrived %d times", id, seen[id])
		}
		delete(seen, id)
	}
	for id := range seen {
		r.t.Errorf("event %s arrived but is not one for this upstream", id)
	}
	stats, err := r.oms.Stats()
	if err != nil {
		r.t.Fatal(err)
	}
	if stats.Accepted != uint64(len(want)) {
		r.t.Errorf("the OMS accepted %d events, want %d (each once)", stats.Accepted, len(want))
	}
	r.sameStock()
}

// sameStock compares the fake OMS's stock view with the ledger, per owner.
func (r *rig) sameStock() {
	r.t.Helper()
	owners := []string{wms.DefaultOwner, wms.DemoOwner.Code}
	if r.owner != "" {
		owners = []string{r.owner}
	}
	for _, owner := range owners {
		snap, err := r.oms.Stock(owner, time.Now())
		if err != nil {
			r.t.Fatal(err)
		}
		there := map[string]int64{}
		for _, ln := range snap.Lines {
			there[ln.SKU+"/"+ln.Lot] += ln.Qty
		}
		here := map[string]int64{}
		lines, err := r.l.OnHand(owner)
		if err != nil {
			r.t.Fatal(err)
		}
		for _, ln := range lines {
			here[ln.SKU+"/"+ln.Lot] += ln.Qty
		}
		for k, q := range here {
			if there[k] != q {
				r.t.Errorf("%s %s: warehouse %d, OMS %d", owner, k, q, there[k])
			}
		}
		for k, q := range there {
			if _, ok := here[k]; !ok && q != 0 {
				r.t.Errorf("%s %s: warehouse none, OMS %d", owner, k, q)
			}
		}
	}
}

// adjust appends n stock changes (the floor at work) and returns at once.
func (r *rig) adjust(n int, tag string) {
	r.t.Helper()
	for i := range n {
		ev, err := wms.NewEvent(fmt.Sprintf("%s-%d", tag, i), wms.EvStockAdjusted, "B0001", "test",
			wms.StockAdjustment{SKU: "SKU03000", Location: "C01-01-01", Delta: 1, Reason: "found"})
		if err != nil {
			r.t.Fatal(err)
		}
		if _, _, err := r.l.Append(r.ctx, ev); err != nil {
			r.t.Fatalf("adjust %d: %v", i, err)
		}
	}
}

// The demo: orders arrive from the OMS, stock and orders go up, a
// reconciliation finds both sides equal.
func TestDemoOrdersArriveAndBothSidesAgree(t *testing.T) {
	r := newRig(t, rigOpts{orders: 20})
	waitFor(t, "the OMS's orders to arrive", 30*time.Second, func() bool {
		st, _ := r.l.SyncStateOf("oms")
		return st.Pulled >= 20
	})
	orders, err := r.l.OrdersIn(wms.OrderNew, "", 1000)
	if err != nil || len(orders) == 0 {
		t.Fatalf("no orders pulled in: %v", err)
	}
	r.caughtUp(30 * time.Second)
	r.exactlyOnce()
	reports, err := r.sy.Reconcile(r.ctx, "oms")
	if err != nil {
		t.Fatal(err)
	}
	if len(reports) != 2 {
		t.Fatalf("%d reports, want one per owner", len(reports))
	}
	for _, rep := range reports {
		if len(rep.Lines) != 0 || len(rep.OnlyHere) != 0 || len(rep.OnlyThere) != 0 {
			t.Errorf("%s differs: %+v", rep.Owner, rep)
		}
	}
}

// Connection dropped mid-batch, a lost response after the OMS committed,
// 5xx and slow answers, while the floor keeps working: every event arrives
// once, repeats are dropped by the OMS, stock agrees.
func TestFaultsDeliverExactlyOnce(t *testing.T) {
	r := newRig(t, rigOpts{})
	r.caughtUp(30 * time.Second)
	for _, f := range []map[string]any{
		{"kind": "drop", "count": 2, "path": "events"},
		{"kind": "lost", "count": 2, "path": "events"},
		{"kind": "error", "count": 2, "status": 503, "path": "events"},
		{"kind": "slow", "count": 1, "delay_ms": 1500, "path": "events"},
	} {
		r.fault(f)
		r.adjust(30, fmt.Sprint(f["kind"]))
		r.caughtUp(60 * time.Second)
	}
	stats, _ := r.oms.Stats()
	if stats.Duplicate == 0 {
		t.Error("a lost response was never re-sent (no duplicate at the OMS): the fault did not bite")
	}
	r.exactlyOnce()
}

// A rate-limit storm: no request before Retry-After ends.
func TestRateLimitStormHonoursRetryAfter(t *testing.T) {
	r := newRig(t, rigOpts{})
	r.caughtUp(30 * time.Second)
	r.fault(map[string]any{"kind": "ratelimit", "count": 3, "retry_after_s": 2})
	r.adjust(10, "storm")
	r.caughtUp(60 * time.Second)
	reqs := r.oms.Requests()
	for i, q := range reqs {
		if q.Status != http.StatusTooManyRequests {
			continue
		}
		for _, next := range reqs[i+1:] {
			if next.At.Before(q.At.Add(2*time.Second - 50*time.Millisecond)) {
				t.Errorf("a request at %v, %v after a 429 that said 2 s", next.At, next.At.Sub(q.At))
			}
			break
		}
	}
	r.exactlyOnce()
}

// A poison message is dead-lettered; the rest flows; a retry after the OMS
// is fixed resolves it.
func TestPoisonMessageIsDeadLettered(t *testing.T) {
	r := newRig(t, rigOpts{})
	r.caughtUp(30 * time.Second)
	r.fault(map[string]any{"kind": "poison", "match": "poison-me", "mode": "batch"})
	r.adjust(5, "before")
	ev, _ := wms.NewEvent("poison-1", wms.EvStockAdjusted, "B0001", "test", wms.StockAdjustment{SKU: "SKU03000", Location: "C01-01-01", Delta: 1, Reason: "poison-me"})
	if _, _, err := r.l.Append(r.ctx, ev); err != nil {
		t.Fatal(err)
	}
	r.adjust(5, "after")
	waitFor(t, "a dead letter", 30*time.Second, func() bool { return r.status().DeadLetters == 1 })
	waitFor(t, "the rest to flow", 30*time.Second, func() bool {
		got, _ := r.oms.Received()
		return len(got) == len(r.expected())-1
	})
	dead, _ := r.l.DeadLetters("oms")
	if len(dead) != 1 || dead[0].ID != "poison-1" {
		t.Fatalf("dead letters %+v", dead)
	}
	r.admin("DELETE", "/admin/faults", nil)
	if _, err := r.l.DecideDeadLetter(r.ctx, "retry-1", wms.DeadLetterDecision{Upstream: "oms", Seq: dead[0].Seq, Action: "retry"}, "S0001", "test"); err != nil {
		t.Fatal(err)
	}
	r.sy.Wake()
	waitFor(t, "the retried dead letter to resolve", 30*time.Second, func() bool { return r.status().DeadLetters == 0 })
	r.caughtUp(30 * time.Second)
	r.exactlyOnce()
}

// ±15 minutes of clock skew at the OMS: the warehouse learns the offset
// from its Date header and gets through.
func TestClockSkew(t *testing.T) {
	for _, skew := range []int{-900, 900} {
		t.Run(fmt.Sprint(skew), func(t *testing.T) {
			r := newRig(t, rigOpts{})
			r.fault(map[string]any{"kind": "skew", "skew_s": skew})
			r.adjust(5, "skewed")
			r.caughtUp(30 * time.Second)
			r.exactlyOnce()
		})
	}
}

// Three days cut off: the floor goes on, the status says offline with the
// backlog's age, and when the line comes back everything arrives once and
// a reconciliation on reconnect finds both sides equal.
func TestThreeDaysOffline(t *testing.T) {
	c := &clock{}
	r := newRig(t, rigOpts{clock: c})
	r.caughtUp(30 * time.Second)
	r.fault(map[string]any{"kind": "drop"}) // until cleared
	for day := range 3 {
		r.adjust(50, fmt.Sprintf("day%d", day))
		c.Add(24 * time.Hour)
	}
	waitFor(t, "offline with the whole backlog counted", 30*time.Second, func() bool {
		st := r.status()
		return !st.Online && st.Backlog >= 150
	})
	st := r.status()
	if st.OfflineSince == nil || st.OldestAgeS < 2.9*86400 {
		t.Errorf("offline status %+v: want a backlog of 150 about 3 days old", st)
	}
	r.admin("DELETE", "/admin/faults", nil)
	r.sy.Wake()
	r.caughtUp(120 * time.Second)
	r.exactlyOnce()
	waitFor(t, "a reconciliation on reconnect", 30*time.Second, func() bool {
		reps, _ := r.l.Reconciliations("oms", 10)
		for _, rep := range reps {
			if rep.Trigger == wms.ReconcileConnect {
				return true
			}
		}
		return false
	})
	reps, _ := r.l.Reconciliations("oms", 10)
	for _, rep := range reps {
		if len(rep.Lines) != 0 {
			t.Errorf("reconciliation %s found %+v", rep.ID, rep.Lines)
		}
	}
}

// An upstream for one owner gets that owner's events and nothing of the other's.
func TestOneOwnerUpstream(t *testing.T) {
	r := newRig(t, rigOpts{owner: wms.DemoOwner.Code})
	r.caughtUp(30 * time.Second)
	got, _ := r.oms.Received()
	for _, ev := range got {
		if ev.Owner != "" && ev.Owner != wms.DemoOwner.Code {
			t.Errorf("%s of owner %s went to BEIBEI's upstream", ev.Type, ev.Owner)
		}
		if bytes.Contains(ev.Data, []byte(`"owner":"DEFAULT"`)) {
			t.Errorf("%s carries a DEFAULT line: %s", ev.Type, ev.Data)
		}
	}
	r.exactlyOnce()
}

// pickAll releases a wave of every waiting order and picks its first task
// to the end, into totes.
func (r *rig) pickAll() {
	r.t.Helper()
	if _, err := r.l.ReleaseWave(r.ctx, wms.WaveFilter{Mode: wms.WaveCluster}, "wave-"+fmt.Sprint(time.Now().UnixNano()), "B4001", "test"); err != nil {
		r.t.Fatal(err)
	}
	task, err := r.l.NextTask(r.ctx, "B1001", "pda")
	if err != nil {
		r.t.Fatal(err)
	}
	totes := map[string]string{}
	for _, line := range task.Lines {
		tote, ok := totes[line.Order]
		if !ok {
			tote = fmt.Sprintf("T%05d", 900+len(totes))
			totes[line.Order] = tote
		}
		if _, _, err := r.l.Pick(r.ctx, fmt.Sprintf("pk-%s-%d", task.ID, line.N), wms.PickScan{Task: task.ID, Line: line.N, Location: line.Location,
			Items: []wms.ScannedItem{{GTIN: line.GTINs[0]}}, Qty: line.Qty, Tote: tote}, "B1001", "pda"); err != nil {
			r.t.Fatalf("pick %s line %d: %v", task.ID, line.N, err)
		}
	}
}

// ship packs one unit of SKU03000 for an order at the demo's station and ships it.
func (r *rig) ship(no string) {
	r.t.Helper()
	sku, err := r.l.SKU("SKU03000")
	if err != nil {
		r.t.Fatal(err)
	}
	if _, err := r.l.PackScan(r.ctx, "ps-"+no, wms.PackScan{Order: no, Station: "PACK-01", GTIN: sku.GTINs[0], Qty: 1}, "B2001", "kiosk"); err != nil {
		r.t.Fatal(err)
	}
	settings, err := r.l.Settings()
	if err != nil {
		r.t.Fatal(err)
	}
	weight := 80 + settings.WeightGate.AllowanceG + sku.UnitWeightG // box S1
	if _, err := r.l.CloseParcel(r.ctx, "pc-"+no, wms.ParcelClose{Order: no, Station: "PACK-01", Box: "S1", WeightG: weight}, "B2001", "kiosk"); err != nil {
		r.t.Fatal(err)
	}
	if _, err := r.l.Ship(r.ctx, "", no, "PACK-01", "B2001", "kiosk"); err != nil {
		r.t.Fatal(err)
	}
}

// A cancellation that arrives while the order is picked cancels it, its
// units go back to the shelf (a put-back task) and the OMS hears
// order.cancelled; one that arrives after the order shipped is a conflict:
// the order stays shipped, the warehouse lists it, and the OMS gets
// change.refused (order.already_shipped). Both sides' stock agree after.
func TestCancellationsAfterPickingAndAfterShipping(t *testing.T) {
	r := newRig(t, rigOpts{})
	for _, no := range []string{"OMS-C1", "OMS-C2"} {
		r.admin("POST", "/admin/orders", map[string]any{"no": no, "platform": "TM", "shop": "旗舰店", "carrier": "SF",
			"recipient": map[string]string{"name": "张三", "phone": "13800000000", "address": "浙江省杭州市西湖区文三路 1 号"},
			"lines":     []map[string]any{{"sku": "SKU03000", "qty": 1}}})
	}
	waitFor(t, "the two orders to arrive", 30*time.Second, func() bool {
		_, err1 := r.l.Order("OMS-C1")
		_, err2 := r.l.Order("OMS-C2")
		return err1 == nil && err2 == nil
	})
	// the demo's own orders are waiting too: cancel them here first, so the
	// wave is these two
	waiting, _ := r.l.OrdersIn(wms.OrderNew, "", 1000)
	for _, o := range waiting {
		if o.No != "OMS-C1" && o.No != "OMS-C2" {
			if _, err := r.l.Books(o.Owner).CancelOrder(r.ctx, o.No, "not in this test", "", "S0001", "test"); err != nil {
				t.Fatal(err)
			}
		}
	}
	r.pickAll()
	r.ship("OMS-C2")
	r.admin("POST", "/admin/cancel", map[string]string{"no": "OMS-C1", "reason": "customer cancelled"})
	r.admin("POST", "/admin/cancel", map[string]string{"no": "OMS-C2", "reason": "customer cancelled too late"})
	waitFor(t, "the cancellations to be pulled", 30*time.Second, func() bool {
		refused, _ := r.l.Refusals("oms", 10)
		o1, _ := r.l.Order("OMS-C1")
		return len(refused) == 1 && o1.State == wms.OrderCancelled
	})
	if o2, _ := r.l.Order("OMS-C2"); o2.State != wms.OrderShipped {
		t.Errorf("a cancellation after shipping overwrote the order: %s", o2.State)
	}
	refused, _ := r.l.Refusals("oms", 10)
	if refused[0].Code != "order.already_shipped" || refused[0].Order == "" && refused[0].UpstreamID == "" {
		t.Errorf("refusal %+v", refused[0])
	}
	r.caughtUp(30 * time.Second)
	got, _ := r.oms.Received()
	var refusedUp, cancelledUp bool
	for _, ev := range got {
		switch {
		case ev.Type == wms.EvChangeRefused && bytes.Contains(ev.Data, []byte("order.already_shipped")):
			refusedUp = true
		case ev.Type == wms.EvOrderCancelled && bytes.Contains(ev.Data, []byte("OMS-C1")):
			cancelledUp = true
		case ev.Type == wms.EvOrderCancelled && bytes.Contains(ev.Data, []byte("OMS-C2")):
			t.Errorf("the shipped order went up as cancelled: %s", ev.Data)
		}
	}
	if !refusedUp || !cancelledUp {
		t.Errorf("the OMS got change.refused %v, order.cancelled %v", refusedUp, cancelledUp)
	}
	orders, _ := r.oms.Orders()
	for _, o := range orders {
		if o.No == "OMS-C2" && o.State != "shipped" {
			t.Errorf("the OMS sees OMS-C2 as %s", o.State)
		}
	}
	r.exactlyOnce()
}
