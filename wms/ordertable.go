package wms

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Order tables: the keys of archived orders leave the live store too.
//
// Once an order is archived (archive.go) three buckets still kept an entry
// of it for ever: archived_orders (owner 0 order → the archive file and
// member), waybill_used (each of its parcels' waybills → owner 0 order)
// and waybill_index (each of those waybills → its account). An archiving
// run (with --keep-ids, the same switch as the ID tables) moves them into
// ONE IMMUTABLE TABLE A RUN, DATA/archive/YYYY-MM.<16 hex>.ords, kept by
// the manager the ID tables and lot indexes share (runtables.go: named by
// meta ords_table:NAME, never merged nor deleted, a filter a table, a
// standby builds it or fetches it by GET
// /api/v1/replication/id-tables/NAME). Its records are ID-table records
// (idtable.go) with a value:
//
//	order    hash("order" 0 owner 0 no), the member's offset (in the seq
//	         field), ordFlag, the month of its file (2 bytes: the file is
//	         YYYY-MM.orders.jsonl.gz)
//	waybill  hash("waybill" 0 number), the member's offset of its order,
//	         wbFlag (and wbIndexFlag when waybill_index held the number),
//	         the month, 8 bytes of the hash of the order's key (to find it
//	         in the member), 8 bytes of the hash of its account
//
// so every lookup that misses the live bucket finds the same answer: an
// archived order is still found by its number (trace, returns lookup, an
// intake of the number is still refused as archived); a waybill used
// months ago is still refused when loaded again; the order of a waybill and
// its account are read from the order's archive member (an account is the
// order's carrier: the pool a parcel's waybill is taken from, packing.go;
// the hash checks it).
//
// What moves: every waybill_used entry whose order is archived (its
// archived_orders entry live), with its waybill_index entry; then every
// archived_orders entry. An unused number in a pool stays live (its order
// is not archived: it has none). The run writes the table, then appends
// orders.tabled events, each moving one range of keys of one bucket
// (ordsBatch entries), the waybills' first (their records read the order's
// archived_orders entry, which the orders' events move after). The event's
// apply removes the entries of its range that the named table holds (all
// movable ones when it is not open), so a rebuild and a standby reach the
// same projections; the writer alone requires the count (ordsHeld).
//
// A lookup made while an event applies (an order intake, a waybill load)
// asks only the tables named before that event (meta ords_since:NAME, the
// first event that named it): every event in the log passed that check
// when it was appended, so a replay gives the same answer whatever tables
// were written later.

// EvOrdersTabled moves one range of archived orders' keys to an order table.
const EvOrdersTabled = "orders.tabled"

// OrdersTabled is the payload of orders.tabled.
type OrdersTabled struct {
	File       string `json:"file"`                  // the month of the run, "2026-11.ords"
	Table      string `json:"table"`                 // the run's table, "2026-11.<16 hex>.ords"
	Bucket     string `json:"bucket"`                // "waybill_used" (with waybill_index) or "archived_orders"
	From       []byte `json:"from"`                  // keys from (inclusive; empty: the first)
	To         []byte `json:"to,omitempty"`          // to (exclusive; empty: the last)
	WaybillEnd []byte `json:"waybill_end,omitempty"` // the run's end in waybill_used (empty: all)
	OrderEnd   []byte `json:"order_end,omitempty"`   // the run's end in archived_orders (empty: all)
	Count      int    `json:"count"`                 // entries the range moves
	Digest     string `json:"digest"`                // SHA-256 of the run's table
	Records    uint64 `json:"records"`               // records in the run's table
}

const (
	ordFlag     byte = 8
	wbFlag      byte = 16
	wbIndexFlag byte = 32
)

// ordsBatch is how many entries one orders.tabled event moves.
var ordsBatch = 20000

// ordsRunMax is how many entries of each bucket one run moves at most
// (40 bytes a record in memory); the next run takes the rest.
var ordsRunMax = 4_000_000

var openOrdTables sync.Map // *bolt.DB -> *idTables

var ordsKind = &tableKind{ext: ".ords", meta: "ords_table:", legacy: "ords_file:", missing: "ords.table_missing", damaged: "ords.table_damaged", what: "order table", open: &openOrdTables}

const ordsSinceMeta = "ords_since:"

const ordersFileSuffix = ".orders.jsonl.gz"

