package syncer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/uuid"

	"tally/wms"
)

// Pulling: GET {url}/changes after the pull cursor. Each change enters the
// ledger keyed "sync:<upstream>:<type>:<id>", so a page read again (a crash
// before its cursor was recorded, a lost answer) changes nothing; a change
// the warehouse cannot apply is recorded as refused (once: its event ID is
// derived from the upstream and the change) and never stops the pull. The
// cursor is recorded only after the whole page entered.

// ChangePage is an answer to GET {url}/changes.
type ChangePage struct {
	Changes []Change `json:"changes"`
	Next    string   `json:"next"`
	More    bool     `json:"more"`
}

// Change is one change an upstream sends.
type Change struct {
	ID    string          `json:"id"`
	Type  string          `json:"type"`
	Owner string          `json:"owner,omitempty"`
	Data  json.RawMessage `json:"data"`
}

// Change types, as docs/sync.md lists them.
const (
	ChangeOrder       = "order"
	ChangeOrderCancel = "order.cancel"
	ChangeSKU         = "sku"
	ChangeASN         = "asn"
	ChangeRMA         = "rma"
	ChangeWaybills    = "waybills"
	ChangeInstruction = "stock.instruction"
)

// MaxWaybillNumbers bounds one waybills change.
const MaxWaybillNumbers = 10_000

