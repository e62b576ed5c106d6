package wms

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// foldOutward is what an upstream that received every outward event of a
// ledger (for one upstream and owner filter) holds: StockEffect of each, on
// the JSON as sent.
func foldOutward(t testing.TB, l *Ledger, upstream, owner string) map[StockKey]int64 {
	t.Helper()
	m := map[StockKey]int64{}
	var after uint64
	for {
		page, err := l.Outbox(after, 500)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Events {
			o, ok := o.For(upstream, owner)
			if !ok {
				continue
			}
			raw, err := json.Marshal(o.Data)
			if err != nil {
				t.Fatal(err)
			}
			lines, err := StockEffect(o.Type, o.Owner, raw)
			if err != nil {
				t.Fatalf("%s %d: %v", o.Type, o.Seq, err)
			}
			for _, ln := range lines {
				m[StockKey{ln.Owner, ln.SKU, ln.Lot}] += ln.Qty
			}
		}
		if page.Next >= page.Last {
			return m
		}
		after = page.Next
	}
}

func onHandMap(t testing.TB, l *Ledger, owner string) map[StockKey]int64 {
	t.Helper()
	lines, err := l.OnHand(owner)
	if err != nil {
		t.Fatal(err)
	}
	m := map[StockKey]int64{}
	for _, ln := range lines {
		m[StockKey{ln.Owner, ln.SKU, ln.Lot}] = ln.Qty
	}
	return m
}

func sameStock(t testing.TB, where string, got, want map[StockKey]int64) {
	t.Helper()
	for k, q := range want {
		if got[k] != q {
			t.Errorf("%s: %v upstream %d, warehouse %d", where, k, got[k], q)
		}
	}
	for k, q := range got {
		if _, ok := want[k]; !ok && q != 0 {
			t.Errorf("%s: %v upstream %d, warehouse none", where, k, q)
		}
	}
}

// Every store earlier versions' tests left (real picks, shortages,
// cancellations after picking, put-backs, shipments, returns, counts,
// receipts with quarantine and refusals) holds, on hand, exactly what an
// upstream folding its outward events holds: the outward catalogue misses
// no change of stock, and StockEffect reads each one right.
func TestOnHandIsTheFoldOfOutwardEvents(t *testing.T) {
	files, err := filepath.Glob("testdata/v5/*.db.gz")
	if err != nil || len(files) == 0 {
		t.Fatalf("no stores in testdata/v5: %v", err)
	}
	for _, f := range files {
		if filepath.Base(f) == "TestLegacyCountDecisionReplays.db.gz" {
			// A count approved before the strict rule was clamped at zero
			// when applied, and the event does not say by how much: its
			// outward delta is the count's. Only a reconciliation (which
			// exists for exactly such gaps) puts the upstream right.
			continue
		}
		dir := t.TempDir()
		if err := gunzipTo(f, filepath.Join(dir, dbFile)); err != nil {
			t.Fatal(err)
		}
		l, err := Open(dir, Options{Zone: time.FixedZone("CST", 8*3600)})
		if err != nil {
			t.Fatal(err)
		}
		sameStock(t, filepath.Base(f), foldOutward(t, l, "oms", ""), onHandMap(t, l, ""))
		l.Close()
	}
	l := twoOwners(t)
	for _, owner := range []string{DefaultOwner, "BEIBEI"} {
		sameStock(t, "two owners, "+owner, foldOutward(t, l, "oms", owner), onHandMap(t, l, owner))
	}
}

