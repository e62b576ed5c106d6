// Command tally runs the warehouse floor: one binary, one bbolt file.
//
//	tally [serve] [--addr :8080] [--data ./data] [--demo] [--warehouse CODE] [--hub HOST:PORT,...]
//	tally import  --data DIR --kind skus|locations|staff|stock FILE
//	tally export  --data DIR --kind skus|locations|staff|stock [--out FILE]
//	tally token create --data DIR --name NAME --role ROLE
//	tally scan RAW
//	tally print-test --kind waybill|sku|location --out FILE [--zpl]
//	tally loadgen --addr URL --token TOKEN --pdas N --duration D [--backlog N]
//	tally loadgen ... --rate R   (open loop: R scans a second offered in all)
//	tally loadgen ... --ceiling DIR   (and the ratios to raw bbolt Batch on DIR's disk and to loopback HTTP)
//	tally fake-oms --addr ADDR --token TOKEN [--orders N] [--secret S] [--data DIR] [--base /tally/v1]
//	tally fake-erp --addr ADDR --wms URL --app-key K --secret S --customer-id C [--owner-code O] [--warehouse WH | --warehouses A,B] [--orders N] [--items] [--token T]
//	tally fake-market --addr ADDR [--limits taobao=600,jd=600,...]
//	tally hub --addr :8090 --data DIR --name hub-1 [--leaf-listen :7422] [--cluster-listen :6222 --routes nats://h2:6222,nats://h3:6222]
//	tally check   --data DIR
//	tally rebuild --data DIR
//	tally upgrade --data NEW --from OLD
//	tally backup  --data DIR --out FILE
//	tally restore --data DIR FILE
//	tally archive --data DIR [--keep-orders 30d --keep-figures 400d --keep-answers 7d]
//	tally archive --data DIR [--keep-ids 10d (0: keep them live)]
//	tally compact --data DIR [--keep-old]
//	tally serve ... [--archive-at 3 (-1: never) --keep-orders 30d ...]
//	tally generate --data DIR --events N [--days 30] [--seed S] [--start YYYY-MM-DD]
//	tally serve ... [--backup-dir DIR --backup-every 6h --backup-keep 8]
//
// Configuration comes from flags, then TALLY_* environment variables
// (TALLY_ADDR, TALLY_DATA, TALLY_TZ, TALLY_PATTERN_LOCATION, ...).
// This file only wires packages together; each subcommand is a thin call.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
	_ "time/tzdata" // the mini-PC may have no zoneinfo

	"github.com/google/uuid"

	"tally/hub"
	"tally/loadgen"
	"tally/printing"
	"tally/scan"
	"tally/server"
	"tally/syncer"
	"tally/syncer/fakeerp"
	"tally/syncer/fakemarket"
	"tally/syncer/fakeoms"
	"tally/syncer/qimen"
	"tally/views"
	"tally/wms"
)

var version = "dev"

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, errReported) {
			fmt.Fprintln(os.Stderr, "tally:", err)
		}
		os.Exit(1)
	}
}

// errReported means the command already told the user what went wrong.
var errReported = errors.New("reported")

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, stdout, stderr)
	case "import":
		return importCmd(ctx, args, stdout)
	case "export":
		return exportCmd(args, stdout)
	case "token":
		return tokenCmd(ctx, args, stdout)
	case "scan":
		return scanCmd(args, stdout)
	case "check":
		return checkCmd(args, stdout)
	case "rebuild":
		return rebuildCmd(args, stdout)
	case "backup":
		return backupCmd(args, stdout)
	case "restore":
		return restoreCmd(args, stdout)
	case "archive":
		return archiveCmd(ctx, args, stdout)
	case "compact":
		return compactCmd(args, stdout)
	case "print-test":
		return printTestCmd(args, stdout)
	case "loadgen":
		return loadgenCmd(ctx, args, stdout, stderr)
	case "fake-oms":
		return fakeOMSCmd(ctx, args, stdout)
	case "fake-erp":
		return fakeERPCmd(ctx, args, stdout)
	case "fake-market":
		return fakeMarketCmd(ctx, args, stdout)
	case "hub":
		return hubCmd(ctx, args, stdout, stderr)
	case "promote":
		return promoteCmd(ctx, args, stdout)
	case "upgrade":
		return upgradeCmd(ctx, args, stdout)
	case "generate":
		return generateCmd(ctx, args, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, version)
		return nil
	}
	return fmt.Errorf("unknown command %q (serve, import, export, token, scan, check, rebuild, backup, restore, archive, compact, print-test, loadgen, fake-oms, fake-erp, fake-market, hub, promote, upgrade, generate, version)", cmd)
}

// newLog is the JSON log on stderr at a level named by --log-level.
func newLog(name string, stderr io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(name)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	return slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level})), nil
}

// hubLink hands the syncer's calls to the leaf once it has started (the
// leaf needs the syncer to apply the hub's calls, the syncer the leaf to
// publish its own).
type hubLink struct{ leaf atomic.Pointer[hub.Leaf] }

