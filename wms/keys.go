package wms

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"
)

// Every bucket name and key encoder lives in this file.
//
// The event log (bucketEvents, bucketEventIDs) is the truth. Every bucket in
// derivedBuckets is a projection: Rebuild recomputes it from the log, and Check
// proves the stored projection equals the rebuild byte for byte. bucketMeta
// holds the store's own settings (schema version, the secret for CSRF tokens)
// and is neither an event nor a projection. bucketKeys belongs to the log:
// a keyed command's first answer, written once with its event, never rebuilt.
var (
	bucketEvents   = []byte("events")     // seq -> event JSON
	bucketEventIDs = []byte("event_ids")  // event ID -> seq
	bucketMeta     = []byte("meta")       // name -> value
	bucketKeys     = []byte("event_keys") // ID -> keyRecord JSON: a keyed command's request and first answer (idempotency.go)
	bucketKeySeqs  = []byte("key_seqs")   // seq 0 key ID -> empty: the keys other than its own ID an event's write recorded (standby.go)

	bucketSKUs           = []byte("skus")               // owner 0 sku code -> SKU JSON
	bucketGTINs          = []byte("gtins")              // 14-digit GTIN 0 owner -> sku code (a GTIN may be two owners')
	bucketLocations      = []byte("locations")          // location code -> Location JSON
	bucketLots           = []byte("lots")               // owner 0 sku 0 lot -> Lot JSON
	bucketStock          = []byte("stock")              // owner 0 sku 0 lot 0 location -> qty (8 bytes)
	bucketStockByLoc     = []byte("stock_by_loc")       // location 0 owner 0 sku 0 lot -> empty: the key indexes stock by location (its qty is stock's)
	bucketStaff          = []byte("staff")              // badge -> Staff JSON
	bucketSessions       = []byte("sessions")           // sha256(session token) -> Session JSON
	bucketTokens         = []byte("tokens")             // sha256(API token) -> Token JSON
	bucketByType         = []byte("by_type")            // event type 0 seq -> empty
	bucketReserved       = []byte("reserved")           // owner 0 sku 0 lot 0 location -> qty reserved by allocations (8 bytes)
	bucketOrders         = []byte("orders")             // owner 0 order number -> Order (binary: ordercodec.go)
	bucketOrderState     = []byte("order_state")        // state 0 owner 0 order number -> OrderBrief (orderbrief.go)
	bucketWaves          = []byte("waves")              // wave ID -> Wave JSON
	bucketTasks          = []byte("tasks")              // task ID -> Task (binary: taskcodec.go)
	bucketTaskQueue      = []byte("task_queue")         // state 0 priority 0 task ID -> empty (open tasks in the order to hand out)
	bucketTotes          = []byte("totes")              // tote code -> TaskOrder JSON (the order it holds, with its owner)
	bucketActorTask      = []byte("actor_task")         // actor -> ID of the task in their hands
	bucketLotEvents      = []byte("lot_events")         // owner 0 sku 0 lot 0 seq -> empty: the events that touched a lot
	bucketSerials        = []byte("serials")            // serial -> SerialTrace JSON
	bucketReceipts       = []byte("receipts")           // owner 0 receipt ID -> Receipt JSON
	bucketCounts         = []byte("counts")             // task ID -> CountResult JSON (pending approval or applied)
	bucketSerialHolds    = []byte("serial_holds")       // serial -> LotStatusChange JSON (why it is held)
	bucketBoxes          = []byte("boxes")              // box code -> Box JSON
	bucketStations       = []byte("stations")           // station ID -> Station JSON
	bucketWaybillPool    = []byte("waybill_pool")       // owner 0 account 0 position -> waybill number (unused, in order)
	bucketWaybillIndex   = []byte("waybill_index")      // waybill number -> account (every number ever loaded)
	bucketWaybillUsed    = []byte("waybill_used")       // waybill number -> owner 0 order
	bucketPacks          = []byte("packs")              // owner 0 order -> PackState JSON
	bucketShipped        = []byte("shipped_serials")    // serial -> owner 0 order it is packed into
	bucketPrintJobs      = []byte("print_jobs")         // job ID -> PrintJob JSON
	bucketPrintQueue     = []byte("print_queue")        // job ID -> empty, while it waits for the printer
	bucketOrderPrints    = []byte("order_prints")       // owner 0 order 0 seq -> job ID: an order's print jobs, oldest first
	bucketRMAs           = []byte("rmas")               // owner 0 RMA -> RMA JSON
	bucketReturnWaybills = []byte("return_waybills")    // return parcel waybill -> owner 0 RMA
	bucketReturns        = []byte("returns")            // parcel ID -> ReturnParcel JSON
	bucketReturnSeen     = []byte("return_seen")        // return parcel waybill -> parcel ID
	bucketOrderReturns   = []byte("order_returns")      // owner 0 order -> {sku 0 lot: units returned}
	bucketReturnStats    = []byte("return_stats")       // day -> ReturnStats JSON
	bucketSettings       = []byte("settings")           // name -> JSON value
	bucketScanKPI        = []byte("scan_kpi")           // day 0 actor -> ScanStats JSON; also owners' parts, hours and last activities (figurekeys.go)
	bucketOwnerKPI       = []byte("owner_kpi")          // retired (figurekeys.go): day 0 owner 0 actor -> ScanStats JSON: the part of a day's figures that was one owner's goods
	bucketOwnerReturns   = []byte("owner_return_stats") // day 0 owner -> ReturnStats JSON
	bucketOwners         = []byte("owners")             // owner code -> Owner JSON (the default owner is implied)
	// staff work (work.go)
	bucketWorkLast  = []byte("work_last")  // retired (figurekeys.go): actor -> workLast JSON: the person's last activity
	bucketWorkHours = []byte("work_hours") // retired (figurekeys.go): UTC hour "2006-01-02T15" 0 actor 0 kind 0 owner -> HourWork JSON
	bucketWorkGaps  = []byte("work_gaps")  // actor 0 from (gapTime) -> WorkGap JSON: pauses over MinGap
	bucketWorkUnits = []byte("work_units") // actor 0 kind 0 unit -> WorkUnit JSON
	// sync (syncstate.go, upstreams.go, refusals.go, reconcile.go)
	bucketUpstreams       = []byte("upstreams")       // name -> Upstream JSON (with its token and secret)
	bucketSyncState       = []byte("sync_state")      // upstream name -> SyncState JSON (its cursors)
	bucketDeadLetters     = []byte("dead_letters")    // upstream 0 seq -> DeadLetter JSON
	bucketRefusals        = []byte("change_refusals") // upstream 0 seq -> ChangeRefusal JSON
	bucketInstructions    = []byte("instructions")    // owner 0 upstream 0 id -> Instruction JSON
	bucketReconciliations = []byte("reconciliations") // seq -> Reconciliation JSON
	// exceptions (exceptions.go)
	bucketExceptionAcks = []byte("exception_acks") // kind 0 ref -> ackRecord JSON: who reviewed an exception no other event resolves
	// stock to the channels (channelstock.go)
	bucketChannelStock = []byte("channel_stock") // upstream name -> StockRules JSON
	// archiving (prune.go, archive.go)
	bucketArchivedOrders = []byte("archived_orders") // owner 0 order number -> archive file 0 offset (8 bytes): where an archived order is kept

	bucketArchivedReceipts = []byte("archived_receipts") // owner 0 receipt ID -> archive file 0 offset (8 bytes): where a closed receipt is kept (receiptarchive.go)
	bucketArchivedReturns  = []byte("archived_returns")  // parcel ID -> archive file 0 offset (8 bytes): where a done return parcel is kept (parcelarchive.go)
	bucketArchivedLots     = []byte("archived_lots")     // owner 0 sku 0 lot -> owner 0 status 0 expiry: a lot with nothing left (lotleave.go)
)

