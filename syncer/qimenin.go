package syncer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"tally/syncer/qimen"
	"tally/views"
	"tally/wms"
)

// An ERP hands the warehouse work by calling POST /qimen (or through the
// hub, which delivers the call here). Each write method maps onto the same
// ledger command Tally's own protocol uses (pull.go's apply), under a key
// made of the upstream, the method's noun and the ERP's own code for what
// it sent (qimenKey): a repeat changes nothing and is answered as the
// first time; the same code with other content is refused. A call that is
// refused for any reason changes nothing and is answered with a failure
// whose code a program can act on and whose message a person can read.

// qimenHandler serves one ERP→WMS method for a verified call from up.
// answer is what qimen.Marshal writes back (a qimen.Response, or a struct
// embedding one with more elements); an error becomes a failure answer
// (qimenFailure).
type qimenHandler func(ctx context.Context, s *Syncer, up wms.Upstream, c qimen.Call) (answer any, err error)

// qimenMethods serves the ERP→WMS methods, keyed by short method name.
// The read methods register themselves from an init (qimenread.go).
var qimenMethods = map[string]qimenHandler{
	qimen.ItemSync:          qimenItemSync,
	qimen.ItemsSync:         qimenItemsSync,
	qimen.EntryOrderCreate:  qimenEntryOrderCreate,
	qimen.ReturnOrderCreate: qimenReturnOrderCreate,
	qimen.DeliveryCreate:    qimenDeliveryCreate,
	qimen.DeliveryBatch:     qimenDeliveryBatch,
	qimen.StockOutCreate:    qimenStockOutCreate,
	qimen.OrderCancel:       qimenOrderCancel,
}

// Failure codes of refused calls, besides a domain error's key (as
// "order.locked", "sku.not_found") when the ledger refuses.
const (
	QimenNotConfigured  = "not-configured"     // the warehouse has no syncer
	QimenUnknownCaller  = "unknown-customer"   // customerId and app_key name no upstream
	QimenBadSign        = "sign-check-failure" // sign missing, malformed or wrong
	QimenBadTimestamp   = "invalid-timestamp"  // missing, malformed or over 10 minutes off
	QimenBadSignMethod  = "invalid-sign-method"
	QimenBadParameter   = "invalid-parameter" // a query parameter given twice
	QimenTooLarge       = "body-too-large"
	QimenBadXML         = "invalid-xml" // empty, not UTF-8, not well-formed, root not <request>
	QimenBadMethod      = "invalid-method"
	QimenBadRequest     = "invalid-request" // an element missing, too long or not a number
	QimenOwnerMismatch  = "owner-mismatch"  // ownerCode is not the upstream's
	QimenNotCancellable = "order-type-not-cancellable"
	QimenShipped        = "order.already_shipped"
	QimenKeyChanged     = "key.changed" // the same code came before with other content
	QimenPartial        = "partial-failure"
	QimenInternal       = "internal"
)

// qimenRefusal is a failure with its Qimen code, made by this file.
type qimenRefusal struct{ code, msg string }

func (e *qimenRefusal) Error() string { return e.code + ": " + e.msg }

func refuseQimen(code, format string, args ...any) error {
	return &qimenRefusal{code: code, msg: fmt.Sprintf(format, args...)}
}

