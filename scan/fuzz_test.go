package scan

import (
	"encoding/json"
	"errors"
	"reflect"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"
)

// fuzzSeeds covers the input forms and edge cases of the table tests.
var fuzzSeeds = []string{
	// GS1 forms
	"(01)06901234567892(17)270331(10)LOT42(21)SN0001",
	"(01) 06901234567892 (17) 270331 (10) LOT42 (21) SN0001",
	"0106901234567892" + "17270331" + "10LOT42" + gsc + "21SN0001",
	gsc + "0106901234567892" + "17270331" + "10LOT42" + gsc + "21SN0001" + gsc,
	"0106901234567892" + "17270331" + "10LOT42<GS>21SN0001",
	"]C1" + "0106901234567892" + "17270331" + "10LOT42" + gsc + "21SN0001",
	"]d2" + gsc + "0106901234567892" + "17270331" + "10LOT42" + gsc + "21SN0001",
	"]Q301069012345678921727033110LOT42",
	"]e001069012345678921727033110LOT42\r\n",
	"]C1(01)06901234567892(17)270331(10)LOT42",
	"01069012345678921727033110LOT42",
	"  01069012345678921727033110LOT42 \r\n",
	"０１０６９０１２３４５６７８９２１７２７０３３１１０ＬＯＴ４２",
	"（０１）０６９０１２３４５６７８９２（１７）２７０３３１",
	"(00)106141412345678908(02)10614141000415(3103)001250(37)24(400)PO-2027/0042",
	"00106141412345678908" + "0210614141000415" + "3103001250" + "3724" + gsc + "400PO-2027/0042",
	"(01)06901234567892(11)260100(12)260215(13)260102(15)270600(16)270501(17)270630",
	"(01)06901234567892(20)01(22)CPV-1(240)ADD-1(241)CPN9(250)SEC1(251)SRC1(410)0614141000012(417)0614141000012",
	"(01)06901234567892(3102)000125(3103)001250(3200)000010(3165)000001",
	"(30)5(02)10614141000415(37)3",
	"(01)06901234567892(10)!\"%&'()*+,-./:;<=>?_",
	// dates
	"(17)760101", "(17)770101", "(17)300101", "(17)280200", "(17)270200", "(17)000200",
	"(17)270229", "(17)271301", "(17)270431", "(17)270001",
	// GS1 errors
	"(01)06901234567892(99)ABC", "0106901234567892" + "9912", "(3106)001250", "(1)23", "(12345)6",
	"01069012345678", "0106901234567892" + "172703", "0106901234567892" + "10", "0106901234567892" + "31",
	"]C1" + "00106141412345", "(01)06901234567892(10)",
	"0106901234567892" + "10" + strings.Repeat("A", 21), "0106901234567892" + "10LOT42" + "21SERIAL0123456789",
	"(400)" + strings.Repeat("P", 31), "(30)123456789",
	"(01)06901234567892(10)A(10)B", "(01)06901234567892(3102)000125(3103)001000",
	"(01)0690123456789", "01069012345" + gsc + "10LOT42", "(10)LOT 42", "(10)LOT#42", "(10)批次42", "(10)(21)X",
	"(01)06901234567890", "(00)106141412345678900", "(410)0614141000013",
	// own codes, GTINs, unknown
	"A01-02-03", "DOCK-01", "T00042", "]C0T00042", "B1234", "SO20260001", "SF1234567890123", "JDVA01234567890",
	"EE123456789CN", "Ｔ０００４２", "6901234567892", "]E06901234567892", "036000291452", "96385074", "]E496385074",
	"10614141000415", "6901234567890", "0106901234567890", "HELLO", "]E0", "]C1", "", " \r\n", gsc, "\u3000",
	"]d2T00042", "(ABC)", "\xff\xfe(01)", "(01)\xff",
}

// FuzzParse checks invariants of Parse (and ParseGS1) on arbitrary input.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	p := parserAt(2026)
	f.Fuzz(func(t *testing.T, s string) {
		r, err := p.Parse(s)
		checkResult(t, p, s, r, err)
		if r2, err2 := p.Parse(s); !reflect.DeepEqual(r, r2) || !reflect.DeepEqual(err, err2) {
			t.Fatalf("Parse(%q) is not deterministic", s)
		}
		r, err = p.ParseGS1(s)
		checkResult(t, p, s, r, err)
		if err == nil && r.Kind != KindGS1 {
			t.Fatalf("ParseGS1(%q) kind %q", s, r.Kind)
		}
		_, _ = Parse(s) // real clock: must not panic either
		_, _ = NormalizeGTIN(s)
		_, _ = ParseDate(s)
	})
}

