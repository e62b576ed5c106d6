package wms

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Order intake at peak rates: a batch of orders decided apart from applying
// and appended together, in one write transaction (one fsync) that shares
// the write path with the floor's scans (Ledger.write), so a burst from the
// OMS neither stops the floor nor costs a commit per order.
//
// Each order of a batch is answered on its own, in the order sent: created
// (a new order, or a changed resend of one not yet in work, as ReceiveOrder
// takes it), duplicate (the same order and content again: nothing changes), or refused
// with its own error; one bad order leaves the others as they are. Each
// created order is its own order.received event, named as ReceiveOrder
// names it (the owner, the number and a digest of the content), so an order
// sent alone and then in a batch, or in two batches, is one order.

// MaxBatchOrders bounds the orders of one batch.
const MaxBatchOrders = 1000

// What a batch says of each order.
const (
	BatchCreated   = "created"
	BatchDuplicate = "duplicate"
	BatchRefused   = "refused"
)

// OrderBatchItem is one order's answer in a batch.
type OrderBatchItem struct {
	Owner  string `json:"owner"`
	No     string `json:"no"`
	Result string `json:"result"`
	// State is the order's state once the batch was applied (created and
	// duplicate orders).
	State OrderState `json:"state,omitempty"`
	// Error is why the order was refused: its code, message key and values.
	Error *BatchError `json:"error,omitempty"`
}

// BatchError is a refused order's error, kept so that a repeat of the
// batch's key answers with the same words.
type BatchError struct {
	Code Code              `json:"code"`
	Key  string            `json:"key"`
	Args map[string]string `json:"args,omitempty"`
}

// OrderBatch is a batch's answer: each order's, in the order sent, and the
// counts.
type OrderBatch struct {
	Orders     []OrderBatchItem `json:"orders"`
	Created    int              `json:"created"`
	Duplicates int              `json:"duplicates"`
	Refused    int              `json:"refused"`
	// LastSeq is the sequence of the batch's last event (0: none appended).
	LastSeq uint64 `json:"last_seq"`
}

// batchTarget is what a batch's key is bound to (with EvOrderReceived): a
// key used for one order and then for a batch is refused as another request.
const batchTarget = "batch"

// batchOrder is one order of a batch as decided outside the transaction.
type batchOrder struct {
	owner  string
	in     OrderIntake // validated; owner moved to the envelope
	digest string      // in.Digest()
	ev     Event
	err    error // refused before the transaction
	// oversize refuses it unless it is the same order again (MaxOrderLines
	// is for orders that come in new)
	oversize error
}

// ReceiveOrders takes a batch of up to MaxBatchOrders orders in, each
// answered on its own. key is the client's key for the batch ("" when it
// sent none): a repeat of the key answers with the first answer whatever
// has changed since; the key with another batch is refused. A batch that
// fails as a whole (too many orders, a full disk) stores nothing.
func (l *Ledger) ReceiveOrders(ctx context.Context, key string, ins []OrderIntake, actor, device string) (OrderBatch, error) {
	return l.ReceiveOrdersRead(ctx, key, ins, nil, actor, device)
}

// UnreadOrder is an order of a batch that could not be read as an order
// (a field of the wrong shape, one not known): it is answered refused with
// Err, and the batch's other orders are taken as if it were not there.
// Owner and No are what could be read of it; Digest is of its bytes as
// sent, so that a key's request is another one when they differ.
type UnreadOrder struct {
	Owner, No string
	Err       *Error
	Digest    string
}

