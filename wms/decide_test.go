package wms

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

var errRollback = errors.New("roll back")

// A handheld asking for its next task appends an event without a task; the
// decider picks the head of the queue when appending and writes it into the
// stored event. The applier decides nothing: the same undecided event
// applied on its own (as a replay would) hands out no task.
func TestTaskClaimDecidedWhenAppended(t *testing.T) {
	l, _ := openTest(t)
	if _, err := l.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := l.SeedDemoOrders(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := l.ReleaseWave(ctx, WaveFilter{Mode: WaveSingle, MaxOrders: 3}, "decide-wave", "B4001", "web"); err != nil {
		t.Fatal(err)
	}
	var head string
	if err := l.view(func(tx *txn) error { head = firstPickable(tx); return nil }); err != nil || head == "" {
		t.Fatalf("no open task: %v", err)
	}
	undecided, err := NewEvent("claim-raw", EvTaskStarted, "B1002", "pda", TaskStart{})
	if err != nil {
		t.Fatal(err)
	}
	err = l.update(func(tx *txn) error {
		ev := undecided
		ev.Seq, ev.At = 1<<40, time.Now()
		if err := applyEvent(tx, &ev); err == nil {
			t.Errorf("the applier handed out a task for an undecided claim: %s", ev.Data)
		}
		return errRollback
	})
	if err != errRollback {
		t.Fatal(err)
	}
	task, err := l.NextTask(ctx, "B1001", "pda")
	if err != nil || task.ID != head {
		t.Fatalf("next task %q (%v), want the head of the queue %q", task.ID, err, head)
	}
	evs, err := l.EventsOfType(1, EvTaskStarted)
	if err != nil || len(evs) != 1 {
		t.Fatalf("task.started events: %v, %v", evs, err)
	}
	var p TaskStart
	if err := evs[0].DecodeData(&p); err != nil || p.Task != head {
		t.Errorf("the stored event says task %q (%v), want %q", p.Task, err, head)
	}
}

// The sessions sweep says in its event how many sessions it removed, decided
// when appended.
func TestSessionsSweepCountDecidedWhenAppended(t *testing.T) {
	l, clock := openTest(t)
	if _, err := l.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	for i, badge := range []string{"B1001", "B2001"} {
		if _, _, err := l.Login(ctx, badge, map[string]string{"B1001": "1111", "B2001": "2222"}[badge], "pda"); err != nil {
			t.Fatalf("%d: %v", i, err)
		}
	}
	clock.Add(30 * 24 * time.Hour)
	n, err := l.SweepSessions(ctx)
	if err != nil || n != 2 {
		t.Fatalf("swept %d (%v), want 2", n, err)
	}
	evs, err := l.EventsOfType(1, EvSessionsSwept)
	if err != nil || len(evs) != 1 {
		t.Fatalf("sessions.swept events: %v, %v", evs, err)
	}
	var p SessionsSwept
	if err := evs[0].DecodeData(&p); err != nil || p.Removed != 2 {
		t.Errorf("the stored sweep says %d removed (%v), want 2", p.Removed, err)
	}
}

// appendRecorded appends an event exactly as given, its decisions already
// recorded, without running its decider: what a log written earlier (under
// other rules) holds, applied as a rebuild would apply it.
func appendRecorded(t testing.TB, l *Ledger, id, typ, owner string, data any) Event {
	t.Helper()
	ev, err := NewEvent(id, typ, "B1001", "test", data)
	if err != nil {
		t.Fatal(err)
	}
	ev.Owner = owner
	l.stamp(&ev)
	err = l.update(func(tx *txn) error {
		events := tx.Bucket(bucketEvents)
		seq, err := events.NextSequence()
		if err != nil {
			return err
		}
		ev.Seq = seq
		if err := applyEvent(tx, &ev); err != nil {
			return err
		}
		raw, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		if err := events.Put(seqKey(seq), raw); err != nil {
			return err
		}
		return tx.Bucket(bucketEventIDs).Put([]byte(ev.ID), seqKey(seq))
	})
	if err != nil {
		t.Fatalf("append %s as recorded: %v", typ, err)
	}
	return ev
}
