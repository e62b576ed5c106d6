package wms

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Closed receipts leave the live store (issue 16): a receipt closed before
// the orders' cut-off (--keep-orders) goes to the month's receipts file,
// DATA/archive/YYYY-MM.receipts.jsonl.gz (the month it was closed in, in
// the warehouse's zone), one Receipt a line, a gzip member a
// history.archived event (Receipts), as orders and floor tasks go
// (archive.go: the member is written and synced first, the event names
// it, the store lists it in meta archive_member:FILE, so a restore's proof
// and a standby read the same named files). A closed receipt takes
// nothing more, so nothing is lost: its lines (expected, received,
// quarantined, refused) are what it was closed with.
//
// What stays live is a small entry a receipt in archived_receipts (owner 0
// receipt → file 0 member offset, as archived_orders was before order
// tables): every reader that misses receipts reads the receipt there
// (getReceipt: the receipt screen, an ExpectReceipt resend's answer, the
// outward feed of its close), a receiving or refusal against it is still
// refused as closed (not taken as a new blind receipt), a new receipt of
// the same number is still refused as existing, and a resend of the same
// announcement is a duplicate of its event (the event ID) answered with the
// archived receipt, a changed one refused (sameReceipt). The entry is
// ~40 bytes where the receipt was hundreds; it grows with receipts (a few
// hundred a month where orders are hundreds of thousands), not events.
// Lot trace and recall do not read receipts (the lot indexes hold a lot's
// receivings).

const receiptsSuffix = ".receipts.jsonl.gz"

const receiptBatch = 1000 // receipts a history.archived event

// receiptDone is when a closed receipt was closed (false: still open).
func receiptDone(r *Receipt) (time.Time, bool) {
	if r.State != "closed" {
		return time.Time{}, false
	}
	if r.Closed != nil {
		return *r.Closed, true
	}
	return r.Created, true
}

// archiveReceipts is Archive's step for closed receipts.
func (l *Ledger) archiveReceipts(ctx context.Context, before time.Time, actor, device string, run *ArchiveRun) error {
	var cands []monthCand[ArchivedRef]
	err := l.scanChunks(bucketReceipts, nil, func(_ *txn, k, v []byte) error {
		var r Receipt
		if err := json.Unmarshal(v, &r); err != nil {
			return &DamagedRecordError{Bucket: string(bucketReceipts), Key: string(k), Err: err}
		}
		if at, ok := receiptDone(&r); ok && at.Before(before) {
			cands = append(cands, monthCand[ArchivedRef]{ArchivedRef{Owner: envelopeOwner(OwnerOr(r.Owner)), No: r.ID}, at.In(l.zone).Format("2006-01")})
		}
		return nil
	})
	if err != nil {
		return err
	}
	return moveToMonthFiles(ctx, l, cands, monthMove[ArchivedRef, Receipt]{
		suffix: receiptsSuffix, batch: receiptBatch, moved: &run.Receipts,
		read: func(tx *txn, ref ArchivedRef) (Receipt, bool, error) {
			return lookup[Receipt](tx, bucketReceipts, receiptKey(OwnerOr(ref.Owner), ref.No))
		},
		event: func(refs []ArchivedRef) HistoryArchived { return HistoryArchived{Receipts: refs} },
	}, actor, device, run)
}

// collectReceipts reads the receipts an event names, each closed (false:
// one is missing or open).
func collectReceipts(tx *txn, refs []ArchivedRef) ([]Receipt, bool, error) {
	out := make([]Receipt, 0, len(refs))
	for _, ref := range refs {
		r, found, err := lookup[Receipt](tx, bucketReceipts, receiptKey(OwnerOr(ref.Owner), ref.No))
		if err != nil || !found {
			return nil, false, err
		}
		if _, ok := receiptDone(&r); !ok {
			return nil, false, nil
		}
		out = append(out, r)
	}
	return out, true, nil
}

// decideReceiptsArchived refuses a move of receipts that changed since the
// run wrote them (or are not closed).
func decideReceiptsArchived(tx *txn, p HistoryArchived) error {
	rs, ok, err := collectReceipts(tx, p.Receipts)
	if err != nil {
		return err
	}
	if ok {
		var d string
		if d, err = jsonLinesDigest(rs); err != nil {
			return err
		}
		ok = d == p.Digest
	}
	if !ok {
		return Errf(CodeConflict, "archive.receipt_changed", "receipt", p.Receipts[0].No)
	}
	return nil
}

// pruneReceipts removes the event's receipts (each closed: nothing else
// leaves) and records where each went.
func pruneReceipts(tx *txn, p HistoryArchived) error {
	at := archivedValue(p.File, p.Offset)
	for _, ref := range p.Receipts {
		key := receiptKey(OwnerOr(ref.Owner), ref.No)
		r, found, err := lookup[Receipt](tx, bucketReceipts, key)
		if err != nil {
			return err
		}
		if !found {
			continue
		}
		if _, ok := receiptDone(&r); !ok {
			return Errf(CodeConflict, "archive.receipt_changed", "receipt", ref.No)
		}
		if err := tx.Bucket(bucketReceipts).Delete(key); err != nil {
			return err
		}
		if err := tx.Bucket(bucketArchivedReceipts).Put(key, at); err != nil {
			return err
		}
	}
	return nil
}

// receiptArchived says whether the owner's receipt id left for the archive.
func receiptArchived(tx *txn, owner, id string) bool {
	return tx.Bucket(bucketArchivedReceipts).Get(receiptKey(owner, id)) != nil
}

