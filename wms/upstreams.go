package wms

import (
	"context"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// An upstream is a system the warehouse trades with: a central OMS speaking
// Tally's protocol (docs/sync.md), later an ERP over Qimen or a marketplace.
// Its configuration is an event like any other (sync.upstream.saved), so a
// standby that follows the log knows it; its token and secret are in the
// log (the warehouse must send them) but never in the feed, pages, logs or
// /metrics: feedSecrets strips them and the server's answers say only that
// they are set.

// Dialects are the protocols an upstream may speak.
var Dialects = []string{DialectTally, DialectQimen, DialectTaobao, DialectJD, DialectPDD, DialectDouyin, DialectShopify}

// MarketDialects are the marketplaces a shop upstream may be on: the
// warehouse writes shipments and stock back to them (docs/markets.md).
var MarketDialects = []string{DialectTaobao, DialectJD, DialectPDD, DialectDouyin, DialectShopify}

const (
	// DialectTally is Tally's own sync protocol (docs/sync.md).
	DialectTally = "tally"
	// DialectQimen is the Qimen (奇门) WMS standard an ERP speaks: the ERP
	// calls POST /qimen, the warehouse calls the ERP's URL back.
	DialectQimen = "qimen"
	// The marketplaces, each its own gateway and signature: Taobao and
	// Tmall (TOP), JD (JOS), Pinduoduo, Douyin (抖店) and Shopify's Admin
	// GraphQL API.
	DialectTaobao  = "taobao"
	DialectJD      = "jd"
	DialectPDD     = "pdd"
	DialectDouyin  = "douyin"
	DialectShopify = "shopify"
)

// IsMarket says whether a dialect is a marketplace's.
func IsMarket(dialect string) bool { return slices.Contains(MarketDialects, dialect) }

// Taobao's signature methods (TOP's sign_method).
var TaobaoSignMethods = []string{"md5", "hmac", "hmac-sha256"}

// ViaHub is an upstream reached through the hub (tally hub) over the
// warehouse's NATS leaf link instead of HTTP: it has no URL or secret at
// the warehouse; the hub holds them and signs when it sends.
const ViaHub = "hub"

// Limits of an upstream's configuration.
const (
	MinUpstreamToken = 16
	MaxUpstreamToken = 4096
	MinUpstreamKey   = 16 // a signing key: the secret, or the token when there is none
	MaxUpstreamKey   = 1024
	MaxUpstreamURL   = 2048
)

// Upstream is one upstream's configuration.
type Upstream struct {
	Name    string `json:"name"`
	Dialect string `json:"dialect"`
	URL     string `json:"url"`
	// Token is the bearer token the upstream issued; Secret the shared
	// signing key (empty: the token signs). Kept, never shown again.
	Token  string `json:"token,omitempty"`
	Secret string `json:"secret,omitempty"`
	// Owner limits the upstream to one owner's events and changes; empty
	// is every owner's.
	Owner string `json:"owner,omitempty"`
	// NoPush and NoPull turn a direction off (both on by default).
	NoPush bool `json:"no_push,omitempty"`
	NoPull bool `json:"no_pull,omitempty"`
	// Disabled stops all traffic with the upstream; its cursors are kept.
	Disabled bool `json:"disabled,omitempty"`
	// ClearSecret, on a save, removes a secret (an empty Secret keeps it).
	ClearSecret bool `json:"clear_secret,omitempty"`

	// Qimen only. AppKey and CustomerID are the ERP's app_key and
	// customerId (which of them a request names chooses the upstream whose
	// Secret verifies it); OwnerCode is the ERP's ownerCode for Owner
	// (empty: the same as Owner). Qimen has no token.
	AppKey     string `json:"app_key,omitempty"`
	CustomerID string `json:"customer_id,omitempty"`
	OwnerCode  string `json:"owner_code,omitempty"`
	// Via is "hub" for an upstream reached through the hub, empty for HTTP
	// to URL.
	Via string `json:"via,omitempty"`

	// Marketplaces only (a shop). AppKey is the platform's app key (a
	// Shopify shop has none); Secret signs; Session is the seller's access
	// token (TOP's session, JOS's, Pinduoduo's and Douyin's access_token,
	// Shopify's Admin API access token): kept like the secret, never shown.
	// Channel is the orders' channel this shop writes back (with Owner,
	// which a shop must name). SignMethod is Taobao's (md5, hmac or
	// hmac-sha256; empty: hmac-sha256). Location is the Shopify location
	// whose stock Tally sets. NoShip and NoStock leave shipments or stock to
	// another side (an ERP that writes back itself).
	Channel    string `json:"channel,omitempty"`
	Session    string `json:"session,omitempty"`
	SignMethod string `json:"sign_method,omitempty"`
	Location   string `json:"location,omitempty"`
	NoShip     bool   `json:"no_ship,omitempty"`
	NoStock    bool   `json:"no_stock,omitempty"`
	// RatePerMinute is the requests a minute the shop's app may make (its
	// quota on the platform); 0 is the adapter's default, under the
	// platform's documented limit. For Shopify it is cost points a minute.
	RatePerMinute int `json:"rate_per_minute,omitempty"`
}

// MaxRatePerMinute bounds a shop's configured rate.
const MaxRatePerMinute = 1_000_000

// QimenOwner is the Tally owner a Qimen upstream's requests are for.
func (u Upstream) QimenOwner() string {
	if u.Owner == "" {
		return DefaultOwner
	}
	return u.Owner
}

// QimenOwnerCode is the ownerCode the ERP uses for the upstream's owner.
func (u Upstream) QimenOwnerCode() string {
	if u.OwnerCode != "" {
		return u.OwnerCode
	}
	return u.QimenOwner()
}

// SigningKey is what signs requests to the upstream: its secret, or its
// token when it has none.
func (u Upstream) SigningKey() []byte {
	if u.Secret != "" {
		return []byte(u.Secret)
	}
	return []byte(u.Token)
}

var (
	upstreamName = regexp.MustCompile(`^[a-z0-9-]{1,32}$`)
	// qimenCode is an app_key, customerId or ownerCode: what ERPs issue.
	qimenCode = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,64}$`)
	// shopifyLocation is a Shopify location's global ID.
	shopifyLocation = regexp.MustCompile(`^gid://shopify/Location/[0-9]{1,20}$`)
)