var derivedBuckets = [][]byte{
	bucketSKUs, bucketGTINs, bucketLocations, bucketLots, bucketStock,
	bucketStockByLoc, bucketStaff, bucketSessions, bucketTokens, bucketByType,
	bucketReserved, bucketOrders, bucketOrderState, bucketWaves, bucketTasks, bucketTaskQueue,
	bucketTotes, bucketSettings, bucketScanKPI, bucketActorTask, bucketLotEvents, bucketSerials,
	bucketReceipts, bucketCounts, bucketSerialHolds, bucketBoxes, bucketStations, bucketWaybillPool,
	bucketWaybillIndex, bucketWaybillUsed, bucketPacks, bucketShipped, bucketPrintJobs, bucketPrintQueue,
	bucketOrderPrints, bucketRMAs, bucketOwners, bucketReturnWaybills, bucketReturns, bucketReturnSeen, bucketOrderReturns, bucketReturnStats,
	bucketOwnerReturns,
	bucketWorkGaps, bucketWorkUnits,
	bucketUpstreams, bucketSyncState, bucketDeadLetters, bucketRefusals, bucketInstructions, bucketReconciliations,
	bucketExceptionAcks,
	bucketChannelStock,
	bucketArchivedOrders,
	bucketWaveQueue,
	bucketArchivedReceipts,
	bucketArchivedReturns,
	bucketArchivedLots,
	bucketUnitMembers, // unitarchive.go
}

