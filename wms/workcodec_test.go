package wms

import (
	"bytes"
	"reflect"
	"testing"
	"time"
)

// The work projections' binary values read back as written, and a value
// cut short or of another version is refused, not misread.
func TestWorkCodecRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 11, 8, 30, 15, 123456789, time.UTC)
	h := HourWork{Counts: WorkCounts{Tasks: 1, Lines: -2, Units: 300, Moves: 9}, Features: Features{LinesFloor: 3, TravelSeq: 120},
		Direct: 90 * time.Second, Indirect: time.Second, First: at, Last: at.Add(time.Minute)}
	g := WorkGap{Actor: "B1001", From: at, To: at.Add(time.Hour), Kind: WorkPick, Unit: "T9", Owner: "BRAND", Same: true, Reason: "break", ReasonBy: "B4001"}
	u := WorkUnit{Actor: "B1001", Kind: WorkPack, Unit: "DEFAULT/SO1", Start: at, End: at.Add(time.Minute), Done: true, Direct: time.Minute,
		Features:  Features{Tasks: 1, Lines: 2, Units: 3, TravelMM: 5400, ZonePairs: map[string]ZonePair{"B>C": {1, 60}, "A>B": {2, 150}, "A>A": {3, 0}}},
		MisPicked: []int{2, 5}}
	w := workLast{At: at, Kind: WorkPick, Unit: "T9", Loc: "A01-01-01", Seq: 10, Zone: "A", Pos: true, X: 3000, Y: 1200}
	if got, err := decodeHourWork(h.encode()); err != nil || !reflect.DeepEqual(got, h) {
		t.Errorf("hour: %+v %v", got, err)
	}
	if got, err := decodeWorkGap(g.encode()); err != nil || !reflect.DeepEqual(got, g) {
		t.Errorf("gap: %+v %v", got, err)
	}
	if got, err := decodeWorkUnit(u.encode()); err != nil || !reflect.DeepEqual(got, u) {
		t.Errorf("unit: %+v %v", got, err)
	}
	if got, err := decodeWorkLast(w.encode()); err != nil || !reflect.DeepEqual(got, w) {
		t.Errorf("last: %+v %v", got, err)
	}
	if got, err := decodeHourWork(HourWork{}.encode()); err != nil || !reflect.DeepEqual(got, HourWork{}) {
		t.Errorf("zero hour: %+v %v", got, err)
	}
	// the pairs are written sorted: the same bytes whatever the map's order
	first := string(u.encode())
	for range 20 {
		if again := string(u.encode()); again != first {
			t.Fatal("an encoding differs between calls")
		}
	}
	raw := u.encode()
	// pairs out of order (or twice) are refused: "A>A" and "A>B" swapped
	if i, j := bytes.Index(raw, []byte("A>A")), bytes.Index(raw, []byte("A>B")); i < 0 || j < 0 {
		t.Fatalf("pairs not found in %x", raw)
	} else {
		swapped := append([]byte(nil), raw...)
		copy(swapped[i:], "A>B")
		copy(swapped[j:], "A>A")
		if _, err := decodeWorkUnit(swapped); err == nil {
			t.Error("pairs out of order were read")
		}
	}
	for _, bad := range [][]byte{nil, raw[:len(raw)-1], append([]byte{workCodecV1 - 1}, raw[1:]...), append([]byte{workCodecV1 + 1}, raw[1:]...), append(raw, 0)} {
		if _, err := decodeWorkUnit(bad); err == nil {
			t.Errorf("%x was read", bad)
		}
	}
}
