package server

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"tally/wms"
)

// A backup that fails is counted and shown (the admin page, the API,
// /healthz, /metrics) and tried again; once the folder can be written the
// next one succeeds and the failure stays on record. Without a schedule the
// admin page says how to set one and the API answers 404.
func TestScheduledBackupsReportFailures(t *testing.T) {
	s, l := testServer(t)
	c := newClient(t, s)
	c.login("B9001", "9999")
	if _, page := c.get("/admin/import"); !strings.Contains(page, "--backup-dir") {
		t.Error("the admin page does not say how to schedule backups")
	}
	admin, _ := l.CreateToken(context.Background(), "ops", wms.RoleAdmin, "test")
	api := newClient(t, s)
	api.bearer = admin
	if resp, body := api.get("/api/v1/backups"); resp.StatusCode != 404 || !strings.Contains(body, "--backup-dir") {
		t.Errorf("no schedule: %d %s", resp.StatusCode, body)
	}

	// the folder's path is taken by a file: every try fails
	blocked := filepath.Join(t.TempDir(), "backups")
	if err := os.WriteFile(blocked, []byte("in the way"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.AddBackups(BackupSchedule{Folder: wms.BackupFolder{Dir: blocked, Keep: 2}, Every: 20 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if err := s.StartWorkers(); err != nil {
		t.Fatal(err)
	}
	defer s.StopWorkers()
	status := func() BackupStatus {
		t.Helper()
		resp, body := api.get("/api/v1/backups")
		var st BackupStatus
		if err := json.Unmarshal([]byte(body), &st); resp.StatusCode != 200 || err != nil {
			t.Fatalf("%d %s %v", resp.StatusCode, body, err)
		}
		return st
	}
	eventually := func(what string, ok func(BackupStatus) bool) BackupStatus {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if st := status(); ok(st) {
				return st
			}
		}
		t.Fatalf("%s: %+v", what, status())
		return BackupStatus{}
	}
	st := eventually("two failures", func(st BackupStatus) bool { return st.Failures >= 2 })
	if !st.Failing || st.Last != nil || !strings.Contains(st.LastError, "backup folder") {
		t.Errorf("failing: %+v", st)
	}
	for _, path := range []string{"/admin/import", "/sync"} {
		if _, page := c.get(path); !strings.Contains(page, `data-testid="backups-failing"`) {
			t.Errorf("%s does not show the failure", path)
		}
	}
	_, health := c.get("/healthz")
	if !strings.Contains(health, `"failing":true`) || strings.Contains(health, blocked) {
		t.Errorf("healthz: %s", health)
	}
	_, metrics := api.get("/metrics")
	if m := regexp.MustCompile(`(?m)^tally_backup_failures_total ([1-9]\d*)$`).FindStringSubmatch(metrics); m == nil ||
		!strings.Contains(metrics, "\ntally_backup_last_success_timestamp_seconds 0\n") {
		t.Errorf("metrics while failing:\n%s", metrics)
	}

	// room again: the next try succeeds
	if err := os.Remove(blocked); err != nil {
		t.Fatal(err)
	}
	st = eventually("a backup", func(st BackupStatus) bool { return st.Last != nil })
	if st.Failing || st.Failures == 0 || st.LastError == "" || st.Kept != 1 || st.Last.Seq != l.LastSeq() {
		t.Errorf("recovered: %+v (last seq %d)", st, l.LastSeq())
	}
	if seq, err := wms.VerifyBackup(st.Last.Path); err != nil || seq != st.Last.Seq {
		t.Errorf("the backup: %d %v", seq, err)
	}
	if _, page := c.get("/admin/import"); !strings.Contains(page, `data-testid="backups-last"`) || strings.Contains(page, `data-testid="backups-failing"`) {
		t.Error("the admin page does not show the newest backup")
	}
	_, metrics = api.get("/metrics")
	if strings.Contains(metrics, "\ntally_backup_last_success_timestamp_seconds 0\n") {
		t.Error("metrics: no last success")
	}
}
