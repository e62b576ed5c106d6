package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"tally/syncer"
	"tally/syncer/qimen"
)

// LeafConfig is a warehouse's end of the hub link.
type LeafConfig struct {
	// Name is the leaf's server name, fixed for the life of StoreDir.
	Name string
	// Warehouse is the warehouse's code (its warehouseCode at the ERPs):
	// also its JetStream domain and its part of the subjects.
	Warehouse string
	// Hub lists the hub nodes' leaf addresses ("host:port" or
	// "nats-leaf://host:port"); the leaf connects out to one of them and
	// moves to another when it goes away. User and Password are the hub's
	// warehouse login (NodeConfig.LeafUser, LeafPassword).
	Hub      []string
	User     string
	Password string
	StoreDir string
	// MaxBytes caps the outgoing stream: at the cap Publish returns an
	// error wrapping syncer.ErrHubFull and stores nothing (default 1 GiB).
	MaxBytes int64
	// Apply carries out an ERP's call at the warehouse and returns its
	// answer (a Qimen <response>). It is called again for a call it has
	// seen (after a lost acknowledgement): it must be idempotent by the
	// call's keys.
	Apply func(ctx context.Context, c qimen.Call) []byte
	// Snapshot returns the warehouse's inventory, one call per upstream
	// (Upstream set, Body the <response> an inventory.query for every item
	// would get, At when taken); nil when there is none to give.
	Snapshot func(ctx context.Context) []qimen.Call
	Log      *slog.Logger

	// Timings; zero takes the default.
	HelloEvery     time.Duration // 5s: how often the leaf says hello to the hub
	SnapshotEvery  time.Duration // 5m: how often it sends its snapshot (and on each connect)
	AckWait        time.Duration // 30s: how long the hub waits for Apply before redelivering
	ReconnectEvery time.Duration // 1s: how soon a lost link is tried again
}

// LeafStatus is what the warehouse knows of its link.
type LeafStatus struct {
	Connected bool      `json:"connected"`
	Since     time.Time `json:"since"` // when Connected last changed
	// Outgoing is how many calls wait in the outgoing stream; OutgoingBytes
	// their size and MaxBytes the cap.
	Outgoing      uint64    `json:"outgoing"`
	OutgoingBytes uint64    `json:"outgoing_bytes"`
	MaxBytes      int64     `json:"max_bytes"`
	LastContact   time.Time `json:"last_contact"` // the hub's last answer to a hello
}

// hello is what a leaf says to the hub every HelloEvery.
type hello struct {
	Warehouse string    `json:"warehouse"`
	Leaf      string    `json:"leaf"`
	Outgoing  uint64    `json:"outgoing"`
	At        time.Time `json:"at"`
}

// Leaf is a warehouse's embedded NATS server, a leaf node of the hub.
type Leaf struct {
	cfg   LeafConfig
	srv   *server.Server
	nc    *nats.Conn
	js    jetstream.JetStream // the warehouse's own domain
	hubJS jetstream.JetStream // the hub's domain, across the leaf link
	out   jetstream.Stream
	log   *slog.Logger

	stop context.CancelFunc
	wg   sync.WaitGroup
	once sync.Once
	snap chan struct{}

	mu          sync.Mutex
	connected   bool
	since       time.Time
	lastContact time.Time
}

