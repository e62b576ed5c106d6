package fakeoms

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// keyEpoch is the highest warehouse epoch the OMS has taken an event of.
// A standby promoted to primary carries a higher epoch in every event after
// (docs/sync.md); an event with a lower one is the old primary's, written
// after the failover, and is refused for good: what it says never happened
// in the warehouse that now holds the floor.
var keyEpoch = []byte("epoch")

// checkEpoch marks an event of an older epoch refused, and raises the
// highest epoch seen by an event of a newer one (in the batch's
// transaction, so a batch holding both is answered in seq order).
func checkEpoch(tx *bolt.Tx, ev *Event) error {
	b := tx.Bucket(bucketMeta)
	high := uint64(1)
	if v := b.Get(keyEpoch); len(v) == 8 {
		high = binary.BigEndian.Uint64(v)
	}
	switch {
	case ev.Epoch < high:
		ev.Code = "event.stale_epoch"
		ev.Reason = fmt.Sprintf("epoch %d is older than epoch %d: after a failover only the promoted warehouse's events are taken", ev.Epoch, high)
	case ev.Epoch > high:
		return b.Put(keyEpoch, seqKey(ev.Epoch))
	}
	return nil
}
