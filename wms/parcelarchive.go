package wms

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// Done return parcels leave the live store (issue 16): a parcel of a known
// order (booked against it, or matched to it later) that has left the live
// store (its returns done: returnarchive.go), whose units need nothing more — no line waits at the returns location to be put back on a
// shelf — goes, once --keep-orders has passed since it was booked (or
// matched), to the month's returns file, DATA/archive/YYYY-MM.returns.jsonl.gz,
// one ReturnParcel a line, a gzip member a history.archived event
// (Parcels), as receipts go (receiptarchive.go). What came back of its order
// is in order_returns, and in the order's archive record once the order
// left (returnarchive.go); the day's return figures (return_stats) stay.
//
// What stays live: archived_returns (parcel ID → file 0 member offset) and
// the parcel's return_seen entry (return waybill → parcel ID), so a later
// scan of that return waybill is refused as a parcel booked before and
// archived (return.parcel_archived), a parcel ID is never booked twice, and
// ReturnParcelByID and the exceptions (a matched unknown parcel) read it
// from the file. An unknown parcel (no order yet) stays until matched.
// RMAs stay live: one small record an announced return (the scan of an RMA
// or its return waybill finds its order).

const parcelsSuffix = ".returns.jsonl.gz"

const parcelBatch = 1000 // parcels a history.archived event

// parcelLast is when a parcel last changed: booked, or matched.
func parcelLast(p *ReturnParcel) time.Time {
	if p.Matched != nil && p.Matched.After(p.At) {
		return *p.Matched
	}
	return p.At
}

// parcelDone says whether a parcel may leave: of a known order that left
// the live store already (returnarchive.go reads the live parcels to let an
// order with returns leave), no line waiting to be put back (put-backs read
// from their events; a line whose units left the returns location by hand
// waits no more, as ReturnsAwaitingPutBack counts it).
func parcelDone(tx *txn, p ReturnParcel, staging string) (bool, error) {
	if p.Order == "" || tx.Bucket(bucketOrders).Get(orderKey(OwnerOr(p.Owner), p.Order)) != nil {
		return false, nil
	}
	if err := readPutBacks(tx, &p); err != nil {
		return false, err
	}
	for n, rl := range p.Lines { // as ReturnsAwaitingPutBack counts a line
		if p.AwaitsPutBack(n, staging) && qtyFromValue(tx.Bucket(bucketStock).Get(stockKey(OwnerOr(p.Owner), rl.SKU, rl.Lot, staging))) > 0 {
			return false, nil
		}
	}
	return true, nil
}

// archiveParcels is Archive's step for done return parcels.
func (l *Ledger) archiveParcels(ctx context.Context, before time.Time, actor, device string, run *ArchiveRun) error {
	var cands []monthCand[string]
	err := l.scanChunks(bucketReturns, nil, func(tx *txn, k, v []byte) error {
		var p ReturnParcel
		if err := json.Unmarshal(v, &p); err != nil {
			return &DamagedRecordError{Bucket: string(bucketReturns), Key: string(k), Err: err}
		}
		at := parcelLast(&p)
		if p.Order == "" || !at.Before(before) {
			return nil
		}
		done, err := parcelDone(tx, p, returnsStaging(tx))
		if err != nil || !done {
			return err
		}
		cands = append(cands, monthCand[string]{p.ID, at.In(l.zone).Format("2006-01")})
		return nil
	})
	if err != nil {
		return err
	}
	return moveToMonthFiles(ctx, l, cands, monthMove[string, ReturnParcel]{
		suffix: parcelsSuffix, batch: parcelBatch, moved: &run.Parcels,
		read: func(tx *txn, id string) (ReturnParcel, bool, error) {
			return lookup[ReturnParcel](tx, bucketReturns, []byte(id))
		},
		event: func(ids []string) HistoryArchived { return HistoryArchived{Parcels: ids} },
	}, actor, device, run)
}

// decideParcelsArchived refuses a move of parcels that changed since the
// run wrote them, or are not done (a line waits to be put back).
func decideParcelsArchived(tx *txn, p HistoryArchived) error {
	staging := returnsStaging(tx)
	ps := make([]ReturnParcel, 0, len(p.Parcels))
	for _, id := range p.Parcels {
		rp, found, err := lookup[ReturnParcel](tx, bucketReturns, []byte(id))
		if err != nil {
			return err
		}
		done := false
		if found {
			if done, err = parcelDone(tx, rp, staging); err != nil {
				return err
			}
		}
		if !done {
			return Errf(CodeConflict, "archive.parcel_changed", "parcel", id)
		}
		ps = append(ps, rp)
	}
	d, err := jsonLinesDigest(ps)
	if err != nil {
		return err
	}
	if d != p.Digest {
		return Errf(CodeConflict, "archive.parcel_changed", "parcel", p.Parcels[0])
	}
	return nil
}

