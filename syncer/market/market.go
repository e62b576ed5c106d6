// Package market is what the warehouse says to the marketplaces its shops
// sell on: that an order shipped (carrier, waybill, which sub-orders when
// it was split) and how much a listing may still sell. Each platform is an
// adapter (taobao.go, jd.go, pdd.go, douyin.go, shopify.go) behind one
// interface, Platform: it knows its gateway, its signature, its carrier
// codes, how it says "no" and how it says "slow down". The syncer decides
// what to send and when; an adapter only says it in its platform's terms.
//
// Everything is built from the configuration read at send time and signed
// at send time: nothing queued carries a signature, a timestamp or a token.
package market

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"sync"
	"time"
)

// Shop is one shop's configuration as an adapter needs it: read from the
// upstream when the request is made.
type Shop struct {
	Name       string // the upstream's name
	Platform   string // the dialect: taobao, jd, pdd, douyin, shopify
	URL        string // the gateway: TOP's router/rest, JOS's routerjson, Pinduoduo's api/router, Douyin's open API base, the Shopify store's admin base
	AppKey     string
	Secret     string
	Session    string // the seller's access token
	SignMethod string // Taobao only: md5, hmac or hmac-sha256 (empty: hmac-sha256)
	Location   string // Shopify only: the location whose stock is set
	Channel    string // the orders' channel the shop writes back: Taobao tells a Tmall shop by it (tmall…, 天猫…)
}

// Conn is what an adapter sends with: the HTTP client (with its timeout),
// the clock (the syncer's, corrected by what the platform's Date said) and
// the shop's rate limiter.
type Conn struct {
	HTTP  *http.Client
	Now   func() time.Time
	Limit *Limiter
}

// Item is units of one platform sub-order in a parcel.
type Item struct {
	SubOrderID string `json:"sub_order_id,omitempty"` // the platform's sub-order (Taobao oid, Shopify line item GID, ...); empty when the order has none
	SKU        string `json:"sku"`                    // the merchant's code (Tally's SKU)
	Qty        int64  `json:"qty"`
}

// Parcel is one parcel of a shipment: its waybill, the carrier in the
// platform's code (the syncer maps Tally's with Platform.Carrier) and the
// items of the platform order in it.
type Parcel struct {
	Waybill string `json:"waybill"`
	Carrier string `json:"carrier"`
	Items   []Item `json:"items"`
}

// Shipment is one platform order's shipment: a Tally order that merged
// several platform orders (合单) is several shipments.
type Shipment struct {
	// Key is stable for this shipment however often it is sent (made from
	// the shipping event's ID and the platform order): the idempotency key
	// where a platform takes one.
	Key             string   `json:"key"`
	Order           string   `json:"order"`             // Tally's order number (for messages)
	PlatformOrderID string   `json:"platform_order_id"` // the platform's order (tid, order_sn, ...)
	SubOrders       []string `json:"sub_orders"`        // every sub-order of the platform order the Tally order carries, sorted
	Parcels         []Parcel `json:"parcels"`
}

// Split says whether the shipment must be written back as split: more
// than one parcel, or parcels that do not carry every sub-order.
func (s Shipment) Split() bool {
	if len(s.Parcels) > 1 {
		return true
	}
	if len(s.Parcels) == 0 {
		return false
	}
	in := map[string]bool{}
	for _, it := range s.Parcels[0].Items {
		in[it.SubOrderID] = true
	}
	for _, sub := range s.SubOrders {
		if !in[sub] {
			return true
		}
	}
	return false
}

// SubOrdersOf is the distinct sub-orders in parcel p, sorted.
func (p Parcel) SubOrdersOf() []string {
	var out []string
	for _, it := range p.Items {
		if it.SubOrderID != "" && !slices.Contains(out, it.SubOrderID) {
			out = append(out, it.SubOrderID)
		}
	}
	sort.Strings(out)
	return out
}