// qimenFailure is the failure answer for err: the one mapping of errors to
// Qimen codes and messages (English: the ERP is a program, its logs are
// read by its integrators).
func qimenFailure(err error) qimen.Response {
	var r *qimenRefusal
	var fe *qimen.FieldError
	switch {
	case errors.As(err, &r):
		return qimen.Failure(r.code, r.msg)
	case errors.As(err, &fe):
		return qimen.Failure(QimenBadRequest, fe.Error())
	case errors.Is(err, qimen.ErrMalformedXML), errors.Is(err, qimen.ErrNotRequest),
		errors.Is(err, qimen.ErrEmptyBody), errors.Is(err, qimen.ErrNotUTF8):
		return qimen.Failure(QimenBadXML, plainQimen(err))
	case errors.Is(err, qimen.ErrBodyTooLarge):
		return qimen.Failure(QimenTooLarge, plainQimen(err))
	}
	if e, ok := wms.AsError(err); ok && e.Code != wms.CodeInternal {
		if strings.HasPrefix(e.Key, "key.") {
			what := "this code"
			if parts := strings.SplitN(e.Args["key"], ":", 4); len(parts) == 4 && parts[0] == "qimen" {
				what = parts[2] + " " + parts[3] // the noun and the ERP's code (qimenKey)
			}
			return qimen.Failure(QimenKeyChanged, what+" came before with other content: the first is kept; "+
				"send a change under a new code, or cancel the first")
		}
		return qimen.Failure(e.Key, views.Translate(views.LangEN, e.Key, e.Args))
	}
	return qimen.Failure(QimenInternal, "the warehouse could not record this call; send it again later")
}

// QimenRefused is the failure answer to a request refused before it
// reaches ServeQimen (a body over 1 MiB, a query that does not parse),
// with the code ServeQimen would give.
func QimenRefused(err error) []byte { return marshalQimen(qimenFailure(err)) }

// QimenUnconfigured is the answer of a warehouse that runs no syncer.
func QimenUnconfigured() []byte {
	return marshalQimen(qimen.Failure(QimenNotConfigured, "this warehouse does not take Qimen calls: no syncer runs"))
}

// plainQimen is an error of package qimen without its "qimen: " prefix.
func plainQimen(err error) string { return strings.TrimPrefix(err.Error(), "qimen: ") }

// QimenCallerFailure is the answer to a request whose caller QimenCaller
// refused, at where ("warehouse" or "hub"): one rule for a warehouse's
// POST /qimen and the hub's.
func QimenCallerFailure(err error, where string) qimen.Response {
	switch {
	case errors.Is(err, ErrQimenUnknownCaller):
		return qimen.Failure(QimenUnknownCaller, "customerId and app_key name no ERP configured at this "+where)
	case errors.Is(err, qimen.ErrNoSecret):
		return qimen.Failure(QimenNotConfigured, "the ERP's upstream has no secret configured at this "+where)
	case errors.Is(err, qimen.ErrMissingTimestamp), errors.Is(err, qimen.ErrMalformedTimestamp),
		errors.Is(err, qimen.ErrTimestampOutOfRange):
		return qimen.Failure(QimenBadTimestamp, plainQimen(err))
	case errors.Is(err, qimen.ErrUnsupportedSignMethod):
		return qimen.Failure(QimenBadSignMethod, plainQimen(err))
	case errors.Is(err, qimen.ErrDuplicateParam):
		return qimen.Failure(QimenBadParameter, plainQimen(err))
	case errors.Is(err, qimen.ErrBodyTooLarge):
		return qimen.Failure(QimenTooLarge, plainQimen(err))
	case errors.Is(err, qimen.ErrMissingSign), errors.Is(err, qimen.ErrMalformedSign), errors.Is(err, qimen.ErrBadSign):
		return qimen.Failure(QimenBadSign, plainQimen(err))
	}
	return qimen.Failure(QimenBadSign, "the request's signature could not be checked")
}

// ServeQimen answers one POST /qimen at the warehouse: params are the URL's
// decoded query parameters, body the exact bytes received. The signature
// is the only authentication: it must be the secret of the upstream that
// customerId (else app_key) names. It always answers a Qimen document;
// a refusal is a failure and changes nothing.
func (s *Syncer) ServeQimen(ctx context.Context, params url.Values, body []byte) []byte {
	method, cust := clip(params.Get("method"), 64), clip(params.Get("customerId"), 64)
	refuse := func(a qimen.Response) []byte {
		s.log.Warn("qimen: call refused", "method", method, "customerId", cust, "code", a.Code, "reason", a.Message)
		return marshalQimen(a)
	}
	ups, err := s.l.Upstreams()
	if err != nil {
		s.log.Error("qimen: reading the upstreams", "err", err)
		return marshalQimen(qimenFailure(err))
	}
	up, err := QimenCaller(ups, params, body, s.now())
	if err != nil {
		return refuse(QimenCallerFailure(err, "warehouse"))
	}
	if err := qimen.CheckRequest(body); err != nil {
		return refuse(qimenFailure(err))
	}
	short, ok := qimen.ShortMethod(params.Get("method"))
	if _, known := qimenMethods[short]; !ok || !known {
		return refuse(qimen.Failure(QimenBadMethod, "method "+strconv.Quote(method)+" is not one this warehouse serves"))
	}
	c := qimen.Call{ID: qimenCallID(short, body), Upstream: up.Name, Method: short, Body: body, At: s.now()}
	if codes, err := qimen.WarehouseCodes(body); err == nil {
		c.Warehouse = codes[0]
	}
	return s.ApplyQimen(ctx, up, c)
}