func checkResult(t *testing.T, p *Parser, s string, r Result, err error) {
	t.Helper()
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("Parse(%q): error %v is %T, not *Error", s, err, err)
		}
		known := false
		for _, k := range ErrorKeys {
			known = known || k == e.Key
		}
		if !known || e.Detail == "" {
			t.Fatalf("Parse(%q): error key %q not in ErrorKeys or empty detail %q", s, e.Key, e.Detail)
		}
		if !reflect.DeepEqual(r, Result{}) {
			t.Fatalf("Parse(%q): non-zero result %+v with error %v", s, r, err)
		}
		return
	}
	b, jerr := json.Marshal(r)
	if jerr != nil {
		t.Fatalf("Parse(%q): json.Marshal: %v", s, jerr)
	}
	if utf8.ValidString(r.Code) {
		var back Result
		if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, r) {
			t.Fatalf("Parse(%q): JSON round trip %s -> %+v, %v", s, b, back, err)
		}
	}
	switch r.Kind {
	case KindGS1, KindGTIN:
		if r.GTIN != "" && (len(r.GTIN) != 14 || !ValidGTIN(r.GTIN)) {
			t.Fatalf("Parse(%q): bad GTIN %q", s, r.GTIN)
		}
		if r.Code != "" {
			t.Fatalf("Parse(%q): Code %q set for kind %s", s, r.Code, r.Kind)
		}
	case KindLocation, KindTote, KindBadge, KindOrder, KindWaybill, KindUnknown:
		if r.Code == "" || r.Code != strings.Trim(r.Code, " \t\r\n") || strings.Contains(r.Code, gsc) {
			t.Fatalf("Parse(%q): bad Code %q", s, r.Code)
		}
		if r.GTIN != "" || r.AIs != nil {
			t.Fatalf("Parse(%q): GS1 fields set for kind %s: %+v", s, r.Kind, r)
		}
	default:
		t.Fatalf("Parse(%q): unexpected kind %q", s, r.Kind)
	}
	switch r.Kind {
	case KindGTIN:
		if r.GTIN == "" || r.AIs != nil {
			t.Fatalf("Parse(%q): gtin result %+v", s, r)
		}
	case KindGS1:
		if len(r.AIs) == 0 {
			t.Fatalf("Parse(%q): gs1 result without AIs", s)
		}
		if r.ContentGTIN != "" && (len(r.ContentGTIN) != 14 || !ValidGTIN(r.ContentGTIN)) {
			t.Fatalf("Parse(%q): bad content GTIN %q", s, r.ContentGTIN)
		}
		if r.SSCC != "" && !ValidSSCC(r.SSCC) {
			t.Fatalf("Parse(%q): bad SSCC %q", s, r.SSCC)
		}
		// Re-encoding the AIs as a raw element string (GS after every
		// field, sorted by AI) must give the same result.
		ais := make([]string, 0, len(r.AIs))
		for ai := range r.AIs {
			ais = append(ais, ai)
		}
		sort.Strings(ais)
		var raw strings.Builder
		raw.WriteString("]C1")
		for _, ai := range ais {
			raw.WriteString(ai + r.AIs[ai] + gsc)
		}
		again, err := p.Parse(raw.String())
		if err != nil || !reflect.DeepEqual(again, r) {
			t.Fatalf("Parse(%q) = %+v; re-encoded %q gives %+v, %v", s, r, raw.String(), again, err)
		}
	}
}

// FuzzParseTypedDate: any input either fails with a scan error or gives a
// real date that parses back to itself from its canonical form.
func FuzzParseTypedDate(f *testing.F) {
	for _, s := range []string{"2027-03-31", "2027/3/31", "2027.3.31", "20270331", "270331", "270200", "２０２７－０３－３１",
		" 2027-3-1 ", "2027-02-29", "2028-02-29", "2027--3-31", "2027-3-31-", "", "0000-01-01", "9999-12-31", "27-03-31"} {
		f.Add(s, 2026)
		f.Add(s, 0)
	}
	f.Fuzz(func(t *testing.T, s string, year int) {
		d, err := ParseTypedDate(s, year%10000)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || (e.Key != ErrKeyBadDate && e.Key != ErrKeyEmpty) {
				t.Fatalf("%q: error %v is not a scan date error", s, err)
			}
			return
		}
		back, err := ParseDate(d.String())
		if err != nil || back != d {
			t.Fatalf("%q gave %v, which parses back as %v (%v)", s, d, back, err)
		}
	})
}