// ReceiveOrdersRead is ReceiveOrders where unread[i], when present, is an
// order the caller could not read (ins[i] is then ignored).
func (l *Ledger) ReceiveOrdersRead(ctx context.Context, key string, ins []OrderIntake, unread map[int]UnreadOrder, actor, device string) (OrderBatch, error) {
	if len(unread) > 0 {
		ins = slices.Clone(ins)
	}
	for i, u := range unread {
		if i < 0 || i >= len(ins) || u.Err == nil {
			return OrderBatch{}, fmt.Errorf("unread order %d of %d", i, len(ins))
		}
		ins[i] = OrderIntake{Owner: u.Owner, No: u.No}
	}
	if len(ins) == 0 {
		return OrderBatch{}, Errf(CodeInvalid, "orders.batch_empty", "max", strconv.Itoa(MaxBatchOrders))
	}
	if len(ins) > MaxBatchOrders {
		return OrderBatch{}, Errf(CodeInvalid, "orders.batch_too_many", "n", strconv.Itoa(len(ins)), "max", strconv.Itoa(MaxBatchOrders))
	}
	if key == "" {
		return l.receiveBatch(ctx, "", nil, ins, unread, actor, device)
	}
	var request any = ins // a batch of orders all read: as since batches began
	if len(unread) > 0 {
		digests := make(map[int]string, len(unread))
		for i, u := range unread {
			digests[i] = u.Digest
		}
		request = struct {
			Orders []OrderIntake  `json:"orders"`
			Unread map[int]string `json:"unread"`
		}{ins, digests}
	}
	k := keyed{id: key, typ: EvOrderReceived, target: batchTarget, actor: actor, request: request}
	digest, err := digestOf(k.request)
	if err != nil {
		return OrderBatch{}, err
	}
	if len(k.id) > MaxEventID {
		return OrderBatch{}, Errf(CodeInvalid, "event.id_invalid")
	}
	defer l.keys.lock(k.id)()
	var first OrderBatch
	replayed := false
	archived := false
	err = l.view(func(tx *txn) error {
		rec, found, err := getKeyRecord(tx, k.id)
		if err == nil && !found {
			// past the IDs' retention: bound as before, answered from the
			// state (each order a duplicate of its event, or decided as new)
			r, ok, err := archivedID(tx, k.id)
			if err == nil && ok && r.flags()&idFlagKey != 0 {
				archived = true
				return r.binds(k, digest)
			}
			return err
		}
		if err != nil {
			return err
		}
		if err := rec.binds(k, digest); err != nil {
			return err
		}
		if !rec.answered() { // past the answers' retention: from the state, as archived
			archived = true
			return nil
		}
		replayed = true
		raw, err := rec.answerJSON()
		if err != nil {
			return err
		}
		return json.Unmarshal(raw, &first)
	})
	if err != nil {
		return OrderBatch{}, err
	}
	if replayed {
		l.stats.Duplicates.Add(1)
		noteReplay(ctx)
		return first, nil
	}
	if archived {
		noteReplay(ctx)
		return l.receiveBatch(ctx, "", nil, ins, unread, actor, device)
	}
	return l.receiveBatch(ctx, k.id, &keyRecord{Actor: k.actor, Type: k.typ, Target: k.target, Digest: digest}, ins, unread, actor, device)
}

// receiveBatch decides each order (its own fields, outside any
// transaction), then in one write checks each against the books and
// appends the good ones; rec, when set, is the record of key, stored with
// the answer in the same transaction.
func (l *Ledger) receiveBatch(ctx context.Context, key string, rec *keyRecord, ins []OrderIntake, unread map[int]UnreadOrder, actor, device string) (OrderBatch, error) {
	start := time.Now()
	// each order is decided on its own: on every core at once
	orders := make([]batchOrder, len(ins))
	at := l.Now()
	workers := min(runtime.GOMAXPROCS(0), (len(ins)+99)/100)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(ins); i += workers {
				if u, ok := unread[i]; ok {
					orders[i] = batchOrder{owner: OwnerOr(u.Owner), in: ins[i], err: u.Err}
					continue
				}
				orders[i] = decideBatchOrder(ins[i], actor, device)
				orders[i].ev.At = at
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return OrderBatch{}, err
	}
	var out OrderBatch
	var raw []byte
	err := l.write(func(tx *txn) error {
		// write may run this more than once: start over each time
		out = OrderBatch{Orders: make([]OrderBatchItem, len(orders))}
		for i := range orders {
			item, seq, err := receiveBatchOrder(tx, &orders[i], l.ArchiveDir())
			if err != nil {
				return err
			}
			out.Orders[i] = item
			out.LastSeq = max(out.LastSeq, seq)
			switch item.Result {
			case BatchCreated:
				out.Created++
			case BatchDuplicate:
				out.Duplicates++
			default:
				out.Refused++
			}
		}
		if rec == nil {
			return nil
		}
		var err error
		if raw, err = json.Marshal(out); err != nil {
			return err
		}
		r := *rec
		r.Seq, r.Answer = out.LastSeq, raw
		// indexed under the batch's last new event, so a standby has it
		// with that event (putKey); a batch that created nothing has none
		return putKey(tx, key, Event{Seq: out.LastSeq}, r, out.Created > 0)
	})
	l.stats.AppendMicros.Add(uint64(time.Since(start).Microseconds()))
	if err != nil {
		l.stats.Rejects.Add(uint64(len(orders)))
		return OrderBatch{}, err
	}
	l.stats.Appends.Add(uint64(out.Created))
	l.stats.Duplicates.Add(uint64(out.Duplicates))
	l.stats.Rejects.Add(uint64(out.Refused))
	if rec != nil {
		// the first caller gets the answer as a repeat will: decoded from the record
		var first OrderBatch
		err = json.Unmarshal(raw, &first)
		return first, err
	}
	return out, nil
}

// decideBatchOrder checks an order's own fields and names its event, as
// ReceiveOrder does.
func decideBatchOrder(in OrderIntake, actor, device string) batchOrder {
	b := batchOrder{owner: OwnerOr(in.Owner)}
	if err := in.checkBound(); err != nil {
		b.in, b.err = in, err
		return b
	}
	b.oversize = in.checkSize() // refused unless it is a duplicate (receiveBatchOrder)
	if err := in.Validate(); err != nil {
		b.in, b.err = in, err
		return b
	}
	in.Owner = ""
	// the payload and the digest from one encoding (order_intake_fast.go)
	raw, err := json.Marshal(in)
	if err != nil {
		b.in, b.err = in, err
		return b
	}
	b.in, b.digest = in, payloadDigest(raw)
	id := "order:" + in.No + ":" + b.digest
	if b.owner != DefaultOwner {
		id = "order:" + b.owner + ":" + in.No + ":" + b.digest
	}
	b.ev = Event{ID: id, Type: EvOrderReceived, Actor: actor, Device: device, Owner: envelopeOwner(b.owner), Data: raw}
	b.err = b.ev.validate()
	b.ev.decoded = in // applied as it was encoded, not decoded again
	b.ev.digests = []string{b.digest}
	return b
}

