package scan

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseClassification(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Result
		wantErr string
	}{
		// own codes
		{"location aisle-bay-level", "A01-02-03", Result{Kind: KindLocation, Code: "A01-02-03"}, ""},
		{"location dock", "DOCK-01", Result{Kind: KindLocation, Code: "DOCK-01"}, ""},
		{"location QA", "QA-12", Result{Kind: KindLocation, Code: "QA-12"}, ""},
		{"location returns", "RET-01", Result{Kind: KindLocation, Code: "RET-01"}, ""},
		{"location damaged", "DMG-99", Result{Kind: KindLocation, Code: "DMG-99"}, ""},
		{"location RTS", "RTS-00", Result{Kind: KindLocation, Code: "RTS-00"}, ""},
		{"location with CR LF", "B12-34-56\r\n", Result{Kind: KindLocation, Code: "B12-34-56"}, ""},
		{"location full-width", fullWidth("A01-02-03"), Result{Kind: KindLocation, Code: "A01-02-03"}, ""},
		{"tote", "T00042", Result{Kind: KindTote, Code: "T00042"}, ""},
		{"tote full-width", "Ｔ０００４２", Result{Kind: KindTote, Code: "T00042"}, ""},
		{"tote after Code 128 AIM ]C0", "]C0T00042", Result{Kind: KindTote, Code: "T00042"}, ""},
		{"badge 4 digits", "B1234", Result{Kind: KindBadge, Code: "B1234"}, ""},
		{"badge 6 digits", "B123456", Result{Kind: KindBadge, Code: "B123456"}, ""},
		{"order", "SO20260001", Result{Kind: KindOrder, Code: "SO20260001"}, ""},
		{"order after QR AIM ]Q1", "]Q1SO123456", Result{Kind: KindOrder, Code: "SO123456"}, ""},
		{"waybill SF 13 digits", "SF1234567890123", Result{Kind: KindWaybill, Code: "SF1234567890123"}, ""},
		{"waybill SF 12 digits", "SF123456789012", Result{Kind: KindWaybill, Code: "SF123456789012"}, ""},
		{"waybill JD", "JDVA01234567890", Result{Kind: KindWaybill, Code: "JDVA01234567890"}, ""},
		{"waybill YTO", "YT1234567890123", Result{Kind: KindWaybill, Code: "YT1234567890123"}, ""},
		{"waybill J&T", "JT1234567890123", Result{Kind: KindWaybill, Code: "JT1234567890123"}, ""},
		{"waybill UPU S10", "EE123456789CN", Result{Kind: KindWaybill, Code: "EE123456789CN"}, ""},
		{"waybill after ]A0", "]A0EE123456789CN", Result{Kind: KindWaybill, Code: "EE123456789CN"}, ""},
		// patterns are case-sensitive and anchored
		{"lower-case location is unknown", "a01-02-03", Result{Kind: KindUnknown, Code: "a01-02-03"}, ""},
		{"tote with 4 digits is unknown", "T0004", Result{Kind: KindUnknown, Code: "T0004"}, ""},
		{"tote with 6 digits is unknown", "T000421", Result{Kind: KindUnknown, Code: "T000421"}, ""},
		{"badge with 3 digits is unknown", "B123", Result{Kind: KindUnknown, Code: "B123"}, ""},
		{"order with 5 digits is unknown", "SO12345", Result{Kind: KindUnknown, Code: "SO12345"}, ""},
		{"inner spaces kept", "T00042 X", Result{Kind: KindUnknown, Code: "T00042 X"}, ""},
		// GTINs
		{"EAN-13", "6901234567892", Result{Kind: KindGTIN, GTIN: "06901234567892"}, ""},
		{"EAN-13 with AIM ]E0", "]E06901234567892", Result{Kind: KindGTIN, GTIN: "06901234567892"}, ""},
		{"EAN-13 with LF", "4006381333931\n", Result{Kind: KindGTIN, GTIN: "04006381333931"}, ""},
		{"EAN-13 full-width (IME)", "６９０１２３４５６７８９２", Result{Kind: KindGTIN, GTIN: "06901234567892"}, ""},
		{"UPC-A", "036000291452", Result{Kind: KindGTIN, GTIN: "00036000291452"}, ""},
		{"EAN-8", "96385074", Result{Kind: KindGTIN, GTIN: "00000096385074"}, ""},
		{"EAN-8 with AIM ]E4", "]E496385074", Result{Kind: KindGTIN, GTIN: "00000096385074"}, ""},
		{"GTIN-14", "10614141000415", Result{Kind: KindGTIN, GTIN: "10614141000415"}, ""},
		{"EAN-13 bad check digit", "6901234567890", Result{}, ErrKeyCheckDigit},
		{"EAN-8 bad check digit", "96385075", Result{}, ErrKeyCheckDigit},
		{"UPC-A bad check digit", "036000291453", Result{}, ErrKeyCheckDigit},
		{"GTIN-14 bad check digit", "10614141000416", Result{}, ErrKeyCheckDigit},
		// raw GS1 without AIM and without GS (rule 6)
		{"raw AI 01 only", "0106901234567892", Result{Kind: KindGS1, GTIN: "06901234567892",
			AIs: map[string]string{"01": "06901234567892"}}, ""},
		{"raw SSCC", "00106141412345678908", Result{Kind: KindGS1, SSCC: "106141412345678908",
			AIs: map[string]string{"00": "106141412345678908"}}, ""},
		{"raw content + count", "0210614141000415" + "3724", Result{Kind: KindGS1, ContentGTIN: "10614141000415", Count: 24,
			AIs: map[string]string{"02": "10614141000415", "37": "24"}}, ""},
		{"raw with bad check digit is unknown", "0106901234567890", Result{Kind: KindUnknown, Code: "0106901234567890"}, ""},
		{"raw with bad date is unknown", "010690123456789217271301", Result{Kind: KindUnknown, Code: "010690123456789217271301"}, ""},
		{"16 digits not starting 00/01/02", "1234567890123456", Result{Kind: KindUnknown, Code: "1234567890123456"}, ""},
		{"15 digits starting 01", "010690123456789", Result{Kind: KindUnknown, Code: "010690123456789"}, ""},
		// GS1 by AIM, parentheses or GS: errors are reported
		{"GS1 AIM with non-GS1 data", "]d2T00042", Result{}, ErrKeyUnknownAI},
		{"GS1 AIM with bad check digit", "]C10106901234567890", Result{}, ErrKeyCheckDigit},
		{"parentheses with bad date", "(01)06901234567892(17)271301", Result{}, ErrKeyBadDate},
		{"parentheses with unknown AI", "(91)XYZ", Result{}, ErrKeyUnknownAI},
		{"one-digit parentheses", "(1)ABC", Result{}, ErrKeyUnknownAI},
		{"GS with bad data", "T00042" + gsc, Result{}, ErrKeyUnknownAI},
		{"GS with truncated data", "10LOT" + gsc + "17", Result{}, ErrKeyTruncated},
		// unknown
		{"word", "HELLO", Result{Kind: KindUnknown, Code: "HELLO"}, ""},
		{"5 digits", "12345", Result{Kind: KindUnknown, Code: "12345"}, ""},
		{"9 digits", "123456789", Result{Kind: KindUnknown, Code: "123456789"}, ""},
		{"SSCC without AI", "106141412345678908", Result{Kind: KindUnknown, Code: "106141412345678908"}, ""},
		{"parentheses without digits", "(ABC)", Result{Kind: KindUnknown, Code: "(ABC)"}, ""},
		{"URL", "https://example.com/01/06901234567892", Result{Kind: KindUnknown, Code: "https://example.com/01/06901234567892"}, ""},
		{"non-GS1 AIM stripped", "]E0HELLO", Result{Kind: KindUnknown, Code: "HELLO"}, ""},
		{"lone bracket is not AIM", "]1", Result{Kind: KindUnknown, Code: "]1"}, ""},
		{"space after AIM is trimmed (fuzz)", "]A0 T00042", Result{Kind: KindTote, Code: "T00042"}, ""},
		{"space after GS1 AIM is trimmed", "]C1 (01)06901234567892", Result{Kind: KindGS1, GTIN: "06901234567892",
			AIs: map[string]string{"01": "06901234567892"}}, ""},
		{"only AIM and spaces", "]E0  ", Result{}, ErrKeyEmpty},
		// empty
		{"empty", "", Result{}, ErrKeyEmpty},
		{"only whitespace", " \t\r\n", Result{}, ErrKeyEmpty},
		{"only ideographic space", "\u3000", Result{}, ErrKeyEmpty},
		{"only GS1 AIM", "]C1\r\n", Result{}, ErrKeyEmpty},
		{"only other AIM", "]E0", Result{}, ErrKeyEmpty},
		{"only GS", gsc, Result{}, ErrKeyEmpty},
	}
	p := parserAt(2026)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := p.Parse(tt.in)
			if key := errKey(t, err); key != tt.wantErr {
				t.Fatalf("Parse(%q) = %+v, %v; want key %q", tt.in, got, err, tt.wantErr)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%q)\n got %+v\nwant %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseCheckDigitDetail(t *testing.T) {
	_, err := Parse("6901234567890")
	var e *Error
	if !errors.As(err, &e) || e.Key != ErrKeyCheckDigit || e.Detail != "GTIN 6901234567890: check digit should be 2" {
		t.Fatalf("err = %#v", err)
	}
	if got := err.Error(); got != "scan.check_digit: GTIN 6901234567890: check digit should be 2" {
		t.Errorf("Error() = %q", got)
	}
	if !errors.Is(err, &Error{Key: ErrKeyCheckDigit}) || errors.Is(err, &Error{Key: ErrKeyBadDate}) {
		t.Error("errors.Is does not compare keys")
	}
	if got := (&Error{Key: ErrKeyEmpty}).Error(); got != "scan.empty" {
		t.Errorf("Error() without detail = %q", got)
	}
}

