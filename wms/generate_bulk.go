package wms

import (
	"errors"

	bolt "go.etcd.io/bbolt"
)

// bulkTx is one write transaction that many commands share, committed
// every so many writes: Generate's way past bbolt's cost per commit. It is
// for a store no one else has open and that is thrown away if anything
// fails: a command refused inside it has already written part of its work
// (an event sequence number at least), which a shared transaction cannot
// roll back alone, so the first failed write rolls back everything since
// the last commit and every later write fails too — all but the refusal
// named in refusable (refusably).
type bulkTx struct {
	db     *bolt.DB
	tx     *bolt.Tx
	writes int
	every  int   // writes a commit
	err    error // the write that failed; the transaction is gone
	// refusable is the key of the one refusal a write may end in without
	// losing the transaction (refusably); "" for none.
	refusable string
	// beforeCommit, when set, may refuse a commit (Generate's disk
	// reserve): the transaction is rolled back and the bulk fails, the
	// store left as the last commit made it.
	beforeCommit func() error
}

var errBulkFailed = errors.New("an earlier write of the bulk transaction failed")

// startBulk makes every write share one transaction, committed each
// `every` writes, until endBulk.
func (l *Ledger) startBulk(every int) {
	l.bulk = &bulkTx{db: l.db, every: every}
}

// endBulk commits what the shared transaction holds and ends bulk mode.
func (l *Ledger) endBulk() error {
	b := l.bulk
	l.bulk = nil
	if b.err != nil {
		return b.err
	}
	return l.committed(b.commit())
}

// refusably runs fn, a command whose event's decision (decideEvent) may
// refuse it with the error keyed key, inside the shared transaction. A
// decision only reads; what an append has changed before it decides is the
// log's sequence, taken for the event (appendTx). So when the write ends in
// that refusal, the sequence is put back and the transaction goes on as if
// the command had been refused in a transaction of its own, which rolls
// back: nothing of it is left. Any other failure fails the transaction as
// usual. That refusal's key must be one that only a decision returns.
func (l *Ledger) refusably(key string, fn func() error) error {
	b := l.bulk
	b.refusable = key
	defer func() { b.refusable = "" }()
	return fn()
}

func (b *bulkTx) begin() error {
	if b.err != nil {
		return errBulkFailed
	}
	if b.tx == nil {
		tx, err := b.db.Begin(true)
		if err != nil {
			b.err = err
			return err
		}
		b.tx = tx
	}
	return nil
}

func (b *bulkTx) commit() error {
	if b.tx == nil {
		return nil
	}
	if b.beforeCommit != nil {
		if err := b.beforeCommit(); err != nil {
			_ = b.tx.Rollback()
			b.tx, b.writes = nil, 0
			return err
		}
	}
	err := b.tx.Commit()
	b.tx, b.writes = nil, 0
	return err
}

func (b *bulkTx) write(fn func(tx *txn) error) error {
	if err := b.begin(); err != nil {
		return err
	}
	events := b.tx.Bucket(bucketEvents)
	seq := events.Sequence()
	if err := fn(&txn{Tx: b.tx}); err != nil {
		if e, ok := AsError(err); ok && b.refusable != "" && e.Key == b.refusable {
			if serr := events.SetSequence(seq); serr != nil {
				_ = b.tx.Rollback()
				b.tx, b.err = nil, serr
				return serr
			}
			return err
		}
		_ = b.tx.Rollback()
		b.tx, b.err = nil, err
		return err
	}
	if b.writes++; b.writes >= b.every {
		if err := b.commit(); err != nil {
			b.err = err
			return err
		}
	}
	return nil
}

func (b *bulkTx) view(fn func(tx *txn) error) error {
	if err := b.begin(); err != nil {
		return err
	}
	return fn(&txn{Tx: b.tx})
}
