package scan

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

const gsc = "\x1d"

// TestGS1InputForms checks that every form a scanner may deliver for the
// same content gives the same Result, through Parse and through ParseGS1.
func TestGS1InputForms(t *testing.T) {
	type group struct {
		name  string
		want  Result
		forms map[string]string
	}
	groups := []group{
		{
			name: "GTIN+expiry+batch+serial",
			want: Result{
				Kind:   KindGS1,
				GTIN:   "06901234567892",
				Batch:  "LOT42",
				Serial: "SN0001",
				Expiry: date(2027, time.March, 31),
				AIs:    map[string]string{"01": "06901234567892", "17": "270331", "10": "LOT42", "21": "SN0001"},
			},
			forms: map[string]string{
				"parentheses":                   "(01)06901234567892(17)270331(10)LOT42(21)SN0001",
				"parentheses with spaces":       "(01) 06901234567892 (17) 270331 (10) LOT42 (21) SN0001",
				"parentheses with GS":           "(01)06901234567892(17)270331(10)LOT42" + gsc + "(21)SN0001",
				"parentheses other order":       "(21)SN0001(10)LOT42(17)270331(01)06901234567892",
				"raw with GS":                   "0106901234567892" + "17270331" + "10LOT42" + gsc + "21SN0001",
				"raw with leading GS":           gsc + "0106901234567892" + "17270331" + "10LOT42" + gsc + "21SN0001",
				"raw with GS after every field": "0106901234567892" + gsc + "17270331" + gsc + "10LOT42" + gsc + "21SN0001" + gsc,
				"raw with double GS":            "0106901234567892" + "17270331" + "10LOT42" + gsc + gsc + "21SN0001",
				"raw with <GS> text":            "0106901234567892" + "17270331" + "10LOT42<GS>21SN0001",
				"raw variable fields first":     "10LOT42" + gsc + "21SN0001" + gsc + "0106901234567892" + "17270331",
				"AIM ]C1 raw":                   "]C1" + "0106901234567892" + "17270331" + "10LOT42" + gsc + "21SN0001",
				"AIM ]d2 raw with leading GS":   "]d2" + gsc + "0106901234567892" + "17270331" + "10LOT42" + gsc + "21SN0001",
				"AIM ]Q3 raw":                   "]Q3" + "0106901234567892" + "17270331" + "10LOT42" + gsc + "21SN0001",
				"AIM ]e0 raw":                   "]e0" + "0106901234567892" + "17270331" + "10LOT42" + gsc + "21SN0001",
				"AIM ]C1 parentheses":           "]C1(01)06901234567892(17)270331(10)LOT42(21)SN0001",
				"trailing CR LF":                "0106901234567892" + "17270331" + "10LOT42" + gsc + "21SN0001\r\n",
				"spaces and tabs around":        "  \t(01)06901234567892(17)270331(10)LOT42(21)SN0001 \t\n",
				"AIM with trailing LF":          "]d2" + "0106901234567892" + "17270331" + "10LOT42" + gsc + "21SN0001\n",
				"full-width parentheses":        fullWidth("(01)06901234567892(17)270331(10)LOT42(21)SN0001"),
				"full-width raw with <GS>":      fullWidth("0106901234567892" + "17270331" + "10LOT42<GS>21SN0001"),
				"full-width with ideographic space": fullWidth(" (01)06901234567892(17)270331(10)LOT42(21)SN0001 ") +
					"\r\n",
			},
		},
		{
			name: "only variable field last, no GS at all",
			want: Result{
				Kind:   KindGS1,
				GTIN:   "06901234567892",
				Batch:  "LOT42",
				Expiry: date(2027, time.March, 31),
				AIs:    map[string]string{"01": "06901234567892", "17": "270331", "10": "LOT42"},
			},
			forms: map[string]string{
				"parentheses":          "(01)06901234567892(17)270331(10)LOT42",
				"raw without GS":       "01069012345678921727033110LOT42",
				"raw with trailing GS": "01069012345678921727033110LOT42" + gsc,
				"raw with leading GS":  gsc + "01069012345678921727033110LOT42",
				"AIM ]C1":              "]C101069012345678921727033110LOT42",
				"AIM ]d2":              "]d201069012345678921727033110LOT42",
				"AIM ]Q3":              "]Q301069012345678921727033110LOT42",
				"AIM ]e0":              "]e001069012345678921727033110LOT42",
				"CR LF and spaces":     "  01069012345678921727033110LOT42 \r\n",
				"full-width":           fullWidth("01069012345678921727033110LOT42"),
				"full-width AIM":       fullWidth("]C101069012345678921727033110LOT42"),
			},
		},
		{
			name: "logistic unit: SSCC, content, count, weight, order",
			want: Result{
				Kind:        KindGS1,
				SSCC:        "106141412345678908",
				ContentGTIN: "10614141000415",
				Count:       24,
				NetWeightKg: 1.25,
				OrderNumber: "PO-2027/0042",
				AIs: map[string]string{"00": "106141412345678908", "02": "10614141000415", "37": "24",
					"3103": "001250", "400": "PO-2027/0042"},
			},
			forms: map[string]string{
				"parentheses":          "(00)106141412345678908(02)10614141000415(3103)001250(37)24(400)PO-2027/0042",
				"raw with GS":          "00106141412345678908" + "0210614141000415" + "3103001250" + "3724" + gsc + "400PO-2027/0042",
				"raw, count last":      "00106141412345678908" + "0210614141000415" + "3103001250" + "400PO-2027/0042" + gsc + "3724",
				"AIM ]C1":              "]C1" + "00106141412345678908" + "0210614141000415" + "3103001250" + "3724" + gsc + "400PO-2027/0042",
				"AIM ]C1 <GS> leading": "]C1<GS>" + "00106141412345678908" + "0210614141000415" + "3103001250" + "3724<GS>400PO-2027/0042",
			},
		},
	}
	for _, g := range groups {
		for name, in := range g.forms {
			t.Run(g.name+"/"+name, func(t *testing.T) {
				p := parserAt(2026)
				got, err := p.Parse(in)
				if err != nil {
					t.Fatalf("Parse(%q): %v", in, err)
				}
				if !reflect.DeepEqual(got, g.want) {
					t.Errorf("Parse(%q)\n got %+v\nwant %+v", in, got, g.want)
				}
				got2, err := p.ParseGS1(in)
				if err != nil {
					t.Fatalf("ParseGS1(%q): %v", in, err)
				}
				if !reflect.DeepEqual(got2, g.want) {
					t.Errorf("ParseGS1(%q)\n got %+v\nwant %+v", in, got2, g.want)
				}
			})
		}
	}
}

