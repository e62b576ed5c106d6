package wms

import (
	"bytes"
	"encoding/json"
	"reflect"
)

// A replay reads and writes people's figures of a day (bucketScanKPI:
// the day's and the owners' parts) once or twice an event, the same few records over and
// over. It remembers, per record, the bytes it last wrote and the
// ScanStats they encode, and answers a read whose stored bytes are those
// from that value instead of decoding them again: ScanStats holds integers
// only, whose JSON gives back exactly the value encoded (statsRoundTrip
// checks that of the type), so the answer is what decoding gives.

type statsMemo struct {
	raw []byte
	s   ScanStats
}

// statsMemoMax bounds the figures memo (it starts afresh when full).
const statsMemoMax = 50_000

// statsRoundTrip says whether every field of ScanStats is an integer (a
// field of another kind turns the memo off rather than risk an answer
// decoding would not give).
var statsRoundTrip = func() bool {
	t := reflect.TypeFor[ScanStats]()
	for i := range t.NumField() {
		switch t.Field(i).Type.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		default:
			return false
		}
	}
	return true
}()

// getStats decodes the figures at key of the bucket b (named name); zero
// when there are none.
func getStats(tx *txn, name []byte, b *bucket, key []byte) (ScanStats, error) {
	var s ScanStats
	raw := b.Get(key)
	if raw == nil {
		return s, nil
	}
	if r := tx.replay; r != nil && statsRoundTrip {
		if m, ok := r.stats[statsMemoKey(name, key)]; ok && bytes.Equal(m.raw, raw) {
			return m.s, nil
		}
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return s, &DamagedRecordError{Key: string(key), Err: err}
	}
	return s, nil
}

// putStats writes the figures s at key of the bucket b (named name).
func putStats(tx *txn, name []byte, b *bucket, key []byte, s ScanStats) error {
	raw, err := json.Marshal(s)
	if err != nil {
		return err
	}
	if r := tx.replay; r != nil && statsRoundTrip {
		if r.stats == nil || len(r.stats) >= statsMemoMax {
			r.stats = make(map[string]statsMemo)
		}
		r.stats[statsMemoKey(name, key)] = statsMemo{raw: raw, s: s}
	}
	return b.Put(key, raw)
}

func statsMemoKey(name, key []byte) string { return string(name) + "\x00" + string(key) }
