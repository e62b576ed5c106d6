package wms

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Finished floor tasks leave the live store (issue 16): a task of no wave
// — a count, a put-back of a cancelled order's units, a move — done or
// cancelled before the orders' cut-off (--keep-orders) goes to the month's
// tasks file, DATA/archive/YYYY-MM.tasks.jsonl.gz (the month it finished
// in the warehouse's zone), one Task a line, a gzip member a
// history.archived event (FloorTasks), as orders go (archive.go: the
// member is written and synced first, the event names it, the store lists
// it in meta archive_member:FILE). A month's count history is read there
// (ArchivedFloorTasks) after the live tasks, and the exceptions read a
// short pick's count task there once it left; the count results (counts:
// what was found against the books) stay live. Pick tasks leave with
// their orders (prune.go).

const floorTaskBatch = 1000 // tasks a history.archived event

const floorTasksSuffix = ".tasks.jsonl.gz"

// floorTaskDone is when a finished floor task ended (false: not one that
// leaves).
func floorTaskDone(t *Task) (time.Time, bool) {
	floor := t.Wave == "" && (t.Kind == TaskCount || t.Kind == TaskPutBack || t.Kind == TaskMove)
	if !floor || t.State != TaskDone && t.State != TaskCancelled {
		return time.Time{}, false
	}
	if t.Finished != nil {
		return *t.Finished, true
	}
	return t.Created, true
}

// archiveFloorTasks is Archive's step for finished floor tasks.
func (l *Ledger) archiveFloorTasks(ctx context.Context, before time.Time, actor, device string, run *ArchiveRun) error {
	var cands []monthCand[string]
	err := l.scanChunks(bucketTasks, nil, func(_ *txn, k, v []byte) error {
		t, err := decodeTask(v)
		if err != nil {
			return &DamagedRecordError{Bucket: string(bucketTasks), Key: string(k), Err: err}
		}
		if at, ok := floorTaskDone(&t); ok && at.Before(before) {
			cands = append(cands, monthCand[string]{t.ID, at.In(l.zone).Format("2006-01")})
		}
		return nil
	})
	if err != nil {
		return err
	}
	return moveToMonthFiles(ctx, l, cands, monthMove[string, Task]{
		suffix: floorTasksSuffix, batch: floorTaskBatch, moved: &run.FloorTasks,
		read:  func(tx *txn, id string) (Task, bool, error) { return lookupTask(tx, id) },
		event: func(ids []string) HistoryArchived { return HistoryArchived{FloorTasks: ids} },
	}, actor, device, run)
}

// collectFloorTasks reads the tasks an event names, each a finished count
// task (false: one is not).
func collectFloorTasks(tx *txn, ids []string) ([]Task, bool, error) {
	out := make([]Task, 0, len(ids))
	for _, id := range ids {
		t, found, err := lookupTask(tx, id)
		if err != nil || !found {
			return nil, false, err
		}
		if _, ok := floorTaskDone(&t); !ok {
			return nil, false, nil
		}
		out = append(out, t)
	}
	return out, true, nil
}

// decideFloorTasksArchived refuses a move of floor tasks that changed
// since the run wrote them (or are not finished floor tasks).
func decideFloorTasksArchived(tx *txn, p HistoryArchived) error {
	tasks, ok, err := collectFloorTasks(tx, p.FloorTasks)
	if err != nil {
		return err
	}
	if !ok {
		return Errf(CodeConflict, "archive.task_changed", "task", p.FloorTasks[0])
	}
	d, err := jsonLinesDigest(tasks)
	if err != nil {
		return err
	}
	if d != p.Digest {
		return Errf(CodeConflict, "archive.task_changed", "task", p.FloorTasks[0])
	}
	return nil
}

