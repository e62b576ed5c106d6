package server

import (
	"container/list"
	"math"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// What traffic without a login can make the server write or work at.
//
// The login form is the one door that takes input from anybody and does work
// for it (a PBKDF2 check of the PIN, an audit event). Two bounds hold:
//
//   - A badge nobody has writes nothing: the ledger refuses it without an
//     event, and the server counts it (tally_login_unknown_badge_total on
//     /metrics). A wrong PIN, a disabled or locked badge still writes its
//     login.failed event: the audit trail of real accounts, and the count
//     behind the lockout.
//   - Failed logins are rate limited per client address and per badge: a
//     token bucket each (failures spend a token; a login that works spends
//     none, so a shift of handhelds logging in together at one address is
//     never slowed), kept in memory with a cap on how many keys it holds
//     (the least recently used go first). When a bucket is empty the login is
//     answered 429 (login.too_many, with Retry-After) before any PIN is
//     checked or anything is written. An address is the client's IP (an
//     IPv6 client's /64, which one machine usually holds whole).
//
// So what anonymous traffic can append is at most the badge buckets' rate
// for each real badge (lockouts bound the wrong PINs further), however many
// addresses it comes from; an address that keeps failing gets 429s that cost
// a map lookup. The buckets live in this process: a restart refills them.
const (
	loginFailBurstAddr = 20               // failures an address may make at once
	loginFailEveryAddr = 6 * time.Second  // then one more every so often (10 a minute)
	loginFailBurstBadg = 10               // failures on one badge at once, from anywhere
	loginFailEveryBadg = 30 * time.Second // then one more every so often (2 a minute)
	loginLimitKeys     = 10_000           // keys each limiter remembers
)

// loginLimits holds the two limiters and the counters /metrics shows.
type loginLimits struct {
	byAddr, byBadge *failBuckets
	unknownBadges   atomic.Uint64 // failed logins with a badge nobody has
	limited         atomic.Uint64 // logins answered 429
}

func newLoginLimits() *loginLimits {
	return &loginLimits{
		byAddr:  newFailBuckets(loginFailBurstAddr, loginFailEveryAddr, loginLimitKeys),
		byBadge: newFailBuckets(loginFailBurstBadg, loginFailEveryBadg, loginLimitKeys),
	}
}

// maxBadgeKey is the longest badge kept as a key: longer is no badge (the
// ledger refuses it unread), and is limited by its address alone, so a
// megabyte typed into the badge field is never held.
const maxBadgeKey = 64

// wait is how long the address or badge must wait before another attempt
// is taken (zero: go ahead).
func (ll *loginLimits) wait(addr, badge string, now time.Time) time.Duration {
	w := ll.byAddr.wait(addr, now)
	if len(badge) <= maxBadgeKey {
		w = max(w, ll.byBadge.wait(badge, now))
	}
	if w > 0 {
		ll.limited.Add(1)
	}
	return w
}

// failed spends a token of the address's bucket and of the badge's.
func (ll *loginLimits) failed(addr, badge string, now time.Time) {
	ll.byAddr.spend(addr, now)
	if len(badge) <= maxBadgeKey {
		ll.byBadge.spend(badge, now)
	}
}

// clientAddr is the key an address is limited by: the IP, or for IPv6 its /64.
func clientAddr(ip string) string {
	parsed := net.ParseIP(ip)
	if parsed == nil || parsed.To4() != nil {
		return ip
	}
	return parsed.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// failBuckets is a token bucket per key, at most max keys, least recently
// used forgotten first. A key it does not hold has a full bucket.
type failBuckets struct {
	mu    sync.Mutex
	burst float64
	every time.Duration // one token back per every
	max   int
	keys  map[string]*list.Element
	lru   *list.List // of *failBucket, most recent at the front
}

type failBucket struct {
	key    string
	tokens float64
	at     time.Time // when tokens was last brought up to date
}

func newFailBuckets(burst int, every time.Duration, maxKeys int) *failBuckets {
	return &failBuckets{burst: float64(burst), every: every, max: maxKeys, keys: map[string]*list.Element{}, lru: list.New()}
}

// refill brings b's tokens up to now.
func (f *failBuckets) refill(b *failBucket, now time.Time) {
	if now.After(b.at) {
		b.tokens = math.Min(f.burst, b.tokens+float64(now.Sub(b.at))/float64(f.every))
		b.at = now
	}
}

// wait is how long until key has a whole token; zero when it has one now.
func (f *failBuckets) wait(key string, now time.Time) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.keys[key]
	if e == nil {
		return 0
	}
	b := e.Value.(*failBucket)
	f.refill(b, now)
	if b.tokens >= 1 {
		return 0
	}
	return time.Duration((1 - b.tokens) * float64(f.every))
}

// spend takes a token from key's bucket (a full one for a new key),
// forgetting the least recently used key when the limiter is full.
func (f *failBuckets) spend(key string, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.keys[key]
	if e == nil {
		if f.lru.Len() >= f.max {
			oldest := f.lru.Back()
			f.lru.Remove(oldest)
			delete(f.keys, oldest.Value.(*failBucket).key)
		}
		e = f.lru.PushFront(&failBucket{key: key, tokens: f.burst, at: now})
		f.keys[key] = e
	} else {
		f.lru.MoveToFront(e)
	}
	b := e.Value.(*failBucket)
	f.refill(b, now)
	b.tokens = math.Max(0, b.tokens-1)
}

// len is how many keys f holds.
func (f *failBuckets) len() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lru.Len()
}