// monthCode is the month of an orders file "YYYY-MM.orders.jsonl.gz"
// as a number (year·12 + month − 1).
func monthCode(file string) (uint16, bool) {
	m, ok := strings.CutSuffix(file, ordersFileSuffix)
	if !ok || !validMonth(m) {
		return 0, false
	}
	t, _ := time.Parse("2006-01", m)
	return uint16(t.Year()*12 + int(t.Month()) - 1), true
}

func monthFile(c uint16) string {
	return fmt.Sprintf("%04d-%02d%s", int(c)/12, int(c)%12+1, ordersFileSuffix)
}

func orderTableHash(key []byte) idHash { return hashID("order\x00" + string(key)) }
func waybillHash(n string) idHash      { return hashID("waybill\x00" + n) }

// putAt writes where an order is kept into a record: its member's offset
// and its file's month; false when it cannot be (it stays live).
func putAt(r *idRecord, v []byte) bool {
	at, ok := decodeArchivedValue(v)
	if !ok || at.Offset < 0 || at.Offset >= 1<<48 {
		return false
	}
	c, ok := monthCode(at.File)
	if !ok {
		return false
	}
	var s [8]byte
	binary.BigEndian.PutUint64(s[:], uint64(at.Offset))
	copy(r[12:18], s[2:])
	binary.BigEndian.PutUint16(r[19:21], c)
	return true
}

func (r *idRecord) archivedAt() ArchivedAt {
	return ArchivedAt{File: monthFile(binary.BigEndian.Uint16(r[19:21])), Offset: int64(r.seq())}
}

// orderRecord is the record of an archived_orders entry (false: it stays).
func orderRecord(key, v []byte) (idRecord, bool) {
	var r idRecord
	h := orderTableHash(key)
	copy(r[:idHashSize], h[:])
	r[18] = ordFlag
	return r, putAt(&r, v)
}

// waybillRecord is the record of a waybill_used entry whose order is
// archived (at: its archived_orders value), with its account when
// waybill_index holds the number.
func waybillRecord(n string, order, at []byte, account []byte) (idRecord, bool) {
	r := waybillBase(n, order, account)
	return r, putAt(&r, at)
}

func waybillBase(n string, order, account []byte) idRecord {
	var r idRecord
	h := waybillHash(n)
	copy(r[:idHashSize], h[:])
	r[18] = wbFlag
	copy(r[21:29], shortHash(8, "order", string(order)))
	if account != nil {
		r[18] |= wbIndexFlag
		copy(r[29:37], shortHash(8, "account", string(account)))
	}
	return r
}

// movableWaybill is the record of a waybill_used entry that leaves: its
// order is archived, its archived_orders entry live or already in an
// order table named before (a capped run moves an order whose waybill is
// past the waybills' cap: the waybill follows in a later run).
func movableWaybill(tx *txn, k, v []byte) (idRecord, bool, error) {
	if at := tx.Bucket(bucketArchivedOrders).Get(v); at != nil {
		r, ok := waybillRecord(string(k), v, at, tx.Bucket(bucketWaybillIndex).Get(k))
		return r, ok, nil
	}
	if tx.Bucket(bucketOrders).Get(v) != nil {
		return idRecord{}, false, nil // a live order
	}
	o, ok, err := ordLookup(tx, orderTableHash(v), ordFlag)
	if err != nil || !ok {
		return idRecord{}, false, err
	}
	r := waybillBase(string(k), v, tx.Bucket(bucketWaybillIndex).Get(k))
	copy(r[12:18], o[12:18])
	copy(r[19:21], o[19:21])
	return r, true, nil
}

// ordMove is what a run moves: the records, and for each bucket where
// each event's range begins, its count, and the run's end.
type ordMove struct {
	recs []idRecord
	wb   ordRanges
	ord  ordRanges
}

type ordRanges struct {
	starts [][]byte
	counts []int
	end    []byte
}

func (o *ordRanges) add(k []byte) {
	if len(o.counts) == 0 || o.counts[len(o.counts)-1] == ordsBatch {
		o.starts, o.counts = append(o.starts, bytes.Clone(k)), append(o.counts, 0)
	}
	o.counts[len(o.counts)-1]++
}

var errOrdsFull = errors.New("ords: a run's entries")