func TestGS1Values(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		check func(t *testing.T, r Result)
	}{
		{"3103 001250 = 1.25 kg", "(01)06901234567892(3103)001250", func(t *testing.T, r Result) {
			if r.NetWeightKg != 1.25 || r.AIs["3103"] != "001250" {
				t.Errorf("NetWeightKg = %v, AIs = %v", r.NetWeightKg, r.AIs)
			}
		}},
		{"3102 001250 = 12.5 kg", "(01)06901234567892(3102)001250", func(t *testing.T, r Result) {
			if r.NetWeightKg != 12.5 {
				t.Errorf("NetWeightKg = %v", r.NetWeightKg)
			}
		}},
		{"3100 000042 = 42 kg", "0106901234567892" + "3100000042", func(t *testing.T, r Result) {
			if r.NetWeightKg != 42 {
				t.Errorf("NetWeightKg = %v", r.NetWeightKg)
			}
		}},
		{"3105 123456 = 1.23456 kg", "(01)06901234567892(3105)123456", func(t *testing.T, r Result) {
			if r.NetWeightKg != 1.23456 {
				t.Errorf("NetWeightKg = %v", r.NetWeightKg)
			}
		}},
		{"3200 000010 = 10 lb", "(01)06901234567892(3200)000010", func(t *testing.T, r Result) {
			if r.NetWeightLb != 10 || r.NetWeightKg != 0 {
				t.Errorf("NetWeightLb = %v NetWeightKg = %v", r.NetWeightLb, r.NetWeightKg)
			}
		}},
		{"3203 002205 = 2.205 lb", "(01)06901234567892(3203)002205", func(t *testing.T, r Result) {
			if r.NetWeightLb != 2.205 {
				t.Errorf("NetWeightLb = %v", r.NetWeightLb)
			}
		}},
		{"311n-316n only in AIs", "(01)06901234567892(3112)000150(3122)000080(3132)000040(3143)001200(3151)000015(3165)000001", func(t *testing.T, r Result) {
			if r.NetWeightKg != 0 || r.NetWeightLb != 0 {
				t.Errorf("weights set: %v %v", r.NetWeightKg, r.NetWeightLb)
			}
			for _, ai := range []string{"3112", "3122", "3132", "3143", "3151", "3165"} {
				if r.AIs[ai] == "" {
					t.Errorf("AIs[%s] missing: %v", ai, r.AIs)
				}
			}
		}},
		{"same weight twice in different precision", "(01)06901234567892(3102)000125(3103)001250", func(t *testing.T, r Result) {
			if r.NetWeightKg != 1.25 || len(r.AIs) != 3 {
				t.Errorf("NetWeightKg = %v, AIs = %v", r.NetWeightKg, r.AIs)
			}
		}},
		{"count AI 37", "(02)10614141000415(37)24", func(t *testing.T, r Result) {
			if r.Count != 24 || r.ContentGTIN != "10614141000415" || r.GTIN != "" {
				t.Errorf("got %+v", r)
			}
		}},
		{"count AI 30", "(01)06901234567892(30)12", func(t *testing.T, r Result) {
			if r.Count != 12 {
				t.Errorf("Count = %d", r.Count)
			}
		}},
		{"count AI 30 with 8 digits", "0106901234567892" + "3099999999", func(t *testing.T, r Result) {
			if r.Count != 99999999 {
				t.Errorf("Count = %d", r.Count)
			}
		}},
		{"count 37 wins over 30 in any order", "(30)5(02)10614141000415(37)3", func(t *testing.T, r Result) {
			if r.Count != 3 || r.AIs["30"] != "5" {
				t.Errorf("Count = %d, AIs = %v", r.Count, r.AIs)
			}
		}},
		{"AI 400 purchase order", "(400)PO-2027/0042", func(t *testing.T, r Result) {
			if r.OrderNumber != "PO-2027/0042" {
				t.Errorf("OrderNumber = %q", r.OrderNumber)
			}
		}},
		{"AI 400 with 30 characters", "400" + strings.Repeat("9", 30), func(t *testing.T, r Result) {
			if len(r.OrderNumber) != 30 {
				t.Errorf("OrderNumber = %q", r.OrderNumber)
			}
		}},
		{"batch with 20 characters of set 82", "(01)06901234567892(10)!\"%&'()*+,-./:;<=>?_", func(t *testing.T, r Result) {
			// Note "(" and ")" are allowed in values as long as they do not form "(NN)".
			if r.Batch != "!\"%&'()*+,-./:;<=>?_" {
				t.Errorf("Batch = %q", r.Batch)
			}
		}},
		{"other AIs go to AIs only", "(01)06901234567892(20)01(22)CPV-1(240)ADD-1(241)CPN9(250)SEC1(251)SRC1(21)1(410)0614141000012(414)0614141000012(417)0614141000012",
			func(t *testing.T, r Result) {
				want := map[string]string{"01": "06901234567892", "20": "01", "22": "CPV-1", "240": "ADD-1", "241": "CPN9",
					"250": "SEC1", "251": "SRC1", "21": "1", "410": "0614141000012", "414": "0614141000012", "417": "0614141000012"}
				if !reflect.DeepEqual(r.AIs, want) || r.Serial != "1" {
					t.Errorf("AIs = %v", r.AIs)
				}
			}},
		{"identical duplicate AI is accepted", "(01)06901234567892(10)A1(10)A1", func(t *testing.T, r Result) {
			if r.Batch != "A1" || len(r.AIs) != 2 {
				t.Errorf("got %+v", r)
			}
		}},
		{"zero weight", "(01)06901234567892(3103)000000", func(t *testing.T, r Result) {
			if r.NetWeightKg != 0 || r.AIs["3103"] != "000000" {
				t.Errorf("got %+v", r)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := parserAt(2026).ParseGS1(tt.in)
			if err != nil {
				t.Fatalf("ParseGS1(%q): %v", tt.in, err)
			}
			if r.Kind != KindGS1 {
				t.Errorf("Kind = %q", r.Kind)
			}
			tt.check(t, r)
		})
	}
}