func (h *hubLink) set(l *hub.Leaf) { h.leaf.Store(l) }

// HubLinkStatus shows the leaf's link to the server.
func (h *hubLink) HubLinkStatus() server.HubLinkStatus {
	l := h.leaf.Load()
	if l == nil {
		return server.HubLinkStatus{}
	}
	st := l.Status()
	return server.HubLinkStatus{Connected: st.Connected, Since: timeOrNil(st.Since), Outgoing: st.Outgoing,
		OutgoingBytes: st.OutgoingBytes, MaxBytes: st.MaxBytes, LastContact: timeOrNil(st.LastContact)}
}

func (h *hubLink) Publish(ctx context.Context, c qimen.Call) error {
	l := h.leaf.Load()
	if l == nil {
		return errors.New("the hub link has not started")
	}
	return l.Publish(ctx, c)
}

// hubCmd runs one node of the hub: a NATS JetStream cluster node that the
// warehouses' leaf nodes connect to, the bridge that stores ERPs' calls for
// the warehouses and hands the warehouses' confirmations to the ERPs, and
// the hub's pages (login, /hub, /sync for the ERPs, POST /qimen).
func hubCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("hub")
	var c common
	c.register(fs)
	addr := fs.String("addr", env("HUB_ADDR", ":8090"), "listen address of the hub's pages and POST /qimen (TALLY_HUB_ADDR)")
	name := fs.String("name", env("HUB_NAME", "hub-1"), "this node's name, fixed for its data directory (TALLY_HUB_NAME)")
	leafListen := fs.String("leaf-listen", env("HUB_LEAF_LISTEN", ":7422"), "where warehouses connect (TALLY_HUB_LEAF_LISTEN)")
	leafUser := fs.String("leaf-user", env("HUB_LEAF_USER", "warehouse"), "the warehouses' login; its password only from TALLY_HUB_LEAF_PASSWORD")
	clusterListen := fs.String("cluster-listen", env("HUB_CLUSTER_LISTEN", ""), "the cluster's listen address, host:port (empty: a single node) (TALLY_HUB_CLUSTER_LISTEN)")
	routes := fs.String("routes", env("HUB_ROUTES", ""), "the other nodes' cluster addresses, nats://host:port,... (TALLY_HUB_ROUTES)")
	clusterUser := fs.String("cluster-user", env("HUB_CLUSTER_USER", "hub"), "the nodes' login to each other; its password only from TALLY_HUB_CLUSTER_PASSWORD")
	secure := fs.Bool("secure-cookies", env("SECURE_COOKIES", "") == "1", "mark cookies Secure, behind HTTPS (TALLY_SECURE_COOKIES=1)")
	logLevel := fs.String("log-level", env("LOG_LEVEL", "info"), "debug, info, warn or error (TALLY_LOG_LEVEL)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log, err := newLog(*logLevel, stderr)
	if err != nil {
		return err
	}
	parser, err := scanner()
	if err != nil {
		return err
	}
	// the hub's own store: its staff, sessions and ERPs (Qimen upstreams)
	ledger, err := c.open()
	if err != nil {
		return err
	}
	defer ledger.Close()
	if badge, pin, err := ledger.BootstrapAdmin(ctx); err != nil {
		return err
	} else if pin != "" {
		fmt.Fprintf(stdout, "\nNo staff yet: created administrator badge %s with one-time PIN %s.\nLog in and choose your own PIN.\n\n", badge, pin)
	}
	var peers []string
	if *routes != "" {
		peers = strings.Split(*routes, ",")
	}
	node, err := hub.StartNode(hub.NodeConfig{Name: *name, StoreDir: filepath.Join(c.data, "nats"),
		ClusterListen: *clusterListen, Routes: peers, ClusterUser: *clusterUser, ClusterPassword: os.Getenv("TALLY_HUB_CLUSTER_PASSWORD"),
		LeafListen: *leafListen, LeafUser: *leafUser, LeafPassword: os.Getenv("TALLY_HUB_LEAF_PASSWORD"), Log: log.With("job", "nats")})
	if err != nil {
		return fmt.Errorf("the hub's NATS node: %w", err)
	}
	defer node.Close()
	send := syncer.QimenSender{Upstream: ledger.UpstreamNamed}
	bridge, err := hub.NewBridge(ctx, node, hub.BridgeOptions{Send: send.Send, Log: log.With("job", "hub")})
	if err != nil {
		return fmt.Errorf("the hub's bridge: %w", err)
	}
	defer bridge.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := server.New(server.Config{Hub: hubView{bridge: bridge, node: node}, SecureCookies: *secure, Version: version,
		FontPath: env("FONT", "")}, ledger, parser, log)
	fmt.Fprintf(stdout, "hub node %s: warehouses connect to %s\n", *name, node.LeafURL())
	return runHTTP(ctx, ln, srv, log, stdout, "Tally hub is serving on http://%s (data in %s)\n", c.data)
}

