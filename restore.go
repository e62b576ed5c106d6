package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"

	"tally/server"
	"tally/wms"
)

// backupFlags are serve's scheduled backups: off until --backup-dir is set.
type backupFlags struct {
	dir    string
	every  time.Duration
	keep   int
	envErr error // a TALLY_BACKUP_* setting that does not parse
}

func (b *backupFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&b.dir, "backup-dir", env("BACKUP_DIR", ""), "take backups while serving into this folder, best on another disk (empty: none) (TALLY_BACKUP_DIR)")
	every, err := time.ParseDuration(env("BACKUP_EVERY", "6h"))
	if err != nil {
		b.envErr = fmt.Errorf("TALLY_BACKUP_EVERY: %w", err)
	}
	fs.DurationVar(&b.every, "backup-every", every, "how often to take a backup into --backup-dir (TALLY_BACKUP_EVERY)")
	keep, err := strconv.Atoi(env("BACKUP_KEEP", "8"))
	if err != nil {
		b.envErr = fmt.Errorf("TALLY_BACKUP_KEEP: %w", err)
	}
	fs.IntVar(&b.keep, "backup-keep", keep, "how many backups --backup-dir keeps, the newest (TALLY_BACKUP_KEEP)")
}

// check refuses settings that do not make a schedule, before anything starts.
func (b *backupFlags) check() error {
	switch {
	case b.envErr != nil:
		return b.envErr
	case b.dir == "":
		return nil
	case b.every < time.Second:
		return fmt.Errorf("--backup-every %v: at least 1s (6h is usual)", b.every)
	case b.keep < 1 || b.keep > 10_000:
		return fmt.Errorf("--backup-keep %d: 1 to 10000", b.keep)
	}
	return nil
}

// add gives the server its backup job when a folder is set.
func (b *backupFlags) add(srv *server.Server) error {
	if b.dir == "" {
		return nil
	}
	return srv.AddBackups(server.BackupSchedule{Folder: wms.BackupFolder{Dir: b.dir, Keep: b.keep}, Every: b.every})
}

// restoreCmd replaces a stopped server's store with a backup, after proving
// the backup sound, keeping the store it replaces.
func restoreCmd(args []string, stdout io.Writer) error {
	fs := newFlags("restore")
	var c common
	c.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.envErr != nil {
		return c.envErr
	}
	if fs.NArg() != 1 {
		return errors.New("restore: one backup file: tally restore --data DIR FILE")
	}
	file := fs.Arg(0)
	zone, err := time.LoadLocation(c.tz)
	if err != nil {
		return fmt.Errorf("time zone %q: %w", c.tz, err)
	}
	fmt.Fprintf(stdout, "checking %s (every page, then its projections against a rebuild of its log)...\n", file)
	r, err := wms.Restore(c.data, file, wms.Options{Zone: zone})
	if errors.Is(err, wms.ErrLocked) {
		return fmt.Errorf("restore: %w: stop the server first; nothing was changed", err)
	}
	if err != nil {
		return fmt.Errorf("restore refused, nothing was changed: %w", err)
	}
	last := "no events"
	if !r.LastEvent.IsZero() {
		last = "the last at " + r.LastEvent.In(zone).Format("2006-01-02 15:04:05 MST")
	}
	fmt.Fprintf(stdout, "restored %s into %s: %d events up to event %d, %s (%s)\n", file, c.data, r.Events, r.Seq, last, r.Took.Round(time.Millisecond))
	if r.RebuiltFrom != "" {
		fmt.Fprintf(stdout, "its projections (version %s, an older Tally) were rebuilt from its log\n", r.RebuiltFrom)
	}
	if r.Kept != "" {
		fmt.Fprintf(stdout, "the store it replaced is kept as %s; to undo: tally restore --data %s %s\n", r.Kept, c.data, r.Kept)
		fmt.Fprintln(stdout, "events after the backup's are not in the restored store: upstreams that had them say so on the sync page")
	}
	return nil
}
