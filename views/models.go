package views

import (
	"net/url"

	"github.com/a-h/templ"
)

// View models: what the server hands the components. Components never reach
// the store; everything they show arrives here.

// User is who is logged in, for the header.
type User struct {
	Badge string
	Name  string
	Role  string
}

// Message is a translated message key and the values it mentions.
type Message struct {
	Key  string
	Args map[string]string
	// Line, when set, is the file line the message is about.
	Line int
}

// Feedback is the answer to the last scan or form: ok or error, with its
// sound and vibration.
type Feedback struct {
	OK      bool
	Message Message
	// Details are further lines, such as every bad row of a CSV file.
	Details []Message
}

// Page is what every screen has.
type Page struct {
	Title    string // message key
	User     *User
	CSRF     string
	Feedback *Feedback
	// Offline names the upstreams unreachable for more than an hour
	// (supervisors' pages only).
	Offline []OfflineBanner
	// DiskFull is set while the server's disk is full (every logged-in page).
	DiskFull *DiskBanner
	// Standby is set on a standby (every page, logged in or not).
	Standby *StandbyBanner
}

// MenuItem is one big button on the home screen.
type MenuItem struct {
	Href, Label, Hint string // Label and Hint are message keys
	TestID            string
}

type LoginPage struct {
	Page
	Badge string // kept after a wrong PIN so only the PIN is typed again
	Next  string
}

type HomePage struct {
	Page
	Menu []MenuItem
}

type PINPage struct {
	Page
	MustChange bool
}

// StockRow is one line of a stock lookup.
type StockRow struct {
	Owner                            string // the owner's code
	SKU, Name, Lot, Expiry, Location string
	Status                           string // lot status key, e.g. "status.hold"; empty when available
	ExpiryNote                       *Message
	Qty                              int64
}

type StockPage struct {
	Page
	// Rows is what is at the scanned place or where the scanned item is.
	Empty  *Message
	ByItem bool // rows are locations of one item (else items at one location)
	Rows   []StockRow
	Total  int64
	Code   string      // the lookup, kept by the owner filter
	Owners OwnerFilter // the owner column and filter (several owners only)
}

// ImportKind is one kind of CSV file on the import page.
type ImportKind struct {
	Kind    string
	Columns string
	Export  bool
}

type ImportPage struct {
	Page
	Kinds   []ImportKind
	Backups *BackupsView // the scheduled backups; nil when none are set
}

type AuditRow struct {
	Time, Who, Device string // Who: the person's name, or the badge tried when nobody has it
	Result            Message
	OK                bool
}

type AuditPage struct {
	Page
	Rows []AuditRow
}

type ErrorPage struct {
	Page
	Status int
}

// PickPage is the picker's screen. The task travels as JSON for the script,
// which checks scans against it without the network.
type PickPage struct {
	Page
	TaskID       string
	TaskJSON     string
	Kind         string // pick or putback
	ShortReasons []string
	Patterns     string // JSON: the location and tote patterns, for telling scans apart
}

// Count is a name with a number.
type Count struct {
	Name string
	N    int
}

// TaskRow is one task on the floor page.
type TaskRow struct {
	ID, Kind, State, Actor, Location string // Kind and State are message keys
	Orders                           int
	Open, Total                      int64
	Owners                           []string // whose orders or goods (codes)
}

// KPIRow is one person's figures today.
type KPIRow struct {
	Actor                               string
	Picks, Units, Lines, Errors, Shorts int64
}

type FloorPage struct {
	Page
	NewOrders    int
	NewByCarrier []Count
	Tasks        []TaskRow
	KPIs         []KPIRow
	AutoWave     bool
	PartialShip  bool
	Owners       OwnerFilter // new orders, tasks and figures of one owner, or all
}

// ReceiptRow is one SKU of a receipt: expected against received.
type ReceiptRow struct {
	SKU                                                string
	Expected, Received, Quarantined, Refused, Variance int64
}

// ReceiveItem is a scanned item waiting for its quantity and place.
type ReceiveItem struct {
	Owner                            string // whose item it is (the receipt's owner)
	Code                             string // the scan, for an item waiting while the one before is put away
	SKU, Name, Lot, Expiry, Location string
	LotTracked                       bool
	Qty                              int64
	QtyTyped                         string // the quantity as typed, shown again when it was refused
	Warning                          string // message key when the shelf-life rule objects
	BadDate                          string // the barcode's date that is no date (as scanned): the expiry is typed from the pack
	Focus                            string // the field to type in next (qty, expiry, location), else the scan box
}

// Putaway is received stock waiting to be put on a shelf.
type Putaway struct {
	SKU, Name, Lot, From, Suggest string
	Qty                           int64
	Next                          *ReceiveItem // scanned before this was put away; in hand after it
}

// OpenReceipt is a receipt still open, in the list of deliveries.
type OpenReceipt struct {
	ID, Owner, Supplier string
	Lines               int
}