// Listing names one sellable SKU on a platform: the item (Taobao num_iid,
// JD wareId, Pinduoduo goods_id, Douyin product_id, Shopify inventory
// item GID) and the platform's SKU ID. Empty IDs: the platform finds the
// listing by the merchant's code (outer ID) where it can.
type Listing struct {
	ItemID string `json:"item_id,omitempty"`
	SkuID  string `json:"sku_id,omitempty"`
}

// StockSet is one listing's quantity to publish.
type StockSet struct {
	// Key is stable for this publication (the same SKU, quantity and
	// version of the stock), the idempotency key where a platform takes one
	// (Tmall's outer_biz_key, Douyin's idempotent_id, Shopify's @idempotent).
	Key     string  `json:"key"`
	SKU     string  `json:"sku"`
	Listing Listing `json:"listing"`
	Qty     int64   `json:"qty"` // the full quantity the listing may sell
	// Last is what the platform was last told (LastKnown false: nothing
	// yet, or not since a restart): Shopify's changeFromQuantity, a delta's base.
	Last      int64 `json:"last"`
	LastKnown bool  `json:"last_known"`
}

// StockResult is what a platform said of a publication.
type StockResult struct {
	Qty     int64  `json:"qty"`               // what the platform holds now, when it said (else Qty sent)
	Retried bool   `json:"retried,omitempty"` // a compare-and-set was stale: re-read and sent again
	Note    string `json:"note,omitempty"`
}

// Platform is one marketplace's adapter.
type Platform interface {
	// Name is the dialect (taobao, jd, pdd, douyin, shopify).
	Name() string
	// Carrier is the platform's code for a carrier of Canonical's, ok
	// false for one it does not know.
	Carrier(canonical string) (code string, ok bool)
	// Ship writes one platform order's shipment back. nil means the
	// platform holds it — now, or from an earlier try whose answer was lost
	// (an adapter recognises "already shipped" with the same waybill as
	// success, and checks state before any call that has no idempotency key).
	Ship(ctx context.Context, c Conn, shop Shop, s Shipment) error
	// SetStock publishes one listing's quantity.
	SetStock(ctx context.Context, c Conn, shop Shop, s StockSet) (StockResult, error)
	// RateLimit is the requests a minute (and the burst) a shop keeps
	// under by default: under the platform's documented limit.
	RateLimit() (perMinute, burst int)
}

var (
	regMu     sync.Mutex
	platforms = map[string]Platform{}
)

// Register adds an adapter; each adapter's file registers itself.
func Register(p Platform) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := platforms[p.Name()]; dup {
		panic("market: platform registered twice: " + p.Name())
	}
	platforms[p.Name()] = p
}

// Lookup is the adapter for a dialect.
func Lookup(dialect string) (Platform, bool) {
	regMu.Lock()
	defer regMu.Unlock()
	p, ok := platforms[dialect]
	return p, ok
}

// Kind says what a failure means for the sender.
type Kind int

const (
	// Refused: the platform will give the same no again (an unknown
	// order, a carrier it does not know, a cancelled order): a dead letter.
	Refused Kind = iota + 1
	// Retry: answered, not done, a later try may pass (the platform busy,
	// a system error it reported).
	Retry
	// Down: no usable answer (network, timeout, 5xx): the shop is offline.
	Down
	// Throttled: a rate limit; wait RetryAfter (or a backoff when zero).
	Throttled
	// Auth: the signature, the app key or the session was refused; a
	// person must fix the shop's keys. Retried after a backoff.
	Auth
)

func (k Kind) String() string {
	switch k {
	case Refused:
		return "refused"
	case Retry:
		return "retry"
	case Down:
		return "down"
	case Throttled:
		return "throttled"
	case Auth:
		return "auth"
	}
	return "unknown"
}

// Error is a platform's failure, with the platform's code and message
// (never a secret, a token or a signature).
type Error struct {
	Kind       Kind
	Code       string
	Message    string
	RetryAfter time.Duration
	Status     int // the HTTP status, when there was one
}

func (e *Error) Error() string {
	if e.Code != "" {
		return fmt.Sprintf("%s (%s): %s", e.Kind, e.Code, e.Message)
	}
	return e.Kind.String() + ": " + e.Message
}

// Errorf makes an Error.
func Errorf(kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}
