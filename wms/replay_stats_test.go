package wms

import (
	"testing"

	bolt "go.etcd.io/bbolt"
)

// The figures memo answers what decoding the stored bytes gives: a read
// after a replay's write sees that write, and a record changed behind the
// memo's back (other bytes stored) is decoded again, not answered from it.
func TestReplayStatsMemo(t *testing.T) {
	if !statsRoundTrip {
		t.Fatal("ScanStats has a field that is not an integer: the memo is off (make its JSON round trip exact, or change this test)")
	}
	db, done, err := openScratchFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	err = db.Update(func(b *bolt.Tx) error {
		tx := &txn{Tx: b, replay: newReplayState()}
		if err := resetDerived(tx); err != nil {
			return err
		}
		bk := tx.Bucket(bucketScanKPI)
		key := kpiKey("2026-11-11", "B1001")
		if s, err := getStats(tx, bucketScanKPI, bk, key); err != nil || s != (ScanStats{}) {
			t.Fatalf("absent figures: %+v, %v", s, err)
		}
		want := ScanStats{Picks: 3, Units: 7, Parcels: 1}
		if err := putStats(tx, bucketScanKPI, bk, key, want); err != nil {
			return err
		}
		if s, err := getStats(tx, bucketScanKPI, bk, key); err != nil || s != want {
			t.Fatalf("after a write: %+v, %v; want %+v", s, err, want)
		}
		other := ScanStats{Picks: 5}
		if err := putJSON(bk, key, other); err != nil { // not through the memo
			return err
		}
		if s, err := getStats(tx, bucketScanKPI, bk, key); err != nil || s != other {
			t.Fatalf("after a write behind the memo: %+v, %v; want %+v", s, err, other)
		}
		if err := bk.Put(key, []byte("{")); err != nil {
			return err
		}
		if _, err := getStats(tx, bucketScanKPI, bk, key); err == nil {
			t.Fatal("damaged figures: no error")
		}
		live := &txn{Tx: b} // no replay: no memo
		if err := putStats(live, bucketScanKPI, bk, key, want); err != nil {
			return err
		}
		if s, err := getStats(live, bucketScanKPI, bk, key); err != nil || s != want {
			t.Fatalf("outside a replay: %+v, %v", s, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