func TestErrorKeys(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range ErrorKeys {
		if !strings.HasPrefix(k, "scan.") || seen[k] {
			t.Errorf("bad or duplicate key %q", k)
		}
		seen[k] = true
	}
	for _, k := range []string{"scan.empty", "scan.check_digit", "scan.bad_date", "scan.unknown_ai", "scan.bad_value",
		"scan.truncated", "scan.too_long", "scan.duplicate_ai"} {
		if !seen[k] {
			t.Errorf("ErrorKeys misses %q", k)
		}
	}
}

// TestPackageLevelFunctions checks that Parse and ParseGS1 use the default
// patterns and the real clock.
func TestPackageLevelFunctions(t *testing.T) {
	if r, err := Parse("T00042"); err != nil || r.Kind != KindTote {
		t.Errorf("Parse(tote) = %+v, %v", r, err)
	}
	r, err := ParseGS1("(01)06901234567892(17)270331")
	if err != nil || r.Expiry == nil || *r.Expiry != (Date{2027, 3, 31}) {
		t.Errorf("ParseGS1 = %+v, %v", r, err)
	}
	var nilParser *Parser
	if r, err := nilParser.Parse("T00042"); err != nil || r.Kind != KindTote {
		t.Errorf("nil parser Parse = %+v, %v", r, err)
	}
	var zero Parser
	if r, err := zero.Parse("T00042"); err != nil || r.Kind != KindUnknown {
		t.Errorf("zero parser (no patterns) = %+v, %v", r, err)
	}
}

