// Package hub links warehouses that sit behind NAT to a hub that ERPs can
// reach, on NATS JetStream (an embedded nats-server on each side).
//
// At the hub, each machine runs a Node (StartNode: a nats-server with
// JetStream in domain "hub"; three nodes form a cluster whose streams keep
// 3 replicas) and a Bridge on it (NewBridge). At a warehouse, Tally runs a
// Leaf (StartLeaf): a nats-server in the warehouse's own JetStream domain
// (its warehouse code) that connects out to the hub as a leaf node, with
// sync_interval always, and keeps working while the link is down.
//
// ERP → warehouse. The hub's POST /qimen is Bridge.ServeQimen: the
// signature is verified against the hub's Qimen upstreams, the call is
// routed by its one warehouseCode. Create and synchronize methods are
// stored (Deliver: stream HUB_TO, subject hub.to.<warehouse>, Nats-Msg-Id
// the call's ID) and answered success once the cluster has them; the
// leaf's durable consumer <warehouse> takes them across the link and
// calls LeafConfig.Apply, which must be idempotent by the call's keys.
// order.cancel, order.pending and the queries are asked live (Ask:
// request/reply on hub.ask.<warehouse>); while the warehouse is offline a
// cancel is refused "warehouse offline, retry" and inventory.query gets
// the warehouse's last snapshot (LeafConfig.Snapshot, sent on each connect
// and every 5 minutes, kept in bucket HUB_SNAPSHOTS) with its time in
// <message>.
//
// Warehouse → ERP. The syncer hands calls to Leaf.Publish (syncer.HubLink):
// stored in the warehouse's stream TALLY_OUT_<warehouse> (subject
// hub.from.<warehouse>, Nats-Msg-Id the call's ID, a byte cap with
// discard-new: at the cap Publish returns an error wrapping
// syncer.ErrHubFull and nothing is dropped) before it returns, so the
// syncer's cursor moves on the store's acknowledgement. Every bridge pulls
// every known warehouse's stream across its domain with the shared durable
// consumer "hub" and, per call: skips it if bucket HUB_SEEN records its ID
// sent (refuses it, logged, if the ID came with other content); else
// claims the ID, calls BridgeOptions.Send, records the ID sent (the claim
// replaced by the content's digest), then acknowledges. While it works it
// tells JetStream the call is in progress, so the call is not redelivered.
//
// Once by its ID. The claim is a HUB_SEEN value "claim <digest> <bridge>"
// made by a create (the cluster writes a key only if it has none), so of
// two bridges holding the same call (a redelivery after AckWait, e.g. a
// call that waited in a busy bridge's batch) one sends it and the other
// puts it back until the claim's bound. A failed Send gives its claim
// back, and the call is retried with growing delays (1 s doubling to
// 1 min). A claim expires claimFor after it was made (Send's limit, 4/5
// of AckWait, plus 2×AckWait: time to record, and room for the hub nodes'
// clocks to differ — keep them within seconds, e.g. NTP); an expired
// claim is of a bridge that stopped, and the next bridge takes it over by
// compare-and-set and sends again. So the ERP may get a call twice only
// when (a) a Send was cut off at its limit, or the link failed, after the
// ERP took the call (Send returns an error; the retry repeats it), or (b)
// a bridge stopped, stalled past claimFor, or could not reach HUB_SEEN
// between claiming and recording (logged). Never because two bridges held
// the call at once. Both repeats are harmless to a Qimen ERP: every call the
// syncer makes carries its business key — the call's ID is the upstream
// and the outBizCode, and the body carries that outBizCode, made from the
// event's ID the same way on every try — and a Qimen ERP takes a repeated
// outBizCode as the same confirmation (success, counted once; the fake
// ERP in syncer/fakeerp checks exactly that). Calls are not sent in
// order: they are pulled by several bridges at once, and each Qimen call
// stands alone.
//
// Registry. Each leaf says hello every 5 s (hub.hello.<warehouse>,
// answered by one bridge, kept in bucket HUB_WAREHOUSES, the entry's time
// being the last contact); Bridge.Status lists every warehouse that ever
// said hello: online (a hello within 20 s), last contact, calls waiting
// for it at the hub, its own backlog as of its last hello, and its last
// snapshot's time. A call for a warehouse that never said hello is
// refused.
//
// Authentication. Warehouses log in to the hub's leaf port with one user
// and password (NodeConfig.LeafUser/LeafPassword, LeafConfig.User/
// Password); the nodes' routes may require their own pair. Use TLS
// termination or a private network in front of both ports: the pair is
// sent as the protocol sends it. The nodes' client port listens only on
// loopback with a password made at start and never kept: the bridge is
// its only client. ERPs reach only ServeQimen, authenticated by their
// Qimen signature.
//
// Wire names (streams, buckets, subjects) are constants in names.go; a
// warehouse code is 1 to 64 letters, digits, '-' or '_' (CheckWarehouse).
//
// Facts learned: nats-server v2.14.1 or later; a fixed server name per
// node and leaf; explicit duplicate windows (DupWindow); the clustered
// server cannot run without its client listener; and acknowledgement
// subjects carry no JetStream domain, so two leaves' streams and consumers
// must not share both names.
package hub