func TestGS1Errors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		// unknown AIs
		{"unknown AI in parentheses", "(01)06901234567892(99)ABC", ErrKeyUnknownAI},
		{"unknown AI raw", "0106901234567892" + "9912", ErrKeyUnknownAI},
		{"AI 3106 (n > 5)", "(01)06901234567892(3106)001250", ErrKeyUnknownAI},
		{"AI 14 undefined", "(14)270101", ErrKeyUnknownAI},
		{"AI 418 undefined", "(418)0614141000012", ErrKeyUnknownAI},
		{"one-digit AI in parentheses", "(1)23", ErrKeyUnknownAI},
		{"five-digit AI in parentheses", "(12345)6", ErrKeyUnknownAI},
		{"letters", "ABC", ErrKeyUnknownAI},
		{"letters after fixed field", "0106901234567892" + "AB", ErrKeyUnknownAI},
		// truncated
		{"AI 01 with 12 digits", "01069012345678", ErrKeyTruncated},
		{"date cut short", "0106901234567892" + "172703", ErrKeyTruncated},
		{"variable AI without value at end", "0106901234567892" + "10", ErrKeyTruncated},
		{"input ends inside a 4-digit AI", "0106901234567892" + "31", ErrKeyTruncated},
		{"input ends inside a 3-digit AI", "0106901234567892" + "41", ErrKeyTruncated},
		{"input ends after one AI digit", "0106901234567892" + "3", ErrKeyTruncated},
		{"single digit", "0", ErrKeyTruncated},
		{"SSCC cut short with AIM", "]C1" + "00106141412345", ErrKeyTruncated},
		{"parentheses, last value missing", "(01)06901234567892(10)", ErrKeyTruncated},
		// too long
		{"batch 21 chars", "0106901234567892" + "10" + strings.Repeat("A", 21), ErrKeyTooLong},
		{"missing GS between batch and serial", "0106901234567892" + "10LOT42" + "21SERIAL0123456789", ErrKeyTooLong},
		{"serial 21 chars in parentheses", "(21)" + strings.Repeat("1", 21), ErrKeyTooLong},
		{"AI 400 31 chars", "(400)" + strings.Repeat("P", 31), ErrKeyTooLong},
		{"AI 30 9 digits", "(30)123456789", ErrKeyTooLong},
		{"AI 37 9 digits raw", "3712345678" + "9", ErrKeyTooLong},
		// duplicates
		{"same AI, different values", "(01)06901234567892(10)A(10)B", ErrKeyDuplicateAI},
		{"same AI 01 twice raw", "0106901234567892" + "0110614141000415", ErrKeyDuplicateAI},
		{"net weight twice, different", "(01)06901234567892(3102)000125(3103)001000", ErrKeyDuplicateAI},
		{"net weight lb twice, different", "(01)06901234567892(3200)000001(3201)000001", ErrKeyDuplicateAI},
		// bad values
		{"GTIN 13 digits in parentheses", "(01)0690123456789", ErrKeyBadValue},
		{"GTIN 15 digits in parentheses", "(01)069012345678921", ErrKeyBadValue},
		{"GTIN with letter", "(01)0690123456789X", ErrKeyBadValue},
		{"GS inside fixed-length field", "01069012345" + gsc + "10LOT42", ErrKeyBadValue},
		{"space inside batch", "(10)LOT 42", ErrKeyBadValue},
		{"# not in set 82", "(10)LOT#42", ErrKeyBadValue},
		{"non-ASCII batch", "(10)批次42", ErrKeyBadValue},
		{"date with 5 digits", "(17)27033", ErrKeyBadValue},
		{"count with letter", "(30)12A", ErrKeyBadValue},
		{"weight with letter", "(3103)0012X0", ErrKeyBadValue},
		{"empty value between markers", "(10)(21)X", ErrKeyBadValue},
		{"empty variable value raw", "10" + gsc + "21X", ErrKeyBadValue},
		{"text before parentheses", "(01)06901234567892 x", ErrKeyBadValue},
		// check digits
		{"GTIN check digit", "(01)06901234567890", ErrKeyCheckDigit},
		{"content GTIN check digit", "(02)10614141000416", ErrKeyCheckDigit},
		{"SSCC check digit", "(00)106141412345678900", ErrKeyCheckDigit},
		{"GLN check digit", "(410)0614141000013", ErrKeyCheckDigit},
		{"GTIN check digit raw", "0106901234567890" + "10LOT42", ErrKeyCheckDigit},
		// dates
		{"bad date", "(01)06901234567892(17)271301", ErrKeyBadDate},
		// empty
		{"empty", "", ErrKeyEmpty},
		{"only GS", gsc + gsc, ErrKeyEmpty},
		{"only AIM", "]C1", ErrKeyEmpty},
		{"only whitespace", " \r\n", ErrKeyEmpty},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := parserAt(2026).ParseGS1(tt.in)
			if key := errKey(t, err); key != tt.want {
				t.Fatalf("ParseGS1(%q) = %+v, %v; want key %s", tt.in, r, err, tt.want)
			}
			if !reflect.DeepEqual(r, Result{}) {
				t.Errorf("result on error is not zero: %+v", r)
			}
		})
	}
}

