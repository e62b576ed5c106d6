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
	"go/ast"
	"go/parser"
	"go/token"
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
	instrument := flag.String("instrument", "module", "coverage for the fuzzer: module (the module's own packages; reuses what the tests compiled) or all (every package, as go test -fuzz)")
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
	if *instrument != "module" && *instrument != "all" {
		fmt.Fprintln(os.Stderr, "fuzzci: -instrument is module or all")
		os.Exit(2)
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
	failed := RunAll(context.Background(), ".", targets, Options{FuzzTime: *fuzzTime, MinimizeTime: *minimize, Instrument: *instrument, Out: os.Stdout})
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
			found, err := fuzzFuncs(filepath.Join(pdir, name))
			if err != nil {
				return nil, err
			}
			for _, n := range found {
				if !seen[n] {
					seen[n] = true
					targets = append(targets, Target{Package: pkg, Dir: pdir, Name: n})
				}
			}
		}
	}
	return targets, sc.Err()
}

// fuzzFuncs are the fuzz targets a test file declares, as go test finds
// them: top-level functions FuzzX with one parameter of type *testing.F.
func fuzzFuncs(path string) ([]string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, decl := range f.Decls {
		fd, ok := decl.(*ast.FuncDecl)
		if !ok || fd.Recv != nil || !strings.HasPrefix(fd.Name.Name, "Fuzz") || fd.Type.Params.NumFields() != 1 {
			continue
		}
		star, ok := fd.Type.Params.List[0].Type.(*ast.StarExpr)
		if !ok {
			continue
		}
		if sel, ok := star.X.(*ast.SelectorExpr); ok && sel.Sel.Name == "F" {
			if x, ok := sel.X.(*ast.Ident); ok && x.Name == "testing" {
				out = append(out, fd.Name.Name)
			}
		}
	}
	return out, nil
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
	Instrument   string        // "module" (the module's packages) or "all" (as go test -fuzz)
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

// toolchainHiccup is a failure Go's fuzzing engine reports when its own
// -fuzztime deadline cuts a worker off ("context deadline exceeded") with
// no failing input written: not a finding in the code under test.
func toolchainHiccup(r Result) bool {
	return r.Err != nil && len(r.Written) == 0 && strings.Contains(r.Output, "context deadline exceeded") &&
		!strings.Contains(r.Output, "Failing input written")
}

// uninstrumented is what the testing package warns when it fuzzes without coverage.
const uninstrumented = "not built with coverage instrumentation"

// failingInput is go test's line naming the input it saved.
var failingInput = regexp.MustCompile(`Failing input written to (\S+)`)

// Run fuzzes one target for its slice of time with the package's test
// binary, built for fuzzing (instrumented) by Build, in the package's folder
// as go test runs it, with go test's cache of generated inputs.
func Run(ctx context.Context, bin, cacheDir string, t Target, opt Options) Result {
	start := time.Now()
	cmd := exec.CommandContext(ctx, bin, "-test.run=^$", "-test.fuzz=^"+t.Name+"$",
		"-test.fuzztime="+opt.FuzzTime.String(), "-test.fuzzminimizetime="+opt.MinimizeTime.String(),
		"-test.fuzzcachedir="+filepath.Join(cacheDir, filepath.FromSlash(t.Package)))
	cmd.Dir = t.Dir
	out, err := cmd.CombinedOutput()
	res := Result{Target: t, Took: time.Since(start), Err: err, Output: string(out)}
	for _, m := range failingInput.FindAllStringSubmatch(res.Output, -1) {
		p := m[1]
		if !filepath.IsAbs(p) {
			p = filepath.Join(t.Dir, p)
		}
		res.Written = append(res.Written, p)
	}
	switch {
	case err == nil && len(res.Written) > 0:
		res.Err = errors.New("a failing input was written")
	case err == nil && strings.Contains(res.Output, uninstrumented):
		res.Err = errors.New("the test binary was built without coverage for the fuzzer")
	}
	return res
}

// Build makes the package's test binary instrumented for fuzzing its
// targets: with instrument "all" as go test -fuzz builds it (every package,
// the standard library's too, compiled again instrumented), else with only
// the module's own packages (module) instrumented, so what the tests
// already compiled is reused and coverage guides the fuzzer through the
// module's code.
func Build(ctx context.Context, dir, out, pkg string, names []string, instrument, module string) (string, error) {
	args := []string{"test", "-c", "-o", out}
	if instrument == "all" {
		args = append(args, "-fuzz=^("+strings.Join(names, "|")+")$")
	} else {
		args = append(args, "-gcflags="+module+"/...=-d=libfuzzer")
	}
	cmd := exec.CommandContext(ctx, "go", append(args, pkg)...)
	cmd.Dir = dir
	b, err := cmd.CombinedOutput()
	return string(b), err
}

// modulePath is the path of the module in dir.
func modulePath(ctx context.Context, dir string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Path}}")
	cmd.Dir = dir
	b, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go list -m: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// goCache is go test's folder of generated fuzz inputs ($GOCACHE/fuzz).