// hubView shows the bridge to the server.
type hubView struct {
	bridge *hub.Bridge
	node   *hub.Node
}

func (h hubView) ServeQimen(ctx context.Context, params url.Values, body []byte, ups []wms.Upstream) []byte {
	return h.bridge.ServeQimen(ctx, params, body, ups)
}

func (h hubView) Warehouses() []server.HubWarehouse {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	list, err := h.bridge.Status(ctx)
	if err != nil {
		return nil
	}
	out := make([]server.HubWarehouse, 0, len(list))
	for _, w := range list {
		out = append(out, server.HubWarehouse{Warehouse: w.Warehouse, Online: w.Online, LastContact: timeOrNil(w.LastContact),
			ToWarehouse: w.ToWarehouse, FromWarehouse: w.FromWarehouse, LastSnapshot: timeOrNil(w.LastSnapshot), Refused: w.Refused})
	}
	return out
}

func (h hubView) Node() server.HubNode { return server.HubNode{Name: h.node.Name()} }

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// validWarehouseCode is a warehouse's code: it names a JetStream domain and
// subjects on the hub, so letters, digits, - and _ only.
func validWarehouseCode(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// env returns TALLY_<name> or def.
func env(name, def string) string {
	if v, ok := os.LookupEnv("TALLY_" + name); ok {
		return v
	}
	return def
}

// common are the flags every command that opens the store shares.
type common struct {
	data            string
	tz              string
	batchDelay      time.Duration
	keepProjections bool  // check and rebuild see the file as it is
	envErr          error // a TALLY_* setting that does not parse
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.data, "data", env("DATA", "./data"), "data directory holding tally.db (TALLY_DATA)")
	fs.StringVar(&c.tz, "tz", env("TZ", "Asia/Shanghai"), "the warehouse's time zone (TALLY_TZ)")
	delay, err := time.ParseDuration(env("BATCH_DELAY", "0s"))
	if err != nil {
		c.envErr = fmt.Errorf("TALLY_BATCH_DELAY: %w", err)
	}
	fs.DurationVar(&c.batchDelay, "batch-delay", delay, "how long a group of writes waits for more before it commits; 0 = no wait: writes that arrive during a commit share the next (TALLY_BATCH_DELAY)")
}

func (c *common) open() (*wms.Ledger, error) {
	if c.envErr != nil {
		return nil, c.envErr
	}
	zone, err := time.LoadLocation(c.tz)
	if err != nil {
		return nil, fmt.Errorf("time zone %q: %w", c.tz, err)
	}
	l, err := wms.Open(c.data, wms.Options{Zone: zone, BatchDelay: c.batchDelay, KeepProjections: c.keepProjections})
	if errors.Is(err, wms.ErrLocked) {
		return nil, fmt.Errorf("%w: stop the other process (or use its web pages; a running server checks its store at GET /api/v1/check) and try again", err)
	}
	if err != nil {
		return nil, err
	}
	if from, ok := l.RebuiltFrom(); ok {
		fmt.Fprintf(os.Stderr, "tally: %s was written by an older Tally (projections version %s); its projections were rebuilt from the event log\n", c.data, from)
	}
	return l, nil
}

// scanner builds the scan parser with the warehouse's own code patterns
// from TALLY_PATTERN_LOCATION, _TOTE, _BADGE, _ORDER and _WAYBILL.
func scanner() (*scan.Parser, error) {
	over := map[string]string{}
	for _, k := range []string{"location", "tote", "badge", "order", "waybill"} {
		if v := env("PATTERN_"+strings.ToUpper(k), ""); v != "" {
			over[k] = v
		}
	}
	p, err := scan.CompilePatterns(over)
	if err != nil {
		return nil, fmt.Errorf("code patterns: %w", err)
	}
	return scan.NewParser(p), nil
}

