package wms

import (
	"strings"

	bolt "go.etcd.io/bbolt"
)

// AwaitingCarrier lists the orders packed at a station and not yet handed to
// the carrier, oldest number first, up to limit: the kiosk shows them so that
// none is left on the bench when the next tote comes.
func (l *Ledger) AwaitingCarrier(station string, limit int) ([]Order, error) {
	var out []Order
	err := l.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketOrderState).Cursor()
		p := prefixKey(string(OrderPacked))
		for k, _ := c.Seek(p); k != nil && strings.HasPrefix(string(k), string(p)) && len(out) < limit; k, _ = c.Next() {
			no := string(k[len(p):])
			ps, err := getPack(tx, no)
			if err != nil {
				return err
			}
			if ps.Station != station {
				continue
			}
			o, _, err := getOrder(tx, no)
			if err != nil {
				return err
			}
			out = append(out, o)
		}
		return nil
	})
	return out, err
}
