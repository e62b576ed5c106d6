package printing

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func sampleZPL(t *testing.T) []byte {
	t.Helper()
	return renderZPL(t, []any{SampleWaybill(), SampleSKULabel()})
}

// A PDF job that needs no font: the printers only look at the %PDF- header.
var tinyPDF = []byte("%PDF-1.4\n% test\n%%EOF\n")

func TestParsePrinter(t *testing.T) {
	good := []struct{ in, want string }{
		{"cups:Zebra_ZD421", "cups:Zebra_ZD421"},
		{"  cups:PDF ", "cups:PDF"},
		{"CUPS:PDF", "cups:PDF"},
		{"cups://PDF", "cups:PDF"},
		{"tcp://192.0.2.10:9100", "tcp://192.0.2.10:9100"},
		{"tcp://zebra-pack-3", "tcp://zebra-pack-3:9100"},
		{"tcp://zebra-pack-3/", "tcp://zebra-pack-3:9100"},
		{"TCP://[2001:db8::7]:6101", "tcp://[2001:db8::7]:6101"},
		{"file:/var/lib/tally/print", "file:/var/lib/tally/print"},
		{"file:///var/lib/tally/print/", "file:/var/lib/tally/print"},
		{"file://localhost/tmp", "file:/tmp"},
		{"file:out", "file:out"},
		{"browser", "browser"},
		{"Browser", "browser"},
	}
	for _, c := range good {
		p, err := ParsePrinter(c.in)
		if err != nil {
			t.Errorf("ParsePrinter(%q): %v", c.in, err)
			continue
		}
		if got := fmt.Sprint(p); got != c.want {
			t.Errorf("ParsePrinter(%q) = %s, want %s", c.in, got, c.want)
		}
	}
	bad := []struct{ in, want string }{
		{"", "no printer address"},
		{"zebra", "cups:zebra"},
		{"cups:", "lpstat -p"},
		{"cups:my printer", "cannot have"},
		{"cups:-x", "must not start"},
		{"cups:a/b", "cannot have"},
		{"tcp://", "no host"},
		{"tcp://host:0", "bad port"},
		{"tcp://host:99999", "bad port"},
		{"tcp://host:", "empty port"},
		{"tcp://host:9100/labels", "only a host and a port"},
		{"tcp://user@host:9100", "only a host and a port"},
		{"tcp:host:9100", "no host"},
		{"file:", "no directory"},
		{"file://printserver/share", "only local directories"},
		{"ipp://printer/ipp/print", "unknown kind"},
	}
	for _, c := range bad {
		p, err := ParsePrinter(c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParsePrinter(%q) = %v, %v; want an error containing %q", c.in, p, err, c.want)
		}
	}
}

func FuzzParsePrinter(f *testing.F) {
	for _, s := range []string{"cups:PDF", "tcp://127.0.0.1:9100", "tcp://[::1]:9100", "file:/tmp/x", "file:///tmp/x",
		"browser", "cups:", "tcp://h:", "file://h/x", "tcp://a%20b:1", "cups:\x00", "tcp://[fe80::1%25eth0]:9100", "file:\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, addr string) {
		p, err := ParsePrinter(addr)
		if err != nil {
			if p != nil {
				t.Fatalf("ParsePrinter(%q) returned a printer and an error", addr)
			}
			return
		}
		s, ok := p.(fmt.Stringer)
		if !ok {
			t.Fatalf("%T is no Stringer", p)
		}
		// The canonical form parses to the same printer.
		p2, err := ParsePrinter(s.String())
		if err != nil {
			t.Fatalf("ParsePrinter(%q) = %s, which does not parse: %v", addr, s, err)
		}
		if p2 != p {
			t.Fatalf("ParsePrinter(%q) = %#v, its String %q parses to %#v", addr, p, s, p2)
		}
		switch q := p.(type) {
		case CUPSPrinter:
			if checkQueueName(q.Queue) != nil {
				t.Fatalf("bad queue %q accepted", q.Queue)
			}
		case TCPPrinter:
			if _, _, err := net.SplitHostPort(q.Addr); err != nil {
				t.Fatalf("bad address %q: %v", q.Addr, err)
			}
		case FilePrinter:
			if q.Dir == "" || strings.ContainsRune(q.Dir, 0) {
				t.Fatalf("bad directory %q", q.Dir)
			}
		}
	})
}

