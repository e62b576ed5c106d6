package wms

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Records read by key. A record that must exist is read with mustGet: the
// absence of its key is the caller's not-found error, and a value that does
// not decode is a damaged record — a bug or a broken disk, an internal error —
// never reported as "not found". lookup is the same read for a record that may
// be absent.

// DamagedRecordError is a stored record that does not decode.
type DamagedRecordError struct {
	Bucket string
	Key    string
	Err    error
}

func (e *DamagedRecordError) Error() string {
	return fmt.Sprintf("damaged record %q in %s: %v", e.Key, e.Bucket, e.Err)
}

func (e *DamagedRecordError) Unwrap() error { return e.Err }

// mustGet decodes the record at key in bucket. Only when the key is absent is
// the answer not_found, with the message key and args given.
func mustGet[T any](tx *txn, bucket, key []byte, msg string, args ...string) (T, error) {
	v, found, err := lookup[T](tx, bucket, key)
	if err == nil && !found {
		err = Errf(CodeNotFound, msg, args...)
	}
	return v, err
}

// lookup decodes the record at key in bucket, if there is one.
func lookup[T any](tx *txn, bucket, key []byte) (T, bool, error) {
	if tx.replay != nil && memoBucket(bucket) {
		return replayLookup[T](tx, bucket, key)
	}
	var v T
	found, err := getJSON(tx.Bucket(bucket), key, &v)
	if d, ok := err.(*DamagedRecordError); ok {
		d.Bucket = string(bucket)
	}
	return v, found, err
}

// getJSON decodes the record at key in b into v, if there is one; a value
// that does not decode is a DamagedRecordError.
func getJSON(b *bucket, key []byte, v any) (bool, error) {
	raw := b.Get(key)
	if raw == nil {
		return false, nil
	}
	handled, err := memoDecode(raw, v) // SKUs, locations, lots, staff, sessions, tokens (recmemo.go)
	if !handled {
		err = json.Unmarshal(raw, v)
	}
	if err != nil {
		return true, &DamagedRecordError{Key: string(key), Err: err}
	}
	return true, nil
}

// putChanged puts a value unless the key holds these bytes already: bbolt
// writes a page again for a Put of the value it holds, and a scan's commit
// would rewrite index entries it does not change.
func putChanged(b *bucket, key, value []byte) error {
	// lookup, not Get: an empty value (an index entry) reads as nil
	if old, found := b.lookup(key); found && bytes.Equal(old, value) {
		return nil
	}
	return b.Put(key, value)
}
