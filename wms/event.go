package wms

import (
	"encoding/json"
	"time"
	"unicode/utf8"
)

// Event is one floor action. Its ID is made where the action happened (the
// handheld makes a UUID per scan) so that a retry carries the same ID and is
// applied once. Seq and At are set by the ledger when the event is appended.
type Event struct {
	ID  string `json:"id"`
	Seq uint64 `json:"seq"`
	// Epoch is the store's epoch when the event was appended (standby.go):
	// left out while it is 1, so events from before epochs existed are alike.
	Epoch  uint64 `json:"epoch,omitempty"`
	Type   string `json:"type"`
	Actor  string `json:"actor,omitempty"`  // staff badge, "token:NAME" or "system"
	Device string `json:"device,omitempty"` // handheld or station name, or "cli"
	// Owner is the owner (货主) whose goods or orders the event is about, for
	// the catalogue's ScopeOwner types; empty means DefaultOwner (every event
	// written before owners existed). See OwnerOf.
	Owner string          `json:"owner,omitempty"`
	At    time.Time       `json:"at"`
	Data  json.RawMessage `json:"data"`
	// decoded, when set, is Data as its payload value, so that applying an
	// event made in this process need not decode what was just encoded
	// (bulk intake, orders_batch.go); never stored, never read back.
	decoded any
	// digests, when set, are the digests (OrderIntake.Digest) of decoded's
	// orders (an OrderIntake, or an Import's Orders), each validated by the
	// event's maker: applying it need not check and hash them again
	// (order_intake_fast.go); never stored.
	digests []string
	// booked, when set, is the order's books as a batch read them in the
	// transaction that appends the event, its owner, SKUs and archive
	// checked (orders_batch.go): applying need not read them again.
	booked *orderBooks
	// ahead, during a replay, is the payload decoded ahead of the apply,
	// each value for one decode (replay_ahead.go); never stored.
	ahead []any
}

// Event types. The payload of each is the struct named beside it; the
// catalogue (catalogue.go) is the table that says so in code.
const (
	EvSKUUpserted      = "sku.upserted"      // SKU
	EvLocationUpserted = "location.upserted" // Location
	EvStaffUpserted    = "staff.upserted"    // StaffChange
	EvImported         = "master.imported"   // Import
	EvStockAdjusted    = "stock.adjusted"    // StockAdjustment
	EvLoginSucceeded   = "login.succeeded"   // LoginSucceeded
	EvLoginFailed      = "login.failed"      // LoginFailed
	EvLoggedOut        = "logout"            // LoggedOut
	EvSessionsSwept    = "sessions.swept"    // SessionsSwept
	EvPINChanged       = "pin.changed"       // PINChanged
	EvTokenCreated     = "token.created"     // TokenCreated
	EvOrderReceived    = "order.received"    // OrderIntake
	EvOrderCancelled   = "order.cancelled"   // OrderCancel
	EvOrderHeld        = "order.held"        // OrderHold
	EvSettingsChanged  = "settings.changed"  // Settings
	EvWaveReleased     = "wave.released"     // WaveRelease
	EvTaskStarted      = "task.started"      // TaskStart
	EvPicked           = "pick.scanned"      // PickScan
	EvPickUndone       = "pick.undone"       // PickUndo
	EvShortReported    = "pick.short"        // ShortReport
	EvScanRejected     = "scan.rejected"     // ScanRejected
	EvPutBack          = "putback.scanned"   // PutBackScan
	EvLotStatus        = "lot.status"        // LotStatusChange
	EvLotRecalled      = "lot.recalled"      // LotStatusChange (status hold)
	EvLotsSwept        = "lots.swept"        // LotsSwept
	EvHistoryArchived  = "history.archived"  // HistoryArchived
	EvReceiptExpected  = "receipt.expected"  // ReceiptIn
	EvReceived         = "stock.received"    // Receiving
	EvReceiptClosed    = "receipt.closed"    // ReceiptClose
	EvReceiveRefused   = "receipt.refused"   // ReceiveRefusal
	EvMoved            = "stock.moved"       // Move
	EvCountRequested   = "count.requested"   // CountRequest
	EvCounted          = "count.submitted"   // CountSubmit
	EvCountDecided     = "count.decided"     // CountDecision
	EvMoveTasks        = "move.tasks"        // MoveTasks
	EvBoxUpserted      = "box.upserted"      // Box
	EvStationUpserted  = "station.upserted"  // Station
	EvWaybillsLoaded   = "waybills.loaded"   // WaybillLoad
	EvPackScanned      = "pack.scanned"      // PackScan
	EvParcelClosed     = "parcel.closed"     // ParcelClose
	EvWeightRejected   = "parcel.rejected"   // WeightRejected
	EvShipped          = "order.shipped"     // ShipConfirm
	EvPrintRequested   = "print.requested"   // PrintRequest
	EvPrinted          = "print.result"      // PrintResult
	EvPrintRetried     = "print.retried"     // PrintRetry
	EvReturnAnnounced  = "return.announced"  // RMA
	EvReturnReceived   = "return.received"   // ReturnParcel
	EvReturnMatched    = "return.matched"    // ReturnMatch
	EvOwnerUpserted    = "owner.upserted"    // Owner

	EvUpstreamSaved       = "sync.upstream.saved"  // Upstream
	EvSyncAcked           = "sync.acked"           // SyncAck
	EvSyncPulled          = "sync.pulled"          // SyncPull
	EvDeadLetterDecided   = "sync.dead_letter"     // DeadLetterDecision
	EvChangeRefused       = "change.refused"       // ChangeRefusal
	EvInstructionReceived = "instruction.received" // Instruction
	EvStockReconciled     = "stock.reconciled"     // Reconciliation

	EvGapExplained = "work.gap_reason" // GapReason
)