type ReceivePage struct {
	Page
	Open     []OpenReceipt // open receipts (of the filter's owner)
	Owners   OwnerFilter
	Owner    string        // the receipt's owner: every step carries it
	Choose   []OpenReceipt // the receipts of several owners with the number scanned, to choose from
	Receipt  string
	Supplier string
	Blind    bool // a delivery without notice: nothing expected, so no difference to show
	Closed   bool // only its summary, nothing more to receive
	Lines    []ReceiptRow
	Item     *ReceiveItem
	Putaway  *Putaway
	Key      string
}

// RecallOrder is an order that took units of a recalled lot.
type RecallOrder struct {
	Order, Channel, State, Waybill string
	Qty                            int64
	Archived                       bool     // read from the archive
	Unread                         *Message // why the order could not be read here (its archive file is missing)
}

type RecallReport struct {
	Name, Expiry, Status string
	Held                 *Message // who recalled the lot, when and why
	Locations            []StockRow
	Total                int64
	Orders               []RecallOrder
}

type RecallPage struct {
	Page
	SKU, Lot, Key string
	Report        *RecallReport
}

type TraceRow struct {
	At, Actor, Type string
	Summary         Message
}

type TracePage struct {
	Page
	SKU, Lot, Serial string
	Heading          *Message
	Rows             []TraceRow
}

type ExpiryRow struct {
	SKU, Name, Lot, Expiry, Location, Status string
	Qty                                      int64
	DaysLeft                                 int
	InQuarantine                             bool
}

type ExpiryPage struct {
	Page
	Rows []ExpiryRow
	Key  string
}

type CountLine struct {
	SKU, Lot       string
	Books, Counted int64
}

type PendingCount struct {
	ID, Location, Actor string
	Lines               []CountLine
}

type CountPage struct {
	Page
	Tasks      []TaskRow
	Pending    []PendingCount
	Supervisor bool
	Task       string
	Location   string
	Lines      []wmsStockRow
	LinesJSON  string
	Key        string
}

// MoveTaskRow is one line of an open move task.
type MoveTaskRow struct {
	SKU, Lot, From, To string
	Qty                int64
}

type MovePage struct {
	Page
	Tasks          []MoveTaskRow
	Owner          string // whose the item in hand is
	From, SKU, Lot string
	Qty            int64
	QtyTyped       string // a refused quantity, shown as typed
	Whole          bool
	Key            string
	Focus          string // "qty" when the typed quantity was refused
}

// PackRow is one SKU and lot of the order at the kiosk.
type PackRow struct {
	SKU, Name, Lot           string
	Picked, Verified, Packed int64
	Serial                   bool
}

// ParcelRow is a closed parcel and its label's last print job.
type ParcelRow struct {
	N, WeightG, ExpectedG int
	Box, Waybill, Parent  string
	Typed                 bool
	Job                   *PrintJobRow
}

// BoxOption is a box of the catalogue as the packer chooses it: by its size.
type BoxOption struct {
	Code, Name                  string
	LengthMM, WidthMM, HeightMM int
}

// PrintJobRow is a label's print job: where, what, and how it went.
type PrintJobRow struct {
	Owner                       string
	ID, Station, Order, Waybill string
	Parcel, Tries               int
	Status, Error               string // queued, sent, failed, browser
	Copy, Retryable             bool
	Created                     string
}

type PackPage struct {
	Page
	Station, StationName string
	Printer              string // the station's printer address; "browser" for the kiosk's own
	HasScale             bool
	Order, State         string
	Carrier, Recipient   string
	Rows                 []PackRow
	Parcels              []ParcelRow
	Boxes                []BoxOption
	SuggestBox           string
	CanClose, CanShip    bool
	AllChecked           bool // every picked unit is checked: the weight comes next
	NeedOverride         bool
	LowPool              *Message
	PrintJob             string // a label this browser opens for printing
	Awaiting             []AwaitingRow
	Key                  string
}

// AwaitingRow is an order packed at the station and not yet handed to the carrier.
type AwaitingRow struct {
	Order, Carrier string
}

// LabelPrintPage is a label on a page that prints itself.
type LabelPrintPage struct {
	Job, Waybill      string
	SVG               string // the label, rendered by printing.LabelSVG
	WidthMM, HeightMM int
}

// PrintJobsPage is the supervisors' list of print jobs.
type PrintJobsPage struct {
	Page
	Jobs            []PrintJobRow
	Status, Station string // the filters shown
	Stations        []string
	Key             string
	Owners          OwnerFilter
}

// ShippedRow is what an order shipped of one SKU and lot, and what came back.
type ShippedRow struct {
	SKU, Name, Lot, Serials string
	Shipped, Returned       int64
}

// BookedLine is a line of a booked return and where it went.
type BookedLine struct {
	N                                     int
	SKU, Lot, Serial, Condition, Location string
	Name                                  string // the item's name, beside its code
	Qty                                   int64
	Swap                                  bool
	Suggest, From                         string // putaway for resellable units
	PutBack                               bool   // Location is the shelf the units were put back on
	Waiting                               bool   // the units wait at Location (the returns location) to be put back
}