// collectOrds reads what a run moves, in read transactions of scanChunk
// keys: the movable waybill_used entries before wbEnd and the
// archived_orders entries before ordEnd (nil: all), at most max of each
// (0: no cap; the ends are then the first keys left).
func (l *Ledger) collectOrds(wbEnd, ordEnd []byte, max int) (ordMove, error) {
	var m ordMove
	n := 0
	err := l.scanChunks(bucketWaybillUsed, nil, func(tx *txn, k, v []byte) error {
		if len(wbEnd) > 0 && bytes.Compare(k, wbEnd) >= 0 {
			return errOrdsFull
		}
		r, ok, err := movableWaybill(tx, k, v)
		if err != nil || !ok {
			return err
		}
		if max > 0 && n >= max {
			m.wb.end = bytes.Clone(k)
			return errOrdsFull
		}
		n++
		m.wb.add(k)
		m.recs = append(m.recs, r)
		return nil
	})
	if err != nil && !errors.Is(err, errOrdsFull) {
		return m, err
	}
	n = 0
	err = l.scanChunks(bucketArchivedOrders, nil, func(_ *txn, k, v []byte) error {
		if len(ordEnd) > 0 && bytes.Compare(k, ordEnd) >= 0 {
			return errOrdsFull
		}
		r, ok := orderRecord(k, v)
		if !ok {
			return nil
		}
		if max > 0 && n >= max {
			m.ord.end = bytes.Clone(k)
			return errOrdsFull
		}
		n++
		m.ord.add(k)
		m.recs = append(m.recs, r)
		return nil
	})
	if errors.Is(err, errOrdsFull) {
		err = nil
	}
	return m, err
}

// archiveOrderKeys is Archive's step for the keys of archived orders:
// they move to the run's own order table (file: the run's month, now's:
// every archived order's keys move, whatever its age; README).
func (l *Ledger) archiveOrderKeys(ctx context.Context, now time.Time, actor, device string, run *ArchiveRun) (err error) {
	m, err := l.collectOrds(nil, nil, ordsRunMax)
	if err != nil || len(m.recs) == 0 {
		return err
	}
	if err := l.removeStale(true); err != nil {
		return err
	}
	file := now.In(l.zone).Format("2006-01") + ordsKind.ext
	t, digest, err := l.buildTable(ordsKind, file, m.recs, "", idVersion)
	if err != nil {
		return err
	}
	name := t.name
	l.tablesOfKind(ordsKind).install(t)
	committed := false
	defer func() {
		if !committed {
			err = errors.Join(err, l.dropUnnamed(ordsKind, name))
		}
	}()
	for _, side := range []struct {
		bucket []byte
		r      ordRanges
	}{{bucketWaybillUsed, m.wb}, {bucketArchivedOrders, m.ord}} {
		for i := range side.r.starts {
			if err := ctx.Err(); err != nil {
				return err
			}
			p := OrdersTabled{File: file, Table: name, Bucket: string(side.bucket), From: side.r.starts[i], Count: side.r.counts[i],
				WaybillEnd: m.wb.end, OrderEnd: m.ord.end, Digest: digest, Records: t.count}
			if i == 0 {
				p.From = nil
			}
			if i+1 < len(side.r.starts) {
				p.To = side.r.starts[i+1]
			} else if bytes.Equal(side.bucket, bucketWaybillUsed) {
				p.To = m.wb.end
			} else {
				p.To = m.ord.end
			}
			if err := l.appendRunEvent(ctx, EvOrdersTabled, p, actor, device, run, func(tx *txn) error {
				return ordsHeld(tx, m.recs, p)
			}, nil); err != nil {
				return err
			}
			committed = true
			run.OrderKeys += p.Count
			run.Events++
		}
	}
	run.noteFile(name)
	return nil
}

// ordsEntries calls fn with every movable entry of the event's range: its
// key and its record.
func ordsEntries(tx *txn, p OrdersTabled, fn func(k []byte, r idRecord) error) error {
	var b []byte
	switch p.Bucket {
	case string(bucketWaybillUsed):
		b = bucketWaybillUsed
	case string(bucketArchivedOrders):
		b = bucketArchivedOrders
	default:
		return Errf(CodeInvalid, "ords.file_invalid", "file", clipText(p.File))
	}
	c := tx.Bucket(b).Cursor()
	k, v := c.First()
	if len(p.From) > 0 {
		k, v = c.Seek(p.From)
	}
	for ; k != nil && (len(p.To) == 0 || bytes.Compare(k, p.To) < 0); k, v = c.Next() {
		var r idRecord
		var ok bool
		if p.Bucket == string(bucketWaybillUsed) {
			var err error
			if r, ok, err = movableWaybill(tx, k, v); err != nil {
				return err
			}
		} else {
			r, ok = orderRecord(k, v)
		}
		if ok {
			if err := fn(bytes.Clone(k), r); err != nil {
				return err
			}
		}
	}
	return nil
}

