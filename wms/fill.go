package wms

import bolt "go.etcd.io/bbolt"

// bbolt splits a full page in two halves by default (FillPercent 0.5), which
// suits keys written in random order. Buckets whose keys are written in
// ascending order — the log by sequence, and the indexes whose keys grow
// within a prefix — would then stay half empty for ever: their left halves
// are never written again. Filled densely they take about half the pages.
//
// FillPercent is a property of the bucket handle of one transaction, not of
// the file, so it is set wherever a write transaction takes the bucket
// (txn.Bucket): appends, appliers, replay and rebuild alike.
var denseFill = map[string]float64{
	string(bucketEvents):          1.0,  // seq: always at the end
	string(bucketByType):          0.95, // type 0 seq: at the end of the type's run
	string(bucketLotEvents):       0.95, // lot 0 seq
	string(bucketOrderPrints):     0.95, // owner 0 order 0 seq
	string(bucketReconciliations): 1.0,  // seq
	string(bucketDeadLetters):     0.95, // upstream 0 seq
	string(bucketRefusals):        0.95, // upstream 0 seq
	string(bucketScanKPI):         0.95, // day 0 actor (and figurekeys.go's other kinds): today's are the last
	string(bucketWorkGaps):        0.95, // actor 0 time
	string(bucketReturnStats):     0.95, // day
	string(bucketOwnerReturns):    0.95, // day 0 owner
	string(bucketPrintJobs):       0.95, // "J" + seq: ascending within a number of digits
}

// Bucket is bolt's Tx.Bucket with the bucket's fill percent set for
// writing; while a replay applies a chunk, through its overlay (overlay.go).
func (t *txn) Bucket(name []byte) *bucket {
	if t.replay != nil && t.replay.overlay != nil {
		return t.replay.overlay.handle(t.Tx, name)
	}
	b := fillBucket(t.Tx, name)
	if b == nil {
		return nil
	}
	return &bucket{Bucket: b}
}

// fillBucket is tx.Bucket with the bucket's fill percent set for writing.
func fillBucket(tx *bolt.Tx, name []byte) *bolt.Bucket {
	b := tx.Bucket(name)
	if b != nil && tx.Writable() {
		if f, ok := denseFill[string(name)]; ok {
			b.FillPercent = f
		}
	}
	return b
}
