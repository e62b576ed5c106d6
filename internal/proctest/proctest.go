// Package proctest runs Tally's own binary in tests, the way an operator
// runs it: built once per test binary, started as a process whose output
// says when it is ready, stopped with an interrupt when the test ends.
package proctest

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	built     string
	buildErr  error
	buildOut  []byte
)

// Build is the path of the tally binary, built once for the test binary
// (the build directory stays until the machine cleans its temp folder).
func Build(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "tally-bin-")
		if err != nil {
			buildErr = err
			return
		}
		built = filepath.Join(dir, "tally")
		buildOut, buildErr = exec.Command("go", "build", "-o", built, "tally").CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("go build: %v\n%s", buildErr, buildOut)
	}
	return built
}

// FreePorts are n loopback addresses free a moment ago.
func FreePorts(t testing.TB, n int) []string {
	t.Helper()
	var ls []net.Listener
	var out []string
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		out = append(out, l.Addr().String())
	}
	for _, l := range ls {
		l.Close()
	}
	return out
}

// Process is a running binary.
type Process struct {
	Cmd  *exec.Cmd
	mu   sync.Mutex
	logs bytes.Buffer
}

// Logs is what the process wrote to stderr so far.
func (p *Process) Logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.String()
}

func (p *Process) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.Write(b)
}

// Start runs bin with args (and env added to the test's) until the test
// ends, once a line of its standard output contains ready.
func Start(t testing.TB, env []string, ready string, bin string, args ...string) *Process {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	p := &Process{Cmd: cmd}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, p
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
		}
		pw.Close()
		if t.Failed() {
			t.Logf("%s stderr:\n%s", args[0], p.Logs())
		}
	})
	up := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if strings.Contains(sc.Text(), ready) {
				select {
				case up <- true:
				default:
				}
			}
		}
	}()
	select {
	case <-up:
	case <-time.After(60 * time.Second):
		t.Fatalf("%s did not start: %s", args[0], p.Logs())
	}
	return p
}
