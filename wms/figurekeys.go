package wms

import "bytes"

// People's figures share one bucket, scan_kpi (projections version 13).
// A scan updates a person's day figures, their owner's part of them, the
// hour's work and their last activity; in four buckets (scan_kpi,
// owner_kpi, work_hours, work_last) each of those writes cost a leaf and
// the branch pages above it. In one bucket they share the branch pages,
// and the day figures and the owner's part sit side by side on one leaf:
//
//	day 0 actor                   ScanStats JSON: a person's day
//	day 0 actor 0 owner           ScanStats JSON: the part of it that was one owner's goods
//	hour 0 actor 0 kind 0 owner   HourWork (workcodec.go): a person's work of a kind for an owner in a UTC hour
//	0xFF 0 actor                  workLast (workcodec.go): a person's last activity
//
// A day is "YYYY-MM-DD" and an hour "YYYY-MM-DDTHH" (hourLayout): a day's
// keys sort before the hours of the same date (0x00 < 'T'), and the last
// activities after everything (a day decoded from JSON is valid UTF-8,
// which never holds the byte 0xFF). Readers tell the kinds apart by their
// shape (figureKindOf), never by position alone.

// retiredBuckets are buckets earlier versions kept projections in; a
// rebuild (resetDerived) deletes them.
var retiredBuckets = [][]byte{bucketOwnerKPI, bucketWorkHours, bucketWorkLast}

// figureKind is what a key of scan_kpi holds.
type figureKind int

const (
	figureOther figureKind = iota
	figureDay              // day 0 actor
	figureOwner            // day 0 actor 0 owner
	figureHour             // hour 0 actor 0 kind 0 owner
	figureLast             // 0xFF 0 actor
)

var figureLastPrefix = []byte{0xFF, sep}

func ownerKPIKey(day, actor, owner string) []byte { return joinKey(day, actor, owner) }
func workLastKey(actor string) []byte {
	return append(append([]byte(nil), figureLastPrefix...), actor...)
}

// figureKindOf tells a scan_kpi key's kind by its shape.
func figureKindOf(k []byte) figureKind {
	if bytes.HasPrefix(k, figureLastPrefix) {
		return figureLast
	}
	i := bytes.IndexByte(k, sep)
	if i < 0 {
		return figureOther
	}
	switch parts := 2 + bytes.Count(k[i+1:], []byte{sep}); {
	case parts == 4 && i == len(hourLayout) && k[len("2006-01-02")] == 'T':
		return figureHour
	case parts == 2:
		return figureDay
	case parts == 3:
		return figureOwner
	}
	return figureOther
}

func isDayFigureKey(k, _ []byte) (bool, error) {
	f := figureKindOf(k)
	return f == figureDay || f == figureOwner, nil
}

func isHourFigureKey(k, _ []byte) (bool, error) { return figureKindOf(k) == figureHour, nil }

// dropRetired deletes the buckets an earlier version's projections used.
func dropRetired(tx *txn) error {
	for _, b := range retiredBuckets {
		if tx.Bucket(b) != nil {
			if err := tx.DeleteBucket(b); err != nil {
				return err
			}
		}
	}
	return nil
}
