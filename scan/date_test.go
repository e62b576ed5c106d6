package scan

import (
	"encoding/json"
	"testing"
	"time"
)

func TestDateMethods(t *testing.T) {
	d := Date{Year: 2027, Month: time.March, Day: 31}
	if got := d.String(); got != "2027-03-31" {
		t.Errorf("String() = %q", got)
	}
	if got := (Date{Year: 987, Month: time.January, Day: 2}).String(); got != "0987-01-02" {
		t.Errorf("String() of year 987 = %q", got)
	}
	shanghai := time.FixedZone("CST", 8*3600)
	if got, want := d.Time(shanghai), time.Date(2027, 3, 31, 0, 0, 0, 0, shanghai); !got.Equal(want) || got.Location() != shanghai {
		t.Errorf("Time(CST) = %v, want %v", got, want)
	}
	if got := d.Time(nil); !got.Equal(time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("Time(nil) = %v, want UTC midnight", got)
	}
	b, err := json.Marshal(d)
	if err != nil || string(b) != `"2027-03-31"` {
		t.Errorf("MarshalJSON = %s, %v", b, err)
	}
	var back struct{ D *Date }
	if err := json.Unmarshal([]byte(`{"D":"2028-02-29"}`), &back); err != nil || back.D == nil || *back.D != (Date{2028, time.February, 29}) {
		t.Errorf("UnmarshalJSON = %v, %v", back.D, err)
	}
	for _, bad := range []string{`{"D":"2027-02-29"}`, `{"D":20270228}`} {
		if err := json.Unmarshal([]byte(bad), &back); err == nil {
			t.Errorf("UnmarshalJSON(%s) succeeded", bad)
		}
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Date
		wantErr string
	}{
		{"plain", "2027-03-31", Date{2027, time.March, 31}, ""},
		{"leap day", "2028-02-29", Date{2028, time.February, 29}, ""},
		{"leap day 2000", "2000-02-29", Date{2000, time.February, 29}, ""},
		{"spaces", " 2027-01-05\n", Date{2027, time.January, 5}, ""},
		{"full-width", "２０２７－０３－３１", Date{2027, time.March, 31}, ""},
		{"29 Feb 2027", "2027-02-29", Date{}, ErrKeyBadDate},
		{"29 Feb 2100", "2100-02-29", Date{}, ErrKeyBadDate},
		{"31 April", "2027-04-31", Date{}, ErrKeyBadDate},
		{"month 13", "2027-13-01", Date{}, ErrKeyBadDate},
		{"month 00", "2027-00-10", Date{}, ErrKeyBadDate},
		{"day 00", "2027-01-00", Date{}, ErrKeyBadDate},
		{"year 0", "0000-01-01", Date{}, ErrKeyBadDate},
		{"no padding", "2027-3-31", Date{}, ErrKeyBadDate},
		{"slashes", "2027/03/31", Date{}, ErrKeyBadDate},
		{"YYMMDD", "270331", Date{}, ErrKeyBadDate},
		{"with time", "2027-03-31T00:00:00Z", Date{}, ErrKeyBadDate},
		{"empty", "  ", Date{}, ErrKeyEmpty},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDate(tt.in)
			if key := errKey(t, err); key != tt.wantErr {
				t.Fatalf("ParseDate(%q) error = %v, want key %q", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("ParseDate(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

// TestGS1Dates checks the YYMMDD century window of GS1 General
// Specifications §7.12 (difference = YY - current two-digit year: >= 51 means
// previous century, <= -50 next century, otherwise current century), day 00
// and impossible dates.
func TestGS1Dates(t *testing.T) {
	tests := []struct {
		name    string
		now     int
		yymmdd  string
		want    *Date
		wantErr string
	}{
		{"now 2026: 76-26=50 current century", 2026, "760101", date(2076, 1, 1), ""},
		{"now 2026: 77-26=51 previous century", 2026, "770101", date(1977, 1, 1), ""},
		{"now 2026: 99-26=73 previous century", 2026, "991231", date(1999, 12, 31), ""},
		{"now 2026: 00-26=-26 current century", 2026, "000101", date(2000, 1, 1), ""},
		{"now 2026: same year", 2026, "260615", date(2026, 6, 15), ""},
		{"now 2080: 30-80=-50 next century", 2080, "300101", date(2130, 1, 1), ""},
		{"now 2080: 31-80=-49 current century", 2080, "310101", date(2031, 1, 1), ""},
		{"now 2080: 29-80=-51 next century", 2080, "291231", date(2129, 12, 31), ""},
		{"now 2000: 50-00=50 current century", 2000, "500101", date(2050, 1, 1), ""},
		{"now 2000: 51-00=51 previous century", 2000, "510101", date(1951, 1, 1), ""},
		{"now 1999: 49-99=-50 next century", 1999, "490101", date(2049, 1, 1), ""},
		{"now 1999: 50-99=-49 current century", 1999, "500101", date(1950, 1, 1), ""},
		{"day 00 in Feb of leap year 2028", 2026, "280200", date(2028, 2, 29), ""},
		{"day 00 in Feb of non-leap 2027", 2026, "270200", date(2027, 2, 28), ""},
		{"day 00 in Feb 2000 (leap, div by 400)", 2026, "000200", date(2000, 2, 29), ""},
		{"day 00 in Feb 2100 (not leap)", 2080, "000200", date(2100, 2, 28), ""},
		{"day 00 in April", 2026, "270400", date(2027, 4, 30), ""},
		{"day 00 in December", 2026, "271200", date(2027, 12, 31), ""},
		{"29 Feb 2028", 2026, "280229", date(2028, 2, 29), ""},
		{"29 Feb 2027", 2026, "270229", nil, ErrKeyBadDate},
		{"29 Feb 2100", 2080, "000229", nil, ErrKeyBadDate},
		{"31 April", 2026, "270431", nil, ErrKeyBadDate},
		{"month 13", 2026, "271301", nil, ErrKeyBadDate},
		{"month 00", 2026, "270001", nil, ErrKeyBadDate},
		{"day 32", 2026, "270132", nil, ErrKeyBadDate},
		{"day 00 month 00", 2026, "270000", nil, ErrKeyBadDate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := parserAt(tt.now).Parse("(01)06901234567892(17)" + tt.yymmdd)
			if key := errKey(t, err); key != tt.wantErr {
				t.Fatalf("error = %v, want key %q", err, tt.wantErr)
			}
			if tt.want == nil {
				return
			}
			if r.Expiry == nil || *r.Expiry != *tt.want {
				t.Errorf("Expiry = %v, want %v", r.Expiry, tt.want)
			}
			if r.AIs["17"] != tt.yymmdd {
				t.Errorf("AIs[17] = %q, want raw %q", r.AIs["17"], tt.yymmdd)
			}
		})
	}
}

func TestGS1DateFields(t *testing.T) {
	r, err := parserAt(2026).Parse("(01)06901234567892(11)260100(12)260215(13)260102(15)270600(16)270501(17)270630")
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, got, want *Date) {
		t.Helper()
		if got == nil || *got != *want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	check("ProductionDate (11)", r.ProductionDate, date(2026, 1, 31))
	check("PackagingDate (13)", r.PackagingDate, date(2026, 1, 2))
	check("BestBefore (15)", r.BestBefore, date(2027, 6, 30))
	check("Expiry (17)", r.Expiry, date(2027, 6, 30))
	if r.AIs["12"] != "260215" || r.AIs["16"] != "270501" {
		t.Errorf("AIs 12/16 = %q/%q", r.AIs["12"], r.AIs["16"])
	}
	// due date (12) and sell-by (16) are validated although they only go to AIs.
	for _, in := range []string{"(01)06901234567892(12)261301", "(01)06901234567892(16)270230"} {
		if _, err := parserAt(2026).Parse(in); errKey(t, err) != ErrKeyBadDate {
			t.Errorf("Parse(%q) error = %v, want %s", in, err, ErrKeyBadDate)
		}
	}
}
