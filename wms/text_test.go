package wms

import (
	"strings"
	"testing"
	"unicode/utf8"
)

var tenMB = strings.Repeat("长", 10<<20/3)

func TestCheckText(t *testing.T) {
	cases := []struct {
		name, text string
		free       bool
		required   bool
		key        string // "" when accepted
	}{
		{name: "a name", text: "打包台 A · Packing 1"},
		{name: "emoji in a name", text: "小王 💥"},
		{name: "empty, optional", text: ""},
		{name: "empty, required", text: "  ", required: true, key: "text.required"},
		{name: "name at the limit", text: strings.Repeat("名", MaxName)},
		{name: "name over the limit", text: strings.Repeat("名", MaxName+1), key: "text.too_long"},
		{name: "10 MB name", text: tenMB, key: "text.too_long"},
		{name: "10 MB reason", text: tenMB, free: true, key: "text.too_long"},
		{name: "reason at the limit", text: strings.Repeat("r", MaxText), free: true},
		{name: "reason over the limit", text: strings.Repeat("r", MaxText+1), free: true, key: "text.too_long"},
		{name: "reason on two lines", text: "破损\r\n客户拒收", free: true},
		{name: "name on two lines", text: "a\nb", key: "text.control"},
		{name: "escape sequence", text: "\x1b[2Jhello", free: true, key: "text.control"},
		{name: "NUL", text: "a\x00b", key: "text.control"},
		{name: "C1 control", text: "a\u0085b", key: "text.control"},
		{name: "line separator", text: "a\u2028b", free: true, key: "text.control"},
		{name: "not UTF-8", text: "\xff\xfe", key: "text.encoding"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			check := checkName
			if tc.free {
				check = checkFree
			}
			err := check(FieldReason, tc.text, tc.required)
			if tc.key == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			e, ok := AsError(err)
			if !ok || e.Key != tc.key || e.Code != CodeInvalid || e.Args["field"] != FieldReason {
				t.Fatalf("got %v, want %s", err, tc.key)
			}
		})
	}
}

func TestValidWaybill(t *testing.T) {
	for s, want := range map[string]bool{
		"SF1234567890123": true, "YT0123456789012": true, "773012345678": true, "JDVA00012345678": true,
		"1Z999AA10123456784": true, "EA123456789CN": true, "75-12345678-9": true,
		"1": false, "<script>": false, "💥": false, "SF 1234567890": false, "ABCDEFGHIJ": false,
		"-123456789": false, "123456789-": false, "1234567": false, strings.Repeat("1", 41): false,
		"SF123456789;rm": false, "SF１２３４５６７８９": false, "": false,
	} {
		if got := ValidWaybill(s); got != want {
			t.Errorf("ValidWaybill(%q) = %v", s, got)
		}
	}
}

func TestCheckDeviceAddresses(t *testing.T) {
	printers := map[string]bool{
		"browser": true, "cups:Zebra_ZD421": true, "cups:label-1": true, "cups://Zebra": true,
		"tcp://10.0.0.60:9100": true, "tcp://10.0.0.60": true, "tcp://printer-3.lan:9100": true, "tcp://[fe80::1]:9100": true,
		"file:/var/lib/tally/labels": true,
		"1":                          false, "cups:x;rm -rf /": false, "cups:": false, "cups:-o": false, "cups:a b": false, "cups:$(reboot)": false,
		"cups:" + strings.Repeat("q", 128): false, "cups:" + strings.Repeat("q", 127): true, "cups:打印机": false,
		"tcp://10.0.0.60:99999": false, "tcp://10.0.0.60:0": false, "tcp://": false, "tcp:10.0.0.60": false,
		"tcp://host;reboot:9100": false, "tcp://user@host:9100": false, "tcp://-x:9100": false,
		"file:relative": false, "file:/etc/../root": false, "file:/tmp/a b": false,
		"lp:x": false, "": false, " browser": false, "browserx": false, "browser:": false,
	}
	for addr, want := range printers {
		if err := CheckPrinter("P1", addr); (err == nil) != want {
			t.Errorf("printer %q: %v, want accepted %v", addr, err, want)
		} else if err != nil {
			if e, _ := AsError(err); e.Key != "station.printer_invalid" {
				t.Errorf("printer %q: key %s", addr, e.Key)
			}
		}
	}
	scales := map[string]bool{
		"": true, "serial:///dev/ttyUSB0?baud=9600": true, "serial:///dev/ttyUSB0?baud=9600&parity=N&bits=8&stop=1": true,
		"serial://COM3?baud=9600": true, "tcp://10.0.0.50:4001": true,
		"1": false, "tcp://10.0.0.50": false, "serial:///dev/../etc/passwd": false, "serial:///dev/ttyUSB0;reboot": false,
		"serial:///dev/ttyUSB0?baud=9600;x": false, "serial://": false, "http://10.0.0.50:80": false,
	}
	for addr, want := range scales {
		if err := CheckScale("P1", addr); (err == nil) != want {
			t.Errorf("scale %q: %v, want accepted %v", addr, err, want)
		}
	}
}

