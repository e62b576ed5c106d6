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
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"tally/wms"
)

// A server with --backup-dir takes backups on its schedule, keeps the newest
// --backup-keep and says so at /healthz, /metrics and /api/v1/backups; a
// restore while it serves is refused; stopped, one of its backups restores
// into a fresh directory that passes tally check, and a damaged copy is
// refused without changing anything.
func TestServeBackupsAndRestore(t *testing.T) {
	dir, backups := t.TempDir(), filepath.Join(t.TempDir(), "backups")
	var out bytes.Buffer
	if err := run(context.Background(), []string{"token", "create", "--data", dir, "--name", "watch", "--role", "admin"}, &out, &out); err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(out.String())
	for _, bad := range [][]string{{"--backup-every", "0s"}, {"--backup-keep", "0"}} {
		err := run(context.Background(), append([]string{"--data", t.TempDir(), "--addr", "127.0.0.1:0", "--backup-dir", backups}, bad...), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), bad[0]) {
			t.Errorf("serve %v: %v", bad, err)
		}
	}

	addr, stop, stderr := serveLogged(t, "--data", dir, "--demo",
		"--backup-dir", backups, "--backup-every", "1s", "--backup-keep", "2")
	get := func(path string) string {
		t.Helper()
		req, _ := http.NewRequest("GET", addr+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
		}
		return string(body)
	}

	// at least four backups, one a second; the folder keeps two
	seen := map[string]bool{}
	folder := wms.BackupFolder{Dir: backups, Keep: 2}
	for deadline := time.Now().Add(30 * time.Second); len(seen) < 4 && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		all, err := folder.List()
		if err != nil {
			t.Fatal(err)
		}
		if len(all) > 3 { // a new one is renamed in before the oldest goes
			t.Fatalf("the folder holds %d backups, keeps 2", len(all))
		}
		for _, b := range all {
			seen[b.Path] = true
		}
	}
	if len(seen) < 4 {
		t.Fatalf("backups taken: %v; log %s", seen, stderr)
	}
	var st struct {
		Kept     int
		Failures uint64
		Last     *wms.BackupFile
	}
	if err := json.Unmarshal([]byte(get("/api/v1/backups")), &st); err != nil || st.Kept != 2 || st.Failures != 0 || st.Last == nil || !seen[st.Last.Path] {
		t.Errorf("/api/v1/backups: %+v %v", st, err)
	}
	var health struct {
		Backup struct {
			LastSeq  uint64 `json:"last_seq"`
			Failing  bool
			Failures uint64
		}
	}
	if err := json.Unmarshal([]byte(get("/healthz")), &health); err != nil || health.Backup.LastSeq == 0 || health.Backup.Failing {
		t.Errorf("/healthz: %+v %v", health, err)
	}
	m := regexp.MustCompile(`(?m)^tally_backup_last_success_timestamp_seconds (\S+)$`).FindStringSubmatch(get("/metrics"))
	if m == nil {
		t.Error("no tally_backup_last_success_timestamp_seconds in /metrics")
	} else if at, _ := strconv.ParseFloat(m[1], 64); time.Since(time.Unix(int64(at), 0)) > time.Minute {
		t.Errorf("metrics: %v", m)
	}
	if page := get("/admin/import"); !strings.Contains(page, `data-testid="backups-last"`) {
		t.Error("the admin page does not show the newest backup")
	}

	all, _ := folder.List()
	newest := all[len(all)-1]
	// while the server holds the store (which it may write to meanwhile)
	names := func() []string {
		var out []string
		for _, e := range listDir(t, dir) {
			out = append(out, strings.Fields(e)[0])
		}
		return out
	}
	before := names()
	out.Reset()
	err := run(context.Background(), []string{"restore", "--data", dir, newest.Path}, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "in use by another Tally process") {
		t.Errorf("restore while serving: %v", err)
	}
	if after := names(); !slices.Equal(before, after) {
		t.Errorf("restore while serving changed %v to %v", before, after)
	}

	stop() // a graceful shutdown: serveLogged reports its error
	if temps, _ := filepath.Glob(filepath.Join(backups, ".tally-backup-*")); len(temps) != 0 {
		t.Errorf("temporary files left: %v", temps)
	}
	if all, err := folder.List(); err != nil || len(all) != 2 {
		t.Errorf("after shutdown the folder holds %d backups (%v), keeps 2", len(all), err)
	}

	// into a fresh directory: says what it restored; tally check passes
	all, _ = folder.List()
	newest = all[len(all)-1]
	fresh := filepath.Join(t.TempDir(), "fresh")
	out.Reset()
	if err := run(context.Background(), []string{"restore", "--data", fresh, newest.Path}, &out, &out); err != nil {
		t.Fatalf("restore: %v %s", err, out.String())
	}
	want := regexp.MustCompile(`restored .* into .*fresh: (\d+) events up to event (\d+), the last at 20\d\d-`)
	if m := want.FindStringSubmatch(out.String()); m == nil || m[2] != strconv.FormatUint(newest.Seq, 10) || m[1] != m[2] {
		t.Errorf("restore said %q, want events up to %d", out.String(), newest.Seq)
	}
	out.Reset()
	if err := run(context.Background(), []string{"check", "--data", fresh}, &out, &out); err != nil || !strings.HasPrefix(out.String(), "ledger ok: "+strconv.FormatUint(newest.Seq, 10)+" events") {
		t.Errorf("check of the restored store: %v %s", err, out.String())
	}

	// a cut-off copy over the served store: refused, nothing changed
	data, err := os.ReadFile(newest.Path)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut.db")
	if err := os.WriteFile(cut, data[:len(data)*2/3], 0o600); err != nil {
		t.Fatal(err)
	}
	before = listDir(t, dir)
	out.Reset()
	if err := run(context.Background(), []string{"restore", "--data", dir, cut}, &out, &out); err == nil || !strings.Contains(err.Error(), "nothing was changed") {
		t.Errorf("restore of a cut-off copy: %v", err)
	}
	if after := listDir(t, dir); !slices.Equal(before, after) {
		t.Errorf("a refused restore changed %v to %v", before, after)
	}
	// the good one over it: the served store is kept beside it
	out.Reset()
	if err := run(context.Background(), []string{"restore", "--data", dir, newest.Path}, &out, &out); err != nil || !strings.Contains(out.String(), "tally.db.before-restore-") {
		t.Errorf("restore over the store: %v %s", err, out.String())
	}
	if err := run(context.Background(), []string{"restore", "--data", dir}, &out, &out); err == nil {
		t.Error("restore without a file")
	}
}

// listDir is every name in dir with its size and modification time.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e.Name()+" "+strconv.FormatInt(info.Size(), 10)+" "+info.ModTime().String())
	}
	return out
}
