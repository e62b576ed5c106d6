package hub

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"tally/syncer"
	"tally/syncer/qimen"
)

// BridgeOptions configure a Bridge.
type BridgeOptions struct {
	// Send delivers a warehouse's call to its ERP (the signed HTTP call to
	// the upstream named c.Upstream). An error sends it again later. Of
	// the cluster's bridges one at a time sends a call ID (its claim in
	// HUB_SEEN); it is sent again only after an error (a Send cut off at
	// its time limit may have reached the ERP), or when the bridge that
	// claimed it stopped before recording it sent (see the package doc).
	// Send must give up when ctx ends.
	Send func(ctx context.Context, c qimen.Call) error
	Log  *slog.Logger

	// Timings; zero takes the default.
	AckWait      time.Duration // 30s: Send's time limit is 4/5 of it; a stopped bridge's calls come back after it
	AskTimeout   time.Duration // 10s: how long Ask waits for a warehouse's answer
	OnlineWithin time.Duration // 20s: a warehouse is online while its last hello is this recent
	Workers      int           // 16: calls forwarded at once per warehouse
}

// Bridge is Tally's part of a hub node: it stores ERPs' calls for the
// warehouses, asks warehouses for live answers, and forwards the
// warehouses' calls to their ERPs, each once by its ID.
type Bridge struct {
	n     *Node
	o     BridgeOptions
	id    string // the node's name and a random tag: who holds a claim
	log   *slog.Logger
	seen  jetstream.KeyValue
	snaps jetstream.KeyValue
	whs   jetstream.KeyValue
	to    jetstream.Stream

	ctx   context.Context
	stop  context.CancelFunc
	wg    sync.WaitGroup
	once  sync.Once
	subs  []*nats.Subscription
	mu    sync.Mutex
	loops map[string]bool
	// refused counts, per warehouse, the calls an ERP refused for good
	// since this node started (each is in the log at error level)
	refused map[string]uint64
}

// ErrOffline is a warehouse that is not connected to the hub or did not
// answer in time.
var ErrOffline = errors.New("hub: the warehouse is offline")

// ErrUnknownWarehouse is a warehouse that has never said hello to the hub.
var ErrUnknownWarehouse = errors.New("hub: no such warehouse has connected to the hub")

// WarehouseStatus is one warehouse as the hub sees it.
type WarehouseStatus struct {
	Warehouse   string    `json:"warehouse"`
	Leaf        string    `json:"leaf"` // the leaf's server name
	Online      bool      `json:"online"`
	LastContact time.Time `json:"last_contact"` // its last hello, hub's clock
	// ToWarehouse is how many ERPs' calls wait to be applied there;
	// FromWarehouse how many of its calls waited to reach the hub at its
	// last hello.
	ToWarehouse   uint64 `json:"to_warehouse"`
	FromWarehouse uint64 `json:"from_warehouse"`
	// Refused is how many of its calls an ERP refused for good (seen by
	// this node since it started).
	Refused      uint64    `json:"refused"`
	LastSnapshot time.Time `json:"last_snapshot,omitzero"` // when its last inventory snapshot was taken
}

