package wms

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"time"
)

// Pruning finished work, as events. A history.archived event removes from
// the projections what the archive (archive.go) now keeps: finished orders
// with their packs, print jobs, pick tasks and waves, and staff figures past
// their retention. Its apply decides from the event and the state alone,
// never the clock, so a rebuild of the log removes the same records and
// `tally check` still holds. The log itself is not pruned.

// ArchivedRef names one order an archiving removes.
type ArchivedRef struct {
	Owner string `json:"owner,omitempty"` // empty: the default owner
	No    string `json:"no"`
}

// WorkUnitRef names one person's unit of work an archiving removes.
type WorkUnitRef struct {
	Actor string   `json:"actor"`
	Kind  WorkKind `json:"kind"`
	Unit  string   `json:"unit"`
}

// HistoryArchived is one slice of an archiving run (Ledger.Archive).
// EvHistoryArchivedV2 is what a run appends since orders with returns and
// floor tasks leave (issue 16): the payload's version 2 — it removes
// order_returns entries and FloorTasks, and records the member it names
// (Length). A version before refuses it (event.type_unknown) rather than
// apply it as a history.archived it would misread: upgrade a standby
// first. history.archived (version 1) events in the log apply as before.
const EvHistoryArchivedV2 = "history.archived.v2"

type HistoryArchived struct {
	// Orders are shipped or cancelled orders the archive file File holds
	// from byte Offset (one gzip member). Each leaves the live store with
	// its pack, its print jobs, its pick tasks once every order of a task
	// has left, and its wave once every order and task of the wave has;
	// archived_orders then says where it went.
	Orders []ArchivedRef `json:"orders,omitempty"`
	File   string        `json:"file,omitempty"`
	Offset int64         `json:"offset,omitempty"`
	// Digest is the SHA-256 of the records as the run archived them: the
	// event is refused when it is appended if any changed since (decide),
	// so nothing leaves the store that the archive does not hold as it was.
	Digest string `json:"digest,omitempty"`
	// KPIDay and KPIBefore are the staff figures' retention: the day's
	// figures (people's days and owners' parts, return stats) of warehouse days before
	// KPIDay, the hours (in scan_kpi) and pauses (work_gaps) that ended
	// before KPIBefore, and the units of work WorkUnits leave. Empty: none.
	KPIDay    string        `json:"kpi_day,omitempty"`
	KPIBefore time.Time     `json:"kpi_before,omitzero"`
	WorkUnits []WorkUnitRef `json:"work_units,omitempty"`
	KPIFile   string        `json:"kpi_file,omitempty"` // the archive file that holds what the figures' part removes
	// FloorTasks are finished tasks of no wave the archive file File holds
	// from byte Offset (taskarchive.go); Digest is theirs
	FloorTasks []string `json:"floor_tasks,omitempty"`
	// ReturnsSeq is the last event the run saw when it read the returns:
	// an RMA or parcel naming one of Orders after it refuses the event
	// (decideReturnsSince, returnarchive.go)
	ReturnsSeq uint64 `json:"returns_seq,omitempty"`
	// Length is the member's length (File from Offset): its apply records
	// the member (meta archive_member:FILE 0 OFFSET), on a standby too, so
	// the floor tasks' reads find it there (version 2)
	Length int64 `json:"length,omitempty"`
	// Receipts are closed receipts the archive file File holds from byte
	// Offset (receiptarchive.go); Digest is theirs
	Receipts []ArchivedRef `json:"receipts,omitempty"`
	// Parcels are done return parcels (by ID) the archive file File holds
	// from byte Offset (parcelarchive.go); Digest is theirs
	Parcels []string `json:"parcels,omitempty"`
	// Lots are lots with no stock, no reservation and no recent event that
	// leave lots for archived_lots (lotleave.go); Digest is their records'
	Lots []LotRef `json:"lots,omitempty"`
}

// ArchivedOrder is one order as the archive keeps it: the order with its
// pack, the pick tasks that carried it and its print jobs, as they stood
// when it left the live store.
type ArchivedOrder struct {
	Order     Order      `json:"order"`
	Pack      *PackState `json:"pack,omitempty"`
	Tasks     []Task     `json:"tasks,omitempty"`
	PrintJobs []PrintJob `json:"print_jobs,omitempty"`
	// Returned is what came back of it (order_returns: SKU 0 lot →
	// units), for an order archived once its returns were done
	// (returnarchive.go)
	Returned map[string]int64 `json:"returned,omitempty"`
	// Archived is set when the record is read back: the event that
	// archived it and where.
	Archived *ArchivedAt `json:"archived,omitempty"`
}

// ArchivedAt says where an archived order is kept.
type ArchivedAt struct {
	File   string `json:"file"`
	Offset int64  `json:"offset"`
}