// qimenCallID names a call by its content: the method and the body's hash.
func qimenCallID(method string, body []byte) string {
	sum := sha256.Sum256(body)
	return method + ":" + hex.EncodeToString(sum[:16])
}

// ApplyQimen serves a verified call from up (checked by ServeQimen, or
// delivered by the hub, whose caller found up by c.Upstream) and returns
// the answer to send. A malformed body, a wrong ownerCode or anything the
// ledger refuses is a failure and changes nothing.
func (s *Syncer) ApplyQimen(ctx context.Context, up wms.Upstream, c qimen.Call) []byte {
	h, ok := qimenMethods[c.Method]
	if !ok {
		return marshalQimen(qimen.Failure(QimenBadMethod, "method "+strconv.Quote(clip(c.Method, 64))+" is not one this warehouse serves"))
	}
	if err := qimen.CheckRequest(c.Body); err != nil {
		s.log.Warn("qimen: call refused", "method", c.Method, "upstream", up.Name, "reason", err.Error())
		return marshalQimen(qimenFailure(err))
	}
	answer, err := h(ctx, s, up, c)
	if err != nil {
		a := qimenFailure(err)
		if a.Code == QimenInternal {
			s.log.Error("qimen: serving a call", "method", c.Method, "upstream", up.Name, "err", err)
		} else {
			s.log.Info("qimen: call failed", "method", c.Method, "upstream", up.Name, "code", a.Code, "reason", a.Message)
		}
		return marshalQimen(a)
	}
	return marshalQimen(answer)
}

// marshalQimen writes an answer; one that cannot be written (a bug) is
// answered as an internal failure.
func marshalQimen(answer any) []byte {
	out, err := qimen.Marshal(answer)
	if err != nil {
		out, _ = qimen.Marshal(qimen.Failure(QimenInternal, "the warehouse could not write its answer"))
	}
	return out
}

// decodeQimen reads and checks a call's body.
func decodeQimen(c qimen.Call, v interface{ Validate() error }) error {
	if err := qimen.Decode(c.Body, v); err != nil {
		return err
	}
	return v.Validate()
}

// qimenActor is who the ledger records as acting for an ERP.
func qimenActor(up wms.Upstream) string { return "qimen:" + up.Name }

const qimenDevice = "qimen"

// checkOwner refuses an ownerCode other than the upstream's; "" passes
// unless required.
func checkOwner(up wms.Upstream, field, code string, required bool) error {
	if code == "" && !required {
		return nil
	}
	if code != up.QimenOwnerCode() {
		return refuseQimen(QimenOwnerMismatch, "%s %q is not the ownerCode this warehouse knows for the ERP (%s)",
			field, clip(code, 64), up.QimenOwnerCode())
	}
	return nil
}

// checkLineOwners checks the ownerCode of every line (required on each
// unless the header named it).
func checkLineOwners(up wms.Upstream, lines []qimen.OrderLine, headerNamed bool) error {
	for i, l := range lines {
		if err := checkOwner(up, fmt.Sprintf("orderLines.orderLine[%d].ownerCode", i+1), l.OwnerCode, !headerNamed); err != nil {
			return err
		}
	}
	return nil
}

// --- items ---

