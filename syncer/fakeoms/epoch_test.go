package fakeoms

import (
	"strconv"
	"strings"
	"testing"
)

// epochEvent is event with the warehouse's epoch in its envelope.
func epochEvent(id string, seq, epoch int) string {
	e := event(id, seq)
	return strings.Replace(e, `"type"`, `"epoch":`+strconv.Itoa(epoch)+`,"type"`, 1)
}

func TestOlderEpochRefusedAfterAFailover(t *testing.T) {
	r := newRig(t)
	// before any promotion: no epoch and epoch 1 are the same
	if got, want := statuses(r.push(batch(event("a", 1), epochEvent("b", 2, 1)))), "a=accepted b=accepted"; got != want {
		t.Fatalf("epoch 1: %s, want %s", got, want)
	}
	// the promoted standby's first event raises the epoch; in the same batch
	// the old primary's late event (same seq, its own ID) is refused
	res := r.push(batch(epochEvent("new-3", 3, 2), event("old-3", 3), epochEvent("old-4", 4, 1)))
	if got, want := statuses(res), "new-3=accepted old-3=rejected old-4=rejected"; got != want {
		t.Fatalf("after the promotion: %s, want %s", got, want)
	}
	if res[1].Code != "event.stale_epoch" || !strings.Contains(res[1].Reason, "epoch 1 is older than epoch 2") {
		t.Errorf("refusal %+v", res[1])
	}
	// for good, across a restart; a repeat of an event taken before stays a duplicate
	r.close()
	r.open()
	if got, want := statuses(r.push(batch(event("a", 1), event("old-5", 5), epochEvent("new-4", 4, 2)))), "a=duplicate old-5=rejected new-4=accepted"; got != want {
		t.Fatalf("after a restart: %s, want %s", got, want)
	}
	if got := strings.Join(r.receivedIDs(), ","); got != "a,b,new-3,new-4" {
		t.Errorf("received %s", got)
	}
}