type BookedReturn struct {
	ID, Order string
	Lines     []BookedLine
}

// WaitingReturn is a booked parcel whose units wait to be put back on a shelf.
type WaitingReturn struct {
	ID, Ref, Order string
	Owner          string
	Qty            int64
}

// UnmatchedReturn is a parcel booked with no known order, waiting to be
// matched to one.
type UnmatchedReturn struct {
	ID, Owner string
	Lines     int
}

type ReturnsPage struct {
	Page
	Order, RMA, ReturnWaybill string
	Unknown                   bool
	// Owner is whose an unknown parcel is (chosen, or its items' owner);
	// Owners lists the choice when the warehouse works for several.
	Owner       string
	Owners      OwnerFilter
	Shipped     []ShippedRow
	Lines       []wmsReturnLine
	LinesJSON   string
	Names       map[string]string // item names of the lines' SKUs
	PendingItem string            // the raw scan, carried in the condition links
	Pending     *PendingItem      // what it is, shown while the condition is asked
	Conditions  []string
	Booked      *BookedReturn
	Waiting     []WaitingReturn // parcels with units still to put back
	Unmatched   []UnmatchedReturn
	Filter      OwnerFilter // the lists' and figures' owner (several owners only)
	Stats       []Count
	Key         string
}

// PendingItem is a scanned returned unit waiting for its condition.
type PendingItem struct {
	SKU, Name, Lot, Serial string
}

type ReturnReceipt struct {
	Page
	Parcel, Order, RMA, Waybill, Clerk, At, Notes string
	Lines                                         []BookedLine
}

// link is a URL to path with the query pairs given (key, value, key, value,
// ...) escaped, so a lot or location code holding &, + or # stays whole.
func link(path string, pairs ...string) templ.SafeURL {
	q := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		q.Add(pairs[i], pairs[i+1])
	}
	return templ.SafeURL(path + "?" + q.Encode())
}

// OrderPage shows one order: where it came from and its lines.
type OrderPage struct {
	Page
	Order  *OrderView // nil until an order is asked for
	Owners OwnerFilter
	No     string // the number asked for
	// List is the orders in State (Listed, no number asked for), or the
	// orders of each owner that has the number asked for (Shared).
	List           []OrderRow
	Listed, Shared bool
	State          string
	States         []string
}

// OrderListLimit is how many orders a list of orders shows.
const OrderListLimit = 200

// OrderRow is an order in a list of orders.
type OrderRow struct {
	Owner, No, State, Carrier, Shop, Received string
	Lines                                     int
}

// OrderView is an order as the order page shows it. Platform is the code
// (TM, JD, ...) or empty when neither the order nor its channel names one.
type OrderView struct {
	Owner                                       string
	No, State, Channel, Platform, Shop, Carrier string
	PlatformOrders                              []string
	Lines                                       []OrderLineView
	// Held: on hold by its upstream (no wave takes it), and why.
	Held       bool
	HoldReason string
	// Archived names the archive file of an order no longer in the live
	// store ("" for a live one).
	Archived string
}

// OrderLineView is one line and the platform sub-order(s) it stands for.
type OrderLineView struct {
	SKU, Name   string
	Qty, Picked int64
	Sources     []OrderLineSource
}

// OrderLineSource is a platform order and sub-order a line (or a part of
// it, Qty > 0, when merged orders asked for the same SKU) stands for.
type OrderLineSource struct {
	PlatformOrder, SubOrder string
	Qty                     int64
}

// codeClass keeps a code whole on one line; a value too long to be a code
// (a platform's ID may have 64 characters) breaks rather than widen the page.
func codeClass(v string) string {
	if len([]rune(v)) <= MaxCodeLen {
		return "code"
	}
	return "code long"
}

// OwnerOption is an owner (货主) as a filter or a choice lists it.
type OwnerOption struct {
	Code, Name string
}

// OwnerFilter is a page's owner filter: Show only when the warehouse works
// for more than one owner (a one-owner warehouse sees no owner anywhere);
// Chosen is the ?owner= ("" for every owner's).
type OwnerFilter struct {
	Options []OwnerOption
	Chosen  string
	Show    bool
}

// Includes says whether a list filtered by f shows a row of this owner.
func (f OwnerFilter) Includes(owner string) bool { return f.Chosen == "" || f.Chosen == owner }

// ownerURL is path for the chosen owner (path?owner=CODE), or path itself
// for every owner's: a form on a filtered page acts on what the page shows.
func ownerURL(path, owner string) string {
	if owner == "" {
		return path
	}
	return path + "?" + url.Values{"owner": {owner}}.Encode()
}

// Name is an owner's name (its code when it has none).
func (f OwnerFilter) Name(code string) string {
	for _, o := range f.Options {
		if o.Code == code && o.Name != "" {
			return o.Name
		}
	}
	return code
}
