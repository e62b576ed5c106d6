package scale

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"go.bug.st/serial"
)

// Serial defaults, used for options missing from a serial:// address.
const (
	DefaultBaud   = 9600
	DefaultParity = "N"
	DefaultBits   = 8
	DefaultStop   = "1"
)

const addrHelp = `use "serial:///dev/ttyUSB0?baud=9600&parity=N&bits=8&stop=1" or "tcp://host:port"`

// ParseAddress validates a scale address and splits it up.
//
//	serial:///dev/ttyUSB0?baud=9600&parity=N&bits=8&stop=1
//	serial://COM3?baud=9600                (Windows)
//	tcp://10.0.0.50:4001                   (serial-to-Ethernet converter, raw TCP)
//
// network is "serial" or "tcp". For serial, target is the device path and
// opts holds every serial setting with defaults filled in and normalised:
// baud (any positive integer, default 9600), parity (N, E, O, M, S; "none",
// "even", "odd", "mark", "space" accepted; default N), bits (5–8, default 8),
// stop (1, 1.5 or 2, default 1). For tcp, target is "host:port" and opts is
// empty. Unknown options are an error, so a typo does not pass silently.
func ParseAddress(addr string) (network, target string, opts map[string]string, err error) {
	addr = strings.TrimSpace(addr)
	if addr == "" {
		return "", "", nil, fmt.Errorf("scale: empty address; %s", addrHelp)
	}
	if !strings.Contains(addr, "://") && !strings.HasPrefix(strings.ToLower(addr), "serial:") {
		return "", "", nil, fmt.Errorf("scale: address %q must start with serial:// or tcp://; %s", addr, addrHelp)
	}
	u, perr := url.Parse(addr)
	if perr != nil {
		return "", "", nil, fmt.Errorf("scale: address %q: %v; %s", addr, perr, addrHelp)
	}
	if u.User != nil {
		return "", "", nil, fmt.Errorf("scale: address %q: user info is not supported", addr)
	}
	if u.Fragment != "" {
		return "", "", nil, fmt.Errorf("scale: address %q: unexpected fragment %q", addr, u.Fragment)
	}
	query, qerr := url.ParseQuery(u.RawQuery)
	if qerr != nil {
		return "", "", nil, fmt.Errorf("scale: address %q: bad options: %v", addr, qerr)
	}
	switch u.Scheme {
	case "serial":
		return parseSerialAddress(addr, u, query)
	case "tcp":
		return parseTCPAddress(addr, u, query)
	default:
		return "", "", nil, fmt.Errorf("scale: address %q: unknown scheme %q; %s", addr, u.Scheme, addrHelp)
	}
}

func parseSerialAddress(addr string, u *url.URL, query url.Values) (string, string, map[string]string, error) {
	var target string
	switch {
	case u.Opaque != "": // serial:COM3
		target = u.Opaque
	case u.Host != "" && u.Path != "":
		return "", "", nil, fmt.Errorf("scale: address %q: device path split into host %q and path %q; write three slashes: serial:///dev/ttyUSB0", addr, u.Host, u.Path)
	default:
		target = u.Host + u.Path
	}
	if target == "" || target == "/" {
		return "", "", nil, fmt.Errorf("scale: address %q: no serial device; %s", addr, addrHelp)
	}
	opts := map[string]string{
		"baud":   strconv.Itoa(DefaultBaud),
		"parity": DefaultParity,
		"bits":   strconv.Itoa(DefaultBits),
		"stop":   DefaultStop,
	}
	for key, vals := range query {
		k := strings.ToLower(key)
		if _, known := opts[k]; !known {
			return "", "", nil, fmt.Errorf("scale: address %q: unknown option %q (known: baud, parity, bits, stop)", addr, key)
		}
		if len(vals) != 1 {
			return "", "", nil, fmt.Errorf("scale: address %q: option %q given %d times", addr, key, len(vals))
		}
		v := strings.TrimSpace(vals[0])
		switch k {
		case "baud":
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 || n > 10_000_000 {
				return "", "", nil, fmt.Errorf("scale: address %q: baud %q is not a valid baud rate (e.g. 9600)", addr, v)
			}
			v = strconv.Itoa(n)
		case "parity":
			p, ok := parityNames[strings.ToLower(v)]
			if !ok {
				return "", "", nil, fmt.Errorf("scale: address %q: parity %q: want N, E, O, M or S", addr, v)
			}
			v = p
		case "bits":
			n, err := strconv.Atoi(v)
			if err != nil || n < 5 || n > 8 {
				return "", "", nil, fmt.Errorf("scale: address %q: bits %q: want 5, 6, 7 or 8", addr, v)
			}
			v = strconv.Itoa(n)
		case "stop":
			if v != "1" && v != "1.5" && v != "2" {
				return "", "", nil, fmt.Errorf("scale: address %q: stop %q: want 1, 1.5 or 2", addr, v)
			}
		}
		opts[k] = v
	}
	return "serial", target, opts, nil
}

var parityNames = map[string]string{
	"n": "N", "none": "N",
	"e": "E", "even": "E",
	"o": "O", "odd": "O",
	"m": "M", "mark": "M",
	"s": "S", "space": "S",
}

func parseTCPAddress(addr string, u *url.URL, query url.Values) (string, string, map[string]string, error) {
	if u.Opaque != "" || u.Host == "" {
		return "", "", nil, fmt.Errorf("scale: address %q: want tcp://host:port", addr)
	}
	if u.Path != "" && u.Path != "/" {
		return "", "", nil, fmt.Errorf("scale: address %q: unexpected path %q; want tcp://host:port", addr, u.Path)
	}
	for key := range query {
		return "", "", nil, fmt.Errorf("scale: address %q: unknown option %q (tcp takes none)", addr, key)
	}
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil {
		return "", "", nil, fmt.Errorf("scale: address %q: want tcp://host:port: %v", addr, err)
	}
	if host == "" {
		return "", "", nil, fmt.Errorf("scale: address %q: missing host", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", "", nil, fmt.Errorf("scale: address %q: port %q: want a number 1–65535", addr, port)
	}
	return "tcp", u.Host, map[string]string{}, nil
}

// serialMode turns the normalised options from ParseAddress into a serial.Mode.
func serialMode(opts map[string]string) (*serial.Mode, error) {
	baud, err := strconv.Atoi(opts["baud"])
	if err != nil {
		return nil, fmt.Errorf("scale: baud %q: %v", opts["baud"], err)
	}
	bits, err := strconv.Atoi(opts["bits"])
	if err != nil {
		return nil, fmt.Errorf("scale: bits %q: %v", opts["bits"], err)
	}
	m := &serial.Mode{BaudRate: baud, DataBits: bits}
	switch opts["parity"] {
	case "N":
		m.Parity = serial.NoParity
	case "E":
		m.Parity = serial.EvenParity
	case "O":
		m.Parity = serial.OddParity
	case "M":
		m.Parity = serial.MarkParity
	case "S":
		m.Parity = serial.SpaceParity
	default:
		return nil, fmt.Errorf("scale: parity %q", opts["parity"])
	}
	switch opts["stop"] {
	case "1":
		m.StopBits = serial.OneStopBit
	case "1.5":
		m.StopBits = serial.OnePointFiveStopBits
	case "2":
		m.StopBits = serial.TwoStopBits
	default:
		return nil, fmt.Errorf("scale: stop %q", opts["stop"])
	}
	return m, nil
}
