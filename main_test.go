package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"tally/printing"
)

// syncBuffer is a bytes.Buffer safe to read while serve writes to it.
type syncBuffer struct {
	mu  chan struct{}
	buf bytes.Buffer
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{mu: make(chan struct{}, 1)} }
func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	return b.buf.Write(p)
}
func (b *syncBuffer) String() string {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	return b.buf.String()
}

func TestScanCommand(t *testing.T) {
	cases := []struct {
		raw    string
		ok     bool
		fields map[string]any
	}{
		{"(01)06901234567892(17)270331(10)LOT42", true, map[string]any{"kind": "gs1", "gtin": "06901234567892", "expiry": "2027-03-31", "batch": "LOT42"}},
		{"]d201069012345678921727033110LOT42\x1d21SN001", true, map[string]any{"kind": "gs1", "serial": "SN001", "batch": "LOT42"}},
		{"6901234567892", true, map[string]any{"kind": "gtin", "gtin": "06901234567892"}},
		{"A01-02-03", true, map[string]any{"kind": "location"}},
		{"6901234567890", false, nil},
		{"(01)06901234567892(17)271301", false, nil},
	}
	for _, tc := range cases {
		var out bytes.Buffer
		err := run(context.Background(), []string{"scan", tc.raw}, &out, &out)
		if (err == nil) != tc.ok {
			t.Errorf("%q: err %v, want ok=%v", tc.raw, err, tc.ok)
		}
		var got map[string]any
		if jerr := json.Unmarshal(out.Bytes(), &got); jerr != nil || strings.Count(out.String(), "\n") != 1 {
			t.Fatalf("%q: output is not one JSON object: %q", tc.raw, out.String())
		}
		if !tc.ok && got["error"] == nil {
			t.Errorf("%q: no error field: %s", tc.raw, out.String())
		}
		for k, v := range tc.fields {
			if got[k] != v {
				t.Errorf("%q: %s = %v, want %v", tc.raw, k, got[k], v)
			}
		}
	}
}