// ordsHeld makes sure, before an event removes them, that the run's
// records (sorted) hold every movable entry of its range and that they
// are the event's count.
func ordsHeld(tx *txn, written []idRecord, p OrdersTabled) error {
	n := 0
	err := ordsEntries(tx, p, func(k []byte, r idRecord) error {
		if _, found := slices.BinarySearchFunc(written, r, func(a, b idRecord) int { return bytes.Compare(a[:], b[:]) }); !found {
			return Errf(CodeConflict, "ords.table_lacks", "table", clipText(p.Table), "key", clipText(string(k)))
		}
		n++
		return nil
	})
	if err != nil {
		return err
	}
	if n != p.Count {
		return Errf(CodeConflict, "ords.changed", "count", fmt.Sprint(n), "want", fmt.Sprint(p.Count))
	}
	return nil
}

// ordTableFor is the open order table of that name for tx's store (or,
// in a check's scratch store, for the store it checks); nil when it is not
// open. release ends its use (the read lock: no install closes it).
func ordTableFor(tx *txn, name string) (*idTable, func()) {
	v, ok := openOrdTables.Load(tx.DB())
	if !ok && tx.replay != nil && tx.replay.src != nil {
		v, ok = openOrdTables.Load(tx.replay.src)
	}
	if !ok {
		return nil, func() {}
	}
	ts := v.(*idTables)
	ts.mu.RLock()
	t := ts.files[name]
	if t == nil {
		ts.mu.RUnlock()
		return nil, func() {}
	}
	return t, ts.mu.RUnlock
}

// applyOrdersTabled removes the range's movable entries that the named
// table holds (every movable one when the table is not open), and records
// the table (meta ords_table:NAME, and ords_since:NAME its first event).
func applyOrdersTabled(tx *txn, ev *Event) error {
	var p OrdersTabled
	if err := decode(ev, &p); err != nil {
		return err
	}
	name, err := ordsKind.runTable(p.File, p.Digest, p.Table)
	if err != nil {
		return err
	}
	if p.Count < 0 {
		return Errf(CodeInvalid, "ords.file_invalid", "file", clipText(p.File))
	}
	t, release := ordTableFor(tx, name)
	defer release()
	type gone struct {
		k       []byte
		indexed bool
	}
	var out []gone
	err = ordsEntries(tx, p, func(k []byte, r idRecord) error {
		if t != nil {
			got, ok, err := t.lookup(r.hash())
			if err != nil {
				return ordsKind.asKind(err)
			}
			if !ok || got != r {
				return nil // not the table's: stays live
			}
		}
		out = append(out, gone{k, r.flags()&wbIndexFlag != 0})
		return nil
	})
	if err != nil {
		return err
	}
	for _, g := range out {
		if p.Bucket == string(bucketWaybillUsed) {
			if err := tx.Bucket(bucketWaybillUsed).Delete(g.k); err != nil {
				return err
			}
			if g.indexed {
				if err := tx.Bucket(bucketWaybillIndex).Delete(g.k); err != nil {
					return err
				}
			}
			continue
		}
		if err := tx.Bucket(bucketArchivedOrders).Delete(g.k); err != nil {
			return err
		}
	}
	meta := tx.Bucket(bucketMeta)
	if meta == nil { // a check's scratch file holds the projections alone
		if tx.replay != nil {
			if tx.replay.ordSince == nil {
				tx.replay.ordSince = make(map[string]uint64)
			}
			if _, ok := tx.replay.ordSince[name]; !ok {
				tx.replay.ordSince[name] = ev.Seq
			}
		}
		return nil
	}
	if meta.Get([]byte(ordsSinceMeta+name)) == nil {
		if err := meta.Put([]byte(ordsSinceMeta+name), seqKey(ev.Seq)); err != nil {
			return err
		}
	}
	return meta.Put(ordsKind.metaKey(p.File, p.Digest, p.Table), []byte(p.Digest))
}