func newFlags(name string) *flag.FlagSet {
	return flag.NewFlagSet("tally "+name, flag.ContinueOnError)
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve")
	var c common
	c.register(fs)
	addr := fs.String("addr", env("ADDR", ":8080"), "listen address (TALLY_ADDR)")
	demo := fs.Bool("demo", env("DEMO", "") == "1", "seed the demo warehouse (TALLY_DEMO=1)")
	secure := fs.Bool("secure-cookies", env("SECURE_COOKIES", "") == "1", "mark cookies Secure, behind HTTPS (TALLY_SECURE_COOKIES=1)")
	logLevel := fs.String("log-level", env("LOG_LEVEL", "info"), "debug, info, warn or error (TALLY_LOG_LEVEL)")
	warehouse := fs.String("warehouse", env("WAREHOUSE", syncer.DefaultWarehouse), "this warehouse's code: the warehouseCode ERPs and the hub know it by (TALLY_WAREHOUSE)")
	hubAddrs := fs.String("hub", env("HUB", ""), "the hub's leaf addresses, host:port[,host:port]: connect out to the hub (TALLY_HUB; the password only from TALLY_HUB_PASSWORD)")
	hubUser := fs.String("hub-user", env("HUB_USER", "warehouse"), "the hub's warehouse login (TALLY_HUB_USER)")
	hubMax := fs.Int64("hub-max-bytes", 1<<30, "byte cap of the outgoing stream to the hub: at the cap the syncer waits, nothing is dropped")
	follow := fs.String("follow", env("FOLLOW", ""), "run as the standby of this primary, e.g. http://10.0.0.11:8080 (TALLY_FOLLOW)")
	followToken := fs.String("token", "", "with --follow: a token of the replica role on the primary (better: TALLY_FOLLOW_TOKEN, since flags show in ps)")
	var backups backupFlags
	backups.register(fs)
	var archiving archiveFlags
	archiving.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := backups.check(); err != nil {
		return err
	}
	if *followToken == "" {
		*followToken = os.Getenv("TALLY_FOLLOW_TOKEN")
	}
	if !validWarehouseCode(*warehouse) {
		return fmt.Errorf("--warehouse %q: 1–32 letters, digits, - or _", *warehouse)
	}
	log, err := newLog(*logLevel, stderr)
	if err != nil {
		return err
	}

	parser, err := scanner()
	if err != nil {
		return err
	}
	ledger, err := c.open()
	if err != nil {
		return err
	}
	defer ledger.Close() // last: after HTTP has stopped

	follower, err := standbyStart(ledger, *follow, *followToken, *demo, *hubAddrs != "", log)
	if err != nil {
		return err
	}
	if *demo && follower == nil {
		seeded, err := ledger.SeedDemo(ctx)
		if err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
		orders := 0
		if seeded { // once, with the rest: a restart on another day must not resend them changed
			if orders, err = ledger.SeedDemoOrders(ctx); err != nil {
				return fmt.Errorf("demo orders: %w", err)
			}
		}
		log.Info("demo warehouse", "seeded", seeded, "orders", orders)
	}
	if follower != nil {
		log.Info("standby: its staff, sessions and tokens are the primary's; nothing of its own is appended")
	} else if badge, pin, err := ledger.BootstrapAdmin(ctx); err != nil {
		return err
	} else if pin != "" {
		// Printed to the console once, never logged: it is a secret.
		fmt.Fprintf(stdout, "\nNo staff yet: created administrator badge %s with one-time PIN %s.\nLog in and choose your own PIN.\n\n", badge, pin)
	}

	if path := env("CPUPROFILE", ""); path != "" { // for measuring: TALLY_CPUPROFILE=cpu.out
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	gogc, memLimit := tuneGC() // gc.go
	log.Info("garbage collector", "gogc", gogc, "memory_limit", memLimit)
	link := &hubLink{}
	syncOpts := syncer.Options{Log: log.With("job", "sync"), Warehouse: *warehouse}
	if *hubAddrs != "" {
		syncOpts.Hub = link
	}
	sy := syncer.New(ledger, syncOpts)
	if *hubAddrs != "" {
		// the leaf node: connects out to the hub, keeps what goes there in
		// its own stream while the link is down
		leaf, err := hub.StartLeaf(hub.LeafConfig{Name: "tally-" + *warehouse, Warehouse: *warehouse, Hub: strings.Split(*hubAddrs, ","),
			User: *hubUser, Password: os.Getenv("TALLY_HUB_PASSWORD"), StoreDir: filepath.Join(c.data, "nats"), MaxBytes: *hubMax,
			Apply: sy.ApplyHubCall, Snapshot: sy.HubSnapshots, Log: log.With("job", "hub")})
		if err != nil {
			return fmt.Errorf("the hub link: %w", err)
		}
		defer leaf.Close()
		link.set(leaf)
		log.Info("hub link", "hub", *hubAddrs, "warehouse", *warehouse)
	}
	cfg := server.Config{Syncer: sy, SecureCookies: *secure, Version: version, FontPath: env("FONT", "")}
	if *hubAddrs != "" {
		cfg.HubLink = link
	}
	if follower != nil {
		cfg.Standby = follower
	}
	srv := server.New(cfg, ledger, parser, log)
	// Background work has one home, the server's job runner: the print worker
	// and scales (added by New), then the expiry and session sweeps (run once
	// now, a failure stopping the start, then every minute) and auto-wave.
	if err := srv.AddFloorJobs(); err != nil {
		return err
	}
	if err := backups.add(srv); err != nil {
		return err
	}
	if err := archiving.add(srv); err != nil {
		return err
	}
	// The syncer is one more job: one loop for every upstream, stopped
	// after HTTP and before the store.
	if err := srv.Jobs().Add(server.Job{Name: "sync", Run: sy.Run}); err != nil {
		return err
	}
	if follower != nil {
		// the one job a standby runs; the others wait for a promotion
		if err := srv.Jobs().Add(server.Job{Name: "standby", Run: follower.Run, OnStandby: true}); err != nil {
			return err
		}
	}
	return runHTTP(ctx, ln, srv, log, stdout, "Tally is serving on http://%s (data in %s)\n", c.data)
}

// runHTTP starts the server's workers, serves ln until SIGINT or SIGTERM,
// then stops HTTP first (long polls answer at once), then the jobs, each
// after its run in progress; the caller closes the store after.
func runHTTP(ctx context.Context, ln net.Listener, srv *server.Server, log *slog.Logger, stdout io.Writer, banner, data string) error {
	if err := srv.StartWorkers(); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("serving", "addr", ln.Addr().String(), "data", data, "version", version)
	fmt.Fprintf(stdout, banner, ln.Addr(), data)

	select {
	case err := <-errc:
		srv.StopWorkers()
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	httpCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(httpCtx); err != nil {
		log.Error("http shutdown", "err", err)
	}
	jobsCtx, cancelJobs := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancelJobs()
	if err := srv.Jobs().Stop(jobsCtx); err != nil {
		log.Error("jobs shutdown", "err", err)
	}
	return nil
}

func importCmd(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("import")
	var c common
	c.register(fs)
	kind := fs.String("kind", "", "skus, locations, staff, stock, orders, receipts, boxes or waybills")
	lang := fs.String("lang", env("LANG_UI", "en"), "language of messages: en or zh-CN")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *kind == "" {
		return errors.New("usage: tally import --data DIR --kind skus|locations|staff|stock|orders|receipts|boxes|waybills FILE")
	}
	raw, err := readLimited(fs.Arg(0), wms.MaxImportBytes) // a file over the limit is refused by Import, unread past it
	if err != nil {
		return err
	}
	l, err := c.open()
	if err != nil {
		return err
	}
	defer l.Close()
	res, err := l.Import(ctx, uuid.NewString(), wms.ImportKind(*kind), filepath.Base(fs.Arg(0)), raw, "cli", "cli")
	if err != nil {
		if e, ok := wms.AsError(err); ok {
			fmt.Fprintln(stdout, views.Translate(*lang, e.Key, e.Args))
			for _, r := range res.Errors {
				fmt.Fprintln(stdout, views.Translate(*lang, "import.line", map[string]string{
					"line": fmt.Sprint(r.Line), "message": views.Translate(*lang, r.Key, r.Args)}))
			}
			if res.Unlisted > 0 {
				fmt.Fprintln(stdout, views.Translate(*lang, "import.errors_unlisted", map[string]string{"n": fmt.Sprint(res.Unlisted)}))
			}
			return errReported
		}
		return err
	}
	fmt.Fprintf(stdout, "imported %d %s rows (event %d)\n", res.Rows, res.Kind, res.Seq)
	return nil
}

func exportCmd(args []string, stdout io.Writer) error {
	var kind, out string
	l, _, _, err := openWith("export", args, func(fs *flag.FlagSet, _ *common) {
		fs.StringVar(&kind, "kind", "", "skus, locations, staff or stock")
		fs.StringVar(&out, "out", "", "file to write (default: standard output)")
	})
	if err != nil {
		return err
	}
	defer l.Close()
	w := stdout
	if out != "" {
		f, err := os.Create(out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	return l.Export(wms.ImportKind(kind), w)
}

func tokenCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New("usage: tally token create --data DIR --name NAME --role ROLE")
	}
	var name, role string
	l, _, _, err := openWith("token create", args[1:], func(fs *flag.FlagSet, _ *common) {
		fs.StringVar(&name, "name", "", "who the token is for, e.g. central-oms")
		fs.StringVar(&role, "role", "", "picker, packer, receiver, supervisor, admin, integration (the event feed only), or replica (a standby's read of the log)")
	})
	if err != nil {
		return err
	}
	defer l.Close()
	token, err := l.CreateToken(ctx, name, wms.Role(role), "cli")
	if err != nil {
		if e, ok := wms.AsError(err); ok {
			return errors.New(views.Translate(views.LangEN, e.Key, e.Args))
		}
		return err
	}
	fmt.Fprintln(stdout, token)
	return nil
}

// scanCmd prints what a scanned string means as one JSON object.
func scanCmd(args []string, stdout io.Writer) error {
	if len(args) != 1 {
		return errors.New("usage: tally scan RAW")
	}
	p, err := scanner()
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	r, err := p.Parse(args[0])
	if err != nil {
		out := map[string]string{"error": err.Error()}
		if se, ok := err.(*scan.Error); ok {
			out["code"] = se.Key
		}
		_ = enc.Encode(out)
		return errReported
	}
	return enc.Encode(r)
}

// openWith parses a command's flags (plus any extra it registers) and opens the store.
// openWith parses a command's flags (the common ones and those extra adds;
// extra may also set options of c) and opens the store.
func openWith(name string, args []string, extra func(*flag.FlagSet, *common)) (*wms.Ledger, *flag.FlagSet, common, error) {
	fs := newFlags(name)
	var c common
	c.register(fs)
	if extra != nil {
		extra(fs, &c)
	}
	if err := fs.Parse(args); err != nil {
		return nil, fs, c, err
	}
	l, err := c.open()
	return l, fs, c, err
}

// keepProjections is the openWith option of check (which must see the file
// as it is, not as an upgrade would leave it) and rebuild (which rebuilds
// once, not also on open).
func keepProjections(_ *flag.FlagSet, c *common) { c.keepProjections = true }

func checkCmd(args []string, stdout io.Writer) error {
	l, _, c, err := openWith("check", args, keepProjections)
	if err != nil {
		return err
	}
	defer l.Close()
	if reached, unfinished := l.RebuildUnfinished(); unfinished {
		fmt.Fprintf(stdout, "ledger check not done: a rebuild of the projections stopped after event %d of %d; starting the server (or `tally rebuild --data %s`) finishes it\n", reached, l.LastSeq(), c.data)
		return errReported
	}
	if have, stale := l.StaleProjections(); stale {
		fmt.Fprintf(stdout, "ledger check not done: the projections were written by an older Tally (projections version %s); `tally rebuild --data %s` or starting the server rebuilds them from the log\n", have, c.data)
		return errReported
	}
	start := time.Now()
	mm, err := l.Check(c.data)
	if err != nil {
		return err
	}
	for _, m := range mm {
		fmt.Fprintln(stdout, "MISMATCH", m)
	}
	if len(mm) >= wms.MaxMismatches {
		fmt.Fprintf(stdout, "(the first %d differences; there may be more)\n", len(mm))
	}
	if len(mm) > 0 {
		fmt.Fprintf(stdout, "ledger check FAILED: %d projection entries differ from a rebuild of %d events; run `tally rebuild` after taking a copy of %s\n",
			len(mm), l.LastSeq(), l.Path())
		return errReported
	}
	if tables, records, err := l.VerifyIDTables(); err != nil { // the ID tables read whole (wms/idarchive.go)
		fmt.Fprintf(stdout, "ledger check FAILED: %v\n", err)
		return errReported
	} else if tables > 0 {
		fmt.Fprintf(stdout, "ID tables ok: %d files, %d archived IDs and keys\n", tables, records)
	}
	if files, records, err := l.VerifyLotIndexes(); err != nil { // the lot indexes read whole (wms/lotarchive.go)
		fmt.Fprintf(stdout, "ledger check FAILED: %v\n", err)
		return errReported
	} else if files > 0 {
		fmt.Fprintf(stdout, "lot indexes ok: %d files, %d archived lot story entries\n", files, records)
	}
	if files, records, err := l.VerifyOrderTables(); err != nil { // archived orders' keys read whole (wms/ordertable.go)
		fmt.Fprintf(stdout, "ledger check FAILED: %v\n", err)
		return errReported
	} else if files > 0 {
		fmt.Fprintf(stdout, "order tables ok: %d files, %d archived order and waybill keys\n", files, records)
	}
	if members, units, err := l.VerifyUnitFiles(); err != nil { // archived units of work read whole (wms/unitarchive.go)
		fmt.Fprintf(stdout, "ledger check FAILED: %v\n", err)
		return errReported
	} else if members > 0 {
		fmt.Fprintf(stdout, "units files ok: %d members, %d archived units of work\n", members, units)
	}
	if members, receipts, err := l.VerifyRecordFiles(); err != nil { // archived receipts and return parcels read in their members (wms/receiptarchive.go, parcelarchive.go)
		fmt.Fprintf(stdout, "ledger check FAILED: %v\n", err)
		return errReported
	} else if members > 0 {
		fmt.Fprintf(stdout, "receipts and returns files ok: %d members, %d archived receipts and return parcels\n", members, receipts)
	}
	if files, members, err := l.VerifyArchiveFiles(); err != nil { // every month file holds what the store committed to it (wms/archive.go)
		fmt.Fprintf(stdout, "ledger check FAILED: %v\n", err)
		return errReported
	} else if files > 0 {
		fmt.Fprintf(stdout, "archive files ok: %d files, %d members\n", files, members)
	}
	fmt.Fprintf(stdout, "ledger ok: %d events, projections equal a rebuild (%s)\n", l.LastSeq(), time.Since(start).Round(time.Millisecond))
	return nil
}

// backupCmd copies a stopped server's store; a running server gives one at
// GET /api/v1/backup.
func backupCmd(args []string, stdout io.Writer) error {
	var out string
	l, _, _, err := openWith("backup", args, func(fs *flag.FlagSet, _ *common) {
		fs.StringVar(&out, "out", "", "the file to write (required); written beside it first, renamed when complete")
	})
	if errors.Is(err, wms.ErrLocked) {
		return fmt.Errorf("%w; a running server gives a backup at GET /api/v1/backup (role admin)", err)
	}
	if err != nil {
		return err
	}
	defer l.Close()
	if out == "" {
		return errors.New("backup: --out FILE is required")
	}
	size, seq, err := l.BackupToFile(out)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(stdout, "backup written to %s: %d bytes, events up to %d\n", out, size, seq)
	return nil
}

func rebuildCmd(args []string, stdout io.Writer) error {
	l, _, _, err := openWith("rebuild", args, keepProjections)
	if err != nil {
		return err
	}
	defer l.Close()
	if err := l.Rebuild(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "rebuilt projections from %d events\n", l.LastSeq())
	return nil
}

// loadgenCmd drives simulated handhelds against a running server and prints
// one RESULT line.
func loadgenCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("loadgen")
	addr := fs.String("addr", "http://127.0.0.1:8080", "the server's base URL")
	token := fs.String("token", env("TOKEN", ""), "an admin API token (tally token create --role admin)")
	pdas := fs.Int("pdas", 50, "simulated handhelds")
	duration := fs.Duration("duration", 30*time.Second, "how long to measure")
	backlog := fs.Int("backlog", 0, "orders waved before measuring; 0 = enough for the run (a small number makes orders arrive while picking)")
	rate := fs.Float64("rate", 0, "open loop: scans a second offered in all, each handheld on its own schedule (latency from when a scan was due); 0 = closed loop")
	ceiling := fs.String("ceiling", "", "after the run, measure raw bbolt Batch (as many writers as handhelds, values the size of the run's pick events) in a temporary file in this directory — put it on the server's disk — then a do-nothing HTTP handler on loopback, and print the run's ratio to each")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := loadgen.Run(ctx, loadgen.Config{Addr: *addr, Token: *token, PDAs: *pdas, Duration: *duration, Backlog: *backlog, Log: stderr,
		Rate: *rate, CeilingDir: *ceiling})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, res.Line())
	return nil
}

