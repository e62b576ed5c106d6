package wms

import (
	"bytes"
	"encoding/json"
	"testing"
)

// A scan's key record keeps the task it answered with in the task codec, and
// a repeat still gets byte for byte the first answer's JSON, in a single and
// in a cluster task, after the task moved on; a record written as JSON before
// reads as before; a standby stores what its primary stored, and one of an
// earlier version still gets the answer's JSON.
func TestKeyRecordCompactTaskAnswer(t *testing.T) {
	for _, mode := range []WaveMode{WaveSingle, WaveCluster} {
		t.Run(string(mode), func(t *testing.T) {
			l := stockFixture(t)
			mustOrder(t, l, order("SO1", LineIn{"BOOK", 2}))
			mustOrder(t, l, order("SO2", LineIn{"BOOK", 2}))
			mustWave(t, l, "w1", mode)
			task, err := l.NextTask(ctx, "B1001", "pda-1")
			if err != nil {
				t.Fatal(err)
			}
			scan := func(key string) (PickScan, json.RawMessage) {
				t.Helper()
				line, ok := task.NextLine()
				if !ok {
					t.Fatal("no line left")
				}
				p := PickScan{Task: task.ID, Line: line.N, Location: line.Location, Items: []ScannedItem{{GTIN: line.GTINs[0]}}, Qty: 1}
				if mode == WaveCluster {
					p.Tote = "T-" + line.Order
				}
				raw, dup, err := l.Pick(ctx, key, p, "B1001", "pda-1")
				if err != nil || dup {
					t.Fatalf("pick %s: %v %v", key, dup, err)
				}
				if err := json.Unmarshal(raw, &task); err != nil {
					t.Fatal(err)
				}
				return p, raw
			}
			p1, first := scan("scan-1")
			scan("scan-2")

			var stored []byte
			_ = l.view(func(tx *txn) error {
				stored = append(stored, tx.Bucket(bucketKeys).Get([]byte("scan-1"))...)
				return nil
			})
			rec, err := readKeyRecord(stored)
			if err != nil || stored[0] != keyCodecV1 || len(rec.Task) == 0 || rec.Answer != nil || rec.Seq == 0 {
				t.Fatalf("stored record %q: %+v %v", stored, rec, err)
			}
			if len(stored) >= len(first) {
				t.Errorf("the record (%d bytes) is not smaller than the answer's JSON (%d bytes)", len(stored), len(first))
			}
			again, dup, err := l.Pick(ctx, "scan-1", p1, "B1001", "pda-1")
			if err != nil || !dup || !bytes.Equal(again, first) {
				t.Fatalf("repeat: %v %v\n%s\nfirst\n%s", dup, err, again, first)
			}
			if now, _ := l.TaskJSON(task.ID); bytes.Equal(now, first) {
				t.Fatal("the task did not move on, so the test proves nothing")
			}

			// a standby: the primary's bytes; one of an earlier version: the answer's JSON
			j, _, err := replicaKeyJSON(stored)
			if err != nil {
				t.Fatal(err)
			}
			var old struct {
				Seq    uint64          `json:"seq"`
				Answer json.RawMessage `json:"answer"`
			}
			if err := json.Unmarshal(j, &old); err != nil || old.Seq != rec.Seq || !bytes.Equal(old.Answer, first) {
				t.Errorf("replica record for an earlier standby: %v\n%s", err, j)
			}
			if got, _, err := standbyRecord(j); err != nil || !bytes.Equal(got, stored) {
				t.Errorf("standby stores %q (%v), the primary %q", got, err, stored)
			}

			// a record written as JSON by an earlier version
			oldRec := rec
			oldRec.Task, oldRec.Answer = nil, first
			oldJSON, err := keyRecordJSON(oldRec)
			if err != nil {
				t.Fatal(err)
			}
			if err := l.write(func(tx *txn) error { return tx.Bucket(bucketKeys).Put([]byte("scan-1"), oldJSON) }); err != nil {
				t.Fatal(err)
			}
			if again, dup, err := l.Pick(ctx, "scan-1", p1, "B1001", "pda-1"); err != nil || !dup || !bytes.Equal(again, first) {
				t.Errorf("repeat from a JSON record: %v %v\n%s", dup, err, again)
			}
			if j, _, err := replicaKeyJSON(oldJSON); err != nil || !bytes.Equal(j, oldJSON) {
				t.Errorf("a JSON record is not sent as it is stored: %v\n%s", err, j)
			}
			if got, _, err := standbyRecord(oldJSON); err != nil || !bytes.Equal(got, encodeKeyRecord(oldRec)) {
				t.Errorf("a JSON record from an earlier primary stored as %q (%v)", got, err)
			}
			// the same key for other content is still refused
			p1.Qty = 2
			if _, _, err := l.Pick(ctx, "scan-1", p1, "B1001", "pda-1"); ErrorCode(err) != CodeConflict {
				t.Errorf("key reused for another scan: %v", err)
			}
		})
	}
}