// ordLookup finds a hash in the order tables of tx's store. While an event
// applies, only the tables named before it are asked.
func ordLookup(tx *txn, h idHash, flag byte) (idRecord, bool, error) {
	v, ok := openOrdTables.Load(tx.DB())
	if !ok && tx.replay != nil && tx.replay.src != nil {
		v, ok = openOrdTables.Load(tx.replay.src)
	}
	if !ok {
		return idRecord{}, false, nil
	}
	ts := v.(*idTables)
	ts.mu.RLock()
	defer ts.mu.RUnlock()
	if len(ts.list) == 0 {
		return idRecord{}, false, nil
	}
	var at uint64
	if tx.apply != nil && tx.apply.ev != nil {
		at = tx.apply.ev.Seq
	}
	for _, t := range ts.list {
		if at != 0 {
			s, ok := ordSince(tx, t.name)
			if !ok || s >= at {
				continue
			}
		}
		r, ok, err := t.lookup(h)
		if err != nil {
			return r, false, ordsKind.asKind(err)
		}
		if ok && r.flags()&flag != 0 {
			return r, true, nil
		}
	}
	return idRecord{}, false, nil
}

// ordSinces caches meta ords_since:NAME (written once, by the first event
// that names the table, and never changed) by store and name; only as a
// read transaction sees it, committed (a write transaction may yet roll
// back what it read, its own write included).
var ordSinces sync.Map // ordSinceKey → uint64

type ordSinceKey struct {
	db   *bolt.DB
	name string
}

// ordSince is the first event that named a table (false: none yet, or a
// check's scratch store without meta).
func ordSince(tx *txn, name string) (uint64, bool) {
	k := ordSinceKey{tx.DB(), name}
	if v, ok := ordSinces.Load(k); ok {
		return v.(uint64), true
	}
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		if tx.replay != nil { // a check's scratch store: the replay's own
			s, ok := tx.replay.ordSince[name]
			return s, ok
		}
		return 0, false
	}
	s := meta.Get([]byte(ordsSinceMeta + name))
	if len(s) != 8 {
		return 0, false
	}
	seq := seqFromKey(s)
	if !tx.Writable() {
		ordSinces.Store(k, seq)
	}
	return seq, true
}

// archivedOrderAt is where an archived order is kept: its archived_orders
// entry, or its order table's record.
func archivedOrderAt(tx *txn, owner, no string) (ArchivedAt, bool, error) {
	key := orderKey(owner, no)
	if v := tx.Bucket(bucketArchivedOrders).Get(key); v != nil {
		at, ok := decodeArchivedValue(v)
		if !ok {
			return at, false, &DamagedRecordError{Bucket: string(bucketArchivedOrders), Key: no, Err: errors.New("bad value")}
		}
		return at, true, nil
	}
	r, ok, err := ordLookup(tx, orderTableHash(key), ordFlag)
	if err != nil || !ok {
		return ArchivedAt{}, false, err
	}
	return r.archivedAt(), true, nil
}

// isArchivedOrder says whether an order of that number was archived.
func isArchivedOrder(tx *txn, owner, no string) (bool, error) {
	_, ok, err := archivedOrderAt(tx, owner, no)
	return ok, err
}

// archivedOrderOwners lists the owners with an archived order numbered
// no: the default owner first, then by code (ownersHolding).
func archivedOrderOwners(tx *txn, no string) ([]string, error) {
	var out []string
	owners := []string{DefaultOwner}
	if err := tx.Bucket(bucketOwners).ForEach(func(k, _ []byte) error {
		owners = append(owners, string(k))
		return nil
	}); err != nil {
		return nil, err
	}
	for _, o := range owners {
		ok, err := isArchivedOrder(tx, o, no)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, o)
		}
	}
	return out, nil
}

// waybillKnown says whether a waybill number was ever loaded or used:
// live, or in an order table.
func waybillKnown(tx *txn, n string) (bool, error) {
	if tx.Bucket(bucketWaybillUsed).Get([]byte(n)) != nil || tx.Bucket(bucketWaybillIndex).Get([]byte(n)) != nil {
		return true, nil
	}
	_, ok, err := ordLookup(tx, waybillHash(n), wbFlag)
	return ok, err
}

