package wms

import (
	"bytes"
	"context"
	"strings"
)

// WaybillLoad adds waybill numbers to a carrier account's pool.
type WaybillLoad struct {
	// Owner is whose pool: a carrier account's numbers belong to the owner
	// who loaded them (empty: the default owner).
	Owner   string   `json:"owner,omitempty"`
	Account string   `json:"account"`
	Numbers []string `json:"numbers"`
}

// LowWaybillPool is when the kiosk and floor warn that a pool is running out.
const LowWaybillPool = 200

func applyWaybills(tx *txn, ev *Event) error {
	var p WaybillLoad
	if err := decode(ev, &p); err != nil {
		return err
	}
	owner, err := ownerFor(ev, p.Owner)
	if err != nil {
		return err
	}
	return loadWaybills(tx, owner, p)
}

func loadWaybills(tx *txn, owner string, p WaybillLoad) error {
	if !validCode(p.Account) || len(p.Numbers) == 0 {
		return Errf(CodeInvalid, "waybill.load_invalid")
	}
	if err := knownOwner(tx, owner); err != nil {
		return err
	}
	pool, used := tx.Bucket(bucketWaybillPool), tx.Bucket(bucketWaybillUsed)
	seq, err := pool.NextSequence()
	if err != nil {
		return err
	}
	for i, n := range p.Numbers {
		if !validCode(n) {
			return Errf(CodeInvalid, "waybill.number_invalid", "waybill", n)
		}
		if used.Get([]byte(n)) != nil || tx.Bucket(bucketWaybillIndex).Get([]byte(n)) != nil {
			return Errf(CodeConflict, "waybill.duplicate", "waybill", n)
		}
		if known, err := waybillKnown(tx, n); err != nil || known { // used by an archived order (ordertable.go)
			if err == nil {
				err = Errf(CodeConflict, "waybill.duplicate", "waybill", n)
			}
			return err
		}
		k := append(prefixKey(owner, p.Account), seqKey(seq*1_000_000+uint64(i))...)
		if err := pool.Put(k, []byte(n)); err != nil {
			return err
		}
		if err := tx.Bucket(bucketWaybillIndex).Put([]byte(n), []byte(p.Account)); err != nil {
			return err
		}
	}
	return nil
}

// takeWaybill removes the next number from an owner's account pool.
func takeWaybill(tx *txn, owner, account string) (string, error) {
	c := tx.Bucket(bucketWaybillPool).Cursor()
	p := prefixKey(owner, account)
	k, v := c.Seek(p)
	if k == nil || !strings.HasPrefix(string(k), string(p)) {
		return "", Errf(CodeConflict, "waybill.pool_empty", "account", account)
	}
	n := string(v)
	if err := tx.Bucket(bucketWaybillPool).Delete(append([]byte{}, k...)); err != nil {
		return "", err
	}
	return n, nil
}

// WaybillsLeft counts the numbers left in each of the default owner's account pools.
func (l *Ledger) WaybillsLeft() (map[string]int, error) { return l.Books(DefaultOwner).WaybillsLeft() }

// WaybillsLeft counts the numbers left in each of the owner's account pools.
func (b Books) WaybillsLeft() (map[string]int, error) {
	out := map[string]int{}
	err := b.l.view(func(tx *txn) error {
		c := tx.Bucket(bucketWaybillPool).Cursor()
		p := prefixKey(b.owner)
		for k, _ := c.Seek(p); k != nil && strings.HasPrefix(string(k), string(p)); k, _ = c.Next() {
			out[splitKey(k)[1]]++
		}
		return nil
	})
	return out, err
}

// LoadWaybills adds numbers to an owner's pool (p.Owner; empty: the default
// owner). It answers how many numbers the account had left once they were loaded.
func (l *Ledger) LoadWaybills(ctx context.Context, id string, p WaybillLoad, actor, device string) (left int, err error) {
	for _, n := range p.Numbers {
		if !ValidWaybill(n) {
			return 0, Errf(CodeInvalid, "waybill.number_format", "waybill", clip(n))
		}
	}
	owner := OwnerOr(p.Owner)
	p.Owner = ""
	k := keyed{id: id, typ: EvWaybillsLoaded, target: OrderRef(owner, p.Account), actor: actor, request: p}
	return runKeyed(ctx, l, k, func() (Event, error) {
		return newOwnedEvent(id, EvWaybillsLoaded, actor, device, owner, p)
	}, func(tx *txn, ev *Event) (int, error) {
		n := 0
		c := tx.Bucket(bucketWaybillPool).Cursor()
		prefix := prefixKey(owner, p.Account)
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			n++
		}
		return n, nil
	})
}