// Limits of a shop's session (access token).
const MaxUpstreamSession = 1024

// needsToken says whether the configuration signs with a bearer token:
// Tally's protocol does; Qimen signs with its secret alone.
func (u Upstream) needsToken() bool { return u.Dialect == DialectTally }

// validate checks a configuration as it will be stored: the token must be
// there (a save without one keeps the stored one, filled in by the decider).
func (u *Upstream) validate() error {
	u.URL = strings.TrimSpace(u.URL)
	u.Owner = strings.TrimSpace(u.Owner)
	if !upstreamName.MatchString(u.Name) {
		return Errf(CodeInvalid, "upstream.name_invalid", "name", clipText(u.Name))
	}
	if !slices.Contains(Dialects, u.Dialect) {
		return Errf(CodeInvalid, "upstream.dialect_unknown", "dialect", clipText(u.Dialect), "dialects", strings.Join(Dialects, ", "))
	}
	if u.Via != "" && (u.Via != ViaHub || u.Dialect != DialectQimen) {
		return Errf(CodeInvalid, "upstream.via_invalid", "via", clipText(u.Via))
	}
	if u.Via == ViaHub {
		// the hub holds the ERP's URL and secret
		if u.URL != "" {
			return Errf(CodeInvalid, "upstream.url_invalid", "url", clipText(u.URL))
		}
	} else if err := checkUpstreamURL(u.URL); err != nil {
		return err
	}
	if u.needsToken() {
		if n := len(u.Token); n < MinUpstreamToken || n > MaxUpstreamToken || !printableASCII(u.Token) {
			return Errf(CodeInvalid, "upstream.token_invalid", "min", "16", "max", "4096")
		}
	} else if u.Token != "" {
		return Errf(CodeInvalid, "upstream.token_unused", "dialect", u.Dialect)
	}
	if n := len(u.Secret); u.Secret != "" && (n < MinUpstreamKey || n > MaxUpstreamKey || !utf8.ValidString(u.Secret)) {
		return Errf(CodeInvalid, "upstream.secret_invalid", "min", "16", "max", "1024")
	}
	if u.Dialect == DialectQimen {
		if !qimenCode.MatchString(u.AppKey) {
			return Errf(CodeInvalid, "upstream.app_key_invalid", "app_key", clipText(u.AppKey))
		}
		if !qimenCode.MatchString(u.CustomerID) {
			return Errf(CodeInvalid, "upstream.customer_id_invalid", "customer_id", clipText(u.CustomerID))
		}
		if u.OwnerCode != "" && !qimenCode.MatchString(u.OwnerCode) {
			return Errf(CodeInvalid, "upstream.owner_code_invalid", "owner_code", clipText(u.OwnerCode))
		}
		if u.Via != ViaHub && u.Secret == "" {
			return Errf(CodeInvalid, "upstream.secret_invalid", "min", "16", "max", "1024")
		}
	} else if u.CustomerID != "" || u.OwnerCode != "" || (u.AppKey != "" && !IsMarket(u.Dialect)) {
		return Errf(CodeInvalid, "upstream.qimen_only", "dialect", u.Dialect)
	}
	if err := u.validateShop(); err != nil {
		return err
	}
	if u.Owner != "" && !validCode(u.Owner) {
		return Errf(CodeInvalid, "owner.code_invalid", "owner", clipText(u.Owner))
	}
	return nil
}

