package hub

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// NodeConfig is one node of the hub's NATS cluster.
type NodeConfig struct {
	// Name is the node's server name: fixed for the life of its StoreDir
	// (JetStream's cluster knows its peers by name).
	Name     string
	StoreDir string
	// Cluster is the cluster's name, ClusterListen the address the node
	// listens on for its peers ("host:port"), Routes the other nodes'
	// cluster addresses ("host:port"). Leave all three empty for a hub of
	// one node. ClusterUser and ClusterPassword, when set, are required of
	// every peer (all nodes use the same pair).
	Cluster         string
	ClusterListen   string
	Routes          []string
	ClusterUser     string
	ClusterPassword string
	// LeafListen is where the warehouses connect ("host:port"), each with
	// LeafUser and LeafPassword (required: the hub's one warehouse login).
	LeafListen   string
	LeafUser     string
	LeafPassword string
	// LeafNoAdvertise keeps the node from telling warehouses the other
	// nodes' leaf addresses: set it when warehouses reach the hub through
	// a load balancer or proxy rather than at each node's own address.
	LeafNoAdvertise bool
	// Log receives the NATS server's warnings and errors (nil: none).
	Log *slog.Logger
}

// Node is a running hub node: an embedded NATS server with JetStream in
// domain "hub", its cluster routes and its leaf-node listener.
type Node struct {
	cfg      NodeConfig
	srv      *server.Server
	nc       *nats.Conn
	js       jetstream.JetStream
	replicas int
	log      *slog.Logger

	ready    chan struct{}
	readyErr error
	stop     context.CancelFunc
	once     sync.Once
}