// tabledWaybillOrder is the archived order a waybill of an order table
// was used for, read from its archive member.
func tabledWaybillOrder(tx *txn, n string, r idRecord) (ArchivedOrder, error) {
	at := r.archivedAt()
	path := filepath.Join(archiveDirOf(tx), at.File)
	found, ok, err := findInMember(path, at.Offset, func(a ArchivedOrder) bool {
		return bytes.Equal(shortHash(8, "order", string(orderKey(OwnerOr(a.Order.Owner), a.Order.No))), r[21:29])
	})
	switch {
	case os.IsNotExist(err):
		return found, Errf(CodeNotFound, "archive.waybill_file_missing", "waybill", n, "file", at.File)
	case err != nil:
		return found, err
	case !ok:
		return found, Errf(CodeNotFound, "order.not_found", "order", n)
	}
	found.Archived = &at
	return found, nil
}

// waybillOrderTx is the order a waybill was used for: waybill_used, or an
// order table.
func waybillOrderTx(tx *txn, n string) (owner, no string, ok bool, err error) {
	if v := tx.Bucket(bucketWaybillUsed).Get([]byte(n)); v != nil {
		owner, no = splitPair(v)
		return owner, no, true, nil
	}
	r, ok, err := ordLookup(tx, waybillHash(n), wbFlag)
	if err != nil || !ok {
		return "", "", false, err
	}
	a, err := tabledWaybillOrder(tx, n, r)
	if err != nil {
		return "", "", false, err
	}
	return OwnerOr(a.Order.Owner), a.Order.No, true, nil
}

// WaybillAccount is the account a waybill number was loaded under (ok
// false when it never was): waybill_index, or, for a used number of an
// archived order, its order table (the account is the order's carrier,
// checked against the record's hash).
func (l *Ledger) WaybillAccount(n string) (account string, ok bool, err error) {
	err = l.view(func(tx *txn) error {
		if v := tx.Bucket(bucketWaybillIndex).Get([]byte(n)); v != nil {
			account, ok = string(v), true
			return nil
		}
		r, found, err := ordLookup(tx, waybillHash(n), wbIndexFlag)
		if err != nil || !found {
			return err
		}
		a, err := tabledWaybillOrder(tx, n, r)
		if err != nil {
			return err
		}
		if !bytes.Equal(shortHash(8, "account", a.Order.Carrier), r[29:37]) {
			return &DamagedRecordError{Bucket: "order table", Key: n, Err: Errf(CodeInternal, "ords.account_differs", "waybill", n)}
		}
		account, ok = a.Order.Carrier, true
		return nil
	})
	return account, ok, err
}

// openOrderTables, at Open, opens every order table the store names.
func (l *Ledger) openOrderTables() error { return l.openTablesOfKind(ordsKind) }

func (l *Ledger) closeOrderTables() {
	l.closeTablesOfKind(ordsKind)
	ordSinces.Range(func(k, _ any) bool {
		if k.(ordSinceKey).db == l.db {
			ordSinces.Delete(k)
		}
		return true
	})
}

// prepareOrderTables is a standby's part of a run: before the page whose
// first event is an orders.tabled event applies, the run's table (its
// own, built from its own live entries as the primary did, or the
// primary's file).
func (l *Ledger) prepareOrderTables(events []ReplicaEvent) error {
	if len(events) == 0 || events[0].Event.Type != EvOrdersTabled {
		return nil
	}
	var p OrdersTabled
	if err := json.Unmarshal(events[0].Event.Data, &p); err != nil {
		return err
	}
	if _, err := ordsKind.runTable(p.File, p.Digest, p.Table); err != nil {
		return err
	}
	return l.prepareTable(ordsKind, p.File, p.Digest, false, events[0].Event.Seq, func() ([]idRecord, error) {
		m, err := l.collectOrds(p.WaybillEnd, p.OrderEnd, 0)
		return m.recs, err
	}, idVersion)
}

// ordsSplit is where a page of replicated events is cut so that an
// orders.tabled event comes first in its part (prepareOrderTables).
func ordsSplit(events []ReplicaEvent) int { return runSplit(events, EvOrdersTabled) }

// VerifyOrderTables reads every order table whole against the digest the
// store committed for it (`tally check`).
func (l *Ledger) VerifyOrderTables() (files int, records uint64, err error) {
	return l.verifyTables(ordsKind)
}
