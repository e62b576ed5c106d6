package wms

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// TestCalibrationRecoversKnownCoefficients: a history made from known pick
// coefficients (allowance included), people working at speeds around 100 %
// and ±5 % noise per task, is fitted back to the coefficients within 3 %.
func TestCalibrationRecoversKnownCoefficients(t *testing.T) {
	truth := DefaultStandards()
	truth.Pick = PickStandard{Task: 25, LineWaist: 7, LineHighLo: 13, LineFloor: 18, Unit: 2.5, Step: 1.2, ZoneChange: 30, Metre: 0.9}
	rng := rand.New(rand.NewPCG(7, 11))
	speeds := []float64{0.85, 0.92, 0.97, 1, 1.03, 1.08, 1.15} // the median person is at 1
	var units []WorkUnit
	for i := range 42000 {
		f := Features{Tasks: 1, LinesWaist: int64(rng.IntN(8)), LinesHighLow: int64(rng.IntN(5)), LinesFloor: int64(rng.IntN(3)),
			TravelSeq: int64(rng.IntN(2000)), ZoneChanges: int64(rng.IntN(3)), TravelMM: int64(rng.IntN(30000))}
		f.Units = f.LinesWaist + f.LinesHighLow + f.LinesFloor + int64(rng.IntN(10))
		p := i % len(speeds)
		direct := truth.Earned(WorkPick, f) / speeds[p] * (1 + (rng.Float64()-0.5)*0.1)
		units = append(units, WorkUnit{Actor: fmt.Sprint("B", p), Kind: WorkPick, Done: true, Features: f,
			Direct: time.Duration(direct * float64(time.Second))})
	}
	// a temporary person, very slow, is left out of the fit and the median
	for range 300 {
		f := Features{Tasks: 1, LinesWaist: 3, Units: 3}
		units = append(units, WorkUnit{Actor: "T1", Kind: WorkPick, Done: true, Features: f, Direct: time.Duration(3 * truth.Earned(WorkPick, f) * float64(time.Second))})
	}
	c, err := fitStandards(units, WorkPick, DefaultStandards(), map[string]bool{"T1": true})
	if err != nil {
		t.Fatal(err)
	}
	got, want := c.Proposed.coefs(WorkPick), truth.coefs(WorkPick)
	for j := range want {
		if math.Abs(got[j]-want[j]) > 0.03*want[j] {
			t.Errorf("coefficient %d: got %v, want %v ± 3 %%", j, got[j], want[j])
		}
	}
	if c.People != len(speeds) || c.R2 < 0.8 || c.N != 42000 {
		t.Errorf("people %d r2 %v n %d", c.People, c.R2, c.N)
	}
	if c.Proposed.Pack != c.Current.Pack || c.Proposed.AllowancePct != 12 {
		t.Error("calibrating picks changed other standards")
	}
	if _, err := fitStandards(units[:5], WorkPick, DefaultStandards(), nil); ErrorCode(err) != CodeInvalid {
		t.Errorf("five units: %v", err)
	}
}

// TestCalibrateReadsFinishedUnits runs Calibrate over a ledger's history:
// moves made through the command; one person, so the proposed standard
// earns exactly the mean move's direct time (100 %).
func TestCalibrateReadsFinishedUnits(t *testing.T) {
	l, clock := openTest(t)
	seedWork(t, l)
	from := clock.Now()
	for i := range 40 {
		clock.Add(time.Second)
		qty := int64(1 + i%4)
		if _, err := l.MoveStock(ctx, fmt.Sprint("m", i), Move{SKU: "BOOK", From: []string{"A01-01-01", "A01-01-02"}[i%2], To: []string{"A01-01-02", "A01-01-01"}[i%2], Qty: 1}, "B1", "pda"); err != nil {
			t.Fatal(err)
		}
		clock.Add(time.Duration(20+10*qty) * time.Second)
	}
	c, err := l.Calibrate(from, clock.Now().Add(time.Hour), WorkMove)
	if err != nil {
		t.Fatal(err)
	}
	if c.N != 39 { // the first move has no interval before it
		t.Fatalf("n %d", c.N)
	}
	units, _ := l.PersonUnits("B1", from, clock.Now().Add(time.Hour))
	var sum time.Duration
	for _, u := range units {
		sum += u.Direct
	}
	mean := sum.Seconds() / float64(c.N)
	if got := c.Proposed.Earned(WorkMove, Features{Tasks: 1, Lines: 1, Units: 1}); math.Abs(got-mean) > 0.01 {
		t.Fatalf("proposed standard earns %v a move, the mean move took %v", got, mean)
	}
	if _, err := l.Calibrate(from, from, WorkMove); ErrorCode(err) != CodeInvalid {
		t.Fatalf("empty range: %v", err)
	}
	if _, err := l.Calibrate(from, clock.Now(), "nap"); ErrorCode(err) != CodeInvalid {
		t.Fatalf("unknown kind: %v", err)
	}
}
