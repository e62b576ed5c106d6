package wms

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// getJSON through the memo answers what json.Unmarshal answers, for the
// same bytes, a changed record and a damaged one; what it hands out is a
// copy.
func TestRecordMemoAnswersAsUnmarshal(t *testing.T) {
	x, y := 3.5, 7.25
	until := time.Date(2026, 11, 11, 3, 0, 0, 0, time.UTC)
	db, err := bolt.Open(t.TempDir()+"/m.db", 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	put := func(key string, v any) {
		t.Helper()
		raw, _ := json.Marshal(v)
		if err := db.Update(func(tx *bolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists([]byte("b"))
			if err != nil {
				return err
			}
			return b.Put([]byte(key), raw)
		}); err != nil {
			t.Fatal(err)
		}
	}
	get := func(key string, v any) (bool, error) {
		var found bool
		err := db.View(func(tx *bolt.Tx) error {
			var err error
			found, err = getJSON(&bucket{Bucket: tx.Bucket([]byte("b"))}, []byte(key), v)
			return err
		})
		return found, err
	}
	sku := SKU{Owner: "DEFAULT", Code: "MEMO-SKU", Name: "三体", GTINs: []string{"09787536692930", "06901234567892"}, UnitWeightG: 600, LotTracked: true}
	loc := Location{Code: "MEMO-A01", Zone: "A", PickSeq: 10, Kind: KindPick, XM: &x, YM: &y}
	staff := Staff{Badge: "MEMO-B1", Name: "王芳", Role: RolePicker, LockedUntil: &until}
	put("sku", sku)
	put("loc", loc)
	put("staff", staff)
	for round := range 3 { // the first decodes, the others come from the memo
		var s SKU
		var l Location
		var st Staff
		if found, err := get("sku", &s); !found || err != nil || !reflect.DeepEqual(s, sku) {
			t.Fatalf("round %d: sku %+v found=%v err=%v", round, s, found, err)
		}
		if found, err := get("loc", &l); !found || err != nil || !reflect.DeepEqual(l, loc) {
			t.Fatalf("round %d: location %+v found=%v err=%v", round, l, found, err)
		}
		if found, err := get("staff", &st); !found || err != nil || !reflect.DeepEqual(st, staff) {
			t.Fatalf("round %d: staff %+v found=%v err=%v", round, st, found, err)
		}
		// changing what came back changes nothing the next read gets
		s.GTINs[0] = "changed"
		*l.XM = -1
		*st.LockedUntil = time.Time{}
	}

	raw, _ := json.Marshal(sku)
	memoSKUs.mu.RLock()
	_, kept := memoSKUs.m[string(raw)]
	memoSKUs.mu.RUnlock()
	if !kept {
		t.Fatal("the SKU read is not in the memo")
	}

	// a changed record is other bytes: read afresh
	sku.Name = "三体 II"
	sku.GTINs = []string{"09787536692947"}
	put("sku", sku)
	var s SKU
	if _, err := get("sku", &s); err != nil || !reflect.DeepEqual(s, sku) {
		t.Fatalf("changed sku read as %+v (%v), want %+v", s, err, sku)
	}

	// a target with something in it is decoded by Unmarshal (which merges)
	put("part", map[string]any{"code": "P1"})
	pre := SKU{Name: "kept", Code: "old"}
	want := pre
	_ = json.Unmarshal([]byte(`{"code":"P1"}`), &want)
	if _, err := get("part", &pre); err != nil || !reflect.DeepEqual(pre, want) {
		t.Fatalf("non-empty target: %+v, want %+v", pre, want)
	}

	// a damaged record is refused every time, never kept
	if err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("b")).Put([]byte("bad"), []byte(`{"code":`)) }); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		var bad SKU
		_, err := get("bad", &bad)
		var d *DamagedRecordError
		if !errors.As(err, &d) {
			t.Fatalf("damaged record: %v", err)
		}
	}
}

// A full memo starts again rather than growing.
func TestRecordMemoIsBounded(t *testing.T) {
	m := &recMemo[Lot]{clone: func(l Lot) Lot { return l }}
	for i := range recMemoMax + 10 {
		raw, _ := json.Marshal(Lot{Code: "L", Expiry: time.Unix(int64(i)*86400, 0).UTC().Format("2006-01-02"), Owner: string(rune('a' + i%26))})
		var l Lot
		if ok, err := memoInto(m, raw, &l); !ok || err != nil {
			t.Fatal(ok, err)
		}
	}
	if n := len(m.m); n > recMemoMax {
		t.Fatalf("memo holds %d records, at most %d", n, recMemoMax)
	}
}

// The memo against json.Unmarshal for one SKU and one location record read
// as a scan reads them:
//
//	go test ./wms -run XXX -bench RecordMemo -benchtime 200000x
func BenchmarkRecordMemo(b *testing.B) {
	x, y := 3.5, 7.25
	skuRaw, _ := json.Marshal(SKU{Owner: "DEFAULT", Code: "B001", Name: "飞鹤星飞帆 3段 800g", GTINs: []string{"06901234567892"},
		UnitWeightG: 980, ShelfLifeDays: 720, LotTracked: true, MinOutboundLifePct: 67})
	locRaw, _ := json.Marshal(Location{Code: "A01-01-01", Zone: "A", PickSeq: 10, Kind: KindPick, XM: &x, YM: &y})
	b.Run("unmarshal", func(b *testing.B) {
		for range b.N {
			var s SKU
			var l Location
			if json.Unmarshal(skuRaw, &s) != nil || json.Unmarshal(locRaw, &l) != nil {
				b.Fatal("decode")
			}
		}
	})
	b.Run("memo", func(b *testing.B) {
		for range b.N {
			var s SKU
			var l Location
			if ok, err := memoDecode(skuRaw, &s); !ok || err != nil {
				b.Fatal("sku", err)
			}
			if ok, err := memoDecode(locRaw, &l); !ok || err != nil {
				b.Fatal("location", err)
			}
		}
	})
}