// StartLeaf starts the warehouse's leaf node; it connects out to the hub
// and keeps trying while the hub is unreachable. Calls published meanwhile
// wait in the outgoing stream; ERPs' calls wait at the hub.
func StartLeaf(cfg LeafConfig) (*Leaf, error) {
	if err := CheckWarehouse(cfg.Warehouse); err != nil {
		return nil, err
	}
	if cfg.Name == "" || cfg.StoreDir == "" || len(cfg.Hub) == 0 || cfg.Apply == nil {
		return nil, errors.New("hub: a leaf needs a name, a store directory, the hub's addresses and Apply")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = 1 << 30
	}
	cfg.HelloEvery = or(cfg.HelloEvery, 5*time.Second)
	cfg.SnapshotEvery = or(cfg.SnapshotEvery, 5*time.Minute)
	cfg.AckWait = or(cfg.AckWait, 30*time.Second)
	cfg.ReconnectEvery = or(cfg.ReconnectEvery, time.Second)
	remote := &server.RemoteLeafOpts{}
	for _, h := range cfg.Hub {
		u, err := leafURL(h, cfg.User, cfg.Password)
		if err != nil {
			return nil, err
		}
		remote.URLs = append(remote.URLs, u)
	}
	opts := &server.Options{
		ServerName:      cfg.Name,
		DontListen:      true,
		JetStream:       true,
		JetStreamDomain: cfg.Warehouse,
		StoreDir:        cfg.StoreDir,
		SyncAlways:      true,
		MaxPayload:      MaxPayload,
		NoSigs:          true,
	}
	opts.LeafNode.Remotes = []*server.RemoteLeafOpts{remote}
	opts.LeafNode.ReconnectInterval = cfg.ReconnectEvery
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("hub: leaf %s: %w", cfg.Name, err)
	}
	log := cfg.Log.With("warehouse", cfg.Warehouse)
	srv.SetLoggerV2(natsLog{log}, false, false, false)
	srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		srv.Shutdown()
		return nil, fmt.Errorf("hub: leaf %s did not start", cfg.Name)
	}
	l := &Leaf{cfg: cfg, srv: srv, log: log, snap: make(chan struct{}, 1), since: time.Now()}
	if err := l.open(); err != nil {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, err
	}
	ctx, stop := context.WithCancel(context.Background())
	l.stop = stop
	l.wg.Add(3)
	go l.consume(ctx)
	go l.hello(ctx)
	go l.snapshots(ctx)
	return l, nil
}

func (l *Leaf) open() error {
	nc, err := nats.Connect("", nats.InProcessServer(l.srv), nats.Name("tally-leaf-"+l.cfg.Name), nats.NoReconnect())
	if err != nil {
		return fmt.Errorf("hub: connecting to the leaf: %w", err)
	}
	l.nc = nc
	if l.js, err = jetstream.New(nc); err == nil {
		l.hubJS, err = jetstream.NewWithDomain(nc, HubDomain)
	}
	if err != nil {
		nc.Close()
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l.out, err = l.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        streamOut(l.cfg.Warehouse),
		Description: "the warehouse's calls on their way to the hub",
		Subjects:    []string{subjectFrom(l.cfg.Warehouse)},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		MaxBytes:    l.cfg.MaxBytes,
		Discard:     jetstream.DiscardNew,
		Duplicates:  DupWindow,
		MaxMsgSize:  MaxPayload,
	})
	if err != nil {
		nc.Close()
		return fmt.Errorf("hub: the outgoing stream: %w", err)
	}
	if _, err := nc.Subscribe(subjectAsk(l.cfg.Warehouse), l.answer); err != nil {
		nc.Close()
		return err
	}
	return nil
}

// Publish stores c in the outgoing stream (Nats-Msg-Id c.ID) and returns
// once it is stored; a call whose ID is already stored is not stored
// again. At the byte cap it returns an error wrapping syncer.ErrHubFull.
// It implements syncer.HubLink.
func (l *Leaf) Publish(ctx context.Context, c qimen.Call) error {
	if c.ID == "" {
		return errors.New("hub: a call without an ID")
	}
	c.Warehouse = l.cfg.Warehouse
	data, err := json.Marshal(c)
	if err != nil {
		return err
	}
	if len(data) > MaxPayload {
		return fmt.Errorf("hub: call %s is %d bytes, more than %d", c.ID, len(data), MaxPayload)
	}
	_, err = l.js.PublishMsg(ctx, &nats.Msg{Subject: subjectFrom(l.cfg.Warehouse), Data: data}, jetstream.WithMsgID(c.ID))
	if isFull(err) {
		return fmt.Errorf("%w: %v", syncer.ErrHubFull, err)
	}
	if err != nil {
		return fmt.Errorf("hub: storing call %s: %w", c.ID, err)
	}
	return nil
}

