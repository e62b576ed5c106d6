package wms

// The event catalogue: every event type the ledger knows, in one table. Each
// entry names the Go type of its payload, the payload's version and whose
// event it is. The ledger takes its appliers from here, so a type missing from
// the table cannot be appended. docs/events.md is generated from it
// (TestEventsDoc -update).

// Scope says whose event a type is.
type Scope string

const (
	// ScopeWarehouse events are about the building, its people and devices
	// (staff, logins, locations, stations, settings, print jobs): no owner.
	ScopeWarehouse Scope = "warehouse"
	// ScopeOwner events are about one owner's goods or orders; Event.Owner
	// names the owner, and an event without one is the default owner's.
	ScopeOwner Scope = "owner"
	// ScopeMixed events may touch several owners' goods at once (a wave, a
	// count of a shelf, a whole file): their payload says whose each part is.
	ScopeMixed Scope = "mixed"
)

// EventSpec describes one event type.
type EventSpec struct {
	Type    string
	Payload any // the zero value of the payload's Go type
	Version int // the payload's version; a change that old readers would misread bumps it
	Scope   Scope
	apply   applier
	// decide, where a type has one, makes the event's decisions when it is
	// appended (decide.go); replay never runs it.
	decide decider
	// Outward is the zero value of the shape the type goes upstream as
	// (outward.go), made by outward; nil for a type that never goes upstream
	// (logins, sessions, tokens, settings, master data the warehouse keeps,
	// tasks, allocations, print jobs, ...).
	Outward any
	outward outwardFn
}

