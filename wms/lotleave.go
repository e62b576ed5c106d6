package wms

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"time"
)

// Lots with nothing left leave the live store (issue 16): a lot with no
// stock anywhere, nothing reserved of it and no event that touched it
// since the orders' cut-off (--keep-orders; its story is in lot_events and
// the lot indexes, lotarchive.go) leaves lots by a history.archived event
// (Lots, with the digest of the records). What stays is a small entry
// (archived_lots: owner 0 sku 0 lot → the record's owner, status and
// expiry, all a lot record holds besides its key), so nothing is read from
// a file: a trace or recall (LotTrace, Books.Lot, a status change) finds
// the lot as it was; the lot comes back live, as it was, when stock of it
// is placed again (a return, a receiving of the same lot: its expiry is
// still checked) or its status changes; the daily sweep expires an
// archived lot past its expiry in its entry, as it would have the live
// record. The lots list shows the live lots.

// lotGoneValue is what archived_lots keeps of a lot.
func lotGoneValue(l Lot) []byte {
	return []byte(l.Owner + "\x00" + string(l.Status) + "\x00" + l.Expiry)
}

func lotFromGone(sku, code string, v []byte) (Lot, bool) {
	parts := strings.Split(string(v), "\x00")
	if len(parts) != 3 {
		return Lot{}, false
	}
	return Lot{Owner: parts[0], SKU: sku, Code: code, Status: LotStatus(parts[1]), Expiry: parts[2]}, true
}

// getLot reads a lot, live or archived (false: the books do not know it).
func getLot(tx *txn, owner, sku, code string) (Lot, bool, error) {
	lot, found, err := lookup[Lot](tx, bucketLots, lotKey(owner, sku, code))
	if err != nil || found {
		return lot, found, err
	}
	v := tx.Bucket(bucketArchivedLots).Get(lotKey(owner, sku, code))
	if v == nil {
		return lot, false, nil
	}
	lot, ok := lotFromGone(sku, code, v)
	if !ok {
		return lot, false, &DamagedRecordError{Bucket: string(bucketArchivedLots), Key: string(lotKey(owner, sku, code)), Err: errors.New("bad archived lot")}
	}
	return lot, true, nil
}

// readLotInto reads a lot, live or archived (getLot), into lot; lot is
// left as it is when the books do not know it. Every read of a lot record
// outside lots' own store code goes through getLot, so no reader sees an
// empty lot for a lot that left.
func readLotInto(tx *txn, lot *Lot, owner, sku, code string) error {
	got, found, err := getLot(tx, owner, sku, code)
	if found {
		*lot = got
	}
	return err
}

// mustGetLot is getLot that says lot.not_found.
func mustGetLot(tx *txn, owner, sku, code string) (Lot, error) {
	lot, found, err := getLot(tx, owner, sku, code)
	if err == nil && !found {
		err = Errf(CodeNotFound, "lot.not_found", "sku", sku, "lot", code)
	}
	return lot, err
}

// putLot writes a lot live (back from archived_lots when it was there).
func putLot(tx *txn, owner, sku, code string, lot Lot) error {
	if err := putJSON(tx.Bucket(bucketLots), lotKey(owner, sku, code), lot); err != nil {
		return err
	}
	return tx.Bucket(bucketArchivedLots).Delete(lotKey(owner, sku, code))
}

// lotsAway is every owner's SKU and lot with units on hand off the shelves
// (unitsAwayTx: in totes and parcels of open orders, on open put-back
// tasks), read once for many lots.
func lotsAway(tx *txn) (map[StockKey]bool, error) {
	away := map[StockKey]bool{}
	err := unitsAwayTx(tx, "", func(k StockKey, q int64) {
		if q != 0 {
			away[StockKey{OwnerOr(k.Owner), k.SKU, k.Lot}] = true
		}
	})
	return away, err
}