func TestParseJSON(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{
			"GS1 trade item",
			"]d2" + gsc + "0106901234567892" + "17270331" + "10LOT42" + gsc + "21SN0001" + gsc + "3103001250",
			`{"kind":"gs1","gtin":"06901234567892","batch":"LOT42","serial":"SN0001","expiry":"2027-03-31",` +
				`"net_weight_kg":1.25,"ais":{"01":"06901234567892","10":"LOT42","17":"270331","21":"SN0001","3103":"001250"}}`,
		},
		{
			"GS1 logistic unit",
			"(00)106141412345678908(02)10614141000415(37)24(15)280200(400)PO-4711",
			`{"kind":"gs1","content_gtin":"10614141000415","best_before":"2028-02-29","sscc":"106141412345678908",` +
				`"count":24,"order_number":"PO-4711","ais":{"00":"106141412345678908","02":"10614141000415","15":"280200","37":"24","400":"PO-4711"}}`,
		},
		{"GTIN", "6901234567892", `{"kind":"gtin","gtin":"06901234567892"}`},
		{"tote", "T00042", `{"kind":"tote","code":"T00042"}`},
		{"unknown", "HELLO", `{"kind":"unknown","code":"HELLO"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := parserAt(2026).Parse(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Errorf("JSON\n got %s\nwant %s", b, tt.want)
			}
			var back Result
			if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, r) {
				t.Errorf("JSON round trip = %+v, %v", back, err)
			}
		})
	}
}

func TestCompilePatterns(t *testing.T) {
	tests := []struct {
		name    string
		over    map[string]string
		wantErr bool
		kinds   map[string]Kind // input -> expected kind
	}{
		{"nil map gives defaults", nil, false, map[string]Kind{
			"T00042": KindTote, "A01-02-03": KindLocation, "B1234": KindBadge, "SO123456": KindOrder, "SF1234567890123": KindWaybill}},
		{"override tote, case-insensitive", map[string]string{"tote": `(?i)^TOTE-\d{4}$`}, false, map[string]Kind{
			"tote-0001": KindTote, "TOTE-0002": KindTote, "T00042": KindUnknown, "A01-02-03": KindLocation}},
		{"empty expression keeps default", map[string]string{"tote": "", "badge": "  "}, false, map[string]Kind{
			"T00042": KindTote, "B1234": KindBadge}},
		{"digit badge beats GTIN (patterns before rule 5)", map[string]string{"badge": `^\d{8}$`}, false, map[string]Kind{
			"96385074": KindBadge, "6901234567892": KindGTIN}},
		{"location checked before tote", map[string]string{"location": `^T\d+$`}, false, map[string]Kind{
			"T00042": KindLocation}},
		{"override several", map[string]string{"location": `^[A-Z]{2}\d{4}$`, "order": `^ORD-\d+$`, "waybill": `^\d{12}$`}, false,
			map[string]Kind{"AB1234": KindLocation, "ORD-7": KindOrder, "123456789012": KindWaybill, "A01-02-03": KindUnknown}},
		{"bad regexp", map[string]string{"order": "SO("}, true, nil},
		{"unknown key", map[string]string{"pallet": `^P\d+$`}, true, nil},
		{"key is case-sensitive", map[string]string{"Tote": `^X$`}, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pats, err := CompilePatterns(tt.over)
			if (err != nil) != tt.wantErr {
				t.Fatalf("CompilePatterns(%v) error = %v, wantErr %v", tt.over, err, tt.wantErr)
			}
			p := NewParser(pats)
			for in, want := range tt.kinds {
				r, err := p.Parse(in)
				if err != nil || r.Kind != want {
					t.Errorf("Parse(%q) = %+v, %v; want kind %s", in, r, err, want)
				}
			}
		})
	}
}

func TestDefaultPatternsIndependent(t *testing.T) {
	a, b := DefaultPatterns(), DefaultPatterns()
	if a.Tote == b.Tote {
		t.Error("DefaultPatterns shares compiled regexps between calls")
	}
	a.Tote = nil
	if r, _ := Parse("T00042"); r.Kind != KindTote {
		t.Error("changing a DefaultPatterns result changed the package default")
	}
}

// TestConcurrentUse runs the package-level and a shared Parser from several
// goroutines (meaningful under -race).
func TestConcurrentUse(t *testing.T) {
	p := parserAt(2026)
	inputs := []string{"(01)06901234567892(17)270331(10)LOT42", "T00042", "6901234567892", "HELLO", "6901234567890"}
	done := make(chan bool)
	for g := 0; g < 8; g++ {
		go func() {
			defer func() { done <- true }()
			for i := 0; i < 200; i++ {
				in := inputs[i%len(inputs)]
				r1, err1 := p.Parse(in)
				r2, err2 := Parse(in)
				if r1.Kind != r2.Kind || (err1 == nil) != (err2 == nil) {
					t.Errorf("Parse(%q) differs: %v/%v %v/%v", in, r1.Kind, r2.Kind, err1, err2)
					return
				}
			}
		}()
	}
	for g := 0; g < 8; g++ {
		<-done
	}
}

// A pack printed with an impossible date still reads as its item and lot;
// the date is left out and named, to be typed from the pack. Parse refuses it.
func TestParseUndated(t *testing.T) {
	for _, tc := range []struct {
		name, in    string
		gtin, batch string
		undated     []string
		expiry      string
	}{
		{"30 February", "(01)06901200000002(17)280230(10)RV1", "06901200000002", "RV1", []string{"17"}, ""},
		{"month 13, GS1-128 as scanned", "]C1010690120000000217281301" + "10RV2", "06901200000002", "RV2", []string{"17"}, ""},
		{"two bad dates", "(01)06901200000002(15)281340(17)280230(10)RV3", "06901200000002", "RV3", []string{"15", "17"}, ""},
		{"a good date is kept", "(01)06901200000002(17)280228(10)RV4", "06901200000002", "RV4", nil, "2028-02-28"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, undated, err := ParseUndated(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if r.GTIN != tc.gtin || r.Batch != tc.batch || !reflect.DeepEqual(undated, tc.undated) {
				t.Errorf("got GTIN %s lot %s undated %v, want %s %s %v", r.GTIN, r.Batch, undated, tc.gtin, tc.batch, tc.undated)
			}
			got := ""
			if r.Expiry != nil {
				got = r.Expiry.String()
			}
			if got != tc.expiry || (tc.undated != nil && r.BestBefore != nil) {
				t.Errorf("expiry %q best before %v, want %q", got, r.BestBefore, tc.expiry)
			}
			if _, err := Parse(tc.in); (err != nil) != (tc.undated != nil) {
				t.Errorf("Parse: %v", err)
			}
		})
	}
	if _, _, err := ParseUndated("(01)06901200000003(17)280230"); !errors.Is(err, &Error{Key: ErrKeyCheckDigit}) {
		t.Errorf("another fault is still refused: %v", err)
	}
}
