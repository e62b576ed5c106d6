package server

import (
	"testing"

	"tally/printing"
	"tally/scale"
	"tally/wms"
)

// What the ledger takes as a station's printer or scale, the back-ends can
// open: the ledger's rule (wms/text.go) is never looser than theirs.
func FuzzStationAddresses(f *testing.F) {
	for _, s := range []string{"browser", "cups:Zebra_1", "cups://Zebra", "tcp://10.0.0.60:9100", "tcp://10.0.0.60", "tcp://[fe80::1]:9100",
		"tcp://printer-3.lan:9100", "file:/var/lib/tally/labels", "1", "cups:x;rm -rf /", "serial:///dev/ttyUSB0?baud=9600&parity=N&bits=8&stop=1",
		"serial://COM3?baud=9600", "tcp://10.0.0.50:4001", "serial:///dev/ttyUSB0?baud=abc", "tcp://0.0.0.0:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, addr string) {
		if wms.CheckPrinter("P", addr) == nil {
			if _, err := printing.ParsePrinter(addr); err != nil {
				t.Errorf("printer %q: the ledger takes it, printing refuses it: %v", addr, err)
			}
		}
		if addr != "" && wms.CheckScale("P", addr) == nil {
			if _, _, _, err := scale.ParseAddress(addr); err != nil {
				t.Errorf("scale %q: the ledger takes it, scale refuses it: %v", addr, err)
			}
		}
	})
}
