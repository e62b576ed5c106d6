package wms

import (
	"encoding/json"
	"fmt"
)

// A key record's stored form. Records were JSON (keyRecordJSON); a scan's
// record held the whole task it answered with, a cluster task's kilobytes,
// and was the biggest value a scan wrote. Records are now written in a
// compact binary form, and an answer that is a task (taskCommand: picks,
// shorts, undos, wrong scans, put-backs) is kept as the task's stored bytes
// (taskcodec.go) rather than its JSON: a repeat decodes them and makes the
// JSON again with taskJSON's own steps (decodeTask, then json.Marshal), so it
// gets byte for byte the answer the first call got, which was made from the
// same bytes. Records written as JSON before stay as they are and read as
// before (readKeyRecord tells the two apart by the first byte: a JSON record
// starts with '{').
//
// decodeTask must keep reading every task codec version a key record may
// hold for as long as the keys keep their answers (archive.go's retention),
// even after the tasks bucket moves to a newer version.
const keyCodecV1 byte = 0xC1

// What a binary record's answer is.
const (
	keyAnswerNone byte = iota // dropped after the keys' retention (or never stored)
	keyAnswerJSON             // the answer's JSON, as the first call got it
	keyAnswerTask             // the task's stored bytes; the answer is its JSON
)

// encodeKeyRecord is a record's stored form.
func encodeKeyRecord(r keyRecord) []byte {
	e := newProjEnc(keyCodecV1, 64+len(r.Actor)+len(r.Type)+len(r.Target)+len(r.Digest)+len(r.Answer)+len(r.Task))
	e.str(r.Actor)
	e.str(r.Type)
	e.str(r.Target)
	e.str(r.Digest)
	e.int(int64(r.Seq))
	switch {
	case len(r.Task) > 0:
		e.n(int(keyAnswerTask))
		e.str(string(r.Task))
	case r.answered():
		e.n(int(keyAnswerJSON))
		e.str(string(r.Answer))
	default:
		e.n(int(keyAnswerNone))
	}
	return e.b
}

// readKeyRecord reads a stored record, binary or (written before) JSON.
func readKeyRecord(raw []byte) (keyRecord, error) {
	var r keyRecord
	if len(raw) > 0 && raw[0] == '{' {
		err := json.Unmarshal(raw, &r)
		return r, err
	}
	d, ok := newProjDec(keyCodecV1, raw)
	if !ok {
		return r, fmt.Errorf("key record: unknown form")
	}
	r.Actor, r.Type, r.Target, r.Digest = d.str(), d.str(), d.str(), d.str()
	r.Seq = uint64(d.int())
	switch kind := byte(d.n()); kind {
	case keyAnswerNone:
	case keyAnswerJSON:
		r.Answer = json.RawMessage(d.str())
	case keyAnswerTask:
		r.Task = []byte(d.str())
	default:
		d.fail()
	}
	if err := d.end("key"); err != nil {
		return r, err
	}
	return r, nil
}

// getKeyRecord reads the record of a key that may be absent.
func getKeyRecord(tx *txn, id string) (keyRecord, bool, error) {
	raw := tx.Bucket(bucketKeys).Get([]byte(id))
	if raw == nil {
		return keyRecord{}, false, nil
	}
	r, err := readKeyRecord(raw)
	if err != nil {
		return r, true, &DamagedRecordError{Bucket: string(bucketKeys), Key: id, Err: err}
	}
	return r, true, nil
}

// answerJSON is the record's answer as the first call got it.
func (r keyRecord) answerJSON() (json.RawMessage, error) {
	if len(r.Task) == 0 {
		return r.Answer, nil
	}
	t, err := decodeTask(r.Task)
	if err != nil {
		return nil, err
	}
	return json.Marshal(&t)
}

// replicaKeyJSON is a stored record as a standby reads it (ReplicaEvent.Key,
// ReplicaKey.Record): JSON, with the answer's JSON in it, as before, so a
// standby of an earlier version reads it; a task answer travels in "task"
// too, as the task's stored bytes, so a standby of this version stores the
// record as the primary did (standbyRecord).
func replicaKeyJSON(raw []byte) (json.RawMessage, keyRecord, error) {
	r, err := readKeyRecord(raw)
	if err != nil {
		return nil, r, err
	}
	if raw[0] == '{' {
		return append(json.RawMessage{}, raw...), r, nil
	}
	out := r
	if out.Answer, err = r.answerJSON(); err != nil {
		return nil, r, err
	}
	j, err := keyRecordJSON(out)
	return j, r, err
}

// standbyRecord is what a standby stores for a record it read from its
// primary: the record in the binary form, a task answer as the task's bytes
// (what the primary stores; a record a primary of an earlier version stored
// as JSON is stored in binary, with the same content).
func standbyRecord(j json.RawMessage) ([]byte, keyRecord, error) {
	var r keyRecord
	if err := json.Unmarshal(j, &r); err != nil {
		return nil, r, err
	}
	stored := r
	if len(stored.Task) > 0 {
		stored.Answer = nil
	}
	return encodeKeyRecord(stored), r, nil
}
