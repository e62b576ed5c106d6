package syncer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"maps"
	"slices"
	"sync"
	"time"

	"tally/syncer/market"
	"tally/wms"
)

// Stock to a marketplace shop: per SKU the shop publishes, what its
// listing may still sell (wms.ChannelQty of the owner's figures and the
// shop's rules), pushed through the platform's adapter.
//
//   - After commits the figures are read again (one read transaction) and
//     each SKU whose quantity changed is pushed once it has been quiet for
//     Options.StockDebounce (2 s), and never later than stockMaxDelay after
//     its first change: a burst of changes is one push, within 10 s.
//   - Everything is pushed when the shop answers again after being
//     unreachable (and when the link starts), and every
//     Options.StockFullEvery (15 min): the platform's own sales change its
//     figure, and a full push sets it back to the truth.
//   - While the shop is unreachable, and for the rules' settle time after
//     it answers again, every buffer grows by offline_buffer_per_hour for
//     each hour (begun) it was unreachable: the platform kept selling what
//     the warehouse could not tell it was gone.
//   - A refusal is kept on the SKU's row and not sent again until the
//     quantity changes; any other failure backs the link off and the push
//     is tried again with the same key.

// stockMaxDelay is the longest a changed SKU waits for its burst to end.
const stockMaxDelay = 8 * time.Second

// maxStockPushes and maxStockStep bound one step's pushes (a full round
// of a large catalogue goes on over many steps): after them the link does
// its other work, and a SKU that changed meanwhile goes first.
const (
	maxStockPushes = 200
	maxStockStep   = 2 * time.Second
)

// StockRow is one SKU of a shop: the figures, the formula's parts and
// what the platform said of the last push.
type StockRow struct {
	SKU    string `json:"sku"`
	ItemID string `json:"item_id,omitempty"`
	SkuID  string `json:"sku_id,omitempty"`
	// the figures and the formula's parts
	OnHand    int64 `json:"on_hand"`
	Committed int64 `json:"committed"`
	Available int64 `json:"available"`
	Share     int64 `json:"share"` // the channel's share of what is available, before the buffers
	Buffer    int64 `json:"buffer"`
	Extra     int64 `json:"extra"` // the offline hours' buffer
	Want      int64 `json:"want"`  // what the formula says now
	// Oversold is the units the open orders need beyond what is on hand.
	Oversold int64 `json:"oversold"`
	// Published is the quantity the platform last took, at PublishedAt
	// (nil: none yet since the link started).
	Published   int64      `json:"published"`
	PublishedAt *time.Time `json:"published_at,omitempty"`
	// the platform's answer to the last push: ok, refused, failed, or
	// pending (waiting for its burst to end or for the link)
	Answer      string     `json:"answer"`
	Code        string     `json:"code,omitempty"`
	Message     string     `json:"message,omitempty"`
	PlatformQty *int64     `json:"platform_qty,omitempty"`
	AnsweredAt  *time.Time `json:"answered_at,omitempty"`
}

// Answers a row may show.
const (
	AnswerOK      = "ok"
	AnswerRefused = "refused"
	AnswerFailed  = "failed"
	AnswerPending = "pending"
)

// ChannelStockView is what a shop's publication looks like now.
type ChannelStockView struct {
	Rows []StockRow `json:"rows"`
	// FullAt is when everything was last pushed; Extra the offline buffer
	// added now, until ExtraUntil (nil: none).
	FullAt     *time.Time `json:"full_at,omitempty"`
	Extra      int64      `json:"extra"`
	ExtraUntil *time.Time `json:"extra_until,omitempty"`
	// Oversold is the sum of the rows'; Pushes the pushes since the start
	// by answer (ok, refused, failed).
	Oversold int64            `json:"oversold"`
	Pushes   map[string]int64 `json:"pushes"`
}

// stockPending is a SKU whose quantity is to be pushed.
type stockPending struct {
	first, last time.Time // of the changes since the last push
	full        bool      // part of a full push: due at once
	changed     bool      // the quantity changed: due after its burst
	key         string    // the publication's key, kept across retries
	qty         int64     // the quantity key was made for
}