// NewBridge starts the bridge on node n once the node is Ready (or ctx
// ends): it answers the warehouses' hellos and snapshots and forwards
// every known warehouse's calls. Every node of the cluster runs one; they
// share the work.
func NewBridge(ctx context.Context, n *Node, o BridgeOptions) (*Bridge, error) {
	if o.Send == nil {
		return nil, errors.New("hub: the bridge needs Send")
	}
	if err := n.Ready(ctx); err != nil {
		return nil, err
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	o.AckWait = or(o.AckWait, 30*time.Second)
	o.AskTimeout = or(o.AskTimeout, 10*time.Second)
	o.OnlineWithin = or(o.OnlineWithin, 20*time.Second)
	if o.Workers <= 0 {
		o.Workers = 16
	}
	tag := make([]byte, 6)
	if _, err := rand.Read(tag); err != nil {
		return nil, err
	}
	b := &Bridge{n: n, o: o, id: n.Name() + "/" + hex.EncodeToString(tag), log: o.Log.With("node", n.Name()), loops: map[string]bool{}}
	var err error
	if b.seen, err = n.js.KeyValue(ctx, BucketSeen); err != nil {
		return nil, err
	}
	if b.snaps, err = n.js.KeyValue(ctx, BucketSnapshots); err != nil {
		return nil, err
	}
	if b.whs, err = n.js.KeyValue(ctx, BucketWarehouses); err != nil {
		return nil, err
	}
	if b.to, err = n.js.Stream(ctx, StreamTo); err != nil {
		return nil, err
	}
	b.ctx, b.stop = context.WithCancel(context.Background())
	for subj, h := range map[string]nats.MsgHandler{subjectHelloAll: b.hello, subjectSnapshotAll: b.snapshot} {
		sub, err := n.nc.QueueSubscribe(subj, bridgeQueue, h)
		if err != nil {
			b.Close()
			return nil, err
		}
		b.subs = append(b.subs, sub)
	}
	b.wg.Add(1)
	go b.watch()
	return b, nil
}

// Close stops the bridge, waiting for the calls it is forwarding. It is
// safe to call twice; the node stays up.
func (b *Bridge) Close() {
	b.once.Do(func() {
		for _, s := range b.subs {
			_ = s.Drain()
		}
		if b.stop != nil {
			b.stop()
		}
		b.wg.Wait()
	})
}

// Deliver stores an ERP's call for warehouse c.Warehouse and returns once
// the hub's cluster has it (its Nats-Msg-Id is c.ID: a repeat within
// DupWindow is stored once; the warehouse applies by the call's keys).
func (b *Bridge) Deliver(ctx context.Context, c qimen.Call) error {
	if err := CheckWarehouse(c.Warehouse); err != nil {
		return err
	}
	if c.ID == "" {
		return errors.New("hub: a call without an ID")
	}
	data, err := json.Marshal(c)
	if err != nil {
		return err
	}
	if len(data) > MaxPayload {
		return fmt.Errorf("hub: call %s is %d bytes, more than %d", c.ID, len(data), MaxPayload)
	}
	if _, err := b.n.js.PublishMsg(ctx, &nats.Msg{Subject: subjectTo(c.Warehouse), Data: data}, jetstream.WithMsgID(c.ID)); err != nil {
		return fmt.Errorf("hub: storing call %s for %s: %w", c.ID, c.Warehouse, err)
	}
	return nil
}

// Ask sends c to warehouse c.Warehouse now and returns its answer (a
// Qimen <response>); ErrOffline when it is not connected or does not
// answer within AskTimeout.
func (b *Bridge) Ask(ctx context.Context, c qimen.Call) ([]byte, error) {
	if err := CheckWarehouse(c.Warehouse); err != nil {
		return nil, err
	}
	data, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, b.o.AskTimeout)
	defer cancel()
	m, err := b.n.nc.RequestWithContext(ctx, subjectAsk(c.Warehouse), data)
	if errors.Is(err, nats.ErrNoResponders) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) {
		return nil, fmt.Errorf("%w: %s", ErrOffline, c.Warehouse)
	}
	if err != nil {
		return nil, fmt.Errorf("hub: asking %s: %w", c.Warehouse, err)
	}
	return m.Data, nil
}

// Snapshot is warehouse's last inventory snapshot for upstream: the
// <response> an inventory.query for every item got, and when it was
// taken; ok is false when there is none.
func (b *Bridge) Snapshot(ctx context.Context, warehouse, upstream string) (body []byte, at time.Time, ok bool) {
	if CheckWarehouse(warehouse) != nil {
		return nil, time.Time{}, false
	}
	e, err := b.snaps.Get(ctx, snapshotKey(warehouse, upstream))
	if err != nil {
		return nil, time.Time{}, false
	}
	var c qimen.Call
	if json.Unmarshal(e.Value(), &c) != nil {
		return nil, time.Time{}, false
	}
	return c.Body, c.At, true
}

// Known says whether warehouse has ever said hello to the hub.
func (b *Bridge) Known(ctx context.Context, warehouse string) bool {
	if CheckWarehouse(warehouse) != nil {
		return false
	}
	_, err := b.whs.Get(ctx, warehouse)
	return err == nil
}

