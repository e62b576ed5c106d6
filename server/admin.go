package server

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"tally/views"
	"tally/wms"
)

func importKinds() []views.ImportKind {
	out := make([]views.ImportKind, 0, len(wms.ImportKinds))
	for _, k := range wms.ImportKinds {
		out = append(out, views.ImportKind{Kind: string(k), Columns: strings.Join(wms.Columns[k], ","), Export: slices.Contains(wms.ExportKinds, k)})
	}
	return out
}

func (s *Server) importPage(c *fiber.Ctx) error {
	return s.render(c, fiber.StatusOK, views.Import(views.ImportPage{Page: s.page(c, "import.title"), Kinds: importKinds(), Backups: s.backupsView()}))
}

func importKind(c *fiber.Ctx) (wms.ImportKind, error) {
	k := wms.ImportKind(c.Params("kind"))
	if _, ok := wms.Columns[k]; !ok {
		return "", wms.Errf(wms.CodeNotFound, "import.kind_unknown", "kind", string(k))
	}
	return k, nil
}

// uploaded reads the CSV from a multipart "file" field or, for scripts, the raw body.
func uploaded(c *fiber.Ctx) (name string, raw []byte, err error) {
	if fh, ferr := c.FormFile("file"); ferr == nil {
		f, err := fh.Open()
		if err != nil {
			return "", nil, err
		}
		defer f.Close()
		raw, err = io.ReadAll(io.LimitReader(f, wms.MaxImportBytes+1))
		return fh.Filename, raw, err
	}
	if strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEMultipartForm) || len(c.Body()) == 0 {
		return "", nil, wms.Errf(wms.CodeInvalid, "import.no_file")
	}
	return c.Query("name", "upload.csv"), c.Body(), nil
}

func (s *Server) runImport(c *fiber.Ctx) (wms.ImportResult, error) {
	kind, err := importKind(c)
	if err != nil {
		return wms.ImportResult{}, err
	}
	id, err := idempotencyKey(c)
	if err != nil {
		return wms.ImportResult{}, err
	}
	name, raw, err := uploaded(c)
	if err != nil {
		return wms.ImportResult{Kind: kind}, err
	}
	res, err := s.ledger.Import(c.UserContext(), id, kind, name, raw, principal(c).Actor(), device(c))
	if err == nil {
		s.log.Info("import", "kind", kind, "file", name, "rows", res.Rows, "duplicate", res.Duplicate, "actor", principal(c).Actor())
	}
	return res, err
}

func (s *Server) importFile(c *fiber.Ctx) error {
	vm := views.ImportPage{Page: s.page(c, "import.title"), Kinds: importKinds()}
	res, err := s.runImport(c)
	if err != nil {
		e := s.asDomain(c, err)
		fb := errorFeedback(e)
		for _, r := range res.Errors {
			fb.Details = append(fb.Details, views.Message{Key: r.Key, Args: r.Args, Line: r.Line})
		}
		if res.Unlisted > 0 {
			fb.Details = append(fb.Details, views.Message{Key: "import.errors_unlisted", Args: map[string]string{"n": strconv.Itoa(res.Unlisted)}})
		}
		vm.Feedback = fb
		return s.render(c, status(e.Code), views.Import(vm))
	}
	if res.Duplicate {
		vm.Feedback = okFeedback("import.duplicate", nil)
	} else {
		vm.Feedback = okFeedback("import.done", map[string]string{
			"n": strconv.Itoa(res.Rows), "kind": views.Translate(lang(c), "import.kind."+string(res.Kind), nil)})
	}
	return s.render(c, fiber.StatusOK, views.Import(vm))
}

// apiImport is POST /api/v1/import/{kind} with the CSV as the body or a
// multipart "file". Bad rows come back with their line numbers.
func (s *Server) apiImport(c *fiber.Ctx) error {
	res, err := s.runImport(c)
	if err != nil && len(res.Errors) == 0 {
		return err
	}
	if err != nil {
		e := s.asDomain(c, err)
		return c.Status(status(e.Code)).JSON(newImportRefusal(lang(c), e, res))
	}
	// a repeated key gets the first upload's answer (Idempotency-Replayed says so)
	return c.JSON(importOut{Kind: string(res.Kind), Rows: res.Rows, Seq: res.Seq})
}