// Through the ledger: what is refused on the way in changes nothing.
func TestInputLimitsOnTheLedger(t *testing.T) {
	l := stockFixture(t)
	mustOrder(t, l, order("SO1", LineIn{SKU: "BOOK", Qty: 1}))
	station := func(mod func(*Station)) func() error {
		return func() error {
			s := Station{ID: "P1", Name: "打包台 1", Printer: "cups:Zebra_1", Format: "zpl", Label: "100x150"}
			mod(&s)
			_, err := l.SaveStation(ctx, "", s, "B9001", "test")
			return err
		}
	}
	waybills := func(n string) func() error {
		return func() error {
			_, err := l.LoadWaybills(ctx, "wb-"+n, WaybillLoad{Account: "SF", Numbers: []string{"SF1000000000001", n}}, "B9001", "test")
			return err
		}
	}
	cases := []struct {
		name string
		do   func() error
		key  string
	}{
		{"printer 1", station(func(s *Station) { s.Printer = "1" }), "station.printer_invalid"},
		{"printer with a command", station(func(s *Station) { s.Printer = "cups:x;rm -rf /" }), "station.printer_invalid"},
		{"scale with a command", station(func(s *Station) { s.Scale = "serial:///dev/ttyUSB0;reboot" }), "station.scale_invalid"},
		{"10 MB station name", station(func(s *Station) { s.Name = tenMB }), "text.too_long"},
		{"10 MB sender", station(func(s *Station) { s.Sender = tenMB }), "text.too_long"},
		{"waybill 1", waybills("1"), "waybill.number_format"},
		{"waybill markup", waybills("<script>"), "waybill.number_format"},
		{"waybill emoji", waybills("💥"), "waybill.number_format"},
		{"10 MB cancellation reason", func() error {
			_, err := l.CancelOrder(ctx, "SO1", tenMB, "", "oms", "api")
			return err
		}, "text.too_long"},
		{"cancellation reason with control characters", func() error {
			_, err := l.CancelOrder(ctx, "SO1", "客户\x1b[31m取消", "", "oms", "api")
			return err
		}, "text.control"},
		{"10 MB lot hold reason", func() error {
			_, err := l.SetLotStatus(ctx, "hold-1", LotStatusChange{SKU: "MILK", Lot: "L1", Status: LotHold, Reason: tenMB}, "B9001", "test")
			return err
		}, "text.too_long"},
		{"10 MB count reason", func() error {
			return l.RequestCounts(ctx, "count-1", CountRequest{Zone: "A", Reason: tenMB}, "B9001", "test")
		}, "text.too_long"},
		{"10 MB box name", func() error {
			return l.SaveBox(ctx, Box{Code: "B1", Name: tenMB, LengthMM: 100, WidthMM: 100, HeightMM: 100}, "B9001", "test")
		}, "text.too_long"},
		{"return waybill markup", func() error {
			_, err := l.AnnounceReturn(ctx, "rma-2", RMA{RMA: "RMA-2", Order: "SO1", ReturnWaybill: "<script>"}, "oms", "api")
			return err
		}, "waybill.number_format"},
		{"10 MB return note", func() error {
			_, err := l.ReceiveReturn(ctx, ReturnParcel{ID: "rp-1", Notes: tenMB}, "B3001", "pda")
			return err
		}, "text.too_long"},
		{"10 MB scanned return waybill", func() error {
			_, err := l.ReceiveReturn(ctx, ReturnParcel{ID: "rp-2", ReturnWaybill: tenMB}, "B3001", "pda")
			return err
		}, "waybill.number_format"},
		{"10 MB return reason", func() error {
			_, err := l.AnnounceReturn(ctx, "rma-1", RMA{RMA: "RMA-1", Order: "SO1", Reason: tenMB}, "oms", "api")
			return err
		}, "text.too_long"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := l.LastSeq()
			err := tc.do()
			if e, ok := AsError(err); !ok || e.Key != tc.key || e.Code != CodeInvalid {
				t.Fatalf("got %v, want %s", err, tc.key)
			}
			if e, _ := AsError(err); utf8.RuneCountInString(e.Args["printer"]) > 80 || utf8.RuneCountInString(e.Args["waybill"]) > 80 {
				t.Errorf("the message repeats the whole value: %v", e.Args)
			}
			if l.LastSeq() != before {
				t.Error("a refused input changed the log")
			}
		})
	}
	// what a station, an order and a pool look like after all that
	if _, err := l.Station("P1"); err == nil {
		t.Error("a refused station was saved")
	}
	if o, _ := l.Order("SO1"); o.State == OrderCancelled {
		t.Error("a refused cancellation cancelled the order")
	}
	if left, _ := l.WaybillsLeft(); left["SF"] != 0 {
		t.Errorf("a refused load left %d numbers", left["SF"])
	}
	// and the good ones pass
	if err := station(func(*Station) {})(); err != nil {
		t.Errorf("a good station: %v", err)
	}
	if err := waybills("SF1000000000002")(); err != nil {
		t.Errorf("good waybill numbers: %v", err)
	}
	if _, err := l.CancelOrder(ctx, "SO1", "客户取消\n（电话确认）", "", "oms", "api"); err != nil {
		t.Errorf("a good reason: %v", err)
	}
}

