package wms

import (
	"encoding/json"
	"sync"
	"testing"
)

// A repeat of a key gets the first answer however the state moved on: a
// wave's key once its orders are gone, a scan's key once the task went on.
func TestRepeatedKeyAnswersTheFirstAnswer(t *testing.T) {
	l := stockFixture(t)
	mustOrder(t, l, order("SO1", LineIn{"BOOK", 3}))
	w1, err := l.ReleaseWave(ctx, WaveFilter{Mode: WaveSingle}, "wave:k1", "B4001", "web")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.ReleaseWave(ctx, WaveFilter{Mode: WaveSingle}, "wave:k2", "B4001", "web"); ErrorCode(err) != CodeNotFound {
		t.Fatalf("a fresh key with no orders left: %v", err)
	}
	task, _ := l.NextTask(ctx, "B1001", "pda-1")
	line := task.Lines[0]
	p := PickScan{Task: task.ID, Line: line.N, Location: line.Location, Items: []ScannedItem{{GTIN: line.GTINs[0]}}, Qty: 1}
	first, dup, err := l.Pick(ctx, "scan-1", p, "B1001", "pda-1")
	if err != nil || dup {
		t.Fatalf("pick: %v %v", dup, err)
	}
	if _, _, err := l.Pick(ctx, "scan-2", p, "B1001", "pda-1"); err != nil {
		t.Fatal(err)
	}
	again, dup, err := l.Pick(ctx, "scan-1", p, "B1001", "pda-1")
	if err != nil || !dup || string(again) != string(first) {
		t.Errorf("the first scan repeated after a second one: %v %v\n%s\nfirst\n%s", dup, err, again, first)
	}
	now, _ := l.TaskJSON(task.ID)
	if string(now) == string(first) {
		t.Error("the task did not move on, so the test proves nothing")
	}
	w1again, err := l.ReleaseWave(ctx, WaveFilter{Mode: WaveSingle}, "wave:k1", "B4001", "web")
	a, _ := json.Marshal(w1)
	b, _ := json.Marshal(w1again)
	if err != nil || string(a) != string(b) {
		t.Errorf("wave key repeated: %v\n%s\nfirst\n%s", err, b, a)
	}
	if mm, err := l.Check(t.TempDir()); err != nil || len(mm) > 0 {
		t.Errorf("check: %v %v", err, mm)
	}
}

// A key is bound to who sent it, what it was for and what was asked.
func TestKeyBoundToItsRequest(t *testing.T) {
	l := stockFixture(t)
	mustOrder(t, l, order("SO1", LineIn{"BOOK", 3}))
	mustOrder(t, l, order("SO2", LineIn{"BOOK", 1}))
	if _, err := l.CancelOrder(ctx, "SO1", "buyer", "c1", "B4001", "web"); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name       string
		no, reason string
		actor      string
		want       string
	}{
		{"the same again", "SO1", "buyer", "B4001", ""},
		{"another reason", "SO1", "seller", "B4001", "key.changed"},
		{"another order", "SO2", "buyer", "B4001", "key.other_request"},
		{"another person", "SO1", "buyer", "B4002", "key.other_actor"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o, err := l.CancelOrder(ctx, tc.no, tc.reason, "c1", tc.actor, "web")
			e, _ := AsError(err)
			switch {
			case tc.want == "" && (err != nil || o.No != "SO1"):
				t.Errorf("answer %s %v", o.No, err)
			case tc.want != "" && (e == nil || e.Key != tc.want || e.Code != CodeConflict):
				t.Errorf("got %v, want %s", err, tc.want)
			}
		})
	}
	if o, _ := l.Order("SO2"); o.State == OrderCancelled {
		t.Error("SO2 was cancelled by SO1's key")
	}
}

// Six calls with one key at once: one decides, five get its answer.
func TestConcurrentRepeatsGetOneAnswer(t *testing.T) {
	l := stockFixture(t)
	for _, no := range []string{"SO1", "SO2", "SO3"} {
		mustOrder(t, l, order(no, LineIn{"BOOK", 1}))
	}
	waves := make([]Wave, 6)
	errs := make([]error, 6)
	var wg sync.WaitGroup
	for i := range waves {
		wg.Add(1)
		go func() {
			defer wg.Done()
			waves[i], errs[i] = l.ReleaseWave(ctx, WaveFilter{Mode: WaveSingle, MaxOrders: 1}, "wave:six", "B4001", "web")
		}()
	}
	wg.Wait()
	for i := range waves {
		if errs[i] != nil || waves[i].ID != waves[0].ID || len(waves[i].Orders) != 1 {
			t.Errorf("call %d: %+v %v", i, waves[i], errs[i])
		}
	}
	if n := len(mustOrdersIn(t, l, OrderNew)); n != 2 {
		t.Errorf("%d orders still new, want 2", n)
	}
}

// An event appended before keys were recorded (no record beside it) is
// still answered, from the state, and still refused for another type.
func TestKeyOfAnEventWithoutRecord(t *testing.T) {
	l := stockFixture(t)
	mustOrder(t, l, order("SO1", LineIn{"BOOK", 1}))
	ev, _ := NewEvent("old-cancel", EvOrderCancelled, "B4001", "web", OrderCancel{No: "SO1", Reason: "buyer"})
	if _, _, err := l.Append(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if o, err := l.CancelOrder(ctx, "SO1", "buyer", "old-cancel", "B4001", "web"); err != nil || o.State != OrderCancelled {
		t.Errorf("repeat of an old key: %s %v", o.State, err)
	}
	if _, err := l.CancelOrder(ctx, "SO1", "buyer", "old-cancel", "B4002", "web"); ErrorCode(err) != CodeConflict {
		t.Errorf("another person with an old key: %v", err)
	}
	if _, err := l.ReleaseWave(ctx, WaveFilter{}, "old-cancel", "B4001", "web"); ErrorCode(err) != CodeConflict {
		t.Errorf("an old key for another type: %v", err)
	}
}

func mustOrdersIn(t *testing.T, l *Ledger, s OrderState) []Order {
	t.Helper()
	out, err := l.OrdersIn(s, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