// DefaultOwner is the owner of everything that names none: a warehouse with
// one merchant never has to name it.
const DefaultOwner = "DEFAULT"

// StaffChange creates or changes a staff member. An empty PINHash keeps the current PIN.
type StaffChange struct {
	Badge         string `json:"badge"`
	Name          string `json:"name"`
	Role          Role   `json:"role"`
	Language      string `json:"language,omitempty"`
	PINHash       string `json:"pin_hash,omitempty"`
	Disabled      bool   `json:"disabled,omitempty"`
	MustChangePIN bool   `json:"must_change_pin,omitempty"`
	Temporary     bool   `json:"temporary,omitempty"` // agency or seasonal staff (figures shown apart)
}

// StockRow is one line of opening stock: the quantity of a SKU's lot at a location.
type StockRow struct {
	Owner    string `json:"owner,omitempty"` // empty: the default owner
	SKU      string `json:"sku"`
	Lot      string `json:"lot,omitempty"`
	Expiry   string `json:"expiry,omitempty"`
	Location string `json:"location"`
	Qty      int64  `json:"qty"`
}

// Import is a whole file of master data or opening stock, applied all or nothing.
type Import struct {
	Kind      ImportKind    `json:"kind"`
	File      string        `json:"file,omitempty"`
	SKUs      []SKU         `json:"skus,omitempty"`
	Locations []Location    `json:"locations,omitempty"`
	Staff     []StaffChange `json:"staff,omitempty"`
	Stock     []StockRow    `json:"stock,omitempty"`
	Orders    []OrderIntake `json:"orders,omitempty"`
	Receipts  []ReceiptIn   `json:"receipts,omitempty"`
	Boxes     []Box         `json:"boxes,omitempty"`
	Waybills  []WaybillLoad `json:"waybills,omitempty"`
}

// StockAdjustment changes the quantity at one place by Delta, never below zero.
type StockAdjustment struct {
	Owner    string `json:"owner,omitempty"` // the command moves it to the event's envelope
	SKU      string `json:"sku"`
	Lot      string `json:"lot,omitempty"`
	Expiry   string `json:"expiry,omitempty"`
	Location string `json:"location"`
	Delta    int64  `json:"delta"`
	Reason   string `json:"reason"`
	// Instruction names the upstream's stock instruction ("upstream/id")
	// this adjustment carries out, which it closes.
	Instruction string `json:"instruction,omitempty"`
}

type LoginSucceeded struct {
	Badge       string    `json:"badge"`
	SessionHash string    `json:"session_hash"`
	ExpiresAt   time.Time `json:"expires_at"`
}

type LoginFailed struct {
	Badge  string `json:"badge"`
	Reason string `json:"reason"` // a message key: login.wrong_pin, pin.current_wrong, login.locked, ...
	// LockedUntil is set on the wrong PIN that locked the badge (decided when appended).
	LockedUntil *time.Time `json:"locked_until,omitempty"`
}

type LoggedOut struct {
	SessionHash string `json:"session_hash"`
}

type PINChanged struct {
	Badge   string `json:"badge"`
	PINHash string `json:"pin_hash"`
}

type TokenCreated struct {
	Name string `json:"name"`
	Role Role   `json:"role"`
	Hash string `json:"hash"`
}

// ownerFor is the owner an owner's event is about: its envelope's. A payload
// that names another owner is refused (commands move the payload's owner to
// the envelope).
func ownerFor(ev *Event, payload string) (string, error) {
	o := OwnerOr(ev.Owner) // (not OwnerOf: the catalogue's appliers call this)
	if payload != "" && OwnerOr(payload) != o {
		return "", Errf(CodeInvalid, "event.owner_mismatch", "owner", payload, "envelope", o)
	}
	return o, nil
}

// newOwnedEvent builds an owner's event: the owner goes in the envelope.
func newOwnedEvent(id, typ, actor, device, owner string, data any) (Event, error) {
	ev, err := NewEvent(id, typ, actor, device, data)
	ev.Owner = envelopeOwner(owner)
	return ev, err
}

// NewEvent builds an event with its payload encoded.
func NewEvent(id, typ, actor, device string, data any) (Event, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return Event{}, err
	}
	return Event{ID: id, Type: typ, Actor: actor, Device: device, Data: raw}, nil
}

// MaxEventID is the longest event ID the ledger stores. A client's key is
// at most 128 bytes (server/idempotency.go); the ledger's own IDs add to
// one a prefix ("orders:"), or an owner, an order number and a digest
// ("order:OWNER:NO:DIGEST", up to 6+64+1+64+1+24 bytes).
const MaxEventID = 256

func (ev *Event) validate() error {
	if ev.ID == "" || len(ev.ID) > MaxEventID || !utf8.ValidString(ev.ID) {
		return Errf(CodeInvalid, "event.id_invalid")
	}
	if _, ok := specs[ev.Type]; !ok {
		return Errf(CodeInvalid, "event.type_unknown", "type", ev.Type)
	}
	if len(ev.Actor) > 128 || len(ev.Device) > 128 || len(ev.Owner) > 64 {
		return Errf(CodeInvalid, "event.too_long")
	}
	return nil
}
