package wms

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// decodeStored answers what json.Unmarshal answers, for every event the
// older stores in testdata hold (written by another version: every event
// type of its tests), for events as this version writes them, and for
// stored forms the fast path must leave to json.Unmarshal; and the fast path
// does take the events as the log writes them.
func TestDecodeStoredAgrees(t *testing.T) {
	var raws [][]byte
	files, _ := filepath.Glob("testdata/v5/*.db.gz")
	if len(files) == 0 {
		t.Fatal("no stores in testdata/v5")
	}
	for _, f := range files {
		dir := t.TempDir()
		if err := gunzipTo(f, filepath.Join(dir, dbFile)); err != nil {
			t.Fatal(err)
		}
		raws = append(raws, rawLog(t, filepath.Join(dir, dbFile))...)
	}
	stored := len(raws)
	at := time.Date(2026, 11, 11, 2, 3, 4, 500600700, time.UTC)
	for _, ev := range []Event{
		{ID: "a", Seq: 1, Type: EvStockAdjusted, At: at, Data: json.RawMessage(`{"sku":"X","delta":1}`)},
		{ID: "b", Seq: 18446744073709551615, Epoch: 3, Type: EvPicked, Actor: "B1001", Device: "pda-1", Owner: "ACME", At: at, Data: json.RawMessage(`[1,2]`)},
		{ID: "<&>", Seq: 2, Type: "x", At: at, Data: json.RawMessage(`{"s":"引号\"}{"}`)},
		{ID: "c", Seq: 3, Type: "x", At: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), Data: json.RawMessage(`{}`)},
	} {
		raw, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		raws = append(raws, raw)
	}
	for _, s := range []string{
		`{"id":"a\u0041","seq":1,"type":"x","at":"2026-11-11T02:03:04Z","data":{}}`,
		`{"seq":1,"id":"a","type":"x","at":"2026-11-11T02:03:04Z","data":{}}`,
		`{"id":"a","seq":1,"type":"x","at":"2026-11-11T02:03:04Z","data":{},"extra":1}`,
		`{"id":"a","seq":1,"type":"x","at":"2026-11-11T02:03:04+08:00","data":{}}`,
		`{"id":"a","seq":01,"type":"x","at":"2026-11-11T02:03:04Z","data":{}}`,
		`{"id":"a","seq":-1,"type":"x","at":"2026-11-11T02:03:04Z","data":{}}`,
		`{"id":"a","seq":1.5,"type":"x","at":"2026-11-11T02:03:04Z","data":{}}`,
		`{"id":"a","seq":1,"type":"x","at":"not a time","data":{}}`,
		`{"id":"a","seq":1,"type":"x","at":"2026-11-11T02:03:04Z","data":null}`,
		`{"id":"a","seq":1,"type":"x","at":"2026-11-11T02:03:04Z","data":{"a":tru}}`,
		`{"id":"a","seq":1,"type":"x","at":"2026-11-11T02:03:04Z","data":{"a":1}}}`,
		`{"id":"a","seq":1,"type":"x","at":"2026-11-11T02:03:04Z","data":{"a":1},"b":{}}`,
		`{"id":"a","seq":1,"type":"x","at":"2026-11-11T02:03:04Z","data":{} }`,
		`{"id":"a", "seq":1,"type":"x","at":"2026-11-11T02:03:04Z","data":{}}`,
		`{"ID":"a","seq":1,"type":"x","at":"2026-11-11T02:03:04Z","data":{}}`,
		`{"id":null,"seq":1,"type":"x","at":"2026-11-11T02:03:04Z","data":{}}`,
		`{"id":"a","seq":1,"type":"x"}`,
		`{"id":"a","seq":99999999999999999999,"type":"x","at":"2026-11-11T02:03:04Z","data":{}}`,
		`[]`, ``, `{`, `{"id":"a`,
	} {
		raws = append(raws, []byte(s))
	}
	fast := 0
	for i, raw := range raws {
		var want, got Event
		wantErr := json.Unmarshal(raw, &want)
		gotErr := decodeStored(raw, &got)
		if (wantErr != nil) != (gotErr != nil) {
			t.Errorf("%s: json.Unmarshal says %v, decodeStored %v", raw, wantErr, gotErr)
			continue
		}
		if wantErr == nil && !reflect.DeepEqual(want, got) {
			t.Errorf("%s:\njson.Unmarshal %+v\ndecodeStored   %+v", raw, want, got)
		}
		var probe Event
		if fastDecodeEvent(raw, &probe) {
			fast++
			if wantErr != nil {
				t.Errorf("the fast path took %s, which json.Unmarshal refuses", raw)
			}
		} else if i < stored && !strings.Contains(string(raw), `\`) {
			t.Errorf("the fast path left a stored event to json.Unmarshal: %s", raw)
		}
	}
	if fast < stored/2 {
		t.Errorf("the fast path took %d of %d stored events", fast, stored)
	}
	t.Logf("%d stored events, %d forms, %d by the fast path", stored, len(raws)-stored, fast)
}

// The envelope's decode against json.Unmarshal, on the events of the older
// stores in testdata:
//
//	go test ./wms -run XXX -bench DecodeStored
func BenchmarkDecodeStored(b *testing.B) {
	files, _ := filepath.Glob("testdata/v5/*.db.gz")
	var raws [][]byte
	for _, f := range files {
		dir := b.TempDir()
		if err := gunzipTo(f, filepath.Join(dir, dbFile)); err != nil {
			b.Fatal(err)
		}
		db, err := bolt.Open(filepath.Join(dir, dbFile), 0o600, &bolt.Options{ReadOnly: true})
		if err != nil {
			b.Fatal(err)
		}
		_ = db.View(func(tx *bolt.Tx) error {
			return tx.Bucket(bucketEvents).ForEach(func(_, v []byte) error { raws = append(raws, bytes.Clone(v)); return nil })
		})
		db.Close()
	}
	for _, c := range []struct {
		name string
		fn   func([]byte, *Event) error
	}{{"json.Unmarshal", func(raw []byte, ev *Event) error { return json.Unmarshal(raw, ev) }}, {"decodeStored", decodeStored}} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				var ev Event
				if err := c.fn(raws[i%len(raws)], &ev); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
