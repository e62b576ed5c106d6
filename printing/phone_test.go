package printing

import (
	"bytes"
	"strings"
	"testing"
)

func TestMaskPhone(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"13812345678", "138****5678"},
		{"138 1234 5678", "138 **** 5678"},
		{"+86 138-1234-5678", "+86 138-****-5678"},
		{"0571-88886666", "0571-****6666"},
		{"138****5678", "138****5678"},
		{"8886666", "***6666"},
		{"1234", "1234"},
		{"", ""},
	} {
		if got := MaskPhone(c.in); got != c.want {
			t.Errorf("MaskPhone(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// The recipient's phone is masked on the printed waybill, PDF and ZPL, unless
// the station asks for the full number; the sender's stays as it is.
func TestWaybillMasksRecipientPhone(t *testing.T) {
	l := SampleWaybill()
	l.Recipient.Phone = "13912345678"
	for _, full := range []bool{false, true} {
		l.FullPhone = full
		want, not := "139****5678", "13912345678"
		if full {
			want, not = not, want
		}
		var z bytes.Buffer
		if err := LabelZPL(&z, []any{l}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(z.String(), want) || strings.Contains(z.String(), not) || !strings.Contains(z.String(), l.Sender.Phone) {
			t.Errorf("full=%v: ZPL lacks %q or has %q", full, want, not)
		}
		var s bytes.Buffer
		if err := LabelSVG(&s, l); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(s.String(), want) || strings.Contains(s.String(), not) {
			t.Errorf("full=%v: SVG lacks %q or has %q", full, want, not)
		}
		var p bytes.Buffer
		if err := LabelPDF(&p, []any{l}, testFont(t)); err != nil {
			t.Fatal(err)
		}
		text := strings.Join(pdfPages(t, p.Bytes()), "")
		if !strings.Contains(text, want) || strings.Contains(text, not) {
			t.Errorf("full=%v: PDF text lacks %q or has %q:\n%s", full, want, not, text)
		}
	}
}
