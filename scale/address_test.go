package scale

import (
	"context"
	"maps"
	"strings"
	"testing"

	"go.bug.st/serial"
)

func TestParseAddress(t *testing.T) {
	ok := []struct {
		name, addr, network, target string
		opts                        map[string]string
	}{
		{"serial full", "serial:///dev/ttyUSB0?baud=9600&parity=N&bits=8&stop=1", "serial", "/dev/ttyUSB0",
			map[string]string{"baud": "9600", "parity": "N", "bits": "8", "stop": "1"}},
		{"serial defaults", "serial:///dev/ttyUSB0", "serial", "/dev/ttyUSB0",
			map[string]string{"baud": "9600", "parity": "N", "bits": "8", "stop": "1"}},
		{"serial other settings", "serial:///dev/ttyS1?baud=2400&parity=even&bits=7&stop=2", "serial", "/dev/ttyS1",
			map[string]string{"baud": "2400", "parity": "E", "bits": "7", "stop": "2"}},
		{"serial pty", "serial:///dev/pts/7?baud=9600", "serial", "/dev/pts/7",
			map[string]string{"baud": "9600", "parity": "N", "bits": "8", "stop": "1"}},
		{"serial windows", "serial://COM3?baud=19200&Parity=o&stop=1.5", "serial", "COM3",
			map[string]string{"baud": "19200", "parity": "O", "bits": "8", "stop": "1.5"}},
		{"serial one slash", "serial:/dev/ttyACM0", "serial", "/dev/ttyACM0",
			map[string]string{"baud": "9600", "parity": "N", "bits": "8", "stop": "1"}},
		{"tcp", "tcp://10.0.0.50:4001", "tcp", "10.0.0.50:4001", map[string]string{}},
		{"tcp name", "tcp://scale-3.local:4001/", "tcp", "scale-3.local:4001", map[string]string{}},
		{"tcp ipv6", "tcp://[::1]:4001", "tcp", "[::1]:4001", map[string]string{}},
		{"surrounding space", "  tcp://10.0.0.50:4001 ", "tcp", "10.0.0.50:4001", map[string]string{}},
	}
	for _, tc := range ok {
		t.Run(tc.name, func(t *testing.T) {
			network, target, opts, err := ParseAddress(tc.addr)
			if err != nil {
				t.Fatalf("ParseAddress(%q): %v", tc.addr, err)
			}
			if network != tc.network || target != tc.target || !maps.Equal(opts, tc.opts) {
				t.Fatalf("ParseAddress(%q) = %q, %q, %v; want %q, %q, %v", tc.addr, network, target, opts, tc.network, tc.target, tc.opts)
			}
		})
	}

	bad := []struct{ name, addr, wantInErr string }{
		{"empty", "", "empty address"},
		{"no scheme path", "/dev/ttyUSB0", "must start with serial:// or tcp://"},
		{"no scheme host", "10.0.0.50:4001", "must start with serial:// or tcp://"},
		{"unknown scheme", "udp://10.0.0.50:4001", `unknown scheme "udp"`},
		{"two slashes", "serial://dev/ttyUSB0", "three slashes"},
		{"no device", "serial:///", "no serial device"},
		{"bad baud", "serial:///dev/ttyUSB0?baud=fast", `baud "fast"`},
		{"zero baud", "serial:///dev/ttyUSB0?baud=0", `baud "0"`},
		{"bad parity", "serial:///dev/ttyUSB0?parity=X", `parity "X"`},
		{"bad bits", "serial:///dev/ttyUSB0?bits=9", `bits "9"`},
		{"bad stop", "serial:///dev/ttyUSB0?stop=3", `stop "3"`},
		{"unknown option", "serial:///dev/ttyUSB0?speed=9600", `unknown option "speed"`},
		{"twice", "serial:///dev/ttyUSB0?baud=9600&baud=4800", "given 2 times"},
		{"tcp no port", "tcp://10.0.0.50", "host:port"},
		{"tcp bad port", "tcp://10.0.0.50:99999", `port "99999"`},
		{"tcp no host", "tcp://:4001", "missing host"},
		{"tcp path", "tcp://10.0.0.50:4001/x", `unexpected path "/x"`},
		{"tcp option", "tcp://10.0.0.50:4001?baud=9600", `unknown option "baud"`},
		{"user", "tcp://me@10.0.0.50:4001", "user info"},
	}
	for _, tc := range bad {
		t.Run("bad/"+tc.name, func(t *testing.T) {
			_, _, _, err := ParseAddress(tc.addr)
			if err == nil {
				t.Fatalf("ParseAddress(%q) succeeded; want error containing %q", tc.addr, tc.wantInErr)
			}
			if !strings.Contains(err.Error(), tc.wantInErr) {
				t.Fatalf("ParseAddress(%q) error %q; want it to contain %q", tc.addr, err, tc.wantInErr)
			}
		})
	}
}

func TestSerialMode(t *testing.T) {
	_, _, opts, err := ParseAddress("serial:///dev/ttyUSB0?baud=2400&parity=E&bits=7&stop=2")
	if err != nil {
		t.Fatal(err)
	}
	m, err := serialMode(opts)
	if err != nil {
		t.Fatal(err)
	}
	want := serial.Mode{BaudRate: 2400, DataBits: 7, Parity: serial.EvenParity, StopBits: serial.TwoStopBits}
	if *m != want {
		t.Fatalf("serialMode = %+v; want %+v", *m, want)
	}
}

func TestOpenValidates(t *testing.T) {
	ctx := context.Background()
	for _, cfg := range []Config{
		{Address: "bogus"},
		{Address: "tcp://127.0.0.1:1", Protocol: "ascii"},
		{Address: "tcp://127.0.0.1:1", PollEvery: -1},
		{Address: "tcp://127.0.0.1:1", ToleranceGrams: -1},
	} {
		if s, err := Open(ctx, cfg); err == nil {
			s.Close()
			t.Errorf("Open(%+v) succeeded; want error", cfg)
		}
	}
}