// validateShop checks what a marketplace's shop needs: its keys, the
// owner and channel it writes back; other dialects have none of it.
func (u *Upstream) validateShop() error {
	u.Channel = strings.TrimSpace(u.Channel)
	if !IsMarket(u.Dialect) {
		if u.Channel != "" || u.Session != "" || u.SignMethod != "" || u.Location != "" || u.NoShip || u.NoStock || u.RatePerMinute != 0 {
			return Errf(CodeInvalid, "upstream.market_only", "dialect", u.Dialect)
		}
		return nil
	}
	if u.Dialect != DialectShopify && !qimenCode.MatchString(u.AppKey) {
		return Errf(CodeInvalid, "upstream.app_key_invalid", "app_key", clipText(u.AppKey))
	}
	if u.Dialect == DialectShopify && u.AppKey != "" {
		return Errf(CodeInvalid, "upstream.app_key_unused", "dialect", u.Dialect)
	}
	if u.Dialect != DialectShopify && u.Secret == "" {
		return Errf(CodeInvalid, "upstream.secret_invalid", "min", "16", "max", "1024")
	}
	if n := len(u.Session); n == 0 || n > MaxUpstreamSession || !printableASCII(u.Session) {
		return Errf(CodeInvalid, "upstream.session_invalid", "max", "1024")
	}
	if u.Owner == "" {
		return Errf(CodeInvalid, "upstream.owner_needed", "dialect", u.Dialect)
	}
	if !validCode(u.Channel) || len(u.Channel) > 32 {
		return Errf(CodeInvalid, "upstream.channel_invalid", "channel", clipText(u.Channel))
	}
	switch {
	case u.Dialect == DialectTaobao && u.SignMethod != "" && !slices.Contains(TaobaoSignMethods, u.SignMethod):
		return Errf(CodeInvalid, "upstream.sign_method_invalid", "sign_method", clipText(u.SignMethod), "methods", strings.Join(TaobaoSignMethods, ", "))
	case u.Dialect != DialectTaobao && u.SignMethod != "":
		return Errf(CodeInvalid, "upstream.sign_method_invalid", "sign_method", clipText(u.SignMethod), "methods", "—")
	}
	if u.RatePerMinute < 0 || u.RatePerMinute > MaxRatePerMinute {
		return Errf(CodeInvalid, "upstream.rate_invalid", "max", "1000000")
	}
	if u.Location != "" && (u.Dialect != DialectShopify || !shopifyLocation.MatchString(u.Location)) {
		return Errf(CodeInvalid, "upstream.location_invalid", "location", clipText(u.Location))
	}
	return nil
}