func TestJobCheck(t *testing.T) {
	p := FilePrinter{Dir: t.TempDir()}
	bad := []struct {
		job  Job
		want string
	}{
		{Job{Format: "ps", Data: tinyPDF}, "unknown format"},
		{Job{Format: FormatPDF}, "no data"},
		{Job{Format: FormatPDF, Data: []byte("^XA^XZ")}, "not a PDF"},
		{Job{Format: FormatZPL, Data: tinyPDF}, "not ZPL"},
		{Job{Format: FormatPDF, Data: tinyPDF, Copies: -1}, "copies"},
		{Job{Format: FormatPDF, Data: tinyPDF, Copies: MaxCopies + 1}, "copies"},
	}
	for _, c := range bad {
		if err := p.Print(context.Background(), c.job); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Print(%+v) = %v, want an error containing %q", c.job.Format, err, c.want)
		}
	}
}

// zplServer accepts connections on 127.0.0.1 and sends what each one delivered.
func zplServer(t *testing.T) (addr string, got <-chan []byte) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	ch := make(chan []byte, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
			data, _ := io.ReadAll(c)
			c.Close()
			ch <- data
		}
	}()
	return ln.Addr().String(), ch
}

func TestTCPPrinter(t *testing.T) {
	addr, got := zplServer(t)
	p, err := ParsePrinter("tcp://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	zpl := sampleZPL(t)
	if err := p.Print(context.Background(), Job{Title: "wave 1", Format: FormatZPL, Data: zpl, Copies: 2}); err != nil {
		t.Fatal(err)
	}
	select {
	case data := <-got:
		if want := append(append([]byte{}, zpl...), zpl...); !bytes.Equal(data, want) {
			t.Errorf("printer got %d bytes, want the %d bytes of the job twice", len(data), len(zpl))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the printer received nothing")
	}

	err = p.Print(context.Background(), Job{Title: "labels", Format: FormatPDF, Data: tinyPDF})
	if err == nil || !strings.Contains(err.Error(), "takes ZPL, not PDF") || !strings.Contains(err.Error(), "cups:QUEUE") {
		t.Errorf("PDF to a raw printer: %v, want a refusal that says what to do", err)
	}
	select {
	case data := <-got:
		t.Errorf("the PDF job connected and sent %d bytes", len(data))
	case <-time.After(100 * time.Millisecond):
	}
}

func TestTCPPrinterUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	p := TCPPrinter{Addr: addr, Timeout: 2 * time.Second}
	err = p.Print(context.Background(), Job{Format: FormatZPL, Data: sampleZPL(t)})
	if err == nil || !strings.Contains(err.Error(), "unreachable") || !strings.Contains(err.Error(), "switched on") {
		t.Errorf("Print to a closed port: %v, want an unreachable error that says what to check", err)
	}
}

func TestTCPPrinterStalled(t *testing.T) {
	// A printer that accepts the connection but never reads: the write times out.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	big := append([]byte("^XA"), bytes.Repeat([]byte("^FO0,0^FDX^FS"), 4<<20)...)
	p := TCPPrinter{Addr: ln.Addr().String(), Timeout: 300 * time.Millisecond}
	start := time.Now()
	err = p.Print(context.Background(), Job{Format: FormatZPL, Data: big})
	if c := <-accepted; c != nil {
		held = append(held, c)
	}
	if err == nil || !strings.Contains(err.Error(), "stopped taking data") {
		t.Errorf("Print to a stalled printer: %v, want a write timeout that says what to check", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Print took %v despite a 300 ms timeout", d)
	}

	// Cancelling the context stops a job too.
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err = TCPPrinter{Addr: ln.Addr().String()}.Print(ctx, Job{Format: FormatZPL, Data: big})
	if c := <-accepted; c != nil {
		held = append(held, c)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Print with an expiring context: %v, want context.DeadlineExceeded", err)
	}
}

func TestFilePrinter(t *testing.T) {
	dir := t.TempDir()
	p, err := ParsePrinter("file:" + dir)
	if err != nil {
		t.Fatal(err)
	}
	fp := p.(FilePrinter)
	zpl := sampleZPL(t)
	var paths []string
	for _, job := range []Job{
		{Title: "运单 wave/7", Format: FormatZPL, Data: zpl},
		{Title: "运单 wave/7", Format: FormatZPL, Data: zpl},
		{Title: "", Format: FormatPDF, Data: tinyPDF, Copies: 3},
		{Title: "../../etc/passwd", Format: FormatPDF, Data: tinyPDF},
	} {
		path, err := fp.PrintFile(context.Background(), job)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, filepath.Base(path))
		if filepath.Dir(path) != dir {
			t.Errorf("file %s written outside %s", path, dir)
		}
		data, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(data, job.Data) {
			t.Errorf("%s holds %d bytes, want the job's %d (%v)", path, len(data), len(job.Data), err)
		}
	}
	want := []string{"运单_wave_7.zpl", "运单_wave_7-2.zpl", "Tally-x3.pdf", "_.._etc_passwd.pdf"}
	if strings.Join(paths, " ") != strings.Join(want, " ") {
		t.Errorf("files %q, want %q", paths, want)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != len(want) {
		t.Errorf("%d files in the directory, want %d (no temporary files left)", len(entries), len(want))
	}
	if err := p.Print(context.Background(), Job{Format: FormatZPL, Data: zpl}); err != nil {
		t.Fatal(err)
	}

	missing := FilePrinter{Dir: filepath.Join(dir, "nope")}
	if err := missing.Print(context.Background(), Job{Format: FormatPDF, Data: tinyPDF}); err == nil || !strings.Contains(err.Error(), "mkdir -p") {
		t.Errorf("missing directory: %v, want an error that says to create it", err)
	}
	file := filepath.Join(dir, paths[0])
	if err := (FilePrinter{Dir: file}).Print(context.Background(), Job{Format: FormatPDF, Data: tinyPDF}); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("file as directory: %v", err)
	}
}

func TestBrowserPrinter(t *testing.T) {
	p, err := ParsePrinter("browser")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Print(context.Background(), Job{Format: FormatPDF, Data: tinyPDF}); !errors.Is(err, ErrBrowserPrint) {
		t.Errorf("browser Print = %v, want ErrBrowserPrint", err)
	}
	if err := p.Print(context.Background(), Job{Format: FormatZPL, Data: []byte("^XA^XZ")}); err == nil || errors.Is(err, ErrBrowserPrint) {
		t.Errorf("browser Print of ZPL = %v, want a refusal", err)
	}
}

// fakeLP puts an lp script first in PATH that records its arguments and standard input in dir
// and runs body (shell) afterwards.
func fakeLP(t *testing.T, body string) (dir string) {
	t.Helper()
	dir = t.TempDir()
	script := fmt.Sprintf(`#!/bin/sh
printf '%%s\n' "$@" > %q/args
cat > %q/stdin
%s
`, dir, dir, body)
	if err := os.WriteFile(filepath.Join(dir, "lp"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return dir
}

func TestCUPSPrinterFakeLP(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	dir := fakeLP(t, `echo "request id is Zebra-42 (0 file(s))"`)
	p, err := ParsePrinter("cups:Zebra")
	if err != nil {
		t.Fatal(err)
	}
	zpl := sampleZPL(t)
	cases := []struct {
		job  Job
		args []string
	}{
		{Job{Title: "运单 SF1234567890123", Format: FormatZPL, Data: zpl, Copies: 2},
			[]string{"-d", "Zebra", "-t", "运单 SF1234567890123", "-n", "2", "-o", "raw"}},
		{Job{Title: "recall\nreport", Format: FormatPDF, Data: tinyPDF},
			[]string{"-d", "Zebra", "-t", "recall report", "-n", "1"}},
	}
	for _, c := range cases {
		if err := p.Print(context.Background(), c.job); err != nil {
			t.Fatal(err)
		}
		args, _ := os.ReadFile(filepath.Join(dir, "args"))
		if got := strings.Split(strings.TrimSuffix(string(args), "\n"), "\n"); strings.Join(got, "|") != strings.Join(c.args, "|") {
			t.Errorf("lp arguments %q, want %q", got, c.args)
		}
		stdin, _ := os.ReadFile(filepath.Join(dir, "stdin"))
		if !bytes.Equal(stdin, c.job.Data) {
			t.Errorf("lp got %d bytes on stdin, want the job's %d", len(stdin), len(c.job.Data))
		}
	}
}

func TestCUPSPrinterErrors(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	cases := []struct{ body, want string }{
		{`echo "lp: The printer or class does not exist." >&2; exit 1`, "unknown to CUPS"},
		{`echo "lp: Scheduler is not running." >&2; exit 1`, "CUPS is not running"},
		{`echo "lp: Destination \"Zebra\" is not accepting jobs." >&2; exit 1`, "cupsaccept Zebra"},
		{`exit 3`, "lpstat -p Zebra"},
	}
	for _, c := range cases {
		fakeLP(t, c.body)
		err := CUPSPrinter{Queue: "Zebra"}.Print(context.Background(), Job{Format: FormatPDF, Data: tinyPDF})
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "Zebra") {
			t.Errorf("lp %s: error %v, want one naming the queue and containing %q", c.body, err, c.want)
		}
	}
	// lp that hangs is killed when the context ends.
	fakeLP(t, `exec sleep 30`)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := CUPSPrinter{Queue: "Zebra"}.Print(ctx, Job{Format: FormatPDF, Data: tinyPDF})
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 10*time.Second {
		t.Errorf("hanging lp: %v after %v, want context.DeadlineExceeded soon", err, time.Since(start))
	}
	// No lp at all.
	t.Setenv("PATH", t.TempDir())
	err = CUPSPrinter{Queue: "Zebra"}.Print(context.Background(), Job{Format: FormatPDF, Data: tinyPDF})
	if err == nil || !strings.Contains(err.Error(), "cups-client") {
		t.Errorf("without lp: %v, want an error naming the package to install", err)
	}
}

// cupsPDFQueue tells whether CUPS has the cups-pdf queue "PDF"; under CI=true it must.
func cupsPDFQueue(t *testing.T) {
	t.Helper()
	const setup = "apt-get install cups printer-driver-cups-pdf; start cupsd; " +
		"lpadmin -p PDF -E -v cups-pdf:/ -m lsb/usr/cups-pdf/CUPS-PDF_opt.ppd"
	lpstat, err := exec.LookPath("lpstat")
	if err != nil {
		if inCI() {
			t.Fatalf("CI must have CUPS with a PDF queue (%s): no lpstat", setup)
		}
		t.Skip("no lpstat (apt-get install cups-client)")
	}
	out, err := exec.Command(lpstat, "-v").CombinedOutput()
	if err == nil {
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			// "device for PDF: cups-pdf:/"
			if name, _, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "device for "), ":"); ok && name == "PDF" {
				return
			}
		}
	}
	if inCI() {
		t.Fatalf("CI must have the CUPS queue PDF (%s); lpstat -v: %v: %s", setup, err, out)
	}
	t.Skipf("no CUPS queue named PDF (lpstat -v: %s)", bytes.TrimSpace(out))
}