var _ syncer.HubLink = (*Leaf)(nil)

// JetStream's error codes for a store refused for lack of room (nats.go
// names neither).
const (
	errCodeInsufficientResources jetstream.ErrorCode = 10023
	errCodeStoreFailed           jetstream.ErrorCode = 10077
)

func isFull(err error) bool {
	var api *jetstream.APIError
	if !errors.As(err, &api) {
		return false
	}
	return api.ErrorCode == errCodeInsufficientResources ||
		api.ErrorCode == errCodeStoreFailed && strings.Contains(api.Description, "maximum")
}

// Status says how the link is and what waits to go.
func (l *Leaf) Status() LeafStatus {
	l.mu.Lock()
	st := LeafStatus{Connected: l.connected, Since: l.since, LastContact: l.lastContact, MaxBytes: l.cfg.MaxBytes}
	l.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if info, err := l.out.Info(ctx); err == nil {
		st.Outgoing, st.OutgoingBytes = info.State.Msgs, info.State.Bytes
	}
	return st
}

// Close stops the leaf (safe to call twice). What is stored stays in
// StoreDir for the next StartLeaf.
func (l *Leaf) Close() {
	l.once.Do(func() {
		l.stop()
		l.wg.Wait()
		l.nc.Close()
		l.srv.Shutdown()
		l.srv.WaitForShutdown()
	})
}

// answer is the live reply to the hub's Ask.
func (l *Leaf) answer(m *nats.Msg) {
	var c qimen.Call
	if err := json.Unmarshal(m.Data, &c); err != nil || c.Warehouse != l.cfg.Warehouse {
		fail, _ := qimen.Marshal(qimen.Failure("hub.bad-call", "the hub sent a call this warehouse cannot read"))
		_ = m.Respond(fail)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = m.Respond(l.applySafely(ctx, c))
}

// applySafely is cfg.Apply that answers a failure instead of panicking: it
// runs in the NATS client's goroutine, where a panic (an ERP's call that
// trips a bug) would end the whole warehouse process, and the ERP's retry
// end it again.
func (l *Leaf) applySafely(ctx context.Context, c qimen.Call) (answer []byte) {
	defer func() {
		if v := recover(); v != nil {
			l.log.Error("hub: applying an ERP's call panicked", "id", c.ID, "method", c.Method, "panic", fmt.Sprint(v))
			answer, _ = qimen.Marshal(qimen.Failure("hub.warehouse-error", "the warehouse failed on this call; it is logged there"))
		}
	}()
	return l.cfg.Apply(ctx, c)
}

// consume takes the ERPs' calls for this warehouse from the hub's stream,
// across the link, and applies each.
func (l *Leaf) consume(ctx context.Context) {
	defer l.wg.Done()
	retry := backoff{}
	for ctx.Err() == nil {
		cons, err := l.hubJS.CreateOrUpdateConsumer(ctx, StreamTo, jetstream.ConsumerConfig{
			Durable:       l.cfg.Warehouse,
			FilterSubject: subjectTo(l.cfg.Warehouse),
			AckPolicy:     jetstream.AckExplicitPolicy,
			AckWait:       l.cfg.AckWait,
			MaxDeliver:    -1,
			MaxAckPending: 1024,
		})
		if err != nil {
			retry.wait(ctx)
			continue
		}
		retry.reset()
		for ctx.Err() == nil {
			batch, err := cons.Fetch(256, jetstream.FetchMaxWait(2*time.Second))
			if err != nil {
				break
			}
			for m := range batch.Messages() {
				l.apply(ctx, m)
			}
			if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) && !errors.Is(err, context.DeadlineExceeded) {
				break
			}
		}
		retry.wait(ctx)
	}
}