var catalogue = []EventSpec{
	{Type: EvSKUUpserted, Payload: SKU{}, Version: 1, Scope: ScopeOwner, apply: applySKU},
	{Type: EvLocationUpserted, Payload: Location{}, Version: 1, Scope: ScopeWarehouse, apply: applyLocation},
	{Type: EvStaffUpserted, Payload: StaffChange{}, Version: 1, Scope: ScopeWarehouse, apply: applyStaff},
	{Type: EvImported, Payload: Import{}, Version: 1, Scope: ScopeMixed, apply: applyImport, Outward: OutOpeningStock{}, outward: outward(outImported)},
	{Type: EvStockAdjusted, Payload: StockAdjustment{}, Version: 1, Scope: ScopeOwner, apply: applyStockAdjusted, Outward: OutStockChange{}, outward: outward(outStockAdjusted)},
	{Type: EvLoginSucceeded, Payload: LoginSucceeded{}, Version: 1, Scope: ScopeWarehouse, apply: applyLoginSucceeded},
	{Type: EvLoginFailed, Payload: LoginFailed{}, Version: 1, Scope: ScopeWarehouse, apply: applyLoginFailed, decide: decideLoginFailed},
	{Type: EvLoggedOut, Payload: LoggedOut{}, Version: 1, Scope: ScopeWarehouse, apply: applyLoggedOut},
	{Type: EvSessionsSwept, Payload: SessionsSwept{}, Version: 1, Scope: ScopeWarehouse, apply: applySessionsSwept, decide: decideSessionsSwept},
	{Type: EvPINChanged, Payload: PINChanged{}, Version: 1, Scope: ScopeWarehouse, apply: applyPINChanged},
	{Type: EvTokenCreated, Payload: TokenCreated{}, Version: 1, Scope: ScopeWarehouse, apply: applyTokenCreated},
	{Type: EvOrderReceived, Payload: OrderIntake{}, Version: 1, Scope: ScopeOwner, apply: applyOrderReceived, Outward: OutOrderAccepted{}, outward: outward(outOrderReceived)},
	{Type: EvOrderCancelled, Payload: OrderCancel{}, Version: 1, Scope: ScopeOwner, apply: applyOrderCancelled, Outward: OutOrderCancelled{}, outward: outward(outOrderCancelled)},
	{Type: EvSettingsChanged, Payload: Settings{}, Version: 1, Scope: ScopeWarehouse, apply: applySettings},
	{Type: EvWaveReleased, Payload: WaveRelease{}, Version: 1, Scope: ScopeMixed, apply: applyWaveReleased, decide: decideWaveReleased},
	{Type: EvTaskStarted, Payload: TaskStart{}, Version: 1, Scope: ScopeWarehouse, apply: applyTaskStarted, decide: decideTaskStart},
	{Type: EvPicked, Payload: PickScan{}, Version: 1, Scope: ScopeOwner, apply: applyPicked},
	{Type: EvPickUndone, Payload: PickUndo{}, Version: 1, Scope: ScopeOwner, apply: applyPickUndone},
	{Type: EvShortReported, Payload: ShortReport{}, Version: 1, Scope: ScopeOwner, apply: applyShortReported, decide: decideShortReported, Outward: OutShortPick{}, outward: outward(outShortReported)},
	{Type: EvScanRejected, Payload: ScanRejected{}, Version: 1, Scope: ScopeWarehouse, apply: applyScanRejected},
	{Type: EvPutBack, Payload: PutBackScan{}, Version: 1, Scope: ScopeOwner, apply: applyPutBack},
	{Type: EvLotStatus, Payload: LotStatusChange{}, Version: 1, Scope: ScopeOwner, apply: applyLotStatus, decide: decideLotStatus, Outward: OutLotStatus{}, outward: outward(outLotStatus)},
	{Type: EvLotRecalled, Payload: LotStatusChange{}, Version: 1, Scope: ScopeOwner, apply: applyLotStatus, decide: decideLotStatus, Outward: OutLotStatus{}, outward: outward(outLotStatus)},
	{Type: EvLotsSwept, Payload: LotsSwept{}, Version: 1, Scope: ScopeMixed, apply: applyLotsSwept, decide: decideLotsSwept, Outward: OutLotsExpired{}, outward: outward(outLotsSwept)},
	{Type: EvHistoryArchived, Payload: HistoryArchived{}, Version: 1, Scope: ScopeMixed, apply: applyHistoryArchived, decide: decideHistoryArchived},
	{Type: EvHistoryArchivedV2, Payload: HistoryArchived{}, Version: 2, Scope: ScopeMixed, apply: applyHistoryArchived, decide: decideHistoryArchived},
	{Type: EvLogArchived, Payload: LogArchived{}, Version: 1, Scope: ScopeWarehouse, apply: applyLogArchived},
	{Type: EvReceiptExpected, Payload: ReceiptIn{}, Version: 1, Scope: ScopeOwner, apply: applyReceiptExpected},
	{Type: EvReceived, Payload: Receiving{}, Version: 1, Scope: ScopeOwner, apply: applyReceived, decide: decideReceived, Outward: OutReceived{}, outward: outward(outReceived)},
	{Type: EvReceiptClosed, Payload: ReceiptClose{}, Version: 1, Scope: ScopeOwner, apply: applyReceiptClosed, Outward: OutReceiptClosed{}, outward: outward(outReceiptClosed)},
	{Type: EvReceiveRefused, Payload: ReceiveRefusal{}, Version: 1, Scope: ScopeOwner, apply: applyReceiveRefused, Outward: OutReceiptRefused{}, outward: outward(outReceiveRefused)},
	{Type: EvMoved, Payload: Move{}, Version: 1, Scope: ScopeMixed, apply: applyMoved, decide: decideMoved},
	{Type: EvCountRequested, Payload: CountRequest{}, Version: 1, Scope: ScopeWarehouse, apply: applyCountRequested},
	{Type: EvCounted, Payload: CountSubmit{}, Version: 1, Scope: ScopeMixed, apply: applyCounted, decide: decideCounted, Outward: OutCountAdjusted{}, outward: outward(outCounted)},
	{Type: EvCountDecided, Payload: CountDecision{}, Version: 1, Scope: ScopeMixed, apply: applyCountDecided, Outward: OutCountAdjusted{}, outward: outward(outCountDecided)},
	{Type: EvMoveTasks, Payload: MoveTasks{}, Version: 1, Scope: ScopeMixed, apply: applyMoveTasks},
	{Type: EvBoxUpserted, Payload: Box{}, Version: 1, Scope: ScopeWarehouse, apply: applyBox},
	{Type: EvStationUpserted, Payload: Station{}, Version: 1, Scope: ScopeWarehouse, apply: applyStation},
	{Type: EvWaybillsLoaded, Payload: WaybillLoad{}, Version: 1, Scope: ScopeOwner, apply: applyWaybills},
	{Type: EvPackScanned, Payload: PackScan{}, Version: 1, Scope: ScopeOwner, apply: applyPackScanned, decide: decidePackScanned},
	{Type: EvParcelClosed, Payload: ParcelClose{}, Version: 1, Scope: ScopeOwner, apply: applyParcelClosed, decide: decideParcelClosed},
	{Type: EvWeightRejected, Payload: WeightRejected{}, Version: 1, Scope: ScopeOwner, apply: applyWeightRejected},
	{Type: EvShipped, Payload: ShipConfirm{}, Version: 1, Scope: ScopeOwner, apply: applyShipped, decide: decideShipped, Outward: OutShipment{}, outward: outward(outShipped)},
	{Type: EvPrintRequested, Payload: PrintRequest{}, Version: 1, Scope: ScopeWarehouse, apply: applyPrintRequested},
	{Type: EvPrinted, Payload: PrintResult{}, Version: 1, Scope: ScopeWarehouse, apply: applyPrinted},
	{Type: EvPrintRetried, Payload: PrintRetry{}, Version: 1, Scope: ScopeWarehouse, apply: applyPrintRetried},
	{Type: EvReturnAnnounced, Payload: RMA{}, Version: 1, Scope: ScopeOwner, apply: applyRMA},
	{Type: EvReturnReceived, Payload: ReturnParcel{}, Version: 1, Scope: ScopeOwner, apply: applyReturnReceived, decide: decideReturnReceived, Outward: OutReturn{}, outward: outward(outReturnReceived)},
	{Type: EvGapExplained, Payload: GapReason{}, Version: 1, Scope: ScopeWarehouse, apply: applyGapExplained},
	{Type: EvNodePromoted, Payload: NodePromoted{}, Version: 1, Scope: ScopeWarehouse, apply: applyNodePromoted},
	{Type: EvIDsArchived, Payload: IDsArchived{}, Version: 1, Scope: ScopeWarehouse, apply: applyIDsArchived},
	{Type: EvLotsArchived, Payload: LotsArchived{}, Version: 1, Scope: ScopeWarehouse, apply: applyLotsArchived},
	{Type: EvOrdersTabled, Payload: OrdersTabled{}, Version: 1, Scope: ScopeWarehouse, apply: applyOrdersTabled},
	{Type: EvUnitsArchived, Payload: UnitsArchived{}, Version: 1, Scope: ScopeWarehouse, apply: applyUnitsArchived},
	{Type: EvReturnMatched, Payload: ReturnMatch{}, Version: 1, Scope: ScopeOwner, apply: applyReturnMatched, Outward: OutReturn{}, outward: outward(outReturnMatched)},
	{Type: EvOwnerUpserted, Payload: Owner{}, Version: 1, Scope: ScopeWarehouse, apply: applyOwner},
	{Type: EvUpstreamSaved, Payload: Upstream{}, Version: 1, Scope: ScopeWarehouse, apply: applyUpstream, decide: decideUpstream},
	{Type: EvSyncAcked, Payload: SyncAck{}, Version: 1, Scope: ScopeWarehouse, apply: applySyncAcked},
	{Type: EvSyncPulled, Payload: SyncPull{}, Version: 1, Scope: ScopeWarehouse, apply: applySyncPulled},
	{Type: EvDeadLetterDecided, Payload: DeadLetterDecision{}, Version: 1, Scope: ScopeWarehouse, apply: applyDeadLetterDecided},
	{Type: EvChangeRefused, Payload: ChangeRefusal{}, Version: 1, Scope: ScopeOwner, apply: applyChangeRefused, Outward: OutChangeRefused{}, outward: outward(outChangeRefused)},
	{Type: EvInstructionReceived, Payload: Instruction{}, Version: 1, Scope: ScopeOwner, apply: applyInstructionReceived},
	{Type: EvStockReconciled, Payload: Reconciliation{}, Version: 1, Scope: ScopeOwner, apply: applyReconciled, Outward: OutReconciled{}, outward: outward(outReconciled)},
	{Type: EvExceptionAcknowledged, Payload: ExceptionAck{}, Version: 1, Scope: ScopeWarehouse, apply: applyExceptionAcknowledged, decide: decideExceptionAcknowledged},
	{Type: EvOrderHeld, Payload: OrderHold{}, Version: 1, Scope: ScopeOwner, apply: applyOrderHeld},
	{Type: EvChannelStockSaved, Payload: StockRules{}, Version: 1, Scope: ScopeWarehouse, apply: applyChannelStock},
}

// Catalogue lists every event type, in the order of the table.
func Catalogue() []EventSpec { return append([]EventSpec(nil), catalogue...) }

// specs indexes the catalogue by type.
var specs = func() map[string]*EventSpec {
	m := make(map[string]*EventSpec, len(catalogue))
	for i := range catalogue {
		m[catalogue[i].Type] = &catalogue[i]
	}
	return m
}()

// SpecOf returns the catalogue's entry for an event type.
func SpecOf(typ string) (EventSpec, bool) {
	s, ok := specs[typ]
	if !ok {
		return EventSpec{}, false
	}
	return *s, true
}

// OwnerOf is the owner an event is about: its Owner, the default owner for
// an owner's event that names none (written before owners existed), and ""
// for warehouse and mixed events.
func OwnerOf(ev Event) string {
	s, ok := specs[ev.Type]
	if !ok || s.Scope != ScopeOwner {
		return ""
	}
	if ev.Owner == "" {
		return DefaultOwner
	}
	return ev.Owner
}
