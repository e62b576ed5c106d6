package printing

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Printer prints jobs: PDFs and ZPL labels.
type Printer interface {
	Print(ctx context.Context, job Job) error
}

// Job is one document to print.
type Job struct {
	Title  string // shown in the print queue; the file name for the file back-end
	Format string // "pdf" or "zpl"
	Data   []byte
	Copies int // 0 means 1
}

// Job formats.
const (
	FormatPDF = "pdf"
	FormatZPL = "zpl"
)

// MaxCopies is the largest number of copies one job may ask for.
const MaxCopies = 999

// ErrBrowserPrint is returned by the "browser" printer: nothing was printed here, and the
// server is to hand the PDF to the kiosk browser's print dialog instead.
var ErrBrowserPrint = errors.New("printing: this kiosk prints from the browser: send the PDF to the browser's print dialog")

// ParsePrinter parses a printer address:
//
//	cups:QUEUE          a CUPS queue, printed to with lp (ZPL is sent raw)
//	tcp://HOST[:PORT]   a label printer taking raw ZPL on a TCP port (default 9100)
//	file:/DIR           writes every job as a file into the directory DIR
//	browser             the kiosk browser prints the PDF (Print returns ErrBrowserPrint)
func ParsePrinter(addr string) (Printer, error) {
	a := strings.TrimSpace(addr)
	scheme, rest, hasColon := strings.Cut(a, ":")
	rest = strings.TrimSpace(rest)
	switch {
	case a == "":
		return nil, errors.New("printing: no printer address: use cups:QUEUE, tcp://HOST:9100, file:/DIR or browser")
	case strings.EqualFold(a, "browser"):
		return BrowserPrinter{}, nil
	case !hasColon:
		return nil, fmt.Errorf("printing: printer address %q has no kind: use cups:%s for a CUPS queue, tcp://%s:9100 for a label printer on the network, file:/DIR or browser", addr, a, a)
	}
	switch strings.ToLower(scheme) {
	case "cups":
		q := strings.TrimPrefix(rest, "//")
		if err := checkQueueName(q); err != nil {
			return nil, fmt.Errorf("printing: printer address %q: %w", addr, err)
		}
		return CUPSPrinter{Queue: q}, nil
	case "tcp":
		return parseTCP(addr, a)
	case "file":
		dir, err := parseFileDir(rest)
		if err != nil {
			return nil, fmt.Errorf("printing: printer address %q: %w", addr, err)
		}
		return FilePrinter{Dir: dir}, nil
	}
	return nil, fmt.Errorf("printing: printer address %q: unknown kind %q: use cups:QUEUE, tcp://HOST:9100, file:/DIR or browser", addr, scheme)
}

// checkQueueName checks a CUPS queue name: up to 127 printable characters, not space, tab,
// "/", "\\", "#", quotes or a leading "-".
func checkQueueName(q string) error {
	if q == "" {
		return errors.New("no CUPS queue name after cups: (list the queues with `lpstat -p`)")
	}
	if len(q) > 127 {
		return errors.New("CUPS queue name longer than 127 characters")
	}
	if q[0] == '-' {
		return fmt.Errorf("CUPS queue name %q must not start with '-'", q)
	}
	for _, r := range q {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune("/\\#'\"", r) {
			return fmt.Errorf("CUPS queue name %q has the character %q, which queue names cannot have (list the queues with `lpstat -p`)", q, r)
		}
	}
	return nil
}

func parseTCP(addr, a string) (Printer, error) {
	bad := func(why string) (Printer, error) {
		return nil, fmt.Errorf("printing: printer address %q: %s (write tcp://HOST:9100)", addr, why)
	}
	u, err := url.Parse(a)
	if err != nil {
		return bad("not a valid address")
	}
	if u.Opaque != "" || u.Host == "" {
		return bad("no host")
	}
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return bad("only a host and a port are allowed")
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		return bad("no host")
	}
	if !validHost(host) {
		return bad(fmt.Sprintf("bad host %q", host))
	}
	if port == "" {
		if strings.HasSuffix(u.Host, ":") {
			return bad("empty port")
		}
		port = "9100"
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != port {
		return bad(fmt.Sprintf("bad port %q", port))
	}
	return TCPPrinter{Addr: net.JoinHostPort(host, port)}, nil
}

