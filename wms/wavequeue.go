package wms

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
)

// The wave queue holds the new orders a wave may take (not held), keyed in
// the order a wave takes them (urgency: higher priority, then earlier
// ship-by, then older, then by number and owner), each with its brief. A
// release walks it from the front and stops when the wave is full (or the
// priorities fall below the filter's), so choosing a wave reads about as
// many entries as the wave has orders that match, not the whole backlog of
// new orders. putOrder keeps it in the same transaction as order_state.
var bucketWaveQueue = []byte("wave_queue") // urgency (33 bytes) ‖ order number 0 owner -> OrderBrief (orderbrief.go)

// waveQueueFixed is the urgency part of a wave queue key: priority inverted
// (8 bytes), 0 with a ship-by or 1 without (1), ship-by (12: seconds with
// the sign bit flipped, nanoseconds), received (12).
const waveQueueFixed = 8 + 1 + 12 + 12

func putSortableTime(b []byte, secs int64, nanos int) {
	binary.BigEndian.PutUint64(b, uint64(secs)^1<<63)
	binary.BigEndian.PutUint32(b[8:], uint32(nanos))
}

// waveQueueKey sorts briefs bytewise as urgency sorts them. Order numbers
// and owner codes hold no byte below '!' (validCode), so the 0 after the
// number sorts a number before every longer one it begins.
func waveQueueKey(b OrderBrief) []byte {
	k := make([]byte, waveQueueFixed, waveQueueFixed+len(b.No)+1+len(b.Owner))
	binary.BigEndian.PutUint64(k, ^(uint64(int64(b.Priority)) ^ 1<<63))
	if b.ShipBy != nil {
		putSortableTime(k[9:], b.ShipBy.Unix(), b.ShipBy.Nanosecond())
	} else {
		k[8] = 1
	}
	putSortableTime(k[21:], b.Received.Unix(), b.Received.Nanosecond())
	k = append(k, b.No...)
	k = append(k, sep)
	return append(k, b.Owner...)
}

// waveQueued is whether an order belongs in the wave queue.
func waveQueued(b OrderBrief, state OrderState) bool { return state == OrderNew && !b.Held }

// putWaveQueue moves an order in the wave queue, before putOrder writes its
// new brief over the one order_state holds for prev (its state before).
// Orders that neither were nor are new do not touch the queue.
func putWaveQueue(tx *txn, o *Order, prev OrderState, brief OrderBrief, enc []byte) error {
	if prev == "" {
		prev = o.State
	}
	if prev != OrderNew && o.State != OrderNew {
		return nil
	}
	var oldKey []byte
	if prev == OrderNew {
		if v := tx.Bucket(bucketOrderState).Get(orderStateKey(OrderNew, o.Owner, o.No)); v != nil {
			if old, ok := decodeBrief(o.Owner, o.No, v); ok && waveQueued(old, OrderNew) {
				oldKey = waveQueueKey(old)
			}
		}
	}
	if oldKey != nil {
		if err := writeWaveQueue(tx, oldKey, nil); err != nil {
			return err
		}
	}
	if !waveQueued(brief, o.State) {
		return nil
	}
	return writeWaveQueue(tx, waveQueueKey(brief), enc)
}

// writeWaveQueue puts (or with a nil value deletes) a wave queue entry.
// While an event is applied the writes wait in its apply context and are
// made in key order when it is applied (flushWaveQueue): an import of
// 100,000 orders in one transaction would otherwise insert each in the
// middle of one ever-growing node (bbolt splits nodes only at commit),
// moving the entries after it every time.
func writeWaveQueue(tx *txn, key, value []byte) error {
	if tx.apply == nil {
		if value == nil {
			return tx.Bucket(bucketWaveQueue).Delete(key)
		}
		return putChanged(tx.Bucket(bucketWaveQueue), key, value)
	}
	if tx.apply.waveQueue == nil {
		tx.apply.waveQueue = map[string][]byte{}
	}
	tx.apply.waveQueue[string(key)] = value
	return nil
}

// flushWaveQueue makes an event's wave queue writes, in key order.
func flushWaveQueue(tx *txn) error {
	pending := tx.apply.waveQueue
	if len(pending) == 0 {
		return nil
	}
	keys := make([]string, 0, len(pending))
	for k := range pending {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	q := tx.Bucket(bucketWaveQueue)
	for _, k := range keys {
		var err error
		if v := pending[k]; v == nil {
			err = q.Delete([]byte(k))
		} else {
			err = putChanged(q, []byte(k), v)
		}
		if err != nil {
			return err
		}
	}
	tx.apply.waveQueue = nil
	return nil
}

// dropWaveQueue removes an order's wave queue entry, if it has one (an
// archived order is finished, so it has none; pruneOrders makes sure).
func dropWaveQueue(tx *txn, o *Order) error {
	return tx.Bucket(bucketWaveQueue).Delete(waveQueueKey(briefOf(o)))
}

// decodeWaveQueued reads a wave queue entry.
func decodeWaveQueued(k, v []byte) (OrderBrief, error) {
	if len(k) <= waveQueueFixed {
		return OrderBrief{}, fmt.Errorf("wave queue: key %q is short", k)
	}
	rest := k[waveQueueFixed:]
	i := bytes.IndexByte(rest, sep)
	if i < 0 {
		return OrderBrief{}, fmt.Errorf("wave queue: key %q has no owner", k)
	}
	b, ok := decodeBrief(string(rest[i+1:]), string(rest[:i]), v)
	if !ok {
		return OrderBrief{}, fmt.Errorf("wave queue: brief of %s is %d bytes", rest[:i], len(v))
	}
	return b, nil
}

// waveChoiceTx is the orders a filter (its defaults set) chooses, most
// urgent first, at most f.MaxOrders: the wave queue's first entries that
// match. A queue in urgency order makes this the same choice as matching
// every new order and sorting them by urgency.
func waveChoiceTx(tx *txn, f WaveFilter) ([]OrderBrief, error) {
	chosen := make([]OrderBrief, 0, min(f.MaxOrders, 256))
	c := tx.Bucket(bucketWaveQueue).Cursor()
	for k, v := c.First(); k != nil && len(chosen) < f.MaxOrders; k, v = c.Next() {
		b, err := decodeWaveQueued(k, v)
		if err != nil {
			return nil, err
		}
		if b.Priority < f.MinPriority {
			break // every entry after it is of a lower priority still
		}
		if f.matches(b) {
			chosen = append(chosen, b)
		}
	}
	return chosen, nil
}