// finished says whether an order's work is over: only these are archived.
func finished(s OrderState) bool { return s == OrderShipped || s == OrderCancelled }

// waveTasks caches the tasks of the waves a batch of orders reads, so a
// thousand orders of one wave decode its tasks once.
type waveTasks map[string][]Task

// collectOrder reads an order and what leaves with it.
func collectOrder(tx *txn, owner, no string, cache waveTasks) (ArchivedOrder, bool, error) {
	var a ArchivedOrder
	o, found, err := getOrder(tx, owner, no)
	if err != nil || !found {
		return a, found, err
	}
	a.Order = o
	if _, err := getJSON(tx.Bucket(bucketOrderReturns), orderKey(owner, no), &a.Returned); err != nil { // returnarchive.go
		return a, true, err
	}
	if ps, ok, err := lookup[PackState](tx, bucketPacks, orderKey(owner, no)); err != nil {
		return a, true, err
	} else if ok {
		a.Pack = &ps
	}
	p := prefixKey(owner, no)
	c := tx.Bucket(bucketOrderPrints).Cursor()
	for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
		j, ok, err := lookup[PrintJob](tx, bucketPrintJobs, v)
		if err != nil {
			return a, true, err
		}
		if ok {
			a.PrintJobs = append(a.PrintJobs, j)
		}
	}
	if o.Wave != "" {
		tasks, cached := cache[o.Wave]
		if !cached {
			w, ok, err := lookup[Wave](tx, bucketWaves, []byte(o.Wave))
			if err != nil {
				return a, true, err
			}
			for _, id := range w.Tasks {
				if !ok {
					break
				}
				t, found, err := lookupTask(tx, id)
				if err != nil {
					return a, true, err
				}
				if found {
					tasks = append(tasks, t)
				}
			}
			cache[o.Wave] = tasks
		}
		for i := range tasks {
			if taskCarries(&tasks[i], owner, no) {
				a.Tasks = append(a.Tasks, tasks[i])
			}
		}
	}
	return a, true, nil
}

func taskCarries(t *Task, owner, no string) bool {
	for _, to := range t.Orders {
		if OwnerOr(to.Owner) == owner && to.Order == no {
			return true
		}
	}
	return false
}