// Status lists every warehouse that has said hello to the hub, by code.
func (b *Bridge) Status(ctx context.Context) ([]WarehouseStatus, error) {
	lister, err := b.whs.ListKeys(ctx)
	if err != nil {
		return nil, err
	}
	var keys []string
	for k := range lister.Keys() {
		keys = append(keys, k)
	}
	info, err := b.to.Info(ctx, jetstream.WithSubjectFilter(subjectTo("*")))
	if err != nil {
		return nil, err
	}
	out := make([]WarehouseStatus, 0, len(keys))
	for _, wh := range keys {
		st := WarehouseStatus{Warehouse: wh, ToWarehouse: info.State.Subjects[subjectTo(wh)]}
		if e, err := b.whs.Get(ctx, wh); err == nil {
			var h hello
			_ = json.Unmarshal(e.Value(), &h)
			st.Leaf, st.FromWarehouse, st.LastContact = h.Leaf, h.Outgoing, e.Created()
			st.Online = time.Since(e.Created()) <= b.o.OnlineWithin
		}
		if e, err := b.snaps.Get(ctx, snapshotTimeKey(wh)); err == nil {
			_ = st.LastSnapshot.UnmarshalText(e.Value())
		}
		b.mu.Lock()
		st.Refused = b.refused[wh]
		b.mu.Unlock()
		out = append(out, st)
	}
	sortStatus(out)
	return out, nil
}

func snapshotTimeKey(wh string) string { return wh + ".at" }

