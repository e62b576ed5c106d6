package wms

import (
	"context"
	"encoding/json"
)

// A scan's answer is the task's JSON (taskJSON), made from the task decoded
// in the commit. A caller that wants the task itself (the API's scan answer
// is made from it) would decode that JSON again: WithTaskNote lets it take
// the task the JSON was made from instead. A repeat of a key is answered
// from its record and leaves the note empty (the caller decodes the JSON).

type taskNoteKey struct{}

// TaskNote holds the task a command's first answer was made from.
type TaskNote struct{ task *Task }

// WithTaskNote returns a context whose task commands (picks, shorts, undos,
// wrong scans, put-backs) leave in note the task their answer was made from.
func WithTaskNote(ctx context.Context) (context.Context, *TaskNote) {
	n := &TaskNote{}
	return context.WithValue(ctx, taskNoteKey{}, n), n
}

// Task is the task the answer's JSON was made from, if the command made it
// (false: the answer was a repeat's, or there was none).
func (n *TaskNote) Task() (Task, bool) {
	if n == nil || n.task == nil {
		return Task{}, false
	}
	return *n.task, true
}

// taskAnswer is taskJSON that leaves the decoded task in ctx's note.
func taskAnswer(ctx context.Context, tx *txn, id string) (json.RawMessage, error) {
	t, err := getTask(tx, id)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(t)
	if err != nil {
		return nil, err
	}
	if n, _ := ctx.Value(taskNoteKey{}).(*TaskNote); n != nil {
		n.task = t
	}
	return raw, nil
}
