package wms

import (
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// proveCopy refuses a copy that differs from the store in any value, key,
// bucket or sequence.
func TestProveCopyRefusesADifference(t *testing.T) {
	open := func(name string, fill func(tx *bolt.Tx) error) *bolt.DB {
		db, err := bolt.Open(filepath.Join(t.TempDir(), name), 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if err := db.Update(fill); err != nil {
			t.Fatal(err)
		}
		return db
	}
	base := func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("events"))
		if err != nil {
			return err
		}
		if err := b.SetSequence(2); err != nil {
			return err
		}
		if err := b.Put(seqKey(1), []byte("a")); err != nil {
			return err
		}
		return b.Put(seqKey(2), []byte("b"))
	}
	src := open("src", base)
	if err := proveCopy(src, open("same", base)); err != nil {
		t.Fatalf("an equal copy: %v", err)
	}
	for name, change := range map[string]func(tx *bolt.Tx) error{
		"value":    func(tx *bolt.Tx) error { return tx.Bucket([]byte("events")).Put(seqKey(2), []byte("c")) },
		"key":      func(tx *bolt.Tx) error { return tx.Bucket([]byte("events")).Delete(seqKey(2)) },
		"extra":    func(tx *bolt.Tx) error { return tx.Bucket([]byte("events")).Put(seqKey(3), []byte("c")) },
		"sequence": func(tx *bolt.Tx) error { return tx.Bucket([]byte("events")).SetSequence(3) },
		"bucket":   func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("more")); return err },
	} {
		dst := open(name, func(tx *bolt.Tx) error {
			if err := base(tx); err != nil {
				return err
			}
			return change(tx)
		})
		if err := proveCopy(src, dst); err == nil {
			t.Errorf("a copy with another %s was proved", name)
		}
	}
}
