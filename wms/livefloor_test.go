package wms

import (
	"testing"
	"time"
)

func mustLive(t *testing.T, l *Ledger) LiveFloor {
	t.Helper()
	f, err := l.LiveFloor()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func backlogOf(f LiveFloor, carrier string) (CarrierBacklog, int) {
	for i, b := range f.Backlog {
		if b.Carrier == carrier {
			return b, i
		}
	}
	return CarrierBacklog{}, -1
}

func TestLiveFloor(t *testing.T) {
	l, clock := openTest(t)
	seedSmall(t, l)
	hash, err := HashPIN("1111")
	if err != nil {
		t.Fatal(err)
	}
	mustAppend(t, l, "staff-p", EvStaffUpserted, StaffChange{Badge: "B1001", Name: "李娜", Role: RolePicker, PINHash: hash})
	mustAppend(t, l, "staff-s", EvStaffUpserted, StaffChange{Badge: "B4001", Name: "赵敏", Role: RoleSupervisor, PINHash: hash})
	settings, _ := l.Settings()
	settings.Cutoffs = map[string]string{"SF": "17:00", "JD": "18:00"}
	if _, err := l.ChangeSettings(ctx, "cut", settings, "B4001", "web"); err != nil {
		t.Fatal(err)
	}
	sf := order("SO1", LineIn{"BOOK", 1})
	sf.Carrier = "SF"
	jd := order("SO2", LineIn{"BOOK", 2})
	jd.Carrier = "JD"
	mustOrder(t, l, sf)
	mustOrder(t, l, jd)

	before := mustLive(t, l)
	if before.RateLines != 0 || len(before.Waves) != 0 || len(before.Backlog) != 2 {
		t.Fatalf("before any wave: %+v", before)
	}
	if b, i := backlogOf(before, "SF"); i != 0 || b.Lines != 1 || b.Orders != 1 || b.Cutoff != "17:00" || b.Finish != nil || b.Late {
		t.Errorf("SF before: %d %+v", i, b)
	}
	// 17:00 in Shanghai is 09:00 UTC
	if b, _ := backlogOf(before, "SF"); b.CutoffAt == nil || !b.CutoffAt.Equal(time.Date(2026, 11, 11, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("SF cut-off at %v", b.CutoffAt)
	}

	w := mustWave(t, l, "w1", WaveCluster)
	late := order("SO3", LineIn{"BOOK", 1})
	late.Carrier = "SF"
	mustOrder(t, l, late)
	task, err := l.NextTask(ctx, "B1001", "pda-1")
	if err != nil {
		t.Fatal(err)
	}
	line, _ := task.NextLine()
	item := ScannedItem{GTIN: line.GTINs[0]}
	if line.LotTracked {
		item.Lot = line.Lot
	}
	if _, _, err := l.Pick(ctx, "p1", PickScan{Task: task.ID, Line: line.N, Location: line.Location, Items: []ScannedItem{item},
		Qty: line.Open(), Tote: "T00001"}, "B1001", "pda-1"); err != nil {
		t.Fatal(err)
	}

	now := clock.Now()
	f := mustLive(t, l)
	if len(f.Waves) != 1 || f.Waves[0].ID != w.ID || f.Waves[0].Lines != 2 || f.Waves[0].LinesDone != 1 || f.Waves[0].Orders != 2 {
		t.Errorf("waves: %+v", f.Waves)
	}
	if f.RateLines != 1 {
		t.Errorf("rate: %d lines, want 1", f.RateLines)
	}
	var orders, news int
	for _, oc := range f.Orders {
		orders += oc.N
		if oc.State == OrderNew {
			news += oc.N
		}
		if oc.Owner != DefaultOwner {
			t.Errorf("order count of owner %q", oc.Owner)
		}
	}
	if orders != 3 || news != 1 {
		t.Errorf("orders by state: %+v", f.Orders)
	}
	// one line per 30 minutes: SF's lines first (17:00), then JD's (18:00)
	lines := 0
	for i, b := range f.Backlog {
		lines += b.Lines
		if b.Carrier != []string{"SF", "JD"}[i] || b.Finish == nil || !b.Finish.Equal(now.Add(time.Duration(lines)*30*time.Minute)) || b.Late {
			t.Errorf("backlog %d at %v: %+v (finish %v)", i, now, b, b.Finish)
		}
	}
	if lines != 2 {
		t.Errorf("backlog: %d lines, want 2: %+v", lines, f.Backlog)
	}
	if len(f.People) != 2 || f.People[0].Actor != "B1001" || f.People[0].Task != task.ID || f.People[0].LinesDone != 1 || f.People[0].Lines != 2 ||
		!f.People[0].LastScan.Equal(now) || f.People[1].Actor != "B4001" || f.People[1].Task != "" {
		t.Errorf("people: %+v", f.People)
	}

	// half an hour later with no scan: no rate, the picker still holds the task
	clock.Add(31 * time.Minute)
	f = mustLive(t, l)
	if f.RateLines != 0 || len(f.People) != 1 || f.People[0].Actor != "B1001" || !f.People[0].LastScan.IsZero() || f.People[0].Task != task.ID {
		t.Errorf("after 31 min: rate %d, people %+v", f.RateLines, f.People)
	}
	if b, _ := backlogOf(f, "SF"); b.Finish != nil || b.Late {
		t.Errorf("SF without a rate before its cut-off: %+v", b)
	}
	// past SF's cut-off with lines left and no rate: late
	clock.Add(7 * time.Hour)
	f = mustLive(t, l)
	if b, _ := backlogOf(f, "SF"); !b.Late {
		t.Errorf("SF after its cut-off: %+v", b)
	}
	if b, _ := backlogOf(f, "JD"); b.Late {
		t.Errorf("JD before its cut-off: %+v", b)
	}
}

func TestLiveProjectionIsLate(t *testing.T) {
	now := time.Date(2026, 11, 11, 8, 0, 0, 0, time.UTC) // 16:00 in Shanghai
	zone := time.FixedZone("CST", 8*3600)
	f := LiveFloor{RateLines: 30, Backlog: []CarrierBacklog{{Carrier: "SF", Lines: 45}, {Carrier: "JD", Lines: 30}, {Carrier: "YTO", Lines: 10}}}
	liveProject(&f, map[string]string{"SF": "17:00", "JD": "18:00"}, now, zone)
	// 30 lines per 30 minutes: SF's 45 take 45 min (done 16:45, on time),
	// JD's 30 after them 75 min (17:15, on time), YTO without a cut-off last
	want := []struct {
		carrier string
		finish  time.Duration
		late    bool
	}{{"SF", 45 * time.Minute, false}, {"JD", 75 * time.Minute, false}, {"YTO", 85 * time.Minute, false}}
	for i, w := range want {
		b := f.Backlog[i]
		if b.Carrier != w.carrier || b.Finish == nil || !b.Finish.Equal(now.Add(w.finish)) || b.Late != w.late {
			t.Errorf("%d: %+v finish %v, want %+v", i, b, b.Finish, w)
		}
	}
	f = LiveFloor{RateLines: 10, Backlog: []CarrierBacklog{{Carrier: "SF", Lines: 45}}}
	liveProject(&f, map[string]string{"SF": "17:00"}, now, zone)
	if b := f.Backlog[0]; !b.Late || !b.Finish.Equal(now.Add(135*time.Minute)) {
		t.Errorf("45 lines at 10 per 30 min: %+v finish %v", b, b.Finish)
	}
}

func TestCutoffSettings(t *testing.T) {
	cases := []struct {
		name    string
		cutoffs map[string]string
		key     string
	}{
		{"fine", map[string]string{"SF": "17:00", "JD": "00:00", "YTO": "23:59"}, ""},
		{"hour too big", map[string]string{"SF": "24:00"}, "cutoff.time_invalid"},
		{"minute too big", map[string]string{"SF": "17:60"}, "cutoff.time_invalid"},
		{"one digit", map[string]string{"SF": "7:00"}, "cutoff.time_invalid"},
		{"signed", map[string]string{"SF": "+1:00"}, "cutoff.time_invalid"},
		{"seconds", map[string]string{"SF": "17:00:00"}, "cutoff.time_invalid"},
		{"empty time", map[string]string{"SF": ""}, "cutoff.time_invalid"},
		{"carrier with a space", map[string]string{"S F": "17:00"}, "cutoff.carrier_invalid"},
		{"empty carrier", map[string]string{"": "17:00"}, "cutoff.carrier_invalid"},
	}
	many := map[string]string{}
	for i := range MaxCutoffs + 1 {
		many["C"+string(rune('A'+i/26))+string(rune('A'+i%26))] = "12:00"
	}
	cases = append(cases, struct {
		name    string
		cutoffs map[string]string
		key     string
	}{"too many", many, "cutoff.too_many"})
	l, _ := openTest(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := DefaultSettings()
			s.Cutoffs = tc.cutoffs
			_, err := l.ChangeSettings(ctx, "", s, "B4001", "web")
			got := ""
			if e, ok := AsError(err); ok {
				got = e.Key
			} else if err != nil {
				t.Fatal(err)
			}
			if got != tc.key {
				t.Errorf("got %q, want %q", got, tc.key)
			}
		})
	}
}