// fakeOMSCmd runs a stand-in central OMS for tests and demos (syncer/fakeoms): it keeps what
// the warehouse pushes, serves orders and waybill numbers, and injects faults on request. Its
// admin API and page are unauthenticated: keep it on loopback.
func fakeOMSCmd(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("fake-oms")
	addr := fs.String("addr", env("FAKE_OMS_ADDR", "127.0.0.1:9090"), "listen address (TALLY_FAKE_OMS_ADDR)")
	token := fs.String("token", env("FAKE_OMS_TOKEN", ""), "the bearer token the warehouse presents (TALLY_FAKE_OMS_TOKEN)")
	secret := fs.String("secret", env("FAKE_OMS_SECRET", ""), "the signing secret; empty: the token signs (TALLY_FAKE_OMS_SECRET)")
	data := fs.String("data", env("FAKE_OMS_DATA", "./fake-oms"), "directory of its store, fake-oms.db (TALLY_FAKE_OMS_DATA)")
	base := fs.String("base", env("FAKE_OMS_BASE", "/tally/v1"), "the protocol's path (TALLY_FAKE_OMS_BASE)")
	orders := fs.Int("orders", 0, "demo orders to generate when its store has none yet")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *orders == 0 {
		if v := env("FAKE_OMS_ORDERS", ""); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("TALLY_FAKE_OMS_ORDERS: %w", err)
			}
			*orders = n
		}
	}
	if *token == "" {
		return errors.New("fake-oms: --token is required")
	}
	if err := os.MkdirAll(*data, 0o750); err != nil {
		return err
	}
	oms, err := fakeoms.New(fakeoms.Options{Path: filepath.Join(*data, "fake-oms.db"), Base: *base, Token: *token,
		Secret: []byte(*secret), Orders: *orders})
	if err != nil {
		return err
	}
	defer oms.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: oms.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "fake OMS serving on http://%s (warehouse upstream url: http://%s%s)\n", ln.Addr(), ln.Addr(), *base)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil {
		return srv.Close() // a slow fault still holding a request
	}
	return nil
}