// pruneParcels removes the event's parcels (each of a known order: an
// unknown one never leaves) and records where each went.
func pruneParcels(tx *txn, p HistoryArchived) error {
	at := archivedValue(p.File, p.Offset)
	for _, id := range p.Parcels {
		rp, found, err := lookup[ReturnParcel](tx, bucketReturns, []byte(id))
		if err != nil {
			return err
		}
		if !found {
			continue
		}
		if rp.Order == "" {
			return Errf(CodeConflict, "archive.parcel_changed", "parcel", id)
		}
		if err := tx.Bucket(bucketReturns).Delete([]byte(id)); err != nil {
			return err
		}
		if err := tx.Bucket(bucketArchivedReturns).Put([]byte(id), at); err != nil {
			return err
		}
	}
	return nil
}

// parcelArchived says whether the parcel left for the archive.
func parcelArchived(tx *txn, id string) bool {
	return tx.Bucket(bucketArchivedReturns).Get([]byte(id)) != nil
}

// getParcel reads a parcel, live or archived (false: none such).
func getParcel(tx *txn, id string) (ReturnParcel, bool, error) {
	p, found, err := lookup[ReturnParcel](tx, bucketReturns, []byte(id))
	if err != nil || found {
		return p, found, err
	}
	v := tx.Bucket(bucketArchivedReturns).Get([]byte(id))
	if v == nil {
		return p, false, nil
	}
	at, ok := decodeArchivedValue(v)
	if !ok {
		return p, false, &DamagedRecordError{Bucket: string(bucketArchivedReturns), Key: id, Err: errors.New("bad archive entry")}
	}
	p, err = readArchivedRecord(tx, at, "archive.parcel_file_missing", "parcel", id, func(p ReturnParcel) bool { return p.ID == id })
	return p, err == nil, err
}

// readArchivedRecord reads the member at at.Offset of at.File (one gzip
// member, read at its offset: a standby has the primary's files copied but
// not its list of members) and finds the record that is; missing (its
// i18n key, with arg and value) when the file or the record is not there.
func readArchivedRecord[T any](tx *txn, at ArchivedAt, missing, arg, value string, is func(T) bool) (T, error) {
	out, found, err := findInMember(filepath.Join(archiveDirOf(tx), at.File), at.Offset, is)
	if err == nil && !found || os.IsNotExist(err) {
		return out, Errf(CodeNotFound, missing, arg, value, "file", at.File)
	}
	return out, err
}

// errStopReading ends a walk early.
var errStopReading = errors.New("stop reading")

// findInMember is the first record of the gzip member at offset that is
// wants: found false when none is. It reads the member to its end even so:
// a member proves whole only at its end (gzip's checksum), and a record of
// a damaged file is not given out as sound.
func findInMember[T any](path string, offset int64, is func(T) bool) (out T, found bool, err error) {
	err = readMemberAt(path, offset, func(r T) error {
		if !found && is(r) {
			out, found = r, true
		}
		return nil
	})
	return out, found, err
}

// readMemberAt reads the JSON lines of the one gzip member that starts at
// offset in the file at path.
func readMemberAt[T any](path string, offset int64, fn func(T) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return err
	}
	return scanJSONLines(bufio.NewReader(f), filepath.Base(path), offset, false, fn)
}

// scanJSONLines decodes the gzip stream r (one member, or all the members
// it holds when multistream) as JSON lines and calls fn with each record.
// A stream that does not read whole (cut short, a bad checksum, a line
// that is not a record) is archive.damaged, naming file and offset.
func scanJSONLines[T any](r io.Reader, file string, offset int64, multistream bool, fn func(T) error) error {
	zr, err := gzip.NewReader(r)
	if err == io.EOF { // nothing there: the file ends before the member (an older copy, or cut)
		return Errf(CodeNotFound, "archive.member_missing", "file", file, "offset", strconv.FormatInt(offset, 10))
	}
	if err != nil {
		return archiveDamaged(file, offset, err)
	}
	zr.Multistream(multistream)
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 0, 64<<10), 64<<20)
	for sc.Scan() {
		var rec T
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			if serr := sc.Err(); serr != nil { // a cut stream hands over its partial last line first
				err = serr
			}
			return archiveDamaged(file, offset, err)
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return archiveDamaged(file, offset, err)
	}
	return nil
}

// archiveDamaged is the error of an archive file that does not read whole.
func archiveDamaged(file string, offset int64, err error) error {
	return Errf(CodeInternal, "archive.damaged", "file", file, "offset", strconv.FormatInt(offset, 10), "why", err.Error())
}

// mustGetParcel is getParcel that says return.parcel_not_found.
func mustGetParcel(tx *txn, id string) (ReturnParcel, error) {
	p, found, err := getParcel(tx, id)
	if err == nil && !found {
		err = Errf(CodeNotFound, "return.parcel_not_found", "parcel", id)
	}
	return p, err
}
