package server

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"tally/views"
	"tally/wms"
)

// BackupSchedule is the running server's own backups (tally serve
// --backup-dir, --backup-every, --backup-keep): a whole copy of the store
// into Folder whenever Every has passed since the newest one there, the
// newest Folder.Keep kept.
type BackupSchedule struct {
	Folder wms.BackupFolder
	Every  time.Duration
}

// backupRetry is the longest wait after a failed backup before the next try
// (a disk that was full may have room again).
const backupRetry = 10 * time.Minute

// BackupStatus is how the scheduled backups are doing: on the admin page, at
// GET /api/v1/backups, and (without the folder and the error's words) at
// /healthz and in /metrics.
type BackupStatus struct {
	Dir      string  `json:"dir"`
	Keep     int     `json:"keep"`
	EverySec float64 `json:"every_s"`
	// Kept is how many backups the folder holds.
	Kept int `json:"kept"`
	// Last is the newest backup (after a restart, the newest in the folder).
	Last        *wms.BackupFile `json:"last,omitempty"`
	LastTookMS  float64         `json:"last_took_ms,omitempty"`
	Failures    uint64          `json:"failures"`
	LastError   string          `json:"last_error,omitempty"` // kept after later good backups
	LastErrorAt *time.Time      `json:"last_error_at,omitempty"`
	// Failing is set while the newest attempt failed.
	Failing bool      `json:"failing"`
	NextAt  time.Time `json:"next_at"`
}

// backups runs the schedule and keeps its status.
type backups struct {
	sched  BackupSchedule
	ledger *wms.Ledger

	mu sync.Mutex
	st BackupStatus
}

// AddBackups adds the scheduled backups to the job runner. The folder is
// read first, so a restart neither forgets the newest backup nor takes
// another before it is due. A folder that cannot be read (a backup disk not
// mounted) does not stop the floor: the first try fails and says why.
func (s *Server) AddBackups(sched BackupSchedule) error {
	if sched.Folder.Dir == "" || sched.Every <= 0 || sched.Folder.Keep < 1 {
		return fmt.Errorf("backups: a folder, an interval above 0 and at least one kept (have %q, %v, %d)", sched.Folder.Dir, sched.Every, sched.Folder.Keep)
	}
	all, _ := sched.Folder.List()
	b := &backups{sched: sched, ledger: s.ledger,
		st: BackupStatus{Dir: sched.Folder.Dir, Keep: sched.Folder.Keep, EverySec: sched.Every.Seconds(), Kept: len(all), NextAt: time.Now()}}
	if len(all) > 0 {
		last := all[len(all)-1]
		b.st.Last, b.st.NextAt = &last, last.Taken.Add(sched.Every)
	}
	s.backups = b
	// look every minute (or more often for a shorter interval) whether one is due
	return s.jobs.Add(Job{Name: "backup", Every: min(sched.Every, time.Minute), Run: b.run})
}

// run takes a backup when one is due. A failure is the job's failure too
// (GET /api/v1/jobs, and one log line per try).
func (b *backups) run(ctx context.Context) error {
	b.mu.Lock()
	due := !time.Now().Before(b.st.NextAt)
	b.mu.Unlock()
	if !due || ctx.Err() != nil {
		return nil
	}
	start := time.Now()
	f, err := b.sched.Folder.Take(b.ledger)
	all, lerr := b.sched.Folder.List()
	b.mu.Lock()
	defer b.mu.Unlock()
	if lerr == nil {
		b.st.Kept = len(all)
	}
	if f.Path != "" { // taken, even if the old ones could not be removed
		b.st.Last, b.st.LastTookMS = &f, float64(time.Since(start).Microseconds())/1000
	}
	if err != nil {
		now := time.Now()
		b.st.Failures++
		b.st.LastError, b.st.LastErrorAt, b.st.Failing = err.Error(), &now, true
		b.st.NextAt = now.Add(min(b.sched.Every, backupRetry))
		return fmt.Errorf("backup into %s: %w", b.sched.Folder.Dir, err)
	}
	b.st.Failing, b.st.NextAt = false, start.Add(b.sched.Every)
	return nil
}