// Every answer kind reads back as it was written; a record that does not
// read is damage, not an answer.
func TestKeyRecordCodec(t *testing.T) {
	for _, r := range []keyRecord{
		{Actor: "B1001", Type: EvPicked, Target: "W1-1", Digest: "d", Seq: 7, Task: encodeTask(&Task{ID: "W1-1"})},
		{Actor: "B1001", Type: EvWaveReleased, Target: "", Digest: "d", Seq: 8, Answer: json.RawMessage(`{"id":"W1"}`)},
		{Actor: "api", Type: EvOrderReceived, Target: "SO1", Digest: "d", Seq: 1 << 40},
	} {
		got, err := readKeyRecord(encodeKeyRecord(r))
		if err != nil || got.Actor != r.Actor || got.Type != r.Type || got.Target != r.Target || got.Digest != r.Digest ||
			got.Seq != r.Seq || !bytes.Equal(got.Task, r.Task) || !bytes.Equal(got.Answer, r.Answer) || got.answered() != r.answered() {
			t.Errorf("%+v read back as %+v (%v)", r, got, err)
		}
	}
	good := encodeKeyRecord(keyRecord{Actor: "a", Type: EvPicked, Digest: "d", Seq: 1, Answer: json.RawMessage(`{}`)})
	for _, bad := range [][]byte{{0x00}, good[:len(good)-1], append(append([]byte{}, good...), 0), {keyCodecV1, 0, 0, 0, 0, 2, 9}} {
		if _, err := readKeyRecord(bad); err == nil {
			t.Errorf("%q read as a record", bad)
		}
	}
}

// A scan's first call leaves the task its answer was made from in the note
// (its JSON is the answer); a repeat leaves the note empty.
func TestTaskNote(t *testing.T) {
	l := stockFixture(t)
	mustOrder(t, l, order("SO1", LineIn{"BOOK", 2}))
	mustWave(t, l, "w1", WaveSingle)
	task, err := l.NextTask(ctx, "B1001", "pda-1")
	if err != nil {
		t.Fatal(err)
	}
	line, _ := task.NextLine()
	p := PickScan{Task: task.ID, Line: line.N, Location: line.Location, Items: []ScannedItem{{GTIN: line.GTINs[0]}}, Qty: 1}
	c1, n1 := WithTaskNote(ctx)
	raw, _, err := l.Pick(c1, "scan-1", p, "B1001", "pda-1")
	if err != nil {
		t.Fatal(err)
	}
	got, ok := n1.Task()
	j, _ := json.Marshal(&got)
	if !ok || !bytes.Equal(j, raw) || got.Lines[0].Done != 1 {
		t.Errorf("note: %v\n%s\nanswer\n%s", ok, j, raw)
	}
	c2, n2 := WithTaskNote(ctx)
	if again, dup, err := l.Pick(c2, "scan-1", p, "B1001", "pda-1"); err != nil || !dup || !bytes.Equal(again, raw) {
		t.Fatalf("repeat: %v %v", dup, err)
	}
	if _, ok := n2.Task(); ok {
		t.Error("a repeat left a task in the note")
	}
	var none *TaskNote
	if _, ok := none.Task(); ok {
		t.Error("no note, a task")
	}
}