func TestServeTokenCheck(t *testing.T) {
	dir := t.TempDir()
	stdout, stderr := newSyncBuffer(), newSyncBuffer()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"--data", dir, "--addr", "127.0.0.1:0"}, stdout, stderr) }()
	addr := ""
	re := regexp.MustCompile(`serving on (http://\S+)`)
	for i := 0; i < 100 && addr == ""; i++ {
		time.Sleep(50 * time.Millisecond)
		if m := re.FindStringSubmatch(stdout.String()); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		t.Fatalf("server did not start: %s %s", stdout, stderr)
	}
	if !regexp.MustCompile(`administrator badge B0000 with one-time PIN \d{6}`).MatchString(stdout.String()) {
		t.Errorf("no one-time admin PIN on the console: %s", stdout)
	}
	pin := regexp.MustCompile(`PIN (\d{6})`).FindStringSubmatch(stdout.String())
	if pin != nil && strings.Contains(stderr.String(), pin[1]) {
		t.Error("the one-time PIN is in the logs")
	}
	resp, err := http.Get(addr + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	// a second instance on the same data says so instead of hanging
	var out bytes.Buffer
	err = run(context.Background(), []string{"check", "--data", dir}, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "in use by another Tally process") {
		t.Errorf("second instance: %v", err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no graceful shutdown")
	}

	out.Reset()
	if err := run(context.Background(), []string{"token", "create", "--data", dir, "--name", "central-oms", "--role", "supervisor"}, &out, &out); err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(out.String())
	if !strings.HasPrefix(token, "tly_") || len(token) < 40 {
		t.Errorf("token %q", token)
	}
	out.Reset()
	if err := run(context.Background(), []string{"token", "create", "--data", dir, "--name", "x", "--role", "boss"}, &out, &out); err == nil {
		t.Error("token with a bad role")
	}
	if err := os.WriteFile(filepath.Join(dir, "locs.csv"), []byte("code,zone,kind\nA01-01-01,A,pick\nbad code,A,pick\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(context.Background(), []string{"import", "--data", dir, "--kind", "locations", filepath.Join(dir, "locs.csv")}, &out, &out); err == nil ||
		!strings.Contains(out.String(), "Line 3: Location code bad code is not valid") {
		t.Errorf("import of a bad file: %v %s", err, out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"check", "--data", dir}, &out, &out); err != nil || !strings.HasPrefix(out.String(), "ledger ok") {
		t.Errorf("check: %v %s", err, out.String())
	}
	// a backup of the stopped store opens as a store of its own and checks out
	out.Reset()
	copyDir := t.TempDir()
	if err := run(context.Background(), []string{"backup", "--data", dir, "--out", filepath.Join(copyDir, "tally.db")}, &out, &out); err != nil ||
		!regexp.MustCompile(`^backup written to .*tally\.db: \d+ bytes, events up to \d+`).MatchString(out.String()) {
		t.Fatalf("backup: %v %s", err, out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"check", "--data", copyDir}, &out, &out); err != nil || !strings.HasPrefix(out.String(), "ledger ok") {
		t.Errorf("check of the backup: %v %s", err, out.String())
	}
	if err := run(context.Background(), []string{"backup", "--data", dir}, &out, &out); err == nil || !strings.Contains(err.Error(), "--out") {
		t.Errorf("backup without --out: %v", err)
	}
}

// tally check on a file whose projections an older Tally wrote says so and
// fails, instead of rebuilding them first and reporting a clean file; tally
// rebuild brings it up to date.
func TestCheckOnOlderProjections(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"token", "create", "--data", dir, "--name", "x", "--role", "admin"}, &out, &out); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(filepath.Join(dir, "tally.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("meta")).Put([]byte("projections"), []byte("1")) }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	out.Reset()
	if err := run(context.Background(), []string{"check", "--data", dir}, &out, &out); err == nil || !strings.Contains(out.String(), "older Tally (projections version 1)") {
		t.Errorf("check of an older file: %v %s", err, out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"rebuild", "--data", dir}, &out, &out); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(context.Background(), []string{"check", "--data", dir}, &out, &out); err != nil || !strings.HasPrefix(out.String(), "ledger ok") {
		t.Errorf("check after rebuild: %v %s", err, out.String())
	}
}

// tally print-test renders each kind of label with sample data, as ZPL and
// (with the Chinese font installed, as CI has) as PDF; a bad kind is refused
// and leaves no file.
func TestPrintTestCommand(t *testing.T) {
	dir := t.TempDir()
	_, fontErr := printing.FindFont("")
	for _, kind := range []string{"waybill", "sku", "location"} {
		for _, zpl := range []bool{true, false} {
			if !zpl && fontErr != nil && os.Getenv("CI") != "true" {
				continue // no Chinese font on this machine (CI installs one)
			}
			out := filepath.Join(dir, kind+map[bool]string{true: ".zpl", false: ".pdf"}[zpl])
			args := []string{"print-test", "--kind", kind, "--out", out}
			if zpl {
				args = append(args, "--zpl")
			}
			var buf bytes.Buffer
			if err := run(context.Background(), args, &buf, &buf); err != nil {
				t.Fatalf("%v: %v %s", args, err, buf.String())
			}
			raw, err := os.ReadFile(out)
			want := map[bool]string{true: "^XA", false: "%PDF-"}[zpl]
			if err != nil || !strings.HasPrefix(string(raw), want) {
				t.Errorf("%s starts %q, want %q (%v)", out, raw[:min(len(raw), 8)], want, err)
			}
		}
	}
	bad := filepath.Join(dir, "x.pdf")
	if err := run(context.Background(), []string{"print-test", "--kind", "cat", "--out", bad}, io.Discard, io.Discard); err == nil {
		t.Error("a bad kind was accepted")
	}
	if _, err := os.Stat(bad); err == nil {
		t.Error("a refused print-test left a file")
	}
}