// qimenItemAnswer is singleitem.synchronize's answer.
type qimenItemAnswer struct {
	qimen.Response
	ItemID string `xml:"itemId,omitempty"`
}

// qimenItemsAnswer is items.synchronize's answer: the items that failed.
type qimenItemsAnswer struct {
	qimen.Response
	Items []qimenItemFailed `xml:"items>item,omitempty"`
}

type qimenItemFailed struct {
	ItemCode string `xml:"itemCode"`
	Code     string `xml:"code"`
	Message  string `xml:"message"`
}

func qimenItemSync(ctx context.Context, s *Syncer, up wms.Upstream, c qimen.Call) (any, error) {
	var r qimen.ItemSyncRequest
	if err := decodeQimen(c, &r); err != nil {
		return nil, err
	}
	if err := checkOwner(up, "ownerCode", r.OwnerCode, true); err != nil {
		return nil, err
	}
	code, err := saveQimenItem(ctx, s, up, *r.Item)
	if err != nil {
		return nil, err
	}
	return qimenItemAnswer{Response: qimen.Success(), ItemID: code}, nil
}

func qimenItemsSync(ctx context.Context, s *Syncer, up wms.Upstream, c qimen.Call) (any, error) {
	var r qimen.ItemsSyncRequest
	if err := decodeQimen(c, &r); err != nil {
		return nil, err
	}
	if err := checkOwner(up, "ownerCode", r.OwnerCode, true); err != nil {
		return nil, err
	}
	var failed []qimenItemFailed
	for i, it := range r.Items {
		err := it.Validate(fmt.Sprintf("items.item[%d]", i+1))
		if err == nil {
			_, err = saveQimenItem(ctx, s, up, it)
		}
		if err != nil {
			a := qimenFailure(err)
			if a.Code == QimenInternal {
				return nil, err // the ledger itself failed: the ERP sends the whole call again
			}
			failed = append(failed, qimenItemFailed{ItemCode: clip(it.ItemCode, 64), Code: a.Code, Message: a.Message})
		}
	}
	if len(failed) == 0 {
		return qimenItemsAnswer{Response: qimen.Success()}, nil
	}
	return qimenItemsAnswer{Response: qimen.Failure(QimenPartial,
		fmt.Sprintf("%d of %d items were not taken; the others were", len(failed), len(r.Items))), Items: failed}, nil
}

// saveQimenItem saves one checked item as the owner's SKU. Its key holds a
// digest of what was sent: the same item sent again changes nothing, and
// an item sent with other content (actionType update) is saved as the new
// catalogue entry. It returns the SKU's code (Tally's itemId).
func saveQimenItem(ctx context.Context, s *Syncer, up wms.Upstream, it qimen.Item) (string, error) {
	sku := wms.SKU{Code: it.ItemCode, Name: it.ItemName}
	for _, b := range it.BarCodes() {
		if looksLikeGTIN(b) {
			sku.GTINs = append(sku.GTINs, b)
		}
	}
	cm := func(v string) int { f, _ := qimen.Decimal(v, 1e9); return int(f*10 + 0.5) }
	sku.LengthMM, sku.WidthMM, sku.HeightMM = cm(it.Length), cm(it.Width), cm(it.Height)
	kg, _ := qimen.Decimal(it.GrossWeight, 1e9)
	sku.UnitWeightG = int(kg*1000 + 0.5)
	hours, _ := qimen.Decimal(it.ShelfLife, 1e9)
	sku.ShelfLifeDays = int(math.Ceil(hours / 24))
	batch, _ := qimen.YesNo(it.IsBatchMgmt)
	life, _ := qimen.YesNo(it.IsShelfLifeMgmt)
	sku.LotTracked = batch || life
	sku.SerialTracked, _ = qimen.YesNo(it.IsSNMgmt)
	key := qimenKey(up.Name, "item", sku.Code+":"+contentDigest(sku))
	saved, err := s.l.SaveCatalogueSKU(ctx, key, up.QimenOwner(), sku, qimenActor(up), qimenDevice)
	return saved.Code, err
}