// validHost accepts an IP address (without zone) or a host name of letters, digits, "-", "_"
// and ".".
func validHost(h string) bool {
	if net.ParseIP(h) != nil {
		return true
	}
	if len(h) > 253 {
		return false
	}
	for _, r := range h {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

func parseFileDir(rest string) (string, error) {
	p := rest
	if strings.HasPrefix(p, "//") {
		// file:///dir or file://localhost/dir
		hostPath := p[2:]
		host, path, _ := strings.Cut(hostPath, "/")
		if host != "" && host != "localhost" {
			return "", fmt.Errorf("file printer on host %q: only local directories are supported (write file:/DIR)", host)
		}
		p = "/" + path
	}
	if p == "" {
		return "", errors.New("no directory after file: (write file:/DIR)")
	}
	if strings.ContainsRune(p, 0) {
		return "", errors.New("directory name has a NUL byte")
	}
	p = filepath.Clean(p)
	if strings.TrimSpace(p) != p {
		return "", fmt.Errorf("directory %q starts or ends with a space: rename it", p)
	}
	return p, nil
}

// check validates a job and returns its number of copies.
func (j Job) check() (int, error) {
	switch j.Format {
	case FormatPDF, FormatZPL:
	default:
		return 0, fmt.Errorf("printing: job %q: unknown format %q (use %q or %q)", j.Title, j.Format, FormatPDF, FormatZPL)
	}
	if len(j.Data) == 0 {
		return 0, fmt.Errorf("printing: job %q: nothing to print (no data)", j.Title)
	}
	switch {
	case j.Format == FormatPDF && !bytes.HasPrefix(j.Data, []byte("%PDF-")):
		return 0, fmt.Errorf("printing: job %q: the data is not a PDF", j.Title)
	case j.Format == FormatZPL && !bytes.HasPrefix(bytes.TrimLeft(j.Data, " \t\r\n"), []byte("^XA")):
		return 0, fmt.Errorf("printing: job %q: the data is not ZPL (it must start with ^XA)", j.Title)
	}
	c := j.Copies
	if c == 0 {
		c = 1
	}
	if c < 1 || c > MaxCopies {
		return 0, fmt.Errorf("printing: job %q: %d copies: ask for 1 to %d", j.Title, j.Copies, MaxCopies)
	}
	return c, nil
}

// cleanTitle makes a job title safe for a command line argument and a file name part.
func cleanTitle(s string) string {
	s = strings.TrimSpace(cleanLine(s))
	if s == "" {
		return "Tally"
	}
	if r := []rune(s); len(r) > 100 {
		s = string(r[:100])
	}
	return s
}

// CUPSPrinter prints through a CUPS queue with lp (Debian package cups-client).
type CUPSPrinter struct {
	Queue string
}

func (p CUPSPrinter) String() string { return "cups:" + p.Queue }

// Print runs `lp -d QUEUE -t TITLE -n COPIES` with the data on standard input; ZPL goes to the
// printer as it is (-o raw).
func (p CUPSPrinter) Print(ctx context.Context, job Job) error {
	copies, err := job.check()
	if err != nil {
		return err
	}
	if err := checkQueueName(p.Queue); err != nil {
		return fmt.Errorf("printing: %w", err)
	}
	lp, err := exec.LookPath("lp")
	if err != nil {
		return fmt.Errorf("printing: CUPS queue %s: the lp command is missing: install it (apt-get install cups-client) or print to a label printer directly with tcp://HOST:9100", p.Queue)
	}
	args := []string{"-d", p.Queue, "-t", cleanTitle(job.Title), "-n", strconv.Itoa(copies)}
	if job.Format == FormatZPL {
		args = append(args, "-o", "raw")
	}
	cmd := exec.CommandContext(ctx, lp, args...)
	cmd.Stdin = bytes.NewReader(job.Data)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("printing: CUPS queue %s: %w", p.Queue, ctx.Err())
		}
		msg := strings.TrimSpace(out.String())
		low := strings.ToLower(msg)
		hint := "check the queue with `lpstat -p " + p.Queue + "`"
		switch {
		case strings.Contains(low, "does not exist") || strings.Contains(low, "not found") || strings.Contains(low, "unknown"):
			hint = "the queue is unknown to CUPS: list the queues with `lpstat -p`, or add it with lpadmin"
		case strings.Contains(low, "scheduler is not running") || strings.Contains(low, "connection refused") || strings.Contains(low, "unable to connect"):
			hint = "CUPS is not running: start it (cupsd, or `systemctl start cups`)"
		case strings.Contains(low, "not accepting"):
			hint = "the queue is not accepting jobs: run `cupsaccept " + p.Queue + "` and `cupsenable " + p.Queue + "`"
		case strings.Contains(low, "forbidden") || strings.Contains(low, "not authorized"):
			hint = "CUPS refused the job: check the queue's access policy"
		}
		if msg == "" {
			msg = err.Error()
		}
		return fmt.Errorf("printing: CUPS queue %s: lp failed: %s: %s", p.Queue, msg, hint)
	}
	return nil
}

// TCPPrinter sends raw ZPL to a label printer's TCP port (usually 9100, "JetDirect" or "raw").
type TCPPrinter struct {
	Addr    string        // host:port
	Timeout time.Duration // for connecting and for sending; 0 means DefaultTCPTimeout
}

// DefaultTCPTimeout bounds connecting to a network label printer and sending it a job.
var DefaultTCPTimeout = 10 * time.Second

func (p TCPPrinter) String() string { return "tcp://" + p.Addr }