// fakeERPCmd runs a stand-in ERP that speaks Qimen both ways, for tests and demos
// (syncer/fakeerp): it sends orders to the WMS (or the hub) and keeps the confirmations sent
// back, with faults on request.
func fakeERPCmd(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("fake-erp")
	addr := fs.String("addr", env("FAKE_ERP_ADDR", "127.0.0.1:9191"), "listen address (TALLY_FAKE_ERP_ADDR)")
	wmsURL := fs.String("wms", env("FAKE_ERP_WMS", ""), "the WMS's (or the hub's) Qimen URL, e.g. http://127.0.0.1:8080/qimen; empty: receive only (TALLY_FAKE_ERP_WMS)")
	appKey := fs.String("app-key", env("FAKE_ERP_APP_KEY", ""), "the ERP's app_key (TALLY_FAKE_ERP_APP_KEY)")
	secret := fs.String("secret", env("FAKE_ERP_SECRET", ""), "the signing secret, at least 16 bytes (TALLY_FAKE_ERP_SECRET)")
	customer := fs.String("customer-id", env("FAKE_ERP_CUSTOMER_ID", ""), "the ERP's customerId (TALLY_FAKE_ERP_CUSTOMER_ID)")
	owner := fs.String("owner-code", env("FAKE_ERP_OWNER_CODE", "DEFAULT"), "the ownerCode in every body (TALLY_FAKE_ERP_OWNER_CODE)")
	warehouse := fs.String("warehouse", env("FAKE_ERP_WAREHOUSE", "TALLY"), "the warehouseCode of its orders (TALLY_FAKE_ERP_WAREHOUSE)")
	warehouses := fs.String("warehouses", env("FAKE_ERP_WAREHOUSES", ""), "several warehouseCodes, comma-separated: orders are spread over them (TALLY_FAKE_ERP_WAREHOUSES)")
	orders := fs.Int("orders", 0, "orders to send at start")
	items := fs.Bool("items", false, "send the catalogue (items.synchronize) at start, before the orders")
	token := fs.String("token", env("FAKE_ERP_TOKEN", ""), "the bearer token its admin API wants; empty: none (TALLY_FAKE_ERP_TOKEN)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	whs := []string{*warehouse}
	if *warehouses != "" {
		whs = nil
		for w := range strings.SplitSeq(*warehouses, ",") {
			if w = strings.TrimSpace(w); w != "" {
				whs = append(whs, w)
			}
		}
	}
	if *orders > 0 && *wmsURL == "" {
		return errors.New("fake-erp: --orders needs --wms, the URL to send them to")
	}
	erp, err := fakeerp.New(fakeerp.Options{WMS: *wmsURL, AppKey: *appKey, CustomerID: *customer, Secret: *secret,
		OwnerCode: *owner, Warehouses: whs, Token: *token})
	if err != nil {
		return err
	}
	if *items {
		if _, err := erp.SendItems(); err != nil {
			return err
		}
	}
	if *orders > 0 {
		if _, err := erp.SendOrders(*orders, ""); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: erp.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	sending, sent := context.WithCancel(ctx)
	defer sent()
	done := make(chan struct{})
	go func() { erp.Run(sending); close(done) }()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "fake ERP serving on http://%s (warehouse upstream url: http://%s/qimen)\n", ln.Addr(), ln.Addr())
	select {
	case err = <-errc:
	case <-ctx.Done():
	}
	sent()
	<-done
	shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if serr := srv.Shutdown(shut); serr != nil {
		_ = srv.Close() // a slow fault still holding a request
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// fakeMarketCmd serves the five fake marketplaces (syncer/fakemarket).
func fakeMarketCmd(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("fake-market")
	addr := fs.String("addr", env("FAKE_MARKET_ADDR", "127.0.0.1:9292"), "listen address (TALLY_FAKE_MARKET_ADDR)")
	limits := fs.String("limits", env("FAKE_MARKET_LIMITS", ""), "requests a minute each platform allows, e.g. taobao=600,jd=600; empty: none (TALLY_FAKE_MARKET_LIMITS)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	lim := map[string]int{}
	for kv := range strings.SplitSeq(*limits, ",") {
		if kv = strings.TrimSpace(kv); kv == "" {
			continue
		}
		name, n, ok := strings.Cut(kv, "=")
		v, err := strconv.Atoi(n)
		if !ok || err != nil || v < 1 || fakemarket.Path(name) == "" {
			return fmt.Errorf("fake-market: --limits wants platform=N per minute, platforms %v; got %q", fakemarket.Platforms(), kv)
		}
		lim[name] = v
	}
	m := fakemarket.New(fakemarket.Options{Limits: lim})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: m.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "fake marketplaces serving on http://%s (page /, control API /control/...)\n", ln.Addr())
	for _, p := range fakemarket.Platforms() {
		k := m.Keys(p)
		fmt.Fprintf(stdout, "  %-8s url http://%s%s app_key %q session %q (secret: see the README)\n", p, ln.Addr(), fakemarket.Path(p), k.AppKey, k.Session)
	}
	select {
	case err = <-errc:
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if serr := srv.Shutdown(shut); serr != nil {
		_ = srv.Close()
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// printTestCmd renders one label with sample data, to check a printer or a font.
func printTestCmd(args []string, stdout io.Writer) error {
	fs := newFlags("print-test")
	kind := fs.String("kind", "waybill", "waybill, sku or location")
	out := fs.String("out", "", "file to write")
	zpl := fs.Bool("zpl", false, "ZPL for Zebra-type printers instead of PDF")
	font := fs.String("font", env("FONT", ""), "TrueType font with Chinese glyphs (TALLY_FONT)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("usage: tally print-test --kind waybill|sku|location --out FILE [--zpl]")
	}
	var label any
	switch *kind {
	case "waybill":
		label = printing.SampleWaybill()
	case "sku":
		label = printing.SampleSKULabel()
	case "location":
		label = printing.SampleLocationLabel()
	default:
		return fmt.Errorf("--kind %q: waybill, sku or location", *kind)
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	if *zpl {
		err = printing.LabelZPL(f, []any{label})
	} else {
		err = printing.LabelPDF(f, []any{label}, *font)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(*out)
		return err
	}
	fmt.Fprintf(stdout, "wrote %s\n", *out)
	return nil
}

// readLimited reads up to limit+1 bytes of the file at path: enough for a
// reader of at most limit bytes to see that a file is over it.
func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, limit+1))
}
