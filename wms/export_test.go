package wms

import bolt "go.etcd.io/bbolt"

// Helpers that reach inside the store; compiled only into this package's tests.

func (l *Ledger) dumpBucket(name []byte) ([][2][]byte, error) {
	var out [][2][]byte
	err := l.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(name).ForEach(func(k, v []byte) error {
			out = append(out, [2][]byte{append([]byte{}, k...), append([]byte{}, v...)})
			return nil
		})
	})
	return out, err
}

func (l *Ledger) corruptForTest(bucket, key, value []byte) error {
	return l.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Put(key, value) })
}
