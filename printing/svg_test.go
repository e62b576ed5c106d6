package printing

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
)

// The SVG a kiosk browser prints is well-formed, the label's size in mm, and
// carries the same text and barcodes as the PDF and the ZPL.
func TestLabelSVG(t *testing.T) {
	l := SampleWaybill()
	var b bytes.Buffer
	if err := LabelSVG(&b, l); err != nil {
		t.Fatal(err)
	}
	svg := b.String()
	d := xml.NewDecoder(strings.NewReader(svg))
	for {
		if _, err := d.Token(); err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("not well-formed: %v", err)
			}
			break
		}
	}
	for _, want := range []string{`width="100mm" height="150mm"`, `data-code128="SF1234567890123"`, ">王晓明", "SO2026112100042"} {
		if !strings.Contains(svg, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	if err := LabelSVG(&b, nil); err == nil {
		t.Error("no label rendered without an error")
	}
}
