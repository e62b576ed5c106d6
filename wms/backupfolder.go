package wms

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// BackupFolder holds the scheduled backups of a running server: each one a
// whole store named for when it was taken and its last event, the newest
// Keep kept. A backup is written under a temporary name, synced, verified and
// only then renamed, so a crash mid-backup leaves no file that counts (and
// the next backup clears what it left).
type BackupFolder struct {
	Dir  string
	Keep int
}

// BackupFile is one finished backup in a folder.
type BackupFile struct {
	Path  string    `json:"path"`
	Taken time.Time `json:"taken"` // from the name, to the second, UTC
	Seq   uint64    `json:"seq"`   // the last event it holds
	Size  int64     `json:"size"`
}

// backupName is tally-<UTC time>-<last seq>.db: names sort by time.
var backupName = regexp.MustCompile(`^tally-(\d{8}-\d{6})Z-(\d+)\.db$`)

const backupTimeLayout = "20060102-150405"

// staleTemp is how old a temporary backup file must be before a later
// backup removes it as left by a crash (one still being written is younger).
const staleTemp = time.Hour

// Take writes a backup of l into the folder and removes the oldest beyond
// Keep. A failed backup leaves the folder as it was. When only the pruning
// fails, the backup it took is returned with the error.
func (f BackupFolder) Take(l *Ledger) (BackupFile, error) {
	if f.Keep < 1 {
		return BackupFile{}, fmt.Errorf("backups: keep %d, want at least 1", f.Keep)
	}
	if err := os.MkdirAll(f.Dir, 0o750); err != nil {
		return BackupFile{}, fmt.Errorf("backup folder: %w", err)
	}
	f.removeStaleTemps(time.Now()) // files carry real times, whatever the ledger's clock
	taken := l.Now().UTC().Truncate(time.Second)
	var path string
	size, seq, err := l.backupToFile(f.Dir, func(seq uint64) string {
		path = filepath.Join(f.Dir, fmt.Sprintf("tally-%sZ-%d.db", taken.Format(backupTimeLayout), seq))
		return path
	})
	if err != nil {
		return BackupFile{}, err
	}
	b := BackupFile{Path: path, Taken: taken, Seq: seq, Size: size}
	if err := f.prune(); err != nil {
		return b, fmt.Errorf("remove old backups: %w", err)
	}
	return b, nil
}

// List gives the folder's finished backups, oldest first. A folder that
// does not exist yet holds none.
func (f BackupFolder) List() ([]BackupFile, error) {
	entries, err := os.ReadDir(f.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []BackupFile
	for _, e := range entries {
		m := backupName.FindStringSubmatch(e.Name())
		if m == nil || !e.Type().IsRegular() {
			continue
		}
		taken, err := time.Parse(backupTimeLayout, m[1])
		if err != nil {
			continue
		}
		seq, err := strconv.ParseUint(m[2], 10, 64)
		if err != nil {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		out = append(out, BackupFile{Path: filepath.Join(f.Dir, e.Name()), Taken: taken, Seq: seq, Size: info.Size()})
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Taken.Equal(out[j].Taken) {
			return out[i].Taken.Before(out[j].Taken)
		}
		return out[i].Seq < out[j].Seq
	})
	return out, nil
}

// prune removes the oldest backups beyond Keep.
func (f BackupFolder) prune() error {
	all, err := f.List()
	if err != nil {
		return err
	}
	var errs []error
	for _, b := range all[:max(0, len(all)-f.Keep)] {
		if err := os.Remove(b.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// removeStaleTemps removes temporary backup files a crash left behind.
func (f BackupFolder) removeStaleTemps(now time.Time) {
	entries, err := os.ReadDir(f.Dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), backupTempPrefix) {
			continue
		}
		if info, err := e.Info(); err == nil && now.Sub(info.ModTime()) > staleTemp {
			_ = os.Remove(filepath.Join(f.Dir, e.Name()))
		}
	}
}
