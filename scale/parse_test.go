package scale

import (
	"errors"
	"math"
	"strings"
	"testing"
)

type parseCase struct {
	name   string
	line   string
	grams  float64
	stable bool
	key    string // expected error key; "" for success
}

var parseCases = []parseCase{
	// continuous format
	{name: "continuous/stable kg", line: "ST,GS,+001.250kg", grams: 1250, stable: true},
	{name: "continuous/unstable kg", line: "US,GS,+001.248kg", grams: 1248},
	{name: "continuous/net", line: "ST,NT,+0001.25kg", grams: 1250, stable: true},
	{name: "continuous/spaces", line: "ST,GS,+  1.250 kg", grams: 1250, stable: true},
	{name: "continuous/grams", line: "ST,GS,+0001250g", grams: 1250, stable: true},
	{name: "continuous/grams with decimals", line: "US,GS,+1250.5 g", grams: 1250.5},
	{name: "continuous/pounds", line: "ST,GS,+002.756lb", grams: 1250.101, stable: true},
	{name: "continuous/pounds upper case", line: "ST,GS,+002.756LB", grams: 1250.101, stable: true},
	{name: "continuous/zero", line: "ST,GS,+000.000kg", grams: 0, stable: true},
	{name: "continuous/no sign", line: "ST,GS, 001.250kg", grams: 1250, stable: true},
	{name: "continuous/CRLF and STX around", line: "\x02ST,GS,+001.250kg\x03\r\n", grams: 1250, stable: true},
	{name: "continuous/A&D two fields", line: "ST,+001.250 kg", grams: 1250, stable: true},
	{name: "continuous/tare noise", line: "ST,NT,-000.002kg", grams: 0, stable: true},
	{name: "continuous/tare noise grams", line: "US,NT,-3g", grams: 0},
	{name: "continuous/negative", line: "ST,NT,-000.150kg", grams: -150, stable: true, key: KeyNegative},
	{name: "continuous/overload", line: "OL,GS,+9999.99kg", key: KeyOverload},
	{name: "continuous/overload A&D exponent", line: "OL,+9999999E+19", key: KeyOverload},
	{name: "continuous/underload", line: "OL,GS,-9999.99kg", key: KeyUnderload},
	{name: "continuous/ounces", line: "ST,GS,+0044.09oz", key: KeyUnit},
	{name: "continuous/counting mode", line: "QT,+0000123 PC", key: KeyUnit},
	{name: "continuous/missing unit", line: "ST,GS,+001.250", key: KeyGarbled},
	{name: "continuous/missing number", line: "ST,GS,+kg", key: KeyGarbled},
	{name: "continuous/unknown status", line: "XX,GS,+001.250kg", key: KeyGarbled},
	{name: "continuous/unknown weight type", line: "ST,ZZ,+001.250kg", key: KeyGarbled},
	{name: "continuous/two dots", line: "ST,GS,+001.2.50kg", key: KeyGarbled},
	{name: "continuous/exponent", line: "ST,GS,+1e3kg", key: KeyGarbled},
	{name: "continuous/NaN", line: "ST,GS,NaN kg", key: KeyGarbled},
	{name: "continuous/Inf", line: "ST,GS,+Inf kg", key: KeyGarbled},
	{name: "continuous/too many fields", line: "ST,GS,X,+001.250kg", key: KeyGarbled},
	{name: "continuous/line started mid-way", line: ",GS,+001.250kg", key: KeyGarbled},
	{name: "continuous/cut off tail", line: "001.250kg", key: KeyGarbled},
	{name: "continuous/too many digits", line: "ST,GS,+1234567890123456kg", key: KeyGarbled},

	// MT-SICS
	{name: "mtsics/stable", line: "S S      1.250 kg", grams: 1250, stable: true},
	{name: "mtsics/dynamic", line: "S D      1.248 kg", grams: 1248},
	{name: "mtsics/grams", line: "S S     1250.0 g", grams: 1250, stable: true},
	{name: "mtsics/pounds", line: "S S     2.7558 lb", grams: 1250.01, stable: true},
	{name: "mtsics/SI echo stable", line: "SI S      1.250 kg", grams: 1250, stable: true},
	{name: "mtsics/SIU echo dynamic", line: "SIU D      1.249 kg", grams: 1249},
	{name: "mtsics/tare noise", line: "S S     -0.001 kg", grams: 0, stable: true},
	{name: "mtsics/negative", line: "S S     -0.250 kg", grams: -250, stable: true, key: KeyNegative},
	{name: "mtsics/busy", line: "S I", key: KeyBusy},
	{name: "mtsics/overload", line: "S +", key: KeyOverload},
	{name: "mtsics/underload", line: "S -", key: KeyUnderload},
	{name: "mtsics/syntax error", line: "ES", key: KeyCommand},
	{name: "mtsics/transmission error", line: "ET", key: KeyCommand},
	{name: "mtsics/logical error", line: "EL", key: KeyCommand},
	{name: "mtsics/S L", line: "S L", key: KeyCommand},
	{name: "mtsics/ounces", line: "S S      44.09 oz", key: KeyUnit},
	{name: "mtsics/no value", line: "S S", key: KeyGarbled},
	{name: "mtsics/unknown status", line: "S X      1.250 kg", key: KeyGarbled},
	{name: "mtsics/other command", line: "I4 A \"0123456789\"", key: KeyGarbled},
	{name: "mtsics/request echo", line: "SI", key: KeyGarbled},
	{name: "mtsics/cut off head", line: "      1.250 kg", key: KeyGarbled},

	// garbage
	{name: "garbage/empty", line: "", key: KeyGarbled},
	{name: "garbage/blank", line: " \t\r\n", key: KeyGarbled},
	{name: "garbage/binary", line: "\xff\xfe\x00ST,GS,+001.250kg", key: KeyGarbled},
	{name: "garbage/inner control byte", line: "ST,GS,+001\x00.250kg", key: KeyGarbled},
	{name: "garbage/text", line: "hello world", key: KeyGarbled},
	{name: "garbage/too long", line: "ST,GS,+001.250kg" + strings.Repeat(" ", MaxLineLen), key: KeyGarbled},
}

