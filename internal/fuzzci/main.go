// Command fuzzci runs every fuzz target of the module for a bounded time,
// one after another (go test fuzzes one target per call), and fails when any
// of them finds an input that fails. Go writes such an input into the
// package's testdata/fuzz/FuzzX/ folder; committed, it is a seed every later
// `go test` runs, so a crasher found once stays a regression test.
//
//	go run ./internal/fuzzci -time 2s            # every target, 2 s of fuzzing each
//	go run ./internal/fuzzci -list               # the targets it finds
//	go run ./internal/fuzzci -run 'Qimen|FuzzParse$' -time 30s
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

func main() {
	fuzzTime := flag.Duration("time", 2*time.Second, "fuzzing time per target")
	minimize := flag.Duration("minimize", 10*time.Second, "time to minimise a failing input")
	run := flag.String("run", "", "only targets whose package/name matches this regular expression")
	list := flag.Bool("list", false, "list the targets and stop")
	flag.Parse()
	var only *regexp.Regexp
	if *run != "" {
		re, err := regexp.Compile(*run)
		if err != nil {
			fmt.Fprintf(os.Stderr, "fuzzci: -run: %v\n", err)
			os.Exit(2)
		}
		only = re
	}
	targets, err := Discover(context.Background(), ".")
	if err != nil {
		fmt.Fprintf(os.Stderr, "fuzzci: %v\n", err)
		os.Exit(2)
	}
	targets = Filter(targets, only)
	if len(targets) == 0 {
		fmt.Fprintln(os.Stderr, "fuzzci: no fuzz target found")
		os.Exit(2)
	}
	if *list {
		for _, t := range targets {
			fmt.Println(t)
		}
		return
	}
	failed := RunAll(context.Background(), ".", targets, Options{FuzzTime: *fuzzTime, MinimizeTime: *minimize, Out: os.Stdout})
	if len(failed) > 0 {
		os.Exit(1)
	}
}

// Target is one fuzz function of a package.
type Target struct {
	Package string // import path
	Dir     string // the package's folder
	Name    string // FuzzX
}

func (t Target) String() string { return t.Package + "." + t.Name }

// fuzzFunc is the line that declares a fuzz target, as go test finds them:
// a top-level func FuzzX(name *testing.F) in a _test.go file.
var fuzzFunc = regexp.MustCompile(`(?m)^func (Fuzz[A-Za-z0-9_]*)\(\s*\w+\s+\*testing\.F\s*\)`)

// Discover lists every fuzz target of the packages under dir (./...), in
// package order, as `go list` sees the packages and their test files.
func Discover(ctx context.Context, dir string) ([]Target, error) {
	cmd := exec.CommandContext(ctx, "go", "list", "-f", "{{.ImportPath}}\t{{.Dir}}\t{{join .TestGoFiles \"\\t\"}}\t{{join .XTestGoFiles \"\\t\"}}", "./...")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	var targets []Target
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) < 2 {
			continue
		}
		pkg, pdir := f[0], f[1]
		seen := map[string]bool{}
		for _, name := range f[2:] {
			if name == "" {
				continue
			}
			src, err := os.ReadFile(filepath.Join(pdir, name))
			if err != nil {
				return nil, err
			}
			for _, m := range fuzzFunc.FindAllSubmatch(src, -1) {
				if n := string(m[1]); !seen[n] {
					seen[n] = true
					targets = append(targets, Target{Package: pkg, Dir: pdir, Name: n})
				}
			}
		}
	}
	return targets, sc.Err()
}

// Filter keeps the targets whose "package.Name" matches re (all when re is nil).
func Filter(targets []Target, re *regexp.Regexp) []Target {
	if re == nil {
		return targets
	}
	var out []Target
	for _, t := range targets {
		if re.MatchString(t.String()) {
			out = append(out, t)
		}
	}
	return out
}

// Options say how long to fuzz and where to report.
type Options struct {
	FuzzTime     time.Duration // per target
	MinimizeTime time.Duration // per failing input
	Out          io.Writer
}

// Result is how one target's run ended.
type Result struct {
	Target  Target
	Took    time.Duration
	Err     error
	Output  string
	Written []string // failing inputs go test wrote into testdata/fuzz
}

// failingInput is go test's line naming the input it saved.
var failingInput = regexp.MustCompile(`Failing input written to (\S+)`)

// Run fuzzes one target for its slice of time.
func Run(ctx context.Context, dir string, t Target, opt Options) Result {
	start := time.Now()
	cmd := exec.CommandContext(ctx, "go", "test", "-count=1", "-run=^$",
		"-fuzz=^"+t.Name+"$", "-fuzztime="+opt.FuzzTime.String(), "-fuzzminimizetime="+opt.MinimizeTime.String(), t.Package)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	res := Result{Target: t, Took: time.Since(start), Err: err, Output: string(out)}
	for _, m := range failingInput.FindAllStringSubmatch(res.Output, -1) {
		p := m[1]
		if !filepath.IsAbs(p) {
			p = filepath.Join(t.Dir, p)
		}
		res.Written = append(res.Written, p)
	}
	if err == nil && len(res.Written) > 0 {
		res.Err = errors.New("a failing input was written")
	}
	return res
}

// RunAll fuzzes every target in turn and reports each; it returns the ones that failed.
func RunAll(ctx context.Context, dir string, targets []Target, opt Options) []Result {
	began := time.Now()
	var failed []Result
	for i, t := range targets {
		res := Run(ctx, dir, t, opt)
		status := "ok"
		if res.Err != nil {
			status = "FAIL"
			failed = append(failed, res)
		}
		fmt.Fprintf(opt.Out, "fuzz %2d/%d %-4s %-60s %5.1fs\n", i+1, len(targets), status, t, res.Took.Seconds())
		if res.Err != nil {
			fmt.Fprintf(opt.Out, "%s\n", tail(res.Output, 60))
			for _, w := range res.Written {
				fmt.Fprintf(opt.Out, "  new failing input: %s (fix the bug, then commit it as a regression seed)\n", w)
			}
		}
	}
	fmt.Fprintf(opt.Out, "fuzz: %d targets, %d failed, %s fuzzing each, %s in all\n",
		len(targets), len(failed), opt.FuzzTime, time.Since(began).Round(time.Second))
	return failed
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
