package wms

import (
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// OrderBrief is what choosing a wave needs to know of an order. The order
// state index keeps one per order as its value, so releasing a wave from tens
// of thousands of waiting orders (a Double-11 backlog) reads small fixed
// records instead of decoding every order.
type OrderBrief struct {
	No       string
	Carrier  string
	Priority int
	ShipBy   *time.Time
	Received time.Time
	Lines    int
}

func briefOf(o *Order) OrderBrief {
	return OrderBrief{No: o.No, Carrier: o.Carrier, Priority: o.Priority, ShipBy: o.ShipBy, Received: o.Received, Lines: len(o.Lines)}
}

// Encoded as priority, ship-by (Unix ns, 0 for none), received (Unix ns),
// line count, then the carrier's bytes. Order numbers are the key.
const briefFixed = 8 + 8 + 8 + 4

func (b OrderBrief) encode() []byte {
	out := make([]byte, briefFixed, briefFixed+len(b.Carrier))
	binary.BigEndian.PutUint64(out[0:], uint64(int64(b.Priority)))
	if b.ShipBy != nil {
		binary.BigEndian.PutUint64(out[8:], uint64(b.ShipBy.UnixNano()))
	}
	binary.BigEndian.PutUint64(out[16:], uint64(b.Received.UnixNano()))
	binary.BigEndian.PutUint32(out[24:], uint32(b.Lines))
	return append(out, b.Carrier...)
}

func decodeBrief(no string, v []byte) (OrderBrief, bool) {
	if len(v) < briefFixed {
		return OrderBrief{}, false
	}
	b := OrderBrief{No: no, Priority: int(int64(binary.BigEndian.Uint64(v[0:]))),
		Received: time.Unix(0, int64(binary.BigEndian.Uint64(v[16:]))).UTC(),
		Lines:    int(binary.BigEndian.Uint32(v[24:])), Carrier: string(v[briefFixed:])}
	if ns := int64(binary.BigEndian.Uint64(v[8:])); ns != 0 {
		t := time.Unix(0, ns).UTC()
		b.ShipBy = &t
	}
	return b, true
}

// OrderBriefs lists the briefs of the orders in a state, by order number.
func (l *Ledger) OrderBriefs(state OrderState) ([]OrderBrief, error) {
	var out []OrderBrief
	err := l.db.View(func(tx *bolt.Tx) error {
		var err error
		out, err = orderBriefsTx(tx, state)
		return err
	})
	return out, err
}

func orderBriefsTx(tx *bolt.Tx, state OrderState) ([]OrderBrief, error) {
	var out []OrderBrief
	c := tx.Bucket(bucketOrderState).Cursor()
	p := prefixKey(string(state))
	for k, v := c.Seek(p); k != nil && strings.HasPrefix(string(k), string(p)); k, v = c.Next() {
		no := string(k[len(p):])
		b, ok := decodeBrief(no, v)
		if !ok {
			return nil, fmt.Errorf("order state index: brief of %s is %d bytes", no, len(v))
		}
		out = append(out, b)
	}
	return out, nil
}