// DecodeChanges reads and checks a page of changes: at most MaxBody bytes
// and MaxPullChanges changes, each with an ID of 1–64 printable characters,
// a type and an object as data; next at most 256 printable characters. A
// page that breaks any of these is refused whole: nothing of it is applied.
func DecodeChanges(body []byte) (ChangePage, error) {
	if len(body) > MaxBody {
		return ChangePage{}, fmt.Errorf("the page is larger than %d bytes", MaxBody)
	}
	var raw struct {
		Changes *[]Change `json:"changes"`
		Next    *string   `json:"next"`
		More    bool      `json:"more"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return ChangePage{}, fmt.Errorf("the page is not {\"changes\": [...], \"next\": ...}: %s", clip(err.Error(), maxErrorText))
	}
	if raw.Changes == nil || raw.Next == nil {
		return ChangePage{}, errors.New(`the page needs "changes" and "next"`)
	}
	p := ChangePage{Changes: *raw.Changes, Next: *raw.Next, More: raw.More}
	if len(p.Changes) > MaxPullChanges {
		return ChangePage{}, fmt.Errorf("the page holds %d changes, more than %d", len(p.Changes), MaxPullChanges)
	}
	if len(p.Next) > wms.MaxPullCursor || !printable(p.Next) {
		return ChangePage{}, fmt.Errorf("next is not 0 to %d printable characters", wms.MaxPullCursor)
	}
	for i, c := range p.Changes {
		if c.ID == "" || len(c.ID) > wms.MaxChangeID || !printable(c.ID) {
			return ChangePage{}, fmt.Errorf("change %d: an ID is 1 to %d printable characters", i, wms.MaxChangeID)
		}
		if c.Type == "" || len(c.Type) > 64 || !printable(c.Type) {
			return ChangePage{}, fmt.Errorf("change %d (%s): the type is 1 to 64 printable characters", i, c.ID)
		}
		if len(c.Owner) > 64 || !printable(c.Owner) {
			return ChangePage{}, fmt.Errorf("change %d (%s): the owner is up to 64 printable characters", i, c.ID)
		}
		if len(c.Data) == 0 || c.Data[0] != '{' {
			return ChangePage{}, fmt.Errorf("change %d (%s): data is not an object", i, c.ID)
		}
	}
	return p, nil
}

// printable is printable ASCII without spaces (empty is printable).
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// pull reads one page of changes and takes it in. more says to ask again
// at once.
func (k *link) pull(ctx context.Context, up wms.Upstream) (more bool, err error) {
	q := ""
	if k.pullCursor != "" {
		q = "after=" + url.QueryEscape(k.pullCursor) + "&"
	}
	q += fmt.Sprintf("limit=%d", PullLimit)
	if up.Owner != "" {
		q += "&owner=" + url.QueryEscape(up.Owner)
	}
	a, err := k.exchange(ctx, http.MethodGet, "/changes", q, nil, MaxBody)
	if err != nil {
		return false, err
	}
	if a.status != http.StatusOK {
		return false, k.fail("GET /changes", a)
	}
	page, err := DecodeChanges(a.body)
	if err != nil {
		return false, &failure{msg: "GET /changes: " + err.Error(), online: true}
	}
	if err := k.applyPage(ctx, up, page); err != nil {
		return false, err
	}
	if len(page.Changes) > 0 || page.Next != k.pullCursor {
		if err := k.s.l.RecordPull(ctx, wms.SyncPull{Upstream: k.name, Cursor: page.Next, Changes: len(page.Changes)}); err != nil {
			return false, err
		}
		k.pullCursor = page.Next
	}
	k.succeeded()
	return page.More && len(page.Changes) > 0, nil
}

// applyPage takes in every change of a page, in order. Only a failure of
// the ledger itself stops it (the page is then read again).
func (k *link) applyPage(ctx context.Context, up wms.Upstream, page ChangePage) error {
	for _, c := range page.Changes {
		if err := k.apply(ctx, up, c); err != nil {
			return fmt.Errorf("change %s (%s): %w", c.ID, c.Type, err)
		}
	}
	return nil
}

// apply takes in one change, or records it as refused.
func (k *link) apply(ctx context.Context, up wms.Upstream, c Change) error {
	l := k.s.l
	key := "sync:" + up.Name + ":" + c.Type + ":" + c.ID
	actor, device := "sync:"+up.Name, "syncer"
	owner := wms.OwnerOr(c.Owner)
	refuse := func(code, reason, order string) error {
		r := wms.ChangeRefusal{Upstream: up.Name, UpstreamID: c.ID, ChangeType: c.Type, Code: code, Reason: reason, Order: order, Owner: owner}
		if up.Owner != "" && owner != up.Owner {
			r.Owner = up.Owner // so that it reaches the upstream that sent it
		}
		_, err := l.RefuseChange(ctx, refusalID(up.Name, c.Type, c.ID), r)
		return err
	}
	if up.Owner != "" && owner != up.Owner {
		return refuse("owner.outside_upstream", "owner "+owner+" is not this upstream's ("+up.Owner+")", "")
	}
	data := func(v any) error {
		if err := json.Unmarshal(c.Data, v); err != nil {
			return errBadData{clip(err.Error(), maxErrorText)}
		}
		return nil
	}
	var order string
	var err error
	switch c.Type {
	case ChangeOrder:
		var in wms.OrderIntake
		if err = data(&in); err == nil {
			order = in.No
			in.Owner = owner // the change says whose; its data never does
			for i := range in.Lines {
				in.Lines[i].Parts = nil // the warehouse's own, set when sub-orders merge
			}
			_, _, err = l.ReceiveOrder(ctx, key, in, actor, device)
		}
	case ChangeOrderCancel:
		var in struct {
			No     string `json:"no"`
			Reason string `json:"reason"`
		}
		if err = data(&in); err == nil {
			order = in.No
			_, err = l.Books(owner).CancelOrder(ctx, in.No, in.Reason, key, actor, device)
			if e, ok := wms.AsError(err); ok && e.Key == "order.cancel_too_late" && e.Args["state"] == string(wms.OrderShipped) {
				return refuse("order.already_shipped", "order "+in.No+" has shipped: it stays shipped", order)
			}
		}
	case ChangeSKU:
		var s wms.SKU
		if err = data(&s); err == nil {
			_, err = l.SaveCatalogueSKU(ctx, key, owner, s, actor, device)
		}
	case ChangeASN:
		var in wms.ReceiptIn
		if err = data(&in); err == nil {
			in.Owner = owner
			_, _, err = l.ExpectReceipt(ctx, key, in, actor, device)
		}
	case ChangeRMA:
		var r wms.RMA
		if err = data(&r); err == nil {
			order = r.Order
			r.Owner = owner
			_, err = l.AnnounceReturn(ctx, key, r, actor, device)
		}
	case ChangeWaybills:
		var p wms.WaybillLoad
		if err = data(&p); err == nil {
			if len(p.Numbers) > MaxWaybillNumbers {
				return refuse("waybills.too_many", fmt.Sprintf("%d numbers, at most %d in one change", len(p.Numbers), MaxWaybillNumbers), "")
			}
			p.Owner = owner
			_, err = l.LoadWaybills(ctx, key, p, actor, device)
		}
	case ChangeInstruction:
		var in struct {
			SKU      string `json:"sku"`
			Lot      string `json:"lot"`
			Expiry   string `json:"expiry"`
			Location string `json:"location"`
			Delta    int64  `json:"delta"`
			Reason   string `json:"reason"`
		}
		if err = data(&in); err == nil {
			_, err = l.ReceiveInstruction(ctx, key, wms.Instruction{Upstream: up.Name, ID: c.ID, Owner: owner,
				SKU: in.SKU, Lot: in.Lot, Expiry: in.Expiry, Location: in.Location, Delta: in.Delta, Reason: in.Reason})
		}
	default:
		return refuse("change.type_unknown", "this warehouse does not take changes of type "+clip(c.Type, 64), "")
	}
	if err == nil {
		return nil
	}
	var bad errBadData
	if errors.As(err, &bad) {
		return refuse("change.data_invalid", "data does not fit the type: "+bad.msg, order)
	}
	if e, ok := wms.AsError(err); ok && e.Code != wms.CodeInternal {
		code := e.Key
		if strings.HasPrefix(code, "key.") {
			code = "key.changed" // this change's ID came before with other content
		}
		return refuse(code, e.Error(), order)
	}
	return err
}

type errBadData struct{ msg string }

func (e errBadData) Error() string { return e.msg }

// refusalNS names the refusals' event IDs.
var refusalNS = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://tally.invalid/sync/refusal"))

// refusalID is the event ID of a refused change: the same for every pull of
// the same change, so it is recorded once.
func refusalID(upstream, typ, id string) string {
	return uuid.NewSHA1(refusalNS, []byte(upstream+"\x00"+typ+"\x00"+id)).String()
}