// archiveDigest is the digest of the records an archiving removes.
func archiveDigest(recs []ArchivedOrder) (string, error) {
	h := sha256.New()
	for _, r := range recs {
		raw, err := json.Marshal(r)
		if err != nil {
			return "", err
		}
		h.Write(raw)
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// decideHistoryArchived refuses an archiving whose orders changed (or are
// no longer finished) since the run wrote them to the archive.
func decideHistoryArchived(tx *txn, ev *Event) error {
	var p HistoryArchived
	if err := decode(ev, &p); err != nil {
		return err
	}
	if len(p.FloorTasks) > 0 { // taskarchive.go
		return decideFloorTasksArchived(tx, p)
	}
	if len(p.Receipts) > 0 { // receiptarchive.go
		return decideReceiptsArchived(tx, p)
	}
	if len(p.Parcels) > 0 { // parcelarchive.go
		return decideParcelsArchived(tx, p)
	}
	if len(p.Lots) > 0 { // lotleave.go
		return decideLotsArchived(tx, p)
	}
	if len(p.Orders) == 0 {
		return nil
	}
	if err := decideReturnsSince(tx, p); err != nil {
		return err
	}
	recs := make([]ArchivedOrder, 0, len(p.Orders))
	cache := waveTasks{}
	for _, r := range p.Orders {
		a, found, err := collectOrder(tx, OwnerOr(r.Owner), r.No, cache)
		if err != nil {
			return err
		}
		if !found || !finished(a.Order.State) {
			return Errf(CodeConflict, "archive.changed", "order", r.No)
		}
		recs = append(recs, a)
	}
	d, err := archiveDigest(recs)
	if err != nil {
		return err
	}
	if d != p.Digest {
		return Errf(CodeConflict, "archive.changed", "order", p.Orders[0].No)
	}
	return nil
}

func applyHistoryArchived(tx *txn, ev *Event) error {
	var p HistoryArchived
	if err := decode(ev, &p); err != nil {
		return err
	}
	if len(p.Orders) > 0 {
		if err := pruneOrders(tx, p); err != nil {
			return err
		}
	}
	if p.KPIDay != "" {
		if err := pruneFigures(tx, p); err != nil {
			return err
		}
	}
	if len(p.FloorTasks) > 0 { // taskarchive.go
		if err := pruneFloorTasks(tx, p); err != nil {
			return err
		}
	}
	if len(p.Receipts) > 0 { // receiptarchive.go
		if err := pruneReceipts(tx, p); err != nil {
			return err
		}
	}
	if len(p.Parcels) > 0 { // parcelarchive.go
		if err := pruneParcels(tx, p); err != nil {
			return err
		}
	}
	if len(p.Lots) > 0 { // lotleave.go
		if err := pruneLots(tx, p); err != nil {
			return err
		}
	}
	if meta := tx.Bucket(bucketMeta); meta != nil && p.File != "" && p.Length > 0 {
		if old := archiveMembers(tx, p.File); len(old) == 1 && old[0][0] == 0 && meta.Get(archiveMemberKey(p.File, 0)) == nil {
			// the file of a store from before members were listed: what
			// it committed, as one part (appendArchived)
			if err := meta.Put(archiveMemberKey(p.File, 0), binary.BigEndian.AppendUint64(nil, uint64(old[0][1]))); err != nil {
				return err
			}
		}
		return meta.Put(archiveMemberKey(p.File, p.Offset), binary.BigEndian.AppendUint64(nil, uint64(p.Length)))
	}
	return nil
}

// archivedValue is where archived_orders says an order went: the file's
// name, 0x00, the member's offset (8 bytes).
func archivedValue(file string, offset int64) []byte {
	v := append([]byte(file), sep)
	return binary.BigEndian.AppendUint64(v, uint64(offset))
}

func decodeArchivedValue(v []byte) (ArchivedAt, bool) {
	i := len(v) - 9
	if i < 0 || v[i] != sep {
		return ArchivedAt{}, false
	}
	return ArchivedAt{File: string(v[:i]), Offset: int64(binary.BigEndian.Uint64(v[i+1:]))}, true
}

func pruneOrders(tx *txn, p HistoryArchived) error {
	waves := map[string]bool{}
	var waveOrder []string
	for _, r := range p.Orders {
		owner := OwnerOr(r.Owner)
		o, err := orderTx(tx, owner, r.No)
		if err != nil {
			return err
		}
		if !finished(o.State) {
			return Errf(CodeConflict, "archive.not_finished", "order", r.No, "state", string(o.State))
		}
		key := orderKey(owner, r.No)
		if err := tx.Bucket(bucketOrders).Delete(key); err != nil {
			return err
		}
		if err := tx.Bucket(bucketOrderState).Delete(orderStateKey(o.State, owner, r.No)); err != nil {
			return err
		}
		if err := dropWaveQueue(tx, &o); err != nil {
			return err
		}
		if err := tx.Bucket(bucketPacks).Delete(key); err != nil {
			return err
		}
		if err := tx.Bucket(bucketOrderReturns).Delete(key); err != nil { // returnarchive.go
			return err
		}
		if err := deletePrefix(tx.Bucket(bucketOrderPrints), prefixKey(owner, r.No), func(_, job []byte) error {
			if err := tx.Bucket(bucketPrintJobs).Delete(job); err != nil {
				return err
			}
			return tx.Bucket(bucketPrintQueue).Delete(job)
		}); err != nil {
			return err
		}
		if err := tx.Bucket(bucketArchivedOrders).Put(key, archivedValue(p.File, p.Offset)); err != nil {
			return err
		}
		if o.Wave != "" && !waves[o.Wave] {
			waves[o.Wave] = true
			waveOrder = append(waveOrder, o.Wave)
		}
	}
	for _, id := range waveOrder {
		if err := pruneWave(tx, id); err != nil {
			return err
		}
	}
	return nil
}

// pruneWave removes the wave's finished tasks whose orders have all left
// the store, and the wave itself once none of the orders it released nor
// its tasks is left (from projections version 14: before, an order that
// waited for stock kept the wave for as long as it stayed live).
func pruneWave(tx *txn, id string) error {
	w, ok, err := lookup[Wave](tx, bucketWaves, []byte(id))
	if err != nil || !ok {
		return err
	}
	orders := tx.Bucket(bucketOrders)
	gone := func(owner, no string) bool { return orders.Get(orderKey(OwnerOr(owner), no)) == nil }
	left := 0
	for _, tid := range w.Tasks {
		t, ok, err := lookupTask(tx, tid)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		keep := t.State != TaskDone && t.State != TaskCancelled
		for _, to := range t.Orders {
			keep = keep || !gone(to.Owner, to.Order)
		}
		if keep {
			left++
			continue
		}
		if err := tx.Bucket(bucketTasks).Delete([]byte(tid)); err != nil {
			return err
		}
	}
	// the orders it released (Waiting ones waited for stock: none of its
	// work, and they go on to other waves or stay new for months)
	for _, ref := range w.Orders {
		if owner, no := ParseOrderRef(ref); !gone(owner, no) {
			left++
		}
	}
	if left > 0 {
		return nil
	}
	return tx.Bucket(bucketWaves).Delete([]byte(id))
}

// deletePrefix deletes every key under p in b (collected first: never
// delete while a cursor walks), calling each first when it is not nil.
func deletePrefix(b *bucket, p []byte, each func(k, v []byte) error) error {
	return deleteRange(b, p, nil, func(k, v []byte) (bool, error) { return bytes.HasPrefix(k, p), nil }, each)
}

// deleteRange deletes the keys from start (before stop when stop is not
// nil) for which keep says true, until it says stop by returning false for a
// key past the prefix it walks.
func deleteRange(b *bucket, start, stop []byte, in func(k, v []byte) (bool, error), each func(k, v []byte) error) error {
	type kv struct{ k, v []byte }
	var gone []kv
	c := b.Cursor()
	for k, v := c.Seek(start); k != nil && (stop == nil || bytes.Compare(k, stop) < 0); k, v = c.Next() {
		ok, err := in(k, v)
		if err != nil {
			return err
		}
		if !ok {
			if stop == nil {
				break
			}
			continue
		}
		gone = append(gone, kv{append([]byte(nil), k...), append([]byte(nil), v...)})
	}
	for _, e := range gone {
		if each != nil {
			if err := each(e.k, e.v); err != nil {
				return err
			}
		}
		if err := b.Delete(e.k); err != nil {
			return err
		}
	}
	return nil
}

// figureRecords walks the staff figures the retention in p removes, in the
// order the apply removes them: fn gets each bucket, key and value.
func figureRecords(tx *txn, p HistoryArchived, fn func(bucket []byte, k, v []byte) error) error {
	all := func(k, v []byte) (bool, error) { return true, nil }
	// day-keyed figures: every key before the first of KPIDay
	// (people's days and their owners' parts, then the hours: both in
	// scan_kpi, told apart by their keys' shape, figurekeys.go)
	for _, name := range [][]byte{bucketScanKPI, bucketReturnStats, bucketOwnerReturns} {
		in := all
		if bytes.Equal(name, bucketScanKPI) {
			in = isDayFigureKey
		}
		if err := walkRange(tx.Bucket(name), nil, []byte(p.KPIDay), in, func(k, v []byte) error { return fn(name, k, v) }); err != nil {
			return err
		}
	}
	if err := walkRange(tx.Bucket(bucketScanKPI), nil, []byte(hourOf(p.KPIBefore)), isHourFigureKey, func(k, v []byte) error {
		return fn(bucketScanKPI, k, v)
	}); err != nil {
		return err
	}
	// pauses, person by person: those that ended before KPIBefore
	gaps := tx.Bucket(bucketWorkGaps)
	c := gaps.Cursor()
	for k, _ := c.First(); k != nil; {
		i := bytes.IndexByte(k, sep)
		if i < 0 {
			k, _ = c.Next()
			continue
		}
		actor := append([]byte(nil), k[:i+1]...)
		stop := append(append([]byte(nil), actor...), gapTime(p.KPIBefore)...)
		if err := walkRange(gaps, actor, stop, func(k, v []byte) (bool, error) {
			g, err := decodeWorkGap(v)
			return err == nil && g.To.Before(p.KPIBefore), err
		}, func(k, v []byte) error { return fn(bucketWorkGaps, k, v) }); err != nil {
			return err
		}
		k, _ = c.Seek(append(actor[:len(actor)-1:len(actor)-1], sep+1))
	}
	units := tx.Bucket(bucketWorkUnits)
	for _, u := range p.WorkUnits {
		k := workUnitKey(u.Actor, u.Kind, u.Unit)
		if v := units.Get(k); v != nil {
			if err := fn(bucketWorkUnits, k, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// walkRange calls fn with each key from start (the first when nil) before
// stop for which in says true.
func walkRange(b *bucket, start, stop []byte, in func(k, v []byte) (bool, error), fn func(k, v []byte) error) error {
	c := b.Cursor()
	k, v := c.First()
	if start != nil {
		k, v = c.Seek(start)
	}
	for ; k != nil && bytes.Compare(k, stop) < 0; k, v = c.Next() {
		ok, err := in(k, v)
		if err != nil {
			return err
		}
		if ok {
			if err := fn(k, v); err != nil {
				return err
			}
		}
	}
	return nil
}

func pruneFigures(tx *txn, p HistoryArchived) error {
	type bk struct{ b, k []byte }
	var gone []bk
	if err := figureRecords(tx, p, func(b, k, _ []byte) error {
		gone = append(gone, bk{b, append([]byte(nil), k...)})
		return nil
	}); err != nil {
		return err
	}
	for _, g := range gone {
		if err := tx.Bucket(g.b).Delete(g.k); err != nil {
			return err
		}
	}
	return nil
}