// hello records a warehouse's hello (the entry's time is the last contact).
func (b *Bridge) hello(m *nats.Msg) {
	wh := strings.TrimPrefix(m.Subject, "hub.hello.")
	var h hello
	if CheckWarehouse(wh) != nil || json.Unmarshal(m.Data, &h) != nil || h.Warehouse != wh || len(h.Leaf) > 128 {
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	data, _ := json.Marshal(h)
	if _, err := b.whs.Put(ctx, wh, data); err != nil {
		b.log.Warn("hub: recording a hello", "warehouse", wh, "err", err)
		return
	}
	_ = m.Respond([]byte("ok"))
}

// snapshot stores a warehouse's inventory snapshot.
func (b *Bridge) snapshot(m *nats.Msg) {
	wh := strings.TrimPrefix(m.Subject, "hub.snapshot.")
	var c qimen.Call
	if CheckWarehouse(wh) != nil || json.Unmarshal(m.Data, &c) != nil || c.Warehouse != wh ||
		c.Upstream == "" || len(c.Body) > qimen.MaxBody || c.At.IsZero() {
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	at, _ := c.At.MarshalText()
	if _, err := b.snaps.Put(ctx, snapshotKey(wh, c.Upstream), m.Data); err != nil {
		b.log.Warn("hub: storing a snapshot", "warehouse", wh, "err", err)
		return
	}
	if _, err := b.snaps.Put(ctx, snapshotTimeKey(wh), at); err != nil {
		b.log.Warn("hub: storing a snapshot's time", "warehouse", wh, "err", err)
		return
	}
	_ = m.Respond([]byte("ok"))
}

// watch starts forwarding each warehouse's calls as soon as it is known.
func (b *Bridge) watch() {
	defer b.wg.Done()
	retry := backoff{}
	for b.ctx.Err() == nil {
		w, err := b.whs.WatchAll(b.ctx, jetstream.MetaOnly())
		if err != nil {
			retry.wait(b.ctx)
			continue
		}
		retry.reset()
		for e := range w.Updates() {
			if e == nil {
				continue // the initial values are all in
			}
			b.startLoop(e.Key())
		}
		_ = w.Stop()
		retry.wait(b.ctx)
	}
}

func (b *Bridge) startLoop(wh string) {
	if CheckWarehouse(wh) != nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.loops[wh] || b.ctx.Err() != nil {
		return
	}
	b.loops[wh] = true
	b.wg.Add(1)
	go b.forwardLoop(wh)
}

// forwardLoop takes warehouse wh's calls from its outgoing stream, across
// its JetStream domain, and sends each to its ERP once.
func (b *Bridge) forwardLoop(wh string) {
	defer b.wg.Done()
	ctx := b.ctx
	js, err := jetstream.NewWithDomain(b.n.nc, wh)
	if err != nil {
		b.log.Error("hub: the warehouse's domain", "warehouse", wh, "err", err)
		return
	}
	retry := backoff{}
	sem := make(chan struct{}, b.o.Workers)
	for ctx.Err() == nil {
		cons, err := js.CreateOrUpdateConsumer(ctx, streamOut(wh), jetstream.ConsumerConfig{
			Durable:       hubConsumer,
			AckPolicy:     jetstream.AckExplicitPolicy,
			AckWait:       b.o.AckWait,
			MaxDeliver:    -1,
			MaxAckPending: 4096,
		})
		if err != nil {
			retry.wait(ctx)
			continue
		}
		retry.reset()
		for ctx.Err() == nil {
			batch, err := cons.Fetch(512, jetstream.FetchMaxWait(2*time.Second))
			if err != nil {
				break
			}
			var wg sync.WaitGroup
			for m := range batch.Messages() {
				sem <- struct{}{}
				wg.Add(1)
				go func() {
					defer func() { <-sem; wg.Done() }()
					b.forward(ctx, m)
				}()
			}
			wg.Wait()
			if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) && !errors.Is(err, context.DeadlineExceeded) {
				break
			}
		}
		retry.wait(ctx)
	}
}

// forward sends one warehouse call to its ERP unless HUB_SEEN says it was
// sent: claim its ID (claimSend), Send, record it sent, then acknowledge.
// While it works the message is kept in progress, so JetStream does not
// hand it to another bridge. An ID seen with other content is refused
// (logged and dropped), never sent.
func (b *Bridge) forward(ctx context.Context, m jetstream.Msg) {
	var c qimen.Call
	if err := json.Unmarshal(m.Data(), &c); err != nil || c.ID == "" {
		b.log.Error("hub: a warehouse call the hub cannot read, dropped", "subject", m.Subject())
		_ = m.Term()
		return
	}
	defer keepInProgress(m, b.o.AckWait/3)()
	key, sum := digestKey(c.ID), contentDigest(c)
	rev, ok := b.claimSend(ctx, m, c, key, sum)
	if !ok {
		return
	}
	claimed := time.Now()
	sctx, cancel := context.WithTimeout(ctx, b.sendTimeout())
	err := b.o.Send(sctx, c)
	cancel()
	if errors.Is(err, syncer.ErrQimenRefused) {
		// the ERP will never take it as it stands: recorded as handled, so
		// it is not sent again, and shown; the warehouse's own dead
		// letters are the place to retry from
		b.log.Error("hub: the ERP refused a warehouse's call for good", "id", c.ID, "warehouse", c.Warehouse, "upstream", c.Upstream,
			"method", c.Method, "err", err)
		b.mu.Lock()
		if b.refused == nil {
			b.refused = map[string]uint64{}
		}
		b.refused[c.Warehouse]++
		b.mu.Unlock()
		err = nil
	}
	// record, even when the bridge is closing, while the claim holds: what
	// Send left of its limit and AckWait more (claimFor keeps one AckWait
	// beyond that for the clocks), retrying while the bucket elects a
	// leader after a node died
	rctx, rcancel := context.WithDeadline(context.WithoutCancel(ctx), claimed.Add(b.sendTimeout()+b.o.AckWait))
	defer rcancel()
	if err != nil {
		// give the claim back so that the retry need not wait for it to
		// expire; only this claim (its revision), never a newer one
		if derr := b.seen.Delete(rctx, key, jetstream.LastRevision(rev)); derr != nil {
			b.log.Debug("hub: releasing a claim (it expires by itself)", "id", c.ID, "err", derr)
		}
		n := uint64(1)
		if md, mdErr := m.Metadata(); mdErr == nil {
			n = md.NumDelivered
		}
		delay := min(time.Second<<min(n-1, 6), time.Minute)
		b.log.Warn("hub: sending a call to the ERP", "id", c.ID, "upstream", c.Upstream, "attempt", n, "err", err)
		_ = m.NakWithDelay(delay)
		return
	}
	for i := 0; ; i++ {
		_, err = b.seen.Put(rctx, key, []byte(sum))
		if err == nil || rctx.Err() != nil {
			break
		}
		select {
		case <-time.After(min(100*time.Millisecond<<min(i, 5), 2*time.Second)):
		case <-rctx.Done():
		}
	}
	b.log.Debug("hub: sent", "id", c.ID)
	if err != nil {
		b.log.Error("hub: sent but not recorded: the ERP may get this call again once the claim expires", "id", c.ID,
			"claim_for", b.claimFor(), "err", err)
	}
	_ = m.Ack()
}

// A HUB_SEEN value is the call's content digest once it was sent, or
// claimPrefix + digest + " " + the claiming bridge while one bridge sends
// it.
const claimPrefix = "claim "

// parseSeen reads a HUB_SEEN value: the content digest, and whether it is
// a claim and by whom.
func parseSeen(v []byte) (sum, owner string, claim bool) {
	s, claim := strings.CutPrefix(string(v), claimPrefix)
	if !claim {
		return s, "", false
	}
	sum, owner, _ = strings.Cut(s, " ")
	return sum, owner, true
}

// sendTimeout is Send's time limit.
func (b *Bridge) sendTimeout() time.Duration { return b.o.AckWait * 4 / 5 }

// claimFor is how long a claim holds: Send's limit, then AckWait to record
// the call sent, then AckWait more for the hub nodes' clocks to differ
// (the claim's age is the cluster's time of the claim against this node's
// clock). A claim older than that is of a bridge that died: the next
// bridge takes it over and sends the call again.
func (b *Bridge) claimFor() time.Duration { return b.sendTimeout() + 2*b.o.AckWait }

// claimSend makes this bridge the one that sends c: it creates c's HUB_SEEN
// key as a claim (the cluster creates a key once, so of two bridges only
// one wins; a new call costs that one write), else reads the key: sent
// before, another bridge's claim, or a claim that has expired, which it
// takes over (a compare-and-set on the claim's revision). It returns the
// claim's revision and true, or false when m is already settled:
// acknowledged (sent before), refused (other content), or put back for
// later (another bridge is sending it, or the bucket did not answer).
func (b *Bridge) claimSend(ctx context.Context, m jetstream.Msg, c qimen.Call, key, sum string) (uint64, bool) {
	mine := []byte(claimPrefix + sum + " " + b.id)
	for range 3 {
		// most calls are new: the create alone claims them
		rev, err := b.seen.Create(ctx, key, mine)
		if err == nil {
			return rev, true
		}
		if !errors.Is(err, jetstream.ErrKeyExists) {
			_ = m.NakWithDelay(time.Second)
			return 0, false
		}
		e, err := b.seen.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue // given back (or read from a replica behind) meanwhile: create again
		}
		if err != nil {
			_ = m.NakWithDelay(time.Second)
			return 0, false
		}
		got, owner, claimed := parseSeen(e.Value())
		switch {
		case got != sum:
			b.log.Error("hub: a call ID came again with other content; refused", "id", c.ID, "warehouse", c.Warehouse)
			_ = m.Term()
			return 0, false
		case !claimed:
			b.log.Debug("hub: sent before", "id", c.ID)
			_ = m.Ack()
			return 0, false
		}
		if left := b.claimFor() - time.Since(e.Created()); left > 0 {
			// the claimer acknowledges the call once sent; should it die,
			// the call comes back here after its claim has expired
			b.log.Debug("hub: another bridge is sending the call", "id", c.ID, "by", owner)
			_ = m.NakWithDelay(left + 100*time.Millisecond)
			return 0, false
		}
		rev, err = b.seen.Update(ctx, key, mine, e.Revision())
		if err == nil {
			b.log.Warn("hub: a claim expired (its bridge stopped while sending); sending again: the ERP may get this call twice",
				"id", c.ID, "warehouse", c.Warehouse, "claimed_by", owner)
			return rev, true
		}
		if !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			_ = m.NakWithDelay(time.Second)
			return 0, false
		}
		// another bridge took it over or recorded it: look again
	}
	_ = m.NakWithDelay(time.Second)
	return 0, false
}

// keepInProgress tells JetStream every interval that m is still being
// worked on, so its AckWait does not run out and it is not redelivered to
// another bridge meanwhile; the returned func stops it.
func keepInProgress(m jetstream.Msg, every time.Duration) (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				_ = m.InProgress()
			}
		}
	}()
	return func() { close(done) }
}

// contentDigest is what a call ID must keep standing for.
func contentDigest(c qimen.Call) string {
	h := sha256.New()
	for _, s := range []string{c.Upstream, c.Warehouse, c.Method} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	h.Write(c.Body)
	return hex.EncodeToString(h.Sum(nil))
}

func xmlUnmarshal(data []byte, v any) error {
	return xml.NewDecoder(bytes.NewReader(data)).Decode(v)
}