// pruneFloorTasks removes the event's tasks (each a finished floor task:
// nothing else leaves).
func pruneFloorTasks(tx *txn, p HistoryArchived) error {
	for _, id := range p.FloorTasks {
		t, found, err := lookupTask(tx, id)
		if err != nil {
			return err
		}
		if !found {
			continue
		}
		if _, ok := floorTaskDone(&t); !ok {
			return Errf(CodeConflict, "archive.task_changed", "task", id)
		}
		if err := tx.Bucket(bucketTasks).Delete([]byte(id)); err != nil {
			return err
		}
	}
	return nil
}

// ArchivedFloorTasks calls fn with every floor task the archive holds for
// month ("YYYY-MM", the month it finished), in the order they were
// archived: the month's count history beside the live tasks.
func (l *Ledger) ArchivedFloorTasks(month string, fn func(Task) error) error {
	return readArchiveMonth(l, month, floorTasksSuffix, fn)
}

// floorTaskCache finds archived count tasks by ID for one reader (the
// exceptions' short picks, whose count task may have left). A month's
// file is read once for every reader of the store while its committed
// parts stay the same (floorCounts), and only its count tasks' outcomes
// are kept (ID, state, finished, by whom), for floorCountFiles files at
// most.
type floorTaskCache struct{}

// floorCountFiles bounds the files whose count tasks are kept.
const floorCountFiles = 6

type floorCountKey struct {
	db   *bolt.DB
	file string
}

type floorCountFile struct {
	parts [][2]int64
	tasks map[string]Task // count tasks: ID, Kind, State, Finished, Actor
}

var floorCounts = struct {
	sync.Mutex
	files map[floorCountKey]*floorCountFile
}{files: map[floorCountKey]*floorCountFile{}}

// floorCountsOf reads (or finds kept) a file's count tasks.
func floorCountsOf(tx *txn, file string) (map[string]Task, error) {
	parts := archiveMembers(tx, file)
	key := floorCountKey{tx.DB(), file}
	floorCounts.Lock()
	kept := floorCounts.files[key]
	floorCounts.Unlock()
	if kept != nil && slices.Equal(kept.parts, parts) {
		return kept.tasks, nil
	}
	f, err := os.Open(filepath.Join(archiveDirOf(tx), file))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	tasks := map[string]Task{}
	for _, part := range parts {
		if err := readJSONLines(f, file, part, func(t Task) error {
			if t.Kind == TaskCount {
				tasks[t.ID] = Task{ID: t.ID, Kind: t.Kind, State: t.State, Finished: t.Finished, Actor: t.Actor}
			}
			return nil
		}); err != nil {
			return nil, err
		}
	}
	floorCounts.Lock()
	defer floorCounts.Unlock()
	if _, ok := floorCounts.files[key]; !ok && len(floorCounts.files) >= floorCountFiles {
		clear(floorCounts.files) // start afresh: the exceptions' window needs a few months
	}
	floorCounts.files[key] = &floorCountFile{parts: parts, tasks: tasks}
	return tasks, nil
}

// find is the archived count task of that ID that finished at or after
// since (its month, and the one before for the zone), false when no file
// the store lists holds it.
func (c *floorTaskCache) find(tx *txn, id string, since time.Time) (Task, bool, error) {
	from := since.AddDate(0, -1, 0).Format("2006-01") + floorTasksSuffix
	var files []string
	p := []byte("archive_member:")
	cur := tx.Bucket(bucketMeta).Cursor()
	for k, _ := cur.Seek(append(p, from...)); k != nil && bytes.HasPrefix(k, p); k, _ = cur.Next() {
		file, _, ok := strings.Cut(string(k[len(p):]), "\x00")
		if ok && strings.HasSuffix(file, floorTasksSuffix) && (len(files) == 0 || files[len(files)-1] != file) {
			files = append(files, file)
		}
	}
	for _, file := range files {
		tasks, err := floorCountsOf(tx, file)
		if os.IsNotExist(err) {
			return Task{}, false, Errf(CodeNotFound, "archive.task_file_missing", "task", id, "file", file)
		}
		if err != nil {
			return Task{}, false, err
		}
		if t, ok := tasks[id]; ok {
			return t, true, nil
		}
	}
	return Task{}, false, nil
}
