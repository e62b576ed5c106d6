package wms

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"
)

// replicateAll copies the primary's log to the standby a page at a time, as
// the follower does over HTTP (through JSON, so what goes on the wire is
// what arrives).
func replicateAll(t *testing.T, primary, standby *Ledger, limit int) {
	t.Helper()
	if err := replicateOnce(primary, standby, limit); err != nil {
		t.Fatal(err)
	}
}

func replicateOnce(primary, standby *Ledger, limit int) error {
	for {
		after := standby.LastSeq()
		page, err := primary.ReplicationPage(after, limit)
		if err != nil {
			return err
		}
		if len(page.Events) == 0 {
			return nil
		}
		raw, err := json.Marshal(page)
		if err != nil {
			return err
		}
		var wire ReplicaPage
		if err := json.Unmarshal(raw, &wire); err != nil {
			return err
		}
		if _, err := standby.Replicate(context.Background(), wire.Events); err != nil {
			return fmt.Errorf("replicate after %d: %w", after, err)
		}
	}
}

// sameState compares the two stores' logs and projections byte for byte.
func sameState(t *testing.T, a, b *Ledger) {
	t.Helper()
	err := a.view(func(ta *txn) error {
		return b.view(func(tb *txn) error {
			for _, name := range append(append([][]byte{}, derivedBuckets...), bucketEvents, bucketEventIDs, bucketKeys, bucketKeySeqs) {
				for _, m := range diffBuckets(string(name), ta.Tx.Bucket(name), tb.Tx.Bucket(name)) {
					t.Errorf("standby differs: %s", m)
				}
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestStandbyFollowsAndPromotes(t *testing.T) {
	ctx := context.Background()
	primary, _ := openTest(t)
	standby, _ := openTest(t)
	if _, err := primary.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := primary.SeedDemoOrders(ctx); err != nil {
		t.Fatal(err)
	}
	token, _, err := primary.Login(ctx, "B1001", "1111", "pda-1")
	if err != nil {
		t.Fatal(err)
	}
	if err := standby.Follow("http://primary:8080"); err != nil {
		t.Fatal(err)
	}

	// the primary under concurrent writers while the standby follows
	var wg sync.WaitGroup
	done := make(chan struct{})
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 30 {
				ev, _ := NewEvent(fmt.Sprintf("w%d-%d", w, i), EvLoginFailed, "", "pda", LoginFailed{Badge: "B7777", Reason: "login.unknown_badge"})
				if _, _, err := primary.Append(ctx, ev); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	followed := make(chan int)
	go func() {
		pages := 0
		defer func() { followed <- pages }()
		for {
			select {
			case <-done:
				return
			default:
				if err := replicateOnce(primary, standby, 7); err != nil {
					t.Error(err)
					return
				}
				pages++
			}
		}
	}()
	if _, err := primary.ReleaseWave(ctx, WaveFilter{Mode: WaveSingle, MaxOrders: 5}, "wave-1", "B4001", "test"); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(done)
	if n := <-followed; n == 0 {
		t.Fatal("the standby never followed while the primary was written")
	}
	replicateAll(t, primary, standby, 50)
	if standby.LastSeq() != primary.LastSeq() {
		t.Fatalf("standby at %d, primary at %d", standby.LastSeq(), primary.LastSeq())
	}
	sameState(t, primary, standby)

	// a resend is skipped; a gap and another log's event are refused
	page, err := primary.ReplicationPage(0, 5)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := standby.Replicate(ctx, page.Events); err != nil || n != 0 {
		t.Fatalf("resend: %d appended, %v", n, err)
	}
	gap := page.Events[4]
	gap.Event.ID, gap.Event.Seq = "other", standby.LastSeq()+2
	if _, err := standby.Replicate(ctx, []ReplicaEvent{gap}); ErrorCode(err) != CodeConflict {
		t.Fatalf("a gap: %v", err)
	}
	moved := page.Events[0]
	moved.Event.Seq = standby.LastSeq() + 1
	if _, err := standby.Replicate(ctx, []ReplicaEvent{moved}); ErrorCode(err) != CodeConflict {
		t.Fatalf("a known ID at another seq: %v", err)
	}

	// while following: reads work (the primary's session too), writes are refused
	if _, err := standby.SessionPrincipal(token); err != nil {
		t.Fatalf("the primary's session on the standby: %v", err)
	}
	if _, _, err := standby.Login(ctx, "B1001", "1111", "pda-1"); ErrorCode(err) != CodeStandby {
		t.Fatalf("a login on the standby: %v", err)
	}
	ev, _ := NewEvent("x-1", EvLoginFailed, "", "pda", LoginFailed{Badge: "B7777", Reason: "login.unknown_badge"})
	if _, _, err := standby.Append(ctx, ev); ErrorCode(err) != CodeStandby {
		t.Fatalf("an append on the standby: %v", err)
	}

	// promote: epoch 2 on every later event; following ends
	before := standby.LastSeq()
	p, err := standby.Promote(ctx, "B9001", "cli")
	if err != nil {
		t.Fatal(err)
	}
	if p.Epoch != 2 || p.LastSeq != before || standby.Epoch() != 2 {
		t.Fatalf("promoted %+v, epoch %d", p, standby.Epoch())
	}
	if _, ok := standby.Following(); ok {
		t.Fatal("still following after the promotion")
	}
	if _, err := standby.Replicate(ctx, page.Events); ErrorCode(err) != CodeConflict {
		t.Fatalf("replicate after the promotion: %v", err)
	}
	stored, _, err := standby.Append(ctx, ev)
	if err != nil || stored.Epoch != 2 || stored.Seq != before+2 {
		t.Fatalf("first write after the promotion: %+v %v", stored, err)
	}
	if _, err := standby.Promote(ctx, "B9001", "cli"); ErrorCode(err) != CodeConflict {
		t.Fatalf("promote a primary: %v", err)
	}
	// the old primary's events stay without an epoch: they hash as before
	old, _ := primary.EventByID("w0-0")
	if raw, _ := json.Marshal(old); bytes.Contains(raw, []byte(`"epoch"`)) {
		t.Fatalf("an epoch-1 event carries its epoch: %s", raw)
	}

	// a second standby follows the promoted one: the epoch comes with the log
	third, _ := openTest(t)
	if err := third.Follow("http://standby:8080"); err != nil {
		t.Fatal(err)
	}
	replicateAll(t, standby, third, 100)
	sameState(t, standby, third)
	if third.Epoch() != 2 {
		t.Fatalf("the third node's epoch is %d", third.Epoch())
	}
	// and refuses the old primary's later events (a lower epoch)
	if _, _, err := primary.Append(ctx, mustEvent(t, "late-1")); err != nil {
		t.Fatal(err)
	}
	lp, err := primary.ReplicationPage(primary.LastSeq()-1, 1)
	if err != nil {
		t.Fatal(err)
	}
	lp.Events[0].Event.Seq = third.LastSeq() + 1
	if _, err := third.Replicate(ctx, lp.Events); ErrorCode(err) != CodeConflict {
		t.Fatalf("an older epoch's event: %v", err)
	}
}

// A client's Idempotency-Key is not its event's ID (an order's event is
// named by the order, a hold's by the order's holds): its first answer
// reaches the standby with the event, so after a promotion a retry is
// answered as the old primary would have answered it, and the key stays
// bound to its request.
func TestStandbyKeepsClientKeysAcrossAFailover(t *testing.T) {
	primary := stockFixture(t)
	standby, _ := openTest(t)
	if err := standby.Follow("http://primary:8080"); err != nil {
		t.Fatal(err)
	}
	in := order("SO1", LineIn{"BOOK", 1})
	first, dup, err := primary.ReceiveOrder(ctx, "oms-key-1", in, "oms", "api")
	if err != nil || dup {
		t.Fatalf("first: %v %v", dup, err)
	}
	books := primary.Books(DefaultOwner)
	held, err := books.HoldOrder(ctx, "SO1", true, "地址待确认", "erp-hold-1", "erp", "qimen")
	if err != nil || !held.Held {
		t.Fatalf("hold: %+v %v", held, err)
	}
	batch := []OrderIntake{order("SO3", LineIn{"BOOK", 1}), order("SO4", LineIn{"BOOK", 1})}
	firstBatch, err := primary.ReceiveOrders(ctx, "oms-batch-1", batch, "oms", "api")
	if err != nil || firstBatch.Created != 2 {
		t.Fatalf("batch: %+v %v", firstBatch, err)
	}
	replicateAll(t, primary, standby, 3)
	sameState(t, primary, standby)
	if _, err := standby.Promote(ctx, "B9001", "cli"); err != nil {
		t.Fatal(err)
	}
	sb := standby.Books(DefaultOwner)
	// the order is released from hold on the new primary
	if _, err := sb.HoldOrder(ctx, "SO1", false, "", "erp-restore-1", "erp", "qimen"); err != nil {
		t.Fatal(err)
	}
	seq := standby.LastSeq()

	// retries of the old primary's keys: the first answers, nothing decided again
	again, dup, err := standby.ReceiveOrder(ctx, "oms-key-1", in, "oms", "api")
	if err != nil || dup {
		t.Fatalf("order retry after the failover: dup %v, %v (the first answer said new)", dup, err)
	}
	sameJSON(t, "order retry", again, first)
	heldAgain, err := sb.HoldOrder(ctx, "SO1", true, "地址待确认", "erp-hold-1", "erp", "qimen")
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "hold retry", heldAgain, held)
	againBatch, err := standby.ReceiveOrders(ctx, "oms-batch-1", batch, "oms", "api")
	if err != nil || againBatch.Created != 2 {
		t.Fatalf("batch retry after the failover: %+v %v (the first answer created both)", againBatch, err)
	}
	sameJSON(t, "batch retry", againBatch, firstBatch)
	if standby.LastSeq() != seq {
		t.Fatalf("retries appended %d events", standby.LastSeq()-seq)
	}
	if o, _ := sb.Order("SO1"); o.Held {
		t.Fatal("a retried hold held the order again")
	}
	// a key reused for another request is refused there too
	if _, _, err := standby.ReceiveOrder(ctx, "oms-key-1", order("SO2", LineIn{"BOOK", 1}), "oms", "api"); ErrorCode(err) != CodeConflict {
		t.Fatalf("key reused for another order: %v", err)
	}
	if _, err := sb.HoldOrder(ctx, "SO1", true, "another reason", "erp-hold-1", "erp", "qimen"); ErrorCode(err) != CodeConflict {
		t.Fatalf("key reused with another reason: %v", err)
	}

	// a page with a key bound to another event is refused
	page, err := primary.ReplicationPage(0, ReplicaMaxLimit)
	if err != nil {
		t.Fatal(err)
	}
	var bad []ReplicaEvent
	for _, re := range page.Events {
		if len(re.Keys) > 0 {
			bad = append(bad, re)
		}
	}
	if len(bad) != 2 || bad[0].Event.Type != EvOrderReceived || bad[1].Event.Type != EvOrderReceived {
		t.Fatalf("%d events carry other keys, want the order's and the batch's last (a hold with a key is named by it)", len(bad))
	}
	fresh, _ := openTest(t)
	if err := fresh.Follow("http://primary:8080"); err != nil {
		t.Fatal(err)
	}
	wrong := page.Events[0]
	wrong.Keys = bad[0].Keys
	if _, err := fresh.Replicate(ctx, []ReplicaEvent{wrong}); ErrorCode(err) != CodeInvalid {
		t.Fatalf("a key of another event: %v", err)
	}
}

func mustEvent(t *testing.T, id string) Event {
	t.Helper()
	ev, err := NewEvent(id, EvLoginFailed, "", "pda", LoginFailed{Badge: "B7777", Reason: "login.unknown_badge"})
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestStandbyRefusesAStoreOfItsOwn(t *testing.T) {
	l, _ := openTest(t)
	mustAppend(t, l, "e1", EvLoginFailed, LoginFailed{Badge: "B7777", Reason: "login.unknown_badge"})
	if err := l.Follow("http://primary:8080"); ErrorCode(err) != CodeConflict {
		t.Fatalf("follow with events of its own: %v", err)
	}
	if _, err := l.Promote(context.Background(), "B9001", "cli"); ErrorCode(err) != CodeConflict {
		t.Fatalf("promote a primary: %v", err)
	}
	if err := l.Follow(""); ErrorCode(err) != CodeInvalid {
		t.Fatalf("follow nobody: %v", err)
	}
}

func TestStandbyMarkSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Follow("http://primary:8080"); err != nil {
		t.Fatal(err)
	}
	l.Close()
	l, err = Open(dir, Options{OpenTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if p, ok := l.Following(); !ok || p != "http://primary:8080" {
		t.Fatalf("after reopening: %q %v", p, ok)
	}
	if _, err := l.CreateToken(context.Background(), "x", RoleReplica, "cli"); ErrorCode(err) != CodeStandby {
		t.Fatalf("a token made on a standby: %v", err)
	}
}