// stockState is a shop's publication, kept by its link's goroutine;
// mu guards what ChannelStock reads from other goroutines.
type stockState struct {
	mu      sync.Mutex
	rows    map[string]*StockRow
	pending map[string]*stockPending
	last    map[string]int64 // what the platform was last told, by SKU (Last of market.StockSet)
	pushes  map[string]int64
	fullAt  time.Time
	full    bool   // a full push is due: the link started or the shop answered again
	started bool   // the first step ran
	seq     uint64 // the ledger's sequence the rows were computed at
	// the offline window: while offline, the extra grows from
	// offlineSince; after the shop answered again at reconnectedAt, it is
	// the span offlineFor for the settle time
	reconnectedAt time.Time
	offlineFor    time.Duration
	extra         int64
	extraUntil    time.Time
	next          time.Time // when the next step is due (stockDue)
}

// reconnected records that the shop answers again after being unreachable
// since since: a full push is due, and the offline span makes the extra
// buffer. A first answer (since zero) needs neither: a link's first step
// pushes everything.
func (st *stockState) reconnected(since, now time.Time) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if !since.IsZero() && now.After(since) {
		st.full = true
		st.reconnectedAt, st.offlineFor = now, now.Sub(since)
	}
}

// offlineHours is the hours begun in a span.
func offlineHours(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Hour - 1) / time.Hour)
}

// stockDue is when the publication next has work: a burst that ends, a
// full push, the extra buffer growing or settling.
func (k *link) stockDue(up wms.Upstream) time.Time {
	if up.NoStock {
		return time.Time{}
	}
	k.stock.mu.Lock()
	defer k.stock.mu.Unlock()
	return k.stock.next
}

// stepStock recomputes what the shop may sell and pushes what is due.
func (k *link) stepStock(ctx context.Context, up wms.Upstream, p market.Platform) (busy bool, err error) {
	st := &k.stock
	now := k.s.now()
	rules, err := k.s.l.StockRulesOf(up.Name)
	if err != nil {
		return false, err
	}
	extra, until := k.stockExtra(rules, now)
	seq := k.s.l.LastSeq()
	st.mu.Lock()
	recompute := !st.started || seq != st.seq || extra != st.extra || st.full || !now.Before(st.fullAt.Add(k.s.o.StockFullEvery))
	st.mu.Unlock()
	round := false // this step began a full round
	if recompute {
		if round, err = k.computeStock(up, rules, extra, until, now); err != nil {
			return false, err
		}
	}
	due := k.stockDueNow(now)
	pushed, failed, began := 0, error(nil), time.Now()
	for _, sku := range due {
		if pushed == maxStockPushes || pushed > 0 && time.Since(began) > maxStockStep {
			busy = true // the rest next step, after any change seen meanwhile
			break
		}
		if err := k.pushStock(ctx, up, p, sku); err != nil {
			failed = err
			break
		}
		pushed++
	}
	st.mu.Lock()
	if round && failed == nil && !busy {
		// a reconnection during the round asked for the round it was
		st.full = false
	}
	st.next = k.stockNext(now)
	st.mu.Unlock()
	if failed != nil {
		return false, failed
	}
	return busy, nil
}

// stockExtra is the extra buffer now: growing while the shop is
// unreachable, the span's for the settle time after it answers again.
func (k *link) stockExtra(rules wms.StockRules, now time.Time) (extra int64, until time.Time) {
	if rules.OfflineBufferPerHour == 0 {
		return 0, time.Time{}
	}
	k.mu.Lock()
	online, since := k.online, k.offlineSince
	k.mu.Unlock()
	if !online && !since.IsZero() {
		return rules.OfflineBufferPerHour * offlineHours(now.Sub(since)), time.Time{}
	}
	k.stock.mu.Lock()
	at, span := k.stock.reconnectedAt, k.stock.offlineFor
	k.stock.mu.Unlock()
	if span > 0 {
		if until := at.Add(time.Duration(rules.Settle()) * time.Second); now.Before(until) {
			return rules.OfflineBufferPerHour * offlineHours(span), until
		}
	}
	return 0, time.Time{}
}

