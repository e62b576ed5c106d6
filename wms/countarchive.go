package wms

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// Finished count tasks leave the live store (issue 16): a count task done
// or cancelled before the orders' cut-off (--keep-orders) goes to the
// month's count file, DATA/archive/YYYY-MM.counts.jsonl.gz (the month it
// finished in the warehouse's zone), one Task a line, a gzip member a
// history.archived event (CountTasks), as orders go (archive.go: the
// member is written and synced first, the event names it, the store lists
// it in meta archive_member:FILE). A month's count history is read there
// (ArchivedCountTasks) after the live tasks; the count results (counts:
// what was found against the books) stay live.

const countTaskBatch = 1000 // count tasks a history.archived event

// countTaskDone is when a finished count task ended (false: not one that
// leaves).
func countTaskDone(t *Task) (time.Time, bool) {
	if t.Kind != TaskCount || t.State != TaskDone && t.State != TaskCancelled {
		return time.Time{}, false
	}
	if t.Finished != nil {
		return *t.Finished, true
	}
	return t.Created, true
}

// countTasksDigest is the digest of the tasks an event removes.
func countTasksDigest(tasks []Task) (string, error) {
	h := sha256.New()
	for _, t := range tasks {
		raw, err := json.Marshal(t)
		if err != nil {
			return "", err
		}
		h.Write(raw)
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// archiveCountTasks is Archive's step for finished count tasks.
func (l *Ledger) archiveCountTasks(ctx context.Context, before time.Time, actor, device string, run *ArchiveRun) error {
	type cand struct{ id, month string }
	var cands []cand
	err := l.scanChunks(bucketTasks, nil, func(_ *txn, k, v []byte) error {
		t, err := decodeTask(v)
		if err != nil {
			return &DamagedRecordError{Bucket: string(bucketTasks), Key: string(k), Err: err}
		}
		if at, ok := countTaskDone(&t); ok && at.Before(before) {
			cands = append(cands, cand{t.ID, at.In(l.zone).Format("2006-01")})
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].month < cands[j].month })
	for i := 0; i < len(cands); {
		j := i
		for j < len(cands) && j-i < countTaskBatch && cands[j].month == cands[i].month {
			j++
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		file := cands[i].month + ".counts.jsonl.gz"
		var tasks []Task
		var end int64
		if err := l.view(func(tx *txn) error {
			end = archiveEnd(tx, file)
			for _, c := range cands[i:j] {
				t, found, err := lookupTask(tx, c.id)
				if err != nil {
					return err
				}
				if found {
					tasks = append(tasks, t)
				}
			}
			return nil
		}); err != nil {
			return err
		}
		i = j
		if len(tasks) == 0 {
			continue
		}
		digest, err := countTasksDigest(tasks)
		if err != nil {
			return err
		}
		lines := make([]any, len(tasks))
		ids := make([]string, len(tasks))
		for n := range tasks {
			lines[n], ids[n] = tasks[n], tasks[n].ID
		}
		offset, newEnd, err := l.writeMember(file, end, lines)
		if err != nil {
			return err
		}
		p := HistoryArchived{CountTasks: ids, File: file, Offset: offset, Digest: digest}
		err = l.appendArchived(ctx, p, file, offset, newEnd, actor, device, run)
		if ErrorCode(err) == CodeConflict { // a task changed since it was read: the next run takes it
			run.Skipped += len(ids)
			continue
		}
		if err != nil {
			return err
		}
		run.CountTasks += len(ids)
		run.Events++
		run.noteFile(file)
	}
	return nil
}

// collectCountTasks reads the tasks an event names, each a finished count
// task (false: one is not).
func collectCountTasks(tx *txn, ids []string) ([]Task, bool, error) {
	out := make([]Task, 0, len(ids))
	for _, id := range ids {
		t, found, err := lookupTask(tx, id)
		if err != nil || !found {
			return nil, false, err
		}
		if _, ok := countTaskDone(&t); !ok {
			return nil, false, nil
		}
		out = append(out, t)
	}
	return out, true, nil
}

// decideCountTasksArchived refuses a move of count tasks that changed
// since the run wrote them (or are not finished count tasks).
func decideCountTasksArchived(tx *txn, p HistoryArchived) error {
	tasks, ok, err := collectCountTasks(tx, p.CountTasks)
	if err != nil {
		return err
	}
	if !ok {
		return Errf(CodeConflict, "archive.task_changed", "task", p.CountTasks[0])
	}
	d, err := countTasksDigest(tasks)
	if err != nil {
		return err
	}
	if d != p.Digest {
		return Errf(CodeConflict, "archive.task_changed", "task", p.CountTasks[0])
	}
	return nil
}

// pruneCountTasks removes the event's count tasks (each a finished count
// task: nothing else leaves).
func pruneCountTasks(tx *txn, p HistoryArchived) error {
	for _, id := range p.CountTasks {
		t, found, err := lookupTask(tx, id)
		if err != nil {
			return err
		}
		if !found {
			continue
		}
		if _, ok := countTaskDone(&t); !ok {
			return Errf(CodeConflict, "archive.task_changed", "task", id)
		}
		if err := tx.Bucket(bucketTasks).Delete([]byte(id)); err != nil {
			return err
		}
	}
	return nil
}

// ArchivedCountTasks calls fn with every count task the archive holds for
// month ("YYYY-MM", the month it finished), in the order they were
// archived: the month's count history beside the live tasks.
func (l *Ledger) ArchivedCountTasks(month string, fn func(Task) error) error {
	if !validMonth(month) {
		return Errf(CodeInvalid, "archive.month_invalid", "month", month)
	}
	file := month + ".counts.jsonl.gz"
	var parts [][2]int64
	if err := l.view(func(tx *txn) error { parts = archiveMembers(tx, file); return nil }); err != nil {
		return err
	}
	if len(parts) == 0 {
		return nil
	}
	f, err := os.Open(filepath.Join(l.ArchiveDir(), file))
	if err != nil {
		return Errf(CodeNotFound, "archive.month_missing", "month", month, "file", file)
	}
	defer f.Close()
	for _, part := range parts {
		if err := readJSONLines(f, file, part, fn); err != nil {
			return err
		}
	}
	return nil
}

// readJSONLines reads the records of one committed part of an archive
// file: one gzip member or more, a JSON record a line.
func readJSONLines[T any](f *os.File, file string, part [2]int64, fn func(T) error) error {
	zr, err := gzip.NewReader(bufio.NewReader(io.NewSectionReader(f, part[0], part[1])))
	if err != nil {
		return fmt.Errorf("archive %s at %d: %w", file, part[0], err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 0, 64<<10), 64<<20)
	for sc.Scan() {
		var rec T
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return fmt.Errorf("archive %s at %d: %w", file, part[0], err)
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("archive %s at %d: %w", file, part[0], err)
	}
	return nil
}