var logBuckets = [][]byte{bucketEvents, bucketEventIDs, bucketKeys, bucketKeySeqs, bucketMeta}

const sep = 0x00

// keySeqKey indexes a key under the sequence number of the event it was
// first used for: seq (8 bytes) ‖ key ID.
func keySeqKey(seq uint64, id string) []byte {
	return append(seqKey(seq), id...)
}

// seqKey is the 8-byte big-endian form of a ledger sequence number, so keys sort by sequence.
func seqKey(seq uint64) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, seq)
	return k
}

func seqFromKey(k []byte) uint64 { return binary.BigEndian.Uint64(k) }

// joinKey joins parts with the 0x00 separator. Codes never contain 0x00: every
// code is validated as printable text before it reaches a key.
func joinKey(parts ...string) []byte {
	n := len(parts) - 1
	for _, p := range parts {
		n += len(p)
	}
	k := make([]byte, 0, n)
	for i, p := range parts {
		if i > 0 {
			k = append(k, sep)
		}
		k = append(k, p...)
	}
	return k
}

// prefixKey is joinKey plus a trailing separator: the prefix of every key under parts.
func prefixKey(parts ...string) []byte { return append(joinKey(parts...), sep) }

func splitKey(k []byte) []string {
	fields := bytes.Split(k, []byte{sep})
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = string(f)
	}
	return out
}

// Every key of an owner's records leads with the owner (always the
// normalised code, DefaultOwner for the default owner), so two owners may use
// the same item code, order number or receipt ID.
func skuKey(owner, code string) []byte                 { return joinKey(owner, code) }
func gtinKey(gtin, owner string) []byte                { return joinKey(gtin, owner) }
func lotKey(owner, sku, lot string) []byte             { return joinKey(owner, sku, lot) }
func stockKey(owner, sku, lot, loc string) []byte      { return joinKey(owner, sku, lot, loc) }
func stockByLocKey(loc, owner, sku, lot string) []byte { return joinKey(loc, owner, sku, lot) }
func orderKey(owner, no string) []byte                 { return joinKey(owner, no) }
func receiptKey(owner, id string) []byte               { return joinKey(owner, id) }
func rmaKey(owner, rma string) []byte                  { return joinKey(owner, rma) }
func byTypeKey(typ string, seq uint64) []byte          { return append(prefixKey(typ), seqKey(seq)...) }

func orderStateKey(state OrderState, owner, no string) []byte {
	return joinKey(string(state), owner, no)
}

// splitPair reads an owner 0 code value (order_returns, waybill_used,
// shipped_serials, return_waybills).
func splitPair(v []byte) (owner, code string) {
	parts := splitKey(v)
	if len(parts) != 2 {
		return DefaultOwner, string(v)
	}
	return parts[0], parts[1]
}

// taskQueueKey sorts open tasks: put-backs first, then picks, then counts
// (which pickers are not handed); within a kind by priority (higher first,
// stored inverted), then by ID.
func taskQueueKey(state TaskState, t *Task) []byte {
	rank := 1
	switch t.Kind {
	case TaskPutBack:
		rank = 0
	case TaskCount:
		rank = 2
	case TaskMove:
		rank = 3
	}
	return joinKey(string(state), fmt.Sprintf("%d%04d", rank, 9999-min(max(t.Priority, 0), 9999)), t.ID)
}

func kpiKey(day, actor string) []byte { return joinKey(day, actor) }

func workHourKey(at time.Time, actor string, kind WorkKind, owner string) []byte {
	return joinKey(hourOf(at), actor, string(kind), owner)
}
func workGapKey(actor string, from time.Time) []byte { return joinKey(actor, gapTime(from)) }
func workUnitKey(actor string, kind WorkKind, unit string) []byte {
	return joinKey(actor, string(kind), unit)
}

func qtyValue(q int64) []byte {
	v := make([]byte, 8)
	binary.BigEndian.PutUint64(v, uint64(q))
	return v
}

func qtyFromValue(v []byte) int64 {
	if len(v) != 8 {
		return 0
	}
	return int64(binary.BigEndian.Uint64(v))
}
