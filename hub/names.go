package hub

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"time"
)

// Names of the streams, key-value buckets and subjects the hub and its
// warehouses share. They are part of the wire: change none of them without
// a migration.
const (
	// HubDomain is the JetStream domain of the hub's cluster.
	HubDomain = "hub"

	// StreamTo holds the ERPs' calls on their way to the warehouses
	// (subjects hub.to.<warehouse>), at the hub.
	StreamTo = "HUB_TO"
	// StreamOutPrefix + the warehouse's code names the stream that holds
	// its calls on their way to the hub (subject hub.from.<warehouse>), at
	// the warehouse. The name must differ per warehouse: acknowledgements
	// travel on $JS.ACK.<stream>.<consumer>... with no domain in them, and
	// every leaf shares the hub's account, so an ack for one warehouse's
	// "TALLY_OUT" would also ack another's message with that sequence.
	StreamOutPrefix = "TALLY_OUT_"
	// BucketSeen holds the IDs of warehouse calls already sent to an ERP,
	// and the claims of those a bridge is sending (bridge.go, claimSend).
	BucketSeen = "HUB_SEEN"
	// BucketSnapshots holds each warehouse's last inventory snapshot per
	// upstream.
	BucketSnapshots = "HUB_SNAPSHOTS"
	// BucketWarehouses is the registry: each warehouse's last hello.
	BucketWarehouses = "HUB_WAREHOUSES"

	// hubConsumer is the hub's durable consumer on each warehouse's outgoing stream.
	hubConsumer = "hub"
	// bridgeQueue is the queue group of the bridges' subscriptions, so that
	// one bridge of the cluster answers each hello.
	bridgeQueue = "hub"

	// MaxPayload is the largest NATS message either side accepts: a call
	// with a 1 MiB body as JSON (base64) with room to spare.
	MaxPayload = 4 << 20

	// DupWindow is the duplicate window of StreamTo and the outgoing streams, set
	// explicitly (a sourced stream's defaults to 0). Receivers still apply
	// each call once by its ID, never by this window alone.
	DupWindow = 24 * time.Hour
	// SeenFor is how long BucketSeen keeps an ID.
	SeenFor = 30 * 24 * time.Hour
)

func streamOut(wh string) string       { return StreamOutPrefix + wh }
func subjectTo(wh string) string       { return "hub.to." + wh }
func subjectFrom(wh string) string     { return "hub.from." + wh }
func subjectAsk(wh string) string      { return "hub.ask." + wh }
func subjectHello(wh string) string    { return "hub.hello." + wh }
func subjectSnapshot(wh string) string { return "hub.snapshot." + wh }

const (
	subjectHelloAll    = "hub.hello.*"
	subjectSnapshotAll = "hub.snapshot.*"
)

// warehouseCode is what a warehouse code may be: it is a NATS subject
// token and a JetStream domain name.
var warehouseCode = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ErrBadWarehouse is a warehouse code that cannot name a warehouse on the
// hub: empty, longer than 64, or with characters other than letters,
// digits, '-' and '_'.
var ErrBadWarehouse = errors.New("hub: a warehouse code is 1 to 64 letters, digits, '-' or '_'")

// CheckWarehouse refuses a code that cannot name a warehouse on the hub.
func CheckWarehouse(code string) error {
	if !warehouseCode.MatchString(code) || code == HubDomain {
		return fmt.Errorf("%w (%.70q)", ErrBadWarehouse, code)
	}
	return nil
}

// digestKey is a key-value key for any text: KV keys allow few characters.
func digestKey(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// snapshotKey is the HUB_SNAPSHOTS key of a warehouse's snapshot for an
// upstream.
func snapshotKey(wh, upstream string) string {
	return wh + "." + digestKey(upstream)[:32]
}