// getReceipt reads the owner's receipt id, live or archived (false: no
// such receipt).
func getReceipt(tx *txn, owner, id string) (Receipt, bool, error) {
	r, found, err := lookup[Receipt](tx, bucketReceipts, receiptKey(owner, id))
	if err != nil || found {
		return r, found, err
	}
	v := tx.Bucket(bucketArchivedReceipts).Get(receiptKey(owner, id))
	if v == nil {
		return r, false, nil
	}
	at, ok := decodeArchivedValue(v)
	if !ok {
		return r, false, &DamagedRecordError{Bucket: string(bucketArchivedReceipts), Key: string(receiptKey(owner, id)), Err: errors.New("bad archive entry")}
	}
	r, err = readArchivedReceipt(tx, at, owner, id)
	return r, err == nil, err
}

// mustGetReceipt is getReceipt that says receipt.not_found.
func mustGetReceipt(tx *txn, owner, id string) (Receipt, error) {
	r, found, err := getReceipt(tx, owner, id)
	if err == nil && !found {
		err = Errf(CodeNotFound, "receipt.not_found", "receipt", id)
	}
	return r, err
}

// readArchivedReceipt reads the member at.Offset of at.File and finds the
// receipt in it.
func readArchivedReceipt(tx *txn, at ArchivedAt, owner, id string) (Receipt, error) {
	return readArchivedRecord(tx, at, "archive.receipt_file_missing", "receipt", id, func(r Receipt) bool {
		return OwnerOr(r.Owner) == owner && r.ID == id
	})
}

// ArchivedReceipts calls fn with every receipt the archive holds for month
// ("YYYY-MM", the month it was closed), in the order they were archived.
func (l *Ledger) ArchivedReceipts(month string, fn func(Receipt) error) error {
	return readArchiveMonth(l, month, receiptsSuffix, fn)
}

// VerifyRecordFiles reads every archive member that archived_receipts and
// archived_returns name and checks that each archived receipt and return
// parcel is in the member its entry names: a restore's proof (and `tally
// check`'s) that the archive folder holds what left (a missing or short
// file is named).
func (l *Ledger) VerifyRecordFiles() (members, records int, err error) {
	err = l.view(func(tx *txn) error {
		m, n, err := verifyArchived(tx, bucketArchivedReceipts, "archive.receipt_file_missing", "receipt",
			func(k string) string { return k[strings.IndexByte(k, sep)+1:] },
			func(r Receipt) string { return string(receiptKey(OwnerOr(r.Owner), r.ID)) })
		members, records = members+m, records+n
		if err != nil {
			return err
		}
		m, n, err = verifyArchived(tx, bucketArchivedReturns, "archive.parcel_file_missing", "parcel",
			func(k string) string { return k },
			func(p ReturnParcel) string { return p.ID })
		members, records = members+m, records+n
		return err
	})
	return members, records, err
}

// verifyArchived checks one index of archived records (key → file 0
// member offset) against the members it names: name is what the missing
// message says of a key, keyOf a record's key. It holds a count a member
// and, while a member is read, the keys found in it (one run's records),
// never every key of the index: archived_returns grows with every parcel.
func verifyArchived[T any](tx *txn, bucket []byte, missingKey, arg string, name func(string) string, keyOf func(T) string) (members, records int, err error) {
	b := tx.Bucket(bucket)
	want := map[ArchivedAt]int{}
	if err := b.ForEach(func(k, v []byte) error {
		at, ok := decodeArchivedValue(v)
		if !ok {
			return &DamagedRecordError{Bucket: string(bucket), Key: string(k), Err: errors.New("bad archive entry")}
		}
		want[at]++
		records++
		return nil
	}); err != nil {
		return 0, 0, err
	}
	ats := make([]ArchivedAt, 0, len(want))
	for at := range want {
		ats = append(ats, at)
	}
	slices.SortFunc(ats, func(x, y ArchivedAt) int {
		return cmp.Or(strings.Compare(x.File, y.File), cmp.Compare(x.Offset, y.Offset))
	})
	for _, at := range ats {
		found := map[string]bool{}
		err := readMemberAt(filepath.Join(archiveDirOf(tx), at.File), at.Offset, func(r T) error {
			k := keyOf(r)
			if v := b.Get([]byte(k)); v != nil {
				if in, ok := decodeArchivedValue(v); ok && in == at {
					found[k] = true
				}
			}
			return nil
		})
		if err != nil && !os.IsNotExist(err) {
			return members, records, err
		}
		if len(found) < want[at] { // name one key the member does not hold
			missing := ""
			_ = b.ForEach(func(k, v []byte) error {
				if in, ok := decodeArchivedValue(v); ok && in == at && !found[string(k)] {
					missing = string(k)
					return errStopReading
				}
				return nil
			})
			return members, records, Errf(CodeNotFound, missingKey, arg, name(missing), "file", at.File)
		}
		members++
	}
	return members, records, nil
}

// archivedBlindNumber is the highest n of the owners' archived blind
// receipts named prefix+n (NextBlindReceipt counts them too).
func archivedBlindNumber(tx *txn, owners []string, prefix string) int {
	n := 0
	c := tx.Bucket(bucketArchivedReceipts).Cursor()
	for _, owner := range owners {
		p := string(receiptKey(owner, prefix))
		for k, _ := c.Seek([]byte(p)); k != nil && strings.HasPrefix(string(k), p); k, _ = c.Next() {
			if i, err := strconv.Atoi(strings.TrimPrefix(string(k), p)); err == nil && i > n {
				n = i
			}
		}
	}
	return n
}