// decodedInto sets *dst to src, the payload an event was encoded from, when
// dst points to src's type; it reports whether it did.
func decodedInto(src, dst any) bool {
	d := reflect.ValueOf(dst)
	if d.Kind() != reflect.Pointer || d.IsNil() {
		return false
	}
	s := reflect.ValueOf(src)
	if s.Type() != d.Elem().Type() {
		return false
	}
	d.Elem().Set(s)
	return true
}

// receiveBatchOrder answers one order of a batch inside the write: refused
// (by its own fields, an unknown owner or SKU, an order the warehouse has
// started on) without writing anything, a duplicate, or appended. An error
// returned fails the whole batch: only a broken store gives one.
//
// archiveDir is where archived orders are (archive.go): the same order
// again, archived since, is a duplicate answered from the archive, as
// ReceiveOrder answers it; changed, it is refused.
func receiveBatchOrder(tx *txn, b *batchOrder, archiveDir string) (OrderBatchItem, uint64, error) {
	item := OrderBatchItem{Owner: b.owner, No: b.in.No}
	refuse := func(err error) (OrderBatchItem, uint64, error) {
		e, ok := AsError(err)
		if !ok {
			return item, 0, err
		}
		item.Result, item.Error = BatchRefused, &BatchError{Code: e.Code, Key: e.Key, Args: e.Args}
		return item, 0, nil
	}
	if b.err != nil {
		return refuse(b.err)
	}
	v := tx.Bucket(bucketEventIDs).Get([]byte(b.ev.ID))
	if v == nil {
		if r, ok, err := archivedID(tx, b.ev.ID); err != nil {
			return item, 0, err
		} else if ok && r.flags()&idFlagEvent != 0 {
			v = seqKey(r.seq())
		}
	}
	if v != nil {
		// the same order and content again: the order as it stands
		o, err := orderTx(tx, b.owner, b.in.No)
		if ErrorCode(err) == CodeNotFound {
			o, err = archivedOrderTx(tx, archiveDir, b.owner, b.in.No)
		}
		if err != nil {
			return item, 0, err
		}
		item.Result, item.State = BatchDuplicate, o.State
		return item, 0, nil
	}
	if b.oversize != nil {
		return refuse(b.oversize)
	}
	// receiveOrder's checks, made here so that a refused order writes nothing
	if err := knownOwner(tx, b.owner); err != nil {
		return refuse(err)
	}
	skus := tx.Bucket(bucketSKUs)
	for _, line := range b.in.Lines {
		if skus.Get(skuKey(b.owner, line.SKU)) == nil {
			return refuse(Errf(CodeNotFound, "sku.not_found", "sku", line.SKU, "owner", b.owner))
		}
	}
	o, found, err := getOrder(tx, b.owner, b.in.No)
	switch {
	case err != nil:
		return item, 0, err
	case found && o.Digest == b.digest:
		// the same content under another event ID (a file's import): nothing changes
		item.Result, item.State = BatchDuplicate, o.State
		return item, 0, nil
	case found && o.State != OrderNew:
		return refuse(Errf(CodeConflict, "order.locked", "order", b.in.No, "state", string(o.State)))
	}
	if !found { // finished and archived (archive.go, ordertable.go)
		archived, err := isArchivedOrder(tx, b.owner, b.in.No)
		if err != nil {
			return item, 0, err
		}
		if archived {
			return refuse(Errf(CodeConflict, "order.in_archive", "order", b.in.No))
		}
	}
	ev := b.ev
	ev.booked = &orderBooks{o: o, found: found} // what was read just now: not read again
	stored, dup, err := appendTx(tx, ev)
	if err != nil {
		return item, 0, err
	}
	if dup { // (checked above; kept for safety) the order as it stands
		o, err := orderTx(tx, b.owner, b.in.No)
		item.Result, item.State = BatchDuplicate, o.State
		return item, 0, err
	}
	item.Result, item.State = BatchCreated, OrderNew
	return item, stored.Seq, nil
}

// archivedOrderTx is an archived order as it was archived (Books.ArchivedOrder
// inside a transaction).
func archivedOrderTx(tx *txn, archiveDir, owner, no string) (Order, error) {
	at, ok, err := archivedOrderAt(tx, owner, no) // live, or an order table (ordertable.go)
	if err != nil {
		return Order{}, err
	}
	if !ok {
		return Order{}, Errf(CodeNotFound, "order.not_found", "order", no)
	}
	a, err := readArchivedOrder(filepath.Join(archiveDir, at.File), at.Offset, owner, no)
	return a.Order, err
}