// lotIdle says whether a lot has nothing left: no stock anywhere, nothing
// reserved and no unit OnHand counts off the shelves (away, lotsAway).
func lotIdle(tx *txn, key []byte, away map[StockKey]bool) bool {
	if !lotShelvesEmpty(tx, key) {
		return false
	}
	parts := splitKey(key)
	return len(parts) == 3 && !away[StockKey{OwnerOr(parts[0]), parts[1], parts[2]}]
}

// lotShelvesEmpty says whether a lot has no stock anywhere and nothing
// reserved. Applying a move (pruneLots) checks only this: its decision
// checked lotIdle, and a move written before units away counted must
// still replay.
func lotShelvesEmpty(tx *txn, key []byte) bool {
	p := append(bytes.Clone(key), sep)
	for _, b := range [][]byte{bucketStock, bucketReserved} {
		if k, _ := tx.Bucket(b).Cursor().Seek(p); k != nil && bytes.HasPrefix(k, p) {
			return false
		}
	}
	return true
}

// reviveLot brings a lot that left back live, as it was, when stock of it
// is written again by a path that does not place it (a put-back, an undo
// of a pick: writeQty), so every reader of the live record finds it.
func reviveLot(tx *txn, owner, sku, code string) error {
	k := lotKey(owner, sku, code)
	if tx.Bucket(bucketArchivedLots).Get(k) == nil || tx.Bucket(bucketLots).Get(k) != nil {
		return nil
	}
	lot, found, err := getLot(tx, owner, sku, code)
	if err != nil || !found {
		return err
	}
	return putLot(tx, owner, sku, code, lot)
}

// lotQuietSince says whether the last event in the lot's story (live,
// or moved to a lot index after --keep-events) is no later than through,
// the last event stamped before the cut-off (lastSeqBefore): sequence
// numbers only, so no archived event is read.
func lotQuietSince(tx *txn, key []byte, through uint64) (bool, error) {
	p := append(bytes.Clone(key), sep)
	c := tx.Bucket(bucketLotEvents).Cursor()
	var last uint64
	for k, _ := c.Seek(p); k != nil && len(k) == len(p)+8 && bytes.HasPrefix(k, p); k, _ = c.Next() {
		last = seqFromKey(k[len(p):])
	}
	if last == 0 { // its story's entries left for a lot index (lotarchive.go)
		seqs, err := archivedLotSeqs(tx, key)
		if err != nil || len(seqs) == 0 {
			return err == nil, err
		}
		last = seqs[len(seqs)-1]
	}
	return last <= through, nil
}

const lotLeaveBatch = 2000 // lots a history.archived event

// archiveIdleLots is Archive's step for lots with nothing left.
func (l *Ledger) archiveIdleLots(ctx context.Context, before time.Time, actor, device string, run *ArchiveRun) error {
	through, err := l.lastSeqBefore(before)
	if err != nil {
		return err
	}
	var cands [][]byte
	err = l.scanChunks(bucketLots, nil, func(tx *txn, k, _ []byte) error {
		if !lotShelvesEmpty(tx, k) { // units away: the batch's read below
			return nil
		}
		quiet, err := lotQuietSince(tx, k, through)
		if err == nil && quiet {
			cands = append(cands, bytes.Clone(k))
		}
		return err
	})
	if err != nil {
		return err
	}
	for i := 0; i < len(cands); i += lotLeaveBatch {
		if err := ctx.Err(); err != nil {
			return err
		}
		var lots []Lot
		var refs []LotRef
		if err := l.view(func(tx *txn) error {
			away, err := lotsAway(tx)
			if err != nil {
				return err
			}
			for _, k := range cands[i:min(i+lotLeaveBatch, len(cands))] {
				parts := splitKey(k)
				lot, found, err := lookup[Lot](tx, bucketLots, k)
				if err != nil {
					return err
				}
				if found && len(parts) == 3 && lotIdle(tx, k, away) {
					lots = append(lots, lot)
					refs = append(refs, LotRef{Owner: envelopeOwner(parts[0]), SKU: parts[1], Lot: parts[2]})
				}
			}
			return nil
		}); err != nil {
			return err
		}
		if len(refs) == 0 {
			continue
		}
		digest, err := jsonLinesDigest(lots)
		if err != nil {
			return err
		}
		p := HistoryArchived{Lots: refs, Digest: digest}
		err = l.appendRunEvent(ctx, EvHistoryArchivedV2, p, actor, device, run, nil, nil)
		if ErrorCode(err) == CodeConflict { // a lot changed since it was read: the next run takes it
			run.Skipped += len(refs)
			continue
		}
		if err != nil {
			return err
		}
		run.IdleLots += len(refs)
		run.Events++
	}
	return nil
}