// BackupStatus reports the scheduled backups; ok is false when none are set.
func (s *Server) BackupStatus() (st BackupStatus, ok bool) {
	if s.backups == nil {
		return BackupStatus{}, false
	}
	s.backups.mu.Lock()
	defer s.backups.mu.Unlock()
	st = s.backups.st
	if st.Last != nil {
		last := *st.Last
		st.Last = &last
	}
	return st, true
}

// apiBackups is GET /api/v1/backups: the schedule and the newest backup.
func (s *Server) apiBackups(c *fiber.Ctx) error {
	st, ok := s.BackupStatus()
	if !ok {
		return wms.Errf(wms.CodeNotFound, "backups.off")
	}
	return c.JSON(st)
}

// backupHealth is the scheduled backups' part of /healthz: when the newest
// was taken and whether the newest try failed; nil when none are set.
func (s *Server) backupHealth() fiber.Map {
	st, ok := s.BackupStatus()
	if !ok {
		return nil
	}
	h := fiber.Map{"failing": st.Failing, "failures": st.Failures}
	if st.Last != nil {
		h["last_success"], h["last_seq"], h["last_bytes"] = st.Last.Taken, st.Last.Seq, st.Last.Size
	}
	return h
}

// backupMetrics writes the scheduled backups' figures (nothing when none
// are set, so no alert fires on a server that does not take them).
func (s *Server) backupMetrics(b *strings.Builder) {
	st, ok := s.BackupStatus()
	if !ok {
		return
	}
	var at, size, seq float64
	if st.Last != nil {
		at, size, seq = float64(st.Last.Taken.Unix()), float64(st.Last.Size), float64(st.Last.Seq)
	}
	fmt.Fprintf(b, "# HELP tally_backup_last_success_timestamp_seconds When the newest scheduled backup was taken (Unix time; 0: none yet).\n# TYPE tally_backup_last_success_timestamp_seconds gauge\ntally_backup_last_success_timestamp_seconds %g\n", at)
	fmt.Fprintf(b, "# HELP tally_backup_failures_total Scheduled backups that failed since the start.\n# TYPE tally_backup_failures_total counter\ntally_backup_failures_total %d\n", st.Failures)
	fmt.Fprintf(b, "# HELP tally_backup_last_bytes Size of the newest scheduled backup.\n# TYPE tally_backup_last_bytes gauge\ntally_backup_last_bytes %g\n", size)
	fmt.Fprintf(b, "# HELP tally_backup_last_seq The last event in the newest scheduled backup.\n# TYPE tally_backup_last_seq gauge\ntally_backup_last_seq %g\n", seq)
	fmt.Fprintf(b, "# HELP tally_backup_kept Scheduled backups in the folder.\n# TYPE tally_backup_kept gauge\ntally_backup_kept %d\n", st.Kept)
}

// backupsView is the scheduled backups for the admin page (nil: none set).
func (s *Server) backupsView() *views.BackupsView {
	st, ok := s.BackupStatus()
	if !ok {
		return nil
	}
	v := &views.BackupsView{Dir: st.Dir, Every: shortDuration(time.Duration(st.EverySec * float64(time.Second))), Keep: st.Keep, Kept: st.Kept,
		Next: s.clock(st.NextAt), Failing: st.Failing, Error: st.LastError}
	if st.LastErrorAt != nil {
		v.ErrorAt = s.clock(*st.LastErrorAt)
	}
	if st.Last != nil {
		v.Last = &views.BackupView{Time: s.clock(st.Last.Taken), Size: byteSize(st.Last.Size), Seq: strconv.FormatUint(st.Last.Seq, 10), Path: st.Last.Path}
	}
	return v
}

// shortDuration is 6h rather than 6h0m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// byteSize is a size for people: 812 KB, 1.1 GB.
func byteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	default:
		return fmt.Sprintf("%d KB", (n+1023)/1024)
	}
}
