package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tally import names the first 100 errors of a refused file and says, in
// the language asked for, how many more there are.
func TestImportCommandReportCapped(t *testing.T) {
	dir := t.TempDir()
	var file strings.Builder
	file.WriteString("code,zone,kind\n")
	for i := range 300 {
		fmt.Fprintf(&file, "BAD %d,A,pick\n", i)
	}
	path := filepath.Join(dir, "locs.csv")
	if err := os.WriteFile(path, []byte(file.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	for lang, says := range map[string][]string{
		"en":    {"Bad rows: 300.", "Line 2: ", "Line 101: ", "200 more errors are not listed"},
		"zh-CN": {"有 300 行错误", "第 2 行：", "第 101 行：", "另有 200 条错误未列出"},
	} {
		var out bytes.Buffer
		err := run(context.Background(), []string{"import", "--data", dir, "--kind", "locations", "--lang", lang, path}, &out, &out)
		if err == nil {
			t.Fatalf("%s: a bad file was imported", lang)
		}
		for _, s := range says {
			if !strings.Contains(out.String(), s) {
				t.Errorf("%s: output lacks %q:\n%.400s", lang, s, out.String())
			}
		}
		if lines := strings.Count(out.String(), "\n"); lines != 102 {
			t.Errorf("%s: %d lines of output, want the error, 100 rows and the rest's count", lang, lines)
		}
	}
}