func saveTestUpstream(t testing.TB, l *Ledger, name, owner string) Upstream {
	t.Helper()
	u, err := l.SaveUpstream(ctx, "", Upstream{Name: name, Dialect: DialectTally, URL: "http://127.0.0.1:9090/tally/v1",
		Token: "tok-0123456789abcdef", Owner: owner}, "B0001", "test")
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestSaveUpstream(t *testing.T) {
	l, _ := openTest(t)
	for name, u := range map[string]Upstream{
		"bad name":     {Name: "OMS 1", Dialect: "tally", URL: "https://oms.example.com", Token: "0123456789abcdef"},
		"dialect":      {Name: "oms", Dialect: "soap", URL: "https://oms.example.com", Token: "0123456789abcdef"},
		"plain http":   {Name: "oms", Dialect: "tally", URL: "http://oms.example.com/v1", Token: "0123456789abcdef"},
		"credentials":  {Name: "oms", Dialect: "tally", URL: "https://a:b@oms.example.com/v1", Token: "0123456789abcdef"},
		"short token":  {Name: "oms", Dialect: "tally", URL: "https://oms.example.com", Token: "short"},
		"no token":     {Name: "oms", Dialect: "tally", URL: "https://oms.example.com"},
		"short secret": {Name: "oms", Dialect: "tally", URL: "https://oms.example.com", Token: "0123456789abcdef", Secret: "x"},
		"owner":        {Name: "oms", Dialect: "tally", URL: "https://oms.example.com", Token: "0123456789abcdef", Owner: "NOBODY"},
	} {
		if _, err := l.SaveUpstream(ctx, "", u, "B0001", "test"); err == nil {
			t.Errorf("%s: saved %+v", name, u)
		}
	}
	if ups, _ := l.Upstreams(); len(ups) != 0 {
		t.Fatalf("refused saves stored %v", ups)
	}
	u := saveTestUpstream(t, l, "oms", "")
	if u.SigningKey() == nil || string(u.SigningKey()) != u.Token {
		t.Errorf("without a secret the token signs: %q", u.SigningKey())
	}
	// a save without token or secret keeps them; a new secret replaces none
	if _, err := l.SaveUpstream(ctx, "", Upstream{Name: "oms", Dialect: DialectTally, URL: "https://oms.example.com/v2", Secret: "whsec-0123456789abcdef"}, "B0001", "test"); err != nil {
		t.Fatal(err)
	}
	got, err := l.UpstreamNamed("oms")
	if err != nil || got.Token != u.Token || got.Secret != "whsec-0123456789abcdef" || got.URL != "https://oms.example.com/v2" {
		t.Fatalf("after the second save: %+v %v", got, err)
	}
	if string(got.SigningKey()) != got.Secret {
		t.Error("the secret signs when there is one")
	}
	if _, err := l.SaveUpstream(ctx, "", Upstream{Name: "oms", Dialect: DialectTally, URL: "https://oms.example.com/v2", ClearSecret: true}, "B0001", "test"); err != nil {
		t.Fatal(err)
	}
	if got, _ = l.UpstreamNamed("oms"); got.Secret != "" || got.Token != u.Token {
		t.Errorf("clear_secret: %+v", got)
	}
	// a new upstream needs a token
	if _, err := l.SaveUpstream(ctx, "", Upstream{Name: "oms2", Dialect: DialectTally, URL: "https://oms.example.com"}, "B0001", "test"); err == nil {
		t.Error("a new upstream without a token was saved")
	}
	// the feed never hands out the token or the secret
	page, err := l.Feed(FeedQuery{Types: []string{EvUpstreamSaved}})
	if err != nil || len(page.Events) != 3 {
		t.Fatalf("feed: %d events, %v", len(page.Events), err)
	}
	for _, ev := range page.Events {
		if bytes.Contains(ev.Data, []byte(u.Token)) || bytes.Contains(ev.Data, []byte("whsec-")) {
			t.Errorf("the feed hands out a secret: %s", ev.Data)
		}
	}
}

func TestSyncCursorsAndDeadLetters(t *testing.T) {
	l, _ := openTest(t)
	seedSmall(t, l)
	saveTestUpstream(t, l, "oms", "")
	page, err := l.Outbox(0, 2)
	if err != nil || len(page.Events) != 2 {
		t.Fatalf("outbox: %+v %v", page, err)
	}
	first, second := page.Events[0], page.Events[1]
	if err := l.RecordAck(ctx, SyncAck{Upstream: "oms", Through: second.Seq, Acked: 2,
		Dead: []DeadLetter{{Seq: second.Seq, ID: second.ID, Type: second.Type, Code: "sku.unknown", Reason: "no such SKU"}}}); err != nil {
		t.Fatal(err)
	}
	st, err := l.SyncStateOf("oms")
	if err != nil || st.PushedThrough != second.Seq || st.Acked != 2 || st.Dead != 1 {
		t.Fatalf("state %+v %v", st, err)
	}
	// an older answer never moves the cursor back
	if err := l.RecordAck(ctx, SyncAck{Upstream: "oms", Through: first.Seq, Acked: 1}); err != nil {
		t.Fatal(err)
	}
	if st, _ = l.SyncStateOf("oms"); st.PushedThrough != second.Seq {
		t.Errorf("cursor moved back to %d", st.PushedThrough)
	}
	if _, err := l.DecideDeadLetter(ctx, "k1", DeadLetterDecision{Upstream: "oms", Seq: first.Seq, Action: "retry"}, "B0001", "test"); err == nil {
		t.Error("a dead letter that is not one was retried")
	}
	if _, err := l.DecideDeadLetter(ctx, "k2", DeadLetterDecision{Upstream: "oms", Seq: second.Seq, Action: "retry"}, "B0001", "test"); err != nil {
		t.Fatal(err)
	}
	dead, _ := l.DeadLetters("oms")
	if len(dead) != 1 || dead[0].State != DeadRetry || dead[0].Attempts != 1 {
		t.Fatalf("dead letters %+v", dead)
	}
	if err := l.RecordAck(ctx, SyncAck{Upstream: "oms", Resolved: []uint64{second.Seq}}); err != nil {
		t.Fatal(err)
	}
	if dead, _ = l.DeadLetters("oms"); len(dead) != 0 {
		t.Errorf("resolved dead letter still listed: %+v", dead)
	}
	if st, _ = l.SyncStateOf("oms"); st.Dead != 0 {
		t.Errorf("dead count %d", st.Dead)
	}
	if err := l.RecordPull(ctx, SyncPull{Upstream: "oms", Cursor: "c-000012", Changes: 3}); err != nil {
		t.Fatal(err)
	}
	if err := l.RecordPull(ctx, SyncPull{Upstream: "nobody", Cursor: "c-1"}); err == nil {
		t.Error("a pull for an unknown upstream was recorded")
	}
	if st, _ = l.SyncStateOf("oms"); st.PullCursor != "c-000012" || st.Pulled != 3 {
		t.Errorf("pull state %+v", st)
	}
	// none of these events goes upstream
	after, _ := l.Outbox(second.Seq, 100)
	for _, o := range after.Events {
		if o.Type == EvSyncAcked || o.Type == EvSyncPulled || o.Type == EvDeadLetterDecided {
			t.Errorf("%s goes upstream", o.Type)
		}
	}
}

func TestRefusalsGoOnlyToTheirUpstream(t *testing.T) {
	l, _ := openTest(t)
	seedSmall(t, l)
	saveTestUpstream(t, l, "oms", "")
	saveTestUpstream(t, l, "erp", "")
	r, err := l.RefuseChange(ctx, "refuse-oms-CXL-1", ChangeRefusal{Upstream: "oms", UpstreamID: "CXL-1", ChangeType: "order.cancel",
		Code: "order.already_shipped", Reason: "SO1 shipped", Order: "SO1"})
	if err != nil {
		t.Fatal(err)
	}
	again, err := l.RefuseChange(ctx, "refuse-oms-CXL-1", ChangeRefusal{Upstream: "oms", UpstreamID: "CXL-1", ChangeType: "order.cancel",
		Code: "order.already_shipped", Reason: "SO1 shipped", Order: "SO1"})
	if err != nil || again.Seq != r.Seq {
		t.Fatalf("a refusal recorded twice: %d then %d (%v)", r.Seq, again.Seq, err)
	}
	list, _ := l.Refusals("oms", 10)
	if len(list) != 1 || list[0].Code != "order.already_shipped" {
		t.Fatalf("refusals %+v", list)
	}
	if other, _ := l.Refusals("erp", 10); len(other) != 0 {
		t.Errorf("erp lists %+v", other)
	}
	ev, _ := l.EventAt(r.Seq)
	out, ok, err := l.Outward(ev)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if _, ok := out.For("erp", ""); ok {
		t.Error("a refusal for oms goes to erp")
	}
	if o, ok := out.For("oms", ""); !ok || o.Data.(OutChangeRefused).UpstreamID != "CXL-1" {
		t.Errorf("oms gets %+v %v", o, ok)
	}
}

func TestInstructions(t *testing.T) {
	l, _ := openTest(t)
	seedSmall(t, l)
	saveTestUpstream(t, l, "oms", "")
	in := Instruction{Upstream: "oms", ID: "ADJ-1", SKU: "BOOK", Location: "A01-01-01", Delta: -2, Reason: "write-off agreed"}
	if _, err := l.ReceiveInstruction(ctx, "sync:oms:stock.instruction:ADJ-1", in); err != nil {
		t.Fatal(err)
	}
	if _, err := l.ReceiveInstruction(ctx, "sync:oms:stock.instruction:ADJ-1", in); err != nil {
		t.Fatalf("a repeat: %v", err)
	}
	changed := in
	changed.Delta = -5
	if _, err := l.ReceiveInstruction(ctx, "sync:oms:stock.instruction:ADJ-1", changed); err == nil {
		t.Error("the same ID with another content was taken")
	}
	open, _ := l.Instructions(false)
	if len(open) != 1 {
		t.Fatalf("instructions %+v", open)
	}
	before := qtyAt(t, l, "BOOK", "", "A01-01-01")
	if _, err := l.CarryOutInstruction(ctx, "k-do", "", "oms", "ADJ-1", "", "B0001", "test"); err != nil {
		t.Fatal(err)
	}
	if got := qtyAt(t, l, "BOOK", "", "A01-01-01"); got != before-2 {
		t.Errorf("stock %d, want %d", got, before-2)
	}
	if _, err := l.CarryOutInstruction(ctx, "k-do-2", "", "oms", "ADJ-1", "", "B0001", "test"); err == nil {
		t.Error("an instruction carried out twice")
	}
	if _, err := l.RefuseInstruction(ctx, "k-no", "", "oms", "ADJ-1", "counted, nothing missing", "B0001", "test"); err == nil {
		t.Error("a done instruction refused")
	}
	in2 := Instruction{Upstream: "oms", ID: "ADJ-2", SKU: "BOOK", Location: "A01-01-01", Delta: 3, Reason: "found"}
	if _, err := l.ReceiveInstruction(ctx, "sync:oms:stock.instruction:ADJ-2", in2); err != nil {
		t.Fatal(err)
	}
	if _, err := l.RefuseInstruction(ctx, "k-no2", "", "oms", "ADJ-2", "", "B0001", "test"); err == nil {
		t.Error("refused without a reason")
	}
	if _, err := l.RefuseInstruction(ctx, "k-no2", "", "oms", "ADJ-2", "not found on the shelf", "B0001", "test"); err != nil {
		t.Fatal(err)
	}
	all, _ := l.Instructions(true)
	states := map[string]string{}
	for _, x := range all {
		states[x.ID] = x.State
	}
	if states["ADJ-1"] != InstructionDone || states["ADJ-2"] != InstructionRefused {
		t.Errorf("states %v", states)
	}
	if open, _ = l.Instructions(false); len(open) != 0 {
		t.Errorf("still open: %+v", open)
	}
}

func TestReconcile(t *testing.T) {
	l, _ := openTest(t)
	seedSmall(t, l)
	saveTestUpstream(t, l, "oms", "")
	mustOrder(t, l, order("SO1", LineIn{"BOOK", 1}))
	// the OMS applied everything up to the first stock change: the rest is in flight
	page, _ := l.Outbox(0, 1)
	through := page.Events[0].Seq
	snap := StockSnapshot{Owner: DefaultOwner, At: time.Now(), AppliedThrough: through,
		Lines:      []OnHandLine{{SKU: "MILK", Lot: "L2", Qty: 10}, {SKU: "MILK", Lot: "L1", Qty: 50}, {SKU: "TEA", Qty: 3}},
		OpenOrders: []string{"SO1", "SO404"}}
	r, err := l.Reconcile(ctx, "oms", ReconcileRequest, snap)
	if err != nil {
		t.Fatal(err)
	}
	// in flight after `through`: MILK L1 +4 +48, BOOK +7, order SO1
	want := []ReconLine{{SKU: "MILK", Lot: "L1", Warehouse: 52, OMS: 102, Delta: -50}, {SKU: "TEA", Warehouse: 0, OMS: 3, Delta: -3}}
	if !slices.Equal(r.Lines, want) {
		t.Errorf("lines %+v, want %+v", r.Lines, want)
	}
	if !slices.Equal(r.OnlyThere, []string{"SO404"}) || len(r.OnlyHere) != 0 {
		t.Errorf("orders: only here %v, only there %v", r.OnlyHere, r.OnlyThere)
	}
	if r.Pending == 0 || r.Compared != 4 || r.ID == "" || r.Snapshot != nil {
		t.Errorf("report %+v", r)
	}
	got, err := l.ReconciliationByID(r.ID)
	if err != nil || got.ID != r.ID || len(got.Lines) != 2 {
		t.Fatalf("by id: %+v %v", got, err)
	}
	if _, err := l.ReconciliationByID("R999999"); err == nil {
		t.Error("an unknown report was found")
	}
	// the adjustment goes upstream; folded after the snapshot it makes both sides agree
	fold := map[StockKey]int64{}
	for _, ln := range snap.Lines {
		fold[StockKey{DefaultOwner, ln.SKU, ln.Lot}] += ln.Qty
	}
	rest, _ := l.Outbox(through, 1000)
	for _, o := range rest.Events {
		if o, ok := o.For("oms", ""); ok {
			raw, _ := json.Marshal(o.Data)
			lines, err := StockEffect(o.Type, o.Owner, raw)
			if err != nil {
				t.Fatal(err)
			}
			for _, ln := range lines {
				fold[StockKey{ln.Owner, ln.SKU, ln.Lot}] += ln.Qty
			}
		}
	}
	sameStock(t, "after the reconciliation", fold, onHandMap(t, l, DefaultOwner))
	// a second reconciliation against the corrected view finds nothing
	snap2 := StockSnapshot{Owner: DefaultOwner, At: time.Now(), AppliedThrough: rest.Last, OpenOrders: []string{"SO1"}}
	for k, q := range fold {
		if q != 0 {
			snap2.Lines = append(snap2.Lines, OnHandLine{SKU: k.SKU, Lot: k.Lot, Qty: q})
		}
	}
	r2, err := l.Reconcile(ctx, "oms", ReconcileSchedule, snap2)
	if err != nil || len(r2.Lines) != 0 || len(r2.OnlyHere)+len(r2.OnlyThere) != 0 {
		t.Errorf("second report %+v %v", r2, err)
	}
	list, _ := l.Reconciliations("oms", 10)
	if len(list) != 2 || list[0].ID != r2.ID {
		t.Errorf("list %+v", list)
	}
	// a report with no difference does not go upstream
	ev, _ := l.EventAt(mustSeq(t, r2.ID))
	if _, ok, _ := l.Outward(ev); ok {
		t.Error("an empty reconciliation goes upstream")
	}
	if _, err := l.Reconcile(ctx, "oms", ReconcileRequest, StockSnapshot{AppliedThrough: rest.Last + 100}); err == nil {
		t.Error("a snapshot that applied events this warehouse never wrote was taken")
	}
	if _, err := l.Reconcile(ctx, "oms", ReconcileRequest, StockSnapshot{Owner: "NOBODY"}); err == nil {
		t.Error("a snapshot of an unknown owner was taken")
	}
	if _, err := l.Reconcile(ctx, "oms", ReconcileRequest, StockSnapshot{Lines: []OnHandLine{{SKU: "", Qty: 1}}}); err == nil {
		t.Error("a snapshot line without a SKU was taken")
	}
}

func mustSeq(t *testing.T, id string) uint64 {
	t.Helper()
	var seq uint64
	for _, c := range id[1:] {
		seq = seq*10 + uint64(c-'0')
	}
	return seq
}

func TestAppendAll(t *testing.T) {
	l, _ := openTest(t)
	seedSmall(t, l)
	var evs []Event
	for i := range 3 {
		ev, err := NewEvent(fmt.Sprintf("bulk-%d", i), EvStockAdjusted, "system", "bench", StockAdjustment{SKU: "BOOK", Location: "A01-01-01", Delta: 1, Reason: "bench"})
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, ev)
	}
	before := qtyAt(t, l, "BOOK", "", "A01-01-01")
	if err := l.AppendAll(ctx, evs); err != nil {
		t.Fatal(err)
	}
	if got := qtyAt(t, l, "BOOK", "", "A01-01-01"); got != before+3 {
		t.Errorf("stock %d, want %d", got, before+3)
	}
	// all or none: a bad event leaves the good ones out
	bad, _ := NewEvent("bulk-bad", EvStockAdjusted, "system", "bench", StockAdjustment{SKU: "BOOK", Location: "A01-01-01", Delta: -1000, Reason: "bench"})
	good, _ := NewEvent("bulk-good", EvStockAdjusted, "system", "bench", StockAdjustment{SKU: "BOOK", Location: "A01-01-01", Delta: 1, Reason: "bench"})
	if err := l.AppendAll(ctx, []Event{good, bad}); err == nil {
		t.Fatal("a batch with an impossible event was taken")
	}
	if got := qtyAt(t, l, "BOOK", "", "A01-01-01"); got != before+3 {
		t.Errorf("a refused batch changed stock: %d", got)
	}
	if mm, err := l.Check(t.TempDir()); err != nil || len(mm) > 0 {
		t.Fatalf("check: %v %v", mm, err)
	}
}