// looksLikeGTIN says whether a barcode is meant as a GTIN (8 to 14 digits);
// other barcodes (an ERP's own codes) are not Tally's GTINs and are left out.
func looksLikeGTIN(b string) bool {
	if len(b) < 8 || len(b) > 14 {
		return false
	}
	for i := 0; i < len(b); i++ {
		if b[i] < '0' || b[i] > '9' {
			return false
		}
	}
	return true
}

// contentDigest is a short digest of a value's printed form.
func contentDigest(v any) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%+v", v))
	return hex.EncodeToString(sum[:8])
}

// --- receipts and returns ---

// qimenEntryAnswer is entryorder.create's answer.
type qimenEntryAnswer struct {
	qimen.Response
	EntryOrderID string `xml:"entryOrderId"`
}

func qimenEntryOrderCreate(ctx context.Context, s *Syncer, up wms.Upstream, c qimen.Call) (any, error) {
	var r qimen.EntryOrderCreateRequest
	if err := decodeQimen(c, &r); err != nil {
		return nil, err
	}
	e := r.EntryOrder
	if err := checkOwner(up, "entryOrder.ownerCode", e.OwnerCode, true); err != nil {
		return nil, err
	}
	if err := checkLineOwners(up, r.OrderLines, true); err != nil {
		return nil, err
	}
	in := wms.ReceiptIn{Owner: up.QimenOwner(), ID: e.EntryOrderCode, Supplier: firstOf(e.SupplierName, e.SupplierCode, up.Name)}
	for _, l := range r.OrderLines {
		if i := slices.IndexFunc(in.Lines, func(x wms.LineIn) bool { return x.SKU == l.ItemCode }); i >= 0 {
			in.Lines[i].Qty += l.Qty()
			continue
		}
		in.Lines = append(in.Lines, wms.LineIn{SKU: l.ItemCode, Qty: l.Qty()})
	}
	rc, _, err := s.l.ExpectReceipt(ctx, qimenKey(up.Name, "entryorder", e.EntryOrderCode), in, qimenActor(up), qimenDevice)
	if err != nil {
		return nil, err
	}
	return qimenEntryAnswer{Response: qimen.Success(), EntryOrderID: rc.ID}, nil
}

// qimenReturnAnswer is returnorder.create's answer.
type qimenReturnAnswer struct {
	qimen.Response
	ReturnOrderID string `xml:"returnOrderId"`
}

func qimenReturnOrderCreate(ctx context.Context, s *Syncer, up wms.Upstream, c qimen.Call) (any, error) {
	var r qimen.ReturnOrderCreateRequest
	if err := decodeQimen(c, &r); err != nil {
		return nil, err
	}
	o := r.ReturnOrder
	if err := checkOwner(up, "returnOrder.ownerCode", o.OwnerCode, false); err != nil {
		return nil, err
	}
	if err := checkLineOwners(up, r.OrderLines, o.OwnerCode != ""); err != nil {
		return nil, err
	}
	rma := wms.RMA{Owner: up.QimenOwner(), RMA: o.ReturnOrderCode, Order: o.PreDeliveryOrderCode,
		ReturnWaybill: o.ExpressCode, Reason: firstOf(o.ReturnReason, o.Remark)}
	got, err := s.l.AnnounceReturn(ctx, qimenKey(up.Name, "returnorder", o.ReturnOrderCode), rma, qimenActor(up), qimenDevice)
	if err != nil {
		return nil, err
	}
	return qimenReturnAnswer{Response: qimen.Success(), ReturnOrderID: got.RMA}, nil
}

// --- outbound orders ---

// qimenDeliveryAnswer is deliveryorder.create's and stockout.create's answer.
type qimenDeliveryAnswer struct {
	qimen.Response
	CreateTime      string `xml:"createTime,omitempty"`
	DeliveryOrderID string `xml:"deliveryOrderId,omitempty"`
	WarehouseCode   string `xml:"warehouseCode,omitempty"`
	LogisticsCode   string `xml:"logisticsCode,omitempty"`
}

