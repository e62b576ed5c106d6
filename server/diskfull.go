package server

import (
	"context"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"tally/views"
	"tally/wms"
)

// A full disk (wms/diskfull.go): every write is refused with disk.full,
// answered 507 Insufficient Storage (JSON on /api/, the page's feedback
// elsewhere: the handheld's scan answer, the kiosk); a banner tops every
// page; /healthz answers 503 "disk_full" so a watchdog sees the box cannot
// do its job; /metrics has tally_disk_full. A refusal is a domain error, so
// no request logs it: the disk job logs it at most once a minute, with the
// space left, and once when writes commit again.

// diskLogEvery is how often a full disk is logged while it stays full.
const diskLogEvery = time.Minute

// diskLog is what the log has been told about the disk.
type diskLog struct {
	mu       sync.Mutex
	loggedAt time.Time // the last "disk full" line
	said     bool      // a "disk full" line not yet followed by "space is back"
	refused  uint64    // the ledger's refusals counted by the last line
}

// diskJob runs reportDisk every few seconds.
func (s *Server) diskJob() Job {
	return Job{Name: "disk", Every: 5 * time.Second, Run: func(context.Context) error {
		s.reportDisk()
		return nil
	}}
}

// reportDisk logs a full disk at most once every diskLogEvery (by the
// ledger's clock), and "space is back" once after such a line. A disk that
// fills again within the minute (space freed, then eaten) waits for the
// minute: at most two lines a minute however the disk comes and goes.
func (s *Server) reportDisk() {
	st := s.ledger.DiskFull()
	d := s.disk
	d.mu.Lock()
	defer d.mu.Unlock()
	now := s.ledger.Now()
	switch {
	case st.Full && (d.loggedAt.IsZero() || now.Sub(d.loggedAt) >= diskLogEvery):
		free, _ := s.ledger.DiskFree()
		s.log.Error("disk full: nothing can be saved until space is freed",
			"data", filepath.Dir(s.ledger.Path()), "free_bytes", free, "since", st.Since.Format(time.RFC3339),
			"refused_writes", st.Refused-d.refused, "err", st.Cause)
		d.loggedAt, d.said, d.refused = now, true, st.Refused
	case !st.Full && d.said:
		free, _ := s.ledger.DiskFree()
		s.log.Info("disk space is back: writes are saved again", "free_bytes", free, "refused_writes", st.Refused-d.refused)
		d.said, d.refused = false, st.Refused
	}
}

// diskBanner is the full-disk banner for a logged-in page, or nil.
func (s *Server) diskBanner(role wms.Role) *views.DiskBanner {
	st := s.ledger.DiskFull()
	if !st.Full {
		return nil
	}
	if role != wms.RoleSupervisor && role != wms.RoleAdmin {
		return &views.DiskBanner{}
	}
	free, _ := s.ledger.DiskFree()
	return &views.DiskBanner{Supervisor: true, Since: s.clock(st.Since), Free: bytesText(free), Dir: filepath.Dir(s.ledger.Path())}
}

// healthzDiskFull is /healthz while the disk is full: 503, so that a
// watchdog or a monitor sees that the box takes no work.
func (s *Server) healthzDiskFull(c *fiber.Ctx, st wms.DiskState) error {
	free, _ := s.ledger.DiskFree()
	return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{
		"status":          "disk_full",
		"version":         s.cfg.Version,
		"last_seq":        s.ledger.LastSeq(),
		"uptime_s":        int64(time.Since(s.started).Seconds()),
		"disk_full_since": st.Since.Format(time.RFC3339),
		"disk_free_bytes": free,
		"node":            s.nodeHealth(),
	})
}

// diskMetrics writes the disk's figures for /metrics.
func (s *Server) diskMetrics(b *strings.Builder) {
	st := s.ledger.DiskFull()
	full := 0
	if st.Full {
		full = 1
	}
	fmt.Fprintf(b, "# HELP tally_disk_full 1 while writes fail because the store's disk is full.\n# TYPE tally_disk_full gauge\ntally_disk_full %d\n", full)
	fmt.Fprintf(b, "# HELP tally_disk_full_refusals_total Writes refused because the store's disk was full.\n# TYPE tally_disk_full_refusals_total counter\ntally_disk_full_refusals_total %d\n", st.Refused)
	if free, err := s.ledger.DiskFree(); err == nil {
		fmt.Fprintf(b, "# HELP tally_disk_free_bytes Space left on the store's disk.\n# TYPE tally_disk_free_bytes gauge\ntally_disk_free_bytes %d\n", free)
	}
}

// bytesText is a size as a person reads it: "512 B", "12.0 KB", "3.4 GB".
func bytesText(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "KMGTP"[exp])
}

// backupStreamed answers GET /api/v1/backup when the disk has no room for
// the copy the download is usually taken into: the copy streams straight
// from one read transaction, held for as long as the download lasts.
func (s *Server) backupStreamed(c *fiber.Ctx) error {
	r, size, seq, err := s.ledger.BackupStream()
	if err != nil {
		return err
	}
	stamp := s.ledger.Now().In(s.ledger.Zone()).Format("20060102-150405")
	c.Set(fiber.HeaderContentType, "application/octet-stream")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="tally-`+stamp+`.db"`)
	c.Set("X-Tally-Last-Seq", strconv.FormatUint(seq, 10))
	s.log.Info("backup streamed from a read transaction: no room for a copy beside the store", "bytes", size, "last_seq", seq, "actor", principal(c).Actor())
	c.Context().SetBodyStream(&streamReader{r: r, conn: c.Context().Conn()}, int(size))
	return nil
}

// streamReader is slowReader for a stream: each read of a long download
// gets a fresh write deadline; fasthttp closes it when the answer is sent
// or abandoned, which ends the read transaction.
type streamReader struct {
	r    io.ReadCloser
	conn net.Conn
}

func (r *streamReader) Read(p []byte) (int, error) {
	if r.conn != nil {
		_ = r.conn.SetWriteDeadline(time.Now().Add(time.Minute))
	}
	return r.r.Read(p)
}

func (r *streamReader) Close() error { return r.r.Close() }