// StartNode starts a hub node and, in the background, creates the hub's
// streams and buckets once the cluster has a JetStream leader (whichever
// node gets there first; creating them again changes nothing). Ready says
// when that is done.
func StartNode(cfg NodeConfig) (*Node, error) {
	if cfg.Name == "" || cfg.StoreDir == "" {
		return nil, errors.New("hub: a node needs a name and a store directory")
	}
	if cfg.LeafListen == "" || cfg.LeafUser == "" || cfg.LeafPassword == "" {
		return nil, errors.New("hub: a node needs a leaf listen address, user and password for its warehouses")
	}
	clustered := cfg.Cluster != "" || cfg.ClusterListen != "" || len(cfg.Routes) > 0
	if clustered && (cfg.Cluster == "" || cfg.ClusterListen == "") {
		return nil, errors.New("hub: a clustered node needs a cluster name and a cluster listen address")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	// Only the bridge, in process, is a client. The server cannot skip its
	// client listener when clustered (routing waits for it), so it listens
	// on loopback at a random port with a password made here and never
	// kept.
	clientPassword, err := randomSecret()
	if err != nil {
		return nil, err
	}
	opts := &server.Options{
		ServerName:      cfg.Name,
		Host:            "127.0.0.1",
		Port:            server.RANDOM_PORT,
		Username:        "bridge",
		Password:        clientPassword,
		JetStream:       true,
		JetStreamDomain: HubDomain,
		StoreDir:        cfg.StoreDir,
		MaxPayload:      MaxPayload,
		NoSigs:          true,
	}
	host, port, err := splitHostPort(cfg.LeafListen)
	if err != nil {
		return nil, fmt.Errorf("hub: leaf listen address: %w", err)
	}
	opts.LeafNode.Host, opts.LeafNode.Port = host, port
	opts.LeafNode.Username, opts.LeafNode.Password = cfg.LeafUser, cfg.LeafPassword
	opts.LeafNode.NoAdvertise = cfg.LeafNoAdvertise
	replicas := 1
	if clustered {
		host, port, err := splitHostPort(cfg.ClusterListen)
		if err != nil {
			return nil, fmt.Errorf("hub: cluster listen address: %w", err)
		}
		opts.Cluster = server.ClusterOpts{Name: cfg.Cluster, Host: host, Port: port,
			Username: cfg.ClusterUser, Password: cfg.ClusterPassword}
		for _, r := range cfg.Routes {
			u := &url.URL{Scheme: "nats-route", Host: r}
			if cfg.ClusterUser != "" {
				u.User = url.UserPassword(cfg.ClusterUser, cfg.ClusterPassword)
			}
			opts.Routes = append(opts.Routes, u)
		}
		if len(cfg.Routes)+1 >= 3 {
			replicas = 3
		}
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("hub: node %s: %w", cfg.Name, err)
	}
	srv.SetLoggerV2(natsLog{cfg.Log.With("node", cfg.Name)}, false, false, false)
	srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		srv.Shutdown()
		return nil, fmt.Errorf("hub: node %s did not start", cfg.Name)
	}
	nc, err := nats.Connect("", nats.InProcessServer(srv), nats.UserInfo("bridge", clientPassword),
		nats.Name("hub-bridge-"+cfg.Name), nats.NoReconnect())
	if err != nil {
		srv.Shutdown()
		return nil, fmt.Errorf("hub: connecting to node %s: %w", cfg.Name, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		srv.Shutdown()
		return nil, err
	}
	ctx, stop := context.WithCancel(context.Background())
	n := &Node{cfg: cfg, srv: srv, nc: nc, js: js, replicas: replicas, log: cfg.Log, ready: make(chan struct{}), stop: stop}
	go n.prepare(ctx)
	return n, nil
}

// Ready waits until the hub's streams and buckets exist (or ctx ends).
func (n *Node) Ready(ctx context.Context) error {
	select {
	case <-n.ready:
		return n.readyErr
	case <-ctx.Done():
		return fmt.Errorf("hub: node %s not ready: %w", n.cfg.Name, ctx.Err())
	}
}

// Name is the node's server name.
func (n *Node) Name() string { return n.cfg.Name }

// LeafURL is the address warehouses reach this node at, as a leaf URL
// without credentials.
func (n *Node) LeafURL() string {
	return "nats-leaf://" + n.cfg.LeafListen
}

// ClusterAddr is where the node listens for its peers ("" when alone).
func (n *Node) ClusterAddr() string {
	if a := n.srv.ClusterAddr(); a != nil {
		return a.String()
	}
	return ""
}

// Close stops the node. It is safe to call twice.
func (n *Node) Close() {
	n.once.Do(func() {
		n.stop()
		n.nc.Close()
		n.srv.Shutdown()
		n.srv.WaitForShutdown()
	})
}

func (n *Node) prepare(ctx context.Context) {
	defer close(n.ready)
	wait := 100 * time.Millisecond
	for {
		err := n.ensure(ctx)
		if err == nil {
			return
		}
		n.log.Debug("hub: waiting for the cluster", "node", n.cfg.Name, "err", err)
		select {
		case <-ctx.Done():
			n.readyErr = fmt.Errorf("hub: node %s closed before ready: %w", n.cfg.Name, err)
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// ensure creates the hub's streams and buckets, or finds them as they
// should be.
func (n *Node) ensure(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := n.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        StreamTo,
		Description: "ERPs' calls on their way to the warehouses",
		Subjects:    []string{subjectTo("*")},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		Replicas:    n.replicas,
		Duplicates:  DupWindow,
		MaxMsgSize:  MaxPayload,
	}); err != nil {
		return fmt.Errorf("stream %s: %w", StreamTo, err)
	}
	for _, kv := range []jetstream.KeyValueConfig{
		{Bucket: BucketSeen, Description: "IDs of warehouse calls sent to an ERP", TTL: SeenFor},
		{Bucket: BucketSnapshots, Description: "each warehouse's last inventory snapshot per upstream", MaxValueSize: MaxPayload},
		{Bucket: BucketWarehouses, Description: "the warehouses and their last hello"},
	} {
		kv.Storage, kv.Replicas, kv.History = jetstream.FileStorage, n.replicas, 1
		if _, err := n.js.CreateOrUpdateKeyValue(ctx, kv); err != nil {
			return fmt.Errorf("bucket %s: %w", kv.Bucket, err)
		}
	}
	return nil
}

func randomSecret() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

func splitHostPort(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("bad port in %q", addr)
	}
	return host, port, nil
}

// natsLog passes the embedded server's warnings and errors to slog; its
// notices, debug and trace lines are dropped.
type natsLog struct{ l *slog.Logger }

func (g natsLog) Noticef(string, ...any)   {}
func (g natsLog) Debugf(string, ...any)    {}
func (g natsLog) Tracef(string, ...any)    {}
func (g natsLog) Warnf(f string, a ...any) { g.l.Warn("nats: " + fmt.Sprintf(f, a...)) }
func (g natsLog) Errorf(f string, a ...any) {
	g.l.Error("nats: " + fmt.Sprintf(f, a...))
}
func (g natsLog) Fatalf(f string, a ...any) {
	g.l.Error("nats: fatal: " + fmt.Sprintf(f, a...))
	panic(fmt.Sprintf("nats: fatal: "+f, a...))
}