func goCache(ctx context.Context, dir string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "env", "GOCACHE")
	cmd.Dir = dir
	b, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go env GOCACHE: %w", err)
	}
	c := strings.TrimSpace(string(b))
	if c == "" || c == "off" {
		return os.MkdirTemp("", "fuzzci-cache-")
	}
	return filepath.Join(c, "fuzz"), nil
}

// RunAll fuzzes every target in turn, building each package's test binary
// once, and reports each; it returns the ones that failed.
func RunAll(ctx context.Context, dir string, targets []Target, opt Options) []Result {
	began := time.Now()
	var failed []Result
	fail := func(r Result) {
		failed = append(failed, r)
		fmt.Fprintf(opt.Out, "%s\n", tail(r.Output, 60))
		for _, w := range r.Written {
			fmt.Fprintf(opt.Out, "  new failing input: %s (fix the bug, then commit it as a regression seed)\n", w)
		}
	}
	cache, err := goCache(ctx, dir)
	if err != nil {
		fail(Result{Err: err, Output: err.Error()})
		return failed
	}
	module, err := modulePath(ctx, dir)
	if err != nil {
		fail(Result{Err: err, Output: err.Error()})
		return failed
	}
	tmp, err := os.MkdirTemp("", "fuzzci-")
	if err != nil {
		fail(Result{Err: err, Output: err.Error()})
		return failed
	}
	defer os.RemoveAll(tmp)
	for i := 0; i < len(targets); {
		// the targets of one package, next to each other as Discover lists them
		j := i
		var names []string
		for ; j < len(targets) && targets[j].Package == targets[i].Package; j++ {
			names = append(names, targets[j].Name)
		}
		pkg := targets[i].Package
		start := time.Now()
		bin := filepath.Join(tmp, fmt.Sprintf("pkg%d.test", i))
		out, err := Build(ctx, dir, bin, pkg, names, opt.Instrument, module)
		fmt.Fprintf(opt.Out, "build          %-60s %5.1fs\n", pkg, time.Since(start).Seconds())
		if err != nil {
			for _, t := range targets[i:j] {
				fail(Result{Target: t, Err: err, Output: out})
			}
			i = j
			continue
		}
		for ; i < j; i++ {
			t := targets[i]
			res := Run(ctx, bin, cache, t, opt)
			if toolchainHiccup(res) {
				// the fuzzing engine's own deadline, not a finding: once more
				fmt.Fprintf(opt.Out, "fuzz %2d/%d again %-60s (the engine ended on its own deadline, no input)\n", i+1, len(targets), t)
				res = Run(ctx, bin, cache, t, opt)
			}
			status := "ok"
			if res.Err != nil {
				status = "FAIL"
			}
			fmt.Fprintf(opt.Out, "fuzz %2d/%d %-4s %-60s %5.1fs\n", i+1, len(targets), status, t, res.Took.Seconds())
			if res.Err != nil {
				fail(res)
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