func TestParseLine(t *testing.T) {
	for _, tc := range parseCases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseLine(tc.line)
			if tc.key != "" {
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("ParseLine(%q) = %+v, %v; want *Error %s", tc.line, r, err, tc.key)
				}
				if e.Key != tc.key {
					t.Fatalf("ParseLine(%q) error key = %q (%v); want %q", tc.line, e.Key, err, tc.key)
				}
				if tc.key == KeyNegative && (math.Abs(r.Grams-tc.grams) > 0.001 || r.Stable != tc.stable) {
					t.Errorf("ParseLine(%q) negative reading = %+v; want %v g stable=%v", tc.line, r, tc.grams, tc.stable)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseLine(%q): %v", tc.line, err)
			}
			if math.Abs(r.Grams-tc.grams) > 0.001 {
				t.Errorf("Grams = %v; want %v", r.Grams, tc.grams)
			}
			if r.Stable != tc.stable {
				t.Errorf("Stable = %v; want %v", r.Stable, tc.stable)
			}
			if want := strings.Trim(tc.line, " \t\r\n\x02\x03"); r.Raw != want {
				t.Errorf("Raw = %q; want %q", r.Raw, want)
			}
			if !r.At.IsZero() {
				t.Errorf("At = %v; want zero", r.At)
			}
			if math.Signbit(r.Grams) {
				t.Errorf("Grams = %v has the sign bit set", r.Grams)
			}
		})
	}
}

func TestErrorIs(t *testing.T) {
	_, err := ParseLine("S I")
	if !errors.Is(err, ErrBusy) {
		t.Fatalf("errors.Is(%v, ErrBusy) = false", err)
	}
	if errors.Is(err, ErrOverload) {
		t.Fatalf("errors.Is(%v, ErrOverload) = true", err)
	}
	if got := err.Error(); got != `scale: scale busy: "S I"` {
		t.Errorf("Error() = %q", got)
	}
	_, err = ParseLine("OL,GS,+9999.99kg")
	if !errors.Is(err, ErrOverload) {
		t.Fatalf("errors.Is(%v, ErrOverload) = false", err)
	}
}

func FuzzParseLine(f *testing.F) {
	for _, tc := range parseCases {
		f.Add(tc.line)
	}
	f.Add("ST,GS,+001.250kg\r\nUS,GS,+001.248kg")
	f.Add("S S 99999999999999.9 lb")
	f.Add("S D -.5g")
	f.Add("ST,+.kg")
	f.Fuzz(func(t *testing.T, line string) {
		r, err := ParseLine(line)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Key == "" {
				t.Fatalf("ParseLine(%q) error %v is not an *Error with a key", line, err)
			}
			return
		}
		if math.IsNaN(r.Grams) || math.IsInf(r.Grams, 0) {
			t.Fatalf("ParseLine(%q).Grams = %v", line, r.Grams)
		}
		if r.Grams < 0 {
			t.Fatalf("ParseLine(%q).Grams = %v; negative without error", line, r.Grams)
		}
		if r.Raw == "" {
			t.Fatalf("ParseLine(%q).Raw is empty", line)
		}
		if len(r.Raw) > MaxLineLen {
			t.Fatalf("ParseLine(%q).Raw is %d bytes", line, len(r.Raw))
		}
	})
}
