package wms

import (
	"encoding/binary"
	"fmt"
	"strings"
	"time"
)

// OrderBrief is what choosing a wave needs to know of an order. The order
// state index keeps one per order as its value, so releasing a wave from tens
// of thousands of waiting orders (a Double-11 backlog) reads small fixed
// records instead of decoding every order.
type OrderBrief struct {
	Owner    string
	No       string
	Carrier  string
	Priority int
	ShipBy   *time.Time
	Received time.Time
	Lines    int
	Held     bool // on hold: no wave takes it (hold.go)
}

func briefOf(o *Order) OrderBrief {
	return OrderBrief{Owner: o.Owner, No: o.No, Carrier: o.Carrier, Priority: o.Priority, ShipBy: o.ShipBy, Received: o.Received, Lines: len(o.Lines), Held: o.Held}
}

// Encoded as priority (8 bytes), flags (1: bit 0 a ship-by, bit 1 held; a
// brief written before holds existed has only bit 0), ship-by and
// received as Unix seconds (8) and nanoseconds (4) each, line count (4), then
// the carrier's bytes; the owner and the order number are the key. Seconds and nanoseconds
// cover every year an upstream may send (9999-12-31 as "no deadline", say),
// where Unix nanoseconds stop at 2262.
const briefFixed = 8 + 1 + 12 + 12 + 4

// The brief's flags.
const (
	briefShipBy byte = 1 << iota
	briefHeld
)

func putTime(b []byte, t time.Time) {
	binary.BigEndian.PutUint64(b, uint64(t.Unix()))
	binary.BigEndian.PutUint32(b[8:], uint32(t.Nanosecond()))
}

func getTime(b []byte) time.Time {
	return time.Unix(int64(binary.BigEndian.Uint64(b)), int64(binary.BigEndian.Uint32(b[8:]))).UTC()
}

func (b OrderBrief) encode() []byte {
	out := make([]byte, briefFixed, briefFixed+len(b.Carrier))
	binary.BigEndian.PutUint64(out[0:], uint64(int64(b.Priority)))
	if b.ShipBy != nil {
		out[8] |= briefShipBy
		putTime(out[9:], *b.ShipBy)
	}
	if b.Held {
		out[8] |= briefHeld
	}
	putTime(out[21:], b.Received)
	binary.BigEndian.PutUint32(out[33:], uint32(b.Lines))
	return append(out, b.Carrier...)
}

func decodeBrief(owner, no string, v []byte) (OrderBrief, bool) {
	if len(v) < briefFixed {
		return OrderBrief{}, false
	}
	b := OrderBrief{Owner: owner, No: no, Priority: int(int64(binary.BigEndian.Uint64(v[0:]))), Received: getTime(v[21:]),
		Lines: int(binary.BigEndian.Uint32(v[33:])), Carrier: string(v[briefFixed:])}
	if v[8]&briefShipBy != 0 {
		t := getTime(v[9:])
		b.ShipBy = &t
	}
	b.Held = v[8]&briefHeld != 0
	return b, true
}

// OrderBriefs lists the briefs of the orders in a state, by owner and order number.
func (l *Ledger) OrderBriefs(state OrderState) ([]OrderBrief, error) {
	var out []OrderBrief
	err := l.view(func(tx *txn) error {
		var err error
		out, err = orderBriefsTx(tx, state)
		return err
	})
	return out, err
}

func orderBriefsTx(tx *txn, state OrderState) ([]OrderBrief, error) {
	var out []OrderBrief
	c := tx.Bucket(bucketOrderState).Cursor()
	p := prefixKey(string(state))
	for k, v := c.Seek(p); k != nil && strings.HasPrefix(string(k), string(p)); k, v = c.Next() {
		parts := splitKey(k[len(p):])
		if len(parts) != 2 {
			return nil, fmt.Errorf("order state index: key %q has no owner", k)
		}
		owner, no := parts[0], parts[1]
		b, ok := decodeBrief(owner, no, v)
		if !ok {
			return nil, fmt.Errorf("order state index: brief of %s is %d bytes", no, len(v))
		}
		out = append(out, b)
	}
	return out, nil
}