// checkUpstreamURL takes https, or http to a loopback address (tests and
// a fake OMS on the same machine), with no credentials, query or fragment.
func checkUpstreamURL(raw string) error {
	bad := Errf(CodeInvalid, "upstream.url_invalid", "url", clipText(raw))
	if raw == "" || len(raw) > MaxUpstreamURL {
		return bad
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return bad
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if host == "localhost" {
			return nil
		}
		if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
			return nil
		}
		return Errf(CodeInvalid, "upstream.url_plain_http", "url", clipText(raw))
	}
	return bad
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// clipText shortens outside input quoted back in a message.
func clipText(s string) string {
	if utf8.RuneCountInString(s) <= 64 && utf8.ValidString(s) {
		return s
	}
	r := []rune(strings.ToValidUTF8(s, "?"))
	if len(r) > 64 {
		r = append(r[:61], '.', '.', '.')
	}
	return string(r)
}

// decideUpstream fills in what a save left out from the stored
// configuration: a save without a token or secret keeps the stored ones,
// so an admin changes a URL without typing the secrets again.
func decideUpstream(tx *txn, ev *Event) error {
	var u Upstream
	if err := decode(ev, &u); err != nil {
		return err
	}
	old, found, err := lookup[Upstream](tx, bucketUpstreams, []byte(u.Name))
	if err != nil {
		return err
	}
	if found {
		if u.Token == "" && u.needsToken() {
			u.Token = old.Token
		}
		if u.Secret == "" && !u.ClearSecret {
			u.Secret = old.Secret
		}
		if u.Session == "" && IsMarket(u.Dialect) {
			u.Session = old.Session
		}
	}
	u.ClearSecret = false
	if u.Token == "" && u.needsToken() {
		return Errf(CodeInvalid, "upstream.token_invalid", "min", "16", "max", "4096")
	}
	return setPayload(ev, u)
}

func applyUpstream(tx *txn, ev *Event) error {
	var u Upstream
	if err := decode(ev, &u); err != nil {
		return err
	}
	if err := u.validate(); err != nil {
		return err
	}
	if u.Owner != "" {
		if err := knownOwner(tx, u.Owner); err != nil {
			return err
		}
	}
	return putJSON(tx.Bucket(bucketUpstreams), []byte(u.Name), u)
}

// SaveUpstream creates or changes an upstream. id is the request's key: a
// repeat gets the first answer. The answer carries the token and secret as
// stored: callers show only whether they are set.
func (l *Ledger) SaveUpstream(ctx context.Context, id string, u Upstream, actor, device string) (Upstream, error) {
	check := u
	if check.Token == "" && check.needsToken() {
		check.Token = strings.Repeat("x", MinUpstreamToken) // kept from the stored one, checked by the decider
	}
	if check.Secret == "" && check.Dialect == DialectQimen && check.Via != ViaHub {
		check.Secret = strings.Repeat("x", MinUpstreamKey) // kept from the stored one, checked when applied
	}
	if IsMarket(check.Dialect) {
		// kept from the stored ones, checked when applied
		if check.Secret == "" && check.Dialect != DialectShopify {
			check.Secret = strings.Repeat("x", MinUpstreamKey)
		}
		if check.Session == "" {
			check.Session = "x"
		}
	}
	if err := check.validate(); err != nil {
		return Upstream{}, err
	}
	u.URL, u.Owner, u.Channel = check.URL, check.Owner, check.Channel
	if u.Owner != "" {
		if _, err := l.KnownOwner(u.Owner); err != nil {
			return Upstream{}, err
		}
	}
	if id == "" {
		id = newID()
	}
	return keyedAppend(ctx, l, id, EvUpstreamSaved, "", "upstream:"+u.Name, u, actor, device, nil)
}

// Upstreams lists every upstream, by name, with its token and secret (for
// the syncer; never show them).
func (l *Ledger) Upstreams() ([]Upstream, error) { return listAll[Upstream](l, bucketUpstreams) }

// UpstreamNamed is one upstream's configuration.
func (l *Ledger) UpstreamNamed(name string) (u Upstream, err error) {
	err = l.view(func(tx *txn) error {
		u, err = mustGet[Upstream](tx, bucketUpstreams, []byte(name), "upstream.not_found", "name", clipText(name))
		return err
	})
	return u, err
}
