package wms

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"
)

// One home for how an archiving run moves records of one kind (floor
// tasks, receipts, return parcels) to month files: the candidates sorted
// by month, a batch at a time read again, written as one gzip member of the
// month's file and removed by one history.archived.v2 event naming them
// with their digest. A batch whose records changed since they were read is
// refused as a conflict by the event's decide and left for the next run.

// monthCand is a record a run moves: its reference in the event and the
// month whose file takes it.
type monthCand[R any] struct {
	ref   R
	month string
}

// monthMove is one kind of record moved to month files.
type monthMove[R, T any] struct {
	suffix string                                // the file's name after the month
	batch  int                                   // records a member and an event at most
	read   func(tx *txn, ref R) (T, bool, error) // the live record; false when gone
	event  func(refs []R) HistoryArchived        // the event's payload naming them
	moved  *int                                  // the run's count of them
}

// moveToMonthFiles moves cands' records as m says.
func moveToMonthFiles[R, T any](ctx context.Context, l *Ledger, cands []monthCand[R], m monthMove[R, T], actor, device string, run *ArchiveRun) error {
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].month < cands[j].month })
	for i := 0; i < len(cands); {
		j := i
		for j < len(cands) && j-i < m.batch && cands[j].month == cands[i].month {
			j++
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		file := cands[i].month + m.suffix
		var recs []T
		var refs []R
		var end int64
		if err := l.view(func(tx *txn) error {
			end = archiveEnd(tx, file)
			for _, c := range cands[i:j] {
				rec, found, err := m.read(tx, c.ref)
				if err != nil {
					return err
				}
				if found {
					recs, refs = append(recs, rec), append(refs, c.ref)
				}
			}
			return nil
		}); err != nil {
			return err
		}
		i = j
		if len(recs) == 0 {
			continue
		}
		digest, err := jsonLinesDigest(recs)
		if err != nil {
			return err
		}
		lines := make([]any, len(recs))
		for n := range recs {
			lines[n] = recs[n]
		}
		offset, newEnd, err := l.writeMember(file, end, lines)
		if err != nil {
			return err
		}
		p := m.event(refs)
		p.File, p.Offset, p.Digest = file, offset, digest
		err = l.appendArchived(ctx, p, file, offset, newEnd, actor, device, run)
		if ErrorCode(err) == CodeConflict { // a record changed since it was read: the next run takes it
			run.Skipped += len(refs)
			continue
		}
		if err != nil {
			return err
		}
		*m.moved += len(refs)
		run.Events++
		run.noteFile(file)
	}
	return nil
}

// jsonLinesDigest is the digest of the records an event removes: SHA-256
// of each one's JSON and a newline, hex.
func jsonLinesDigest[T any](recs []T) (string, error) {
	h := sha256.New()
	for _, r := range recs {
		raw, err := json.Marshal(r)
		if err != nil {
			return "", err
		}
		h.Write(raw)
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
