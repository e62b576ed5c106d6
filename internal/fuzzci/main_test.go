package main

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// Discover finds every fuzz target of this module: each line a search for
// "func FuzzX(f *testing.F)" finds in its _test.go files (but for the
// fixtures in this file's strings).
func TestDiscoverFindsEveryTarget(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Discover(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, g := range got {
		rel, err := filepath.Rel(root, g.Dir)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, filepath.ToSlash(rel)+"."+g.Name)
	}
	decl := regexp.MustCompile(`(?m)^func (Fuzz\w*)\(\w+ \*testing\.F\)`)
	var want []string
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != root && (n == "testdata" || strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, "_test.go") || filepath.Base(filepath.Dir(path)) == "fuzzci" {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		for _, m := range decl.FindAllStringSubmatch(string(src), -1) {
			want = append(want, filepath.ToSlash(rel)+"."+m[1])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	slices.Sort(want)
	if len(want) < 30 {
		t.Fatalf("the search found only %d fuzz targets: %v", len(want), want)
	}
	if !slices.Equal(names, want) {
		t.Errorf("Discover found\n%v\nthe search found\n%v", names, want)
	}
}

// RunAll fuzzes each target of a small module: the one with a bug fails,
// and its failing input is left in testdata/fuzz for committing; the sound
// one passes (which it does only when its binary was instrumented for
// coverage: Run fails a target fuzzed without).
func TestRunAllFindsACrasher(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module fz\n\ngo 1.26\n")
	write("p.go", "package p\n\nimport \"testing\"\n\n// Head is the first three bytes of s (a bug: short strings panic).\nfunc Head(s string) string { return s[:3] }\n\n// FuzzLib is not in a test file.\nfunc FuzzLib(f *testing.F) {}\n")
	write("p_test.go", strings.ReplaceAll(`package p

import "testing"

func FuzzHead(f *testing.F) {
	f.Add("abcdef")
	f.Fuzz(func(t *testing.T, s string) { _ = Head(s) })
}

// not targets: a method, one in a string
type T struct{}

func (T) FuzzMethod(f *testing.F) {}

const text = ~
func FuzzInString(f *testing.F) {}
~

func FuzzSound(f *testing.F) {
	f.Add("x")
	f.Fuzz(func(t *testing.T, s string) {
		if len(s)+1 <= len(s) {
			t.Fatal("impossible")
		}
	})
}
`, "~", "`"))
	targets, err := Discover(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(targets) != 2 || targets[0].Name != "FuzzHead" || targets[1].Name != "FuzzSound" || targets[0].Package != "fz" {
		t.Fatalf("targets: %v", targets)
	}
	var out strings.Builder
	failed := RunAll(context.Background(), dir, targets, Options{FuzzTime: 3 * time.Second, MinimizeTime: 2 * time.Second, Instrument: "module", Out: &out})
	if len(failed) != 1 || failed[0].Target.Name != "FuzzHead" {
		t.Fatalf("failed: %v\n%s", failed, out.String())
	}
	var written []string
	for _, f := range failed {
		if len(f.Written) != 1 {
			t.Fatalf("%s: no failing input named:\n%s", f.Target, out.String())
		}
		w := f.Written[0]
		written = append(written, w)
		if filepath.Dir(w) != filepath.Join(dir, "testdata", "fuzz", f.Target.Name) {
			t.Errorf("failing input written to %s", w)
		}
		if _, err := os.Stat(w); err != nil {
			t.Errorf("failing input: %v", err)
		}
	}
	for _, want := range []string{"FAIL fz.FuzzHead", "ok   fz.FuzzSound", "new failing input: " + written[0], "2 targets, 1 failed"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

// The engine's own deadline with no input written is retried, never taken
// for a finding; a written input or a test's failure is a finding.
func TestToolchainHiccup(t *testing.T) {
	for _, c := range []struct {
		r    Result
		want bool
	}{
		{Result{Err: errors.New("exit status 1"), Output: "--- FAIL: FuzzX (2.07s)\n    context deadline exceeded\nFAIL"}, true},
		{Result{Err: errors.New("exit status 1"), Output: "context deadline exceeded\nFailing input written to testdata/fuzz/FuzzX/1"}, false},
		{Result{Err: errors.New("exit status 1"), Output: "context deadline exceeded", Written: []string{"testdata/fuzz/FuzzX/1"}}, false},
		{Result{Err: errors.New("exit status 1"), Output: "--- FAIL: FuzzX\n    x_test.go:3: wrong"}, false},
		{Result{Output: "context deadline exceeded"}, false},
	} {
		if got := toolchainHiccup(c.r); got != c.want {
			t.Errorf("%+v: %v, want %v", c.r, got, c.want)
		}
	}
}