// cupsPDFDirs lists where cups-pdf may write a job of the current user: the Out directory of
// /etc/cups/cups-pdf.conf (Debian: ${HOME}/PDF), and the spool directories.
func cupsPDFDirs(t *testing.T) []string {
	home, name := os.Getenv("HOME"), ""
	if u, err := user.Current(); err == nil {
		home, name = u.HomeDir, u.Username
	}
	out := filepath.Join(home, "PDF")
	if conf, err := os.ReadFile("/etc/cups/cups-pdf.conf"); err == nil {
		for _, line := range strings.Split(string(conf), "\n") {
			if f := strings.Fields(line); len(f) == 2 && f[0] == "Out" {
				out = strings.NewReplacer("${HOME}", home, "${USER}", name).Replace(f[1])
			}
		}
	}
	return []string{out, filepath.Join(home, "PDF"), "/var/spool/cups-pdf/" + name, "/var/spool/cups-pdf/ANONYMOUS"}
}

func TestCUPSPrintsToPDFQueue(t *testing.T) {
	cupsPDFQueue(t)
	font := testFont(t)
	pdf := renderPDF(t, []any{SampleWaybill(), SampleSKULabel()}, font)
	token := fmt.Sprintf("tallytest%d", time.Now().UnixNano())
	p, err := ParsePrinter("cups:PDF")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Print(context.Background(), Job{Title: token, Format: FormatPDF, Data: pdf}); err != nil {
		t.Fatal(err)
	}
	dirs := cupsPDFDirs(t)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for _, d := range dirs {
			entries, err := os.ReadDir(d)
			if err != nil {
				continue
			}
			for _, e := range entries {
				if !strings.Contains(e.Name(), token) || !strings.HasSuffix(e.Name(), ".pdf") {
					continue
				}
				path := filepath.Join(d, e.Name())
				data, err := os.ReadFile(path)
				if err != nil || len(data) == 0 {
					continue // still being written
				}
				t.Cleanup(func() { os.Remove(path) })
				if !bytes.HasPrefix(data, []byte("%PDF-")) {
					t.Fatalf("%s is not a PDF", path)
				}
				t.Logf("cups-pdf wrote %s (%d bytes)", path, len(data))
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("no PDF named after %s appeared in %v within 20 s (see /var/log/cups/error_log and cups-pdf_log)", token, dirs)
}