// An open dead letter is on its way: a reconciliation does not adjust the
// upstream for it (a retry would then count it twice); once discarded, the
// next reconciliation does.
func TestReconcileCountsOpenDeadLettersAsOnTheirWay(t *testing.T) {
	l, _ := openTest(t)
	seedSmall(t, l)
	saveTestUpstream(t, l, "oms", "")
	page, _ := l.Outbox(0, 100)
	var fold = map[StockKey]int64{}
	var dead Outward
	for _, o := range page.Events {
		if o.Type == EvStockAdjusted && dead.ID == "" {
			dead = o // the OMS refused this one
			continue
		}
		raw, _ := json.Marshal(o.Data)
		lines, _ := StockEffect(o.Type, o.Owner, raw)
		for _, ln := range lines {
			fold[StockKey{ln.Owner, ln.SKU, ln.Lot}] += ln.Qty
		}
	}
	if err := l.RecordAck(ctx, SyncAck{Upstream: "oms", Through: page.Next, Acked: len(page.Events),
		Dead: []DeadLetter{{Seq: dead.Seq, ID: dead.ID, Type: dead.Type, Code: "sku.unknown", Reason: "x"},
			// a dead letter of an event with nothing for upstream (a fixture's, or one that changed since) moves nothing
			{Seq: 1, ID: "s1", Type: EvSKUUpserted, Code: "odd", Reason: "x"}}}); err != nil {
		t.Fatal(err)
	}
	snap := StockSnapshot{AppliedThrough: page.Next}
	for k, q := range fold {
		if q != 0 {
			snap.Lines = append(snap.Lines, OnHandLine{SKU: k.SKU, Lot: k.Lot, Qty: q})
		}
	}
	r, err := l.Reconcile(ctx, "oms", ReconcileRequest, snap)
	if err != nil || len(r.Lines) != 0 {
		t.Fatalf("with the dead letter open: %+v %v", r.Lines, err)
	}
	if _, err := l.DecideDeadLetter(ctx, "discard-it", DeadLetterDecision{Upstream: "oms", Seq: dead.Seq, Action: "discard"}, "B0001", "test"); err != nil {
		t.Fatal(err)
	}
	last, _ := l.Outbox(page.Next, 100)
	snap.AppliedThrough = last.Last
	r, err = l.Reconcile(ctx, "oms", ReconcileRequest, snap)
	if err != nil || len(r.Lines) != 1 || r.Lines[0].Delta != dead.Data.(OutStockChange).Delta {
		t.Errorf("after the discard: %+v %v", r.Lines, err)
	}
}