// computeStock reads the owner's figures and the rules of every shop that
// shares them, and sets each row's quantity; a changed one becomes
// pending.
func (k *link) computeStock(up wms.Upstream, rules wms.StockRules, extra int64, until, now time.Time) (full bool, err error) {
	figs, seq, err := k.s.l.ChannelStock(up.Owner)
	if err != nil {
		return false, err
	}
	others, err := k.sharingShops(up)
	if err != nil {
		return false, err
	}
	byKey := make(map[string]wms.SKUStock, len(figs))
	for _, f := range figs {
		byKey[f.SKU] = f
	}
	skus := []string{}
	if rules.AllSKUs {
		for _, f := range figs {
			skus = append(skus, f.SKU)
		}
	}
	for _, l := range rules.Listings {
		if _, ok := byKey[l.SKU]; !ok || !rules.AllSKUs {
			skus = append(skus, l.SKU)
		}
	}
	slices.Sort(skus)
	skus = slices.Compact(skus)
	st := &k.stock
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.rows == nil {
		st.rows, st.pending, st.last, st.pushes = map[string]*StockRow{}, map[string]*stockPending{}, map[string]int64{}, map[string]int64{}
	}
	// a full round: at the start, when the shop answers again, and every
	// StockFullEvery; every row is due at once, and stays due until the
	// platform took it or refused it
	full = !st.started || st.full || !now.Before(st.fullAt.Add(k.s.o.StockFullEvery))
	if full {
		st.started, st.full, st.fullAt = true, false, now
	}
	keep := make(map[string]bool, len(skus))
	for _, sku := range skus {
		keep[sku] = true
		f := byKey[sku]
		own := rules.ShareOf(sku)
		all := []wms.Share{own}
		for _, o := range others {
			if o.Publishes(sku) {
				all = append(all, o.ShareOf(sku))
			}
		}
		buffer := rules.BufferOf(sku)
		want := wms.ChannelQty(f.Available(), own, all, buffer, extra)
		row := st.rows[sku]
		if row == nil {
			row = &StockRow{SKU: sku, Answer: AnswerPending}
			st.rows[sku] = row
		}
		l, _ := rules.Listing(sku)
		row.ItemID, row.SkuID = l.ItemID, l.SkuID
		row.OnHand, row.Committed, row.Available = f.OnHand, f.Committed, f.Available()
		row.Share = wms.ChannelQty(f.Available(), own, all, 0, 0)
		row.Buffer, row.Extra, row.Oversold = buffer, extra, max(0, -f.Available())
		changed := want != row.Want || row.PublishedAt == nil && row.Answer == AnswerPending
		row.Want = want
		pd := st.pending[sku]
		settled := row.PublishedAt != nil && row.Published == want && row.Answer == AnswerOK
		refused := row.Answer == AnswerRefused && pd == nil && !changed
		switch {
		case full && !refused:
			if pd == nil {
				pd = &stockPending{first: now, last: now}
				st.pending[sku] = pd
			}
			pd.full = true
		case settled && pd != nil && !pd.full:
			delete(st.pending, sku) // back to what the platform holds
		case settled || refused:
		case pd == nil:
			st.pending[sku] = &stockPending{first: now, last: now, changed: true}
			row.Answer = AnswerPending
		case changed:
			pd.last, pd.changed = now, true
		}
	}
	for sku := range st.rows {
		if !keep[sku] {
			delete(st.rows, sku)
			delete(st.pending, sku)
		}
	}
	st.seq, st.extra, st.extraUntil = seq, extra, until
	return full, nil
}