// Print connects, writes the ZPL once per copy and closes the connection. PDF is refused: a
// raw label printer would print it as garbage.
func (p TCPPrinter) Print(ctx context.Context, job Job) error {
	if job.Format == FormatPDF {
		return fmt.Errorf("printing: label printer %s takes ZPL, not PDF: print ZPL labels (LabelZPL) to it, or print the PDF through a CUPS queue (cups:QUEUE) or the browser", p)
	}
	copies, err := job.check()
	if err != nil {
		return err
	}
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = DefaultTCPTimeout
	}
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", p.Addr)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("printing: label printer %s: %w", p, ctx.Err())
		}
		return fmt.Errorf("printing: label printer %s is unreachable (%v): check that it is switched on, on the network at that address, and that raw printing on port %s is enabled", p, err, portOf(p.Addr))
	}
	defer conn.Close()
	_ = conn.SetWriteDeadline(time.Now().Add(timeout))
	// When ctx ends, a deadline in the past makes the pending write fail at once.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetWriteDeadline(time.Unix(1, 0)) })
	defer stop()
	for range copies {
		if _, err := conn.Write(job.Data); err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("printing: label printer %s: %w", p, ctx.Err())
			}
			return fmt.Errorf("printing: label printer %s stopped taking data (%v): check that it is not out of labels or paused, then print again", p, err)
		}
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	}
	if err := conn.Close(); err != nil {
		return fmt.Errorf("printing: label printer %s: %w", p, err)
	}
	return nil
}

func portOf(addr string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "9100"
	}
	return port
}

// FilePrinter writes every job as a file into Dir, named after the job's title; used for tests
// and as the kiosk-browser fallback, where the server serves the file itself.
type FilePrinter struct {
	Dir string
}

func (p FilePrinter) String() string { return "file:" + p.Dir }

// Print writes the job's data once to a new file DIR/TITLE.pdf (or .zpl), adding "-2", "-3"…
// to the name when it is taken and "-xN" when N copies were asked for. The file appears
// complete or not at all.
func (p FilePrinter) Print(ctx context.Context, job Job) error {
	_, err := p.PrintFile(ctx, job)
	return err
}

// PrintFile is Print that also returns the path of the file written.
func (p FilePrinter) PrintFile(ctx context.Context, job Job) (string, error) {
	copies, err := job.check()
	if err != nil {
		return "", err
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	st, err := os.Stat(p.Dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "", fmt.Errorf("printing: file printer: directory %s does not exist: create it (mkdir -p %s) or fix the printer address", p.Dir, p.Dir)
	case err != nil:
		return "", fmt.Errorf("printing: file printer: %w", err)
	case !st.IsDir():
		return "", fmt.Errorf("printing: file printer: %s is not a directory: point the printer address at a directory", p.Dir)
	}
	base := fileSafe(cleanTitle(job.Title))
	if copies > 1 {
		base += fmt.Sprintf("-x%d", copies)
	}
	tmp, err := os.CreateTemp(p.Dir, ".printing-*")
	if err != nil {
		return "", fmt.Errorf("printing: file printer: cannot write into %s (%v): check its permissions", p.Dir, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return "", fmt.Errorf("printing: file printer: %w", err)
	}
	if _, err := tmp.Write(job.Data); err != nil {
		tmp.Close()
		return "", fmt.Errorf("printing: file printer: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("printing: file printer: %w", err)
	}
	for n := 1; n < 10000; n++ {
		name := base
		if n > 1 {
			name += "-" + strconv.Itoa(n)
		}
		path := filepath.Join(p.Dir, name+"."+job.Format)
		// A hard link does not replace an existing file, so two jobs never get one name.
		err := os.Link(tmp.Name(), path)
		if err != nil && !errors.Is(err, os.ErrExist) {
			// No hard links on this file system: create the file exclusively instead.
			err = writeExclusive(path, job.Data)
		}
		if err == nil {
			return path, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return "", fmt.Errorf("printing: file printer: %w", err)
		}
	}
	return "", fmt.Errorf("printing: file printer: too many files named %s in %s: clear the directory", base, p.Dir)
}

func writeExclusive(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	return f.Close()
}

// fileSafe keeps letters (Chinese too), digits, "-", "_" and "." of s, replacing the rest with "_".
func fileSafe(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == '.' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	out := strings.TrimLeft(b.String(), ".")
	if out == "" {
		out = "job"
	}
	return out
}

// BrowserPrinter leaves printing to the kiosk browser: Print returns ErrBrowserPrint.
type BrowserPrinter struct{}

func (BrowserPrinter) String() string { return "browser" }

// Print checks the job and returns ErrBrowserPrint.
func (BrowserPrinter) Print(ctx context.Context, job Job) error {
	if _, err := job.check(); err != nil {
		return err
	}
	if job.Format != FormatPDF {
		return fmt.Errorf("printing: the browser prints PDF, not %s: render the labels with LabelPDF", job.Format)
	}
	return ErrBrowserPrint
}