func (s *Server) exportFile(c *fiber.Ctx) error {
	name := c.Params("file")
	kind := wms.ImportKind(strings.TrimSuffix(name, ".csv"))
	if !slices.Contains(wms.ExportKinds, kind) || !strings.HasSuffix(name, ".csv") {
		return wms.Errf(wms.CodeNotFound, "import.kind_unknown", "kind", name)
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="tally-`+string(kind)+`-`+s.ledger.Today()+`.csv"`)
	return s.ledger.Export(kind, c.Response().BodyWriter())
}

func (s *Server) auditPage(c *fiber.Ctx) error {
	events, err := s.ledger.EventsOfType(300, wms.EvLoginSucceeded, wms.EvLoginFailed, wms.EvLoggedOut)
	if err != nil {
		return err
	}
	vm := views.AuditPage{Page: s.page(c, "audit.title")}
	name := s.people()
	for _, ev := range events {
		row := views.AuditRow{Time: ev.At.In(s.ledger.Zone()).Format("2006-01-02 15:04:05"), Who: name(ev.Actor), Device: ev.Device, OK: true}
		switch ev.Type {
		case wms.EvLoginSucceeded:
			row.Result = views.Message{Key: "audit.ok"}
		case wms.EvLoggedOut:
			row.Result = views.Message{Key: "audit.logout"}
		default:
			var f wms.LoginFailed
			if err := ev.DecodeData(&f); err != nil {
				return err
			}
			row.OK, row.Who = false, name(f.Badge)
			row.Result = views.Message{Key: f.Reason, Args: map[string]string{"badge": f.Badge}}
			if f.LockedUntil != nil { // the wrong PIN that locked the badge
				row.Result = views.Message{Key: "audit.locked_now", Args: map[string]string{"badge": f.Badge,
					"until": f.LockedUntil.In(s.ledger.Zone()).Format("15:04")}}
			}
		}
		vm.Rows = append(vm.Rows, row)
	}
	return s.render(c, fiber.StatusOK, views.Audit(vm))
}

// apiCheck is GET /api/v1/check: `tally check` for a running server (the CLI
// cannot open the file while the server has it). It replays the log into a
// scratch file beside the store and compares every projection. It reads in
// one long transaction: on a large file, run it outside the busiest hours.
func (s *Server) apiCheck(c *fiber.Ctx) error {
	start := time.Now()
	mm, err := s.ledger.Check(filepath.Dir(s.ledger.Path()))
	if err != nil {
		return err
	}
	s.log.Info("ledger check", "ok", len(mm) == 0, "mismatches", len(mm), "actor", principal(c).Actor())
	return c.JSON(newCheckAnswer(mm, s.ledger.LastSeq(), time.Since(start)))
}

// checkAnswer names differing entries by bucket and key only, never their
// values (staff records hold PIN hashes), and at most 100 of them.
type checkAnswer struct {
	OK         bool         `json:"ok"`
	Events     uint64       `json:"events"`
	Count      int          `json:"mismatch_count"`
	Mismatches []checkEntry `json:"mismatches"`
	TookMS     int64        `json:"took_ms"`
}

type checkEntry struct {
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
}

func newCheckAnswer(mm []wms.Mismatch, events uint64, took time.Duration) checkAnswer {
	a := checkAnswer{OK: len(mm) == 0, Events: events, Count: len(mm), Mismatches: []checkEntry{}, TookMS: took.Milliseconds()}
	for _, m := range mm[:min(len(mm), 100)] {
		a.Mismatches = append(a.Mismatches, checkEntry{m.Bucket, m.Key})
	}
	return a
}

// backup is GET /api/v1/backup and /admin/backup: a consistent copy of the
// store. It is first written to a file beside the store at disk speed, so
// the read transaction (which holds up a writer that must grow the file) is
// short; the file's name is removed at once and its data goes when the
// answer is done. The size is sent first, so a download cut short is noticed,
// and every read of the copy moves the connection's write deadline on, so a
// slow link can take as long as it needs.
func (s *Server) backup(c *fiber.Ctx) error {
	f, err := os.CreateTemp(filepath.Dir(s.ledger.Path()), ".tally-download-*")
	if err != nil {
		if wms.IsDiskFull(err) {
			return s.backupStreamed(c)
		}
		return err
	}
	_ = os.Remove(f.Name()) // open, the file stays readable; nothing is left behind
	size, seq, err := s.ledger.Backup(f)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		if wms.IsDiskFull(err) {
			return s.backupStreamed(c)
		}
		return err
	}
	stamp := s.ledger.Now().In(s.ledger.Zone()).Format("20060102-150405")
	c.Set(fiber.HeaderContentType, "application/octet-stream")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="tally-`+stamp+`.db"`)
	c.Set("X-Tally-Last-Seq", strconv.FormatUint(seq, 10))
	s.log.Info("backup", "bytes", size, "last_seq", seq, "actor", principal(c).Actor())
	// fasthttp closes the reader when the answer is sent or abandoned
	c.Context().SetBodyStream(&slowReader{f: f, conn: c.Context().Conn()}, int(size))
	return nil
}

// slowReader gives each read of a long download a fresh write deadline.
type slowReader struct {
	f    *os.File
	conn net.Conn
}

func (r *slowReader) Read(p []byte) (int, error) {
	if r.conn != nil {
		_ = r.conn.SetWriteDeadline(time.Now().Add(time.Minute))
	}
	return r.f.Read(p)
}

func (r *slowReader) Close() error { return r.f.Close() }