// sharingShops are the rules of the other shops that publish the same
// owner's stock (their shares split it with this one).
func (k *link) sharingShops(up wms.Upstream) ([]wms.StockRules, error) {
	ups, err := k.s.l.Upstreams()
	if err != nil {
		return nil, err
	}
	var out []wms.StockRules
	for _, u := range ups {
		if u.Name == up.Name || !wms.IsMarket(u.Dialect) || u.NoStock || u.Disabled || wms.OwnerOr(u.Owner) != wms.OwnerOr(up.Owner) {
			continue
		}
		r, err := k.s.l.StockRulesOf(u.Name)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// stockDueNow is the SKUs to push now: the changed ones first, so a
// change never waits behind a full round of a large catalogue (which the
// platform's rate limit may stretch over many minutes), then the round's,
// each part by SKU.
func (k *link) stockDueNow(now time.Time) []string {
	st := &k.stock
	st.mu.Lock()
	defer st.mu.Unlock()
	var changed, round []string
	for sku, pd := range st.pending {
		switch {
		case pd.changed && !now.Before(k.pendingDue(pd)):
			changed = append(changed, sku)
		case pd.full:
			round = append(round, sku)
		}
	}
	slices.Sort(changed)
	slices.Sort(round)
	return append(changed, round...)
}

// pendingDue is when a changed SKU is pushed: after its burst has been
// quiet for the debounce, at most stockMaxDelay after its first change.
func (k *link) pendingDue(pd *stockPending) time.Time {
	d := k.s.o.StockDebounce
	at := pd.last.Add(d)
	if cap := pd.first.Add(max(d, stockMaxDelay)); cap.Before(at) {
		at = cap
	}
	return at
}

// stockNext is when the next step has publication work; mu held.
func (k *link) stockNext(now time.Time) time.Time {
	st := &k.stock
	next := st.fullAt.Add(k.s.o.StockFullEvery)
	for _, pd := range st.pending {
		at := k.pendingDue(pd)
		if pd.full {
			at = now
		}
		if at.Before(next) {
			next = at
		}
	}
	if !st.extraUntil.IsZero() && st.extraUntil.Before(next) {
		next = st.extraUntil
	}
	if st.extra > 0 && st.extraUntil.IsZero() {
		// offline: the extra grows at the next hour
		k.mu.Lock()
		since := k.offlineSince
		k.mu.Unlock()
		if !since.IsZero() {
			if at := since.Add(time.Duration(offlineHours(now.Sub(since))) * time.Hour); at.After(now) && at.Before(next) {
				next = at
			}
		}
	}
	return next
}

// stockKey is a new publication's key: random, kept over its retries, so
// a platform that drops repeats of a key takes each publication once and
// never mistakes a later one (a full push of the same quantity, a push
// after a restart) for a repeat.
func stockKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

// pushStock sends one SKU's quantity; a refusal is kept on its row, any
// other failure is returned for the link to back off.
func (k *link) pushStock(ctx context.Context, up wms.Upstream, p market.Platform, sku string) error {
	st := &k.stock
	st.mu.Lock()
	row, pd := st.rows[sku], st.pending[sku]
	if row == nil || pd == nil {
		st.mu.Unlock()
		return nil
	}
	if pd.key == "" || pd.qty != row.Want {
		pd.key, pd.qty = stockKey(), row.Want
	}
	last, lastKnown := st.last[sku]
	set := market.StockSet{Key: pd.key, SKU: sku, Listing: market.Listing{ItemID: row.ItemID, SkuID: row.SkuID}, Qty: row.Want, Last: last, LastKnown: lastKnown}
	st.mu.Unlock()

	res, err := p.SetStock(ctx, k.conn(up, p), shopOf(up), set)
	now := k.s.now()
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	var ref *erpRefusal
	var fail error
	if err != nil {
		ref, fail = k.marketFailure(up.Dialect+" stock of "+sku, err)
	}
	st.mu.Lock()
	row.AnsweredAt = timePtr(now)
	switch {
	case err == nil:
		q := res.Qty
		row.Answer, row.Code, row.Message, row.PlatformQty = AnswerOK, "", res.Note, &q
		row.Published, row.PublishedAt = set.Qty, timePtr(now)
		st.last[sku] = q
		st.pushes[AnswerOK]++
		delete(st.pending, sku)
	case ref != nil:
		row.Answer, row.Code, row.Message, row.PlatformQty = AnswerRefused, ref.code, ref.reason, nil
		st.pushes[AnswerRefused]++
		delete(st.pending, sku)
	default:
		var f *failure
		row.Answer, row.Code, row.Message = AnswerFailed, "", fail.Error()
		if errors.As(fail, &f) {
			row.Code = f.code
		}
		st.pushes[AnswerFailed]++
	}
	st.mu.Unlock()
	switch {
	case err == nil:
		k.succeeded()
	case ref != nil:
		k.setOnline(true)
	default:
		return fail
	}
	return nil
}

// ChannelStock is a shop's publication as its link knows it, rows by
// SKU; ok false when the shop has no running link.
func (s *Syncer) ChannelStock(upstream string) (v ChannelStockView, ok bool) {
	s.mu.Lock()
	k := s.links[upstream]
	s.mu.Unlock()
	if k == nil {
		return ChannelStockView{Rows: []StockRow{}, Pushes: map[string]int64{}}, false
	}
	return k.stock.view(), true
}

func (st *stockState) view() ChannelStockView {
	st.mu.Lock()
	defer st.mu.Unlock()
	v := ChannelStockView{Rows: make([]StockRow, 0, len(st.rows)), Pushes: maps.Clone(st.pushes), Extra: st.extra,
		FullAt: timePtr(st.fullAt), ExtraUntil: timePtr(st.extraUntil)}
	if v.Pushes == nil {
		v.Pushes = map[string]int64{}
	}
	for _, sku := range slices.Sorted(maps.Keys(st.rows)) {
		r := *st.rows[sku]
		if r.PlatformQty != nil {
			q := *r.PlatformQty
			r.PlatformQty = &q
		}
		v.Rows = append(v.Rows, r)
		v.Oversold += r.Oversold
	}
	return v
}
