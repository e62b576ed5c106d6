package scan

import "testing"

// Check digits below were computed by hand with the GS1 mod-10 rule: weights
// 3,1,3,1,... starting from the rightmost digit before the check digit;
// check = (10 - sum mod 10) mod 10.
func TestCheckDigit(t *testing.T) {
	tests := []struct {
		name   string
		digits string
		want   int
	}{
		// 690123456789 from the right: 9*3+8+7*3+6+5*3+4+3*3+2+1*3+0+9*3+6
		// = 27+8+21+6+15+4+9+2+3+0+27+6 = 128 -> (10-8)%10 = 2
		{"EAN-13 690123456789", "690123456789", 2},
		// 400638133393: 3*3+9+3*3+3+3*3+1+8*3+3+6*3+0+0*3+4
		// = 9+9+9+3+9+1+24+3+18+0+0+4 = 89 -> 1
		{"EAN-13 400638133393", "400638133393", 1},
		// 9638507: 7*3+0+5*3+8+3*3+6+9*3 = 21+0+15+8+9+6+27 = 86 -> 4
		{"EAN-8 9638507", "9638507", 4},
		// 03600029145: 5*3+4+1*3+9+2*3+0+0*3+0+6*3+3+0*3
		// = 15+4+3+9+6+0+0+0+18+3+0 = 58 -> 2
		{"UPC-A 03600029145", "03600029145", 2},
		// 1061414100041: 1*3+4+0*3+0+0*3+1+4*3+1+4*3+1+6*3+0+1*3
		// = 3+4+0+0+0+1+12+1+12+1+18+0+3 = 55 -> 5
		{"GTIN-14 1061414100041", "1061414100041", 5},
		// 10614141234567890: 0*3+9+8*3+7+6*3+5+4*3+3+2*3+1+4*3+1+4*3+1+6*3+0+1*3
		// = 0+9+24+7+18+5+12+3+6+1+12+1+12+1+18+0+3 = 132 -> 8
		{"SSCC 10614141234567890", "10614141234567890", 8},
		// GLN 061414100001: 1*3+0+0*3+0+0*3+1+4*3+1+4*3+1+6*3+0
		// = 3+0+0+0+0+1+12+1+12+1+18+0 = 48 -> 2
		{"GLN 061414100001", "061414100001", 2},
		// sum multiple of 10 -> 0: 5*3 + 5 = 20 -> 0
		{"sum multiple of ten", "55", 0},
		{"single zero", "0", 0},
		// 1*3 = 3 -> 7
		{"single one", "1", 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CheckDigit(tt.digits)
			if err != nil || got != tt.want {
				t.Fatalf("CheckDigit(%q) = %d, %v; want %d", tt.digits, got, err, tt.want)
			}
		})
	}
	for _, bad := range []string{"", "12a4", " 123", "１２３"} {
		if _, err := CheckDigit(bad); errKey(t, err) != ErrKeyBadValue {
			t.Errorf("CheckDigit(%q) error = %v, want %s", bad, err, ErrKeyBadValue)
		}
	}
}

func TestValidGTIN(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"EAN-13 valid", "6901234567892", true},
		{"EAN-13 valid 2", "4006381333931", true},
		{"EAN-13 wrong check", "6901234567890", false},
		{"EAN-13 transposed digits", "6901234576892", false},
		{"EAN-8 valid", "96385074", true},
		{"EAN-8 wrong check", "96385075", false},
		{"UPC-A valid", "036000291452", true},
		{"UPC-A wrong check", "036000291453", false},
		{"GTIN-14 valid", "10614141000415", true},
		{"GTIN-14 wrong check", "10614141000416", false},
		{"GTIN-14 padded EAN-13", "06901234567892", true},
		{"length 11", "03600029145", false},
		{"length 10", "0360002914", false},
		{"length 18 (SSCC)", "106141412345678908", false},
		{"letters", "69012345678A2", false},
		{"full-width digits are not normalised", "６９０１２３４５６７８９２", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ValidGTIN(tt.in); got != tt.want {
				t.Errorf("ValidGTIN(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestValidSSCC(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"valid", "106141412345678908", true},
		{"wrong check", "106141412345678900", false},
		// 00690123456789012: 2*3+1+0*3+9+8*3+7+6*3+5+4*3+3+2*3+1+0*3+9+6*3+0+0*3
		// = 6+1+0+9+24+7+18+5+12+3+6+1+0+9+18+0+0 = 119 -> 1
		{"valid 2", "006901234567890121", true},
		{"17 digits", "10614141234567890", false},
		{"19 digits", "1061414123456789080", false},
		{"letter", "10614141234567890X", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ValidSSCC(tt.in); got != tt.want {
				t.Errorf("ValidSSCC(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestNormalizeGTIN(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr string
	}{
		{"EAN-13", "6901234567892", "06901234567892", ""},
		{"UPC-A", "036000291452", "00036000291452", ""},
		{"EAN-8", "96385074", "00000096385074", ""},
		{"GTIN-14", "10614141000415", "10614141000415", ""},
		{"spaces and CRLF", "  6901234567892\r\n", "06901234567892", ""},
		{"full-width", "６９０１２３４５６７８９２", "06901234567892", ""},
		{"wrong check", "6901234567890", "", ErrKeyCheckDigit},
		{"wrong length", "69012345678", "", ErrKeyBadValue},
		{"letters", "690123456789X", "", ErrKeyBadValue},
		{"empty", " \t", "", ErrKeyEmpty},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeGTIN(tt.in)
			if key := errKey(t, err); key != tt.wantErr {
				t.Fatalf("NormalizeGTIN(%q) error = %v, want key %q", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("NormalizeGTIN(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	_, err := NormalizeGTIN("6901234567890")
	if want := "GTIN 6901234567890: check digit should be 2"; err.(*Error).Detail != want {
		t.Errorf("Detail = %q, want %q", err.(*Error).Detail, want)
	}
}