// qimenBatchAnswer is deliveryorder.batchcreate's answer: every order's own.
type qimenBatchAnswer struct {
	qimen.Response
	Orders []qimenBatchOrder `xml:"orders>order"`
}

type qimenBatchOrder struct {
	DeliveryOrderCode string     `xml:"deliveryOrderCode"`
	Flag              qimen.Flag `xml:"flag"`
	Code              string     `xml:"code"`
	Message           string     `xml:"message"`
	DeliveryOrderID   string     `xml:"deliveryOrderId,omitempty"`
	CreateTime        string     `xml:"createTime,omitempty"`
	WarehouseCode     string     `xml:"warehouseCode,omitempty"`
}

func qimenDeliveryCreate(ctx context.Context, s *Syncer, up wms.Upstream, c qimen.Call) (any, error) {
	var r qimen.DeliveryOrderCreateRequest
	if err := decodeQimen(c, &r); err != nil {
		return nil, err
	}
	return receiveQimenOrder(ctx, s, up, r.DeliveryOrder, r.OrderLines, false)
}

func qimenStockOutCreate(ctx context.Context, s *Syncer, up wms.Upstream, c qimen.Call) (any, error) {
	var r qimen.StockOutCreateRequest
	if err := decodeQimen(c, &r); err != nil {
		return nil, err
	}
	return receiveQimenOrder(ctx, s, up, r.DeliveryOrder, r.OrderLines, true)
}

func qimenDeliveryBatch(ctx context.Context, s *Syncer, up wms.Upstream, c qimen.Call) (any, error) {
	var r qimen.DeliveryBatchRequest
	if err := decodeQimen(c, &r); err != nil {
		return nil, err
	}
	out := qimenBatchAnswer{Response: qimen.Success()}
	failed := 0
	for _, o := range r.Orders {
		one := qimenBatchOrder{DeliveryOrderCode: clip(o.DeliveryOrder.DeliveryOrderCode, 64)}
		err := o.Validate()
		var a qimenDeliveryAnswer
		if err == nil {
			a, err = receiveQimenOrder(ctx, s, up, o.DeliveryOrder, o.OrderLines, false)
		}
		if err != nil {
			f := qimenFailure(err)
			if f.Code == QimenInternal {
				return nil, err // the ledger itself failed: the ERP sends the whole call again
			}
			failed++
			one.Flag, one.Code, one.Message = f.Flag, f.Code, f.Message
		} else {
			one.Flag, one.DeliveryOrderID, one.CreateTime, one.WarehouseCode = qimen.FlagSuccess, a.DeliveryOrderID, a.CreateTime, a.WarehouseCode
		}
		out.Orders = append(out.Orders, one)
	}
	if failed > 0 {
		out.Response = qimen.Failure(QimenPartial, fmt.Sprintf("%d of %d orders were not taken; the others were", failed, len(r.Orders)))
	}
	return out, nil
}

