package wms

import (
	"context"
	"slices"
	"testing"
	"time"
)

// A handheld that shares an API token and names itself (the load
// generator's "token:NAME/DEVICE") is a person in the figures; a bare
// token, the system, the command line and the syncer are not. A rebuild
// reproduces the projections.
func TestDeviceQualifiedTokenIsAPerson(t *testing.T) {
	for a, want := range map[string]bool{
		"B1": true, "token:loadgen/pda-03": true,
		"token:loadgen": false, "token:loadgen/": false, "token:/pda-03": false,
		"system": false, "cli": false, "sync:shop": false, "sync:shop/x": false, "": false,
	} {
		if got := isStaffActor(a); got != want {
			t.Errorf("isStaffActor(%q) = %v, want %v", a, got, want)
		}
	}
	l, clock := openTest(t)
	seedWork(t, l)
	ctx := context.Background()
	day := clock.Now()
	for i, actor := range []string{"token:loadgen/pda-01", "token:loadgen", "token:loadgen/pda-02", "cli", "token:loadgen/pda-01"} {
		clock.Add(time.Minute)
		if _, err := l.Receive(ctx, "r"+string(rune('a'+i)), Receiving{Receipt: "ASN1", SKU: "BOOK", Qty: 2, Location: "DOCK-01"}, actor, "pda"); err != nil {
			t.Fatal(err)
		}
	}
	f, err := l.Figures(FiguresQuery{From: day, To: clock.Now().Add(time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	var actors []string
	received := map[string]int64{}
	for _, p := range f.People {
		actors = append(actors, p.Actor)
		received[p.Actor] = p.Counts.UnitsReceived
	}
	if !slices.Equal(actors, []string{"token:loadgen/pda-01", "token:loadgen/pda-02"}) {
		t.Fatalf("people %v, want the two handhelds only", actors)
	}
	if received["token:loadgen/pda-01"] != 4 || received["token:loadgen/pda-02"] != 2 || f.Totals.Counts.UnitsReceived != 6 {
		t.Fatalf("units received %v, totals %d", received, f.Totals.Counts.UnitsReceived)
	}
	if mm, err := l.Check(t.TempDir()); err != nil || len(mm) != 0 {
		t.Fatalf("a rebuild differs: %v %+v", err, mm)
	}
}

func TestDeviceName(t *testing.T) {
	for actor, want := range map[string]string{"token:loadgen/pda-3": "pda-3 · loadgen", "token:loadgen": "", "B1001": "", "sync:oms": ""} {
		if got := deviceName(actor); got != want {
			t.Errorf("%s: %q, want %q", actor, got, want)
		}
	}
}