func TestGS1ErrorDetails(t *testing.T) {
	tests := []struct{ in, want string }{
		{"(01)06901234567890", "AI 01: GTIN 06901234567890: check digit should be 2"},
		{"(00)106141412345678900", "AI 00: SSCC 106141412345678900: check digit should be 8"},
		{"(01)06901234567892(17)270229", "AI 17: 270229: February 2027 has 28 days"},
		{"(01)06901234567892(10)A(10)B", `AI 10 appears twice with different values "A" and "B"`},
		{"0106901234567892" + "10" + strings.Repeat("A", 21), "AI 10: value has 21 characters, at most 20 allowed (missing GS separator?)"},
		{"0106901234567892" + "172703", "AI 17: input ends after 4 of 6 characters"},
	}
	for _, tt := range tests {
		_, err := parserAt(2026).ParseGS1(tt.in)
		e, ok := err.(*Error)
		if !ok || e.Detail != tt.want {
			t.Errorf("ParseGS1(%q) error = %v, want detail %q", tt.in, err, tt.want)
		}
	}
}

// TestAITable checks the internal AI table: GS1 AIs must be prefix-free for
// the raw parser to work, and every fixed-length AI here must be in GS1's
// predefined-length table (else it would need a GS after its value).
func TestAITable(t *testing.T) {
	predefined := map[string]bool{"00": true, "01": true, "02": true, "03": true, "04": true, "31": true, "32": true,
		"33": true, "34": true, "35": true, "36": true, "41": true}
	for i := 11; i <= 20; i++ {
		predefined[string(rune('0'+i/10))+string(rune('0'+i%10))] = true
	}
	for ai, spec := range aiTable {
		if len(ai) < 2 || len(ai) > 4 || !allDigits(ai) {
			t.Errorf("bad AI %q", ai)
		}
		for other := range aiTable {
			if other != ai && strings.HasPrefix(other, ai) {
				t.Errorf("AI %s is a prefix of AI %s", ai, other)
			}
		}
		if spec.fixed > 0 && !predefined[ai[:2]] {
			t.Errorf("fixed-length AI %s is not in the predefined-length table", ai)
		}
		if spec.fixed == 0 && (spec.max == 0 || predefined[ai[:2]]) {
			t.Errorf("variable-length AI %s: max %d, predefined prefix %v", ai, spec.max, predefined[ai[:2]])
		}
	}
	for _, ai := range []string{"00", "01", "02", "10", "11", "12", "13", "15", "16", "17", "20", "21", "22", "30", "37",
		"240", "241", "250", "251", "3100", "3105", "3165", "3200", "3205", "400", "410", "411", "412", "413", "414"} {
		if _, ok := aiTable[ai]; !ok {
			t.Errorf("AI %s not supported", ai)
		}
	}
}
