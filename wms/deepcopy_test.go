package wms

import (
	"reflect"
	"testing"
	"time"
)

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
