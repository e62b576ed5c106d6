package wms

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// A payload decoded ahead is handed out once per prepared value: what each
// decode gets equals json.Unmarshal's answer even when an earlier caller
// changed the value it got (the copy shares nothing with it), a decode
// past the prepared values or into another type decodes the JSON.
func TestDecodeAheadHandsOutIndependentValues(t *testing.T) {
	ev, err := NewEvent("o1", EvOrderReceived, "token:oms", "pda", OrderIntake{No: "SO-1", Channel: "tmall",
		PlatformOrderIDs: []string{"P1", "P2"}, Lines: OrderLines(LineIn{SKU: "BOOK", Qty: 2}, LineIn{SKU: "MILK", Qty: 1})})
	if err != nil {
		t.Fatal(err)
	}
	var want OrderIntake
	if err := json.Unmarshal(ev.Data, &want); err != nil {
		t.Fatal(err)
	}
	prepareAhead(&ev)
	if len(ev.ahead) != 2 {
		t.Fatalf("%d values prepared, want the value and a copy", len(ev.ahead))
	}
	for i := range 3 {
		var got OrderIntake
		if err := decode(&ev, &got); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("decode %d: %+v, want %+v", i, got, want)
		}
		got.Lines[0].Qty = 99 // what an applier may do to its own value
		got.PlatformOrderIDs[0] = "changed"
	}
	for _, v := range ev.ahead {
		if v != nil {
			t.Fatalf("a prepared value was not handed out: %+v", v)
		}
	}
	// another type than the catalogue's: decoded from the JSON
	ev2, _ := NewEvent("o2", EvOrderReceived, "token:oms", "pda", OrderIntake{No: "SO-2", Lines: OrderLines(LineIn{SKU: "X", Qty: 3})})
	prepareAhead(&ev2)
	var part struct {
		No string `json:"no"`
	}
	if err := decode(&ev2, &part); err != nil || part.No != "SO-2" {
		t.Fatalf("decode into another type: %+v, %v", part, err)
	}
	if ev2.ahead[0] == nil {
		t.Fatal("a decode into another type took the prepared value")
	}
	// a payload that does not decode as its type is left to the applier, which says so
	bad := Event{Type: EvOrderReceived, Data: json.RawMessage(`{"lines":"nope"}`)}
	prepareAhead(&bad)
	if bad.ahead != nil {
		t.Fatal("a payload that does not decode was prepared")
	}
	var in OrderIntake
	if err := decode(&bad, &in); err == nil {
		t.Fatal("decode of a bad payload: no error")
	}
}

func TestAheadCopyable(t *testing.T) {
	for _, c := range []struct {
		v    any
		want bool
	}{
		{OrderIntake{}, true},
		{StockAdjustment{}, true},
		{struct{ A []string }{}, true},
		{struct{ a int }{}, false},
		{struct{ A []struct{ b int } }{}, false},
		{struct{ A any }{}, false},
		{struct{ A [2][]int }{}, false},
		{struct{ A [2]int }{}, true},
	} {
		if got := aheadCopyable(reflect.TypeOf(c.v)); got != c.want {
			t.Errorf("%T: copyable %v, want %v", c.v, got, c.want)
		}
	}
	for _, s := range catalogue { // every payload is decoded ahead at least once
		if s.Payload == nil {
			t.Errorf("%s: no payload type", s.Type)
		}
	}
}

// The decoder stops when told, mid-chunk, and wait returns once it has.
func TestDecodeAheadStops(t *testing.T) {
	ev, _ := NewEvent("a", EvStockAdjusted, "B1001", "pda", StockAdjustment{SKU: "BOOK", Location: "A01-01-01", Delta: 1, Reason: "t"})
	raw, _ := json.Marshal(ev)
	raws := make([]storedEvent, 50*aheadBatch)
	for i := range raws {
		raws[i] = storedEvent{seq: uint64(i + 1), raw: raw}
	}
	stop := make(chan struct{})
	batches, wait := decodeAhead(raws, stop)
	first := <-batches
	if len(first) != aheadBatch || first[0].err != nil || first[0].seq != 1 || first[0].ev.ID != "a" {
		t.Fatalf("first batch: %d events, %+v", len(first), first[0])
	}
	close(stop)
	done := make(chan struct{})
	go func() { wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the decoder did not stop")
	}
}

// An event mid-chunk that does not decode, or that its applier refuses,
// fails the replay with the event's seq, and the chunk it is in leaves
// nothing: the chunks before it are committed, none of its events' writes.
func TestReplayFailingEventMidChunk(t *testing.T) {
	smallChunks(t, 7)
	for _, c := range []struct {
		name, raw, says string
	}{
		{"undecodable", `{"id":"x","seq":%d,"type":"stock.adjusted","at":"2026-01-01T00:00:00Z","data":{`, "event %d:"},
		{"refused", `{"id":"x","seq":%d,"type":"stock.adjusted","actor":"B1001","at":"2026-01-01T00:00:00Z","data":{"sku":"NOSUCH","location":"A01-01-01","delta":1,"reason":"t"}}`, "event %d (stock.adjusted x)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			l, err := Open(t.TempDir(), Options{Zone: time.FixedZone("CST", 8*3600)})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			seedSmall(t, l)
			var evs []Event
			for i := range 20 {
				ev, err := NewEvent(fmt.Sprintf("adj-%d", i), EvStockAdjusted, "B1001", "test",
					StockAdjustment{SKU: "BOOK", Location: "A01-01-02", Delta: 1, Reason: "test"})
				if err != nil {
					t.Fatal(err)
				}
				evs = append(evs, ev)
			}
			if err := l.AppendAll(context.Background(), evs); err != nil {
				t.Fatal(err)
			}
			bad := l.LastSeq() + 1
			if err := l.db.Update(func(b *bolt.Tx) error {
				return b.Bucket(bucketEvents).Put(seqKey(bad), fmt.Appendf(nil, c.raw, bad))
			}); err != nil {
				t.Fatal(err)
			}
			scratch, done, err := openScratchFile(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			defer done()
			err = l.view(func(src *txn) error { return replayInto(src, scratch) })
			if err == nil || !strings.Contains(err.Error(), fmt.Sprintf(c.says, bad)) {
				t.Fatalf("replay: %v, want it to say %q", err, fmt.Sprintf(c.says, bad))
			}
			committed := (bad - 1) / 7 * 7 // the chunks before the bad event's
			var n uint64
			_ = scratch.View(func(b *bolt.Tx) error {
				n = uint64(b.Bucket(bucketByType).Stats().KeyN)
				return nil
			})
			if n != committed {
				t.Fatalf("scratch has %d events applied, want the %d of the chunks before event %d", n, committed, bad)
			}
		})
	}
}