func (l *Leaf) apply(ctx context.Context, m jetstream.Msg) {
	var c qimen.Call
	if err := json.Unmarshal(m.Data(), &c); err != nil || c.Warehouse != l.cfg.Warehouse {
		l.log.Error("hub: a call the warehouse cannot read, dropped", "subject", m.Subject())
		_ = m.Term()
		return
	}
	answer := l.applySafely(ctx, c)
	if ctx.Err() != nil {
		return // stopping: the call comes again
	}
	if ok, msg := answerOK(answer); !ok {
		l.log.Warn("hub: the warehouse refused an ERP's call", "id", c.ID, "method", c.Method, "message", msg)
	}
	_ = m.Ack()
}

// hello tells the hub every HelloEvery that the warehouse is there and
// what it has waiting; the first answer after a silence asks for a
// snapshot.
func (l *Leaf) hello(ctx context.Context) {
	defer l.wg.Done()
	t := time.NewTicker(l.cfg.HelloEvery)
	defer t.Stop()
	for {
		up := l.srv.NumLeafNodes() > 0
		ok := false
		if up {
			st := l.Status()
			data, _ := json.Marshal(hello{Warehouse: l.cfg.Warehouse, Leaf: l.cfg.Name, Outgoing: st.Outgoing, At: time.Now()})
			_, err := l.nc.Request(subjectHello(l.cfg.Warehouse), data, 5*time.Second)
			ok = err == nil
		}
		l.mu.Lock()
		if up != l.connected {
			l.connected, l.since = up, time.Now()
		}
		wasSilent := l.lastContact.IsZero() || time.Since(l.lastContact) > 2*l.cfg.HelloEvery+5*time.Second
		if ok {
			l.lastContact = time.Now()
		}
		l.mu.Unlock()
		if ok && wasSilent {
			select {
			case l.snap <- struct{}{}:
			default:
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// snapshots sends the warehouse's inventory to the hub on each connect
// and every SnapshotEvery.
func (l *Leaf) snapshots(ctx context.Context) {
	defer l.wg.Done()
	if l.cfg.Snapshot == nil {
		return
	}
	t := time.NewTicker(l.cfg.SnapshotEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-l.snap:
		}
		for _, c := range l.cfg.Snapshot(ctx) {
			c.Warehouse = l.cfg.Warehouse
			data, err := json.Marshal(c)
			if err != nil || len(data) > MaxPayload {
				l.log.Error("hub: a snapshot too large to send", "upstream", c.Upstream, "bytes", len(data))
				continue
			}
			if _, err := l.nc.Request(subjectSnapshot(l.cfg.Warehouse), data, 10*time.Second); err != nil {
				l.log.Warn("hub: the snapshot did not reach the hub", "upstream", c.Upstream, "err", err)
			}
		}
	}
}

func leafURL(addr, user, password string) (*url.URL, error) {
	if !strings.Contains(addr, "://") {
		addr = "nats-leaf://" + addr
	}
	u, err := url.Parse(addr)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("hub: bad hub address %q", addr)
	}
	if user != "" {
		u.User = url.UserPassword(user, password)
	}
	return u, nil
}

func or(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// backoff waits longer after each failure, up to 2 seconds: a lost link is
// found again within about that.
type backoff struct{ d time.Duration }

func (b *backoff) reset() { b.d = 0 }
func (b *backoff) wait(ctx context.Context) {
	b.d = min(max(2*b.d, 50*time.Millisecond), 2*time.Second)
	select {
	case <-ctx.Done():
	case <-time.After(b.d):
	}
}

// answerOK reads a Qimen answer's flag and message.
func answerOK(answer []byte) (bool, string) {
	var r qimen.Response
	if err := xmlUnmarshal(answer, &r); err != nil {
		return false, "unreadable answer"
	}
	return r.Flag == qimen.FlagSuccess, r.Message
}