// decideLotsArchived refuses a move of lots that changed since the run
// read them, or have stock or a reservation now.
func decideLotsArchived(tx *txn, p HistoryArchived) error {
	lots := make([]Lot, 0, len(p.Lots))
	away, err := lotsAway(tx)
	if err != nil {
		return err
	}
	for _, r := range p.Lots {
		k := lotKey(OwnerOr(r.Owner), r.SKU, r.Lot)
		lot, found, err := lookup[Lot](tx, bucketLots, k)
		if err != nil {
			return err
		}
		if !found || !lotIdle(tx, k, away) {
			return Errf(CodeConflict, "archive.lot_changed", "sku", r.SKU, "lot", r.Lot)
		}
		lots = append(lots, lot)
	}
	d, err := jsonLinesDigest(lots)
	if err != nil {
		return err
	}
	if d != p.Digest {
		return Errf(CodeConflict, "archive.lot_changed", "sku", p.Lots[0].SKU, "lot", p.Lots[0].Lot)
	}
	return nil
}

// pruneLots moves the event's lots to archived_lots (each idle: nothing
// else leaves).
func pruneLots(tx *txn, p HistoryArchived) error {
	for _, r := range p.Lots {
		k := lotKey(OwnerOr(r.Owner), r.SKU, r.Lot)
		lot, found, err := lookup[Lot](tx, bucketLots, k)
		if err != nil {
			return err
		}
		if !found {
			continue
		}
		if !lotShelvesEmpty(tx, k) {
			return Errf(CodeConflict, "archive.lot_changed", "sku", r.SKU, "lot", r.Lot)
		}
		if err := tx.Bucket(bucketLots).Delete(k); err != nil {
			return err
		}
		if err := tx.Bucket(bucketArchivedLots).Put(k, lotGoneValue(lot)); err != nil {
			return err
		}
	}
	return nil
}

// sweepArchivedLots adds to a sweep the archived lots past their expiry
// not yet expired (decideLotsSwept).
func sweepArchivedLots(tx *txn, today string, fn func(LotRef)) error {
	return tx.Bucket(bucketArchivedLots).ForEach(func(k, v []byte) error {
		parts := splitKey(k)
		if len(parts) != 3 {
			return &DamagedRecordError{Bucket: string(bucketArchivedLots), Key: string(k), Err: errors.New("bad key")}
		}
		lot, ok := lotFromGone(parts[1], parts[2], v)
		if !ok {
			return &DamagedRecordError{Bucket: string(bucketArchivedLots), Key: string(k), Err: errors.New("bad archived lot")}
		}
		if lot.Expiry != "" && lot.Expiry < today && lot.Status != LotExpired {
			fn(LotRef{envelopeOwner(parts[0]), parts[1], parts[2]})
		}
		return nil
	})
}

// expireArchivedLot expires an archived lot in its entry (false: it is not
// archived).
func expireArchivedLot(tx *txn, owner, sku, code string) (bool, error) {
	k := lotKey(owner, sku, code)
	v := tx.Bucket(bucketArchivedLots).Get(k)
	if v == nil {
		return false, nil
	}
	lot, ok := lotFromGone(sku, code, v)
	if !ok {
		return true, &DamagedRecordError{Bucket: string(bucketArchivedLots), Key: string(k), Err: errors.New("bad archived lot")}
	}
	lot.Status = LotExpired
	return true, tx.Bucket(bucketArchivedLots).Put(k, lotGoneValue(lot))
}