// An ASN sent again with other lines is refused as a conflict, with or
// without a key; sent again as it was, it is the same receipt.
func TestReceiptResentChanged(t *testing.T) {
	l := stockFixture(t)
	in := ReceiptIn{ID: "ASN-9", Supplier: "飞鹤", Lines: []LineIn{{SKU: "MILK", Qty: 24}, {SKU: "BOOK", Qty: 5}}}
	if _, dup, err := l.ExpectReceipt(ctx, "", in, "oms", "api"); err != nil || dup {
		t.Fatalf("first: %v %v", dup, err)
	}
	same := ReceiptIn{ID: "ASN-9", Supplier: "飞鹤", Lines: []LineIn{{SKU: "BOOK", Qty: 5}, {SKU: "MILK", Qty: 20}, {SKU: "MILK", Qty: 4}}}
	for _, key := range []string{"", "asn-9-again"} {
		if r, dup, err := l.ExpectReceipt(ctx, key, same, "oms", "api"); err != nil || !dup || len(r.Lines) != 2 {
			t.Errorf("key %q, the same content in another order: %+v %v %v", key, r, dup, err)
		}
	}
	cases := map[string]ReceiptIn{
		"more of a line": {ID: "ASN-9", Supplier: "飞鹤", Lines: []LineIn{{SKU: "MILK", Qty: 25}, {SKU: "BOOK", Qty: 5}}},
		"a line fewer":   {ID: "ASN-9", Supplier: "飞鹤", Lines: []LineIn{{SKU: "MILK", Qty: 24}}},
		"a line more":    {ID: "ASN-9", Supplier: "飞鹤", Lines: []LineIn{{SKU: "MILK", Qty: 24}, {SKU: "BOOK", Qty: 5}, {SKU: "MILK", Qty: 1}}},
		"other supplier": {ID: "ASN-9", Supplier: "伊利", Lines: in.Lines},
	}
	for name, changed := range cases {
		for _, key := range []string{"", "asn-9-changed-" + name} {
			before := l.LastSeq()
			_, _, err := l.ExpectReceipt(ctx, key, changed, "oms", "api")
			wantRefused(t, name+" (key "+key+")", err, "receipt.changed")
			if l.LastSeq() != before {
				t.Errorf("%s: the log changed", name)
			}
		}
	}
	if r, _ := l.Receipt("ASN-9"); len(r.Lines) != 2 || r.Lines[0].Expected != 24 {
		t.Errorf("the receipt changed: %+v", r)
	}
}