// receiveQimenOrder takes in a checked delivery order (or, stockOut, a
// stock-out) as an outbound order numbered by its deliveryOrderCode.
func receiveQimenOrder(ctx context.Context, s *Syncer, up wms.Upstream, d qimen.DeliveryOrder, lines []qimen.OrderLine, stockOut bool) (qimenDeliveryAnswer, error) {
	if err := checkOwner(up, "deliveryOrder.ownerCode", d.OwnerCode, false); err != nil {
		return qimenDeliveryAnswer{}, err
	}
	if err := checkLineOwners(up, lines, d.OwnerCode != ""); err != nil {
		return qimenDeliveryAnswer{}, err
	}
	in := wms.OrderIntake{
		Owner:     up.QimenOwner(),
		No:        d.DeliveryOrderCode,
		Shop:      clipRunes(d.ShopNick, 100),
		Recipient: wms.Recipient{Name: d.ReceiverInfo.Name, Phone: d.ReceiverInfo.Phone(), Address: d.ReceiverInfo.Address()},
		Carrier:   d.LogisticsCode,
		Notes:     clipRunes(joinNonEmpty(" / ", d.BuyerMessage, d.SellerMessage, d.Remark), 500),
	}
	noun := "deliveryorder"
	if stockOut {
		noun, in.Channel = "stockout", QimenStockOutChannel
	} else {
		in.Platform, in.Channel = qimenPlatform(d.SourcePlatformCode)
	}
	for _, l := range lines {
		line := wms.OrderLineIn{LineIn: wms.LineIn{SKU: l.ItemCode, Qty: l.Qty()}}
		if !stockOut {
			line.PlatformOrderID, line.PlatformSubOrderID = l.SourceOrderCode, l.SubSourceCode
			if l.SourceOrderCode != "" && !slices.Contains(in.PlatformOrderIDs, l.SourceOrderCode) {
				in.PlatformOrderIDs = append(in.PlatformOrderIDs, l.SourceOrderCode)
			}
		}
		in.Lines = append(in.Lines, line)
	}
	o, _, err := s.l.ReceiveOrder(ctx, qimenKey(up.Name, noun, d.DeliveryOrderCode), in, qimenActor(up), qimenDevice)
	if err != nil {
		return qimenDeliveryAnswer{}, err
	}
	return qimenDeliveryAnswer{Response: qimen.Success(), CreateTime: qimen.Timestamp(o.Received), DeliveryOrderID: o.No,
		WarehouseCode: d.WarehouseCode, LogisticsCode: o.Carrier}, nil
}

// qimenPlatforms maps the standard's sourcePlatformCode values to Tally's
// platforms where they differ.
var qimenPlatforms = map[string]string{"WPH": "VIP", "DOUYIN": "DY", "KUAISHOU": "KS", "WXXD": "WX", "WEIXIN": "WX"}

// qimenPlatform is an order's platform and channel: a platform Tally knows
// (wms.Platforms) gives the platform (its channel follows from it); any
// other code is kept as the channel; none (or OTHER) is the channel "other".
func qimenPlatform(code string) (platform, channel string) {
	code = strings.ToUpper(code)
	if p, ok := qimenPlatforms[code]; ok {
		code = p
	}
	switch {
	case slices.Contains(wms.Platforms, code):
		return code, ""
	case code == "" || code == "OTHER":
		return "", "other"
	}
	return "", strings.ToLower(code)
}

// --- cancellation ---

func qimenOrderCancel(ctx context.Context, s *Syncer, up wms.Upstream, c qimen.Call) (any, error) {
	var r qimen.OrderCancelRequest
	if err := decodeQimen(c, &r); err != nil {
		return nil, err
	}
	if err := checkOwner(up, "ownerCode", r.OwnerCode, true); err != nil {
		return nil, err
	}
	typ := strings.ToUpper(r.OrderType)
	if typ != "" && !slices.Contains(qimen.OutboundOrderTypes, typ) {
		what := "is not an order type this warehouse knows"
		if slices.Contains(qimen.InboundOrderTypes, typ) {
			what = "is an inbound order (an entry or return order), which this warehouse does not cancel: " +
				"it receives what arrives and closes the receipt"
		}
		return nil, refuseQimen(QimenNotCancellable, "orderType %s %s; order %s is unchanged", clip(typ, 64), what, r.OrderCode)
	}
	reason := firstOf(r.CancelReason, "cancelled by the ERP")
	_, err := s.l.Books(up.QimenOwner()).CancelOrder(ctx, r.OrderCode, reason, qimenKey(up.Name, "cancel", r.OrderCode), qimenActor(up), qimenDevice)
	if e, ok := wms.AsError(err); ok && e.Key == "order.cancel_too_late" {
		if e.Args["state"] == string(wms.OrderShipped) {
			return nil, refuseQimen(QimenShipped, "order %s has shipped: it stays shipped", r.OrderCode)
		}
	}
	if err != nil {
		return nil, err
	}
	return qimen.Success(), nil
}

// --- small helpers ---

func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func joinNonEmpty(sep string, vs ...string) string {
	var out []string
	for _, v := range vs {
		if v != "" {
			out = append(out, v)
		}
	}
	return strings.Join(out, sep)
}

func clipRunes(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}
