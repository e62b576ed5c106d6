package wms

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

func fullTask() Task {
	at := time.Date(2026, 11, 11, 1, 2, 3, 0, time.UTC)
	end := at.Add(time.Hour)
	return Task{ID: "T1", Wave: "W1", Kind: TaskPick, Mode: WaveCluster, State: TaskActive, Priority: 2, Actor: "B1001", Device: "pda",
		Orders:  []TaskOrder{{Order: "SO1", Tote: "T00001"}},
		Lines:   []TaskLine{{N: 1, Order: "SO1", SKU: "MILK", Name: "飞鹤", GTINs: []string{"06901234567892"}, LotTracked: true, Lot: "L1", Location: "A01-01-01", Qty: 2, Done: 1}},
		Created: at, Started: &at, Finished: &end,
		Picks: []PickRecord{{Event: "e1", Line: 1, Lot: "L1", Location: "A01-01-01", Qty: 1, Serials: []string{"C1"}}}}
}

// Every field of Task is set above: a field added later must be added there
// too, or this fails and says so.
func TestFullTaskSetsEveryField(t *testing.T) {
	v := reflect.ValueOf(fullTask())
	for i := range v.NumField() {
		if v.Field(i).IsZero() && v.Type().Field(i).Name != "Location" && v.Type().Field(i).Name != "Reason" {
			t.Errorf("fullTask leaves %s unset", v.Type().Field(i).Name)
		}
	}
}

// A deep copy equals the original and shares nothing a change could reach.
func TestDeepCopyTask(t *testing.T) {
	orig := fullTask()
	c := deepCopy(orig)
	if !reflect.DeepEqual(orig, c) {
		t.Fatalf("copy differs:\n%+v\n%+v", orig, c)
	}
	c.Orders[0].Tote = "X"
	c.Lines[0].GTINs[0] = "X"
	c.Lines[0].Done = 99
	c.Picks[0].Serials[0] = "X"
	*c.Started = c.Started.Add(time.Hour)
	c.Picks = append(c.Picks, PickRecord{Event: "e2"})
	if !reflect.DeepEqual(orig, fullTask()) {
		t.Errorf("changing the copy changed the original: %+v", orig)
	}
}

// The memo answers what decoding the bytes gives, and only for those bytes.
func TestDecodeMemo(t *testing.T) {
	m := newDecodeMemo[Task](4)
	a := fullTask()
	rawA, _ := json.Marshal(a)
	m.remember("T1", rawA, a)
	got, err := m.decode("T1", rawA)
	if err != nil || !reflect.DeepEqual(got, a) {
		t.Fatalf("hit: %v %+v", err, got)
	}
	got.Lines[0].Done = 7 // an applier changing what it read
	again, _ := m.decode("T1", rawA)
	if again.Lines[0].Done != 1 {
		t.Errorf("a change to a handed-out task reached the memo")
	}
	b := fullTask()
	b.Lines[0].Done = 2
	rawB, _ := json.Marshal(b)
	if got, _ := m.decode("T1", rawB); got.Lines[0].Done != 2 {
		t.Errorf("other bytes under the same key gave the remembered task")
	}
	if _, err := m.decode("T2", []byte("{bad")); err == nil {
		t.Error("bad JSON decoded")
	}
	for i := range 10 { // stays bounded
		m.remember(string(rune('a'+i)), rawA, a)
	}
	if len(m.m) > 4 {
		t.Errorf("memo holds %d entries, bound 4", len(m.m))
	}
}
